//! The WSGI-like core: [`Occi`] turns an `http::Request<Bytes>` into an
//! `http::Response<Bytes>` and never fails.
//!
//! Every request goes through the same pipeline, and every check happens before anything
//! is changed; each stage lives in the module named here:
//!
//! 1. limits (target length, header count and size, body size), the client's OCCI version
//!    (501 for a newer one), one registry snapshot for the whole request;
//! 2. [`crate::route`]: the path and the query string, then the route table from (target,
//!    method) to a typed `Operation`, which also answers `Allow` (405);
//! 3. content negotiation of the response (406; `text/uri-list` for something that is not
//!    a listing is 400), and the request's `If-Match` / `If-None-Match`;
//! 4. [`crate::request`]: the request's data decoded once, for its operation (415 for an
//!    unsupported `Content-Type`, 400 with positioned diagnostics for a malformed body);
//! 5. [`crate::operation`]: the operation, in the file named for what it serves (query
//!    interface, collection, entity, action): validation against the registry (400, or 409
//!    for an action that does not apply in the entity's current state) and the store (404,
//!    412 for a failed precondition), that the answer can be rendered (406), the Kind's
//!    [`crate::Backend`] hook, and one atomic commit, retried (from the operation, never the
//!    decoding) when a concurrent request got there first;
//! 6. [`crate::respond`]: the response written, in one place.
//!
//! # Decisions where the specifications leave room
//!
//! * **Locations.** `Location` headers, `X-OCCI-Location` values and `text/uri-list`
//!   listings are absolute URLs (base URL from the configuration, else from the request's
//!   `Host`, per request, never stored); entity renderings use paths. Incoming absolute URLs
//!   under the base URL are turned back into paths.
//! * **Ids.** The server gives every entity an `urn:uuid:` id and serves it at
//!   `<kind location><uuid>`. A client may propose an id that no entity holds (409
//!   otherwise); the id names the last segment of the location: a `urn:uuid:` id its UUID,
//!   any other id itself, which must then be a valid path segment (400 otherwise). With PUT
//!   to a chosen path, a proposed id must name that path's last segment (400 otherwise).
//! * **Entity tags.** Entity responses carry an `ETag` made from the store revision;
//!   `If-Match` and `If-None-Match` are honoured on PUT, POST and DELETE (412 when they
//!   fail) and `If-None-Match` on GET (304). This is HTTP (RFC 9110 §13), beyond what the
//!   OCCI documents ask.
//! * **Query strings** carry `action`, `page` and `number` only; any other parameter is 400,
//!   since OCCI filters travel in `Category` and `X-OCCI-Attribute` headers (P12 §4.4), and
//!   a silently ignored query filter would answer with everything.
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

use std::sync::{Arc, RwLock, Weak};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use occi_model::{CategoryId, OcciVersion, Registry};
use occi_render::media::{self, MediaType};
use occi_render::{Dialect, ParseOptions};

use crate::action::{ActionHandler, NotImplemented};
use crate::backend::{Backend, Backends, Hook, Lifecycle, LifecycleTarget};
use crate::config::{Config, ConfigError, normalise_base_url};
use crate::error::Failure;
use crate::identity::Identity;
use crate::operation::{Attempt, Conditions};
use crate::request::{Decoded, Raw};
use crate::respond::{self, Reply};
use crate::route::{self, Operation, QueryParams, Refusal, Target};
use crate::store::{InMemoryStore, Store, TenantFilter};

/// How many times a request is retried when a concurrent request changed what it read.
pub(crate) const COMMIT_ATTEMPTS: usize = 4;

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
    pub(crate) shared: Arc<Shared<S, A>>,
}

impl<S, A> Clone for Occi<S, A> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Shared<S, A> {
    pub(crate) config: Config,
    /// `Server` (with the `OCCI/x.y` token) and `Accept` (the media types offered): the same
    /// on every response, so built once.
    server_header: HeaderValue,
    accept_header: HeaderValue,
    /// Copy-on-write: a request takes the current `Arc` and keeps a consistent view; the
    /// query interface swaps in a new registry when user Mixins change.
    pub(crate) registry: RwLock<Arc<Registry>>,
    pub(crate) store: S,
    pub(crate) actions: A,
    pub(crate) backends: Backends,
    /// The handle given to hooks; it refers back to this `Shared` without keeping it alive.
    pub(crate) lifecycle: Lifecycle,
    /// What this server last read of the stored Mixins (see `operation::query_interface`).
    pub(crate) stored_mixins: std::sync::Mutex<crate::operation::StoredMixins>,
}

