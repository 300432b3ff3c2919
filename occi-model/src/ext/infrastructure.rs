//! OCCI Infrastructure (I11 = GFD.184 for OCCI 1.1, I12 = GFD.224 for OCCI 1.2): compute,
//! storage and network, the links between them, their Mixins, Actions and state diagrams.
//!
//! [`register`] adds the whole model of the registry's [`OcciVersion`] in one step: either
//! everything is registered or, on error, the registry is left exactly as it was.
//!
//! | | OCCI 1.1 | OCCI 1.2 |
//! |---|---|---|
//! | Kinds | compute, storage, network, networkinterface, storagelink | the same |
//! | Mixins | ipnetwork, ipnetworkinterface, `os_tpl`, `resource_tpl` | + `ssh_key`, `user_data` |
//! | compute actions | start, stop, restart, suspend | + save |
//! | storage actions | online, offline, backup, snapshot, resize | online, offline |
//! | network actions | up, down | up, down |
//! | compute attributes | + `occi.compute.speed` | + `occi.compute.share` |
//! | states | no `error`, no `*.state.message` | `error` states, `*.state.message` |
//! | Mixin `applies` | ipnetwork, ipnetworkinterface (I11's text restricts them; 1.1 renders no `applies`) | + `ssh_key`, `user_data` |
//!
//! # Decisions where the documents leave room
//!
//! * **required and mutable.** A table's multiplicity `1` means *required* for a mutable
//!   attribute (the client supplies it at creation): `occi.storage.size`,
//!   `occi.networkinterface.mac`, `occi.storagelink.deviceid`,
//!   `occi.networkinterface.address` and `.allocation`, `occi.credentials.ssh.publickey`,
//!   `occi.compute.userdata`. An *immutable* attribute is managed by the server and a client
//!   may not set it, so requiring it from the client would make creation impossible:
//!   immutable attributes are never required. Multiplicity `1` for them means the server
//!   always exposes a value (I12 §3.1). Hence `occi.networkinterface.interface` is immutable
//!   (the tables, INF-006, INF-019) and not required: the server names the interface; the
//!   state attributes are immutable, not required, and default to the initial state of their
//!   diagram.
//! * **`occi.compute.userdata`** is marked mutable in I12's table but described as given
//!   "once and only once": it is mutable (a client gives it at creation), required, and
//!   [create-only](crate::AttributeDefinition::create_only): validation refuses a later
//!   change (INF-020).
//! * **Patterns.** `occi.network.address` carries [`cidr_pattern`] (an IPv4 or IPv6 address
//!   with a prefix length), the gateways and `occi.networkinterface.address` carry
//!   [`ip_address_pattern`]; both follow RFC 3986's `IPv4address` / `IPv6address` rules (no
//!   zone ids, no leading zeros in IPv4 octets). `occi.network.label` is a token (I11 §3.2)
//!   and carries [`token_pattern`] (RFC 7230 `tchar`s). Host names, MAC addresses, device ids
//!   and mount points are plain strings: the documents give no grammar and peers differ.
//! * **Ranges.** Only `occi.network.vlan` has one (0 to 4095); the documents give no bounds
//!   for cores, memory, shares or sizes.
//! * **Action parameters** are optional (`method` selects a flavour; a server picks one when
//!   none is given), except the OCCI 1.1 `resize` `size`, without which the action means
//!   nothing.
//! * **State machines** keep to the diagrams. Compute: `restart` and `save` are not drawn;
//!   they take an active instance through stop and start back to active, so both are
//!   `active → active` and apply only to an active instance. A suspended instance can only
//!   be started: `stop`, `restart` and `suspend` are not drawn from `suspended` and do not
//!   apply there. OCCI 1.1 storage: `backup`, `snapshot` and `resize` go from `online` to
//!   the state of the same name (the `complete` and `degrade` edges are the server's own
//!   doing, not actions); `offline` applies from `online` and from `degraded`. The OCCI 1.2
//!   failure edges into `error` are the machines' error state
//!   ([`StateMachine::with_error_state`]), not transitions: an action that fails leaves the
//!   entity in `error` whatever its source state.
//! * **Link state machines.** The link diagrams have unlabelled edges (no Action drives
//!   them), so networkinterface and storagelink get machines without transitions. They
//!   still tell a server which attribute holds the state, the initial state and (1.2) the
//!   error state, and they constrain no action.
//! * **Link endpoints.** networkinterface goes from a compute to a network; storagelink from
//!   any resource (the documents say "normally a Compute") to a storage.
//! * **Locations.** Each Kind and Mixin is served at `/<term>/` (every term is distinct, so
//!   every location is too); the CRTP templates at `/resource_tpl/<term>/`.
//! * **Template families.** `os_tpl` and `resource_tpl` are exclusive families: an entity
//!   carries at most one Mixin depending on each, and a new one replaces the old (I12 §3.5).
//!   They have no `applies`: the documents give none.
//! * **CRTP templates** ([`register_crtp_templates`]) use the scheme the profile declares,
//!   `http://schemas.ogf.org/occi/infrastructure/compute/template/1.x#` (1.0 for OCCI 1.1,
//!   1.1 for OCCI 1.2), for all six templates, not the EGI flavour scheme its tables also
//!   use. They carry their attributes and defaults on OCCI 1.1 too, although I11 keeps
//!   resource templates' presets out of discovery: the profile requires the defaults, and a
//!   1.1 rendering simply shows no defaults.

