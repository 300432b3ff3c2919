//! Response writing, in one place: what a successful operation answers ([`Reply`]), its
//! rendering in the negotiated media type, error responses, and the headers every response
//! carries.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Response, StatusCode};
use occi_model::{Category, Entity, Location};
use occi_render::media::MediaType;
use occi_render::{Dialect, json, text, uri_list};

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

/// Renders a successful reply in `dialect`.
pub(crate) fn reply(
    reply: Reply,
    media: MediaType,
    base: &str,
    dialect: Dialect,
) -> Response<Bytes> {
    if dialect == Dialect::PySsf {
        return pyssf_reply(reply, media, base);
    }
    let mut headers = HeaderMap::new();
    let body: String = match reply.payload {
        Payload::None if reply.status == StatusCode::NOT_MODIFIED => String::new(),
        Payload::None if media == MediaType::TextOcci => "OK".into(),
        Payload::None => String::new(),
        Payload::Entity(entity) if is_json(media) => json::render_entity(&entity),
        Payload::Entity(entity) => match text_entity(&entity, media, &mut headers) {
            Ok(body) => body,
            Err(response) => return *response,
        },
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
                dialect,
            );
        }
        Payload::Locations(locations) => text_locations(&locations, media, base, &mut headers),
        Payload::Categories(categories) if is_json(media) => {
            json::render_categories(&json::CategoryCollection::from_categories(categories))
        }
        Payload::Categories(categories) if media == MediaType::TextOcci => {
            headers.extend(text::occi::render_categories(&categories));
            "OK".into()
        }
        Payload::Categories(categories) => text::plain::render_categories(&categories),
    };
    finish_reply(
        reply.status,
        reply.location,
        reply.revision,
        headers,
        body,
        media,
    )
}

/// An entity in a text rendering (the body; text/occi puts it in `headers`), or the 406
/// response when it cannot be.
fn text_entity(
    entity: &Entity,
    media: MediaType,
    headers: &mut HeaderMap,
) -> Result<String, Box<Response<Bytes>>> {
    if let Err(failure) = renderable(entity, media) {
        // Reached only for an entity a backend's retrieve hook changed: no store
        // change precedes it.
        return Err(Box::new(self::failure(&failure, None)));
    }
    if media == MediaType::TextOcci {
        text::occi::write_entity(entity, headers);
        Ok("OK".into())
    } else {
        Ok(text::plain::render_entity(entity))
    }
}

/// Locations as absolute URLs in a text rendering (the body; text/occi puts them in
/// `headers`); JSON renders none.
fn text_locations(
    locations: &[Location],
    media: MediaType,
    base: &str,
    headers: &mut HeaderMap,
) -> String {
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

/// A reply in PySSF's dialect (see [`crate::OcciBuilder::dialect`]).
fn pyssf_reply(reply: Reply, media: MediaType, base: &str) -> Response<Bytes> {
    let mut headers = HeaderMap::new();
    let json = is_json(media);
    // PySSF answers "OK" in text/plain where it has nothing to render as JSON.
    let mut body_media = media;
    let body: String = match reply.payload {
        Payload::None if reply.status == StatusCode::NOT_MODIFIED => String::new(),
        Payload::Locations(_) if reply.status == StatusCode::CREATED => {
            if json {
                body_media = MediaType::TextPlain;
            }
            "OK".into()
        }
        Payload::None => {
            if json {
                body_media = MediaType::TextPlain;
            }
            "OK".into()
        }
        Payload::Entity(entity) if json => json::pyssf::render_entity(&entity),
        Payload::Entity(entity) => match text_entity(&entity, media, &mut headers) {
            Ok(body) => body,
            Err(response) => return *response,
        },
        Payload::Listing(entities) if json => json::pyssf::render_entities(&entities),
        Payload::Listing(entities) => {
            let locations: Vec<Location> = entities
                .iter()
                .filter_map(Entity::location)
                .cloned()
                .collect();
            text_locations(&locations, media, base, &mut headers)
        }
        Payload::Locations(_) if json => "[]".into(),
        Payload::Locations(locations) => text_locations(&locations, media, base, &mut headers),
        Payload::Categories(categories) if json => {
            json::pyssf::render_categories(&service_first(categories))
        }
        Payload::Categories(categories) => {
            let categories: Vec<Category> = service_first(categories)
                .into_iter()
                .map(|c| absolute_category(base, c))
                .collect();
            if media == MediaType::TextOcci {
                headers.extend(text::occi::render_categories(&categories));
                "OK".into()
            } else {
                text::plain::render_categories(&categories)
            }
        }
    };
    finish_reply(
        reply.status,
        reply.location,
        reply.revision,
        headers,
        body,
        body_media,
    )
}

/// The categories with the service's own before the core Kinds, in their order otherwise:
/// PySSF listed the categories of its backends, and its peers take the first Kind with a
/// `related` as the service's.
fn service_first(categories: Vec<Category>) -> Vec<Category> {
    let (core, own): (Vec<Category>, Vec<Category>) = categories
        .into_iter()
        .partition(|c| c.id().scheme().as_str() == CORE_SCHEME);
    own.into_iter().chain(core).collect()
}

/// The scheme of the core Kinds.
const CORE_SCHEME: &str = "http://schemas.ogf.org/occi/core#";

/// A category with its location as an absolute URL under `base` (when `base` is known).
fn absolute_category(base: &str, mut category: Category) -> Category {
    let location = match &mut category {
        Category::Kind(k) => &mut k.location,
        Category::Mixin(m) => &mut m.location,
        Category::Action(_) => return category,
    };
    if let Some(l) = location.as_ref()
        && !base.is_empty()
        && let Ok(abs) = Location::new(&absolute(base, l))
    {
        *location = Some(abs);
    }
    category
}

/// The response of a rendered reply: status, headers, body and its `Content-Type`,
/// `Location` and `ETag`.
fn finish_reply(
    status: StatusCode,
    location: Option<String>,
    revision: Option<u64>,
    headers: HeaderMap,
    body: String,
    media: MediaType,
) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    if !response.body().is_empty() {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media.as_str()),
        );
    }
    if let Some(location) = location
        && let Ok(value) = HeaderValue::from_str(&location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if let Some(revision) = revision
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
