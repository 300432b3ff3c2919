//! OCCI renderings: text/plain, text/occi (HTTP headers), text/uri-list and
//! application/occi+json, in both directions.
//!
//! Parsers take text (or an `http::HeaderMap` for text/occi) plus [`ParseOptions`] and return
//! a [`Parsed`] value with the [`Deviation`]s lenient parsing forgave, or a [`ParseError`] with
//! positioned [`Diagnostic`]s. Renderers are infallible and canonical: the same model always
//! gives the same bytes. The crate re-exports [`occi_model`], the types it reads and writes.

pub use occi_model;

mod document;
mod error;
pub mod json;
pub mod media;
pub mod text;
pub mod uri_list;

pub use document::Filter;
pub use error::{
    Deviation, DeviationKind, Diagnostic, ParseError, ParseErrorKind, ParseOptions, Parsed,
    Position, Rendering,
};
