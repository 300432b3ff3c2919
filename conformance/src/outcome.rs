//! Outcomes of checks and tests.
//!
//! A test is a sequence of small checks; each check names the requirement ids it verifies and
//! ends with one [`Outcome`]. A check that sees a requirement broken reports
//! [`Outcome::Fail`]; [`grade`] then turns that into the outcome the requirement's level calls
//! for (a broken SHOULD is a warning unless the run is strict, a broken MAY is a warning).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalogue::Level;
use crate::exchange::Exchange;

/// The outcome of a check, a test or a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The behaviour meets the requirement.
    Pass,
    /// The behaviour meets the requirement only under lenient parsing; the deviations are listed.
    PassLenient,
    /// A SHOULD (or MAY) requirement is not met.
    Warn,
    /// A requirement is not met: a non-conformance.
    Fail,
    /// Not checked, with a reason (for example "not advertised").
    Skip,
    /// The harness or the network failed; says nothing about conformance.
    Error,
}

impl Outcome {
    /// Every outcome, in report column order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Pass,
        Outcome::PassLenient,
        Outcome::Warn,
        Outcome::Fail,
        Outcome::Skip,
        Outcome::Error,
    ];

    /// The name used in the results file (`pass`, `pass-lenient`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::PassLenient => "pass-lenient",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
        }
    }

    /// A short upper-case label for terminal output.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::PassLenient => "LENIENT",
            Outcome::Warn => "WARN",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
            Outcome::Error => "ERROR",
        }
    }

    /// How much the outcome weighs when several are combined: the combination of checks into a
    /// test, or of all checks naming a requirement, is the one with the highest severity.
    ///
    /// From lowest to highest: skip, pass, pass-lenient, warn, error, fail.
    pub fn severity(self) -> u8 {
        match self {
            Outcome::Skip => 0,
            Outcome::Pass => 1,
            Outcome::PassLenient => 2,
            Outcome::Warn => 3,
            Outcome::Error => 4,
            Outcome::Fail => 5,
        }
    }

    /// The most severe of `outcomes`, or `None` when there are none.
    pub fn worst(outcomes: impl IntoIterator<Item = Outcome>) -> Option<Outcome> {
        outcomes.into_iter().max_by_key(|o| o.severity())
    }

    /// Whether the outcome needs explaining in a report (anything but pass).
    pub fn needs_detail(self) -> bool {
        self != Outcome::Pass
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome a check reports for a requirement of `level`, given what it observed.
///
/// - A failure of a MUST stays a failure.
/// - A failure of a SHOULD is a warning, or a failure when `strict` is set; a warning of a
///   SHOULD is also a failure in strict mode.
/// - A failure of a MAY is a warning: MAY entries are informational.
/// - Every other outcome is kept.
///
/// ```
/// use occi_conformance::catalogue::Level;
/// use occi_conformance::outcome::{grade, Outcome};
///
/// assert_eq!(grade(Outcome::Fail, Level::Should, false), Outcome::Warn);
/// assert_eq!(grade(Outcome::Fail, Level::Should, true), Outcome::Fail);
/// assert_eq!(grade(Outcome::Fail, Level::May, true), Outcome::Warn);
/// ```
pub fn grade(observed: Outcome, level: Level, strict: bool) -> Outcome {
    match (observed, level) {
        (Outcome::Fail | Outcome::Warn, Level::Should) if strict => Outcome::Fail,
        (Outcome::Fail, Level::Should | Level::May) => Outcome::Warn,
        (other, _) => other,
    }
}

/// A position in a message body: 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The line, counting from 1.
    pub line: u32,
    /// The column in characters, counting from 1.
    pub column: u32,
}

/// Something lenient parsing forgave, such as a trailing `;` or an unquoted string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deviation {
    /// Where in the body it is, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// What was forgiven, in plain words.
    pub message: String,
}

impl Deviation {
    /// A deviation at `line`:`column`.
    pub fn at(line: u32, column: u32, message: impl Into<String>) -> Self {
        Self {
            position: Some(Position { line, column }),
            message: message.into(),
        }
    }

    /// A deviation without a position.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            position: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "line {}, column {}: {}", p.line, p.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The requirement ids the check verifies.
    pub requirements: Vec<String>,
    /// The outcome, already graded by level (see [`grade`]).
    pub outcome: Outcome,
    /// What was checked, or why it did not pass; for skips and errors, the reason.
    pub message: String,
    /// What the requirement expects, when it did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the server did instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// What lenient parsing forgave (for pass-lenient).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deviations: Vec<Deviation>,
    /// The exchanges the check is based on, redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
}

