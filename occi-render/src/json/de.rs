//! Streaming deserialisation of GFD.225 documents straight into the model.
//!
//! Each schema shape (`resource`, `link`, `kinded_uri`, `action_invocation`, `kind`, `mixin`,
//! `action`, `attribute_description`, the collections and `model`) has a `DeserializeSeed`
//! here that walks the JSON object member by member, borrowing keys and strings from the
//! input where no escape forces a copy, and builds the model value without an intermediate
//! `serde_json::Value`. The seeds share a [`Ctx`]: strictness, the item budget, the member
//! path of the value being read (for error messages) and the deviations forgiven so far.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use occi_model::{
    Action, ActionInvocation, AttributeDefinition, AttributeName, AttributeType, AttributeValue,
    Attributes, Category, CategoryClass, CategoryId, Entity, EntityId, Kind, Link, Location, Mixin,
    NumericRange, OcciVersion, Pattern, Resource, core_attr,
};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{DeviationKind, ParseErrorKind, intern};

/// One step of a member path: an object member or an array index.
#[derive(Debug, Clone)]
pub(crate) enum Seg<'de> {
    Key(Cow<'de, str>),
    Index(usize),
}

/// A deviation found while reading, located later by searching for its member name.
#[derive(Debug)]
pub(crate) struct PendingDeviation {
    pub(crate) kind: DeviationKind,
    pub(crate) message: String,
    /// The member name whose first quoted occurrence locates the deviation, if any.
    pub(crate) key: Option<String>,
}

/// The failure a seed reported, classified (serde's error type only carries text).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) kind: ParseErrorKind,
    pub(crate) rule: &'static str,
    pub(crate) expected: String,
    pub(crate) message: String,
}

/// State shared by every seed of one parse.
#[derive(Debug)]
pub(crate) struct Ctx<'de> {
    strict: bool,
    max_items: usize,
    items: usize,
    path: Vec<Seg<'de>>,
    pub(crate) deviations: Vec<PendingDeviation>,
    pub(crate) failure: Option<Failure>,
}

impl<'de> Ctx<'de> {
    pub(crate) fn new(strict: bool, max_items: usize) -> Self {
        Self {
            strict,
            max_items,
            items: 0,
            path: Vec::new(),
            deviations: Vec::new(),
            failure: None,
        }
    }

    /// The member path of the value being read, such as
    /// `resources[0].attributes.occi.compute.cores`.
    pub(crate) fn path(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }

    fn fail<E: de::Error>(
        &mut self,
        kind: ParseErrorKind,
        rule: &'static str,
        expected: impl Into<String>,
        message: impl fmt::Display,
    ) -> E {
        let path = self.path();
        let message = if path.is_empty() {
            message.to_string()
        } else {
            format!("at {path}: {message}")
        };
        let err = E::custom(&message);
        self.failure = Some(Failure {
            kind,
            rule,
            expected: expected.into(),
            message,
        });
        err
    }

    /// Counts one structure against the budget.
    fn tick<E: de::Error>(&mut self) -> Result<(), E> {
        self.items += 1;
        if self.items > self.max_items {
            let max = self.max_items;
            return Err(self.fail(
                ParseErrorKind::TooLarge,
                "json-text",
                format!("at most {max} array elements and object members"),
                format_args!(
                    "the document holds more than {max} array elements and object members"
                ),
            ));
        }
        Ok(())
    }

    /// A member the schema does not define: an error when strict, ignored (and reported)
    /// when lenient.
    fn unknown<'a, A: MapAccess<'de>>(
        &mut self,
        map: &mut A,
        key: &str,
        rule: &'static str,
        allowed: &str,
    ) -> Result<(), A::Error> {
        if self.strict {
            return Err(self.fail(
                ParseErrorKind::Structure,
                rule,
                format!("one of the members {allowed}"),
                format_args!("unknown member \"{key}\" in a {rule} object"),
            ));
        }
        let path = self.path();
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" in {path}")
        };
        self.deviations.push(PendingDeviation {
            kind: DeviationKind::UnknownMember,
            message: format!("unknown member \"{key}\"{at} ignored ({rule} has no such member)"),
            key: Some(key.to_owned()),
        });
        map.next_value::<IgnoredAny>()?;
        Ok(())
    }

    /// A member the schema requires and the document lacks: an error when strict, a
    /// deviation when lenient and `forgivable`.
    fn missing<E: de::Error>(
        &mut self,
        member: &str,
        rule: &'static str,
        forgivable: bool,
    ) -> Result<(), E> {
        if self.strict || !forgivable {
            return Err(self.fail(
                ParseErrorKind::Structure,
                rule,
                format!("a \"{member}\" member"),
                format_args!("the {rule} object has no \"{member}\" member"),
            ));
        }
        let path = self.path();
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" at {path}")
        };
        self.deviations.push(PendingDeviation {
            kind: DeviationKind::MissingMember,
            message: format!("the {rule} object{at} has no \"{member}\" member"),
            key: None,
        });
        Ok(())
    }

    fn deviation(&mut self, kind: DeviationKind, key: Option<&str>, message: String) {
        self.deviations.push(PendingDeviation {
            kind,
            message,
            key: key.map(str::to_owned),
        });
    }

    fn enter(&mut self, key: Cow<'de, str>) {
        self.path.push(Seg::Key(key));
    }

    fn enter_index(&mut self, index: usize) {
        self.path.push(Seg::Index(index));
    }

    fn leave(&mut self) {
        self.path.pop();
    }
}

/// Reads the next member value with a seed, keeping the member path up to date.
macro_rules! member {
    ($ctx:expr, $map:expr, $key:expr, $seed:expr) => {{
        $ctx.enter($key.clone());
        let v = $map.next_value_seed($seed)?;
        $ctx.leave();
        v
    }};
}

