//! A bounded, per-thread cache of validated identifiers, shared by every parse on a thread.
//!
//! A server sees the same few hundred schemes, terms, type identifiers and attribute names
//! in every message; validating each again and allocating its `Arc<str>` is most of what a
//! parse would otherwise spend on them. This cache keeps the validated value and hands out
//! clones (a reference count increment). It also keeps whole Category lines of the
//! canonical text/plain form (`term; scheme="…"; class="kind"`), which repeat in every
//! message about the same kind of resource, for the one-pass reader of that form.
//!
//! * **A pure function cache.** Every function here returns exactly what the model
//!   constructor named in its docs (for a Category line, the reader it is given) returns
//!   for the same input: only values that constructor accepted are stored, a hit is only taken when that constructor would accept the input
//!   for the version asked for (a 1.2-only term is not returned for 1.1), and every other
//!   case (a miss, a value the version rejects, an invalid value) calls the constructor
//!   itself, so errors are the constructor's. Identifiers compare by content, so a cached
//!   value and a freshly built one are equal.
//! * **Bounded.** [`SLOTS`] direct-mapped slots per thread; a new value replaces whatever
//!   its slot held, so hostile input can only evict, never grow the table. Values longer
//!   than [`MAX_LEN`] bytes are never stored. A thread holds at most `SLOTS` entries of at
//!   most `MAX_LEN` bytes each (a type identifier counts scheme and term), allocated on the
//!   thread's first parse and freed when it exits.
//! * **Thread-safe without locks.** Each thread has its own table (`thread_local!`), so
//!   lookups never contend; the shared values are `Arc`s, which any thread may hold.
//! * **The OCCI documents' identifiers cost no reference count.** On a miss, the identifiers
//!   of Core, Infrastructure (with its templates) and Platform, as `occi_model::ext` builds
//!   them for either version, are looked up before the constructor is called. The
//!   extensions hold them as `&'static str` ([`Scheme::from_static`]), so the values handed
//!   out for them, and every copy a parse makes, are plain copies: no allocation, no atomic
//!   operation to take or to drop them. Other identifiers are shared `Arc`s.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;

use occi_model::ext::{infrastructure, platform};
use occi_model::{AttributeName, CategoryId, IdentError, OcciVersion, Registry, Scheme, Term};

/// Slots per thread (a power of two).
pub(crate) const SLOTS: usize = 1024;

/// The longest identifier stored, in bytes.
pub(crate) const MAX_LEN: usize = 256;

/// One cached identifier; `v1_1` says whether it also satisfies the OCCI 1.1 grammar.
#[derive(Clone)]
enum Value {
    Scheme(Scheme),
    Term(Term, bool),
    Name(AttributeName, bool),
    Id(CategoryId, bool),
    /// A Category in the canonical short form of text/plain (`term; scheme="…";
    /// class="kind"`), whether it is the Kind (else a Mixin), and `v1_1`.
    Short(CategoryId, bool, bool),
}

impl Value {
    /// The key: which constructor built it and the text it was built from.
    fn key(&self) -> (u8, &str) {
        match self {
            Self::Scheme(s) => (0, s.as_str()),
            Self::Term(t, _) => (1, t.as_str()),
            Self::Name(n, _) => (2, n.as_str()),
            // The text of a type identifier is not held in one piece; compared in `find`.
            Self::Id(..) => (3, ""),
            Self::Short(..) => (4, ""),
        }
    }
}

/// The OCCI documents' identifiers by tag (scheme, term, attribute name, type identifier)
/// and text: built once per process from the extensions' registries of both versions.
static DOCUMENTS: LazyLock<[HashMap<Box<str>, Value>; 4]> = LazyLock::new(|| {
    let mut maps: [HashMap<Box<str>, Value>; 4] = Default::default();
    for version in [OcciVersion::V1_1, OcciVersion::V1_2] {
        let mut registry = Registry::new(version);
        infrastructure::register(&mut registry).expect("the extensions register");
        infrastructure::register_crtp_templates(&mut registry).expect("the extensions register");
        platform::register(&mut registry).expect("the extensions register");
        for category in registry.categories() {
            let id = category.id();
            let v1_1 = id.term().conforms_to(OcciVersion::V1_1);
            let (scheme, term) = (id.scheme(), id.term());
            maps[0].insert(scheme.as_str().into(), Value::Scheme(scheme.clone()));
            maps[1].insert(term.as_str().into(), Value::Term(term.clone(), v1_1));
            maps[3].insert(id.to_string().into(), Value::Id(id.clone(), v1_1));
            for name in category.attributes().iter().map(|a| &a.name) {
                let v1_1 = name.conforms_to(OcciVersion::V1_1);
                maps[2].insert(name.as_str().into(), Value::Name(name.clone(), v1_1));
            }
        }
    }
    maps
});

