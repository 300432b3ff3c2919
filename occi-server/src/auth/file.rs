//! Tokens and users read from a TOML file (feature `auth-file`).

use std::fmt;
use std::path::Path;

use http::HeaderValue;
use http::request::Parts;
use serde::Deserialize;

use super::{
    AuthError, Authenticate, BasicUsers, BearerTokens, StaticTokens, TokenValidator, XAuthToken,
};
use crate::identity::Identity;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    #[serde(default)]
    bearer: Vec<BearerEntry>,
    #[serde(default)]
    basic: Vec<BasicEntry>,
    #[serde(default)]
    x_auth_token: Vec<TokenEntry>,
    keystone: Option<KeystoneEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BearerEntry {
    token: String,
    user: String,
    tenant: String,
    #[serde(default)]
    read_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BasicEntry {
    user: String,
    password_hash: String,
    tenant: String,
    #[serde(default)]
    read_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    token: String,
    user: String,
    tenants: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeystoneEntry {
    url: String,
}

/// An auth file that cannot be used: where and why.
#[derive(Debug)]
pub struct AuthFileError {
    origin: String,
    message: String,
}

impl AuthFileError {
    fn new(origin: &str, message: impl Into<String>) -> Self {
        Self {
            origin: origin.to_owned(),
            message: message.into(),
        }
    }

    /// The file (or `"<string>"`) the error is in.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl fmt::Display for AuthFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "auth file {}: {}", self.origin, self.message)
    }
}

impl std::error::Error for AuthFileError {}

/// Tokens and users read from a TOML file: every scheme the file configures, as one
/// [`Authenticate`] scheme.
///
/// The format, every table optional and repeatable:
///
/// ```toml
/// # Authorization: Bearer <token>
/// [[bearer]]
/// token = "change-me"
/// user = "ci"
/// tenant = "acme"
/// read_only = false            # optional; true allows GET and HEAD only
///
/// # Authorization: Basic, against an argon2 hash in PHC form
/// # (`occi-server --hash-password` prints one for a password read from standard input)
/// [[basic]]
/// user = "alice"
/// password_hash = "$argon2id$v=19$m=19456,t=2,p=1$...$..."
/// tenant = "acme"
/// read_only = false            # optional
///
/// # Hurtle: X-Auth-Token and X-Tenant-Name
/// [[x_auth_token]]
/// token = "hurtle-token"
/// user = "sm"
/// tenants = ["acme", "demo"]   # the tenants the token may act for
///
/// # Or check every X-Auth-Token with a Keystone v2 service (feature `keystone`); not
/// # together with [[x_auth_token]] entries.
/// [keystone]
/// url = "http://127.0.0.1:35357/v2.0"
/// ```
///
/// Unknown keys are errors, so a misspelt `read_only` cannot silently grant write access.
#[derive(Debug, Clone)]
pub struct AuthFile {
    scheme: FileAuth,
}

impl AuthFile {
    /// Reads and checks the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, AuthFileError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| AuthFileError::new(&origin, format!("cannot be read: {e}")))?;
        Self::parse(&text, &origin)
    }

    /// Reads and checks a file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, AuthFileError> {
        let file: FileFormat =
            toml::from_str(text).map_err(|e| AuthFileError::new(origin, e.to_string()))?;
        let mut bearer = BearerTokens::new();
        for entry in file.bearer {
            let who = Identity::new(entry.user, entry.tenant);
            bearer = if entry.read_only {
                bearer.grant_read_only(entry.token, who)
            } else {
                bearer.grant(entry.token, who)
            };
        }
        let mut basic = BasicUsers::new();
        for entry in file.basic {
            basic = if entry.read_only {
                basic.read_only_user(entry.user, entry.password_hash, entry.tenant)
            } else {
                basic.user(entry.user, entry.password_hash, entry.tenant)
            }
            .map_err(|e| AuthFileError::new(origin, e.to_string()))?;
        }
        let mut tokens = StaticTokens::new();
        for entry in file.x_auth_token {
            if entry.tenants.is_empty() {
                return Err(AuthFileError::new(
                    origin,
                    format!("the X-Auth-Token of {} names no tenants", entry.user),
                ));
            }
            tokens = tokens.token(entry.token, entry.user, entry.tenants);
        }
        let hurtle = match file.keystone {
            Some(_) if !tokens.is_empty() => {
                return Err(AuthFileError::new(
                    origin,
                    "[keystone] and [[x_auth_token]] exclude each other: X-Auth-Tokens are \
                     checked either against the file or against Keystone",
                ));
            }
            Some(keystone) => Some(XAuthToken::new(HurtleTokens::keystone(
                &keystone.url,
                origin,
            )?)),
            None if tokens.is_empty() => None,
            None => Some(XAuthToken::new(HurtleTokens::Static(tokens))),
        };
        let scheme = FileAuth {
            bearer: (!bearer.is_empty()).then_some(bearer),
            basic: (!basic.is_empty()).then_some(basic),
            hurtle,
        };
        if scheme.bearer.is_none() && scheme.basic.is_none() && scheme.hurtle.is_none() {
            return Err(AuthFileError::new(
                origin,
                "configures no credentials: every request would be refused",
            ));
        }
        Ok(Self { scheme })
    }

    /// The scheme, for an [`AuthLayer`](super::AuthLayer).
    pub fn scheme(&self) -> &FileAuth {
        &self.scheme
    }

    /// The scheme, owned.
    pub fn into_scheme(self) -> FileAuth {
        self.scheme
    }

    /// A one-line summary for logs: how many credentials of each scheme (never the secrets).
    pub fn summary(&self) -> String {
        let s = &self.scheme;
        let mut parts = Vec::new();
        if let Some(b) = &s.bearer {
            parts.push(format!("{} bearer token(s)", b.len()));
        }
        if let Some(b) = &s.basic {
            parts.push(format!("{} Basic user(s)", b.len()));
        }
        match s.hurtle.as_ref().map(XAuthToken::validator) {
            Some(HurtleTokens::Static(t)) => parts.push(format!("{} X-Auth-Token(s)", t.len())),
            #[cfg(feature = "keystone")]
            Some(HurtleTokens::Keystone(_)) => parts.push("X-Auth-Token via Keystone".to_owned()),
            None => {}
        }
        parts.join(", ")
    }
}

