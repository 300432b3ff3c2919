//! Criterion benches of the application/occi+json rendering on one fixed reference workload:
//! a compute with 1 kind, 2 mixins, 6 attributes (strings, integers, a float) and 1 link
//! (the workload of pyssf-lessons.md §0, rendered as GFD.225 JSON). Parsing into the model is
//! compared with `serde_json::from_slice::<serde_json::Value>` of the same bytes.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use occi_render::{ParseOptions, json};
use std::hint::black_box;

mod workload;
use workload::JSON as WORKLOAD;

fn benches(c: &mut Criterion) {
    let bytes = WORKLOAD.as_bytes();
    let options = ParseOptions::strict();
    let entity = json::parse_entity(bytes, &options)
        .expect("the workload parses")
        .value;
    let mut group = c.benchmark_group("json");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("parse_into_model", |b| {
        b.iter(|| json::parse_entity(black_box(bytes), &options).expect("parses"));
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(bytes)).expect("parses"));
    });
    group.bench_function("render", |b| {
        b.iter(|| json::render_entity(black_box(&entity)));
    });
    group.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
