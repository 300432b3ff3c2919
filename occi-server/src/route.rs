//! What a request addresses and what it asks for: the path (query interface, a Kind or
//! Mixin collection, an entity, an unbound namespace path), the query string (`action`,
//! `page`, `number`), and the route table from (target, method) to the typed [`Operation`]
//! the server performs, which also answers `Allow`.

use http::Method;
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

/// What a request does: one per row of the route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Operation {
    /// `GET /-/`: the categories, filtered.
    QueryInterface,
    /// `POST /-/`: user-defined Mixins added.
    AddMixins,
    /// `DELETE /-/`: user-defined Mixins removed.
    RemoveMixins,
    /// `GET` of a collection or an unbound path: the entities, filtered and paged.
    List(Listing),
    /// `POST` to a Kind's collection: an entity created.
    Create(CategoryId),
    /// `POST <collection>?action=`: an action on every member.
    CollectionAction(CategoryId),
    /// `DELETE` of a Kind's collection: its members (or the listed ones) deleted.
    DeleteCollection(CategoryId),
    /// `POST`, `PUT` or `DELETE` of a Mixin's collection: entities associated or not.
    Membership(CategoryId, Membership),
    /// `DELETE` of an unbound path: everything below it deleted.
    DeleteBelow(Location),
    /// `GET` of an entity.
    Retrieve(Location),
    /// `POST` to an entity: a partial update.
    Update(Location),
    /// `PUT` to an entity: a replacement, or a creation at a chosen path.
    Put(Location),
    /// `DELETE` of an entity.
    Delete(Location),
    /// `POST <entity>?action=`: an action.
    EntityAction(Location),
}

/// What a listing covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listing {
    /// The entities of a Kind (and the Kinds below it) or of a Mixin.
    Category(CategoryId),
    /// The entities whose location lies below this path.
    Prefix(Location),
}

/// How a Mixin collection request changes membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Membership {
    /// `POST`: the listed entities join.
    Add,
    /// `PUT`: exactly the listed entities are members afterwards.
    Replace,
    /// `DELETE`: the listed entities leave.
    Remove,
}

/// Why the route table has no operation for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The method is not one the target allows (405 with `Allow`).
    MethodNotAllowed,
    /// The target allows the method but not this use of it (405 with `Allow`, and a reason).
    NotHere(&'static str),
    /// `?action=` with a method other than POST (400).
    ActionNeedsPost,
}

/// The methods the route table is asked about for `Allow`, in the order listed.
const METHODS: [Method; 5] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
];

/// The route table: the operation for `method` on `target`, `action` telling whether the
/// query string asks for an action.
pub(crate) fn operation(
    target: &Target,
    method: &Method,
    action: bool,
) -> Result<Operation, Refusal> {
    use Operation as Op;
    let read = *method == Method::GET || *method == Method::HEAD;
    if action && *method != Method::POST {
        return operation(target, method, false).and(Err(Refusal::ActionNeedsPost));
    }
    let op = match target {
        Target::QueryInterface => match *method {
            _ if read => Op::QueryInterface,
            Method::POST if action => {
                return Err(Refusal::NotHere(
                    "no action (?action=…) is defined on the query interface",
                ));
            }
            Method::POST => Op::AddMixins,
            Method::DELETE => Op::RemoveMixins,
            _ => return Err(Refusal::MethodNotAllowed),
        },
        Target::Collection(id, class) => {
            let kind = *class == CategoryClass::Kind;
            match *method {
                _ if read => Op::List(Listing::Category(id.clone())),
                Method::POST if action => Op::CollectionAction(id.clone()),
                Method::POST if kind => Op::Create(id.clone()),
                Method::DELETE if kind => Op::DeleteCollection(id.clone()),
                Method::POST => Op::Membership(id.clone(), Membership::Add),
                Method::PUT if !kind => Op::Membership(id.clone(), Membership::Replace),
                Method::DELETE => Op::Membership(id.clone(), Membership::Remove),
                _ => return Err(Refusal::MethodNotAllowed),
            }
        }
        Target::Namespace(prefix) => match *method {
            _ if read => Op::List(Listing::Prefix(prefix.clone())),
            Method::DELETE if prefix.as_str() != "/" => Op::DeleteBelow(prefix.clone()),
            _ => return Err(Refusal::MethodNotAllowed),
        },
        Target::Entity(location) => match *method {
            _ if read => Op::Retrieve(location.clone()),
            Method::POST if action => Op::EntityAction(location.clone()),
            Method::POST => Op::Update(location.clone()),
            Method::PUT => Op::Put(location.clone()),
            Method::DELETE => Op::Delete(location.clone()),
            _ => return Err(Refusal::MethodNotAllowed),
        },
    };
    Ok(op)
}