/// Builds an [`Occi`]: registry, store, action handler, base URL, renderings, limits.
#[derive(Debug)]
pub struct OcciBuilder<S, A> {
    registry: Option<Registry>,
    store: S,
    actions: A,
    backends: Backends,
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
            backends: Backends::default(),
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
            backends: self.backends,
            config: self.config,
        }
    }

    /// What actions do. Default: [`NotImplemented`].
    pub fn actions<A2: ActionHandler>(self, actions: A2) -> OcciBuilder<S, A2> {
        OcciBuilder {
            registry: self.registry,
            store: self.store,
            actions,
            backends: self.backends,
            config: self.config,
        }
    }

    /// The backend of the entities of `kind` and of the Kinds below it that have none of
    /// their own (see [`crate::backend`] for when its hooks run).
    #[must_use]
    pub fn backend(mut self, kind: CategoryId, backend: impl Backend) -> Self {
        self.backends.insert(kind, Arc::new(backend));
        self
    }

    /// The backend of every Kind that has none of its own. Default: [`crate::StoreOnly`].
    #[must_use]
    pub fn default_backend(mut self, backend: impl Backend) -> Self {
        self.backends.set_default(Arc::new(backend));
        self
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

    /// The wire dialect the server answers in. Default: [`Dialect::Occi`].
    ///
    /// With [`Dialect::PySsf`] the server answers as PySSF 0.4.7 did, which the peers of
    /// Hurtle (its Service Manager, Cloud Controller and Service Orchestrators) read:
    ///
    /// * `application/occi+json` (and `application/json`) is PySSF's pre-standard JSON
    ///   ([`occi_render::json::pyssf`]): an entity as `{kind, mixins, attributes, actions,
    ///   links}`, a listing as a bare array of entities (`[]` when empty), the query
    ///   interface as an array of categories with relative locations;
    /// * the query interface lists the service's categories before the core Kinds (PySSF's
    ///   peers take the first Kind with a `related` as the service's), and in the text
    ///   renderings gives each location as an absolute URL (`location="http://host/app/"`),
    ///   built like `Location` headers;
    /// * errors are plain text whatever the `Accept`;
    /// * a create (201) and an answer without structures say `OK` in the body in every
    ///   rendering.
    ///
    /// Requests are read the same in both dialects (leniently, PySSF's Categories without
    /// `class` included).
    #[must_use]
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.config.dialect = dialect;
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
        let (store, actions, backends) = (self.store, self.actions, self.backends);
        let shared = Arc::new_cyclic(|me: &Weak<Shared<S, A>>| {
            let target: Weak<dyn LifecycleTarget> = me.clone();
            Shared {
                config,
                server_header,
                accept_header,
                registry: RwLock::new(Arc::new(registry)),
                store,
                actions,
                backends,
                lifecycle: Lifecycle::new(target),
                stored_mixins: std::sync::Mutex::default(),
            }
        });
        Ok(Occi { shared })
    }
}

/// Everything a request's operation needs, settled before it runs: the registry snapshot,
/// the caller, the negotiated rendering, the preconditions and the decoded data.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The one registry snapshot the request is served with.
    pub(crate) registry: Arc<Registry>,
    pub(crate) identity: Option<Identity>,
    /// What the caller may see: its tenant's entities (none's, without an identity).
    pub(crate) tenant: TenantFilter,
    pub(crate) query: QueryParams,
    pub(crate) media: MediaType,
    pub(crate) base: String,
    pub(crate) conditions: Conditions,
    pub(crate) data: Decoded,
}

impl Ctx {
    /// The hook context of this request.
    pub(crate) fn hook<'a>(&'a self, lifecycle: &'a Lifecycle) -> Hook<'a> {
        Hook {
            registry: &self.registry,
            identity: self.identity.as_ref(),
            lifecycle,
        }
    }
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

    /// The handle with which backends change entities from background tasks.
    pub fn lifecycle(&self) -> Lifecycle {
        self.shared.lifecycle.clone()
    }

    /// The largest request body this server accepts, in bytes.
    pub fn body_limit(&self) -> usize {
        self.shared.config.body_limit
    }

    /// An error response carrying the server's headers, for failures found before
    /// [`Occi::handle`] runs (a body over the limit while it is read).
    pub(crate) fn reject(&self, status: StatusCode, message: String) -> Response<Bytes> {
        let mut response = respond::failure(&Failure::new(status, message), None);
        self.finish(&mut response, false);
        response
    }

