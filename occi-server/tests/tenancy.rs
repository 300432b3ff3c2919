//! Tenant scoping: every entity belongs to the tenant of the identity that created it, and no
//! read, list, filter, link, Mixin association or action crosses tenants. Another tenant's
//! entity is 404, as if it did not exist.

mod common;

use common::*;
use occi_server::Identity;

const TAG: &str =
    r#"Category: tag; scheme="http://example.com/tags#"; class="mixin"; location="/tag/""#;

fn acme() -> Identity {
    Identity::new("alice", "acme")
}

fn globex() -> Identity {
    Identity::new("bob", "globex")
}

/// Sends `request` as `who` (`None`: unauthenticated, as on an open server).
fn send_as(s: &Server, who: Option<Identity>, request: Req) -> Resp {
    let mut request = request.build();
    if let Some(who) = who {
        request.extensions_mut().insert(who);
    }
    Resp(block(s.handle(request)))
}

/// Asserts that `request`, sent as `who`, fails with `status` and changes nothing.
#[track_caller]
fn refused_as(s: &Server, who: Identity, request: Req, status: u16, needles: &[&str]) {
    let before = snapshot(s);
    send_as(s, Some(who), request).expect(status, needles);
    assert_eq!(snapshot(s), before, "a refused request changed the store");
}

fn create_as(s: &Server, who: Identity, collection: &str, body: &str) -> String {
    let r = send_as(s, Some(who), req("POST", collection).plain(body));
    assert_eq!(r.status(), 201, "{}", r.text());
    r.location()
}

fn compute(title: &str) -> String {
    format!("{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"{title}\"\n")
}

fn storage() -> String {
    format!("{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.5\n")
}

fn link(source: &str, target: &str) -> String {
    format!(
        "Category: storagelink; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.core.source=\"{source}\"\nX-OCCI-Attribute: occi.core.target=\"{target}\"\nX-OCCI-Attribute: occi.storagelink.deviceid=\"vdb\"\n"
    )
}

