//! The store test kit (feature `store-testkit`): the [`Store`] contract as tests, run by
//! every store of this crate and by any store an embedder writes.
//!
//! [`Kit::run`] runs every check, each on a fresh, empty store from the factory it is given,
//! and panics with the name of the first check that fails and what differed:
//!
//! * the basic contract: create, read, scan, delete; preconditions that change nothing when
//!   they fail; revisions that change on every write; Resources stored without their links;
//!   a `Put` without a location; `Require`;
//! * tenants: set on create, kept on update, and scans filtered by owner;
//! * keyset pages over every scope, and lookups by id, Kind, Kinds, Mixin, prefix and link
//!   endpoints;
//! * Mixin definitions stored atomically with entities;
//! * entities of every shape come back exactly as stored (a proptest over the model's
//!   strategies);
//! * a model-based proptest: random changesets with random preconditions and owners, run on
//!   the store and on a reference model, agree on every outcome and on every scan after each
//!   step;
//! * concurrency: many tasks updating one entity under revision preconditions lose no
//!   acknowledged update; a cascading delete racing a link creation never leaves a link to a
//!   deleted resource.
//!
//! ```no_run
//! use occi_server::InMemoryStore;
//! use occi_server::store::testkit::Kit;
//!
//! // In a #[test] of the crate that defines the store:
//! Kit::new(|| async { InMemoryStore::new() }).run();
//! ```
//!
//! A store kept in a database needs a factory that gives an empty store each time (a new
//! file, a new schema, or truncated tables). The kit runs its own multi-threaded tokio
//! runtime, so call it from a plain `#[test]`, not from inside an async test.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use occi_model::strategy::{self, Profile};
use occi_model::{
    CategoryId, Entity, EntityId, Link, Location, Mixin, OcciVersion, Origin, Resource,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::{Change, Changeset, Expect, Scan, Scope, Store, StoreErrorKind, Stored, TenantFilter};

/// Runs the store contract against stores from a factory.
#[derive(Debug)]
pub struct Kit<F> {
    make: F,
    cases: u32,
}

impl<S, F, Fut> Kit<F>
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    /// A kit that takes a fresh, empty store from `make` for every check and every proptest
    /// case.
    pub fn new(make: F) -> Self {
        Self { make, cases: 48 }
    }

    /// How many cases each proptest runs (default 48).
    #[must_use]
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = cases;
        self
    }

    /// Runs every check; panics at the first that fails.
    pub fn run(self) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("a tokio runtime for the store test kit");
        runtime.block_on(async {
            create_read_scan_delete(&(self.make)().await).await;
            a_failed_precondition_changes_nothing(&(self.make)().await).await;
            revisions_change_on_every_write_and_changesets_chain(&(self.make)().await).await;
            resources_are_stored_without_links_and_mixins_are_indexed(&(self.make)().await).await;
            require_checks_without_writing(&(self.make)().await).await;
            a_put_without_location_is_invalid(&(self.make)().await).await;
            tenants_are_set_on_create_and_kept_on_update(&(self.make)().await).await;
            keyset_pages_walk_every_scope_in_order(&(self.make)().await).await;
            entities_are_found_by_id_and_link_endpoints(&(self.make)().await).await;
            mixins_are_stored_with_entities_atomically(&(self.make)().await).await;
            concurrent_updates_lose_nothing(Arc::new((self.make)().await)).await;
            a_cascading_delete_and_a_new_link_never_both_win(Arc::new((self.make)().await)).await;
            export_then_import_reproduces_the_state(&(self.make)().await, &(self.make)().await)
                .await;
        });
        self.entities_come_back_as_stored(&runtime);
        self.model_based(&runtime);
    }

    fn entities_come_back_as_stored(&self, runtime: &tokio::runtime::Runtime) {
        let mut runner = TestRunner::new(Config {
            cases: self.cases,
            failure_persistence: None,
            ..Config::default()
        });
        let entities = proptest::collection::vec(strategy::entity(Profile::Json, V), 1..4);
        let result = runner.run(&entities, |entities| {
            runtime.block_on(async {
                let store = (self.make)().await;
                let mut expected = BTreeMap::new();
                let mut changes = Vec::new();
                for (i, mut entity) in entities.into_iter().enumerate() {
                    let at = loc(&format!("/kit/{i}"));
                    match &mut entity {
                        Entity::Resource(r) => r.location = Some(at.clone()),
                        Entity::Link(l) => l.location = Some(at.clone()),
                    }
                    changes.push(put(entity.clone(), Expect::Absent));
                    if let Entity::Resource(r) = &mut entity {
                        r.links.clear();
                    }
                    expected.insert(at, entity);
                }
                commit(&store, changes).await.map_err(fail)?;
                for (at, entity) in &expected {
                    let got = store.get(at).await.map_err(fail)?;
                    let got = got.map(|s| s.entity);
                    prop_assert_eq!(got.as_ref(), Some(entity));
                }
                Ok(())
            })
        });
        if let Err(e) = result {
            panic!("store test kit: entities_come_back_as_stored: {e}");
        }
    }

    fn model_based(&self, runtime: &tokio::runtime::Runtime) {
        let mut runner = TestRunner::new(Config {
            cases: self.cases,
            failure_persistence: None,
            ..Config::default()
        });
        let steps = proptest::collection::vec(step(), 1..24);
        let result = runner.run(&steps, |steps| {
            runtime.block_on(async {
                let store = (self.make)().await;
                let mut model = Model::default();
                for (i, step) in steps.iter().enumerate() {
                    model.step(&store, step, i).await?;
                }
                Ok(())
            })
        });
        if let Err(e) = result {
            panic!("store test kit: model_based: {e}");
        }
    }
}

