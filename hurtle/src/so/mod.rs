//! The Service Orchestrator: the SDK trait a service developer implements
//! ([`ServiceOrchestrator`]), the sample SO written with it ([`StackSo`] over a [`Stack`]),
//! and the OCCI interface that serves one ([`SoServer`], hurtle.md §2).
//!
//! The interface: Kind `orchestrator` (`http://schemas.mobile-cloud-networking.eu/occi/service#`)
//! with the actions `deploy`, `provision` and, if the SO handles notifications, `notify`;
//! the single resource `/orchestrator/default`; 403 for any request without `X-Auth-Token`
//! or `X-Tenant-Name`. `PUT` creates it (201) or replaces it (200); `?action=deploy` then
//! `?action=provision` drive it (400 `Not applicable atm.` out of order); `POST` without an
//! action updates it; `DELETE` disposes of it. Its attributes are what the clients sent
//! (echoed, as Hurtle's SOs do), `occi.mcn.stack.state`, `occi.mcn.stack.id` (`uninitialized`
//! and `N/A` before deploy) and the stack outputs.

mod stack;

use std::future::Future;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use occi_model::{
    Action, AttributeDefinition, AttributeName, AttributeType, Category, CategoryId, Kind, Location,
};
use tokio::sync::Mutex;

pub use stack::{SimulatedStack, SimulatedTimings, Stack, StackStatus};

use crate::server::Handler;
use crate::wire::{self, EntityView, Incoming, SERVICE_SCHEME};

/// The path of the one resource an SO serves.
pub const RESOURCE_PATH: &str = "/orchestrator/default";

/// Why an SO call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SoError {
    applicable: bool,
    message: String,
}

impl SoError {
    /// The call does not apply now (answered 400).
    pub fn not_applicable(message: impl Into<String>) -> Self {
        Self {
            applicable: false,
            message: message.into(),
        }
    }

    /// The SO or its infrastructure failed (answered 500).
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            applicable: true,
            message: message.into(),
        }
    }

    /// Whether the call was refused as not applicable (rather than failing).
    pub fn is_not_applicable(&self) -> bool {
        !self.applicable
    }
}

/// What the SM sent with a call: the caller's token and tenant, and the attributes of the
/// request (the phase's service parameters and the client's attributes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Call {
    /// `X-Auth-Token`.
    pub token: String,
    /// `X-Tenant-Name`.
    pub tenant: String,
    /// The request's `X-OCCI-Attribute`s, values as text.
    pub attributes: Vec<(String, String)>,
}

/// What an SO reports through `occi.mcn.stack.state`, `occi.mcn.stack.id` and its outputs.
pub type SoState = StackStatus;

/// A service orchestrator, as Hurtle's SO template shapes one: the SM calls `deploy`, then
/// `provision`, may `update`, reads `state` on every GET, and finally `dispose`s.
///
/// ```
/// use occi_hurtle::so::{Call, ServiceOrchestrator, SoError, SoState};
///
/// struct Hello;
///
/// impl ServiceOrchestrator for Hello {
///     async fn deploy(&self, _call: &Call) -> Result<(), SoError> { Ok(()) }
///     async fn provision(&self, _call: &Call) -> Result<(), SoError> { Ok(()) }
///     async fn update(&self, _call: &Call) -> Result<(), SoError> { Ok(()) }
///     async fn state(&self) -> Result<Option<SoState>, SoError> {
///         Ok(Some(SoState {
///             state: "CREATE_COMPLETE".into(),
///             id: "hello:1".into(),
///             outputs: vec![("mcn.endpoint.hello".into(), "127.0.0.1:8080".into())],
///         }))
///     }
///     async fn dispose(&self, _call: &Call) -> Result<(), SoError> { Ok(()) }
/// }
///
/// // Serve it: occi_hurtle::server::serve(listener, Arc::new(SoServer::new(Hello)), stop).
/// let _server = occi_hurtle::so::SoServer::new(Hello);
/// ```
pub trait ServiceOrchestrator: Send + Sync + 'static {
    /// Deploys the service's infrastructure (`?action=deploy`).
    fn deploy(&self, call: &Call) -> impl Future<Output = Result<(), SoError>> + Send;
    /// Configures what was deployed (`?action=provision`).
    fn provision(&self, call: &Call) -> impl Future<Output = Result<(), SoError>> + Send;
    /// Applies changed attributes (`POST` without an action).
    fn update(&self, call: &Call) -> impl Future<Output = Result<(), SoError>> + Send;
    /// The current state; `None` when nothing is deployed.
    fn state(&self) -> impl Future<Output = Result<Option<SoState>, SoError>> + Send;
    /// Removes everything (`DELETE`).
    fn dispose(&self, call: &Call) -> impl Future<Output = Result<(), SoError>> + Send;
    /// Whether the SO handles `?action=notify` (runtime SOs, monitoring alarms).
    fn handles_notify(&self) -> bool {
        false
    }
    /// Reacts to a notification (`notification.alarm_name` among the attributes).
    fn notify(&self, call: &Call) -> impl Future<Output = Result<(), SoError>> + Send {
        let _ = call;
        async { Err(SoError::not_applicable("this SO handles no notifications")) }
    }
}

