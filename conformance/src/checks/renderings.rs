//! Renderings: text/plain requests (TXT), text/occi (OCC), listings (COL, URI) and JSON (JSN).

use occi_model::AttributeValue;
use occi_render::ParseOptions;
use serde_json::Value;

use super::{
    attr, category, compute, create, create_body, fetch, kind_location, kind_of, list, mixins_of,
    number, path_of, post_create, show, show_in,
};
use crate::runner::{Ctx, INFRA, Req, TestOutcome, tid};

pub(super) async fn text_requests(ctx: &mut Ctx) -> TestOutcome {
    let kind = compute();
    let loc = kind_location(ctx, &kind)?;
    let (scheme, term) = super::split_tid(&kind);
    let (scheme, term) = (scheme.to_owned(), term.to_owned());
    // Quoting.
    let body = format!(
        "Category: {}\r\nX-OCCI-Attribute: occi.core.title=\"He said \\\"hi\\\", x=1.0\"\r\nX-OCCI-Attribute: occi.compute.memory=3.5\r\n",
        category(&kind, "kind")
    );
    let (r, url) = post_create(ctx, &loc, Req::post(loc.as_str()).body(body)).await?;
    if let Some(url) = url {
        let (got, doc, devs) = fetch(ctx, &url).await?;
        let ok = attr(&doc, "occi.core.title").and_then(AttributeValue::as_str)
            == Some("He said \"hi\", x=1.0")
            && number(attr(&doc, "occi.compute.memory")) == Some(3.5);
        ctx.check(
            &["TXT-005"],
            ok,
            "escaped quotes and a comma inside a quoted value",
            "title He said \"hi\", x=1.0 and memory 3.5",
            format!(
                "title {}, memory {}",
                show_in(attr(&doc, "occi.core.title"), &devs),
                show_in(attr(&doc, "occi.compute.memory"), &devs)
            ),
            &[&r, &got],
        );
    } else {
        ctx.check(
            &["TXT-005"],
            false,
            "escaped quotes and a comma inside a quoted value",
            "a successful create",
            r.summary(),
            &[&r],
        );
    }
    // Comma-separated attributes.
    let body = format!(
        "Category: {}\r\nX-OCCI-Attribute: occi.core.title=\"a\", occi.compute.cores=2\r\n",
        category(&kind, "kind")
    );
    let (r, url) = post_create(ctx, &loc, Req::post(loc.as_str()).body(body)).await?;
    let (ok, actual, got) = match url {
        Some(url) => {
            let (got, doc, devs) = fetch(ctx, &url).await?;
            (
                attr(&doc, "occi.core.title").and_then(AttributeValue::as_str) == Some("a")
                    && number(attr(&doc, "occi.compute.cores")) == Some(2.0),
                format!(
                    "title {}, cores {}",
                    show_in(attr(&doc, "occi.core.title"), &devs),
                    show_in(attr(&doc, "occi.compute.cores"), &devs)
                ),
                Some(got),
            )
        }
        None => (false, r.summary(), None),
    };
    let mut ev = vec![&r];
    if let Some(g) = &got {
        ev.push(g);
    }
    ctx.check(
        &["TXT-006"],
        ok,
        "two attributes on one X-OCCI-Attribute line",
        "both applied",
        actual,
        &ev,
    );
    // Kind and os_tpl on one line.
    let os = ctx
        .disc
        .mixins_related_to(&format!("{INFRA}os_tpl"))
        .first()
        .map(|c| tid(&c.id));
    if let Some(os) = os {
        let body = format!(
            "Category: {}, {}\r\n",
            category(&kind, "kind"),
            category(&os, "mixin")
        );
        let (r, url) = post_create(ctx, &loc, Req::post(loc.as_str()).body(body)).await?;
        let mixins = match &url {
            Some(u) => mixins_of(&fetch(ctx, u).await?.1),
            None => Vec::new(),
        };
        ctx.check(
            &["TXT-007"],
            url.is_some() && mixins.contains(&os),
            "the Kind and an os_tpl on one Category line",
            format!("created with {os}"),
            format!("{}; {mixins:?}", r.summary()),
            &[&r],
        );
    } else {
        ctx.skip(&["TXT-007"], "not advertised: an os_tpl template");
    }
    // Spellings that must be accepted.
    let cases: [(&[&str], String, &str); 4] = [
        (
            &["TXT-008"],
            format!(
                "category: {}\r\nx-occi-attribute: occi.core.title=\"c1\"\r\nX-Occi-Attribute: occi.compute.cores=1\r\n",
                category(&kind, "kind")
            ),
            "field names in other cases",
        ),
        (
            &["TXT-009"],
            format!("Category: {term} ; scheme = \"{scheme}\" ; class = \"kind\"\r\n"),
            "whitespace around ; and =",
        ),
        (
            &["TXT-010"],
            format!("Category: {term}; scheme=\"{scheme}\"; class=kind\r\n"),
            "class=kind unquoted",
        ),
        (
            &["TXT-017"],
            format!(
                "\nCategory: {term}; scheme=\"{scheme}\"; class=\"kind\";\nX-OCCI-Attribute: occi.core.title=\"lf\"\n"
            ),
            "a trailing ;, LF line endings and a leading blank line",
        ),
    ];
    for (ids, body, what) in cases {
        let (r, url) = post_create(ctx, &loc, Req::post(loc.as_str()).body(body)).await?;
        ctx.check(
            ids,
            url.is_some(),
            what.to_owned(),
            "success (201 or 200)",
            r.summary(),
            &[&r],
        );
    }
    // Spellings that must be refused.
    let cases: [(&[&str], String, &str); 4] = [
        (
            &["TXT-011"],
            format!("Category: {term}; scheme=\"{scheme}\"; class=\"resource\"\r\n"),
            "class=\"resource\"",
        ),
        (
            &["TXT-012"],
            format!("Category: {term}; class=\"kind\"\r\n"),
            "a Category without scheme",
        ),
        (
            &["TXT-013"],
            format!(
                "Category: {}\r\nX-OCCI-Attribute: occi.core.title=\"unterminated\r\n",
                category(&kind, "kind")
            ),
            "an unterminated quoted string",
        ),
        (
            &["TXT-018"],
            format!(
                "Category: {}\r\nLink: /network/1; rel=\"{INFRA}network\"\r\n",
                category(&kind, "kind")
            ),
            "a Link without angle brackets",
        ),
    ];
    for (ids, body, what) in cases {
        let (_, before) = list(ctx, &loc).await?;
        let (r, _) = post_create(ctx, &loc, Req::post(loc.as_str()).body(body)).await?;
        let (_, after) = list(ctx, &loc).await?;
        let same = before.len() == after.len();
        ctx.check(
            ids,
            r.status == 400 && same,
            what.to_owned(),
            "400; nothing created",
            format!("{}; unchanged: {same}", r.summary()),
            &[&r],
        );
    }
    Ok(())
}

