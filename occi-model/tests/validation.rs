//! Known-answer tests for entity, update and action validation.

mod common;

use std::collections::HashMap;

use common::*;
use occi_model::{
    ActionInvocation, AttributeValue, CategoryId, Entity, EntityLookup, Link, Location, NoEntities,
    OcciVersion, Resource, Rule, UpdateMode, ValidationError,
};

fn create(entity: impl Into<Entity>) -> Result<Entity, ValidationError> {
    let mut entity = entity.into();
    registry().validate_create(&mut entity, &store())?;
    Ok(entity)
}

fn core(term: &str) -> CategoryId {
    CategoryId::from_parts("http://schemas.ogf.org/occi/core#", term).unwrap()
}

// ----- one known answer per rule -----

#[test]
fn unknown_kind() {
    let mut r = compute();
    r.kind = id("nosuch");
    assert_only(create(r), Rule::UnknownKind, &format!("{SCHEME}nosuch"));
}

#[test]
fn not_a_kind() {
    let mut r = compute();
    r.kind = id("blue");
    let err = assert_only(create(r), Rule::NotAKind, &format!("{SCHEME}blue"));
    assert!(err.violations()[0].message().contains("mixin"));
}

#[test]
fn abstract_kind() {
    let r = Resource::new(core("entity"));
    assert_only(
        create(r),
        Rule::AbstractKind,
        "http://schemas.ogf.org/occi/core#entity",
    );
}

#[test]
fn entity_type_mismatch() {
    let mut r = Resource::new(id("nic"));
    r.title = Some("not a resource".into());
    assert_only(create(r), Rule::EntityTypeMismatch, &format!("{SCHEME}nic"));
    let mut l = nic();
    l.kind = id("compute");
    assert_only(
        create(l),
        Rule::EntityTypeMismatch,
        &format!("{SCHEME}compute"),
    );
}

#[test]
fn unknown_mixin() {
    let mut r = compute();
    r.mixins.push(id("nosuch"));
    assert_only(create(r), Rule::UnknownMixin, &format!("{SCHEME}nosuch"));
}

#[test]
fn not_a_mixin() {
    let mut r = compute();
    r.mixins.push(id("network"));
    assert_only(create(r), Rule::NotAMixin, &format!("{SCHEME}network"));
}

#[test]
fn duplicate_mixin() {
    let mut r = compute();
    r.mixins.extend([id("blue"), id("blue")]);
    assert_only(create(r), Rule::DuplicateMixin, &format!("{SCHEME}blue"));
}

#[test]
fn mixin_not_applicable() {
    let mut r = compute();
    r.mixins.push(id("ipnetwork"));
    let err = assert_only(
        create(r),
        Rule::MixinNotApplicable,
        &format!("{SCHEME}ipnetwork"),
    );
    assert!(err.to_string().contains("network"), "{err}");
}

#[test]
fn exclusive_mixins() {
    let mut r = compute();
    r.mixins.extend([id("small"), id("large")]);
    let err = assert_only(create(r), Rule::ExclusiveMixins, &format!("{SCHEME}large"));
    assert!(err.to_string().contains("resource_tpl"), "{err}");
}

#[test]
fn unknown_attribute() {
    let mut r = compute();
    set(&mut r, "com.example.bogus", AttributeValue::Integer(1));
    assert_only(create(r), Rule::UnknownAttribute, "com.example.bogus");
}

#[test]
fn core_attribute_outside_its_field_is_unknown() {
    let mut r = compute();
    set(&mut r, "occi.core.title", "t".into());
    assert_only(create(r), Rule::UnknownAttribute, "occi.core.title");
}

#[test]
fn attribute_of_a_kind_not_carried_is_unknown() {
    // The address is defined by ipnetwork, which the network does not carry.
    let mut r = Resource::new(id("network"));
    r.attributes
        .insert(ADDRESS.parse().unwrap(), "10.0.0.1".into());
    assert_only(create(r), Rule::UnknownAttribute, ADDRESS);
}

#[test]
fn immutable() {
    let mut r = compute();
    set(&mut r, STATE, "active".into());
    assert_only(create(r), Rule::Immutable, STATE);
}

