//! The client against occi-server: in-process through its tower service, and over loopback
//! through hyper, in every rendering.

use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt as _;
use http::StatusCode;
use occi_client::{
    Client, Dialect, ErrorKind, Format, HttpTransport, ListOptions, ServiceTransport,
};
use occi_model::ext::{core, infrastructure};
use occi_model::{
    ActionInvocation, AttributeValue, CategoryId, Entity, Link, Location, Mixin, OcciVersion,
    Registry, Resource,
};
use occi_render::Filter;
use occi_render::media::MediaType;
use occi_server::{InMemoryStore, Occi, OcciService, SimulatedActions};

fn service(version: OcciVersion) -> OcciService<InMemoryStore, SimulatedActions> {
    let mut registry = Registry::new(version);
    infrastructure::register(&mut registry).unwrap();
    OcciService::new(
        Occi::builder()
            .registry(registry)
            .actions(SimulatedActions)
            .build()
            .unwrap(),
    )
}

fn in_process(version: OcciVersion, media_type: Option<MediaType>) -> Client {
    let mut builder = Client::builder("http://occi.test")
        .unwrap()
        .transport(ServiceTransport::new(service(version)));
    if let Some(media_type) = media_type {
        builder = builder.format(Format::occi(media_type));
    }
    builder.build()
}

fn compute(title: &str, cores: i64) -> Entity {
    let mut vm = Resource::new(infrastructure::compute_id());
    vm.title = Some(title.into());
    vm.attributes.insert(
        "occi.compute.cores".parse().unwrap(),
        AttributeValue::Integer(cores),
    );
    Entity::Resource(vm)
}

fn loc(s: &str) -> Location {
    Location::new(s).unwrap()
}

