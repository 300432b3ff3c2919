//! The query interface (`/-/`, H11 §3.4.1, P12 §9): the categories, filtered; user-defined
//! Mixins added and removed, and kept the same across replicas and apart across tenants.
//!
//! # Replicas
//!
//! User Mixins are stored ([`Change::PutMixin`]) as well as registered. Before each request
//! a server reads the store's Mixin revision ([`Store::mixins_revision`], one small read);
//! when another replica changed the stored Mixins since, it reads them and brings its
//! registry up to date (adding the new ones, removing the ones that were removed), so a Mixin
//! defined through one replica is served by every other without a restart.
//!
//! # Tenants
//!
//! A user Mixin belongs to the tenant whose request defined it. Every tenant sees it in the
//! query interface (a category is a name, not an entity), but only its owner may associate
//! entities with it (others: 403) or remove it (others: 403). So no tenant's entities carry
//! another tenant's Mixin, and no tenant can take a Mixin from another's entities. A Mixin
//! defined without a tenant (on an open server) may be used and removed by every tenant.

use std::collections::HashMap;
use std::sync::Arc;

use http::StatusCode;
use occi_model::{Category, CategoryClass, CategoryId, Mixin, Origin, Registry};

use crate::action::ActionHandler;
use crate::error::Failure;
use crate::request::Decoded;
use crate::respond::{Payload, Reply};
use crate::server::{COMMIT_ATTEMPTS, Ctx, Occi};
use crate::store::{Change, Changeset, Expect, Scope, Store, StoredMixin, TenantFilter};

/// What a server last read of the stored Mixins.
#[derive(Debug, Default)]
pub(crate) struct StoredMixins {
    /// The store's Mixin revision then (`None`: never read).
    revision: Option<u64>,
    /// The owner of each user Mixin stored then.
    owners: HashMap<CategoryId, Option<Arc<str>>>,
}

/// Brings `registry` in line with what the store holds: adds every stored Mixin it lacks and
/// removes the user Mixins that `before` held but `stored` no longer does.
fn sync_registry(
    registry: &mut Registry,
    before: &HashMap<CategoryId, Option<Arc<str>>>,
    stored: &[StoredMixin],
) -> Result<usize, Failure> {
    let mut changed = 0;
    for id in before.keys() {
        if !stored.iter().any(|s| &s.mixin.id == id)
            && registry.origin(id) == Some(Origin::User)
            && registry.remove_user_mixin(id).is_ok()
        {
            changed += 1;
        }
    }
    let missing: Vec<StoredMixin> = stored
        .iter()
        .filter(|s| registry.get(&s.mixin.id).is_none())
        .cloned()
        .collect();
    changed +=
        crate::store::add_stored_mixins(registry, missing).map_err(|e| Failure::store(&e))?;
    Ok(changed)
}

impl<S: Store, A: ActionHandler> Occi<S, A> {
    /// The registry a request is served with: the current one, first brought up to date
    /// when the stored Mixins changed since they were last read (another replica added or
    /// removed one). A store that cannot be read leaves the registry as it is.
    pub(crate) async fn fresh_registry(&self) -> Arc<Registry> {
        let store = &self.shared.store;
        let revision = match store.mixins_revision().await {
            Ok(Some(revision)) => revision,
            Ok(None) => return self.current_registry(),
            Err(error) => {
                tracing::warn!(%error, "cannot read the stored Mixins' revision");
                return self.current_registry();
            }
        };
        if self.stored_mixins().revision == Some(revision) {
            return self.current_registry();
        }
        let stored = match store.mixins().await {
            Ok(stored) => stored,
            Err(error) => {
                tracing::warn!(%error, "cannot read the stored Mixins");
                return self.current_registry();
            }
        };
        let mut seen = self.stored_mixins();
        // Another request may have read a newer state meanwhile: never go back.
        if seen.revision.is_some_and(|r| r >= revision) {
            drop(seen);
            return self.current_registry();
        }
        let result = self.update_registry(|registry| {
            let changed = sync_registry(registry, &seen.owners, &stored)?;
            if changed > 0 {
                tracing::info!(changed, revision, "Mixins reloaded from the store");
            }
            Ok(())
        });
        match result {
            Ok(()) => {
                seen.revision = Some(revision);
                seen.owners = stored
                    .into_iter()
                    .filter(|s| s.origin == Origin::User)
                    .map(|s| (s.mixin.id, s.tenant))
                    .collect();
            }
            Err(failure) => {
                tracing::warn!(message = %failure.message, "the stored Mixins cannot be served");
            }
        }
        drop(seen);
        self.current_registry()
    }

