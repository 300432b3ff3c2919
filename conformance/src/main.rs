//! The `occi-conformance` command.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use occi_conformance::catalogue::{Catalogue, Coverage, GROUPS, Profile, Selection};
use occi_conformance::reporters::{html, human, junit};
use occi_conformance::results::RunReport;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  2  usage error, or an input file that cannot be read or understood
The verdict of a run, recorded in its results file, maps to exit codes too:
  0  conformant: no check failed
  1  non-conformant: a MUST requirement failed (or a SHOULD, in strict mode)
  3  not assessed: the target never answered, or nothing failed but a MUST requirement
     ended only in harness or network errors";

/// A conformance suite for OCCI endpoints.
#[derive(Debug, Parser)]
#[command(name = "occi-conformance", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the requirement catalogue with coverage counts.
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),
    /// Re-render a saved results file as terminal text, HTML or JUnit XML.
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
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
        Command::List(args) => list(&args),
        Command::Report(args) => report(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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
