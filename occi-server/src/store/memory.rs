//! [`InMemoryStore`]: everything in memory, indexed.
//!
//! An entity is kept as its OCCI 1.2 JSON rendering (a Resource without its links), read
//! back on every read: a compute takes about as many bytes as its rendering, where the model
//! form (a map node per attribute set, an allocation per name and value) took four times as
//! many. Reading one back costs a few microseconds, the same at any size of the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use occi_model::{CategoryId, Entity, EntityId, Location};
use occi_render::{ParseOptions, json};

use super::{
    Change, Changeset, Scan, Scope, Store, StoreError, StoreErrorKind, Stored, StoredMixin,
    TenantFilter, check_changeset,
};

/// What an index entry is keyed by, within one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    All,
    Kind(CategoryId),
    Mixin(CategoryId),
    LinksFrom(Location),
    LinksTo(Location),
}

impl Key {
    /// The index entries of `entity`.
    fn of(entity: &Entity) -> Vec<Key> {
        let mut keys = vec![Key::All, Key::Kind(entity.kind().clone())];
        keys.extend(entity.mixins().iter().cloned().map(Key::Mixin));
        if let Entity::Link(link) = entity {
            if let Some(source) = &link.source {
                keys.push(Key::LinksFrom(source.clone()));
            }
            if let Some(target) = &link.target {
                keys.push(Key::LinksTo(target.clone()));
            }
        }
        keys
    }
}

type Tenant = Option<Arc<str>>;

/// An entity as kept: its rendering, its revision and its owner.
#[derive(Debug)]
struct Record {
    body: Box<str>,
    revision: u64,
    tenant: Tenant,
}

impl Record {
    fn entity(&self, location: &Location) -> Result<Entity, StoreError> {
        let mut entity = json::parse_entity(self.body.as_bytes(), &ParseOptions::lenient())
            .map(|parsed| parsed.value)
            .map_err(|e| {
                StoreError::new(
                    StoreErrorKind::Backend,
                    format!("the entity kept at {location} cannot be read back: {e}"),
                )
            })?;
        match &mut entity {
            Entity::Resource(r) => r.location = Some(location.clone()),
            Entity::Link(l) => l.location = Some(location.clone()),
        }
        Ok(entity)
    }

    fn stored(&self, location: &Location) -> Result<Stored, StoreError> {
        Ok(Stored {
            entity: self.entity(location)?,
            revision: self.revision,
            tenant: self.tenant.clone(),
        })
    }
}

#[derive(Debug, Default)]
struct Inner {
    entities: HashMap<Location, Record>,
    /// Per owner, per key, the locations in order: every scan is a range of one or a few
    /// of these sets.
    index: HashMap<Tenant, HashMap<Key, BTreeSet<Location>>>,
    /// The entities with each id, with their owners (one, where ids are unique).
    ids: HashMap<EntityId, Vec<(Tenant, Location)>>,
    mixins: BTreeMap<CategoryId, StoredMixin>,
    mixins_revision: u64,
    next_revision: u64,
}

impl Inner {
    fn index(&mut self, location: &Location, entity: &Entity, tenant: &Tenant, add: bool) {
        let keys = Key::of(entity);
        if add {
            let by_key = self.index.entry(tenant.clone()).or_default();
            for key in keys {
                by_key.entry(key).or_default().insert(location.clone());
            }
            if let Some(id) = entity.id() {
                self.ids
                    .entry(id.clone())
                    .or_default()
                    .push((tenant.clone(), location.clone()));
            }
            return;
        }
        if let Some(by_key) = self.index.get_mut(tenant) {
            for key in keys {
                if let Some(set) = by_key.get_mut(&key) {
                    set.remove(location);
                    if set.is_empty() {
                        by_key.remove(&key);
                    }
                }
            }
            if by_key.is_empty() {
                self.index.remove(tenant);
            }
        }
        if let Some(id) = entity.id()
            && let Some(holders) = self.ids.get_mut(id)
        {
            holders.retain(|(_, l)| l != location);
            if holders.is_empty() {
                self.ids.remove(id);
            }
        }
    }

    /// Takes `location` out of every index, reading its old rendering for the keys.
    fn unindex(&mut self, location: &Location, old: &Record) {
        if let Ok(entity) = old.entity(location) {
            self.index(location, &entity, &old.tenant, false);
        } else {
            // A rendering this store wrote always reads back; should one not, no index
            // may keep the location.
            for by_key in self.index.values_mut() {
                for set in by_key.values_mut() {
                    set.remove(location);
                }
            }
            for holders in self.ids.values_mut() {
                holders.retain(|(_, l)| l != location);
            }
        }
    }

