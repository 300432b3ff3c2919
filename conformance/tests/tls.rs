//! `occi-conformance run https://…`: the suite against occi-server served over TLS on loopback
//! (`occi_server::ServeConfig::tls`), with certificates made by the test: a private CA
//! (`--cacert`), a wrong one, `--insecure`, and a server that requires a client certificate
//! (`--cert`/`--key`).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use occi_conformance::outcome::Outcome;
use occi_conformance::results::{RunOptions, RunReport};
use occi_conformance::runner::{RunConfig, run};
use occi_conformance::transport::{HttpTransport, TlsOptions};
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{OcciVersion, Registry};
use occi_server::{Occi, OcciService, ServeConfig, SimulatedActions};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use common::{check_of, requirements_with};

/// A certificate authority made for the test.
struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A certificate for `names` with `usage`, and its key: (certificate PEM, key PEM, DER, key DER).
    fn issue(
        &self,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
    ) -> (
        String,
        String,
        CertificateDer<'static>,
        PrivateKeyDer<'static>,
    ) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("client"),
        );
        params.extended_key_usages = vec![usage];
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        let der_key = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        (
            certificate.pem(),
            key.serialize_pem(),
            certificate.der().clone(),
            der_key,
        )
    }
}

/// Serves occi-server (infrastructure, OCCI 1.2) over TLS on loopback with a certificate for
/// `localhost` from `server_ca`; when `client_ca` is given, a client certificate from it is
/// required. Returns the `https://localhost:<port>` base URL.
async fn tls_server(server_ca: &Authority, client_ca: Option<&Authority>) -> String {
    let (_, _, cert, key) = server_ca.issue(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.der()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder.with_single_cert(vec![cert], key).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("https://localhost:{port}");
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry).unwrap();
    let occi = Occi::builder()
        .registry(registry)
        .actions(SimulatedActions)
        .base_url(&base)
        .unwrap()
        .build()
        .unwrap();
    let serve = ServeConfig::new().tls(Arc::new(config));
    tokio::spawn(async move {
        let _ = serve
            .serve(listener, OcciService::new(occi), std::future::pending())
            .await;
    });
    base
}

fn config(base: &str, only: &[&str]) -> RunConfig {
    RunConfig {
        target: base.to_owned(),
        profiles: vec![],
        options: RunOptions {
            allow_mutation: true,
            timeout_ms: 10_000,
            only: only.iter().map(|s| (*s).to_owned()).collect(),
            ..RunOptions::default()
        },
        run_id: Some("tls".to_owned()),
    }
}

async fn run_with(base: &str, tls: &TlsOptions, only: &[&str]) -> RunReport {
    let transport =
        HttpTransport::with_tls(base, Duration::from_secs(10), vec![], tls).expect("a transport");
    run(Arc::new(transport), &config(base, only), &mut |_, _, _| {}).await
}

/// The message of the check that ended a run whose target could not be reached.
fn unreachable_message(report: &RunReport) -> String {
    assert!(!report.target_reachable);
    report.tests[0].checks[0].message.clone()
}

#[tokio::test]
async fn the_whole_suite_runs_over_tls_with_a_client_certificate() {
    let ca = Authority::new("conformance test CA");
    let clients = Authority::new("conformance client CA");
    let base = tls_server(&ca, Some(&clients)).await;
    let (cert, key, _, _) = clients.issue(&["client"], ExtendedKeyUsagePurpose::ClientAuth);
    let tls = TlsOptions {
        ca_certificates: Some(ca.pem().into_bytes()),
        insecure: false,
        client_identity: Some((cert.into_bytes(), key.into_bytes())),
    };
    let report = run_with(&base, &tls, &[]).await;
    assert!(report.target_reachable);
    assert_eq!(requirements_with(&report, Outcome::Fail), BTreeSet::new());
    assert_eq!(requirements_with(&report, Outcome::Error), BTreeSet::new());
    assert!(requirements_with(&report, Outcome::Pass).len() > 100);
    // HEAD was read on a TLS connection of its own.
    let htp7 = check_of(&report, "HTP-007");
    assert!(
        htp7.message.contains("read on the wire"),
        "{}",
        htp7.message
    );

    // Without the client certificate the handshake is refused: the target is unreachable.
    let tls = TlsOptions {
        client_identity: None,
        ..tls
    };
    let report = run_with(&base, &tls, &["QI-001"]).await;
    let message = unreachable_message(&report);
    assert!(message.contains("no response"), "{message}");
}

