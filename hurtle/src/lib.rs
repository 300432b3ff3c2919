//! Hurtle on occi-rs: the Service Orchestrator SDK and the three Hurtle components, speaking
//! the wire dialect of the Python originals (PySSF's OCCI 1.1 rendering, hurtle.md appendix A)
//! so that each interoperates with them in both directions.
//!
//! * [`so`]: the SDK trait [`so::ServiceOrchestrator`] a service developer implements, the
//!   sample SO over a [`so::Stack`] (the [`so::SimulatedStack`] by default), and
//!   [`so::SoServer`], its OCCI interface (`occi-hurtle so`).
//! * [`cc`]: the Cloud Controller (`occi-hurtle cc`): Kind `app`, whose instances are SOs
//!   started by a [`cc::Deployer`]; the default one runs `occi-hurtle so` child processes on
//!   loopback.
//! * [`sm`]: the Service Manager (`occi-hurtle sm`): a Hurtle manifest's service, each
//!   instance an SO from the CC driven through activate, deploy and provision.
//! * [`wire`]: the dialect's request parsing and response rendering, on occi-render.
//! * [`server`]: serving a component over HTTP with graceful shutdown; [`client`]: the HTTP
//!   client (with `HTTP_PROXY`/`NO_PROXY`) components reach each other with.
//!
//! Writing an SO takes one trait (see [`so::ServiceOrchestrator`]):
//!
//! ```no_run
//! use std::sync::Arc;
//! use occi_hurtle::so::{SimulatedStack, SimulatedTimings, SoServer, StackSo};
//!
//! # async fn run() -> std::io::Result<()> {
//! let so = StackSo::new(SimulatedStack::new(SimulatedTimings::default(), Vec::new()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! occi_hurtle::server::serve(listener, Arc::new(SoServer::new(so)), occi_hurtle::server::shutdown_signal()).await
//! # }
//! ```

pub mod cc;
pub mod client;
pub mod server;
pub mod sm;
pub mod so;
pub mod wire;

use occi_model::Category;

/// The core Kinds (`entity`, `resource`, `link`), which every query interface lists after
/// the component's own categories (PySSF left them out; the service Kind stays first, as the
/// SM's dependency discovery takes the first Category with `related`). They carry no
/// location: a component serves no collection of plain resources or links.
pub fn core_kinds() -> Vec<Category> {
    occi_model::ext::core::kinds(occi_model::OcciVersion::V1_1)
        .into_iter()
        .map(|mut k| {
            k.location = None;
            Category::Kind(k)
        })
        .collect()
}
