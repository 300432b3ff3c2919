//! [`PostgresStore`]: one PostgreSQL database shared by any number of stateless occi-server
//! replicas (feature `postgres`).
//!
//! Built on `tokio-postgres` with a `deadpool-postgres` pool: a small, explicit client (plain
//! SQL, transactions by hand, no compile-time database) and a well-kept pool for it. It needs
//! a tokio runtime.
//!
//! # What it relies on
//!
//! Only what the PostgreSQL-wire distributed SQL engines (CockroachDB, YugabyteDB) also
//! offer: tables, B-tree and partial indexes, a `SEQUENCE` for revisions, `INSERT … ON
//! CONFLICT … DO UPDATE … RETURNING`, and `SERIALIZABLE` transactions. No advisory locks, no
//! `LISTEN/NOTIFY`, no triggers, no stored procedures, no extensions.
//!
//! # Atomicity and conflicts
//!
//! A changeset is one `SERIALIZABLE` transaction: the preconditions are read and the changes
//! written in it, and the database aborts it (SQLSTATE 40001) when a concurrent transaction
//! got in between; that abort, a deadlock or a unique-key violation is
//! [`StoreErrorKind::Conflict`], which the server retries. A commit that returned has been
//! made durable by the database (as its `synchronous_commit` setting says; the default, on).
//!
//! # Schema
//!
//! Versioned in the table `occi_schema`; each replica brings the schema up to date when it
//! connects, and refuses a database of a newer version. The tables live in the connection's
//! `search_path` (put `options=-c search_path=NAME` in the URL to use a schema of your own).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use occi_model::Location;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls};

use super::record::{self, Param};
use super::{
    Change, Changeset, Scan, Store, StoreError, StoreErrorKind, Stored, StoredMixin,
    check_changeset,
};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i32 = 2;

/// The statements that take a database from version `i` to `i + 1`, one per element.
const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE IF NOT EXISTS entity (
        location TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        kind TEXT NOT NULL,
        id TEXT,
        source TEXT,
        target TEXT,
        revision BIGINT NOT NULL,
        body TEXT NOT NULL
    )",
        "CREATE INDEX IF NOT EXISTS entity_by_tenant ON entity (tenant, location)",
        "CREATE INDEX IF NOT EXISTS entity_by_kind ON entity (kind, location)",
        "CREATE INDEX IF NOT EXISTS entity_by_tenant_kind ON entity (tenant, kind, location)",
        "CREATE INDEX IF NOT EXISTS entity_by_id ON entity (id, location) WHERE id IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS entity_by_source ON entity (source, location) WHERE source IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS entity_by_target ON entity (target, location) WHERE target IS NOT NULL",
        "CREATE TABLE IF NOT EXISTS entity_mixin (
        mixin TEXT NOT NULL,
        location TEXT NOT NULL,
        tenant TEXT NOT NULL,
        PRIMARY KEY (mixin, location)
    )",
        "CREATE INDEX IF NOT EXISTS entity_mixin_by_tenant ON entity_mixin (tenant, mixin, location)",
        "CREATE INDEX IF NOT EXISTS entity_mixin_by_location ON entity_mixin (location)",
        "CREATE TABLE IF NOT EXISTS mixin (
        id TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        tenant TEXT NOT NULL,
        body TEXT NOT NULL
    )",
        "CREATE SEQUENCE IF NOT EXISTS occi_revision",
    ],
    &[
        // 1 -> 2: a counter of Mixin changes, read by every replica to keep its registry fresh.
        "CREATE TABLE IF NOT EXISTS mixin_revision (
        id INT PRIMARY KEY CHECK (id = 1),
        last BIGINT NOT NULL
    )",
        "INSERT INTO mixin_revision (id, last) VALUES (1, 0) ON CONFLICT DO NOTHING",
    ],
];

