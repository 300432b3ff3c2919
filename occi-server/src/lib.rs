//! An embeddable OCCI HTTP server.
//!
//! * [`Occi`] is the core: `handle(http::Request<Bytes>) -> http::Response<Bytes>`, a
//!   WSGI-like callable that needs no runtime, socket or framework and never fails.
//! * [`OcciService`] adapts it to tower, for hyper, axum or any tower stack, with a body limit.
//! * [`serve`] (feature `hyper`) runs it on a TCP listener with graceful shutdown.
//! * [`Store`] is where entities live ([`InMemoryStore`] by default; [`DynStore`] to choose
//!   one at run time), [`ActionHandler`] what actions do ([`NotImplemented`] by default,
//!   [`SimulatedActions`] to move entities along their state machines).

pub use occi_model;
pub use occi_render;

mod action;
pub mod auth;
pub mod backend;
mod config;
mod error;
mod identity;
mod operation;
mod request;
mod respond;
mod route;
#[cfg(feature = "hyper")]
mod serve;
mod server;
mod service;
pub mod store;

pub use action::{
    ActionError, ActionErrorKind, ActionHandler, ActionOutcome, NotImplemented,
    SAVED_TEMPLATE_SCHEME, SimulatedActions,
};
pub use backend::{
    Backend, BackendError, BackendErrorKind, Deletion, Event, Hook, Lifecycle, LifecycleError,
    LifecycleErrorKind, StoreOnly,
};
pub use config::ConfigError;
pub use identity::Identity;
#[cfg(feature = "hyper")]
pub use serve::{ServeConfig, serve};
pub use server::{Occi, OcciBuilder};
pub use service::{BoxError, OcciBody, OcciService};
pub use store::{
    BoxFuture, Change, Changeset, DynStore, Expect, InMemoryStore, Scan, Scope, Store, StoreError,
    StoreErrorKind, Stored, StoredMixin, TenantFilter,
};
/// The rustls version [`ServeConfig::tls`] takes (feature `tls`).
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls;
