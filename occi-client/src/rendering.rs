//! Which rendering a request is written in and how a response is read: the [`Dialect`] of
//! the server and the media type, chosen at discovery.
//!
//! Responses are read by their own `Content-Type` (a peer may answer in another rendering
//! than the one asked for), falling back to the rendering asked for when it is missing.

use bytes::Bytes;
use http::Response;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use occi_model::{ActionInvocation, Category, Entity, Location, Registry};
pub use occi_render::Dialect;
use occi_render::media::{MediaType, parse_content_type};
use occi_render::text::{self, CategoryRepr, TextDocument};
use occi_render::{Deviation, Filter, ParseError, ParseOptions, Parsed, json, uri_list};

use crate::error::{Error, ErrorKind};

/// A rendering: a media type in a dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format {
    /// The media type sent as `Content-Type` and asked for with `Accept`.
    pub media_type: MediaType,
    /// How JSON is read and written.
    pub dialect: Dialect,
}

impl Format {
    /// `media_type` in the OCCI dialect.
    pub fn occi(media_type: MediaType) -> Self {
        Self {
            media_type,
            dialect: Dialect::Occi,
        }
    }
}

/// A request body: extra header fields (text/occi carries OCCI data there) and the bytes.
#[derive(Debug, Default)]
pub(crate) struct Body {
    pub(crate) headers: HeaderMap,
    pub(crate) bytes: Bytes,
}

impl Body {
    fn with_type(media_type: MediaType) -> Self {
        let mut body = Self::default();
        body.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(media_type.as_str()));
        body
    }

    fn text(media_type: MediaType, text: String) -> Self {
        let mut body = Self::with_type(media_type);
        body.bytes = Bytes::from(text);
        body
    }

    fn headers(media_type: MediaType, headers: HeaderMap) -> Self {
        let mut body = Self::with_type(media_type);
        body.headers.extend(headers);
        body
    }
}

/// The media type a request body is written in: `text/uri-list` cannot carry a request, so
/// it falls back to text/plain; PySSF's JSON reader is not used (Hurtle peers send
/// text/occi, which every PySSF service reads).
fn request_media(format: Format) -> MediaType {
    match (format.dialect, format.media_type) {
        (Dialect::PySsf, MediaType::OcciJson | MediaType::Json | MediaType::UriList) => {
            MediaType::TextOcci
        }
        (_, MediaType::UriList) => MediaType::TextPlain,
        (_, m) => m,
    }
}

pub(crate) fn encode_entity(format: Format, entity: &Entity) -> Body {
    match request_media(format) {
        MediaType::TextOcci => {
            Body::headers(MediaType::TextOcci, text::occi::render_entity(entity))
        }
        m @ (MediaType::OcciJson | MediaType::Json) => Body::text(m, json::render_entity(entity)),
        m => Body::text(m, text::plain::render_entity(entity)),
    }
}

/// A partial update that names only attributes: text renderings send the attribute lines
/// alone (H11 §3.4.4); JSON needs the entity's Kind, so `entity` carries it.
pub(crate) fn encode_attributes(format: Format, entity: &Entity) -> Body {
    let media = request_media(format);
    if matches!(media, MediaType::OcciJson | MediaType::Json) {
        return encode_entity(format, entity);
    }
    let document = TextDocument {
        attributes: entity
            .all_attributes()
            .into_iter()
            .map(|(name, value)| text::AttributeRepr {
                name,
                value,
                position: occi_render::Position::default(),
            })
            .collect(),
        ..TextDocument::default()
    };
    match media {
        MediaType::TextOcci => {
            Body::headers(MediaType::TextOcci, text::occi::render_document(&document))
        }
        m => Body::text(m, text::plain::render_document(&document)),
    }
}

pub(crate) fn encode_action(format: Format, invocation: &ActionInvocation) -> Body {
    match request_media(format) {
        MediaType::TextOcci => Body::headers(
            MediaType::TextOcci,
            text::occi::render_action_invocation(invocation),
        ),
        m @ (MediaType::OcciJson | MediaType::Json) => {
            Body::text(m, json::render_action_invocation(invocation))
        }
        m => Body::text(m, text::plain::render_action_invocation(invocation)),
    }
}

