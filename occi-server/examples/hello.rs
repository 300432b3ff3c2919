//! The ceiling for load runs: the smallest hyper 1 server, answering every request with a
//! fixed 200 text/plain body on the same runtime, accept loop and HTTP stack `occi-server`
//! uses. The body is "hello", or BYTES bytes long, to match the size of an OCCI response
//! (`occi-server/benches/load.sh` compares the two).
//!
//! ```text
//! cargo run --release -p occi-server --example hello -- 127.0.0.1:18090 [BYTES]
//! wrk -t2 -c32 -d10s http://127.0.0.1:18090/
//! ```

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, header};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18090".to_owned());
    let body = match args.next() {
        None => Bytes::from_static(b"hello"),
        Some(bytes) => {
            let bytes: usize = bytes.parse().map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("BYTES {bytes:?}: {e}"),
                )
            })?;
            Bytes::from(vec![b'x'; bytes])
        }
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "hello server listening on http://{} ({} byte bodies)",
        listener.local_addr()?,
        body.len()
    );
    let service = hyper::service::service_fn(move |_request: Request<hyper::body::Incoming>| {
        let body = body.clone();
        async move {
            let mut response = Response::new(http_body_util::Full::new(body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/plain"),
            );
            Ok::<_, Infallible>(response)
        }
    });
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let service = service.clone();
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
