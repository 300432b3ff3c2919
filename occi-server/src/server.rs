//! The WSGI-like core: [`Occi`] turns an `http::Request<Bytes>` into an
//! `http::Response<Bytes>` and never fails.
//!
//! Every request goes through the same stages, and every check happens before anything is
//! changed:
//!
//! 1. limits (target length, header count and size), the client's OCCI version (501 for a
//!    newer one), the path and the query string;
//! 2. the method against what the path allows (405 with `Allow`);
//! 3. content negotiation of the response (406; `text/uri-list` for something that is not
//!    a listing is 400);
//! 4. reading the request (415 for an unsupported `Content-Type`, 400 with positioned
//!    diagnostics for a malformed body);
//! 5. validation against the registry (400, or 409 for an action that does not apply in
//!    the entity's current state) and against the store (404 for unknown locations);
//! 6. one atomic commit to the store, retried when a concurrent request got there first.
//!
//! # Decisions where the specifications leave room
//!
//! * **Locations.** `Location` headers, `X-OCCI-Location` values and `text/uri-list`
//!   listings are absolute URLs (base URL from the configuration, else from the request's
//!   `Host`, per request, never stored); entity renderings use paths. Incoming absolute URLs
//!   under the base URL are turned back into paths.
//! * **Ids.** The server gives every entity an `urn:uuid:` id and serves it at
//!   `<kind location><uuid>`. A client may propose an id that no entity holds (409
//!   otherwise): with POST it must be an `urn:uuid:` id, which then names the location too
//!   (400 otherwise); with PUT to a chosen path any URI will do.
//! * **Unsupported `Content-Type`** is 415 (correct HTTP; OCCI lists no code, spec §0.3).
//!   A body without `Content-Type` is read as text/plain in OCCI 1.1 and refused (400) in
//!   OCCI 1.2. OCCI data in request headers is read when the body is empty.
//! * **Collections.** A Kind's collection holds the entities of that Kind and of the Kinds
//!   below it. An unbound path ending with `/` lists what lies below it, and is 404 when
//!   nothing does (the root excepted). A query-interface filter naming an unknown Category
//!   is 404. Pagination is 1-based (`page=1` is the first page); `number` above the
//!   configured maximum is 413. Several filters combine with AND.
//! * **Deleting** a resource deletes the links it owns and the links that point at it, in
//!   the same commit, so nothing dangles. `DELETE /` is not allowed (405): the root never
//!   wipes the server. `DELETE` on a Mixin collection without locations is 400 (the
//!   specifications disagree on what it means).
//! * **Creating** at a Kind's location requires that Kind (400 otherwise); `PUT` to a new
//!   path requires the path to lie directly under the location of the entity's Kind.

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use occi_model::{
    ActionInvocation, Category, CategoryClass, CategoryId, Entity, EntityId, Location, Mixin,
    OcciVersion, Origin, Registry, UpdateMode,
};
use occi_render::media::{self, MediaType};
use occi_render::{Filter, ParseError, ParseOptions, Parsed, json, text, uri_list};

use crate::action::{ActionHandler, NotImplemented};
use crate::config::{Config, ConfigError, normalise_base_url};
use crate::error::Failure;
use crate::route::{self, QueryParams, Target};
use crate::store::{Change, Expect, InMemoryStore, Scan, Scope, Store, Stored};

/// How many times a request is retried when a concurrent request changed what it read.
const COMMIT_ATTEMPTS: usize = 4;

/// The OCCI server core.
///
/// `handle` takes a buffered request and returns a buffered response; it needs no runtime,
/// socket or framework, and it never fails: every problem is an OCCI error response. Clone it
/// freely (it is a handle to shared state); [`crate::OcciService`] adapts it to tower.
///
/// ```
/// use bytes::Bytes;
/// use occi_server::Occi;
/// use occi_server::occi_model::{OcciVersion, Registry, ext::infrastructure};
///
/// let mut registry = Registry::new(OcciVersion::V1_2);
/// infrastructure::register(&mut registry)?;
/// let occi = Occi::builder().registry(registry).build()?;
/// let request = http::Request::get("/-/").body(Bytes::new())?;
/// let response = futures_lite_block_on(occi.handle(request));
/// assert_eq!(response.status(), 200);
/// assert!(String::from_utf8_lossy(response.body()).contains("Category: compute;"));
/// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
/// #         std::task::Poll::Ready(v) => v,
/// #         std::task::Poll::Pending => unreachable!("the in-memory store is always ready"),
/// #     }
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Occi<S, A = NotImplemented> {
    shared: Arc<Shared<S, A>>,
}

impl<S, A> Clone for Occi<S, A> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

#[derive(Debug)]
struct Shared<S, A> {
    config: Config,
    /// `Server` (with the `OCCI/x.y` token) and `Accept` (the media types offered): the same
    /// on every response, so built once.
    server_header: HeaderValue,
    accept_header: HeaderValue,
    /// Copy-on-write: a request takes the current `Arc` and keeps a consistent view; the
    /// query interface swaps in a new registry when user Mixins change.
    registry: RwLock<Arc<Registry>>,
    store: S,
    actions: A,
}

/// Builds an [`Occi`]: registry, store, action handler, base URL, renderings, limits.
#[derive(Debug)]
pub struct OcciBuilder<S, A> {
    registry: Option<Registry>,
    store: S,
    actions: A,
    config: Config,
}

impl Occi<InMemoryStore, NotImplemented> {
    /// A builder with an OCCI 1.2 core registry, an [`InMemoryStore`], actions that answer
    /// "not implemented", and the default configuration.
    pub fn builder() -> OcciBuilder<InMemoryStore, NotImplemented> {
        OcciBuilder {
            registry: None,
            store: InMemoryStore::new(),
            actions: NotImplemented,
            config: Config::default(),
        }
    }
}

impl<S, A> OcciBuilder<S, A> {
    /// The categories to serve (its OCCI version decides the server's behaviour and the
    /// `OCCI/x.y` token of the `Server` header). Default: the OCCI 1.2 core Kinds.
    #[must_use]
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The store. Default: an empty [`InMemoryStore`].
    pub fn store<S2: Store>(self, store: S2) -> OcciBuilder<S2, A> {
        OcciBuilder {
            registry: self.registry,
            store,
            actions: self.actions,
            config: self.config,
        }
    }

    /// What actions do. Default: [`NotImplemented`].
    pub fn actions<A2: ActionHandler>(self, actions: A2) -> OcciBuilder<S, A2> {
        OcciBuilder {
            registry: self.registry,
            store: self.store,
            actions,
            config: self.config,
        }
    }

    /// The absolute URL the server is reached at (`http://example.com:8080`, or with a path
    /// when mounted below one). Without it, each request's `Host` header is used.
    pub fn base_url(mut self, url: &str) -> Result<Self, ConfigError> {
        self.config.base_url = Some(normalise_base_url(url)?);
        Ok(self)
    }

    /// The media types offered for responses, in order of preference. Default: every one.
    #[must_use]
    pub fn offer(mut self, media_types: &[MediaType]) -> Self {
        self.config.offered = media_types.to_vec();
        self
    }

    /// The rendering for requests without `Accept` or with `*/*`. Default: text/plain.
    #[must_use]
    pub fn default_media_type(mut self, media_type: MediaType) -> Self {
        self.config.default_media_type = media_type;
        self
    }

