//! The Service Manager (hurtle.md §1): offers one service type, described by a Hurtle service
//! manifest, to end users over OCCI, and runs each instance as an SO that a CC deploys. It is
//! an [`occi_server::Occi`] with the manifest's Kind and its [`InstanceBackend`], behind
//! Hurtle's `X-Auth-Token` check ([`occi_server::auth::XAuthToken`]); it reaches the CC and
//! the SOs through [`occi_client::HttpTransport`].
//!
//! * `POST /<term>/` with the service Kind asks the CC for an app (`GET /-/`, `POST /app/`,
//!   `GET /app/<id>`) and answers 201 with `Location: /<term>/<app id>` and
//!   `mcn.service.state="initialise"` (`PUT /<term>/<id>` creates at the path it names); a
//!   background task then drives the instance through `activate` (the app is active, its SO
//!   answers, `PUT /orchestrator/default`), `deploy` (`?action=deploy`, then the stack reaches
//!   `*_COMPLETE`) and `provision` (`?action=provision`), each state stored through the
//!   server's [`occi_server::Lifecycle`]. A phase that fails sets the state `fail` and
//!   `mcn.service.error`.
//! * `GET` of an instance merges the SO's attributes (except `occi.core.id` and the service
//!   parameters) into it; `POST` without an action forwards an update to the SO (state
//!   `update`); `DELETE` answers 200 at once and removes the SO, then the CC app, in the
//!   background.
//! * Every request needs `X-Auth-Token` and `X-Tenant-Name` (401 without, or for a token the
//!   [`Tokens`] reject); an instance belongs to its creator's tenant, and is 404 for others.
//!   The caller's token and tenant go with every call to its SO.
//! * Per-phase `service_params` go to the SO as `X-OCCI-Attribute`s of that phase's call,
//!   followed by the client's create attributes, computed afresh for every call (the Python
//!   original appended to one shared list, leaking attributes between instances).
//! * The service Kind's attributes are open: a client may send any attribute, and a read
//!   shows whatever the SO reports.
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
use occi_client::{HttpTransport, Transport as _};
use occi_model::{
    AttributeDefinition, AttributeName, AttributeType, CategoryId, Entity, EntityId, Kind,
    Location, OcciVersion, Registry,
};
use occi_server::auth::{AuthError, AuthLayer, Authenticated, TokenValidator, XAuthToken};
use occi_server::{
    Backend, BackendError, BackendErrorKind, Deletion, Event, Expect, Hook, Identity, Lifecycle,
    NotImplemented, OcciService,
};
use serde::Deserialize;

use crate::attribute::{changed, set_text, text, value_text, values_as_text};
use crate::cc::{AnyStore, PLATFORM_SCHEME};
use crate::so::SERVICE_SCHEME;

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
    /// Services this one is composed of: `{"<type uri>": {"inputs": ["<type uri>#<attr>"]}}`
    /// each (see [`Manifest::dependencies`]).
    #[serde(default)]
    pub depends_on: Vec<serde_json::Value>,
}

