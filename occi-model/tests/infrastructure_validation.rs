//! The infrastructure model and validation together, on the specification's own cases
//! (assertion ids from occi-spec.md section 6).

use std::collections::HashMap;

use occi_model::ext::infrastructure as infra;
use occi_model::{
    ActionInvocation, AttributeValue, CategoryId, Entity, Link, Location, OcciVersion, Registry,
    Resource, Rule, UpdateMode,
};

fn registry(version: OcciVersion) -> Registry {
    let mut r = Registry::new(version);
    infra::register(&mut r).unwrap();
    infra::register_crtp_templates(&mut r).unwrap();
    r
}

fn compute() -> Resource {
    let mut c = Resource::new(infra::compute_id());
    c.location = Some(Location::new("/compute/1").unwrap());
    c
}

fn set(entity: &mut Resource, name: &str, value: AttributeValue) {
    entity.attributes.insert(name.parse().unwrap(), value);
}

fn rules(result: Result<(), occi_model::ValidationError>) -> Vec<Rule> {
    result
        .unwrap_err()
        .violations()
        .iter()
        .map(occi_model::Violation::rule)
        .collect()
}

fn no_entities() -> HashMap<Location, CategoryId> {
    HashMap::new()
}

#[test]
fn a_new_compute_starts_inactive_with_its_defaults() {
    for version in [OcciVersion::V1_1, OcciVersion::V1_2] {
        let r = registry(version);
        let mut e: Entity = compute().into();
        r.validate_create(&mut e, &no_entities()).unwrap();
        assert_eq!(
            e.attribute_value(infra::attr::COMPUTE_STATE),
            Some("inactive".into()),
            "OCCI {version}"
        );
        // INF-010 / ENT-028: only start applies to an inactive compute.
        assert_eq!(r.applicable_actions(&e), [infra::compute_start_id()]);
    }
}

#[test]
fn inf_013_and_inf_014_out_of_range_and_enum_values_are_rejected() {
    let r = registry(OcciVersion::V1_2);
    let mut network = Resource::new(infra::network_id());
    set(
        &mut network,
        "occi.network.vlan",
        AttributeValue::Integer(5000),
    );
    assert_eq!(
        rules(r.validate_create(&mut network.into(), &no_entities())),
        [Rule::OutOfRange]
    );
    let mut c = compute();
    set(&mut c, infra::attr::COMPUTE_ARCHITECTURE, "arm".into());
    assert_eq!(
        rules(r.validate_create(&mut c.into(), &no_entities())),
        [Rule::NotInEnum]
    );
}

#[test]
fn ent_010_ent_011_ent_012_required_immutable_and_typed_attributes() {
    let r = registry(OcciVersion::V1_1);
    let storage = Resource::new(infra::storage_id());
    assert_eq!(
        rules(r.validate_create(&mut storage.into(), &no_entities())),
        [Rule::RequiredMissing]
    );
    let mut c = compute();
    set(&mut c, infra::attr::COMPUTE_STATE, "active".into());
    set(&mut c, infra::attr::COMPUTE_CORES, "two".into());
    let found = rules(r.validate_create(&mut c.into(), &no_entities()));
    assert!(found.contains(&Rule::Immutable) && found.contains(&Rule::WrongType));
    // A float attribute accepts an integer and stores a float (TXT-004).
    let mut c = compute();
    set(
        &mut c,
        infra::attr::COMPUTE_MEMORY,
        AttributeValue::Integer(2),
    );
    let mut e: Entity = c.into();
    r.validate_create(&mut e, &no_entities()).unwrap();
    assert_eq!(
        e.attribute_value(infra::attr::COMPUTE_MEMORY),
        AttributeValue::float(2.0)
    );
}

#[test]
fn ent_015_and_inf_022_mixins_apply_only_where_they_may() {
    let r = registry(OcciVersion::V1_2);
    let mut c = compute();
    c.mixins.push(infra::ipnetwork_id());
    let found = rules(r.validate_create(&mut c.into(), &no_entities()));
    assert!(found.contains(&Rule::MixinNotApplicable), "{found:?}");
}

#[test]
fn templates_are_exclusive_and_their_defaults_apply() {
    let r = registry(OcciVersion::V1_2);
    let small = infra::crtp_template_id(OcciVersion::V1_2, "small").unwrap();
    let large = infra::crtp_template_id(OcciVersion::V1_2, "large").unwrap();
    let mut c = compute();
    c.mixins.push(small.clone());
    let mut e: Entity = c.into();
    r.validate_create(&mut e, &no_entities()).unwrap();
    assert_eq!(
        e.attribute_value(infra::attr::COMPUTE_CORES),
        Some(AttributeValue::Integer(1))
    );
    // MIX-010: a new resource template replaces the old one.
    let mut update = Resource::new(infra::compute_id());
    update.mixins.push(large.clone());
    let updated = r
        .validate_update(&e, &update.into(), UpdateMode::Partial)
        .unwrap();
    assert_eq!(updated.mixins(), std::slice::from_ref(&large));
    assert_eq!(
        updated.attribute_value(infra::attr::COMPUTE_CORES),
        Some(AttributeValue::Integer(4))
    );
    // Two templates of one family at creation are refused.
    let mut c = compute();
    c.mixins.extend([small, large]);
    assert_eq!(
        rules(r.validate_create(&mut c.into(), &no_entities())),
        [Rule::ExclusiveMixins]
    );
}

