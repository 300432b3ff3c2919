//! text/uri-list: decoding never panics; what decodes renders and re-decodes to the same list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use occi_render::{ParseOptions, uri_list};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    for options in [ParseOptions::strict(), ParseOptions::lenient()] {
        if let Ok(uris) = uri_list::parse(input, &options) {
            let rendered = uri_list::render(&uris.value);
            let again = uri_list::parse(&rendered, &options).expect("a rendering parses");
            assert_eq!(again.value, uris.value);
        }
    }
});
