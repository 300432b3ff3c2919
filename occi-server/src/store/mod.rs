//! Storage: the [`Store`] trait, its object-safe twin [`DynStore`], and [`InMemoryStore`].
//!
//! A store keeps entities by location, each with a revision number that changes on every
//! write and the tenant that owns it. Reads return [`Stored`] entities; every write is one
//! atomic [`Store::commit`] of a [`Changeset`] whose changes each carry a precondition
//! ([`Expect`]) on the current revision. The server reads, validates and computes the new
//! state without holding any lock, then commits; if another request changed an entity in
//! between, the commit fails with [`StoreErrorKind::Conflict`] and changes nothing, and the
//! server retries or answers 409. That is how "a request either fully succeeds or changes
//! nothing" holds for collection actions, mixin membership changes and cascading deletes,
//! under concurrency.
//!
//! Links are stored as entities of their own, at their own location. A Resource is stored
//! without its `links`; the server assembles them from [`Scope::LinksFrom`] when it renders.
//!
//! # Tenants
//!
//! Every stored entity carries its owner tenant ([`Stored::tenant`], `None` on an open
//! server). A changeset says which tenant it acts for ([`Changeset::tenant`]); an entity it
//! creates belongs to that tenant, and an entity it updates keeps the owner it has: ownership
//! never changes. A [`Scan`] can be restricted to one owner ([`TenantFilter`]); every store
//! answers such a scan from an index, without reading other tenants' entities. The store does
//! not decide who may see what: the server does, from the caller's identity.
//!
//! # Lookups and pages
//!
//! A [`Scan`] names a [`Scope`] (everything, a Kind or several, a Mixin, a path prefix, links
//! from or to a location, an entity id), an owner, and a keyset page: the entities after a
//! location, at most `limit` of them, in location order. Every scope is answered from an
//! index, so a page costs the same whether it is the first or the ten-thousandth.
//!
//! # Categories
//!
//! User-defined Mixins (the query interface) and provider Mixins created by actions are
//! stored too ([`Change::PutMixin`], [`Store::mixins`]), in the same atomic changesets as
//! entities, so a server restarted on a durable store serves the Mixins it served before.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use occi_model::{CategoryId, Entity, EntityId, Location, Mixin, Origin};

pub mod backup;
mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod record;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "store-testkit")]
pub mod testkit;

pub use memory::InMemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// An entity as stored, with its revision and its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The entity (a Resource is stored without its `links`).
    pub entity: Entity,
    /// Changes on every write of this location; never reused for the same location.
    pub revision: u64,
    /// The tenant that owns the entity (`None`: no tenant, as on an open server).
    pub tenant: Option<Arc<str>>,
}

/// A Mixin as stored: user-defined (query interface) or created by the provider at run time
/// (an action's `save`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMixin {
    /// The Mixin.
    pub mixin: Mixin,
    /// Who defined it: [`Origin::User`] for the query interface, [`Origin::Provider`] for
    /// Mixins an action created.
    pub origin: Origin,
    /// The tenant whose changeset stored it.
    pub tenant: Option<Arc<str>>,
}

/// Which entities a [`Scan`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Every entity.
    All,
    /// Entities whose Kind is exactly this one.
    Kind(CategoryId),
    /// Entities whose Kind is any of these (a Kind's collection with the Kinds below it).
    Kinds(Vec<CategoryId>),
    /// Entities associated with this Mixin.
    Mixin(CategoryId),
    /// Entities whose location path starts with this prefix (which ends with `/`).
    Prefix(String),
    /// Links whose source is this location.
    LinksFrom(Location),
    /// Links whose target is this location.
    LinksTo(Location),
    /// The entities with this id (at most one on a server that keeps ids unique).
    Id(EntityId),
}

/// Whose entities a [`Scan`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TenantFilter {
    /// Every tenant's (administration, export).
    #[default]
    Any,
    /// Only those owned by this tenant; `Only(None)` is the entities that belong to no tenant.
    Only(Option<Arc<str>>),
}

impl TenantFilter {
    /// Whether an entity owned by `tenant` passes.
    pub fn admits(&self, tenant: Option<&Arc<str>>) -> bool {
        match self {
            Self::Any => true,
            Self::Only(only) => only.as_deref() == tenant.map(|t| &**t),
        }
    }
}

/// A query for [`Store::scan`]: a scope, an owner, and a keyset page.
///
/// ```
/// use occi_server::{Scan, Scope, TenantFilter};
/// use occi_server::occi_model::Location;
///
/// let first = Scan::new(Scope::All).limit(100);
/// let next = Scan::new(Scope::All)
///     .tenant(TenantFilter::Only(Some("acme".into())))
///     .after(Location::new("/compute/42")?)
///     .limit(100);
/// assert_eq!(first.limit, Some(100));
/// assert!(next.after.is_some());
/// # Ok::<(), occi_server::occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scan {
    /// Which entities.
    pub scope: Scope,
    /// Whose.
    pub tenant: TenantFilter,
    /// Only entities whose location sorts after this one (the last location of the
    /// previous page).
    pub after: Option<Location>,
    /// At most this many (all when `None`).
    pub limit: Option<usize>,
}

