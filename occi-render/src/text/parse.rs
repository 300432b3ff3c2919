//! The per-line value parsers and the two front-end drivers (body lines, header fields).

use std::borrow::Cow;

use http::HeaderMap;
use occi_model::{
    AttributeDefinition, AttributeName, AttributeType, AttributeValue, CategoryClass, CategoryId,
    Float, Location, OcciVersion, Scheme, Term,
};

use super::intern;
use super::lex::{self, Locator, NumberShape, QuotedError, Segment};
use super::{
    ActionLinkRepr, AttributeRepr, CategoryRepr, Field, LinkRepr, LocationRepr, Purpose,
    ReadContext, TextDocument,
};
use crate::{
    Deviation, DeviationKind, Diagnostic, ParseError, ParseErrorKind, ParseOptions, Parsed,
    Position, Rendering,
};

/// A failure inside one line: byte offset in the logical line and what went wrong.
#[derive(Debug)]
pub(crate) struct Fail {
    at: usize,
    kind: ParseErrorKind,
    rule: &'static str,
    expected: &'static str,
    message: String,
}

fn fail(
    at: usize,
    kind: ParseErrorKind,
    rule: &'static str,
    expected: &'static str,
    message: impl Into<String>,
) -> Fail {
    Fail {
        at,
        kind,
        rule,
        expected,
        message: message.into(),
    }
}

/// A deviation inside one line, located later.
#[derive(Debug)]
struct Dev {
    at: usize,
    kind: DeviationKind,
    message: Cow<'static, str>,
}

/// Describes what is at the start of `s`, for messages.
fn found(s: &str) -> String {
    match s.chars().next() {
        None => "found the end of the value".to_owned(),
        Some(c) => format!("found {c:?}"),
    }
}

/// Which characters stop an unquoted value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// An `X-OCCI-Attribute` value: up to `,`.
    Attribute,
    /// A parameter value: up to `;`, `,` or whitespace.
    Param,
}

/// The parser of one logical line (or one header field value).
struct Cursor<'a, 'o> {
    s: &'a str,
    pos: usize,
    options: &'o ParseOptions,
    devs: Vec<Dev>,
}

