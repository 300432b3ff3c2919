//! Validation of entities against their Kind and Mixins, and of action invocations.
//!
//! The [`Registry`] checks a request before anything is stored or performed:
//!
//! * [`Registry::validate_create`]: a new entity (and the Links inlined in a Resource);
//! * [`Registry::validate_update`] and [`Registry::validate_update_with`]: a partial (POST) or
//!   full (PUT) update of an existing entity, returning the entity as it is to be stored;
//! * [`Registry::validate_action`]: an action invocation on an entity.
//!
//! Every violation is reported, not just the first, each with the [`Rule`] it breaks and the
//! attribute or category it is about. A server maps the error to a status: 409 when every
//! violation is [`Rule::ActionNotApplicable`] (C12 §5.3.5, P12 §5.4 "conflict with the current
//! state"), 400 otherwise ([`ValidationError::is_conflict`]).
//!
//! The decisions taken where the specifications are silent or ambiguous are listed on
//! [`ValidationError`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::BuildHasher;

use crate::attribute::{AttributeDefinition, AttributeType};
use crate::category::Category;
use crate::entity::{ActionInvocation, Entity, Link, core_attr};
use crate::ext::core as core_ext;
use crate::ident::{AttributeName, CategoryId, Location, OcciVersion};
use crate::registry::Registry;
use crate::value::{AttributeValue, Attributes};

/// Checks one value against its definition: type (an integer is accepted for a float and
/// converted), enum membership, pattern and numeric range. Returns the value as it is to be
/// stored, or what is wrong with it.
pub(crate) fn check_value(
    definition: &AttributeDefinition,
    value: &AttributeValue,
) -> Result<AttributeValue, String> {
    check_value_rule(definition, value).map_err(|(_, message)| message)
}

/// [`check_value`], also naming the [`Rule`] that was broken.
fn check_value_rule(
    definition: &AttributeDefinition,
    value: &AttributeValue,
) -> Result<AttributeValue, (Rule, String)> {
    let Some(value) = definition.ty.coerce(value) else {
        return Err((
            Rule::WrongType,
            format!(
                "must be of type {}, not {}",
                definition.ty.describe(),
                value.type_name()
            ),
        ));
    };
    if let (AttributeType::Enum(allowed), AttributeValue::String(s)) = (&definition.ty, &value)
        && !allowed.iter().any(|a| a == s)
    {
        return Err((
            Rule::NotInEnum,
            format!("must be one of {{{}}}, not {s:?}", allowed.join(", ")),
        ));
    }
    if let (Some(pattern), AttributeValue::String(s)) = (&definition.pattern, &value)
        && !pattern.is_match(s)
    {
        return Err((
            Rule::PatternMismatch,
            format!("must match the pattern {:?}, not {s:?}", pattern.as_str()),
        ));
    }
    if let (Some(range), Some(n)) = (&definition.range, value.as_f64())
        && !range.contains(n)
    {
        return Err((Rule::OutOfRange, format!("must be {range}, not {n}")));
    }
    Ok(value)
}

// ----- entity lookup -----

/// Resolves the location of an existing entity to its Kind, so that the source and target of
/// a Link can be checked.
///
/// Implemented for maps from [`Location`] to [`CategoryId`], for closures, and for
/// [`NoEntities`] (nothing exists).
///
/// ```
/// use std::collections::HashMap;
/// use occi_model::{CategoryId, EntityLookup, Location, NoEntities};
///
/// let network: CategoryId = "http://schemas.ogf.org/occi/infrastructure#network".parse()?;
/// let mut store = HashMap::new();
/// store.insert(Location::new("/network/1")?, network.clone());
/// assert_eq!(store.kind_of(&Location::new("/network/1")?), Some(network.clone()));
/// assert_eq!(NoEntities.kind_of(&Location::new("/network/1")?), None);
///
/// let by_prefix = |l: &Location| l.as_str().starts_with("/network/").then(|| network.clone());
/// assert!(by_prefix.kind_of(&Location::new("/network/7")?).is_some());
/// # Ok::<(), occi_model::IdentError>(())
/// ```
pub trait EntityLookup {
    /// The Kind of the entity at `location`, or `None` if there is none.
    fn kind_of(&self, location: &Location) -> Option<CategoryId>;
}

impl<S: BuildHasher> EntityLookup for HashMap<Location, CategoryId, S> {
    fn kind_of(&self, location: &Location) -> Option<CategoryId> {
        self.get(location).cloned()
    }
}

impl EntityLookup for BTreeMap<Location, CategoryId> {
    fn kind_of(&self, location: &Location) -> Option<CategoryId> {
        self.get(location).cloned()
    }
}

impl<F> EntityLookup for F
where
    F: Fn(&Location) -> Option<CategoryId>,
{
    fn kind_of(&self, location: &Location) -> Option<CategoryId> {
        self(location)
    }
}

/// An [`EntityLookup`] in which no entity exists: every Link source and target that is not
/// implied by the request is unknown.
///
/// ```
/// use occi_model::{EntityLookup, Location, NoEntities};
/// assert!(NoEntities.kind_of(&Location::new("/compute/1")?).is_none());
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoEntities;

impl EntityLookup for NoEntities {
    fn kind_of(&self, _location: &Location) -> Option<CategoryId> {
        None
    }
}

// ----- rules, violations, errors -----

