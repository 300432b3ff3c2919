//! The operation matrix (occi-spec.md §5.2) through `Occi::handle`, in every rendering,
//! with the infrastructure model: every operation, every error, and for every failing
//! request a store left as it was.

mod common;

use common::*;
use occi_server::occi_model::OcciVersion;

const TAG: &str =
    r#"Category: tag; scheme="http://example.com/tags#"; class="mixin"; location="/tag/""#;
const SMALL: &str = r#"Category: small; scheme="http://schemas.ogf.org/occi/infrastructure/compute/template/1.1#"; class="mixin""#;
const MEDIUM: &str = r#"Category: medium; scheme="http://schemas.ogf.org/occi/infrastructure/compute/template/1.1#"; class="mixin""#;

fn storage(server: &Server) -> String {
    create_of(
        server,
        "/storage/",
        &format!("{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.5"),
    )
}

fn storagelink_line(target: &str) -> String {
    format!(
        "Link: <{target}>; rel=\"http://schemas.ogf.org/occi/infrastructure#storage\"; category=\"http://schemas.ogf.org/occi/infrastructure#storagelink\"; occi.storagelink.deviceid=\"vda\""
    )
}

/// A compute with an inline storagelink to a new storage: (compute, storage, link).
fn linked(server: &Server) -> (String, String, String) {
    let s = storage(server);
    let r = req("POST", "/compute/")
        .plain(&format!("{COMPUTE}\n{}\n", storagelink_line(&s)))
        .send(server);
    r.expect(201, &[]);
    let c = r.location();
    let link = snapshot(server)
        .into_iter()
        .filter_map(|st| st.entity.location().map(ToString::to_string))
        .find(|l| l.starts_with("/storagelink/"))
        .expect("the inline link is stored");
    (c, s, link)
}

fn add_tag(server: &Server) {
    req("POST", "/-/")
        .plain(TAG)
        .send(server)
        .expect(200, &["tag"]);
}

// ----- query interface -----

#[test]
fn query_interface_lists_every_category_and_the_well_known_mirror_is_identical() {
    let s = server();
    let qi = req("GET", "/-/").send(&s);
    qi.expect(
        200,
        &[
            "Category: entity;",
            "Category: resource;",
            "Category: link;",
            "Category: compute;",
            "Category: small;",
            "Category: start;",
        ],
    );
    let mirror = req("GET", "/.well-known/org/ogf/occi/-/").send(&s);
    assert_eq!(mirror.status(), 200);
    assert_eq!(mirror.text(), qi.text());
    for accept in ["text/occi", "application/occi+json", "text/occi+plain"] {
        let a = req("GET", "/-/").accept(accept).send(&s);
        let b = req("GET", "/.well-known/org/ogf/occi/-/")
            .accept(accept)
            .send(&s);
        assert_eq!(a.status(), 200, "{accept}");
        assert_eq!(a.text(), b.text(), "{accept}");
        assert_eq!(a.0.headers().get("category"), b.0.headers().get("category"));
    }
    let json = req("GET", "/-/").accept("application/occi+json").send(&s);
    assert!(json.text().contains("\"kinds\""), "{}", json.text());
    let occi = req("GET", "/-/").accept("text/occi").send(&s);
    assert_eq!(occi.text(), "OK");
    assert!(occi.header("category").unwrap().contains("compute;"));
}

#[test]
fn query_interface_filters_by_category_and_attribute() {
    let s = server();
    let r = req("GET", "/-/")
        .header(
            "category",
            r#"compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#,
        )
        .send(&s);
    r.expect(200, &["Category: compute;"]);
    assert!(!r.text().contains("Category: storage;"), "{}", r.text());
    assert!(!r.text().contains("Category: network;"), "{}", r.text());
    // A filter in a text/plain body works too.
    let r = req("GET", "/-/").plain(&format!("{STORAGE}\n")).send(&s);
    r.expect(200, &["Category: storage;"]);
    assert!(!r.text().contains("Category: compute;"));
    // By attribute name.
    let r = req("GET", "/-/")
        .header("x-occi-attribute", "occi.storage.size=1")
        .send(&s);
    r.expect(200, &["Category: storage;"]);
    assert!(!r.text().contains("Category: network;"), "{}", r.text());
}

#[test]
fn query_interface_filter_errors() {
    let s = server();
    // Malformed filter.
    fails_unchanged(
        &s,
        req("GET", "/-/").header("category", "compute; scheme="),
        400,
        &["cannot read the filter"],
    );
    // An unknown filter category is named (404; never the unfiltered list, QI-014).
    for accept in ["text/plain", "application/occi+json"] {
        fails_unchanged(
            &s,
            req("GET", "/-/").accept(accept).header(
                "category",
                r#"nothing; scheme="http://example.com/none#"; class="kind""#,
            ),
            404,
            &["does not know", "http://example.com/none#nothing"],
        );
    }
}

