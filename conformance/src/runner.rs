//! The runner: discovery, the plan, the context checks run in, and the run report.
//!
//! A run goes like this:
//!
//! 1. **Discovery.** `GET /-/` as text/plain, parsed strictly and, if that fails, leniently
//!    (the deviations are kept and make the discovery checks pass-lenient); the OCCI version
//!    comes from the `Server` header's `OCCI/x.y` token (else the single version profile
//!    selected, else 1.1). Discovery announces the selected version, or 1.1 (which every
//!    server must accept) when none or both are selected. OCCI 1.2 targets are also read as application/occi+json. A target
//!    that does not answer at all ends the run as unreachable.
//! 2. **Plan.** Every test of [`crate::checks::TESTS`] names the requirement ids its checks
//!    verify. A test runs when at least one of them is in scope: selected by the profiles and
//!    the `--only`/`--skip` globs, and applying to the target's OCCI version. A test that
//!    needs something the target does not advertise (a Kind, a Mixin, an Action) skips with
//!    the reason; a test that creates, changes or deletes skips with "needs
//!    --allow-mutation" unless mutation is allowed.
//! 3. **Tests.** Each test is a sequence of small checks ([`Ctx::check`]); every check names
//!    the requirement ids it verifies and is graded by their level ([`crate::outcome::grade`]).
//!    Whatever a test creates is named after the run id (titles, the user Mixin scheme
//!    `http://conformance.test/occi/<run id>#`, locations `/conformance-<run id>/`) and
//!    deleted after the test, whether it passed or not.
//! 4. **Report.** A [`RunReport`] with the requirements in scope, every test, the summary and
//!    the verdict.
//!
//! Every response is also watched for the rules that hold for all of them (the `Server`
//! header's version token, a `Content-Type` on every body, no 5xx), and every successful
//! `application/occi+json` response is validated against the normative JSON Schema
//! ([`crate::schema`]); the last test reports them, a schema violation as a failure of the
//! JSON requirement the document answers (QI-026 for the query interface, JSN-001 for an
//! entity, JSN-009 for a Link collection, COL-016 for other collections) with the instance and
//! schema paths.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::HeaderMap;
use http::{Method, Request};
use occi_render::ParseOptions;
use occi_render::text::{CategoryRepr, TextDocument};

use crate::catalogue::{Catalogue, Level, OcciVersion, Profile, Selection};
use crate::checks::hurtle::HurtleOptions;
use crate::checks::{TESTS, TestDef};
use crate::exchange::{Exchange, Header, HttpRequest, HttpResponse, REDACTED};
use crate::outcome::{CheckResult, Deviation, Outcome, TestResult, grade};
use crate::results::{RequirementInfo, RunOptions, RunReport};
use crate::schema::{Definition, SchemaValidator, Violation};
use crate::transport::{Transport, TransportError};

/// The scheme of the OCCI core Kinds.
pub const CORE: &str = "http://schemas.ogf.org/occi/core#";
/// The scheme of the OCCI infrastructure Kinds and Mixins.
pub const INFRA: &str = "http://schemas.ogf.org/occi/infrastructure#";

/// How to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The base URL of the target (`http://host:port`).
    pub target: String,
    /// The selected profiles (empty: all).
    pub profiles: Vec<Profile>,
    /// Strictness, mutation, globs, timeout and header names, as recorded in the report.
    pub options: RunOptions,
    /// The run id used in everything the run creates; a fresh one when `None`.
    pub run_id: Option<String>,
}

impl RunConfig {
    /// A read-only, non-strict run of every profile against `target`.
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            profiles: Vec::new(),
            options: RunOptions {
                timeout_ms: 10_000,
                ..RunOptions::default()
            },
            run_id: None,
        }
    }

    fn selection(&self) -> Selection {
        Selection::default()
            .profiles(self.profiles.iter().copied())
            .only(&self.options.only)
            .skip(&self.options.skip)
    }
}

/// A fresh run id: 12 hex digits of a random UUID.
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// Why a test stopped early.
#[derive(Debug, Clone)]
pub enum Abort {
    /// The test does not apply (the reason says why, e.g. "not advertised: …").
    Skip(String),
    /// The harness or the network failed; the exchange, if any, is evidence.
    Error(String, Option<Box<Exchange>>),
}

/// The result of a test body.
pub type TestOutcome = Result<(), Abort>;

/// A request to send; `Accept: text/plain`, a `User-Agent` with the OCCI version and (with a
/// body) `Content-Type: text/plain` are added unless set or removed.
#[derive(Debug, Clone)]
pub struct Req {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Bytes>,
    accept: Option<String>,
    content_type: Option<String>,
    /// OCCI data travel in header fields (a filter): `Content-Type: text/occi` without body.
    occi_headers: bool,
    expect_5xx: bool,
    without_extra_headers: bool,
    replaced_extra_headers: Vec<String>,
}

