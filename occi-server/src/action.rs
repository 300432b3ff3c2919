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

use occi_model::{ActionInvocation, Category, Entity, Registry};

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
/// its Kind's state machine (start takes an inactive compute to active, and so on) and
/// changes nothing else. An action that no state machine constrains (restart, save) leaves
/// the state as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimulatedActions;

impl SimulatedActions {
    fn perform(
        registry: &Registry,
        entity: &Entity,
        invocation: &ActionInvocation,
    ) -> Result<ActionOutcome, ActionError> {
        let Some(machine) = registry.state_machine(entity.kind()) else {
            return Ok(ActionOutcome::unchanged());
        };
        let current = entity
            .attribute_value(machine.attribute.as_str())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| machine.initial.clone());
        let Some(next) = machine.next_state(&current, &invocation.action) else {
            return Err(ActionError::new(
                ActionErrorKind::Conflict,
                format!(
                    "action {} does not apply while {} is {current:?}",
                    invocation.action, machine.attribute
                ),
            ));
        };
        if next == current {
            return Ok(ActionOutcome::unchanged());
        }
        let mut updated = entity.clone();
        updated
            .attributes_mut()
            .insert(machine.attribute.clone(), next.into());
        Ok(ActionOutcome::updated(updated))
    }
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
}
