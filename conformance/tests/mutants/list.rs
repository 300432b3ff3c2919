//! The mutants: each a realistic server bug and the requirement ids it breaks.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, LOCATION};
use http::{Method, Request, Response};

use super::kit::{
    Mutant, Seen, Server, custom, drop_content_type, edit_body, header, is_plain, media_type,
    request, response, set_body, set_header, set_request_body, set_status, text,
};

/// Whether the request is for the query interface.
fn qi(seen: &Seen) -> bool {
    seen.path == "/-/" || seen.path == "/.well-known/org/ogf/occi/-/"
}

/// Whether a path names an entity (neither the query interface nor a collection).
fn entity_path(path: &str) -> bool {
    path != "/-/" && !path.ends_with('/') && path.matches('/').count() >= 2
}

/// Keeps the lines of a text body for which `keep` holds.
fn filter_lines(body: &str, keep: impl Fn(&str) -> bool) -> String {
    body.split_inclusive('\n')
        .filter(|l| keep(l.trim_end()))
        .collect()
}

/// Rewrites every line of a text body.
fn map_lines(body: &str, f: impl Fn(&str) -> String) -> String {
    body.split_inclusive('\n')
        .map(|l| f(l.trim_end()) + &l[l.trim_end().len()..])
        .collect()
}

/// A plain GET of `path` against the server itself.
async fn get_plain(occi: &Server, path: &str) -> Response<Bytes> {
    let request = Request::get(path)
        .header("Accept", "text/plain")
        .body(Bytes::new())
        .expect("a request");
    occi.handle(request).await
}

/// The `self` locations of the Link lines of a text/plain entity rendering.
fn link_selves(body: &str) -> Vec<String> {
    body.lines()
        .filter(|l| l.starts_with("Link:") && !l.contains("?action="))
        .filter_map(|l| {
            let at = l.find("self=\"")? + 6;
            let end = l[at..].find('"')?;
            Some(l[at..at + end].to_owned())
        })
        .collect()
}

/// Splits a header field value at the commas outside quoted strings.
fn split_top(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in value.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                current.push(ch);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current).trim().to_owned()),
            _ => current.push(ch),
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// A rewrite of one `Name: value` structure: `None` drops it.
type Edit<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Rewrites the values of header field `name` (comma-separated structures).
fn edit_field(r: &mut Response<Bytes>, name: &'static str, f: Edit<'_>) {
    let values: Vec<String> = r
        .headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(split_top)
        .collect();
    if values.is_empty() {
        return;
    }
    r.headers_mut().remove(name);
    let kept: Vec<String> = values.iter().filter_map(|v| f(v)).collect();
    if !kept.is_empty() {
        set_header(r.headers_mut(), name, &kept.join(", "));
    }
}

/// Rewrites the `name: value` structures of a response in every text rendering: body lines
/// of text/plain and text/occi+plain, header fields of text/occi.
fn edit_text(r: &mut Response<Bytes>, name: &'static str, f: Edit<'_>) {
    match media_type(r).as_str() {
        "text/plain" | "text/occi+plain" => {
            let prefix = format!("{name}: ");
            edit_body(r, |b| {
                b.split_inclusive('\n')
                    .filter_map(|l| {
                        let line = l.trim_end();
                        let end = &l[line.len()..];
                        match line.get(..prefix.len()) {
                            Some(p) if p.eq_ignore_ascii_case(&prefix) => {
                                f(&line[prefix.len()..]).map(|v| format!("{prefix}{v}{end}"))
                            }
                            _ => Some(l.to_owned()),
                        }
                    })
                    .collect()
            });
        }
        "text/occi" => edit_field(r, name, f),
        _ => {}
    }
}

/// Rewrites a JSON body.
fn edit_json(r: &mut Response<Bytes>, f: impl FnOnce(&mut serde_json::Value)) {
    if media_type(r) == "application/occi+json"
        && let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(r.body())
    {
        f(&mut v);
        set_body(r, v.to_string());
    }
}

/// Drops the Category `term` of `scheme` from a query interface answer, in every rendering
/// (`member` is its JSON array: kinds, mixins or actions).
fn drop_category(r: &mut Response<Bytes>, term: &str, scheme: &str, member: &str) {
    let head = format!("{term};");
    let quoted = format!("scheme=\"{scheme}\"");
    edit_text(r, "Category", &|v| {
        (!(v.starts_with(&head) && v.contains(&quoted))).then(|| v.to_owned())
    });
    edit_json(r, |v| {
        if let Some(serde_json::Value::Array(items)) = v.get_mut(member) {
            items.retain(|c| !(c["term"] == term && c["scheme"] == scheme));
        }
    });
}

