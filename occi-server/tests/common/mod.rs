//! Shared helpers of the integration tests: the infrastructure server, request builders
//! and store snapshots.
#![allow(dead_code, unreachable_pub)]

use bytes::Bytes;
use http::{Request, Response};
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{OcciVersion, Registry};
use occi_server::{InMemoryStore, Occi, Scan, Scope, SimulatedActions, Store, Stored};

/// The server under test.
pub type Server = Occi<InMemoryStore, SimulatedActions>;

pub const COMPUTE: &str =
    r#"Category: compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#;
pub const STORAGE: &str =
    r#"Category: storage; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#;
pub const NETWORK: &str =
    r#"Category: network; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind""#;
pub const START: &str = r#"Category: start; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action""#;
pub const STOP: &str = r#"Category: stop; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action""#;

/// The infrastructure model with the CRTP templates, in `version`.
pub fn registry(version: OcciVersion) -> Registry {
    let mut registry = Registry::new(version);
    infrastructure::register(&mut registry).unwrap();
    infrastructure::register_crtp_templates(&mut registry).unwrap();
    registry
}

/// An OCCI 1.2 infrastructure server with simulated actions.
pub fn server() -> Server {
    server_of(OcciVersion::V1_2)
}

pub fn server_of(version: OcciVersion) -> Server {
    Occi::builder()
        .registry(registry(version))
        .actions(SimulatedActions)
        .base_url("http://occi.test")
        .unwrap()
        .max_page_size(50)
        .build()
        .unwrap()
}

/// Runs a future whose every await is ready at once (the in-memory store).
pub fn block<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the in-memory server is always ready"),
    }
}

/// A request builder: method, target, headers, body.
pub struct Req {
    builder: http::request::Builder,
    body: Bytes,
}

pub fn req(method: &str, uri: &str) -> Req {
    Req {
        builder: Request::builder().method(method).uri(uri),
        body: Bytes::new(),
    }
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    pub fn accept(self, value: &str) -> Self {
        self.header("accept", value)
    }

    /// A text/plain body.
    pub fn plain(self, body: &str) -> Self {
        self.header("content-type", "text/plain").body(body)
    }

    /// An application/occi+json body.
    pub fn json(self, body: &str) -> Self {
        self.header("content-type", "application/occi+json")
            .body(body)
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = Bytes::from(body.to_owned());
        self
    }

    pub fn build(self) -> Request<Bytes> {
        self.builder.body(self.body).unwrap()
    }

    /// Sends the request through `Occi::handle`.
    pub fn send(self, server: &Server) -> Resp {
        Resp(block(server.handle(self.build())))
    }
}

/// A response with convenient accessors.
#[derive(Debug)]
pub struct Resp(pub Response<Bytes>);

impl Resp {
    pub fn status(&self) -> u16 {
        self.0.status().as_u16()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.0.body()).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.0
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    pub fn headers_all(&self, name: &str) -> Vec<String> {
        self.0
            .headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The `Location` header as a path under the test base URL.
    pub fn location(&self) -> String {
        let l = self.header("location").expect("a Location header");
        l.strip_prefix("http://occi.test")
            .unwrap_or_else(|| panic!("{l} is not under the base URL"))
            .to_owned()
    }

    /// Asserts the status and that the body mentions each of `needles`.
    #[track_caller]
    pub fn expect(&self, status: u16, needles: &[&str]) -> &Self {
        assert_eq!(self.status(), status, "body: {}", self.text());
        let text = self.text();
        for n in needles {
            assert!(text.contains(n), "{n:?} not in the {status} body: {text}");
        }
        self
    }

    /// The absolute locations of a text/plain listing, as paths.
    pub fn listed(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter_map(|l| l.strip_prefix("X-OCCI-Location: "))
            .map(|l| l.trim().trim_start_matches("http://occi.test").to_owned())
            .collect()
    }
}

/// Everything in the store.
pub fn snapshot(server: &Server) -> Vec<Stored> {
    block(server.store().scan(&Scan::new(Scope::All))).unwrap()
}

/// Creates a compute through the server and returns its path.
pub fn create_compute(server: &Server, title: &str) -> String {
    let r = req("POST", "/compute/")
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"{title}\"\n"
        ))
        .send(server);
    assert_eq!(r.status(), 201, "{}", r.text());
    r.location()
}