    fn stored_mixins(&self) -> std::sync::MutexGuard<'_, StoredMixins> {
        match self.shared.stored_mixins.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// 403 when one of `mixins` is a user Mixin another tenant defined (see the module
    /// documentation).
    pub(crate) fn check_mixin_owners<'m>(
        &self,
        ctx: &Ctx,
        mixins: impl IntoIterator<Item = &'m CategoryId>,
    ) -> Result<(), Failure> {
        let Some(identity) = &ctx.identity else {
            return Ok(());
        };
        let seen = self.stored_mixins();
        for id in mixins {
            if let Some(Some(owner)) = seen.owners.get(id)
                && owner != identity.tenant_arc()
            {
                return Err(Failure::new(
                    StatusCode::FORBIDDEN,
                    format!("the Mixin {id} was defined by another tenant; only it can use it"),
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn query_interface(ctx: &Ctx) -> Result<Reply, Failure> {
        let Decoded::Filter(filter) = &ctx.data else {
            unreachable!("the query interface decodes a filter")
        };
        // H11 §3.4.1 leaves this open; 404 says plainly that nothing matches (never the
        // unfiltered list, QI-014).
        for id in &filter.categories {
            if ctx.registry.get(id).is_none() {
                return Err(Failure::not_found(format!(
                    "the filter names the category {id}, which this server does not know"
                )));
            }
        }
        let names: Vec<_> = filter.attributes.iter().map(|(n, _)| n.clone()).collect();
        let categories: Vec<Category> = ctx
            .registry
            .filter_categories(&filter.categories, &names)
            .into_iter()
            .cloned()
            .collect();
        Ok(Reply::ok(Payload::Categories(categories)))
    }

    fn categories(ctx: &Ctx) -> &[Category] {
        let Decoded::Categories(categories) = &ctx.data else {
            unreachable!("Mixin changes decode categories")
        };
        categories
    }

    pub(crate) async fn add_mixins(&self, ctx: &Ctx) -> Result<Reply, Failure> {
        let categories = Self::categories(ctx);
        if categories.is_empty() {
            return Err(Failure::bad_request(
                "the request names no Mixin to add (H11 §3.4.1)",
            ));
        }
        let mut mixins = Vec::with_capacity(categories.len());
        for category in categories {
            match category {
                Category::Mixin(m) => mixins.push(m.clone()),
                other => {
                    return Err(Failure::bad_request(format!(
                        "only Mixins can be added through the query interface; {} is a {}",
                        other.id(),
                        other.class()
                    )));
                }
            }
        }
        let added: Vec<Category> = mixins.iter().cloned().map(Category::Mixin).collect();
        let ids: Vec<CategoryId> = mixins.iter().map(|m| m.id.clone()).collect();
        let stored: Vec<Change> = mixins
            .iter()
            .map(|m| Change::PutMixin {
                mixin: m.clone(),
                origin: Origin::User,
            })
            .collect();
        self.update_registry(|registry| {
            for mixin in mixins {
                registry
                    .add_user_mixin(mixin)
                    .map_err(|e| Failure::registry(&e))?;
            }
            Ok(())
        })?;
        let owner = ctx.identity.as_ref().map(|i| Arc::clone(i.tenant_arc()));
        let committed = self
            .shared
            .store
            .commit(Changeset::new(stored).owned_by(owner))
            .await
            .map_err(|e| Failure::store(&e));
        if let Err(failure) = committed {
            // Take the Mixins out again: the registry and the store must agree.
            let _ = self.update_registry(|registry| {
                for id in ids.iter().rev() {
                    let _ = registry.remove_user_mixin(id);
                }
                Ok(())
            });
            return Err(failure);
        }
        Ok(Reply::ok(Payload::Categories(added)))
    }

    pub(crate) async fn remove_mixins(&self, ctx: &Ctx) -> Result<Reply, Failure> {
        let categories = Self::categories(ctx);
        if categories.is_empty() {
            return Err(Failure::bad_request(
                "the request names no Mixin to remove (H11 §3.4.1)",
            ));
        }
        let ids: Vec<CategoryId> = categories.iter().map(|c| c.id().clone()).collect();
        if let Some(identity) = &ctx.identity {
            let stored = self
                .shared
                .store
                .mixins()
                .await
                .map_err(|e| Failure::store(&e))?;
            for s in stored.iter().filter(|s| ids.contains(&s.mixin.id)) {
                if s.tenant
                    .as_ref()
                    .is_some_and(|t| t != identity.tenant_arc())
                {
                    return Err(Failure::new(
                        StatusCode::FORBIDDEN,
                        format!(
                            "the Mixin {} was defined by another tenant; only it can remove it",
                            s.mixin.id
                        ),
                    ));
                }
            }
        }
        // Take the Mixins out of the registry first, so no request can associate them any
        // more; then disassociate them from every entity.
        let mut removed: Vec<Mixin> = Vec::new();
        self.update_registry(|registry| {
            for id in &ids {
                match registry.get(id) {
                    None => {
                        return Err(Failure::not_found(format!("no category {id} exists")));
                    }
                    Some(c) if c.class() != CategoryClass::Mixin => {
                        return Err(Failure::new(
                            StatusCode::FORBIDDEN,
                            format!(
                                "{id} is a {}; only user-defined Mixins can be removed",
                                c.class()
                            ),
                        ));
                    }
                    Some(_) => {}
                }
                removed.push(
                    registry
                        .remove_user_mixin(id)
                        .map_err(|e| Failure::registry(&e))?,
                );
            }
            Ok(())
        })?;
        let result = self.scrub_mixins(&ids).await;
        if let Err(failure) = result {
            // Put the Mixins back: the registry and the store must agree.
            let _ = self.update_registry(|registry| {
                for mixin in removed {
                    let _ = registry.add_user_mixin(mixin);
                }
                Ok(())
            });
            return Err(failure);
        }
        Ok(Reply::ok(Payload::None))
    }

    async fn scrub_mixins(&self, ids: &[CategoryId]) -> Result<(), Failure> {
        for _ in 0..COMMIT_ATTEMPTS {
            let mut changes: Vec<Change> = ids
                .iter()
                .map(|id| Change::DeleteMixin { id: id.clone() })
                .collect();
            for id in ids {
                for stored in self
                    .scan(&TenantFilter::Any, Scope::Mixin(id.clone()))
                    .await?
                {
                    let mut entity = stored.entity;
                    entity.mixins_mut().retain(|m| !ids.contains(m));
                    changes.push(Change::Put {
                        entity,
                        expect: Expect::Revision(stored.revision),
                    });
                }
            }
            match self
                .shared
                .store
                .commit(Changeset::new(changes))
                .await
                .map_err(|e| Failure::store(&e))
            {
                Err(f) if f.retryable => {}
                other => return other,
            }
        }
        Err(Failure::new(
            StatusCode::CONFLICT,
            "entities kept changing while the Mixin was being removed; try again",
        ))
    }
}
