//! The SO and the CC served over loopback HTTP, driven as Hurtle's SM drives them.

// The requests of a test read best with short names (`r` a response, `h` its headers).
#![allow(clippy::many_single_char_names)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};
use occi_client::{HttpTransport, Transport as _};
use occi_hurtle::cc::{self, Deployer as _, ProcessDeployer};
use occi_hurtle::so::{self, SimulatedStack, SimulatedTimings, StackSo};
use occi_server::InMemoryStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const SERVICE: &str = "http://schemas.mobile-cloud-networking.eu/occi/service#";
const PLATFORM: &str = "http://schemas.ogf.org/occi/platform#";

async fn start<S>(service: S) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>)
where
    S: tower_service::Service<
            Request<hyper::body::Incoming>,
            Response = Response<occi_server::OcciBody>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        occi_server::serve(listener, service, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (base, stop, task)
}

fn client() -> HttpTransport {
    HttpTransport::without_proxy()
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
    let (base, stop, task) = start(so::service(so).unwrap()).await;
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
    assert!(
        String::from_utf8_lossy(early.body()).contains("Not applicable atm."),
        "{early:?}"
    );

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

/// Hurtle's SM sends the create request's attributes with every SO call and appends an
/// update's after them, unquoted (hurtle.md §1.5, §1.6 step 8): the same name twice, which
/// PySSF reads as a dict (the last value wins).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_so_takes_the_last_value_of_an_attribute_the_sm_repeats() {
    let timings = SimulatedTimings {
        create: Duration::from_millis(1),
        update: Duration::from_millis(1),
        fail_create: false,
    };
    let so = StackSo::new(SimulatedStack::new(timings, Vec::new()));
    let (base, stop, task) = start(so::service(so).unwrap()).await;
    let url = format!("{base}/orchestrator/default");
    let auth = [("X-Auth-Token", "t"), ("X-Tenant-Name", "demo")];
    let kind = format!("orchestrator; scheme=\"{SERVICE}\"");
    let mut h = auth.to_vec();
    h.extend([
        ("Category", kind.as_str()),
        ("Content-Type", "text/occi"),
        ("X-OCCI-Attribute", "mcn.endpoint.p4=first"),
    ]);
    assert_eq!(send(Method::PUT, &url, &h).await.status(), 201);
    let deploy = format!("deploy; scheme=\"{SERVICE}\"");
    let mut d = h.clone();
    d[2] = ("Category", deploy.as_str());
    let r = send(Method::POST, &format!("{url}?action=deploy"), &d).await;
    assert_eq!(r.status(), 200, "{r:?}");
    tokio::time::sleep(Duration::from_millis(20)).await;

    let mut u = auth.to_vec();
    u.extend([
        ("Content-Type", "text/occi"),
        (
            "X-OCCI-Attribute",
            "mcn.endpoint.p4=first, mcn.endpoint.p4=second",
        ),
    ]);
    let r = send(Method::POST, &url, &u).await;
    assert_eq!(r.status(), 200, "{r:?}");
    let mut occi = auth.to_vec();
    occi.push(("Accept", "text/occi"));
    let attrs = header(&send(Method::GET, &url, &occi).await, "x-occi-attribute");
    assert!(attrs.contains("mcn.endpoint.p4=\"second\""), "{attrs}");
    assert!(!attrs.contains("first"), "{attrs}");
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cc_runs_each_app_as_a_child_so_and_stops_it() {
    let program = std::path::PathBuf::from(env!("CARGO_BIN_EXE_occi-hurtle"));
    let deployer = Arc::new(ProcessDeployer::new(program, Vec::new()));
    let service = cc::service(Arc::clone(&deployer), Arc::new(InMemoryStore::new())).unwrap();
    let (base, stop, task) = start(service).await;
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
    let pids = deployer.pids().await;
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
    assert!(deployer.pids().await.is_empty());
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
    deployer.shutdown().await;
}

/// Whether something answers HTTP at `host_port`.
async fn answers(host_port: &str) -> bool {
    client()
        .send(
            Request::get(format!("http://{host_port}/"))
                .header("X-Auth-Token", "t")
                .header("X-Tenant-Name", "d")
                .body(Bytes::new())
                .unwrap(),
        )
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_so_outlives_a_cc_killed_with_sigkill() {
    let program = env!("CARGO_BIN_EXE_occi-hurtle");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cc = std::process::Command::new(program)
        .args(["cc", "--listen", &format!("127.0.0.1:{port}"), "--memory"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let basic = ("Authorization", "Basic dTpw");
    let mut up = false;
    for _ in 0..500 {
        if answers(&format!("127.0.0.1:{port}")).await {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "the CC did not start");
    let kind = format!("app; scheme=\"{PLATFORM}\"");
    let r = send(
        Method::POST,
        &format!("{base}/app/"),
        &[
            basic,
            ("Category", kind.as_str()),
            ("Content-Type", "text/occi"),
            (
                "X-OCCI-Attribute",
                "occi.app.name=\"sokill1\", occi.app.image=\"img\"",
            ),
        ],
    )
    .await;
    assert_eq!(r.status(), 201, "{:?}", r.body());
    let r = send(
        Method::GET,
        &format!("{base}/app/sokill1"),
        &[basic, ("Accept", "text/occi")],
    )
    .await;
    let attrs = header(&r, "x-occi-attribute");
    let so = attrs
        .split(", ")
        .find_map(|a| a.strip_prefix("occi.app.url="))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let mut serving = false;
    for _ in 0..500 {
        if answers(&so).await {
            serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(serving, "the SO child did not start");

    // SIGKILL: the CC cannot stop its children; they must stop on their own.
    cc.kill().unwrap();
    cc.wait().unwrap();
    let mut gone = false;
    for _ in 0..500 {
        if !answers(&so).await {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "the SO at {so} outlived the CC killed with SIGKILL");
}
