//! Listings read from the store's keyset scans: every page, with and without filters, equals
//! the slice of the whole filtered listing that OCCI 1.2's `page` and `number` name (P12 §6),
//! and `after=LOCATION` walks the same listing page by page. Run over the in-memory store
//! and over SQLite, with more entities than one read of the store returns.

mod common;

use bytes::Bytes;
use common::{COMPUTE, STORAGE, server_over};
use http::Request;
use occi_server::store::DynStore;
use occi_server::store::SqliteStore;
use occi_server::{InMemoryStore, Occi, SimulatedActions};
use std::sync::Arc;

const TAG: &str =
    r#"Category: tag; scheme="http://example.com/tags#"; class="mixin"; location="/tag/""#;

/// More computes than one store read (1,024 entities) returns, so listings span reads.
const COMPUTES: usize = 1100;

type Server = Occi<Arc<dyn DynStore>, SimulatedActions>;

fn server(store: Arc<dyn DynStore>) -> Server {
    server_over(store)
}

async fn send(
    s: &Server,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = s
        .handle(request.body(Bytes::from(body.to_owned())).unwrap())
        .await;
    let status = response.status().as_u16();
    (
        status,
        String::from_utf8_lossy(response.body()).into_owned(),
    )
}

fn listed(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| l.strip_prefix("X-OCCI-Location: "))
        .map(|l| l.trim().trim_start_matches("http://occi.test").to_owned())
        .collect()
}

async fn list(s: &Server, uri: &str, headers: &[(&str, &str)]) -> Vec<String> {
    let (status, body) = send(s, "GET", uri, headers, "").await;
    assert_eq!(status, 200, "{uri}: {body}");
    listed(&body)
}

/// Fills `s`: computes titled `even` or `odd`, every third one tagged, and a few storages.
async fn fill(s: &Server) {
    let plain = [("content-type", "text/plain")];
    assert_eq!(send(s, "POST", "/-/", &plain, TAG).await.0, 200);
    for i in 0..COMPUTES {
        let parity = if i % 2 == 0 { "even" } else { "odd" };
        let mut body = format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"{parity}\"\n");
        if i % 3 == 0 {
            body.push_str(TAG);
            body.push('\n');
        }
        let (status, text) = send(s, "POST", "/compute/", &plain, &body).await;
        assert_eq!(status, 201, "{text}");
    }
    for _ in 0..5 {
        let body = format!("{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.5\n");
        assert_eq!(send(s, "POST", "/storage/", &plain, &body).await.0, 201);
    }
}

async fn pages_are_slices_of_the_listing(s: &Server) {
    fill(s).await;
    let all = list(s, "/compute/", &[]).await;
    assert_eq!(all.len(), COMPUTES);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "a listing is in location order");

    let odd = [
        ("content-type", "text/occi"),
        ("x-occi-attribute", "occi.core.title=\"odd\""),
    ];
    let tagged = [
        ("content-type", "text/occi"),
        (
            "category",
            r#"tag; scheme="http://example.com/tags#"; class="mixin""#,
        ),
    ];
    let odd_all = list(s, "/compute/", &odd).await;
    assert_eq!(odd_all.len(), COMPUTES / 2);
    let tagged_all = list(s, "/compute/", &tagged).await;
    assert_eq!(tagged_all.len(), COMPUTES.div_ceil(3));
    assert_eq!(list(s, "/tag/", &[]).await, tagged_all);
    assert_eq!(list(s, "/resource/", &tagged).await, tagged_all);
    let storage_kind = [
        ("content-type", "text/occi"),
        (
            "category",
            r#"storage; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#,
        ),
    ];
    assert_eq!(list(s, "/resource/", &storage_kind).await.len(), 5);
    assert!(list(s, "/compute/", &storage_kind).await.is_empty());

    for (headers, whole) in [
        (&[][..], &all),
        (&odd[..], &odd_all),
        (&tagged[..], &tagged_all),
    ] {
        for (page, number) in [
            (1, 1),
            (2, 7),
            (3, 100),
            (2, 1000),
            (1, 1000),
            (600, 1),
            (9, 100),
        ] {
            let got = list(
                s,
                &format!("/compute/?page={page}&number={number}"),
                headers,
            )
            .await;
            let start = ((page - 1) * number).min(whole.len());
            let end = (start + number).min(whole.len());
            assert_eq!(
                got,
                whole[start..end],
                "page={page} number={number} {headers:?}"
            );
        }
        // A walk with after= visits the whole listing once, in order.
        let mut walked: Vec<String> = Vec::new();
        loop {
            let uri = match walked.last() {
                None => "/compute/?number=97".to_owned(),
                Some(last) => format!("/compute/?number=97&after={last}"),
            };
            let page = list(s, &uri, headers).await;
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 97);
            walked.extend(page);
        }
        assert_eq!(&walked, whole, "{headers:?}");
    }
    let (status, body) = send(
        s,
        "GET",
        "/compute/?page=2&number=5&after=/compute/x",
        &[],
        "",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("after="), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_pages_are_slices_of_the_listing() {
    pages_are_slices_of_the_listing(&server(Arc::new(InMemoryStore::new()))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_pages_are_slices_of_the_listing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("occi.sqlite3")).unwrap();
    pages_are_slices_of_the_listing(&server(Arc::new(store))).await;
}
