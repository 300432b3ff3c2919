//! Known-answer tests of the infrastructure and platform extensions against the tables,
//! diagrams and assertions of the OCCI documents (INF-*, ACT-013, MIX-009, MIX-014).

use std::collections::HashSet;
use std::net::IpAddr;

use occi_model::ext::{core, infrastructure as infra, platform};
use occi_model::{
    AttributeDefinition, AttributeType, AttributeValue, CategoryId, Entity, OcciVersion, Registry,
    RegistryErrorKind, Resource,
};
use proptest::prelude::*;

const VERSIONS: [OcciVersion; 2] = [OcciVersion::V1_1, OcciVersion::V1_2];

fn with_infra(version: OcciVersion) -> Registry {
    let mut registry = Registry::new(version);
    infra::register(&mut registry).expect("infrastructure registers");
    registry
}

fn with_all(version: OcciVersion) -> Registry {
    let mut registry = with_infra(version);
    platform::register(&mut registry).expect("platform registers");
    registry
}

/// (kinds, mixins, actions, attributes of kinds and mixins, action parameters).
fn counts(registry: &Registry) -> (usize, usize, usize, usize, usize) {
    let mut attributes = 0;
    let mut parameters = 0;
    for category in registry.categories() {
        if category.as_action().is_some() {
            parameters += category.attributes().len();
        } else {
            attributes += category.attributes().len();
        }
    }
    (
        registry.kinds().count(),
        registry.mixins().count(),
        registry.actions().count(),
        attributes,
        parameters,
    )
}

fn delta(
    version: OcciVersion,
    register: fn(&mut Registry) -> Result<(), occi_model::RegistryError>,
) -> (usize, usize, usize, usize, usize) {
    let core = counts(&Registry::new(version));
    let mut registry = Registry::new(version);
    register(&mut registry).expect("registers");
    let all = counts(&registry);
    (
        all.0 - core.0,
        all.1 - core.1,
        all.2 - core.2,
        all.3 - core.3,
        all.4 - core.4,
    )
}

fn def<'a>(registry: &'a Registry, kind: &CategoryId, name: &str) -> &'a AttributeDefinition {
    registry
        .kind(kind)
        .unwrap_or_else(|| panic!("kind {kind}"))
        .attribute(&name.parse().unwrap())
        .unwrap_or_else(|| panic!("{kind} defines {name}"))
}

fn mixin_def<'a>(
    registry: &'a Registry,
    mixin: &CategoryId,
    name: &str,
) -> &'a AttributeDefinition {
    registry
        .mixin(mixin)
        .unwrap_or_else(|| panic!("mixin {mixin}"))
        .attribute(&name.parse().unwrap())
        .unwrap_or_else(|| panic!("{mixin} defines {name}"))
}

fn names(registry: &Registry, kind: &CategoryId) -> Vec<String> {
    registry
        .kind(kind)
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.name.to_string())
        .collect()
}

fn terms(ids: &[CategoryId]) -> Vec<&str> {
    ids.iter().map(|id| id.term().as_str()).collect()
}

fn enum_values(definition: &AttributeDefinition) -> Vec<&str> {
    match &definition.ty {
        AttributeType::Enum(values) => values.iter().map(String::as_str).collect(),
        other => panic!("{} is {other:?}, not an enum", definition.name),
    }
}

#[test]
fn counts_per_extension_and_version() {
    assert_eq!(delta(OcciVersion::V1_1, infra::register), (5, 4, 11, 23, 4));
    assert_eq!(delta(OcciVersion::V1_2, infra::register), (5, 6, 9, 30, 5));
    assert_eq!(
        delta(OcciVersion::V1_1, platform::register),
        (3, 4, 4, 11, 0)
    );
    assert_eq!(
        delta(OcciVersion::V1_2, platform::register),
        (3, 4, 4, 11, 0)
    );
}