fn classify(error: tokio_postgres::Error) -> StoreError {
    let kind = match error.code() {
        Some(c)
            if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::UNIQUE_VIOLATION =>
        {
            StoreErrorKind::Conflict
        }
        Some(c)
            if *c == SqlState::DISK_FULL
                || *c == SqlState::READ_ONLY_SQL_TRANSACTION
                || *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || *c == SqlState::TOO_MANY_CONNECTIONS =>
        {
            StoreErrorKind::Unavailable
        }
        Some(_) => StoreErrorKind::Backend,
        // No SQLSTATE: the connection failed.
        None => StoreErrorKind::Unavailable,
    };
    let message = match kind {
        StoreErrorKind::Conflict => format!("a concurrent change got there first ({error})"),
        StoreErrorKind::Unavailable => format!("the PostgreSQL database is unavailable: {error}"),
        _ => format!("PostgreSQL: {error}"),
    };
    StoreError::with_source(kind, message, error)
}

/// How many times a changeset is run when the database keeps aborting it for serialization.
const SERIALIZATION_RETRIES: u32 = 10;

/// Whether `error` is the database aborting a transaction for a serialization failure or a
/// deadlock (not a precondition of the changeset failing).
fn is_serialization_failure(error: &StoreError) -> bool {
    std::error::Error::source(error)
        .and_then(|s| s.downcast_ref::<tokio_postgres::Error>())
        .and_then(tokio_postgres::Error::code)
        .is_some_and(|c| {
            *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
        })
}

fn pool_error(error: deadpool_postgres::PoolError) -> StoreError {
    match error {
        deadpool_postgres::PoolError::Backend(e) => classify(e),
        other => StoreError::with_source(
            StoreErrorKind::Unavailable,
            format!("no PostgreSQL connection: {other}"),
            other,
        ),
    }
}

