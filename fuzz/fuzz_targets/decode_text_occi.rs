//! text/occi: decoding header maps never panics; what decodes renders and re-decodes equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use occi_render::ParseOptions;
use occi_render::text::occi;

const NAMES: [&str; 5] = [
    "category",
    "link",
    "x-occi-attribute",
    "x-occi-location",
    "content-type",
];

fuzz_target!(|data: &[u8]| {
    // Each line is one header field; its first byte picks the field name. (The fuzz
    // package does not depend on `http`: an empty rendering gives an empty header map.)
    let mut map = occi::render_locations(&[]);
    for line in data.split(|b| *b == b'\n') {
        let Some((&pick, value)) = line.split_first() else {
            continue;
        };
        if let Ok(value) = value.try_into() {
            map.append(NAMES[usize::from(pick) % NAMES.len()], value);
        }
    }
    for options in [ParseOptions::strict(), ParseOptions::lenient()] {
        if let Ok(doc) = occi::parse_document(&map, &options) {
            let rendered = occi::render_document(&doc.value);
            let again = occi::parse_document(&rendered, &options).expect("a rendering parses");
            assert_eq!(occi::render_document(&again.value), rendered);
        }
        if let Ok(entity) = occi::parse_entity(&map, &options, None) {
            let rendered = occi::render_entity(&entity.value);
            let again = occi::parse_entity(&rendered, &options, None).expect("a rendering parses");
            assert_eq!(again.value, entity.value);
        }
    }
});
