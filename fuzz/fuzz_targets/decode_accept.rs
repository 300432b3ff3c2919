//! Fuzz `Accept` and `Content-Type` parsing and negotiation: no panics, and a negotiated
//! type is one the server offered.

#![no_main]

use libfuzzer_sys::fuzz_target;
use occi_render::media::{MediaType, negotiate, parse_accept, parse_content_type};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_accept(s);
    let _ = parse_content_type(s);
    let offered = [MediaType::TextPlain, MediaType::TextOcci, MediaType::OcciJson];
    if let Ok(m) = negotiate(Some(s), &offered, MediaType::TextPlain) {
        assert!(offered.contains(&m));
    }
});
