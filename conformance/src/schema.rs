//! Validation of `application/occi+json` documents against the normative JSON Schema of the
//! OCCI 1.2 JSON rendering (GFD.225), with the `jsonschema` crate and without occi-render's
//! parser, so that a bug our parser shares with a server cannot hide.
//!
//! The schema is shipped verbatim in `conformance/schema/` (with its licence). Its top-level
//! `anyOf` accepts nearly any object (one branch is the free-form `attributes` map), so a
//! document is validated against the specific definition its shape calls for
//! ([`Definition::for_document`]), as CESNET's wrapper files do.
//!
//! Two errata of the published schema are applied when it is loaded (both listed in
//! `conformance/schema/README.md`):
//!
//! 1. references written `#definitions/x` are read as the JSON Pointer `#/definitions/x`
//!    (RFC 6901 pointers start with `/`; as published they name an anchor that does not
//!    exist);
//! 2. an attribute description's `default` may also be an array or an object, since the
//!    J12 table (§3.5.1) gives `default` the declared type, and `array` and `object` are
//!    declared types.
//!
//! Nothing else is changed: every other rule is the schema's as published.

use std::fmt;
use std::sync::OnceLock;

use serde_json::Value;

/// The published schema, as shipped in `conformance/schema/OCCI-schema.json`.
pub const OCCI_SCHEMA: &str = include_str!("../schema/OCCI-schema.json");

/// The URI the schema is registered under (its own `id` is the relative `OCCI-schema.json`).
const SCHEMA_URI: &str = "json-schema:///occi/OCCI-schema.json";

/// A definition of the schema that a document is validated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Definition {
    /// `#/definitions/resource`: one Resource.
    Resource,
    /// `#/definitions/link`: one Link.
    Link,
    /// `#/definitions/action_invocation`: an Action invocation.
    ActionInvocation,
    /// One Kind, Mixin or Action (`anyOf` of the three definitions).
    Category,
    /// `#/definitions/resource_collection`: `{"resources": [...]}`.
    ResourceCollection,
    /// `#/definitions/link_collection`: `{"links": [...]}`.
    LinkCollection,
    /// `#/definitions/model`: the query interface, or a collection of Resources and Links.
    Model,
}

impl Definition {
    /// Every definition.
    pub const ALL: [Definition; 7] = [
        Definition::Resource,
        Definition::Link,
        Definition::ActionInvocation,
        Definition::Category,
        Definition::ResourceCollection,
        Definition::LinkCollection,
        Definition::Model,
    ];

    /// The schema the definition is checked with: a reference into the published schema.
    fn schema(self) -> Value {
        let reference =
            |name: &str| serde_json::json!({ "$ref": format!("{SCHEMA_URI}#/definitions/{name}") });
        match self {
            Definition::Category => serde_json::json!({
                "anyOf": [reference("kind"), reference("mixin"), reference("action")]
            }),
            other => reference(other.name()),
        }
    }

    /// The definition's name in the schema (`resource`, `model`, …; `kind|mixin|action` for
    /// [`Definition::Category`]).
    pub fn name(self) -> &'static str {
        match self {
            Definition::Resource => "resource",
            Definition::Link => "link",
            Definition::ActionInvocation => "action_invocation",
            Definition::Category => "kind|mixin|action",
            Definition::ResourceCollection => "resource_collection",
            Definition::LinkCollection => "link_collection",
            Definition::Model => "model",
        }
    }

    /// The definition a document of this shape is validated against: an object with a
    /// `kind` is an entity (a Link when it has a `source` or `target`), one with an `action`
    /// an invocation, one with a `term` or `scheme` a Category, one whose only member is
    /// `resources` (or `links`) a collection of that, and anything else the model (which
    /// also rejects what is not an object).
    pub fn for_document(document: &Value) -> Definition {
        let Some(object) = document.as_object() else {
            return Definition::Model;
        };
        let has = |key: &str| object.contains_key(key);
        if has("kind") {
            if has("source") || has("target") {
                Definition::Link
            } else {
                Definition::Resource
            }
        } else if has("action") {
            Definition::ActionInvocation
        } else if has("term") || has("scheme") {
            Definition::Category
        } else if object.len() == 1 && has("resources") {
            Definition::ResourceCollection
        } else if object.len() == 1 && has("links") {
            Definition::LinkCollection
        } else {
            Definition::Model
        }
    }
}

