//! The `occi-conformance` command.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use occi_conformance::doubles::Doubles;
use occi_conformance::lint::{self, LintModel, LintOptions, Media};
use occi_conformance::occi_model;
use occi_conformance::outcome::TestResult;
use occi_conformance::results::RunOptions;
use occi_conformance::runner::{self, RunConfig};
use occi_conformance::transport::{HttpTransport, TlsOptions};

use clap::{Parser, Subcommand, ValueEnum};
use occi_conformance::catalogue::{Catalogue, Coverage, GROUPS, Profile, Selection};
use occi_conformance::reporters::{html, human, junit};
use occi_conformance::results::RunReport;

const EXIT_CODES: &str = "\
Exit codes:
  0  success: conformant for the selected profiles (run), a valid message (lint)
  1  non-conformant: a MUST requirement failed, or a SHOULD in strict mode (run);
     an invalid message (lint)
  2  usage error, or an input file that cannot be read or understood
  3  not assessed: the target never answered, or nothing failed but a MUST requirement
     ended only in harness or network errors";

/// A conformance suite for OCCI endpoints.
#[derive(Debug, Parser)]
#[command(name = "occi-conformance", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process; boxing the largest variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// List the requirement catalogue with coverage counts.
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),
    /// Re-render a saved results file as terminal text, HTML or JUnit XML.
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
    /// Run the suite against an OCCI endpoint (HTTP/1.1, over TLS for https://; read-only
    /// unless --allow-mutation).
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Validate a captured OCCI message offline: a bare body, or a whole HTTP/1.1 request or
    /// response as captured.
    #[command(after_help = EXIT_CODES)]
    Lint(LintArgs),
    /// Serve only the recording doubles of a Hurtle SM's peers (a CC that starts an SO double
    /// per app, and Keystone v2), printing every call they receive as a JSON line on standard
    /// output until stopped: start an SM against them with --cc http://ADDR and
    /// --keystone http://ADDR/v2.0.
    #[allow(clippy::doc_markdown)]
    Doubles(DoublesArgs),
}

// The doc comments are the --help text.
#[allow(clippy::doc_markdown)]
#[derive(Debug, clap::Args)]
struct DoublesArgs {
    /// Where the CC double (and the Keystone double, under /v2.0) listen, e.g. 127.0.0.1:19000.
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Accept only this token at the Keystone double (repeatable); by default any token but
    /// "invalid" is accepted.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,
}

