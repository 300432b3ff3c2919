//! proptest strategies for every model type (feature `proptest`).
//!
//! Renderings differ in what they can express, so entity and category strategies take a
//! [`Profile`]:
//!
//! * [`Profile::Text`] generates only what text/plain and text/occi can carry: no list or map
//!   values, no control characters in strings, entity and link locations always present
//!   (action links and `self` need them), inline links with a `target_kind` (their `rel`)
//!   and a source equal to the owning resource's location and no attribute named `rel`,
//!   `self` or `category` (they would read as the link-value's parameters), attribute definitions of type
//!   String without default, description, pattern or range (the text grammar has only
//!   `{immutable}` and `{required}`), no `Mixin.applies` and at most one `depends`
//!   (T12 §5.5.2), and Actions without their own location.
//! * [`Profile::Json`] generates what `application/occi+json` can carry: any value, but no
//!   entity or link locations (GFD.225 has no member for them).

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use crate::attribute::{AttributeDefinition, AttributeType};
use crate::category::{Action, Category, Kind, Mixin};
use crate::entity::{Entity, Link, Resource};
use crate::ident::{AttributeName, CategoryId, EntityId, Location, OcciVersion, Scheme, Term};
use crate::value::{AttributeValue, Attributes};

/// What a rendering can express (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// text/plain and text/occi.
    Text,
    /// application/occi+json.
    Json,
}

/// Either OCCI version.
pub fn version() -> impl Strategy<Value = OcciVersion> {
    prop_oneof![Just(OcciVersion::V1_1), Just(OcciVersion::V1_2)]
}

/// A term valid in `version`'s grammar.
pub fn term(version: OcciVersion) -> impl Strategy<Value = Term> {
    let pattern = match version {
        OcciVersion::V1_1 => "[a-z][a-z0-9_-]{0,11}",
        OcciVersion::V1_2 => "[A-Za-z0-9][A-Za-z0-9._-]{0,11}",
    };
    proptest::string::string_regex(pattern)
        .expect("valid regex")
        .prop_map(|s| Term::new(&s).expect("generated terms are valid"))
}

/// A provider scheme (never under the OCCI base URL).
pub fn scheme() -> impl Strategy<Value = Scheme> {
    "http://(example|schemas)\\.(com|org)/[a-z]{1,8}(/[a-z0-9_]{1,6}){0,2}#"
        .prop_map(|s| Scheme::new(&s).expect("generated schemes are valid"))
}

/// A category id valid in `version`.
pub fn category_id(version: OcciVersion) -> impl Strategy<Value = CategoryId> {
    (scheme(), term(version)).prop_map(|(s, t)| CategoryId::new(s, t))
}

/// An attribute name valid in both grammars, never one Core defines.
pub fn attribute_name() -> impl Strategy<Value = AttributeName> {
    "[a-z][a-z0-9]{0,6}(\\.[a-z][a-z0-9_-]{0,6}){0,3}"
        .prop_filter("core attributes are typed fields", |s| {
            !crate::entity::core_attr::is_core(s)
        })
        .prop_map(|s| AttributeName::new(&s).expect("generated names are valid"))
}

/// A collection location: a path that starts and ends with `/`.
pub fn collection_location() -> impl Strategy<Value = Location> {
    "/[a-z][a-z0-9_-]{0,8}(/[a-z0-9_-]{1,8}){0,2}/"
        .prop_map(|s| Location::new(&s).expect("generated locations are valid"))
}

/// An entity location: a path that does not end with `/`.
pub fn entity_location() -> impl Strategy<Value = Location> {
    "/[a-z][a-z0-9_-]{0,8}/[A-Za-z0-9_.~-]{0,15}[A-Za-z0-9_~-]"
        .prop_filter("no dot segments", |s| {
            !s.ends_with("/.") && !s.contains("/./")
        })
        .prop_map(|s| Location::new(&s).expect("generated locations are valid"))
}

/// An entity id: a `urn:uuid:` URN.
pub fn entity_id() -> impl Strategy<Value = EntityId> {
    "urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        .prop_map(|s| EntityId::new(&s).expect("generated ids are valid"))
}

/// A string the profile can carry: any characters for JSON; no control characters for text.
pub fn string(profile: Profile) -> BoxedStrategy<String> {
    match profile {
        Profile::Text => "[^\\p{Cc}]{0,24}".boxed(),
        Profile::Json => any::<String>()
            .prop_map(|s| s.chars().take(24).collect())
            .boxed(),
    }
}

