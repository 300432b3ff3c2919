//! Instances: [`Resource`], [`Link`] and [`Entity`] (C12 §5.4).
//!
//! The attributes Core defines (`occi.core.id`, `occi.core.title`, `occi.core.summary`,
//! `occi.core.source`, `occi.core.target`, `occi.core.target.kind`, `occi.core.source.kind`)
//! are typed fields; [`Resource::attributes`] and [`Link::attributes`] hold every other
//! attribute. Parsers move `occi.core.*` values into the fields and renderers emit them
//! under their rendered names (T12 §5.5.1), so each value has exactly one home.

use crate::ident::{AttributeName, CategoryId, EntityId, Location};
use crate::value::{AttributeValue, Attributes};

/// Rendered names of the attributes Core defines (T12 §5.5.1).
pub mod core_attr {
    /// `Entity.id`.
    pub const ID: &str = "occi.core.id";
    /// `Entity.title`.
    pub const TITLE: &str = "occi.core.title";
    /// `Resource.summary`.
    pub const SUMMARY: &str = "occi.core.summary";
    /// `Link.source`.
    pub const SOURCE: &str = "occi.core.source";
    /// `Link.target`.
    pub const TARGET: &str = "occi.core.target";
    /// `Link.target.kind` (1.2).
    pub const TARGET_KIND: &str = "occi.core.target.kind";
    /// `Link.source.kind` (1.2, T12's mapping table only).
    pub const SOURCE_KIND: &str = "occi.core.source.kind";

    /// Whether `name` is one of the attributes Core defines.
    pub fn is_core(name: &str) -> bool {
        matches!(
            name,
            ID | TITLE | SUMMARY | SOURCE | TARGET | TARGET_KIND | SOURCE_KIND
        )
    }
}

/// A Resource instance (C12 §5.4.2): a compute, a storage, a network, an application…
///
/// `id` is `None` in a create request that lets the server choose the id. `location` is
/// where the entity is served (`/compute/123`); renderings use it for action links and
/// link `self`/source values. `actions` lists the actions applicable now, as a server
/// renders them.
///
/// ```
/// use occi_model::{Resource, AttributeValue};
/// let mut vm = Resource::new("http://schemas.ogf.org/occi/infrastructure#compute".parse()?);
/// vm.title = Some("web".into());
/// vm.attributes.insert("occi.compute.cores".parse()?, AttributeValue::Integer(2));
/// assert_eq!(vm.attribute_value("occi.core.title"), Some(AttributeValue::from("web")));
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `occi.core.id`.
    pub id: Option<EntityId>,
    /// The entity's Kind.
    pub kind: CategoryId,
    /// The Mixins associated with it, in association order.
    pub mixins: Vec<CategoryId>,
    /// `occi.core.title`.
    pub title: Option<String>,
    /// `occi.core.summary`.
    pub summary: Option<String>,
    /// Every other attribute.
    pub attributes: Attributes,
    /// The Links it owns (whose source it is).
    pub links: Vec<Link>,
    /// The actions applicable to it now.
    pub actions: Vec<CategoryId>,
    /// Where it is served.
    pub location: Option<Location>,
}

impl Resource {
    /// A Resource of `kind` with nothing else set.
    pub fn new(kind: CategoryId) -> Self {
        Self {
            id: None,
            kind,
            mixins: Vec::new(),
            title: None,
            summary: None,
            attributes: Attributes::new(),
            links: Vec::new(),
            actions: Vec::new(),
            location: None,
        }
    }

    /// The value of attribute `name`, core attributes included (as strings).
    pub fn attribute_value(&self, name: &str) -> Option<AttributeValue> {
        match name {
            core_attr::ID => self.id.as_ref().map(|v| v.as_str().into()),
            core_attr::TITLE => self.title.as_deref().map(Into::into),
            core_attr::SUMMARY => self.summary.as_deref().map(Into::into),
            _ => self.attributes.get(name).cloned(),
        }
    }
}

/// A Link instance (C12 §5.4.3): a typed association from a source Resource to a target.
///
/// `source` is `None` for a link given inline in a Resource rendering (its source is the
/// Resource); `target` is `None` only in a request that forgot it, which validation reports.
///
/// ```
/// use occi_model::{Link, Location};
/// let mut nic = Link::new("http://schemas.ogf.org/occi/infrastructure#networkinterface".parse()?);
/// nic.source = Some(Location::new("/compute/1")?);
/// nic.target = Some(Location::new("/network/1")?);
/// assert_eq!(nic.attribute_value("occi.core.target").unwrap().as_str(), Some("/network/1"));
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// `occi.core.id`.
    pub id: Option<EntityId>,
    /// The link's Kind.
    pub kind: CategoryId,
    /// The Mixins associated with it.
    pub mixins: Vec<CategoryId>,
    /// `occi.core.title`.
    pub title: Option<String>,
    /// `occi.core.source`: the owning Resource's location.
    pub source: Option<Location>,
    /// `occi.core.target`: a Resource's location, or (1.2) any URI.
    pub target: Option<Location>,
    /// `occi.core.source.kind`.
    pub source_kind: Option<CategoryId>,
    /// `occi.core.target.kind`.
    pub target_kind: Option<CategoryId>,
    /// Every other attribute.
    pub attributes: Attributes,
    /// The actions applicable to it now.
    pub actions: Vec<CategoryId>,
    /// Where it is served.
    pub location: Option<Location>,
}

