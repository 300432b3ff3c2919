//! OCCI error responses: every failure is an HTTP answer whose body says what was wrong and
//! where.

use http::StatusCode;
use occi_model::{OcciVersion, RegistryError, RegistryErrorKind, Rule, ValidationError};
use occi_render::ParseError;
use occi_render::media::NegotiationError;

use crate::action::{ActionError, ActionErrorKind};
use crate::backend::BackendError;
use crate::store::{StoreError, StoreErrorKind};

/// A failed request: the status and the lines of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) details: Vec<String>,
    /// The `Allow` header of a 405.
    pub(crate) allow: Option<String>,
    /// A concurrent request changed what this one read: running it again may succeed.
    pub(crate) retryable: bool,
}

impl Failure {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: Vec::new(),
            allow: None,
            retryable: false,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn method_not_allowed(method: &http::Method, allow: String) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed here; allowed: {allow}"),
        )
        .with_allow(allow)
    }

    /// A 405 with its `Allow` header.
    pub(crate) fn with_allow(mut self, allow: String) -> Self {
        self.allow = Some(allow);
        self
    }

    /// A refusal by a backend hook: its status and message.
    pub(crate) fn backend(error: &BackendError) -> Self {
        let status = error.kind().status();
        if status.is_server_error() {
            tracing::error!(%error, "backend failed");
        }
        Self::new(status, error.message())
    }

    /// A failed `If-Match` or `If-None-Match` (412).
    pub(crate) fn precondition(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, message)
    }

    pub(crate) fn with_details(mut self, details: impl IntoIterator<Item = String>) -> Self {
        self.details.extend(details);
        self
    }

    /// A parse error of the request body or headers, with every diagnostic.
    pub(crate) fn parse(what: &str, error: &ParseError) -> Self {
        Self::bad_request(format!("cannot read the {what} ({})", error.rendering()))
            .with_details(error.diagnostics().iter().map(ToString::to_string))
    }

    /// A validation failure, every violation on its own line: 409 when the only problem is
    /// that an action does not apply in the entity's current state; in OCCI 1.1, 403 when the
    /// only problem is a Mixin that does not apply to the entity's Kind (H11 §3.6.8); 400
    /// otherwise.
    pub(crate) fn validation(what: &str, error: &ValidationError, version: OcciVersion) -> Self {
        let only = |rule: Rule| error.violations().iter().all(|v| v.rule() == rule);
        let status = if error.is_conflict() {
            StatusCode::CONFLICT
        } else if version == OcciVersion::V1_1 && only(Rule::MixinNotApplicable) {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::new(status, format!("{what} is not valid"))
            .with_details(error.violations().iter().map(ToString::to_string))
    }

    pub(crate) fn registry(error: &RegistryError) -> Self {
        let status = match error.kind() {
            RegistryErrorKind::DuplicateId | RegistryErrorKind::DuplicateLocation => {
                StatusCode::CONFLICT
            }
            RegistryErrorKind::ProviderDefined | RegistryErrorKind::ReservedScheme => {
                StatusCode::FORBIDDEN
            }
            RegistryErrorKind::NotFound => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, error.to_string())
    }

    pub(crate) fn negotiation(error: &NegotiationError) -> Self {
        match error {
            NegotiationError::Malformed(e) => Self::parse("Accept header", e),
            _ => Self::new(StatusCode::NOT_ACCEPTABLE, error.to_string()),
        }
    }

    pub(crate) fn store(error: &StoreError) -> Self {
        match error.kind() {
            StoreErrorKind::Conflict => Self {
                retryable: true,
                ..Self::new(
                    StatusCode::CONFLICT,
                    format!("the request conflicts with a concurrent change: {error}"),
                )
            },
            StoreErrorKind::Unavailable => {
                tracing::warn!(%error, "store unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the store is temporarily unavailable ({error}); nothing was changed, try again later"
                    ),
                )
            }
            _ => {
                tracing::error!(%error, "store failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the store failed; nothing was changed",
                )
            }
        }
    }

    pub(crate) fn action(error: &ActionError) -> Self {
        let status = match error.kind() {
            ActionErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ActionErrorKind::Conflict => StatusCode::CONFLICT,
            ActionErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            _ => {
                tracing::error!(%error, "action failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Self::new(status, error.to_string())
    }

    /// The text body: the status line, the message, then each detail on its own line.
    pub(crate) fn text_body(&self) -> String {
        let mut out = format!(
            "{} {}: {}\n",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or(""),
            self.message
        );
        for d in &self.details {
            out.push_str("  ");
            out.push_str(d);
            out.push('\n');
        }
        out
    }

    /// The JSON body: `{"error":{"details":[…],"message":…,"status":…}}`.
    pub(crate) fn json_body(&self) -> String {
        serde_json::json!({
            "error": {
                "status": self.status.as_u16(),
                "message": self.message,
                "details": self.details,
            }
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_status_message_and_details() {
        let f = Failure::bad_request("cannot read \"x\"").with_details(["line 1\tcol 2".into()]);
        assert_eq!(
            f.text_body(),
            "400 Bad Request: cannot read \"x\"\n  line 1\tcol 2\n"
        );
        assert_eq!(
            f.json_body(),
            r#"{"error":{"details":["line 1\tcol 2"],"message":"cannot read \"x\"","status":400}}"#
        );
    }
}
