//! The machinery of a mutant: the reference server, the wrapping service and small helpers
//! for rewriting requests and responses.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{Mixin, OcciVersion, Registry};
use occi_server::{InMemoryStore, Occi, SimulatedActions};

/// The base URL the reference server is built for and the suite is pointed at.
pub(crate) const BASE: &str = "http://occi.test:8080";

const OS_SCHEME: &str = "http://schemas.occi-rs.example/templates/os#";

/// The reference server.
pub(crate) type Server = Occi<InMemoryStore, SimulatedActions>;

/// A boxed response future.
pub(crate) type Reply = Pin<Box<dyn Future<Output = Response<Bytes>> + Send>>;

/// What a mutant does with a request: anything, given the reference server.
pub(crate) type Hook = Arc<dyn Fn(Server, Request<Bytes>) -> Reply + Send + Sync>;

/// The reference server as the self-test builds it: the infrastructure model with the CRTP
/// templates and two os templates, simulated actions.
pub(crate) fn reference(version: OcciVersion) -> Server {
    reference_at(version, BASE)
}

/// [`reference`] serving at `base` (its locations are absolute URLs under it).
pub(crate) fn reference_at(version: OcciVersion, base: &str) -> Server {
    let mut registry = Registry::new(version);
    infrastructure::register(&mut registry).unwrap();
    infrastructure::register_crtp_templates(&mut registry).unwrap();
    for term in ["debian-12", "ubuntu-24-04"] {
        registry
            .register_mixin(
                Mixin::new(format!("{OS_SCHEME}{term}").parse().unwrap())
                    .with_depends(infrastructure::os_tpl_id())
                    .with_location(format!("/templates/os/{term}/").parse().unwrap()),
            )
            .unwrap();
    }
    Occi::builder()
        .registry(registry)
        .actions(SimulatedActions)
        .base_url(base)
        .unwrap()
        .build()
        .unwrap()
}

/// A server bug: its name, what it does, the requirement ids it breaks per OCCI version
/// (`None`: not run against that version), and the hook.
#[derive(Clone)]
pub(crate) struct Mutant {
    pub(crate) name: &'static str,
    pub(crate) what: &'static str,
    pub(crate) v12: Option<&'static [&'static str]>,
    pub(crate) v11: Option<&'static [&'static str]>,
    pub(crate) hook: Hook,
}

impl Mutant {
    /// A mutant that runs against no version yet; see [`Mutant::both`], [`Mutant::v12`] and
    /// [`Mutant::v11`].
    pub(crate) fn new(name: &'static str, what: &'static str, hook: Hook) -> Self {
        Self {
            name,
            what,
            v12: None,
            v11: None,
            hook,
        }
    }

    /// Breaks `ids` under both versions.
    pub(crate) fn both(self, ids: &'static [&'static str]) -> Self {
        self.v12(ids).v11(ids)
    }

    /// Breaks `ids` under OCCI 1.2.
    pub(crate) fn v12(mut self, ids: &'static [&'static str]) -> Self {
        self.v12 = Some(ids);
        self
    }

    /// Breaks `ids` under OCCI 1.1.
    pub(crate) fn v11(mut self, ids: &'static [&'static str]) -> Self {
        self.v11 = Some(ids);
        self
    }

    /// The versions the mutant runs against.
    pub(crate) fn versions(&self) -> impl Iterator<Item = OcciVersion> {
        [
            self.v12.map(|_| OcciVersion::V1_2),
            self.v11.map(|_| OcciVersion::V1_1),
        ]
        .into_iter()
        .flatten()
    }

    /// The ids it breaks under `version`.
    pub(crate) fn breaks(&self, version: OcciVersion) -> &'static [&'static str] {
        match version {
            OcciVersion::V1_1 => self.v11.unwrap_or_default(),
            OcciVersion::V1_2 => self.v12.unwrap_or_default(),
        }
    }
}

/// The reference server wrapped by a hook, as a tower service.
#[derive(Clone)]
pub(crate) struct MutantService {
    occi: Server,
    hook: Hook,
}

impl MutantService {
    pub(crate) fn new(occi: Server, hook: Hook) -> Self {
        Self { occi, hook }
    }
}

