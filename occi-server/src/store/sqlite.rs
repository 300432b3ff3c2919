//! [`SqliteStore`]: a durable store in one SQLite database file (feature `sqlite`).
//!
//! # Durability
//!
//! The database runs in WAL mode with `synchronous = FULL`: a commit returns only after its
//! write-ahead log frames are on disk (`fsync`), so an acknowledged write survives a crash
//! of the process and of the machine. A crash mid-commit leaves the previous state; SQLite
//! recovers the log when the database is next opened, without manual repair.
//!
//! # Concurrency
//!
//! One writer thread applies changesets (SQLite admits one writer at a time; `BEGIN
//! IMMEDIATE` takes the write lock before the preconditions are read, so the check and the
//! writes are one atomic step); a few reader threads answer `get` and `scan` from WAL
//! snapshots, in parallel with the writer. The futures wait on those threads, so they need no
//! particular async runtime.
//!
//! # Schema
//!
//! Versioned with `PRAGMA user_version`; opening a database of an older version migrates it
//! in one transaction, and a newer version than this build knows is refused. Entities and
//! Mixins are kept as their OCCI 1.2 JSON renderings beside indexed columns, so the file can
//! be inspected with the `sqlite3` shell:
//!
//! ```text
//! sqlite3 data/occi.sqlite3 'SELECT location, tenant, revision FROM entity LIMIT 10'
//! ```
//!
//! # Faults
//!
//! A full disk, a read-only file or directory, or an I/O error is
//! [`StoreErrorKind::Unavailable`] (the server answers 503) and changes nothing; the store
//! works again as soon as the cause is gone (a commit that finds the database unavailable
//! opens it again and tries once more). A database on a read-only file system opens when
//! its schema is up to date and serves reads, all on one connection, which becomes
//! writable when the file system does.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use occi_model::Location;
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use super::record::{self, Param};
use super::{
    Change, Changeset, Scan, Store, StoreError, StoreErrorKind, Stored, StoredMixin,
    check_changeset,
};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 2;

/// The statements that take a database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1
    "CREATE TABLE entity (
        location TEXT PRIMARY KEY NOT NULL,
        tenant TEXT NOT NULL,
        kind TEXT NOT NULL,
        id TEXT,
        source TEXT,
        target TEXT,
        revision INTEGER NOT NULL,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX entity_by_tenant ON entity (tenant, location);
    CREATE INDEX entity_by_kind ON entity (kind, location);
    CREATE INDEX entity_by_tenant_kind ON entity (tenant, kind, location);
    CREATE INDEX entity_by_id ON entity (id, location) WHERE id IS NOT NULL;
    CREATE INDEX entity_by_source ON entity (source, location) WHERE source IS NOT NULL;
    CREATE INDEX entity_by_target ON entity (target, location) WHERE target IS NOT NULL;
    CREATE TABLE entity_mixin (
        mixin TEXT NOT NULL,
        location TEXT NOT NULL,
        tenant TEXT NOT NULL,
        PRIMARY KEY (mixin, location)
    ) WITHOUT ROWID;
    CREATE INDEX entity_mixin_by_tenant ON entity_mixin (tenant, mixin, location);
    CREATE INDEX entity_mixin_by_location ON entity_mixin (location);
    CREATE TABLE mixin (
        id TEXT PRIMARY KEY NOT NULL,
        origin TEXT NOT NULL,
        tenant TEXT NOT NULL,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE revision (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        last INTEGER NOT NULL
    );
    INSERT INTO revision (only, last) VALUES (1, 0);",
    // 1 -> 2: a counter of Mixin changes, read by every replica to keep its registry fresh.
    "CREATE TABLE mixin_revision (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        last INTEGER NOT NULL
    );
    INSERT INTO mixin_revision (only, last) VALUES (1, 0);",
];

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// How many reader threads (and connections) a store opens.
const READERS: usize = 4;

