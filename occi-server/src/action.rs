//! What actions do: the [`ActionHandler`] trait, the default [`NotImplemented`], and
//! [`SimulatedActions`], which moves entities through their Kind's state machine.
//!
//! The server validates an invocation (the action is defined for the entity, applicable in its
//! current state, its parameters well-typed) before it calls a handler, and commits what the
//! handler returns atomically with a precondition on the entity's revision. For an action on
//! a collection the server calls the handler for every member first and commits only if every
//! call succeeded, so a handler must not make changes a failed commit could not undo: it
//! describes the new state, the server stores it.

use std::future::Future;

use occi_model::ext::infrastructure;
use occi_model::{ActionInvocation, Category, CategoryId, Entity, Location, Mixin, Registry, Term};

/// What an action did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActionOutcome {
    /// The entity after the action, to be stored; `None` leaves it as it is.
    pub entity: Option<Entity>,
    /// A category the action created and the response carries (I12 §3.1 `save` answers with
    /// the new OS template Mixin); the server registers it as a provider Mixin.
    pub category: Option<Category>,
}

impl ActionOutcome {
    /// The entity changed to `entity`.
    pub fn updated(entity: Entity) -> Self {
        Self {
            entity: Some(entity),
            category: None,
        }
    }

    /// Nothing changed.
    pub fn unchanged() -> Self {
        Self {
            entity: None,
            category: None,
        }
    }

    /// Adds a created category to the outcome.
    #[must_use]
    pub fn with_category(mut self, category: Category) -> Self {
        self.category = Some(category);
        self
    }
}

/// Why an action failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActionErrorKind {
    /// The server does not implement this action (501).
    NotImplemented,
    /// The action cannot be performed in the entity's current state (409).
    Conflict,
    /// The invocation is not acceptable (400).
    BadRequest,
    /// The backend failed (500).
    Failed,
}

/// An error from an [`ActionHandler`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionError {
    kind: ActionErrorKind,
    message: String,
}

