//! The Cloud Controller (hurtle.md §3.1, OpenShift v3 flavour): Kind `app`
//! (`http://schemas.ogf.org/occi/platform#`) whose instances are running SOs, with the
//! actions `start` and `stop`, behind a check that an `Authorization` header is present
//! (401 otherwise; like Hurtle's CC, the credentials themselves are not verified here).
//!
//! `POST /app/` with `occi.app.name` (at most 24 characters), `occi.app.image` and optionally
//! `occi.app.env="K=V::K2=V2"` asks the [`Deployer`] to start the app and answers 201 with
//! `Location: /app/<name>`. `GET /app/<name>` reports `occi.app.url="host:port"` (what Hurtle
//! SMs put after `http://`) and `occi.app.state`, `inactive` until the SO answers, then
//! `active`. `DELETE` stops it.
//!
//! # Deployers
//!
//! A [`Deployer`] starts, reports on and stops apps. The embedded default,
//! [`ProcessDeployer`], runs each app as an `occi-hurtle so` child process on a free loopback
//! port, and no child outlives the CC: children are killed when the deployer is dropped and
//! when the CC stops on Ctrl-C or SIGTERM.
//!
//! Where users outgrow one machine, a Kubernetes deployer implements the same trait without
//! changing the rest of the CC:
//!
//! * `deploy`: create a Deployment named after the app (label `it.hurtle.id=<name>`, the
//!   container `image` from `occi.app.image`, the `env` pairs as container environment, one
//!   container port) and a Service selecting it; return as URL the Service's cluster DNS name
//!   and port (`<name>.<namespace>.svc:8080`), or an Ingress host, reachable from the SM;
//! * `state`: `Active` once the Deployment reports all replicas available (and the Service
//!   has endpoints), `Inactive` before;
//! * `undeploy`: delete every object labelled `it.hurtle.id=<name>` (Hurtle's CC forgot the
//!   routes; a label on every object it creates avoids that);
//! * `shutdown`: nothing, or delete the apps if they must not outlive the CC.
//!
//! Such a deployer talks to the API server with a Kubernetes client crate and is passed to
//! [`service`] in place of the process deployer.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use occi_model::{
    Action, ActionInvocation, AttributeDefinition, AttributeName, AttributeType, CategoryId,
    Entity, EntityId, Kind, Location, OcciVersion, Registry,
};
use occi_server::auth::{AuthError, AuthLayer, Authenticate, Authenticated};
use occi_server::{
    ActionOutcome, Backend, BackendError, BackendErrorKind, ConfigError, Deletion, DynStore, Event,
    Hook, Identity, NotImplemented, OcciService,
};
use tokio::process::{Child, Command};

use crate::attribute::{set_text, text, values_as_text};
use tokio::sync::Mutex;

/// The scheme of the CC Kind `app`.
pub const PLATFORM_SCHEME: &str = "http://schemas.ogf.org/occi/platform#";
/// The scheme of the CC actions `start` and `stop`.
pub const APP_ACTION_SCHEME: &str = "http://schemas.ogf.org/occi/platform/app/action#";

/// The longest `occi.app.name` (Hurtle's CC limit; OpenShift names derive from it).
pub const MAX_NAME_LEN: usize = 24;

/// What to deploy: an app's name, image and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// `occi.app.name`: also the app's id.
    pub name: String,
    /// `occi.app.image`.
    pub image: String,
    /// `occi.app.env`, split into pairs.
    pub env: Vec<(String, String)>,
}

/// Whether an app serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppState {
    /// It answers.
    Active,
    /// Starting, stopped or gone.
    Inactive,
}

impl AppState {
    /// `active` or `inactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
        }
    }
}

/// Why a deployer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeployError(pub String);

/// Starts, reports on and stops apps (see the [module docs](self) for a Kubernetes one).
pub trait Deployer: Send + Sync + 'static {
    /// Starts `app`; returns the `host:port` it will serve on.
    fn deploy(&self, app: &AppSpec) -> impl Future<Output = Result<String, DeployError>> + Send;
    /// Whether the app `name` serves now.
    fn state(&self, name: &str) -> impl Future<Output = AppState> + Send;
    /// Stops the app `name` (nothing to do if it is not running).
    fn undeploy(&self, name: &str) -> impl Future<Output = Result<(), DeployError>> + Send;
    /// Stops every app (the CC is stopping).
    fn shutdown(&self) -> impl Future<Output = ()> + Send;
}

