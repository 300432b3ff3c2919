//! Known answers per grammar rule (inverse KAT: parse, compare, render, re-parse), the
//! spec's TXT cases, and snapshots of canonical renderings and error messages.

use occi_render::occi_model::{
    AttributeValue, Category, CategoryClass, Entity, Kind, OcciVersion, Registry, ext,
};
use occi_render::text::{self, occi, plain};
use occi_render::{DeviationKind, ParseErrorKind, ParseOptions};

const INFRA: &str = "http://schemas.ogf.org/occi/infrastructure#";

fn strict() -> ParseOptions {
    ParseOptions::strict()
}

fn lenient() -> ParseOptions {
    ParseOptions::lenient()
}

fn compute(extra: &str) -> String {
    format!("Category: compute; scheme=\"{INFRA}\"; class=\"kind\"\r\n{extra}")
}

/// Parses strictly, checks, renders and re-parses to the same value.
fn inverse(input: &str) -> Entity {
    let e = plain::parse_entity(input, &strict(), None)
        .unwrap_or_else(|err| panic!("{err}"))
        .value;
    let again = plain::parse_entity(&plain::render_entity(&e), &strict(), None)
        .unwrap()
        .value;
    assert_eq!(again, e);
    e
}

#[test]
fn attribute_values_keep_their_types() {
    let cases: &[(&str, AttributeValue)] = &[
        ("2", AttributeValue::Integer(2)),
        ("-7", AttributeValue::Integer(-7)),
        ("2.0", AttributeValue::float(2.0).unwrap()),
        ("-0.25", AttributeValue::float(-0.25).unwrap()),
        (".5", AttributeValue::float(0.5).unwrap()),
        ("true", AttributeValue::Bool(true)),
        ("false", AttributeValue::Bool(false)),
        ("\"2\"", AttributeValue::from("2")),
        ("\"\"", AttributeValue::from("")),
        ("\"a\\\\b\"", AttributeValue::from("a\\b")),
        ("\"é ✓\"", AttributeValue::from("é ✓")),
    ];
    for (text, value) in cases {
        let e = inverse(&compute(&format!("X-OCCI-Attribute: a.x={text}\r\n")));
        assert_eq!(e.attribute_value("a.x").as_ref(), Some(value), "{text}");
    }
}

#[test]
fn txt005_escaped_quotes_and_commas_round_trip() {
    let e = inverse(&compute(
        "X-OCCI-Attribute: occi.core.title=\"He said \\\"hi\\\", x=1.0\"\r\nX-OCCI-Attribute: occi.compute.memory=3.5\r\n",
    ));
    assert_eq!(e.title(), Some("He said \"hi\", x=1.0"));
    assert_eq!(
        e.attribute_value("occi.compute.memory"),
        AttributeValue::float(3.5)
    );
}

#[test]
fn txt006_txt007_several_values_per_line() {
    let e = inverse(&format!(
        "Category: compute; scheme=\"{INFRA}\"; class=\"kind\", ubuntu; scheme=\"http://example.com/os#\"; class=\"mixin\"\r\n\
         X-OCCI-Attribute: occi.core.title=\"a\", occi.compute.cores=2\r\n"
    ));
    assert_eq!(e.mixins().len(), 1);
    assert_eq!(e.title(), Some("a"));
    assert_eq!(e.attribute_value("occi.compute.cores"), Some(2.into()));
}

#[test]
fn txt008_field_names_are_case_insensitive() {
    let input = format!(
        "category: compute; scheme=\"{INFRA}\"; class=\"kind\"\r\nx-occi-attribute: a.b=1\r\nX-Occi-Attribute: a.c=2\r\n"
    );
    let s = plain::parse_entity(&input, &strict(), None).unwrap();
    assert!(s.deviations.is_empty());
    let l = plain::parse_entity(&input, &lenient(), None).unwrap();
    assert_eq!(l.value, s.value);
    assert_eq!(l.deviations.len(), 3);
    assert!(
        l.deviations
            .iter()
            .all(|d| d.kind() == DeviationKind::FieldNameCase)
    );
}

