//! Every golden vector under `vectors/`, in one test.
//!
//! `vectors/<rendering>/<name>.input` is a message in one rendering (`text-plain`,
//! `text-occi` (header lines), `uri-list`, `json`, `pyssf-json`); beside it:
//!
//! * `<name>.canonical`: the lenient parse rendered canonically in the same rendering (for
//!   the text renderings, at the level of the syntactic document); the canonical form parses
//!   strictly to itself;
//! * `<name>.error`: the first error of the strict parse, `line:column rule` (without a
//!   `.canonical`, lenient parsing fails too);
//! * `<name>.model.json`: the typed model the message holds (an entity, categories, an action
//!   invocation or locations), rendered as `application/occi+json` (GFD.225). For the text
//!   and PySSF renderings this checks that they and the JSON rendering agree on the model.
//!
//! * `<name>.deviations`: what lenient parsing forgave, `line:column Kind` per deviation
//!   (no file: nothing);
//! * `<name>.context` (text renderings): what the message is read as (`entity`,
//!   `categories`, `query-interface`, `action-invocation`, `locations`, `filter`; a bare
//!   document without the file) and `infrastructure` when the reader knows the
//!   infrastructure registry. Lenient parsing infers a missing Category class from it.
//!
//! `VECTORS_BLESS=1` writes `.canonical`/`.error`/`.deviations` of the text renderings, `OCCI_BLESS=1`
//! those of the JSON renderings, and `MODEL_BLESS=1` the `.model.json` files, from the
//! current output (review the diff before committing).

use occi_render::json::{self, pyssf};
use occi_render::occi_model::{CategoryClass, Entity, OcciVersion, Registry, ext::infrastructure};
use occi_render::text::{self as occi_text, Purpose, TextDocument};
use occi_render::{ParseOptions, uri_list};

mod text {
    use std::fmt::Write as _;
    use std::fs;
    use std::path::{Path, PathBuf};

    use http::{HeaderMap, HeaderName, HeaderValue};
    use occi_render::occi_model::{OcciVersion, Registry, ext::infrastructure};
    use occi_render::text::{Field, Purpose, ReadContext, TextDocument, occi, plain};
    use occi_render::{Deviation, ParseError, ParseOptions, uri_list};