#[test]
fn inf_001_parents_and_locations() {
    for version in VERSIONS {
        let r = with_infra(version);
        for (kind, parent, loc) in [
            (infra::compute_id(), core::resource_id(), "/compute/"),
            (infra::storage_id(), core::resource_id(), "/storage/"),
            (infra::network_id(), core::resource_id(), "/network/"),
            (
                infra::networkinterface_id(),
                core::link_id(),
                "/networkinterface/",
            ),
            (infra::storagelink_id(), core::link_id(), "/storagelink/"),
        ] {
            let k = r.kind(&kind).unwrap();
            assert_eq!(k.parent.as_ref(), Some(&parent), "{kind}");
            assert_eq!(k.location.as_ref().unwrap().as_str(), loc);
        }
        assert_eq!(
            r.kind(&infra::compute_id()).unwrap().title.as_deref(),
            Some("Compute Resource")
        );
    }
}

#[test]
fn inf_002_compute_attributes() {
    let r11 = with_infra(OcciVersion::V1_1);
    let r12 = with_infra(OcciVersion::V1_2);
    let c = infra::compute_id();
    assert_eq!(
        names(&r11, &c),
        [
            "occi.compute.architecture",
            "occi.compute.cores",
            "occi.compute.hostname",
            "occi.compute.speed",
            "occi.compute.memory",
            "occi.compute.state"
        ]
    );
    assert_eq!(
        names(&r12, &c),
        [
            "occi.compute.architecture",
            "occi.compute.cores",
            "occi.compute.hostname",
            "occi.compute.share",
            "occi.compute.memory",
            "occi.compute.state",
            "occi.compute.state.message"
        ]
    );
    let arch = def(&r12, &c, "occi.compute.architecture");
    assert_eq!(enum_values(arch), ["x86", "x64"]);
    assert!(arch.mutable && !arch.required && arch.default.is_none());
    assert_eq!(
        def(&r12, &c, "occi.compute.cores").ty,
        AttributeType::Integer
    );
    assert_eq!(
        def(&r12, &c, "occi.compute.share").ty,
        AttributeType::Integer
    );
    assert_eq!(
        def(&r12, &c, "occi.compute.memory").ty,
        AttributeType::Float
    );
    assert_eq!(def(&r11, &c, "occi.compute.speed").ty, AttributeType::Float);
    assert_eq!(
        def(&r12, &c, "occi.compute.hostname").ty,
        AttributeType::String
    );
    for (r, states) in [
        (&r11, vec!["active", "inactive", "suspended"]),
        (&r12, vec!["active", "inactive", "suspended", "error"]),
    ] {
        let state = def(r, &c, "occi.compute.state");
        assert_eq!(enum_values(state), states);
        assert!(!state.mutable && !state.required);
        assert_eq!(state.default, Some(AttributeValue::from("inactive")));
    }
    let message = def(&r12, &c, "occi.compute.state.message");
    assert!(!message.mutable && message.ty == AttributeType::String);
    // Every definition carries a description.
    for version in VERSIONS {
        let r = with_all(version);
        for category in r.categories() {
            for a in category.attributes() {
                assert!(a.description.is_some(), "{} {}", category.id(), a.name);
            }
        }
    }
}

#[test]
fn inf_003_act_013_compute_actions() {
    for version in VERSIONS {
        let r = with_infra(version);
        let kind = r.kind(&infra::compute_id()).unwrap();
        let expected: &[&str] = match version {
            OcciVersion::V1_1 => &["start", "stop", "restart", "suspend"],
            OcciVersion::V1_2 => &["start", "stop", "restart", "suspend", "save"],
        };
        assert_eq!(terms(&kind.actions), expected);
        for action in &kind.actions {
            assert_eq!(action.scheme().as_str(), infra::COMPUTE_ACTION_SCHEME);
            assert!(r.action(action).unwrap().title.is_some());
        }
        for (action, methods) in [
            (
                infra::compute_stop_id(),
                vec!["graceful", "acpioff", "poweroff"],
            ),
            (
                infra::compute_restart_id(),
                vec!["graceful", "warm", "cold"],
            ),
            (infra::compute_suspend_id(), vec!["hibernate", "suspend"]),
        ] {
            let method = r
                .action(&action)
                .unwrap()
                .attribute(&"method".parse().unwrap())
                .unwrap();
            assert_eq!(enum_values(method), methods);
            assert!(!method.required);
        }
        assert!(
            r.action(&infra::compute_start_id())
                .unwrap()
                .attributes
                .is_empty()
        );
    }
    let r12 = with_infra(OcciVersion::V1_2);
    let save = r12.action(&infra::compute_save_id()).unwrap();
    assert_eq!(
        enum_values(save.attribute(&"method".parse().unwrap()).unwrap()),
        ["hot", "deferred"]
    );
    assert_eq!(
        save.attribute(&"name".parse().unwrap()).unwrap().ty,
        AttributeType::String
    );
    assert!(
        with_infra(OcciVersion::V1_1)
            .action(&infra::compute_save_id())
            .is_none()
    );
}

