//! The Service Manager (hurtle.md §1): offers one service type, described by a Hurtle service
//! manifest, to end users over OCCI, and runs each instance as an SO that a CC deploys.
//!
//! * `POST /<term>/` (or `PUT /<term>/<any>`) with the service Kind asks the CC for an app
//!   (`GET /-/`, `POST /app/`, `GET /app/<id>`) and answers 201 with
//!   `Location: /<term>/<app id>` and `mcn.service.state="initialise"`; a background task then
//!   drives the instance through `activate` (the app is active, its SO answers, `PUT
//!   /orchestrator/default`), `deploy` (`?action=deploy`, then the stack reaches `*_COMPLETE`)
//!   and `provision` (`?action=provision`). A phase that fails sets the state `fail` and
//!   `mcn.service.error`.
//! * `GET` of an instance merges the SO's attributes (except `occi.core.id` and the service
//!   parameters) into it; `POST` without an action forwards an update to the SO (state
//!   `update`); `DELETE` answers 200 at once and removes the SO, then the CC app, in the
//!   background.
//! * Every request needs `X-Auth-Token` and `X-Tenant-Name` (400 without; 401 for a token the
//!   [`Tokens`] reject); an instance belongs to its creator's tenant, and is 404 for others.
//! * Per-phase `service_params` go to the SO as `X-OCCI-Attribute`s of that phase's call,
//!   followed by the client's create attributes, computed afresh for every call (the Python
//!   original appended to one shared list, leaking attributes between instances).
//!
//! Behaviours of the original deliberately not copied: 500 for authentication failures, 405
//! for unknown or foreign instances (404 here), the CC's Basic credentials sent to the SO, the
//! internal `occi.so.url` shown to end users, and service parameters echoed back to them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use occi_model::{
    AttributeDefinition, AttributeName, AttributeType, Category, CategoryId, Kind, Location,
};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::client::HttpClient;
use crate::server::Handler;
use crate::wire::{self, EntityView, Incoming, PLATFORM_SCHEME, SERVICE_SCHEME};

/// A Hurtle service manifest (`service_manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Manifest {
    /// `scheme#term` of the service Kind.
    pub service_type: String,
    /// The Kind's title.
    #[serde(default)]
    pub service_description: String,
    /// Attribute name to `"immutable"`, `"required"` or `""` (mutable).
    #[serde(default)]
    pub service_attributes: BTreeMap<String, String>,
    /// Where the SM is reached (informative here; `--listen` decides).
    #[serde(default)]
    pub service_endpoint: String,
    /// Services this one is composed of (not driven by this SM).
    #[serde(default)]
    pub depends_on: Vec<serde_json::Value>,
}

/// Why a manifest or parameter file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Manifest {
    /// Reads a manifest from JSON, checking the service type and attribute flags.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let m: Self = serde_json::from_str(text)
            .map_err(|e| ConfigError(format!("the manifest is not valid: {e}")))?;
        m.kind_id()?;
        for (name, flag) in &m.service_attributes {
            AttributeName::new(name)
                .map_err(|e| ConfigError(format!("service attribute {name:?}: {e}")))?;
            if !matches!(flag.as_str(), "" | "immutable" | "required" | "mutable") {
                return Err(ConfigError(format!(
                    "service attribute {name:?} has flag {flag:?}; expected \"immutable\", \"required\" or \"\""
                )));
            }
        }
        Ok(m)
    }

    /// The service Kind's id.
    pub fn kind_id(&self) -> Result<CategoryId, ConfigError> {
        let (scheme, term) = self.service_type.rsplit_once('#').ok_or_else(|| {
            ConfigError(format!("service_type {:?} has no '#'", self.service_type))
        })?;
        format!("{scheme}#{term}")
            .parse()
            .map_err(|e| ConfigError(format!("service_type {:?}: {e}", self.service_type)))
    }

    /// The service Kind: location `/<term>/`, parent `core#resource`, the manifest's
    /// attributes.
    pub fn kind(&self) -> Result<Kind, ConfigError> {
        let id = self.kind_id()?;
        let location = Location::new(&format!("/{}/", id.term().as_str()))
            .map_err(|e| ConfigError(e.to_string()))?;
        let mut kind = Kind::new(id)
            .with_parent(occi_model::ext::core::resource_id())
            .with_location(location);
        if !self.service_description.is_empty() {
            kind = kind.with_title(self.service_description.clone());
        }
        for (name, flag) in &self.service_attributes {
            let name = AttributeName::new(name).map_err(|e| ConfigError(e.to_string()))?;
            let def = AttributeDefinition::new(name, AttributeType::String);
            kind = kind.with_attribute(match flag.as_str() {
                "immutable" => def.immutable(),
                "required" => def.required(),
                _ => def,
            });
        }
        Ok(kind)
    }
}

