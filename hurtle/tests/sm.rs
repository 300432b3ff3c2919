//! The SM driving a CC (with in-process SOs) over loopback HTTP, as an end user sees it.

// Each test follows one instance's life from end to end, checks inline.
#![allow(clippy::too_many_lines)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use occi_client::{HttpTransport, Transport as _};
use occi_hurtle::cc::{self, Deployer as _, TaskDeployer};
use occi_hurtle::sm::{self, Manifest, ServiceParams, SmConfig, Timings, Tokens};
use occi_hurtle::so::SimulatedTimings;
use occi_server::{InMemoryStore, OcciBody};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const KIND: &str =
    "sample_so; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/sm#\"; class=\"kind\"";

async fn start<S>(service: S) -> (String, oneshot::Sender<()>)
where
    S: tower_service::Service<
            Request<Incoming>,
            Response = Response<OcciBody>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        occi_server::serve(listener, service, async {
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
    HttpTransport::without_proxy()
        .send(b.body(Bytes::new()).unwrap())
        .await
        .unwrap()
}

fn memory() -> cc::AnyStore {
    Arc::new(InMemoryStore::new())
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
    let deployer = Arc::new(TaskDeployer::new(fast));
    let (cc_url, cc_stop) = start(cc::service(Arc::clone(&deployer), memory()).unwrap()).await;
    let mut c = config(
        r#"{"service_type": "http://schemas.mobile-cloud-networking.eu/occi/sm#sample_so",
            "service_description": "Test sample service",
            "service_attributes": {"mcn.endpoint.p3": "immutable", "mcn.endpoint.p4": ""},
            "service_endpoint": "http://localhost:8080/sample_so/", "depends_on": []}"#,
        cc_url.clone(),
        BTreeMap::new(),
    );
    c.params = ServiceParams::from_json(
        r#"{"deploy": [{"name": "deploy.secret", "type": "string", "value": "s"}]}"#,
    )
    .unwrap();
    c.tokens = Tokens::new(BTreeMap::from([
        ("t1".to_owned(), "demo".to_owned()),
        ("t2".to_owned(), "other".to_owned()),
    ]))
    .into();
    let sm = sm::service(c, memory()).unwrap();
    let (sm_url, sm_stop) = start(sm).await;
    let demo = [("X-Auth-Token", "t1"), ("X-Tenant-Name", "demo")];
    let other = [("X-Auth-Token", "t2"), ("X-Tenant-Name", "other")];

    assert_eq!(
        send(Method::GET, &format!("{sm_url}/-/"), &[])
            .await
            .status(),
        401
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
    deployer.shutdown().await;
}

/// One recorded call: who received it, method, path and query, header fields.
#[derive(Debug, Clone)]
struct Call {
    to: &'static str,
    method: Method,
    target: String,
    headers: http::HeaderMap,
}

impl Call {
    fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

type Log = Arc<std::sync::Mutex<Vec<Call>>>;

/// A recording double: the real component behind, every request recorded first.
#[derive(Clone)]
struct Recorder<S> {
    to: &'static str,
    inner: S,
    log: Log,
}

impl<S> tower_service::Service<Request<Incoming>> for Recorder<S>
where
    S: tower_service::Service<Request<Incoming>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Incoming>) -> S::Future {
        self.log.lock().unwrap().push(Call {
            to: self.to,
            method: request.method().clone(),
            target: request.uri().to_string(),
            headers: request.headers().clone(),
        });
        self.inner.call(request)
    }
}

/// Deploys recording SO doubles in this process.
struct RecordingDeployer {
    log: Log,
    running: tokio::sync::Mutex<BTreeMap<String, oneshot::Sender<()>>>,
}