#[derive(Debug)]
struct Running {
    child: Child,
    port: u16,
    /// The write end of the child's stdin: when this process ends, however it ends, the
    /// child reads end-of-file and stops (`occi-hurtle so --exit-on-stdin-eof`).
    _stdin: Option<tokio::process::ChildStdin>,
}

/// The default deployer: each app is an `occi-hurtle so --listen 127.0.0.1:<port>
/// --exit-on-stdin-eof` child process (the app's `env` in its environment), on a port free
/// when it is started. The deployer holds each child's stdin as a pipe, so a child stops
/// when the CC ends, even when the CC is killed with SIGKILL and cannot stop it.
#[derive(Debug)]
pub struct ProcessDeployer {
    program: PathBuf,
    so_args: Vec<String>,
    children: Mutex<BTreeMap<String, Running>>,
}

impl ProcessDeployer {
    /// Runs `program so --listen … --exit-on-stdin-eof <so_args>` for each app.
    pub fn new(program: PathBuf, so_args: Vec<String>) -> Self {
        Self {
            program,
            so_args,
            children: Mutex::new(BTreeMap::new()),
        }
    }

    /// The process ids of the running children.
    pub async fn pids(&self) -> Vec<u32> {
        self.children
            .lock()
            .await
            .values()
            .filter_map(|r| r.child.id())
            .collect()
    }
}

impl Deployer for ProcessDeployer {
    async fn deploy(&self, app: &AppSpec) -> Result<String, DeployError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| DeployError(format!("no free loopback port: {e}")))?
            .port();
        let mut children = self.children.lock().await;
        if children.contains_key(&app.name) {
            return Err(DeployError(format!("{} is running already", app.name)));
        }
        let mut child = Command::new(&self.program)
            .arg("so")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--exit-on-stdin-eof")
            .args(&self.so_args)
            .envs(app.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| DeployError(format!("starting {}: {e}", self.program.display())))?;
        let stdin = child.stdin.take();
        tracing::info!(app = %app.name, pid = child.id(), port, "SO started");
        children.insert(
            app.name.clone(),
            Running {
                child,
                port,
                _stdin: stdin,
            },
        );
        Ok(format!("127.0.0.1:{port}"))
    }

    async fn state(&self, name: &str) -> AppState {
        let port = {
            let mut children = self.children.lock().await;
            let Some(r) = children.get_mut(name) else {
                return AppState::Inactive;
            };
            if !matches!(r.child.try_wait(), Ok(None)) {
                return AppState::Inactive;
            }
            r.port
        };
        let probe = tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::TcpStream::connect(("127.0.0.1", port)),
        )
        .await;
        if matches!(probe, Ok(Ok(_))) {
            AppState::Active
        } else {
            AppState::Inactive
        }
    }

    async fn undeploy(&self, name: &str) -> Result<(), DeployError> {
        let running = self.children.lock().await.remove(name);
        if let Some(mut r) = running {
            let _ = r.child.start_kill();
            r.child
                .wait()
                .await
                .map_err(|e| DeployError(format!("waiting for {name}: {e}")))?;
            tracing::info!(app = %name, "SO stopped");
        }
        Ok(())
    }

    async fn shutdown(&self) {
        let all = std::mem::take(&mut *self.children.lock().await);
        for (name, mut r) in all {
            let _ = r.child.start_kill();
            let _ = r.child.wait().await;
            tracing::info!(app = %name, "SO stopped");
        }
    }
}

/// A running in-process SO: what stops it, and its task.
type ServedSo = (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
);

/// A deployer that runs each app's SO in this process, as a task serving a sample SO over a
/// [`SimulatedStack`](crate::so::SimulatedStack) on its own loopback port (for tests and
/// single-process setups; the app's image and environment are recorded, not used).
#[derive(Debug)]
pub struct TaskDeployer {
    timings: crate::so::SimulatedTimings,
    outputs: Vec<(String, String)>,
    tasks: Mutex<BTreeMap<String, ServedSo>>,
}

impl TaskDeployer {
    /// Each SO's stack behaves as `timings` say.
    pub fn new(timings: crate::so::SimulatedTimings) -> Self {
        Self {
            timings,
            outputs: Vec::new(),
            tasks: Mutex::new(BTreeMap::new()),
        }
    }

    /// Each SO's stack reports `outputs` once deployed.
    #[must_use]
    pub fn with_outputs(mut self, outputs: Vec<(String, String)>) -> Self {
        self.outputs = outputs;
        self
    }
}

