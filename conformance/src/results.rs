//! The run report and its JSON results file.
//!
//! A [`RunReport`] is the single source of a run: the terminal, JUnit and HTML reports are all
//! rendered from it, and `occi-conformance report` re-renders one saved as JSON. The format is
//! documented field by field in `RESULTS-FORMAT.md`; [`FORMAT_VERSION`] is bumped whenever a
//! change could break a reader.
//!
//! The summary and the verdict are derived from the tests and the requirement levels; they are
//! written to the file for the convenience of readers and recomputed on load.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::catalogue::{Level, Profile, Requirement};
use crate::outcome::{Outcome, TestResult};

/// The version of the results format this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The program that produced a results file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// The program name (`occi-conformance`).
    pub name: String,
    /// Its version.
    pub version: String,
}

impl Tool {
    /// This program.
    pub fn current() -> Self {
        Self {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// The options a run was made with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    /// SHOULD failures count as failures.
    pub strict: bool,
    /// Requests that create, change or delete were allowed.
    pub allow_mutation: bool,
    /// The `--only` globs.
    #[serde(default)]
    pub only: Vec<String>,
    /// The `--skip` globs.
    #[serde(default)]
    pub skip: Vec<String>,
    /// The per-request timeout, in milliseconds.
    pub timeout_ms: u64,
    /// The names of the extra headers sent with every request (values are never recorded).
    #[serde(default)]
    pub header_names: Vec<String>,
    /// The target's TLS certificate was not verified (`--insecure`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
    /// The client certificate file presented to the target (`--cert`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
}

/// What the results file records about a requirement, so that it can be rendered without the
/// catalogue that was used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequirementInfo {
    /// The requirement id.
    pub id: String,
    /// The level that applied in this run.
    pub level: Level,
    /// The assertion group.
    pub group: String,
    /// The normative document.
    pub document: String,
    /// The section of the document.
    pub section: String,
    /// The requirement in one sentence.
    pub statement: String,
    /// The combined outcome of every check naming it; absent when no check named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl RequirementInfo {
    /// The information about `requirement` at `level` (see [`Requirement::level_for`]).
    pub fn from_requirement(requirement: &Requirement, level: Level) -> Self {
        Self {
            id: requirement.id.clone(),
            level,
            group: requirement.group.clone(),
            document: requirement.document.clone(),
            section: requirement.section.clone(),
            statement: requirement.statement.clone(),
            outcome: None,
        }
    }
}

/// How many of something ended in each outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Passed.
    pub pass: usize,
    /// Passed under lenient parsing.
    #[serde(rename = "pass-lenient")]
    pub pass_lenient: usize,
    /// Warnings.
    pub warn: usize,
    /// Failures.
    pub fail: usize,
    /// Skipped.
    pub skip: usize,
    /// Harness or network errors.
    pub error: usize,
}

impl OutcomeCounts {
    /// Counts one more `outcome`.
    pub fn add(&mut self, outcome: Outcome) {
        *self.slot(outcome) += 1;
    }

    /// The count for `outcome`.
    pub fn get(&self, outcome: Outcome) -> usize {
        match outcome {
            Outcome::Pass => self.pass,
            Outcome::PassLenient => self.pass_lenient,
            Outcome::Warn => self.warn,
            Outcome::Fail => self.fail,
            Outcome::Skip => self.skip,
            Outcome::Error => self.error,
        }
    }

    /// The sum over all outcomes.
    pub fn total(&self) -> usize {
        Outcome::ALL.iter().map(|o| self.get(*o)).sum()
    }

    fn slot(&mut self, outcome: Outcome) -> &mut usize {
        match outcome {
            Outcome::Pass => &mut self.pass,
            Outcome::PassLenient => &mut self.pass_lenient,
            Outcome::Warn => &mut self.warn,
            Outcome::Fail => &mut self.fail,
            Outcome::Skip => &mut self.skip,
            Outcome::Error => &mut self.error,
        }
    }
}

/// Counts of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Requirements by level and combined outcome; requirements no check named are not counted.
    pub requirements: BTreeMap<Level, OutcomeCounts>,
    /// Tests by outcome.
    pub tests: OutcomeCounts,
    /// Checks by outcome.
    pub checks: OutcomeCounts,
}

