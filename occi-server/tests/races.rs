//! Interleavings forced through a store that runs another request at a chosen moment:
//! what a concurrent request does between a request's reads and its commit.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use occi_server::occi_model::Location;
use occi_server::{
    Changeset, InMemoryStore, Occi, Scan, Scope, SimulatedActions, Store, StoreError, Stored,
    StoredMixin,
};

type Hook = Box<dyn FnOnce() + Send>;

/// An `InMemoryStore` that runs a hook right after the first scan of a chosen scope has
/// been read (so the scanning request works from what it read before the hook).
#[derive(Clone)]
struct HookStore {
    inner: InMemoryStore,
    trigger: Scope,
    hook: Arc<Mutex<Option<Hook>>>,
}

impl Store for HookStore {
    fn get(
        &self,
        location: &Location,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send {
        self.inner.get(location)
    }

    fn scan(&self, scan: &Scan) -> impl Future<Output = Result<Vec<Stored>, StoreError>> + Send {
        let (this, scan) = (self.clone(), scan.clone());
        async move {
            let read = this.inner.scan(&scan).await;
            if scan.scope == this.trigger
                && let Some(hook) = this.hook.lock().unwrap().take()
            {
                hook();
            }
            read
        }
    }

    fn commit(&self, changeset: Changeset) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.commit(changeset)
    }

    fn mixins(&self) -> impl Future<Output = Result<Vec<StoredMixin>, StoreError>> + Send {
        self.inner.mixins()
    }
}

fn link_body(source: &str, target: &str) -> String {
    format!(
        "Category: storagelink; scheme=\"http://schemas.ogf.org/occi/infrastructure#\"; class=\"kind\"\nX-OCCI-Attribute: occi.core.source=\"{source}\"\nX-OCCI-Attribute: occi.core.target=\"{target}\"\nX-OCCI-Attribute: occi.storagelink.deviceid=\"vdb\"\n"
    )
}

/// A link created to a resource while that resource is being deleted: either the link
/// creation fails or the delete takes the link with it; the link never dangles.
#[test]
fn a_link_created_during_a_delete_of_its_target_does_not_dangle() {
    let memory = InMemoryStore::new();
    let other = server_over(memory.clone());
    let c = create_compute(&other, "c");
    let st = create_of(
        &other,
        "/storage/",
        &format!("{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.0"),
    );
    let hook_server = other.clone();
    let (c2, st2) = (c.clone(), st.clone());
    let created = Arc::new(Mutex::new(None));
    let created2 = Arc::clone(&created);
    let store = HookStore {
        inner: memory.clone(),
        trigger: Scope::LinksTo(Location::new(&st).unwrap()),
        hook: Arc::new(Mutex::new(Some(Box::new(move || {
            let r = req("POST", "/storagelink/")
                .plain(&link_body(&c2, &st2))
                .send(&hook_server);
            *created2.lock().unwrap() = Some(r.status());
        })))),
    };
    let deleting = Occi::builder()
        .registry(registry(occi_server::occi_model::OcciVersion::V1_2))
        .actions(SimulatedActions)
        .store(store)
        .build()
        .unwrap();
    let r = block(
        deleting.handle(
            http::Request::delete(st.as_str())
                .body(bytes::Bytes::new())
                .unwrap(),
        ),
    );
    let link_status = created.lock().unwrap().expect("the hook ran");
    assert_eq!(link_status, 201, "the concurrent link was created");
    let stored = block(memory.scan(&Scan::new(Scope::All))).unwrap();
    let st_present = stored
        .iter()
        .any(|s| s.entity.location().is_some_and(|l| l.as_str() == st));
    let links_to_st =
        block(memory.scan(&Scan::new(Scope::LinksTo(Location::new(&st).unwrap())))).unwrap();
    assert!(
        st_present || links_to_st.is_empty(),
        "the delete answered {} and left {} link(s) to the deleted {st}",
        r.status(),
        links_to_st.len()
    );
    // The delete noticed the new link, retried, and took it along.
    assert_eq!(r.status(), 200);
    assert!(!st_present);
}

fn server_over(store: InMemoryStore) -> Occi<InMemoryStore, SimulatedActions> {
    Occi::builder()
        .registry(registry(occi_server::occi_model::OcciVersion::V1_2))
        .actions(SimulatedActions)
        .store(store)
        .base_url("http://occi.test")
        .unwrap()
        .build()
        .unwrap()
}
