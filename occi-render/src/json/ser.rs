//! Canonical rendering: borrowed serde DTOs mirroring the schema's definitions, members in
//! the order of its property lists, empty optional members left out.

use std::collections::BTreeMap;

use occi_model::{
    Action, ActionInvocation, AttributeDefinition, AttributeType, AttributeValue, Attributes,
    Category, CategoryId, Entity, Kind, Link, Location, Mixin, Resource,
};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::{CategoryCollection, EntityCollection, EntityRef};

/// The `$schema` every rendered attribute `pattern` names.
pub(crate) const JSON_SCHEMA_DRAFT4: &str = "http://json-schema.org/draft-04/schema#";

/// A category type identifier.
pub(crate) struct Tid<'a>(pub(crate) &'a CategoryId);

impl Serialize for Tid<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

/// An array of type identifiers.
pub(crate) struct Tids<'a>(pub(crate) &'a [CategoryId]);

impl Tids<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Tids<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for id in self.0 {
            seq.serialize_element(&Tid(id))?;
        }
        seq.end()
    }
}

/// An attribute value, typed.
pub(crate) struct ValueOut<'a>(pub(crate) &'a AttributeValue);

impl Serialize for ValueOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AttributeValue::String(v) => s.serialize_str(v),
            AttributeValue::Integer(v) => s.serialize_i64(*v),
            AttributeValue::Float(v) => s.serialize_f64(v.get()),
            AttributeValue::Bool(v) => s.serialize_bool(*v),
            AttributeValue::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&ValueOut(v))?;
                }
                seq.end()
            }
            AttributeValue::Map(m) => map_out(s, m),
        }
    }
}

fn map_out<S: Serializer>(s: S, m: &BTreeMap<String, AttributeValue>) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m {
        map.serialize_entry(k, &ValueOut(v))?;
    }
    map.end()
}

/// An `attributes` object.
pub(crate) struct AttrsOut<'a>(pub(crate) &'a Attributes);

impl AttrsOut<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for AttrsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_str(), &ValueOut(v))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct ResourceDto<'a> {
    kind: Tid<'a>,
    #[serde(skip_serializing_if = "Tids::is_empty")]
    mixins: Tids<'a>,
    #[serde(skip_serializing_if = "AttrsOut::is_empty")]
    attributes: AttrsOut<'a>,
    #[serde(skip_serializing_if = "Tids::is_empty")]
    actions: Tids<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    links: Vec<LinkDto<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

impl<'a> ResourceDto<'a> {
    fn new(r: &'a Resource) -> Self {
        Self {
            kind: Tid(&r.kind),
            mixins: Tids(&r.mixins),
            attributes: AttrsOut(&r.attributes),
            actions: Tids(&r.actions),
            id: r.id.as_ref().map(occi_model::EntityId::as_str),
            links: r.links.iter().map(LinkDto::new).collect(),
            summary: r.summary.as_deref(),
            title: r.title.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct KindedUriDto<'a> {
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<Tid<'a>>,
}

#[derive(Serialize)]
struct LinkDto<'a> {
    kind: Tid<'a>,
    #[serde(skip_serializing_if = "Tids::is_empty")]
    mixins: Tids<'a>,
    #[serde(skip_serializing_if = "AttrsOut::is_empty")]
    attributes: AttrsOut<'a>,
    #[serde(skip_serializing_if = "Tids::is_empty")]
    actions: Tids<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<KindedUriDto<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<KindedUriDto<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

fn kinded<'a>(loc: Option<&'a Location>, kind: Option<&'a CategoryId>) -> Option<KindedUriDto<'a>> {
    loc.map(|l| KindedUriDto {
        location: l.as_str(),
        kind: kind.map(Tid),
    })
}

impl<'a> LinkDto<'a> {
    fn new(l: &'a Link) -> Self {
        Self {
            kind: Tid(&l.kind),
            mixins: Tids(&l.mixins),
            attributes: AttrsOut(&l.attributes),
            actions: Tids(&l.actions),
            id: l.id.as_ref().map(occi_model::EntityId::as_str),
            source: kinded(l.source.as_ref(), l.source_kind.as_ref()),
            target: kinded(l.target.as_ref(), l.target_kind.as_ref()),
            title: l.title.as_deref(),
        }
    }
}

/// A JSON Schema `pattern` carrying the model's finer attribute type.
struct PatternOut<'a>(&'a AttributeDefinition);

impl PatternOut<'_> {
    /// Whether the definition needs a pattern at all.
    fn needed(d: &AttributeDefinition) -> bool {
        d.pattern.is_some()
            || d.range.is_some()
            || matches!(d.ty, AttributeType::Integer | AttributeType::Enum(_))
    }
}

