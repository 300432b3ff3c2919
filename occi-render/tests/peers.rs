//! What real OCCI peers send, read leniently with a deviation each and rejected strictly:
//! Hurtle's Categories without `class`, PySSF's `OK` bodies, rOCCI's query interface with one
//! bad Category, pOCCI's `\n\r` line ends.

use occi_model::ext::infrastructure;
use occi_model::{CategoryClass, CategoryId, Kind, Mixin, OcciVersion, Registry};
use occi_render::text::{Purpose, ReadContext, occi, plain};
use occi_render::{DeviationKind, ParseOptions};

const SERVICE: &str = "http://schemas.mobile-cloud-networking.eu/occi/service#";

fn hurtle_registry() -> Registry {
    let mut registry = Registry::new(OcciVersion::V1_1);
    let mut kind = Kind::new(CategoryId::from_parts(SERVICE, "orchestrator").unwrap());
    kind.parent = Some(occi_model::ext::core::resource_id());
    kind.location = Some(occi_model::Location::new("/orchestrator/").unwrap());
    registry.register_kind(kind).unwrap();
    registry
        .register_mixin({
            let mut gold = Mixin::new(
                CategoryId::from_parts("http://example.com/occi/tenant#", "gold").unwrap(),
            );
            gold.location = Some(occi_model::Location::new("/gold/").unwrap());
            gold
        })
        .unwrap();
    registry
}

#[test]
fn a_hurtle_create_without_class_takes_the_class_the_registry_gives() {
    let registry = hurtle_registry();
    // The mixin comes first: the registry, not the order, decides.
    let body = format!(
        "Category: gold; scheme=\"http://example.com/occi/tenant#\"\r\n\
         Category: orchestrator; scheme=\"{SERVICE}\"\r\n"
    );
    let lenient = ParseOptions::lenient().with_version(OcciVersion::V1_1);
    let parsed = plain::parse_entity(&body, &lenient, Some(&registry)).unwrap();
    assert_eq!(parsed.value.kind().term().as_str(), "orchestrator");
    assert_eq!(parsed.value.mixins()[0].term().as_str(), "gold");
    let kinds: Vec<_> = parsed
        .deviations
        .iter()
        .map(occi_render::Deviation::kind)
        .collect();
    assert_eq!(kinds, [DeviationKind::MissingClass; 2]);
    assert!(
        parsed.deviations[1]
            .message()
            .contains("read as kind (the registry defines it so)"),
        "{}",
        parsed.deviations[1]
    );
    let strict = ParseOptions::strict().with_version(OcciVersion::V1_1);
    let e = plain::parse_entity(&body, &strict, Some(&registry)).unwrap_err();
    assert_eq!(e.rule(), "category-value");
    assert!(e.to_string().contains("no class"), "{e}");
}

#[test]
fn an_action_request_reads_its_category_as_an_action() {
    let mut headers = http::HeaderMap::new();
    headers.append(
        "category",
        format!("deploy; scheme=\"{SERVICE}\"").parse().unwrap(),
    );
    let parsed = occi::parse_action_invocation(&headers, &ParseOptions::lenient()).unwrap();
    assert_eq!(parsed.value.action.term().as_str(), "deploy");
    assert_eq!(parsed.deviations[0].kind(), DeviationKind::MissingClass);
    assert!(occi::parse_action_invocation(&headers, &ParseOptions::strict()).is_err());
    // `?action=` makes any request body an action invocation.
    let context = ReadContext::for_request(Purpose::Entity, Some("x=1&action=deploy"));
    assert_eq!(context.purpose(), Purpose::ActionInvocation);
    let doc = occi::parse_document_in(&headers, &ParseOptions::lenient(), &context).unwrap();
    assert_eq!(doc.value.categories[0].class, CategoryClass::Action);
    let context = ReadContext::for_request(Purpose::Entity, Some("actions=1"));
    assert_eq!(context.purpose(), Purpose::Entity);
}

#[test]
fn without_anything_to_tell_the_class_a_category_stays_an_error() {
    let body = format!("Category: orchestrator; scheme=\"{SERVICE}\"\r\n");
    let e = plain::parse_document(&body, &ParseOptions::lenient()).unwrap_err();
    assert!(e.to_string().contains("nothing tells which"), "{e}");
}

#[test]
fn one_bad_category_of_a_long_query_interface_is_skipped_and_reported() {
    let good = |k: usize| {
        format!(
            "tpl_{k}; scheme=\"http://fedcloud.egi.eu/occi/compute/flavour/1.0#\"; class=\"mixin\"; \
             title=\"Template {k}\"; location=\"/mixin/resource_tpl/tpl_{k}/\""
        )
    };
    let mut values: Vec<String> = (0..40).map(good).collect();
    values.insert(
        17,
        "suspend; scheme=\"http: //schemas.ogf.org/occi/infrastructure/compute/action#\"; \
         class=\"action\""
            .to_owned(),
    );
    let body = format!("Category: {}\r\n", values.join(", "));
    assert!(body.len() > 4000);
    let parsed = plain::parse_query_interface(&body, &ParseOptions::lenient()).unwrap();
    assert_eq!(parsed.value.len(), 40);
    assert_eq!(parsed.deviations.len(), 1);
    let d = &parsed.deviations[0];
    assert_eq!(d.kind(), DeviationKind::SkippedValue);
    assert_eq!(&body[d.position().offset..d.position().offset + 5], "http:");
    assert!(d.message().contains("skipped"), "{d}");
    // A server applies what it reads as a whole: there the bad value fails the request.
    assert!(plain::parse_categories(&body, &ParseOptions::lenient()).is_err());
    assert!(plain::parse_query_interface(&body, &ParseOptions::strict()).is_err());
    // A line whose only value is bad is not a list with one bad element.
    let only_bad = format!("Category: {}\r\n", values[17]);
    assert!(plain::parse_query_interface(&only_bad, &ParseOptions::lenient()).is_err());
}

#[test]
fn pyssf_ok_bodies_carry_no_occi_content() {
    for body in ["OK", "OK\n", "\r\nOK\r\n"] {
        let parsed = plain::parse_locations(body, &ParseOptions::lenient()).unwrap();
        assert!(parsed.value.is_empty());
        assert_eq!(parsed.deviations[0].kind(), DeviationKind::NoContent);
        assert!(plain::parse_locations(body, &ParseOptions::strict()).is_err());
    }
    let empty = plain::parse_locations("", &ParseOptions::strict()).unwrap();
    assert!(empty.value.is_empty() && empty.deviations.is_empty());
    // `OK` among OCCI lines is an ordinary bad line.
    assert!(
        plain::parse_document("OK\r\nX-OCCI-Location: /a\r\n", &ParseOptions::lenient()).is_err()
    );
}

#[test]
fn pocci_lf_cr_line_ends_are_one_deviation() {
    let body = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\n\r\
                X-OCCI-Attribute: occi.core.title=\"a\"\n\r\
                X-OCCI-Attribute: occi.compute.cores=1\n\r";
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).unwrap();
    let parsed = plain::parse_entity(body, &ParseOptions::lenient(), Some(&registry)).unwrap();
    assert_eq!(parsed.value.title(), Some("a"));
    assert_eq!(parsed.deviations.len(), 1, "{:?}", parsed.deviations);
    assert_eq!(parsed.deviations[0].kind(), DeviationKind::LineEnding);
    assert_eq!(parsed.deviations[0].position().line, 2);
    let e = plain::parse_entity(body, &ParseOptions::strict(), Some(&registry)).unwrap_err();
    assert_eq!((e.line(), e.rule()), (2, "line-ending"));
}