/// The documents' value built by constructor `tag` from `raw`, if `raw` is one of theirs.
fn documents(tag: u8, raw: &str) -> Option<Value> {
    DOCUMENTS[usize::from(tag)].get(raw).cloned()
}

thread_local! {
    static TABLE: RefCell<Vec<Option<Value>>> = const { RefCell::new(Vec::new()) };
}

/// The slot of `s` under constructor `tag`: foldhash, the hash `hashbrown` uses by default,
/// which reads a short string in a few independent multiplications where a byte-chained
/// hash waits on one multiplication per word. The seed is fixed (the tag): a crafted set of
/// colliding identifiers can only evict each other, which costs what an uncached parse
/// costs.
fn hash(tag: u8, s: &str) -> usize {
    use std::hash::BuildHasher;
    let h = foldhash::fast::FixedState::with_seed(u64::from(tag)).hash_one(s);
    // The top bits are the best mixed; SLOTS is far below 2^32.
    #[allow(clippy::cast_possible_truncation)]
    let slot = (h >> (64 - SLOTS.trailing_zeros())) as usize;
    slot
}

/// Whether `v` was built by constructor `tag` from `raw`.
fn matches(v: &Value, tag: u8, raw: &str) -> bool {
    match v {
        Value::Id(id, _) => {
            tag == 3 && {
                let (scheme, term) = (id.scheme().as_str(), id.term().as_str());
                raw.len() == scheme.len() + term.len()
                    && raw.starts_with(scheme)
                    && raw.ends_with(term)
            }
        }
        Value::Short(id, kind, _) => tag == 4 && is_short_form(raw, id, *kind),
        other => other.key() == (tag, raw),
    }
}

/// Whether `raw` is exactly `term; scheme="scheme"; class="kind"` (or `"mixin"`) for `id`.
fn is_short_form(raw: &str, id: &CategoryId, kind: bool) -> bool {
    const SCHEME: &str = "; scheme=\"";
    let (term, scheme) = (id.term().as_str(), id.scheme().as_str());
    let class = if kind {
        "\"; class=\"kind\""
    } else {
        "\"; class=\"mixin\""
    };
    raw.len() == term.len() + SCHEME.len() + scheme.len() + class.len()
        && raw.starts_with(term)
        && raw[term.len()..].starts_with(SCHEME)
        && raw[term.len() + SCHEME.len()..].starts_with(scheme)
        && raw.ends_with(class)
}

/// The value built by constructor `tag` from `raw`, if cached.
fn find(tag: u8, raw: &str) -> Option<Value> {
    if raw.len() > MAX_LEN {
        return None;
    }
    TABLE.with(|t| {
        let t = t.borrow();
        let v = t.get(hash(tag, raw))?.as_ref()?;
        matches(v, tag, raw).then(|| v.clone())
    })
}

/// Stores `v`, built by constructor `tag` from `raw`, replacing its slot's value.
fn store(tag: u8, raw: &str, v: Value) {
    if raw.len() > MAX_LEN {
        return;
    }
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        if t.is_empty() {
            t.resize(SLOTS, None);
        }
        t[hash(tag, raw)] = Some(v);
    });
}

/// [`Scheme::new`].
pub(crate) fn scheme(raw: &str) -> Result<Scheme, IdentError> {
    if let Some(Value::Scheme(s)) = find(0, raw) {
        return Ok(s);
    }
    let s = match documents(0, raw) {
        Some(Value::Scheme(s)) => s,
        _ => Scheme::new(raw)?,
    };
    store(0, raw, Value::Scheme(s.clone()));
    Ok(s)
}