// One walk through every operation, in the order a user would take them.
#[allow(clippy::too_many_lines)]
async fn lifecycle(client: &Client, typed_numbers: bool) {
    // Create, read back.
    let created = client.create(&compute("web", 2)).await.unwrap();
    assert_eq!(created.status, StatusCode::CREATED);
    let location = created.value;
    assert!(location.as_str().starts_with("/compute/"), "{location}");
    let vm = client.get(&location).await.unwrap();
    assert_eq!(vm.title(), Some("web"));
    let cores = vm.attribute_value("occi.compute.cores").unwrap();
    if typed_numbers {
        assert_eq!(cores, AttributeValue::Integer(2));
    }
    assert_eq!(vm.location(), Some(&location));

    // List.
    let listed: Vec<Location> = client
        .list(&loc("/compute/"), ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, std::slice::from_ref(&location));
    let entities: Vec<Entity> = client
        .list_entities(&loc("/compute/"), ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0].title(), Some("web"));

    // Partial update, by entity and by attributes.
    let mut change = Resource::new(infrastructure::compute_id());
    change.title = Some("web-1".into());
    client
        .update(&location, &Entity::Resource(change))
        .await
        .unwrap();
    assert_eq!(client.get(&location).await.unwrap().title(), Some("web-1"));
    client
        .update_attributes(
            &location,
            vec![("occi.core.summary".parse().unwrap(), "front end".into())],
        )
        .await
        .unwrap();
    let vm = client.get(&location).await.unwrap();
    assert_eq!(vm.title(), Some("web-1"));
    assert_eq!(
        vm.attribute_value("occi.core.summary"),
        Some("front end".into())
    );

    // Actions, on the entity and on the collection.
    let start = ActionInvocation::new(infrastructure::compute_start_id());
    client.trigger(&location, &start).await.unwrap();
    let state = client
        .get(&location)
        .await
        .unwrap()
        .attribute_value("occi.compute.state");
    assert_eq!(state, Some("active".into()));
    let stop = ActionInvocation::new(infrastructure::compute_stop_id());
    client.trigger(&loc("/compute/"), &stop).await.unwrap();
    let state = client
        .get(&location)
        .await
        .unwrap()
        .attribute_value("occi.compute.state");
    assert_eq!(state, Some("inactive".into()));

    // Replace.
    client.replace(&location, &compute("db", 4)).await.unwrap();
    let vm = client.get(&location).await.unwrap();
    assert_eq!(vm.title(), Some("db"));

    // Links: a network, a standalone link, and an inline link at creation.
    let network = client
        .create(&Entity::Resource(Resource::new(
            infrastructure::network_id(),
        )))
        .await
        .unwrap()
        .value;
    let nic = client
        .link(
            infrastructure::networkinterface_id(),
            &location,
            &network,
            vec![(
                "occi.networkinterface.mac".parse().unwrap(),
                "00:11:22:33:44:55".into(),
            )],
        )
        .await
        .unwrap()
        .value;
    let link = client.get(&nic).await.unwrap().value;
    let link = link.as_link().expect("a link");
    assert_eq!(link.source.as_ref(), Some(&location));
    assert_eq!(link.target.as_ref(), Some(&network));
    let mut with_link = Resource::new(infrastructure::compute_id());
    let mut inline = Link::new(infrastructure::networkinterface_id());
    inline.target = Some(network.clone());
    inline.target_kind = Some(infrastructure::network_id());
    inline.attributes.insert(
        "occi.networkinterface.mac".parse().unwrap(),
        "00:11:22:33:44:66".into(),
    );
    with_link.links.push(inline);
    let linked = client
        .create(&Entity::Resource(with_link))
        .await
        .unwrap()
        .value;
    let linked = client.get(&linked).await.unwrap().value;
    assert_eq!(linked.as_resource().unwrap().links.len(), 1);

    // A user mixin: define, associate, list, dissociate, delete.
    let tag: CategoryId = "http://example.com/tags#blue".parse().unwrap();
    client
        .define_mixin(&Mixin::new(tag.clone()).with_location(loc("/tags/blue/")))
        .await
        .unwrap();
    assert_eq!(
        client.collection_of(&tag).await.unwrap(),
        loc("/tags/blue/")
    );
    client
        .add_to_mixin(&tag, std::slice::from_ref(&location))
        .await
        .unwrap();
    let members: Vec<Location> = client
        .list(&loc("/tags/blue/"), ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(members, std::slice::from_ref(&location));
    assert_eq!(
        client.get(&location).await.unwrap().mixins(),
        std::slice::from_ref(&tag)
    );
    client
        .remove_from_mixin(&tag, std::slice::from_ref(&location))
        .await
        .unwrap();
    assert!(client.get(&location).await.unwrap().mixins().is_empty());
    client
        .replace_mixin_members(&tag, std::slice::from_ref(&network))
        .await
        .unwrap();
    assert_eq!(
        client.get(&network).await.unwrap().mixins(),
        std::slice::from_ref(&tag)
    );
    client.remove_mixin(&tag).await.unwrap();
    assert_eq!(
        client.collection_of(&tag).await.unwrap_err().kind(),
        ErrorKind::Invalid
    );

    // Delete; the entity is gone, and the error says so.
    client.delete(&location).await.unwrap();
    let error = client.get(&location).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.http_status(), Some(StatusCode::NOT_FOUND));
    assert!(!error.message().is_empty());
    assert_eq!(
        error.exchange().unwrap().response.as_ref().unwrap().status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_operation_in_json() {
    let client = in_process(OcciVersion::V1_2, None);
    let model = client.discover().await.unwrap();
    assert_eq!(model.format, Format::occi(MediaType::OcciJson));
    assert_eq!(model.version, OcciVersion::V1_2);
    assert!(model.deviations.is_empty(), "{:?}", model.deviations);
    assert!(model.registry.kind(&infrastructure::compute_id()).is_some());
    lifecycle(&client, true).await;
}

#[tokio::test]
async fn every_operation_in_text_plain() {
    let client = in_process(OcciVersion::V1_2, Some(MediaType::TextPlain));
    lifecycle(&client, true).await;
}

#[tokio::test]
async fn every_operation_in_text_occi() {
    let client = in_process(OcciVersion::V1_2, Some(MediaType::TextOcci));
    lifecycle(&client, true).await;
}

#[tokio::test]
async fn every_operation_against_occi_1_1() {
    let client = in_process(OcciVersion::V1_1, None);
    let model = client.discover().await.unwrap();
    assert_eq!(model.version, OcciVersion::V1_1);
    assert_eq!(model.format.dialect, Dialect::Occi);
    lifecycle(&client, true).await;
}

#[tokio::test]
async fn uri_list_listings() {
    let client = in_process(OcciVersion::V1_2, Some(MediaType::UriList));
    let location = client.create(&compute("a", 1)).await.unwrap().value;
    let listed: Vec<Location> = client
        .list(&loc("/compute/"), ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, [location]);
}

#[tokio::test]
async fn strict_mode_reads_occi_server_without_deviations() {
    for media_type in [
        MediaType::TextPlain,
        MediaType::TextOcci,
        MediaType::OcciJson,
    ] {
        let client = Client::builder("http://occi.test")
            .unwrap()
            .transport(ServiceTransport::new(service(OcciVersion::V1_2)))
            .format(Format::occi(media_type))
            .strict(true)
            .build();
        let model = client.discover().await.unwrap();
        assert!(model.deviations.is_empty());
        let location = client.create(&compute("a", 1)).await.unwrap().value;
        let vm = client.get(&location).await.unwrap();
        assert!(
            vm.deviations.is_empty(),
            "{media_type}: {:?}",
            vm.deviations
        );
    }
}

#[tokio::test]
async fn pagination_is_followed_lazily() {
    let pages = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&pages);
    let client = Client::builder("http://occi.test")
        .unwrap()
        .transport(ServiceTransport::new(service(OcciVersion::V1_2)))
        .observe(move |exchange| {
            if exchange.url.contains("page=") {
                seen.lock().unwrap().push(exchange.url.clone());
            }
        })
        .build();
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(
            client
                .create(&compute(&format!("vm{i}"), 1))
                .await
                .unwrap()
                .value,
        );
    }
    let options = ListOptions {
        page_size: Some(2),
        ..ListOptions::default()
    };
    let mut listed: Vec<Location> = client
        .list(&loc("/compute/"), options.clone())
        .try_collect()
        .await
        .unwrap();
    listed.sort();
    created.sort();
    assert_eq!(listed, created);
    assert_eq!(
        *pages.lock().unwrap(),
        [
            "http://occi.test/compute/?page=1&number=2",
            "http://occi.test/compute/?page=2&number=2",
            "http://occi.test/compute/?page=3&number=2",
        ]
    );
    // Lazily: taking one entry reads one page.
    pages.lock().unwrap().clear();
    let stream = client.list(&loc("/compute/"), options);
    let mut stream = std::pin::pin!(stream);
    let first = stream.try_next().await.unwrap();
    assert!(first.is_some());
    assert_eq!(pages.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn filters_by_attribute_and_category() {
    for media_type in [MediaType::TextPlain, MediaType::OcciJson] {
        let client = in_process(OcciVersion::V1_2, Some(media_type));
        let a = client.create(&compute("a", 1)).await.unwrap().value;
        client.create(&compute("b", 1)).await.unwrap();
        client
            .create(&Entity::Resource(Resource::new(
                infrastructure::network_id(),
            )))
            .await
            .unwrap();
        let by_title = ListOptions {
            filter: Filter {
                attributes: vec![("occi.core.title".parse().unwrap(), "a".into())],
                ..Filter::default()
            },
            page_size: None,
        };
        let listed: Vec<Location> = client
            .list(&loc("/"), by_title)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(listed, std::slice::from_ref(&a), "{media_type}");
        let by_kind = ListOptions {
            filter: Filter {
                categories: vec![infrastructure::compute_id()],
                ..Filter::default()
            },
            page_size: None,
        };
        let listed: Vec<Location> = client.list(&loc("/"), by_kind).try_collect().await.unwrap();
        assert_eq!(listed.len(), 2, "{media_type}: {listed:?}");
    }
}

#[tokio::test]
async fn server_errors_carry_status_message_and_exchange() {
    let client = in_process(OcciVersion::V1_2, Some(MediaType::TextPlain));
    // An attribute of the wrong type: 400 with the server's explanation.
    let mut vm = Resource::new(infrastructure::compute_id());
    vm.attributes
        .insert("occi.compute.cores".parse().unwrap(), "many".into());
    let error = client.create(&Entity::Resource(vm)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Status);
    assert_eq!(error.http_status(), Some(StatusCode::BAD_REQUEST));
    assert!(error.message().contains("occi.compute.cores"), "{error}");
    let exchange = error.exchange().unwrap();
    assert!(
        exchange
            .to_string()
            .contains("> POST http://occi.test/compute/")
    );
    // An unknown Kind is refused before anything is sent.
    let unknown = Resource::new("http://example.com/x#thing".parse().unwrap());
    let error = client.create(&Entity::Resource(unknown)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(error.exchange().is_none());
    // An action that does not apply: 409 from the server.
    let location = client.create(&compute("a", 1)).await.unwrap().value;
    let stop = ActionInvocation::new(infrastructure::compute_stop_id());
    let error = client.trigger(&location, &stop).await.unwrap_err();
    assert_eq!(error.http_status(), Some(StatusCode::CONFLICT), "{error}");
}

#[tokio::test]
async fn client_side_validation_sends_nothing() {
    let sent = Arc::new(Mutex::new(0_usize));
    let count = Arc::clone(&sent);
    let client = Client::builder("http://occi.test")
        .unwrap()
        .transport(ServiceTransport::new(service(OcciVersion::V1_2)))
        .validate(true)
        .observe(move |_| *count.lock().unwrap() += 1)
        .build();
    client.discover().await.unwrap();
    let mut vm = Resource::new(infrastructure::compute_id());
    vm.attributes
        .insert("occi.compute.cores".parse().unwrap(), "many".into());
    let error = client.create(&Entity::Resource(vm)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(error.message().contains("occi.compute.cores"), "{error}");
    assert_eq!(*sent.lock().unwrap(), 1, "only the discovery went out");
}

#[tokio::test]
async fn create_at_a_chosen_path() {
    let client = in_process(OcciVersion::V1_2, None);
    let location = client
        .create_at(&loc("/compute/mine"), &compute("mine", 1))
        .await
        .unwrap();
    assert_eq!(location.value, loc("/compute/mine"));
    assert_eq!(client.get(&location).await.unwrap().title(), Some("mine"));
}

#[tokio::test]
async fn over_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(occi_server::serve(
        listener,
        service(OcciVersion::V1_2),
        async move {
            let _ = stopped.await;
        },
    ));
    for media_type in [
        MediaType::OcciJson,
        MediaType::TextPlain,
        MediaType::TextOcci,
    ] {
        let client = Client::builder(&format!("http://{address}"))
            .unwrap()
            .transport(HttpTransport::without_proxy())
            .format(Format::occi(media_type))
            .build();
        lifecycle(&client, true).await;
        // Entities created by the lifecycle remain; clean up what it left.
        for collection in ["/compute/", "/network/"] {
            client.delete(&loc(collection)).await.unwrap();
        }
    }
    // Auth headers go out (occi-server ignores them).
    let client = Client::builder(&format!("http://{address}"))
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .auth(occi_client::Auth::keystone("token", "tenant"))
        .build();
    client.discover().await.unwrap();
    assert!(
        client
            .model()
            .await
            .unwrap()
            .registry
            .kind(&core::link_id())
            .is_some()
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
