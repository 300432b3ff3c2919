//! What `occi` prints: a table, stable JSON, the OCCI text/plain rendering, or a URI list.

use comfy_table::{ContentArrangement, Table, presets};
use occi_client::ServerModel;
use occi_client::occi_model::{AttributeValue, Category, Entity, Location};
use occi_client::occi_render::text;
use serde_json::{Map, Value, json};

/// The output format (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// A readable table (the default on a terminal).
    Table,
    /// Stable JSON (the default elsewhere); see `occi --help`.
    Json,
    /// The OCCI text/plain rendering.
    Text,
    /// One location per line.
    UriList,
}

fn table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled);
    table
}

/// An attribute value as JSON: strings, numbers and booleans as themselves, lists and maps
/// as arrays and objects.
pub(crate) fn value_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::String(s) => Value::String(s.clone()),
        AttributeValue::Integer(i) => Value::from(*i),
        AttributeValue::Float(f) => Value::from(f.get()),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::List(items) => Value::Array(items.iter().map(value_json).collect()),
        AttributeValue::Map(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), value_json(v)))
                .collect(),
        ),
    }
}

fn value_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::String(s) => s.clone(),
        other => value_json(other).to_string(),
    }
}

/// An entity as the stable JSON object of `occi describe`.
pub(crate) fn entity_json(entity: &Entity) -> Value {
    let attributes: Map<String, Value> = entity
        .all_attributes()
        .iter()
        .map(|(name, value)| (name.to_string(), value_json(value)))
        .collect();
    let mut out = json!({
        "location": entity.location().map(Location::as_str),
        "kind": entity.kind().to_string(),
        "mixins": entity.mixins().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "attributes": attributes,
        "actions": entity.actions().iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    if let Entity::Resource(resource) = entity {
        out["links"] = Value::Array(
            resource
                .links
                .iter()
                .map(|l| entity_json(&Entity::Link(l.clone())))
                .collect(),
        );
    }
    out
}

pub(crate) fn entities(entities: &[Entity], output: Output) -> String {
    match output {
        Output::Json => pretty(&Value::Array(entities.iter().map(entity_json).collect())),
        Output::Text => entities
            .iter()
            .map(text::plain::render_entity)
            .collect::<Vec<_>>()
            .join("\r\n"),
        Output::UriList => lines(entities.iter().filter_map(Entity::location)),
        Output::Table => entities
            .iter()
            .map(entity_table)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn entity_table(entity: &Entity) -> String {
    let mut table = table();
    let mut row = |k: &str, v: String| {
        table.add_row(vec![k.to_owned(), v]);
    };
    row(
        "location",
        entity
            .location()
            .map_or_else(String::new, ToString::to_string),
    );
    row("kind", entity.kind().to_string());
    for mixin in entity.mixins() {
        row("mixin", mixin.to_string());
    }
    for (name, value) in entity.all_attributes() {
        row(name.as_str(), value_text(&value));
    }
    for action in entity.actions() {
        row("action", action.to_string());
    }
    if let Entity::Resource(resource) = entity {
        for link in &resource.links {
            row(
                "link",
                format!(
                    "{} -> {} ({})",
                    link.location
                        .as_ref()
                        .map_or_else(String::new, ToString::to_string),
                    link.target
                        .as_ref()
                        .map_or_else(String::new, ToString::to_string),
                    link.kind
                ),
            );
        }
    }
    format!("{table}\n")
}

pub(crate) fn locations(locations: &[Location], output: Output) -> String {
    match output {
        Output::Json => pretty(&json!({
            "locations": locations.iter().map(Location::as_str).collect::<Vec<_>>()
        })),
        Output::Text => text::plain::render_locations(locations),
        Output::UriList => lines(locations.iter()),
        Output::Table => {
            let mut table = table();
            table.set_header(vec!["LOCATION"]);
            for l in locations {
                table.add_row(vec![l.to_string()]);
            }
            format!("{table}\n")
        }
    }
}

fn category_json(category: &Category) -> Value {
    let mut out = json!({
        "id": category.id().to_string(),
        "class": category.class().as_str(),
        "title": category.title(),
        "location": category.location().map(Location::as_str),
        "attributes": category.attributes().iter().map(|d| json!({
            "name": d.name.as_str(),
            "type": d.ty.describe(),
            "required": d.required,
            "mutable": d.mutable,
        })).collect::<Vec<_>>(),
        "actions": category.actions().iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    match category {
        Category::Kind(k) => out["parent"] = json!(k.parent.as_ref().map(ToString::to_string)),
        Category::Mixin(m) => {
            out["depends"] = json!(
                m.depends
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            );
            out["applies"] = json!(
                m.applies
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            );
        }
        Category::Action(_) => {}
    }
    out
}

pub(crate) fn model(endpoint: &str, model: &ServerModel, output: Output) -> String {
    let categories: Vec<Category> = model.registry.categories().cloned().collect();
    match output {
        Output::Json => pretty(&json!({
            "endpoint": endpoint,
            "server": model.server,
            "version": match model.version {
                occi_client::occi_model::OcciVersion::V1_1 => "1.1",
                occi_client::occi_model::OcciVersion::V1_2 => "1.2",
            },
            "rendering": model.format.media_type.as_str(),
            "dialect": match model.format.dialect {
                occi_client::Dialect::PySsf => "pyssf",
                _ => "occi",
            },
            "categories": categories.iter().map(category_json).collect::<Vec<_>>(),
        })),
        Output::Text => text::plain::render_categories(&categories),
        Output::UriList => lines(categories.iter().filter_map(Category::location)),
        Output::Table => {
            let mut table = table();
            table.set_header(vec!["CLASS", "CATEGORY", "LOCATION", "TITLE"]);
            for c in &categories {
                table.add_row(vec![
                    c.class().as_str().to_owned(),
                    c.id().to_string(),
                    c.location().map_or_else(String::new, ToString::to_string),
                    c.title().unwrap_or_default().to_owned(),
                ]);
            }
            format!("{table}\n")
        }
    }
}

/// One location per line, LF-terminated (for shells; the media type's CRLF is for the wire).
fn lines<'a>(locations: impl Iterator<Item = &'a Location>) -> String {
    let mut out = String::new();
    for l in locations {
        out.push_str(l.as_str());
        out.push('\n');
    }
    out
}

pub(crate) fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