impl Serialize for PatternOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("$schema", JSON_SCHEMA_DRAFT4)?;
        map.serialize_entry("type", schema_type(&d.ty))?;
        if let AttributeType::Enum(values) = &d.ty {
            map.serialize_entry("enum", values)?;
        }
        if let Some(p) = &d.pattern {
            map.serialize_entry("pattern", p.as_str())?;
        }
        if let Some(r) = &d.range {
            if let Some(min) = r.min {
                map.serialize_entry("minimum", &min)?;
            }
            if let Some(max) = r.max {
                map.serialize_entry("maximum", &max)?;
            }
        }
        map.end()
    }
}

/// The JSON Schema type of values of `ty` (finer than J12's `type`).
fn schema_type(ty: &AttributeType) -> &'static str {
    match ty {
        AttributeType::String | AttributeType::Enum(_) => "string",
        AttributeType::Integer => "integer",
        AttributeType::Float => "number",
        AttributeType::Boolean => "boolean",
        AttributeType::List => "array",
        AttributeType::Map => "object",
    }
}

/// J12's `type` for `ty`.
fn j12_type(ty: &AttributeType) -> &'static str {
    match ty {
        AttributeType::String | AttributeType::Enum(_) => "string",
        AttributeType::Integer | AttributeType::Float => "number",
        AttributeType::Boolean => "boolean",
        AttributeType::List => "array",
        AttributeType::Map => "object",
    }
}

struct AttrDescOut<'a>(&'a AttributeDefinition);

impl Serialize for AttrDescOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut map = s.serialize_map(None)?;
        // Always explicit: an absent `mutable` means immutable (J12 §3.5.1).
        map.serialize_entry("mutable", &d.mutable)?;
        map.serialize_entry("required", &d.required)?;
        map.serialize_entry("type", j12_type(&d.ty))?;
        if PatternOut::needed(d) {
            map.serialize_entry("pattern", &PatternOut(d))?;
        }
        if let Some(v) = &d.default {
            map.serialize_entry("default", &ValueOut(v))?;
        }
        if let Some(text) = &d.description {
            map.serialize_entry("description", text)?;
        }
        map.end()
    }
}

struct AttrDefsOut<'a>(&'a [AttributeDefinition]);

impl AttrDefsOut<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for AttrDefsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for d in self.0 {
            map.serialize_entry(d.name.as_str(), &AttrDescOut(d))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct KindDto<'a> {
    term: &'a str,
    scheme: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "AttrDefsOut::is_empty")]
    attributes: AttrDefsOut<'a>,
    #[serde(skip_serializing_if = "Tids::is_empty")]
    actions: Tids<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<Tid<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
}

impl<'a> KindDto<'a> {
    fn new(k: &'a Kind) -> Self {
        Self {
            term: k.id.term().as_str(),
            scheme: k.id.scheme().as_str(),
            title: k.title.as_deref(),
            attributes: AttrDefsOut(&k.attributes),
            actions: Tids(&k.actions),
            parent: k.parent.as_ref().map(Tid),
            location: k.location.as_ref().map(Location::as_str),
        }
    }
}

#[derive(Serialize)]
struct MixinDto<'a> {
    term: &'a str,
    scheme: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "AttrDefsOut::is_empty")]
    attributes: AttrDefsOut<'a>,
    #[serde(skip_serializing_if = "Tids::is_empty")]
    actions: Tids<'a>,
    #[serde(skip_serializing_if = "Tids::is_empty")]
    depends: Tids<'a>,
    #[serde(skip_serializing_if = "Tids::is_empty")]
    applies: Tids<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
}

impl<'a> MixinDto<'a> {
    fn new(m: &'a Mixin) -> Self {
        Self {
            term: m.id.term().as_str(),
            scheme: m.id.scheme().as_str(),
            title: m.title.as_deref(),
            attributes: AttrDefsOut(&m.attributes),
            actions: Tids(&m.actions),
            depends: Tids(&m.depends),
            applies: Tids(&m.applies),
            location: m.location.as_ref().map(Location::as_str),
        }
    }
}

#[derive(Serialize)]
struct ActionDto<'a> {
    term: &'a str,
    scheme: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "AttrDefsOut::is_empty")]
    attributes: AttrDefsOut<'a>,
}

impl<'a> ActionDto<'a> {
    fn new(a: &'a Action) -> Self {
        Self {
            term: a.id.term().as_str(),
            scheme: a.id.scheme().as_str(),
            title: a.title.as_deref(),
            attributes: AttrDefsOut(&a.attributes),
        }
    }
}

