//! The Service Orchestrator: the SDK trait a service developer implements
//! ([`ServiceOrchestrator`]), the sample SO written with it ([`StackSo`] over a [`Stack`]),
//! and the OCCI interface that serves one ([`service`], hurtle.md §2), an [`occi_server::Occi`]
//! with the Kind `orchestrator` and its [`SoBackend`], behind the [`HeaderGate`].
//!
//! The interface: Kind `orchestrator` (`http://schemas.mobile-cloud-networking.eu/occi/service#`)
//! with the actions `deploy`, `provision` and, if the SO handles notifications, `notify`;
//! the single resource `/orchestrator/default`; 403 for any request without `X-Auth-Token`
//! or `X-Tenant-Name`. `PUT` creates it (201) or replaces it (200, keeping what it was given
//! before); `?action=deploy` then `?action=provision` drive it (400 `Not applicable atm.` out
//! of order); `POST` without an action updates it; `DELETE` disposes of it. The Kind's
//! attributes are open: whatever attributes the clients send are kept and echoed, as Hurtle's
//! SOs do, next to `occi.mcn.stack.state`, `occi.mcn.stack.id` (`uninitialized` and `N/A`
//! before deploy) and the stack outputs. The resource belongs to the tenant that created it.

mod stack;

use std::future::Future;
use std::sync::Mutex;

use occi_model::{
    Action, ActionInvocation, AttributeDefinition, AttributeName, AttributeType, CategoryId,
    Entity, Kind, Location, OcciVersion, Registry,
};
use occi_server::auth::{AuthError, AuthLayer, Authenticate, Authenticated};
use occi_server::{
    ActionOutcome, Backend, BackendError, BackendErrorKind, ConfigError, Deletion, Event, Hook,
    Identity, InMemoryStore, NotImplemented, OcciService,
};

pub use stack::{SimulatedStack, SimulatedTimings, Stack, StackStatus};

use crate::attribute::{changed, set_text, value_text, values_as_text};

/// The scheme of the SO Kind `orchestrator` and its actions.
pub const SERVICE_SCHEME: &str = "http://schemas.mobile-cloud-networking.eu/occi/service#";

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

