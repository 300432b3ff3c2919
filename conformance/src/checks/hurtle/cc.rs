//! The CC profile (hurtle.md §6.3): the target is the CC's northbound OCCI API.

use super::{
    APP_ACTION, PLATFORM, attribute, compat, joined, json_attribute, poll, split_outside_quotes,
};
use crate::runner::{Abort, Ctx, Req, Resp, TestOutcome};

fn app_category() -> String {
    format!("app; scheme=\"{PLATFORM}\"")
}

fn create(attrs: &str) -> Req {
    Req::post("/app/")
        .accept(Some("text/occi"))
        .header("Category", app_category())
        .header("Content-Type", "text/occi")
        .header("X-OCCI-Attribute", attrs)
}

/// The `app` Kind of a text/occi query interface, if listed.
fn app_kind(qi: &Resp) -> Option<String> {
    split_outside_quotes(&joined(qi, "category"))
        .into_iter()
        .find(|c| c.starts_with(&format!("app; scheme=\"{PLATFORM}\"; class=\"kind\"")))
}

/// CC-001: the 401 gate.
pub(crate) async fn gate(ctx: &mut Ctx) -> TestOutcome {
    super::targets(ctx, crate::catalogue::Profile::Cc)?;
    for path in ["/-/", "/app/"] {
        let r = ctx.send(Req::get(path).without_extra_headers()).await?;
        ctx.check(
            &["CC-001"],
            r.status == 401,
            format!("GET {path} without Authorization is refused with 401"),
            "401",
            r.summary(),
            &[&r],
        );
    }
    Ok(())
}

/// CC-002, CC-003 and CC-011: the query interface, v3 or v2.
pub(crate) async fn discovery(ctx: &mut Ctx) -> TestOutcome {
    super::targets(ctx, crate::catalogue::Profile::Cc)?;
    let qi = ctx.send(Req::get("/-/").accept(Some("text/occi"))).await?;
    let cats = joined(&qi, "category");
    let kind = app_kind(&qi).unwrap_or_default();
    let v3 = kind.contains("occi.app.image") && kind.contains("occi.app.env");
    let ok = qi.status == 200
        && kind.contains("/app/\"")
        && kind.contains("location=\"http")
        && kind.contains("occi.app.name{required}")
        && v3
        && cats.contains(&format!("start; scheme=\"{APP_ACTION}\"; class=\"action\""))
        && cats.contains(&format!("stop; scheme=\"{APP_ACTION}\"; class=\"action\""));
    ctx.check(
        &["CC-002"],
        ok,
        "the query interface lists Kind app (absolute /app/ location, occi.app.name{required}, occi.app.image and occi.app.env) and the start/stop Actions",
        "app Kind with the v3 attributes, start and stop as class=\"action\"",
        format!("{}: {}", qi.summary(), if kind.is_empty() { cats.clone() } else { kind.clone() }),
        &[&qi],
    );
    if v3 {
        ctx.skip(
            &["CC-003", "CC-011"],
            "an OpenShift v3 CC: the v2 templates and public_key do not apply",
        );
        return Ok(());
    }
    if compat(ctx, &["CC-003"]) {
        let ok = cats.contains("http://schemas.openshift.com/template/app#")
            && cats.contains("http://schemas.ogf.org/occi/security/credentials#");
        ctx.check(
            &["CC-003"],
            ok,
            "a v2 CC lists the OpenShift template mixins and public_key",
            "template/app# mixins and credentials#public_key",
            cats.clone(),
            &[&qi],
        );
    }
    let keys = ctx
        .send(Req::get("/public_key/").accept(Some("text/occi")))
        .await?;
    ctx.check(
        &["CC-011"],
        keys.status == 200,
        "a v2 CC lists public keys at /public_key/",
        "200",
        keys.summary(),
        &[&keys],
    );
    if ctx.allow_mutation {
        let name = ctx.fresh("key");
        let post = ctx
            .send(
                Req::post("/public_key/")
                    .accept(Some("text/occi"))
                    .header(
                        "Category",
                        "public_key; scheme=\"http://schemas.ogf.org/occi/security/credentials#\"",
                    )
                    .header("Content-Type", "text/occi")
                    .header(
                        "X-OCCI-Attribute",
                        format!("occi.key.name=\"{name}\", occi.key.content=\"ssh-rsa AAAA conformance\""),
                    ),
            )
            .await?;
        if let Some(l) = post.header("location") {
            let l = l.to_owned();
            ctx.created(&l);
        }
        ctx.check(
            &["CC-011"],
            post.status == 201,
            "a v2 CC creates a public key with 201",
            "201",
            post.summary(),
            &[&post],
        );
    } else {
        ctx.skip(&["CC-011"], "creating a public key needs --allow-mutation");
    }
    Ok(())
}

