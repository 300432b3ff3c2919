//! `occi-hurtle`: Hurtle's Service Orchestrator (`so`), Cloud Controller (`cc`) and Service
//! Manager (`sm`) on occi-rs.

// The doc comments of the argument structs are the --help text, printed as they are, not
// Markdown.
#![allow(clippy::doc_markdown)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use occi_hurtle::cc::{self, AnyStore, ProcessDeployer};
use occi_hurtle::shutdown_signal;
use occi_hurtle::sm::{self, Manifest, ServiceParams, SmConfig, Timings, TokenCheck, Tokens};
use occi_hurtle::so::{self, SimulatedStack, SimulatedTimings, StackSo};
use occi_server::serve;
use occi_server::store::SqliteStore;
use occi_server::{DynStore, InMemoryStore};
use tokio::net::TcpListener;

/// Hurtle's components on occi-rs, speaking the wire dialect of the Python originals.
#[derive(Debug, Parser)]
#[command(name = "occi-hurtle", version, about)]
struct Cli {
    #[command(subcommand)]
    component: Component,
}

#[derive(Debug, Subcommand)]
enum Component {
    /// The sample Service Orchestrator over a simulated stack: Kind orchestrator, resource
    /// /orchestrator/default, actions deploy and provision; 403 without X-Auth-Token and
    /// X-Tenant-Name.
    So(SoArgs),
    /// The Cloud Controller: Kind app, each app an `occi-hurtle so` child process on a free
    /// loopback port; 401 without an Authorization header.
    Cc(CcArgs),
    /// The Service Manager: offers the service of a Hurtle manifest; each instance is an SO
    /// the CC deploys, driven through activate, deploy and provision in the background.
    /// Reaches the CC and SOs through HTTP_PROXY unless NO_PROXY exempts them.
    Sm(Box<SmArgs>),
}

#[derive(Debug, clap::Args)]
struct SmArgs {
    /// Address to listen on (port 0: any free port; the address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The service manifest (Hurtle's JSON: service_type, service_description,
    /// service_attributes, service_endpoint, depends_on).
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
    /// The CC's OCCI base URL.
    #[arg(long, value_name = "URL", env = "CC_URL")]
    cc: String,
    /// HTTP Basic user for the CC.
    #[arg(long, default_value = "sm", env = "CC_USER")]
    cc_user: String,
    /// HTTP Basic password for the CC.
    #[arg(long, default_value = "", env = "CC_PASSWORD", hide_env_values = true)]
    cc_password: String,
    /// The SO image the CC deploys (Hurtle's bundle_location).
    #[arg(long, default_value = "occi-hurtle/so")]
    bundle: String,
    /// Passed to each SO as DESIGN_URI (Hurtle's design_uri, a Keystone v2.0 URL).
    #[arg(long, default_value = "http://127.0.0.1:5000/v2.0")]
    design_uri: String,
    /// Per-phase service parameters: {phase: [{name, type, value}]}, phases activate, deploy,
    /// provision, update, destroy.
    #[arg(long, value_name = "FILE")]
    service_params: Option<PathBuf>,
    /// A valid token and the tenant it acts for, TOKEN=TENANT (repeatable). Without any, every
    /// token is accepted for the tenant it names.
    #[arg(long = "token", value_name = "TOKEN=TENANT", value_parser = parse_output)]
    tokens: Vec<(String, String)>,
    /// The SM of a service the manifest depends on, TYPE=URL (repeatable): its query
    /// interface gives the Kind listed beside the service's (Hurtle looked these up in the
    /// Keystone catalogue).
    #[arg(long = "depends", value_name = "TYPE=URL", value_parser = parse_pair)]
    depends: Vec<(String, String)>,
    /// The token the SM itself sends to the SMs it depends on.
    #[arg(
        long,
        default_value = "sm",
        hide_env_values = true,
        env = "SM_SERVICE_TOKEN"
    )]
    service_token: String,
    /// The tenant the SM itself names to the SMs it depends on.
    #[arg(long, default_value = "service")]
    service_tenant: String,
    /// Check every caller's token with Keystone v2 at URL instead of the --token table, as
    /// Hurtle's SM does (POST URL/tokens with the token and the tenant). "design-uri" uses
    /// the --design-uri URL.
    #[arg(long, value_name = "URL", conflicts_with = "tokens")]
    keystone: Option<String>,
    /// Seconds a Keystone verdict on a token is kept (0: ask Keystone on every request, as
    /// Hurtle's SM does).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    keystone_cache: u64,
    /// Milliseconds between polls of the CC app until it is active (Hurtle: 3000).
    #[arg(long, default_value_t = 3000)]
    activate_ms: u64,
    /// Milliseconds between polls of the stack after deploy (Hurtle: 7000).
    #[arg(long, default_value_t = 7000)]
    deploy_ms: u64,
    /// Milliseconds between polls of the stack before provision (Hurtle: 13000).
    #[arg(long, default_value_t = 13000)]
    provision_ms: u64,
    /// Milliseconds between polls of the stack after an update (Hurtle: 3000).
    #[arg(long, default_value_t = 3000)]
    update_ms: u64,
    /// Seconds a background phase may take before the instance is marked fail.
    #[arg(long, default_value_t = 600)]
    phase_timeout: u64,
    /// Seconds a single call to the CC or an SO may take.
    #[arg(long, default_value_t = 30)]
    call_timeout: u64,
    #[command(flatten)]
    storage: Storage,
}

