//! The canonical text/plain entity, read in one pass straight into the model.
//!
//! [`plain::render_entity`](super::plain::render_entity) writes one narrow form of the text
//! grammar, and real peers send much the same: one structure per CRLF line, exact field
//! names, `; ` between parameters in ABNF order, quoted strings, bare numbers. This module
//! recognises that form and builds the [`Entity`] as it reads, with no intermediate
//! [`TextDocument`](super::TextDocument), no positions and no deviations.
//!
//! * **It never decides anything on its own.** For any input, [`entity`] returns either the
//!   entity the grammar reader (rules → `TextDocument` → conversion) returns for it, with no
//!   deviation, or `None`; on `None` the caller runs the grammar reader, which alone defines
//!   the language and reports every error, deviation and position. Anything unusual (a
//!   lowercase field name, whitespace, a repeated attribute, an unknown parameter, a value
//!   that is neither quoted, a number nor a boolean, a registry that says the Kind is a
//!   Link…) is `None`, however valid.
//! * **It shares the grammar's primitives.** Quoted strings, number shapes, the identifier
//!   cache (so the same validation of schemes, terms, type identifiers and attribute names,
//!   per version) and the model's constructors are the grammar reader's own; only the
//!   framing is written again, for the one form.
//! * **Why:** on the reference workload it costs about 40% of the grammar reader's
//!   instructions and time (`cargo bench -p occi-render --bench instructions`,
//!   `text/plain/parse` against `text/plain/grammar`): the rule structure, positions and
//!   deviation bookkeeping that diagnostics need are most of the grammar reader's cost, and a
//!   well-formed message needs none of them.
//! * **What keeps the two readers together:** [`entity_by_grammar`] exposes the grammar
//!   reader alone, a property test compares both on generated entities and on mutations of
//!   their renderings, and the `decode_text_plain` fuzz target compares both on every input.

use occi_model::{
    AttributeName, AttributeValue, Attributes, CategoryId, Entity, EntityId, Float, Link, Location,
    OcciVersion, Registry, Resource, core_attr, ext,
};

use super::lex::{self, NumberShape};
use crate::{ParseError, ParseOptions, Parsed, intern};

/// The entity `input` renders, when it is in the canonical form (see the module docs);
/// `None` otherwise, whether or not the input is valid.
pub fn entity(input: &str, options: &ParseOptions, registry: Option<&Registry>) -> Option<Entity> {
    let version = options.version();
    let mut budget = options.max_items();
    let mut kind: Option<CategoryId> = None;
    let mut mixins: Vec<CategoryId> = Vec::new();
    let mut attributes = Attributes::new();
    let mut id: Option<EntityId> = None;
    let mut title: Option<String> = None;
    let mut summary: Option<String> = None;
    let mut links: Vec<Link> = Vec::new();
    let mut actions: Vec<CategoryId> = Vec::new();
    let mut location: Option<Location> = None;
    let bytes = input.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let end = at + memchr::memchr(b'\n', &bytes[at..])?;
        let line = input[at..end].strip_suffix('\r')?;
        at = end + 1;
        // One structure per line, counted as the grammar reader counts them.
        budget = budget.checked_sub(1)?;
        if let Some(v) = line.strip_prefix("X-OCCI-Attribute: ") {
            let eq = find(b'=', v)?;
            let name = intern::attribute_name(&v[..eq], version).ok()?;
            let (rest, value) = value(&v[eq + 1..], false)?;
            if !rest.is_empty() {
                return None;
            }
            match name.as_str() {
                core_attr::ID if id.is_none() => id = Some(EntityId::new(&string(value)?).ok()?),
                core_attr::TITLE if title.is_none() => title = Some(string(value)?),
                core_attr::SUMMARY if summary.is_none() => summary = Some(string(value)?),
                n if is_core(n) => return None,
                _ => insert(&mut attributes, name, value)?,
            }
        } else if let Some(v) = line.strip_prefix("Category: ") {
            let (cid, is_kind) = intern::short_category(v, version, || category(v, version))?;
            if is_kind {
                if kind.is_some() {
                    return None;
                }
                kind = Some(cid);
            } else if !mixins.contains(&cid) {
                mixins.push(cid);
            }
        } else if let Some(v) = line.strip_prefix("Link: <") {
            let gt = find(b'>', v)?;
            let uri = &v[..gt];
            let (rest, rel) = quoted(v[gt..].strip_prefix(">; rel=")?)?;
            let rel = type_identifier(&rel, version)?;
            match find(b'?', uri) {
                Some(q) => {
                    // An action link: nothing but `rel`, whose term the query names.
                    // The query's term is the rel's, which is valid for `version`.
                    let term = uri[q..].strip_prefix("?action=")?;
                    if !rest.is_empty() || rel.term().as_str() != term {
                        return None;
                    }
                    let here = Location::new(&uri[..q]).ok()?;
                    match &location {
                        Some(l) if *l != here => return None,
                        Some(_) => {}
                        None => location = Some(here),
                    }
                    if !actions.contains(&rel) {
                        actions.push(rel);
                    }
                }
                None => links.push(link(uri, rel, rest, version)?),
            }
        } else {
            return None;
        }
    }
    let kind = kind?;
    if let Some(r) = registry
        && r.kind(&kind).is_some()
        && r.is_a(&kind, &ext::core::link_id())
    {
        return None;
    }
    for l in &mut links {
        if l.source.is_none() {
            l.source.clone_from(&location);
        }
    }
    let mut resource = Resource::new(kind);
    resource.id = id;
    resource.mixins = mixins;
    resource.title = title;
    resource.summary = summary;
    resource.attributes = attributes;
    resource.links = links;
    resource.actions = actions;
    resource.location = location;
    Some(Entity::Resource(resource))
}

