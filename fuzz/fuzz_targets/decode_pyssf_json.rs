//! Fuzz the PySSF JSON dialect: no panics; whatever parses renders and re-parses.

#![no_main]

use libfuzzer_sys::fuzz_target;
use occi_render::ParseOptions;
use occi_render::json::pyssf;

fuzz_target!(|data: &[u8]| {
    for options in [ParseOptions::strict(), ParseOptions::lenient()] {
        if let Ok(p) = pyssf::parse_entity(data, &options) {
            let text = pyssf::render_entity(&p.value);
            let again = pyssf::parse_entity(text.as_bytes(), &ParseOptions::lenient())
                .expect("a rendering parses");
            // Values come back as strings, so compare the second round trip.
            let text2 = pyssf::render_entity(&again.value);
            assert_eq!(text, text2);
        }
        if let Ok(p) = pyssf::parse_categories(data, &options) {
            let text = pyssf::render_categories(&p.value);
            let again = pyssf::parse_categories(text.as_bytes(), &ParseOptions::lenient())
                .expect("a rendering parses");
            assert_eq!(pyssf::render_categories(&again.value), text);
        }
        let _ = pyssf::parse_entities(data, &options);
    }
});