#[test]
fn user_mixins_are_added_and_removed() {
    let s = server();
    let r = req("POST", "/-/").plain(TAG).send(&s);
    r.expect(200, &["Category: tag;"]);
    req("GET", "/-/")
        .send(&s)
        .expect(200, &["Category: tag;", "location=\"/tag/\""]);
    // JSON and text/occi renderings of the same request.
    req("POST", "/-/")
        .header(
            "category",
            r#"tag2; scheme="http://example.com/tags#"; class="mixin"; location="/tag2/""#,
        )
        .header("content-type", "text/occi")
        .accept("text/occi")
        .send(&s)
        .expect(200, &["OK"]);
    req("POST", "/-/")
        .json(r#"{"mixins":[{"term":"tag3","scheme":"http://example.com/tags#","location":"/tag3/"}]}"#)
        .accept("application/occi+json")
        .send(&s)
        .expect(200, &["tag3"]);
    req("GET", "/tag3/").send(&s).expect(200, &[]);
    // Removal.
    req("DELETE", "/-/")
        .plain(r#"Category: tag2; scheme="http://example.com/tags#"; class="mixin""#)
        .send(&s)
        .expect(200, &[]);
    let qi = req("GET", "/-/").send(&s);
    assert!(!qi.text().contains("Category: tag2;"));
    // Its location serves nothing any more (QI-021).
    req("GET", "/tag2/")
        .send(&s)
        .expect(404, &["nothing is served at /tag2/"]);
}

#[test]
fn user_mixin_errors_change_nothing() {
    let s = server();
    add_tag(&s);
    fails_unchanged(
        &s,
        req("POST", "/-/").plain(
            r#"Category: mine; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="mixin"; location="/mine/""#,
        ),
        403,
        &["reserved"],
    );
    fails_unchanged(&s, req("POST", "/-/").plain(TAG), 409, &["already exists"]);
    fails_unchanged(
        &s,
        req("POST", "/-/").plain(
            r#"Category: other; scheme="http://example.com/tags#"; class="mixin"; location="/tag/""#,
        ),
        409,
        &["/tag/", "already bound"],
    );
    // A location taken by a Kind.
    fails_unchanged(
        &s,
        req("POST", "/-/").plain(
            r#"Category: other; scheme="http://example.com/tags#"; class="mixin"; location="/compute/""#,
        ),
        409,
        &["/compute/"],
    );
    fails_unchanged(
        &s,
        req("POST", "/-/").plain(&format!("{COMPUTE}\n")),
        400,
        &["only Mixins"],
    );
    fails_unchanged(&s, req("POST", "/-/").plain(""), 400, &["no Mixin"]);
    fails_unchanged(
        &s,
        req("DELETE", "/-/").plain(SMALL),
        403,
        &["provider", "cannot be removed"],
    );
    fails_unchanged(
        &s,
        req("DELETE", "/-/").plain(&format!("{COMPUTE}\n")),
        403,
        &["compute", "only user-defined Mixins"],
    );
    fails_unchanged(
        &s,
        req("DELETE", "/-/")
            .plain(r#"Category: ghost; scheme="http://example.com/tags#"; class="mixin""#),
        404,
        &["ghost"],
    );
    // Two in one request, the second unknown: the first stays.
    fails_unchanged(
        &s,
        req("DELETE", "/-/").plain(&format!(
            "{TAG}\nCategory: ghost; scheme=\"http://example.com/tags#\"; class=\"mixin\"\n"
        )),
        404,
        &["ghost"],
    );
    req("GET", "/-/").send(&s).expect(200, &["Category: tag;"]);
}

#[test]
fn removing_a_user_mixin_disassociates_its_entities() {
    let s = server();
    add_tag(&s);
    let c = create_compute(&s, "tagged");
    req("POST", "/tag/")
        .plain(&format!("X-OCCI-Location: {c}\n"))
        .send(&s)
        .expect(200, &[]);
    req("GET", &c).send(&s).expect(200, &["Category: tag;"]);
    req("DELETE", "/-/").plain(TAG).send(&s).expect(200, &[]);
    let r = req("GET", &c).send(&s);
    r.expect(200, &["occi.core.title=\"tagged\""]);
    assert!(!r.text().contains("tag;"), "{}", r.text());
    // The location is free again and the Mixin can be re-created, empty.
    add_tag(&s);
    assert!(req("GET", "/tag/").send(&s).listed().is_empty());
}

// ----- create -----

#[test]
fn create_by_post_in_every_rendering() {
    let s = server();
    let r = req("POST", "/compute/")
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"plain\"\n"
        ))
        .send(&s);
    r.expect(201, &["X-OCCI-Location: http://occi.test/compute/"]);
    let location = r.header("location").unwrap();
    assert!(
        location.starts_with("http://occi.test/compute/"),
        "{location}"
    );
    req("GET", &r.location())
        .send(&s)
        .expect(200, &["occi.core.title=\"plain\""]);

    let r = req("POST", "/compute/")
        .header("content-type", "text/occi")
        .header(
            "category",
            r#"compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#,
        )
        .header(
            "x-occi-attribute",
            r#"occi.core.title="headers", occi.compute.cores=2"#,
        )
        .accept("text/occi")
        .send(&s);
    r.expect(201, &["OK"]);
    assert!(
        r.header("x-occi-location")
            .unwrap()
            .starts_with("http://occi.test/compute/")
    );
    let got = req("GET", &r.location()).accept("text/occi").send(&s);
    got.expect(200, &["OK"]);
    let attrs = got.header("x-occi-attribute").unwrap();
    assert!(
        attrs.contains("occi.core.title=\"headers\"") && attrs.contains("occi.compute.cores=2"),
        "{attrs}"
    );

    let r = req("POST", "/compute/")
        .json(r#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","attributes":{"occi.core.title":"json","occi.compute.memory":2.0}}"#)
        .accept("application/occi+json")
        .send(&s);
    assert_eq!(r.status(), 201, "{}", r.text());
    let got = req("GET", &r.location())
        .accept("application/occi+json")
        .send(&s);
    got.expect(200, &["\"title\":\"json\"", "\"occi.compute.memory\":2.0"]);

    // The new entities are members of the Kind's collection (and of resource's).
    assert_eq!(req("GET", "/compute/").send(&s).listed().len(), 3);
    assert_eq!(req("GET", "/resource/").send(&s).listed().len(), 3);
}

#[test]
fn create_errors_change_nothing() {
    let s = server();
    create_compute(&s, "existing");
    fails_unchanged(
        &s,
        req("POST", "/network/").plain(&format!("{COMPUTE}\n")),
        400,
        &["collection of", "network", "compute"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!("{COMPUTE}\n{STORAGE}\n")),
        400,
        &["kind"],
    );
    fails_unchanged(
        &s,
        req("POST", "/storage/").plain(&format!("{STORAGE}\n")),
        400,
        &["occi.storage.size", "required"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.compute.cores=\"many\"\n"
        )),
        400,
        &["occi.compute.cores"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: com.example.unknown=1\n"
        )),
        400,
        &["com.example.unknown"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.compute.state=\"active\"\n"
        )),
        400,
        &["occi.compute.state"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain("Category: compute; scheme="),
        400,
        &["cannot read the entity"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"my/own/id\"\n"
        )),
        400,
        &["my/own/id", "valid path segment"],
    );
    // An inline link to nothing.
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\n{}\n",
            storagelink_line("/storage/none")
        )),
        400,
        &["/storage/none"],
    );
    // A mixin that is not known.
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nCategory: ghost; scheme=\"http://example.com/x#\"; class=\"mixin\"\n"
        )),
        400,
        &["ghost"],
    );
    // JSON errors are JSON.
    let r = fails_unchanged(
        &s,
        req("POST", "/compute/")
            .json("{\"kind\": 3}")
            .accept("application/occi+json"),
        400,
        &["\"error\"", "\"status\":400"],
    );
    assert_eq!(r.header("content-type").unwrap(), "application/occi+json");
}

