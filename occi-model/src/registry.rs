//! The category registry: every Kind, Mixin and Action a server knows, their locations,
//! user-defined Mixins, inheritance, state machines and link endpoint rules.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::attribute::AttributeDefinition;
use crate::category::{Action, Category, CategoryClass, Kind, Mixin};
use crate::entity::Entity;
use crate::ext::core as core_ext;
use crate::ident::{AttributeName, CategoryId, Location, OcciVersion};

/// Who defined a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The provider (the server's model): cannot be removed through the query interface.
    Provider,
    /// A client, through the query interface (C12 §5.5 "Mix-ins"): can be removed.
    User,
}

/// What went wrong when changing a [`Registry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistryErrorKind {
    /// A category with the same scheme and term exists.
    DuplicateId,
    /// Another category is bound to the same location, or the location is reserved.
    DuplicateLocation,
    /// A Kind or Mixin has no location, or a Kind other than `core#entity` has one that
    /// 1.2 forbids.
    Location,
    /// A referenced category (parent, depends, applies, action) is unknown or of the wrong class.
    UnknownReference,
    /// The category does not exist.
    NotFound,
    /// The category was defined by the provider and cannot be removed.
    ProviderDefined,
    /// Another category still depends on the one being removed.
    InUse,
    /// The scheme lies under `http://schemas.ogf.org/occi/`, reserved for OCCI.
    ReservedScheme,
    /// A term or attribute name does not satisfy the registry's OCCI version grammar.
    Grammar,
    /// An attribute definition is inconsistent (for example a default of the wrong type).
    Attribute,
    /// A user-defined Mixin carries something users may not define (actions; in 1.1 attributes).
    NotAllowed,
}

/// An error changing a [`Registry`]; the registry is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    kind: RegistryErrorKind,
    message: String,
}

impl RegistryError {
    fn new(kind: RegistryErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> RegistryErrorKind {
        self.kind
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RegistryError {}

/// One edge of a state machine: `action` takes an entity in state `from` to state `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: String,
    /// The action.
    pub action: CategoryId,
    /// The state after.
    pub to: String,
}

/// The state diagram of a Kind (I11/I12 §3), as data.
///
/// An action that appears in no transition is unconstrained: it applies in every state and
/// leaves the state as it is. `error_state` (1.2) is where a failed action leaves the entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachine {
    /// The attribute that holds the state, such as `occi.compute.state`.
    pub attribute: AttributeName,
    /// The state a new entity starts in.
    pub initial: String,
    /// The edges.
    pub transitions: Vec<Transition>,
    /// The state a failed action leads to (OCCI 1.2), if any.
    pub error_state: Option<String>,
}

impl StateMachine {
    /// A machine with no transitions yet.
    pub fn new(attribute: AttributeName, initial: impl Into<String>) -> Self {
        Self {
            attribute,
            initial: initial.into(),
            transitions: Vec::new(),
            error_state: None,
        }
    }

    /// Adds a transition.
    #[must_use]
    pub fn with_transition(mut self, from: &str, action: &CategoryId, to: &str) -> Self {
        self.transitions.push(Transition {
            from: from.to_owned(),
            action: action.clone(),
            to: to.to_owned(),
        });
        self
    }

    /// Sets the error state.
    #[must_use]
    pub fn with_error_state(mut self, state: &str) -> Self {
        self.error_state = Some(state.to_owned());
        self
    }

    /// Whether any transition mentions `action`.
    pub fn constrains(&self, action: &CategoryId) -> bool {
        self.transitions.iter().any(|t| &t.action == action)
    }

    /// The state `action` leads to from `state`: `Some(state)` unchanged for an
    /// unconstrained action, `None` if the action does not apply in that state.
    pub fn next_state<'a>(&'a self, state: &'a str, action: &CategoryId) -> Option<&'a str> {
        if !self.constrains(action) {
            return Some(state);
        }
        self.transitions
            .iter()
            .find(|t| t.from == state && &t.action == action)
            .map(|t| t.to.as_str())
    }
}

/// Which Kinds a Link Kind may connect. An empty list accepts any Resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkEndpoints {
    /// Acceptable Kinds of the source (an entity whose Kind is, or descends from, one of them).
    pub source: Vec<CategoryId>,
    /// Acceptable Kinds of the target.
    pub target: Vec<CategoryId>,
}

#[derive(Debug, Clone)]
struct Entry {
    category: Category,
    origin: Origin,
}

/// The categories a server knows.
///
/// A new registry holds the three core Kinds (`entity`, `resource`, `link`). Extensions
/// register into it ([`crate::ext`]). Every change is checked: unique ids, unique locations,
/// references to known categories, grammar of the registry's OCCI version; a failed change
/// leaves the registry as it was.
///
/// ```
/// use occi_model::{Registry, OcciVersion, Mixin, Location};
/// let mut registry = Registry::new(OcciVersion::V1_2);
/// assert_eq!(registry.kinds().count(), 3);
/// let tag = Mixin::new("http://example.com/tags#blue".parse()?)
///     .with_location(Location::new("/tags/blue/")?);
/// registry.add_user_mixin(tag)?;
/// let found = registry.by_location("/tags/blue/").unwrap();
/// assert_eq!(found.id().term().as_str(), "blue");
/// registry.remove_user_mixin(&"http://example.com/tags#blue".parse()?)?;
/// assert!(registry.by_location("/tags/blue/").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Registry {
    version: OcciVersion,
    entries: Vec<Entry>,
    by_id: HashMap<CategoryId, usize>,
    by_location: HashMap<Location, usize>,
    state_machines: HashMap<CategoryId, StateMachine>,
    open_kinds: HashSet<CategoryId>,
    link_endpoints: HashMap<CategoryId, LinkEndpoints>,
    exclusive_families: Vec<CategoryId>,
}

