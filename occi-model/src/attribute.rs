//! Attribute definitions: what a Kind, Mixin or Action says about an attribute (C12 §5.3.2).

use std::fmt;

use crate::ident::AttributeName;
use crate::value::AttributeValue;

/// The type of an attribute.
///
/// OCCI 1.2's JSON rendering knows `string`, `number`, `boolean`, `array` and `object`
/// (J12 §3.5.1); the model keeps the finer types the infrastructure documents use
/// (Integer, Float, Enum) so that validation can check them. A renderer maps `Integer` and
/// `Float` to `number`, `Enum` to `string` (with the values in its pattern), `List` to
/// `array` and `Map` to `object`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeType {
    /// Any string.
    String,
    /// A whole number.
    Integer,
    /// A number; integers are accepted and stored as floats.
    Float,
    /// `true` or `false`.
    Boolean,
    /// A string from a fixed set.
    Enum(Vec<String>),
    /// A list of values (JSON array).
    List,
    /// A map from strings to values (JSON object).
    Map,
}

impl AttributeType {
    /// The name used in validation messages, such as `integer` or `enum {x86, x64}`.
    pub fn describe(&self) -> String {
        match self {
            Self::String => "string".into(),
            Self::Integer => "integer".into(),
            Self::Float => "float".into(),
            Self::Boolean => "boolean".into(),
            Self::Enum(values) => format!("enum {{{}}}", values.join(", ")),
            Self::List => "list".into(),
            Self::Map => "map".into(),
        }
    }

    /// An enum type from its allowed values.
    pub fn enumeration<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Enum(values.into_iter().map(Into::into).collect())
    }

    /// The value as this type would store it, or `None` if it does not have this type.
    ///
    /// The only conversion is integer to float for `Float` attributes (a text rendering of
    /// `occi.compute.memory=2` is a valid float). Enum membership is not checked here.
    pub fn coerce(&self, value: &AttributeValue) -> Option<AttributeValue> {
        match (self, value) {
            (Self::String | Self::Enum(_), AttributeValue::String(_))
            | (Self::Integer, AttributeValue::Integer(_))
            | (Self::Float, AttributeValue::Float(_))
            | (Self::Boolean, AttributeValue::Bool(_))
            | (Self::List, AttributeValue::List(_))
            | (Self::Map, AttributeValue::Map(_)) => Some(value.clone()),
            (Self::Float, AttributeValue::Integer(_)) => {
                value.as_f64().and_then(AttributeValue::float)
            }
            _ => None,
        }
    }
}

/// A regular expression a string value must match (C12 §5.3.2 `pattern`).
///
/// T12 §5.5.3 asks for a POSIX ERE and J12 for a JSON Schema `pattern`; both are compiled with
/// the `regex` crate, whose syntax covers the ERE and ECMA subsets OCCI documents use. As in
/// JSON Schema the pattern is unanchored: use `^…$` to match the whole value.
///
/// ```
/// use occi_model::Pattern;
/// let p = Pattern::new(r"^\S+$")?;
/// assert!(p.is_match("host1"));
/// assert!(!p.is_match("two words"));
/// # Ok::<(), occi_model::PatternError>(())
/// ```
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: regex::Regex,
}

impl Pattern {
    /// Compiles a pattern.
    pub fn new(source: &str) -> Result<Self, PatternError> {
        // Bound compiled size so that a hostile pattern (user mixins can carry them through
        // the JSON rendering) cannot exhaust memory.
        let regex = regex::RegexBuilder::new(source)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
            .map_err(|e| PatternError {
                source: source.chars().take(120).collect(),
                message: e.to_string(),
            })?;
        Ok(Self {
            source: source.to_owned(),
            regex,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `value` matches.
    pub fn is_match(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Pattern {}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

/// A pattern that does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    source: String,
    message: String,
}

impl PatternError {
    /// The pattern that failed (truncated to 120 characters).
    pub fn pattern(&self) -> &str {
        &self.source
    }
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid pattern {:?}: {}", self.source, self.message)
    }
}

impl std::error::Error for PatternError {}

/// Inclusive numeric bounds, such as `occi.network.vlan` in 0..=4095.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NumericRange {
    /// The smallest allowed value, if any.
    pub min: Option<f64>,
    /// The largest allowed value, if any.
    pub max: Option<f64>,
}

impl NumericRange {
    /// Whether `value` lies within the bounds.
    pub fn contains(&self, value: f64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }
}

impl fmt::Display for NumericRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (Some(min), Some(max)) => write!(f, "{min} to {max}"),
            (Some(min), None) => write!(f, "at least {min}"),
            (None, Some(max)) => write!(f, "at most {max}"),
            (None, None) => f.write_str("any number"),
        }
    }
}

