//! A newer build opens an older data directory: `fixtures/store-v1.sqlite3` is a database of
//! schema version 1 (written by `occi-server --data DIR import fixtures/store-v1.json`), and
//! every later build must open it, migrate it, and serve what it holds.

mod common;

use common::registry;
use occi_server::occi_model::{Location, OcciVersion};
use occi_server::store::{SqliteStore, restore_mixins};
use occi_server::{Identity, Occi, Scan, Scope, SimulatedActions, Store, TenantFilter};

const COMPUTE: &str = "/compute/6f1c0a52-7c4b-4d3c-9a55-0a1b2c3d4e5f";

#[test]
fn a_version_1_database_opens_and_serves_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("occi.sqlite3");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/store-v1.sqlite3"
        ),
        &path,
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        let acme = store
            .scan(&Scan::new(Scope::All).tenant(TenantFilter::Only(Some("acme".into()))))
            .await
            .unwrap();
        assert_eq!(acme.len(), 3);
        let links = store
            .scan(&Scan::new(Scope::LinksFrom(
                Location::new(COMPUTE).unwrap(),
            )))
            .await
            .unwrap();
        assert_eq!(links.len(), 1);
        let mut model = registry(OcciVersion::V1_2);
        assert_eq!(restore_mixins(&store, &mut model).await.unwrap(), 1);
        let occi = Occi::builder()
            .registry(model)
            .store(store.clone())
            .actions(SimulatedActions)
            .build()
            .unwrap();
        let response = occi
            .handle(
                // The fixture's entities belong to the tenant acme: only acme sees them.
                http::Request::get(COMPUTE)
                    .extension(Identity::new("alice", "acme"))
                    .body(bytes::Bytes::new())
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), 200);
        let body = String::from_utf8_lossy(response.body()).into_owned();
        assert!(body.contains("occi.core.title=\"fixture web\""), "{body}");
        assert!(
            body.contains("Category: blue; scheme=\"http://example.com/tags#\""),
            "{body}"
        );
        assert!(body.contains("Link: </storage/0d7e9a1b"), "{body}");
        // The migrated database takes writes.
        let response = occi
            .handle(
                http::Request::delete(COMPUTE)
                    .extension(Identity::new("alice", "acme"))
                    .body(bytes::Bytes::new())
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), 200);
        assert!(
            store
                .get(&Location::new(COMPUTE).unwrap())
                .await
                .unwrap()
                .is_none()
        );
    });
}
