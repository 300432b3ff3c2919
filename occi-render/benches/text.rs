//! Criterion benches of the text renderings on one fixed reference workload: a compute with
//! one Kind, two Mixins, six attributes (strings, integers, a float) and one inline Link,
//! parsed into the model and rendered, in text/plain and text/occi. `text/plain/parse` takes
//! the one-pass reader of the canonical form; `text/plain/parse-grammar` reads the same
//! bytes with the grammar reader, as any other form of a message is read.
//!
//! Run with `cargo bench -p occi-render --bench text`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use occi_render::ParseOptions;
use occi_render::text::{canonical, occi, plain};

mod workload;
use workload::workload;

fn benches(c: &mut Criterion) {
    let entity = workload();
    let options = ParseOptions::lenient();
    let body = plain::render_entity(&entity);
    let headers = occi::render_entity(&entity);
    let header_bytes: u64 = headers
        .iter()
        .map(|(n, v)| (n.as_str().len() + v.len() + 4) as u64)
        .sum();
    assert_eq!(
        plain::parse_entity(&body, &options, None).unwrap().value,
        entity
    );

    let mut g = c.benchmark_group("text/plain");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| plain::parse_entity(black_box(&body), &options, None).unwrap());
    });
    g.bench_function("parse-grammar", |b| {
        b.iter(|| canonical::entity_by_grammar(black_box(&body), &options, None).unwrap());
    });
    g.bench_function("render", |b| {
        b.iter(|| plain::render_entity(black_box(&entity)));
    });
    g.finish();

    let mut g = c.benchmark_group("text/occi");
    g.throughput(Throughput::Bytes(header_bytes));
    g.bench_function("parse", |b| {
        b.iter(|| occi::parse_entity(black_box(&headers), &options, None).unwrap());
    });
    g.bench_function("render", |b| {
        b.iter(|| occi::render_entity(black_box(&entity)));
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
