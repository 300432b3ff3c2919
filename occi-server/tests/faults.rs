//! A full disk: the server answers 503 with a message that says so, loses nothing it
//! acknowledged, and works again when space returns. Simulated with a 1 MiB tmpfs mount
//! grown afterwards, so it needs root (and `mount`); it is `#[ignore]`d in
//! `cargo test --workspace` and `.ci/storage.sh` runs it when it runs as root.
//!
//! A read-only data directory is not simulated: root ignores permission bits, and a tmpfs
//! with the database open for writing cannot be remounted read-only.

use std::process::Command;

use bytes::Bytes;
use occi_server::occi_model::OcciVersion;
use occi_server::occi_model::Registry;
use occi_server::occi_model::ext::infrastructure;
use occi_server::store::SqliteStore;
use occi_server::{Occi, SimulatedActions};

const COMPUTE: &str =
    r#"Category: compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#;

fn mount(args: &[&str]) {
    let status = Command::new("mount")
        .args(args)
        .status()
        .expect("mount runs");
    assert!(
        status.success(),
        "mount {args:?} failed (this test needs root)"
    );
}

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

async fn create(occi: &Occi<SqliteStore, SimulatedActions>, title: &str) -> (u16, String, String) {
    let body = format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"{title}\"\n");
    let response = occi
        .handle(
            http::Request::post("/compute/")
                .header("content-type", "text/plain")
                .body(Bytes::from(body))
                .unwrap(),
        )
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

async fn exists(occi: &Occi<SqliteStore, SimulatedActions>, at: &str) -> bool {
    let response = occi
        .handle(http::Request::get(at).body(Bytes::new()).unwrap())
        .await;
    response.status() == 200
}

#[test]
#[ignore = "mounts a tmpfs (root); .ci/storage.sh runs it"]
fn a_full_disk_is_503_and_the_store_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let path = data.to_str().unwrap().to_owned();
    mount(&["-t", "tmpfs", "-o", "size=1m", "tmpfs", &path]);
    let _unmount = Unmount(data.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open_dir(&data).unwrap();
        let mut registry = Registry::new(OcciVersion::V1_2);
        infrastructure::register(&mut registry).unwrap();
        let occi = Occi::builder()
            .registry(registry)
            .store(store)
            .actions(SimulatedActions)
            .base_url("http://occi.test")
            .unwrap()
            .build()
            .unwrap();
        // Fill the disk: every create is 201 until one is 503; nothing in between.
        let padding = "x".repeat(2000);
        let mut acknowledged = Vec::new();
        let full = loop {
            let (status, at, body) =
                create(&occi, &format!("{}{padding}", acknowledged.len())).await;
            match status {
                201 => acknowledged.push(at),
                503 => break body,
                other => panic!("a create on a filling disk answered {other}: {body}"),
            }
            assert!(acknowledged.len() < 10_000, "a 1 MiB disk never filled");
        };
        assert!(
            full.contains("full"),
            "the 503 does not say the disk is full: {full}"
        );
        for at in &acknowledged {
            assert!(exists(&occi, at).await, "the acknowledged {at} was lost");
        }
        // Space returns: writes work again.
        mount(&["-o", "remount,size=64m", &path]);
        let (status, at, body) = create(&occi, "after").await;
        assert_eq!(status, 201, "{body}");
        assert!(exists(&occi, &at).await);
        for at in &acknowledged {
            assert!(exists(&occi, at).await, "the acknowledged {at} was lost");
        }
        println!(
            "disk full after {} creates: 503 {full:?}; recovered after the remount",
            acknowledged.len()
        );
    });
}
