//! The text grammar (H11 §3.5, T12 §5): one nom rule per ABNF rule, named for it.
//!
//! Every rule is a nom parser over the rest of one logical line (or header field value),
//! composed from the primitives of [`lex`]. Rules that judge what they read (strict or
//! lenient, OCCI 1.1 or 1.2) take a [`Cx`], which holds the options and collects the
//! deviations of the line. Positions are kept as *marks*, the length of the input left at
//! that point, so that any rule can name a position from its own input alone; the line
//! turns a mark into a column once, when it reports.

use std::borrow::Cow;

use nom::bytes::complete::tag;
use nom::character::complete::char;
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};
use occi_model::{
    AttributeDefinition, AttributeName, AttributeType, AttributeValue, CategoryClass, CategoryId,
    Float, Location, OcciVersion, Scheme, Term,
};

use super::lex::{self, Locator, NumberShape, QuotedError, name, ows, till};
use super::{
    ActionLinkRepr, AttributeRepr, CategoryRepr, Field, LinkRepr, LocationRepr, TextDocument,
};
use crate::intern;
use crate::{DeviationKind, ParseErrorKind, ParseOptions, Position};

/// A position in a line: the number of bytes of the line from there to its end.
pub(crate) type Mark = usize;

/// The mark of the start of `i`.
fn mark(i: &str) -> Mark {
    i.len()
}

/// A failure inside one line: where, and what went wrong.
///
/// Boxed, so that every rule's result stays a few words wide: failures are rare, and a
/// wide error would be copied through every successful return.
#[derive(Debug)]
pub(crate) struct Fail(Box<Failure>);

/// The content of a [`Fail`].
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) at: Mark,
    pub(crate) kind: ParseErrorKind,
    pub(crate) rule: &'static str,
    pub(crate) expected: &'static str,
    pub(crate) message: String,
}

impl Fail {
    pub(crate) fn new(
        at: Mark,
        kind: ParseErrorKind,
        rule: &'static str,
        expected: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self(Box::new(Failure {
            at,
            kind,
            rule,
            expected,
            message: message.into(),
        }))
    }

    /// The failure's content.
    pub(crate) fn into_inner(self) -> Failure {
        *self.0
    }
}

impl std::ops::Deref for Fail {
    type Target = Failure;

    fn deref(&self) -> &Failure {
        &self.0
    }
}

impl ParseError<&str> for Fail {
    fn from_error_kind(input: &str, kind: ErrorKind) -> Self {
        Self::new(
            mark(input),
            ParseErrorKind::Syntax,
            "text",
            "",
            kind.description(),
        )
    }

    fn append(_: &str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

/// What a rule returns.
type PResult<'a, O> = IResult<&'a str, O, Fail>;

/// What a check of text already read returns.
type Checked<T> = Result<T, nom::Err<Fail>>;

/// A failure, as a rule returns it.
fn error(
    at: Mark,
    kind: ParseErrorKind,
    rule: &'static str,
    expected: &'static str,
    message: impl Into<String>,
) -> nom::Err<Fail> {
    nom::Err::Error(Fail::new(at, kind, rule, expected, message))
}

/// The failure inside a rule's error (complete parsers never need more input).
pub(crate) fn failure(e: nom::Err<Fail>) -> Fail {
    match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => f,
        nom::Err::Incomplete(_) => Fail::new(
            0,
            ParseErrorKind::Syntax,
            "text",
            "",
            "the value ends too early",
        ),
    }
}

/// A deviation inside one line, located when the line reports.
#[derive(Debug)]
pub(crate) struct Dev {
    pub(crate) at: Mark,
    pub(crate) kind: DeviationKind,
    pub(crate) message: Cow<'static, str>,
}

/// Describes what is at the start of `s`, for messages.
pub(crate) fn found(s: &str) -> String {
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

/// The judgement of one line: its options and the deviations it forgave.
pub(crate) struct Cx<'o> {
    options: &'o ParseOptions,
    /// The length of the line, to turn marks into offsets.
    len: usize,
    pub(crate) devs: Vec<Dev>,
}

impl<'o> Cx<'o> {
    /// The judgement of a line of `len` bytes.
    pub(crate) fn new(options: &'o ParseOptions, len: usize) -> Self {
        Self {
            options,
            len,
            devs: Vec::new(),
        }
    }

    /// The byte offset in the line of `at`.
    pub(crate) fn offset(&self, at: Mark) -> usize {
        self.len.saturating_sub(at)
    }

