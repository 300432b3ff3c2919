//! The operations of the route table, in files named for what they serve:
//! [`query_interface`], [`collection`], [`entity`] and [`action`]. This module dispatches
//! to them and holds what they share: reads of the store, the one atomic commit of an
//! attempt, the backend hooks' bookkeeping (prepare, then commit or abort), the request's
//! preconditions, and the [`crate::Lifecycle`] changes.

mod action;
mod collection;
mod entity;
mod query_interface;

pub(crate) use query_interface::StoredMixins;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use http::StatusCode;
use http::header::HeaderMap;
use occi_model::{CategoryClass, CategoryId, Entity, EntityId, Location, Registry};
use occi_render::Filter;

use crate::action::ActionHandler;
use crate::backend::{DynBackend, Event, LifecycleError, LifecycleErrorKind, LifecycleTarget};
use crate::error::Failure;
use crate::respond::{self, Reply};
use crate::route::{Listing, Operation};
use crate::server::{COMMIT_ATTEMPTS, Ctx, Occi, Shared};
use crate::store::{
    BoxFuture, Change, Changeset, Expect, Scan, Scope, Store, StoreErrorKind, Stored, TenantFilter,
};

/// One attempt at an operation: the hooks that prepared a change, and whether the commit
/// stored it.
#[derive(Default)]
pub(crate) struct Attempt {
    prepared: Vec<(Arc<dyn DynBackend>, Event)>,
    committed: bool,
}

impl Attempt {
    /// Records that `backend` prepared `event`.
    fn prepared(&mut self, backend: &Arc<dyn DynBackend>, event: Event) {
        self.prepared.push((Arc::clone(backend), event));
    }
}

/// An entity tag list of `If-Match` or `If-None-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tags {
    /// `*`
    Any,
    /// The opaque tags, without `W/` (compared weakly, which for the server's strong tags
    /// is the same as strongly).
    List(Vec<String>),
}

impl Tags {
    fn parse(headers: &HeaderMap, name: &str) -> Result<Option<Self>, Failure> {
        let mut tags = Vec::new();
        let mut seen = false;
        for value in headers.get_all(name) {
            seen = true;
            let value = value
                .to_str()
                .map_err(|_| Failure::bad_request(format!("{name} is not visible ASCII")))?;
            for tag in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if tag == "*" {
                    return Ok(Some(Self::Any));
                }
                let opaque = tag.strip_prefix("W/").unwrap_or(tag);
                if opaque.len() < 2 || !opaque.starts_with('"') || !opaque.ends_with('"') {
                    return Err(Failure::bad_request(format!(
                        "{name}: {tag:?} is not an entity tag (a quoted string, RFC 9110 §8.8.3)"
                    )));
                }
                tags.push(opaque.to_owned());
            }
        }
        Ok(seen.then_some(Self::List(tags)))
    }

    fn matches(&self, revision: Option<u64>) -> bool {
        match (self, revision) {
            (_, None) => false,
            (Self::Any, Some(_)) => true,
            (Self::List(tags), Some(r)) => {
                let ours = respond::etag(r);
                tags.contains(&ours)
            }
        }
    }
}

/// The request's preconditions on the entity it addresses (RFC 9110 §13): `If-Match` and
/// `If-None-Match`, compared with the entity's store revision (its `ETag`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Conditions {
    if_match: Option<Tags>,
    if_none_match: Option<Tags>,
}

impl Conditions {
    pub(crate) fn read(headers: &HeaderMap) -> Result<Self, Failure> {
        Ok(Self {
            if_match: Tags::parse(headers, "if-match")?,
            if_none_match: Tags::parse(headers, "if-none-match")?,
        })
    }