#[test]
fn inf_004_013_network() {
    for version in VERSIONS {
        let r = with_infra(version);
        let n = infra::network_id();
        let vlan = def(&r, &n, "occi.network.vlan");
        assert_eq!(vlan.ty, AttributeType::Integer);
        let range = vlan.range.unwrap();
        assert!(range.contains(0.0) && range.contains(4095.0));
        assert!(!range.contains(5000.0) && !range.contains(-1.0));
        let label = def(&r, &n, "occi.network.label");
        let pattern = label.pattern.as_ref().unwrap();
        assert!(pattern.is_match("external-dmz") && !pattern.is_match("a b"));
        let state = def(&r, &n, "occi.network.state");
        assert!(!state.mutable);
        assert_eq!(state.default, Some(AttributeValue::from("inactive")));
        let states = enum_values(state);
        assert_eq!(states.contains(&"error"), version == OcciVersion::V1_2);
        let kind = r.kind(&n).unwrap();
        assert_eq!(terms(&kind.actions), ["up", "down"]);
        assert!(
            kind.actions
                .iter()
                .all(|a| a.scheme().as_str() == infra::NETWORK_ACTION_SCHEME)
        );
    }
}

#[test]
fn inf_005_storage() {
    for version in VERSIONS {
        let r = with_infra(version);
        let s = infra::storage_id();
        let size = def(&r, &s, "occi.storage.size");
        assert!(size.required && size.mutable && size.ty == AttributeType::Float);
        let state = def(&r, &s, "occi.storage.state");
        assert!(!state.mutable && !state.required);
        assert_eq!(state.default, Some(AttributeValue::from("offline")));
        let kind = r.kind(&s).unwrap();
        match version {
            OcciVersion::V1_1 => {
                assert_eq!(
                    enum_values(state),
                    [
                        "online", "offline", "backup", "snapshot", "resize", "degraded"
                    ]
                );
                assert_eq!(
                    terms(&kind.actions),
                    ["online", "offline", "backup", "snapshot", "resize"]
                );
                let resize = r.action(&infra::storage_resize_id()).unwrap();
                let size = resize.attribute(&"size".parse().unwrap()).unwrap();
                assert!(size.ty == AttributeType::Float && size.required);
                assert!(
                    kind.attribute(&"occi.storage.state.message".parse().unwrap())
                        .is_none()
                );
            }
            OcciVersion::V1_2 => {
                assert_eq!(enum_values(state), ["online", "offline", "error"]);
                assert_eq!(terms(&kind.actions), ["online", "offline"]);
                assert!(r.action(&infra::storage_resize_id()).is_none());
                assert!(!def(&r, &s, "occi.storage.state.message").mutable);
            }
        }
    }
}

