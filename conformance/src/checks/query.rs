//! Query interface tests (QI), plus its JSON and text/occi renderings.

use std::collections::{BTreeSet, HashMap};

use occi_model::CategoryClass;
use occi_render::ParseOptions;
use serde_json::Value;

use super::{category, codes, compute, core};
use crate::runner::{Ctx, INFRA, Req, TestOutcome, tid};

pub(super) async fn discovery(ctx: &mut Ctx) -> TestOutcome {
    let resp = ctx.disc.response.clone();
    let devs = ctx.disc.deviations.clone();
    let n = ctx.disc.categories.len();
    let parsed = ctx.disc.parse_error.is_none();
    ctx.check_parsed(
        &["QI-001"],
        resp.status == 200 && resp.media_type() == "text/plain" && parsed && n > 0,
        format!("GET /-/ answered {} with {n} Categories", resp.summary()),
        "200, Content-Type text/plain, a category collection with at least one Category",
        format!(
            "{}, {n} Categories{}",
            resp.summary(),
            ctx.disc
                .parse_error
                .as_deref()
                .map(|e| format!(", {e}"))
                .unwrap_or_default()
        ),
        &[&resp],
        &devs,
    );
    let ct = resp.header("content-type").unwrap_or("").to_owned();
    ctx.check(
        &["TXT-001"],
        ct.to_ascii_lowercase().starts_with("text/plain"),
        "Content-Type of a text/plain response",
        "text/plain (a charset parameter allowed)",
        ct,
        &[&resp],
    );
    let strict = ctx.disc.strict;
    ctx.check(
        &["TXT-002", "TXT-003"],
        strict && parsed,
        "the query interface parses with the strict grammar",
        "every line a strict Category rendering (scheme quoted, class given, ABNF order)",
        if strict {
            "ok".to_owned()
        } else {
            format!("{} deviation(s) or errors", devs.len().max(1))
        },
        &[&resp],
    );
    ctx.check_parsed(
        &["QI-009"],
        parsed,
        "every attributes parameter is an attribute-list with only {immutable} and {required}",
        "attribute lists that parse",
        ctx.disc.parse_error.clone().unwrap_or_default(),
        &[&resp],
        &devs,
    );
    Ok(())
}

pub(super) async fn core_kinds(ctx: &mut Ctx) -> TestOutcome {
    let resp = ctx.disc.response.clone();
    let entity = core("entity");
    let mut missing = Vec::new();
    for term in ["entity", "resource", "link"] {
        let id = core(term);
        match ctx.disc.kind(&id) {
            None => missing.push(format!("{term} missing")),
            Some(k) => {
                if term != "entity" && !k.rel.iter().any(|r| tid(r) == entity) {
                    missing.push(format!("{term} has no rel {entity}"));
                }
            }
        }
    }
    ctx.check(
        &["QI-002"],
        missing.is_empty(),
        "core Kinds entity, resource and link, related to entity",
        "entity, resource and link Kinds; resource and link with rel core#entity",
        missing.join("; "),
        &[&resp],
    );
    // Parent chains.
    let kinds: HashMap<String, Vec<String>> = ctx
        .disc
        .categories
        .iter()
        .filter(|c| c.class == CategoryClass::Kind)
        .map(|c| (tid(&c.id), c.rel.iter().map(tid).collect()))
        .collect();
    let mut problems = Vec::new();
    for (id, rel) in &kinds {
        if *id == entity {
            continue;
        }
        let mut current = id.clone();
        let mut seen = BTreeSet::new();
        let mut rel_now = rel.clone();
        loop {
            if !seen.insert(current.clone()) {
                problems.push(format!("{id}: cycle"));
                break;
            }
            let Some(parent) = rel_now.first().cloned() else {
                problems.push(format!("{current}: no rel"));
                break;
            };
            // The chain ends at core#entity only if entity is itself listed.
            if parent == entity && kinds.contains_key(&entity) {
                break;
            }
            if let Some(r) = kinds.get(&parent) {
                current = parent;
                rel_now.clone_from(r);
            } else {
                problems.push(format!("{current}: rel {parent} is not a listed Kind"));
                break;
            }
        }
    }
    problems.sort();
    ctx.check(
        &["QI-003"],
        problems.is_empty(),
        format!(
            "the parent chains of {} Kinds end at core#entity",
            kinds.len()
        ),
        "every Kind's rel chain reaches core#entity without cycles",
        problems.join("; "),
        &[&resp],
    );
    let entity_loc = ctx.disc.location(&entity);
    ctx.check(
        &["QI-005"],
        entity_loc.is_none(),
        "core#entity is bound to no location",
        "no location on core#entity",
        entity_loc.unwrap_or_default(),
        &[&resp],
    );
    Ok(())
}