impl Req {
    /// A request with `method` for `path` (a path or an absolute URL).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            accept: Some("text/plain".to_owned()),
            content_type: Some("text/plain".to_owned()),
            occi_headers: false,
            expect_5xx: false,
            without_extra_headers: false,
            replaced_extra_headers: Vec::new(),
        }
    }
    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }
    /// `POST path`.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }
    /// `PUT path`.
    pub fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }
    /// `DELETE path`.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }
    /// Sets `Accept` (`None`: send none).
    #[must_use]
    pub fn accept(mut self, accept: Option<&str>) -> Self {
        self.accept = accept.map(str::to_owned);
        self
    }
    /// Sets the body's `Content-Type` (`None`: send none).
    #[must_use]
    pub fn content_type(mut self, content_type: Option<&str>) -> Self {
        self.content_type = content_type.map(str::to_owned);
        self
    }
    /// Adds a header field.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
    /// Adds an OCCI header field that filters (`Category`, `X-OCCI-Attribute`) and declares
    /// the rendering it is in: `Content-Type: text/occi`, as H11 §3.4.2 asks of a filter
    /// ("the client MUST specify the Content-Type text/occi"); a server may ignore filter
    /// headers sent without it.
    #[must_use]
    pub fn filter(self, name: &str, value: impl Into<String>) -> Self {
        self.occi_header(name, value)
    }
    /// Adds an OCCI header field (`Category`, `X-OCCI-Attribute`, `Link`) carrying the
    /// request's data in the text/occi rendering, and says so: `Content-Type: text/occi`,
    /// even without a body (PySSF reads a request without it as text/plain).
    #[must_use]
    pub fn occi_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.occi_headers = true;
        self.content_type = Some("text/occi".to_owned());
        self.header(name, value)
    }
    /// Marks the request as one whose expected answer is a 5xx (501 for a newer OCCI version),
    /// so that the answer does not count against "no 5xx anywhere".
    #[must_use]
    pub fn expect_5xx(mut self) -> Self {
        self.expect_5xx = true;
        self
    }
    /// Sends the request without the extra headers (`--header`, typically credentials).
    #[must_use]
    pub fn without_extra_headers(mut self) -> Self {
        self.without_extra_headers = true;
        self
    }
    /// Sends `name: value` instead of the extra header (`--header`) of that name.
    #[must_use]
    pub fn replacing_extra_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.replaced_extra_headers.push(name.to_ascii_lowercase());
        self.header(name, value)
    }
    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(Bytes::from(body.into()));
        self
    }
}

/// A response as the checks see it.
#[derive(Debug, Clone)]
pub struct Resp {
    /// The status code.
    pub status: u16,
    /// The header fields.
    pub headers: HeaderMap,
    /// The body, lossily decoded as UTF-8.
    pub text: String,
    /// The recorded exchange (redacted).
    pub exchange: Exchange,
}

impl Resp {
    /// `response`, which took `elapsed`, recorded (redacted) in `exchange` beside its request.
    fn recorded(
        response: http::Response<Bytes>,
        elapsed: std::time::Duration,
        mut exchange: Exchange,
    ) -> Self {
        let (parts, body) = response.into_parts();
        let text = String::from_utf8_lossy(&body).into_owned();
        exchange.duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        exchange.response = Some(HttpResponse {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| Header::new(n.as_str(), String::from_utf8_lossy(v.as_bytes())))
                .collect(),
            body: (!body.is_empty()).then(|| text.clone()),
        });
        exchange.redact();
        Resp {
            status: parts.status.as_u16(),
            headers: parts.headers,
            text,
            exchange,
        }
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The media type of `Content-Type` without parameters, lower-cased (empty if absent).
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
    /// Whether the status is 4xx.
    pub fn client_error(&self) -> bool {
        (400..500).contains(&self.status)
    }
    /// `"<status> <content-type>"`, for actual values.
    pub fn summary(&self) -> String {
        match self.header("content-type") {
            Some(ct) => format!("{} ({ct})", self.status),
            None => self.status.to_string(),
        }
    }
}

/// What discovery learnt about the target.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The OCCI version the target speaks.
    pub version: OcciVersion,
    /// Whether the version was announced in `Server` (rather than assumed).
    pub version_announced: bool,
    /// The `GET /-/` text/plain exchange.
    pub response: Resp,
    /// The categories of the text/plain query interface.
    pub categories: Vec<CategoryRepr>,
    /// Whether the text/plain body parsed strictly.
    pub strict: bool,
    /// What lenient parsing forgave (empty when strict parsing succeeded).
    pub deviations: Vec<Deviation>,
    /// Why the body did not parse at all, if it did not.
    pub parse_error: Option<String>,
    /// The `GET /-/` application/occi+json exchange and body, for OCCI 1.2.
    pub json: Option<(Resp, Option<serde_json::Value>)>,
}

/// A type identifier as text: scheme followed by term.
pub fn tid(id: &occi_model::CategoryId) -> String {
    format!("{}{}", id.scheme().as_str(), id.term().as_str())
}

