//! An attribute named twice in one request, read as PySSF reads it: the last value wins.
//!
//! Hurtle's SM appends the attributes of the create request to every call it makes to the
//! SO (hurtle.md §1.5), and its update appends the new values after them (§1.6 step 8): an
//! instance created with `mcn.endpoint.p4="first"` and updated with `mcn.endpoint.p4="second"`
//! sends the SO `X-OCCI-Attribute: mcn.endpoint.p4=first, mcn.endpoint.p4=second`. PySSF
//! splits the header into a dict, so the SO sees `second`; occi-render refuses a name given
//! twice. [`LastAttributeWins`] keeps only the last occurrence of each name in the
//! `X-OCCI-Attribute` headers before the request reaches the OCCI core, and leaves a request
//! without repeated names untouched.

use std::collections::HashSet;
use std::task::{Context, Poll};

use http::Request;
use http::header::{HeaderMap, HeaderName, HeaderValue};

const X_OCCI_ATTRIBUTE: HeaderName = HeaderName::from_static("x-occi-attribute");

/// A service in front of `S` that drops the earlier occurrences of an attribute name
/// repeated in the request's `X-OCCI-Attribute` headers (the module documentation says why).
#[derive(Debug, Clone)]
pub struct LastAttributeWins<S> {
    inner: S,
}

impl<S> LastAttributeWins<S> {
    /// `inner`, behind the rewrite.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S, B> tower_service::Service<Request<B>> for LastAttributeWins<S>
where
    S: tower_service::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> S::Future {
        last_attribute_wins(request.headers_mut());
        self.inner.call(request)
    }
}

/// Rewrites the `X-OCCI-Attribute` headers of `headers` to one that names each attribute
/// once, with its last value, when some name is repeated; otherwise leaves them as they are.
pub fn last_attribute_wins(headers: &mut HeaderMap) {
    let mut items = Vec::new();
    for value in headers.get_all(&X_OCCI_ATTRIBUTE) {
        let Ok(text) = value.to_str() else { return };
        items.extend(
            split_outside_quotes(text)
                .into_iter()
                .map(str::trim)
                .filter(|item| !item.is_empty()),
        );
    }
    let name = |item: &str| item.split('=').next().unwrap_or_default().trim().to_owned();
    let mut seen = HashSet::new();
    if items.iter().all(|item| seen.insert(name(item))) {
        return;
    }
    let kept: Vec<&str> = items
        .iter()
        .enumerate()
        .filter(|(k, item)| !items[k + 1..].iter().any(|later| name(later) == name(item)))
        .map(|(_, item)| *item)
        .collect();
    if let Ok(value) = HeaderValue::from_str(&kept.join(", ")) {
        headers.remove(&X_OCCI_ATTRIBUTE);
        headers.insert(X_OCCI_ATTRIBUTE, value);
    }
}

/// `text` split on the commas outside double quotes (a backslash escapes inside them).
fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(values: &[&str]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(X_OCCI_ATTRIBUTE, HeaderValue::from_str(v).unwrap());
        }
        last_attribute_wins(&mut headers);
        headers
            .get_all(X_OCCI_ATTRIBUTE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_last_value_of_a_repeated_name_is_kept() {
        assert_eq!(
            rewritten(&["mcn.endpoint.p4=first, a=\"x, y\", mcn.endpoint.p4=second"]),
            ["a=\"x, y\", mcn.endpoint.p4=second"]
        );
        assert_eq!(rewritten(&["k=1", "k = \"2\""]), ["k = \"2\""]);
    }

    #[test]
    fn headers_without_a_repeated_name_are_untouched() {
        for h in [
            &[", mcn.endpoint.p4=second"][..],
            &["a=\"k=v, k=w\", b=1"],
            &["a=1", "b=2"],
        ] {
            assert_eq!(rewritten(h), h);
        }
    }
}
