//! Validated identifiers: scheme, term, category id, attribute name, entity id and location.
//!
//! Every identifier is a newtype that can only be built from a value that satisfies its
//! grammar, so a value that type-checks always renders. Two grammars exist:
//!
//! | rule | OCCI 1.1 (GFD.185 §3.5) | OCCI 1.2 (GFD.229 §4) |
//! |---|---|---|
//! | `term` | `LOALPHA *( LOALPHA / DIGIT / "-" / "_" )` | `( ALPHA / DIGIT ) *( ALPHA / DIGIT / "-" / "_" / "." )` |
//! | `attribute-name` | `attr-component *( "." attr-component )`, each component a 1.1 term | a 1.2 term |
//!
//! The constructors ([`Term::new`], [`AttributeName::new`]) accept the relaxed 1.2 grammar,
//! which is a superset of 1.1 for everything a 1.1 peer sends except nothing: every 1.1 term
//! is a 1.2 term. [`Term::parse`] and [`AttributeName::parse`] check against the grammar of a
//! given [`OcciVersion`], and [`Term::conforms_to`] tells whether a value also satisfies the
//! stricter 1.1 rule.
//!
//! Schemes, terms and attribute names are shared, not copied: a value built from text is
//! one allocation shared by reference count among its clones, and one built from a string
//! the program holds for its whole run ([`Term::from_static`] and its kin, which the
//! extensions in [`crate::ext`] use for every identifier of the OCCI documents) is a plain
//! `&'static str`, whose clones cost no atomic operation at all. Either kind compares,
//! orders and hashes by its text alone.
//!
//! # Decisions where the specifications are silent
//!
//! * A [`Scheme`] must end with `#`. Every scheme in the OCCI documents and in every known
//!   peer does, and a type identifier (`scheme` + `term`) can only be split back into its
//!   parts at that `#`; requiring it keeps every category id renderable and re-parseable.
//! * A [`Location`] may not contain `,`: `X-OCCI-Location` values are comma-separated and
//!   unquoted, so a comma in a URI would make a collection listing ambiguous. Percent-encode
//!   it as `%2C`. Locations may not contain `.` or `..` path segments or empty segments.
//! * Non-ASCII characters are not allowed in schemes, entity ids or locations (RFC 3986
//!   requires them to be percent-encoded).

use std::fmt;
use std::sync::Arc;

/// The OCCI version whose grammar and model rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum OcciVersion {
    /// OCCI 1.1 (GFD.183, GFD.184, GFD.185).
    V1_1,
    /// OCCI 1.2 (GFD.221 to GFD.229).
    #[default]
    V1_2,
}

impl OcciVersion {
    /// The product token this version puts into the `Server` header, for example `OCCI/1.2`.
    pub fn product_token(self) -> &'static str {
        match self {
            Self::V1_1 => "OCCI/1.1",
            Self::V1_2 => "OCCI/1.2",
        }
    }
}

impl fmt::Display for OcciVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1_1 => "1.1",
            Self::V1_2 => "1.2",
        })
    }
}

/// Which identifier an [`IdentError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentKind {
    /// A category scheme.
    Scheme,
    /// A category term.
    Term,
    /// A type identifier (scheme followed by term).
    CategoryId,
    /// An attribute name.
    AttributeName,
    /// An entity identifier (`occi.core.id`).
    EntityId,
    /// A location (URI reference).
    Location,
}

impl fmt::Display for IdentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Scheme => "scheme",
            Self::Term => "term",
            Self::CategoryId => "type identifier",
            Self::AttributeName => "attribute name",
            Self::EntityId => "entity id",
            Self::Location => "location",
        })
    }
}

/// An identifier that does not satisfy its grammar.
///
/// The message names the identifier, the offending value, the grammar rule and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentError {
    kind: IdentKind,
    value: String,
    rule: &'static str,
    reason: String,
}

impl IdentError {
    fn new(kind: IdentKind, value: &str, rule: &'static str, reason: impl Into<String>) -> Self {
        // Keep the echoed value short: it ends up in HTTP error bodies.
        let value: String = value.chars().take(120).collect();
        Self {
            kind,
            value,
            rule,
            reason: reason.into(),
        }
    }

    /// Which identifier was invalid.
    pub fn kind(&self) -> IdentKind {
        self.kind
    }

