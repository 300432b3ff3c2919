//! How store costs grow with the number of computes: fills each store through its bulk path
//! (changesets of 1,000 computes, not HTTP) with N computes (default 1,000, 10,000, 100,000
//! and 1,000,000 for the in-memory store and SQLite; PostgreSQL to 100,000 when
//! `OCCI_BENCH_POSTGRES_URL` names an empty database) and measures, through the server's
//! `Occi::handle` in process: GET of one compute, a page of 100 (`?number=100&after=`, a keyset
//! page), a filter by attribute (`X-OCCI-Attribute`, first match of a random title), and
//! DELETE of a compute with a storage link; and the bytes per compute: heap bytes counted
//! by the allocator (in memory), or the database's bytes on disk (SQLite: its files;
//! PostgreSQL: `pg_total_relation_size` of its tables), beside the bytes of one compute's
//! text/plain rendering. Prints a Markdown table and writes
//! `occi-server/benches/store_scale.svg`.
//!
//! ```sh
//! OCCI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:55432/occi_bench \
//!   cargo bench -p occi-server --bench store_scale -- 1000,10000,100000,1000000
//! ```

// Figures for a table and a chart: precision loss in usize -> f64 is irrelevant here.
#![allow(clippy::cast_precision_loss, clippy::type_complexity)]

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{Entity, Link, Location, OcciVersion, Registry, Resource};
use occi_server::store::{DynStore, InMemoryStore, PostgresStore, SqliteStore};
use occi_server::{Change, Changeset, Expect, Occi, SimulatedActions, Store};

/// Counts the heap bytes in use, for the in-memory store's bytes per compute.
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// The largest store PostgreSQL is filled to (filling it costs round trips per row).
const POSTGRES_MAX: usize = 100_000;

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
    rendering_bytes: usize,
    mixin_check_us: f64,
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

async fn send(
    occi: &Occi<Arc<dyn DynStore>, SimulatedActions>,
    request: http::Request<Bytes>,
) -> (u16, Bytes) {
    let response = occi.handle(request).await;
    (response.status().as_u16(), response.into_body())
}

async fn measure(name: &'static str, store: Arc<dyn DynStore>, size: usize, bytes: f64) -> Row {
    let mut rng = 0x9e37_79b9_u64;
    let mut pick = move || {
        rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        usize::try_from((rng >> 33) % size as u64).unwrap()
    };
    // What keeping the registry fresh across replicas costs each request.
    let checks = 2000;
    let started = Instant::now();
    for _ in 0..checks {
        assert!(store.mixins_revision().await.unwrap().is_some());
    }
    let mixin_check_us = per_op(started.elapsed(), checks);
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).unwrap();
    let occi = Occi::builder()
        .registry(registry)
        .store(store)
        .actions(SimulatedActions)
        .base_url("http://bench")
        .unwrap()
        .build()
        .unwrap();
    let get = |at: String| http::Request::get(at).body(Bytes::new()).unwrap();
    let (status, one) = send(&occi, get(format!("/compute/{:08}", size - 1))).await;
    assert_eq!(status, 200);
    let rendering_bytes = one.len();
    let gets = 2000;
    let started = Instant::now();
    for _ in 0..gets {
        let (status, _) = send(&occi, get(format!("/compute/{:08}", pick()))).await;
        assert_eq!(status, 200);
    }
    let get_us = per_op(started.elapsed(), gets);
    let pages = 300;
    let started = Instant::now();
    for _ in 0..pages {
        let after = format!("/compute/{:08}", pick().saturating_sub(100));
        let (status, page) = send(&occi, get(format!("/compute/?number=100&after={after}"))).await;
        assert_eq!(status, 200);
        assert!(!page.is_empty());
    }
    let page_us = per_op(started.elapsed(), pages);
    // A filter no index answers reads the collection up to its first match.
    let filters = if size >= 100_000 { 1 } else { 3 };
    let started = Instant::now();
    for _ in 0..filters {
        let (status, found) = send(
            &occi,
            http::Request::get("/compute/?number=1")
                .header("content-type", "text/occi")
                .header(
                    "x-occi-attribute",
                    format!("occi.core.title=\"c{}\"", pick()),
                )
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert!(!found.is_empty());
    }
    let filter_us = per_op(started.elapsed(), filters);
    let deletes = LINKED.min(size);
    let started = Instant::now();
    for i in 0..deletes {
        let (status, _) = send(
            &occi,
            http::Request::delete(format!("/compute/{i:08}"))
                .body(Bytes::new())
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
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
        rendering_bytes,
        mixin_check_us,
    }
}

/// Bytes PostgreSQL keeps for the store's tables, with their indexes and TOAST.
async fn postgres_bytes(url: &str) -> u64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT (pg_total_relation_size('entity') + pg_total_relation_size('entity_mixin'))::BIGINT",
            &[],
        )
        .await
        .unwrap();
    u64::try_from(row.get::<_, i64>(0)).unwrap_or(0)
}