// These doc comments are the --help text, printed as they are, not Markdown; the flags are
// the command line's switches.
#[allow(clippy::doc_markdown, clippy::struct_excessive_bools)]
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The target's base URL, e.g. http://127.0.0.1:8080 or https://occi.example:11443
    /// (redirects are not followed).
    url: String,
    /// Trust the CA certificates of this PEM file for an https target, instead of the
    /// built-in Mozilla roots.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Accept any TLS certificate from an https target (no verification of who issued it or
    /// whom it names). The report says so in its header.
    #[arg(long, conflicts_with = "cacert")]
    insecure: bool,
    /// Present this PEM client certificate (chain) to an https target that asks for one
    /// (X.509 authentication); needs --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The PEM private key of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Profiles to check, comma-separated: core, infrastructure, text-plain, text-occi, json,
    /// occi-1.1, occi-1.2 (default: all).
    #[arg(long, value_parser = parse_profile, value_delimiter = ',')]
    profile: Vec<Profile>,
    /// Allow tests that create, change or delete (everything they create is named after the
    /// run id and removed afterwards).
    #[arg(long)]
    allow_mutation: bool,
    /// SHOULD requirements count as MUST.
    #[arg(long)]
    strict: bool,
    /// Check only requirement ids matching this glob (repeatable or comma-separated).
    #[arg(long, value_name = "GLOB", value_delimiter = ',')]
    only: Vec<String>,
    /// Leave out requirement ids matching this glob (repeatable or comma-separated).
    #[arg(long, value_name = "GLOB", value_delimiter = ',')]
    skip: Vec<String>,
    /// An extra header sent with every request, 'Name: value' (repeatable; for credentials;
    /// values are never recorded).
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    headers: Vec<String>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    timeout: f64,
    /// Write the results file (JSON) to FILE.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Use this run id instead of a random one.
    #[arg(long, value_name = "ID")]
    run_id: Option<String>,
    /// Also list the checks of passing tests.
    #[arg(long)]
    verbose: bool,
    /// Also check the [compat] requirements of the Hurtle profiles: PySSF/Hurtle behaviour
    /// OCCI does not require (the only value is hurtle).
    #[arg(long, value_name = "hurtle", value_parser = ["hurtle"])]
    compat: Option<String>,
    /// A second tenant name, for the SM profile's tenant isolation checks.
    #[arg(long, value_name = "NAME")]
    tenant_b: Option<String>,
    /// How long an asynchronous lifecycle (SO stack, CC app, SM instance) may take, in
    /// seconds; the observed state sequence is reported with timings.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    lifecycle_timeout: f64,
    /// Serve recording doubles of the SM's peers at ADDR (e.g. 127.0.0.1:19000) before any
    /// check: a CC (one SO double per app) and Keystone v2 under /v2.0. Start the SM under
    /// test with --cc http://ADDR and --keystone http://ADDR/v2.0 (both printed on standard
    /// error); the sm profile then judges its calls to them (SM-017 to SM-021, skipped
    /// without this option). The Keystone double accepts only the --header X-Auth-Token.
    #[arg(long, value_name = "ADDR")]
    doubles: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LintVersion {
    #[value(name = "1.1")]
    V11,
    #[value(name = "1.2")]
    V12,
}

#[derive(Debug, clap::Args)]
struct LintArgs {
    /// The message file, or - for standard input.
    file: PathBuf,
    /// The media type of a bare body: text/plain, text/occi (the file holds header lines),
    /// text/uri-list or application/occi+json (default text/plain). A whole HTTP message
    /// uses its own Content-Type.
    #[arg(long = "type", value_name = "MEDIA")]
    media: Option<String>,
    /// The OCCI version whose grammar applies.
    #[arg(long, value_enum, default_value = "1.2")]
    version: LintVersion,
    /// Deviations that lenient parsing forgives make the message invalid.
    #[arg(long)]
    strict: bool,
    /// Print the message re-rendered in this media type.
    #[arg(long, value_name = "MEDIA")]
    to: Option<String>,
    /// Check the syntax only; by default an entity is also validated against a model (unknown
    /// Kinds and Mixins, attribute types, enum values, patterns, ranges).
    #[arg(long, conflicts_with = "model")]
    syntax_only: bool,
    /// Validate against the categories of this query interface, saved from a server
    /// (text/plain or application/occi+json), instead of the infrastructure model.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Keep only requirements of this profile (repeatable): core, infrastructure, text-plain,
    /// text-occi, json, occi-1.1, occi-1.2, sm, so, cc.
    #[arg(long, value_parser = parse_profile)]
    profile: Vec<Profile>,
    /// Keep only requirement ids matching this glob (`*` and `?`; repeatable), e.g. `QI-*`.
    #[arg(long, value_name = "GLOB")]
    only: Vec<String>,
    /// Leave out requirement ids matching this glob (repeatable), e.g. `ENT-01?`.
    #[arg(long, value_name = "GLOB")]
    skip: Vec<String>,
    /// Use this catalogue file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    catalogue: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// The results file written by a run (JSON).
    results: PathBuf,
    /// Write a self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also list the checks of passing tests in terminal output.
    #[arg(long)]
    verbose: bool,
}

fn parse_profile(name: &str) -> Result<Profile, String> {
    Profile::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
        format!("unknown profile {name:?}; known: {}", names.join(", "))
    })
}

