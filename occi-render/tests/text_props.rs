//! Properties of the text renderings: round trips, idempotence, no panics, strict ⊆ lenient.

use http::{HeaderMap, HeaderName, HeaderValue};
use occi_model::ext::infrastructure;
use occi_model::strategy::{self, Profile};
use occi_model::{ActionInvocation, Entity, OcciVersion, Registry};
use occi_render::text::{self, Purpose, ReadContext, occi, plain};
use occi_render::{ParseOptions, uri_list};
use proptest::collection::vec;
use proptest::prelude::*;

/// What text cannot carry: an entity's location is only rendered through its action links,
/// so an entity without actions comes back without location (and its inline links' source,
/// which is that location, likewise).
fn normalise(mut e: Entity) -> Entity {
    if e.actions().is_empty() {
        match &mut e {
            Entity::Resource(r) => {
                r.location = None;
                for l in &mut r.links {
                    l.source = None;
                }
            }
            Entity::Link(l) => l.location = None,
        }
    }
    e
}

fn entity_and_version() -> impl Strategy<Value = (Entity, OcciVersion)> {
    strategy::version().prop_flat_map(|v| (strategy::entity(Profile::Text, v), Just(v)))
}

fn invocation() -> impl Strategy<Value = ActionInvocation> {
    (
        strategy::category_id(OcciVersion::V1_2),
        strategy::attributes(Profile::Text),
    )
        .prop_map(|(action, attributes)| ActionInvocation { action, attributes })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn entity_plain_round_trips((e, v) in entity_and_version()) {
        prop_assert!(text::can_render(&e));
        let options = ParseOptions::strict().with_version(v);
        let body = plain::render_entity(&e);
        let parsed = plain::parse_entity(&body, &options, None)
            .map_err(|err| TestCaseError::fail(format!("{err}\n{body}")))?;
        prop_assert!(parsed.deviations.is_empty());
        prop_assert_eq!(&parsed.value, &normalise(e));
        prop_assert_eq!(plain::render_entity(&parsed.value), plain::render_entity(&normalise(parsed.value.clone())));
    }

    #[test]
    fn entity_headers_round_trip((e, v) in entity_and_version()) {
        let options = ParseOptions::strict().with_version(v);
        let headers = occi::render_entity(&e);
        let parsed = occi::parse_entity(&headers, &options, None)
            .map_err(|err| TestCaseError::fail(format!("{err}\n{headers:?}")))?;
        prop_assert_eq!(&parsed.value, &normalise(e));
        prop_assert_eq!(occi::render_entity(&parsed.value), headers);
    }

    #[test]
    fn render_is_idempotent((e, v) in entity_and_version()) {
        let once = plain::render_entity(&e);
        let parsed = plain::parse_entity(&once, &ParseOptions::lenient().with_version(v), None).unwrap();
        let twice = plain::render_entity(&parsed.value);
        let parsed2 = plain::parse_entity(&twice, &ParseOptions::lenient().with_version(v), None).unwrap();
        prop_assert_eq!(plain::render_entity(&parsed2.value), twice);
    }

    #[test]
    fn categories_round_trip((cats, v) in strategy::version().prop_flat_map(|v| (strategy::categories(Profile::Text, v), Just(v)))) {
        let options = ParseOptions::strict().with_version(v);
        let body = plain::render_categories(&cats);
        let parsed = plain::parse_categories(&body, &options)
            .map_err(|err| TestCaseError::fail(format!("{err}\n{body}")))?;
        prop_assert_eq!(&parsed.value, &cats);
        let headers = occi::render_categories(&cats);
        prop_assert_eq!(&occi::parse_categories(&headers, &options).unwrap().value, &cats);
    }

    #[test]
    fn action_invocation_round_trips(a in invocation()) {
        let options = ParseOptions::strict();
        let body = plain::render_action_invocation(&a);
        prop_assert_eq!(&plain::parse_action_invocation(&body, &options).unwrap().value, &a);
        let headers = occi::render_action_invocation(&a);
        prop_assert_eq!(&occi::parse_action_invocation(&headers, &options).unwrap().value, &a);
    }

    #[test]
    fn locations_round_trip(locs in vec(prop_oneof![strategy::entity_location(), strategy::collection_location()], 0..8)) {
        let options = ParseOptions::strict();
        prop_assert_eq!(&plain::parse_locations(&plain::render_locations(&locs), &options).unwrap().value, &locs);
        prop_assert_eq!(&occi::parse_locations(&occi::render_locations(&locs), &options).unwrap().value, &locs);
        prop_assert_eq!(&uri_list::parse(&uri_list::render(&locs), &options).unwrap().value, &locs);
    }

    #[test]
    fn arbitrary_text_never_panics_and_strict_implies_lenient(s in ".{0,300}", v in strategy::version()) {
        let strict = ParseOptions::strict().with_version(v);
        let lenient = ParseOptions::lenient().with_version(v);
        let a = plain::parse_document(&s, &strict);
        let b = plain::parse_document(&s, &lenient);
        if let Ok(a) = a {
            prop_assert_eq!(a.value, b.unwrap().value);
        }
        let _ = uri_list::parse(&s, &lenient);
    }

    #[test]
    fn grammar_shaped_text_never_panics(lines in vec(line(), 0..6)) {
        let s = lines.join("\r\n");
        let strict = ParseOptions::strict();
        let lenient = ParseOptions::lenient().with_version(OcciVersion::V1_1);
        if let Ok(a) = plain::parse_document(&s, &strict) {
            let b = plain::parse_document(&s, &ParseOptions::lenient()).unwrap();
            prop_assert_eq!(&a.value, &b.value);
            // What parses renders, and the rendering parses to the same structures.
            let again = plain::parse_document(&plain::render_document(&a.value), &strict).unwrap();
            prop_assert_eq!(plain::render_document(&again.value), plain::render_document(&a.value));
        }
        let _ = plain::parse_entity(&s, &lenient, None);
        let _ = plain::parse_categories(&s, &lenient);
    }

    #[test]
    fn arbitrary_header_maps_never_panic(fields in vec((0usize..5, proptest::collection::vec(any::<u8>(), 0..80)), 0..6)) {
        let names = ["category", "link", "x-occi-attribute", "x-occi-location", "content-type"];
        let mut map = HeaderMap::new();
        for (n, bytes) in fields {
            if let Ok(v) = HeaderValue::from_bytes(&bytes) {
                map.append(HeaderName::from_static(names[n]), v);
            }
        }
        let _ = occi::parse_entity(&map, &ParseOptions::lenient(), None);
        let _ = occi::parse_document(&map, &ParseOptions::strict());
    }
}

