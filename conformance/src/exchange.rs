//! HTTP exchanges recorded as evidence, secret redaction, and `curl` replay commands.
//!
//! Exchanges are redacted when they are recorded ([`Exchange::redact`]): the values of
//! credential headers are replaced by [`REDACTED`], and so is the password of a URL's
//! userinfo. A replay command built from a redacted exchange ([`HttpRequest::curl_command`])
//! reads each secret from an environment variable instead, so it can be run as printed once
//! the variable is set.
//!
//! ```
//! use occi_conformance::exchange::{Header, HttpRequest};
//!
//! let mut request = HttpRequest::new("GET", "http://localhost:8080/-/");
//! request.headers.push(Header::new("Accept", "text/plain"));
//! request.headers.push(Header::new("X-Auth-Token", "s3cret"));
//! request.redact();
//! assert_eq!(
//!     request.curl_command(),
//!     "curl -sS -i 'http://localhost:8080/-/' -H 'Accept: text/plain' \
//!      -H 'X-Auth-Token: '\"$X_AUTH_TOKEN\""
//! );
//! ```

use serde::{Deserialize, Serialize};

/// The text that replaces a secret in recorded evidence.
pub const REDACTED: &str = "<redacted>";

/// One HTTP header field, in the order it was sent or received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The field name, as spelled on the wire.
    pub name: String,
    /// The field value.
    pub value: String,
}

impl Header {
    /// A header field.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Whether a header carries credentials and must never be stored or shown.
///
/// These are `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `X-Auth-Token`
/// and every other `X-Auth-*` header, compared without regard to case.
pub fn is_secret_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || lower.starts_with("x-auth-")
}

/// A request as sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// The method (`GET`, `POST`, ...).
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// The header fields.
    #[serde(default)]
    pub headers: Vec<Header>,
    /// The body as text, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A response as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The header fields.
    #[serde(default)]
    pub headers: Vec<Header>,
    /// The body as text (lossily decoded as UTF-8), if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A request, the response if one came, and how long it took.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The request.
    pub request: HttpRequest,
    /// The response; absent when the request failed at the network level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
    /// Time from sending the request to the end of the response, in milliseconds.
    pub duration_ms: u64,
    /// The transport error, when no response came (connection refused, timeout, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_error: Option<String>,
}

fn redact_headers(headers: &mut [Header]) {
    for header in headers {
        if is_secret_header(&header.name) {
            REDACTED.clone_into(&mut header.value);
        }
    }
}

/// Replaces the password of a URL's userinfo (`http://user:pw@host/`) by [`REDACTED`].
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:{REDACTED}{}",
        &url[..authority_start],
        &userinfo[..colon],
        &url[authority_start + at..]
    )
}

impl HttpRequest {
    /// A request without headers or body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Removes secrets: credential header values and the URL's password.
    pub fn redact(&mut self) {
        redact_headers(&mut self.headers);
        self.url = redact_url(&self.url);
    }

    /// A shell command (POSIX `sh` quoting) that replays the request with `curl`.
    ///
    /// Every argument is single-quoted, so quotes, newlines and `$` in bodies are sent as they
    /// are. A redacted header is replayed from an environment variable named after the header
    /// (`X-Auth-Token` reads `$X_AUTH_TOKEN`).
    pub fn curl_command(&self) -> String {
        let mut words = vec!["curl".to_owned(), "-sS".to_owned(), "-i".to_owned()];
        match self.method.as_str() {
            "GET" if self.body.is_none() => {}
            "HEAD" => words.push("--head".to_owned()),
            method => {
                words.push("-X".to_owned());
                words.push(shell_quote(method));
            }
        }
        words.push(shell_quote(&self.url));
        for header in &self.headers {
            words.push("-H".to_owned());
            if header.value == REDACTED && is_secret_header(&header.name) {
                words.push(format!(
                    "{}\"${}\"",
                    shell_quote(&format!("{}: ", header.name)),
                    env_var_name(&header.name)
                ));
            } else {
                words.push(shell_quote(&format!("{}: {}", header.name, header.value)));
            }
        }
        if let Some(body) = &self.body {
            words.push("--data-binary".to_owned());
            words.push(shell_quote(body));
        }
        words.join(" ")
    }
}

impl HttpResponse {
    /// The first value of a header, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

impl Exchange {
    /// Removes secrets from the request and the response (see [`is_secret_header`]).
    pub fn redact(&mut self) {
        self.request.redact();
        if let Some(response) = &mut self.response {
            redact_headers(&mut response.headers);
        }
    }

