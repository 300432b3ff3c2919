//! Parse options, positioned diagnostics, errors and forgiven deviations, shared by every
//! rendering.

use std::fmt;

use occi_model::OcciVersion;

/// Which rendering a diagnostic is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rendering {
    /// `text/plain` and `text/occi+plain`: OCCI structures in the body.
    TextPlain,
    /// `text/occi`: OCCI structures in HTTP headers.
    TextOcci,
    /// `text/uri-list` (RFC 2483).
    UriList,
    /// `application/occi+json` (GFD.225).
    Json,
    /// The pre-standard JSON PySSF emits (a legacy dialect).
    PyssfJson,
    /// A media type or `Accept` / `Content-Type` header value.
    MediaType,
}

impl fmt::Display for Rendering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TextPlain => "text/plain",
            Self::TextOcci => "text/occi",
            Self::UriList => "text/uri-list",
            Self::Json => "application/occi+json",
            Self::PyssfJson => "PySSF JSON",
            Self::MediaType => "media type",
        })
    }
}

/// Options for every parser.
///
/// *Strict* parsing follows the grammar of the chosen OCCI version to the letter. *Lenient*
/// parsing also accepts what real peers and the specifications' own examples send (a
/// trailing `;`, unquoted strings, `class=kind` without quotes, field names in another
/// case, ...) and reports each such thing as a [`Deviation`]. Whatever strict parsing
/// accepts, lenient parsing accepts with the same result.
///
/// ```
/// use occi_render::ParseOptions;
/// use occi_render::occi_model::OcciVersion;
/// let options = ParseOptions::lenient().with_version(OcciVersion::V1_1);
/// assert!(!options.is_strict());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseOptions {
    strict: bool,
    version: OcciVersion,
    max_items: usize,
}

impl ParseOptions {
    /// Strict parsing for OCCI 1.2.
    pub fn strict() -> Self {
        Self {
            strict: true,
            version: OcciVersion::V1_2,
            max_items: Self::DEFAULT_MAX_ITEMS,
        }
    }

    /// Lenient parsing for OCCI 1.2.
    pub fn lenient() -> Self {
        Self {
            strict: false,
            ..Self::strict()
        }
    }

    /// The default bound on the number of structures (lines, values, array elements) one
    /// document may hold.
    pub const DEFAULT_MAX_ITEMS: usize = 100_000;

    /// Uses the grammar of `version` (terms and attribute names differ between 1.1 and 1.2).
    #[must_use]
    pub fn with_version(mut self, version: OcciVersion) -> Self {
        self.version = version;
        self
    }

    /// Sets the bound on the number of structures one document may hold; more is an error.
    #[must_use]
    pub fn with_max_items(mut self, max_items: usize) -> Self {
        self.max_items = max_items;
        self
    }

    /// Whether parsing is strict.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// The OCCI version whose grammar applies.
    pub fn version(&self) -> OcciVersion {
        self.version
    }

    /// The bound on the number of structures one document may hold.
    pub fn max_items(&self) -> usize {
        self.max_items
    }
}

impl Default for ParseOptions {
    /// Lenient OCCI 1.2 parsing: what a server facing real peers wants.
    fn default() -> Self {
        Self::lenient()
    }
}

/// A place in the input: byte offset, and 1-based line and column (in characters).
///
/// For `text/occi`, where the input is a set of HTTP headers, `line` is the 1-based index of
/// the header field among those the parser read and `column` is counted in the field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// Byte offset from the start of the input (of the field value, for `text/occi`).
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// The start of the input: line 1, column 1 (an empty input's problems are reported there).
impl Default for Position {
    fn default() -> Self {
        Self {
            offset: 0,
            line: 1,
            column: 1,
        }
    }
}