impl fmt::Display for Definition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One way a document breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the document, as a JSON Pointer (`/kinds/3/attributes`; empty for the root).
    pub instance_path: String,
    /// The rule broken, as a JSON Pointer into the schema as evaluated (through `$ref`s).
    pub schema_path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "at {at}: {} (schema {})", self.message, self.schema_path)
    }
}

/// Validators for every [`Definition`], built once from the shipped schema.
#[derive(Debug)]
pub struct SchemaValidator {
    validators: Vec<(Definition, jsonschema::Validator)>,
}

impl SchemaValidator {
    /// Builds the validators from the shipped schema with its errata applied.
    pub fn new() -> Result<Self, String> {
        let mut schema: Value = serde_json::from_str(OCCI_SCHEMA)
            .map_err(|e| format!("OCCI-schema.json is not JSON: {e}"))?;
        apply_errata(&mut schema);
        let registry = jsonschema::Registry::new()
            .add(SCHEMA_URI, &schema)
            .map_err(|e| format!("OCCI-schema.json: {e}"))?
            .prepare()
            .map_err(|e| format!("OCCI-schema.json: {e}"))?;
        let mut validators = Vec::new();
        for definition in Definition::ALL {
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .with_registry(&registry)
                .build(&definition.schema())
                .map_err(|e| format!("OCCI-schema.json, {definition}: {e}"))?;
            validators.push((definition, validator));
        }
        Ok(Self { validators })
    }

    /// The validators of the shipped schema, built on first use.
    pub fn shipped() -> &'static SchemaValidator {
        static SHIPPED: OnceLock<SchemaValidator> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            SchemaValidator::new().expect("the shipped OCCI JSON schema compiles (tested)")
        })
    }

    /// Every violation of `definition` by `document` (empty when it validates).
    pub fn validate(&self, definition: Definition, document: &Value) -> Vec<Violation> {
        let Some((_, validator)) = self.validators.iter().find(|(d, _)| *d == definition) else {
            return Vec::new();
        };
        validator
            .iter_errors(document)
            .map(|e| Violation {
                instance_path: e.instance_path().as_str().to_owned(),
                schema_path: e.schema_path().as_str().to_owned(),
                message: e.to_string(),
            })
            .collect()
    }
}

