//! The so and cc profiles against occi-hurtle's SO and CC served on loopback: unmodified they
//! fail nothing (compat included, strict), and each mutant — the component with one Hurtle
//! requirement broken by rewriting its requests or responses — fails exactly the
//! requirement ids it declares, with no harness error.

// The mutant table and the set-up of the three components read best in one piece each.
#![allow(clippy::too_many_lines)]

mod common;

use common::{requirements_in, runtime};
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use occi_conformance::catalogue::Profile;
use occi_conformance::checks::hurtle::HurtleOptions;
use occi_conformance::outcome::Outcome;
use occi_conformance::results::{RunOptions, RunReport};
use occi_conformance::runner::{RunConfig, run_with_hurtle};
use occi_conformance::transport::HttpTransport;
use occi_hurtle::cc::{self, Deployer as _, TaskDeployer};
use occi_hurtle::sm::{self, Manifest, ServiceParams, SmConfig, Timings, Tokens};
use occi_hurtle::so::{self, SimulatedStack, SimulatedTimings, StackSo};
use occi_server::{InMemoryStore, OcciBody};

/// What a request was, for the response rewriters.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: String,
    accept: String,
}

/// Answers a request itself (`Some`) or lets it through, possibly changed.
type Before = fn(&mut Request<Bytes>) -> Option<Response<Bytes>>;
/// Rewrites a response.
type After = fn(&Seen, Response<Bytes>) -> Response<Bytes>;

/// A component's HTTP service with one requirement broken by `before` and `after`.
#[derive(Clone)]
struct Mutated<S> {
    inner: S,
    before: Before,
    after: After,
}

impl<S> tower_service::Service<Request<Incoming>> for Mutated<S>
where
    S: tower_service::Service<
            Request<Full<Bytes>>,
            Response = Response<OcciBody>,
            Error = Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<OcciBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<OcciBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = body
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .unwrap_or_default();
            let mut request = Request::from_parts(parts, body);
            let seen = Seen {
                method: request.method().clone(),
                path: request.uri().path().to_owned(),
                query: request.uri().query().unwrap_or("").to_owned(),
                accept: request
                    .headers()
                    .get("accept")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned(),
            };
            if let Some(r) = (this.before)(&mut request) {
                return Ok(r.map(OcciBody::new));
            }
            let response = occi_hurtle::handle(this.inner, request).await;
            let mut response = (this.after)(&seen, response);
            // A rewritten body has its own length.
            let length = HeaderValue::from(response.body().len());
            response.headers_mut().insert("content-length", length);
            Ok(response.map(OcciBody::new))
        })
    }
}

fn pass(_: &mut Request<Bytes>) -> Option<Response<Bytes>> {
    None
}

fn same(_: &Seen, r: Response<Bytes>) -> Response<Bytes> {
    r
}

fn header(r: &Response<Bytes>, name: &str) -> String {
    r.headers()
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

fn set_header(r: &mut Response<Bytes>, name: &'static str, value: &str) {
    r.headers_mut().remove(name);
    r.headers_mut()
        .insert(name, HeaderValue::from_str(value).unwrap());
}

fn ok_text() -> Response<Bytes> {
    let mut r = Response::new(Bytes::from_static(b"OK"));
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    r.headers_mut()
        .insert("server", HeaderValue::from_static("mutant OCCI/1.1"));
    r
}

struct Mutant {
    name: &'static str,
    what: &'static str,
    profile: Profile,
    breaks: &'static [&'static str],
    before: Before,
    after: After,
}

