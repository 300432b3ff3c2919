//! Entities: read, created (POST to a Kind's collection, PUT to a new path), partially
//! updated (POST), replaced (PUT) and deleted, each validated against the model, then handed
//! to the Kind's backend, then committed atomically (H11 §3.4.4, P12 §4.2).
//!
//! # Ids and locations
//!
//! One rule for POST and PUT: an entity served at `<kind location><segment>` has either an
//! id the server made (`urn:uuid:<uuid>`, segment `<uuid>`) or the id the client proposed.
//! A proposed `urn:uuid:<uuid>` names the segment `<uuid>`; any other proposed id must be a
//! valid path segment (RFC 3986 `segment-nz`, not `.` or `..`), and names the segment
//! itself. With POST the proposed id decides the location; with PUT the path decides it, and
//! a proposed id that names another segment is 400. PUT without an id gets a `urn:uuid:` id.
//!
//! Ids are unique on the server (C12 §5.4) and locations are the server's, but a caller sees
//! only its own tenant's entities, and no answer may tell it that another tenant's exist:
//! - a proposed id, or the location it names, that the caller's tenant holds is 409;
//! - with POST, a proposed id (or its location) that only another tenant holds is not
//!   honoured: the entity is created with an id the server makes (`urn:uuid:`), as if none
//!   had been proposed, and the `Location` of the 201 says where;
//! - with PUT, a path another tenant holds is 404, as every request to it is; a proposed id
//!   that only another tenant holds is not honoured either (the entity at the path gets an
//!   id the server makes).

use std::collections::HashMap;

use http::StatusCode;
use occi_model::{CategoryId, Entity, EntityId, Link, Location, OcciVersion, UpdateMode};
use occi_render::media::MediaType;

use crate::action::ActionHandler;
use crate::backend::Event;
use crate::error::Failure;
use crate::operation::{Attempt, new_id, set_identity, set_location};
use crate::request::Decoded;
use crate::respond::{self, Payload, Reply, absolute};
use crate::server::{Ctx, Occi};
use crate::store::{Change, Expect, Scope, Store, Stored, TenantFilter};

/// Who holds a proposed id, or the location it names.
enum Holder {
    /// Nobody: the proposal is honoured.
    Nobody,
    /// The caller's tenant (what holds it, for the 409).
    Caller(String),
    /// Only another tenant, whose entities the caller cannot see.
    Foreign,
}

/// The path segment an id names: the UUID of a `urn:uuid:` id, else the id itself when it
/// is a valid path segment.
fn segment_of(id: &EntityId) -> Option<&str> {
    let id = id.as_str();
    if let Some(uuid) = id.strip_prefix("urn:uuid:") {
        return uuid::Uuid::parse_str(uuid).is_ok().then_some(uuid);
    }
    let pchar = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '.'
                    | '_'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | ':'
                    | '@'
            )
    };
    let valid = !id.is_empty() && id != "." && id != ".." && id.chars().all(pchar);
    valid.then_some(id)
}

impl<S: Store, A: ActionHandler> Occi<S, A> {
    fn decoded_entity(ctx: &Ctx) -> Entity {
        let Decoded::Entity(entity) = &ctx.data else {
            unreachable!("creates, updates and replacements decode an entity")
        };
        Entity::clone(entity)
    }

    /// The entity at `location` as the client sees it, refreshed by its backend, with its
    /// revision.
    pub(crate) async fn answer_entity(
        &self,
        ctx: &Ctx,
        location: &Location,
    ) -> Result<Reply, Failure> {
        let Some(stored) = self.get_stored(&ctx.tenant, location).await? else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        self.answer_stored(ctx, stored).await
    }

    /// `stored` as the client sees it, refreshed by its backend, with its revision.
    async fn answer_stored(&self, ctx: &Ctx, stored: Stored) -> Result<Reply, Failure> {
        let revision = stored.revision;
        let mut entity = self.materialize(&ctx.tenant, &ctx.registry, stored).await?;
        self.backend_of(&ctx.registry, entity.kind())
            .retrieve(ctx.hook(&self.shared.lifecycle), &mut entity)
            .await
            .map_err(|e| Failure::backend(&e))?;
        Ok(Reply {
            revision: Some(revision),
            ..Reply::ok(Payload::Entity(Box::new(entity)))
        })
    }

