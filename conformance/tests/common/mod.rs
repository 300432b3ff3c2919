//! A fixed, hand-built run report shared by the integration tests, and readers of run
//! reports.

#![allow(dead_code)]

use occi_conformance::catalogue::{Catalogue, Profile};
use occi_conformance::exchange::{Exchange, Header, HttpRequest, HttpResponse};
use occi_conformance::outcome::{CheckResult, Deviation, Outcome, TestResult};
use occi_conformance::results::{RequirementInfo, RunOptions, RunReport, Tool};

/// A run against `http://occi.example:8080` with every kind of outcome.
pub(crate) fn sample_report() -> RunReport {
    let catalogue = Catalogue::embedded();
    let mut report = RunReport::new(
        "http://occi.example:8080",
        vec![Profile::Core, Profile::TextPlain, Profile::Occi11],
        RunOptions {
            strict: false,
            allow_mutation: true,
            only: vec![],
            skip: vec!["INF-*".to_owned()],
            timeout_ms: 10_000,
            header_names: vec!["X-Auth-Token".to_owned()],
            ..RunOptions::default()
        },
    );
    report.tool = Tool {
        name: "occi-conformance".to_owned(),
        version: "0.1.0".to_owned(),
    };
    "2025-01-31T12:00:00Z".clone_into(&mut report.started_at);
    report.duration_ms = 1_234;
    report.occi_version = Some("1.1".to_owned());
    report.target_reachable = true;
    for id in [
        "QI-001", "QI-009", "QI-010", "ENT-001", "ENT-009", "ERR-008", "ERR-017",
    ] {
        let r = catalogue.get(id).expect("known id");
        report
            .requirements
            .push(RequirementInfo::from_requirement(r, r.level));
    }

    report.tests = tests();
    report.recompute();
    report
}

fn discovery() -> Exchange {
    Exchange {
        request: HttpRequest {
            method: "GET".to_owned(),
            url: "http://occi.example:8080/-/".to_owned(),
            headers: vec![Header::new("Accept", "text/plain")],
            body: None,
        },
        response: Some(HttpResponse {
            status: 200,
            headers: vec![
                Header::new("Content-Type", "text/plain"),
                Header::new("Server", "example OCCI/1.1"),
            ],
            body: Some(
                "Category: entity; scheme=\"http://schemas.ogf.org/occi/core#\"; class=\"kind\";\n"
                    .to_owned(),
            ),
        }),
        duration_ms: 12,
        transport_error: None,
    }
}

fn create() -> Exchange {
    Exchange {
        request: HttpRequest {
            method: "POST".to_owned(),
            url: "http://occi.example:8080/compute/".to_owned(),
            headers: vec![
                Header::new("Content-Type", "text/plain"),
                Header::new("X-Auth-Token", "very-secret-token"),
            ],
            body: Some(
                "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\n\
                 X-OCCI-Attribute: occi.core.title=\"it's $HOME\""
                    .to_owned(),
            ),
        },
        response: Some(HttpResponse {
            status: 500,
            headers: vec![Header::new("Content-Type", "text/html")],
            body: Some("<script>alert('owned')</script>".to_owned()),
        }),
        duration_ms: 40,
        transport_error: None,
    }
}

fn timeout() -> Exchange {
    Exchange {
        request: HttpRequest {
            method: "GET".to_owned(),
            url: "http://occi.example:8080/-/".to_owned(),
            headers: vec![Header::new("User-Agent", "conformance OCCI/9.9")],
            body: None,
        },
        response: None,
        duration_ms: 10_000,
        transport_error: Some("timed out after 10 s".to_owned()),
    }
}

fn tests() -> Vec<TestResult> {
    let (discovery, create, timeout) = (discovery(), create(), timeout());
    vec![
        TestResult::new(
            "qi.discovery",
            "The query interface lists the categories",
            "QI",
            30,
            vec![
                CheckResult::new(["QI-001"], Outcome::Pass, "GET /-/ answered 200 text/plain")
                    .exchange(discovery.clone()),
                CheckResult::new(
                    ["QI-009"],
                    Outcome::PassLenient,
                    "attribute lists parse leniently",
                )
                .deviations([Deviation::at(
                    1,
                    76,
                    "trailing ';' after the last parameter",
                )])
                .exchange(discovery),
            ],
        ),
        TestResult::new(
            "qi.well-known",
            "The well-known query interface",
            "QI",
            0,
            vec![CheckResult::new(
                ["QI-010"],
                Outcome::Skip,
                "not advertised by the server",
            )],
        ),
        TestResult::new(
            "ent.create",
            "A compute can be created <b>bold</b>",
            "ENT",
            45,
            vec![
                CheckResult::new(
                    ["ENT-001", "ERR-017"],
                    Outcome::Fail,
                    "creating a compute failed",
                )
                .expected_actual(
                    "201 with Location, or 200 with a rendering",
                    "500 text/html",
                )
                .exchange(create),
            ],
        ),
        TestResult::new(
            "ent.unknown-kind",
            "An unknown Kind is refused",
            "ENT",
            8,
            vec![
                CheckResult::new(
                    ["ENT-009"],
                    Outcome::Warn,
                    "an unknown Kind was answered 422",
                )
                .expected_actual("400 or 404", "422"),
            ],
        ),
        TestResult::new(
            "err.version",
            "A higher OCCI version is refused",
            "ERR",
            10_000,
            vec![
                CheckResult::new(["ERR-008"], Outcome::Error, "the request timed out")
                    .exchange(timeout),
            ],
        ),
    ]
}

/// The requirement ids whose combined outcome in `report` is `outcome`.
pub(crate) fn requirements_with(
    report: &RunReport,
    outcome: Outcome,
) -> std::collections::BTreeSet<String> {
    requirements_in(report, &[outcome])
}

/// The ids of the requirements whose outcome is one of `outcomes`.
pub(crate) fn requirements_in(
    report: &RunReport,
    outcomes: &[Outcome],
) -> std::collections::BTreeSet<String> {
    report
        .requirements
        .iter()
        .filter(|r| r.outcome.is_some_and(|o| outcomes.contains(&o)))
        .map(|r| r.id.clone())
        .collect()
}

/// A two-worker tokio runtime, for tests that serve components and run the suite in one
/// process.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The first check of `report` naming requirement `id`.
pub(crate) fn check_of<'r>(report: &'r RunReport, id: &str) -> &'r CheckResult {
    report
        .tests
        .iter()
        .flat_map(|t| &t.checks)
        .find(|c| c.requirements.iter().any(|r| r == id))
        .unwrap_or_else(|| panic!("no check names {id}"))
}
