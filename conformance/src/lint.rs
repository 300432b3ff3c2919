//! Offline validation of a captured OCCI message (`occi-conformance lint`).
//!
//! The input is either a bare body, whose media type is given, or a whole HTTP/1.1 request
//! or response as captured (start line, header fields, blank line, body), whose own
//! `Content-Type` is used. For text/occi the OCCI data are header fields: a bare text/occi
//! input holds the header lines.
//!
//! The message is parsed strictly with occi-render; when that fails it is parsed leniently,
//! and what lenient parsing forgave is reported as deviations. Every error and deviation is
//! shown with its line and column in the input and a caret under the offending text. A
//! message is valid when it parses strictly, or (without `--strict`) leniently.

use std::fmt::Write as _;

use occi_render::text::{TextDocument, occi as text_occi, plain};
use occi_render::{ParseError, ParseOptions, json, uri_list};

/// The media types `lint` reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `text/plain` (and `text/occi+plain`).
    TextPlain,
    /// `text/occi`: OCCI data in header fields.
    TextOcci,
    /// `text/uri-list`.
    UriList,
    /// `application/occi+json`.
    Json,
}

impl Media {
    /// Parses a media type (parameters ignored).
    pub fn from_name(name: &str) -> Option<Media> {
        let essence = name
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/plain" | "text/occi+plain" => Some(Media::TextPlain),
            "text/occi" => Some(Media::TextOcci),
            "text/uri-list" => Some(Media::UriList),
            "application/occi+json" | "application/json" => Some(Media::Json),
            _ => None,
        }
    }

    /// The media type's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Media::TextPlain => "text/plain",
            Media::TextOcci => "text/occi",
            Media::UriList => "text/uri-list",
            Media::Json => "application/occi+json",
        }
    }
}

/// How to lint.
#[derive(Debug, Clone)]
pub struct LintOptions {
    /// The media type of a bare body (ignored for a whole HTTP message).
    pub media: Option<Media>,
    /// The OCCI version whose grammar applies.
    pub version: occi_model::OcciVersion,
    /// Deviations make the message invalid.
    pub strict: bool,
    /// Re-render the message in this media type.
    pub to: Option<Media>,
}

/// One problem found, with its 1-based line and column in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `error` or `deviation`.
    pub severity: &'static str,
    /// Line in the input file.
    pub line: usize,
    /// Column in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// The result of linting.
#[derive(Debug, Clone)]
pub struct LintReport {
    /// The media type read.
    pub media: Media,
    /// Errors and deviations in input order.
    pub findings: Vec<Finding>,
    /// Whether the message is valid under the options.
    pub valid: bool,
    /// The re-rendering asked for with `to`, when the message could be read.
    pub rendered: Option<String>,
    /// The rendered report text (findings with carets, verdict).
    pub text: String,
}

/// Why the input could not be linted at all (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LintError(pub String);

struct Input<'a> {
    media: Media,
    /// The text that is parsed (the body; for text/occi the OCCI header lines).
    source: String,
    /// Line of the input at which `source` starts, minus one.
    line_offset: usize,
    /// Every line of the input, to show under carets.
    lines: Vec<&'a str>,
}

fn is_start_line(line: &str) -> bool {
    if line.starts_with("HTTP/") {
        return true;
    }
    let mut words = line.split(' ');
    let method = words.next().unwrap_or("");
    let _target = words.next();
    let version = words.next().unwrap_or("");
    !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_uppercase())
        && version.starts_with("HTTP/")
}

const OCCI_FIELDS: [&str; 4] = ["category", "link", "x-occi-attribute", "x-occi-location"];

fn is_occi_field(line: &str) -> bool {
    line.split_once(':')
        .is_some_and(|(n, _)| OCCI_FIELDS.contains(&n.trim().to_ascii_lowercase().as_str()))
}