/// Turns the numbers of every JSON `attributes` object into strings.
fn stringify_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "attributes"
                    && let serde_json::Value::Object(attrs) = v
                {
                    for a in attrs.values_mut() {
                        if a.is_number() {
                            *a = serde_json::Value::String(a.to_string());
                        }
                    }
                } else {
                    stringify_numbers(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(stringify_numbers),
        _ => {}
    }
}

#[allow(clippy::too_many_lines)]
pub(crate) fn mutants() -> Vec<Mutant> {
    vec![
        // ---- Creation ------------------------------------------------------------------
        Mutant::new(
            "201-location-as-content-location",
            "a text/plain create answers 201 naming the entity in Content-Location, not Location",
            response(|seen, r| {
                if r.status() == 201
                    && seen.is(&Method::POST)
                    && seen.accept() == "text/plain"
                    && let Some(l) = r.headers_mut().remove(LOCATION)
                {
                    r.headers_mut().insert("content-location", l);
                }
            }),
        )
        .both(&["ENT-001", "ENT-031"]),
        Mutant::new(
            "create-200-without-rendering",
            "a text/plain create by POST answers 200 with an empty body instead of 201",
            response(|seen, r| {
                if seen.is(&Method::POST)
                    && r.status() == 201
                    && seen.query.is_empty()
                    && seen.accept() == "text/plain"
                {
                    set_status(r, 200);
                    set_body(r, "");
                }
            }),
        )
        .both(&["ENT-030"]),
        Mutant::new(
            "quoted-float",
            "occi.compute.memory (a Float) is rendered as a quoted string (TXT-005, which reads memory back, judges only its escapes)",
            response(|_, r| {
                edit_text(r, "X-OCCI-Attribute", &|v| {
                    Some(match v.split_once("occi.compute.memory=") {
                        Some((head, n)) if n.parse::<f64>().is_ok() => {
                            format!("{head}occi.compute.memory=\"{n}\"")
                        }
                        _ => v.to_owned(),
                    })
                });
            }),
        )
        .both(&["TXT-004"]),
        Mutant::new(
            "missing-required-attribute-accepted",
            "a storage created without occi.storage.size gets a default instead of a 400",
            request(|req| {
                let body = String::from_utf8_lossy(req.body()).into_owned();
                if req.method() == Method::POST
                    && body.contains("Category: storage;")
                    && !body.contains("occi.storage.size")
                {
                    set_request_body(
                        req,
                        format!("{body}X-OCCI-Attribute: occi.storage.size=1.0\r\n"),
                    );
                }
            }),
        )
        .both(&["ENT-010"]),
        Mutant::new(
            "create-then-400",
            "a create with a malformed attribute line creates the entity, then answers 400",
            custom(|occi, mut req| async move {
                let body = String::from_utf8_lossy(req.body()).into_owned();
                let malformed = req.method() == Method::POST
                    && body
                        .lines()
                        .any(|l| l.starts_with("X-OCCI-Attribute:") && !l.contains('='));
                if !malformed {
                    return occi.handle(req).await;
                }
                let fixed = filter_lines(&body, |l| {
                    !l.starts_with("X-OCCI-Attribute:") || l.contains('=')
                });
                let refused = Request::builder()
                    .method(req.method().clone())
                    .uri(req.uri().clone())
                    .header("Accept", "text/plain")
                    .header("Content-Type", "text/plain")
                    .body(Bytes::from(body.clone()))
                    .expect("a request");
                set_request_body(&mut req, fixed);
                let _ = occi.handle(req).await;
                occi.handle(refused).await
            }),
        )
        .both(&["ERR-014"]),
        // ---- The query interface -------------------------------------------------------
        Mutant::new(
            "no-core-entity",
            "the query interface leaves out the core#entity Kind",
            response(|seen, r| {
                if qi(seen) && seen.is(&Method::GET) {
                    drop_category(r, "entity", "http://schemas.ogf.org/occi/core#", "kinds");
                }
            }),
        )
        .both(&["QI-002", "QI-003"]),
        Mutant::new(
            "action-not-advertised",
            "the storage offline Action is named by the storage Kind but not listed itself",
            response(|seen, r| {
                if qi(seen) && seen.is(&Method::GET) {
                    drop_category(
                        r,
                        "offline",
                        "http://schemas.ogf.org/occi/infrastructure/storage/action#",
                        "actions",
                    );
                }
            }),
        )
        .both(&["QI-008"]),
        Mutant::new(
            "duplicate-category",
            "the query interface lists the compute start Action twice",
            response(|seen, r| {
                if qi(seen) && seen.is(&Method::GET) && is_plain(r) {
                    edit_body(r, |b| {
                        let line = b
                            .lines()
                            .find(|l| l.starts_with("Category: start;"))
                            .map(str::to_owned);
                        match line {
                            Some(l) => format!("{b}{l}\r\n"),
                            None => b.to_owned(),
                        }
                    });
                }
            }),
        )
        .both(&["QI-007"]),
        Mutant::new(
            "kind-location-without-slash",
            "the network Kind is advertised at /network (no trailing slash)",
            custom(|occi, mut req| async move {
                if req.uri().path() == "/network" {
                    let q = req
                        .uri()
                        .query()
                        .map(|q| format!("?{q}"))
                        .unwrap_or_default();
                    *req.uri_mut() = format!("/network/{q}").parse().expect("a path");
                }
                let seen_qi = req.uri().path() == "/-/";
                let mut r = occi.handle(req).await;
                if seen_qi && is_plain(&r) {
                    edit_body(&mut r, |b| {
                        b.replace("location=\"/network/\"", "location=\"/network\"")
                    });
                }
                r
            }),
        )
        .both(&["QI-004"]),
        Mutant::new(
            "entity-kind-with-location",
            "OCCI 1.2: the core#entity Kind is advertised with a location",
            response(|seen, r| {
                if qi(seen) && seen.is(&Method::GET) && is_plain(r) {
                    edit_body(r, |b| {
                        map_lines(b, |l| {
                            if !l.starts_with("Category: entity;") {
                                return l.to_owned();
                            }
                            match l.find("; attributes=") {
                                Some(at) => {
                                    format!("{}; location=\"/entity/\"{}", &l[..at], &l[at..])
                                }
                                None => format!("{l}; location=\"/entity/\""),
                            }
                        })
                    });
                }
            }),
        )
        .v12(&["QI-005"]),
        Mutant::new(
            "qi-filter-ignored",
            "a Category filter on the query interface is ignored",
            request(|req| {
                if req.uri().path() == "/-/"
                    && req.method() == Method::GET
                    && header(req.headers(), "category").contains("scheme=")
                {
                    req.headers_mut().remove("category");
                }
            }),
        )
        .v12(&["QI-011"])
        .v11(&["QI-011", "QI-012"]),
        Mutant::new(
            "mixin-without-location-registered",
            "a user Mixin posted without a location gets one made up",
            request(|req| {
                let body = String::from_utf8_lossy(req.body()).into_owned();
                if req.uri().path() == "/-/"
                    && req.method() == Method::POST
                    && body.contains("class=\"mixin\"")
                    && !body.contains("location=")
                {
                    let fixed = map_lines(&body, |l| {
                        if l.starts_with("Category:") {
                            format!("{l}; location=\"/made-up-location/\"")
                        } else {
                            l.to_owned()
                        }
                    });
                    set_request_body(req, fixed);
                }
            }),
        )
        .both(&["QI-016"]),
        Mutant::new(
            "provider-mixin-delete-acknowledged",
            "DELETE of a provider Mixin at /-/ answers 200 (and does nothing)",
            response(|seen, r| {
                if qi(seen) && seen.is(&Method::DELETE) && r.status() == 403 {
                    set_status(r, 200);
                    set_body(r, "");
                    r.headers_mut().remove(CONTENT_TYPE);
                }
            }),
        )
        .both(&["QI-022"]),
        Mutant::new(
            "qi-405-without-allow",
            "PUT on /-/ answers 405 without an Allow header",
            response(|seen, r| {
                if qi(seen) && r.status() == 405 {
                    r.headers_mut().remove(ALLOW);
                }
            }),
        )
        .both(&["QI-025"]),
        // ---- Negotiation and every response ---------------------------------------------
        Mutant::new(
            "unsupported-accept-served",
            "an unsupported Accept is answered 200 in text/plain instead of 406",
            request(|req| {
                if header(req.headers(), "accept") == "application/xml" {
                    set_header(req.headers_mut(), "accept", "text/plain");
                }
            }),
        )
        .both(&["ERR-001"]),
        Mutant::new(
            "json-without-accept",
            "a request without Accept is answered in JSON (OCCI 1.1 requires text/plain)",
            request(|req| {
                if !req.headers().contains_key("accept") {
                    set_header(req.headers_mut(), "accept", "application/occi+json");
                }
            }),
        )
        .v12(&[])
        .v11(&["ERR-002"]),
        Mutant::new(
            "json-for-any",
            "Accept: */* is answered in JSON (OCCI 1.1 requires text/plain)",
            request(|req| {
                if header(req.headers(), "accept") == "*/*" {
                    set_header(req.headers_mut(), "accept", "application/occi+json");
                }
            }),
        )
        .v12(&[])
        .v11(&["ERR-003"]),
        Mutant::new(
            "server-header-without-version",
            "404 answers carry a Server header without the OCCI/x.y token",
            response(|_, r| {
                if r.status() == 404 {
                    set_header(r.headers_mut(), "server", "occi-rs");
                }
            }),
        )
        .both(&["ERR-010"]),
        Mutant::new(
            "error-without-content-type",
            "4xx answers with a body carry no Content-Type",
            response(|_, r| {
                if r.status().is_client_error() && !r.body().is_empty() {
                    drop_content_type(r);
                }
            }),
        )
        .both(&["ERR-011"]),
        Mutant::new(
            "patch-500",
            "PATCH crashes the server (500) instead of 405",
            response(|seen, r| {
                if seen.is(&Method::PATCH) {
                    set_status(r, 500);
                }
            }),
        )
        .both(&["ERR-007", "ERR-017"]),
        Mutant::new(
            "future-version-served",
            "a client announcing OCCI/9.9 is served instead of answered 501",
            request(|req| {
                if header(req.headers(), "user-agent").contains("OCCI/9.9") {
                    set_header(req.headers_mut(), "user-agent", "occi-conformance");
                }
            }),
        )
        .both(&["ERR-008"]),
        // ---- Renderings -----------------------------------------------------------------
        Mutant::new(
            "uri-list-for-entity",
            "an entity requested as text/uri-list answers 200 with its own URI",
            response(|seen, r| {
                if seen.accept() == "text/uri-list" && entity_path(&seen.path) && r.status() == 400
                {
                    set_status(r, 200);
                    set_header(r.headers_mut(), "content-type", "text/uri-list");
                    set_body(r, format!("{}\r\n", seen.path));
                }
            }),
        )
        .both(&["URI-002"]),
        Mutant::new(
            "text-occi-collection-body",
            "a collection as text/occi answers with an empty body instead of OK",
            response(|seen, r| {
                if seen.is(&Method::GET)
                    && seen.path.ends_with('/')
                    && !qi(seen)
                    && media_type(r) == "text/occi"
                {
                    set_body(r, "");
                }
            }),
        )
        .both(&["COL-004"]),
        Mutant::new(
            "uri-list-with-header-names",
            "text/uri-list answers prefix each URI with X-OCCI-Location:",
            response(|_, r| {
                if media_type(r) == "text/uri-list" {
                    edit_body(r, |b| {
                        map_lines(b, |l| {
                            if l.is_empty() || l.starts_with('#') {
                                l.to_owned()
                            } else {
                                format!("X-OCCI-Location: {l}")
                            }
                        })
                    });
                }
            }),
        )
        .both(&["URI-004", "COL-003", "URI-001"]),
        Mutant::new(
            "json-numbers-as-strings",
            "OCCI 1.2: JSON attribute values that are numbers are rendered as strings",
            response(|_, r| {
                if media_type(r) == "application/occi+json"
                    && let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(r.body())
                {
                    stringify_numbers(&mut v);
                    set_body(r, v.to_string());
                }
            }),
        )
        .v12(&["JSN-003"]),
        Mutant::new(
            "text-occi-plain-refused",
            "OCCI 1.2: text/occi+plain is refused with 406",
            response(|seen, r| {
                if seen.accept() == "text/occi+plain" {
                    set_status(r, 406);
                    set_body(r, "");
                }
            }),
        )
        .v12(&["TXT-016"]),
        // ---- Entities -------------------------------------------------------------------
        Mutant::new(
            "no-action-links",
            "entity renderings leave out their ActionLinks",
            response(|seen, r| {
                if entity_path(&seen.path) && seen.is(&Method::GET) {
                    edit_text(r, "Link", &|v| (!v.contains("?action=")).then(|| v.to_owned()));
                    edit_json(r, |v| {
                        if let Some(o) = v.as_object_mut() {
                            o.remove("actions");
                        }
                    });
                }
            }),
        )
        .both(&["ENT-027"]),
        Mutant::new(
            "unknown-compute-200",
            "GET of a compute that does not exist answers 200 with an empty body",
            response(|seen, r| {
                if seen.is(&Method::GET)
                    && seen.path.starts_with("/compute/")
                    && entity_path(&seen.path)
                    && r.status() == 404
                {
                    set_status(r, 200);
                    set_body(r, "");
                    set_header(r.headers_mut(), "content-type", "text/plain");
                }
            }),
        )
        .both(&["ENT-024", "ENT-025"]),
        Mutant::new(
            "delete-unknown-200",
            "DELETE of an entity path that does not exist answers 200",
            response(|seen, r| {
                if seen.is(&Method::DELETE) && entity_path(&seen.path) && r.status() == 404 {
                    set_status(r, 200);
                    set_body(r, "");
                    r.headers_mut().remove(CONTENT_TYPE);
                }
            }),
        )
        .both(&["ENT-026"]),
        delete_keeps_links(),
        delete_keeps_incoming_links(),
        put_detaches_links(),
        Mutant::new(
            "vlan-clamped",
            "a network VLAN outside 0 to 4095 is clamped instead of refused",
            request(|req| {
                let body = String::from_utf8_lossy(req.body()).into_owned();
                if body.contains("occi.network.vlan=") {
                    let fixed = map_lines(&body, |l| match l.split_once("occi.network.vlan=") {
                        Some((head, n))
                            if n.trim()
                                .parse::<i64>()
                                .is_ok_and(|n| !(0..=4095).contains(&n)) =>
                        {
                            format!("{head}occi.network.vlan=4095")
                        }
                        _ => l.to_owned(),
                    });
                    set_request_body(req, fixed);
                }
            }),
        )
        .both(&["INF-013"]),
        // ---- Actions and Mixins ---------------------------------------------------------
        Mutant::new(
            "action-term-mismatch-ignored",
            "an action request whose body Category differs from ?action= is acknowledged and ignored",
            response(|seen, r| {
                let Some(term) = seen.query.strip_prefix("action=") else {
                    return;
                };
                let named = seen
                    .body
                    .lines()
                    .find_map(|l| l.strip_prefix("Category:"))
                    .and_then(|c| c.trim().split(';').next())
                    .unwrap_or("")
                    .trim();
                if !named.is_empty() && named != term && r.status() == 400 {
                    set_status(r, 200);
                    set_body(r, "");
                    r.headers_mut().remove(CONTENT_TYPE);
                }
            }),
        )
        .both(&["ACT-006"]),
        Mutant::new(
            "empty-action-body-accepted",
            "an action request with an empty body is acknowledged (200) and ignored",
            response(|seen, r| {
                if seen.query.starts_with("action=")
                    && seen.body.trim().is_empty()
                    && r.status() == 400
                {
                    set_status(r, 200);
                    set_body(r, "");
                    r.headers_mut().remove(CONTENT_TYPE);
                }
            }),
        )
        .both(&["ACT-007"]),
        Mutant::new(
            "mixin-batch-not-atomic",
            "associating a batch of locations with a Mixin keeps the good ones when one is unknown",
            custom(|occi, req| async move {
                let body = String::from_utf8_lossy(req.body()).into_owned();
                let batch: Vec<String> = body
                    .lines()
                    .filter_map(|l| l.strip_prefix("X-OCCI-Location:"))
                    .flat_map(|v| v.split(','))
                    .map(|v| v.trim().to_owned())
                    .collect();
                if req.method() != Method::POST || batch.len() < 2 {
                    return occi.handle(req).await;
                }
                let mut last = None;
                for loc in batch {
                    let one = Request::builder()
                        .method(Method::POST)
                        .uri(req.uri().clone())
                        .header("Accept", header(req.headers(), "accept"))
                        .header("Content-Type", "text/plain")
                        .body(Bytes::from(format!("X-OCCI-Location: {loc}\r\n")))
                        .expect("a request");
                    let r = occi.handle(one).await;
                    if last
                        .as_ref()
                        .is_none_or(|l: &Response<Bytes>| l.status().is_success())
                    {
                        last = Some(r);
                    }
                }
                last.expect("a batch of two")
            }),
        )
        .v12(&["MIX-007"])
        .v11(&["MIX-007"]),
        // ---- Pages ----------------------------------------------------------------------
        Mutant::new(
            "page-size-unlimited",
            "OCCI 1.2: a page size above the limit is served instead of 413",
            request(|req| {
                let q = req.uri().query().unwrap_or("").to_owned();
                let big = q.split('&').any(|p| {
                    p.strip_prefix("number=")
                        .and_then(|n| n.parse::<u64>().ok())
                        .is_some_and(|n| n > 1000)
                });
                if big {
                    let path = req.uri().path().to_owned();
                    *req.uri_mut() = path.parse().expect("a path");
                }
            }),
        )
        .v12(&["COL-014"]),
        Mutant::new(
            "page-beyond-last-404",
            "OCCI 1.2: a page beyond the last answers 404",
            response(|seen, r| {
                if seen.query.contains("page=")
                    && r.status() == 200
                    && !text(r).contains("X-OCCI-Location")
                {
                    set_status(r, 404);
                }
            }),
        )
        .v12(&["COL-013"]),
        // ---- HTTP level (pyssf-lessons.md §12) -------------------------------------------
        Mutant::new(
            "two-attribute-filter-empty",
            "a filter on two attributes gives an empty result (PySSF's scoring bug)",
            response(|seen, r| {
                let filters: usize = seen
                    .headers
                    .get_all("x-occi-attribute")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .map(|v| split_top(v).len())
                    .sum();
                if seen.is(&Method::GET) && filters >= 2 && r.status() == 200 && is_plain(r) {
                    set_body(r, "");
                }
            }),
        )
        .both(&["HTP-001"]),
        Mutant::new(
            "bad-quoting-500-plain",
            "an unterminated quoted string in a text/plain create crashes into a 500",
            response(|seen, r| {
                if seen.is(&Method::POST)
                    && media_type_of(&seen.headers) == "text/plain"
                    && seen.body.lines().any(|l| l.matches('"').count() % 2 == 1)
                {
                    set_status(r, 500);
                }
            }),
        )
        .both(&["HTP-002", "TXT-013", "ERR-017"]),
        Mutant::new(
            "bad-quoting-500-occi",
            "an unterminated quoted string in a text/occi header crashes into a 500",
            response(|seen, r| {
                let odd = ["category", "x-occi-attribute"].iter().any(|name| {
                    seen.headers
                        .get_all(*name)
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .any(|v| v.matches('"').count() % 2 == 1)
                });
                if seen.is(&Method::POST) && odd {
                    set_status(r, 500);
                }
            }),
        )
        .both(&["HTP-003", "ERR-017"]),
        Mutant::new(
            "create-406-after-commit",
            "a create with an unacceptable Accept is committed, then answered 406",
            custom(|occi, mut req| async move {
                let refused = req.method() == Method::POST
                    && header(req.headers(), "accept") == "application/xml"
                    && !req.uri().path().starts_with("/-/");
                if refused {
                    req.headers_mut()
                        .insert("accept", "text/plain".parse().expect("a header value"));
                }
                let mut r = occi.handle(req).await;
                if refused && r.status().is_success() {
                    set_status(&mut r, 406);
                    set_body(&mut r, "not acceptable");
                }
                r
            }),
        )
        .both(&["HTP-004"]),
        Mutant::new(
            "delete-406-after-commit",
            "a DELETE with an unacceptable Accept deletes, then answers 406",
            custom(|occi, mut req| async move {
                let refused = req.method() == Method::DELETE
                    && header(req.headers(), "accept") == "application/xml";
                if refused {
                    req.headers_mut()
                        .insert("accept", "text/plain".parse().expect("a header value"));
                }
                let mut r = occi.handle(req).await;
                if refused && r.status().is_success() {
                    set_status(&mut r, 406);
                }
                r
            }),
        )
        .both(&["HTP-005"]),
        Mutant::new(
            "head-with-body",
            "a HEAD response carries the body of the GET",
            custom(|occi, mut req| async move {
                let head = req.method() == Method::HEAD;
                if head {
                    *req.method_mut() = Method::GET;
                }
                occi.handle(req).await
            }),
        )
        .both(&["HTP-007"]),
        Mutant::new(
            "duplicate-content-length",
            "an error response carries its Content-Length twice",
            response(|_, r| {
                if r.status().is_client_error() {
                    let n = r.body().len().to_string();
                    r.headers_mut().remove("content-length");
                    for _ in 0..2 {
                        r.headers_mut()
                            .append("content-length", n.parse().expect("a header value"));
                    }
                }
            }),
        )
        .both(&["HTP-008"]),
        Mutant::new(
            "accept-q-values-ignored",
            "Accept q-values are ignored: the first media range listed wins",
            request(|req| {
                let accept = header(req.headers(), "accept").to_owned();
                if accept.contains("q=") {
                    let first = accept
                        .split(',')
                        .next()
                        .unwrap_or("")
                        .split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_owned();
                    req.headers_mut()
                        .insert("accept", first.parse().expect("a header value"));
                }
            }),
        )
        .both(&["HTP-009"]),
        Mutant::new(
            "accept-parameters-refused",
            "a media type with a charset parameter in Accept is answered 406",
            response(|seen, r| {
                if seen.accept().contains("charset") {
                    set_status(r, 406);
                    set_body(r, "not acceptable");
                }
            }),
        )
        .both(&["HTP-010"]),
        delete_root_wipes(),
        // ---- Filters and their Content-Type --------------------------------------------
        Mutant::new(
            "filters-only-with-text-occi",
            "filter header fields are ignored unless the request says Content-Type: text/occi \
             (PySSF); the suite sends it with every filter, so nothing fails",
            request(|req| {
                if req.method() == Method::GET
                    && media_type_of(req.headers()) != "text/occi"
                {
                    strip_filters(req);
                }
            }),
        )
        .both(&[]),
        Mutant::new(
            "filters-ignored",
            "filter header fields are ignored on every GET, whatever the Content-Type",
            request(|req| {
                if req.method() == Method::GET {
                    strip_filters(req);
                }
            }),
        )
        .v12(&[
            "QI-011", "QI-013", "COL-005", "COL-006", "COL-007", "COL-009", "COL-017",
        ])
        .v11(&[
            "QI-011", "QI-012", "QI-013", "COL-005", "COL-006", "COL-007", "COL-017",
        ]),
        // ---- The JSON schema, independent of occi-render's parser ------------------------
        Mutant::new(
            "json-link-id-only-in-attributes",
            "OCCI 1.2: a JSON Link rendering gives its id only as the occi.core.id attribute \
             (renderings that carry core attributes do): occi-render reads the id from there, \
             even strictly; the schema's link requires the id member",
            response(|seen, r| {
                if seen.is(&Method::GET) {
                    edit_json(r, |v| {
                        if v.get("kind").is_some()
                            && v.get("source").is_some()
                            && let Some(id) = v.as_object_mut().and_then(|o| o.remove("id"))
                        {
                            let attributes = v
                                .as_object_mut()
                                .expect("an object")
                                .entry("attributes")
                                .or_insert_with(|| serde_json::json!({}));
                            if let Some(attributes) = attributes.as_object_mut() {
                                attributes.insert("occi.core.id".to_owned(), id);
                            }
                        }
                    });
                }
            }),
        )
        .v12(&["JSN-001"]),
    ]
}