/// A finite float.
pub fn float() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        any::<f64>().prop_filter_map("finite", AttributeValue::float),
        (-1_000_000i32..1_000_000, 0u8..4).prop_map(|(m, e)| {
            AttributeValue::float(f64::from(m) / 10f64.powi(i32::from(e))).expect("finite")
        }),
    ]
}

/// A scalar attribute value (string, integer, float, boolean).
pub fn scalar_value(profile: Profile) -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        string(profile).prop_map(AttributeValue::String),
        any::<i64>().prop_map(AttributeValue::Integer),
        float(),
        any::<bool>().prop_map(AttributeValue::Bool),
    ]
}

/// An attribute value: scalars, and for JSON also lists and maps nested up to two levels.
pub fn attribute_value(profile: Profile) -> BoxedStrategy<AttributeValue> {
    let leaf = scalar_value(profile).boxed();
    match profile {
        Profile::Text => leaf,
        Profile::Json => leaf
            .prop_recursive(2, 12, 4, |inner| {
                prop_oneof![
                    vec(inner.clone(), 0..4).prop_map(AttributeValue::List),
                    btree_map("[a-z]{1,6}", inner, 0..4).prop_map(AttributeValue::Map),
                ]
            })
            .boxed(),
    }
}

/// A set of (non-core) attribute values.
pub fn attributes(profile: Profile) -> impl Strategy<Value = Attributes> {
    btree_map(attribute_name(), attribute_value(profile), 0..6)
}

fn optional<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    proptest::option::of(s).boxed()
}

fn location_for(profile: Profile) -> BoxedStrategy<Option<Location>> {
    match profile {
        Profile::Text => entity_location().prop_map(Some).boxed(),
        Profile::Json => Just(None).boxed(),
    }
}

/// A standalone Link, valid in `version`.
pub fn link(profile: Profile, version: OcciVersion) -> impl Strategy<Value = Link> {
    (
        (
            optional(entity_id()),
            category_id(version),
            vec(category_id(version), 0..3),
            optional(string(profile)),
        ),
        (
            entity_location(),
            entity_location(),
            optional(category_id(version)),
            optional(category_id(version)),
        ),
        attributes(profile),
        vec(category_id(version), 0..3),
        location_for(profile),
    )
        .prop_map(
            |(
                (id, kind, mixins, title),
                (source, target, source_kind, target_kind),
                attributes,
                actions,
                location,
            )| Link {
                id,
                kind,
                mixins: dedup(mixins),
                title,
                source: Some(source),
                target: Some(target),
                source_kind,
                target_kind,
                attributes,
                actions: dedup(actions),
                location,
            },
        )
}

fn dedup(mut ids: Vec<CategoryId>) -> Vec<CategoryId> {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    ids
}

/// A Resource with up to two inline Links, valid in `version`.
pub fn resource(profile: Profile, version: OcciVersion) -> impl Strategy<Value = Resource> {
    (
        (
            optional(entity_id()),
            category_id(version),
            vec(category_id(version), 0..3),
            optional(string(profile)),
            optional(string(profile)),
        ),
        attributes(profile),
        vec(link(profile, version), 0..3),
        vec(category_id(version), 0..4),
        location_for(profile),
    )
        .prop_map(
            move |((id, kind, mixins, title, summary), attributes, links, actions, location)| {
                let links = links
                    .into_iter()
                    .map(|mut l| {
                        // In the text rendering an inline link's source is its owner, it has
                        // no actions of its own, and its `rel` is the target's kind.
                        if profile == Profile::Text {
                            l.source.clone_from(&location);
                            l.actions.clear();
                            // `rel`, `self` and `category` are link-value parameters.
                            l.attributes
                                .retain(|n, _| !matches!(n.as_str(), "rel" | "self" | "category"));
                            if l.target_kind.is_none() {
                                l.target_kind = Some(kind.clone());
                            }
                        }
                        l
                    })
                    .collect();
                Resource {
                    id,
                    kind,
                    mixins: dedup(mixins),
                    title,
                    summary,
                    attributes,
                    links,
                    actions: dedup(actions),
                    location,
                }
            },
        )
}

/// A Resource or a Link.
pub fn entity(profile: Profile, version: OcciVersion) -> impl Strategy<Value = Entity> {
    prop_oneof![
        3 => resource(profile, version).prop_map(Entity::Resource),
        1 => link(profile, version).prop_map(Entity::Link),
    ]
}

