//! The typed client: [`Client`], its [`ClientBuilder`], and the [`Reply`] every operation
//! returns.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::header::{ACCEPT, ETAG, HeaderMap, HeaderName, HeaderValue, IF_MATCH, LOCATION};
use http::{Method, Request, Response, StatusCode};
use occi_model::{
    ActionInvocation, AttributeName, AttributeType, AttributeValue, Category, CategoryId, Entity,
    Link, Location, Mixin, NoEntities, OcciVersion, Registry,
};
use occi_render::media::MediaType;
use occi_render::{Deviation, DeviationKind, Filter, ParseOptions, Parsed};

use crate::auth::Auth;
use crate::discovery::build_registry;
use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind, Exchange, ExchangeResponse, redact};
use crate::rendering::{self, Body, Dialect, Format, Listing, note};
use crate::transport::{HttpTransport, Transport};

/// The `User-Agent` the client sends.
const USER_AGENT: &str = concat!("occi-client/", env!("CARGO_PKG_VERSION"));

/// What discovery asks for when no rendering is forced: GFD.225 JSON first (it types every
/// value), then the text renderings.
const DISCOVERY_ACCEPT: &str = "application/occi+json, text/plain;q=0.9, text/occi;q=0.8";

/// What an operation returns: the value, and what the response told besides.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The value.
    pub value: T,
    /// What lenient parsing forgave in the response (always empty in strict mode, except
    /// for repairs the client reports itself, such as quoted numbers read as numbers).
    pub deviations: Vec<Deviation>,
    /// The response status.
    pub status: StatusCode,
    /// The response's `ETag`, for a later conditional request.
    pub etag: Option<String>,
}

impl<T> Reply<T> {
    /// The value, dropping the rest.
    pub fn into_value(self) -> T {
        self.value
    }

    /// Applies `f` to the value, keeping the rest.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            value: f(self.value),
            deviations: self.deviations,
            status: self.status,
            etag: self.etag,
        }
    }
}

impl<T> std::ops::Deref for Reply<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// What discovery learnt about the server.
#[derive(Debug, Clone)]
pub struct ServerModel {
    /// The categories the server publishes, as a typed registry (core Kinds included).
    pub registry: Arc<Registry>,
    /// The rendering requests are written in and responses asked for.
    pub format: Format,
    /// The OCCI version the server claims (`Server: … OCCI/1.1`), 1.2 when it claims none.
    pub version: OcciVersion,
    /// The `Server` header, if any.
    pub server: Option<String>,
    /// The media types the server says it offers (its `Accept` response header), in its
    /// order; empty when it says nothing.
    pub offered: Vec<MediaType>,
}

/// How a collection is listed: a filter and the page size.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Categories and attribute values the entities must have (sent as text/occi header
    /// fields, H11 §3.4.3 / P12 §7).
    pub filter: Filter,
    /// Entries per page (P12 §6 `page`/`number`); `None` asks for everything at once.
    pub page_size: Option<u64>,
}

type Observer = Arc<dyn Fn(&Exchange) + Send + Sync>;

