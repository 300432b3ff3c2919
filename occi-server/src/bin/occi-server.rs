//! `occi-server`: the OCCI infrastructure model on a durable store (SQLite in a data
//! directory by default), with simulated compute, storage and network behaviour behind the
//! actions.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use occi_server::auth::{AuthFile, AuthLayer};
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{Location, Mixin, OcciVersion, Registry};
use occi_server::store::{
    DynStore, InMemoryStore, PostgresStore, SqliteStore, backup, restore_mixins,
};
use occi_server::{Occi, OcciService, ServeConfig, SimulatedActions};
use tower_layer::Layer;

/// Serve the OCCI infrastructure model (compute, storage, network and their links) over
/// HTTP. Everything is kept in an SQLite database in the data directory (--data), so a
/// restart keeps it; --store postgres://… keeps it in a PostgreSQL database that many
/// replicas share; --memory keeps nothing. Actions move entities through their state
/// machines (start takes an inactive compute to active, and so on), so every OCCI operation
/// can be tried with curl on a machine with no cloud behind it. Stop it with Ctrl-C.
// These doc comments are the --help text, printed as they are, not Markdown.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Parser)]
#[command(name = "occi-server", version, about, long_about)]
struct Args {
    /// Address (or host name) and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    listen: String,

    /// OCCI version to implement: 1.1 or 1.2.
    #[arg(long = "occi-version", default_value = "1.2", value_parser = parse_version, value_name = "VERSION")]
    occi_version: OcciVersion,

    /// Absolute URL clients reach the server at, used in Location headers and listings
    /// [default: http://ADDR:PORT of --listen].
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,

    /// Largest request body accepted, in bytes (413 above).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    body_limit: usize,

    /// Largest page a client may ask for with ?number= (413 above).
    #[arg(long, default_value_t = 1000, value_name = "ENTRIES")]
    max_page_size: u64,

    /// Parse requests strictly (reject what the grammar does not allow) instead of
    /// leniently (accept what real peers send and log the deviations).
    #[arg(long)]
    strict: bool,

    /// Log filter, in tracing-subscriber's EnvFilter syntax (also read from RUST_LOG).
    /// At "info" every request gets an access-log line (method, path, status, time).
    #[arg(long, default_value = "info", value_name = "FILTER")]
    log: String,

    #[command(flatten)]
    edge: Edge,

    /// Data directory: the SQLite database occi.sqlite3 is kept there, and every
    /// acknowledged write is on disk [default: occi-data/VERSION, under the current
    /// directory, VERSION being the OCCI version].
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,

    /// Keep everything in memory: nothing survives a restart (the same as --store memory).
    #[arg(long, global = true, conflicts_with_all = ["data", "store"])]
    memory: bool,

    /// The store, named by URL: postgres://USER@HOST:PORT/DATABASE (a PostgreSQL database
    /// that any number of occi-server replicas share; postgresql:// too, with the usual
    /// libpq parameters), sqlite:PATH (one SQLite database file) or memory. Without it,
    /// the SQLite database of --data is used.
    #[arg(long, global = true, conflicts_with = "data", value_parser = parse_store, value_name = "URL")]
    store: Option<StoreUrl>,

    #[command(subcommand)]
    command: Option<Command>,
}

/// Authentication, TLS and connection limits.
// These doc comments are the --help text, printed as they are, not Markdown.
#[allow(clippy::doc_markdown)]
#[derive(Debug, clap::Args)]
struct Edge {
    /// Require authentication with the tokens and users of this TOML file: [[bearer]]
    /// (token, user, tenant), [[basic]] (user, password_hash, tenant), [[x_auth_token]]
    /// (token, user, tenants) or [keystone] (url); read_only = true allows only GET and
    /// HEAD. Without it every request is served unauthenticated.
    #[arg(long, value_name = "FILE")]
    auth: Option<PathBuf>,

    /// Read a password from standard input, print its argon2 hash for a [[basic]] entry of
    /// the --auth file, and exit.
    #[arg(long)]
    hash_password: bool,

    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Most connections open at once; more wait until one closes.
    #[arg(long, default_value_t = 512, value_name = "COUNT")]
    max_connections: usize,

    /// Seconds a client may take to send a request's headers.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    header_timeout: u64,