proptest! {
    // Each case parses in seven contexts, strictly and leniently.
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn every_read_context_never_panics_and_strict_implies_lenient(
        lines in vec(peer_line(), 0..6),
        ending in prop_oneof![Just("\r\n"), Just("\n"), Just("\n\r")],
        with_registry in any::<bool>(),
    ) {
        let s = lines.join(ending);
        let mut registry = Registry::new(OcciVersion::V1_2);
        infrastructure::register(&mut registry).unwrap();
        for purpose in PURPOSES {
            let mut context = ReadContext::new(purpose);
            if with_registry {
                context = context.with_registry(&registry);
            }
            let strict = plain::parse_document_in(&s, &ParseOptions::strict(), &context);
            let lenient = plain::parse_document_in(&s, &ParseOptions::lenient(), &context);
            if let Ok(a) = &strict {
                prop_assert!(a.deviations.is_empty());
                prop_assert_eq!(&a.value, &lenient.as_ref().unwrap().value);
            }
            if let Ok(b) = &lenient {
                // Whatever lenient parsing inferred or skipped, the result is grammatical.
                let rendered = plain::render_document(&b.value);
                let again = plain::parse_document_in(&rendered, &ParseOptions::strict(), &context);
                prop_assert!(again.is_ok(), "{rendered:?}: {:?}", again.err());
            }
            let headers = occi::render_document(&strict.map_or_else(|_| text::TextDocument::default(), |p| p.value));
            let _ = occi::parse_document_in(&headers, &ParseOptions::lenient(), &context);
        }
        let _ = plain::parse_query_interface(&s, &ParseOptions::lenient());
        let _ = plain::parse_action_invocation(&s, &ParseOptions::lenient());
        let _ = plain::parse_entity(&s, &ParseOptions::lenient(), with_registry.then_some(&registry));
    }
}

const PURPOSES: [Purpose; 7] = [
    Purpose::Document,
    Purpose::Entity,
    Purpose::Categories,
    Purpose::QueryInterface,
    Purpose::ActionInvocation,
    Purpose::Locations,
    Purpose::Filter,
];

/// Lines as real peers send them: Categories without class, lists with a bad element, `OK`.
fn peer_line() -> impl Strategy<Value = String> {
    let category = prop_oneof![
        Just("compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"".to_owned()),
        Just(
            "deploy; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/service#\"".to_owned()
        ),
        Just("app; scheme=\"http://schemas.ogf.org/occi/platform#\"; class=\"kind\"".to_owned()),
        Just("stop; scheme=\"http: //schemas.ogf.org/occi/x#\"; class=\"action\"".to_owned()),
        Just("m; scheme=\"http://e.org/a#\"; class=mixin; location=\"/m/\"".to_owned()),
        Just("bad term; scheme=\"x\"".to_owned()),
        "[ -~]{0,6}",
    ];
    prop_oneof![
        vec(category, 1..5).prop_map(|c| format!("Category: {}", c.join(", "))),
        Just("X-OCCI-Attribute: occi.core.title=\"t\", occi.compute.cores=2".to_owned()),
        Just("X-OCCI-Location: /compute/1, http: //bad, /compute/2".to_owned()),
        Just("OK".to_owned()),
        line(),
    ]
}

/// Lines made of the grammar's pieces, to reach deep into the parsers.
fn line() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Category: ".to_owned()),
        Just("Link: ".to_owned()),
        Just("X-OCCI-Attribute: ".to_owned()),
        Just("X-OCCI-Location: ".to_owned()),
        Just("compute".to_owned()),
        Just("; scheme=\"http://schemas.ogf.org/occi/core#\"".to_owned()),
        Just("; class=\"kind\"".to_owned()),
        Just("; class=mixin".to_owned()),
        Just("; title=\"a, \\\"b\\\"\"".to_owned()),
        Just("; rel=\"http://x.org/a#b\"".to_owned()),
        Just("; location=\"/c/\"".to_owned()),
        Just("; attributes=\"a.b{immutable required} c\"".to_owned()),
        Just("; actions=\"http://x.org/a#b\"".to_owned()),
        Just("</c/1?action=start>; rel=\"http://x.org/a#start\"".to_owned()),
        Just("</n/1>".to_owned()),
        Just("; self=\"/l/1\"; category=\"http://x.org/a#l\"".to_owned()),
        Just("occi.x=".to_owned()),
        Just("1.5".to_owned()),
        Just("-3".to_owned()),
        Just("true".to_owned()),
        Just("\"q\"".to_owned()),
        Just(", ".to_owned()),
        Just(";".to_owned()),
        Just(" = ".to_owned()),
        Just("\r\n ".to_owned()),
        "[ -~]{0,4}",
    ];
    vec(piece, 0..10).prop_map(|v| v.concat())
}