/// Builds a [`Client`].
pub struct ClientBuilder {
    endpoint: Endpoint,
    transport: Option<Arc<dyn Transport>>,
    auth: Auth,
    headers: HeaderMap,
    timeout: Option<Duration>,
    retries: u32,
    backoff: Duration,
    strict: bool,
    format: Option<Format>,
    validate: bool,
    observer: Option<Observer>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("strict", &self.strict)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The transport. Default: [`HttpTransport::new`] (proxies from the environment).
    #[must_use]
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// The credentials sent with every request. Default: none.
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// A header field sent with every request.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            Error::new(ErrorKind::Invalid, format!("{name:?} is not a header name"))
        })?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            Error::new(
                ErrorKind::Invalid,
                format!("the value of {name} is not a valid header value"),
            )
        })?;
        self.headers.append(name, value);
        Ok(self)
    }

    /// How long one attempt may take, connecting included. Default: 30 s.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How often an idempotent request (GET, HEAD, PUT, DELETE) is tried again after a
    /// transport error, a timeout or a 502/503/504, waiting `backoff`, then twice as long,
    /// and so on. POST is never retried. Default: 2 retries from 200 ms.
    #[must_use]
    pub fn retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }

    /// Strict parsing: responses must follow the grammar to the letter, and an incomplete
    /// query interface is an error. Default: lenient, with deviations reported.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Forces a rendering instead of choosing from what the server answers at discovery.
    #[must_use]
    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    /// Validates entities against the discovered registry before sending them (a failure
    /// is [`ErrorKind::Invalid`] and sends nothing). Default: off (the server decides).
    #[must_use]
    pub fn validate(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// Called with every exchange (credentials redacted), for logging or `--verbose`.
    #[must_use]
    pub fn observe(mut self, observer: impl Fn(&Exchange) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The client. Without a transport, an [`HttpTransport`] is made, which needs a tokio
    /// runtime to run requests.
    pub fn build(self) -> Client {
        Client {
            inner: Arc::new(Inner {
                endpoint: self.endpoint,
                transport: self
                    .transport
                    .unwrap_or_else(|| Arc::new(HttpTransport::new())),
                auth: self.auth,
                headers: self.headers,
                timeout: self.timeout,
                retries: self.retries,
                backoff: self.backoff,
                options: if self.strict {
                    ParseOptions::strict()
                } else {
                    ParseOptions::lenient()
                },
                format: self.format,
                validate: self.validate,
                observer: self.observer,
                model: RwLock::new(None),
            }),
        }
    }
}

struct Inner {
    endpoint: Endpoint,
    transport: Arc<dyn Transport>,
    auth: Auth,
    headers: HeaderMap,
    timeout: Option<Duration>,
    retries: u32,
    backoff: Duration,
    options: ParseOptions,
    format: Option<Format>,
    validate: bool,
    observer: Option<Observer>,
    model: RwLock<Option<Arc<ServerModel>>>,
}

/// A typed, async OCCI client. Cheap to clone (clones share the connection pool and the
/// discovered model).
///
/// The first operation that needs the server's model (a Kind's location, attribute types)
/// runs [`Client::discover`]; its result is kept until [`Client::define_mixin`] or
/// [`Client::remove_mixin`] changes the model, or [`Client::forget_model`] is called.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint)
            .field("transport", &self.inner.transport)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

/// A prepared request: everything but the attempt.
struct Call<'a> {
    method: Method,
    location: &'a str,
    query: Option<String>,
    body: Body,
    accept: Option<&'a str>,
    if_match: Option<&'a str>,
    extra: HeaderMap,
}

impl<'a> Call<'a> {
    fn new(method: Method, location: &'a str) -> Self {
        Self {
            method,
            location,
            query: None,
            body: Body::default(),
            accept: None,
            if_match: None,
            extra: HeaderMap::new(),
        }
    }
}

/// A response with the exchange it came from (for errors).
struct Answer {
    response: Response<Bytes>,
    exchange: Exchange,
}

impl Answer {
    fn etag(&self) -> Option<String> {
        self.response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    fn reply<T>(&self, value: T, deviations: Vec<Deviation>) -> Reply<T> {
        Reply {
            value,
            deviations,
            status: self.response.status(),
            etag: self.etag(),
        }
    }

    /// Fails unless the status is one of `accepted`, with the server's message.
    fn expect(self, accepted: &[StatusCode]) -> Result<Self, Error> {
        let status = self.response.status();
        if accepted.contains(&status) {
            return Ok(self);
        }
        Err(Error::status(status, server_message(&self.response)).with_exchange(self.exchange))
    }

    fn fail(&self, error: Error) -> Error {
        if error.has_exchange() {
            error
        } else {
            error.with_exchange(self.exchange.clone())
        }
    }
}

/// The server's message: a JSON error document's `message` (with its `details`), else the
/// body as text (at most 2000 characters; `OK` and empty bodies replaced by the status's
/// reason).
fn server_message(response: &Response<Bytes>) -> String {
    if let Ok(serde_json::Value::Object(document)) =
        serde_json::from_slice::<serde_json::Value>(response.body())
    {
        let error = document.get("error").unwrap_or(&serde_json::Value::Null);
        let error = if error.is_object() {
            error
        } else {
            &serde_json::Value::Object(document.clone())
        };
        if let Some(message) = error.get("message").and_then(serde_json::Value::as_str) {
            let mut out = message.to_owned();
            if let Some(details) = error.get("details").and_then(serde_json::Value::as_array) {
                for detail in details {
                    out.push_str("\n  ");
                    match detail.as_str() {
                        Some(text) => out.push_str(text),
                        None => out.push_str(&detail.to_string()),
                    }
                }
            }
            return out;
        }
    }
    let text = String::from_utf8_lossy(response.body());
    let text = text.trim();
    if text.is_empty() || text == "OK" {
        return response
            .status()
            .canonical_reason()
            .unwrap_or("no message")
            .to_owned();
    }
    let mut message: String = text.chars().take(2000).collect();
    if message.len() < text.len() {
        message.push('…');
    }
    message
}

const OK: StatusCode = StatusCode::OK;
const CREATED: StatusCode = StatusCode::CREATED;
const ACCEPTED: StatusCode = StatusCode::ACCEPTED;
const NO_CONTENT: StatusCode = StatusCode::NO_CONTENT;

impl Client {
    /// A builder for a client of the endpoint at `url` (`http://host:port`, with an optional
    /// base path).
    pub fn builder(url: &str) -> Result<ClientBuilder, Error> {
        Ok(ClientBuilder {
            endpoint: Endpoint::parse(url)?,
            transport: None,
            auth: Auth::None,
            headers: HeaderMap::new(),
            timeout: Some(Duration::from_secs(30)),
            retries: 2,
            backoff: Duration::from_millis(200),
            strict: false,
            format: None,
            validate: false,
            observer: None,
        })
    }

