//! The client against recorded PySSF 0.4.7 and Hurtle responses (spec/hurtle.md §1 and
//! Appendix A) served raw on loopback, and against transport misbehaviour: timeouts,
//! retries, proxies, conditional requests.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Fixture, Reply, Seen, http, pyssf};
use futures_util::TryStreamExt as _;
use http::StatusCode;
use occi_client::{Auth, Client, Dialect, ErrorKind, Format, HttpTransport, ListOptions};
use occi_model::{
    ActionInvocation, AttributeValue, CategoryId, Entity, Location, OcciVersion, Resource,
};
use occi_render::DeviationKind;
use occi_render::media::MediaType;

const SM_SCHEME: &str = "http://schemas.mobile-cloud-networking.eu/occi/sm#";
const APP: &str = "sosampf1cd835fba84d318";

fn loc(s: &str) -> Location {
    Location::new(s).unwrap()
}

fn sample_so() -> CategoryId {
    format!("{SM_SCHEME}sample_so").parse().unwrap()
}

/// The SM's query interface as observed (hurtle.md §1.3): one `Category` field, absolute
/// locations, `core#resource` never listed.
fn sm_query_interface(address: SocketAddr) -> String {
    format!(
        "link; scheme=\"http://schemas.ogf.org/occi/core#\"; class=\"kind\"; location=\"http://{address}/link/\", \
         sample_so; scheme=\"{SM_SCHEME}\"; class=\"kind\"; title=\"Test sample service\"; \
         rel=\"http://schemas.ogf.org/occi/core#resource\"; location=\"http://{address}/sample_so/\"; \
         attributes=\"mcn.endpoint.p3{{immutable}} mcn.endpoint.p4{{immutable}}\""
    )
}

/// A Hurtle SM on PySSF: every answer as recorded.
fn hurtle_sm(request: &Seen, address: SocketAddr) -> Reply {
    let instance = format!("http://{address}/sample_so/{APP}");
    if request.header("x-auth-token").is_none() || request.header("x-tenant-name").is_none() {
        // hurtle.md §1.2: the auth error escapes PySSF's handling.
        return Reply::Raw(
            "HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 59\r\n\r\n\
             A server error occurred.  Please contact the administrator."
                .into(),
        );
    }
    match (request.method.as_str(), request.target.as_str()) {
        ("GET", "/-/") => pyssf(
            "200 OK",
            &[
                ("Content-Type", "text/occi"),
                ("Category", &sm_query_interface(address)),
            ],
            "OK",
        ),
        ("POST", "/sample_so/") => pyssf(
            "201 Created",
            &[("Content-Type", "text/occi"), ("Location", &instance)],
            "OK",
        ),
        ("GET", "/sample_so/") => pyssf(
            "200 OK",
            &[
                ("Content-Type", "text/occi"),
                (
                    "X-OCCI-Location",
                    &format!("{instance}, http://{address}/sample_so/so2"),
                ),
            ],
            "OK",
        ),
        ("GET", t) if t == format!("/sample_so/{APP}") => pyssf(
            "200 OK",
            &[
                ("Content-Type", "text/occi"),
                (
                    "Category",
                    &format!("sample_so; scheme=\"{SM_SCHEME}\"; class=\"kind\""),
                ),
                (
                    "X-OCCI-Attribute",
                    &format!(
                        "mcn.service.state=\"provision\", occi.core.id=\"{APP}\", \
                         occi.mcn.stack.state=\"UPDATE_COMPLETE\", \
                         occi.so.url=\"http://127.0.0.1:27888/app/{APP}\", replicas=\"2\""
                    ),
                ),
            ],
            "OK",
        ),
        ("POST", t) if t == format!("/sample_so/{APP}") => pyssf("200 OK", &[], "OK"),
        ("DELETE", t) if t == format!("/sample_so/{APP}") => pyssf("200 OK", &[], "OK"),
        ("PUT", "/sample_so/chosen") => pyssf("200 OK", &[("Content-Type", "text/occi")], "OK"),
        // hurtle.md §1.4: an unknown instance is 405, not 404.
        ("GET", _) => pyssf("405 Method Not Allowed", &[], "Method not supported."),
        _ => pyssf("400 Bad Request", &[], "Could not find a valid kind."),
    }
}

fn sm_client(fixture: &Fixture) -> Client {
    Client::builder(&fixture.url())
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .auth(Auth::keystone("a-token", "demo"))
        .build()
}