    /// A redacted copy.
    #[must_use]
    pub fn redacted(&self) -> Exchange {
        let mut copy = self.clone();
        copy.redact();
        copy
    }
}

/// Quotes `text` as one word for a POSIX shell.
///
/// Words made only of characters that need no quoting are returned as they are; anything
/// else is wrapped in single quotes, with each `'` written as `'\''`.
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain && !text.starts_with('-') {
        // Still quoted when it looks like a URL or a header, for a uniform look.
        if text.contains("://") || text.contains(':') {
            return format!("'{text}'");
        }
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The environment variable a replay command reads a redacted header from.
pub fn env_var_name(header: &str) -> String {
    header
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_headers() {
        for name in [
            "Authorization",
            "authorization",
            "Proxy-Authorization",
            "Cookie",
            "Set-Cookie",
            "X-Auth-Token",
            "x-auth-token",
            "X-Auth-User",
            "X-AUTH-KEY",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in [
            "Accept",
            "X-Tenant-Name",
            "X-Author",
            "Content-Type",
            "X-Auth",
        ] {
            assert!(!is_secret_header(name), "{name}");
        }
    }

    #[test]
    fn redaction_removes_request_and_response_secrets() {
        let mut exchange = Exchange {
            request: HttpRequest {
                method: "GET".into(),
                url: "http://alice:pw@host:8080/-/?x=1".into(),
                headers: vec![
                    Header::new("Authorization", "Basic YWxpY2U6cHc="),
                    Header::new("X-Auth-Token", "tok"),
                    Header::new("X-Tenant-Name", "t1"),
                    Header::new("Cookie", "sid=1"),
                ],
                body: None,
            },
            response: Some(HttpResponse {
                status: 200,
                headers: vec![
                    Header::new("Set-Cookie", "sid=2"),
                    Header::new("Content-Type", "text/plain"),
                ],
                body: Some("ok".into()),
            }),
            duration_ms: 3,
            transport_error: None,
        };
        let redacted = exchange.redacted();
        exchange.redact();
        assert_eq!(redacted, exchange);
        let values: Vec<&str> = exchange
            .request
            .headers
            .iter()
            .map(|h| h.value.as_str())
            .collect();
        assert_eq!(values, [REDACTED, REDACTED, "t1", REDACTED]);
        assert_eq!(
            exchange.request.url,
            "http://alice:<redacted>@host:8080/-/?x=1"
        );
        let response = exchange.response.unwrap();
        assert_eq!(response.header("set-cookie"), Some(REDACTED));
        assert_eq!(response.header("content-type"), Some("text/plain"));
    }

    #[test]
    fn url_redaction_known_answers() {
        let cases = [
            ("http://host/-/", "http://host/-/"),
            ("http://user@host/", "http://user@host/"),
            ("http://u:p@host", "http://u:<redacted>@host"),
            ("https://u:p:q@h/a@b", "https://u:<redacted>@h/a@b"),
            ("http://h/path?u:p@x", "http://h/path?u:p@x"),
            ("not a url", "not a url"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact_url(url), expected, "{url}");
        }
    }

    #[test]
    fn shell_quoting_known_answers() {
        let cases = [
            ("abc", "abc"),
            ("", "''"),
            ("-X", "'-X'"),
            ("a b", "'a b'"),
            ("it's", r"'it'\''s'"),
            ("$HOME", "'$HOME'"),
            ("line1\nline2", "'line1\nline2'"),
            ("\"quoted\"", "'\"quoted\"'"),
            ("`cmd`", "'`cmd`'"),
            ("http://h/-/", "'http://h/-/'"),
            ("a\\b", "'a\\b'"),
        ];
        for (text, expected) in cases {
            assert_eq!(shell_quote(text), expected, "{text:?}");
        }
    }

    #[test]
    fn curl_for_a_post_with_a_hostile_body() {
        let mut request = HttpRequest::new("POST", "http://h:8080/compute/");
        request.headers = vec![
            Header::new("Content-Type", "text/plain"),
            Header::new("Authorization", "Bearer abc"),
        ];
        request.body = Some(
            "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\n\
             X-OCCI-Attribute: occi.core.title=\"it's $HOME `x`\""
                .into(),
        );
        request.redact();
        assert_eq!(
            request.curl_command(),
            "curl -sS -i -X POST 'http://h:8080/compute/' -H 'Content-Type: text/plain' \
             -H 'Authorization: '\"$AUTHORIZATION\" --data-binary \
             'Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\n\
             X-OCCI-Attribute: occi.core.title=\"it'\\''s $HOME `x`\"'"
        );
    }

    #[test]
    fn curl_methods() {
        assert_eq!(
            HttpRequest::new("GET", "http://h/").curl_command(),
            "curl -sS -i 'http://h/'"
        );
        assert_eq!(
            HttpRequest::new("HEAD", "http://h/").curl_command(),
            "curl -sS -i --head 'http://h/'"
        );
        assert_eq!(
            HttpRequest::new("DELETE", "http://h/x").curl_command(),
            "curl -sS -i -X DELETE 'http://h/x'"
        );
        let mut get_with_body = HttpRequest::new("GET", "http://h/");
        get_with_body.body = Some(String::new());
        assert_eq!(
            get_with_body.curl_command(),
            "curl -sS -i -X GET 'http://h/' --data-binary ''"
        );
    }

    #[test]
    fn an_unredacted_literal_placeholder_in_a_plain_header_is_sent_as_is() {
        let mut request = HttpRequest::new("GET", "http://h/");
        request.headers.push(Header::new("X-Note", REDACTED));
        assert_eq!(
            request.curl_command(),
            "curl -sS -i 'http://h/' -H 'X-Note: <redacted>'"
        );
        assert_eq!(env_var_name("X-Auth-Token"), "X_AUTH_TOKEN");
        assert_eq!(env_var_name("x.auth$y"), "X_AUTH_Y");
    }
}