use std::sync::LazyLock;

use super::{def, id, location};
use crate::attribute::{AttributeDefinition, AttributeType, Pattern};
use crate::category::{Action, Kind, Mixin};
use crate::ext::core;
use crate::ident::{CategoryId, OcciVersion};
use crate::registry::{LinkEndpoints, Registry, RegistryError, StateMachine};
use crate::value::AttributeValue;

/// The Infrastructure scheme of the Kinds, `os_tpl` and `resource_tpl`.
pub const SCHEME: &str = "http://schemas.ogf.org/occi/infrastructure#";
/// The scheme of the `ipnetwork` Mixin.
pub const NETWORK_SCHEME: &str = "http://schemas.ogf.org/occi/infrastructure/network#";
/// The scheme of the `ipnetworkinterface` Mixin.
pub const NETWORKINTERFACE_SCHEME: &str =
    "http://schemas.ogf.org/occi/infrastructure/networkinterface#";
/// The scheme of the `ssh_key` Mixin (1.2).
pub const CREDENTIALS_SCHEME: &str = "http://schemas.ogf.org/occi/infrastructure/credentials#";
/// The scheme of the `user_data` Mixin (1.2).
pub const COMPUTE_SCHEME: &str = "http://schemas.ogf.org/occi/infrastructure/compute#";
/// The scheme of the compute Actions.
pub const COMPUTE_ACTION_SCHEME: &str =
    "http://schemas.ogf.org/occi/infrastructure/compute/action#";
/// The scheme of the network Actions.
pub const NETWORK_ACTION_SCHEME: &str =
    "http://schemas.ogf.org/occi/infrastructure/network/action#";
/// The scheme of the storage Actions.
pub const STORAGE_ACTION_SCHEME: &str =
    "http://schemas.ogf.org/occi/infrastructure/storage/action#";

/// Attribute names the Infrastructure documents define.
pub mod attr {
    /// `occi.compute.architecture`: Enum {x86, x64}.
    pub const COMPUTE_ARCHITECTURE: &str = "occi.compute.architecture";
    /// `occi.compute.cores`: Integer.
    pub const COMPUTE_CORES: &str = "occi.compute.cores";
    /// `occi.compute.hostname`: String.
    pub const COMPUTE_HOSTNAME: &str = "occi.compute.hostname";
    /// `occi.compute.speed`: Float, GHz (1.1 only).
    pub const COMPUTE_SPEED: &str = "occi.compute.speed";
    /// `occi.compute.share`: Integer (1.2 only).
    pub const COMPUTE_SHARE: &str = "occi.compute.share";
    /// `occi.compute.memory`: Float, GiB.
    pub const COMPUTE_MEMORY: &str = "occi.compute.memory";
    /// `occi.compute.state`: Enum.
    pub const COMPUTE_STATE: &str = "occi.compute.state";
    /// `occi.compute.state.message`: String (1.2 only).
    pub const COMPUTE_STATE_MESSAGE: &str = "occi.compute.state.message";
    /// `occi.network.vlan`: Integer 0 to 4095.
    pub const NETWORK_VLAN: &str = "occi.network.vlan";
    /// `occi.network.label`: a token.
    pub const NETWORK_LABEL: &str = "occi.network.label";
    /// `occi.network.state`: Enum.
    pub const NETWORK_STATE: &str = "occi.network.state";
    /// `occi.network.state.message`: String (1.2 only).
    pub const NETWORK_STATE_MESSAGE: &str = "occi.network.state.message";
    /// `occi.network.address`: CIDR (ipnetwork).
    pub const NETWORK_ADDRESS: &str = "occi.network.address";
    /// `occi.network.gateway`: IP address (ipnetwork).
    pub const NETWORK_GATEWAY: &str = "occi.network.gateway";
    /// `occi.network.allocation`: Enum {dynamic, static} (ipnetwork).
    pub const NETWORK_ALLOCATION: &str = "occi.network.allocation";
    /// `occi.storage.size`: Float, GiB.
    pub const STORAGE_SIZE: &str = "occi.storage.size";
    /// `occi.storage.state`: Enum.
    pub const STORAGE_STATE: &str = "occi.storage.state";
    /// `occi.storage.state.message`: String (1.2 only).
    pub const STORAGE_STATE_MESSAGE: &str = "occi.storage.state.message";
    /// `occi.networkinterface.interface`: String.
    pub const NETWORKINTERFACE_INTERFACE: &str = "occi.networkinterface.interface";
    /// `occi.networkinterface.mac`: String.
    pub const NETWORKINTERFACE_MAC: &str = "occi.networkinterface.mac";
    /// `occi.networkinterface.state`: Enum.
    pub const NETWORKINTERFACE_STATE: &str = "occi.networkinterface.state";
    /// `occi.networkinterface.state.message`: String (1.2 only).
    pub const NETWORKINTERFACE_STATE_MESSAGE: &str = "occi.networkinterface.state.message";
    /// `occi.networkinterface.address`: IP address (ipnetworkinterface).
    pub const NETWORKINTERFACE_ADDRESS: &str = "occi.networkinterface.address";
    /// `occi.networkinterface.gateway`: IP address (ipnetworkinterface).
    pub const NETWORKINTERFACE_GATEWAY: &str = "occi.networkinterface.gateway";
    /// `occi.networkinterface.allocation`: Enum {dynamic, static} (ipnetworkinterface).
    pub const NETWORKINTERFACE_ALLOCATION: &str = "occi.networkinterface.allocation";
    /// `occi.storagelink.deviceid`: String.
    pub const STORAGELINK_DEVICEID: &str = "occi.storagelink.deviceid";
    /// `occi.storagelink.mountpoint`: String.
    pub const STORAGELINK_MOUNTPOINT: &str = "occi.storagelink.mountpoint";
    /// `occi.storagelink.state`: Enum.
    pub const STORAGELINK_STATE: &str = "occi.storagelink.state";
    /// `occi.storagelink.state.message`: String (1.2 only).
    pub const STORAGELINK_STATE_MESSAGE: &str = "occi.storagelink.state.message";
    /// `occi.credentials.ssh.publickey`: String (`ssh_key`, 1.2).
    pub const SSH_PUBLICKEY: &str = "occi.credentials.ssh.publickey";
    /// `occi.compute.userdata`: String (`user_data`, 1.2).
    pub const COMPUTE_USERDATA: &str = "occi.compute.userdata";
    /// `occi.compute.ephemeral_storage.size`: Float, GiB (CRTP).
    pub const EPHEMERAL_STORAGE_SIZE: &str = "occi.compute.ephemeral_storage.size";
    /// `occi.compute.ephemeral_storage.deviceid`: String (CRTP).
    pub const EPHEMERAL_STORAGE_DEVICEID: &str = "occi.compute.ephemeral_storage.deviceid";
    /// The `method` parameter of stop, restart, suspend and save.
    pub const METHOD: &str = "method";
    /// The `name` parameter of save (1.2).
    pub const NAME: &str = "name";
    /// The `size` parameter of the 1.1 storage resize.
    pub const SIZE: &str = "size";
}

