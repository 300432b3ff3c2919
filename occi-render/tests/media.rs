//! Content-Type, Accept and content negotiation.

use occi_render::ParseErrorKind;
use occi_render::media::{
    MediaRange, MediaType, NegotiationError, negotiate, parse_accept, parse_content_type,
};
use proptest::prelude::*;

const OFFERED: [MediaType; 5] = [
    MediaType::TextPlain,
    MediaType::TextOcciPlain,
    MediaType::TextOcci,
    MediaType::UriList,
    MediaType::OcciJson,
];

fn pick(accept: Option<&str>) -> Result<MediaType, NegotiationError> {
    negotiate(accept, &OFFERED, MediaType::TextPlain)
}

#[test]
fn content_type_with_parameters_and_case() {
    let ct = parse_content_type("Application/OCCI+JSON ; Charset=UTF-8").unwrap();
    assert_eq!(ct.media_type, MediaType::OcciJson);
    assert_eq!(ct.charset.as_deref(), Some("utf-8"));
    assert_eq!(
        parse_content_type("text/occi").unwrap().media_type,
        MediaType::TextOcci
    );
    assert_eq!(
        parse_content_type("application/json").unwrap().media_type,
        MediaType::Json
    );
}

#[test]
fn err004_unknown_content_type_names_it() {
    let err = parse_content_type("application/xml").unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Value);
    assert!(
        err.to_string()
            .contains("unsupported media type application/xml"),
        "{err}"
    );
    assert!(err.expected().contains("application/occi+json"));
    let err = parse_content_type("text").unwrap_err();
    assert_eq!(err.kind(), ParseErrorKind::Syntax);
    assert_eq!(err.column(), 5);
}

#[test]
fn accept_parsing() {
    let entries = parse_accept("text/*;q=0.3 , text/plain ; level=1, */*; q=0").unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].range, MediaRange::Type("text"));
    assert_eq!(entries[0].quality, 300);
    assert!(entries[1].has_parameters);
    assert_eq!(entries[1].specificity(), 3);
    assert_eq!(entries[2].quality, 0);
    assert!(parse_accept("text/plain,,text/occi").unwrap().len() == 2);
}

#[test]
fn malformed_accept_entries_have_positions() {
    for (input, column) in [
        ("text/plain;q=2", 12),
        ("text/plain;q=0.0001", 12),
        ("text/plain, text", 17),
        ("*/plain", 8),
        ("text/plain;=x", 12),
        ("text/plain x", 12),
    ] {
        let err = parse_accept(input).unwrap_err();
        assert_eq!(err.kind(), ParseErrorKind::Syntax, "{input}");
        assert_eq!(err.column(), column, "{input}: {err}");
    }
}

#[test]
fn err002_err003_default_for_no_accept_and_wildcards() {
    assert_eq!(pick(None).unwrap(), MediaType::TextPlain);
    assert_eq!(pick(Some("")).unwrap(), MediaType::TextPlain);
    assert_eq!(pick(Some("*/*")).unwrap(), MediaType::TextPlain);
    assert_eq!(pick(Some("text/*")).unwrap(), MediaType::TextPlain);
    assert_eq!(pick(Some("application/*")).unwrap(), MediaType::OcciJson);
}

#[test]
fn highest_q_then_specificity_then_offer_order() {
    assert_eq!(
        pick(Some("text/occi;q=0.5, application/occi+json")).unwrap(),
        MediaType::OcciJson
    );
    assert_eq!(
        pick(Some("text/occi, */*;q=0.1")).unwrap(),
        MediaType::TextOcci
    );
    // Equal q: the exact range beats the wildcard.
    assert_eq!(
        pick(Some("*/*, text/uri-list")).unwrap(),
        MediaType::UriList
    );
    // Equal q and specificity: the server's order.
    assert_eq!(
        pick(Some("text/occi, text/occi+plain")).unwrap(),
        MediaType::TextOcciPlain
    );
    // q=0 excludes, even against a wildcard.
    assert_eq!(
        pick(Some("text/plain;q=0, text/*")).unwrap(),
        MediaType::TextOcciPlain
    );
}

#[test]
fn err001_not_acceptable_lists_the_offer() {
    let err = pick(Some("application/xml")).unwrap_err();
    let NegotiationError::NotAcceptable { offered } = &err else {
        panic!("{err}")
    };
    assert_eq!(offered.len(), 5);
    assert!(
        err.to_string().contains("text/plain, text/occi+plain"),
        "{err}"
    );
    assert!(matches!(
        pick(Some("text/plain;q=x")),
        Err(NegotiationError::Malformed(_))
    ));
}

proptest! {
    #[test]
    fn accept_parsing_never_panics(s in ".{0,80}") {
        let _ = parse_accept(&s);
        let _ = parse_content_type(&s);
        let _ = pick(Some(&s));
    }

    #[test]
    fn negotiate_picks_an_allowed_type(
        entries in proptest::collection::vec(
            (prop_oneof![
                Just("*/*"), Just("text/*"), Just("application/*"), Just("text/plain"),
                Just("text/occi"), Just("text/uri-list"), Just("application/occi+json"),
                Just("application/xml"), Just("text/html")
            ], 0u16..=1000),
            1..6,
        )
    ) {
        let header: Vec<String> = entries
            .iter()
            .map(|(r, q)| format!("{r};q={}.{:03}", q / 1000, q % 1000))
            .collect();
        let header = header.join(", ");
        let parsed = parse_accept(&header).unwrap();
        match pick(Some(&header)) {
            Ok(m) => {
                // The most specific range matching the chosen type gives it a non-zero q.
                let best = parsed
                    .iter()
                    .filter(|e| e.range.matches(m))
                    .max_by_key(|e| e.specificity())
                    .expect("the chosen type is matched");
                prop_assert!(parsed.iter().filter(|e| e.range.matches(m) && e.specificity() == best.specificity()).any(|e| e.quality > 0));
                prop_assert!(OFFERED.contains(&m));
            }
            Err(NegotiationError::NotAcceptable { .. }) => {
                // Then no offered type has a positive q from its most specific range.
                for m in OFFERED {
                    let matching: Vec<_> = parsed.iter().filter(|e| e.range.matches(m)).collect();
                    if let Some(top) = matching.iter().map(|e| e.specificity()).max() {
                        let first = matching.iter().find(|e| e.specificity() == top).unwrap();
                        prop_assert_eq!(first.quality, 0);
                    }
                }
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}
