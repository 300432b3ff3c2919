//! Whatever a server answers (any status, header fields, body, in any claimed rendering),
//! every operation returns `Ok` or an `Error`: it never panics.

use bytes::Bytes;
use futures_util::TryStreamExt as _;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use occi_client::{BoxFuture, Client, Error, ListOptions, Transport};
use occi_model::ext::infrastructure;
use occi_model::{ActionInvocation, Entity, Location, OcciVersion, Registry, Resource};
use proptest::prelude::*;

/// A response: status, header fields, body.
type Raw = (u16, Vec<(String, Vec<u8>)>, Vec<u8>);

/// Answers the query interface with one canned response and everything else with another.
#[derive(Debug, Clone)]
struct Canned {
    query_interface: Raw,
    other: Raw,
}

fn build((status, headers, body): &Raw) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.clone()));
    *response.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

impl Transport for Canned {
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, Error>> {
        let response = if request.uri().path().ends_with("/-/") {
            build(&self.query_interface)
        } else {
            build(&self.other)
        };
        Box::pin(async move { Ok(response) })
    }
}

fn query_interfaces() -> Vec<(String, Vec<u8>)> {
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).unwrap();
    let categories: Vec<_> = registry.categories().cloned().collect();
    vec![
        (
            "application/occi+json".into(),
            occi_render::json::render_categories(
                &occi_render::json::CategoryCollection::from_categories(categories.clone()),
            )
            .into_bytes(),
        ),
        (
            "text/plain".into(),
            occi_render::text::plain::render_categories(&categories).into_bytes(),
        ),
        (
            "application/occi+json".into(),
            occi_render::json::pyssf::render_categories(&categories).into_bytes(),
        ),
    ]
}

const CONTENT_TYPES: [&str; 9] = [
    "text/plain",
    "text/occi",
    "text/uri-list",
    "application/occi+json",
    "application/json",
    "text/html",
    "text/plain; charset=utf-8",
    "",
    "application/occi+json;;",
];

const FIELDS: [&str; 7] = [
    "category",
    "x-occi-attribute",
    "x-occi-location",
    "link",
    "location",
    "etag",
    "server",
];

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "(Category: |X-OCCI-Attribute: |X-OCCI-Location: |Link: |\\{|\\[|\"|;|=|,|<|>|/compute/| |\r\n|OK|[a-z.#:]{1,12}){0,30}"
            .prop_map(String::into_bytes),
        Just(b"OK".to_vec()),
        Just(b"[]".to_vec()),
        Just(b"{\"resources\":[{\"kind\":\"x\"}]}".to_vec()),
    ]
}

fn response() -> impl Strategy<Value = Raw> {
    (
        prop_oneof![
            Just(200_u16),
            Just(201),
            Just(204),
            Just(404),
            Just(500),
            100_u16..600
        ],
        proptest::collection::vec(
            (
                prop_oneof![
                    proptest::sample::select(FIELDS.to_vec()).prop_map(str::to_owned),
                    "[a-z-]{1,10}"
                ],
                "[ -~]{0,60}".prop_map(String::into_bytes),
            ),
            0..5,
        ),
        body(),
        proptest::sample::select(CONTENT_TYPES.to_vec()),
    )
        .prop_map(|(status, mut headers, body, ct)| {
            if !ct.is_empty() {
                headers.push(("content-type".into(), ct.as_bytes().to_vec()));
            }
            (status, headers, body)
        })
}

fn query_interface() -> impl Strategy<Value = Raw> {
    let valid = query_interfaces();
    prop_oneof![
        proptest::sample::select(valid).prop_map(|(ct, body)| (
            200_u16,
            vec![("content-type".to_owned(), ct.into_bytes())],
            body
        )),
        response(),
    ]
}

/// An error always explains itself.
fn explained<T>(result: Result<T, Error>) {
    if let Err(error) = result {
        assert!(!error.message().is_empty(), "{error:?}");
        assert!(!error.to_string().is_empty());
        if let Some(exchange) = error.exchange() {
            assert!(exchange.to_string().starts_with("> "));
        }
    }
}

async fn exercise(client: &Client) {
    let location = Location::new("/compute/1").unwrap();
    explained(client.discover().await);
    explained(client.get(&location).await);
    let _ = client
        .list(&Location::new("/compute/").unwrap(), ListOptions::default())
        .try_collect::<Vec<_>>()
        .await;
    let _ = client
        .list(
            &Location::new("/compute/").unwrap(),
            ListOptions {
                page_size: Some(2),
                ..ListOptions::default()
            },
        )
        .try_collect::<Vec<_>>()
        .await;
    let vm = Entity::Resource(Resource::new(infrastructure::compute_id()));
    explained(client.create(&vm).await);
    let _ = client.create_at(&location, &vm).await;
    let _ = client.update(&location, &vm).await;
    explained(
        client
            .trigger(
                &location,
                &ActionInvocation::new(infrastructure::compute_start_id()),
            )
            .await,
    );
    let _ = client.delete(&location).await;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_response_makes_the_client_panic(
        query_interface in query_interface(),
        other in response(),
        strict in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let client = Client::builder("http://occi.test")
            .unwrap()
            .transport(Canned { query_interface, other })
            .strict(strict)
            .retries(0, std::time::Duration::ZERO)
            .build();
        runtime.block_on(exercise(&client));
    }
}
