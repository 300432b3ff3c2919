//! Recording doubles of a Hurtle SM's peers (hurtle.md §1.6, §6.1 items 17 to 21): a Cloud
//! Controller, one Service Orchestrator per app, and a Keystone v2 token service. An SM under
//! test is pointed at them (`--cc`, `--keystone`); every request they receive is recorded
//! ([`Call`]), so that the SM's behaviour as a client can be judged.
//!
//! * The **CC double** (at the address given to [`Doubles::start`]) answers `GET /-/` with the
//!   OpenShift v3 query interface (Kind `app` of `http://schemas.ogf.org/occi/platform#` with
//!   `occi.app.image` and `occi.app.env`, actions `start`/`stop`) in text/occi, text/plain or
//!   application/occi+json; `POST /app/` creates `/app/<occi.app.name>` (201, absolute
//!   `Location`, body `OK`) and starts an SO double for it on an ephemeral loopback port;
//!   `GET /app/<id>` shows `occi.app.url="127.0.0.1:<port>"` and `occi.app.state`, `inactive`
//!   for the first two reads and `active` after; `DELETE /app/<id>` stops the SO double. Every
//!   request needs an `Authorization` header (401 without), as Hurtle's CC.
//! * The **Keystone v2 double** (same address, `/v2.0`): `POST /v2.0/tokens` answers a token
//!   document for any token and tenant, except the token `invalid` (401), or, once
//!   [`Doubles::accept_only`] named the valid tokens, any other.
//! * Each **SO double** serves `/orchestrator/default` as Hurtle's sample SO does: `PUT`
//!   creates (201), `?action=deploy` then `?action=provision` (200; otherwise 400 `Not
//!   applicable atm.`), `occi.mcn.stack.state` moving from `CREATE_IN_PROGRESS` to
//!   `CREATE_COMPLETE` (then `UPDATE_*`) after a short delay, `POST` without an action updates,
//!   `DELETE` removes; `X-OCCI-Attribute` is always present in text/occi; 403 without
//!   `X-Auth-Token` or `X-Tenant-Name`.
//!
//! Answers carry `Server: pyssf OCCI/1.1` and PySSF's wire details where an SM depends on
//! them (appendix A): `OK` bodies, every attribute value quoted, one `Category` header.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::checks::hurtle::{APP_ACTION, PLATFORM, SERVICE, split_outside_quotes, unquote};

/// The scheme of the OCCI core Kinds.
const CORE: &str = "http://schemas.ogf.org/occi/core#";
/// How many reads of an app answer `inactive` before it is `active`.
const INACTIVE_READS: u32 = 2;
/// How long a stack stays `*_IN_PROGRESS`.
const STACK_DELAY: Duration = Duration::from_millis(60);
/// The SO double's one resource.
const ID: &str = "/orchestrator/default";

/// Which double received a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Double {
    /// The Cloud Controller's northbound OCCI API.
    Cc,
    /// The Keystone v2 token service.
    Keystone,
    /// The SO of an app.
    So,
}

impl Double {
    /// `cc`, `keystone` or `so`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cc => "cc",
            Self::Keystone => "keystone",
            Self::So => "so",
        }
    }
}

/// One request a double received, as it came, with the status it was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// The order of arrival among all the doubles' calls, from 1.
    pub seq: u64,
    /// Milliseconds since the doubles started.
    pub at_ms: u64,
    /// Which double received it.
    pub double: Double,
    /// The `host:port` it was received at.
    pub address: String,
    /// The app it concerns: the app created, read or deleted (CC), or whose SO it reached.
    pub app: Option<String>,
    /// The method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Every header field, in the order received (names lower-cased).
    pub headers: Vec<(String, String)>,
    /// The body, lossily decoded as UTF-8.
    pub body: String,
    /// The status answered.
    pub status: u16,
    /// What the double answered that matters to the judgement: an app's `occi.app.state`,
    /// an SO's `occi.mcn.stack.state`, a Keystone verdict.
    pub answered: Option<String>,
}