#[tokio::test]
async fn hurtle_sm_discovery_reads_an_incomplete_query_interface() {
    let fixture = Fixture::start(hurtle_sm).await;
    let client = sm_client(&fixture);
    let model = client.discover().await.unwrap();
    assert_eq!(
        model.format,
        Format {
            media_type: MediaType::TextOcci,
            dialect: Dialect::PySsf
        }
    );
    assert_eq!(model.version, OcciVersion::V1_1);
    let kind = model.registry.kind(&sample_so()).expect("the service kind");
    assert_eq!(kind.location, Some(loc("/sample_so/")));
    assert_eq!(kind.attributes.len(), 2);
    assert!(!kind.attributes[0].mutable);
    // Strict mode refuses nothing here: the QI is complete enough (core#resource is a core Kind).
    let strict = Client::builder(&fixture.url())
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .auth(Auth::keystone("a-token", "demo"))
        .strict(true)
        .build();
    strict.discover().await.unwrap();
    // Both auth headers went out on every request.
    for request in fixture.requests() {
        assert_eq!(request.header("x-auth-token"), Some("a-token"));
        assert_eq!(request.header("x-tenant-name"), Some("demo"));
    }
}

#[tokio::test]
async fn hurtle_sm_instance_lifecycle() {
    let fixture = Fixture::start(hurtle_sm).await;
    let client = sm_client(&fixture);

    // Create: 201 + absolute Location + `OK`, duplicate Content-Length.
    let created = client
        .create(&Entity::Resource(Resource::new(sample_so())))
        .await
        .unwrap();
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.value, loc(&format!("/sample_so/{APP}")));
    let post = fixture
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(post.header("content-type"), Some("text/occi"));
    assert_eq!(
        post.header("category"),
        Some(format!("sample_so; scheme=\"{SM_SCHEME}\"; class=\"kind\"").as_str())
    );

    // Read: every value quoted, `OK` body; values stay strings (PySSF types nothing).
    let instance = client.get(&created).await.unwrap();
    assert_eq!(
        instance.attribute_value("mcn.service.state"),
        Some("provision".into())
    );
    assert_eq!(instance.attribute_value("replicas"), Some("2".into()));
    assert_eq!(instance.id().map(occi_model::EntityId::as_str), Some(APP));
    assert_eq!(instance.location(), Some(&created.value));

    // List: one X-OCCI-Location field, absolute URLs joined by ", ".
    let listed: Vec<Location> = client
        .list(&loc("/sample_so/"), ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, [created.value.clone(), loc("/sample_so/so2")]);

    // Update: attributes only, as the SM expects (no Category).
    client
        .update_attributes(
            &created,
            vec![("mcn.endpoint.p3".parse().unwrap(), "x".into())],
        )
        .await
        .unwrap();
    let update = fixture
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(update.header("category"), None);
    assert_eq!(
        update.header("x-occi-attribute"),
        Some("mcn.endpoint.p3=\"x\"")
    );

    // PUT that creates answers 200 (not 201) and no Location.
    let chosen = client
        .create_at(
            &loc("/sample_so/chosen"),
            &Entity::Resource(Resource::new(sample_so())),
        )
        .await
        .unwrap();
    assert_eq!(chosen.status, StatusCode::OK);
    assert_eq!(chosen.value, loc("/sample_so/chosen"));

    // Delete: 200 `OK`.
    client.delete(&created).await.unwrap();

    // An unknown instance: 405 with PySSF's message.
    let error = client.get(&loc("/sample_so/nope")).await.unwrap_err();
    assert_eq!(error.http_status(), Some(StatusCode::METHOD_NOT_ALLOWED));
    assert_eq!(error.message(), "Method not supported.");
}

#[tokio::test]
async fn hurtle_sm_auth_failure_is_a_status_error_with_the_wsgi_message() {
    let fixture = Fixture::start(hurtle_sm).await;
    let client = Client::builder(&fixture.url())
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .build();
    let error = client.discover().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.http_status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert!(error.message().starts_with("A server error occurred."));
}

