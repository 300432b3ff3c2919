//! The pre-standard JSON PySSF 0.4.7 sends as `application/occi+json` (hurtle.md appendix A,
//! pyssf-lessons.md §12 C30): a named legacy dialect, not GFD.225.
//!
//! PySSF's `json_rendering.py` writes, with `json.dumps(…, sort_keys=True, indent=2)`:
//!
//! * **a category** (query interface entries, and an entity's `kind`, `mixins` and action
//!   `kind`s): `{"actions"?, "attributes"?, "location"?, "related"?, "scheme", "term",
//!   "title"?}`. There is **no class member**. `related` is a list of type identifiers (1.1
//!   `rel`), `actions` a list of action type identifiers, `location` the **relative** path
//!   (`/compute/`, unlike the absolute URLs of its text rendering). `attributes` maps each name
//!   to a flag string: `"required"`, `"immutable"` or, for anything else, `"muttable"`
//!   (sic). Empty members and an empty `title` are left out.
//! * **an entity**: `{"actions": [{"kind": <category>, "link": "<id>?action=<term>"}],
//!   "attributes": {…}, "kind": <category>, "links": [<link>…], "mixins": [<category>…]}`.
//!   There is no top-level `id`, `title` or `summary`: PySSF keeps `occi.core.*` inside
//!   `attributes`. Every attribute value is a **string** (PySSF never types values; `2`
//!   arrives as `"2"`). A link is an entity object with `"source"` and `"target"` holding the
//!   endpoints' identifiers (paths) as plain strings, and no `links` member.
//! * **a collection** (of entities) and **the query interface** (of categories): a bare JSON
//!   array; `[]` when empty.
//!
//! # Reading
//!
//! * Values keep the JSON type they have (a string stays a string; a number, which a newer
//!   peer might send, is typed as in GFD.225).
//! * `occi.core.id`, `occi.core.title`, `occi.core.summary` (and for links
//!   `occi.core.source`/`occi.core.target`, if a string) move from `attributes` into the model
//!   fields; the `source`/`target` members win over those attributes.
//! * The entity's location is the part before `?action=` of its first action link; without
//!   actions, an `occi.core.id` that is a path (PySSF's identifiers are paths) is taken as the
//!   location too.
//! * The class of a query-interface entry is not rendered, so it is inferred, in steps: an
//!   entry with a Core scheme, or whose `related` names a Core category, is a Kind of step
//!   0; an entry with a `location` whose `related` names a Kind of step n is a Kind of step
//!   n + 1; of the rest, an entry without `location` is an Action and the others are
//!   Mixins. A Kind's parent is its first `related` that is a Core category or a Kind of an
//!   earlier step, failing that (a Kind by its own Core scheme) its first: its rendering
//!   keeps the parent alone and is inferred a Kind again. A service Kind of Hurtle lists
//!   `core#resource` first and its dependencies after it, which are dropped. A Mixin's
//!   `related` are its `depends`.
//! * Attribute flags: `"required"` gives a required, mutable attribute; `"immutable"` an
//!   immutable one; `"muttable"` a mutable one. Leniently also `"mutable"` and `""` (the
//!   Hurtle manifest's spelling of mutable) are read as mutable ([`DeviationKind::Other`]).
//!   Every attribute is a String attribute: the dialect has no types.
//! * Unknown members: strict parsing rejects them, lenient parsing ignores them
//!   ([`DeviationKind::UnknownMember`]). Category objects may also appear as plain type
//!   identifier strings leniently.
//!
//! # Writing
//!
//! The renderer emits what PySSF emits: sorted keys, `muttable`, string values (integers,
//! floats and booleans are written as their text rendering: `"2"`, `"2.0"`, `"true"`; list
//! and map values, which PySSF never holds, as JSON arrays and objects of such strings), core
//! attributes inside `attributes`, action links `<location>?action=<term>` (the id stands in
//! for a missing location). The model's entities name their categories only by id, so
//! `kind`, `mixins` and action `kind`s are rendered as `{"scheme", "term"}`: what Hurtle's
//! clients read (`kind.scheme + kind.term`). Attribute definitions lose their types, a
//! required and immutable attribute is rendered `"required"` (PySSF checks that first), and
//! `Mixin.applies` is dropped. Output is indented by two spaces, as PySSF's.

use std::collections::{BTreeMap, HashMap, VecDeque};