#[test]
fn txt009_implied_lws_by_version() {
    let input = format!("Category: compute ; scheme = \"{INFRA}\" ; class = kind\r\n");
    let v11 = ParseOptions::strict().with_version(OcciVersion::V1_1);
    assert!(plain::parse_entity(&input, &v11, None).is_ok());
    let err = plain::parse_entity(&input, &strict(), None).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Syntax);
    let l = plain::parse_entity(&input, &lenient(), None).unwrap();
    assert!(
        l.deviations
            .iter()
            .any(|d| d.kind() == DeviationKind::Whitespace)
    );
}

#[test]
fn txt010_to_txt013_and_txt018() {
    assert!(
        plain::parse_entity(
            &format!("Category: compute; scheme=\"{INFRA}\"; class=kind\r\n"),
            &strict(),
            None
        )
        .is_ok()
    );
    for (input, rule, line, column) in [
        (
            format!("Category: compute; scheme=\"{INFRA}\"; class=\"resource\"\r\n"),
            "class",
            1,
            81,
        ),
        (
            "Category: compute; class=\"kind\"\r\n".to_owned(),
            "category-value",
            1,
            32,
        ),
        (
            compute("X-OCCI-Attribute: occi.core.title=\"unterminated\r\n"),
            "attribute-value",
            2,
            35,
        ),
        (
            compute(
                "Link: /network/1; rel=\"http://schemas.ogf.org/occi/infrastructure#network\"\r\n",
            ),
            "link-value",
            2,
            7,
        ),
    ] {
        for options in [strict(), lenient()] {
            let err = plain::parse_entity(&input, &options, None).unwrap_err();
            assert_eq!(
                (err.rule(), err.line(), err.column()),
                (rule, line, column),
                "{input}"
            );
        }
    }
}

#[test]
fn txt014_txt015_relaxed_terms_by_version() {
    let input = "Category: My.Tag-1; scheme=\"http://example.com/tags#\"; class=\"mixin\"; location=\"/tags/t/\"\r\n";
    let cats = plain::parse_categories(input, &strict()).unwrap().value;
    assert_eq!(cats[0].id().term().as_str(), "My.Tag-1");
    let v11 = ParseOptions::strict().with_version(OcciVersion::V1_1);
    let err = plain::parse_categories(input, &v11).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Identifier);
    assert_eq!(err.rule(), "term");
    let l = plain::parse_categories(
        input,
        &ParseOptions::lenient().with_version(OcciVersion::V1_1),
    )
    .unwrap();
    assert_eq!(l.value, cats);
    assert_eq!(l.deviations[0].kind(), DeviationKind::VersionGrammar);
}

#[test]
fn txt017_trailing_semicolon_lf_and_blank_lines() {
    let input = format!(
        "\nCategory: compute; scheme=\"{INFRA}\"; class=\"kind\";\nX-OCCI-Attribute: a.b=1\n"
    );
    assert!(plain::parse_entity(&input, &strict(), None).is_err());
    let l = plain::parse_entity(&input, &lenient(), None).unwrap();
    let kinds: Vec<_> = l
        .deviations
        .iter()
        .map(occi_render::Deviation::kind)
        .collect();
    assert!(kinds.contains(&DeviationKind::TrailingSemicolon));
    assert!(kinds.contains(&DeviationKind::LineEnding));
}

#[test]
fn every_bad_line_gives_one_diagnostic() {
    let input = "X-OCCI-Attribute: a=\"x\r\nX-OCCI-Attribute: ok=1\r\nBogus: 1\r\nLink: x\r\n";
    let err = plain::parse_document(input, &lenient()).unwrap_err();
    let lines: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| d.position().line)
        .collect();
    assert_eq!(lines, [1, 3, 4]);
}

#[test]
fn max_items_bounds_the_document() {
    let input = "X-OCCI-Location: /a, /b, /c\r\n";
    let err = plain::parse_locations(input, &strict().with_max_items(2)).unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::TooLarge);
    assert_eq!(
        plain::parse_locations(input, &strict().with_max_items(3))
            .unwrap()
            .value
            .len(),
        3
    );
}

#[test]
fn integer_out_of_range_is_a_value_error() {
    let err = plain::parse_document("X-OCCI-Attribute: a=9223372036854775808\r\n", &lenient())
        .unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Value);
    assert_eq!(err.column(), 21);
}

