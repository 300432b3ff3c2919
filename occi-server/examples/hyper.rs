//! The infrastructure model served by hyper through `occi_server::serve`.
//!
//! ```text
//! cargo run -p occi-server --example hyper -- 8080
//! curl -H 'Accept: text/plain' http://127.0.0.1:8080/-/
//! ```
//!
//! Ctrl-C stops it (open connections get up to ten seconds to finish).

use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{OcciVersion, Registry};
use occi_server::{Occi, OcciService, SimulatedActions, serve};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::args().nth(1) {
        Some(p) => p.parse()?,
        None => 8080,
    };
    let mut registry = Registry::new(OcciVersion::V1_2);
    infrastructure::register(&mut registry)?;
    infrastructure::register_crtp_templates(&mut registry)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let occi = Occi::builder()
        .registry(registry)
        .actions(SimulatedActions)
        .base_url(&base_url)?
        .build()?;
    println!("serving OCCI 1.2 on {base_url}/-/ (Ctrl-C stops)");
    serve(listener, OcciService::new(occi), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
