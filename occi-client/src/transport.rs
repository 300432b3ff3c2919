//! Sending one buffered request and reading the buffered response: the [`Transport`] trait,
//! HTTP/1.1 over TCP with a keep-alive pool ([`HttpTransport`]) and any in-process tower
//! service ([`ServiceTransport`]).
//!
//! Requests carry absolute URLs. Timeouts, retries and credentials are the
//! [`Client`](crate::Client)'s business, so every transport gets them alike.
//!
//! [`HttpTransport`] honours `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (and
//! their lower-case forms) as curl does: a request to a proxied `http://` URL goes to the
//! proxy in absolute form, with `Proxy-Authorization` when the proxy URL carries
//! credentials. `https://` URLs need the `rustls` feature (TLS through rustls, trusting the
//! Mozilla roots and any added with [`HttpTransport::add_root_certificates`]); without it
//! they are refused with a clear error, and HTTPS through a proxy (`CONNECT`) is not
//! supported.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body::Body;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use crate::error::{Error, ErrorKind};

/// A boxed, sendable future, as returned by [`Transport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The largest response body a transport reads by default: 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 << 20;

/// Sends buffered HTTP requests.
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` (whose URI is absolute) and waits for the whole response. A failure
    /// here is [`ErrorKind::Transport`]; any response, whatever its status, is `Ok`.
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, Error>>;
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
        (**self).send(request)
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn collect<B>(response: Response<B>, max: usize) -> Result<Response<Bytes>, Error>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let (parts, body) = response.into_parts();
    let bytes = Limited::new(body, max)
        .collect()
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                format!("the response body could not be read: {e}"),
            )
        })?
        .to_bytes();
    Ok(Response::from_parts(parts, bytes))
}

/// HTTP/1.1 over TCP, through hyper-util's pooled client (connections are kept alive and
/// reused), with proxies from the environment.
///
/// It must be created and used inside a tokio runtime.
#[derive(Clone)]
pub struct HttpTransport {
    client: HyperClient<ProxyConnector, Full<Bytes>>,
    proxies: Arc<Matcher>,
    #[cfg(feature = "rustls")]
    roots: rustls::RootCertStore,
    max_response_bytes: usize,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("proxies", &self.proxies)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpTransport {
    /// A transport with proxies from the environment and the default response size limit.
    pub fn new() -> Self {
        Self::with_proxies(Matcher::from_env())
    }

    /// A transport that never uses a proxy, whatever the environment says.
    pub fn without_proxy() -> Self {
        Self::with_proxies(Matcher::builder().build())
    }

    /// A transport with an explicit proxy: `proxy` for both `http` and `https` URLs, except
    /// hosts matched by `no_proxy` (the `NO_PROXY` syntax: comma-separated domains, IP
    /// addresses and networks, `*` for all).
    pub fn with_proxy(proxy: &str, no_proxy: &str) -> Self {
        Self::with_proxies(Matcher::builder().all(proxy).no(no_proxy).build())
    }

    fn with_proxies(matcher: Matcher) -> Self {
        let proxies = Arc::new(matcher);
        #[cfg(feature = "rustls")]
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let client = Self::client(
            &proxies,
            #[cfg(feature = "rustls")]
            &roots,
        );
        Self {
            client,
            proxies,
            #[cfg(feature = "rustls")]
            roots,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    fn client(
        proxies: &Arc<Matcher>,
        #[cfg(feature = "rustls")] roots: &rustls::RootCertStore,
    ) -> HyperClient<ProxyConnector, Full<Bytes>> {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        let connector = ProxyConnector {
            http,
            proxies: Arc::clone(proxies),
            #[cfg(feature = "rustls")]
            tls: Arc::new(
                rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots.clone())
                .with_no_client_auth(),
            ),
        };
        HyperClient::builder(TokioExecutor::new()).build(connector)
    }

    /// Also trusts the certificates of `pem` (one or more PEM `CERTIFICATE` blocks) as
    /// roots, for servers with a private certificate authority.
    #[cfg(feature = "rustls")]
    pub fn add_root_certificates(mut self, pem: &[u8]) -> Result<Self, Error> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject as _;
        let invalid = |why: String| Error::new(ErrorKind::Invalid, why);
        let mut added = 0;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate =
                certificate.map_err(|e| invalid(format!("unreadable PEM certificate: {e}")))?;
            self.roots
                .add(certificate)
                .map_err(|e| invalid(format!("unusable root certificate: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(invalid("no PEM CERTIFICATE block found".into()));
        }
        self.client = Self::client(&self.proxies, &self.roots);
        Ok(self)
    }

    /// The largest response body read (a larger one is a transport error).
    #[must_use]
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The proxy a request to `url` goes through, if any.
    pub fn proxy_for(&self, url: &Uri) -> Option<Uri> {
        self.proxies.intercept(url).map(|i| i.uri().clone())
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
        Box::pin(async move {
            match request.uri().scheme_str() {
                Some("http") => {}
                #[cfg(feature = "rustls")]
                Some("https") => {}
                #[cfg(not(feature = "rustls"))]
                Some("https") => {
                    return Err(Error::new(
                        ErrorKind::Transport,
                        format!(
                            "{}: https needs occi-client's `rustls` feature (this build \
                             speaks plain HTTP only)",
                            request.uri()
                        ),
                    ));
                }
                _ => {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        format!("{}: not an absolute http URL", request.uri()),
                    ));
                }
            }
            let (mut parts, body) = request.into_parts();
            if let Some(intercept) = self.proxies.intercept(&parts.uri)
                && let Some(auth) = intercept.basic_auth()
            {
                parts
                    .headers
                    .insert(http::header::PROXY_AUTHORIZATION, auth.clone());
            }
            let response = self
                .client
                .request(Request::from_parts(parts, Full::new(body)))
                .await
                .map_err(|e| {
                    let mut message = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        message.push_str(": ");
                        message.push_str(&s.to_string());
                        source = s.source();
                    }
                    Error::new(ErrorKind::Transport, message)
                })?;
            collect(response, self.max_response_bytes).await
        })
    }
}

/// Connects to the target, or to its proxy (then marking the connection as proxied, so that
/// hyper sends requests in absolute form).
#[derive(Clone)]
struct ProxyConnector {
    http: HttpConnector,
    proxies: Arc<Matcher>,
    #[cfg(feature = "rustls")]
    tls: Arc<rustls::ClientConfig>,
}

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<ProxyStream, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        tower_service::Service::<Uri>::poll_ready(&mut self.http, cx).map_err(Into::into)
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let proxy = self
            .proxies
            .intercept(&target)
            .map(|intercept| intercept.uri().clone());
        let mut http = self.http.clone();
        #[cfg(feature = "rustls")]
        let tls = Arc::clone(&self.tls);
        Box::pin(async move {
            let https = target.scheme_str() == Some("https");
            if https && proxy.is_some() {
                return Err("HTTPS through a proxy (CONNECT) is not supported; \
                            list the host in NO_PROXY"
                    .into());
            }
            let (address, proxied) = match proxy {
                Some(proxy) => (proxy, true),
                None => (target.clone(), false),
            };
            let io = tower_service::Service::call(&mut http, address).await?;
            if !https {
                return Ok(ProxyStream {
                    io: Io::Plain(io),
                    proxied,
                });
            }
            #[cfg(feature = "rustls")]
            {
                let host = target
                    .host()
                    .unwrap_or_default()
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned();
                let name = rustls_pki_types::ServerName::try_from(host)?;
                let stream = tokio_rustls::TlsConnector::from(tls)
                    .connect(name, io.into_inner())
                    .await?;
                Ok(ProxyStream {
                    io: Io::Tls(Box::new(TokioIo::new(stream))),
                    proxied: false,
                })
            }
            #[cfg(not(feature = "rustls"))]
            {
                drop(io);
                Err("https needs the rustls feature".into())
            }
        })
    }
}

/// A connection: plain TCP, or TLS over TCP.
enum Io {
    Plain(TokioIo<TcpStream>),
    #[cfg(feature = "rustls")]
    Tls(Box<TokioIo<tokio_rustls::client::TlsStream<TcpStream>>>),
}

/// A connection to the target or to a proxy.
struct ProxyStream {
    io: Io,
    proxied: bool,
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        match &self.io {
            Io::Plain(io) => io.connected().proxy(self.proxied),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => io.inner().get_ref().0.connected(),
        }
    }
}

macro_rules! delegate {
    ($self:ident, $io:ident => $call:expr) => {
        match &mut $self.io {
            Io::Plain($io) => $call,
            #[cfg(feature = "rustls")]
            Io::Tls($io) => {
                let $io = &mut **$io;
                $call
            }
        }
    };
}

impl hyper::rt::Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, io => Pin::new(io).poll_read(cx, buf))
    }
}

impl hyper::rt::Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, io => Pin::new(io).poll_write(cx, buf))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, io => Pin::new(io).poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, io => Pin::new(io).poll_shutdown(cx))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, io => Pin::new(io).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(io) => io.is_write_vectored(),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => io.is_write_vectored(),
        }
    }
}

/// The request body [`ServiceTransport`] hands to a service: the buffered bytes in one frame.
#[derive(Debug, Clone, Default)]
pub struct RequestBody {
    data: Option<Bytes>,
}

impl RequestBody {
    /// A body holding `data`.
    pub fn new(data: Bytes) -> Self {
        Self {
            data: (!data.is_empty()).then_some(data),
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(
            self.get_mut()
                .data
                .take()
                .map(|d| Ok(http_body::Frame::data(d))),
        )
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}

/// Sends requests to an in-process tower service (an `occi_server::OcciService`, an axum
/// router, any stack), with no socket: the request body is a [`RequestBody`], the response
/// body is read whole.
///
/// ```
/// # async fn f<S>(service: S) where S: Clone + Send + Sync + 'static + tower_service::Service<http::Request<occi_client::RequestBody>, Response = http::Response<String>>, S::Error: std::error::Error + Send + Sync + 'static, S::Future: Send {
/// use occi_client::{Client, ServiceTransport};
/// let client = Client::builder("http://occi.example")
///     .unwrap()
///     .transport(ServiceTransport::new(service))
///     .build();
/// # let _ = client;
/// # }
/// ```
pub struct ServiceTransport<S> {
    service: S,
    max_response_bytes: usize,
}