pub(super) async fn locations(ctx: &mut Ctx) -> TestOutcome {
    let resp = ctx.disc.response.clone();
    let entity = core("entity");
    let mut bad = Vec::new();
    let mut locs: HashMap<String, Vec<String>> = HashMap::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut actions = BTreeSet::new();
    let mut referenced = BTreeSet::new();
    for c in &ctx.disc.categories {
        let id = tid(&c.id);
        *ids.entry(id.clone()).or_default() += 1;
        if c.class == CategoryClass::Action {
            actions.insert(id.clone());
        }
        for a in &c.actions {
            referenced.insert(tid(a));
        }
        if c.class == CategoryClass::Action || id == entity {
            continue;
        }
        match &c.location {
            None => bad.push(format!("{id}: no location")),
            Some(l) => {
                let p = l.as_str();
                if !super::path_of(p).ends_with('/') {
                    bad.push(format!("{id}: {p} does not end with /"));
                }
                locs.entry(super::path_of(p)).or_default().push(id.clone());
            }
        }
    }
    ctx.check(
        &["QI-004"],
        bad.is_empty(),
        "every Kind (but entity) and Mixin has a location ending in /",
        "a location path ending in / on each",
        bad.join("; "),
        &[&resp],
    );
    let dup: Vec<String> = locs
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(l, v)| format!("{l}: {}", v.join(", ")))
        .collect();
    ctx.check(
        &["QI-006"],
        dup.is_empty(),
        "locations are pairwise distinct",
        "no location shared",
        dup.join("; "),
        &[&resp],
    );
    let twice: Vec<&String> = ids
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(i, _)| i)
        .collect();
    ctx.check(
        &["QI-007"],
        twice.is_empty(),
        "no type identifier is listed twice",
        "unique scheme+term",
        format!("{twice:?}"),
        &[&resp],
    );
    let unlisted: Vec<&String> = referenced.difference(&actions).collect();
    ctx.check(
        &["QI-008"],
        unlisted.is_empty(),
        format!(
            "all {} referenced actions are listed as class=\"action\"",
            referenced.len()
        ),
        "every actions entry listed as an Action Category",
        format!("not listed: {unlisted:?}"),
        &[&resp],
    );
    Ok(())
}

fn category_set(cats: &[occi_render::text::CategoryRepr]) -> BTreeSet<String> {
    cats.iter().map(|c| tid(&c.id)).collect()
}

pub(super) async fn well_known(ctx: &mut Ctx) -> TestOutcome {
    let resp = ctx.send(Req::get("/.well-known/org/ogf/occi/-/")).await?;
    let ok = match resp.status {
        404 => true,
        200 => match ctx.parse_plain(&resp.text) {
            Ok((doc, _)) => category_set(&doc.categories) == category_set(&ctx.disc.categories),
            Err(_) => false,
        },
        _ => false,
    };
    ctx.check(
        &["QI-010"],
        ok,
        format!("the well-known path answered {}", resp.status),
        "404, or 200 with the same categories as /-/",
        resp.summary(),
        &[&resp],
    );
    Ok(())
}

