//! Instructions and heap allocations per message for every parser and renderer of
//! occi-render, on the reference workload of `benches/text.rs` and `benches/json.rs`.
//!
//! Instruction counts come from callgrind (`valgrind --tool=callgrind`): each case runs in a
//! child process once with 1 and once with 101 messages, and the difference divided by 100 is
//! the cost of one message in steady state (start-up, set-up and first-use caches cancel).
//! Allocations (reallocations included) are counted in-process by a counting global
//! allocator (`stats_alloc`) over 100 messages.
//! Unlike wall-clock time, both figures are the same on a loaded machine, so they are the
//! ones to compare between commits (`benches/instructions.txt` holds the committed figures).
//!
//! `text/plain/parse` takes the one-pass reader of the canonical form (the workload is the
//! renderer's output); `text/plain/grammar` reads the same bytes with the grammar reader,
//! which every other form of a message takes.
//!
//! Two cases split the cost of `text/plain/grammar`: `text/plain/document` stops at the
//! syntactic [`TextDocument`](occi_render::text::TextDocument) (so the difference is the
//! conversion into the model), and `model/clone` clones and drops the parsed entity, the
//! cost of its allocations and copies alone, with no reading or validation: a lower bound
//! for any parser that builds the owned model.
//!
//! Run with `cargo bench -p occi-render --bench instructions` (valgrind on `PATH`; without
//! it only allocations are reported). One case on its own:
//! `target/release/deps/instructions-* --case text/plain/parse --iters 101`.

use std::alloc::System;
use std::hint::black_box;
use std::process::Command;

use http::HeaderMap;
use occi_render::occi_model::{Entity, Location};
use occi_render::text::{canonical, occi, plain};
use occi_render::{ParseOptions, json, media, uri_list};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

mod workload;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Every input of the cases, built once.
struct Inputs {
    entity: Entity,
    plain: String,
    headers: HeaderMap,
    json: &'static [u8],
    json_entity: Entity,
    pyssf: String,
    uris: Vec<Location>,
    uri_list: String,
    accept: &'static str,
    lenient: ParseOptions,
    strict: ParseOptions,
}

impl Inputs {
    fn new() -> Self {
        let entity = workload::workload();
        let strict = ParseOptions::strict();
        let json = workload::JSON.as_bytes();
        let json_entity = json::parse_entity(json, &strict)
            .expect("the JSON workload parses")
            .value;
        let uris: Vec<Location> = (0..10)
            .map(|k| Location::new(&format!("/compute/{k}")).expect("a location"))
            .collect();
        Self {
            plain: plain::render_entity(&entity),
            headers: occi::render_entity(&entity),
            pyssf: json::pyssf::render_entity(&json_entity),
            uri_list: uri_list::render(&uris),
            entity,
            json,
            json_entity,
            uris,
            accept: "application/occi+json;q=0.9, text/plain;q=0.5, text/occi, */*;q=0.1",
            lenient: ParseOptions::lenient(),
            strict,
        }
    }

    /// The size of a case's message in bytes (header maps: name, `: `, value and CRLF); 0 for
    /// a case that reads no message.
    fn bytes(&self, case: &str) -> usize {
        match case.rsplit_once('/').map_or(case, |(family, _)| family) {
            "text/plain" => self.plain.len(),
            "text/occi" => self
                .headers
                .iter()
                .map(|(n, v)| n.as_str().len() + v.len() + 4)
                .sum(),
            "json" | "serde_json" => self.json.len(),
            "pyssf" => self.pyssf.len(),
            "uri-list" => self.uri_list.len(),
            "model" => 0,
            _ => self.accept.len(),
        }
    }
}

/// One case: a name and one message's work.
type Case = (&'static str, fn(&Inputs));

const CASES: &[Case] = &[
    ("text/plain/parse", |i| {
        black_box(plain::parse_entity(black_box(&i.plain), &i.lenient, None).expect("parses"));
    }),
    ("text/plain/grammar", |i| {
        black_box(
            canonical::entity_by_grammar(black_box(&i.plain), &i.lenient, None).expect("parses"),
        );
    }),
    ("text/plain/document", |i| {
        black_box(plain::parse_document(black_box(&i.plain), &i.lenient).expect("parses"));
    }),
    ("text/plain/render", |i| {
        black_box(plain::render_entity(black_box(&i.entity)));
    }),
    ("text/occi/parse", |i| {
        black_box(occi::parse_entity(black_box(&i.headers), &i.lenient, None).expect("parses"));
    }),
    ("text/occi/render", |i| {
        black_box(occi::render_entity(black_box(&i.entity)));
    }),
    ("json/parse", |i| {
        black_box(json::parse_entity(black_box(i.json), &i.strict).expect("parses"));
    }),
    ("json/render", |i| {
        black_box(json::render_entity(black_box(&i.json_entity)));
    }),
    ("serde_json/value", |i| {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(i.json)).expect("parses"));
    }),
    ("pyssf/parse", |i| {
        black_box(
            json::pyssf::parse_entity(black_box(i.pyssf.as_bytes()), &i.lenient).expect("parses"),
        );
    }),
    ("pyssf/render", |i| {
        black_box(json::pyssf::render_entity(black_box(&i.json_entity)));
    }),
    ("uri-list/parse", |i| {
        black_box(uri_list::parse(black_box(&i.uri_list), &i.strict).expect("parses"));
    }),
    ("uri-list/render", |i| {
        black_box(uri_list::render(black_box(&i.uris)));
    }),
    ("model/clone", |i| {
        black_box(black_box(&i.entity).clone());
    }),
    ("accept/parse", |i| {
        black_box(media::parse_accept(black_box(i.accept)).expect("parses"));
    }),
];

/// Instructions of `iters` messages of `case`, set-up included, from callgrind's summary;
/// `None` when valgrind cannot be run.
fn callgrind(case: &str, iters: u64) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(["--case", case, "--iters", &iters.to_string()])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr.lines().find_map(|l| {
        let (_, n) = l.split_once("Collected :")?;
        n.trim().parse().ok()
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|k| args.get(k + 1))
    };
    let inputs = Inputs::new();
    if let Some(case) = arg("--case") {
        let iters: u64 = arg("--iters").and_then(|n| n.parse().ok()).unwrap_or(1);
        let (_, run) = CASES
            .iter()
            .find(|(name, _)| name == case)
            .unwrap_or_else(|| panic!("no case {case:?}"));
        for _ in 0..iters {
            run(&inputs);
        }
        return;
    }
    println!(
        "{:<20} {:>7} {:>14} {:>13} {:>16}",
        "case", "bytes", "instructions", "allocations", "bytes allocated"
    );
    for (name, run) in CASES {
        // One message first, so that first-use caches are warm.
        run(&inputs);
        let region = Region::new(GLOBAL);
        for _ in 0..100 {
            run(&inputs);
        }
        let stats = region.change();
        // Over 100 messages: the total with two decimals is the figure per message.
        let per_message = |total: usize| format!("{}.{:02}", total / 100, total % 100);
        let allocations = per_message(stats.allocations + stats.reallocations);
        let allocated = per_message(stats.bytes_allocated);
        let instructions = callgrind(name, 1)
            .zip(callgrind(name, 101))
            .map_or_else(|| "n/a".to_owned(), |(a, b)| ((b - a) / 100).to_string());
        let bytes = match inputs.bytes(name) {
            0 => "-".to_owned(),
            n => n.to_string(),
        };
        println!("{name:<20} {bytes:>7} {instructions:>14} {allocations:>13} {allocated:>16}");
    }
}
