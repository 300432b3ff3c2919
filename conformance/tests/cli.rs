//! The `occi-conformance` command line.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_occi-conformance"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn help_lists_the_subcommands_and_the_exit_codes() {
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for needle in [
        "list",
        "report",
        "Exit codes:",
        "non-conformant",
        "never answered",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let output = run(&["report", "--help"]);
    assert!(stdout(&output).contains("--junit <FILE>"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&["list", "--profile", "xml"]).status.code(), Some(2));
    assert_eq!(run(&["list", "--format", "yaml"]).status.code(), Some(2));
    let output = run(&["report", "/nonexistent/results.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
}

#[test]
fn list_shows_the_catalogue_with_coverage() {
    let output = run(&["list"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("258 requirements"), "{text}");
    assert!(
        text.contains("by level:  MUST 203, SHOULD 39, MAY 16"),
        "{text}"
    );
    assert!(
        text.contains("by status: automated 251, not-yet 7"),
        "{text}"
    );
    assert!(text.contains("by group:  QI 27, ENT 31,"));
    assert!(
        text.lines()
            .any(|l| l.starts_with("QI-001  MUST   automated"))
    );
}

#[test]
fn list_filters_and_json() {
    let output = run(&[
        "list", "--only", "ENT-01?", "--skip", "ENT-019", "--format", "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["coverage"]["total"], 9);
    assert_eq!(value["requirements"][0]["id"], "ENT-010");
    assert_eq!(value["coverage"]["by_level"]["MUST"], 8);
    assert_eq!(value["coverage"]["by_level"]["MAY"], 1);

    let output = run(&["list", "--profile", "cc"]);
    assert!(stdout(&output).contains("11 requirements"));
}

#[test]
fn list_reports_a_broken_catalogue_file() {
    let path = scratch("broken.toml");
    std::fs::write(&path, "[[requirement]]\nid = \"X\"\n").unwrap();
    let output = run(&["list", "--catalogue", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn report_re_renders_a_saved_run() {
    let report = common::sample_report();
    let results = scratch("results.json");
    std::fs::write(&results, report.to_json()).unwrap();
    let html = scratch("report.html");
    let junit = scratch("report.xml");
    let output = run(&[
        "report",
        results.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        std::fs::read_to_string(&html).unwrap(),
        occi_conformance::reporters::html::render(&report)
    );
    assert_eq!(
        std::fs::read_to_string(&junit).unwrap(),
        occi_conformance::reporters::junit::render(&report)
    );

    let output = run(&["report", results.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("Verdict: NON-CONFORMANT"));
    assert!(
        !text.contains('\u{1b}'),
        "NO_COLOR and a pipe give plain text"
    );
}

#[test]
fn report_rejects_a_future_format() {
    let mut value: serde_json::Value =
        serde_json::from_str(&common::sample_report().to_json()).unwrap();
    value["format_version"] = 99.into();
    let path = scratch("future.json");
    std::fs::write(&path, value.to_string()).unwrap();
    let output = run(&["report", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("version 99"));
}

#[test]
fn run_and_lint_have_help() {
    let output = run(&["run", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for word in [
        "--profile",
        "--allow-mutation",
        "--strict",
        "--only",
        "--skip",
        "--header",
        "--timeout",
        "--output",
        "--junit",
        "--html",
        "3  not assessed",
    ] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
    let text = stdout(&run(&["lint", "--help"]));
    for word in ["--type", "--version", "--strict", "--to"] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
}

#[test]
fn run_usage_errors_exit_2() {
    assert_eq!(run(&["run"]).status.code(), Some(2));
    assert_eq!(
        run(&["run", "http://127.0.0.1:1", "--profile", "xml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["run", "http://127.0.0.1:1", "--header", "no colon"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["run", "ftp://127.0.0.1:1"]).status.code(), Some(2));
    assert_eq!(
        run(&[
            "run",
            "https://127.0.0.1:1",
            "--insecure",
            "--cacert",
            "ca.pem"
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        run(&[
            "run",
            "https://127.0.0.1:1",
            "--cacert",
            "/nonexistent/ca.pem"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn an_unreachable_target_exits_3() {
    let results = scratch("unreachable.json");
    let output = run(&[
        "run",
        "http://127.0.0.1:1",
        "--timeout",
        "2",
        "--output",
        results.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("UNREACHABLE"), "{text}");
    assert!(
        text.contains("curl -sS -i 'http://127.0.0.1:1/-/'"),
        "{text}"
    );
    let json = std::fs::read_to_string(&results).unwrap();
    assert!(json.contains("\"target_reachable\": false"));
}

const GOOD: &str = "Category: compute; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\r\n\
                    X-OCCI-Attribute: occi.core.title=\"web\"\r\n";

#[test]
fn lint_good_and_bad_files() {
    let good = scratch("good.txt");
    std::fs::write(&good, GOOD).unwrap();
    let output = run(&["lint", good.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("valid"));

    let bad = scratch("bad.http");
    std::fs::write(
        &bad,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nCategory: compute; class=\"kind\"\r\n",
    )
    .unwrap();
    let output = run(&["lint", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("error: line 4, column"), "{text}");
    assert!(
        text.contains("4 | Category: compute; class=\"kind\""),
        "{text}"
    );
    assert!(text.lines().any(|l| l.trim_end().ends_with('^')), "{text}");

    let lenient = scratch("lenient.txt");
    std::fs::write(&lenient, GOOD.replace("class=\"kind\"", "class=\"kind\";")).unwrap();
    assert_eq!(
        run(&["lint", lenient.to_str().unwrap()]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["lint", "--strict", lenient.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(run(&["lint", "/nonexistent/file"]).status.code(), Some(2));
    assert_eq!(
        run(&["lint", "--type", "text/xml", good.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn lint_re_renders() {
    let good = scratch("render.txt");
    std::fs::write(&good, GOOD).unwrap();
    let output = run(&[
        "lint",
        "--to",
        "application/occi+json",
        good.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).ends_with(
            "{\"kind\":\"http://schemas.ogf.org/occi/infrastructure#compute\",\"title\":\"web\"}\n"
        ),
        "{}",
        stdout(&output)
    );
    let output = run(&["lint", "--to", "text/occi", good.to_str().unwrap()]);
    assert!(stdout(&output).contains("X-OCCI-Attribute: occi.core.title=\"web\""));
}

#[test]
fn the_doubles_are_documented_and_print_each_call_as_a_json_line() {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let text = stdout(&run(&["run", "--help"]));
    assert!(text.contains("--doubles <ADDR>"), "{text}");
    let text = stdout(&run(&["doubles", "--help"]));
    assert!(text.contains("--listen <ADDR>"), "{text}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_occi-conformance"))
        .args(["doubles", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (mut cc, mut keystone) = (String::new(), String::new());
    stderr.read_line(&mut cc).unwrap();
    stderr.read_line(&mut keystone).unwrap();
    assert!(cc.contains("CC northbound URL http://127.0.0.1:"), "{cc}");
    assert!(keystone.contains("/v2.0"), "{keystone}");
    let address = cc
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap()
        .to_owned();
    let body = r#"{"auth": {"token": {"id": "t"}, "tenantName": "demo"}}"#;
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /v2.0/tokens HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // SIGTERM stops the doubles cleanly.
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "the doubles ended with {status}");
    let call: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(call["double"], "keystone", "{line}");
    assert_eq!(call["method"], "POST");
    assert_eq!(call["target"], "/v2.0/tokens");
    assert_eq!(call["status"], 200);
    assert_eq!(call["body"], body);
}