impl Link {
    /// A Link of `kind` with nothing else set.
    pub fn new(kind: CategoryId) -> Self {
        Self {
            id: None,
            kind,
            mixins: Vec::new(),
            title: None,
            source: None,
            target: None,
            source_kind: None,
            target_kind: None,
            attributes: Attributes::new(),
            actions: Vec::new(),
            location: None,
        }
    }

    /// The value of attribute `name`, core attributes included (as strings).
    pub fn attribute_value(&self, name: &str) -> Option<AttributeValue> {
        match name {
            core_attr::ID => self.id.as_ref().map(|v| v.as_str().into()),
            core_attr::TITLE => self.title.as_deref().map(Into::into),
            core_attr::SOURCE => self.source.as_ref().map(|v| v.as_str().into()),
            core_attr::TARGET => self.target.as_ref().map(|v| v.as_str().into()),
            core_attr::SOURCE_KIND => self.source_kind.as_ref().map(|v| v.to_string().into()),
            core_attr::TARGET_KIND => self.target_kind.as_ref().map(|v| v.to_string().into()),
            _ => self.attributes.get(name).cloned(),
        }
    }
}

/// Any entity: a [`Resource`] or a [`Link`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entity {
    /// A Resource.
    Resource(Resource),
    /// A Link.
    Link(Link),
}

impl Entity {
    /// `occi.core.id`.
    pub fn id(&self) -> Option<&EntityId> {
        match self {
            Self::Resource(r) => r.id.as_ref(),
            Self::Link(l) => l.id.as_ref(),
        }
    }

    /// The Kind.
    pub fn kind(&self) -> &CategoryId {
        match self {
            Self::Resource(r) => &r.kind,
            Self::Link(l) => &l.kind,
        }
    }

    /// The associated Mixins.
    pub fn mixins(&self) -> &[CategoryId] {
        match self {
            Self::Resource(r) => &r.mixins,
            Self::Link(l) => &l.mixins,
        }
    }

    /// The associated Mixins, mutably.
    pub fn mixins_mut(&mut self) -> &mut Vec<CategoryId> {
        match self {
            Self::Resource(r) => &mut r.mixins,
            Self::Link(l) => &mut l.mixins,
        }
    }

    /// `occi.core.title`.
    pub fn title(&self) -> Option<&str> {
        match self {
            Self::Resource(r) => r.title.as_deref(),
            Self::Link(l) => l.title.as_deref(),
        }
    }

    /// The non-core attributes.
    pub fn attributes(&self) -> &Attributes {
        match self {
            Self::Resource(r) => &r.attributes,
            Self::Link(l) => &l.attributes,
        }
    }

    /// The non-core attributes, mutably.
    pub fn attributes_mut(&mut self) -> &mut Attributes {
        match self {
            Self::Resource(r) => &mut r.attributes,
            Self::Link(l) => &mut l.attributes,
        }
    }

    /// The value of attribute `name`, core attributes included.
    pub fn attribute_value(&self, name: &str) -> Option<AttributeValue> {
        match self {
            Self::Resource(r) => r.attribute_value(name),
            Self::Link(l) => l.attribute_value(name),
        }
    }

    /// Every attribute that has a value, core attributes included, as (name, value) pairs
    /// in name order.
    pub fn all_attributes(&self) -> Vec<(AttributeName, AttributeValue)> {
        let core: &[&str] = match self {
            Self::Resource(_) => &[core_attr::ID, core_attr::TITLE, core_attr::SUMMARY],
            Self::Link(_) => &[
                core_attr::ID,
                core_attr::TITLE,
                core_attr::SOURCE,
                core_attr::TARGET,
                core_attr::SOURCE_KIND,
                core_attr::TARGET_KIND,
            ],
        };
        let mut out: Vec<(AttributeName, AttributeValue)> = core
            .iter()
            .filter_map(|name| {
                let value = self.attribute_value(name)?;
                let name = AttributeName::new(name).ok()?;
                Some((name, value))
            })
            .collect();
        out.extend(
            self.attributes()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The applicable actions.
    pub fn actions(&self) -> &[CategoryId] {
        match self {
            Self::Resource(r) => &r.actions,
            Self::Link(l) => &l.actions,
        }
    }

    /// Where the entity is served.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Resource(r) => r.location.as_ref(),
            Self::Link(l) => l.location.as_ref(),
        }
    }

    /// The Resource, if this is one.
    pub fn as_resource(&self) -> Option<&Resource> {
        match self {
            Self::Resource(r) => Some(r),
            Self::Link(_) => None,
        }
    }

    /// The Link, if this is one.
    pub fn as_link(&self) -> Option<&Link> {
        match self {
            Self::Link(l) => Some(l),
            Self::Resource(_) => None,
        }
    }
}

impl From<Resource> for Entity {
    fn from(r: Resource) -> Self {
        Self::Resource(r)
    }
}

impl From<Link> for Entity {
    fn from(l: Link) -> Self {
        Self::Link(l)
    }
}

/// An action invocation (T12 §5.4, J12 §3.1.1.1): the Action and its parameter values.
///
/// ```
/// use occi_model::{ActionInvocation, AttributeValue};
/// let mut stop = ActionInvocation::new(
///     "http://schemas.ogf.org/occi/infrastructure/compute/action#stop".parse()?,
/// );
/// stop.attributes.insert("method".parse()?, AttributeValue::from("graceful"));
/// # Ok::<(), occi_model::IdentError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInvocation {
    /// The Action.
    pub action: CategoryId,
    /// Its parameter values.
    pub attributes: Attributes,
}

impl ActionInvocation {
    /// An invocation of `action` without parameters.
    pub fn new(action: CategoryId) -> Self {
        Self {
            action,
            attributes: Attributes::new(),
        }
    }
}
