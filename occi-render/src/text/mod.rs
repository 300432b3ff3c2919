//! text/plain, text/occi+plain and text/occi (HTTP headers) renderings, both directions.
//!
//! * [`plain`] reads and writes the body form (`text/plain`, `text/occi+plain`): one
//!   structure per line, `Name: value`.
//! * [`occi`] reads and writes the header form (`text/occi`) through an [`http::HeaderMap`].
//!
//! Both parse into the syntactic [`TextDocument`] first (every `Category`, `Link`,
//! `ActionLink`, `X-OCCI-Attribute` and `X-OCCI-Location` value, with its position) and then
//! convert it into the model document asked for: an [`Entity`], the
//! query interface's [`Category`](occi_model::Category) list, an
//! [`ActionInvocation`](occi_model::ActionInvocation), a location list or a
//! [`Filter`](crate::Filter).
//!
//! ```
//! use occi_render::{ParseOptions, text::plain};
//! let body = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n\
//!             X-OCCI-Attribute: occi.core.title=\"web\", occi.compute.cores=2\r\n";
//! let parsed = plain::parse_entity(body, &ParseOptions::strict(), None)?;
//! assert_eq!(parsed.value.title(), Some("web"));
//! // Canonical output: one value per line.
//! assert!(plain::render_entity(&parsed.value).ends_with(
//!     "X-OCCI-Attribute: occi.core.title=\"web\"\r\nX-OCCI-Attribute: occi.compute.cores=2\r\n"
//! ));
//! # Ok::<(), occi_render::ParseError>(())
//! ```
//!
//! # Parsing
//!
//! Text is split into logical lines (CRLF or LF), then every line is parsed on its own, and
//! every bad line gives one [`Diagnostic`](crate::Diagnostic): a document with three bad
//! lines fails with three diagnostics. Parsing is linear in the input and never recursive.
//!
//! An entity in the canonical form (what [`plain::render_entity`] writes: one structure per
//! CRLF line, exact field names, `; ` between parameters in ABNF order, quoted strings,
//! bare numbers) is read in one pass straight into the model, with the grammar's own
//! primitives and validation; anything else, valid or not, goes through the rules above,
//! which alone define the language. The two agree on every input the one-pass reader
//! takes (a property test and a fuzz target compare them), so which path a message takes
//! shows only in the time it costs.
//!
//! Schemes, terms, type identifiers and attribute names (and whole Category lines of the
//! canonical form) are validated through a bounded per-thread cache shared by all parses
//! on a thread, JSON ones included (at most 1024 entries of at most 256
//! bytes each; a new entry replaces an old one, so no input can grow it). It only saves
//! work: a cached identifier equals a freshly validated one, and every input the cache
//! does not hold, or that the version asked for rejects, is validated as if there were no
//! cache, with the same errors and deviations.
//!
//! # Decisions where the specifications are ambiguous or contradict themselves
//!
//! * **Line endings and blank lines** are framing, not structure grammar: both modes accept
//!   CRLF and LF and skip blank lines; lenient parsing reports LF-only endings (once) and
//!   blank lines between structures as [`LineEnding`](crate::DeviationKind::LineEnding).
//!   Renderers emit CRLF (`resource_rendering = 1*( Category CRLF ) …`, T12 §5).
//! * **Continuation lines** (a line starting with SP or HT) join the previous line in
//!   lenient mode ([`LineFolding`](crate::DeviationKind::LineFolding)); strict mode rejects
//!   them (rule `obs-fold`). They are never emitted.
//! * **Field names** are case-insensitive (HTTP; §3.5 of the notes, pOCCI's fixtures), so
//!   both modes accept `category:`; lenient mode records
//!   [`FieldNameCase`](crate::DeviationKind::FieldNameCase). Parameter names (`scheme`,
//!   `class`, …) are treated the same way. Header maps lower-case every field name, so
//!   text/occi never reports the deviation.
//! * **Whitespace**: `OWS` around `;` and `,` is RFC 7230 grammar and accepted silently.
//!   Whitespace around `=` is RFC 2616 implied LWS: silent when parsing OCCI 1.1, a
//!   [`Whitespace`](crate::DeviationKind::Whitespace) deviation in lenient 1.2, an error in
//!   strict 1.2.
//! * **Numbers**: `-?DIGIT*["." DIGIT*]` with at least one digit is accepted strictly (the
//!   grammar has no sign, but negative Integer and Float values exist and must render);
//!   `+` and exponents are lenient only ([`NumberForm`](crate::DeviationKind::NumberForm)).
//!   A number without `.` or exponent is an Integer (out of `i64` range is an error), any
//!   other a Float. Quoted values are always strings.
//! * **Link attributes** may be a `token` (Link ABNF), so an unquoted non-numeric token is
//!   a string there in both modes; in `X-OCCI-Attribute` an unquoted string is lenient only
//!   ([`UnquotedString`](crate::DeviationKind::UnquotedString)).
//! * A Link's `category` is accepted quoted or not and emitted quoted; `class` likewise.
//!   Other parameters are quoted; an unquoted one is lenient only
//!   ([`UnquotedParameter`](crate::DeviationKind::UnquotedParameter)).
//! * A **trailing `;`** and **parameters out of ABNF order** are lenient only.
//! * A `scheme` with the term appended is lenient only
//!   ([`SchemeWithTerm`](crate::DeviationKind::SchemeWithTerm)).
//! * Unknown Category or Link parameters (other than link attributes) are lenient only and
//!   ignored ([`Other`](crate::DeviationKind::Other)).
//! * A `Link` whose URI has an `?action=term` query is an `ActionLink`; it may carry only
//!   `rel` (one action type identifier), whose term must equal the query's term.
//! * A Category's `rel` holds one type identifier in the ABNF; several (space-separated)
//!   are accepted for a Mixin's `depends` in lenient mode only, and are an error for a Kind.
//!   Renderers write the first only, as the grammar has it, so a Mixin's other `depends`
//!   are lost in text (JSON carries them all).
//! * `{…}` after an attribute name holds `immutable` and/or `required`, space-separated;
//!   any other word is an error (pOCCI rejects `test{asdasd}`).
//! * An empty list element (`a, , b`) is skipped, as RFC 7230 §7 requires of recipients.
//! * **What real peers send** (lenient only, one deviation each; strict parsing rejects
//!   each): a Category without `class` gets the class its [`ReadContext`] tells
//!   ([`MissingClass`](crate::DeviationKind::MissingClass)); a body that is only `OK`
//!   (PySSF) is an empty document ([`NoContent`](crate::DeviationKind::NoContent)); lines
//!   joined by `\n\r` (pOCCI) are read as CRLF lines
//!   ([`LineEnding`](crate::DeviationKind::LineEnding), rule `line-ending` when strict); in
//!   a query interface response, one bad value of a field line holding several is skipped
//!   ([`SkippedValue`](crate::DeviationKind::SkippedValue)), so rOCCI-server's query
//!   interface with one malformed action scheme loses one action, not the document; an
//!   attribute given more than once in `X-OCCI-Attribute` is read with its last value, as
//!   PySSF's dictionary reads it (Hurtle's SM repeats a create attribute in its updates),
//!   one [`RepeatedAttribute`](crate::DeviationKind::RepeatedAttribute) per value dropped.
//!
//! # Entities
//!
//! * The first `class="kind"` Category is the Kind, the `class="mixin"` ones are its Mixins
//!   in order; no Kind, two Kinds or an Action Category is a Structure error.
//! * `occi.core.*` attributes fill the model's typed fields. A rendering is a Link when an
//!   optional [`Registry`] says its Kind is `core#link`, or (Kind
//!   unknown, or no registry) when it has `occi.core.source` or `occi.core.target`.
//! * An entity's location is not part of its text rendering except through its `ActionLink`s
//!   (`</compute/1?action=start>`): parsing takes it from them (all must agree), so an entity
//!   without actions comes back without a location. Inline links take the resource's
//!   location as their source unless they carry `occi.core.source`.
//! * An inline link's `rel` is its target's Kind (`target_kind`); when the model has none,
//!   `core#resource` is rendered (the `rel` parameter is mandatory). Several `rel` type
//!   identifiers keep only the first.
//!
//! # Rendering
//!
//! Renderers are infallible and canonical: parameters in ABNF order, `; ` between them, no
//! space around `=`, strings quoted with `"` and `\` escaped, numbers and booleans bare,
//! Floats always with a decimal point, Kind first then Mixins, instances with the short
//! Category form and the query interface with the full one. Entity attributes come in the
//! order `occi.core.id`, `occi.core.title`, `occi.core.summary` (Resources) or
//! `occi.core.source`, `occi.core.target`, `occi.core.source.kind`, `occi.core.target.kind`
//! (Links), then every other attribute by name. What text cannot express (List and Map
//! values, control characters in strings, actions of an entity without location, an inline
//! link without target, an inline link attribute named `rel`, `self` or `category`, which
//! would read as the `link-value` parameter of that name) is left out, control characters are replaced by U+FFFD, and
//! [`can_render`] tells whether anything would be lost, so that a server can answer 406.

