//! Sending requests: the [`Transport`] trait, an HTTP/1.1 client ([`HttpTransport`]) and an
//! in-process transport over any `tower` service ([`ServiceTransport`]).
//!
//! A transport sends one buffered `http::Request<Bytes>` and returns the buffered
//! `http::Response<Bytes>` with how long it took. Requests carry a path (`/-/`) or an
//! absolute URL; [`HttpTransport`] resolves paths against its base URL.
//!
//! [`HttpTransport`] speaks HTTP/1.1 over TCP, or over TLS (rustls) for an `https://` target,
//! through hyper's client. [`TlsOptions`] choose what is trusted: the Mozilla roots by
//! default, the certificates of a PEM file instead (`--cacert`), or nothing at all
//! (`--insecure`: any certificate is accepted, though the handshake signatures are still
//! checked); a client certificate and key (`--cert`/`--key`) are presented when the server
//! asks for one. **Redirects are not followed** (a 3xx is what a check sees), every request is
//! bounded by the timeout (connecting and the handshake included), and the extra headers
//! given at construction (`--header`, typically credentials) are added to every request.
//! A certificate the transport does not trust is reported as such, with what to pass.
//!
//! [`Transport::head_on_wire`] sends a `HEAD` on a connection of its own and returns the
//! bytes that came back, since hyper's client (rightly) drops whatever follows the header
//! block of a HEAD response: the framing of a live server can only be judged on the wire.

use std::fmt::{self, Write as _};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::ClientConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

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

    /// Sends `HEAD path` (with `headers`) on a connection of its own, asking the server to
    /// close it after the response, and returns everything that came back on the wire.
    ///
    /// `None` when the transport has no wire: an in-process transport hands the checks the
    /// body the service produced, which is all there is to judge.
    fn head_on_wire<'a>(
        &'a self,
        path: &'a str,
        headers: &'a [(String, String)],
    ) -> Option<BoxFuture<'a, Result<WireResponse, TransportError>>> {
        let _ = (path, headers);
        None
    }
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Timed, TransportError>> {
        (**self).send(request)
    }

    fn absolute_url(&self, path_or_url: &str) -> String {
        (**self).absolute_url(path_or_url)
    }

    fn head_on_wire<'a>(
        &'a self,
        path: &'a str,
        headers: &'a [(String, String)],
    ) -> Option<BoxFuture<'a, Result<WireResponse, TransportError>>> {
        (**self).head_on_wire(path, headers)
    }
}

/// A response as read off the wire: the parsed status line and header fields, and the bytes
/// that followed the header block before the server closed the connection.
#[derive(Debug, Clone)]
pub struct WireResponse {
    /// The request as written (credentials included only as their names).
    pub request: String,
    /// The parsed status line and header fields; the body is what followed the header block.
    pub response: Response<Bytes>,
    /// Whether the server closed the connection (else the timeout ended the read, and the
    /// body is what had arrived by then).
    pub closed: bool,
    /// From writing the request to the end of the read.
    pub elapsed: Duration,
}

/// The most bytes [`Transport::head_on_wire`] reads.
const WIRE_READ_LIMIT: usize = 1 << 20;

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

