//! The suite over real HTTP on loopback against mutants whose bug only the wire shows: a HEAD
//! answered with a body (HTP-007). hyper's client drops whatever follows the header block of
//! a HEAD response, so the suite reads HEAD off a raw connection; hyper's server never writes
//! a HEAD body either, so the mutants are served here by a small HTTP/1.1 writer that writes
//! exactly what the service answered, one request per connection.

mod common;
#[allow(dead_code)]
#[path = "mutants/kit.rs"]
mod kit;
#[allow(dead_code)]
#[path = "mutants/list.rs"]
mod list;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use occi_conformance::outcome::Outcome;
use occi_conformance::results::{RunOptions, RunReport};
use occi_conformance::runner::{RunConfig, run};
use occi_conformance::transport::{HttpTransport, Transport as _};
use occi_server::occi_model::OcciVersion;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use common::{check_of, requirements_with};
use kit::{Hook, Server, reference_at};

/// Reads one request (header block and `Content-Length` body) off `stream`.
async fn read_request(stream: &mut TcpStream) -> Option<Request<Bytes>> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let (head, request, length) = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let mut fields = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut fields);
        if let httparse::Status::Complete(head) = parsed.parse(&buffer).ok()? {
            let length: usize = parsed
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                .unwrap_or(0);
            let mut request = Request::builder().method(parsed.method?).uri(parsed.path?);
            for h in parsed.headers.iter() {
                request = request.header(h.name, h.value);
            }
            break (head, request, length);
        }
    };
    while buffer.len() < head + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    request
        .body(Bytes::copy_from_slice(&buffer[head..head + length]))
        .ok()
}

/// Serves `hook` around the reference server on loopback: each connection carries one
/// request, and the answer is written as the service made it (a HEAD body included), with
/// its length and `Connection: close`. Returns the base URL.
async fn serve_on_wire(version: OcciVersion, hook: Hook) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("an address");
    let occi: Server = reference_at(version, &format!("http://{address}"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let occi = occi.clone();
            let hook = Arc::clone(&hook);
            tokio::spawn(async move {
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                let response = hook(occi, request).await;
                let (parts, body) = response.into_parts();
                let mut head = format!(
                    "HTTP/1.1 {} {}\r\n",
                    parts.status.as_u16(),
                    parts.status.canonical_reason().unwrap_or("")
                );
                for (name, value) in &parts.headers {
                    if name == http::header::CONTENT_LENGTH
                        || name == http::header::CONNECTION
                        || name == http::header::TRANSFER_ENCODING
                    {
                        continue;
                    }
                    let _ = write!(
                        head,
                        "{name}: {}\r\n",
                        String::from_utf8_lossy(value.as_bytes())
                    );
                }
                for value in parts.headers.get_all(http::header::CONTENT_LENGTH) {
                    let _ = write!(
                        head,
                        "content-length: {}\r\n",
                        String::from_utf8_lossy(value.as_bytes())
                    );
                }
                if !parts.headers.contains_key(http::header::CONTENT_LENGTH) {
                    let _ = write!(head, "content-length: {}\r\n", body.len());
                }
                head.push_str("connection: close\r\n\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

async fn run_over_wire(hook: Hook, version: OcciVersion) -> RunReport {
    let base = serve_on_wire(version, hook).await;
    let transport = HttpTransport::new(&base, Duration::from_secs(10), vec![]).unwrap();
    let config = RunConfig {
        target: base,
        profiles: vec![],
        options: RunOptions {
            strict: true,
            allow_mutation: true,
            timeout_ms: 10_000,
            ..RunOptions::default()
        },
        run_id: Some("wire".to_owned()),
    };
    run(Arc::new(transport), &config, &mut |_, _, _| {}).await
}

fn head_with_body() -> kit::Mutant {
    list::mutants()
        .into_iter()
        .find(|m| m.name == "head-with-body")
        .expect("the head-with-body mutant")
}

#[tokio::test]
async fn the_http_transport_reads_a_head_body_off_the_wire() {
    let base = serve_on_wire(OcciVersion::V1_2, head_with_body().hook).await;
    let transport = HttpTransport::new(&base, Duration::from_secs(10), vec![]).unwrap();
    let headers = [("Accept".to_owned(), "text/plain".to_owned())];
    let wire = transport
        .head_on_wire("/-/", &headers)
        .expect("the HTTP transport has a wire")
        .await
        .unwrap();
    assert!(wire.closed);
    assert_eq!(wire.response.status(), 200);
    let body = String::from_utf8_lossy(wire.response.body()).into_owned();
    assert!(body.starts_with("Category: "), "{body:?}");
    assert!(wire.request.starts_with("HEAD /-/ HTTP/1.1\r\n"));
    assert!(wire.request.ends_with("Connection: close\r\n\r\n"));

    // The same answer through the pooled client: the body is gone.
    let request = Request::head("/-/")
        .header("Accept", "text/plain")
        .body(Bytes::new())
        .unwrap();
    let timed = transport.send(request).await.unwrap();
    assert!(timed.response.body().is_empty());
}

#[tokio::test]
async fn the_reference_server_over_the_wire_fails_nothing() {
    for version in [OcciVersion::V1_2, OcciVersion::V1_1] {
        let report = run_over_wire(kit::identity(), version).await;
        assert_eq!(requirements_with(&report, Outcome::Fail), BTreeSet::new());
        assert_eq!(requirements_with(&report, Outcome::Error), BTreeSet::new());
        let htp7 = check_of(&report, "HTP-007");
        assert!(
            htp7.message.contains("read on the wire"),
            "{}",
            htp7.message
        );
    }
}

#[tokio::test]
async fn a_head_body_on_the_wire_fails_exactly_htp_007() {
    for version in [OcciVersion::V1_2, OcciVersion::V1_1] {
        let report = run_over_wire(head_with_body().hook, version).await;
        assert_eq!(
            requirements_with(&report, Outcome::Fail),
            BTreeSet::from(["HTP-007".to_owned()])
        );
        assert_eq!(requirements_with(&report, Outcome::Error), BTreeSet::new());
    }
}