    pub(crate) async fn retrieve(&self, ctx: &Ctx, location: &Location) -> Result<Reply, Failure> {
        let Some(stored) = self.get_stored(&ctx.tenant, location).await? else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        if ctx.conditions.not_modified(stored.revision) {
            return Ok(Reply {
                status: StatusCode::NOT_MODIFIED,
                revision: Some(stored.revision),
                ..Reply::ok(Payload::None)
            });
        }
        self.answer_stored(ctx, stored).await
    }

    /// Settles, before the commit, that the entity the request answers with can be
    /// rendered in the negotiated media type: `entity` with its stored links and `new_links`.
    async fn settle_rendering(
        &self,
        ctx: &Ctx,
        entity: &Entity,
        new_links: &[Link],
    ) -> Result<(), Failure> {
        if matches!(ctx.media, MediaType::OcciJson | MediaType::Json) {
            return Ok(());
        }
        let mut preview = entity.clone();
        if let Entity::Resource(r) = &mut preview
            && let Some(location) = r.location.clone()
        {
            r.links = self
                .scan(&ctx.tenant, Scope::LinksFrom(location))
                .await?
                .into_iter()
                .filter_map(|s| match s.entity {
                    Entity::Link(l) => Some(l),
                    Entity::Resource(_) => None,
                })
                .chain(new_links.iter().cloned())
                .collect();
        }
        respond::renderable(&preview, ctx.media)
    }

    /// The id and location of a new entity, by the id rule (see the module documentation).
    async fn place(
        &self,
        ctx: &Ctx,
        entity: &Entity,
        kind_location: &Location,
        at: Option<&Location>,
    ) -> Result<(EntityId, Location), Failure> {
        let proposed = match entity.id() {
            None => None,
            Some(id) => Some((
                id.clone(),
                segment_of(id).ok_or_else(|| {
                    Failure::bad_request(format!(
                        "occi.core.id {id} cannot name a location: propose a urn:uuid: id or a valid path segment"
                    ))
                })?,
            )),
        };
        let (id, location) = if let Some(at) = at {
            let (parent, segment) = at
                .as_str()
                .split_at(at.as_str().rfind('/').map_or(0, |i| i + 1));
            if parent != kind_location.as_str() {
                return Err(Failure::bad_request(format!(
                    "an entity of {} is created under {kind_location}, not at {at}",
                    entity.kind()
                )));
            }
            match &proposed {
                Some((id, named)) if *named != segment => {
                    return Err(Failure::bad_request(format!(
                        "occi.core.id {id} names the location {kind_location}{named}, not {at}: the id and the path must agree"
                    )));
                }
                Some((id, _)) => (id.clone(), at.clone()),
                None => (new_id(uuid::Uuid::new_v4()), at.clone()),
            }
        } else {
            if let Some((id, segment)) = &proposed {
                let location = Location::new(&format!("{kind_location}{segment}"))
                    .map_err(|e| Failure::bad_request(format!("occi.core.id {id}: {e}")))?;
                match self.holder(ctx, id, &location).await? {
                    Holder::Nobody => return Ok((id.clone(), location)),
                    Holder::Caller(what) => {
                        return Err(Failure::new(
                            StatusCode::CONFLICT,
                            format!("{what} exists already"),
                        ));
                    }
                    // Not honoured: the entity gets an id of the server's, as if none
                    // had been proposed.
                    Holder::Foreign => {}
                }
            }
            let uuid = uuid::Uuid::new_v4();
            let location = Location::new(&format!("{kind_location}{uuid}"))
                .map_err(|e| Failure::bad_request(format!("{kind_location}: {e}")))?;
            return Ok((new_id(uuid), location));
        };
        ctx.conditions.check_write(None)?;
        // The path is free (PUT checked it); the id may still be held elsewhere.
        if let Some((proposed_id, _)) = &proposed
            && self
                .find_id(&TenantFilter::Any, proposed_id)
                .await?
                .is_some()
        {
            if self.find_id(&ctx.tenant, proposed_id).await?.is_some() {
                return Err(Failure::new(
                    StatusCode::CONFLICT,
                    format!("an entity with the id {proposed_id} exists already"),
                ));
            }
            return Ok((new_id(uuid::Uuid::new_v4()), location));
        }
        Ok((id, location))
    }

