//! Hurtle's wire dialect: the OCCI 1.1 HTTP rendering as PySSF 0.4.7 speaks it, which every
//! Hurtle component reads and writes (hurtle.md appendix A).
//!
//! * Requests: `Category` and `X-OCCI-Attribute` header fields (text/occi), or the same lines
//!   in a text/plain body, parsed leniently by [`occi_render::text`]; attribute values are
//!   kept as text, as PySSF keeps them.
//! * Responses: content negotiation over text/plain (the default, also for `*/*`), text/occi
//!   (structures in header fields, body `OK`), text/uri-list (collections) and
//!   `application/occi+json` in PySSF's pre-standard JSON ([`occi_render::json::pyssf`]).
//!   Every attribute value is a quoted string; the query interface gives absolute locations in
//!   text and relative ones in JSON; an entity advertises its applicable actions as
//!   `Link: <path?action=term>; rel="scheme#term"`.
//! * Errors: a text/plain body saying what was wrong, with one `Content-Length`.
//!
//! What the dialect does *not* copy from PySSF: 500s for malformed input, duplicate
//! `Content-Length` fields, and a host name kept between requests (each response's absolute
//! URLs come from that request's own `Host`).

// A request that cannot be read is answered at once: the error of the readers below is the
// response itself, returned by value like every other response.
#![allow(clippy::result_large_err)]

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HOST, HeaderValue, SERVER};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use occi_model::{
    AttributeName, AttributeValue, Category, CategoryId, Entity, EntityId, Location, Resource,
};
use occi_render::text::TextDocument;
use occi_render::{ParseOptions, json, text};

/// The scheme of the SO Kind `orchestrator` and its actions.
pub const SERVICE_SCHEME: &str = "http://schemas.mobile-cloud-networking.eu/occi/service#";
/// The scheme of the CC Kind `app`.
pub const PLATFORM_SCHEME: &str = "http://schemas.ogf.org/occi/platform#";
/// The scheme of the CC actions `start` and `stop`.
pub const APP_ACTION_SCHEME: &str = "http://schemas.ogf.org/occi/platform/app/action#";
/// The `Server` header every component sends.
pub const SERVER_TOKEN: &str = concat!("occi-hurtle/", env!("CARGO_PKG_VERSION"), " OCCI/1.1");

/// A response rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `text/plain`: structures as body lines (the default).
    Plain,
    /// `text/occi`: structures in header fields, body `OK`.
    Occi,
    /// `text/uri-list`: a collection as one URL per line.
    UriList,
    /// `application/occi+json` in PySSF's JSON dialect.
    Json,
}

impl Media {
    /// The media type string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "text/plain",
            Self::Occi => "text/occi",
            Self::UriList => "text/uri-list",
            Self::Json => "application/occi+json",
        }
    }

    /// The rendering for an `Accept` value: the first media range the dialect knows, in the
    /// order given; text/plain when `Accept` is absent, empty, `*/*` or `text/*`. `None` when
    /// no range is acceptable (406).
    pub fn negotiate(accept: Option<&str>) -> Option<Self> {
        let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
            return Some(Self::Plain);
        };
        accept.split(',').find_map(|range| {
            let mt = range.split(';').next().unwrap_or("").trim();
            match mt.to_ascii_lowercase().as_str() {
                "text/plain" | "text/occi+plain" | "*/*" | "text/*" => Some(Self::Plain),
                "text/occi" => Some(Self::Occi),
                "text/uri-list" => Some(Self::UriList),
                "application/occi+json" | "application/json" | "application/*" => Some(Self::Json),
                _ => None,
            }
        })
    }
}

/// A request as the components see it: method, path, query, fields, body, the negotiated
/// response rendering and the base URL for absolute locations.
#[derive(Debug)]
pub struct Incoming {
    /// The method.
    pub method: Method,
    /// The path (without query).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The header fields.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The response rendering chosen from `Accept`.
    pub media: Media,
    /// `http://<Host>`, for absolute locations.
    pub base: String,
}