/// The sample SO: `deploy` creates the stack, `provision` and `update` update it, `dispose`
/// deletes it, and the state is the stack's.
#[derive(Debug)]
pub struct StackSo<S> {
    stack: S,
}

impl<S: Stack> StackSo<S> {
    /// An SO over `stack`.
    pub fn new(stack: S) -> Self {
        Self { stack }
    }
}

impl<S: Stack> ServiceOrchestrator for StackSo<S> {
    async fn deploy(&self, call: &Call) -> Result<(), SoError> {
        self.stack.create(&call.attributes).await
    }

    async fn provision(&self, call: &Call) -> Result<(), SoError> {
        self.stack.update(&call.attributes).await
    }

    async fn update(&self, call: &Call) -> Result<(), SoError> {
        self.stack.update(&call.attributes).await
    }

    async fn state(&self) -> Result<Option<SoState>, SoError> {
        self.stack.status().await
    }

    async fn dispose(&self, _call: &Call) -> Result<(), SoError> {
        self.stack.delete().await
    }
}

/// Where the resource is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Created,
    Deployed,
    Provisioned,
}

#[derive(Debug)]
struct Orchestrator {
    phase: Phase,
    /// Everything clients sent, echoed back.
    attributes: Vec<(String, String)>,
}

fn service_id(term: &str) -> CategoryId {
    format!("{SERVICE_SCHEME}{term}")
        .parse()
        .expect("the service scheme and its terms are valid")
}

/// The OCCI interface of an SO.
#[derive(Debug)]
pub struct SoServer<T> {
    so: T,
    resource: Mutex<Option<Orchestrator>>,
}

impl<T: ServiceOrchestrator> SoServer<T> {
    /// Serves `so`.
    pub fn new(so: T) -> Self {
        Self {
            so,
            resource: Mutex::new(None),
        }
    }

    /// The Kind `orchestrator` and its actions, then the core Kinds.
    pub fn categories(&self) -> Vec<Category> {
        let mut actions = vec![service_id("deploy"), service_id("provision")];
        if self.so.handles_notify() {
            actions.push(service_id("notify"));
        }
        let attr = |n: &str| {
            AttributeDefinition::new(
                AttributeName::new(n).expect("valid attribute name"),
                AttributeType::String,
            )
            .immutable()
        };
        let mut kind = Kind::new(service_id("orchestrator"))
            .with_title("Service Orchestrator")
            .with_parent(occi_model::ext::core::resource_id())
            .with_location(Location::new("/orchestrator/").expect("valid location"))
            .with_attribute(attr("occi.mcn.stack.state"))
            .with_attribute(attr("occi.mcn.stack.id"));
        for a in &actions {
            kind = kind.with_action(a.clone());
        }
        let mut out = vec![Category::Kind(kind)];
        out.extend(
            actions
                .into_iter()
                .map(|a| Category::Action(Action::new(a))),
        );
        out.extend(crate::core_kinds());
        out
    }

