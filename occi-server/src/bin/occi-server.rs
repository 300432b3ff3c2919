//! `occi-server`: the OCCI infrastructure model on a durable store (SQLite in a data
//! directory by default), with simulated compute, storage and network behaviour behind the
//! actions.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{Location, Mixin, OcciVersion, Registry};
use occi_server::store::{DynStore, InMemoryStore, SqliteStore, backup, restore_mixins};
use occi_server::{Occi, OcciService, SimulatedActions, serve};

/// Serve the OCCI infrastructure model (compute, storage, network and their links) over
/// HTTP. Everything is kept in an SQLite database in the data directory (--data), so a
/// restart keeps it; --memory keeps nothing. Actions move entities through their state
/// machines (start takes an inactive compute to active, and so on), so every OCCI operation
/// can be tried with curl on a machine with no cloud behind it. Stop it with Ctrl-C.
// These doc comments are the --help text, printed as they are, not Markdown.
#[allow(clippy::doc_markdown)]
#[derive(Debug, Parser)]
#[command(name = "occi-server", version, about, long_about)]
struct Args {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: SocketAddr,

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
    #[arg(long, default_value = "info", value_name = "FILTER")]
    log: String,

    /// Data directory: the SQLite database occi.sqlite3 is kept there, and every
    /// acknowledged write is on disk [default: occi-data/VERSION, under the current
    /// directory, VERSION being the OCCI version].
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,

    /// Keep everything in memory: nothing survives a restart.
    #[arg(long, global = true, conflicts_with = "data")]
    memory: bool,

    #[command(subcommand)]
    command: Option<Command>,
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

/// The store the flags choose, and what to call it at start-up.
fn open_store(args: &Args) -> Result<(Arc<dyn DynStore>, String), Box<dyn std::error::Error>> {
    if args.memory {
        return Ok((
            Arc::new(InMemoryStore::new()),
            "in memory (nothing survives a restart)".into(),
        ));
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
    let (store, described) = open_store(&args)?;
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
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let bound = listener.local_addr()?;
    let base_url = args.base_url.unwrap_or_else(|| format!("http://{bound}"));
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
    serve(listener, OcciService::new(occi), shutdown_signal()).await?;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&args.log));
    let filter = match filter {
        Ok(f) => f,
        Err(error) => {
            eprintln!("occi-server: invalid --log filter: {error}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(error) => {
            eprintln!("occi-server: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("occi-server: {error}");
            ExitCode::FAILURE
        }
    }
}