pub(crate) fn encode_locations(format: Format, locations: &[Location]) -> Body {
    match request_media(format) {
        MediaType::TextOcci => {
            Body::headers(MediaType::TextOcci, text::occi::render_locations(locations))
        }
        m @ (MediaType::OcciJson | MediaType::Json) => {
            let refs: Vec<json::EntityRef> = locations
                .iter()
                .cloned()
                .map(json::EntityRef::Location)
                .collect();
            Body::text(m, json::render_mixin_association(&refs))
        }
        m => Body::text(m, text::plain::render_locations(locations)),
    }
}

pub(crate) fn encode_categories(format: Format, categories: &[Category]) -> Body {
    match request_media(format) {
        MediaType::TextOcci => Body::headers(
            MediaType::TextOcci,
            text::occi::render_categories(categories),
        ),
        m @ (MediaType::OcciJson | MediaType::Json) => Body::text(
            m,
            json::render_categories(&json::CategoryCollection::from_categories(
                categories.iter().cloned(),
            )),
        ),
        m => Body::text(m, text::plain::render_categories(categories)),
    }
}

/// A filter is always sent as text/occi header fields (the only filter syntax, whatever
/// the rendering of the response).
pub(crate) fn encode_filter(filter: &Filter, registry: Option<&Registry>) -> HeaderMap {
    let document = TextDocument {
        categories: filter
            .categories
            .iter()
            .map(|id| CategoryRepr {
                id: id.clone(),
                class: registry
                    .and_then(|r| r.get(id))
                    .map_or(occi_model::CategoryClass::Kind, Category::class),
                title: None,
                rel: Vec::new(),
                location: None,
                attributes: Vec::new(),
                actions: Vec::new(),
                position: occi_render::Position::default(),
            })
            .collect(),
        attributes: filter
            .attributes
            .iter()
            .map(|(name, value)| text::AttributeRepr {
                name: name.clone(),
                value: value.clone(),
                position: occi_render::Position::default(),
            })
            .collect(),
        ..TextDocument::default()
    };
    text::occi::render_document(&document)
}

/// The rendering a response is in: its `Content-Type`, else `asked`.
fn response_media(response: &Response<Bytes>, asked: MediaType) -> Result<MediaType, Error> {
    let Some(value) = response.headers().get(CONTENT_TYPE) else {
        return Ok(asked);
    };
    let text = value.to_str().unwrap_or_default();
    // PySSF writes `text/occi` and the like; anything else (text/html) is not OCCI.
    match parse_content_type(text) {
        Ok(content_type) => Ok(content_type.media_type),
        Err(_) => Err(Error::new(
            ErrorKind::Parse,
            format!("the response's Content-Type {text:?} is not an OCCI rendering"),
        )),
    }
}

