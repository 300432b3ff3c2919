//! Categories: [`Kind`], [`Mixin`] and [`Action`] (C11 §4.4, C12 §5.3).

use std::fmt;

use crate::attribute::AttributeDefinition;
use crate::ident::{AttributeName, CategoryId, Location};

/// The three sub-types of Category, as rendered in the `class` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CategoryClass {
    /// A [`Kind`].
    Kind,
    /// A [`Mixin`].
    Mixin,
    /// An [`Action`].
    Action,
}

impl CategoryClass {
    /// The `class` parameter value: `kind`, `mixin` or `action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::Mixin => "mixin",
            Self::Action => "action",
        }
    }
}

impl fmt::Display for CategoryClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of an entity (C12 §5.3.3): its attributes, actions, parent and location.
///
/// `parent` is OCCI 1.2's `Kind.parent`; OCCI 1.1's `related` is rendered in the same `rel`
/// parameter, and every 1.1 document gives a Kind at most one, so the model keeps one.
///
/// ```
/// use occi_model::{Kind, CategoryId, Location};
/// let kind = Kind::new("http://example.com/occi#vm".parse()?)
///     .with_title("Virtual machine")
///     .with_parent("http://schemas.ogf.org/occi/core#resource".parse()?)
///     .with_location(Location::new("/vm/")?);
/// assert_eq!(kind.id.term().as_str(), "vm");
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Kind {
    /// Scheme and term.
    pub id: CategoryId,
    /// Display name.
    pub title: Option<String>,
    /// The parent Kind (1.2 `parent`, 1.1 `related`); `None` only for `core#entity`.
    pub parent: Option<CategoryId>,
    /// The attributes this Kind defines itself (not those inherited from its parent).
    pub attributes: Vec<AttributeDefinition>,
    /// The actions this Kind defines.
    pub actions: Vec<CategoryId>,
    /// Where its collection is served: a path ending with `/`.
    pub location: Option<Location>,
}

impl Kind {
    /// A Kind with no title, parent, attributes, actions or location.
    pub fn new(id: CategoryId) -> Self {
        Self {
            id,
            title: None,
            parent: None,
            attributes: Vec::new(),
            actions: Vec::new(),
            location: None,
        }
    }

    /// Sets the title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the parent.
    #[must_use]
    pub fn with_parent(mut self, parent: CategoryId) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Adds an attribute definition.
    #[must_use]
    pub fn with_attribute(mut self, attribute: AttributeDefinition) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds an action.
    #[must_use]
    pub fn with_action(mut self, action: CategoryId) -> Self {
        self.actions.push(action);
        self
    }

    /// Sets the location.
    #[must_use]
    pub fn with_location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// The definition of `name` among this Kind's own attributes.
    pub fn attribute(&self, name: &AttributeName) -> Option<&AttributeDefinition> {
        self.attributes.iter().find(|a| &a.name == name)
    }
}

/// A Mixin (C12 §5.3.4): extra attributes and actions associated with entities, a tag, or a
/// template.
///
/// `depends` is OCCI 1.2's `Mixin.depends` and OCCI 1.1's `related`. `applies` (1.2 only)
/// restricts the Kinds it may be associated with; empty means any entity.
///
/// ```
/// use occi_model::{Mixin, Location};
/// let tag = Mixin::new("http://example.com/tags#blue".parse()?)
///     .with_location(Location::new("/tags/blue/")?);
/// assert!(tag.is_tag());
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mixin {
    /// Scheme and term.
    pub id: CategoryId,
    /// Display name.
    pub title: Option<String>,
    /// Mixins this one depends on (1.2 `depends`, 1.1 `related`).
    pub depends: Vec<CategoryId>,
    /// Kinds this Mixin may be associated with; empty means any.
    pub applies: Vec<CategoryId>,
    /// The attributes this Mixin defines.
    pub attributes: Vec<AttributeDefinition>,
    /// The actions this Mixin defines.
    pub actions: Vec<CategoryId>,
    /// Where its collection is served: a path ending with `/`.
    pub location: Option<Location>,
}

impl Mixin {
    /// A Mixin with no title, relations, attributes, actions or location.
    pub fn new(id: CategoryId) -> Self {
        Self {
            id,
            title: None,
            depends: Vec::new(),
            applies: Vec::new(),
            attributes: Vec::new(),
            actions: Vec::new(),
            location: None,
        }
    }

    /// Sets the title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Adds a Mixin this one depends on.
    #[must_use]
    pub fn with_depends(mut self, mixin: CategoryId) -> Self {
        self.depends.push(mixin);
        self
    }

    /// Adds a Kind this Mixin applies to.
    #[must_use]
    pub fn with_applies(mut self, kind: CategoryId) -> Self {
        self.applies.push(kind);
        self
    }