use occi_model::{
    Action, AttributeDefinition, AttributeName, AttributeType, AttributeValue, Attributes,
    Category, CategoryId, Entity, EntityId, Kind, Link, Location, Mixin, OcciVersion, Resource,
    core_attr,
};
use serde_json::{Map, Value};

use crate::{
    Deviation, DeviationKind, Diagnostic, ParseError, ParseErrorKind, ParseOptions, Parsed,
    Position, Rendering, intern,
};

const CORE_SCHEME: &str = "http://schemas.ogf.org/occi/core#";

/// Parses one entity (a Resource, or a Link if it has `source` or `target`).
pub fn parse_entity(input: &[u8], options: &ParseOptions) -> Result<Parsed<Entity>, ParseError> {
    let (text, value) = load(input, options)?;
    let mut r = Reader::new(text, options);
    let entity = r.entity(&value, false)?;
    Ok(r.finish(entity))
}

/// Parses a collection: a JSON array of entities.
pub fn parse_entities(
    input: &[u8],
    options: &ParseOptions,
) -> Result<Parsed<Vec<Entity>>, ParseError> {
    let (text, value) = load(input, options)?;
    let mut r = Reader::new(text, options);
    let items = r.array(&value, "collection")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        r.path.push(format!("[{i}]"));
        out.push(r.entity(item, false)?);
        r.path.pop();
    }
    Ok(r.finish(out))
}

/// Parses a query interface: a JSON array of categories, their classes inferred (see the
/// module docs).
pub fn parse_categories(
    input: &[u8],
    options: &ParseOptions,
) -> Result<Parsed<Vec<Category>>, ParseError> {
    let (text, value) = load(input, options)?;
    let mut r = Reader::new(text, options);
    let items = r.array(&value, "query-interface")?;
    let mut raw = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        r.path.push(format!("[{i}]"));
        raw.push(r.category(item)?);
        r.path.pop();
    }
    // Infer classes (see the module docs). An entry is a Kind in step 0 by its own Core
    // scheme or a Core `related`; in step n + 1 when it has a location and names among its
    // `related` a Kind of step n. A breadth-first walk over who names whom gives each Kind
    // its first step, in time linear in the entries and their `related` (passes until
    // nothing changes are cubic on a chain).
    let core = |id: &CategoryId| id.scheme().as_str() == CORE_SCHEME;
    let mut step: Vec<Option<usize>> = raw
        .iter()
        .map(|c| (core(&c.id) || c.related.iter().any(core)).then_some(0))
        .collect();
    let mut named_by: HashMap<&CategoryId, Vec<usize>> = HashMap::new();
    for (i, c) in raw.iter().enumerate() {
        if c.location.is_some() {
            for rel in &c.related {
                named_by.entry(rel).or_default().push(i);
            }
        }
    }
    let mut work: VecDeque<usize> = (0..raw.len()).filter(|&i| step[i].is_some()).collect();
    while let Some(kind) = work.pop_front() {
        let next = step[kind].map(|n| n + 1);
        for &i in named_by.get(&raw[kind].id).into_iter().flatten() {
            if step[i].is_none() {
                step[i] = next;
                work.push_back(i);
            }
        }
    }
    // A Kind's parent is its first `related` that is a Core category or a Kind of an earlier
    // step, failing that (a Kind by its own Core scheme) its first: its rendering keeps the
    // parent alone, and is inferred a Kind again, in the same step.
    let mut first_step: HashMap<&CategoryId, usize> = HashMap::new();
    for (c, n) in raw.iter().zip(&step) {
        if let Some(n) = *n {
            first_step
                .entry(&c.id)
                .and_modify(|m| *m = (*m).min(n))
                .or_insert(n);
        }
    }
    let parents: Vec<Option<CategoryId>> = raw
        .iter()
        .zip(&step)
        .map(|(c, n)| {
            let n = (*n)?;
            let earlier =
                |rel: &&CategoryId| core(rel) || first_step.get(*rel).is_some_and(|&m| m < n);
            c.related
                .iter()
                .find(earlier)
                .or(c.related.first())
                .cloned()
        })
        .collect();
    let is_kind = step.iter().map(Option::is_some);
    let out = raw
        .into_iter()
        .zip(is_kind)
        .zip(parents)
        .map(|((c, kind), parent)| {
            if kind {
                Category::Kind(Kind {
                    id: c.id,
                    title: c.title,
                    parent,
                    attributes: c.attributes,
                    actions: c.actions,
                    location: c.location,
                })
            } else if c.location.is_none() {
                Category::Action(Action {
                    id: c.id,
                    title: c.title,
                    attributes: c.attributes,
                })
            } else {
                Category::Mixin(Mixin {
                    id: c.id,
                    title: c.title,
                    depends: c.related,
                    applies: Vec::new(),
                    attributes: c.attributes,
                    actions: c.actions,
                    location: c.location,
                })
            }
        })
        .collect();
    Ok(r.finish(out))
}

