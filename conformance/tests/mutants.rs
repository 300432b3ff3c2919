//! Mutants: wrappers around the reference server that each break one OCCI requirement (or a
//! small, related set of them). The whole suite runs against every mutant — every profile,
//! mutations allowed, strict (so that SHOULD failures count) — and the requirement ids that
//! fail must be exactly the ones the mutant declares (the unmodified reference server fails
//! nothing, even in strict mode). Nothing may end in a harness error.
//!
//! A mutant that is not caught means a check is missing or too weak; one that fails more
//! than it declares means a check is not specific enough (or the mutant is too blunt).

mod common;
#[path = "mutants/kit.rs"]
mod kit;
#[path = "mutants/list.rs"]
mod list;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use occi_conformance::outcome::Outcome;
use occi_conformance::results::{RunOptions, RunReport};
use occi_conformance::runner::{RunConfig, run};
use occi_conformance::transport::ServiceTransport;
use occi_server::occi_model::OcciVersion;

use common::requirements_with;
use kit::{BASE, Mutant, MutantService, reference};

fn version_str(version: OcciVersion) -> &'static str {
    match version {
        OcciVersion::V1_1 => "1.1",
        OcciVersion::V1_2 => "1.2",
    }
}

async fn run_against(mutant: Option<&Mutant>, version: OcciVersion) -> RunReport {
    let service = MutantService::new(
        reference(version),
        mutant.map_or_else(kit::identity, |m| m.hook.clone()),
    );
    let transport = Arc::new(ServiceTransport::new(service, BASE));
    let config = RunConfig {
        target: BASE.to_owned(),
        profiles: vec![],
        options: RunOptions {
            strict: true,
            allow_mutation: true,
            timeout_ms: 10_000,
            ..RunOptions::default()
        },
        run_id: Some("mutants".to_owned()),
    };
    run(transport, &config, &mut |_, _, _| {}).await
}

/// Why a failing requirement failed: the first failing check's message.
fn reasons(report: &RunReport, ids: &BTreeSet<String>) -> String {
    let mut out = String::new();
    for id in ids {
        let check = report.tests.iter().flat_map(|t| &t.checks).find(|c| {
            matches!(c.outcome, Outcome::Fail | Outcome::Error) && c.requirements.contains(id)
        });
        if let Some(c) = check {
            let _ = write!(
                out,
                "\n      {id}: {} (expected {:?}, actual {:?})",
                c.message,
                c.expected,
                c.actual
                    .as_deref()
                    .map(|a| a.chars().take(160).collect::<String>())
            );
        }
    }
    out
}

struct Row {
    mutant: &'static str,
    what: &'static str,
    version: &'static str,
    declared: BTreeSet<String>,
    observed: BTreeSet<String>,
    errors: BTreeSet<String>,
    detail: String,
}

impl Row {
    fn ok(&self) -> bool {
        self.declared == self.observed && self.errors.is_empty()
    }
}

fn join(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "-".to_owned()
    } else {
        set.iter().cloned().collect::<Vec<_>>().join(" ")
    }
}

fn check_one(mutant: &Mutant, version: OcciVersion) -> Row {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(run_against(Some(mutant), version));
    let declared: BTreeSet<String> = mutant
        .breaks(version)
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let observed = requirements_with(&report, Outcome::Fail);
    let errors = requirements_with(&report, Outcome::Error);
    let odd: BTreeSet<String> = observed
        .symmetric_difference(&declared)
        .cloned()
        .chain(errors.iter().cloned())
        .collect();
    Row {
        mutant: mutant.name,
        what: mutant.what,
        version: version_str(version),
        declared,
        observed,
        errors,
        detail: reasons(&report, &odd),
    }
}

#[test]
fn the_reference_server_fails_nothing_even_in_strict_mode() {
    for version in [OcciVersion::V1_2, OcciVersion::V1_1] {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let report = runtime.block_on(run_against(None, version));
        assert_eq!(requirements_with(&report, Outcome::Fail), BTreeSet::new());
        assert!(requirements_with(&report, Outcome::Error).is_empty());
    }
}