impl Deployer for TaskDeployer {
    async fn deploy(&self, app: &AppSpec) -> Result<String, DeployError> {
        let mut tasks = self.tasks.lock().await;
        if tasks.contains_key(&app.name) {
            return Err(DeployError(format!("{} is running already", app.name)));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| DeployError(format!("no free loopback port: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| DeployError(e.to_string()))?;
        let so = crate::so::StackSo::new(crate::so::SimulatedStack::new(
            self.timings.clone(),
            self.outputs.clone(),
        ));
        let service = crate::so::service(so).map_err(|e| DeployError(e.to_string()))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = occi_server::serve(listener, service, async {
                let _ = stopped.await;
            })
            .await;
        });
        tasks.insert(app.name.clone(), (stop, task));
        Ok(addr.to_string())
    }

    async fn state(&self, name: &str) -> AppState {
        match self.tasks.lock().await.get(name) {
            Some((_, task)) if !task.is_finished() => AppState::Active,
            _ => AppState::Inactive,
        }
    }

    async fn undeploy(&self, name: &str) -> Result<(), DeployError> {
        let entry = self.tasks.lock().await.remove(name);
        if let Some((stop, task)) = entry {
            let _ = stop.send(());
            let _ = task.await;
        }
        Ok(())
    }

    async fn shutdown(&self) {
        let all = std::mem::take(&mut *self.tasks.lock().await);
        for (_, (stop, task)) in all {
            let _ = stop.send(());
            let _ = task.await;
        }
    }
}

fn platform(term: &str) -> CategoryId {
    format!("{PLATFORM_SCHEME}{term}")
        .parse()
        .expect("valid platform category")
}

fn app_action(term: &str) -> CategoryId {
    format!("{APP_ACTION_SCHEME}{term}")
        .parse()
        .expect("valid app action")
}

/// The id of the Kind `app`.
pub fn app_kind() -> CategoryId {
    platform("app")
}

/// Checks an app name: 1 to 24 characters, lowercase letters, digits and inner `-` (what
/// container platforms accept as a name).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("occi.app.name is a required attribute".to_owned());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(format!(
            "occi.app.name must not be greater than {MAX_NAME_LEN} characters"
        ));
    }
    let ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "occi.app.name {name:?} may hold only lowercase letters, digits and inner '-'"
        ))
    }
}

/// Splits `occi.app.env` (`K=V::K2=V2`) into pairs.
pub fn parse_env(env: &str) -> Result<Vec<(String, String)>, String> {
    env.split("::")
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains('\0') && !v.contains('\0') => {
                Ok((k.to_owned(), v.to_owned()))
            }
            _ => Err(format!(
                "occi.app.env entry {pair:?} is not NAME=VALUE (entries are separated by ::)"
            )),
        })
        .collect()
}

/// The CC's categories: the Kind `app` (OpenShift v3 attributes) and its actions `start` and
/// `stop`, on the OCCI 1.1 core.
pub fn registry() -> Registry {
    let attr = |n: &str| {
        AttributeDefinition::new(
            AttributeName::new(n).expect("valid attribute name"),
            AttributeType::String,
        )
    };
    let kind = Kind::new(app_kind())
        .with_title("A PaaS application.")
        .with_parent(occi_model::ext::core::resource_id())
        .with_location(Location::new("/app/").expect("valid location"))
        .with_attribute(attr("occi.app.name").required())
        .with_attribute(attr("occi.app.image").required())
        .with_attribute(attr("occi.app.env"))
        .with_attribute(attr("occi.app.state").immutable())
        .with_attribute(attr("occi.app.url").immutable())
        .with_action(app_action("start"))
        .with_action(app_action("stop"));
    let mut registry = Registry::new(OcciVersion::V1_1);
    for a in ["start", "stop"] {
        registry
            .register_action(Action::new(app_action(a)))
            .expect("the app actions are new");
    }
    registry
        .register_kind(kind)
        .expect("the app Kind is consistent");
    registry
}

/// The tenant every CC app belongs to: like Hurtle's CC, this one does not tell its callers
/// apart.
pub const CC_TENANT: &str = "cc";

/// Hurtle's CC check: a request must carry an `Authorization` header (401 `Please provide
/// authentication headers.` otherwise); the credentials themselves are not verified.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorizationPresent;

impl Authenticate for AuthorizationPresent {
    async fn authenticate(&self, request: &http::request::Parts) -> Result<Identity, AuthError> {
        if request.headers.contains_key(http::header::AUTHORIZATION) {
            Ok(Identity::new("cc-client", CC_TENANT))
        } else {
            Err(AuthError::missing("Please provide authentication headers."))
        }
    }

