//! OCCI Platform (PL12 = GFD.227): applications, their components and the links between
//! them, application and resource templates, and the database Mixins.
//!
//! | class | term | scheme | location | notes |
//! |---|---|---|---|---|
//! | Kind | application | `platform#` | `/application/` | parent resource; actions start, stop in `platform/application/action#` |
//! | Kind | component | `platform#` | `/component/` | parent resource; actions start, stop in `platform/component/action#` |
//! | Kind | componentlink | `platform#` | `/componentlink/` | parent link; no attributes |
//! | Mixin | `app_tpl` | `platform#` | `/app_tpl/` | applies application; root of an exclusive family |
//! | Mixin | `res_tpl` | `platform#` | `/res_tpl/` | applies application and component; root of an exclusive family |
//! | Mixin | database | `platform#` | `/database/` | applies component; `occi.database.version` |
//! | Mixin | databaselink | `platform#` | `/databaselink/` | applies componentlink; `occi.database.uri`, `.username`, `.token` |
//!
//! [`register`] adds all of it, all or nothing.
//!
//! # Decisions where the documents leave room
//!
//! * **OCCI versions.** GFD.227 is an OCCI 1.2 document, but OCCI 1.1 peers use its scheme:
//!   Hurtle's cloud controller (a `PySSF`, OCCI 1.1 server) serves `platform#` Kinds. So the
//!   model registers on both versions. On OCCI 1.1 the Mixins have no `applies` (1.1 has no
//!   such relation); everything else, `error` states and `*.state.message` included, is the
//!   same, since the platform document defines them and no 1.1 variant exists.
//! * **The application term.** GFD.227 names the Kind `application` with actions in
//!   `platform/application/action#`; Hurtle's controller calls it `app` (location `/app/`,
//!   actions in `platform/app/action#`) and gives it other attributes (`occi.app.image`,
//!   `occi.app.env`). This module follows the document. A server that must look like
//!   Hurtle registers its own `app` Kind next to (or instead of) this model; the two do not
//!   collide (different terms, schemes and locations).
//! * **required and mutable**, as in [`super::infrastructure`]: immutable attributes are set
//!   by the server and never required from the client. `occi.app.name` (multiplicity 1,
//!   mutable) is required; `occi.app.context` and `occi.app.url` (immutable) are not, the
//!   provider fills them in. The database attributes are immutable (the provider creates the
//!   database and hands out its URI and credentials), hence optional for the client.
//! * **URL and URI types** are strings: the document gives no narrower grammar.
//! * **State machines** for application and component: `inactive —start→ active` and
//!   `active —stop→ inactive`, initial state `inactive`, error state `error`, the shape of
//!   the infrastructure network and link diagrams.
//! * **Template families.** An application carries at most one application template and at
//!   most one resource template, as with `os_tpl` and `resource_tpl`: `app_tpl` and `res_tpl`
//!   are registered as exclusive families.
//! * **componentlink endpoints** are not restricted: the document does not say which Kinds
//!   a componentlink connects.

use super::{def, id, location};
use crate::attribute::{AttributeDefinition, AttributeType};
use crate::category::{Action, Kind, Mixin};
use crate::ext::core;
use crate::ident::{CategoryId, OcciVersion};
use crate::registry::{Registry, RegistryError, StateMachine};

/// The Platform scheme of the Kinds and Mixins.
pub const SCHEME: &str = "http://schemas.ogf.org/occi/platform#";
/// The scheme of the application Actions.
pub const APPLICATION_ACTION_SCHEME: &str =
    "http://schemas.ogf.org/occi/platform/application/action#";
/// The scheme of the component Actions.
pub const COMPONENT_ACTION_SCHEME: &str = "http://schemas.ogf.org/occi/platform/component/action#";

