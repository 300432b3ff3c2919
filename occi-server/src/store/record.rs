//! How the database stores put an entity or a Mixin into rows and back: the OCCI 1.2 JSON
//! rendering for the body, and the indexed columns beside it.

use std::sync::Arc;

use occi_model::{CategoryId, Entity, Location, Mixin, Origin};
use occi_render::{ParseOptions, json};

use super::{Scan, Scope, StoreError, StoreErrorKind, Stored, TenantFilter};

/// The columns of one entity row besides its revision.
pub(crate) struct EntityRow {
    pub(crate) location: String,
    pub(crate) kind: String,
    pub(crate) id: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) target: Option<String>,
    pub(crate) mixins: Vec<String>,
    pub(crate) body: String,
}

/// The rows of an entity about to be stored (a Resource without its links).
pub(crate) fn entity_row(entity: &Entity) -> Result<EntityRow, StoreError> {
    let Some(location) = entity.location() else {
        return Err(StoreError::new(
            StoreErrorKind::Invalid,
            "an entity was stored without a location",
        ));
    };
    let (source, target) = match entity {
        Entity::Link(l) => (
            l.source.as_ref().map(ToString::to_string),
            l.target.as_ref().map(ToString::to_string),
        ),
        Entity::Resource(_) => (None, None),
    };
    let body = match entity {
        Entity::Resource(r) if !r.links.is_empty() => {
            let mut r = r.clone();
            r.links.clear();
            json::render_entity(&Entity::Resource(r))
        }
        _ => json::render_entity(entity),
    };
    Ok(EntityRow {
        location: location.to_string(),
        kind: entity.kind().to_string(),
        id: entity.id().map(ToString::to_string),
        source,
        target,
        mixins: entity.mixins().iter().map(ToString::to_string).collect(),
        body,
    })
}

/// The entity a stored body holds.
pub(crate) fn entity_from_body(location: &str, body: &str) -> Result<Entity, StoreError> {
    json::parse_entity(body.as_bytes(), &ParseOptions::lenient())
        .map(|parsed| parsed.value)
        .map_err(|e| {
            StoreError::new(
                StoreErrorKind::Backend,
                format!("the stored entity at {location} cannot be read back: {e}"),
            )
        })
}

/// A Mixin's stored body.
pub(crate) fn mixin_body(mixin: &Mixin) -> String {
    json::render_mixin(mixin)
}

/// The Mixin a stored body holds.
pub(crate) fn mixin_from_body(id: &str, body: &str) -> Result<Mixin, StoreError> {
    json::parse_mixin(body.as_bytes(), &ParseOptions::lenient())
        .map(|parsed| parsed.value)
        .map_err(|e| {
            StoreError::new(
                StoreErrorKind::Backend,
                format!("the stored Mixin {id} cannot be read back: {e}"),
            )
        })
}

/// How an origin is written in the database.
pub(crate) fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::Provider => "provider",
        Origin::User => "user",
    }
}

/// The origin a database value names (anything unknown is a user Mixin, the removable kind).
pub(crate) fn origin_from_name(name: &str) -> Origin {
    if name == "provider" {
        Origin::Provider
    } else {
        Origin::User
    }
}

/// The tenant column: `''` for no tenant, so every index covers it (SQL `NULL`s never
/// compare equal).
pub(crate) fn tenant_column(tenant: Option<&Arc<str>>) -> &str {
    tenant.map_or("", |t| t)
}

/// The tenant a column value names.
pub(crate) fn tenant_from_column(column: &str) -> Option<Arc<str>> {
    (!column.is_empty()).then(|| Arc::from(column))
}

/// The smallest string greater than every string starting with `prefix` (for an indexed
/// range scan of a path prefix), or `None` when there is none.
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Whether a location (a text column) is a valid [`Location`]; a row that is not is
/// reported rather than skipped.
pub(crate) fn location(column: &str) -> Result<Location, StoreError> {
    Location::new(column).map_err(|e| {
        StoreError::new(
            StoreErrorKind::Backend,
            format!("a stored location {column:?} is not valid: {e}"),
        )
    })
}

