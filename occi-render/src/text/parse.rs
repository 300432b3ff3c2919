//! The two front-end drivers: body lines (text/plain) and header fields (text/occi), each
//! value parsed by the rules of [`grammar`].

use std::borrow::Cow;

use http::HeaderMap;
use occi_model::CategoryClass;

use super::grammar::{self, Cx, Fail, Sink};
use super::lex::{Locator, Segment};
use super::{Field, Purpose, ReadContext, TextDocument};
use crate::{
    Deviation, DeviationKind, Diagnostic, ParseError, ParseErrorKind, ParseOptions, Parsed,
    Position, Rendering,
};

/// Collects diagnostics and deviations of a whole document.
struct Collector<'o, 'r> {
    options: &'o ParseOptions,
    context: &'o ReadContext<'r>,
    doc: TextDocument,
    deviations: Vec<Deviation>,
    diagnostics: Vec<Diagnostic>,
    /// Indices in `doc.categories` of the Categories that have no `class` (lenient only).
    unclassed: Vec<usize>,
    budget: usize,
    too_large: bool,
}

impl<'o, 'r> Collector<'o, 'r> {
    fn new(options: &'o ParseOptions, context: &'o ReadContext<'r>) -> Self {
        Self {
            options,
            context,
            doc: TextDocument::default(),
            deviations: Vec::new(),
            diagnostics: Vec::new(),
            unclassed: Vec::new(),
            budget: options.max_items(),
            too_large: false,
        }
    }

    fn diagnose(&mut self, position: Position, f: Fail) {
        let f = f.into_inner();
        self.too_large |= f.kind == ParseErrorKind::TooLarge;
        self.diagnostics.push(Diagnostic::new(
            position, f.kind, f.rule, f.expected, f.message,
        ));
    }

    fn deviation(&mut self, position: Position, kind: DeviationKind, message: impl Into<String>) {
        if !self.options.is_strict() {
            self.deviations
                .push(Deviation::new(position, kind, message));
        }
    }

    /// Parses one field value (`start` is where the value begins in `text`).
    fn field(&mut self, field: Field, text: &str, start: usize, locator: &mut Locator<'_>) {
        let mut cx = Cx::new(self.options, text.len());
        // Values of a bad line are dropped; the parse fails anyway.
        let before = (
            self.doc.categories.len(),
            self.doc.links.len(),
            self.doc.action_links.len(),
            self.doc.attributes.len(),
            self.doc.locations.len(),
        );
        let skip = self.context.skips_bad_values();
        let unclassed = self.unclassed.len();
        let mut sink = Sink {
            doc: &mut self.doc,
            locator,
            budget: &mut self.budget,
            unclassed: &mut self.unclassed,
            skip,
        };
        let outcome = grammar::field_values(&mut cx, field, &text[start..], &mut sink);
        match outcome {
            Ok(()) => {
                for d in std::mem::take(&mut cx.devs) {
                    let position = locator.locate(cx.offset(d.at));
                    self.deviations
                        .push(Deviation::new(position, d.kind, d.message.into_owned()));
                }
            }
            Err(f) => {
                self.doc.categories.truncate(before.0);
                self.doc.links.truncate(before.1);
                self.doc.action_links.truncate(before.2);
                self.doc.attributes.truncate(before.3);
                self.doc.locations.truncate(before.4);
                self.unclassed.truncate(unclassed);
                let position = locator.locate(cx.offset(f.at));
                self.diagnose(position, f);
            }
        }
    }

    /// Parses one logical body line `Name: value`.
    fn line(&mut self, text: &str, locator: &mut Locator<'_>) {
        let Some(colon) = text.bytes().position(|b| b == b':') else {
            let position = locator.locate(0);
            self.diagnose(
                position,
                Fail::new(
                    0,
                    ParseErrorKind::Syntax,
                    "field-name",
                    "a field name followed by ':'",
                    "the line has no ':'",
                ),
            );
            return;
        };
        let raw_name = &text[..colon];
        let name = raw_name.trim_end_matches([' ', '\t']);
        if name.len() != raw_name.len() {
            if self.options.is_strict() {
                let position = locator.locate(name.len());
                self.diagnose(
                    position,
                    Fail::new(
                        name.len(),
                        ParseErrorKind::Syntax,
                        "field-name",
                        "':' right after the field name",
                        "whitespace before ':'",
                    ),
                );
                return;
            }
            let position = locator.locate(name.len());
            self.deviation(position, DeviationKind::Whitespace, "whitespace before ':'");
        }
        let Some(field) = Field::from_name(name) else {
            let position = locator.locate(0);
            self.diagnose(
                position,
                Fail::new(
                    0,
                    ParseErrorKind::Syntax,
                    "field-name",
                    "Category, Link, X-OCCI-Attribute or X-OCCI-Location",
                    format!(
                        "unknown field {:?}",
                        name.chars().take(40).collect::<String>()
                    ),
                ),
            );
            return;
        };
        if field.name() != name {
            let position = locator.locate(0);
            self.deviation(
                position,
                DeviationKind::FieldNameCase,
                format!("field name {name:?} instead of {:?}", field.name()),
            );
        }
        self.field(field, text, colon + 1, locator);
    }

