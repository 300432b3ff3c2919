//! OCCI renderings, in both directions: text/plain and text/occi+plain ([`text::plain`]),
//! text/occi headers ([`text::occi`]), text/uri-list ([`uri_list`]), application/occi+json
//! (GFD.225, [`json`]) and PySSF's pre-standard JSON ([`json::pyssf`]); and media types:
//! `Accept`/`Content-Type` parsing and content negotiation ([`media`]).
//!
//! # Example
//!
//! ```
//! use occi_render::{ParseOptions, json, text::plain};
//!
//! let body = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n\
//!             X-OCCI-Attribute: occi.core.title=\"web\", occi.compute.cores=2, occi.compute.memory=4.0\r\n";
//! let parsed = plain::parse_entity(body, &ParseOptions::lenient(), None)?;
//! assert!(parsed.deviations.is_empty());
//! // The same model, as GFD.225 JSON.
//! assert_eq!(
//!     json::render_entity(&parsed.value),
//!     r#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","attributes":{"occi.compute.cores":2,"occi.compute.memory":4.0},"title":"web"}"#
//! );
//! # Ok::<(), occi_render::ParseError>(())
//! ```
//!
//! # Decoding
//!
//! Every parser takes the message (text, bytes, or an `http::HeaderMap` for text/occi) and
//! [`ParseOptions`]: strict parsing follows the grammar of the chosen OCCI version to the
//! letter; lenient parsing also accepts what real peers and the specifications' own examples
//! send, and reports each thing it forgave as a [`Deviation`] with its position. A failure is
//! a [`ParseError`] holding one [`Diagnostic`] per problem (text is parsed line by line, so
//! every bad line gets its own), each with line, column, the grammar rule that failed and
//! what was expected. Parsers never panic, run in time linear in the input, and bound the
//! number of structures a document may hold ([`ParseOptions::max_items`]).
//!
//! # Encoding
//!
//! Renderers are infallible and canonical: the same model always gives the same bytes, in
//! the parameter order of the grammar, with numbers and booleans bare and strings quoted and
//! escaped. What a rendering cannot express is left out, and the module says how to find
//! out beforehand (for example [`text::can_render`], so a server can answer 406).
//!
//! # Policy
//!
//! Where the specifications are ambiguous, or their examples contradict their grammar, the
//! parsers are lenient and the renderers strict; each module's documentation lists the
//! decisions taken. The text grammar is written in nom 8, one parser per ABNF rule of the
//! specification, named for it and composed from small named rules; nom stays private
//! (no nom type appears in the public API). The primitives those rules are built from are
//! hand-tuned nom parsers (word-wise scanning of quoted strings, byte scans for names and
//! tokens), and identifiers, in text and in JSON alike, are validated through one
//! per-thread cache of the schemes, terms, type identifiers and attribute names that repeat
//! in every message; those the OCCI documents define come out as the extensions hold them,
//! static, so a parsed entity takes and drops no reference count for them. A text/plain
//! entity in the canonical form (what the renderer writes) is read in one pass straight
//! into the model with the same primitives and cache, and anything else by the grammar; a
//! property test and a fuzz target keep both readers in agreement. JSON is read straight
//! into the model (no untyped tree in between), from `&str` once the input is checked to
//! be UTF-8. `benches/instructions.rs` counts the
//! instructions and allocations per message of every parser and renderer (callgrind);
//! `benches/instructions.txt` holds the figures.

pub use occi_model;

mod dialect;
mod document;
mod error;
mod intern;
pub mod json;
pub mod media;
pub mod text;
pub mod uri_list;

pub use dialect::Dialect;
pub use document::Filter;
pub use error::{
    Deviation, DeviationKind, Diagnostic, ParseError, ParseErrorKind, ParseOptions, Parsed,
    Position, Rendering,
};