/// What an `https://` target is trusted by, and the client certificate presented to it.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// PEM `CERTIFICATE` blocks trusted as roots *instead of* the Mozilla roots (`--cacert`,
    /// as curl's).
    pub ca_certificates: Option<Vec<u8>>,
    /// Accept any server certificate, whoever issued it and whatever name it carries
    /// (`--insecure`). The handshake's signatures are still verified.
    pub insecure: bool,
    /// A PEM certificate chain (the client's certificate first) and its PEM private key
    /// (PKCS#8, PKCS#1 or SEC1), presented when the server asks (`--cert`, `--key`).
    pub client_identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl TlsOptions {
    /// The rustls client configuration these options describe (ring, TLS 1.2 and 1.3).
    pub fn client_config(&self) -> Result<ClientConfig, TransportError> {
        let invalid = |what: String| TransportError::Request(what);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS configuration: {e}")))?;
        let builder = if self.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerCertificate(provider)))
        } else {
            let mut roots = rustls::RootCertStore::empty();
            match &self.ca_certificates {
                Some(pem) => {
                    for certificate in CertificateDer::pem_slice_iter(pem) {
                        let certificate = certificate
                            .map_err(|e| invalid(format!("--cacert: unreadable PEM: {e}")))?;
                        roots.add(certificate).map_err(|e| {
                            invalid(format!("--cacert: unusable root certificate: {e}"))
                        })?;
                    }
                    if roots.is_empty() {
                        return Err(invalid(
                            "--cacert: no PEM CERTIFICATE block found".to_owned(),
                        ));
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots)
        };
        match &self.client_identity {
            None => Ok(builder.with_no_client_auth()),
            Some((chain, key)) => {
                let chain = CertificateDer::pem_slice_iter(chain)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| invalid(format!("--cert: unreadable PEM: {e}")))?;
                if chain.is_empty() {
                    return Err(invalid("--cert: no PEM CERTIFICATE block found".to_owned()));
                }
                let key = PrivateKeyDer::from_pem_slice(key)
                    .map_err(|e| invalid(format!("--key: no usable PEM private key: {e}")))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| invalid(format!("--cert/--key: {e}")))
            }
        }
    }
}

/// The verifier of `--insecure`: every certificate is accepted; the handshake signatures are
/// still checked against the certificate presented.
#[derive(Debug)]
struct AnyServerCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// An HTTP/1.1 client transport (hyper 1; TLS through rustls; no redirects).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    base: String,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    tls: Arc<ClientConfig>,
    timeout: Duration,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl HttpTransport {
    /// A transport for the target at `base` (`http://host:port[/prefix]` or `https://…`),
    /// with a per-request `timeout` and `headers` added to every request; an `https://`
    /// target is trusted by the Mozilla roots.
    ///
    /// Must be called within a Tokio runtime.
    pub fn new(
        base: &str,
        timeout: Duration,
        headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Result<Self, TransportError> {
        Self::with_tls(base, timeout, headers, &TlsOptions::default())
    }

    /// [`HttpTransport::new`] with the trust and client certificate of `tls`.
    pub fn with_tls(
        base: &str,
        timeout: Duration,
        headers: Vec<(HeaderName, HeaderValue)>,
        tls: &TlsOptions,
    ) -> Result<Self, TransportError> {
        let uri: Uri = base
            .parse()
            .map_err(|e| TransportError::Request(format!("bad target URL {base:?}: {e}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(TransportError::Request(format!(
                "the target must be an absolute http:// or https:// URL, not {base:?}"
            )));
        }
        let config = tls.client_config()?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config.clone())
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
            tls: Arc::new(config),
            timeout,
            headers,
        })
    }

    /// Writes `request` on a fresh connection to `uri`'s host (TLS for `https`) and reads
    /// until the server closes it, the read limit or the timeout.
    async fn wire_exchange(
        &self,
        uri: &Uri,
        request: &[u8],
    ) -> Result<(Vec<u8>, bool), TransportError> {
        let host = uri
            .host()
            .ok_or_else(|| TransportError::Request(format!("{uri}: no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let https = uri.scheme_str() == Some("https");
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| TransportError::Connect(format!("{host}:{port}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        if https {
            let name = ServerName::try_from(host.clone())
                .map_err(|e| TransportError::Request(format!("{host}: {e}")))?;
            let stream = tokio_rustls::TlsConnector::from(Arc::clone(&self.tls))
                .connect(name, tcp)
                .await
                .map_err(|e| TransportError::Connect(error_chain(&e)))?;
            read_after_writing(stream, request, self.timeout).await
        } else {
            read_after_writing(tcp, request, self.timeout).await
        }
    }
}

/// Writes `request`, then reads until the peer closes the connection, [`WIRE_READ_LIMIT`]
/// bytes or `timeout`; returns the bytes and whether the peer closed.
async fn read_after_writing<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
    timeout: Duration,
) -> Result<(Vec<u8>, bool), TransportError> {
    let connect = |e: std::io::Error| TransportError::Connect(e.to_string());
    tokio::time::timeout(timeout, stream.write_all(request))
        .await
        .map_err(|_| TransportError::Timeout(timeout))?
        .map_err(connect)?;
    let mut read = Vec::new();
    let mut chunk = [0_u8; 8192];
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return Ok((read, false)),
            Ok(Ok(0)) => return Ok((read, true)),
            Ok(Ok(n)) => {
                read.extend_from_slice(&chunk[..n]);
                if read.len() >= WIRE_READ_LIMIT {
                    return Ok((read, false));
                }
            }
            // A TLS peer that closes without close_notify, or a reset after the response:
            // what arrived is the answer.
            Ok(Err(_)) if !read.is_empty() => return Ok((read, true)),
            Ok(Err(e)) => return Err(connect(e)),
        }
    }
}

