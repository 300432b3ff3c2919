//! The terminal report.
//!
//! Colour is optional: pass `color: true` and write through an [`anstream`] stream, which
//! strips the escape codes when `NO_COLOR` is set or the output is not a terminal.

use std::fmt::Write as _;

use owo_colors::{OwoColorize, Style};

use super::{group_heading, seconds, tests_by_group};
use crate::catalogue::Level;
use crate::exchange::Exchange;
use crate::outcome::{CheckResult, Outcome};
use crate::results::{RunReport, Verdict};

/// How to render the terminal report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HumanOptions {
    /// Emit ANSI colours.
    pub color: bool,
    /// Also list the checks of passing tests.
    pub verbose: bool,
}

/// The most lines of a body shown in the terminal; the results file keeps all of it.
pub const MAX_BODY_LINES: usize = 40;

/// Makes server-controlled text safe to print on a terminal: control characters other than
/// tab (escape sequences above all) are shown as `\u{..}` escapes instead of being sent.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn outcome_style(outcome: Outcome) -> Style {
    match outcome {
        Outcome::Pass => Style::new().green(),
        Outcome::PassLenient => Style::new().cyan(),
        Outcome::Warn => Style::new().yellow(),
        Outcome::Fail => Style::new().red().bold(),
        Outcome::Skip => Style::new().dimmed(),
        Outcome::Error => Style::new().magenta().bold(),
    }
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, text: &str, style: Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_owned()
        }
    }
}

/// Renders the whole report as terminal text.
pub fn render(report: &RunReport, options: HumanOptions) -> String {
    let painter = Painter {
        color: options.color,
    };
    let mut out = String::new();
    let bold = Style::new().bold();
    let _ = writeln!(
        out,
        "{} {} against {}",
        painter.paint(&report.tool.name, bold),
        report.tool.version,
        report.target
    );
    let profiles: Vec<&str> = report.profiles.iter().map(|p| p.as_str()).collect();
    let _ = writeln!(
        out,
        "OCCI {} | profiles: {} | strict: {} | mutation: {} | started {} | {}",
        report.occi_version.as_deref().unwrap_or("unknown"),
        if profiles.is_empty() {
            "all".to_owned()
        } else {
            profiles.join(", ")
        },
        if report.options.strict { "on" } else { "off" },
        if report.options.allow_mutation {
            "allowed"
        } else {
            "read-only"
        },
        report.started_at,
        seconds(report.duration_ms)
    );
    if report.options.insecure {
        let _ = writeln!(
            out,
            "{}",
            painter.paint(
                "INSECURE: the target's TLS certificate was not verified (--insecure)",
                Style::new().bold().red()
            )
        );
    }
    if let Some(cert) = &report.options.client_certificate {
        let _ = writeln!(out, "TLS client certificate: {}", terminal_safe(cert));
    }
    for (group, tests) in tests_by_group(report) {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", painter.paint(&group_heading(group), bold));
        for test in tests {
            let label = format!("{:<7}", test.outcome.label());
            let _ = writeln!(
                out,
                "  {} {}  {}  [{}]",
                painter.paint(&label, outcome_style(test.outcome)),
                test.name,
                test.title,
                test.requirement_ids().join(", ")
            );
            for check in &test.checks {
                if check.outcome.needs_detail() || options.verbose {
                    for line in check_lines(report, check, &painter) {
                        let _ = writeln!(out, "      {line}");
                    }
                }
            }
        }
    }
    let _ = writeln!(out);
    out.push_str(&summary_table(report, &painter));
    out
}

/// The explanation of one check as plain text lines (used by the JUnit report too).
pub fn check_detail(report: &RunReport, check: &CheckResult) -> String {
    let mut text = check_lines(report, check, &Painter { color: false }).join("\n");
    text.push('\n');
    text
}

