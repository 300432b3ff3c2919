//! The body rendering: `text/plain` and `text/occi+plain` (one structure per line).
//!
//! ```
//! use occi_render::{ParseOptions, text::plain};
//! let body = "X-OCCI-Location: /compute/1\r\nX-OCCI-Location: /compute/2\r\n";
//! let locations = plain::parse_locations(body, &ParseOptions::strict())?.value;
//! assert_eq!(locations.len(), 2);
//! assert_eq!(plain::render_locations(&locations), body);
//! # Ok::<(), occi_render::ParseError>(())
//! ```

use occi_model::{ActionInvocation, Category, Entity, Location, Registry};

use super::render::{self, Lines};
use super::{Purpose, ReadContext, TextDocument, convert, parse};
use crate::{Filter, ParseError, ParseOptions, Parsed, Rendering};

const R: Rendering = Rendering::TextPlain;

/// Parses a body into its structures, without interpreting them.
pub fn parse_document(
    input: &str,
    options: &ParseOptions,
) -> Result<Parsed<TextDocument>, ParseError> {
    parse::parse_plain(input, options, &ReadContext::new(Purpose::Document))
}

/// Parses into structures in `context`: lenient parsing infers the class of a Category that
/// has none from it, and skips one bad value of a list (see [`ReadContext`]).
pub fn parse_document_in(
    input: &str,
    options: &ParseOptions,
    context: &ReadContext<'_>,
) -> Result<Parsed<TextDocument>, ParseError> {
    parse::parse_plain(input, options, context)
}

/// Parses an entity (a Resource or a Link; see the [module docs](super) for how a Link
/// rendering is recognised, with or without `registry`). A Resource in the canonical form
/// is read in one pass; see the [module docs](super#parsing).
pub fn parse_entity(
    input: &str,
    options: &ParseOptions,
    registry: Option<&Registry>,
) -> Result<Parsed<Entity>, ParseError> {
    if let Some(value) = super::canonical::entity(input, options, registry) {
        return Ok(Parsed {
            value,
            deviations: Vec::new(),
        });
    }
    parse_entity_by_grammar(input, options, registry)
}

/// [`parse_entity`] without the one-pass reader of the canonical form.
pub(crate) fn parse_entity_by_grammar(
    input: &str,
    options: &ParseOptions,
    registry: Option<&Registry>,
) -> Result<Parsed<Entity>, ParseError> {
    let mut context = ReadContext::new(Purpose::Entity);
    if let Some(registry) = registry {
        context = context.with_registry(registry);
    }
    let mut doc = parse_document_in(input, options, &context)?;
    super::last_attribute_wins(&mut doc, options);
    let value = convert::entity(R, doc.value, registry)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses a category collection: a query interface response, or the body of a user Mixin
/// `POST`/`DELETE` on the query interface.
pub fn parse_categories(
    input: &str,
    options: &ParseOptions,
) -> Result<Parsed<Vec<Category>>, ParseError> {
    let mut doc = parse_document_in(input, options, &ReadContext::new(Purpose::Categories))?;
    let value = convert::categories(R, options, doc.value, &mut doc.deviations)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses a query interface response. Unlike [`parse_categories`], lenient parsing reports
/// one bad Category as a deviation and reads the others (a real rOCCI-server query
/// interface has one action whose scheme holds a space).
pub fn parse_query_interface(
    input: &str,
    options: &ParseOptions,
) -> Result<Parsed<Vec<Category>>, ParseError> {
    let context = ReadContext::new(Purpose::QueryInterface);
    let mut doc = parse_document_in(input, options, &context)?;
    let value = convert::categories(R, options, doc.value, &mut doc.deviations)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses an action invocation: one Action Category and its parameter attributes.
pub fn parse_action_invocation(
    input: &str,
    options: &ParseOptions,
) -> Result<Parsed<ActionInvocation>, ParseError> {
    let mut doc = parse_document_in(input, options, &ReadContext::new(Purpose::ActionInvocation))?;
    super::last_attribute_wins(&mut doc, options);
    let value = convert::action_invocation(R, doc.value)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses a location list (a collection listing, or a Mixin association body).
pub fn parse_locations(
    input: &str,
    options: &ParseOptions,
) -> Result<Parsed<Vec<Location>>, ParseError> {
    let doc = parse_document_in(input, options, &ReadContext::new(Purpose::Locations))?;
    let value = convert::locations(R, doc.value)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses a filter: Categories (by id) and attribute values.
pub fn parse_filter(input: &str, options: &ParseOptions) -> Result<Parsed<Filter>, ParseError> {
    let doc = parse_document_in(input, options, &ReadContext::new(Purpose::Filter))?;
    let value = convert::filter(R, doc.value)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Renders the structures of a document canonically. What the grammar cannot carry is left
/// out: the attributes of a link without `category`, and link attributes named `rel`, `self`
/// or `category`.
pub fn render_document(document: &TextDocument) -> String {
    let mut out = Lines::default();
    render::document(&mut out, document);
    out.0
}

/// Renders an entity (short Category form, CRLF line endings).
pub fn render_entity(entity: &Entity) -> String {
    let mut out = Lines(String::with_capacity(1024));
    render::entity(&mut out, entity);
    out.0
}

/// Renders categories in the full query interface form.
pub fn render_categories(categories: &[Category]) -> String {
    let mut out = Lines::default();
    render::categories(&mut out, categories);
    out.0
}

/// Renders an action invocation.
pub fn render_action_invocation(invocation: &ActionInvocation) -> String {
    let mut out = Lines::default();
    render::action_invocation(&mut out, invocation);
    out.0
}

/// Renders a location list as `X-OCCI-Location` lines.
pub fn render_locations(locations: &[Location]) -> String {
    let mut out = Lines::default();
    render::locations(&mut out, locations);
    out.0
}

/// Parses a partial update of an entity of Kind `kind` (H11 §3.4.4: only what changes is
/// sent): like [`parse_entity`], but the Kind Category may be left out.
pub fn parse_entity_update(
    input: &str,
    options: &ParseOptions,
    registry: &Registry,
    kind: &occi_model::CategoryId,
) -> Result<Parsed<Entity>, ParseError> {
    let context = ReadContext::new(Purpose::Entity).with_registry(registry);
    let mut doc = parse_document_in(input, options, &context)?;
    super::default_kind(&mut doc.value, kind);
    super::last_attribute_wins(&mut doc, options);
    let value = convert::entity(R, doc.value, Some(registry))?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}
