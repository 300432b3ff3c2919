//! Known-answer tests of the application/occi+json rendering: the spec's shapes, the JSN
//! assertions, the schema's required members and the documented defects of J12's examples.

use occi_render::json::{self, CategoryCollection, EntityCollection, EntityRef};
use occi_render::occi_model::{AttributeType, AttributeValue, Entity};
use occi_render::{DeviationKind, ParseErrorKind, ParseOptions};

fn strict() -> ParseOptions {
    ParseOptions::strict()
}

fn lenient() -> ParseOptions {
    ParseOptions::lenient()
}

const COMPUTE: &str = "http://schemas.ogf.org/occi/infrastructure#compute";

#[test]
fn jsn010_create_without_id_is_lenient_only() {
    let body = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","attributes":{"occi.core.title":"j1"}}"#;
    let parsed = json::parse_entity(body, &lenient()).unwrap();
    let r = parsed.value.as_resource().unwrap();
    assert_eq!(r.kind.to_string(), COMPUTE);
    assert_eq!(r.title.as_deref(), Some("j1"));
    assert!(r.id.is_none());
    assert!(
        r.attributes.is_empty(),
        "occi.core.title moves into the field"
    );
    assert_eq!(parsed.deviations.len(), 1);
    assert_eq!(parsed.deviations[0].kind(), DeviationKind::MissingMember);

    let err = json::parse_entity(body, &strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Structure);
    assert_eq!(err.rule(), "resource");
    assert!(err.to_string().contains("no \"id\" member"), "{err}");
}

#[test]
fn jsn011_inline_link_and_mixin() {
    let body = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute",
        "mixins":["http://schemas.ogf.org/occi/infrastructure#resource_tpl"],
        "links":[{"kind":"http://schemas.ogf.org/occi/infrastructure#networkinterface",
                  "target":{"location":"/network/1","kind":"http://schemas.ogf.org/occi/infrastructure#network"}}]}"#;
    let parsed = json::parse_entity(body, &lenient()).unwrap();
    let r = parsed.value.as_resource().unwrap();
    assert_eq!(r.mixins.len(), 1);
    assert_eq!(r.links.len(), 1);
    let l = &r.links[0];
    assert_eq!(l.target.as_ref().unwrap().as_str(), "/network/1");
    assert_eq!(
        l.target_kind.as_ref().unwrap().to_string(),
        "http://schemas.ogf.org/occi/infrastructure#network"
    );
    assert!(l.source.is_none());
    let kinds: Vec<_> = parsed
        .deviations
        .iter()
        .map(occi_render::Deviation::kind)
        .collect();
    // The resource's id, the link's id and its source are missing.
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == DeviationKind::MissingMember)
            .count(),
        3
    );
}

#[test]
fn jsn012_truncated_body_is_a_syntax_error_with_position() {
    let err = json::parse_entity(br#"{"kind":"#, &lenient()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Syntax);
    assert_eq!(err.rule(), "json-text");
    assert_eq!((err.line(), err.column()), (1, 8));
}

#[test]
fn jsn013_unknown_member_strict_error_lenient_ignored() {
    let body = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1","foo":1}"#;
    let err = json::parse_entity(body, &strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Structure);
    assert!(err.to_string().contains("unknown member \"foo\""), "{err}");
    let parsed = json::parse_entity(body, &lenient()).unwrap();
    assert_eq!(parsed.deviations.len(), 1);
    assert_eq!(parsed.deviations[0].kind(), DeviationKind::UnknownMember);
    assert_eq!(parsed.deviations[0].position().column, 80);
}

#[test]
fn jsn014_string_cores_stays_a_string_for_validation() {
    let body = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1","attributes":{"occi.compute.cores":"2"}}"#;
    let parsed = json::parse_entity(body, &strict()).unwrap();
    let v = &parsed.value.attributes()["occi.compute.cores"];
    assert_eq!(v, &AttributeValue::from("2"));
    // What the registry's validation sees: not an Integer.
    assert_eq!(AttributeType::Integer.coerce(v), None);
}

#[test]
fn jsn015_invocation_without_action_fails_in_both_modes() {
    for options in [strict(), lenient()] {
        let err = json::parse_action_invocation(br#"{"attributes":{}}"#, &options).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Structure);
        assert_eq!(err.rule(), "action_invocation");
    }
    let ok = json::parse_action_invocation(
        br#"{"action":"http://schemas.ogf.org/occi/infrastructure/compute/action#stop","attributes":{"method":"graceful"}}"#,
        &strict(),
    )
    .unwrap();
    assert_eq!(ok.value.action.term().as_str(), "stop");
    assert_eq!(
        ok.value.attributes["method"],
        AttributeValue::from("graceful")
    );
}

#[test]
fn numbers_are_typed() {
    let body = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1",
      "attributes":{"a.int":2,"a.neg":-7,"a.float":2.0,"a.exp":1e3,"a.big":18446744073709551615,
      "a.bool":true,"a.list":[1,"x"],"a.map":{"k":false}}}"#;
    let e = json::parse_entity(body, &strict()).unwrap().value;
    let a = e.attributes();
    assert_eq!(a["a.int"], AttributeValue::Integer(2));
    assert_eq!(a["a.neg"], AttributeValue::Integer(-7));
    assert_eq!(a["a.float"], AttributeValue::float(2.0).unwrap());
    assert_eq!(a["a.exp"], AttributeValue::float(1000.0).unwrap());
    assert_eq!(a["a.big"].type_name(), "float");
    assert_eq!(a["a.bool"], AttributeValue::Bool(true));
    assert_eq!(
        a["a.list"],
        AttributeValue::List(vec![AttributeValue::Integer(1), "x".into()])
    );
    assert_eq!(a["a.map"].type_name(), "map");
}

#[test]
fn error_path_names_the_member() {
    let body = br#"{"resources":[{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1",
      "attributes":{"occi.compute.cores":null}}]}"#;
    let err = json::parse_entity_collection(body, &strict()).unwrap_err();
    assert!(
        err.to_string()
            .contains("at resources[0].attributes.occi.compute.cores:"),
        "{err}"
    );
    assert_eq!(err.line(), 2);
}