#[test]
fn inline_links_are_created_and_shown_with_self() {
    let s = server();
    let (c, st, link) = linked(&s);
    let r = req("GET", &c).send(&s);
    r.expect(
        200,
        &[&format!("Link: <{st}>"), &format!("self=\"{link}\"")],
    );
    let l = req("GET", &link).send(&s);
    l.expect(
        200,
        &[
            "Category: storagelink;",
            &format!("occi.core.source=\"{c}\""),
            &format!("occi.core.target=\"{st}\""),
        ],
    );
    // Listed in the storagelink and link collections.
    assert_eq!(
        req("GET", "/storagelink/").send(&s).listed(),
        vec![link.clone()]
    );
    assert_eq!(req("GET", "/link/").send(&s).listed(), vec![link]);
    // JSON shows it inline.
    req("GET", &c)
        .accept("application/occi+json")
        .send(&s)
        .expect(200, &["\"links\"", "storagelink"]);
}

#[test]
fn links_are_created_directly() {
    let s = server();
    let c = create_compute(&s, "c");
    let st = storage(&s);
    let r = req("POST", "/storagelink/")
        .plain(&format!(
            "Category: storagelink; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.core.source=\"{c}\"\nX-OCCI-Attribute: occi.core.target=\"http://occi.test{st}\"\nX-OCCI-Attribute: occi.storagelink.deviceid=\"vdb\"\n"
        ))
        .send(&s);
    r.expect(201, &[]);
    let link = r.location();
    // The absolute target was stored as a path.
    req("GET", &link)
        .send(&s)
        .expect(200, &[&format!("occi.core.target=\"{st}\"")]);
    req("GET", &c)
        .send(&s)
        .expect(200, &[&format!("self=\"{link}\"")]);
    fails_unchanged(
        &s,
        req("POST", "/storagelink/").plain(&format!(
            "Category: storagelink; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.core.source=\"{c}\"\nX-OCCI-Attribute: occi.core.target=\"/storage/gone\"\nX-OCCI-Attribute: occi.storagelink.deviceid=\"vdb\"\n"
        )),
        400,
        &["/storage/gone"],
    );
}

#[test]
fn a_client_may_propose_an_urn_uuid_id() {
    let s = server();
    let id = "urn:uuid:6c1f3f8e-3c39-4a1f-9e61-3f1f1b2a2c11";
    let r = req("POST", "/compute/")
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"{id}\"\n"
        ))
        .send(&s);
    r.expect(201, &[]);
    assert_eq!(
        r.location(),
        "/compute/6c1f3f8e-3c39-4a1f-9e61-3f1f1b2a2c11"
    );
    req("GET", &r.location()).send(&s).expect(200, &[id]);
    // The same id again is a conflict, and changes nothing.
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"{id}\"\n"
        )),
        409,
        &["exists already"],
    );
}

#[test]
fn a_proposed_id_must_be_unused_whichever_way_the_entity_is_created() {
    let s = server();
    // One rule for PUT and POST: a proposed id names the last segment of the location.
    req("PUT", "/compute/chosen")
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"chosen\"\n"
        ))
        .send(&s)
        .expect(201, &[]);
    req("GET", "/compute/chosen")
        .send(&s)
        .expect(200, &["occi.core.id=\"chosen\""]);
    // POST takes a proposed id that is a valid path segment (pOCCI sends such ids).
    let r = req("POST", "/compute/")
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"Compute_1700000000\"\n"
        ))
        .send(&s);
    r.expect(201, &[]);
    assert_eq!(r.location(), "/compute/Compute_1700000000");
    // The same id again: its location is taken.
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"chosen\"\n"
        )),
        409,
        &["/compute/chosen exists already"],
    );
    // An id another entity holds, although the location it names is free.
    req("PUT", "/compute/elsewhere")
        .plain(&format!("{COMPUTE}\n"))
        .send(&s)
        .expect(201, &[]);
    let held = snapshot(&s)
        .into_iter()
        .find(|st| {
            st.entity
                .location()
                .is_some_and(|l| l.as_str() == "/compute/elsewhere")
        })
        .and_then(|st| st.entity.id().cloned())
        .unwrap();
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"{held}\"\n"
        )),
        409,
        &["with the id", "exists already"],
    );
    // PUT with an id that names another path is 400.
    fails_unchanged(
        &s,
        req("PUT", "/compute/other").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"chosen2\"\n"
        )),
        400,
        &["the id and the path must agree"],
    );
    // An id that cannot be a path segment cannot name a location.
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.id=\"/compute/x\"\n"
        )),
        400,
        &["valid path segment"],
    );
}

#[test]
fn create_with_a_template_takes_its_defaults() {
    let s = server();
    let r = req("POST", "/compute/")
        .plain(&format!("{COMPUTE}\n{SMALL}\n"))
        .send(&s);
    r.expect(201, &[]);
    req("GET", &r.location())
        .send(&s)
        .expect(200, &["Category: small;", "occi.compute.cores=1"]);
}

// ----- PUT -----

#[test]
fn put_creates_at_a_path_and_replaces() {
    let s = server();
    let r = req("PUT", "/compute/mine")
        .plain(&format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"first\"\nX-OCCI-Attribute: occi.compute.cores=2\n"))
        .send(&s);
    assert_eq!(r.status(), 201, "{}", r.text());
    assert_eq!(r.location(), "/compute/mine");
    req("GET", "/compute/mine")
        .send(&s)
        .expect(200, &["occi.core.title=\"first\""]);
    // Replace: what is left out goes.
    let r = req("PUT", "/compute/mine")
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"second\"\n"
        ))
        .send(&s);
    r.expect(200, &["occi.core.title=\"second\""]);
    assert!(!r.text().contains("occi.compute.cores"), "{}", r.text());
    // PUT under another Kind's location, or deeper, is refused.
    fails_unchanged(
        &s,
        req("PUT", "/network/mine").plain(&format!("{COMPUTE}\n")),
        400,
        &["created under /compute/"],
    );
    fails_unchanged(
        &s,
        req("PUT", "/compute/a/b").plain(&format!("{COMPUTE}\n")),
        400,
        &["created under /compute/"],
    );
    // Replacing with another Kind.
    fails_unchanged(
        &s,
        req("PUT", "/compute/mine").plain(&format!(
            "{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.0\n"
        )),
        400,
        &["kind"],
    );
}

