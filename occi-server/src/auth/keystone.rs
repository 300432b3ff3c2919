//! Hurtle tokens checked against an OpenStack Keystone v2 identity service (feature
//! `keystone`), over `http://` or `https://`, with a bounded cache of the answers.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::time::Instant;
use tokio_rustls::rustls;

use super::{AuthError, AuthErrorKind, TokenValidator, challenge};
use crate::identity::Identity;

/// The largest Keystone answer read.
const ANSWER_LIMIT: usize = 1 << 20;

/// A [`TokenValidator`] that asks Keystone v2, as Hurtle's service manager does:
/// `POST {url}/tokens` with `{"auth": {"token": {"id": <token>}, "tenantName": <tenant>}}`.
/// A 200 whose `access.token.tenant.name` is the tenant gives the identity of
/// `access.user.name`; 401 and 404 mean the token is not valid for the tenant (401 to the
/// client), 403 that it may not act for it (403); anything else, a time-out or no answer is
/// 503.
///
/// `https://` URLs are checked with rustls against the Web PKI roots, and any roots added
/// with [`KeystoneV2::add_root_certificates`].
///
/// # Cache
///
/// Hurtle clients send their token with every request, and asking Keystone each time costs
/// a round trip per request. Successful validations are therefore kept for a while (60 s by
/// default, [`KeystoneV2::cache_ttl`]), for at most 1,024 token and tenant pairs
/// ([`KeystoneV2::cache_capacity`]; the entry closest to expiry makes room for a new one). A
/// revoked token is thus still accepted until its entry expires. Refusals (an invalid or
/// foreign token) are kept only briefly (5 s, [`KeystoneV2::negative_ttl`]), so that a
/// client repeating a wrong token does not hammer Keystone, and a token that becomes valid is
/// soon accepted. An unavailable Keystone is never cached: the next request asks again.
#[derive(Clone)]
pub struct KeystoneV2 {
    tokens_url: http::Uri,
    challenge: HeaderValue,
    timeout: Duration,
    roots: rustls::RootCertStore,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    cache: Arc<Validations>,
}

