//! Media types: `Content-Type` and `Accept` parsing and the choice of a rendering (content
//! negotiation, spec §5.7).
//!
//! ```
//! use occi_render::media::{MediaType, negotiate};
//! let offered = [MediaType::TextPlain, MediaType::TextOcci, MediaType::OcciJson];
//! let chosen = negotiate(
//!     Some("text/occi;q=0.5, application/occi+json"),
//!     &offered,
//!     MediaType::TextPlain,
//! )?;
//! assert_eq!(chosen, MediaType::OcciJson);
//! // No Accept, or `*/*`: the default (text/plain, ERR-002/ERR-003).
//! assert_eq!(negotiate(Some("*/*"), &offered, MediaType::TextPlain)?, MediaType::TextPlain);
//! # Ok::<(), occi_render::media::NegotiationError>(())
//! ```
//!
//! # Decisions
//!
//! * Type, subtype and parameter names compare case-insensitively (RFC 7231 §3.1.1.1).
//! * A media range with parameters other than `q` (`text/plain; charset=utf-8`) matches the
//!   type whatever the parameters say (no OCCI media type has parameters that change the
//!   rendering) and counts as more specific than the bare range. Accept extensions after `q`
//!   are allowed and ignored.
//! * When several offered types share the highest q-value, the one matched by the most
//!   specific range wins; among equals the server's default wins if it is one of them and was
//!   matched by a wildcard (so `*/*` and `text/*` give text/plain, ERR-003), otherwise the
//!   first in the server's offer order.
//! * `q=0` excludes a type, even when a less specific range would accept it.
//! * Empty list elements (`text/plain,,text/occi`) are allowed, as RFC 7230 §7 requires;
//!   a malformed element is an error that gives its position.
//! * `application/json` is accepted as a synonym that peers following the OCCIware/erocci
//!   documentation send for the JSON rendering; it is offered only if the server offers it.

use std::fmt;

use crate::{Diagnostic, ParseError, ParseErrorKind, Position, Rendering};

/// A media type an OCCI peer sends or asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaType {
    /// `text/plain`: OCCI structures in the body (the 1.1 default).
    TextPlain,
    /// `text/occi+plain` (1.2): the same as `text/plain`.
    TextOcciPlain,
    /// `text/occi`: OCCI structures in HTTP headers.
    TextOcci,
    /// `text/uri-list` (RFC 2483).
    UriList,
    /// `application/occi+json` (GFD.225).
    OcciJson,
    /// `application/json`: not normative, the same JSON documents.
    Json,
}

impl MediaType {
    /// Every media type, in the order a server typically offers them.
    pub const ALL: [Self; 6] = [
        Self::TextPlain,
        Self::TextOcciPlain,
        Self::TextOcci,
        Self::UriList,
        Self::OcciJson,
        Self::Json,
    ];

    /// The `type/subtype` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextPlain => "text/plain",
            Self::TextOcciPlain => "text/occi+plain",
            Self::TextOcci => "text/occi",
            Self::UriList => "text/uri-list",
            Self::OcciJson => "application/occi+json",
            Self::Json => "application/json",
        }
    }

    /// The type (`text` or `application`).
    pub fn type_(self) -> &'static str {
        match self {
            Self::OcciJson | Self::Json => "application",
            _ => "text",
        }
    }

    /// The subtype.
    pub fn subtype(self) -> &'static str {
        let s = self.as_str();
        &s[s.find('/').map_or(0, |i| i + 1)..]
    }

    /// The rendering that reads and writes documents of this type.
    pub fn rendering(self) -> Rendering {
        match self {
            Self::TextPlain | Self::TextOcciPlain => Rendering::TextPlain,
            Self::TextOcci => Rendering::TextOcci,
            Self::UriList => Rendering::UriList,
            Self::OcciJson | Self::Json => Rendering::Json,
        }
    }

    /// The media type named `type/subtype` (compared case-insensitively), if it is one.
    pub fn from_essence(type_: &str, subtype: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| {
            m.type_().eq_ignore_ascii_case(type_) && m.subtype().eq_ignore_ascii_case(subtype)
        })
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed `Content-Type` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// The media type.
    pub media_type: MediaType,
    /// The `charset` parameter, lower-cased, if given.
    pub charset: Option<String>,
}

