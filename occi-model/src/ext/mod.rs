//! Extensions as plain constructors that register into a [`crate::Registry`].
//!
//! | module | documents | registers |
//! |---|---|---|
//! | [`core`] | C11 / C12 | the Kinds `entity`, `resource`, `link` (always present in a [`crate::Registry`]) |
//! | [`infrastructure`] | I11 (GFD.184) / I12 (GFD.224) | 5 Kinds (compute, storage, network, networkinterface, storagelink); Mixins ipnetwork, ipnetworkinterface, `os_tpl`, `resource_tpl` (+ `ssh_key`, `user_data` in 1.2); 11 Actions in 1.1, 9 in 1.2; state machines, link endpoints, the `os_tpl` and `resource_tpl` families; optionally the CRTP templates |
//! | [`platform`] | PL12 (GFD.227), registered on 1.1 and 1.2 | 3 Kinds (application, component, componentlink); 4 Mixins (`app_tpl`, `res_tpl`, database, databaselink); 4 Actions (start and stop of application and of component); state machines; the `app_tpl` and `res_tpl` families |
//!
//! Each `register` function registers the model of the registry's OCCI version, all or
//! nothing: on error the registry is unchanged.

pub mod core;
pub mod infrastructure;
pub mod platform;

use crate::attribute::{AttributeDefinition, AttributeType};
use crate::ident::{CategoryId, Location};

/// A category id from constants of the OCCI documents.
pub(crate) fn id(scheme: &str, term: &str) -> CategoryId {
    CategoryId::from_parts(scheme, term).expect("the extensions' ids are valid")
}

/// An attribute definition from constants of the OCCI documents.
pub(crate) fn def(name: &str, ty: AttributeType, description: &str) -> AttributeDefinition {
    AttributeDefinition::new(name.parse().expect("the extensions' names are valid"), ty)
        .with_description(description)
}

/// A location from constants of the extensions.
pub(crate) fn location(path: &str) -> Location {
    Location::new(path).expect("the extensions' locations are valid")
}