impl Position {
    /// The position of byte `offset` in `input` (clamped to its length).
    pub fn locate(input: &str, offset: usize) -> Self {
        let mut offset = offset.min(input.len());
        while !input.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &input[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = input[line_start..offset].chars().count() + 1;
        Self {
            offset,
            line,
            column,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// The class of a parse error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input does not follow the rendering's grammar.
    Syntax,
    /// An identifier (scheme, term, attribute name, location, ...) is invalid.
    Identifier,
    /// A value is out of range or malformed (a number that does not fit, a bad escape).
    Value,
    /// The input is well-formed but not the document expected (no Kind in an entity
    /// rendering, two Kinds, a Link where none may be, a missing member).
    Structure,
    /// The input is not valid UTF-8.
    Encoding,
    /// The input holds more structures than [`ParseOptions::max_items`] allows.
    TooLarge,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Syntax => "syntax error",
            Self::Identifier => "invalid identifier",
            Self::Value => "invalid value",
            Self::Structure => "unexpected structure",
            Self::Encoding => "invalid encoding",
            Self::TooLarge => "too large",
        })
    }
}

/// One problem found in the input, with where it is, the grammar rule that failed and what
/// was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    position: Position,
    kind: ParseErrorKind,
    rule: &'static str,
    expected: String,
    message: String,
}

impl Diagnostic {
    /// A diagnostic. `rule` names the grammar rule (`category-value`, `attribute-repr`, ...),
    /// `expected` says what would have been valid there, `message` what was found.
    pub fn new(
        position: Position,
        kind: ParseErrorKind,
        rule: &'static str,
        expected: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            position,
            kind,
            rule,
            expected: expected.into(),
            message: message.into(),
        }
    }

    /// Where the problem is.
    pub fn position(&self) -> Position {
        self.position
    }

    /// The class of problem.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The grammar rule that failed.
    pub fn rule(&self) -> &'static str {
        self.rule
    }

    /// What would have been valid at this position.
    pub fn expected(&self) -> &str {
        &self.expected
    }

    /// What was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} in {}: {}",
            self.position, self.kind, self.rule, self.message
        )?;
        if !self.expected.is_empty() {
            write!(f, " (expected {})", self.expected)?;
        }
        Ok(())
    }
}

/// A failed parse: one or more [`Diagnostic`]s (text renderings are parsed line by line, so
/// each bad line gives its own), the first of which the accessors describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    rendering: Rendering,
    diagnostics: Vec<Diagnostic>,
}

impl ParseError {
    /// An error with one diagnostic.
    pub fn new(rendering: Rendering, diagnostic: Diagnostic) -> Self {
        Self {
            rendering,
            diagnostics: vec![diagnostic],
        }
    }

    /// An error from several diagnostics, in input order. Returns `None` if there are none.
    pub fn from_diagnostics(rendering: Rendering, diagnostics: Vec<Diagnostic>) -> Option<Self> {
        (!diagnostics.is_empty()).then_some(Self {
            rendering,
            diagnostics,
        })
    }

    fn first(&self) -> &Diagnostic {
        &self.diagnostics[0]
    }

    /// The rendering that was being parsed.
    pub fn rendering(&self) -> Rendering {
        self.rendering
    }

    /// Every problem found, in input order (never empty).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Where the first problem is.
    pub fn position(&self) -> Position {
        self.first().position
    }

    /// The 1-based line of the first problem.
    pub fn line(&self) -> usize {
        self.first().position.line
    }

    /// The 1-based column of the first problem.
    pub fn column(&self) -> usize {
        self.first().position.column
    }

    /// The byte offset of the first problem.
    pub fn offset(&self) -> usize {
        self.first().position.offset
    }

    /// The class of the first problem.
    pub fn kind(&self) -> ParseErrorKind {
        self.first().kind
    }