pub(super) async fn text_occi(ctx: &mut Ctx) -> TestOutcome {
    let kind = compute();
    let loc = kind_location(ctx, &kind)?;
    // Create through headers.
    let req = Req::post(loc.as_str())
        .content_type(Some("text/occi"))
        .header("Category", category(&kind, "kind"))
        .header("X-OCCI-Attribute", "occi.core.title=\"occ1\"")
        .header("X-OCCI-Attribute", "occi.compute.cores=2")
        .body("");
    let (r1, url1) = post_create(ctx, &loc, req).await?;
    ctx.check(
        &["OCC-002"],
        url1.is_some(),
        "create with the rendering in request headers",
        "201 or 200",
        r1.summary(),
        &[&r1],
    );
    let req = Req::post(loc.as_str())
        .content_type(Some("text/occi"))
        .accept(Some("text/occi"))
        .header("Category", category(&kind, "kind"))
        .header(
            "X-OCCI-Attribute",
            "occi.core.title=\"occ1\", occi.compute.cores=2",
        )
        .body("");
    let (r2, url2) = post_create(ctx, &loc, req).await?;
    let (Some(url1), Some(url2)) = (url1, url2) else {
        ctx.check(
            &["OCC-003"],
            false,
            "repeated and comma-separated X-OCCI-Attribute headers",
            "both succeed",
            format!("{} / {}", r1.status, r2.status),
            &[&r1, &r2],
        );
        return Ok(());
    };
    let body = r2.text.trim().to_owned();
    ctx.check(
        &["OCC-006"],
        body == "OK" || (r2.status == 201 && body.is_empty()),
        "the body of a text/occi success",
        "OK",
        format!("{body:?}"),
        &[&r2],
    );
    let (g1, d1, _) = fetch(ctx, &url1).await?;
    let (g2, d2, _) = fetch(ctx, &url2).await?;
    // Judged on the values applied, whatever their quoting (that is TXT-004's concern).
    let vals = |d: &occi_render::text::TextDocument| {
        (
            attr(d, "occi.core.title")
                .and_then(AttributeValue::as_str)
                .map(str::to_owned),
            number(attr(d, "occi.compute.cores")),
        )
    };
    ctx.check(
        &["OCC-003"],
        vals(&d1) == vals(&d2) && vals(&d1) == (Some("occ1".to_owned()), Some(2.0)),
        "repeated and comma-separated X-OCCI-Attribute headers",
        "the same values from both: title occ1, cores 2",
        format!("{:?} / {:?}", vals(&d1), vals(&d2)),
        &[&r1, &r2, &g1, &g2],
    );
    // GET as text/occi.
    let g = ctx
        .send(Req::get(url1.as_str()).accept(Some("text/occi")))
        .await?;
    let parsed = ctx.parse_occi_headers(&g.headers);
    let (doc, devs) = parsed.clone().unwrap_or_default();
    ctx.check_parsed(
        &["OCC-001"],
        g.status == 200
            && g.media_type() == "text/occi"
            && kind_of(&doc).is_some()
            && g.text.trim() == "OK",
        "GET an entity as text/occi",
        "200, text/occi, the rendering in headers, body OK",
        format!("{}, body {:?}", g.summary(), g.text.trim()),
        &[&g],
        &devs,
    );
    let set = |d: &occi_render::text::TextDocument| {
        let mut v: Vec<String> = d.categories.iter().map(|c| tid(&c.id)).collect();
        v.extend(
            d.attributes
                .iter()
                .map(|a| format!("{}={}", a.name.as_str(), show(Some(&a.value)))),
        );
        v.extend(d.links.iter().map(|l| path_of(l.target.as_str())));
        v.extend(d.action_links.iter().map(|l| tid(&l.action)));
        v.sort();
        v
    };
    ctx.check(
        &["OCC-004"],
        set(&d1) == set(&doc),
        "text/plain and text/occi renderings of an entity agree",
        format!("{:?}", set(&d1)),
        format!("{:?}", set(&doc)),
        &[&g],
    );
    let l = ctx
        .send(Req::get(loc.as_str()).accept(Some("text/occi")))
        .await?;
    let ldoc = ctx
        .parse_occi_headers(&l.headers)
        .map(|d| d.0)
        .unwrap_or_default();
    let (_, plain) = list(ctx, &loc).await?;
    ctx.check(
        &["COL-004"],
        l.status == 200
            && l.media_type() == "text/occi"
            && super::listing(&ldoc) == plain
            && l.text.trim() == "OK",
        "a collection as text/occi",
        "200, text/occi, the X-OCCI-Location set of text/plain, body OK",
        format!("{}, {} locations", l.summary(), ldoc.locations.len()),
        &[&l],
    );
    Ok(())
}