impl Scan {
    /// Every entity in `scope`, of any tenant, unpaged.
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            tenant: TenantFilter::Any,
            after: None,
            limit: None,
        }
    }

    /// Restricts the scan to an owner.
    #[must_use]
    pub fn tenant(mut self, tenant: TenantFilter) -> Self {
        self.tenant = tenant;
        self
    }

    /// Starts after `location` (exclusive).
    #[must_use]
    pub fn after(mut self, location: Location) -> Self {
        self.after = Some(location);
        self
    }

    /// Returns at most `limit` entities.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

impl From<Scope> for Scan {
    fn from(scope: Scope) -> Self {
        Self::new(scope)
    }
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
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// Store `entity` at its location (which must be set). A new location belongs to the
    /// changeset's tenant; an existing one keeps its owner.
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
    /// Store a Mixin definition (replacing one with the same id).
    PutMixin {
        /// The Mixin.
        mixin: Mixin,
        /// Who defined it.
        origin: Origin,
    },
    /// Remove a stored Mixin definition (removing none is not an error).
    DeleteMixin {
        /// Its id.
        id: CategoryId,
    },
}

/// Changes applied together or not at all, on behalf of one tenant.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Changeset {
    /// The changes, applied in order.
    pub changes: Vec<Change>,
    /// The tenant that owns what this changeset creates (`None`: no tenant).
    pub tenant: Option<Arc<str>>,
}

impl Changeset {
    /// The changes, owned by no tenant.
    pub fn new(changes: Vec<Change>) -> Self {
        Self {
            changes,
            tenant: None,
        }
    }

    /// What this changeset creates belongs to `tenant`.
    #[must_use]
    pub fn owned_by(mut self, tenant: Option<Arc<str>>) -> Self {
        self.tenant = tenant;
        self
    }
}

impl From<Vec<Change>> for Changeset {
    fn from(changes: Vec<Change>) -> Self {
        Self::new(changes)
    }
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
    /// The backend is temporarily unavailable (disk full, read-only, database unreachable).
    /// Nothing was changed; the same request may succeed later.
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
        Self::with_source(StoreErrorKind::Backend, source.to_string(), source)
    }

    /// An error of `kind` with a message, caused by `source`.
    pub fn with_source(
        kind: StoreErrorKind,
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    pub(crate) fn conflict(location: &Location, why: &str) -> Self {
        Self::new(StoreErrorKind::Conflict, format!("{location} {why}"))
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
///
/// An implementation passes the store test kit (`occi_server::store::testkit`, feature
/// `store-testkit`), which states this contract as tests.
pub trait Store: Send + Sync + 'static {
    /// The entity at `location`, of any tenant.
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// The entities `scan` asks for, in location order.
    fn scan(&self, scan: &Scan) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send;

    /// Applies every change, or none: if any precondition fails the store is unchanged and
    /// the error is a [`StoreErrorKind::Conflict`]. Changes apply in order, so a later change
    /// sees an earlier one (its precondition is checked against the state the earlier
    /// changes leave). A location may be written at most once per changeset, except that a
    /// delete may be followed by a `Put` with [`Expect::Absent`]. When this returns `Ok`,
    /// the changes are as durable as the store promises (on disk, for a durable store).
    fn commit(&self, changeset: Changeset) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every stored Mixin definition, in id order.
    fn mixins(&self) -> impl Future<Output = Result<Vec<StoredMixin>, StoreError>> + Send;

    /// A number that changes whenever a Mixin definition is stored or removed through any
    /// handle on the same data (another replica's too), so that a server can tell, with one
    /// cheap read per request, whether its registry still matches [`Store::mixins`]. `None`
    /// (the default) means the store does not keep one, and a server never reloads.
    fn mixins_revision(&self) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send {
        std::future::ready(Ok(None))
    }
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
    fn scan_dyn<'a>(&'a self, scan: &'a Scan) -> BoxFuture<'a, Result<Vec<Stored>, StoreError>>;
    /// See [`Store::commit`].
    fn commit_dyn(&self, changeset: Changeset) -> BoxFuture<'_, Result<(), StoreError>>;
    /// See [`Store::mixins`].
    fn mixins_dyn(&self) -> BoxFuture<'_, Result<Vec<StoredMixin>, StoreError>>;
    /// See [`Store::mixins_revision`].
    fn mixins_revision_dyn(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>>;
}

impl<T: Store> DynStore for T {
    fn get_dyn<'a>(
        &'a self,
        location: &'a Location,
    ) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        Box::pin(self.get(location))
    }

    fn scan_dyn<'a>(&'a self, scan: &'a Scan) -> BoxFuture<'a, Result<Vec<Stored>, StoreError>> {
        Box::pin(self.scan(scan))
    }

    fn commit_dyn(&self, changeset: Changeset) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(self.commit(changeset))
    }

    fn mixins_dyn(&self) -> BoxFuture<'_, Result<Vec<StoredMixin>, StoreError>> {
        Box::pin(self.mixins())
    }

    fn mixins_revision_dyn(&self) -> BoxFuture<'_, Result<Option<u64>, StoreError>> {
        Box::pin(self.mixins_revision())
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

    fn scan(&self, scan: &Scan) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send {
        let (store, scan) = (Arc::clone(self), scan.clone());
        async move { <dyn DynStore>::scan_dyn(&*store, &scan).await }
    }

    fn commit(&self, changeset: Changeset) -> impl Future<Output = Result<(), StoreError>> + Send {
        let store = Arc::clone(self);
        async move { <dyn DynStore>::commit_dyn(&*store, changeset).await }
    }

    fn mixins(&self) -> impl Future<Output = Result<Vec<StoredMixin>, StoreError>> + Send {
        let store = Arc::clone(self);
        async move { <dyn DynStore>::mixins_dyn(&*store).await }
    }

    fn mixins_revision(&self) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send {
        let store = Arc::clone(self);
        async move { <dyn DynStore>::mixins_revision_dyn(&*store).await }
    }
}