impl Discovery {
    /// The category with type identifier `id` (scheme + term).
    pub fn category(&self, id: &str) -> Option<&CategoryRepr> {
        self.categories.iter().find(|c| tid(&c.id) == id)
    }
    /// The Kind `id`, if advertised.
    pub fn kind(&self, id: &str) -> Option<&CategoryRepr> {
        self.category(id)
            .filter(|c| c.class == occi_model::CategoryClass::Kind)
    }
    /// The location of the Kind or Mixin `id`, if advertised with one.
    pub fn location(&self, id: &str) -> Option<String> {
        self.category(id)
            .and_then(|c| c.location.as_ref())
            .map(|l| l.as_str().to_owned())
    }
    /// The Mixins whose `rel` names `id` (templates of `os_tpl`, say).
    pub fn mixins_related_to(&self, id: &str) -> Vec<&CategoryRepr> {
        self.categories
            .iter()
            .filter(|c| {
                c.class == occi_model::CategoryClass::Mixin && c.rel.iter().any(|r| tid(r) == id)
            })
            .collect()
    }
    /// The model version of the parser options.
    pub fn model_version(&self) -> occi_model::OcciVersion {
        model_version(self.version)
    }
}

/// The occi-model version for a catalogue version.
pub fn model_version(version: OcciVersion) -> occi_model::OcciVersion {
    match version {
        OcciVersion::V1_1 => occi_model::OcciVersion::V1_1,
        OcciVersion::V1_2 => occi_model::OcciVersion::V1_2,
    }
}

/// Something created that must be removed after the test.
#[derive(Debug, Clone)]
enum Created {
    Entity(String),
    Mixin(String),
}

/// What the JSON Schema validation of the run found for one requirement.
#[derive(Debug, Default)]
struct SchemaWatch {
    validated: usize,
    definitions: std::collections::BTreeSet<Definition>,
    bad_count: usize,
    bad: Vec<(Exchange, Vec<Violation>)>,
}

#[derive(Debug, Default)]
struct Watch {
    responses: usize,
    schema: BTreeMap<&'static str, SchemaWatch>,
    bad_server: Vec<Exchange>,
    bad_server_count: usize,
    no_content_type: Vec<Exchange>,
    no_content_type_count: usize,
    server_errors: Vec<Exchange>,
    server_error_count: usize,
}

/// The context a test runs in: transport, discovery, run id, and the checks recorded so far.
pub struct Ctx {
    transport: Arc<dyn Transport>,
    /// The run id.
    pub run_id: String,
    /// What discovery found.
    pub disc: Discovery,
    /// Whether mutating requests are allowed.
    pub allow_mutation: bool,
    strict: bool,
    header_names: Vec<String>,
    scope: BTreeMap<String, Level>,
    checks: Vec<CheckResult>,
    created: Vec<Created>,
    watch: Watch,
    counter: u32,
    /// The options of the Hurtle profiles.
    pub hurtle: HurtleOptions,
    /// The `X-Auth-Token` and `X-Tenant-Name` values of every request sent so far (as far as
    /// they are known: extra headers count as [`HurtleOptions::end_user`]).
    pub sent_identities: Vec<(Option<String>, Option<String>)>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

/// The extra headers (`--header`) `req` is sent with, as recorded: names only.
fn redacted_extra_headers(req: &Req, header_names: &[String]) -> Vec<Header> {
    if req.without_extra_headers {
        return Vec::new();
    }
    header_names
        .iter()
        .filter(|n| !req.replaced_extra_headers.contains(&n.to_ascii_lowercase()))
        .map(|n| Header::new(n.as_str(), REDACTED))
        .collect()
}

/// Tells the transport which extra headers (`--header`) to leave out of `request`.
fn mark_extra_headers(req: &Req, request: &mut Request<Bytes>) {
    if req.without_extra_headers {
        request
            .extensions_mut()
            .insert(crate::transport::WithoutExtraHeaders);
    }
    let replaced: Vec<http::HeaderName> = req
        .replaced_extra_headers
        .iter()
        .filter_map(|n| http::HeaderName::from_bytes(n.as_bytes()).ok())
        .collect();
    if !replaced.is_empty() {
        request
            .extensions_mut()
            .insert(crate::transport::ReplacedExtraHeaders(replaced));
    }
}

async fn send_raw(
    transport: &dyn Transport,
    version: OcciVersion,
    header_names: &[String],
    req: Req,
) -> Result<Resp, Abort> {
    let mut builder = Request::builder()
        .method(req.method.clone())
        .uri(req.path.as_str());
    let mut recorded = Vec::new();
    let mut push = |builder: http::request::Builder, name: &str, value: &str| {
        recorded.push(Header::new(name, value));
        builder.header(name, value)
    };
    if let Some(accept) = &req.accept {
        builder = push(builder, "Accept", accept);
    }
    if !req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
    {
        let ua = format!(
            "occi-conformance/{} OCCI/{}",
            env!("CARGO_PKG_VERSION"),
            version.as_str()
        );
        builder = push(builder, "User-Agent", &ua);
    }
    if (req.body.is_some() || req.occi_headers)
        && let Some(ct) = &req.content_type
    {
        builder = push(builder, "Content-Type", ct);
    }
    for (name, value) in &req.headers {
        builder = push(builder, name, value);
    }
    recorded.extend(redacted_extra_headers(&req, header_names));
    let body = req.body.clone().unwrap_or_default();
    let mut exchange = Exchange {
        request: HttpRequest {
            method: req.method.to_string(),
            url: transport.absolute_url(&req.path),
            headers: recorded,
            body: req
                .body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        },
        response: None,
        duration_ms: 0,
        transport_error: None,
    };
    let request = match builder.body(body) {
        Ok(mut r) => {
            mark_extra_headers(&req, &mut r);
            r
        }
        Err(e) => {
            exchange.transport_error = Some(e.to_string());
            exchange.redact();
            return Err(Abort::Error(
                format!("the harness could not build the request: {e}"),
                Some(Box::new(exchange)),
            ));
        }
    };
    match transport.send(request).await {
        Ok(timed) => Ok(Resp::recorded(timed.response, timed.elapsed, exchange)),
        Err(e) => {
            exchange.transport_error = Some(e.to_string());
            exchange.redact();
            let message = match e {
                TransportError::Timeout(_) => format!("the target did not answer in time: {e}"),
                _ => format!("no response: {e}"),
            };
            Err(Abort::Error(message, Some(Box::new(exchange))))
        }
    }
}

impl Ctx {
    /// The OCCI version under test.
    pub fn version(&self) -> OcciVersion {
        self.disc.version
    }

