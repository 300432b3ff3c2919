//! The SO profile (hurtle.md §6.2): the target is the SO root.

use super::{SERVICE, attribute, compat, joined, json_attribute, poll, raw_attributes};
use crate::runner::{Abort, Ctx, Req, Resp, TestOutcome};

const RESOURCE: &str = "/orchestrator/default";

fn auth(req: Req) -> Req {
    req
}

fn category(term: &str, class: &str) -> String {
    format!("{term}; scheme=\"{SERVICE}\"; class=\"{class}\"")
}

fn action(term: &str) -> Req {
    auth(Req::post(format!("{RESOURCE}?action={term}")))
        .accept(Some("text/occi"))
        .header("Category", category(term, "action"))
        .header("Content-Type", "text/occi")
}

fn get(accept: &str) -> Req {
    auth(Req::get(RESOURCE)).accept(Some(accept))
}

fn links(resp: &Resp) -> String {
    joined(resp, "link")
}

/// SO-001: the 403 gate.
pub(crate) async fn gate(ctx: &mut Ctx) -> TestOutcome {
    super::targets(ctx, crate::catalogue::Profile::So)?;
    for (path, missing, req) in [
        (
            "/-/",
            "X-Auth-Token",
            Req::get("/-/")
                .without_extra_headers()
                .header("X-Tenant-Name", "conformance"),
        ),
        (
            "/-/",
            "X-Tenant-Name",
            Req::get("/-/")
                .without_extra_headers()
                .header("X-Auth-Token", "conformance"),
        ),
        (
            "/",
            "X-Auth-Token and X-Tenant-Name",
            Req::get("/").without_extra_headers(),
        ),
    ] {
        let r = ctx.send(req).await?;
        ctx.check(
            &["SO-001"],
            r.status == 403,
            format!("GET {path} without {missing} is refused with 403"),
            "403",
            r.summary(),
            &[&r],
        );
    }
    Ok(())
}

/// SO-002 and SO-003: the root and the query interface.
pub(crate) async fn discovery(ctx: &mut Ctx) -> TestOutcome {
    super::targets(ctx, crate::catalogue::Profile::So)?;
    let r = ctx
        .send(Req::get("/").accept(Some("application/occi+json")))
        .await?;
    let existing = ctx
        .send(get("text/occi"))
        .await
        .is_ok_and(|x| x.status == 200);
    let body: Option<serde_json::Value> = serde_json::from_str(&r.text).ok();
    let empty_ok = existing
        || body
            .as_ref()
            .is_some_and(|b| b.as_array().is_some_and(Vec::is_empty));
    ctx.check(
        &["SO-002"],
        r.status == 200 && empty_ok,
        "GET / with auth headers answers 200 (an empty JSON array before creation)",
        "200 and [] (or a listing if the resource exists)",
        format!(
            "{}: {}",
            r.summary(),
            r.text.chars().take(80).collect::<String>()
        ),
        &[&r],
    );
    let qi = ctx.send(Req::get("/-/").accept(Some("text/occi"))).await?;
    let cats = joined(&qi, "category");
    let kind = super::split_outside_quotes(&cats)
        .into_iter()
        .find(|c| {
            c.starts_with(&format!(
                "orchestrator; scheme=\"{SERVICE}\"; class=\"kind\""
            ))
        })
        .unwrap_or_default();
    let ok = qi.status == 200
        && !kind.is_empty()
        && kind.contains("/orchestrator/\"")
        && kind.contains("location=\"http")
        && kind.contains("occi.mcn.stack.state")
        && kind.contains("occi.mcn.stack.id")
        && kind.contains(&format!("{SERVICE}deploy"))
        && kind.contains(&format!("{SERVICE}provision"))
        && cats.contains(&category("deploy", "action"))
        && cats.contains(&category("provision", "action"));
    ctx.check(
        &["SO-003"],
        ok,
        "the query interface lists Kind orchestrator (absolute location, stack attributes, deploy and provision) and the two Actions",
        format!("Category with {} and the action categories", category("orchestrator", "kind")),
        format!("{}: {}", qi.summary(), if kind.is_empty() { cats.clone() } else { kind }),
        &[&qi],
    );
    Ok(())
}

fn deleted(ctx: &mut Ctx, url: &str) {
    ctx.forget(url);
}