    /// The rejected value (truncated to 120 characters).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The grammar rule that was broken, for example `term (OCCI 1.1)`.
    pub fn rule(&self) -> &'static str {
        self.rule
    }

    /// What is wrong with the value, in a few words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for IdentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?}: {} (rule {})",
            self.kind, self.value, self.reason, self.rule
        )
    }
}

impl std::error::Error for IdentError {}

fn is_term_char_1_2(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn is_term_char_1_1(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_')
}

/// [`TERM_BYTES`]: not a 1.2 term character.
const NOT_TERM_1_2: u8 = 1;
/// [`TERM_BYTES`]: not a 1.1 term character.
const NOT_TERM_1_1: u8 = 2;

/// For every byte, the term grammars it is not a character of, as flags that OR together
/// over a whole value (non-ASCII bytes are in neither).
static TERM_BYTES: [u8; 256] = {
    let mut table = [NOT_TERM_1_2 | NOT_TERM_1_1; 256];
    let mut b = 0;
    while b < 128 {
        // `b` is below 128, so the cast is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let c = b as u8 as char;
        let v12 = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let v11 = c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_');
        table[b] = if v12 { 0 } else { NOT_TERM_1_2 } | if v11 { 0 } else { NOT_TERM_1_1 };
        b += 1;
    }
    table
};

/// Whether `s` satisfies the 1.2 `term` rule (a byte scan: the rule is ASCII-only).
fn is_term_1_2(s: &str) -> bool {
    match s.as_bytes() {
        [first, rest @ ..] => {
            first.is_ascii_alphanumeric()
                && rest
                    .iter()
                    .fold(0, |acc, b| acc | TERM_BYTES[usize::from(*b)])
                    & NOT_TERM_1_2
                    == 0
        }
        [] => false,
    }
}

/// Whether `s` satisfies the 1.1 `term` rule (a byte scan: the rule is ASCII-only).
fn is_term_1_1(s: &str) -> bool {
    match s.as_bytes() {
        [first, rest @ ..] => {
            first.is_ascii_lowercase()
                && rest
                    .iter()
                    .fold(0, |acc, b| acc | TERM_BYTES[usize::from(*b)])
                    & NOT_TERM_1_1
                    == 0
        }
        [] => false,
    }
}

/// Checks `s` against the 1.2 `term` rule; returns the reason on failure.
fn check_term_1_2(s: &str) -> Result<(), String> {
    if is_term_1_2(s) {
        return Ok(());
    }
    let mut chars = s.chars();
    match chars.next() {
        None => return Err("is empty".into()),
        Some(c) if !c.is_ascii_alphanumeric() => {
            return Err(format!("starts with {c:?}; a letter or digit is required"));
        }
        Some(_) => {}
    }
    if let Some(c) = chars.find(|c| !is_term_char_1_2(*c)) {
        return Err(format!(
            "contains {c:?}; only letters, digits, '-', '_' and '.' are allowed"
        ));
    }
    Ok(())
}

/// Checks `s` against the 1.1 `term` rule; returns the reason on failure.
fn check_term_1_1(s: &str) -> Result<(), String> {
    if is_term_1_1(s) {
        return Ok(());
    }
    let mut chars = s.chars();
    match chars.next() {
        None => return Err("is empty".into()),
        Some(c) if !c.is_ascii_lowercase() => {
            return Err(format!(
                "starts with {c:?}; OCCI 1.1 requires a lowercase letter"
            ));
        }
        Some(_) => {}
    }
    if let Some(c) = chars.find(|c| !is_term_char_1_1(*c)) {
        return Err(format!(
            "contains {c:?}; OCCI 1.1 allows only lowercase letters, digits, '-' and '_'"
        ));
    }
    Ok(())
}

/// Characters RFC 3986 allows literally in a URI, less `,` (see the module docs) and `#`
/// (checked separately where a fragment is meaningful). [`URI_BYTES`] is built from it.
const fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.'
                | '_'
                | '~'
                | ':'
                | '/'
                | '?'
                | '['
                | ']'
                | '@'
                | '!'
                | '$'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | '+'
                | ';'
                | '='
                | '%'
        )
}

