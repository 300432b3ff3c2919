//! Connection hygiene of `serve`, over real sockets on loopback: slow and half-open clients
//! are cut by the header-read and idle timeouts, the connection cap holds them back without
//! locking anyone out, and HTTPS works with a certificate made for the test.
//!
//! No assertion depends on how fast the machine is: every wait is for an event (a response,
//! a closed connection); the outer limit only turns a hang into a failure.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use occi_server::{Occi, OcciService, ServeConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Far longer than any of these tests needs; only a hang reaches it.
const HANG: Duration = Duration::from_mins(2);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not happen"))
}

/// A server with `config` on a free loopback port; dropping the sender stops it.
async fn start(config: ServeConfig) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let occi = Occi::builder()
        .base_url(&format!("http://{addr}"))
        .unwrap()
        .build()
        .unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        config
            .serve(listener, OcciService::new(occi), async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (addr, stop)
}

const QUERY: &[u8] =
    b"GET /-/ HTTP/1.1\r\nHost: test\r\nAccept: text/plain\r\nConnection: close\r\n\r\n";

/// Sends `request` and reads until the server closes the connection.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, request: &[u8]) -> String {
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// Reads until the server closes the connection (or resets it); returns what came.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got).await;
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_while_others_are_served() {
    let config = ServeConfig::new()
        .header_read_timeout(Duration::from_millis(500))
        .idle_timeout(Duration::from_mins(10));
    let (addr, _stop) = start(config).await;

    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /-/ HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();

    let fast = TcpStream::connect(addr).await.unwrap();
    let answer = within("the fast client's answer", exchange(fast, QUERY)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Category: "), "{answer}");

    let got = within("the slow client's disconnection", until_closed(&mut slow)).await;
    assert!(
        !String::from_utf8_lossy(&got).contains(" 200 "),
        "the slow client was answered: {got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_and_an_idle_keep_alive_connection_are_closed() {
    let config = ServeConfig::new()
        .header_read_timeout(Duration::from_mins(10))
        .idle_timeout(Duration::from_millis(300));
    let (addr, _stop) = start(config).await;

    let mut silent = TcpStream::connect(addr).await.unwrap();
    let got = within("closing the silent connection", until_closed(&mut silent)).await;
    assert!(got.is_empty(), "{got:?}");

    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /-/ HTTP/1.1\r\nHost: test\r\nAccept: text/plain\r\n\r\n")
        .await
        .unwrap();
    let got = within(
        "closing the idle keep-alive connection",
        until_closed(&mut kept),
    )
    .await;
    let got = String::from_utf8_lossy(&got);
    assert!(
        got.starts_with("HTTP/1.1 200"),
        "the request was answered first: {got}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_half_open_connections_do_not_lock_out_a_new_client_under_a_cap_of_64() {
    let config = ServeConfig::new()
        .max_connections(64)
        .header_read_timeout(Duration::from_millis(300))
        .idle_timeout(Duration::from_millis(300));
    let (addr, _stop) = start(config).await;

    let mut attackers = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /-/ HTTP/1.1\r\n").await.unwrap();
        attackers.push(stream);
    }
    let client = TcpStream::connect(addr).await.unwrap();
    let answer = within("the new client's answer", exchange(client, QUERY)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Every attacker was cut, none answered; they were held back by the cap meanwhile.
    for mut attacker in attackers {
        let got = within(
            "closing a half-open connection",
            until_closed(&mut attacker),
        )
        .await;
        assert!(!String::from_utf8_lossy(&got).contains(" 200 "));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_certificate_made_for_the_test() {
    use occi_server::rustls;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let (addr, _stop) = start(ServeConfig::new().tls(Arc::new(server))).await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = within("the TLS handshake", connector.connect(name, tcp))
        .await
        .unwrap();
    let answer = within("the answer over TLS", exchange(tls, QUERY)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Category: "), "{answer}");

    // Plain HTTP on the TLS port is not answered as HTTP.
    let plain = TcpStream::connect(addr).await.unwrap();
    let answer = within("refusing plain HTTP", exchange(plain, QUERY)).await;
    assert!(!answer.contains(" 200 "), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_a_new_connection_waits_until_one_closes() {
    let config = ServeConfig::new()
        .max_connections(4)
        .header_read_timeout(Duration::from_mins(10))
        .idle_timeout(Duration::from_mins(10));
    let (addr, _stop) = start(config).await;
    let mut holders = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /-/ HTTP/1.1\r\n").await.unwrap();
        holders.push(stream);
    }
    let mut waiting = TcpStream::connect(addr).await.unwrap();
    waiting.write_all(QUERY).await.unwrap();
    // Not answered while the cap is reached. (On a very slow machine an uncapped server
    // might also stay silent this long, so this can only pass wrongly, never fail wrongly.)
    let mut first = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(300), waiting.read(&mut first)).await;
    assert!(early.is_err(), "answered beyond the cap: {early:?}");
    drop(holders.pop());
    let got = within("the answer once a slot is free", until_closed(&mut waiting)).await;
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
}
