//! A service on occi-server, PySSF-style: a custom Kind whose Backend starts each new
//! instance in `initialise` and a background task that takes it through `activate`,
//! `deploy` and `provision` (watch it with GET), behind Hurtle's X-Auth-Token, under axum
//! beside an open health route.
//!
//! ```text
//! cargo run -p occi-server --example service
//! curl -i -X POST http://127.0.0.1:8080/demo/ -H 'X-Auth-Token: t0ken' -H 'X-Tenant-Name: acme' \
//!   -H 'Content-Type: text/occi' -H 'Category: demo; scheme="http://example.com/occi#"; class="kind"'
//! curl -H 'X-Auth-Token: t0ken' -H 'X-Tenant-Name: acme' http://127.0.0.1:8080/demo/<id>
//! ```

use std::time::Duration;

use occi_server::auth::{AuthLayer, StaticTokens, XAuthToken};
use occi_server::backend::{Backend, BackendError, Event, Hook};
use occi_server::occi_model::{
    AttributeDefinition, AttributeName, AttributeType, Entity, Kind, Location, OcciVersion,
    Registry,
};
use occi_server::{Expect, Occi, OcciService};
use tower_layer::Layer;

const STATE: &str = "mcn.service.state";

/// The demo service: what happens to its instances.
struct Demo;

impl Backend for Demo {
    async fn create(&self, _: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        entity.attributes_mut().insert(state(), "initialise".into());
        Ok(())
    }

    async fn committed(&self, hook: Hook<'_>, event: &Event) {
        let (Event::Created(_), Some(location)) = (event, event.entity().location()) else {
            return;
        };
        tracing::info!(%location, "deploying in the background");
        let (lifecycle, location) = (hook.lifecycle().clone(), location.clone());
        tokio::spawn(async move {
            for next in ["activate", "deploy", "provision"] {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let changed = lifecycle
                    .set_attribute(&location, Expect::Any, state(), next.into())
                    .await;
                if changed.is_err() {
                    return; // deleted meanwhile
                }
            }
        });
    }
}

fn state() -> AttributeName {
    STATE.parse().expect("a valid attribute name")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let kind = "http://example.com/occi#demo".parse()?;
    let mut registry = Registry::new(OcciVersion::V1_2);
    registry.register_kind(
        Kind::new(Clone::clone(&kind))
            .with_parent("http://schemas.ogf.org/occi/core#resource".parse()?)
            .with_location(Location::new("/demo/")?)
            .with_attribute(AttributeDefinition::new(state(), AttributeType::String).immutable()),
    )?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let occi = Occi::builder()
        .registry(registry)
        .backend(kind, Demo)
        .base_url(&base_url)?
        .build()?;
    let tokens = StaticTokens::new().token("t0ken", "sm", ["acme"]);
    let occi = AuthLayer::new(XAuthToken::new(tokens)).layer(OcciService::new(occi));
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" })) // open to all
        .fallback_service(occi);
    println!("demo service on {base_url}/-/ (Ctrl-C stops)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