    /// Checks a write (PUT, POST, DELETE) against the entity's current revision (`None`:
    /// nothing is stored there): 412 when a precondition fails.
    pub(crate) fn check_write(&self, revision: Option<u64>) -> Result<(), Failure> {
        if let Some(tags) = &self.if_match
            && !tags.matches(revision)
        {
            return Err(Failure::precondition(match revision {
                None => "If-Match: nothing is stored here".to_owned(),
                Some(r) => format!(
                    "If-Match: the entity has changed (its ETag is now {})",
                    respond::etag(r)
                ),
            }));
        }
        if let Some(tags) = &self.if_none_match
            && tags.matches(revision)
        {
            return Err(Failure::precondition(match tags {
                Tags::Any => "If-None-Match: *: an entity exists here already".to_owned(),
                Tags::List(_) => "If-None-Match: the entity still has that ETag".to_owned(),
            }));
        }
        Ok(())
    }

    /// Whether a read may answer 304 Not Modified (`If-None-Match` names the current tag).
    pub(crate) fn not_modified(&self, revision: u64) -> bool {
        self.if_none_match
            .as_ref()
            .is_some_and(|t| t.matches(Some(revision)))
    }
}

impl<S: Store, A: ActionHandler> Occi<S, A> {
    /// The route table's operation, performed once.
    pub(crate) async fn dispatch(
        &self,
        ctx: &Ctx,
        operation: &Operation,
        at: &mut Attempt,
    ) -> Result<Reply, Failure> {
        match operation {
            Operation::QueryInterface => Self::query_interface(ctx),
            Operation::AddMixins => self.add_mixins(ctx).await,
            Operation::RemoveMixins => self.remove_mixins(ctx).await,
            Operation::List(listing) => self.list(ctx, listing).await,
            Operation::Create(kind) => self.create(ctx, kind, None, at).await,
            Operation::CollectionAction(id) => self.collection_action(ctx, id, at).await,
            Operation::DeleteCollection(kind) => self.delete_collection(ctx, kind, at).await,
            Operation::Membership(mixin, how) => self.change_membership(ctx, mixin, *how, at).await,
            Operation::DeleteBelow(prefix) => self.delete_below(ctx, prefix, at).await,
            Operation::Retrieve(location) => self.retrieve(ctx, location).await,
            Operation::Update(location) => self.update(ctx, location, at).await,
            Operation::Put(location) => self.put(ctx, location, at).await,
            Operation::Delete(location) => self.delete(ctx, location, at).await,
            Operation::EntityAction(location) => self.entity_action(ctx, location, at).await,
        }
    }

    /// Tells each hook of the attempt whether its change was stored.
    pub(crate) async fn settle(&self, ctx: &Ctx, attempt: Attempt) {
        let hook = ctx.hook(&self.shared.lifecycle);
        for (backend, event) in &attempt.prepared {
            if attempt.committed {
                backend.committed(hook, event).await;
            } else {
                backend.aborted(hook, event).await;
            }
        }
    }

    /// The backend of `kind`.
    pub(crate) fn backend_of(&self, registry: &Registry, kind: &CategoryId) -> Arc<dyn DynBackend> {
        Arc::clone(self.shared.backends.of(registry, kind))
    }

    // ----- the store -----

    /// The entity at `location`, when `tenant` may see it: another tenant's entity is as
    /// absent as one that does not exist (404, never 403: no existence leak).
    pub(crate) async fn get_stored(
        &self,
        tenant: &TenantFilter,
        location: &Location,
    ) -> Result<Option<Stored>, Failure> {
        Ok(self
            .shared
            .store
            .get(location)
            .await
            .map_err(|e| Failure::store(&e))?
            .filter(|s| tenant.admits(s.tenant.as_ref())))
    }

    /// The entities in `scope` that `tenant` may see, in location order.
    pub(crate) async fn scan(
        &self,
        tenant: &TenantFilter,
        scope: Scope,
    ) -> Result<Vec<Stored>, Failure> {
        self.shared
            .store
            .scan(&Scan::new(scope).tenant(tenant.clone()))
            .await
            .map_err(|e| Failure::store(&e))
    }

