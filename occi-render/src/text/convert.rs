//! Typed conversions from a [`TextDocument`] to the model documents.

use std::collections::btree_map::Entry;

use occi_model::Entity;
use occi_model::{
    Action, ActionInvocation, AttributeName, AttributeValue, Attributes, Category, CategoryClass,
    CategoryId, EntityId, Kind, Link, Location, Mixin, Registry, Resource, core_attr, ext,
};

use super::{AttributeRepr, CategoryRepr, TextDocument};
use crate::{
    Deviation, DeviationKind, Diagnostic, Filter, ParseError, ParseErrorKind, ParseOptions,
    Position, Rendering,
};

fn error(
    rendering: Rendering,
    position: Position,
    kind: ParseErrorKind,
    rule: &'static str,
    expected: &str,
    message: impl Into<String>,
) -> ParseError {
    ParseError::new(
        rendering,
        Diagnostic::new(position, kind, rule, expected, message),
    )
}

fn structure(
    rendering: Rendering,
    position: Position,
    rule: &'static str,
    expected: &str,
    message: impl Into<String>,
) -> ParseError {
    error(
        rendering,
        position,
        ParseErrorKind::Structure,
        rule,
        expected,
        message,
    )
}

/// Fails if the document holds structures of a kind `what` may not contain.
#[allow(clippy::fn_params_excessive_bools)] // one flag per structure kind
fn forbid(
    rendering: Rendering,
    doc: &TextDocument,
    what: &'static str,
    categories: bool,
    links: bool,
    attributes: bool,
    locations: bool,
) -> Result<(), ParseError> {
    let bad = [
        (!categories)
            .then(|| doc.categories.first().map(|c| (c.position, "Category")))
            .flatten(),
        (!links)
            .then(|| doc.links.first().map(|l| (l.position, "Link")))
            .flatten(),
        (!links)
            .then(|| doc.action_links.first().map(|l| (l.position, "Link")))
            .flatten(),
        (!attributes)
            .then(|| {
                doc.attributes
                    .first()
                    .map(|a| (a.position, "X-OCCI-Attribute"))
            })
            .flatten(),
        (!locations)
            .then(|| {
                doc.locations
                    .first()
                    .map(|l| (l.position, "X-OCCI-Location"))
            })
            .flatten(),
    ];
    if let Some((position, field)) = bad.into_iter().flatten().min_by_key(|(p, _)| p.offset) {
        return Err(structure(
            rendering,
            position,
            what,
            "",
            format!("{what} has no {field} structures"),
        ));
    }
    Ok(())
}

/// The `occi.core.*` attributes the conversions read into typed fields; [`Core`] keeps
/// them apart from the others, and where each was given, for their error messages.
const CORE_NAMES: [&str; 7] = [
    core_attr::ID,
    core_attr::TITLE,
    core_attr::SUMMARY,
    core_attr::SOURCE,
    core_attr::TARGET,
    core_attr::SOURCE_KIND,
    core_attr::TARGET_KIND,
];

/// The index in [`CORE_NAMES`] of `name`.
fn core_index(name: &str) -> Option<usize> {
    if !name.starts_with("occi.core.") {
        return None;
    }
    CORE_NAMES.iter().position(|n| *n == name)
}

/// Attribute values by name, the [`CORE_NAMES`] ones apart in a [`Core`]; a name given
/// twice is an error.
fn attribute_map(
    rendering: Rendering,
    attributes: impl IntoIterator<Item = AttributeRepr>,
) -> Result<(Attributes, Core), ParseError> {
    let mut map = Attributes::new();
    let mut core = Core {
        rendering,
        values: Default::default(),
        positions: [Position::default(); CORE_NAMES.len()],
    };
    for a in attributes {
        let twice = |name: &AttributeName| {
            structure(
                rendering,
                a.position,
                "attribute-repr",
                "each attribute once",
                format!("attribute {name} is given twice"),
            )
        };
        if let Some(k) = core_index(a.name.as_str()) {
            if core.values[k].is_some() {
                return Err(twice(&a.name));
            }
            core.positions[k] = a.position;
            core.values[k] = Some((a.name, a.value));
            continue;
        }
        match map.entry(a.name) {
            Entry::Occupied(e) => return Err(twice(e.key())),
            Entry::Vacant(e) => {
                e.insert(a.value);
            }
        }
    }
    Ok((map, core))
}