/// Checks that `s` is an absolute URI's `scheme ":"` prefix; returns the index after `:`.
fn uri_scheme_end(s: &str) -> Option<usize> {
    let colon = s.bytes().position(|b| b == b':')?;
    match s.as_bytes()[..colon] {
        [first, ref rest @ ..]
            if first.is_ascii_alphabetic()
                && rest
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) =>
        {
            Some(colon + 1)
        }
        _ => None,
    }
}

/// Checks percent-encodings: every `%` is followed by two hex digits.
fn check_percent(s: &str) -> Result<(), String> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if !ok {
                return Err(format!(
                    "has a '%' at byte {i} that is not followed by two hex digits"
                ));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// [`URI_BYTES`]: not an [`is_uri_char`] (non-ASCII bytes never are).
const URI_BAD: u8 = 1;
/// [`URI_BYTES`]: `%`.
const URI_PERCENT: u8 = 2;
/// [`URI_BYTES`]: `#`.
const URI_HASH: u8 = 4;
/// [`URI_BYTES`]: `.` or `?`, which path segment rules look at.
const URI_DOT_QUERY: u8 = 8;

/// The class of every byte, as flags that OR together over a whole value.
static URI_BYTES: [u8; 256] = {
    let mut table = [URI_BAD; 256];
    let mut b = 0;
    while b < 128 {
        // `b` is below 128, so the cast is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let c = b as u8 as char;
        let ok = is_uri_char(c);
        table[b] = match c {
            '%' => URI_PERCENT,
            '#' => URI_HASH,
            '.' | '?' => URI_DOT_QUERY,
            _ if ok => 0,
            _ => URI_BAD,
        };
        b += 1;
    }
    table
};

/// Every rule of [`Location::new`]: URI characters, percent-encodings, and path segments.
fn check_location(s: &str) -> Result<(), IdentError> {
    let err = |reason: String| {
        IdentError::new(IdentKind::Location, s, "URI-reference (RFC 3986)", reason)
    };
    check_uri_chars(s, true).map_err(err)?;
    // Only the path takes part in the segment rules.
    let after_scheme = uri_scheme_end(s).map_or(s, |end| &s[end..]);
    let path_start = if let Some(rest) = after_scheme.strip_prefix("//") {
        // Skip the authority.
        let authority_len = rest
            .bytes()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        &rest[authority_len..]
    } else {
        after_scheme
    };
    // `s` is ASCII (checked above), so every byte index is a character boundary.
    let path = &path_start[..path_start
        .bytes()
        .position(|b| matches!(b, b'?' | b'#'))
        .unwrap_or(path_start.len())];
    let mut start = 0;
    loop {
        let end = path.as_bytes()[start..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(path.len(), |k| start + k);
        let last = end == path.len();
        match &path[start..end] {
            segment @ ("." | "..") => {
                return Err(err(format!("has a {segment:?} path segment")));
            }
            "" if start != 0 && !last => {
                return Err(err("has an empty path segment ('//')".into()));
            }
            _ => {}
        }
        if last {
            break;
        }
        start = end + 1;
    }
    Ok(())
}

/// Whether `s` is an absolute path that every rule of [`Location::new`] accepts without a
/// closer look: it starts with one `/`, holds only URI characters other than `%`, `#`, `.`
/// and `?`, and no `//`. Most entity and collection locations are, and one pass over their
/// bytes settles them.
fn is_plain_path(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() != Some(&b'/') || b.get(1) == Some(&b'/') {
        return false;
    }
    let mut flags = 0;
    let mut double_slash = false;
    let mut prev = 0;
    for &c in b {
        flags |= URI_BYTES[usize::from(c)];
        double_slash |= prev == b'/' && c == b'/';
        prev = c;
    }
    flags == 0 && !double_slash
}

fn check_uri_chars(s: &str, allow_hash: bool) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    // Fast path: one byte scan; the reason is worked out below only for a bad value.
    let flags = s.bytes().fold(0, |acc, b| acc | URI_BYTES[usize::from(b)]);
    let bad = if allow_hash {
        URI_BAD
    } else {
        URI_BAD | URI_HASH
    };
    if flags & bad == 0 {
        return if flags & URI_PERCENT == 0 {
            Ok(())
        } else {
            check_percent(s)
        };
    }
    if let Some((i, c)) = s
        .char_indices()
        .find(|&(_, c)| !(is_uri_char(c) || (allow_hash && c == '#')))
    {
        return Err(match c {
            ',' => format!("contains ',' at byte {i}; percent-encode it as %2C"),
            c if c.is_whitespace() || c.is_control() => {
                format!("contains whitespace or a control character at byte {i}")
            }
            c => format!("contains {c:?} at byte {i}, which a URI does not allow unencoded"),
        });
    }
    check_percent(s)
}

/// The text of a scheme, term or attribute name. A string the program holds for its whole
/// run (the OCCI documents' identifiers, as the extensions build them) is kept as a
/// `&'static str`, so copying it costs nothing; any other text is one allocation shared by
/// reference count among its copies. Both compare, order and hash as the text alone.
#[derive(Clone)]
enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Text {
    fn shared(s: &str) -> Self {
        Self::Shared(Arc::from(s))
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Static(s) => s,
            Self::Shared(s) => s,
        }
    }
}