impl Call {
    /// Every value of header `name`, joined by `", "` (`None` when absent).
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query (empty if none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The `X-OCCI-Attribute`s of the request (see [`parse_attributes`]).
    pub fn attributes(&self) -> Vec<(String, String)> {
        self.header("x-occi-attribute")
            .map(|v| parse_attributes(&v))
            .unwrap_or_default()
    }

    /// The media type the request accepts (the `Accept` value, trimmed).
    pub fn accept(&self) -> String {
        self.header("accept").unwrap_or_default().trim().to_owned()
    }

    /// The token and tenant of a Keystone `POST /v2.0/tokens` (see [`keystone_identity`]).
    pub fn keystone_identity(&self) -> Option<(String, String)> {
        keystone_identity(self.body.as_bytes())
    }

    /// One line: `#3 cc GET /app/x (Accept: text/occi) -> 200 active`.
    pub fn summary(&self) -> String {
        let accept = self
            .header("accept")
            .map(|a| format!(" (Accept: {a})"))
            .unwrap_or_default();
        let answered = self
            .answered
            .as_ref()
            .map(|a| format!(" {a}"))
            .unwrap_or_default();
        format!(
            "#{} {} {} {}{accept} -> {}{answered}",
            self.seq,
            self.double.as_str(),
            self.method,
            self.target,
            self.status
        )
    }
}

/// The attributes of an `X-OCCI-Attribute` value as PySSF reads them: split on the commas
/// outside quotes, then on the first `=`, surrounding quotes removed. Items without `=` are
/// left out.
pub fn parse_attributes(value: &str) -> Vec<(String, String)> {
    split_outside_quotes(value)
        .into_iter()
        .filter_map(|item| {
            item.split_once('=')
                .map(|(n, v)| (n.trim().to_owned(), unquote(v.trim())))
        })
        .filter(|(n, _)| !n.is_empty())
        .collect()
}

/// The token and tenant of a Keystone v2 token request body
/// (`{"auth": {"token": {"id": T}, "tenantName": N}}`); `None` unless both are strings.
pub fn keystone_identity(body: &[u8]) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = v.pointer("/auth/token/id")?.as_str()?;
    let tenant = v.pointer("/auth/tenantName")?.as_str()?;
    Some((token.to_owned(), tenant.to_owned()))
}

/// A served listener: its accept loop and its connections, stopped together.
#[derive(Debug, Default)]
struct Server {
    accept: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Server {
    fn stop(&mut self) {
        if let Some(a) = self.accept.take() {
            a.abort();
        }
        for c in lock(&self.connections).drain(..) {
            c.abort();
        }
    }
}

type Handler = Arc<dyn Fn(Request<Bytes>) -> Response<Full<Bytes>> + Send + Sync>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Serves `listener` with `handler` (one buffered request at a time per connection).
fn spawn_server(listener: TcpListener, handler: Handler) -> Server {
    let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
    let conns = Arc::clone(&connections);
    let accept = tokio::spawn(async move {
        loop {
            let Ok((io, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let handler = Arc::clone(&handler);
            let task = tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let handler = Arc::clone(&handler);
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(http_body_util::Collected::to_bytes)
                                .unwrap_or_default();
                            Ok::<_, Infallible>(handler(Request::from_parts(parts, body)))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(io), service)
                    .await;
            });
            let mut list = lock(&conns);
            list.retain(|t| !t.is_finished());
            list.push(task);
        }
    });
    Server {
        accept: Some(accept),
        connections,
    }
}