/// [`Term::parse`].
pub(crate) fn term(raw: &str, version: OcciVersion) -> Result<Term, IdentError> {
    if let Some(Value::Term(t, v1_1)) = find(1, raw)
        && (v1_1 || version == OcciVersion::V1_2)
    {
        return Ok(t);
    }
    let (t, v1_1) = match documents(1, raw) {
        Some(Value::Term(t, v1_1)) if v1_1 || version == OcciVersion::V1_2 => (t, v1_1),
        _ => {
            let t = Term::parse(raw, version)?;
            let v1_1 = t.conforms_to(OcciVersion::V1_1);
            (t, v1_1)
        }
    };
    store(1, raw, Value::Term(t.clone(), v1_1));
    Ok(t)
}

/// [`AttributeName::parse`].
pub(crate) fn attribute_name(raw: &str, version: OcciVersion) -> Result<AttributeName, IdentError> {
    if let Some(Value::Name(n, v1_1)) = find(2, raw)
        && (v1_1 || version == OcciVersion::V1_2)
    {
        return Ok(n);
    }
    let (n, v1_1) = match documents(2, raw) {
        Some(Value::Name(n, v1_1)) if v1_1 || version == OcciVersion::V1_2 => (n, v1_1),
        _ => {
            let n = AttributeName::parse(raw, version)?;
            let v1_1 = n.conforms_to(OcciVersion::V1_1);
            (n, v1_1)
        }
    };
    store(2, raw, Value::Name(n.clone(), v1_1));
    Ok(n)
}

/// [`CategoryId::from_parts`].
pub(crate) fn category_id(scheme: &str, term: &str) -> Result<CategoryId, IdentError> {
    Ok(CategoryId::new(
        self::scheme(scheme)?,
        self::term(term, OcciVersion::V1_2)?,
    ))
}

/// [`CategoryId::parse_type_identifier`], and whether the term satisfies the OCCI 1.1
/// grammar.
pub(crate) fn type_identifier(raw: &str) -> Result<(CategoryId, bool), IdentError> {
    if let Some(Value::Id(id, v1_1)) = find(3, raw) {
        return Ok((id, v1_1));
    }
    let (id, v1_1) = if let Some(Value::Id(id, v1_1)) = documents(3, raw) {
        (id, v1_1)
    } else {
        let id = CategoryId::parse_type_identifier(raw)?;
        let v1_1 = id.term().conforms_to(OcciVersion::V1_1);
        (id, v1_1)
    };
    store(3, raw, Value::Id(id.clone(), v1_1));
    Ok((id, v1_1))
}

