//! Sending requests: the [`Transport`] trait, an HTTP/1.1 client ([`HttpTransport`]) and an
//! in-process transport over any `tower` service ([`ServiceTransport`]).
//!
//! A transport sends one buffered `http::Request<Bytes>` and returns the buffered
//! `http::Response<Bytes>` with how long it took. Requests carry a path (`/-/`) or an
//! absolute URL; [`HttpTransport`] resolves paths against its base URL.
//!
//! [`HttpTransport`] speaks plain HTTP/1.1 over TCP through hyper's client: **no TLS** (an
//! `https://` target is refused with a clear error; put a TLS-terminating proxy in front of
//! the target if needed), **redirects are not followed** (a 3xx is what a check sees), every
//! request is bounded by the timeout (connecting included), and the extra headers given at
//! construction (`--header`, typically credentials) are added to every request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A boxed, sendable future, as returned by [`Transport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a transport returns: the response and how long the exchange took.
#[derive(Debug)]
pub struct Timed {
    /// The response, body buffered.
    pub response: Response<Bytes>,
    /// From sending the request to the end of the response body.
    pub elapsed: Duration,
}

/// Why no response came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The request could not be built or sent (bad URL, unsupported scheme).
    Request(String),
    /// The connection failed or broke (refused, reset, closed early).
    Connect(String),
    /// No complete response within the timeout.
    Timeout(Duration),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Request(m) => write!(f, "request not sent: {m}"),
            TransportError::Connect(m) => write!(f, "connection failed: {m}"),
            TransportError::Timeout(d) => {
                write!(f, "no response within {} ms", d.as_millis())
            }
        }
    }
}

impl std::error::Error for TransportError {}

/// Sends buffered HTTP requests.
pub trait Transport: Send + Sync {
    /// Sends `request` and waits for the whole response.
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Timed, TransportError>>;

    /// The absolute URL a request for `path_or_url` goes to, as shown in reports and `curl`
    /// replay commands.
    fn absolute_url(&self, path_or_url: &str) -> String;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Timed, TransportError>> {
        (**self).send(request)
    }

    fn absolute_url(&self, path_or_url: &str) -> String {
        (**self).absolute_url(path_or_url)
    }
}

/// Joins a base URL (`http://host:8080` or `http://host:8080/prefix`) and a path or URL.
pub fn join_url(base: &str, path_or_url: &str) -> String {
    if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
        return path_or_url.to_owned();
    }
    let base = base.trim_end_matches('/');
    if path_or_url.starts_with('/') {
        format!("{base}{path_or_url}")
    } else {
        format!("{base}/{path_or_url}")
    }
}

/// A request extension: send this request without the extra headers (`--header`), to check
/// how the target answers a request without credentials.
#[derive(Debug, Clone, Copy)]
pub struct WithoutExtraHeaders;

/// A request extension: send this request without the extra headers of these names (the
/// request carries its own value, such as another tenant's).
#[derive(Debug, Clone)]
pub struct ReplacedExtraHeaders(pub Vec<HeaderName>);