/// Keeps the OCCI header lines in place (others blanked), so positions stay those of the
/// input.
fn occi_lines(lines: &[&str]) -> String {
    let mut out = String::new();
    for l in lines {
        if is_occi_field(l) {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

fn read_input(text: &str, media: Option<Media>) -> Result<Input<'_>, LintError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if lines.first().is_some_and(|l| is_start_line(l)) {
        let end = lines
            .iter()
            .position(|l| l.is_empty())
            .unwrap_or(lines.len());
        let headers = &lines[1..end];
        let ct = headers
            .iter()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(n, _)| n.trim().eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.trim())
            })
            .unwrap_or("text/plain");
        let media = Media::from_name(ct)
            .ok_or_else(|| LintError(format!("unsupported Content-Type {ct:?}")))?;
        if media == Media::TextOcci {
            let mut blank = vec![""];
            blank.extend_from_slice(headers);
            return Ok(Input {
                media,
                source: occi_lines(&blank),
                line_offset: 0,
                lines,
            });
        }
        // The body: everything after the blank line, as it was.
        let mut offset = 0;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i > end {
                break;
            }
            offset += l.len();
        }
        let body = text.get(offset..).unwrap_or("").to_owned();
        return Ok(Input {
            media,
            source: body,
            line_offset: end + 1,
            lines,
        });
    }
    let media = media.unwrap_or(Media::TextPlain);
    if media == Media::TextOcci {
        return Ok(Input {
            media,
            source: occi_lines(&lines),
            line_offset: 0,
            lines,
        });
    }
    Ok(Input {
        media,
        source: text.to_owned(),
        line_offset: 0,
        lines,
    })
}

enum Parsed {
    Text(TextDocument),
    Uris(Vec<occi_model::Location>),
    Json(serde_json::Value),
}

fn findings_of_error(error: &ParseError, severity: &'static str, out: &mut Vec<Finding>) {
    for d in error.diagnostics() {
        let mut message = format!("{} in {}: {}", d.kind(), d.rule(), d.message());
        if !d.expected().is_empty() {
            let _ = write!(message, " (expected {})", d.expected());
        }
        out.push(Finding {
            severity,
            line: d.position().line,
            column: d.position().column,
            message,
        });
    }
}

fn deviations(devs: &[occi_render::Deviation], skip_line_endings: bool, out: &mut Vec<Finding>) {
    for d in devs {
        if skip_line_endings && d.kind() == occi_render::DeviationKind::LineEnding {
            continue;
        }
        out.push(Finding {
            severity: "deviation",
            line: d.position().line,
            column: d.position().column,
            message: d.message().to_owned(),
        });
    }
}

fn json_shape(value: &serde_json::Value) -> &'static str {
    let has = |k: &str| value.get(k).is_some();
    if has("kinds") || has("mixins") || has("actions") {
        "categories"
    } else if has("resources") || has("links") {
        "collection"
    } else if has("action") {
        "invocation"
    } else {
        "entity"
    }
}

fn parse_json(
    source: &str,
    options: &ParseOptions,
) -> Result<Vec<occi_render::Deviation>, ParseError> {
    let bytes = source.as_bytes();
    let shape =
        serde_json::from_str::<serde_json::Value>(source).map_or("entity", |v| json_shape(&v));
    match shape {
        "categories" => json::parse_categories(bytes, options).map(|p| p.deviations),
        "collection" => json::parse_entity_collection(bytes, options).map(|p| p.deviations),
        "invocation" => json::parse_action_invocation(bytes, options).map(|p| p.deviations),
        _ => json::parse_entity(bytes, options).map(|p| p.deviations),
    }
}

fn parse(
    input: &Input<'_>,
    options: &ParseOptions,
) -> Result<(Parsed, Vec<occi_render::Deviation>), ParseError> {
    match input.media {
        Media::TextPlain | Media::TextOcci => plain::parse_document(&input.source, options)
            .map(|p| (Parsed::Text(p.value), p.deviations)),
        Media::UriList => {
            uri_list::parse(&input.source, options).map(|p| (Parsed::Uris(p.value), p.deviations))
        }
        Media::Json => {
            let devs = parse_json(&input.source, options)?;
            let value = serde_json::from_str(&input.source).unwrap_or(serde_json::Value::Null);
            Ok((Parsed::Json(value), devs))
        }
    }
}