/// Where a component keeps its entities.
#[derive(Debug, clap::Args)]
struct Storage {
    /// Keep the entities in DIR (an SQLite database, created if missing), so that they
    /// survive a restart.
    #[arg(long, value_name = "DIR", conflicts_with = "memory")]
    data: Option<PathBuf>,
    /// Keep the entities in memory only (the default): they are lost when the process stops.
    #[arg(long)]
    memory: bool,
}

impl Storage {
    fn open(&self) -> std::io::Result<AnyStore> {
        match &self.data {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("{}: {e}", dir.display()))
                })?;
                let store = SqliteStore::open_dir(dir).map_err(|e| {
                    std::io::Error::other(format!("the store in {}: {e}", dir.display()))
                })?;
                tracing::info!(dir = %dir.display(), "entities kept in SQLite");
                Ok(Arc::new(store) as Arc<dyn DynStore>)
            }
            None => Ok(Arc::new(InMemoryStore::new()) as Arc<dyn DynStore>),
        }
    }
}

#[derive(Debug, clap::Args)]
struct SoArgs {
    /// Address to listen on (port 0: any free port; the address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8051")]
    listen: SocketAddr,
    /// How long the simulated stack stays CREATE_IN_PROGRESS after deploy, in milliseconds.
    #[arg(long, default_value_t = 2000, env = "SO_CREATE_MS")]
    create_ms: u64,
    /// How long the simulated stack stays UPDATE_IN_PROGRESS after provision or an update, in
    /// milliseconds.
    #[arg(long, default_value_t = 1000, env = "SO_UPDATE_MS")]
    update_ms: u64,
    /// Make stack creation end in CREATE_FAILED.
    #[arg(long)]
    fail: bool,
    /// A stack output NAME=VALUE reported once deployed (repeatable), such as
    /// mcn.endpoint.api=127.0.0.1:9000. Values may not contain ", " or "=".
    #[arg(long = "output", value_parser = parse_output)]
    outputs: Vec<(String, String)>,
    /// Stop when standard input reaches its end (as when the process that started this SO
    /// holds its stdin as a pipe and dies): the CC passes it to every SO child, so that none
    /// outlives the CC, even one killed with SIGKILL.
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

#[derive(Debug, clap::Args)]
struct CcArgs {
    /// Address to listen on (port 0: any free port; the address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8888")]
    listen: SocketAddr,
    /// The program run as `PROGRAM so --listen 127.0.0.1:PORT --exit-on-stdin-eof` for each
    /// app, its stdin a pipe from the CC (default: this executable).
    #[arg(long)]
    so_program: Option<PathBuf>,
    /// An extra argument for every SO child (repeatable), such as --so-arg=--create-ms=50.
    #[arg(long = "so-arg", allow_hyphen_values = true)]
    so_args: Vec<String>,
    #[command(flatten)]
    storage: Storage,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{s:?} is not NAME=VALUE"))
}

fn parse_output(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.contains('=') && !v.contains(", ") => {
            Ok((k.to_owned(), v.to_owned()))
        }
        _ => Err(format!(
            "{s:?} is not NAME=VALUE (no '=' or \", \" in the value)"
        )),
    }
}

