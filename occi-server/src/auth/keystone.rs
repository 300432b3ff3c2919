//! Hurtle tokens checked against an OpenStack Keystone v2 identity service (feature
//! `keystone`).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{AuthError, TokenValidator, challenge};
use crate::identity::Identity;

/// The largest Keystone answer read.
const ANSWER_LIMIT: usize = 1 << 20;

/// A [`TokenValidator`] that asks Keystone v2, as Hurtle's service manager does:
/// `POST {url}/tokens` with `{"auth": {"token": {"id": <token>}, "tenantName": <tenant>}}`.
/// A 200 whose `access.token.tenant.name` is the tenant gives the identity of
/// `access.user.name`; 401 and 404 mean the token is not valid for the tenant (401 to the
/// client), 403 that it may not act for it (403); anything else, a time-out or no answer is
/// 503. Only `http://` URLs are supported.
#[derive(Debug, Clone)]
pub struct KeystoneV2 {
    tokens_url: http::Uri,
    challenge: HeaderValue,
    timeout: Duration,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl KeystoneV2 {
    /// A validator for the Keystone v2 API at `url` (for example
    /// `http://127.0.0.1:35357/v2.0`). Fails unless `url` is an absolute `http://` URL.
    pub fn new(url: &str) -> Result<Self, AuthError> {
        let base = url.trim_end_matches('/');
        let tokens_url: http::Uri = format!("{base}/tokens").parse().map_err(|e| {
            AuthError::unavailable(format!("the Keystone URL {url:?} is not valid: {e}"))
        })?;
        if tokens_url.scheme_str() != Some("http") || tokens_url.authority().is_none() {
            return Err(AuthError::unavailable(format!(
                "the Keystone URL {url:?} is not an absolute http:// URL"
            )));
        }
        let quoted = base.replace(['"', '\\'], "");
        Ok(Self {
            tokens_url,
            challenge: challenge("Keystone", &format!(", uri=\"{quoted}\"")),
            timeout: Duration::from_secs(10),
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// How long to wait for Keystone's answer (10 s by default); past it the request is 503.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
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
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = http_body_util::Limited::new(response.into_body(), ANSWER_LIMIT)
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok((status, body))
    }
}

impl TokenValidator for KeystoneV2 {
    async fn validate(&self, token: &str, tenant: &str) -> Result<Identity, AuthError> {
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

    fn challenge(&self) -> HeaderValue {
        self.challenge.clone()
    }
}
