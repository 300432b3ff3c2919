//! A ready hyper 1 server (feature `hyper`): HTTP/1.1 and HTTP/2, graceful shutdown.

use std::future::Future;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::action::ActionHandler;
use crate::service::OcciService;
use crate::store::Store;

/// How long connections may take to finish once shutdown has begun.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `service` on `listener` until `shutdown` completes, then stops accepting, lets the
/// open connections finish (up to ten seconds) and returns.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use occi_server::{Occi, OcciService, serve};
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let service = OcciService::new(Occi::builder().build().expect("valid configuration"));
/// serve(listener, service, async { let _ = tokio::signal::ctrl_c().await; }).await
/// # }
/// ```
pub async fn serve<S, A>(
    listener: TcpListener,
    service: OcciService<S, A>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    S: Store,
    A: ActionHandler,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let connection = builder
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service.clone()))
                    .into_owned();
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
