//! Per-Kind backends: what a service does when its entities are created, read, changed,
//! deleted, acted on or associated with a Mixin, and the [`Lifecycle`] handle with which it
//! changes them later from a background task.
//!
//! A service registers a [`Backend`] per Kind with [`crate::OcciBuilder::backend`] (the Kinds
//! below it use it too, unless they have their own) and may replace the default
//! ([`StoreOnly`]) with [`crate::OcciBuilder::default_backend`].
//!
//! # The contract: prepare, then commit or abort
//!
//! Every request runs in this order, and a hook never sees a request that fails before it:
//!
//! 1. routing, negotiation of the response rendering, decoding of the body;
//! 2. validation against the model (required, immutable and typed attributes, Mixins,
//!    link endpoints, action applicability);
//! 3. the hook (`create`, `update`, `replace`, `delete`, `action`, `associate`): it may
//!    refuse with a [`BackendError`] (the request then answers with the error's status and
//!    message and nothing is stored), and it may set server-owned attributes on the entity
//!    it is given (a state, the id of something it made);
//! 4. one atomic commit of every change of the request;
//! 5. [`Backend::committed`] for each hook that ran, once the commit has succeeded, or
//!    [`Backend::aborted`] for each hook that ran, when the commit failed (a concurrent
//!    request changed what this one read, the store failed) or a later hook of the same
//!    request refused (a collection action is all or nothing).
//!
//! A hook therefore *prepares*: it must not change the outside world in a way that
//! [`Backend::aborted`] cannot undo. Effects that cannot be undone (deploying, sending a
//! message, tearing something down) belong in [`Backend::committed`], which runs only for
//! changes that are stored, or in a background task started from there. The reason: a hook
//! that acted at once (as PySSF's backends did) leaves the world changed when validation of
//! a later member, a precondition or the store then fails, and nothing records it. With
//! prepare/commit/abort, every effect either has a stored entity that describes it or was
//! undone.
//!
//! When a commit fails because a concurrent request got there first, the server reads
//! again and runs the request again: each attempt prepares afresh and each failed attempt is
//! aborted, so a hook may run more than once for one request, but each run ends in exactly
//! one `committed` or `aborted`.
//!
//! `retrieve` runs on every read of one entity (GET, and the entity a write answers with);
//! it may refresh the entity it is given (merge what a remote service reports). What it
//! changes is shown to the client and not stored; a backend that wants it stored uses its
//! [`Lifecycle`].

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Weak};

use occi_model::{ActionInvocation, CategoryId, Entity, Location, Registry};

use crate::action::ActionOutcome;
use crate::identity::Identity;
use crate::store::{BoxFuture, Expect, Stored};

/// Why a backend refused a request; the server answers with the matching status and the
/// message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendErrorKind {
    /// The request is not acceptable to the service (400).
    BadRequest,
    /// The caller may not do this (403).
    Forbidden,
    /// The service knows no such thing (404).
    NotFound,
    /// The request conflicts with the entity's state (409).
    Conflict,
    /// The service does not implement this (501).
    NotImplemented,
    /// The service is temporarily unavailable (503).
    Unavailable,
    /// The service failed (500).
    Failed,
}

