//! The application/occi+json rendering (GFD.225, "J12") and the PySSF legacy JSON dialect
//! (`pyssf`).
//!
//! Parsers take the body as bytes plus [`ParseOptions`] and return a [`Parsed`] value or a
//! [`ParseError`] whose diagnostic carries the line and column `serde_json` reports, the schema
//! definition that failed as its rule (`resource`, `link`, `kind`, `attribute_description`,
//! `json-text` for syntax, ...) and, in the message, the member path of the value, such as
//! `resources[0].attributes.occi.compute.cores`. Renderers are infallible and canonical:
//! compact JSON, members in the order of the schema's property lists, empty optional
//! arrays and objects left out.
//!
//! ```
//! use occi_render::{ParseOptions, json};
//! let body = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute",
//!                 "id":"urn:uuid:5d4d1e5c-2b7f-4a0f-9e3c-0c1f2b3a4d5e",
//!                 "attributes":{"occi.compute.cores":2,"occi.compute.memory":4.0}}"#;
//! let parsed = json::parse_entity(body, &ParseOptions::strict())?;
//! let vm = parsed.value.as_resource().unwrap();
//! assert_eq!(vm.attributes["occi.compute.cores"].as_i64(), Some(2));
//! assert_eq!(
//!     json::render_entity(&parsed.value),
//!     "{\"kind\":\"http://schemas.ogf.org/occi/infrastructure#compute\",\
//!      \"attributes\":{\"occi.compute.cores\":2,\"occi.compute.memory\":4.0},\
//!      \"id\":\"urn:uuid:5d4d1e5c-2b7f-4a0f-9e3c-0c1f2b3a4d5e\"}"
//! );
//! # Ok::<(), occi_render::ParseError>(())
//! ```
//!
//! # Values
//!
//! A JSON number without fraction or exponent that fits an `i64` is an
//! [`AttributeValue::Integer`](occi_model::AttributeValue::Integer), any other number a
//! `Float`; booleans, strings, arrays and objects are `Bool`, `String`, `List` and `Map`.
//! `null` is not a value: strict parsing rejects it, lenient parsing drops the attribute
//! (a [`DeviationKind::Other`](crate::DeviationKind::Other)). Whether a value has the type its definition asks for (JSN-014:
//! `"occi.compute.cores":"2"`) is for validation against the registry to decide; the parser
//! keeps the type the document used.
//!
//! # Attribute descriptions
//!
//! J12 §3.5.1 knows five types; the model's finer types travel in the JSON Schema `pattern`:
//!
//! | model | `type` | `pattern` |
//! |---|---|---|
//! | `String` | `"string"` | only with a regex: `{"type":"string","pattern":…}` |
//! | `Enum(v)` | `"string"` | `{"type":"string","enum":v}` |
//! | `Integer` | `"number"` | `{"type":"integer"}` |
//! | `Float` | `"number"` | only with a range: `{"type":"number",…}` |
//! | `Boolean`, `List`, `Map` | `"boolean"`, `"array"`, `"object"` | — |
//!
//! A [`NumericRange`](occi_model::NumericRange) adds `minimum`/`maximum` to the pattern.
//! Every rendered pattern carries `"$schema"` (J12 recommends it). Absent members take the J12
//! defaults (`mutable` false, `required` false, `type` `"string"`), and the renderer always
//! emits `mutable` and `required`: a description that leaves out `"mutable": true` would
//! advertise the attribute as immutable. A `default` must have the declared type (an integer
//! default of a `number` attribute without `{"type":"integer"}` is read as a float); one that
//! does not is an error. J12's table allows array and object defaults, the schema does not:
//! both modes accept them. Other JSON Schema keywords in a `pattern` are skipped: the model
//! has no place for them. Only the flat form `{"name": description}` is read; the schema's
//! recursive form, which would nest names by their dots, is not what J12 §3.5 describes.
//!
//! # Strict and lenient parsing, and the decisions where J12 is ambiguous (J12 §4.4 of our spec)
//!
//! * **Unknown members.** The schema says `additionalProperties: false` everywhere: strict
//!   parsing rejects an unknown member, lenient parsing skips it and reports a
//!   [`DeviationKind::UnknownMember`](crate::DeviationKind::UnknownMember) (JSN-013). The `"location:"` member name of the J12
//!   examples is read as `location` leniently ([`DeviationKind::Other`](crate::DeviationKind::Other)).
//! * **`id` in a create request.** The schema requires `id` on resources and links; a client
//!   cannot know it. Lenient parsing accepts its absence ([`DeviationKind::MissingMember`](crate::DeviationKind::MissingMember),
//!   JSN-010) and leaves [`Resource::id`](occi_model::Resource::id) `None`; strict parsing
//!   follows the schema. Likewise a link without `source` or `target`, and a mixin without
//!   `location`, are accepted leniently. `kind`, `term`, `scheme` and `action` are required
//!   in both modes (JSN-015).
//! * **Core attributes inside `attributes`.** rOCCI renders `occi.core.id`, `title` and
//!   `summary` (and for links `occi.core.source`, `target`, `source.kind`, `target.kind`)
//!   both as members and inside `attributes`. Both modes accept that (the schema allows any
//!   attribute name); the values go into the model fields, a value that contradicts its
//!   member is an error, and the renderer emits them once, as members.
//! * **Links.** An entity object is a link when it has `source`, `target` or `rel`. A link's
//!   `rel` (in the schema, not in J12's tables) is read as the target's kind when
//!   `target.kind` is absent and is never emitted. Link objects inside a resource's `links`
//!   are full link objects.
//! * **Entity locations** have no member in J12; parsed entities have no `location`, and
//!   rendering does not emit one.
//! * **`application/json`.** Peers following the OCCIware/erocci documentation send the same
//!   J12 shapes as `application/json`; [`crate::media`] maps both media types onto this
//!   rendering, so nothing here depends on which one was used.
//! * **Category class.** In a `kinds`/`mixins`/`actions` array the class is known. A lone
//!   category object ([`parse_category`]) has none: it is a Kind if it has `parent` or a
//!   Core scheme, else a Mixin if it has `location`, `depends` or `applies`, else a Kind if
//!   it has `actions`, else an Action. A Kind without `location` is accepted (J12 requires
//!   one except for `core#entity`, the schema does not).
//! * **Mixin association** (J12 has no "list of locations" object; spec §4.3): see
//!   [`parse_mixin_association`].
//! * **Duplicate members** in `attributes` or a value object, and duplicate attribute
//!   descriptions, are errors in both modes (`serde_json` would keep the last silently).
//!
//! Documents are bounded: more than [`ParseOptions::max_items`] array elements and object
//! members in total is a [`ParseErrorKind::TooLarge`] error, and nesting deeper than 128
//! levels is a syntax error (`serde_json`'s recursion limit), never a stack overflow.

