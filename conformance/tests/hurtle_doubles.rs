//! The sm profile with recording doubles (SM-017 to SM-021): occi-hurtle's SM pointed at the
//! doubles' CC and Keystone fails nothing (compat included, strict), and each mutant — the
//! SM with its outgoing calls rewritten by a forward proxy between it and the doubles — fails
//! exactly the requirement ids it declares, with no harness error.

// The set-up of the doubles, the SM and the run reads best in one piece.
#![allow(clippy::too_many_lines)]

mod common;

use common::{requirements_in, runtime};
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use occi_client::Transport as _;
use occi_conformance::catalogue::Profile;
use occi_conformance::checks::hurtle::{EndUser, HurtleOptions};
use occi_conformance::doubles::{Double, Doubles};
use occi_conformance::outcome::Outcome;
use occi_conformance::results::{RunOptions, RunReport};
use occi_conformance::runner::{RunConfig, run_with_hurtle};
use occi_conformance::transport::HttpTransport;
use occi_hurtle::sm::{self, Manifest, ServiceParams, SmConfig, Timings, TokenCheck, Tokens};
use occi_server::InMemoryStore;

/// How a mutant SM's outgoing calls are rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    /// The SM's own calls, unchanged (through the proxy).
    None,
    /// The SM never asks the CC for its query interface (the proxy answers it).
    SkipsQueryInterface,
    /// The SM sends its own tenant, not the end user's, to the SO.
    SoGetsOtherTenant,
    /// The SM deletes the CC app before the SO (the SO's DELETE is held until then).
    DeletesAppFirst,
    /// The SM appends every earlier instance's attributes to an SO's calls, as Hurtle does.
    LeaksAttributes,
    /// The SM checks tokens against its own table, never asking Keystone.
    NoKeystone,
}

#[derive(Debug, Default)]
struct ProxyState {
    held: Vec<Request<Bytes>>,
    leaked: Vec<String>,
}

/// A canned OpenShift v3 query interface, for the SM that skips the CC's.
const V3_APP: &str = "app; scheme=\"http://schemas.ogf.org/occi/platform#\"; class=\"kind\"; \
    location=\"http://cc/app/\"; attributes=\"occi.app.name{required} occi.app.image{required} \
    occi.app.env occi.app.state{immutable}\"";

fn ok(status: StatusCode, headers: &[(&'static str, &str)]) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(b"OK")));
    *r.status_mut() = status;
    for (n, v) in headers {
        r.headers_mut()
            .insert(*n, HeaderValue::from_str(v).unwrap());
    }
    r
}

async fn forward(
    client: &occi_client::HttpTransport,
    request: Request<Bytes>,
) -> Response<Full<Bytes>> {
    match client.send(request).await {
        Ok(r) => r.map(Full::new),
        Err(e) => {
            let mut r = Response::new(Full::new(Bytes::from(e.to_string())));
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            r
        }
    }
}

async fn proxied(
    mutation: Mutation,
    cc: String,
    state: Arc<Mutex<ProxyState>>,
    client: occi_client::HttpTransport,
    mut request: Request<Bytes>,
) -> Response<Full<Bytes>> {
    let to_cc = request.uri().authority().is_some_and(|a| a.as_str() == cc);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    match mutation {
        Mutation::SkipsQueryInterface if to_cc && method == Method::GET && path == "/-/" => {
            return ok(
                StatusCode::OK,
                &[("content-type", "text/occi"), ("category", V3_APP)],
            );
        }
        Mutation::SoGetsOtherTenant if !to_cc => {
            request
                .headers_mut()
                .insert("x-tenant-name", HeaderValue::from_static("service"));
        }
        Mutation::DeletesAppFirst if method == Method::DELETE => {
            if !to_cc {
                state.lock().unwrap().held.push(request);
                return ok(StatusCode::OK, &[("content-type", "text/plain")]);
            }
            let response = forward(&client, request).await;
            let held = std::mem::take(&mut state.lock().unwrap().held);
            for r in held {
                let _ = forward(&client, r).await;
            }
            return response;
        }
        Mutation::LeaksAttributes
            if !to_cc && matches!(method, Method::PUT | Method::POST | Method::DELETE) =>
        {
            let own: Vec<String> = request
                .headers()
                .get_all("x-occi-attribute")
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            let mut s = state.lock().unwrap();
            let mut all = s.leaked.clone();
            for a in &own {
                if !s.leaked.contains(a) {
                    s.leaked.push(a.clone());
                }
            }
            all.extend(own);
            drop(s);
            if !all.is_empty() {
                request.headers_mut().insert(
                    "x-occi-attribute",
                    HeaderValue::from_str(&all.join(", ")).unwrap(),
                );
            }
        }
        _ => {}
    }
    forward(&client, request).await
}

/// A forward proxy on loopback rewriting the SM's calls by `mutation`; its URL.
async fn proxy(mutation: Mutation, cc: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Mutex::new(ProxyState::default()));
    tokio::spawn(async move {
        loop {
            let Ok((io, _)) = listener.accept().await else {
                continue;
            };
            let (cc, state) = (cc.clone(), Arc::clone(&state));
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (cc, state) = (cc.clone(), Arc::clone(&state));
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(http_body_util::Collected::to_bytes)
                                .unwrap_or_default();
                            let client = occi_client::HttpTransport::without_proxy();
                            let request = Request::from_parts(parts, body);
                            Ok::<_, Infallible>(proxied(mutation, cc, state, client, request).await)
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(io), service)
                    .await;
            });
        }
    });
    url
}

