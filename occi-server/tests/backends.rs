//! Per-Kind backends: when hooks run (once per request, after validation, never for a
//! request that fails validation), what a refusal does, all-or-nothing collection actions,
//! and background lifecycles observed by polling GET.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::*;
use occi_server::occi_model::ext::infrastructure;
use occi_server::occi_model::{
    ActionInvocation, AttributeName, AttributeValue, CategoryId, Entity, OcciVersion,
};
use occi_server::{
    ActionOutcome, Backend, BackendError, BackendErrorKind, Deletion, Event, Expect, Hook,
    InMemoryStore, LifecycleErrorKind, Occi, SimulatedActions,
};

/// Counts every hook call and every settlement, by name.
#[derive(Clone, Default)]
struct Counting {
    calls: Arc<Mutex<BTreeMap<&'static str, usize>>>,
}

impl Counting {
    fn count(&self, name: &'static str) {
        *self.calls.lock().unwrap().entry(name).or_default() += 1;
    }

    fn get(&self, name: &str) -> usize {
        self.calls.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    fn total(&self) -> usize {
        self.calls.lock().unwrap().values().sum()
    }
}

impl Backend for Counting {
    async fn create(&self, _: Hook<'_>, _: &mut Entity) -> Result<(), BackendError> {
        self.count("create");
        Ok(())
    }
    async fn retrieve(&self, _: Hook<'_>, _: &mut Entity) -> Result<(), BackendError> {
        self.count("retrieve");
        Ok(())
    }
    async fn update(&self, _: Hook<'_>, _: &Entity, _: &mut Entity) -> Result<(), BackendError> {
        self.count("update");
        Ok(())
    }
    async fn replace(&self, _: Hook<'_>, _: &Entity, _: &mut Entity) -> Result<(), BackendError> {
        self.count("replace");
        Ok(())
    }
    async fn delete(&self, _: Hook<'_>, _: &Entity) -> Result<Deletion, BackendError> {
        self.count("delete");
        Ok(Deletion::Now)
    }
    async fn action(
        &self,
        _: Hook<'_>,
        _: &Entity,
        _: &ActionInvocation,
    ) -> Result<Option<ActionOutcome>, BackendError> {
        self.count("action");
        Ok(None)
    }
    async fn associate(
        &self,
        _: Hook<'_>,
        _: &CategoryId,
        _: bool,
        _: &mut Entity,
    ) -> Result<(), BackendError> {
        self.count("associate");
        Ok(())
    }
    async fn committed(&self, _: Hook<'_>, _: &Event) {
        self.count("committed");
    }
    async fn aborted(&self, _: Hook<'_>, _: &Event) {
        self.count("aborted");
    }
}

fn server_with(backend: impl occi_server::Backend) -> Server {
    Occi::builder()
        .registry(registry(OcciVersion::V1_2))
        .actions(SimulatedActions)
        .base_url("http://occi.test")
        .unwrap()
        .backend(infrastructure::compute_id(), backend)
        .build()
        .unwrap()
}

/// Runs `request` and asserts that exactly the hooks in `expected` ran, once each.
#[track_caller]
fn hooks_of(s: &Server, counter: &Counting, request: Req, status: u16, expected: &[&str]) {
    let before: BTreeMap<_, _> = counter.calls.lock().unwrap().clone();
    let r = request.send(s);
    assert_eq!(r.status(), status, "{}", r.text());
    let after = counter.calls.lock().unwrap().clone();
    let mut ran: Vec<&str> = after
        .iter()
        .flat_map(|(k, v)| std::iter::repeat_n(*k, v - before.get(k).copied().unwrap_or(0)))
        .collect();
    ran.sort_unstable();
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(ran, expected, "the hooks that ran");
}

#[test]
fn each_hook_runs_once_per_request_after_validation() {
    let counter = Counting::default();
    let s = server_with(counter.clone());
    let create = req("POST", "/compute/").plain(&format!(
        "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"vm\"\n"
    ));
    hooks_of(&s, &counter, create, 201, &["create", "committed"]);
    let vm = snapshot(&s)[0].entity.location().unwrap().to_string();
    hooks_of(&s, &counter, req("GET", &vm), 200, &["retrieve"]);
    hooks_of(
        &s,
        &counter,
        req("POST", &vm).plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"renamed\"\n"
        )),
        200,
        &["update", "committed", "retrieve"],
    );
    hooks_of(
        &s,
        &counter,
        req("PUT", &vm).plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"replaced\"\n"
        )),
        200,
        &["replace", "committed", "retrieve"],
    );
    hooks_of(
        &s,
        &counter,
        req("POST", &format!("{vm}?action=start")).plain(&format!("{START}\n")),
        200,
        &["action", "committed", "retrieve"],
    );
    req("POST", "/-/")
        .plain(
            r#"Category: tag; scheme="http://example.com/tags#"; class="mixin"; location="/tag/""#,
        )
        .send(&s)
        .expect(200, &[]);
    hooks_of(
        &s,
        &counter,
        req("POST", "/tag/").header("x-occi-location", &format!("http://occi.test{vm}")),
        200,
        &["associate", "committed"],
    );
    // Requests that fail validation reach no hook.
    let total = counter.total();
    for (request, status) in [
        (
            req("POST", "/compute/").plain(&format!(
                "{COMPUTE}\nX-OCCI-Attribute: occi.compute.cores=\"two\"\n"
            )),
            400,
        ),
        (
            req("POST", &vm).plain(&format!(
                "{COMPUTE}\nX-OCCI-Attribute: occi.compute.state=\"inactive\"\n"
            )),
            400,
        ),
        (
            req("POST", &format!("{vm}?action=start")).plain(&format!("{START}\n")),
            409,
        ),
        (req("POST", "/compute/").plain("Category: nonsense"), 400),
        (req("DELETE", "/compute/missing"), 404),
    ] {
        let before = snapshot(&s);
        let r = request.send(&s);
        assert_eq!(r.status(), status, "{}", r.text());
        assert_eq!(snapshot(&s), before);
    }
    assert_eq!(counter.total(), total, "no hook ran for an invalid request");
    hooks_of(
        &s,
        &counter,
        req("DELETE", &vm),
        200,
        &["delete", "committed"],
    );
    assert!(snapshot(&s).is_empty());
}