    /// Records a deviation (lenient) or fails with a syntax error (strict).
    fn deviate(
        &mut self,
        at: Mark,
        kind: DeviationKind,
        rule: &'static str,
        message: &'static str,
    ) -> Checked<()> {
        if self.options.is_strict() {
            Err(error(at, ParseErrorKind::Syntax, rule, "", message))
        } else {
            self.devs.push(Dev {
                at,
                kind,
                message: Cow::Borrowed(message),
            });
            Ok(())
        }
    }

    /// Records a deviation (lenient only; strict parsing has already failed or accepts).
    fn note(&mut self, at: Mark, kind: DeviationKind, message: impl Into<Cow<'static, str>>) {
        if !self.options.is_strict() {
            self.devs.push(Dev {
                at,
                kind,
                message: message.into(),
            });
        }
    }

    /// Whitespace around `=`: implied LWS in 1.1, not allowed in 1.2.
    fn ws_around_eq(&mut self, at: Mark, rule: &'static str) -> Checked<()> {
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

    /// `term`, in the version asked for; the other version's grammar is lenient only.
    fn term(&mut self, raw: &str, at: Mark) -> Checked<Term> {
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
                _ => Err(error(
                    at,
                    ParseErrorKind::Identifier,
                    "term",
                    "a term",
                    e.to_string(),
                )),
            },
        }
    }

    /// `attribute-name`, in the version asked for; the other version's grammar is lenient
    /// only.
    fn attribute_name(&mut self, raw: &str, at: Mark) -> Checked<AttributeName> {
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
                _ => Err(error(
                    at,
                    ParseErrorKind::Identifier,
                    "attribute-name",
                    "an attribute name",
                    e.to_string(),
                )),
            },
        }
    }

    /// `type-identifier = scheme term`.
    fn type_identifier(&mut self, raw: &str, at: Mark) -> Checked<CategoryId> {
        let (id, v1_1) = intern::type_identifier(raw).map_err(|e| {
            error(
                at,
                ParseErrorKind::Identifier,
                "type-identifier",
                "a scheme followed by a term",
                e.to_string(),
            )
        })?;
        if !v1_1 && self.options.version() == OcciVersion::V1_1 {
            let term_at = at - raw.rfind('#').map_or(0, |i| i + 1);
            // Re-check with the version grammar for the deviation or the error.
            self.term(id.term().as_str(), term_at)?;
        }
        Ok(id)
    }

    /// `scheme`; a scheme with the term appended is lenient only.
    fn scheme(&mut self, raw: &str, at: Mark, term: &Term) -> Checked<Scheme> {
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
                Err(error(
                    at,
                    ParseErrorKind::Identifier,
                    "scheme",
                    "an absolute URI ending with '#'",
                    e.to_string(),
                ))
            }
        }
    }

    /// Matches a parameter name case-insensitively against `known`; records a deviation
    /// when the case differs.
    fn known_param(
        &mut self,
        name: &str,
        at: Mark,
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
        at: Mark,
    ) -> Checked<()> {
        if *seen & (1 << order) != 0 {
            return Err(error(
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
}

/// `URI-reference` (and the rules that are one: `location`, `link-instance`, …).
fn location(raw: &str, at: Mark, rule: &'static str) -> Checked<Location> {
    Location::new(raw).map_err(|e| {
        error(
            at,
            ParseErrorKind::Identifier,
            rule,
            "a URI reference",
            e.to_string(),
        )
    })
}

/// An unquoted parameter value or term: up to `;`, `,` or whitespace.
fn param_token(i: &str) -> PResult<'_, &str> {
    till(|b| matches!(b, b';' | b',' | b' ' | b'\t'))(i)
}

/// `quoted-string`, for `rule`: the unescaped content.
fn quoted_string<'a>(rule: &'static str, i: &'a str) -> PResult<'a, Cow<'a, str>> {
    let start = mark(i);
    lex::quoted_string(i).map_err(|e| {
        e.map(|e| match e {
            QuotedError::Unterminated => Fail::new(
                start,
                ParseErrorKind::Syntax,
                rule,
                "a closing '\"'",
                "the quoted string is not terminated",
            ),
            QuotedError::Control(k) => Fail::new(
                start - k,
                ParseErrorKind::Syntax,
                rule,
                "a printable character or '\"'",
                "a control character is not allowed in a quoted string",
            ),
        })
    })
}

/// `OWS "=" OWS`, with whitespace around `=` judged by [`Cx::ws_around_eq`]; `expected`
/// names what should have come when there is no `=`.
fn equals<'a>(
    cx: &mut Cx<'_>,
    rule: &'static str,
    expected: &'static str,
    i: &'a str,
) -> PResult<'a, ()> {
    let (i, ws) = ows(i)?;
    if !ws.is_empty() {
        cx.ws_around_eq(mark(i) + ws.len(), rule)?;
    }
    let Some(i) = i.strip_prefix('=') else {
        return Err(error(
            mark(i),
            ParseErrorKind::Syntax,
            rule,
            expected,
            found(i),
        ));
    };
    let (i, ws) = ows(i)?;
    if !ws.is_empty() {
        cx.ws_around_eq(mark(i) + ws.len(), rule)?;
    }
    Ok((i, ()))
}

