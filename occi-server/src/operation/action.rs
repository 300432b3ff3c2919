//! Actions on an entity or on every member of a collection (H11 §3.4.3, P12 §4.3): validated
//! against the model, performed by the Kind's backend or the server's
//! [`crate::ActionHandler`], committed atomically.

use occi_model::{ActionInvocation, Category, CategoryId, Location, Origin, Registry};

use crate::action::ActionHandler;
use crate::backend::{Event, Hook};
use crate::error::Failure;
use crate::operation::{Attempt, set_location};
use crate::request::Decoded;
use crate::respond::{self, Payload, Reply};
use crate::route::Listing;
use crate::server::{Ctx, Occi};
use crate::store::{Change, Expect, Store, Stored};

impl<S: Store, A: ActionHandler> Occi<S, A> {
    fn invocation(ctx: &Ctx) -> &ActionInvocation {
        let Decoded::Invocation(invocation) = &ctx.data else {
            unreachable!("actions decode an invocation")
        };
        invocation
    }

    /// Validates and performs `invocation` on `stored`: the change to store and the
    /// category the action created, if any.
    async fn perform(
        &self,
        registry: &Registry,
        hook: Hook<'_>,
        stored: &Stored,
        invocation: &ActionInvocation,
        attempt: &mut Attempt,
    ) -> Result<(Option<Change>, Option<Category>), Failure> {
        let invocation = registry
            .validate_action(&stored.entity, invocation)
            .map_err(|e| Failure::validation("the action", &e, registry.version()))?;
        let backend = self.backend_of(registry, stored.entity.kind());
        let outcome = match backend
            .action(hook, &stored.entity, &invocation)
            .await
            .map_err(|e| Failure::backend(&e))?
        {
            Some(outcome) => outcome,
            None => self
                .shared
                .actions
                .invoke(registry, &stored.entity, &invocation)
                .await
                .map_err(|e| Failure::action(&e))?,
        };
        let mut entity = outcome.entity.unwrap_or_else(|| stored.entity.clone());
        if let Some(location) = stored.entity.location() {
            set_location(&mut entity, location);
        }
        attempt.prepared(
            &backend,
            Event::Acted {
                entity: entity.clone(),
                action: invocation.action.clone(),
            },
        );
        let change = (entity != stored.entity).then_some(Change::Put {
            entity,
            expect: Expect::Revision(stored.revision),
        });
        Ok((change, outcome.category))
    }

    pub(crate) async fn entity_action(
        &self,
        ctx: &Ctx,
        location: &Location,
        attempt: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let invocation = Self::invocation(ctx);
        let Some(stored) = self.get_stored(&ctx.tenant, location).await? else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        ctx.conditions.check_write(Some(stored.revision))?;
        let hook = ctx.hook(&self.shared.lifecycle);
        let (change, category) = self
            .perform(&ctx.registry, hook, &stored, invocation, attempt)
            .await?;
        if category.is_none()
            && let Some(Change::Put { entity, .. }) = &change
        {
            respond::renderable(entity, ctx.media)?;
        }
        let mut changes: Vec<Change> = change.into_iter().collect();
        if let Some(Category::Mixin(m)) = &category {
            changes.push(Change::PutMixin {
                mixin: m.clone(),
                origin: Origin::Provider,
            });
        }
        self.commit(ctx, changes, attempt).await?;
        if let Some(category) = category {
            if let Category::Mixin(m) = &category {
                let m = m.clone();
                self.update_registry(|r| r.register_mixin(m).map_err(|e| Failure::registry(&e)))?;
            }
            return Ok(Reply::ok(Payload::Categories(vec![category])));
        }
        self.answer_entity(ctx, location).await
    }

    pub(crate) async fn collection_action(
        &self,
        ctx: &Ctx,
        collection: &CategoryId,
        attempt: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let invocation = Self::invocation(ctx);
        let defines = ctx
            .registry
            .get(collection)
            .is_some_and(|c| c.actions().contains(&invocation.action));
        if !defines {
            return Err(Failure::bad_request(format!(
                "{collection} does not define action {} (H11 §3.4.3)",
                invocation.action
            )));
        }
        let members = self
            .members(
                &ctx.tenant,
                &ctx.registry,
                &Listing::Category(collection.clone()),
            )
            .await?;
        let hook = ctx.hook(&self.shared.lifecycle);
        let mut changes = Vec::with_capacity(members.len());
        for stored in &members {
            let (change, _) = self
                .perform(&ctx.registry, hook, stored, invocation, attempt)
                .await
                .map_err(|f| {
                    let at = stored
                        .entity
                        .location()
                        .map_or_else(String::new, ToString::to_string);
                    Failure {
                        message: format!(
                            "{at}: {}; the action was applied to no member",
                            f.message
                        ),
                        ..f
                    }
                })?;
            changes.extend(change);
        }
        self.commit(ctx, changes, attempt).await?;
        Ok(Reply::ok(Payload::None))
    }
}
