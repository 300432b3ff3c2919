//! A request whose commit is retried decodes its body once: counted through the deviations
//! lenient parsing reports to `tracing`.
//!
//! In a test binary of its own: the test counts events with a scoped subscriber, and
//! tracing's interest in a callsite is process-wide, so tests on other threads that hit the
//! same callsite with no subscriber could leave it disabled for this one (it failed about
//! one run in twenty beside the other pipeline tests).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use occi_server::occi_model::Location;
use occi_server::{
    Changeset, InMemoryStore, Occi, Scan, Store, StoreError, StoreErrorKind, Stored, StoredMixin,
};

/// A store whose first commit fails as if a concurrent request got there first.
#[derive(Clone, Default)]
struct ConflictOnce {
    inner: InMemoryStore,
    commits: Arc<AtomicUsize>,
}

impl Store for ConflictOnce {
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        self.inner.get(location)
    }

    fn scan(&self, scan: &Scan) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send {
        self.inner.scan(scan)
    }

    fn commit(&self, changeset: Changeset) -> impl Future<Output = Result<(), StoreError>> + Send {
        let first = self.commits.fetch_add(1, Ordering::SeqCst) == 0;
        let inner = self.inner.clone();
        async move {
            if first {
                Err(StoreError::new(
                    StoreErrorKind::Conflict,
                    "changed meanwhile",
                ))
            } else {
                inner.commit(changeset).await
            }
        }
    }

    fn mixins(&self) -> impl Future<Output = Result<Vec<StoredMixin>, StoreError>> + Send {
        self.inner.mixins()
    }
}

/// Counts the deviations lenient parsing reports (each parse of a deviating body reports
/// its deviations once).
struct DeviationCounter(Arc<AtomicUsize>);

impl tracing::Subscriber for DeviationCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}").contains("deviation") {
                    self.0 = true;
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0 && *event.metadata().level() == tracing::Level::INFO {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Creates a compute whose body has a deviation on `server`, and counts the deviations
/// reported meanwhile.
fn deviations_reported<S: Store>(server: &Occi<S, occi_server::NotImplemented>) -> usize {
    let deviations = Arc::new(AtomicUsize::new(0));
    // An unquoted string value: lenient parsing forgives it and reports it (at info level,
    // where an operator sees it by default).
    let request = req("POST", "/compute/")
        .plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=unquoted\n"
        ))
        .build();
    let response = tracing::subscriber::with_default(DeviationCounter(deviations.clone()), || {
        block(server.handle(request))
    });
    assert_eq!(response.status(), 201);
    deviations.load(Ordering::SeqCst)
}

#[test]
fn the_body_is_decoded_once_however_often_the_commit_is_retried() {
    let build = |store| {
        Occi::builder()
            .registry(registry(occi_server::occi_model::OcciVersion::V1_2))
            .store(store)
            .build()
            .unwrap()
    };
    let once = deviations_reported(&build(ConflictOnce {
        commits: Arc::new(AtomicUsize::new(1)),
        ..ConflictOnce::default()
    }));
    assert!(once > 0, "the deviation is reported");
    let store = ConflictOnce::default();
    let retried = deviations_reported(&build(store.clone()));
    assert_eq!(
        store.commits.load(Ordering::SeqCst),
        2,
        "the commit was retried"
    );
    assert_eq!(retried, once, "a retry does not parse the body again");
}
