//! The tests: each a sequence of small checks naming the requirement ids they verify.
//!
//! [`TESTS`] is the plan in run order; [`TestDef::ids`] lists every requirement id the test's
//! checks name, which is what selection and the catalogue's `automated` status are based on
//! (a test in the crate's tests keeps the two in step).

// A test reads as the sequence of requests and checks of its spec section, so test bodies are
// long, and the short names (`r` for a response, `g` for a GET, `d` for its document) keep
// the check lines readable.
// Request bodies are built line by line with `format!`, and status policies are spelt out
// arm by arm even where two arms agree.
#![allow(
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::similar_names,
    clippy::format_push_string,
    clippy::match_same_arms
)]

use occi_model::AttributeValue;
use occi_render::text::TextDocument;

use crate::outcome::Deviation;
use crate::runner::{Abort, CORE, Ctx, INFRA, Req, Resp, TestOutcome, tid};
use crate::transport::BoxFuture;

mod entities;
mod errors;
mod http;
pub mod hurtle;
mod infra;
mod query;
mod relations;
mod renderings;

/// One test: its name, title, group, the requirement ids its checks name, whether it
/// creates, changes or deletes anything, and its body.
#[derive(Debug)]
pub struct TestDef {
    /// Stable name (`qi.discovery`).
    pub name: &'static str,
    /// One-line description.
    pub title: &'static str,
    /// The assertion group it is reported under.
    pub group: &'static str,
    /// Every requirement id its checks name.
    pub ids: &'static [&'static str],
    /// Whether it needs `--allow-mutation`.
    pub mutating: bool,
    /// The body.
    pub run: for<'a> fn(&'a mut Ctx) -> BoxFuture<'a, TestOutcome>,
}

macro_rules! test {
    ($name:literal, $title:literal, $group:literal, [$($id:literal),* $(,)?], $mutating:expr, $f:path) => {
        TestDef {
            name: $name,
            title: $title,
            group: $group,
            ids: &[$($id),*],
            mutating: $mutating,
            run: |ctx| Box::pin($f(ctx)),
        }
    };
}