/// The orchestrator resource of an SO double.
#[derive(Debug, Clone)]
struct Orchestrator {
    attributes: Vec<(String, String)>,
    /// The stack: `CREATE` or `UPDATE`, and since when it is in progress.
    stack: Option<(&'static str, Instant)>,
    /// The applicable action, if any.
    next: Option<&'static str>,
}

impl Orchestrator {
    fn stack_state(&self) -> String {
        match self.stack {
            None => "uninitialized".to_owned(),
            Some((what, since)) if since.elapsed() < STACK_DELAY => format!("{what}_IN_PROGRESS"),
            Some((what, _)) => format!("{what}_COMPLETE"),
        }
    }
}

/// An app of the CC double.
#[derive(Debug)]
struct App {
    name: String,
    image: String,
    env: String,
    reads: u32,
    so: SocketAddr,
    server: Server,
}

#[derive(Debug)]
struct Inner {
    address: SocketAddr,
    started: Instant,
    calls: Mutex<Vec<Call>>,
    apps: Mutex<BTreeMap<String, App>>,
    orchestrators: Mutex<BTreeMap<String, Option<Orchestrator>>>,
    accepted: Mutex<Option<BTreeSet<String>>>,
    changed: tokio::sync::Notify,
    server: Mutex<Server>,
}

/// The running doubles (cheap to clone: every clone is the same doubles).
#[derive(Clone)]
pub struct Doubles {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Doubles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doubles")
            .field("address", &self.inner.address)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Doubles {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Doubles {}

/// What handling a request gives: the answer, the app it concerns, what was answered.
struct Handled {
    response: Response<Full<Bytes>>,
    app: Option<String>,
    answered: Option<String>,
}

impl Handled {
    fn plain(status: StatusCode, body: &str) -> Self {
        Self {
            response: respond(status, "text/plain", body.to_owned(), Vec::new()),
            app: None,
            answered: None,
        }
    }
    fn json(status: StatusCode, body: &serde_json::Value) -> Self {
        Self {
            response: respond(status, "application/json", body.to_string(), Vec::new()),
            app: None,
            answered: None,
        }
    }
    fn app(mut self, app: &str) -> Self {
        self.app = Some(app.to_owned());
        self
    }
    fn answered(mut self, answered: impl Into<String>) -> Self {
        self.answered = Some(answered.into());
        self
    }
}

fn respond(
    status: StatusCode,
    content_type: &str,
    body: String,
    headers: Vec<(&'static str, String)>,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert("server", HeaderValue::from_static("pyssf OCCI/1.1"));
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert("content-type", v);
    }
    for (n, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.append(n, v);
        }
    }
    r
}

fn accept_of(req: &Request<Bytes>) -> String {
    req.headers()
        .get_all("accept")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

fn header_of(req: &Request<Bytes>, name: &str) -> Option<String> {
    let values: Vec<String> = req
        .headers()
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn host_of(req: &Request<Bytes>, fallback: SocketAddr) -> String {
    header_of(req, "host").unwrap_or_else(|| fallback.to_string())
}

fn quoted(attributes: &[(String, String)]) -> String {
    attributes
        .iter()
        .map(|(n, v)| format!("{n}=\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An entity in the rendering `accept` asks for (PySSF: text/occi headers, JSON, or
/// text/plain lines).
fn entity(
    accept: &str,
    status: StatusCode,
    kind: (&str, &str, &str),
    actions: &[(&str, &str, &str)],
    attributes: &[(String, String)],
) -> Response<Full<Bytes>> {
    let (term, scheme, location) = kind;
    let category = format!("{term}; scheme=\"{scheme}\"; class=\"kind\"");
    let links: Vec<String> = actions
        .iter()
        .map(|(id, term, scheme)| format!("<{id}?action={term}>; rel=\"{scheme}{term}\""))
        .collect();
    if accept.contains("application/occi+json") {
        let attrs: serde_json::Map<String, serde_json::Value> = attributes
            .iter()
            .map(|(n, v)| (n.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let body = serde_json::json!({
            "kind": {"term": term, "scheme": scheme, "location": location,
                     "related": [format!("{CORE}resource")]},
            "attributes": attrs,
            "actions": actions.iter().map(|(id, term, scheme)| serde_json::json!({
                "kind": {"term": term, "scheme": scheme},
                "link": format!("{id}?action={term}"),
            })).collect::<Vec<_>>(),
            "links": [],
            "mixins": [],
        });
        return respond(
            status,
            "application/occi+json",
            body.to_string(),
            Vec::new(),
        );
    }
    if accept.contains("text/occi") {
        let mut headers = vec![("category", category)];
        headers.extend(links.into_iter().map(|l| ("link", l)));
        headers.push(("x-occi-attribute", quoted(attributes)));
        return respond(status, "text/occi", "OK".to_owned(), headers);
    }
    let mut body = format!("Category: {category}\n");
    for l in links {
        let _ = writeln!(body, "Link: {l}");
    }
    for (n, v) in attributes {
        let _ = writeln!(body, "X-OCCI-Attribute: {n}=\"{v}\"");
    }
    respond(status, "text/plain", body, Vec::new())
}

/// A query interface of `categories` (text/occi value, JSON object) in the rendering asked.
fn query_interface(
    accept: &str,
    categories: &[(String, serde_json::Value)],
) -> Response<Full<Bytes>> {
    if accept.contains("application/occi+json") {
        let list: Vec<&serde_json::Value> = categories.iter().map(|(_, j)| j).collect();
        return respond(
            StatusCode::OK,
            "application/occi+json",
            serde_json::Value::from(list.into_iter().cloned().collect::<Vec<_>>()).to_string(),
            Vec::new(),
        );
    }
    let values: Vec<&str> = categories.iter().map(|(t, _)| t.as_str()).collect();
    if accept.contains("text/occi") {
        return respond(
            StatusCode::OK,
            "text/occi",
            "OK".to_owned(),
            vec![("category", values.join(", "))],
        );
    }
    let mut body = String::new();
    for v in &values {
        let _ = writeln!(body, "Category: {v}");
    }
    respond(StatusCode::OK, "text/plain", body, Vec::new())
}

fn cc_categories(host: &str) -> Vec<(String, serde_json::Value)> {
    let action = |term: &str| {
        (
            format!("{term}; scheme=\"{APP_ACTION}\"; class=\"action\""),
            serde_json::json!({"term": term, "scheme": APP_ACTION}),
        )
    };
    vec![
        action("start"),
        action("stop"),
        (
            format!(
                "app; scheme=\"{PLATFORM}\"; class=\"kind\"; title=\"A PaaS application.\"; \
                 rel=\"{CORE}resource\"; location=\"http://{host}/app/\"; \
                 attributes=\"occi.app.name{{required}} occi.app.image{{required}} occi.app.env \
                 occi.app.state{{immutable}}\"; actions=\"{APP_ACTION}start {APP_ACTION}stop\""
            ),
            serde_json::json!({
                "term": "app", "scheme": PLATFORM, "title": "A PaaS application.",
                "related": [format!("{CORE}resource")], "location": "/app/",
                "attributes": {"occi.app.name": "required", "occi.app.image": "required",
                               "occi.app.env": "muttable", "occi.app.state": "immutable"},
                "actions": [format!("{APP_ACTION}start"), format!("{APP_ACTION}stop")],
            }),
        ),
    ]
}

fn so_categories(host: &str) -> Vec<(String, serde_json::Value)> {
    let action = |term: &str| {
        (
            format!("{term}; scheme=\"{SERVICE}\"; class=\"action\""),
            serde_json::json!({"term": term, "scheme": SERVICE}),
        )
    };
    vec![
        (
            format!(
                "orchestrator; scheme=\"{SERVICE}\"; class=\"kind\"; rel=\"{CORE}resource\"; \
                 location=\"http://{host}/orchestrator/\"; attributes=\"occi.mcn.stack.state{{immutable}} \
                 occi.mcn.stack.id{{immutable}}\"; actions=\"{SERVICE}deploy {SERVICE}provision\""
            ),
            serde_json::json!({
                "term": "orchestrator", "scheme": SERVICE, "related": [format!("{CORE}resource")],
                "location": "/orchestrator/",
                "attributes": {"occi.mcn.stack.state": "immutable", "occi.mcn.stack.id": "immutable"},
                "actions": [format!("{SERVICE}deploy"), format!("{SERVICE}provision")],
            }),
        ),
        action("provision"),
        action("deploy"),
    ]
}

/// Whether the `Category` header names `term` of `scheme`.
fn names_category(req: &Request<Bytes>, term: &str, scheme: &str) -> bool {
    let value = header_of(req, "category").unwrap_or_default();
    value.split(',').any(|c| {
        let mut parts = c.split(';').map(str::trim);
        parts.next() == Some(term)
            && parts.any(|p| {
                p.strip_prefix("scheme=")
                    .is_some_and(|s| unquote(s.trim()) == scheme)
            })
    })
}

impl Doubles {
    /// Binds the CC and Keystone doubles at `address` (`127.0.0.1:19000`; port 0 for any)
    /// and serves them on the current tokio runtime until [`Doubles::stop`].
    pub async fn start(address: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address).await?;
        let inner = Arc::new(Inner {
            address: listener.local_addr()?,
            started: Instant::now(),
            calls: Mutex::default(),
            apps: Mutex::default(),
            orchestrators: Mutex::default(),
            accepted: Mutex::default(),
            changed: tokio::sync::Notify::new(),
            server: Mutex::default(),
        });
        let doubles = Self { inner };
        let this = doubles.clone();
        let handler: Handler = Arc::new(move |req| {
            let arrived = this.inner.started.elapsed();
            let (double, handled) = if req.uri().path().starts_with("/v2.0") {
                (Double::Keystone, this.keystone(&req))
            } else {
                (Double::Cc, this.cc(&req))
            };
            this.record(double, this.inner.address, arrived, &req, &handled);
            handled.response
        });
        *lock(&doubles.inner.server) = spawn_server(listener, handler);
        Ok(doubles)
    }

    /// The address the CC and Keystone doubles listen at.
    pub fn address(&self) -> SocketAddr {
        self.inner.address
    }

    /// The CC's northbound URL to configure the SM with (`--cc`).
    pub fn cc_url(&self) -> String {
        format!("http://{}", self.inner.address)
    }

    /// The Keystone v2 URL to configure the SM with (`--keystone`).
    pub fn keystone_url(&self) -> String {
        format!("http://{}/v2.0", self.inner.address)
    }

    /// From now on the Keystone double accepts only these tokens (for any tenant).
    pub fn accept_only(&self, tokens: impl IntoIterator<Item = String>) {
        *lock(&self.inner.accepted) = Some(tokens.into_iter().collect());
    }

    /// Every call so far, in order of arrival.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.inner.calls).clone()
    }

    /// The calls after the one numbered `seq` (all of them for 0).
    pub fn calls_after(&self, seq: u64) -> Vec<Call> {
        lock(&self.inner.calls)
            .iter()
            .filter(|c| c.seq > seq)
            .cloned()
            .collect()
    }

    /// The number of the last call (0 before any).
    pub fn last_seq(&self) -> u64 {
        lock(&self.inner.calls).last().map_or(0, |c| c.seq)
    }

    /// Completes when a call is recorded after this is called.
    pub async fn changed(&self) {
        self.inner.changed.notified().await;
    }

    /// The apps that exist (their SO doubles answer).
    pub fn apps(&self) -> Vec<String> {
        lock(&self.inner.apps).keys().cloned().collect()
    }

    /// Stops the doubles and every SO double.
    pub fn stop(&self) {
        lock(&self.inner.server).stop();
        for (_, mut app) in std::mem::take(&mut *lock(&self.inner.apps)) {
            app.server.stop();
        }
    }

    fn record(
        &self,
        double: Double,
        address: SocketAddr,
        arrived: Duration,
        req: &Request<Bytes>,
        handled: &Handled,
    ) {
        let mut calls = lock(&self.inner.calls);
        let seq = calls.last().map_or(1, |c| c.seq + 1);
        calls.push(Call {
            seq,
            at_ms: u64::try_from(arrived.as_millis()).unwrap_or(u64::MAX),
            double,
            address: address.to_string(),
            app: handled.app.clone(),
            method: req.method().to_string(),
            target: req
                .uri()
                .path_and_query()
                .map_or_else(|| req.uri().to_string(), ToString::to_string),
            headers: req
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: String::from_utf8_lossy(req.body()).into_owned(),
            status: handled.response.status().as_u16(),
            answered: handled.answered.clone(),
        });
        drop(calls);
        self.inner.changed.notify_waiters();
    }

    fn keystone(&self, req: &Request<Bytes>) -> Handled {
        let path = req.uri().path().trim_end_matches('/');
        if path == "/v2.0" && req.method() == Method::GET {
            let body = serde_json::json!({"version": {"id": "v2.0", "status": "stable"}});
            return Handled::json(StatusCode::OK, &body);
        }
        if path != "/v2.0/tokens" || req.method() != Method::POST {
            return Handled::plain(StatusCode::NOT_FOUND, "The resource could not be found.");
        }
        let unauthorized = |why: &str| {
            let body = serde_json::json!({"error": {
                "message": "The request you have made requires authentication.",
                "code": 401, "title": "Unauthorized"}});
            Handled::json(StatusCode::UNAUTHORIZED, &body).answered(why)
        };
        let Some((token, tenant)) = keystone_identity(req.body()) else {
            return unauthorized("refused: no token or tenantName");
        };
        let accepted = match &*lock(&self.inner.accepted) {
            Some(set) => set.contains(&token),
            None => token != "invalid",
        };
        if !accepted {
            return unauthorized("refused");
        }
        let body = serde_json::json!({"access": {
            "token": {"id": token, "issued_at": "2026-01-01T00:00:00.000000Z",
                      "expires": "2099-01-01T00:00:00Z",
                      "tenant": {"id": format!("id-{tenant}"), "name": tenant, "enabled": true,
                                 "description": null}},
            "user": {"id": format!("user-{tenant}"), "name": format!("user-{tenant}"),
                     "username": format!("user-{tenant}"), "roles": [{"name": "_member_"}],
                     "roles_links": []},
            "serviceCatalog": [],
            "metadata": {"is_admin": 0, "roles": []}}});
        Handled::json(StatusCode::OK, &body).answered(format!("accepted for tenant {tenant}"))
    }

    fn cc(&self, req: &Request<Bytes>) -> Handled {
        if req.headers().get("authorization").is_none() {
            return Handled::plain(
                StatusCode::UNAUTHORIZED,
                "Please provide authentication headers.",
            );
        }
        let path = req.uri().path().to_owned();
        let accept = accept_of(req);
        let host = host_of(req, self.inner.address);
        match (req.method().clone(), path.as_str()) {
            (Method::GET, "/-/" | "/.well-known/org/ogf/occi/-/") => Handled {
                response: query_interface(&accept, &cc_categories(&host)),
                app: None,
                answered: None,
            },
            (Method::GET, "/app/") => Handled::plain(
                StatusCode::BAD_REQUEST,
                "'OpenShift3Adapter' object has no attribute 'list_apps'",
            ),
            (Method::POST, "/app/") => self.create_app(req, &host),
            (method, p) if p.starts_with("/app/") => {
                let id = p.trim_start_matches("/app/").to_owned();
                match method {
                    Method::GET => self.read_app(&id, &accept, &path),
                    Method::DELETE => self.delete_app(&id, &path),
                    Method::POST if req.uri().query().is_some() => Handled::plain(
                        StatusCode::BAD_REQUEST,
                        "This action is currently not applicable.",
                    )
                    .app(&id),
                    _ => Handled::plain(StatusCode::METHOD_NOT_ALLOWED, "Method not supported.")
                        .app(&id),
                }
            }
            _ => Handled::plain(
                StatusCode::NOT_FOUND,
                &format!("Resource not found: '{path}'"),
            ),
        }
    }

    fn create_app(&self, req: &Request<Bytes>, host: &str) -> Handled {
        if !names_category(req, "app", PLATFORM) {
            return Handled::plain(StatusCode::BAD_REQUEST, "Could not find a valid kind.");
        }
        let attributes = parse_attributes(&header_of(req, "x-occi-attribute").unwrap_or_default());
        let get = |n: &str| {
            attributes
                .iter()
                .find(|(a, _)| a == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let (name, image, env) = (
            get("occi.app.name"),
            get("occi.app.image"),
            get("occi.app.env"),
        );
        if name.is_empty() {
            return Handled::plain(
                StatusCode::BAD_REQUEST,
                "occi.app.name is a required attribute",
            );
        }
        if name.chars().count() > 24 {
            return Handled::plain(
                StatusCode::BAD_REQUEST,
                "occi.app.name must not be greater than 24 characters",
            );
        }
        if image.is_empty() {
            return Handled::plain(
                StatusCode::BAD_REQUEST,
                "Please provide a valid docker image name.",
            );
        }
        if name.contains('/') || lock(&self.inner.apps).contains_key(&name) {
            return Handled::plain(
                StatusCode::BAD_REQUEST,
                &format!("occi.app.name {name:?} is taken or not a valid name"),
            );
        }
        let server = match self.start_so(&name) {
            Ok(s) => s,
            Err(e) => {
                return Handled::plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("the SO double could not start: {e}"),
                );
            }
        };
        lock(&self.inner.apps).insert(
            name.clone(),
            App {
                name: name.clone(),
                image,
                env,
                reads: 0,
                so: server.0,
                server: server.1,
            },
        );
        Handled {
            response: respond(
                StatusCode::CREATED,
                "text/plain",
                "OK".to_owned(),
                vec![("location", format!("http://{host}/app/{name}"))],
            ),
            app: Some(name),
            answered: None,
        }
    }

    fn read_app(&self, id: &str, accept: &str, path: &str) -> Handled {
        let mut apps = lock(&self.inner.apps);
        let Some(app) = apps.get_mut(id) else {
            return Handled::plain(
                StatusCode::NOT_FOUND,
                &format!("Resource not found: '{path}'"),
            )
            .app(id);
        };
        app.reads += 1;
        let state = if app.reads <= INACTIVE_READS {
            "inactive"
        } else {
            "active"
        };
        let attributes = vec![
            ("occi.app.state".to_owned(), state.to_owned()),
            ("occi.app.image".to_owned(), app.image.clone()),
            ("occi.app.name".to_owned(), app.name.clone()),
            ("occi.app.env".to_owned(), app.env.clone()),
            ("occi.app.scale".to_owned(), "False".to_owned()),
            ("occi.app.url".to_owned(), app.so.to_string()),
            ("occi.core.id".to_owned(), app.name.clone()),
        ];
        Handled {
            response: entity(
                accept,
                StatusCode::OK,
                ("app", PLATFORM, "/app/"),
                &[],
                &attributes,
            ),
            app: Some(id.to_owned()),
            answered: Some(state.to_owned()),
        }
    }

    fn delete_app(&self, id: &str, path: &str) -> Handled {
        let removed = lock(&self.inner.apps).remove(id);
        match removed {
            Some(mut app) => {
                app.server.stop();
                Handled::plain(StatusCode::OK, "OK").app(id)
            }
            None => Handled::plain(
                StatusCode::NOT_FOUND,
                &format!("Resource not found: '{path}'"),
            )
            .app(id),
        }
    }

    /// Starts the SO double of app `id` on an ephemeral loopback port.
    fn start_so(&self, id: &str) -> std::io::Result<(SocketAddr, Server)> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(std_listener)?;
        let address = listener.local_addr()?;
        lock(&self.inner.orchestrators).insert(id.to_owned(), None);
        let this = self.clone();
        let app = id.to_owned();
        let handler: Handler = Arc::new(move |req| {
            let arrived = this.inner.started.elapsed();
            let handled = this.so(&app, address, &req).app(&app);
            this.record(Double::So, address, arrived, &req, &handled);
            handled.response
        });
        Ok((address, spawn_server(listener, handler)))
    }

    #[allow(clippy::too_many_lines)]
    fn so(&self, app: &str, address: SocketAddr, req: &Request<Bytes>) -> Handled {
        for (name, what) in [
            ("x-auth-token", "X-Auth-Token"),
            ("x-tenant-name", "X-Tenant-Name"),
        ] {
            if req.headers().get(name).is_none() {
                return Handled::plain(StatusCode::FORBIDDEN, &format!("{what} required..."));
            }
        }
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or("").to_owned();
        let accept = accept_of(req);
        let host = host_of(req, address);
        let mut all = lock(&self.inner.orchestrators);
        let slot = all.entry(app.to_owned()).or_default();
        let render = |o: &Orchestrator, status: StatusCode| {
            let state = o.stack_state();
            let mut attributes = vec![
                ("occi.core.id".to_owned(), ID.to_owned()),
                ("occi.mcn.stack.state".to_owned(), state.clone()),
                (
                    "occi.mcn.stack.id".to_owned(),
                    if o.stack.is_some() {
                        format!("RegionOne:{app}")
                    } else {
                        "N/A".to_owned()
                    },
                ),
            ];
            if o.stack.is_some() {
                attributes.push(("mcn.endpoint.api".to_owned(), "127.0.0.1:9".to_owned()));
            }
            for (n, v) in &o.attributes {
                if let Some(slot) = attributes.iter_mut().find(|(a, _)| a == n) {
                    slot.1.clone_from(v);
                } else {
                    attributes.push((n.clone(), v.clone()));
                }
            }
            let actions: Vec<(&str, &str, &str)> =
                o.next.iter().map(|t| (ID, *t, SERVICE)).collect();
            Handled {
                response: entity(
                    &accept,
                    status,
                    ("orchestrator", SERVICE, "/orchestrator/"),
                    &actions,
                    &attributes,
                ),
                app: None,
                answered: Some(state),
            }
        };
        let not_found = || {
            Handled::plain(
                StatusCode::NOT_FOUND,
                &format!("Resource not found: '{path}'"),
            )
        };
        let sent = parse_attributes(&header_of(req, "x-occi-attribute").unwrap_or_default());
        match (req.method().clone(), path.as_str()) {
            (Method::GET, "/") => {
                if accept.contains("application/occi+json") {
                    let list: Vec<String> =
                        slot.iter().map(|_| format!("http://{host}{ID}")).collect();
                    Handled {
                        response: respond(
                            StatusCode::OK,
                            "application/occi+json",
                            serde_json::json!(list).to_string(),
                            Vec::new(),
                        ),
                        app: None,
                        answered: None,
                    }
                } else {
                    Handled::plain(StatusCode::OK, "OK")
                }
            }
            (Method::GET, "/-/" | "/.well-known/org/ogf/occi/-/") => Handled {
                response: query_interface(&accept, &so_categories(&host)),
                app: None,
                answered: None,
            },
            (Method::PUT, ID) => {
                if !names_category(req, "orchestrator", SERVICE) {
                    return Handled::plain(StatusCode::BAD_REQUEST, "Could not find a valid kind.");
                }
                let status = if slot.is_some() {
                    StatusCode::OK
                } else {
                    StatusCode::CREATED
                };
                *slot = Some(Orchestrator {
                    attributes: sent,
                    stack: None,
                    next: Some("deploy"),
                });
                if status == StatusCode::CREATED {
                    Handled {
                        response: respond(
                            status,
                            "text/plain",
                            "OK".to_owned(),
                            vec![("location", format!("http://{host}{ID}"))],
                        ),
                        app: None,
                        answered: Some("created".to_owned()),
                    }
                } else {
                    render(slot.as_ref().expect("just set"), status)
                }
            }
            (Method::GET, ID) => match slot {
                Some(o) => render(o, StatusCode::OK),
                None => not_found(),
            },
            (Method::POST, ID) => {
                let Some(o) = slot.as_mut() else {
                    return not_found();
                };
                let action = query.strip_prefix("action=").map(str::to_owned);
                match action.as_deref() {
                    None => {
                        merge(&mut o.attributes, sent);
                        o.stack = Some(("UPDATE", Instant::now()));
                        render(o, StatusCode::OK)
                    }
                    Some(term @ ("deploy" | "provision")) => {
                        if !names_category(req, term, SERVICE) {
                            return Handled::plain(
                                StatusCode::BAD_REQUEST,
                                "The action's Category is missing.",
                            );
                        }
                        if o.next != Some(term) {
                            return Handled::plain(StatusCode::BAD_REQUEST, "Not applicable atm.");
                        }
                        merge(&mut o.attributes, sent);
                        if term == "deploy" {
                            o.stack = Some(("CREATE", Instant::now()));
                            o.next = Some("provision");
                        } else {
                            o.stack = Some(("UPDATE", Instant::now()));
                            o.next = None;
                        }
                        render(o, StatusCode::OK)
                    }
                    Some(_) => Handled::plain(StatusCode::BAD_REQUEST, "Not applicable atm."),
                }
            }
            (Method::DELETE, ID) => {
                if slot.take().is_some() {
                    Handled::plain(StatusCode::OK, "OK").answered("deleted")
                } else {
                    not_found()
                }
            }
            _ => not_found(),
        }
    }
}

fn merge(into: &mut Vec<(String, String)>, new: Vec<(String, String)>) {
    for (n, v) in new {
        if let Some(slot) = into.iter_mut().find(|(a, _)| *a == n) {
            slot.1 = v;
        } else {
            into.push((n, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn attributes_are_read_as_pyssf_reads_them() {
        assert_eq!(
            parse_attributes(
                "occi.app.name=\"sosamp1\", occi.app.env=\"DESIGN_URI=http://k/v2.0\", n=2, junk"
            ),
            vec![
                ("occi.app.name".to_owned(), "sosamp1".to_owned()),
                (
                    "occi.app.env".to_owned(),
                    "DESIGN_URI=http://k/v2.0".to_owned()
                ),
                ("n".to_owned(), "2".to_owned()),
            ]
        );
        assert!(parse_attributes("").is_empty());
        assert_eq!(
            keystone_identity(br#"{"auth": {"token": {"id": "t"}, "tenantName": "demo"}}"#),
            Some(("t".to_owned(), "demo".to_owned()))
        );
        assert_eq!(keystone_identity(b"{\"auth\": 1}"), None);
        assert_eq!(keystone_identity(b"not json"), None);
    }

    proptest! {
        #[test]
        fn parsing_what_is_recorded_never_panics(value in ".{0,200}", body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_attributes(&value);
            let _ = keystone_identity(&body);
            let _ = keystone_identity(value.as_bytes());
        }
    }
}