/// A failure that ends the program with exit code 2.
struct UsageError(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List(args) => list(&args).map(|()| 0),
        Command::Report(args) => report(&args).map(|()| 0),
        Command::Run(args) => run(&args),
        Command::Lint(args) => lint(&args),
        Command::Doubles(args) => doubles(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(UsageError(message)) => {
            let _ = writeln!(anstream::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}

fn list(args: &ListArgs) -> Result<(), UsageError> {
    let catalogue = match &args.catalogue {
        Some(path) => Catalogue::from_path(path).map_err(|e| UsageError(e.to_string()))?,
        None => Catalogue::embedded(),
    };
    let selection = Selection::default()
        .profiles(args.profile.iter().copied())
        .only(&args.only)
        .skip(&args.skip);
    let selected: Vec<_> = catalogue.select(&selection).collect();
    let coverage = Catalogue::coverage(selected.iter().copied());
    let mut out = anstream::stdout();
    let text = match args.format {
        Format::Json => {
            let value = serde_json::json!({
                "coverage": coverage,
                "requirements": selected,
            });
            let mut text = serde_json::to_string_pretty(&value).expect("JSON serialises");
            text.push('\n');
            text
        }
        Format::Text => list_text(&selected, &coverage),
    };
    out.write_all(text.as_bytes())
        .map_err(|e| UsageError(format!("cannot write output: {e}")))
}

fn list_text(
    selected: &[&occi_conformance::catalogue::Requirement],
    coverage: &Coverage,
) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    for r in selected {
        let _ = writeln!(
            text,
            "{:<7} {:<6} {:<9} {:<16} {}",
            r.id,
            r.level.as_str(),
            r.status.as_str(),
            format!("{} \u{a7}{}", r.document, r.section),
            r.statement
        );
    }
    let _ = writeln!(text);
    let _ = writeln!(text, "{} requirements", coverage.total);
    let levels: Vec<String> = coverage
        .by_level
        .iter()
        .rev()
        .map(|(level, n)| format!("{level} {n}"))
        .collect();
    let _ = writeln!(text, "by level:  {}", levels.join(", "));
    let statuses: Vec<String> = coverage
        .by_status
        .iter()
        .map(|(status, n)| format!("{status} {n}"))
        .collect();
    let _ = writeln!(text, "by status: {}", statuses.join(", "));
    let groups: Vec<String> = GROUPS
        .iter()
        .filter_map(|(g, _)| coverage.by_group.get(*g).map(|n| format!("{g} {n}")))
        .collect();
    let _ = writeln!(text, "by group:  {}", groups.join(", "));
    text
}

fn report(args: &ReportArgs) -> Result<(), UsageError> {
    let text = std::fs::read_to_string(&args.results)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", args.results.display())))?;
    let run = RunReport::from_json(&text)
        .map_err(|e| UsageError(format!("{}: {e}", args.results.display())))?;
    let write = |path: &PathBuf, content: String| {
        std::fs::write(path, content)
            .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
    };
    if let Some(path) = &args.html {
        write(path, html::render(&run))?;
    }
    if let Some(path) = &args.junit {
        write(path, junit::render(&run))?;
    }
    if args.html.is_none() && args.junit.is_none() {
        let text = human::render(
            &run,
            human::HumanOptions {
                color: true,
                verbose: args.verbose,
            },
        );
        anstream::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| UsageError(format!("cannot write output: {e}")))?;
    }
    Ok(())
}

fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), UsageError> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| UsageError(format!("--header {text:?}: expected 'Name: value'")))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|e| UsageError(format!("--header {text:?}: {e}")))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|e| UsageError(format!("--header {text:?}: {e}")))?;
    Ok((name, value))
}