/// The `Allow` header of `target`: every method the route table has an operation for.
pub(crate) fn allow(target: &Target) -> String {
    METHODS
        .iter()
        .filter(|m| operation(target, m, false).is_ok())
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
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
    /// `after=<location>`: a listing page starts after this location (keyset paging, beyond
    /// the OCCI documents: the last location of one page asks for the next).
    pub(crate) after: Option<Location>,
}

/// Parses a query string. Pairs are separated by `&` or `;` (P12 §6 leaves this open).
/// A repeated or malformed OCCI parameter is an error, and so is any parameter other than
/// `action`, `page`, `number` and `after`: OCCI filters travel in `Category` and `X-OCCI-Attribute`
/// headers (or a text/plain body), in OCCI 1.2 too (P12 §4.4), and a filter given in the
/// query string would otherwise be silently ignored and everything returned. Only the key
/// `action` asks for an action.
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
            "after" => {
                if params.after.is_some() {
                    return Err(RouteError("the query string repeats \"after\"".into()));
                }
                let decoded = percent_encoding::percent_decode_str(value)
                    .decode_utf8()
                    .map_err(|_| {
                        RouteError(format!(
                            "query parameter after: {value:?} is not percent-encoded UTF-8"
                        ))
                    })?;
                let location = Location::new(&decoded)
                    .map_err(|e| RouteError(format!("query parameter after: {e}")))?;
                params.after = Some(location);
            }
            other => {
                return Err(RouteError(format!(
                    "the query parameter {other:?} is not supported: this server reads action, page, number and after; filters are Category and X-OCCI-Attribute headers (or a text/plain body)"
                )));
            }
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
        let p = parse_query(Some("page=2;number=10")).unwrap();
        assert_eq!((p.page, p.number, p.action), (Some(2), Some(10), None));
        let p = parse_query(Some("number=10&after=%2Fcompute%2Fa-b")).unwrap();
        assert_eq!(p.after.unwrap().as_str(), "/compute/a-b");
        for bad in [
            "start=1",
            "category=compute",
            "attribute=occi.core.title%3Dx",
            "page=2;number=10&other=x",
            "action=",
            "action=a b",
            "action=start&action=stop",
            "page=-1",
            "number=x",
            "page=1&page=2",
            "after=/a&after=/b",
            "after=%FF",
            "after=",
        ] {
            assert!(parse_query(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_route_table_answers_allow() {
        let at = |p: &str| Target::Namespace(Location::new(p).unwrap());
        let kind = Target::Collection(
            "http://schemas.ogf.org/occi/core#resource".parse().unwrap(),
            CategoryClass::Kind,
        );
        let mixin = Target::Collection(
            "http://example.com/m#x".parse().unwrap(),
            CategoryClass::Mixin,
        );
        let entity = Target::Entity(Location::new("/resource/1").unwrap());
        assert_eq!(allow(&Target::QueryInterface), "GET, HEAD, POST, DELETE");
        assert_eq!(allow(&kind), "GET, HEAD, POST, DELETE");
        assert_eq!(allow(&mixin), "GET, HEAD, POST, PUT, DELETE");
        assert_eq!(allow(&entity), "GET, HEAD, POST, PUT, DELETE");
        assert_eq!(allow(&at("/")), "GET, HEAD");
        assert_eq!(allow(&at("/vms/")), "GET, HEAD, DELETE");
        // Every method Allow lists has an operation, and no other method has one.
        for target in [
            Target::QueryInterface,
            kind,
            mixin,
            entity,
            at("/"),
            at("/vms/"),
        ] {
            let allowed = allow(&target);
            for method in METHODS.iter().chain([&Method::PATCH, &Method::OPTIONS]) {
                assert_eq!(
                    operation(&target, method, false).is_ok(),
                    allowed.split(", ").any(|m| m == method.as_str()),
                    "{method} on {target:?}"
                );
            }
        }
        assert_eq!(
            operation(&Target::QueryInterface, &Method::POST, true),
            Err(Refusal::NotHere(
                "no action (?action=…) is defined on the query interface"
            ))
        );
        assert_eq!(
            operation(&at("/vms/"), &Method::GET, true),
            Err(Refusal::ActionNeedsPost)
        );
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
