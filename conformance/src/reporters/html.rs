//! The HTML report: one self-contained file.
//!
//! The page has inline CSS and no scripts or external assets. It opens with the verdict and a
//! table of requirements by level and outcome, then lists every test by group with its checks;
//! a test that did not pass is expanded and shows its evidence (requirement text, expected
//! versus actual, deviations, exchanges and `curl` replay commands). Every piece of text from
//! the report, including everything the server sent, is HTML-escaped.

use std::fmt::Write as _;

use super::{group_heading, seconds, tests_by_group};
use crate::catalogue::Level;
use crate::exchange::Exchange;
use crate::outcome::{CheckResult, Outcome};
use crate::results::RunReport;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .7em;text-align:right}\
th:first-child,td:first-child{text-align:left}\
.o{display:inline-block;min-width:6.5em;font-weight:bold;font-family:monospace}\
.pass{color:#1a7f37}.pass-lenient{color:#0969da}.warn{color:#9a6700}.fail{color:#cf222e}.skip{color:#6e7781}.error{color:#8250df}\
.verdict{font-size:1.2em;padding:.6em 1em;border-radius:4px;background:#f6f8fa;border-left:6px solid #888}\
.verdict.conformant{border-color:#1a7f37}.verdict.non-conformant{border-color:#cf222e}\
.verdict.unreachable,.verdict.inconclusive{border-color:#8250df}\
details{margin:.3em 0}summary{cursor:pointer}.check{margin:.5em 0 .5em 2em}\
.req{margin:.2em 0;color:#444}pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}\
.meta{color:#555}";

/// Renders the report as a self-contained HTML page.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let title = format!("OCCI conformance: {}", report.target);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let profiles: Vec<&str> = report.profiles.iter().map(|p| p.as_str()).collect();
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} {} | OCCI {} | profiles: {} | strict: {} | mutation: {} | started {} | {}</p>",
        escape(&report.tool.name),
        escape(&report.tool.version),
        escape(report.occi_version.as_deref().unwrap_or("unknown")),
        escape(&if profiles.is_empty() {
            "all".to_owned()
        } else {
            profiles.join(", ")
        }),
        if report.options.strict { "on" } else { "off" },
        if report.options.allow_mutation {
            "allowed"
        } else {
            "read-only"
        },
        escape(&report.started_at),
        escape(&seconds(report.duration_ms))
    );
    if report.options.insecure {
        let _ = writeln!(
            out,
            "<p class=\"verdict fail\"><strong>INSECURE</strong>: the target's TLS certificate was \
             not verified (--insecure)</p>"
        );
    }
    if let Some(cert) = &report.options.client_certificate {
        let _ = writeln!(
            out,
            "<p class=\"meta\">TLS client certificate: {}</p>",
            escape(cert)
        );
    }
    let verdict = &report.verdict;
    let _ = writeln!(
        out,
        "<p class=\"verdict {}\"><strong>{}</strong>: {} (exit code {})</p>",
        verdict.verdict.as_str(),
        escape(&verdict.verdict.as_str().to_uppercase()),
        escape(&verdict.reason),
        verdict.exit_code
    );
    summary_table(report, &mut out);
    for (group, tests) in tests_by_group(report) {
        let _ = writeln!(out, "<h2>{}</h2>", escape(&group_heading(group)));
        for test in tests {
            let open = if test.outcome.needs_detail() && test.outcome != Outcome::Skip {
                " open"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<details{open}><summary><span class=\"o {}\">{}</span> <code>{}</code> {} <span class=\"meta\">[{}] {}</span></summary>",
                test.outcome.as_str(),
                test.outcome.label(),
                escape(&test.name),
                escape(&test.title),
                escape(&test.requirement_ids().join(", ")),
                escape(&seconds(test.duration_ms))
            );
            for check in &test.checks {
                check_html(report, check, &mut out);
            }
            out.push_str("</details>\n");
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn summary_table(report: &RunReport, out: &mut String) {
    out.push_str("<table>\n<tr><th>requirements</th>");
    for outcome in Outcome::ALL {
        let _ = write!(out, "<th class=\"{0}\">{0}</th>", outcome.as_str());
    }
    out.push_str("<th>total</th></tr>\n");
    for level in Level::ALL {
        let counts = report
            .summary
            .requirements
            .get(&level)
            .copied()
            .unwrap_or_default();
        let _ = write!(out, "<tr><td>{level}</td>");
        for outcome in Outcome::ALL {
            let _ = write!(out, "<td>{}</td>", counts.get(outcome));
        }
        let _ = writeln!(out, "<td>{}</td></tr>", counts.total());
    }
    let tests = &report.summary.tests;
    let _ = write!(out, "<tr><td>tests</td>");
    for outcome in Outcome::ALL {
        let _ = write!(out, "<td>{}</td>", tests.get(outcome));
    }
    let _ = writeln!(out, "<td>{}</td></tr>\n</table>", tests.total());
}

fn check_html(report: &RunReport, check: &CheckResult, out: &mut String) {
    let _ = writeln!(
        out,
        "<div class=\"check\"><span class=\"o {}\">{}</span> {}",
        check.outcome.as_str(),
        check.outcome.label(),
        escape(&check.message)
    );
    for id in &check.requirements {
        match report.requirement(id) {
            Some(r) => {
                let _ = writeln!(
                    out,
                    "<div class=\"req\"><strong>{}</strong> {} ({} \u{a7}{}): {}</div>",
                    escape(id),
                    r.level,
                    escape(&r.document),
                    escape(&r.section),
                    escape(&r.statement)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "<div class=\"req\"><strong>{}</strong></div>",
                    escape(id)
                );
            }
        }
    }
    if let Some(expected) = &check.expected {
        let _ = writeln!(
            out,
            "<div>expected: <code>{}</code></div>",
            escape(expected)
        );
    }
    if let Some(actual) = &check.actual {
        let _ = writeln!(out, "<div>actual: <code>{}</code></div>", escape(actual));
    }
    if !check.deviations.is_empty() {
        out.push_str("<div>forgiven by lenient parsing:<ul>\n");
        for deviation in &check.deviations {
            let _ = writeln!(out, "<li>{}</li>", escape(&deviation.to_string()));
        }
        out.push_str("</ul></div>\n");
    }
    for exchange in &check.exchanges {
        exchange_html(exchange, out);
    }
    out.push_str("</div>\n");
}

fn exchange_html(exchange: &Exchange, out: &mut String) {
    let request = &exchange.request;
    let mut text = format!("{} {}\n", request.method, request.url);
    for header in &request.headers {
        let _ = writeln!(text, "{}: {}", header.name, header.value);
    }
    if let Some(body) = &request.body {
        let _ = writeln!(text, "\n{body}");
    }
    let _ = writeln!(out, "<div>request</div><pre>{}</pre>", escape(&text));
    match &exchange.response {
        Some(response) => {
            let mut text = format!("{} ({})\n", response.status, seconds(exchange.duration_ms));
            for header in &response.headers {
                let _ = writeln!(text, "{}: {}", header.name, header.value);
            }
            if let Some(body) = &response.body {
                let _ = writeln!(text, "\n{body}");
            }
            let _ = writeln!(out, "<div>response</div><pre>{}</pre>", escape(&text));
        }
        None => {
            let _ = writeln!(
                out,
                "<div>no response: {}</div>",
                escape(exchange.transport_error.as_deref().unwrap_or("unknown"))
            );
        }
    }
    let _ = writeln!(
        out,
        "<div>replay</div><pre>{}</pre>",
        escape(&request.curl_command())
    );
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<script>alert('x & \"y\"')</script>"),
            "&lt;script&gt;alert(&#39;x &amp; &quot;y&quot;&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("plain"), "plain");
    }
}