    /// Whether the target is tested as OCCI 1.2.
    pub fn is_1_2(&self) -> bool {
        self.disc.version == OcciVersion::V1_2
    }

    /// Whether `id` is in scope for this run.
    pub fn in_scope(&self, id: &str) -> bool {
        self.scope.contains_key(id)
    }

    /// A fresh name for something this test creates: `conformance-<run id>-<n>`.
    pub fn fresh(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("conformance-{}-{what}{}", self.run_id, self.counter)
    }

    /// The user Mixin scheme of this run.
    pub fn mixin_scheme(&self) -> String {
        format!("http://conformance.test/occi/{}#", self.run_id)
    }

    /// Sends a request, recording the exchange and watching the response.
    pub async fn send(&mut self, req: Req) -> Result<Resp, Abort> {
        let expect_5xx = req.expect_5xx;
        let identity = self.identity_of(&req);
        self.sent_identities.push(identity);
        let resp = send_raw(&*self.transport, self.disc.version, &self.header_names, req).await?;
        self.watch_response(&resp, expect_5xx);
        Ok(resp)
    }

    /// The `X-Auth-Token` and `X-Tenant-Name` values `req` goes with.
    fn identity_of(&self, req: &Req) -> (Option<String>, Option<String>) {
        let value = |name: &str, extra: &Option<String>| {
            req.headers
                .iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .or_else(|| {
                    let lower = name.to_ascii_lowercase();
                    let sent = !req.without_extra_headers
                        && !req.replaced_extra_headers.contains(&lower)
                        && self
                            .header_names
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(name));
                    if sent { extra.clone() } else { None }
                })
        };
        let user = &self.hurtle.end_user;
        (
            value("x-auth-token", &user.token),
            value("x-tenant-name", &user.tenant),
        )
    }

    /// Sends `HEAD path` on a connection of its own and reads what comes back on the wire
    /// ([`Transport::head_on_wire`]), recording the exchange and watching the response; `None`
    /// when the transport has no wire (in process), where [`Ctx::send`] sees the body the
    /// service produced.
    pub async fn head_on_wire(&mut self, path: &str) -> Option<Result<Resp, Abort>> {
        let user_agent = format!(
            "occi-conformance/{} OCCI/{}",
            env!("CARGO_PKG_VERSION"),
            self.disc.version.as_str()
        );
        let headers = vec![
            ("Accept".to_owned(), "text/plain".to_owned()),
            ("User-Agent".to_owned(), user_agent),
        ];
        let mut exchange = Exchange {
            request: HttpRequest {
                method: "HEAD".to_owned(),
                url: self.transport.absolute_url(path),
                headers: headers
                    .iter()
                    .map(|(n, v)| Header::new(n.as_str(), v.as_str()))
                    .chain(
                        self.header_names
                            .iter()
                            .map(|n| Header::new(n.as_str(), REDACTED)),
                    )
                    .chain([Header::new("Connection", "close")])
                    .collect(),
                body: None,
            },
            response: None,
            duration_ms: 0,
            transport_error: None,
        };
        let result = self.transport.head_on_wire(path, &headers)?.await;
        let wire = match result {
            Ok(wire) => wire,
            Err(e) => {
                exchange.transport_error = Some(e.to_string());
                exchange.redact();
                return Some(Err(Abort::Error(
                    format!("no response on the wire: {e}"),
                    Some(Box::new(exchange)),
                )));
            }
        };
        let resp = Resp::recorded(wire.response, wire.elapsed, exchange);
        self.watch_response(&resp, false);
        Some(Ok(resp))
    }