fn enumeration(values: &[&str]) -> AttributeType {
    AttributeType::enumeration(values.iter().copied())
}

fn float(value: f64) -> AttributeValue {
    AttributeValue::float(value).expect("finite")
}

/// `…/infrastructure#compute`.
pub fn compute_id() -> CategoryId {
    id(SCHEME, "compute")
}

/// `…/infrastructure#storage`.
pub fn storage_id() -> CategoryId {
    id(SCHEME, "storage")
}

/// `…/infrastructure#network`.
pub fn network_id() -> CategoryId {
    id(SCHEME, "network")
}

/// `…/infrastructure#networkinterface`.
pub fn networkinterface_id() -> CategoryId {
    id(SCHEME, "networkinterface")
}

/// `…/infrastructure#storagelink`.
pub fn storagelink_id() -> CategoryId {
    id(SCHEME, "storagelink")
}

/// `…/infrastructure/network#ipnetwork`.
pub fn ipnetwork_id() -> CategoryId {
    id(NETWORK_SCHEME, "ipnetwork")
}

/// `…/infrastructure/networkinterface#ipnetworkinterface`.
pub fn ipnetworkinterface_id() -> CategoryId {
    id(NETWORKINTERFACE_SCHEME, "ipnetworkinterface")
}

/// `…/infrastructure#os_tpl`, the root of the OS template family.
pub fn os_tpl_id() -> CategoryId {
    id(SCHEME, "os_tpl")
}

/// `…/infrastructure#resource_tpl`, the root of the resource template family.
pub fn resource_tpl_id() -> CategoryId {
    id(SCHEME, "resource_tpl")
}

/// `…/infrastructure/credentials#ssh_key` (1.2).
pub fn ssh_key_id() -> CategoryId {
    id(CREDENTIALS_SCHEME, "ssh_key")
}

/// `…/infrastructure/compute#user_data` (1.2).
pub fn user_data_id() -> CategoryId {
    id(COMPUTE_SCHEME, "user_data")
}

/// `…/compute/action#start`.
pub fn compute_start_id() -> CategoryId {
    id(COMPUTE_ACTION_SCHEME, "start")
}

/// `…/compute/action#stop`.
pub fn compute_stop_id() -> CategoryId {
    id(COMPUTE_ACTION_SCHEME, "stop")
}

/// `…/compute/action#restart`.
pub fn compute_restart_id() -> CategoryId {
    id(COMPUTE_ACTION_SCHEME, "restart")
}

/// `…/compute/action#suspend`.
pub fn compute_suspend_id() -> CategoryId {
    id(COMPUTE_ACTION_SCHEME, "suspend")
}

/// `…/compute/action#save` (1.2).
pub fn compute_save_id() -> CategoryId {
    id(COMPUTE_ACTION_SCHEME, "save")
}

/// `…/network/action#up`.
pub fn network_up_id() -> CategoryId {
    id(NETWORK_ACTION_SCHEME, "up")
}

