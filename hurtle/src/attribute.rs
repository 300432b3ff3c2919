//! Attribute values as PySSF holds them: text. Hurtle's peers quote every value on the wire
//! and split what they read on `", "` and `=`, so the components keep every value a string.

use occi_model::{AttributeName, AttributeValue, Entity};

/// An attribute value as text (numbers and booleans in their text form).
pub fn value_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::String(s) => s.clone(),
        AttributeValue::Integer(i) => i.to_string(),
        AttributeValue::Float(f) => f.to_string(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::List(_) | AttributeValue::Map(_) => format!("{value:?}"),
    }
}

/// Keeps every attribute value of `entity` as text (the text renderings then quote every
/// value, numbers included, which Hurtle's SM needs).
pub fn values_as_text(entity: &mut Entity) {
    for value in entity.attributes_mut().values_mut() {
        if !matches!(value, AttributeValue::String(_)) {
            *value = AttributeValue::String(value_text(value));
        }
    }
}

/// The value of the attribute `name` of `entity` as text; empty when it has none.
pub fn text(entity: &Entity, name: &str) -> String {
    entity
        .attributes()
        .get(name)
        .map(value_text)
        .unwrap_or_default()
}

/// Sets the attribute `name` of `entity` to the string `value` (nothing for a name that is
/// not a valid attribute name).
pub fn set_text(entity: &mut Entity, name: &str, value: impl Into<String>) {
    if let Ok(n) = AttributeName::new(name) {
        entity
            .attributes_mut()
            .insert(n, AttributeValue::String(value.into()));
    }
}

/// The attributes of `after` that `before` does not hold with the same value, as text: what
/// an update gave.
pub fn changed(before: &Entity, after: &Entity) -> Vec<(String, String)> {
    after
        .attributes()
        .iter()
        .filter(|(n, v)| before.attributes().get(*n) != Some(*v))
        .map(|(n, v)| (n.to_string(), value_text(v)))
        .collect()
}