impl occi_hurtle::cc::Deployer for RecordingDeployer {
    async fn deploy(
        &self,
        app: &occi_hurtle::cc::AppSpec,
    ) -> Result<String, occi_hurtle::cc::DeployError> {
        let so = occi_hurtle::so::StackSo::new(occi_hurtle::so::SimulatedStack::new(
            SimulatedTimings {
                create: Duration::from_millis(20),
                update: Duration::from_millis(20),
                fail_create: false,
            },
            vec![("mcn.endpoint.api".into(), "127.0.0.1:1".into())],
        ));
        let recorder = Recorder {
            to: "so",
            inner: occi_hurtle::so::service(so).unwrap(),
            log: Arc::clone(&self.log),
        };
        let (base, stop) = start(recorder).await;
        self.running.lock().await.insert(app.name.clone(), stop);
        Ok(base.trim_start_matches("http://").to_owned())
    }

    async fn state(&self, name: &str) -> occi_hurtle::cc::AppState {
        if self.running.lock().await.contains_key(name) {
            occi_hurtle::cc::AppState::Active
        } else {
            occi_hurtle::cc::AppState::Inactive
        }
    }

    async fn undeploy(&self, name: &str) -> Result<(), occi_hurtle::cc::DeployError> {
        if let Some(stop) = self.running.lock().await.remove(name) {
            let _ = stop.send(());
        }
        Ok(())
    }