#[derive(Debug)]
struct Workers {
    writer: mpsc::Sender<Job>,
    readers: mpsc::Sender<Job>,
    path: PathBuf,
}

/// A durable store in one SQLite database file. Cloning gives another handle to the same
/// database; the worker threads stop when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    workers: Arc<Workers>,
}

fn unavailable_or_backend(error: rusqlite::Error) -> StoreError {
    let kind = match &error {
        rusqlite::Error::SqliteFailure(e, _) => match e.code {
            ErrorCode::DiskFull
            | ErrorCode::ReadOnly
            | ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::OutOfMemory
            | ErrorCode::PermissionDenied => StoreErrorKind::Unavailable,
            _ => StoreErrorKind::Backend,
        },
        _ => StoreErrorKind::Backend,
    };
    let message = match kind {
        StoreErrorKind::Unavailable => format!("the SQLite database cannot be written: {error}"),
        _ => format!("SQLite: {error}"),
    };
    StoreError::with_source(kind, message, error)
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(unavailable_or_backend)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(unavailable_or_backend)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(unavailable_or_backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::new(
            StoreErrorKind::Backend,
            format!(
                "{} cannot use WAL mode (journal mode {mode})",
                path.display()
            ),
        ));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(unavailable_or_backend)?;
    Ok(conn)
}

/// Whether `conn` is the in-memory stand-in [`reopen`] leaves when the file cannot be opened.
fn is_stand_in(conn: &Connection) -> bool {
    conn.path().is_none_or(str::is_empty)
}

/// Closes `conn` and opens the database at `path` again. The old connection is closed
/// first: SQLite shares a file's shared-memory index among the connections of a process, and
/// a new connection beside one opened on a read-only file would be read-only too. When the
/// file cannot be opened, `conn` is left an in-memory stand-in that serves nothing (every
/// job reopens it first).
fn reopen(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let stand_in = Connection::open_in_memory().map_err(unavailable_or_backend)?;
    drop(std::mem::replace(conn, stand_in));
    *conn = connect(path)?;
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`], in one transaction. A database that is up to
/// date is not written, so one on a read-only file system opens (and serves reads).
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unavailable_or_backend)?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable_or_backend)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unavailable_or_backend)?;
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
        tx.execute_batch(step).map_err(unavailable_or_backend)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(unavailable_or_backend)?;
    tx.commit().map_err(unavailable_or_backend)
}

fn spawn(name: &str, mut conn: Connection, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            loop {
                let job = match jobs.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(&mut conn),
                    Err(_) => return,
                }
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start an SQLite worker thread");
    }
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`, migrating an older schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = connect(&path)?;
        migrate(&mut conn)?;
        let read_only = conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false);
        let (writer, writer_jobs) = mpsc::channel::<Job>();
        spawn(
            "occi-sqlite-writer",
            conn,
            Arc::new(Mutex::new(writer_jobs)),
        );
        if read_only {
            // On a read-only file every job runs on the one connection, so that it alone
            // holds the file and can reopen it writable once the file is writable again.
            tracing::warn!(
                path = %path.display(),
                "the SQLite database is read-only: reads are served, writes answer 503 until it is writable"
            );
            return Ok(Self {
                workers: Arc::new(Workers {
                    readers: writer.clone(),
                    writer,
                    path,
                }),
            });
        }
        let (readers, reader_jobs) = mpsc::channel::<Job>();
        let reader_jobs = Arc::new(Mutex::new(reader_jobs));
        for i in 0..READERS {
            let conn = connect(&path)?;
            spawn(
                &format!("occi-sqlite-reader-{i}"),
                conn,
                Arc::clone(&reader_jobs),
            );
        }
        Ok(Self {
            workers: Arc::new(Workers {
                writer,
                readers,
                path,
            }),
        })
    }

    /// Opens the store `occi.sqlite3` in the directory `dir`, creating the directory.
    pub fn open_dir(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::with_source(
                StoreErrorKind::Unavailable,
                format!("cannot create the data directory {}: {e}", dir.display()),
                e,
            )
        })?;
        Self::open(dir.join("occi.sqlite3"))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.workers.path
    }

    fn run<T: Send + 'static>(
        &self,
        write: bool,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> impl Future<Output = Result<T, StoreError>> + Send + 'static {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let path = self.workers.path.clone();
        let job: Job = Box::new(move |conn| {
            if is_stand_in(conn)
                && let Err(e) = reopen(conn, &path)
            {
                let _ = tx.send(Err(e));
                return;
            }
            let _ = tx.send(f(conn));
        });
        let queue = if write {
            &self.workers.writer
        } else {
            &self.workers.readers
        };
        let sent = queue.send(job);
        async move {
            sent.map_err(|_| {
                StoreError::new(StoreErrorKind::Backend, "the SQLite worker threads stopped")
            })?;
            rx.await.map_err(|_| {
                StoreError::new(StoreErrorKind::Backend, "an SQLite worker thread stopped")
            })?
        }
    }
}