/// `OWS ";" OWS param-name "=" OWS`: the next parameter's name and where it starts, or
/// `None` before `,` or at the end of the value (a trailing `;` is lenient only).
fn parameter<'a>(
    cx: &mut Cx<'_>,
    rule: &'static str,
    i: &'a str,
) -> PResult<'a, Option<(&'a str, Mark)>> {
    let (i, _) = ows(i)?;
    match i.as_bytes().first() {
        None | Some(b',') => Ok((i, None)),
        Some(b';') => {
            let semi = mark(i);
            let (i, _) = ows(&i[1..])?;
            if matches!(i.as_bytes().first(), None | Some(b',')) {
                cx.deviate(
                    semi,
                    DeviationKind::TrailingSemicolon,
                    rule,
                    "a ';' after the last parameter",
                )?;
                return Ok((i, None));
            }
            let name_at = mark(i);
            let (i, name) = name(i)?;
            if name.is_empty() {
                return Err(error(
                    name_at,
                    ParseErrorKind::Syntax,
                    rule,
                    "a parameter name",
                    found(i),
                ));
            }
            let (i, ()) = equals(cx, rule, "'=' after the parameter name", i)?;
            Ok((i, Some((name, name_at))))
        }
        Some(_) => Err(error(
            mark(i),
            ParseErrorKind::Syntax,
            rule,
            "';' and a parameter, ',' or the end of the line",
            found(i),
        )),
    }
}

/// A parameter value the grammar quotes (`<"> value <">`); unquoted is lenient only. Also
/// where the value starts.
fn quoted_param<'a>(
    cx: &mut Cx<'_>,
    rule: &'static str,
    i: &'a str,
) -> PResult<'a, (Cow<'a, str>, Mark)> {
    let (i, (v, at, quoted)) = quoted_or_token(rule, "a quoted-string", i)?;
    if !quoted {
        cx.deviate(
            at,
            DeviationKind::UnquotedParameter,
            rule,
            "a parameter value without the quotes the grammar requires",
        )?;
    }
    Ok((i, (v, at)))
}

/// A parameter value that may be quoted or not (`class`, a Link's `category`), and where
/// it starts.
fn param_value<'a>(rule: &'static str, i: &'a str) -> PResult<'a, (Cow<'a, str>, Mark)> {
    let (i, (v, at, _)) = quoted_or_token(rule, "a value", i)?;
    Ok((i, (v, at)))
}

/// `quoted-string | token`: the value, where it starts, and whether it was quoted;
/// `expected` names what should have come when there is neither.
fn quoted_or_token<'a>(
    rule: &'static str,
    expected: &'static str,
    i: &'a str,
) -> PResult<'a, (Cow<'a, str>, Mark, bool)> {
    if i.starts_with('"') {
        let at = mark(i) - 1;
        let (i, v) = quoted_string(rule, i)?;
        return Ok((i, (v, at, true)));
    }
    let at = mark(i);
    let (i, raw) = param_token(i)?;
    if raw.is_empty() || raw.contains('"') || has_control(raw) {
        return Err(error(at, ParseErrorKind::Syntax, rule, expected, found(i)));
    }
    Ok((i, (Cow::Borrowed(raw), at, false)))
}

/// An unknown parameter: its value is skipped (lenient) or it fails (strict).
fn unknown_param<'a>(cx: &mut Cx<'_>, rule: &'static str, at: Mark, i: &'a str) -> PResult<'a, ()> {
    if cx.options.is_strict() {
        return Err(error(
            at,
            ParseErrorKind::Syntax,
            rule,
            "a parameter the grammar defines",
            "unknown parameter",
        ));
    }
    let (i, _) = param_value(rule, i)?;
    cx.note(at, DeviationKind::Other, "unknown parameter ignored");
    Ok((i, ()))
}

/// `1*SP`-separated words of `raw` (which starts at `at`), each with its mark.
fn words(raw: &str, at: Mark) -> impl Iterator<Item = (&str, Mark)> {
    let mut i = raw;
    std::iter::from_fn(move || {
        let (rest, _) = ows::<Fail>(i).ok()?;
        if rest.is_empty() {
            return None;
        }
        let (rest2, word) = till::<Fail>(|b| matches!(b, b' ' | b'\t'))(rest).ok()?;
        i = rest2;
        Some((word, at - (raw.len() - rest.len())))
    })
}

