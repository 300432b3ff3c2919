//! The SM profile (hurtle.md §6.1), items 1 to 16: the target is the SM's base URL; the
//! service type is the first Kind of its query interface related to `core#resource` outside
//! the core scheme.

use super::{attribute, compat, joined, split_outside_quotes};
use crate::checks::path_of;
use crate::runner::{Abort, CORE, Ctx, Req, TestOutcome};

const STATES: [&str; 5] = ["initialise", "activate", "deploy", "provision", "update"];

/// The service Kind: `(scheme, term, location path)`.
fn service(ctx: &Ctx) -> Result<(String, String, String), Abort> {
    let kind = ctx
        .disc
        .categories
        .iter()
        .find(|c| {
            c.class == occi_model::CategoryClass::Kind
                && c.id.scheme().as_str() != CORE
                && c.rel
                    .iter()
                    .any(|r| crate::runner::tid(r) == format!("{CORE}resource"))
        })
        .ok_or_else(|| {
            Abort::Skip(
                "no service Kind (related to core#resource) in the query interface".to_owned(),
            )
        })?;
    let location = kind.location.as_ref().map_or_else(
        || format!("/{}/", kind.id.term().as_str()),
        |l| path_of(l.as_str()),
    );
    Ok((
        kind.id.scheme().as_str().to_owned(),
        kind.id.term().as_str().to_owned(),
        location,
    ))
}

fn kind_category(scheme: &str, term: &str) -> String {
    format!("{term}; scheme=\"{scheme}\"; class=\"kind\"")
}

/// SM-001, SM-002, SM-003, SM-016: the query interface and authentication.
pub(crate) async fn discovery(ctx: &mut Ctx) -> TestOutcome {
    super::targets(ctx, crate::catalogue::Profile::Sm)?;
    let (scheme, term, location) = service(ctx)?;
    let qi = ctx.send(Req::get("/-/").accept(Some("text/occi"))).await?;
    let cats = joined(&qi, "category");
    let kind = split_outside_quotes(&cats)
        .into_iter()
        .find(|c| c.starts_with(&kind_category(&scheme, &term)))
        .unwrap_or_default();
    ctx.check(
        &["SM-001"],
        qi.status == 200
            && kind.contains(&format!("rel=\"{CORE}resource"))
            && kind.contains(&format!("{location}\""))
            && kind.contains("location=\"http"),
        "the text/occi query interface lists the service Kind with rel core#resource and its absolute location",
        format!("{} with rel and location=\"…{location}\"", kind_category(&scheme, &term)),
        format!("{}: {kind}", qi.summary()),
        &[&qi],
    );
    let json = ctx
        .send(Req::get("/-/").accept(Some("application/occi+json")))
        .await?;
    let parsed: Option<serde_json::Value> = serde_json::from_str(&json.text).ok();
    let first_related = parsed
        .as_ref()
        .and_then(|v| v.as_array())
        .and_then(|a| {
            a.iter().find(|c| {
                c.get("related")
                    .and_then(|r| r.as_array())
                    .is_some_and(|r| !r.is_empty())
            })
        })
        .cloned();
    let ok = json.status == 200
        && json.media_type() == "application/occi+json"
        && first_related.as_ref().is_some_and(|c| {
            c["term"] == term.as_str()
                && c["scheme"] == scheme.as_str()
                && c["location"] == location.as_str()
                && c["attributes"].is_object()
        });
    ctx.check(
        &["SM-002"],
        ok,
        "the JSON query interface is an array whose first Category with related is the service Kind, location relative",
        format!("{{\"term\": {term:?}, \"scheme\": {scheme:?}, \"location\": {location:?}, \"related\": […], \"attributes\": {{…}}}} first"),
        format!("{}: {}", json.summary(), first_related.map_or_else(|| json.text.chars().take(120).collect(), |c| c.to_string())),
        &[&json],
    );
    let token = ctx.fresh("token");
    for (what, req) in [
        (
            "without X-Auth-Token",
            Req::get("/-/")
                .without_extra_headers()
                .header("X-Tenant-Name", "conformance"),
        ),
        (
            "without X-Tenant-Name",
            Req::get("/-/")
                .without_extra_headers()
                .header("X-Auth-Token", "conformance"),
        ),
        (
            "with a token no one issued",
            Req::get("/-/")
                .without_extra_headers()
                .header("X-Auth-Token", token.as_str())
                .header("X-Tenant-Name", "conformance"),
        ),
    ] {
        let r = ctx.send(req.expect_5xx()).await?;
        let bug = if r.status == 500 {
            " (hurtle's recorded bug: 500 instead of 400/401)"
        } else {
            ""
        };
        ctx.check(
            &["SM-003"],
            !r.ok(),
            format!("a request {what} is refused{bug}"),
            "a non-2xx status (400 or 401)",
            r.summary(),
            &[&r],
        );
    }
    if compat(ctx, &["SM-016"]) {
        let plain = ctx.send(Req::get("/-/").accept(Some("*/*"))).await?;
        let occi = ctx.send(Req::get("/-/").accept(Some("text/occi"))).await?;
        let server = plain.header("server").unwrap_or("").to_owned();
        ctx.check(
            &["SM-016"],
            server.contains("OCCI/1.1")
                && plain.media_type() == "text/plain"
                && occi.media_type() == "text/occi",
            "Server names OCCI/1.1 and Content-Type follows Accept (*/* gives text/plain)",
            "Server …OCCI/1.1; text/plain for */*; text/occi for text/occi",
            format!(
                "Server {server:?}; {} and {}",
                plain.media_type(),
                occi.media_type()
            ),
            &[&plain, &occi],
        );
    }
    Ok(())
}

