//! Credentials: HTTP Basic, bearer tokens, and Hurtle's Keystone token and tenant headers.

use std::fmt;

use base64::Engine as _;
use http::HeaderMap;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::error::{Error, ErrorKind};

/// How the client authenticates; the headers are added to every request.
///
/// ```
/// use occi_client::Auth;
/// let basic = Auth::basic("alice", "secret");
/// let hurtle = Auth::keystone("a-keystone-token", "demo");
/// assert_eq!(format!("{hurtle:?}"), "Keystone { token: <redacted>, tenant: \"demo\" }");
/// # let _ = basic;
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// `Authorization: Basic base64(user:password)` (RFC 7617).
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>` (RFC 6750).
    Bearer(String),
    /// Hurtle's scheme: `X-Auth-Token: <token>` and `X-Tenant-Name: <tenant>` (a Keystone v2
    /// token and the tenant it is scoped to; both are required by a Hurtle SM).
    Keystone {
        /// The Keystone token.
        token: String,
        /// The tenant name.
        tenant: String,
    },
}

impl Auth {
    /// HTTP Basic credentials.
    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Basic {
            user: user.into(),
            password: password.into(),
        }
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::Bearer(token.into())
    }

    /// Hurtle's `X-Auth-Token` and `X-Tenant-Name`.
    pub fn keystone(token: impl Into<String>, tenant: impl Into<String>) -> Self {
        Self::Keystone {
            token: token.into(),
            tenant: tenant.into(),
        }
    }

    /// Adds the credentials to `headers`, replacing what was there.
    pub fn apply(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        let value = |s: &str| {
            let mut v = HeaderValue::from_str(s).map_err(|_| {
                Error::new(
                    ErrorKind::Invalid,
                    "credentials may hold only visible ASCII characters and spaces",
                )
            })?;
            v.set_sensitive(true);
            Ok::<_, Error>(v)
        };
        match self {
            Self::None => {}
            Self::Basic { user, password } => {
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                headers.insert(AUTHORIZATION, value(&format!("Basic {encoded}"))?);
            }
            Self::Bearer(token) => {
                headers.insert(AUTHORIZATION, value(&format!("Bearer {token}"))?);
            }
            Self::Keystone { token, tenant } => {
                headers.insert(HeaderName::from_static("x-auth-token"), value(token)?);
                headers.insert(HeaderName::from_static("x-tenant-name"), value(tenant)?);
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { user, .. } => f
                .debug_struct("Basic")
                .field("user", user)
                .field("password", &format_args!("<redacted>"))
                .finish(),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::Keystone { tenant, .. } => f
                .debug_struct("Keystone")
                .field("token", &format_args!("<redacted>"))
                .field("tenant", tenant)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_is_rfc_7617() {
        let mut headers = HeaderMap::new();
        Auth::basic("Aladdin", "open sesame")
            .apply(&mut headers)
            .unwrap();
        assert_eq!(headers[AUTHORIZATION], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }

    #[test]
    fn keystone_sets_both_headers() {
        let mut headers = HeaderMap::new();
        Auth::keystone("tok", "demo").apply(&mut headers).unwrap();
        assert_eq!(headers["x-auth-token"], "tok");
        assert_eq!(headers["x-tenant-name"], "demo");
        assert!(headers["x-auth-token"].is_sensitive());
    }

    #[test]
    fn control_characters_are_refused() {
        let mut headers = HeaderMap::new();
        let error = Auth::bearer("a\nb").apply(&mut headers).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert!(headers.is_empty());
    }
}
