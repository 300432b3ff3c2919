//! HTTP-level behaviour (HTP) that real peers got wrong (pyssf-lessons.md §12): content
//! negotiation with q-values and parameters, message framing (HEAD, Content-Length), bad
//! quoting answered with 5xx, state changed before an error answer, filters combined, and
//! `DELETE /`.

use http::Method;
use occi_model::AttributeValue;

use super::{attr, category, compute, create, fetch, kind_location, list, path_of, post_create};
use crate::runner::{Ctx, Req, TestOutcome};

/// A media type no OCCI server offers.
const UNACCEPTABLE: &str = "application/xml";

/// Negotiation and framing; read-only.
pub(super) async fn framing(ctx: &mut Ctx) -> TestOutcome {
    // Over a socket the bytes after the header block are read off the wire: an HTTP client
    // library drops a HEAD response's body, so only the wire shows one.
    let (r, how) = match ctx.head_on_wire("/-/").await {
        Some(r) => (r?, "HEAD /-/, read on the wire"),
        None => (ctx.send(Req::new(Method::HEAD, "/-/")).await?, "HEAD /-/"),
    };
    ctx.check(
        &["HTP-007"],
        r.text.is_empty(),
        how,
        "no body",
        format!("{} with a body of {} bytes", r.status, r.text.len()),
        &[&r],
    );
    let ok = ctx.send(Req::get("/-/")).await?;
    let missing = ctx
        .send(Req::get(format!(
            "/no-such-collection-{}/no-such-entity",
            ctx.run_id
        )))
        .await?;
    let refused = ctx.send(Req::get("/-/").accept(Some(UNACCEPTABLE))).await?;
    let counts: Vec<(u16, usize)> = [&ok, &missing, &refused]
        .iter()
        .map(|r| (r.status, r.headers.get_all("content-length").iter().count()))
        .collect();
    ctx.check(
        &["HTP-008"],
        counts.iter().all(|(_, n)| *n <= 1),
        "Content-Length fields of a 200, a 404 and a 406",
        "at most one each",
        counts
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        &[&ok, &missing, &refused],
    );
    let r = ctx
        .send(Req::get("/-/").accept(Some("text/occi;q=0.1, text/plain")))
        .await?;
    ctx.check(
        &["HTP-009"],
        r.status == 200 && r.media_type() == "text/plain",
        "Accept: text/occi;q=0.1, text/plain",
        "200, text/plain (the higher q-value)",
        format!("{}, {:?}", r.status, r.media_type()),
        &[&r],
    );
    let r = ctx
        .send(Req::get("/-/").accept(Some("text/plain; charset=utf-8")))
        .await?;
    ctx.check(
        &["HTP-010"],
        r.status == 200 && r.media_type() == "text/plain",
        "Accept: text/plain; charset=utf-8",
        "200, text/plain",
        format!("{}, {:?}", r.status, r.media_type()),
        &[&r],
    );
    Ok(())
}