impl fmt::Debug for KeystoneV2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeystoneV2")
            .field("tokens_url", &self.tokens_url)
            .field("timeout", &self.timeout)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl KeystoneV2 {
    /// A validator for the Keystone v2 API at `url` (for example
    /// `https://keystone.example:5000/v2.0`). Fails unless `url` is an absolute `http://` or
    /// `https://` URL.
    pub fn new(url: &str) -> Result<Self, AuthError> {
        let base = url.trim_end_matches('/');
        let tokens_url: http::Uri = format!("{base}/tokens").parse().map_err(|e| {
            AuthError::unavailable(format!("the Keystone URL {url:?} is not valid: {e}"))
        })?;
        if !matches!(tokens_url.scheme_str(), Some("http" | "https"))
            || tokens_url.authority().is_none()
        {
            return Err(AuthError::unavailable(format!(
                "the Keystone URL {url:?} is not an absolute http:// or https:// URL"
            )));
        }
        let quoted = base.replace(['"', '\\'], "");
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Ok(Self {
            tokens_url,
            challenge: challenge("Keystone", &format!(", uri=\"{quoted}\"")),
            timeout: Duration::from_secs(10),
            client: client(&roots),
            roots,
            cache: Arc::new(Validations::new(
                1024,
                Duration::from_mins(1),
                Duration::from_secs(5),
            )),
        })
    }

    /// How long to wait for Keystone's answer (10 s by default); past it the request is 503.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also trusts the certificates of `pem` (one or more PEM `CERTIFICATE` blocks) as
    /// roots, for a Keystone with a private certificate authority.
    pub fn add_root_certificates(mut self, pem: &[u8]) -> Result<Self, AuthError> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject as _;
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AuthError::unavailable(format!("unreadable PEM certificate: {e}")))?;
        if certificates.is_empty() {
            return Err(AuthError::unavailable("no PEM CERTIFICATE block found"));
        }
        for certificate in certificates {
            self.roots
                .add(certificate)
                .map_err(|e| AuthError::unavailable(format!("unusable root certificate: {e}")))?;
        }
        self.client = client(&self.roots);
        Ok(self)
    }

    /// How long a successful validation is kept (60 s by default; zero keeps none).
    #[must_use]
    pub fn cache_ttl(self, ttl: Duration) -> Self {
        self.recache(|c| c.ttl = ttl)
    }

    /// How long a refusal (invalid or foreign token) is kept (5 s by default; zero keeps
    /// none).
    #[must_use]
    pub fn negative_ttl(self, ttl: Duration) -> Self {
        self.recache(|c| c.negative_ttl = ttl)
    }

    /// How many token and tenant pairs the cache holds at the most (1,024 by default; zero
    /// turns the cache off).
    #[must_use]
    pub fn cache_capacity(self, capacity: usize) -> Self {
        self.recache(|c| c.capacity = capacity)
    }

    /// A new, empty cache with changed settings (clones made before keep theirs).
    fn recache(mut self, change: impl FnOnce(&mut Validations)) -> Self {
        let mut cache =
            Validations::new(self.cache.capacity, self.cache.ttl, self.cache.negative_ttl);
        change(&mut cache);
        self.cache = Arc::new(cache);
        self
    }

    async fn ask(&self, token: &str, tenant: &str) -> Result<(StatusCode, Bytes), String> {
        let body = serde_json::json!({
            "auth": {"token": {"id": token}, "tenantName": tenant}
        });
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.tokens_url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let response = self.client.request(request).await.map_err(|e| {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            message
        })?;
        let status = response.status();
        let body = http_body_util::Limited::new(response.into_body(), ANSWER_LIMIT)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }

    /// Keystone's verdict, uncached.
    async fn check(&self, token: &str, tenant: &str) -> Result<Identity, AuthError> {
        let unavailable = |why: String| {
            tracing::warn!(url = %self.tokens_url, reason = %why, "Keystone check failed");
            AuthError::unavailable("the identity service could not check the X-Auth-Token")
        };
        let (status, body) = match tokio::time::timeout(self.timeout, self.ask(token, tenant)).await
        {
            Ok(Ok(answer)) => answer,
            Ok(Err(why)) => return Err(unavailable(why)),
            Err(_) => return Err(unavailable(format!("no answer within {:?}", self.timeout))),
        };
        match status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND => {
                return Err(AuthError::invalid(format!(
                    "the X-Auth-Token is not valid for tenant {tenant:?}"
                )));
            }
            StatusCode::FORBIDDEN => {
                return Err(AuthError::forbidden(format!(
                    "the X-Auth-Token may not act for tenant {tenant:?}"
                )));
            }
            other => return Err(unavailable(format!("Keystone answered {other}"))),
        }
        let access: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| unavailable(format!("Keystone's answer is not JSON: {e}")))?;
        let scoped = access
            .pointer("/access/token/tenant/name")
            .and_then(serde_json::Value::as_str);
        if scoped != Some(tenant) {
            return Err(AuthError::forbidden(format!(
                "the X-Auth-Token is not scoped to tenant {tenant:?}"
            )));
        }
        let user = [
            "/access/user/name",
            "/access/user/username",
            "/access/user/id",
        ]
        .iter()
        .find_map(|p| access.pointer(p).and_then(serde_json::Value::as_str))
        .ok_or_else(|| unavailable("Keystone's answer names no user".to_owned()))?;
        Ok(Identity::new(user, tenant))
    }
}

/// The HTTP client: `http://` as it is, `https://` through rustls with `roots`.
fn client(roots: &rustls::RootCertStore) -> Client<HttpsConnector<HttpConnector>, Full<Bytes>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions");
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(
            versions
                .with_root_certificates(roots.clone())
                .with_no_client_auth(),
        )
        .https_or_http()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(connector)
}

