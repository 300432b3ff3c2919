//! How store costs grow with the number of computes: fills the in-memory store and SQLite
//! with N computes (default 1000, 10000 and 100000; pass sizes as `1000,10000`) and measures
//! GET of one entity, a keyset page of 100, a filter by attribute through the server, DELETE
//! of a linked resource through the server, and memory (in-memory: resident set growth) or
//! disk bytes (SQLite) per compute. Prints a Markdown table and writes
//! `occi-server/benches/store_scale.svg`.
//!
//! ```sh
//! cargo bench -p occi-server --bench store_scale -- 1000,10000,100000
//! ```

// Figures for a table and a chart: precision loss in usize -> f64 is irrelevant here.
#![allow(clippy::cast_precision_loss, clippy::type_complexity)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{Entity, Link, Location, OcciVersion, Registry, Resource};
use occi_server::store::{DynStore, InMemoryStore, SqliteStore};
use occi_server::{Change, Changeset, Expect, Occi, Scan, Scope, SimulatedActions, Store};

const BATCH: usize = 1000;
const LINKED: usize = 64;

struct Row {
    store: &'static str,
    size: usize,
    get_us: f64,
    page_us: f64,
    filter_us: f64,
    delete_us: f64,
    bytes_per_compute: f64,
}

fn compute(i: usize) -> Entity {
    let mut r = Resource::new(infrastructure::compute_id());
    r.location = Some(Location::new(&format!("/compute/{i:08}")).unwrap());
    r.id = Some(
        occi_server::occi_model::EntityId::new(&format!(
            "urn:uuid:00000000-0000-4000-8000-{i:012}"
        ))
        .unwrap(),
    );
    r.title = Some(format!("c{i}"));
    r.attributes
        .insert("occi.compute.state".parse().unwrap(), "inactive".into());
    r.attributes
        .insert("occi.compute.cores".parse().unwrap(), 2i64.into());
    r.into()
}