    fn apply(&mut self, change: Change, tenant: &Tenant) {
        match change {
            Change::Put { mut entity, .. } => {
                if let Entity::Resource(r) = &mut entity {
                    r.links.clear();
                }
                let location = entity.location().cloned().expect("checked before applying");
                let owner = match self.entities.remove(&location) {
                    Some(old) => {
                        self.unindex(&location, &old);
                        old.tenant
                    }
                    None => tenant.clone(),
                };
                self.next_revision += 1;
                self.index(&location, &entity, &owner, true);
                let record = Record {
                    body: json::render_entity(&entity).into_boxed_str(),
                    revision: self.next_revision,
                    tenant: owner,
                };
                self.entities.insert(location, record);
            }
            Change::Delete { location, .. } => {
                if let Some(old) = self.entities.remove(&location) {
                    self.unindex(&location, &old);
                }
            }
            Change::PutMixin { mixin, origin } => {
                self.mixins_revision += 1;
                self.mixins.insert(
                    mixin.id.clone(),
                    StoredMixin {
                        mixin,
                        origin,
                        tenant: tenant.clone(),
                    },
                );
            }
            Change::DeleteMixin { id } => {
                self.mixins_revision += 1;
                self.mixins.remove(&id);
            }
            Change::Require { .. } => {}
        }
    }

    /// The locations `scan` selects, in order.
    fn locations(&self, scan: &Scan) -> Vec<Location> {
        let single;
        let (keys, prefix): (&[Key], Option<&str>) = match &scan.scope {
            Scope::All => {
                single = [Key::All];
                (&single, None)
            }
            Scope::Prefix(prefix) => {
                single = [Key::All];
                (&single, Some(prefix.as_str()))
            }
            Scope::Kind(kind) => {
                single = [Key::Kind(kind.clone())];
                (&single, None)
            }
            Scope::Mixin(mixin) => {
                single = [Key::Mixin(mixin.clone())];
                (&single, None)
            }
            Scope::LinksFrom(l) => {
                single = [Key::LinksFrom(l.clone())];
                (&single, None)
            }
            Scope::LinksTo(l) => {
                single = [Key::LinksTo(l.clone())];
                (&single, None)
            }
            Scope::Id(id) => return self.with_id(id, scan),
            Scope::Kinds(kinds) => {
                let keys: Vec<Key> = kinds.iter().cloned().map(Key::Kind).collect();
                return self.merge(&keys, scan, None);
            }
        };
        self.merge(keys, scan, prefix)
    }

    fn with_id(&self, id: &EntityId, scan: &Scan) -> Vec<Location> {
        let mut out: Vec<Location> = self
            .ids
            .get(id)
            .into_iter()
            .flatten()
            .filter(|(tenant, location)| {
                scan.tenant.admits(tenant.as_ref())
                    && scan.after.as_ref().is_none_or(|after| location > after)
            })
            .map(|(_, location)| location.clone())
            .collect();
        out.sort_unstable();
        out.truncate(scan.limit.unwrap_or(usize::MAX));
        out
    }

    fn merge(&self, keys: &[Key], scan: &Scan, prefix: Option<&str>) -> Vec<Location> {
        let limit = scan.limit.unwrap_or(usize::MAX);
        let after = scan.after.as_ref().map(Location::as_str);
        let lower = match (after, prefix) {
            (Some(a), Some(p)) if p > a => Bound::Included(p),
            (Some(a), _) => Bound::Excluded(a),
            (None, Some(p)) => Bound::Included(p),
            (None, None) => Bound::Unbounded,
        };
        let sets: Vec<&BTreeSet<Location>> = match &scan.tenant {
            TenantFilter::Only(tenant) => self
                .index
                .get(tenant)
                .map(|by_key| keys.iter().filter_map(|k| by_key.get(k)).collect())
                .unwrap_or_default(),
            TenantFilter::Any => self
                .index
                .values()
                .flat_map(|by_key| keys.iter().filter_map(|k| by_key.get(k)))
                .collect(),
        };
        let mut out: Vec<Location> = Vec::new();
        for set in &sets {
            out.extend(
                set.range::<str, _>((lower, Bound::Unbounded))
                    .take_while(|l| prefix.is_none_or(|p| l.as_str().starts_with(p)))
                    .take(limit)
                    .cloned(),
            );
        }
        if sets.len() > 1 {
            out.sort_unstable();
            out.dedup();
            out.truncate(limit);
        }
        out
    }
}

