//! Authentication as tower layers in front of [`OcciService`](crate::OcciService).
//!
//! An [`AuthLayer`] checks every request with an [`Authenticate`] scheme before the wrapped
//! service sees it. A verified caller travels on as an [`Identity`] in the request's
//! extensions, where the server core reads it; a request that fails is answered by the layer
//! itself with an OCCI error body (plain text, or JSON when the client accepts JSON):
//!
//! * no or wrong credentials: **401** with a `WWW-Authenticate` challenge per scheme;
//! * valid credentials that do not allow the request (a read-only caller writing, a Hurtle
//!   token naming a tenant it does not belong to): **403**;
//! * the identity service cannot be reached: **503**.
//!
//! Clients written against Hurtle's Python services expect other statuses for requests
//! without the `X-Auth-Token` and `X-Tenant-Name` headers: [`AuthLayer::statuses`] with an
//! [`AuthStatuses`] answers as they do (never with a 500).
//!
//! Schemes:
//! * [`BearerTokens`]: `Authorization: Bearer <token>` against a static table;
//! * `BasicUsers` (feature `basic-auth`): `Authorization: Basic` against argon2 password
//!   hashes;
//! * [`XAuthToken`]: Hurtle's `X-Auth-Token` and `X-Tenant-Name` headers, checked by a
//!   pluggable asynchronous [`TokenValidator`]: [`StaticTokens`] (a token-to-tenants table) or
//!   `KeystoneV2` (feature `keystone`, `POST /v2.0/tokens` against an identity service).
//!
//! [`Authenticate::or`] combines schemes: the first one whose credentials the request carries
//! decides. `AuthFile` (feature `auth-file`) reads tokens and users from a TOML file.
//!
//! ```
//! use occi_server::auth::{Authenticate, AuthLayer, BearerTokens, StaticTokens, XAuthToken};
//! use occi_server::{Identity, Occi, OcciService};
//! use tower::Layer;
//!
//! let bearer = BearerTokens::new().grant("s3cret", Identity::new("ci", "acme"));
//! let hurtle = XAuthToken::new(StaticTokens::new().token("tok-1", "sm", ["acme"]));
//! let service = AuthLayer::new(bearer.or(hurtle))
//!     .layer(OcciService::new(Occi::builder().build()?));
//! # let _ = service;
//! # Ok::<(), occi_server::ConfigError>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};

use crate::error::Failure;
use crate::identity::Identity;

#[cfg(feature = "basic-auth")]
mod basic;
mod bearer;
#[cfg(feature = "auth-file")]
mod file;
#[cfg(feature = "keystone")]
mod keystone;
mod token;

#[cfg(feature = "basic-auth")]
pub use basic::{BasicUsers, PasswordHashError, hash_password};
pub use bearer::BearerTokens;
#[cfg(feature = "auth-file")]
pub use file::{AuthFile, AuthFileError, FileAuth};
#[cfg(feature = "keystone")]
pub use keystone::KeystoneV2;
pub use token::{StaticTokens, TokenValidator, XAuthToken};

/// The realm named in every challenge.
pub(crate) const REALM: &str = "occi";

/// An authentication scheme: decides who sends a request.
///
/// Implementations are shared by every request (behind an `Arc`), so they take `&self`.
pub trait Authenticate: Send + Sync + 'static {
    /// Checks the request's credentials. An error whose kind is
    /// [`AuthErrorKind::Missing`] means the request carries no credentials of this scheme,
    /// which lets [`Authenticate::or`] try the next one.
    fn authenticate(
        &self,
        request: &Parts,
    ) -> impl Future<Output = Result<Identity, AuthError>> + Send;

    /// The `WWW-Authenticate` challenges a 401 carries for this scheme.
    fn challenges(&self) -> Vec<HeaderValue>;

    /// This scheme, or `other` when the request carries no credentials of this one.
    fn or<B: Authenticate>(self, other: B) -> AnyOf<Self, B>
    where
        Self: Sized,
    {
        AnyOf {
            first: self,
            second: other,
        }
    }
}

/// Two schemes: the first one whose credentials the request carries decides
/// ([`Authenticate::or`]).
#[derive(Debug, Clone)]
pub struct AnyOf<A, B> {
    first: A,
    second: B,
}