#[test]
fn inf_006_019_links() {
    for version in VERSIONS {
        let r = with_infra(version);
        let ni = infra::networkinterface_id();
        let interface = def(&r, &ni, "occi.networkinterface.interface");
        // Immutable (INF-019), so the server assigns it and a client need not give it.
        assert!(!interface.mutable && !interface.required);
        let mac = def(&r, &ni, "occi.networkinterface.mac");
        assert!(mac.mutable && mac.required);
        assert!(!def(&r, &ni, "occi.networkinterface.state").mutable);
        let sl = infra::storagelink_id();
        let device = def(&r, &sl, "occi.storagelink.deviceid");
        assert!(device.mutable && device.required);
        let mount = def(&r, &sl, "occi.storagelink.mountpoint");
        assert!(mount.mutable && !mount.required);
        let state = def(&r, &sl, "occi.storagelink.state");
        assert!(!state.mutable);
        assert_eq!(state.default, Some(AttributeValue::from("inactive")));
        assert_eq!(
            enum_values(state).contains(&"error"),
            version == OcciVersion::V1_2
        );
        // Neither version defines link actions.
        assert!(r.kind(&ni).unwrap().actions.is_empty());
        assert!(r.kind(&sl).unwrap().actions.is_empty());
    }
}

#[test]
fn inf_007_mix_014_ip_mixins() {
    for version in VERSIONS {
        let r = with_infra(version);
        let ipn = r.mixin(&infra::ipnetwork_id()).unwrap();
        assert_eq!(
            ipn.id.scheme().as_str(),
            "http://schemas.ogf.org/occi/infrastructure/network#"
        );
        let ipni = r.mixin(&infra::ipnetworkinterface_id()).unwrap();
        assert_eq!(
            ipni.id.scheme().as_str(),
            "http://schemas.ogf.org/occi/infrastructure/networkinterface#"
        );
        // Both versions: I11 restricts them in its text; 1.1 renders no `applies`, the
        // model keeps the restriction all the same.
        assert_eq!(ipn.applies, [infra::network_id()]);
        assert_eq!(ipni.applies, [infra::networkinterface_id()]);
        let address = mixin_def(&r, &ipn.id, "occi.network.address");
        assert!(address.pattern.as_ref().unwrap().is_match("192.168.0.0/24"));
        assert!(address.pattern.as_ref().unwrap().is_match("fc00::/7"));
        assert!(
            mixin_def(&r, &ipn.id, "occi.network.gateway")
                .pattern
                .as_ref()
                .unwrap()
                .is_match("192.168.0.1")
        );
        assert_eq!(
            enum_values(mixin_def(&r, &ipn.id, "occi.network.allocation")),
            ["dynamic", "static"]
        );
        assert!(!mixin_def(&r, &ipn.id, "occi.network.allocation").required);
        assert!(mixin_def(&r, &ipni.id, "occi.networkinterface.address").required);
        assert!(!mixin_def(&r, &ipni.id, "occi.networkinterface.gateway").required);
        let allocation = mixin_def(&r, &ipni.id, "occi.networkinterface.allocation");
        assert!(allocation.required);
        assert_eq!(enum_values(allocation), ["dynamic", "static"]);
    }
}

#[test]
fn inf_008_009_credentials_and_contextualization() {
    let r = with_infra(OcciVersion::V1_2);
    let ssh = r.mixin(&infra::ssh_key_id()).unwrap();
    assert_eq!(
        ssh.id.to_string(),
        "http://schemas.ogf.org/occi/infrastructure/credentials#ssh_key"
    );
    assert_eq!(ssh.applies, [infra::compute_id()]);
    let key = mixin_def(&r, &ssh.id, "occi.credentials.ssh.publickey");
    assert!(key.required && key.mutable && key.ty == AttributeType::String);
    let user_data = r.mixin(&infra::user_data_id()).unwrap();
    assert_eq!(
        user_data.id.to_string(),
        "http://schemas.ogf.org/occi/infrastructure/compute#user_data"
    );
    assert_eq!(user_data.applies, [infra::compute_id()]);
    assert!(mixin_def(&r, &user_data.id, "occi.compute.userdata").required);
    let r11 = with_infra(OcciVersion::V1_1);
    assert!(r11.mixin(&infra::ssh_key_id()).is_none());
    assert!(r11.mixin(&infra::user_data_id()).is_none());
}