/// A validation rule; each [`Violation`] names the one it breaks.
///
/// The documentation of each variant names the specification section it comes from (C11/C12:
/// Core, H11/P12: HTTP, I12: Infrastructure, T12: text rendering) and, where there is one, the
/// conformance assertion that tests it.
///
/// ```
/// use occi_model::Rule;
/// assert_eq!(Rule::RequiredMissing.as_str(), "required-missing");
/// assert_eq!(Rule::WrongType.to_string(), "wrong-type");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// The Kind is not registered (H11 §3.6.8; ENT-009).
    UnknownKind,
    /// The Kind named is a Mixin or an Action (C12 §5.3.6: a create names exactly one Kind).
    NotAKind,
    /// The Kind is `core#entity`, which is abstract (C12 §5.4; P12 §4).
    AbstractKind,
    /// A Resource whose Kind does not descend from `core#resource`, or a Link whose Kind does
    /// not descend from `core#link` (C12 §5.3.3, §5.4.2, §5.4.3).
    EntityTypeMismatch,
    /// A Mixin is not registered (H11 §3.6.8).
    UnknownMixin,
    /// A category given as a Mixin is a Kind or an Action (C12 §5.3.4).
    NotAMixin,
    /// A Mixin is given twice (C11 §4.4.3: an entity's Mixins are a set).
    DuplicateMixin,
    /// A Mixin's `applies` excludes the entity's Kind (C12 §5.3.4; ENT-015, INF-022).
    MixinNotApplicable,
    /// Two Mixins of the same exclusive family, such as two `os_tpl` (I12 §3.5; MIX-011).
    ExclusiveMixins,
    /// An attribute defined by neither the Kind nor a Mixin (ENT-013, our policy).
    UnknownAttribute,
    /// A client sets or changes an immutable attribute (C11 §4.3, C12 §5.2; ENT-011, ENT-022,
    /// ENT-023, INF-019).
    Immutable,
    /// An update changes an attribute a client may give only at creation (I12 §3.5.2;
    /// INF-020).
    CreateOnly,
    /// A value of the wrong type (C12 §5.3.2; ENT-012).
    WrongType,
    /// A value outside an enum (I12 §3; INF-014, ACT-004).
    NotInEnum,
    /// A string that does not match the attribute's pattern (C12 §5.3.2 `pattern`).
    PatternMismatch,
    /// A number outside the attribute's range (I12 §3.2; INF-013).
    OutOfRange,
    /// A required attribute or parameter is missing (C12 §5.3.2; H11 §3.6.8; ENT-010).
    RequiredMissing,
    /// An update names another Kind, or turns a Resource into a Link (C12 §5.3.3; ENT-021).
    KindChanged,
    /// A Link without `occi.core.source` (C12 §5.4.3; H11 §3.4.5).
    LinkSourceMissing,
    /// A Link whose source is not an entity of the provider (C12 §5.4.3; LNK-004).
    LinkSourceUnknown,
    /// A Link whose source is not a Resource of a Kind the Link Kind accepts (C12 §5.4.3).
    LinkSourceKind,
    /// A Link inlined in a Resource whose source is not that Resource (C12 §5.4.2: a Resource
    /// owns the Links it is the source of).
    InlineLinkSource,
    /// `occi.core.source.kind` is not the source's Kind (T12 §5.5.1).
    SourceKindMismatch,
    /// A Link without `occi.core.target` (C12 §5.4.3; LNK-003).
    LinkTargetMissing,
    /// A Link whose target is not an entity of the provider and, in 1.2, not an absolute URI
    /// either (C11 §4.5.3, C12 §5.4.3).
    LinkTargetUnknown,
    /// A Link whose target is not of a Kind the Link Kind accepts (C12 §5.4.3).
    LinkTargetKind,
    /// `occi.core.target.kind` is not the target's Kind (T12 §5.5.1, C12 §5.4.3; LNK-011).
    TargetKindMismatch,
    /// The Action is not registered, or the category named is not an Action (H11 §3.4.4;
    /// ACT-005).
    UnknownAction,
    /// The Action is not defined by the entity's Kind or Mixins (C12 §5.3.5; ACT-005): a bad
    /// request (400).
    ActionNotDefined,
    /// The Action is defined but not applicable in the entity's current state (C12 §5.3.5;
    /// I12 §3 state diagrams; ACT-011): a conflict (409).
    ActionNotApplicable,
    /// A parameter the Action does not define (C12 §5.3.5; ACT-004).
    UnknownParameter,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: [Rule; 31] = [
        Rule::UnknownKind,
        Rule::NotAKind,
        Rule::AbstractKind,
        Rule::EntityTypeMismatch,
        Rule::UnknownMixin,
        Rule::NotAMixin,
        Rule::DuplicateMixin,
        Rule::MixinNotApplicable,
        Rule::ExclusiveMixins,
        Rule::UnknownAttribute,
        Rule::Immutable,
        Rule::WrongType,
        Rule::NotInEnum,
        Rule::PatternMismatch,
        Rule::OutOfRange,
        Rule::RequiredMissing,
        Rule::KindChanged,
        Rule::LinkSourceMissing,
        Rule::LinkSourceUnknown,
        Rule::LinkSourceKind,
        Rule::InlineLinkSource,
        Rule::SourceKindMismatch,
        Rule::LinkTargetMissing,
        Rule::LinkTargetUnknown,
        Rule::LinkTargetKind,
        Rule::TargetKindMismatch,
        Rule::UnknownAction,
        Rule::ActionNotDefined,
        Rule::ActionNotApplicable,
        Rule::UnknownParameter,
        Rule::CreateOnly,
    ];

    /// A stable kebab-case name, such as `required-missing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownKind => "unknown-kind",
            Self::NotAKind => "not-a-kind",
            Self::AbstractKind => "abstract-kind",
            Self::EntityTypeMismatch => "entity-type-mismatch",
            Self::UnknownMixin => "unknown-mixin",
            Self::NotAMixin => "not-a-mixin",
            Self::DuplicateMixin => "duplicate-mixin",
            Self::MixinNotApplicable => "mixin-not-applicable",
            Self::ExclusiveMixins => "exclusive-mixins",
            Self::UnknownAttribute => "unknown-attribute",
            Self::Immutable => "immutable",
            Self::WrongType => "wrong-type",
            Self::NotInEnum => "not-in-enum",
            Self::PatternMismatch => "pattern-mismatch",
            Self::OutOfRange => "out-of-range",
            Self::RequiredMissing => "required-missing",
            Self::KindChanged => "kind-changed",
            Self::LinkSourceMissing => "link-source-missing",
            Self::LinkSourceUnknown => "link-source-unknown",
            Self::LinkSourceKind => "link-source-kind",
            Self::InlineLinkSource => "inline-link-source",
            Self::SourceKindMismatch => "source-kind-mismatch",
            Self::LinkTargetMissing => "link-target-missing",
            Self::LinkTargetUnknown => "link-target-unknown",
            Self::LinkTargetKind => "link-target-kind",
            Self::TargetKindMismatch => "target-kind-mismatch",
            Self::UnknownAction => "unknown-action",
            Self::ActionNotDefined => "action-not-defined",
            Self::ActionNotApplicable => "action-not-applicable",
            Self::UnknownParameter => "unknown-parameter",
            Self::CreateOnly => "create-only",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule: what it is about, which rule, and what was wrong.
///
/// ```
/// use occi_model::{Entity, NoEntities, Registry, Resource, Rule};
/// let registry = Registry::default();
/// let mut entity = Entity::from(Resource::new("http://example.com/occi#nosuch".parse()?));
/// let err = registry.validate_create(&mut entity, &NoEntities).unwrap_err();
/// let violation = &err.violations()[0];
/// assert_eq!(violation.rule(), Rule::UnknownKind);
/// assert_eq!(violation.subject(), "http://example.com/occi#nosuch");
/// assert_eq!(violation.inline_link(), None);
/// assert_eq!(
///     violation.to_string(),
///     "http://example.com/occi#nosuch: is not a registered category (unknown-kind)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    subject: String,
    rule: Rule,
    message: String,
    inline_link: Option<usize>,
}

impl Violation {
    /// The attribute name, parameter name or category id the violation is about.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The rule that was broken.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// What was wrong, such as `must be of type integer, not string`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The index of the Link among the Resource's inline Links, if the violation is about one.
    pub fn inline_link(&self) -> Option<usize> {
        self.inline_link
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(i) = self.inline_link {
            write!(f, "inline link {i}: ")?;
        }
        write!(f, "{}: {} ({})", self.subject, self.message, self.rule)
    }
}

