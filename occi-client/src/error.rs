//! The one error type of the client: [`Error`], its [`ErrorKind`], and the [`Exchange`] that
//! led to it.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use occi_model::{IdentError, RegistryError, ValidationError};
use occi_render::ParseError;

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request could not be sent or the connection broke (refused, reset, closed early,
    /// an unreachable proxy).
    Transport,
    /// No complete response within the request timeout.
    Timeout,
    /// The server answered with a status the operation does not accept; the error holds the
    /// status and the server's message.
    Status,
    /// The response could not be read in the rendering it claimed (diagnostics in
    /// [`Error::parse_error`]), or it lacked what the operation needs (a `Location`).
    Parse,
    /// What the caller asked for is not valid against the model or the server's registry (an
    /// unknown Kind, an entity that fails validation, a bad URL).
    Invalid,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Transport => "transport error",
            Self::Timeout => "timeout",
            Self::Status => "HTTP error",
            Self::Parse => "unreadable response",
            Self::Invalid => "invalid request",
        })
    }
}

/// One request and, when one came, its response, for diagnosis.
///
/// Credentials are redacted: the values of `Authorization`, `Proxy-Authorization`,
/// `X-Auth-Token` and `Cookie` read `<redacted>`. Its `Display` form is the exchange as it
/// went over the wire, `>` before request lines and `<` before response lines.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// The request header fields (credentials redacted).
    pub request_headers: HeaderMap,
    /// The request body.
    pub request_body: Bytes,
    /// The response, if one came: status, header fields and body.
    pub response: Option<ExchangeResponse>,
}

/// The response half of an [`Exchange`].
#[derive(Debug, Clone)]
pub struct ExchangeResponse {
    /// The status.
    pub status: StatusCode,
    /// The header fields.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// Header fields whose values never appear in an [`Exchange`].
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "x-auth-token",
    "cookie",
];

pub(crate) fn redact(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in SECRET_HEADERS {
        if let http::header::Entry::Occupied(mut entry) = out.entry(name) {
            entry.insert(http::HeaderValue::from_static("<redacted>"));
        }
    }
    out
}

fn write_headers(f: &mut fmt::Formatter<'_>, prefix: &str, headers: &HeaderMap) -> fmt::Result {
    for (name, value) in headers {
        writeln!(
            f,
            "{prefix} {name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        )?;
    }
    Ok(())
}

fn write_body(f: &mut fmt::Formatter<'_>, prefix: &str, body: &[u8]) -> fmt::Result {
    for line in String::from_utf8_lossy(body).lines() {
        writeln!(f, "{prefix} {line}")?;
    }
    Ok(())
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "> {} {}", self.method, self.url)?;
        write_headers(f, ">", &self.request_headers)?;
        if !self.request_body.is_empty() {
            writeln!(f, ">")?;
            write_body(f, ">", &self.request_body)?;
        }
        match &self.response {
            Some(response) => {
                writeln!(f, "< {}", response.status)?;
                write_headers(f, "<", &response.headers)?;
                if !response.body.is_empty() {
                    writeln!(f, "<")?;
                    write_body(f, "<", &response.body)?;
                }
            }
            None => writeln!(f, "< (no response)")?,
        }
        Ok(())
    }
}

/// An error of the client: a kind, a message, the HTTP status and the server's message for
/// [`ErrorKind::Status`], the parse diagnostics for [`ErrorKind::Parse`], and the exchange
/// when there was one.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    status: Option<StatusCode>,
    parse: Option<ParseError>,
    exchange: Option<Box<Exchange>>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: None,
            parse: None,
            exchange: None,
            source: None,
        }
    }

    pub(crate) fn status(status: StatusCode, message: impl Into<String>) -> Self {
        let mut error = Self::new(ErrorKind::Status, message);
        error.status = Some(status);
        error
    }

    pub(crate) fn parse(error: ParseError, what: &str) -> Self {
        let mut out = Self::new(ErrorKind::Parse, format!("{what}: {error}"));
        out.parse = Some(error);
        out
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_exchange(mut self, exchange: Exchange) -> Self {
        self.exchange = Some(Box::new(exchange));
        self
    }

    pub(crate) fn has_exchange(&self) -> bool {
        self.exchange.is_some()
    }

    /// What went wrong, broadly.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The description (for [`ErrorKind::Status`], the server's message).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status, for [`ErrorKind::Status`].
    pub fn http_status(&self) -> Option<StatusCode> {
        self.status
    }

    /// The parse diagnostics (line, column, rule, expected), for [`ErrorKind::Parse`].
    pub fn parse_error(&self) -> Option<&ParseError> {
        self.parse.as_ref()
    }

    /// The request and response, when the error came from an exchange.
    pub fn exchange(&self) -> Option<&Exchange> {
        self.exchange.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.status, &self.exchange) {
            (Some(status), Some(exchange)) => write!(
                f,
                "{} {} answered {status}: {}",
                exchange.method, exchange.url, self.message
            ),
            (Some(status), None) => write!(f, "{status}: {}", self.message),
            (None, _) => write!(f, "{}: {}", self.kind, self.message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let Some(parse) = &self.parse {
            return Some(parse);
        }
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<IdentError> for Error {
    fn from(error: IdentError) -> Self {
        Self::new(ErrorKind::Invalid, error.to_string()).with_source(error)
    }
}

impl From<ValidationError> for Error {
    fn from(error: ValidationError) -> Self {
        Self::new(ErrorKind::Invalid, error.to_string()).with_source(error)
    }
}

impl From<RegistryError> for Error {
    fn from(error: RegistryError) -> Self {
        Self::new(ErrorKind::Invalid, error.to_string()).with_source(error)
    }
}
