//! Serving PySSF's dialect (`Dialect::PySsf`), Kinds with open attributes, and create hooks
//! that name their entities: what Hurtle's components are built on.

use bytes::Bytes;
use http::{Request, Response};
use occi_server::occi_model::{
    AttributeDefinition, AttributeName, AttributeType, CategoryId, Entity, EntityId, Kind,
    Location, OcciVersion, Registry,
};
use occi_server::{Backend, BackendError, Dialect, Hook, InMemoryStore, Occi};

const SCHEME: &str = "http://example.com/occi/svc#";
const KIND: &str = r#"svc; scheme="http://example.com/occi/svc#""#;

fn svc() -> CategoryId {
    format!("{SCHEME}svc").parse().unwrap()
}

/// A service Kind `svc` at `/svc/` with one declared attribute, its attributes open.
fn registry(open: bool) -> Registry {
    let mut registry = Registry::new(OcciVersion::V1_1);
    registry
        .register_kind(
            Kind::new(svc())
                .with_title("A service")
                .with_parent(occi_server::occi_model::ext::core::resource_id())
                .with_location(Location::new("/svc/").unwrap())
                .with_attribute(
                    AttributeDefinition::new(
                        AttributeName::new("svc.size").unwrap(),
                        AttributeType::Integer,
                    )
                    .immutable(),
                ),
        )
        .unwrap();
    if open {
        registry.open_attributes(&svc()).unwrap();
    }
    registry
}

/// Names each new `svc` after its `svc.name` attribute, when it has one.
struct Naming;

impl Backend for Naming {
    async fn create(&self, _: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        let name = entity
            .attributes()
            .get("svc.name")
            .and_then(|v| v.as_str().map(str::to_owned));
        if let (Some(name), Entity::Resource(r)) = (name, entity) {
            r.id = Some(EntityId::new(&name).unwrap());
        }
        Ok(())
    }
}

fn server(dialect: Dialect, open: bool) -> Occi<InMemoryStore> {
    Occi::builder()
        .registry(registry(open))
        .dialect(dialect)
        .backend(svc(), Naming)
        .build()
        .unwrap()
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the in-memory server is always ready"),
    }
}

fn send(server: &Occi<InMemoryStore>, request: http::request::Builder) -> Response<Bytes> {
    block(
        server.handle(
            request
                .header("host", "sm.test:8080")
                .body(Bytes::new())
                .unwrap(),
        ),
    )
}

