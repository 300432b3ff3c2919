//! insta snapshots of canonical renderings and error messages.

use std::fmt::Write as _;

use occi_render::ParseOptions;
use occi_render::json::{self, pyssf};

const COMPUTE: &[u8] = br#"{"title":"vm-01","id":"urn:uuid:5d4d1e5c-2b7f-4a0f-9e3c-0c1f2b3a4d5e",
 "kind":"http://schemas.ogf.org/occi/infrastructure#compute",
 "mixins":["http://schemas.ogf.org/occi/infrastructure#os_tpl"],
 "attributes":{"occi.compute.memory":4.0,"occi.compute.cores":2,"occi.compute.hostname":"vm-01"},
 "links":[{"kind":"http://schemas.ogf.org/occi/infrastructure#networkinterface","id":"urn:uuid:0b9c",
   "source":{"location":"/compute/1"},"target":{"location":"/network/1","kind":"http://schemas.ogf.org/occi/infrastructure#network"}}]}"#;

#[test]
fn canonical_compute() {
    let e = json::parse_entity(COMPUTE, &ParseOptions::strict())
        .unwrap()
        .value;
    insta::assert_snapshot!(json::render_entity(&e));
    insta::assert_snapshot!("pyssf_compute", pyssf::render_entity(&e));
}

#[test]
fn error_messages() {
    let cases: [(&str, &[u8]); 5] = [
        ("truncated", br#"{"kind":"#),
        ("unknown_member", br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1","foo":1}"#),
        ("bad_kind", br#"{"kind":"compute","id":"urn:uuid:1"}"#),
        ("null_value", br#"{"resources":[{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1","attributes":{"occi.compute.cores":null}}]}"#),
        ("no_id", br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute"}"#),
    ];
    let mut out = String::new();
    for (name, input) in cases {
        let err = if input.starts_with(br#"{"resources""#) {
            json::parse_entity_collection(input, &ParseOptions::strict()).unwrap_err()
        } else {
            json::parse_entity(input, &ParseOptions::strict()).unwrap_err()
        };
        writeln!(out, "{name}: {err}").unwrap();
    }
    insta::assert_snapshot!(out);
}