/// A new, empty schema of the database at `url`, and the URL that uses it.
async fn fresh_schema(url: &str, size: usize) -> String {
    let schema = format!("bench_{size}");
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
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
    for store in ["memory", "sqlite", "postgres"] {
        for (name, f) in &series {
            let points: Vec<String> = rows
                .iter()
                .filter(|r| r.store == store)
                .map(|r| format!("{:.1},{:.1}", x(r.size), y(f(r))))
                .collect();
            let colour = colours[legend % colours.len()];
            if points.is_empty() {
                continue;
            }
            let dash = match store {
                "sqlite" => " stroke-dasharray=\"5,3\"",
                "postgres" => " stroke-dasharray=\"1,3\"",
                _ => "",
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
            || vec![1000, 10_000, 100_000, 1_000_000],
            |a| a.split(',').filter_map(|s| s.parse().ok()).collect(),
        );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let postgres = std::env::var("OCCI_BENCH_POSTGRES_URL").ok();
    if postgres.is_none() {
        eprintln!("OCCI_BENCH_POSTGRES_URL is not set: PostgreSQL is not measured");
    }
    let mut rows = Vec::new();
    for &size in &sizes {
        let started = Instant::now();
        let before = ALLOCATOR.allocated();
        let memory = InMemoryStore::new();
        runtime.block_on(fill(&memory, size));
        let bytes = ALLOCATOR.allocated().saturating_sub(before) as f64 / size as f64;
        rows.push(runtime.block_on(measure("memory", Arc::new(memory), size, bytes)));
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStore::open(dir.path().join("bench.sqlite3")).unwrap();
        runtime.block_on(fill(&sqlite, size));
        let on_disk: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        rows.push(runtime.block_on(measure(
            "sqlite",
            Arc::new(sqlite),
            size,
            on_disk as f64 / size as f64,
        )));
        if let Some(url) = postgres.as_deref().filter(|_| size <= POSTGRES_MAX) {
            rows.push(runtime.block_on(async {
                let url = fresh_schema(url, size).await;
                let store = PostgresStore::connect(&url).await.unwrap();
                fill(&store, size).await;
                let bytes = postgres_bytes(&url).await as f64 / size as f64;
                measure("postgres", Arc::new(store), size, bytes).await
            }));
        }
        eprintln!("{size} computes measured in {:.1?}", started.elapsed());
    }
    println!(
        "| store | computes | GET one (µs) | page of 100 (µs) | filter by attribute (µs) | DELETE linked (µs) | bytes per compute | text/plain bytes | Mixin revision read (µs) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.0} | {:.1} | {:.0} | {} | {:.2} |",
            r.store,
            r.size,
            r.get_us,
            r.page_us,
            r.filter_us,
            r.delete_us,
            r.bytes_per_compute,
            r.rendering_bytes,
            r.mixin_check_us
        );
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/store_scale.svg");
    if let Err(e) = std::fs::write(path, svg(&rows)) {
        eprintln!("cannot write {path}: {e}");
    }
}