    /// Who holds a proposed id or the location it names.
    async fn holder(
        &self,
        ctx: &Ctx,
        id: &EntityId,
        location: &Location,
    ) -> Result<Holder, Failure> {
        let mut foreign = false;
        if let Some(stored) = self.get_stored(&TenantFilter::Any, location).await? {
            if ctx.tenant.admits(stored.tenant.as_ref()) {
                return Ok(Holder::Caller(location.to_string()));
            }
            foreign = true;
        }
        if self.find_id(&ctx.tenant, id).await?.is_some() {
            return Ok(Holder::Caller(format!("an entity with the id {id}")));
        }
        if foreign || self.find_id(&TenantFilter::Any, id).await?.is_some() {
            return Ok(Holder::Foreign);
        }
        Ok(Holder::Nobody)
    }

    /// Creates an entity: POST to a Kind's collection (`at` is `None`) or PUT to a new path.
    // The stages of a create (place, links, validation, hook, naming, commit) read best in
    // one piece, in their order.
    #[allow(clippy::too_many_lines)]
    pub(crate) async fn create(
        &self,
        ctx: &Ctx,
        collection: &CategoryId,
        at: Option<&Location>,
        attempt: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let mut entity = Self::decoded_entity(ctx);
        let Some(kind) = ctx.registry.kind(entity.kind()) else {
            return Err(Failure::bad_request(format!(
                "the Kind {} is unknown to this server (its query interface lists the Kinds it serves)",
                entity.kind()
            )));
        };
        if entity.kind() != collection && at.is_none() {
            return Err(Failure::bad_request(format!(
                "this is the collection of {collection}; an entity of {} is created at its own Kind's location (H11 §3.4.4)",
                entity.kind()
            )));
        }
        let Some(kind_location) = kind.location.clone() else {
            return Err(Failure::bad_request(format!(
                "{} is not a Kind this server can create",
                entity.kind()
            )));
        };
        let asked = entity.id().cloned();
        let (id, location) = self.place(ctx, &entity, &kind_location, at).await?;
        // A proposal is honoured only when it survives placement (another tenant's id is not).
        let proposed = asked.as_ref() == Some(&id);
        set_identity(&mut entity, id, &location);
        let links = Self::prepare_inline_links(ctx, &mut entity, &location)?;
        let mut referenced: Vec<Location> = Vec::new();
        if let Entity::Link(l) = &entity {
            referenced.extend(l.source.iter().cloned());
            referenced.extend(l.target.iter().cloned());
        }
        for l in &links {
            referenced.extend(l.target.iter().cloned());
        }
        let (mut kinds, requires) = self.lookup(&ctx.tenant, referenced.iter()).await?;
        // Inline links start at the new resource itself.
        kinds.insert(location.clone(), entity.kind().clone());
        match &mut entity {
            Entity::Resource(r) => {
                r.links = links;
                for link in &mut r.links {
                    fill_endpoint_kinds(link, &kinds);
                }
            }
            Entity::Link(l) => fill_endpoint_kinds(l, &kinds),
        }
        ctx.registry
            .validate_create(&mut entity, &kinds)
            .map_err(|e| Failure::validation("the entity", &e, ctx.registry.version()))?;
        self.check_mixin_owners(ctx, entity.mixins())?;
        let hook = ctx.hook(&self.shared.lifecycle);
        let mut changes = Vec::with_capacity(requires.len() + 1);
        let mut inline = match &mut entity {
            Entity::Resource(r) => std::mem::take(&mut r.links),
            Entity::Link(_) => Vec::new(),
        };
        let backend = self.backend_of(&ctx.registry, entity.kind());
        let placed = entity.id().cloned();
        backend
            .create(hook, &mut entity)
            .await
            .map_err(|e| Failure::backend(&e))?;
        let renamed = if entity.id() == placed.as_ref() {
            Ok(location)
        } else {
            self.rename(
                &mut entity,
                &mut inline,
                &kind_location,
                &location,
                at,
                proposed,
            )
            .await
        };
        attempt.prepared(&backend, Event::Created(entity.clone()));
        let location = renamed?;
        changes.push(Change::Put {
            entity,
            expect: Expect::Absent,
        });
        for link in inline {
            let mut link = Entity::Link(link);
            let backend = self.backend_of(&ctx.registry, link.kind());
            backend
                .create(hook, &mut link)
                .await
                .map_err(|e| Failure::backend(&e))?;
            attempt.prepared(&backend, Event::Created(link.clone()));
            changes.push(Change::Put {
                entity: link,
                expect: Expect::Absent,
            });
        }
        changes.extend(requires);
        self.commit(ctx, changes, attempt).await?;
        Ok(Reply {
            status: StatusCode::CREATED,
            location: Some(absolute(&ctx.base, &location)),
            revision: None,
            payload: Payload::Locations(vec![location]),
        })
    }