/// Whether an identifier's text is held static (for tests of who builds which).
#[cfg(test)]
pub(crate) trait HeldStatic {
    fn is_static(&self) -> bool;
}

#[cfg(test)]
macro_rules! held_static {
    ($($ty:ident),*) => {$(
        impl HeldStatic for $ty {
            fn is_static(&self) -> bool {
                matches!(self.0, Text::Static(_))
            }
        }
    )*};
}

#[cfg(test)]
held_static!(Scheme, Term, AttributeName);

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// A category scheme: an absolute URI ending with `#`, such as
/// `http://schemas.ogf.org/occi/infrastructure#`.
///
/// ```
/// use occi_model::Scheme;
/// let scheme: Scheme = "http://schemas.ogf.org/occi/core#".parse()?;
/// assert!(scheme.is_ogf_reserved());
/// assert!("http://example.com/occi".parse::<Scheme>().is_err()); // no trailing '#'
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scheme(Text);

/// The base URL reserved for schemes defined by the OCCI documents (C11/C12 §Category).
pub const OGF_SCHEME_BASE: &str = "http://schemas.ogf.org/occi/";

impl Scheme {
    /// Validates and wraps a scheme.
    pub fn new(s: &str) -> Result<Self, IdentError> {
        Self::check(s).map(|()| Self(Text::shared(s)))
    }

    /// Validates and wraps a scheme the program holds for its whole run, such as a constant:
    /// copies of it then cost no reference count. Otherwise the same as [`Scheme::new`].
    pub fn from_static(s: &'static str) -> Result<Self, IdentError> {
        Self::check(s).map(|()| Self(Text::Static(s)))
    }

    fn check(s: &str) -> Result<(), IdentError> {
        let err = |reason: String| IdentError::new(IdentKind::Scheme, s, "scheme = URI", reason);
        if uri_scheme_end(s).is_none() {
            return Err(err(
                "is not an absolute URI (it needs a scheme such as 'http:')".into(),
            ));
        }
        check_uri_chars(s, true).map_err(err)?;
        match s.bytes().position(|b| b == b'#') {
            Some(i) if i + 1 == s.len() => Ok(()),
            Some(i) => Err(err(format!(
                "has '#' at byte {i} before its end; a scheme ends with its only '#'"
            ))),
            None => Err(err("does not end with '#'".into())),
        }
    }

    /// The scheme as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the scheme lies under the base URL reserved for OCCI (`http://schemas.ogf.org/occi/`).
    pub fn is_ogf_reserved(&self) -> bool {
        self.0.starts_with(OGF_SCHEME_BASE)
    }
}

/// A category term, such as `compute` or `os_tpl`.
///
/// [`Term::new`] accepts the OCCI 1.2 grammar; [`Term::parse`] checks a given version's grammar.
///
/// ```
/// use occi_model::{OcciVersion, Term};
/// let term = Term::new("My.Tag-1")?;
/// assert!(term.conforms_to(OcciVersion::V1_2));
/// assert!(!term.conforms_to(OcciVersion::V1_1)); // 1.1 terms are lowercase
/// assert!(Term::parse("My.Tag-1", OcciVersion::V1_1).is_err());
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Term(Text);