const V: OcciVersion = OcciVersion::V1_2;

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

fn loc(s: &str) -> Location {
    Location::new(s).expect("the kit's locations are valid")
}

fn category(s: &str) -> CategoryId {
    s.parse().expect("the kit's category ids are valid")
}

fn compute_kind() -> CategoryId {
    category("http://schemas.ogf.org/occi/infrastructure#compute")
}

fn storage_kind() -> CategoryId {
    category("http://schemas.ogf.org/occi/infrastructure#storage")
}

fn link_kind() -> CategoryId {
    category("http://schemas.ogf.org/occi/infrastructure#networkinterface")
}

fn tag(i: u8) -> CategoryId {
    category(&format!("http://example.com/tags#t{i}"))
}

fn resource(at: &str, kind: CategoryId) -> Resource {
    let mut r = Resource::new(kind);
    r.location = Some(loc(at));
    r
}

fn compute(at: &str) -> Entity {
    resource(at, compute_kind()).into()
}

fn nic(at: &str, from: &str, to: &str) -> Entity {
    let mut l = Link::new(link_kind());
    l.location = Some(loc(at));
    l.source = Some(loc(from));
    l.target = Some(loc(to));
    l.into()
}

fn put(entity: Entity, expect: Expect) -> Change {
    Change::Put { entity, expect }
}

async fn commit<S: Store>(store: &S, changes: Vec<Change>) -> Result<(), super::StoreError> {
    store.commit(Changeset::new(changes)).await
}

async fn commit_as<S: Store>(
    store: &S,
    tenant: Option<&str>,
    changes: Vec<Change>,
) -> Result<(), super::StoreError> {
    store
        .commit(Changeset::new(changes).owned_by(tenant.map(Arc::from)))
        .await
}

async fn scan<S: Store>(store: &S, scan: Scan) -> Vec<Stored> {
    match store.scan(&scan).await {
        Ok(v) => v,
        Err(e) => panic!("store test kit: scan {scan:?} failed: {e}"),
    }
}

async fn get<S: Store>(store: &S, at: &str) -> Option<Stored> {
    match store.get(&loc(at)).await {
        Ok(v) => v,
        Err(e) => panic!("store test kit: get {at} failed: {e}"),
    }
}