/// The TLS options of `--cacert`, `--insecure`, `--cert` and `--key`; `--insecure` is also
/// announced on standard error.
fn tls_options(args: &RunArgs) -> Result<TlsOptions, UsageError> {
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))
    };
    let tls = TlsOptions {
        ca_certificates: args.cacert.as_ref().map(read).transpose()?,
        insecure: args.insecure,
        client_identity: match (&args.cert, &args.key) {
            (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
            _ => None,
        },
    };
    if args.insecure {
        let _ = writeln!(
            anstream::stderr(),
            "warning: --insecure: the target's TLS certificate is not verified"
        );
    }
    Ok(tls)
}

/// The options of the Hurtle profiles; the end user's token and tenant are the values of the
/// `--header`s `X-Auth-Token` and `X-Tenant-Name`.
fn hurtle_options(
    args: &RunArgs,
    headers: &[(HeaderName, HeaderValue)],
) -> occi_conformance::checks::hurtle::HurtleOptions {
    let end_user = occi_conformance::checks::hurtle::EndUser::from_headers(
        headers
            .iter()
            .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v))),
    );
    occi_conformance::checks::hurtle::HurtleOptions {
        compat: args.compat.is_some(),
        tenant_b: args.tenant_b.clone(),
        lifecycle_timeout: Duration::from_secs_f64(args.lifecycle_timeout),
        end_user,
        ..occi_conformance::checks::hurtle::HurtleOptions::default()
    }
}

fn run(args: &RunArgs) -> Result<u8, UsageError> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return Err(UsageError(
            "--timeout must be a positive number of seconds".to_owned(),
        ));
    }
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    let timeout = Duration::from_secs_f64(args.timeout);
    if !(args.lifecycle_timeout > 0.0 && args.lifecycle_timeout.is_finite()) {
        return Err(UsageError(
            "--lifecycle-timeout must be a positive number of seconds".to_owned(),
        ));
    }
    let mut hurtle = hurtle_options(args, &headers);
    let config = RunConfig {
        target: args.url.trim_end_matches('/').to_owned(),
        profiles: args.profile.clone(),
        options: RunOptions {
            strict: args.strict,
            allow_mutation: args.allow_mutation,
            only: args.only.clone(),
            skip: args.skip.clone(),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            header_names: headers.iter().map(|(n, _)| n.as_str().to_owned()).collect(),
            insecure: args.insecure,
            client_certificate: args.cert.as_ref().map(|p| p.display().to_string()),
        },
        run_id: args.run_id.clone(),
    };
    let tls = tls_options(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| UsageError(format!("cannot start the runtime: {e}")))?;
    let report = runtime.block_on(async {
        if let Some(address) = &args.doubles {
            let doubles = start_doubles(address).await?;
            if let Some(token) = &hurtle.end_user.token {
                doubles.accept_only([token.clone()]);
            }
            hurtle.doubles = Some(doubles);
        }
        let transport = HttpTransport::with_tls(&config.target, timeout, headers, &tls)
            .map_err(|e| UsageError(e.to_string()))?;
        let tty = std::io::stderr().is_terminal();
        let mut err = anstream::stderr();
        let mut progress = |test: &TestResult, n: usize, total: usize| {
            if tty {
                let _ = write!(
                    err,
                    "\r\x1b[2K[{n}/{total}] {:<7} {}",
                    test.outcome.label(),
                    test.name
                );
                if n == total {
                    let _ = writeln!(err);
                }
            } else {
                let _ = writeln!(
                    err,
                    "[{n}/{total}] {:<7} {}",
                    test.outcome.label(),
                    test.name
                );
            }
        };
        Ok::<_, UsageError>(
            runner::run_with_hurtle(Arc::new(transport), &config, hurtle, &mut progress).await,
        )
    })?;
    let write = |path: &PathBuf, content: String| {
        std::fs::write(path, content)
            .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
    };
    if let Some(path) = &args.output {
        write(path, report.to_json())?;
    }
    if let Some(path) = &args.junit {
        write(path, junit::render(&report))?;
    }
    if let Some(path) = &args.html {
        write(path, html::render(&report))?;
    }
    let text = human::render(
        &report,
        human::HumanOptions {
            color: true,
            verbose: args.verbose,
        },
    );
    anstream::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| UsageError(format!("cannot write output: {e}")))?;
    Ok(report.verdict.exit_code)
}