    fn call(req: &Incoming, attributes: Vec<(String, String)>) -> Call {
        Call {
            token: req.header("x-auth-token").unwrap_or("").to_owned(),
            tenant: req.header("x-tenant-name").unwrap_or("").to_owned(),
            attributes,
        }
    }

    async fn view(&self, o: &Orchestrator) -> Result<EntityView, SoError> {
        let mut attributes = vec![("occi.core.id".to_owned(), RESOURCE_PATH.to_owned())];
        wire::merge(&mut attributes, &o.attributes);
        let (state, id, outputs) = if o.phase == Phase::Created {
            ("uninitialized".to_owned(), "N/A".to_owned(), Vec::new())
        } else {
            match self.so.state().await? {
                Some(s) => (s.state, s.id, s.outputs),
                None => ("uninitialized".to_owned(), "N/A".to_owned(), Vec::new()),
            }
        };
        wire::merge(
            &mut attributes,
            &[
                ("occi.mcn.stack.state".to_owned(), state),
                ("occi.mcn.stack.id".to_owned(), id),
            ],
        );
        wire::merge(&mut attributes, &outputs);
        let actions = match o.phase {
            Phase::Created => vec![service_id("deploy")],
            Phase::Deployed => vec![service_id("provision")],
            Phase::Provisioned if self.so.handles_notify() => vec![service_id("notify")],
            Phase::Provisioned => Vec::new(),
        };
        Ok(EntityView {
            kind: service_id("orchestrator"),
            location: RESOURCE_PATH.to_owned(),
            actions,
            attributes,
        })
    }

    async fn render(
        &self,
        req: &Incoming,
        status: StatusCode,
        o: &Orchestrator,
    ) -> Response<Bytes> {
        match self.view(o).await {
            Ok(view) => wire::entity(req.media, status, &view),
            Err(e) => so_error(&e),
        }
    }

    async fn root(&self, req: &Incoming) -> Response<Bytes> {
        let resource = self.resource.lock().await;
        let mut views = Vec::new();
        if let Some(o) = resource.as_ref() {
            match self.view(o).await {
                Ok(v) => views.push(v),
                Err(e) => return so_error(&e),
            }
        }
        wire::collection(req.media, &req.base, &views)
    }