/// Every test, in run order: read-only ones first.
pub static TESTS: &[TestDef] = &[
    test!(
        "qi.discovery",
        "GET /-/ answers a parseable text/plain category collection",
        "QI",
        ["QI-001", "TXT-001", "TXT-002", "TXT-003", "QI-009"],
        false,
        query::discovery
    ),
    test!(
        "qi.core-kinds",
        "The core Kinds and their hierarchy",
        "QI",
        ["QI-002", "QI-003", "QI-005"],
        false,
        query::core_kinds
    ),
    test!(
        "qi.locations",
        "Locations and identifiers of the query interface",
        "QI",
        ["QI-004", "QI-006", "QI-007", "QI-008"],
        false,
        query::locations
    ),
    test!(
        "qi.well-known",
        "The well-known query interface mirrors /-/",
        "QI",
        ["QI-010"],
        false,
        query::well_known
    ),
    test!(
        "qi.filter",
        "Filtering the query interface",
        "QI",
        ["QI-011", "QI-012", "QI-013", "QI-014"],
        false,
        query::filter
    ),
    test!(
        "qi.json",
        "The query interface as application/occi+json",
        "QI",
        [
            "QI-026", "QI-027", "JSN-004", "JSN-005", "JSN-006", "JSN-007", "JSN-008", "MIX-014"
        ],
        false,
        query::json
    ),
    test!(
        "qi.other-renderings",
        "The query interface as text/occi, text/occi+plain and text/uri-list",
        "OCC",
        ["OCC-005", "TXT-016", "URI-003"],
        false,
        query::other_renderings
    ),
    test!(
        "err.negotiation",
        "Content negotiation and versions",
        "ERR",
        [
            "ERR-001", "ERR-002", "ERR-003", "ERR-006", "ERR-008", "ERR-009", "ENT-025", "COL-017"
        ],
        false,
        errors::negotiation
    ),
    test!(
        "htp.framing",
        "Negotiation with q-values and parameters; HEAD and Content-Length framing",
        "HTP",
        ["HTP-007", "HTP-008", "HTP-009", "HTP-010"],
        false,
        http::framing
    ),
    test!(
        "inf.model",
        "The infrastructure Kinds, Mixins and Actions",
        "INF",
        [
            "INF-001", "INF-002", "INF-003", "INF-004", "INF-005", "INF-006", "INF-007", "INF-008",
            "INF-009", "INF-023", "ACT-013", "MIX-009"
        ],
        false,
        infra::model
    ),
    test!(
        "qi.user-mixins",
        "Adding and refusing user Mixins on /-/",
        "QI",
        [
            "QI-015", "QI-016", "QI-017", "QI-018", "QI-019", "QI-020", "QI-023", "QI-025",
            "TXT-014", "TXT-015", "MIX-013"
        ],
        true,
        query::user_mixins
    ),
    test!(
        "qi.provider-categories",
        "Provider categories cannot be removed",
        "QI",
        ["QI-022", "QI-024"],
        true,
        query::provider_categories
    ),
    test!(
        "ent.lifecycle",
        "Create, read, update and delete a compute",
        "ENT",
        [
            "ENT-001", "ENT-002", "ENT-003", "ENT-004", "ENT-005", "ENT-017", "ENT-020", "ENT-021",
            "ENT-022", "ENT-023", "ENT-024", "ENT-026", "ENT-027", "ENT-029", "ENT-030", "ENT-031",
            "ERR-007", "TXT-004"
        ],
        true,
        entities::lifecycle
    ),
    test!(
        "ent.create-errors",
        "Bad create requests are refused and create nothing",
        "ENT",
        [
            "ENT-006", "ENT-007", "ENT-008", "ENT-009", "ENT-010", "ENT-011", "ENT-012", "ENT-013",
            "ENT-015", "ERR-004", "ERR-005", "ERR-014", "ERR-015", "INF-013", "INF-014", "INF-022"
        ],
        true,
        entities::create_errors
    ),
    test!(
        "ent.templates",
        "Creating with templates and at a chosen path",
        "ENT",
        ["ENT-014", "ENT-016", "ENT-019", "MIX-010", "MIX-011"],
        true,
        entities::templates
    ),
    test!(
        "txt.requests",
        "text/plain request bodies: quoting, lists, case, whitespace",
        "TXT",
        [
            "TXT-005", "TXT-006", "TXT-007", "TXT-008", "TXT-009", "TXT-010", "TXT-011", "TXT-012",
            "TXT-013", "TXT-017", "TXT-018"
        ],
        true,
        renderings::text_requests
    ),
    test!(
        "occ.headers",
        "The text/occi rendering of entities and collections",
        "OCC",
        [
            "OCC-001", "OCC-002", "OCC-003", "OCC-004", "OCC-006", "COL-004"
        ],
        true,
        renderings::text_occi
    ),
    test!(
        "col.listing",
        "Collections in text/plain, text/uri-list and JSON",
        "COL",
        [
            "COL-001", "COL-003", "COL-016", "URI-002", "URI-004", "TXT-002"
        ],
        true,
        renderings::listing
    ),
    test!(
        "jsn.entities",
        "Entities as application/occi+json",
        "JSN",
        [
            "JSN-001", "JSN-002", "JSN-003", "JSN-010", "JSN-012", "JSN-013", "JSN-014", "JSN-015",
            "JSN-016", "ACT-010"
        ],
        true,
        renderings::json_entities
    ),
    test!(
        "mix.tags",
        "Associating entities with a user Mixin",
        "MIX",
        [
            "MIX-001", "MIX-002", "MIX-003", "MIX-004", "MIX-005", "MIX-006", "MIX-007", "MIX-008",
            "MIX-012", "COL-002", "COL-005", "COL-006", "COL-007", "COL-008", "COL-009", "URI-001",
            "URI-004", "QI-021", "ACT-009"
        ],
        true,
        relations::tags
    ),
    test!(
        "col.pages",
        "Pagination and collection methods",
        "COL",
        ["COL-012", "COL-013", "COL-014", "COL-015"],
        true,
        relations::pages
    ),
    test!(
        "act.compute",
        "Compute actions",
        "ACT",
        [
            "ACT-001", "ACT-002", "ACT-003", "ACT-004", "ACT-005", "ACT-006", "ACT-007", "ACT-011",
            "ACT-012", "ENT-028", "INF-010", "INF-015"
        ],
        true,
        relations::actions
    ),
    test!(
        "lnk.links",
        "Links between resources",
        "LNK",
        [
            "LNK-001", "LNK-002", "LNK-003", "LNK-004", "LNK-005", "LNK-006", "LNK-007", "LNK-008",
            "LNK-009", "LNK-010", "LNK-011", "LNK-012", "ENT-018", "JSN-009", "INF-019", "HTP-006"
        ],
        true,
        relations::links
    ),
    test!(
        "inf.resources",
        "Storage and network resources",
        "INF",
        [
            "INF-011", "INF-012", "INF-016", "INF-017", "INF-018", "INF-020", "INF-021"
        ],
        true,
        infra::resources
    ),
    test!(
        "sm.discovery",
        "The SM query interface and authentication",
        "SM",
        ["SM-001", "SM-002", "SM-003", "SM-016"],
        false,
        hurtle::sm::discovery
    ),
    test!(
        "sm.lifecycle",
        "A service instance through create, provision, update and delete",
        "SM",
        [
            "SM-004", "SM-005", "SM-006", "SM-007", "SM-008", "SM-009", "SM-010", "SM-011",
            "SM-012", "SM-013", "SM-014", "SM-015"
        ],
        true,
        hurtle::sm::lifecycle
    ),
    // Not marked mutating: without --doubles it skips with that reason first.
    test!(
        "sm.clients",
        "The SM as a client of its CC, SOs and Keystone, seen by recording doubles",
        "SM",
        ["SM-017", "SM-018", "SM-019", "SM-020", "SM-021"],
        false,
        hurtle::sm::clients
    ),
    test!(
        "so.gate",
        "The SO refuses requests without X-Auth-Token or X-Tenant-Name",
        "SO",
        ["SO-001"],
        false,
        hurtle::so::gate
    ),
    test!(
        "so.discovery",
        "The SO root and query interface",
        "SO",
        ["SO-002", "SO-003"],
        false,
        hurtle::so::discovery
    ),
    test!(
        "so.lifecycle",
        "An orchestrator through create, deploy, provision, update and delete",
        "SO",
        [
            "SO-004", "SO-005", "SO-006", "SO-007", "SO-008", "SO-009", "SO-010", "SO-011",
            "SO-012", "SO-013", "SO-014", "SO-015", "SO-016", "SO-017"
        ],
        true,
        hurtle::so::lifecycle
    ),
    test!(
        "cc.gate",
        "The CC refuses requests without Authorization",
        "CC",
        ["CC-001"],
        false,
        hurtle::cc::gate
    ),
    test!(
        "cc.discovery",
        "The CC query interface (OpenShift v3 or v2)",
        "CC",
        ["CC-002", "CC-003", "CC-011"],
        false,
        hurtle::cc::discovery
    ),
    test!(
        "cc.lifecycle",
        "An app through create, activation, actions and delete",
        "CC",
        [
            "CC-004", "CC-005", "CC-006", "CC-007", "CC-008", "CC-009", "CC-010"
        ],
        true,
        hurtle::cc::lifecycle
    ),
    // Last: against a server that wipes itself on `DELETE /`, nothing runs after it.
    test!(
        "htp.state",
        "Errors decided before state changes; bad quoting; two filters; DELETE /",
        "HTP",
        [
            "HTP-001", "HTP-002", "HTP-003", "HTP-004", "HTP-005", "HTP-011"
        ],
        true,
        http::state
    ),
];