pub(super) async fn listing(ctx: &mut Ctx) -> TestOutcome {
    let kind = compute();
    let loc = kind_location(ctx, &kind)?;
    let url = create(ctx, &kind, "").await?;
    let resp = ctx.send(Req::get(loc.as_str())).await?;
    let (doc, devs) = ctx.parse_plain(&resp.text).unwrap_or_default();
    let only_locations =
        doc.categories.is_empty() && doc.attributes.is_empty() && doc.links.is_empty();
    let mut bad = Vec::new();
    for l in doc.locations.iter().take(5) {
        let (g, d, _) = fetch(ctx, l.location.as_str()).await?;
        if g.status != 200 || kind_of(&d).as_deref() != Some(kind.as_str()) {
            bad.push(format!("{}: {}", l.location.as_str(), g.status));
        }
    }
    ctx.check_parsed(
        &["COL-001"],
        resp.status == 200 && only_locations && bad.is_empty() && !doc.locations.is_empty(),
        "GET the compute collection",
        "200, only X-OCCI-Location lines, each a compute",
        format!("{}; bad: {bad:?}", resp.summary()),
        &[&resp],
        &devs,
    );
    ctx.check(
        &["TXT-002"],
        devs.is_empty(),
        "the collection parses with the strict grammar",
        "strict",
        format!("{} deviation(s)", devs.len()),
        &[&resp],
    );
    let (g, _, gdevs) = fetch(ctx, &url).await?;
    ctx.check(
        &["TXT-002"],
        g.status == 200 && gdevs.is_empty(),
        "an entity parses with the strict grammar",
        "strict",
        format!("{gdevs:?}"),
        &[&g],
    );
    let plain = super::listing(&doc);
    let u = ctx
        .send(Req::get(loc.as_str()).accept(Some("text/uri-list")))
        .await?;
    uri_list_checks(ctx, &["COL-003"], &u, &plain);
    let u = ctx
        .send(Req::get(url.as_str()).accept(Some("text/uri-list")))
        .await?;
    ctx.check(
        &["URI-002"],
        u.status == 400,
        "an entity as text/uri-list",
        "400",
        u.summary(),
        &[&u],
    );
    if ctx.is_1_2() {
        let j = ctx
            .send(Req::get(loc.as_str()).accept(Some("application/occi+json")))
            .await?;
        let parsed =
            occi_render::json::parse_entity_collection(j.text.as_bytes(), &ParseOptions::strict());
        let ids: Vec<String> = match &parsed {
            Ok(p) => p
                .value
                .resources
                .iter()
                .filter_map(|r| r.id.as_ref().map(|i| i.as_str().to_owned()))
                .collect(),
            Err(_) => Vec::new(),
        };
        let mut missing = Vec::new();
        for l in plain.iter().take(10) {
            let (_, d, _) = fetch(ctx, l).await?;
            let id = attr(&d, "occi.core.id")
                .and_then(AttributeValue::as_str)
                .unwrap_or("")
                .to_owned();
            if !ids.contains(&id) {
                missing.push(id);
            }
        }
        ctx.check(
            &["COL-016"],
            j.status == 200 && parsed.is_ok() && ids.len() == plain.len() && missing.is_empty(),
            "the compute collection as JSON",
            "{\"resources\":[…]} with the locations of the text listing",
            format!(
                "{}; {}",
                j.summary(),
                parsed
                    .err()
                    .map_or_else(|| format!("{} resources", ids.len()), |e| e.to_string())
            ),
            &[&j],
        );
    }
    Ok(())
}