/// Paths no category may be bound to: the query interface and its well-known mirror.
const RESERVED_LOCATIONS: [&str; 2] = ["/-/", "/.well-known/org/ogf/occi/-/"];

impl Registry {
    /// A registry holding the core Kinds of `version`.
    pub fn new(version: OcciVersion) -> Self {
        let mut registry = Self {
            version,
            entries: Vec::new(),
            by_id: HashMap::new(),
            by_location: HashMap::new(),
            state_machines: HashMap::new(),
            open_kinds: HashSet::new(),
            link_endpoints: HashMap::new(),
            exclusive_families: Vec::new(),
        };
        for kind in core_ext::kinds(version) {
            registry
                .register_kind(kind)
                .expect("the core kinds are consistent");
        }
        registry
    }

    /// The OCCI version whose rules this registry applies.
    pub fn version(&self) -> OcciVersion {
        self.version
    }

    // ----- registration -----

    /// Applies `change` all or nothing: when it fails, the registry is left exactly as it was
    /// (the change runs on a copy, which replaces the registry only on success).
    ///
    /// ```
    /// use occi_model::{Mixin, Location, OcciVersion, Registry};
    /// let mut registry = Registry::new(OcciVersion::V1_2);
    /// let before = registry.len();
    /// let result = registry.atomically(|r| {
    ///     r.register_mixin(Mixin::new("http://example.com/a#one".parse()?).with_location(Location::new("/one/")?))?;
    ///     // Same location again: the whole change fails, the first Mixin is not kept.
    ///     r.register_mixin(Mixin::new("http://example.com/a#two".parse()?).with_location(Location::new("/one/")?))?;
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// });
    /// assert!(result.is_err());
    /// assert_eq!(registry.len(), before);
    /// ```
    pub fn atomically<E>(
        &mut self,
        change: impl FnOnce(&mut Registry) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut staged = self.clone();
        change(&mut staged)?;
        *self = staged;
        Ok(())
    }

    /// Registers a provider Kind. Its parent and actions must already be registered.
    pub fn register_kind(&mut self, kind: Kind) -> Result<(), RegistryError> {
        self.check_new(&kind.id)?;
        self.check_attributes(&kind.id, &kind.attributes)?;
        let is_entity = kind.id == core_ext::entity_id();
        match &kind.parent {
            None if !is_entity => {
                return Err(RegistryError::new(
                    RegistryErrorKind::UnknownReference,
                    format!(
                        "kind {} has no parent; every kind descends from {}",
                        kind.id,
                        core_ext::entity_id()
                    ),
                ));
            }
            Some(parent) => {
                self.check_reference(&kind.id, "parent", parent, CategoryClass::Kind)?;
            }
            None => {}
        }
        for action in &kind.actions {
            self.check_reference(&kind.id, "action", action, CategoryClass::Action)?;
        }
        match &kind.location {
            Some(location) => self.check_location(&kind.id, location)?,
            None if !is_entity => {
                return Err(RegistryError::new(
                    RegistryErrorKind::Location,
                    format!("kind {} has no location (H11 §3.3.1)", kind.id),
                ));
            }
            None => {}
        }
        if is_entity && kind.location.is_some() && self.version == OcciVersion::V1_2 {
            return Err(RegistryError::new(
                RegistryErrorKind::Location,
                "the entity kind must not be bound to a location in OCCI 1.2 (P12 §4)",
            ));
        }
        self.insert(Category::Kind(kind), Origin::Provider);
        Ok(())
    }

    /// Registers a provider Mixin. Its depends, applies and actions must already be registered.
    pub fn register_mixin(&mut self, mixin: Mixin) -> Result<(), RegistryError> {
        self.check_mixin(&mixin)?;
        self.insert(Category::Mixin(mixin), Origin::Provider);
        Ok(())
    }

    /// Registers a provider Action.
    pub fn register_action(&mut self, action: Action) -> Result<(), RegistryError> {
        self.check_new(&action.id)?;
        self.check_attributes(&action.id, &action.attributes)?;
        self.insert(Category::Action(action), Origin::Provider);
        Ok(())
    }

    /// Adds a user-defined Mixin (query interface POST, H11 §3.4.1 / P12 §9.3).
    ///
    /// On top of the checks of [`Registry::register_mixin`]: its scheme must not be reserved
    /// for OCCI, it must have a location, it may not define actions (nothing could perform
    /// them), and in OCCI 1.1 it may not define attributes (H11 §3.4.1).
    pub fn add_user_mixin(&mut self, mixin: Mixin) -> Result<(), RegistryError> {
        if mixin.id.scheme().is_ogf_reserved() {
            return Err(RegistryError::new(
                RegistryErrorKind::ReservedScheme,
                format!(
                    "mixin {}: schemes under {} are reserved for OCCI (C12 §5.3.1)",
                    mixin.id,
                    crate::ident::OGF_SCHEME_BASE
                ),
            ));
        }
        if !mixin.actions.is_empty() {
            return Err(RegistryError::new(
                RegistryErrorKind::NotAllowed,
                format!("user-defined mixin {} may not define actions", mixin.id),
            ));
        }
        if self.version == OcciVersion::V1_1 && !mixin.attributes.is_empty() {
            return Err(RegistryError::new(
                RegistryErrorKind::NotAllowed,
                format!(
                    "user-defined mixin {} may not define attributes in OCCI 1.1 (H11 §3.4.1)",
                    mixin.id
                ),
            ));
        }
        self.check_mixin(&mixin)?;
        self.insert(Category::Mixin(mixin), Origin::User);
        Ok(())
    }