    pub(super) fn vectors(dir: &str) -> Vec<PathBuf> {
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

    pub(super) fn headers_from_lines(s: &str) -> HeaderMap {
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

    /// What a vector's `.context` file names: the purpose, and whether the infrastructure
    /// registry is known (`infrastructure`).
    #[derive(Clone, Copy)]
    pub(super) struct Context {
        pub(super) purpose: Purpose,
        pub(super) infrastructure: bool,
    }

    impl Context {
        pub(super) fn of(input_path: &Path) -> Self {
            let mut context = Context {
                purpose: Purpose::Document,
                infrastructure: false,
            };
            let Ok(text) = fs::read_to_string(input_path.with_extension("context")) else {
                return context;
            };
            for word in text.split_whitespace() {
                match word {
                    "entity" => context.purpose = Purpose::Entity,
                    "categories" => context.purpose = Purpose::Categories,
                    "query-interface" => context.purpose = Purpose::QueryInterface,
                    "action-invocation" => context.purpose = Purpose::ActionInvocation,
                    "locations" => context.purpose = Purpose::Locations,
                    "filter" => context.purpose = Purpose::Filter,
                    "infrastructure" => context.infrastructure = true,
                    other => panic!("{}: unknown context {other}", input_path.display()),
                }
            }
            context
        }

        pub(super) fn with<T>(self, f: impl FnOnce(&ReadContext<'_>) -> T) -> T {
            let mut registry = Registry::new(OcciVersion::V1_2);
            infrastructure::register(&mut registry).unwrap();
            let context = ReadContext::new(self.purpose);
            if self.infrastructure {
                f(&context.with_registry(&registry))
            } else {
                f(&context)
            }
        }
    }

    type Outcome = Result<(String, Vec<Deviation>), ParseError>;

    struct Rendering {
        dir: &'static str,
        parse: fn(&str, &ParseOptions, Context) -> Outcome,
    }

    fn plain_doc(s: &str, o: &ParseOptions, c: Context) -> Outcome {
        c.with(|c| plain::parse_document_in(s, o, c))
            .map(|d| (plain::render_document(&d.value), d.deviations))
    }

    fn occi_doc(s: &str, o: &ParseOptions, c: Context) -> Outcome {
        c.with(|c| occi::parse_document_in(&headers_from_lines(s), o, c))
            .map(|d: occi_render::Parsed<TextDocument>| {
                (
                    headers_to_lines(&occi::render_document(&d.value)),
                    d.deviations,
                )
            })
    }

    fn uri_doc(s: &str, o: &ParseOptions, _: Context) -> Outcome {
        uri_list::parse(s, o).map(|d| (uri_list::render(&d.value), d.deviations))
    }

    /// `line:column kind` per deviation.
    fn deviation_lines(deviations: &[Deviation]) -> String {
        let mut out = String::new();
        for d in deviations {
            let p = d.position();
            writeln!(out, "{}:{} {:?}", p.line, p.column, d.kind()).unwrap();
        }
        out
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

    pub(super) fn check() -> usize {
        let bless = std::env::var_os("VECTORS_BLESS").is_some();
        let mut count = 0;
        for r in RENDERINGS {
            for input_path in vectors(r.dir) {
                count += 1;
                let name = input_path.display().to_string();
                let input = fs::read_to_string(&input_path).unwrap();
                let canonical_path = input_path.with_extension("canonical");
                let error_path = input_path.with_extension("error");
                let context = Context::of(&input_path);
                let deviations_path = input_path.with_extension("deviations");
                let lenient = (r.parse)(&input, &ParseOptions::lenient(), context);
                let strict = (r.parse)(&input, &ParseOptions::strict(), context);
                if bless {
                    if let Ok((c, d)) = &lenient {
                        fs::write(&canonical_path, c).unwrap();
                        if d.is_empty() {
                            drop(fs::remove_file(&deviations_path));
                        } else {
                            fs::write(&deviations_path, deviation_lines(d)).unwrap();
                        }
                    } else {
                        drop(fs::remove_file(&canonical_path));
                        drop(fs::remove_file(&deviations_path));
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
                    let (got, deviations) =
                        lenient.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!(got, canonical, "{name}: canonical rendering");
                    let expected = fs::read_to_string(&deviations_path).unwrap_or_default();
                    assert_eq!(deviation_lines(deviations), expected, "{name}: deviations");
                    let (again, _) = (r.parse)(canonical, &ParseOptions::strict(), context)
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
        count
    }
}

mod json_dialects {
    use std::path::{Path, PathBuf};

    use occi_render::json::{self, pyssf};
    use occi_render::{ParseError, ParseOptions};

    type Outcome = Result<(String, usize), ParseError>;

    pub(super) fn run_json(name: &str, input: &[u8], options: &ParseOptions) -> Outcome {
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

    pub(super) fn run_pyssf(name: &str, input: &[u8], options: &ParseOptions) -> Outcome {
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

    pub(super) fn check_dir(dir: &Path, run: fn(&str, &[u8], &ParseOptions) -> Outcome) -> usize {
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

    pub(super) fn vectors(sub: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../vectors")
            .join(sub)
    }
}

fn vectors_root(dir: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(dir)
}

/// The typed model of a vector as GFD.225 JSON, or `None` when lenient parsing fails.
#[allow(clippy::too_many_lines)] // one arm per rendering and text document shape
fn model_json(dir: &str, name: &str, input: &[u8]) -> Option<String> {
    let options = ParseOptions::lenient();
    let entities =
        |entities: Vec<Entity>| json::render_entity_collection(&entities.into_iter().collect());
    let locations = |locations: Vec<occi_render::occi_model::Location>| {
        let refs: Vec<json::EntityRef> = locations
            .into_iter()
            .map(json::EntityRef::Location)
            .collect();
        json::render_mixin_association(&refs)
    };
    let text_input = || std::str::from_utf8(input).ok();
    match dir {
        "json" => json_dialects::run_json(name, input, &options)
            .ok()
            .map(|(s, _)| s),
        "pyssf-json" => match name.split('-').next() {
            Some("entity") => pyssf::parse_entity(input, &options)
                .ok()
                .map(|p| json::render_entity(&p.value)),
            Some("collection") => pyssf::parse_entities(input, &options)
                .ok()
                .map(|p| entities(p.value)),
            _ => pyssf::parse_categories(input, &options).ok().map(|p| {
                json::render_categories(&json::CategoryCollection::from_categories(p.value))
            }),
        },
        "uri-list" => uri_list::parse(text_input()?, &options)
            .ok()
            .map(|p| locations(p.value)),
        "text-plain" | "text-occi" => {
            let input = text_input()?;
            let plain = dir == "text-plain";
            let headers = if plain {
                http::HeaderMap::new()
            } else {
                text::headers_from_lines(input)
            };
            let context = text::Context::of(&vectors_root(dir).join(format!("{name}.input")));
            let document: TextDocument = context
                .with(|c| {
                    if plain {
                        occi_text::plain::parse_document_in(input, &options, c).ok()
                    } else {
                        occi_text::occi::parse_document_in(&headers, &options, c).ok()
                    }
                })?
                .value;
            let mut registry = Registry::new(OcciVersion::V1_2);
            infrastructure::register(&mut registry).unwrap();
            let registry = context.infrastructure.then_some(&registry);
            if context.purpose == Purpose::QueryInterface {
                let categories = if plain {
                    occi_text::plain::parse_query_interface(input, &options)
                } else {
                    occi_text::occi::parse_query_interface(&headers, &options)
                };
                return categories.ok().map(|p| {
                    json::render_categories(&json::CategoryCollection::from_categories(p.value))
                });
            }
            let has_kind = document
                .categories
                .iter()
                .any(|c| c.class == CategoryClass::Kind && c.location.is_none());
            let is_invocation = context.purpose == Purpose::ActionInvocation
                || (document.categories.len() == 1
                    && document.categories[0].class == CategoryClass::Action
                    && document.categories[0].attributes.is_empty());
            if has_kind || !document.action_links.is_empty() {
                let entity = if plain {
                    occi_text::plain::parse_entity(input, &options, registry)
                } else {
                    occi_text::occi::parse_entity(&headers, &options, registry)
                };
                entity.ok().map(|p| json::render_entity(&p.value))
            } else if is_invocation {
                let invocation = if plain {
                    occi_text::plain::parse_action_invocation(input, &options)
                } else {
                    occi_text::occi::parse_action_invocation(&headers, &options)
                };
                invocation
                    .ok()
                    .map(|p| json::render_action_invocation(&p.value))
            } else if !document.categories.is_empty() {
                let categories = if plain {
                    occi_text::plain::parse_categories(input, &options)
                } else {
                    occi_text::occi::parse_categories(&headers, &options)
                };
                categories.ok().map(|p| {
                    json::render_categories(&json::CategoryCollection::from_categories(p.value))
                })
            } else {
                let found = if plain {
                    occi_text::plain::parse_locations(input, &options)
                } else {
                    occi_text::occi::parse_locations(&headers, &options)
                };
                found.ok().map(|p| locations(p.value))
            }
        }
        other => panic!("unknown vector folder {other}"),
    }
}

/// Parses a model back, by its shape, and renders it again (leniently: a model from a
/// create request has no `id`, which the schema requires).
fn reparse(model: &str) -> Option<String> {
    let options = ParseOptions::lenient();
    let bytes = model.as_bytes();
    let shape = |key: &str| model.starts_with(&format!("{{\"{key}\""));
    if shape("kind") {
        json::parse_entity(bytes, &options)
            .ok()
            .map(|p| json::render_entity(&p.value))
    } else if shape("term") {
        json::parse_category(bytes, &options)
            .ok()
            .map(|p| json::render_category(&p.value))
    } else if shape("action") {
        json::parse_action_invocation(bytes, &options)
            .ok()
            .map(|p| json::render_action_invocation(&p.value))
    } else if shape("kinds") || shape("mixins") || shape("actions") {
        json::parse_categories(bytes, &options)
            .ok()
            .map(|p| json::render_categories(&p.value))
    } else if model.contains("\"location\"") && !model.contains("\"kind\"") {
        json::parse_mixin_association(bytes, &options)
            .ok()
            .map(|p| json::render_mixin_association(&p.value))
    } else {
        json::parse_entity_collection(bytes, &options)
            .ok()
            .map(|p| json::render_entity_collection(&p.value))
    }
}

/// Checks (or, with `MODEL_BLESS`, writes) every `.model.json`; returns how many there are.
fn check_models() -> usize {
    let bless = std::env::var_os("MODEL_BLESS").is_some();
    let mut count = 0;
    for dir in ["text-plain", "text-occi", "uri-list", "json", "pyssf-json"] {
        for input_path in text::vectors(dir) {
            let name = input_path.file_stem().unwrap().to_str().unwrap().to_owned();
            let input = std::fs::read(&input_path).unwrap();
            let model_path = input_path.with_extension("model.json");
            let model = model_json(dir, &name, &input);
            let has_canonical = input_path.with_extension("canonical").exists();
            if bless {
                match &model {
                    Some(m) if has_canonical => {
                        std::fs::write(&model_path, format!("{m}\n")).unwrap();
                    }
                    _ => drop(std::fs::remove_file(&model_path)),
                }
                continue;
            }
            let expected = std::fs::read_to_string(&model_path).ok();
            match (&model, expected) {
                (Some(m), Some(e)) => {
                    assert_eq!(m, e.trim_end_matches('\n'), "{dir}/{name}: model");
                    assert_eq!(
                        reparse(m).as_deref(),
                        Some(m.as_str()),
                        "{dir}/{name}: the model does not read back"
                    );
                    count += 1;
                }
                (Some(_), None) if has_canonical => panic!("{dir}/{name}: no .model.json"),
                (None, Some(_)) => panic!("{dir}/{name}: has a .model.json but does not parse"),
                _ => {}
            }
        }
    }
    count
}

#[test]
fn golden_vectors() {
    let text = text::check();
    let json = json_dialects::check_dir(&json_dialects::vectors("json"), json_dialects::run_json);
    let pyssf = json_dialects::check_dir(
        &json_dialects::vectors("pyssf-json"),
        json_dialects::run_pyssf,
    );
    let models = check_models();
    let total = text + json + pyssf;
    assert!(total >= 60, "only {total} vectors");
    assert!(models >= 50, "only {models} vectors with a model");
    println!(
        "{total} vectors ({text} text, {json} JSON, {pyssf} PySSF JSON), {models} with a model"
    );
}
