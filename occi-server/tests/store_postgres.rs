//! The PostgreSQL store: the store test kit, and two server replicas on one database.
//!
//! These tests need a PostgreSQL server, so they are `#[ignore]`d in a plain
//! `cargo test --workspace`; `.ci/storage.sh` starts a throwaway cluster on loopback and runs
//! them with `--include-ignored`. To run them by hand, point `OCCI_TEST_POSTGRES_URL` at an
//! empty database you may write to:
//!
//! ```sh
//! OCCI_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/occi_test \
//!   cargo test -p occi-server --test store_postgres -- --include-ignored
//! ```
//! Without the variable they fail with that instruction; they never skip silently.

#![allow(clippy::similar_names, clippy::cloned_ref_to_slice_refs)]

mod common;

use bytes::Bytes;
use common::{COMPUTE, STORAGE, postgres_schema, server_over};
use occi_server::store::PostgresStore;
use occi_server::store::testkit::Kit;
use occi_server::{Occi, SimulatedActions};

async fn open(url: &str) -> PostgresStore {
    PostgresStore::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot open the PostgreSQL store: {e}"))
}

#[test]
#[ignore = "needs PostgreSQL: set OCCI_TEST_POSTGRES_URL (.ci/storage.sh runs it)"]
fn the_postgres_store_keeps_the_store_contract() {
    Kit::new(|| async { open(&postgres_schema("kit").await).await })
        .cases(16)
        .run();
}

type Replica = Occi<PostgresStore, SimulatedActions>;

/// Two servers on one database, each with its own connection pool, as two replicas behind
/// a load balancer would be.
async fn replicas() -> (Replica, Replica) {
    let url = postgres_schema("replica").await;
    (server_over(open(&url).await), server_over(open(&url).await))
}

