//! A typed, async OCCI client, and the `occi` command line built on it.
//!
//! * **Discovery** reads the query interface into a typed [`Registry`](occi_model::Registry)
//!   and chooses the rendering from what the server answers ([`Client::discover`]).
//! * **Operations** are typed: [`Client::create`] (`POST` to the Kind's collection),
//!   [`Client::create_at`] (`PUT` to a chosen path), [`Client::get`], [`Client::list`] and
//!   [`Client::list_entities`] (lazy [`Stream`](futures_core::Stream)s that follow
//!   pagination, with a category and attribute [filter](occi_render::Filter)),
//!   [`Client::update`], [`Client::replace`], [`Client::delete`], [`Client::trigger`] (on an
//!   entity or a collection), mixin membership ([`Client::add_to_mixin`],
//!   [`Client::remove_from_mixin`], [`Client::replace_mixin_members`]), user mixins
//!   ([`Client::define_mixin`], [`Client::remove_mixin`]) and standalone links
//!   ([`Client::link`]); inline links travel inside a Resource. The `*_if_match` variants send
//!   `If-Match` with an `ETag` a [`Reply`] carried.
//! * **Renderings**: text/plain, text/occi, text/uri-list and OCCI 1.2 JSON both ways, and
//!   PySSF's pre-standard JSON ([`Dialect::PySsf`]). Responses are parsed leniently by
//!   default, and every [`Reply`] carries the deviations forgiven; [`ClientBuilder::strict`]
//!   makes them errors.
//! * **Peers**: occi-server, PySSF 0.4.7 and the Hurtle SM, SO and CC built on it (every
//!   value quoted, `OK` bodies, 200 on a `PUT` that creates, locations as absolute URLs, a
//!   query interface that leaves out `core#resource`).
//! * **Auth**: [`Auth`] (Basic, bearer, Hurtle's `X-Auth-Token` + `X-Tenant-Name`) and any
//!   extra header ([`ClientBuilder::header`]).
//! * **Transport**: HTTP/1.1 with a keep-alive pool and proxies from the environment
//!   ([`HttpTransport`]; HTTPS through rustls with the `rustls` feature), or any in-process
//!   tower service ([`ServiceTransport`]). Every attempt has a timeout; idempotent requests
//!   are retried with exponential backoff.
//! * **Errors**: one [`Error`] with an [`ErrorKind`] (transport, timeout, HTTP status with
//!   the server's message, parse with diagnostics, invalid request) and the [`Exchange`].
//!
//! # Example
//!
//! Create a compute, list the collection, start it. Here the server is an in-process
//! occi-server; `Client::new("http://127.0.0.1:8080")` talks to one over the network.
//!
//! ```
//! use futures_util::TryStreamExt as _;
//! use occi_client::{Client, ListOptions, ServiceTransport};
//! use occi_model::{ActionInvocation, AttributeValue, Entity, Resource, ext::infrastructure};
//! # use occi_server::{Occi, OcciService, SimulatedActions};
//! # use occi_model::{OcciVersion, Registry};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mut registry = Registry::new(OcciVersion::V1_2);
//! # infrastructure::register(&mut registry)?;
//! # let occi = Occi::builder().registry(registry).actions(SimulatedActions::default()).build()?;
//! # let service = OcciService::new(occi);
//! let client = Client::builder("http://127.0.0.1:8080")?
//!     .transport(ServiceTransport::new(service))
//!     .build();
//!
//! let mut vm = Resource::new(infrastructure::compute_id());
//! vm.title = Some("web".into());
//! vm.attributes.insert("occi.compute.cores".parse()?, AttributeValue::Integer(2));
//! let location = client.create(&Entity::Resource(vm)).await?.into_value();
//!
//! let computes: Vec<_> = client
//!     .list(&"/compute/".parse()?, ListOptions::default())
//!     .try_collect()
//!     .await?;
//! assert_eq!(computes, [location.clone()]);
//!
//! let start = ActionInvocation::new(infrastructure::compute_start_id());
//! client.trigger(&location, &start).await?;
//! let vm = client.get(&location).await?;
//! assert_eq!(vm.attribute_value("occi.compute.state"), Some("active".into()));
//! # Ok(())
//! # }
//! ```

pub use occi_model;
pub use occi_render;

mod auth;
mod client;
mod discovery;
mod endpoint;
mod error;
mod rendering;
mod transport;

pub use auth::Auth;
pub use client::{Client, ClientBuilder, ListOptions, Reply, ServerModel};
pub use endpoint::Endpoint;
pub use error::{Error, ErrorKind, Exchange, ExchangeResponse};
pub use rendering::{Dialect, Format};
pub use transport::{
    BoxFuture, DEFAULT_MAX_RESPONSE_BYTES, HttpTransport, RequestBody, ServiceTransport, Transport,
};
