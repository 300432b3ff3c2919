//! The `occi` binary, run as a child process against an occi-server the test starts on
//! loopback: exit codes, help, every output format, JSON snapshots.

#![cfg(feature = "cli")]

use std::net::SocketAddr;
use std::process::{Command, Output};

use occi_model::ext::infrastructure;
use occi_model::{Mixin, OcciVersion, Registry};
use occi_server::{Occi, OcciService, SimulatedActions};

const UUID: &str = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/// A server on a runtime of its own, alive as long as the value.
struct Server {
    address: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

fn server() -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).unwrap();
    registry
        .register_mixin(
            Mixin::new("http://example.com/templates/os#ubuntu".parse().unwrap())
                .with_title("Ubuntu")
                .with_depends(infrastructure::os_tpl_id())
                .with_applies(infrastructure::compute_id())
                .with_location("/templates/os/ubuntu/".parse().unwrap()),
        )
        .unwrap();
    let service = OcciService::new(
        Occi::builder()
            .registry(registry)
            .actions(SimulatedActions)
            .build()
            .unwrap(),
    );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(occi_server::serve(
        listener,
        service,
        std::future::pending(),
    ));
    Server {
        address,
        _runtime: runtime,
    }
}

fn occi(server: Option<&Server>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_occi"));
    command.args(args).env_remove("OCCI_ENDPOINT");
    for variable in [
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "OCCI_USER",
        "OCCI_PASSWORD",
        "OCCI_TOKEN",
        "OCCI_AUTH_TOKEN",
        "OCCI_TENANT",
        "OCCI_CA_CERT",
    ] {
        command.env_remove(variable);
    }
    if let Some(server) = server {
        command.env("OCCI_ENDPOINT", format!("http://{}", server.address));
    }
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(&output),
        stderr(&output)
    );
    String::from_utf8(output.stdout).unwrap()
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({filters => vec![(UUID, "[uuid]")]}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn help_lists_every_command() {
    let help = ok(occi(None, &["--help"]));
    for command in [
        "discover",
        "list",
        "describe",
        "create",
        "update",
        "delete",
        "trigger",
        "link",
        "mixin",
        "completion",
    ] {
        assert!(help.contains(command), "{command} missing from\n{help}");
    }
    // `--ca-cert` exists only with TLS.
    if cfg!(feature = "rustls") {
        snapshot!("help_rustls", help);
    } else {
        snapshot!("help", help);
    }
}

#[test]
fn no_endpoint_is_a_usage_error() {
    let output = occi(None, &["discover"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("OCCI_ENDPOINT"),
        "{}",
        stderr(&output)
    );
    // clap's own usage errors share the status.
    assert_eq!(occi(None, &["frobnicate"]).status.code(), Some(2));
}

#[test]
fn an_unreachable_endpoint_exits_3() {
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = occi(
        None,
        &[
            "--endpoint",
            &format!("http://{address}"),
            "--retries",
            "0",
            "discover",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Connection refused"),
        "{}",
        stderr(&output)
    );
}

// One walk through every command, in the order a user would take them.
#[allow(clippy::too_many_lines)]
#[test]
fn a_compute_from_creation_to_deletion() {
    let server = server();
    // Create with a template and typed attributes.
    let created = ok(occi(
        Some(&server),
        &[
            "create",
            "compute",
            "--mixin",
            "os_tpl#ubuntu",
            "--attr",
            "occi.compute.cores=2",
            "--attr",
            "occi.core.title=web",
            "-o",
            "json",
        ],
    ));
    snapshot!("create_json", created.clone());
    let document: serde_json::Value = serde_json::from_str(&created).unwrap();
    let location = document["locations"][0].as_str().unwrap().to_owned();

    let described = ok(occi(Some(&server), &["describe", &location, "-o", "json"]));
    snapshot!("describe_json", described);

    // Listing, in every output format.
    let listed = ok(occi(Some(&server), &["list", "compute", "-o", "uri-list"]));
    assert_eq!(listed, format!("{location}\n"));
    let listed = ok(occi(Some(&server), &["list", "/compute/", "-o", "text"]));
    assert!(listed.starts_with("X-OCCI-Location: "), "{listed}");
    let listed = ok(occi(Some(&server), &["list", "compute", "-o", "table"]));
    assert!(listed.contains(&location), "{listed}");
    let filtered = ok(occi(
        Some(&server),
        &[
            "list",
            "compute",
            "--where",
            "occi.core.title=other",
            "-o",
            "json",
        ],
    ));
    assert_eq!(filtered, "{\n  \"locations\": []\n}\n");

    // Actions and updates return the entity.
    let started = ok(occi(
        Some(&server),
        &["trigger", &location, "start", "-o", "json"],
    ));
    let started: serde_json::Value = serde_json::from_str(&started).unwrap();
    assert_eq!(started[0]["attributes"]["occi.compute.state"], "active");
    let updated = ok(occi(
        Some(&server),
        &[
            "update",
            &location,
            "--attr",
            "occi.compute.cores=4",
            "-o",
            "text",
        ],
    ));
    assert!(
        updated.contains("X-OCCI-Attribute: occi.compute.cores=4"),
        "{updated}"
    );

    // A network and a link between them.
    let network = ok(occi(
        Some(&server),
        &["create", "network", "-o", "uri-list"],
    ));
    let link = ok(occi(
        Some(&server),
        &[
            "link",
            &location,
            network.trim(),
            "--kind",
            "networkinterface",
            "--attr",
            "occi.networkinterface.mac=00:11:22:33:44:55",
            "-o",
            "uri-list",
        ],
    ));
    assert!(link.starts_with("/networkinterface/"), "{link}");

    // A tag: define, associate, list, delete.
    ok(occi(
        Some(&server),
        &[
            "mixin",
            "define",
            "http://example.com/tags#blue",
            "--location",
            "/tags/blue/",
        ],
    ));
    ok(occi(Some(&server), &["mixin", "add", "blue", &location]));
    let tagged = ok(occi(Some(&server), &["list", "blue", "-o", "uri-list"]));
    assert_eq!(tagged, format!("{location}\n"));
    ok(occi(Some(&server), &["mixin", "remove", "blue", &location]));
    ok(occi(Some(&server), &["mixin", "delete", "blue"]));

    // Delete, then the entity is gone: the server's message and exit status 1.
    ok(occi(Some(&server), &["delete", &location]));
    let output = occi(Some(&server), &["describe", &location]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("404 Not Found"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_input_exits_2_and_says_why() {
    let server = server();
    let output = occi(
        Some(&server),
        &["create", "compute", "--attr", "occi.compute.cores=many"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: occi.compute.cores: \"many\" is not an integer\n"
    );
    let output = occi(Some(&server), &["create", "nothing"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no category \"nothing\""),
        "{}",
        stderr(&output)
    );
    // The server refuses what it must: 400 with its explanation, exit 1.
    let output = occi(Some(&server), &["create", "networkinterface"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("400 Bad Request"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn discover_names_the_rendering_and_the_model() {
    let server = server();
    let text = ok(occi(Some(&server), &["discover", "-o", "json"]));
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["rendering"], "application/occi+json");
    assert_eq!(document["dialect"], "occi");
    assert_eq!(document["version"], "1.2");
    let compute = document["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "http://schemas.ogf.org/occi/infrastructure#compute")
        .unwrap();
    assert_eq!(compute["class"], "kind");
    assert_eq!(compute["location"], "/compute/");
    assert_eq!(
        compute["parent"],
        "http://schemas.ogf.org/occi/core#resource"
    );
    let table = ok(occi(Some(&server), &["discover", "-o", "table"]));
    assert!(table.contains("/compute/"), "{table}");
    // Forcing a rendering.
    let text = ok(occi(
        Some(&server),
        &["--rendering", "text-occi", "discover", "-o", "json"],
    ));
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["rendering"], "text/occi");
}

#[test]
fn verbose_shows_the_exchange_with_credentials_redacted() {
    let server = server();
    let output = occi(
        Some(&server),
        &[
            "--user",
            "alice",
            "--password",
            "secret",
            "-v",
            "discover",
            "-o",
            "json",
        ],
    );
    let log = stderr(&output);
    assert!(output.status.success(), "{log}");
    assert!(log.contains("> GET http://"), "{log}");
    assert!(log.contains("> authorization: <redacted>"), "{log}");
    assert!(log.contains("< 200 OK"), "{log}");
    assert!(!log.contains("YWxpY2U6c2VjcmV0"), "{log}");
}

#[test]
fn names_come_from_the_server() {
    let server = server();
    let kinds = ok(occi(Some(&server), &["names", "kinds"]));
    assert!(kinds.lines().any(|l| l == "compute"), "{kinds}");
    let mixins = ok(occi(Some(&server), &["names", "mixins"]));
    assert!(mixins.lines().any(|l| l == "ubuntu"), "{mixins}");
    let attributes = ok(occi(Some(&server), &["names", "attributes"]));
    assert!(
        attributes.lines().any(|l| l == "occi.compute.cores"),
        "{attributes}"
    );
}

/// Runs the bash completion function on `words` (the last one being completed).
fn complete_in_bash(server: &Server, words: &[&str]) -> Vec<String> {
    let script = ok(occi(None, &["completion", "bash"]));
    let mut all = vec![env!("CARGO_BIN_EXE_occi")];
    all.extend_from_slice(words);
    let quoted: Vec<String> = all.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({}); COMP_CWORD={}; _occi_dynamic; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        all.len() - 1
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(program)
        .env("OCCI_ENDPOINT", format!("http://{}", server.address))
        .output()
        .unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_names_from_the_server() {
    let server = server();
    assert_eq!(complete_in_bash(&server, &["create", "comp"]), ["compute"]);
    assert_eq!(
        complete_in_bash(&server, &["create", "compute", "--attr", "occi.compute.co"]),
        ["occi.compute.cores="]
    );
    assert_eq!(
        complete_in_bash(&server, &["create", "compute", "-m", "ubu"]),
        ["ubuntu"]
    );
    assert_eq!(
        complete_in_bash(&server, &["trigger", "/compute/1", "sta"]),
        ["start"]
    );
}

#[test]
fn completion_scripts_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(occi(None, &["completion", shell]));
        assert!(script.contains("discover"), "{shell}");
    }
}
