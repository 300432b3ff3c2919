//! Response writing, in one place: what a successful operation answers ([`Reply`]), its
//! rendering in the negotiated media type, error responses, and the headers every response
//! carries.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};
use occi_model::{Category, Entity, Location};
use occi_render::media::MediaType;
use occi_render::{json, text, uri_list};

use crate::error::Failure;

/// What a successful request answers.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    /// The store revision of the entity the reply renders, for `ETag`.
    pub(crate) revision: Option<u64>,
    pub(crate) payload: Payload,
}

/// The body of a reply, before rendering.
#[derive(Debug)]
pub(crate) enum Payload {
    None,
    Entity(Box<Entity>),
    /// A listing: the entities (JSON renders them) and their locations (text renders those).
    Listing(Vec<Entity>),
    Categories(Vec<Category>),
    Locations(Vec<Location>),
}

impl Reply {
    pub(crate) fn ok(payload: Payload) -> Self {
        Self {
            status: StatusCode::OK,
            location: None,
            revision: None,
            payload,
        }
    }
}

/// The strong entity tag of a store revision.
pub(crate) fn etag(revision: u64) -> String {
    format!("\"r{revision}\"")
}

fn is_json(media: MediaType) -> bool {
    matches!(media, MediaType::OcciJson | MediaType::Json)
}

/// Settles, before anything is changed, that `entity` can be answered in `media`: the text
/// renderings cannot express lists and maps (406).
pub(crate) fn renderable(entity: &Entity, media: MediaType) -> Result<(), Failure> {
    if is_json(media) || media == MediaType::UriList || text::can_render(entity) {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::NOT_ACCEPTABLE,
            "the entity holds values the text renderings cannot express (lists, maps); ask for application/occi+json",
        ))
    }
}

/// Renders a successful reply.
pub(crate) fn reply(reply: Reply, media: MediaType, base: &str) -> Response<Bytes> {
    let mut headers = HeaderMap::new();
    let body: String = match reply.payload {
        Payload::None if reply.status == StatusCode::NOT_MODIFIED => String::new(),
        Payload::None if media == MediaType::TextOcci => "OK".into(),
        Payload::None => String::new(),
        Payload::Entity(entity) if is_json(media) => json::render_entity(&entity),
        Payload::Entity(entity) => {
            if let Err(failure) = renderable(&entity, media) {
                // Reached only for an entity a backend's retrieve hook changed: no store
                // change precedes it.
                return self::failure(&failure, None);
            }
            if media == MediaType::TextOcci {
                text::occi::write_entity(&entity, &mut headers);
                "OK".into()
            } else {
                text::plain::render_entity(&entity)
            }
        }
        Payload::Listing(entities) if is_json(media) => {
            json::render_entity_collection(&entities.into_iter().collect())
        }
        Payload::Listing(entities) => {
            let locations: Vec<Location> = entities
                .iter()
                .filter_map(Entity::location)
                .cloned()
                .collect();
            return self::reply(
                Reply {
                    payload: Payload::Locations(locations),
                    ..reply
                },
                media,
                base,
            );
        }
        Payload::Locations(locations) => {
            let absolute: Vec<Location> = locations
                .iter()
                .filter_map(|l| Location::new(&absolute(base, l)).ok())
                .collect();
            match media {
                MediaType::UriList => uri_list::render(&absolute),
                MediaType::TextOcci => {
                    headers.extend(text::occi::render_locations(&absolute));
                    "OK".into()
                }
                MediaType::OcciJson | MediaType::Json => String::new(),
                _ => text::plain::render_locations(&absolute),
            }
        }
        Payload::Categories(categories) if is_json(media) => {
            json::render_categories(&json::CategoryCollection::from_categories(categories))
        }
        Payload::Categories(categories) if media == MediaType::TextOcci => {
            headers.extend(text::occi::render_categories(&categories));
            "OK".into()
        }
        Payload::Categories(categories) => text::plain::render_categories(&categories),
    };
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = reply.status;
    *response.headers_mut() = headers;
    if !response.body().is_empty() {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media.as_str()),
        );
    }
    if let Some(location) = reply.location
        && let Ok(value) = HeaderValue::from_str(&location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Some(revision) = reply.revision
        && let Ok(value) = HeaderValue::from_str(&etag(revision))
    {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Renders a failure: JSON when the client asked for JSON, text otherwise.
pub(crate) fn failure(failure: &Failure, media: Option<MediaType>) -> Response<Bytes> {
    let json = media.is_some_and(is_json);
    let (body, content_type) = if json {
        (failure.json_body(), MediaType::OcciJson.as_str())
    } else {
        (failure.text_body(), "text/plain; charset=utf-8")
    };
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = failure.status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(allow) = &failure.allow
        && let Ok(value) = HeaderValue::from_str(allow)
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Headers every response carries (`Server`, `Accept`, one `Content-Length`); HEAD loses
/// its body.
pub(crate) fn finish(
    response: &mut Response<Bytes>,
    server: &HeaderValue,
    accept: &HeaderValue,
    is_head: bool,
) {
    let length = response.body().len();
    let headers = response.headers_mut();
    headers.insert(header::SERVER, server.clone());
    headers.insert(header::ACCEPT, accept.clone());
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if is_head {
        *response.body_mut() = Bytes::new();
    }
}

/// The absolute URL of a path location under `base`; other locations stay as they are.
pub(crate) fn absolute(base: &str, location: &Location) -> String {
    if location.is_path() {
        format!("{base}{location}")
    } else {
        location.to_string()
    }
}
