//! Storage: the [`Store`] trait, its object-safe twin [`DynStore`], and [`InMemoryStore`].
//!
//! A store keeps entities by location, each with a revision number that changes on every
//! write. Reads return [`Stored`] entities; every write is one atomic [`Store::commit`] of a
//! changeset whose changes each carry a precondition ([`Expect`]) on the current revision.
//! The server reads, validates and computes the new state without holding any lock, then
//! commits; if another request changed an entity in between, the commit fails with
//! [`StoreErrorKind::Conflict`] and changes nothing, and the server retries or answers 409.
//! That is how "a request either fully succeeds or changes nothing" holds for collection
//! actions, mixin membership changes and cascading deletes, under concurrency.
//!
//! Links are stored as entities of their own, at their own location. A Resource is stored
//! without its `links`; the server assembles them from [`Scope::LinksFrom`] when it renders.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use occi_model::{CategoryId, Entity, Location};

/// An entity as stored, with its revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The entity (a Resource is stored without its `links`).
    pub entity: Entity,
    /// Changes on every write of this location; never reused for the same location.
    pub revision: u64,
}

/// Which entities a [`Store::scan`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Every entity.
    All,
    /// Entities whose Kind is exactly this one.
    Kind(CategoryId),
    /// Entities associated with this Mixin.
    Mixin(CategoryId),
    /// Entities whose location path starts with this prefix (which ends with `/`).
    Prefix(String),
    /// Links whose source is this location.
    LinksFrom(Location),
    /// Links whose target is this location.
    LinksTo(Location),
}

/// A precondition on the current state of a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Nothing may be stored there.
    Absent,
    /// The entity there must have this revision.
    Revision(u64),
    /// No precondition.
    Any,
}

/// One change of a changeset.
// Changesets are short-lived and hold a handful of changes; boxing every entity would cost an
// allocation per write for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Store `entity` at its location (which must be set).
    Put {
        /// The entity; its `location` says where.
        entity: Entity,
        /// The precondition.
        expect: Expect,
    },
    /// Write nothing, but fail the changeset unless `location` satisfies `expect` (a link's
    /// target must still exist when the link is stored).
    Require {
        /// Where.
        location: Location,
        /// The precondition.
        expect: Expect,
    },
    /// Remove what is stored at `location`.
    Delete {
        /// Where.
        location: Location,
        /// The precondition (`Revision` or `Any`; deleting nothing is not an error).
        expect: Expect,
    },
}

/// What went wrong in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// A precondition failed: another request changed the data first. Nothing was changed.
    Conflict,
    /// A change was malformed (an entity without a location). Nothing was changed.
    Invalid,
    /// The backend failed (I/O, a poisoned lock, a remote service).
    Backend,
    /// The backend is temporarily unavailable.
    Unavailable,
}

/// An error from a [`Store`].
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl StoreError {
    /// An error of `kind` with a message.
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// A backend error caused by `source`.
    pub fn backend(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            kind: StoreErrorKind::Backend,
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Where a server keeps its entities.
///
/// Methods return `Send` futures so a store can do I/O under any multi-threaded runtime;
/// implementations may write `async fn`. For a store chosen at run time, use
/// [`DynStore`] (`Arc<dyn DynStore>` implements `Store`).
pub trait Store: Send + Sync + 'static {
    /// The entity at `location`.
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// The entities in `scope`, in location order.
    fn scan(&self, scope: &Scope) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send;

    /// Applies every change, or none: if any precondition fails the store is unchanged and
    /// the error is a [`StoreErrorKind::Conflict`]. Changes apply in order, so a later change
    /// sees an earlier one (its precondition is checked against the state the earlier
    /// changes leave).
    fn commit(&self, changes: Vec<Change>) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A boxed future, for [`DynStore`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe twin of [`Store`], for choosing a store at run time:
/// every `Store` is a `DynStore`, and `Arc<dyn DynStore>` is a `Store`.
pub trait DynStore: Send + Sync + 'static {
    /// See [`Store::get`].
    fn get_dyn<'a>(
        &'a self,
        location: &'a Location,
    ) -> BoxFuture<'a, Result<Option<Stored>, StoreError>>;
    /// See [`Store::scan`].
    fn scan_dyn<'a>(&'a self, scope: &'a Scope) -> BoxFuture<'a, Result<Vec<Stored>, StoreError>>;
    /// See [`Store::commit`].
    fn commit_dyn(&self, changes: Vec<Change>) -> BoxFuture<'_, Result<(), StoreError>>;
}

impl<T: Store> DynStore for T {
    fn get_dyn<'a>(
        &'a self,
        location: &'a Location,
    ) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        Box::pin(self.get(location))
    }

    fn scan_dyn<'a>(&'a self, scope: &'a Scope) -> BoxFuture<'a, Result<Vec<Stored>, StoreError>> {
        Box::pin(self.scan(scope))
    }

    fn commit_dyn(&self, changes: Vec<Change>) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.commit(changes))
    }
}

