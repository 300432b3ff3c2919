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

use occi_model::{
    AttributeType, AttributeValue, Category, Entity, NoEntities, OcciVersion, Registry, Rule,
};
use occi_render::text::{Purpose, ReadContext, TextDocument, occi as text_occi, plain};
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

/// The model a message is validated against, after its syntax.
#[derive(Debug, Clone, Default)]
pub enum LintModel {
    /// The core and infrastructure model of the message's OCCI version.
    #[default]
    Infrastructure,
    /// The categories of a query interface saved from a server ([`model_from_query_interface`]).
    Registry(Box<Registry>),
    /// Syntax only: no model validation.
    SyntaxOnly,
}

/// How to lint.
#[derive(Debug, Clone)]
pub struct LintOptions {
    /// The model to validate against (`--model FILE`, `--syntax-only`).
    pub model: LintModel,
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
    /// Whether the input is a whole HTTP response.
    response: bool,
    /// What the message is, from its start line (a bare body: a document).
    purpose: Purpose,
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

/// What a message is, from its start line: a request's method and target tell; a response
/// is a document.
fn purpose_of(start: &str) -> Purpose {
    let mut words = start.split(' ');
    let method = words.next().unwrap_or("");
    let target = words.next().unwrap_or("");
    if method.starts_with("HTTP/") {
        return Purpose::Document;
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let query_interface = path.ends_with("/-/");
    let purpose = match method {
        "POST" | "PUT" | "DELETE" if query_interface => Purpose::Categories,
        "PUT" if path.ends_with('/') => Purpose::Locations,
        "POST" | "PUT" => Purpose::Entity,
        "GET" | "HEAD" | "DELETE" => Purpose::Filter,
        _ => Purpose::Document,
    };
    ReadContext::for_request(purpose, query).purpose()
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
    if let Some(start) = lines.first().copied().filter(|l| is_start_line(l)) {
        let purpose = purpose_of(start);
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
                response: start.starts_with("HTTP/"),
                purpose,
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
            response: start.starts_with("HTTP/"),
            purpose,
            source: body,
            line_offset: end + 1,
            lines,
        });
    }
    let media = media.unwrap_or(Media::TextPlain);
    if media == Media::TextOcci {
        return Ok(Input {
            media,
            response: false,
            purpose: Purpose::Document,
            source: occi_lines(&lines),
            line_offset: 0,
            lines,
        });
    }
    Ok(Input {
        media,
        response: false,
        purpose: Purpose::Document,
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

/// Lists `devs` as findings. A JSON entity without `id` is no deviation unless the input is a
/// response: a create may leave the id to the server (JSN-010).
fn deviations(devs: &[occi_render::Deviation], input: &Input<'_>, out: &mut Vec<Finding>) {
    let skip_line_endings = input.media == Media::TextOcci;
    for d in devs {
        if skip_line_endings && d.kind() == occi_render::DeviationKind::LineEnding {
            continue;
        }
        if input.media == Media::Json
            && !input.response
            && d.kind() == occi_render::DeviationKind::MissingMember
            && d.message().ends_with("has no \"id\" member")
        {
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
    registry: Option<&Registry>,
) -> Result<(Parsed, Vec<occi_render::Deviation>), ParseError> {
    match input.media {
        Media::TextPlain | Media::TextOcci => {
            let mut context = ReadContext::new(input.purpose);
            if let Some(registry) = registry {
                context = context.with_registry(registry);
            }
            plain::parse_document_in(&input.source, options, &context)
                .map(|p| (Parsed::Text(p.value), p.deviations))
        }
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

/// The widest source snippet shown under a finding, in characters.
const SNIPPET_WIDTH: usize = 100;

/// The part of `text` shown for a finding at 1-based `column`: at most [`SNIPPET_WIDTH`]
/// characters around the column, with `…` where the line was cut, and the caret's column in
/// the snippet.
fn snippet_window(text: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let at = column.saturating_sub(1).min(chars.len());
    if chars.len() <= SNIPPET_WIDTH {
        return (text.to_owned(), at);
    }
    let half = SNIPPET_WIDTH / 2;
    let start = at.saturating_sub(half).min(chars.len() - SNIPPET_WIDTH);
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let mut out = String::new();
    let mut caret = at - start;
    if start > 0 {
        out.push('…');
        caret += 1;
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    (out, caret)
}

fn caret_block(input: &Input<'_>, f: &Finding) -> String {
    let line = f.line + input.line_offset;
    let text = input
        .lines
        .get(line.saturating_sub(1))
        .copied()
        .unwrap_or("");
    let width = line.to_string().len();
    let (shown, caret) = snippet_window(text, f.column);
    let pad: String = shown
        .chars()
        .take(caret)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!(
        "{}: line {line}, column {}: {}\n{:width$} |\n{line} | {}\n{:width$} | {pad}^\n",
        f.severity,
        f.column,
        f.message,
        "",
        crate::reporters::human::terminal_safe(&shown),
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

/// The registry `options` name for a message of `version` (`None`: syntax only).
fn model_registry(options: &LintOptions, version: OcciVersion) -> Option<Registry> {
    match &options.model {
        LintModel::SyntaxOnly => None,
        LintModel::Registry(r) => Some((**r).clone()),
        LintModel::Infrastructure => {
            let mut registry = Registry::new(version);
            occi_model::ext::infrastructure::register(&mut registry)
                .expect("the infrastructure model registers");
            Some(registry)
        }
    }
}

/// A registry holding the categories of a query interface saved from a server (text/plain,
/// or application/occi+json when it starts with `{`), for `--model FILE`. Categories whose
/// parent, depends or actions are missing are left out and named in the second value.
pub fn model_from_query_interface(
    text: &str,
    version: OcciVersion,
) -> Result<(Registry, Vec<String>), LintError> {
    let options = ParseOptions::lenient().with_version(version);
    let categories = if text.trim_start().starts_with('{') {
        json::parse_categories(text.as_bytes(), &options)
            .map(|p| p.value.into_categories())
            .map_err(|e| LintError(format!("the model file is not a query interface: {e}")))?
    } else {
        plain::parse_query_interface(text, &options)
            .map(|p| p.value)
            .map_err(|e| LintError(format!("the model file is not a query interface: {e}")))?
    };
    let mut registry = Registry::new(version);
    let mut pending: Vec<Category> = categories
        .into_iter()
        .filter(|c| registry.get(c.id()).is_none())
        .collect();
    // Parents, depends and actions first: register what can be, until nothing more can.
    loop {
        let before = pending.len();
        pending.retain(|c| {
            let done = match c {
                Category::Action(a) => registry.register_action(a.clone()),
                Category::Kind(k) => registry.register_kind(k.clone()),
                Category::Mixin(m) => registry.register_mixin(m.clone()),
            };
            done.is_err()
        });
        if pending.is_empty() || pending.len() == before {
            break;
        }
    }
    let left_out = pending.iter().map(|c| c.id().to_string()).collect();
    Ok((registry, left_out))
}

/// The model rules `lint` reports: what a server rejects in any message naming an entity
/// (required, immutable and link rules depend on the request, which a message alone does not
/// tell).
const MODEL_RULES: [Rule; 9] = [
    Rule::UnknownKind,
    Rule::NotAKind,
    Rule::AbstractKind,
    Rule::UnknownMixin,
    Rule::NotAMixin,
    Rule::WrongType,
    Rule::NotInEnum,
    Rule::PatternMismatch,
    Rule::OutOfRange,
];

/// Validates the entity `parsed` holds against `registry`: one error per violation of
/// [`MODEL_RULES`], at the value it is about. A quoted number or boolean that the model types
/// as such is a deviation (PySSF quotes every value), not an error.
fn model_findings(input: &Input<'_>, parsed: &Parsed, registry: &Registry, out: &mut Vec<Finding>) {
    let lenient = ParseOptions::lenient().with_version(registry.version());
    let (entity, doc) = match parsed {
        Parsed::Text(doc) => {
            let is_entity = doc
                .categories
                .iter()
                .any(|c| c.class == occi_model::CategoryClass::Kind && c.location.is_none());
            if !is_entity || input.purpose == Purpose::Filter {
                return;
            }
            let Ok(e) = plain::parse_entity(&input.source, &lenient, Some(registry)) else {
                return;
            };
            (e.value, Some(doc))
        }
        Parsed::Json(value) if json_shape(value) == "entity" => {
            let Ok(e) = json::parse_entity(input.source.as_bytes(), &lenient) else {
                return;
            };
            (e.value, None)
        }
        _ => return,
    };
    let mut entity: Entity = entity;
    let kind = entity.kind().clone();
    let mixins = entity.mixins().to_vec();
    let mut unquoted = Vec::new();
    for (name, value) in entity.attributes_mut().iter_mut() {
        let Some(def) = registry.attribute_definition(&kind, &mixins, name) else {
            continue;
        };
        if let AttributeValue::String(text) = value {
            let typed = match def.ty {
                AttributeType::Integer => text.parse::<i64>().ok().map(AttributeValue::Integer),
                AttributeType::Float => text.parse::<f64>().ok().and_then(AttributeValue::float),
                AttributeType::Boolean => text.parse::<bool>().ok().map(AttributeValue::Bool),
                _ => None,
            };
            if let Some(typed) = typed {
                *value = typed;
                unquoted.push(name.to_string());
            }
        }
    }
    let position = |subject: &str| -> (usize, usize) {
        if let Some(doc) = doc {
            if let Some(a) = doc.attributes.iter().find(|a| a.name.as_str() == subject) {
                return (a.position.line, a.position.column);
            }
            if let Some(c) = doc.categories.iter().find(|c| c.id.to_string() == subject) {
                return (c.position.line, c.position.column);
            }
        }
        let offset = input
            .source
            .find(&format!("\"{subject}\""))
            .or_else(|| input.source.find(subject))
            .unwrap_or(0);
        let p = occi_render::Position::locate(&input.source, offset);
        (p.line, p.column)
    };
    for name in unquoted {
        let (line, column) = position(&name);
        out.push(Finding {
            severity: "deviation",
            line,
            column,
            message: format!(
                "the value of {name} is quoted, but the model types it as a number or boolean \
                 (numbers and booleans are never quoted)"
            ),
        });
    }
    if let Err(e) = registry.validate_create(&mut entity, &NoEntities) {
        for v in e.violations() {
            if !MODEL_RULES.contains(&v.rule()) {
                continue;
            }
            let (line, column) = position(v.subject());
            out.push(Finding {
                severity: "error",
                line,
                column,
                message: format!("model ({}): {}", v.rule(), v.message()),
            });
        }
    }
}

/// Lints `text`.
pub fn lint(text: &str, options: &LintOptions) -> Result<LintReport, LintError> {
    let input = read_input(text, options.media)?;
    let strict = ParseOptions::strict().with_version(options.version);
    let lenient = ParseOptions::lenient().with_version(options.version);
    let registry = model_registry(options, options.version);
    let mut findings = Vec::new();
    let (parsed, mut valid) = match parse(&input, &strict, registry.as_ref()) {
        Ok((parsed, _)) => {
            // What strict parsing also accepts (LF line ends) is still reported.
            if let Ok((_, devs)) = parse(&input, &lenient, registry.as_ref()) {
                deviations(&devs, &input, &mut findings);
            }
            (Some(parsed), true)
        }
        Err(strict_error) => match parse(&input, &lenient, registry.as_ref()) {
            Ok((parsed, devs)) => {
                let before = findings.len();
                deviations(&devs, &input, &mut findings);
                let id_only = input.media == Media::Json
                    && !input.response
                    && strict_error
                        .diagnostics()
                        .iter()
                        .all(|d| d.message().ends_with("has no \"id\" member"));
                if id_only && findings.len() == before {
                    // A create without id is what JSN-010 allows: valid, strictly too.
                    (Some(parsed), true)
                } else {
                    if findings.len() == before {
                        findings_of_error(&strict_error, "deviation", &mut findings);
                    }
                    (Some(parsed), !options.strict)
                }
            }
            Err(error) => {
                findings_of_error(&error, "error", &mut findings);
                (None, false)
            }
        },
    };
    if let (Some(p), Some(registry)) = (&parsed, &registry) {
        let before = findings.len();
        model_findings(&input, p, registry, &mut findings);
        let added = &findings[before..];
        if added.iter().any(|f| f.severity == "error") || (options.strict && !added.is_empty()) {
            valid = false;
        }
    }
    let mut out = String::new();
    for f in &findings {
        out.push_str(&caret_block(&input, f));
    }
    let errors = findings.iter().filter(|f| f.severity == "error").count();
    let devs = findings.len() - errors;
    let _ = writeln!(
        out,
        "{}: {} as {} ({errors} error(s), {devs} deviation(s){}{})",
        if valid { "valid" } else { "invalid" },
        if parsed.is_some() && errors == 0 {
            "parsed"
        } else {
            "not parsed"
        },
        input.media.as_str(),
        if options.strict { ", strict" } else { "" },
        match &options.model {
            LintModel::SyntaxOnly => ", syntax only",
            LintModel::Infrastructure => ", infrastructure model",
            LintModel::Registry(_) => ", model from file",
        }
    );
    let rendered = match (options.to, &parsed) {
        (Some(to), Some(p)) => {
            let mut r = render_to(p, &input, to, options.version)?;
            if !r.ends_with('\n') {
                r.push('\n');
            }
            Some(r)
        }
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
            model: LintModel::Infrastructure,
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
                "{\"kind\":\"http://schemas.ogf.org/occi/infrastructure#compute\",\"attributes\":{\"occi.compute.cores\":2}}\n"
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

    const COMPUTE: &str = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n";

    #[test]
    fn a_caret_on_a_long_line_is_shown_in_a_window_around_its_column() {
        let long = format!(
            "Category: {}, stop; scheme=\"http: //x.org/a#\"; class=\"action\"\r\n",
            vec!["m; scheme=\"http://e.org/a#\"; class=\"mixin\""; 200].join(", ")
        );
        assert!(long.len() > 8000);
        let r = lint(&long, &opts()).unwrap();
        assert!(r.valid, "{}", r.text);
        let finding = &r.findings[0];
        assert!(finding.column > 8000, "{finding:?}");
        let snippet = r.text.lines().nth(2).unwrap();
        let caret = r.text.lines().nth(3).unwrap();
        assert!(snippet.chars().count() < 120, "{snippet}");
        assert!(snippet.contains("http: //x.org"), "{snippet}");
        // The caret stands under the offending text.
        let at = caret.chars().count() - 1;
        let under: String = snippet.chars().skip(at).take(5).collect();
        assert_eq!(under, "http:", "{}", r.text);
        let (short, col) = snippet_window("abc", 2);
        assert_eq!((short.as_str(), col), ("abc", 1));
    }

    #[test]
    fn hurtle_requests_without_class_lint_with_a_deviation_each() {
        let deploy = "POST /orchestrator/default?action=deploy HTTP/1.1\r\nContent-Type: text/occi\r\n\
                      Category: deploy; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/service#\"\r\n\r\n";
        let r = lint(deploy, &opts()).unwrap();
        assert!(r.valid, "{}", r.text);
        assert!(r.text.contains("read as action"), "{}", r.text);
        let strict = lint(
            deploy,
            &LintOptions {
                strict: true,
                ..opts()
            },
        )
        .unwrap();
        assert!(!strict.valid);
        let create = format!(
            "PUT /compute/1 HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n{}",
            COMPUTE.replace("; class=\"kind\"", "")
        );
        let r = lint(&create, &opts()).unwrap();
        assert!(
            r.valid && r.text.contains("read as kind (the registry defines it so)"),
            "{}",
            r.text
        );
    }

    #[test]
    fn entities_are_validated_against_the_model_unless_syntax_only() {
        let two = format!("{COMPUTE}X-OCCI-Attribute: occi.compute.cores=\"two\"\r\n");
        let r = lint(&two, &opts()).unwrap();
        assert!(!r.valid, "{}", r.text);
        assert!(
            r.text.contains("wrong-type") && r.text.contains("line 2"),
            "{}",
            r.text
        );
        let syntax = lint(
            &two,
            &LintOptions {
                model: LintModel::SyntaxOnly,
                ..opts()
            },
        )
        .unwrap();
        assert!(syntax.valid, "{}", syntax.text);
        let spaceship = "Category: spaceship; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n";
        let r = lint(spaceship, &opts()).unwrap();
        assert!(!r.valid && r.text.contains("unknown-kind"), "{}", r.text);
        // PySSF quotes numbers: a deviation, not an error.
        let quoted = format!("{COMPUTE}X-OCCI-Attribute: occi.compute.cores=\"2\"\r\n");
        let r = lint(&quoted, &opts()).unwrap();
        assert!(r.valid && r.text.contains("is quoted"), "{}", r.text);
        assert!(
            !lint(
                &quoted,
                &LintOptions {
                    strict: true,
                    ..opts()
                }
            )
            .unwrap()
            .valid
        );
    }

    #[test]
    fn a_saved_query_interface_is_a_model() {
        let qi = "Category: spaceship; scheme=\"http://example.com/occi#\"; class=\"kind\"; \
                  rel=\"http://schemas.ogf.org/occi/core#resource\"; location=\"/spaceship/\"; \
                  attributes=\"com.example.warp\"\r\n\
                  Category: orphan; scheme=\"http://example.com/occi#\"; class=\"kind\"; \
                  rel=\"http://example.com/occi#missing\"; location=\"/orphan/\"\r\n";
        let (registry, left_out) = model_from_query_interface(qi, OcciVersion::V1_2).unwrap();
        assert_eq!(left_out, ["http://example.com/occi#orphan"]);
        let model = LintOptions {
            model: LintModel::Registry(Box::new(registry)),
            ..opts()
        };
        let ship = "Category: spaceship; scheme=\"http://example.com/occi#\"; class=\"kind\"\r\n";
        assert!(lint(ship, &model).unwrap().valid);
        assert!(!lint(COMPUTE, &model).unwrap().valid);
        assert!(!lint(ship, &opts()).unwrap().valid);
    }

    #[test]
    fn a_json_create_without_id_is_valid_even_strictly() {
        let create = r#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","attributes":{"occi.compute.cores":2}}"#;
        let strict = LintOptions {
            strict: true,
            media: Some(Media::Json),
            ..opts()
        };
        let r = lint(create, &strict).unwrap();
        assert!(r.valid, "{}", r.text);
        let response =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/occi+json\r\n\r\n{create}");
        let r = lint(
            &response,
            &LintOptions {
                strict: true,
                ..opts()
            },
        )
        .unwrap();
        assert!(!r.valid, "{}", r.text);
    }

    #[test]
    fn lf_line_ends_are_reported_whatever_the_line_count() {
        let one = COMPUTE.replace("\r\n", "\n");
        let three = format!(
            "{one}X-OCCI-Attribute: occi.core.title=\"a\"\nX-OCCI-Attribute: occi.compute.cores=2\n"
        );
        for text in [one.as_str(), three.as_str()] {
            let r = lint(text, &opts()).unwrap();
            let le = r
                .findings
                .iter()
                .filter(|f| f.message.contains("LF without CR"))
                .count();
            assert_eq!(le, 1, "{}", r.text);
            assert!(r.valid);
        }
    }
}