#[doc(hidden)]
pub mod canonical;
mod convert;
mod grammar;
pub(crate) mod lex;
pub mod occi;
mod parse;
pub mod plain;
mod render;

use occi_model::{
    AttributeDefinition, AttributeName, AttributeValue, CategoryClass, CategoryId, Entity,
    Location, Registry, Term,
};

use crate::Position;

/// What a text message is read as; it decides what lenient parsing may infer or skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// Structures only, without knowing what they are for.
    Document,
    /// An entity (create, update, replace, or a response holding one).
    Entity,
    /// A category collection sent to a server (a user Mixin definition or removal).
    Categories,
    /// A query interface response.
    QueryInterface,
    /// An action invocation (a `POST …?action=term`).
    ActionInvocation,
    /// A location list.
    Locations,
    /// A filter.
    Filter,
}

/// The context a text message is read in: what it is for, and the categories the reader
/// knows.
///
/// Lenient parsing uses it for two things real peers need (strict parsing ignores it):
///
/// * **A Category without `class`** (every request of a Hurtle Service Manager has one) gets
///   its class from the registry when the registry knows the category, and otherwise from
///   the purpose: an action invocation's Category is an Action, a category collection sent
///   to a server is a (user-defined) Mixin, a filter's is read as a Kind (filters match by scheme and term
///   only), and in an entity the first such Category is the Kind when no other is given,
///   the rest Mixins. Each inference is a [`MissingClass`](crate::DeviationKind::MissingClass)
///   deviation that names the class and why; when nothing tells the class (a bare
///   [`Purpose::Document`] without registry), the Category is an error.
/// * **One bad value of a list** read by a client (a query interface response, or a bare
///   document) is reported as a [`SkippedValue`](crate::DeviationKind::SkippedValue)
///   deviation and skipped, and the other values are read. What a server reads (an entity,
///   categories, an action invocation, locations, a filter) is applied as a whole, so there
///   a bad value fails the parse and the request changes nothing.
///
/// ```
/// use occi_render::{ParseOptions, DeviationKind, text::{ReadContext, Purpose, plain}};
/// use occi_render::occi_model::{CategoryClass, OcciVersion, Registry, ext::infrastructure};
/// let mut registry = Registry::new(OcciVersion::V1_2);
/// infrastructure::register(&mut registry).unwrap();
/// let body = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"\r\n";
/// let context = ReadContext::new(Purpose::Document).with_registry(&registry);
/// let parsed = plain::parse_document_in(body, &ParseOptions::lenient(), &context)?;
/// assert_eq!(parsed.value.categories[0].class, CategoryClass::Kind);
/// assert_eq!(parsed.deviations[0].kind(), DeviationKind::MissingClass);
/// assert!(plain::parse_document_in(body, &ParseOptions::strict(), &context).is_err());
/// # Ok::<(), occi_render::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ReadContext<'r> {
    purpose: Purpose,
    registry: Option<&'r Registry>,
}

