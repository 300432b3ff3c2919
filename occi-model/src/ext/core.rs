//! OCCI Core (C11 §4, C12 §5): the Kinds `entity`, `resource` and `link`.
//!
//! Every [`crate::Registry`] holds these from its creation. `entity` has no location (P12 §4
//! forbids one in 1.2; 1.1 gives none either); `resource` is served at `/resource/` and
//! `link` at `/link/`, so that every Kind but `entity` has one (H11 §3.3.1).

use crate::attribute::{AttributeDefinition, AttributeType};
use crate::category::Kind;
use crate::entity::core_attr;
use crate::ident::{CategoryId, Location, OcciVersion};

/// The Core scheme.
pub const SCHEME: &str = "http://schemas.ogf.org/occi/core#";

fn id(term: &'static str) -> CategoryId {
    super::id(SCHEME, term)
}

fn attr(name: &'static str, ty: AttributeType) -> AttributeDefinition {
    AttributeDefinition::new(super::name(name), ty)
}

/// `http://schemas.ogf.org/occi/core#entity`.
pub fn entity_id() -> CategoryId {
    id("entity")
}

/// `http://schemas.ogf.org/occi/core#resource`.
pub fn resource_id() -> CategoryId {
    id("resource")
}

/// `http://schemas.ogf.org/occi/core#link`.
pub fn link_id() -> CategoryId {
    id("link")
}

/// The three core Kinds of `version`, parents first.
///
/// In 1.2 `link` also defines `occi.core.target.kind` (T12 §5.5.1).
pub fn kinds(version: OcciVersion) -> Vec<Kind> {
    let entity = Kind::new(entity_id())
        .with_title("Entity")
        .with_attribute(
            attr(core_attr::ID, AttributeType::String)
                .immutable()
                .with_description("The unique identifier of the entity (a URI)"),
        )
        .with_attribute(
            attr(core_attr::TITLE, AttributeType::String)
                .with_description("The display name of the entity"),
        );
    let resource = Kind::new(resource_id())
        .with_title("Resource")
        .with_parent(entity_id())
        .with_location(Location::new("/resource/").expect("valid"))
        .with_attribute(
            attr(core_attr::SUMMARY, AttributeType::String)
                .with_description("A summarising description of the resource"),
        );
    let mut link = Kind::new(link_id())
        .with_title("Link")
        .with_parent(entity_id())
        .with_location(Location::new("/link/").expect("valid"))
        .with_attribute(
            attr(core_attr::SOURCE, AttributeType::String)
                .required()
                .with_description("The location of the resource the link originates from"),
        )
        .with_attribute(
            attr(core_attr::TARGET, AttributeType::String)
                .required()
                .with_description("The location (or URI) of the link's target"),
        );
    if version == OcciVersion::V1_2 {
        link = link.with_attribute(
            attr(core_attr::TARGET_KIND, AttributeType::String)
                .with_description("The type identifier of the target's kind"),
        );
    }
    vec![entity, resource, link]
}
