//! The HTTP client the SM uses to reach CCs and SOs, and the CC to probe the SOs it starts:
//! HTTP/1.1 over TCP, one connection per request, through the proxy named by `HTTP_PROXY`
//! (or `http_proxy`) unless `NO_PROXY` (or `no_proxy`) exempts the host, as Hurtle
//! deployments route SOs by host name.

use std::time::Duration;

use bytes::Bytes;
use http::header::HOST;
use http::{HeaderValue, Request, Response, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The largest response body the client reads.
const RESPONSE_LIMIT: usize = 4 << 20;

/// Why a request got no response.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ClientError {
    message: String,
}

impl ClientError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Where requests go through, and which hosts are exempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxy {
    /// `host:port` of the HTTP proxy; `None`: direct connections.
    pub address: Option<String>,
    /// Host names (or suffixes starting with `.`, or `*`) reached directly.
    pub no_proxy: Vec<String>,
}

impl Proxy {
    /// The proxy of the environment: `HTTP_PROXY`/`http_proxy` and `NO_PROXY`/`no_proxy`.
    pub fn from_env() -> Self {
        let var = |a: &str, b: &str| {
            std::env::var(a)
                .or_else(|_| std::env::var(b))
                .ok()
                .filter(|v| !v.trim().is_empty())
        };
        Self::parse(
            var("HTTP_PROXY", "http_proxy").as_deref(),
            var("NO_PROXY", "no_proxy").as_deref(),
        )
    }

    /// A proxy from the values of `HTTP_PROXY` (`http://host:port` or `host:port`) and
    /// `NO_PROXY` (comma-separated).
    pub fn parse(http_proxy: Option<&str>, no_proxy: Option<&str>) -> Self {
        let address = http_proxy.and_then(|p| {
            let p = p.trim();
            let rest = p.strip_prefix("http://").unwrap_or(p);
            let host = rest.split('/').next().unwrap_or("");
            (!host.is_empty()).then(|| {
                if host.contains(':') {
                    host.to_owned()
                } else {
                    format!("{host}:80")
                }
            })
        });
        let no_proxy = no_proxy
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        Self { address, no_proxy }
    }

    /// The proxy to use for `host`, if any.
    pub fn for_host(&self, host: &str) -> Option<&str> {
        let host = host.to_ascii_lowercase();
        let exempt = self.no_proxy.iter().any(|n| {
            n == "*"
                || *n == host
                || (n.starts_with('.') && host.ends_with(n.as_str()))
                || host.ends_with(&format!(".{n}"))
        });
        if exempt {
            None
        } else {
            self.address.as_deref()
        }
    }
}

/// An HTTP/1.1 client with a per-request timeout.
#[derive(Debug, Clone)]
pub struct HttpClient {
    proxy: Proxy,
    timeout: Duration,
}

impl HttpClient {
    /// A client through `proxy`, giving up on a request after `timeout`.
    pub fn new(proxy: Proxy, timeout: Duration) -> Self {
        Self { proxy, timeout }
    }

    /// Sends `request` (its URI absolute, `http://` only) and reads the whole response.
    pub async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, ClientError> {
        tokio::time::timeout(self.timeout, self.send_now(request))
            .await
            .map_err(|_| ClientError::new(format!("no response within {:?}", self.timeout)))?
    }

    async fn send_now(&self, request: Request<Bytes>) -> Result<Response<Bytes>, ClientError> {
        let (mut parts, body) = request.into_parts();
        let uri = parts.uri.clone();
        if uri.scheme_str() != Some("http") {
            return Err(ClientError::new(format!(
                "{uri}: only http:// URLs are supported"
            )));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| ClientError::new(format!("{uri}: no host")))?
            .clone();
        let target = match authority.port_u16() {
            Some(_) => authority.to_string(),
            None => format!("{}:80", authority.host()),
        };
        let via = self.proxy.for_host(authority.host()).map(str::to_owned);
        let connect_to = via.clone().unwrap_or_else(|| target.clone());
        if via.is_none() {
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            parts.uri = path
                .parse::<Uri>()
                .map_err(|e| ClientError::new(format!("{uri}: {e}")))?;
        }
        if !parts.headers.contains_key(HOST)
            && let Ok(v) = HeaderValue::from_str(authority.as_str())
        {
            parts.headers.insert(HOST, v);
        }
        let stream = TcpStream::connect(&connect_to)
            .await
            .map_err(|e| ClientError::new(format!("connecting to {connect_to}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| ClientError::new(format!("{connect_to}: {e}")))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let response = sender
            .send_request(Request::from_parts(parts, Full::new(body)))
            .await
            .map_err(|e| ClientError::new(format!("{uri}: {e}")))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, RESPONSE_LIMIT)
            .collect()
            .await
            .map_err(|e| ClientError::new(format!("{uri}: reading the response: {e}")))?
            .to_bytes();
        Ok(Response::from_parts(parts, body))
    }
}

#[cfg(test)]
mod tests {
    use super::Proxy;

    #[test]
    fn no_proxy_exempts_hosts_and_suffixes() {
        let p = Proxy::parse(
            Some("http://proxy:3128/"),
            Some("localhost, .internal,example.com"),
        );
        assert_eq!(p.address.as_deref(), Some("proxy:3128"));
        assert_eq!(p.for_host("localhost"), None);
        assert_eq!(p.for_host("so1.internal"), None);
        assert_eq!(p.for_host("www.example.com"), None);
        assert_eq!(p.for_host("so1.apps.test"), Some("proxy:3128"));
        assert_eq!(Proxy::parse(None, None).for_host("x"), None);
        assert_eq!(
            Proxy::parse(Some("proxy"), None).address.as_deref(),
            Some("proxy:80")
        );
    }
}
