//! Error handling and bad input (ERR) that needs no mutation.

use super::{compute, kind_location};
use crate::runner::{Ctx, Req, TestOutcome};

/// 404 passes; 200 with no location is an unbound path answered as the (empty) union of the
/// collections below it (P12 §4.1 allows it), which the catalogue does not expect: a warning.
pub(super) fn unbound_or_404(ctx: &mut Ctx, ids: &[&str], r: &crate::runner::Resp, what: &str) {
    let empty = r.status == 200
        && ctx
            .parse_plain(&r.text)
            .is_ok_and(|d| d.0.locations.is_empty());
    let observed = if r.status == 404 {
        crate::outcome::Outcome::Pass
    } else if empty {
        crate::outcome::Outcome::Warn
    } else {
        crate::outcome::Outcome::Fail
    };
    let message = if empty {
        format!("{what}: answered as an empty unbound path (P12 §4.1) instead of 404")
    } else {
        what.to_owned()
    };
    ctx.record(ids, observed, message, "404", r.summary(), &[r], &[]);
}

pub(super) async fn negotiation(ctx: &mut Ctx) -> TestOutcome {
    let r = ctx
        .send(Req::get("/-/").accept(Some("application/xml")))
        .await?;
    ctx.check(
        &["ERR-001"],
        r.status == 406,
        "Accept: application/xml",
        "406",
        r.summary(),
        &[&r],
    );
    let r = ctx.send(Req::get("/-/").accept(None)).await?;
    ctx.check(
        &["ERR-002"],
        r.status == 200 && r.media_type() == "text/plain",
        "GET /-/ without Accept",
        "200, text/plain",
        r.summary(),
        &[&r],
    );
    let r = ctx.send(Req::get("/-/").accept(Some("*/*"))).await?;
    ctx.check(
        &["ERR-003"],
        r.media_type() == "text/plain",
        "GET /-/ with Accept: */*",
        "text/plain",
        r.summary(),
        &[&r],
    );
    let path = format!("/no-such-collection-{}/", ctx.run_id);
    let r = ctx.send(Req::get(path)).await?;
    unbound_or_404(ctx, &["ERR-006"], &r, "GET on a path that does not exist");
    let r = ctx
        .send(
            Req::get("/-/")
                .header("User-Agent", "occi-conformance OCCI/9.9")
                .expect_5xx(),
        )
        .await?;
    ctx.check(
        &["ERR-008"],
        r.status == 501,
        "a client announcing OCCI/9.9",
        "501",
        r.summary(),
        &[&r],
    );
    let r = ctx
        .send(Req::get("/-/").header("User-Agent", "occi-conformance OCCI/1.1"))
        .await?;
    ctx.check(
        &["ERR-009"],
        r.status == 200,
        "a client announcing OCCI/1.1",
        "200 (1.2 is backward compatible)",
        r.summary(),
        &[&r],
    );
    if let Ok(loc) = kind_location(ctx, &compute()) {
        let r = ctx
            .send(Req::get(format!("{loc}{}", uuid::Uuid::new_v4())))
            .await?;
        ctx.check(
            &["ENT-025"],
            r.status == 404,
            "GET an entity that does not exist",
            "404",
            r.summary(),
            &[&r],
        );
        let r = ctx
            .send(Req::get(loc.as_str()).filter("X-OCCI-Attribute", "occi.compute.hostname"))
            .await?;
        ctx.check(
            &["COL-017"],
            r.status == 400,
            "a malformed attribute filter (no =)",
            "400",
            r.summary(),
            &[&r],
        );
    } else {
        ctx.skip(
            &["ENT-025", "COL-017"],
            format!("not advertised: {}", compute()),
        );
    }
    Ok(())
}
