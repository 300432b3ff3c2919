//! HTTPS: the client against occi-server behind rustls on loopback, with a certificate made
//! by the test and trusted as a root.

#![cfg(feature = "rustls")]

use std::sync::Arc;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use occi_client::{Client, ErrorKind, HttpTransport};
use occi_model::ext::infrastructure;
use occi_model::{Entity, OcciVersion, Registry, Resource};
use occi_server::{Occi, OcciService};

/// Serves occi-server over TLS for `localhost`; returns the port and the certificate (PEM).
async fn tls_server() -> (u16, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = certified.cert.pem();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![certified.cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).unwrap();
    let service = OcciService::new(Occi::builder().registry(registry).build().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let service = service.clone();
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    (port, pem)
}

#[tokio::test]
async fn https_with_a_trusted_root() {
    let (port, pem) = tls_server().await;
    let transport = HttpTransport::without_proxy()
        .add_root_certificates(pem.as_bytes())
        .unwrap();
    let client = Client::builder(&format!("https://localhost:{port}"))
        .unwrap()
        .transport(transport)
        .build();
    let location = client
        .create(&Entity::Resource(Resource::new(
            infrastructure::compute_id(),
        )))
        .await
        .unwrap()
        .value;
    assert!(location.as_str().starts_with("/compute/"), "{location}");
    client.get(&location).await.unwrap();
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_transport_error() {
    let (port, _) = tls_server().await;
    let client = Client::builder(&format!("https://localhost:{port}"))
        .unwrap()
        .transport(HttpTransport::without_proxy())
        .retries(0, std::time::Duration::ZERO)
        .build();
    let error = client.discover().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport);
    assert!(error.message().contains("certificate"), "{error}");
}

#[test]
fn pem_without_certificates_is_refused() {
    let error = HttpTransport::without_proxy()
        .add_root_certificates(b"not a certificate")
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Invalid);
}
