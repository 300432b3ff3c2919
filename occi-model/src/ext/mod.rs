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
use crate::ident::{AttributeName, CategoryId, Location, Scheme, Term};

/// A category id from constants of the OCCI documents (held static: copies cost nothing).
pub(crate) fn id(scheme: &'static str, term: &'static str) -> CategoryId {
    CategoryId::new(
        Scheme::from_static(scheme).expect("the extensions' schemes are valid"),
        Term::from_static(term).expect("the extensions' terms are valid"),
    )
}

/// An attribute name from constants of the OCCI documents (held static: copies cost
/// nothing).
pub(crate) fn name(name: &'static str) -> AttributeName {
    AttributeName::from_static(name).expect("the extensions' names are valid")
}

/// An attribute definition from constants of the OCCI documents.
pub(crate) fn def(name: &'static str, ty: AttributeType, description: &str) -> AttributeDefinition {
    AttributeDefinition::new(self::name(name), ty).with_description(description)
}

/// A location from constants of the extensions.
pub(crate) fn location(path: &str) -> Location {
    Location::new(path).expect("the extensions' locations are valid")
}

#[cfg(test)]
mod tests {
    use crate::ident::{HeldStatic, OcciVersion};
    use crate::{Registry, ext};

    /// Every scheme, term and attribute name the extensions register is held static, so
    /// copying it costs no reference count.
    #[test]
    fn the_extensions_identifiers_are_static() {
        for version in [OcciVersion::V1_1, OcciVersion::V1_2] {
            let mut registry = Registry::new(version);
            ext::infrastructure::register(&mut registry).unwrap();
            ext::infrastructure::register_crtp_templates(&mut registry).unwrap();
            ext::platform::register(&mut registry).unwrap();
            assert!(registry.len() > 30);
            for category in registry.categories() {
                let id = category.id();
                assert!(id.scheme().is_static() && id.term().is_static(), "{id}");
                for a in category.attributes() {
                    assert!(a.name.is_static(), "{}", a.name);
                }
            }
            for kind in registry.kinds() {
                if let Some(machine) = registry.state_machine(&kind.id) {
                    assert!(machine.attribute.is_static(), "{}", kind.id);
                }
            }
        }
    }
}