impl Incoming {
    /// Reads a request: the rendering from `Accept` (406 if none is acceptable) and the base
    /// URL from `Host` (400 if malformed).
    pub fn read(request: Request<Bytes>) -> Result<Self, Response<Bytes>> {
        let (parts, body) = request.into_parts();
        let accept = parts.headers.get(ACCEPT).and_then(|v| v.to_str().ok());
        let media = Media::negotiate(accept).ok_or_else(|| {
            error(
                StatusCode::NOT_ACCEPTABLE,
                &format!(
                    "none of the media types in Accept ({}) is offered; offered: text/plain, text/occi, text/uri-list, application/occi+json",
                    accept.unwrap_or("")
                ),
            )
        })?;
        let host = match parts.headers.get(HOST) {
            None => parts
                .uri
                .authority()
                .map_or_else(|| "localhost".to_owned(), ToString::to_string),
            Some(h) => {
                let text = h.to_str().ok().filter(|t| {
                    !t.is_empty() && t.parse::<http::uri::Authority>().is_ok() && !t.contains('@')
                });
                text.ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "the Host header is not a valid host[:port]",
                    )
                })?
                .to_owned()
            }
        };
        Ok(Self {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
            media,
            base: format!("http://{host}"),
        })
    }

    /// The first value of a header field as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `action` of the query string (`?action=deploy`), if any.
    pub fn action(&self) -> Option<&str> {
        self.query.as_deref().and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("action="))
                .filter(|a| !a.is_empty())
        })
    }

    /// The header fields with a `class` added to every Category value that has none: Hurtle's
    /// SM sends `Category: app; scheme="…"` and `Category: deploy; scheme="…"` without one.
    /// The class is `action` on an action request (`?action=`), `kind` otherwise.
    fn with_category_classes(&self) -> HeaderMap {
        let class = if self.action().is_some() {
            "action"
        } else {
            "kind"
        };
        let mut headers = self.headers.clone();
        let values: Vec<String> = self
            .headers
            .get_all("category")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(split_outside_quotes)
            .map(|c| {
                let c = c.trim().trim_end_matches(';').trim_end();
                if c.contains("class=") {
                    c.to_owned()
                } else {
                    format!("{c}; class=\"{class}\"")
                }
            })
            .collect();
        headers.remove("category");
        for v in values {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.append("category", v);
            }
        }
        headers
    }

    /// The OCCI structures of the request: its header fields, plus the body lines of a
    /// text/plain body. Parsed leniently; a 400 names what could not be read and where, and a
    /// JSON body is refused with 415 (no Hurtle client sends one).
    pub fn document(&self) -> Result<TextDocument, Response<Bytes>> {
        let options = ParseOptions::lenient();
        let headers = self.with_category_classes();
        let mut doc = text::occi::parse_document(&headers, &options)
            .map_err(|e| {
                error(
                    StatusCode::BAD_REQUEST,
                    &format!("in the header fields: {e}"),
                )
            })?
            .value;
        let content_type = self
            .header(CONTENT_TYPE.as_str())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let body = std::str::from_utf8(&self.body).map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "the request body is not UTF-8 text",
            )
        })?;
        if body.trim().is_empty() || body.trim() == "OK" {
            return Ok(doc);
        }
        match content_type.as_str() {
            "" | "text/plain" | "text/occi+plain" => {
                let plain = text::plain::parse_document(body, &options)
                    .map_err(|e| error(StatusCode::BAD_REQUEST, &format!("in the body: {e}")))?
                    .value;
                doc.categories.extend(plain.categories);
                doc.links.extend(plain.links);
                doc.action_links.extend(plain.action_links);
                doc.attributes.extend(plain.attributes);
                doc.locations.extend(plain.locations);
                Ok(doc)
            }
            "text/occi" => Ok(doc),
            other => Err(error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!(
                    "request bodies of type {other} are not read; send text/occi header fields or a text/plain body"
                ),
            )),
        }
    }
}

/// Splits a field value on the commas outside quoted strings.
fn split_outside_quotes(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.retain(|s| !s.trim().is_empty());
    out
}

/// Whether `doc` carries the Category `scheme` + `term`.
pub fn has_category(doc: &TextDocument, scheme: &str, term: &str) -> bool {
    doc.categories
        .iter()
        .any(|c| c.id.scheme().as_str() == scheme && c.id.term().as_str() == term)
}

/// The attributes of a request as text, in request order (a later value of the same name
/// replaces the earlier one).
pub fn attributes(doc: &TextDocument) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in &doc.attributes {
        let value = value_text(&a.value);
        let name = a.name.as_str();
        if let Some(slot) = out.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value;
        } else {
            out.push((name.to_owned(), value));
        }
    }
    out
}

/// An attribute value as PySSF holds it: text (numbers and booleans in their text form).
pub fn value_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::String(s) => s.clone(),
        AttributeValue::Integer(i) => i.to_string(),
        AttributeValue::Float(f) => f.to_string(),
        AttributeValue::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

/// Merges `new` into `into`: same names are replaced in place, new names appended.
pub fn merge(into: &mut Vec<(String, String)>, new: &[(String, String)]) {
    for (name, value) in new {
        if let Some(slot) = into.iter_mut().find(|(n, _)| n == name) {
            slot.1.clone_from(value);
        } else {
            into.push((name.clone(), value.clone()));
        }
    }
}