#[test]
fn wrong_type() {
    let mut r = compute();
    set(&mut r, CORES, "two".into());
    let err = assert_only(create(r), Rule::WrongType, CORES);
    assert_eq!(
        err.to_string(),
        "ex.compute.cores: must be of type integer, not string (wrong-type)"
    );
}

#[test]
fn float_is_not_widened_to_integer() {
    let mut r = compute();
    set(&mut r, CORES, float(2.0));
    assert_only(create(r), Rule::WrongType, CORES);
}

#[test]
fn not_in_enum() {
    let mut r = compute();
    set(&mut r, ARCH, "arm".into());
    let err = assert_only(create(r), Rule::NotInEnum, ARCH);
    assert!(err.to_string().contains("x86, x64"), "{err}");
}

#[test]
fn pattern_mismatch() {
    let mut r = compute();
    set(&mut r, HOSTNAME, "Not A Host".into());
    assert_only(create(r), Rule::PatternMismatch, HOSTNAME);
}

#[test]
fn out_of_range() {
    let mut r = Resource::new(id("network"));
    r.attributes
        .insert(VLAN.parse().unwrap(), AttributeValue::Integer(5000));
    let err = assert_only(create(r), Rule::OutOfRange, VLAN);
    assert!(err.to_string().contains("0 to 4095"), "{err}");
    let mut c = compute();
    set(&mut c, MEMORY, float(0.25));
    assert_only(create(c), Rule::OutOfRange, MEMORY);
}

#[test]
fn required_missing() {
    let r = Resource::new(id("compute"));
    assert_only(create(r), Rule::RequiredMissing, NAME);
}

#[test]
fn kind_changed() {
    let current = create(compute()).unwrap();
    let update = Resource::new(id("network"));
    assert_only(
        registry().validate_update(&current, &update.into(), UpdateMode::Partial),
        Rule::KindChanged,
        &format!("{SCHEME}network"),
    );
    let link = Link::new(id("compute"));
    assert_only(
        registry().validate_update(&current, &link.into(), UpdateMode::Replace),
        Rule::KindChanged,
        &format!("{SCHEME}compute"),
    );
}

#[test]
fn link_source_missing() {
    let mut l = nic();
    l.source = None;
    assert_only(create(l), Rule::LinkSourceMissing, "occi.core.source");
}

#[test]
fn link_source_unknown() {
    let mut l = nic();
    l.source = Some(loc("/compute/404"));
    assert_only(create(l), Rule::LinkSourceUnknown, "occi.core.source");
}

#[test]
fn link_source_kind() {
    let mut l = nic();
    l.source = Some(loc("/network/1"));
    assert_only(create(l), Rule::LinkSourceKind, "occi.core.source");
}

#[test]
fn inline_link_source() {
    let mut r = compute();
    r.location = Some(loc("/compute/1"));
    let mut l = nic();
    l.source = Some(loc("/compute/2"));
    r.links.push(l);
    let err = assert_only(create(r), Rule::InlineLinkSource, "occi.core.source");
    assert_eq!(err.violations()[0].inline_link(), Some(0));
    assert!(err.to_string().starts_with("inline link 0: "), "{err}");
}

#[test]
fn source_kind_mismatch() {
    let mut l = nic();
    l.source_kind = Some(id("network"));
    assert_only(create(l), Rule::SourceKindMismatch, "occi.core.source.kind");
}

#[test]
fn link_target_missing() {
    let mut l = nic();
    l.target = None;
    assert_only(create(l), Rule::LinkTargetMissing, "occi.core.target");
}

#[test]
fn link_target_unknown() {
    let mut l = nic();
    l.target = Some(loc("/network/404"));
    assert_only(create(l), Rule::LinkTargetUnknown, "occi.core.target");
}

#[test]
fn external_target_is_unknown_in_occi_1_1() {
    let mut l = Entity::from({
        let mut l = Link::new(core("link"));
        l.source = Some(loc("/compute/1"));
        l.target = Some(loc("http://elsewhere.example/network/9"));
        l
    });
    let err = assert_only(
        registry_for(OcciVersion::V1_1).validate_create(&mut l, &store()),
        Rule::LinkTargetUnknown,
        "occi.core.target",
    );
    assert!(err.to_string().contains("1.1"), "{err}");
}

