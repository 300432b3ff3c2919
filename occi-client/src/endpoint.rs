//! The endpoint a client talks to, and how locations become URLs and back.

use http::Uri;
use occi_model::Location;

use crate::error::{Error, ErrorKind};

/// An OCCI endpoint: `http://host:port` with an optional base path (`http://host/occi`).
///
/// Paths (`/compute/1`) resolve against the endpoint's origin, as RFC 3986 resolves an
/// absolute-path reference; absolute URLs are used as they are. The query interface is
/// `<base path>/-/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://authority`, without a trailing `/`.
    origin: String,
    /// The base path, without a trailing `/` (empty for the root).
    base_path: String,
}

impl Endpoint {
    /// Parses an endpoint URL (`http://` or `https://`, no query or fragment).
    pub fn parse(url: &str) -> Result<Self, Error> {
        let invalid =
            |why: &str| Error::new(ErrorKind::Invalid, format!("endpoint {url:?}: {why}"));
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| invalid("needs a scheme (http://)"))?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(invalid("only http and https are supported"));
        }
        let authority = uri.authority().ok_or_else(|| invalid("needs a host"))?;
        if uri.query().is_some() {
            return Err(invalid("may not have a query"));
        }
        Ok(Self {
            origin: format!("{}://{authority}", scheme.to_ascii_lowercase()),
            base_path: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// `scheme://authority`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The endpoint URL as given, without a trailing `/`.
    pub fn base(&self) -> String {
        format!("{}{}", self.origin, self.base_path)
    }

    /// The query interface's URL.
    pub fn query_interface(&self) -> String {
        format!("{}{}/-/", self.origin, self.base_path)
    }

    /// The absolute URL of a location (a path or an absolute URL).
    pub fn url(&self, location: &str) -> Result<Uri, Error> {
        let text = if location.starts_with('/') {
            format!("{}{location}", self.origin)
        } else if location.contains("://") {
            location.to_owned()
        } else {
            format!("{}{}/{location}", self.origin, self.base_path)
        };
        text.parse().map_err(|_| {
            Error::new(
                ErrorKind::Invalid,
                format!("{location:?} is not a location this client can request"),
            )
        })
    }

    /// A location on this endpoint's host and port as a path; any other location unchanged.
    ///
    /// The scheme is not compared: a server behind a TLS-terminating proxy, and PySSF
    /// always, write `http://` locations that are reached as `https://`.
    pub fn relativize(&self, location: Location) -> Location {
        let text = location.as_str();
        let authority = self
            .origin
            .split_once("://")
            .map_or(self.origin.as_str(), |(_, a)| a);
        let after_scheme = ["http://", "https://"]
            .iter()
            .find_map(|scheme| strip_prefix_ignore_case(text, scheme));
        if let Some(rest) = after_scheme.and_then(|t| strip_prefix_ignore_case(t, authority))
            && (rest.starts_with('/') || rest.is_empty())
        {
            let path = if rest.is_empty() { "/" } else { rest };
            if let Ok(path) = Location::new(path) {
                return path;
            }
        }
        location
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_origin() {
        let e = Endpoint::parse("http://127.0.0.1:8080/occi/").unwrap();
        assert_eq!(e.query_interface(), "http://127.0.0.1:8080/occi/-/");
        assert_eq!(
            e.url("/compute/1").unwrap().to_string(),
            "http://127.0.0.1:8080/compute/1"
        );
        assert_eq!(
            e.url("compute/1").unwrap().to_string(),
            "http://127.0.0.1:8080/occi/compute/1"
        );
        assert_eq!(
            e.url("http://other:1/x").unwrap().to_string(),
            "http://other:1/x"
        );
    }

    #[test]
    fn same_origin_urls_become_paths() {
        let e = Endpoint::parse("http://Host:8080").unwrap();
        let l = |s: &str| Location::new(s).unwrap();
        assert_eq!(e.relativize(l("http://host:8080/compute/")), l("/compute/"));
        assert_eq!(
            e.relativize(l("http://other:8080/compute/")),
            l("http://other:8080/compute/")
        );
        assert_eq!(
            e.relativize(l("http://host:80801/x")),
            l("http://host:80801/x")
        );
    }

    #[test]
    fn bad_endpoints_are_refused() {
        for url in ["", "ftp://x/", "/path", "http://x/?q=1", "not a url"] {
            assert_eq!(
                Endpoint::parse(url).unwrap_err().kind(),
                ErrorKind::Invalid,
                "{url}"
            );
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn endpoints_and_locations_never_panic(url in "\\PC{0,60}", location in "\\PC{0,60}") {
            if let Ok(endpoint) = Endpoint::parse(&url) {
                let _ = endpoint.url(&location);
                if let Ok(l) = Location::new(&location) {
                    let _ = endpoint.relativize(l);
                }
            }
        }

        #[test]
        fn a_path_survives_the_round_trip(segments in proptest::collection::vec("[a-z0-9]{1,8}", 1..4)) {
            let endpoint = Endpoint::parse("http://127.0.0.1:8080").unwrap();
            let path = format!("/{}", segments.join("/"));
            let url = endpoint.url(&path).unwrap().to_string();
            let back = endpoint.relativize(Location::new(&url).unwrap());
            prop_assert_eq!(back.as_str(), path);
        }
    }
}