/// `…/network/action#down`.
pub fn network_down_id() -> CategoryId {
    id(NETWORK_ACTION_SCHEME, "down")
}

/// `…/storage/action#online`.
pub fn storage_online_id() -> CategoryId {
    id(STORAGE_ACTION_SCHEME, "online")
}

/// `…/storage/action#offline`.
pub fn storage_offline_id() -> CategoryId {
    id(STORAGE_ACTION_SCHEME, "offline")
}

/// `…/storage/action#backup` (1.1).
pub fn storage_backup_id() -> CategoryId {
    id(STORAGE_ACTION_SCHEME, "backup")
}

/// `…/storage/action#snapshot` (1.1).
pub fn storage_snapshot_id() -> CategoryId {
    id(STORAGE_ACTION_SCHEME, "snapshot")
}

/// `…/storage/action#resize` (1.1).
pub fn storage_resize_id() -> CategoryId {
    id(STORAGE_ACTION_SCHEME, "resize")
}

// ----- patterns -----

const IPV4: &str = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}";

/// RFC 3986 `IPv6address`, written out rule by rule.
fn ipv6() -> String {
    let h = "[0-9A-Fa-f]{1,4}";
    let ls32 = format!("(?:{h}:{h}|{IPV4})");
    // `[ *n( h16 ":" ) h16 ]`: up to n + 1 groups before "::".
    let head = |n: usize| format!("(?:(?:{h}:){{0,{n}}}{h})?");
    [
        format!("(?:{h}:){{6}}{ls32}"),
        format!("::(?:{h}:){{5}}{ls32}"),
        format!("(?:{h})?::(?:{h}:){{4}}{ls32}"),
        format!("{}::(?:{h}:){{3}}{ls32}", head(1)),
        format!("{}::(?:{h}:){{2}}{ls32}", head(2)),
        format!("{}::{h}:{ls32}", head(3)),
        format!("{}::{ls32}", head(4)),
        format!("{}::{h}", head(5)),
        format!("{}::", head(6)),
    ]
    .map(|alternative| format!("(?:{alternative})"))
    .join("|")
}

/// A whole IPv4 or IPv6 address (RFC 3986 `IPv4address` / `IPv6address`), such as
/// `192.168.0.1` or `fc00::1`: the pattern of the gateways and of
/// `occi.networkinterface.address`. It is compiled once per process; each call returns a
/// clone that shares the compiled program.
///
/// ```
/// use occi_model::ext::infrastructure::ip_address_pattern;
/// let p = ip_address_pattern();
/// assert!(p.is_match("10.0.0.1") && p.is_match("fc00::1") && p.is_match("::ffff:1.2.3.4"));
/// assert!(!p.is_match("10.0.0.256") && !p.is_match("fc00:::1") && !p.is_match("10.0.0.1/8"));
/// ```
pub fn ip_address_pattern() -> Pattern {
    static COMPILED: LazyLock<Pattern> = LazyLock::new(|| {
        Pattern::new(&format!("^(?:{IPV4}|{})$", ipv6())).expect("the address pattern compiles")
    });
    COMPILED.clone()
}

/// A whole IPv4 or IPv6 address range in CIDR notation, such as `192.168.0.0/24` or
/// `fc00::/7`: the pattern of `occi.network.address`. The prefix length is required and at
/// most 32 (IPv4) or 128 (IPv6). Compiled once per process, like [`ip_address_pattern`].
///
/// ```
/// use occi_model::ext::infrastructure::cidr_pattern;
/// let p = cidr_pattern();
/// assert!(p.is_match("192.168.0.1/24") && p.is_match("fc00::/7"));
/// assert!(!p.is_match("192.168.0.1") && !p.is_match("10.0.0.0/33") && !p.is_match("::/129"));
/// ```
pub fn cidr_pattern() -> Pattern {
    static COMPILED: LazyLock<Pattern> = LazyLock::new(|| {
        Pattern::new(&format!(
            "^(?:{IPV4}/(?:3[0-2]|[12]?[0-9])|(?:{})/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))$",
            ipv6()
        ))
        .expect("the CIDR pattern compiles")
    });
    COMPILED.clone()
}