impl<A: Authenticate, B: Authenticate> Authenticate for AnyOf<A, B> {
    async fn authenticate(&self, request: &Parts) -> Result<Identity, AuthError> {
        match self.first.authenticate(request).await {
            Err(error) if error.kind() == AuthErrorKind::Missing => {
                self.second.authenticate(request).await
            }
            decided => decided,
        }
    }

    fn challenges(&self) -> Vec<HeaderValue> {
        let mut challenges = self.first.challenges();
        challenges.extend(self.second.challenges());
        challenges
    }
}

/// What went wrong when authenticating a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// The request carries no credentials of the scheme (401).
    Missing,
    /// The credentials are wrong, unknown or malformed (401).
    Invalid,
    /// The request carries only part of the scheme's credentials, such as an `X-Auth-Token`
    /// without an `X-Tenant-Name` (401).
    Incomplete,
    /// The credentials are valid but do not allow this request (403).
    Forbidden,
    /// The credentials could not be checked: the identity service is unreachable or
    /// answered nonsense (503).
    Unavailable,
}

/// A request that could not be authenticated: the kind and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    kind: AuthErrorKind,
    message: String,
}

impl AuthError {
    /// An error of `kind` with a message the client will read.
    pub fn new(kind: AuthErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// No credentials of the scheme.
    pub fn missing(message: impl Into<String>) -> Self {
        Self::new(AuthErrorKind::Missing, message)
    }

    /// Wrong, unknown or malformed credentials.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(AuthErrorKind::Invalid, message)
    }

    /// Only part of the scheme's credentials.
    pub fn incomplete(message: impl Into<String>) -> Self {
        Self::new(AuthErrorKind::Incomplete, message)
    }

    /// Valid credentials that do not allow the request.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(AuthErrorKind::Forbidden, message)
    }

    /// The credentials could not be checked.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(AuthErrorKind::Unavailable, message)
    }

    /// What went wrong.
    pub fn kind(&self) -> AuthErrorKind {
        self.kind
    }

    /// The message for the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self.kind {
            AuthErrorKind::Missing | AuthErrorKind::Invalid | AuthErrorKind::Incomplete => {
                StatusCode::UNAUTHORIZED
            }
            AuthErrorKind::Forbidden => StatusCode::FORBIDDEN,
            AuthErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The OCCI error response: the status, the challenges on a 401, and the message as
    /// JSON when `accept` names JSON, as plain text otherwise.
    pub fn to_response<B: From<Bytes>>(
        &self,
        accept: Option<&HeaderValue>,
        challenges: &[HeaderValue],
    ) -> Response<B> {
        self.response_with(self.status(), accept, challenges)
    }

    /// The OCCI error response with `status` (challenges only on a 401).
    fn response_with<B: From<Bytes>>(
        &self,
        status: StatusCode,
        accept: Option<&HeaderValue>,
        challenges: &[HeaderValue],
    ) -> Response<B> {
        let failure = Failure::new(status, self.message.clone());
        let json = accept
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("json"));
        let (body, content_type) = if json {
            (failure.json_body(), "application/occi+json")
        } else {
            (failure.text_body(), "text/plain; charset=utf-8")
        };
        let length = body.len();
        let mut response = Response::new(B::from(Bytes::from(body)));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        if status == StatusCode::UNAUTHORIZED {
            for challenge in challenges {
                headers.append(WWW_AUTHENTICATE, challenge.clone());
            }
        }
        response
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuthError {}

