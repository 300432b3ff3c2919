//! The same `OcciService` under axum 0.8, in-process: as the router's fallback and nested
//! below `/occi` with a base URL that says so.

mod common;

use axum::Router;
use axum::body::Body;
use common::*;
use http::Request;
use http_body_util::BodyExt;
use occi_server::occi_model::OcciVersion;
use occi_server::{Occi, OcciService, SimulatedActions};
use tower::ServiceExt;

fn occi(base: &str) -> OcciService<occi_server::InMemoryStore, SimulatedActions> {
    OcciService::new(
        Occi::builder()
            .registry(registry(OcciVersion::V1_2))
            .actions(SimulatedActions)
            .base_url(base)
            .unwrap()
            .build()
            .unwrap(),
    )
}

async fn send(router: &Router, request: Request<Body>) -> (u16, http::HeaderMap, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status.as_u16(),
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

fn create() -> Request<Body> {
    Request::post("/compute/")
        .header("content-type", "text/plain")
        .body(Body::from(format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"axum\"\n"
        )))
        .unwrap()
}

#[tokio::test]
async fn the_service_runs_unchanged_as_the_fallback() {
    let router = Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .fallback_service(occi("http://occi.test"));
    let (status, _, text) = send(
        &router,
        Request::get("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!((status, text.as_str()), (200, "ok"));
    let (status, headers, text) = send(&router, create()).await;
    assert_eq!(status, 201, "{text}");
    let location = headers["location"].to_str().unwrap().to_owned();
    let path = location
        .strip_prefix("http://occi.test")
        .unwrap()
        .to_owned();
    let (status, headers, text) = send(
        &router,
        Request::get(&path)
            .header("accept", "application/occi+json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"title\":\"axum\""), "{text}");
    assert!(headers["server"].to_str().unwrap().ends_with("OCCI/1.2"));
    assert_eq!(headers.get_all("content-length").iter().count(), 1);
    let (status, headers, text) =
        send(&router, Request::patch(&path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, 405, "{text}");
    assert!(headers.contains_key("allow"));
    let (status, _, text) = send(&router, Request::get("/-/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, 200);
    assert!(text.contains("Category: compute;"));
}

#[tokio::test]
async fn the_service_runs_nested_below_a_prefix() {
    let router = Router::new().nest_service("/occi", occi("http://occi.test/occi"));
    let mut request = create();
    *request.uri_mut() = "/occi/compute/".parse().unwrap();
    let (status, headers, text) = send(&router, request).await;
    assert_eq!(status, 201, "{text}");
    let location = headers["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://occi.test/occi/compute/"),
        "{location}"
    );
    let path = location
        .strip_prefix("http://occi.test")
        .unwrap()
        .to_owned();
    let (status, _, text) = send(&router, Request::get(&path).body(Body::empty()).unwrap()).await;
    assert_eq!(status, 200, "{text}");
    let (status, _, text) = send(
        &router,
        Request::get("/occi/compute/").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        text.contains(&format!("X-OCCI-Location: {location}")),
        "{text}"
    );
    // Outside the prefix axum answers itself.
    let (status, _, _) = send(
        &router,
        Request::get("/compute/").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_body_limit_holds_under_axum() {
    let router = Router::new().fallback_service(OcciService::new(
        Occi::builder()
            .registry(registry(OcciVersion::V1_2))
            .body_limit(16)
            .build()
            .unwrap(),
    ));
    let (status, headers, text) = send(&router, create()).await;
    assert_eq!(status, 413, "{text}");
    assert!(headers["server"].to_str().unwrap().ends_with("OCCI/1.2"));
}