#[test]
fn link_target_kind() {
    let mut l = nic();
    l.target = Some(loc("/compute/2"));
    assert_only(create(l), Rule::LinkTargetKind, "occi.core.target");
}

#[test]
fn target_kind_mismatch() {
    let mut l = nic();
    l.target_kind = Some(id("compute"));
    assert_only(create(l), Rule::TargetKindMismatch, "occi.core.target.kind");
}

#[test]
fn unknown_action() {
    let vm = create(compute()).unwrap();
    assert_only(
        registry().validate_action(&vm, &ActionInvocation::new(compute_action("fly"))),
        Rule::UnknownAction,
        &format!("{COMPUTE_ACTIONS}fly"),
    );
    // A Kind is not an action either.
    assert_only(
        registry().validate_action(&vm, &ActionInvocation::new(id("compute"))),
        Rule::UnknownAction,
        &format!("{SCHEME}compute"),
    );
}

#[test]
fn action_not_defined() {
    let vm = create(compute()).unwrap();
    let err = assert_only(
        registry().validate_action(&vm, &ActionInvocation::new(network_action("up"))),
        Rule::ActionNotDefined,
        &format!("{NETWORK_ACTIONS}up"),
    );
    assert!(!err.is_conflict());
}

#[test]
fn action_not_applicable() {
    let vm = create(compute()).unwrap(); // inactive
    let err = assert_only(
        registry().validate_action(&vm, &ActionInvocation::new(compute_action("stop"))),
        Rule::ActionNotApplicable,
        &format!("{COMPUTE_ACTIONS}stop"),
    );
    assert!(err.is_conflict());
    assert!(err.to_string().contains("\"inactive\""), "{err}");
}

#[test]
fn unknown_parameter() {
    let vm = create(compute()).unwrap();
    let mut start = ActionInvocation::new(compute_action("start"));
    start
        .attributes
        .insert("force".parse().unwrap(), true.into());
    assert_only(
        registry().validate_action(&vm, &start),
        Rule::UnknownParameter,
        "force",
    );
}

#[test]
fn required_parameter_missing() {
    let vm = create(compute()).unwrap();
    assert_only(
        registry().validate_action(&vm, &ActionInvocation::new(compute_action("snapshot"))),
        Rule::RequiredMissing,
        "name",
    );
}

#[test]
fn parameter_type_and_enum() {
    let mut vm = compute();
    vm.attributes
        .insert(STATE.parse().unwrap(), "active".into()); // as a server stores it
    let vm = Entity::from(vm);
    let mut stop = ActionInvocation::new(compute_action("stop"));
    stop.attributes
        .insert("method".parse().unwrap(), "bogus".into());
    assert_only(
        registry().validate_action(&vm, &stop),
        Rule::NotInEnum,
        "method",
    );
    let mut snap = ActionInvocation::new(compute_action("snapshot"));
    snap.attributes
        .insert("name".parse().unwrap(), AttributeValue::Integer(1));
    assert_only(
        registry().validate_action(&vm, &snap),
        Rule::WrongType,
        "name",
    );
}

// ----- happy paths: create -----

#[test]
fn create_applies_kind_defaults() {
    let e = create(compute()).unwrap();
    assert_eq!(get(&e, CORES), Some(AttributeValue::Integer(1)));
    assert_eq!(get(&e, MEMORY), Some(float(1.0)));
    assert_eq!(get(&e, STATE), Some("inactive".into()));
    assert_eq!(get(&e, NAME), Some("web".into()));
    assert_eq!(get(&e, ARCH), None);
    assert_eq!(get(&e, HOSTNAME), None);
}

#[test]
fn create_widens_integer_to_float() {
    let mut r = compute();
    set(&mut r, MEMORY, AttributeValue::Integer(4));
    let e = create(r).unwrap();
    assert_eq!(e.attributes().get(MEMORY), Some(&float(4.0)));
}

#[test]
fn template_default_overrides_kind_default() {
    let mut r = compute();
    r.mixins.push(id("small"));
    let e = create(r).unwrap();
    assert_eq!(get(&e, CORES), Some(AttributeValue::Integer(2)));
    assert_eq!(get(&e, MEMORY), Some(float(2.0)));
    assert_eq!(e.mixins(), [id("small")]);
}

