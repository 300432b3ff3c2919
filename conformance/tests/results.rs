//! The results file, the verdict, and the reports rendered from a fixed run.

mod common;

use common::sample_report;
use occi_conformance::catalogue::Level;
use occi_conformance::exchange::REDACTED;
use occi_conformance::outcome::{CheckResult, Outcome, TestResult};
use occi_conformance::reporters::{html, human, junit};
use occi_conformance::results::{
    FORMAT_VERSION, RequirementInfo, ResultsErrorKind, RunOptions, RunReport, Verdict,
};

#[test]
fn json_round_trip() {
    let report = sample_report();
    let text = report.to_json();
    let back = RunReport::from_json(&text).unwrap();
    assert_eq!(back, report);
    assert_eq!(back.to_json(), text);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["format_version"], FORMAT_VERSION);
    assert_eq!(value["verdict"]["verdict"], "non-conformant");
    assert_eq!(value["tests"][0]["checks"][1]["outcome"], "pass-lenient");
    assert_eq!(value["summary"]["requirements"]["MUST"]["fail"], 2);
}

#[test]
fn a_results_file_snapshot() {
    insta::assert_snapshot!("results_json", sample_report().to_json());
}

#[test]
fn unsupported_and_malformed_files_are_rejected() {
    let mut value: serde_json::Value = serde_json::from_str(&sample_report().to_json()).unwrap();
    value["format_version"] = 2.into();
    let err = RunReport::from_json(&value.to_string()).unwrap_err();
    assert_eq!(err.kind(), ResultsErrorKind::UnsupportedVersion);
    assert!(err.to_string().contains("version 2"), "{err}");

    let err = RunReport::from_json("{\"tests\": []}").unwrap_err();
    assert_eq!(err.kind(), ResultsErrorKind::Syntax);
    let err = RunReport::from_json("not json").unwrap_err();
    assert_eq!(err.kind(), ResultsErrorKind::Syntax);
}

#[test]
fn derived_fields_are_recomputed_on_load() {
    let mut value: serde_json::Value = serde_json::from_str(&sample_report().to_json()).unwrap();
    value["verdict"]["verdict"] = "conformant".into();
    value["verdict"]["exit_code"] = 0.into();
    value["summary"]["checks"]["fail"] = 0.into();
    let report = RunReport::from_json(&value.to_string()).unwrap();
    assert_eq!(report.verdict.verdict, Verdict::NonConformant);
    assert_eq!(report.verdict.exit_code, 1);
    assert_eq!(report.summary.checks.fail, 1);
}

#[test]
fn secrets_never_reach_the_results_file() {
    let text = sample_report().to_json();
    assert!(!text.contains("very-secret-token"));
    assert!(text.contains(REDACTED));
}

fn report_with(reachable: bool, outcomes: &[(Level, Outcome)]) -> RunReport {
    let mut report = RunReport::new("http://h", vec![], RunOptions::default());
    report.target_reachable = reachable;
    let mut checks = Vec::new();
    for (i, (level, outcome)) in outcomes.iter().enumerate() {
        let id = format!("QI-{:03}", i + 1);
        report.requirements.push(RequirementInfo {
            id: id.clone(),
            level: *level,
            group: "QI".to_owned(),
            document: "GFD.185".to_owned(),
            section: "3.4.1".to_owned(),
            statement: "A statement.".to_owned(),
            outcome: None,
        });
        checks.push(CheckResult::new([id], *outcome, "m"));
    }
    report
        .tests
        .push(TestResult::new("t", "T", "QI", 1, checks));
    report.recompute();
    report
}