fn paths(stored: &[Stored]) -> Vec<String> {
    stored
        .iter()
        .map(|s| {
            s.entity
                .location()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect()
}

#[track_caller]
fn ok(result: Result<(), super::StoreError>, what: &str) {
    if let Err(e) = result {
        panic!("store test kit: {what}: the commit failed: {e}");
    }
}

#[track_caller]
fn conflict(result: Result<(), super::StoreError>, what: &str) {
    match result {
        Err(e) if e.kind() == StoreErrorKind::Conflict => {}
        Err(e) => panic!("store test kit: {what}: expected a conflict, got {e}"),
        Ok(()) => panic!("store test kit: {what}: expected a conflict, the commit succeeded"),
    }
}

async fn create_read_scan_delete<S: Store>(store: &S) {
    let what = "create_read_scan_delete";
    ok(
        commit(
            store,
            vec![
                put(compute("/compute/1"), Expect::Absent),
                put(compute("/compute/2"), Expect::Absent),
                put(nic("/link/1", "/compute/1", "/network/1"), Expect::Absent),
            ],
        )
        .await,
        what,
    );
    let one = get(store, "/compute/1")
        .await
        .expect("/compute/1 is stored");
    assert_eq!(one.entity, compute("/compute/1"), "{what}");
    let kind = scan(store, Scan::new(Scope::Kind(compute_kind()))).await;
    assert_eq!(paths(&kind), ["/compute/1", "/compute/2"], "{what}");
    let from = scan(store, Scan::new(Scope::LinksFrom(loc("/compute/1")))).await;
    assert_eq!(paths(&from), ["/link/1"], "{what}");
    let to = scan(store, Scan::new(Scope::LinksTo(loc("/network/1")))).await;
    assert_eq!(to, from, "{what}");
    let prefix = scan(store, Scan::new(Scope::Prefix("/compute/".into()))).await;
    assert_eq!(prefix.len(), 2, "{what}");
    let all = scan(store, Scan::new(Scope::All)).await;
    assert_eq!(
        paths(&all),
        ["/compute/1", "/compute/2", "/link/1"],
        "{what}"
    );
    ok(
        commit(
            store,
            vec![Change::Delete {
                location: loc("/link/1"),
                expect: Expect::Revision(from[0].revision),
            }],
        )
        .await,
        what,
    );
    assert!(
        scan(store, Scan::new(Scope::LinksFrom(loc("/compute/1"))))
            .await
            .is_empty(),
        "{what}: the deleted link is still indexed"
    );
    assert!(get(store, "/link/1").await.is_none(), "{what}");
    // Deleting nothing is not an error.
    ok(
        commit(
            store,
            vec![Change::Delete {
                location: loc("/link/1"),
                expect: Expect::Any,
            }],
        )
        .await,
        what,
    );
}

async fn a_failed_precondition_changes_nothing<S: Store>(store: &S) {
    let what = "a_failed_precondition_changes_nothing";
    ok(
        commit(store, vec![put(compute("/compute/1"), Expect::Absent)]).await,
        what,
    );
    let before = scan(store, Scan::new(Scope::All)).await;
    conflict(
        commit(
            store,
            vec![
                put(compute("/compute/2"), Expect::Absent),
                Change::PutMixin {
                    mixin: Mixin::new(tag(1)),
                    origin: Origin::User,
                },
                put(compute("/compute/1"), Expect::Absent),
            ],
        )
        .await,
        what,
    );
    assert_eq!(scan(store, Scan::new(Scope::All)).await, before, "{what}");
    assert!(
        store.mixins().await.expect("mixins").is_empty(),
        "{what}: a Mixin of a failed changeset was stored"
    );
    let stale = before[0].revision + 1;
    conflict(
        commit(
            store,
            vec![put(compute("/compute/1"), Expect::Revision(stale))],
        )
        .await,
        what,
    );
    conflict(
        commit(
            store,
            vec![Change::Delete {
                location: loc("/compute/1"),
                expect: Expect::Revision(stale),
            }],
        )
        .await,
        what,
    );
    assert_eq!(scan(store, Scan::new(Scope::All)).await, before, "{what}");
}

async fn revisions_change_on_every_write_and_changesets_chain<S: Store>(store: &S) {
    let what = "revisions_change_on_every_write_and_changesets_chain";
    ok(
        commit(store, vec![put(compute("/compute/1"), Expect::Absent)]).await,
        what,
    );
    let r1 = get(store, "/compute/1").await.expect("stored").revision;
    ok(
        commit(
            store,
            vec![put(compute("/compute/1"), Expect::Revision(r1))],
        )
        .await,
        what,
    );
    let r2 = get(store, "/compute/1").await.expect("stored").revision;
    assert_ne!(r1, r2, "{what}");
    // Delete then re-create in one changeset; the new entity gets a revision never used
    // at that location.
    ok(
        commit(
            store,
            vec![
                Change::Delete {
                    location: loc("/compute/1"),
                    expect: Expect::Revision(r2),
                },
                put(compute("/compute/1"), Expect::Absent),
            ],
        )
        .await,
        what,
    );
    let r3 = get(store, "/compute/1").await.expect("stored").revision;
    assert!(r3 != r1 && r3 != r2, "{what}: a revision was reused");
    conflict(
        commit(
            store,
            vec![
                put(compute("/compute/3"), Expect::Absent),
                put(compute("/compute/3"), Expect::Revision(1)),
            ],
        )
        .await,
        what,
    );
    assert!(get(store, "/compute/3").await.is_none(), "{what}");
}

async fn resources_are_stored_without_links_and_mixins_are_indexed<S: Store>(store: &S) {
    let what = "resources_are_stored_without_links_and_mixins_are_indexed";
    let mut r = resource("/compute/1", compute_kind());
    r.mixins.push(tag(1));
    if let Entity::Link(l) = nic("/link/1", "/compute/1", "/network/1") {
        r.links.push(l);
    }
    ok(
        commit(store, vec![put(r.into(), Expect::Absent)]).await,
        what,
    );
    let stored = get(store, "/compute/1").await.expect("stored");
    assert!(
        stored
            .entity
            .as_resource()
            .is_some_and(|r| r.links.is_empty()),
        "{what}: links were stored inline"
    );
    assert_eq!(
        scan(store, Scan::new(Scope::Mixin(tag(1)))).await.len(),
        1,
        "{what}"
    );
    ok(
        commit(store, vec![put(compute("/compute/1"), Expect::Any)]).await,
        what,
    );
    assert!(
        scan(store, Scan::new(Scope::Mixin(tag(1))))
            .await
            .is_empty(),
        "{what}: a removed Mixin is still indexed"
    );
}

async fn require_checks_without_writing<S: Store>(store: &S) {
    let what = "require_checks_without_writing";
    ok(
        commit(store, vec![put(compute("/compute/1"), Expect::Absent)]).await,
        what,
    );
    let r = get(store, "/compute/1").await.expect("stored").revision;
    ok(
        commit(
            store,
            vec![
                Change::Require {
                    location: loc("/compute/1"),
                    expect: Expect::Revision(r),
                },
                put(nic("/link/1", "/compute/1", "/network/1"), Expect::Absent),
            ],
        )
        .await,
        what,
    );
    assert_eq!(
        get(store, "/compute/1").await.expect("stored").revision,
        r,
        "{what}: Require wrote"
    );
    conflict(
        commit(
            store,
            vec![
                Change::Require {
                    location: loc("/network/1"),
                    expect: Expect::Revision(1),
                },
                put(nic("/link/2", "/compute/1", "/network/1"), Expect::Absent),
            ],
        )
        .await,
        what,
    );
    assert!(get(store, "/link/2").await.is_none(), "{what}");
}

async fn a_put_without_location_is_invalid<S: Store>(store: &S) {
    let what = "a_put_without_location_is_invalid";
    let mut r = resource("/compute/1", compute_kind());
    r.location = None;
    let result = commit(
        store,
        vec![
            put(compute("/compute/2"), Expect::Absent),
            put(r.into(), Expect::Any),
        ],
    )
    .await;
    match result {
        Err(e) if e.kind() == StoreErrorKind::Invalid => {}
        other => panic!("store test kit: {what}: expected Invalid, got {other:?}"),
    }
    assert!(get(store, "/compute/2").await.is_none(), "{what}");
}

async fn tenants_are_set_on_create_and_kept_on_update<S: Store>(store: &S) {
    let what = "tenants_are_set_on_create_and_kept_on_update";
    ok(
        commit_as(
            store,
            Some("acme"),
            vec![put(compute("/compute/a"), Expect::Absent)],
        )
        .await,
        what,
    );
    ok(
        commit(store, vec![put(compute("/compute/o"), Expect::Absent)]).await,
        what,
    );
    let a = get(store, "/compute/a").await.expect("stored");
    assert_eq!(a.tenant.as_deref(), Some("acme"), "{what}");
    ok(
        commit_as(
            store,
            Some("other"),
            vec![put(compute("/compute/a"), Expect::Revision(a.revision))],
        )
        .await,
        what,
    );
    let a = get(store, "/compute/a").await.expect("stored");
    assert_eq!(
        a.tenant.as_deref(),
        Some("acme"),
        "{what}: the owner changed"
    );
    let o = get(store, "/compute/o").await.expect("stored");
    assert_eq!(o.tenant, None, "{what}");
    for scope in [
        Scope::All,
        Scope::Kind(compute_kind()),
        Scope::Prefix("/compute/".into()),
    ] {
        let only =
            |t: Option<&str>| Scan::new(scope.clone()).tenant(TenantFilter::Only(t.map(Arc::from)));
        assert_eq!(
            paths(&scan(store, only(Some("acme"))).await),
            ["/compute/a"],
            "{what} {scope:?}"
        );
        assert_eq!(
            paths(&scan(store, only(None)).await),
            ["/compute/o"],
            "{what} {scope:?}"
        );
        assert!(
            scan(store, only(Some("other"))).await.is_empty(),
            "{what} {scope:?}"
        );
        assert_eq!(
            paths(&scan(store, Scan::new(scope.clone())).await),
            ["/compute/a", "/compute/o"],
            "{what} {scope:?}"
        );
    }
}

async fn keyset_pages_walk_every_scope_in_order<S: Store>(store: &S) {
    let what = "keyset_pages_walk_every_scope_in_order";
    let mut changes = Vec::new();
    for i in 0..25 {
        let mut r = resource(&format!("/compute/{i:02}"), compute_kind());
        r.mixins.push(tag(1));
        changes.push(put(r.into(), Expect::Absent));
    }
    ok(
        commit_as(store, Some("t"), changes[..10].to_vec()).await,
        what,
    );
    ok(commit(store, changes[10..].to_vec()).await, what);
    ok(
        commit(
            store,
            vec![put(
                resource("/storage/1", storage_kind()).into(),
                Expect::Absent,
            )],
        )
        .await,
        what,
    );
    let expected: Vec<String> = (0..25).map(|i| format!("/compute/{i:02}")).collect();
    for scope in [
        Scope::Kind(compute_kind()),
        Scope::Kinds(vec![compute_kind(), link_kind()]),
        Scope::Prefix("/compute/".into()),
        Scope::Mixin(tag(1)),
    ] {
        for limit in [1, 7, 25, 100] {
            let mut seen = Vec::new();
            let mut after: Option<Location> = None;
            loop {
                let mut q = Scan::new(scope.clone()).limit(limit);
                if let Some(a) = after.take() {
                    q = q.after(a);
                }
                let page = scan(store, q).await;
                assert!(page.len() <= limit, "{what}: a page is over its limit");
                let Some(last) = page.last() else { break };
                after = last.entity.location().cloned();
                seen.extend(paths(&page));
            }
            assert_eq!(seen, expected, "{what} {scope:?} limit {limit}");
        }
    }
    let page = scan(
        store,
        Scan::new(Scope::Prefix("/compute/1".into()))
            .after(loc("/compute/12"))
            .limit(3),
    )
    .await;
    assert_eq!(
        paths(&page),
        ["/compute/13", "/compute/14", "/compute/15"],
        "{what}"
    );
    let owned = scan(
        store,
        Scan::new(Scope::Mixin(tag(1)))
            .tenant(TenantFilter::Only(Some("t".into())))
            .after(loc("/compute/04"))
            .limit(3),
    )
    .await;
    assert_eq!(
        paths(&owned),
        ["/compute/05", "/compute/06", "/compute/07"],
        "{what}"
    );
    assert!(
        scan(store, Scan::new(Scope::Kinds(Vec::new())))
            .await
            .is_empty(),
        "{what}"
    );
    let both = scan(
        store,
        Scan::new(Scope::Kinds(vec![storage_kind(), compute_kind()])),
    )
    .await;
    assert_eq!(both.len(), 26, "{what}");
    assert_eq!(paths(&both).last().map(String::as_str), Some("/storage/1"));
}

async fn entities_are_found_by_id_and_link_endpoints<S: Store>(store: &S) {
    let what = "entities_are_found_by_id_and_link_endpoints";
    let mut r = resource("/compute/x", compute_kind());
    let id = EntityId::new("urn:uuid:11111111-1111-4111-8111-111111111111").expect("valid id");
    r.id = Some(id.clone());
    ok(
        commit(
            store,
            vec![
                put(r.into(), Expect::Absent),
                put(compute("/compute/y"), Expect::Absent),
                put(nic("/link/a", "/compute/x", "/compute/y"), Expect::Absent),
                put(nic("/link/b", "/compute/y", "/compute/x"), Expect::Absent),
            ],
        )
        .await,
        what,
    );
    assert_eq!(
        paths(&scan(store, Scan::new(Scope::Id(id))).await),
        ["/compute/x"],
        "{what}"
    );
    let other = EntityId::new("urn:uuid:22222222-2222-4222-8222-222222222222").expect("id");
    assert!(
        scan(store, Scan::new(Scope::Id(other))).await.is_empty(),
        "{what}"
    );
    assert_eq!(
        paths(&scan(store, Scan::new(Scope::LinksFrom(loc("/compute/x")))).await),
        ["/link/a"],
        "{what}"
    );
    assert_eq!(
        paths(&scan(store, Scan::new(Scope::LinksTo(loc("/compute/x")))).await),
        ["/link/b"],
        "{what}"
    );
}

async fn mixins_are_stored_with_entities_atomically<S: Store>(store: &S) {
    let what = "mixins_are_stored_with_entities_atomically";
    let mut mixin = Mixin::new(tag(7));
    mixin.location = Some(loc("/tag/t7/"));
    mixin.title = Some("seven".into());
    let provider = Mixin::new(category("http://example.com/saved#golden"));
    ok(
        commit_as(
            store,
            Some("acme"),
            vec![
                Change::PutMixin {
                    mixin: mixin.clone(),
                    origin: Origin::User,
                },
                Change::PutMixin {
                    mixin: provider.clone(),
                    origin: Origin::Provider,
                },
            ],
        )
        .await,
        what,
    );
    let stored = store.mixins().await.expect("mixins");
    assert_eq!(stored.len(), 2, "{what}");
    let user = stored
        .iter()
        .find(|m| m.mixin.id == tag(7))
        .expect("the user Mixin is stored");
    assert_eq!(user.mixin, mixin, "{what}");
    assert_eq!(user.origin, Origin::User, "{what}");
    assert_eq!(user.tenant.as_deref(), Some("acme"), "{what}");
    let saved = stored
        .iter()
        .find(|m| m.mixin.id == provider.id)
        .expect("the provider Mixin is stored");
    assert_eq!(saved.origin, Origin::Provider, "{what}");
    conflict(
        commit(
            store,
            vec![
                Change::DeleteMixin { id: tag(7) },
                Change::Require {
                    location: loc("/compute/none"),
                    expect: Expect::Revision(1),
                },
            ],
        )
        .await,
        what,
    );
    assert_eq!(store.mixins().await.expect("mixins").len(), 2, "{what}");
    ok(
        commit(store, vec![Change::DeleteMixin { id: tag(7) }]).await,
        what,
    );
    let left = store.mixins().await.expect("mixins");
    assert_eq!(left.len(), 1, "{what}");
    assert_eq!(left[0].mixin.id, provider.id, "{what}");
}

/// Many tasks increment a counter kept in one entity's title, each read-modify-write
/// guarded by the revision it read, retrying on conflict: the final count is the number of
/// acknowledged increments.
async fn concurrent_updates_lose_nothing<S: Store>(store: Arc<S>) {
    let what = "concurrent_updates_lose_nothing";
    ok(
        commit(
            &*store,
            vec![put(compute("/compute/counter"), Expect::Absent)],
        )
        .await,
        what,
    );
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, acknowledged) = (Arc::clone(&store), Arc::clone(&acknowledged));
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                loop {
                    let stored = get(&*store, "/compute/counter").await.expect("stored");
                    let count: usize = stored
                        .entity
                        .title()
                        .and_then(|t| t.parse().ok())
                        .unwrap_or(0);
                    let mut r = resource("/compute/counter", compute_kind());
                    r.title = Some((count + 1).to_string());
                    match commit(
                        &*store,
                        vec![put(r.into(), Expect::Revision(stored.revision))],
                    )
                    .await
                    {
                        Ok(()) => {
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Err(e) if e.kind() == StoreErrorKind::Conflict => {}
                        Err(e) => panic!("store test kit: {what}: {e}"),
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a kit task panicked");
    }
    let stored = get(&*store, "/compute/counter").await.expect("stored");
    assert_eq!(
        stored.entity.title(),
        Some(acknowledged.load(Ordering::SeqCst).to_string().as_str()),
        "{what}: an acknowledged update was lost"
    );
    assert_eq!(acknowledged.load(Ordering::SeqCst), 80, "{what}");
}

/// A cascading delete of a resource (guarded by the revisions it read) races a link
/// creation that rewrites the resource unchanged (as the server does): whatever the
/// interleaving, no link is left pointing at a deleted resource.
async fn a_cascading_delete_and_a_new_link_never_both_win<S: Store>(store: Arc<S>) {
    let what = "a_cascading_delete_and_a_new_link_never_both_win";
    for round in 0..20 {
        let (r, l) = (format!("/storage/{round}"), format!("/link/{round}"));
        ok(
            commit(
                &*store,
                vec![put(resource(&r, storage_kind()).into(), Expect::Absent)],
            )
            .await,
            what,
        );
        let read = get(&*store, &r).await.expect("stored");
        let deleter = {
            let (store, r) = (Arc::clone(&store), r.clone());
            tokio::spawn(async move {
                let links = scan(&*store, Scan::new(Scope::LinksTo(loc(&r)))).await;
                let mut changes = vec![Change::Delete {
                    location: loc(&r),
                    expect: Expect::Revision(read.revision),
                }];
                changes.extend(links.into_iter().map(|s| Change::Delete {
                    location: s.entity.location().cloned().expect("located"),
                    expect: Expect::Revision(s.revision),
                }));
                commit(&*store, changes).await
            })
        };
        let linker = {
            let (store, r, l) = (Arc::clone(&store), r.clone(), l.clone());
            tokio::spawn(async move {
                let target = get(&*store, &r).await;
                let Some(target) = target else {
                    return Ok(());
                };
                commit(
                    &*store,
                    vec![
                        put(target.entity, Expect::Revision(target.revision)),
                        put(nic(&l, "/compute/1", &r), Expect::Absent),
                    ],
                )
                .await
            })
        };
        let delete_result = deleter.await.expect("the deleter panicked");
        let link_result = linker.await.expect("the linker panicked");
        for result in [&delete_result, &link_result] {
            if let Err(e) = result {
                assert_eq!(e.kind(), StoreErrorKind::Conflict, "{what}: {e}");
            }
        }
        let target_left = get(&*store, &r).await.is_some();
        let links_left = scan(&*store, Scan::new(Scope::LinksTo(loc(&r)))).await;
        assert!(
            target_left || links_left.is_empty(),
            "{what}: round {round}: a link points at the deleted {r}"
        );
    }
}

/// `backup::export` of a store with owners and Mixins, imported into an empty store, gives
/// the same entities, owners and Mixins (and the same document again).
async fn export_then_import_reproduces_the_state<S: Store>(from: &S, to: &S) {
    let what = "export_then_import_reproduces_the_state";
    let mut tagged = resource("/compute/t", compute_kind());
    tagged.mixins.push(tag(3));
    tagged.title = Some("tagged".into());
    ok(
        commit_as(
            from,
            Some("acme"),
            vec![
                Change::PutMixin {
                    mixin: Mixin::new(tag(3)).with_location(loc("/tag/t3/")),
                    origin: Origin::User,
                },
                put(tagged.into(), Expect::Absent),
                put(nic("/link/1", "/compute/t", "/compute/o"), Expect::Absent),
            ],
        )
        .await,
        what,
    );
    ok(
        commit(from, vec![put(compute("/compute/o"), Expect::Absent)]).await,
        what,
    );
    let document = match super::backup::export(from).await {
        Ok(d) => d,
        Err(e) => panic!("store test kit: {what}: export failed: {e}"),
    };
    let imported = match super::backup::import(to, document.as_bytes()).await {
        Ok(i) => i,
        Err(e) => panic!("store test kit: {what}: import failed: {e}"),
    };
    assert_eq!((imported.entities, imported.mixins), (3, 1), "{what}");
    let summary = |stored: Vec<Stored>| -> Vec<(Entity, Option<Arc<str>>)> {
        stored.into_iter().map(|s| (s.entity, s.tenant)).collect()
    };
    assert_eq!(
        summary(scan(to, Scan::new(Scope::All)).await),
        summary(scan(from, Scan::new(Scope::All)).await),
        "{what}"
    );
    assert_eq!(
        to.mixins().await.expect("mixins"),
        from.mixins().await.expect("mixins"),
        "{what}"
    );
    let again = super::backup::export(to).await.expect("export");
    assert_eq!(again, document, "{what}");
    // Importing again conflicts and changes nothing.
    match super::backup::import(to, document.as_bytes()).await {
        Err(e) if e.kind() == StoreErrorKind::Conflict => {}
        other => panic!("store test kit: {what}: a second import gave {other:?}"),
    }
    match super::backup::import(to, b"{\"resources\": [{\"kind\": 1}]}").await {
        Err(e) if e.kind() == StoreErrorKind::Invalid => {}
        other => panic!("store test kit: {what}: a malformed document gave {other:?}"),
    }
}

// ----- the model-based test -----

/// Which precondition a generated change carries.
#[derive(Debug, Clone, Copy)]
enum Pre {
    Absent,
    Current,
    Stale,
    Any,
}

/// One generated change, on one of a few locations.
#[derive(Debug, Clone)]
enum Op {
    /// A resource at `/r/{at}`, of Kind compute or storage, with an optional Mixin.
    Resource {
        at: u8,
        storage: bool,
        tag: Option<u8>,
        pre: Pre,
    },
    /// A link at `/l/{at}` from `/r/{from}` to `/r/{to}`.
    Link {
        at: u8,
        from: u8,
        to: u8,
        pre: Pre,
    },
    Delete {
        resource: bool,
        at: u8,
        pre: Pre,
    },
    Require {
        resource: bool,
        at: u8,
        pre: Pre,
    },
}

/// One changeset: a tenant and up to four changes; then a paged scan to compare.
#[derive(Debug, Clone)]
struct Step {
    tenant: Option<u8>,
    ops: Vec<Op>,
    page: usize,
}

fn pre() -> impl Strategy<Value = Pre> {
    prop_oneof![
        Just(Pre::Absent),
        Just(Pre::Current),
        Just(Pre::Stale),
        Just(Pre::Any)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..5, any::<bool>(), proptest::option::of(0u8..2), pre())
            .prop_map(|(at, storage, tag, pre)| Op::Resource { at, storage, tag, pre }),
        2 => (0u8..3, 0u8..5, 0u8..5, pre()).prop_map(|(at, from, to, pre)| Op::Link { at, from, to, pre }),
        2 => (any::<bool>(), 0u8..5, pre()).prop_map(|(resource, at, pre)| Op::Delete { resource, at, pre }),
        1 => (any::<bool>(), 0u8..5, pre()).prop_map(|(resource, at, pre)| Op::Require { resource, at, pre }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        proptest::option::of(0u8..2),
        proptest::collection::vec(op(), 1..5),
        1usize..4,
    )
        .prop_map(|(tenant, ops, page)| Step { tenant, ops, page })
}

/// What the model knows of a location.
#[derive(Debug, Clone, PartialEq)]
struct Known {
    entity: Entity,
    revision: u64,
    tenant: Option<Arc<str>>,
}

#[derive(Debug, Default)]
struct Model {
    entities: BTreeMap<Location, Known>,
}

fn tenant_name(t: u8) -> Arc<str> {
    Arc::from(format!("tenant-{t}"))
}

impl Model {
    fn expect(&self, at: &Location, pre: Pre) -> Expect {
        let current = self.entities.get(at).map(|k| k.revision);
        match pre {
            Pre::Absent => Expect::Absent,
            Pre::Any => Expect::Any,
            Pre::Current => current.map_or(Expect::Absent, Expect::Revision),
            Pre::Stale => Expect::Revision(current.map_or(1, |r| r + 1_000_000)),
        }
    }

    fn change(&self, op: &Op, step: usize) -> Change {
        let path = |resource: bool, at: u8| {
            loc(&if resource {
                format!("/r/{at}")
            } else {
                format!("/l/{at}")
            })
        };
        match *op {
            Op::Resource {
                at,
                storage,
                tag: t,
                pre,
            } => {
                let location = path(true, at);
                let mut r = Resource::new(if storage {
                    storage_kind()
                } else {
                    compute_kind()
                });
                r.id = Some(
                    EntityId::new(&format!("urn:uuid:00000000-0000-4000-8000-{at:012}"))
                        .expect("valid id"),
                );
                r.title = Some(format!("step {step}"));
                r.mixins.extend(t.map(tag));
                r.location = Some(location.clone());
                Change::Put {
                    entity: r.into(),
                    expect: self.expect(&location, pre),
                }
            }
            Op::Link { at, from, to, pre } => {
                let location = path(false, at);
                let mut l = Link::new(link_kind());
                l.location = Some(location.clone());
                l.source = Some(path(true, from));
                l.target = Some(path(true, to));
                l.title = Some(format!("step {step}"));
                Change::Put {
                    entity: l.into(),
                    expect: self.expect(&location, pre),
                }
            }
            Op::Delete { resource, at, pre } => {
                let location = path(resource, at);
                Change::Delete {
                    expect: self.expect(&location, pre),
                    location,
                }
            }
            Op::Require { resource, at, pre } => {
                let location = path(resource, at);
                Change::Require {
                    expect: self.expect(&location, pre),
                    location,
                }
            }
        }
    }

    /// Applies `changes` to a copy of the model by the contract's rules; `None` when a
    /// precondition fails.
    fn apply(
        &self,
        changes: &[Change],
        tenant: Option<&Arc<str>>,
    ) -> Option<BTreeMap<Location, Option<Known>>> {
        let mut written: BTreeMap<Location, Option<Known>> = BTreeMap::new();
        for change in changes {
            let (at, expect, after) = match change {
                Change::Put { entity, expect } => {
                    let at = entity.location()?.clone();
                    let owner = match written.get(&at) {
                        Some(Some(k)) => k.tenant.clone(),
                        Some(None) => tenant.cloned(),
                        None => self
                            .entities
                            .get(&at)
                            .map_or_else(|| tenant.cloned(), |k| k.tenant.clone()),
                    };
                    (
                        at,
                        *expect,
                        Some(Some(Known {
                            entity: entity.clone(),
                            revision: 0,
                            tenant: owner,
                        })),
                    )
                }
                Change::Delete { location, expect } => (location.clone(), *expect, Some(None)),
                Change::Require { location, expect } => (location.clone(), *expect, None),
                Change::PutMixin { .. } | Change::DeleteMixin { .. } => continue,
            };
            let ok = match (written.get(&at), expect) {
                (_, Expect::Any) => true,
                (None, Expect::Absent) => !self.entities.contains_key(&at),
                (None, Expect::Revision(r)) => {
                    self.entities.get(&at).map(|k| k.revision) == Some(r)
                }
                (Some(present), Expect::Absent) => present.is_none(),
                (Some(_), Expect::Revision(_)) => false,
            };
            if !ok {
                return None;
            }
            if let Some(after) = after {
                written.insert(at, after);
            }
        }
        Some(written)
    }

    async fn step<S: Store>(
        &mut self,
        store: &S,
        step: &Step,
        index: usize,
    ) -> Result<(), TestCaseError> {
        let changes: Vec<Change> = step.ops.iter().map(|op| self.change(op, index)).collect();
        let tenant = step.tenant.map(tenant_name);
        let expected = self.apply(&changes, tenant.as_ref());
        let result = store.commit(Changeset::new(changes).owned_by(tenant)).await;
        match (&expected, &result) {
            (Some(_), Ok(())) => {}
            (None, Err(e)) if e.kind() == StoreErrorKind::Conflict => {}
            _ => {
                return Err(TestCaseError::fail(format!(
                    "step {index} {step:?}: the model expected {}, the store answered {result:?}",
                    if expected.is_some() {
                        "success"
                    } else {
                        "a conflict"
                    }
                )));
            }
        }
        if let Some(written) = expected {
            for (at, after) in written {
                match after {
                    None => {
                        self.entities.remove(&at);
                    }
                    Some(mut known) => {
                        let stored = store
                            .get(&at)
                            .await
                            .map_err(fail)?
                            .ok_or_else(|| fail(format!("{at} was not stored")))?;
                        if let Some(old) = self.entities.get(&at) {
                            prop_assert_ne!(
                                old.revision,
                                stored.revision,
                                "{} kept its revision",
                                at
                            );
                        }
                        known.revision = stored.revision;
                        self.entities.insert(at, known);
                    }
                }
            }
        }
        self.compare(store, step.page).await
    }

    /// Every scope, paged, against a filter of the model.
    async fn compare<S: Store>(&self, store: &S, page: usize) -> Result<(), TestCaseError> {
        let mut scopes = vec![
            Scope::All,
            Scope::Kind(compute_kind()),
            Scope::Kinds(vec![storage_kind(), link_kind()]),
            Scope::Prefix("/r/".into()),
            Scope::Mixin(tag(0)),
            Scope::Mixin(tag(1)),
        ];
        for i in 0..5u8 {
            scopes.push(Scope::LinksFrom(loc(&format!("/r/{i}"))));
            scopes.push(Scope::LinksTo(loc(&format!("/r/{i}"))));
            scopes.push(Scope::Id(
                EntityId::new(&format!("urn:uuid:00000000-0000-4000-8000-{i:012}"))
                    .expect("valid id"),
            ));
        }
        let tenants = [
            TenantFilter::Any,
            TenantFilter::Only(None),
            TenantFilter::Only(Some(tenant_name(0))),
            TenantFilter::Only(Some(tenant_name(1))),
        ];
        for scope in &scopes {
            for tenant in &tenants {
                let expected: Vec<(Location, u64, Option<Arc<str>>)> = self
                    .entities
                    .iter()
                    .filter(|(at, k)| {
                        in_scope(scope, at, &k.entity) && tenant.admits(k.tenant.as_ref())
                    })
                    .map(|(at, k)| (at.clone(), k.revision, k.tenant.clone()))
                    .collect();
                let mut got = Vec::new();
                let mut after: Option<Location> = None;
                loop {
                    let mut q = Scan::new(scope.clone()).tenant(tenant.clone()).limit(page);
                    if let Some(a) = after.take() {
                        q = q.after(a);
                    }
                    let rows = store.scan(&q).await.map_err(fail)?;
                    prop_assert!(rows.len() <= page);
                    let Some(last) = rows.last() else { break };
                    after = last.entity.location().cloned();
                    for s in rows {
                        let at = s
                            .entity
                            .location()
                            .cloned()
                            .ok_or_else(|| fail("unlocated"))?;
                        let known = self.entities.get(&at);
                        prop_assert_eq!(known.map(|k| &k.entity), Some(&s.entity), "{}", at);
                        got.push((at, s.revision, s.tenant));
                    }
                }
                prop_assert_eq!(&got, &expected, "{:?} {:?}", scope, tenant);
            }
        }
        Ok(())
    }
}

fn in_scope(scope: &Scope, at: &Location, entity: &Entity) -> bool {
    match scope {
        Scope::All => true,
        Scope::Kind(k) => entity.kind() == k,
        Scope::Kinds(ks) => ks.contains(entity.kind()),
        Scope::Mixin(m) => entity.mixins().contains(m),
        Scope::Prefix(p) => at.as_str().starts_with(p.as_str()),
        Scope::LinksFrom(from) => {
            matches!(entity, Entity::Link(l) if l.source.as_ref() == Some(from))
        }
        Scope::LinksTo(to) => matches!(entity, Entity::Link(l) if l.target.as_ref() == Some(to)),
        Scope::Id(id) => entity.id() == Some(id),
    }
}

/// A factory of empty SQLite stores in one directory, for the kit.
#[cfg(feature = "sqlite")]
pub fn sqlite_factory(
    dir: &std::path::Path,
) -> impl Fn() -> std::future::Ready<super::SqliteStore> + use<> {
    let dir = dir.to_path_buf();
    let next = AtomicUsize::new(0);
    move || {
        let n = next.fetch_add(1, Ordering::SeqCst);
        let store = super::SqliteStore::open(dir.join(format!("kit-{n}.sqlite3")))
            .unwrap_or_else(|e| panic!("store test kit: cannot open an SQLite store: {e}"));
        std::future::ready(store)
    }
}