/// `resource-type`, `link-type`, `action-list`: type identifiers separated by `1*SP`.
fn type_identifiers(cx: &mut Cx<'_>, raw: &str, at: Mark) -> Checked<Vec<CategoryId>> {
    words(raw, at)
        .map(|(word, at)| cx.type_identifier(word, at))
        .collect()
}

/// `attribute-list = attribute-def *( 1*SP attribute-def )`.
fn attribute_list(cx: &mut Cx<'_>, raw: &str, at: Mark) -> Checked<Vec<AttributeDefinition>> {
    let mut defs: Vec<AttributeDefinition> = Vec::new();
    let mut i = raw;
    loop {
        let (rest, _) = ows(i)?;
        if rest.is_empty() {
            return Ok(defs);
        }
        let def_at = at - (raw.len() - rest.len());
        let (rest, def) = attribute_def(cx, raw, at, rest)?;
        if defs.iter().any(|d| d.name == def.name) {
            return Err(error(
                def_at,
                ParseErrorKind::Structure,
                "attribute-list",
                "distinct attribute names",
                format!("attribute {} is defined twice", def.name),
            ));
        }
        defs.push(def);
        i = rest;
    }
}

/// `attribute-def = attribute-name [ "{" attribute-property *( 1*SP attribute-property ) "}" ]`,
/// at `i` inside the attribute list `raw` (which starts at `at`).
fn attribute_def<'a>(
    cx: &mut Cx<'_>,
    raw: &str,
    at: Mark,
    i: &'a str,
) -> PResult<'a, AttributeDefinition> {
    let here = |s: &str| at - (raw.len() - s.len());
    let (rest, raw_name) = till(|b| matches!(b, b' ' | b'\t' | b'{'))(i)?;
    let name = cx.attribute_name(raw_name, here(i))?;
    let mut def = AttributeDefinition::new(name, AttributeType::String);
    let Ok((props, _)) = char::<_, Fail>('{').parse(rest) else {
        return Ok((rest, def));
    };
    let open = here(rest);
    let Some(close) = props.find('}') else {
        return Err(error(
            open,
            ParseErrorKind::Syntax,
            "attribute-def",
            "'}' closing the attribute properties",
            "the attribute properties are not closed",
        ));
    };
    let mut any = false;
    for (word, word_at) in words(&props[..close], here(props)) {
        match attribute_property(word) {
            Some(true) => def.mutable = false,
            Some(false) => def.required = true,
            None => {
                return Err(error(
                    word_at,
                    ParseErrorKind::Syntax,
                    "attribute-property",
                    "\"immutable\" or \"required\"",
                    format!("found the property {word:?}"),
                ));
            }
        }
        any = true;
    }
    if !any {
        return Err(error(
            open,
            ParseErrorKind::Syntax,
            "attribute-def",
            "\"immutable\" or \"required\"",
            "empty attribute properties",
        ));
    }
    let rest = &props[close + 1..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return Err(error(
            here(rest),
            ParseErrorKind::Syntax,
            "attribute-list",
            "a space between attribute definitions",
            found(rest),
        ));
    }
    Ok((rest, def))
}

/// `attribute-property = "immutable" | "required"`: `Some(true)` for immutable,
/// `Some(false)` for required.
fn attribute_property(word: &str) -> Option<bool> {
    match word {
        "immutable" => Some(true),
        "required" => Some(false),
        _ => None,
    }
}

/// `class = "action" | "mixin" | "kind"`.
fn class(v: &str, at: Mark) -> Checked<CategoryClass> {
    match v {
        "kind" => Ok(CategoryClass::Kind),
        "mixin" => Ok(CategoryClass::Mixin),
        "action" => Ok(CategoryClass::Action),
        _ => Err(error(
            at,
            ParseErrorKind::Syntax,
            "class",
            "\"kind\", \"mixin\" or \"action\"",
            format!("found the class {v:?}"),
        )),
    }
}