impl CheckResult {
    /// A check result with only requirement ids, outcome and message.
    pub fn new<S: Into<String>>(
        requirements: impl IntoIterator<Item = S>,
        outcome: Outcome,
        message: impl Into<String>,
    ) -> Self {
        Self {
            requirements: requirements.into_iter().map(Into::into).collect(),
            outcome,
            message: message.into(),
            expected: None,
            actual: None,
            deviations: Vec::new(),
            exchanges: Vec::new(),
        }
    }

    /// Sets expected and actual.
    #[must_use]
    pub fn expected_actual(
        mut self,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }

    /// Adds an exchange, redacting it first.
    #[must_use]
    pub fn exchange(mut self, mut exchange: Exchange) -> Self {
        exchange.redact();
        self.exchanges.push(exchange);
        self
    }

    /// Adds deviations.
    #[must_use]
    pub fn deviations(mut self, deviations: impl IntoIterator<Item = Deviation>) -> Self {
        self.deviations.extend(deviations);
        self
    }
}

/// The result of one test: a named sequence of checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test's stable name (for example `qi.discovery`).
    pub name: String,
    /// A one-line description.
    pub title: String,
    /// The assertion group the test belongs to (`QI`, `ENT`, ...).
    pub group: String,
    /// The combined outcome: the most severe of the checks, or skip when there are none.
    pub outcome: Outcome,
    /// How long the test took, in milliseconds.
    pub duration_ms: u64,
    /// The checks, in the order they ran.
    pub checks: Vec<CheckResult>,
}

impl TestResult {
    /// A test result; the outcome is computed from the checks.
    pub fn new(
        name: impl Into<String>,
        title: impl Into<String>,
        group: impl Into<String>,
        duration_ms: u64,
        checks: Vec<CheckResult>,
    ) -> Self {
        let mut test = Self {
            name: name.into(),
            title: title.into(),
            group: group.into(),
            outcome: Outcome::Skip,
            duration_ms,
            checks,
        };
        test.recompute();
        test
    }

    /// Recomputes [`TestResult::outcome`] from the checks.
    pub fn recompute(&mut self) {
        self.outcome =
            Outcome::worst(self.checks.iter().map(|c| c.outcome)).unwrap_or(Outcome::Skip);
    }

    /// The requirement ids named by the checks, each once, in first-seen order.
    pub fn requirement_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for id in self.checks.iter().flat_map(|c| &c.requirements) {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grading_table() {
        use Level::{May, Must, Should};
        use Outcome::{Error, Fail, Pass, PassLenient, Skip, Warn};
        let cases = [
            (Fail, Must, false, Fail),
            (Fail, Must, true, Fail),
            (Fail, Should, false, Warn),
            (Fail, Should, true, Fail),
            (Warn, Should, true, Fail),
            (Warn, Should, false, Warn),
            (Fail, May, false, Warn),
            (Fail, May, true, Warn),
            (Warn, Must, true, Warn),
            (Pass, Should, true, Pass),
            (PassLenient, Must, true, PassLenient),
            (Skip, Must, false, Skip),
            (Error, Should, true, Error),
        ];
        for (observed, level, strict, expected) in cases {
            assert_eq!(
                grade(observed, level, strict),
                expected,
                "{observed} {level} {strict}"
            );
        }
    }

    #[test]
    fn worst_and_test_outcome() {
        assert_eq!(Outcome::worst([]), None);
        assert_eq!(
            Outcome::worst([Outcome::Pass, Outcome::Skip, Outcome::PassLenient]),
            Some(Outcome::PassLenient)
        );
        assert_eq!(
            Outcome::worst([Outcome::Error, Outcome::Fail]),
            Some(Outcome::Fail)
        );
        assert_eq!(
            Outcome::worst([Outcome::Warn, Outcome::Error]),
            Some(Outcome::Error)
        );

        let test = TestResult::new(
            "t",
            "T",
            "QI",
            1,
            vec![
                CheckResult::new(["QI-001"], Outcome::Pass, "ok"),
                CheckResult::new(["QI-001", "QI-002"], Outcome::Warn, "meh"),
            ],
        );
        assert_eq!(test.outcome, Outcome::Warn);
        assert_eq!(test.requirement_ids(), ["QI-001", "QI-002"]);
        assert_eq!(
            TestResult::new("e", "E", "QI", 0, vec![]).outcome,
            Outcome::Skip
        );
    }

    #[test]
    fn deviation_display() {
        assert_eq!(
            Deviation::at(3, 17, "trailing ';'").to_string(),
            "line 3, column 17: trailing ';'"
        );
        assert_eq!(
            Deviation::new("LF line endings").to_string(),
            "LF line endings"
        );
    }
}
