//! Golden vectors under `vectors/json/` and `vectors/pyssf-json/`.
//!
//! Each `<name>.input` is parsed by the parser its name prefix selects (`entity-`,
//! `collection-`, `categories-`, `kind-`, `mixin-`, `action-`, `invocation-`,
//! `association-`; for PySSF `entity-`, `collection-`, `qi-`):
//!
//! * `<name>.canonical`: lenient parsing succeeds and renders exactly this (which parses back
//!   to the same value);
//! * `<name>.error`: strict parsing fails with this first error, `line:column rule`; without a
//!   `.canonical`, lenient parsing fails the same way;
//! * with a `.canonical` and no `.error`, strict parsing succeeds with the same value.
//!
//! `OCCI_BLESS=1` writes the expected files from the current output.

use std::path::{Path, PathBuf};

use occi_render::json::{self, pyssf};
use occi_render::{ParseError, ParseOptions};

type Outcome = Result<(String, usize), ParseError>;

fn run_json(name: &str, input: &[u8], options: &ParseOptions) -> Outcome {
    macro_rules! go {
        ($parse:path, $render:path) => {
            $parse(input, options).map(|p| ($render(&p.value), p.deviations.len()))
        };
    }
    let prefix = name.split('-').next().unwrap();
    match prefix {
        "entity" => go!(json::parse_entity, json::render_entity),
        "collection" => go!(
            json::parse_entity_collection,
            json::render_entity_collection
        ),
        "categories" => go!(json::parse_categories, json::render_categories),
        "kind" => go!(json::parse_kind, json::render_kind),
        "mixin" => go!(json::parse_mixin, json::render_mixin),
        "action" => go!(json::parse_action, json::render_action),
        "invocation" => go!(
            json::parse_action_invocation,
            json::render_action_invocation
        ),
        "association" => go!(
            json::parse_mixin_association,
            json::render_mixin_association
        ),
        other => panic!("{name}: unknown vector prefix {other}"),
    }
}

fn run_pyssf(name: &str, input: &[u8], options: &ParseOptions) -> Outcome {
    let prefix = name.split('-').next().unwrap();
    match prefix {
        "entity" => pyssf::parse_entity(input, options)
            .map(|p| (pyssf::render_entity(&p.value), p.deviations.len())),
        "collection" => pyssf::parse_entities(input, options)
            .map(|p| (pyssf::render_entities(&p.value), p.deviations.len())),
        "qi" => pyssf::parse_categories(input, options)
            .map(|p| (pyssf::render_categories(&p.value), p.deviations.len())),
        other => panic!("{name}: unknown vector prefix {other}"),
    }
}

fn error_line(e: &ParseError) -> String {
    format!("{}:{} {}", e.line(), e.column(), e.rule())
}

fn check_dir(dir: &Path, run: fn(&str, &[u8], &ParseOptions) -> Outcome) -> usize {
    let bless = std::env::var_os("OCCI_BLESS").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "input"))
        .collect();
    inputs.sort();
    for input_path in &inputs {
        let name = input_path.file_stem().unwrap().to_str().unwrap();
        let input = std::fs::read(input_path).unwrap();
        let canonical_path = input_path.with_extension("canonical");
        let error_path = input_path.with_extension("error");
        let lenient = run(name, &input, &ParseOptions::lenient());
        let strict = run(name, &input, &ParseOptions::strict());
        if bless {
            let _ = std::fs::remove_file(&canonical_path);
            let _ = std::fs::remove_file(&error_path);
            if let Ok((text, _)) = &lenient {
                std::fs::write(&canonical_path, format!("{text}\n")).unwrap();
            }
            if let Err(e) = &strict {
                std::fs::write(&error_path, format!("{}\n", error_line(e))).unwrap();
            }
            continue;
        }
        let canonical = std::fs::read_to_string(&canonical_path).ok();
        let error = std::fs::read_to_string(&error_path).ok();
        assert!(
            canonical.is_some() || error.is_some(),
            "{name}: no expected output"
        );
        if let Some(expected) = &canonical {
            let (text, _) = lenient
                .as_ref()
                .unwrap_or_else(|e| panic!("{name}: lenient parsing failed: {e}"));
            assert_eq!(
                text,
                expected.trim_end_matches('\n'),
                "{name}: canonical rendering"
            );
            // The canonical form is a fixed point.
            let (again, _) = run(name, text.as_bytes(), &ParseOptions::lenient())
                .unwrap_or_else(|e| panic!("{name}: canonical form does not parse: {e}"));
            assert_eq!(&again, text, "{name}: canonical form is not stable");
        } else {
            let e = lenient.as_ref().expect_err(name);
            assert_eq!(
                error_line(e),
                error.as_deref().unwrap().trim(),
                "{name}: lenient error"
            );
        }
        match (&error, &strict) {
            (Some(expected), Err(e)) => {
                assert_eq!(error_line(e), expected.trim(), "{name}: strict error ({e})");
            }
            (Some(_), Ok(_)) => panic!("{name}: strict parsing succeeded"),
            (None, Ok((text, deviations))) => {
                assert_eq!(Some(text.clone() + "\n"), canonical, "{name}: strict value");
                assert_eq!(*deviations, 0, "{name}: strict parsing has no deviations");
            }
            (None, Err(e)) => panic!("{name}: strict parsing failed: {e}"),
        }
    }
    inputs.len()
}

fn vectors(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(sub)
}

#[test]
fn json_vectors() {
    let n = check_dir(&vectors("json"), run_json);
    assert!(n >= 20, "only {n} JSON vectors");
}

#[test]
fn pyssf_vectors() {
    let n = check_dir(&vectors("pyssf-json"), run_pyssf);
    assert!(n >= 8, "only {n} PySSF vectors");
}