/// Removes the filter header fields (`Category`, `X-OCCI-Attribute`) of a request.
fn strip_filters(req: &mut Request<Bytes>) {
    req.headers_mut().remove("category");
    req.headers_mut().remove("x-occi-attribute");
}

/// The media type of a request's `Content-Type`, without parameters (empty if absent).
fn media_type_of(headers: &http::HeaderMap) -> String {
    header(headers, "content-type")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `DELETE /` deletes every entity of every Kind collection (PySSF's unguarded prefix).
fn delete_root_wipes() -> Mutant {
    Mutant::new(
        "delete-root-wipes",
        "DELETE / deletes every entity",
        custom(|occi, req| async move {
            if req.method() != Method::DELETE || req.uri().path() != "/" {
                return occi.handle(req).await;
            }
            let mut server = None;
            for kind in [
                "/compute/",
                "/storage/",
                "/network/",
                "/networkinterface/",
                "/storagelink/",
            ] {
                let got = get_plain(&occi, kind).await;
                server = got.headers().get("server").cloned();
                let listing = text(&got);
                for line in listing.lines() {
                    if let Some(location) = line.strip_prefix("X-OCCI-Location: ") {
                        let path = super::kit::path_only(location.trim());
                        let delete = Request::delete(path)
                            .header("Accept", "text/plain")
                            .body(Bytes::new())
                            .expect("a request");
                        let _ = occi.handle(delete).await;
                    }
                }
            }
            let mut r = Response::new(Bytes::from_static(b"OK"));
            set_header(r.headers_mut(), "content-type", "text/plain");
            if let Some(server) = server {
                r.headers_mut().insert("server", server);
            }
            r
        }),
    )
    .both(&["HTP-011"])
}

/// DELETE of a Resource leaves its Links behind (their paths keep answering).
fn delete_keeps_links() -> Mutant {
    let orphans: Arc<Mutex<HashMap<String, Response<Bytes>>>> = Arc::default();
    Mutant::new(
        "delete-keeps-links",
        "deleting a Resource leaves the Links it owns behind",
        custom(move |occi, req| {
            let orphans = Arc::clone(&orphans);
            async move {
                let path = req.uri().path().to_owned();
                if req.method() == Method::GET
                    && let Some(kept) = orphans.lock().unwrap().get(&path)
                {
                    let mut r = Response::new(kept.body().clone());
                    *r.headers_mut() = kept.headers().clone();
                    return r;
                }
                if req.method() == Method::DELETE && entity_path(&path) {
                    let selves = link_selves(&text(&get_plain(&occi, &path).await));
                    let mut kept = Vec::new();
                    for s in selves {
                        kept.push((s.clone(), get_plain(&occi, &s).await));
                    }
                    let r = occi.handle(req).await;
                    if r.status().is_success() {
                        orphans.lock().unwrap().extend(kept);
                    }
                    orphans.lock().unwrap().remove(&path);
                    return r;
                }
                occi.handle(req).await
            }
        }),
    )
    .both(&["LNK-007"])
}

/// DELETE of a Resource leaves the Links that point to it behind (their paths keep answering).
fn delete_keeps_incoming_links() -> Mutant {
    let dangling: Arc<Mutex<HashMap<String, Response<Bytes>>>> = Arc::default();
    Mutant::new(
        "delete-target-keeps-links",
        "deleting a Resource leaves the Links that target it dangling",
        custom(move |occi, req| {
            let dangling = Arc::clone(&dangling);
            async move {
                let path = req.uri().path().to_owned();
                if req.method() == Method::GET
                    && let Some(kept) = dangling.lock().unwrap().get(&path)
                {
                    let mut r = Response::new(kept.body().clone());
                    *r.headers_mut() = kept.headers().clone();
                    return r;
                }
                if req.method() == Method::DELETE && entity_path(&path) {
                    let target = format!("{path}\"");
                    let mut kept = Vec::new();
                    for kind in ["/networkinterface/", "/storagelink/"] {
                        let listing = text(&get_plain(&occi, kind).await);
                        for line in listing.lines() {
                            let Some(location) = line.strip_prefix("X-OCCI-Location: ") else {
                                continue;
                            };
                            let link = super::kit::path_only(location.trim());
                            let got = get_plain(&occi, &link).await;
                            let points_here = text(&got).lines().any(|l| {
                                l.starts_with("X-OCCI-Attribute: occi.core.target=")
                                    && l.ends_with(&target)
                            });
                            if points_here {
                                kept.push((link, got));
                            }
                        }
                    }
                    let r = occi.handle(req).await;
                    if r.status().is_success() {
                        dangling.lock().unwrap().extend(kept);
                    }
                    dangling.lock().unwrap().remove(&path);
                    return r;
                }
                occi.handle(req).await
            }
        }),
    )
    .both(&["HTP-006"])
}

/// A full update by PUT detaches the entity's Links: its rendering no longer shows them.
fn put_detaches_links() -> Mutant {
    let detached: Arc<Mutex<HashSet<String>>> = Arc::default();
    Mutant::new(
        "put-drops-links",
        "a full update by PUT without Link lines detaches the entity's Links",
        custom(move |occi, req| {
            let detached = Arc::clone(&detached);
            async move {
                let path = req.uri().path().to_owned();
                let method = req.method().clone();
                let mut r = occi.handle(req).await;
                if method == Method::PUT && entity_path(&path) && r.status().is_success() {
                    detached.lock().unwrap().insert(path);
                } else if method == Method::GET && detached.lock().unwrap().contains(&path) {
                    edit_text(&mut r, "Link", &|v| {
                        v.contains("?action=").then(|| v.to_owned())
                    });
                }
                r
            }
        }),
    )
    .both(&["ENT-018"])
}