#[tokio::test]
async fn a_wrong_ca_fails_with_a_clear_message_and_insecure_gets_through() {
    let ca = Authority::new("conformance test CA");
    let other = Authority::new("some other CA");
    let base = tls_server(&ca, None).await;

    let wrong = TlsOptions {
        ca_certificates: Some(other.pem().into_bytes()),
        ..TlsOptions::default()
    };
    let message = unreachable_message(&run_with(&base, &wrong, &["QI-001"]).await);
    assert!(message.contains("not trusted"), "{message}");
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(message.contains("--cacert"), "{message}");

    // The Mozilla roots do not know a private CA either.
    let message = unreachable_message(&run_with(&base, &TlsOptions::default(), &["QI-001"]).await);
    assert!(message.contains("--cacert"), "{message}");

    let insecure = TlsOptions {
        insecure: true,
        ..TlsOptions::default()
    };
    let report = run_with(&base, &insecure, &["QI-001"]).await;
    assert!(report.target_reachable);
    assert_eq!(
        requirements_with(&report, Outcome::Pass),
        BTreeSet::from(["QI-001".to_owned()])
    );
}

#[test]
fn bad_pem_files_are_refused_before_anything_is_sent() {
    let empty = TlsOptions {
        ca_certificates: Some(b"not a certificate".to_vec()),
        ..TlsOptions::default()
    };
    let error = empty.client_config().unwrap_err().to_string();
    assert!(error.contains("--cacert"), "{error}");
    let ca = Authority::new("conformance test CA");
    let (cert, _, _, _) = ca.issue(&["client"], ExtendedKeyUsagePurpose::ClientAuth);
    let no_key = TlsOptions {
        client_identity: Some((cert.into_bytes(), b"no key here".to_vec())),
        ..TlsOptions::default()
    };
    let error = no_key.client_config().unwrap_err().to_string();
    assert!(error.contains("--key"), "{error}");
}

/// The CLI against a TLS server run on its own thread: `--cacert` passes, `--insecure` is
/// announced in the report header.
#[test]
fn the_cli_takes_cacert_and_announces_insecure() {
    let ca = Authority::new("conformance test CA");
    let pem = ca.pem();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            sender.send(tls_server(&ca, None).await).unwrap();
            std::future::pending::<()>().await;
        });
    });
    let base = receiver.recv().unwrap();
    let dir = std::env::temp_dir().join(format!("occi-conformance-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file: PathBuf = dir.join("ca.pem");
    std::fs::write(&ca_file, pem).unwrap();
    let bin = env!("CARGO_BIN_EXE_occi-conformance");

    let out = std::process::Command::new(bin)
        .args(["run", &base, "--only", "QI-001", "--cacert"])
        .arg(&ca_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("INSECURE"), "{stdout}");

    let out = std::process::Command::new(bin)
        .args(["run", &base, "--only", "QI-001", "--insecure"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let header: Vec<&str> = stdout.lines().take(3).collect();
    assert!(header.iter().any(|l| l.contains("INSECURE")), "{header:?}");
    assert!(stderr.contains("--insecure"), "{stderr}");

    let out = std::process::Command::new(bin)
        .args(["run", &base, "--only", "QI-001"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("--cacert"), "{stdout}");

    let out = std::process::Command::new(bin)
        .args(["run", &base, "--cert"])
        .arg(&ca_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