/// A service this one is composed of (a `depends_on` entry of the manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// Its service type (`scheme#term`).
    pub service_type: String,
    /// The attributes of other services it takes as inputs (`<type uri>#<attr>`).
    pub inputs: Vec<String>,
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
        m.dependencies()?;
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

    /// The `depends_on` entries, each an object with one service type and its inputs.
    pub fn dependencies(&self) -> Result<Vec<Dependency>, ConfigError> {
        let mut out = Vec::new();
        for entry in &self.depends_on {
            let object = entry.as_object().ok_or_else(|| {
                ConfigError(format!(
                    "a depends_on entry is {entry}; expected {{\"<type uri>\": {{\"inputs\": [...]}}}}"
                ))
            })?;
            for (service_type, spec) in object {
                service_type.rsplit_once('#').ok_or_else(|| {
                    ConfigError(format!("depends_on type {service_type:?} has no '#'"))
                })?;
                let inputs = match spec.get("inputs") {
                    None | Some(serde_json::Value::Null) => Vec::new(),
                    Some(serde_json::Value::Array(items)) => items
                        .iter()
                        .map(|i| {
                            i.as_str().map(str::to_owned).ok_or_else(|| {
                                ConfigError(format!(
                                    "depends_on {service_type:?}: input {i} is not a string"
                                ))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                    Some(other) => {
                        return Err(ConfigError(format!(
                            "depends_on {service_type:?}: inputs is {other}; expected an array"
                        )));
                    }
                };
                out.push(Dependency {
                    service_type: service_type.clone(),
                    inputs,
                });
            }
        }
        Ok(out)
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

/// Which tokens are valid, and for which tenant: Hurtle's static token table, a
/// [`TokenValidator`] for [`XAuthToken`]. The caller's identity is the token (as user) and the
/// tenant, so the token can go on to the SO.
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

impl TokenValidator for Tokens {
    async fn validate(&self, token: &str, tenant: &str) -> Result<Identity, AuthError> {
        if self.accepts(token, tenant) {
            Ok(Identity::new(token, tenant))
        } else {
            Err(AuthError::invalid("Token is not valid for this tenant."))
        }
    }
}

/// How the SM checks a caller's token: its own table ([`Tokens`]) or Keystone v2, as
/// Hurtle's SM does (`POST {design_uri}/tokens`). Either way the caller's identity is the
/// token (as user) and the tenant, so the token can go on to the SO.
#[derive(Debug, Clone)]
pub enum TokenCheck {
    /// A static table.
    Static(Tokens),
    /// Keystone v2 at the validator's URL.
    Keystone(Box<occi_server::auth::KeystoneV2>),
}

impl From<Tokens> for TokenCheck {
    fn from(tokens: Tokens) -> Self {
        Self::Static(tokens)
    }
}

impl TokenValidator for TokenCheck {
    async fn validate(&self, token: &str, tenant: &str) -> Result<Identity, AuthError> {
        match self {
            Self::Static(tokens) => tokens.validate(token, tenant).await,
            Self::Keystone(keystone) => {
                keystone.validate(token, tenant).await?;
                Ok(Identity::new(token, tenant))
            }
        }
    }

    fn challenge(&self) -> HeaderValue {
        match self {
            Self::Static(tokens) => tokens.challenge(),
            Self::Keystone(keystone) => keystone.challenge(),
        }
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
    /// How callers' tokens are checked.
    pub tokens: TokenCheck,
    /// Poll intervals.
    pub timings: Timings,
    /// How CC and SO calls travel (proxies from the environment by default).
    pub transport: HttpTransport,
    /// How long one call to the CC or an SO may take.
    pub call_timeout: Duration,
    /// Where the SMs of the manifest's `depends_on` services are: service type to base URL
    /// (Hurtle looked them up in the Keystone catalogue).
    pub dependencies: BTreeMap<String, String>,
    /// The token and tenant the SM itself uses to read the query interfaces of those SMs
    /// (Hurtle's `service_token` and `service_tenant_name`).
    pub service_identity: (String, String),
}

/// Attributes the SM keeps on an instance for itself and never shows: the CC app's URL and
/// the SO's `host:port`.
const APP_ATTRIBUTE: &str = "occi.hurtle.app";
const SO_ATTRIBUTE: &str = "occi.hurtle.so";
/// The instance's state.
const STATE: &str = "mcn.service.state";
/// Why the instance failed.
const ERROR: &str = "mcn.service.error";

fn is_internal(name: &str) -> bool {
    name.starts_with("occi.hurtle.")
}

/// A failed call to the CC or an SO.
#[derive(Debug)]
struct Upstream(String);

fn attribute_list(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `X-OCCI-Attribute`s of a text/occi response, values as text.
fn text_attributes(resp: &Response<Bytes>) -> Vec<(String, String)> {
    let mut headers = http::HeaderMap::new();
    for v in resp.headers().get_all("x-occi-attribute") {
        headers.append("x-occi-attribute", v.clone());
    }
    occi_render::text::occi::parse_document(&headers, &occi_render::ParseOptions::lenient())
        .map(|d| {
            let mut out: Vec<(String, String)> = Vec::new();
            for a in &d.value.attributes {
                let value = value_text(&a.value);
                let name = a.name.as_str();
                if let Some(slot) = out.iter_mut().find(|(n, _)| n == name) {
                    slot.1 = value;
                } else {
                    out.push((name.to_owned(), value));
                }
            }
            out
        })
        .unwrap_or_default()
}

fn json_attribute(resp: &Response<Bytes>, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(resp.body()).ok()?;
    v["attributes"][name].as_str().map(str::to_owned)
}

/// The attributes of `entity` a client gave (neither the SM's own nor internal), as text.
fn client_attributes(entity: &Entity) -> Vec<(String, String)> {
    entity
        .attributes()
        .iter()
        .filter(|(n, _)| {
            let n = n.as_str();
            !is_internal(n) && n != STATE && n != ERROR
        })
        .map(|(n, v)| (n.to_string(), value_text(v)))
        .collect()
}

/// Who is calling: token and tenant.
#[derive(Debug, Clone)]
struct Caller {
    token: String,
    tenant: String,
}

impl Caller {
    fn of(hook: Hook<'_>) -> Self {
        hook.identity().map_or_else(
            || Self {
                token: String::new(),
                tenant: String::new(),
            },
            |i| Self {
                token: i.user().to_owned(),
                tenant: i.tenant().to_owned(),
            },
        )
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("X-Auth-Token", self.token.clone()),
            ("X-Tenant-Name", self.tenant.clone()),
        ]
    }
}

/// The SM's shared state: its configuration and service Kind.
#[derive(Debug)]
struct Shared {
    config: SmConfig,
    kind: Kind,
}

/// An instance being driven: where it is stored, who created it, what it asked for.
#[derive(Debug, Clone)]
struct Driven {
    location: Location,
    caller: Caller,
    attributes: Vec<(String, String)>,
    app: String,
    so: String,
}

impl Shared {
    fn term(&self) -> &str {
        self.kind.id.term().as_str()
    }

    fn basic(&self) -> String {
        let (user, password) = &self.config.cc_credentials;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    fn cc(&self) -> &str {
        self.config.cc_url.trim_end_matches('/')
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
        let resp = tokio::time::timeout(self.config.call_timeout, self.config.transport.send(req))
            .await
            .map_err(|_| {
                Upstream(format!(
                    "{method} {url}: no answer within {:?}",
                    self.config.call_timeout
                ))
            })?
            .map_err(|e| Upstream(format!("{method} {url}: {e}")))?;
        tracing::debug!(%method, %url, status = resp.status().as_u16(), "upstream call");
        Ok(resp)
    }

    /// The synchronous part of a create: the CC app. Returns the app id, its URL and the SO's
    /// `host:port`.
    // The three CC calls of Hurtle's InitSO, in order, each with its checks.
    #[allow(clippy::too_many_lines)]
    async fn request_app(&self) -> Result<(String, String, String), Upstream> {
        let basic = ("Authorization", self.basic());
        let qi = self
            .call(
                Method::GET,
                &format!("{}/-/", self.cc()),
                &[
                    basic.clone(),
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
            ("occi.app.image".to_owned(), self.config.bundle.clone()),
            (
                "occi.app.env".to_owned(),
                format!("DESIGN_URI={}", self.config.design_uri),
            ),
        ]);
        let headers = [
            basic.clone(),
            ("Category", format!("app; scheme=\"{PLATFORM_SCHEME}\"")),
            ("Content-Type", "text/occi".to_owned()),
            ("X-OCCI-Attribute", attrs),
        ];
        let created = self
            .call(Method::POST, &format!("{}/app/", self.cc()), &headers)
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
                &[basic, ("Accept", "text/occi".to_owned())],
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
        let mut all: Vec<(String, String)> = self.config.params.phase(phase).to_vec();
        all.extend(client.iter().cloned());
        attribute_list(&all)
    }

    async fn delete_app(&self, app: &str, caller: &Caller) {
        let mut h = vec![("Authorization", self.basic())];
        h.extend(caller.headers());
        match self.call(Method::DELETE, app, &h).await {
            Ok(r) if r.status().is_success() => tracing::info!(%app, "CC app deleted"),
            Ok(r) => {
                tracing::warn!(%app, status = r.status().as_u16(), "the CC app could not be deleted");
            }
            Err(Upstream(e)) => tracing::warn!(error = %e, "the CC app could not be deleted"),
        }
    }

    /// Polls the SO's stack until it is `*_COMPLETE`; `Err` on `CREATE_FAILED`/`UPDATE_FAILED`
    /// or the phase timeout.
    async fn wait_stack(&self, d: &Driven, every: Duration) -> Result<(), Upstream> {
        let url = format!("http://{}/orchestrator/default", d.so);
        let start = tokio::time::Instant::now();
        loop {
            let mut h = d.caller.headers();
            h.push(("Accept", "application/occi+json".to_owned()));
            let resp = self.call(Method::GET, &url, &h).await?;
            let state = json_attribute(&resp, "occi.mcn.stack.state").unwrap_or_default();
            if state == "CREATE_COMPLETE" || state == "UPDATE_COMPLETE" {
                return Ok(());
            }
            if state.ends_with("_FAILED") {
                return Err(Upstream(format!("the SO's stack is {state}")));
            }
            if start.elapsed() >= self.config.timings.phase_timeout {
                return Err(Upstream(format!("the SO's stack is still {state:?}")));
            }
            tokio::time::sleep(every).await;
        }
    }

    async fn action(&self, d: &Driven, term: &str) -> Result<(), Upstream> {
        let mut h = d.caller.headers();
        h.push(("Category", format!("{term}; scheme=\"{SERVICE_SCHEME}\"")));
        h.push(("Content-Type", "text/occi".to_owned()));
        let attrs = self.phase_attributes(term, &d.attributes);
        if !attrs.is_empty() {
            h.push(("X-OCCI-Attribute", attrs));
        }
        let url = format!("http://{}/orchestrator/default?action={term}", d.so);
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

    /// Stores `state` on the instance; `false` when the instance is gone (deleted).
    async fn set_state(
        &self,
        lifecycle: &Lifecycle,
        d: &Driven,
        state: &str,
        error: Option<&str>,
    ) -> bool {
        let (state_owned, error) = (state.to_owned(), error.map(str::to_owned));
        let changed = lifecycle
            .change(&d.location, Expect::Any, move |entity| {
                set_text(entity, STATE, state_owned.clone());
                if let Some(e) = &error {
                    set_text(entity, ERROR, e.clone());
                }
            })
            .await;
        match changed {
            Ok(_) => {
                tracing::info!(instance = %d.location, %state, "service instance state");
                true
            }
            Err(e) => {
                tracing::info!(instance = %d.location, error = %e, "the instance is gone; its lifecycle ends");
                false
            }
        }
    }

    async fn exists(lifecycle: &Lifecycle, d: &Driven) -> bool {
        matches!(lifecycle.get(&d.location).await, Ok(Some(_)))
    }

    async fn lifecycle(self: Arc<Self>, lifecycle: Lifecycle, d: Driven) {
        if let Err(Upstream(e)) = self.run_lifecycle(&lifecycle, &d).await {
            tracing::warn!(instance = %d.location, error = %e, "service instance failed");
            self.set_state(&lifecycle, &d, "fail", Some(&e)).await;
        }
    }

    async fn run_lifecycle(&self, lifecycle: &Lifecycle, d: &Driven) -> Result<(), Upstream> {
        let t = self.config.timings.clone();
        // Activate: the app is active and its SO answers, then the SO resource is created.
        let start = tokio::time::Instant::now();
        loop {
            let mut h = vec![
                ("Authorization", self.basic()),
                ("Accept", "application/occi+json".to_owned()),
            ];
            h.extend(d.caller.headers());
            let resp = self.call(Method::GET, &d.app, &h).await?;
            if json_attribute(&resp, "occi.app.state").as_deref() == Some("active") {
                let root = self
                    .call(
                        Method::GET,
                        &format!("http://{}/", d.so),
                        &d.caller.headers(),
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
            if !Self::exists(lifecycle, d).await {
                return Ok(());
            }
        }
        let so = format!("http://{}/orchestrator/default", d.so);
        let mut h = d.caller.headers();
        h.push((
            "Category",
            format!("orchestrator; scheme=\"{SERVICE_SCHEME}\""),
        ));
        h.push(("Content-Type", "text/occi".to_owned()));
        let attrs = self.phase_attributes("activate", &d.attributes);
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
        if !self.set_state(lifecycle, d, "activate", None).await {
            return Ok(());
        }
        // Deploy, then wait for the stack.
        self.action(d, "deploy").await?;
        self.wait_stack(d, t.deploy).await?;
        if !self.set_state(lifecycle, d, "deploy", None).await {
            return Ok(());
        }
        // Provision once the stack is ready.
        self.wait_stack(d, t.provision).await?;
        self.action(d, "provision").await?;
        self.set_state(lifecycle, d, "provision", None).await;
        Ok(())
    }

    async fn destroy(self: Arc<Self>, so: String, app: String, caller: Caller) {
        let mut h = caller.headers();
        let attrs = self.phase_attributes("destroy", &[]);
        if !attrs.is_empty() {
            h.push(("X-OCCI-Attribute", attrs));
        }
        let url = format!("http://{so}/orchestrator/default");
        if let Err(Upstream(e)) = self.call(Method::DELETE, &url, &h).await {
            tracing::warn!(error = %e, "the SO could not be deleted");
        }
        self.delete_app(&app, &caller).await;
    }
}

/// The Backend of the service Kind: each instance an SO the CC deploys, driven in the
/// background.
#[derive(Debug, Clone)]
pub struct InstanceBackend {
    shared: Arc<Shared>,
}

fn failed(message: impl Into<String>) -> BackendError {
    BackendError::new(BackendErrorKind::Failed, message)
}

fn driven(entity: &Entity, caller: Caller) -> Option<Driven> {
    Some(Driven {
        location: entity.location()?.clone(),
        caller,
        attributes: client_attributes(entity),
        app: text(entity, APP_ATTRIBUTE),
        so: text(entity, SO_ATTRIBUTE),
    })
}

impl Backend for InstanceBackend {
    async fn create(&self, hook: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        if let Some(name) = entity.attributes().keys().find(|n| is_internal(n.as_str())) {
            return Err(BackendError::new(
                BackendErrorKind::BadRequest,
                format!("{name} is the SM's own attribute; a client does not set it"),
            ));
        }
        values_as_text(entity);
        let caller = Caller::of(hook);
        let (app_id, app, so) = self.shared.request_app().await.map_err(|Upstream(e)| {
            tracing::warn!(error = %e, "the CC could not deploy an SO");
            failed(format!("the service could not be instantiated: {e}"))
        })?;
        // Created by POST (the server chose the place, named by the id's UUID), the instance
        // takes the CC app's id; created by PUT, it stays where it was put.
        if crate::placed_by_server(entity)
            && let Ok(id) = EntityId::new(&app_id)
            && let Entity::Resource(r) = entity
        {
            r.id = Some(id);
        }
        set_text(entity, STATE, "initialise");
        set_text(entity, APP_ATTRIBUTE, app);
        set_text(entity, SO_ATTRIBUTE, so);
        tracing::info!(instance = %app_id, tenant = %caller.tenant, "service instance created");
        Ok(())
    }

    async fn retrieve(&self, hook: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        let state = text(entity, STATE);
        let so = text(entity, SO_ATTRIBUTE);
        if matches!(
            state.as_str(),
            "activate" | "deploy" | "provision" | "update"
        ) {
            let mut h = Caller::of(hook).headers();
            h.push(("Accept", "text/occi".to_owned()));
            let url = format!("http://{so}/orchestrator/default");
            match self.shared.call(Method::GET, &url, &h).await {
                Ok(r) if r.status() == StatusCode::OK => {
                    let params = &self.shared.config.params;
                    for (name, value) in text_attributes(&r) {
                        if name != "occi.core.id"
                            && !params.is_param(&name)
                            && !is_internal(&name)
                            && name != STATE
                        {
                            set_text(entity, &name, value);
                        }
                    }
                }
                Ok(r) => {
                    tracing::warn!(%url, status = r.status().as_u16(), "the SO did not answer the GET");
                }
                Err(Upstream(e)) => {
                    tracing::warn!(%url, error = %e, "the SO did not answer the GET");
                }
            }
        }
        entity
            .attributes_mut()
            .retain(|n, _| !is_internal(n.as_str()));
        if let Entity::Resource(r) = entity {
            r.actions.clear();
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
        let new = changed(current, updated);
        if let Some((name, _)) = new
            .iter()
            .find(|(n, _)| is_internal(n) || n == STATE || n == ERROR)
        {
            return Err(BackendError::new(
                BackendErrorKind::BadRequest,
                format!("{name} is the SM's own attribute; a client does not set it"),
            ));
        }
        let state = text(current, STATE);
        if !matches!(state.as_str(), "provision" | "update") {
            return Err(BackendError::new(
                BackendErrorKind::Conflict,
                format!(
                    "the instance is in state {state:?}; updates are accepted once it is provisioned"
                ),
            ));
        }
        let caller = Caller::of(hook);
        let mut h = caller.headers();
        h.push(("Content-Type", "text/occi".to_owned()));
        h.push((
            "X-OCCI-Attribute",
            self.shared.phase_attributes("update", &new),
        ));
        let url = format!(
            "http://{}/orchestrator/default",
            text(current, SO_ATTRIBUTE)
        );
        match self.shared.call(Method::POST, &url, &h).await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => return Err(failed(format!("the SO refused the update: {}", r.status()))),
            Err(Upstream(e)) => return Err(failed(format!("the SO could not be updated: {e}"))),
        }
        set_text(updated, STATE, "update");
        Ok(())
    }

    async fn replace(
        &self,
        _hook: Hook<'_>,
        _current: &Entity,
        _replacement: &mut Entity,
    ) -> Result<(), BackendError> {
        Err(BackendError::new(
            BackendErrorKind::BadRequest,
            "a service instance is not replaced; update it with POST, or delete it and create another",
        ))
    }

    async fn delete(&self, _hook: Hook<'_>, _entity: &Entity) -> Result<Deletion, BackendError> {
        Ok(Deletion::Now)
    }

    async fn committed(&self, hook: Hook<'_>, event: &Event) {
        let caller = Caller::of(hook);
        match event {
            Event::Created(entity) => {
                if let Some(d) = driven(entity, caller) {
                    tokio::spawn(Arc::clone(&self.shared).lifecycle(hook.lifecycle().clone(), d));
                }
            }
            Event::Updated(entity) => {
                if let Some(d) = driven(entity, caller) {
                    let shared = Arc::clone(&self.shared);
                    tokio::spawn(async move {
                        let every = shared.config.timings.update;
                        if let Err(Upstream(e)) = shared.wait_stack(&d, every).await {
                            tracing::warn!(error = %e, "the update did not complete");
                        }
                    });
                }
            }
            Event::Deleted(entity) => {
                tracing::info!(instance = ?entity.location(), "service instance deleted");
                tokio::spawn(Arc::clone(&self.shared).destroy(
                    text(entity, SO_ATTRIBUTE),
                    text(entity, APP_ATTRIBUTE),
                    caller,
                ));
            }
            _ => {}
        }
    }

    async fn aborted(&self, hook: Hook<'_>, event: &Event) {
        if let Event::Created(entity) = event {
            let app = text(entity, APP_ATTRIBUTE);
            if !app.is_empty() {
                self.shared.delete_app(&app, &Caller::of(hook)).await;
            }
        }
    }
}

/// The HTTP service of an SM: Hurtle's token check in front of its OCCI core.
pub type SmService = Authenticated<OcciService<AnyStore, NotImplemented>, XAuthToken<TokenCheck>>;

/// The Kinds of the services the manifest depends on, read from their SMs' query
/// interfaces (`GET <sm>/-/` in JSON with the SM's own token and tenant; the first Kind with
/// a `related` is the service's, as Hurtle's SM takes it). They are listed with their
/// locations, but their instances live on those SMs: this SM creates none (400).
pub async fn discover(config: &SmConfig) -> Result<Vec<Kind>, ConfigError> {
    let shared = Shared {
        config: config.clone(),
        kind: config.manifest.kind()?,
    };
    let mut kinds = Vec::new();
    for dependency in config.manifest.dependencies()? {
        let url = config
            .dependencies
            .get(&dependency.service_type)
            .ok_or_else(|| {
                ConfigError(format!(
                    "no SM is known for the dependency {}; name it with --depends {}=URL",
                    dependency.service_type, dependency.service_type
                ))
            })?;
        let (token, tenant) = &config.service_identity;
        let qi = shared
            .call(
                Method::GET,
                &format!("{}/-/", url.trim_end_matches('/')),
                &[
                    ("Accept", "application/occi+json".to_owned()),
                    ("X-Auth-Token", token.clone()),
                    ("X-Tenant-Name", tenant.clone()),
                ],
            )
            .await
            .map_err(|Upstream(e)| {
                ConfigError(format!("the SM of {}: {e}", dependency.service_type))
            })?;
        if !qi.status().is_success() {
            return Err(ConfigError(format!(
                "the SM of {} at {url} answered its query interface with {}",
                dependency.service_type,
                qi.status()
            )));
        }
        let categories = occi_render::json::pyssf::parse_categories(
            qi.body(),
            &occi_render::ParseOptions::lenient(),
        )
        .map_err(|e| {
            ConfigError(format!(
                "the query interface of the SM of {} at {url}: {e}",
                dependency.service_type
            ))
        })?
        .value;
        let kind = categories
            .into_iter()
            .find_map(|c| match c {
                occi_model::Category::Kind(k) if k.parent.is_some() => Some(k),
                _ => None,
            })
            .ok_or_else(|| {
                ConfigError(format!(
                    "the SM of {} at {url} lists no Kind with a related category",
                    dependency.service_type
                ))
            })?;
        tracing::info!(dependency = %kind.id, %url, "dependency discovered");
        kinds.push(Kind {
            actions: Vec::new(),
            ..kind
        });
    }
    Ok(kinds)
}

/// The OCCI core of an SM for `config`, keeping its instances in `store` (the manifest's
/// dependencies are not discovered: see [`start`]).
pub fn occi(
    config: SmConfig,
    store: AnyStore,
) -> Result<occi_server::Occi<AnyStore, NotImplemented>, ConfigError> {
    occi_with(config, store, Vec::new())
}

/// The OCCI core of an SM for `config`, listing the `dependencies`' Kinds after its own.
fn occi_with(
    config: SmConfig,
    store: AnyStore,
    dependencies: Vec<Kind>,
) -> Result<occi_server::Occi<AnyStore, NotImplemented>, ConfigError> {
    let kind = config.manifest.kind()?;
    let mut registry = Registry::new(OcciVersion::V1_1);
    registry
        .register_kind(kind.clone())
        .map_err(|e| ConfigError(format!("the service Kind: {e}")))?;
    for dependency in dependencies {
        let id = dependency.id.clone();
        let parent_known = dependency
            .parent
            .as_ref()
            .is_some_and(|p| registry.kind(p).is_some());
        let dependency = if parent_known {
            dependency
        } else {
            Kind {
                parent: Some(occi_model::ext::core::resource_id()),
                ..dependency
            }
        };
        registry
            .register_kind(dependency)
            .map_err(|e| ConfigError(format!("the dependency Kind {id}: {e}")))?;
    }
    registry
        .open_attributes(&kind.id)
        .map_err(|e| ConfigError(e.to_string()))?;
    let id = kind.id.clone();
    let backend = InstanceBackend {
        shared: Arc::new(Shared { config, kind }),
    };
    crate::builder(registry)
        .store(store)
        .backend(id, backend)
        .default_backend(crate::OnlyOwnKinds)
        .build()
        .map_err(|e| ConfigError(e.to_string()))
}

/// The HTTP service of an SM for `config`, keeping its instances in `store`, ready for
/// [`occi_server::serve`].
pub fn service(config: SmConfig, store: AnyStore) -> Result<SmService, ConfigError> {
    let tokens = config.tokens.clone();
    Ok(layer(occi(config, store)?, tokens))
}

/// The token check for `tokens` in front of an SM's OCCI core.
pub fn layer(occi: occi_server::Occi<AnyStore, NotImplemented>, tokens: TokenCheck) -> SmService {
    use tower_layer::Layer as _;
    AuthLayer::new(XAuthToken::new(tokens)).layer(OcciService::new(occi))
}

/// The HTTP service of an SM for `config`, with the Kinds of the services its manifest
/// depends on discovered from their SMs ([`discover`]), over a `store` that may hold the
/// instances of an earlier run: those it was still driving (`initialise`, `activate`, `deploy`) are
/// reported `fail`, with `mcn.service.error` saying why (the end user's token, which every
/// call to their SO needs, is not kept, so they cannot be resumed); the others are served
/// as they were (a read merges the SO's attributes, an update reaches it, a delete removes
/// the SO and the CC app). Returns the service and how many instances were reported.
pub async fn start(config: SmConfig, store: AnyStore) -> Result<(SmService, usize), ConfigError> {
    let tokens = config.tokens.clone();
    let kinds = discover(&config).await?;
    let occi = occi_with(config, store, kinds)?;
    let reported = report_interrupted(&occi)
        .await
        .map_err(|e| ConfigError(format!("reading the stored instances: {e}")))?;
    Ok((layer(occi, tokens), reported))
}

/// Marks the stored instances an earlier run was still driving as `fail` (see [`start`]).
async fn report_interrupted(
    occi: &occi_server::Occi<AnyStore, NotImplemented>,
) -> Result<usize, occi_server::StoreError> {
    use occi_server::Store as _;
    let stored = occi
        .store()
        .scan(&occi_server::Scan::new(occi_server::Scope::All))
        .await?;
    let lifecycle = occi.lifecycle();
    let mut reported = 0;
    for s in stored {
        let state = text(&s.entity, STATE);
        if !matches!(state.as_str(), "initialise" | "activate" | "deploy") {
            continue;
        }
        let Some(location) = s.entity.location().cloned() else {
            continue;
        };
        let why = format!(
            "the SM restarted while the instance was in state {state}; delete it and create another"
        );
        let changed = lifecycle
            .change(&location, Expect::Revision(s.revision), move |entity| {
                set_text(entity, STATE, "fail");
                set_text(entity, ERROR, why.clone());
            })
            .await;
        match changed {
            Ok(_) => {
                tracing::warn!(instance = %location, %state, "an instance interrupted by a restart is reported fail");
                reported += 1;
            }
            Err(e) => {
                tracing::warn!(instance = %location, error = %e, "an interrupted instance could not be marked");
            }
        }
    }
    Ok(reported)
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