async fn send(server: &Replica, method: &str, uri: &str, body: &str) -> (u16, String, String) {
    let mut builder = http::Request::builder().method(method).uri(uri);
    if !body.is_empty() {
        builder = builder.header("content-type", "text/plain");
    }
    let response = server
        .handle(builder.body(Bytes::from(body.to_owned())).unwrap())
        .await;
    let location = response
        .headers()
        .get("location")
        .map(|v| {
            v.to_str()
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

fn listed(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("X-OCCI-Location: "))
        .map(|l| l.trim().trim_start_matches("http://occi.test").to_owned())
        .collect()
}

#[test]
#[ignore = "needs PostgreSQL: set OCCI_TEST_POSTGRES_URL (.ci/storage.sh runs it)"]
fn an_entity_created_through_one_replica_is_served_by_the_other() {
    runtime().block_on(async {
        let (a, b) = replicas().await;
        let (status, at, body) = send(
            &a,
            "POST",
            "/compute/",
            &format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"web\"\n"),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let (status, _, body) = send(&b, "GET", &at, "").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("occi.core.title=\"web\""), "{body}");
        let (_, _, body) = send(&b, "GET", "/compute/", "").await;
        assert_eq!(listed(&body), [at.clone()]);
        let filter = "X-OCCI-Attribute: occi.core.title=\"web\"\n";
        let (status, _, body) = send(&b, "GET", "/compute/", filter).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(listed(&body), [at.clone()]);
        let other = "X-OCCI-Attribute: occi.core.title=\"db\"\n";
        let (_, _, body) = send(&b, "GET", "/compute/", other).await;
        assert!(listed(&body).is_empty(), "{body}");
        let (status, _, body) = send(&b, "DELETE", &at, "").await;
        assert_eq!(status, 200, "{body}");
        let (status, _, _) = send(&a, "GET", &at, "").await;
        assert_eq!(status, 404);
    });
}

fn link_body(source: &str, target: &str) -> String {
    format!(
        "Category: storagelink; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.core.source=\"{source}\"\nX-OCCI-Attribute: occi.core.target=\"{target}\"\nX-OCCI-Attribute: occi.storagelink.deviceid=\"vdb\"\n"
    )
}

/// Links created to one storage through both replicas at once (each rewrites both endpoints
/// under revision preconditions, so they conflict), and in the last round one replica
/// deletes the storage meanwhile: every acknowledged link exists while the storage does, a
/// 409 wrote nothing, and no link outlives the storage.
#[test]
#[ignore = "needs PostgreSQL: set OCCI_TEST_POSTGRES_URL (.ci/storage.sh runs it)"]
fn concurrent_conflicting_writes_through_both_replicas_lose_nothing() {
    runtime().block_on(async {
        let (a, b) = replicas().await;
        let (_, compute, _) = send(&a, "POST", "/compute/", &format!("{COMPUTE}\n")).await;
        let mut kept = 0;
        for round in 0..3 {
            let storage_body = format!("{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.0\n");
            let (status, storage, body) = send(&a, "POST", "/storage/", &storage_body).await;
            assert_eq!(status, 201, "{body}");
            let mut tasks = Vec::new();
            for i in 0..8 {
                let replica = if i % 2 == 0 { a.clone() } else { b.clone() };
                let body = link_body(&compute, &storage);
                tasks.push(tokio::spawn(async move {
                    send(&replica, "POST", "/storagelink/", &body).await
                }));
            }
            let deleter = if round == 2 {
                let (b, storage) = (b.clone(), storage.clone());
                Some(tokio::spawn(async move {
                    send(&b, "DELETE", &storage, "").await
                }))
            } else {
                None
            };
            let mut acknowledged = Vec::new();
            for task in tasks {
                let (status, at, body) = task.await.unwrap();
                assert!(
                    status == 201 || status == 409 || status == 400 || status == 404,
                    "{status}: {body}"
                );
                if status == 201 {
                    acknowledged.push(at);
                }
            }
            let deleted = match deleter {
                Some(d) => {
                    let (status, _, body) = d.await.unwrap();
                    assert!(status == 200 || status == 409, "{status}: {body}");
                    status == 200
                }
                None => false,
            };
            let (_, _, listing) = send(&b, "GET", "/storagelink/", "").await;
            let links = listed(&listing);
            let (storage_status, _, _) = send(&a, "GET", &storage, "").await;
            if deleted {
                assert_eq!(storage_status, 404);
                for link in &acknowledged {
                    assert!(!links.contains(link), "{link} outlived its target");
                }
            } else {
                // Writers that kept losing the race got 409 (nothing written); the
                // others are all there.
                assert!(!acknowledged.is_empty(), "no link was created");
                for link in &acknowledged {
                    assert!(links.contains(link), "the acknowledged {link} is missing");
                }
                kept += acknowledged.len();
            }
            assert_eq!(links.len(), kept, "a link that was not acknowledged exists");
        }
    });
}

/// A collection action through replica A while replica B deletes a member: the action
/// applies to every member it commits with, or to none.
#[test]
#[ignore = "needs PostgreSQL: set OCCI_TEST_POSTGRES_URL (.ci/storage.sh runs it)"]
fn a_collection_action_racing_a_delete_is_all_or_nothing() {
    runtime().block_on(async {
        let (a, b) = replicas().await;
        let mut computes = Vec::new();
        for _ in 0..6 {
            let (status, at, body) = send(&a, "POST", "/compute/", &format!("{COMPUTE}\n")).await;
            assert_eq!(status, 201, "{body}");
            computes.push(at);
        }
        let start = "Category: start; scheme=\"http://schemas.ogf.org/occi/infrastructure/compute/action#\"; class=\"action\"\n";
        let action = {
            let a = a.clone();
            tokio::spawn(async move { send(&a, "POST", "/compute/?action=start", start).await })
        };
        let delete = {
            let (b, victim) = (b.clone(), computes[3].clone());
            tokio::spawn(async move { send(&b, "DELETE", &victim, "").await })
        };
        let (action_status, _, action_body) = action.await.unwrap();
        let (delete_status, _, delete_body) = delete.await.unwrap();
        assert!(
            action_status == 200 || action_status == 409,
            "{action_status}: {action_body}"
        );
        assert!(
            delete_status == 200 || delete_status == 409,
            "{delete_status}: {delete_body}"
        );
        let mut states = Vec::new();
        for at in &computes {
            let (status, _, body) = send(&b, "GET", at, "").await;
            if status == 404 {
                continue;
            }
            states.push(body.contains("occi.compute.state=\"active\""));
        }
        let all = states.iter().all(|s| *s);
        let none = states.iter().all(|s| !*s);
        assert!(all || none, "the action was half-applied: {states:?}");
        assert_eq!(all, action_status == 200);
    });
}