#[test]
fn mix_009_template_roots_and_families() {
    for version in VERSIONS {
        let mut r = with_infra(version);
        for root in [infra::os_tpl_id(), infra::resource_tpl_id()] {
            let m = r.mixin(&root).unwrap();
            assert!(m.is_tag() && m.applies.is_empty());
            assert_eq!(
                r.exclusive_family(&root),
                None,
                "a root belongs to no family"
            );
        }
        infra::register_crtp_templates(&mut r).unwrap();
        for term in [
            "small",
            "medium",
            "large",
            "mem_small",
            "mem_medium",
            "mem_large",
        ] {
            let id = infra::crtp_template_id(version, term).unwrap();
            assert_eq!(r.mixin(&id).unwrap().depends, [infra::resource_tpl_id()]);
            assert_eq!(r.exclusive_family(&id), Some(&infra::resource_tpl_id()));
        }
        assert!(infra::crtp_template_id(version, "huge").is_none());
        let p = with_all(version);
        let app = platform::app_tpl_id();
        assert!(p.mixin(&app).is_some());
    }
}

#[test]
fn inf_023_crtp_defaults() {
    let mut r = with_infra(OcciVersion::V1_2);
    infra::register_crtp_templates(&mut r).unwrap();
    let compute = infra::compute_id();
    for (term, cores, memory, ephemeral) in [
        ("small", 1, 1.0, 10.0),
        ("medium", 2, 2.0, 20.0),
        ("large", 4, 4.0, 40.0),
        ("mem_large", 4, 16.0, 40.0),
    ] {
        let id = infra::crtp_template_id(OcciVersion::V1_2, term).unwrap();
        let default = |name: &str| {
            r.attribute_definition(&compute, std::slice::from_ref(&id), &name.parse().unwrap())
                .and_then(|d| d.default.clone())
        };
        assert_eq!(
            default("occi.compute.cores"),
            Some(AttributeValue::Integer(cores))
        );
        assert_eq!(
            default("occi.compute.memory"),
            AttributeValue::float(memory)
        );
        assert_eq!(
            default("occi.compute.ephemeral_storage.size"),
            AttributeValue::float(ephemeral)
        );
        assert_eq!(
            r.mixin(&id).unwrap().applies,
            std::slice::from_ref(&compute)
        );
    }
    // Twice fails cleanly.
    let before = r.len();
    let err = infra::register_crtp_templates(&mut r).unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::DuplicateId);
    assert_eq!(r.len(), before);
    // Without the infrastructure model it fails and leaves the registry as it was.
    let mut bare = Registry::new(OcciVersion::V1_2);
    let err = infra::register_crtp_templates(&mut bare).unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::UnknownReference);
    assert_eq!(bare.len(), 3);
}

#[test]
fn every_action_of_a_category_is_a_registered_action() {
    for version in VERSIONS {
        let r = with_all(version);
        let mut used = HashSet::new();
        for category in r.categories() {
            for action in category.actions() {
                assert!(
                    r.action(action).is_some(),
                    "{} lists {action}",
                    category.id()
                );
                used.insert(action.clone());
            }
        }
        // And every registered action belongs to some category.
        for action in r.actions() {
            assert!(used.contains(&action.id), "{} is unused", action.id);
        }
    }
}

#[test]
fn locations_are_unique_and_round_trip() {
    for version in VERSIONS {
        let mut r = with_all(version);
        infra::register_crtp_templates(&mut r).unwrap();
        let mut seen = HashSet::new();
        for category in r.categories() {
            if category.as_action().is_some() {
                assert!(category.location().is_none());
                continue;
            }
            let Some(location) = category.location() else {
                assert_eq!(category.id(), &core::entity_id());
                continue;
            };
            assert!(location.is_path() && location.is_collection(), "{location}");
            assert!(seen.insert(location.clone()), "{location} twice");
            assert_eq!(
                r.by_location(location.as_str()).unwrap().id(),
                category.id()
            );
        }
    }
}

