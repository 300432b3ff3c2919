//! `lint` never panics, whatever it is given: bare bodies of every media type, whole HTTP
//! messages, strict or not, with or without re-rendering. Its caret diagnostics slice the
//! input by the positions the parsers report, so this also checks that those positions stay
//! inside the input.

use occi_conformance::lint::{LintModel, LintOptions, Media, lint};
use occi_conformance::occi_model::OcciVersion;
use proptest::prelude::*;

fn media() -> impl Strategy<Value = Option<Media>> {
    prop_oneof![
        Just(None),
        Just(Some(Media::TextPlain)),
        Just(Some(Media::TextOcci)),
        Just(Some(Media::UriList)),
        Just(Some(Media::Json)),
    ]
}

/// Inputs that reach deep into the parsers: OCCI-looking lines, JSON-looking text, HTTP
/// message framing, and arbitrary text.
fn input() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"".to_owned()),
        Just("X-OCCI-Attribute: occi.core.title=\"é\\\"x, y\"".to_owned()),
        Just("Link: </n/1>; rel=\"http://schemas.ogf.org/occi/infrastructure#network\"".to_owned()),
        Just("X-OCCI-Location: /compute/1".to_owned()),
        Just("HTTP/1.1 200 OK".to_owned()),
        Just("POST /compute/ HTTP/1.1".to_owned()),
        Just("POST /compute/1?action=stop HTTP/1.1".to_owned()),
        Just("Category: deploy; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/service#\"".to_owned()),
        Just("X-OCCI-Attribute: occi.compute.cores=\"two\", occi.compute.memory=\"2.5\"".to_owned()),
        Just("OK".to_owned()),
        Just(format!("Category: {}", vec!["m; scheme=\"http://e.org/a#\"; class=\"mixin\""; 60].join(", "))),
        Just("Content-Type: application/occi+json".to_owned()),
        Just("Content-Type: text/occi".to_owned()),
        Just(String::new()),
        Just("{\"kind\":\"http://schemas.ogf.org/occi/infrastructure#compute\",\"attributes\":{\"a\":[1,{\"b\":null}]}}".to_owned()),
        "\\PC{0,40}",
        any::<String>(),
    ];
    (
        proptest::collection::vec(line, 0..8),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\n\r")],
    )
        .prop_map(|(lines, eol)| lines.join(eol))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lint_never_panics(
        text in input(),
        media in media(),
        to in media(),
        strict in any::<bool>(),
        v11 in any::<bool>(),
        syntax_only in any::<bool>(),
    ) {
        let options = LintOptions {
            model: if syntax_only { LintModel::SyntaxOnly } else { LintModel::Infrastructure },
            media,
            version: if v11 { OcciVersion::V1_1 } else { OcciVersion::V1_2 },
            strict,
            to,
        };
        let _ = lint(&text, &options);
    }
}