    /// Adds an attribute definition.
    #[must_use]
    pub fn with_attribute(mut self, attribute: AttributeDefinition) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds an action.
    #[must_use]
    pub fn with_action(mut self, action: CategoryId) -> Self {
        self.actions.push(action);
        self
    }

    /// Sets the location.
    #[must_use]
    pub fn with_location(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Whether this Mixin adds no capabilities (C12 §5.3.4: a "tag").
    pub fn is_tag(&self) -> bool {
        self.attributes.is_empty() && self.actions.is_empty()
    }

    /// The definition of `name` among this Mixin's own attributes.
    pub fn attribute(&self, name: &AttributeName) -> Option<&AttributeDefinition> {
        self.attributes.iter().find(|a| &a.name == name)
    }
}

/// An Action (C12 §5.3.5): the identifier of an invocable operation and its parameters.
///
/// ```
/// use occi_model::{Action, AttributeDefinition, AttributeType};
/// let stop = Action::new("http://schemas.ogf.org/occi/infrastructure/compute/action#stop".parse()?)
///     .with_title("Stop the system")
///     .with_attribute(AttributeDefinition::new(
///         "method".parse()?,
///         AttributeType::enumeration(["graceful", "acpioff", "poweroff"]),
///     ));
/// assert_eq!(stop.attributes.len(), 1);
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Scheme and term.
    pub id: CategoryId,
    /// Display name.
    pub title: Option<String>,
    /// The action's parameters.
    pub attributes: Vec<AttributeDefinition>,
}

impl Action {
    /// An Action with no title and no parameters.
    pub fn new(id: CategoryId) -> Self {
        Self {
            id,
            title: None,
            attributes: Vec::new(),
        }
    }

    /// Sets the title.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Adds a parameter definition.
    #[must_use]
    pub fn with_attribute(mut self, attribute: AttributeDefinition) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// The definition of parameter `name`.
    pub fn attribute(&self, name: &AttributeName) -> Option<&AttributeDefinition> {
        self.attributes.iter().find(|a| &a.name == name)
    }
}

/// Any category: a [`Kind`], [`Mixin`] or [`Action`].
#[derive(Debug, Clone, PartialEq)]
pub enum Category {
    /// A Kind.
    Kind(Kind),
    /// A Mixin.
    Mixin(Mixin),
    /// An Action.
    Action(Action),
}

impl Category {
    /// Scheme and term.
    pub fn id(&self) -> &CategoryId {
        match self {
            Self::Kind(k) => &k.id,
            Self::Mixin(m) => &m.id,
            Self::Action(a) => &a.id,
        }
    }

    /// Which sub-type this is.
    pub fn class(&self) -> CategoryClass {
        match self {
            Self::Kind(_) => CategoryClass::Kind,
            Self::Mixin(_) => CategoryClass::Mixin,
            Self::Action(_) => CategoryClass::Action,
        }
    }

    /// The title, if any.
    pub fn title(&self) -> Option<&str> {
        match self {
            Self::Kind(k) => k.title.as_deref(),
            Self::Mixin(m) => m.title.as_deref(),
            Self::Action(a) => a.title.as_deref(),
        }
    }

    /// The attributes this category defines itself.
    pub fn attributes(&self) -> &[AttributeDefinition] {
        match self {
            Self::Kind(k) => &k.attributes,
            Self::Mixin(m) => &m.attributes,
            Self::Action(a) => &a.attributes,
        }
    }

    /// The actions this category defines (none for an Action).
    pub fn actions(&self) -> &[CategoryId] {
        match self {
            Self::Kind(k) => &k.actions,
            Self::Mixin(m) => &m.actions,
            Self::Action(_) => &[],
        }
    }

    /// The location (Kinds and Mixins only).
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Kind(k) => k.location.as_ref(),
            Self::Mixin(m) => m.location.as_ref(),
            Self::Action(_) => None,
        }
    }

    /// The Kind, if this is one.
    pub fn as_kind(&self) -> Option<&Kind> {
        match self {
            Self::Kind(k) => Some(k),
            _ => None,
        }
    }

    /// The Mixin, if this is one.
    pub fn as_mixin(&self) -> Option<&Mixin> {
        match self {
            Self::Mixin(m) => Some(m),
            _ => None,
        }
    }

    /// The Action, if this is one.
    pub fn as_action(&self) -> Option<&Action> {
        match self {
            Self::Action(a) => Some(a),
            _ => None,
        }
    }
}

impl From<Kind> for Category {
    fn from(k: Kind) -> Self {
        Self::Kind(k)
    }
}

impl From<Mixin> for Category {
    fn from(m: Mixin) -> Self {
        Self::Mixin(m)
    }
}

impl From<Action> for Category {
    fn from(a: Action) -> Self {
        Self::Action(a)
    }
}