fn mutants() -> Vec<Mutant> {
    vec![
        Mutant {
            name: "so-no-gate",
            what: "the SO serves requests without X-Auth-Token or X-Tenant-Name",
            profile: Profile::So,
            breaks: &["SO-001"],
            before: |r| {
                for name in ["x-auth-token", "x-tenant-name"] {
                    if !r.headers().contains_key(name) {
                        r.headers_mut().insert(name, HeaderValue::from_static("x"));
                    }
                }
                None
            },
            after: same,
        },
        Mutant {
            name: "so-qi-without-provision",
            what: "the SO's query interface leaves out the provision Action category",
            profile: Profile::So,
            breaks: &["SO-003"],
            before: pass,
            after: |seen, mut r| {
                if seen.path == "/-/" {
                    let cats = header(&r, "category");
                    let kept: Vec<&str> = cats
                        .split(", ")
                        .filter(|c| {
                            !(c.starts_with("provision;") && c.contains("class=\"action\""))
                        })
                        .collect();
                    set_header(&mut r, "category", &kept.join(", "));
                }
                r
            },
        },
        Mutant {
            name: "so-provision-anytime",
            what: "provision before deploy answers 200",
            profile: Profile::So,
            breaks: &["SO-007"],
            before: pass,
            after: |seen, mut r| {
                if seen.query.contains("action=provision") && r.status() == StatusCode::BAD_REQUEST
                {
                    *r.status_mut() = StatusCode::OK;
                }
                r
            },
        },
        Mutant {
            name: "so-unquoted-values",
            what: "text/occi attribute values are sent without quotes",
            profile: Profile::So,
            breaks: &["SO-010"],
            before: pass,
            after: |seen, mut r| {
                if seen.method == Method::GET
                    && seen.accept == "text/occi"
                    && r.headers().contains_key("x-occi-attribute")
                {
                    let v = header(&r, "x-occi-attribute").replace('"', "");
                    set_header(&mut r, "x-occi-attribute", &v);
                }
                r
            },
        },
        Mutant {
            name: "so-json-without-state",
            what: "the JSON rendering leaves out occi.mcn.stack.state",
            profile: Profile::So,
            breaks: &["SO-009", "SO-011"],
            before: pass,
            after: |seen, r| {
                if seen.accept != "application/occi+json" || seen.path != "/orchestrator/default" {
                    return r;
                }
                let (parts, body) = r.into_parts();
                let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                if let Some(a) = v.get_mut("attributes").and_then(|a| a.as_object_mut()) {
                    a.remove("occi.mcn.stack.state");
                }
                Response::from_parts(parts, Bytes::from(v.to_string()))
            },
        },
        Mutant {
            name: "so-update-ignored",
            what: "an update by POST answers 200 but changes nothing",
            profile: Profile::So,
            breaks: &["SO-012"],
            before: |r| (r.method() == Method::POST && r.uri().query().is_none()).then(ok_text),
            after: same,
        },
        Mutant {
            name: "so-delete-keeps",
            what: "DELETE answers 200 but the resource stays",
            profile: Profile::So,
            breaks: &["SO-014"],
            before: |r| (r.method() == Method::DELETE).then(ok_text),
            after: same,
        },
        Mutant {
            name: "so-create-200",
            what: "creating the resource answers 200 instead of 201",
            profile: Profile::So,
            breaks: &["SO-005"],
            before: pass,
            after: |seen, mut r| {
                if seen.method == Method::PUT && r.status() == StatusCode::CREATED {
                    *r.status_mut() = StatusCode::OK;
                }
                r
            },
        },
        Mutant {
            name: "sm-no-tenant-scope",
            what: "the SM shows every tenant's instances to tenant other",
            profile: Profile::Sm,
            breaks: &["SM-010", "SM-011"],
            before: |r| {
                if r.headers()
                    .get("x-tenant-name")
                    .is_some_and(|t| t == "other")
                {
                    r.headers_mut()
                        .insert("x-tenant-name", HeaderValue::from_static("demo"));
                }
                None
            },
            after: same,
        },
        Mutant {
            name: "sm-update-fails",
            what: "an update of an instance answers 500",
            profile: Profile::Sm,
            breaks: &["SM-012"],
            before: |r| {
                (r.method() == Method::POST
                    && r.uri().path().matches('/').count() == 2
                    && !r.uri().path().ends_with('/'))
                .then(|| {
                    let mut e = ok_text();
                    *e.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                    e
                })
            },
            after: same,
        },
        Mutant {
            name: "sm-delete-keeps",
            what: "DELETE of an instance answers 200 but it stays",
            profile: Profile::Sm,
            breaks: &["SM-013"],
            before: |r| (r.method() == Method::DELETE).then(ok_text),
            after: same,
        },
        Mutant {
            name: "cc-no-auth",
            what: "the CC serves requests without Authorization",
            profile: Profile::Cc,
            breaks: &["CC-001"],
            before: |r| {
                if !r.headers().contains_key("authorization") {
                    r.headers_mut()
                        .insert("authorization", HeaderValue::from_static("Basic eDp4"));
                }
                None
            },
            after: same,
        },
        Mutant {
            name: "cc-qi-without-stop",
            what: "the CC's query interface leaves out the stop Action category",
            profile: Profile::Cc,
            breaks: &["CC-002"],
            before: pass,
            after: |seen, mut r| {
                if seen.path == "/-/" {
                    let cats = header(&r, "category");
                    let kept: Vec<&str> = cats
                        .split(", ")
                        .filter(|c| !(c.starts_with("stop;") && c.contains("class=\"action\"")))
                        .collect();
                    set_header(&mut r, "category", &kept.join(", "));
                }
                r
            },
        },
        Mutant {
            name: "cc-long-names",
            what: "an app name over 24 characters is accepted",
            profile: Profile::Cc,
            breaks: &["CC-005"],
            before: pass,
            after: |seen, mut r| {
                if seen.method == Method::POST
                    && r.status() == StatusCode::BAD_REQUEST
                    && r.body().windows(2).any(|w| w == b"24")
                {
                    *r.status_mut() = StatusCode::CREATED;
                }
                r
            },
        },
        Mutant {
            name: "cc-url-with-scheme",
            what: "occi.app.url carries a scheme in text/occi",
            profile: Profile::Cc,
            breaks: &["CC-006"],
            before: pass,
            after: |seen, mut r| {
                if seen.accept == "text/occi" && r.headers().contains_key("x-occi-attribute") {
                    let v = header(&r, "x-occi-attribute")
                        .replace("occi.app.url=\"", "occi.app.url=\"http://");
                    set_header(&mut r, "x-occi-attribute", &v);
                }
                r
            },
        },
        Mutant {
            name: "cc-never-active",
            what: "occi.app.state stays inactive in JSON",
            profile: Profile::Cc,
            breaks: &["CC-007"],
            before: pass,
            after: |seen, r| {
                if seen.accept != "application/occi+json" {
                    return r;
                }
                let (parts, body) = r.into_parts();
                let text = String::from_utf8_lossy(&body).replace("\"active\"", "\"inactive\"");
                Response::from_parts(parts, Bytes::from(text))
            },
        },
        Mutant {
            name: "cc-delete-keeps",
            what: "DELETE of an app answers 200 but the app stays",
            profile: Profile::Cc,
            breaks: &["CC-008"],
            before: |r| (r.method() == Method::DELETE).then(ok_text),
            after: same,
        },
    ]
}

