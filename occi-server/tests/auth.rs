//! The authentication layers in front of `OcciService`: each scheme's answers (401 with its
//! challenge, 403, 503), the identity handed on in the request extensions, the auth file,
//! Keystone v2 against a stand-in served on loopback, and the layers under `serve` and axum.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use occi_server::auth::{
    AuthFile, AuthLayer, AuthStatuses, Authenticate, BasicUsers, BearerTokens, KeystoneV2,
    StaticTokens, XAuthToken, hash_password,
};
use occi_server::{Identity, Occi, OcciBody, OcciService, ServeConfig, serve};
use tower::{Layer, ServiceExt};

/// A service that answers with the identity it was handed: "user@tenant", or "nobody".
fn echo_identity() -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<OcciBody>,
    Error = Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(|request: Request<Full<Bytes>>| async move {
        let who = request.extensions().get::<Identity>().map_or_else(
            || "nobody".to_owned(),
            |i| format!("{}@{}", i.user(), i.tenant()),
        );
        Ok::<_, Infallible>(Response::new(OcciBody::new(Bytes::from(who))))
    })
}

fn get(headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    request("GET", headers)
}

fn request(method: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().method(method).uri("/compute/");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::new(Bytes::new())).unwrap()
}

async fn call<A: Authenticate>(
    layer: &AuthLayer<A>,
    request: Request<Full<Bytes>>,
) -> (StatusCode, http::HeaderMap, String) {
    let response = layer.layer(echo_identity()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn basic(user: &str, password: &str) -> String {
    use base64ct::Encoding;
    format!(
        "Basic {}",
        base64ct::Base64::encode_string(format!("{user}:{password}").as_bytes())
    )
}

#[tokio::test]
async fn the_identity_reaches_the_service_and_failures_never_do() {
    let layer = AuthLayer::new(
        BearerTokens::new()
            .grant("rw", Identity::new("alice", "acme"))
            .grant_read_only("ro", Identity::new("bob", "acme")),
    );
    let (status, _, body) = call(&layer, get(&[("Authorization", "Bearer rw")])).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "alice@acme"));

    let (status, headers, body) = call(&layer, get(&[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[WWW_AUTHENTICATE], "Bearer realm=\"occi\"");
    assert!(body.starts_with("401 Unauthorized: "), "{body}");
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");

    let (status, headers, body) = call(
        &layer,
        get(&[
            ("Authorization", "Bearer nope"),
            ("Accept", "application/occi+json"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["status"], 401);
    assert_eq!(json["error"]["message"], "the bearer token is not valid");
    assert_eq!(headers["content-type"], "application/occi+json");

    let (status, headers, body) =
        call(&layer, request("DELETE", &[("Authorization", "Bearer ro")])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get(WWW_AUTHENTICATE).is_none());
    assert!(body.contains("bob may only read"), "{body}");
}

#[tokio::test]
async fn schemes_combine_and_a_401_lists_every_challenge() {
    let users = BasicUsers::new()
        .user("carol", hash_password("secret"), "tenant-c")
        .unwrap();
    let layer = AuthLayer::new(
        BearerTokens::new()
            .grant("rw", Identity::new("alice", "acme"))
            .or(users)
            .or(XAuthToken::new(StaticTokens::new().token(
                "t",
                "sm",
                ["acme"],
            ))),
    );
    let ok = |headers: &'static [(&'static str, &'static str)]| {
        let layer = layer.clone();
        async move { call(&layer, get(headers)).await.2 }
    };
    assert_eq!(ok(&[("Authorization", "Bearer rw")]).await, "alice@acme");
    assert_eq!(
        ok(&[("X-Auth-Token", "t"), ("X-Tenant-Name", "acme")]).await,
        "sm@acme"
    );
    let (status, _, body) =
        call(&layer, get(&[("Authorization", &basic("carol", "secret"))])).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "carol@tenant-c"));
    let (status, _, _) = call(&layer, get(&[("Authorization", &basic("carol", "wrong"))])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, headers, _) = call(&layer, get(&[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenges: Vec<_> = headers.get_all(WWW_AUTHENTICATE).iter().collect();
    assert_eq!(
        challenges,
        [
            "Bearer realm=\"occi\"",
            "Basic realm=\"occi\", charset=\"UTF-8\"",
            "X-Auth-Token realm=\"occi\""
        ]
    );
    let (status, _, _) = call(
        &layer,
        get(&[("X-Auth-Token", "t"), ("X-Tenant-Name", "evil")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_auth_file_configures_every_scheme_and_refuses_mistakes() {
    let hash = hash_password("pw");
    let text = format!(
        r#"
[[bearer]]
token = "b1"
user = "ci"
tenant = "acme"
read_only = true

[[basic]]
user = "alice"
password_hash = "{hash}"
tenant = "acme"

[[x_auth_token]]
token = "x1"
user = "sm"
tenants = ["demo"]
"#
    );
    let file = AuthFile::parse(&text, "auth.toml").unwrap();
    assert_eq!(
        file.summary(),
        "1 bearer token(s), 1 Basic user(s), 1 X-Auth-Token(s)"
    );
    let layer = AuthLayer::new(file.into_scheme());
    assert_eq!(
        call(&layer, get(&[("Authorization", "Bearer b1")])).await.2,
        "ci@acme"
    );
    assert_eq!(
        call(&layer, request("POST", &[("Authorization", "Bearer b1")]))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&layer, get(&[("Authorization", &basic("alice", "pw"))]))
            .await
            .2,
        "alice@acme"
    );
    assert_eq!(
        call(
            &layer,
            get(&[("X-Auth-Token", "x1"), ("X-Tenant-Name", "demo")])
        )
        .await
        .2,
        "sm@demo"
    );
    let (status, headers, body) = call(&layer, get(&[])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers.get_all(WWW_AUTHENTICATE).iter().count(), 3);
    assert!(
        body.contains("Authorization: Bearer, or Authorization: Basic, or X-Auth-Token"),
        "{body}"
    );

    for (bad, expected) in [
        (
            "[[bearer]]\ntoken = \"t\"\nuser = \"u\"\ntenant = \"t\"\nreadonly = true\n",
            "readonly",
        ),
        (
            "[[basic]]\nuser = \"u\"\npassword_hash = \"plain\"\ntenant = \"t\"\n",
            "PHC",
        ),
        (
            "[[x_auth_token]]\ntoken = \"t\"\nuser = \"u\"\ntenants = []\n",
            "no tenants",
        ),
        ("", "no credentials"),
        (
            "[keystone]\nurl = \"http://127.0.0.1:1/v2.0\"\n[[x_auth_token]]\ntoken = \"t\"\nuser = \"u\"\ntenants = [\"a\"]\n",
            "exclude each other",
        ),
    ] {
        let error = AuthFile::parse(bad, "auth.toml").unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
        assert!(
            error.to_string().starts_with("auth file auth.toml: "),
            "{error}"
        );
    }
}

/// What the Keystone stand-in was asked.
type Asked = Arc<Mutex<Vec<serde_json::Value>>>;

/// A Keystone v2 stand-in on loopback: token "good" is valid for tenant "acme" (user
/// "alice"), "elsewhere" is scoped to another tenant, "denied" is 403, "broken" is 500,
/// everything else 401.
async fn keystone() -> (SocketAddr, Asked) {
    let (app, asked) = keystone_app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, asked)
}

/// The Keystone stand-in's routes, and what it was asked.
fn keystone_app() -> (axum::Router, Asked) {
    let asked: Asked = Arc::default();
    let seen = Arc::clone(&asked);
    let app = axum::Router::new().route(
        "/v2.0/tokens",
        axum::routing::post(move |body: Bytes| {
            let seen = Arc::clone(&seen);
            async move {
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                seen.lock().unwrap().push(json.clone());
                let token = json["auth"]["token"]["id"].as_str().unwrap_or_default();
                let tenant = json["auth"]["tenantName"].as_str().unwrap_or_default();
                let access = |scoped: &str| {
                    serde_json::json!({"access": {
                        "token": {"id": token, "tenant": {"id": "t-1", "name": scoped}},
                        "user": {"id": "u-1", "name": "alice", "roles": []}
                    }})
                    .to_string()
                };
                match (token, tenant) {
                    ("good", "acme") => (StatusCode::OK, access("acme")),
                    ("elsewhere", _) => (StatusCode::OK, access("other")),
                    ("denied", _) => (StatusCode::FORBIDDEN, String::new()),
                    ("broken", _) => (StatusCode::INTERNAL_SERVER_ERROR, String::new()),
                    _ => (StatusCode::UNAUTHORIZED, String::new()),
                }
            }
        }),
    );
    (app, asked)
}

#[tokio::test]
async fn keystone_v2_decides_hurtle_tokens() {
    let (addr, asked) = keystone().await;
    // Without a cache, so that every request reaches the stand-in.
    let validator = KeystoneV2::new(&format!("http://{addr}/v2.0/"))
        .unwrap()
        .cache_capacity(0);
    let layer = AuthLayer::new(XAuthToken::new(validator));
    let with = |token: &'static str, tenant: &'static str| {
        let layer = layer.clone();
        async move {
            call(
                &layer,
                get(&[("X-Auth-Token", token), ("X-Tenant-Name", tenant)]),
            )
            .await
        }
    };
    let (status, _, body) = with("good", "acme").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "alice@acme"));
    assert_eq!(
        asked.lock().unwrap()[0],
        serde_json::json!({"auth": {"token": {"id": "good"}, "tenantName": "acme"}})
    );
    let (status, headers, _) = with("good", "other").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        headers[WWW_AUTHENTICATE],
        format!("Keystone realm=\"occi\", uri=\"http://{addr}/v2.0\"").as_str()
    );
    assert_eq!(with("elsewhere", "acme").await.0, StatusCode::FORBIDDEN);
    assert_eq!(with("denied", "acme").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        with("broken", "acme").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(asked.lock().unwrap().len(), 5);

    // Unreachable Keystone: 503, never a pass.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = closed.local_addr().unwrap();
    drop(closed);
    let layer = AuthLayer::new(XAuthToken::new(
        KeystoneV2::new(&format!("http://{gone}/v2.0")).unwrap(),
    ));
    let (status, _, body) = call(
        &layer,
        get(&[("X-Auth-Token", "good"), ("X-Tenant-Name", "acme")]),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    assert!(KeystoneV2::new("https://keystone.example/v2.0").is_ok());
    assert!(KeystoneV2::new("ftp://keystone.example/v2.0").is_err());
    assert!(KeystoneV2::new("not a url").is_err());
}

/// Asks `validator` for `token` in tenant "acme" through an `AuthLayer`: the status.
async fn validate_with(validator: &KeystoneV2, token: &'static str) -> StatusCode {
    let layer = AuthLayer::new(XAuthToken::new(validator.clone()));
    call(
        &layer,
        get(&[("X-Auth-Token", token), ("X-Tenant-Name", "acme")]),
    )
    .await
    .0
}

#[tokio::test]
async fn keystone_v2_keeps_validations_for_their_ttl_and_refusals_briefly() {
    let (addr, asked) = keystone().await;
    let url = format!("http://{addr}/v2.0");
    let asked_times = || asked.lock().unwrap().len();

    // A validation is kept: one question for many requests, whichever clone asks.
    let validator = KeystoneV2::new(&url).unwrap();
    for _ in 0..3 {
        assert_eq!(validate_with(&validator, "good").await, StatusCode::OK);
    }
    assert_eq!(asked_times(), 1);
    // So is a refusal, for the negative TTL.
    for _ in 0..3 {
        assert_eq!(
            validate_with(&validator, "wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(asked_times(), 2);
    // An unavailable verdict (Keystone answers 500) is never kept.
    for _ in 0..2 {
        assert_eq!(
            validate_with(&validator, "broken").await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
    assert_eq!(asked_times(), 4);

    // Expired entries are asked again.
    let short = KeystoneV2::new(&url)
        .unwrap()
        .cache_ttl(std::time::Duration::from_millis(20))
        .negative_ttl(std::time::Duration::from_millis(20));
    let before = asked_times();
    assert_eq!(validate_with(&short, "good").await, StatusCode::OK);
    assert_eq!(
        validate_with(&short, "wrong").await,
        StatusCode::UNAUTHORIZED
    );
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(validate_with(&short, "good").await, StatusCode::OK);
    assert_eq!(
        validate_with(&short, "wrong").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(asked_times(), before + 4);

    // A zero negative TTL keeps no refusal at all.
    let forgetful = KeystoneV2::new(&url)
        .unwrap()
        .negative_ttl(std::time::Duration::ZERO);
    let before = asked_times();
    for _ in 0..2 {
        assert_eq!(
            validate_with(&forgetful, "wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(asked_times(), before + 2);
}

#[tokio::test]
async fn keystone_v2_over_https() {
    use occi_server::rustls;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    let (app, asked) = keystone_app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        ServeConfig::new()
            .tls(Arc::new(tls))
            .serve(listener, app, std::future::pending())
            .await
    });
    let url = format!("https://localhost:{port}/v2.0");

    // A certificate nobody vouches for: the token cannot be checked (503), never a pass.
    let untrusting = KeystoneV2::new(&url).unwrap();
    assert_eq!(
        validate_with(&untrusting, "good").await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(asked.lock().unwrap().is_empty());

    let trusting = KeystoneV2::new(&url)
        .unwrap()
        .add_root_certificates(certified.cert.pem().as_bytes())
        .unwrap();
    assert_eq!(validate_with(&trusting, "good").await, StatusCode::OK);
    assert_eq!(
        validate_with(&trusting, "wrong").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(asked.lock().unwrap().len(), 2);
    assert!(
        KeystoneV2::new(&url)
            .unwrap()
            .add_root_certificates(b"no certificate here")
            .is_err()
    );
}

/// Request headers, as a test case lists them.
type Headers = &'static [(&'static str, &'static str)];

#[tokio::test]
async fn hurtle_statuses_for_requests_without_the_hurtle_headers() {
    let scheme = || XAuthToken::new(StaticTokens::new().token("t1", "sm", ["acme"]));
    // (headers, then the status under Http, HurtleServiceManager, HurtleServiceOrchestrator)
    let cases: [(Headers, [u16; 3]); 6] = [
        (&[], [401, 400, 403]),
        (&[("X-Auth-Token", "t1")], [401, 400, 403]),
        (&[("X-Tenant-Name", "acme")], [401, 400, 403]),
        (
            &[("X-Auth-Token", "wrong"), ("X-Tenant-Name", "acme")],
            [401, 401, 401],
        ),
        (
            &[("X-Auth-Token", "t1"), ("X-Tenant-Name", "other")],
            [403, 403, 403],
        ),
        (
            &[("X-Auth-Token", "t1"), ("X-Tenant-Name", "acme")],
            [200, 200, 200],
        ),
    ];
    let profiles = [
        AuthStatuses::Http,
        AuthStatuses::HurtleServiceManager,
        AuthStatuses::HurtleServiceOrchestrator,
    ];
    assert_eq!(AuthStatuses::default(), AuthStatuses::Http);
    for (headers, expected) in cases {
        for (statuses, expected) in profiles.into_iter().zip(expected) {
            let layer = AuthLayer::new(scheme()).statuses(statuses);
            let (status, response_headers, body) = call(&layer, get(headers)).await;
            assert_eq!(
                status.as_u16(),
                expected,
                "{statuses:?} {headers:?}: {body}"
            );
            assert_eq!(
                response_headers.contains_key(WWW_AUTHENTICATE),
                expected == 401,
                "{statuses:?} {headers:?}"
            );
            if let [(name, _)] = headers {
                let missing = if name.eq_ignore_ascii_case("X-Auth-Token") {
                    "X-Tenant-Name"
                } else {
                    "X-Auth-Token"
                };
                assert!(body.contains(missing), "{statuses:?} {headers:?}: {body}");
            }
        }
    }

    // An identity service that cannot be reached is 503 in every profile, never 500.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = closed.local_addr().unwrap();
    drop(closed);
    for statuses in profiles {
        let layer = AuthLayer::new(XAuthToken::new(
            KeystoneV2::new(&format!("http://{gone}/v2.0")).unwrap(),
        ))
        .statuses(statuses);
        let (status, _, _) = call(
            &layer,
            get(&[("X-Auth-Token", "t1"), ("X-Tenant-Name", "acme")]),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{statuses:?}");
    }
}

#[tokio::test]
async fn the_layer_in_front_of_occi_served_over_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let occi = Occi::builder()
        .base_url(&format!("http://{addr}"))
        .unwrap()
        .build()
        .unwrap();
    let service = AuthLayer::new(BearerTokens::new().grant("rw", Identity::new("a", "t")))
        .layer(OcciService::new(occi));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, service, async {
        let _ = stopped.await;
    }));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let ask = |token: Option<&str>| {
        let mut builder = Request::get(format!("http://{addr}/-/")).header(ACCEPT, "text/plain");
        if let Some(token) = token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        client.request(builder.body(Full::new(Bytes::new())).unwrap())
    };
    let refused = ask(None).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().contains_key(WWW_AUTHENTICATE));
    let answered = ask(Some("rw")).await.unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    let body = answered.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("Category: "));
    drop(stop);
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_layer_under_axum() {
    let occi = OcciService::new(Occi::builder().build().unwrap());
    let app = axum::Router::new()
        .fallback_service(occi)
        .layer(AuthLayer::new(
            BearerTokens::new().grant("rw", Identity::new("a", "t")),
        ));
    let response = app
        .clone()
        .oneshot(Request::get("/-/").body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .oneshot(
            Request::get("/-/")
                .header(AUTHORIZATION, "Bearer rw")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
