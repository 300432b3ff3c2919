//! Collections: the entities of a Kind or Mixin, or below an unbound path (listed,
//! filtered, paged, deleted), and Mixin membership (H11 §3.4.2, P12 §4.1, §11.3).

use std::collections::HashSet;

use http::StatusCode;
use occi_model::{Category, CategoryClass, CategoryId, Location, Registry, UpdateMode};
use occi_render::Filter;
use occi_render::media::MediaType;

use crate::action::ActionHandler;
use crate::backend::{Deletion, Event};
use crate::error::Failure;
use crate::operation::{Attempt, matches_filter};
use crate::request::Decoded;
use crate::respond::{Payload, Reply};
use crate::route::{Listing, Membership, QueryParams};
use crate::server::{Ctx, Occi};
use crate::store::{Change, Expect, Scan, Scope, Store, Stored, TenantFilter};

impl<S: Store, A: ActionHandler> Occi<S, A> {
    /// A listing, read from the store one keyset page at a time: the store hands out
    /// entities in location order after the last one read, the filter is applied as they
    /// come, and reading stops once the page is full. A page costs what it skips and returns,
    /// whatever the size of the collection; with `after=LOCATION` (the last location of the
    /// previous page) it skips nothing, so every page of a walk costs the same.
    pub(crate) async fn list(&self, ctx: &Ctx, listing: &Listing) -> Result<Reply, Failure> {
        let Decoded::Filter(filter) = &ctx.data else {
            unreachable!("a listing decodes a filter")
        };
        for id in &filter.categories {
            if ctx.registry.get(id).is_none() {
                return Err(Failure::bad_request(format!(
                    "the filter names the unknown category {id}"
                )));
            }
        }
        let (skip, take) = self.page(&ctx.query)?;
        let Some((scope, kinds_required)) = listing_scope(&ctx.registry, listing, filter) else {
            return Ok(Reply::ok(Payload::Listing(Vec::new())));
        };
        // An unbound path is the union of what lies below it (P12 §4.1); with nothing below
        // it, nothing is served there (ERR-006). The root always answers.
        if let Listing::Prefix(prefix) = listing
            && prefix.as_str() != "/"
            && self.first(&ctx.tenant, scope.clone()).await?.is_none()
        {
            return Err(Failure::not_found(format!("nothing is served at {prefix}")));
        }
        let mut entities = Vec::new();
        let mut skipped = 0usize;
        let mut after = ctx.query.after.clone();
        while entities.len() < take {
            let wanted = (skip - skipped).saturating_add(take - entities.len());
            let chunk = wanted.clamp(LISTING_CHUNK_MIN, LISTING_CHUNK_MAX);
            let mut scan = Scan::new(scope.clone())
                .tenant(ctx.tenant.clone())
                .limit(chunk);
            scan.after = after.take();
            let rows = self
                .shared
                .store
                .scan(&scan)
                .await
                .map_err(|e| Failure::store(&e))?;
            let complete = rows.len() < chunk;
            for stored in rows {
                after = stored.entity.location().cloned();
                if entities.len() >= take {
                    break;
                }
                if !matches_filter(&ctx.registry, &stored.entity, filter)
                    || kinds_required
                        .as_ref()
                        .is_some_and(|kinds| !kinds.contains(stored.entity.kind()))
                {
                    continue;
                }
                if skipped < skip {
                    skipped += 1;
                    continue;
                }
                let entity = if matches!(ctx.media, MediaType::OcciJson | MediaType::Json) {
                    self.materialize(&ctx.tenant, &ctx.registry, stored).await?
                } else {
                    stored.entity
                };
                entities.push(entity);
            }
            if complete || after.is_none() {
                break;
            }
        }
        Ok(Reply::ok(Payload::Listing(entities)))
    }

    /// The first entity of `scope` that `tenant` may see.
    async fn first(&self, tenant: &TenantFilter, scope: Scope) -> Result<Option<Stored>, Failure> {
        Ok(self
            .shared
            .store
            .scan(&Scan::new(scope).tenant(tenant.clone()).limit(1))
            .await
            .map_err(|e| Failure::store(&e))?
            .pop())
    }