mod de;
pub mod pyssf;
mod ser;

use occi_model::{
    Action, ActionInvocation, Category, CategoryClass, Entity, EntityId, Kind, Link, Location,
    Mixin, Resource,
};
use serde::de::DeserializeSeed;

use crate::{
    Deviation, Diagnostic, ParseError, ParseErrorKind, ParseOptions, Parsed, Position, Rendering,
};

pub use ser::{
    render_action, render_action_invocation, render_categories, render_category, render_entity,
    render_entity_collection, render_kind, render_link, render_mixin, render_mixin_association,
    render_resource,
};

/// A collection of entities: `{"resources":[…]}`, `{"links":[…]}` or both (J12 §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityCollection {
    /// The resources, in document order.
    pub resources: Vec<Resource>,
    /// The links, in document order.
    pub links: Vec<Link>,
}

impl FromIterator<Entity> for EntityCollection {
    /// Sorts entities into resources and links, keeping their order within each.
    fn from_iter<I: IntoIterator<Item = Entity>>(entities: I) -> Self {
        let mut out = Self::default();
        for entity in entities {
            match entity {
                Entity::Resource(r) => out.resources.push(r),
                Entity::Link(l) => out.links.push(l),
            }
        }
        out
    }
}

/// A collection of categories: `{"kinds":[…]}`, `{"mixins":[…]}`, `{"actions":[…]}` or the
/// `model` object holding several (J12 §3.4), which is what the query interface answers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CategoryCollection {
    /// The Kinds, in document order.
    pub kinds: Vec<Kind>,
    /// The Mixins, in document order.
    pub mixins: Vec<Mixin>,
    /// The Actions, in document order.
    pub actions: Vec<Action>,
}