    /// Seconds a connection may stay silent before it is closed.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    idle_timeout: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the whole state (entities, owners, stored Mixins) as one OCCI 1.2 JSON
    /// document, to FILE or to standard output.
    Export {
        /// Where to write [default: standard output].
        file: Option<PathBuf>,
    },
    /// Store every entity and Mixin of a document written by export (nothing may exist
    /// yet at its entities' locations).
    Import {
        /// The document.
        file: PathBuf,
    },
}

/// A store named by `--store`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StoreUrl {
    /// `memory`
    Memory,
    /// `sqlite:PATH`
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`
    Postgres(String),
}

fn parse_store(s: &str) -> Result<StoreUrl, String> {
    if s == "memory" {
        Ok(StoreUrl::Memory)
    } else if let Some(path) = s.strip_prefix("sqlite:") {
        if path.is_empty() {
            Err("sqlite: needs the path of the database file (sqlite:PATH)".into())
        } else {
            Ok(StoreUrl::Sqlite(PathBuf::from(path)))
        }
    } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Ok(StoreUrl::Postgres(s.to_owned()))
    } else {
        Err(format!(
            "{s:?} names no store: use postgres://USER@HOST:PORT/DATABASE, sqlite:PATH or memory"
        ))
    }
}

/// A PostgreSQL URL without its password, for the start-up line.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// The store the flags choose, and what to call it at start-up.
async fn open_store(
    args: &Args,
) -> Result<(Arc<dyn DynStore>, String), Box<dyn std::error::Error>> {
    let memory = || -> (Arc<dyn DynStore>, String) {
        (
            Arc::new(InMemoryStore::new()),
            "in memory (nothing survives a restart)".into(),
        )
    };
    if args.memory {
        return Ok(memory());
    }
    match &args.store {
        Some(StoreUrl::Memory) => return Ok(memory()),
        Some(StoreUrl::Sqlite(path)) => {
            let store = SqliteStore::open(path)?;
            let described = format!("SQLite at {} (durable)", store.path().display());
            return Ok((Arc::new(store), described));
        }
        Some(StoreUrl::Postgres(url)) => {
            let store = PostgresStore::connect(url).await?;
            let described = format!("PostgreSQL at {} (durable, shared)", without_password(url));
            return Ok((Arc::new(store), described));
        }
        None => {}
    }
    let dir = args.data.clone().unwrap_or_else(|| {
        PathBuf::from("occi-data").join(match args.occi_version {
            OcciVersion::V1_1 => "1.1",
            OcciVersion::V1_2 => "1.2",
        })
    });
    let store = SqliteStore::open_dir(&dir)?;
    let described = format!("SQLite at {} (durable)", store.path().display());
    Ok((Arc::new(store), described))
}

fn parse_version(s: &str) -> Result<OcciVersion, String> {
    match s {
        "1.1" => Ok(OcciVersion::V1_1),
        "1.2" => Ok(OcciVersion::V1_2),
        other => Err(format!("unknown OCCI version {other:?}; use 1.1 or 1.2")),
    }
}

/// The provider scheme of the OS templates this server offers.
const OS_SCHEME: &str = "http://schemas.occi-rs.example/templates/os#";

/// The infrastructure model, the compute resource templates (CRTP) and two OS templates.
fn model(version: OcciVersion) -> Result<Registry, Box<dyn std::error::Error>> {
    let mut registry = Registry::new(version);
    infrastructure::register(&mut registry)?;
    infrastructure::register_crtp_templates(&mut registry)?;
    for (term, title) in [
        ("debian-12", "Debian 12 (bookworm)"),
        ("ubuntu-24.04", "Ubuntu 24.04 LTS"),
    ] {
        let term = if version == OcciVersion::V1_1 {
            term.replace('.', "-")
        } else {
            term.to_owned()
        };
        registry.register_mixin(
            Mixin::new(format!("{OS_SCHEME}{term}").parse()?)
                .with_title(title)
                .with_depends(infrastructure::os_tpl_id())
                .with_location(Location::new(&format!("/os_tpl/{term}/"))?),
        )?;
    }
    Ok(registry)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = model(args.occi_version)?;
    let (store, described) = open_store(&args).await?;
    match &args.command {
        None => {}
        Some(Command::Export { file }) => {
            let document = backup::export(&store).await?;
            if let Some(file) = file {
                std::fs::write(file, document)?;
            } else {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                out.write_all(document.as_bytes())?;
                out.write_all(b"\n")?;
            }
            return Ok(());
        }
        Some(Command::Import { file }) => {
            let document = std::fs::read(file)?;
            let imported = backup::import(&store, &document).await?;
            eprintln!(
                "occi-server: imported {} entities and {} Mixins into {described}",
                imported.entities, imported.mixins
            );
            return Ok(());
        }
    }
    let restored = restore_mixins(&store, &mut registry).await?;
    let edge = EdgeSetup::new(&args.edge)?;
    let (listener, host) = listen(&args.listen).await?;
    let bound = listener.local_addr()?;
    let base_url = args
        .base_url
        .unwrap_or_else(|| format!("{}://{host}:{}", edge.scheme(), bound.port()));
    let occi = Occi::builder()
        .registry(registry)
        .store(store)
        .actions(SimulatedActions)
        .base_url(&base_url)?
        .body_limit(args.body_limit)
        .max_page_size(args.max_page_size)
        .strict(args.strict)
        .claim_profile(match args.occi_version {
            OcciVersion::V1_1 => "OCCI-CRTP/1.0",
            OcciVersion::V1_2 => "OCCI-CRTP/1.1",
        })
        .build()?;
    tracing::info!(
        version = %args.occi_version,
        categories = occi.registry().len(),
        restored_mixins = restored,
        "serving the OCCI infrastructure model"
    );
    println!("occi-server store: {described}");
    println!(
        "occi-server listening on {base_url} (OCCI {}); query interface: {base_url}/-/",
        args.occi_version
    );
    edge.serve(listener, OcciService::new(occi)).await?;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.edge.hash_password {
        return print_password_hash();
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&args.log));
    let filter = match filter {
        Ok(f) => f,
        Err(error) => {
            eprintln!("occi-server: invalid --log filter: {error}");
            return ExitCode::from(2);
        }
    };
    let (sink, log_writer) = log_sink::stderr();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(error) => {
            drop(log_writer);
            eprintln!("occi-server: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let ran = runtime.block_on(run(args));
    drop(runtime);
    // Everything logged is written before the exit message and the exit.
    drop(log_writer);
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("occi-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The log's way to standard error. Formatted lines gather in a buffer, which is written
/// in one write when it holds [`log_sink::BATCH`] bytes, and otherwise every
/// [`log_sink::INTERVAL`] by a thread that sleeps in between: one write for many access-log
/// lines under load, where writing each line itself cost every request a system call (the
/// largest part of the access log's cost). No line is dropped, and lines stay in the order
/// they were logged; a line waits at most [`log_sink::INTERVAL`]. Dropping the
/// [`log_sink::LogWriter`] writes what is left and stops the thread; lines logged after that
/// are written as they come.
mod log_sink {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, MutexGuard};
    use std::thread::JoinHandle;
    use std::time::Duration;

    /// Bytes gathered before they are written at once.
    pub(super) const BATCH: usize = 16 * 1024;
    /// The longest a line waits before it is written.
    pub(super) const INTERVAL: Duration = Duration::from_millis(50);

    /// What lines are written to: standard error, or a stand-in in the tests.
    type Out = Box<dyn Write + Send>;

    struct State {
        pending: Vec<u8>,
        out: Out,
        /// Set when the [`LogWriter`] is dropped: from then on every line is written at once.
        closed: bool,
    }

    impl State {
        fn write_pending(&mut self) {
            // As before, a log that cannot be written is not an error of the server's.
            let _ = self.out.write_all(&self.pending);
            let _ = self.out.flush();
            self.pending.clear();
        }
    }

    struct Shared {
        state: Mutex<State>,
        stop: AtomicBool,
    }

    impl Shared {
        fn lock(&self) -> MutexGuard<'_, State> {
            self.state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    /// What tracing-subscriber writes formatted events to.
    #[derive(Clone)]
    pub(super) struct LogSink {
        shared: Arc<Shared>,
    }

    /// The thread that writes gathered lines every [`INTERVAL`]; dropping it writes what is
    /// left.
    pub(super) struct LogWriter {
        shared: Arc<Shared>,
        thread: Option<JoinHandle<()>>,
    }

    /// A sink gathering lines for standard error.
    pub(super) fn stderr() -> (LogSink, LogWriter) {
        sink_to(Box::new(std::io::stderr()))
    }

    pub(super) fn sink_to(out: Out) -> (LogSink, LogWriter) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pending: Vec::with_capacity(BATCH),
                out,
                closed: false,
            }),
            stop: AtomicBool::new(false),
        });
        let writer = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                while !writer.stop.load(Ordering::Acquire) {
                    std::thread::park_timeout(INTERVAL);
                    let mut state = writer.lock();
                    if !state.pending.is_empty() {
                        state.write_pending();
                    }
                }
            })
            .ok();
        if thread.is_none() {
            // No thread to write late lines: every line is written as it comes.
            shared.lock().closed = true;
        }
        (
            LogSink {
                shared: Arc::clone(&shared),
            },
            LogWriter { shared, thread },
        )
    }

    impl Drop for LogWriter {
        fn drop(&mut self) {
            self.shared.stop.store(true, Ordering::Release);
            if let Some(thread) = self.thread.take() {
                thread.thread().unpark();
                let _ = thread.join();
            }
            let mut state = self.shared.lock();
            state.closed = true;
            state.write_pending();
        }
    }

    impl Write for &LogSink {
        fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
            let mut state = self.shared.lock();
            state.pending.extend_from_slice(line);
            if state.closed || state.pending.len() >= BATCH {
                state.write_pending();
            }
            Ok(line.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
        type Writer = &'a LogSink;

        fn make_writer(&'a self) -> Self::Writer {
            self
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// A writer into a shared buffer, standing in for standard error; counts writes.
        #[derive(Clone, Default)]
        struct Captured(Arc<Mutex<(Vec<u8>, usize)>>);

        impl Write for Captured {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                let mut captured = self.0.lock().unwrap();
                captured.0.extend_from_slice(bytes);
                captured.1 += 1;
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl Captured {
            fn text(&self) -> String {
                String::from_utf8(self.0.lock().unwrap().0.clone()).unwrap()
            }
            fn writes(&self) -> usize {
                self.0.lock().unwrap().1
            }
        }

        #[test]
        fn a_line_is_written_within_the_interval_without_waiting_for_more() {
            let captured = Captured::default();
            let (sink, writer) = sink_to(Box::new(captured.clone()));
            (&sink).write_all(b"one line\n").unwrap();
            let deadline = std::time::Instant::now() + Duration::from_mins(1);
            while captured.text().is_empty() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the line was held back"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
            assert_eq!(captured.text(), "one line\n");
            drop(writer);
        }

        #[test]
        fn many_loggers_lines_are_written_whole_in_order_and_in_few_writes() {
            let captured = Captured::default();
            let (sink, writer) = sink_to(Box::new(captured.clone()));
            let loggers: Vec<_> = (0..4)
                .map(|t| {
                    let sink = sink.clone();
                    std::thread::spawn(move || {
                        for i in 0..2000 {
                            let line = format!("{t} {i:05} {}\n", "x".repeat(100));
                            (&sink).write_all(line.as_bytes()).unwrap();
                        }
                    })
                })
                .collect();
            for logger in loggers {
                logger.join().unwrap();
            }
            drop(writer);
            let all = captured.text();
            let lines: Vec<&str> = all.lines().collect();
            assert_eq!(lines.len(), 8000);
            for t in 0..4 {
                let mine: Vec<usize> = lines
                    .iter()
                    .filter(|l| l.starts_with(&format!("{t} ")))
                    .map(|l| l[2..7].parse().unwrap())
                    .collect();
                assert_eq!(mine, (0..2000).collect::<Vec<_>>());
            }
            // About 860 kB in 16 KiB writes, plus those of the interval.
            assert!(captured.writes() < 1000, "{} writes", captured.writes());
        }

        #[test]
        fn the_rest_is_written_when_the_writer_stops_and_later_lines_at_once() {
            let captured = Captured::default();
            let (sink, writer) = sink_to(Box::new(captured.clone()));
            (&sink).write_all(b"before\n").unwrap();
            drop(writer);
            assert_eq!(captured.text(), "before\n");
            (&sink).write_all(b"after\n").unwrap();
            assert_eq!(captured.text(), "before\nafter\n");
        }
    }
}

/// Binds `spec` (`HOST:PORT`, the host a name or an address) to the first of its addresses
/// that can be bound; returns the listener and the host as clients should name it.
async fn listen(spec: &str) -> Result<(tokio::net::TcpListener, String), String> {
    let addresses: Vec<_> = tokio::net::lookup_host(spec)
        .await
        .map_err(|e| format!("cannot listen on {spec}: {e} (expected HOST:PORT)"))?
        .collect();
    let mut failure = format!("cannot listen on {spec}: it resolves to no address");
    for address in addresses {
        match tokio::net::TcpListener::bind(address).await {
            Ok(listener) => {
                let host = spec.rsplit_once(':').map_or(spec, |(host, _)| host);
                return Ok((listener, host.to_owned()));
            }
            Err(error) => failure = format!("cannot listen on {address} ({spec}): {error}"),
        }
    }
    Err(failure)
}

/// `--hash-password`: one line from standard input, hashed.
fn print_password_hash() -> ExitCode {
    let mut password = String::new();
    if let Err(error) = std::io::stdin().read_line(&mut password) {
        eprintln!("occi-server: cannot read the password: {error}");
        return ExitCode::FAILURE;
    }
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        eprintln!("occi-server: the password is empty");
        return ExitCode::from(2);
    }
    println!("{}", occi_server::auth::hash_password(password));
    ExitCode::SUCCESS
}

/// What stands between the network and the OCCI service: TLS, connection limits and
/// authentication.
struct EdgeSetup {
    config: ServeConfig,
    auth: Option<AuthFile>,
    tls: bool,
}

impl EdgeSetup {
    fn new(edge: &Edge) -> Result<Self, Box<dyn std::error::Error>> {
        let mut config = ServeConfig::new()
            .max_connections(edge.max_connections)
            .header_read_timeout(Duration::from_secs(edge.header_timeout))
            .idle_timeout(Duration::from_secs(edge.idle_timeout));
        let tls = match (&edge.tls_cert, &edge.tls_key) {
            (Some(cert), Some(key)) => {
                config = config.tls(tls_config(cert, key)?);
                true
            }
            _ => false,
        };
        let auth = edge.auth.as_ref().map(AuthFile::load).transpose()?;
        if let (Some(file), Some(path)) = (&auth, &edge.auth) {
            tracing::info!(
                file = %path.display(),
                credentials = %file.summary(),
                "authentication required"
            );
        } else {
            tracing::warn!("no --auth file: every request is served without authentication");
        }
        Ok(Self { config, auth, tls })
    }

    fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }

    async fn serve(
        self,
        listener: tokio::net::TcpListener,
        service: OcciService<Arc<dyn DynStore>, SimulatedActions>,
    ) -> std::io::Result<()> {
        // The server core logs every request it answers (target occi_server::access) and
        // the authentication layer every request it refuses, both at info.
        if let Some(file) = self.auth {
            let service = AuthLayer::new(file.into_scheme()).layer(service);
            self.config
                .serve(listener, service, shutdown_signal())
                .await
        } else {
            self.config
                .serve(listener, service, shutdown_signal())
                .await
        }
    }
}

/// The rustls configuration of `--tls-cert` and `--tls-key`, offering HTTP/2 and 1.1.
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<std::sync::Arc<occi_server::rustls::ServerConfig>, String> {
    use occi_server::rustls;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {}: no certificate in it",
            cert.display()
        ));
    }
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| format!("--tls-cert and --tls-key do not go together: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(std::sync::Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::{StoreUrl, parse_store, without_password};
    use std::path::PathBuf;

    #[test]
    fn store_urls_name_a_store_or_say_what_is_wrong() {
        assert_eq!(parse_store("memory"), Ok(StoreUrl::Memory));
        assert_eq!(
            parse_store("sqlite:/var/lib/occi/occi.sqlite3"),
            Ok(StoreUrl::Sqlite(PathBuf::from(
                "/var/lib/occi/occi.sqlite3"
            )))
        );
        for url in ["postgres://u@127.0.0.1:5432/occi", "postgresql://h/db"] {
            assert_eq!(parse_store(url), Ok(StoreUrl::Postgres(url.to_owned())));
        }
        assert!(parse_store("sqlite:").unwrap_err().contains("sqlite:PATH"));
        assert!(
            parse_store("mysql://x")
                .unwrap_err()
                .contains("names no store")
        );
    }

    #[test]
    fn the_start_up_line_shows_no_password() {
        assert_eq!(
            without_password("postgres://occi:s3cret@db:5432/occi?sslmode=disable"),
            "postgres://occi@db:5432/occi?sslmode=disable"
        );
        assert_eq!(
            without_password("postgres://occi@db/occi"),
            "postgres://occi@db/occi"
        );
        assert_eq!(without_password("postgres://db/occi"), "postgres://db/occi");
    }
}