    /// The largest request body in bytes (413 above). Default: 1 MiB.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.config.body_limit = bytes;
        self
    }

    /// Limits on request headers: how many fields and how many bytes (431 above).
    /// Default: 128 fields, 64 KiB.
    #[must_use]
    pub fn header_limits(mut self, fields: usize, bytes: usize) -> Self {
        self.config.max_headers = fields;
        self.config.max_header_bytes = bytes;
        self
    }

    /// The longest request target (414 above). Default: 8 KiB.
    #[must_use]
    pub fn max_uri_len(mut self, bytes: usize) -> Self {
        self.config.max_uri_len = bytes;
        self
    }

    /// The largest page a client may ask for (P12 §6: 413 above). Default: 1000.
    #[must_use]
    pub fn max_page_size(mut self, entries: u64) -> Self {
        self.config.max_page_size = entries;
        self
    }

    /// Strict parsing of requests. Default: lenient (real peers deviate from the grammar).
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.config.strict = strict;
        self
    }

    /// The product token before `OCCI/x.y` in the `Server` header. Default: `occi-rs/<version>`.
    #[must_use]
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.config.server_name = name.into();
        self
    }

    /// Adds a product token after `OCCI/x.y` in the `Server` header, claiming a profile the
    /// server implements, such as `OCCI-CRTP/1.1` for the Compute Resource Templates Profile
    /// (its small, medium and large templates must then be registered).
    #[must_use]
    pub fn claim_profile(mut self, token: impl Into<String>) -> Self {
        self.config.profile_tokens.push(token.into());
        self
    }

    /// Builds the server.
    pub fn build(self) -> Result<Occi<S, A>, ConfigError>
    where
        S: Store,
        A: ActionHandler,
    {
        let config = self.config;
        if config.offered.is_empty() {
            return Err(ConfigError("no media type is offered".into()));
        }
        if !config.offered.contains(&config.default_media_type) {
            return Err(ConfigError(format!(
                "the default media type {} is not offered",
                config.default_media_type
            )));
        }
        let registry = self
            .registry
            .unwrap_or_else(|| Registry::new(OcciVersion::V1_2));
        let mut server = format!(
            "{} {}",
            config.server_name,
            registry.version().product_token()
        );
        for token in &config.profile_tokens {
            server.push(' ');
            server.push_str(token);
        }
        let server_header = HeaderValue::from_str(&server).map_err(|_| {
            ConfigError(format!(
                "the Server header {server:?} (server name and profile claims) is not a valid header value"
            ))
        })?;
        let accept = config
            .offered
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let accept_header =
            HeaderValue::from_str(&accept).expect("media type names are visible ASCII");
        if config.max_page_size == 0 {
            return Err(ConfigError("the maximum page size must be positive".into()));
        }
        Ok(Occi {
            shared: Arc::new(Shared {
                config,
                server_header,
                accept_header,
                registry: RwLock::new(Arc::new(registry)),
                store: self.store,
                actions: self.actions,
            }),
        })
    }
}

/// The syntax a request's OCCI data comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// text/plain or text/occi+plain body.
    Plain,
    /// text/occi: in the headers.
    Headers,
    /// JSON body.
    Json,
    /// text/uri-list body.
    UriList,
}

/// Everything a request's handling needs, decided in the early stages.
struct Ctx {
    registry: Arc<Registry>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
    query: QueryParams,
    media: MediaType,
    base: String,
    options: ParseOptions,
}

/// What a successful request answers.
struct Reply {
    status: StatusCode,
    location: Option<String>,
    payload: Payload,
}

enum Payload {
    None,
    Entity(Box<Entity>),
    /// A listing: the entities (JSON renders them) and their locations (text renders those).
    Listing(Vec<Entity>),
    Categories(Vec<Category>),
    Locations(Vec<Location>),
}

impl Reply {
    fn ok(payload: Payload) -> Self {
        Self {
            status: StatusCode::OK,
            location: None,
            payload,
        }
    }
}

fn is_listing(target: &Target) -> bool {
    matches!(target, Target::Collection(..) | Target::Namespace(_))
}

impl<S: Store, A: ActionHandler> Occi<S, A> {
    /// The registry as it is now (user Mixins included).
    pub fn registry(&self) -> Arc<Registry> {
        self.current_registry()
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.shared.store
    }

    /// The largest request body this server accepts, in bytes.
    pub fn body_limit(&self) -> usize {
        self.shared.config.body_limit
    }

    /// An error response carrying the server's headers, for failures found before
    /// [`Occi::handle`] runs (a body over the limit while it is read).
    pub(crate) fn reject(&self, status: StatusCode, message: String) -> Response<Bytes> {
        let mut response = Self::render_failure(&Failure::new(status, message), None);
        self.finish(&mut response, false);
        response
    }

    fn current_registry(&self) -> Arc<Registry> {
        match self.shared.registry.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Handles one request. Never fails: every problem is an error response.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let registry = self.current_registry();
        let is_head = request.method() == Method::HEAD;
        let (parts, body) = request.into_parts();
        let mut response = match self.prepare(registry, parts, body) {
            Ok((ctx, target)) => {
                let media = ctx.media;
                let mut result = self.dispatch(&ctx, &target).await;
                let mut attempts = 1;
                while attempts < COMMIT_ATTEMPTS && matches!(&result, Err(f) if f.retryable) {
                    attempts += 1;
                    result = self.dispatch(&ctx, &target).await;
                }
                match result {
                    Ok(reply) => Self::render_reply(reply, media, &ctx.base),
                    Err(failure) => Self::render_failure(&failure, Some(media)),
                }
            }
            Err((failure, media)) => Self::render_failure(&failure, media),
        };
        self.finish(&mut response, is_head);
        response
    }

