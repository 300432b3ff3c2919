//! The store test kit run on every store that needs no external service: the in-memory
//! store and SQLite. (PostgreSQL runs it in `store_postgres.rs`.)

use occi_server::InMemoryStore;
use occi_server::store::testkit::{Kit, sqlite_factory};

#[test]
fn the_in_memory_store_keeps_the_store_contract() {
    Kit::new(|| async { InMemoryStore::new() }).run();
}

#[test]
fn the_sqlite_store_keeps_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    Kit::new(sqlite_factory(dir.path())).cases(24).run();
}
