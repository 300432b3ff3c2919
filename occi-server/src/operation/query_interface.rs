//! The query interface (`/-/`, H11 §3.4.1, P12 §9): the categories, filtered; user-defined
//! Mixins added and removed.

use http::StatusCode;
use occi_model::{Category, CategoryClass, CategoryId, Mixin, Origin};

use crate::action::ActionHandler;
use crate::error::Failure;
use crate::request::Decoded;
use crate::respond::{Payload, Reply};
use crate::server::{COMMIT_ATTEMPTS, Ctx, Occi};
use crate::store::{Change, Changeset, Expect, Scope, Store, TenantFilter};

impl<S: Store, A: ActionHandler> Occi<S, A> {
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
        let committed = self
            .shared
            .store
            .commit(Changeset::new(stored))
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