    // One arm per method, in the order of the resource's life; splitting them would scatter
    // the one lock they share.
    #[allow(clippy::too_many_lines)]
    async fn resource(&self, req: &Incoming) -> Response<Bytes> {
        let mut resource = self.resource.lock().await;
        match req.method {
            Method::GET | Method::HEAD => match resource.as_ref() {
                Some(o) => self.render(req, StatusCode::OK, o).await,
                None => wire::not_found(&req.path),
            },
            Method::PUT => {
                let doc = match req.document() {
                    Ok(d) => d,
                    Err(resp) => return resp,
                };
                if !wire::has_category(&doc, SERVICE_SCHEME, "orchestrator") {
                    return wire::error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "Could not find a valid kind: send Category: orchestrator; scheme=\"{SERVICE_SCHEME}\"; class=\"kind\""
                        ),
                    );
                }
                let attributes = wire::attributes(&doc);
                if let Some(o) = resource.as_mut() {
                    wire::merge(&mut o.attributes, &attributes);
                    return self.render(req, StatusCode::OK, o).await;
                }
                tracing::info!(
                    tenant = req.header("x-tenant-name").unwrap_or(""),
                    "orchestrator created"
                );
                *resource = Some(Orchestrator {
                    phase: Phase::Created,
                    attributes,
                });
                wire::created(req.media, &format!("{}{RESOURCE_PATH}", req.base))
            }
            Method::POST => {
                let Some(o) = resource.as_mut() else {
                    return wire::not_found(&req.path);
                };
                let doc = match req.document() {
                    Ok(d) => d,
                    Err(resp) => return resp,
                };
                let attributes = wire::attributes(&doc);
                let call = Self::call(req, attributes.clone());
                let next = match req.action() {
                    None => {
                        if let Err(e) = self.so.update(&call).await {
                            return so_error(&e);
                        }
                        wire::merge(&mut o.attributes, &attributes);
                        return self.render(req, StatusCode::OK, o).await;
                    }
                    Some(action) => {
                        if !matches!(action, "deploy" | "provision" | "notify")
                            || (action == "notify" && !self.so.handles_notify())
                        {
                            return wire::error(
                                StatusCode::BAD_REQUEST,
                                &format!(
                                    "unknown action {action:?}; this SO has deploy, provision{}",
                                    if self.so.handles_notify() {
                                        " and notify"
                                    } else {
                                        ""
                                    }
                                ),
                            );
                        }
                        if !wire::has_category(&doc, SERVICE_SCHEME, action) {
                            return wire::error(
                                StatusCode::BAD_REQUEST,
                                &format!(
                                    "the action needs its Category: {action}; scheme=\"{SERVICE_SCHEME}\"; class=\"action\""
                                ),
                            );
                        }
                        let result = match (action, o.phase) {
                            ("deploy", Phase::Created) => {
                                self.so.deploy(&call).await.map(|()| Phase::Deployed)
                            }
                            ("provision", Phase::Deployed) => {
                                self.so.provision(&call).await.map(|()| Phase::Provisioned)
                            }
                            ("notify", Phase::Provisioned) => {
                                self.so.notify(&call).await.map(|()| Phase::Provisioned)
                            }
                            _ => Err(SoError::not_applicable("Not applicable atm.")),
                        };
                        match result {
                            Ok(next) => next,
                            Err(e) => return so_error(&e),
                        }
                    }
                };
                o.phase = next;
                wire::merge(&mut o.attributes, &attributes);
                self.render(req, StatusCode::OK, o).await
            }
            Method::DELETE => {
                if resource.is_none() {
                    return wire::not_found(&req.path);
                }
                let doc = match req.document() {
                    Ok(d) => d,
                    Err(resp) => return resp,
                };
                if let Err(e) = self
                    .so
                    .dispose(&Self::call(req, wire::attributes(&doc)))
                    .await
                {
                    return so_error(&e);
                }
                *resource = None;
                tracing::info!("orchestrator disposed");
                wire::ok(req.media)
            }
            _ => wire::method_not_allowed("GET, HEAD, PUT, POST, DELETE"),
        }
    }
}

fn so_error(e: &SoError) -> Response<Bytes> {
    if e.is_not_applicable() {
        wire::error(StatusCode::BAD_REQUEST, &e.to_string())
    } else {
        wire::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the orchestrator failed: {e}"),
        )
    }
}

impl<T: ServiceOrchestrator> Handler for SoServer<T> {
    async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        for (name, shown) in [
            ("x-auth-token", "X-Auth-Token"),
            ("x-tenant-name", "X-Tenant-Name"),
        ] {
            if request.headers().get(name).is_none() {
                return wire::error(StatusCode::FORBIDDEN, &format!("{shown} required..."));
            }
        }
        let req = match Incoming::read(request) {
            Ok(r) => r,
            Err(resp) => return resp,
        };
        match req.path.as_str() {
            "/" => match req.method {
                Method::GET | Method::HEAD => self.root(&req).await,
                _ => wire::method_not_allowed("GET, HEAD"),
            },
            "/-/" | "/.well-known/org/ogf/occi/-/" => match req.method {
                Method::GET | Method::HEAD => {
                    wire::categories(req.media, &req.base, &self.categories())
                }
                _ => wire::method_not_allowed("GET, HEAD"),
            },
            RESOURCE_PATH => self.resource(&req).await,
            "/orchestrator/" => match req.method {
                Method::GET | Method::HEAD => self.root(&req).await,
                _ => wire::method_not_allowed("GET, HEAD"),
            },
            _ => wire::not_found(&req.path),
        }
    }
}