pub(super) async fn filter(ctx: &mut Ctx) -> TestOutcome {
    let compute = compute();
    if ctx.disc.kind(&compute).is_none() {
        return Err(Ctx::not_advertised(&compute));
    }
    let req = Req::get("/-/").filter("Category", category(&compute, "kind"));
    let resp = ctx.send(req).await?;
    let cats = ctx
        .parse_plain(&resp.text)
        .map(|d| d.0.categories)
        .unwrap_or_default();
    let set = category_set(&cats);
    let unrelated: Vec<String> = ["storage", "network"]
        .iter()
        .map(|t| format!("{INFRA}{t}"))
        .filter(|t| set.contains(t))
        .collect();
    let exact = !ctx.is_1_2() && set.len() != 1;
    ctx.check(
        &["QI-011"],
        resp.status == 200 && set.contains(&compute) && unrelated.is_empty() && !exact,
        "a Category filter for compute",
        if ctx.is_1_2() {
            "200 with compute and no unrelated Kind"
        } else {
            "200 with exactly the compute Kind"
        },
        format!("{}: {set:?}", resp.status),
        &[&resp],
    );
    if !ctx.is_1_2() {
        let ni = format!("{INFRA}networkinterface");
        let offline = "http://schemas.ogf.org/occi/infrastructure/storage/action#offline";
        if ctx.disc.category(&ni).is_some() && ctx.disc.category(offline).is_some() {
            let value = format!("{}, {}", category(&ni, "kind"), category(offline, "action"));
            let resp = ctx.send(Req::get("/-/").filter("Category", value)).await?;
            let cats = ctx
                .parse_plain(&resp.text)
                .map(|d| d.0.categories)
                .unwrap_or_default();
            let set = category_set(&cats);
            let want: BTreeSet<String> = [ni.clone(), offline.to_owned()].into_iter().collect();
            ctx.check(
                &["QI-012"],
                resp.status == 200 && set == want,
                "a filter with two Categories",
                format!("exactly {want:?}"),
                format!("{}: {set:?}", resp.status),
                &[&resp],
            );
        } else {
            ctx.skip(
                &["QI-012"],
                "not advertised: networkinterface and storage offline",
            );
        }
    }
    let resp = ctx
        .send(Req::get("/-/").filter("Category", "compute"))
        .await?;
    ctx.check(
        &["QI-013"],
        resp.status == 400,
        "a filter Category without scheme",
        "400",
        resp.summary(),
        &[&resp],
    );
    let nosuch = format!(
        "nosuch{}; scheme=\"http://conformance.test/x#\"; class=\"kind\"",
        ctx.run_id
    );
    let resp = ctx.send(Req::get("/-/").filter("Category", nosuch)).await?;
    let n = ctx
        .parse_plain(&resp.text)
        .map_or(0, |d| d.0.categories.len());
    ctx.check(
        &["QI-014"],
        (resp.status == 200 && n == 0) || resp.status == 404,
        "a filter naming an unknown Category",
        "200 with no Category, or 404",
        format!("{} with {n} Categories", resp.status),
        &[&resp],
    );
    Ok(())
}