/// Why an entity, update or action invocation is invalid: every [`Violation`] found.
///
/// ```
/// use occi_model::{AttributeValue, Entity, NoEntities, Registry, Resource, Rule};
/// let registry = Registry::default();
/// let mut resource = Resource::new("http://schemas.ogf.org/occi/core#resource".parse()?);
/// resource.attributes.insert("com.example.a".parse()?, AttributeValue::Integer(1));
/// resource.attributes.insert("com.example.b".parse()?, AttributeValue::Integer(2));
/// let err = registry
///     .validate_create(&mut Entity::from(resource), &NoEntities)
///     .unwrap_err();
/// assert_eq!(err.violations().len(), 2);
/// assert!(err.violations().iter().all(|v| v.rule() == Rule::UnknownAttribute));
/// assert_eq!(err.to_string().lines().count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Decisions where the specifications are silent or ambiguous
///
/// * **`core#entity` is abstract.** C12 §5.4 makes Entity abstract and P12 §4 forbids binding
///   its Kind to a location, so no entity can be created with it ([`Rule::AbstractKind`]).
///   `core#resource` and `core#link` are concrete.
/// * **`depends` are implied, not required.** An entity carrying Mixin B, which depends on A,
///   has the capabilities of both (C12 §5.3.4); the client need not name A, and A is not added
///   to the entity's Mixins. The attributes and actions of A count as the entity's.
/// * **A client may propose `occi.core.id`** at creation (C12 §5.4 only asks for a valid,
///   unique URI; J12's schema even requires an id in every entity). Uniqueness is the
///   store's job. Every other immutable attribute given
///   at creation is a violation ([`Rule::Immutable`], ENT-011), and in an update an immutable
///   attribute may only be repeated with its current value (ENT-022, ENT-023).
/// * **Required attributes are required of the client only when they are mutable.** An
///   immutable attribute is managed by the server (C12 §5.2), so a client could never supply
///   it; requiring it would make creation impossible.
/// * **Unknown attributes are violations** (ENT-013, our policy), including a Core attribute
///   placed among [`Entity::attributes`] instead of its field.
/// * **Partial update (POST)** merges the given attributes and adds the given Mixins. A new
///   Mixin of an exclusive family replaces the old one (I12 §3.5). The defaults of a newly
///   associated Mixin override the entity's current values of those (mutable) attributes
///   unless the update gives them, because "an assigned `resource_tpl` overrides them"
///   (I12 §3.5.2). Attributes no Kind or Mixin of the result defines any more (those of a
///   replaced template) are removed.
/// * **Full update (PUT)** takes the full representation: the Mixins are replaced, and an
///   attribute left out is removed, except immutable ones (the server's, kept at their
///   current value) and required ones (which cannot be removed, so they keep their current
///   value). A removed attribute with a default gets its default back, as at creation.
/// * **Links are the server's business in updates.** The Links of the current Resource are
///   kept whatever the update says (H11 §3.4.4, P12 §10.2.2); Links inlined in an update are
///   ignored here, and the server creates them with [`Registry::validate_create`].
/// * **Link targets outside the provider** are allowed in OCCI 1.2 only (C12 §5.4.3) and only
///   as absolute URIs; in 1.1 every target must resolve (C11 §4.5.3). An external target's
///   Kind cannot be checked beyond `occi.core.target.kind`, which is then taken at its word.
/// * **`occi.core.source.kind`** (T12's mapping table only) is accepted when it names the
///   source's actual Kind, and is a violation otherwise ([`Rule::SourceKindMismatch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    violations: Vec<Violation>,
}

impl ValidationError {
    /// Every violation, in the order found (never empty).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Whether some violation breaks `rule`.
    pub fn has(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    /// Whether the request conflicts with the entity's current state only: every violation
    /// is [`Rule::ActionNotApplicable`]. A server answers 409 then, 400 otherwise.
    pub fn is_conflict(&self) -> bool {
        self.violations
            .iter()
            .all(|v| v.rule == Rule::ActionNotApplicable)
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, violation) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{violation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// How an update request replaces the entity's state.
///
/// ```
/// use occi_model::UpdateMode;
/// assert_ne!(UpdateMode::Partial, UpdateMode::Replace);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateMode {
    /// POST on an entity (H11 §3.4.4, P12 §10.3.1): merge the given attributes, add the given
    /// Mixins.
    Partial,
    /// PUT on an entity (H11 §3.4.4, P12 §10.2.2): the full representation; what is left out
    /// is removed where allowed.
    Replace,
}

// ----- internals -----

/// Collects violations; `link` is the inline Link being checked, if any.
#[derive(Default)]
struct Collector {
    violations: Vec<Violation>,
    link: Option<usize>,
}

impl Collector {
    fn push(&mut self, subject: impl fmt::Display, rule: Rule, message: impl Into<String>) {
        self.violations.push(Violation {
            subject: subject.to_string(),
            rule,
            message: message.into(),
            inline_link: self.link,
        });
    }

    fn finish<T>(self, value: T) -> Result<T, ValidationError> {
        if self.violations.is_empty() {
            Ok(value)
        } else {
            Err(ValidationError {
                violations: self.violations,
            })
        }
    }
}

/// The Link being checked is inlined in a Resource: its source is that Resource.
struct Owner<'a> {
    location: Option<&'a Location>,
    kind: &'a CategoryId,
}

/// The Core attributes a Resource or Link has as fields, `occi.core.source.kind` excluded
/// (it is no attribute of any Kind; see the module docs).
fn core_names(entity: &Entity) -> &'static [&'static str] {
    match entity {
        Entity::Resource(_) => &[core_attr::ID, core_attr::TITLE, core_attr::SUMMARY],
        Entity::Link(_) => &[
            core_attr::ID,
            core_attr::TITLE,
            core_attr::SOURCE,
            core_attr::TARGET,
            core_attr::TARGET_KIND,
        ],
    }
}

/// Whether `name` is `occi.core.target.kind` under a model that does not define it as an
/// attribute (OCCI 1.1): there a Link's target Kind is only the `rel` of its rendering, not an
/// attribute to check against a definition. Its agreement with the actual target is checked
/// with the link's endpoints either way.
fn is_rel_only(defs: &Defs<'_>, name: &str) -> bool {
    name == core_attr::TARGET_KIND && !defs.contains_key(name)
}