/// A store in a PostgreSQL database. Cloning gives another handle to the same pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// libpq's URL syntax), with a pool of up to `16` connections, and brings the schema up
    /// to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::with_source(
                StoreErrorKind::Invalid,
                format!("the PostgreSQL URL is not valid: {e}"),
                e,
            )
        })?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager).max_size(16).build().map_err(|e| {
            StoreError::with_source(
                StoreErrorKind::Backend,
                format!("cannot build the connection pool: {e}"),
                e,
            )
        })?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        // Replicas starting together may race to create the same tables: retry.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.migrate_once().await {
                Err(e) if e.kind() == StoreErrorKind::Conflict && attempts < 5 => {}
                Err(e) if e.kind() == StoreErrorKind::Backend && attempts < 5 => {
                    tracing::warn!(%e, "schema migration failed; retrying");
                }
                other => return other,
            }
        }
    }

    async fn migrate_once(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        client
            .batch_execute("CREATE TABLE IF NOT EXISTS occi_schema (version INT NOT NULL)")
            .await
            .map_err(classify)?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()
            .await
            .map_err(classify)?;
        let version: Option<i32> = tx
            .query_opt("SELECT max(version) FROM occi_schema", &[])
            .await
            .map_err(classify)?
            .and_then(|row| row.get(0));
        let version = version.unwrap_or(0);
        if version > SCHEMA_VERSION {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                format!(
                    "the database has schema version {version}; this build knows versions up to {SCHEMA_VERSION}: use a newer occi-server"
                ),
            ));
        }
        let from = usize::try_from(version).unwrap_or(0);
        for step in &MIGRATIONS[from..] {
            for statement in *step {
                tx.batch_execute(statement).await.map_err(classify)?;
            }
        }
        if version < SCHEMA_VERSION {
            tx.execute("DELETE FROM occi_schema", &[])
                .await
                .map_err(classify)?;
            tx.execute(
                "INSERT INTO occi_schema (version) VALUES ($1)",
                &[&SCHEMA_VERSION],
            )
            .await
            .map_err(classify)?;
        }
        tx.commit().await.map_err(classify)
    }

    async fn get_now(&self, location: &Location) -> Result<Option<Stored>, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let statement = client
            .prepare_cached("SELECT tenant, revision, body FROM entity WHERE location = $1")
            .await
            .map_err(classify)?;
        let row = client
            .query_opt(&statement, &[&location.as_str()])
            .await
            .map_err(classify)?;
        row.map(|row| {
            record::stored(
                location.as_str(),
                row.get::<_, &str>(0),
                row.get::<_, i64>(1),
                row.get::<_, &str>(2),
            )
        })
        .transpose()
    }

    async fn scan_now(&self, scan: &Scan) -> Result<Vec<Stored>, StoreError> {
        let Some((sql, params)) = record::scan_query(scan, |n| format!("${n}")) else {
            return Ok(Vec::new());
        };
        let client = self.pool.get().await.map_err(pool_error)?;
        let statement = client.prepare_cached(&sql).await.map_err(classify)?;
        let params: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| match p {
                Param::Text(s) => s as &(dyn ToSql + Sync),
                Param::Int(i) => i as &(dyn ToSql + Sync),
            })
            .collect();
        let rows = client.query(&statement, &params).await.map_err(classify)?;
        rows.iter()
            .map(|row| {
                record::stored(
                    row.get::<_, &str>(0),
                    row.get::<_, &str>(1),
                    row.get::<_, i64>(2),
                    row.get::<_, &str>(3),
                )
            })
            .collect()
    }

    /// Commits `changeset`, running it again when the database aborted it for a
    /// serialization failure or a deadlock: the transaction reads its preconditions anew
    /// each time, so a retry commits only what still holds. Under many concurrent writers
    /// `SERIALIZABLE` aborts transactions that touch nearby index entries without touching
    /// the same rows (two creates of different locations); those are retried here rather
    /// than reported as conflicts. A precondition that fails is reported at once.
    async fn commit_now(&self, changeset: Changeset) -> Result<(), StoreError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match self.commit_once(&changeset).await {
                Err(e) if attempt < SERIALIZATION_RETRIES && is_serialization_failure(&e) => {
                    // A short, varying pause, so the transactions that collided do not
                    // collide again in step.
                    let jitter = u64::from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.subsec_nanos())
                            % 1000,
                    );
                    let micros = u64::from(attempt) * 500 + jitter * u64::from(attempt);
                    tokio::time::sleep(std::time::Duration::from_micros(micros)).await;
                }
                other => return other,
            }
        }
    }

    async fn commit_once(&self, changeset: &Changeset) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()
            .await
            .map_err(classify)?;
        // Read every location the changeset checks, then run the shared check on them.
        let mut current = std::collections::HashMap::new();
        for change in &changeset.changes {
            let location = match change {
                Change::Put { entity, .. } => entity.location(),
                Change::Delete { location, .. } | Change::Require { location, .. } => {
                    Some(location)
                }
                _ => None,
            };
            if let Some(location) = location
                && !current.contains_key(location)
            {
                let row = tx
                    .query_opt(
                        "SELECT revision FROM entity WHERE location = $1",
                        &[&location.as_str()],
                    )
                    .await
                    .map_err(classify)?;
                current.insert(
                    location.clone(),
                    row.and_then(|r| u64::try_from(r.get::<_, i64>(0)).ok()),
                );
            }
        }
        check_changeset(&changeset.changes, |location| {
            Ok(current.get(location).copied().flatten())
        })?;
        let tenant = record::tenant_column(changeset.tenant.as_ref());
        for change in &changeset.changes {
            apply(&tx, change, tenant).await?;
        }
        tx.commit().await.map_err(classify)
    }

    async fn mixins_now(&self) -> Result<Vec<StoredMixin>, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let rows = client
            .query(
                "SELECT id, origin, tenant, body FROM mixin ORDER BY id",
                &[],
            )
            .await
            .map_err(classify)?;
        rows.iter()
            .map(|row| {
                let id: &str = row.get(0);
                Ok(StoredMixin {
                    mixin: record::mixin_from_body(id, row.get(3))?,
                    origin: record::origin_from_name(row.get(1)),
                    tenant: record::tenant_from_column(row.get(2)),
                })
            })
            .collect()
    }
}