#[test]
fn links_survive_a_put() {
    let s = server();
    let (c, _st, link) = linked(&s);
    let r = req("PUT", &c)
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"replaced\"\n"
        ))
        .send(&s);
    r.expect(
        200,
        &["occi.core.title=\"replaced\"", &format!("self=\"{link}\"")],
    );
    req("GET", &link).send(&s).expect(200, &[]);
}

#[test]
fn put_with_link_lines_is_refused_in_occi_1_1() {
    let s = server_of(OcciVersion::V1_1);
    let st = create_of(
        &s,
        "/storage/",
        &format!("{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.0"),
    );
    let c = create_compute(&s, "c");
    fails_unchanged(
        &s,
        req("PUT", &c).plain(&format!("{COMPUTE}\n{}\n", storagelink_line(&st))),
        400,
        &["Link", "OCCI 1.1"],
    );
}

// ----- partial update -----

#[test]
fn partial_update_changes_only_what_it_names() {
    let s = server();
    let r = req("POST", "/compute/")
        .plain(&format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"old\"\nX-OCCI-Attribute: occi.compute.cores=4\n"))
        .send(&s);
    let c = r.location();
    let r = req("POST", &c)
        .plain("X-OCCI-Attribute: occi.core.title=\"new\"\n")
        .send(&s);
    r.expect(200, &["occi.core.title=\"new\"", "occi.compute.cores=4"]);
    // text/occi headers and JSON.
    req("POST", &c)
        .header("content-type", "text/occi")
        .header("x-occi-attribute", "occi.compute.cores=8")
        .accept("text/occi")
        .send(&s)
        .expect(200, &["OK"]);
    req("POST", &c)
        .json(r#"{"kind":"http://schemas.ogf.org/occi/infrastructure#compute","attributes":{"occi.compute.hostname":"h"}}"#)
        .accept("application/occi+json")
        .send(&s)
        .expect(200, &["\"occi.compute.hostname\":\"h\"", "\"occi.compute.cores\":8", "\"title\":\"new\""]);
    // Adding a Mixin associates it.
    add_tag(&s);
    req("POST", &c)
        .plain(&format!("{TAG}\n"))
        .send(&s)
        .expect(200, &["Category: tag;", "occi.core.title=\"new\""]);
    assert_eq!(req("GET", "/tag/").send(&s).listed(), vec![c.clone()]);
    // Kind change is refused.
    fails_unchanged(
        &s,
        req("POST", &c).plain(&format!("{NETWORK}\n")),
        400,
        &["kind"],
    );
    fails_unchanged(
        &s,
        req("POST", &c).plain("X-OCCI-Attribute: occi.compute.state=\"active\"\n"),
        400,
        &["occi.compute.state"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/nothing").plain("X-OCCI-Attribute: occi.core.title=\"x\"\n"),
        404,
        &["/compute/nothing"],
    );
}

#[test]
fn a_template_is_replaced_by_another() {
    let s = server();
    let r = req("POST", "/compute/")
        .plain(&format!("{COMPUTE}\n{SMALL}\n"))
        .send(&s);
    let c = r.location();
    let r = req("POST", &c).plain(&format!("{MEDIUM}\n")).send(&s);
    r.expect(200, &["Category: medium;"]);
    assert!(!r.text().contains("Category: small;"), "{}", r.text());
}

#[test]
fn partial_update_adds_links() {
    let s = server();
    let c = create_compute(&s, "c");
    let st = storage(&s);
    req("POST", &c)
        .plain(&format!("{}\n", storagelink_line(&st)))
        .send(&s)
        .expect(200, &[&format!("Link: <{st}>"), "occi.core.title=\"c\""]);
    assert_eq!(req("GET", "/storagelink/").send(&s).listed().len(), 1);
}

// ----- delete -----

#[test]
fn delete_removes_owned_and_incoming_links() {
    let s = server();
    let (c, st, link) = linked(&s);
    // Deleting the target removes the incoming link.
    req("DELETE", &st).send(&s).expect(200, &[]);
    req("GET", &st).send(&s).expect(404, &[&st]);
    req("GET", &link).send(&s).expect(404, &[]);
    let r = req("GET", &c).send(&s);
    assert!(!r.text().contains("self="), "{}", r.text());
    // Deleting the source removes its links.
    let (c2, st2, link2) = linked(&s);
    req("DELETE", &c2).send(&s).expect(200, &[]);
    req("GET", &c2).send(&s).expect(404, &[]);
    req("GET", &link2).send(&s).expect(404, &[]);
    req("GET", &st2).send(&s).expect(200, &[]);
    fails_unchanged(&s, req("DELETE", &c2), 404, &[&c2]);
    fails_unchanged(
        &s,
        req("DELETE", "/compute/unknown"),
        404,
        &["/compute/unknown"],
    );
    // text/occi DELETE answers OK.
    req("DELETE", &c)
        .accept("text/occi")
        .send(&s)
        .expect(200, &["OK"]);
}

#[test]
fn deleting_a_link_updates_its_source() {
    let s = server();
    let (c, st, link) = linked(&s);
    req("DELETE", &link).send(&s).expect(200, &[]);
    let r = req("GET", &c).send(&s);
    assert!(!r.text().contains(&st), "{}", r.text());
    req("GET", &st).send(&s).expect(200, &[]);
}

#[test]
fn delete_root_is_not_allowed_and_deletes_nothing() {
    let s = server();
    create_compute(&s, "keep");
    let r = fails_unchanged(&s, req("DELETE", "/"), 405, &["DELETE"]);
    assert_eq!(r.header("allow").unwrap(), "GET, HEAD");
    assert_eq!(snapshot(&s).len(), 1);
}

