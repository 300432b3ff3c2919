//! A full disk: the server answers 503 with a message that says so, loses nothing it
//! acknowledged, and works again when space returns. Simulated with a 1 MiB tmpfs mount
//! grown afterwards.
//!
//! A read-only data directory: the `occi-server` binary started on a data directory that a
//! read-only bind mount covers (root ignores permission bits, but not a read-only mount)
//! serves what it holds, answers every write 503 saying the database cannot be written, and
//! writes again once the mount is made writable, without a restart. A mount with the
//! database open for writing cannot be made read-only (the kernel refuses while a writer
//! holds it), so the server starts on the read-only mount after an earlier one was killed
//! mid-work, as after a crash onto a file system that came back read-only.
//!
//! Both need root (and `mount`); they are `#[ignore]`d in `cargo test --workspace` and
//! `.ci/storage.sh` runs them when it runs as root.

mod common;

use std::process::Command;

use bytes::Bytes;
use common::COMPUTE;
use occi_server::occi_model::OcciVersion;
use occi_server::occi_model::Registry;
use occi_server::occi_model::ext::infrastructure;
use occi_server::store::SqliteStore;
use occi_server::{Occi, SimulatedActions};

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

#[cfg(feature = "cli")]
mod read_only {
    use super::common::{http_exchange, start_binary};
    use super::{COMPUTE, Unmount, mount};

    /// (status, the `Location` path or the body)
    fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
        let (status, location, body) =
            http_exchange(addr, method, path, body).expect("the server answers");
        (status, if location.is_empty() { body } else { location })
    }

    fn create(addr: &str, title: &str) -> (u16, String) {
        http(
            addr,
            "POST",
            "/compute/",
            &format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"{title}\"\n"),
        )
    }

    #[test]
    #[ignore = "bind-mounts the data directory read-only (root); .ci/storage.sh runs it"]
    fn a_read_only_data_directory_is_503_and_the_store_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let mut acknowledged = Vec::new();
        {
            let server = start_binary(&["--data".into(), data.clone().into_os_string()]);
            for i in 0..5 {
                let (status, at) = create(&server.addr, &format!("before-{i}"));
                assert_eq!(status, 201, "{at}");
                acknowledged.push(at);
            }
            // Dropped: SIGKILL, leaving the write-ahead log as a crash does.
        }
        let path = data.to_str().unwrap().to_owned();
        mount(&["--bind", &path, &path]);
        let _unmount = Unmount(data.clone());
        mount(&["-o", "remount,bind,ro", &path]);
        let server = start_binary(&["--data".into(), data.clone().into_os_string()]);
        for at in &acknowledged {
            assert_eq!(
                http(&server.addr, "GET", at, "").0,
                200,
                "{at} is not served"
            );
        }
        let (status, body) = create(&server.addr, "refused");
        assert_eq!(status, 503, "a write to a read-only data directory: {body}");
        assert!(
            body.contains("cannot be written") && body.contains("nothing was changed"),
            "the 503 does not say what is wrong: {body}"
        );
        let (status, body) = http(&server.addr, "DELETE", &acknowledged[0], "");
        assert_eq!(status, 503, "{body}");
        let (_, listing) = http(&server.addr, "GET", "/compute/", "");
        assert_eq!(
            listing.matches("X-OCCI-Location").count(),
            acknowledged.len()
        );
        // Writable again: the same server writes, and has lost nothing.
        mount(&["-o", "remount,bind,rw", &path]);
        let (status, at) = create(&server.addr, "after");
        assert_eq!(status, 201, "after the remount: {at}");
        for at in acknowledged.iter().chain([&at]) {
            assert_eq!(http(&server.addr, "GET", at, "").0, 200, "{at} was lost");
        }
        println!(
            "read-only data directory: reads served, writes 503 {body:?}; recovered after the remount"
        );
    }
}