fn check_lines(report: &RunReport, check: &CheckResult, painter: &Painter) -> Vec<String> {
    let mut lines = Vec::new();
    let style = outcome_style(check.outcome);
    lines.push(format!(
        "{} {}",
        painter.paint(check.outcome.label(), style),
        terminal_safe(&check.message)
    ));
    for id in &check.requirements {
        match report.requirement(id) {
            Some(r) => lines.push(format!(
                "  {id} ({} {}, {} \u{a7}{}): {}",
                r.level,
                r.outcome.map_or("-", Outcome::as_str),
                r.document,
                r.section,
                r.statement
            )),
            None => lines.push(format!("  {id}")),
        }
    }
    if let Some(expected) = &check.expected {
        lines.push(format!(
            "  expected: {}",
            painter.paint(&terminal_safe(expected), Style::new().green())
        ));
    }
    if let Some(actual) = &check.actual {
        lines.push(format!(
            "  actual:   {}",
            painter.paint(&terminal_safe(actual), Style::new().red())
        ));
    }
    if !check.deviations.is_empty() {
        lines.push("  forgiven by lenient parsing:".to_owned());
        for deviation in &check.deviations {
            lines.push(format!("    {deviation}"));
        }
    }
    if matches!(
        check.outcome,
        Outcome::Fail | Outcome::Warn | Outcome::Error
    ) {
        for exchange in &check.exchanges {
            lines.extend(exchange_lines(exchange, painter));
        }
    }
    lines
}

fn body_lines(prefix: &str, body: &str, out: &mut Vec<String>) {
    let all: Vec<&str> = body.lines().collect();
    for line in all.iter().take(MAX_BODY_LINES) {
        out.push(format!("  {prefix} {}", terminal_safe(line)));
    }
    if all.len() > MAX_BODY_LINES {
        out.push(format!(
            "  {prefix} ... ({} more lines in the results file)",
            all.len() - MAX_BODY_LINES
        ));
    }
}

fn exchange_lines(exchange: &Exchange, painter: &Painter) -> Vec<String> {
    let mut lines = Vec::new();
    let request = &exchange.request;
    lines.push(format!("  > {} {}", request.method, request.url));
    for header in &request.headers {
        lines.push(format!(
            "  > {}: {}",
            terminal_safe(&header.name),
            terminal_safe(&header.value)
        ));
    }
    if let Some(body) = &request.body {
        lines.push("  >".to_owned());
        body_lines(">", body, &mut lines);
    }
    match &exchange.response {
        Some(response) => {
            lines.push(format!(
                "  < {} ({})",
                response.status,
                seconds(exchange.duration_ms)
            ));
            for header in &response.headers {
                lines.push(format!(
                    "  < {}: {}",
                    terminal_safe(&header.name),
                    terminal_safe(&header.value)
                ));
            }
            if let Some(body) = &response.body {
                lines.push("  <".to_owned());
                body_lines("<", body, &mut lines);
            }
        }
        None => lines.push(format!(
            "  < no response: {}",
            terminal_safe(exchange.transport_error.as_deref().unwrap_or("unknown"))
        )),
    }
    lines.push(format!(
        "  replay: {}",
        painter.paint(&request.curl_command(), Style::new().dimmed())
    ));
    lines
}

fn summary_table(report: &RunReport, painter: &Painter) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let _ = writeln!(out, "{}", painter.paint("Requirements by level", bold));
    let _ = write!(out, "  {:<7}", "");
    for outcome in Outcome::ALL {
        let _ = write!(out, " {:>12}", outcome.as_str());
    }
    let _ = writeln!(out, " {:>7}", "total");
    for level in Level::ALL {
        let counts = report
            .summary
            .requirements
            .get(&level)
            .copied()
            .unwrap_or_default();
        let _ = write!(out, "  {:<7}", level.as_str());
        for outcome in Outcome::ALL {
            let _ = write!(out, " {:>12}", counts.get(outcome));
        }
        let _ = writeln!(out, " {:>7}", counts.total());
    }
    let tests = &report.summary.tests;
    let _ = writeln!(
        out,
        "Tests: {} ({} pass, {} pass-lenient, {} warn, {} fail, {} skip, {} error); checks: {}",
        tests.total(),
        tests.pass,
        tests.pass_lenient,
        tests.warn,
        tests.fail,
        tests.skip,
        tests.error,
        report.summary.checks.total()
    );
    let verdict = &report.verdict;
    let style = match verdict.verdict {
        Verdict::Conformant => Style::new().green().bold(),
        Verdict::NonConformant => Style::new().red().bold(),
        Verdict::Unreachable | Verdict::Inconclusive => Style::new().magenta().bold(),
    };
    let _ = writeln!(
        out,
        "Verdict: {}: {} (exit code {})",
        painter.paint(&verdict.verdict.as_str().to_uppercase(), style),
        verdict.reason,
        verdict.exit_code
    );
    out
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(terminal_safe("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(terminal_safe("tab\tok"), "tab\tok");
        assert_eq!(terminal_safe("bell\u{7}"), "bell\\u{7}");
    }
}