#[test]
fn delete_on_a_kind_collection_deletes_members_or_the_listed_ones() {
    let s = server();
    let a = create_compute(&s, "a");
    let b = create_compute(&s, "b");
    let st = storage(&s);
    // Listed only (1.1 style).
    req("DELETE", "/compute/")
        .header("x-occi-location", &format!("http://occi.test{a}"))
        .send(&s)
        .expect(200, &[]);
    assert_eq!(req("GET", "/compute/").send(&s).listed(), vec![b.clone()]);
    // A listed location outside the collection: nothing deleted.
    fails_unchanged(
        &s,
        req("DELETE", "/compute/").header("x-occi-location", &format!("{b}, {st}")),
        404,
        &[&st, "not in this collection"],
    );
    req("DELETE", "/compute/").send(&s).expect(200, &[]);
    assert!(req("GET", "/compute/").send(&s).listed().is_empty());
    req("GET", &st).send(&s).expect(200, &[]);
}

#[test]
fn unbound_paths_list_and_delete_below() {
    let s = server();
    let c = create_compute(&s, "a");
    req("PUT", "/compute/x")
        .plain(&format!("{COMPUTE}\n"))
        .send(&s)
        .expect(201, &[]);
    let st = storage(&s);
    let r = req("GET", "/").send(&s);
    let mut listed = r.listed();
    listed.sort();
    let mut want = vec![c.clone(), "/compute/x".to_owned(), st.clone()];
    want.sort();
    assert_eq!(listed, want);
    // Nothing below an unbound path: nothing is served there (ERR-006, ENT-026).
    req("GET", "/nothing/here/")
        .send(&s)
        .expect(404, &["nothing is served at /nothing/here/"]);
    fails_unchanged(
        &s,
        req("DELETE", "/nothing/here/"),
        404,
        &["nothing is served"],
    );
    assert_eq!(snapshot(&s).len(), 3);
}

// ----- collections -----

#[test]
fn collections_list_in_every_rendering() {
    let s = server();
    let a = create_compute(&s, "a");
    let b = create_compute(&s, "b");
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    let plain = req("GET", "/compute/").send(&s);
    plain.expect(200, &[]);
    assert_eq!(plain.header("content-type").unwrap(), "text/plain");
    assert_eq!(plain.listed(), want);
    let uri = req("GET", "/compute/").accept("text/uri-list").send(&s);
    uri.expect(200, &[]);
    let lines: Vec<String> = uri
        .text()
        .lines()
        .map(|l| l.trim_start_matches("http://occi.test").to_owned())
        .collect();
    assert_eq!(lines, want);
    let occi = req("GET", "/compute/").accept("text/occi").send(&s);
    occi.expect(200, &["OK"]);
    let header = occi.headers_all("x-occi-location").join(",");
    assert!(header.contains(&a) && header.contains(&b), "{header}");
    let json = req("GET", "/compute/")
        .accept("application/occi+json")
        .send(&s);
    json.expect(
        200,
        &["\"resources\"", "\"title\":\"a\"", "\"title\":\"b\""],
    );
    // Empty collection.
    let empty = req("GET", "/network/").send(&s);
    assert_eq!(empty.status(), 200);
    assert!(empty.listed().is_empty());
}

#[test]
fn uri_list_is_only_for_listings() {
    let s = server();
    let c = create_compute(&s, "a");
    for target in ["/-/", c.as_str()] {
        let r = fails_unchanged(
            &s,
            req("GET", target).accept("text/uri-list"),
            400,
            &["uri-list", "listings"],
        );
        assert_eq!(
            r.header("content-type").unwrap(),
            "text/plain; charset=utf-8"
        );
    }
    // A create at a Kind collection may answer with the list of the new location.
    let r = req("POST", "/compute/")
        .plain(&format!("{COMPUTE}\n"))
        .accept("text/uri-list")
        .send(&s);
    r.expect(201, &[]);
    assert_eq!(r.text().trim(), r.header("location").unwrap());
    assert_eq!(r.header("content-type").unwrap(), "text/uri-list");
}

#[test]
fn collection_filters_combine_with_and() {
    let s = server();
    add_tag(&s);
    let a = create_compute(&s, "same");
    let b = create_compute(&s, "same");
    let _c = create_compute(&s, "other");
    req("POST", "/tag/")
        .plain(&format!("X-OCCI-Location: {a}\n"))
        .send(&s)
        .expect(200, &[]);
    let r = req("GET", "/compute/")
        .header("x-occi-attribute", "occi.core.title=\"same\"")
        .send(&s);
    let mut want = vec![a.clone(), b];
    want.sort();
    assert_eq!(r.listed(), want);
    let r = req("GET", "/compute/")
        .header("x-occi-attribute", "occi.core.title=\"same\"")
        .header(
            "category",
            r#"tag; scheme="http://example.com/tags#"; class="mixin""#,
        )
        .send(&s);
    assert_eq!(r.listed(), vec![a.clone()]);
    // Two attributes, both must match.
    let r = req("GET", "/compute/")
        .header(
            "x-occi-attribute",
            "occi.core.title=\"same\", occi.compute.state=\"inactive\"",
        )
        .send(&s);
    assert_eq!(r.listed().len(), 2);
    let r = req("GET", "/compute/")
        .header(
            "x-occi-attribute",
            "occi.core.title=\"same\", occi.compute.state=\"active\"",
        )
        .send(&s);
    assert!(r.listed().is_empty());
    // By Kind on the root.
    let r = req("GET", "/")
        .header("category", COMPUTE.trim_start_matches("Category: "))
        .send(&s);
    assert_eq!(r.listed().len(), 3);
    fails_unchanged(
        &s,
        req("GET", "/compute/").header(
            "category",
            r#"ghost; scheme="http://example.com/x#"; class="mixin""#,
        ),
        400,
        &["unknown category", "ghost"],
    );
    fails_unchanged(
        &s,
        req("GET", "/compute/").header("x-occi-attribute", "occi.core.title="),
        400,
        &["filter"],
    );
}