/// Applies the two errata of the module documentation.
fn apply_errata(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(rest) = reference.strip_prefix("#definitions/")
            {
                *reference = format!("#/definitions/{rest}");
            }
            for value in map.values_mut() {
                apply_errata(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(apply_errata),
        _ => {}
    }
    if let Some(Value::Array(types)) =
        schema.pointer_mut("/definitions/attribute_description/oneOf/0/properties/default/oneOf")
    {
        for extra in ["array", "object"] {
            let branch = serde_json::json!({ "type": extra });
            if !types.contains(&branch) {
                types.push(branch);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Definition, SchemaValidator};

    fn violations(definition: Definition, document: &serde_json::Value) -> Vec<String> {
        SchemaValidator::shipped()
            .validate(definition, document)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_shipped_schema_compiles() {
        SchemaValidator::new().unwrap();
    }

    /// As published, `#definitions/link` does not resolve: the first erratum is needed.
    #[test]
    fn the_published_references_do_not_resolve() {
        let schema: serde_json::Value = serde_json::from_str(super::OCCI_SCHEMA).unwrap();
        let registry = jsonschema::Registry::new()
            .add(super::SCHEMA_URI, &schema)
            .and_then(jsonschema::RegistryBuilder::prepare);
        let resource_with_link = json!({
            "kind": "k", "id": "1",
            "links": [{ "kind": "k", "id": "2", "source": { "location": "/a" }, "target": { "location": "/b" } }]
        });
        let outcome = registry.map(|registry| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .with_registry(&registry)
                .build(&Definition::Resource.schema())
                .map(|v| v.is_valid(&resource_with_link))
                .map_err(|e| e.to_string())
        });
        assert!(
            matches!(&outcome, Ok(Err(e)) if e.contains("definitions/link")),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_resource_validates_and_its_breaches_are_located() {
        let resource = json!({
            "kind": "http://schemas.ogf.org/occi/infrastructure#compute",
            "id": "1",
            "attributes": { "occi.compute.cores": 2 },
            "links": [{
                "kind": "http://schemas.ogf.org/occi/infrastructure#networkinterface",
                "id": "2",
                "source": { "location": "/compute/1" },
                "target": { "location": "/network/1" }
            }]
        });
        assert_eq!(Definition::for_document(&resource), Definition::Resource);
        assert!(violations(Definition::Resource, &resource).is_empty());

        let mut broken = resource.clone();
        broken["links"][0]["target"] = json!({ "href": "/network/1" });
        let found = violations(Definition::Resource, &broken);
        assert!(!found.is_empty());
        assert!(
            found.iter().any(|v| v.starts_with("at /links/0/target")),
            "{found:?}"
        );

        let mut broken = resource;
        broken["attributes"]["occi.compute.cores"] = serde_json::Value::Null;
        let found = violations(Definition::Resource, &broken);
        assert!(
            found
                .iter()
                .any(|v| v.starts_with("at /attributes/occi.compute.cores")),
            "{found:?}"
        );
    }

    #[test]
    fn the_model_rejects_unknown_members_and_mixins_without_location() {
        let model = json!({
            "kinds": [{ "term": "compute", "scheme": "http://schemas.ogf.org/occi/infrastructure#",
                        "attributes": { "occi.compute.cores": { "mutable": true, "type": "number", "default": 1 } } }],
            "mixins": [{ "term": "small", "scheme": "http://example.com/tpl#", "location": "/small/",
                         "attributes": { "x": { "type": "array", "default": ["a"] } } }]
        });
        assert_eq!(Definition::for_document(&model), Definition::Model);
        assert_eq!(violations(Definition::Model, &model), Vec::<String>::new());

        let mut broken = model.clone();
        broken["mixins"][0]
            .as_object_mut()
            .unwrap()
            .remove("location");
        let found = violations(Definition::Model, &broken);
        assert!(
            found.iter().any(|v| v.starts_with("at /mixins/0")),
            "{found:?}"
        );

        let mut broken = model;
        broken["categories"] = json!([]);
        assert!(!violations(Definition::Model, &broken).is_empty());
        assert!(!violations(Definition::Model, &json!([1, 2])).is_empty());
    }

    #[test]
    fn shapes_choose_their_definition() {
        let link = json!({ "kind": "k", "id": "1", "source": { "location": "/a" }, "target": { "location": "/b" } });
        assert_eq!(Definition::for_document(&link), Definition::Link);
        assert!(violations(Definition::Link, &link).is_empty());
        assert_eq!(
            Definition::for_document(&json!({ "action": "a" })),
            Definition::ActionInvocation
        );
        assert_eq!(
            Definition::for_document(&json!({ "term": "t", "scheme": "s#" })),
            Definition::Category
        );
        assert_eq!(
            Definition::for_document(&json!({ "resources": [] })),
            Definition::ResourceCollection
        );
        assert_eq!(
            Definition::for_document(&json!({ "links": [] })),
            Definition::LinkCollection
        );
        assert!(!violations(Definition::LinkCollection, &json!({ "links": [{}] })).is_empty());
    }
}