/// The verdict of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No check failed (exit code 0).
    Conformant,
    /// At least one check failed: a MUST, or a SHOULD in strict mode (exit code 1).
    NonConformant,
    /// The target never answered (exit code 3).
    Unreachable,
    /// Nothing failed, but a MUST requirement ended only in harness or network errors, so the
    /// run cannot vouch for it (exit code 3).
    Inconclusive,
}

impl Verdict {
    /// The process exit code for this verdict.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Conformant => 0,
            Verdict::NonConformant => 1,
            Verdict::Unreachable | Verdict::Inconclusive => 3,
        }
    }

    /// The verdict's name in the results file.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Conformant => "conformant",
            Verdict::NonConformant => "non-conformant",
            Verdict::Unreachable => "unreachable",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict with its exit code and a one-line reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictInfo {
    /// The verdict.
    pub verdict: Verdict,
    /// The process exit code.
    pub exit_code: u8,
    /// Why, in one line.
    pub reason: String,
}

/// A whole run: where, how, when, what was found, and the verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// The results format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The program that wrote the file.
    pub tool: Tool,
    /// The base URL under test.
    pub target: String,
    /// The OCCI version the target announced, if known (`1.1`, `1.2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occi_version: Option<String>,
    /// The selected profiles.
    pub profiles: Vec<Profile>,
    /// The run options.
    pub options: RunOptions,
    /// When the run started, RFC 3339 in UTC (`2025-01-31T12:00:00Z`).
    pub started_at: String,
    /// How long the run took, in milliseconds.
    pub duration_ms: u64,
    /// Whether the target answered at least one request.
    pub target_reachable: bool,
    /// The requirements in scope, with their combined outcomes.
    pub requirements: Vec<RequirementInfo>,
    /// The tests, in the order they ran.
    pub tests: Vec<TestResult>,
    /// Derived counts.
    pub summary: Summary,
    /// The derived verdict.
    pub verdict: VerdictInfo,
}

/// An error reading a results file.
#[derive(Debug)]
pub struct ResultsError {
    kind: ResultsErrorKind,
    message: String,
}

/// What went wrong reading a results file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResultsErrorKind {
    /// The text is not JSON of the results shape.
    Syntax,
    /// The file's `format_version` is not one this program reads.
    UnsupportedVersion,
}

impl ResultsError {
    /// What went wrong.
    pub fn kind(&self) -> ResultsErrorKind {
        self.kind
    }
}

impl fmt::Display for ResultsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ResultsError {}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: Option<u32>,
}

impl RunReport {
    /// An empty report of a run that starts now; add requirements and tests, then call
    /// [`RunReport::recompute`].
    pub fn new(target: impl Into<String>, profiles: Vec<Profile>, options: RunOptions) -> Self {
        let mut report = Self {
            format_version: FORMAT_VERSION,
            tool: Tool::current(),
            target: target.into(),
            occi_version: None,
            profiles,
            options,
            started_at: rfc3339_utc(SystemTime::now()),
            duration_ms: 0,
            target_reachable: false,
            requirements: Vec::new(),
            tests: Vec::new(),
            summary: Summary::default(),
            verdict: VerdictInfo {
                verdict: Verdict::Conformant,
                exit_code: 0,
                reason: String::new(),
            },
        };
        report.recompute();
        report
    }

    /// Recomputes the test outcomes, the requirement outcomes, the summary and the verdict.
    pub fn recompute(&mut self) {
        for test in &mut self.tests {
            test.recompute();
        }
        let mut by_id: BTreeMap<&str, Vec<Outcome>> = BTreeMap::new();
        let mut summary = Summary::default();
        for test in &self.tests {
            summary.tests.add(test.outcome);
            for check in &test.checks {
                summary.checks.add(check.outcome);
                for id in &check.requirements {
                    by_id.entry(id).or_default().push(check.outcome);
                }
            }
        }
        for requirement in &mut self.requirements {
            requirement.outcome = by_id
                .get(requirement.id.as_str())
                .and_then(|o| Outcome::worst(o.iter().copied()));
            if let Some(outcome) = requirement.outcome {
                summary
                    .requirements
                    .entry(requirement.level)
                    .or_default()
                    .add(outcome);
            }
        }
        self.summary = summary;
        self.verdict = self.compute_verdict();
    }