fn body_text(response: &Response<Bytes>) -> Result<&str, Error> {
    std::str::from_utf8(response.body()).map_err(|e| {
        Error::new(
            ErrorKind::Parse,
            format!("the response body is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

fn is_pyssf_json(format: Format, body: &[u8]) -> bool {
    format.dialect == Dialect::PySsf
        || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

fn parsed<T>(result: Result<Parsed<T>, ParseError>, what: &str) -> Result<Parsed<T>, Error> {
    result.map_err(|e| Error::parse(e, what))
}

/// A body that holds no OCCI structure: empty, or PySSF's `OK`.
fn is_empty_body(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.is_empty() || trimmed == b"OK"
}

pub(crate) fn decode_entity(
    format: Format,
    response: &Response<Bytes>,
    options: &ParseOptions,
    registry: Option<&Registry>,
) -> Result<Parsed<Entity>, Error> {
    const WHAT: &str = "the entity rendering";
    match response_media(response, format.media_type)? {
        MediaType::TextOcci => parsed(
            text::occi::parse_entity(response.headers(), options, registry),
            WHAT,
        ),
        MediaType::OcciJson | MediaType::Json => {
            if is_pyssf_json(format, response.body()) || format.dialect == Dialect::PySsf {
                parsed(json::pyssf::parse_entity(response.body(), options), WHAT)
            } else {
                parsed(json::parse_entity(response.body(), options), WHAT)
            }
        }
        MediaType::UriList => Err(Error::new(
            ErrorKind::Parse,
            "the server answered a text/uri-list where an entity was expected",
        )),
        _ => parsed(
            text::plain::parse_entity(body_text(response)?, options, registry),
            WHAT,
        ),
    }
}

/// The entities of a response, if the rendering holds whole entities (a JSON collection),
/// else their locations.
#[derive(Debug)]
pub(crate) enum Listing {
    Entities(Vec<Entity>),
    Locations(Vec<Location>),
}

pub(crate) fn decode_listing(
    format: Format,
    response: &Response<Bytes>,
    options: &ParseOptions,
) -> Result<Parsed<Listing>, Error> {
    const WHAT: &str = "the collection rendering";
    match response_media(response, format.media_type)? {
        MediaType::TextOcci => Ok(parsed(
            text::occi::parse_locations(response.headers(), options),
            WHAT,
        )?
        .map(Listing::Locations)),
        MediaType::UriList => Ok(
            parsed(uri_list::parse(body_text(response)?, options), WHAT)?.map(Listing::Locations),
        ),
        MediaType::OcciJson | MediaType::Json => {
            let body = response.body();
            if is_empty_body(body) {
                Ok(Parsed::clean(Listing::Entities(Vec::new())))
            } else if is_pyssf_json(format, body) {
                Ok(
                    parsed(json::pyssf::parse_entities(body, options), WHAT)?
                        .map(Listing::Entities),
                )
            } else {
                Ok(
                    parsed(json::parse_entity_collection(body, options), WHAT)?.map(|c| {
                        Listing::Entities(
                            c.resources
                                .into_iter()
                                .map(Entity::Resource)
                                .chain(c.links.into_iter().map(Entity::Link))
                                .collect(),
                        )
                    }),
                )
            }
        }
        _ => {
            let body = body_text(response)?;
            if is_empty_body(body.as_bytes()) {
                return Ok(Parsed::clean(Listing::Locations(Vec::new())));
            }
            Ok(parsed(text::plain::parse_locations(body, options), WHAT)?.map(Listing::Locations))
        }
    }
}

pub(crate) fn decode_categories(
    format: Format,
    response: &Response<Bytes>,
    options: &ParseOptions,
) -> Result<(Parsed<Vec<Category>>, Dialect), Error> {
    const WHAT: &str = "the query interface";
    match response_media(response, format.media_type)? {
        MediaType::TextOcci => Ok((
            parsed(
                text::occi::parse_categories(response.headers(), options),
                WHAT,
            )?,
            format.dialect,
        )),
        MediaType::OcciJson | MediaType::Json => {
            let body = response.body();
            if is_pyssf_json(format, body) {
                Ok((
                    parsed(json::pyssf::parse_categories(body, options), WHAT)?,
                    Dialect::PySsf,
                ))
            } else {
                Ok((
                    parsed(json::parse_categories(body, options), WHAT)?
                        .map(json::CategoryCollection::into_categories),
                    format.dialect,
                ))
            }
        }
        MediaType::UriList => Err(Error::new(
            ErrorKind::Parse,
            "the server answered a text/uri-list where the query interface was expected",
        )),
        _ => {
            let body = body_text(response)?;
            let body = if body.trim() == "OK" { "" } else { body };
            Ok((
                parsed(text::plain::parse_categories(body, options), WHAT)?,
                format.dialect,
            ))
        }
    }
}

/// Whether a response body holds an entity rendering worth reading (not empty, not `OK`,
/// or, for text/occi, a `Category` header field).
pub(crate) fn has_entity(format: Format, response: &Response<Bytes>) -> bool {
    match response_media(response, format.media_type) {
        Ok(MediaType::TextOcci) => response.headers().contains_key("category"),
        Ok(MediaType::UriList) | Err(_) => false,
        Ok(_) => !is_empty_body(response.body()),
    }
}

/// A positioned deviation for something the client itself forgave (no place in the input).
pub(crate) fn note(kind: occi_render::DeviationKind, message: impl Into<String>) -> Deviation {
    Deviation::new(occi_render::Position::default(), kind, message)
}
