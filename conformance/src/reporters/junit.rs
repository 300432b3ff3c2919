//! The JUnit XML report.
//!
//! One `<testsuite>` per assertion group and one `<testcase>` per test. A failed test is a
//! `<failure>`, a harness or network error an `<error>` (never a failure), a skipped test is
//! `<skipped>` with its reason. Warnings and lenient passes are successes whose details are in
//! `<system-out>`. Every test case carries a `requirement` property per requirement id and an
//! `outcome` property.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::human::check_detail;
use super::{group_heading, tests_by_group};
use crate::outcome::{Outcome, TestResult};
use crate::results::RunReport;

/// Renders the report as JUnit XML.
pub fn render(report: &RunReport) -> String {
    let mut junit = Report::new(format!("{} {}", report.tool.name, report.target));
    junit.set_time(Duration::from_millis(report.duration_ms));
    for (group, tests) in tests_by_group(report) {
        let mut suite = TestSuite::new(group_heading(group));
        suite.add_property(Property::new("target", report.target.as_str()));
        suite.add_property(Property::new("started_at", report.started_at.as_str()));
        for test in tests {
            suite.add_test_case(test_case(report, test));
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().expect("a JUnit report serialises")
}

fn test_case(report: &RunReport, test: &TestResult) -> TestCase {
    let details: String = test
        .checks
        .iter()
        .filter(|c| c.outcome.needs_detail())
        .map(|c| check_detail(report, c))
        .collect();
    let first_message = |outcome: Outcome| {
        test.checks
            .iter()
            .find(|c| c.outcome == outcome)
            .map_or_else(String::new, |c| c.message.clone())
    };
    let status = match test.outcome {
        Outcome::Fail | Outcome::Error => {
            let kind = if test.outcome == Outcome::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            status.set_message(first_message(test.outcome));
            status.set_type(test.outcome.as_str());
            status.set_description(details.as_str());
            status
        }
        Outcome::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(first_message(Outcome::Skip));
            status
        }
        Outcome::Pass | Outcome::PassLenient | Outcome::Warn => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(test.name.as_str(), status);
    case.set_classname(test.group.as_str());
    case.set_time(Duration::from_millis(test.duration_ms));
    case.set_assertions(test.checks.len());
    for id in test.requirement_ids() {
        case.add_property(Property::new("requirement", id));
    }
    case.add_property(Property::new("outcome", test.outcome.as_str()));
    if matches!(test.outcome, Outcome::PassLenient | Outcome::Warn) && !details.is_empty() {
        case.set_system_out(details.as_str());
    }
    case
}