fn compute_in(state: &str) -> Entity {
    let mut vm = Resource::new(infra::compute_id());
    vm.attributes
        .insert("occi.compute.state".parse().unwrap(), state.into());
    Entity::Resource(vm)
}

#[test]
fn compute_state_machine() {
    for version in VERSIONS {
        let r = with_infra(version);
        let m = r.state_machine(&infra::compute_id()).unwrap();
        assert_eq!(m.attribute.as_str(), "occi.compute.state");
        assert_eq!(m.initial, "inactive");
        let start = infra::compute_start_id();
        let stop = infra::compute_stop_id();
        let restart = infra::compute_restart_id();
        let suspend = infra::compute_suspend_id();
        assert_eq!(m.next_state("inactive", &start), Some("active"));
        assert_eq!(m.next_state("suspended", &start), Some("active"));
        assert_eq!(m.next_state("active", &start), None);
        assert_eq!(m.next_state("inactive", &stop), None);
        assert_eq!(m.next_state("active", &stop), Some("inactive"));
        assert_eq!(m.next_state("active", &suspend), Some("suspended"));
        assert_eq!(m.next_state("active", &restart), Some("active"));
        // Not drawn from suspended.
        assert_eq!(m.next_state("suspended", &stop), None);
        assert_eq!(m.next_state("suspended", &restart), None);
        match version {
            OcciVersion::V1_1 => assert_eq!(m.error_state, None),
            OcciVersion::V1_2 => {
                assert_eq!(m.error_state.as_deref(), Some("error"));
                let save = infra::compute_save_id();
                assert_eq!(m.next_state("active", &save), Some("active"));
                assert_eq!(m.next_state("inactive", &save), None);
                // Nothing leaves the error state.
                for action in [&start, &stop, &restart, &suspend, &save] {
                    assert_eq!(m.next_state("error", action), None);
                }
            }
        }
    }
}

#[test]
fn storage_and_network_state_machines() {
    let r11 = with_infra(OcciVersion::V1_1);
    let s11 = r11.state_machine(&infra::storage_id()).unwrap();
    assert_eq!(s11.initial, "offline");
    assert_eq!(
        s11.next_state("offline", &infra::storage_online_id()),
        Some("online")
    );
    assert_eq!(
        s11.next_state("online", &infra::storage_backup_id()),
        Some("backup")
    );
    assert_eq!(
        s11.next_state("online", &infra::storage_snapshot_id()),
        Some("snapshot")
    );
    assert_eq!(
        s11.next_state("online", &infra::storage_resize_id()),
        Some("resize")
    );
    assert_eq!(s11.next_state("offline", &infra::storage_resize_id()), None);
    assert_eq!(
        s11.next_state("degraded", &infra::storage_offline_id()),
        Some("offline")
    );
    assert_eq!(s11.error_state, None);
    let r12 = with_infra(OcciVersion::V1_2);
    let s12 = r12.state_machine(&infra::storage_id()).unwrap();
    assert_eq!(
        s12.next_state("online", &infra::storage_offline_id()),
        Some("offline")
    );
    assert_eq!(
        s12.next_state("offline", &infra::storage_offline_id()),
        None
    );
    assert_eq!(s12.error_state.as_deref(), Some("error"));
    for r in [&r11, &r12] {
        let n = r.state_machine(&infra::network_id()).unwrap();
        assert_eq!(
            n.next_state("inactive", &infra::network_up_id()),
            Some("active")
        );
        assert_eq!(
            n.next_state("active", &infra::network_down_id()),
            Some("inactive")
        );
        assert_eq!(n.next_state("inactive", &infra::network_down_id()), None);
        for link in [infra::networkinterface_id(), infra::storagelink_id()] {
            let m = r.state_machine(&link).unwrap();
            assert!(m.transitions.is_empty());
            assert_eq!(m.initial, "inactive");
            assert_eq!(m.error_state.is_some(), r.version() == OcciVersion::V1_2);
        }
    }
}