impl Term {
    /// Validates a term against the OCCI 1.2 grammar (a superset of 1.1).
    pub fn new(s: &str) -> Result<Self, IdentError> {
        Self::parse(s, OcciVersion::V1_2)
    }

    /// Validates a term against the grammar of `version`.
    pub fn parse(s: &str, version: OcciVersion) -> Result<Self, IdentError> {
        Self::check(s, version).map(|()| Self(Text::shared(s)))
    }

    /// Validates a term the program holds for its whole run, such as a constant, against the
    /// OCCI 1.2 grammar: copies of it then cost no reference count. Otherwise the same as
    /// [`Term::new`].
    pub fn from_static(s: &'static str) -> Result<Self, IdentError> {
        Self::check(s, OcciVersion::V1_2).map(|()| Self(Text::Static(s)))
    }

    fn check(s: &str, version: OcciVersion) -> Result<(), IdentError> {
        let checked = match version {
            OcciVersion::V1_1 => {
                check_term_1_1(s).map_err(|r| (r, "term (OCCI 1.1, GFD.185 §3.5)"))
            }
            OcciVersion::V1_2 => check_term_1_2(s).map_err(|r| (r, "term (OCCI 1.2, GFD.229 §4)")),
        };
        checked.map_err(|(reason, rule)| IdentError::new(IdentKind::Term, s, rule, reason))
    }

    /// Whether the term also satisfies the grammar of `version`.
    pub fn conforms_to(&self, version: OcciVersion) -> bool {
        match version {
            OcciVersion::V1_1 => check_term_1_1(&self.0).is_ok(),
            OcciVersion::V1_2 => true,
        }
    }

    /// The term as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A category identifier: scheme and term, rendered concatenated as the "type identifier"
/// (`http://schemas.ogf.org/occi/infrastructure#compute`).
///
/// ```
/// use occi_model::CategoryId;
/// let id: CategoryId = "http://schemas.ogf.org/occi/infrastructure#compute".parse()?;
/// assert_eq!(id.term().as_str(), "compute");
/// assert_eq!(id.scheme().as_str(), "http://schemas.ogf.org/occi/infrastructure#");
/// assert_eq!(id.to_string(), "http://schemas.ogf.org/occi/infrastructure#compute");
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryId {
    scheme: Scheme,
    term: Term,
}

impl CategoryId {
    /// Builds an id from its parts.
    pub fn new(scheme: Scheme, term: Term) -> Self {
        Self { scheme, term }
    }

    /// Builds an id from scheme and term text, validating both (term with the 1.2 grammar).
    pub fn from_parts(scheme: &str, term: &str) -> Result<Self, IdentError> {
        Ok(Self::new(Scheme::new(scheme)?, Term::new(term)?))
    }

    /// The scheme.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The term.
    pub fn term(&self) -> &Term {
        &self.term
    }

    /// Parses a type identifier (scheme immediately followed by term), splitting after the
    /// last `#`.
    pub fn parse_type_identifier(s: &str) -> Result<Self, IdentError> {
        let Some(hash) = s.rfind('#') else {
            return Err(IdentError::new(
                IdentKind::CategoryId,
                s,
                "type-identifier = scheme term",
                "has no '#' separating scheme and term",
            ));
        };
        let (scheme, term) = s.split_at(hash + 1);
        if term.is_empty() {
            return Err(IdentError::new(
                IdentKind::CategoryId,
                s,
                "type-identifier = scheme term",
                "has no term after the '#'",
            ));
        }
        Self::from_parts(scheme, term)
    }
}

/// An attribute name, such as `occi.compute.cores` or the action parameter `method`.
///
/// ```
/// use occi_model::{AttributeName, OcciVersion};
/// let name = AttributeName::new("occi.compute.cores")?;
/// assert!(name.conforms_to(OcciVersion::V1_1));
/// assert!(AttributeName::parse("occi..cores", OcciVersion::V1_1).is_err());
/// assert!(AttributeName::new("").is_err());
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeName(Text);

impl AttributeName {
    /// Validates a name against the OCCI 1.2 grammar (`attribute-name = term`).
    pub fn new(s: &str) -> Result<Self, IdentError> {
        Self::parse(s, OcciVersion::V1_2)
    }

