//! Criterion benches of the text renderings on one fixed reference workload: a compute with
//! one Kind, two Mixins, six attributes (strings, integers, a float) and one inline Link,
//! parsed into the model and rendered, in text/plain and text/occi.
//!
//! Run with `cargo bench -p occi-render --bench text`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use occi_render::ParseOptions;
use occi_render::occi_model::{AttributeValue, Entity, Link, Location, Resource};
use occi_render::text::{occi, plain};

fn workload() -> Entity {
    let mut vm = Resource::new(
        "http://schemas.ogf.org/occi/infrastructure#compute"
            .parse()
            .unwrap(),
    );
    vm.mixins = vec![
        "http://example.com/templates/os#ubuntu".parse().unwrap(),
        "http://example.com/templates/resource#small"
            .parse()
            .unwrap(),
    ];
    vm.id = Some(
        "urn:uuid:b9ff813e-fee5-4a9d-b839-673f39746096"
            .parse()
            .unwrap(),
    );
    vm.title = Some("My Dummy VM".into());
    let attrs = [
        ("occi.compute.cores", AttributeValue::Integer(2)),
        ("occi.compute.memory", AttributeValue::float(2.0).unwrap()),
        ("occi.compute.hostname", "vm1.example.com".into()),
        ("occi.compute.state", "active".into()),
    ];
    for (n, v) in attrs {
        vm.attributes.insert(n.parse().unwrap(), v);
    }
    vm.location = Some(Location::new("/compute/123").unwrap());
    vm.actions = vec![
        "http://schemas.ogf.org/occi/infrastructure/compute/action#stop"
            .parse()
            .unwrap(),
    ];
    let mut nic = Link::new(
        "http://schemas.ogf.org/occi/infrastructure#networkinterface"
            .parse()
            .unwrap(),
    );
    nic.source.clone_from(&vm.location);
    nic.target = Some(Location::new("/network/123").unwrap());
    nic.target_kind = Some(
        "http://schemas.ogf.org/occi/infrastructure#network"
            .parse()
            .unwrap(),
    );
    nic.location = Some(Location::new("/link/networkinterface/456").unwrap());
    nic.attributes.insert(
        "occi.networkinterface.interface".parse().unwrap(),
        "eth0".into(),
    );
    vm.links.push(nic);
    Entity::Resource(vm)
}

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