    fn challenges(&self) -> Vec<http::HeaderValue> {
        vec![http::HeaderValue::from_static(
            "Basic realm=\"occi-hurtle cc\"",
        )]
    }
}

fn bad(message: impl Into<String>) -> BackendError {
    BackendError::new(BackendErrorKind::BadRequest, message)
}

/// What the app of `entity` is: name, image, environment.
fn spec(entity: &Entity) -> Result<AppSpec, BackendError> {
    let name = text(entity, "occi.app.name");
    check_name(&name).map_err(bad)?;
    let image = text(entity, "occi.app.image").trim().to_owned();
    if image.is_empty() || image.contains(char::is_whitespace) {
        return Err(bad(
            "Please provide a valid docker image name. (occi.app.image)",
        ));
    }
    let env = parse_env(&text(entity, "occi.app.env")).map_err(bad)?;
    Ok(AppSpec { name, image, env })
}

/// The Backend of the Kind `app`: each app is deployed by a [`Deployer`]. The stored
/// `occi.app.state` says whether it should run (`active`) or was stopped (`inactive`); a
/// read reports whether it serves now.
#[derive(Debug)]
pub struct AppBackend<D> {
    deployer: Arc<D>,
}

impl<D: Deployer> AppBackend<D> {
    /// The backend deploying through `deployer`.
    pub fn new(deployer: Arc<D>) -> Self {
        Self { deployer }
    }
}

impl<D: Deployer> Backend for AppBackend<D> {
    async fn create(&self, _hook: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        values_as_text(entity);
        let spec = spec(entity)?;
        let id = EntityId::new(&spec.name).map_err(|e| bad(format!("occi.app.name: {e}")))?;
        let named = format!("/app/{}", spec.name);
        if !crate::placed_by_server(entity)
            && entity.location().map(Location::as_str) != Some(&named)
        {
            return Err(bad(format!(
                "an app lives at the path its occi.app.name names: PUT it at {named}"
            )));
        }
        let url = self
            .deployer
            .deploy(&spec)
            .await
            .map_err(|e| BackendError::new(BackendErrorKind::Conflict, e.0))?;
        if let Entity::Resource(r) = entity {
            r.id = Some(id);
        }
        set_text(entity, "occi.app.url", url);
        set_text(entity, "occi.app.state", AppState::Active.as_str());
        Ok(())
    }

    async fn retrieve(&self, _hook: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        let name = text(entity, "occi.app.name");
        let wanted = text(entity, "occi.app.state") == AppState::Active.as_str();
        let state = if wanted {
            self.deployer.state(&name).await
        } else {
            AppState::Inactive
        };
        set_text(entity, "occi.app.state", state.as_str());
        if let Entity::Resource(r) = entity {
            r.actions = vec![app_action(if wanted { "stop" } else { "start" })];
        }
        Ok(())
    }

    async fn update(
        &self,
        _hook: Hook<'_>,
        _current: &Entity,
        _updated: &mut Entity,
    ) -> Result<(), BackendError> {
        Err(bad(
            "an app is not updated; POST ?action=start or ?action=stop",
        ))
    }

    async fn replace(
        &self,
        _hook: Hook<'_>,
        _current: &Entity,
        _replacement: &mut Entity,
    ) -> Result<(), BackendError> {
        Err(bad("an app is not replaced; DELETE it and create it anew"))
    }

    async fn delete(&self, _hook: Hook<'_>, _entity: &Entity) -> Result<Deletion, BackendError> {
        Ok(Deletion::Now)
    }

    async fn action(
        &self,
        _hook: Hook<'_>,
        entity: &Entity,
        invocation: &ActionInvocation,
    ) -> Result<Option<ActionOutcome>, BackendError> {
        let name = text(entity, "occi.app.name");
        let running = text(entity, "occi.app.state") == AppState::Active.as_str();
        let mut after = entity.clone();
        match (invocation.action.term().as_str(), running) {
            ("stop", true) => {
                self.deployer
                    .undeploy(&name)
                    .await
                    .map_err(|e| BackendError::new(BackendErrorKind::Failed, e.0))?;
                set_text(&mut after, "occi.app.state", AppState::Inactive.as_str());
            }
            ("start", false) => {
                let url = self
                    .deployer
                    .deploy(&spec(entity)?)
                    .await
                    .map_err(|e| BackendError::new(BackendErrorKind::Failed, e.0))?;
                set_text(&mut after, "occi.app.url", url);
                set_text(&mut after, "occi.app.state", AppState::Active.as_str());
            }
            _ => return Err(bad("This action is currently not applicable.")),
        }
        Ok(Some(ActionOutcome::updated(after)))
    }