/// The grammar reader alone, without the canonical path: what [`entity`] must agree with.
pub fn entity_by_grammar(
    input: &str,
    options: &ParseOptions,
    registry: Option<&Registry>,
) -> Result<Parsed<Entity>, ParseError> {
    super::plain::parse_entity_by_grammar(input, options, registry)
}

/// The first `byte` in `s`.
fn find(byte: u8, s: &str) -> Option<usize> {
    memchr::memchr(byte, s.as_bytes())
}

/// Whether `name` is one of the attributes the model keeps in typed fields.
fn is_core(name: &str) -> bool {
    name.starts_with("occi.core.") && core_attr::is_core(name)
}

/// Adds an attribute given once.
fn insert(attributes: &mut Attributes, name: AttributeName, value: AttributeValue) -> Option<()> {
    match attributes.entry(name) {
        std::collections::btree_map::Entry::Occupied(_) => None,
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(value);
            Some(())
        }
    }
}

/// The string a core attribute must hold.
fn string(value: AttributeValue) -> Option<String> {
    match value {
        AttributeValue::String(s) => Some(s),
        _ => None,
    }
}

/// A quoted string at the start of `i`: the rest and the unescaped content.
fn quoted(i: &str) -> Option<(&str, std::borrow::Cow<'_, str>)> {
    lex::quoted_string(i).ok()
}

/// A type identifier, as the grammar reader takes it for `version`.
fn type_identifier(raw: &str, version: OcciVersion) -> Option<CategoryId> {
    let (id, v1_1) = intern::type_identifier(raw).ok()?;
    (v1_1 || version == OcciVersion::V1_2).then_some(id)
}

/// `term; scheme="…"; class="kind"` or `class="mixin"`: the category and whether it is the
/// Kind.
fn category(v: &str, version: OcciVersion) -> Option<(CategoryId, bool)> {
    let semi = find(b';', v)?;
    let term = intern::term(&v[..semi], version).ok()?;
    let (rest, scheme) = quoted(v[semi..].strip_prefix("; scheme=")?)?;
    let scheme = intern::scheme(&scheme).ok()?;
    let is_kind = match rest {
        "; class=\"kind\"" => true,
        "; class=\"mixin\"" => false,
        _ => return None,
    };
    Some((CategoryId::new(scheme, term), is_kind))
}

/// An attribute value at the start of `i`: a quoted string, a number or a boolean, and the
/// rest after it. `param` says the value is a Link parameter (it ends at `;`).
fn value(i: &str, param: bool) -> Option<(&str, AttributeValue)> {
    if i.starts_with('"') {
        let (rest, s) = quoted(i)?;
        return Some((rest, AttributeValue::String(s.into_owned())));
    }
    let end = if param {
        find(b';', i).unwrap_or(i.len())
    } else {
        i.len()
    };
    let (token, rest) = i.split_at(end);
    let value = match token {
        "true" => AttributeValue::Bool(true),
        "false" => AttributeValue::Bool(false),
        _ => match lex::number_shape(token)? {
            (_, true) => return None,
            (NumberShape::Integer, false) => AttributeValue::Integer(token.parse().ok()?),
            (NumberShape::Float, false) => AttributeValue::Float(Float::new(token.parse().ok()?)?),
        },
    };
    Some((rest, value))
}