#[test]
fn verdict_and_exit_code_known_answers() {
    use Level::{May, Must, Should};
    use Outcome::{Error, Fail, Pass, PassLenient, Skip, Warn};
    type Case<'a> = (bool, &'a [(Level, Outcome)], Verdict, u8);
    let cases: &[Case<'_>] = &[
        (true, &[(Must, Pass)], Verdict::Conformant, 0),
        (true, &[], Verdict::Conformant, 0),
        (
            true,
            &[(Must, PassLenient), (Should, Warn), (May, Warn)],
            Verdict::Conformant,
            0,
        ),
        (true, &[(Must, Pass), (Must, Skip)], Verdict::Conformant, 0),
        (true, &[(Must, Fail)], Verdict::NonConformant, 1),
        (true, &[(Should, Fail)], Verdict::NonConformant, 1),
        (
            true,
            &[(Must, Fail), (Must, Error)],
            Verdict::NonConformant,
            1,
        ),
        (true, &[(Must, Error)], Verdict::Inconclusive, 3),
        (
            true,
            &[(Should, Error), (Must, Pass)],
            Verdict::Conformant,
            0,
        ),
        (false, &[(Must, Error)], Verdict::Unreachable, 3),
        (false, &[], Verdict::Unreachable, 3),
    ];
    for (reachable, outcomes, verdict, code) in cases {
        let report = report_with(*reachable, outcomes);
        assert_eq!(report.verdict.verdict, *verdict, "{outcomes:?}");
        assert_eq!(report.verdict.exit_code, *code, "{outcomes:?}");
        assert_eq!(verdict.exit_code(), *code);
    }
}

#[test]
fn summary_counts_requirements_by_level() {
    let report = sample_report();
    let must = report.summary.requirements[&Level::Must];
    // QI-001 pass, QI-009 pass-lenient, ENT-001 and ERR-017 fail, ERR-008 error.
    assert_eq!(
        (must.pass, must.pass_lenient, must.fail, must.error),
        (1, 1, 2, 1)
    );
    let should = report.summary.requirements[&Level::Should];
    assert_eq!((should.warn, should.skip), (1, 1));
    assert_eq!(report.summary.tests.total(), 5);
    assert_eq!(report.summary.checks.total(), 6);
    assert_eq!(
        report.requirement("ENT-001").unwrap().outcome,
        Some(Outcome::Fail)
    );
}

#[test]
fn human_report_snapshot() {
    let text = human::render(&sample_report(), human::HumanOptions::default());
    insta::assert_snapshot!("human", text);
}

#[test]
fn human_report_shows_the_evidence_of_a_failure() {
    let text = human::render(&sample_report(), human::HumanOptions::default());
    assert!(text.contains("expected: 201 with Location, or 200 with a rendering"));
    assert!(text.contains("actual:   500 text/html"));
    assert!(
        text.contains("ENT-001 (MUST fail, GFD.185 \u{a7}3.4.4): POST of a valid Kind rendering")
    );
    assert!(text.contains("replay: curl -sS -i -X POST"));
    assert!(text.contains("'X-Auth-Token: '\"$X_AUTH_TOKEN\""));
    assert!(!text.contains("very-secret-token"));
    assert!(!text.contains('\u{1b}'), "no colour codes unless asked");
    let coloured = human::render(
        &sample_report(),
        human::HumanOptions {
            color: true,
            verbose: false,
        },
    );
    assert!(coloured.contains('\u{1b}'));
}

#[test]
fn junit_report_snapshot() {
    insta::assert_snapshot!("junit", junit::render(&sample_report()));
}

#[test]
fn junit_keeps_failures_errors_and_skips_distinct() {
    let xml = junit::render(&sample_report());
    assert_eq!(xml.matches("<failure").count(), 1);
    assert_eq!(xml.matches("<error").count(), 1);
    assert_eq!(xml.matches("<skipped").count(), 1);
    assert!(xml.contains("not advertised by the server"));
    assert!(xml.contains("<property name=\"requirement\" value=\"ENT-001\"/>"));
    assert!(!xml.contains("<script>"));
}

#[test]
fn html_report_snapshot() {
    insta::assert_snapshot!("html", html::render(&sample_report()));
}

#[test]
fn html_report_escapes_everything_from_the_server() {
    let page = html::render(&sample_report());
    assert!(
        !page.contains("<script>"),
        "a response body must never become markup"
    );
    assert!(page.contains("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;"));
    assert!(!page.contains("<b>bold</b>"));
    assert!(page.contains("&lt;b&gt;bold&lt;/b&gt;"));
    assert!(!page.contains("very-secret-token"));
    assert!(
        !page.contains("src=") && !page.contains("href="),
        "no external assets"
    );
    assert!(page.contains("<table>"));
    for level in ["MUST", "SHOULD", "MAY"] {
        assert!(page.contains(&format!("<tr><td>{level}</td>")), "{level}");
    }
}