// Dispatch on the trait object itself: `Arc<dyn DynStore>` is a `DynStore` too (through the
// blanket impl), and calling that one would recurse.
impl Store for Arc<dyn DynStore> {
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        let (store, location) = (Arc::clone(self), location.clone());
        async move { <dyn DynStore>::get_dyn(&*store, &location).await }
    }

    fn scan(&self, scope: &Scope) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send {
        let (store, scope) = (Arc::clone(self), scope.clone());
        async move { <dyn DynStore>::scan_dyn(&*store, &scope).await }
    }

    fn commit(&self, changes: Vec<Change>) -> impl Future<Output = Result<(), StoreError>> + Send {
        let store = Arc::clone(self);
        async move { <dyn DynStore>::commit_dyn(&*store, changes).await }
    }
}

#[derive(Debug, Default)]
struct Inner {
    entities: BTreeMap<Location, Stored>,
    by_kind: HashMap<CategoryId, BTreeSet<Location>>,
    by_mixin: HashMap<CategoryId, BTreeSet<Location>>,
    links_from: HashMap<Location, BTreeSet<Location>>,
    links_to: HashMap<Location, BTreeSet<Location>>,
    next_revision: u64,
}

impl Inner {
    fn index(&mut self, location: &Location, entity: &Entity, add: bool) {
        fn update<K: std::hash::Hash + Eq + Clone>(
            map: &mut HashMap<K, BTreeSet<Location>>,
            key: &K,
            location: &Location,
            add: bool,
        ) {
            if add {
                map.entry(key.clone()).or_default().insert(location.clone());
            } else if let Some(set) = map.get_mut(key) {
                set.remove(location);
                if set.is_empty() {
                    map.remove(key);
                }
            }
        }
        update(&mut self.by_kind, entity.kind(), location, add);
        for mixin in entity.mixins() {
            update(&mut self.by_mixin, mixin, location, add);
        }
        if let Entity::Link(link) = entity {
            if let Some(source) = &link.source {
                update(&mut self.links_from, source, location, add);
            }
            if let Some(target) = &link.target {
                update(&mut self.links_to, target, location, add);
            }
        }
    }

    fn check(&self, location: &Location, expect: Expect) -> Result<(), StoreError> {
        let current = self.entities.get(location).map(|s| s.revision);
        let ok = match expect {
            Expect::Any => true,
            Expect::Absent => current.is_none(),
            Expect::Revision(r) => current == Some(r),
        };
        if ok {
            Ok(())
        } else {
            Err(StoreError::new(
                StoreErrorKind::Conflict,
                format!("{location} was changed by another request"),
            ))
        }
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::Put { mut entity, .. } => {
                if let Entity::Resource(r) = &mut entity {
                    r.links.clear();
                }
                let location = entity.location().cloned().expect("checked before applying");
                if let Some(old) = self.entities.remove(&location) {
                    self.index(&location, &old.entity, false);
                }
                self.next_revision += 1;
                self.index(&location, &entity, true);
                self.entities.insert(
                    location,
                    Stored {
                        entity,
                        revision: self.next_revision,
                    },
                );
            }
            Change::Delete { location, .. } => {
                if let Some(old) = self.entities.remove(&location) {
                    self.index(&location, &old.entity, false);
                }
            }
            Change::Require { .. } => {}
        }
    }

    fn locations(&self, scope: &Scope) -> Vec<&Location> {
        fn from_set(set: Option<&BTreeSet<Location>>) -> Vec<&Location> {
            set.map(|s| s.iter().collect()).unwrap_or_default()
        }
        match scope {
            Scope::All => self.entities.keys().collect(),
            Scope::Kind(kind) => from_set(self.by_kind.get(kind)),
            Scope::Mixin(mixin) => from_set(self.by_mixin.get(mixin)),
            Scope::LinksFrom(source) => from_set(self.links_from.get(source)),
            Scope::LinksTo(target) => from_set(self.links_to.get(target)),
            Scope::Prefix(prefix) => self
                .entities
                .range::<str, _>((
                    std::ops::Bound::Included(prefix.as_str()),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(l, _)| l.as_str().starts_with(prefix.as_str()))
                .map(|(l, _)| l)
                .collect(),
        }
    }
}