fn storage_link(i: usize) -> [Entity; 2] {
    let mut s = Resource::new(infrastructure::storage_id());
    s.location = Some(Location::new(&format!("/storage/{i:08}")).unwrap());
    s.attributes.insert(
        "occi.storage.size".parse().unwrap(),
        occi_server::occi_model::AttributeValue::Float(
            occi_server::occi_model::Float::new(1.0).unwrap(),
        ),
    );
    s.attributes
        .insert("occi.storage.state".parse().unwrap(), "online".into());
    let mut l = Link::new(infrastructure::storagelink_id());
    l.location = Some(Location::new(&format!("/storagelink/{i:08}")).unwrap());
    l.source = Some(Location::new(&format!("/compute/{i:08}")).unwrap());
    l.target.clone_from(&s.location);
    l.attributes
        .insert("occi.storagelink.deviceid".parse().unwrap(), "vdb".into());
    [s.into(), l.into()]
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

async fn fill<S: Store>(store: &S, size: usize) {
    for start in (0..size).step_by(BATCH) {
        let changes = (start..(start + BATCH).min(size))
            .map(|i| Change::Put {
                entity: compute(i),
                expect: Expect::Absent,
            })
            .collect();
        store.commit(Changeset::new(changes)).await.unwrap();
    }
    let mut links = Vec::new();
    for i in 0..LINKED.min(size) {
        for entity in storage_link(i) {
            links.push(Change::Put {
                entity,
                expect: Expect::Absent,
            });
        }
    }
    store.commit(Changeset::new(links)).await.unwrap();
}

fn per_op(elapsed: Duration, ops: usize) -> f64 {
    elapsed.as_secs_f64() * 1e6 / ops as f64
}

async fn measure<S: Store + Clone>(name: &'static str, store: S, size: usize, bytes: f64) -> Row {
    let mut rng = 0x9e37_79b9_u64;
    let mut pick = move || {
        rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        usize::try_from((rng >> 33) % size as u64).unwrap()
    };
    let gets = 2000;
    let started = Instant::now();
    for _ in 0..gets {
        let at = Location::new(&format!("/compute/{:08}", pick())).unwrap();
        assert!(store.get(&at).await.unwrap().is_some());
    }
    let get_us = per_op(started.elapsed(), gets);
    let pages = 300;
    let started = Instant::now();
    for _ in 0..pages {
        let after = Location::new(&format!("/compute/{:08}", pick().saturating_sub(100))).unwrap();
        let page = store
            .scan(
                &Scan::new(Scope::Kind(infrastructure::compute_id()))
                    .after(after)
                    .limit(100),
            )
            .await
            .unwrap();
        assert!(!page.is_empty());
    }
    let page_us = per_op(started.elapsed(), pages);
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).unwrap();
    let occi = Occi::builder()
        .registry(registry)
        .store(store.clone())
        .actions(SimulatedActions)
        .base_url("http://bench")
        .unwrap()
        .build()
        .unwrap();
    let filters = 3;
    let started = Instant::now();
    for _ in 0..filters {
        let title = format!("X-OCCI-Attribute: occi.core.title=\"c{}\"", pick());
        let response = occi
            .handle(
                http::Request::get("/compute/")
                    .header("content-type", "text/plain")
                    .body(Bytes::from(title))
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let filter_us = per_op(started.elapsed(), filters);
    let deletes = LINKED.min(size);
    let started = Instant::now();
    for i in 0..deletes {
        let response = occi
            .handle(
                http::Request::delete(format!("/compute/{i:08}"))
                    .body(Bytes::new())
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), 200);
    }
    let delete_us = per_op(started.elapsed(), deletes);
    Row {
        store: name,
        size,
        get_us,
        page_us,
        filter_us,
        delete_us,
        bytes_per_compute: bytes,
    }
}

fn svg(rows: &[Row]) -> String {
    let (w, h, left, bottom) = (640.0, 360.0, 60.0, 40.0);
    let sizes: Vec<usize> = {
        let mut s: Vec<usize> = rows.iter().map(|r| r.size).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let series: [(&str, fn(&Row) -> f64); 3] = [
        ("GET one", |r| r.get_us),
        ("page of 100", |r| r.page_us),
        ("DELETE linked", |r| r.delete_us),
    ];
    let max = rows
        .iter()
        .flat_map(|r| series.iter().map(move |(_, f)| f(r)))
        .fold(1.0f64, f64::max);
    let x = |size: usize| {
        let i = sizes.iter().position(|s| *s == size).unwrap_or(0);
        left + (w - left - 20.0) * i as f64 / (sizes.len().max(2) - 1) as f64
    };
    let y = |v: f64| {
        h - bottom - (h - bottom - 20.0) * (v.max(0.1).log10() + 1.0) / (max.log10() + 1.0)
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{left}\" y=\"14\">microseconds per operation (log scale) by number of computes</text>\n"
    );
    for size in &sizes {
        let _ = writeln!(
            out,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{size}</text>",
            x(*size),
            h - 15.0
        );
    }
    let colours = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    ];
    let mut legend = 0;
    for store in ["memory", "sqlite"] {
        for (name, f) in &series {
            let points: Vec<String> = rows
                .iter()
                .filter(|r| r.store == store)
                .map(|r| format!("{:.1},{:.1}", x(r.size), y(f(r))))
                .collect();
            let colour = colours[legend % colours.len()];
            let dash = if store == "sqlite" {
                " stroke-dasharray=\"5,3\""
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
                points.join(" ")
            );
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{store}: {name}</text>",
                w - 170.0,
                30 + legend * 14
            );
            legend += 1;
        }
    }
    out.push_str("</svg>\n");
    out
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or_else(
            || vec![1000, 10_000, 100_000],
            |a| a.split(',').filter_map(|s| s.parse().ok()).collect(),
        );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for &size in &sizes {
        let before = resident_bytes();
        let memory = InMemoryStore::new();
        runtime.block_on(fill(&memory, size));
        let bytes = (resident_bytes().saturating_sub(before)) as f64 / size as f64;
        rows.push(runtime.block_on(measure("memory", memory, size, bytes)));
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStore::open(dir.path().join("bench.sqlite3")).unwrap();
        runtime.block_on(fill(&sqlite, size));
        let on_disk: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        let store: std::sync::Arc<dyn DynStore> = std::sync::Arc::new(sqlite);
        rows.push(runtime.block_on(measure("sqlite", store, size, on_disk as f64 / size as f64)));
    }
    println!(
        "| store | computes | GET one (µs) | page of 100 (µs) | filter by attribute (µs) | DELETE linked (µs) | bytes per compute |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.0} | {:.1} | {:.0} |",
            r.store, r.size, r.get_us, r.page_us, r.filter_us, r.delete_us, r.bytes_per_compute
        );
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/store_scale.svg");
    if let Err(e) = std::fs::write(path, svg(&rows)) {
        eprintln!("cannot write {path}: {e}");
    }
}
