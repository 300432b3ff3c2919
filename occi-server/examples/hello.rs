//! The ceiling for load runs: the smallest hyper 1 server, answering every request with a
//! fixed 200 "hello" on the same runtime, accept loop and HTTP stack `occi-server` uses.
//!
//! ```text
//! cargo run --release -p occi-server --example hello -- 127.0.0.1:18090
//! wrk -t2 -c32 -d10s http://127.0.0.1:18090/
//! ```

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18090".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "hello server listening on http://{}",
        listener.local_addr()?
    );
    let service = hyper::service::service_fn(|_request: Request<hyper::body::Incoming>| async {
        Ok::<_, Infallible>(Response::new(http_body_util::Full::new(
            Bytes::from_static(b"hello"),
        )))
    });
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