#[test]
fn client_value_overrides_template_default() {
    let mut r = compute();
    r.mixins.push(id("large"));
    set(&mut r, CORES, AttributeValue::Integer(3));
    let e = create(r).unwrap();
    assert_eq!(get(&e, CORES), Some(AttributeValue::Integer(3)));
    assert_eq!(get(&e, MEMORY), Some(float(16.0)));
}

#[test]
fn depends_are_implied_not_required() {
    // small depends on resource_tpl; the entity need not name it, and it is not added.
    let mut r = compute();
    r.mixins.push(id("small"));
    let e = create(r).unwrap();
    assert!(!e.mixins().contains(&id("resource_tpl")));
}

#[test]
fn tag_applies_to_any_kind() {
    let mut c = compute();
    c.mixins.push(id("blue"));
    assert!(create(c).is_ok());
    let mut n = Resource::new(id("network"));
    n.mixins.push(id("blue"));
    n.mixins.push(id("ipnetwork"));
    n.attributes
        .insert(ADDRESS.parse().unwrap(), "10.0.0.1".into());
    let e = create(n).unwrap();
    assert_eq!(get(&e, NET_STATE), Some("active".into()));
}

#[test]
fn client_may_propose_an_id_and_core_fields() {
    let mut r = compute();
    r.id = Some(
        "urn:uuid:de7335a7-07e0-4487-9cbd-ed51be7f2ce4"
            .parse()
            .unwrap(),
    );
    r.title = Some("web".into());
    r.summary = Some("front end".into());
    let e = create(r).unwrap();
    assert_eq!(
        e.id().map(occi_model::EntityId::as_str),
        Some("urn:uuid:de7335a7-07e0-4487-9cbd-ed51be7f2ce4")
    );
    assert_eq!(e.title(), Some("web"));
}

#[test]
fn core_resource_and_link_are_concrete() {
    assert!(create(Resource::new(core("resource"))).is_ok());
    let mut l = Link::new(core("link"));
    l.source = Some(loc("/network/1"));
    l.target = Some(loc("/compute/1"));
    assert!(create(l).is_ok());
}

#[test]
fn summary_is_not_an_attribute_of_links() {
    let mut l = nic();
    l.attributes
        .insert("occi.core.summary".parse().unwrap(), "x".into());
    assert_only(create(l), Rule::UnknownAttribute, "occi.core.summary");
}

#[test]
fn link_create_checks_its_attributes() {
    let mut l = nic();
    l.target_kind = Some(id("network"));
    l.attributes
        .insert(MAC.parse().unwrap(), "00:11:22:33:44:55".into());
    let e = create(l.clone()).unwrap();
    assert_eq!(e.as_link().unwrap().target_kind, Some(id("network")));
    l.attributes
        .insert(INTERFACE.parse().unwrap(), "eth0".into());
    assert_only(create(l), Rule::Immutable, INTERFACE);
}

#[test]
fn external_target_allowed_in_occi_1_2() {
    let mut l = Link::new(core("link"));
    l.source = Some(loc("/compute/1"));
    l.target = Some(loc("http://elsewhere.example/network/9"));
    assert!(create(l).is_ok());
    // A relative reference is not external: it must resolve.
    let mut l = Link::new(core("link"));
    l.source = Some(loc("/compute/1"));
    l.target = Some(loc("network/9"));
    assert_only(create(l), Rule::LinkTargetUnknown, "occi.core.target");
}

#[test]
fn external_target_kind_must_fit_the_link_kind() {
    let mut l = nic();
    l.target = Some(loc("http://elsewhere.example/network/9"));
    assert!(create(l.clone()).is_ok());
    l.target_kind = Some(id("compute"));
    assert_only(create(l), Rule::LinkTargetKind, "occi.core.target");
}