/// An RFC 7230 token (one or more `tchar`s), such as `external-dmz`: the pattern of
/// `occi.network.label`.
///
/// ```
/// use occi_model::ext::infrastructure::token_pattern;
/// assert!(token_pattern().is_match("external-dmz"));
/// assert!(!token_pattern().is_match("two words") && !token_pattern().is_match(""));
/// ```
pub fn token_pattern() -> Pattern {
    Pattern::new(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$").expect("the token pattern compiles")
}

// ----- the model -----

fn state(name: &'static str, values: &[&str], initial: &str, what: &str) -> AttributeDefinition {
    def(
        name,
        enumeration(values),
        &format!("Current state of the {what}"),
    )
    .immutable()
    .with_default(initial.into())
}

fn state_message(name: &'static str) -> AttributeDefinition {
    def(
        name,
        AttributeType::String,
        "Human-readable explanation of the current instance state",
    )
    .immutable()
}

fn method(values: &[&str]) -> AttributeDefinition {
    def(
        attr::METHOD,
        enumeration(values),
        "How to perform the action",
    )
}

/// The Actions of `version`, in registration order.
fn actions(version: OcciVersion) -> Vec<Action> {
    let v12 = version == OcciVersion::V1_2;
    let mut out = vec![
        Action::new(compute_start_id()).with_title("Start the system"),
        Action::new(compute_stop_id())
            .with_title("Stop the system (graceful, acpioff or poweroff)")
            .with_attribute(method(&["graceful", "acpioff", "poweroff"])),
        Action::new(compute_restart_id())
            .with_title("Restart the system (graceful, warm or cold)")
            .with_attribute(method(&["graceful", "warm", "cold"])),
        Action::new(compute_suspend_id())
            .with_title("Suspend the system (hibernate or in RAM)")
            .with_attribute(method(&["hibernate", "suspend"])),
    ];
    if v12 {
        out.push(
            Action::new(compute_save_id())
                .with_title("Save the system into a new OS template (hot or deferred)")
                .with_attribute(method(&["hot", "deferred"]))
                .with_attribute(def(
                    attr::NAME,
                    AttributeType::String,
                    "Name of the new OS template (the provider may ignore or override it)",
                )),
        );
    }
    out.push(Action::new(network_up_id()).with_title("Activate the network"));
    out.push(Action::new(network_down_id()).with_title("Deactivate the network"));
    out.push(Action::new(storage_online_id()).with_title("Bring the storage online"));
    out.push(Action::new(storage_offline_id()).with_title("Take the storage offline"));
    if !v12 {
        out.push(Action::new(storage_backup_id()).with_title("Back the storage up"));
        out.push(Action::new(storage_snapshot_id()).with_title("Take a snapshot of the storage"));
        out.push(
            Action::new(storage_resize_id())
                .with_title("Resize the storage")
                .with_attribute(
                    def(attr::SIZE, AttributeType::Float, "The new size in GiB").required(),
                ),
        );
    }
    out
}

fn compute_kind(version: OcciVersion) -> Kind {
    let v12 = version == OcciVersion::V1_2;
    let mut kind = Kind::new(compute_id())
        .with_title("Compute Resource")
        .with_parent(core::resource_id())
        .with_location(location("/compute/"))
        .with_attribute(def(
            attr::COMPUTE_ARCHITECTURE,
            enumeration(&["x86", "x64"]),
            "CPU architecture of the instance",
        ))
        .with_attribute(def(
            attr::COMPUTE_CORES,
            AttributeType::Integer,
            if v12 {
                "Number of virtual CPU cores assigned to the instance"
            } else {
                "Number of CPU cores assigned to the instance"
            },
        ))
        .with_attribute(def(
            attr::COMPUTE_HOSTNAME,
            AttributeType::String,
            "Fully qualified DNS hostname of the instance",
        ));
    kind = if v12 {
        kind.with_attribute(def(
            attr::COMPUTE_SHARE,
            AttributeType::Integer,
            "Relative number of CPU shares for the instance",
        ))
    } else {
        kind.with_attribute(def(
            attr::COMPUTE_SPEED,
            AttributeType::Float,
            "CPU clock frequency (speed) in gigahertz",
        ))
    };
    kind = kind.with_attribute(def(
        attr::COMPUTE_MEMORY,
        AttributeType::Float,
        "Maximum RAM in gigabytes allocated to the instance",
    ));
    if v12 {
        kind.with_attribute(state(
            attr::COMPUTE_STATE,
            &["active", "inactive", "suspended", "error"],
            "inactive",
            "instance",
        ))
        .with_attribute(state_message(attr::COMPUTE_STATE_MESSAGE))
        .with_action(compute_start_id())
        .with_action(compute_stop_id())
        .with_action(compute_restart_id())
        .with_action(compute_suspend_id())
        .with_action(compute_save_id())
    } else {
        kind.with_attribute(state(
            attr::COMPUTE_STATE,
            &["active", "inactive", "suspended"],
            "inactive",
            "instance",
        ))
        .with_action(compute_start_id())
        .with_action(compute_stop_id())
        .with_action(compute_restart_id())
        .with_action(compute_suspend_id())
    }
}

fn network_kind(version: OcciVersion) -> Kind {
    let v12 = version == OcciVersion::V1_2;
    let states: &[&str] = if v12 {
        &["active", "inactive", "error"]
    } else {
        &["active", "inactive"]
    };
    let mut kind = Kind::new(network_id())
        .with_title("Network Resource")
        .with_parent(core::resource_id())
        .with_location(location("/network/"))
        .with_attribute(
            def(
                attr::NETWORK_VLAN,
                AttributeType::Integer,
                "802.1q VLAN identifier",
            )
            .with_range(Some(0.0), Some(4095.0)),
        )
        .with_attribute(
            def(
                attr::NETWORK_LABEL,
                AttributeType::String,
                "Tag based VLANs (a token such as external-dmz)",
            )
            .with_pattern(token_pattern()),
        )
        .with_attribute(state(attr::NETWORK_STATE, states, "inactive", "network"));
    if v12 {
        kind = kind.with_attribute(state_message(attr::NETWORK_STATE_MESSAGE));
    }
    kind.with_action(network_up_id())
        .with_action(network_down_id())
}

fn storage_kind(version: OcciVersion) -> Kind {
    let v12 = version == OcciVersion::V1_2;
    let kind = Kind::new(storage_id())
        .with_title("Storage Resource")
        .with_parent(core::resource_id())
        .with_location(location("/storage/"))
        .with_attribute(
            def(
                attr::STORAGE_SIZE,
                AttributeType::Float,
                "Storage size of the instance in gigabytes",
            )
            .required(),
        );
    if v12 {
        kind.with_attribute(state(
            attr::STORAGE_STATE,
            &["online", "offline", "error"],
            "offline",
            "storage",
        ))
        .with_attribute(state_message(attr::STORAGE_STATE_MESSAGE))
        .with_action(storage_online_id())
        .with_action(storage_offline_id())
    } else {
        kind.with_attribute(state(
            attr::STORAGE_STATE,
            &[
                "online", "offline", "backup", "snapshot", "resize", "degraded",
            ],
            "offline",
            "storage",
        ))
        .with_action(storage_online_id())
        .with_action(storage_offline_id())
        .with_action(storage_backup_id())
        .with_action(storage_snapshot_id())
        .with_action(storage_resize_id())
    }
}

fn link_states(version: OcciVersion) -> &'static [&'static str] {
    match version {
        OcciVersion::V1_1 => &["active", "inactive"],
        OcciVersion::V1_2 => &["active", "inactive", "error"],
    }
}

