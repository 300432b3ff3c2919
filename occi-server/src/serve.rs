//! A ready hyper 1 server (feature `hyper`): HTTP/1.1 and HTTP/2, graceful shutdown, and
//! connection hygiene: a header-read timeout, an idle timeout and a cap on open connections,
//! so that slow or half-open clients cannot lock everyone else out. With the `tls` feature it
//! also serves HTTPS with a rustls configuration.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::service::BoxError;

/// How [`serve`] treats connections: timeouts, the connection cap, the shutdown drain and,
/// with the `tls` feature, TLS.
///
/// The defaults suit a server on the open internet: 10 s to send a request's headers, 60 s
/// of silence before an idle connection is closed, 512 open connections, 10 s to drain on
/// shutdown.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use std::time::Duration;
/// use occi_server::{Occi, OcciService, ServeConfig};
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let service = OcciService::new(Occi::builder().build().expect("valid configuration"));
/// ServeConfig::new()
///     .header_read_timeout(Duration::from_secs(5))
///     .max_connections(256)
///     .serve(listener, service, async { let _ = tokio::signal::ctrl_c().await; })
///     .await
/// # }
/// ```
#[derive(Clone)]
pub struct ServeConfig {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
    drain_timeout: Duration,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("ServeConfig");
        debug
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("drain_timeout", &self.drain_timeout);
        #[cfg(feature = "tls")]
        debug.field("tls", &self.tls.is_some());
        debug.finish()
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_mins(1),
            max_connections: 512,
            drain_timeout: Duration::from_secs(10),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServeConfig {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// How long an HTTP/1 client may take to send a request's headers, counted from the
    /// moment the server is ready to read them. A client that has not finished by then is
    /// disconnected.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a connection may stay silent (no byte read or written, no request being
    /// answered) before it is closed. This also covers clients that connect and send nothing,
    /// keep-alive connections between requests, and stalled TLS handshakes.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The most connections open at once (at least 1). At the cap the server stops accepting
    /// until one closes; waiting clients queue in the listener's backlog.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long open connections may take to finish once shutdown has begun.
    #[must_use]
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Serves HTTPS with this rustls configuration (feature `tls`). Set its
    /// `alpn_protocols` to `[b"h2", b"http/1.1"]` to offer HTTP/2.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, config: Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsAcceptor::from(config));
        self
    }

    /// Serves `service` on `listener` until `shutdown` completes, then stops accepting, lets
    /// the open connections finish (up to the drain timeout) and returns.
    ///
    /// `service` is any cloneable tower service over hyper's request body: an
    /// [`OcciService`](crate::OcciService), or one wrapped in layers such as
    /// [`auth::AuthLayer`](crate::auth::AuthLayer).
    ///
    /// When accepting fails (for example when the process is out of file descriptors) the
    /// loop backs off, from 10 ms doubling up to one second, instead of spinning.
    pub async fn serve<S, B>(
        &self,
        listener: TcpListener,
        service: S,
        shutdown: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()>
    where
        S: ServeService<B>,
        B: ServeBody,
    {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        builder.http2().timer(TokioTimer::new());
        let builder = Arc::new(builder);
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(self.max_connections));
        let epoch = Instant::now();
        let mut backoff = BACKOFF_START;
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = accept(&listener, &slots) => accepted,
            };
            let (stream, peer, slot) = match accepted {
                Ok(accepted) => {
                    backoff = BACKOFF_START;
                    accepted
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?backoff, "accept failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let connection = Connection {
                builder: Arc::clone(&builder),
                watcher: graceful.watcher(),
                activity: Arc::new(Activity::new(epoch)),
                idle_timeout: self.idle_timeout,
            };
            #[cfg(feature = "tls")]
            let tls = self.tls.clone();
            let service = service.clone();
            tokio::spawn(async move {
                let io = Watched {
                    inner: stream,
                    activity: Arc::clone(&connection.activity),
                };
                #[cfg(feature = "tls")]
                if let Some(acceptor) = tls {
                    connection.serve_tls(acceptor, io, service, peer).await;
                    drop(slot);
                    return;
                }
                connection.serve_io(io, service, peer).await;
                drop(slot);
            });
        }
        drop(listener);
        if tokio::time::timeout(self.drain_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("connections still open after the drain timeout; closing them");
        }
        Ok(())
    }
}

/// What [`serve`] and [`ServeConfig::serve`] run: a cloneable tower service over hyper's
/// request body that never fails, such as an [`OcciService`](crate::OcciService) or one
/// wrapped in layers. Every such service is one.
pub trait ServeService<B>:
    tower_service::Service<
        Request<Incoming>,
        Response = Response<B>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S, B> ServeService<B> for S where
    S: tower_service::Service<
            Request<Incoming>,
            Response = Response<B>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// The response bodies [`serve`] writes: any [`http_body::Body`] that can be sent between