/// A Hurtle SO (hurtle.md §2): `/orchestrator/default`, actions by `?action=`, the 403
/// without any Content-Length.
fn hurtle_so(request: &Seen, _: SocketAddr) -> Reply {
    const SERVICE: &str = "http://schemas.mobile-cloud-networking.eu/occi/service#";
    match (request.method.as_str(), request.target.as_str()) {
        ("GET", "/-/") => pyssf(
            "200 OK",
            &[
                ("Content-Type", "text/occi"),
                (
                    "Category",
                    &format!(
                        "orchestrator; scheme=\"{SERVICE}\"; class=\"kind\"; rel=\"http://schemas.ogf.org/occi/core#resource\"; \
                         location=\"/orchestrator/\"; actions=\"{SERVICE}deploy {SERVICE}provision\", \
                         deploy; scheme=\"{SERVICE}\"; class=\"action\", provision; scheme=\"{SERVICE}\"; class=\"action\""
                    ),
                ),
            ],
            "OK",
        ),
        ("POST", "/orchestrator/default?action=deploy") => pyssf(
            "200 OK",
            &[
                ("Content-Type", "text/occi"),
                (
                    "Category",
                    &format!("orchestrator; scheme=\"{SERVICE}\"; class=\"kind\""),
                ),
                (
                    "Link",
                    &format!(
                        "</orchestrator/default?action=provision>; rel=\"{SERVICE}provision\""
                    ),
                ),
                (
                    "X-OCCI-Attribute",
                    "occi.core.id=\"/orchestrator/default\", occi.mcn.stack.state=\"CREATE_IN_PROGRESS\"",
                ),
            ],
            "OK",
        ),
        ("POST", "/orchestrator/default?action=provision") => Reply::Raw(
            "HTTP/1.0 403 Forbidden\r\nServer: pyssf OCCI/1.1\r\n\r\nNot allowed now.".into(),
        ),
        _ => pyssf("404 Not Found", &[], "Resource not found."),
    }
}

#[tokio::test]
async fn hurtle_so_actions() {
    let fixture = Fixture::start(hurtle_so).await;
    let client = sm_client(&fixture);
    let model = client.discover().await.unwrap();
    let deploy: CategoryId = "http://schemas.mobile-cloud-networking.eu/occi/service#deploy"
        .parse()
        .unwrap();
    assert!(model.registry.action(&deploy).is_some());
    let so = loc("/orchestrator/default");
    let reply = client
        .trigger(&so, &ActionInvocation::new(deploy.clone()))
        .await
        .unwrap();
    let entity = reply.value.expect("the SO renders the entity");
    assert_eq!(
        entity.id().map(occi_model::EntityId::as_str),
        Some("/orchestrator/default")
    );
    assert_eq!(entity.location(), Some(&so));
    let sent = fixture
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        sent.header("category"),
        Some(
            "deploy; scheme=\"http://schemas.mobile-cloud-networking.eu/occi/service#\"; class=\"action\""
        )
    );
    // The 403 without Content-Length: read to the end of the connection.
    let provision: CategoryId = "http://schemas.mobile-cloud-networking.eu/occi/service#provision"
        .parse()
        .unwrap();
    let error = client
        .trigger(&so, &ActionInvocation::new(provision))
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(error.message(), "Not allowed now.");
}

/// PySSF's JSON (`json_rendering.py`): the query interface as an array, `muttable`, string
/// values, entities without `id` outside `attributes`.
fn pyssf_json(request: &Seen, _: SocketAddr) -> Reply {
    let qi = r#"[
  {"location": "/link/", "scheme": "http://schemas.ogf.org/occi/core#", "term": "link"},
  {"attributes": {"occi.compute.cores": "muttable", "occi.compute.state": "immutable"},
   "actions": ["http://schemas.ogf.org/occi/infrastructure/compute/action#start"],
   "location": "/compute/", "related": ["http://schemas.ogf.org/occi/core#resource"],
   "scheme": "http://schemas.ogf.org/occi/infrastructure#", "term": "compute", "title": "Compute"},
  {"scheme": "http://schemas.ogf.org/occi/infrastructure/compute/action#", "term": "start"}
]"#;
    let entity = r#"{
  "actions": [{"kind": {"scheme": "http://schemas.ogf.org/occi/infrastructure/compute/action#", "term": "start"}, "link": "/compute/1?action=start"}],
  "attributes": {"occi.compute.cores": "2", "occi.core.id": "/compute/1", "occi.core.title": "vm"},
  "kind": {"scheme": "http://schemas.ogf.org/occi/infrastructure#", "term": "compute"},
  "links": [], "mixins": []
}"#;
    match (request.method.as_str(), request.target.as_str()) {
        ("GET", "/-/") => http("200 OK", &[("Content-Type", "application/occi+json")], qi),
        ("GET", "/compute/1") => http(
            "200 OK",
            &[("Content-Type", "application/occi+json")],
            entity,
        ),
        ("GET", "/compute/") => http(
            "200 OK",
            &[("Content-Type", "application/occi+json")],
            &format!("[{entity}]"),
        ),
        _ => http("404 Not Found", &[], "no"),
    }
}