fn networkinterface_kind(version: OcciVersion) -> Kind {
    let mut kind = Kind::new(networkinterface_id())
        .with_title("NetworkInterface Link")
        .with_parent(core::link_id())
        .with_location(location("/networkinterface/"))
        .with_attribute(
            def(
                attr::NETWORKINTERFACE_INTERFACE,
                AttributeType::String,
                "Identifier of the network interface (such as eth0), assigned by the provider",
            )
            .immutable(),
        )
        .with_attribute(
            def(
                attr::NETWORKINTERFACE_MAC,
                AttributeType::String,
                "MAC address associated with the link's device interface",
            )
            .required(),
        )
        .with_attribute(state(
            attr::NETWORKINTERFACE_STATE,
            link_states(version),
            "inactive",
            "link",
        ));
    if version == OcciVersion::V1_2 {
        kind = kind.with_attribute(state_message(attr::NETWORKINTERFACE_STATE_MESSAGE));
    }
    kind
}

fn storagelink_kind(version: OcciVersion) -> Kind {
    let mut kind = Kind::new(storagelink_id())
        .with_title("StorageLink Link")
        .with_parent(core::link_id())
        .with_location(location("/storagelink/"))
        .with_attribute(
            def(
                attr::STORAGELINK_DEVICEID,
                AttributeType::String,
                "Device identifier as defined by the OCCI service provider",
            )
            .required(),
        )
        .with_attribute(def(
            attr::STORAGELINK_MOUNTPOINT,
            AttributeType::String,
            "Point to where the storage is mounted in the guest OS",
        ))
        .with_attribute(state(
            attr::STORAGELINK_STATE,
            link_states(version),
            "inactive",
            "link",
        ));
    if version == OcciVersion::V1_2 {
        kind = kind.with_attribute(state_message(attr::STORAGELINK_STATE_MESSAGE));
    }
    kind
}

/// The Kinds of `version`, in registration order.
fn kinds(version: OcciVersion) -> Vec<Kind> {
    vec![
        compute_kind(version),
        storage_kind(version),
        network_kind(version),
        networkinterface_kind(version),
        storagelink_kind(version),
    ]
}

fn allocation(name: &'static str) -> AttributeDefinition {
    def(
        name,
        enumeration(&["dynamic", "static"]),
        "Address allocation mechanism: dynamic (e.g. DHCP) or static",
    )
}

