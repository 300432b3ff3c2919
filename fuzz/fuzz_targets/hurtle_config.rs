//! Fuzz the Hurtle-specific parsers that remain in occi-hurtle: the service manifest, the
//! per-phase service parameters, `occi.app.env` and app names. No panics; an accepted
//! manifest always makes a service Kind; accepted environment pairs render back to text
//! that parses to the same pairs.

#![no_main]

use libfuzzer_sys::fuzz_target;
use occi_hurtle::cc::{check_name, parse_env};
use occi_hurtle::sm::{Manifest, ServiceParams};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(manifest) = Manifest::from_json(s) {
        assert!(manifest.kind().is_ok(), "an accepted manifest makes a Kind");
    }
    if let Ok(params) = ServiceParams::from_json(s) {
        for phase in ["activate", "deploy", "provision", "update", "destroy"] {
            for (name, _) in params.phase(phase) {
                assert!(params.is_param(name));
            }
        }
    }
    if let Ok(pairs) = parse_env(s) {
        let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(parse_env(&text.join("::")).ok(), Some(pairs));
    }
    let _ = check_name(s);
});