/// One `category-value`, where it starts, and whether it lacks `class` (lenient only; the
/// class is then resolved for the whole document).
#[allow(clippy::too_many_lines)] // one arm per ABNF parameter
fn category_value<'a>(cx: &mut Cx<'_>, i: &'a str) -> PResult<'a, (CategoryRepr, Mark, bool)> {
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
    let start = mark(i);
    let (mut i, raw_term) = param_token(i)?;
    if raw_term.is_empty() {
        return Err(error(
            start,
            ParseErrorKind::Syntax,
            RULE,
            "a term",
            found(i),
        ));
    }
    let term = cx.term(raw_term, start)?;
    let mut raw_scheme: Option<(Cow<'a, str>, Mark)> = None;
    let mut class_: Option<CategoryClass> = None;
    let mut title: Option<String> = None;
    let mut rel: Vec<CategoryId> = Vec::new();
    let mut location_: Option<Location> = None;
    let mut attributes: Vec<AttributeDefinition> = Vec::new();
    let mut actions: Vec<CategoryId> = Vec::new();
    let (mut seen, mut last) = (0u8, 0u8);
    loop {
        let (rest, param) = parameter(cx, RULE, i)?;
        i = rest;
        let Some((name, at)) = param else { break };
        let Some(known) = cx.known_param(name, at, NAMES) else {
            i = unknown_param(cx, RULE, at, i)?.0;
            continue;
        };
        let order = u8::try_from(NAMES.iter().position(|n| *n == known).unwrap_or(0)).unwrap_or(0);
        cx.order(RULE, order, &mut seen, &mut last, at)?;
        i = match known {
            "scheme" => {
                let (i, v) = quoted_param(cx, "scheme", i)?;
                raw_scheme = Some(v);
                i
            }
            "class" => {
                let (i, (v, at)) = param_value("class", i)?;
                class_ = Some(class(&v, at)?);
                i
            }
            "title" => {
                let (i, (v, _)) = quoted_param(cx, "title", i)?;
                title = Some(v.into_owned());
                i
            }
            "rel" => {
                let (i, (v, at)) = quoted_param(cx, "rel", i)?;
                rel = type_identifiers(cx, &v, at)?;
                i
            }
            "location" => {
                let (i, (v, at)) = quoted_param(cx, "location", i)?;
                location_ = Some(location(&v, at, "location")?);
                i
            }
            "attributes" => {
                let (i, (v, at)) = quoted_param(cx, "attribute-list", i)?;
                attributes = attribute_list(cx, &v, at)?;
                i
            }
            _ => {
                let (i, (v, at)) = quoted_param(cx, "action-list", i)?;
                actions = type_identifiers(cx, &v, at)?;
                i
            }
        };
    }
    let Some((raw_scheme, scheme_at)) = raw_scheme else {
        return Err(error(
            mark(i),
            ParseErrorKind::Syntax,
            RULE,
            "the scheme parameter",
            "the category has no scheme",
        ));
    };
    let scheme = cx.scheme(&raw_scheme, scheme_at, &term)?;
    if class_.is_none() && cx.options.is_strict() {
        return Err(error(
            mark(i),
            ParseErrorKind::Syntax,
            RULE,
            "the class parameter",
            "the category has no class",
        ));
    }
    let missing_class = class_.is_none();
    let category = CategoryRepr {
        id: CategoryId::new(scheme, term),
        class: class_.unwrap_or(CategoryClass::Kind),
        title,
        rel,
        location: location_,
        attributes,
        actions,
        position: Position::default(),
    };
    Ok((i, (category, start, missing_class)))
}

/// `bool = "true" | "false"`.
fn bool_value(token: &str) -> Option<bool> {
    match token {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `number = int | float`, from an unquoted token at `at`.
fn number(cx: &mut Cx<'_>, token: &str, at: Mark) -> Option<Checked<AttributeValue>> {
    let (shape, nonstandard) = lex::number_shape(token)?;
    if nonstandard
        && let Err(e) = cx.deviate(
            at,
            DeviationKind::NumberForm,
            "number",
            "a number with a '+' sign or an exponent",
        )
    {
        return Some(Err(e));
    }
    Some(match shape {
        NumberShape::Integer => token
            .parse::<i64>()
            .map(AttributeValue::Integer)
            .map_err(|_| {
                error(
                    at,
                    ParseErrorKind::Value,
                    "number",
                    "an integer between -2^63 and 2^63-1",
                    format!("the integer {token} is out of range"),
                )
            }),
        NumberShape::Float => token
            .parse::<f64>()
            .ok()
            .and_then(Float::new)
            .map(AttributeValue::Float)
            .ok_or_else(|| {
                error(
                    at,
                    ParseErrorKind::Value,
                    "number",
                    "a finite number",
                    format!("the number {token} is out of range"),
                )
            }),
    })
}

/// `attribute-value = string | number | bool | enum-val`, or (lenient, or a Link's
/// `token`) an unquoted string.
fn attribute_value<'a>(
    cx: &mut Cx<'_>,
    ctx: Ctx,
    rule: &'static str,
    i: &'a str,
) -> PResult<'a, AttributeValue> {
    if i.starts_with('"') {
        let (i, s) = quoted_string(rule, i)?;
        return Ok((i, AttributeValue::String(s.into_owned())));
    }
    let at = mark(i);
    let (rest, token) = param_token(i)?;
    if let Some(b) = bool_value(token) {
        return Ok((rest, AttributeValue::Bool(b)));
    }
    if let Some(n) = number(cx, token, at) {
        return Ok((rest, n?));
    }
    if ctx == Ctx::Param && !token.is_empty() && token.chars().all(lex::is_tchar) {
        // Link attributes may be a `token` (H11 §3.5.2).
        return Ok((rest, AttributeValue::String(token.to_owned())));
    }
    // An unquoted string: up to the next separator.
    let (_, raw) = match ctx {
        Ctx::Attribute => till(|b| b == b',')(i)?,
        Ctx::Param => till(|b| b == b',' || b == b';')(i)?,
    };
    let raw = raw.trim_end_matches([' ', '\t']);
    if raw.is_empty() || raw.contains('"') || has_control(raw) {
        return Err(error(
            at,
            ParseErrorKind::Syntax,
            rule,
            "a quoted string, a number, true or false",
            found(i),
        ));
    }
    cx.deviate(
        at,
        DeviationKind::UnquotedString,
        "attribute-value",
        "a string value without quotes",
    )?;
    Ok((&i[raw.len()..], AttributeValue::String(raw.to_owned())))
}

/// `attribute-repr = attribute-name "=" attribute-value`, and where it starts.
fn attribute_repr<'a>(
    cx: &mut Cx<'_>,
    i: &'a str,
) -> PResult<'a, (AttributeName, AttributeValue, Mark)> {
    const RULE: &str = "attribute-repr";
    let start = mark(i);
    let (i, raw) = till(|b| matches!(b, b'=' | b' ' | b'\t' | b',' | b';'))(i)?;
    if raw.is_empty() {
        return Err(error(
            start,
            ParseErrorKind::Syntax,
            RULE,
            "an attribute name",
            found(i),
        ));
    }
    let name = cx.attribute_name(raw, start)?;
    let (i, ()) = equals(cx, RULE, "'=' and a value", i)?;
    let (i, value) = attribute_value(cx, Ctx::Attribute, "attribute-value", i)?;
    Ok((i, (name, value, start)))
}