async fn bump_mixin_revision(tx: &tokio_postgres::Transaction<'_>) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE mixin_revision SET last = last + 1 WHERE id = 1",
        &[],
    )
    .await
    .map_err(classify)
    .map(drop)
}

/// Writes one change of a changeset whose preconditions hold.
async fn apply(
    tx: &tokio_postgres::Transaction<'_>,
    change: &Change,
    tenant: &str,
) -> Result<(), StoreError> {
    match change {
        Change::Put { entity, .. } => {
            let row = record::entity_row(entity)?;
            let owner: String = tx
                .query_one(
                    "INSERT INTO entity (location, tenant, kind, id, source, target, revision, body)
                     VALUES ($1, $2, $3, $4, $5, $6, nextval('occi_revision'), $7)
                     ON CONFLICT (location) DO UPDATE SET kind = excluded.kind,
                       id = excluded.id, source = excluded.source, target = excluded.target,
                       revision = excluded.revision, body = excluded.body
                     RETURNING tenant",
                    &[
                        &row.location,
                        &tenant,
                        &row.kind,
                        &row.id,
                        &row.source,
                        &row.target,
                        &row.body,
                    ],
                )
                .await
                .map_err(classify)?
                .get(0);
            tx.execute(
                "DELETE FROM entity_mixin WHERE location = $1",
                &[&row.location],
            )
            .await
            .map_err(classify)?;
            for mixin in &row.mixins {
                tx.execute(
                    "INSERT INTO entity_mixin (mixin, location, tenant) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                    &[mixin, &row.location, &owner],
                )
                .await
                .map_err(classify)?;
            }
        }
        Change::Delete { location, .. } => {
            for sql in [
                "DELETE FROM entity WHERE location = $1",
                "DELETE FROM entity_mixin WHERE location = $1",
            ] {
                tx.execute(sql, &[&location.as_str()])
                    .await
                    .map_err(classify)?;
            }
        }
        Change::PutMixin { mixin, origin } => {
            tx.execute(
                "INSERT INTO mixin (id, origin, tenant, body) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET origin = excluded.origin,
                   tenant = excluded.tenant, body = excluded.body",
                &[
                    &mixin.id.to_string(),
                    &record::origin_name(*origin),
                    &tenant,
                    &record::mixin_body(mixin),
                ],
            )
            .await
            .map_err(classify)?;
            bump_mixin_revision(tx).await?;
        }
        Change::DeleteMixin { id } => {
            tx.execute("DELETE FROM mixin WHERE id = $1", &[&id.to_string()])
                .await
                .map_err(classify)?;
            bump_mixin_revision(tx).await?;
        }
        Change::Require { .. } => {}
    }
    Ok(())
}

impl Store for PostgresStore {
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        let (this, location) = (self.clone(), location.clone());
        async move { this.get_now(&location).await }
    }

    fn scan(&self, scan: &Scan) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send {
        let (this, scan) = (self.clone(), scan.clone());
        async move { this.scan_now(&scan).await }
    }

    fn commit(&self, changeset: Changeset) -> impl Future<Output = Result<(), StoreError>> + Send {
        let this = self.clone();
        async move { this.commit_now(changeset).await }
    }

    fn mixins(&self) -> impl Future<Output = Result<Vec<StoredMixin>, StoreError>> + Send {
        let this = self.clone();
        async move { this.mixins_now().await }
    }

    fn mixins_revision(&self) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send {
        let this = self.clone();
        async move {
            let client = this.pool.get().await.map_err(pool_error)?;
            let statement = client
                .prepare_cached("SELECT last FROM mixin_revision WHERE id = 1")
                .await
                .map_err(classify)?;
            let row = client.query_opt(&statement, &[]).await.map_err(classify)?;
            Ok(row.and_then(|row| u64::try_from(row.get::<_, i64>(0)).ok()))
        }
    }
}