impl From<SoError> for BackendError {
    fn from(e: SoError) -> Self {
        if e.is_not_applicable() {
            BackendError::new(BackendErrorKind::BadRequest, e.message)
        } else {
            BackendError::new(
                BackendErrorKind::Failed,
                format!("the orchestrator failed: {}", e.message),
            )
        }
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
/// // Serve it: occi_server::serve(listener, occi_hurtle::so::service(Hello)?, stop).
/// let _service = occi_hurtle::so::service(Hello)?;
/// # Ok::<(), occi_server::ConfigError>(())
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

/// An id in the service scheme (`orchestrator`, `deploy`, `provision`, `notify`).
pub fn service_id(term: &str) -> CategoryId {
    format!("{SERVICE_SCHEME}{term}")
        .parse()
        .expect("the service scheme and its terms are valid")
}

/// The SO's categories: the Kind `orchestrator` (attributes open) and its actions, on the
/// OCCI 1.1 core.
pub fn registry(notify: bool) -> Registry {
    let mut actions = vec![service_id("deploy"), service_id("provision")];
    if notify {
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
    let mut registry = Registry::new(OcciVersion::V1_1);
    for a in actions {
        registry
            .register_action(Action::new(a))
            .expect("the SO's actions are new");
    }
    registry
        .register_kind(kind)
        .expect("the orchestrator Kind is consistent");
    registry
        .open_attributes(&service_id("orchestrator"))
        .expect("the orchestrator Kind is registered");
    registry
}

/// Hurtle's SO gate: every request names a token (`X-Auth-Token`) and a tenant
/// (`X-Tenant-Name`), or is refused with 403 (`X-Auth-Token required...`). The token is not
/// checked here (Hurtle's SOs hand it on to the services they call); the caller's identity
/// is the token as user and the tenant.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderGate;

impl Authenticate for HeaderGate {
    async fn authenticate(&self, request: &http::request::Parts) -> Result<Identity, AuthError> {
        let header = |n: &str| {
            request
                .headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let token = header("x-auth-token")
            .ok_or_else(|| AuthError::forbidden("X-Auth-Token required..."))?;
        let tenant = header("x-tenant-name")
            .ok_or_else(|| AuthError::forbidden("X-Tenant-Name required..."))?;
        Ok(Identity::new(token, tenant))
    }

    fn challenges(&self) -> Vec<http::HeaderValue> {
        Vec::new()
    }
}

/// Where the resource is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Absent,
    Created,
    Deployed,
    Provisioned,
}

/// The Backend of the Kind `orchestrator`: the resource's life, on a [`ServiceOrchestrator`].
#[derive(Debug)]
pub struct SoBackend<T> {
    so: T,
    phase: Mutex<Phase>,
}

impl<T: ServiceOrchestrator> SoBackend<T> {
    /// The backend of `so`.
    pub fn new(so: T) -> Self {
        Self {
            so,
            phase: Mutex::new(Phase::Absent),
        }
    }

    fn phase(&self) -> Phase {
        *self
            .phase
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_phase(&self, phase: Phase) {
        *self
            .phase
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = phase;
    }

    /// Moves from `from` to `to`, or says the action does not apply now.
    fn advance(&self, from: Phase, to: Phase) -> Result<(), BackendError> {
        let mut phase = self
            .phase
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *phase != from {
            return Err(BackendError::new(
                BackendErrorKind::BadRequest,
                "Not applicable atm.",
            ));
        }
        *phase = to;
        Ok(())
    }
}

/// The caller and `attributes` as a [`Call`].
fn call(hook: Hook<'_>, attributes: Vec<(String, String)>) -> Call {
    let (token, tenant) = hook.identity().map_or_else(Default::default, |i| {
        (i.user().to_owned(), i.tenant().to_owned())
    });
    Call {
        token,
        tenant,
        attributes,
    }
}

impl<T: ServiceOrchestrator> Backend for SoBackend<T> {
    async fn create(&self, _hook: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        if entity.location().map(Location::as_str) != Some(RESOURCE_PATH) {
            return Err(BackendError::new(
                BackendErrorKind::BadRequest,
                format!("an SO serves the one resource {RESOURCE_PATH}; create it with PUT"),
            ));
        }
        values_as_text(entity);
        Ok(())
    }

    async fn retrieve(&self, _hook: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        let phase = self.phase();
        let (state, id, outputs) = if matches!(phase, Phase::Created | Phase::Absent) {
            ("uninitialized".to_owned(), "N/A".to_owned(), Vec::new())
        } else {
            match self.so.state().await? {
                Some(s) => (s.state, s.id, s.outputs),
                None => ("uninitialized".to_owned(), "N/A".to_owned(), Vec::new()),
            }
        };
        set_text(entity, "occi.mcn.stack.state", state);
        set_text(entity, "occi.mcn.stack.id", id);
        for (name, value) in outputs {
            set_text(entity, &name, value);
        }
        let actions = match phase {
            Phase::Absent | Phase::Created => vec![service_id("deploy")],
            Phase::Deployed => vec![service_id("provision")],
            Phase::Provisioned if self.so.handles_notify() => vec![service_id("notify")],
            Phase::Provisioned => Vec::new(),
        };
        if let Entity::Resource(r) = entity {
            r.actions = actions;
        }
        Ok(())
    }

    async fn update(
        &self,
        hook: Hook<'_>,
        current: &Entity,
        updated: &mut Entity,
    ) -> Result<(), BackendError> {
        values_as_text(updated);
        let attributes = changed(current, updated);
        self.so.update(&call(hook, attributes)).await?;
        Ok(())
    }

    async fn replace(
        &self,
        _hook: Hook<'_>,
        current: &Entity,
        replacement: &mut Entity,
    ) -> Result<(), BackendError> {
        // PySSF's replace kept what the resource was given before.
        for (name, value) in current.attributes() {
            if !replacement.attributes().contains_key(name) {
                replacement
                    .attributes_mut()
                    .insert(name.clone(), value.clone());
            }
        }
        values_as_text(replacement);
        Ok(())
    }

    async fn delete(&self, hook: Hook<'_>, _entity: &Entity) -> Result<Deletion, BackendError> {
        self.so.dispose(&call(hook, Vec::new())).await?;
        Ok(Deletion::Now)
    }

    async fn action(
        &self,
        hook: Hook<'_>,
        entity: &Entity,
        invocation: &ActionInvocation,
    ) -> Result<Option<ActionOutcome>, BackendError> {
        let attributes: Vec<(String, String)> = invocation
            .attributes
            .iter()
            .map(|(n, v)| (n.to_string(), value_text(v)))
            .collect();
        let c = call(hook, attributes.clone());
        let term = invocation.action.term().as_str();
        let (from, to) = match term {
            "deploy" => (Phase::Created, Phase::Deployed),
            "provision" => (Phase::Deployed, Phase::Provisioned),
            "notify" if self.so.handles_notify() => (Phase::Provisioned, Phase::Provisioned),
            _ => {
                return Err(BackendError::new(
                    BackendErrorKind::BadRequest,
                    "Not applicable atm.",
                ));
            }
        };
        self.advance(from, to)?;
        let done = match term {
            "deploy" => self.so.deploy(&c).await,
            "provision" => self.so.provision(&c).await,
            _ => self.so.notify(&c).await,
        };
        if let Err(e) = done {
            self.set_phase(from);
            return Err(e.into());
        }
        let mut after = entity.clone();
        for (name, value) in attributes {
            set_text(&mut after, &name, value);
        }
        Ok(Some(ActionOutcome::updated(after)))
    }

    async fn committed(&self, _hook: Hook<'_>, event: &Event) {
        match event {
            Event::Created(_) => self.set_phase(Phase::Created),
            Event::Deleted(_) => self.set_phase(Phase::Absent),
            _ => {}
        }
    }

    async fn aborted(&self, _hook: Hook<'_>, event: &Event) {
        if let Event::Acted { action, .. } = event {
            let back = match action.term().as_str() {
                "deploy" => Phase::Created,
                "provision" => Phase::Deployed,
                _ => return,
            };
            self.set_phase(back);
        }
    }
}

/// The HTTP service of an SO: the [`HeaderGate`] in front of its OCCI core.
pub type SoService = Authenticated<OcciService<InMemoryStore, NotImplemented>, HeaderGate>;

/// The OCCI core of an SO serving `so`.
pub fn occi<T: ServiceOrchestrator>(
    so: T,
) -> Result<occi_server::Occi<InMemoryStore, NotImplemented>, ConfigError> {
    let registry = registry(so.handles_notify());
    crate::builder(registry)
        .backend(service_id("orchestrator"), SoBackend::new(so))
        .default_backend(crate::OnlyOwnKinds)
        .build()
}

/// The HTTP service of an SO serving `so`, ready for [`occi_server::serve`].
pub fn service<T: ServiceOrchestrator>(so: T) -> Result<SoService, ConfigError> {
    use tower_layer::Layer as _;
    Ok(AuthLayer::new(HeaderGate).layer(OcciService::new(occi(so)?)))
}
