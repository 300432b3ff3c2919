//! OCCI renderings: text/plain, text/occi (HTTP headers), text/uri-list and
//! application/occi+json, in both directions.
//!
//! This crate is being built. It will hold the parsers (nom, strict and lenient, with
//! positioned diagnostics) and the canonical renderers for every OCCI rendering, plus
//! media-type negotiation. It re-exports [`occi_model`], the types it reads and writes.

pub use occi_model;
