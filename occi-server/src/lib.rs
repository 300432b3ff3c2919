//! An embeddable OCCI HTTP server.
//!
//! This crate is being built. It will hold `Occi<S: Store>`, a WSGI-like core that turns an
//! `http::Request` into an `http::Response`, a tower `Service` adapter, a hyper binding, the
//! `occi-server` binary. What exists today is the storage layer (the [`Store`] trait, its
//! object-safe twin [`DynStore`] and [`InMemoryStore`]) and what actions do
//! ([`ActionHandler`], [`NotImplemented`], [`SimulatedActions`]).

pub use occi_model;
pub use occi_render;

mod action;
mod store;

pub use action::{
    ActionError, ActionErrorKind, ActionHandler, ActionOutcome, NotImplemented, SimulatedActions,
};
pub use store::{
    BoxFuture, Change, DynStore, Expect, InMemoryStore, Scope, Store, StoreError, StoreErrorKind,
    Stored,
};