fn memory() -> cc::AnyStore {
    Arc::new(InMemoryStore::new())
}

async fn run(profile: Profile, before: Before, after: After) -> RunReport {
    let fast = SimulatedTimings {
        create: Duration::from_millis(30),
        update: Duration::from_millis(30),
        fail_create: false,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let cc_deployer = Arc::new(TaskDeployer::new(fast.clone()));
    let cc = Mutated {
        inner: cc::service(Arc::clone(&cc_deployer), memory()).unwrap(),
        before,
        after,
    };
    let so = Mutated {
        inner: so::service(StackSo::new(SimulatedStack::new(fast, Vec::new()))).unwrap(),
        before,
        after,
    };
    let shutdown = async {
        let _ = stopped.await;
    };
    let (cc_stop, cc_stopped) = tokio::sync::oneshot::channel::<()>();
    let sm_deployer = Arc::new(
        TaskDeployer::new(SimulatedTimings {
            create: Duration::from_millis(30),
            update: Duration::from_millis(30),
            fail_create: false,
        })
        .with_outputs(vec![(
            "mcn.endpoint.api".to_owned(),
            "127.0.0.1:1".to_owned(),
        )]),
    );
    let server = match profile {
        Profile::Cc => tokio::spawn(occi_server::serve(listener, cc, shutdown)),
        Profile::Sm => {
            let cc_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let cc_url = format!("http://{}", cc_listener.local_addr().unwrap());
            let sm_cc = cc::service(Arc::clone(&sm_deployer), memory()).unwrap();
            tokio::spawn(occi_server::serve(cc_listener, sm_cc, async {
                let _ = cc_stopped.await;
            }));
            let ms = Duration::from_millis(10);
            let sm = sm::service(
                SmConfig {
                    manifest: Manifest::from_json(
                        r#"{"service_type": "http://schemas.mobile-cloud-networking.eu/occi/sm#sample_so",
                        "service_description": "Test sample service",
                        "service_attributes": {"mcn.endpoint.p3": "immutable"}}"#,
                    )
                    .unwrap(),
                    cc_url,
                    cc_credentials: ("sm".to_owned(), "pw".to_owned()),
                    bundle: "occi-hurtle/so".to_owned(),
                    design_uri: "http://127.0.0.1:5000/v2.0".to_owned(),
                    params: ServiceParams::default(),
                    tokens: Tokens::new(
                        std::iter::once(("t".to_owned(), "demo".to_owned())).collect(),
                    )
                    .into(),
                    timings: Timings {
                        activate: ms,
                        deploy: ms,
                        provision: ms,
                        update: ms,
                        phase_timeout: Duration::from_secs(10),
                    },
                    transport: occi_client::HttpTransport::without_proxy(),
                    call_timeout: Duration::from_secs(10),
                    dependencies: BTreeMap::new(),
                    service_identity: ("sm".to_owned(), "service".to_owned()),
                },
                memory(),
            )
            .unwrap();
            tokio::spawn(occi_server::serve(
                listener,
                Mutated {
                    inner: sm,
                    before,
                    after,
                },
                shutdown,
            ))
        }
        _ => tokio::spawn(occi_server::serve(listener, so, shutdown)),
    };
    let headers: Vec<(HeaderName, HeaderValue)> = match profile {
        Profile::Cc => vec![(
            HeaderName::from_static("authorization"),
            HeaderValue::from_static("Basic dTpw"),
        )],
        _ => vec![
            (
                HeaderName::from_static("x-auth-token"),
                HeaderValue::from_static("t"),
            ),
            (
                HeaderName::from_static("x-tenant-name"),
                HeaderValue::from_static("demo"),
            ),
        ],
    };
    let config = RunConfig {
        target: base.clone(),
        profiles: vec![profile],
        options: RunOptions {
            strict: true,
            allow_mutation: true,
            timeout_ms: 10_000,
            header_names: headers.iter().map(|(n, _)| n.as_str().to_owned()).collect(),
            ..RunOptions::default()
        },
        run_id: Some("hurtlemutants".to_owned()),
    };
    let transport = Arc::new(HttpTransport::new(&base, Duration::from_secs(10), headers).unwrap());
    let options = HurtleOptions {
        compat: true,
        tenant_b: Some("other".to_owned()),
        lifecycle_timeout: Duration::from_secs(5),
        ..HurtleOptions::default()
    };
    let report = run_with_hurtle(transport, &config, options, &mut |_, _, _| {}).await;
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    let _ = cc_stop.send(());
    cc_deployer.shutdown().await;
    sm_deployer.shutdown().await;
    report
}