    /// (entries to skip, entries to return) for `page` and `number` (P12 §6).
    fn page(&self, query: &QueryParams) -> Result<(usize, usize), Failure> {
        let max = self.config().max_page_size;
        if query.page.is_none() && query.number.is_none() {
            return Ok((0, usize::MAX));
        }
        let number = query.number.unwrap_or(max);
        if number == 0 {
            return Err(Failure::bad_request("number must be at least 1 (P12 §6)"));
        }
        if number > max {
            return Err(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "number={number} is more than this server returns per page ({max}; P12 §6)"
                ),
            ));
        }
        let page = query.page.unwrap_or(1);
        if page > 1 && query.after.is_some() {
            return Err(Failure::bad_request(
                "after= starts a page after a location: give it alone or with page=1, not with a later page",
            ));
        }
        if page == 0 {
            return Err(Failure::bad_request(
                "pages are numbered from 1 (page=1 is the first)",
            ));
        }
        let skip = (page - 1).saturating_mul(number);
        Ok((
            usize::try_from(skip).unwrap_or(usize::MAX),
            usize::try_from(number).unwrap_or(usize::MAX),
        ))
    }

    pub(crate) async fn delete_collection(
        &self,
        ctx: &Ctx,
        kind: &CategoryId,
        at: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let Decoded::Locations(listed) = &ctx.data else {
            unreachable!("a collection delete decodes locations")
        };
        let members = self
            .members(&ctx.tenant, &ctx.registry, &Listing::Category(kind.clone()))
            .await?;
        // OCCI 1.1: with X-OCCI-Location values only those members are deleted.
        let doomed: Vec<Stored> = match listed {
            None => members,
            Some(locations) => {
                let mut out = Vec::new();
                for location in locations {
                    match members
                        .iter()
                        .find(|s| s.entity.location() == Some(location))
                    {
                        Some(s) => out.push(s.clone()),
                        None => {
                            return Err(Failure::not_found(format!(
                                "{location} is not in this collection"
                            )));
                        }
                    }
                }
                out
            }
        };
        self.delete_all(ctx, doomed, at).await
    }

    pub(crate) async fn delete_below(
        &self,
        ctx: &Ctx,
        prefix: &Location,
        at: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let members = self
            .members(&ctx.tenant, &ctx.registry, &Listing::Prefix(prefix.clone()))
            .await?;
        if members.is_empty() {
            return Err(Failure::not_found(format!("nothing is served at {prefix}")));
        }
        self.delete_all(ctx, members, at).await
    }

    /// Deletes `doomed` (and their links) in one commit, after each one's backend agreed:
    /// 200, or 202 when a backend finishes a deletion in the background.
    pub(crate) async fn delete_all(
        &self,
        ctx: &Ctx,
        doomed: Vec<Stored>,
        at: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let hook = ctx.hook(&self.shared.lifecycle);
        let mut now = Vec::with_capacity(doomed.len());
        let mut later = false;
        for stored in doomed {
            let backend = self.backend_of(&ctx.registry, stored.entity.kind());
            let deletion = backend
                .delete(hook, &stored.entity)
                .await
                .map_err(|e| Failure::backend(&e))?;
            if deletion == Deletion::Later {
                later = true;
                at.prepared(&backend, Event::DeletionAccepted(stored.entity));
            } else {
                at.prepared(&backend, Event::Deleted(stored.entity.clone()));
                now.push(stored);
            }
        }
        let changes = self.deletions(now).await?;
        self.commit(ctx, changes, at).await?;
        Ok(Reply {
            status: if later {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            },
            ..Reply::ok(Payload::None)
        })
    }

    pub(crate) async fn change_membership(
        &self,
        ctx: &Ctx,
        mixin: &CategoryId,
        how: Membership,
        at: &mut Attempt,
    ) -> Result<Reply, Failure> {
        if ctx.registry.mixin(mixin).is_none() {
            return Err(Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "entities are associated only with Mixin collections (P12 §11.3.2)",
            ));
        }
        self.check_mixin_owners(ctx, [mixin])?;
        let Decoded::Locations(Some(locations)) = &ctx.data else {
            unreachable!("a membership change decodes locations")
        };
        if locations.is_empty() && how != Membership::Replace {
            return Err(Failure::bad_request(
                "name the entities with X-OCCI-Location (or a text/uri-list body)",
            ));
        }
        let hook = ctx.hook(&self.shared.lifecycle);
        let mut changes = Vec::new();
        let mut touched = HashSet::new();
        let mut dissociate = Vec::new();
        for location in locations {
            if !touched.insert(location.clone()) {
                continue;
            }
            let Some(stored) = self.get_stored(&ctx.tenant, location).await? else {
                return Err(Failure::not_found(format!("no entity at {location}")));
            };
            let has = stored.entity.mixins().contains(mixin);
            match how {
                Membership::Add | Membership::Replace if !has => {
                    let mut update = stored.entity.clone();
                    update.mixins_mut().push(mixin.clone());
                    let entity = ctx
                        .registry
                        .validate_update(&stored.entity, &update, UpdateMode::Replace)
                        .map_err(|e| {
                            Failure::validation(
                                &format!("associating {location}"),
                                &e,
                                ctx.registry.version(),
                            )
                        })?;
                    changes.push((stored, entity, true));
                }
                Membership::Remove if has => dissociate.push(stored),
                _ => {}
            }
        }
        if how == Membership::Replace {
            for stored in self.scan(&ctx.tenant, Scope::Mixin(mixin.clone())).await? {
                if stored
                    .entity
                    .location()
                    .is_some_and(|l| !touched.contains(l))
                {
                    dissociate.push(stored);
                }
            }
        }
        for stored in dissociate {
            let mut entity = stored.entity.clone();
            entity.mixins_mut().retain(|m| m != mixin);
            changes.push((stored, entity, false));
        }
        let mut commit = Vec::with_capacity(changes.len());
        for (stored, mut entity, associated) in changes {
            let backend = self.backend_of(&ctx.registry, entity.kind());
            backend
                .associate(hook, mixin, associated, &mut entity)
                .await
                .map_err(|e| Failure::backend(&e))?;
            at.prepared(
                &backend,
                Event::Associated {
                    entity: entity.clone(),
                    mixin: mixin.clone(),
                    associated,
                },
            );
            commit.push(Change::Put {
                entity,
                expect: Expect::Revision(stored.revision),
            });
        }
        self.commit(ctx, commit, at).await?;
        Ok(Reply::ok(Payload::None))
    }
}