/// A `link-value`: a resource link or an action link.
enum LinkOrAction {
    Link(LinkRepr),
    Action(ActionLinkRepr),
}

/// `"<" URI-reference ">"`: the URI and where it starts.
fn link_target(i: &str) -> PResult<'_, (&str, Mark)> {
    const RULE: &str = "link-value";
    let start = mark(i);
    let Ok((i, _)) = char::<_, Fail>('<').parse(i) else {
        return Err(error(
            start,
            ParseErrorKind::Syntax,
            RULE,
            "'<' URI-reference '>'",
            found(i),
        ));
    };
    let uri_at = mark(i);
    let (i, uri) = till(|b| b == b'>')(i)?;
    let Ok((i, _)) = char::<_, Fail>('>').parse(i) else {
        return Err(error(
            start,
            ParseErrorKind::Syntax,
            RULE,
            "'>' closing the URI",
            "the URI is not closed",
        ));
    };
    Ok((i, (uri, uri_at)))
}

/// `link-attribute = attribute-name "=" ( token | quoted-string )`: the value, the name and
/// `=` read by [`parameter`].
fn link_attribute<'a>(cx: &mut Cx<'_>, i: &'a str) -> PResult<'a, AttributeValue> {
    attribute_value(cx, Ctx::Param, "link-attribute", i)
}

/// `action-uri = URI "?" "action=" term`: the entity's location and the term, if `uri` is
/// one (a URI whose query starts with `action=`).
fn action_uri(cx: &mut Cx<'_>, uri: &str, uri_at: Mark) -> Option<Checked<(Location, Term, Mark)>> {
    let q =
        memchr::memchr_iter(b'?', uri.as_bytes()).find(|&q| uri[q..].starts_with("?action="))?;
    let (query, _) = tag::<_, _, Fail>("?action=").parse(&uri[q..]).ok()?;
    Some((|| {
        let location = location(&uri[..q], uri_at, "action-uri")?;
        let term_at = uri_at - (q + "?action=".len());
        let term = cx.term(query, term_at)?;
        Ok((location, term, term_at))
    })())
}