    /// A client of `url` with the defaults.
    pub fn new(url: &str) -> Result<Self, Error> {
        Ok(Self::builder(url)?.build())
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The parse options responses are read with.
    pub fn parse_options(&self) -> &ParseOptions {
        &self.inner.options
    }

    // ----- sending -----

    /// The header fields of a call: user agent, configured fields, credentials, `Accept`,
    /// `If-Match`, the call's own and the body's.
    fn headers(&self, call: &Call<'_>) -> Result<HeaderMap, Error> {
        let inner = &*self.inner;
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::USER_AGENT,
            HeaderValue::from_static(USER_AGENT),
        );
        for (name, value) in &inner.headers {
            headers.append(name, value.clone());
        }
        inner.auth.apply(&mut headers)?;
        if let Some(accept) = call.accept {
            headers.insert(
                ACCEPT,
                HeaderValue::from_str(accept)
                    .map_err(|_| Error::new(ErrorKind::Invalid, "invalid Accept value"))?,
            );
        }
        if let Some(etag) = call.if_match {
            headers.insert(
                IF_MATCH,
                HeaderValue::from_str(etag)
                    .map_err(|_| Error::new(ErrorKind::Invalid, "invalid ETag for If-Match"))?,
            );
        }
        for (name, value) in &call.extra {
            headers.append(name, value.clone());
        }
        for (name, value) in &call.body.headers {
            headers.append(name, value.clone());
        }
        Ok(headers)
    }

    async fn send(&self, call: Call<'_>) -> Result<Answer, Error> {
        let inner = &*self.inner;
        let mut url = inner.endpoint.url(call.location)?.to_string();
        if let Some(query) = &call.query {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(query);
        }
        let uri: http::Uri = url
            .parse()
            .map_err(|_| Error::new(ErrorKind::Invalid, format!("{url:?} is not a valid URL")))?;
        let headers = self.headers(&call)?;
        let idempotent = matches!(
            call.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        let attempts = if idempotent { inner.retries + 1 } else { 1 };
        let mut wait = inner.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = Request::new(call.body.bytes.clone());
            *request.method_mut() = call.method.clone();
            *request.uri_mut() = uri.clone();
            *request.headers_mut() = headers.clone();
            let mut exchange = Exchange {
                method: call.method.clone(),
                url: url.clone(),
                request_headers: redact(&headers),
                request_body: call.body.bytes.clone(),
                response: None,
            };
            let outcome = match inner.timeout {
                Some(limit) => {
                    match tokio::time::timeout(limit, inner.transport.send(request)).await {
                        Ok(outcome) => outcome,
                        Err(_) => Err(Error::new(
                            ErrorKind::Timeout,
                            format!("no complete response within {} ms", limit.as_millis()),
                        )),
                    }
                }
                None => inner.transport.send(request).await,
            };
            let retry = match &outcome {
                Ok(response) => matches!(
                    response.status(),
                    StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                ),
                Err(e) => matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout),
            };
            if let Ok(response) = &outcome {
                exchange.response = Some(ExchangeResponse {
                    status: response.status(),
                    headers: response.headers().clone(),
                    body: response.body().clone(),
                });
            }
            if let Some(observer) = &inner.observer {
                observer(&exchange);
            }
            if retry && attempt < attempts {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
                continue;
            }
            return match outcome {
                Ok(response) => Ok(Answer { response, exchange }),
                Err(error) => Err(error.with_exchange(exchange)),
            };
        }
    }

    // ----- discovery -----

