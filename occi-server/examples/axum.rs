//! The OCCI service inside an axum 0.8 application.
//!
//! ```text
//! cargo run -p occi-server --example axum -- 8080          # OCCI at the root
//! cargo run -p occi-server --example axum -- 8080 nested   # OCCI below /occi
//! curl http://127.0.0.1:8080/health
//! curl http://127.0.0.1:8080/-/         (or /occi/-/ when nested)
//! ```
//!
//! At the root the service is the router's fallback: axum's own routes come first and
//! everything else is OCCI. Nested, axum strips `/occi` before the service sees the path,
//! so the base URL names the prefix and `Location` headers and listings carry it.

use axum::Router;
use axum::routing::get;
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{OcciVersion, Registry};
use occi_server::{InMemoryStore, Occi, OcciService, SimulatedActions};

fn occi(
    base_url: &str,
) -> Result<OcciService<InMemoryStore, SimulatedActions>, Box<dyn std::error::Error>> {
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry)?;
    infrastructure::register_crtp_templates(&mut registry)?;
    let occi = Occi::builder()
        .registry(registry)
        .actions(SimulatedActions)
        .base_url(base_url)?
        .build()?;
    Ok(OcciService::new(occi))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = match args.next() {
        Some(p) => p.parse()?,
        None => 8080,
    };
    let nested = args.next().as_deref() == Some("nested");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let root = format!("http://{}", listener.local_addr()?);
    let health = get(|| async { "ok" });
    let app = if nested {
        let base_url = format!("{root}/occi");
        println!("serving OCCI 1.2 on {base_url}/-/ (Ctrl-C stops)");
        Router::new()
            .route("/health", health)
            .nest_service("/occi", occi(&base_url)?)
    } else {
        println!("serving OCCI 1.2 on {root}/-/ (Ctrl-C stops)");
        Router::new()
            .route("/health", health)
            .fallback_service(occi(&root)?)
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