/// An HTTP/1.1 client transport (hyper 1, no TLS, no redirects).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl HttpTransport {
    /// A transport for the target at `base` (`http://host:port[/prefix]`), with a per-request
    /// `timeout` and `headers` added to every request.
    ///
    /// Must be called within a Tokio runtime.
    pub fn new(
        base: &str,
        timeout: Duration,
        headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Result<Self, TransportError> {
        if base.starts_with("https://") {
            return Err(TransportError::Request(
                "https targets are not supported (no TLS); use a plain http:// URL".to_owned(),
            ));
        }
        let uri: Uri = base
            .parse()
            .map_err(|e| TransportError::Request(format!("bad target URL {base:?}: {e}")))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(TransportError::Request(format!(
                "the target must be an absolute http:// URL, not {base:?}"
            )));
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
            timeout,
            headers,
        })
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Timed, TransportError>> {
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let url = self.absolute_url(&parts.uri.to_string());
            parts.uri = url
                .parse()
                .map_err(|e| TransportError::Request(format!("bad URL {url:?}: {e}")))?;
            if parts.extensions.get::<WithoutExtraHeaders>().is_none() {
                let replaced = parts.extensions.get::<ReplacedExtraHeaders>().cloned();
                for (name, value) in &self.headers {
                    if replaced.as_ref().is_some_and(|r| r.0.contains(name)) {
                        continue;
                    }
                    parts.headers.append(name.clone(), value.clone());
                }
            }
            let request = Request::from_parts(parts, Full::new(body));
            let start = Instant::now();
            let exchange = async {
                let response = self
                    .client
                    .request(request)
                    .await
                    .map_err(|e| TransportError::Connect(error_chain(&e)))?;
                let (parts, body) = response.into_parts();
                let body = body
                    .collect()
                    .await
                    .map_err(|e| TransportError::Connect(error_chain(&e)))?
                    .to_bytes();
                Ok(Response::from_parts(parts, body))
            };
            let response = tokio::time::timeout(self.timeout, exchange)
                .await
                .map_err(|_| TransportError::Timeout(self.timeout))??;
            Ok(Timed {
                response,
                elapsed: start.elapsed(),
            })
        })
    }

    fn absolute_url(&self, path_or_url: &str) -> String {
        join_url(&self.base, path_or_url)
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An in-process transport over a `tower` service taking `Request<Full<Bytes>>`, for
/// testing a server without a socket.
///
/// Requests reach the service with the path only (as an HTTP/1.1 origin-form target would),
/// plus a `Host` header taken from the base URL.
#[derive(Debug, Clone)]
pub struct ServiceTransport<S> {
    service: S,
    base: String,
}

impl<S> ServiceTransport<S> {
    /// Wraps `service`, which is reported as reachable at `base` (`http://host:port`).
    pub fn new(service: S, base: &str) -> Self {
        Self {
            service,
            base: base.trim_end_matches('/').to_owned(),
        }
    }
}

impl<S, B> Transport for ServiceTransport<S>
where
    S: tower_service::Service<Request<Full<Bytes>>, Response = Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
    S::Error: fmt::Display,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: fmt::Display,
{
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Timed, TransportError>> {
        let mut service = self.service.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let url = self.absolute_url(&parts.uri.to_string());
            let uri: Uri = url
                .parse()
                .map_err(|e| TransportError::Request(format!("bad URL {url:?}: {e}")))?;
            if let Some(authority) = uri.authority()
                && let Ok(host) = HeaderValue::from_str(authority.as_str())
            {
                parts.headers.insert(http::header::HOST, host);
            }
            parts.uri = uri.path_and_query().map_or_else(
                || Uri::from_static("/"),
                |pq| {
                    pq.as_str()
                        .parse()
                        .unwrap_or_else(|_| Uri::from_static("/"))
                },
            );
            let start = Instant::now();
            std::future::poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(|e| TransportError::Connect(e.to_string()))?;
            let response = service
                .call(Request::from_parts(parts, Full::new(body)))
                .await
                .map_err(|e| TransportError::Connect(e.to_string()))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| TransportError::Connect(e.to_string()))?
                .to_bytes();
            Ok(Timed {
                response: Response::from_parts(parts, body),
                elapsed: start.elapsed(),
            })
        })
    }

    fn absolute_url(&self, path_or_url: &str) -> String {
        join_url(&self.base, path_or_url)
    }
}

#[cfg(test)]
mod tests {
    use super::join_url;

    #[test]
    fn urls_join() {
        assert_eq!(join_url("http://h:1", "/-/"), "http://h:1/-/");
        assert_eq!(join_url("http://h:1/", "/-/"), "http://h:1/-/");
        assert_eq!(join_url("http://h:1/p", "x"), "http://h:1/p/x");
        assert_eq!(join_url("http://h:1", "http://o/x"), "http://o/x");
    }
}