/// The sm profile with doubles against occi-hurtle's SM, its calls rewritten by `mutation`
/// (none: no proxy at all).
async fn run(mutation: Option<Mutation>) -> (RunReport, Doubles) {
    run_with(mutation, Judge::Doubles).await
}

/// What the suite is told about the doubles the SM is pointed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judge {
    /// `--doubles` names them.
    Doubles,
    /// No `--doubles`.
    Nothing,
    /// `--doubles` names other doubles, which the SM never calls.
    Elsewhere,
}

/// [`run`], the suite told about the doubles as `judge` says.
async fn run_with(mutation: Option<Mutation>, judge: Judge) -> (RunReport, Doubles) {
    let doubles = Doubles::start("127.0.0.1:0").await.unwrap();
    doubles.accept_only(["t".to_owned()]);
    let peers = if judge == Judge::Elsewhere {
        let peers = Doubles::start("127.0.0.1:0").await.unwrap();
        peers.accept_only(["t".to_owned()]);
        peers
    } else {
        doubles.clone()
    };
    let transport = match mutation {
        None => occi_client::HttpTransport::without_proxy(),
        Some(m) => {
            let url = proxy(m, peers.address().to_string()).await;
            occi_client::HttpTransport::with_proxy(&url, "")
        }
    };
    let tokens = if mutation == Some(Mutation::NoKeystone) {
        TokenCheck::from(Tokens::new(BTreeMap::from([(
            "t".to_owned(),
            "demo".to_owned(),
        )])))
    } else {
        TokenCheck::Keystone(Box::new(
            occi_server::auth::KeystoneV2::new(&peers.keystone_url())
                .unwrap()
                .cache_capacity(0),
        ))
    };
    let ms = Duration::from_millis(10);
    let service = sm::service(
        SmConfig {
            manifest: Manifest::from_json(
                r#"{"service_type": "http://schemas.mobile-cloud-networking.eu/occi/sm#sample_so",
                "service_description": "Test sample service",
                "service_attributes": {"mcn.endpoint.p3": "immutable"}}"#,
            )
            .unwrap(),
            cc_url: peers.cc_url(),
            cc_credentials: ("sm".to_owned(), "pw".to_owned()),
            bundle: "occi-hurtle/so".to_owned(),
            design_uri: peers.keystone_url(),
            params: ServiceParams::from_json(
                r#"{"activate": [{"name": "activate.integer", "type": "number", "value": 1}],
                    "deploy": [{"name": "deploy.string", "type": "string", "value": "d"}]}"#,
            )
            .unwrap(),
            tokens,
            timings: Timings {
                activate: ms,
                deploy: ms,
                provision: ms,
                update: ms,
                phase_timeout: Duration::from_secs(10),
            },
            transport,
            call_timeout: Duration::from_secs(10),
            dependencies: BTreeMap::new(),
            service_identity: ("sm".to_owned(), "service".to_owned()),
        },
        Arc::new(InMemoryStore::new()),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(occi_server::serve(listener, service, async {
        let _ = stopped.await;
    }));
    let headers = vec![
        (
            HeaderName::from_static("x-auth-token"),
            HeaderValue::from_static("t"),
        ),
        (
            HeaderName::from_static("x-tenant-name"),
            HeaderValue::from_static("demo"),
        ),
    ];
    let config = RunConfig {
        target: base.clone(),
        profiles: vec![Profile::Sm],
        options: RunOptions {
            strict: true,
            allow_mutation: true,
            timeout_ms: 10_000,
            header_names: headers.iter().map(|(n, _)| n.as_str().to_owned()).collect(),
            ..RunOptions::default()
        },
        run_id: Some("hurtledoubles".to_owned()),
    };
    let options = HurtleOptions {
        compat: true,
        tenant_b: Some("other".to_owned()),
        lifecycle_timeout: Duration::from_secs(5),
        doubles: (judge != Judge::Nothing).then(|| doubles.clone()),
        end_user: EndUser::from_headers([("X-Auth-Token", "t"), ("X-Tenant-Name", "demo")]),
        ..HurtleOptions::default()
    };
    let transport = Arc::new(HttpTransport::new(&base, Duration::from_secs(10), headers).unwrap());
    let report = run_with_hurtle(transport, &config, options, &mut |_, _, _| {}).await;
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    doubles.stop();
    peers.stop();
    (report, doubles)
}