    /// The grammar rule that failed first.
    pub fn rule(&self) -> &'static str {
        self.first().rule
    }

    /// What was expected at the first problem.
    pub fn expected(&self) -> &str {
        &self.first().expected
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.rendering, self.first())?;
        if self.diagnostics.len() > 1 {
            write!(f, " (and {} more problems)", self.diagnostics.len() - 1)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Something lenient parsing forgave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviationKind {
    /// A `;` after the last parameter (GFD.185's own examples have it).
    TrailingSemicolon,
    /// A string value without quotes (`occi.compute.hostname=foobar`).
    UnquotedString,
    /// A parameter value without the quotes the grammar requires (`scheme=http://…#`).
    UnquotedParameter,
    /// A quoted value where the grammar wants none (a quoted number, a quoted `category`).
    QuotedValue,
    /// A field name in another case than the specification's (`category:`).
    FieldNameCase,
    /// Whitespace around `=` or before `;` (RFC 2616 implied LWS, gone in RFC 7230).
    Whitespace,
    /// A continuation line (obsolete header folding).
    LineFolding,
    /// A blank line, or `\n` instead of `\r\n`, where the grammar wants neither.
    LineEnding,
    /// Parameters in another order than the grammar's.
    ParameterOrder,
    /// A term or attribute name that only the other OCCI version's grammar allows.
    VersionGrammar,
    /// A number written in a form the grammar lacks (sign, exponent).
    NumberForm,
    /// A JSON member the schema does not define (ignored).
    UnknownMember,
    /// A JSON document without a member the schema requires (such as `id` in a create).
    MissingMember,
    /// A scheme that already has the term appended (seen in rOCCI).
    SchemeWithTerm,
    /// A Category without `class`, whose class was inferred from the registry or from what
    /// the message is for (Hurtle's Service Manager sends these).
    MissingClass,
    /// One bad value of a list, reported and skipped so that the others are read.
    SkippedValue,
    /// A body that carries no OCCI data: `OK` (PySSF's answer to a text/occi request).
    NoContent,
    /// An attribute given more than once in one message, of which the last value is read
    /// (PySSF reads attributes into a dictionary; Hurtle's SM repeats a create attribute in
    /// its updates).
    RepeatedAttribute,
    /// Anything else the specifications' examples do and their grammar does not.
    Other,
}

/// A deviation from the strict grammar that lenient parsing forgave, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    position: Position,
    kind: DeviationKind,
    message: String,
}

impl Deviation {
    /// A deviation.
    pub fn new(position: Position, kind: DeviationKind, message: impl Into<String>) -> Self {
        Self {
            position,
            kind,
            message: message.into(),
        }
    }

    /// Where it is.
    pub fn position(&self) -> Position {
        self.position
    }

    /// What it is.
    pub fn kind(&self) -> DeviationKind {
        self.kind
    }

    /// A description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.position, self.message)
    }
}

/// A successful parse: the value, and what lenient parsing forgave (always empty in strict
/// mode).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// The parsed value.
    pub value: T,
    /// The deviations forgiven, in input order.
    pub deviations: Vec<Deviation>,
}

impl<T> Parsed<T> {
    /// A value without deviations.
    pub fn clean(value: T) -> Self {
        Self {
            value,
            deviations: Vec::new(),
        }
    }

    /// Applies `f` to the value, keeping the deviations.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        Parsed {
            value: f(self.value),
            deviations: self.deviations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_characters() {
        let input = "ab\ncdé\nf";
        assert_eq!(
            Position::locate(input, 0),
            Position {
                offset: 0,
                line: 1,
                column: 1
            }
        );
        let p = Position::locate(input, 3);
        assert_eq!((p.line, p.column), (2, 1));
        // After the two-byte 'é' the column counts characters, not bytes.
        let p = Position::locate(input, 7);
        assert_eq!((p.line, p.column), (2, 4));
        // Offsets inside a character or past the end are clamped.
        assert_eq!(Position::locate(input, 6).offset, 5);
        assert_eq!(Position::locate(input, 99).offset, input.len());
    }

    #[test]
    fn error_display_names_rendering_position_rule_and_expectation() {
        let err = ParseError::new(
            Rendering::TextPlain,
            Diagnostic::new(
                Position::locate("Category: x", 10),
                ParseErrorKind::Syntax,
                "category-value",
                "';' and the scheme parameter",
                "the category has no scheme",
            ),
        );
        assert_eq!(
            err.to_string(),
            "invalid text/plain: line 1, column 11: syntax error in category-value: \
             the category has no scheme (expected ';' and the scheme parameter)"
        );
        assert!(ParseError::from_diagnostics(Rendering::Json, vec![]).is_none());
    }
}
