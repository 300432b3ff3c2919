//! `Authorization: Bearer <token>` against a static table of tokens.

use std::collections::HashMap;
use std::fmt;

use http::HeaderValue;
use http::header::AUTHORIZATION;
use http::request::Parts;

use super::{AuthError, Authenticate, challenge, only_reads, read_only_refusal};
use crate::identity::Identity;

/// Static bearer tokens (RFC 6750 `Authorization: Bearer <token>`), each granting an
/// [`Identity`], with full or read-only access.
#[derive(Clone, Default)]
pub struct BearerTokens {
    grants: HashMap<String, Grant>,
}

#[derive(Clone)]
struct Grant {
    identity: Identity,
    read_only: bool,
}

impl fmt::Debug for BearerTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The tokens are secrets: only their holders are shown.
        f.debug_struct("BearerTokens")
            .field(
                "holders",
                &self
                    .grants
                    .values()
                    .map(|g| g.identity.user())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl BearerTokens {
    /// No tokens: every request is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// `token` lets its holder act as `identity`.
    #[must_use]
    pub fn grant(mut self, token: impl Into<String>, identity: Identity) -> Self {
        self.grants.insert(
            token.into(),
            Grant {
                identity,
                read_only: false,
            },
        );
        self
    }

    /// `token` lets its holder read (GET, HEAD) as `identity`; anything else is 403.
    #[must_use]
    pub fn grant_read_only(mut self, token: impl Into<String>, identity: Identity) -> Self {
        self.grants.insert(
            token.into(),
            Grant {
                identity,
                read_only: true,
            },
        );
        self
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.grants.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }
}

/// The credentials of `scheme` in the `Authorization` header, if it names that scheme
/// (case-insensitively, as RFC 9110 says).
pub(crate) fn credentials<'a>(request: &'a Parts, scheme: &str) -> Option<&'a str> {
    let value = request.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (name, rest) = value.split_once(' ').unwrap_or((value, ""));
    name.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

impl Authenticate for BearerTokens {
    async fn authenticate(&self, request: &Parts) -> Result<Identity, AuthError> {
        let Some(token) = credentials(request, "Bearer") else {
            return Err(AuthError::missing(
                "this server needs credentials: no Authorization: Bearer header",
            ));
        };
        let grant = self
            .grants
            .get(token)
            .ok_or_else(|| AuthError::invalid("the bearer token is not valid"))?;
        if grant.read_only && !only_reads(&request.method) {
            return Err(read_only_refusal(&grant.identity, &request.method));
        }
        Ok(grant.identity.clone())
    }

    fn challenges(&self) -> Vec<HeaderValue> {
        vec![challenge("Bearer", "")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthErrorKind;

    fn parts(method: &str, authorization: Option<&str>) -> Parts {
        let mut builder = http::Request::builder().method(method).uri("/compute/");
        if let Some(a) = authorization {
            builder = builder.header(AUTHORIZATION, a);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn tokens() -> BearerTokens {
        BearerTokens::new()
            .grant("rw", Identity::new("alice", "acme"))
            .grant_read_only("ro", Identity::new("bob", "acme"))
    }

    #[tokio::test]
    async fn a_known_token_is_its_identity_and_the_scheme_name_is_case_insensitive() {
        let who = tokens()
            .authenticate(&parts("POST", Some("bearer rw")))
            .await;
        assert_eq!(who, Ok(Identity::new("alice", "acme")));
        let who = tokens()
            .authenticate(&parts("GET", Some("Bearer  ro ")))
            .await;
        assert_eq!(who, Ok(Identity::new("bob", "acme")));
    }

    #[tokio::test]
    async fn missing_unknown_and_read_only_writes_are_refused_each_with_its_kind() {
        let kind = |r: Result<Identity, AuthError>| r.unwrap_err().kind();
        let t = tokens();
        assert_eq!(
            kind(t.authenticate(&parts("GET", None)).await),
            AuthErrorKind::Missing
        );
        assert_eq!(
            kind(t.authenticate(&parts("GET", Some("Basic cnc6"))).await),
            AuthErrorKind::Missing
        );
        assert_eq!(
            kind(t.authenticate(&parts("GET", Some("Bearer nope"))).await),
            AuthErrorKind::Invalid
        );
        assert_eq!(
            kind(t.authenticate(&parts("DELETE", Some("Bearer ro"))).await),
            AuthErrorKind::Forbidden
        );
    }

    #[test]
    fn debug_does_not_show_tokens() {
        assert!(!format!("{:?}", tokens()).contains("rw"));
    }
}