fn to_sql(param: &Param) -> rusqlite::types::Value {
    match param {
        Param::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Param::Int(i) => rusqlite::types::Value::Integer(*i),
    }
}

fn get_now(conn: &Connection, location: &str) -> Result<Option<Stored>, StoreError> {
    let row: Option<(String, i64, String)> = conn
        .prepare_cached("SELECT tenant, revision, body FROM entity WHERE location = ?1")
        .and_then(|mut st| {
            st.query_row([location], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(unavailable_or_backend)?;
    row.map(|(tenant, revision, body)| record::stored(location, &tenant, revision, &body))
        .transpose()
}

fn scan_now(conn: &Connection, scan: &Scan) -> Result<Vec<Stored>, StoreError> {
    let Some((sql, params)) = record::scan_query(scan, |n| format!("?{n}")) else {
        return Ok(Vec::new());
    };
    let params: Vec<rusqlite::types::Value> = params.iter().map(to_sql).collect();
    let mut statement = conn.prepare_cached(&sql).map_err(unavailable_or_backend)?;
    let rows = statement
        .query_map(rusqlite::params_from_iter(params), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(unavailable_or_backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (location, tenant, revision, body) = row.map_err(unavailable_or_backend)?;
        out.push(record::stored(&location, &tenant, revision, &body)?);
    }
    Ok(out)
}

fn commit_now(conn: &mut Connection, changeset: &Changeset) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable_or_backend)?;
    check_changeset(&changeset.changes, |location: &Location| {
        tx.prepare_cached("SELECT revision FROM entity WHERE location = ?1")
            .and_then(|mut st| {
                st.query_row([location.as_str()], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map(|r| r.and_then(|r| u64::try_from(r).ok()))
            .map_err(unavailable_or_backend)
    })?;
    let tenant = record::tenant_column(changeset.tenant.as_ref());
    for change in &changeset.changes {
        match change {
            Change::Put { entity, .. } => {
                let row = record::entity_row(entity)?;
                let revision: i64 = tx
                    .query_row(
                        "UPDATE revision SET last = last + 1 WHERE only = 1 RETURNING last",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(unavailable_or_backend)?;
                let owner: String = tx
                    .prepare_cached(
                        "INSERT INTO entity (location, tenant, kind, id, source, target, revision, body)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (location) DO UPDATE SET kind = excluded.kind,
                           id = excluded.id, source = excluded.source, target = excluded.target,
                           revision = excluded.revision, body = excluded.body
                         RETURNING tenant",
                    )
                    .and_then(|mut st| {
                        st.query_row(
                            params![
                                row.location,
                                tenant,
                                row.kind,
                                row.id,
                                row.source,
                                row.target,
                                revision,
                                row.body
                            ],
                            |r| r.get(0),
                        )
                    })
                    .map_err(unavailable_or_backend)?;
                tx.prepare_cached("DELETE FROM entity_mixin WHERE location = ?1")
                    .and_then(|mut st| st.execute([&row.location]))
                    .map_err(unavailable_or_backend)?;
                for mixin in &row.mixins {
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO entity_mixin (mixin, location, tenant) VALUES (?1, ?2, ?3)",
                    )
                    .and_then(|mut st| st.execute(params![mixin, row.location, owner]))
                    .map_err(unavailable_or_backend)?;
                }
            }
            Change::Delete { location, .. } => {
                for sql in [
                    "DELETE FROM entity WHERE location = ?1",
                    "DELETE FROM entity_mixin WHERE location = ?1",
                ] {
                    tx.prepare_cached(sql)
                        .and_then(|mut st| st.execute([location.as_str()]))
                        .map_err(unavailable_or_backend)?;
                }
            }
            Change::PutMixin { mixin, origin } => {
                tx.prepare_cached(
                    "INSERT INTO mixin (id, origin, tenant, body) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET origin = excluded.origin,
                       tenant = excluded.tenant, body = excluded.body",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        mixin.id.to_string(),
                        record::origin_name(*origin),
                        tenant,
                        record::mixin_body(mixin)
                    ])
                })
                .map_err(unavailable_or_backend)?;
                bump_mixin_revision(&tx)?;
            }
            Change::DeleteMixin { id } => {
                tx.prepare_cached("DELETE FROM mixin WHERE id = ?1")
                    .and_then(|mut st| st.execute([id.to_string()]))
                    .map_err(unavailable_or_backend)?;
                bump_mixin_revision(&tx)?;
            }
            Change::Require { .. } => {}
        }
    }
    tx.commit().map_err(unavailable_or_backend)
}

fn bump_mixin_revision(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE mixin_revision SET last = last + 1 WHERE only = 1")
        .and_then(|mut st| st.execute([]))
        .map_err(unavailable_or_backend)
        .map(drop)
}

fn mixins_revision_now(conn: &Connection) -> Result<Option<u64>, StoreError> {
    conn.prepare_cached("SELECT last FROM mixin_revision WHERE only = 1")
        .and_then(|mut st| st.query_row([], |r| r.get::<_, i64>(0)))
        .map(|last| u64::try_from(last).ok())
        .map_err(unavailable_or_backend)
}

fn mixins_now(conn: &Connection) -> Result<Vec<StoredMixin>, StoreError> {
    let mut statement = conn
        .prepare_cached("SELECT id, origin, tenant, body FROM mixin ORDER BY id")
        .map_err(unavailable_or_backend)?;
    let rows = statement
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(unavailable_or_backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, origin, tenant, body) = row.map_err(unavailable_or_backend)?;
        out.push(StoredMixin {
            mixin: record::mixin_from_body(&id, &body)?,
            origin: record::origin_from_name(&origin),
            tenant: record::tenant_from_column(&tenant),
        });
    }
    Ok(out)
}

impl Store for SqliteStore {
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        let location = location.clone();
        self.run(false, move |conn| get_now(conn, location.as_str()))
    }

    fn scan(&self, scan: &Scan) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send {
        let scan = scan.clone();
        self.run(false, move |conn| scan_now(conn, &scan))
    }

    fn commit(&self, changeset: Changeset) -> impl Future<Output = Result<(), StoreError>> + Send {
        let path = self.workers.path.clone();
        self.run(true, move |conn| {
            match commit_now(conn, &changeset) {
                // The file may have become writable again (a read-only mount remounted, space
                // freed) where this connection cannot tell: open a new one and try once more.
                Err(e) if e.kind() == StoreErrorKind::Unavailable => match reopen(conn, &path) {
                    Ok(()) => commit_now(conn, &changeset),
                    Err(_) => Err(e),
                },
                other => other,
            }
        })
    }

    fn mixins(&self) -> impl Future<Output = Result<Vec<StoredMixin>, StoreError>> + Send {
        self.run(false, |conn| mixins_now(conn))
    }

    fn mixins_revision(&self) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send {
        self.run(false, |conn| mixins_revision_now(conn))
    }
}
