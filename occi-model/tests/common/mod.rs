//! A self-contained registry that mimics the infrastructure extension: a compute-like Kind
//! with a state machine, a network-like Kind, a link Kind with endpoints, a template family,
//! a Mixin restricted by `applies`, and a tag.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use occi_model::{
    Action, AttributeDefinition, AttributeType, AttributeValue, CategoryId, Entity, Kind, Link,
    LinkEndpoints, Location, Mixin, OcciVersion, Pattern, Registry, Resource, Rule, StateMachine,
    ValidationError,
};

pub const SCHEME: &str = "http://example.com/occi/infra#";
pub const COMPUTE_ACTIONS: &str = "http://example.com/occi/infra/compute/action#";
pub const NETWORK_ACTIONS: &str = "http://example.com/occi/infra/network/action#";

pub const ARCH: &str = "ex.compute.architecture";
pub const CORES: &str = "ex.compute.cores";
pub const MEMORY: &str = "ex.compute.memory";
pub const HOSTNAME: &str = "ex.compute.hostname";
pub const NAME: &str = "ex.compute.name";
pub const STATE: &str = "ex.compute.state";
pub const VLAN: &str = "ex.network.vlan";
pub const NET_STATE: &str = "ex.network.state";
pub const INTERFACE: &str = "ex.nic.interface";
pub const MAC: &str = "ex.nic.mac";
pub const ADDRESS: &str = "ex.ipnetwork.address";

pub fn id(term: &str) -> CategoryId {
    CategoryId::from_parts(SCHEME, term).unwrap()
}

pub fn compute_action(term: &str) -> CategoryId {
    CategoryId::from_parts(COMPUTE_ACTIONS, term).unwrap()
}

pub fn network_action(term: &str) -> CategoryId {
    CategoryId::from_parts(NETWORK_ACTIONS, term).unwrap()
}

pub fn loc(s: &str) -> Location {
    Location::new(s).unwrap()
}

pub fn float(x: f64) -> AttributeValue {
    AttributeValue::float(x).unwrap()
}

fn attr(name: &str, ty: AttributeType) -> AttributeDefinition {
    AttributeDefinition::new(name.parse().unwrap(), ty)
}

fn state_type() -> AttributeType {
    AttributeType::enumeration(["active", "inactive"])
}

fn template(term: &str, cores: i64, memory: f64) -> Mixin {
    Mixin::new(id(term))
        .with_title(format!("{term} template"))
        .with_depends(id("resource_tpl"))
        .with_applies(id("compute"))
        .with_location(loc(&format!("/templates/{term}/")))
        .with_attribute(
            attr(CORES, AttributeType::Integer)
                .with_range(Some(1.0), Some(64.0))
                .with_default(AttributeValue::Integer(cores)),
        )
        .with_attribute(
            attr(MEMORY, AttributeType::Float)
                .with_range(Some(0.5), Some(1024.0))
                .with_default(float(memory)),
        )
}

/// Registers the actions, the compute Kind and its state machine.
fn register_compute(r: &mut Registry) {
    r.register_action(Action::new(compute_action("start")))
        .unwrap();
    r.register_action(
        Action::new(compute_action("stop")).with_attribute(
            attr(
                "method",
                AttributeType::enumeration(["graceful", "poweroff"]),
            )
            .with_default("graceful".into()),
        ),
    )
    .unwrap();
    r.register_action(
        Action::new(compute_action("snapshot"))
            .with_attribute(attr("name", AttributeType::String).required())
            .with_attribute(attr("keep", AttributeType::Float)),
    )
    .unwrap();
    r.register_action(Action::new(network_action("up")))
        .unwrap();

    r.register_kind(
        Kind::new(id("compute"))
            .with_title("Compute")
            .with_parent("http://schemas.ogf.org/occi/core#resource".parse().unwrap())
            .with_location(loc("/compute/"))
            .with_attribute(attr(ARCH, AttributeType::enumeration(["x86", "x64"])))
            .with_attribute(
                attr(CORES, AttributeType::Integer)
                    .with_range(Some(1.0), Some(64.0))
                    .with_default(AttributeValue::Integer(1)),
            )
            .with_attribute(
                attr(MEMORY, AttributeType::Float)
                    .with_range(Some(0.5), Some(1024.0))
                    .with_default(float(1.0)),
            )
            .with_attribute(
                attr(HOSTNAME, AttributeType::String)
                    .with_pattern(Pattern::new("^[a-z][a-z0-9-]*$").unwrap()),
            )
            .with_attribute(attr(NAME, AttributeType::String).required())
            .with_attribute(
                attr(STATE, state_type())
                    .immutable()
                    .with_default("inactive".into()),
            )
            .with_action(compute_action("start"))
            .with_action(compute_action("stop"))
            .with_action(compute_action("snapshot")),
    )
    .unwrap();
    r.register_state_machine(
        &id("compute"),
        StateMachine::new(STATE.parse().unwrap(), "inactive")
            .with_transition("inactive", &compute_action("start"), "active")
            .with_transition("active", &compute_action("stop"), "inactive"),
    )
    .unwrap();
}