    /// Stages 1 to 3: limits, version, path, query, method, negotiation.
    #[allow(clippy::result_large_err)]
    fn prepare(
        &self,
        registry: Arc<Registry>,
        parts: http::request::Parts,
        body: Bytes,
    ) -> Result<(Ctx, Target), (Failure, Option<MediaType>)> {
        let config = self.config();
        let fail = |f: Failure| (f, None);
        let target_len = parts.uri.path_and_query().map_or(0, |p| p.as_str().len());
        if target_len > config.max_uri_len {
            return Err(fail(Failure::new(
                StatusCode::URI_TOO_LONG,
                format!(
                    "the request target has {target_len} bytes; the limit is {}",
                    config.max_uri_len
                ),
            )));
        }
        let header_bytes: usize = parts
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        if parts.headers.len() > config.max_headers || header_bytes > config.max_header_bytes {
            return Err(fail(Failure::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!(
                    "the request has {} header fields and {header_bytes} header bytes; the limits are {} and {}",
                    parts.headers.len(),
                    config.max_headers,
                    config.max_header_bytes
                ),
            )));
        }
        if body.len() > config.body_limit {
            return Err(fail(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body has {} bytes; the limit is {}",
                    body.len(),
                    config.body_limit
                ),
            )));
        }
        check_client_version(&parts.headers, registry.version()).map_err(fail)?;
        let target = route::route(&registry, parts.uri.path())
            .map_err(|e| fail(Failure::bad_request(e.0)))?;
        let query =
            route::parse_query(parts.uri.query()).map_err(|e| fail(Failure::bad_request(e.0)))?;
        let allow = allowed_methods(&target);
        let method = parts.method.clone();
        let known = matches!(
            method,
            Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::DELETE
        );
        if !known || !allow.split(", ").any(|m| m == method.as_str()) {
            return Err(fail(Failure::method_not_allowed(&method, allow)));
        }
        if query.action.is_some() && method != Method::POST {
            return Err(fail(Failure::bad_request(
                "an action (?action=…) is invoked with POST",
            )));
        }
        let accept = match parts.headers.get(header::ACCEPT).map(HeaderValue::to_str) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(_)) => {
                return Err(fail(Failure::bad_request(
                    "the Accept header is not visible ASCII",
                )));
            }
        };
        let media = media::negotiate(accept, &config.offered, config.default_media_type)
            .map_err(|e| fail(Failure::negotiation(&e)))?;
        if media == MediaType::UriList && !is_listing(&target) {
            return Err((
                Failure::bad_request(
                    "text/uri-list renders only listings (collections); this is not one (H11 §3.6.6, T12 §8)",
                ),
                None,
            ));
        }
        let options = if config.strict {
            ParseOptions::strict()
        } else {
            ParseOptions::lenient()
        }
        .with_version(registry.version());
        let base = match &config.base_url {
            Some(b) => b.clone(),
            None => base_from_host(&parts.headers),
        };
        Ok((
            Ctx {
                registry,
                method,
                headers: parts.headers,
                body,
                query,
                media,
                base,
                options,
            },
            target,
        ))
    }

    async fn dispatch(&self, ctx: &Ctx, target: &Target) -> Result<Reply, Failure> {
        match (target, &ctx.method) {
            (Target::QueryInterface, &Method::GET | &Method::HEAD) => Self::query_interface(ctx),
            (Target::QueryInterface, &Method::POST) if ctx.query.action.is_some() => Err(Failure {
                allow: Some(allowed_methods(target)),
                ..Failure::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "no action (?action=…) is defined on the query interface",
                )
            }),
            (Target::QueryInterface, &Method::POST) => self.add_mixins(ctx).await,
            (Target::QueryInterface, &Method::DELETE) => self.remove_mixins(ctx).await,
            (Target::Collection(id, _), &Method::GET | &Method::HEAD) => {
                self.list(ctx, Scoped::Category(id)).await
            }
            (Target::Namespace(prefix), &Method::GET | &Method::HEAD) => {
                self.list(ctx, Scoped::Prefix(prefix)).await
            }
            (Target::Collection(id, _), &Method::POST) if ctx.query.action.is_some() => {
                self.collection_action(ctx, id).await
            }
            (Target::Collection(id, CategoryClass::Kind), &Method::POST) => {
                self.create(ctx, id, None).await
            }
            (Target::Collection(id, CategoryClass::Kind), &Method::DELETE) => {
                self.delete_collection(ctx, id).await
            }
            (Target::Collection(id, _), &Method::POST) => {
                self.change_membership(ctx, id, Membership::Add).await
            }
            (Target::Collection(id, _), &Method::PUT) => {
                self.change_membership(ctx, id, Membership::Replace).await
            }
            (Target::Collection(id, _), &Method::DELETE) => {
                self.change_membership(ctx, id, Membership::Remove).await
            }
            (Target::Namespace(prefix), &Method::DELETE) => self.delete_below(ctx, prefix).await,
            (Target::Entity(location), &Method::GET | &Method::HEAD) => {
                self.get_entity(ctx, location).await
            }
            (Target::Entity(location), &Method::POST) if ctx.query.action.is_some() => {
                self.entity_action(ctx, location).await
            }
            (Target::Entity(location), &Method::POST) => self.update(ctx, location).await,
            (Target::Entity(location), &Method::PUT) => self.put(ctx, location).await,
            (Target::Entity(location), &Method::DELETE) => self.delete(ctx, location).await,
            (_, method) => Err(Failure::method_not_allowed(method, allowed_methods(target))),
        }
    }

    // ----- reading requests -----

    /// Where the request's OCCI data is: decided by `Content-Type`.
    fn input(ctx: &Ctx) -> Result<Input, Failure> {
        match ctx.headers.get(header::CONTENT_TYPE) {
            Some(value) => {
                let text = value.to_str().map_err(|_| {
                    Failure::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "the Content-Type header is not visible ASCII",
                    )
                })?;
                let content_type = media::parse_content_type(text).map_err(|e| {
                    Failure::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        format!(
                            "unsupported Content-Type {text:?}: {e}; supported: text/plain, text/occi+plain, text/occi, text/uri-list, application/occi+json, application/json"
                        ),
                    )
                })?;
                if content_type
                    .charset
                    .as_deref()
                    .is_some_and(|c| c != "utf-8" && c != "us-ascii")
                {
                    return Err(Failure::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "only the utf-8 and us-ascii charsets are supported",
                    ));
                }
                Ok(match content_type.media_type {
                    MediaType::TextOcci => Input::Headers,
                    MediaType::UriList => Input::UriList,
                    MediaType::OcciJson | MediaType::Json => Input::Json,
                    _ => Input::Plain,
                })
            }
            None if ctx.body.iter().all(u8::is_ascii_whitespace) => Ok(Input::Headers),
            None if ctx.registry.version() == OcciVersion::V1_1 => Ok(Input::Plain),
            None => Err(Failure::bad_request(
                "a request with a body must say what it is in Content-Type (P12 §5.1)",
            )),
        }
    }

    fn body_text(ctx: &Ctx) -> Result<&str, Failure> {
        std::str::from_utf8(&ctx.body).map_err(|e| {
            Failure::bad_request(format!(
                "the request body is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ))
        })
    }

    /// Reads a document in whichever syntax the request uses.
    fn read<T>(
        ctx: &Ctx,
        what: &str,
        plain: impl FnOnce(&str, &ParseOptions) -> Result<Parsed<T>, ParseError>,
        headers: impl FnOnce(&HeaderMap, &ParseOptions) -> Result<Parsed<T>, ParseError>,
        json: impl FnOnce(&[u8], &ParseOptions) -> Result<Parsed<T>, ParseError>,
    ) -> Result<T, Failure> {
        let parsed = match Self::input(ctx)? {
            Input::Plain => plain(Self::body_text(ctx)?, &ctx.options),
            Input::Headers => headers(&ctx.headers, &ctx.options),
            Input::Json => json(&ctx.body, &ctx.options),
            Input::UriList => {
                return Err(Failure::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("text/uri-list cannot carry {what}"),
                ));
            }
        };
        let parsed = parsed.map_err(|e| Failure::parse(what, &e))?;
        for deviation in &parsed.deviations {
            tracing::debug!(%deviation, "lenient parse");
        }
        Ok(parsed.value)
    }

    fn read_entity(ctx: &Ctx) -> Result<Entity, Failure> {
        let registry = &ctx.registry;
        let mut entity = Self::read(
            ctx,
            "entity",
            |s, o| text::plain::parse_entity(s, o, Some(registry)),
            |h, o| text::occi::parse_entity(h, o, Some(registry)),
            json::parse_entity,
        )?;
        normalise_references(&mut entity, &ctx.base);
        Ok(entity)
    }

    /// Reads a partial update: like an entity, but the Kind may be left out (then it is
    /// `kind`'s).
    fn read_update(ctx: &Ctx, kind: &CategoryId) -> Result<Entity, Failure> {
        let registry = &ctx.registry;
        let mut entity = Self::read(
            ctx,
            "update",
            |s, o| text::plain::parse_entity_update(s, o, registry, kind),
            |h, o| text::occi::parse_entity_update(h, o, registry, kind),
            json::parse_entity,
        )?;
        normalise_references(&mut entity, &ctx.base);
        Ok(entity)
    }

    fn read_categories(ctx: &Ctx) -> Result<Vec<Category>, Failure> {
        Self::read(
            ctx,
            "categories",
            text::plain::parse_categories,
            text::occi::parse_categories,
            |b, o| {
                json::parse_categories(b, o)
                    .map(|p| p.map(json::CategoryCollection::into_categories))
            },
        )
    }

    fn read_action(ctx: &Ctx) -> Result<ActionInvocation, Failure> {
        Self::read(
            ctx,
            "action invocation",
            text::plain::parse_action_invocation,
            text::occi::parse_action_invocation,
            json::parse_action_invocation,
        )
    }

    /// Reads a location list (Mixin membership, 1.1 collection delete); JSON names entities
    /// by location or id.
    async fn read_locations(&self, ctx: &Ctx) -> Result<Vec<Location>, Failure> {
        let locations = match Self::input(ctx)? {
            Input::UriList => {
                uri_list::parse(Self::body_text(ctx)?, &ctx.options)
                    .map_err(|e| Failure::parse("location list", &e))?
                    .value
            }
            Input::Json => {
                let refs = json::parse_mixin_association(&ctx.body, &ctx.options)
                    .map_err(|e| Failure::parse("entity list", &e))?
                    .value;
                let mut out = Vec::with_capacity(refs.len());
                for r in refs {
                    match r {
                        json::EntityRef::Location(l) => out.push(l),
                        json::EntityRef::Id(id) => out.push(self.locate_id(&id).await?),
                    }
                }
                out
            }
            _ => Self::read(
                ctx,
                "location list",
                text::plain::parse_locations,
                text::occi::parse_locations,
                |_, _| unreachable!("JSON is handled above"),
            )?,
        };
        locations
            .into_iter()
            .map(|l| to_path(&l, &ctx.base))
            .collect()
    }

    /// The location of the entity with this id (the store's id index).
    async fn find_id(&self, id: &EntityId) -> Result<Option<Location>, Failure> {
        Ok(self
            .scan(&Scope::Id(id.clone()))
            .await?
            .into_iter()
            .find_map(|s| s.entity.location().cloned()))
    }

    /// Like [`Self::find_id`], but an unknown id is a 404.
    async fn locate_id(&self, id: &EntityId) -> Result<Location, Failure> {
        self.find_id(id)
            .await?
            .ok_or_else(|| Failure::not_found(format!("no entity has the id {id}")))
    }

    fn read_filter(ctx: &Ctx) -> Result<Filter, Failure> {
        let mut filter = text::occi::parse_filter(&ctx.headers, &ctx.options)
            .map_err(|e| Failure::parse("filter", &e))?
            .value;
        if !ctx.body.is_empty() && matches!(Self::input(ctx), Ok(Input::Plain)) {
            let body = text::plain::parse_filter(Self::body_text(ctx)?, &ctx.options)
                .map_err(|e| Failure::parse("filter", &e))?
                .value;
            filter.categories.extend(body.categories);
            filter.attributes.extend(body.attributes);
        }
        Ok(filter)
    }

    // ----- the store -----

    async fn get_stored(&self, location: &Location) -> Result<Option<Stored>, Failure> {
        self.shared
            .store
            .get(location)
            .await
            .map_err(|e| Failure::store(&e))
    }

    async fn scan(&self, scope: &Scope) -> Result<Vec<Stored>, Failure> {
        self.shared
            .store
            .scan(&Scan::new(scope.clone()))
            .await
            .map_err(|e| Failure::store(&e))
    }

    async fn commit(&self, changes: Vec<Change>) -> Result<(), Failure> {
        if changes.is_empty() {
            return Ok(());
        }
        self.shared
            .store
            .commit(changes.into())
            .await
            .map_err(|e| Failure::store(&e))
    }

    /// An entity as clients see it: with its location, its links and its applicable actions.
    async fn materialize(&self, registry: &Registry, stored: Stored) -> Result<Entity, Failure> {
        let mut entity = stored.entity;
        match &mut entity {
            Entity::Resource(r) => {
                if let Some(location) = r.location.clone() {
                    r.links = self
                        .scan(&Scope::LinksFrom(location))
                        .await?
                        .into_iter()
                        .filter_map(|s| match s.entity {
                            Entity::Link(l) => Some(l),
                            Entity::Resource(_) => None,
                        })
                        .collect();
                }
            }
            Entity::Link(_) => {}
        }
        let actions = registry.applicable_actions(&entity);
        match &mut entity {
            Entity::Resource(r) => r.actions = actions,
            Entity::Link(l) => l.actions = actions,
        }
        Ok(entity)
    }

    /// The Kinds of the entities at `locations`, for validating link endpoints, and the
    /// changes that tie a new link to them.
    ///
    /// An endpoint is rewritten unchanged (its revision moves) rather than only required:
    /// a concurrent delete of the endpoint read its links before this commit and expects
    /// the endpoint's revision it read, so it fails, retries and takes the new link along,
    /// instead of leaving the link dangling.
    async fn lookup(
        &self,
        locations: impl IntoIterator<Item = &Location>,
    ) -> Result<(std::collections::HashMap<Location, CategoryId>, Vec<Change>), Failure> {
        let mut kinds = std::collections::HashMap::new();
        let mut requires = Vec::new();
        for location in locations {
            if !location.is_path() || kinds.contains_key(location) {
                continue;
            }
            if let Some(stored) = self.get_stored(location).await? {
                kinds.insert(location.clone(), stored.entity.kind().clone());
                requires.push(Change::Put {
                    entity: stored.entity,
                    expect: Expect::Revision(stored.revision),
                });
            }
        }
        Ok((kinds, requires))
    }

    // ----- query interface -----

    fn query_interface(ctx: &Ctx) -> Result<Reply, Failure> {
        let filter = Self::read_filter(ctx)?;
        // H11 §3.4.1 leaves this open; 404 says plainly that nothing matches (never the
        // unfiltered list, QI-014).
        for id in &filter.categories {
            if ctx.registry.get(id).is_none() {
                return Err(Failure::not_found(format!(
                    "the filter names the category {id}, which this server does not know"
                )));
            }
        }
        let names: Vec<_> = filter.attributes.iter().map(|(n, _)| n.clone()).collect();
        let categories: Vec<Category> = ctx
            .registry
            .filter_categories(&filter.categories, &names)
            .into_iter()
            .cloned()
            .collect();
        Ok(Reply::ok(Payload::Categories(categories)))
    }

    fn update_registry(
        &self,
        change: impl FnOnce(&mut Registry) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let mut guard = match self.shared.registry.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = Registry::clone(&guard);
        change(&mut next)?;
        *guard = Arc::new(next);
        Ok(())
    }

    async fn add_mixins(&self, ctx: &Ctx) -> Result<Reply, Failure> {
        let categories = Self::read_categories(ctx)?;
        if categories.is_empty() {
            return Err(Failure::bad_request(
                "the request names no Mixin to add (H11 §3.4.1)",
            ));
        }
        let mut mixins = Vec::with_capacity(categories.len());
        for category in categories {
            match category {
                Category::Mixin(m) => mixins.push(m),
                other => {
                    return Err(Failure::bad_request(format!(
                        "only Mixins can be added through the query interface; {} is a {}",
                        other.id(),
                        other.class()
                    )));
                }
            }
        }
        let added: Vec<Category> = mixins.iter().cloned().map(Category::Mixin).collect();
        let ids: Vec<CategoryId> = mixins.iter().map(|m| m.id.clone()).collect();
        let stored: Vec<Change> = mixins
            .iter()
            .map(|m| Change::PutMixin {
                mixin: m.clone(),
                origin: Origin::User,
            })
            .collect();
        self.update_registry(|registry| {
            for mixin in mixins {
                registry
                    .add_user_mixin(mixin)
                    .map_err(|e| Failure::registry(&e))?;
            }
            Ok(())
        })?;
        if let Err(failure) = self.commit(stored).await {
            // Take the Mixins out again: the registry and the store must agree.
            let _ = self.update_registry(|registry| {
                for id in ids.iter().rev() {
                    let _ = registry.remove_user_mixin(id);
                }
                Ok(())
            });
            return Err(failure);
        }
        Ok(Reply::ok(Payload::Categories(added)))
    }

    async fn remove_mixins(&self, ctx: &Ctx) -> Result<Reply, Failure> {
        let categories = Self::read_categories(ctx)?;
        if categories.is_empty() {
            return Err(Failure::bad_request(
                "the request names no Mixin to remove (H11 §3.4.1)",
            ));
        }
        let ids: Vec<CategoryId> = categories.iter().map(|c| c.id().clone()).collect();
        // Take the Mixins out of the registry first, so no request can associate them any
        // more; then disassociate them from every entity.
        let mut removed: Vec<Mixin> = Vec::new();
        self.update_registry(|registry| {
            for id in &ids {
                match registry.get(id) {
                    None => {
                        return Err(Failure::not_found(format!("no category {id} exists")));
                    }
                    Some(c) if c.class() != CategoryClass::Mixin => {
                        return Err(Failure::new(
                            StatusCode::FORBIDDEN,
                            format!(
                                "{id} is a {}; only user-defined Mixins can be removed",
                                c.class()
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                removed.push(
                    registry
                        .remove_user_mixin(id)
                        .map_err(|e| Failure::registry(&e))?,
                );
            }
            Ok(())
        })?;
        let result = self.scrub_mixins(&ids).await;
        if let Err(failure) = result {
            // Put the Mixins back: the registry and the store must agree.
            let _ = self.update_registry(|registry| {
                for mixin in removed {
                    let _ = registry.add_user_mixin(mixin);
                }
                Ok(())
            });
            return Err(failure);
        }
        Ok(Reply::ok(Payload::None))
    }

    async fn scrub_mixins(&self, ids: &[CategoryId]) -> Result<(), Failure> {
        for _ in 0..COMMIT_ATTEMPTS {
            let mut changes: Vec<Change> = ids
                .iter()
                .map(|id| Change::DeleteMixin { id: id.clone() })
                .collect();
            for id in ids {
                for stored in self.scan(&Scope::Mixin(id.clone())).await? {
                    let mut entity = stored.entity;
                    entity.mixins_mut().retain(|m| !ids.contains(m));
                    changes.push(Change::Put {
                        entity,
                        expect: Expect::Revision(stored.revision),
                    });
                }
            }
            match self.commit(changes).await {
                Err(f) if f.retryable => {}
                other => return other,
            }
        }
        Err(Failure::new(
            StatusCode::CONFLICT,
            "entities kept changing while the Mixin was being removed; try again",
        ))
    }

    // ----- collections -----

    async fn members(&self, ctx: &Ctx, scope: Scoped<'_>) -> Result<Vec<Stored>, Failure> {
        match scope {
            Scoped::Category(id) => match ctx.registry.get(id).map(Category::class) {
                Some(CategoryClass::Kind) => {
                    let kinds = ctx
                        .registry
                        .kinds()
                        .filter(|k| ctx.registry.is_a(&k.id, id))
                        .map(|k| k.id.clone())
                        .collect();
                    self.scan(&Scope::Kinds(kinds)).await
                }
                _ => self.scan(&Scope::Mixin(id.clone())).await,
            },
            Scoped::Prefix(prefix) => self.scan(&Scope::Prefix(prefix.as_str().to_owned())).await,
        }
    }

    async fn list(&self, ctx: &Ctx, scope: Scoped<'_>) -> Result<Reply, Failure> {
        let filter = Self::read_filter(ctx)?;
        for id in &filter.categories {
            if ctx.registry.get(id).is_none() {
                return Err(Failure::bad_request(format!(
                    "the filter names the unknown category {id}"
                )));
            }
        }
        let (skip, take) = self.page(&ctx.query)?;
        let members = self.members(ctx, scope).await?;
        // An unbound path is the union of what lies below it (P12 §4.1); with nothing below
        // it, nothing is served there (ERR-006). The root always answers.
        if let Scoped::Prefix(prefix) = scope
            && prefix.as_str() != "/"
            && members.is_empty()
        {
            return Err(Failure::not_found(format!("nothing is served at {prefix}")));
        }
        let mut entities = Vec::new();
        let mut matched = 0usize;
        for stored in members {
            if !matches_filter(&ctx.registry, &stored.entity, &filter) {
                continue;
            }
            matched += 1;
            if matched <= skip {
                continue;
            }
            if entities.len() >= take {
                break;
            }
            let entity = if matches!(ctx.media, MediaType::OcciJson | MediaType::Json) {
                self.materialize(&ctx.registry, stored).await?
            } else {
                stored.entity
            };
            entities.push(entity);
        }
        Ok(Reply::ok(Payload::Listing(entities)))
    }

    /// (entries to skip, entries to return) for `page` and `number` (P12 §6).
    fn page(&self, query: &QueryParams) -> Result<(usize, usize), Failure> {
        let max = self.config().max_page_size;
        if query.page.is_none() && query.number.is_none() {
            return Ok((0, usize::MAX));
        }
        let number = query.number.unwrap_or(max);
        if number == 0 {
            return Err(Failure::bad_request("number must be at least 1 (P12 §6)"));
        }
        if number > max {
            return Err(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "number={number} is more than this server returns per page ({max}; P12 §6)"
                ),
            ));
        }
        let page = query.page.unwrap_or(1);
        if page == 0 {
            return Err(Failure::bad_request(
                "pages are numbered from 1 (page=1 is the first)",
            ));
        }
        let skip = (page - 1).saturating_mul(number);
        Ok((
            usize::try_from(skip).unwrap_or(usize::MAX),
            usize::try_from(number).unwrap_or(usize::MAX),
        ))
    }

    async fn delete_collection(&self, ctx: &Ctx, kind: &CategoryId) -> Result<Reply, Failure> {
        // OCCI 1.1: with X-OCCI-Location values only those members are deleted.
        let listed = if ctx.body.is_empty() && !ctx.headers.contains_key("x-occi-location") {
            None
        } else {
            Some(self.read_locations(ctx).await?)
        };
        let members = self.members(ctx, Scoped::Category(kind)).await?;
        let doomed: Vec<Stored> = match listed {
            None => members,
            Some(locations) => {
                let mut out = Vec::new();
                for location in &locations {
                    match members
                        .iter()
                        .find(|s| s.entity.location() == Some(location))
                    {
                        Some(s) => out.push(s.clone()),
                        None => {
                            return Err(Failure::not_found(format!(
                                "{location} is not in this collection"
                            )));
                        }
                    }
                }
                out
            }
        };
        let changes = self.deletions(doomed).await?;
        self.commit(changes).await?;
        Ok(Reply::ok(Payload::None))
    }

    async fn delete_below(&self, ctx: &Ctx, prefix: &Location) -> Result<Reply, Failure> {
        let members = self.members(ctx, Scoped::Prefix(prefix)).await?;
        if members.is_empty() {
            return Err(Failure::not_found(format!("nothing is served at {prefix}")));
        }
        let changes = self.deletions(members).await?;
        self.commit(changes).await?;
        Ok(Reply::ok(Payload::None))
    }

    /// The changes that delete `doomed` and every link from or to them.
    async fn deletions(&self, doomed: Vec<Stored>) -> Result<Vec<Change>, Failure> {
        let mut seen = std::collections::HashSet::new();
        let mut changes = Vec::new();
        let mut queue = doomed;
        while let Some(stored) = queue.pop() {
            let Some(location) = stored.entity.location().cloned() else {
                continue;
            };
            if !seen.insert(location.clone()) {
                continue;
            }
            if matches!(stored.entity, Entity::Resource(_)) {
                queue.extend(self.scan(&Scope::LinksFrom(location.clone())).await?);
                queue.extend(self.scan(&Scope::LinksTo(location.clone())).await?);
            }
            changes.push(Change::Delete {
                location,
                expect: Expect::Revision(stored.revision),
            });
        }
        Ok(changes)
    }

    async fn change_membership(
        &self,
        ctx: &Ctx,
        mixin: &CategoryId,
        how: Membership,
    ) -> Result<Reply, Failure> {
        if ctx.registry.mixin(mixin).is_none() {
            return Err(Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "entities are associated only with Mixin collections (P12 §11.3.2)",
            ));
        }
        let locations = self.read_locations(ctx).await?;
        if locations.is_empty() && how != Membership::Replace {
            return Err(Failure::bad_request(
                "name the entities with X-OCCI-Location (or a text/uri-list body)",
            ));
        }
        let mut changes = Vec::new();
        let mut touched = std::collections::HashSet::new();
        for location in &locations {
            if !touched.insert(location.clone()) {
                continue;
            }
            let Some(stored) = self.get_stored(location).await? else {
                return Err(Failure::not_found(format!("no entity at {location}")));
            };
            let has = stored.entity.mixins().contains(mixin);
            let entity = match how {
                Membership::Add | Membership::Replace if !has => {
                    let mut update = stored.entity.clone();
                    update.mixins_mut().push(mixin.clone());
                    ctx.registry
                        .validate_update(&stored.entity, &update, UpdateMode::Replace)
                        .map_err(|e| {
                            Failure::validation(
                                &format!("associating {location}"),
                                &e,
                                ctx.registry.version(),
                            )
                        })?
                }
                Membership::Remove if has => {
                    let mut entity = stored.entity.clone();
                    entity.mixins_mut().retain(|m| m != mixin);
                    entity
                }
                _ => continue,
            };
            changes.push(Change::Put {
                entity,
                expect: Expect::Revision(stored.revision),
            });
        }
        if how == Membership::Replace {
            for stored in self.scan(&Scope::Mixin(mixin.clone())).await? {
                let Some(location) = stored.entity.location() else {
                    continue;
                };
                if touched.contains(location) {
                    continue;
                }
                let mut entity = stored.entity.clone();
                entity.mixins_mut().retain(|m| m != mixin);
                changes.push(Change::Put {
                    entity,
                    expect: Expect::Revision(stored.revision),
                });
            }
        }
        self.commit(changes).await?;
        Ok(Reply::ok(Payload::None))
    }

    // ----- entities -----

    async fn get_entity(&self, ctx: &Ctx, location: &Location) -> Result<Reply, Failure> {
        let Some(stored) = self.get_stored(location).await? else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        let entity = self.materialize(&ctx.registry, stored).await?;
        Ok(Reply::ok(Payload::Entity(Box::new(entity))))
    }

    /// Creates an entity: POST to a Kind's collection (`at` is `None`) or PUT to a new path.
    async fn create(
        &self,
        ctx: &Ctx,
        collection: &CategoryId,
        at: Option<&Location>,
    ) -> Result<Reply, Failure> {
        let mut entity = Self::read_entity(ctx)?;
        if entity.kind() != collection && at.is_none() {
            return Err(Failure::bad_request(format!(
                "this is the collection of {collection}; an entity of {} is created at its own Kind's location (H11 §3.4.4)",
                entity.kind()
            )));
        }
        let Some(kind_location) = ctx
            .registry
            .kind(entity.kind())
            .and_then(|k| k.location.clone())
        else {
            return Err(Failure::bad_request(format!(
                "{} is not a Kind this server can create",
                entity.kind()
            )));
        };
        // A proposed id is taken only when no entity holds it (ids are unique, C12 §5.4).
        if let Some(proposed) = entity.id()
            && self.find_id(proposed).await?.is_some()
        {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                format!("an entity with the id {proposed} exists already"),
            ));
        }
        let (id, location) = if let Some(at) = at {
            let parent = &at.as_str()[..at.as_str().rfind('/').map_or(0, |i| i + 1)];
            if parent != kind_location.as_str() {
                return Err(Failure::bad_request(format!(
                    "an entity of {} is created under {kind_location}, not at {at}",
                    entity.kind()
                )));
            }
            let id = match entity.id() {
                Some(id) => id.clone(),
                None => new_id(uuid::Uuid::new_v4()),
            };
            (id, at.clone())
        } else {
            let uuid = match entity.id() {
                Some(id) => uuid_of(id)?,
                None => uuid::Uuid::new_v4(),
            };
            let location = Location::new(&format!("{kind_location}{uuid}"))
                .map_err(|e| Failure::bad_request(e.to_string()))?;
            if self.get_stored(&location).await?.is_some() {
                return Err(Failure::new(
                    StatusCode::CONFLICT,
                    format!("{location} exists already"),
                ));
            }
            (new_id(uuid), location)
        };
        set_identity(&mut entity, id, &location);
        let links = self.prepare_inline_links(&mut entity, &location)?;
        let mut referenced: Vec<Location> = Vec::new();
        if let Entity::Link(l) = &entity {
            referenced.extend(l.source.iter().cloned());
            referenced.extend(l.target.iter().cloned());
        }
        for l in &links {
            referenced.extend(l.target.iter().cloned());
        }
        let (mut kinds, requires) = self.lookup(referenced.iter()).await?;
        // Inline links start at the new resource itself.
        kinds.insert(location.clone(), entity.kind().clone());
        if let Entity::Resource(r) = &mut entity {
            r.links = links;
        }
        ctx.registry
            .validate_create(&mut entity, &kinds)
            .map_err(|e| Failure::validation("the entity", &e, ctx.registry.version()))?;
        let mut changes = requires;
        if let Entity::Resource(r) = &mut entity {
            for link in std::mem::take(&mut r.links) {
                changes.push(Change::Put {
                    entity: Entity::Link(link),
                    expect: Expect::Absent,
                });
            }
        }
        changes.insert(
            0,
            Change::Put {
                entity,
                expect: Expect::Absent,
            },
        );
        self.commit(changes).await?;
        Ok(Reply {
            status: StatusCode::CREATED,
            location: Some(absolute(&ctx.base, &location)),
            payload: Payload::Locations(vec![location]),
        })
    }

    /// Gives every inline link of a new resource an id, a location and its source.
    fn prepare_inline_links(
        &self,
        entity: &mut Entity,
        owner: &Location,
    ) -> Result<Vec<occi_model::Link>, Failure> {
        let Entity::Resource(resource) = entity else {
            return Ok(Vec::new());
        };
        let registry = self.current_registry();
        let mut links = std::mem::take(&mut resource.links);
        for link in &mut links {
            let Some(kind_location) = registry.kind(&link.kind).and_then(|k| k.location.clone())
            else {
                return Err(Failure::bad_request(format!(
                    "inline link of unknown Kind {}",
                    link.kind
                )));
            };
            let uuid = uuid::Uuid::new_v4();
            let location = Location::new(&format!("{kind_location}{uuid}"))
                .map_err(|e| Failure::bad_request(e.to_string()))?;
            link.id = Some(new_id(uuid));
            link.location = Some(location);
            if link.source.is_none() {
                link.source = Some(owner.clone());
            }
        }
        Ok(links)
    }

    async fn update(&self, ctx: &Ctx, location: &Location) -> Result<Reply, Failure> {
        let Some(stored) = self.get_stored(location).await? else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        let mut update = Self::read_update(ctx, stored.entity.kind())?;
        let mut changes = Vec::new();
        // Links given with a resource update are created (H11 §3.4.4); a Link takes none.
        let new_links = match (&mut update, &stored.entity) {
            (Entity::Resource(u), Entity::Resource(_)) => {
                let mut holder = Entity::Resource(occi_model::Resource {
                    links: std::mem::take(&mut u.links),
                    ..occi_model::Resource::new(stored.entity.kind().clone())
                });
                self.prepare_inline_links(&mut holder, location)?
            }
            _ => Vec::new(),
        };
        let mut referenced: Vec<Location> =
            new_links.iter().filter_map(|l| l.target.clone()).collect();
        if let Entity::Link(l) = &update {
            referenced.extend(l.source.iter().cloned());
            referenced.extend(l.target.iter().cloned());
        }
        // The entity itself is written by this update anyway.
        referenced.retain(|l| l != location);
        let (mut kinds, requires) = self.lookup(referenced.iter()).await?;
        kinds.insert(location.clone(), stored.entity.kind().clone());
        let mut updated = ctx
            .registry
            .validate_update_with(&stored.entity, &update, UpdateMode::Partial, &kinds)
            .map_err(|e| Failure::validation("the update", &e, ctx.registry.version()))?;
        for link in new_links {
            let mut link = Entity::Link(link);
            ctx.registry
                .validate_create(&mut link, &kinds)
                .map_err(|e| Failure::validation("a new link", &e, ctx.registry.version()))?;
            changes.push(Change::Put {
                entity: link,
                expect: Expect::Absent,
            });
        }
        changes.extend(requires);
        if let Entity::Resource(r) = &mut updated {
            r.links.clear();
        }
        set_location(&mut updated, location);
        changes.insert(
            0,
            Change::Put {
                entity: updated,
                expect: Expect::Revision(stored.revision),
            },
        );
        self.commit(changes).await?;
        self.get_entity(ctx, location).await
    }

    async fn put(&self, ctx: &Ctx, location: &Location) -> Result<Reply, Failure> {
        let Some(stored) = self.get_stored(location).await? else {
            let entity = Self::read_entity(ctx)?;
            let kind = entity.kind().clone();
            return self.create(ctx, &kind, Some(location)).await;
        };
        let update = Self::read_entity(ctx)?;
        if ctx.registry.version() == OcciVersion::V1_1
            && update.as_resource().is_some_and(|r| !r.links.is_empty())
        {
            return Err(Failure::bad_request(
                "a full update (PUT) may not carry Link headers in OCCI 1.1 (H11 §3.4.4)",
            ));
        }
        let mut referenced = Vec::new();
        if let Entity::Link(l) = &update {
            referenced.extend(l.source.iter().cloned());
            referenced.extend(l.target.iter().cloned());
        }
        let (kinds, requires) = self.lookup(referenced.iter()).await?;
        let mut replaced = ctx
            .registry
            .validate_update_with(&stored.entity, &update, UpdateMode::Replace, &kinds)
            .map_err(|e| Failure::validation("the replacement", &e, ctx.registry.version()))?;
        if let Entity::Resource(r) = &mut replaced {
            r.links.clear();
        }
        set_location(&mut replaced, location);
        let mut changes = vec![Change::Put {
            entity: replaced,
            expect: Expect::Revision(stored.revision),
        }];
        changes.extend(requires);
        self.commit(changes).await?;
        self.get_entity(ctx, location).await
    }

    async fn delete(&self, _ctx: &Ctx, location: &Location) -> Result<Reply, Failure> {
        let Some(stored) = self.get_stored(location).await? else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        let changes = self.deletions(vec![stored]).await?;
        self.commit(changes).await?;
        Ok(Reply::ok(Payload::None))
    }

    /// Reads the invocation and checks it names the action of the query string.
    fn invocation(ctx: &Ctx) -> Result<ActionInvocation, Failure> {
        let term = ctx.query.action.as_ref().expect("only called for ?action=");
        if ctx.body.is_empty()
            && !ctx.headers.contains_key("category")
            && !matches!(Self::input(ctx), Ok(Input::Json))
        {
            return Err(Failure::bad_request(format!(
                "the request must carry the Category of action {term} (H11 §3.4.4)"
            )));
        }
        let invocation = Self::read_action(ctx)?;
        if invocation.action.term() != term {
            return Err(Failure::bad_request(format!(
                "the query string asks for action {term}, the body for {}",
                invocation.action
            )));
        }
        Ok(invocation)
    }

    async fn perform(
        &self,
        registry: &Registry,
        stored: &Stored,
        invocation: &ActionInvocation,
    ) -> Result<(Option<Change>, Option<Category>), Failure> {
        let invocation = registry
            .validate_action(&stored.entity, invocation)
            .map_err(|e| Failure::validation("the action", &e, registry.version()))?;
        let outcome = self
            .shared
            .actions
            .invoke(registry, &stored.entity, &invocation)
            .await
            .map_err(|e| Failure::action(&e))?;
        let change = outcome.entity.map(|mut entity| {
            if let Some(location) = stored.entity.location() {
                set_location(&mut entity, location);
            }
            Change::Put {
                entity,
                expect: Expect::Revision(stored.revision),
            }
        });
        Ok((change, outcome.category))
    }

    async fn entity_action(&self, ctx: &Ctx, location: &Location) -> Result<Reply, Failure> {
        let invocation = Self::invocation(ctx)?;
        let Some(stored) = self.get_stored(location).await? else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        let (change, category) = self.perform(&ctx.registry, &stored, &invocation).await?;
        let mut changes: Vec<Change> = change.into_iter().collect();
        if let Some(Category::Mixin(m)) = &category {
            changes.push(Change::PutMixin {
                mixin: m.clone(),
                origin: Origin::Provider,
            });
        }
        self.commit(changes).await?;
        if let Some(category) = category {
            if let Category::Mixin(m) = &category {
                let m = m.clone();
                self.update_registry(|r| r.register_mixin(m).map_err(|e| Failure::registry(&e)))?;
            }
            return Ok(Reply::ok(Payload::Categories(vec![category])));
        }
        self.get_entity(ctx, location).await
    }

    async fn collection_action(
        &self,
        ctx: &Ctx,
        collection: &CategoryId,
    ) -> Result<Reply, Failure> {
        let invocation = Self::invocation(ctx)?;
        let defines = ctx
            .registry
            .get(collection)
            .is_some_and(|c| c.actions().contains(&invocation.action));
        if !defines {
            return Err(Failure::bad_request(format!(
                "{collection} does not define action {} (H11 §3.4.3)",
                invocation.action
            )));
        }
        let members = self.members(ctx, Scoped::Category(collection)).await?;
        let mut changes = Vec::with_capacity(members.len());
        for stored in &members {
            let (change, _) = self
                .perform(&ctx.registry, stored, &invocation)
                .await
                .map_err(|f| {
                    let at = stored
                        .entity
                        .location()
                        .map_or_else(String::new, ToString::to_string);
                    Failure {
                        message: format!(
                            "{at}: {}; the action was applied to no member",
                            f.message
                        ),
                        ..f
                    }
                })?;
            changes.extend(change);
        }
        self.commit(changes).await?;
        Ok(Reply::ok(Payload::None))
    }

    // ----- responses -----

    fn render_reply(reply: Reply, media: MediaType, base: &str) -> Response<Bytes> {
        let mut headers = HeaderMap::new();
        let body: String = match (reply.payload, media) {
            (Payload::None, MediaType::TextOcci) => "OK".into(),
            (Payload::None, _) => String::new(),
            (Payload::Entity(entity), MediaType::OcciJson | MediaType::Json) => {
                json::render_entity(&entity)
            }
            (Payload::Entity(entity), _) if !text::can_render(&entity) => {
                return Self::render_failure(
                    &Failure::new(
                        StatusCode::NOT_ACCEPTABLE,
                        "the entity holds values the text renderings cannot express (lists, maps); ask for application/occi+json",
                    ),
                    None,
                );
            }
            (Payload::Entity(entity), MediaType::TextOcci) => {
                text::occi::write_entity(&entity, &mut headers);
                "OK".into()
            }
            (Payload::Entity(entity), _) => text::plain::render_entity(&entity),
            (Payload::Listing(entities), MediaType::OcciJson | MediaType::Json) => {
                json::render_entity_collection(&entities.into_iter().collect())
            }
            (Payload::Listing(entities), media) => {
                let locations: Vec<Location> = entities
                    .iter()
                    .filter_map(Entity::location)
                    .filter_map(|l| Location::new(&absolute(base, l)).ok())
                    .collect();
                return Self::render_reply(
                    Reply {
                        payload: Payload::Locations(locations),
                        ..reply
                    },
                    media,
                    base,
                );
            }
            (Payload::Locations(locations), media) => {
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
            (Payload::Categories(categories), MediaType::OcciJson | MediaType::Json) => {
                json::render_categories(&json::CategoryCollection::from_categories(categories))
            }
            (Payload::Categories(categories), MediaType::TextOcci) => {
                headers.extend(text::occi::render_categories(&categories));
                "OK".into()
            }
            (Payload::Categories(categories), _) => text::plain::render_categories(&categories),
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
        response
    }

    fn render_failure(failure: &Failure, media: Option<MediaType>) -> Response<Bytes> {
        let json = matches!(media, Some(MediaType::OcciJson | MediaType::Json));
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
        if let Some(allow) = failure.allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }

    /// Headers every response carries; HEAD loses its body.
    fn finish(&self, response: &mut Response<Bytes>, is_head: bool) {
        let length = response.body().len();
        let headers = response.headers_mut();
        headers.insert(header::SERVER, self.shared.server_header.clone());
        headers.insert(header::ACCEPT, self.shared.accept_header.clone());
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        if is_head {
            *response.body_mut() = Bytes::new();
        }
    }
}

/// What a listing covers.
#[derive(Clone, Copy)]
enum Scoped<'a> {
    Category(&'a CategoryId),
    Prefix(&'a Location),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Membership {
    Add,
    Replace,
    Remove,
}

/// The methods a target allows, for 405 answers (`Allow`).
fn allowed_methods(target: &Target) -> &'static str {
    match target {
        Target::QueryInterface | Target::Collection(_, CategoryClass::Kind) => {
            "GET, HEAD, POST, DELETE"
        }
        Target::Collection(..) | Target::Entity(_) => "GET, HEAD, POST, PUT, DELETE",
        Target::Namespace(l) if l.as_str() == "/" => "GET, HEAD",
        Target::Namespace(_) => "GET, HEAD, DELETE",
    }
}

/// 501 for a client that speaks a newer OCCI than the server (H11 §3.6.5, P12 §5.3): the
/// `OCCI/x.y` product token of `User-Agent`.
fn check_client_version(headers: &HeaderMap, ours: OcciVersion) -> Result<(), Failure> {
    let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(());
    };
    let ours = match ours {
        OcciVersion::V1_1 => (1, 1),
        OcciVersion::V1_2 => (1, 2),
    };
    for token in agent.split_ascii_whitespace() {
        let Some(version) = token.strip_prefix("OCCI/") else {
            continue;
        };
        let mut parts = version.split('.');
        let major = parts.next().and_then(|p| p.parse::<u32>().ok());
        let minor = parts.next().map_or(Some(0), |p| p.parse::<u32>().ok());
        if let (Some(major), Some(minor)) = (major, minor)
            && (major, minor) > ours
        {
            return Err(Failure::new(
                StatusCode::NOT_IMPLEMENTED,
                format!(
                    "the client speaks OCCI/{major}.{minor}; this server implements OCCI/{}.{} (H11 §3.6.5)",
                    ours.0, ours.1
                ),
            ));
        }
    }
    Ok(())
}

/// `http://<Host>` when the request names a plausible host, else "" (paths are then
/// rendered as they are).
fn base_from_host(headers: &HeaderMap) -> String {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return String::new();
    };
    let plausible = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if plausible {
        format!("http://{host}")
    } else {
        String::new()
    }
}