    /// Removes a user-defined Mixin. Provider categories cannot be removed (H11 §3.4.1: 403),
    /// nor a Mixin another Mixin depends on.
    ///
    /// Removing the Mixin's associations with entities is the store's job.
    pub fn remove_user_mixin(&mut self, id: &CategoryId) -> Result<Mixin, RegistryError> {
        let Some(&index) = self.by_id.get(id) else {
            return Err(RegistryError::new(
                RegistryErrorKind::NotFound,
                format!("no category {id}"),
            ));
        };
        let entry = &self.entries[index];
        if entry.origin == Origin::Provider {
            return Err(RegistryError::new(
                RegistryErrorKind::ProviderDefined,
                format!("{id} is defined by the provider and cannot be removed"),
            ));
        }
        if let Some(other) = self.mixins().find(|m| m.depends.contains(id)) {
            return Err(RegistryError::new(
                RegistryErrorKind::InUse,
                format!("mixin {} depends on {id}", other.id),
            ));
        }
        let entry = self.entries.remove(index);
        self.reindex();
        match entry.category {
            Category::Mixin(m) => Ok(m),
            // Only mixins are ever inserted with Origin::User.
            Category::Kind(_) | Category::Action(_) => unreachable!("user categories are mixins"),
        }
    }

    /// Attaches a state machine to a registered Kind. Its attribute must be defined by the
    /// Kind (or an ancestor) and its actions by the Kind.
    pub fn register_state_machine(
        &mut self,
        kind: &CategoryId,
        machine: StateMachine,
    ) -> Result<(), RegistryError> {
        let Some(k) = self.kind(kind) else {
            return Err(RegistryError::new(
                RegistryErrorKind::UnknownReference,
                format!("state machine for unknown kind {kind}"),
            ));
        };
        if !self
            .kind_ancestors(k)
            .iter()
            .any(|a| a.attribute(&machine.attribute).is_some())
        {
            return Err(RegistryError::new(
                RegistryErrorKind::UnknownReference,
                format!("kind {kind} does not define {}", machine.attribute),
            ));
        }
        if let Some(t) = machine
            .transitions
            .iter()
            .find(|t| !k.actions.contains(&t.action))
        {
            return Err(RegistryError::new(
                RegistryErrorKind::UnknownReference,
                format!("kind {kind} does not define action {}", t.action),
            ));
        }
        self.state_machines.insert(kind.clone(), machine);
        Ok(())
    }