#[test]
fn in_occi_1_1_the_target_kind_is_the_rendering_rel_and_must_agree_with_the_target() {
    // OCCI 1.1 defines no occi.core.target.kind attribute; a Link rendering's `rel` still
    // names the target's Kind (H11 §3.5.2), and it must be the Kind the target has.
    let registry = registry_for(OcciVersion::V1_1);
    let mut consistent = Entity::from({
        let mut l = nic();
        l.target_kind = Some(id("network"));
        l
    });
    registry
        .validate_create(&mut consistent, &store())
        .expect("a rel naming the target's own Kind is fine");
    let mut inconsistent = Entity::from({
        let mut l = nic();
        l.target_kind = Some(id("compute"));
        l
    });
    let err = registry
        .validate_create(&mut inconsistent, &store())
        .unwrap_err();
    assert!(
        err.violations()
            .iter()
            .all(|v| v.rule() != Rule::UnknownAttribute),
        "{err}"
    );
    let rules: Vec<Rule> = err
        .violations()
        .iter()
        .map(occi_model::Violation::rule)
        .collect();
    assert_eq!(rules, [Rule::TargetKindMismatch], "{err}");
}

#[test]
fn inline_links_get_the_resource_as_source() {
    let mut r = compute();
    r.location = Some(loc("/compute/9"));
    let mut l = Link::new(id("nic"));
    l.target = Some(loc("/network/1"));
    r.links.push(l);
    let e = create(r).unwrap();
    let link = &e.as_resource().unwrap().links[0];
    assert_eq!(link.source, Some(loc("/compute/9")));
}

#[test]
fn inline_links_of_a_resource_without_location_are_checked() {
    let mut r = compute();
    let mut ok = Link::new(id("nic"));
    ok.target = Some(loc("/network/1"));
    let mut bad = Link::new(id("nic"));
    bad.target = Some(loc("/compute/2"));
    bad.attributes.insert(MAC.parse().unwrap(), "nope".into());
    r.links.extend([ok, bad]);
    let err = create(r).unwrap_err();
    assert_eq!(
        pairs(&err),
        [
            (Rule::PatternMismatch, MAC.to_owned()),
            (Rule::LinkTargetKind, "occi.core.target".to_owned()),
        ]
    );
    assert!(err.violations().iter().all(|v| v.inline_link() == Some(1)));
}

#[test]
fn inline_link_source_kind_is_the_resource() {
    // A network cannot be the source of a nic, even inline.
    let mut r = Resource::new(id("network"));
    let mut l = Link::new(id("nic"));
    l.target = Some(loc("/network/1"));
    r.links.push(l);
    assert_only(create(r), Rule::LinkSourceKind, "occi.core.source");
}

#[test]
fn reports_every_violation() {
    let mut r = compute();
    set(&mut r, CORES, "two".into());
    set(&mut r, ARCH, "arm".into());
    set(&mut r, "com.example.bogus", AttributeValue::Integer(1));
    let err = create(r).unwrap_err();
    let mut got = pairs(&err);
    got.sort();
    assert_eq!(
        got,
        [
            (Rule::UnknownAttribute, "com.example.bogus".to_owned()),
            (Rule::WrongType, CORES.to_owned()),
            (Rule::NotInEnum, ARCH.to_owned()),
        ]
    );
    let text = err.to_string();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("ex.compute.cores: must be of type integer, not string (wrong-type)"));
    assert!(
        text.contains(
            "ex.compute.architecture: must be one of {x86, x64}, not \"arm\" (not-in-enum)"
        )
    );
}

#[test]
fn failed_create_leaves_the_entity_unchanged() {
    let mut r = compute();
    set(&mut r, MEMORY, AttributeValue::Integer(4));
    set(&mut r, ARCH, "arm".into());
    let mut entity = Entity::from(r);
    let before = entity.clone();
    assert!(registry().validate_create(&mut entity, &store()).is_err());
    assert_eq!(entity, before);
}

// ----- updates -----

fn stored_compute() -> Entity {
    let mut r = compute();
    r.id = Some("urn:uuid:1".parse().unwrap());
    r.location = Some(loc("/compute/1"));
    r.title = Some("web".into());
    r.mixins.extend([id("small"), id("blue")]);
    set(&mut r, HOSTNAME, "web-1".into());
    let mut l = nic();
    l.location = Some(loc("/nic/1"));
    r.links.push(l);
    let mut e = Entity::from(r);
    registry().validate_create(&mut e, &store()).unwrap();
    e
}