fn load<'a>(input: &'a [u8], options: &ParseOptions) -> Result<(&'a str, Value), ParseError> {
    let text = std::str::from_utf8(input).map_err(|e| {
        let ok = std::str::from_utf8(&input[..e.valid_up_to()]).unwrap_or_default();
        ParseError::new(
            Rendering::PyssfJson,
            Diagnostic::new(
                Position::locate(ok, ok.len()),
                ParseErrorKind::Encoding,
                "json-text",
                "UTF-8",
                "the document is not valid UTF-8",
            ),
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let mut start = 0;
        for _ in 1..e.line() {
            start += text[start..].find('\n').map_or(0, |i| i + 1);
        }
        let mut message = e.to_string();
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        ParseError::new(
            Rendering::PyssfJson,
            Diagnostic::new(
                Position::locate(text, start + e.column().saturating_sub(1)),
                ParseErrorKind::Syntax,
                "json-text",
                "",
                message,
            ),
        )
    })?;
    let items = count(&value);
    if items > options.max_items() {
        return Err(ParseError::new(
            Rendering::PyssfJson,
            Diagnostic::new(
                Position::default(),
                ParseErrorKind::TooLarge,
                "json-text",
                format!(
                    "at most {} array elements and object members",
                    options.max_items()
                ),
                "the document is too large",
            ),
        ));
    }
    Ok((text, value))
}

fn count(v: &Value) -> usize {
    match v {
        Value::Array(a) => a.len() + a.iter().map(count).sum::<usize>(),
        Value::Object(m) => m.len() + m.values().map(count).sum::<usize>(),
        _ => 0,
    }
}

/// A category as the dialect renders it, before its class is known.
struct RawCategory {
    id: CategoryId,
    title: Option<String>,
    related: Vec<CategoryId>,
    location: Option<Location>,
    attributes: Vec<AttributeDefinition>,
    actions: Vec<CategoryId>,
}

struct Reader<'a> {
    text: &'a str,
    strict: bool,
    path: Vec<String>,
    deviations: Vec<Deviation>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str, options: &ParseOptions) -> Self {
        Self {
            text,
            strict: options.is_strict(),
            path: Vec::new(),
            deviations: Vec::new(),
        }
    }

    fn finish<T>(self, value: T) -> Parsed<T> {
        Parsed {
            value,
            deviations: self.deviations,
        }
    }

    fn path(&self) -> String {
        let mut out = String::new();
        for p in &self.path {
            if !out.is_empty() && !p.starts_with('[') {
                out.push('.');
            }
            out.push_str(p);
        }
        out
    }

    /// The position of the first quoted occurrence of `key`, or of the start.
    fn locate(&self, key: Option<&str>) -> Position {
        let offset = key
            .and_then(|k| self.text.find(&format!("\"{k}\"")))
            .unwrap_or(0);
        Position::locate(self.text, offset)
    }

    fn error(
        &self,
        kind: ParseErrorKind,
        rule: &'static str,
        key: Option<&str>,
        expected: &str,
        message: impl std::fmt::Display,
    ) -> ParseError {
        let path = self.path();
        let message = if path.is_empty() {
            message.to_string()
        } else {
            format!("at {path}: {message}")
        };
        ParseError::new(
            Rendering::PyssfJson,
            Diagnostic::new(self.locate(key), kind, rule, expected, message),
        )
    }

    fn deviate(&mut self, kind: DeviationKind, key: Option<&str>, message: String) {
        let position = self.locate(key);
        self.deviations
            .push(Deviation::new(position, kind, message));
    }

    fn object<'v>(
        &self,
        v: &'v Value,
        rule: &'static str,
    ) -> Result<&'v Map<String, Value>, ParseError> {
        v.as_object().ok_or_else(|| {
            self.error(
                ParseErrorKind::Structure,
                rule,
                None,
                "an object",
                "not an object",
            )
        })
    }

    fn array<'v>(&self, v: &'v Value, rule: &'static str) -> Result<&'v Vec<Value>, ParseError> {
        v.as_array().ok_or_else(|| {
            self.error(
                ParseErrorKind::Structure,
                rule,
                None,
                "an array",
                "not an array",
            )
        })
    }

    fn string<'v>(
        &self,
        v: &'v Value,
        rule: &'static str,
        key: &str,
    ) -> Result<&'v str, ParseError> {
        v.as_str().ok_or_else(|| {
            self.error(
                ParseErrorKind::Structure,
                rule,
                Some(key),
                "a string",
                format_args!("\"{key}\" is not a string"),
            )
        })
    }

    fn unknown(&mut self, key: &str, rule: &'static str) -> Result<(), ParseError> {
        if self.strict {
            return Err(self.error(
                ParseErrorKind::Structure,
                rule,
                Some(key),
                "",
                format_args!("unknown member \"{key}\" in a {rule} object"),
            ));
        }
        let path = self.path();
        self.deviate(
            DeviationKind::UnknownMember,
            Some(key),
            format!("unknown member \"{key}\" ignored at {path}"),
        );
        Ok(())
    }

    fn ident<T, E: std::fmt::Display>(
        &self,
        r: Result<T, E>,
        rule: &'static str,
        key: &str,
    ) -> Result<T, ParseError> {
        r.map_err(|e| self.error(ParseErrorKind::Identifier, rule, Some(key), "", e))
    }

    /// A category reference: an object with `scheme` and `term` (other members ignored;
    /// they describe the category, which the entity only names), or leniently a string.
    fn category_ref(&mut self, v: &Value, rule: &'static str) -> Result<CategoryId, ParseError> {
        if let Some(s) = v.as_str()
            && !self.strict
        {
            self.deviate(
                DeviationKind::Other,
                None,
                format!(
                    "a type identifier string where PySSF writes a category object at {}",
                    self.path()
                ),
            );
            return self.ident(intern::type_identifier(s).map(|(id, _)| id), rule, "kind");
        }
        let m = self.object(v, rule)?;
        let scheme = m.get("scheme").ok_or_else(|| {
            self.error(
                ParseErrorKind::Structure,
                rule,
                None,
                "a \"scheme\" member",
                "the category has no scheme",
            )
        })?;
        let term = m.get("term").ok_or_else(|| {
            self.error(
                ParseErrorKind::Structure,
                rule,
                None,
                "a \"term\" member",
                "the category has no term",
            )
        })?;
        let scheme = self.string(scheme, rule, "scheme")?;
        let term = self.string(term, rule, "term")?;
        self.ident(intern::category_id(scheme, term), rule, "term")
    }

    fn type_ids(
        &self,
        v: &Value,
        rule: &'static str,
        key: &str,
    ) -> Result<Vec<CategoryId>, ParseError> {
        let mut out: Vec<CategoryId> = Vec::new();
        for item in self.array(v, rule)? {
            let s = self.string(item, rule, key)?;
            let id = self.ident(intern::type_identifier(s).map(|(id, _)| id), rule, key)?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }

    fn category(&mut self, v: &Value) -> Result<RawCategory, ParseError> {
        const RULE: &str = "category";
        let m = self.object(v, RULE)?;
        let mut raw = RawCategory {
            id: self.category_ref(v, RULE)?,
            title: None,
            related: Vec::new(),
            location: None,
            attributes: Vec::new(),
            actions: Vec::new(),
        };
        for (key, value) in m {
            self.path.push(key.clone());
            match key.as_str() {
                "scheme" | "term" => {}
                "title" => raw.title = Some(self.string(value, RULE, key)?.to_owned()),
                "related" => raw.related = self.type_ids(value, RULE, key)?,
                "actions" => raw.actions = self.type_ids(value, RULE, key)?,
                "location" => {
                    let s = self.string(value, RULE, key)?;
                    raw.location = Some(self.ident(Location::new(s), RULE, key)?);
                }
                "attributes" => {
                    let attrs = self.object(value, RULE)?;
                    for (name, flag) in attrs {
                        let attr = self.ident(
                            intern::attribute_name(name, OcciVersion::V1_2),
                            RULE,
                            name,
                        )?;
                        let flag = self.string(flag, RULE, name)?;
                        let mut d = AttributeDefinition::new(attr, AttributeType::String);
                        match flag {
                            "required" => d.required = true,
                            "immutable" => d.mutable = false,
                            "muttable" => {}
                            "mutable" | "" if !self.strict => {
                                let at = self.path();
                                self.deviate(
                                    DeviationKind::Other,
                                    Some(name),
                                    format!(
                                        "flag {flag:?} of {at}.{name} read as PySSF's \"muttable\""
                                    ),
                                );
                            }
                            other => {
                                return Err(self.error(
                                    ParseErrorKind::Value,
                                    RULE,
                                    Some(name),
                                    "\"required\", \"immutable\" or \"muttable\"",
                                    format_args!("unknown attribute flag {other:?} of {name}"),
                                ));
                            }
                        }
                        raw.attributes.push(d);
                    }
                }
                _ => self.unknown(key, RULE)?,
            }
            self.path.pop();
        }
        Ok(raw)
    }

    #[allow(clippy::too_many_lines)] // one arm per member, then the core attributes
    fn entity(&mut self, v: &Value, inline_link: bool) -> Result<Entity, ParseError> {
        const RULE: &str = "entity";
        let m = self.object(v, RULE)?;
        let is_link = inline_link || m.contains_key("source") || m.contains_key("target");
        let Some(kind) = m.get("kind") else {
            return Err(self.error(
                ParseErrorKind::Structure,
                RULE,
                None,
                "a \"kind\" member",
                "the entity has no kind",
            ));
        };
        self.path.push("kind".into());
        let kind = self.category_ref(kind, RULE)?;
        self.path.pop();
        let mut mixins = Vec::new();
        let mut actions = Vec::new();
        let mut location = None;
        let mut attributes = Attributes::new();
        let mut links = Vec::new();
        let mut source = None;
        let mut target = None;
        for (key, value) in m {
            self.path.push(key.clone());
            match key.as_str() {
                "kind" => {}
                "mixins" => {
                    for (i, item) in self.array(value, RULE)?.iter().enumerate() {
                        self.path.push(format!("[{i}]"));
                        let id = self.category_ref(item, RULE)?;
                        if !mixins.contains(&id) {
                            mixins.push(id);
                        }
                        self.path.pop();
                    }
                }
                "actions" => {
                    for (i, item) in self.array(value, RULE)?.iter().enumerate() {
                        self.path.push(format!("[{i}]"));
                        let a = self.object(item, RULE)?;
                        let Some(k) = a.get("kind") else {
                            return Err(self.error(
                                ParseErrorKind::Structure,
                                RULE,
                                None,
                                "a \"kind\" member",
                                "the action has no kind",
                            ));
                        };
                        let id = self.category_ref(k, RULE)?;
                        if let Some(link) = a.get("link") {
                            let link = self.string(link, RULE, "link")?;
                            if location.is_none()
                                && let Some((path, _)) = link.split_once("?action=")
                                && let Ok(l) = Location::new(path)
                            {
                                location = Some(l);
                            }
                        }
                        for other in a.keys().filter(|k| *k != "kind" && *k != "link") {
                            self.unknown(other, "action link")?;
                        }
                        if !actions.contains(&id) {
                            actions.push(id);
                        }
                        self.path.pop();
                    }
                }
                "attributes" => {
                    for (name, value) in self.object(value, RULE)? {
                        let attr = self.ident(
                            intern::attribute_name(name, OcciVersion::V1_2),
                            RULE,
                            name,
                        )?;
                        let value = self.value(value, name)?;
                        attributes.insert(attr, value);
                    }
                }
                "links" if !is_link => {
                    for (i, item) in self.array(value, RULE)?.iter().enumerate() {
                        self.path.push(format!("[{i}]"));
                        if let Entity::Link(l) = self.entity(item, true)? {
                            links.push(l);
                        }
                        self.path.pop();
                    }
                }
                "source" if is_link => {
                    let s = self.string(value, RULE, key)?;
                    source = Some(self.ident(Location::new(s), RULE, key)?);
                }
                "target" if is_link => {
                    let s = self.string(value, RULE, key)?;
                    target = Some(self.ident(Location::new(s), RULE, key)?);
                }
                _ => self.unknown(key, RULE)?,
            }
            self.path.pop();
        }
        let mut take_string = |name: &str| match attributes.remove(name) {
            Some(AttributeValue::String(s)) => Some(s),
            Some(other) => {
                let name = AttributeName::new(name).expect("core names are valid");
                attributes.insert(name, other);
                None
            }
            None => None,
        };
        let id = take_string(core_attr::ID);
        let title = take_string(core_attr::TITLE);
        let summary = if is_link {
            None
        } else {
            take_string(core_attr::SUMMARY)
        };
        let (core_source, core_target) = if is_link {
            (
                take_string(core_attr::SOURCE),
                take_string(core_attr::TARGET),
            )
        } else {
            (None, None)
        };
        let id = id
            .map(|s| self.ident(EntityId::new(&s), RULE, core_attr::ID))
            .transpose()?;
        if location.is_none()
            && let Some(id) = &id
            && id.as_str().starts_with('/')
        {
            location = Location::new(id.as_str()).ok();
        }
        if is_link {
            let source = match (source, core_source) {
                (Some(s), _) => Some(s),
                (None, Some(s)) => Some(self.ident(Location::new(&s), RULE, core_attr::SOURCE)?),
                (None, None) => None,
            };
            let target = match (target, core_target) {
                (Some(t), _) => Some(t),
                (None, Some(t)) => Some(self.ident(Location::new(&t), RULE, core_attr::TARGET)?),
                (None, None) => None,
            };
            Ok(Entity::Link(Link {
                id,
                kind,
                mixins,
                title,
                source,
                target,
                source_kind: None,
                target_kind: None,
                attributes,
                actions,
                location,
            }))
        } else {
            Ok(Entity::Resource(Resource {
                id,
                kind,
                mixins,
                title,
                summary,
                attributes,
                links,
                actions,
                location,
            }))
        }
    }

    fn value(&self, v: &Value, name: &str) -> Result<AttributeValue, ParseError> {
        Ok(match v {
            Value::String(s) => AttributeValue::String(s.clone()),
            Value::Bool(b) => AttributeValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => AttributeValue::Integer(i),
                None => n.as_f64().and_then(AttributeValue::float).ok_or_else(|| {
                    self.error(
                        ParseErrorKind::Value,
                        "attributes",
                        Some(name),
                        "a finite number",
                        "a number out of range",
                    )
                })?,
            },
            Value::Array(items) => AttributeValue::List(
                items
                    .iter()
                    .map(|i| self.value(i, name))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => AttributeValue::Map(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), self.value(v, name)?)))
                    .collect::<Result<BTreeMap<_, _>, ParseError>>()?,
            ),
            Value::Null => {
                return Err(self.error(
                    ParseErrorKind::Value,
                    "attributes",
                    Some(name),
                    "a string",
                    format_args!("{name} is null"),
                ));
            }
        })
    }
}

