//! `OcciService` as a tower service: the body limit (declared and streamed), unreadable
//! bodies, and the same service unchanged under axum (`fallback_service`, `nest_service`).

mod common;

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use common::*;
use http::{Request, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use occi_server::occi_model::OcciVersion;
use occi_server::{Occi, OcciService, SimulatedActions};
use tower::ServiceExt;

/// A body that arrives in frames, without a length; it may fail after some frames.
struct Chunks {
    frames: std::collections::VecDeque<Bytes>,
    fail_after: Option<usize>,
}

impl Chunks {
    fn new<I: IntoIterator<Item = Vec<u8>>>(frames: I) -> Self {
        Self {
            frames: frames.into_iter().map(Bytes::from).collect(),
            fail_after: None,
        }
    }

    fn spaces(count: usize, size: usize) -> Self {
        Self::new((0..count).map(|_| vec![b' '; size]))
    }
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if let Some(n) = &mut this.fail_after {
            if *n == 0 {
                return Poll::Ready(Some(Err(std::io::Error::other("connection reset"))));
            }
            *n -= 1;
        }
        Poll::Ready(this.frames.pop_front().map(|b| Ok(Frame::data(b))))
    }
}

fn service(limit: usize) -> OcciService<occi_server::InMemoryStore, SimulatedActions> {
    OcciService::new(
        Occi::builder()
            .registry(registry(OcciVersion::V1_2))
            .actions(SimulatedActions)
            .base_url("http://occi.test")
            .unwrap()
            .body_limit(limit)
            .build()
            .unwrap(),
    )
}

async fn call<B>(
    service: &OcciService<occi_server::InMemoryStore, SimulatedActions>,
    request: Request<B>,
) -> (StatusCode, http::HeaderMap, String)
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<occi_server::BoxError>,
{
    let response = service.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_with_content_length() {
    let s = service(64);
    let body = format!(
        "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"{}\"\n",
        "x".repeat(64)
    );
    let request = Request::post("/compute/")
        .header("content-type", "text/plain")
        .header("content-length", body.len())
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let (status, headers, text) = call(&s, request).await;
    assert_eq!(status, 413);
    assert!(text.contains("the limit is 64"), "{text}");
    assert!(headers["server"].to_str().unwrap().contains("OCCI/1.2"));
    assert_eq!(headers.get_all("content-length").iter().count(), 1);
    assert!(snapshot(s.occi()).is_empty());
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_413() {
    let s = service(1000);
    let request = Request::post("/compute/")
        .header("content-type", "text/plain")
        .body(Chunks::spaces(100, 100))
        .unwrap();
    let (status, headers, text) = call(&s, request).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("more than 1000"), "{text}");
    assert!(headers["server"].to_str().unwrap().contains("OCCI/1.2"));
    assert_eq!(headers.get_all("content-length").iter().count(), 1);
    assert!(snapshot(s.occi()).is_empty());
    // A Content-Length that understates the body does not get it past the limit either.
    let request = Request::post("/compute/")
        .header("content-type", "text/plain")
        .header("content-length", "10")
        .body(Chunks::spaces(100, 100))
        .unwrap();
    assert_eq!(call(&s, request).await.0, 413);
}

#[tokio::test]
async fn a_streamed_body_under_the_limit_is_read_whole() {
    let s = service(1 << 20);
    let request = Request::post("/compute/")
        .header("content-type", "text/plain")
        .body(Chunks::new([
            COMPUTE.as_bytes().to_vec(),
            b"\nX-OCCI-Attribute: occi.core.title=\"str".to_vec(),
            b"eamed\"\n".to_vec(),
        ]))
        .unwrap();
    let (status, headers, text) = call(&s, request).await;
    assert_eq!(status, 201, "{text}");
    let location = headers["location"].to_str().unwrap().to_owned();
    let path = location.trim_start_matches("http://occi.test");
    let got = block(
        s.occi()
            .handle(Request::get(path).body(Bytes::new()).unwrap()),
    );
    assert!(String::from_utf8_lossy(got.body()).contains("occi.core.title=\"streamed\""));
}

#[tokio::test]
async fn an_unreadable_body_is_400_and_changes_nothing() {
    let s = service(1 << 20);
    let request = Request::post("/compute/")
        .header("content-type", "text/plain")
        .body(Chunks {
            fail_after: Some(1),
            ..Chunks::spaces(3, 10)
        })
        .unwrap();
    let (status, headers, text) = call(&s, request).await;
    assert_eq!(status, 400);
    assert!(
        text.contains("could not be read") && text.contains("connection reset"),
        "{text}"
    );
    assert!(headers["server"].to_str().unwrap().contains("OCCI/1.2"));
    assert!(snapshot(s.occi()).is_empty());
}