fn occi_get(url: &str) -> Req {
    Req::get(url).accept(Some("text/occi"))
}

/// SM-004 to SM-015: one service instance through its life.
pub(crate) async fn lifecycle(ctx: &mut Ctx) -> TestOutcome {
    super::targets(ctx, crate::catalogue::Profile::Sm)?;
    let (scheme, term, location) = service(ctx)?;
    let create = |extra: Option<&str>| {
        let mut r = Req::post(location.as_str())
            .accept(Some("text/occi"))
            .header("Category", kind_category(&scheme, &term))
            .header("Content-Type", "text/occi");
        if let Some(a) = extra {
            r = r.header("X-OCCI-Attribute", a);
        }
        r
    };
    let none = ctx
        .send(
            Req::post(location.as_str())
                .header("Content-Type", "text/occi")
                .accept(Some("text/occi")),
        )
        .await?;
    let unknown = ctx
        .send(
            Req::post(location.as_str())
                .accept(Some("text/occi"))
                .header("Content-Type", "text/occi")
                .header(
                    "Category",
                    format!(
                        "nothing; scheme=\"http://conformance.test/{}#\"; class=\"kind\"",
                        ctx.run_id
                    ),
                ),
        )
        .await?;
    ctx.check(
        &["SM-014"],
        none.status == 400 && unknown.status == 400,
        "a create without a Category, or with an unregistered Kind, is refused with 400",
        "400 and 400",
        format!("{} and {}", none.status, unknown.status),
        &[&none, &unknown],
    );
    let r = ctx
        .send(create(Some("conformance.s=\"v\", conformance.n=2")))
        .await?;
    let url = r.header("location").unwrap_or("").to_owned();
    ctx.check(
        &["SM-004"],
        r.status == 201
            && url.starts_with("http")
            && path_of(&url).starts_with(&location)
            && path_of(&url).len() > location.len(),
        "creating an instance answers 201 with an absolute Location under the service collection",
        format!("201, Location: http://…{location}<id>"),
        format!("{}; Location {url:?}", r.summary()),
        &[&r],
    );
    if !r.ok() || url.is_empty() {
        return Err(Abort::Error(
            "the instance could not be created".to_owned(),
            Some(Box::new(r.exchange)),
        ));
    }
    ctx.created(&url);
    let first = ctx.send(occi_get(&url)).await?;
    let state = attribute(&first, "mcn.service.state").unwrap_or_default();
    let id = attribute(&first, "occi.core.id").unwrap_or_default();
    ctx.check(
        &["SM-006"],
        first.status == 200
            && joined(&first, "category").contains(&kind_category(&scheme, &term))
            && STATES.contains(&state.as_str())
            && !id.is_empty(),
        "GET of the instance (text/occi) has the service Category, mcn.service.state and occi.core.id",
        "200, Category, mcn.service.state in initialise/activate/deploy/provision/update, occi.core.id",
        format!("{}; state {state:?}, id {id:?}", first.summary()),
        &[&first],
    );
    ctx.check(
        &["SM-005"],
        attribute(&first, "conformance.s").as_deref() == Some("v")
            && attribute(&first, "conformance.n").as_deref() == Some("2"),
        "the attributes given at creation show in the instance",
        "conformance.s=\"v\" and conformance.n 2",
        joined(&first, "x-occi-attribute"),
        &[&first],
    );
    let observed = super::poll(
        ctx,
        &Req::get(url.as_str()).accept(Some("application/occi+json")),
        "mcn.service.state",
        &|s| s == "provision",
        &|s| !STATES.contains(&s),
    )
    .await?;
    let ranks: Vec<usize> = observed
        .values()
        .iter()
        .filter_map(|v| STATES.iter().position(|s| s == v))
        .collect();
    let monotonic = ranks.windows(2).all(|w| w[0] < w[1]) && ranks.len() == observed.values().len();
    ctx.check(
        &["SM-007"],
        observed.reached && monotonic,
        format!(
            "mcn.service.state moves monotonically to provision (observed {})",
            observed.describe()
        ),
        format!(
            "initialise -> activate -> deploy -> provision within {:?}",
            ctx.hurtle.lifecycle_timeout
        ),
        observed.describe(),
        &observed.last.iter().collect::<Vec<_>>(),
    );
    let running = ctx.send(occi_get(&url)).await?;
    let attrs = super::raw_attributes(&running);
    let stack = attribute(&running, "occi.mcn.stack.state").unwrap_or_default();
    let endpoint = attrs.iter().any(|(n, _)| {
        n.starts_with("mcn.endpoint.")
            || (n.contains('.')
                && !n.starts_with("occi.")
                && !n.starts_with("mcn.service.")
                && !n.starts_with("conformance."))
    });
    ctx.check(
        &["SM-008"],
        (stack == "CREATE_COMPLETE" || stack.starts_with("UPDATE_"))
            && attribute(&running, "occi.mcn.stack.id").is_some_and(|s| !s.is_empty())
            && endpoint,
        "once provisioned the instance shows the SO's stack state and id and the service endpoints",
        "occi.mcn.stack.state CREATE_COMPLETE/UPDATE_*, occi.mcn.stack.id, an endpoint attribute",
        joined(&running, "x-occi-attribute"),
        &[&running],
    );
    let json = ctx
        .send(Req::get(url.as_str()).accept(Some("application/occi+json")))
        .await?;
    let v: Option<serde_json::Value> = serde_json::from_str(&json.text).ok();
    ctx.check(
        &["SM-009"],
        json.status == 200
            && v.as_ref().is_some_and(|v| {
                v["kind"]["term"] == term.as_str()
                    && v["attributes"].is_object()
                    && v["actions"].is_array()
                    && v["links"].is_array()
                    && v["mixins"].is_array()
            }),
        "the JSON rendering is {kind{term,scheme}, attributes, actions, links, mixins}",
        "200 and those members",
        format!(
            "{}: {}",
            json.summary(),
            json.text.chars().take(160).collect::<String>()
        ),
        &[&json],
    );
    let list = ctx.send(occi_get(location.as_str())).await?;
    let listed: Vec<String> = split_outside_quotes(&joined(&list, "x-occi-location"));
    ctx.check(
        &["SM-010"],
        list.status == 200 && listed.iter().any(|l| l == &url),
        "the collection (text/occi) lists the instance in X-OCCI-Location",
        url.clone(),
        format!("{}: {listed:?}", list.summary()),
        &[&list],
    );
    if let Some(b) = ctx.hurtle.tenant_b.clone() {
        let other = ctx
            .send(occi_get(location.as_str()).replacing_extra_header("X-Tenant-Name", b.as_str()))
            .await?;
        let foreign = ctx
            .send(occi_get(&url).replacing_extra_header("X-Tenant-Name", b.as_str()))
            .await?;
        let other_listed = split_outside_quotes(&joined(&other, "x-occi-location"));
        ctx.check(
            &["SM-011"],
            !other_listed.iter().any(|l| l == &url) && foreign.status != 200,
            format!("tenant {b:?} neither sees the instance listed nor can GET it"),
            "not listed; GET not 200 (hurtle: 405)",
            format!(
                "listing {}: {other_listed:?}; GET {}",
                other.status, foreign.status
            ),
            &[&other, &foreign],
        );
        let empty_ok = other.status != 200 || other.header("x-occi-location").is_none();
        ctx.check(
            &["SM-010"],
            empty_ok,
            "an empty collection answers 200 without X-OCCI-Location",
            "no X-OCCI-Location",
            format!("{}: {:?}", other.summary(), other.header("x-occi-location")),
            &[&other],
        );
    } else {
        ctx.skip(&["SM-011"], "needs --tenant-b");
    }
    let update = ctx
        .send(
            Req::post(url.as_str())
                .accept(Some("text/occi"))
                .header("Content-Type", "text/occi")
                .header("X-OCCI-Attribute", "conformance.k=\"v\"")
                .expect_5xx(),
        )
        .await?;
    let after = ctx.send(occi_get(&url)).await?;
    let bug = if update.status == 500 {
        " (hurtle's recorded bug against the sample SO: 500)"
    } else {
        ""
    };
    ctx.check(
        &["SM-012"],
        update.status == 200
            && attribute(&after, "mcn.service.state").as_deref() == Some("update")
            && attribute(&after, "conformance.k").as_deref() == Some("v"),
        format!("an update answers 200, the state becomes update and the attribute shows{bug}"),
        "200; mcn.service.state=\"update\"; conformance.k=\"v\"",
        format!(
            "{}{bug}; then {}",
            update.summary(),
            joined(&after, "x-occi-attribute")
        ),
        &[&update, &after],
    );
    if compat(ctx, &["SM-015"]) {
        let mine = format!("{location}{}", ctx.fresh("put"));
        let put = ctx
            .send(
                Req::put(mine.as_str())
                    .accept(Some("text/occi"))
                    .header("Category", kind_category(&scheme, &term))
                    .header("Content-Type", "text/occi"),
            )
            .await?;
        if let Some(l) = put.header("location") {
            let l = l.to_owned();
            ctx.created(&l);
        }
        ctx.check(
            &["SM-015"],
            put.status == 201 && put.header("location").is_some(),
            "PUT of the service Kind at a chosen path answers 201 with a Location (possibly elsewhere)",
            "201 and Location",
            put.summary(),
            &[&put],
        );
    }
    let del = ctx.send(Req::delete(url.as_str())).await?;
    let gone = ctx.send(occi_get(&url)).await?;
    let list = ctx.send(occi_get(location.as_str())).await?;
    if del.ok() {
        ctx.forget(&url);
    }
    let still = split_outside_quotes(&joined(&list, "x-occi-location"))
        .iter()
        .any(|l| l == &url);
    ctx.check(
        &["SM-013"],
        del.status == 200 && gone.status != 200 && !still,
        "DELETE answers 200; afterwards GET is not 200 and the collection no longer lists it",
        "200; GET 404 (hurtle: 405); not listed",
        format!("{}, GET {}, listed {still}", del.status, gone.status),
        &[&del, &gone, &list],
    );
    if ctx.hurtle.compat {
        ctx.check(
            &["SM-013"],
            gone.status == 404 || gone.status == 405,
            "a deleted instance answers 404 or 405",
            "404 or 405",
            gone.summary(),
            &[&gone],
        );
    }
    Ok(())
}