/// A `WWW-Authenticate` challenge of `scheme` in this server's realm, with `params` (each
/// starting with `", "`) after the realm.
pub(crate) fn challenge(scheme: &str, params: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{scheme} realm=\"{REALM}\"{params}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

/// Whether `method` only reads (what a read-only grant may do).
pub(crate) fn only_reads(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The 403 of a read-only caller that tries to change something.
pub(crate) fn read_only_refusal(who: &Identity, method: &Method) -> AuthError {
    AuthError::forbidden(format!(
        "{} may only read (GET, HEAD); {method} is not allowed",
        who.user()
    ))
}

/// The value of a single header as text, if present and valid.
pub(crate) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The statuses with which an [`AuthLayer`] refuses requests.
///
/// Hurtle's services answer requests without their `X-Auth-Token` and `X-Tenant-Name`
/// headers differently from this server (hurtle.md §1.2, §6.1 #3, §6.2 #1): clients written
/// against them may expect those statuses. Only requests with no or partial credentials
/// ([`AuthErrorKind::Missing`], [`AuthErrorKind::Incomplete`]) are answered differently;
/// wrong credentials stay 401, forbidden ones 403 and an unreachable identity service 503.
/// None of them is ever a 500 (which is what the Python SM sends on the wire, by accident).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AuthStatuses {
    /// 401 with `WWW-Authenticate` for no or partial credentials (RFC 9110 §11.6.1).
    #[default]
    Http,
    /// As Hurtle's service manager intends: 400 for a request without `X-Auth-Token` or
    /// without `X-Tenant-Name` ("No X-Auth-Token header supplied."), 401 for a token that is
    /// not valid.
    HurtleServiceManager,
    /// As Hurtle's service orchestrators answer: 403 for any request without
    /// `X-Auth-Token` or without `X-Tenant-Name` ("X-Auth-Token required").
    HurtleServiceOrchestrator,
}

impl AuthStatuses {
    /// The status `error` is answered with.
    pub fn status(self, error: &AuthError) -> StatusCode {
        let unsupplied = matches!(
            error.kind(),
            AuthErrorKind::Missing | AuthErrorKind::Incomplete
        );
        match self {
            Self::HurtleServiceManager if unsupplied => StatusCode::BAD_REQUEST,
            Self::HurtleServiceOrchestrator if unsupplied => StatusCode::FORBIDDEN,
            _ => error.status(),
        }
    }
}

/// The tower layer that authenticates every request with `A` (see the [module](self)).
#[derive(Debug)]
pub struct AuthLayer<A> {
    scheme: Arc<A>,
    statuses: AuthStatuses,
}

impl<A> Clone for AuthLayer<A> {
    fn clone(&self) -> Self {
        Self {
            scheme: Arc::clone(&self.scheme),
            statuses: self.statuses,
        }
    }
}

impl<A: Authenticate> AuthLayer<A> {
    /// A layer that authenticates with `scheme`.
    pub fn new(scheme: A) -> Self {
        Self {
            scheme: Arc::new(scheme),
            statuses: AuthStatuses::default(),
        }
    }

    /// The statuses refusals are answered with. Default: [`AuthStatuses::Http`].
    ///
    /// ```
    /// use occi_server::auth::{AuthLayer, AuthStatuses, StaticTokens, XAuthToken};
    /// let layer = AuthLayer::new(XAuthToken::new(StaticTokens::new().token("t", "sm", ["a"])))
    ///     .statuses(AuthStatuses::HurtleServiceManager);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn statuses(mut self, statuses: AuthStatuses) -> Self {
        self.statuses = statuses;
        self
    }

    /// The scheme.
    pub fn scheme(&self) -> &A {
        &self.scheme
    }
}

impl<S, A> tower_layer::Layer<S> for AuthLayer<A> {
    type Service = Authenticated<S, A>;

    fn layer(&self, inner: S) -> Authenticated<S, A> {
        Authenticated {
            inner,
            scheme: Arc::clone(&self.scheme),
            statuses: self.statuses,
        }
    }
}

/// A service behind an [`AuthLayer`]: it sees only authenticated requests, each with its
/// [`Identity`] in the extensions.
#[derive(Debug)]
pub struct Authenticated<S, A> {
    inner: S,
    scheme: Arc<A>,
    statuses: AuthStatuses,
}

impl<S: Clone, A> Clone for Authenticated<S, A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            scheme: Arc::clone(&self.scheme),
            statuses: self.statuses,
        }
    }
}

impl<S, A, B, R> tower_service::Service<Request<B>> for Authenticated<S, A>
where
    S: tower_service::Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    A: Authenticate,
    B: Send + 'static,
    R: From<Bytes> + Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<R>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone takes the place of the service that was polled ready, which serves this
        // request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let scheme = Arc::clone(&self.scheme);
        let statuses = self.statuses;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match scheme.authenticate(&parts).await {
                Ok(identity) => {
                    parts.extensions.insert(identity);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(error) => {
                    let status = statuses.status(&error);
                    tracing::info!(
                        target: "occi_server::access",
                        method = %parts.method,
                        target = %parts.uri,
                        status = status.as_u16(),
                        reason = error.message(),
                        "request not authenticated"
                    );
                    Ok(
                        error.response_with(
                            status,
                            parts.headers.get(ACCEPT),
                            &scheme.challenges(),
                        ),
                    )
                }
            }
        })
    }
}
