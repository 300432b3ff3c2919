//! Short names on the command line: categories (`compute`, `os_tpl#ubuntu-24.04`, a full
//! type identifier), locations, and `name=value` attributes typed by the registry.

use occi_client::occi_model::{
    AttributeDefinition, AttributeName, AttributeType, AttributeValue, Category, CategoryClass,
    CategoryId, Location, Registry,
};

/// Finds the category a command-line name means:
/// * a full type identifier (`http://…#term`);
/// * `term`: the one category with that term (Kinds first when `prefer` is a Kind);
/// * `family#term`: a category with that term whose scheme contains `family`, or that depends
///   on a Mixin with term `family` (`os_tpl#ubuntu-24.04`).
pub(crate) fn category(
    registry: &Registry,
    name: &str,
    prefer: Option<CategoryClass>,
) -> Result<CategoryId, String> {
    if name.contains("://") {
        let id: CategoryId = name
            .parse()
            .map_err(|e| format!("{name:?} is not a type identifier: {e}"))?;
        return registry
            .get(&id)
            .map(|c| c.id().clone())
            .ok_or_else(|| format!("the server publishes no category {id}"));
    }
    let (family, term) = match name.split_once('#') {
        Some((family, term)) => (Some(family), term),
        None => (None, name),
    };
    let mut candidates: Vec<&Category> = registry
        .categories()
        .filter(|c| c.id().term().as_str() == term)
        .filter(|c| {
            family.is_none_or(|family| {
                c.id().scheme().as_str().contains(family)
                    || c.as_mixin().is_some_and(|m| {
                        registry
                            .mixin_closure(std::slice::from_ref(&m.id))
                            .iter()
                            .any(|d| d.id.term().as_str() == family)
                    })
            })
        })
        .collect();
    if candidates.len() > 1
        && let Some(class) = prefer
        && candidates.iter().any(|c| c.class() == class)
    {
        candidates.retain(|c| c.class() == class);
    }
    match candidates.as_slice() {
        [one] => Ok(one.id().clone()),
        [] => Err(format!(
            "the server publishes no category {name:?} (see `occi discover`)"
        )),
        many => Err(format!(
            "{name:?} is ambiguous: {}",
            many.iter()
                .map(|c| c.id().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The names `occi names` prints: each category's term where no other category has it, else
/// its type identifier; attribute names once each, sorted.
pub(crate) fn listing(registry: &Registry, what: crate::NamesArg) -> String {
    use crate::NamesArg as Names;
    let mut out: Vec<String> = match what {
        Names::Attributes => registry
            .categories()
            .flat_map(|c| c.attributes().iter().map(|d| d.name.to_string()))
            .collect(),
        _ => registry
            .categories()
            .filter(|c| match what {
                Names::Kinds => c.class() == CategoryClass::Kind,
                Names::Mixins => c.class() == CategoryClass::Mixin,
                Names::Actions => c.class() == CategoryClass::Action,
                _ => c.location().is_some(),
            })
            .map(|c| {
                let term = c.id().term().as_str();
                let unique = registry
                    .categories()
                    .filter(|o| o.id().term().as_str() == term)
                    .count()
                    == 1;
                if unique {
                    term.to_owned()
                } else {
                    c.id().to_string()
                }
            })
            .collect(),
    };
    out.sort();
    out.dedup();
    let mut text = out.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

/// A location given on the command line: a path, an absolute URL, or a category name whose
/// collection is meant.
pub(crate) fn location_or_collection(registry: &Registry, text: &str) -> Result<Location, String> {
    let text = text.trim();
    if text.starts_with('/') || text.contains("://") {
        return Location::new(text).map_err(|e| format!("{text:?}: {e}"));
    }
    let id = category(registry, text, Some(CategoryClass::Kind))?;
    registry
        .get(&id)
        .and_then(Category::location)
        .cloned()
        .ok_or_else(|| format!("{id} has no collection"))
}

/// A location (a path or an absolute URL).
pub(crate) fn location(text: &str) -> Result<Location, String> {
    let text = text.trim();
    Location::new(text).map_err(|e| format!("{text:?} is not a location: {e}"))
}

/// Parses `name=value`, typing the value by its definition among `definitions`: Integer,
/// Float and Boolean must parse as such, List and Map as JSON; an attribute the registry
/// does not define is a number or boolean if it reads as one, else a string.
pub(crate) fn attribute(
    definitions: &[&AttributeDefinition],
    text: &str,
) -> Result<(AttributeName, AttributeValue), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: attributes are given as name=value"))?;
    let name: AttributeName = name
        .trim()
        .parse()
        .map_err(|e| format!("{name:?} is not an attribute name: {e}"))?;
    let definition = definitions.iter().find(|d| d.name == name);
    let bad = |what: &str| format!("{name}: {value:?} is not {what}");
    let typed = match definition.map(|d| &d.ty) {
        Some(AttributeType::Integer) => {
            AttributeValue::Integer(value.parse().map_err(|_| bad("an integer"))?)
        }
        Some(AttributeType::Float) => value
            .parse()
            .ok()
            .and_then(AttributeValue::float)
            .ok_or_else(|| bad("a number"))?,
        Some(AttributeType::Boolean) => {
            AttributeValue::Bool(value.parse().map_err(|_| bad("true or false"))?)
        }
        Some(AttributeType::List | AttributeType::Map) => {
            let json: serde_json::Value = serde_json::from_str(value).map_err(|_| bad("JSON"))?;
            from_json(&json).ok_or_else(|| bad("a JSON list or object of values"))?
        }
        Some(_) => AttributeValue::String(value.to_owned()),
        None => {
            if let Ok(i) = value.parse::<i64>() {
                AttributeValue::Integer(i)
            } else if let Ok(b) = value.parse::<bool>() {
                AttributeValue::Bool(b)
            } else if let Some(f) = value
                .parse::<f64>()
                .ok()
                .filter(|_| value.contains('.'))
                .and_then(AttributeValue::float)
            {
                f
            } else {
                AttributeValue::String(value.to_owned())
            }
        }
    };
    Ok((name, typed))
}

fn from_json(value: &serde_json::Value) -> Option<AttributeValue> {
    Some(match value {
        serde_json::Value::String(s) => AttributeValue::String(s.clone()),
        serde_json::Value::Bool(b) => AttributeValue::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => AttributeValue::Integer(i),
            None => AttributeValue::float(n.as_f64()?)?,
        },
        serde_json::Value::Array(items) => {
            AttributeValue::List(items.iter().map(from_json).collect::<Option<_>>()?)
        }
        serde_json::Value::Object(map) => AttributeValue::Map(
            map.iter()
                .map(|(k, v)| Some((k.clone(), from_json(v)?)))
                .collect::<Option<_>>()?,
        ),
        serde_json::Value::Null => return None,
    })
}

#[cfg(test)]
mod tests {
    use occi_client::occi_model::ext::infrastructure;
    use occi_client::occi_model::{Mixin, OcciVersion};
    use proptest::prelude::*;

    use super::*;

    static REGISTRY: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(build);

    fn registry() -> &'static Registry {
        &REGISTRY
    }

    fn build() -> Registry {
        let mut registry = Registry::new(OcciVersion::V1_2);
        infrastructure::register(&mut registry).unwrap();
        registry
            .register_mixin(
                Mixin::new("http://example.com/os#ubuntu".parse().unwrap())
                    .with_depends(infrastructure::os_tpl_id())
                    .with_location(Location::new("/os/ubuntu/").unwrap()),
            )
            .unwrap();
        registry
    }

    #[test]
    fn short_names_resolve() {
        let r = registry();
        assert_eq!(
            category(r, "compute", None).unwrap(),
            infrastructure::compute_id()
        );
        assert_eq!(
            category(r, "os_tpl#ubuntu", None).unwrap().to_string(),
            "http://example.com/os#ubuntu"
        );
        assert_eq!(
            category(r, "ubuntu", None).unwrap().to_string(),
            "http://example.com/os#ubuntu"
        );
        assert_eq!(
            category(r, "start", Some(CategoryClass::Action)).unwrap(),
            infrastructure::compute_start_id()
        );
        assert!(
            category(r, "nothing", None)
                .unwrap_err()
                .contains("no category")
        );
        assert!(category(r, "resource_tpl#ubuntu", None).is_err());
        assert_eq!(
            location_or_collection(r, "compute").unwrap().as_str(),
            "/compute/"
        );
    }

    #[test]
    fn attributes_are_typed_by_their_definition() {
        let r = registry();
        let defs = r.effective_attributes(&infrastructure::compute_id(), &[]);
        let typed = |text: &str| attribute(&defs, text).map(|(_, v)| v);
        assert_eq!(
            typed("occi.compute.cores=2"),
            Ok(AttributeValue::Integer(2))
        );
        assert_eq!(
            typed("occi.compute.memory=2"),
            Ok(AttributeValue::float(2.0).unwrap())
        );
        assert_eq!(typed("occi.compute.hostname=2"), Ok("2".into()));
        assert_eq!(typed("x.unknown=true"), Ok(AttributeValue::Bool(true)));
        assert_eq!(typed("x.unknown=a=b"), Ok("a=b".into()));
        assert!(
            typed("occi.compute.cores=two")
                .unwrap_err()
                .contains("not an integer")
        );
        assert!(typed("no-equals-sign").is_err());
    }

    proptest! {
        #[test]
        fn attribute_parsing_never_panics(text in "\\PC{0,40}") {
            let r = registry();
            let defs = r.effective_attributes(&infrastructure::compute_id(), &[]);
            let _ = attribute(&defs, &text);
            let _ = category(r, &text, None);
            let _ = location_or_collection(r, &text);
        }

        #[test]
        fn integers_round_trip(n in any::<i64>()) {
            let r = registry();
            let defs = r.effective_attributes(&infrastructure::compute_id(), &[]);
            prop_assert_eq!(
                attribute(&defs, &format!("occi.compute.cores={n}")).unwrap().1,
                AttributeValue::Integer(n)
            );
        }
    }
}