#[test]
fn entity_structure_errors() {
    for (input, message) in [
        ("X-OCCI-Attribute: a=1\r\n".to_owned(), "no Kind"),
        (format!("{}{}", compute(""), compute("")), "a second Kind"),
    ] {
        let err = plain::parse_entity(&input, &lenient(), None).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Structure, "{message}");
        assert!(err.to_string().contains(message), "{err}");
    }
}

#[test]
fn links_are_recognised_by_registry_or_attributes() {
    let input = format!(
        "Category: networkinterface; scheme=\"{INFRA}\"; class=\"kind\"\r\n\
         X-OCCI-Attribute: occi.core.source=\"/compute/1\", occi.core.target=\"/network/1\"\r\n"
    );
    let e = inverse(&input);
    let link = e.as_link().expect("a link");
    assert_eq!(link.target.as_ref().unwrap().as_str(), "/network/1");
    // With a registry that knows the Kind, the registry decides, attributes or not.
    let mut registry = Registry::new(OcciVersion::V1_2);
    registry
        .register_kind(
            Kind::new(format!("{INFRA}networkinterface").parse().unwrap())
                .with_parent(ext::core::link_id())
                .with_location(occi_render::occi_model::Location::new("/nic/").unwrap()),
        )
        .unwrap();
    let bare = format!("Category: networkinterface; scheme=\"{INFRA}\"; class=\"kind\"\r\n");
    assert!(
        plain::parse_entity(&bare, &strict(), None)
            .unwrap()
            .value
            .as_resource()
            .is_some()
    );
    let e = plain::parse_entity(&bare, &strict(), Some(&registry))
        .unwrap()
        .value;
    assert!(e.as_link().is_some());
}

#[test]
fn action_links_give_location_and_actions() {
    let e = inverse(&compute(
        "Link: </compute/1?action=start>; rel=\"http://schemas.ogf.org/occi/infrastructure/compute/action#start\"\r\n",
    ));
    assert_eq!(e.location().unwrap().as_str(), "/compute/1");
    assert_eq!(e.actions().len(), 1);
    let err = plain::parse_entity(
        &compute("Link: </compute/1?action=stop>; rel=\"http://schemas.ogf.org/occi/infrastructure/compute/action#start\"\r\n"),
        &lenient(),
        None,
    )
    .unwrap_err();
    assert_eq!(err.rule(), "action-link-value");
}

#[test]
fn query_interface_kat_and_snapshot() {
    let input = include_str!("../../vectors/text-plain/spec-query-interface.input");
    let cats = plain::parse_categories(input, &strict()).unwrap().value;
    assert_eq!(cats.len(), 4);
    let Category::Kind(storage) = &cats[0] else {
        panic!("a kind")
    };
    assert_eq!(storage.parent.as_ref().unwrap().term().as_str(), "resource");
    assert!(storage.attributes[0].required && storage.attributes[0].mutable);
    assert!(!storage.attributes[1].mutable);
    assert_eq!(cats[1].class(), CategoryClass::Action);
    let rendered = plain::render_categories(&cats);
    assert_eq!(
        plain::parse_categories(&rendered, &strict()).unwrap().value,
        cats
    );
    insta::assert_snapshot!("query_interface_plain", rendered);
    let headers = occi::render_categories(&cats);
    insta::assert_debug_snapshot!("query_interface_occi", headers);
}

#[test]
fn entity_snapshot() {
    let input = include_str!("../../vectors/text-plain/spec-entity.input");
    let e = inverse(input);
    assert!(text::can_render(&e));
    insta::assert_snapshot!("spec_entity_plain", plain::render_entity(&e));
    insta::assert_debug_snapshot!("spec_entity_occi", occi::render_entity(&e));
}

#[test]
fn error_message_snapshots() {
    let messages: Vec<String> = [
        "Category: compute; class=\"kind\"\r\n",
        "X-OCCI-Attribute: occi.core.title=\"unterminated\r\n",
        "Category: vm; scheme=\"http://example.com/occi#\"; class=\"kind\"; attributes=\"test{asdasd}\"\r\n",
        "Link: /network/1; rel=\"http://schemas.ogf.org/occi/infrastructure#network\"\r\n",
        "X-OCCI-Attribute: a=1, b=\"x\", c=oops\r\nBogus: x\r\n",
    ]
    .iter()
    .map(|i| plain::parse_document(i, &strict()).unwrap_err().to_string())
    .collect();
    insta::assert_debug_snapshot!("error_messages", messages);
}

