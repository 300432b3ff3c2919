//! The reference workload shared by the benches: one compute with one Kind, two Mixins, six
//! attributes (strings, integers, a float), one action and one inline Link.

use occi_render::occi_model::{AttributeValue, Entity, Link, Location, Resource};

/// The reference compute, as a model value.
#[allow(dead_code)] // not every bench uses every workload
pub(crate) fn workload() -> Entity {
    let mut vm = Resource::new(
        "http://schemas.ogf.org/occi/infrastructure#compute"
            .parse()
            .unwrap(),
    );
    vm.mixins = vec![
        "http://example.com/templates/os#ubuntu".parse().unwrap(),
        "http://example.com/templates/resource#small"
            .parse()
            .unwrap(),
    ];
    vm.id = Some(
        "urn:uuid:b9ff813e-fee5-4a9d-b839-673f39746096"
            .parse()
            .unwrap(),
    );
    vm.title = Some("My Dummy VM".into());
    let attrs = [
        ("occi.compute.cores", AttributeValue::Integer(2)),
        ("occi.compute.memory", AttributeValue::float(2.0).unwrap()),
        ("occi.compute.hostname", "vm1.example.com".into()),
        ("occi.compute.state", "active".into()),
    ];
    for (n, v) in attrs {
        vm.attributes.insert(n.parse().unwrap(), v);
    }
    vm.location = Some(Location::new("/compute/123").unwrap());
    vm.actions = vec![
        "http://schemas.ogf.org/occi/infrastructure/compute/action#stop"
            .parse()
            .unwrap(),
    ];
    let mut nic = Link::new(
        "http://schemas.ogf.org/occi/infrastructure#networkinterface"
            .parse()
            .unwrap(),
    );
    nic.source.clone_from(&vm.location);
    nic.target = Some(Location::new("/network/123").unwrap());
    nic.target_kind = Some(
        "http://schemas.ogf.org/occi/infrastructure#network"
            .parse()
            .unwrap(),
    );
    nic.location = Some(Location::new("/link/networkinterface/456").unwrap());
    nic.attributes.insert(
        "occi.networkinterface.interface".parse().unwrap(),
        "eth0".into(),
    );
    vm.links.push(nic);
    Entity::Resource(vm)
}

/// The JSON reference workload: a compute with 1 kind, 2 mixins, 6 attributes (strings,
/// integers, a float) and 1 link, as GFD.225 JSON (pyssf-lessons.md §0).
#[allow(dead_code)] // not every bench uses every workload
pub(crate) const JSON: &str = r#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","mixins":["http://schemas.ogf.org/occi/infrastructure#os_tpl","http://example.com/templates/resource#medium"],"attributes":{"occi.compute.architecture":"x64","occi.compute.cores":2,"occi.compute.hostname":"vm-01.example.com","occi.compute.memory":4.0,"occi.compute.share":1,"occi.compute.state":"active"},"actions":["http://schemas.ogf.org/occi/infrastructure/compute/action#stop"],"id":"urn:uuid:5d4d1e5c-2b7f-4a0f-9e3c-0c1f2b3a4d5e","links":[{"kind":"http://schemas.ogf.org/occi/infrastructure#networkinterface","id":"urn:uuid:0b9c3b2e-7c36-4c55-9d0e-3b1f0f6a7e21","source":{"location":"/compute/5d4d1e5c","kind":"http://schemas.ogf.org/occi/infrastructure#compute"},"target":{"location":"/network/1","kind":"http://schemas.ogf.org/occi/infrastructure#network"},"attributes":{"occi.networkinterface.interface":"eth0"}}],"title":"vm-01"}"#;