/// The default store: everything in memory, behind one lock that is never held across an
/// `.await` (every method completes immediately).
///
/// Cloning gives another handle to the same data.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStore {
    inner: Arc<RwLock<Inner>>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, Inner>, StoreError> {
        self.inner
            .read()
            .map_err(|_| StoreError::new(StoreErrorKind::Backend, "the store's lock is poisoned"))
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Inner>, StoreError> {
        self.inner
            .write()
            .map_err(|_| StoreError::new(StoreErrorKind::Backend, "the store's lock is poisoned"))
    }

    fn get_now(&self, location: &Location) -> Result<Option<Stored>, StoreError> {
        Ok(self.read()?.entities.get(location).cloned())
    }

    fn scan_now(&self, scope: &Scope) -> Result<Vec<Stored>, StoreError> {
        let inner = self.read()?;
        Ok(inner
            .locations(scope)
            .into_iter()
            .filter_map(|l| inner.entities.get(l).cloned())
            .collect())
    }

    fn commit_now(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        // Check every precondition against the state the earlier changes leave, without
        // touching the store: track the locations this changeset writes and deletes.
        let mut overlay: HashMap<&Location, bool> = HashMap::new();
        for change in &changes {
            let (location, expect, present_after) = match change {
                Change::Put { entity, expect } => {
                    let Some(location) = entity.location() else {
                        return Err(StoreError::new(
                            StoreErrorKind::Invalid,
                            "an entity was stored without a location",
                        ));
                    };
                    (location, *expect, true)
                }
                Change::Delete { location, expect } => (location, *expect, false),
                Change::Require { location, expect } => {
                    match overlay.get(location) {
                        None => inner.check(location, *expect)?,
                        Some(present) => {
                            let ok = match expect {
                                Expect::Any => true,
                                Expect::Absent => !present,
                                Expect::Revision(_) => false,
                            };
                            if !ok {
                                return Err(StoreError::new(
                                    StoreErrorKind::Conflict,
                                    format!("{location} is changed earlier in the same changeset"),
                                ));
                            }
                        }
                    }
                    continue;
                }
            };
            match (overlay.get(location), expect) {
                (_, Expect::Any) => {}
                (None, expect) => inner.check(location, expect)?,
                (Some(present), Expect::Absent) if !*present => {}
                (Some(_), _) => {
                    return Err(StoreError::new(
                        StoreErrorKind::Conflict,
                        format!("{location} is changed twice in one changeset"),
                    ));
                }
            }
            overlay.insert(location, present_after);
        }
        for change in changes {
            inner.apply(change);
        }
        Ok(())
    }
}