/// A string borrowed from the input when it has no escapes.
pub(crate) struct Str<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

fn next_key<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map.next_key::<Str<'de>>()?.map(|s| s.0))
}

/// A string member value, tracked in the path.
struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Ok(<Str<'de> as de::Deserialize>::deserialize(d)?.0)
    }
}

/// A boolean member value.
struct BoolSeed;

impl<'de> DeserializeSeed<'de> for BoolSeed {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        <bool as de::Deserialize>::deserialize(d)
    }
}

fn ident_error<E: de::Error>(ctx: &mut Ctx<'_>, rule: &'static str, err: impl fmt::Display) -> E {
    ctx.fail(ParseErrorKind::Identifier, rule, "", err)
}

/// [`CategoryId::parse_type_identifier`], through the identifier cache.
fn type_id<E: de::Error>(ctx: &mut Ctx<'_>, s: &str, rule: &'static str) -> Result<CategoryId, E> {
    intern::type_identifier(s)
        .map(|(id, _)| id)
        .map_err(|e| ident_error(ctx, rule, e))
}

/// [`AttributeName::new`], through the identifier cache.
fn attribute_name(s: &str) -> Result<AttributeName, occi_model::IdentError> {
    intern::attribute_name(s, OcciVersion::V1_2)
}

/// An array of type identifiers (`array_of_strings` holding category ids), duplicates
/// removed (a category is associated or applicable once).
struct TypeIdsSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
    rule: &'static str,
}

impl<'de> DeserializeSeed<'de> for TypeIdsSeed<'_, 'de> {
    type Value = Vec<CategoryId>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TypeIdsSeed<'_, 'de> {
    type Value = Vec<CategoryId>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of type identifiers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out: Vec<CategoryId> = Vec::new();
        let mut i = 0;
        loop {
            self.ctx.tick()?;
            self.ctx.enter_index(i);
            let Some(s) = seq.next_element_seed(StrSeed)? else {
                self.ctx.leave();
                break;
            };
            let id = type_id(self.ctx, &s, self.rule)?;
            self.ctx.leave();
            if !out.contains(&id) {
                out.push(id);
            }
            i += 1;
        }
        Ok(out)
    }
}

