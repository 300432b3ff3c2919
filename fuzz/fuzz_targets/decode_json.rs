//! Fuzz the application/occi+json parsers: no panics; whatever parses renders and re-parses
//! to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use occi_render::{ParseOptions, json};

fuzz_target!(|data: &[u8]| {
    for options in [ParseOptions::strict(), ParseOptions::lenient()] {
        if let Ok(p) = json::parse_entity(data, &options) {
            let text = json::render_entity(&p.value);
            let again = json::parse_entity(text.as_bytes(), &ParseOptions::lenient())
                .expect("a rendering parses");
            assert_eq!(again.value, p.value);
        }
        if let Ok(p) = json::parse_entity_collection(data, &options) {
            let text = json::render_entity_collection(&p.value);
            let again = json::parse_entity_collection(text.as_bytes(), &ParseOptions::lenient())
                .expect("a rendering parses");
            assert_eq!(again.value, p.value);
        }
        if let Ok(p) = json::parse_categories(data, &options) {
            let text = json::render_categories(&p.value);
            let again = json::parse_categories(text.as_bytes(), &ParseOptions::lenient())
                .expect("a rendering parses");
            assert_eq!(again.value, p.value);
        }
        if let Ok(p) = json::parse_action_invocation(data, &options) {
            let text = json::render_action_invocation(&p.value);
            let again = json::parse_action_invocation(text.as_bytes(), &ParseOptions::lenient())
                .expect("a rendering parses");
            assert_eq!(again.value, p.value);
        }
        let _ = json::parse_category(data, &options);
        let _ = json::parse_mixin_association(data, &options);
    }
});
