//! What a request addresses: the path (query interface, a Kind or Mixin collection, an
//! entity, an unbound namespace path) and the query string (`action`, `page`, `number`).

use occi_model::{CategoryClass, CategoryId, Location, Registry, Term};

/// The query interface paths (H11 §3.4.1, P12 §9).
pub(crate) const QUERY_INTERFACE: &str = "/-/";
pub(crate) const QUERY_INTERFACE_WELL_KNOWN: &str = "/.well-known/org/ogf/occi/-/";

/// What a path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `/-/` or its well-known mirror.
    QueryInterface,
    /// The collection of a Kind or Mixin, bound to its location.
    Collection(CategoryId, CategoryClass),
    /// An entity (a path that does not end with `/`).
    Entity(Location),
    /// A path that ends with `/` and is bound to no category (`/` included).
    Namespace(Location),
}

/// A path or query string that cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteError(pub(crate) String);

/// Classifies `path` (without query string).
pub(crate) fn route(registry: &Registry, path: &str) -> Result<Target, RouteError> {
    if path == QUERY_INTERFACE || path == QUERY_INTERFACE_WELL_KNOWN {
        return Ok(Target::QueryInterface);
    }
    if !path.starts_with('/') {
        return Err(RouteError(format!(
            "the path {path:?} does not start with '/'"
        )));
    }
    if path.contains(['?', '#']) {
        return Err(RouteError(format!("the path {path:?} contains '?' or '#'")));
    }
    let location = Location::new(path).map_err(|e| RouteError(format!("invalid path: {e}")))?;
    if !location.is_collection() {
        return Ok(Target::Entity(location));
    }
    match registry.by_location(path) {
        Some(category) => Ok(Target::Collection(category.id().clone(), category.class())),
        None => Ok(Target::Namespace(location)),
    }
}

/// The OCCI parameters of a query string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct QueryParams {
    /// `action=<term>` (H11 §3.4.4, P12 §10.3.2).
    pub(crate) action: Option<Term>,
    /// `page` (P12 §6).
    pub(crate) page: Option<u64>,
    /// `number` (P12 §6).
    pub(crate) number: Option<u64>,
}

/// Parses a query string. Pairs are separated by `&` or `;` (P12 §6 leaves this open).
/// Parameters other than `action`, `page` and `number` are ignored; a repeated or malformed
/// OCCI parameter is an error. Only the key `action` asks for an action.
pub(crate) fn parse_query(query: Option<&str>) -> Result<QueryParams, RouteError> {
    let mut params = QueryParams::default();
    let Some(query) = query else {
        return Ok(params);
    };
    for pair in query.split(['&', ';']).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "action" => {
                if params.action.is_some() {
                    return Err(RouteError("the query string names two actions".into()));
                }
                let term = Term::new(value)
                    .map_err(|e| RouteError(format!("query parameter action: {e}")))?;
                params.action = Some(term);
            }
            "page" | "number" => {
                let slot = if key == "page" {
                    &mut params.page
                } else {
                    &mut params.number
                };
                if slot.is_some() {
                    return Err(RouteError(format!("the query string repeats {key:?}")));
                }
                let n = value.parse::<u64>().map_err(|_| {
                    RouteError(format!(
                        "query parameter {key} must be a non-negative integer, not {value:?}"
                    ))
                })?;
                *slot = Some(n);
            }
            _ => {}
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use occi_model::OcciVersion;

    #[test]
    fn paths_are_classified() {
        let r = Registry::new(OcciVersion::V1_2);
        assert_eq!(route(&r, "/-/"), Ok(Target::QueryInterface));
        assert_eq!(
            route(&r, "/.well-known/org/ogf/occi/-/"),
            Ok(Target::QueryInterface)
        );
        assert_eq!(
            route(&r, "/resource/"),
            Ok(Target::Collection(
                "http://schemas.ogf.org/occi/core#resource".parse().unwrap(),
                CategoryClass::Kind
            ))
        );
        assert_eq!(
            route(&r, "/resource/1"),
            Ok(Target::Entity(Location::new("/resource/1").unwrap()))
        );
        assert_eq!(
            route(&r, "/"),
            Ok(Target::Namespace(Location::new("/").unwrap()))
        );
        assert_eq!(
            route(&r, "/vms/foo/"),
            Ok(Target::Namespace(Location::new("/vms/foo/").unwrap()))
        );
        for bad in ["/a/../b", "/a//b", "relative", "/a b", "*"] {
            assert!(route(&r, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn query_strings_are_parsed_strictly_where_it_matters() {
        assert_eq!(parse_query(None), Ok(QueryParams::default()));
        let p = parse_query(Some("action=start")).unwrap();
        assert_eq!(p.action.unwrap().as_str(), "start");
        let p = parse_query(Some("page=2;number=10&other=x")).unwrap();
        assert_eq!((p.page, p.number, p.action), (Some(2), Some(10), None));
        // Only the key `action` asks for an action.
        assert_eq!(parse_query(Some("start=1")).unwrap().action, None);
        for bad in [
            "action=",
            "action=a b",
            "action=start&action=stop",
            "page=-1",
            "number=x",
            "page=1&page=2",
        ] {
            assert!(parse_query(Some(bad)).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn routing_and_query_parsing_never_panic(path in "\\PC{0,60}", query in "\\PC{0,60}") {
            let r = Registry::new(OcciVersion::V1_2);
            let _ = route(&r, &path);
            let _ = route(&r, &format!("/{path}"));
            let parsed = parse_query(Some(&query));
            // Only the key `action` asks for an action.
            if let Ok(p) = parsed {
                proptest::prop_assert!(p.action.is_none() || query.contains("action="));
            }
        }
    }
}