/// Any attribute value: numbers without fraction or exponent that fit an `i64` are
/// integers, other numbers floats.
pub(crate) struct ValueSeed<'c, 'de> {
    pub(crate) ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = AttributeValue;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = AttributeValue;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, string, boolean, array or object")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(AttributeValue::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(AttributeValue::Integer(v))
    }
    #[allow(clippy::cast_precision_loss)] // beyond i64 a JSON integer is a float by our rule
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or_else(
            |_| AttributeValue::Float(occi_model::Float::new(v as f64).expect("finite")),
            AttributeValue::Integer,
        ))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        AttributeValue::float(v).ok_or_else(|| {
            self.ctx.fail(
                ParseErrorKind::Value,
                "attributes",
                "a finite number",
                "a number out of range",
            )
        })
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(AttributeValue::String(v.to_owned()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(AttributeValue::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(AttributeValue::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(self.ctx.fail(
            ParseErrorKind::Value,
            "attributes",
            "a number, string, boolean, array or object",
            "null is not an attribute value",
        ))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.ctx.tick()?;
            self.ctx.enter_index(out.len());
            let Some(v) = seq.next_element_seed(ValueSeed { ctx: self.ctx })? else {
                self.ctx.leave();
                break;
            };
            self.ctx.leave();
            out.push(v);
        }
        Ok(AttributeValue::List(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = next_key(&mut map)? {
            self.ctx.tick()?;
            let v = member!(
                self.ctx,
                map,
                key,
                ValueSeed {
                    ctx: &mut *self.ctx
                }
            );
            if out.insert(key.clone().into_owned(), v).is_some() {
                return Err(self.ctx.fail(
                    ParseErrorKind::Structure,
                    "attributes",
                    "distinct member names",
                    format_args!("duplicate member \"{key}\""),
                ));
            }
        }
        Ok(AttributeValue::Map(out))
    }
}

/// Values of the Core attributes found inside `attributes` (rOCCI renders them there too),
/// in document order.
#[derive(Debug, Default)]
struct CoreInAttributes {
    values: Vec<(&'static str, String)>,
}

/// The Core attributes of an entity found in `attributes` and not given as members.
#[derive(Debug, Default)]
struct CoreFields {
    id: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    source: Option<String>,
    target: Option<String>,
    source_kind: Option<String>,
    target_kind: Option<String>,
}

/// An `attributes` object of an entity or action invocation.
struct AttributesSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
    /// Whether `occi.core.*` members are moved out (entities) or kept (invocations).
    core: Option<&'c mut CoreInAttributes>,
}

impl<'de> DeserializeSeed<'de> for AttributesSeed<'_, 'de> {
    type Value = Attributes;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AttributesSeed<'_, 'de> {
    type Value = Attributes;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attributes object")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Attributes::new();
        while let Some(key) = next_key(&mut map)? {
            self.ctx.tick()?;
            self.ctx.enter(key.clone());
            let name = attribute_name(&key).map_err(|e| ident_error(self.ctx, "attributes", e))?;
            let value = map.next_value_seed(NullableValueSeed { ctx: self.ctx })?;
            let Some(value) = value else {
                if self.ctx.strict {
                    return Err(self.ctx.fail(
                        ParseErrorKind::Value,
                        "attributes",
                        "a number, string, boolean, array or object",
                        "null is not an attribute value",
                    ));
                }
                let path = self.ctx.path();
                self.ctx.deviation(
                    DeviationKind::Other,
                    Some(&key),
                    format!("null value of {path} ignored"),
                );
                self.ctx.leave();
                continue;
            };
            if let Some(core) = self.core.as_deref_mut()
                && let Some(slot) = core_slot(&key)
            {
                let AttributeValue::String(s) = value else {
                    return Err(self.ctx.fail(
                        ParseErrorKind::Value,
                        "attributes",
                        "a string",
                        format_args!("{key} must be a string, not a {}", value.type_name()),
                    ));
                };
                core.values.push((slot, s));
                self.ctx.leave();
                continue;
            }
            let Entry::Vacant(slot) = out.entry(name) else {
                return Err(self.ctx.fail(
                    ParseErrorKind::Structure,
                    "attributes",
                    "distinct attribute names",
                    format_args!("duplicate attribute \"{key}\""),
                ));
            };
            self.ctx.leave();
            slot.insert(value);
        }
        Ok(out)
    }
}

fn core_slot(key: &str) -> Option<&'static str> {
    Some(match key {
        core_attr::ID => core_attr::ID,
        core_attr::TITLE => core_attr::TITLE,
        core_attr::SUMMARY => core_attr::SUMMARY,
        core_attr::SOURCE => core_attr::SOURCE,
        core_attr::TARGET => core_attr::TARGET,
        core_attr::SOURCE_KIND => core_attr::SOURCE_KIND,
        core_attr::TARGET_KIND => core_attr::TARGET_KIND,
        _ => return None,
    })
}

struct NullableValueSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for NullableValueSeed<'_, 'de> {
    type Value = Option<AttributeValue>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for NullableValueSeed<'_, 'de> {
    type Value = Option<AttributeValue>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute value")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        ValueSeed { ctx: self.ctx }.deserialize(d).map(Some)
    }
}

/// A `kinded_uri`: `{"location": …, "kind"?: …}`.
struct KindedUriSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for KindedUriSeed<'_, 'de> {
    type Value = (Location, Option<CategoryId>);
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KindedUriSeed<'_, 'de> {
    type Value = (Location, Option<CategoryId>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a kinded_uri object {\"location\", \"kind\"}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut location = None;
        let mut kind = None;
        while let Some(key) = next_key(&mut map)? {
            self.ctx.tick()?;
            match &*key {
                "location" => {
                    let s = member!(self.ctx, map, key, StrSeed);
                    location = Some(
                        Location::new(&s).map_err(|e| ident_error(self.ctx, "kinded_uri", e))?,
                    );
                }
                "kind" => {
                    let s = member!(self.ctx, map, key, StrSeed);
                    kind = Some(type_id(self.ctx, &s, "kinded_uri")?);
                }
                _ => self
                    .ctx
                    .unknown(&mut map, &key, "kinded_uri", "location, kind")?,
            }
        }
        let Some(location) = location else {
            return Err(self.ctx.fail(
                ParseErrorKind::Structure,
                "kinded_uri",
                "a \"location\" member",
                "the kinded_uri object has no \"location\" member",
            ));
        };
        Ok((location, kind))
    }
}

/// Which entity an entity object must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A Link if it has `source` or `target`, else a Resource.
    Any,
    /// A Resource (`resources[…]`).
    Resource,
    /// A Link (`links[…]`).
    Link,
}

pub(crate) struct EntitySeed<'c, 'de> {
    pub(crate) ctx: &'c mut Ctx<'de>,
    pub(crate) expect: Expect,
}

impl<'de> DeserializeSeed<'de> for EntitySeed<'_, 'de> {
    type Value = Entity;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

const RESOURCE_MEMBERS: &str = "kind, mixins, attributes, actions, id, links, summary, title";
const LINK_MEMBERS: &str = "kind, mixins, attributes, actions, id, source, target, rel, title";

/// A Core attribute found in `attributes`: checks that it agrees with the value already
/// known (the member's, `member`, or the same attribute's seen before), or keeps it as the
/// value when there is none.
fn reconcile<E: de::Error>(
    ctx: &mut Ctx<'_>,
    member: Option<&str>,
    from_attributes: &mut Option<String>,
    name: &str,
    value: String,
    top: &str,
) -> Result<(), E> {
    match member.or(from_attributes.as_deref()) {
        Some(existing) if *existing != value => Err(ctx.fail(
            ParseErrorKind::Structure,
            "attributes",
            format!("the same value as the \"{top}\" member"),
            format_args!("attributes.{name} {value:?} contradicts \"{top}\" {existing:?}"),
        )),
        Some(_) => Ok(()),
        None => {
            *from_attributes = Some(value);
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for EntitySeed<'_, 'de> {
    type Value = Entity;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource or link object")
    }
    #[allow(clippy::too_many_lines)] // one arm per schema member, then the checks
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let rule = match self.expect {
            Expect::Link => "link",
            Expect::Any | Expect::Resource => "resource",
        };
        let mut kind = None;
        let mut mixins = Vec::new();
        let mut attributes = Attributes::new();
        let mut core = CoreInAttributes::default();
        let mut actions = Vec::new();
        let mut id: Option<Cow<'de, str>> = None;
        let mut links: Option<Vec<Link>> = None;
        let mut summary: Option<String> = None;
        let mut title: Option<String> = None;
        let mut source: Option<(Location, Option<CategoryId>)> = None;
        let mut target: Option<(Location, Option<CategoryId>)> = None;
        let mut rel: Option<CategoryId> = None;
        while let Some(key) = next_key(&mut map)? {
            ctx.tick()?;
            match &*key {
                "kind" => {
                    ctx.enter(key.clone());
                    let s = map.next_value_seed(StrSeed)?;
                    kind = Some(type_id(ctx, &s, rule)?);
                    ctx.leave();
                }
                "mixins" => {
                    mixins = member!(
                        ctx,
                        map,
                        key,
                        TypeIdsSeed {
                            ctx: &mut *ctx,
                            rule
                        }
                    );
                }
                "actions" => {
                    actions = member!(
                        ctx,
                        map,
                        key,
                        TypeIdsSeed {
                            ctx: &mut *ctx,
                            rule
                        }
                    );
                }
                "attributes" => {
                    attributes = member!(
                        ctx,
                        map,
                        key,
                        AttributesSeed {
                            ctx: &mut *ctx,
                            core: Some(&mut core)
                        }
                    );
                }
                "id" => id = Some(member!(ctx, map, key, StrSeed)),
                "title" => title = Some(member!(ctx, map, key, StrSeed).into_owned()),
                "summary" if self.expect != Expect::Link => {
                    summary = Some(member!(ctx, map, key, StrSeed).into_owned());
                }
                "links" if self.expect != Expect::Link => {
                    links = Some(member!(ctx, map, key, LinksSeed { ctx: &mut *ctx }));
                }
                "source" if self.expect != Expect::Resource => {
                    source = Some(member!(ctx, map, key, KindedUriSeed { ctx: &mut *ctx }));
                }
                "target" if self.expect != Expect::Resource => {
                    target = Some(member!(ctx, map, key, KindedUriSeed { ctx: &mut *ctx }));
                }
                "rel" if self.expect != Expect::Resource => {
                    ctx.enter(key.clone());
                    let s = map.next_value_seed(StrSeed)?;
                    rel = Some(type_id(ctx, &s, "link")?);
                    ctx.leave();
                }
                _ => {
                    let allowed = if self.expect == Expect::Link {
                        LINK_MEMBERS
                    } else {
                        RESOURCE_MEMBERS
                    };
                    ctx.unknown(&mut map, &key, rule, allowed)?;
                }
            }
        }
        let is_link = match self.expect {
            Expect::Link => true,
            Expect::Resource => false,
            Expect::Any => source.is_some() || target.is_some() || rel.is_some(),
        };
        let rule = if is_link { "link" } else { "resource" };
        if is_link {
            // A generic entity object turned out to be a link: resource-only members are
            // not link members.
            if summary.is_some() || links.is_some() {
                let member = if summary.is_some() {
                    "summary"
                } else {
                    "links"
                };
                if ctx.strict {
                    return Err(ctx.fail(
                        ParseErrorKind::Structure,
                        "link",
                        format!("one of the members {LINK_MEMBERS}"),
                        format_args!("unknown member \"{member}\" in a link object"),
                    ));
                }
                ctx.deviation(
                    DeviationKind::UnknownMember,
                    Some(member),
                    format!("unknown member \"{member}\" ignored (link has no such member)"),
                );
            }
        }
        let Some(kind) = kind else {
            ctx.missing::<A::Error>("kind", rule, false)?;
            unreachable!("a missing kind is never forgiven");
        };
        // Core attributes rendered inside `attributes` as well (rOCCI does): they must agree
        // with the top-level members, and stand in for the members that are absent.
        let mut attr = CoreFields::default();
        let source_kind_member = source.as_ref().and_then(|s| s.1.as_ref());
        let target_kind_member = target.as_ref().and_then(|t| t.1.as_ref()).or(rel.as_ref());
        for (slot, value) in core.values {
            ctx.enter(Cow::Borrowed("attributes"));
            ctx.enter(Cow::Borrowed(slot));
            // The member the attribute stands for: its value if given, where an attribute's
            // value goes, and its name.
            let (member, field, top) = match slot {
                core_attr::ID => (id.as_deref().map(Cow::Borrowed), &mut attr.id, "id"),
                core_attr::TITLE => (
                    title.as_deref().map(Cow::Borrowed),
                    &mut attr.title,
                    "title",
                ),
                core_attr::SUMMARY if !is_link => (
                    summary.as_deref().map(Cow::Borrowed),
                    &mut attr.summary,
                    "summary",
                ),
                core_attr::SOURCE if is_link => (
                    source.as_ref().map(|s| Cow::Borrowed(s.0.as_str())),
                    &mut attr.source,
                    "source.location",
                ),
                core_attr::TARGET if is_link => (
                    target.as_ref().map(|t| Cow::Borrowed(t.0.as_str())),
                    &mut attr.target,
                    "target.location",
                ),
                core_attr::SOURCE_KIND if is_link => (
                    source_kind_member.map(|k| Cow::Owned(k.to_string())),
                    &mut attr.source_kind,
                    "source.kind",
                ),
                core_attr::TARGET_KIND if is_link => (
                    target_kind_member.map(|k| Cow::Owned(k.to_string())),
                    &mut attr.target_kind,
                    "target.kind",
                ),
                _ => {
                    // A Core attribute of the other entity type: an ordinary attribute.
                    let name = AttributeName::new(slot).expect("core names are valid");
                    attributes.insert(name, AttributeValue::String(value));
                    ctx.leave();
                    ctx.leave();
                    continue;
                }
            };
            reconcile(ctx, member.as_deref(), field, slot, value, top)?;
            ctx.leave();
            ctx.leave();
        }
        let id = id.or(attr.id.map(Cow::Owned));
        let title = title.or(attr.title);
        if id.is_none() {
            ctx.missing::<A::Error>("id", rule, true)?;
        }
        let id = id
            .map(|s| EntityId::new(&s).map_err(|e| ident_error(ctx, rule, e)))
            .transpose()?;
        if is_link {
            if source.is_none() && attr.source.is_none() {
                ctx.missing::<A::Error>("source", "link", true)?;
            }
            if target.is_none() && attr.target.is_none() {
                ctx.missing::<A::Error>("target", "link", true)?;
            }
            // A member's value was checked when it was read; only attributes are checked here.
            let loc = |ctx: &mut Ctx<'de>,
                       member: Option<(Location, Option<CategoryId>)>,
                       s: Option<String>|
             -> Result<Option<Location>, A::Error> {
                match member {
                    Some((location, _)) => Ok(Some(location)),
                    None => s
                        .map(|s| Location::new(&s).map_err(|e| ident_error(ctx, "link", e)))
                        .transpose(),
                }
            };
            let kind_of = |ctx: &mut Ctx<'de>,
                           member: Option<CategoryId>,
                           s: Option<String>|
             -> Result<Option<CategoryId>, A::Error> {
                match member {
                    Some(kind) => Ok(Some(kind)),
                    None => s.map(|s| type_id(ctx, &s, "link")).transpose(),
                }
            };
            let source_kind_member = source.as_ref().and_then(|s| s.1.clone());
            let target_kind_member = target.as_ref().and_then(|t| t.1.clone()).or(rel);
            let source = loc(ctx, source, attr.source)?;
            let target = loc(ctx, target, attr.target)?;
            let source_kind = kind_of(ctx, source_kind_member, attr.source_kind)?;
            let target_kind = kind_of(ctx, target_kind_member, attr.target_kind)?;
            Ok(Entity::Link(Link {
                id,
                kind,
                mixins,
                title,
                source,
                target,
                source_kind,
                target_kind,
                attributes,
                actions,
                location: None,
            }))
        } else {
            Ok(Entity::Resource(Resource {
                id,
                kind,
                mixins,
                title,
                summary: summary.or(attr.summary),
                attributes,
                links: links.unwrap_or_default(),
                actions,
                location: None,
            }))
        }
    }
}

/// An array of link objects.
struct LinksSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for LinksSeed<'_, 'de> {
    type Value = Vec<Link>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LinksSeed<'_, 'de> {
    type Value = Vec<Link>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of link objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        entity_seq(self.ctx, seq, Expect::Link, |e| match e {
            Entity::Link(l) => Some(l),
            Entity::Resource(_) => None,
        })
    }
}

/// The entity objects of an array, each read as `expect` says and kept if `pick` takes it.
fn entity_seq<'de, A: SeqAccess<'de>, T>(
    ctx: &mut Ctx<'de>,
    mut seq: A,
    expect: Expect,
    pick: fn(Entity) -> Option<T>,
) -> Result<Vec<T>, A::Error> {
    let mut out = Vec::new();
    for i in 0.. {
        ctx.tick()?;
        ctx.enter_index(i);
        let Some(e) = seq.next_element_seed(EntitySeed {
            ctx: &mut *ctx,
            expect,
        })?
        else {
            ctx.leave();
            break;
        };
        ctx.leave();
        out.extend(pick(e));
    }
    Ok(out)
}

/// An array of resource objects.
struct ResourcesSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for ResourcesSeed<'_, 'de> {
    type Value = Vec<Resource>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResourcesSeed<'_, 'de> {
    type Value = Vec<Resource>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of entity objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        entity_seq(self.ctx, seq, Expect::Resource, |e| match e {
            Entity::Resource(r) => Some(r),
            Entity::Link(_) => None,
        })
    }
}

/// What a top-level collection or `model` object holds.
#[derive(Debug, Default)]
pub(crate) struct ModelDoc {
    pub(crate) resources: Option<Vec<Resource>>,
    pub(crate) links: Option<Vec<Link>>,
    pub(crate) kinds: Option<Vec<Kind>>,
    pub(crate) mixins: Option<Vec<Mixin>>,
    pub(crate) actions: Option<Vec<Action>>,
}

/// The `model` object (and the collections, which are `model`s with one member).
pub(crate) struct ModelSeed<'c, 'de> {
    pub(crate) ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for ModelSeed<'_, 'de> {
    type Value = ModelDoc;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ModelSeed<'_, 'de> {
    type Value = ModelDoc;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a collection object")
    }
    #[allow(clippy::too_many_lines)] // one arm per collection member
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let mut doc = ModelDoc::default();
        while let Some(key) = next_key(&mut map)? {
            ctx.tick()?;
            let seen = match &*key {
                "resources" => doc.resources.is_some(),
                "links" => doc.links.is_some(),
                "kinds" => doc.kinds.is_some(),
                "mixins" => doc.mixins.is_some(),
                "actions" => doc.actions.is_some(),
                _ => false,
            };
            if seen {
                return Err(ctx.fail(
                    ParseErrorKind::Structure,
                    "model",
                    "distinct member names",
                    format_args!("duplicate member \"{key}\""),
                ));
            }
            match &*key {
                "resources" => {
                    doc.resources = Some(member!(ctx, map, key, ResourcesSeed { ctx: &mut *ctx }));
                }
                "links" => doc.links = Some(member!(ctx, map, key, LinksSeed { ctx: &mut *ctx })),
                "kinds" | "mixins" | "actions" => {
                    let class = match &*key {
                        "kinds" => CategoryClass::Kind,
                        "mixins" => CategoryClass::Mixin,
                        _ => CategoryClass::Action,
                    };
                    let categories = member!(
                        ctx,
                        map,
                        key,
                        CategoriesSeed {
                            ctx: &mut *ctx,
                            class
                        }
                    );
                    // The member is present even when its array is empty.
                    match class {
                        CategoryClass::Kind => doc.kinds = Some(Vec::new()),
                        CategoryClass::Mixin => doc.mixins = Some(Vec::new()),
                        CategoryClass::Action => doc.actions = Some(Vec::new()),
                    }
                    for category in categories {
                        match category {
                            Category::Kind(k) => doc.kinds.get_or_insert_with(Vec::new).push(k),
                            Category::Mixin(m) => doc.mixins.get_or_insert_with(Vec::new).push(m),
                            Category::Action(a) => {
                                doc.actions.get_or_insert_with(Vec::new).push(a);
                            }
                        }
                    }
                }
                _ => ctx.unknown(
                    &mut map,
                    &key,
                    "model",
                    "resources, links, kinds, mixins, actions",
                )?,
            }
        }
        Ok(doc)
    }
}

struct CategoriesSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
    class: CategoryClass,
}

impl<'de> DeserializeSeed<'de> for CategoriesSeed<'_, 'de> {
    type Value = Vec<Category>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CategoriesSeed<'_, 'de> {
    type Value = Vec<Category>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {} objects", self.class)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.ctx.tick()?;
            self.ctx.enter_index(out.len());
            let Some(c) = seq.next_element_seed(CategorySeed {
                ctx: &mut *self.ctx,
                class: Some(self.class),
            })?
            else {
                self.ctx.leave();
                break;
            };
            self.ctx.leave();
            out.push(c);
        }
        Ok(out)
    }
}

/// A Kind, Mixin or Action object; `class: None` guesses the class (see the module docs of
/// `json`).
pub(crate) struct CategorySeed<'c, 'de> {
    pub(crate) ctx: &'c mut Ctx<'de>,
    pub(crate) class: Option<CategoryClass>,
}

impl<'de> DeserializeSeed<'de> for CategorySeed<'_, 'de> {
    type Value = Category;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

const KIND_MEMBERS: &str = "term, scheme, title, attributes, actions, parent, location";
const MIXIN_MEMBERS: &str = "term, scheme, title, attributes, actions, depends, applies, location";
const ACTION_MEMBERS: &str = "term, scheme, title, attributes";

impl<'de> Visitor<'de> for CategorySeed<'_, 'de> {
    type Value = Category;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a kind, mixin or action object")
    }
    #[allow(clippy::too_many_lines)] // one arm per schema member, then the checks
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let mut term: Option<Cow<'de, str>> = None;
        let mut scheme: Option<Cow<'de, str>> = None;
        let mut title = None;
        let mut attributes = Vec::new();
        let mut actions: Option<Vec<CategoryId>> = None;
        let mut parent: Option<Cow<'de, str>> = None;
        let mut location: Option<Cow<'de, str>> = None;
        let mut depends: Option<Vec<CategoryId>> = None;
        let mut applies: Option<Vec<CategoryId>> = None;
        let (rule, allowed) = match self.class {
            Some(CategoryClass::Kind) => ("kind", KIND_MEMBERS),
            Some(CategoryClass::Mixin) => ("mixin", MIXIN_MEMBERS),
            Some(CategoryClass::Action) => ("action", ACTION_MEMBERS),
            None => (
                "category",
                "term, scheme, title, attributes, actions, parent, depends, applies, location",
            ),
        };
        let is = |c: CategoryClass| self.class.is_none_or(|k| k == c);
        while let Some(key) = next_key(&mut map)? {
            ctx.tick()?;
            match &*key {
                "term" => term = Some(member!(ctx, map, key, StrSeed)),
                "scheme" => scheme = Some(member!(ctx, map, key, StrSeed)),
                "title" => title = Some(member!(ctx, map, key, StrSeed).into_owned()),
                "attributes" => {
                    attributes = member!(ctx, map, key, AttrDefsSeed { ctx: &mut *ctx });
                }
                "actions" if !matches!(self.class, Some(CategoryClass::Action)) => {
                    actions = Some(member!(
                        ctx,
                        map,
                        key,
                        TypeIdsSeed {
                            ctx: &mut *ctx,
                            rule
                        }
                    ));
                }
                "parent" if is(CategoryClass::Kind) => {
                    parent = Some(member!(ctx, map, key, StrSeed));
                }
                "depends" if is(CategoryClass::Mixin) => {
                    depends = Some(member!(
                        ctx,
                        map,
                        key,
                        TypeIdsSeed {
                            ctx: &mut *ctx,
                            rule
                        }
                    ));
                }
                "applies" if is(CategoryClass::Mixin) => {
                    applies = Some(member!(
                        ctx,
                        map,
                        key,
                        TypeIdsSeed {
                            ctx: &mut *ctx,
                            rule
                        }
                    ));
                }
                "location" if !matches!(self.class, Some(CategoryClass::Action)) => {
                    location = Some(member!(ctx, map, key, StrSeed));
                }
                // Both J12 examples spell the member `"location:"`.
                "location:"
                    if !ctx.strict && !matches!(self.class, Some(CategoryClass::Action)) =>
                {
                    ctx.deviation(
                        DeviationKind::Other,
                        Some("location:"),
                        "member \"location:\" read as \"location\" (the typo of the J12 examples)"
                            .to_owned(),
                    );
                    location = Some(member!(ctx, map, key, StrSeed));
                }
                _ => ctx.unknown(&mut map, &key, rule, allowed)?,
            }
        }
        let Some(term) = term else {
            ctx.missing::<A::Error>("term", rule, false)?;
            unreachable!("a missing term is never forgiven");
        };
        let Some(scheme) = scheme else {
            ctx.missing::<A::Error>("scheme", rule, false)?;
            unreachable!("a missing scheme is never forgiven");
        };
        let id = intern::category_id(&scheme, &term).map_err(|e| ident_error(ctx, rule, e))?;
        let class = self.class.unwrap_or_else(|| {
            if parent.is_some() || id.scheme().as_str() == "http://schemas.ogf.org/occi/core#" {
                CategoryClass::Kind
            } else if location.is_some() || depends.is_some() || applies.is_some() {
                CategoryClass::Mixin
            } else if actions.is_some() {
                CategoryClass::Kind
            } else {
                CategoryClass::Action
            }
        });
        let location = location
            .map(|l| Location::new(&l).map_err(|e| ident_error(ctx, rule, e)))
            .transpose()?;
        Ok(match class {
            CategoryClass::Kind => {
                let parent = parent.map(|p| type_id(ctx, &p, "kind")).transpose()?;
                Category::Kind(Kind {
                    id,
                    title,
                    parent,
                    attributes,
                    actions: actions.unwrap_or_default(),
                    location,
                })
            }
            CategoryClass::Mixin => {
                if location.is_none() {
                    ctx.missing::<A::Error>("location", "mixin", true)?;
                }
                Category::Mixin(Mixin {
                    id,
                    title,
                    depends: depends.unwrap_or_default(),
                    applies: applies.unwrap_or_default(),
                    attributes,
                    actions: actions.unwrap_or_default(),
                    location,
                })
            }
            CategoryClass::Action => Category::Action(Action {
                id,
                title,
                attributes,
            }),
        })
    }
}

/// A category's `attributes`: a map from names to attribute descriptions.
struct AttrDefsSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for AttrDefsSeed<'_, 'de> {
    type Value = Vec<AttributeDefinition>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AttrDefsSeed<'_, 'de> {
    type Value = Vec<AttributeDefinition>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map from attribute names to attribute descriptions")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: Vec<AttributeDefinition> = Vec::new();
        while let Some(key) = next_key(&mut map)? {
            self.ctx.tick()?;
            self.ctx.enter(key.clone());
            let name = attribute_name(&key)
                .map_err(|e| ident_error(self.ctx, "attribute_description", e))?;
            if out.iter().any(|d| d.name == name) {
                return Err(self.ctx.fail(
                    ParseErrorKind::Structure,
                    "attribute_description",
                    "distinct attribute names",
                    format_args!("duplicate attribute \"{key}\""),
                ));
            }
            let def = map.next_value_seed(AttrDescSeed {
                ctx: &mut *self.ctx,
                name,
            })?;
            self.ctx.leave();
            out.push(def);
        }
        Ok(out)
    }
}

struct AttrDescSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
    name: AttributeName,
}

impl<'de> DeserializeSeed<'de> for AttrDescSeed<'_, 'de> {
    type Value = AttributeDefinition;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// The members of a `pattern` JSON Schema that map onto the model.
#[derive(Debug, Default)]
struct PatternDoc {
    ty: Option<String>,
    enumeration: Option<Vec<String>>,
    pattern: Option<String>,
    minimum: Option<f64>,
    maximum: Option<f64>,
}

impl<'de> Visitor<'de> for AttrDescSeed<'_, 'de> {
    type Value = AttributeDefinition;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute description object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        const RULE: &str = "attribute_description";
        let ctx = self.ctx;
        // J12 §3.5.1 defaults: an absent member means immutable, optional, string.
        let mut mutable = false;
        let mut required = false;
        let mut ty: Option<Cow<'de, str>> = None;
        let mut default = None;
        let mut description = None;
        let mut pattern = PatternDoc::default();
        while let Some(key) = next_key(&mut map)? {
            ctx.tick()?;
            match &*key {
                "mutable" => mutable = member!(ctx, map, key, BoolSeed),
                "required" => required = member!(ctx, map, key, BoolSeed),
                "type" => ty = Some(member!(ctx, map, key, StrSeed)),
                "default" => default = Some(member!(ctx, map, key, ValueSeed { ctx: &mut *ctx })),
                "description" => description = Some(member!(ctx, map, key, StrSeed).into_owned()),
                "pattern" => pattern = member!(ctx, map, key, PatternSeed { ctx: &mut *ctx }),
                _ => ctx.unknown(
                    &mut map,
                    &key,
                    RULE,
                    "mutable, required, type, default, description, pattern",
                )?,
            }
        }
        let bad = |ctx: &mut Ctx<'de>, msg: String| -> A::Error {
            ctx.fail(ParseErrorKind::Value, RULE, "", msg)
        };
        let ty = match ty.as_deref().unwrap_or("string") {
            "string" => match pattern.enumeration.take() {
                Some(values) => AttributeType::Enum(values),
                None => AttributeType::String,
            },
            "number" => match pattern.ty.as_deref() {
                Some("integer") => AttributeType::Integer,
                _ => AttributeType::Float,
            },
            "boolean" => AttributeType::Boolean,
            "array" => AttributeType::List,
            "object" => AttributeType::Map,
            other => {
                return Err(ctx.fail(
                    ParseErrorKind::Value,
                    RULE,
                    "\"string\", \"number\", \"boolean\", \"array\" or \"object\"",
                    format_args!("unknown attribute type {other:?}"),
                ));
            }
        };
        let default = match default {
            None => None,
            Some(v) => Some(ty.coerce(&v).ok_or_else(|| {
                bad(
                    ctx,
                    format!(
                        "the default is a {}, the attribute a {}",
                        v.type_name(),
                        ty.describe()
                    ),
                )
            })?),
        };
        let regex = pattern
            .pattern
            .map(|p| Pattern::new(&p).map_err(|e| bad(ctx, e.to_string())))
            .transpose()?;
        let range =
            (pattern.minimum.is_some() || pattern.maximum.is_some()).then_some(NumericRange {
                min: pattern.minimum,
                max: pattern.maximum,
            });
        Ok(AttributeDefinition {
            name: self.name,
            ty,
            mutable,
            required,
            // J12 has no member for it.
            create_only: false,
            default,
            description,
            pattern: regex,
            range,
        })
    }
}