#[test]
fn partial_update_merges_attributes() {
    let current = stored_compute();
    let mut update = Resource::new(id("compute"));
    update.title = Some("new".into());
    set(&mut update, MEMORY, AttributeValue::Integer(8));
    let result = registry()
        .validate_update(&current, &update.into(), UpdateMode::Partial)
        .unwrap();
    assert_eq!(result.title(), Some("new"));
    assert_eq!(get(&result, MEMORY), Some(float(8.0)));
    assert_eq!(get(&result, CORES), Some(AttributeValue::Integer(2)));
    assert_eq!(get(&result, HOSTNAME), Some("web-1".into()));
    assert_eq!(get(&result, NAME), Some("web".into()));
    assert_eq!(result.mixins(), [id("small"), id("blue")]);
    assert_eq!(result.id(), current.id());
    assert_eq!(result.location(), current.location());
    // current is untouched
    assert_eq!(current.title(), Some("web"));
}

#[test]
fn partial_update_replaces_exclusive_mixin_and_applies_its_defaults() {
    let current = stored_compute();
    let mut update = Resource::new(id("compute"));
    update.mixins.push(id("large"));
    let result = registry()
        .validate_update(&current, &update.into(), UpdateMode::Partial)
        .unwrap();
    assert_eq!(result.mixins(), [id("blue"), id("large")]);
    assert_eq!(get(&result, CORES), Some(AttributeValue::Integer(8)));
    assert_eq!(get(&result, MEMORY), Some(float(16.0)));
}

#[test]
fn partial_update_given_value_wins_over_new_template_default() {
    let current = stored_compute();
    let mut update = Resource::new(id("compute"));
    update.mixins.push(id("large"));
    set(&mut update, CORES, AttributeValue::Integer(4));
    let result = registry()
        .validate_update(&current, &update.into(), UpdateMode::Partial)
        .unwrap();
    assert_eq!(get(&result, CORES), Some(AttributeValue::Integer(4)));
    assert_eq!(get(&result, MEMORY), Some(float(16.0)));
}

#[test]
fn partial_update_adds_mixins_and_drops_attributes_of_removed_ones() {
    let mut n = Resource::new(id("network"));
    n.mixins.push(id("ipnetwork"));
    n.attributes
        .insert(ADDRESS.parse().unwrap(), "10.0.0.1".into());
    let current = create(n).unwrap();
    let mut update = Resource::new(id("network"));
    update.mixins.push(id("blue"));
    let result = registry()
        .validate_update(&current, &update.into(), UpdateMode::Partial)
        .unwrap();
    assert_eq!(result.mixins(), [id("ipnetwork"), id("blue")]);
    assert_eq!(get(&result, ADDRESS), Some("10.0.0.1".into()));
    // A full update without ipnetwork removes its attribute.
    let update = Resource::new(id("network"));
    let result = registry()
        .validate_update(&current, &update.into(), UpdateMode::Replace)
        .unwrap();
    assert!(result.mixins().is_empty());
    assert_eq!(get(&result, ADDRESS), None);
}

#[test]
fn updates_keep_links() {
    let current = stored_compute();
    let mut update = Resource::new(id("compute"));
    update.links.clear();
    set(&mut update, NAME, "web".into());
    for mode in [UpdateMode::Partial, UpdateMode::Replace] {
        let result = registry()
            .validate_update(&current, &update.clone().into(), mode)
            .unwrap();
        assert_eq!(
            result.as_resource().unwrap().links,
            current.as_resource().unwrap().links,
            "{mode:?}"
        );
        assert_eq!(result.as_resource().unwrap().links.len(), 1);
    }
}

#[test]
fn replace_removes_left_out_attributes_but_keeps_immutable_and_required() {
    let mut current = stored_compute();
    current
        .attributes_mut()
        .insert(STATE.parse().unwrap(), "active".into()); // as the server set it
    let mut update = Resource::new(id("compute"));
    update.mixins.push(id("blue"));
    set(&mut update, ARCH, "x64".into());
    let result = registry()
        .validate_update(&current, &update.into(), UpdateMode::Replace)
        .unwrap();
    assert_eq!(result.mixins(), [id("blue")]);
    assert_eq!(get(&result, ARCH), Some("x64".into()));
    assert_eq!(get(&result, HOSTNAME), None); // left out: removed
    assert_eq!(result.title(), None); // left out: removed
    assert_eq!(get(&result, STATE), Some("active".into())); // immutable: kept
    assert_eq!(get(&result, NAME), Some("web".into())); // required: kept
    assert_eq!(get(&result, CORES), Some(AttributeValue::Integer(1))); // default again
    assert_eq!(result.id(), current.id());
}