    /// Gives each Category without `class` the class its context tells, or a diagnostic.
    fn resolve_classes(&mut self) {
        if self.unclassed.is_empty() {
            return;
        }
        let mut has_kind = self
            .doc
            .categories
            .iter()
            .enumerate()
            .any(|(k, c)| c.class == CategoryClass::Kind && !self.unclassed.contains(&k));
        for k in std::mem::take(&mut self.unclassed) {
            let c = &mut self.doc.categories[k];
            let known = self.context.registry().and_then(|r| r.get(&c.id));
            let inferred = match (known, self.context.purpose()) {
                (Some(category), _) => Some((category.class(), "the registry defines it so")),
                (None, Purpose::ActionInvocation) => {
                    Some((CategoryClass::Action, "the request invokes an action"))
                }
                (None, Purpose::Categories) => Some((
                    CategoryClass::Mixin,
                    "categories defined by a client are Mixins",
                )),
                (None, Purpose::Filter) => Some((
                    CategoryClass::Kind,
                    "a filter matches by scheme and term only",
                )),
                (None, Purpose::Entity) if !has_kind => Some((
                    CategoryClass::Kind,
                    "it is the entity's first Category and no other is its Kind",
                )),
                (None, Purpose::Entity) => {
                    Some((CategoryClass::Mixin, "the entity already has its Kind"))
                }
                (None, _) => None,
            };
            if let Some((class, why)) = inferred {
                has_kind |= class == CategoryClass::Kind;
                c.class = class;
                let message = format!(
                    "the Category {} has no class; read as {} ({why})",
                    c.id,
                    class.as_str()
                );
                let position = c.position;
                self.deviations.push(Deviation::new(
                    position,
                    DeviationKind::MissingClass,
                    message,
                ));
            } else {
                let position = c.position;
                self.diagnostics.push(Diagnostic::new(
                    position,
                    ParseErrorKind::Syntax,
                    "category-value",
                    "the class parameter",
                    "the category has no class, and nothing tells which it is",
                ));
            }
        }
        self.deviations
            .sort_by_key(|d| (d.position().line, d.position().column));
        self.diagnostics
            .sort_by_key(|d| (d.position().line, d.position().column));
    }

    fn finish(mut self, rendering: Rendering) -> Result<Parsed<TextDocument>, ParseError> {
        self.resolve_classes();
        match ParseError::from_diagnostics(rendering, self.diagnostics) {
            Some(e) => Err(e),
            None => Ok(Parsed {
                value: self.doc,
                deviations: self.deviations,
            }),
        }
    }
}