fn absolute(base: &str, location: &Location) -> String {
    if location.is_path() {
        format!("{base}{location}")
    } else {
        location.to_string()
    }
}

/// A path for a location given as an absolute URL under `base`; other URLs stay as they are.
fn to_path(location: &Location, base: &str) -> Result<Location, Failure> {
    if location.is_path() || base.is_empty() {
        return Ok(location.clone());
    }
    match location.as_str().strip_prefix(base) {
        Some(rest) if rest.starts_with('/') => {
            Location::new(rest).map_err(|e| Failure::bad_request(e.to_string()))
        }
        _ => Ok(location.clone()),
    }
}

/// Turns link sources and targets given as URLs under `base` into paths.
fn normalise_references(entity: &mut Entity, base: &str) {
    let fix = |l: &mut Option<Location>| {
        if let Some(loc) = l.as_ref()
            && let Ok(path) = to_path(loc, base)
        {
            *l = Some(path);
        }
    };
    match entity {
        Entity::Resource(r) => {
            for link in &mut r.links {
                fix(&mut link.source);
                fix(&mut link.target);
            }
        }
        Entity::Link(l) => {
            fix(&mut l.source);
            fix(&mut l.target);
        }
    }
}

fn new_id(uuid: uuid::Uuid) -> EntityId {
    EntityId::new(&format!("urn:uuid:{uuid}")).expect("a urn:uuid: is a valid id")
}