fn category_ref(id: &CategoryId) -> Value {
    let mut m = Map::new();
    m.insert("scheme".into(), Value::from(id.scheme().as_str()));
    m.insert("term".into(), Value::from(id.term().as_str()));
    Value::Object(m)
}

/// A value as PySSF holds it: scalars as strings.
fn string_value(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::String(s) => Value::from(s.as_str()),
        AttributeValue::Integer(i) => Value::from(i.to_string()),
        AttributeValue::Float(f) => Value::from(f.to_string()),
        AttributeValue::Bool(b) => Value::from(b.to_string()),
        AttributeValue::List(items) => Value::Array(items.iter().map(string_value).collect()),
        AttributeValue::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), string_value(v)))
                .collect(),
        ),
    }
}

#[allow(clippy::too_many_arguments)] // the parts every entity shares
fn entity_value(
    kind: &CategoryId,
    mixins: &[CategoryId],
    actions: &[CategoryId],
    anchor: &str,
    attributes: &Attributes,
    core: &[(&str, Option<&str>)],
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("kind".into(), category_ref(kind));
    m.insert(
        "mixins".into(),
        Value::Array(mixins.iter().map(category_ref).collect()),
    );
    m.insert(
        "actions".into(),
        Value::Array(
            actions
                .iter()
                .map(|a| {
                    let mut o = Map::new();
                    o.insert("kind".into(), category_ref(a));
                    o.insert(
                        "link".into(),
                        Value::from(format!("{anchor}?action={}", a.term().as_str())),
                    );
                    Value::Object(o)
                })
                .collect(),
        ),
    );
    let mut attrs: Map<String, Value> = attributes
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), string_value(v)))
        .collect();
    for (name, value) in core {
        if let Some(v) = value {
            attrs.insert((*name).to_owned(), Value::from(*v));
        }
    }
    m.insert("attributes".into(), Value::Object(attrs));
    m
}