/// An entity as a component renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityView {
    /// The Kind.
    pub kind: CategoryId,
    /// The path (`/orchestrator/default`).
    pub location: String,
    /// The applicable actions.
    pub actions: Vec<CategoryId>,
    /// The attributes (`occi.core.id` included), values as text.
    pub attributes: Vec<(String, String)>,
}

impl EntityView {
    /// The model entity: every value a String; names the model cannot hold are left out.
    pub fn to_entity(&self) -> Entity {
        let mut r = Resource::new(self.kind.clone());
        r.location = Location::new(&self.location).ok();
        r.actions.clone_from(&self.actions);
        for (name, value) in &self.attributes {
            match name.as_str() {
                "occi.core.id" => r.id = EntityId::new(value).ok(),
                "occi.core.title" => r.title = Some(value.clone()),
                "occi.core.summary" => r.summary = Some(value.clone()),
                _ => match AttributeName::new(name) {
                    Ok(n) => {
                        r.attributes
                            .insert(n, AttributeValue::String(value.as_str().into()));
                    }
                    Err(e) => {
                        tracing::warn!(%name, error = %e, "attribute left out of a rendering");
                    }
                },
            }
        }
        Entity::Resource(r)
    }
}

fn response(
    status: StatusCode,
    content_type: &str,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Bytes> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    let h = resp.headers_mut();
    h.insert(SERVER, HeaderValue::from_static(SERVER_TOKEN));
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(CONTENT_TYPE, v);
    }
    resp
}

/// An error: `status` with a text/plain body saying what was wrong.
pub fn error(status: StatusCode, message: &str) -> Response<Bytes> {
    response(
        status,
        "text/plain",
        HeaderMap::new(),
        Bytes::from(format!("{message}\n")),
    )
}

/// 405 with the `Allow` header.
pub fn method_not_allowed(allow: &str) -> Response<Bytes> {
    let mut resp = error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method not supported here; allowed: {allow}"),
    );
    if let Ok(v) = HeaderValue::from_str(allow) {
        resp.headers_mut().insert(http::header::ALLOW, v);
    }
    resp
}

/// 404 for `path`, in PySSF's words.
pub fn not_found(path: &str) -> Response<Bytes> {
    error(
        StatusCode::NOT_FOUND,
        &format!("Resource not found: '{path}'"),
    )
}

/// A success without structures: body `OK`.
pub fn ok(media: Media) -> Response<Bytes> {
    let ct = if media == Media::Json {
        "text/plain"
    } else {
        media.as_str()
    };
    response(
        StatusCode::OK,
        ct,
        HeaderMap::new(),
        Bytes::from_static(b"OK"),
    )
}

/// 201 with `Location: <absolute url>` and body `OK`.
pub fn created(media: Media, url: &str) -> Response<Bytes> {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(url) {
        headers.insert(http::header::LOCATION, v);
    }
    let ct = if media == Media::Json {
        "text/plain"
    } else {
        media.as_str()
    };
    response(StatusCode::CREATED, ct, headers, Bytes::from_static(b"OK"))
}

/// An entity in the negotiated rendering (text/uri-list cannot render one: 406).
pub fn entity(media: Media, status: StatusCode, view: &EntityView) -> Response<Bytes> {
    let e = view.to_entity();
    match media {
        Media::Occi => response(
            status,
            media.as_str(),
            text::occi::render_entity(&e),
            Bytes::from_static(b"OK"),
        ),
        Media::Plain => response(
            status,
            media.as_str(),
            HeaderMap::new(),
            Bytes::from(text::plain::render_entity(&e)),
        ),
        Media::Json => response(
            status,
            media.as_str(),
            HeaderMap::new(),
            Bytes::from(json::pyssf::render_entity(&e)),
        ),
        Media::UriList => error(
            StatusCode::NOT_ACCEPTABLE,
            "an entity has no text/uri-list rendering; ask for text/plain, text/occi or application/occi+json",
        ),
    }
}

/// The query interface: `categories` with their locations made absolute against `base` for
/// the text renderings (PySSF's JSON keeps them relative).
pub fn categories(media: Media, base: &str, categories: &[Category]) -> Response<Bytes> {
    let absolute = |c: &Category| -> Category {
        let mut c = c.clone();
        let fix = |l: &mut Option<Location>| {
            if let Some(loc) = l.as_ref()
                && loc.is_path()
                && let Ok(abs) = Location::new(&format!("{base}{}", loc.as_str()))
            {
                *l = Some(abs);
            }
        };
        match &mut c {
            Category::Kind(k) => fix(&mut k.location),
            Category::Mixin(m) => fix(&mut m.location),
            Category::Action(_) => {}
        }
        c
    };
    match media {
        Media::Occi => {
            let abs: Vec<Category> = categories.iter().map(absolute).collect();
            response(
                StatusCode::OK,
                media.as_str(),
                text::occi::render_categories(&abs),
                Bytes::from_static(b"OK"),
            )
        }
        Media::Plain => {
            let abs: Vec<Category> = categories.iter().map(absolute).collect();
            response(
                StatusCode::OK,
                media.as_str(),
                HeaderMap::new(),
                Bytes::from(text::plain::render_categories(&abs)),
            )
        }
        Media::Json => response(
            StatusCode::OK,
            media.as_str(),
            HeaderMap::new(),
            Bytes::from(json::pyssf::render_categories(categories)),
        ),
        Media::UriList => error(
            StatusCode::NOT_ACCEPTABLE,
            "the query interface has no text/uri-list rendering",
        ),
    }
}

