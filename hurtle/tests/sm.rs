//! The SM driving a CC (with in-process SOs) over loopback HTTP, as an end user sees it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};
use occi_hurtle::cc::{CcServer, TaskDeployer};
use occi_hurtle::client::{HttpClient, Proxy};
use occi_hurtle::server::{Handler, serve};
use occi_hurtle::sm::{Manifest, ServiceParams, SmConfig, SmServer, Timings, Tokens};
use occi_hurtle::so::SimulatedTimings;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const KIND: &str =
    "sample_so; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/sm#\"; class=\"kind\"";

async fn start<H: Handler>(handler: Arc<H>) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(listener, handler, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (base, stop)
}

async fn send(method: Method, url: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
    let mut b = Request::builder().method(method).uri(url);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    HttpClient::new(Proxy::default(), Duration::from_secs(10))
        .send(b.body(Bytes::new()).unwrap())
        .await
        .unwrap()
}

fn attributes(r: &Response<Bytes>) -> String {
    r.headers()
        .get_all("x-occi-attribute")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn state(url: &str, who: &[(&str, &str)]) -> String {
    let mut h = who.to_vec();
    h.push(("Accept", "application/occi+json"));
    let r = send(Method::GET, url, &h).await;
    let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    v["attributes"]["mcn.service.state"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_goes_from_initialise_to_provision_and_away() {
    let fast = SimulatedTimings {
        create: Duration::from_millis(30),
        update: Duration::from_millis(30),
        fail_create: false,
    };
    let cc = Arc::new(CcServer::new(TaskDeployer::new(fast)));
    let (cc_url, cc_stop) = start(Arc::clone(&cc)).await;
    let manifest = Manifest::from_json(
        r#"{"service_type": "http://schemas.mobile-cloud-networking.eu/occi/sm#sample_so",
            "service_description": "Test sample service",
            "service_attributes": {"mcn.endpoint.p3": "immutable", "mcn.endpoint.p4": ""},
            "service_endpoint": "http://localhost:8080/sample_so/", "depends_on": []}"#,
    )
    .unwrap();
    let params = ServiceParams::from_json(
        r#"{"deploy": [{"name": "deploy.secret", "type": "string", "value": "s"}]}"#,
    )
    .unwrap();
    let ms = Duration::from_millis(10);
    let sm = SmServer::new(SmConfig {
        manifest,
        cc_url: cc_url.clone(),
        cc_credentials: ("sm".into(), "pw".into()),
        bundle: "occi-hurtle/so".into(),
        design_uri: "http://127.0.0.1:5000/v2.0".into(),
        params,
        tokens: Tokens::new(BTreeMap::from([
            ("t1".to_owned(), "demo".to_owned()),
            ("t2".to_owned(), "other".to_owned()),
        ])),
        timings: Timings {
            activate: ms,
            deploy: ms,
            provision: ms,
            update: ms,
            phase_timeout: Duration::from_secs(20),
        },
        client: HttpClient::new(Proxy::default(), Duration::from_secs(10)),
    })
    .unwrap();
    let (sm_url, sm_stop) = start(Arc::new(sm)).await;
    let demo = [("X-Auth-Token", "t1"), ("X-Tenant-Name", "demo")];
    let other = [("X-Auth-Token", "t2"), ("X-Tenant-Name", "other")];

    assert_eq!(
        send(Method::GET, &format!("{sm_url}/-/"), &[])
            .await
            .status(),
        400
    );
    assert_eq!(
        send(
            Method::GET,
            &format!("{sm_url}/-/"),
            &[("X-Auth-Token", "t1"), ("X-Tenant-Name", "other")]
        )
        .await
        .status(),
        401
    );
    let mut h = demo.to_vec();
    h.extend([
        ("Category", KIND),
        ("Content-Type", "text/occi"),
        ("X-OCCI-Attribute", "mcn.endpoint.p4=\"x\""),
    ]);
    let created = send(Method::POST, &format!("{sm_url}/sample_so/"), &h).await;
    assert_eq!(created.status(), 201, "{:?}", created.body());
    let url = created.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{sm_url}/sample_so/sosamp")),
        "{url}"
    );

    let mut seen: Vec<String> = Vec::new();
    loop {
        let s = state(&url, &demo).await;
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == "provision" || s == "fail" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        seen.last().map(String::as_str),
        Some("provision"),
        "{seen:?}"
    );
    let order = ["initialise", "activate", "deploy", "provision"];
    let ranks: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{seen:?}");

    let r = send(
        Method::GET,
        &url,
        &[demo[0], demo[1], ("Accept", "text/occi")],
    )
    .await;
    let attrs = attributes(&r);
    assert!(attrs.contains("occi.mcn.stack.state=\"UPDATE_"), "{attrs}");
    assert!(attrs.contains("mcn.endpoint.p4=\"x\""), "{attrs}");
    assert!(
        !attrs.contains("deploy.secret"),
        "service parameters are not shown: {attrs}"
    );

    assert_eq!(send(Method::GET, &url, &other).await.status(), 404);
    let listing = send(
        Method::GET,
        &format!("{sm_url}/sample_so/"),
        &[other[0], other[1], ("Accept", "text/occi")],
    )
    .await;
    assert!(listing.headers().get("x-occi-location").is_none());

    let mut u = demo.to_vec();
    u.push(("X-OCCI-Attribute", "mcn.endpoint.p4=\"y\""));
    let updated = send(Method::POST, &url, &u).await;
    assert_eq!(updated.status(), 200, "{:?}", updated.body());
    assert_eq!(state(&url, &demo).await, "update");

    let app = url.rsplit('/').next().unwrap().to_owned();
    assert_eq!(send(Method::DELETE, &url, &demo).await.status(), 200);
    assert_eq!(send(Method::GET, &url, &demo).await.status(), 404);
    let cc_app = format!("{cc_url}/app/{app}");
    loop {
        if send(Method::GET, &cc_app, &[("Authorization", "Basic eDp4")])
            .await
            .status()
            == 404
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sm_stop.send(()).unwrap();
    cc_stop.send(()).unwrap();
    cc.shutdown().await;
}
