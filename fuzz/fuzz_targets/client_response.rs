//! occi-client: whatever a server answers (the input is split into the query interface's
//! response and every other response: status, `Content-Type`, OCCI header fields, body),
//! every operation returns `Ok` or an error, and never panics.
#![no_main]

use std::sync::LazyLock;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use libfuzzer_sys::fuzz_target;
use occi_client::{BoxFuture, Client, Error, ListOptions, Transport};
use occi_model::ext::infrastructure;
use occi_model::{ActionInvocation, Entity, Location, Resource};

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
});

const CONTENT_TYPES: [&str; 6] = [
    "text/plain",
    "text/occi",
    "text/uri-list",
    "application/occi+json",
    "application/json",
    "text/html",
];

/// `status byte, content-type byte, then lines: the first lines up to an empty one are OCCI
/// header fields (`name: value`), the rest is the body`.
fn response(data: &[u8]) -> Response<Bytes> {
    let (head, rest) = data.split_at(data.len().min(2));
    let status = 200 + u16::from(head.first().copied().unwrap_or(0) % 6) * 50;
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = CONTENT_TYPES[usize::from(head.get(1).copied().unwrap_or(0)) % 6];
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    let text = String::from_utf8_lossy(rest);
    let (fields, body) = text.split_once("\n\n").unwrap_or(("", &text));
    for line in fields.lines() {
        if let Some((name, value)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            )
        {
            response.headers_mut().append(name, value);
        }
    }
    *response.body_mut() = Bytes::from(body.to_owned());
    response
}

#[derive(Debug)]
struct Canned {
    query_interface: Vec<u8>,
    other: Vec<u8>,
}

impl Transport for Canned {
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
        let data = if request.uri().path().ends_with("/-/") {
            &self.query_interface
        } else {
            &self.other
        };
        let answer = response(data);
        Box::pin(async move { Ok(answer) })
    }
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let canned = Canned {
        query_interface: data[..split].to_vec(),
        other: data.get(split + 1..).unwrap_or_default().to_vec(),
    };
    let client = Client::builder("http://occi.test")
        .expect("a valid endpoint")
        .transport(canned)
        .retries(0, std::time::Duration::ZERO)
        .build();
    RUNTIME.block_on(async {
        let location = Location::new("/compute/1").expect("a location");
        let _ = client.discover().await;
        let _ = client.get(&location).await;
        let mut listing = std::pin::pin!(client.list(
            &Location::new("/compute/").expect("a location"),
            ListOptions {
                page_size: Some(2),
                ..ListOptions::default()
            },
        ));
        while let Some(item) = futures_util::StreamExt::next(&mut listing).await {
            if item.is_err() {
                break;
            }
        }
        let vm = Entity::Resource(Resource::new(infrastructure::compute_id()));
        let _ = client.create(&vm).await;
        let _ = client.update(&location, &vm).await;
        let _ = client
            .trigger(&location, &ActionInvocation::new(infrastructure::compute_start_id()))
            .await;
    });
});
