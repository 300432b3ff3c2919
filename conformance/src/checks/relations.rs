//! Mixin membership (MIX), collection filters and pages (COL), actions (ACT) and links (LNK).

use occi_model::AttributeValue;

use super::{
    attr, category, compute, create, fetch, kind_location, list, mixins_of, path_of, post_create,
    show,
};
use crate::runner::{Abort, Ctx, INFRA, Req, Resp, TestOutcome, tid};

fn split(t: &str) -> &str {
    super::split_tid(t).1
}

const ACTIONS: &str = "http://schemas.ogf.org/occi/infrastructure/compute/action#";

pub(super) async fn tags(ctx: &mut Ctx) -> TestOutcome {
    let kind = compute();
    let kloc = kind_location(ctx, &kind)?;
    let scheme = ctx.mixin_scheme();
    let mloc = format!("/conformance-{}-m/", ctx.run_id);
    let mid = format!("{scheme}mtag");
    let r = ctx
        .send(Req::post("/-/").body(format!(
            "Category: mtag; scheme=\"{scheme}\"; class=\"mixin\"; location=\"{mloc}\"\r\n"
        )))
        .await?;
    if !r.ok() {
        return Err(Abort::Skip(format!(
            "the target refused a user Mixin ({})",
            r.status
        )));
    }
    ctx.created_mixin(&format!("mtag; scheme=\"{scheme}\"; class=\"mixin\""));
    let (empty, items) = list(ctx, &mloc).await?;
    let empty_ok =
        (empty.status == 200 && items.is_empty()) || (!ctx.is_1_2() && empty.status == 204);
    ctx.check(
        &["COL-002"],
        empty_ok,
        "a fresh Mixin collection is empty",
        "200 with no locations (1.1: or 204)",
        format!("{}, {items:?}", empty.summary()),
        &[&empty],
    );
    let host = format!("h-{}", ctx.run_id);
    let e1 = create(
        ctx,
        &kind,
        &format!("X-OCCI-Attribute: occi.compute.hostname=\"{host}\"\r\n"),
    )
    .await?;
    let e2 = create(ctx, &kind, "").await?;
    let (p1, p2) = (path_of(&e1), path_of(&e2));
    let r = ctx
        .send(Req::post(mloc.as_str()).body(format!("X-OCCI-Location: {e1}\r\n")))
        .await?;
    let (g, d, _) = fetch(ctx, &e1).await?;
    ctx.check(
        &["MIX-001"],
        r.status == 200 && mixins_of(&d).contains(&mid),
        "associate an entity with the Mixin",
        "200, and the entity lists the Mixin",
        format!("{}; {:?}", r.summary(), mixins_of(&d)),
        &[&r, &g],
    );
    let (l, items) = list(ctx, &mloc).await?;
    ctx.check(
        &["MIX-002"],
        items == [p1.clone()],
        "the Mixin collection lists the entity",
        format!("[{p1}]"),
        format!("{items:?}"),
        &[&l],
    );
    let u = ctx
        .send(Req::get(mloc.as_str()).accept(Some("text/uri-list")))
        .await?;
    super::renderings::uri_list_checks(ctx, &["URI-001"], &u, std::slice::from_ref(&p1));
    // Filters on the Kind collection.
    let f = ctx
        .send(Req::get(kloc.as_str()).filter(
            "Category",
            format!("mtag; scheme=\"{scheme}\"; class=\"mixin\""),
        ))
        .await?;
    let got = super::listing(&ctx.parse_plain(&f.text).unwrap_or_default().0);
    ctx.check(
        &["COL-005"],
        f.status == 200 && got == [p1.clone()],
        "a Category filter on the Kind collection",
        format!("[{p1}]"),
        format!("{}, {got:?}", f.status),
        &[&f],
    );
    let f = ctx
        .send(Req::get(kloc.as_str()).filter(
            "X-OCCI-Attribute",
            format!("occi.compute.hostname=\"{host}\""),
        ))
        .await?;
    let got = super::listing(&ctx.parse_plain(&f.text).unwrap_or_default().0);
    ctx.check(
        &["COL-006"],
        f.status == 200 && got == [p1.clone()],
        "an attribute filter on the Kind collection",
        format!("[{p1}]"),
        format!("{}, {got:?}", f.status),
        &[&f],
    );
    let f = ctx
        .send(
            Req::get(kloc.as_str())
                .filter(
                    "Category",
                    format!("mtag; scheme=\"{scheme}\"; class=\"mixin\""),
                )
                .filter("X-OCCI-Attribute", "occi.compute.hostname=\"nobody\""),
        )
        .await?;
    let got = super::listing(&ctx.parse_plain(&f.text).unwrap_or_default().0);
    ctx.check(
        &["COL-007"],
        f.status == 200 && got.is_empty(),
        "Category and attribute filters combine with AND",
        "no entity",
        format!("{}, {got:?}", f.status),
        &[&f],
    );
    if ctx.is_1_2() {
        let f = ctx
            .send(
                Req::get(kloc.as_str())
                    .accept(Some("application/occi+json"))
                    .filter(
                        "Category",
                        format!("mtag; scheme=\"{scheme}\"; class=\"mixin\""),
                    ),
            )
            .await?;
        let n = occi_render::json::parse_entity_collection(
            f.text.as_bytes(),
            &occi_render::ParseOptions::lenient(),
        )
        .map_or(usize::MAX, |c| c.value.resources.len());
        ctx.check(
            &["COL-009"],
            f.status == 200 && n == 1,
            "a filtered collection as JSON",
            "one resource",
            format!("{}, {n}", f.summary()),
            &[&f],
        );
    }
    // Tags apply to any Kind.
    let storage = format!("{INFRA}storage");
    let s1 = if ctx.disc.kind(&storage).is_some() {
        Some(create(ctx, &storage, "").await?)
    } else {
        None
    };
    if let Some(s1) = &s1 {
        let r = ctx
            .send(Req::post(mloc.as_str()).body(format!("X-OCCI-Location: {s1}\r\n")))
            .await?;
        ctx.check(
            &["MIX-012"],
            r.status == 200,
            "a tag Mixin without applies associates with a storage too",
            "200",
            r.summary(),
            &[&r],
        );
        let (l, items) = list(ctx, &mloc).await?;
        let mut want = vec![p1.clone(), path_of(s1)];
        want.sort();
        ctx.check(
            &["COL-008"],
            items == want,
            "a Mixin collection holds entities of several Kinds",
            format!("{want:?}"),
            format!("{items:?}"),
            &[&l],
        );
        let _ = ctx
            .send(Req::delete(mloc.as_str()).body(format!("X-OCCI-Location: {s1}\r\n")))
            .await?;
    }
    // Replace the membership.
    let r = ctx
        .send(Req::put(mloc.as_str()).body(format!("X-OCCI-Location: {e2}\r\n")))
        .await?;
    let (l, items) = list(ctx, &mloc).await?;
    let (g, d, _) = fetch(ctx, &e1).await?;
    ctx.check(
        &["MIX-003"],
        r.status == 200
            && items == [p2.clone()]
            && !mixins_of(&d).contains(&mid)
            && g.status == 200,
        "PUT replaces the Mixin membership",
        format!("200; [{p2}]; the first entity kept but untagged"),
        format!(
            "{}; {items:?}; first: {} {:?}",
            r.summary(),
            g.status,
            mixins_of(&d)
        ),
        &[&r, &l, &g],
    );
    let r = ctx
        .send(Req::delete(mloc.as_str()).body(format!("X-OCCI-Location: {e2}\r\n")))
        .await?;
    let (l, items) = list(ctx, &mloc).await?;
    let g = ctx.send(Req::get(e2.as_str())).await?;
    ctx.check(
        &["MIX-004"],
        r.status == 200 && items.is_empty() && g.status == 200,
        "DELETE with a location disassociates",
        "200; empty; the entity still there",
        format!("{}; {items:?}; entity {}", r.summary(), g.status),
        &[&r, &l, &g],
    );
    // Association on a Kind collection.
    let (_, before) = list(ctx, &kloc).await?;
    let r = ctx
        .send(Req::post(kloc.as_str()).body(format!("X-OCCI-Location: {e1}\r\n")))
        .await?;
    let (_, after) = list(ctx, &kloc).await?;
    if r.ok()
        && let Some(u) = r.header("location")
    {
        ctx.created(u);
    }
    ctx.check(
        &["MIX-005"],
        r.client_error() && before.len() == after.len(),
        "POST of locations only to a Kind collection",
        "400 or 405; nothing created",
        format!("{}; {} -> {}", r.summary(), before.len(), after.len()),
        &[&r],
    );
    let missing = format!("{kloc}{}", uuid::Uuid::new_v4());
    let r = ctx
        .send(Req::post(mloc.as_str()).body(format!("X-OCCI-Location: {missing}\r\n")))
        .await?;
    ctx.check(
        &["MIX-006"],
        r.status == 404 || r.status == 400,
        "associating a location that does not exist",
        "404 (or 400)",
        r.summary(),
        &[&r],
    );
    let r = ctx
        .send(Req::post(mloc.as_str()).body(format!("X-OCCI-Location: {e1}, {missing}\r\n")))
        .await?;
    let (l, items) = list(ctx, &mloc).await?;
    ctx.check(
        &["MIX-007"],
        !r.ok() && items.is_empty(),
        "a batch with one bad location is atomic",
        "an error, and nothing associated",
        format!("{}; {items:?}", r.summary()),
        &[&r, &l],
    );
    // Partial update with the Mixin.
    let r = ctx
        .send(Req::post(e1.as_str()).body(format!(
            "Category: mtag; scheme=\"{scheme}\"; class=\"mixin\"\r\n"
        )))
        .await?;
    let (g, d, _) = fetch(ctx, &e1).await?;
    let (_, items) = list(ctx, &mloc).await?;
    ctx.check(
        &["MIX-008"],
        r.ok() && mixins_of(&d).contains(&mid) && items.contains(&p1),
        "a partial update adding the Mixin Category",
        "success; the entity tagged and in the collection",
        format!("{}; {:?}; {items:?}", r.summary(), mixins_of(&d)),
        &[&r, &g],
    );
    let stop = format!("{ACTIONS}stop");
    let r = ctx
        .send(
            Req::post(format!("{mloc}?action=stop"))
                .body(format!("Category: {}\r\n", category(&stop, "action"))),
        )
        .await?;
    ctx.check(
        &["ACT-009"],
        r.client_error(),
        "an action the Mixin does not define, on its collection",
        "4xx (400)",
        r.summary(),
        &[&r],
    );
    // Removing the Mixin removes its associations.
    let r = ctx
        .send(Req::delete("/-/").body(format!(
            "Category: mtag; scheme=\"{scheme}\"; class=\"mixin\"\r\n"
        )))
        .await?;
    let q = ctx.send(Req::get("/-/")).await?;
    let listed = ctx
        .parse_plain(&q.text)
        .map_or(true, |d| d.0.categories.iter().any(|c| tid(&c.id) == mid));
    let (g, d, _) = fetch(ctx, &e1).await?;
    let c = ctx.send(Req::get(mloc.as_str())).await?;
    ctx.check(
        &["QI-021"],
        r.status == 200 && !listed && !mixins_of(&d).contains(&mid),
        "DELETE /-/ removes a user Mixin and its associations",
        "200; not listed; the entity untagged",
        format!(
            "{}; listed {listed}; entity {:?}",
            r.summary(),
            mixins_of(&d)
        ),
        &[&r, &g],
    );
    super::errors::unbound_or_404(ctx, &["QI-021"], &c, "the removed Mixin's location");
    Ok(())
}