/// A Category line of the canonical text/plain form (what follows `Category: `): its id and
/// whether it is the Kind. On a miss, `read` answers, and must answer what reading `raw`
/// for `version` gives; its answer is kept, and found again only for exactly the text that
/// renders it (`term; scheme="…"; class="kind"` or `"mixin"`), whose reading is
/// unambiguous. A term outside the 1.1 grammar is not returned for 1.1.
pub(crate) fn short_category(
    raw: &str,
    version: OcciVersion,
    read: impl FnOnce() -> Option<(CategoryId, bool)>,
) -> Option<(CategoryId, bool)> {
    if let Some(Value::Short(id, kind, v1_1)) = find(4, raw)
        && (v1_1 || version == OcciVersion::V1_2)
    {
        return Some((id, kind));
    }
    let (id, kind) = read()?;
    let v1_1 = id.term().conforms_to(OcciVersion::V1_1);
    store(4, raw, Value::Short(id.clone(), kind, v1_1));
    Some((id, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use occi_model::strategy;
    use proptest::prelude::*;

    /// Identifier-ish text: mostly valid, often not, with a small alphabet so that values
    /// repeat and collide in the table.
    fn raw() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-cA.#_-]{0,6}",
            "(http://e\\.x/[a-c]{0,3}#)?[a-cB.-]{0,4}",
            "[a-c#:/ é]{0,8}",
        ]
    }

    proptest! {
        /// Cached or not, every lookup answers what the model constructor answers: the same
        /// value or the same error, in any order of lookups and versions.
        #[test]
        fn cached_lookups_equal_the_constructors(
            queries in proptest::collection::vec((raw(), strategy::version()), 1..64),
        ) {
            for (s, v) in &queries {
                for _ in 0..2 {
                    prop_assert_eq!(scheme(s), Scheme::new(s));
                    prop_assert_eq!(term(s, *v), Term::parse(s, *v));
                    prop_assert_eq!(attribute_name(s, *v), AttributeName::parse(s, *v));
                    let reference = CategoryId::parse_type_identifier(s)
                        .map(|id| {
                            let v1_1 = id.term().conforms_to(OcciVersion::V1_1);
                            (id, v1_1)
                        });
                    prop_assert_eq!(type_identifier(s), reference);
                    prop_assert_eq!(category_id(s, s), CategoryId::from_parts(s, s));
                }
            }
        }
    }

    /// The OCCI documents' identifiers, answered from the extensions' static values, are
    /// what the constructors answer, for either version, cached or not; and the documents'
    /// table holds every identifier of the reference compute.
    #[test]
    fn the_documents_identifiers_equal_the_constructors() {
        for (tag, map) in DOCUMENTS.iter().enumerate() {
            assert!(!map.is_empty(), "tag {tag}");
            for raw in map.keys() {
                for v in [OcciVersion::V1_1, OcciVersion::V1_2] {
                    for _ in 0..2 {
                        match tag {
                            0 => assert_eq!(scheme(raw), Scheme::new(raw)),
                            1 => assert_eq!(term(raw, v), Term::parse(raw, v)),
                            2 => assert_eq!(attribute_name(raw, v), AttributeName::parse(raw, v)),
                            _ => assert_eq!(
                                type_identifier(raw).map(|(id, _)| id),
                                CategoryId::parse_type_identifier(raw)
                            ),
                        }
                    }
                }
            }
        }
        for (tag, raw) in [
            (0, "http://schemas.ogf.org/occi/infrastructure#"),
            (1, "networkinterface"),
            (2, "occi.compute.hostname"),
            (2, "occi.networkinterface.interface"),
            (
                3,
                "http://schemas.ogf.org/occi/infrastructure/compute/action#stop",
            ),
        ] {
            assert!(documents(tag, raw).is_some(), "{raw}");
        }
        assert!(documents(1, "ubuntu").is_none());
    }

    #[test]
    fn long_values_are_not_stored_and_the_table_is_bounded() {
        let long = format!("{}#", "http://example.com/".repeat(20));
        assert!(long.len() > MAX_LEN);
        assert_eq!(scheme(&long), Scheme::new(&long));
        assert!(find(0, &long).is_none());
        for k in 0..4 * SLOTS {
            let t = format!("t{k}");
            assert_eq!(
                term(&t, OcciVersion::V1_1),
                Term::parse(&t, OcciVersion::V1_1)
            );
        }
        TABLE.with(|t| assert_eq!(t.borrow().len(), SLOTS));
    }

    #[test]
    fn a_1_2_term_is_cached_but_not_returned_for_1_1() {
        assert!(term("Big.Term", OcciVersion::V1_2).is_ok());
        assert!(find(1, "Big.Term").is_some());
        assert_eq!(
            term("Big.Term", OcciVersion::V1_1),
            Term::parse("Big.Term", OcciVersion::V1_1)
        );
        assert!(term("Big.Term", OcciVersion::V1_1).is_err());
    }

    #[test]
    fn a_short_category_matches_its_own_text_only() {
        let id = CategoryId::parse_type_identifier("http://e.x/a#bc").unwrap();
        let kind = Value::Short(id.clone(), true, true);
        let mixin = Value::Short(id, false, true);
        let text = "bc; scheme=\"http://e.x/a#\"; class=\"kind\"";
        assert!(matches(&kind, 4, text));
        assert!(!matches(&kind, 3, text));
        assert!(matches(&mixin, 4, &text.replace("kind", "mixin")));
        for other in [
            text.replace("kind", "kine"),
            text.replace("kind", "mixin"),
            text.replace("bc;", "bd;"),
            text.replace("/a#", "/b#"),
            text.replace("; scheme", ";scheme "),
            text.replace("#\";", "#\" ;"),
            format!("{text} "),
            text[1..].to_owned(),
        ] {
            assert!(!matches(&kind, 4, &other), "{other}");
        }
    }

    #[test]
    fn a_type_identifier_is_not_confused_with_another_split() {
        // Same text, found under another constructor's tag: never a hit.
        let raw = "http://e.x/a#b";
        assert!(type_identifier(raw).is_ok());
        assert_eq!(
            term(raw, OcciVersion::V1_2),
            Term::parse(raw, OcciVersion::V1_2)
        );
        assert_eq!(scheme(raw), Scheme::new(raw));
    }
}
