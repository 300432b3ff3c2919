//! Prints the categories a registry holds, with their attributes and actions.
//!
//! ```text
//! cargo run -p occi-model --example model
//! ```

use occi_model::{Category, OcciVersion, Registry};

fn main() {
    for version in [OcciVersion::V1_1, OcciVersion::V1_2] {
        let registry = Registry::new(version);
        println!("OCCI {version}: {} categories", registry.len());
        for category in registry.categories() {
            let location = category
                .location()
                .map_or_else(String::new, |l| format!(" at {l}"));
            println!("  {} {}{location}", category.class(), category.id());
            for attribute in category.attributes() {
                let mut flags = Vec::new();
                if !attribute.mutable {
                    flags.push("immutable");
                }
                if attribute.required {
                    flags.push("required");
                }
                println!(
                    "    {} : {} {}",
                    attribute.name,
                    attribute.ty.describe(),
                    flags.join(" ")
                );
            }
            if let Category::Kind(kind) = category {
                for action in &kind.actions {
                    println!("    action {action}");
                }
            }
        }
    }
}