    fn watch_response(&mut self, resp: &Resp, expect_5xx: bool) {
        let w = &mut self.watch;
        w.responses += 1;
        let token = format!("OCCI/{}", self.disc.version.as_str());
        let server_ok = resp
            .header("server")
            .is_some_and(|s| s.split_whitespace().any(|t| t == token));
        if !server_ok {
            w.bad_server_count += 1;
            if w.bad_server.len() < 3 {
                w.bad_server.push(resp.exchange.clone());
            }
        }
        if !resp.text.is_empty() && resp.header("content-type").is_none() {
            w.no_content_type_count += 1;
            if w.no_content_type.len() < 3 {
                w.no_content_type.push(resp.exchange.clone());
            }
        }
        if resp.status >= 500 && !expect_5xx {
            w.server_error_count += 1;
            if w.server_errors.len() < 3 {
                w.server_errors.push(resp.exchange.clone());
            }
        }
        if resp.ok() && resp.media_type() == "application/occi+json" && !resp.text.is_empty() {
            let (id, definition, violations) = schema_verdict(resp);
            let watch = w.schema.entry(id).or_default();
            watch.validated += 1;
            watch.definitions.insert(definition);
            if !violations.is_empty() {
                watch.bad_count += 1;
                if watch.bad.len() < 3 {
                    watch.bad.push((resp.exchange.clone(), violations));
                }
            }
        }
    }

    /// Records a check: `ok` is what was observed; a failure is graded by the level of the
    /// requirements (the strongest one in scope). Out-of-scope ids are dropped, and a check
    /// with none left is not recorded.
    pub fn check(
        &mut self,
        ids: &[&str],
        ok: bool,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
        evidence: &[&Resp],
    ) {
        let observed = if ok { Outcome::Pass } else { Outcome::Fail };
        self.record(ids, observed, message, expected, actual, evidence, &[]);
    }

    /// Like [`Ctx::check`], for a check based on a parse that needed lenient parsing: a pass
    /// becomes pass-lenient with the deviations listed.
    #[allow(clippy::too_many_arguments)]
    pub fn check_parsed(
        &mut self,
        ids: &[&str],
        ok: bool,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
        evidence: &[&Resp],
        deviations: &[Deviation],
    ) {
        let observed = match (ok, deviations.is_empty()) {
            (false, _) => Outcome::Fail,
            (true, true) => Outcome::Pass,
            (true, false) => Outcome::PassLenient,
        };
        self.record(
            ids, observed, message, expected, actual, evidence, deviations,
        );
    }

    /// Records a check with an explicit observed outcome (for example a warning for an
    /// accepted but not recommended status code), graded by level.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        ids: &[&str],
        observed: Outcome,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
        evidence: &[&Resp],
        deviations: &[Deviation],
    ) {
        let in_scope: Vec<&str> = ids.iter().copied().filter(|id| self.in_scope(id)).collect();
        let Some(level) = in_scope.iter().filter_map(|id| self.scope.get(*id)).max() else {
            return;
        };
        let outcome = grade(observed, *level, self.strict);
        let mut check = CheckResult::new(in_scope.iter().copied(), outcome, message);
        if outcome != Outcome::Pass {
            let (expected, actual) = (expected.into(), actual.into());
            if !expected.is_empty() || !actual.is_empty() {
                check = check.expected_actual(expected, actual);
            }
            check = check.deviations(deviations.iter().cloned());
        }
        for resp in evidence {
            check = check.exchange(resp.exchange.clone());
        }
        self.checks.push(check);
    }

    /// Records a skip for `ids` with a reason.
    pub fn skip(&mut self, ids: &[&str], reason: impl Into<String>) {
        self.record(ids, Outcome::Skip, reason, "", "", &[], &[]);
    }

    /// Returns an abort that skips the rest of the test because `what` is not advertised.
    pub fn not_advertised(what: &str) -> Abort {
        Abort::Skip(format!("not advertised: {what}"))
    }

    /// Remembers an entity to delete after the test.
    pub fn created(&mut self, url: &str) {
        self.created.push(Created::Entity(url.to_owned()));
    }

    /// Remembers a user Mixin (its Category line value) to remove after the test.
    pub fn created_mixin(&mut self, category: &str) {
        self.created.push(Created::Mixin(category.to_owned()));
    }

    /// Forgets an entity that the test deleted itself.
    pub fn forget(&mut self, url: &str) {
        self.created
            .retain(|c| !matches!(c, Created::Entity(u) if u == url));
    }

    async fn cleanup(&mut self) {
        let created = std::mem::take(&mut self.created);
        // Entities first (newest first: links before their resources), then Mixins.
        for item in created.iter().rev() {
            if let Created::Entity(url) = item {
                let _ = self.send(Req::delete(url.as_str())).await;
            }
        }
        for item in created.iter().rev() {
            if let Created::Mixin(category) = item {
                let req = Req::delete("/-/").body(format!("Category: {category}\r\n"));
                let _ = self.send(req).await;
            }
        }
    }

    /// Parser options for the version under test.
    pub fn strict_options(&self) -> ParseOptions {
        ParseOptions::strict().with_version(self.disc.model_version())
    }

    /// Parses a text/plain body: strictly, else leniently with the deviations; `Err` with the
    /// diagnostics when even lenient parsing fails.
    pub fn parse_plain(&self, text: &str) -> Result<(TextDocument, Vec<Deviation>), String> {
        parse_plain(text, self.disc.model_version())
    }

    /// Parses the OCCI header fields of a text/occi response like [`Ctx::parse_plain`].
    pub fn parse_occi_headers(
        &self,
        headers: &HeaderMap,
    ) -> Result<(TextDocument, Vec<Deviation>), String> {
        let v = self.disc.model_version();
        match occi_render::text::occi::parse_document(
            headers,
            &ParseOptions::strict().with_version(v),
        ) {
            Ok(p) => Ok((p.value, Vec::new())),
            Err(strict) => match occi_render::text::occi::parse_document(
                headers,
                &ParseOptions::lenient().with_version(v),
            ) {
                Ok(p) => Ok((p.value, deviations_of(&p.deviations, Some(&strict)))),
                Err(e) => Err(e.to_string()),
            },
        }
    }
}

