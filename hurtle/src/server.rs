//! Serving a component: a hyper HTTP/1.1 accept loop over a [`Handler`], with a body limit,
//! graceful shutdown, and the Ctrl-C/SIGTERM signal every binary stops on.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::wire;

/// The largest request body a component reads (413 above).
pub const BODY_LIMIT: usize = 1 << 20;
/// How long open connections may take to finish once shutdown has begun.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A component's request handler: one request in, one response out, never an error.
pub trait Handler: Send + Sync + 'static {
    /// Answers `request`.
    fn handle(&self, request: Request<Bytes>) -> impl Future<Output = Response<Bytes>> + Send;
}

async fn answer<H: Handler>(handler: &H, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => {
            let request = Request::from_parts(parts, collected.to_bytes());
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let response = handler.handle(request).await;
            tracing::info!(%method, %path, status = response.status().as_u16(), "request");
            response
        }
        Err(e) => wire::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body could not be read (limit {BODY_LIMIT} bytes): {e}"),
        ),
    };
    response.map(Full::new)
}

/// Serves `handler` on `listener` until `shutdown` completes, then lets open connections
/// finish (up to five seconds) and returns.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let handler = Arc::clone(&handler);
                let service = hyper::service::service_fn(move |req| {
                    let handler = Arc::clone(&handler);
                    async move { Ok::<_, std::convert::Infallible>(answer(&*handler, req).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain timeout; closing them");
    }
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "SIGTERM cannot be watched; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}