/// The fewest entities a listing reads from the store at once.
const LISTING_CHUNK_MIN: usize = 16;
/// The most entities a listing reads from the store at once (an unpaged listing of a large
/// collection is read in chunks of this size).
const LISTING_CHUNK_MAX: usize = 1024;

/// What a listing reads from the store: the scope an index answers, narrowed by the filter's
/// categories where an index can answer them too, and the Kinds an entity of that scope must
/// still have (when a Mixin filter replaced a Kind collection's scope). `None` when nothing
/// can match.
fn listing_scope(
    registry: &Registry,
    listing: &Listing,
    filter: &Filter,
) -> Option<(Scope, Option<Vec<CategoryId>>)> {
    let kinds_below = |id: &CategoryId| -> Vec<CategoryId> {
        registry
            .kinds()
            .filter(|k| registry.is_a(&k.id, id))
            .map(|k| k.id.clone())
            .collect()
    };
    let mut scope = match listing {
        Listing::Category(id) => match registry.get(id).map(Category::class) {
            Some(CategoryClass::Kind) => Scope::Kinds(kinds_below(id)),
            _ => Scope::Mixin(id.clone()),
        },
        Listing::Prefix(prefix) => Scope::Prefix(prefix.as_str().to_owned()),
    };
    let mut kinds_required = None;
    for category in &filter.categories {
        match registry.get(category).map(Category::class) {
            Some(CategoryClass::Kind) => {
                let below = kinds_below(category);
                scope = match scope {
                    Scope::Kinds(kinds) => {
                        Scope::Kinds(kinds.into_iter().filter(|k| below.contains(k)).collect())
                    }
                    Scope::All => Scope::Kinds(below),
                    other => other,
                };
            }
            // A Mixin no other Mixin depends on is matched by its own index; one that others
            // depend on is matched through them too, which no single index answers.
            Some(CategoryClass::Mixin) if !is_depended_on(registry, category) => {
                scope = match scope {
                    Scope::Kinds(kinds) => {
                        kinds_required = Some(kinds);
                        Scope::Mixin(category.clone())
                    }
                    Scope::All => Scope::Mixin(category.clone()),
                    other => other,
                };
            }
            _ => {}
        }
    }
    match &scope {
        Scope::Kinds(kinds) if kinds.is_empty() => None,
        _ => Some((scope, kinds_required)),
    }
}

/// Whether another Mixin depends on `mixin`, directly or through others.
fn is_depended_on(registry: &Registry, mixin: &CategoryId) -> bool {
    registry.mixins().any(|m| {
        &m.id != mixin
            && registry
                .mixin_closure(std::slice::from_ref(&m.id))
                .iter()
                .any(|d| &d.id == mixin)
    })
}