/// A resource link after its `rel`: `; self="…"`, `; category="…"` and link attributes, in
/// this order. Its source is the resource's location unless it gives `occi.core.source`
/// (set by the caller, which knows the location once every line is read).
fn link(uri: &str, rel: CategoryId, mut rest: &str, version: OcciVersion) -> Option<Link> {
    let target = Location::new(uri).ok()?;
    let mut self_location = None;
    // The Link's Kind, then its Mixins (allocated only when there are some).
    let mut kind: Option<CategoryId> = None;
    let mut mixins: Vec<CategoryId> = Vec::new();
    let mut attributes = Attributes::new();
    let (mut id, mut title, mut source, mut source_kind) = (None, None, None, None);
    // 1 once `self` is read, 2 once `category` is, 3 once an attribute is.
    let mut stage = 0;
    while !rest.is_empty() {
        let (after, name) = lex::name::<()>(rest.strip_prefix("; ")?).ok()?;
        let after = after.strip_prefix('=')?;
        match name {
            "self" if stage < 1 => {
                let (r, s) = quoted(after)?;
                self_location = Some(Location::new(&s).ok()?);
                stage = 1;
                rest = r;
            }
            "category" if stage < 2 => {
                let (r, s) = quoted(after)?;
                for word in s.split(' ') {
                    let id = type_identifier(word, version)?;
                    if kind.is_none() {
                        kind = Some(id);
                    } else {
                        mixins.push(id);
                    }
                }
                stage = 2;
                rest = r;
            }
            _ => {
                if ["rel", "self", "category"]
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(name))
                    || stage < 2
                {
                    return None;
                }
                let name = intern::attribute_name(name, version).ok()?;
                let (r, value) = value(after, true)?;
                match name.as_str() {
                    core_attr::ID if id.is_none() => {
                        id = Some(EntityId::new(&string(value)?).ok()?);
                    }
                    core_attr::TITLE if title.is_none() => title = Some(string(value)?),
                    core_attr::SOURCE if source.is_none() => {
                        source = Some(Location::new(&string(value)?).ok()?);
                    }
                    core_attr::SOURCE_KIND if source_kind.is_none() => {
                        source_kind = Some(intern::type_identifier(&string(value)?).ok()?.0);
                    }
                    n if is_core(n) => return None,
                    _ => insert(&mut attributes, name, value)?,
                }
                stage = 3;
                rest = r;
            }
        }
    }
    let mut link = Link::new(kind?);
    link.mixins = mixins;
    link.id = id;
    link.title = title;
    link.source = source;
    link.source_kind = source_kind;
    link.target = Some(target);
    link.target_kind = Some(rel);
    link.attributes = attributes;
    link.location = self_location;
    Some(link)
}

#[cfg(test)]
mod tests {
    use super::*;
    use occi_model::strategy;
    use proptest::prelude::*;

    /// Category lines: mostly the short form, with terms valid in one version or both, and
    /// a few that are not the short form at all; a small alphabet, so that they repeat.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-cB.]{0,3}; scheme=\"http://e\\.x/[a-b]{0,2}#\"; class=\"(kind|mixin|action|kine|mixen)\"",
            "[a-c]{1,2}; scheme=\"http://e\\.x/\\\\a#\"; class=\"kind\"",
            "[a-c;=\" ]{0,12}",
        ]
    }

    proptest! {
        /// Through the identifier cache or not, a Category line reads the same, in any order
        /// of lines and versions.
        #[test]
        fn cached_category_lines_read_as_uncached(
            lines in proptest::collection::vec((line(), strategy::version()), 1..32),
        ) {
            for (raw, v) in &lines {
                for _ in 0..2 {
                    prop_assert_eq!(
                        intern::short_category(raw, *v, || category(raw, *v)),
                        category(raw, *v)
                    );
                }
            }
        }
    }
}