/// An attribute value as a filter value (strings quoted, `"` and `\` escaped).
fn filter_value(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::String(s) => Some(format!(
            "\"{}\"",
            s.replace('\\', "\\\\").replace('"', "\\\"")
        )),
        AttributeValue::Integer(i) => Some(i.to_string()),
        AttributeValue::Float(f) => Some(f.to_string()),
        AttributeValue::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What changes state, and what must not change it; needs `--allow-mutation`.
pub(super) async fn state(ctx: &mut Ctx) -> TestOutcome {
    let compute = compute();
    let kloc = kind_location(ctx, &compute)?;
    let hostname = ctx.fresh("h");
    let url = create(
        ctx,
        &compute,
        &format!("X-OCCI-Attribute: occi.compute.hostname=\"{hostname}\"\r\n"),
    )
    .await?;
    let path = path_of(&url);

    // Two attribute filters, both matching (PySSF's scoring gives an empty result).
    let (g, doc, _) = fetch(ctx, &url).await?;
    let pair: Vec<(String, String)> = doc
        .attributes
        .iter()
        .filter(|a| a.name.as_str() != "occi.core.id")
        .filter_map(|a| Some((a.name.as_str().to_owned(), filter_value(&a.value)?)))
        .take(2)
        .collect();
    if pair.len() == 2 && attr(&doc, &pair[0].0).is_some() {
        let r = ctx
            .send(
                Req::get(kloc.as_str())
                    .filter("X-OCCI-Attribute", format!("{}={}", pair[0].0, pair[0].1))
                    .filter("X-OCCI-Attribute", format!("{}={}", pair[1].0, pair[1].1)),
            )
            .await?;
        let found = ctx
            .parse_plain(&r.text)
            .map(|d| super::listing(&d.0))
            .unwrap_or_default();
        ctx.check(
            &["HTP-001"],
            r.status == 200 && found.contains(&path),
            "a collection filter on two attributes the entity has",
            format!("200 listing {path}"),
            format!("{}: {found:?}", r.status),
            &[&g, &r],
        );
    } else {
        ctx.skip(
            &["HTP-001"],
            format!("setup: the created {compute} shows fewer than two filterable attributes"),
        );
    }

    // Badly quoted structures are 400, never 5xx.
    let bad_category = format!(
        "compute; scheme=\"{}; class=\"kind\"",
        super::split_tid(&compute).0
    );
    let plain = format!("Category: {bad_category}\r\nX-OCCI-Attribute: occi.core.title=\"it's\r\n");
    let (r, _) = post_create(ctx, &kloc, Req::post(kloc.as_str()).body(plain)).await?;
    ctx.check(
        &["HTP-002"],
        r.status == 400,
        "a text/plain create with an unterminated quoted scheme and title",
        "400",
        r.summary(),
        &[&r],
    );
    let (r, _) = post_create(
        ctx,
        &kloc,
        Req::post(kloc.as_str())
            .content_type(Some("text/occi"))
            .header("Category", bad_category)
            .header("X-OCCI-Attribute", "occi.core.title=\"it's")
            .body(""),
    )
    .await?;
    ctx.check(
        &["HTP-003"],
        r.status == 400,
        "a text/occi create with an unterminated quoted scheme and title",
        "400",
        r.summary(),
        &[&r],
    );

    // A create with an unacceptable Accept: 406 with nothing created, or served.
    let (_, before) = list(ctx, &kloc).await?;
    let body = format!(
        "Category: {}\r\n{}",
        category(&compute, "kind"),
        super::required_lines(ctx, &compute)
    );
    let (r, created) = post_create(
        ctx,
        &kloc,
        Req::post(kloc.as_str())
            .accept(Some(UNACCEPTABLE))
            .body(body),
    )
    .await?;
    let (l, after) = list(ctx, &kloc).await?;
    let new: Vec<&String> = after.iter().filter(|p| !before.contains(p)).collect();
    for p in &new {
        // Whatever was created is cleaned up with the rest.
        ctx.created(p);
    }
    let ok = if r.status == 406 {
        new.is_empty()
    } else {
        r.ok() && created.is_some()
    };
    ctx.check(
        &["HTP-004"],
        ok,
        "a create with Accept: application/xml",
        "406 and no new entity (or a served create)",
        format!("{}; new entities: {new:?}", r.status),
        &[&r, &l],
    );

    // A DELETE with an unacceptable Accept: 406 with the entity still there, or deleted.
    let victim = create(ctx, &compute, "").await?;
    let d = ctx
        .send(Req::delete(victim.as_str()).accept(Some(UNACCEPTABLE)))
        .await?;
    let g = ctx.send(Req::get(victim.as_str())).await?;
    if g.status == 404 || g.status == 410 {
        ctx.forget(&victim);
    }
    let ok = if d.status == 406 {
        g.status == 200
    } else {
        d.ok() && (g.status == 404 || g.status == 410)
    };
    ctx.check(
        &["HTP-005"],
        ok,
        "a DELETE with Accept: application/xml, then a GET",
        "406 and the entity still there (or deleted with 2xx)",
        format!("DELETE {}, then GET {}", d.status, g.status),
        &[&d, &g],
    );

    // DELETE / must not wipe the server.
    let d = ctx.send(Req::delete("/")).await?;
    let g = ctx.send(Req::get(url.as_str())).await?;
    if g.status == 404 || g.status == 410 {
        ctx.forget(&url);
    }
    ctx.check(
        &["HTP-011"],
        d.status >= 400 && g.status == 200,
        "DELETE /, then a GET of an entity created before",
        "a 4xx, and the entity still there",
        format!("DELETE / {}, then GET {}", d.status, g.status),
        &[&d, &g],
    );
    Ok(())
}