/// Parses the status line and header fields of `bytes`; the rest is the body.
fn parse_wire_response(bytes: &[u8]) -> Result<Response<Bytes>, TransportError> {
    let mut fields = [httparse::EMPTY_HEADER; 128];
    let mut parsed = httparse::Response::new(&mut fields);
    let invalid =
        |why: String| TransportError::Connect(format!("the response is not HTTP/1.x: {why}"));
    let head = match parsed.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return Err(invalid(format!(
                "the header block is incomplete after {} bytes",
                bytes.len()
            )));
        }
        Err(e) => return Err(invalid(e.to_string())),
    };
    let mut response = Response::builder().status(parsed.code.unwrap_or_default());
    for field in parsed.headers.iter() {
        response = response.header(field.name, field.value);
    }
    response
        .body(Bytes::copy_from_slice(&bytes[head..]))
        .map_err(|e| invalid(e.to_string()))
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

    fn head_on_wire<'a>(
        &'a self,
        path: &'a str,
        headers: &'a [(String, String)],
    ) -> Option<BoxFuture<'a, Result<WireResponse, TransportError>>> {
        Some(Box::pin(async move {
            let url = self.absolute_url(path);
            let uri: Uri = url
                .parse()
                .map_err(|e| TransportError::Request(format!("bad URL {url:?}: {e}")))?;
            let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
            let authority = uri.authority().map_or("", |a| a.as_str());
            let mut written = format!("HEAD {target} HTTP/1.1\r\nHost: {authority}\r\n");
            let mut shown = written.clone();
            for (name, value) in headers {
                let _ = write!(written, "{name}: {value}\r\n");
                let _ = write!(shown, "{name}: {value}\r\n");
            }
            for (name, value) in &self.headers {
                written.push_str(name.as_str());
                written.push_str(": ");
                written.push_str(&String::from_utf8_lossy(value.as_bytes()));
                written.push_str("\r\n");
                let _ = write!(shown, "{name}: {}\r\n", crate::exchange::REDACTED);
            }
            written.push_str("Connection: close\r\n\r\n");
            shown.push_str("Connection: close\r\n\r\n");
            let start = Instant::now();
            let (bytes, closed) =
                tokio::time::timeout(self.timeout, self.wire_exchange(&uri, written.as_bytes()))
                    .await
                    .map_err(|_| TransportError::Timeout(self.timeout))??;
            Ok(WireResponse {
                request: shown,
                response: parse_wire_response(&bytes)?,
                closed,
                elapsed: start.elapsed(),
            })
        }))
    }
}

/// An error and its sources, joined by `: `; a certificate rustls did not trust gets a hint
/// of what to pass.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if let Some(rustls::Error::InvalidCertificate(why)) = rustls_error(error) {
        let _ = write!(
            text,
            " (the server's TLS certificate is not trusted: {why:?}; pass the CA that issued \
             it with --cacert FILE, or --insecure to accept any certificate)"
        );
    }
    text
}

/// The rustls error behind `error`, through its sources and the I/O errors wrapping it (an
/// I/O error's `source` skips the error it wraps).
fn rustls_error<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(io) = error.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
        && let Some(tls) = rustls_error(inner)
    {
        return Some(tls);
    }
    error.source().and_then(rustls_error)
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
