//! The PySSF dialect's quirks, as Hurtle peers see them.

use occi_render::json::pyssf;
use occi_render::occi_model::{AttributeValue, Category, Resource};
use occi_render::{DeviationKind, ParseOptions};

#[test]
fn values_are_rendered_as_strings_and_core_attributes_inside() {
    let mut r = Resource::new(
        "http://schemas.mobile-cloud-networking.eu/occi/service#orchestrator"
            .parse()
            .unwrap(),
    );
    r.id = Some("/orchestrator/default".parse().unwrap());
    r.attributes.insert(
        "occi.compute.cores".parse().unwrap(),
        AttributeValue::Integer(2),
    );
    r.attributes
        .insert("a.flag".parse().unwrap(), AttributeValue::Bool(true));
    let text = pyssf::render_entity(&r.clone().into());
    assert!(text.contains(r#""occi.compute.cores": "2""#), "{text}");
    assert!(text.contains(r#""a.flag": "true""#), "{text}");
    assert!(
        text.contains(r#""occi.core.id": "/orchestrator/default""#),
        "{text}"
    );
    assert!(!text.contains(r#""id":"#));
    let back = pyssf::parse_entity(text.as_bytes(), &ParseOptions::strict())
        .unwrap()
        .value;
    let back = back.as_resource().unwrap();
    assert_eq!(back.id, r.id);
    assert_eq!(
        back.location.as_ref().unwrap().as_str(),
        "/orchestrator/default"
    );
    assert_eq!(
        back.attributes["occi.compute.cores"],
        AttributeValue::from("2")
    );
}

#[test]
fn query_interface_flags_and_classes() {
    let qi = br#"[{"attributes": {"a.r": "required", "a.i": "immutable", "a.m": "muttable"},
       "location": "/sample_so/", "related": ["http://schemas.ogf.org/occi/core#resource"],
       "scheme": "http://example.com/sm#", "term": "sample_so"},
      {"location": "/tpl/", "scheme": "http://example.com/tpl#", "term": "small"},
      {"scheme": "http://example.com/action#", "term": "deploy"}]"#;
    let cats = pyssf::parse_categories(qi, &ParseOptions::strict())
        .unwrap()
        .value;
    let Category::Kind(k) = &cats[0] else {
        panic!("{:?}", cats[0])
    };
    // Members come back in name order (PySSF sorts keys).
    let def = |n: &str| k.attributes.iter().find(|d| d.name.as_str() == n).unwrap();
    assert!(def("a.r").required && def("a.r").mutable);
    assert!(!def("a.i").mutable);
    assert!(def("a.m").mutable && !def("a.m").required);
    assert!(matches!(cats[1], Category::Mixin(_)));
    assert!(matches!(cats[2], Category::Action(_)));
    let text = pyssf::render_categories(&cats);
    assert!(text.contains(r#""a.m": "muttable""#), "{text}");
    assert!(!text.contains("class"));
    assert_eq!(
        pyssf::parse_categories(text.as_bytes(), &ParseOptions::strict())
            .unwrap()
            .value,
        cats
    );
}

#[test]
fn correct_spelling_is_lenient_only() {
    let qi = br#"[{"attributes": {"a.m": "mutable"}, "location": "/x/", "scheme": "http://example.com/x#", "term": "x"}]"#;
    assert!(pyssf::parse_categories(qi, &ParseOptions::strict()).is_err());
    let p = pyssf::parse_categories(qi, &ParseOptions::lenient()).unwrap();
    assert_eq!(p.deviations[0].kind(), DeviationKind::Other);
    assert!(p.value[0].attributes()[0].mutable);
}

/// A Kind's parent is the `related` entry that makes it a Kind, so that its rendering (which
/// keeps the parent alone) is read as a Kind again. Found by the `decode_pyssf_json` fuzz
/// target: the first `related` used to be taken, the Core Kind after it dropped, and the
/// rendering read back as an Action (no location) or a Mixin.
#[test]
fn a_kind_keeps_the_related_entry_that_makes_it_a_kind() {
    let qi = br#"[
        {"scheme": "http://e.x/s#", "term": "bare",
         "related": ["http://e.x/dep#a", "http://schemas.ogf.org/occi/core#resource"]},
        {"scheme": "http://e.x/s#", "term": "svc", "location": "/svc/",
         "related": ["http://e.x/dep#b", "http://schemas.ogf.org/occi/core#resource"]},
        {"scheme": "http://e.x/s#", "term": "sub", "location": "/sub/",
         "related": ["http://e.x/dep#c", "http://e.x/s#svc"]}
    ]"#;
    let cats = pyssf::parse_categories(qi, &ParseOptions::strict())
        .unwrap()
        .value;
    let parents: Vec<String> = cats
        .iter()
        .map(|c| match c {
            Category::Kind(k) => k.parent.as_ref().unwrap().to_string(),
            other => panic!("{} is not a Kind", other.id()),
        })
        .collect();
    assert_eq!(
        parents,
        [
            "http://schemas.ogf.org/occi/core#resource",
            "http://schemas.ogf.org/occi/core#resource",
            "http://e.x/s#svc",
        ]
    );
    let text = pyssf::render_categories(&cats);
    let again = pyssf::parse_categories(text.as_bytes(), &ParseOptions::strict())
        .unwrap()
        .value;
    assert_eq!(again, cats);
}
