//! The request pipeline: regressions of the defects the typed pipeline fixed, entity tags
//! and preconditions, and what a new user runs into first.

mod common;

use common::*;
use occi_server::occi_model::{AttributeValue, Entity};
use occi_server::{Backend, BackendError, Hook, Occi, SimulatedActions};

#[test]
fn an_empty_body_is_reported_at_line_1_column_1() {
    let s = server();
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(""),
        400,
        &["line 1, column 1"],
    );
}

#[test]
fn an_unknown_kind_is_reported_as_unknown() {
    let s = server();
    fails_unchanged(
        &s,
        req("POST", "/compute/")
            .plain("Category: spaceship; scheme=\"http://example.com/x#\"; class=\"kind\"\n"),
        400,
        &["the Kind http://example.com/x#spaceship is unknown to this server"],
    );
}

#[test]
fn query_string_filters_are_refused_not_ignored() {
    let s = server();
    create_compute(&s, "one");
    for target in [
        "/-/?category=compute",
        "/compute/?attribute=occi.core.title%3Done",
    ] {
        req("GET", target)
            .send(&s)
            .expect(400, &["is not supported", "X-OCCI-Attribute"]);
    }
    // Header filters still work, and paging parameters are still read.
    req("GET", "/compute/?page=1&number=1")
        .send(&s)
        .expect(200, &[]);
}

#[test]
fn a_link_shows_the_kind_of_its_target_when_the_client_left_it_out() {
    let s = server();
    let compute = create_compute(&s, "vm");
    let storage = create_of(
        &s,
        "/storage/",
        &format!("{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.5"),
    );
    req("POST", "/storagelink/")
        .plain(&format!(
            "Category: storagelink; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.core.source=\"{compute}\"\nX-OCCI-Attribute: occi.core.target=\"{storage}\"\nX-OCCI-Attribute: occi.storagelink.deviceid=\"vdb\"\n"
        ))
        .send(&s)
        .expect(201, &[]);
    let r = req("GET", &compute).send(&s);
    r.expect(
        200,
        &["rel=\"http://schemas.ogf.org/occi/infrastructure#storage\""],
    );
    assert!(!r.text().contains("core#resource"), "{}", r.text());
}

#[test]
fn entity_responses_carry_an_etag_that_preconditions_are_checked_against() {
    let s = server();
    let vm = create_compute(&s, "vm");
    let etag = req("GET", &vm).send(&s).header("etag").expect("an ETag");
    let update = || {
        req("POST", &vm).plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"renamed\"\n"
        ))
    };
    // The current tag: the update applies, and the tag moves.
    let r = update().header("if-match", &etag).send(&s);
    r.expect(200, &["renamed"]);
    let new_etag = r.header("etag").expect("an ETag");
    assert_ne!(new_etag, etag);
    // A stale tag: 412, nothing changed, for POST, PUT, DELETE and actions alike.
    fails_unchanged(&s, update().header("if-match", &etag), 412, &["If-Match"]);
    fails_unchanged(
        &s,
        req("PUT", &vm)
            .plain(&format!("{COMPUTE}\n"))
            .header("if-match", &etag),
        412,
        &["If-Match"],
    );
    fails_unchanged(
        &s,
        req("DELETE", &vm).header("if-match", &etag),
        412,
        &["If-Match"],
    );
    fails_unchanged(
        &s,
        req("POST", &format!("{vm}?action=start"))
            .plain(&format!("{START}\n"))
            .header("if-match", &etag),
        412,
        &["If-Match"],
    );
    // If-None-Match: * creates only where nothing is.
    fails_unchanged(
        &s,
        req("PUT", &vm)
            .plain(&format!("{COMPUTE}\n"))
            .header("if-none-match", "*"),
        412,
        &["If-None-Match"],
    );
    req("PUT", "/compute/fresh")
        .plain(&format!("{COMPUTE}\n"))
        .header("if-none-match", "*")
        .send(&s)
        .expect(201, &[]);
    fails_unchanged(
        &s,
        req("PUT", "/compute/other")
            .plain(&format!("{COMPUTE}\n"))
            .header("if-match", "*"),
        412,
        &["nothing is stored here"],
    );
    // A conditional GET: 304 without a body while the tag holds.
    let r = req("GET", &vm).header("if-none-match", &new_etag).send(&s);
    assert_eq!(r.status(), 304);
    assert!(r.text().is_empty());
    req("GET", &vm)
        .header("if-none-match", &etag)
        .send(&s)
        .expect(200, &["renamed"]);
    // A malformed tag is a bad request, not a silent pass.
    fails_unchanged(
        &s,
        req("DELETE", &vm).header("if-match", "r1"),
        400,
        &["not an entity tag"],
    );
    req("DELETE", &vm)
        .header("if-match", &new_etag)
        .send(&s)
        .expect(200, &[]);
}

/// A backend whose update hook sets a value the text renderings cannot express.
struct ListOnUpdate;

impl Backend for ListOnUpdate {
    async fn update(
        &self,
        _hook: Hook<'_>,
        _current: &Entity,
        updated: &mut Entity,
    ) -> Result<(), BackendError> {
        updated.attributes_mut().insert(
            "example.tags".parse().unwrap(),
            AttributeValue::List(vec!["a".into(), "b".into()]),
        );
        Ok(())
    }
}

#[test]
fn the_response_rendering_is_settled_before_anything_changes() {
    let s = Occi::builder()
        .registry(registry(occi_server::occi_model::OcciVersion::V1_2))
        .actions(SimulatedActions)
        .base_url("http://occi.test")
        .unwrap()
        .default_backend(ListOnUpdate)
        .build()
        .unwrap();
    let vm = create_compute(&s, "vm");
    // text/plain cannot answer with the updated entity: 406, and the update is not stored.
    fails_unchanged(
        &s,
        req("POST", &vm)
            .plain(&format!(
                "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"renamed\"\n"
            ))
            .accept("text/plain"),
        406,
        &["application/occi+json"],
    );
    // JSON can: the same update succeeds.
    req("POST", &vm)
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"renamed\"\n"
        ))
        .accept("application/occi+json")
        .send(&s)
        .expect(200, &["renamed", "example.tags"]);
}