    /// Opens the attributes of `kind` (and of the Kinds below it): validation keeps the
    /// attributes its entities are given that no Kind or Mixin defines, instead of refusing
    /// them as unknown, and the action invocations on them may carry undeclared parameters.
    /// Such values are taken as given (any type) and stay mutable; their names are valid
    /// OCCI attribute names, as every [`AttributeName`] is. Declared attributes are checked
    /// as usual.
    ///
    /// This is for services whose attributes are not known in advance: Hurtle's Service
    /// Orchestrator accepts any attribute name and echoes it, and a Service Manager
    /// shows whatever its orchestrator reports.
    ///
    /// ```
    /// use occi_model::{AttributeValue, Entity, Kind, Location, NoEntities, Registry, Resource};
    /// let mut registry = Registry::default();
    /// let so: occi_model::CategoryId = "http://example.com/occi#so".parse()?;
    /// registry.register_kind(
    ///     Kind::new(so.clone())
    ///         .with_parent("http://schemas.ogf.org/occi/core#resource".parse()?)
    ///         .with_location(Location::new("/so/")?),
    /// )?;
    /// let mut r = Resource::new(so.clone());
    /// r.attributes.insert("activate.integer".parse()?, AttributeValue::from("1"));
    /// assert!(registry.validate_create(&mut Entity::from(r.clone()), &NoEntities).is_err());
    /// registry.open_attributes(&so)?;
    /// let mut entity = Entity::from(r);
    /// registry.validate_create(&mut entity, &NoEntities)?;
    /// assert_eq!(entity.attribute_value("activate.integer"), Some("1".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_attributes(&mut self, kind: &CategoryId) -> Result<(), RegistryError> {
        if self.kind(kind).is_none() {
            return Err(RegistryError::new(
                RegistryErrorKind::UnknownReference,
                format!("no kind {kind} is registered"),
            ));
        }
        self.open_kinds.insert(kind.clone());
        Ok(())
    }

    /// Whether `kind` keeps undeclared attributes ([`Registry::open_attributes`]): it, or
    /// one of its ancestors, was opened.
    pub fn has_open_attributes(&self, kind: &CategoryId) -> bool {
        if self.open_kinds.is_empty() {
            return false;
        }
        self.kind(kind).is_some_and(|k| {
            self.kind_ancestors(k)
                .iter()
                .any(|a| self.open_kinds.contains(&a.id))
        })
    }

    /// Sets which Kinds a Link Kind may connect.
    pub fn register_link_endpoints(
        &mut self,
        link_kind: &CategoryId,
        endpoints: LinkEndpoints,
    ) -> Result<(), RegistryError> {
        if !self.is_a(link_kind, &core_ext::link_id()) {
            return Err(RegistryError::new(
                RegistryErrorKind::UnknownReference,
                format!("{link_kind} is not a link kind"),
            ));
        }
        for id in endpoints.source.iter().chain(&endpoints.target) {
            if self.kind(id).is_none() {
                return Err(RegistryError::new(
                    RegistryErrorKind::UnknownReference,
                    format!("link endpoint {id} is not a registered kind"),
                ));
            }
        }
        self.link_endpoints.insert(link_kind.clone(), endpoints);
        Ok(())
    }

    /// Declares `mixin` the root of an exclusive family: an entity may carry at most one
    /// Mixin that depends on it, and associating a new one replaces the old (I12 §3.5:
    /// `os_tpl` and `resource_tpl`).
    pub fn register_exclusive_family(&mut self, mixin: &CategoryId) -> Result<(), RegistryError> {
        if self.mixin(mixin).is_none() {
            return Err(RegistryError::new(
                RegistryErrorKind::UnknownReference,
                format!("exclusive family root {mixin} is not a registered mixin"),
            ));
        }
        if !self.exclusive_families.contains(mixin) {
            self.exclusive_families.push(mixin.clone());
        }
        Ok(())
    }

    /// The exclusive family `mixin` belongs to: the root of a family declared with
    /// [`Registry::register_exclusive_family`] that `mixin` depends on, transitively. The root
    /// itself belongs to no family (it is abstract: only Mixins depending on it are templates).
    pub fn exclusive_family(&self, mixin: &CategoryId) -> Option<&CategoryId> {
        let closure = self.mixin_closure(std::slice::from_ref(mixin));
        self.exclusive_families
            .iter()
            .find(|root| *root != mixin && closure.iter().any(|m| &m.id == *root))
    }

    fn insert(&mut self, category: Category, origin: Origin) {
        let index = self.entries.len();
        self.by_id.insert(category.id().clone(), index);
        if let Some(location) = category.location() {
            self.by_location.insert(location.clone(), index);
        }
        self.entries.push(Entry { category, origin });
    }

    fn reindex(&mut self) {
        self.by_id.clear();
        self.by_location.clear();
        for (index, entry) in self.entries.iter().enumerate() {
            self.by_id.insert(entry.category.id().clone(), index);
            if let Some(location) = entry.category.location() {
                self.by_location.insert(location.clone(), index);
            }
        }
    }

    fn check_new(&self, id: &CategoryId) -> Result<(), RegistryError> {
        if self.by_id.contains_key(id) {
            return Err(RegistryError::new(
                RegistryErrorKind::DuplicateId,
                format!("a category {id} already exists"),
            ));
        }
        if !id.term().conforms_to(self.version) {
            return Err(RegistryError::new(
                RegistryErrorKind::Grammar,
                format!(
                    "term {:?} of {id} does not satisfy the OCCI {} term grammar",
                    id.term().as_str(),
                    self.version
                ),
            ));
        }
        Ok(())
    }

    fn check_reference(
        &self,
        owner: &CategoryId,
        what: &str,
        id: &CategoryId,
        class: CategoryClass,
    ) -> Result<(), RegistryError> {
        match self.get(id) {
            Some(c) if c.class() == class => Ok(()),
            Some(c) => Err(RegistryError::new(
                RegistryErrorKind::UnknownReference,
                format!("{owner}: {what} {id} is a {}, not a {class}", c.class()),
            )),
            None => Err(RegistryError::new(
                RegistryErrorKind::UnknownReference,
                format!("{owner}: {what} {id} is not registered"),
            )),
        }
    }

    fn check_location(&self, owner: &CategoryId, location: &Location) -> Result<(), RegistryError> {
        if !location.is_path()
            || !location.is_collection()
            || location.as_str().contains(['?', '#'])
        {
            return Err(RegistryError::new(
                RegistryErrorKind::Location,
                format!(
                    "{owner}: location {location} must be a path that starts and ends with '/' (H11 §3.3.1)"
                ),
            ));
        }
        if location.as_str() == "/" || RESERVED_LOCATIONS.contains(&location.as_str()) {
            return Err(RegistryError::new(
                RegistryErrorKind::DuplicateLocation,
                format!("{owner}: location {location} is reserved"),
            ));
        }
        if let Some(&index) = self.by_location.get(location) {
            return Err(RegistryError::new(
                RegistryErrorKind::DuplicateLocation,
                format!(
                    "{owner}: location {location} is already bound to {}",
                    self.entries[index].category.id()
                ),
            ));
        }
        Ok(())
    }

    fn check_attributes(
        &self,
        owner: &CategoryId,
        attributes: &[AttributeDefinition],
    ) -> Result<(), RegistryError> {
        let mut seen = HashSet::new();
        for attribute in attributes {
            if !seen.insert(&attribute.name) {
                return Err(RegistryError::new(
                    RegistryErrorKind::Attribute,
                    format!("{owner} defines {} twice", attribute.name),
                ));
            }
            if !attribute.name.conforms_to(self.version) {
                return Err(RegistryError::new(
                    RegistryErrorKind::Grammar,
                    format!(
                        "{owner}: attribute name {} does not satisfy the OCCI {} grammar",
                        attribute.name, self.version
                    ),
                ));
            }
            if let Some(default) = &attribute.default {
                crate::validate::check_value(attribute, default).map_err(|reason| {
                    RegistryError::new(
                        RegistryErrorKind::Attribute,
                        format!("{owner}: default of {} {reason}", attribute.name),
                    )
                })?;
            }
        }
        Ok(())
    }

    fn check_mixin(&self, mixin: &Mixin) -> Result<(), RegistryError> {
        self.check_new(&mixin.id)?;
        self.check_attributes(&mixin.id, &mixin.attributes)?;
        for depends in &mixin.depends {
            self.check_reference(&mixin.id, "depends", depends, CategoryClass::Mixin)?;
        }
        for applies in &mixin.applies {
            self.check_reference(&mixin.id, "applies", applies, CategoryClass::Kind)?;
        }
        for action in &mixin.actions {
            self.check_reference(&mixin.id, "action", action, CategoryClass::Action)?;
        }
        match &mixin.location {
            Some(location) => self.check_location(&mixin.id, location),
            None => Err(RegistryError::new(
                RegistryErrorKind::Location,
                format!(
                    "mixin {} has no location (H11 §3.4.1, J12 §3.2.2)",
                    mixin.id
                ),
            )),
        }
    }

    // ----- lookups -----

    /// The category with this id.
    pub fn get(&self, id: &CategoryId) -> Option<&Category> {
        self.by_id.get(id).map(|&i| &self.entries[i].category)
    }

    /// The Kind with this id.
    pub fn kind(&self, id: &CategoryId) -> Option<&Kind> {
        self.get(id).and_then(Category::as_kind)
    }

    /// The Mixin with this id.
    pub fn mixin(&self, id: &CategoryId) -> Option<&Mixin> {
        self.get(id).and_then(Category::as_mixin)
    }

    /// The Action with this id.
    pub fn action(&self, id: &CategoryId) -> Option<&Action> {
        self.get(id).and_then(Category::as_action)
    }

    /// The Kind or Mixin bound to `location` (a path ending with `/`).
    pub fn by_location(&self, location: &str) -> Option<&Category> {
        self.by_location
            .get(location)
            .map(|&i| &self.entries[i].category)
    }

    /// Who defined the category with this id.
    pub fn origin(&self, id: &CategoryId) -> Option<Origin> {
        self.by_id.get(id).map(|&i| self.entries[i].origin)
    }

    /// Every category, in registration order.
    pub fn categories(&self) -> impl Iterator<Item = &Category> {
        self.entries.iter().map(|e| &e.category)
    }

    /// Every Kind.
    pub fn kinds(&self) -> impl Iterator<Item = &Kind> {
        self.categories().filter_map(Category::as_kind)
    }

    /// Every Mixin.
    pub fn mixins(&self) -> impl Iterator<Item = &Mixin> {
        self.categories().filter_map(Category::as_mixin)
    }

    /// Every Action.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.categories().filter_map(Category::as_action)
    }

    /// The number of categories.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the registry is empty (it never is: the core Kinds are always there).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The Kind and its ancestors, the Kind first and `core#entity` last.
    pub fn kind_ancestors<'a>(&'a self, kind: &'a Kind) -> Vec<&'a Kind> {
        let mut chain = vec![kind];
        let mut current = kind;
        while let Some(parent) = current.parent.as_ref().and_then(|p| self.kind(p)) {
            // Registration forbids cycles (parents must exist first); guard anyway.
            if chain.iter().any(|k| k.id == parent.id) {
                break;
            }
            chain.push(parent);
            current = parent;
        }
        chain
    }

    /// Whether Kind `kind` is `ancestor` or descends from it.
    pub fn is_a(&self, kind: &CategoryId, ancestor: &CategoryId) -> bool {
        self.kind(kind)
            .is_some_and(|k| self.kind_ancestors(k).iter().any(|a| &a.id == ancestor))
    }

    /// The Mixins given and those they depend on, transitively, each once; a Mixin comes
    /// after the Mixins it depends on. Unknown ids are skipped.
    pub fn mixin_closure<'a>(&'a self, mixins: &[CategoryId]) -> Vec<&'a Mixin> {
        fn visit<'a>(
            registry: &'a Registry,
            id: &CategoryId,
            seen: &mut HashSet<CategoryId>,
            out: &mut Vec<&'a Mixin>,
        ) {
            if !seen.insert(id.clone()) {
                return;
            }
            if let Some(mixin) = registry.mixin(id) {
                for dependency in &mixin.depends {
                    visit(registry, dependency, seen, out);
                }
                out.push(mixin);
            }
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in mixins {
            visit(self, id, &mut seen, &mut out);
        }
        out
    }

    /// The attributes an entity of `kind` with `mixins` has: those of the Kind and its
    /// ancestors, then those of the Mixins and their dependencies. Where two define the same
    /// name, the later one wins (a Kind's child over its parent, a Mixin over the Kind and
    /// over the Mixins it depends on), so a template's default overrides the Kind's
    /// (C12 §5.3.6). Each name appears once, at the position of its first definition.
    pub fn effective_attributes(
        &self,
        kind: &CategoryId,
        mixins: &[CategoryId],
    ) -> Vec<&AttributeDefinition> {
        let mut out: Vec<&AttributeDefinition> = Vec::new();
        let mut position: HashMap<&AttributeName, usize> = HashMap::new();
        let kinds: Vec<&Kind> = self
            .kind(kind)
            .map(|k| {
                let mut chain = self.kind_ancestors(k);
                chain.reverse();
                chain
            })
            .unwrap_or_default();
        let definitions = kinds.iter().flat_map(|k| k.attributes.iter()).chain(
            self.mixin_closure(mixins)
                .into_iter()
                .flat_map(|m| m.attributes.iter()),
        );
        for definition in definitions {
            if let Some(&i) = position.get(&definition.name) {
                out[i] = definition;
            } else {
                position.insert(&definition.name, out.len());
                out.push(definition);
            }
        }
        out
    }

    /// The effective definition of one attribute (see [`Registry::effective_attributes`]).
    pub fn attribute_definition(
        &self,
        kind: &CategoryId,
        mixins: &[CategoryId],
        name: &AttributeName,
    ) -> Option<&AttributeDefinition> {
        self.effective_attributes(kind, mixins)
            .into_iter()
            .find(|d| &d.name == name)
    }

    /// Every action defined for an entity of `kind` with `mixins` (by the Kind, its ancestors,
    /// the Mixins and their dependencies), whatever its state.
    pub fn defined_actions(&self, kind: &CategoryId, mixins: &[CategoryId]) -> Vec<CategoryId> {
        let kinds = self
            .kind(kind)
            .map(|k| self.kind_ancestors(k))
            .unwrap_or_default();
        self.actions_of(&kinds, mixins)
    }

    /// The actions of `kinds` (a Kind and its ancestors) and of `mixins` with their
    /// dependencies, each once.
    fn actions_of(&self, kinds: &[&Kind], mixins: &[CategoryId]) -> Vec<CategoryId> {
        let mut out: Vec<CategoryId> = Vec::new();
        let ids = kinds.iter().flat_map(|k| k.actions.iter()).chain(
            self.mixin_closure(mixins)
                .into_iter()
                .flat_map(|m| m.actions.iter()),
        );
        for id in ids {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }

    /// The state machine that governs `kind`: its own, or its nearest ancestor's.
    pub fn state_machine(&self, kind: &CategoryId) -> Option<&StateMachine> {
        let k = self.kind(kind)?;
        self.kind_ancestors(k)
            .iter()
            .find_map(|a| self.state_machines.get(&a.id))
    }

    /// The link endpoint rule for a Link Kind: its own, or its nearest ancestor's.
    pub fn link_endpoints(&self, kind: &CategoryId) -> Option<&LinkEndpoints> {
        let k = self.kind(kind)?;
        self.kind_ancestors(k)
            .iter()
            .find_map(|a| self.link_endpoints.get(&a.id))
    }

    /// The actions applicable to `entity` now: those defined for it
    /// ([`Registry::defined_actions`]) that its Kind's state machine allows in its current
    /// state. Without a state machine, or without a state value, every defined action applies.
    pub fn applicable_actions(&self, entity: &Entity) -> Vec<CategoryId> {
        // The Kind's ancestors are looked up once, for the actions and the state machine.
        let kinds = self
            .kind(entity.kind())
            .map(|k| self.kind_ancestors(k))
            .unwrap_or_default();
        let defined = self.actions_of(&kinds, entity.mixins());
        let Some(machine) = kinds.iter().find_map(|k| self.state_machines.get(&k.id)) else {
            return defined;
        };
        let Some(state) = entity
            .attribute_value(machine.attribute.as_str())
            .and_then(|v| v.as_str().map(str::to_owned))
        else {
            return defined;
        };
        defined
            .into_iter()
            .filter(|action| machine.next_state(&state, action).is_some())
            .collect()
    }

    /// The categories matching a query-interface filter: those whose id is among `ids` (all
    /// when `ids` is empty) and that define at least one of `attributes` (any when empty).
    pub fn filter_categories(
        &self,
        ids: &[CategoryId],
        attributes: &[AttributeName],
    ) -> Vec<&Category> {
        self.categories()
            .filter(|c| ids.is_empty() || ids.contains(c.id()))
            .filter(|c| {
                attributes.is_empty() || c.attributes().iter().any(|d| attributes.contains(&d.name))
            })
            .collect()
    }
}

