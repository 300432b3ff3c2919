//! An embeddable OCCI HTTP server.
//!
//! This crate is being built. It will hold `Occi<S: Store>`, a WSGI-like core that turns an
//! `http::Request` into an `http::Response`, a tower `Service` adapter, a hyper binding,
//! the `Store` and `ActionHandler` traits with an in-memory store, and the `occi-server`
//! binary. Until then it only re-exports the crates it builds on.

pub use occi_model;
pub use occi_render;