    /// Reads the query interface into a typed registry and chooses the rendering: what the
    /// server answers to an `Accept` that prefers GFD.225 JSON, or the forced one. A server
    /// that says `pyssf` in its `Server` header, or answers JSON as an array, speaks the
    /// [`Dialect::PySsf`].
    pub async fn discover(&self) -> Result<Reply<Arc<ServerModel>>, Error> {
        let qi = self.inner.endpoint.query_interface();
        let forced = self.inner.format;
        let accept = forced.map_or(DISCOVERY_ACCEPT, |f| match f.media_type {
            // The query interface is no listing.
            MediaType::UriList => MediaType::TextPlain.as_str(),
            m => m.as_str(),
        });
        let mut call = Call::new(Method::GET, &qi);
        call.accept = Some(accept);
        let mut answer = self.send(call).await?;
        if forced.is_none()
            && matches!(
                answer.response.status(),
                StatusCode::BAD_REQUEST | StatusCode::NOT_ACCEPTABLE
            )
        {
            // Some peers refuse a list in Accept: ask for their default.
            answer = self.send(Call::new(Method::GET, &qi)).await?;
        }
        let answer = answer.expect(&[OK])?;
        let server = answer
            .response
            .headers()
            .get(http::header::SERVER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let claims = |token: &str| server.as_deref().is_some_and(|s| s.contains(token));
        let version = if claims("OCCI/1.1") {
            OcciVersion::V1_1
        } else {
            OcciVersion::V1_2
        };
        let pyssf = server
            .as_deref()
            .is_some_and(|s| s.to_ascii_lowercase().contains("pyssf"));
        let answered = answer
            .response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| occi_render::media::parse_content_type(v).ok())
            .map_or(MediaType::TextPlain, |c| c.media_type);
        let offered = offered_types(answer.response.headers());
        let probe = forced.unwrap_or(Format {
            media_type: answered,
            dialect: if pyssf { Dialect::PySsf } else { Dialect::Occi },
        });
        let options = self.inner.options.with_version(version);
        let (parsed, dialect) = rendering::decode_categories(probe, &answer.response, &options)
            .map_err(|e| answer.fail(e))?;
        let dialect = if pyssf { Dialect::PySsf } else { dialect };
        let format = choose_format(forced, dialect, answered);
        let (registry, notes) = build_registry(
            version,
            parsed.value,
            &self.inner.endpoint,
            self.inner.options.is_strict(),
        )
        .map_err(|e| answer.fail(e))?;
        let model = Arc::new(ServerModel {
            registry: Arc::new(registry),
            format,
            version,
            server,
            offered,
        });
        *self
            .inner
            .model
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::clone(&model));
        let mut deviations = parsed.deviations;
        deviations.extend(notes);
        Ok(answer.reply(model, deviations))
    }

    /// The server's model: the one discovered before, or a new discovery.
    pub async fn model(&self) -> Result<Arc<ServerModel>, Error> {
        let known = self
            .inner
            .model
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match known {
            Some(model) => Ok(model),
            None => Ok(self.discover().await?.value),
        }
    }

    /// Drops the discovered model; the next operation that needs it discovers again.
    pub fn forget_model(&self) {
        *self
            .inner
            .model
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    fn options(&self, model: &ServerModel) -> ParseOptions {
        self.inner.options.with_version(model.version)
    }

    /// What entity operations ask for: the model's rendering (text/plain for a forced
    /// text/uri-list, which renders only listings).
    fn accept(model: &ServerModel) -> &'static str {
        match model.format.media_type {
            MediaType::UriList => MediaType::TextPlain.as_str(),
            m => m.as_str(),
        }
    }

    /// What listings ask for: text/uri-list when JSON is the rendering (GFD.225 collections
    /// do not give the entities' locations) and the server offers it, else the rendering.
    fn listing_accept(model: &ServerModel) -> &'static str {
        let uri_list_offered =
            model.offered.is_empty() || model.offered.contains(&MediaType::UriList);
        match model.format.media_type {
            MediaType::OcciJson if uri_list_offered => "text/uri-list, application/occi+json;q=0.5",
            MediaType::Json if uri_list_offered => "text/uri-list, application/json;q=0.5",
            m => m.as_str(),
        }
    }

    /// The location of a Kind or Mixin's collection.
    pub async fn collection_of(&self, category: &CategoryId) -> Result<Location, Error> {
        let model = self.model().await?;
        model
            .registry
            .get(category)
            .and_then(Category::location)
            .cloned()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Invalid,
                    format!("the server publishes no collection for {category}"),
                )
            })
    }

    // ----- entities -----

    /// Reads an entity. Its location is the one asked for when the rendering does not give
    /// it; quoted numbers and booleans (PySSF quotes every value) become numbers and booleans
    /// where the registry types the attribute, each reported as a deviation.
    pub async fn get(&self, location: &Location) -> Result<Reply<Entity>, Error> {
        let model = self.model().await?;
        let mut call = Call::new(Method::GET, location.as_str());
        call.accept = Some(Self::accept(&model));
        let answer = self.send(call).await?.expect(&[OK])?;
        let entity = self
            .read_entity(&model, &answer, Some(location))
            .map_err(|e| answer.fail(e))?;
        Ok(answer.reply(entity.value, entity.deviations))
    }

    fn read_entity(
        &self,
        model: &ServerModel,
        answer: &Answer,
        location: Option<&Location>,
    ) -> Result<Parsed<Entity>, Error> {
        let mut parsed = rendering::decode_entity(
            model.format,
            &answer.response,
            &self.options(model),
            Some(&model.registry),
        )?;
        coerce(&mut parsed, &model.registry);
        let endpoint = &self.inner.endpoint;
        let entity = &mut parsed.value;
        let place = match entity {
            Entity::Resource(r) => &mut r.location,
            Entity::Link(l) => &mut l.location,
        };
        *place = place
            .take()
            .map(|l| endpoint.relativize(l))
            .or_else(|| location.cloned());
        Ok(parsed)
    }

    fn check(&self, model: &ServerModel, entity: &Entity) -> Result<(), Error> {
        if self.inner.validate {
            let mut candidate = entity.clone();
            model
                .registry
                .validate_create(&mut candidate, &NoEntities)?;
        }
        Ok(())
    }

    /// The `Location` of a create's response, else the location of the entity rendered in
    /// it, else `fallback`.
    fn created_location(
        &self,
        model: &ServerModel,
        answer: &Answer,
        fallback: Option<&Location>,
    ) -> Result<Parsed<Location>, Error> {
        let header = answer
            .response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|v| Location::new(v.trim()));
        match header {
            Some(Ok(location)) => {
                return Ok(Parsed::clean(self.inner.endpoint.relativize(location)));
            }
            Some(Err(e)) => {
                return Err(Error::new(
                    ErrorKind::Parse,
                    format!("the Location header is not a location: {e}"),
                ));
            }
            None => {}
        }
        if rendering::has_entity(model.format, &answer.response) {
            let entity = self.read_entity(model, answer, fallback)?;
            if let Some(location) = entity.value.location() {
                return Ok(Parsed {
                    value: location.clone(),
                    deviations: entity.deviations,
                });
            }
        }
        fallback.cloned().map(Parsed::clean).ok_or_else(|| {
            Error::new(
                ErrorKind::Parse,
                "the server created the entity but did not say where (no Location header)",
            )
        })
    }

    /// Creates an entity in its Kind's collection (`POST`); returns where the server put it.
    pub async fn create(&self, entity: &Entity) -> Result<Reply<Location>, Error> {
        let model = self.model().await?;
        let collection = self.collection_of(entity.kind()).await?;
        self.check(&model, entity)?;
        let mut call = Call::new(Method::POST, collection.as_str());
        call.accept = Some(Self::accept(&model));
        call.body = rendering::encode_entity(model.format, entity);
        let answer = self
            .send(call)
            .await?
            .expect(&[CREATED, OK, ACCEPTED, NO_CONTENT])?;
        let location = self
            .created_location(&model, &answer, None)
            .map_err(|e| answer.fail(e))?;
        Ok(answer.reply(location.value, location.deviations))
    }

    /// Creates an entity at a chosen location (`PUT`); PySSF answers 200 rather than 201.
    pub async fn create_at(
        &self,
        location: &Location,
        entity: &Entity,
    ) -> Result<Reply<Location>, Error> {
        let model = self.model().await?;
        self.check(&model, entity)?;
        let mut call = Call::new(Method::PUT, location.as_str());
        call.accept = Some(Self::accept(&model));
        call.body = rendering::encode_entity(model.format, entity);
        let answer = self
            .send(call)
            .await?
            .expect(&[CREATED, OK, ACCEPTED, NO_CONTENT])?;
        let location = self
            .created_location(&model, &answer, Some(location))
            .map_err(|e| answer.fail(e))?;
        Ok(answer.reply(location.value, location.deviations))
    }

    /// Creates a standalone Link of `kind` from `source` to `target`, with `attributes`.
    pub async fn link(
        &self,
        kind: CategoryId,
        source: &Location,
        target: &Location,
        attributes: Vec<(AttributeName, AttributeValue)>,
    ) -> Result<Reply<Location>, Error> {
        let mut link = Link::new(kind);
        link.source = Some(source.clone());
        link.target = Some(target.clone());
        link.attributes.extend(attributes);
        self.create(&Entity::Link(link)).await
    }

    async fn write(
        &self,
        method: Method,
        location: &Location,
        body: Body,
        if_match: Option<&str>,
    ) -> Result<Reply<Option<Entity>>, Error> {
        let model = self.model().await?;
        let mut call = Call::new(method, location.as_str());
        call.accept = Some(Self::accept(&model));
        call.body = body;
        call.if_match = if_match;
        let answer = self
            .send(call)
            .await?
            .expect(&[OK, CREATED, ACCEPTED, NO_CONTENT])?;
        if answer.response.status() == OK && rendering::has_entity(model.format, &answer.response) {
            let entity = self
                .read_entity(&model, &answer, Some(location))
                .map_err(|e| answer.fail(e))?;
            Ok(answer.reply(Some(entity.value), entity.deviations))
        } else {
            Ok(answer.reply(None, Vec::new()))
        }
    }

    /// A partial update (`POST` to the entity, H11 §3.4.4 / P12 §4.4.2): the attributes and
    /// mixins given are changed, the rest kept. Returns the entity if the server renders it.
    pub async fn update(
        &self,
        location: &Location,
        entity: &Entity,
    ) -> Result<Reply<Option<Entity>>, Error> {
        self.update_if_match(location, entity, None).await
    }

    /// [`Client::update`] only if the entity still has the `ETag` given (else 412, an
    /// [`ErrorKind::Status`] error).
    pub async fn update_if_match(
        &self,
        location: &Location,
        entity: &Entity,
        etag: Option<&str>,
    ) -> Result<Reply<Option<Entity>>, Error> {
        let model = self.model().await?;
        let body = rendering::encode_entity(model.format, entity);
        self.write(Method::POST, location, body, etag).await
    }

    /// A partial update naming attributes only. Text renderings send just the attributes
    /// (what PySSF and Hurtle's SO expect); JSON needs the Kind, which is read first.
    pub async fn update_attributes(
        &self,
        location: &Location,
        attributes: Vec<(AttributeName, AttributeValue)>,
    ) -> Result<Reply<Option<Entity>>, Error> {
        let model = self.model().await?;
        let kind = if matches!(
            model.format.media_type,
            MediaType::OcciJson | MediaType::Json
        ) {
            self.get(location).await?.value.kind().clone()
        } else {
            occi_model::ext::core::resource_id()
        };
        let mut resource = occi_model::Resource::new(kind);
        resource.attributes.extend(attributes);
        let body = rendering::encode_attributes(model.format, &Entity::Resource(resource));
        self.write(Method::POST, location, body, None).await
    }

    /// Replaces an entity (`PUT` to an existing location); PySSF answers 200.
    pub async fn replace(
        &self,
        location: &Location,
        entity: &Entity,
    ) -> Result<Reply<Option<Entity>>, Error> {
        self.replace_if_match(location, entity, None).await
    }

    /// [`Client::replace`] only if the entity still has the `ETag` given.
    pub async fn replace_if_match(
        &self,
        location: &Location,
        entity: &Entity,
        etag: Option<&str>,
    ) -> Result<Reply<Option<Entity>>, Error> {
        let model = self.model().await?;
        self.check(&model, entity)?;
        let body = rendering::encode_entity(model.format, entity);
        self.write(Method::PUT, location, body, etag).await
    }

    /// Deletes an entity, or every entity of a collection.
    pub async fn delete(&self, location: &Location) -> Result<Reply<()>, Error> {
        self.delete_if_match(location, None).await
    }

    /// [`Client::delete`] only if the entity still has the `ETag` given.
    pub async fn delete_if_match(
        &self,
        location: &Location,
        etag: Option<&str>,
    ) -> Result<Reply<()>, Error> {
        let mut call = Call::new(Method::DELETE, location.as_str());
        call.if_match = etag;
        let answer = self.send(call).await?.expect(&[OK, ACCEPTED, NO_CONTENT])?;
        Ok(answer.reply((), Vec::new()))
    }

    /// Triggers an action on an entity or on every entity of a collection (`POST
    /// <location>?action=<term>`). Returns the entity if the server renders it.
    pub async fn trigger(
        &self,
        location: &Location,
        invocation: &ActionInvocation,
    ) -> Result<Reply<Option<Entity>>, Error> {
        let model = self.model().await?;
        let mut call = Call::new(Method::POST, location.as_str());
        call.query = Some(format!("action={}", invocation.action.term()));
        call.accept = Some(Self::accept(&model));
        call.body = rendering::encode_action(model.format, invocation);
        let answer = self
            .send(call)
            .await?
            .expect(&[OK, CREATED, ACCEPTED, NO_CONTENT])?;
        if answer.response.status() == OK
            && !location.is_collection()
            && rendering::has_entity(model.format, &answer.response)
        {
            let entity = self
                .read_entity(&model, &answer, Some(location))
                .map_err(|e| answer.fail(e))?;
            Ok(answer.reply(Some(entity.value), entity.deviations))
        } else {
            Ok(answer.reply(None, Vec::new()))
        }
    }

    // ----- collections -----

    async fn page(
        &self,
        location: &Location,
        options: &ListOptions,
        page: Option<u64>,
    ) -> Result<Parsed<Listing>, Error> {
        let model = self.model().await?;
        let mut call = Call::new(Method::GET, location.as_str());
        call.accept = Some(Self::listing_accept(&model));
        if let (Some(number), Some(page)) = (options.page_size, page) {
            call.query = Some(format!("page={page}&number={number}"));
        }
        if !options.filter.is_empty() {
            call.extra = rendering::encode_filter(&options.filter, Some(&model.registry));
        }
        let answer = self.send(call).await?.expect(&[OK, NO_CONTENT])?;
        let mut parsed =
            rendering::decode_listing(model.format, &answer.response, &self.options(&model))
                .map_err(|e| answer.fail(e))?;
        let endpoint = &self.inner.endpoint;
        match &mut parsed.value {
            Listing::Locations(locations) => {
                for l in locations.iter_mut() {
                    *l = endpoint.relativize(l.clone());
                }
            }
            Listing::Entities(entities) => {
                for e in entities.iter_mut() {
                    let place = match e {
                        Entity::Resource(r) => &mut r.location,
                        Entity::Link(l) => &mut l.location,
                    };
                    if let Some(l) = place.take() {
                        *place = Some(endpoint.relativize(l));
                    }
                }
            }
        }
        Ok(parsed)
    }

    /// Lists a collection (a Kind's, a Mixin's, or any path ending with `/`), lazily, page
    /// by page when `options.page_size` is set. A server that ignores pagination (a page
    /// larger than asked for, or the same page again) is read once.
    pub fn list(
        &self,
        location: &Location,
        options: ListOptions,
    ) -> impl Stream<Item = Result<Location, Error>> + Send + 'static {
        let pages = Pages::new(self.clone(), location.clone(), options);
        futures_util::stream::unfold(pages, |mut pages| async move {
            loop {
                if let Some(item) = pages.buffer.pop_front() {
                    let location = match item {
                        Listed::Location(l) => Ok(l),
                        Listed::Entity(e) => entity_location(&e),
                    };
                    return Some((location, pages));
                }
                match pages.next_page().await {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => {
                        pages.done = true;
                        return Some((Err(e), pages));
                    }
                }
            }
        })
    }

    /// Lists a collection's entities, lazily: each listed location read in turn (so that
    /// every entity comes with its location, which GFD.225 collections leave out).
    pub fn list_entities(
        &self,
        location: &Location,
        options: ListOptions,
    ) -> impl Stream<Item = Result<Entity, Error>> + Send + 'static {
        let client = self.clone();
        futures_util::StreamExt::then(self.list(location, options), move |listed| {
            let client = client.clone();
            async move { client.get(&listed?).await.map(Reply::into_value) }
        })
    }

    // ----- mixins -----

    async fn membership(
        &self,
        method: Method,
        mixin: &CategoryId,
        members: &[Location],
    ) -> Result<Reply<()>, Error> {
        let model = self.model().await?;
        let collection = self.collection_of(mixin).await?;
        let mut call = Call::new(method, collection.as_str());
        call.body = rendering::encode_locations(model.format, members);
        let answer = self
            .send(call)
            .await?
            .expect(&[OK, CREATED, ACCEPTED, NO_CONTENT])?;
        Ok(answer.reply((), Vec::new()))
    }

    /// Associates entities with a Mixin (`POST` to its collection).
    pub async fn add_to_mixin(
        &self,
        mixin: &CategoryId,
        members: &[Location],
    ) -> Result<Reply<()>, Error> {
        self.membership(Method::POST, mixin, members).await
    }

    /// Dissociates entities from a Mixin (`DELETE` on its collection with their locations).
    pub async fn remove_from_mixin(
        &self,
        mixin: &CategoryId,
        members: &[Location],
    ) -> Result<Reply<()>, Error> {
        self.membership(Method::DELETE, mixin, members).await
    }

    /// Makes exactly `members` the Mixin's entities (`PUT` to its collection).
    pub async fn replace_mixin_members(
        &self,
        mixin: &CategoryId,
        members: &[Location],
    ) -> Result<Reply<()>, Error> {
        self.membership(Method::PUT, mixin, members).await
    }

    /// Defines a user Mixin (`POST` to the query interface); it needs a location. The model
    /// is discovered again on next use.
    pub async fn define_mixin(&self, mixin: &Mixin) -> Result<Reply<()>, Error> {
        let model = self.model().await?;
        let qi = self.inner.endpoint.query_interface();
        let mut call = Call::new(Method::POST, &qi);
        call.body = rendering::encode_categories(model.format, &[Category::Mixin(mixin.clone())]);
        let answer = self.send(call).await?.expect(&[OK, CREATED, NO_CONTENT])?;
        self.forget_model();
        Ok(answer.reply((), Vec::new()))
    }

    /// Deletes a user Mixin (`DELETE` on the query interface). The model is discovered again
    /// on next use.
    pub async fn remove_mixin(&self, mixin: &CategoryId) -> Result<Reply<()>, Error> {
        let model = self.model().await?;
        let category = model.registry.get(mixin).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Invalid,
                format!("the server publishes no mixin {mixin}"),
            )
        })?;
        let qi = self.inner.endpoint.query_interface();
        let mut call = Call::new(Method::DELETE, &qi);
        call.body = rendering::encode_categories(model.format, &[category]);
        let answer = self.send(call).await?.expect(&[OK, ACCEPTED, NO_CONTENT])?;
        self.forget_model();
        Ok(answer.reply((), Vec::new()))
    }
}