#[test]
fn list_values_cannot_render() {
    let mut e = inverse(&compute(""));
    e.attributes_mut()
        .insert("a.l".parse().unwrap(), AttributeValue::List(vec![]));
    assert!(!text::can_render(&e));
    assert!(!plain::render_entity(&e).contains("a.l"));
}

#[test]
fn inline_link_attributes_named_like_link_parameters_cannot_render() {
    let input = include_str!("../../vectors/text-plain/spec-entity.input");
    for name in ["rel", "self", "category"] {
        let mut e = inverse(input);
        let Entity::Resource(r) = &mut e else {
            panic!("the vector is a Resource")
        };
        r.links[0]
            .attributes
            .insert(name.parse().unwrap(), AttributeValue::String(String::new()));
        assert!(!text::can_render(&e), "{name}");
        let rendered = plain::render_entity(&e);
        assert!(!rendered.contains(&format!("; {name}=\"\"")), "{name}");
        plain::parse_entity(&rendered, &strict(), None).expect("what is rendered parses");
    }
}

#[test]
fn a_repeated_attribute_is_read_with_its_last_value_leniently() {
    let input = compute(
        "X-OCCI-Attribute: occi.core.title=\"a\"\r\nX-OCCI-Attribute: occi.compute.cores=1\r\nX-OCCI-Attribute: occi.core.title=\"b\", occi.core.title=\"c\"\r\n",
    );
    let parsed = plain::parse_entity(&input, &lenient(), None).unwrap();
    assert_eq!(parsed.value.title(), Some("c"));
    let repeated: Vec<_> = parsed
        .deviations
        .iter()
        .filter(|d| d.kind() == DeviationKind::RepeatedAttribute)
        .map(|d| (d.position().line, d.position().column))
        .collect();
    assert_eq!(repeated, [(2, 19), (4, 19)], "{:?}", parsed.deviations);
    let err = plain::parse_entity(&input, &strict(), None).unwrap_err();
    assert!(err.to_string().contains("given twice"), "{err}");
}

/// Found by the `decode_text_contexts` fuzz target: a link with attributes but no `category`
/// is read leniently (parameter order), and its rendering must still parse strictly, so the
/// attributes the grammar cannot place are left out.
#[test]
fn a_link_without_category_renders_without_its_attributes() {
    use occi_render::text::{Purpose, ReadContext};
    let input = "Link: </network/1>; occi.x=\"y; z?action=a\"; rel=\"http://schemas.ogf.org/occi/infrastructure#network\"\r\n";
    let context = ReadContext::new(Purpose::Entity);
    let read = plain::parse_document_in(input, &lenient(), &context).unwrap();
    assert_eq!(read.value.links[0].attributes.len(), 1);
    let rendered = plain::render_document(&read.value);
    assert!(!rendered.contains("occi.x"), "{rendered}");
    plain::parse_document_in(&rendered, &strict(), &context).expect("the rendering is strict");
}

/// Several `depends` of a Mixin (space- or tab-separated in `rel`) are read leniently, but
/// the `rel` of the grammar holds one type identifier: the renderers write the first, and
/// the rendering reads back with that one alone (JSON carries them all).
#[test]
fn a_mixin_renders_its_first_depends_only() {
    let input = "Category: tpl; scheme=\"http://example.com/t#\"; class=\"mixin\"; \
                 rel=\"http://example.com/a#one\thttp://example.com/a#two http://example.com/a#three\"\r\n";
    let read = plain::parse_categories(input, &lenient()).unwrap().value;
    let Category::Mixin(m) = &read[0] else {
        panic!("a mixin: {read:?}");
    };
    assert_eq!(m.depends.len(), 3);
    assert!(plain::parse_categories(input, &strict()).is_err());
    let rendered = plain::render_categories(&read);
    assert!(
        rendered.contains("rel=\"http://example.com/a#one\"\r\n"),
        "{rendered}"
    );
    let again = plain::parse_categories(&rendered, &strict()).unwrap().value;
    let Category::Mixin(m) = &again[0] else {
        panic!("a mixin: {again:?}");
    };
    assert_eq!(m.depends, ["http://example.com/a#one".parse().unwrap()]);
}