/// The schemes an [`AuthFile`] configures, tried in the order bearer, Basic, X-Auth-Token.
#[derive(Debug, Clone)]
pub struct FileAuth {
    bearer: Option<BearerTokens>,
    basic: Option<BasicUsers>,
    hurtle: Option<XAuthToken<HurtleTokens>>,
}

/// The file's X-Auth-Token validator.
#[derive(Debug, Clone)]
enum HurtleTokens {
    Static(StaticTokens),
    #[cfg(feature = "keystone")]
    Keystone(Box<super::KeystoneV2>),
}

impl HurtleTokens {
    #[cfg(feature = "keystone")]
    fn keystone(url: &str, origin: &str) -> Result<Self, AuthFileError> {
        super::KeystoneV2::new(url)
            .map(|k| Self::Keystone(Box::new(k)))
            .map_err(|e| AuthFileError::new(origin, e.message().to_owned()))
    }

    #[cfg(not(feature = "keystone"))]
    fn keystone(_url: &str, origin: &str) -> Result<Self, AuthFileError> {
        Err(AuthFileError::new(
            origin,
            "[keystone] needs occi-server built with the `keystone` feature",
        ))
    }
}

impl TokenValidator for HurtleTokens {
    async fn validate(&self, token: &str, tenant: &str) -> Result<Identity, AuthError> {
        match self {
            Self::Static(tokens) => tokens.validate(token, tenant).await,
            #[cfg(feature = "keystone")]
            Self::Keystone(keystone) => keystone.validate(token, tenant).await,
        }
    }

    fn challenge(&self) -> HeaderValue {
        match self {
            Self::Static(tokens) => tokens.challenge(),
            #[cfg(feature = "keystone")]
            Self::Keystone(keystone) => keystone.challenge(),
        }
    }
}

impl Authenticate for FileAuth {
    async fn authenticate(&self, request: &Parts) -> Result<Identity, AuthError> {
        let missing = || {
            AuthError::missing(format!(
                "this server needs credentials ({})",
                self.describe()
            ))
        };
        let mut outcome = Err(missing());
        if let Some(bearer) = &self.bearer {
            outcome = bearer.authenticate(request).await;
        }
        if matches!(&outcome, Err(e) if e.kind() == super::AuthErrorKind::Missing)
            && let Some(basic) = &self.basic
        {
            outcome = basic.authenticate(request).await;
        }
        if matches!(&outcome, Err(e) if e.kind() == super::AuthErrorKind::Missing)
            && let Some(hurtle) = &self.hurtle
        {
            outcome = hurtle.authenticate(request).await;
        }
        match outcome {
            Err(e) if e.kind() == super::AuthErrorKind::Missing => Err(missing()),
            decided => decided,
        }
    }

    fn challenges(&self) -> Vec<HeaderValue> {
        let mut challenges = Vec::new();
        if let Some(b) = &self.bearer {
            challenges.extend(b.challenges());
        }
        if let Some(b) = &self.basic {
            challenges.extend(b.challenges());
        }
        if let Some(h) = &self.hurtle {
            challenges.extend(h.challenges());
        }
        challenges
    }
}

impl FileAuth {
    /// The accepted credentials, for the 401 message.
    fn describe(&self) -> String {
        let mut accepted = Vec::new();
        if self.bearer.is_some() {
            accepted.push("Authorization: Bearer");
        }
        if self.basic.is_some() {
            accepted.push("Authorization: Basic");
        }
        if self.hurtle.is_some() {
            accepted.push("X-Auth-Token with X-Tenant-Name");
        }
        format!("send {}", accepted.join(", or "))
    }
}
