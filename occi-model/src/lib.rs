//! The OCCI type system: categories, entities, the category registry, validation, and the
//! core, infrastructure and platform extensions.
//!
//! `occi-model` is the layer every other occi-rs crate stands on. It has no I/O, no async and
//! no HTTP: it knows what OCCI things are and which of them are valid.
//!
//! * Identifiers are validated newtypes ([`Scheme`], [`Term`], [`CategoryId`],
//!   [`AttributeName`], [`EntityId`], [`Location`]): if a value type-checks, it renders.
//! * Categories ([`Kind`], [`Mixin`], [`Action`]) carry attribute definitions
//!   ([`AttributeDefinition`]) with every OCCI 1.2 property.
//! * Instances ([`Resource`], [`Link`], [`Entity`]) carry typed values ([`AttributeValue`]).
//! * A [`Registry`] holds the categories a server knows and answers questions about them.
//!
//! # Example
//!
//! ```
//! use occi_model::{Registry, OcciVersion, Kind, Location, AttributeDefinition, AttributeType};
//!
//! let mut registry = Registry::new(OcciVersion::V1_2);
//! let vm = Kind::new("http://example.com/occi#vm".parse()?)
//!     .with_parent("http://schemas.ogf.org/occi/core#resource".parse()?)
//!     .with_location(Location::new("/vm/")?)
//!     .with_attribute(AttributeDefinition::new("com.example.cores".parse()?, AttributeType::Integer));
//! registry.register_kind(vm)?;
//!
//! let names: Vec<String> = registry
//!     .effective_attributes(&"http://example.com/occi#vm".parse()?, &[])
//!     .iter()
//!     .map(|d| d.name.to_string())
//!     .collect();
//! assert_eq!(names, ["occi.core.id", "occi.core.title", "occi.core.summary", "com.example.cores"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod attribute;
mod category;
mod entity;
pub mod ext;
mod ident;
mod registry;
#[cfg(feature = "proptest")]
pub mod strategy;
mod validate;
mod value;

pub use attribute::{AttributeDefinition, AttributeType, NumericRange, Pattern, PatternError};
pub use category::{Action, Category, CategoryClass, Kind, Mixin};
pub use entity::{ActionInvocation, Entity, Link, Resource, core_attr};
pub use ident::{
    AttributeName, CategoryId, EntityId, IdentError, IdentKind, Location, OGF_SCHEME_BASE,
    OcciVersion, Scheme, Term,
};
pub use registry::{
    LinkEndpoints, Origin, Registry, RegistryError, RegistryErrorKind, StateMachine, Transition,
};
pub use validate::{EntityLookup, NoEntities, Rule, UpdateMode, ValidationError, Violation};
pub use value::{AttributeValue, Attributes, Float};