/// Refuses to create what it is told to, and sets a server-owned attribute otherwise.
struct Provisioner;

impl Backend for Provisioner {
    async fn create(&self, _: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        if entity.title() == Some("forbidden") {
            return Err(BackendError::new(
                BackendErrorKind::Forbidden,
                "this tenant may not run more machines",
            ));
        }
        entity.attributes_mut().insert(
            "occi.compute.hostname".parse().unwrap(),
            AttributeValue::String("vm-made-by-backend".into()),
        );
        Ok(())
    }

    async fn retrieve(&self, _: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        entity.attributes_mut().insert(
            "example.observed".parse().unwrap(),
            AttributeValue::String("live".into()),
        );
        Ok(())
    }
}

#[test]
fn a_hook_refuses_with_its_status_or_sets_server_owned_attributes() {
    let s = server_with(Provisioner);
    fails_unchanged(
        &s,
        req("POST", "/compute/").plain(&format!(
            "{COMPUTE}\nX-OCCI-Attribute: occi.core.title=\"forbidden\"\n"
        )),
        403,
        &["this tenant may not run more machines"],
    );
    let vm = create_compute(&s, "allowed");
    // The hook's attribute is stored; the retrieve hook's refresh is shown, not stored.
    req("GET", &vm).send(&s).expect(
        200,
        &[
            "occi.compute.hostname=\"vm-made-by-backend\"",
            "example.observed=\"live\"",
        ],
    );
    let stored = &snapshot(&s)[0].entity;
    assert!(stored.attribute_value("occi.compute.hostname").is_some());
    assert!(stored.attribute_value("example.observed").is_none());
}

/// Fails the action on the second member it is called for, and records settlements.
#[derive(Clone, Default)]
struct FailsOnSecond(Counting);

impl Backend for FailsOnSecond {
    async fn action(
        &self,
        _: Hook<'_>,
        _: &Entity,
        _: &ActionInvocation,
    ) -> Result<Option<ActionOutcome>, BackendError> {
        if self.0.get("action") == 1 {
            return Err(BackendError::new(
                BackendErrorKind::Unavailable,
                "the hypervisor of the second machine is down",
            ));
        }
        self.0.count("action");
        Ok(None)
    }
    async fn committed(&self, _: Hook<'_>, _: &Event) {
        self.0.count("committed");
    }
    async fn aborted(&self, _: Hook<'_>, _: &Event) {
        self.0.count("aborted");
    }
}

#[test]
fn a_backend_failing_mid_collection_action_leaves_nothing_changed() {
    let backend = FailsOnSecond::default();
    let s = server_with(backend.clone());
    for title in ["first", "second", "third"] {
        create_compute(&s, title);
    }
    assert_eq!(backend.0.get("committed"), 3, "each create was committed");
    let r = fails_unchanged(
        &s,
        req("POST", "/compute/?action=start").plain(&format!("{START}\n")),
        503,
        &[
            "hypervisor of the second machine is down",
            "applied to no member",
        ],
    );
    assert_eq!(r.status(), 503);
    // Every member prepared before the failure was told its change was not stored.
    assert_eq!(backend.0.get("action"), 1);
    assert_eq!(backend.0.get("aborted"), 1);
    assert_eq!(
        backend.0.get("committed"),
        3,
        "nothing of the action was committed"
    );
}

/// Starts a deployment in the background once a create is stored, and deletes later.
struct Deployer {
    /// Released by the test, one step at a time.
    steps: Arc<tokio::sync::Semaphore>,
}

