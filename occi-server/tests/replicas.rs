//! Replicas on one store: user Mixins defined through one are served by the others without
//! a restart (each reads the store's Mixin revision per request), and removed everywhere
//! when removed through one. In process on one SQLite file, and as `occi-server` binaries on
//! one PostgreSQL database (`--store postgres://…`), which also shows a restart keeping
//! everything.
//!
//! The PostgreSQL test needs a database, so it is `#[ignore]`d in `cargo test --workspace`;
//! `.ci/storage.sh` runs it with `OCCI_TEST_POSTGRES_URL` set (without it, it fails saying
//! how to start one).
#![cfg(feature = "cli")]

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{Binary, COMPUTE, http_exchange, postgres_schema_blocking, server_over, start_binary};
use http::Request;
use occi_server::store::DynStore;
use occi_server::store::SqliteStore;
use occi_server::{Identity, Occi, SimulatedActions};

const TAG: &str =
    r#"Category: tag; scheme="http://example.com/tags#"; class="mixin"; location="/tag/""#;

type Replica = Occi<Arc<dyn DynStore>, SimulatedActions>;

fn replica(store: Arc<dyn DynStore>) -> Replica {
    server_over(store)
}

async fn send(
    s: &Replica,
    who: Option<&Identity>,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(Bytes::from(body.to_owned())).unwrap();
    if let Some(who) = who {
        request.extensions_mut().insert(who.clone());
    }
    let response = s.handle(request).await;
    let location = response
        .headers()
        .get("location")
        .map(|l| {
            l.to_str()
                .unwrap()
                .trim_start_matches("http://occi.test")
                .to_owned()
        })
        .unwrap_or_default();
    (
        response.status().as_u16(),
        location,
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

const PLAIN: [(&str, &str); 1] = [("content-type", "text/plain")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixin_defined_through_one_replica_is_served_by_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("occi.sqlite3");
    let a = replica(Arc::new(SqliteStore::open(&path).unwrap()));
    let b = replica(Arc::new(SqliteStore::open(&path).unwrap()));
    let (status, vm, body) = send(
        &a,
        None,
        "POST",
        "/compute/",
        &PLAIN,
        &format!("{COMPUTE}\n"),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // B has served a request before the Mixin exists: its registry is built.
    assert_eq!(send(&b, None, "GET", "/tag/", &[], "").await.0, 404);
    assert_eq!(send(&a, None, "POST", "/-/", &PLAIN, TAG).await.0, 200);
    // B serves it at once: its query interface, its collection, an association.
    let (status, _, body) = send(&b, None, "GET", "/-/", &[], "").await;
    assert!(status == 200 && body.contains("tags#"), "{body}");
    let (status, _, body) = send(
        &b,
        None,
        "POST",
        "/tag/",
        &[("x-occi-location", &format!("http://occi.test{vm}"))],
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = send(&a, None, "GET", "/tag/", &[], "").await;
    assert!(body.contains(&vm), "{body}");
    // Removed through B, it is gone from A, and from the entity.
    assert_eq!(send(&b, None, "DELETE", "/-/", &PLAIN, TAG).await.0, 200);
    let (status, _, body) = send(&a, None, "GET", "/tag/", &[], "").await;
    assert_eq!(status, 404, "{body}");
    let (_, _, body) = send(&a, None, "GET", &vm, &[], "").await;
    assert!(!body.contains("tags#"), "{body}");
    let (status, _, body) = send(&a, None, "POST", &vm, &PLAIN, &format!("{TAG}\n")).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_mixin_stays_its_own_across_replicas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("occi.sqlite3");
    let a = replica(Arc::new(SqliteStore::open(&path).unwrap()));
    let b = replica(Arc::new(SqliteStore::open(&path).unwrap()));
    let (acme, globex) = (
        Identity::new("alice", "acme"),
        Identity::new("bob", "globex"),
    );
    let compute = format!("{COMPUTE}\n");
    let (_, vm_b, _) = send(&b, Some(&globex), "POST", "/compute/", &PLAIN, &compute).await;
    assert_eq!(
        send(&a, Some(&acme), "POST", "/-/", &PLAIN, TAG).await.0,
        200
    );
    // Through the other replica, globex can neither use nor remove acme's Mixin.
    let (status, _, body) = send(
        &b,
        Some(&globex),
        "POST",
        "/tag/",
        &[("x-occi-location", &format!("http://occi.test{vm_b}"))],
        "",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = send(&b, Some(&globex), "DELETE", "/-/", &PLAIN, TAG).await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = send(&b, Some(&acme), "DELETE", "/-/", &PLAIN, TAG).await;
    assert_eq!(status, 200, "{body}");
}

// ----- the binary on PostgreSQL -----

fn start(url: &str) -> Binary {
    let binary = start_binary(&["--store".into(), url.into()]);
    assert!(
        binary.store_line.contains("PostgreSQL at postgres://"),
        "{}",
        binary.store_line
    );
    binary
}

/// (status, the `Location` path or the body)
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let (status, location, body) =
        http_exchange(addr, method, path, body).expect("the replica answers");
    (status, if location.is_empty() { body } else { location })
}

#[test]
#[ignore = "needs PostgreSQL: set OCCI_TEST_POSTGRES_URL (.ci/storage.sh runs it)"]
fn the_binary_serves_replicas_from_postgres() {
    let url = postgres_schema_blocking("replicas");
    let a = start(&url);
    let b = start(&url);
    let (status, vm) = http(
        &a.addr,
        "POST",
        "/compute/",
        &format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"on-a\"\n"),
    );
    assert_eq!(status, 201, "{vm}");
    let (status, body) = http(&b.addr, "GET", &vm, "");
    assert_eq!(status, 200, "{body}");
    // A Mixin defined through A is used through B, without a restart.
    assert_eq!(http(&a.addr, "POST", "/-/", TAG).0, 200);
    let (status, body) = http(
        &b.addr,
        "POST",
        "/tag/",
        &format!("X-OCCI-Location: http://{}{vm}\n", b.addr),
    );
    assert_eq!(status, 200, "{body}");
    // A restart of A keeps the entity and the Mixin.
    drop(a);
    let a = start(&url);
    let (status, body) = http(&a.addr, "GET", "/tag/", "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&vm), "{body}");
    let (status, body) = http(&a.addr, "DELETE", &vm, "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(http(&b.addr, "GET", &vm, "").0, 404);
}