/// The [`CORE_NAMES`] attributes of one rendering, until typed fields take them; whatever
/// no field takes goes back among the other attributes ([`Core::rest_into`]).
struct Core {
    rendering: Rendering,
    values: [Option<(AttributeName, AttributeValue)>; CORE_NAMES.len()],
    positions: [Position; CORE_NAMES.len()],
}

impl Core {
    /// Where attribute `name` (one of [`CORE_NAMES`]) was given.
    fn position(&self, name: &str) -> Position {
        core_index(name)
            .map(|k| self.positions[k])
            .unwrap_or_default()
    }

    /// Whether attribute `name` (one of [`CORE_NAMES`]) was given and not taken yet.
    fn given(&self, name: &str) -> bool {
        core_index(name).is_some_and(|k| self.values[k].is_some())
    }

    /// Takes the value of `name`, which must be a string.
    fn string(&mut self, name: &'static str) -> Result<Option<String>, ParseError> {
        match core_index(name).and_then(|k| self.values[k].take()) {
            None => Ok(None),
            Some((_, AttributeValue::String(s))) => Ok(Some(s)),
            Some((_, v)) => Err(error(
                self.rendering,
                self.position(name),
                ParseErrorKind::Value,
                "attribute-value",
                "a quoted string",
                format!("{name} must be a string, not a {}", v.type_name()),
            )),
        }
    }

    /// Takes the value of `name`, a string that `parse` reads.
    fn parsed<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, occi_model::IdentError>,
    ) -> Result<Option<T>, ParseError> {
        let Some(s) = self.string(name)? else {
            return Ok(None);
        };
        parse(&s).map(Some).map_err(|e| {
            error(
                self.rendering,
                self.position(name),
                ParseErrorKind::Identifier,
                "attribute-value",
                "",
                e.to_string(),
            )
        })
    }

    /// Puts the values no typed field took among the other attributes.
    fn rest_into(self, attributes: &mut Attributes) {
        for (name, value) in self.values.into_iter().flatten() {
            attributes.insert(name, value);
        }
    }
}

/// Kind and Mixins of an entity rendering.
fn kind_and_mixins(
    rendering: Rendering,
    categories: &[CategoryRepr],
) -> Result<(CategoryId, Vec<CategoryId>), ParseError> {
    let mut kind: Option<CategoryId> = None;
    let mut mixins = Vec::new();
    for c in categories {
        match c.class {
            CategoryClass::Kind if kind.is_some() => {
                return Err(structure(
                    rendering,
                    c.position,
                    "resource_rendering",
                    "exactly one Category with class \"kind\"",
                    "a second Kind",
                ));
            }
            CategoryClass::Kind => kind = Some(c.id.clone()),
            CategoryClass::Mixin => {
                if !mixins.contains(&c.id) {
                    mixins.push(c.id.clone());
                }
            }
            CategoryClass::Action => {
                return Err(structure(
                    rendering,
                    c.position,
                    "resource_rendering",
                    "Kind and Mixin Categories",
                    "an Action Category in an entity rendering",
                ));
            }
        }
    }
    let Some(kind) = kind else {
        return Err(structure(
            rendering,
            categories.first().map(|c| c.position).unwrap_or_default(),
            "resource_rendering",
            "a Category with class \"kind\"",
            "the entity has no Kind",
        ));
    };
    Ok((kind, mixins))
}

