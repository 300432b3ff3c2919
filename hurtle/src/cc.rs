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
//! [`CcServer::new`] in place of the process deployer.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use occi_model::{
    Action, AttributeDefinition, AttributeName, AttributeType, Category, CategoryId, Kind, Location,
};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use crate::server::Handler;
use crate::wire::{self, APP_ACTION_SCHEME, EntityView, Incoming, PLATFORM_SCHEME};

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
}

/// The default deployer: each app is an `occi-hurtle so --listen 127.0.0.1:<port>` child
/// process (the app's `env` in its environment), on a port free when it is started.
#[derive(Debug)]
pub struct ProcessDeployer {
    program: PathBuf,
    so_args: Vec<String>,
    children: Mutex<BTreeMap<String, Running>>,
}

impl ProcessDeployer {
    /// Runs `program so --listen … <so_args>` for each app.
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
        let child = Command::new(&self.program)
            .arg("so")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(&self.so_args)
            .envs(app.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| DeployError(format!("starting {}: {e}", self.program.display())))?;
        tracing::info!(app = %app.name, pid = child.id(), port, "SO started");
        children.insert(app.name.clone(), Running { child, port });
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
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = std::sync::Arc::new(crate::so::SoServer::new(so));
            let _ = crate::server::serve(listener, server, async {
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

#[derive(Debug, Clone)]
struct App {
    spec: AppSpec,
    url: String,
    running: bool,
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

/// The OCCI interface of a CC over a [`Deployer`].
#[derive(Debug)]
pub struct CcServer<D> {
    deployer: D,
    apps: Mutex<BTreeMap<String, App>>,
}

impl<D: Deployer> CcServer<D> {
    /// A CC deploying through `deployer`.
    pub fn new(deployer: D) -> Self {
        Self {
            deployer,
            apps: Mutex::new(BTreeMap::new()),
        }
    }

    /// The deployer.
    pub fn deployer(&self) -> &D {
        &self.deployer
    }

    /// Stops every app (call when the CC stops).
    pub async fn shutdown(&self) {
        self.apps.lock().await.clear();
        self.deployer.shutdown().await;
    }

    /// The Kind `app`, its actions, then the core Kinds.
    pub fn categories() -> Vec<Category> {
        let attr = |n: &str| {
            AttributeDefinition::new(
                AttributeName::new(n).expect("valid attribute name"),
                AttributeType::String,
            )
        };
        let kind = Kind::new(platform("app"))
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
        let mut out = vec![
            Category::Kind(kind),
            Category::Action(Action::new(app_action("start"))),
            Category::Action(Action::new(app_action("stop"))),
        ];
        out.extend(crate::core_kinds());
        out
    }

    async fn view(&self, app: &App) -> EntityView {
        let state = if app.running {
            self.deployer.state(&app.spec.name).await
        } else {
            AppState::Inactive
        };
        let env: Vec<String> = app
            .spec
            .env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        EntityView {
            kind: platform("app"),
            location: format!("/app/{}", app.spec.name),
            actions: vec![app_action(if app.running { "stop" } else { "start" })],
            attributes: vec![
                ("occi.core.id".to_owned(), app.spec.name.clone()),
                ("occi.app.name".to_owned(), app.spec.name.clone()),
                ("occi.app.image".to_owned(), app.spec.image.clone()),
                ("occi.app.env".to_owned(), env.join("::")),
                ("occi.app.state".to_owned(), state.as_str().to_owned()),
                ("occi.app.url".to_owned(), app.url.clone()),
            ],
        }
    }

    async fn create(&self, req: &Incoming) -> Response<Bytes> {
        let doc = match req.document() {
            Ok(d) => d,
            Err(resp) => return resp,
        };
        if !wire::has_category(&doc, PLATFORM_SCHEME, "app") {
            return wire::error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Could not find a valid kind: send Category: app; scheme=\"{PLATFORM_SCHEME}\"; class=\"kind\""
                ),
            );
        }
        let attrs = wire::attributes(&doc);
        let get = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let name = get("occi.app.name").unwrap_or("");
        if let Err(message) = check_name(name) {
            return wire::error(StatusCode::BAD_REQUEST, &message);
        }
        let image = get("occi.app.image").unwrap_or("").trim();
        if image.is_empty() || image.contains(char::is_whitespace) {
            return wire::error(
                StatusCode::BAD_REQUEST,
                "Please provide a valid docker image name. (occi.app.image)",
            );
        }
        let env = match parse_env(get("occi.app.env").unwrap_or("")) {
            Ok(e) => e,
            Err(message) => return wire::error(StatusCode::BAD_REQUEST, &message),
        };
        let spec = AppSpec {
            name: name.to_owned(),
            image: image.to_owned(),
            env,
        };
        let mut apps = self.apps.lock().await;
        if apps.contains_key(name) {
            return wire::error(
                StatusCode::CONFLICT,
                &format!("an app named {name:?} exists already at /app/{name}"),
            );
        }
        let url = match self.deployer.deploy(&spec).await {
            Ok(u) => u,
            Err(e) => {
                return wire::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("the app could not be deployed: {e}"),
                );
            }
        };
        apps.insert(
            name.to_owned(),
            App {
                spec,
                url,
                running: true,
            },
        );
        wire::created(req.media, &format!("{}/app/{name}", req.base))
    }

    async fn app(&self, req: &Incoming, name: &str) -> Response<Bytes> {
        let mut apps = self.apps.lock().await;
        let Some(app) = apps.get_mut(name) else {
            return wire::not_found(&req.path);
        };
        match req.method {
            Method::GET | Method::HEAD => {
                let view = self.view(app).await;
                wire::entity(req.media, StatusCode::OK, &view)
            }
            Method::DELETE => {
                if let Err(e) = self.deployer.undeploy(name).await {
                    return wire::error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &format!("the app could not be stopped: {e}"),
                    );
                }
                apps.remove(name);
                wire::ok(req.media)
            }
            Method::POST => {
                let doc = match req.document() {
                    Ok(d) => d,
                    Err(resp) => return resp,
                };
                let Some(action) = req.action().map(str::to_owned) else {
                    return wire::error(
                        StatusCode::BAD_REQUEST,
                        "an app is not updated; POST ?action=start or ?action=stop",
                    );
                };
                if !matches!(action.as_str(), "start" | "stop") {
                    return wire::error(
                        StatusCode::BAD_REQUEST,
                        &format!("unknown action {action:?}; an app has start and stop"),
                    );
                }
                if !wire::has_category(&doc, APP_ACTION_SCHEME, &action) {
                    return wire::error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "the action needs its Category: {action}; scheme=\"{APP_ACTION_SCHEME}\"; class=\"action\""
                        ),
                    );
                }
                match (action.as_str(), app.running) {
                    ("stop", true) => {
                        if let Err(e) = self.deployer.undeploy(name).await {
                            return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e.0);
                        }
                        app.running = false;
                    }
                    ("start", false) => match self.deployer.deploy(&app.spec).await {
                        Ok(url) => {
                            app.url = url;
                            app.running = true;
                        }
                        Err(e) => return wire::error(StatusCode::INTERNAL_SERVER_ERROR, &e.0),
                    },
                    _ => {
                        return wire::error(
                            StatusCode::BAD_REQUEST,
                            "This action is currently not applicable.",
                        );
                    }
                }
                let view = self.view(app).await;
                wire::entity(req.media, StatusCode::OK, &view)
            }
            _ => wire::method_not_allowed("GET, HEAD, POST, DELETE"),
        }
    }

    async fn list(&self, req: &Incoming) -> Response<Bytes> {
        let apps: Vec<App> = self.apps.lock().await.values().cloned().collect();
        let mut views = Vec::with_capacity(apps.len());
        for app in &apps {
            views.push(self.view(app).await);
        }
        wire::collection(req.media, &req.base, &views)
    }
}

impl<D: Deployer> Handler for CcServer<D> {
    async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        if request.headers().get(http::header::AUTHORIZATION).is_none() {
            return wire::error(
                StatusCode::UNAUTHORIZED,
                "Please provide authentication headers.",
            );
        }
        let req = match Incoming::read(request) {
            Ok(r) => r,
            Err(resp) => return resp,
        };
        let path = req.path.clone();
        match path.as_str() {
            "/-/" | "/.well-known/org/ogf/occi/-/" => match req.method {
                Method::GET | Method::HEAD => {
                    wire::categories(req.media, &req.base, &Self::categories())
                }
                _ => wire::method_not_allowed("GET, HEAD"),
            },
            "/" | "/app/" => match req.method {
                Method::GET | Method::HEAD => self.list(&req).await,
                Method::POST if path == "/app/" => self.create(&req).await,
                _ if path == "/app/" => wire::method_not_allowed("GET, HEAD, POST"),
                _ => wire::method_not_allowed("GET, HEAD"),
            },
            p => match p.strip_prefix("/app/") {
                Some(name) if !name.is_empty() && !name.contains('/') => self.app(&req, name).await,
                _ => wire::not_found(p),
            },
        }
    }
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