fn error(
    input: &str,
    offset: usize,
    kind: ParseErrorKind,
    rule: &'static str,
    expected: &str,
    message: String,
) -> ParseError {
    ParseError::new(
        Rendering::MediaType,
        Diagnostic::new(
            Position::locate(input, offset),
            kind,
            rule,
            expected,
            message,
        ),
    )
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A small cursor over a header value.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// A quoted-string; returns its raw content (escapes kept), or `None` if unterminated.
    fn quoted(&mut self) -> Option<&'a str> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        self.pos += 1;
        let start = self.pos;
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    let out = &self.s[start..self.pos];
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
        self.pos = self.s.len();
        None
    }

    fn err(&self, rule: &'static str, expected: &str, message: impl Into<String>) -> ParseError {
        error(
            self.s,
            self.pos.min(self.s.len()),
            ParseErrorKind::Syntax,
            rule,
            expected,
            message.into(),
        )
    }

    /// `type "/" subtype`, either of which may be `*`.
    fn range(&mut self, rule: &'static str) -> Result<(&'a str, &'a str), ParseError> {
        let type_ = self.token();
        if type_.is_empty() {
            return Err(self.err(
                rule,
                "a media type such as text/plain",
                "missing media type",
            ));
        }
        if self.peek() != Some(b'/') {
            return Err(self.err(
                rule,
                "'/' and a subtype",
                format!("{type_:?} has no subtype"),
            ));
        }
        self.pos += 1;
        let subtype = self.token();
        if subtype.is_empty() {
            return Err(self.err(rule, "a subtype", "missing subtype"));
        }
        Ok((type_, subtype))
    }

    /// `*( OWS ";" OWS name "=" value )`, calling `f(name, value, offset)` for each.
    fn parameters(
        &mut self,
        rule: &'static str,
        mut f: impl FnMut(&'a str, &'a str, usize) -> Result<bool, ParseError>,
    ) -> Result<(), ParseError> {
        loop {
            let save = self.pos;
            self.skip_ows();
            if self.peek() != Some(b';') {
                self.pos = save;
                return Ok(());
            }
            self.pos += 1;
            self.skip_ows();
            let at = self.pos;
            let name = self.token();
            if name.is_empty() {
                return Err(self.err(rule, "a parameter name", "missing parameter name after ';'"));
            }
            if self.peek() != Some(b'=') {
                return Err(self.err(
                    rule,
                    "'=' and a value",
                    format!("parameter {name:?} has no value"),
                ));
            }
            self.pos += 1;
            let value = if self.peek() == Some(b'"') {
                self.quoted()
                    .ok_or_else(|| self.err(rule, "a closing '\"'", "unterminated quoted string"))?
            } else {
                let v = self.token();
                if v.is_empty() {
                    return Err(self.err(
                        rule,
                        "a token or quoted string",
                        format!("parameter {name:?} has an empty value"),
                    ));
                }
                v
            };
            if !f(name, value, at)? {
                return Ok(());
            }
        }
    }
}

/// Parses a `Content-Type` value: one of the [`MediaType`]s, with parameters (`charset` is
/// kept, others are ignored). An unknown media type is a [`ParseErrorKind::Value`] error
/// that names it (a server answers 415, or 406 as OCCI peers do; spec §0.3).
pub fn parse_content_type(value: &str) -> Result<ContentType, ParseError> {
    const RULE: &str = "content-type";
    let mut c = Cursor { s: value, pos: 0 };
    c.skip_ows();
    let (type_, subtype) = c.range(RULE)?;
    let mut charset = None;
    c.parameters(RULE, |name, v, _| {
        if name.eq_ignore_ascii_case("charset") {
            charset = Some(v.to_ascii_lowercase());
        }
        Ok(true)
    })?;
    c.skip_ows();
    if c.pos < value.len() {
        return Err(c.err(
            RULE,
            "';' and a parameter, or the end",
            "unexpected characters after the media type",
        ));
    }
    let media_type = MediaType::from_essence(type_, subtype).ok_or_else(|| {
        let supported: Vec<&str> = MediaType::ALL.iter().map(|m| m.as_str()).collect();
        error(
            value,
            0,
            ParseErrorKind::Value,
            RULE,
            &supported.join(", "),
            format!("unsupported media type {type_}/{subtype}"),
        )
    })?;
    Ok(ContentType {
        media_type,
        charset,
    })
}

/// A media range of an `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaRange<'a> {
    /// `*/*`.
    Any,
    /// `type/*`.
    Type(&'a str),
    /// `type/subtype`.
    Exact(&'a str, &'a str),
}

impl MediaRange<'_> {
    /// Whether the range includes `media_type`.
    pub fn matches(&self, media_type: MediaType) -> bool {
        match *self {
            Self::Any => true,
            Self::Type(t) => media_type.type_().eq_ignore_ascii_case(t),
            Self::Exact(t, s) => {
                media_type.type_().eq_ignore_ascii_case(t)
                    && media_type.subtype().eq_ignore_ascii_case(s)
            }
        }
    }
}

/// One element of an `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptEntry<'a> {
    /// The media range.
    pub range: MediaRange<'a>,
    /// Whether the range has parameters other than `q` (more specific).
    pub has_parameters: bool,
    /// The q-value in thousandths (0 to 1000).
    pub quality: u16,
}

impl AcceptEntry<'_> {
    /// How specific the range is: `*/*` 0, `type/*` 1, `type/subtype` 2, with parameters 3.
    pub fn specificity(&self) -> u8 {
        match self.range {
            MediaRange::Any => 0,
            MediaRange::Type(_) => 1,
            MediaRange::Exact(..) => 2 + u8::from(self.has_parameters),
        }
    }
}