/// SO-004 to SO-017: one resource through its whole life.
pub(crate) async fn lifecycle(ctx: &mut Ctx) -> TestOutcome {
    super::targets(ctx, crate::catalogue::Profile::So)?;
    let before = ctx.send(get("text/occi")).await?;
    if before.status == 200 {
        return Err(Abort::Error(
            format!("{RESOURCE} exists already; the lifecycle needs a fresh SO"),
            Some(Box::new(before.exchange)),
        ));
    }
    ctx.check(
        &["SO-004"],
        before.status == 404,
        "GET of the resource before creation answers 404",
        "404",
        before.summary(),
        &[&before],
    );
    let put = || {
        auth(Req::put(RESOURCE))
            .accept(Some("text/occi"))
            .header("Category", category("orchestrator", "kind"))
            .header("Content-Type", "text/occi")
            .header("X-OCCI-Attribute", "activate.integer=\"1\"")
    };
    let created = ctx.send(put()).await?;
    let location = created.header("location").unwrap_or("").to_owned();
    ctx.check(
        &["SO-005"],
        created.status == 201 && location.starts_with("http") && location.ends_with(RESOURCE),
        "PUT creates the resource: 201 and an absolute Location ending in /orchestrator/default",
        "201, Location: http://…/orchestrator/default",
        format!("{}; Location: {location:?}", created.summary()),
        &[&created],
    );
    if !created.ok() {
        return Err(Abort::Error(
            "the resource could not be created".to_owned(),
            Some(Box::new(created.exchange)),
        ));
    }
    ctx.created(RESOURCE);
    let fresh = ctx.send(get("text/occi")).await?;
    let state = attribute(&fresh, "occi.mcn.stack.state");
    let id = attribute(&fresh, "occi.mcn.stack.id");
    ctx.check(
        &["SO-006"],
        fresh.status == 200
            && links(&fresh).contains(&format!("{RESOURCE}?action=deploy>"))
            && state.as_deref() == Some("uninitialized")
            && id.as_deref() == Some("N/A"),
        "right after creation: the deploy action link, stack state uninitialized and id N/A",
        "200, Link …?action=deploy, occi.mcn.stack.state=\"uninitialized\", occi.mcn.stack.id=\"N/A\"",
        format!("{}; Link: {}; state {state:?}, id {id:?}", fresh.summary(), links(&fresh)),
        &[&fresh],
    );
    ctx.check(
        &["SO-013"],
        attribute(&fresh, "activate.integer").as_deref() == Some("1"),
        "an attribute of any name sent on PUT is accepted (and kept)",
        "activate.integer=\"1\" in the rendering",
        joined(&fresh, "x-occi-attribute"),
        &[&fresh],
    );
    if compat(ctx, &["SO-015"]) {
        let again = ctx.send(put()).await?;
        ctx.check(
            &["SO-015"],
            again.status == 200,
            "a second PUT replaces: 200, not 201",
            "200",
            again.summary(),
            &[&again],
        );
    }
    let early = ctx.send(action("provision")).await?;
    ctx.check(
        &["SO-007"],
        early.status == 400,
        "provision before deploy is refused with 400",
        "400 (Not applicable atm.)",
        early.summary(),
        &[&early],
    );
    let deploy = ctx
        .send(action("deploy").header("X-OCCI-Attribute", "deploy.param=\"d\""))
        .await?;
    let after = ctx.send(get("text/occi")).await?;
    ctx.check(
        &["SO-008"],
        deploy.status == 200
            && links(&after).contains(&format!("{RESOURCE}?action=provision>"))
            && !links(&after).contains("?action=deploy>"),
        "deploy answers 200; afterwards provision is the advertised action",
        "200, then Link …?action=provision only",
        format!("{}; then Link: {}", deploy.summary(), links(&after)),
        &[&deploy, &after],
    );
    ctx.check(
        &["SO-013"],
        deploy.status == 200,
        "an attribute of any name sent with an action is accepted",
        "200",
        deploy.summary(),
        &[&deploy],
    );
    let json = ctx.send(get("application/occi+json")).await?;
    let state = json_attribute(&json, "occi.mcn.stack.state").unwrap_or_default();
    let id = json_attribute(&json, "occi.mcn.stack.id").unwrap_or_default();
    ctx.check(
        &["SO-009"],
        json.status == 200
            && ["CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED"].contains(&state.as_str())
            && !id.is_empty()
            && id != "N/A",
        "after deploy the JSON rendering has a CREATE_* stack state and a stack id",
        "200, occi.mcn.stack.state in CREATE_IN_PROGRESS/COMPLETE/FAILED, a stack id",
        format!("{}; state {state:?}, id {id:?}", json.summary()),
        &[&json],
    );
    let observed = poll(
        ctx,
        &get("application/occi+json"),
        "occi.mcn.stack.state",
        &|s| s == "CREATE_COMPLETE",
        &|s| s == "CREATE_FAILED",
    )
    .await?;
    let last = observed.last.clone();
    ctx.check(
        &["SO-009"],
        observed.reached,
        format!(
            "the stack reaches CREATE_COMPLETE (observed {})",
            observed.describe()
        ),
        format!("CREATE_COMPLETE within {:?}", ctx.hurtle.lifecycle_timeout),
        observed.describe(),
        &last.iter().collect::<Vec<_>>(),
    );
    let text = ctx.send(get("text/occi")).await?;
    let attrs = raw_attributes(&text);
    let bad: Vec<String> = attrs
        .iter()
        .filter(|(_, v)| {
            let inner = super::unquote(v);
            !(v.starts_with('"') && v.ends_with('"') && v.len() >= 2)
                || inner.contains(", ")
                || inner.contains('=')
        })
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    ctx.check(
        &["SO-010"],
        text.status == 200 && text.headers.contains_key("x-occi-attribute") && bad.is_empty(),
        "after deploy the text/occi rendering has X-OCCI-Attribute, every value quoted, without \", \" or \"=\"",
        "X-OCCI-Attribute present; quoted values free of \", \" and \"=\"",
        if bad.is_empty() { text.summary() } else { format!("offending: {}", bad.join("; ")) },
        &[&text],
    );
    if let Some(svc) = attribute(&text, "mcn.so.svcinsts") {
        let ok = svc
            .split(' ')
            .all(|u| u.starts_with("http://") || u.starts_with("https://"));
        ctx.check(
            &["SO-017"],
            ok,
            "a composed SO lists its service instances in mcn.so.svcinsts, space-separated URLs",
            "space-separated absolute URLs",
            svc,
            &[&text],
        );
    } else {
        ctx.skip(
            &["SO-017"],
            "not a composed SO: no mcn.so.svcinsts attribute",
        );
    }
    let provision = ctx.send(action("provision")).await?;
    let observed = poll(
        ctx,
        &get("application/occi+json"),
        "occi.mcn.stack.state",
        &|s| s == "UPDATE_COMPLETE",
        &|s| s.ends_with("_FAILED"),
    )
    .await?;
    let after = ctx.send(get("text/occi")).await?;
    let only_update = observed
        .values()
        .iter()
        .all(|v| *v == "UPDATE_IN_PROGRESS" || *v == "UPDATE_COMPLETE");
    ctx.check(
        &["SO-011"],
        provision.status == 200
            && observed.reached
            && only_update
            && !links(&after).contains("?action=deploy>")
            && !links(&after).contains("?action=provision>"),
        format!("provision answers 200, the stack goes through UPDATE_* to UPDATE_COMPLETE (observed {}), and deploy/provision are no longer advertised", observed.describe()),
        "200; UPDATE_IN_PROGRESS -> UPDATE_COMPLETE; no deploy or provision link",
        format!("{}; {}; Link: {}", provision.summary(), observed.describe(), links(&after)),
        &[&provision, &after],
    );
    if compat(ctx, &["SO-016"]) {
        if links(&after).contains("?action=notify>") {
            let n = ctx
                .send(action("notify").header(
                    "X-OCCI-Attribute",
                    "notification.alarm_name=\"conformance\"",
                ))
                .await?;
            ctx.check(
                &["SO-016"],
                n.status == 200,
                "notify, once advertised, answers 200",
                "200",
                n.summary(),
                &[&n],
            );
        } else {
            ctx.skip(
                &["SO-016"],
                "notify is not advertised (an SO without a runtime part)",
            );
        }
    }
    let update = ctx
        .send(
            auth(Req::post(RESOURCE))
                .accept(Some("text/occi"))
                .header("Content-Type", "text/occi")
                .header("X-OCCI-Attribute", "conformance.k=\"v\""),
        )
        .await?;
    let next = ctx.send(get("text/occi")).await?;
    let shows = attribute(&next, "conformance.k").as_deref() == Some("v");
    let bug = if update.status == 404 && update.text.contains("hash") {
        " (the sample SO's recorded bug: 404 'hash')"
    } else {
        ""
    };
    ctx.check(
        &["SO-012"],
        update.status == 200 && shows,
        format!("an update by POST answers 200 and shows the attribute in the next GET{bug}"),
        "200, then conformance.k=\"v\"",
        format!(
            "{}{bug}; next GET has conformance.k: {shows}",
            update.summary()
        ),
        &[&update, &next],
    );
    let del = ctx.send(auth(Req::delete(RESOURCE))).await?;
    let gone = ctx.send(get("text/occi")).await?;
    let again = ctx.send(auth(Req::delete(RESOURCE))).await?;
    if del.ok() {
        deleted(ctx, RESOURCE);
    }
    ctx.check(
        &["SO-014"],
        del.status == 200 && gone.status == 404 && again.status == 404,
        "DELETE answers 200; then GET and a second DELETE answer 404",
        "200, 404, 404",
        format!("{}, {}, {}", del.status, gone.status, again.status),
        &[&del, &gone, &again],
    );
    Ok(())
}