/// Checks a text/uri-list listing against the expected paths (COL-003, URI-001) and its
/// format (URI-004).
pub(super) fn uri_list_checks(
    ctx: &mut Ctx,
    ids: &[&str],
    u: &crate::runner::Resp,
    expected: &[String],
) {
    let lines: Vec<&str> = u
        .text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    let mut got: Vec<String> = lines.iter().map(|l| path_of(l)).collect();
    got.sort();
    ctx.check(
        ids,
        u.status == 200 && u.media_type() == "text/uri-list" && got == expected,
        "a collection as text/uri-list",
        format!("200, text/uri-list, {expected:?}"),
        format!("{}, {got:?}", u.summary()),
        &[u],
    );
    let parsed = occi_render::uri_list::parse(&u.text, &ParseOptions::strict());
    let prefixed = lines
        .iter()
        .any(|l| l.to_ascii_lowercase().starts_with("x-occi-location"));
    let crlf = u.text.is_empty() || u.text.ends_with("\r\n");
    let observed = if prefixed
        || parsed.is_err()
            && occi_render::uri_list::parse(&u.text, &ParseOptions::lenient()).is_err()
    {
        crate::outcome::Outcome::Fail
    } else if parsed.is_err() || !crlf {
        crate::outcome::Outcome::PassLenient
    } else {
        crate::outcome::Outcome::Pass
    };
    let devs = if crlf {
        Vec::new()
    } else {
        vec![crate::outcome::Deviation::new(
            "LF line endings instead of CRLF",
        )]
    };
    ctx.record(
        &["URI-004"],
        observed,
        "the text/uri-list body follows RFC 2483",
        "one URI per CRLF-terminated line, no X-OCCI-Location prefix",
        format!("{:?}", u.text),
        &[u],
        &devs,
    );
}