impl CategoryCollection {
    /// Every category, Kinds first, then Mixins, then Actions.
    pub fn into_categories(self) -> Vec<Category> {
        self.kinds
            .into_iter()
            .map(Category::Kind)
            .chain(self.mixins.into_iter().map(Category::Mixin))
            .chain(self.actions.into_iter().map(Category::Action))
            .collect()
    }

    /// Sorts `categories` into a collection, keeping their order within each class.
    pub fn from_categories(categories: impl IntoIterator<Item = Category>) -> Self {
        let mut out = Self::default();
        for c in categories {
            match c {
                Category::Kind(k) => out.kinds.push(k),
                Category::Mixin(m) => out.mixins.push(m),
                Category::Action(a) => out.actions.push(a),
            }
        }
        out
    }
}

/// An entity named in a mixin association request: by its location or by its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntityRef {
    /// The entity's location (`/compute/1`).
    Location(Location),
    /// The entity's `occi.core.id`.
    Id(EntityId),
}

/// The JSON text being read: a `str` when the whole input is valid UTF-8 (checked once, so
/// strings are not checked again one by one), else the bytes as they are, read exactly as
/// before that check existed (the first bad sequence ends in an encoding error).
enum Reader<'de> {
    Text(serde_json::Deserializer<serde_json::de::StrRead<'de>>),
    Bytes(serde_json::Deserializer<serde_json::de::SliceRead<'de>>),
}

impl<'de> Reader<'de> {
    fn new(input: &'de [u8]) -> Self {
        match std::str::from_utf8(input) {
            Ok(text) => Self::Text(serde_json::Deserializer::from_str(text)),
            Err(_) => Self::Bytes(serde_json::Deserializer::from_slice(input)),
        }
    }

    /// Reads one value with `seed`.
    fn read<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, serde_json::Error> {
        match self {
            Self::Text(d) => seed.deserialize(d),
            Self::Bytes(d) => seed.deserialize(d),
        }
    }

    /// Checks that only whitespace follows the value.
    fn end(&mut self) -> Result<(), serde_json::Error> {
        match self {
            Self::Text(d) => d.end(),
            Self::Bytes(d) => d.end(),
        }
    }
}

fn run<'de, T>(
    input: &'de [u8],
    options: &ParseOptions,
    f: impl FnOnce(&mut de::Ctx<'de>, &mut Reader<'de>) -> Result<T, serde_json::Error>,
) -> Result<Parsed<T>, ParseError> {
    let mut ctx = de::Ctx::new(options.is_strict(), options.max_items());
    let mut reader = Reader::new(input);
    let result = f(&mut ctx, &mut reader).and_then(|v| reader.end().map(|()| v));
    let text = |input: &'de [u8]| std::str::from_utf8(input).map_err(|e| encoding_error(input, &e));
    match result {
        Ok(value) => {
            let deviations = if ctx.deviations.is_empty() {
                Vec::new()
            } else {
                let text = text(input)?;
                ctx.deviations
                    .into_iter()
                    .map(|d| {
                        let offset = d
                            .key
                            .and_then(|k| text.find(&format!("\"{k}\"")))
                            .unwrap_or(0);
                        Deviation::new(Position::locate(text, offset), d.kind, d.message)
                    })
                    .collect()
            };
            Ok(Parsed { value, deviations })
        }
        Err(e) => Err(convert_error(text(input)?, &e, &ctx)),
    }
}

fn encoding_error(input: &[u8], e: &std::str::Utf8Error) -> ParseError {
    let text = std::str::from_utf8(&input[..e.valid_up_to()]).unwrap_or_default();
    let mut position = Position::locate(text, text.len());
    position.offset = e.valid_up_to();
    ParseError::new(
        Rendering::Json,
        Diagnostic::new(
            position,
            ParseErrorKind::Encoding,
            "json-text",
            "UTF-8",
            "the document is not valid UTF-8",
        ),
    )
}

/// The position of `serde_json`'s 1-based line and (byte) column.
fn position_of(text: &str, line: usize, column: usize) -> Position {
    if line == 0 {
        return Position::locate(text, text.len());
    }
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    // serde_json reports the column of the last byte read; point at it.
    Position::locate(text, start + column.saturating_sub(1))
}