fn text(r: &Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

fn header(r: &Response<Bytes>, name: &str) -> String {
    r.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

fn create(server: &Occi<InMemoryStore>, attributes: &str) -> Response<Bytes> {
    send(
        server,
        Request::post("/svc/")
            .header("content-type", "text/occi")
            .header("category", KIND)
            .header("x-occi-attribute", attributes),
    )
}

#[test]
fn an_open_kind_keeps_undeclared_attributes_and_checks_declared_ones() {
    let closed = server(Dialect::Occi, false);
    let refused = create(&closed, "activate.integer=1");
    assert_eq!(refused.status(), 400, "{}", text(&refused));
    assert!(
        text(&refused).contains("activate.integer"),
        "{}",
        text(&refused)
    );

    let open = server(Dialect::Occi, true);
    let created = create(&open, "activate.integer=1, any.name=\"x\"");
    assert_eq!(created.status(), 201, "{}", text(&created));
    let location = header(&created, "location");
    let got = send(&open, Request::get(&location).header("accept", "text/occi"));
    let attributes = header(&got, "x-occi-attribute");
    assert!(attributes.contains("activate.integer=1"), "{attributes}");
    assert!(attributes.contains("any.name=\"x\""), "{attributes}");
    // Declared attributes keep their rules: svc.size is the server's.
    assert_eq!(create(&open, "svc.size=3").status(), 400);
    // A partial update keeps what it does not name and adds what it does.
    let updated = send(
        &open,
        Request::post(&location)
            .header("content-type", "text/occi")
            .header("x-occi-attribute", "later.added=\"y\""),
    );
    assert_eq!(updated.status(), 200, "{}", text(&updated));
    let got = send(&open, Request::get(&location).header("accept", "text/occi"));
    let attributes = header(&got, "x-occi-attribute");
    assert!(
        attributes.contains("any.name=\"x\"") && attributes.contains("later.added=\"y\""),
        "{attributes}"
    );
}

#[test]
fn a_create_hook_names_the_entity_it_creates() {
    let server = server(Dialect::Occi, true);
    let created = create(&server, "svc.name=\"alpha\"");
    assert_eq!(created.status(), 201, "{}", text(&created));
    assert_eq!(
        header(&created, "location"),
        "http://sm.test:8080/svc/alpha"
    );
    let got = send(
        &server,
        Request::get("/svc/alpha").header("accept", "text/occi"),
    );
    assert_eq!(got.status(), 200);
    assert!(header(&got, "x-occi-attribute").contains("occi.core.id=\"alpha\""));
    // The name is taken: 409, and nothing more is stored.
    assert_eq!(create(&server, "svc.name=\"alpha\"").status(), 409);
    let listing = send(
        &server,
        Request::get("/svc/").header("accept", "text/uri-list"),
    );
    assert_eq!(text(&listing).lines().count(), 1, "{}", text(&listing));
    // A client that puts the entity where the service would not name it: 400.
    let put = send(
        &server,
        Request::put("/svc/beta")
            .header("content-type", "text/occi")
            .header("category", KIND)
            .header("x-occi-attribute", "svc.name=\"gamma\""),
    );
    assert_eq!(put.status(), 400, "{}", text(&put));
    assert_eq!(
        send(&server, Request::get("/svc/beta")).status(),
        404,
        "nothing was stored"
    );
    // Where the names agree, PUT creates there.
    let put = send(
        &server,
        Request::put("/svc/delta")
            .header("content-type", "text/occi")
            .header("category", KIND)
            .header("x-occi-attribute", "svc.name=\"delta\""),
    );
    assert_eq!(put.status(), 201, "{}", text(&put));
}

#[test]
fn the_pyssf_dialect_answers_as_pyssf_did() {
    let server = server(Dialect::PySsf, true);
    // The query interface: the service's Kind first, absolute locations in text, relative
    // ones in PySSF's JSON.
    let qi = send(&server, Request::get("/-/").header("accept", "text/occi"));
    let categories = header(&qi, "category");
    assert!(
        categories.starts_with("svc; scheme=\"http://example.com/occi/svc#\"; class=\"kind\""),
        "{categories}"
    );
    assert!(
        categories.contains("location=\"http://sm.test:8080/svc/\""),
        "{categories}"
    );
    let qi = send(
        &server,
        Request::get("/-/").header("accept", "application/occi+json"),
    );
    let json: serde_json::Value = serde_json::from_slice(qi.body()).unwrap();
    assert_eq!(json[0]["term"], "svc");
    assert_eq!(json[0]["location"], "/svc/");

    // An empty listing in JSON is a bare array; a create answers OK.
    let empty = send(
        &server,
        Request::get("/svc/").header("accept", "application/occi+json"),
    );
    assert_eq!(text(&empty), "[]");
    let created = send(
        &server,
        Request::post("/svc/")
            .header("accept", "application/occi+json")
            .header("content-type", "text/occi")
            .header("category", KIND)
            .header("x-occi-attribute", "svc.name=\"one\", k=\"v\""),
    );
    assert_eq!(created.status(), 201);
    assert_eq!(text(&created), "OK");

    // An entity in PySSF's JSON: kind, attributes, actions, links, mixins.
    let got = send(
        &server,
        Request::get("/svc/one").header("accept", "application/occi+json"),
    );
    let json: serde_json::Value = serde_json::from_slice(got.body()).unwrap();
    assert_eq!(json["kind"]["term"], "svc", "{json}");
    assert_eq!(json["attributes"]["k"], "v", "{json}");
    assert!(
        json["links"].is_array() && json["mixins"].is_array(),
        "{json}"
    );
    let listing = send(
        &server,
        Request::get("/svc/").header("accept", "application/occi+json"),
    );
    let json: serde_json::Value = serde_json::from_slice(listing.body()).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(1), "{json}");

    // Errors are plain text whatever the client accepts; a delete answers OK.
    let missing = send(
        &server,
        Request::get("/svc/none").header("accept", "application/occi+json"),
    );
    assert_eq!(missing.status(), 404);
    assert!(header(&missing, "content-type").starts_with("text/plain"));
    let deleted = send(&server, Request::delete("/svc/one"));
    assert_eq!(deleted.status(), 200);
    assert_eq!(text(&deleted), "OK");

    // The OCCI dialect keeps GFD.225's JSON for the same server.
    let occi = server_with_entity(Dialect::Occi);
    let got = send(
        &occi,
        Request::get("/svc/one").header("accept", "application/occi+json"),
    );
    let json: serde_json::Value = serde_json::from_slice(got.body()).unwrap();
    assert_eq!(json["kind"], format!("{SCHEME}svc"), "{json}");
}

fn server_with_entity(dialect: Dialect) -> Occi<InMemoryStore> {
    let server = server(dialect, true);
    assert_eq!(create(&server, "svc.name=\"one\"").status(), 201);
    server
}
