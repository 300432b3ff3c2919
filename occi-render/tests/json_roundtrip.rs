//! Property tests: parse(render(x)) == x, canonical rendering, no panics, and strict
//! acceptance implying lenient acceptance with the same value.

use occi_render::ParseOptions;
use occi_render::json::{self, CategoryCollection, EntityCollection};
use occi_render::occi_model::strategy::{self, Profile};
use occi_render::occi_model::{ActionInvocation, OcciVersion};
use proptest::prelude::*;

const V: OcciVersion = OcciVersion::V1_2;

fn lenient() -> ParseOptions {
    ParseOptions::lenient()
}

fn invocation() -> impl Strategy<Value = ActionInvocation> {
    (
        strategy::category_id(V),
        strategy::attributes(Profile::Json),
    )
        .prop_map(|(action, attributes)| ActionInvocation { action, attributes })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn entity_round_trips(e in strategy::entity(Profile::Json, V)) {
        let text = json::render_entity(&e);
        let parsed = json::parse_entity(text.as_bytes(), &lenient()).unwrap();
        prop_assert_eq!(&parsed.value, &e);
        // Canonical: rendering the parsed value gives the same bytes.
        prop_assert_eq!(json::render_entity(&parsed.value), text.clone());
        // Strict accepts it whenever every id is present, with the same value.
        if let Ok(strict) = json::parse_entity(text.as_bytes(), &ParseOptions::strict()) {
            prop_assert_eq!(strict.value, e);
            prop_assert!(strict.deviations.is_empty());
        }
    }

    #[test]
    fn entity_collection_round_trips(
        resources in proptest::collection::vec(strategy::resource(Profile::Json, V), 0..3),
        links in proptest::collection::vec(strategy::link(Profile::Json, V), 0..3),
    ) {
        let c = EntityCollection { resources, links };
        let text = json::render_entity_collection(&c);
        let parsed = json::parse_entity_collection(text.as_bytes(), &lenient()).unwrap();
        prop_assert_eq!(&parsed.value, &c);
        prop_assert_eq!(json::render_entity_collection(&parsed.value), text);
    }

    #[test]
    fn categories_round_trip(cats in strategy::categories(Profile::Json, V)) {
        let c = CategoryCollection::from_categories(cats.clone());
        let text = json::render_categories(&c);
        let parsed = json::parse_categories(text.as_bytes(), &ParseOptions::strict()).unwrap();
        prop_assert_eq!(&parsed.value, &c);
        prop_assert_eq!(json::render_categories(&parsed.value), text);
        for cat in &cats {
            let one = json::render_category(cat);
            let back = json::parse_category(one.as_bytes(), &ParseOptions::strict()).unwrap().value;
            // A lone category's class is guessed; each generated one carries the members
            // that decide it (Kinds have parents, Mixins locations).
            prop_assert_eq!(&back, cat);
        }
    }

    #[test]
    fn action_invocation_round_trips(inv in invocation()) {
        let text = json::render_action_invocation(&inv);
        let parsed = json::parse_action_invocation(text.as_bytes(), &ParseOptions::strict()).unwrap();
        prop_assert_eq!(&parsed.value, &inv);
        prop_assert_eq!(json::render_action_invocation(&parsed.value), text);
    }

    #[test]
    fn strict_acceptance_implies_lenient_acceptance(
        e in strategy::entity(Profile::Json, V),
        extra in proptest::option::of("[a-z]{1,5}"),
    ) {
        let mut text = json::render_entity(&e);
        if let Some(member) = extra {
            // An unknown member: strict rejects, lenient ignores.
            text.insert_str(1, &format!("\"x{member}\":[1,{{}}],"));
        }
        let strict = json::parse_entity(text.as_bytes(), &ParseOptions::strict());
        let lenient = json::parse_entity(text.as_bytes(), &lenient());
        if let Ok(s) = strict {
            prop_assert_eq!(s.value, lenient.unwrap().value);
        } else {
            prop_assert_eq!(lenient.unwrap().value, e);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        for options in [ParseOptions::strict(), lenient()] {
            let _ = json::parse_entity(&bytes, &options);
            let _ = json::parse_entity_collection(&bytes, &options);
            let _ = json::parse_categories(&bytes, &options);
            let _ = json::parse_category(&bytes, &options);
            let _ = json::parse_action_invocation(&bytes, &options);
            let _ = json::parse_mixin_association(&bytes, &options);
            let _ = json::pyssf::parse_entity(&bytes, &options);
            let _ = json::pyssf::parse_categories(&bytes, &options);
        }
    }

    #[test]
    fn never_panics_on_json_like_text(s in r#"[{}\[\]",:a-z0-9.#/ -]{0,120}"#) {
        for options in [ParseOptions::strict(), lenient()] {
            if let Ok(p) = json::parse_entity(s.as_bytes(), &options) {
                let again = json::render_entity(&p.value);
                prop_assert_eq!(json::parse_entity(again.as_bytes(), &lenient()).unwrap().value, p.value);
            }
            let _ = json::parse_categories(s.as_bytes(), &options);
        }
    }
}