    /// Places a new entity whose backend's create hook gave it an id of its own (a service
    /// whose ids come from elsewhere): at `<kind location><segment the id names>` when it is
    /// created by POST without a proposed id, with its inline links following it. A PUT to a
    /// chosen path, or a proposed id, keeps its place: an id the hook gives must then name
    /// that place (400 otherwise: the request puts the entity where the service would not).
    #[allow(clippy::too_many_arguments)]
    async fn rename(
        &self,
        entity: &mut Entity,
        inline: &mut [Link],
        kind_location: &Location,
        placed: &Location,
        at: Option<&Location>,
        proposed: bool,
    ) -> Result<Location, Failure> {
        let Some(id) = entity.id().cloned() else {
            return Err(Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the backend removed the id of the new entity",
            ));
        };
        let segment = segment_of(&id).ok_or_else(|| {
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "the backend gave the new entity the id {id}, which cannot name a location"
                ),
            )
        })?;
        let location = Location::new(&format!("{kind_location}{segment}")).map_err(|e| {
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the backend's id {id}: {e}"),
            )
        })?;
        if &location == placed {
            return Ok(location);
        }
        if at.is_some() || proposed {
            return Err(Failure::bad_request(format!(
                "the service names this entity {id}, which places it at {location}, not at {placed} where the request puts it"
            )));
        }
        if self.find_id(&TenantFilter::Any, &id).await?.is_some()
            || self
                .get_stored(&TenantFilter::Any, &location)
                .await?
                .is_some()
        {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                format!("an entity with the id {id} exists already at {location}"),
            ));
        }
        set_location(entity, &location);
        for link in inline.iter_mut() {
            if link.source.as_ref() == Some(placed) {
                link.source = Some(location.clone());
            }
        }
        Ok(location)
    }

    /// Gives every inline link of a new resource an id, a location and its source.
    fn prepare_inline_links(
        ctx: &Ctx,
        entity: &mut Entity,
        owner: &Location,
    ) -> Result<Vec<Link>, Failure> {
        let Entity::Resource(resource) = entity else {
            return Ok(Vec::new());
        };
        let mut links = std::mem::take(&mut resource.links);
        for link in &mut links {
            let Some(kind_location) = ctx
                .registry
                .kind(&link.kind)
                .and_then(|k| k.location.clone())
            else {
                return Err(Failure::bad_request(format!(
                    "inline link of unknown Kind {}",
                    link.kind
                )));
            };
            let uuid = uuid::Uuid::new_v4();
            let location = Location::new(&format!("{kind_location}{uuid}"))
                .map_err(|e| Failure::bad_request(e.to_string()))?;
            link.id = Some(new_id(uuid));
            link.location = Some(location);
            if link.source.is_none() {
                link.source = Some(owner.clone());
            }
        }
        Ok(links)
    }

    pub(crate) async fn update(
        &self,
        ctx: &Ctx,
        location: &Location,
        attempt: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let Some(stored) = self.get_stored(&ctx.tenant, location).await? else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        ctx.conditions.check_write(Some(stored.revision))?;
        let mut update = Self::decoded_entity(ctx);
        // Links given with a resource update are created (H11 §3.4.4); a Link takes none.
        let new_links = match (&mut update, &stored.entity) {
            (Entity::Resource(u), Entity::Resource(_)) => {
                let mut holder = Entity::Resource(occi_model::Resource {
                    links: std::mem::take(&mut u.links),
                    ..occi_model::Resource::new(stored.entity.kind().clone())
                });
                Self::prepare_inline_links(ctx, &mut holder, location)?
            }
            _ => Vec::new(),
        };
        let mut referenced: Vec<Location> =
            new_links.iter().filter_map(|l| l.target.clone()).collect();
        if let Entity::Link(l) = &update {
            referenced.extend(l.source.iter().cloned());
            referenced.extend(l.target.iter().cloned());
        }
        // The entity itself is written by this update anyway.
        referenced.retain(|l| l != location);
        let (mut kinds, requires) = self.lookup(&ctx.tenant, referenced.iter()).await?;
        kinds.insert(location.clone(), stored.entity.kind().clone());
        let mut updated = ctx
            .registry
            .validate_update_with(&stored.entity, &update, UpdateMode::Partial, &kinds)
            .map_err(|e| Failure::validation("the update", &e, ctx.registry.version()))?;
        self.check_mixin_owners(
            ctx,
            updated
                .mixins()
                .iter()
                .filter(|m| !stored.entity.mixins().contains(m)),
        )?;
        let mut links = Vec::with_capacity(new_links.len());
        for mut link in new_links {
            fill_endpoint_kinds(&mut link, &kinds);
            let mut link = Entity::Link(link);
            ctx.registry
                .validate_create(&mut link, &kinds)
                .map_err(|e| Failure::validation("a new link", &e, ctx.registry.version()))?;
            links.push(link);
        }
        if let Entity::Resource(r) = &mut updated {
            r.links.clear();
        }
        set_location(&mut updated, location);
        let hook = ctx.hook(&self.shared.lifecycle);
        let backend = self.backend_of(&ctx.registry, updated.kind());
        backend
            .update(hook, &stored.entity, &mut updated)
            .await
            .map_err(|e| Failure::backend(&e))?;
        let link_values: Vec<Link> = links.iter().filter_map(|l| l.as_link().cloned()).collect();
        self.settle_rendering(ctx, &updated, &link_values).await?;
        attempt.prepared(&backend, Event::Updated(updated.clone()));
        let mut changes = vec![Change::Put {
            entity: updated,
            expect: Expect::Revision(stored.revision),
        }];
        for mut link in links {
            let backend = self.backend_of(&ctx.registry, link.kind());
            backend
                .create(hook, &mut link)
                .await
                .map_err(|e| Failure::backend(&e))?;
            attempt.prepared(&backend, Event::Created(link.clone()));
            changes.push(Change::Put {
                entity: link,
                expect: Expect::Absent,
            });
        }
        changes.extend(requires);
        self.commit(ctx, changes, attempt).await?;
        self.answer_entity(ctx, location).await
    }

    pub(crate) async fn put(
        &self,
        ctx: &Ctx,
        location: &Location,
        attempt: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let Some(stored) = self.get_stored(&ctx.tenant, location).await? else {
            // Another tenant's entity is as absent to this caller as to a GET, and its
            // location cannot be taken.
            if self
                .get_stored(&TenantFilter::Any, location)
                .await?
                .is_some()
            {
                return Err(Failure::not_found(format!("no entity at {location}")));
            }
            let Decoded::Entity(entity) = &ctx.data else {
                unreachable!("PUT decodes an entity")
            };
            let kind = entity.kind().clone();
            return self.create(ctx, &kind, Some(location), attempt).await;
        };
        ctx.conditions.check_write(Some(stored.revision))?;
        let update = Self::decoded_entity(ctx);
        if ctx.registry.version() == OcciVersion::V1_1
            && update.as_resource().is_some_and(|r| !r.links.is_empty())
        {
            return Err(Failure::bad_request(
                "a full update (PUT) may not carry Link headers in OCCI 1.1 (H11 §3.4.4)",
            ));
        }
        let mut referenced = Vec::new();
        if let Entity::Link(l) = &update {
            referenced.extend(l.source.iter().cloned());
            referenced.extend(l.target.iter().cloned());
        }
        let (kinds, requires) = self.lookup(&ctx.tenant, referenced.iter()).await?;
        let mut replaced = ctx
            .registry
            .validate_update_with(&stored.entity, &update, UpdateMode::Replace, &kinds)
            .map_err(|e| Failure::validation("the replacement", &e, ctx.registry.version()))?;
        self.check_mixin_owners(
            ctx,
            replaced
                .mixins()
                .iter()
                .filter(|m| !stored.entity.mixins().contains(m)),
        )?;
        if let Entity::Resource(r) = &mut replaced {
            r.links.clear();
        }
        set_location(&mut replaced, location);
        let backend = self.backend_of(&ctx.registry, replaced.kind());
        backend
            .replace(
                ctx.hook(&self.shared.lifecycle),
                &stored.entity,
                &mut replaced,
            )
            .await
            .map_err(|e| Failure::backend(&e))?;
        self.settle_rendering(ctx, &replaced, &[]).await?;
        attempt.prepared(&backend, Event::Replaced(replaced.clone()));
        let mut changes = vec![Change::Put {
            entity: replaced,
            expect: Expect::Revision(stored.revision),
        }];
        changes.extend(requires);
        self.commit(ctx, changes, attempt).await?;
        self.answer_entity(ctx, location).await
    }

    pub(crate) async fn delete(
        &self,
        ctx: &Ctx,
        location: &Location,
        attempt: &mut Attempt,
    ) -> Result<Reply, Failure> {
        let stored = self.get_stored(&ctx.tenant, location).await?;
        ctx.conditions
            .check_write(stored.as_ref().map(|s| s.revision))?;
        let Some(stored) = stored else {
            return Err(Failure::not_found(format!("no entity at {location}")));
        };
        self.delete_all(ctx, vec![stored], attempt).await
    }
}

