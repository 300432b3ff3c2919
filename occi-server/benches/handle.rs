//! In-process request handling: GET of one compute (text/plain, JSON) and a create, through
//! `Occi::handle` and through `OcciService` (tower `oneshot`).
//!
//! Creates are measured on a fresh server per sample (`iter_custom`), so the store holds at
//! most one sample's computes instead of every compute created since the benchmark began.

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::Request;
use http_body_util::{BodyExt, Full};
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{OcciVersion, Registry};
use occi_server::{InMemoryStore, Occi, OcciService, SimulatedActions};
use tower::ServiceExt;

const CREATE: &str = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.core.title=\"bench\"\nX-OCCI-Attribute: occi.compute.cores=2\n";

fn server() -> Occi<InMemoryStore, SimulatedActions> {
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).expect("the infrastructure model registers");
    infrastructure::register_crtp_templates(&mut registry).expect("the CRTP templates register");
    Occi::builder()
        .registry(registry)
        .actions(SimulatedActions)
        .base_url("http://bench.test")
        .expect("a valid base URL")
        .build()
        .expect("a valid configuration")
}

fn get(path: &str, accept: &str) -> Request<Bytes> {
    Request::get(path)
        .header("accept", accept)
        .body(Bytes::new())
        .expect("a valid request")
}

fn create() -> Request<Bytes> {
    Request::post("/compute/")
        .header("content-type", "text/plain")
        .body(Bytes::from_static(CREATE.as_bytes()))
        .expect("a valid request")
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let occi = server();
    let response = runtime.block_on(occi.handle(create()));
    assert_eq!(response.status(), 201);
    let path = response.headers()["location"]
        .to_str()
        .expect("ASCII")
        .trim_start_matches("http://bench.test")
        .to_owned();

    let mut group = c.benchmark_group("handle");
    group.throughput(Throughput::Elements(1));
    group.bench_function("get compute text/plain", |b| {
        b.to_async(&runtime)
            .iter(|| async { occi.handle(get(&path, "text/plain")).await });
    });
    group.bench_function("get compute application/occi+json", |b| {
        b.to_async(&runtime)
            .iter(|| async { occi.handle(get(&path, "application/occi+json")).await });
    });
    group.bench_function("post create text/plain", |b| {
        b.to_async(&runtime).iter_custom(|iters| async move {
            let fresh = server();
            let started = Instant::now();
            for _ in 0..iters {
                black_box(fresh.handle(create()).await);
            }
            started.elapsed()
        });
    });
    group.finish();

    let service = OcciService::new(occi.clone());
    let mut group = c.benchmark_group("service");
    group.throughput(Throughput::Elements(1));
    group.bench_function("get compute text/plain", |b| {
        b.to_async(&runtime).iter(|| async {
            let request = Request::get(path.as_str())
                .body(Full::new(Bytes::new()))
                .expect("a valid request");
            let response = service.clone().oneshot(request).await.expect("infallible");
            response.into_body().collect().await.expect("infallible")
        });
    });
    group.bench_function("post create text/plain", |b| {
        b.to_async(&runtime).iter_custom(|iters| async move {
            let service = OcciService::new(server());
            let started = Instant::now();
            for _ in 0..iters {
                let request = Request::post("/compute/")
                    .header("content-type", "text/plain")
                    .body(Full::new(Bytes::from_static(CREATE.as_bytes())))
                    .expect("a valid request");
                let response = service.clone().oneshot(request).await.expect("infallible");
                black_box(response.into_body().collect().await.expect("infallible"));
            }
            started.elapsed()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