impl ActionError {
    /// An error of `kind` with a message for the client.
    pub fn new(kind: ActionErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Why it failed.
    pub fn kind(&self) -> ActionErrorKind {
        self.kind
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ActionError {}

/// Performs actions.
pub trait ActionHandler: Send + Sync + 'static {
    /// Performs `invocation` on `entity` (already validated against `registry`) and says what
    /// changed.
    fn invoke(
        &self,
        registry: &Registry,
        entity: &Entity,
        invocation: &ActionInvocation,
    ) -> impl Future<Output = Result<ActionOutcome, ActionError>> + Send;
}

/// The default handler: every action answers "not implemented" (501).
#[derive(Debug, Clone, Copy, Default)]
pub struct NotImplemented;

impl ActionHandler for NotImplemented {
    fn invoke(
        &self,
        _registry: &Registry,
        _entity: &Entity,
        invocation: &ActionInvocation,
    ) -> impl Future<Output = Result<ActionOutcome, ActionError>> + Send {
        std::future::ready(Err(ActionError::new(
            ActionErrorKind::NotImplemented,
            format!(
                "action {} is not implemented by this server",
                invocation.action
            ),
        )))
    }
}

/// Simulated behaviour for a server with no cloud behind it: an action moves the entity along
/// its Kind's state machine (start takes an inactive compute to active, and so on). An action
/// that no state machine constrains leaves the state as it is. On top of the state, the
/// infrastructure actions with an effect simulate it: compute `save` (OCCI 1.2) answers with
/// a new OS template Mixin depending on `os_tpl`, and storage `resize` (OCCI 1.1) sets
/// `occi.storage.size`; the transient 1.1 storage states complete at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimulatedActions;

/// The scheme of the OS templates [`SimulatedActions`] creates for `save`.
pub const SAVED_TEMPLATE_SCHEME: &str = "http://schemas.occi-rs.example/templates/saved#";

impl SimulatedActions {
    fn perform(
        registry: &Registry,
        entity: &Entity,
        invocation: &ActionInvocation,
    ) -> Result<ActionOutcome, ActionError> {
        let mut updated: Option<Entity> = None;
        if let Some(machine) = registry.state_machine(entity.kind()) {
            let current = entity
                .attribute_value(machine.attribute.as_str())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| machine.initial.clone());
            let Some(mut next) = machine.next_state(&current, &invocation.action) else {
                return Err(ActionError::new(
                    ActionErrorKind::Conflict,
                    format!(
                        "action {} does not apply while {} is {current:?}",
                        invocation.action, machine.attribute
                    ),
                ));
            };
            // OCCI 1.1 storage: backup, snapshot and resize lead to a state of the same name,
            // left by the server's own `complete` edge (I11 §3.3); the simulation completes
            // at once.
            if registry.is_a(entity.kind(), &infrastructure::storage_id())
                && matches!(next, "backup" | "snapshot" | "resize")
            {
                next = "online";
            }
            if next != current {
                let mut e = entity.clone();
                e.attributes_mut()
                    .insert(machine.attribute.clone(), next.into());
                updated = Some(e);
            }
        }
        // OCCI 1.1 storage resize: the new size (I11 §3.3).
        if invocation.action == infrastructure::storage_resize_id()
            && let Some(size) = invocation.attributes.get("size")
        {
            let mut e = updated.unwrap_or_else(|| entity.clone());
            e.attributes_mut().insert(
                infrastructure::attr::STORAGE_SIZE
                    .parse()
                    .expect("a valid attribute name"),
                size.clone(),
            );
            updated = Some(e);
        }
        let mut outcome = match updated {
            Some(e) => ActionOutcome::updated(e),
            None => ActionOutcome::unchanged(),
        };
        // OCCI 1.2 compute save: a new OS template (I12 §3.1).
        if invocation.action == infrastructure::compute_save_id()
            && registry.mixin(&infrastructure::os_tpl_id()).is_some()
        {
            outcome = outcome.with_category(Category::Mixin(saved_template(
                registry, entity, invocation,
            )?));
        }
        Ok(outcome)
    }
}

/// The OS template `save` creates: named after the `name` parameter when it is a free,
/// valid term (the provider MAY override the name, I12 §3.1), else `saved-<uuid>`;
/// depending on `os_tpl`, served at `/os_tpl/saved/<term>/`.
fn saved_template(
    registry: &Registry,
    entity: &Entity,
    invocation: &ActionInvocation,
) -> Result<Mixin, ActionError> {
    let free = |term: &str| {
        let id = CategoryId::from_parts(SAVED_TEMPLATE_SCHEME, term).ok()?;
        let location = Location::new(&format!("/os_tpl/saved/{term}/")).ok()?;
        (registry.get(&id).is_none() && registry.by_location(location.as_str()).is_none())
            .then_some((id, location))
    };
    let requested = invocation
        .attributes
        .get("name")
        .and_then(|v| v.as_str())
        .filter(|name| Term::parse(name, registry.version()).is_ok())
        .and_then(&free);
    let (id, location) = match requested {
        Some(found) => found,
        None => free(&format!("saved-{}", uuid::Uuid::new_v4())).ok_or_else(|| {
            ActionError::new(ActionErrorKind::Failed, "cannot name the saved template")
        })?,
    };
    let origin = entity
        .location()
        .map_or_else(|| entity.kind().to_string(), ToString::to_string);
    Ok(Mixin::new(id)
        .with_title(format!("OS template saved from {origin}"))
        .with_depends(infrastructure::os_tpl_id())
        .with_location(location))
}

impl ActionHandler for SimulatedActions {
    fn invoke(
        &self,
        registry: &Registry,
        entity: &Entity,
        invocation: &ActionInvocation,
    ) -> impl Future<Output = Result<ActionOutcome, ActionError>> + Send {
        std::future::ready(Self::perform(registry, entity, invocation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use occi_model::{
        Action, AttributeDefinition, AttributeType, CategoryId, Kind, Location, OcciVersion,
        Resource, StateMachine,
    };

    fn id(s: &str) -> CategoryId {
        s.parse().unwrap()
    }

    fn registry() -> Registry {
        let mut r = Registry::new(OcciVersion::V1_2);
        for term in ["start", "stop", "ping"] {
            r.register_action(Action::new(id(&format!("http://example.com/a#{term}"))))
                .unwrap();
        }
        r.register_kind(
            Kind::new(id("http://example.com/occi#vm"))
                .with_parent(id("http://schemas.ogf.org/occi/core#resource"))
                .with_location(Location::new("/vm/").unwrap())
                .with_attribute(
                    AttributeDefinition::new(
                        "com.example.state".parse().unwrap(),
                        AttributeType::enumeration(["on", "off"]),
                    )
                    .immutable(),
                )
                .with_action(id("http://example.com/a#start"))
                .with_action(id("http://example.com/a#stop"))
                .with_action(id("http://example.com/a#ping")),
        )
        .unwrap();
        r.register_state_machine(
            &id("http://example.com/occi#vm"),
            StateMachine::new("com.example.state".parse().unwrap(), "off")
                .with_transition("off", &id("http://example.com/a#start"), "on")
                .with_transition("on", &id("http://example.com/a#stop"), "off"),
        )
        .unwrap();
        r
    }

    fn vm(state: &str) -> Entity {
        let mut r = Resource::new(id("http://example.com/occi#vm"));
        r.attributes
            .insert("com.example.state".parse().unwrap(), state.into());
        r.into()
    }

    fn run(
        handler: &impl ActionHandler,
        entity: &Entity,
        action: &str,
    ) -> Result<ActionOutcome, ActionError> {
        let registry = registry();
        let invocation = ActionInvocation::new(id(action));
        let mut fut = std::pin::pin!(handler.invoke(&registry, entity, &invocation));
        match fut
            .as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
        {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("these handlers are always ready"),
        }
    }

    #[test]
    fn simulated_actions_follow_the_state_machine() {
        let out = run(&SimulatedActions, &vm("off"), "http://example.com/a#start").unwrap();
        assert_eq!(out.entity, Some(vm("on")));
        let err = run(&SimulatedActions, &vm("off"), "http://example.com/a#stop").unwrap_err();
        assert_eq!(err.kind(), ActionErrorKind::Conflict);
        assert!(err.to_string().contains("\"off\""));
        let out = run(&SimulatedActions, &vm("on"), "http://example.com/a#ping").unwrap();
        assert_eq!(out, ActionOutcome::unchanged());
    }

    #[test]
    fn the_default_handler_does_not_implement_actions() {
        let err = run(&NotImplemented, &vm("off"), "http://example.com/a#start").unwrap_err();
        assert_eq!(err.kind(), ActionErrorKind::NotImplemented);
    }

    fn infrastructure(version: OcciVersion) -> Registry {
        let mut r = Registry::new(version);
        infrastructure::register(&mut r).unwrap();
        r
    }

    fn perform(r: &Registry, entity: &Entity, invocation: &ActionInvocation) -> ActionOutcome {
        SimulatedActions::perform(r, entity, invocation).unwrap()
    }

    #[test]
    fn save_answers_with_a_new_os_template() {
        let r = infrastructure(OcciVersion::V1_2);
        let mut compute = Resource::new(infrastructure::compute_id());
        compute.location = Some(Location::new("/compute/1").unwrap());
        compute.attributes.insert(
            infrastructure::attr::COMPUTE_STATE.parse().unwrap(),
            "active".into(),
        );
        let mut save = ActionInvocation::new(infrastructure::compute_save_id());
        save.attributes
            .insert("name".parse().unwrap(), "golden".into());
        let outcome = perform(&r, &compute.clone().into(), &save);
        assert_eq!(outcome.entity, None, "save leaves an active compute active");
        let Some(Category::Mixin(template)) = outcome.category else {
            panic!("save answers with a Mixin")
        };
        assert_eq!(
            template.id.to_string(),
            format!("{SAVED_TEMPLATE_SCHEME}golden")
        );
        assert_eq!(template.depends, [infrastructure::os_tpl_id()]);
        assert_eq!(
            template.location.as_ref().map(Location::as_str),
            Some("/os_tpl/saved/golden/")
        );
        // A name already taken, or not a term, gets a generated one.
        let mut r2 = r.clone();
        r2.register_mixin(template.clone()).unwrap();
        let again = perform(&r2, &compute.clone().into(), &save);
        let Some(Category::Mixin(other)) = again.category else {
            panic!("save answers with a Mixin")
        };
        assert!(
            other.id.term().as_str().starts_with("saved-"),
            "{:?}",
            other.id
        );
        save.attributes
            .insert("name".parse().unwrap(), "not a term".into());
        let odd = perform(&r, &compute.into(), &save);
        assert!(
            matches!(odd.category, Some(Category::Mixin(m)) if m.id.term().as_str().starts_with("saved-"))
        );
    }

    #[test]
    fn resize_sets_the_size_and_completes_in_occi_1_1() {
        let r = infrastructure(OcciVersion::V1_1);
        let mut storage = Resource::new(infrastructure::storage_id());
        storage.attributes.insert(
            infrastructure::attr::STORAGE_STATE.parse().unwrap(),
            "online".into(),
        );
        let mut resize = ActionInvocation::new(infrastructure::storage_resize_id());
        resize.attributes.insert(
            "size".parse().unwrap(),
            occi_model::AttributeValue::float(2.0).unwrap(),
        );
        let outcome = perform(&r, &storage.into(), &resize);
        let updated = outcome.entity.expect("resize changes the storage");
        assert_eq!(
            updated.attribute_value(infrastructure::attr::STORAGE_SIZE),
            occi_model::AttributeValue::float(2.0)
        );
        assert_eq!(
            updated.attribute_value(infrastructure::attr::STORAGE_STATE),
            Some("online".into())
        );
    }
}