pub(super) async fn json(ctx: &mut Ctx) -> TestOutcome {
    let Some((resp, value)) = ctx.disc.json.clone() else {
        return Err(crate::runner::Abort::Skip(
            "the target is not OCCI 1.2".to_owned(),
        ));
    };
    let strict = occi_render::json::parse_categories(resp.text.as_bytes(), &ParseOptions::strict());
    let lenient =
        occi_render::json::parse_categories(resp.text.as_bytes(), &ParseOptions::lenient());
    let devs = match (&strict, &lenient) {
        (Err(e), Ok(l)) => crate::runner::deviations_of(&l.deviations, Some(e)),
        _ => Vec::new(),
    };
    let parsed = lenient.ok().map(|p| p.value);
    let json_set: BTreeSet<String> = parsed
        .clone()
        .map(|c| c.into_categories().iter().map(|c| tid(c.id())).collect())
        .unwrap_or_default();
    let text_set = category_set(&ctx.disc.categories);
    ctx.check_parsed(
        &["QI-026"],
        resp.status == 200
            && resp.media_type() == "application/occi+json"
            && parsed.is_some()
            && json_set == text_set,
        "GET /-/ as application/occi+json validates and lists the text categories",
        "200, application/occi+json, a valid model with the same category set as text/plain",
        format!(
            "{}; only in text: {:?}; only in JSON: {:?}",
            resp.summary(),
            text_set.difference(&json_set).collect::<Vec<_>>(),
            json_set.difference(&text_set).collect::<Vec<_>>()
        ),
        &[&resp],
        &devs,
    );
    let Some(value) = value else {
        return Err(crate::runner::Abort::Skip(
            "the JSON query interface is not JSON".to_owned(),
        ));
    };
    let obj = value.as_object().cloned().unwrap_or_default();
    let unknown: Vec<&String> = obj
        .keys()
        .filter(|k| !["kinds", "mixins", "actions"].contains(&k.as_str()))
        .collect();
    ctx.check(
        &["JSN-008"],
        unknown.is_empty(),
        "the query interface JSON has only kinds, mixins and actions",
        "top-level members kinds, mixins, actions",
        format!("unknown members {unknown:?}"),
        &[&resp],
    );
    let arr = |k: &str| {
        obj.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let ident = |v: &Value| {
        format!(
            "{}{}",
            v.get("scheme").and_then(Value::as_str).unwrap_or(""),
            v.get("term").and_then(Value::as_str).unwrap_or("")
        )
    };
    let entity = core("entity");
    let mut kind_problems = Vec::new();
    let mut rel_problems = Vec::new();
    for k in arr("kinds") {
        let id = ident(&k);
        if k.get("term").is_none() || k.get("scheme").is_none() {
            kind_problems.push(format!("{id}: term or scheme missing"));
        }
        if id != entity && k.get("location").and_then(Value::as_str).is_none() {
            kind_problems.push(format!("{id}: no location"));
        }
        let parent = k.get("parent").and_then(Value::as_str);
        if id != entity && parent.is_none() {
            kind_problems.push(format!("{id}: no parent"));
        }
        if let Some(actions) = k.get("actions") {
            let ok = actions.as_array().is_some_and(|a| {
                a.iter()
                    .all(|x| x.as_str().is_some_and(|s| s.contains('#')))
            });
            if !ok {
                kind_problems.push(format!("{id}: actions are not type identifiers"));
            }
        }
        if let Some(text) = ctx.disc.category(&id) {
            let text_rel = text.rel.first().map(tid);
            if text_rel.as_deref() != parent {
                rel_problems.push(format!(
                    "{id}: text rel {text_rel:?}, JSON parent {parent:?}"
                ));
            }
        }
    }
    ctx.check(
        &["JSN-004"],
        kind_problems.is_empty(),
        "every JSON Kind has term, scheme, location and parent (but entity); actions are identifiers",
        "complete Kinds",
        kind_problems.join("; "),
        &[&resp],
    );
    let mut mixin_problems = Vec::new();
    for m in arr("mixins") {
        let id = ident(&m);
        if m.get("location").and_then(Value::as_str).is_none() {
            mixin_problems.push(format!("{id}: no location"));
        }
        let depends: Vec<&str> = m
            .get("depends")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let (Some(first), Some(text)) = (depends.first(), ctx.disc.category(&id)) {
            let text_rel = text.rel.first().map(tid);
            if text_rel.as_deref() != Some(*first) {
                rel_problems.push(format!(
                    "{id}: text rel {text_rel:?}, JSON depends[0] {first}"
                ));
            }
        }
    }
    ctx.check(
        &["JSN-005"],
        mixin_problems.is_empty(),
        "every JSON Mixin has a location",
        "a location on each Mixin",
        mixin_problems.join("; "),
        &[&resp],
    );
    ctx.check(
        &["QI-027"],
        rel_problems.is_empty(),
        "text rel matches JSON parent and depends[0]",
        "equal",
        rel_problems.join("; "),
        &[&resp],
    );
    // Attribute descriptions.
    let mut type_problems = Vec::new();
    let mut flag_problems = Vec::new();
    for c in arr("kinds")
        .iter()
        .chain(arr("mixins").iter())
        .chain(arr("actions").iter())
    {
        let id = ident(c);
        let Some(attrs) = c.get("attributes").and_then(Value::as_object) else {
            continue;
        };
        for (name, d) in attrs {
            let ty = d.get("type").and_then(Value::as_str).unwrap_or("string");
            if !["string", "number", "boolean", "array", "object"].contains(&ty) {
                type_problems.push(format!("{id} {name}: type {ty}"));
            }
            if let Some(default) = d.get("default") {
                let ok = match ty {
                    "string" => default.is_string(),
                    "number" => default.is_number(),
                    "boolean" => default.is_boolean(),
                    "array" => default.is_array(),
                    _ => default.is_object(),
                };
                if !ok {
                    type_problems.push(format!("{id} {name}: default {default} is not a {ty}"));
                }
            }
            if let Some(text) = ctx.disc.category(&id)
                && let Some(t) = text.attributes.iter().find(|a| a.name.as_str() == name)
            {
                let mutable = d.get("mutable").and_then(Value::as_bool).unwrap_or(false);
                let required = d.get("required").and_then(Value::as_bool).unwrap_or(false);
                if t.mutable != mutable || t.required != required {
                    flag_problems.push(format!(
                            "{id} {name}: text mutable={} required={}, JSON mutable={mutable} required={required}",
                            t.mutable, t.required
                        ));
                }
            }
        }
    }
    ctx.check(
        &["JSN-006"],
        type_problems.is_empty(),
        "attribute description types and defaults",
        "type among string, number, boolean, array, object; defaults of that type",
        type_problems.join("; "),
        &[&resp],
    );
    ctx.check(
        &["JSN-007"],
        flag_problems.is_empty(),
        "mutable and required agree between JSON and text",
        "the same flags",
        flag_problems.join("; "),
        &[&resp],
    );
    // MIX-014: applies of the IP Mixins.
    let find = |id: &str| arr("mixins").into_iter().find(|m| ident(m) == id);
    let mut applies_problems = Vec::new();
    for (mixin, kind) in [
        (
            "http://schemas.ogf.org/occi/infrastructure/network#ipnetwork",
            format!("{INFRA}network"),
        ),
        (
            "http://schemas.ogf.org/occi/infrastructure/networkinterface#ipnetworkinterface",
            format!("{INFRA}networkinterface"),
        ),
    ] {
        if let Some(m) = find(mixin) {
            let applies: Vec<&str> = m
                .get("applies")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if applies != [kind.as_str()] {
                applies_problems.push(format!("{mixin}: applies {applies:?}"));
            }
        }
    }
    if find("http://schemas.ogf.org/occi/infrastructure/network#ipnetwork").is_some() {
        ctx.check(
            &["MIX-014"],
            applies_problems.is_empty(),
            "ipnetwork and ipnetworkinterface apply to their Kinds",
            "applies [network] and [networkinterface]",
            applies_problems.join("; "),
            &[&resp],
        );
    } else {
        ctx.skip(&["MIX-014"], "not advertised: ipnetwork");
    }
    Ok(())
}

pub(super) async fn other_renderings(ctx: &mut Ctx) -> TestOutcome {
    let resp = ctx.send(Req::get("/-/").accept(Some("text/occi"))).await?;
    let parsed = ctx.parse_occi_headers(&resp.headers);
    let (set, devs) = match &parsed {
        Ok((doc, devs)) => (category_set(&doc.categories), devs.clone()),
        Err(_) => (BTreeSet::new(), Vec::new()),
    };
    let text_set = category_set(&ctx.disc.categories);
    ctx.check_parsed(
        &["OCC-005"],
        resp.status == 200 && resp.media_type() == "text/occi" && set == text_set,
        "GET /-/ as text/occi carries every category in headers",
        format!(
            "200, text/occi, the {} categories of text/plain",
            text_set.len()
        ),
        format!("{}, {} categories", resp.summary(), set.len()),
        &[&resp],
        &devs,
    );
    if ctx.is_1_2() {
        let resp = ctx
            .send(Req::get("/-/").accept(Some("text/occi+plain")))
            .await?;
        let set = ctx
            .parse_plain(&resp.text)
            .map(|d| category_set(&d.0.categories))
            .unwrap_or_default();
        let mt = resp.media_type();
        ctx.check(
            &["TXT-016"],
            resp.status == 200
                && (mt == "text/occi+plain" || mt == "text/plain")
                && set == text_set,
            "GET /-/ as text/occi+plain",
            "200, text/occi+plain or text/plain, the same categories",
            format!("{}, {} categories", resp.summary(), set.len()),
            &[&resp],
        );
    }
    let resp = ctx
        .send(Req::get("/-/").accept(Some("text/uri-list")))
        .await?;
    ctx.check(
        &["URI-003"],
        [400, 406].contains(&resp.status),
        "the query interface as text/uri-list",
        codes(&[400, 406]),
        resp.summary(),
        &[&resp],
    );
    Ok(())
}

pub(super) async fn user_mixins(ctx: &mut Ctx) -> TestOutcome {
    let scheme = ctx.mixin_scheme();
    let term = "tag1";
    let loc = format!("/conformance-{}/", ctx.run_id);
    let value = format!("{term}; scheme=\"{scheme}\"; class=\"mixin\"; location=\"{loc}\"");
    let resp = ctx
        .send(Req::post("/-/").body(format!("Category: {value}\r\n")))
        .await?;
    if resp.ok() {
        ctx.created_mixin(&format!("{term}; scheme=\"{scheme}\"; class=\"mixin\""));
    }
    let id = format!("{scheme}{term}");
    let listed = ctx.send(Req::get("/-/")).await?;
    let cats = ctx
        .parse_plain(&listed.text)
        .map(|d| d.0.categories)
        .unwrap_or_default();
    let count = |cats: &[occi_render::text::CategoryRepr], id: &str| {
        cats.iter().filter(|c| tid(&c.id) == id).count()
    };
    let found = cats
        .iter()
        .find(|c| tid(&c.id) == id)
        .and_then(|c| c.location.as_ref())
        .map(|l| super::path_of(l.as_str()));
    if resp.status == 403 || resp.status == 501 {
        ctx.skip(
            &[
                "QI-015", "QI-018", "QI-019", "QI-016", "QI-017", "QI-020", "QI-023", "TXT-014",
                "TXT-015", "MIX-013",
            ],
            "the target does not support user Mixins",
        );
        return Ok(());
    }
    ctx.check(
        &["QI-015"],
        resp.status == 200 && found.as_deref() == Some(loc.as_str()),
        "POST /-/ adds a user Mixin that is then listed with its location",
        format!("200, then {id} listed at {loc}"),
        format!("{}, listed at {found:?}", resp.summary()),
        &[&resp, &listed],
    );
    // The same identifier again.
    let again = ctx.send(Req::post("/-/").body(format!("Category: {term}; scheme=\"{scheme}\"; class=\"mixin\"; location=\"/conformance-{}-b/\"\r\n", ctx.run_id))).await?;
    let listed = ctx.send(Req::get("/-/")).await?;
    let cats = ctx
        .parse_plain(&listed.text)
        .map(|d| d.0.categories)
        .unwrap_or_default();
    let n = count(&cats, &id);
    ctx.check(
        &["QI-018"],
        !again.ok() && n == 1,
        format!(
            "a second Mixin with the same identifier is refused ({}; 409 recommended)",
            again.status
        ),
        "not 2xx (409 recommended), and the identifier listed once",
        format!("{}, listed {n} time(s)", again.summary()),
        &[&again, &listed],
    );
    // A location taken by a Kind.
    if let Some(kloc) = ctx.disc.location(&compute()) {
        let body = format!(
            "Category: tag2; scheme=\"{scheme}\"; class=\"mixin\"; location=\"{kloc}\"\r\n"
        );
        let r = ctx.send(Req::post("/-/").body(body)).await?;
        if r.ok() {
            ctx.created_mixin(&format!("tag2; scheme=\"{scheme}\"; class=\"mixin\""));
        }
        ctx.check(
            &["QI-019"],
            !r.ok(),
            format!(
                "a Mixin at the compute Kind's location is refused ({}; 409 recommended)",
                r.status
            ),
            "not 2xx (409 recommended)",
            r.summary(),
            &[&r],
        );
    }
    // No location.
    let r = ctx
        .send(Req::post("/-/").body(format!(
            "Category: tag3; scheme=\"{scheme}\"; class=\"mixin\"\r\n"
        )))
        .await?;
    if r.ok() {
        ctx.created_mixin(&format!("tag3; scheme=\"{scheme}\"; class=\"mixin\""));
    }
    ctx.check(
        &["QI-016"],
        r.status == 400,
        "a user Mixin without location",
        "400",
        r.summary(),
        &[&r],
    );
    // A Kind.
    let r = ctx.send(Req::post("/-/").body(format!("Category: kind4; scheme=\"{scheme}\"; class=\"kind\"; location=\"/conformance-{}-k/\"\r\n", ctx.run_id))).await?;
    ctx.check(
        &["QI-017"],
        r.status == 400 || r.status == 403,
        "POST /-/ with a Kind",
        codes(&[400, 403]),
        r.summary(),
        &[&r],
    );
    // The reserved scheme.
    let r = ctx.send(Req::post("/-/").body(format!("Category: conformance{}; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"mixin\"; location=\"/conformance-{}-o/\"\r\n", ctx.run_id, ctx.run_id))).await?;
    if r.ok() {
        ctx.created_mixin(&format!("conformance{}; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"mixin\"", ctx.run_id));
    }
    ctx.check(
        &["QI-020"],
        r.status == 400 || r.status == 403,
        "a user Mixin in the reserved OGF scheme",
        codes(&[400, 403]),
        r.summary(),
        &[&r],
    );
    // Removing a Mixin that does not exist.
    let r = ctx
        .send(Req::delete("/-/").body(format!(
            "Category: nosuch; scheme=\"{scheme}\"; class=\"mixin\"\r\n"
        )))
        .await?;
    ctx.check(
        &["QI-023"],
        r.status == 404,
        "DELETE /-/ naming an unknown Mixin",
        "404",
        r.summary(),
        &[&r],
    );
    // PUT is not defined.
    let r = ctx
        .send(Req::put("/-/").body(format!("Category: {value}\r\n")))
        .await?;
    let allow = r.header("allow").unwrap_or("").to_owned();
    ctx.check(
        &["QI-025"],
        r.status == 405 && allow.to_ascii_uppercase().contains("GET"),
        "PUT /-/",
        "405 with an Allow header listing GET",
        format!("{}, Allow: {allow}", r.summary()),
        &[&r],
    );
    // Relaxed terms.
    let body = format!(
        "Category: My.Tag-1; scheme=\"{scheme}\"; class=\"mixin\"; location=\"/conformance-{}-t/\"\r\n",
        ctx.run_id
    );
    let r = ctx.send(Req::post("/-/").body(body)).await?;
    if r.ok() {
        ctx.created_mixin(&format!("My.Tag-1; scheme=\"{scheme}\"; class=\"mixin\""));
    }
    if ctx.is_1_2() {
        let listed = ctx.send(Req::get("/-/")).await?;
        let cats = ctx
            .parse_plain(&listed.text)
            .map(|d| d.0.categories)
            .unwrap_or_default();
        let n = count(&cats, &format!("{scheme}My.Tag-1"));
        ctx.check(
            &["TXT-014"],
            r.status == 200 && n == 1,
            "a 1.2 user Mixin term with upper case, dot and dash",
            "200 and listed with the case preserved",
            format!("{}, listed {n} time(s)", r.summary()),
            &[&r],
        );
        // JSON user Mixin.
        let body = format!(
            "{{\"mixins\":[{{\"term\":\"tagj\",\"scheme\":\"{scheme}\",\"location\":\"/conformance-j-{}/\"}}]}}",
            ctx.run_id
        );
        let r = ctx
            .send(
                Req::post("/-/")
                    .content_type(Some("application/occi+json"))
                    .body(body),
            )
            .await?;
        if r.ok() {
            ctx.created_mixin(&format!("tagj; scheme=\"{scheme}\"; class=\"mixin\""));
        }
        let listed = ctx.send(Req::get("/-/")).await?;
        let cats = ctx
            .parse_plain(&listed.text)
            .map(|d| d.0.categories)
            .unwrap_or_default();
        let n = count(&cats, &format!("{scheme}tagj"));
        ctx.check(
            &["MIX-013"],
            r.status == 200 && n == 1,
            "POST /-/ with a JSON user Mixin",
            "200 and listed",
            format!("{}, listed {n} time(s)", r.summary()),
            &[&r],
        );
    } else {
        ctx.check(
            &["TXT-015"],
            r.status == 400 || r.ok(),
            format!(
                "a 1.1 term outside the grammar was {}",
                if r.ok() {
                    "accepted (lenient)"
                } else {
                    "rejected (strict)"
                }
            ),
            "400 or acceptance",
            r.summary(),
            &[&r],
        );
    }
    Ok(())
}

pub(super) async fn provider_categories(ctx: &mut Ctx) -> TestOutcome {
    let os_tpl = format!("{INFRA}os_tpl");
    let provider = ctx
        .disc
        .mixins_related_to(&os_tpl)
        .first()
        .map(|c| tid(&c.id))
        .or_else(|| {
            ctx.disc
                .category("http://schemas.ogf.org/occi/infrastructure/network#ipnetwork")
                .map(|c| tid(&c.id))
        })
        .or_else(|| ctx.disc.category(&os_tpl).map(|c| tid(&c.id)));
    match provider {
        Some(id) => {
            let r = ctx
                .send(Req::delete("/-/").body(format!("Category: {}\r\n", category(&id, "mixin"))))
                .await?;
            let still = ctx.send(Req::get("/-/")).await?;
            let listed = ctx
                .parse_plain(&still.text)
                .is_ok_and(|d| d.0.categories.iter().any(|c| tid(&c.id) == id));
            ctx.check(
                &["QI-022"],
                r.status == 403 && listed,
                format!("DELETE /-/ naming the provider Mixin {id}"),
                "403, and still listed",
                format!("{}, listed: {listed}", r.summary()),
                &[&r],
            );
        }
        None => ctx.skip(&["QI-022"], "not advertised: a provider Mixin"),
    }
    let compute = compute();
    if ctx.disc.kind(&compute).is_some() {
        let r = ctx
            .send(Req::delete("/-/").body(format!("Category: {}\r\n", category(&compute, "kind"))))
            .await?;
        let still = ctx.send(Req::get("/-/")).await?;
        let listed = ctx
            .parse_plain(&still.text)
            .is_ok_and(|d| d.0.categories.iter().any(|c| tid(&c.id) == compute));
        ctx.check(
            &["QI-024"],
            (r.status == 403 || r.status == 400) && listed,
            "DELETE /-/ naming the compute Kind",
            "403 or 400, and still listed",
            format!("{}, listed: {listed}", r.summary()),
            &[&r],
        );
    } else {
        ctx.skip(&["QI-024"], "not advertised: compute");
    }
    Ok(())
}
