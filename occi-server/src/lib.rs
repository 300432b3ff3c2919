//! An embeddable OCCI HTTP server.
//!
//! ```no_run
//! use occi_server::occi_model::{OcciVersion, Registry, ext::infrastructure};
//! use occi_server::{Occi, OcciService, SimulatedActions, serve};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let mut registry = Registry::new(OcciVersion::V1_2);
//!     infrastructure::register(&mut registry)?;
//!     let occi = Occi::builder()
//!         .registry(registry)
//!         .actions(SimulatedActions)
//!         .base_url("http://127.0.0.1:8080")?
//!         .build()?;
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     serve(listener, OcciService::new(occi), async {
//!         let _ = tokio::signal::ctrl_c().await;
//!     })
//!     .await?;
//!     Ok(())
//! }
//! ```
//!
//! * [`Occi`] is the core: `handle(http::Request<Bytes>) -> http::Response<Bytes>`, a
//!   WSGI-like callable that needs no runtime, socket or framework and never fails.
//! * [`OcciService`] adapts it to tower, for hyper, axum or any tower stack, with a body limit.
//! * [`serve`] (feature `hyper`, on by default) runs it on a TCP listener with graceful
//!   shutdown; [`ServeConfig`] sets its header-read and idle timeouts, its connection cap
//!   and, with the `tls` feature, HTTPS.
//! * [`backend`]: a [`backend::Backend`] per Kind runs a service's hooks around each change,
//!   and a [`backend::Lifecycle`] changes entities later from background tasks.
//! * [`auth`]: tower layers that authenticate requests (bearer tokens, HTTP Basic with
//!   argon2 hashes, Hurtle's `X-Auth-Token` with a static table or Keystone v2) and hand the
//!   [`Identity`] to the core, which scopes every request to the caller's tenant.
//! * [`Store`] is where entities live ([`InMemoryStore`] by default; [`DynStore`] to choose
//!   one at run time), [`ActionHandler`] what actions do ([`NotImplemented`] by default,
//!   [`SimulatedActions`] to move entities along their state machines).
//!
//! Examples (`occi-server/examples/`): `hyper.rs` serves the infrastructure model through
//! [`serve`]; `axum.rs` mounts it in an axum application, at the root or nested below a
//! prefix; `service.rs` is a service with a custom Kind, a Backend, a background lifecycle
//! and authentication under axum; `hello.rs` is the smallest hyper server, the ceiling for
//! load runs.
//!
//! Features: `hyper` (default) for [`serve`]; `tls` for HTTPS; `basic-auth`, `auth-file` and
//! `keystone` for the [`auth`] schemes that need them; `cli` for the `occi-server` binary
//! (clap and tracing-subscriber come only with it).

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
pub use occi_render::Dialect;
#[cfg(feature = "hyper")]
pub use serve::{ServeBody, ServeConfig, ServeService, serve};
pub use server::{Occi, OcciBuilder};
pub use service::{BoxError, OcciBody, OcciService};
pub use store::{
    BoxFuture, Change, Changeset, DynStore, Expect, InMemoryStore, Scan, Scope, Store, StoreError,
    StoreErrorKind, Stored, StoredMixin, TenantFilter,
};
/// The rustls version [`ServeConfig::tls`] takes (feature `tls`).
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls;
