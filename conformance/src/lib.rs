//! The OCCI conformance suite.
//!
//! This crate is being built. It will hold the requirement catalogue, the checks, the
//! runner that drives a live OCCI endpoint, the offline `lint` of captured messages, and
//! the reporters (terminal, JSON, JUnit, HTML).

pub use occi_model;
pub use occi_render;
