//! Typed attribute values.

use std::collections::BTreeMap;
use std::fmt;

use crate::ident::AttributeName;

/// A finite `f64`: the only floats OCCI renderings can express (no NaN, no infinities).
///
/// ```
/// use occi_model::Float;
/// assert_eq!(Float::new(2.5).map(Float::get), Some(2.5));
/// assert!(Float::new(f64::NAN).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Float(f64);

impl Float {
    /// Wraps `value` if it is finite.
    pub fn new(value: f64) -> Option<Self> {
        value.is_finite().then_some(Self(value))
    }

    /// The value.
    pub fn get(self) -> f64 {
        self.0
    }
}

// A `Float` is never NaN, so equality is reflexive.
impl Eq for Float {}

impl fmt::Debug for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Float {
    /// The shortest decimal that reads back as the same `f64`, never in exponent form and
    /// always with a decimal point (`2.0`, not `2`), as the text rendering requires for Float
    /// attributes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 {
            write!(f, "{v:.1}")
        } else {
            write!(f, "{v}")
        }
    }
}

/// The value of an attribute, keeping its type: an integer stays an integer, a float a float.
///
/// Enum values are strings; whether a string is an allowed enum value is decided by the
/// attribute's definition ([`crate::AttributeType::Enum`]).
///
/// ```
/// use occi_model::AttributeValue;
/// let cores = AttributeValue::from(2_i64);
/// let memory = AttributeValue::float(2.0).unwrap();
/// assert_eq!(cores.type_name(), "integer");
/// assert_eq!(memory.type_name(), "float");
/// assert_eq!(AttributeValue::from("eth0").as_str(), Some("eth0"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    /// A string (also used for enum values and URIs).
    String(String),
    /// An integer.
    Integer(i64),
    /// A finite float.
    Float(Float),
    /// A boolean.
    Bool(bool),
    /// A list (OCCI 1.2 `List`; JSON array). Not expressible in the text renderings.
    List(Vec<AttributeValue>),
    /// A map (OCCI 1.2 `Hash`; JSON object). Not expressible in the text renderings.
    Map(BTreeMap<String, AttributeValue>),
}

impl AttributeValue {
    /// A float value, if `value` is finite.
    pub fn float(value: f64) -> Option<Self> {
        Float::new(value).map(Self::Float)
    }

    /// The name of the value's type, as used in validation messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::String(_) => "string",
            Self::Integer(_) => "integer",
            Self::Float(_) => "float",
            Self::Bool(_) => "boolean",
            Self::List(_) => "list",
            Self::Map(_) => "map",
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as a float, if this is an integer or a float.
    #[allow(clippy::cast_precision_loss)] // attribute integers are far below 2^53 in practice
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Integer(i) => Some(*i as f64),
            Self::Float(x) => Some(x.get()),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether the text renderings can express this value (lists and maps they cannot:
    /// GFD.229 removed their syntax before publication).
    pub fn is_text_renderable(&self) -> bool {
        !matches!(self, Self::List(_) | Self::Map(_))
    }
}

impl From<String> for AttributeValue {
    fn from(s: String) -> Self {
        Self::String(s)
    }
}

impl From<&str> for AttributeValue {
    fn from(s: &str) -> Self {
        Self::String(s.to_owned())
    }
}

impl From<i64> for AttributeValue {
    fn from(i: i64) -> Self {
        Self::Integer(i)
    }
}

impl From<bool> for AttributeValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<Float> for AttributeValue {
    fn from(f: Float) -> Self {
        Self::Float(f)
    }
}

/// The attribute values of an entity, by name, in name order (which makes renderings canonical).
pub type Attributes = BTreeMap<AttributeName, AttributeValue>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_display_keeps_a_decimal_point() {
        assert_eq!(Float::new(2.0).unwrap().to_string(), "2.0");
        assert_eq!(Float::new(3.5).unwrap().to_string(), "3.5");
        assert_eq!(Float::new(-0.25).unwrap().to_string(), "-0.25");
        assert_eq!(
            Float::new(1e20).unwrap().to_string(),
            "100000000000000000000.0"
        );
        assert_eq!(Float::new(0.1).unwrap().to_string(), "0.1");
    }

    #[test]
    fn non_finite_floats_are_refused() {
        assert!(Float::new(f64::INFINITY).is_none());
        assert!(AttributeValue::float(f64::NEG_INFINITY).is_none());
    }
}