pub fn create_of(server: &Server, collection: &str, category: &str) -> String {
    let r = req("POST", collection)
        .plain(&format!("{category}\n"))
        .send(server);
    assert_eq!(r.status(), 201, "{}", r.text());
    r.location()
}

/// Asserts the request fails and changes nothing in the store.
#[track_caller]
pub fn fails_unchanged(server: &Server, request: Req, status: u16, needles: &[&str]) -> Resp {
    let before = snapshot(server);
    let registry_before = server.registry().len();
    let r = request.send(server);
    r.expect(status, needles);
    assert_eq!(
        snapshot(server),
        before,
        "a failing request changed the store"
    );
    assert_eq!(
        server.registry().len(),
        registry_before,
        "a failing request changed the registry"
    );
    r
}

/// An infrastructure server (OCCI 1.2, simulated actions, base URL `http://occi.test`) on
/// `store`.
pub fn server_over<S: occi_server::Store>(store: S) -> Occi<S, SimulatedActions> {
    Occi::builder()
        .registry(registry(OcciVersion::V1_2))
        .store(store)
        .actions(SimulatedActions)
        .base_url("http://occi.test")
        .unwrap()
        .build()
        .unwrap()
}

/// The test database's URL, from `OCCI_TEST_POSTGRES_URL`; without it, a failure that says
/// how to start one (tests never skip silently).
pub fn postgres_url() -> String {
    std::env::var("OCCI_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "OCCI_TEST_POSTGRES_URL is not set. Start a database and point the variable at it, e.g.\n  \
             initdb -D /tmp/pg && pg_ctl -D /tmp/pg -o '-p 55432 -c listen_addresses=127.0.0.1' start\n  \
             createdb -h 127.0.0.1 -p 55432 occi_test\n  \
             OCCI_TEST_POSTGRES_URL=postgres://$USER@127.0.0.1:55432/occi_test cargo test -p occi-server --test store_postgres -- --include-ignored\n\
             or run .ci/storage.sh, which does all of this."
        )
    })
}

static SCHEMAS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The URL of a new, empty schema of the test database (the tables of one test apart from
/// every other's).
pub async fn postgres_schema(tag: &str) -> String {
    let base = postgres_url();
    let schema = format!(
        "t_{tag}_{}_{}",
        std::process::id(),
        SCHEMAS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {base}: {e}"));
    let connection = tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .await
        .unwrap();
    drop(client);
    let _ = connection.await;
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// [`postgres_schema`] from synchronous code.
pub fn postgres_schema_blocking(tag: &str) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(postgres_schema(tag))
}

/// An `occi-server` binary started on loopback; killed (SIGKILL) when dropped.
pub struct Binary {
    pub child: std::process::Child,
    /// `HOST:PORT`
    pub addr: String,
    /// The line that says which store it serves from.
    pub store_line: String,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the `occi-server` binary with `args` (its store flags) on a free loopback port.
#[cfg(feature = "cli")]
pub fn start_binary(args: &[std::ffi::OsString]) -> Binary {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_occi-server"))
        .args(["--listen", "127.0.0.1:0", "--log", "error"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("occi-server starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut store_line = String::new();
    let addr = loop {
        let line = lines
            .next()
            .expect("occi-server printed where it listens (it started)")
            .expect("readable stdout");
        if line.starts_with("occi-server store: ") {
            store_line.clone_from(&line);
        }
        if let Some(rest) = line.strip_prefix("occi-server listening on http://") {
            break rest
                .split_whitespace()
                .next()
                .expect("an address")
                .to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Binary {
        child,
        addr,
        store_line,
    }
}

/// One HTTP/1.1 exchange with a text/plain body: the status and the `Location` path (or,
/// without one, the body); `None` when the connection failed (the answer is unknown).
pub fn http_exchange(
    addr: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Option<(u16, String, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let location = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            if !name.eq_ignore_ascii_case("location") {
                return None;
            }
            let rest = &value.trim()[value.trim().find("//")? + 2..];
            Some(rest[rest.find('/')?..].to_owned())
        })
        .unwrap_or_default();
    Some((status, location, body.to_owned()))
}
