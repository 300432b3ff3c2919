//! Hurtle's `X-Auth-Token` and `X-Tenant-Name` headers, checked by a pluggable validator.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;

use http::HeaderValue;
use http::request::Parts;

use super::{AuthError, Authenticate, challenge, header_text};
use crate::identity::Identity;

/// Decides whether a Hurtle token may act for a tenant.
///
/// [`StaticTokens`] is a fixed table; `KeystoneV2` (feature
/// `keystone`) asks an identity service. Return [`AuthError::invalid`] for a token that is
/// not valid, [`AuthError::forbidden`] for a valid token that may not act for `tenant`, and
/// [`AuthError::unavailable`] when the answer cannot be had.
pub trait TokenValidator: Send + Sync + 'static {
    /// The identity `token` has in `tenant`.
    fn validate(
        &self,
        token: &str,
        tenant: &str,
    ) -> impl Future<Output = Result<Identity, AuthError>> + Send;

    /// The `WWW-Authenticate` challenge of a 401.
    fn challenge(&self) -> HeaderValue {
        challenge("X-Auth-Token", "")
    }
}

/// Hurtle's authentication: every request names a token (`X-Auth-Token`) and the tenant it
/// acts for (`X-Tenant-Name`); a [`TokenValidator`] decides. A request that carries neither
/// header is left to the next scheme of an [`Authenticate::or`] chain; one that carries only
/// one of them is refused ([`AuthError::incomplete`], 401 unless the layer's
/// [`AuthStatuses`](super::AuthStatuses) say otherwise) with a message naming the missing
/// header.
#[derive(Debug, Clone)]
pub struct XAuthToken<V> {
    validator: V,
}

impl<V: TokenValidator> XAuthToken<V> {
    /// The scheme with `validator`.
    pub fn new(validator: V) -> Self {
        Self { validator }
    }

    /// The validator.
    pub fn validator(&self) -> &V {
        &self.validator
    }
}

/// The header naming the token.
const TOKEN_HEADER: &str = "x-auth-token";
/// The header naming the tenant.
const TENANT_HEADER: &str = "x-tenant-name";

impl<V: TokenValidator> Authenticate for XAuthToken<V> {
    async fn authenticate(&self, request: &Parts) -> Result<Identity, AuthError> {
        let token = header_text(&request.headers, TOKEN_HEADER).map(str::trim);
        let tenant = header_text(&request.headers, TENANT_HEADER).map(str::trim);
        let (token, tenant) = match (token, tenant) {
            (Some(token), Some(tenant)) if !token.is_empty() && !tenant.is_empty() => {
                (token, tenant)
            }
            (None, None) => {
                return Err(AuthError::missing(
                    "this server needs credentials: no X-Auth-Token and X-Tenant-Name headers",
                ));
            }
            (None | Some(""), _) => {
                return Err(AuthError::incomplete("no X-Auth-Token header supplied"));
            }
            _ => return Err(AuthError::incomplete("no X-Tenant-Name header supplied")),
        };
        self.validator.validate(token, tenant).await
    }

    fn challenges(&self) -> Vec<HeaderValue> {
        vec![self.validator.challenge()]
    }
}

/// A fixed table of Hurtle tokens: each names its user and the tenants it may act for.
#[derive(Clone, Default)]
pub struct StaticTokens {
    tokens: HashMap<String, TokenGrant>,
}

#[derive(Clone)]
struct TokenGrant {
    user: String,
    tenants: HashSet<String>,
}

impl fmt::Debug for StaticTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The tokens are secrets: only their holders are shown.
        f.debug_struct("StaticTokens")
            .field(
                "holders",
                &self
                    .tokens
                    .values()
                    .map(|g| g.user.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl StaticTokens {
    /// No tokens: every token is invalid.
    pub fn new() -> Self {
        Self::default()
    }

    /// `token` belongs to `user`, who may act for each of `tenants`.
    #[must_use]
    pub fn token(
        mut self,
        token: impl Into<String>,
        user: impl Into<String>,
        tenants: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let grant = TokenGrant {
            user: user.into(),
            tenants: tenants.into_iter().map(Into::into).collect(),
        };
        self.tokens.insert(token.into(), grant);
        self
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The identity of `token` in `tenant`.
    fn lookup(&self, token: &str, tenant: &str) -> Result<Identity, AuthError> {
        let grant = self
            .tokens
            .get(token)
            .ok_or_else(|| AuthError::invalid("the X-Auth-Token is not valid"))?;
        if !grant.tenants.contains(tenant) {
            return Err(AuthError::forbidden(format!(
                "the X-Auth-Token of {} is not valid for tenant {tenant:?}",
                grant.user
            )));
        }
        Ok(Identity::new(grant.user.as_str(), tenant))
    }
}

impl TokenValidator for StaticTokens {
    async fn validate(&self, token: &str, tenant: &str) -> Result<Identity, AuthError> {
        self.lookup(token, tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthErrorKind;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().uri("/-/");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn scheme() -> XAuthToken<StaticTokens> {
        XAuthToken::new(StaticTokens::new().token("t1", "sm", ["acme", "demo"]))
    }

    #[tokio::test]
    async fn a_token_acts_for_the_tenants_it_names() {
        let who = scheme()
            .authenticate(&parts(&[("X-Auth-Token", "t1"), ("X-Tenant-Name", "demo")]))
            .await;
        assert_eq!(who, Ok(Identity::new("sm", "demo")));
    }

    #[tokio::test]
    async fn each_refusal_has_its_kind_and_names_what_is_wrong() {
        let refuse = |h: &'static [(&'static str, &'static str)]| async move {
            scheme().authenticate(&parts(h)).await.unwrap_err()
        };
        assert_eq!(refuse(&[]).await.kind(), AuthErrorKind::Missing);
        let e = refuse(&[("X-Tenant-Name", "acme")]).await;
        assert_eq!(e.kind(), AuthErrorKind::Incomplete);
        assert!(e.message().contains("X-Auth-Token"), "{e}");
        let e = refuse(&[("X-Auth-Token", "t1")]).await;
        assert_eq!(e.kind(), AuthErrorKind::Incomplete);
        assert!(e.message().contains("X-Tenant-Name"), "{e}");
        let e = refuse(&[("X-Auth-Token", "t2"), ("X-Tenant-Name", "acme")]).await;
        assert_eq!(e.kind(), AuthErrorKind::Invalid);
        let e = refuse(&[("X-Auth-Token", "t1"), ("X-Tenant-Name", "other")]).await;
        assert_eq!(e.kind(), AuthErrorKind::Forbidden);
        assert!(e.message().contains("\"other\""), "{e}");
    }
}