/// The category ids of a [`super::Scope::Kinds`] as stored.
pub(crate) fn category_names(ids: &[CategoryId]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

/// A parameter of a query the database stores build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

/// The query a [`Scan`] is, with `placeholder(n)` for the `n`th parameter (1-based): rows of
/// `location, tenant, revision, body`, in location order. Every scope is a range of one
/// index; `None` when the scan selects nothing.
pub(crate) fn scan_query(
    scan: &Scan,
    placeholder: impl Fn(usize) -> String,
) -> Option<(String, Vec<Param>)> {
    let mut params = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    let bind = |params: &mut Vec<Param>, p: Param| {
        params.push(p);
        placeholder(params.len())
    };
    let (from, owner_column, order_column) = match &scan.scope {
        Scope::Mixin(_) => (
            "entity_mixin m JOIN entity e ON e.location = m.location",
            "m.tenant",
            "m.location",
        ),
        _ => ("entity e", "e.tenant", "e.location"),
    };
    match &scan.scope {
        Scope::All => {}
        Scope::Kind(kind) => {
            let p = bind(&mut params, Param::Text(kind.to_string()));
            conditions.push(format!("e.kind = {p}"));
        }
        Scope::Kinds(kinds) => {
            if kinds.is_empty() {
                return None;
            }
            let list: Vec<String> = category_names(kinds)
                .into_iter()
                .map(|k| bind(&mut params, Param::Text(k)))
                .collect();
            conditions.push(format!("e.kind IN ({})", list.join(", ")));
        }
        Scope::Mixin(mixin) => {
            let p = bind(&mut params, Param::Text(mixin.to_string()));
            conditions.push(format!("m.mixin = {p}"));
        }
        Scope::Prefix(prefix) => {
            let p = bind(&mut params, Param::Text(prefix.clone()));
            conditions.push(format!("e.location >= {p}"));
            if let Some(end) = prefix_end(prefix) {
                let p = bind(&mut params, Param::Text(end));
                conditions.push(format!("e.location < {p}"));
            }
        }
        Scope::LinksFrom(source) => {
            let p = bind(&mut params, Param::Text(source.to_string()));
            conditions.push(format!("e.source = {p}"));
        }
        Scope::LinksTo(target) => {
            let p = bind(&mut params, Param::Text(target.to_string()));
            conditions.push(format!("e.target = {p}"));
        }
        Scope::Id(id) => {
            let p = bind(&mut params, Param::Text(id.to_string()));
            conditions.push(format!("e.id = {p}"));
        }
    }
    if let TenantFilter::Only(tenant) = &scan.tenant {
        let p = bind(
            &mut params,
            Param::Text(tenant_column(tenant.as_ref()).to_owned()),
        );
        conditions.push(format!("{owner_column} = {p}"));
    }
    if let Some(after) = &scan.after {
        let p = bind(&mut params, Param::Text(after.to_string()));
        conditions.push(format!("{order_column} > {p}"));
    }
    let mut sql = format!("SELECT e.location, e.tenant, e.revision, e.body FROM {from}");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(" ORDER BY ");
    sql.push_str(order_column);
    if let Some(limit) = scan.limit {
        let p = bind(
            &mut params,
            Param::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
        );
        sql.push_str(" LIMIT ");
        sql.push_str(&p);
    }
    Some((sql, params))
}

/// A stored row back as a [`Stored`].
pub(crate) fn stored(
    location: &str,
    tenant: &str,
    revision: i64,
    body: &str,
) -> Result<Stored, StoreError> {
    let mut entity = entity_from_body(location, body)?;
    let at = self::location(location)?;
    match &mut entity {
        Entity::Resource(r) => r.location = Some(at),
        Entity::Link(l) => l.location = Some(at),
    }
    Ok(Stored {
        entity,
        revision: u64::try_from(revision).map_err(|_| {
            StoreError::new(
                StoreErrorKind::Backend,
                format!("the stored revision of {location} is negative"),
            )
        })?,
        tenant: tenant_from_column(tenant),
    })
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn a_prefix_range_ends_after_every_extension() {
        assert_eq!(prefix_end("/compute/").as_deref(), Some("/compute0"));
        assert_eq!(prefix_end("/a").as_deref(), Some("/b"));
        assert!(prefix_end("").is_none());
        let end = prefix_end("/compute/").unwrap();
        for s in ["/compute/", "/compute/x", "/compute/\u{10FFFF}"] {
            assert!(s < end.as_str());
        }
        assert!("/compute0" >= end.as_str());
    }
}