/// The precondition check every store shares: checks each change of `changes` against the
/// state the earlier ones leave, reading the stored revision of a location through `current`
/// the first time the changeset touches it.
pub(crate) fn check_changeset(
    changes: &[Change],
    mut current: impl FnMut(&Location) -> Result<Option<u64>, StoreError>,
) -> Result<(), StoreError> {
    // The locations this changeset writes, with whether each is present afterwards.
    let mut overlay = std::collections::HashMap::<&Location, bool>::new();
    for change in changes {
        let (location, expect, present_after) = match change {
            Change::Put { entity, expect } => {
                let Some(location) = entity.location() else {
                    return Err(StoreError::new(
                        StoreErrorKind::Invalid,
                        "an entity was stored without a location",
                    ));
                };
                (location, *expect, Some(true))
            }
            Change::Delete { location, expect } => (location, *expect, Some(false)),
            Change::Require { location, expect } => (location, *expect, None),
            Change::PutMixin { .. } | Change::DeleteMixin { .. } => continue,
        };
        let earlier = overlay.get(location).copied();
        let ok = match (earlier, expect) {
            (_, Expect::Any) => true,
            (None, Expect::Absent) => current(location)?.is_none(),
            (None, Expect::Revision(r)) => current(location)? == Some(r),
            (Some(present), Expect::Absent) => !present,
            (Some(_), Expect::Revision(_)) => false,
        };
        if !ok {
            let why = match (earlier, expect) {
                (Some(_), _) => "is changed twice in one changeset",
                (None, Expect::Absent) => "already exists",
                (None, _) => "was changed by another request",
            };
            return Err(StoreError::conflict(location, why));
        }
        if let Some(present) = present_after {
            overlay.insert(location, present);
        }
    }
    Ok(())
}

/// Adds the Mixins `store` holds to `registry`: user Mixins as user-defined, provider Mixins
/// (an action's `save`) as the provider's. Call it before [`crate::OcciBuilder::registry`]
/// when the server starts on a durable store, so it serves the Mixins it served before.
///
/// A Mixin may depend on another stored one: they are added in as many passes as the
/// dependencies need. Returns how many were added; a Mixin the registry refuses (its Kind or
/// dependency is gone from the model) is an error naming it.
pub async fn restore_mixins<S: Store>(
    store: &S,
    registry: &mut occi_model::Registry,
) -> Result<usize, StoreError> {
    add_stored_mixins(registry, store.mixins().await?)
}

/// Adds `pending` to `registry`, in as many passes as their dependencies need (see
/// [`restore_mixins`]).
pub(crate) fn add_stored_mixins(
    registry: &mut occi_model::Registry,
    mut pending: Vec<StoredMixin>,
) -> Result<usize, StoreError> {
    let mut added = 0;
    while !pending.is_empty() {
        let before = pending.len();
        let mut refused = Vec::new();
        for stored in pending {
            if registry.get(&stored.mixin.id).is_some() {
                continue;
            }
            let result = match stored.origin {
                Origin::User => registry.add_user_mixin(stored.mixin.clone()),
                Origin::Provider => registry.register_mixin(stored.mixin.clone()),
            };
            match result {
                Ok(()) => added += 1,
                Err(e) => refused.push((stored, e)),
            }
        }
        if refused.len() == before {
            let (stored, e) = &refused[0];
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                format!(
                    "the stored Mixin {} cannot be served by this model: {e}",
                    stored.mixin.id
                ),
            ));
        }
        pending = refused.into_iter().map(|(s, _)| s).collect();
    }
    Ok(added)
}
