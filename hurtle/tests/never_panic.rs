//! Properties: whatever a peer sends, the components answer without panicking and without a
//! 5xx, and the small parsers of configuration and attributes never panic.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use std::sync::Arc;

use occi_hurtle::cc::{self, Deployer as _, TaskDeployer, check_name, parse_env};
use occi_hurtle::sm::{Manifest, ServiceParams};
use occi_hurtle::so::{self, SimulatedStack, SimulatedTimings, StackSo};
use proptest::prelude::*;

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::PUT),
        Just(Method::POST),
        Just(Method::DELETE),
        Just(Method::HEAD),
        Just(Method::PATCH),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_owned()),
        Just("/-/".to_owned()),
        Just("/orchestrator/default".to_owned()),
        Just("/orchestrator/default?action=deploy".to_owned()),
        Just("/orchestrator/default?action=provision".to_owned()),
        Just("/app/".to_owned()),
        Just("/app/x?action=stop".to_owned()),
        "/[a-z/?=&%.]{0,20}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(
            "orchestrator; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/service#\""
                .to_owned()
        ),
        Just(
            "deploy; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/service#\"".to_owned()
        ),
        Just("app; scheme=\"http://schemas.ogf.org/occi/platform#\"".to_owned()),
        Just("occi.app.name=\"abc\", occi.app.image=\"i\", occi.app.env=\"A=B::C\"".to_owned()),
        "[ -~]{0,60}",
    ]
}

fn request(
    method: Method,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Option<Request<Bytes>> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("X-Auth-Token", "t")
        .header("X-Tenant-Name", "demo")
        .header("Authorization", "Basic eDp4");
    for (n, v) in headers {
        b = b.header(n.as_str(), v.as_str());
    }
    b.body(Bytes::from(body)).ok()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_so_and_the_cc_answer_every_request_without_a_5xx(
        steps in prop::collection::vec(
            (method(), path(), prop::collection::vec((prop_oneof![
                Just("Category".to_owned()),
                Just("X-OCCI-Attribute".to_owned()),
                Just("Content-Type".to_owned()),
                Just("Accept".to_owned()),
                Just("Host".to_owned()),
            ], value()), 0..4), prop::collection::vec(any::<u8>(), 0..64)),
            1..6,
        )
    ) {
        let rt = runtime();
        let timings = SimulatedTimings { create: Duration::ZERO, update: Duration::ZERO, fail_create: false };
        rt.block_on(async {
            let so = so::service(StackSo::new(SimulatedStack::new(timings.clone(), Vec::new()))).unwrap();
            let deployer = Arc::new(TaskDeployer::new(timings));
            let cc = cc::service(Arc::clone(&deployer), Arc::new(occi_server::InMemoryStore::new())).unwrap();
            for (m, p, h, body) in steps {
                if let Some(req) = request(m.clone(), &p, &h, body.clone()) {
                    let r = occi_hurtle::handle(so.clone(), req).await;
                    prop_assert!(r.status().as_u16() < 500, "SO {m} {p}: {}", r.status());
                }
                if let Some(req) = request(m.clone(), &p, &h, body) {
                    let r = occi_hurtle::handle(cc.clone(), req).await;
                    prop_assert!(r.status().as_u16() < 500, "CC {m} {p}: {}", r.status());
                }
            }
            deployer.shutdown().await;
            Ok(())
        })?;
    }

    #[test]
    fn configuration_and_attribute_parsers_never_panic(text in "\\PC{0,120}") {
        let _ = parse_env(&text);
        let _ = check_name(&text);
        let _ = Manifest::from_json(&text);
        let _ = ServiceParams::from_json(&text);
    }

    #[test]
    fn env_pairs_round_trip(pairs in prop::collection::vec(("[A-Z_]{1,8}", "[a-z0-9=:/.]{0,12}"), 0..4)) {
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(_, v)| !v.contains("::") && !v.starts_with(':') && !v.ends_with(':'))
            .collect();
        let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        prop_assert_eq!(parse_env(&text.join("::")).unwrap(), pairs);
    }
}