/// Parses a text/plain body into its structures.
#[allow(clippy::too_many_lines)] // the line framing state machine
pub(crate) fn parse_plain(
    input: &str,
    options: &ParseOptions,
    context: &ReadContext<'_>,
) -> Result<Parsed<TextDocument>, ParseError> {
    let mut c = Collector::new(options, context);
    if input.trim_matches([' ', '\t', '\r', '\n']) == "OK" {
        // PySSF answers text/occi requests with this body, under `Content-Type: text/plain`.
        let position = Position {
            offset: input.find('O').unwrap_or(0),
            line: 1 + input[..input.find('O').unwrap_or(0)].matches('\n').count(),
            column: 1,
        };
        if options.is_strict() {
            c.diagnose(
                position,
                Fail::new(
                    0,
                    ParseErrorKind::Syntax,
                    "field-name",
                    "OCCI structures, or an empty body",
                    "the body \"OK\" carries no OCCI data",
                ),
            );
        } else {
            c.deviation(
                position,
                DeviationKind::NoContent,
                "the body \"OK\" carries no OCCI data (read as an empty document)",
            );
        }
        return c.finish(Rendering::TextPlain);
    }
    // The logical line being built: its text (owned only once folded) and its locator.
    let mut pending: Option<(Cow<'_, str>, Locator<'_>)> = None;
    let mut offset = 0;
    let mut line_no = 0;
    let mut reported_lf = false;
    let mut reported_lfcr = false;
    // Whether the previous line ended in LF without CR.
    let mut after_lf = false;
    let mut blank_run: Option<Position> = None;
    while offset < input.len() && !c.too_large {
        line_no += 1;
        let nl = memchr::memchr(b'\n', &input.as_bytes()[offset..]).map(|i| offset + i);
        let end = nl.unwrap_or(input.len());
        let mut line_start = offset;
        let mut raw = &input[offset..end];
        if after_lf && raw.starts_with('\r') {
            // `\n\r` between lines (pOCCI joins lines so): the CR belongs to the line end.
            let position = Position {
                offset,
                line: line_no,
                column: 1,
            };
            if options.is_strict() {
                c.diagnose(
                    position,
                    Fail::new(
                        0,
                        ParseErrorKind::Syntax,
                        "line-ending",
                        "CRLF",
                        "a CR at the start of a line (the line before ends in LF CR)",
                    ),
                );
                break;
            }
            if !reported_lfcr {
                reported_lfcr = true;
                c.deviation(
                    position,
                    DeviationKind::LineEnding,
                    "a line ending in LF CR instead of CR LF",
                );
            }
            raw = &raw[1..];
            line_start += 1;
        }
        let crlf = raw.ends_with('\r');
        if crlf {
            raw = &raw[..raw.len() - 1];
        }
        after_lf = nl.is_some() && !crlf;
        offset = end + 1;
        let lfcr_next = input.get(offset..).is_some_and(|r| r.starts_with('\r'));
        if nl.is_some() && !crlf && !lfcr_next && !reported_lf {
            reported_lf = true;
            let position = Position {
                offset: end,
                line: line_no,
                column: raw.chars().count() + 1,
            };
            c.deviation(
                position,
                DeviationKind::LineEnding,
                "a line ending in LF without CR",
            );
        }
        let segment = Segment {
            joined: 0,
            orig: line_start,
            line: line_no,
            line_start,
        };
        if raw.bytes().all(|b| b == b' ' || b == b'\t') {
            if blank_run.is_none() {
                blank_run = Some(Position {
                    offset: line_start,
                    line: line_no,
                    column: 1,
                });
            }
            continue;
        }
        if let Some(position) = blank_run.take() {
            c.deviation(position, DeviationKind::LineEnding, "a blank line");
        }
        if raw.starts_with([' ', '\t']) {
            let trimmed = raw.trim_start_matches([' ', '\t']);
            let skipped = raw.len() - trimmed.len();
            let position = Position {
                offset: line_start,
                line: line_no,
                column: 1,
            };
            if options.is_strict() {
                c.diagnose(
                    position,
                    Fail::new(
                        0,
                        ParseErrorKind::Syntax,
                        "obs-fold",
                        "a field name at the start of the line",
                        "a continuation line (obsolete line folding)",
                    ),
                );
                continue;
            }
            if let Some((text, locator)) = pending.as_mut() {
                c.deviation(position, DeviationKind::LineFolding, "a continuation line");
                let joined = text.to_mut();
                joined.push(' ');
                locator.push(Segment {
                    joined: joined.len(),
                    orig: line_start + skipped,
                    line: line_no,
                    line_start,
                });
                joined.push_str(trimmed);
                continue;
            }
            c.deviation(
                position,
                DeviationKind::Whitespace,
                "whitespace at the start of the first line",
            );
            pending = Some((
                Cow::Borrowed(trimmed),
                Locator::new(
                    input,
                    Segment {
                        joined: 0,
                        orig: line_start + skipped,
                        line: line_no,
                        line_start,
                    },
                ),
            ));
            continue;
        }
        if let Some((text, mut locator)) = pending.take() {
            c.line(&text, &mut locator);
        }
        pending = Some((Cow::Borrowed(raw), Locator::new(input, segment)));
    }
    if let Some((text, mut locator)) = pending.take()
        && !c.too_large
    {
        c.line(&text, &mut locator);
    }
    c.finish(Rendering::TextPlain)
}

/// Parses the OCCI header fields of `headers` into their structures.
pub(crate) fn parse_headers(
    headers: &HeaderMap,
    options: &ParseOptions,
    context: &ReadContext<'_>,
) -> Result<Parsed<TextDocument>, ParseError> {
    let mut c = Collector::new(options, context);
    let mut index = 0;
    for field in [
        Field::Category,
        Field::Link,
        Field::Attribute,
        Field::Location,
    ] {
        for value in headers.get_all(field.name()) {
            if c.too_large {
                break;
            }
            index += 1;
            let Ok(text) = std::str::from_utf8(value.as_bytes()) else {
                c.diagnose(
                    Position {
                        offset: 0,
                        line: index,
                        column: 1,
                    },
                    Fail::new(
                        0,
                        ParseErrorKind::Encoding,
                        "field-value",
                        "UTF-8",
                        format!("the {} field value is not valid UTF-8", field.name()),
                    ),
                );
                continue;
            };
            let mut locator = Locator::new(
                text,
                Segment {
                    joined: 0,
                    orig: 0,
                    line: index,
                    line_start: 0,
                },
            );
            c.field(field, text, 0, &mut locator);
        }
    }
    c.finish(Rendering::TextOcci)
}