#[test]
fn pagination_is_one_based_and_bounded() {
    let s = server();
    let mut all: Vec<String> = (0..5).map(|i| create_compute(&s, &i.to_string())).collect();
    all.sort();
    let page = |q: &str| req("GET", &format!("/compute/?{q}")).send(&s);
    assert_eq!(page("page=1&number=2").listed(), all[0..2].to_vec());
    assert_eq!(page("page=2;number=2").listed(), all[2..4].to_vec());
    assert_eq!(page("page=3&number=2").listed(), all[4..5].to_vec());
    let past = page("page=4&number=2");
    assert_eq!(past.status(), 200);
    assert!(past.listed().is_empty());
    assert_eq!(page("page=1").listed(), all);
    assert_eq!(page("number=3").listed(), all[0..3].to_vec());
    page("number=51").expect(413, &["number=51", "50"]);
    page("number=50").expect(200, &[]);
    page("page=0&number=2").expect(400, &["numbered from 1"]);
    page("number=0").expect(400, &["at least 1"]);
    page("page=x").expect(400, &["page", "\"x\""]);
    page("page=1&page=2").expect(400, &["repeats"]);
    // JSON pages too.
    let json = req("GET", "/compute/?page=1&number=1")
        .accept("application/occi+json")
        .send(&s);
    assert_eq!(
        json.text().matches("\"kind\"").count(),
        1,
        "{}",
        json.text()
    );
}

#[test]
fn collection_actions_are_all_or_nothing() {
    let s = server();
    let a = create_compute(&s, "a");
    let b = create_compute(&s, "b");
    // Start one: the other is inactive; stop on all fails for the inactive one.
    req("POST", &format!("{a}?action=start"))
        .plain(START)
        .send(&s)
        .expect(200, &[]);
    let r = fails_unchanged(
        &s,
        req("POST", "/compute/?action=stop").plain(STOP),
        409,
        &["applied to no member", &b],
    );
    drop(r);
    req("GET", &a)
        .send(&s)
        .expect(200, &["occi.compute.state=\"active\""]);
    // Start on all fails too (a is active already).
    fails_unchanged(
        &s,
        req("POST", "/compute/?action=start").plain(START),
        409,
        &[&a],
    );
    req("POST", &format!("{b}?action=start"))
        .plain(START)
        .send(&s)
        .expect(200, &[]);
    req("POST", "/compute/?action=stop")
        .plain(STOP)
        .send(&s)
        .expect(200, &[]);
    for c in [&a, &b] {
        req("GET", c)
            .send(&s)
            .expect(200, &["occi.compute.state=\"inactive\""]);
    }
    // Text/occi answers OK.
    req("POST", "/compute/?action=start")
        .header("content-type", "text/occi")
        .header("category", START.trim_start_matches("Category: "))
        .accept("text/occi")
        .send(&s)
        .expect(200, &["OK"]);
    // An action the collection's Kind does not define.
    fails_unchanged(
        &s,
        req("POST", "/storage/?action=start").plain(START),
        400,
        &["does not define"],
    );
}

#[test]
fn collection_actions_on_a_mixin_collection() {
    let s = server();
    add_tag(&s);
    let a = create_compute(&s, "a");
    req("POST", "/tag/")
        .plain(&format!("X-OCCI-Location: {a}\n"))
        .send(&s)
        .expect(200, &[]);
    // The user Mixin defines no action.
    fails_unchanged(
        &s,
        req("POST", "/tag/?action=start").plain(START),
        400,
        &["does not define"],
    );
}

#[test]
fn mixin_membership_post_put_delete() {
    let s = server();
    add_tag(&s);
    let a = create_compute(&s, "a");
    let b = create_compute(&s, "b");
    let c = create_compute(&s, "c");
    req("POST", "/tag/")
        .plain(&format!(
            "X-OCCI-Location: {a}\nX-OCCI-Location: http://occi.test{b}\n"
        ))
        .send(&s)
        .expect(200, &[]);
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(req("GET", "/tag/").send(&s).listed(), want);
    // Replace with c only (uri-list body).
    req("PUT", "/tag/")
        .header("content-type", "text/uri-list")
        .body(&format!("http://occi.test{c}\n"))
        .send(&s)
        .expect(200, &[]);
    assert_eq!(req("GET", "/tag/").send(&s).listed(), vec![c.clone()]);
    // Entities stay when disassociated.
    req("GET", &a).send(&s).expect(200, &[]);
    // Associate through headers (text/occi) and JSON.
    req("POST", "/tag/")
        .header("content-type", "text/occi")
        .header("x-occi-location", &a)
        .send(&s)
        .expect(200, &[]);
    req("POST", "/tag/")
        .json(&format!("{{\"locations\":[\"{b}\"]}}"))
        .send(&s);
    // Disassociate.
    req("DELETE", "/tag/")
        .plain(&format!("X-OCCI-Location: {c}\n"))
        .send(&s)
        .expect(200, &[]);
    assert!(!req("GET", "/tag/").send(&s).listed().contains(&c));
    req("GET", &c)
        .send(&s)
        .expect(200, &["occi.core.title=\"c\""]);
    // Atomic: an unknown location changes nothing.
    for method in ["POST", "PUT", "DELETE"] {
        fails_unchanged(
            &s,
            req(method, "/tag/").plain(&format!(
                "X-OCCI-Location: {c}\nX-OCCI-Location: /compute/ghost\n"
            )),
            404,
            &["/compute/ghost"],
        );
    }
    fails_unchanged(
        &s,
        req("POST", "/tag/").plain(""),
        400,
        &["X-OCCI-Location"],
    );
    fails_unchanged(
        &s,
        req("DELETE", "/tag/").plain(""),
        400,
        &["X-OCCI-Location"],
    );
}

#[test]
fn mixin_membership_is_validated() {
    let s = server();
    let st = storage(&s);
    // A CRTP template applies to compute only (1.2: applies).
    let r = req("POST", "/resource_tpl/small/")
        .plain(&format!("X-OCCI-Location: {st}\n"))
        .send(&s);
    assert!(
        matches!(r.status(), 400 | 403),
        "{} {}",
        r.status(),
        r.text()
    );
    assert!(r.text().contains(&st), "{}", r.text());
}