/// Sets (or with `None` clears) a Core field from an attribute value.
fn set_core(entity: &mut Entity, name: &str, value: Option<&AttributeValue>) -> Result<(), String> {
    let text = match value {
        None => None,
        Some(v) => Some(
            v.as_str()
                .ok_or_else(|| format!("must be a string, not {}", v.type_name()))?,
        ),
    };
    let location = |s: Option<&str>| {
        s.map(Location::new)
            .transpose()
            .map_err(|e| format!("is not a valid location: {}", e.reason()))
    };
    match (entity, name) {
        (Entity::Resource(r), core_attr::TITLE) => r.title = text.map(str::to_owned),
        (Entity::Link(l), core_attr::TITLE) => l.title = text.map(str::to_owned),
        (Entity::Resource(r), core_attr::SUMMARY) => r.summary = text.map(str::to_owned),
        (Entity::Link(l), core_attr::SOURCE) => l.source = location(text)?,
        (Entity::Link(l), core_attr::TARGET) => l.target = location(text)?,
        (Entity::Link(l), core_attr::TARGET_KIND) => {
            l.target_kind = text
                .map(CategoryId::parse_type_identifier)
                .transpose()
                .map_err(|e| format!("is not a type identifier: {}", e.reason()))?;
        }
        (Entity::Resource(r), core_attr::ID) => {
            r.id = text
                .map(crate::ident::EntityId::new)
                .transpose()
                .map_err(|e| format!("is not a valid id: {}", e.reason()))?;
        }
        (Entity::Link(l), core_attr::ID) => {
            l.id = text
                .map(crate::ident::EntityId::new)
                .transpose()
                .map_err(|e| format!("is not a valid id: {}", e.reason()))?;
        }
        (_, other) => return Err(format!("{other} is not a core field of this entity")),
    }
    Ok(())
}

