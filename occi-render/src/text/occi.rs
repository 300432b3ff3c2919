//! The header rendering: `text/occi` (OCCI structures in HTTP header fields; on success the
//! body is `OK`, which is the server's business).
//!
//! Parsers read the `Category`, `Link`, `X-OCCI-Attribute` and `X-OCCI-Location` fields of
//! an [`HeaderMap`] (repeated fields and comma-separated values alike) and ignore every other
//! field. Positions count the OCCI fields read (Category fields first, then Link,
//! X-OCCI-Attribute and X-OCCI-Location) as lines, and columns within the field value.
//! Renderers append one field per structure name with comma-separated values (RECOMMENDED
//! by H11 §3.5 "for best interoperability").
//!
//! ```
//! use http::HeaderMap;
//! use occi_render::{ParseOptions, text::occi};
//! let mut headers = HeaderMap::new();
//! headers.append("category", "compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"".parse().unwrap());
//! headers.append("x-occi-attribute", "occi.compute.cores=2".parse().unwrap());
//! headers.append("x-occi-attribute", "occi.core.title=\"web\"".parse().unwrap());
//! let entity = occi::parse_entity(&headers, &ParseOptions::strict(), None)?.value;
//! let rendered = occi::render_entity(&entity);
//! assert_eq!(rendered["x-occi-attribute"], "occi.core.title=\"web\", occi.compute.cores=2");
//! # Ok::<(), occi_render::ParseError>(())
//! ```

use http::HeaderMap;
use occi_model::{ActionInvocation, Category, Entity, Location, Registry};

use super::render::{self, Fields};
use super::{Purpose, ReadContext, TextDocument, convert, parse};
use crate::{Filter, ParseError, ParseOptions, Parsed, Rendering};

const R: Rendering = Rendering::TextOcci;

/// Parses the OCCI header fields into their structures, without interpreting them.
pub fn parse_document(
    headers: &HeaderMap,
    options: &ParseOptions,
) -> Result<Parsed<TextDocument>, ParseError> {
    parse::parse_headers(headers, options, &ReadContext::new(Purpose::Document))
}

/// Parses into structures in `context`: lenient parsing infers the class of a Category that
/// has none from it, and skips one bad value of a list (see [`ReadContext`]).
pub fn parse_document_in(
    headers: &HeaderMap,
    options: &ParseOptions,
    context: &ReadContext<'_>,
) -> Result<Parsed<TextDocument>, ParseError> {
    parse::parse_headers(headers, options, context)
}

/// Parses an entity (a Resource or a Link; see the [module docs](super) for how a Link
/// rendering is recognised, with or without `registry`).
pub fn parse_entity(
    headers: &HeaderMap,
    options: &ParseOptions,
    registry: Option<&Registry>,
) -> Result<Parsed<Entity>, ParseError> {
    let mut context = ReadContext::new(Purpose::Entity);
    if let Some(registry) = registry {
        context = context.with_registry(registry);
    }
    let mut doc = parse_document_in(headers, options, &context)?;
    super::last_attribute_wins(&mut doc, options);
    let value = convert::entity(R, doc.value, registry)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses a category collection (query interface response, user Mixin `POST`/`DELETE`).
pub fn parse_categories(
    headers: &HeaderMap,
    options: &ParseOptions,
) -> Result<Parsed<Vec<Category>>, ParseError> {
    let mut doc = parse_document_in(headers, options, &ReadContext::new(Purpose::Categories))?;
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
    headers: &HeaderMap,
    options: &ParseOptions,
) -> Result<Parsed<Vec<Category>>, ParseError> {
    let context = ReadContext::new(Purpose::QueryInterface);
    let mut doc = parse_document_in(headers, options, &context)?;
    let value = convert::categories(R, options, doc.value, &mut doc.deviations)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses an action invocation.
pub fn parse_action_invocation(
    headers: &HeaderMap,
    options: &ParseOptions,
) -> Result<Parsed<ActionInvocation>, ParseError> {
    let mut doc = parse_document_in(
        headers,
        options,
        &ReadContext::new(Purpose::ActionInvocation),
    )?;
    super::last_attribute_wins(&mut doc, options);
    let value = convert::action_invocation(R, doc.value)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses a location list.
pub fn parse_locations(
    headers: &HeaderMap,
    options: &ParseOptions,
) -> Result<Parsed<Vec<Location>>, ParseError> {
    let doc = parse_document_in(headers, options, &ReadContext::new(Purpose::Locations))?;
    let value = convert::locations(R, doc.value)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

/// Parses a filter (the only way to filter in OCCI 1.2, even with a JSON payload).
pub fn parse_filter(
    headers: &HeaderMap,
    options: &ParseOptions,
) -> Result<Parsed<Filter>, ParseError> {
    let doc = parse_document_in(headers, options, &ReadContext::new(Purpose::Filter))?;
    let value = convert::filter(R, doc.value)?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}

fn headers(f: impl FnOnce(&mut Fields)) -> HeaderMap {
    let mut fields = Fields::default();
    f(&mut fields);
    let mut map = HeaderMap::new();
    fields.into_headers(&mut map);
    map
}

/// Renders the structures of a document canonically, leaving out what the grammar cannot
/// carry, as [`super::plain::render_document`] does.
pub fn render_document(document: &TextDocument) -> HeaderMap {
    headers(|o| render::document(o, document))
}

/// Renders an entity.
pub fn render_entity(entity: &Entity) -> HeaderMap {
    headers(|o| render::entity(o, entity))
}

/// Appends the fields of an entity to `map` (for a response being built).
pub fn write_entity(entity: &Entity, map: &mut HeaderMap) {
    let mut fields = Fields::default();
    render::entity(&mut fields, entity);
    fields.into_headers(map);
}

/// Renders categories in the full query interface form.
pub fn render_categories(categories: &[Category]) -> HeaderMap {
    headers(|o| render::categories(o, categories))
}

/// Renders an action invocation.
pub fn render_action_invocation(invocation: &ActionInvocation) -> HeaderMap {
    headers(|o| render::action_invocation(o, invocation))
}

/// Renders a location list as one `X-OCCI-Location` field.
pub fn render_locations(locations: &[Location]) -> HeaderMap {
    headers(|o| render::locations(o, locations))
}

/// Parses a partial update of an entity of Kind `kind` (H11 §3.4.4: only what changes is
/// sent): like [`parse_entity`], but the Kind Category may be left out.
pub fn parse_entity_update(
    map: &HeaderMap,
    options: &ParseOptions,
    registry: &Registry,
    kind: &occi_model::CategoryId,
) -> Result<Parsed<Entity>, ParseError> {
    let context = ReadContext::new(Purpose::Entity).with_registry(registry);
    let mut doc = parse_document_in(map, options, &context)?;
    super::default_kind(&mut doc.value, kind);
    super::last_attribute_wins(&mut doc, options);
    let value = convert::entity(R, doc.value, Some(registry))?;
    Ok(Parsed {
        value,
        deviations: doc.deviations,
    })
}