impl Default for Registry {
    /// An OCCI 1.2 registry with the core Kinds.
    fn default() -> Self {
        Self::new(OcciVersion::V1_2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::AttributeType;
    use crate::entity::Resource;
    use crate::value::AttributeValue;

    fn id(s: &str) -> CategoryId {
        s.parse().unwrap()
    }

    fn loc(s: &str) -> Location {
        Location::new(s).unwrap()
    }

    fn attr(name: &str, ty: AttributeType) -> AttributeDefinition {
        AttributeDefinition::new(name.parse().unwrap(), ty)
    }

    /// A small model: a `vm` kind with start/stop and a state machine, a template family.
    fn sample(version: OcciVersion) -> Registry {
        let mut r = Registry::new(version);
        r.register_action(Action::new(id("http://example.com/vm/action#start")))
            .unwrap();
        r.register_action(Action::new(id("http://example.com/vm/action#stop")))
            .unwrap();
        r.register_action(Action::new(id("http://example.com/vm/action#ping")))
            .unwrap();
        r.register_kind(
            Kind::new(id("http://example.com/occi#vm"))
                .with_parent(core_ext::resource_id())
                .with_location(loc("/vm/"))
                .with_attribute(
                    attr(
                        "com.example.state",
                        AttributeType::enumeration(["on", "off"]),
                    )
                    .immutable()
                    .with_default("off".into()),
                )
                .with_attribute(
                    attr("com.example.cores", AttributeType::Integer)
                        .with_default(AttributeValue::Integer(1)),
                )
                .with_action(id("http://example.com/vm/action#start"))
                .with_action(id("http://example.com/vm/action#stop"))
                .with_action(id("http://example.com/vm/action#ping")),
        )
        .unwrap();
        r.register_state_machine(
            &id("http://example.com/occi#vm"),
            StateMachine::new("com.example.state".parse().unwrap(), "off")
                .with_transition("off", &id("http://example.com/vm/action#start"), "on")
                .with_transition("on", &id("http://example.com/vm/action#stop"), "off"),
        )
        .unwrap();
        r.register_mixin(Mixin::new(id("http://example.com/occi#tpl")).with_location(loc("/tpl/")))
            .unwrap();
        r.register_mixin(
            Mixin::new(id("http://example.com/tpl#big"))
                .with_depends(id("http://example.com/occi#tpl"))
                .with_location(loc("/tpl/big/"))
                .with_attribute(
                    attr("com.example.cores", AttributeType::Integer)
                        .with_default(AttributeValue::Integer(8)),
                ),
        )
        .unwrap();
        r.register_exclusive_family(&id("http://example.com/occi#tpl"))
            .unwrap();
        r
    }

    #[test]
    fn core_kinds_are_always_present() {
        for version in [OcciVersion::V1_1, OcciVersion::V1_2] {
            let r = Registry::new(version);
            let kinds: Vec<String> = r.kinds().map(|k| k.id.to_string()).collect();
            assert_eq!(
                kinds,
                [
                    "http://schemas.ogf.org/occi/core#entity",
                    "http://schemas.ogf.org/occi/core#resource",
                    "http://schemas.ogf.org/occi/core#link"
                ]
            );
            assert!(r.kind(&core_ext::entity_id()).unwrap().location.is_none());
            assert_eq!(
                r.by_location("/resource/").map(Category::id),
                Some(&core_ext::resource_id())
            );
            assert!(r.is_a(&core_ext::link_id(), &core_ext::entity_id()));
            assert!(!r.is_a(&core_ext::link_id(), &core_ext::resource_id()));
        }
    }

    #[test]
    fn registration_rejects_inconsistent_categories_and_changes_nothing() {
        let mut r = sample(OcciVersion::V1_2);
        let before = r.len();
        let cases: Vec<(Category, RegistryErrorKind)> = vec![
            (
                Kind::new(id("http://example.com/occi#vm"))
                    .with_parent(core_ext::resource_id())
                    .with_location(loc("/other/"))
                    .into(),
                RegistryErrorKind::DuplicateId,
            ),
            (
                Kind::new(id("http://example.com/occi#vm2"))
                    .with_parent(core_ext::resource_id())
                    .with_location(loc("/vm/"))
                    .into(),
                RegistryErrorKind::DuplicateLocation,
            ),
            (
                Kind::new(id("http://example.com/occi#vm3"))
                    .with_parent(core_ext::resource_id())
                    .with_location(loc("/-/"))
                    .into(),
                RegistryErrorKind::DuplicateLocation,
            ),
            (
                Kind::new(id("http://example.com/occi#vm4"))
                    .with_parent(core_ext::resource_id())
                    .with_location(loc("/vm4"))
                    .into(),
                RegistryErrorKind::Location,
            ),
            (
                Kind::new(id("http://example.com/occi#vm5"))
                    .with_location(loc("/vm5/"))
                    .into(),
                RegistryErrorKind::UnknownReference,
            ),
            (
                Kind::new(id("http://example.com/occi#vm6"))
                    .with_parent(id("http://example.com/occi#tpl"))
                    .with_location(loc("/vm6/"))
                    .into(),
                RegistryErrorKind::UnknownReference,
            ),
            (
                Kind::new(id("http://example.com/occi#vm7"))
                    .with_parent(core_ext::resource_id())
                    .into(),
                RegistryErrorKind::Location,
            ),
            (
                Kind::new(id("http://example.com/occi#vm8"))
                    .with_parent(core_ext::resource_id())
                    .with_location(loc("/vm8/"))
                    .with_attribute(
                        attr("com.example.n", AttributeType::Integer).with_default("x".into()),
                    )
                    .into(),
                RegistryErrorKind::Attribute,
            ),
            (
                Mixin::new(id("http://example.com/occi#m1"))
                    .with_applies(id("http://example.com/occi#tpl"))
                    .with_location(loc("/m1/"))
                    .into(),
                RegistryErrorKind::UnknownReference,
            ),
            (
                Mixin::new(id("http://example.com/occi#m2")).into(),
                RegistryErrorKind::Location,
            ),
        ];
        for (category, expected) in cases {
            let name = category.id().to_string();
            let result = match category {
                Category::Kind(k) => r.register_kind(k),
                Category::Mixin(m) => r.register_mixin(m),
                Category::Action(a) => r.register_action(a),
            };
            assert_eq!(result.map_err(|e| e.kind()), Err(expected), "{name}");
            assert_eq!(r.len(), before, "{name} changed the registry");
        }
    }

    #[test]
    fn version_grammar_is_enforced() {
        let mut r = Registry::new(OcciVersion::V1_1);
        let err = r
            .register_mixin(
                Mixin::new(id("http://example.com/occi#Upper")).with_location(loc("/u/")),
            )
            .unwrap_err();
        assert_eq!(err.kind(), RegistryErrorKind::Grammar);
        let mut r = Registry::new(OcciVersion::V1_2);
        r.register_mixin(Mixin::new(id("http://example.com/occi#Upper")).with_location(loc("/u/")))
            .unwrap();
    }

    #[test]
    fn user_mixins_follow_the_query_interface_rules() {
        let mut r = sample(OcciVersion::V1_1);
        let reserved = Mixin::new(id("http://schemas.ogf.org/occi/infrastructure#mine"))
            .with_location(loc("/mine/"));
        assert_eq!(
            r.add_user_mixin(reserved).unwrap_err().kind(),
            RegistryErrorKind::ReservedScheme
        );
        let with_action = Mixin::new(id("http://example.com/u#a"))
            .with_location(loc("/a/"))
            .with_action(id("http://example.com/vm/action#start"));
        assert_eq!(
            r.add_user_mixin(with_action).unwrap_err().kind(),
            RegistryErrorKind::NotAllowed
        );
        let with_attr = Mixin::new(id("http://example.com/u#b"))
            .with_location(loc("/b/"))
            .with_attribute(attr("com.example.x", AttributeType::String));
        assert_eq!(
            r.add_user_mixin(with_attr).unwrap_err().kind(),
            RegistryErrorKind::NotAllowed
        );
        let tag = Mixin::new(id("http://example.com/u#tag")).with_location(loc("/tag/"));
        r.add_user_mixin(tag.clone()).unwrap();
        assert_eq!(r.origin(&tag.id), Some(Origin::User));
        assert_eq!(
            r.add_user_mixin(tag.clone()).unwrap_err().kind(),
            RegistryErrorKind::DuplicateId
        );
        let child = Mixin::new(id("http://example.com/u#child"))
            .with_depends(tag.id.clone())
            .with_location(loc("/child/"));
        r.add_user_mixin(child.clone()).unwrap();
        assert_eq!(
            r.remove_user_mixin(&tag.id).unwrap_err().kind(),
            RegistryErrorKind::InUse
        );
        assert_eq!(r.remove_user_mixin(&child.id).unwrap(), child);
        assert_eq!(r.remove_user_mixin(&tag.id).unwrap(), tag);
        assert!(r.by_location("/tag/").is_none() && r.get(&tag.id).is_none());
        assert_eq!(
            r.remove_user_mixin(&tag.id).unwrap_err().kind(),
            RegistryErrorKind::NotFound
        );
        assert_eq!(
            r.remove_user_mixin(&id("http://example.com/occi#tpl"))
                .unwrap_err()
                .kind(),
            RegistryErrorKind::ProviderDefined
        );
        // Lookups by location still work after the index was rebuilt.
        assert_eq!(
            r.by_location("/tpl/big/").map(Category::id),
            Some(&id("http://example.com/tpl#big"))
        );
    }

    #[test]
    fn effective_attributes_let_templates_override_kind_defaults() {
        let r = sample(OcciVersion::V1_2);
        let vm = id("http://example.com/occi#vm");
        let big = id("http://example.com/tpl#big");
        let names: Vec<&str> = r
            .effective_attributes(&vm, &[])
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "occi.core.id",
                "occi.core.title",
                "occi.core.summary",
                "com.example.state",
                "com.example.cores"
            ]
        );
        let cores = "com.example.cores".parse().unwrap();
        let plain = r.attribute_definition(&vm, &[], &cores).unwrap();
        assert_eq!(plain.default, Some(AttributeValue::Integer(1)));
        let templated = r
            .attribute_definition(&vm, std::slice::from_ref(&big), &cores)
            .unwrap();
        assert_eq!(templated.default, Some(AttributeValue::Integer(8)));
        assert_eq!(
            r.exclusive_family(&big),
            Some(&id("http://example.com/occi#tpl"))
        );
        assert_eq!(r.exclusive_family(&id("http://example.com/occi#tpl")), None);
    }