pub fn registry_for(version: OcciVersion) -> Registry {
    let mut r = Registry::new(version);
    register_compute(&mut r);
    r.register_kind(
        Kind::new(id("network"))
            .with_parent("http://schemas.ogf.org/occi/core#resource".parse().unwrap())
            .with_location(loc("/network/"))
            .with_attribute(attr(VLAN, AttributeType::Integer).with_range(Some(0.0), Some(4095.0)))
            .with_attribute(
                attr(NET_STATE, state_type())
                    .immutable()
                    .with_default("active".into()),
            )
            .with_action(network_action("up")),
    )
    .unwrap();

    r.register_kind(
        Kind::new(id("nic"))
            .with_parent("http://schemas.ogf.org/occi/core#link".parse().unwrap())
            .with_location(loc("/nic/"))
            .with_attribute(attr(INTERFACE, AttributeType::String).immutable())
            .with_attribute(
                attr(MAC, AttributeType::String)
                    .with_pattern(Pattern::new("^([0-9a-f]{2}:){5}[0-9a-f]{2}$").unwrap()),
            ),
    )
    .unwrap();
    r.register_link_endpoints(
        &id("nic"),
        LinkEndpoints {
            source: vec![id("compute")],
            target: vec![id("network")],
        },
    )
    .unwrap();

    r.register_mixin(
        Mixin::new(id("resource_tpl"))
            .with_title("Resource template")
            .with_location(loc("/templates/resource/")),
    )
    .unwrap();
    r.register_exclusive_family(&id("resource_tpl")).unwrap();
    r.register_mixin(template("small", 2, 2.0)).unwrap();
    r.register_mixin(template("large", 8, 16.0)).unwrap();

    r.register_mixin(
        Mixin::new(id("ipnetwork"))
            .with_applies(id("network"))
            .with_location(loc("/mixins/ipnetwork/"))
            .with_attribute(attr(ADDRESS, AttributeType::String)),
    )
    .unwrap();
    r.register_mixin(Mixin::new(id("blue")).with_location(loc("/tags/blue/")))
        .unwrap();
    r
}

pub fn registry() -> Registry {
    registry_for(OcciVersion::V1_2)
}

/// The entities that exist: two computes and a network.
pub fn store() -> BTreeMap<Location, CategoryId> {
    BTreeMap::from([
        (loc("/compute/1"), id("compute")),
        (loc("/compute/2"), id("compute")),
        (loc("/network/1"), id("network")),
    ])
}

/// A compute with its one required attribute.
pub fn compute() -> Resource {
    let mut r = Resource::new(id("compute"));
    r.attributes.insert(NAME.parse().unwrap(), "web".into());
    r
}

/// A network interface from `/compute/1` to `/network/1`.
pub fn nic() -> Link {
    let mut l = Link::new(id("nic"));
    l.source = Some(loc("/compute/1"));
    l.target = Some(loc("/network/1"));
    l
}

pub fn set(entity: &mut Resource, name: &str, value: AttributeValue) {
    entity.attributes.insert(name.parse().unwrap(), value);
}

pub fn get(entity: &Entity, name: &str) -> Option<AttributeValue> {
    entity.attribute_value(name)
}

/// The (rule, subject) pairs of an error, in order.
pub fn pairs(err: &ValidationError) -> Vec<(Rule, String)> {
    err.violations()
        .iter()
        .map(|v| (v.rule(), v.subject().to_owned()))
        .collect()
}

/// Asserts that `result` failed with exactly one violation, of `rule`, about `subject`.
#[track_caller]
pub fn assert_only<T: std::fmt::Debug>(
    result: Result<T, ValidationError>,
    rule: Rule,
    subject: &str,
) -> ValidationError {
    let err = result.expect_err("validation should fail");
    assert_eq!(pairs(&err), [(rule, subject.to_owned())], "{err}");
    err
}