    async fn shutdown(&self) {
        for (_, stop) in std::mem::take(&mut *self.running.lock().await) {
            let _ = stop.send(());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sm_calls_cc_and_so_in_hurtle_order_with_per_phase_parameters() {
    let log: Log = Arc::default();
    let deployer = Arc::new(RecordingDeployer {
        log: Arc::clone(&log),
        running: tokio::sync::Mutex::default(),
    });
    let cc = Recorder {
        to: "cc",
        inner: cc::service(Arc::clone(&deployer), memory()).unwrap(),
        log: Arc::clone(&log),
    };
    let (cc_url, cc_stop) = start(cc).await;
    let params = ServiceParams::from_json(
        r#"{"initialise": [{"name": "p.initialise", "type": "string", "value": "i"}],
            "activate": [{"name": "p.activate", "type": "number", "value": 1}],
            "deploy": [{"name": "p.deploy", "type": "string", "value": "d"}],
            "provision": [{"name": "p.provision", "type": "string", "value": "p"}],
            "update": [{"name": "p.update", "type": "string", "value": "u"}],
            "destroy": [{"name": "p.destroy", "type": "string", "value": "x"}]}"#,
    )
    .unwrap();
    let mut c = config(
        r#"{"service_type": "http://schemas.mobile-cloud-networking.eu/occi/sm#sample_so"}"#,
        cc_url,
        BTreeMap::new(),
    );
    c.bundle = "registry/so:1".into();
    c.design_uri = "http://keystone:5000/v2.0".into();
    c.params = params;
    c.tokens = Tokens::default().into();
    let sm = sm::service(c, memory()).unwrap();
    let (sm_url, sm_stop) = start(sm).await;
    let who = [("X-Auth-Token", "eeu-token"), ("X-Tenant-Name", "eeu")];

    let mut instances = Vec::new();
    for client in ["first.only=\"a\"", "second.only=\"b\""] {
        let mut h = who.to_vec();
        h.extend([
            ("Category", KIND),
            ("Content-Type", "text/occi"),
            ("X-OCCI-Attribute", client),
        ]);
        let created = send(Method::POST, &format!("{sm_url}/sample_so/"), &h).await;
        assert_eq!(created.status(), 201, "{:?}", created.body());
        let url = created.headers()["location"].to_str().unwrap().to_owned();
        while state(&url, &who).await != "provision" {
            assert_ne!(state(&url, &who).await, "fail");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        instances.push(url);
    }
    let mut u = who.to_vec();
    u.push(("X-OCCI-Attribute", "k=\"v\""));
    assert_eq!(send(Method::POST, &instances[1], &u).await.status(), 200);
    assert_eq!(
        send(Method::DELETE, &instances[1], &who).await.status(),
        200
    );
    let app = instances[1].rsplit('/').next().unwrap().to_owned();
    loop {
        let done = log
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.to == "cc" && c.method == Method::DELETE);
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let calls = log.lock().unwrap().clone();

    // The CC sees, per instance: the QI probe, the app, its rendering, then JSON polls; every
    // call with Basic credentials.
    let cc_calls: Vec<&Call> = calls.iter().filter(|c| c.to == "cc").collect();
    assert_eq!(
        (cc_calls[0].method.as_str(), cc_calls[0].target.as_str()),
        ("GET", "/-/")
    );
    assert_eq!(cc_calls[0].header("accept"), "text/occi");
    assert_eq!(
        (cc_calls[1].method.as_str(), cc_calls[1].target.as_str()),
        ("POST", "/app/")
    );
    assert_eq!(
        cc_calls[1].header("category"),
        "app; scheme=\"http://schemas.ogf.org/occi/platform#\""
    );
    assert_eq!(cc_calls[1].header("content-type"), "text/occi");
    let attrs = cc_calls[1].header("x-occi-attribute");
    let name = attrs
        .split("occi.app.name=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(name.len() <= 24 && name.starts_with("sosamp"), "{name}");
    assert!(
        attrs.contains("occi.app.image=\"registry/so:1\""),
        "{attrs}"
    );
    assert!(
        attrs.contains("occi.app.env=\"DESIGN_URI=http://keystone:5000/v2.0\""),
        "{attrs}"
    );
    assert_eq!(cc_calls[2].target, format!("/app/{name}"));
    assert_eq!(cc_calls[2].header("accept"), "text/occi");
    assert_eq!(cc_calls[3].header("accept"), "application/occi+json");
    assert!(
        cc_calls
            .iter()
            .all(|c| c.header("authorization") == "Basic c206cHc=")
    );

    // Each SO sees GET /, PUT, deploy, JSON polls until complete, provision; every call with
    // the end user's token and tenant, never the CC's credentials; each phase its own
    // parameters, the client's attributes of that instance only.
    let so_calls: Vec<&Call> = calls.iter().filter(|c| c.to == "so").collect();
    assert!(
        so_calls
            .iter()
            .all(|c| c.header("x-auth-token") == "eeu-token" && c.header("x-tenant-name") == "eeu")
    );
    assert!(
        so_calls
            .iter()
            .all(|c| c.headers.get("authorization").is_none())
    );
    // The lifecycle's calls, without the reads an end user's GET of the instance makes
    // (text/occi) whenever it happens to poll.
    let first: Vec<&&Call> = so_calls
        .iter()
        .take_while(|c| {
            !(c.method == Method::GET && c.target == "/" && !std::ptr::eq(**c, so_calls[0]))
        })
        .filter(|c| !(c.method == Method::GET && c.header("accept") == "text/occi"))
        .collect();
    let kinds: Vec<String> = first
        .iter()
        .map(|c| format!("{} {}", c.method, c.target))
        .collect();
    assert_eq!(kinds[0], "GET /");
    assert_eq!(kinds[1], "PUT /orchestrator/default");
    assert_eq!(kinds[2], "POST /orchestrator/default?action=deploy");
    assert!(kinds[3..].iter().any(|k| k == "GET /orchestrator/default"));
    let provision = kinds
        .iter()
        .position(|k| k == "POST /orchestrator/default?action=provision")
        .unwrap();
    assert!(provision > 3, "{kinds:?}");
    assert!(first[1].header("category").starts_with(
        "orchestrator; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/service#\""
    ));
    assert!(first[2].header("category").starts_with("deploy; "));
    assert!(
        first[provision]
            .header("category")
            .starts_with("provision; ")
    );
    let phase = |c: &Call, own: &str| {
        let a = c.header("x-occi-attribute");
        for p in [
            "p.initialise",
            "p.activate",
            "p.deploy",
            "p.provision",
            "p.update",
            "p.destroy",
        ] {
            assert_eq!(a.contains(p), p == own, "{own}: {a}");
        }
        a
    };
    assert!(phase(first[1], "p.activate").contains("first.only"));
    assert!(phase(first[2], "p.deploy").contains("first.only"));
    assert!(phase(first[provision], "p.provision").contains("first.only"));
    let second_puts: Vec<&&Call> = so_calls
        .iter()
        .filter(|c| c.method == Method::PUT)
        .collect();
    assert_eq!(second_puts.len(), 2);
    let second = second_puts[1].header("x-occi-attribute");
    assert!(
        second.contains("second.only") && !second.contains("first.only"),
        "no leak: {second}"
    );
    let update = so_calls
        .iter()
        .find(|c| c.method == Method::POST && !c.target.contains('?'))
        .unwrap();
    assert!(phase(update, "p.update").contains("k=\"v\""));

    // Delete: the SO first, then the CC app.
    let so_delete = calls
        .iter()
        .position(|c| c.to == "so" && c.method == Method::DELETE)
        .unwrap();
    let cc_delete = calls
        .iter()
        .position(|c| c.to == "cc" && c.method == Method::DELETE)
        .unwrap();
    assert!(so_delete < cc_delete);
    phase(&calls[so_delete], "p.destroy");
    assert_eq!(calls[cc_delete].target, format!("/app/{app}"));

    sm_stop.send(()).unwrap();
    cc_stop.send(()).unwrap();
    deployer.shutdown().await;
}

fn config(manifest: &str, cc_url: String, dependencies: BTreeMap<String, String>) -> SmConfig {
    let ms = Duration::from_millis(5);
    SmConfig {
        manifest: Manifest::from_json(manifest).unwrap(),
        cc_url,
        cc_credentials: ("sm".into(), "pw".into()),
        bundle: "occi-hurtle/so".into(),
        design_uri: "http://127.0.0.1:5000/v2.0".into(),
        params: ServiceParams::default(),
        tokens: Tokens::new(BTreeMap::from([
            ("t".to_owned(), "demo".to_owned()),
            ("sm".to_owned(), "service".to_owned()),
        ]))
        .into(),
        timings: Timings {
            activate: ms,
            deploy: ms,
            provision: ms,
            update: ms,
            phase_timeout: Duration::from_secs(20),
        },
        transport: HttpTransport::without_proxy(),
        call_timeout: Duration::from_secs(10),
        dependencies,
        service_identity: ("sm".to_owned(), "service".to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sm_lists_the_kinds_of_the_services_it_depends_on() {
    const DNS: &str = "http://schemas.mobile-cloud-networking.eu/occi/sm#dnsaas";
    let (dns_url, dns_stop) = start(
        sm::service(
            config(
                &format!(
                    r#"{{"service_type": "{DNS}", "service_description": "DNS as a service"}}"#
                ),
                "http://127.0.0.1:1".to_owned(),
                BTreeMap::new(),
            ),
            memory(),
        )
        .unwrap(),
    )
    .await;
    let composed = format!(
        r#"{{"service_type": "http://schemas.mobile-cloud-networking.eu/occi/sm#epc",
            "depends_on": [{{"{DNS}": {{"inputs": []}}}}]}}"#
    );
    // Without a place for the dependency, the SM does not start.
    let missing = sm::start(
        config(&composed, "http://127.0.0.1:1".to_owned(), BTreeMap::new()),
        memory(),
    )
    .await;
    match missing {
        Err(e) => assert!(e.to_string().contains("--depends"), "{e}"),
        Ok(_) => panic!("an SM whose dependency has no SM started"),
    }

    let (service, reported) = sm::start(
        config(
            &composed,
            "http://127.0.0.1:1".to_owned(),
            BTreeMap::from([(DNS.to_owned(), dns_url.clone())]),
        ),
        memory(),
    )
    .await
    .unwrap();
    assert_eq!(reported, 0);
    let (epc_url, epc_stop) = start(service).await;
    let qi = send(
        Method::GET,
        &format!("{epc_url}/-/"),
        &[
            ("X-Auth-Token", "t"),
            ("X-Tenant-Name", "demo"),
            ("Accept", "text/occi"),
        ],
    )
    .await;
    let cats: Vec<String> = qi
        .headers()
        .get_all("category")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let cats = cats.join(", ");
    let epc = cats.find("epc; scheme=").unwrap();
    let dns = cats.find("dnsaas; scheme=").expect(&cats);
    assert!(epc < dns, "the service's own Kind comes first: {cats}");
    assert!(cats.contains("title=\"DNS as a service\""), "{cats}");
    dns_stop.send(()).unwrap();
    epc_stop.send(()).unwrap();
}
