//! Hurtle on occi-rs: the Service Orchestrator SDK and the three Hurtle components, built on
//! [`occi_server`] and [`occi_client`], speaking the wire dialect of the Python originals
//! (PySSF's OCCI 1.1 rendering, hurtle.md appendix A; [`occi_server::Dialect::PySsf`]) so
//! that each interoperates with them in both directions.
//!
//! * [`so`]: the SDK trait [`so::ServiceOrchestrator`] a service developer implements, the
//!   sample SO over a [`so::Stack`] (the [`so::SimulatedStack`] by default), and its OCCI
//!   interface ([`so::service`], `occi-hurtle so`).
//! * [`cc`]: the Cloud Controller (`occi-hurtle cc`): Kind `app`, whose instances are SOs
//!   started by a [`cc::Deployer`]; the default one runs `occi-hurtle so` child processes on
//!   loopback.
//! * [`sm`]: the Service Manager (`occi-hurtle sm`): a Hurtle manifest's service, each
//!   instance an SO from the CC driven through activate, deploy and provision.
//!
//! Each component is an [`occi_server::Occi`] with its Kinds, a [`occi_server::Backend`] per
//! Kind and, for background work, the [`occi_server::Lifecycle`] handle, behind an
//! [`occi_server::auth::AuthLayer`], served by [`occi_server::serve`]. The SM reaches the CC
//! and the SOs through [`occi_client::HttpTransport`] (which honours `HTTP_PROXY` and
//! `NO_PROXY`).
//!
//! Writing an SO takes one trait (see [`so::ServiceOrchestrator`]):
//!
//! ```no_run
//! use occi_hurtle::so::{self, SimulatedStack, SimulatedTimings, StackSo};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let so = StackSo::new(SimulatedStack::new(SimulatedTimings::default(), Vec::new()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! occi_server::serve(listener, so::service(so)?, occi_hurtle::shutdown_signal()).await?;
//! # Ok(())
//! # }
//! ```

pub mod attribute;
pub mod cc;
pub mod sm;
pub mod so;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full};
use occi_model::{Entity, Registry};
use occi_server::{
    Backend, BackendError, BackendErrorKind, Dialect, Hook, InMemoryStore, NotImplemented, Occi,
    OcciBody, OcciBuilder,
};

/// The product token of the `Server` header every component sends (before `OCCI/1.1`).
pub const SERVER_NAME: &str = concat!("occi-hurtle/", env!("CARGO_PKG_VERSION"));

/// An [`Occi`] builder for a component serving `registry` (OCCI 1.1) in PySSF's dialect,
/// as the Python originals answered.
pub fn builder(registry: Registry) -> OcciBuilder<InMemoryStore, NotImplemented> {
    Occi::builder()
        .registry(registry)
        .dialect(Dialect::PySsf)
        .server_name(SERVER_NAME)
}

/// The backend of the core Kinds a component's registry holds but does not serve: creating
/// a plain `resource` or `link` is refused (400), so only the component's own Kinds have
/// entities.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnlyOwnKinds;

impl Backend for OnlyOwnKinds {
    async fn create(&self, _hook: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        Err(BackendError::new(
            BackendErrorKind::BadRequest,
            format!(
                "this component creates no {}; its query interface lists the Kinds it serves",
                entity.kind()
            ),
        ))
    }
}

/// Whether the server chose where the new `entity` lives (a POST to its Kind's collection,
/// which names it by the UUID of its `urn:uuid:` id), rather than the client (a PUT to a
/// path). A create hook may give a server-placed entity an id of its own, which then names
/// its location.
pub fn placed_by_server(entity: &Entity) -> bool {
    match (entity.id(), entity.location()) {
        (Some(id), Some(location)) => id
            .as_str()
            .strip_prefix("urn:uuid:")
            .is_some_and(|uuid| location.as_str().ends_with(&format!("/{uuid}"))),
        _ => false,
    }
}

/// Answers one buffered request with `service` (a component's HTTP service, or any tower
/// service answering with [`OcciBody`]; services are cheap to clone) in this process,
/// without a socket.
pub async fn handle<S>(mut service: S, request: Request<Bytes>) -> Response<Bytes>
where
    S: tower_service::Service<
            Request<Full<Bytes>>,
            Response = Response<OcciBody>,
            Error = std::convert::Infallible,
        >,
{
    let Ok(response) = service.call(request.map(Full::new)).await;
    let (parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    Response::from_parts(parts, bytes)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "SIGTERM cannot be watched; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}