impl BackendErrorKind {
    /// The HTTP status the server answers with.
    pub fn status(self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict => StatusCode::CONFLICT,
            Self::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Failed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error from a [`Backend`] hook: a kind (the status) and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    kind: BackendErrorKind,
    message: String,
}

impl BackendError {
    /// An error of `kind` with a message for the client.
    pub fn new(kind: BackendErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Why the backend refused.
    pub fn kind(&self) -> BackendErrorKind {
        self.kind
    }

    /// The message for the client.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BackendError {}

/// What a [`Backend::delete`] hook decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Deletion {
    /// Delete the entity (and its links) now, in the request's commit (200).
    #[default]
    Now,
    /// Accept the deletion and finish it in the background (202): nothing is changed by the
    /// request; the backend deletes the entity later through its [`Lifecycle`], after
    /// [`Backend::committed`] told it the deletion was accepted.
    Later,
}

/// What a request changed, as told to [`Backend::committed`] and [`Backend::aborted`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The entity was created (as stored).
    Created(Entity),
    /// The entity was partially updated (POST); the entity after the update.
    Updated(Entity),
    /// The entity was replaced (PUT); the entity after the replacement.
    Replaced(Entity),
    /// The entity (and the links from and to it) was deleted.
    Deleted(Entity),
    /// The backend accepted to delete the entity later ([`Deletion::Later`]).
    DeletionAccepted(Entity),
    /// An action was performed on the entity; the entity after it.
    Acted {
        /// The entity after the action.
        entity: Entity,
        /// The action.
        action: CategoryId,
    },
    /// The entity was associated with (`associated: true`) or dissociated from a Mixin
    /// through the Mixin's collection; the entity after the change.
    Associated {
        /// The entity after the change.
        entity: Entity,
        /// The Mixin.
        mixin: CategoryId,
        /// Associated (`true`) or dissociated (`false`).
        associated: bool,
    },
}

impl Event {
    /// The entity the event is about.
    pub fn entity(&self) -> &Entity {
        match self {
            Self::Created(e)
            | Self::Updated(e)
            | Self::Replaced(e)
            | Self::Deleted(e)
            | Self::DeletionAccepted(e)
            | Self::Acted { entity: e, .. }
            | Self::Associated { entity: e, .. } => e,
        }
    }
}

/// What a hook knows about the request it runs for.
#[derive(Debug, Clone, Copy)]
pub struct Hook<'a> {
    pub(crate) registry: &'a Registry,
    pub(crate) identity: Option<&'a Identity>,
    pub(crate) lifecycle: &'a Lifecycle,
}

impl<'a> Hook<'a> {
    /// The registry the request is served with (one snapshot per request).
    pub fn registry(&self) -> &'a Registry {
        self.registry
    }

    /// The caller, when an authentication layer identified one.
    pub fn identity(&self) -> Option<&'a Identity> {
        self.identity
    }

    /// The handle with which the backend changes entities later; clone it into a
    /// background task.
    pub fn lifecycle(&self) -> &'a Lifecycle {
        self.lifecycle
    }
}

/// What a service does with the entities of a Kind. Every hook has a default that accepts
/// the request unchanged, so a backend implements only what it needs.
///
/// See the [module documentation](crate::backend) for the order in which hooks run and the
/// prepare/commit/abort contract.
pub trait Backend: Send + Sync + 'static {
    /// A new entity, validated, with its id and location set: refuse it, or set
    /// server-owned attributes.
    ///
    /// The hook may also give the entity an id of its own, for a service whose ids come
    /// from elsewhere (a name the client chose, an id another system assigned): created by
    /// POST without a proposed `occi.core.id`, the entity is then served at `<kind
    /// location><id>` (the id must be a valid path segment; 409 when that place or id is
    /// taken). An entity the client placed (PUT to a path, or a proposed id) keeps its
    /// location: an id the hook gives must name it (400 otherwise).
    fn create(
        &self,
        hook: Hook<'_>,
        entity: &mut Entity,
    ) -> impl Future<Output = Result<(), BackendError>> + Send {
        let _ = (hook, entity);
        async { Ok(()) }
    }

    /// An entity about to be shown to a client: refresh it (merge what a remote service
    /// reports). Not stored.
    fn retrieve(
        &self,
        hook: Hook<'_>,
        entity: &mut Entity,
    ) -> impl Future<Output = Result<(), BackendError>> + Send {
        let _ = (hook, entity);
        async { Ok(()) }
    }

    /// A partial update (POST), validated: `updated` is the entity as it will be stored.
    fn update(
        &self,
        hook: Hook<'_>,
        current: &Entity,
        updated: &mut Entity,
    ) -> impl Future<Output = Result<(), BackendError>> + Send {
        let _ = (hook, current, updated);
        async { Ok(()) }
    }

    /// A full replacement (PUT of an existing entity), validated.
    fn replace(
        &self,
        hook: Hook<'_>,
        current: &Entity,
        replacement: &mut Entity,
    ) -> impl Future<Output = Result<(), BackendError>> + Send {
        let _ = (hook, current, replacement);
        async { Ok(()) }
    }

    /// A deletion: now, or accepted and finished later.
    fn delete(
        &self,
        hook: Hook<'_>,
        entity: &Entity,
    ) -> impl Future<Output = Result<Deletion, BackendError>> + Send {
        let _ = (hook, entity);
        async { Ok(Deletion::Now) }
    }

    /// An action, validated against the model (defined for the entity, applicable in its
    /// state, parameters well-typed). `Ok(None)` leaves it to the server's
    /// [`crate::ActionHandler`]; `Ok(Some(outcome))` is what the action does.
    fn action(
        &self,
        hook: Hook<'_>,
        entity: &Entity,
        invocation: &ActionInvocation,
    ) -> impl Future<Output = Result<Option<ActionOutcome>, BackendError>> + Send {
        let _ = (hook, entity, invocation);
        async { Ok(None) }
    }

    /// An association with (`associate: true`) or dissociation from `mixin` through the
    /// Mixin's collection, validated: `updated` is the entity as it will be stored. (Mixins
    /// changed by an update or replacement reach [`Backend::update`] and
    /// [`Backend::replace`].)
    fn associate(
        &self,
        hook: Hook<'_>,
        mixin: &CategoryId,
        associate: bool,
        updated: &mut Entity,
    ) -> impl Future<Output = Result<(), BackendError>> + Send {
        let _ = (hook, mixin, associate, updated);
        async { Ok(()) }
    }

    /// The change a hook prepared is stored: the place for effects that cannot be undone.
    fn committed(&self, hook: Hook<'_>, event: &Event) -> impl Future<Output = ()> + Send {
        let _ = (hook, event);
        async {}
    }

    /// The change a hook prepared was not stored: undo what the hook did.
    fn aborted(&self, hook: Hook<'_>, event: &Event) -> impl Future<Output = ()> + Send {
        let _ = (hook, event);
        async {}
    }
}