/// The Mixins of `version`, in registration order.
fn mixins(version: OcciVersion) -> Vec<Mixin> {
    let v12 = version == OcciVersion::V1_2;
    let mut ipnetwork = Mixin::new(ipnetwork_id())
        .with_title("IP Networking Mixin")
        .with_location(location("/ipnetwork/"))
        .with_attribute(
            def(
                attr::NETWORK_ADDRESS,
                AttributeType::String,
                "Internet Protocol (IP) network address range in CIDR notation",
            )
            .with_pattern(cidr_pattern()),
        )
        .with_attribute(
            def(
                attr::NETWORK_GATEWAY,
                AttributeType::String,
                "Internet Protocol (IP) network address of the gateway",
            )
            .with_pattern(ip_address_pattern()),
        )
        .with_attribute(allocation(attr::NETWORK_ALLOCATION));
    let mut ipnetworkinterface = Mixin::new(ipnetworkinterface_id())
        .with_title("IP NetworkInterface Mixin")
        .with_location(location("/ipnetworkinterface/"))
        .with_attribute(
            def(
                attr::NETWORKINTERFACE_ADDRESS,
                AttributeType::String,
                "Internet Protocol (IP) address of the interface",
            )
            .with_pattern(ip_address_pattern())
            .required(),
        )
        .with_attribute(
            def(
                attr::NETWORKINTERFACE_GATEWAY,
                AttributeType::String,
                "Internet Protocol (IP) address of the gateway",
            )
            .with_pattern(ip_address_pattern()),
        )
        .with_attribute(allocation(attr::NETWORKINTERFACE_ALLOCATION).required());
    // OCCI 1.1 has no `applies` relation, but I11 §3.2.1 and §3.4.1 restrict these Mixins
    // to networks and network interfaces just the same; the model records the restriction in
    // both versions (the 1.1 text rendering has no place to show it).
    ipnetwork = ipnetwork.with_applies(network_id());
    ipnetworkinterface = ipnetworkinterface.with_applies(networkinterface_id());
    let mut out = vec![
        ipnetwork,
        ipnetworkinterface,
        Mixin::new(os_tpl_id())
            .with_title("OS Template")
            .with_location(location("/os_tpl/")),
        Mixin::new(resource_tpl_id())
            .with_title("Resource Template")
            .with_location(location("/resource_tpl/")),
    ];
    if v12 {
        out.push(
            Mixin::new(ssh_key_id())
                .with_title("Credentials Mixin")
                .with_applies(compute_id())
                .with_location(location("/ssh_key/"))
                .with_attribute(
                    def(
                        attr::SSH_PUBLICKEY,
                        AttributeType::String,
                        "The contents of the public key file to be injected into the instance",
                    )
                    .required(),
                ),
        );
        out.push(
            Mixin::new(user_data_id())
                .with_title("Contextualization Mixin")
                .with_applies(compute_id())
                .with_location(location("/user_data/"))
                .with_attribute(
                    def(
                        attr::COMPUTE_USERDATA,
                        AttributeType::String,
                        "Contextualization data (e.g. a script) the instance runs as the last \
                         step of booting; given once at creation, it cannot be updated",
                    )
                    .required()
                    .create_only(),
                ),
        );
    }
    out
}

fn compute_machine(version: OcciVersion) -> StateMachine {
    let machine = StateMachine::new(super::name(attr::COMPUTE_STATE), "inactive")
        .with_transition("inactive", &compute_start_id(), "active")
        .with_transition("suspended", &compute_start_id(), "active")
        .with_transition("active", &compute_stop_id(), "inactive")
        .with_transition("active", &compute_restart_id(), "active")
        .with_transition("active", &compute_suspend_id(), "suspended");
    match version {
        OcciVersion::V1_1 => machine,
        OcciVersion::V1_2 => machine
            .with_transition("active", &compute_save_id(), "active")
            .with_error_state("error"),
    }
}

fn storage_machine(version: OcciVersion) -> StateMachine {
    let machine = StateMachine::new(super::name(attr::STORAGE_STATE), "offline")
        .with_transition("offline", &storage_online_id(), "online")
        .with_transition("online", &storage_offline_id(), "offline");
    match version {
        OcciVersion::V1_1 => machine
            .with_transition("degraded", &storage_offline_id(), "offline")
            .with_transition("online", &storage_backup_id(), "backup")
            .with_transition("online", &storage_snapshot_id(), "snapshot")
            .with_transition("online", &storage_resize_id(), "resize"),
        OcciVersion::V1_2 => machine.with_error_state("error"),
    }
}

fn network_machine(version: OcciVersion) -> StateMachine {
    let machine = StateMachine::new(super::name(attr::NETWORK_STATE), "inactive")
        .with_transition("inactive", &network_up_id(), "active")
        .with_transition("active", &network_down_id(), "inactive");
    match version {
        OcciVersion::V1_1 => machine,
        OcciVersion::V1_2 => machine.with_error_state("error"),
    }
}

fn link_machine(version: OcciVersion, attribute: &'static str) -> StateMachine {
    let machine = StateMachine::new(super::name(attribute), "inactive");
    match version {
        OcciVersion::V1_1 => machine,
        OcciVersion::V1_2 => machine.with_error_state("error"),
    }
}

fn register_into(registry: &mut Registry) -> Result<(), RegistryError> {
    let version = registry.version();
    for action in actions(version) {
        registry.register_action(action)?;
    }
    for kind in kinds(version) {
        registry.register_kind(kind)?;
    }
    for mixin in mixins(version) {
        registry.register_mixin(mixin)?;
    }
    registry.register_state_machine(&compute_id(), compute_machine(version))?;
    registry.register_state_machine(&storage_id(), storage_machine(version))?;
    registry.register_state_machine(&network_id(), network_machine(version))?;
    registry.register_state_machine(
        &networkinterface_id(),
        link_machine(version, attr::NETWORKINTERFACE_STATE),
    )?;
    registry.register_state_machine(
        &storagelink_id(),
        link_machine(version, attr::STORAGELINK_STATE),
    )?;
    registry.register_link_endpoints(
        &networkinterface_id(),
        LinkEndpoints {
            source: vec![compute_id()],
            target: vec![network_id()],
        },
    )?;
    registry.register_link_endpoints(
        &storagelink_id(),
        LinkEndpoints {
            source: vec![core::resource_id()],
            target: vec![storage_id()],
        },
    )?;
    registry.register_exclusive_family(&os_tpl_id())?;
    registry.register_exclusive_family(&resource_tpl_id())?;
    Ok(())
}

