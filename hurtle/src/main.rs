//! `occi-hurtle`: Hurtle's Service Orchestrator (`so`) and Cloud Controller (`cc`) on occi-rs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use occi_hurtle::cc::{CcServer, ProcessDeployer};
use occi_hurtle::server::{serve, shutdown_signal};
use occi_hurtle::so::{SimulatedStack, SimulatedTimings, SoServer, StackSo};
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
}

#[derive(Debug, clap::Args)]
struct SoArgs {
    /// Address to listen on (port 0: any free port; the address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8051")]
    listen: SocketAddr,
    /// How long the simulated stack stays `CREATE_IN_PROGRESS` after deploy, in milliseconds.
    #[arg(long, default_value_t = 2000, env = "SO_CREATE_MS")]
    create_ms: u64,
    /// How long the simulated stack stays `UPDATE_IN_PROGRESS` after provision or an update, in
    /// milliseconds.
    #[arg(long, default_value_t = 1000, env = "SO_UPDATE_MS")]
    update_ms: u64,
    /// Make stack creation end in `CREATE_FAILED`.
    #[arg(long)]
    fail: bool,
    /// A stack output NAME=VALUE reported once deployed (repeatable), such as
    /// mcn.endpoint.api=127.0.0.1:9000. Values may not contain ", " or "=".
    #[arg(long = "output", value_parser = parse_output)]
    outputs: Vec<(String, String)>,
}

#[derive(Debug, clap::Args)]
struct CcArgs {
    /// Address to listen on (port 0: any free port; the address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:8888")]
    listen: SocketAddr,
    /// The program run as `PROGRAM so --listen 127.0.0.1:PORT` for each app (default: this
    /// executable).
    #[arg(long)]
    so_program: Option<PathBuf>,
    /// An extra argument for every SO child (repeatable), such as --so-arg=--create-ms=50.
    #[arg(long = "so-arg", allow_hyphen_values = true)]
    so_args: Vec<String>,
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
            let listener = bind(args.listen).await?;
            serve(listener, Arc::new(SoServer::new(so)), shutdown_signal()).await
        }
        Component::Cc(args) => {
            let program = match args.so_program {
                Some(p) => p,
                None => std::env::current_exe()?,
            };
            let cc = Arc::new(CcServer::new(ProcessDeployer::new(program, args.so_args)));
            let listener = bind(args.listen).await?;
            let served = serve(listener, Arc::clone(&cc), shutdown_signal()).await;
            cc.shutdown().await;
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