// ----- actions -----

#[test]
fn actions_on_entities() {
    let s = server();
    let c = create_compute(&s, "c");
    req("POST", &format!("{c}?action=start"))
        .plain(START)
        .send(&s)
        .expect(200, &["occi.compute.state=\"active\""]);
    // Not applicable now.
    fails_unchanged(
        &s,
        req("POST", &format!("{c}?action=start")).plain(START),
        409,
        &["start", "active"],
    );
    // Mismatching Category.
    fails_unchanged(
        &s,
        req("POST", &format!("{c}?action=stop")).plain(START),
        400,
        &["stop", "start"],
    );
    // Empty body.
    fails_unchanged(
        &s,
        req("POST", &format!("{c}?action=stop")),
        400,
        &["must carry the Category"],
    );
    // An undefined action.
    fails_unchanged(
        &s,
        req("POST", &format!("{c}?action=fly"))
            .plain(r#"Category: fly; scheme="http://example.com/actions#"; class="action""#),
        400,
        &["fly"],
    );
    // An action of another Kind.
    fails_unchanged(
        &s,
        req("POST", &format!("{c}?action=online")).plain(
            r#"Category: online; scheme="http://schemas.ogf.org/occi/infrastructure/storage/action#"; class="action""#,
        ),
        400,
        &["online"],
    );
    // Unknown entity.
    fails_unchanged(
        &s,
        req("POST", "/compute/ghost?action=stop").plain(STOP),
        404,
        &["/compute/ghost"],
    );
    // GET with ?action.
    fails_unchanged(&s, req("GET", &format!("{c}?action=stop")), 400, &["POST"]);
    // With a parameter, in text/occi and JSON.
    req("POST", &format!("{c}?action=stop"))
        .header("content-type", "text/occi")
        .header("category", STOP.trim_start_matches("Category: "))
        .header("x-occi-attribute", "method=\"graceful\"")
        .accept("text/occi")
        .send(&s)
        .expect(200, &["OK"]);
    req("POST", &format!("{c}?action=start"))
        .json(r#"{"action":"http://schemas.ogf.org/occi/infrastructure/compute/action#start"}"#)
        .accept("application/occi+json")
        .send(&s)
        .expect(200, &["\"occi.compute.state\":\"active\""]);
    fails_unchanged(
        &s,
        req("POST", &format!("{c}?action=stop"))
            .plain(&format!("{STOP}\nX-OCCI-Attribute: method=\"sideways\"\n")),
        400,
        &["method"],
    );
}

#[test]
fn save_on_compute() {
    let s = server();
    let c = create_compute(&s, "c");
    // save applies to an active compute only.
    fails_unchanged(
        &s,
        req("POST", &format!("{c}?action=save")).plain(r#"Category: save; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action""#),
        409,
        &["save", "inactive"],
    );
    req("POST", &format!("{c}?action=start"))
        .plain(START)
        .send(&s)
        .expect(200, &[]);
    let r = req("POST", &format!("{c}?action=save"))
        .plain(r#"Category: save; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action""#)
        .send(&s);
    assert!(matches!(r.status(), 200), "{} {}", r.status(), r.text());
    req("GET", &c).send(&s).expect(200, &[]);
}

// ----- negotiation -----

#[test]
fn negotiation() {
    let s = server();
    let c = create_compute(&s, "c");
    let ct = |accept: Option<&str>| {
        let mut r = req("GET", &c);
        if let Some(a) = accept {
            r = r.accept(a);
        }
        let r = r.send(&s);
        assert_eq!(r.status(), 200, "{accept:?}: {}", r.text());
        r.header("content-type").unwrap()
    };
    assert_eq!(ct(None), "text/plain");
    assert_eq!(ct(Some("*/*")), "text/plain");
    assert_eq!(ct(Some("application/occi+json")), "application/occi+json");
    assert_eq!(
        ct(Some("text/plain;q=0.5, application/occi+json")),
        "application/occi+json"
    );
    assert_eq!(ct(Some("text/occi;q=0.9, text/plain;q=0.1")), "text/occi");
    assert_eq!(ct(Some("text/occi; charset=utf-8")), "text/occi");
    assert_eq!(
        ct(Some("text/*;q=0.5, application/json;q=0.4")),
        "text/plain"
    );
    let r = fails_unchanged(
        &s,
        req("GET", &c).accept("image/png"),
        406,
        &["text/plain", "application/occi+json"],
    );
    assert!(
        r.header("accept")
            .unwrap()
            .contains("application/occi+json")
    );
    fails_unchanged(
        &s,
        req("GET", &c).accept("application/occi+json;q=0"),
        406,
        &[],
    );
    fails_unchanged(
        &s,
        req("GET", &c).accept("text/plain;q=x"),
        400,
        &["Accept"],
    );
    // An unacceptable Accept is refused before anything changes.
    fails_unchanged(&s, req("DELETE", &c).accept("image/png"), 406, &[]);
    fails_unchanged(
        &s,
        req("POST", "/compute/")
            .header("content-type", "image/png")
            .body("x"),
        415,
        &["image/png", "supported"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/")
            .header("content-type", "text/plain; charset=latin1")
            .body(COMPUTE),
        415,
        &["charset"],
    );
    fails_unchanged(
        &s,
        req("POST", "/compute/").body(COMPUTE),
        400,
        &["Content-Type"],
    );
}

#[test]
fn occi_1_1_reads_a_body_without_content_type_as_text_plain() {
    let s = server_of(OcciVersion::V1_1);
    let r = req("POST", "/compute/")
        .body(&format!("{COMPUTE}\n"))
        .send(&s);
    r.expect(201, &[]);
    assert_eq!(r.header("server").unwrap(), "occi-rs/0.1.0 OCCI/1.1");
}

#[test]
fn methods_not_allowed_answer_405_with_allow() {
    let s = server();
    let c = create_compute(&s, "c");
    for (method, target, allow) in [
        ("PATCH", c.as_str(), "GET, HEAD, POST, PUT, DELETE"),
        ("PATCH", "/compute/", "GET, HEAD, POST, DELETE"),
        ("PUT", "/compute/", "GET, HEAD, POST, DELETE"),
        ("PUT", "/-/", "GET, HEAD, POST, DELETE"),
        ("OPTIONS", "/-/", "GET, HEAD, POST, DELETE"),
        ("POST", "/", "GET, HEAD"),
        ("PUT", "/vms/", "GET, HEAD, DELETE"),
    ] {
        let r = fails_unchanged(&s, req(method, target).plain(""), 405, &[method, "allowed"]);
        assert_eq!(
            r.header("allow").as_deref(),
            Some(allow),
            "{method} {target}"
        );
    }
    // POST ?action= on the query interface is not defined: not a Mixin addition.
    let r = fails_unchanged(
        &s,
        req("POST", "/-/?action=start").plain(START),
        405,
        &["no action", "query interface"],
    );
    assert_eq!(
        r.header("allow").as_deref(),
        Some("GET, HEAD, POST, DELETE")
    );
    fails_unchanged(
        &s,
        req("POST", "/.well-known/org/ogf/occi/-/?action=x").plain(TAG),
        405,
        &["no action"],
    );
    assert!(!req("GET", "/-/").send(&s).text().contains("Category: tag;"));
}

#[test]
fn head_has_no_body_and_the_get_length() {
    let s = server();
    let c = create_compute(&s, "c");
    for target in [c.as_str(), "/compute/", "/-/", "/compute/ghost"] {
        let get = req("GET", target).send(&s);
        let head = req("HEAD", target).send(&s);
        assert_eq!(head.status(), get.status(), "{target}");
        assert!(head.0.body().is_empty(), "{target}");
        assert_eq!(
            head.header("content-length").unwrap(),
            get.0.body().len().to_string(),
            "{target}"
        );
        assert_eq!(head.header("content-type"), get.header("content-type"));
    }
}

#[test]
fn every_response_has_one_content_length_and_the_server_header() {
    for (version, token) in [
        (OcciVersion::V1_2, "OCCI/1.2"),
        (OcciVersion::V1_1, "OCCI/1.1"),
    ] {
        let s = server_of(version);
        let c = create_compute(&s, "c");
        let requests = vec![
            req("GET", "/-/"),
            req("GET", &c),
            req("GET", "/compute/"),
            req("POST", "/compute/").plain(&format!("{COMPUTE}\n")),
            req("POST", "/compute/").plain("garbage"),
            req("GET", "/compute/ghost"),
            req("PATCH", &c),
            req("GET", &c).accept("image/png"),
            req("GET", &c).header("user-agent", "curl/8 OCCI/9.9"),
            req("GET", "/a/../b"),
            req("DELETE", "/"),
            req("POST", "/compute/")
                .header("content-type", "image/png")
                .body("x"),
            req("HEAD", &c),
            req("DELETE", &c),
        ];
        for r in requests {
            let r = r.send(&s);
            assert_eq!(r.headers_all("content-length").len(), 1, "{}", r.status());
            assert_eq!(r.headers_all("server").len(), 1);
            let server = r.header("server").unwrap();
            assert!(server.contains(token), "{server}");
            assert!(r.header("content-type").is_some() || r.0.body().is_empty());
        }
    }
}

#[test]
fn newer_clients_get_501() {
    let s = server();
    let r = fails_unchanged(
        &s,
        req("POST", "/compute/")
            .header("user-agent", "occi-client/1.0 OCCI/9.9")
            .plain(&format!("{COMPUTE}\n")),
        501,
        &["OCCI/9.9", "OCCI/1.2"],
    );
    assert!(r.header("server").unwrap().contains("OCCI/1.2"));
    req("GET", "/-/")
        .header("user-agent", "c OCCI/1.1")
        .send(&s)
        .expect(200, &[]);
    req("GET", "/-/")
        .header("user-agent", "c OCCI/1.2")
        .send(&s)
        .expect(200, &[]);
    let s11 = server_of(OcciVersion::V1_1);
    req("GET", "/-/")
        .header("user-agent", "c OCCI/1.2")
        .send(&s11)
        .expect(501, &["OCCI/1.1"]);
}

#[test]
fn limits_and_bad_paths() {
    let s = server();
    create_compute(&s, "c");
    let long = format!("/compute/{}", "a".repeat(9000));
    fails_unchanged(&s, req("GET", &long), 414, &["limit"]);
    let mut many = req("GET", "/-/");
    for i in 0..200 {
        many = many.header(&format!("x-h{i}"), "v");
    }
    fails_unchanged(&s, many, 431, &["header"]);
    for bad in ["/a/../b", "/a//b", "/compute/./x"] {
        fails_unchanged(&s, req("GET", bad), 400, &["path"]);
        fails_unchanged(&s, req("DELETE", bad), 400, &["path"]);
    }
    let big = "x".repeat((1 << 20) + 1);
    fails_unchanged(&s, req("POST", "/compute/").plain(&big), 413, &["limit"]);
}

#[test]
fn a_partial_update_may_add_a_link_to_the_entity_itself() {
    let s = server();
    let c = create_compute(&s, "c");
    let r = req("POST", &c)
        .plain(&format!(
            "Link: <{c}>; rel=\"http://schemas.ogf.org/occi/infrastructure#compute\"; category=\"http://schemas.ogf.org/occi/core#link\"\n"
        ))
        .send(&s);
    r.expect(200, &[&format!("Link: <{c}>"), "self=\"/link/"]);
    // Deleting the compute takes the self link along.
    req("DELETE", &c).send(&s).expect(200, &[]);
    assert!(snapshot(&s).is_empty());
}

#[test]
fn claimed_profiles_follow_the_occi_version_in_server() {
    let s = occi_server::Occi::builder()
        .registry(registry(OcciVersion::V1_2))
        .actions(occi_server::SimulatedActions)
        .claim_profile("OCCI-CRTP/1.1")
        .build()
        .unwrap();
    for r in [
        req("GET", "/-/").send(&s),
        req("GET", "/compute/404").send(&s),
    ] {
        let server = r.header("server").unwrap();
        assert!(server.ends_with(" OCCI/1.2 OCCI-CRTP/1.1"), "{server}");
    }
    let bad = occi_server::Occi::builder()
        .claim_profile("bad\ntoken")
        .build();
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("not a valid header value")
    );
}