/// threads. Every such body is one.
pub trait ServeBody: http_body::Body<Data: Send, Error: Into<BoxError>> + Send + 'static {}

impl<B> ServeBody for B where B: http_body::Body<Data: Send, Error: Into<BoxError>> + Send + 'static {}

/// The first pause after a failed accept.
const BACKOFF_START: Duration = Duration::from_millis(10);
/// The longest pause after repeated failed accepts.
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Waits for a free connection slot, then for a connection.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> std::io::Result<(
    TcpStream,
    std::net::SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let slot = Arc::clone(slots)
        .acquire_owned()
        .await
        .map_err(std::io::Error::other)?;
    let (stream, peer) = listener.accept().await?;
    Ok((stream, peer, slot))
}

/// Serves `service` on `listener` with the default [`ServeConfig`] until `shutdown`
/// completes, then stops accepting, lets the open connections finish (up to ten seconds)
/// and returns.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use occi_server::{Occi, OcciService, serve};
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let service = OcciService::new(Occi::builder().build().expect("valid configuration"));
/// serve(listener, service, async { let _ = tokio::signal::ctrl_c().await; }).await
/// # }
/// ```
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    S: ServeService<B>,
    B: ServeBody,
{
    ServeConfig::default()
        .serve(listener, service, shutdown)
        .await
}

/// One accepted connection and what it needs to be served.
struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    watcher: Watcher,
    activity: Arc<Activity>,
    idle_timeout: Duration,
}

impl Connection {
    /// The TLS handshake (closed when it stalls past the idle timeout), then HTTP.
    #[cfg(feature = "tls")]
    async fn serve_tls<S: ServeService<B>, B: ServeBody>(
        self,
        acceptor: tokio_rustls::TlsAcceptor,
        io: Watched<TcpStream>,
        service: S,
        peer: std::net::SocketAddr,
    ) {
        let handshake = tokio::select! {
            handshake = acceptor.accept(io) => handshake,
            () = self.activity.idle(self.idle_timeout) => {
                tracing::debug!(%peer, "TLS handshake stalled; connection closed");
                return;
            }
        };
        match handshake {
            Ok(tls) => self.serve_io(tls, service, peer).await,
            Err(error) => tracing::debug!(%peer, %error, "TLS handshake failed"),
        }
    }

    /// HTTP on the connection until it ends, or has been idle past the idle timeout.
    async fn serve_io<I, S, B>(self, io: I, service: S, peer: std::net::SocketAddr)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: ServeService<B>,
        B: ServeBody,
    {
        let service = TowerToHyperService::new(InFlight {
            inner: service,
            activity: Arc::clone(&self.activity),
        });
        let connection = self
            .builder
            .serve_connection(TokioIo::new(io), service)
            .into_owned();
        let connection = self.watcher.watch(connection);
        tokio::select! {
            ended = connection => {
                if let Err(error) = ended {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
            }
            () = self.activity.idle(self.idle_timeout) => {
                tracing::debug!(%peer, "idle connection closed");
            }
        }
    }
}

/// When a connection last moved a byte, and how many of its requests are being answered.
#[derive(Debug)]
struct Activity {
    epoch: Instant,
    /// Milliseconds from `epoch` to the last byte read or written, or the last answer.
    last: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new(epoch: Instant) -> Self {
        let activity = Self {
            epoch,
            last: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        };
        activity.touch();
        activity
    }

    fn touch(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }

    /// Completes once the connection has been silent, with no request in flight, for
    /// `timeout`.
    async fn idle(&self, timeout: Duration) {
        loop {
            let deadline = self.last() + timeout;
            if Instant::now() >= deadline {
                if self.in_flight.load(Ordering::Acquire) == 0 {
                    return;
                }
                tokio::time::sleep(timeout).await;
            } else {
                tokio::time::sleep_until(deadline).await;
            }
        }
    }
}

/// An I/O stream that records its activity.
struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Counts the requests being answered on a connection, so that a slow answer is not taken
/// for an idle connection.
#[derive(Clone)]
struct InFlight<S> {
    inner: S,
    activity: Arc<Activity>,
}

/// Marks a request answered when dropped.
struct Answering(Arc<Activity>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.touch();
    }
}

impl<S, B> tower_service::Service<Request<Incoming>> for InFlight<S>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<B>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        self.activity.in_flight.fetch_add(1, Ordering::AcqRel);
        let answering = Answering(Arc::clone(&self.activity));
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await;
            drop(answering);
            response
        })
    }
}