fn state() -> AttributeName {
    "mcn.service.state".parse().unwrap()
}

impl Backend for Deployer {
    async fn create(&self, _: Hook<'_>, entity: &mut Entity) -> Result<(), BackendError> {
        entity
            .attributes_mut()
            .insert(state(), AttributeValue::String("initialise".into()));
        Ok(())
    }

    async fn delete(&self, _: Hook<'_>, _: &Entity) -> Result<Deletion, BackendError> {
        Ok(Deletion::Later)
    }

    async fn committed(&self, hook: Hook<'_>, event: &Event) {
        let lifecycle = hook.lifecycle().clone();
        let location = event.entity().location().cloned().unwrap();
        let steps = Arc::clone(&self.steps);
        match event {
            Event::Created(_) => {
                tokio::spawn(async move {
                    for next in ["activate", "deploy", "provision"] {
                        steps.acquire().await.unwrap().forget();
                        lifecycle
                            .set_attribute(&location, Expect::Any, state(), next.into())
                            .await
                            .unwrap();
                    }
                });
            }
            Event::DeletionAccepted(_) => {
                tokio::spawn(async move {
                    steps.acquire().await.unwrap().forget();
                    lifecycle.delete(&location, Expect::Any).await.unwrap();
                });
            }
            _ => {}
        }
    }
}

async fn send(s: &Server, request: Req) -> Resp {
    Resp(s.handle(request.build()).await)
}

/// Polls GET until the entity shows `needle` (or is gone, for `None`); bounded in count.
async fn poll_until(s: &Server, path: &str, needle: Option<&str>) {
    for _ in 0..10_000 {
        let r = send(s, req("GET", path)).await;
        let done = match needle {
            Some(n) => r.status() == 200 && r.text().contains(n),
            None => r.status() == 404,
        };
        if done {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("{path} never showed {needle:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_lifecycle_is_observed_by_polling() {
    let steps = Arc::new(tokio::sync::Semaphore::new(0));
    let s = server_with(Deployer {
        steps: Arc::clone(&steps),
    });
    let r = send(&s, req("POST", "/compute/").plain(&format!("{COMPUTE}\n"))).await;
    assert_eq!(r.status(), 201, "{}", r.text());
    let vm = r.location();
    poll_until(&s, &vm, Some("mcn.service.state=\"initialise\"")).await;
    for next in ["activate", "deploy", "provision"] {
        steps.add_permits(1);
        poll_until(&s, &vm, Some(&format!("mcn.service.state=\"{next}\""))).await;
    }
    // A deletion the backend finishes later: 202, still there, then gone.
    let r = send(&s, req("DELETE", &vm)).await;
    assert_eq!(r.status(), 202, "{}", r.text());
    assert_eq!(send(&s, req("GET", &vm)).await.status(), 200);
    steps.add_permits(1);
    poll_until(&s, &vm, None).await;
}

#[test]
fn a_lifecycle_change_honours_revision_preconditions() {
    let s = server_with(occi_server::StoreOnly);
    let vm = create_compute(&s, "vm");
    let location = occi_server::occi_model::Location::new(&vm).unwrap();
    let lifecycle = s.lifecycle();
    let stored = block(lifecycle.get(&location)).unwrap().unwrap();
    let changed = block(lifecycle.set_attribute(
        &location,
        Expect::Revision(stored.revision),
        state(),
        "activate".into(),
    ))
    .unwrap();
    assert!(changed.revision > stored.revision);
    // The old revision no longer holds: nothing changes.
    let err = block(lifecycle.set_attribute(
        &location,
        Expect::Revision(stored.revision),
        state(),
        "deploy".into(),
    ))
    .unwrap_err();
    assert_eq!(err.kind(), LifecycleErrorKind::PreconditionFailed);
    req("GET", &vm)
        .send(&s)
        .expect(200, &["mcn.service.state=\"activate\""]);
    // A change may not move the entity or change its Kind.
    let err = block(lifecycle.change(&location, Expect::Any, |e| {
        if let Entity::Resource(r) = e {
            r.kind = infrastructure::storage_id();
        }
    }))
    .unwrap_err();
    assert_eq!(err.kind(), LifecycleErrorKind::Invalid);
    // The handle does not keep the server alive.
    drop(s);
    let err = block(lifecycle.get(&location)).unwrap_err();
    assert_eq!(err.kind(), LifecycleErrorKind::ServerGone);
}

#[test]
fn an_in_memory_store_server_builds_with_backends_of_any_type() {
    let s: Occi<InMemoryStore, SimulatedActions> = Occi::builder()
        .actions(SimulatedActions)
        .default_backend(Counting::default())
        .backend(infrastructure::storage_id(), Provisioner)
        .build()
        .unwrap();
    req("GET", "/-/").send(&s).expect(200, &[]);
}