/// Whether `location` is an absolute URI (has a scheme), as an external Link target must be.
fn is_absolute_uri(location: &Location) -> bool {
    let s = location.as_str();
    s.find(':').is_some_and(|colon| {
        let scheme = &s[..colon];
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Where a client-given value comes from: a create request, or an update of an entity whose
/// current value is given.
#[derive(Clone, Copy)]
enum Stage<'a> {
    Create,
    Update(Option<&'a AttributeValue>),
}

/// Effective attribute definitions by name.
type Defs<'a> = HashMap<&'a str, &'a AttributeDefinition>;

impl Registry {
    /// Checks the entity's Kind; returns whether attribute checks can use it.
    fn check_kind(&self, entity: &Entity, out: &mut Collector) -> bool {
        let kind = entity.kind();
        match self.get(kind) {
            None => {
                out.push(kind, Rule::UnknownKind, "is not a registered category");
                false
            }
            Some(Category::Kind(_)) => {
                if *kind == core_ext::entity_id() {
                    out.push(
                        kind,
                        Rule::AbstractKind,
                        "is abstract; name a Kind that descends from it",
                    );
                    return false;
                }
                let (base, what) = match entity {
                    Entity::Resource(_) => (core_ext::resource_id(), "a resource"),
                    Entity::Link(_) => (core_ext::link_id(), "a link"),
                };
                if self.is_a(kind, &base) {
                    true
                } else {
                    out.push(
                        kind,
                        Rule::EntityTypeMismatch,
                        format!("is the Kind of {what} only if it descends from {base}"),
                    );
                    false
                }
            }
            Some(other) => {
                out.push(
                    kind,
                    Rule::NotAKind,
                    format!("is a {}, not a kind", other.class()),
                );
                false
            }
        }
    }

    /// Checks one Mixin on its own (exists, is a Mixin, applies to `kind` when known).
    fn check_mixin_use(
        &self,
        kind: Option<&CategoryId>,
        id: &CategoryId,
        out: &mut Collector,
    ) -> bool {
        match self.get(id) {
            None => {
                out.push(id, Rule::UnknownMixin, "is not a registered category");
                false
            }
            Some(Category::Mixin(mixin)) => {
                if let Some(kind) = kind
                    && !mixin.applies.is_empty()
                    && !mixin.applies.iter().any(|a| self.is_a(kind, a))
                {
                    let applies: Vec<String> =
                        mixin.applies.iter().map(ToString::to_string).collect();
                    out.push(
                        id,
                        Rule::MixinNotApplicable,
                        format!("applies to {} only, not to {kind}", applies.join(", ")),
                    );
                    return false;
                }
                true
            }
            Some(other) => {
                out.push(
                    id,
                    Rule::NotAMixin,
                    format!("is a {}, not a mixin", other.class()),
                );
                false
            }
        }
    }

    /// Checks a list of Mixins as given in a request; returns the usable ones, each once.
    fn check_mixin_list(
        &self,
        kind: Option<&CategoryId>,
        mixins: &[CategoryId],
        out: &mut Collector,
    ) -> Vec<CategoryId> {
        let mut seen: HashSet<&CategoryId> = HashSet::new();
        let mut families: HashMap<CategoryId, CategoryId> = HashMap::new();
        let mut usable = Vec::new();
        for id in mixins {
            if !seen.insert(id) {
                out.push(id, Rule::DuplicateMixin, "is given more than once");
                continue;
            }
            if !self.check_mixin_use(kind, id, out) {
                continue;
            }
            if let Some(root) = self.exclusive_family(id) {
                if let Some(first) = families.get(root) {
                    out.push(
                        id,
                        Rule::ExclusiveMixins,
                        format!("and {first} both depend on {root}; an entity has at most one"),
                    );
                    continue;
                }
                families.insert(root.clone(), id.clone());
            }
            usable.push(id.clone());
        }
        usable
    }

    /// Checks a value given by the client for `name`. `current` is the entity's value in an
    /// update (an immutable attribute may be repeated with it) and `None` at creation.
    /// With `open` (the Kind's attributes are open), an undefined attribute is kept as given.
    fn check_given(
        defs: &Defs<'_>,
        open: bool,
        name: &str,
        value: &AttributeValue,
        stage: Stage<'_>,
        out: &mut Collector,
    ) -> Option<AttributeValue> {
        let Some(definition) = defs.get(name) else {
            if open && !core_attr::is_core(name) {
                return Some(value.clone());
            }
            out.push(
                name,
                Rule::UnknownAttribute,
                "is defined by neither the kind nor any mixin of the entity",
            );
            return None;
        };
        let checked = match check_value_rule(definition, value) {
            Ok(v) => v,
            Err((rule, message)) => {
                out.push(name, rule, message);
                return None;
            }
        };
        if definition.create_only
            && let Stage::Update(current) = stage
            && current != Some(&checked)
        {
            out.push(
                name,
                Rule::CreateOnly,
                "is given once, at creation; it cannot be changed",
            );
            return None;
        }
        if !definition.mutable {
            match stage {
                Stage::Create if name == core_attr::ID => {}
                Stage::Create => {
                    out.push(
                        name,
                        Rule::Immutable,
                        "is immutable: only the server sets it",
                    );
                    return None;
                }
                Stage::Update(current) if current == Some(&checked) => {}
                Stage::Update(_) => {
                    out.push(
                        name,
                        Rule::Immutable,
                        "is immutable: it may only be repeated with its current value",
                    );
                    return None;
                }
            }
        }
        Some(checked)
    }

    /// Removes the attributes a full representation (`update`) leaves out from `result`,
    /// except immutable and required ones.
    fn drop_left_out(result: &mut Entity, update: &Entity, defs: &Defs<'_>) {
        let keep = |name: &str| {
            defs.get(name)
                .is_some_and(|d| !d.mutable || d.required || d.create_only)
        };
        for &name in core_names(result) {
            if name != core_attr::ID && !keep(name) && update.attribute_value(name).is_none() {
                // Clearing a field cannot fail.
                let _ = set_core(result, name, None);
            }
        }
        result
            .attributes_mut()
            .retain(|name, _| keep(name.as_str()) || update.attributes().contains_key(name));
    }

    /// Checks the Core fields and attributes of a new entity, applies defaults, and checks
    /// required attributes. Stores coerced values into `entity`.
    fn create_attributes(entity: &mut Entity, defs: &Defs<'_>, open: bool, out: &mut Collector) {
        let mut given: HashSet<String> = HashSet::new();
        for &name in core_names(entity) {
            let Some(value) = entity.attribute_value(name) else {
                continue;
            };
            if is_rel_only(defs, name) {
                continue;
            }
            given.insert(name.to_owned());
            if let Some(checked) = Self::check_given(defs, open, name, &value, Stage::Create, out)
                && checked != value
                && let Err(message) = set_core(entity, name, Some(&checked))
            {
                out.push(name, Rule::WrongType, message);
            }
        }
        let mut attributes = Attributes::new();
        for (name, value) in entity.attributes() {
            given.insert(name.to_string());
            if core_attr::is_core(name.as_str()) {
                out.push(
                    name,
                    Rule::UnknownAttribute,
                    "is a core attribute: it belongs in the entity's own field",
                );
                continue;
            }
            if let Some(checked) =
                Self::check_given(defs, open, name.as_str(), value, Stage::Create, out)
            {
                attributes.insert(name.clone(), checked);
            }
        }
        *entity.attributes_mut() = attributes;
        Self::apply_defaults(entity, defs, &given, out);
        Self::check_required(entity, defs, &given, out);
    }

    /// Sets the default of every defined attribute that has none and was not given.
    fn apply_defaults(
        entity: &mut Entity,
        defs: &Defs<'_>,
        given: &HashSet<String>,
        out: &mut Collector,
    ) {
        let mut names: Vec<&str> = defs.keys().copied().collect();
        names.sort_unstable();
        for name in names {
            let definition = defs[name];
            let Some(default) = &definition.default else {
                continue;
            };
            if given.contains(name) || entity.attribute_value(name).is_some() {
                continue;
            }
            if core_attr::is_core(name) {
                if let Err(message) = set_core(entity, name, Some(default)) {
                    out.push(name, Rule::WrongType, format!("default {message}"));
                }
            } else {
                entity
                    .attributes_mut()
                    .insert(definition.name.clone(), default.clone());
            }
        }
    }

    /// Reports every mutable required attribute without a value (Link source and target are
    /// checked with their own rules).
    fn check_required(
        entity: &Entity,
        defs: &Defs<'_>,
        given: &HashSet<String>,
        out: &mut Collector,
    ) {
        let mut missing: Vec<&str> = defs
            .values()
            .filter(|d| d.required && d.mutable)
            .map(|d| d.name.as_str())
            .filter(|name| !matches!(*name, core_attr::SOURCE | core_attr::TARGET))
            .filter(|name| !given.contains(*name) && entity.attribute_value(name).is_none())
            .collect();
        missing.sort_unstable();
        for name in missing {
            out.push(name, Rule::RequiredMissing, "is required but has no value");
        }
    }

    /// The Kind of the entity at `location`, the owning Resource counting as one.
    fn resolve(
        lookup: &dyn EntityLookup,
        owner: Option<&Owner<'_>>,
        location: &Location,
    ) -> Option<CategoryId> {
        if let Some(owner) = owner
            && owner.location == Some(location)
        {
            return Some(owner.kind.clone());
        }
        lookup.kind_of(location)
    }

    /// Checks the endpoints of a Link: presence, existence, acceptable Kinds, and consistency
    /// of `occi.core.target.kind` and `occi.core.source.kind`.
    fn check_link(
        &self,
        link: &Link,
        lookup: &dyn EntityLookup,
        owner: Option<&Owner<'_>>,
        out: &mut Collector,
    ) {
        let endpoints = self.link_endpoints(&link.kind).cloned().unwrap_or_default();
        self.check_link_source(link, &endpoints.source, lookup, owner, out);
        self.check_link_target(link, &endpoints.target, lookup, owner, out);
    }

    /// Checks a Link's source (see [`Registry::check_link`]).
    fn check_link_source(
        &self,
        link: &Link,
        acceptable: &[CategoryId],
        lookup: &dyn EntityLookup,
        owner: Option<&Owner<'_>>,
        out: &mut Collector,
    ) {
        let resource = core_ext::resource_id();
        let source_kind = match (&link.source, owner) {
            (None, Some(owner)) => Some(owner.kind.clone()),
            (None, None) => {
                out.push(
                    core_attr::SOURCE,
                    Rule::LinkSourceMissing,
                    "is required: the location of the resource the link starts from",
                );
                None
            }
            (Some(source), _) => {
                if let Some(owner) = owner
                    && let Some(owner_location) = owner.location
                    && owner_location != source
                {
                    out.push(
                        core_attr::SOURCE,
                        Rule::InlineLinkSource,
                        format!(
                            "is {source}, but a link given inline starts from its resource {owner_location}"
                        ),
                    );
                }
                let kind = Self::resolve(lookup, owner, source);
                if kind.is_none() {
                    out.push(
                        core_attr::SOURCE,
                        Rule::LinkSourceUnknown,
                        format!("{source} is not an entity of this provider"),
                    );
                }
                kind
            }
        };
        if let Some(kind) = &source_kind {
            let fits = self.is_a(kind, &resource)
                && (acceptable.is_empty() || acceptable.iter().any(|s| self.is_a(kind, s)));
            if !fits {
                out.push(
                    core_attr::SOURCE,
                    Rule::LinkSourceKind,
                    format!("is a {kind}, which a {} cannot start from", link.kind),
                );
            }
            if let Some(claimed) = &link.source_kind
                && claimed != kind
            {
                out.push(
                    core_attr::SOURCE_KIND,
                    Rule::SourceKindMismatch,
                    format!("is {claimed}, but the source is a {kind}"),
                );
            }
        }
    }

    /// Checks a Link's target (see [`Registry::check_link`]).
    fn check_link_target(
        &self,
        link: &Link,
        acceptable: &[CategoryId],
        lookup: &dyn EntityLookup,
        owner: Option<&Owner<'_>>,
        out: &mut Collector,
    ) {
        let Some(target) = &link.target else {
            out.push(
                core_attr::TARGET,
                Rule::LinkTargetMissing,
                "is required: the location or URI the link points to",
            );
            return;
        };
        let actual = Self::resolve(lookup, owner, target);
        let kind = match &actual {
            Some(kind) => {
                if let Some(claimed) = &link.target_kind
                    && claimed != kind
                {
                    out.push(
                        core_attr::TARGET_KIND,
                        Rule::TargetKindMismatch,
                        format!("is {claimed}, but the target is a {kind}"),
                    );
                }
                Some(kind)
            }
            None if self.version() == OcciVersion::V1_2 && is_absolute_uri(target) => {
                // An external target: only its claimed Kind can be checked.
                link.target_kind.as_ref()
            }
            None => {
                let why = if self.version() == OcciVersion::V1_1 {
                    "is not an entity of this provider (OCCI 1.1 links stay inside the provider)"
                } else {
                    "is neither an entity of this provider nor an absolute URI"
                };
                out.push(
                    core_attr::TARGET,
                    Rule::LinkTargetUnknown,
                    format!("{target} {why}"),
                );
                None
            }
        };
        if let Some(kind) = kind {
            // An external target's claimed Kind need not be a registered Resource Kind.
            let fits = (actual.is_none() || self.is_a(kind, &core_ext::resource_id()))
                && (acceptable.is_empty() || acceptable.iter().any(|t| self.is_a(kind, t)));
            if !fits {
                out.push(
                    core_attr::TARGET,
                    Rule::LinkTargetKind,
                    format!("is a {kind}, which a {} cannot point to", link.kind),
                );
            }
        }
    }

    /// Validates one new entity; `owner` is set for a Link inlined in a Resource.
    fn create_one(
        &self,
        entity: &mut Entity,
        lookup: &dyn EntityLookup,
        owner: Option<&Owner<'_>>,
        out: &mut Collector,
    ) {
        let kind_ok = self.check_kind(entity, out);
        let kind = entity.kind().clone();
        let mixins = self.check_mixin_list(kind_ok.then_some(&kind), entity.mixins(), out);
        if !kind_ok {
            return;
        }
        let effective = self.effective_attributes(&kind, &mixins);
        let defs: Defs<'_> = effective.iter().map(|d| (d.name.as_str(), *d)).collect();
        Self::create_attributes(entity, &defs, self.has_open_attributes(&kind), out);
        match entity {
            Entity::Link(link) => self.check_link(link, lookup, owner, out),
            Entity::Resource(resource) => {
                let owner_location = resource.location.clone();
                let owner = Owner {
                    location: owner_location.as_ref(),
                    kind: &kind,
                };
                for (i, link) in resource.links.iter_mut().enumerate() {
                    out.link = Some(i);
                    if link.source.is_none() {
                        link.source.clone_from(&owner_location);
                    }
                    let mut inline = Entity::Link(link.clone());
                    self.create_one(&mut inline, lookup, Some(&owner), out);
                    if let Entity::Link(checked) = inline {
                        *link = checked;
                    }
                }
                out.link = None;
            }
        }
    }

    /// Validates a new entity, as in a create request (C12 §5.3.6, H11 §3.4.4, P12 §10.1).
    ///
    /// Checks the Kind and Mixins, every attribute (known, mutable, well-typed, in its enum,
    /// pattern and range), applies defaults (a Mixin's over the Kind's), checks required
    /// attributes, and for Links the source and target, resolved through `lookup`. The Links
    /// inlined in a Resource are checked too; an inline Link without a source gets the
    /// Resource's location.
    ///
    /// On success `entity` holds the values as they are to be stored (integers given for
    /// floats converted, defaults set); on failure it is unchanged and every violation is
    /// reported. See [`ValidationError`] for the decisions taken where the
    /// specifications are silent.
    ///
    /// ```
    /// use occi_model::{
    ///     AttributeDefinition, AttributeType, AttributeValue, Entity, Kind, Location, NoEntities,
    ///     OcciVersion, Registry, Resource, Rule,
    /// };
    /// let mut registry = Registry::new(OcciVersion::V1_2);
    /// registry.register_kind(
    ///     Kind::new("http://example.com/occi#vm".parse()?)
    ///         .with_parent("http://schemas.ogf.org/occi/core#resource".parse()?)
    ///         .with_location(Location::new("/vm/")?)
    ///         .with_attribute(
    ///             AttributeDefinition::new("com.example.memory".parse()?, AttributeType::Float)
    ///                 .with_default(AttributeValue::float(1.0).unwrap()),
    ///         )
    ///         .with_attribute(
    ///             AttributeDefinition::new("com.example.cores".parse()?, AttributeType::Integer)
    ///                 .required(),
    ///         ),
    /// )?;
    ///
    /// let mut vm = Resource::new("http://example.com/occi#vm".parse()?);
    /// vm.attributes.insert("com.example.cores".parse()?, AttributeValue::Integer(2));
    /// let mut entity = Entity::from(vm);
    /// registry.validate_create(&mut entity, &NoEntities)?;
    /// assert_eq!(entity.attribute_value("com.example.memory"), AttributeValue::float(1.0));
    ///
    /// let mut empty = Entity::from(Resource::new("http://example.com/occi#vm".parse()?));
    /// let err = registry.validate_create(&mut empty, &NoEntities).unwrap_err();
    /// assert_eq!(err.violations()[0].rule(), Rule::RequiredMissing);
    /// assert_eq!(err.violations()[0].subject(), "com.example.cores");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate_create(
        &self,
        entity: &mut Entity,
        lookup: &dyn EntityLookup,
    ) -> Result<(), ValidationError> {
        let mut out = Collector::default();
        let mut candidate = entity.clone();
        self.create_one(&mut candidate, lookup, None, &mut out);
        out.finish(())?;
        *entity = candidate;
        Ok(())
    }

    /// Validates an update of `current` by `update` and returns the entity as it is to be
    /// stored; `current` is not modified. A changed Link source or target must resolve to an
    /// existing entity, and no entity exists for this method: use
    /// [`Registry::validate_update_with`] to resolve them.
    ///
    /// ```
    /// use occi_model::{Entity, Registry, Resource, Rule, UpdateMode};
    /// let registry = Registry::default();
    /// let mut current = Resource::new("http://schemas.ogf.org/occi/core#resource".parse()?);
    /// current.id = Some("urn:uuid:1".parse()?);
    /// current.title = Some("old".into());
    /// let current = Entity::from(current);
    ///
    /// let mut update = Resource::new("http://schemas.ogf.org/occi/core#resource".parse()?);
    /// update.summary = Some("new summary".into());
    /// let merged = registry.validate_update(&current, &update.into(), UpdateMode::Partial)?;
    /// assert_eq!(merged.title(), Some("old"));
    /// assert_eq!(merged.as_resource().unwrap().summary.as_deref(), Some("new summary"));
    ///
    /// let link = Entity::from(occi_model::Link::new("http://schemas.ogf.org/occi/core#link".parse()?));
    /// let err = registry.validate_update(&current, &link, UpdateMode::Partial).unwrap_err();
    /// assert!(err.has(Rule::KindChanged));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate_update(
        &self,
        current: &Entity,
        update: &Entity,
        mode: UpdateMode,
    ) -> Result<Entity, ValidationError> {
        self.validate_update_with(current, update, mode, &NoEntities)
    }

    /// [`Registry::validate_update`], resolving a changed Link source or target through
    /// `lookup`.
    ///
    /// In both modes the Kind cannot change, immutable attributes may only be repeated with
    /// their current value, values are checked as at creation, and the Links of a current
    /// Resource are kept. See [`UpdateMode`] and [`ValidationError`] for what
    /// each mode does with the Mixins and with attributes left out.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use occi_model::{CategoryId, Entity, Link, Location, Registry, Rule, UpdateMode};
    /// let registry = Registry::default();
    /// let resource: CategoryId = "http://schemas.ogf.org/occi/core#resource".parse()?;
    /// let store = BTreeMap::from([
    ///     (Location::new("/resource/1")?, resource.clone()),
    ///     (Location::new("/resource/2")?, resource.clone()),
    /// ]);
    /// let mut link = Link::new("http://schemas.ogf.org/occi/core#link".parse()?);
    /// link.source = Some(Location::new("/resource/1")?);
    /// link.target = Some(Location::new("/resource/1")?);
    /// let current = Entity::from(link);
    ///
    /// let mut retarget = Link::new("http://schemas.ogf.org/occi/core#link".parse()?);
    /// retarget.target = Some(Location::new("/resource/2")?);
    /// let retarget = Entity::from(retarget);
    /// let moved = registry.validate_update_with(&current, &retarget, UpdateMode::Partial, &store)?;
    /// assert_eq!(moved.as_link().unwrap().target, Some(Location::new("/resource/2")?));
    ///
    /// let mut lost = Link::new("http://schemas.ogf.org/occi/core#link".parse()?);
    /// lost.target = Some(Location::new("/resource/404")?);
    /// let err = registry
    ///     .validate_update_with(&current, &lost.into(), UpdateMode::Partial, &store)
    ///     .unwrap_err();
    /// assert_eq!(err.violations()[0].rule(), Rule::LinkTargetUnknown);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate_update_with(
        &self,
        current: &Entity,
        update: &Entity,
        mode: UpdateMode,
        lookup: &dyn EntityLookup,
    ) -> Result<Entity, ValidationError> {
        let mut out = Collector::default();
        let kind = current.kind().clone();
        let same_type = matches!(
            (current, update),
            (Entity::Resource(_), Entity::Resource(_)) | (Entity::Link(_), Entity::Link(_))
        );
        if update.kind() != &kind || !same_type {
            out.push(
                update.kind(),
                Rule::KindChanged,
                format!("the entity is a {kind}; its kind cannot change"),
            );
            return out.finish(current.clone());
        }

        let mixins = self.update_mixins(current, update, mode, &mut out);
        let added: Vec<CategoryId> = mixins
            .iter()
            .filter(|m| !current.mixins().contains(m))
            .cloned()
            .collect();
        let effective = self.effective_attributes(&kind, &mixins);
        let defs: Defs<'_> = effective.iter().map(|d| (d.name.as_str(), *d)).collect();
        let open = self.has_open_attributes(&kind);

        let mut result = current.clone();
        result.mixins_mut().clone_from(&mixins);

        if mode == UpdateMode::Replace {
            Self::drop_left_out(&mut result, update, &defs);
        }

        // Given values.
        let mut given: HashSet<String> = HashSet::new();
        for &name in core_names(update) {
            let Some(value) = update.attribute_value(name) else {
                continue;
            };
            if is_rel_only(&defs, name) {
                continue;
            }
            given.insert(name.to_owned());
            let now = current.attribute_value(name);
            if let Some(checked) = Self::check_given(
                &defs,
                open,
                name,
                &value,
                Stage::Update(now.as_ref()),
                &mut out,
            ) && let Err(message) = set_core(&mut result, name, Some(&checked))
            {
                out.push(name, Rule::WrongType, message);
            }
        }
        for (name, value) in update.attributes() {
            given.insert(name.to_string());
            if core_attr::is_core(name.as_str()) {
                out.push(
                    name,
                    Rule::UnknownAttribute,
                    "is a core attribute: it belongs in the entity's own field",
                );
                continue;
            }
            let now = current.attributes().get(name);
            if let Some(checked) = Self::check_given(
                &defs,
                open,
                name.as_str(),
                value,
                Stage::Update(now),
                &mut out,
            ) {
                result.attributes_mut().insert(name.clone(), checked);
            }
        }

        // Attributes of Mixins no longer associated go; the defaults of newly associated
        // Mixins override current values (I12 §3.5.2).
        // Undefined attributes of an open Kind stay.
        if !open {
            result
                .attributes_mut()
                .retain(|name, _| defs.contains_key(name.as_str()));
        }
        self.apply_added_defaults(&mut result, &added, &defs, &given, &mut out);
        Self::apply_defaults(&mut result, &defs, &given, &mut out);
        Self::check_required(&result, &defs, &given, &mut out);

        // A Link's changed endpoints must resolve; a removed Kind claim needs no check.
        if let (Entity::Link(before), Entity::Link(after)) = (current, &result) {
            let claim_changed =
                |b: &Option<CategoryId>, a: &Option<CategoryId>| a.is_some() && a != b;
            let endpoints = self
                .link_endpoints(&after.kind)
                .cloned()
                .unwrap_or_default();
            if before.source != after.source
                || claim_changed(&before.source_kind, &after.source_kind)
            {
                self.check_link_source(after, &endpoints.source, lookup, None, &mut out);
            }
            if before.target != after.target
                || claim_changed(&before.target_kind, &after.target_kind)
            {
                self.check_link_target(after, &endpoints.target, lookup, None, &mut out);
            }
        }
        out.finish(result)
    }

    /// Sets the defaults of Mixins an update newly associates, over current values of
    /// mutable attributes the update does not give (I12 §3.5.2).
    fn apply_added_defaults(
        &self,
        result: &mut Entity,
        added: &[CategoryId],
        defs: &Defs<'_>,
        given: &HashSet<String>,
        out: &mut Collector,
    ) {
        let from_added: HashSet<&AttributeName> = self
            .mixin_closure(added)
            .into_iter()
            .flat_map(|m| m.attributes.iter().map(|d| &d.name))
            .collect();
        for name in from_added {
            let Some(definition) = defs.get(name.as_str()) else {
                continue;
            };
            if let Some(default) = &definition.default
                && definition.mutable
                && !given.contains(name.as_str())
            {
                if core_attr::is_core(name.as_str()) {
                    if let Err(message) = set_core(result, name.as_str(), Some(default)) {
                        out.push(name, Rule::WrongType, format!("default {message}"));
                    }
                } else {
                    result
                        .attributes_mut()
                        .insert(name.clone(), default.clone());
                }
            }
        }
    }

    /// The Mixins of an updated entity: those given (Replace) or those given added to the
    /// current ones, a new member of an exclusive family replacing the old (Partial).
    fn update_mixins(
        &self,
        current: &Entity,
        update: &Entity,
        mode: UpdateMode,
        out: &mut Collector,
    ) -> Vec<CategoryId> {
        let given = self.check_mixin_list(Some(current.kind()), update.mixins(), out);
        match mode {
            UpdateMode::Replace => given,
            UpdateMode::Partial => {
                let mut merged = current.mixins().to_vec();
                for id in given {
                    if merged.contains(&id) {
                        continue;
                    }
                    if let Some(root) = self.exclusive_family(&id) {
                        merged.retain(|old| self.exclusive_family(old) != Some(root));
                    }
                    merged.push(id);
                }
                merged
            }
        }
    }

    /// Validates an action invocation on `entity` (C12 §5.3.5, H11 §3.4.4, P12 §10.3.2) and
    /// returns it with its parameters as they are to be used (coerced, defaults set).
    ///
    /// An Action that is not registered is [`Rule::UnknownAction`]; one the entity's Kind and
    /// Mixins do not define is [`Rule::ActionNotDefined`] (400); one its state machine does
    /// not allow now is [`Rule::ActionNotApplicable`] (409, see
    /// [`ValidationError::is_conflict`]). Parameters are checked against the Action's
    /// attribute definitions.
    ///
    /// ```
    /// use occi_model::{
    ///     Action, ActionInvocation, AttributeDefinition, AttributeType, AttributeValue, Entity,
    ///     Kind, Location, OcciVersion, Registry, Resource, Rule,
    /// };
    /// let mut registry = Registry::new(OcciVersion::V1_2);
    /// let stop: occi_model::CategoryId = "http://example.com/occi/vm/action#stop".parse()?;
    /// registry.register_action(Action::new(stop.clone()).with_attribute(
    ///     AttributeDefinition::new("method".parse()?, AttributeType::enumeration(["graceful", "poweroff"]))
    ///         .with_default(AttributeValue::from("graceful")),
    /// ))?;
    /// registry.register_kind(
    ///     Kind::new("http://example.com/occi#vm".parse()?)
    ///         .with_parent("http://schemas.ogf.org/occi/core#resource".parse()?)
    ///         .with_location(Location::new("/vm/")?)
    ///         .with_action(stop.clone()),
    /// )?;
    /// let vm = Entity::from(Resource::new("http://example.com/occi#vm".parse()?));
    ///
    /// let checked = registry.validate_action(&vm, &ActionInvocation::new(stop.clone()))?;
    /// assert_eq!(checked.attributes.get("method"), Some(&AttributeValue::from("graceful")));
    ///
    /// let mut bogus = ActionInvocation::new(stop);
    /// bogus.attributes.insert("method".parse()?, AttributeValue::from("bogus"));
    /// let err = registry.validate_action(&vm, &bogus).unwrap_err();
    /// assert_eq!(err.violations()[0].rule(), Rule::NotInEnum);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate_action(
        &self,
        entity: &Entity,
        invocation: &ActionInvocation,
    ) -> Result<ActionInvocation, ValidationError> {
        let mut out = Collector::default();
        let id = &invocation.action;
        let action = match self.get(id) {
            Some(Category::Action(action)) => action,
            Some(other) => {
                out.push(
                    id,
                    Rule::UnknownAction,
                    format!("is a {}, not an action", other.class()),
                );
                return out.finish(invocation.clone());
            }
            None => {
                out.push(id, Rule::UnknownAction, "is not a registered action");
                return out.finish(invocation.clone());
            }
        };
        if !self
            .defined_actions(entity.kind(), entity.mixins())
            .contains(id)
        {
            out.push(
                id,
                Rule::ActionNotDefined,
                format!(
                    "is defined neither by {} nor by any mixin of the entity",
                    entity.kind()
                ),
            );
        } else if !self.applicable_actions(entity).contains(id) {
            let state = self
                .state_machine(entity.kind())
                .and_then(|m| {
                    entity
                        .attribute_value(m.attribute.as_str())
                        .and_then(|v| v.as_str().map(|s| format!("{} is {s:?}", m.attribute)))
                })
                .unwrap_or_else(|| "its current state".to_owned());
            out.push(
                id,
                Rule::ActionNotApplicable,
                format!("does not apply now: {state}"),
            );
        }
        let mut checked = ActionInvocation::new(id.clone());
        let open = self.has_open_attributes(entity.kind());
        for (name, value) in &invocation.attributes {
            let Some(definition) = action.attribute(name) else {
                if open {
                    checked.attributes.insert(name.clone(), value.clone());
                    continue;
                }
                out.push(
                    name,
                    Rule::UnknownParameter,
                    format!("is not a parameter of {id}"),
                );
                continue;
            };
            match check_value_rule(definition, value) {
                Ok(v) => {
                    checked.attributes.insert(name.clone(), v);
                }
                Err((rule, message)) => out.push(name, rule, message),
            }
        }
        for definition in &action.attributes {
            if invocation.attributes.contains_key(&definition.name) {
                continue;
            }
            if let Some(default) = &definition.default {
                checked
                    .attributes
                    .insert(definition.name.clone(), default.clone());
            } else if definition.required {
                out.push(
                    &definition.name,
                    Rule::RequiredMissing,
                    format!("is a required parameter of {id}"),
                );
            }
        }
        out.finish(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_unique_kebab_case() {
        let names: HashSet<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), Rule::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{name}"
            );
        }
    }

    #[test]
    fn check_value_names_the_rule() {
        let def = AttributeDefinition::new(
            AttributeName::new("x").unwrap(),
            AttributeType::enumeration(["a"]),
        );
        assert_eq!(
            check_value_rule(&def, &AttributeValue::Integer(1))
                .unwrap_err()
                .0,
            Rule::WrongType
        );
        assert_eq!(
            check_value_rule(&def, &"b".into()).unwrap_err().0,
            Rule::NotInEnum
        );
        assert_eq!(check_value(&def, &"a".into()), Ok("a".into()));
    }

    #[test]
    fn absolute_uris_are_recognised() {
        assert!(is_absolute_uri(
            &Location::new("http://x.example/n/1").unwrap()
        ));
        assert!(is_absolute_uri(&Location::new("urn:x:1").unwrap()));
        assert!(!is_absolute_uri(&Location::new("/network/1").unwrap()));
        assert!(!is_absolute_uri(&Location::new("network/1").unwrap()));
    }
}