#[allow(clippy::too_many_lines)] // Resource and Link share the prologue
pub(crate) fn entity(
    rendering: Rendering,
    doc: TextDocument,
    registry: Option<&Registry>,
) -> Result<Entity, ParseError> {
    forbid(
        rendering,
        &doc,
        "an entity rendering",
        true,
        true,
        true,
        false,
    )?;
    let (kind, mixins) = kind_and_mixins(rendering, &doc.categories)?;
    let mut location: Option<Location> = None;
    let mut actions = Vec::new();
    for a in &doc.action_links {
        match &location {
            Some(l) if *l != a.location => {
                return Err(structure(
                    rendering,
                    a.position,
                    "action-link-value",
                    "the same entity location in every action link",
                    format!("action link on {} but another on {l}", a.location),
                ));
            }
            Some(_) => {}
            None => location = Some(a.location.clone()),
        }
        if !actions.contains(&a.action) {
            actions.push(a.action.clone());
        }
    }
    let (mut attrs, mut core) = attribute_map(rendering, doc.attributes)?;
    let is_link = match registry.filter(|r| r.kind(&kind).is_some()) {
        Some(r) => r.is_a(&kind, &ext::core::link_id()),
        None => core.given(core_attr::SOURCE) || core.given(core_attr::TARGET),
    };
    let id = core.parsed(core_attr::ID, EntityId::new)?;
    let title = core.string(core_attr::TITLE)?;
    if is_link {
        if let Some(l) = doc.links.first() {
            return Err(structure(
                rendering,
                l.position,
                "link_rendering",
                "",
                "a Link rendering has no inline links",
            ));
        }
        let mut link = Link::new(kind);
        link.id = id;
        link.mixins = mixins;
        link.title = title;
        link.source = core.parsed(core_attr::SOURCE, Location::new)?;
        link.target = core.parsed(core_attr::TARGET, Location::new)?;
        link.source_kind =
            core.parsed(core_attr::SOURCE_KIND, CategoryId::parse_type_identifier)?;
        link.target_kind =
            core.parsed(core_attr::TARGET_KIND, CategoryId::parse_type_identifier)?;
        core.rest_into(&mut attrs);
        link.attributes = attrs;
        link.actions = actions;
        link.location = location;
        return Ok(Entity::Link(link));
    }
    let mut resource = Resource::new(kind);
    resource.id = id;
    resource.mixins = mixins;
    resource.title = title;
    resource.summary = core.string(core_attr::SUMMARY)?;
    core.rest_into(&mut attrs);
    resource.attributes = attrs;
    resource.actions = actions;
    for l in doc.links {
        let position = l.position;
        let mut categories = l.categories.into_iter();
        let Some(link_kind) = categories.next() else {
            return Err(structure(
                rendering,
                position,
                "link-value",
                "the category parameter",
                "an inline link without category has no Kind",
            ));
        };
        let (mut la, mut lcore) = attribute_map(
            rendering,
            l.attributes.into_iter().map(|(name, value)| AttributeRepr {
                name,
                value,
                position,
            }),
        )?;
        let mut link = Link::new(link_kind);
        link.mixins = categories.collect();
        link.id = lcore.parsed(core_attr::ID, EntityId::new)?;
        link.title = lcore.string(core_attr::TITLE)?;
        link.source = lcore
            .parsed(core_attr::SOURCE, Location::new)?
            .or_else(|| location.clone());
        link.source_kind =
            lcore.parsed(core_attr::SOURCE_KIND, CategoryId::parse_type_identifier)?;
        let target_kind = l.rel.into_iter().next();
        for name in [core_attr::TARGET, core_attr::TARGET_KIND] {
            // Whether `v` is the value the URI (target) or rel (target kind) gives.
            let given = |v: &str| {
                if name == core_attr::TARGET {
                    v == l.target.as_str()
                } else {
                    target_kind.as_ref().is_some_and(|k| {
                        v.strip_prefix(k.scheme().as_str()) == Some(k.term().as_str())
                    })
                }
            };
            if let Some(v) = lcore.string(name)?
                && !given(&v)
            {
                return Err(structure(
                    rendering,
                    position,
                    "link-attribute",
                    "the value given by the URI or rel",
                    format!("{name} contradicts the link's URI or rel"),
                ));
            }
        }
        link.target = Some(l.target);
        link.target_kind = target_kind;
        lcore.rest_into(&mut la);
        link.attributes = la;
        link.location = l.self_location;
        resource.links.push(link);
    }
    resource.location = location;
    Ok(Entity::Resource(resource))
}

pub(crate) fn categories(
    rendering: Rendering,
    options: &ParseOptions,
    doc: TextDocument,
    deviations: &mut Vec<Deviation>,
) -> Result<Vec<Category>, ParseError> {
    forbid(
        rendering,
        &doc,
        "a category collection",
        true,
        false,
        false,
        false,
    )?;
    let mut out: Vec<Category> = Vec::with_capacity(doc.categories.len());
    for c in doc.categories {
        if out.iter().any(|o| *o.id() == c.id) {
            return Err(structure(
                rendering,
                c.position,
                "category_collection_rendering",
                "distinct categories",
                format!("category {} is listed twice", c.id),
            ));
        }
        out.push(category(rendering, options, c, deviations)?);
    }
    Ok(out)
}