fn caret_block(input: &Input<'_>, f: &Finding) -> String {
    let line = f.line + input.line_offset;
    let text = input
        .lines
        .get(line.saturating_sub(1))
        .copied()
        .unwrap_or("");
    let width = line.to_string().len();
    let pad: String = text
        .chars()
        .take(f.column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!(
        "{}: line {line}, column {}: {}\n{:width$} |\n{line} | {}\n{:width$} | {pad}^\n",
        f.severity,
        f.column,
        f.message,
        "",
        crate::reporters::human::terminal_safe(text),
        ""
    )
}

// One arm per pair of renderings reads better than helpers split by source.
#[allow(clippy::too_many_lines)]
fn render_to(
    parsed: &Parsed,
    input: &Input<'_>,
    to: Media,
    version: occi_model::OcciVersion,
) -> Result<String, LintError> {
    let lenient = ParseOptions::lenient().with_version(version);
    match (parsed, to) {
        (Parsed::Text(doc), Media::TextPlain) => Ok(plain::render_document(doc)),
        (Parsed::Text(doc), Media::TextOcci) => {
            let map = text_occi::render_document(doc);
            let mut out = String::new();
            for (name, value) in &map {
                let _ = writeln!(
                    out,
                    "{}: {}",
                    canonical(name.as_str()),
                    String::from_utf8_lossy(value.as_bytes())
                );
            }
            Ok(out)
        }
        (Parsed::Text(doc), Media::UriList) => {
            let locations: Vec<occi_model::Location> =
                doc.locations.iter().map(|l| l.location.clone()).collect();
            Ok(uri_list::render(&locations))
        }
        (Parsed::Text(doc), Media::Json) => {
            if !doc.locations.is_empty() && doc.categories.is_empty() {
                return Err(LintError(
                    "a location list has no application/occi+json rendering".to_owned(),
                ));
            }
            let has_kind = doc
                .categories
                .iter()
                .any(|c| c.class == occi_model::CategoryClass::Kind);
            let is_qi =
                doc.categories.iter().any(|c| {
                    c.location.is_some() || !c.attributes.is_empty() || !c.actions.is_empty()
                }) || !has_kind;
            if is_qi {
                let cats = plain::parse_categories(&input.source, &lenient)
                    .map_err(|e| LintError(e.to_string()))?;
                Ok(json::render_categories(
                    &json::CategoryCollection::from_categories(cats.value),
                ))
            } else {
                let e = plain::parse_entity(&input.source, &lenient, None)
                    .map_err(|e| LintError(e.to_string()))?;
                Ok(json::render_entity(&e.value))
            }
        }
        (Parsed::Uris(uris), Media::UriList) => Ok(uri_list::render(uris)),
        (Parsed::Uris(uris), Media::TextPlain) => Ok(plain::render_locations(uris)),
        (Parsed::Json(value), _) => {
            let bytes = input.source.as_bytes();
            match json_shape(value) {
                "categories" => {
                    let c = json::parse_categories(bytes, &lenient)
                        .map_err(|e| LintError(e.to_string()))?;
                    let cats = c.value.into_categories();
                    match to {
                        Media::TextPlain => Ok(plain::render_categories(&cats)),
                        Media::Json => Ok(json::render_categories(
                            &json::CategoryCollection::from_categories(cats),
                        )),
                        _ => Err(LintError(format!(
                            "no {} rendering of categories here",
                            to.as_str()
                        ))),
                    }
                }
                "entity" => {
                    let e = json::parse_entity(bytes, &lenient)
                        .map_err(|e| LintError(e.to_string()))?;
                    match to {
                        Media::TextPlain => Ok(plain::render_entity(&e.value)),
                        Media::Json => Ok(json::render_entity(&e.value)),
                        Media::TextOcci => {
                            let map = text_occi::render_entity(&e.value);
                            let mut out = String::new();
                            for (name, v) in &map {
                                let _ = writeln!(
                                    out,
                                    "{}: {}",
                                    canonical(name.as_str()),
                                    String::from_utf8_lossy(v.as_bytes())
                                );
                            }
                            Ok(out)
                        }
                        Media::UriList => Err(LintError(
                            "an entity has no text/uri-list rendering".to_owned(),
                        )),
                    }
                }
                other => Err(LintError(format!(
                    "re-rendering a JSON {other} is not supported"
                ))),
            }
        }
        (Parsed::Uris(_), _) => Err(LintError(format!(
            "a uri-list cannot be rendered as {}",
            to.as_str()
        ))),
    }
}

fn canonical(name: &str) -> String {
    match name {
        "category" => "Category".to_owned(),
        "link" => "Link".to_owned(),
        "x-occi-attribute" => "X-OCCI-Attribute".to_owned(),
        "x-occi-location" => "X-OCCI-Location".to_owned(),
        other => other.to_owned(),
    }
}

/// Lints `text`.
pub fn lint(text: &str, options: &LintOptions) -> Result<LintReport, LintError> {
    let input = read_input(text, options.media)?;
    let strict = ParseOptions::strict().with_version(options.version);
    let lenient = ParseOptions::lenient().with_version(options.version);
    let skip_le = input.media == Media::TextOcci;
    let mut findings = Vec::new();
    let (parsed, valid) = match parse(&input, &strict) {
        Ok((parsed, _)) => (Some(parsed), true),
        Err(strict_error) => match parse(&input, &lenient) {
            Ok((parsed, devs)) => {
                deviations(&devs, skip_le, &mut findings);
                if findings.is_empty() {
                    findings_of_error(&strict_error, "deviation", &mut findings);
                }
                (Some(parsed), !options.strict)
            }
            Err(error) => {
                findings_of_error(&error, "error", &mut findings);
                (None, false)
            }
        },
    };
    let mut out = String::new();
    for f in &findings {
        out.push_str(&caret_block(&input, f));
    }
    let errors = findings.iter().filter(|f| f.severity == "error").count();
    let devs = findings.len() - errors;
    let _ = writeln!(
        out,
        "{}: {} as {} ({errors} error(s), {devs} deviation(s){})",
        if valid { "valid" } else { "invalid" },
        if parsed.is_some() && errors == 0 {
            "parsed"
        } else {
            "not parsed"
        },
        input.media.as_str(),
        if options.strict { ", strict" } else { "" }
    );
    let rendered = match (options.to, &parsed) {
        (Some(to), Some(p)) => Some(render_to(p, &input, to, options.version)?),
        _ => None,
    };
    Ok(LintReport {
        media: input.media,
        findings,
        valid,
        rendered,
        text: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> LintOptions {
        LintOptions {
            media: None,
            version: occi_model::OcciVersion::V1_2,
            strict: false,
            to: None,
        }
    }

    #[test]
    fn a_bad_body_gets_a_caret_under_the_offending_text() {
        let body = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\nX-OCCI-Attribute: occi.core.title=\"open\r\n";
        let r = lint(body, &opts()).unwrap();
        assert!(!r.valid);
        assert!(r.text.contains("line 2, column"), "{}", r.text);
        assert!(r.text.contains('^'));
    }

    #[test]
    fn a_whole_response_uses_its_content_type_and_line_numbers() {
        let msg = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nX-OCCI-Location: /compute/1\r\nbogus line\r\n";
        let r = lint(msg, &opts()).unwrap();
        assert!(!r.valid);
        assert!(r.text.contains("line 5"), "{}", r.text);
        let ok = lint("GET /-/ HTTP/1.1\r\nContent-Type: text/occi\r\nCategory: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n\r\n", &opts()).unwrap();
        assert!(ok.valid, "{}", ok.text);
        assert_eq!(ok.media, Media::TextOcci);
    }

    #[test]
    fn lenient_only_input_is_valid_unless_strict() {
        let body = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\";\n";
        let r = lint(body, &opts()).unwrap();
        assert!(r.valid && !r.findings.is_empty(), "{}", r.text);
        let strict = lint(
            body,
            &LintOptions {
                strict: true,
                ..opts()
            },
        )
        .unwrap();
        assert!(!strict.valid);
    }

    #[test]
    fn re_rendering() {
        let body = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\nX-OCCI-Attribute: occi.compute.cores=2\r\n";
        let r = lint(
            body,
            &LintOptions {
                to: Some(Media::Json),
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(
            r.rendered.as_deref(),
            Some(
                "{\"kind\":\"http://schemas.ogf.org/occi/infrastructure#compute\",\"attributes\":{\"occi.compute.cores\":2}}"
            )
        );
        let r = lint(
            body,
            &LintOptions {
                to: Some(Media::TextOcci),
                ..opts()
            },
        )
        .unwrap();
        assert!(r.rendered.unwrap().starts_with("Category: compute;"));
    }
}
