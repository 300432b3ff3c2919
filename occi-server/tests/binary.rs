//! The `occi-server` binary as a child process on loopback: host names in `--listen`, the
//! address named when it is taken, the access log (without colour codes on a pipe, written
//! while requests are served), `--auth` (and the warning without it), `--hash-password`, and
//! HTTPS with `--tls-cert`/`--tls-key`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

const BINARY: &str = env!("CARGO_BIN_EXE_occi-server");

/// A running server: the child and the base URL it printed.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .arg("--memory")
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        // The binary prints what it stores in, then the URL it listens on.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed = String::new();
        let url = loop {
            let mut line = String::new();
            let read = stdout.read_line(&mut line).unwrap();
            printed.push_str(&line);
            if let Some(url) = line
                .split_whitespace()
                .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            {
                break url.to_owned();
            }
            assert!(read > 0, "no URL in {printed:?}");
        };
        Self { child, url }
    }

    fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Stops the server with SIGINT and returns what it logged.
    fn stop(mut self) -> String {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(self.child.wait().unwrap().success());
        let mut log = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        log
    }
}

/// One HTTP/1.1 exchange over plain TCP; returns the whole answer.
fn http(port: u16, method: &str, path: &str, headers: &[&str]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn a_host_name_listens_and_every_request_is_logged_without_colour() {
    let server = Server::start(&["--listen", "localhost:0"]);
    assert!(
        server.url.starts_with("http://localhost:"),
        "{}",
        server.url
    );
    let answer = http(server.port(), "GET", "/compute/", &[]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answer = http(server.port(), "DELETE", "/nowhere/", &[]);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    let log = server.stop();
    assert!(!log.contains('\u{1b}'), "colour codes on a pipe: {log:?}");
    assert!(
        log.contains("every request is served without authentication"),
        "{log}"
    );
    assert!(
        log.contains("method=GET target=/compute/ status=200 micros="),
        "{log}"
    );
    assert!(
        log.contains("method=DELETE target=/nowhere/ status=404 micros="),
        "{log}"
    );
}

#[test]
fn a_request_is_logged_while_the_server_runs_not_only_when_it_stops() {
    let mut server = Server::start(&["--listen", "127.0.0.1:0"]);
    let stderr = server.child.stderr.take().unwrap();
    let (found, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if line.contains("method=GET target=/-/ status=200") {
                let _ = found.send(line);
            }
        }
    });
    let answer = http(server.port(), "GET", "/-/", &[]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let line = seen.recv_timeout(std::time::Duration::from_mins(1));
    let _ = server.child.kill();
    let _ = server.child.wait();
    assert!(line.is_ok(), "no access-log line while the server runs");
}

#[test]
fn an_address_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = Command::new(BINARY)
        .arg("--memory")
        .args(["--listen", &address])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {address}")),
        "{stderr}"
    );

    let output = Command::new(BINARY)
        .arg("--memory")
        .args(["--listen", "no-port-here"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-port-here"));
}

fn hash(password: &str) -> String {
    let mut child = Command::new(BINARY)
        .arg("--hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn auth_file_users_and_tokens() {
    let dir = std::env::temp_dir().join(format!("occi-server-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("auth.toml");
    let hashed = hash("open sesame");
    assert!(hashed.starts_with("$argon2id$"), "{hashed}");
    std::fs::write(
        &file,
        format!(
            "[[bearer]]\ntoken = \"tok\"\nuser = \"ci\"\ntenant = \"acme\"\n\n\
             [[basic]]\nuser = \"alice\"\npassword_hash = \"{hashed}\"\ntenant = \"acme\"\n\n\
             [[x_auth_token]]\ntoken = \"hurtle\"\nuser = \"sm\"\ntenants = [\"acme\"]\n"
        ),
    )
    .unwrap();
    let server = Server::start(&["--listen", "127.0.0.1:0", "--auth", file.to_str().unwrap()]);
    let port = server.port();
    let refused = http(port, "GET", "/-/", &[]);
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(
        refused
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer realm=\"occi\""),
        "{refused}"
    );
    assert!(http(port, "GET", "/-/", &["Authorization: Bearer tok"]).starts_with("HTTP/1.1 200"));
    // alice:open sesame
    let basic = "Authorization: Basic YWxpY2U6b3BlbiBzZXNhbWU=";
    assert!(http(port, "GET", "/-/", &[basic]).starts_with("HTTP/1.1 200"));
    let wrong = http(
        port,
        "GET",
        "/-/",
        &["Authorization: Basic YWxpY2U6b3Blbg=="],
    );
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let hurtle = ["X-Auth-Token: hurtle", "X-Tenant-Name: acme"];
    assert!(http(port, "GET", "/-/", &hurtle).starts_with("HTTP/1.1 200"));
    let foreign = http(
        port,
        "GET",
        "/-/",
        &["X-Auth-Token: hurtle", "X-Tenant-Name: other"],
    );
    assert!(foreign.starts_with("HTTP/1.1 403"), "{foreign}");
    let log = server.stop();
    assert!(log.contains("authentication required"), "{log}");
    assert!(
        log.contains("method=GET target=/-/ status=401"),
        "a refusal is logged: {log}"
    );
    assert!(
        log.contains("1 bearer token(s), 1 Basic user(s), 1 X-Auth-Token(s)"),
        "{log}"
    );
    assert!(!log.contains("tok\""), "a secret in the log: {log}");

    std::fs::write(&file, "[[bearer]]\ntoken = 1\n").unwrap();
    let output = Command::new(BINARY)
        .arg("--memory")
        .args(["--listen", "127.0.0.1:0", "--auth", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auth.toml"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn write_certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key, certified.cert.der().to_vec())
}

#[tokio::test]
async fn https_with_tls_cert_and_tls_key() {
    use occi_server::rustls;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = std::env::temp_dir().join(format!("occi-server-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key, der) = write_certificate(&dir);
    let server = Server::start(&[
        "--listen",
        "localhost:0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(
        server.url.starts_with("https://localhost:"),
        "{}",
        server.url
    );

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(der))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(b"GET /-/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("Category: compute"), "{answer}");
    server.stop();

    let output = Command::new(BINARY)
        .arg("--memory")
        .args(["--tls-cert", cert.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success(), "--tls-cert without --tls-key");
    std::fs::remove_dir_all(&dir).unwrap();
}