#[test]
fn every_mutant_fails_exactly_what_it_breaks() {
    let mutants = list::mutants();
    let mut names = BTreeSet::new();
    for m in &mutants {
        assert!(names.insert(m.name), "two mutants are named {}", m.name);
        assert!(
            m.versions().next().is_some(),
            "{} runs against no version",
            m.name
        );
    }
    assert!(mutants.len() >= 30, "only {} mutants", mutants.len());
    let filter = std::env::var("MUTANT").ok();
    let jobs: Vec<(&Mutant, OcciVersion)> = mutants
        .iter()
        .filter(|m| filter.as_deref().is_none_or(|f| m.name.contains(f)))
        .flat_map(|m| m.versions().map(move |v| (m, v)))
        .collect();
    let rows: Vec<Row> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(8).max(1))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(m, v)| check_one(m, *v))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a mutant run panicked"))
            .collect()
    });
    let bad = rows.iter().filter(|r| !r.ok()).count();
    if bad > 0 || std::env::var("MUTANT_TABLE").is_ok() {
        let mut table = format!(
            "{:<34} {:<4} {:<40} {:<40} {}\n",
            "mutant", "ver", "declared", "observed", "errors"
        );
        for r in &rows {
            let _ = writeln!(
                table,
                "{} {:<32} {:<4} {:<40} {:<40} {}{}",
                if r.ok() { ' ' } else { '!' },
                r.mutant,
                r.version,
                join(&r.declared),
                join(&r.observed),
                join(&r.errors),
                if r.ok() {
                    String::new()
                } else {
                    format!("\n      ({}){}", r.what, r.detail)
                }
            );
        }
        assert!(bad == 0, "{bad} mutant run(s) not caught exactly:\n{table}");
        println!("{table}");
    }
}

fn mutant(name: &str) -> Mutant {
    list::mutants()
        .into_iter()
        .find(|m| m.name == name)
        .expect("a mutant of that name")
}

/// The filter pair: a server that reads filter header fields only under
/// `Content-Type: text/occi` (PySSF) passes every filter requirement, which holds only because
/// every filtering request the suite sends says so.
#[test]
fn every_filter_request_says_content_type_text_occi() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(run_against(
        Some(&mutant("filters-only-with-text-occi")),
        OcciVersion::V1_1,
    ));
    let filters: Vec<_> = report
        .tests
        .iter()
        .flat_map(|t| &t.checks)
        .flat_map(|c| &c.exchanges)
        .filter(|e| e.request.method == "GET")
        .filter(|e| {
            e.request.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case("category")
                    || h.name.eq_ignore_ascii_case("x-occi-attribute")
            })
        })
        .collect();
    assert!(filters.len() >= 5, "{} filtering requests", filters.len());
    for e in filters {
        assert!(
            e.request
                .headers
                .iter()
                .any(|h| { h.name.eq_ignore_ascii_case("content-type") && h.value == "text/occi" }),
            "a filter without Content-Type: text/occi: {:?}",
            e.request
        );
    }
}

/// The JSON schema catches what occi-render accepts, even strictly: a Link whose id is only
/// the `occi.core.id` attribute. The strict parse of LNK-010 passes; only the schema check
/// fails, pointing at the missing member.
#[test]
fn a_link_id_only_in_attributes_fails_the_schema_check_alone() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(run_against(
        Some(&mutant("json-link-id-only-in-attributes")),
        OcciVersion::V1_2,
    ));
    let failing: Vec<_> = report
        .tests
        .iter()
        .flat_map(|t| &t.checks)
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    assert_eq!(failing.len(), 1, "{failing:#?}");
    let check = failing[0];
    assert_eq!(check.requirements, ["JSN-001"]);
    assert!(
        check.message.contains("OCCI JSON schema"),
        "{}",
        check.message
    );
    assert!(!check.exchanges.is_empty());
    assert!(
        check.deviations.iter().any(
            |d| d.message.contains("at /: \"id\" is a required property")
                && d.message.contains("(schema /definitions/link/required)")
        ),
        "{:#?}",
        check.deviations
    );
}