pub(super) async fn pages(ctx: &mut Ctx) -> TestOutcome {
    let kind = compute();
    let loc = kind_location(ctx, &kind)?;
    if ctx.is_1_2() {
        for _ in 0..3 {
            create(ctx, &kind, "").await?;
        }
        let (r, items) = list(ctx, &format!("{loc}?page=1&number=1")).await?;
        let supported = r.status == 200 && items.len() == 1;
        ctx.check(
            &["COL-012"],
            supported,
            "the first page of one entry",
            "200 with one location",
            format!("{}, {} locations", r.summary(), items.len()),
            &[&r],
        );
        if supported {
            let (r, items) = list(ctx, &format!("{loc}?page=999999&number=1")).await?;
            ctx.check(
                &["COL-013"],
                r.status == 200 && items.is_empty(),
                "a page past the end",
                "200, empty",
                format!("{}, {items:?}", r.summary()),
                &[&r],
            );
            let r = ctx
                .send(Req::get(format!("{loc}?page=1&number=100000000")))
                .await?;
            ctx.check(
                &["COL-014"],
                r.status == 413,
                "a page size too large",
                "413",
                r.summary(),
                &[&r],
            );
        } else {
            ctx.skip(&["COL-013", "COL-014"], "pagination is not supported");
        }
    }
    let (_, before) = list(ctx, &loc).await?;
    let r = ctx
        .send(Req::put(loc.as_str()).body("X-OCCI-Location: /nowhere/1\r\n"))
        .await?;
    let (_, after) = list(ctx, &loc).await?;
    let allow = r.header("allow").unwrap_or("").to_owned();
    ctx.check(
        &["COL-015"],
        r.status == 405 && !allow.is_empty() && before == after,
        "PUT on a Kind collection",
        "405 with Allow; membership unchanged",
        format!("{}, Allow: {allow}", r.summary()),
        &[&r],
    );
    Ok(())
}

