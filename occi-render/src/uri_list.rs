//! The `text/uri-list` rendering (RFC 2483): one URI per line, `#` comment lines.
//!
//! Only listings (collections, Mixin members, namespace paths) have this rendering
//! (H11 §3.6.6, T12 §8). Each URI is validated as an [`occi_model::Location`].
//!
//! * Parsing accepts CRLF and LF line endings, skips blank lines and `#` comment lines, and
//!   trims surrounding whitespace (SP, HT) of each line. Lenient parsing reports LF-only
//!   endings once and whitespace around a URI as deviations; strict parsing rejects the
//!   whitespace (RFC 2483 has none) but accepts LF, which RFC 2483 only recommends against.
//! * Rendering writes each URI followed by CRLF, without comments.
//!
//! ```
//! use occi_render::{ParseOptions, uri_list};
//! let body = "# compute resources\r\n/compute/1\r\nhttp://example.com/compute/2\r\n";
//! let uris = uri_list::parse(body, &ParseOptions::strict())?.value;
//! assert_eq!(uris.len(), 2);
//! assert_eq!(uri_list::render(&uris), "/compute/1\r\nhttp://example.com/compute/2\r\n");
//! # Ok::<(), occi_render::ParseError>(())
//! ```

use nom::IResult;
use occi_model::Location;

use crate::text::lex::ows;

use crate::{
    Deviation, DeviationKind, Diagnostic, ParseError, ParseErrorKind, ParseOptions, Parsed,
    Position, Rendering,
};

/// One physical line: its text up to LF (a CR before the LF included) and whether an LF
/// ends it. `line = *( %x00-09 / %x0B-FF ) [ LF ]`
#[allow(clippy::unnecessary_wraps)] // a nom parser that cannot fail
fn physical_line(i: &str) -> IResult<&str, (&str, bool), ()> {
    Ok(match memchr::memchr(b'\n', i.as_bytes()) {
        Some(k) => (&i[k + 1..], (&i[..k], true)),
        None => ("", (i, false)),
    })
}

/// What a line (without its ending) holds.
enum UriLine<'a> {
    /// Nothing but whitespace.
    Blank,
    /// A `#` comment.
    Comment,
    /// A URI reference, `lead` bytes of whitespace into the line; `padded` when whitespace
    /// surrounds it.
    Uri {
        uri: &'a str,
        lead: usize,
        padded: bool,
    },
}

/// `uri-line = OWS ( "#" comment / URI-reference ) OWS`, or a blank line.
fn uri_line(line: &str) -> UriLine<'_> {
    let (rest, lead) = ows::<()>(line).unwrap_or((line, ""));
    let uri = rest.trim_end_matches([' ', '\t']);
    if uri.is_empty() {
        UriLine::Blank
    } else if uri.starts_with('#') {
        UriLine::Comment
    } else {
        UriLine::Uri {
            uri,
            lead: lead.len(),
            padded: uri.len() != line.len(),
        }
    }
}

/// Parses a `text/uri-list` body. Every bad line gives its own diagnostic.
pub fn parse(input: &str, options: &ParseOptions) -> Result<Parsed<Vec<Location>>, ParseError> {
    let mut uris = Vec::new();
    let mut deviations = Vec::new();
    let mut diagnostics = Vec::new();
    let mut reported_lf = false;
    let mut rest = input;
    let mut line = 0;
    while !rest.is_empty() {
        line += 1;
        let start = input.len() - rest.len();
        let Ok((next, (text, lf))) = physical_line(rest) else {
            break;
        };
        rest = next;
        let end = start + text.len();
        let (raw, crlf) = match text.strip_suffix('\r') {
            Some(raw) => (raw, true),
            None => (text, false),
        };
        if lf && !crlf && !reported_lf && !options.is_strict() {
            reported_lf = true;
            deviations.push(Deviation::new(
                Position {
                    offset: end,
                    line,
                    column: raw.chars().count() + 1,
                },
                DeviationKind::LineEnding,
                "a line ending in LF without CR",
            ));
        }
        let UriLine::Uri { uri, lead, padded } = uri_line(raw) else {
            continue;
        };
        let position = Position {
            offset: start + lead,
            line,
            column: raw[..lead].chars().count() + 1,
        };
        if padded {
            if options.is_strict() {
                diagnostics.push(Diagnostic::new(
                    position,
                    ParseErrorKind::Syntax,
                    "uri-list",
                    "a URI alone on its line",
                    "whitespace around the URI",
                ));
                continue;
            }
            deviations.push(Deviation::new(
                position,
                DeviationKind::Whitespace,
                "whitespace around a URI",
            ));
        }
        if uris.len() >= options.max_items() {
            diagnostics.push(Diagnostic::new(
                position,
                ParseErrorKind::TooLarge,
                "uri-list",
                "",
                format!("more than {} URIs", options.max_items()),
            ));
            break;
        }
        match Location::new(uri) {
            Ok(l) => uris.push(l),
            Err(e) => diagnostics.push(Diagnostic::new(
                position,
                ParseErrorKind::Identifier,
                "URI-reference",
                "a URI reference",
                e.to_string(),
            )),
        }
    }
    match ParseError::from_diagnostics(Rendering::UriList, diagnostics) {
        Some(e) => Err(e),
        None => Ok(Parsed {
            value: uris,
            deviations,
        }),
    }
}

/// Renders URIs, one per line, each followed by CRLF.
pub fn render(uris: &[Location]) -> String {
    let mut out = String::with_capacity(uris.iter().map(|u| u.as_str().len() + 2).sum());
    for u in uris {
        out.push_str(u.as_str());
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_and_lf_are_accepted() {
        let parsed = parse("# c\n\n/a/1\n/b/2", &ParseOptions::lenient()).unwrap();
        assert_eq!(parsed.value.len(), 2);
        assert_eq!(parsed.deviations.len(), 1);
        assert_eq!(parsed.deviations[0].kind(), DeviationKind::LineEnding);
        assert_eq!(render(&parsed.value), "/a/1\r\n/b/2\r\n");
    }

    #[test]
    fn every_bad_line_is_reported() {
        let err = parse("/ok\r\n/a b\r\n/c,d\r\n", &ParseOptions::strict()).unwrap_err();
        assert_eq!(err.diagnostics().len(), 2);
        assert_eq!((err.line(), err.column()), (2, 1));
        assert_eq!(err.rule(), "URI-reference");
    }
}