/// Per-phase service parameters: phase (`activate`, `deploy`, `provision`, `update`,
/// `destroy`) to `name`/`value` pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceParams(BTreeMap<String, Vec<(String, String)>>);

#[derive(Deserialize)]
struct Param {
    name: String,
    #[serde(default)]
    value: serde_json::Value,
}

impl ServiceParams {
    /// Reads `{phase: [{name, type, value}]}`.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let raw: BTreeMap<String, Vec<Param>> = serde_json::from_str(text)
            .map_err(|e| ConfigError(format!("the service parameters are not valid: {e}")))?;
        Ok(Self(
            raw.into_iter()
                .map(|(phase, list)| {
                    let pairs = list
                        .into_iter()
                        .map(|p| {
                            let v = match p.value {
                                serde_json::Value::String(s) => s,
                                other => other.to_string(),
                            };
                            (p.name, v)
                        })
                        .collect();
                    (phase, pairs)
                })
                .collect(),
        ))
    }

    /// The parameters of `phase`.
    pub fn phase(&self, phase: &str) -> &[(String, String)] {
        self.0.get(phase).map_or(&[], Vec::as_slice)
    }

    /// Whether `name` is a parameter of any phase (never shown to end users).
    pub fn is_param(&self, name: &str) -> bool {
        self.0.values().flatten().any(|(n, _)| n == name)
    }
}

/// Which tokens are valid, and for which tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens(BTreeMap<String, String>);

impl Tokens {
    /// Valid tokens: token to tenant. Empty: any token is accepted for any tenant.
    pub fn new(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }

    /// Whether `token` may act for `tenant`.
    pub fn accepts(&self, token: &str, tenant: &str) -> bool {
        self.0.is_empty() || self.0.get(token).is_some_and(|t| t == tenant)
    }
}

/// How long the background phases wait between polls, and how long they wait in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timings {
    /// Between polls of the CC app until it is active (Hurtle: 3 s).
    pub activate: Duration,
    /// Between polls of the stack after deploy (Hurtle: 7 s).
    pub deploy: Duration,
    /// Between polls of the stack before provision (Hurtle: 13 s).
    pub provision: Duration,
    /// Between polls of the stack after an update (Hurtle: 3 s).
    pub update: Duration,
    /// How long a phase may take before the instance is marked `fail`.
    pub phase_timeout: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            activate: Duration::from_secs(3),
            deploy: Duration::from_secs(7),
            provision: Duration::from_secs(13),
            update: Duration::from_secs(3),
            phase_timeout: Duration::from_mins(10),
        }
    }
}

/// Everything an SM needs.
#[derive(Debug, Clone)]
pub struct SmConfig {
    /// The service.
    pub manifest: Manifest,
    /// The CC's OCCI base URL (`http://host:port`).
    pub cc_url: String,
    /// HTTP Basic user and password for the CC.
    pub cc_credentials: (String, String),
    /// The SO image the CC deploys (`bundle_location`).
    pub bundle: String,
    /// Passed to the SO as `DESIGN_URI`.
    pub design_uri: String,
    /// Per-phase service parameters.
    pub params: ServiceParams,
    /// Valid tokens.
    pub tokens: Tokens,
    /// Poll intervals.
    pub timings: Timings,
    /// The HTTP client for CC and SO calls.
    pub client: HttpClient,
}