    fn compute_verdict(&self) -> VerdictInfo {
        let info = |verdict: Verdict, reason: String| VerdictInfo {
            verdict,
            exit_code: verdict.exit_code(),
            reason,
        };
        if !self.target_reachable {
            return info(
                Verdict::Unreachable,
                format!("the target {} never answered", self.target),
            );
        }
        let failed = self.summary.checks.fail;
        if failed > 0 {
            let must = self
                .summary
                .requirements
                .get(&Level::Must)
                .map_or(0, |c| c.fail);
            let should = self
                .summary
                .requirements
                .get(&Level::Should)
                .map_or(0, |c| c.fail);
            return info(
                Verdict::NonConformant,
                format!(
                    "{failed} failed check(s): {must} MUST and {should} SHOULD requirement(s) not met"
                ),
            );
        }
        let must_errors = self
            .summary
            .requirements
            .get(&Level::Must)
            .map_or(0, |c| c.error);
        if must_errors > 0 {
            return info(
                Verdict::Inconclusive,
                format!(
                    "nothing failed, but {must_errors} MUST requirement(s) could not be checked \
                     because of harness or network errors"
                ),
            );
        }
        let warnings = self.summary.checks.warn;
        let assessed: usize = self
            .summary
            .requirements
            .values()
            .map(|c| c.total() - c.skip)
            .sum();
        let must_skipped = self
            .summary
            .requirements
            .get(&Level::Must)
            .map_or(0, |c| c.skip);
        let mut reason = if must_skipped == 0 {
            "no requirement failed".to_owned()
        } else {
            // A partial run must not read like a full one.
            format!(
                "conformant on the {assessed} requirement(s) checked; {must_skipped} MUST \
                 requirement(s) were not assessed{}",
                if self.options.allow_mutation {
                    " (see their skip reasons)"
                } else {
                    " (most need --allow-mutation)"
                }
            )
        };
        if warnings > 0 {
            let _ = write!(reason, "; {warnings} warning(s)");
        }
        info(Verdict::Conformant, reason)
    }

    /// The requirement information for `id`, if it is in scope.
    pub fn requirement(&self, id: &str) -> Option<&RequirementInfo> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The results file text: pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a report serialises");
        text.push('\n');
        text
    }

    /// Reads a results file, checks its format version, and recomputes the derived fields.
    pub fn from_json(text: &str) -> Result<RunReport, ResultsError> {
        let probe: VersionProbe = serde_json::from_str(text).map_err(|e| ResultsError {
            kind: ResultsErrorKind::Syntax,
            message: format!("not a results file: {e}"),
        })?;
        match probe.format_version {
            Some(FORMAT_VERSION) => {}
            Some(other) => {
                return Err(ResultsError {
                    kind: ResultsErrorKind::UnsupportedVersion,
                    message: format!(
                        "results format version {other} is not supported (this program reads version {FORMAT_VERSION})"
                    ),
                });
            }
            None => {
                return Err(ResultsError {
                    kind: ResultsErrorKind::Syntax,
                    message: "not a results file: format_version is missing".to_owned(),
                });
            }
        }
        let mut report: RunReport = serde_json::from_str(text).map_err(|e| ResultsError {
            kind: ResultsErrorKind::Syntax,
            message: format!("not a results file: {e}"),
        })?;
        report.recompute();
        Ok(report)
    }
}

/// Formats a time as RFC 3339 in UTC with whole seconds (`2025-01-31T12:00:00Z`).
pub fn rfc3339_utc(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let rest = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps() {
        let at = |s: u64| rfc3339_utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_738_324_800), "2025-01-31T12:00:00Z");
        assert_eq!(at(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn counts() {
        let mut counts = OutcomeCounts::default();
        for o in Outcome::ALL {
            counts.add(o);
        }
        counts.add(Outcome::Fail);
        assert_eq!(counts.total(), 7);
        assert_eq!(counts.get(Outcome::Fail), 2);
        assert_eq!(counts.get(Outcome::PassLenient), 1);
    }
}