/// The rendering to speak: a forced media type keeps the dialect the server turned out to
/// speak; else PySSF gets text/occi (its JSON is lossy) and any other server the rendering
/// it answered discovery in.
fn choose_format(forced: Option<Format>, dialect: Dialect, answered: MediaType) -> Format {
    match forced {
        Some(f) => Format {
            media_type: f.media_type,
            dialect: if dialect == Dialect::PySsf {
                Dialect::PySsf
            } else {
                f.dialect
            },
        },
        None => match dialect {
            Dialect::PySsf => Format {
                media_type: MediaType::TextOcci,
                dialect,
            },
            _ => Format {
                media_type: match answered {
                    MediaType::UriList => MediaType::TextPlain,
                    m => m,
                },
                dialect,
            },
        },
    }
}

/// The media types a response's `Accept` header fields advertise.
fn offered_types(headers: &HeaderMap) -> Vec<MediaType> {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|m| occi_render::media::parse_content_type(m.trim()).ok())
        .map(|c| c.media_type)
        .collect()
}

fn entity_location(entity: &Entity) -> Result<Location, Error> {
    if let Some(location) = entity.location() {
        return Ok(location.clone());
    }
    entity
        .id()
        .and_then(|id| Location::new(id.as_str()).ok())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Parse,
                "a listed entity has neither a location nor an id that is one",
            )
        })
}

