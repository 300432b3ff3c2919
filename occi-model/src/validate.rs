//! Validation of entities against their Kind and Mixins.

use crate::attribute::{AttributeDefinition, AttributeType};
use crate::value::AttributeValue;

/// Checks one value against its definition: type (an integer is accepted for a float and
/// converted), enum membership, pattern and numeric range. Returns the value as it is to be
/// stored, or what is wrong with it.
pub(crate) fn check_value(
    definition: &AttributeDefinition,
    value: &AttributeValue,
) -> Result<AttributeValue, String> {
    let Some(value) = definition.ty.coerce(value) else {
        return Err(format!(
            "must be of type {}, not {}",
            definition.ty.describe(),
            value.type_name()
        ));
    };
    if let (AttributeType::Enum(allowed), AttributeValue::String(s)) = (&definition.ty, &value)
        && !allowed.iter().any(|a| a == s)
    {
        return Err(format!(
            "must be one of {{{}}}, not {s:?}",
            allowed.join(", ")
        ));
    }
    if let (Some(pattern), AttributeValue::String(s)) = (&definition.pattern, &value)
        && !pattern.is_match(s)
    {
        return Err(format!("must match the pattern {:?}", pattern.as_str()));
    }
    if let (Some(range), Some(n)) = (&definition.range, value.as_f64())
        && !range.contains(n)
    {
        return Err(format!("must be {range}, not {n}"));
    }
    Ok(value)
}