/// The definition of one attribute, with every OCCI 1.2 property (C12 §5.3.2).
///
/// [`AttributeDefinition::new`] gives a mutable, optional attribute without default, which is
/// what an OCCI 1.1 attribute without `{immutable}` or `{required}` means (H11 §3.5.1); the
/// builder methods change that.
///
/// ```
/// use occi_model::{AttributeDefinition, AttributeType, AttributeValue};
/// let state = AttributeDefinition::new(
///     "occi.compute.state".parse()?,
///     AttributeType::enumeration(["active", "inactive", "suspended", "error"]),
/// )
/// .immutable()
/// .with_default(AttributeValue::from("inactive"))
/// .with_description("Current state of the instance");
/// assert!(!state.mutable && !state.required);
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDefinition {
    /// The attribute's name.
    pub name: AttributeName,
    /// Its type.
    pub ty: AttributeType,
    /// Whether a client may set it at creation and change it later.
    pub mutable: bool,
    /// Whether a client must supply it at creation.
    pub required: bool,
    /// Whether a client may give it only at creation, never change it afterwards (I12
    /// §3.5.2: user data is given "once and only once"). Meaningful for mutable attributes;
    /// no rendering can express it.
    pub create_only: bool,
    /// The value used when a client gives none.
    pub default: Option<AttributeValue>,
    /// Free text.
    pub description: Option<String>,
    /// A pattern string values must match.
    pub pattern: Option<Pattern>,
    /// Bounds numeric values must respect.
    pub range: Option<NumericRange>,
}

impl AttributeDefinition {
    /// A mutable, optional attribute of type `ty`, without default, description or pattern.
    pub fn new(name: AttributeName, ty: AttributeType) -> Self {
        Self {
            name,
            ty,
            mutable: true,
            required: false,
            create_only: false,
            default: None,
            description: None,
            pattern: None,
            range: None,
        }
    }

    /// Marks the attribute immutable: managed by the server only.
    #[must_use]
    pub fn immutable(mut self) -> Self {
        self.mutable = false;
        self
    }

    /// Marks the attribute required at creation.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Marks the attribute settable at creation only.
    #[must_use]
    pub fn create_only(mut self) -> Self {
        self.create_only = true;
        self
    }

    /// Sets the default value.
    #[must_use]
    pub fn with_default(mut self, value: AttributeValue) -> Self {
        self.default = Some(value);
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the pattern.
    #[must_use]
    pub fn with_pattern(mut self, pattern: Pattern) -> Self {
        self.pattern = Some(pattern);
        self
    }

    /// Sets inclusive numeric bounds.
    #[must_use]
    pub fn with_range(mut self, min: Option<f64>, max: Option<f64>) -> Self {
        self.range = Some(NumericRange { min, max });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coerce_keeps_types_and_widens_integers_to_floats() {
        let two = AttributeValue::Integer(2);
        assert_eq!(AttributeType::Integer.coerce(&two), Some(two.clone()));
        assert_eq!(
            AttributeType::Float.coerce(&two),
            AttributeValue::float(2.0)
        );
        assert_eq!(AttributeType::String.coerce(&two), None);
        assert_eq!(
            AttributeType::Integer.coerce(&AttributeValue::float(2.0).unwrap()),
            None
        );
        assert_eq!(AttributeType::Boolean.coerce(&"true".into()), None);
    }

    #[test]
    fn range_bounds_are_inclusive() {
        let r = NumericRange {
            min: Some(0.0),
            max: Some(4095.0),
        };
        assert!(r.contains(0.0) && r.contains(4095.0));
        assert!(!r.contains(4096.0) && !r.contains(-1.0));
    }

    #[test]
    fn bad_pattern_is_an_error() {
        let err = Pattern::new("(unclosed").unwrap_err();
        assert!(err.to_string().contains("(unclosed"));
    }
}