/// Reads quoted numbers and booleans as the registry types them.
fn coerce(parsed: &mut Parsed<Entity>, registry: &Registry) {
    let kind = parsed.value.kind().clone();
    let mixins = parsed.value.mixins().to_vec();
    let definitions = registry.effective_attributes(&kind, &mixins);
    let mut notes = Vec::new();
    for (name, value) in parsed.value.attributes_mut().iter_mut() {
        let AttributeValue::String(text) = value else {
            continue;
        };
        let Some(definition) = definitions.iter().find(|d| &d.name == name) else {
            continue;
        };
        let typed = match definition.ty {
            AttributeType::Integer => text.trim().parse().ok().map(AttributeValue::Integer),
            AttributeType::Float => text.trim().parse().ok().and_then(AttributeValue::float),
            AttributeType::Boolean => match text.trim() {
                "true" => Some(AttributeValue::Bool(true)),
                "false" => Some(AttributeValue::Bool(false)),
                _ => None,
            },
            _ => None,
        };
        if let Some(typed) = typed {
            notes.push(note(
                DeviationKind::QuotedValue,
                format!(
                    "{name}: the {} value {text:?} arrived quoted; read as a {}",
                    definition.ty.describe(),
                    typed.type_name()
                ),
            ));
            *value = typed;
        }
    }
    parsed.deviations.extend(notes);
}