#[test]
#[allow(clippy::too_many_lines)] // one scenario, every operation in turn
fn no_operation_crosses_tenants() {
    let s = server();
    send_as(&s, Some(acme()), req("POST", "/-/").plain(TAG)).expect(200, &[]);
    let vm_a = create_as(&s, acme(), "/compute/", &compute("acme-vm"));
    let st_a = create_as(&s, acme(), "/storage/", &storage());
    let vm_b = create_as(&s, globex(), "/compute/", &compute("globex-vm"));
    send_as(
        &s,
        Some(acme()),
        req("POST", "/tag/").header("x-occi-location", &format!("http://occi.test{vm_a}")),
    )
    .expect(200, &[]);

    // Every entity records its owner.
    for stored in snapshot(&s) {
        let path = stored.entity.location().unwrap().to_string();
        let owner = if path == vm_b { "globex" } else { "acme" };
        assert_eq!(stored.tenant.as_deref(), Some(owner), "{path}");
    }

    // Reads: another tenant's entity does not exist.
    send_as(&s, Some(acme()), req("GET", &vm_a)).expect(200, &["acme-vm"]);
    send_as(&s, Some(globex()), req("GET", &vm_a)).expect(404, &["no entity"]);
    send_as(&s, None, req("GET", &vm_a)).expect(404, &["no entity"]);

    // Listings, filtered or not, by Kind, by Mixin and by path.
    for target in ["/compute/", "/resource/", "/", "/tag/"] {
        let listed = send_as(&s, Some(globex()), req("GET", target)).listed();
        assert!(
            !listed.contains(&vm_a),
            "{target} shows acme's vm to globex"
        );
        assert!(
            !listed.contains(&st_a),
            "{target} shows acme's storage to globex"
        );
    }
    assert_eq!(
        send_as(&s, Some(globex()), req("GET", "/compute/")).listed(),
        vec![vm_b.clone()]
    );
    assert_eq!(
        send_as(&s, Some(acme()), req("GET", "/tag/")).listed(),
        vec![vm_a.clone()]
    );
    assert!(
        send_as(&s, None, req("GET", "/compute/"))
            .listed()
            .is_empty()
    );
    let filtered = send_as(
        &s,
        Some(globex()),
        req("GET", "/compute/")
            .header("content-type", "text/occi")
            .header("x-occi-attribute", "occi.core.title=\"acme-vm\""),
    );
    filtered.expect(200, &[]);
    assert!(filtered.listed().is_empty());

    // Writes to another tenant's entity: 404, nothing changes.
    refused_as(
        &s,
        globex(),
        req("POST", &vm_a).plain(&compute("taken-over")),
        404,
        &["no entity"],
    );
    refused_as(
        &s,
        globex(),
        req("PUT", &vm_a).plain(&compute("taken-over")),
        404,
        &["no entity"],
    );
    refused_as(&s, globex(), req("DELETE", &vm_a), 404, &["no entity"]);
    refused_as(
        &s,
        globex(),
        req("POST", &format!("{vm_a}?action=start")).plain(&format!("{START}\n")),
        404,
        &["no entity"],
    );

    // Links: another tenant's resource is no endpoint.
    refused_as(
        &s,
        globex(),
        req("POST", "/storagelink/").plain(&link(&vm_b, &st_a)),
        400,
        &[&st_a],
    );
    refused_as(
        &s,
        globex(),
        req("POST", "/storagelink/").plain(&link(&vm_a, &st_a)),
        400,
        &[],
    );

    // Mixin association: acme's Mixin is acme's alone (403 for globex, whatever it names);
    // replacing the membership leaves other tenants' members alone.
    refused_as(
        &s,
        globex(),
        req("POST", "/tag/").header("x-occi-location", &format!("http://occi.test{vm_a}")),
        403,
        &["another tenant"],
    );
    refused_as(
        &s,
        globex(),
        req("PUT", "/tag/").header("x-occi-location", &format!("http://occi.test{vm_b}")),
        403,
        &["another tenant"],
    );
    send_as(
        &s,
        Some(globex()),
        req("POST", "/-/").plain(
            r#"Category: label; scheme="http://example.com/tags#"; class="mixin"; location="/label/""#,
        ),
    )
    .expect(200, &[]);
    refused_as(
        &s,
        globex(),
        req("POST", "/label/").header("x-occi-location", &format!("http://occi.test{vm_a}")),
        404,
        &["no entity"],
    );
    send_as(
        &s,
        Some(globex()),
        req("PUT", "/label/").header("x-occi-location", &format!("http://occi.test{vm_b}")),
    )
    .expect(200, &[]);
    assert_eq!(
        send_as(&s, Some(acme()), req("GET", "/tag/")).listed(),
        vec![vm_a.clone()]
    );
    assert_eq!(
        send_as(&s, Some(globex()), req("GET", "/label/")).listed(),
        vec![vm_b.clone()]
    );
    assert!(
        send_as(&s, Some(globex()), req("GET", "/tag/"))
            .listed()
            .is_empty()
    );

    // Collection actions and deletes act on the caller's members only.
    send_as(
        &s,
        Some(globex()),
        req("POST", "/compute/?action=start").plain(&format!("{START}\n")),
    )
    .expect(200, &[]);
    send_as(&s, Some(globex()), req("GET", &vm_b)).expect(200, &["state=\"active\""]);
    send_as(&s, Some(acme()), req("GET", &vm_a)).expect(200, &["state=\"inactive\""]);
    send_as(&s, Some(globex()), req("DELETE", "/compute/")).expect(200, &[]);
    send_as(&s, Some(globex()), req("GET", &vm_b)).expect(404, &[]);
    send_as(&s, Some(acme()), req("GET", &vm_a)).expect(200, &["acme-vm"]);

    // A tenant's own link works, and shows on its own resource only.
    let link_a = create_as(&s, acme(), "/storagelink/", &link(&vm_a, &st_a));
    send_as(&s, Some(acme()), req("GET", &vm_a)).expect(200, &[&link_a]);
    send_as(&s, Some(globex()), req("GET", &link_a)).expect(404, &[]);
}