/// The default backend: the store is all there is.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOnly;

impl Backend for StoreOnly {}

/// Declares [`DynBackend`], the object-safe twin of [`Backend`] (each hook's future boxed),
/// and implements it for every `Backend`, from one list of the hooks.
macro_rules! dyn_backend {
    ($lt:lifetime; $(fn $hook:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        /// The object-safe twin of [`Backend`], through which the server calls backends of
        /// different types; every `Backend` is one.
        pub(crate) trait DynBackend: Send + Sync + 'static {
            $(fn $hook<$lt>(&$lt self, hook: Hook<$lt>, $($arg: $ty),*) -> BoxFuture<$lt, $out>;)*
        }

        impl<T: Backend> DynBackend for T {
            $(fn $hook<$lt>(&$lt self, hook: Hook<$lt>, $($arg: $ty),*) -> BoxFuture<$lt, $out> {
                Box::pin(Backend::$hook(self, hook, $($arg),*))
            })*
        }
    };
}

dyn_backend! { 'a;
    fn create(entity: &'a mut Entity) -> Result<(), BackendError>;
    fn retrieve(entity: &'a mut Entity) -> Result<(), BackendError>;
    fn update(current: &'a Entity, updated: &'a mut Entity) -> Result<(), BackendError>;
    fn replace(current: &'a Entity, replacement: &'a mut Entity) -> Result<(), BackendError>;
    fn delete(entity: &'a Entity) -> Result<Deletion, BackendError>;
    fn action(
        entity: &'a Entity,
        invocation: &'a ActionInvocation
    ) -> Result<Option<ActionOutcome>, BackendError>;
    fn associate(
        mixin: &'a CategoryId,
        associate: bool,
        updated: &'a mut Entity
    ) -> Result<(), BackendError>;
    fn committed(event: &'a Event) -> ();
    fn aborted(event: &'a Event) -> ();
}

/// The backends of a server: one per Kind, and the default.
#[derive(Clone)]
pub(crate) struct Backends {
    by_kind: std::collections::HashMap<CategoryId, Arc<dyn DynBackend>>,
    default: Arc<dyn DynBackend>,
}

impl fmt::Debug for Backends {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backends")
            .field("kinds", &self.by_kind.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for Backends {
    fn default() -> Self {
        Self {
            by_kind: std::collections::HashMap::new(),
            default: Arc::new(StoreOnly),
        }
    }
}

impl Backends {
    pub(crate) fn insert(&mut self, kind: CategoryId, backend: Arc<dyn DynBackend>) {
        self.by_kind.insert(kind, backend);
    }

    pub(crate) fn set_default(&mut self, backend: Arc<dyn DynBackend>) {
        self.default = backend;
    }

    /// The backend of `kind`: its own, else the nearest ancestor's, else the default.
    pub(crate) fn of(&self, registry: &Registry, kind: &CategoryId) -> &Arc<dyn DynBackend> {
        if self.by_kind.is_empty() {
            return &self.default;
        }
        if let Some(b) = self.by_kind.get(kind) {
            return b;
        }
        if let Some(k) = registry.kind(kind) {
            for ancestor in registry.kind_ancestors(k) {
                if let Some(b) = self.by_kind.get(&ancestor.id) {
                    return b;
                }
            }
        }
        &self.default
    }
}

/// Why a [`Lifecycle`] change failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LifecycleErrorKind {
    /// Nothing is stored at the location.
    NotFound,
    /// The entity's revision is not the one expected: someone changed it first.
    PreconditionFailed,
    /// The change is not valid (it changes the Kind or the location).
    Invalid,
    /// The server the handle belongs to no longer exists.
    ServerGone,
    /// The store failed.
    Store,
}

/// An error from a [`Lifecycle`] change; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleError {
    kind: LifecycleErrorKind,
    message: String,
}

impl LifecycleError {
    pub(crate) fn new(kind: LifecycleErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Why the change failed.
    pub fn kind(&self) -> LifecycleErrorKind {
        self.kind
    }
}

impl fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LifecycleError {}

/// A change a [`Lifecycle`] applies: the closure gets the stored entity and changes it (again,
/// on the newer entity, when a concurrent request changed it first under [`Expect::Any`]).
pub type EntityChange = Box<dyn FnMut(&mut Entity) + Send>;

/// What the server does for a [`Lifecycle`].
pub(crate) trait LifecycleTarget: Send + Sync + 'static {
    fn get(
        self: Arc<Self>,
        location: Location,
    ) -> BoxFuture<'static, Result<Option<Stored>, LifecycleError>>;
    fn change(
        self: Arc<Self>,
        location: Location,
        expect: Expect,
        change: EntityChange,
    ) -> BoxFuture<'static, Result<Stored, LifecycleError>>;
    fn delete(
        self: Arc<Self>,
        location: Location,
        expect: Expect,
    ) -> BoxFuture<'static, Result<(), LifecycleError>>;
}

/// A handle with which a backend changes entities later, from a background task: a state
/// going `initialise -> activate -> deploy -> provision`, the deletion it accepted.
///
/// Each change is atomic and carries a precondition like a request's: [`Expect::Revision`]
/// fails with [`LifecycleErrorKind::PreconditionFailed`] when someone changed the entity
/// first; [`Expect::Any`] applies the change to whatever is stored (re-reading and trying
/// again when a concurrent request gets in between). Clients polling GET see each change as
/// soon as it is stored. The entity keeps its tenant, Kind and location. The handle does not
/// keep the server alive: once the server is dropped, changes fail with
/// [`LifecycleErrorKind::ServerGone`].
#[derive(Clone)]
pub struct Lifecycle {
    target: Weak<dyn LifecycleTarget>,
}

impl fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lifecycle")
            .field("server_alive", &(self.target.strong_count() > 0))
            .finish()
    }
}

impl Lifecycle {
    pub(crate) fn new(target: Weak<dyn LifecycleTarget>) -> Self {
        Self { target }
    }

    fn target(&self) -> Result<Arc<dyn LifecycleTarget>, LifecycleError> {
        self.target.upgrade().ok_or_else(|| {
            LifecycleError::new(
                LifecycleErrorKind::ServerGone,
                "the server no longer exists",
            )
        })
    }

    /// The entity at `location` as stored, with its revision.
    pub async fn get(&self, location: &Location) -> Result<Option<Stored>, LifecycleError> {
        self.target()?.get(location.clone()).await
    }

    /// Changes the entity at `location` atomically under `expect`, and returns it as stored.
    pub async fn change(
        &self,
        location: &Location,
        expect: Expect,
        change: impl FnMut(&mut Entity) + Send + 'static,
    ) -> Result<Stored, LifecycleError> {
        self.target()?
            .change(location.clone(), expect, Box::new(change))
            .await
    }

    /// Sets one attribute of the entity at `location` (a state, for example).
    pub async fn set_attribute(
        &self,
        location: &Location,
        expect: Expect,
        name: occi_model::AttributeName,
        value: occi_model::AttributeValue,
    ) -> Result<Stored, LifecycleError> {
        self.change(location, expect, move |entity| {
            entity.attributes_mut().insert(name.clone(), value.clone());
        })
        .await
    }

    /// Deletes the entity at `location` and the links from and to it, atomically under
    /// `expect`.
    pub async fn delete(&self, location: &Location, expect: Expect) -> Result<(), LifecycleError> {
        self.target()?.delete(location.clone(), expect).await
    }
}
