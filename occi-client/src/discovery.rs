//! Turning a query interface into a typed [`Registry`].
//!
//! Categories are registered in dependency order (Actions, then each Kind after its parent,
//! then each Mixin after what it depends on and applies to). Categories the registry already
//! holds (the core Kinds) are kept as they are. Locations that are absolute URLs on the
//! endpoint's origin (PySSF writes them so) become paths.
//!
//! Real servers publish incomplete models (PySSF lists a service Kind whose parent
//! `core#resource` it never lists, and Kinds that name Actions it does not publish). In
//! lenient mode what cannot be registered as published is repaired and reported as a
//! deviation: an unknown parent becomes `core#resource`, unknown actions, depends and
//! applies are dropped, a Kind without location is left out. In strict mode each of those is
//! an error.

use occi_model::{Category, CategoryId, Kind, Location, Mixin, OcciVersion, Registry};
use occi_render::{Deviation, DeviationKind};

use crate::endpoint::Endpoint;
use crate::error::{Error, ErrorKind};
use crate::rendering::note;

fn relocate(endpoint: &Endpoint, location: Option<Location>) -> Option<Location> {
    location.map(|l| endpoint.relativize(l))
}

pub(crate) fn build_registry(
    version: OcciVersion,
    categories: Vec<Category>,
    endpoint: &Endpoint,
    strict: bool,
) -> Result<(Registry, Vec<Deviation>), Error> {
    let mut registry = Registry::new(version);
    let mut deviations = Vec::new();
    let mut problem = |message: String| -> Result<(), Error> {
        if strict {
            Err(Error::new(
                ErrorKind::Parse,
                format!("the query interface: {message}"),
            ))
        } else {
            deviations.push(note(DeviationKind::Other, message));
            Ok(())
        }
    };

    let mut kinds = Vec::new();
    let mut mixins = Vec::new();
    for category in categories {
        if registry.get(category.id()).is_some() {
            continue;
        }
        match category {
            Category::Action(action) => {
                let id = action.id.clone();
                if let Err(e) = registry.register_action(action) {
                    problem(format!("action {id} left out: {e}"))?;
                }
            }
            Category::Kind(mut kind) => {
                kind.location = relocate(endpoint, kind.location);
                kinds.push(kind);
            }
            Category::Mixin(mut mixin) => {
                mixin.location = relocate(endpoint, mixin.location);
                mixins.push(mixin);
            }
        }
    }

    register_kinds(&mut registry, kinds, &mut problem)?;
    register_mixins(&mut registry, mixins, &mut problem)?;
    Ok((registry, deviations))
}

fn register_kind(
    registry: &mut Registry,
    mut kind: Kind,
    problem: &mut impl FnMut(String) -> Result<(), Error>,
) -> Result<(), Error> {
    let unknown: Vec<CategoryId> = kind
        .actions
        .iter()
        .filter(|a| registry.action(a).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        kind.actions.retain(|a| registry.action(a).is_some());
        problem(format!(
            "kind {} names unpublished actions ({}); those are left out",
            kind.id,
            unknown
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        ))?;
    }
    let id = kind.id.clone();
    if let Err(e) = registry.register_kind(kind) {
        problem(format!("kind {id} left out: {e}"))?;
    }
    Ok(())
}

fn register_mixin(
    registry: &mut Registry,
    mut mixin: Mixin,
    problem: &mut impl FnMut(String) -> Result<(), Error>,
) -> Result<(), Error> {
    let before = mixin.applies.len() + mixin.actions.len();
    mixin.applies.retain(|k| registry.kind(k).is_some());
    mixin.actions.retain(|a| registry.action(a).is_some());
    if mixin.applies.len() + mixin.actions.len() != before {
        problem(format!(
            "mixin {} names unpublished kinds or actions; those are left out",
            mixin.id
        ))?;
    }
    let id = mixin.id.clone();
    if let Err(e) = registry.register_mixin(mixin) {
        problem(format!("mixin {id} left out: {e}"))?;
    }
    Ok(())
}

/// Registers Kinds parents first, as long as progress is made; what is left names parents
/// nobody publishes.
fn register_kinds(
    registry: &mut Registry,
    mut kinds: Vec<Kind>,
    problem: &mut impl FnMut(String) -> Result<(), Error>,
) -> Result<(), Error> {
    while !kinds.is_empty() {
        let before = kinds.len();
        let mut waiting = Vec::new();
        for kind in kinds {
            let ready = kind
                .parent
                .as_ref()
                .is_none_or(|parent| registry.kind(parent).is_some());
            if ready {
                register_kind(registry, kind, problem)?;
            } else {
                waiting.push(kind);
            }
        }
        if waiting.len() == before {
            // What is left names parents nobody publishes.
            for mut kind in waiting {
                let parent = kind
                    .parent
                    .replace(occi_model::ext::core::resource_id())
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                problem(format!(
                    "kind {} names the unpublished parent {parent}; read as a child of {}",
                    kind.id,
                    occi_model::ext::core::resource_id()
                ))?;
                register_kind(registry, kind, problem)?;
            }
            break;
        }
        kinds = waiting;
    }

    Ok(())
}

/// Registers Mixins after what they depend on, as long as progress is made.
fn register_mixins(
    registry: &mut Registry,
    mut mixins: Vec<Mixin>,
    problem: &mut impl FnMut(String) -> Result<(), Error>,
) -> Result<(), Error> {
    while !mixins.is_empty() {
        let before = mixins.len();
        let mut waiting = Vec::new();
        for mixin in mixins {
            if mixin.depends.iter().all(|d| registry.mixin(d).is_some()) {
                register_mixin(registry, mixin, problem)?;
            } else {
                waiting.push(mixin);
            }
        }
        if waiting.len() == before {
            for mut mixin in waiting {
                let (known, unknown): (Vec<CategoryId>, Vec<CategoryId>) = mixin
                    .depends
                    .into_iter()
                    .partition(|d| registry.mixin(d).is_some());
                mixin.depends = known;
                problem(format!(
                    "mixin {} depends on unpublished mixins ({}); those are left out",
                    mixin.id,
                    unknown
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                ))?;
                register_mixin(registry, mixin, problem)?;
            }
            break;
        }
        mixins = waiting;
    }
    Ok(())
}