impl TokenValidator for KeystoneV2 {
    async fn validate(&self, token: &str, tenant: &str) -> Result<Identity, AuthError> {
        if let Some(verdict) = self.cache.get(token, tenant) {
            return verdict;
        }
        let verdict = self.check(token, tenant).await;
        self.cache.put(token, tenant, &verdict);
        verdict
    }

    fn challenge(&self) -> HeaderValue {
        self.challenge.clone()
    }
}

/// Keystone's recent verdicts, per token and tenant, each until it expires.
struct Validations {
    capacity: usize,
    ttl: Duration,
    negative_ttl: Duration,
    entries: Mutex<HashMap<(String, String), Verdict>>,
}

/// A kept verdict.
struct Verdict {
    outcome: Result<Identity, AuthError>,
    expires: Instant,
}

impl fmt::Debug for Validations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The keys are secrets: only their number is shown.
        f.debug_struct("Validations")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("negative_ttl", &self.negative_ttl)
            .field("held", &self.entries().len())
            .finish_non_exhaustive()
    }
}

impl Validations {
    fn new(capacity: usize, ttl: Duration, negative_ttl: Duration) -> Self {
        Self {
            capacity,
            ttl,
            negative_ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Verdict>> {
        // A panic while the lock was held cannot leave a map half-changed in a way that
        // matters: at worst a verdict is missing, and Keystone is asked again.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The kept verdict for `token` in `tenant`, unless it has expired.
    fn get(&self, token: &str, tenant: &str) -> Option<Result<Identity, AuthError>> {
        if self.capacity == 0 {
            return None;
        }
        let key = (token.to_owned(), tenant.to_owned());
        let mut entries = self.entries();
        match entries.get(&key) {
            Some(verdict) if verdict.expires > Instant::now() => Some(verdict.outcome.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Keeps `outcome` for its time to live: a validation for the TTL, a refusal for the
    /// negative TTL, an unavailable identity service not at all.
    fn put(&self, token: &str, tenant: &str, outcome: &Result<Identity, AuthError>) {
        let ttl = match outcome {
            Ok(_) => self.ttl,
            Err(e) if matches!(e.kind(), AuthErrorKind::Invalid | AuthErrorKind::Forbidden) => {
                self.negative_ttl
            }
            Err(_) => return,
        };
        if self.capacity == 0 || ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.len() >= self.capacity {
            entries.retain(|_, v| v.expires > now);
        }
        while entries.len() >= self.capacity {
            let Some(soonest) = entries
                .iter()
                .min_by_key(|(_, v)| v.expires)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            entries.remove(&soonest);
        }
        entries.insert(
            (token.to_owned(), tenant.to_owned()),
            Verdict {
                outcome: outcome.clone(),
                expires: now + ttl,
            },
        );
    }

    /// How many verdicts are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_cache_is_bounded_and_keeps_what_it_should() {
        let cache = Validations::new(2, Duration::from_hours(1), Duration::from_hours(1));
        let ok = Ok(Identity::new("u", "t"));
        cache.put("a", "t", &ok);
        cache.put("b", "t", &Err(AuthError::invalid("no")));
        cache.put("c", "t", &Err(AuthError::unavailable("down")));
        assert_eq!(cache.len(), 2, "an unavailable verdict is not kept");
        assert_eq!(cache.get("a", "t"), Some(ok.clone()));
        assert_eq!(
            cache.get("a", "other"),
            None,
            "the tenant is part of the key"
        );
        cache.put("d", "t", &ok);
        assert_eq!(cache.len(), 2, "the capacity holds");
        assert_eq!(cache.get("d", "t"), Some(ok));

        let off = Validations::new(0, Duration::from_hours(1), Duration::from_hours(1));
        off.put("a", "t", &Ok(Identity::new("u", "t")));
        assert_eq!((off.len(), off.get("a", "t")), (0, None));
    }
}