#[tokio::test]
async fn pyssf_legacy_json_is_recognised_and_read() {
    let fixture = Fixture::start(pyssf_json).await;
    let client = Client::builder(&fixture.url())
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .format(Format {
            media_type: MediaType::OcciJson,
            dialect: Dialect::Occi,
        })
        .build();
    let model = client.discover().await.unwrap();
    let compute: CategoryId = "http://schemas.ogf.org/occi/infrastructure#compute"
        .parse()
        .unwrap();
    let kind = model.registry.kind(&compute).unwrap();
    assert_eq!(kind.actions.len(), 1);
    let vm = client.get(&loc("/compute/1")).await.unwrap();
    assert_eq!(vm.title(), Some("vm"));
    assert_eq!(vm.attribute_value("occi.compute.cores"), Some("2".into()));
    assert_eq!(vm.location(), Some(&loc("/compute/1")));
    let listed: Vec<Location> = client
        .list(&loc("/compute/"), ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, [loc("/compute/1")]);
}

/// A server whose model types attributes (GFD.225 JSON query interface) but whose entity
/// renderings quote numbers, as PySSF-derived peers do.
#[tokio::test]
async fn quoted_numbers_are_read_as_the_registry_types_them() {
    let mut registry = occi_model::Registry::new(OcciVersion::V1_2);
    occi_model::ext::infrastructure::register(&mut registry).unwrap();
    let qi = occi_render::json::render_categories(
        &occi_render::json::CategoryCollection::from_categories(registry.categories().cloned()),
    );
    let fixture = Fixture::start(move |request: &Seen, _| match request.target.as_str() {
        "/-/" => http("200 OK", &[("Content-Type", "application/occi+json")], &qi),
        _ => http(
            "200 OK",
            &[("Content-Type", "text/plain")],
            "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n\
             X-OCCI-Attribute: occi.compute.cores=\"2\"\r\n\
             X-OCCI-Attribute: occi.compute.memory=\"1.5\"\r\n\
             X-OCCI-Attribute: occi.compute.hostname=\"2\"\r\n",
        ),
    })
    .await;
    let client = Client::builder(&fixture.url())
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .build();
    client.discover().await.unwrap();
    let vm = client.get(&loc("/compute/1")).await.unwrap();
    assert_eq!(
        vm.attribute_value("occi.compute.cores"),
        Some(AttributeValue::Integer(2))
    );
    assert_eq!(
        vm.attribute_value("occi.compute.memory"),
        AttributeValue::float(1.5)
    );
    // A string attribute stays a string.
    assert_eq!(
        vm.attribute_value("occi.compute.hostname"),
        Some("2".into())
    );
    let quoted: Vec<_> = vm
        .deviations
        .iter()
        .filter(|d| d.kind() == DeviationKind::QuotedValue)
        .collect();
    assert_eq!(quoted.len(), 2, "{:?}", vm.deviations);
}

fn plain_server(request: &Seen, _: SocketAddr) -> Reply {
    match (request.method.as_str(), request.target.as_str()) {
        ("GET", "/-/") => http(
            "200 OK",
            &[("Content-Type", "text/plain")],
            "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"; \
             rel=\"http://schemas.ogf.org/occi/core#resource\"; location=\"/compute/\"\r\n",
        ),
        ("GET", "/compute/1") => http(
            "200 OK",
            &[("Content-Type", "text/plain"), ("ETag", "\"v2\"")],
            "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n",
        ),
        ("POST", "/compute/1") => match request.header("if-match") {
            Some("\"v2\"") | None => http("204 No Content", &[], ""),
            Some(_) => http("412 Precondition Failed", &[], "the entity has changed"),
        },
        ("GET", "/flaky/") => http("503 Service Unavailable", &[], "busy"),
        (_, t) if t.starts_with("/slow/") => Reply::Silence,
        _ => http("404 Not Found", &[], "not here"),
    }
}

