//! Prints the categories a registry holds, with their attributes and actions, then one
//! summary line per extension and OCCI version.
//!
//! ```text
//! cargo run -p occi-model --example model
//! ```

use occi_model::ext::{infrastructure, platform};
use occi_model::{AttributeValue, Category, OcciVersion, Registry, RegistryError};

/// An extension's name and its `register` function.
type Extension = (&'static str, fn(&mut Registry) -> Result<(), RegistryError>);

const EXTENSIONS: [Extension; 2] = [
    ("infrastructure", infrastructure::register),
    ("platform", platform::register),
];

/// Kinds, Mixins, Actions, attributes of Kinds and Mixins, and Action parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    kinds: usize,
    mixins: usize,
    actions: usize,
    attributes: usize,
    parameters: usize,
}

fn counts(registry: &Registry) -> Counts {
    let attributes = |c: &&Category| c.attributes().len();
    Counts {
        kinds: registry.kinds().count(),
        mixins: registry.mixins().count(),
        actions: registry.actions().count(),
        attributes: registry
            .categories()
            .filter(|c| c.as_action().is_none())
            .map(|c| attributes(&c))
            .sum(),
        parameters: registry
            .categories()
            .filter(|c| c.as_action().is_some())
            .map(|c| attributes(&c))
            .sum(),
    }
}

/// A value as the text renderings show it.
fn show(value: &AttributeValue) -> String {
    match value {
        AttributeValue::String(s) => format!("{s:?}"),
        AttributeValue::Integer(i) => i.to_string(),
        AttributeValue::Float(x) => x.to_string(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::List(items) => format!("[{} items]", items.len()),
        AttributeValue::Map(entries) => format!("{{{} entries}}", entries.len()),
    }
}

fn print_registry(registry: &Registry) {
    println!("OCCI {}: {} categories", registry.version(), registry.len());
    for category in registry.categories() {
        let location = category
            .location()
            .map_or_else(String::new, |l| format!(" at {l}"));
        println!("  {} {}{location}", category.class(), category.id());
        for attribute in category.attributes() {
            let mut flags = Vec::new();
            if !attribute.mutable {
                flags.push("immutable".to_owned());
            }
            if attribute.required {
                flags.push("required".to_owned());
            }
            if let Some(default) = &attribute.default {
                flags.push(format!("default={}", show(default)));
            }
            println!(
                "    {} : {} {}",
                attribute.name,
                attribute.ty.describe(),
                flags.join(" ")
            );
        }
        if let Category::Kind(kind) = category
            && let Some(machine) = registry.state_machine(&kind.id)
        {
            for t in &machine.transitions {
                println!(
                    "    transition {} --{}--> {}",
                    t.from,
                    t.action.term(),
                    t.to
                );
            }
            if let Some(error) = &machine.error_state {
                println!("    error state {error}");
            }
        }
        for action in category.actions() {
            println!("    action {action}");
        }
    }
}

/// Prints what an extension added: `all` minus `base`.
fn summary(name: &str, version: OcciVersion, base: Counts, all: Counts) {
    println!(
        "{name} OCCI {version}: {} kinds, {} mixins, {} actions, {} attributes, {} action parameters",
        all.kinds - base.kinds,
        all.mixins - base.mixins,
        all.actions - base.actions,
        all.attributes - base.attributes,
        all.parameters - base.parameters,
    );
}

fn main() -> Result<(), RegistryError> {
    for version in [OcciVersion::V1_1, OcciVersion::V1_2] {
        let mut registry = Registry::new(version);
        for (_, register) in EXTENSIONS {
            register(&mut registry)?;
        }
        print_registry(&registry);
    }
    println!();
    for version in [OcciVersion::V1_1, OcciVersion::V1_2] {
        let core = counts(&Registry::new(version));
        for (name, register) in EXTENSIONS {
            let mut registry = Registry::new(version);
            register(&mut registry)?;
            summary(name, version, core, counts(&registry));
        }
        // The optional CRTP templates, on top of the infrastructure model.
        let mut registry = Registry::new(version);
        infrastructure::register(&mut registry)?;
        let base = counts(&registry);
        infrastructure::register_crtp_templates(&mut registry)?;
        summary("crtp templates", version, base, counts(&registry));
    }
    Ok(())
}