fn convert_error(text: &str, e: &serde_json::Error, ctx: &de::Ctx<'_>) -> ParseError {
    let position = position_of(text, e.line(), e.column());
    let diagnostic = if let Some(f) = &ctx.failure {
        Diagnostic::new(
            position,
            f.kind,
            f.rule,
            f.expected.clone(),
            f.message.clone(),
        )
    } else {
        let path = ctx.path();
        let mut message = e.to_string();
        // serde_json appends " at line L column C"; the position says that already.
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        if !path.is_empty() {
            message = format!("at {path}: {message}");
        }
        let (kind, expected) = match e.classify() {
            serde_json::error::Category::Eof => (ParseErrorKind::Syntax, "more input"),
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                (ParseErrorKind::Syntax, "")
            }
            serde_json::error::Category::Data => (ParseErrorKind::Structure, ""),
        };
        let rule = if kind == ParseErrorKind::Syntax {
            "json-text"
        } else {
            "schema"
        };
        Diagnostic::new(position, kind, rule, expected, message)
    };
    ParseError::new(Rendering::Json, diagnostic)
}

/// Parses a Resource or a Link (J12 §3.1): a link is recognised by `source`, `target` or
/// `rel` members.
pub fn parse_entity(input: &[u8], options: &ParseOptions) -> Result<Parsed<Entity>, ParseError> {
    run(input, options, |ctx, d| {
        d.read(de::EntitySeed {
            ctx,
            expect: de::Expect::Any,
        })
    })
}

/// Parses a Resource (J12 §3.1.1); `source`/`target` members are unknown members here.
pub fn parse_resource(
    input: &[u8],
    options: &ParseOptions,
) -> Result<Parsed<Resource>, ParseError> {
    run(input, options, |ctx, d| {
        d.read(de::EntitySeed {
            ctx,
            expect: de::Expect::Resource,
        })
        .map(|e| match e {
            Entity::Resource(r) => r,
            Entity::Link(_) => unreachable!("a resource seed gives resources"),
        })
    })
}

/// Parses a Link (J12 §3.1.2).
pub fn parse_link(input: &[u8], options: &ParseOptions) -> Result<Parsed<Link>, ParseError> {
    run(input, options, |ctx, d| {
        d.read(de::EntitySeed {
            ctx,
            expect: de::Expect::Link,
        })
        .map(|e| match e {
            Entity::Link(l) => l,
            Entity::Resource(_) => unreachable!("a link seed gives links"),
        })
    })
}

fn model_doc(
    input: &[u8],
    options: &ParseOptions,
    check: impl FnOnce(&de::ModelDoc) -> Option<&'static str>,
) -> Result<Parsed<de::ModelDoc>, ParseError> {
    run(input, options, |ctx, d| {
        let doc = d.read(de::ModelSeed { ctx: &mut *ctx })?;
        if let Some(problem) = check(&doc) {
            return Err(de::custom_failure(
                ctx,
                ParseErrorKind::Structure,
                "model",
                "",
                problem,
            ));
        }
        Ok(doc)
    })
}

/// Parses an entity collection: `{"resources":[…]}`, `{"links":[…]}` or an object with both
/// (J12 §3.3, the schema's `model`). Category members are an error.
pub fn parse_entity_collection(
    input: &[u8],
    options: &ParseOptions,
) -> Result<Parsed<EntityCollection>, ParseError> {
    let parsed = model_doc(input, options, |doc| {
        if doc.kinds.is_some() || doc.mixins.is_some() || doc.actions.is_some() {
            Some("an entity collection holds no kinds, mixins or actions")
        } else if doc.resources.is_none() && doc.links.is_none() {
            Some("an entity collection needs a \"resources\" or \"links\" member")
        } else {
            None
        }
    })?;
    Ok(parsed.map(|doc| EntityCollection {
        resources: doc.resources.unwrap_or_default(),
        links: doc.links.unwrap_or_default(),
    }))
}

/// Parses a category collection: `{"kinds":[…]}`, `{"mixins":[…]}`, `{"actions":[…]}` or the
/// `model` object with any of them, which is the query interface (J12 §3.4). Entity members
/// are an error. An empty object is an empty collection.
pub fn parse_categories(
    input: &[u8],
    options: &ParseOptions,
) -> Result<Parsed<CategoryCollection>, ParseError> {
    let parsed = model_doc(input, options, |doc| {
        (doc.resources.is_some() || doc.links.is_some())
            .then_some("a category collection holds no resources or links")
    })?;
    Ok(parsed.map(|doc| CategoryCollection {
        kinds: doc.kinds.unwrap_or_default(),
        mixins: doc.mixins.unwrap_or_default(),
        actions: doc.actions.unwrap_or_default(),
    }))
}