enum Listed {
    Location(Location),
    Entity(Box<Entity>),
}

/// The state of a lazy listing.
struct Pages {
    client: Client,
    location: Location,
    options: ListOptions,
    next: u64,
    buffer: VecDeque<Listed>,
    previous_first: Option<String>,
    done: bool,
}

impl Pages {
    fn new(client: Client, location: Location, options: ListOptions) -> Self {
        Self {
            client,
            location,
            options,
            next: 1,
            buffer: VecDeque::new(),
            previous_first: None,
            done: false,
        }
    }

    /// Fetches the next page into the buffer; `false` when there is none.
    async fn next_page(&mut self) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        let paged = self.options.page_size.is_some();
        let parsed = self
            .client
            .page(&self.location, &self.options, paged.then_some(self.next))
            .await?;
        let items: Vec<Listed> = match parsed.value {
            Listing::Locations(l) => l.into_iter().map(Listed::Location).collect(),
            Listing::Entities(e) => e.into_iter().map(|e| Listed::Entity(Box::new(e))).collect(),
        };
        let first = items.first().map(|i| match i {
            Listed::Location(l) => l.to_string(),
            Listed::Entity(e) => format!("{:?}{:?}", e.location(), e.id()),
        });
        let size = self.options.page_size.unwrap_or(u64::MAX);
        let count = items.len() as u64;
        if !paged || count < size || count > size {
            // Everything at once, the last page, or a server ignoring pagination.
            self.done = true;
        }
        if paged && first.is_some() && first == self.previous_first {
            // The same page again: pagination is ignored and everything was read.
            self.done = true;
            return Ok(false);
        }
        self.previous_first = first;
        self.next += 1;
        let any = !items.is_empty();
        self.buffer.extend(items);
        Ok(any)
    }
}