impl<'a> Cursor<'a, '_> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips optional whitespace; whether there was any.
    fn ows(&mut self) -> bool {
        let n = lex::ows(self.rest());
        self.pos += n;
        n != 0
    }

    fn take_name(&mut self) -> &'a str {
        let start = self.pos;
        self.pos += lex::name(self.rest());
        &self.s[start..self.pos]
    }

    fn take_until(&mut self, stop: impl Fn(u8) -> bool) -> &'a str {
        let rest = self.rest();
        let n = rest.bytes().position(stop).unwrap_or(rest.len());
        self.pos += n;
        &rest[..n]
    }

    /// Records a deviation (lenient) or fails with a syntax error (strict).
    fn deviate(
        &mut self,
        at: usize,
        kind: DeviationKind,
        rule: &'static str,
        message: &'static str,
    ) -> Result<(), Fail> {
        if self.options.is_strict() {
            Err(fail(at, ParseErrorKind::Syntax, rule, "", message))
        } else {
            self.devs.push(Dev {
                at,
                kind,
                message: Cow::Borrowed(message),
            });
            Ok(())
        }
    }

    fn note(&mut self, at: usize, kind: DeviationKind, message: impl Into<Cow<'static, str>>) {
        if !self.options.is_strict() {
            self.devs.push(Dev {
                at,
                kind,
                message: message.into(),
            });
        }
    }

    fn quoted(&mut self, rule: &'static str) -> Result<Cow<'a, str>, Fail> {
        let start = self.pos;
        match lex::quoted_string(self.rest()) {
            Ok((rest, content)) => {
                self.pos = self.s.len() - rest.len();
                Ok(content)
            }
            Err(QuotedError::Unterminated) => Err(fail(
                start,
                ParseErrorKind::Syntax,
                rule,
                "a closing '\"'",
                "the quoted string is not terminated",
            )),
            Err(QuotedError::Control(k)) => Err(fail(
                start + k,
                ParseErrorKind::Syntax,
                rule,
                "a printable character or '\"'",
                "a control character is not allowed in a quoted string",
            )),
        }
    }

    /// Whitespace around `=` (implied LWS in 1.1, not allowed in 1.2).
    /// `OWS "=" OWS`, with whitespace around `=` judged by [`Self::ws_around_eq`]; `expected`
    /// names what should have come when there is no `=`.
    fn equals(&mut self, rule: &'static str, expected: &'static str) -> Result<(), Fail> {
        let ws = self.pos;
        if self.ows() {
            self.ws_around_eq(ws, rule)?;
        }
        if !self.eat(b'=') {
            return Err(fail(
                self.pos,
                ParseErrorKind::Syntax,
                rule,
                expected,
                found(self.rest()),
            ));
        }
        let ws = self.pos;
        if self.ows() {
            self.ws_around_eq(ws, rule)?;
        }
        Ok(())
    }

    fn ws_around_eq(&mut self, at: usize, rule: &'static str) -> Result<(), Fail> {
        if self.options.version() == OcciVersion::V1_1 {
            return Ok(());
        }
        self.deviate(
            at,
            DeviationKind::Whitespace,
            rule,
            "whitespace around '=' (RFC 7230 allows none)",
        )
    }

    /// `*( OWS ";" OWS name "=" value )`, calling `param` for each name with the cursor on
    /// the value; stops before `,` or at the end.
    fn params(
        &mut self,
        rule: &'static str,
        mut param: impl FnMut(&mut Self, &'a str, usize) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        loop {
            self.ows();
            match self.peek() {
                None | Some(b',') => return Ok(()),
                Some(b';') => {
                    let semi = self.pos;
                    self.pos += 1;
                    self.ows();
                    if matches!(self.peek(), None | Some(b',')) {
                        return self.deviate(
                            semi,
                            DeviationKind::TrailingSemicolon,
                            rule,
                            "a ';' after the last parameter",
                        );
                    }
                    let name_at = self.pos;
                    let name = self.take_name();
                    if name.is_empty() {
                        return Err(fail(
                            name_at,
                            ParseErrorKind::Syntax,
                            rule,
                            "a parameter name",
                            found(self.rest()),
                        ));
                    }
                    self.equals(rule, "'=' after the parameter name")?;
                    param(self, name, name_at)?;
                }
                Some(_) => {
                    return Err(fail(
                        self.pos,
                        ParseErrorKind::Syntax,
                        rule,
                        "';' and a parameter, ',' or the end of the line",
                        found(self.rest()),
                    ));
                }
            }
        }
    }

    /// A parameter value the grammar quotes; unquoted is lenient only.
    fn quoted_param(&mut self, rule: &'static str) -> Result<(Cow<'a, str>, usize), Fail> {
        if self.peek() == Some(b'"') {
            let at = self.pos + 1;
            return Ok((self.quoted(rule)?, at));
        }
        let at = self.pos;
        let raw = self.take_until(|b| matches!(b, b';' | b',' | b' ' | b'\t'));
        if raw.is_empty() || raw.contains('"') || has_control(raw) {
            return Err(fail(
                at,
                ParseErrorKind::Syntax,
                rule,
                "a quoted-string",
                found(self.rest()),
            ));
        }
        self.deviate(
            at,
            DeviationKind::UnquotedParameter,
            rule,
            "a parameter value without the quotes the grammar requires",
        )?;
        Ok((Cow::Borrowed(raw), at))
    }

    /// A parameter value that may be quoted or not (`class`, a Link's `category`).
    fn any_param(&mut self, rule: &'static str) -> Result<(Cow<'a, str>, usize), Fail> {
        if self.peek() == Some(b'"') {
            let at = self.pos + 1;
            return Ok((self.quoted(rule)?, at));
        }
        let at = self.pos;
        let raw = self.take_until(|b| matches!(b, b';' | b',' | b' ' | b'\t'));
        if raw.is_empty() || raw.contains('"') || has_control(raw) {
            return Err(fail(
                at,
                ParseErrorKind::Syntax,
                rule,
                "a value",
                found(self.rest()),
            ));
        }
        Ok((Cow::Borrowed(raw), at))
    }

    fn term(&mut self, raw: &str, at: usize) -> Result<Term, Fail> {
        let version = self.options.version();
        match intern::term(raw, version) {
            Ok(t) => Ok(t),
            Err(e) => match Term::parse(raw, other(version)) {
                Ok(t) if !self.options.is_strict() => {
                    self.note(
                        at,
                        DeviationKind::VersionGrammar,
                        format!("term {raw:?} is valid only in OCCI {}", other(version)),
                    );
                    Ok(t)
                }
                _ => Err(fail(
                    at,
                    ParseErrorKind::Identifier,
                    "term",
                    "a term",
                    e.to_string(),
                )),
            },
        }
    }

    fn attribute_name(&mut self, raw: &str, at: usize) -> Result<AttributeName, Fail> {
        let version = self.options.version();
        match intern::attribute_name(raw, version) {
            Ok(n) => Ok(n),
            Err(e) => match AttributeName::parse(raw, other(version)) {
                Ok(n) if !self.options.is_strict() => {
                    self.note(
                        at,
                        DeviationKind::VersionGrammar,
                        format!(
                            "attribute name {raw:?} is valid only in OCCI {}",
                            other(version)
                        ),
                    );
                    Ok(n)
                }
                _ => Err(fail(
                    at,
                    ParseErrorKind::Identifier,
                    "attribute-name",
                    "an attribute name",
                    e.to_string(),
                )),
            },
        }
    }

    fn type_identifier(&mut self, raw: &str, at: usize) -> Result<CategoryId, Fail> {
        let (id, v1_1) = intern::type_identifier(raw).map_err(|e| {
            fail(
                at,
                ParseErrorKind::Identifier,
                "type-identifier",
                "a scheme followed by a term",
                e.to_string(),
            )
        })?;
        if !v1_1 && self.options.version() == OcciVersion::V1_1 {
            let term_at = at + raw.rfind('#').map_or(0, |i| i + 1);
            // Re-check with the version grammar for the deviation or the error.
            self.term(id.term().as_str(), term_at)?;
        }
        Ok(id)
    }

    /// Space-separated type identifiers.
    fn type_identifiers(&mut self, raw: &str, at: usize) -> Result<Vec<CategoryId>, Fail> {
        let mut ids = Vec::new();
        let b = raw.as_bytes();
        let mut k = 0;
        while k < b.len() {
            if matches!(b[k], b' ' | b'\t') {
                k += 1;
                continue;
            }
            let start = k;
            k = b[k..]
                .iter()
                .position(|b| matches!(b, b' ' | b'\t'))
                .map_or(b.len(), |n| k + n);
            ids.push(self.type_identifier(&raw[start..k], at + start)?);
        }
        Ok(ids)
    }

    #[allow(clippy::unused_self)] // a method like its siblings, for uniform call sites
    fn location(&self, raw: &str, at: usize, rule: &'static str) -> Result<Location, Fail> {
        Location::new(raw).map_err(|e| {
            fail(
                at,
                ParseErrorKind::Identifier,
                rule,
                "a URI reference",
                e.to_string(),
            )
        })
    }

    fn scheme(&mut self, raw: &str, at: usize, term: &Term) -> Result<Scheme, Fail> {
        match intern::scheme(raw) {
            Ok(s) => Ok(s),
            Err(e) => {
                if let Some(stripped) = raw.strip_suffix(term.as_str())
                    && let Ok(s) = Scheme::new(stripped)
                {
                    self.deviate(
                        at,
                        DeviationKind::SchemeWithTerm,
                        "scheme",
                        "the scheme already has the term appended",
                    )?;
                    return Ok(s);
                }
                Err(fail(
                    at,
                    ParseErrorKind::Identifier,
                    "scheme",
                    "an absolute URI ending with '#'",
                    e.to_string(),
                ))
            }
        }
    }

    /// `attribute-list`: names with optional `{immutable required}`.
    fn attribute_list(&mut self, raw: &str, at: usize) -> Result<Vec<AttributeDefinition>, Fail> {
        let mut defs: Vec<AttributeDefinition> = Vec::new();
        let b = raw.as_bytes();
        let mut k = 0;
        while k < b.len() {
            if b[k] == b' ' || b[k] == b'\t' {
                k += 1;
                continue;
            }
            let start = k;
            while k < b.len() && !matches!(b[k], b' ' | b'\t' | b'{') {
                k += 1;
            }
            let name = self.attribute_name(&raw[start..k], at + start)?;
            let mut def = AttributeDefinition::new(name, AttributeType::String);
            if k < b.len() && b[k] == b'{' {
                let open = k;
                let Some(close) = raw[k..].find('}').map(|i| i + k) else {
                    return Err(fail(
                        at + open,
                        ParseErrorKind::Syntax,
                        "attribute-def",
                        "'}' closing the attribute properties",
                        "the attribute properties are not closed",
                    ));
                };
                let mut offset = open + 1;
                let mut any = false;
                for word in raw[open + 1..close].split([' ', '\t']) {
                    match word {
                        "" => {}
                        "immutable" => def.mutable = false,
                        "required" => def.required = true,
                        other => {
                            return Err(fail(
                                at + offset,
                                ParseErrorKind::Syntax,
                                "attribute-property",
                                "\"immutable\" or \"required\"",
                                format!("found the property {other:?}"),
                            ));
                        }
                    }
                    any |= !word.is_empty();
                    offset += word.len() + 1;
                }
                if !any {
                    return Err(fail(
                        at + open,
                        ParseErrorKind::Syntax,
                        "attribute-def",
                        "\"immutable\" or \"required\"",
                        "empty attribute properties",
                    ));
                }
                k = close + 1;
                if k < b.len() && !matches!(b[k], b' ' | b'\t') {
                    return Err(fail(
                        at + k,
                        ParseErrorKind::Syntax,
                        "attribute-list",
                        "a space between attribute definitions",
                        found(&raw[k..]),
                    ));
                }
            }
            if defs.iter().any(|d| d.name == def.name) {
                return Err(fail(
                    at + start,
                    ParseErrorKind::Structure,
                    "attribute-list",
                    "distinct attribute names",
                    format!("attribute {} is defined twice", def.name),
                ));
            }
            defs.push(def);
        }
        Ok(defs)
    }

    /// Matches a parameter name case-insensitively against `known`; records a deviation
    /// when the case differs.
    fn known_param(
        &mut self,
        name: &str,
        at: usize,
        known: &[&'static str],
    ) -> Option<&'static str> {
        if let Some(k) = known.iter().find(|k| **k == name) {
            return Some(k);
        }
        let k = known.iter().find(|k| k.eq_ignore_ascii_case(name))?;
        self.note(
            at,
            DeviationKind::FieldNameCase,
            "a parameter name in another case than the specification's",
        );
        Some(k)
    }

    /// Checks the parameter order and duplicates.
    fn order(
        &mut self,
        rule: &'static str,
        order: u8,
        seen: &mut u8,
        last: &mut u8,
        at: usize,
    ) -> Result<(), Fail> {
        if *seen & (1 << order) != 0 {
            return Err(fail(
                at,
                ParseErrorKind::Syntax,
                rule,
                "each parameter once",
                "a parameter is given twice",
            ));
        }
        *seen |= 1 << order;
        if order < *last {
            self.deviate(
                at,
                DeviationKind::ParameterOrder,
                rule,
                "parameters in another order than the grammar's",
            )?;
        }
        *last = order.max(*last);
        Ok(())
    }

    /// Skips an unknown parameter's value (lenient) or fails (strict).
    fn unknown_param(&mut self, rule: &'static str, at: usize) -> Result<(), Fail> {
        if self.options.is_strict() {
            return Err(fail(
                at,
                ParseErrorKind::Syntax,
                rule,
                "a parameter the grammar defines",
                "unknown parameter",
            ));
        }
        self.any_param(rule)?;
        self.note(at, DeviationKind::Other, "unknown parameter ignored");
        Ok(())
    }

    /// `category-value`.
    #[allow(clippy::too_many_lines)] // one arm per ABNF parameter
    fn category(&mut self) -> Result<(CategoryRepr, usize, bool), Fail> {
        const RULE: &str = "category-value";
        const NAMES: &[&str] = &[
            "scheme",
            "class",
            "title",
            "rel",
            "location",
            "attributes",
            "actions",
        ];
        let start = self.pos;
        let raw_term = self.take_until(|b| matches!(b, b';' | b',' | b' ' | b'\t'));
        if raw_term.is_empty() {
            return Err(fail(
                start,
                ParseErrorKind::Syntax,
                RULE,
                "a term",
                found(self.rest()),
            ));
        }
        let term = self.term(raw_term, start)?;
        let mut raw_scheme: Option<(Cow<'a, str>, usize)> = None;
        let mut class: Option<CategoryClass> = None;
        let mut title: Option<String> = None;
        let mut rel: Vec<CategoryId> = Vec::new();
        let mut location: Option<Location> = None;
        let mut attributes: Vec<AttributeDefinition> = Vec::new();
        let mut actions: Vec<CategoryId> = Vec::new();
        let (mut seen, mut last) = (0u8, 0u8);
        self.params(RULE, |c, name, at| {
            let Some(known) = c.known_param(name, at, NAMES) else {
                return c.unknown_param(RULE, at);
            };
            let order =
                u8::try_from(NAMES.iter().position(|n| *n == known).unwrap_or(0)).unwrap_or(0);
            c.order(RULE, order, &mut seen, &mut last, at)?;
            match known {
                "scheme" => raw_scheme = Some(c.quoted_param("scheme")?),
                "class" => {
                    let (v, at) = c.any_param("class")?;
                    class = Some(match &*v {
                        "kind" => CategoryClass::Kind,
                        "mixin" => CategoryClass::Mixin,
                        "action" => CategoryClass::Action,
                        _ => {
                            return Err(fail(
                                at,
                                ParseErrorKind::Syntax,
                                "class",
                                "\"kind\", \"mixin\" or \"action\"",
                                format!("found the class {v:?}"),
                            ));
                        }
                    });
                }
                "title" => title = Some(c.quoted_param("title")?.0.into_owned()),
                "rel" => {
                    let (v, at) = c.quoted_param("rel")?;
                    rel = c.type_identifiers(&v, at)?;
                }
                "location" => {
                    let (v, at) = c.quoted_param("location")?;
                    location = Some(c.location(&v, at, "location")?);
                }
                "attributes" => {
                    let (v, at) = c.quoted_param("attribute-list")?;
                    attributes = c.attribute_list(&v, at)?;
                }
                _ => {
                    let (v, at) = c.quoted_param("action-list")?;
                    actions = c.type_identifiers(&v, at)?;
                }
            }
            Ok(())
        })?;
        let Some((raw_scheme, scheme_at)) = raw_scheme else {
            return Err(fail(
                self.pos,
                ParseErrorKind::Syntax,
                RULE,
                "the scheme parameter",
                "the category has no scheme",
            ));
        };
        let scheme = self.scheme(&raw_scheme, scheme_at, &term)?;
        if class.is_none() && self.options.is_strict() {
            return Err(fail(
                self.pos,
                ParseErrorKind::Syntax,
                RULE,
                "the class parameter",
                "the category has no class",
            ));
        }
        // Leniently, a missing class is resolved for the whole document (`Collector::finish`).
        let missing_class = class.is_none();
        let class = class.unwrap_or(CategoryClass::Kind);
        Ok((
            CategoryRepr {
                id: CategoryId::new(scheme, term),
                class,
                title,
                rel,
                location,
                attributes,
                actions,
                position: Position::default(),
            },
            start,
            missing_class,
        ))
    }

    /// An attribute value: quoted string, bool, number, or (lenient, or a Link `token`) an
    /// unquoted string.
    fn value(&mut self, ctx: Ctx, rule: &'static str) -> Result<AttributeValue, Fail> {
        if self.peek() == Some(b'"') {
            return Ok(AttributeValue::String(self.quoted(rule)?.into_owned()));
        }
        let at = self.pos;
        let token = self.take_until(|b| matches!(b, b',' | b';' | b' ' | b'\t'));
        match token {
            "true" => return Ok(AttributeValue::Bool(true)),
            "false" => return Ok(AttributeValue::Bool(false)),
            _ => {}
        }
        if let Some((shape, nonstandard)) = lex::number_shape(token) {
            if nonstandard {
                self.deviate(
                    at,
                    DeviationKind::NumberForm,
                    "number",
                    "a number with a '+' sign or an exponent",
                )?;
            }
            return match shape {
                NumberShape::Integer => {
                    token
                        .parse::<i64>()
                        .map(AttributeValue::Integer)
                        .map_err(|_| {
                            fail(
                                at,
                                ParseErrorKind::Value,
                                "number",
                                "an integer between -2^63 and 2^63-1",
                                format!("the integer {token} is out of range"),
                            )
                        })
                }
                NumberShape::Float => token
                    .parse::<f64>()
                    .ok()
                    .and_then(Float::new)
                    .map(AttributeValue::Float)
                    .ok_or_else(|| {
                        fail(
                            at,
                            ParseErrorKind::Value,
                            "number",
                            "a finite number",
                            format!("the number {token} is out of range"),
                        )
                    }),
            };
        }
        if ctx == Ctx::Param && !token.is_empty() && token.chars().all(lex::is_tchar) {
            // Link attributes may be a `token` (H11 §3.5.2).
            return Ok(AttributeValue::String(token.to_owned()));
        }
        // An unquoted string: up to the next separator.
        self.pos = at;
        let raw = match ctx {
            Ctx::Attribute => self.take_until(|b| b == b','),
            Ctx::Param => self.take_until(|b| b == b',' || b == b';'),
        };
        let raw = raw.trim_end_matches([' ', '\t']);
        self.pos = at + raw.len();
        if raw.is_empty() || raw.contains('"') || has_control(raw) {
            return Err(fail(
                at,
                ParseErrorKind::Syntax,
                rule,
                "a quoted string, a number, true or false",
                found(&self.s[at..]),
            ));
        }
        self.deviate(
            at,
            DeviationKind::UnquotedString,
            "attribute-value",
            "a string value without quotes",
        )?;
        Ok(AttributeValue::String(raw.to_owned()))
    }

    /// `attribute-repr`.
    fn attribute(&mut self) -> Result<(AttributeName, AttributeValue, usize), Fail> {
        const RULE: &str = "attribute-repr";
        let start = self.pos;
        let raw = self.take_until(|b| matches!(b, b'=' | b' ' | b'\t' | b',' | b';'));
        if raw.is_empty() {
            return Err(fail(
                start,
                ParseErrorKind::Syntax,
                RULE,
                "an attribute name",
                found(self.rest()),
            ));
        }
        let name = self.attribute_name(raw, start)?;
        self.equals(RULE, "'=' and a value")?;
        let value = self.value(Ctx::Attribute, "attribute-value")?;
        Ok((name, value, start))
    }

    /// `link-value` (a resource link or an `ActionLink`).
    #[allow(clippy::too_many_lines)] // one arm per ABNF parameter
    fn link(&mut self) -> Result<(LinkOrAction, usize), Fail> {
        const RULE: &str = "link-value";
        const NAMES: &[&str] = &["", "rel", "self", "category"];
        let start = self.pos;
        if !self.eat(b'<') {
            return Err(fail(
                start,
                ParseErrorKind::Syntax,
                RULE,
                "'<' URI-reference '>'",
                found(self.rest()),
            ));
        }
        let uri_at = self.pos;
        let uri = self.take_until(|b| b == b'>');
        if !self.eat(b'>') {
            return Err(fail(
                start,
                ParseErrorKind::Syntax,
                RULE,
                "'>' closing the URI",
                "the URI is not closed",
            ));
        }
        let mut rel: Option<(Vec<CategoryId>, usize)> = None;
        let mut self_location: Option<Location> = None;
        let mut categories: Vec<CategoryId> = Vec::new();
        let mut attributes: Vec<(AttributeName, AttributeValue)> = Vec::new();
        let mut others = 0usize;
        let (mut seen, mut last) = (0u8, 0u8);
        self.params(RULE, |c, name, at| {
            let Some(known) = c.known_param(name, at, &NAMES[1..]) else {
                // A link attribute; they follow `category`.
                let name = c.attribute_name(name, at)?;
                if last < 3 {
                    c.deviate(
                        at,
                        DeviationKind::ParameterOrder,
                        RULE,
                        "a link attribute before the category parameter",
                    )?;
                }
                last = last.max(4);
                let value = c.value(Ctx::Param, "link-attribute")?;
                if attributes.iter().any(|(n, _)| *n == name) {
                    return Err(fail(
                        at,
                        ParseErrorKind::Structure,
                        "link-attribute",
                        "each attribute once",
                        format!("attribute {name} is given twice"),
                    ));
                }
                attributes.push((name, value));
                others += 1;
                return Ok(());
            };
            let order =
                u8::try_from(NAMES.iter().position(|n| *n == known).unwrap_or(0)).unwrap_or(0);
            c.order(RULE, order, &mut seen, &mut last, at)?;
            match known {
                "rel" => {
                    let (v, at) = c.quoted_param("rel")?;
                    rel = Some((c.type_identifiers(&v, at)?, at));
                }
                "self" => {
                    let (v, at) = c.quoted_param("self")?;
                    self_location = Some(c.location(&v, at, "link-instance")?);
                }
                _ => {
                    let (v, at) = c.any_param("category")?;
                    categories = c.type_identifiers(&v, at)?;
                }
            }
            others += usize::from(known != "rel");
            Ok(())
        })?;
        let Some((rel, rel_at)) = rel else {
            return Err(fail(
                self.pos,
                ParseErrorKind::Syntax,
                RULE,
                "the rel parameter",
                "the link has no rel",
            ));
        };
        if rel.is_empty() {
            return Err(fail(
                rel_at,
                ParseErrorKind::Syntax,
                "rel",
                "a type identifier",
                "the rel parameter is empty",
            ));
        }
        if let Some(q) = uri
            .bytes()
            .enumerate()
            .position(|(k, b)| b == b'?' && uri.as_bytes()[k..].starts_with(b"?action="))
        {
            const ARULE: &str = "action-link-value";
            let location = self.location(&uri[..q], uri_at, "action-uri")?;
            let term_at = uri_at + q + 8;
            let term = self.term(&uri[q + 8..], term_at)?;
            if others > 0 || rel.len() != 1 {
                return Err(fail(
                    rel_at,
                    ParseErrorKind::Syntax,
                    ARULE,
                    "only rel with one action type identifier",
                    "an action link carries nothing but one rel",
                ));
            }
            let action = rel.into_iter().next().expect("one rel");
            if action.term() != &term {
                return Err(fail(
                    term_at,
                    ParseErrorKind::Structure,
                    ARULE,
                    "the term of the rel action",
                    format!("the query names action {term} but rel names {action}"),
                ));
            }
            return Ok((
                LinkOrAction::Action(ActionLinkRepr {
                    location,
                    term,
                    action,
                    position: Position::default(),
                }),
                start,
            ));
        }
        let target = self.location(uri, uri_at, "URI-reference")?;
        Ok((
            LinkOrAction::Link(LinkRepr {
                target,
                rel,
                self_location,
                categories,
                attributes,
                position: Position::default(),
            }),
            start,
        ))
    }

    /// `location-value`.
    fn location_value(&mut self) -> Result<(Location, usize), Fail> {
        let start = self.pos;
        let raw = self.take_until(|b| b == b',');
        let raw = raw.trim_end_matches([' ', '\t']);
        let location = self.location(raw, start, "location-value")?;
        Ok((location, start))
    }

    /// Every comma-separated value of one field, into `doc`. Categories without a class are
    /// listed in `unclassed`; with `skip`, a bad value is a deviation and the next value is
    /// read.
    fn values(
        &mut self,
        field: Field,
        doc: &mut TextDocument,
        locator: &mut Locator<'_>,
        budget: &mut usize,
        unclassed: &mut Vec<usize>,
        skip: bool,
    ) -> Result<(), Fail> {
        // With `skip`: the first value skipped, and whether any value was read. A line whose
        // every value is bad is not a list with one bad element: it fails.
        let mut skipped: Option<Fail> = None;
        let mut read = false;
        loop {
            self.ows();
            match self.peek() {
                None => {
                    return match skipped {
                        Some(f) if !read => Err(f),
                        _ => Ok(()),
                    };
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(_) => {}
            }
            if *budget == 0 {
                return Err(fail(
                    self.pos,
                    ParseErrorKind::TooLarge,
                    "text",
                    "",
                    format!("more than {} structures", self.options.max_items()),
                ));
            }
            *budget -= 1;
            let value_start = self.pos;
            let devs = self.devs.len();
            match self.value_of(field, doc, locator, unclassed) {
                Ok(()) => read = true,
                Err(f)
                    if skip && !self.options.is_strict() && f.kind != ParseErrorKind::TooLarge =>
                {
                    self.devs.truncate(devs);
                    self.skip_value(value_start, &f);
                    skipped.get_or_insert(f);
                    continue;
                }
                Err(f) => return Err(f),
            }
            self.ows();
            match self.peek() {
                None => {
                    return match skipped {
                        Some(f) if !read => Err(f),
                        _ => Ok(()),
                    };
                }
                Some(b',') => self.pos += 1,
                Some(_) => {
                    let f = fail(
                        self.pos,
                        ParseErrorKind::Syntax,
                        match field {
                            Field::Category => "category-value",
                            Field::Link => "link-value",
                            Field::Attribute => "attribute-repr",
                            Field::Location => "location-value",
                        },
                        "',' or the end of the line",
                        found(self.rest()),
                    );
                    if !skip || self.options.is_strict() {
                        return Err(f);
                    }
                    // The value read is kept; what follows it up to the next ',' is skipped.
                    self.devs.truncate(devs);
                    self.skip_value(self.pos, &f);
                    read = true;
                }
            }
        }
    }

    /// One value of `field`, into `doc`.
    fn value_of(
        &mut self,
        field: Field,
        doc: &mut TextDocument,
        locator: &mut Locator<'_>,
        unclassed: &mut Vec<usize>,
    ) -> Result<(), Fail> {
        match field {
            Field::Category => {
                let (mut c, at, missing_class) = self.category()?;
                c.position = locator.locate(at);
                if missing_class {
                    unclassed.push(doc.categories.len());
                }
                doc.categories.push(c);
            }
            Field::Link => match self.link()? {
                (LinkOrAction::Link(mut l), at) => {
                    l.position = locator.locate(at);
                    doc.links.push(l);
                }
                (LinkOrAction::Action(mut a), at) => {
                    a.position = locator.locate(at);
                    doc.action_links.push(a);
                }
            },
            Field::Attribute => {
                let (name, value, at) = self.attribute()?;
                doc.attributes.push(AttributeRepr {
                    name,
                    value,
                    position: locator.locate(at),
                });
            }
            Field::Location => {
                let (location, at) = self.location_value()?;
                doc.locations.push(LocationRepr {
                    location,
                    position: locator.locate(at),
                });
            }
        }
        Ok(())
    }

    /// Records the failure `f` of the value starting at `from` as a skipped value, and moves
    /// to the next `,` outside quoted strings (or the end of the line).
    fn skip_value(&mut self, from: usize, f: &Fail) {
        let mut message = format!("{} in {}: {}", f.kind, f.rule, f.message);
        if !f.expected.is_empty() {
            message.push_str(" (expected ");
            message.push_str(f.expected);
            message.push(')');
        }
        message.push_str("; the value is skipped");
        self.devs.push(Dev {
            at: f.at,
            kind: DeviationKind::SkippedValue,
            message: Cow::Owned(message),
        });
        let b = self.s.as_bytes();
        let mut k = from;
        let mut quoted = false;
        while k < b.len() {
            match b[k] {
                b'\\' if quoted => k += 1,
                b'"' => quoted = !quoted,
                b',' if !quoted => break,
                _ => {}
            }
            k += 1;
        }
        self.pos = k.min(b.len());
    }
}

enum LinkOrAction {
    Link(LinkRepr),
    Action(ActionLinkRepr),
}

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\t')
}

fn other(version: OcciVersion) -> OcciVersion {
    match version {
        OcciVersion::V1_1 => OcciVersion::V1_2,
        OcciVersion::V1_2 => OcciVersion::V1_1,
    }
}

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
        let mut cursor = Cursor {
            s: text,
            pos: start,
            options: self.options,
            devs: Vec::new(),
        };
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
        match cursor.values(
            field,
            &mut self.doc,
            locator,
            &mut self.budget,
            &mut self.unclassed,
            skip,
        ) {
            Ok(()) => {
                for d in cursor.devs {
                    let position = locator.locate(d.at);
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
                let position = locator.locate(f.at);
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
                fail(
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
                    fail(
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
                fail(
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
                fail(
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
        let nl = input[offset..].find('\n').map(|i| offset + i);
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
                    fail(
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
                    fail(
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
                    fail(
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