#[test]
fn update_may_repeat_immutable_values_but_not_change_them() {
    let current = stored_compute();
    let mut same = Resource::new(id("compute"));
    same.id = current.id().cloned();
    set(&mut same, STATE, "inactive".into());
    assert!(
        registry()
            .validate_update(&current, &same.into(), UpdateMode::Partial)
            .is_ok()
    );
    let mut changed = Resource::new(id("compute"));
    set(&mut changed, STATE, "active".into());
    assert_only(
        registry().validate_update(&current, &changed.into(), UpdateMode::Partial),
        Rule::Immutable,
        STATE,
    );
    let mut new_id = Resource::new(id("compute"));
    new_id.id = Some("urn:uuid:0".parse().unwrap());
    assert_only(
        registry().validate_update(&current, &new_id.into(), UpdateMode::Replace),
        Rule::Immutable,
        "occi.core.id",
    );
}

#[test]
fn update_checks_values_and_mixins() {
    let current = stored_compute();
    let mut update = Resource::new(id("compute"));
    set(&mut update, CORES, AttributeValue::Integer(100));
    update.mixins.extend([id("ipnetwork"), id("nosuch")]);
    let err = registry()
        .validate_update(&current, &update.into(), UpdateMode::Partial)
        .unwrap_err();
    let mut got = pairs(&err);
    got.sort();
    assert_eq!(
        got,
        [
            (Rule::UnknownMixin, format!("{SCHEME}nosuch")),
            (Rule::MixinNotApplicable, format!("{SCHEME}ipnetwork")),
            (Rule::OutOfRange, CORES.to_owned()),
        ]
    );
}

#[test]
fn update_with_two_templates_is_exclusive() {
    let current = stored_compute();
    let mut update = Resource::new(id("compute"));
    update.mixins.extend([id("small"), id("large")]);
    assert_only(
        registry().validate_update(&current, &update.into(), UpdateMode::Partial),
        Rule::ExclusiveMixins,
        &format!("{SCHEME}large"),
    );
}

#[test]
fn link_update_resolves_changed_target() {
    let current = create(nic()).unwrap();
    let mut update = Link::new(id("nic"));
    update.target = Some(loc("/compute/2"));
    let update = Entity::from(update);
    assert_only(
        registry().validate_update_with(&current, &update, UpdateMode::Partial, &store()),
        Rule::LinkTargetKind,
        "occi.core.target",
    );
    // Without a lookup nothing resolves.
    let mut moved = Link::new(id("nic"));
    moved.target = Some(loc("/network/1"));
    moved.source = Some(loc("/compute/2"));
    let moved = Entity::from(moved);
    let err = registry()
        .validate_update(&current, &moved, UpdateMode::Partial)
        .unwrap_err();
    assert!(err.has(Rule::LinkSourceUnknown));
    let result = registry()
        .validate_update_with(&current, &moved, UpdateMode::Partial, &store())
        .unwrap();
    assert_eq!(result.as_link().unwrap().source, Some(loc("/compute/2")));
    // A full update that leaves out source and target keeps them (they are required).
    let bare = Entity::from(Link::new(id("nic")));
    let result = registry()
        .validate_update(&current, &bare, UpdateMode::Replace)
        .unwrap();
    assert_eq!(result, current);
}

// ----- actions -----