impl<S> fmt::Debug for ServiceTransport<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceTransport")
            .field("service", &std::any::type_name::<S>())
            .finish_non_exhaustive()
    }
}

impl<S> ServiceTransport<S> {
    /// Wraps `service`; it is cloned for every request.
    pub fn new(service: S) -> Self {
        Self {
            service,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

impl<S, RB> Transport for ServiceTransport<S>
where
    S: tower_service::Service<Request<RequestBody>, Response = Response<RB>> + Clone + Send + Sync,
    S::Error: std::error::Error + Send + Sync + 'static,
    S::Future: Send,
    RB: Body + Send,
    RB::Data: Send,
    RB::Error: Into<BoxError>,
{
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
        let mut service = self.service.clone();
        let max = self.max_response_bytes;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            if let Some(authority) = parts.uri.authority()
                && !parts.headers.contains_key(http::header::HOST)
                && let Ok(host) = http::HeaderValue::from_str(authority.as_str())
            {
                parts.headers.insert(http::header::HOST, host);
            }
            std::future::poll_fn(|cx| service.poll_ready(cx))
                .await
                .map_err(|e| Error::new(ErrorKind::Transport, e.to_string()).with_source(e))?;
            let response = service
                .call(Request::from_parts(parts, RequestBody::new(body)))
                .await
                .map_err(|e| Error::new(ErrorKind::Transport, e.to_string()).with_source(e))?;
            collect(response, max).await
        })
    }
}