impl<'r> ReadContext<'r> {
    /// A context for `purpose`, without a registry.
    pub fn new(purpose: Purpose) -> Self {
        Self {
            purpose,
            registry: None,
        }
    }

    /// Uses `registry` to tell the class of a known category.
    #[must_use]
    pub fn with_registry(mut self, registry: &'r Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The context of a request: `query` is the request target's query string, if any. A
    /// `?action=` query makes the body an action invocation, whatever `purpose` says.
    #[must_use]
    pub fn for_request(purpose: Purpose, query: Option<&str>) -> Self {
        let action = query.is_some_and(|q| {
            q.split('&')
                .any(|pair| pair.split('=').next() == Some("action"))
        });
        Self::new(if action {
            Purpose::ActionInvocation
        } else {
            purpose
        })
    }

    /// What the message is read as.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The registry, if any.
    pub fn registry(&self) -> Option<&'r Registry> {
        self.registry
    }

    /// Whether one bad value of a list may be skipped (lenient parsing only).
    pub(crate) fn skips_bad_values(&self) -> bool {
        matches!(self.purpose, Purpose::Document | Purpose::QueryInterface)
    }
}

/// Which text structure a line or header field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// `Category`.
    Category,
    /// `Link` (resource links and `ActionLink`s).
    Link,
    /// `X-OCCI-Attribute`.
    Attribute,
    /// `X-OCCI-Location`.
    Location,
}

