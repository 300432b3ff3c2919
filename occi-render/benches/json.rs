//! Criterion benches of the application/occi+json rendering on one fixed reference workload:
//! a compute with 1 kind, 2 mixins, 6 attributes (strings, integers, a float) and 1 link
//! (the workload of pyssf-lessons.md §0, rendered as GFD.225 JSON). Parsing into the model is
//! compared with `serde_json::from_slice::<serde_json::Value>` of the same bytes.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use occi_render::{ParseOptions, json};
use std::hint::black_box;

const WORKLOAD: &str = r#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","mixins":["http://schemas.ogf.org/occi/infrastructure#os_tpl","http://example.com/templates/resource#medium"],"attributes":{"occi.compute.architecture":"x64","occi.compute.cores":2,"occi.compute.hostname":"vm-01.example.com","occi.compute.memory":4.0,"occi.compute.share":1,"occi.compute.state":"active"},"actions":["http://schemas.ogf.org/occi/infrastructure/compute/action#stop"],"id":"urn:uuid:5d4d1e5c-2b7f-4a0f-9e3c-0c1f2b3a4d5e","links":[{"kind":"http://schemas.ogf.org/occi/infrastructure#networkinterface","id":"urn:uuid:0b9c3b2e-7c36-4c55-9d0e-3b1f0f6a7e21","source":{"location":"/compute/5d4d1e5c","kind":"http://schemas.ogf.org/occi/infrastructure#compute"},"target":{"location":"/network/1","kind":"http://schemas.ogf.org/occi/infrastructure#network"},"attributes":{"occi.networkinterface.interface":"eth0"}}],"title":"vm-01"}"#;

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