fn anchor<'e>(location: Option<&'e Location>, id: Option<&'e EntityId>) -> &'e str {
    location
        .map(Location::as_str)
        .or(id.map(EntityId::as_str))
        .unwrap_or_default()
}

fn link_value(l: &Link) -> Value {
    let mut m = entity_value(
        &l.kind,
        &l.mixins,
        &l.actions,
        anchor(l.location.as_ref(), l.id.as_ref()),
        &l.attributes,
        &[
            (core_attr::ID, l.id.as_ref().map(EntityId::as_str)),
            (core_attr::TITLE, l.title.as_deref()),
        ],
    );
    m.insert(
        "source".into(),
        Value::from(l.source.as_ref().map_or("", Location::as_str)),
    );
    m.insert(
        "target".into(),
        Value::from(l.target.as_ref().map_or("", Location::as_str)),
    );
    Value::Object(m)
}

fn entity_to_value(e: &Entity) -> Value {
    match e {
        Entity::Link(l) => link_value(l),
        Entity::Resource(r) => {
            let mut m = entity_value(
                &r.kind,
                &r.mixins,
                &r.actions,
                anchor(r.location.as_ref(), r.id.as_ref()),
                &r.attributes,
                &[
                    (core_attr::ID, r.id.as_ref().map(EntityId::as_str)),
                    (core_attr::TITLE, r.title.as_deref()),
                    (core_attr::SUMMARY, r.summary.as_deref()),
                ],
            );
            m.insert(
                "links".into(),
                Value::Array(r.links.iter().map(link_value).collect()),
            );
            Value::Object(m)
        }
    }
}