async fn invoke(
    ctx: &mut Ctx,
    url: &str,
    term: &str,
    category_id: &str,
    extra: &str,
) -> Result<Resp, Abort> {
    ctx.send(Req::post(format!("{url}?action={term}")).body(format!(
        "Category: {}\r\n{extra}",
        category(category_id, "action")
    )))
    .await
}

async fn state(ctx: &mut Ctx, url: &str) -> Result<String, Abort> {
    let (_, d, _) = fetch(ctx, url).await?;
    Ok(attr(&d, "occi.compute.state")
        .and_then(AttributeValue::as_str)
        .unwrap_or("")
        .to_owned())
}

pub(super) async fn actions(ctx: &mut Ctx) -> TestOutcome {
    let kind = compute();
    let url = create(ctx, &kind, "").await?;
    let s0 = state(ctx, &url).await?;
    let states: &[&str] = if ctx.is_1_2() {
        &["active", "inactive", "suspended", "error"]
    } else {
        &["active", "inactive", "suspended"]
    };
    ctx.check(
        &["INF-010"],
        states.contains(&s0.as_str()),
        "a new compute has a state in the enum",
        format!("{states:?}"),
        format!("{s0:?}"),
        &[],
    );
    let start = format!("{ACTIONS}start");
    let stop = format!("{ACTIONS}stop");
    let (first, first_id) = if s0 == "active" {
        ("stop", stop.clone())
    } else {
        ("start", start.clone())
    };
    let r = invoke(ctx, &url, first, &first_id, "").await?;
    ctx.check(
        &["ACT-001"],
        r.status == 200,
        format!("trigger {first}"),
        "200",
        r.summary(),
        &[&r],
    );
    if s0 != "active" {
        let s = state(ctx, &url).await?;
        ctx.check(
            &["ACT-002"],
            s == "active",
            "start makes the compute active",
            "active",
            s.clone(),
            &[&r],
        );
    }
    // Now active: no start link.
    let (g, d, _) = fetch(ctx, &url).await?;
    if attr(&d, "occi.compute.state").and_then(AttributeValue::as_str) == Some("active") {
        let has_start = d.action_links.iter().any(|a| tid(&a.action) == start);
        ctx.check(
            &["ENT-028"],
            !has_start,
            "an active compute offers no start link",
            "no ?action=start",
            format!(
                "{:?}",
                d.action_links
                    .iter()
                    .map(|a| tid(&a.action))
                    .collect::<Vec<_>>()
            ),
            &[&g],
        );
        let r = invoke(ctx, &url, "start", &stop, "").await?;
        ctx.check(
            &["ACT-006"],
            r.status == 400,
            "?action=start with the stop Category",
            "400",
            r.summary(),
            &[&r],
        );
        let r = ctx
            .send(Req::post(format!("{url}?action=stop")).body(""))
            .await?;
        ctx.check(
            &["ACT-007"],
            r.status == 400,
            "an action with an empty body",
            "400",
            r.summary(),
            &[&r],
        );
        let r = invoke(
            ctx,
            &url,
            "stop",
            &stop,
            "X-OCCI-Attribute: method=\"bogus\"\r\n",
        )
        .await?;
        ctx.check(
            &["ACT-004"],
            r.status == 400,
            "stop with method=\"bogus\"",
            "400",
            r.summary(),
            &[&r],
        );
        let up = "http://schemas.ogf.org/occi/infrastructure/network/action#up";
        let r = invoke(ctx, &url, "up", up, "").await?;
        ctx.check(
            &["ACT-005"],
            r.status == 400,
            "a network action on a compute",
            "400",
            r.summary(),
            &[&r],
        );
        let r = invoke(ctx, &url, "suspend", &format!("{ACTIONS}suspend"), "").await?;
        let s1 = state(ctx, &url).await?;
        let r2 = invoke(ctx, &url, "start", &start, "").await?;
        let s2 = state(ctx, &url).await?;
        let r3 = invoke(
            ctx,
            &url,
            "stop",
            &stop,
            "X-OCCI-Attribute: method=\"graceful\"\r\n",
        )
        .await?;
        let s3 = state(ctx, &url).await?;
        ctx.check(
            &["ACT-003"],
            r3.status == 200,
            "stop with method=\"graceful\"",
            "200",
            r3.summary(),
            &[&r3],
        );
        ctx.check(
            &["ACT-002"],
            s3 == "inactive",
            "stop makes the compute inactive",
            "inactive",
            s3.clone(),
            &[&r3],
        );
        ctx.check(
            &["INF-015"],
            r.status == 200
                && s1 == "suspended"
                && r2.status == 200
                && s2 == "active"
                && s3 == "inactive",
            "suspend, start, stop",
            "suspended, active, inactive",
            format!("{s1}, {s2}, {s3}"),
            &[&r, &r2, &r3],
        );
        let r = invoke(ctx, &url, "suspend", &format!("{ACTIONS}suspend"), "").await?;
        ctx.check(
            &["ACT-011"],
            [200, 400, 409].contains(&r.status),
            format!(
                "suspend while inactive answered {} (409 recommended)",
                r.status
            ),
            "200, 409 or 400; never 5xx",
            r.summary(),
            &[&r],
        );
    }
    if ctx.is_1_2() {
        let save = format!("{ACTIONS}save");
        if ctx.disc.category(&save).is_some() {
            let _ = invoke(ctx, &url, "start", &start, "").await?;
            let name = format!("snap-{}", ctx.run_id);
            let r = invoke(
                ctx,
                &url,
                "save",
                &save,
                &format!("X-OCCI-Attribute: name=\"{name}\"\r\n"),
            )
            .await?;
            let body_mixins: Vec<String> = ctx
                .parse_plain(&r.text)
                .map(|d| mixins_of(&d.0))
                .unwrap_or_default();
            let q = ctx.send(Req::get("/-/")).await?;
            let cats = ctx
                .parse_plain(&q.text)
                .map(|d| d.0.categories)
                .unwrap_or_default();
            let os_tpl = format!("{INFRA}os_tpl");
            let new: Vec<String> = cats
                .iter()
                .filter(|c| {
                    c.class == occi_model::CategoryClass::Mixin
                        && c.rel.iter().any(|x| tid(x) == os_tpl)
                        && ctx.disc.category(&tid(&c.id)).is_none()
                })
                .map(|c| tid(&c.id))
                .collect();
            for t in &new {
                ctx.created_mixin(&category(t, "mixin"));
            }
            let tpl = new
                .iter()
                .find(|t| body_mixins.contains(t) || r.text.contains(split(t)));
            let listed = tpl.is_some();
            ctx.check(
                &["ACT-012"],
                r.status == 200 && tpl.is_some() && listed,
                "save returns a new os_tpl Mixin",
                "200, a Mixin Category related to os_tpl, then listed in /-/",
                format!("{}; {}", r.summary(), r.text.lines().next().unwrap_or("")),
                &[&r],
            );
        } else {
            ctx.skip(&["ACT-012"], "not advertised: save");
        }
    }
    Ok(())
}