    pub(crate) fn current_registry(&self) -> Arc<Registry> {
        match self.shared.registry.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Handles one request. Never fails: every problem is an error response. Each request
    /// is logged at info level (target `occi_server::access`: method, target, status and
    /// time taken).
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let started = std::time::Instant::now();
        let is_head = request.method() == Method::HEAD;
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let (parts, body) = request.into_parts();
        let mut response = match self.prepare(parts, body).await {
            Ok((ctx, operation)) => match self.run(&ctx, &operation).await {
                Ok(reply) => respond::reply(reply, ctx.media, &ctx.base, self.config().dialect),
                Err(failure) => respond::failure(&failure, self.error_media(Some(ctx.media))),
            },
            Err((failure, media)) => respond::failure(&failure, self.error_media(media)),
        };
        self.finish(&mut response, is_head);
        tracing::info!(
            target: "occi_server::access",
            %method,
            target = %uri,
            status = response.status().as_u16(),
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
        response
    }

    /// Runs the operation, again when a concurrent request changed what it read (the data is
    /// decoded already). Each attempt's hooks end in `committed` or `aborted`.
    async fn run(&self, ctx: &Ctx, operation: &Operation) -> Result<Reply, Failure> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut attempt = Attempt::default();
            let result = self.dispatch(ctx, operation, &mut attempt).await;
            self.settle(ctx, attempt).await;
            match result {
                Err(f) if f.retryable && attempts < COMMIT_ATTEMPTS => {}
                other => return other,
            }
        }
    }

    /// Stages 1 to 4: limits, version, path, query, the route table, negotiation of the
    /// response, preconditions, and the request's data decoded once.
    async fn prepare(
        &self,
        parts: http::request::Parts,
        body: Bytes,
    ) -> Result<(Ctx, Operation), (Failure, Option<MediaType>)> {
        let config = self.config();
        let fail = |f: Failure| (f, None);
        Self::check_limits(config, &parts, &body).map_err(fail)?;
        // The one registry snapshot of this request (with the Mixins other replicas stored).
        let registry = self.fresh_registry().await;
        check_client_version(&parts.headers, registry.version()).map_err(fail)?;
        let target = route::route(&registry, parts.uri.path())
            .map_err(|e| fail(Failure::bad_request(e.0)))?;
        let query =
            route::parse_query(parts.uri.query()).map_err(|e| fail(Failure::bad_request(e.0)))?;
        let operation = match route::operation(&target, &parts.method, query.action.is_some()) {
            Ok(op) => op,
            Err(Refusal::MethodNotAllowed) => {
                return Err(fail(Failure::method_not_allowed(
                    &parts.method,
                    route::allow(&target),
                )));
            }
            Err(Refusal::NotHere(why)) => {
                return Err(fail(
                    Failure::new(StatusCode::METHOD_NOT_ALLOWED, why)
                        .with_allow(route::allow(&target)),
                ));
            }
            Err(Refusal::ActionNeedsPost) => {
                return Err(fail(Failure::bad_request(
                    "an action (?action=…) is invoked with POST",
                )));
            }
        };
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
        if media == MediaType::UriList
            && !matches!(target, Target::Collection(..) | Target::Namespace(_))
        {
            return Err(fail(Failure::bad_request(
                "text/uri-list renders only listings (collections); this is not one (H11 §3.6.6, T12 §8)",
            )));
        }
        let conditions = Conditions::read(&parts.headers).map_err(|f| (f, Some(media)))?;
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
        let raw = Raw {
            headers: &parts.headers,
            body: &body,
            options: &options,
            registry: &registry,
            base: &base,
        };
        let identity = parts.extensions.get::<Identity>().cloned();
        let tenant = TenantFilter::Only(identity.as_ref().map(|i| Arc::clone(i.tenant_arc())));
        let data = self
            .decode(&operation, &raw, query.action.as_ref(), &tenant)
            .await
            .map_err(|f| (f, Some(media)))?;
        Ok((
            Ctx {
                registry,
                identity,
                tenant,
                query,
                media,
                base,
                conditions,
                data,
            },
            operation,
        ))
    }

    /// Stage 1: the limits on the request target, headers and body.
    fn check_limits(
        config: &Config,
        parts: &http::request::Parts,
        body: &Bytes,
    ) -> Result<(), Failure> {
        let target_len = parts.uri.path_and_query().map_or(0, |p| p.as_str().len());
        if target_len > config.max_uri_len {
            return Err(Failure::new(
                StatusCode::URI_TOO_LONG,
                format!(
                    "the request target has {target_len} bytes; the limit is {}",
                    config.max_uri_len
                ),
            ));
        }
        let header_bytes: usize = parts
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        if parts.headers.len() > config.max_headers || header_bytes > config.max_header_bytes {
            return Err(Failure::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!(
                    "the request has {} header fields and {header_bytes} header bytes; the limits are {} and {}",
                    parts.headers.len(),
                    config.max_headers,
                    config.max_header_bytes
                ),
            ));
        }
        if body.len() > config.body_limit {
            return Err(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body has {} bytes; the limit is {}",
                    body.len(),
                    config.body_limit
                ),
            ));
        }
        Ok(())
    }

    /// The rendering of an error answer: the negotiated one, but never JSON in the PySSF
    /// dialect (PySSF's errors are plain text).
    fn error_media(&self, media: Option<MediaType>) -> Option<MediaType> {
        match self.config().dialect {
            Dialect::PySsf => None,
            _ => media,
        }
    }

    /// Headers every response carries; HEAD loses its body.
    fn finish(&self, response: &mut Response<Bytes>, is_head: bool) {
        respond::finish(
            response,
            &self.shared.server_header,
            &self.shared.accept_header,
            is_head,
        );
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