    /// The attempt's one atomic commit.
    /// The attempt's one atomic commit; what it creates belongs to the caller's tenant.
    pub(crate) async fn commit(
        &self,
        ctx: &Ctx,
        changes: Vec<Change>,
        at: &mut Attempt,
    ) -> Result<(), Failure> {
        if !changes.is_empty() {
            let owner = ctx.identity.as_ref().map(|i| Arc::clone(i.tenant_arc()));
            self.shared
                .store
                .commit(Changeset::new(changes).owned_by(owner))
                .await
                .map_err(|e| Failure::store(&e))?;
        }
        at.committed = true;
        Ok(())
    }

    /// The location of the entity with this id that `tenant` may see (the store's id
    /// index).
    pub(crate) async fn find_id(
        &self,
        tenant: &TenantFilter,
        id: &EntityId,
    ) -> Result<Option<Location>, Failure> {
        Ok(self
            .scan(tenant, Scope::Id(id.clone()))
            .await?
            .into_iter()
            .find_map(|s| s.entity.location().cloned()))
    }

    /// Like [`Self::find_id`], but an unknown id is a 404.
    pub(crate) async fn locate_id(
        &self,
        tenant: &TenantFilter,
        id: &EntityId,
    ) -> Result<Location, Failure> {
        self.find_id(tenant, id)
            .await?
            .ok_or_else(|| Failure::not_found(format!("no entity has the id {id}")))
    }

    /// An entity as clients see it: with its location, its links and its applicable actions.
    pub(crate) async fn materialize(
        &self,
        tenant: &TenantFilter,
        registry: &Registry,
        stored: Stored,
    ) -> Result<Entity, Failure> {
        let mut entity = stored.entity;
        if let Entity::Resource(r) = &mut entity
            && let Some(location) = r.location.clone()
        {
            r.links = self
                .scan(tenant, Scope::LinksFrom(location))
                .await?
                .into_iter()
                .filter_map(|s| match s.entity {
                    Entity::Link(l) => Some(l),
                    Entity::Resource(_) => None,
                })
                .collect();
        }
        let actions = registry.applicable_actions(&entity);
        match &mut entity {
            Entity::Resource(r) => r.actions = actions,
            Entity::Link(l) => l.actions = actions,
        }
        Ok(entity)
    }

    /// The Kinds of the entities at `locations`, for validating link endpoints, and the
    /// changes that tie a new link to them.
    ///
    /// An endpoint is rewritten unchanged (its revision moves) rather than only required:
    /// a concurrent delete of the endpoint read its links before this commit and expects
    /// the endpoint's revision it read, so it fails, retries and takes the new link along,
    /// instead of leaving the link dangling.
    pub(crate) async fn lookup(
        &self,
        tenant: &TenantFilter,
        locations: impl IntoIterator<Item = &Location>,
    ) -> Result<(HashMap<Location, CategoryId>, Vec<Change>), Failure> {
        let mut kinds = HashMap::new();
        let mut requires = Vec::new();
        for location in locations {
            if !location.is_path() || kinds.contains_key(location) {
                continue;
            }
            if let Some(stored) = self.get_stored(tenant, location).await? {
                kinds.insert(location.clone(), stored.entity.kind().clone());
                requires.push(Change::Put {
                    entity: stored.entity,
                    expect: Expect::Revision(stored.revision),
                });
            }
        }
        Ok((kinds, requires))
    }

    /// The changes that delete `doomed` and every link from or to them (whoever owns a
    /// link: none may dangle).
    pub(crate) async fn deletions(&self, doomed: Vec<Stored>) -> Result<Vec<Change>, Failure> {
        let mut seen = HashSet::new();
        let mut changes = Vec::new();
        let mut queue = doomed;
        while let Some(stored) = queue.pop() {
            let Some(location) = stored.entity.location().cloned() else {
                continue;
            };
            if !seen.insert(location.clone()) {
                continue;
            }
            if matches!(stored.entity, Entity::Resource(_)) {
                let any = TenantFilter::Any;
                queue.extend(self.scan(&any, Scope::LinksFrom(location.clone())).await?);
                queue.extend(self.scan(&any, Scope::LinksTo(location.clone())).await?);
            }
            changes.push(Change::Delete {
                location,
                expect: Expect::Revision(stored.revision),
            });
        }
        Ok(changes)
    }