impl Store for InMemoryStore {
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        std::future::ready(self.get_now(location))
    }

    fn scan(&self, scope: &Scope) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send {
        std::future::ready(self.scan_now(scope))
    }

    fn commit(&self, changes: Vec<Change>) -> impl Future<Output = Result<(), StoreError>> + Send {
        std::future::ready(self.commit_now(changes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use occi_model::{Link, Resource};

    fn block<F: Future>(f: F) -> F::Output {
        // Every InMemoryStore future is ready on first poll.
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("InMemoryStore futures are always ready"),
        }
    }

    fn loc(s: &str) -> Location {
        Location::new(s).unwrap()
    }

    fn compute(at: &str) -> Entity {
        let mut r = Resource::new(
            "http://schemas.ogf.org/occi/infrastructure#compute"
                .parse()
                .unwrap(),
        );
        r.location = Some(loc(at));
        r.into()
    }

    fn nic(at: &str, from: &str, to: &str) -> Entity {
        let mut l = Link::new(
            "http://schemas.ogf.org/occi/infrastructure#networkinterface"
                .parse()
                .unwrap(),
        );
        l.location = Some(loc(at));
        l.source = Some(loc(from));
        l.target = Some(loc(to));
        l.into()
    }

    fn put(entity: Entity, expect: Expect) -> Change {
        Change::Put { entity, expect }
    }

    #[test]
    fn create_read_scan_delete() {
        let store = InMemoryStore::new();
        block(store.commit(vec![
            put(compute("/compute/1"), Expect::Absent),
            put(compute("/compute/2"), Expect::Absent),
            put(nic("/link/1", "/compute/1", "/network/1"), Expect::Absent),
        ]))
        .unwrap();
        let one = block(store.get(&loc("/compute/1"))).unwrap().unwrap();
        let kind = one.entity.kind().clone();
        let all: Vec<String> = block(store.scan(&Scope::Kind(kind)))
            .unwrap()
            .iter()
            .map(|s| s.entity.location().unwrap().to_string())
            .collect();
        assert_eq!(all, ["/compute/1", "/compute/2"]);
        let from = block(store.scan(&Scope::LinksFrom(loc("/compute/1")))).unwrap();
        assert_eq!(from.len(), 1);
        let to = block(store.scan(&Scope::LinksTo(loc("/network/1")))).unwrap();
        assert_eq!(to, from);
        let prefix = block(store.scan(&Scope::Prefix("/compute/".into()))).unwrap();
        assert_eq!(prefix.len(), 2);
        block(store.commit(vec![Change::Delete {
            location: loc("/link/1"),
            expect: Expect::Revision(from[0].revision),
        }]))
        .unwrap();
        assert!(
            block(store.scan(&Scope::LinksFrom(loc("/compute/1"))))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_failed_precondition_changes_nothing() {
        let store = InMemoryStore::new();
        block(store.commit(vec![put(compute("/compute/1"), Expect::Absent)])).unwrap();
        let before = block(store.scan(&Scope::All)).unwrap();
        let err = block(store.commit(vec![
            put(compute("/compute/2"), Expect::Absent),
            put(compute("/compute/1"), Expect::Absent),
        ]))
        .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Conflict);
        assert_eq!(block(store.scan(&Scope::All)).unwrap(), before);
        let stale = before[0].revision + 1;
        let err = block(store.commit(vec![put(compute("/compute/1"), Expect::Revision(stale))]))
            .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Conflict);
    }

    #[test]
    fn revisions_change_on_every_write_and_changesets_chain() {
        let store = InMemoryStore::new();
        block(store.commit(vec![put(compute("/compute/1"), Expect::Absent)])).unwrap();
        let r1 = block(store.get(&loc("/compute/1")))
            .unwrap()
            .unwrap()
            .revision;
        block(store.commit(vec![put(compute("/compute/1"), Expect::Revision(r1))])).unwrap();
        let r2 = block(store.get(&loc("/compute/1")))
            .unwrap()
            .unwrap()
            .revision;
        assert_ne!(r1, r2);
        // Delete then re-create in one changeset; writing one location twice otherwise conflicts.
        block(store.commit(vec![
            Change::Delete {
                location: loc("/compute/1"),
                expect: Expect::Revision(r2),
            },
            put(compute("/compute/1"), Expect::Absent),
        ]))
        .unwrap();
        let err = block(store.commit(vec![
            put(compute("/compute/3"), Expect::Absent),
            put(compute("/compute/3"), Expect::Revision(1)),
        ]))
        .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Conflict);
        assert!(block(store.get(&loc("/compute/3"))).unwrap().is_none());
    }

    #[test]
    fn resources_are_stored_without_links_and_mixins_are_indexed() {
        let store = InMemoryStore::new();
        let mut e = compute("/compute/1");
        let tag: CategoryId = "http://example.com/tags#blue".parse().unwrap();
        if let Entity::Resource(r) = &mut e {
            r.mixins.push(tag.clone());
            if let Entity::Link(l) = nic("/link/1", "/compute/1", "/network/1") {
                r.links.push(l);
            }
        }
        block(store.commit(vec![put(e, Expect::Absent)])).unwrap();
        let stored = block(store.get(&loc("/compute/1"))).unwrap().unwrap();
        assert!(stored.entity.as_resource().unwrap().links.is_empty());
        assert_eq!(block(store.scan(&Scope::Mixin(tag))).unwrap().len(), 1);
        let untagged = compute("/compute/1");
        block(store.commit(vec![put(untagged, Expect::Any)])).unwrap();
        let tag: CategoryId = "http://example.com/tags#blue".parse().unwrap();
        assert!(block(store.scan(&Scope::Mixin(tag))).unwrap().is_empty());
    }

    #[test]
    fn require_checks_without_writing() {
        let store = InMemoryStore::new();
        block(store.commit(vec![put(compute("/compute/1"), Expect::Absent)])).unwrap();
        let r = block(store.get(&loc("/compute/1")))
            .unwrap()
            .unwrap()
            .revision;
        block(store.commit(vec![
            Change::Require {
                location: loc("/compute/1"),
                expect: Expect::Revision(r),
            },
            put(nic("/link/1", "/compute/1", "/network/1"), Expect::Absent),
        ]))
        .unwrap();
        assert_eq!(
            block(store.get(&loc("/compute/1")))
                .unwrap()
                .unwrap()
                .revision,
            r
        );
        let err = block(store.commit(vec![
            Change::Require {
                location: loc("/network/1"),
                expect: Expect::Revision(1),
            },
            put(nic("/link/2", "/compute/1", "/network/1"), Expect::Absent),
        ]))
        .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Conflict);
        assert!(block(store.get(&loc("/link/2"))).unwrap().is_none());
    }

    #[test]
    fn a_put_without_location_is_invalid() {
        let store = InMemoryStore::new();
        let mut e = compute("/compute/1");
        if let Entity::Resource(r) = &mut e {
            r.location = None;
        }
        let err = block(store.commit(vec![put(e, Expect::Any)])).unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Invalid);
    }

    #[test]
    fn a_dyn_store_behaves_like_the_store() {
        let store: Arc<dyn DynStore> = Arc::new(InMemoryStore::new());
        block(store.commit(vec![put(compute("/compute/9"), Expect::Absent)])).unwrap();
        assert!(block(store.get(&loc("/compute/9"))).unwrap().is_some());
    }
}