#[tokio::test]
async fn conditional_requests_send_if_match() {
    let fixture = Fixture::start(plain_server).await;
    let client = Client::new(&fixture.url()).unwrap();
    let vm = client.get(&loc("/compute/1")).await.unwrap();
    assert_eq!(vm.etag.as_deref(), Some("\"v2\""));
    let change = Entity::Resource(Resource::new(vm.kind().clone()));
    client
        .update_if_match(&loc("/compute/1"), &change, vm.etag.as_deref())
        .await
        .unwrap();
    let error = client
        .update_if_match(&loc("/compute/1"), &change, Some("\"v1\""))
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), Some(StatusCode::PRECONDITION_FAILED));
    let sent: Vec<_> = fixture
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.header("if-match").map(str::to_owned))
        .collect();
    assert_eq!(sent, [Some("\"v2\"".to_owned()), Some("\"v1\"".to_owned())]);
}

#[tokio::test]
async fn idempotent_requests_are_retried_and_posts_are_not() {
    let fixture = Fixture::start(plain_server).await;
    let client = Client::builder(&fixture.url())
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .timeout(Duration::from_millis(300))
        .retries(2, Duration::from_millis(10))
        .build();
    client.discover().await.unwrap();
    // 503 three times: the last one is the answer.
    let error = client
        .list(&loc("/flaky/"), ListOptions::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    // A silent server: a timeout, tried three times for GET ...
    let error = client.get(&loc("/slow/")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    // ... and once for POST.
    let error = client
        .trigger(
            &loc("/slow/"),
            &ActionInvocation::new(occi_model::ext::infrastructure::compute_start_id()),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    let count = |method: &str, target: &str| {
        fixture
            .requests()
            .iter()
            .filter(|r| r.method == method && r.target.starts_with(target))
            .count()
    };
    assert_eq!(count("GET", "/flaky/"), 3);
    assert_eq!(count("GET", "/slow/"), 3);
    assert_eq!(count("POST", "/slow/"), 1);
}

#[tokio::test]
async fn refused_connections_are_transport_errors() {
    // Bind and drop: nothing listens on that port any more.
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::builder(&format!("http://{address}"))
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .retries(1, Duration::from_millis(1))
        .build();
    let error = client.discover().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(error.exchange().unwrap().response.is_none());
}

#[tokio::test]
async fn an_http_proxy_gets_absolute_form_and_no_proxy_is_honoured() {
    let proxied = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&proxied);
    // The fixture plays the proxy: it answers whatever absolute URL it is asked for.
    let proxy = Fixture::start(move |request: &Seen, address| {
        count.fetch_add(1, Ordering::SeqCst);
        plain_server(
            &Seen {
                target: request
                    .target
                    .strip_prefix("http://occi.example:8080")
                    .unwrap_or(&request.target)
                    .to_owned(),
                ..request.clone()
            },
            address,
        )
    })
    .await;
    let client = Client::builder("http://occi.example:8080")
        .unwrap()
        .transport(HttpTransport::with_proxy(
            &format!("http://user:pw@{}", proxy.address),
            "localhost",
        ))
        .build();
    client.discover().await.unwrap();
    let seen = proxy.requests();
    assert_eq!(seen[0].target, "http://occi.example:8080/-/");
    assert_eq!(
        seen[0].header("proxy-authorization"),
        Some("Basic dXNlcjpwdw==")
    );
    assert_eq!(proxied.load(Ordering::SeqCst), 1);
    // NO_PROXY: a matching host goes direct (and, here, fails to resolve or connect).
    let direct = HttpTransport::with_proxy(&format!("http://{}", proxy.address), "occi.example");
    assert_eq!(
        direct.proxy_for(&"http://occi.example:8080/".parse().unwrap()),
        None
    );
    assert!(
        direct
            .proxy_for(&"http://other.example/".parse().unwrap())
            .is_some()
    );
}

/// A Hurtle CC northbound API under OpenShift v3 (hurtle.md §3.1): only the presence of
/// `Authorization` is checked; the app collection itself is broken (400).
fn hurtle_cc(request: &Seen, address: SocketAddr) -> Reply {
    const PLATFORM: &str = "http://schemas.ogf.org/occi/platform#";
    if request.header("authorization").is_none() {
        return pyssf(
            "401 Unauthorized",
            &[],
            "Please provide authentication headers.",
        );
    }
    match (request.method.as_str(), request.target.as_str()) {
        ("GET", "/-/") => pyssf(
            "200 OK",
            &[
                ("Content-Type", "text/occi"),
                (
                    "Category",
                    &format!(
                        "start; scheme=\"http://schemas.ogf.org/occi/platform/app/action#\"; class=\"action\", \
                         stop; scheme=\"http://schemas.ogf.org/occi/platform/app/action#\"; class=\"action\", \
                         app; scheme=\"{PLATFORM}\"; class=\"kind\"; title=\"A PaaS application.\"; \
                         rel=\"http://schemas.ogf.org/occi/core#resource\"; location=\"http://{address}/app/\"; \
                         attributes=\"occi.app.name{{required}} occi.app.image{{required}} occi.app.env occi.app.state{{immutable}}\"; \
                         actions=\"http://schemas.ogf.org/occi/platform/app/action#start http://schemas.ogf.org/occi/platform/app/action#stop\""
                    ),
                ),
            ],
            "OK",
        ),
        ("POST", "/app/") => pyssf(
            "201 Created",
            &[("Location", &format!("http://{address}/app/{APP}"))],
            "OK",
        ),
        ("GET", "/app/") => pyssf(
            "400 Bad Request",
            &[],
            "'OpenShift3Adapter' object has no attribute 'list_apps'",
        ),
        ("GET", t) if t == format!("/app/{APP}") => pyssf(
            "200 OK",
            &[
                ("Content-Type", "text/occi"),
                (
                    "Category",
                    &format!("app; scheme=\"{PLATFORM}\"; class=\"kind\""),
                ),
                (
                    "X-OCCI-Attribute",
                    &format!(
                        "occi.app.state=\"inactive\", occi.app.image=\"dizz/hurtle-sample-so\", \
                         occi.app.name=\"{APP}\", occi.app.env=\"DESIGN_URI=http://keystone:35357/v2.0\", \
                         occi.app.scale=\"False\", occi.app.url=\"{APP}.test.apps.hurtle.test\", occi.core.id=\"{APP}\""
                    ),
                ),
            ],
            "OK",
        ),
        ("DELETE", _) => pyssf("200 OK", &[], "OK"),
        _ => pyssf("404 Not Found", &[], "Resource not found."),
    }
}

#[tokio::test]
async fn hurtle_cc_app_lifecycle() {
    let fixture = Fixture::start(hurtle_cc).await;
    let anonymous = Client::builder(&fixture.url())
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .build();
    let error = anonymous.discover().await.unwrap_err();
    assert_eq!(error.http_status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(error.message(), "Please provide authentication headers.");

    let client = Client::builder(&fixture.url())
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .auth(Auth::basic("cc", "secret"))
        .build();
    let app: CategoryId = "http://schemas.ogf.org/occi/platform#app".parse().unwrap();
    let model = client.discover().await.unwrap();
    let kind = model.registry.kind(&app).unwrap();
    assert_eq!(kind.location, Some(loc("/app/")));
    assert_eq!(kind.actions.len(), 2);
    assert!(kind.attributes.iter().any(|a| a.required));

    // The SM's create (hurtle.md §1.6 step 2), values with `=` included.
    let mut resource = Resource::new(app);
    for (name, value) in [
        ("occi.app.name", APP),
        ("occi.app.image", "dizz/hurtle-sample-so"),
        ("occi.app.env", "DESIGN_URI=http://keystone:35357/v2.0"),
    ] {
        resource
            .attributes
            .insert(name.parse().unwrap(), value.into());
    }
    let location = client
        .create(&Entity::Resource(resource))
        .await
        .unwrap()
        .value;
    assert_eq!(location, loc(&format!("/app/{APP}")));
    let post = fixture
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(post.header("authorization"), Some("Basic Y2M6c2VjcmV0"));
    assert_eq!(
        post.header("x-occi-attribute"),
        Some(
            "occi.app.env=\"DESIGN_URI=http://keystone:35357/v2.0\", \
             occi.app.image=\"dizz/hurtle-sample-so\", occi.app.name=\"sosampf1cd835fba84d318\""
        )
    );

    // The SM's read: `occi.app.url` quoted, without `=`.
    let app = client.get(&location).await.unwrap();
    assert_eq!(
        app.attribute_value("occi.app.url"),
        Some(format!("{APP}.test.apps.hurtle.test").as_str().into())
    );
    assert_eq!(
        app.attribute_value("occi.app.state"),
        Some("inactive".into())
    );

    // The broken collection: its message comes through.
    let error = client
        .list(&loc("/app/"), ListOptions::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(error.http_status(), Some(StatusCode::BAD_REQUEST));
    assert!(error.message().contains("list_apps"), "{error}");
    client.delete(&location).await.unwrap();
}