#[test]
fn link_is_recognised_by_source_and_target() {
    let body = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#networkinterface","id":"urn:uuid:l1",
      "source":{"location":"/compute/1","kind":"http://schemas.ogf.org/occi/infrastructure#compute"},
      "target":{"location":"/network/1"},
      "attributes":{"occi.networkinterface.interface":"eth0"}}"#;
    let e = json::parse_entity(body, &strict()).unwrap().value;
    let Entity::Link(l) = e else {
        panic!("not a link")
    };
    assert_eq!(l.source.unwrap().as_str(), "/compute/1");
    assert_eq!(l.source_kind.unwrap().to_string(), COMPUTE);
    assert!(l.target_kind.is_none());
}

#[test]
fn core_attributes_inside_attributes_are_tolerated_and_checked() {
    let same = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1","title":"a",
      "attributes":{"occi.core.id":"urn:uuid:1","occi.core.title":"a","occi.core.summary":"s"}}"#;
    let r = json::parse_resource(same, &strict()).unwrap().value;
    assert_eq!(r.summary.as_deref(), Some("s"));
    assert!(r.attributes.is_empty());
    let conflict =
        br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1",
      "attributes":{"occi.core.id":"urn:uuid:2"}}"#;
    for options in [strict(), lenient()] {
        let err = json::parse_resource(conflict, &options).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Structure);
        assert!(err.to_string().contains("contradicts"), "{err}");
    }
}

#[test]
fn attribute_description_defaults_and_types() {
    let body = br#"{"term":"compute","scheme":"http://schemas.ogf.org/occi/infrastructure#",
      "parent":"http://schemas.ogf.org/occi/core#resource","location":"/compute/",
      "attributes":{
        "occi.compute.hostname":{"mutable":true,"required":false,"type":"string",
          "description":"Hostname of the compute resource",
          "pattern":{"$schema":"http://json-schema.org/draft-04/schema#","type":"string","pattern":"\\S+"}},
        "occi.compute.cores":{"mutable":true,"type":"number","pattern":{"type":"integer","minimum":1}},
        "occi.compute.memory":{"mutable":true,"type":"number","default":2},
        "occi.compute.state":{"type":"string","pattern":{"enum":["active","inactive"]},"default":"inactive"},
        "occi.compute.x":{}
      }}"#;
    let k = json::parse_kind(body, &strict()).unwrap().value;
    let hostname = &k.attributes[0];
    assert!(hostname.mutable && !hostname.required);
    assert_eq!(hostname.pattern.as_ref().unwrap().as_str(), "\\S+");
    let cores = &k.attributes[1];
    assert_eq!(cores.ty, AttributeType::Integer);
    assert_eq!(cores.range.unwrap().min, Some(1.0));
    let memory = &k.attributes[2];
    assert_eq!(memory.ty, AttributeType::Float);
    assert_eq!(memory.default, AttributeValue::float(2.0));
    let state = &k.attributes[3];
    assert_eq!(state.ty, AttributeType::enumeration(["active", "inactive"]));
    assert!(!state.mutable, "an absent mutable means immutable");
    let x = &k.attributes[4];
    assert_eq!(
        (x.mutable, x.required, &x.ty),
        (false, false, &AttributeType::String)
    );
    // Rendering always states mutable and required.
    let rendered = json::render_kind(&k);
    assert!(
        rendered.contains(r#""occi.compute.x":{"mutable":false,"required":false,"type":"string"}"#),
        "{rendered}"
    );
    assert_eq!(
        json::parse_kind(rendered.as_bytes(), &strict())
            .unwrap()
            .value,
        k
    );
}