fn qvalue(v: &str) -> Option<u16> {
    let b = v.as_bytes();
    let (&first, rest) = b.split_first()?;
    if first != b'0' && first != b'1' {
        return None;
    }
    let mut q = u16::from(first - b'0') * 1000;
    if rest.is_empty() {
        return Some(q);
    }
    let (&dot, digits) = rest.split_first()?;
    if dot != b'.' || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut scale = 100;
    for d in digits {
        q += u16::from(d - b'0') * scale;
        scale /= 10;
    }
    (q <= 1000).then_some(q)
}

/// Calls `f` for each element of an `Accept` value, without allocating.
fn for_each_accept<'a>(
    value: &'a str,
    mut f: impl FnMut(AcceptEntry<'a>),
) -> Result<(), ParseError> {
    const RULE: &str = "accept";
    let mut c = Cursor { s: value, pos: 0 };
    loop {
        c.skip_ows();
        match c.peek() {
            None => return Ok(()),
            Some(b',') => {
                c.pos += 1;
                continue;
            }
            Some(_) => {}
        }
        let (type_, subtype) = c.range(RULE)?;
        let range = match (type_, subtype) {
            ("*", "*") => MediaRange::Any,
            ("*", _) => {
                return Err(c.err(
                    RULE,
                    "*/* or type/subtype",
                    format!("invalid media range {type_}/{subtype}"),
                ));
            }
            (t, "*") => MediaRange::Type(t),
            (t, s) => MediaRange::Exact(t, s),
        };
        let mut entry = AcceptEntry {
            range,
            has_parameters: false,
            quality: 1000,
        };
        let mut seen_q = false;
        c.parameters(RULE, |name, v, at| {
            if seen_q {
                // Accept extensions follow the weight: allowed, ignored.
                return Ok(true);
            }
            if name.eq_ignore_ascii_case("q") {
                entry.quality = qvalue(v).ok_or_else(|| {
                    error(
                        value,
                        at,
                        ParseErrorKind::Syntax,
                        RULE,
                        "a q-value from 0 to 1 with at most 3 decimals",
                        format!("invalid q-value {v:?}"),
                    )
                })?;
                seen_q = true;
            } else {
                entry.has_parameters = true;
            }
            Ok(true)
        })?;
        c.skip_ows();
        match c.peek() {
            None | Some(b',') => f(entry),
            Some(_) => {
                return Err(c.err(RULE, "',' or ';'", "unexpected character in media range"));
            }
        }
    }
}

/// Parses an `Accept` value into its elements, in order.
pub fn parse_accept(value: &str) -> Result<Vec<AcceptEntry<'_>>, ParseError> {
    let mut out = Vec::new();
    for_each_accept(value, |e| out.push(e))?;
    Ok(out)
}

/// Why no media type could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The `Accept` header is malformed (answer 400).
    #[error("malformed Accept header: {0}")]
    Malformed(ParseError),
    /// No offered type is acceptable (answer 406); lists what is offered.
    #[error("none of the offered media types is acceptable: {}", offered_list(.offered))]
    NotAcceptable {
        /// The media types the server offered.
        offered: Vec<MediaType>,
    },
}

fn offered_list(offered: &[MediaType]) -> String {
    offered
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Chooses the media type of a response from the request's `Accept` value, the types the
/// server `offered` (in its order of preference) and its `default` (see the module docs for
/// the rules). No `Accept` header, or an empty one, gives `default`.
pub fn negotiate(
    accept: Option<&str>,
    offered: &[MediaType],
    default: MediaType,
) -> Result<MediaType, NegotiationError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(default);
    };
    // For each offered type: the q-value and specificity of its most specific matching range.
    let mut best: [Option<(u16, u8)>; 8] = [None; 8];
    let n = offered.len().min(best.len());
    let mut extra: Vec<Option<(u16, u8)>> = vec![None; offered.len().saturating_sub(best.len())];
    for_each_accept(accept, |e| {
        let spec = e.specificity();
        for (i, m) in offered.iter().enumerate() {
            if !e.range.matches(*m) {
                continue;
            }
            let slot = if i < n {
                &mut best[i]
            } else {
                &mut extra[i - n]
            };
            if slot.is_none_or(|(_, s)| spec > s) {
                *slot = Some((e.quality, spec));
            }
        }
    })
    .map_err(NegotiationError::Malformed)?;
    let score = |i: usize| if i < n { best[i] } else { extra[i - n] };
    let mut winner: Option<(usize, u16, u8)> = None;
    for i in 0..offered.len() {
        let Some((q, spec)) = score(i) else { continue };
        if q == 0 {
            continue;
        }
        let better = match winner {
            None => true,
            Some((w, wq, ws)) => {
                q > wq
                    || (q == wq && spec > ws)
                    || (q == wq
                        && spec == ws
                        && spec < 2
                        && offered[i] == default
                        && offered[w] != default)
            }
        };
        if better {
            winner = Some((i, q, spec));
        }
    }
    winner
        .map(|(i, _, _)| offered[i])
        .ok_or_else(|| NegotiationError::NotAcceptable {
            offered: offered.to_vec(),
        })
}
