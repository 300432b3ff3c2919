//! The whole state of a store as one OCCI 1.2 JSON document, for backup and for moving
//! between stores (`occi-server export` / `occi-server import`).
//!
//! The document is a JSON object with the members of the OCCI 1.2 JSON rendering (GFD.225):
//! `mixins` (the stored Mixin definitions, J12 §3.4), `resources` and `links` (every entity,
//! J12 §3.3), and one extension member, `occi-rs`, which holds what OCCI has no rendering
//! for: the location and owner tenant of each entity (by position: the `n`th entry of
//! `occi-rs.resources` is about the `n`th resource), and the origin and owner of each Mixin.
//!
//! ```json
//! {
//!   "mixins": [ { "term": "blue", "scheme": "http://example.com/tags#", "location": "/blue/" } ],
//!   "resources": [ { "kind": "http://schemas.ogf.org/occi/infrastructure#compute", "id": "..." } ],
//!   "links": [],
//!   "occi-rs": {
//!     "format": 1,
//!     "resources": [ { "location": "/compute/...", "tenant": "acme" } ],
//!     "links": [],
//!     "mixins": { "http://example.com/tags#blue": { "origin": "user", "tenant": null } }
//!   }
//! }
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use occi_model::{Entity, Location, Origin};
use occi_render::{ParseOptions, json};
use serde_json::{Map, Value, json};

use super::{
    Change, Changeset, Expect, Scan, Scope, Store, StoreError, StoreErrorKind, StoredMixin,
};

/// The version of the `occi-rs` extension member this build writes.
const FORMAT: u64 = 1;

/// How many entities one page of an export reads.
const PAGE: usize = 1000;

fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::Provider => "provider",
        Origin::User => "user",
    }
}

fn parsed(rendering: &str) -> Result<Value, StoreError> {
    serde_json::from_str(rendering).map_err(|e| {
        StoreError::new(
            StoreErrorKind::Backend,
            format!("a rendering is not JSON: {e}"),
        )
    })
}

/// Every entity and Mixin of `store` as one document (see the module documentation).
pub async fn export<S: Store>(store: &S) -> Result<String, StoreError> {
    let (mut resources, mut resource_meta) = (Vec::new(), Vec::new());
    let (mut links, mut link_meta) = (Vec::new(), Vec::new());
    let mut after: Option<Location> = None;
    loop {
        let mut scan = Scan::new(Scope::All).limit(PAGE);
        if let Some(a) = after.take() {
            scan = scan.after(a);
        }
        let page = store.scan(&scan).await?;
        let Some(last) = page.last() else { break };
        after = last.entity.location().cloned();
        for stored in page {
            let meta = json!({
                "location": stored.entity.location().map(Location::as_str),
                "tenant": stored.tenant.as_deref(),
            });
            let value = parsed(&json::render_entity(&stored.entity))?;
            match stored.entity {
                Entity::Resource(_) => {
                    resources.push(value);
                    resource_meta.push(meta);
                }
                Entity::Link(_) => {
                    links.push(value);
                    link_meta.push(meta);
                }
            }
        }
    }
    let mut mixins = Vec::new();
    let mut mixin_meta = Map::new();
    for StoredMixin {
        mixin,
        origin,
        tenant,
    } in store.mixins().await?
    {
        mixin_meta.insert(
            mixin.id.to_string(),
            json!({ "origin": origin_name(origin), "tenant": tenant.as_deref() }),
        );
        mixins.push(parsed(&json::render_mixin(&mixin))?);
    }
    let document = json!({
        "mixins": mixins,
        "resources": resources,
        "links": links,
        "occi-rs": {
            "format": FORMAT,
            "resources": resource_meta,
            "links": link_meta,
            "mixins": mixin_meta,
        },
    });
    serde_json::to_string_pretty(&document).map_err(|e| {
        StoreError::new(
            StoreErrorKind::Backend,
            format!("the export cannot be written: {e}"),
        )
    })
}

/// What an import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Imported {
    /// Resources and links.
    pub entities: usize,
    /// Mixin definitions.
    pub mixins: usize,
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::new(StoreErrorKind::Invalid, message)
}

/// The changesets a document holds, by owner.
type Batches = BTreeMap<Option<Arc<str>>, Vec<Change>>;

