//! The one-pass reader of the canonical text/plain entity agrees with the grammar reader:
//! whatever it reads, the grammar reader reads to the same entity with no deviation, on
//! renderings of generated entities and on mutations of them; and it does read the
//! renderer's output, so the agreement is not vacuous.

use occi_model::ext::infrastructure;
use occi_model::strategy::{self, Profile};
use occi_model::{Entity, OcciVersion, Registry};
use occi_render::ParseOptions;
use occi_render::text::{canonical, plain};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Fails unless the grammar reader reads `input` to what the canonical reader read, if it
/// read anything.
fn agree(input: &str, options: &ParseOptions, registry: Option<&Registry>) -> Result<(), String> {
    let Some(fast) = canonical::entity(input, options, registry) else {
        return Ok(());
    };
    match canonical::entity_by_grammar(input, options, registry) {
        Ok(full) if full.value == fast && full.deviations.is_empty() => Ok(()),
        Ok(full) => Err(format!(
            "the readers differ on\n{input}\ncanonical: {fast:?}\ngrammar: {:?}\ndeviations: {:?}",
            full.value, full.deviations
        )),
        Err(e) => Err(format!(
            "the canonical reader read what the grammar refuses:\n{input}\n{e}\n{fast:?}"
        )),
    }
}

fn registry() -> Registry {
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).expect("the infrastructure model registers");
    registry
}

fn options() -> impl Strategy<Value = ParseOptions> {
    prop_oneof![
        Just(ParseOptions::strict()),
        Just(ParseOptions::lenient()),
        Just(ParseOptions::strict().with_version(OcciVersion::V1_1)),
        Just(ParseOptions::lenient().with_version(OcciVersion::V1_1)),
        (0usize..12).prop_map(|n| ParseOptions::lenient().with_max_items(n)),
    ]
}

/// Bytes that change the meaning of a rendering where they land.
const EDITS: &[u8] = b" \t;,=\"\\<>?#/:.-_aZ09\r\nCLX";

/// A rendering with a few bytes replaced, inserted or removed.
fn mutated(text: &str, edits: &[(prop::sample::Index, usize, u8)]) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    for (at, how, edit) in edits {
        if bytes.is_empty() {
            break;
        }
        let k = at.index(bytes.len());
        let b = EDITS[usize::from(*edit) % EDITS.len()];
        match how % 3 {
            0 => bytes[k] = b,
            1 => bytes.insert(k, b),
            _ => {
                bytes.remove(k);
            }
        }
    }
    String::from_utf8(bytes).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_canonical_reader_agrees_with_the_grammar(
        e in strategy::entity(Profile::Text, OcciVersion::V1_2),
        options in options(),
        edits in vec((any::<prop::sample::Index>(), 0usize..3, any::<u8>()), 0..4),
        with_registry in any::<bool>(),
    ) {
        let text = plain::render_entity(&e);
        let registry = with_registry.then(registry);
        if let Some(input) = mutated(&text, &edits) {
            agree(&input, &options, registry.as_ref()).map_err(TestCaseError::fail)?;
        }
        agree(&text, &options, registry.as_ref()).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn the_canonical_reader_agrees_on_1_1_entities(
        e in strategy::entity(Profile::Text, OcciVersion::V1_1),
        options in options(),
    ) {
        agree(&plain::render_entity(&e), &options, None).map_err(TestCaseError::fail)?;
    }
}

/// The renderer's output of a Resource is read by the canonical reader (unless a string
/// holds something the renderer escapes, which the reader also takes): most generated
/// Resources go the one-pass way, so the property above compares something.
#[test]
fn the_renderers_resources_take_the_canonical_path() {
    let mut runner = TestRunner::deterministic();
    let strategy = strategy::entity(Profile::Text, OcciVersion::V1_2);
    let options = ParseOptions::strict();
    let (mut resources, mut read) = (0, 0);
    for _ in 0..300 {
        let e = strategy
            .new_tree(&mut runner)
            .expect("a value tree")
            .current();
        if !matches!(e, Entity::Resource(_)) {
            continue;
        }
        resources += 1;
        let text = plain::render_entity(&e);
        if canonical::entity(&text, &options, None).is_some() {
            read += 1;
        }
    }
    assert!(resources > 50, "{resources} resources generated");
    assert!(
        read * 10 >= resources * 9,
        "only {read} of {resources} rendered resources read in one pass"
    );
}

/// A known message, and a few of the ways out of the canonical form, each read by the
/// grammar reader with its deviation.
#[test]
fn unusual_messages_go_to_the_grammar_reader() {
    const KIND: &str = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n";
    let lenient = ParseOptions::lenient();
    let body = format!("{KIND}X-OCCI-Attribute: occi.compute.cores=2\r\n");
    let fast = canonical::entity(&body, &lenient, None).expect("canonical");
    assert_eq!(
        plain::parse_entity(&body, &lenient, None).unwrap().value,
        fast
    );

    // Each with whether the grammar reader reports a deviation for it: LF line endings, a
    // lowercase field name, whitespace around '=', a repeated attribute, an unquoted
    // string (all lenient only), and no CRLF after the last line (grammar, silently).
    for (unusual, deviates) in [
        (
            format!(
                "{}X-OCCI-Attribute: occi.compute.cores=2\n",
                KIND.replace("\r\n", "\n")
            ),
            true,
        ),
        (
            format!("{KIND}x-occi-attribute: occi.compute.cores=2\r\n"),
            true,
        ),
        (
            format!("{KIND}X-OCCI-Attribute: occi.compute.cores = 2\r\n"),
            true,
        ),
        (
            format!("{KIND}X-OCCI-Attribute: a=1\r\nX-OCCI-Attribute: a=2\r\n"),
            true,
        ),
        (
            format!("{KIND}X-OCCI-Attribute: occi.compute.hostname=web\r\n"),
            true,
        ),
        (
            format!("{KIND}X-OCCI-Attribute: occi.compute.cores=2"),
            false,
        ),
    ] {
        assert!(
            canonical::entity(&unusual, &lenient, None).is_none(),
            "{unusual}"
        );
        let parsed = plain::parse_entity(&unusual, &lenient, None).expect("lenient reads it");
        assert_eq!(!parsed.deviations.is_empty(), deviates, "{unusual}");
    }
}