fn flag(d: &AttributeDefinition) -> &'static str {
    if d.required {
        "required"
    } else if !d.mutable {
        "immutable"
    } else {
        "muttable"
    }
}

fn category_value(c: &Category) -> Value {
    let Value::Object(mut m) = category_ref(c.id()) else {
        unreachable!("category_ref gives an object")
    };
    if let Some(t) = c.title().filter(|t| !t.is_empty()) {
        m.insert("title".into(), Value::from(t));
    }
    let related: Vec<&CategoryId> = match c {
        Category::Kind(k) => k.parent.iter().collect(),
        Category::Mixin(x) => x.depends.iter().collect(),
        Category::Action(_) => Vec::new(),
    };
    if !related.is_empty() {
        m.insert(
            "related".into(),
            related.iter().map(|r| Value::from(r.to_string())).collect(),
        );
    }
    if let Some(l) = c.location() {
        m.insert("location".into(), Value::from(l.as_str()));
    }
    if !c.attributes().is_empty() {
        m.insert(
            "attributes".into(),
            Value::Object(
                c.attributes()
                    .iter()
                    .map(|d| (d.name.as_str().to_owned(), Value::from(flag(d))))
                    .collect(),
            ),
        );
    }
    if !c.actions().is_empty() {
        m.insert(
            "actions".into(),
            c.actions()
                .iter()
                .map(|a| Value::from(a.to_string()))
                .collect(),
        );
    }
    Value::Object(m)
}

fn pretty(v: &Value) -> String {
    // A Value holds string keys only: serialisation cannot fail.
    serde_json::to_string_pretty(v).expect("values always serialise")
}

/// Renders an entity as PySSF does.
pub fn render_entity(entity: &Entity) -> String {
    pretty(&entity_to_value(entity))
}

/// Renders a collection: a JSON array of entities.
pub fn render_entities(entities: &[Entity]) -> String {
    pretty(&Value::Array(
        entities.iter().map(entity_to_value).collect(),
    ))
}

/// Renders a query interface: a JSON array of categories, without classes.
pub fn render_categories(categories: &[Category]) -> String {
    pretty(&Value::Array(
        categories.iter().map(category_value).collect(),
    ))
}