/// An attribute definition the profile can carry.
pub fn attribute_definition(profile: Profile) -> BoxedStrategy<AttributeDefinition> {
    let flags = (attribute_name(), any::<bool>(), any::<bool>());
    match profile {
        Profile::Text => flags
            .prop_map(|(name, mutable, required)| {
                let mut d = AttributeDefinition::new(name, AttributeType::String);
                d.mutable = mutable;
                d.required = required;
                d
            })
            .boxed(),
        Profile::Json => (
            flags,
            prop_oneof![
                Just(AttributeType::String),
                Just(AttributeType::Integer),
                Just(AttributeType::Float),
                Just(AttributeType::Boolean),
                Just(AttributeType::List),
                Just(AttributeType::Map),
                vec("[a-z]{1,6}", 1..4).prop_map(|mut v| {
                    v.sort();
                    v.dedup();
                    AttributeType::Enum(v)
                }),
            ],
            optional(string(Profile::Json)),
        )
            .prop_map(|((name, mutable, required), ty, description)| {
                let mut d = AttributeDefinition::new(name, ty);
                d.mutable = mutable;
                d.required = required;
                d.description = description;
                d
            })
            .boxed(),
    }
}

fn definitions(profile: Profile) -> impl Strategy<Value = Vec<AttributeDefinition>> {
    vec(attribute_definition(profile), 0..5).prop_map(|mut defs| {
        let mut seen = std::collections::HashSet::new();
        defs.retain(|d| seen.insert(d.name.clone()));
        defs
    })
}

/// A Kind (with a parent and a location).
pub fn kind(profile: Profile, version: OcciVersion) -> impl Strategy<Value = Kind> {
    (
        category_id(version),
        optional(string(profile)),
        category_id(version),
        definitions(profile),
        vec(category_id(version), 0..3),
        collection_location(),
    )
        .prop_map(|(id, title, parent, attributes, actions, location)| Kind {
            id,
            title,
            parent: Some(parent),
            attributes,
            actions: dedup(actions),
            location: Some(location),
        })
}

/// A Mixin (with a location).
pub fn mixin(profile: Profile, version: OcciVersion) -> impl Strategy<Value = Mixin> {
    let max_depends = if profile == Profile::Text { 2 } else { 3 };
    let max_applies = if profile == Profile::Text { 1 } else { 3 };
    (
        category_id(version),
        optional(string(profile)),
        vec(category_id(version), 0..max_depends),
        vec(category_id(version), 0..max_applies),
        definitions(profile),
        vec(category_id(version), 0..3),
        collection_location(),
    )
        .prop_map(
            |(id, title, depends, applies, attributes, actions, location)| Mixin {
                id,
                title,
                depends: dedup(depends),
                applies: dedup(applies),
                attributes,
                actions: dedup(actions),
                location: Some(location),
            },
        )
}

/// An Action.
pub fn action(profile: Profile, version: OcciVersion) -> impl Strategy<Value = Action> {
    (
        category_id(version),
        optional(string(profile)),
        definitions(profile),
    )
        .prop_map(|(id, title, attributes)| Action {
            id,
            title,
            attributes,
        })
}

/// Any category.
pub fn category(profile: Profile, version: OcciVersion) -> impl Strategy<Value = Category> {
    prop_oneof![
        kind(profile, version).prop_map(Category::Kind),
        mixin(profile, version).prop_map(Category::Mixin),
        action(profile, version).prop_map(Category::Action),
    ]
}

/// A list of categories with distinct ids.
pub fn categories(profile: Profile, version: OcciVersion) -> impl Strategy<Value = Vec<Category>> {
    vec(category(profile, version), 0..6).prop_map(|mut cats| {
        let mut seen = std::collections::HashSet::new();
        cats.retain(|c| seen.insert(c.id().clone()));
        cats
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest! {
        #[test]
        fn text_entities_carry_only_text_renderable_values(e in entity(Profile::Text, OcciVersion::V1_1)) {
            prop_assert!(e.attributes().values().all(AttributeValue::is_text_renderable));
            prop_assert!(e.location().is_some());
            prop_assert!(e.kind().term().conforms_to(OcciVersion::V1_1));
        }

        #[test]
        fn json_entities_have_no_locations(e in entity(Profile::Json, OcciVersion::V1_2)) {
            prop_assert!(e.location().is_none());
        }
    }
}