/// The UUID of a client-proposed `urn:uuid:` id.
fn uuid_of(id: &EntityId) -> Result<uuid::Uuid, Failure> {
    id.as_str()
        .strip_prefix("urn:uuid:")
        .and_then(|u| uuid::Uuid::parse_str(u).ok())
        .ok_or_else(|| {
            Failure::bad_request(format!(
                "occi.core.id {id} is not accepted: this server gives ids itself, or takes a proposed urn:uuid: id"
            ))
        })
}

fn set_identity(entity: &mut Entity, id: EntityId, location: &Location) {
    match entity {
        Entity::Resource(r) => r.id = Some(id),
        Entity::Link(l) => l.id = Some(id),
    }
    set_location(entity, location);
}

fn set_location(entity: &mut Entity, location: &Location) {
    match entity {
        Entity::Resource(r) => {
            r.location = Some(location.clone());
            r.actions.clear();
        }
        Entity::Link(l) => {
            l.location = Some(location.clone());
            l.actions.clear();
        }
    }
}

/// Whether `entity` passes `filter`: it belongs to every filter category (by Kind, through
/// its ancestors, or by Mixin, through their dependencies) and has every filter value.
fn matches_filter(registry: &Registry, entity: &Entity, filter: &Filter) -> bool {
    filter.categories.iter().all(|c| {
        registry.is_a(entity.kind(), c)
            || registry
                .mixin_closure(entity.mixins())
                .iter()
                .any(|m| &m.id == c)
    }) && filter
        .attributes
        .iter()
        .all(|(name, value)| entity.attribute_value(name.as_str()).as_ref() == Some(value))
}