#[derive(Serialize)]
struct InvocationDto<'a> {
    action: Tid<'a>,
    #[serde(skip_serializing_if = "AttrsOut::is_empty")]
    attributes: AttrsOut<'a>,
}

#[derive(Serialize)]
struct EntityCollectionDto<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<Vec<ResourceDto<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<Vec<LinkDto<'a>>>,
}

#[derive(Serialize)]
struct CategoriesDto<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    kinds: Option<Vec<KindDto<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mixins: Option<Vec<MixinDto<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<Vec<ActionDto<'a>>>,
}

pub(crate) fn to_string<T: Serialize>(value: &T) -> String {
    // Every DTO has string keys and finite numbers: serialisation cannot fail.
    serde_json::to_string(value).expect("DTOs always serialise")
}

/// Renders a Resource (J12 §3.1.1). Its `location` has no member and is not rendered.
pub fn render_resource(resource: &Resource) -> String {
    to_string(&ResourceDto::new(resource))
}

/// Renders a Link (J12 §3.1.2). Its `location` has no member and is not rendered.
pub fn render_link(link: &Link) -> String {
    to_string(&LinkDto::new(link))
}

/// Renders a Resource or a Link.
pub fn render_entity(entity: &Entity) -> String {
    match entity {
        Entity::Resource(r) => render_resource(r),
        Entity::Link(l) => render_link(l),
    }
}

/// Renders an entity collection: `{"resources":[…]}` if it holds no links, `{"links":[…]}`
/// if it holds links only, and both members otherwise (so each document validates against
/// the narrowest schema definition).
pub fn render_entity_collection(collection: &EntityCollection) -> String {
    let has_links = !collection.links.is_empty();
    let has_resources = !collection.resources.is_empty() || !has_links;
    to_string(&EntityCollectionDto {
        resources: has_resources
            .then(|| collection.resources.iter().map(ResourceDto::new).collect()),
        links: has_links.then(|| collection.links.iter().map(LinkDto::new).collect()),
    })
}

/// Renders a Kind (J12 §3.2.1).
pub fn render_kind(kind: &Kind) -> String {
    to_string(&KindDto::new(kind))
}

/// Renders a Mixin (J12 §3.2.2).
pub fn render_mixin(mixin: &Mixin) -> String {
    to_string(&MixinDto::new(mixin))
}

/// Renders an Action (J12 §3.2.3).
pub fn render_action(action: &Action) -> String {
    to_string(&ActionDto::new(action))
}

/// Renders any category.
pub fn render_category(category: &Category) -> String {
    match category {
        Category::Kind(k) => render_kind(k),
        Category::Mixin(m) => render_mixin(m),
        Category::Action(a) => render_action(a),
    }
}

/// Renders a category collection: the members `kinds`, `mixins` and `actions` that are not
/// empty, or all three (empty) when the collection is empty. The query interface is rendered
/// this way (JSN-008: no other top-level members).
pub fn render_categories(collection: &CategoryCollection) -> String {
    let all = collection.kinds.is_empty()
        && collection.mixins.is_empty()
        && collection.actions.is_empty();
    to_string(&CategoriesDto {
        kinds: (all || !collection.kinds.is_empty())
            .then(|| collection.kinds.iter().map(KindDto::new).collect()),
        mixins: (all || !collection.mixins.is_empty())
            .then(|| collection.mixins.iter().map(MixinDto::new).collect()),
        actions: (all || !collection.actions.is_empty())
            .then(|| collection.actions.iter().map(ActionDto::new).collect()),
    })
}

/// Renders an action invocation (J12 §3.1.1.1).
pub fn render_action_invocation(invocation: &ActionInvocation) -> String {
    to_string(&InvocationDto {
        action: Tid(&invocation.action),
        attributes: AttrsOut(&invocation.attributes),
    })
}

/// Renders a mixin association request as `{"resources":[{"location":…}|{"id":…}, …]}`
/// (see [`super::parse_mixin_association`]).
pub fn render_mixin_association(entities: &[EntityRef]) -> String {
    #[derive(Serialize)]
    struct RefDto<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        location: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        resources: Vec<RefDto<'a>>,
    }
    to_string(&Doc {
        resources: entities
            .iter()
            .map(|r| match r {
                EntityRef::Location(l) => RefDto {
                    location: Some(l.as_str()),
                    id: None,
                },
                EntityRef::Id(i) => RefDto {
                    location: None,
                    id: Some(i.as_str()),
                },
            })
            .collect(),
    })
}