impl tower_service::Service<Request<Full<Bytes>>> for MutantService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        let occi = self.occi.clone();
        let hook = Arc::clone(&self.hook);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = match body.collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(never) => match never {},
            };
            let response = hook(occi, Request::from_parts(parts, body)).await;
            Ok(response.map(Full::new))
        })
    }
}

/// The hook of the reference server itself.
pub(crate) fn identity() -> Hook {
    custom(|occi, request| async move { occi.handle(request).await })
}

/// A hook from an async function of the server and the request.
pub(crate) fn custom<F, Fut>(f: F) -> Hook
where
    F: Fn(Server, Request<Bytes>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Bytes>> + Send + 'static,
{
    Arc::new(move |occi, request| Box::pin(f(occi, request)))
}

/// What the mutant saw of a request, for deciding what to do with its response.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Seen {
    fn of(request: &Request<Bytes>) -> Self {
        Self {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().unwrap_or("").to_owned(),
            headers: request.headers().clone(),
            body: String::from_utf8_lossy(request.body()).into_owned(),
        }
    }

    /// The `Accept` header, or empty.
    pub(crate) fn accept(&self) -> &str {
        header(&self.headers, "accept")
    }

    pub(crate) fn is(&self, method: &Method) -> bool {
        self.method == *method
    }
}

/// The first value of a header, or empty.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A hook that rewrites the response, knowing the request.
pub(crate) fn response<F>(f: F) -> Hook
where
    F: Fn(&Seen, &mut Response<Bytes>) + Send + Sync + 'static,
{
    let f = Arc::new(f);
    custom(move |occi, request| {
        let f = Arc::clone(&f);
        async move {
            let seen = Seen::of(&request);
            let mut response = occi.handle(request).await;
            f(&seen, &mut response);
            response
        }
    })
}

/// A hook that rewrites the request before the server sees it.
pub(crate) fn request<F>(f: F) -> Hook
where
    F: Fn(&mut Request<Bytes>) + Send + Sync + 'static,
{
    let f = Arc::new(f);
    custom(move |occi, mut request| {
        let f = Arc::clone(&f);
        async move {
            f(&mut request);
            occi.handle(request).await
        }
    })
}

/// The body as text.
pub(crate) fn text(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}

/// Replaces the body, keeping `Content-Length` right.
pub(crate) fn set_body(response: &mut Response<Bytes>, body: impl Into<String>) {
    let body = Bytes::from(body.into());
    if response.headers().contains_key(CONTENT_LENGTH) {
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    *response.body_mut() = body;
}

/// Rewrites the body text.
pub(crate) fn edit_body(response: &mut Response<Bytes>, f: impl FnOnce(&str) -> String) {
    let new = f(&text(response));
    set_body(response, new);
}

/// Replaces the request body.
pub(crate) fn set_request_body(request: &mut Request<Bytes>, body: impl Into<String>) {
    let body = Bytes::from(body.into());
    if request.headers().contains_key(CONTENT_LENGTH) {
        request
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    *request.body_mut() = body;
}

/// The response's media type without parameters, lower-cased (empty if absent).
pub(crate) fn media_type(response: &Response<Bytes>) -> String {
    header(response.headers(), "content-type")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Sets a header field.
pub(crate) fn set_header(headers: &mut HeaderMap, name: &str, value: &str) {
    headers.insert(
        HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
        HeaderValue::from_str(value).expect("a valid header value"),
    );
}

/// Sets the status.
pub(crate) fn set_status(response: &mut Response<Bytes>, status: u16) {
    *response.status_mut() = StatusCode::from_u16(status).expect("a valid status");
}

/// Whether a response is text/plain.
pub(crate) fn is_plain(response: &Response<Bytes>) -> bool {
    media_type(response) == "text/plain"
}

/// Removes the `Content-Type`.
pub(crate) fn drop_content_type(response: &mut Response<Bytes>) {
    response.headers_mut().remove(CONTENT_TYPE);
}

/// The path of a URL (`http://h/compute/1` gives `/compute/1`); paths are kept.
pub(crate) fn path_only(url: &str) -> String {
    match url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    {
        Some(rest) => rest
            .find('/')
            .map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned()),
        None => url.to_owned(),
    }
}