/// The default store: everything in memory, indexed by owner, Kind, Mixin, id and link
/// endpoints, behind one lock that is never held across an `.await` (every method completes
/// immediately). Nothing survives the process.
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
        let inner = self.read()?;
        inner
            .entities
            .get(location)
            .map(|record| record.stored(location))
            .transpose()
    }

    fn scan_now(&self, scan: &Scan) -> Result<Vec<Stored>, StoreError> {
        let inner = self.read()?;
        inner
            .locations(scan)
            .iter()
            .filter_map(|l| inner.entities.get(l).map(|record| record.stored(l)))
            .collect()
    }

    fn commit_now(&self, changeset: Changeset) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        check_changeset(&changeset.changes, |location| {
            Ok(inner.entities.get(location).map(|s| s.revision))
        })?;
        for change in changeset.changes {
            inner.apply(change, &changeset.tenant);
        }
        Ok(())
    }

    fn mixins_now(&self) -> Result<Vec<StoredMixin>, StoreError> {
        Ok(self.read()?.mixins.values().cloned().collect())
    }
}

impl Store for InMemoryStore {
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        std::future::ready(self.get_now(location))
    }

    fn scan(&self, scan: &Scan) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send {
        std::future::ready(self.scan_now(scan))
    }

    fn commit(&self, changeset: Changeset) -> impl Future<Output = Result<(), StoreError>> + Send {
        std::future::ready(self.commit_now(changeset))
    }

    fn mixins(&self) -> impl Future<Output = Result<Vec<StoredMixin>, StoreError>> + Send {
        std::future::ready(self.mixins_now())
    }

    fn mixins_revision(&self) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send {
        std::future::ready(self.read().map(|inner| Some(inner.mixins_revision)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DynStore, Expect};
    use occi_model::{Link, Resource};

    fn commit(
        store: &impl Store,
        changes: Vec<Change>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        store.commit(changes.into())
    }

    async fn scan(store: &impl Store, scope: &Scope) -> Result<Vec<Stored>, StoreError> {
        store.scan(&Scan::new(scope.clone())).await
    }

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
        block(commit(
            &store,
            vec![
                put(compute("/compute/1"), Expect::Absent),
                put(compute("/compute/2"), Expect::Absent),
                put(nic("/link/1", "/compute/1", "/network/1"), Expect::Absent),
            ],
        ))
        .unwrap();
        let one = block(store.get(&loc("/compute/1"))).unwrap().unwrap();
        let kind = one.entity.kind().clone();
        let all: Vec<String> = block(scan(&store, &Scope::Kind(kind)))
            .unwrap()
            .iter()
            .map(|s| s.entity.location().unwrap().to_string())
            .collect();
        assert_eq!(all, ["/compute/1", "/compute/2"]);
        let from = block(scan(&store, &Scope::LinksFrom(loc("/compute/1")))).unwrap();
        assert_eq!(from.len(), 1);
        let to = block(scan(&store, &Scope::LinksTo(loc("/network/1")))).unwrap();
        assert_eq!(to, from);
        let prefix = block(scan(&store, &Scope::Prefix("/compute/".into()))).unwrap();
        assert_eq!(prefix.len(), 2);
        block(commit(
            &store,
            vec![Change::Delete {
                location: loc("/link/1"),
                expect: Expect::Revision(from[0].revision),
            }],
        ))
        .unwrap();
        assert!(
            block(scan(&store, &Scope::LinksFrom(loc("/compute/1"))))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_failed_precondition_changes_nothing() {
        let store = InMemoryStore::new();
        block(commit(
            &store,
            vec![put(compute("/compute/1"), Expect::Absent)],
        ))
        .unwrap();
        let before = block(scan(&store, &Scope::All)).unwrap();
        let err = block(commit(
            &store,
            vec![
                put(compute("/compute/2"), Expect::Absent),
                put(compute("/compute/1"), Expect::Absent),
            ],
        ))
        .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Conflict);
        assert_eq!(block(scan(&store, &Scope::All)).unwrap(), before);
        let stale = before[0].revision + 1;
        let err = block(commit(
            &store,
            vec![put(compute("/compute/1"), Expect::Revision(stale))],
        ))
        .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Conflict);
    }

    #[test]
    fn revisions_change_on_every_write_and_changesets_chain() {
        let store = InMemoryStore::new();
        block(commit(
            &store,
            vec![put(compute("/compute/1"), Expect::Absent)],
        ))
        .unwrap();
        let r1 = block(store.get(&loc("/compute/1")))
            .unwrap()
            .unwrap()
            .revision;
        block(commit(
            &store,
            vec![put(compute("/compute/1"), Expect::Revision(r1))],
        ))
        .unwrap();
        let r2 = block(store.get(&loc("/compute/1")))
            .unwrap()
            .unwrap()
            .revision;
        assert_ne!(r1, r2);
        // Delete then re-create in one changeset; writing one location twice otherwise conflicts.
        block(commit(
            &store,
            vec![
                Change::Delete {
                    location: loc("/compute/1"),
                    expect: Expect::Revision(r2),
                },
                put(compute("/compute/1"), Expect::Absent),
            ],
        ))
        .unwrap();
        let err = block(commit(
            &store,
            vec![
                put(compute("/compute/3"), Expect::Absent),
                put(compute("/compute/3"), Expect::Revision(1)),
            ],
        ))
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
        block(commit(&store, vec![put(e, Expect::Absent)])).unwrap();
        let stored = block(store.get(&loc("/compute/1"))).unwrap().unwrap();
        assert!(stored.entity.as_resource().unwrap().links.is_empty());
        assert_eq!(block(scan(&store, &Scope::Mixin(tag))).unwrap().len(), 1);
        let untagged = compute("/compute/1");
        block(commit(&store, vec![put(untagged, Expect::Any)])).unwrap();
        let tag: CategoryId = "http://example.com/tags#blue".parse().unwrap();
        assert!(block(scan(&store, &Scope::Mixin(tag))).unwrap().is_empty());
    }

    #[test]
    fn require_checks_without_writing() {
        let store = InMemoryStore::new();
        block(commit(
            &store,
            vec![put(compute("/compute/1"), Expect::Absent)],
        ))
        .unwrap();
        let r = block(store.get(&loc("/compute/1")))
            .unwrap()
            .unwrap()
            .revision;
        block(commit(
            &store,
            vec![
                Change::Require {
                    location: loc("/compute/1"),
                    expect: Expect::Revision(r),
                },
                put(nic("/link/1", "/compute/1", "/network/1"), Expect::Absent),
            ],
        ))
        .unwrap();
        assert_eq!(
            block(store.get(&loc("/compute/1")))
                .unwrap()
                .unwrap()
                .revision,
            r
        );
        let err = block(commit(
            &store,
            vec![
                Change::Require {
                    location: loc("/network/1"),
                    expect: Expect::Revision(1),
                },
                put(nic("/link/2", "/compute/1", "/network/1"), Expect::Absent),
            ],
        ))
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
        let err = block(commit(&store, vec![put(e, Expect::Any)])).unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Invalid);
    }

    #[test]
    fn a_dyn_store_behaves_like_the_store() {
        let store: Arc<dyn DynStore> = Arc::new(InMemoryStore::new());
        block(commit(
            &store,
            vec![put(compute("/compute/9"), Expect::Absent)],
        ))
        .unwrap();
        assert!(block(store.get(&loc("/compute/9"))).unwrap().is_some());
    }

    fn locations(stored: &[Stored]) -> Vec<&str> {
        stored
            .iter()
            .map(|s| s.entity.location().unwrap().as_str())
            .collect()
    }

    #[test]
    fn records_carry_their_tenant_set_on_create_and_kept_on_update() {
        let store = InMemoryStore::new();
        let acme: Arc<str> = "acme".into();
        block(
            store.commit(
                Changeset::new(vec![put(compute("/compute/a"), Expect::Absent)])
                    .owned_by(Some(acme.clone())),
            ),
        )
        .unwrap();
        block(commit(
            &store,
            vec![put(compute("/compute/o"), Expect::Absent)],
        ))
        .unwrap();
        let a = block(store.get(&loc("/compute/a"))).unwrap().unwrap();
        assert_eq!(a.tenant.as_deref(), Some("acme"));
        // An update by a changeset of another (or no) tenant keeps the owner.
        block(commit(
            &store,
            vec![put(compute("/compute/a"), Expect::Revision(a.revision))],
        ))
        .unwrap();
        let a = block(store.get(&loc("/compute/a"))).unwrap().unwrap();
        assert_eq!(a.tenant.as_deref(), Some("acme"));
        let only = |t: Option<Arc<str>>| {
            block(store.scan(&Scan::new(Scope::All).tenant(TenantFilter::Only(t)))).unwrap()
        };
        assert_eq!(locations(&only(Some(acme))), ["/compute/a"]);
        assert_eq!(locations(&only(None)), ["/compute/o"]);
        assert!(only(Some("other".into())).is_empty());
        let any = block(scan(&store, &Scope::All)).unwrap();
        assert_eq!(locations(&any), ["/compute/a", "/compute/o"]);
    }

    #[test]
    fn keyset_pages_walk_every_scope_in_order() {
        let store = InMemoryStore::new();
        let mut changes = Vec::new();
        for i in 0..25 {
            changes.push(put(compute(&format!("/compute/{i:02}")), Expect::Absent));
        }
        block(store.commit(Changeset::new(changes[..10].to_vec()).owned_by(Some("t".into()))))
            .unwrap();
        block(commit(&store, changes[10..].to_vec())).unwrap();
        let kind = block(store.get(&loc("/compute/00")))
            .unwrap()
            .unwrap()
            .entity
            .kind()
            .clone();
        for scope in [
            Scope::All,
            Scope::Kind(kind.clone()),
            Scope::Kinds(vec![
                kind.clone(),
                "http://example.com/x#y".parse().unwrap(),
            ]),
            Scope::Prefix("/compute/".into()),
        ] {
            let mut seen = Vec::new();
            let mut after: Option<Location> = None;
            loop {
                let mut q = Scan::new(scope.clone()).limit(7);
                if let Some(a) = after.take() {
                    q = q.after(a);
                }
                let page = block(store.scan(&q)).unwrap();
                assert!(page.len() <= 7);
                let Some(last) = page.last() else { break };
                after = last.entity.location().cloned();
                seen.extend(locations(&page).into_iter().map(str::to_owned));
            }
            let expected: Vec<String> = (0..25).map(|i| format!("/compute/{i:02}")).collect();
            assert_eq!(seen, expected, "{scope:?}");
        }
        let page = block(
            store.scan(
                &Scan::new(Scope::Prefix("/compute/1".into()))
                    .after(loc("/compute/12"))
                    .limit(3),
            ),
        )
        .unwrap();
        assert_eq!(
            locations(&page),
            ["/compute/13", "/compute/14", "/compute/15"]
        );
    }

    #[test]
    fn entities_are_found_by_id() {
        let store = InMemoryStore::new();
        let mut e = compute("/compute/x");
        let id = EntityId::new("urn:uuid:1").unwrap();
        if let Entity::Resource(r) = &mut e {
            r.id = Some(id.clone());
        }
        block(commit(&store, vec![put(e, Expect::Absent)])).unwrap();
        let found = block(scan(&store, &Scope::Id(id))).unwrap();
        assert_eq!(locations(&found), ["/compute/x"]);
        let none = block(scan(
            &store,
            &Scope::Id(EntityId::new("urn:uuid:2").unwrap()),
        ))
        .unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn mixins_are_stored_with_entities_atomically() {
        let store = InMemoryStore::new();
        let id: CategoryId = "http://example.com/tags#blue".parse().unwrap();
        let mut mixin = occi_model::Mixin::new(id.clone());
        mixin.location = Some(loc("/tag/blue/"));
        block(
            store.commit(
                Changeset::new(vec![Change::PutMixin {
                    mixin: mixin.clone(),
                    origin: occi_model::Origin::User,
                }])
                .owned_by(Some("acme".into())),
            ),
        )
        .unwrap();
        let stored = block(store.mixins()).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].mixin, mixin);
        assert_eq!(stored[0].tenant.as_deref(), Some("acme"));
        // A failing precondition in the same changeset keeps the Mixin.
        let err = block(commit(
            &store,
            vec![
                Change::DeleteMixin { id: id.clone() },
                Change::Require {
                    location: loc("/compute/none"),
                    expect: Expect::Revision(1),
                },
            ],
        ))
        .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Conflict);
        assert_eq!(block(store.mixins()).unwrap().len(), 1);
        block(commit(&store, vec![Change::DeleteMixin { id }])).unwrap();
        assert!(block(store.mixins()).unwrap().is_empty());
    }
}
