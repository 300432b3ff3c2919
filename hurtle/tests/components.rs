//! The SO and the CC served over loopback HTTP, driven as Hurtle's SM drives them.

// The requests of a test read best with short names (`r` a response, `h` its headers).
#![allow(clippy::many_single_char_names)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};
use occi_hurtle::cc::{CcServer, ProcessDeployer};
use occi_hurtle::client::{HttpClient, Proxy};
use occi_hurtle::server::serve;
use occi_hurtle::so::{SimulatedStack, SimulatedTimings, SoServer, StackSo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const SERVICE: &str = "http://schemas.mobile-cloud-networking.eu/occi/service#";
const PLATFORM: &str = "http://schemas.ogf.org/occi/platform#";

async fn start<H: occi_hurtle::server::Handler>(
    handler: Arc<H>,
) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve(listener, handler, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (base, stop, task)
}

fn client() -> HttpClient {
    HttpClient::new(Proxy::default(), Duration::from_secs(10))
}

async fn send(method: Method, url: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    let mut b = Request::builder().method(method).uri(url);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    client().send(b.body(Bytes::new()).unwrap()).await.unwrap()
}

fn header(r: &Response<Bytes>, name: &str) -> String {
    r.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_state(r: &Response<Bytes>) -> String {
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    v["attributes"]["occi.mcn.stack.state"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_so_goes_through_deploy_and_provision_as_the_sm_drives_it() {
    let timings = SimulatedTimings {
        create: Duration::from_millis(20),
        update: Duration::from_millis(20),
        fail_create: false,
    };
    let so = StackSo::new(SimulatedStack::new(
        timings,
        vec![("mcn.endpoint.api".into(), "127.0.0.1:1".into())],
    ));
    let (base, stop, task) = start(Arc::new(SoServer::new(so))).await;
    let url = format!("{base}/orchestrator/default");
    let auth = [("X-Auth-Token", "t"), ("X-Tenant-Name", "demo")];

    assert_eq!(send(Method::GET, &url, &[]).await.status(), 403);
    assert_eq!(send(Method::GET, &url, &auth).await.status(), 404);

    let kind = format!("orchestrator; scheme=\"{SERVICE}\"");
    let mut h = auth.to_vec();
    h.extend([
        ("Category", kind.as_str()),
        ("Content-Type", "text/occi"),
        ("X-OCCI-Attribute", "activate.integer=1"),
    ]);
    let r = send(Method::PUT, &url, &h).await;
    assert_eq!(r.status(), 201);
    assert_eq!(header(&r, "location"), url);
    assert_eq!(send(Method::PUT, &url, &h).await.status(), 200);

    let provision = format!("provision; scheme=\"{SERVICE}\"");
    let mut p = auth.to_vec();
    p.push(("Category", provision.as_str()));
    let early = send(Method::POST, &format!("{url}?action=provision"), &p).await;
    assert_eq!(early.status(), 400);
    assert_eq!(early.body().as_ref(), b"Not applicable atm.\n");

    let deploy = format!("deploy; scheme=\"{SERVICE}\"");
    let mut d = auth.to_vec();
    d.push(("Category", deploy.as_str()));
    assert_eq!(
        send(Method::POST, &format!("{url}?action=deploy"), &d)
            .await
            .status(),
        200
    );
    let mut json = auth.to_vec();
    json.push(("Accept", "application/occi+json"));
    let mut seen = Vec::new();
    loop {
        let s = json_state(&send(Method::GET, &url, &json).await);
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == "CREATE_COMPLETE" {
            break;
        }
        assert_eq!(s, "CREATE_IN_PROGRESS", "states seen: {seen:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        send(Method::POST, &format!("{url}?action=provision"), &p)
            .await
            .status(),
        200
    );
    let mut occi = auth.to_vec();
    occi.push(("Accept", "text/occi"));
    let r = send(Method::GET, &url, &occi).await;
    let attrs = header(&r, "x-occi-attribute");
    assert!(attrs.contains("activate.integer=\"1\""), "{attrs}");
    assert!(
        attrs.contains("mcn.endpoint.api=\"127.0.0.1:1\""),
        "{attrs}"
    );
    assert!(
        header(&r, "link").is_empty(),
        "no action left after provision"
    );

    let mut u = auth.to_vec();
    u.push(("X-OCCI-Attribute", "k=\"v\""));
    assert_eq!(send(Method::POST, &url, &u).await.status(), 200);
    assert!(header(&send(Method::GET, &url, &occi).await, "x-occi-attribute").contains("k=\"v\""));

    assert_eq!(send(Method::DELETE, &url, &auth).await.status(), 200);
    assert_eq!(send(Method::GET, &url, &auth).await.status(), 404);
    assert_eq!(send(Method::DELETE, &url, &auth).await.status(), 404);
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cc_runs_each_app_as_a_child_so_and_stops_it() {
    let program = std::path::PathBuf::from(env!("CARGO_BIN_EXE_occi-hurtle"));
    let cc = Arc::new(CcServer::new(ProcessDeployer::new(program, Vec::new())));
    let (base, stop, task) = start(Arc::clone(&cc)).await;
    let basic = ("Authorization", "Basic dTpw");
    assert_eq!(
        send(Method::GET, &format!("{base}/-/"), &[]).await.status(),
        401
    );
    let qi = send(
        Method::GET,
        &format!("{base}/-/"),
        &[basic, ("Accept", "text/occi")],
    )
    .await;
    let cats = header(&qi, "category");
    assert!(
        cats.contains("occi.app.image") && cats.contains("occi.app.env"),
        "{cats}"
    );

    let kind = format!("app; scheme=\"{PLATFORM}\"");
    let create = [
        basic,
        ("Category", kind.as_str()),
        ("Content-Type", "text/occi"),
        (
            "X-OCCI-Attribute",
            "occi.app.name=\"sotest1\", occi.app.image=\"img\", occi.app.env=\"DESIGN_URI=http://k/v2.0\"",
        ),
    ];
    let r = send(Method::POST, &format!("{base}/app/"), &create).await;
    assert_eq!(r.status(), 201, "{:?}", r.body());
    let app = header(&r, "location");
    assert_eq!(app, format!("{base}/app/sotest1"));
    let pids = cc.deployer().pids().await;
    assert_eq!(pids.len(), 1);

    let r = send(Method::GET, &app, &[basic, ("Accept", "text/occi")]).await;
    let attrs = header(&r, "x-occi-attribute");
    let url = attrs
        .split(", ")
        .find_map(|a| a.strip_prefix("occi.app.url="))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    assert!(url.starts_with("127.0.0.1:"), "{url}");
    loop {
        let r = send(
            Method::GET,
            &app,
            &[basic, ("Accept", "application/occi+json")],
        )
        .await;
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        if v["attributes"]["occi.app.state"] == "active" {
            break;
        }
        assert_eq!(v["attributes"]["occi.app.state"], "inactive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let so = send(
        Method::GET,
        &format!("http://{url}/"),
        &[("X-Auth-Token", "t"), ("X-Tenant-Name", "d")],
    )
    .await;
    assert_eq!(so.status(), 200);

    assert_eq!(send(Method::DELETE, &app, &[basic]).await.status(), 200);
    assert_eq!(send(Method::GET, &app, &[basic]).await.status(), 404);
    assert!(cc.deployer().pids().await.is_empty());
    assert!(
        client()
            .send(
                Request::get(format!("http://{url}/"))
                    .body(Bytes::new())
                    .unwrap()
            )
            .await
            .is_err(),
        "the SO child is gone"
    );
    stop.send(()).unwrap();
    task.await.unwrap();
    cc.shutdown().await;
}