/// Completes when standard input reaches its end (or cannot be read).
async fn stdin_closed() {
    use tokio::io::AsyncReadExt as _;
    let mut stdin = tokio::io::stdin();
    let mut buffer = [0_u8; 256];
    while let Ok(n) = stdin.read(&mut buffer).await {
        if n == 0 {
            break;
        }
    }
}

async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("listening on http://{local}");
    tracing::info!(%local, "listening");
    Ok(listener)
}

async fn run(cli: Cli) -> std::io::Result<()> {
    match cli.component {
        Component::So(args) => {
            let timings = SimulatedTimings {
                create: Duration::from_millis(args.create_ms),
                update: Duration::from_millis(args.update_ms),
                fail_create: args.fail,
            };
            let so = StackSo::new(SimulatedStack::new(timings, args.outputs));
            let service = so::service(so).map_err(std::io::Error::other)?;
            let listener = bind(args.listen).await?;
            if args.exit_on_stdin_eof {
                let stop = async {
                    tokio::select! {
                        () = shutdown_signal() => {}
                        () = stdin_closed() => {
                            tracing::info!("standard input closed (the parent is gone); shutting down");
                        }
                    }
                };
                serve(listener, service, stop).await
            } else {
                serve(listener, service, shutdown_signal()).await
            }
        }
        Component::Sm(args) => {
            let read = |p: &PathBuf| {
                std::fs::read_to_string(p)
                    .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))
            };
            let invalid = |e: occi_hurtle::sm::ConfigError| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
            };
            let manifest = Manifest::from_json(&read(&args.manifest)?).map_err(invalid)?;
            let params = match &args.service_params {
                Some(p) => ServiceParams::from_json(&read(p)?).map_err(invalid)?,
                None => ServiceParams::default(),
            };
            let tokens = match &args.keystone {
                Some(url) => {
                    let url = if url == "design-uri" {
                        &args.design_uri
                    } else {
                        url
                    };
                    let keystone = occi_server::auth::KeystoneV2::new(url)
                        .map_err(|e| std::io::Error::other(e.to_string()))?;
                    TokenCheck::Keystone(Box::new(if args.keystone_cache == 0 {
                        keystone.cache_capacity(0)
                    } else {
                        keystone.cache_ttl(Duration::from_secs(args.keystone_cache))
                    }))
                }
                None => Tokens::new(args.tokens.into_iter().collect()).into(),
            };
            let config = SmConfig {
                manifest,
                cc_url: args.cc,
                cc_credentials: (args.cc_user, args.cc_password),
                bundle: args.bundle,
                design_uri: args.design_uri,
                params,
                tokens,
                timings: Timings {
                    activate: Duration::from_millis(args.activate_ms),
                    deploy: Duration::from_millis(args.deploy_ms),
                    provision: Duration::from_millis(args.provision_ms),
                    update: Duration::from_millis(args.update_ms),
                    phase_timeout: Duration::from_secs(args.phase_timeout),
                },
                transport: occi_client::HttpTransport::new(),
                call_timeout: Duration::from_secs(args.call_timeout),
                dependencies: args.depends.into_iter().collect(),
                service_identity: (args.service_token, args.service_tenant),
            };
            let (service, _) = sm::start(config, args.storage.open()?)
                .await
                .map_err(invalid)?;
            let listener = bind(args.listen).await?;
            serve(listener, service, shutdown_signal()).await
        }
        Component::Cc(args) => {
            let program = match args.so_program {
                Some(p) => p,
                None => std::env::current_exe()?,
            };
            let deployer = Arc::new(ProcessDeployer::new(program, args.so_args));
            let (service, _) = cc::start(Arc::clone(&deployer), args.storage.open()?)
                .await
                .map_err(std::io::Error::other)?;
            let listener = bind(args.listen).await?;
            let served = serve(listener, service, shutdown_signal()).await;
            occi_hurtle::cc::Deployer::shutdown(&*deployer).await;
            served
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("occi-hurtle: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("occi-hurtle: {e}");
            ExitCode::FAILURE
        }
    }
}