impl Field {
    /// The field name as the specification spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Category => "Category",
            Self::Link => "Link",
            Self::Attribute => "X-OCCI-Attribute",
            Self::Location => "X-OCCI-Location",
        }
    }

    /// The field for `name`, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Category, Self::Link, Self::Attribute, Self::Location]
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// One `Category` value: the short instance form (term, scheme, class) or the full query
/// interface form.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryRepr {
    /// Scheme and term.
    pub id: CategoryId,
    /// The `class` parameter.
    pub class: CategoryClass,
    /// The `title` parameter.
    pub title: Option<String>,
    /// The `rel` parameter (a Kind's parent, a Mixin's depends).
    pub rel: Vec<CategoryId>,
    /// The `location` parameter.
    pub location: Option<Location>,
    /// The `attributes` parameter: names with the immutable and required flags (type String).
    pub attributes: Vec<AttributeDefinition>,
    /// The `actions` parameter.
    pub actions: Vec<CategoryId>,
    /// Where the value starts.
    pub position: Position,
}

/// One resource `Link` value.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRepr {
    /// The target, between `<` and `>`.
    pub target: Location,
    /// The `rel` parameter: the target's type (Kind first).
    pub rel: Vec<CategoryId>,
    /// The `self` parameter: the link's own location.
    pub self_location: Option<Location>,
    /// The `category` parameter: the link's Kind, then its Mixins.
    pub categories: Vec<CategoryId>,
    /// The link attributes, in input order.
    pub attributes: Vec<(AttributeName, AttributeValue)>,
    /// Where the value starts.
    pub position: Position,
}

/// One `ActionLink` value: `<location?action=term>; rel="action type identifier"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLinkRepr {
    /// The entity's location (the URI without its `?action=` query).
    pub location: Location,
    /// The term in the query.
    pub term: Term,
    /// The Action (`rel`).
    pub action: CategoryId,
    /// Where the value starts.
    pub position: Position,
}

/// One `X-OCCI-Attribute` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeRepr {
    /// The attribute name.
    pub name: AttributeName,
    /// The typed value.
    pub value: AttributeValue,
    /// Where the value starts.
    pub position: Position,
}