fn changes_of(document: &[u8]) -> Result<(Batches, Imported), StoreError> {
    let document: Value = serde_json::from_slice(document).map_err(|e| {
        invalid(format!(
            "the document is not JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(document) = document else {
        return Err(invalid("the document is not a JSON object"));
    };
    let meta = document.get("occi-rs");
    if let Some(format) = meta.and_then(|m| m.get("format")).and_then(Value::as_u64)
        && format > FORMAT
    {
        return Err(invalid(format!(
            "the document's occi-rs format is {format}; this build reads up to {FORMAT}"
        )));
    }
    let tenant_of = |entry: Option<&Value>| -> Option<Arc<str>> {
        entry?.get("tenant")?.as_str().map(Arc::from)
    };
    let options = ParseOptions::lenient();
    let mut batches: BTreeMap<Option<Arc<str>>, Vec<Change>> = BTreeMap::new();
    let mut imported = Imported::default();
    for (member, index) in [("mixins", 0), ("resources", 1), ("links", 2)] {
        let items = match document.get(member) {
            None => continue,
            Some(Value::Array(items)) => items,
            Some(_) => return Err(invalid(format!("\"{member}\" is not an array"))),
        };
        for (i, item) in items.iter().enumerate() {
            let bytes = item.to_string();
            let at = || format!("{member}[{i}]");
            if index == 0 {
                let mixin = json::parse_mixin(bytes.as_bytes(), &options)
                    .map_err(|e| invalid(format!("{}: {e}", at())))?
                    .value;
                let key = mixin.id.to_string();
                let origin = match meta
                    .and_then(|m| m.get("mixins"))
                    .and_then(|m| m.get(&key))
                    .and_then(|m| m.get("origin"))
                    .and_then(Value::as_str)
                {
                    Some("provider") => Origin::Provider,
                    _ => Origin::User,
                };
                let entry = meta.and_then(|m| m.get("mixins")).and_then(|m| m.get(&key));
                batches
                    .entry(tenant_of(entry))
                    .or_default()
                    .push(Change::PutMixin { mixin, origin });
                imported.mixins += 1;
            } else {
                let mut entity = json::parse_entity(bytes.as_bytes(), &options)
                    .map_err(|e| invalid(format!("{}: {e}", at())))?
                    .value;
                let entry = meta.and_then(|m| m.get(member)).and_then(|m| m.get(i));
                let location = entry
                    .and_then(|e| e.get("location"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        invalid(format!(
                            "occi-rs.{member}[{i}] gives no location for {}",
                            at()
                        ))
                    })?;
                let location = Location::new(location).map_err(|e| {
                    invalid(format!(
                        "occi-rs.{member}[{i}]: the location is not valid: {e}"
                    ))
                })?;
                match &mut entity {
                    Entity::Resource(r) => r.location = Some(location),
                    Entity::Link(l) => l.location = Some(location),
                }
                batches
                    .entry(tenant_of(entry))
                    .or_default()
                    .push(Change::Put {
                        entity,
                        expect: Expect::Absent,
                    });
                imported.entities += 1;
            }
        }
    }
    Ok((batches, imported))
}

/// Stores every entity and Mixin of a document [`export`] wrote (or any document of the
/// same shape). Nothing may exist yet at the entities' locations (a conflict otherwise).
///
/// The entities and Mixins of one owner are stored in one changeset, all or nothing; a
/// document with several owners is stored one owner at a time, so a failure part-way
/// leaves the owners before it imported (the error says which).
pub async fn import<S: Store>(store: &S, document: &[u8]) -> Result<Imported, StoreError> {
    let (batches, imported) = changes_of(document)?;
    let mut done: Vec<String> = Vec::new();
    for (tenant, changes) in batches {
        let name = tenant
            .as_deref()
            .map_or_else(|| "no tenant".to_owned(), |t| format!("tenant {t}"));
        store
            .commit(Changeset::new(changes).owned_by(tenant))
            .await
            .map_err(|e| {
                let before = if done.is_empty() {
                    "nothing was imported".to_owned()
                } else {
                    format!("imported before it: {}", done.join(", "))
                };
                StoreError::new(e.kind(), format!("importing {name}: {e} ({before})"))
            })?;
        done.push(name);
    }
    Ok(imported)
}