#[test]
fn lnk_001_lnk_003_lnk_004_and_inf_019_network_interfaces() {
    let r = registry(OcciVersion::V1_2);
    let mut known = HashMap::new();
    known.insert(Location::new("/compute/1").unwrap(), infra::compute_id());
    known.insert(Location::new("/network/1").unwrap(), infra::network_id());
    let nic = |source: &str, target: Option<&str>| {
        let mut l = Link::new(infra::networkinterface_id());
        l.source = Some(Location::new(source).unwrap());
        l.target = target.map(|t| Location::new(t).unwrap());
        l.attributes.insert(
            "occi.networkinterface.mac".parse().unwrap(),
            "00:11:22:33:44:55".into(),
        );
        l
    };
    let mut ok: Entity = nic("/compute/1", Some("/network/1")).into();
    r.validate_create(&mut ok, &known).unwrap();
    assert_eq!(
        rules(r.validate_create(&mut nic("/compute/1", None).into(), &known)),
        [Rule::LinkTargetMissing]
    );
    assert_eq!(
        rules(r.validate_create(&mut nic("/compute/404", Some("/network/1")).into(), &known)),
        [Rule::LinkSourceUnknown]
    );
    // A network interface must lead to a network.
    assert_eq!(
        rules(r.validate_create(&mut nic("/compute/1", Some("/compute/1")).into(), &known)),
        [Rule::LinkTargetKind]
    );
    let mut update = Link::new(infra::networkinterface_id());
    update.attributes.insert(
        "occi.networkinterface.interface".parse().unwrap(),
        "eth9".into(),
    );
    let err = r
        .validate_update(&ok, &update.into(), UpdateMode::Partial)
        .unwrap_err();
    assert!(err.has(Rule::Immutable));
}

#[test]
fn act_004_to_act_006_and_act_011_action_invocations() {
    let r = registry(OcciVersion::V1_2);
    let mut e: Entity = compute().into();
    r.validate_create(&mut e, &no_entities()).unwrap();
    let mut active = e.clone();
    active
        .attributes_mut()
        .insert(infra::attr::COMPUTE_STATE.parse().unwrap(), "active".into());
    let mut stop = ActionInvocation::new(infra::compute_stop_id());
    stop.attributes
        .insert("method".parse().unwrap(), "bogus".into());
    let err = r.validate_action(&active, &stop).unwrap_err();
    let found: Vec<Rule> = err
        .violations()
        .iter()
        .map(occi_model::Violation::rule)
        .collect();
    assert_eq!(found, [Rule::NotInEnum]);
    stop.attributes
        .insert("method".parse().unwrap(), "graceful".into());
    r.validate_action(&active, &stop).unwrap();
    // A network action on a compute is not defined for it (400).
    let err = r
        .validate_action(&e, &ActionInvocation::new(infra::network_up_id()))
        .unwrap_err();
    assert!(err.has(Rule::ActionNotDefined) && !err.is_conflict());
    // Suspending an inactive compute is defined but not applicable now (409).
    let err = r
        .validate_action(&e, &ActionInvocation::new(infra::compute_suspend_id()))
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    r.validate_action(&e, &ActionInvocation::new(infra::compute_start_id()))
        .unwrap();
}

#[test]
fn inf_020_user_data_is_given_once() {
    let r = registry(OcciVersion::V1_2);
    let mut c = compute();
    c.mixins.push(infra::user_data_id());
    set(
        &mut c,
        "occi.compute.userdata",
        "I2Nsb3VkLWNvbmZpZw==".into(),
    );
    let mut created: Entity = c.into();
    r.validate_create(&mut created, &no_entities()).unwrap();
    // Repeating the value is fine; changing it is not, by POST or by PUT.
    for mode in [UpdateMode::Partial, UpdateMode::Replace] {
        let mut update = Resource::new(infra::compute_id());
        update.mixins.push(infra::user_data_id());
        update.attributes.insert(
            "occi.compute.userdata".parse().unwrap(),
            "I2Nsb3VkLWNvbmZpZw==".into(),
        );
        r.validate_update(&created, &update.clone().into(), mode)
            .unwrap();
        update.attributes.insert(
            "occi.compute.userdata".parse().unwrap(),
            "Y2hhbmdlZA==".into(),
        );
        let err = r
            .validate_update(&created, &update.into(), mode)
            .unwrap_err();
        let rules: Vec<Rule> = err
            .violations()
            .iter()
            .map(occi_model::Violation::rule)
            .collect();
        assert_eq!(rules, [Rule::CreateOnly], "{mode:?}: {err}");
    }
    // A full update that leaves it out keeps it.
    let mut update = Resource::new(infra::compute_id());
    update.mixins.push(infra::user_data_id());
    let kept = r
        .validate_update(&created, &update.into(), UpdateMode::Replace)
        .unwrap();
    assert_eq!(
        kept.attribute_value("occi.compute.userdata"),
        Some("I2Nsb3VkLWNvbmZpZw==".into())
    );
}