/// One `X-OCCI-Location` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRepr {
    /// The URI reference.
    pub location: Location,
    /// Where the value starts.
    pub position: Position,
}

/// Every structure of a text rendering, in input order per kind of structure.
///
/// This is the syntactic layer both front ends ([`plain`], [`occi`]) produce; the typed
/// conversions (`parse_entity`, `parse_categories`, …) are built on it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextDocument {
    /// `Category` values.
    pub categories: Vec<CategoryRepr>,
    /// Resource `Link` values.
    pub links: Vec<LinkRepr>,
    /// `ActionLink` values.
    pub action_links: Vec<ActionLinkRepr>,
    /// `X-OCCI-Attribute` values.
    pub attributes: Vec<AttributeRepr>,
    /// `X-OCCI-Location` values.
    pub locations: Vec<LocationRepr>,
}

impl TextDocument {
    /// The number of structures (values) held.
    pub fn len(&self) -> usize {
        self.categories.len()
            + self.links.len()
            + self.action_links.len()
            + self.attributes.len()
            + self.locations.len()
    }

    /// Whether the document holds no structure.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether the text renderings can express `entity` completely: no List or Map values, no
/// control characters in strings, a location when it has actions, and a target for every
/// inline link. When this is `false` the renderers leave the rest out, and a server should
/// answer 406 instead (GFD.185 §3.6.6: "incomplete or faulty rendering").
pub fn can_render(entity: &Entity) -> bool {
    render::can_render_entity(entity)
}

/// Keeps only the last value of an attribute given more than once in `doc` (lenient only;
/// strict reading refuses it when the document becomes a model value), one
/// [`RepeatedAttribute`](crate::DeviationKind::RepeatedAttribute) deviation for each value
/// dropped: PySSF reads attributes into a dictionary, and Hurtle's SM repeats a create
/// attribute in its updates. Applied where a document becomes an entity or an action
/// invocation, so a document read on its own keeps what was sent.
fn last_attribute_wins(doc: &mut crate::Parsed<TextDocument>, options: &crate::ParseOptions) {
    let attributes = &doc.value.attributes;
    if options.is_strict() || attributes.len() < 2 {
        return;
    }
    // A small list is compared pairwise; a long one through a set (no quadratic cost).
    let repeated = if attributes.len() <= 16 {
        attributes
            .iter()
            .enumerate()
            .any(|(i, a)| attributes[i + 1..].iter().any(|b| b.name == a.name))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(attributes.len());
        !attributes.iter().all(|a| seen.insert(a.name.as_str()))
    };
    if !repeated {
        return;
    }
    let mut last = std::collections::HashMap::with_capacity(attributes.len());
    for (i, a) in attributes.iter().enumerate() {
        last.insert(a.name.clone(), i);
    }
    let all = std::mem::take(&mut doc.value.attributes);
    for (i, a) in all.into_iter().enumerate() {
        if last.get(&a.name) == Some(&i) {
            doc.value.attributes.push(a);
        } else {
            let message = format!(
                "attribute {} is given again later in the message; the last value is read",
                a.name
            );
            doc.deviations.push(crate::Deviation::new(
                a.position,
                crate::DeviationKind::RepeatedAttribute,
                message,
            ));
        }
    }
    doc.deviations
        .sort_by_key(|d| (d.position().line, d.position().column));
}

/// Puts `kind` first in `document` when it names no Kind: a partial update sends only what
/// changes (H11 §3.4.4), and the Kind cannot change anyway.
fn default_kind(document: &mut TextDocument, kind: &CategoryId) {
    if !document
        .categories
        .iter()
        .any(|c| c.class == CategoryClass::Kind)
    {
        document.categories.insert(
            0,
            CategoryRepr {
                id: kind.clone(),
                class: CategoryClass::Kind,
                title: None,
                rel: Vec::new(),
                location: None,
                attributes: Vec::new(),
                actions: Vec::new(),
                position: Position::default(),
            },
        );
    }
}