struct PatternSeed<'c, 'de> {
    ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for PatternSeed<'_, 'de> {
    type Value = PatternDoc;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PatternSeed<'_, 'de> {
    type Value = PatternDoc;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON Schema object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let mut doc = PatternDoc::default();
        while let Some(key) = next_key(&mut map)? {
            ctx.tick()?;
            match &*key {
                "type" => doc.ty = Some(member!(ctx, map, key, StrSeed).into_owned()),
                "pattern" => doc.pattern = Some(member!(ctx, map, key, StrSeed).into_owned()),
                "enum" => {
                    let v = member!(ctx, map, key, ValueSeed { ctx: &mut *ctx });
                    let AttributeValue::List(items) = v else {
                        return Err(ctx.fail(
                            ParseErrorKind::Value,
                            "attribute_description",
                            "an array of strings",
                            "\"enum\" is not an array",
                        ));
                    };
                    let mut values = Vec::with_capacity(items.len());
                    for item in items {
                        let AttributeValue::String(s) = item else {
                            return Err(ctx.fail(
                                ParseErrorKind::Value,
                                "attribute_description",
                                "an array of strings",
                                "an \"enum\" value is not a string",
                            ));
                        };
                        values.push(s);
                    }
                    doc.enumeration = Some(values);
                }
                "minimum" | "maximum" => {
                    let v = member!(ctx, map, key, ValueSeed { ctx: &mut *ctx });
                    let Some(x) = v.as_f64() else {
                        return Err(ctx.fail(
                            ParseErrorKind::Value,
                            "attribute_description",
                            "a number",
                            format_args!("\"{key}\" is not a number"),
                        ));
                    };
                    if &*key == "minimum" {
                        doc.minimum = Some(x);
                    } else {
                        doc.maximum = Some(x);
                    }
                }
                // Any other JSON Schema keyword (`$schema` included) is valid in a pattern
                // and has no place in the model: skipped in both modes.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(doc)
    }
}

/// An `action_invocation` object.
pub(crate) struct InvocationSeed<'c, 'de> {
    pub(crate) ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for InvocationSeed<'_, 'de> {
    type Value = ActionInvocation;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for InvocationSeed<'_, 'de> {
    type Value = ActionInvocation;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an action invocation object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let mut action = None;
        let mut attributes = Attributes::new();
        while let Some(key) = next_key(&mut map)? {
            ctx.tick()?;
            match &*key {
                "action" => {
                    ctx.enter(key.clone());
                    let s = map.next_value_seed(StrSeed)?;
                    action = Some(type_id(ctx, &s, "action_invocation")?);
                    ctx.leave();
                }
                "attributes" => {
                    attributes = member!(
                        ctx,
                        map,
                        key,
                        AttributesSeed {
                            ctx: &mut *ctx,
                            core: None
                        }
                    );
                }
                _ => ctx.unknown(&mut map, &key, "action_invocation", "action, attributes")?,
            }
        }
        let Some(action) = action else {
            ctx.missing::<A::Error>("action", "action_invocation", false)?;
            unreachable!("a missing action is never forgiven");
        };
        Ok(ActionInvocation { action, attributes })
    }
}

/// A reference to an entity in a mixin association document.
#[derive(Debug)]
pub(crate) enum RefDoc {
    Id(String),
    Location(String),
}

/// A mixin association document (J12 has none; see the `json` module docs).
pub(crate) struct AssociationSeed<'c, 'de> {
    pub(crate) ctx: &'c mut Ctx<'de>,
}

impl<'de> DeserializeSeed<'de> for AssociationSeed<'_, 'de> {
    type Value = Vec<RefDoc>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AssociationSeed<'_, 'de> {
    type Value = Vec<RefDoc>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with \"resources\", \"links\" or \"locations\"")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let mut out = Vec::new();
        while let Some(key) = next_key(&mut map)? {
            ctx.tick()?;
            match &*key {
                "resources" | "links" => {
                    let v = member!(ctx, map, key, ValueSeed { ctx: &mut *ctx });
                    ctx.enter(key.clone());
                    let AttributeValue::List(items) = v else {
                        return Err(ctx.fail(
                            ParseErrorKind::Structure,
                            "mixin-association",
                            "an array of entity objects",
                            format_args!("\"{key}\" is not an array"),
                        ));
                    };
                    for (i, item) in items.into_iter().enumerate() {
                        ctx.enter_index(i);
                        let AttributeValue::Map(mut m) = item else {
                            return Err(ctx.fail(
                                ParseErrorKind::Structure,
                                "mixin-association",
                                "an entity object",
                                "not an object",
                            ));
                        };
                        let r = match (m.remove("location"), m.remove("id")) {
                            (Some(AttributeValue::String(l)), _) => RefDoc::Location(l),
                            (None, Some(AttributeValue::String(id))) => RefDoc::Id(id),
                            _ => {
                                return Err(ctx.fail(
                                    ParseErrorKind::Structure,
                                    "mixin-association",
                                    "a string \"location\" or \"id\" member",
                                    "the entity object names no entity",
                                ));
                            }
                        };
                        out.push(r);
                        ctx.leave();
                    }
                    ctx.leave();
                }
                "locations" => {
                    let v = member!(ctx, map, key, ValueSeed { ctx: &mut *ctx });
                    ctx.enter(key.clone());
                    let items = match v {
                        AttributeValue::List(items) => items,
                        _ => Vec::from([AttributeValue::Bool(false)]),
                    };
                    for (i, item) in items.into_iter().enumerate() {
                        ctx.enter_index(i);
                        let AttributeValue::String(l) = item else {
                            return Err(ctx.fail(
                                ParseErrorKind::Structure,
                                "mixin-association",
                                "an array of location strings",
                                "not a location string",
                            ));
                        };
                        out.push(RefDoc::Location(l));
                        ctx.leave();
                    }
                    ctx.leave();
                }
                _ => ctx.unknown(
                    &mut map,
                    &key,
                    "mixin-association",
                    "resources, links, locations",
                )?,
            }
        }
        Ok(out)
    }
}

/// Fails with a classified error (used by callers that check after deserialising).
pub(crate) fn custom_failure(
    ctx: &mut Ctx<'_>,
    kind: ParseErrorKind,
    rule: &'static str,
    expected: &str,
    message: &str,
) -> serde_json::Error {
    ctx.fail(kind, rule, expected.to_owned(), message)
}