pub(super) async fn json_entities(ctx: &mut Ctx) -> TestOutcome {
    if !ctx.is_1_2() {
        return Err(crate::runner::Abort::Skip(
            "the target is not OCCI 1.2".to_owned(),
        ));
    }
    let kind = compute();
    let loc = kind_location(ctx, &kind)?;
    let url = create(ctx, &kind, "X-OCCI-Attribute: occi.compute.cores=2\r\n").await?;
    let (_, text, _) = fetch(ctx, &url).await?;
    let j = ctx
        .send(Req::get(url.as_str()).accept(Some("application/occi+json")))
        .await?;
    let parsed = occi_render::json::parse_resource(j.text.as_bytes(), &ParseOptions::strict());
    ctx.check(
        &["JSN-001"],
        j.status == 200 && j.media_type() == "application/occi+json" && parsed.is_ok(),
        "GET an entity as JSON",
        "200, application/occi+json, a valid resource",
        format!(
            "{}; {}",
            j.summary(),
            parsed
                .as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default()
        ),
        &[&j],
    );
    let v: Value = serde_json::from_str(&j.text).unwrap_or(Value::Null);
    let jkind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let jid = v.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
    let tid_text = attr(&text, "occi.core.id")
        .and_then(AttributeValue::as_str)
        .unwrap_or("")
        .to_owned();
    let mut jm: Vec<String> = v
        .get("mixins")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    jm.sort();
    let mut tm = mixins_of(&text);
    tm.sort();
    let mut ja: Vec<String> = v
        .get("actions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ja.sort();
    let mut ta: Vec<String> = text.action_links.iter().map(|a| tid(&a.action)).collect();
    ta.sort();
    ctx.check(
        &["JSN-002"],
        Some(jkind.as_str()) == kind_of(&text).as_deref()
            && jid == tid_text
            && jm == tm
            && ja == ta,
        "JSON and text renderings of an entity agree",
        format!(
            "kind {:?}, id {tid_text}, mixins {tm:?}, actions {ta:?}",
            kind_of(&text)
        ),
        format!("kind {jkind}, id {jid}, mixins {jm:?}, actions {ja:?}"),
        &[&j],
    );
    let attrs = v.get("attributes").cloned().unwrap_or(Value::Null);
    let ok = attrs
        .get("occi.compute.cores")
        .is_some_and(Value::is_number)
        && attrs.get("occi.compute.state").is_none_or(Value::is_string);
    ctx.check(
        &["JSN-003"],
        ok,
        "JSON attribute values have their types",
        "cores a number, state a string",
        format!("{attrs}"),
        &[&j],
    );
    let create_json = |extra: &str| {
        format!("{{\"kind\":\"{kind}\",\"attributes\":{{\"occi.core.title\":\"j1\"{extra}}}}}")
    };
    let (r, url2) = post_create(
        ctx,
        &loc,
        Req::post(loc.as_str())
            .content_type(Some("application/occi+json"))
            .body(create_json("")),
    )
    .await?;
    ctx.check(
        &["JSN-010"],
        url2.is_some() || (r.status == 200),
        "create from JSON without id",
        "201 + Location or 200 + resource",
        r.summary(),
        &[&r],
    );
    let (r, _) = post_create(
        ctx,
        &loc,
        Req::post(loc.as_str())
            .content_type(Some("application/occi+json"))
            .body("{\"kind\":"),
    )
    .await?;
    ctx.check(
        &["JSN-012"],
        r.status == 400,
        "a truncated JSON body",
        "400",
        r.summary(),
        &[&r],
    );
    let (r, u) = post_create(
        ctx,
        &loc,
        Req::post(loc.as_str())
            .content_type(Some("application/occi+json"))
            .body(format!("{{\"kind\":\"{kind}\",\"foo\":1}}")),
    )
    .await?;
    ctx.check(
        &["JSN-013"],
        r.status == 400 || u.is_some(),
        format!(
            "an unknown top-level member was {}",
            if u.is_some() { "ignored" } else { "rejected" }
        ),
        "400, or the member ignored",
        r.summary(),
        &[&r],
    );
    let (r, _) = post_create(
        ctx,
        &loc,
        Req::post(loc.as_str())
            .content_type(Some("application/occi+json"))
            .body(create_json(",\"occi.compute.cores\":\"2\"")),
    )
    .await?;
    ctx.check(
        &["JSN-014"],
        r.status == 400,
        "cores as a JSON string",
        "400",
        r.summary(),
        &[&r],
    );
    let a = ctx
        .send(
            Req::post(format!("{url}?action=start"))
                .content_type(Some("application/occi+json"))
                .body("{\"attributes\":{}}"),
        )
        .await?;
    ctx.check(
        &["JSN-015"],
        a.status == 400,
        "an action invocation without action member",
        "400",
        a.summary(),
        &[&a],
    );
    let body = create_body(ctx, &kind, "");
    let (r, _) = post_create(
        ctx,
        &loc,
        Req::post(loc.as_str())
            .accept(Some("application/occi+json"))
            .body(body),
    )
    .await?;
    let ok = (r.status == 201 && r.header("location").is_some())
        || (r.status == 200 && r.media_type() == "application/occi+json");
    ctx.check(
        &["JSN-016"],
        ok,
        "create from text/plain answered in JSON",
        "201 + Location, or 200 with a JSON body",
        r.summary(),
        &[&r],
    );
    let stop = "http://schemas.ogf.org/occi/infrastructure/compute/action#stop";
    let start = "http://schemas.ogf.org/occi/infrastructure/compute/action#start";
    let _ = ctx
        .send(
            Req::post(format!("{url}?action=start"))
                .body(format!("Category: {}\r\n", category(start, "action"))),
        )
        .await?;
    let a = ctx
        .send(
            Req::post(format!("{url}?action=stop"))
                .content_type(Some("application/occi+json"))
                .body(format!(
                    "{{\"action\":\"{stop}\",\"attributes\":{{\"method\":\"graceful\"}}}}"
                )),
        )
        .await?;
    ctx.check(
        &["ACT-010"],
        a.status == 200,
        "a JSON action invocation",
        "200",
        a.summary(),
        &[&a],
    );
    Ok(())
}