/// Sets a link's `occi.core.source.kind` and `occi.core.target.kind` where the client left
/// them out and the server knows the endpoint (a storagelink's target is then rendered with
/// `rel` naming the storage Kind, not `core#resource`).
fn fill_endpoint_kinds(link: &mut Link, kinds: &HashMap<Location, CategoryId>) {
    if link.source_kind.is_none()
        && let Some(kind) = link.source.as_ref().and_then(|s| kinds.get(s))
    {
        link.source_kind = Some(kind.clone());
    }
    if link.target_kind.is_none()
        && let Some(kind) = link.target.as_ref().and_then(|t| kinds.get(t))
    {
        link.target_kind = Some(kind.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::segment_of;
    use occi_model::EntityId;

    #[test]
    fn ids_name_path_segments() {
        let id = |s: &str| EntityId::new(s).unwrap();
        assert_eq!(
            segment_of(&id("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8")),
            Some("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
        );
        assert_eq!(
            segment_of(&id("Compute_1700000000")),
            Some("Compute_1700000000")
        );
        assert_eq!(segment_of(&id("vm-1")), Some("vm-1"));
        for bad in [
            "urn:uuid:not-a-uuid",
            "a/b",
            "..",
            ".",
            "a b",
            "a?b",
            "a#b",
            "ä",
        ] {
            if let Ok(id) = EntityId::new(bad) {
                assert_eq!(segment_of(&id), None, "{bad}");
            }
        }
    }
}