/// Starts the doubles at `address` and says on standard error what to point the SM at.
async fn start_doubles(address: &str) -> Result<Doubles, UsageError> {
    let doubles = Doubles::start(address)
        .await
        .map_err(|e| UsageError(format!("--doubles {address}: cannot listen: {e}")))?;
    let mut err = anstream::stderr();
    let _ = writeln!(
        err,
        "doubles: CC northbound URL {} (occi-hurtle sm --cc {})",
        doubles.cc_url(),
        doubles.cc_url()
    );
    let _ = writeln!(
        err,
        "doubles: Keystone v2 URL {} (occi-hurtle sm --keystone {})",
        doubles.keystone_url(),
        doubles.keystone_url()
    );
    Ok(doubles)
}

fn doubles(args: &DoublesArgs) -> Result<u8, UsageError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| UsageError(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let doubles = start_doubles(&args.listen).await?;
        if !args.tokens.is_empty() {
            doubles.accept_only(args.tokens.iter().cloned());
        }
        let mut printed = 0;
        let mut stop = std::pin::pin!(stop_signal());
        loop {
            let changed = doubles.changed();
            for call in doubles.calls_after(printed) {
                printed = call.seq;
                let line = serde_json::to_string(&call).expect("a call serialises");
                let mut out = std::io::stdout().lock();
                writeln!(out, "{line}")
                    .and_then(|()| out.flush())
                    .map_err(|e| UsageError(format!("cannot write output: {e}")))?;
            }
            tokio::select! {
                () = changed => {}
                () = &mut stop => {
                    doubles.stop();
                    return Ok(0);
                }
            }
        }
    })
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn media(name: &str) -> Result<Media, UsageError> {
    Media::from_name(name).ok_or_else(|| {
        UsageError(format!(
            "unknown media type {name:?}; known: text/plain, text/occi, text/uri-list, application/occi+json"
        ))
    })
}

fn lint(args: &LintArgs) -> Result<u8, UsageError> {
    let text = if args.file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| UsageError(format!("cannot read standard input: {e}")))?;
        text
    } else {
        std::fs::read_to_string(&args.file)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?
    };
    let version = match args.version {
        LintVersion::V11 => occi_model::OcciVersion::V1_1,
        LintVersion::V12 => occi_model::OcciVersion::V1_2,
    };
    let model = if args.syntax_only {
        LintModel::SyntaxOnly
    } else if let Some(path) = &args.model {
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
        let (registry, left_out) = lint::model_from_query_interface(&text, version)
            .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
        if !left_out.is_empty() {
            eprintln!(
                "note: {} categories of {} are left out of the model (their parent, depends \
                 or actions are missing): {}",
                left_out.len(),
                path.display(),
                left_out.join(", ")
            );
        }
        LintModel::Registry(Box::new(registry))
    } else {
        LintModel::Infrastructure
    };
    let options = LintOptions {
        model,
        media: args.media.as_deref().map(media).transpose()?,
        version,
        strict: args.strict,
        to: args.to.as_deref().map(media).transpose()?,
    };
    let report = lint::lint(&text, &options).map_err(|e| UsageError(e.to_string()))?;
    let mut out = anstream::stdout();
    out.write_all(report.text.as_bytes())
        .map_err(|e| UsageError(format!("cannot write output: {e}")))?;
    if let Some(rendered) = &report.rendered {
        out.write_all(rendered.as_bytes())
            .map_err(|e| UsageError(format!("cannot write output: {e}")))?;
    }
    Ok(u8::from(!report.valid))
}