#[test]
fn a_user_mixin_is_its_tenants_to_use_and_remove() {
    let s = server();
    send_as(&s, Some(acme()), req("POST", "/-/").plain(TAG)).expect(200, &[]);
    let vm_a = create_as(&s, acme(), "/compute/", &compute("acme-vm"));
    let vm_b = create_as(&s, globex(), "/compute/", &compute("globex-vm"));
    let tagged = format!("{}\n{TAG}\n", compute("x").trim_end());
    // globex can neither create, update nor replace an entity with acme's Mixin…
    refused_as(
        &s,
        globex(),
        req("POST", "/compute/").plain(&tagged),
        403,
        &["another tenant"],
    );
    refused_as(
        &s,
        globex(),
        req("POST", &vm_b).plain(&format!("{TAG}\n")),
        403,
        &["another tenant"],
    );
    refused_as(
        &s,
        globex(),
        req("PUT", &vm_b).plain(&tagged),
        403,
        &["another tenant"],
    );
    // …nor remove the Mixin.
    refused_as(
        &s,
        globex(),
        req("DELETE", "/-/").plain(TAG),
        403,
        &["another tenant"],
    );
    // acme uses it, and removes it.
    send_as(
        &s,
        Some(acme()),
        req("POST", &vm_a).plain(&format!("{TAG}\n")),
    )
    .expect(200, &[]);
    send_as(&s, Some(acme()), req("GET", &vm_a)).expect(200, &["class=\"mixin\""]);
    send_as(&s, Some(acme()), req("DELETE", "/-/").plain(TAG)).expect(200, &[]);
    send_as(&s, Some(acme()), req("GET", "/-/")).expect(200, &[]);
    assert!(
        !send_as(&s, Some(acme()), req("GET", "/-/"))
            .text()
            .contains("tags#")
    );
}

#[test]
fn a_proposed_id_reveals_nothing_of_other_tenants() {
    let s = server();
    let with_id = |id: &str| format!("{}X-OCCI-Attribute: occi.core.id=\"{id}\"\n", compute("p"));
    let vm_a = create_as(&s, acme(), "/compute/", &with_id("vm-1"));
    assert_eq!(vm_a, "/compute/vm-1");
    // The caller's own id: 409, as before.
    refused_as(
        &s,
        acme(),
        req("POST", "/compute/").plain(&with_id("vm-1")),
        409,
        &["exists already"],
    );
    // Another tenant's: not honoured, and no 409: a server-made id at its own location.
    let r = send_as(
        &s,
        Some(globex()),
        req("POST", "/compute/").plain(&with_id("vm-1")),
    );
    assert_eq!(r.status(), 201, "{}", r.text());
    let vm_b = r.location();
    assert_ne!(vm_b, vm_a);
    assert!(vm_b.starts_with("/compute/"), "{vm_b}");
    send_as(&s, Some(globex()), req("GET", &vm_b)).expect(200, &["urn:uuid:"]);
    send_as(&s, Some(acme()), req("GET", &vm_a)).expect(200, &["occi.core.id=\"vm-1\""]);
    // PUT of a new path with an id another tenant holds elsewhere: the id is not given.
    let storage_with_id = format!("{}X-OCCI-Attribute: occi.core.id=\"disk-1\"\n", storage());
    create_as(&s, acme(), "/storage/", &storage_with_id);
    let r = send_as(
        &s,
        Some(globex()),
        req("PUT", "/compute/disk-1").plain(&with_id("disk-1")),
    );
    assert_eq!(r.status(), 201, "{}", r.text());
    send_as(&s, Some(globex()), req("GET", "/compute/disk-1")).expect(200, &["urn:uuid:"]);
    // The same PUT by the id's owner is a conflict.
    let storage_with_id = format!("{}X-OCCI-Attribute: occi.core.id=\"disk-3\"\n", storage());
    create_as(&s, acme(), "/storage/", &storage_with_id);
    refused_as(
        &s,
        acme(),
        req("PUT", "/compute/disk-3").plain(&with_id("disk-3")),
        409,
        &["exists already"],
    );
}