#[test]
fn applicable_actions_follow_the_state() {
    let r = with_infra(OcciVersion::V1_2);
    let terms_of = |state: &str| {
        r.applicable_actions(&compute_in(state))
            .iter()
            .map(|a| a.term().as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(terms_of("inactive"), ["start"]);
    assert_eq!(terms_of("active"), ["stop", "restart", "suspend", "save"]);
    assert_eq!(terms_of("suspended"), ["start"]);
    assert!(terms_of("error").is_empty());
    let r11 = with_infra(OcciVersion::V1_1);
    let active: Vec<_> = r11.applicable_actions(&compute_in("active"));
    assert_eq!(terms(&active), ["stop", "restart", "suspend"]);
    let mut disk = Resource::new(infra::storage_id());
    disk.attributes
        .insert("occi.storage.state".parse().unwrap(), "online".into());
    assert_eq!(
        terms(&r11.applicable_actions(&Entity::Resource(disk))),
        ["offline", "backup", "snapshot", "resize"]
    );
    let p = with_all(OcciVersion::V1_2);
    let mut app = Resource::new(platform::application_id());
    app.attributes
        .insert("occi.app.state".parse().unwrap(), "active".into());
    assert_eq!(
        p.applicable_actions(&Entity::Resource(app)),
        [platform::application_stop_id()]
    );
}

#[test]
fn link_endpoints() {
    for version in VERSIONS {
        let r = with_infra(version);
        let ni = r.link_endpoints(&infra::networkinterface_id()).unwrap();
        assert_eq!(ni.source, [infra::compute_id()]);
        assert_eq!(ni.target, [infra::network_id()]);
        let sl = r.link_endpoints(&infra::storagelink_id()).unwrap();
        assert_eq!(sl.source, [core::resource_id()]);
        assert_eq!(sl.target, [infra::storage_id()]);
    }
}

#[test]
fn registering_twice_fails_cleanly() {
    for version in VERSIONS {
        let mut r = with_all(version);
        let before = r.len();
        let err = infra::register(&mut r).unwrap_err();
        assert_eq!(err.kind(), RegistryErrorKind::DuplicateId);
        let err = platform::register(&mut r).unwrap_err();
        assert_eq!(err.kind(), RegistryErrorKind::DuplicateId);
        assert_eq!(r.len(), before);
        // Still usable: lookups work and more can be registered.
        assert!(r.kind(&infra::compute_id()).is_some());
        assert!(r.state_machine(&infra::compute_id()).is_some());
        infra::register_crtp_templates(&mut r).unwrap();
        assert_eq!(r.len(), before + 6);
    }
    // A registry with a clashing location is left as it was.
    let mut r = Registry::new(OcciVersion::V1_2);
    r.add_user_mixin(
        occi_model::Mixin::new("http://example.com/tags#t".parse().unwrap())
            .with_location(occi_model::Location::new("/storage/").unwrap()),
    )
    .unwrap();
    let before = r.len();
    let err = infra::register(&mut r).unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::DuplicateLocation);
    assert_eq!(r.len(), before);
    assert!(r.action(&infra::compute_start_id()).is_none());
}

#[test]
fn platform_model() {
    for version in VERSIONS {
        let r = with_all(version);
        let app = platform::application_id();
        assert_eq!(
            app.to_string(),
            "http://schemas.ogf.org/occi/platform#application"
        );
        let kind = r.kind(&app).unwrap();
        assert_eq!(kind.parent, Some(core::resource_id()));
        assert_eq!(
            kind.actions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "http://schemas.ogf.org/occi/platform/application/action#start",
                "http://schemas.ogf.org/occi/platform/application/action#stop"
            ]
        );
        let name = def(&r, &app, "occi.app.name");
        assert!(name.required && name.mutable);
        for immutable in [
            "occi.app.context",
            "occi.app.url",
            "occi.app.state",
            "occi.app.state.message",
        ] {
            let d = def(&r, &app, immutable);
            assert!(!d.mutable && !d.required, "{immutable}");
        }
        assert_eq!(
            enum_values(def(&r, &app, "occi.app.state")),
            ["active", "inactive", "error"]
        );
        let component = r.kind(&platform::component_id()).unwrap();
        assert_eq!(terms(&component.actions), ["start", "stop"]);
        assert!(
            component
                .actions
                .iter()
                .all(|a| a.scheme().as_str() == platform::COMPONENT_ACTION_SCHEME)
        );
        let m = r.state_machine(&platform::component_id()).unwrap();
        assert_eq!(
            m.next_state("inactive", &platform::component_start_id()),
            Some("active")
        );
        assert_eq!(
            m.next_state("inactive", &platform::component_stop_id()),
            None
        );
        assert_eq!(
            r.kind(&platform::componentlink_id()).unwrap().parent,
            Some(core::link_id())
        );
        let database = r.mixin(&platform::database_id()).unwrap();
        let link = r.mixin(&platform::databaselink_id()).unwrap();
        assert_eq!(link.attributes.len(), 3);
        let res_tpl = r.mixin(&platform::res_tpl_id()).unwrap();
        match version {
            OcciVersion::V1_1 => assert!(
                database.applies.is_empty()
                    && link.applies.is_empty()
                    && res_tpl.applies.is_empty()
            ),
            OcciVersion::V1_2 => {
                assert_eq!(database.applies, [platform::component_id()]);
                assert_eq!(link.applies, [platform::componentlink_id()]);
                assert_eq!(
                    res_tpl.applies,
                    [platform::application_id(), platform::component_id()]
                );
            }
        }
    }
}