/// CC-004 to CC-010: one app through its life.
pub(crate) async fn lifecycle(ctx: &mut Ctx) -> TestOutcome {
    super::targets(ctx, crate::catalogue::Profile::Cc)?;
    let name = format!(
        "cf{}",
        &ctx.run_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    );
    let name: String = name.chars().take(20).collect();
    for (why, attrs) in [
        (
            "without occi.app.image",
            format!("occi.app.name=\"{name}x\""),
        ),
        (
            "with a name over 24 characters",
            format!(
                "occi.app.name=\"{}\", occi.app.image=\"conformance/so\"",
                "n".repeat(25)
            ),
        ),
        (
            "without occi.app.name",
            "occi.app.image=\"conformance/so\"".to_owned(),
        ),
    ] {
        let r = ctx.send(create(&attrs)).await?;
        if r.ok()
            && let Some(l) = r.header("location")
        {
            let l = l.to_owned();
            ctx.created(&l);
        }
        ctx.check(
            &["CC-005"],
            r.status == 400,
            format!("POST /app/ {why} is refused with 400"),
            "400",
            r.summary(),
            &[&r],
        );
    }
    let r = ctx
        .send(create(&format!(
            "occi.app.name=\"{name}\", occi.app.image=\"conformance/so\", occi.app.env=\"CONFORMANCE=1\""
        )))
        .await?;
    let location = r.header("location").unwrap_or("").to_owned();
    let path = crate::checks::path_of(&location);
    ctx.check(
        &["CC-004"],
        r.status == 201
            && location.starts_with("http")
            && path.starts_with("/app/")
            && path.len() > 5
            && !path[5..].contains('/'),
        "POST /app/ creates an app: 201 and an absolute Location whose path is exactly /app/<id>",
        "201, Location: http://…/app/<id>",
        format!("{}; Location: {location:?}", r.summary()),
        &[&r],
    );
    if !r.ok() || location.is_empty() {
        return Err(Abort::Error(
            "the app could not be created".to_owned(),
            Some(Box::new(r.exchange)),
        ));
    }
    ctx.created(&location);
    let text = ctx
        .send(Req::get(location.as_str()).accept(Some("text/occi")))
        .await?;
    let url = attribute(&text, "occi.app.url").unwrap_or_default();
    let raw_url_quoted =
        joined(&text, "x-occi-attribute").contains(&format!("occi.app.url=\"{url}\""));
    let state = attribute(&text, "occi.app.state").unwrap_or_default();
    ctx.check(
        &["CC-006"],
        text.status == 200
            && raw_url_quoted
            && !url.is_empty()
            && !url.contains("://")
            && !url.contains('=')
            && (state == "active" || state == "inactive")
            && attribute(&text, "occi.app.name").is_some()
            && attribute(&text, "occi.core.id").is_some(),
        "GET of the app (text/occi) gives occi.app.url=\"host[:port]\" (quoted, no scheme, no =), occi.app.state, occi.app.name and occi.core.id",
        "200 with those attributes",
        format!("{}: {}", text.summary(), joined(&text, "x-occi-attribute")),
        &[&text],
    );
    let observed = poll(
        ctx,
        &Req::get(location.as_str()).accept(Some("application/occi+json")),
        "occi.app.state",
        &|s| s == "active",
        &|s| s != "inactive" && s != "active",
    )
    .await?;
    let json_url = observed
        .last
        .as_ref()
        .and_then(|r| json_attribute(r, "occi.app.url"))
        .unwrap_or_default();
    let so = if observed.reached && !json_url.is_empty() {
        Some(
            ctx.send(
                Req::get(format!("http://{json_url}/"))
                    .without_extra_headers()
                    .header("X-Auth-Token", "conformance")
                    .header("X-Tenant-Name", "conformance"),
            )
            .await?,
        )
    } else {
        None
    };
    let mut evidence: Vec<&Resp> = observed.last.iter().collect();
    evidence.extend(so.iter());
    ctx.check(
        &["CC-007"],
        observed.reached && so.as_ref().is_some_and(|s| s.status == 200),
        format!("the JSON rendering reaches occi.app.state active (observed {}), and then http://<occi.app.url>/ answers 200", observed.describe()),
        "active, then 200 from the SO",
        format!("{}; SO root: {}", observed.describe(), so.as_ref().map_or("not reached".to_owned(), Resp::summary)),
        &evidence,
    );
    if compat(ctx, &["CC-009", "CC-010"]) {
        let list = ctx
            .send(Req::get("/app/").accept(Some("text/occi")))
            .await?;
        ctx.check(
            &["CC-009"],
            list.status == 200 || list.status == 400,
            "GET /app/ answers 200 (v2) or 400 (v3's unimplemented listing)",
            "200 or 400",
            list.summary(),
            &[&list],
        );
        // As an SM sends it: text/occi, the Category in a header (PySSF reads an action
        // request without a Content-Type as text/plain and fails on its empty body).
        let stop = ctx
            .send(
                Req::post(format!("{path}?action=stop"))
                    .accept(Some("text/occi"))
                    .occi_header(
                        "Category",
                        format!("stop; scheme=\"{APP_ACTION}\"; class=\"action\""),
                    ),
            )
            .await?;
        ctx.check(
            &["CC-010"],
            stop.status == 200 || stop.status == 400,
            "the stop action answers 200 if applicable, else 400",
            "200 or 400",
            stop.summary(),
            &[&stop],
        );
    }
    let del = ctx.send(Req::delete(location.as_str())).await?;
    let gone = ctx.send(Req::get(location.as_str())).await?;
    if del.ok() {
        ctx.forget(&location);
    }
    ctx.check(
        &["CC-008"],
        del.status == 200 && gone.status == 404,
        "DELETE of the app answers 200; a later GET answers 404",
        "200, then 404",
        format!("{}, then {}", del.status, gone.status),
        &[&del, &gone],
    );
    Ok(())
}