/// Registers the Infrastructure model of `registry.version()`: OCCI 1.2 (GFD.224) or
/// OCCI 1.1 (GFD.184); see the module docs for what each holds.
///
/// All or nothing: on error (for example [`crate::RegistryErrorKind::DuplicateId`] when the
/// model is registered twice) the registry is unchanged.
///
/// ```
/// use occi_model::{OcciVersion, Registry, ext::infrastructure};
/// let mut registry = Registry::new(OcciVersion::V1_2);
/// infrastructure::register(&mut registry)?;
/// assert!(registry.kind(&infrastructure::compute_id()).is_some());
/// assert_eq!(registry.by_location("/storage/").unwrap().id(), &infrastructure::storage_id());
/// # Ok::<(), occi_model::RegistryError>(())
/// ```
pub fn register(registry: &mut Registry) -> Result<(), RegistryError> {
    registry.atomically(register_into)
}

/// A CRTP template: (term, title, cores, memory GiB, ephemeral storage GiB).
const CRTP_TEMPLATES: [(&str, &str, i64, f64, f64); 6] = [
    ("small", "Small instance", 1, 1.0, 10.0),
    ("medium", "Medium instance", 2, 2.0, 20.0),
    ("large", "Large instance", 4, 4.0, 40.0),
    ("mem_small", "Small memory-optimised instance", 1, 4.0, 10.0),
    (
        "mem_medium",
        "Medium memory-optimised instance",
        2,
        8.0,
        20.0,
    ),
    (
        "mem_large",
        "Large memory-optimised instance",
        4,
        16.0,
        40.0,
    ),
];

/// The scheme of the CRTP templates for `version`: CRTP 1.0 for OCCI 1.1, CRTP 1.1 for
/// OCCI 1.2.
pub fn crtp_scheme(version: OcciVersion) -> &'static str {
    match version {
        OcciVersion::V1_1 => "http://schemas.ogf.org/occi/infrastructure/compute/template/1.0#",
        OcciVersion::V1_2 => "http://schemas.ogf.org/occi/infrastructure/compute/template/1.1#",
    }
}

/// The id of the CRTP template `term` (`small`, `medium`, `large`, `mem_small`,
/// `mem_medium` or `mem_large`) for `version`, or `None` for another term.
pub fn crtp_template_id(version: OcciVersion, term: &str) -> Option<CategoryId> {
    CRTP_TEMPLATES
        .iter()
        .find(|t| t.0 == term)
        .map(|t| id(crtp_scheme(version), t.0))
}

/// Registers the six CRTP resource templates (section "Compute Resource Templates
/// Profile"): Mixins depending on `resource_tpl` (and, in 1.2, applying to compute) whose
/// attributes give the defaults of `occi.compute.cores`, `occi.compute.memory` and
/// `occi.compute.ephemeral_storage.size`, plus `occi.compute.ephemeral_storage.deviceid`.
/// Each is served at `/resource_tpl/<term>/`.
///
/// [`register`] must have run first. All or nothing, like [`register`].
///
/// ```
/// use occi_model::{AttributeValue, OcciVersion, Registry, ext::infrastructure};
/// let mut registry = Registry::new(OcciVersion::V1_2);
/// infrastructure::register(&mut registry)?;
/// infrastructure::register_crtp_templates(&mut registry)?;
/// let small = infrastructure::crtp_template_id(OcciVersion::V1_2, "small").unwrap();
/// let cores = registry
///     .attribute_definition(&infrastructure::compute_id(), &[small], &"occi.compute.cores".parse()?)
///     .unwrap();
/// assert_eq!(cores.default, Some(AttributeValue::Integer(1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register_crtp_templates(registry: &mut Registry) -> Result<(), RegistryError> {
    let version = registry.version();
    registry.atomically(|staged| {
        for (term, title, cores, memory, ephemeral) in CRTP_TEMPLATES {
            let mixin = Mixin::new(id(crtp_scheme(version), term))
                .with_title(title)
                .with_depends(resource_tpl_id())
                .with_location(location(&format!("/resource_tpl/{term}/")))
                .with_attribute(
                    def(
                        attr::COMPUTE_CORES,
                        AttributeType::Integer,
                        "Number of CPU cores of the template",
                    )
                    .with_default(AttributeValue::Integer(cores)),
                )
                .with_attribute(
                    def(
                        attr::COMPUTE_MEMORY,
                        AttributeType::Float,
                        "Memory of the template in GiB",
                    )
                    .with_default(float(memory)),
                )
                .with_attribute(
                    def(
                        attr::EPHEMERAL_STORAGE_SIZE,
                        AttributeType::Float,
                        "Size of the ephemeral storage in GiB",
                    )
                    .immutable()
                    .with_default(float(ephemeral)),
                )
                .with_attribute(def(
                    attr::EPHEMERAL_STORAGE_DEVICEID,
                    AttributeType::String,
                    "Device identifier of the ephemeral storage",
                ));
            // Compute resource templates (in 1.1 too, where no rendering shows `applies`).
            staged.register_mixin(mixin.with_applies(compute_id()))?;
        }
        Ok(())
    })
}