fn category(
    rendering: Rendering,
    options: &ParseOptions,
    c: CategoryRepr,
    deviations: &mut Vec<Deviation>,
) -> Result<Category, ParseError> {
    Ok(match c.class {
        CategoryClass::Kind => {
            if c.rel.len() > 1 {
                return Err(structure(
                    rendering,
                    c.position,
                    "category-value",
                    "one parent in rel",
                    "a Kind has one parent",
                ));
            }
            let mut k = Kind::new(c.id);
            k.title = c.title;
            k.parent = c.rel.into_iter().next();
            k.attributes = c.attributes;
            k.actions = c.actions;
            k.location = c.location;
            Category::Kind(k)
        }
        CategoryClass::Mixin => {
            if c.rel.len() > 1 {
                if options.is_strict() {
                    return Err(structure(
                        rendering,
                        c.position,
                        "category-value",
                        "one type identifier in rel",
                        "several type identifiers in rel",
                    ));
                }
                deviations.push(Deviation::new(
                    c.position,
                    DeviationKind::Other,
                    "several type identifiers in a Mixin's rel",
                ));
            }
            let mut m = Mixin::new(c.id);
            m.title = c.title;
            m.depends = c.rel;
            m.attributes = c.attributes;
            m.actions = c.actions;
            m.location = c.location;
            Category::Mixin(m)
        }
        CategoryClass::Action => {
            if !c.rel.is_empty() || c.location.is_some() || !c.actions.is_empty() {
                if options.is_strict() {
                    return Err(structure(
                        rendering,
                        c.position,
                        "category-value",
                        "an Action without rel, location or actions",
                        "an Action carries rel, location or actions",
                    ));
                }
                deviations.push(Deviation::new(
                    c.position,
                    DeviationKind::Other,
                    "rel, location or actions of an Action ignored",
                ));
            }
            let mut a = Action::new(c.id);
            a.title = c.title;
            a.attributes = c.attributes;
            Category::Action(a)
        }
    })
}

pub(crate) fn action_invocation(
    rendering: Rendering,
    doc: TextDocument,
) -> Result<ActionInvocation, ParseError> {
    forbid(
        rendering,
        &doc,
        "an action invocation",
        true,
        false,
        true,
        false,
    )?;
    let mut categories = doc.categories.into_iter();
    let Some(first) = categories.next() else {
        return Err(structure(
            rendering,
            Position::default(),
            "action_definition",
            "one Category with class \"action\"",
            "the invocation has no Action",
        ));
    };
    if first.class != CategoryClass::Action {
        return Err(structure(
            rendering,
            first.position,
            "action_definition",
            "class \"action\"",
            format!("the Category has class \"{}\"", first.class),
        ));
    }
    if let Some(second) = categories.next() {
        return Err(structure(
            rendering,
            second.position,
            "action_definition",
            "one Category",
            "a second Category in an action invocation",
        ));
    }
    let (mut attributes, core) = attribute_map(rendering, doc.attributes)?;
    core.rest_into(&mut attributes);
    Ok(ActionInvocation {
        action: first.id,
        attributes,
    })
}

pub(crate) fn locations(
    rendering: Rendering,
    doc: TextDocument,
) -> Result<Vec<Location>, ParseError> {
    forbid(
        rendering,
        &doc,
        "a location list",
        false,
        false,
        false,
        true,
    )?;
    Ok(doc.locations.into_iter().map(|l| l.location).collect())
}

pub(crate) fn filter(rendering: Rendering, doc: TextDocument) -> Result<Filter, ParseError> {
    forbid(rendering, &doc, "a filter", true, false, true, false)?;
    let mut categories: Vec<CategoryId> = Vec::new();
    for c in doc.categories {
        if !categories.contains(&c.id) {
            categories.push(c.id);
        }
    }
    Ok(Filter {
        categories,
        attributes: doc
            .attributes
            .into_iter()
            .map(|a| (a.name, a.value))
            .collect(),
    })
}