    async fn committed(&self, _hook: Hook<'_>, event: &Event) {
        if let Event::Deleted(entity) = event {
            let name = text(entity, "occi.app.name");
            if let Err(e) = self.deployer.undeploy(&name).await {
                tracing::warn!(app = %name, error = %e, "the app could not be stopped");
            }
        }
    }

    async fn aborted(&self, _hook: Hook<'_>, event: &Event) {
        if let Event::Created(entity) = event {
            let name = text(entity, "occi.app.name");
            if let Err(e) = self.deployer.undeploy(&name).await {
                tracing::warn!(app = %name, error = %e, "an app not created could not be stopped");
            }
        }
    }
}

/// A store chosen at run time (memory or SQLite).
pub type AnyStore = Arc<dyn DynStore>;

/// The HTTP service of a CC: the [`AuthorizationPresent`] check in front of its OCCI core.
pub type CcService = Authenticated<OcciService<AnyStore, NotImplemented>, AuthorizationPresent>;

/// The OCCI core of a CC deploying through `deployer`, keeping its apps in `store`.
pub fn occi<D: Deployer>(
    deployer: Arc<D>,
    store: AnyStore,
) -> Result<occi_server::Occi<AnyStore, NotImplemented>, ConfigError> {
    crate::builder(registry())
        .store(store)
        .backend(app_kind(), AppBackend::new(deployer))
        .default_backend(crate::OnlyOwnKinds)
        .build()
}

/// The HTTP service of a CC deploying through `deployer`, keeping its apps in `store`,
/// ready for [`occi_server::serve`].
pub fn service<D: Deployer>(deployer: Arc<D>, store: AnyStore) -> Result<CcService, ConfigError> {
    Ok(layer(occi(deployer, store)?))
}

/// The `Authorization` check in front of a CC's OCCI core.
pub fn layer(occi: occi_server::Occi<AnyStore, NotImplemented>) -> CcService {
    use tower_layer::Layer as _;
    AuthLayer::new(AuthorizationPresent).layer(OcciService::new(occi))
}

/// The HTTP service of a CC over a `store` that may hold the apps of an earlier run, whose
/// SOs stopped with it: each such app is kept, reported `inactive`, and started again by
/// `?action=start` (or deleted). Returns the service and how many apps were stopped.
pub async fn start<D: Deployer>(
    deployer: Arc<D>,
    store: AnyStore,
) -> Result<(CcService, usize), ConfigError> {
    use occi_server::Store as _;
    let occi = occi(deployer, store)?;
    let stored = occi
        .store()
        .scan(&occi_server::Scan::new(
            occi_server::Scope::Kind(app_kind()),
        ))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the stored apps could not be read");
            Vec::new()
        });
    let lifecycle = occi.lifecycle();
    let mut stopped = 0;
    for s in stored {
        if text(&s.entity, "occi.app.state") != AppState::Active.as_str() {
            continue;
        }
        let Some(location) = s.entity.location().cloned() else {
            continue;
        };
        let changed = lifecycle
            .change(
                &location,
                occi_server::Expect::Revision(s.revision),
                |entity| {
                    set_text(entity, "occi.app.state", AppState::Inactive.as_str());
                },
            )
            .await;
        match changed {
            Ok(_) => stopped += 1,
            Err(e) => {
                tracing::warn!(app = %location, error = %e, "an app of an earlier run could not be marked stopped");
            }
        }
    }
    if stopped > 0 {
        tracing::info!(
            stopped,
            "apps of an earlier run are stopped; ?action=start starts them again"
        );
    }
    Ok((layer(occi), stopped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_cc_rules() {
        assert!(check_name("sosampf1cd835fba84d318").is_ok());
        assert!(check_name("").unwrap_err().contains("required"));
        assert!(check_name(&"a".repeat(25)).unwrap_err().contains("24"));
        assert!(check_name("a/b").is_err());
        assert!(check_name("-a").is_err());
    }

    #[test]
    fn env_is_split_on_double_colons() {
        assert_eq!(
            parse_env("DESIGN_URI=http://k:5000/v2.0::X=a=b").unwrap(),
            vec![
                ("DESIGN_URI".to_owned(), "http://k:5000/v2.0".to_owned()),
                ("X".to_owned(), "a=b".to_owned())
            ]
        );
        assert!(parse_env("").unwrap().is_empty());
        assert!(parse_env("novalue").is_err());
    }
}