    /// Validates a name against the grammar of `version`.
    pub fn parse(s: &str, version: OcciVersion) -> Result<Self, IdentError> {
        Self::check(s, version).map(|()| Self(Text::shared(s)))
    }

    /// Validates a name the program holds for its whole run, such as a constant, against the
    /// OCCI 1.2 grammar: copies of it then cost no reference count. Otherwise the same as
    /// [`AttributeName::new`].
    pub fn from_static(s: &'static str) -> Result<Self, IdentError> {
        Self::check(s, OcciVersion::V1_2).map(|()| Self(Text::Static(s)))
    }

    fn check(s: &str, version: OcciVersion) -> Result<(), IdentError> {
        match version {
            OcciVersion::V1_2 => check_term_1_2(s).map_err(|reason| {
                IdentError::new(
                    IdentKind::AttributeName,
                    s,
                    "attribute-name (OCCI 1.2, GFD.229 §4)",
                    reason,
                )
            })?,
            OcciVersion::V1_1 => check_attribute_name_1_1(s).map_err(|reason| {
                IdentError::new(
                    IdentKind::AttributeName,
                    s,
                    "attribute-name (OCCI 1.1, GFD.185 §3.5)",
                    reason,
                )
            })?,
        }
        Ok(())
    }

    /// Whether the name also satisfies the grammar of `version`.
    pub fn conforms_to(&self, version: OcciVersion) -> bool {
        match version {
            OcciVersion::V1_1 => check_attribute_name_1_1(&self.0).is_ok(),
            OcciVersion::V1_2 => true,
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name is in the namespace reserved for OCCI (`occi.`).
    pub fn is_occi_reserved(&self) -> bool {
        self.0.starts_with("occi.")
    }
}

fn check_attribute_name_1_1(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    for (n, component) in s.split('.').enumerate() {
        check_term_1_1(component).map_err(|reason| {
            if component.is_empty() {
                format!("has an empty component (number {})", n + 1)
            } else {
                format!("component {component:?} {reason}")
            }
        })?;
    }
    Ok(())
}

/// An entity identifier (`occi.core.id`): a URI, `urn:uuid:…` recommended.
///
/// Relative references (paths such as `/compute/1`) are accepted too, because OCCI 1.1 peers
/// (PySSF among them) use paths as ids.
///
/// ```
/// use occi_model::EntityId;
/// assert!(EntityId::new("urn:uuid:de7335a7-07e0-4487-9cbd-ed51be7f2ce4").is_ok());
/// assert!(EntityId::new("has space").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(Arc<str>);

impl EntityId {
    /// Validates an entity id.
    pub fn new(s: &str) -> Result<Self, IdentError> {
        check_uri_chars(s, true)
            .map_err(|reason| IdentError::new(IdentKind::EntityId, s, "URI (C12 §5.4)", reason))?;
        Ok(Self(Arc::from(s)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A location: a URI reference where a collection or an entity is served, such as
/// `/compute/`, `/compute/123` or `http://example.com/network/1`.
///
/// Collection locations (of kinds and mixins) are paths that end with `/`
/// ([`Location::is_collection`]); entity locations do not.
///
/// ```
/// use occi_model::Location;
/// let loc = Location::new("/compute/")?;
/// assert!(loc.is_collection() && loc.is_path());
/// assert!(Location::new("/compute/../etc").is_err());
/// assert!(Location::new("/compute//1").is_err());
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location(Arc<str>);

impl Location {
    /// Validates a location.
    pub fn new(s: &str) -> Result<Self, IdentError> {
        if !is_plain_path(s) {
            check_location(s)?;
        }
        Ok(Self(Arc::from(s)))
    }

    /// The location as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an absolute path (starts with `/`), as opposed to an absolute URI.
    pub fn is_path(&self) -> bool {
        self.0.starts_with('/')
    }

    /// Whether this names a collection: a location ending with `/` (H11 §3.3.1).
    pub fn is_collection(&self) -> bool {
        self.0.ends_with('/')
    }
}

macro_rules! string_newtype_impls {
    ($($ty:ident),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::borrow::Borrow<str> for $ty {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl std::str::FromStr for $ty {
            type Err = IdentError;
            fn from_str(s: &str) -> Result<Self, IdentError> {
                Self::new(s)
            }
        }
        impl TryFrom<&str> for $ty {
            type Error = IdentError;
            fn try_from(s: &str) -> Result<Self, IdentError> {
                Self::new(s)
            }
        }
        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }
        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }
    )*};
}

string_newtype_impls!(Scheme, Term, AttributeName, EntityId, Location);

impl fmt::Display for CategoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        f.write_str(self.term.as_str())
    }
}

impl fmt::Debug for CategoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl std::str::FromStr for CategoryId {
    type Err = IdentError;
    fn from_str(s: &str) -> Result<Self, IdentError> {
        Self::parse_type_identifier(s)
    }
}

impl TryFrom<&str> for CategoryId {
    type Error = IdentError;
    fn try_from(s: &str) -> Result<Self, IdentError> {
        Self::parse_type_identifier(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_known_answers() {
        let cases = [
            ("compute", true, true),
            ("os_tpl", true, true),
            ("a-b_c9", true, true),
            ("9lives", false, true),
            ("My.Tag-1", false, true),
            ("UPPER", false, true),
            ("", false, false),
            ("-x", false, false),
            ("a b", false, false),
            ("a#b", false, false),
            ("é", false, false),
        ];
        for (s, v11, v12) in cases {
            assert_eq!(
                Term::parse(s, OcciVersion::V1_1).is_ok(),
                v11,
                "1.1 term {s:?}"
            );
            assert_eq!(
                Term::parse(s, OcciVersion::V1_2).is_ok(),
                v12,
                "1.2 term {s:?}"
            );
        }
    }

    #[test]
    fn attribute_name_known_answers() {
        let cases = [
            ("occi.compute.cores", true, true),
            ("method", true, true),
            ("com.example.x_1", true, true),
            ("occi..cores", false, true),
            ("occi.Compute", false, true),
            (".occi", false, false),
            ("occi.", false, true),
            ("", false, false),
            ("a=b", false, false),
        ];
        for (s, v11, v12) in cases {
            assert_eq!(
                AttributeName::parse(s, OcciVersion::V1_1).is_ok(),
                v11,
                "1.1 name {s:?}"
            );
            assert_eq!(
                AttributeName::parse(s, OcciVersion::V1_2).is_ok(),
                v12,
                "1.2 name {s:?}"
            );
        }
    }

    #[test]
    fn scheme_known_answers() {
        for ok in [
            "http://schemas.ogf.org/occi/core#",
            "http://example.com/occi/my_stuff#",
            "urn:x-conformance:test#",
        ] {
            assert!(Scheme::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "#",
            "http://example.com/occi",
            "http://exa mple.com/#",
            "http://a#b#",
            "no-scheme/path#",
            "http://example.com/a,b#",
            "http://example.com/%zz#",
        ] {
            assert!(Scheme::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn type_identifier_splits_at_last_hash() {
        let id = CategoryId::parse_type_identifier(
            "http://schemas.ogf.org/occi/infrastructure/compute/action#start",
        )
        .unwrap();
        assert_eq!(id.term().as_str(), "start");
        assert!(CategoryId::parse_type_identifier("http://x/y").is_err());
        assert!(CategoryId::parse_type_identifier("http://x/y#").is_err());
        let err = CategoryId::parse_type_identifier("compute").unwrap_err();
        assert_eq!(err.kind(), IdentKind::CategoryId);
    }

    #[test]
    fn location_known_answers() {
        for ok in [
            "/",
            "/compute/",
            "/compute/123",
            "http://example.com/compute/1",
            "http://example.com:8080/",
            "/a/b?x=1",
            "compute/1",
        ] {
            assert!(Location::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "/a//b", "/a/../b", "/./a", "/a b", "/a,b", "/a\"b", "/a<b>",
        ] {
            assert!(Location::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_rule_and_value() {
        let err = Term::parse("Compute", OcciVersion::V1_1).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"Compute\""), "{msg}");
        assert!(msg.contains("OCCI 1.1"), "{msg}");
        assert!(msg.contains("lowercase"), "{msg}");
    }

    proptest::proptest! {
        /// The one-pass check of plain paths only accepts what every rule accepts.
        #[test]
        fn a_plain_path_passes_every_location_rule(s in "/[a-z0-9/.%?#:@~-]{0,24}") {
            if is_plain_path(&s) {
                proptest::prop_assert!(check_location(&s).is_ok(), "{s:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn constructors_never_panic_and_accepted_values_round_trip(s in "\\PC{0,40}") {
            if let Ok(t) = Term::new(&s) { proptest::prop_assert_eq!(t.to_string().parse::<Term>().unwrap(), t); }
            if let Ok(n) = AttributeName::new(&s) { proptest::prop_assert_eq!(n.to_string().parse::<AttributeName>().unwrap(), n); }
            if let Ok(sc) = Scheme::new(&s) { proptest::prop_assert_eq!(sc.to_string().parse::<Scheme>().unwrap(), sc); }
            if let Ok(id) = CategoryId::parse_type_identifier(&s) { proptest::prop_assert_eq!(id.to_string().parse::<CategoryId>().unwrap(), id); }
            if let Ok(l) = Location::new(&s) { proptest::prop_assert_eq!(Location::new(l.as_str()).unwrap(), l); }
            let _ = EntityId::new(&s);
        }

        /// A static identifier is the same value as a shared one of the same text: it
        /// validates the same, and compares, orders and hashes the same, in a set with
        /// shared ones.
        #[test]
        fn static_and_shared_identifiers_are_one_value(
            a in "[a-cA.#_:/é-]{0,6}",
            b in "[a-cA.#_:/é-]{0,6}",
        ) {
            use std::collections::{BTreeSet, HashSet};
            let leak = |s: &String| -> &'static str { Box::leak(s.clone().into_boxed_str()) };
            let (sa, sb) = (leak(&a), leak(&b));
            proptest::prop_assert_eq!(Term::from_static(sa), Term::new(&a));
            proptest::prop_assert_eq!(AttributeName::from_static(sa), AttributeName::new(&a));
            proptest::prop_assert_eq!(Scheme::from_static(sa), Scheme::new(&a));
            if let (Ok(x), Ok(y)) = (Term::from_static(sa), Term::new(&b)) {
                proptest::prop_assert!(matches!(x.0, Text::Static(_)));
                proptest::prop_assert!(matches!(y.0, Text::Shared(_)));
                proptest::prop_assert_eq!(x == y, a == b);
                proptest::prop_assert_eq!(x.cmp(&y), a.cmp(&b));
                let hashed: HashSet<Term> = [x.clone(), y.clone()].into();
                let ordered: BTreeSet<Term> = [x.clone(), y].into();
                proptest::prop_assert_eq!(hashed.len(), if a == b { 1 } else { 2 });
                proptest::prop_assert_eq!(ordered.len(), hashed.len());
                proptest::prop_assert!(hashed.contains(sa) && hashed.contains(sb));
                let as_str: &str = x.as_ref();
                proptest::prop_assert_eq!(as_str, sa);
            }
        }

        #[test]
        fn byte_scans_agree_with_the_character_rules(s in "[a-zA-Z0-9._#%:/ ,é-]{0,12}") {
            let mut chars = s.chars();
            let first = chars.clone().next();
            proptest::prop_assert_eq!(
                is_term_1_2(&s),
                first.is_some_and(|c| c.is_ascii_alphanumeric()) && chars.clone().skip(1).all(is_term_char_1_2)
            );
            proptest::prop_assert_eq!(
                is_term_1_1(&s),
                first.is_some_and(|c| c.is_ascii_lowercase()) && chars.by_ref().skip(1).all(is_term_char_1_1)
            );
            for allow_hash in [false, true] {
                let by_char = !s.is_empty()
                    && s.chars().all(|c| is_uri_char(c) || (allow_hash && c == '#'))
                    && check_percent(&s).is_ok();
                proptest::prop_assert_eq!(check_uri_chars(&s, allow_hash).is_ok(), by_char);
            }
        }

        #[test]
        fn the_1_1_grammar_is_a_subset_of_1_2(s in "[a-zA-Z0-9._#-]{0,12}") {
            if Term::parse(&s, OcciVersion::V1_1).is_ok() {
                proptest::prop_assert!(Term::parse(&s, OcciVersion::V1_2).is_ok());
            }
            if AttributeName::parse(&s, OcciVersion::V1_1).is_ok() {
                proptest::prop_assert!(AttributeName::parse(&s, OcciVersion::V1_2).is_ok());
            }
        }
    }
}
