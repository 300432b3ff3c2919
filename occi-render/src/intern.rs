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

use std::cell::RefCell;

use occi_model::{AttributeName, CategoryId, IdentError, OcciVersion, Scheme, Term};

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

thread_local! {
    static TABLE: RefCell<Vec<Option<Value>>> = const { RefCell::new(Vec::new()) };
}

/// A multiplicative hash over eight bytes at a time (the keys are short ASCII strings that
/// share long prefixes, so every byte takes part).
fn hash(tag: u8, s: &str) -> usize {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = u64::from(tag).wrapping_mul(K) ^ s.len() as u64;
    let mut chunks = s.as_bytes().chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
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
    let s = Scheme::new(raw)?;
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
    let t = Term::parse(raw, version)?;
    let v1_1 = t.conforms_to(OcciVersion::V1_1);
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
    let n = AttributeName::parse(raw, version)?;
    let v1_1 = n.conforms_to(OcciVersion::V1_1);
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
    let id = CategoryId::parse_type_identifier(raw)?;
    let v1_1 = id.term().conforms_to(OcciVersion::V1_1);
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