/// Attribute names the Platform document defines.
pub mod attr {
    /// `occi.app.name`: String, required.
    pub const APP_NAME: &str = "occi.app.name";
    /// `occi.app.context`: URL, immutable.
    pub const APP_CONTEXT: &str = "occi.app.context";
    /// `occi.app.url`: URL, immutable.
    pub const APP_URL: &str = "occi.app.url";
    /// `occi.app.state`: Enum {active, inactive, error}, immutable.
    pub const APP_STATE: &str = "occi.app.state";
    /// `occi.app.state.message`: String, immutable.
    pub const APP_STATE_MESSAGE: &str = "occi.app.state.message";
    /// `occi.component.state`: Enum {active, inactive, error}, immutable.
    pub const COMPONENT_STATE: &str = "occi.component.state";
    /// `occi.component.state.message`: String, immutable.
    pub const COMPONENT_STATE_MESSAGE: &str = "occi.component.state.message";
    /// `occi.database.version`: String (database).
    pub const DATABASE_VERSION: &str = "occi.database.version";
    /// `occi.database.uri`: URI (databaselink).
    pub const DATABASE_URI: &str = "occi.database.uri";
    /// `occi.database.username`: String (databaselink).
    pub const DATABASE_USERNAME: &str = "occi.database.username";
    /// `occi.database.token`: String (databaselink).
    pub const DATABASE_TOKEN: &str = "occi.database.token";
}

/// `…/platform#application`.
pub fn application_id() -> CategoryId {
    id(SCHEME, "application")
}

/// `…/platform#component`.
pub fn component_id() -> CategoryId {
    id(SCHEME, "component")
}

/// `…/platform#componentlink`.
pub fn componentlink_id() -> CategoryId {
    id(SCHEME, "componentlink")
}

/// `…/platform#app_tpl`, the root of the application template family.
pub fn app_tpl_id() -> CategoryId {
    id(SCHEME, "app_tpl")
}

/// `…/platform#res_tpl`, the root of the platform resource template family.
pub fn res_tpl_id() -> CategoryId {
    id(SCHEME, "res_tpl")
}

/// `…/platform#database`.
pub fn database_id() -> CategoryId {
    id(SCHEME, "database")
}

/// `…/platform#databaselink`.
pub fn databaselink_id() -> CategoryId {
    id(SCHEME, "databaselink")
}

/// `…/platform/application/action#start`.
pub fn application_start_id() -> CategoryId {
    id(APPLICATION_ACTION_SCHEME, "start")
}

/// `…/platform/application/action#stop`.
pub fn application_stop_id() -> CategoryId {
    id(APPLICATION_ACTION_SCHEME, "stop")
}

/// `…/platform/component/action#start`.
pub fn component_start_id() -> CategoryId {
    id(COMPONENT_ACTION_SCHEME, "start")
}

/// `…/platform/component/action#stop`.
pub fn component_stop_id() -> CategoryId {
    id(COMPONENT_ACTION_SCHEME, "stop")
}

const STATES: [&str; 3] = ["active", "inactive", "error"];

fn state(name: &'static str, what: &str) -> AttributeDefinition {
    def(
        name,
        AttributeType::enumeration(STATES),
        &format!("Current state of the {what}"),
    )
    .immutable()
    .with_default("inactive".into())
}

fn state_message(name: &'static str) -> AttributeDefinition {
    def(
        name,
        AttributeType::String,
        "Human-readable explanation of the current instance state",
    )
    .immutable()
}

fn actions() -> [Action; 4] {
    [
        Action::new(application_start_id()).with_title("Start the application"),
        Action::new(application_stop_id()).with_title("Stop the application"),
        Action::new(component_start_id()).with_title("Start the component"),
        Action::new(component_stop_id()).with_title("Stop the component"),
    ]
}

fn kinds() -> [Kind; 3] {
    [
        Kind::new(application_id())
            .with_title("Application")
            .with_parent(core::resource_id())
            .with_location(location("/application/"))
            .with_attribute(
                def(
                    attr::APP_NAME,
                    AttributeType::String,
                    "Name of the application",
                )
                .required(),
            )
            .with_attribute(
                def(
                    attr::APP_CONTEXT,
                    AttributeType::String,
                    "URL for contextualizing the application",
                )
                .immutable(),
            )
            .with_attribute(
                def(
                    attr::APP_URL,
                    AttributeType::String,
                    "URL (DNS entry) where the application is reachable",
                )
                .immutable(),
            )
            .with_attribute(state(attr::APP_STATE, "application"))
            .with_attribute(state_message(attr::APP_STATE_MESSAGE))
            .with_action(application_start_id())
            .with_action(application_stop_id()),
        Kind::new(component_id())
            .with_title("Component")
            .with_parent(core::resource_id())
            .with_location(location("/component/"))
            .with_attribute(state(attr::COMPONENT_STATE, "component"))
            .with_attribute(state_message(attr::COMPONENT_STATE_MESSAGE))
            .with_action(component_start_id())
            .with_action(component_stop_id()),
        Kind::new(componentlink_id())
            .with_title("ComponentLink")
            .with_parent(core::link_id())
            .with_location(location("/componentlink/")),
    ]
}