#[test]
fn action_defaults_and_coercion() {
    let mut vm = compute();
    vm.attributes
        .insert(STATE.parse().unwrap(), "active".into());
    let vm = Entity::from(vm);
    let checked = registry()
        .validate_action(&vm, &ActionInvocation::new(compute_action("stop")))
        .unwrap();
    assert_eq!(
        checked.attributes.get("method"),
        Some(&AttributeValue::from("graceful"))
    );
    let mut snap = ActionInvocation::new(compute_action("snapshot"));
    snap.attributes.insert("name".parse().unwrap(), "s1".into());
    snap.attributes
        .insert("keep".parse().unwrap(), AttributeValue::Integer(3));
    let checked = registry().validate_action(&vm, &snap).unwrap();
    assert_eq!(checked.attributes.get("keep"), Some(&float(3.0)));
    assert_eq!(checked.action, compute_action("snapshot"));
}

#[test]
fn start_applies_when_inactive() {
    let vm = create(compute()).unwrap();
    assert!(
        registry()
            .validate_action(&vm, &ActionInvocation::new(compute_action("start")))
            .is_ok()
    );
    // An action no transition mentions applies in every state.
    let mut snap = ActionInvocation::new(compute_action("snapshot"));
    snap.attributes.insert("name".parse().unwrap(), "s".into());
    assert!(registry().validate_action(&vm, &snap).is_ok());
}

#[test]
fn not_defined_action_does_not_also_report_not_applicable() {
    let net = create(Resource::new(id("network"))).unwrap();
    let err = registry()
        .validate_action(&net, &ActionInvocation::new(compute_action("stop")))
        .unwrap_err();
    assert_eq!(
        pairs(&err),
        [(Rule::ActionNotDefined, format!("{COMPUTE_ACTIONS}stop"))]
    );
}

// ----- lookups and error type -----

#[test]
fn lookups() {
    let network = id("network");
    let mut map = HashMap::new();
    map.insert(loc("/n/1"), network.clone());
    assert_eq!(map.kind_of(&loc("/n/1")), Some(network.clone()));
    assert_eq!(map.kind_of(&loc("/n/2")), None);
    assert_eq!(store().kind_of(&loc("/compute/1")), Some(id("compute")));
    assert_eq!(NoEntities.kind_of(&loc("/compute/1")), None);
    let closure = |l: &Location| (l.as_str() == "/x").then(|| network.clone());
    let mut link = Entity::from({
        let mut l = Link::new(core("link"));
        l.source = Some(loc("/x"));
        l.target = Some(loc("/x"));
        l
    });
    assert!(registry().validate_create(&mut link, &closure).is_ok());
    let mut link2 = link.clone();
    let err = registry()
        .validate_create(&mut link2, &NoEntities)
        .unwrap_err();
    assert_eq!(
        pairs(&err),
        [
            (Rule::LinkSourceUnknown, "occi.core.source".to_owned()),
            (Rule::LinkTargetUnknown, "occi.core.target".to_owned()),
        ]
    );
}

#[test]
fn validation_error_is_a_thread_safe_error() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<ValidationError>();
    let err: Box<dyn std::error::Error + Send + Sync> =
        Box::new(create(Resource::new(id("compute"))).unwrap_err());
    assert_eq!(
        err.to_string(),
        "ex.compute.name: is required but has no value (required-missing)"
    );
}

#[test]
fn every_rule_has_a_distinct_name() {
    let names: std::collections::HashSet<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(names.len(), Rule::ALL.len());
    assert_eq!(Rule::RequiredMissing.as_str(), "required-missing");
    assert_eq!(
        Rule::ActionNotApplicable.to_string(),
        "action-not-applicable"
    );
}

#[test]
fn link_update_checks_only_the_changed_endpoint() {
    let mut l = nic();
    l.target_kind = Some(id("network"));
    let current = create(l).unwrap();
    // Dropping the target kind claim in a full update needs no lookup.
    let bare = Entity::from(Link::new(id("nic")));
    let result = registry()
        .validate_update(&current, &bare, UpdateMode::Replace)
        .unwrap();
    assert_eq!(result.as_link().unwrap().target_kind, None);
    assert_eq!(result.as_link().unwrap().target, Some(loc("/network/1")));
    // A new, wrong claim is checked against the (unchanged) target only.
    let mut claim = Link::new(id("nic"));
    claim.target_kind = Some(id("compute"));
    let claim = Entity::from(claim);
    assert_only(
        registry().validate_update_with(&current, &claim, UpdateMode::Partial, &store()),
        Rule::TargetKindMismatch,
        "occi.core.target.kind",
    );
}