#[test]
fn default_must_match_type() {
    let body =
        br#"{"term":"stop","scheme":"http://schemas.ogf.org/occi/infrastructure/compute/action#",
      "attributes":{"method":{"type":"boolean","default":"poweroff"}}}"#;
    let err = json::parse_action(body, &lenient()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Value);
    assert_eq!(err.rule(), "attribute_description");
}

#[test]
fn mixin_requires_location_strictly() {
    let body = br#"{"term":"blue","scheme":"http://example.com/tags#"}"#;
    assert_eq!(
        json::parse_mixin(body, &strict()).unwrap_err().rule(),
        "mixin"
    );
    let parsed = json::parse_mixin(body, &lenient()).unwrap();
    assert_eq!(parsed.deviations[0].kind(), DeviationKind::MissingMember);
}

#[test]
fn location_typo_of_the_j12_examples() {
    let body = br#"{"term":"compute","scheme":"http://schemas.ogf.org/occi/infrastructure#","location:":"/compute/"}"#;
    assert!(json::parse_kind(body, &strict()).is_err());
    let parsed = json::parse_kind(body, &lenient()).unwrap();
    assert_eq!(parsed.value.location.unwrap().as_str(), "/compute/");
    assert_eq!(parsed.deviations[0].kind(), DeviationKind::Other);
}

#[test]
fn collections_and_query_interface() {
    let qi = br#"{"kinds":[{"term":"compute","scheme":"http://schemas.ogf.org/occi/infrastructure#","location":"/compute/"}],
      "mixins":[{"term":"os_tpl","scheme":"http://schemas.ogf.org/occi/infrastructure#","location":"/os_tpl/"}],
      "actions":[{"term":"start","scheme":"http://schemas.ogf.org/occi/infrastructure/compute/action#"}]}"#;
    let c = json::parse_categories(qi, &strict()).unwrap().value;
    assert_eq!((c.kinds.len(), c.mixins.len(), c.actions.len()), (1, 1, 1));
    assert_eq!(
        json::render_categories(&CategoryCollection::default()),
        r#"{"kinds":[],"mixins":[],"actions":[]}"#
    );
    let links_only = EntityCollection::default();
    assert_eq!(
        json::render_entity_collection(&links_only),
        r#"{"resources":[]}"#
    );
    assert!(json::parse_entity_collection(qi, &strict()).is_err());
}

#[test]
fn mixin_association_forms() {
    let body = br#"{"resources":[{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1"},{"location":"/compute/2"}],
      "locations":["/compute/3"]}"#;
    let refs = json::parse_mixin_association(body, &strict())
        .unwrap()
        .value;
    assert_eq!(refs.len(), 3);
    assert!(matches!(&refs[0], EntityRef::Id(id) if id.as_str() == "urn:uuid:1"));
    assert!(matches!(&refs[2], EntityRef::Location(l) if l.as_str() == "/compute/3"));
    let rendered = json::render_mixin_association(&refs);
    assert_eq!(
        json::parse_mixin_association(rendered.as_bytes(), &strict())
            .unwrap()
            .value,
        refs
    );
}

#[test]
fn too_many_items_and_deep_nesting_are_errors() {
    let body = br#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1","attributes":{"a":[1,2,3,4,5,6,7,8]}}"#;
    let err = json::parse_entity(body, &strict().with_max_items(5)).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooLarge);
    let deep = format!(
        r#"{{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","id":"urn:uuid:1","attributes":{{"a":{}{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let err = json::parse_entity(deep.as_bytes(), &lenient()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Syntax);
    assert!(err.to_string().contains("recursion limit"), "{err}");
}

#[test]
fn invalid_utf8_is_an_encoding_error() {
    let err = json::parse_entity(b"{\"kind\":\"\xff\"}", &lenient()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Encoding);
    assert_eq!(err.offset(), 9);
}

#[test]
fn invalid_utf8_in_a_skipped_value_is_not_looked_at() {
    // Other JSON Schema keywords of a pattern are skipped unread, their bytes unchecked, as
    // they always were (a document that is not valid UTF-8 is read from its bytes).
    let body = b"{\"term\":\"t\",\"scheme\":\"http://e.x/a#\",\"attributes\":\
                 {\"a.b\":{\"pattern\":{\"$comment\":\"\xff\"}}}}";
    let kind = json::parse_kind(body, &strict()).unwrap().value;
    assert_eq!(kind.attributes[0].name.as_str(), "a.b");
    let err = json::parse_kind(&body[..body.len() - 1], &strict()).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Encoding);
}
