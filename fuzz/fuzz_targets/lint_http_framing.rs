//! `occi-conformance lint` on whole captured HTTP messages (start line, header fields, blank
//! line, body) as well as bare bodies: never panics, whatever the framing, media type, model
//! or re-rendering asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use occi_conformance::lint::{LintModel, LintOptions, Media, lint};
use occi_conformance::occi_model::OcciVersion;

const MEDIA: [Option<Media>; 5] = [
    None,
    Some(Media::TextPlain),
    Some(Media::TextOcci),
    Some(Media::UriList),
    Some(Media::Json),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let options = LintOptions {
        model: if pick & 1 == 0 {
            LintModel::Infrastructure
        } else {
            LintModel::SyntaxOnly
        },
        media: MEDIA[usize::from(pick >> 1) % MEDIA.len()],
        version: if pick & 0x40 == 0 {
            OcciVersion::V1_2
        } else {
            OcciVersion::V1_1
        },
        strict: pick & 0x80 != 0,
        to: MEDIA[usize::from(pick >> 4) % MEDIA.len()],
    };
    let _ = lint(text, &options);
});