/// Parses one category object whose class is unknown (see the module docs for how the
/// class is decided).
pub fn parse_category(
    input: &[u8],
    options: &ParseOptions,
) -> Result<Parsed<Category>, ParseError> {
    run(input, options, |ctx, d| {
        d.read(de::CategorySeed { ctx, class: None })
    })
}

fn parse_class(
    input: &[u8],
    options: &ParseOptions,
    class: CategoryClass,
) -> Result<Parsed<Category>, ParseError> {
    run(input, options, |ctx, d| {
        d.read(de::CategorySeed {
            ctx,
            class: Some(class),
        })
    })
}

/// Parses a Kind (J12 §3.2.1).
pub fn parse_kind(input: &[u8], options: &ParseOptions) -> Result<Parsed<Kind>, ParseError> {
    parse_class(input, options, CategoryClass::Kind).map(|p| {
        p.map(|c| match c {
            Category::Kind(k) => k,
            _ => unreachable!("a kind seed gives kinds"),
        })
    })
}

/// Parses a Mixin (J12 §3.2.2).
pub fn parse_mixin(input: &[u8], options: &ParseOptions) -> Result<Parsed<Mixin>, ParseError> {
    parse_class(input, options, CategoryClass::Mixin).map(|p| {
        p.map(|c| match c {
            Category::Mixin(m) => m,
            _ => unreachable!("a mixin seed gives mixins"),
        })
    })
}

/// Parses an Action (J12 §3.2.3).
pub fn parse_action(input: &[u8], options: &ParseOptions) -> Result<Parsed<Action>, ParseError> {
    parse_class(input, options, CategoryClass::Action).map(|p| {
        p.map(|c| match c {
            Category::Action(a) => a,
            _ => unreachable!("an action seed gives actions"),
        })
    })
}

/// Parses an action invocation (J12 §3.1.1.1): `{"action": …, "attributes"?: {…}}`. The
/// `action` member is required in both modes (JSN-015). `occi.core.*` names in the
/// attributes are ordinary parameters here.
pub fn parse_action_invocation(
    input: &[u8],
    options: &ParseOptions,
) -> Result<Parsed<ActionInvocation>, ParseError> {
    run(input, options, |ctx, d| d.read(de::InvocationSeed { ctx }))
}

/// Parses a mixin association request: the entities to add to (POST) or set as (PUT) a
/// Mixin's collection.
///
/// J12 defines no list of locations (spec §4.3), so this reads, in both modes, an object
/// with any of:
///
/// * `"resources"` and `"links"`: arrays of entity objects, each naming its entity by a
///   `"location"` member (not in the schema; preferred when present) or by its `"id"`; their
///   other members are ignored (the request may carry whole renderings);
/// * `"locations"`: an array of location strings (rOCCI's `locations.json`).
///
/// Other top-level members are unknown members (strict: error; lenient: ignored). The
/// references come back in document order.
pub fn parse_mixin_association(
    input: &[u8],
    options: &ParseOptions,
) -> Result<Parsed<Vec<EntityRef>>, ParseError> {
    run(input, options, |ctx, d| {
        let refs = d.read(de::AssociationSeed { ctx: &mut *ctx })?;
        let mut out = Vec::with_capacity(refs.len());
        for r in refs {
            out.push(match r {
                de::RefDoc::Location(l) => EntityRef::Location(Location::new(&l).map_err(|e| {
                    de::custom_failure(
                        ctx,
                        ParseErrorKind::Identifier,
                        "mixin-association",
                        "a location",
                        &e.to_string(),
                    )
                })?),
                de::RefDoc::Id(id) => EntityRef::Id(EntityId::new(&id).map_err(|e| {
                    de::custom_failure(
                        ctx,
                        ParseErrorKind::Identifier,
                        "mixin-association",
                        "an entity id",
                        &e.to_string(),
                    )
                })?),
            });
        }
        Ok(out)
    })
}