/// One `link-value` (a resource link or an `ActionLink`), and where it starts.
#[allow(clippy::too_many_lines)] // one arm per ABNF parameter
fn link_value<'a>(cx: &mut Cx<'_>, i: &'a str) -> PResult<'a, (LinkOrAction, Mark)> {
    const RULE: &str = "link-value";
    const NAMES: &[&str] = &["", "rel", "self", "category"];
    let start = mark(i);
    let (mut i, (uri, uri_at)) = link_target(i)?;
    let mut rel: Option<(Vec<CategoryId>, Mark)> = None;
    let mut self_location: Option<Location> = None;
    let mut categories: Vec<CategoryId> = Vec::new();
    let mut attributes: Vec<(AttributeName, AttributeValue)> = Vec::new();
    let mut others = 0usize;
    let (mut seen, mut last) = (0u8, 0u8);
    loop {
        let (rest, param) = parameter(cx, RULE, i)?;
        i = rest;
        let Some((name, at)) = param else { break };
        let Some(known) = cx.known_param(name, at, &NAMES[1..]) else {
            // A link attribute; they follow `category`.
            let name = cx.attribute_name(name, at)?;
            if last < 3 {
                cx.deviate(
                    at,
                    DeviationKind::ParameterOrder,
                    RULE,
                    "a link attribute before the category parameter",
                )?;
            }
            last = last.max(4);
            let (rest, value) = link_attribute(cx, i)?;
            if attributes.iter().any(|(n, _)| *n == name) {
                return Err(error(
                    at,
                    ParseErrorKind::Structure,
                    "link-attribute",
                    "each attribute once",
                    format!("attribute {name} is given twice"),
                ));
            }
            attributes.push((name, value));
            others += 1;
            i = rest;
            continue;
        };
        let order = u8::try_from(NAMES.iter().position(|n| *n == known).unwrap_or(0)).unwrap_or(0);
        cx.order(RULE, order, &mut seen, &mut last, at)?;
        i = match known {
            "rel" => {
                let (i, (v, at)) = quoted_param(cx, "rel", i)?;
                rel = Some((type_identifiers(cx, &v, at)?, at));
                i
            }
            "self" => {
                let (i, (v, at)) = quoted_param(cx, "self", i)?;
                self_location = Some(location(&v, at, "link-instance")?);
                i
            }
            _ => {
                let (i, (v, at)) = param_value("category", i)?;
                categories = type_identifiers(cx, &v, at)?;
                i
            }
        };
        others += usize::from(known != "rel");
    }
    let Some((rel, rel_at)) = rel else {
        return Err(error(
            mark(i),
            ParseErrorKind::Syntax,
            RULE,
            "the rel parameter",
            "the link has no rel",
        ));
    };
    if rel.is_empty() {
        return Err(error(
            rel_at,
            ParseErrorKind::Syntax,
            "rel",
            "a type identifier",
            "the rel parameter is empty",
        ));
    }
    if let Some(action) = action_uri(cx, uri, uri_at) {
        const ARULE: &str = "action-link-value";
        let (location, term, term_at) = action?;
        let action = match <[CategoryId; 1]>::try_from(rel) {
            Ok([action]) if others == 0 => action,
            _ => {
                return Err(error(
                    rel_at,
                    ParseErrorKind::Syntax,
                    ARULE,
                    "only rel with one action type identifier",
                    "an action link carries nothing but one rel",
                ));
            }
        };
        if action.term() != &term {
            return Err(error(
                term_at,
                ParseErrorKind::Structure,
                ARULE,
                "the term of the rel action",
                format!("the query names action {term} but rel names {action}"),
            ));
        }
        let link = ActionLinkRepr {
            location,
            term,
            action,
            position: Position::default(),
        };
        return Ok((i, (LinkOrAction::Action(link), start)));
    }
    let target = location(uri, uri_at, "URI-reference")?;
    let link = LinkRepr {
        target,
        rel,
        self_location,
        categories,
        attributes,
        position: Position::default(),
    };
    Ok((i, (LinkOrAction::Link(link), start)))
}

/// `location-value = URI-reference`, and where it starts.
fn location_value(i: &str) -> PResult<'_, (Location, Mark)> {
    let start = mark(i);
    let (i, raw) = till(|b| b == b',')(i)?;
    let raw = raw.trim_end_matches([' ', '\t']);
    let location = location(raw, start, "location-value")?;
    Ok((i, (location, start)))
}

/// Where a field's values go, and what bounds them.
pub(crate) struct Sink<'d, 'l, 'i> {
    pub(crate) doc: &'d mut TextDocument,
    pub(crate) locator: &'l mut Locator<'i>,
    /// How many more structures the document may hold.
    pub(crate) budget: &'d mut usize,
    /// Indices in `doc.categories` of the Categories without `class`.
    pub(crate) unclassed: &'d mut Vec<usize>,
    /// Whether a bad value is skipped (lenient) instead of failing the line.
    pub(crate) skip: bool,
}