    #[test]
    fn applicable_actions_follow_the_state_machine() {
        let r = sample(OcciVersion::V1_2);
        let mut vm = Resource::new(id("http://example.com/occi#vm"));
        let start = id("http://example.com/vm/action#start");
        let stop = id("http://example.com/vm/action#stop");
        let ping = id("http://example.com/vm/action#ping");
        // Without a state every defined action is listed.
        assert_eq!(
            r.applicable_actions(&vm.clone().into()),
            [start.clone(), stop.clone(), ping.clone()]
        );
        vm.attributes
            .insert("com.example.state".parse().unwrap(), "off".into());
        assert_eq!(
            r.applicable_actions(&vm.clone().into()),
            [start.clone(), ping.clone()]
        );
        let machine = r.state_machine(&vm.kind).unwrap();
        assert_eq!(machine.next_state("off", &start), Some("on"));
        assert_eq!(machine.next_state("off", &stop), None);
        assert_eq!(machine.next_state("on", &ping), Some("on"));
    }

    #[test]
    fn filter_categories_by_id_and_attribute() {
        let r = sample(OcciVersion::V1_2);
        let vm = id("http://example.com/occi#vm");
        let by_id = r.filter_categories(std::slice::from_ref(&vm), &[]);
        assert_eq!(by_id.len(), 1);
        assert_eq!(by_id[0].id(), &vm);
        let cores: AttributeName = "com.example.cores".parse().unwrap();
        let by_attr: Vec<String> = r
            .filter_categories(&[], std::slice::from_ref(&cores))
            .iter()
            .map(|c| c.id().to_string())
            .collect();
        assert_eq!(
            by_attr,
            ["http://example.com/occi#vm", "http://example.com/tpl#big"]
        );
        assert_eq!(r.filter_categories(&[], &[]).len(), r.len());
        assert!(
            r.filter_categories(&[id("http://example.com/none#x")], &[])
                .is_empty()
        );
    }

    #[test]
    fn state_machines_and_endpoints_must_reference_known_things() {
        let mut r = sample(OcciVersion::V1_2);
        let vm = id("http://example.com/occi#vm");
        let unknown_attr = StateMachine::new("com.example.nope".parse().unwrap(), "x");
        assert_eq!(
            r.register_state_machine(&vm, unknown_attr)
                .unwrap_err()
                .kind(),
            RegistryErrorKind::UnknownReference
        );
        let foreign_action = StateMachine::new("com.example.state".parse().unwrap(), "off")
            .with_transition("off", &id("http://example.com/other#go"), "on");
        assert!(r.register_state_machine(&vm, foreign_action).is_err());
        assert!(
            r.register_link_endpoints(&vm, LinkEndpoints::default())
                .is_err()
        );
        let endpoints = LinkEndpoints {
            source: vec![vm.clone()],
            target: vec![vm.clone()],
        };
        r.register_link_endpoints(&core_ext::link_id(), endpoints.clone())
            .unwrap();
        assert_eq!(r.link_endpoints(&core_ext::link_id()), Some(&endpoints));
    }
}