    /// The entities a listing covers that `tenant` may see, in location order.
    pub(crate) async fn members(
        &self,
        tenant: &TenantFilter,
        registry: &Registry,
        listing: &Listing,
    ) -> Result<Vec<Stored>, Failure> {
        let scope = match listing {
            Listing::Category(id) => match registry.get(id).map(occi_model::Category::class) {
                Some(CategoryClass::Kind) => Scope::Kinds(
                    registry
                        .kinds()
                        .filter(|k| registry.is_a(&k.id, id))
                        .map(|k| k.id.clone())
                        .collect(),
                ),
                _ => Scope::Mixin(id.clone()),
            },
            Listing::Prefix(prefix) => Scope::Prefix(prefix.as_str().to_owned()),
        };
        self.scan(tenant, scope).await
    }

    /// Applies a change to the registry (copy on write).
    pub(crate) fn update_registry(
        &self,
        change: impl FnOnce(&mut Registry) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let mut guard = match self.shared.registry.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = Registry::clone(&guard);
        change(&mut next)?;
        *guard = Arc::new(next);
        Ok(())
    }
}

fn lifecycle_error(failure: &Failure) -> LifecycleError {
    let kind = if failure.status == StatusCode::NOT_FOUND {
        LifecycleErrorKind::NotFound
    } else {
        LifecycleErrorKind::Store
    };
    LifecycleError::new(kind, failure.message.clone())
}

impl<S: Store, A: ActionHandler> Occi<S, A> {
    async fn lifecycle_change(
        &self,
        location: &Location,
        expect: Expect,
        change: crate::backend::EntityChange,
    ) -> Result<Stored, LifecycleError> {
        let mut change = change;
        for _ in 0..COMMIT_ATTEMPTS {
            let Some(stored) = self
                .get_stored(&TenantFilter::Any, location)
                .await
                .map_err(|f| lifecycle_error(&f))?
            else {
                return Err(LifecycleError::new(
                    LifecycleErrorKind::NotFound,
                    format!("no entity at {location}"),
                ));
            };
            if let Expect::Revision(r) = expect
                && r != stored.revision
            {
                return Err(LifecycleError::new(
                    LifecycleErrorKind::PreconditionFailed,
                    format!("{location} has revision {}, not {r}", stored.revision),
                ));
            }
            if expect == Expect::Absent {
                return Err(LifecycleError::new(
                    LifecycleErrorKind::PreconditionFailed,
                    format!("an entity is stored at {location}"),
                ));
            }
            let mut entity = stored.entity.clone();
            change(&mut entity);
            if entity.kind() != stored.entity.kind()
                || entity.location() != stored.entity.location()
            {
                return Err(LifecycleError::new(
                    LifecycleErrorKind::Invalid,
                    "a lifecycle change keeps the entity's Kind and location",
                ));
            }
            let result = self
                .shared
                .store
                .commit(Changeset::new(vec![Change::Put {
                    entity,
                    expect: Expect::Revision(stored.revision),
                }]))
                .await;
            match result {
                Ok(()) => {
                    return self
                        .get_stored(&TenantFilter::Any, location)
                        .await
                        .map_err(|f| lifecycle_error(&f))?
                        .ok_or_else(|| {
                            LifecycleError::new(
                                LifecycleErrorKind::NotFound,
                                format!("{location} was deleted meanwhile"),
                            )
                        });
                }
                // Someone changed it after it was read: under `Any`, apply the change to
                // what is stored now; under `Revision`, the next read reports the failure.
                Err(e) if e.kind() == StoreErrorKind::Conflict => {}
                Err(e) => {
                    return Err(LifecycleError::new(
                        LifecycleErrorKind::Store,
                        e.to_string(),
                    ));
                }
            }
        }
        Err(LifecycleError::new(
            LifecycleErrorKind::PreconditionFailed,
            format!("{location} kept changing"),
        ))
    }

