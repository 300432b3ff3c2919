//! Documents that are not model types themselves.

use occi_model::{AttributeName, AttributeValue, CategoryId};

/// A filter (H11 §3.4.1, §3.4.3; P12 §7): the categories and attribute values a client
/// restricts a query-interface or collection request to. Every part must match (AND).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Categories by id (their `Category` header values).
    pub categories: Vec<CategoryId>,
    /// Attribute values an entity must have exactly.
    pub attributes: Vec<(AttributeName, AttributeValue)>,
}

impl Filter {
    /// Whether the filter restricts nothing.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty() && self.attributes.is_empty()
    }
}