#[test]
fn the_hurtle_components_fail_nothing_with_compat_and_strict() {
    let rt = runtime();
    for profile in [Profile::So, Profile::Cc, Profile::Sm] {
        let report = rt.block_on(run(profile, pass, same));
        let bad = requirements_in(&report, &[Outcome::Fail, Outcome::Warn, Outcome::Error]);
        assert!(bad.is_empty(), "{profile:?}: {bad:?}");
        let passed = requirements_in(&report, &[Outcome::Pass]);
        assert!(passed.len() >= 7, "{profile:?}: only {passed:?} passed");
    }
}

#[test]
fn every_hurtle_mutant_fails_exactly_what_it_breaks() {
    let rt = runtime();
    let mut out = String::new();
    let mut wrong = 0;
    for m in mutants() {
        let report = rt.block_on(run(m.profile, m.before, m.after));
        let observed = requirements_in(&report, &[Outcome::Fail, Outcome::Warn]);
        let errors = requirements_in(&report, &[Outcome::Error]);
        let declared: BTreeSet<String> = m.breaks.iter().map(|s| (*s).to_owned()).collect();
        let ok = observed == declared && errors.is_empty();
        if !ok {
            wrong += 1;
        }
        let _ = writeln!(
            out,
            "{} {:<24} {:<60} declared {:?} observed {:?} errors {:?}",
            if ok { "ok  " } else { "FAIL" },
            m.name,
            m.what,
            declared,
            observed,
            errors
        );
    }
    println!("{out}");
    assert_eq!(wrong, 0, "\n{out}");
}