fn failures(report: &RunReport) -> String {
    let mut out = String::new();
    for t in &report.tests {
        for c in &t.checks {
            if matches!(c.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error) {
                let _ = writeln!(out, "{:?} {:?}: {}", c.outcome, c.requirements, c.message);
            }
        }
    }
    out
}

#[test]
fn the_hurtle_sm_passes_every_client_requirement_with_the_doubles() {
    let rt = runtime();
    for mutation in [None, Some(Mutation::None)] {
        let (report, doubles) = rt.block_on(run(mutation));
        let bad = requirements_in(&report, &[Outcome::Fail, Outcome::Warn, Outcome::Error]);
        assert!(
            bad.is_empty(),
            "{mutation:?}: {bad:?}\n{}",
            failures(&report)
        );
        let passed = requirements_in(&report, &[Outcome::Pass]);
        for id in ["SM-017", "SM-018", "SM-019", "SM-020", "SM-021"] {
            assert!(
                passed.contains(id),
                "{mutation:?}: {id} did not pass: {passed:?}"
            );
        }
        let calls = doubles.calls();
        assert!(calls.iter().any(|c| c.double == Double::Keystone));
        assert!(calls.iter().any(|c| c.double == Double::So));
        // Every SO double was stopped with its app.
        assert!(doubles.apps().is_empty(), "{:?}", doubles.apps());
    }
}

#[test]
fn without_doubles_the_client_requirements_are_skipped() {
    let rt = runtime();
    let (report, _) = rt.block_on(run_with(None, Judge::Nothing));
    let skipped = requirements_in(&report, &[Outcome::Skip]);
    for id in ["SM-017", "SM-018", "SM-019", "SM-020", "SM-021"] {
        assert!(skipped.contains(id), "{id}: {skipped:?}");
    }
    let reasons: Vec<&str> = report
        .tests
        .iter()
        .filter(|t| t.name == "sm.clients")
        .flat_map(|t| t.checks.iter().map(|c| c.message.as_str()))
        .collect();
    assert!(
        !reasons.is_empty() && reasons.iter().all(|m| *m == "needs --doubles"),
        "{reasons:?}"
    );
}

#[test]
fn an_sm_pointed_elsewhere_fails_the_client_requirements_saying_so() {
    let rt = runtime();
    let (report, _) = rt.block_on(run_with(None, Judge::Elsewhere));
    let failed = requirements_in(&report, &[Outcome::Fail, Outcome::Warn]);
    let expected: BTreeSet<String> = ["SM-017", "SM-018", "SM-019", "SM-020", "SM-021"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(failed, expected, "{}", failures(&report));
    assert!(requirements_in(&report, &[Outcome::Error]).is_empty());
    let messages = failures(&report);
    assert!(
        messages.contains("the SM never called the CC double"),
        "{messages}"
    );
}

#[test]
fn every_doubles_mutant_fails_exactly_what_it_breaks() {
    let mutants: [(Mutation, &str, &[&str]); 5] = [
        (
            Mutation::SkipsQueryInterface,
            "the SM never reads the CC's query interface",
            &["SM-017"],
        ),
        (
            Mutation::SoGetsOtherTenant,
            "the SM sends its own tenant to the SO",
            &["SM-018"],
        ),
        (
            Mutation::DeletesAppFirst,
            "the SM deletes the CC app before the SO",
            &["SM-019"],
        ),
        (
            Mutation::LeaksAttributes,
            "the SM passes earlier instances' attributes on to the next SO",
            &["SM-020"],
        ),
        (
            Mutation::NoKeystone,
            "the SM checks tokens against a table, never asking Keystone",
            &["SM-021"],
        ),
    ];
    let rt = runtime();
    let mut out = String::new();
    let mut wrong = 0;
    for (mutation, what, breaks) in mutants {
        let (report, _) = rt.block_on(run(Some(mutation)));
        let observed = requirements_in(&report, &[Outcome::Fail, Outcome::Warn]);
        let errors = requirements_in(&report, &[Outcome::Error]);
        let declared: BTreeSet<String> = breaks.iter().map(|s| (*s).to_owned()).collect();
        let ok = observed == declared && errors.is_empty();
        if !ok {
            wrong += 1;
        }
        let _ = writeln!(
            out,
            "{} {:<22} {:<64} declared {:?} observed {:?} errors {:?}\n{}",
            if ok { "ok  " } else { "FAIL" },
            format!("{mutation:?}"),
            what,
            declared,
            observed,
            errors,
            failures(&report)
        );
    }
    println!("{out}");
    assert_eq!(wrong, 0, "\n{out}");
}