#[derive(Debug, Clone)]
struct Instance {
    tenant: String,
    token: String,
    state: String,
    /// The client's attributes from the create request (and later updates).
    attributes: Vec<(String, String)>,
    /// What the SO reported last.
    so_attributes: Vec<(String, String)>,
    /// The CC app's URL.
    app: String,
    /// `host:port` of the SO.
    so: String,
}

#[derive(Debug)]
struct Shared {
    config: SmConfig,
    kind: Kind,
    instances: Mutex<BTreeMap<String, Instance>>,
}

/// The OCCI interface of an SM.
#[derive(Debug, Clone)]
pub struct SmServer {
    shared: Arc<Shared>,
}

/// A failed call to the CC or an SO.
#[derive(Debug)]
struct Upstream(String);

type Reply = Response<Bytes>;

fn attribute_list(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn text_attributes(resp: &Response<Bytes>) -> Vec<(String, String)> {
    let mut headers = http::HeaderMap::new();
    for v in resp.headers().get_all("x-occi-attribute") {
        headers.append("x-occi-attribute", v.clone());
    }
    occi_render::text::occi::parse_document(&headers, &occi_render::ParseOptions::lenient())
        .map(|d| wire::attributes(&d.value))
        .unwrap_or_default()
}

fn json_attribute(resp: &Response<Bytes>, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(resp.body()).ok()?;
    v["attributes"][name].as_str().map(str::to_owned)
}

impl SmServer {
    /// An SM for `config`.
    pub fn new(config: SmConfig) -> Result<Self, ConfigError> {
        let kind = config.manifest.kind()?;
        Ok(Self {
            shared: Arc::new(Shared {
                config,
                kind,
                instances: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    fn term(&self) -> &str {
        self.shared.kind.id.term().as_str()
    }

    /// The service Kind, then the core Kinds.
    pub fn categories(&self) -> Vec<Category> {
        let mut out = vec![Category::Kind(self.shared.kind.clone())];
        out.extend(crate::core_kinds());
        out
    }

    fn basic(&self) -> String {
        let (user, password) = &self.shared.config.cc_credentials;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    async fn call(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
    ) -> Result<Response<Bytes>, Upstream> {
        let mut b = Request::builder().method(method.clone()).uri(url);
        for (n, v) in headers {
            if let Ok(v) = HeaderValue::from_str(v) {
                b = b.header(*n, v);
            }
        }
        let req = b
            .body(Bytes::new())
            .map_err(|e| Upstream(format!("{method} {url}: {e}")))?;
        let resp = self
            .shared
            .config
            .client
            .send(req)
            .await
            .map_err(|e| Upstream(format!("{method} {url}: {e}")))?;
        tracing::debug!(%method, %url, status = resp.status().as_u16(), "upstream call");
        Ok(resp)
    }

    fn cc(&self) -> &str {
        self.shared.config.cc_url.trim_end_matches('/')
    }

    /// The synchronous part of a create: the CC app. Returns the app id, its URL and the SO's
    /// `host:port`.
    // The three CC calls of Hurtle's InitSO, in order, each with its checks.
    #[allow(clippy::too_many_lines)]
    async fn request_app(
        &self,
        token: &str,
        tenant: &str,
    ) -> Result<(String, String, String), Upstream> {
        let basic = self.basic();
        let auth = [
            ("Authorization", basic.clone()),
            ("X-Auth-Token", token.to_owned()),
            ("X-Tenant-Name", tenant.to_owned()),
        ];
        let qi = self
            .call(
                Method::GET,
                &format!("{}/-/", self.cc()),
                &[
                    auth[0].clone(),
                    ("Accept", "text/occi".to_owned()),
                    ("Content-Type", "text/occi".to_owned()),
                ],
            )
            .await?;
        let cats: String = qi
            .headers()
            .get_all("category")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        if !(qi.status().is_success()
            && cats.contains("occi.app.image")
            && cats.contains("occi.app.env"))
        {
            return Err(Upstream(format!(
                "the CC at {} does not offer OpenShift v3 apps (occi.app.image and occi.app.env); status {}",
                self.cc(),
                qi.status()
            )));
        }
        let prefix: String = self
            .term()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(4)
            .collect();
        let hex = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("so{}{}", prefix.to_ascii_lowercase(), &hex[..16]);
        let attrs = attribute_list(&[
            ("occi.app.name".to_owned(), name.clone()),
            (
                "occi.app.image".to_owned(),
                self.shared.config.bundle.clone(),
            ),
            (
                "occi.app.env".to_owned(),
                format!("DESIGN_URI={}", self.shared.config.design_uri),
            ),
        ]);
        let created = self
            .call(
                Method::POST,
                &format!("{}/app/", self.cc()),
                &[
                    auth[0].clone(),
                    ("Category", format!("app; scheme=\"{PLATFORM_SCHEME}\"")),
                    ("Content-Type", "text/occi".to_owned()),
                    ("X-OCCI-Attribute", attrs),
                ],
            )
            .await?;
        let location = created
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let path = location
            .strip_prefix("http://")
            .and_then(|r| r.find('/').map(|i| &r[i..]))
            .unwrap_or(&location)
            .to_owned();
        let id = match path.strip_prefix("/app/") {
            Some(id)
                if created.status() == StatusCode::CREATED
                    && !id.is_empty()
                    && !id.contains('/') =>
            {
                id.to_owned()
            }
            _ => {
                return Err(Upstream(format!(
                    "the CC did not create an app: {} with Location {location:?}",
                    created.status()
                )));
            }
        };
        let app = format!("{}/app/{id}", self.cc());
        let got = self
            .call(
                Method::GET,
                &app,
                &[auth[0].clone(), ("Accept", "text/occi".to_owned())],
            )
            .await?;
        let so = text_attributes(&got)
            .into_iter()
            .find(|(n, _)| n == "occi.app.url")
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty() && !v.contains('/'))
            .ok_or_else(|| {
                Upstream(format!(
                    "the CC app {app} has no occi.app.url (status {})",
                    got.status()
                ))
            })?;
        Ok((id, app, so))
    }

    fn phase_attributes(&self, phase: &str, client: &[(String, String)]) -> String {
        let mut all: Vec<(String, String)> = self.shared.config.params.phase(phase).to_vec();
        all.extend(client.iter().cloned());
        attribute_list(&all)
    }

    async fn set_state(&self, id: &str, state: &str, error: Option<&str>) -> bool {
        let mut instances = self.shared.instances.lock().await;
        match instances.get_mut(id) {
            Some(i) => {
                state.clone_into(&mut i.state);
                if let Some(e) = error {
                    wire::merge(
                        &mut i.attributes,
                        &[("mcn.service.error".to_owned(), e.to_owned())],
                    );
                }
                tracing::info!(instance = %id, %state, "service instance state");
                true
            }
            None => false,
        }
    }

    async fn snapshot(&self, id: &str) -> Option<Instance> {
        self.shared.instances.lock().await.get(id).cloned()
    }

    fn so_headers(i: &Instance) -> Vec<(&'static str, String)> {
        vec![
            ("X-Auth-Token", i.token.clone()),
            ("X-Tenant-Name", i.tenant.clone()),
        ]
    }

    /// Polls the SO's stack until it is `*_COMPLETE`; `Err` on `CREATE_FAILED`/`UPDATE_FAILED`
    /// or the phase timeout.
    async fn wait_stack(&self, i: &Instance, every: Duration) -> Result<(), Upstream> {
        let url = format!("http://{}/orchestrator/default", i.so);
        let start = tokio::time::Instant::now();
        loop {
            let mut h = Self::so_headers(i);
            h.push(("Accept", "application/occi+json".to_owned()));
            let resp = self.call(Method::GET, &url, &h).await?;
            let state = json_attribute(&resp, "occi.mcn.stack.state").unwrap_or_default();
            if state == "CREATE_COMPLETE" || state == "UPDATE_COMPLETE" {
                return Ok(());
            }
            if state.ends_with("_FAILED") {
                return Err(Upstream(format!("the SO's stack is {state}")));
            }
            if start.elapsed() >= self.shared.config.timings.phase_timeout {
                return Err(Upstream(format!("the SO's stack is still {state:?}")));
            }
            tokio::time::sleep(every).await;
        }
    }

    async fn lifecycle(self, id: String) {
        if let Err(Upstream(e)) = self.run_lifecycle(&id).await {
            tracing::warn!(instance = %id, error = %e, "service instance failed");
            self.set_state(&id, "fail", Some(&e)).await;
        }
    }

    async fn run_lifecycle(&self, id: &str) -> Result<(), Upstream> {
        let t = self.shared.config.timings.clone();
        let Some(i) = self.snapshot(id).await else {
            return Ok(());
        };
        // Activate: the app is active and its SO answers, then the SO resource is created.
        let start = tokio::time::Instant::now();
        loop {
            let mut h = vec![
                ("Authorization", self.basic()),
                ("Accept", "application/occi+json".to_owned()),
            ];
            h.extend(Self::so_headers(&i));
            let resp = self.call(Method::GET, &i.app, &h).await?;
            if json_attribute(&resp, "occi.app.state").as_deref() == Some("active") {
                let root = self
                    .call(
                        Method::GET,
                        &format!("http://{}/", i.so),
                        &Self::so_headers(&i),
                    )
                    .await;
                if root.is_ok_and(|r| r.status() == StatusCode::OK) {
                    break;
                }
            }
            if start.elapsed() >= t.phase_timeout {
                return Err(Upstream("the CC app never became active".to_owned()));
            }
            tokio::time::sleep(t.activate).await;
            if self.snapshot(id).await.is_none() {
                return Ok(());
            }
        }
        let so = format!("http://{}/orchestrator/default", i.so);
        let mut h = Self::so_headers(&i);
        h.push((
            "Category",
            format!("orchestrator; scheme=\"{SERVICE_SCHEME}\""),
        ));
        h.push(("Content-Type", "text/occi".to_owned()));
        let attrs = self.phase_attributes("activate", &i.attributes);
        if !attrs.is_empty() {
            h.push(("X-OCCI-Attribute", attrs));
        }
        let put = self.call(Method::PUT, &so, &h).await?;
        if !put.status().is_success() {
            return Err(Upstream(format!(
                "the SO refused the PUT: {}",
                put.status()
            )));
        }
        if !self.set_state(id, "activate", None).await {
            return Ok(());
        }
        // Deploy, then wait for the stack.
        self.action(&i, "deploy").await?;
        self.wait_stack(&i, t.deploy).await?;
        if !self.set_state(id, "deploy", None).await {
            return Ok(());
        }
        // Provision once the stack is ready.
        self.wait_stack(&i, t.provision).await?;
        self.action(&i, "provision").await?;
        self.set_state(id, "provision", None).await;
        Ok(())
    }

    async fn action(&self, i: &Instance, term: &str) -> Result<(), Upstream> {
        let mut h = Self::so_headers(i);
        h.push(("Category", format!("{term}; scheme=\"{SERVICE_SCHEME}\"")));
        h.push(("Content-Type", "text/occi".to_owned()));
        let attrs = self.phase_attributes(term, &i.attributes);
        if !attrs.is_empty() {
            h.push(("X-OCCI-Attribute", attrs));
        }
        let url = format!("http://{}/orchestrator/default?action={term}", i.so);
        let resp = self.call(Method::POST, &url, &h).await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(Upstream(format!(
                "the SO refused {term}: {}",
                resp.status()
            )))
        }
    }

    async fn destroy(self, i: Instance) {
        let mut h = Self::so_headers(&i);
        let attrs = self.phase_attributes("destroy", &[]);
        if !attrs.is_empty() {
            h.push(("X-OCCI-Attribute", attrs));
        }
        let so = format!("http://{}/orchestrator/default", i.so);
        if let Err(Upstream(e)) = self.call(Method::DELETE, &so, &h).await {
            tracing::warn!(error = %e, "the SO could not be deleted");
        }
        let mut h = vec![("Authorization", self.basic())];
        h.extend(Self::so_headers(&i));
        match self.call(Method::DELETE, &i.app, &h).await {
            Ok(r) if r.status().is_success() => tracing::info!(app = %i.app, "CC app deleted"),
            Ok(r) => {
                tracing::warn!(app = %i.app, status = r.status().as_u16(), "the CC app could not be deleted");
            }
            Err(Upstream(e)) => tracing::warn!(error = %e, "the CC app could not be deleted"),
        }
    }

    fn view(&self, id: &str, i: &Instance) -> EntityView {
        let mut attributes = vec![
            ("occi.core.id".to_owned(), id.to_owned()),
            ("mcn.service.state".to_owned(), i.state.clone()),
        ];
        wire::merge(&mut attributes, &i.attributes);
        let from_so: Vec<(String, String)> = i
            .so_attributes
            .iter()
            .filter(|(n, _)| n != "occi.core.id" && !self.shared.config.params.is_param(n))
            .cloned()
            .collect();
        wire::merge(&mut attributes, &from_so);
        EntityView {
            kind: self.shared.kind.id.clone(),
            location: format!("/{}/{id}", self.term()),
            actions: Vec::new(),
            attributes,
        }
    }

    async fn create(&self, req: &Incoming, token: &str, tenant: &str) -> Reply {
        let doc = match req.document() {
            Ok(d) => d,
            Err(r) => return r,
        };
        let id = &self.shared.kind.id;
        if doc.categories.is_empty() {
            return wire::error(StatusCode::BAD_REQUEST, "Could not find a valid kind.");
        }
        if !wire::has_category(&doc, id.scheme().as_str(), id.term().as_str()) {
            let got: Vec<String> = doc
                .categories
                .iter()
                .map(|c| format!("{}{}", c.id.scheme().as_str(), c.id.term().as_str()))
                .collect();
            return wire::error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "The following category is not registered within this service (See Query interfaces): {}",
                    got.join(" ")
                ),
            );
        }
        let attributes = wire::attributes(&doc);
        for def in self.shared.kind.attributes.iter().filter(|d| d.required) {
            if !attributes.iter().any(|(n, _)| n == def.name.as_str()) {
                return wire::error(
                    StatusCode::BAD_REQUEST,
                    &format!("the required attribute {} is missing", def.name.as_str()),
                );
            }
        }
        let (app_id, app, so) = match self.request_app(token, tenant).await {
            Ok(x) => x,
            Err(Upstream(e)) => {
                tracing::warn!(error = %e, "the CC could not deploy an SO");
                return wire::error(
                    StatusCode::BAD_GATEWAY,
                    &format!("the service could not be instantiated: {e}"),
                );
            }
        };
        let instance = Instance {
            tenant: tenant.to_owned(),
            token: token.to_owned(),
            state: "initialise".to_owned(),
            attributes,
            so_attributes: Vec::new(),
            app,
            so,
        };
        self.shared
            .instances
            .lock()
            .await
            .insert(app_id.clone(), instance);
        tracing::info!(instance = %app_id, %tenant, "service instance created");
        tokio::spawn(self.clone().lifecycle(app_id.clone()));
        wire::created(req.media, &format!("{}/{}/{app_id}", req.base, self.term()))
    }

    // One arm per method on an instance, like the SO's resource.
    #[allow(clippy::too_many_lines)]
    async fn instance(&self, req: &Incoming, id: &str, tenant: &str) -> Reply {
        let Some(i) = self.snapshot(id).await.filter(|i| i.tenant == tenant) else {
            return wire::not_found(&req.path);
        };
        match req.method {
            Method::GET | Method::HEAD => {
                let mut i = i;
                if matches!(
                    i.state.as_str(),
                    "activate" | "deploy" | "provision" | "update"
                ) {
                    let mut h = Self::so_headers(&i);
                    h.push(("Accept", "text/occi".to_owned()));
                    let url = format!("http://{}/orchestrator/default", i.so);
                    match self.call(Method::GET, &url, &h).await {
                        Ok(r) if r.status() == StatusCode::OK => {
                            let so_attrs = text_attributes(&r);
                            let mut instances = self.shared.instances.lock().await;
                            if let Some(stored) = instances.get_mut(id) {
                                stored.so_attributes = so_attrs;
                                i = stored.clone();
                            }
                        }
                        Ok(r) => {
                            tracing::warn!(instance = %id, status = r.status().as_u16(), "the SO did not answer the GET");
                        }
                        Err(Upstream(e)) => {
                            tracing::warn!(instance = %id, error = %e, "the SO did not answer the GET");
                        }
                    }
                }
                wire::entity(req.media, StatusCode::OK, &self.view(id, &i))
            }
            Method::POST => {
                if req.action().is_some() {
                    return wire::error(
                        StatusCode::BAD_REQUEST,
                        "a service instance has no actions",
                    );
                }
                let doc = match req.document() {
                    Ok(d) => d,
                    Err(r) => return r,
                };
                let new = wire::attributes(&doc);
                for (name, _) in &new {
                    if self
                        .shared
                        .kind
                        .attributes
                        .iter()
                        .any(|d| d.name.as_str() == name && !d.mutable)
                    {
                        return wire::error(
                            StatusCode::BAD_REQUEST,
                            &format!("{name} is immutable"),
                        );
                    }
                }
                if !matches!(i.state.as_str(), "provision" | "update") {
                    return wire::error(
                        StatusCode::CONFLICT,
                        &format!(
                            "the instance is in state {:?}; updates are accepted once it is provisioned",
                            i.state
                        ),
                    );
                }
                let mut h = Self::so_headers(&i);
                h.push(("Content-Type", "text/occi".to_owned()));
                h.push(("X-OCCI-Attribute", self.phase_attributes("update", &new)));
                let url = format!("http://{}/orchestrator/default", i.so);
                match self.call(Method::POST, &url, &h).await {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => {
                        return wire::error(
                            StatusCode::BAD_GATEWAY,
                            &format!("the SO refused the update: {}", r.status()),
                        );
                    }
                    Err(Upstream(e)) => {
                        return wire::error(
                            StatusCode::BAD_GATEWAY,
                            &format!("the SO could not be updated: {e}"),
                        );
                    }
                }
                let updated = {
                    let mut instances = self.shared.instances.lock().await;
                    let Some(stored) = instances.get_mut(id) else {
                        return wire::not_found(&req.path);
                    };
                    wire::merge(&mut stored.attributes, &new);
                    "update".clone_into(&mut stored.state);
                    stored.clone()
                };
                let me = self.clone();
                let every = self.shared.config.timings.update;
                let polled = updated.clone();
                tokio::spawn(async move {
                    if let Err(Upstream(e)) = me.wait_stack(&polled, every).await {
                        tracing::warn!(error = %e, "the update did not complete");
                    }
                });
                wire::entity(req.media, StatusCode::OK, &self.view(id, &updated))
            }
            Method::DELETE => {
                let removed = self.shared.instances.lock().await.remove(id);
                if let Some(i) = removed {
                    tracing::info!(instance = %id, "service instance deleted");
                    tokio::spawn(self.clone().destroy(i));
                }
                wire::ok(req.media)
            }
            _ => wire::method_not_allowed("GET, HEAD, POST, DELETE"),
        }
    }

    async fn list(&self, req: &Incoming, tenant: &str) -> Reply {
        let views: Vec<EntityView> = self
            .shared
            .instances
            .lock()
            .await
            .iter()
            .filter(|(_, i)| i.tenant == tenant)
            .map(|(id, i)| self.view(id, i))
            .collect();
        wire::collection(req.media, &req.base, &views)
    }
}

impl Handler for SmServer {
    async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let header = |n: &str| {
            request
                .headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let Some(token) = header("x-auth-token") else {
            return wire::error(StatusCode::BAD_REQUEST, "No X-Auth-Token header supplied.");
        };
        let Some(tenant) = header("x-tenant-name") else {
            return wire::error(StatusCode::BAD_REQUEST, "No X-Tenant-Name header supplied.");
        };
        if !self.shared.config.tokens.accepts(&token, &tenant) {
            return wire::error(
                StatusCode::UNAUTHORIZED,
                "Token is not valid for this tenant.",
            );
        }
        let req = match Incoming::read(request) {
            Ok(r) => r,
            Err(r) => return r,
        };
        let collection = format!("/{}/", self.term());
        let path = req.path.clone();
        if path == "/-/" || path == "/.well-known/org/ogf/occi/-/" {
            return match req.method {
                Method::GET | Method::HEAD => {
                    wire::categories(req.media, &req.base, &self.categories())
                }
                _ => wire::method_not_allowed("GET, HEAD"),
            };
        }
        if path == collection || path == "/" {
            return match req.method {
                Method::GET | Method::HEAD => self.list(&req, &tenant).await,
                Method::POST if path == collection => self.create(&req, &token, &tenant).await,
                _ => wire::method_not_allowed("GET, HEAD, POST"),
            };
        }
        match path.strip_prefix(&collection) {
            Some(id) if !id.is_empty() && !id.contains('/') => {
                if req.method == Method::PUT {
                    return self.create(&req, &token, &tenant).await;
                }
                self.instance(&req, id, &tenant).await
            }
            _ => wire::not_found(&path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_becomes_the_service_kind() {
        let m = Manifest::from_json(
            r#"{"service_type": "http://schemas.mobile-cloud-networking.eu/occi/sm#sample_so",
                "service_description": "Test sample service",
                "service_attributes": {"mcn.endpoint.p3": "immutable", "mcn.endpoint.p4": ""},
                "service_endpoint": "http://localhost:8080/sample_so/", "depends_on": []}"#,
        )
        .unwrap();
        let k = m.kind().unwrap();
        assert_eq!(k.id.term().as_str(), "sample_so");
        assert_eq!(k.location.unwrap().as_str(), "/sample_so/");
        assert!(
            k.attributes
                .iter()
                .any(|a| a.name.as_str() == "mcn.endpoint.p3" && !a.mutable)
        );
        assert!(Manifest::from_json(r#"{"service_type": "nohash"}"#).is_err());
        assert!(
            Manifest::from_json(
                r#"{"service_type": "http://x/y#z", "service_attributes": {"a": "weird"}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn service_params_are_per_phase_and_never_accumulate() {
        let p = ServiceParams::from_json(
            r#"{"activate": [{"name": "activate.integer", "type": "number", "value": 1}],
                "deploy": [{"name": "deploy.string", "type": "string", "value": "d"}]}"#,
        )
        .unwrap();
        assert_eq!(
            p.phase("activate"),
            &[("activate.integer".to_owned(), "1".to_owned())]
        );
        assert!(p.phase("update").is_empty());
        assert!(p.is_param("deploy.string"));
        assert!(!p.is_param("client.k"));
    }

    #[test]
    fn static_tokens_bind_a_tenant() {
        let t = Tokens::new(BTreeMap::from([("t1".to_owned(), "demo".to_owned())]));
        assert!(t.accepts("t1", "demo"));
        assert!(!t.accepts("t1", "other"));
        assert!(!t.accepts("t2", "demo"));
        assert!(Tokens::default().accepts("any", "any"));
    }
}