/// `#value`: every comma-separated value of one field, into the sink. With `skip`, a bad
/// value is a deviation and the next value is read; a line whose every value is bad is not
/// a list with one bad element, and fails.
pub(crate) fn field_values(
    cx: &mut Cx<'_>,
    field: Field,
    mut i: &str,
    sink: &mut Sink<'_, '_, '_>,
) -> Result<(), Fail> {
    let skip = sink.skip && !cx.options.is_strict();
    let mut skipped: Option<Fail> = None;
    let mut read = false;
    loop {
        i = ows(i).map_err(failure)?.0;
        match i.as_bytes().first() {
            None => {
                return match skipped {
                    Some(f) if !read => Err(f),
                    _ => Ok(()),
                };
            }
            Some(b',') => {
                i = &i[1..];
                continue;
            }
            Some(_) => {}
        }
        if *sink.budget == 0 {
            return Err(Fail::new(
                mark(i),
                ParseErrorKind::TooLarge,
                "text",
                "",
                format!("more than {} structures", cx.options.max_items()),
            ));
        }
        *sink.budget -= 1;
        let devs = cx.devs.len();
        match field_value(cx, field, i, sink) {
            Ok(rest) => {
                read = true;
                i = rest;
            }
            Err(e) => {
                let f = failure(e);
                if !skip || f.kind == ParseErrorKind::TooLarge {
                    return Err(f);
                }
                cx.devs.truncate(devs);
                i = skip_value(cx, i, &f);
                skipped.get_or_insert(f);
                continue;
            }
        }
        i = ows(i).map_err(failure)?.0;
        match i.as_bytes().first() {
            None => {
                return match skipped {
                    Some(f) if !read => Err(f),
                    _ => Ok(()),
                };
            }
            Some(b',') => i = &i[1..],
            Some(_) => {
                let f = Fail::new(
                    mark(i),
                    ParseErrorKind::Syntax,
                    match field {
                        Field::Category => "category-value",
                        Field::Link => "link-value",
                        Field::Attribute => "attribute-repr",
                        Field::Location => "location-value",
                    },
                    "',' or the end of the line",
                    found(i),
                );
                if !skip {
                    return Err(f);
                }
                // The value read is kept; what follows it up to the next ',' is skipped.
                cx.devs.truncate(devs);
                i = skip_value(cx, i, &f);
                read = true;
            }
        }
    }
}

/// One value of `field`, into the sink.
fn field_value<'a>(
    cx: &mut Cx<'_>,
    field: Field,
    i: &'a str,
    sink: &mut Sink<'_, '_, '_>,
) -> Result<&'a str, nom::Err<Fail>> {
    let doc = &mut *sink.doc;
    Ok(match field {
        Field::Category => {
            let (i, (mut c, at, missing_class)) = category_value(cx, i)?;
            c.position = sink.locator.locate(cx.offset(at));
            if missing_class {
                sink.unclassed.push(doc.categories.len());
            }
            doc.categories.push(c);
            i
        }
        Field::Link => match link_value(cx, i)? {
            (i, (LinkOrAction::Link(mut l), at)) => {
                l.position = sink.locator.locate(cx.offset(at));
                doc.links.push(l);
                i
            }
            (i, (LinkOrAction::Action(mut a), at)) => {
                a.position = sink.locator.locate(cx.offset(at));
                doc.action_links.push(a);
                i
            }
        },
        Field::Attribute => {
            let (i, (name, value, at)) = attribute_repr(cx, i)?;
            doc.attributes.push(AttributeRepr {
                name,
                value,
                position: sink.locator.locate(cx.offset(at)),
            });
            i
        }
        Field::Location => {
            let (i, (location, at)) = location_value(i)?;
            doc.locations.push(LocationRepr {
                location,
                position: sink.locator.locate(cx.offset(at)),
            });
            i
        }
    })
}

/// Records the failure `f` of the value at `i` as a skipped value, and returns the rest
/// from the next `,` outside quoted strings (or the end of the line).
fn skip_value<'a>(cx: &mut Cx<'_>, i: &'a str, f: &Fail) -> &'a str {
    let mut message = format!("{} in {}: {}", f.kind, f.rule, f.message);
    if !f.expected.is_empty() {
        message.push_str(" (expected ");
        message.push_str(f.expected);
        message.push(')');
    }
    message.push_str("; the value is skipped");
    cx.devs.push(Dev {
        at: f.at,
        kind: DeviationKind::SkippedValue,
        message: Cow::Owned(message),
    });
    let b = i.as_bytes();
    let mut k = 0;
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
    &i[k.min(b.len())..]
}

/// Whether `s` holds a control character other than HTAB.
fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\t')
}

/// The other OCCI version.
fn other(version: OcciVersion) -> OcciVersion {
    match version {
        OcciVersion::V1_1 => OcciVersion::V1_2,
        OcciVersion::V1_2 => OcciVersion::V1_1,
    }
}