/// A collection: the entities' absolute URLs (text renderings) or the entities themselves
/// (JSON, a bare array, `[]` when empty). An empty text/occi collection has no
/// `X-OCCI-Location` field.
pub fn collection(media: Media, base: &str, entities: &[EntityView]) -> Response<Bytes> {
    let urls: Vec<Location> = entities
        .iter()
        .filter_map(|e| Location::new(&format!("{base}{}", e.location)).ok())
        .collect();
    match media {
        Media::Occi => response(
            StatusCode::OK,
            media.as_str(),
            text::occi::render_locations(&urls),
            Bytes::from_static(b"OK"),
        ),
        Media::Plain => response(
            StatusCode::OK,
            media.as_str(),
            HeaderMap::new(),
            Bytes::from(text::plain::render_locations(&urls)),
        ),
        Media::UriList => {
            let mut body = String::new();
            for u in &urls {
                body.push_str(u.as_str());
                body.push_str("\r\n");
            }
            response(
                StatusCode::OK,
                media.as_str(),
                HeaderMap::new(),
                Bytes::from(body),
            )
        }
        Media::Json => {
            let list: Vec<Entity> = entities.iter().map(EntityView::to_entity).collect();
            response(
                StatusCode::OK,
                media.as_str(),
                HeaderMap::new(),
                Bytes::from(json::pyssf::render_entities(&list)),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_pyssf_defaults() {
        assert_eq!(Media::negotiate(None), Some(Media::Plain));
        assert_eq!(Media::negotiate(Some("*/*")), Some(Media::Plain));
        assert_eq!(Media::negotiate(Some("text/occi")), Some(Media::Occi));
        assert_eq!(
            Media::negotiate(Some("image/png, application/occi+json;q=0.5")),
            Some(Media::Json)
        );
        assert_eq!(Media::negotiate(Some("image/png")), None);
    }

    #[test]
    fn requests_are_read_from_headers_and_plain_bodies() {
        let req = Request::builder()
            .method(Method::PUT)
            .uri("/orchestrator/default?action=deploy")
            .header(HOST, "127.0.0.1:9")
            .header("Category", format!("deploy; scheme=\"{SERVICE_SCHEME}\""))
            .header("X-OCCI-Attribute", "a=1, b=\"x y\", c=unquoted")
            .body(Bytes::from_static(b"X-OCCI-Attribute: d=\"body\"\r\n"))
            .unwrap();
        let incoming = Incoming::read(req).unwrap();
        assert_eq!(incoming.base, "http://127.0.0.1:9");
        assert_eq!(incoming.action(), Some("deploy"));
        let doc = incoming.document().unwrap();
        assert!(has_category(&doc, SERVICE_SCHEME, "deploy"));
        assert_eq!(
            attributes(&doc),
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "x y".to_owned()),
                ("c".to_owned(), "unquoted".to_owned()),
                ("d".to_owned(), "body".to_owned()),
            ]
        );
    }

    #[test]
    fn entities_render_every_value_quoted() {
        let view = EntityView {
            kind: format!("{SERVICE_SCHEME}orchestrator").parse().unwrap(),
            location: "/orchestrator/default".to_owned(),
            actions: vec![format!("{SERVICE_SCHEME}deploy").parse().unwrap()],
            attributes: vec![
                (
                    "occi.core.id".to_owned(),
                    "/orchestrator/default".to_owned(),
                ),
                ("n".to_owned(), "2".to_owned()),
            ],
        };
        let resp = entity(Media::Occi, StatusCode::OK, &view);
        let attrs = resp.headers()["x-occi-attribute"].to_str().unwrap();
        assert_eq!(attrs, "occi.core.id=\"/orchestrator/default\", n=\"2\"");
        let link = resp.headers()["link"].to_str().unwrap();
        assert_eq!(
            link,
            format!("</orchestrator/default?action=deploy>; rel=\"{SERVICE_SCHEME}deploy\"")
        );
        let json = entity(Media::Json, StatusCode::OK, &view);
        let v: serde_json::Value = serde_json::from_slice(json.body()).unwrap();
        assert_eq!(v["attributes"]["n"], "2");
    }
}