fn mixins(version: OcciVersion) -> Vec<Mixin> {
    let mut app_tpl = Mixin::new(app_tpl_id())
        .with_title("Application Template")
        .with_location(location("/app_tpl/"));
    let mut res_tpl = Mixin::new(res_tpl_id())
        .with_title("Resource Template")
        .with_location(location("/res_tpl/"));
    let mut database = Mixin::new(database_id())
        .with_title("Database Mixin")
        .with_location(location("/database/"))
        .with_attribute(
            def(
                attr::DATABASE_VERSION,
                AttributeType::String,
                "Version of the database",
            )
            .immutable(),
        );
    let mut databaselink = Mixin::new(databaselink_id())
        .with_title("Database Link")
        .with_location(location("/databaselink/"))
        .with_attribute(
            def(
                attr::DATABASE_URI,
                AttributeType::String,
                "Connection URI of the database",
            )
            .immutable(),
        )
        .with_attribute(
            def(
                attr::DATABASE_USERNAME,
                AttributeType::String,
                "User name for the database",
            )
            .immutable(),
        )
        .with_attribute(
            def(
                attr::DATABASE_TOKEN,
                AttributeType::String,
                "Token (password) for the database",
            )
            .immutable(),
        );
    if version == OcciVersion::V1_2 {
        app_tpl = app_tpl.with_applies(application_id());
        res_tpl = res_tpl
            .with_applies(application_id())
            .with_applies(component_id());
        database = database.with_applies(component_id());
        databaselink = databaselink.with_applies(componentlink_id());
    }
    vec![app_tpl, res_tpl, database, databaselink]
}

fn machine(attribute: &'static str, start: &CategoryId, stop: &CategoryId) -> StateMachine {
    StateMachine::new(super::name(attribute), "inactive")
        .with_transition("inactive", start, "active")
        .with_transition("active", stop, "inactive")
        .with_error_state("error")
}

fn register_into(registry: &mut Registry) -> Result<(), RegistryError> {
    let version = registry.version();
    for action in actions() {
        registry.register_action(action)?;
    }
    for kind in kinds() {
        registry.register_kind(kind)?;
    }
    for mixin in mixins(version) {
        registry.register_mixin(mixin)?;
    }
    registry.register_state_machine(
        &application_id(),
        machine(
            attr::APP_STATE,
            &application_start_id(),
            &application_stop_id(),
        ),
    )?;
    registry.register_state_machine(
        &component_id(),
        machine(
            attr::COMPONENT_STATE,
            &component_start_id(),
            &component_stop_id(),
        ),
    )?;
    registry.register_exclusive_family(&app_tpl_id())?;
    registry.register_exclusive_family(&res_tpl_id())?;
    Ok(())
}

/// Registers the Platform model (GFD.227) into `registry`, on OCCI 1.2 or 1.1 (see the
/// module docs).
///
/// All or nothing: on error (for example [`crate::RegistryErrorKind::DuplicateId`] when the
/// model is registered twice) the registry is unchanged.
///
/// ```
/// use occi_model::{OcciVersion, Registry, ext::platform};
/// let mut registry = Registry::new(OcciVersion::V1_2);
/// platform::register(&mut registry)?;
/// assert_eq!(registry.by_location("/application/").unwrap().id(), &platform::application_id());
/// # Ok::<(), occi_model::RegistryError>(())
/// ```
pub fn register(registry: &mut Registry) -> Result<(), RegistryError> {
    registry.atomically(register_into)
}
