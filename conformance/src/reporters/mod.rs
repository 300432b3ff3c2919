//! Reports rendered from a [`RunReport`].
//!
//! - [`human`]: terminal text grouped by assertion group, with every non-passing check
//!   explained: requirement text, expected versus actual, deviations, the exchange and a
//!   `curl` command that replays it;
//! - [`junit`]: JUnit XML for CI systems, keeping failures and errors distinct;
//! - [`html`]: one self-contained HTML file with a summary table and the evidence of each test.

pub mod html;
pub mod human;
pub mod junit;

use crate::catalogue::{group_rank, group_title};
use crate::outcome::TestResult;
use crate::results::RunReport;

/// The tests of a report grouped by assertion group, groups in catalogue order.
pub fn tests_by_group(report: &RunReport) -> Vec<(&str, Vec<&TestResult>)> {
    let mut groups: Vec<(&str, Vec<&TestResult>)> = Vec::new();
    for test in &report.tests {
        match groups.iter_mut().find(|(g, _)| *g == test.group) {
            Some((_, tests)) => tests.push(test),
            None => groups.push((&test.group, vec![test])),
        }
    }
    groups.sort_by_key(|(g, _)| (group_rank(g), g.to_string()));
    groups
}

/// The heading of a group: `QI: Query interface`, or the bare group for unknown groups.
pub fn group_heading(group: &str) -> String {
    match group_title(group) {
        Some(title) => format!("{group}: {title}"),
        None => group.to_owned(),
    }
}

/// Milliseconds as seconds with three decimals (`1234` gives `1.234 s`).
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}
