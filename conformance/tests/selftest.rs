//! The suite against the reference server, in process: every profile, mutation allowed.

use std::sync::Arc;

use occi_conformance::catalogue::Profile;
use occi_conformance::outcome::Outcome;
use occi_conformance::results::{RunOptions, RunReport, Verdict};
use occi_conformance::runner::{RunConfig, run};
use occi_conformance::transport::ServiceTransport;
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{Mixin, OcciVersion, Registry};
use occi_server::{Occi, OcciService, SimulatedActions};

const OS_SCHEME: &str = "http://schemas.occi-rs.example/templates/os#";

fn server(version: OcciVersion) -> OcciService<occi_server::InMemoryStore, SimulatedActions> {
    let mut registry = Registry::new(version);
    infrastructure::register(&mut registry).unwrap();
    infrastructure::register_crtp_templates(&mut registry).unwrap();
    for term in ["debian-12", "ubuntu-24-04"] {
        registry
            .register_mixin(
                Mixin::new(format!("{OS_SCHEME}{term}").parse().unwrap())
                    .with_depends(infrastructure::os_tpl_id())
                    .with_location(format!("/templates/os/{term}/").parse().unwrap()),
            )
            .unwrap();
    }
    let occi = Occi::builder()
        .registry(registry)
        .actions(SimulatedActions)
        .base_url("http://occi.test:8080")
        .unwrap()
        .build()
        .unwrap();
    OcciService::new(occi)
}

async fn self_test(version: OcciVersion, profiles: Vec<Profile>) -> RunReport {
    self_test_with(version, profiles, true, vec![]).await
}

async fn self_test_with(
    version: OcciVersion,
    profiles: Vec<Profile>,
    allow_mutation: bool,
    only: Vec<String>,
) -> RunReport {
    let transport = Arc::new(ServiceTransport::new(
        server(version),
        "http://occi.test:8080",
    ));
    let config = RunConfig {
        target: "http://occi.test:8080".to_owned(),
        profiles,
        options: RunOptions {
            allow_mutation,
            only,
            timeout_ms: 10_000,
            ..RunOptions::default()
        },
        run_id: Some("selftest".to_owned()),
    };
    run(transport, &config, &mut |_, _, _| {}).await
}

/// Deviations of the reference server that the suite finds today, with the reason. The
/// self-test fails when one of them goes away (remove it here) or a new one appears.
const KNOWN: &[(&str, &str, &str)] = &[];

fn assert_every_must_passes(report: &RunReport) {
    let version = report.occi_version.clone().unwrap_or_default();
    let mut problems = Vec::new();
    let mut known_seen = Vec::new();
    for test in &report.tests {
        for check in &test.checks {
            match check.outcome {
                Outcome::Fail | Outcome::Error
                    if KNOWN.iter().any(|(v, id, _)| {
                        *v == version && check.requirements.iter().any(|r| r == id)
                    }) =>
                {
                    known_seen.push(check.requirements.clone());
                }
                Outcome::Fail | Outcome::Error => problems.push(format!(
                    "{} {:?} {}: {} (expected {:?}, actual {:?})",
                    check.outcome,
                    check.requirements,
                    test.name,
                    check.message,
                    check.expected,
                    check.actual
                )),
                Outcome::Warn => eprintln!(
                    "warn {:?} {}: {}",
                    check.requirements, test.name, check.message
                ),
                _ => {}
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    for (v, id, why) in KNOWN.iter().filter(|(v, _, _)| *v == version) {
        assert!(
            known_seen.iter().any(|ids| ids.iter().any(|r| r == id)),
            "{id} ({v}) passes now; remove it from KNOWN ({why})"
        );
    }
    let expected = if KNOWN.iter().any(|(v, _, _)| *v == version) {
        Verdict::NonConformant
    } else {
        Verdict::Conformant
    };
    assert_eq!(
        report.verdict.verdict, expected,
        "{}",
        report.verdict.reason
    );
}

#[tokio::test(flavor = "current_thread")]
async fn every_must_passes_against_the_reference_server_1_2() {
    let report = self_test(OcciVersion::V1_2, vec![]).await;
    assert_eq!(report.occi_version.as_deref(), Some("1.2"));
    assert_every_must_passes(&report);
    // Every JSON answer was held to the schema: the query interface, entities, collections.
    let schema: Vec<(String, String)> = report
        .tests
        .iter()
        .flat_map(|t| &t.checks)
        .filter(|c| c.message.contains("OCCI JSON schema"))
        .map(|c| (c.requirements.join(","), c.message.clone()))
        .collect();
    for (id, definition) in [
        ("QI-026", "#/definitions/model"),
        ("JSN-001", "#/definitions/resource"),
        ("JSN-001", "#/definitions/link"),
        ("JSN-009", "#/definitions/link_collection"),
    ] {
        assert!(
            schema.iter().any(|(ids, message)| ids == id
                && message.contains(definition)
                && message.starts_with("all ")),
            "{id} {definition}: {schema:#?}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_must_passes_against_the_reference_server_1_1() {
    let report = self_test(OcciVersion::V1_1, vec![]).await;
    assert_eq!(report.occi_version.as_deref(), Some("1.1"));
    assert_every_must_passes(&report);
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "diagnostics"]
async fn dump() {
    let version = if std::env::var("DUMP_11").is_ok() {
        OcciVersion::V1_1
    } else {
        OcciVersion::V1_2
    };
    let report = self_test(version, vec![]).await;
    for test in &report.tests {
        for check in &test.checks {
            if matches!(
                check.outcome,
                Outcome::Fail | Outcome::Error | Outcome::Warn
            ) {
                println!(
                    "== {} {:?} {}",
                    check.outcome, check.requirements, check.message
                );
                for e in &check.exchanges {
                    println!(
                        "> {} {}\n{}",
                        e.request.method,
                        e.request.url,
                        e.request.body.clone().unwrap_or_default()
                    );
                    if let Some(r) = &e.response {
                        println!(
                            "< {} {:?}\n{}",
                            r.status,
                            r.headers,
                            r.body
                                .clone()
                                .unwrap_or_default()
                                .chars()
                                .take(600)
                                .collect::<String>()
                        );
                    }
                }
            }
        }
    }
}

/// A fixed run (read-only, the first query interface checks) with timings zeroed.
async fn fixed_run() -> RunReport {
    let mut report = self_test_with(
        OcciVersion::V1_2,
        vec![Profile::Core, Profile::Occi12],
        false,
        vec!["QI-00?".to_owned(), "ENT-001".to_owned()],
    )
    .await;
    "2025-01-31T12:00:00Z".clone_into(&mut report.started_at);
    report.duration_ms = 0;
    for test in &mut report.tests {
        test.duration_ms = 0;
        for check in &mut test.checks {
            for exchange in &mut check.exchanges {
                exchange.duration_ms = 0;
            }
        }
    }
    report.recompute();
    report
}

#[tokio::test(flavor = "current_thread")]
async fn snapshots_of_a_fixed_run() {
    use occi_conformance::reporters::{human, junit};
    let report = fixed_run().await;
    insta::assert_snapshot!(
        "fixed_run_human",
        human::render(
            &report,
            human::HumanOptions {
                color: false,
                verbose: true
            }
        )
    );
    insta::assert_snapshot!("fixed_run_junit", junit::render(&report));
    insta::assert_snapshot!("fixed_run_json", report.to_json());
}