/// The compute Kind.
pub fn compute() -> String {
    format!("{INFRA}compute")
}

/// `(scheme, term)` of a type identifier.
pub fn split_tid(id: &str) -> (&str, &str) {
    match id.rfind('#') {
        Some(i) => (&id[..=i], &id[i + 1..]),
        None => (id, ""),
    }
}

/// A Category value: `term; scheme="…"; class="…"`.
pub fn category(id: &str, class: &str) -> String {
    let (scheme, term) = split_tid(id);
    format!("{term}; scheme=\"{scheme}\"; class=\"{class}\"")
}

/// The path of a URL (`http://h/compute/1` gives `/compute/1`); paths are kept.
pub fn path_of(url: &str) -> String {
    let url = url.trim();
    if let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    {
        match rest.find('/') {
            Some(i) => rest[i..].to_owned(),
            None => "/".to_owned(),
        }
    } else {
        url.to_owned()
    }
}

/// The value of an attribute in a parsed text document.
pub fn attr<'d>(doc: &'d TextDocument, name: &str) -> Option<&'d AttributeValue> {
    doc.attributes
        .iter()
        .find(|a| a.name.as_str() == name)
        .map(|a| &a.value)
}

/// An attribute value as text (strings without quotes).
pub fn show(value: Option<&AttributeValue>) -> String {
    match value {
        None => "(absent)".to_owned(),
        Some(AttributeValue::String(s)) => format!("{s:?}"),
        Some(AttributeValue::Integer(i)) => i.to_string(),
        Some(AttributeValue::Float(f)) => f.to_string(),
        Some(AttributeValue::Bool(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
    }
}

/// A numeric attribute value, quoted or not: a check that judges whether a value was applied
/// accepts `"2"` for 2, since quoting numbers is its own requirement (TXT-004).
pub fn number(value: Option<&AttributeValue>) -> Option<f64> {
    match value {
        Some(AttributeValue::String(s)) => s.trim().parse().ok(),
        Some(v) => v.as_f64(),
        None => None,
    }
}

/// An attribute value for a check's report: the value, `(absent)`, or why the rendering
/// holding it could not be read (`deviations` of [`fetch`]).
pub fn show_in(value: Option<&AttributeValue>, deviations: &[Deviation]) -> String {
    match (
        value,
        deviations
            .iter()
            .find(|d| d.message.starts_with("unparseable")),
    ) {
        (None, Some(d)) => format!("(the rendering does not parse: {})", d.message),
        _ => show(value),
    }
}

/// The Kind (first `class="kind"` Category) of a parsed entity rendering.
pub fn kind_of(doc: &TextDocument) -> Option<String> {
    doc.categories
        .iter()
        .find(|c| c.class == occi_model::CategoryClass::Kind)
        .map(|c| tid(&c.id))
}

/// The Mixins of a parsed entity rendering.
pub fn mixins_of(doc: &TextDocument) -> Vec<String> {
    doc.categories
        .iter()
        .filter(|c| c.class == occi_model::CategoryClass::Mixin)
        .map(|c| tid(&c.id))
        .collect()
}

/// The location paths of a parsed listing, sorted.
pub fn listing(doc: &TextDocument) -> Vec<String> {
    let mut out: Vec<String> = doc
        .locations
        .iter()
        .map(|l| path_of(l.location.as_str()))
        .collect();
    out.sort();
    out
}

/// A sample value for a required attribute, as text.
fn sample_value(name: &str) -> &'static str {
    match name {
        "occi.storage.size" => "1.0",
        "occi.compute.cores" => "1",
        "occi.compute.memory" => "1.0",
        "occi.network.vlan" => "1",
        "occi.networkinterface.mac" => "\"00:11:22:33:44:55\"",
        _ => "\"conformance\"",
    }
}

/// `X-OCCI-Attribute` lines for every required attribute of the Kind `kind`.
pub fn required_lines(ctx: &Ctx, kind: &str) -> String {
    let mut out = String::new();
    if let Some(k) = ctx.disc.kind(kind) {
        for a in k.attributes.iter().filter(|a| a.required) {
            let name = a.name.as_str();
            if name.starts_with("occi.core.") {
                continue;
            }
            out.push_str(&format!(
                "X-OCCI-Attribute: {name}={}\r\n",
                sample_value(name)
            ));
        }
    }
    out
}

/// The Kind's location, or a skip because it is not advertised.
pub fn kind_location(ctx: &Ctx, kind: &str) -> Result<String, Abort> {
    ctx.disc
        .location(kind)
        .ok_or_else(|| Ctx::not_advertised(kind))
}

/// A create body: the Kind, a title naming the run, required attributes and `extra` lines.
pub fn create_body(ctx: &mut Ctx, kind: &str, extra: &str) -> String {
    let title = ctx.fresh("e");
    format!(
        "Category: {}\r\nX-OCCI-Attribute: occi.core.title=\"{title}\"\r\n{}{extra}",
        category(kind, "kind"),
        required_lines(ctx, kind)
    )
}

/// Sends a create request and, on success, remembers the new entity for clean-up. Returns
/// the response and the entity's URL (from `Location`, or `Content-Location` for a 200).
pub async fn post_create(
    ctx: &mut Ctx,
    path: &str,
    req: Req,
) -> Result<(Resp, Option<String>), Abort> {
    let _ = path;
    let resp = ctx.send(req).await?;
    let url = if resp.ok() {
        resp.header("location")
            .or_else(|| resp.header("content-location"))
            .map(str::to_owned)
            .or_else(|| body_location(ctx, &resp))
    } else {
        None
    };
    if let Some(url) = &url {
        ctx.created(url);
    }
    Ok((resp, url))
}

/// The one `X-OCCI-Location` of a text/plain success body (occi-py answers a create with 200
/// and the new location in the body only). It lets later checks find the entity; whether the
/// answer itself is right is the create requirements' concern.
fn body_location(ctx: &Ctx, resp: &Resp) -> Option<String> {
    if resp.media_type() != "text/plain" {
        return None;
    }
    let doc = ctx.parse_plain(&resp.text).ok()?.0;
    match (doc.locations.as_slice(), doc.categories.is_empty()) {
        ([one], true) => Some(one.location.as_str().to_owned()),
        _ => None,
    }
}

/// Creates an entity of `kind` with `extra` lines, as setup for other checks. When the server
/// refuses the usual body (a title naming the run, required attributes), it is sent again
/// with the minimum the Kind needs (its Category and required attributes), since some servers
/// (occi-py 0.6) refuse optional attributes. When that fails too the test is skipped, naming
/// the setup step that failed: a requirement whose setup failed is never judged (the create
/// requirements themselves judge creation).
pub async fn create(ctx: &mut Ctx, kind: &str, extra: &str) -> Result<String, Abort> {
    let loc = kind_location(ctx, kind)?;
    let body = create_body(ctx, kind, extra);
    let (resp, url) = post_create(ctx, &loc, Req::post(loc.as_str()).body(body)).await?;
    if let Some(url) = url {
        return Ok(url);
    }
    let mut status = resp.status;
    if (400..500).contains(&resp.status) {
        let minimal = format!(
            "Category: {}\r\n{}{extra}",
            category(kind, "kind"),
            required_lines(ctx, kind)
        );
        let (retry, url) = post_create(ctx, &loc, Req::post(loc.as_str()).body(minimal)).await?;
        if let Some(url) = url {
            return Ok(url);
        }
        status = retry.status;
    }
    Err(Abort::Skip(format!(
        "setup failed: creating a {kind} at {loc} (also with only its Category and required \
         attributes) was answered {status}"
    )))
}

/// GETs `url` as text/plain and parses it.
pub async fn fetch(
    ctx: &mut Ctx,
    url: &str,
) -> Result<(Resp, TextDocument, Vec<Deviation>), Abort> {
    let resp = ctx.send(Req::get(url)).await?;
    let (doc, devs) = if resp.ok() {
        ctx.parse_plain(&resp.text).unwrap_or_default_doc()
    } else {
        (TextDocument::default(), Vec::new())
    };
    Ok((resp, doc, devs))
}

/// The location listing of a collection path as text/plain, sorted paths.
pub async fn list(ctx: &mut Ctx, path: &str) -> Result<(Resp, Vec<String>), Abort> {
    let resp = ctx.send(Req::get(path)).await?;
    let doc = ctx.parse_plain(&resp.text).unwrap_or_default_doc().0;
    Ok((resp.clone(), listing(&doc)))
}

trait OrDefaultDoc {
    fn unwrap_or_default_doc(self) -> (TextDocument, Vec<Deviation>);
}

impl OrDefaultDoc for Result<(TextDocument, Vec<Deviation>), String> {
    fn unwrap_or_default_doc(self) -> (TextDocument, Vec<Deviation>) {
        self.unwrap_or_else(|e| {
            (
                TextDocument::default(),
                vec![Deviation::new(format!("unparseable: {e}"))],
            )
        })
    }
}

/// The core Kind `term`.
pub fn core(term: &str) -> String {
    format!("{CORE}{term}")
}

/// Status codes as text: `400 or 403`.
pub fn codes(list: &[u16]) -> String {
    let v: Vec<String> = list.iter().map(u16::to_string).collect();
    v.join(" or ")
}
