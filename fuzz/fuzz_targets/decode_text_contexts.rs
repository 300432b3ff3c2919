//! text/plain read in every context real peers need (Categories without class, one bad value
//! of a query interface skipped, `OK` bodies, `\n\r` line ends): never panics; strict success
//! implies the same lenient result; whatever lenient parsing infers or skips renders to a
//! document that parses strictly.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use occi_render::ParseOptions;
use occi_render::occi_model::{OcciVersion, Registry, ext::infrastructure};
use occi_render::text::{Purpose, ReadContext, plain};

const PURPOSES: [Purpose; 7] = [
    Purpose::Document,
    Purpose::Entity,
    Purpose::Categories,
    Purpose::QueryInterface,
    Purpose::ActionInvocation,
    Purpose::Locations,
    Purpose::Filter,
];

/// The infrastructure model, built once: parsing only reads it.
static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).expect("the infrastructure model registers");
    registry
});

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(input) = std::str::from_utf8(rest) else {
        return;
    };
    let mut context = ReadContext::new(PURPOSES[usize::from(pick & 7) % PURPOSES.len()]);
    if pick & 8 != 0 {
        context = context.with_registry(&REGISTRY);
    }
    let strict = plain::parse_document_in(input, &ParseOptions::strict(), &context);
    let lenient = plain::parse_document_in(input, &ParseOptions::lenient(), &context);
    if let Ok(s) = &strict {
        assert_eq!(&s.value, &lenient.as_ref().expect("lenient accepts").value);
    }
    if let Ok(l) = &lenient {
        let rendered = plain::render_document(&l.value);
        plain::parse_document_in(&rendered, &ParseOptions::strict(), &context)
            .expect("a rendering parses strictly");
    }
    let _ = plain::parse_query_interface(input, &ParseOptions::lenient());
    let _ = plain::parse_action_invocation(input, &ParseOptions::lenient());
});
