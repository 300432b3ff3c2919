//! Server configuration and the builder of [`crate::Occi`].

use std::fmt;

use occi_render::Dialect;
use occi_render::media::MediaType;

/// How the server behaves: renderings, limits, base URL, parsing strictness.
///
/// Built through [`crate::OcciBuilder`]; every field has a documented default.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Absolute base URL without trailing `/` (`http://example.com:8080`), for `Location`
    /// headers and listings. `None`: derived per request from `Host` (never stored).
    pub(crate) base_url: Option<String>,
    /// Media types offered for responses, in order of preference.
    pub(crate) offered: Vec<MediaType>,
    /// The rendering used when `Accept` is missing or `*/*` (text/plain, H11 §3.6.6).
    pub(crate) default_media_type: MediaType,
    /// The largest request body, in bytes (413 above).
    pub(crate) body_limit: usize,
    /// The most header fields a request may carry (431 above).
    pub(crate) max_headers: usize,
    /// The most header bytes (names and values) a request may carry (431 above).
    pub(crate) max_header_bytes: usize,
    /// The longest request target (414 above).
    pub(crate) max_uri_len: usize,
    /// The largest page a client may ask for with `number` (413 above, P12 §6); also the
    /// page size when `page` is given without `number`.
    pub(crate) max_page_size: u64,
    /// Strict parsing of requests (lenient by default: real peers deviate).
    pub(crate) strict: bool,
    /// The product token before `OCCI/x.y` in the `Server` header.
    pub(crate) server_name: String,
    /// Product tokens after `OCCI/x.y` in the `Server` header: profile claims such as
    /// `OCCI-CRTP/1.1`.
    pub(crate) profile_tokens: Vec<String>,
    /// The wire dialect of the responses (the OCCI specifications by default).
    pub(crate) dialect: Dialect,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base_url: None,
            offered: vec![
                MediaType::TextPlain,
                MediaType::TextOcciPlain,
                MediaType::TextOcci,
                MediaType::UriList,
                MediaType::OcciJson,
                MediaType::Json,
            ],
            default_media_type: MediaType::TextPlain,
            body_limit: 1 << 20,
            max_headers: 128,
            max_header_bytes: 64 << 10,
            max_uri_len: 8 << 10,
            max_page_size: 1000,
            strict: false,
            server_name: concat!("occi-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            profile_tokens: Vec::new(),
            dialect: Dialect::Occi,
        }
    }
}

/// An invalid server configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub(crate) String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Validates and normalises a base URL: `http` or `https`, a host, no query or fragment;
/// the trailing `/` is removed.
pub(crate) fn normalise_base_url(url: &str) -> Result<String, ConfigError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| ConfigError(format!("invalid base URL {url:?}: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(ConfigError(format!(
                "base URL {url:?} must start with http:// or https://"
            )));
        }
    }
    if uri.authority().is_none() {
        return Err(ConfigError(format!("base URL {url:?} has no host")));
    }
    if uri.query().is_some() || url.contains('#') {
        return Err(ConfigError(format!(
            "base URL {url:?} may not have a query or fragment"
        )));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            normalise_base_url("http://example.com:8080/").unwrap(),
            "http://example.com:8080"
        );
        assert_eq!(
            normalise_base_url("https://example.com/occi").unwrap(),
            "https://example.com/occi"
        );
        for bad in [
            "example.com",
            "ftp://x/",
            "http:///x",
            "http://x/?a=1",
            "http://x/#f",
        ] {
            assert!(normalise_base_url(bad).is_err(), "{bad}");
        }
    }
}
