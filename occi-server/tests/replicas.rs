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

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{COMPUTE, registry};
use http::Request;
use occi_server::occi_model::OcciVersion;
use occi_server::store::DynStore;
use occi_server::store::SqliteStore;
use occi_server::{Identity, Occi, SimulatedActions};

const TAG: &str =
    r#"Category: tag; scheme="http://example.com/tags#"; class="mixin"; location="/tag/""#;

type Replica = Occi<Arc<dyn DynStore>, SimulatedActions>;

fn replica(store: Arc<dyn DynStore>) -> Replica {
    Occi::builder()
        .registry(registry(OcciVersion::V1_2))
        .store(store)
        .actions(SimulatedActions)
        .base_url("http://occi.test")
        .unwrap()
        .build()
        .unwrap()
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

struct Binary {
    child: Child,
    addr: String,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str) -> Binary {
    let mut child = Command::new(env!("CARGO_BIN_EXE_occi-server"))
        .args(["--listen", "127.0.0.1:0", "--log", "warn", "--store", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("occi-server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut store_line = String::new();
    let addr = loop {
        let line = lines
            .next()
            .expect("occi-server printed where it listens")
            .unwrap();
        if line.starts_with("occi-server store: ") {
            store_line.clone_from(&line);
        }
        if let Some(rest) = line.strip_prefix("occi-server listening on http://") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    assert!(
        store_line.contains("PostgreSQL at postgres://"),
        "{store_line}"
    );
    std::thread::spawn(move || for _ in lines {});
    Binary { child, addr }
}

fn http(addr: &str, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .map(|l| l[l.find("//").map_or(0, |i| i + 2)..].to_owned())
        .map(|l| l[l.find('/').unwrap_or(0)..].to_owned());
    (status, location.unwrap_or_else(|| body.to_owned()))
}

#[test]
#[ignore = "needs PostgreSQL: set OCCI_TEST_POSTGRES_URL (.ci/storage.sh runs it)"]
fn the_binary_serves_replicas_from_postgres() {
    let url = std::env::var("OCCI_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "OCCI_TEST_POSTGRES_URL is not set: point it at an empty PostgreSQL database (postgres://USER@127.0.0.1:PORT/DB), or run .ci/storage.sh, which starts one"
        )
    });
    let schema = format!("replicas_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let connection = tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .await
            .unwrap();
        drop(client);
        let _ = connection.await;
    });
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let a = start(&url);
    let b = start(&url);
    let (status, vm) = http(
        &a.addr,
        "POST",
        "/compute/",
        "",
        &format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"on-a\"\n"),
    );
    assert_eq!(status, 201, "{vm}");
    let (status, body) = http(&b.addr, "GET", &vm, "", "");
    assert_eq!(status, 200, "{body}");
    // A Mixin defined through A is used through B, without a restart.
    assert_eq!(http(&a.addr, "POST", "/-/", "", TAG).0, 200);
    let (status, body) = http(
        &b.addr,
        "POST",
        "/tag/",
        "",
        &format!("X-OCCI-Location: http://{}{vm}\n", b.addr),
    );
    assert_eq!(status, 200, "{body}");
    // A restart of A keeps the entity and the Mixin.
    drop(a);
    let a = start(&url);
    let (status, body) = http(&a.addr, "GET", "/tag/", "", "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&vm), "{body}");
    let (status, body) = http(&a.addr, "DELETE", &vm, "", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(http(&b.addr, "GET", &vm, "", "").0, 404);
}