pub(super) async fn links(ctx: &mut Ctx) -> TestOutcome {
    let ni = format!("{INFRA}networkinterface");
    let network = format!("{INFRA}network");
    let kind = compute();
    let niloc = kind_location(ctx, &ni)?;
    kind_location(ctx, &network)?;
    let c = create(ctx, &kind, "").await?;
    let n = create(ctx, &network, "").await?;
    let (cp, np) = (path_of(&c), path_of(&n));
    let body = |ctx: &mut Ctx, src: &str, tgt: Option<&str>| {
        let mut b = super::create_body(
            ctx,
            &ni,
            &format!("X-OCCI-Attribute: occi.core.source=\"{src}\"\r\n"),
        );
        if let Some(t) = tgt {
            b.push_str(&format!("X-OCCI-Attribute: occi.core.target=\"{t}\"\r\n"));
        }
        b
    };
    let b = body(ctx, &cp, Some(&np));
    let (r, link) = post_create(ctx, &niloc, Req::post(niloc.as_str()).body(b)).await?;
    ctx.check(
        &["LNK-001"],
        link.is_some(),
        "create a networkinterface",
        "201 + Location or 200",
        r.summary(),
        &[&r],
    );
    let Some(link) = link else {
        return Err(Abort::Skip("the link could not be created".to_owned()));
    };
    let lp = path_of(&link);
    let (g, d, _) = fetch(ctx, &link).await?;
    let src = attr(&d, "occi.core.source")
        .and_then(AttributeValue::as_str)
        .map(path_of);
    let tgt = attr(&d, "occi.core.target")
        .and_then(AttributeValue::as_str)
        .map(path_of);
    ctx.check(
        &["LNK-002"],
        super::kind_of(&d).as_deref() == Some(ni.as_str())
            && src.as_deref() == Some(cp.as_str())
            && tgt.as_deref() == Some(np.as_str())
            && d.links.is_empty(),
        "GET the link",
        "networkinterface, source and target as sent, no Link lines",
        format!(
            "{:?}, {src:?} -> {tgt:?}, {} Link lines",
            super::kind_of(&d),
            d.links.len()
        ),
        &[&g],
    );
    if ctx.is_1_2() {
        let j = ctx
            .send(Req::get(link.as_str()).accept(Some("application/occi+json")))
            .await?;
        let v: serde_json::Value = serde_json::from_str(&j.text).unwrap_or_default();
        let ok =
            occi_render::json::parse_link(j.text.as_bytes(), &occi_render::ParseOptions::strict())
                .is_ok()
                && v.pointer("/source/location").is_some()
                && v.pointer("/target/location").is_some()
                && v.pointer("/target/kind")
                    .is_none_or(|k| k.as_str() == Some(network.as_str()));
        ctx.check(
            &["LNK-010"],
            j.status == 200 && ok,
            "the link as JSON",
            "a valid link with source and target locations",
            j.summary(),
            &[&j],
        );
        let l = ctx
            .send(Req::get(niloc.as_str()).accept(Some("application/occi+json")))
            .await?;
        let v: serde_json::Value = serde_json::from_str(&l.text).unwrap_or_default();
        ctx.check(
            &["JSN-009"],
            l.status == 200 && v.get("links").is_some_and(serde_json::Value::is_array),
            "a link collection as JSON",
            "{\"links\":[…]}",
            l.summary(),
            &[&l],
        );
        let mut b = body(ctx, &cp, Some(&np));
        b.push_str(&format!(
            "X-OCCI-Attribute: occi.core.target.kind=\"{INFRA}storage\"\r\n"
        ));
        let (r, _) = post_create(ctx, &niloc, Req::post(niloc.as_str()).body(b)).await?;
        ctx.check(
            &["LNK-011"],
            r.client_error(),
            "a link with an inconsistent target kind",
            "4xx",
            r.summary(),
            &[&r],
        );
    }
    let (g, d, _) = fetch(ctx, &c).await?;
    let owned = d
        .links
        .iter()
        .find(|l| l.self_location.as_ref().map(|s| path_of(s.as_str())) == Some(lp.clone()));
    ctx.check(
        &["LNK-005"],
        owned.is_some_and(|l| path_of(l.target.as_str()) == np),
        "the source shows its link",
        format!("Link: <{np}>; self=\"{lp}\""),
        format!("{} Link(s)", d.links.len()),
        &[&g],
    );
    if ctx.is_1_2() {
        let j = ctx
            .send(Req::get(c.as_str()).accept(Some("application/occi+json")))
            .await?;
        let parsed = occi_render::json::parse_resource(
            j.text.as_bytes(),
            &occi_render::ParseOptions::strict(),
        );
        let targets: Vec<String> = parsed
            .as_ref()
            .map(|p| {
                p.value
                    .links
                    .iter()
                    .filter_map(|l| l.target.as_ref().map(|t| path_of(t.as_str())))
                    .collect()
            })
            .unwrap_or_default();
        ctx.check(
            &["LNK-005"],
            j.status == 200 && targets.contains(&np),
            "the source shows its link as JSON",
            format!("a resource whose links include one to {np}"),
            match &parsed {
                Ok(_) => format!("{}; link targets {targets:?}", j.summary()),
                Err(e) => format!("{}; {e}", j.summary()),
            },
            &[&j],
        );
    }
    let (g, d, _) = fetch(ctx, &n).await?;
    ctx.check(
        &["LNK-012"],
        !d.links
            .iter()
            .any(|l| l.self_location.as_ref().map(|s| path_of(s.as_str())) == Some(lp.clone())),
        "the target does not list the incoming link",
        "no Link with that self",
        format!("{} Link(s)", d.links.len()),
        &[&g],
    );
    // PUT without links keeps the link.
    let put = format!(
        "Category: {}\r\nX-OCCI-Attribute: occi.core.title=\"kept\"\r\n",
        category(&kind, "kind")
    );
    let r = ctx.send(Req::put(c.as_str()).body(put)).await?;
    let (g, d, _) = fetch(ctx, &c).await?;
    ctx.check(
        &["ENT-018"],
        r.ok()
            && d.links
                .iter()
                .any(|l| l.self_location.as_ref().map(|s| path_of(s.as_str())) == Some(lp.clone())),
        "a full update without Link lines keeps the link",
        "success; the link still shown",
        format!("{}; {} Link(s)", r.summary(), d.links.len()),
        &[&r, &g],
    );
    let r = ctx
        .send(
            Req::post(link.as_str())
                .body("X-OCCI-Attribute: occi.networkinterface.interface=\"eth9\"\r\n"),
        )
        .await?;
    let (g, d, _) = fetch(ctx, &link).await?;
    ctx.check(
        &["INF-019"],
        r.client_error()
            && attr(&d, "occi.networkinterface.interface").and_then(AttributeValue::as_str)
                != Some("eth9"),
        "an update of the immutable interface",
        "4xx; unchanged",
        format!(
            "{}; {}",
            r.summary(),
            show(attr(&d, "occi.networkinterface.interface"))
        ),
        &[&r, &g],
    );
    if !ctx.is_1_2() {
        let r = ctx
            .send(Req::post(link.as_str()).body(format!("Link: <{np}>; rel=\"{network}\"\r\n")))
            .await?;
        ctx.check(
            &["LNK-009"],
            r.status == 400,
            "a partial update of a link with a Link line",
            "400",
            r.summary(),
            &[&r],
        );
    }
    let b = body(ctx, &cp, None);
    let (r, _) = post_create(ctx, &niloc, Req::post(niloc.as_str()).body(b)).await?;
    ctx.check(
        &["LNK-003"],
        r.status == 400,
        "a link without target",
        "400",
        r.summary(),
        &[&r],
    );
    let missing = format!("{}{}", kind_location(ctx, &kind)?, uuid::Uuid::new_v4());
    let b = body(ctx, &missing, Some(&np));
    let (r, _) = post_create(ctx, &niloc, Req::post(niloc.as_str()).body(b)).await?;
    ctx.check(
        &["LNK-004"],
        r.status == 400 || r.status == 404,
        "a link from a source that does not exist",
        "400 or 404",
        r.summary(),
        &[&r],
    );
    // Delete the link.
    let r = ctx.send(Req::delete(link.as_str())).await?;
    let (g, d, _) = fetch(ctx, &c).await?;
    ctx.check(
        &["LNK-008"],
        (r.status == 200 || r.status == 204)
            && !d
                .links
                .iter()
                .any(|l| l.self_location.as_ref().map(|s| path_of(s.as_str())) == Some(lp.clone())),
        "DELETE the link",
        "200 or 204; the source no longer shows it",
        format!("{}; {} Link(s)", r.summary(), d.links.len()),
        &[&r, &g],
    );
    // Inline link.
    let kloc = kind_location(ctx, &kind)?;
    let mut link_attrs = String::new();
    if let Some(k) = ctx.disc.kind(&ni) {
        for a in k
            .attributes
            .iter()
            .filter(|a| a.required && !a.name.as_str().starts_with("occi.core."))
        {
            let v = if a.name.as_str() == "occi.networkinterface.mac" {
                "\"00:11:22:33:44:55\""
            } else {
                "\"conformance\""
            };
            link_attrs.push_str(&format!("; {}={v}", a.name.as_str()));
        }
    }
    let b = super::create_body(
        ctx,
        &kind,
        &format!("Link: <{np}>; rel=\"{network}\"; category=\"{ni}\"{link_attrs}\r\n"),
    );
    let (r, c2) = post_create(ctx, &kloc, Req::post(kloc.as_str()).body(b)).await?;
    let Some(c2) = c2 else {
        ctx.check(
            &["LNK-006"],
            false,
            "create a compute with an inline link",
            "success",
            r.summary(),
            &[&r],
        );
        return Ok(());
    };
    let (g, d, _) = fetch(ctx, &c2).await?;
    let inline_self = d
        .links
        .iter()
        .find(|l| path_of(l.target.as_str()) == np)
        .and_then(|l| l.self_location.as_ref())
        .map(|s| s.as_str().to_owned());
    let deref = match &inline_self {
        Some(s) => ctx.send(Req::get(s.as_str())).await?.status,
        None => 0,
    };
    ctx.check(
        &["LNK-006"],
        inline_self.is_some() && deref == 200,
        "an inline link is created with the compute",
        "a networkinterface Link with a self that dereferences",
        format!("self {inline_self:?} -> {deref}"),
        &[&r, &g],
    );
    let r = ctx.send(Req::delete(c2.as_str())).await?;
    if r.ok() {
        ctx.forget(&c2);
    }
    if let Some(s) = inline_self {
        let g = ctx.send(Req::get(s.as_str())).await?;
        ctx.check(
            &["LNK-007"],
            g.status == 404,
            "deleting a resource deletes its links",
            "404 for the link",
            g.summary(),
            &[&r, &g],
        );
    }
    // Deleting a link's target: the link goes with it, or the DELETE is refused.
    let b = super::create_body(
        ctx,
        &kind,
        &format!("Link: <{np}>; rel=\"{network}\"; category=\"{ni}\"{link_attrs}\r\n"),
    );
    let (_, c3) = post_create(ctx, &kloc, Req::post(kloc.as_str()).body(b)).await?;
    let Some(c3) = c3 else {
        return Ok(());
    };
    let (_, d, _) = fetch(ctx, &c3).await?;
    let Some(link) = d
        .links
        .iter()
        .find(|l| path_of(l.target.as_str()) == np)
        .and_then(|l| l.self_location.as_ref())
        .map(|s| s.as_str().to_owned())
    else {
        return Ok(());
    };
    let del = ctx.send(Req::delete(np.as_str())).await?;
    if del.ok() {
        ctx.forget(&n);
    }
    let g = ctx.send(Req::get(link.as_str())).await?;
    let (s, d, _) = fetch(ctx, &c3).await?;
    let shown = d.links.iter().any(|l| path_of(l.target.as_str()) == np);
    ctx.check(
        &["HTP-006"],
        !del.ok() || ((g.status == 404 || g.status == 410) && !shown),
        "DELETE a network a compute links to, then GET the link and the compute",
        "the link gone (404 or 410, not on the compute), or the DELETE refused",
        format!(
            "DELETE {}; link {}; compute shows a link to it: {shown}",
            del.status, g.status
        ),
        &[&del, &g, &s],
    );
    Ok(())
}