    async fn lifecycle_delete(
        &self,
        location: &Location,
        expect: Expect,
    ) -> Result<(), LifecycleError> {
        for _ in 0..COMMIT_ATTEMPTS {
            let Some(stored) = self
                .get_stored(&TenantFilter::Any, location)
                .await
                .map_err(|f| lifecycle_error(&f))?
            else {
                return Err(LifecycleError::new(
                    LifecycleErrorKind::NotFound,
                    format!("no entity at {location}"),
                ));
            };
            if let Expect::Revision(r) = expect
                && r != stored.revision
            {
                return Err(LifecycleError::new(
                    LifecycleErrorKind::PreconditionFailed,
                    format!("{location} has revision {}, not {r}", stored.revision),
                ));
            }
            let changes = self
                .deletions(vec![stored])
                .await
                .map_err(|f| lifecycle_error(&f))?;
            match self.shared.store.commit(Changeset::new(changes)).await {
                Ok(()) => return Ok(()),
                // A link to it was added meanwhile: read again and take it along.
                Err(e) if e.kind() == StoreErrorKind::Conflict => {}
                Err(e) => {
                    return Err(LifecycleError::new(
                        LifecycleErrorKind::Store,
                        e.to_string(),
                    ));
                }
            }
        }
        Err(LifecycleError::new(
            LifecycleErrorKind::PreconditionFailed,
            format!("{location} kept changing"),
        ))
    }
}

impl<S: Store, A: ActionHandler> LifecycleTarget for Shared<S, A> {
    fn get(
        self: Arc<Self>,
        location: Location,
    ) -> BoxFuture<'static, Result<Option<Stored>, LifecycleError>> {
        Box::pin(async move {
            let occi = Occi { shared: self };
            occi.get_stored(&TenantFilter::Any, &location)
                .await
                .map_err(|f| lifecycle_error(&f))
        })
    }

    fn change(
        self: Arc<Self>,
        location: Location,
        expect: Expect,
        change: crate::backend::EntityChange,
    ) -> BoxFuture<'static, Result<Stored, LifecycleError>> {
        Box::pin(async move {
            let occi = Occi { shared: self };
            occi.lifecycle_change(&location, expect, change).await
        })
    }

    fn delete(
        self: Arc<Self>,
        location: Location,
        expect: Expect,
    ) -> BoxFuture<'static, Result<(), LifecycleError>> {
        Box::pin(async move {
            let occi = Occi { shared: self };
            occi.lifecycle_delete(&location, expect).await
        })
    }
}

/// A fresh `urn:uuid:` id.
pub(crate) fn new_id(uuid: uuid::Uuid) -> EntityId {
    EntityId::new(&format!("urn:uuid:{uuid}")).expect("a urn:uuid: is a valid id")
}

pub(crate) fn set_identity(entity: &mut Entity, id: EntityId, location: &Location) {
    match entity {
        Entity::Resource(r) => r.id = Some(id),
        Entity::Link(l) => l.id = Some(id),
    }
    set_location(entity, location);
}

pub(crate) fn set_location(entity: &mut Entity, location: &Location) {
    match entity {
        Entity::Resource(r) => {
            r.location = Some(location.clone());
            r.actions.clear();
        }
        Entity::Link(l) => {
            l.location = Some(location.clone());
            l.actions.clear();
        }
    }
}

/// Whether `entity` passes `filter`: it belongs to every filter category (by Kind, through
/// its ancestors, or by Mixin, through their dependencies) and has every filter value.
pub(crate) fn matches_filter(registry: &Registry, entity: &Entity, filter: &Filter) -> bool {
    filter.categories.iter().all(|c| {
        registry.is_a(entity.kind(), c)
            || registry
                .mixin_closure(entity.mixins())
                .iter()
                .any(|m| &m.id == c)
    }) && filter
        .attributes
        .iter()
        .all(|(name, value)| entity.attribute_value(name.as_str()).as_ref() == Some(value))
}