/// Converts occi-render deviations, adding the strict diagnostics that lenient parsing
/// forgave.
pub fn deviations_of(
    deviations: &[occi_render::Deviation],
    strict: Option<&occi_render::ParseError>,
) -> Vec<Deviation> {
    let mut out: Vec<Deviation> = deviations
        .iter()
        .map(|d| {
            Deviation::at(
                u32::try_from(d.position().line).unwrap_or(u32::MAX),
                u32::try_from(d.position().column).unwrap_or(u32::MAX),
                d.message(),
            )
        })
        .collect();
    if out.is_empty()
        && let Some(error) = strict
    {
        for d in error.diagnostics() {
            out.push(Deviation::at(
                u32::try_from(d.position().line).unwrap_or(u32::MAX),
                u32::try_from(d.position().column).unwrap_or(u32::MAX),
                format!("{} in {}: {}", d.kind(), d.rule(), d.message()),
            ));
        }
    }
    out
}

/// Parses a text/plain body strictly, else leniently (see [`Ctx::parse_plain`]).
pub fn parse_plain(
    text: &str,
    version: occi_model::OcciVersion,
) -> Result<(TextDocument, Vec<Deviation>), String> {
    use occi_render::text::plain;
    match plain::parse_document(text, &ParseOptions::strict().with_version(version)) {
        Ok(p) => Ok((p.value, Vec::new())),
        Err(strict) => {
            match plain::parse_document(text, &ParseOptions::lenient().with_version(version)) {
                Ok(p) => Ok((p.value, deviations_of(&p.deviations, Some(&strict)))),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

fn announced_version(resp: &Resp) -> Option<OcciVersion> {
    let server = resp.header("server")?;
    server.split_whitespace().find_map(|t| match t {
        "OCCI/1.1" => Some(OcciVersion::V1_1),
        "OCCI/1.2" => Some(OcciVersion::V1_2),
        _ => None,
    })
}

async fn discover(transport: &dyn Transport, config: &RunConfig) -> Result<Discovery, Abort> {
    let guess = {
        let versions: Vec<OcciVersion> =
            config.profiles.iter().filter_map(|p| p.version()).collect();
        if versions.len() == 1 {
            versions[0]
        } else {
            OcciVersion::V1_1
        }
    };
    let names = &config.options.header_names;
    let response = send_raw(transport, guess, names, Req::get("/-/")).await?;
    let (version, announced) = match announced_version(&response) {
        Some(v) => (v, true),
        None => (guess, false),
    };
    let mv = model_version(version);
    let (categories, strict, deviations, parse_error) = match parse_plain(&response.text, mv) {
        Ok((doc, devs)) => (doc.categories, devs.is_empty(), devs, None),
        Err(e) => (Vec::new(), false, Vec::new(), Some(e)),
    };
    let json = if version == OcciVersion::V1_2 {
        let req = Req::get("/-/").accept(Some("application/occi+json"));
        match send_raw(transport, version, names, req).await {
            Ok(resp) => {
                let value = serde_json::from_str(&resp.text).ok();
                Some((resp, value))
            }
            Err(_) => None,
        }
    } else {
        None
    };
    Ok(Discovery {
        version,
        version_announced: announced,
        response,
        categories,
        strict,
        deviations,
        parse_error,
        json,
    })
}

/// Runs the suite against `transport` and builds the report. `progress` is called after
/// each test with the test, its index (from 1) and the number of tests planned.
pub async fn run(
    transport: Arc<dyn Transport>,
    config: &RunConfig,
    progress: &mut dyn FnMut(&TestResult, usize, usize),
) -> RunReport {
    run_with_hurtle(transport, config, HurtleOptions::default(), progress).await
}

/// [`run`] with the options of the Hurtle profiles (`sm`, `so`, `cc`).
pub async fn run_with_hurtle(
    transport: Arc<dyn Transport>,
    config: &RunConfig,
    mut hurtle: HurtleOptions,
    progress: &mut dyn FnMut(&TestResult, usize, usize),
) -> RunReport {
    hurtle.selected.clone_from(&config.profiles);
    let started = Instant::now();
    let catalogue = Catalogue::embedded();
    let selection = config.selection();
    let mut report = RunReport::new(
        config.target.clone(),
        config.profiles.clone(),
        config.options.clone(),
    );
    let disc = match discover(&*transport, config).await {
        Ok(disc) => disc,
        Err(abort) => return unreachable_report(report, abort, started),
    };
    report.target_reachable = true;
    report.occi_version = Some(disc.version.as_str().to_owned());
    let mut scope = BTreeMap::new();
    for r in catalogue.select(&selection) {
        if r.applies_to(disc.version) {
            let level = r.level_for(disc.version);
            scope.insert(r.id.clone(), level);
            report
                .requirements
                .push(RequirementInfo::from_requirement(r, level));
        }
    }
    let mut ctx = Ctx {
        transport,
        run_id: config.run_id.clone().unwrap_or_else(new_run_id),
        allow_mutation: config.options.allow_mutation,
        strict: config.options.strict,
        header_names: config.options.header_names.clone(),
        scope,
        checks: Vec::new(),
        created: Vec::new(),
        watch: Watch::default(),
        counter: 0,
        hurtle,
        disc,
        sent_identities: Vec::new(),
    };
    let discovery = ctx.disc.response.clone();
    ctx.watch_response(&discovery, false);
    if let Some((json, _)) = ctx.disc.json.clone() {
        ctx.watch_response(&json, false);
    }
    let planned: Vec<&TestDef> = TESTS
        .iter()
        .filter(|t| t.ids.iter().any(|id| ctx.in_scope(id)))
        .collect();
    let total = planned.len() + 1;
    for (index, test) in planned.iter().enumerate() {
        let start = Instant::now();
        ctx.checks.clear();
        if test.mutating && !ctx.allow_mutation {
            ctx.skip(test.ids, "needs --allow-mutation");
        } else {
            let outcome = (test.run)(&mut ctx).await;
            ctx.cleanup().await;
            finish(&mut ctx, test.ids, outcome);
        }
        let result = TestResult::new(
            test.name,
            test.title,
            test.group,
            elapsed_ms(start),
            std::mem::take(&mut ctx.checks),
        );
        progress(&result, index + 1, total);
        report.tests.push(result);
    }
    let start = Instant::now();
    ctx.checks.clear();
    every_response(&mut ctx);
    let result = TestResult::new(
        "err.every-response",
        "Every response of the run: Server version token, Content-Type, no 5xx, JSON schema",
        "ERR",
        elapsed_ms(start),
        std::mem::take(&mut ctx.checks),
    );
    progress(&result, total, total);
    report.tests.push(result);
    report.duration_ms = elapsed_ms(started);
    report.recompute();
    report
}

fn unreachable_report(mut report: RunReport, abort: Abort, started: Instant) -> RunReport {
    let (message, exchange) = match abort {
        Abort::Error(m, e) => (m, e),
        Abort::Skip(m) => (m, None),
    };
    let mut check = CheckResult::new(["QI-001"], Outcome::Error, message);
    if let Some(e) = exchange {
        check = check.exchange(*e);
    }
    report.tests.push(TestResult::new(
        "discovery",
        "Read the query interface",
        "QI",
        elapsed_ms(started),
        vec![check],
    ));
    report.duration_ms = elapsed_ms(started);
    report.recompute();
    report
}

fn finish(ctx: &mut Ctx, ids: &[&str], outcome: TestOutcome) {
    let Err(abort) = outcome else { return };
    let checked: HashSet<String> = ctx
        .checks
        .iter()
        .flat_map(|c| c.requirements.iter().cloned())
        .collect();
    let rest: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !checked.contains(*id))
        .collect();
    let targets: Vec<&str> = if rest.is_empty() { ids.to_vec() } else { rest };
    match abort {
        Abort::Skip(reason) => {
            let rest: Vec<&str> = ids
                .iter()
                .copied()
                .filter(|id| !checked.contains(*id))
                .collect();
            if !rest.is_empty() {
                ctx.skip(&rest, reason);
            }
        }
        Abort::Error(message, exchange) => {
            let in_scope: Vec<&str> = targets.into_iter().filter(|id| ctx.in_scope(id)).collect();
            if in_scope.is_empty() {
                return;
            }
            let mut check = CheckResult::new(in_scope, Outcome::Error, message);
            if let Some(e) = exchange {
                check = check.exchange(*e);
            }
            ctx.checks.push(check);
        }
    }
}

/// Whether a request URL is for the query interface.
fn is_query_interface(url: &str) -> bool {
    let path = crate::checks::path_of(url);
    let path = path.split('?').next().unwrap_or("");
    path.ends_with("/-/") || path.ends_with("/.well-known/org/ogf/occi/-/")
}

/// The requirement a successful JSON response answers, the schema definition it is held to
/// (chosen by the document's shape, or by the request for a body that is not JSON) and what
/// it breaks.
fn schema_verdict(resp: &Resp) -> (&'static str, Definition, Vec<Violation>) {
    let query_interface = is_query_interface(&resp.exchange.request.url);
    let requirement = |definition: Definition| match definition {
        _ if query_interface => "QI-026",
        Definition::LinkCollection => "JSN-009",
        Definition::ResourceCollection | Definition::Model => "COL-016",
        Definition::Resource
        | Definition::Link
        | Definition::ActionInvocation
        | Definition::Category => "JSN-001",
    };
    match serde_json::from_str::<serde_json::Value>(&resp.text) {
        Ok(document) => {
            let definition = if query_interface {
                Definition::Model
            } else {
                Definition::for_document(&document)
            };
            let violations = SchemaValidator::shipped().validate(definition, &document);
            (requirement(definition), definition, violations)
        }
        Err(e) => {
            let definition = if query_interface {
                Definition::Model
            } else {
                Definition::Resource
            };
            let violation = Violation {
                instance_path: String::new(),
                schema_path: String::new(),
                message: format!("the body is not JSON: {e}"),
            };
            (requirement(definition), definition, vec![violation])
        }
    }
}

/// One check per JSON requirement whose responses were validated against the schema.
fn schema_checks(ctx: &mut Ctx, schema: BTreeMap<&'static str, SchemaWatch>) {
    for (id, w) in schema {
        let Some(level) = ctx.scope.get(id).copied() else {
            continue;
        };
        let definitions: Vec<String> = w
            .definitions
            .iter()
            .map(|d| format!("#/definitions/{d}"))
            .collect();
        let definitions = definitions.join(", ");
        let ok = w.bad_count == 0;
        let outcome = grade(
            if ok { Outcome::Pass } else { Outcome::Fail },
            level,
            ctx.strict,
        );
        let message = if ok {
            format!(
                "all {} application/occi+json responses validate against the OCCI JSON \
                 schema ({definitions})",
                w.validated
            )
        } else {
            format!(
                "{} of {} application/occi+json responses break the OCCI JSON schema \
                 ({definitions})",
                w.bad_count, w.validated
            )
        };
        let mut check = CheckResult::new([id], outcome, message);
        if !ok {
            let first = w
                .bad
                .first()
                .and_then(|(_, v)| v.first())
                .map(ToString::to_string)
                .unwrap_or_default();
            check = check.expected_actual(
                format!("every document validates against {definitions}"),
                format!(
                    "{} documents do not (first ones shown); first: {first}",
                    w.bad_count
                ),
            );
            let mut deviations = Vec::new();
            for (exchange, violations) in w.bad {
                deviations.extend(violations.iter().map(|v| {
                    Deviation::new(format!(
                        "{} {}: {v}",
                        exchange.request.method, exchange.request.url
                    ))
                }));
                check = check.exchange(exchange);
            }
            check = check.deviations(deviations);
        }
        ctx.checks.push(check);
    }
}

fn every_response(ctx: &mut Ctx) {
    let token = format!("OCCI/{}", ctx.disc.version.as_str());
    let w = std::mem::take(&mut ctx.watch);
    let n = w.responses;
    let push = |ctx: &mut Ctx, id: &str, count: usize, ex: Vec<Exchange>, what: &str, exp: &str| {
        let ok = count == 0;
        let level = ctx.scope.get(id).copied();
        let Some(level) = level else { return };
        let outcome = grade(
            if ok { Outcome::Pass } else { Outcome::Fail },
            level,
            ctx.strict,
        );
        let mut check = CheckResult::new(
            [id],
            outcome,
            if ok {
                format!("all {n} responses {what}")
            } else {
                format!("{count} of {n} responses did not: {what}")
            },
        );
        if !ok {
            check = check.expected_actual(
                exp,
                format!("{count} responses without it (first ones shown)"),
            );
            for e in ex {
                check = check.exchange(e);
            }
        }
        ctx.checks.push(check);
    };
    push(
        ctx,
        "ERR-010",
        w.bad_server_count,
        w.bad_server,
        &format!("carry {token} in Server"),
        &format!("a Server header with the product token {token}"),
    );
    push(
        ctx,
        "ERR-011",
        w.no_content_type_count,
        w.no_content_type,
        "with a body carry Content-Type",
        "a Content-Type header on every response with a body",
    );
    push(
        ctx,
        "ERR-017",
        w.server_error_count,
        w.server_errors,
        "are not 5xx",
        "no 5xx status",
    );
    schema_checks(ctx, w.schema);
}

fn elapsed_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}