#[test]
fn ip_patterns_known_answers() {
    let ip = infra::ip_address_pattern();
    for ok in [
        "0.0.0.0",
        "255.255.255.255",
        "::",
        "::1",
        "1::",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8",
        "fe80::1:2",
        "::ffff:10.0.0.1",
        "1:2:3:4:5:6:1.2.3.4",
    ] {
        assert!(ip.is_match(ok), "{ok}");
    }
    for bad in [
        "",
        "256.0.0.1",
        "01.2.3.4",
        "1.2.3",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        ":::",
        "12345::",
        "fe80::1%eth0",
        " ::1",
        "10.0.0.1/24",
    ] {
        assert!(!ip.is_match(bad), "{bad}");
    }
    let cidr = infra::cidr_pattern();
    for ok in [
        "10.0.0.0/8",
        "0.0.0.0/0",
        "10.0.0.0/32",
        "::/0",
        "fc00::/7",
        "::/128",
    ] {
        assert!(cidr.is_match(ok), "{ok}");
    }
    for bad in [
        "10.0.0.0",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/08",
        "fc00::/",
    ] {
        assert!(!cidr.is_match(bad), "{bad}");
    }
}

proptest! {
    /// The address pattern accepts exactly what the standard library parses as an address.
    #[test]
    fn ip_pattern_agrees_with_std_on_near_addresses(s in "[0-9a-fA-F:.]{0,20}") {
        let ip = infra::ip_address_pattern();
        prop_assert_eq!(ip.is_match(&s), s.parse::<IpAddr>().is_ok(), "{}", s);
    }

    #[test]
    fn ip_pattern_accepts_every_rendered_address(groups in proptest::array::uniform8(prop_oneof![Just(0u16), any::<u16>()]), v4 in any::<[u8; 4]>()) {
        let ip = infra::ip_address_pattern();
        let v6 = std::net::Ipv6Addr::from(groups);
        prop_assert!(ip.is_match(&v6.to_string()), "{}", v6);
        let v4 = std::net::Ipv4Addr::from(v4);
        prop_assert!(ip.is_match(&v4.to_string()), "{}", v4);
        let mapped = v4.to_ipv6_mapped();
        prop_assert!(ip.is_match(&mapped.to_string()), "{}", mapped);
        let cidr = infra::cidr_pattern();
        let (net6, net4) = (format!("{v6}/64"), format!("{v4}/24"));
        prop_assert!(cidr.is_match(&net6), "{}", net6);
        prop_assert!(cidr.is_match(&net4), "{}", net4);
    }
}
