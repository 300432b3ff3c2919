//! Golden vectors: `vectors/{text-plain,text-occi,uri-list}/<name>.input` with
//! `<name>.canonical` (the lenient parse, rendered canonically) and/or `<name>.error` (the
//! first error of the strict parse as `line:column rule`).
//!
//! * With a `.canonical`: lenient parsing succeeds and renders it; the canonical form parses
//!   strictly and renders to itself.
//! * With a `.error`: strict parsing fails with that first error; without a `.canonical`,
//!   lenient parsing fails too.
//!
//! text/occi inputs are header lines `Name: value` (one field each, repeated names append).
//! `VECTORS_BLESS=1` writes the expectation files instead of comparing (review the diff).

use std::fs;
use std::path::{Path, PathBuf};

use http::{HeaderMap, HeaderName, HeaderValue};
use occi_render::text::{Field, TextDocument, occi, plain};
use occi_render::{ParseError, ParseOptions, uri_list};

fn vectors(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(dir);
    let mut inputs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "input"))
        .collect();
    inputs.sort();
    inputs
}

fn error_line(e: &ParseError) -> String {
    format!("{}:{} {}\n", e.line(), e.column(), e.rule())
}

fn headers_from_lines(s: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in s.lines().filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').expect("a header line");
        map.append(
            HeaderName::from_bytes(name.trim().as_bytes()).expect("a header name"),
            HeaderValue::from_str(value.trim_start()).expect("a header value"),
        );
    }
    map
}

fn headers_to_lines(map: &HeaderMap) -> String {
    let mut out = String::new();
    for (name, value) in map {
        let field = Field::from_name(name.as_str()).expect("an OCCI field");
        out.push_str(field.name());
        out.push_str(": ");
        out.push_str(value.to_str().expect("visible ASCII"));
        out.push('\n');
    }
    out
}

struct Rendering {
    dir: &'static str,
    parse: fn(&str, &ParseOptions) -> Result<String, ParseError>,
}

fn plain_doc(s: &str, o: &ParseOptions) -> Result<String, ParseError> {
    plain::parse_document(s, o).map(|d| plain::render_document(&d.value))
}

fn occi_doc(s: &str, o: &ParseOptions) -> Result<String, ParseError> {
    occi::parse_document(&headers_from_lines(s), o).map(|d: occi_render::Parsed<TextDocument>| {
        headers_to_lines(&occi::render_document(&d.value))
    })
}

fn uri_doc(s: &str, o: &ParseOptions) -> Result<String, ParseError> {
    uri_list::parse(s, o).map(|d| uri_list::render(&d.value))
}

const RENDERINGS: [Rendering; 3] = [
    Rendering {
        dir: "text-plain",
        parse: plain_doc,
    },
    Rendering {
        dir: "text-occi",
        parse: occi_doc,
    },
    Rendering {
        dir: "uri-list",
        parse: uri_doc,
    },
];

#[test]
fn golden_vectors() {
    let bless = std::env::var_os("VECTORS_BLESS").is_some();
    let mut count = 0;
    for r in RENDERINGS {
        for input_path in vectors(r.dir) {
            count += 1;
            let name = input_path.display().to_string();
            let input = fs::read_to_string(&input_path).unwrap();
            let canonical_path = input_path.with_extension("canonical");
            let error_path = input_path.with_extension("error");
            let lenient = (r.parse)(&input, &ParseOptions::lenient());
            let strict = (r.parse)(&input, &ParseOptions::strict());
            if bless {
                match &lenient {
                    Ok(c) => fs::write(&canonical_path, c).unwrap(),
                    Err(_) => drop(fs::remove_file(&canonical_path)),
                }
                match &strict {
                    Err(e) => fs::write(&error_path, error_line(e)).unwrap(),
                    Ok(_) => drop(fs::remove_file(&error_path)),
                }
                continue;
            }
            let canonical = fs::read_to_string(&canonical_path).ok();
            let error = fs::read_to_string(&error_path).ok();
            assert!(
                canonical.is_some() || error.is_some(),
                "{name}: no expectation"
            );
            if let Some(canonical) = &canonical {
                let got = lenient.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(got, canonical, "{name}: canonical rendering");
                let again = (r.parse)(canonical, &ParseOptions::strict())
                    .unwrap_or_else(|e| panic!("{name}: canonical form rejected: {e}"));
                assert_eq!(
                    &again, canonical,
                    "{name}: canonical form is not a fixed point"
                );
            }
            match (&error, &strict) {
                (Some(expected), Err(e)) => assert_eq!(&error_line(e), expected, "{name}: {e}"),
                (Some(_), Ok(_)) => panic!("{name}: strict parsing accepted a malformed input"),
                (None, Err(e)) => panic!("{name}: strict parsing failed: {e}"),
                (None, Ok(_)) => {}
            }
            if canonical.is_none() {
                assert!(lenient.is_err(), "{name}: lenient parsing accepted it");
            }
        }
    }
    assert!(count >= 35, "only {count} vectors");
}
