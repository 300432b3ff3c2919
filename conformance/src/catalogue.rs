//! The requirement catalogue: `requirements.toml`, loaded, validated and selected from.
//!
//! The catalogue ships inside the crate ([`Catalogue::embedded`]); a replacement can be loaded
//! from a file ([`Catalogue::from_path`]) or a string ([`Catalogue::from_toml_str`]). Loading
//! validates every entry: ids have the form `GROUP-NNN` and are unique, the group matches the
//! id, levels, versions, profiles and statuses are known values, and per-version levels agree
//! with the overall level.
//!
//! ```
//! use occi_conformance::catalogue::{Catalogue, Level, Selection};
//!
//! let catalogue = Catalogue::embedded();
//! let qi = catalogue.get("QI-001").unwrap();
//! assert_eq!(qi.level, Level::Must);
//!
//! let selection = Selection::default().only(["QI-00?"]);
//! assert_eq!(catalogue.select(&selection).count(), 9);
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::glob::Glob;

/// The catalogue shipped with this crate.
pub const EMBEDDED_CATALOGUE: &str = include_str!("../requirements.toml");

/// The strength of a requirement.
///
/// The order is by strength: `May < Should < Must`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Informational: project policy or tolerated behaviour. Never counted as non-conformance.
    #[serde(rename = "MAY")]
    May,
    /// A recommendation. A failure is a warning, or a failure in strict mode.
    #[serde(rename = "SHOULD")]
    Should,
    /// A requirement. A failure is a non-conformance.
    #[serde(rename = "MUST")]
    Must,
}

impl Level {
    /// All levels, strongest first (the order of report tables).
    pub const ALL: [Level; 3] = [Level::Must, Level::Should, Level::May];

    /// The keyword as written in the catalogue (`MUST`, `SHOULD`, `MAY`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OCCI version a requirement applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OcciVersion {
    /// OCCI 1.1 (GFD.183 to GFD.185).
    #[serde(rename = "1.1")]
    V1_1,
    /// OCCI 1.2 (GFD.221 to GFD.229).
    #[serde(rename = "1.2")]
    V1_2,
}

impl OcciVersion {
    /// The version number as text (`1.1`, `1.2`).
    pub fn as_str(self) -> &'static str {
        match self {
            OcciVersion::V1_1 => "1.1",
            OcciVersion::V1_2 => "1.2",
        }
    }
}

impl fmt::Display for OcciVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A conformance profile: a named subset of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// The OCCI Core model and HTTP protocol.
    Core,
    /// The OCCI Infrastructure model (compute, storage, network and their links).
    Infrastructure,
    /// The `text/plain` rendering.
    TextPlain,
    /// The `text/occi` rendering (data in HTTP headers).
    TextOcci,
    /// The `application/occi+json` rendering.
    Json,
    /// Requirements that apply to OCCI 1.1.
    #[serde(rename = "occi-1.1")]
    Occi11,
    /// Requirements that apply to OCCI 1.2.
    #[serde(rename = "occi-1.2")]
    Occi12,
    /// The Hurtle Service Manager profile.
    Sm,
    /// The Hurtle Service Orchestrator profile.
    So,
    /// The Hurtle Cloud Controller profile.
    Cc,
}

impl Profile {
    /// Every profile, in catalogue order.
    pub const ALL: [Profile; 10] = [
        Profile::Core,
        Profile::Infrastructure,
        Profile::TextPlain,
        Profile::TextOcci,
        Profile::Json,
        Profile::Occi11,
        Profile::Occi12,
        Profile::Sm,
        Profile::So,
        Profile::Cc,
    ];

    /// The profile name as used on the command line and in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Core => "core",
            Profile::Infrastructure => "infrastructure",
            Profile::TextPlain => "text-plain",
            Profile::TextOcci => "text-occi",
            Profile::Json => "json",
            Profile::Occi11 => "occi-1.1",
            Profile::Occi12 => "occi-1.2",
            Profile::Sm => "sm",
            Profile::So => "so",
            Profile::Cc => "cc",
        }
    }

    /// Parses a profile name (`core`, `occi-1.2`, ...).
    pub fn from_name(name: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The OCCI version this profile stands for, if it is a version profile.
    pub fn version(self) -> Option<OcciVersion> {
        match self {
            Profile::Occi11 => Some(OcciVersion::V1_1),
            Profile::Occi12 => Some(OcciVersion::V1_2),
            _ => None,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a requirement is verified by the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A check verifies it.
    Automated,
    /// A person has to verify it; the suite documents how.
    Manual,
    /// Not verified yet.
    NotYet,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 3] = [Status::Automated, Status::Manual, Status::NotYet];

    /// The status as written in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Automated => "automated",
            Status::Manual => "manual",
            Status::NotYet => "not-yet",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The assertion groups, in catalogue order, with their titles.
pub const GROUPS: [(&str, &str); 16] = [
    ("QI", "Query interface"),
    ("ENT", "Entity CRUD"),
    ("COL", "Collections, filtering, pagination"),
    ("MIX", "Mixins"),
    ("ACT", "Actions"),
    ("LNK", "Links"),
    ("TXT", "text/plain rendering"),
    ("OCC", "text/occi rendering"),
    ("URI", "text/uri-list"),
    ("JSN", "JSON rendering"),
    ("ERR", "Error handling and bad input"),
    ("HTP", "HTTP framing and negotiation"),
    ("INF", "Infrastructure"),
    ("SM", "Hurtle Service Manager"),
    ("SO", "Hurtle Service Orchestrator"),
    ("CC", "Hurtle Cloud Controller"),
];

/// The title of an assertion group (`QI` gives `Query interface`).
pub fn group_title(group: &str) -> Option<&'static str> {
    GROUPS.iter().find(|(g, _)| *g == group).map(|(_, t)| *t)
}

/// The position of a group in catalogue order; unknown groups sort last.
pub fn group_rank(group: &str) -> usize {
    GROUPS
        .iter()
        .position(|(g, _)| *g == group)
        .unwrap_or(GROUPS.len())
}

/// One requirement of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The stable id, `GROUP-NNN` (for example `QI-001`).
    pub id: String,
    /// The normative document (`GFD.185`, `RFC 2483`, `Hurtle`, or `occi-rs policy`).
    pub document: String,
    /// The section of [`Requirement::document`], or `-`.
    pub section: String,
    /// Every citation, as the source list gives it (for example `H11 §3.4.1; P12 §9.1`).
    pub source: String,
    /// The level exactly as the source writes it, qualifiers included.
    pub spec_level: String,
    /// The level: for split levels, the stronger one.
    pub level: Level,
    /// The level per OCCI version, when it differs between versions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub level_by_version: BTreeMap<OcciVersion, Level>,
    /// The condition under which the requirement applies (a feature is offered or claimed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The OCCI versions the requirement applies to.
    pub versions: Vec<OcciVersion>,
    /// The assertion group (`QI`, `ENT`, ...), equal to the id's prefix.
    pub group: String,
    /// The section of the source assertion list the entry comes from.
    pub catalogue_section: String,
    /// The profiles that select the requirement.
    pub profiles: Vec<Profile>,
    /// The requirement in one sentence.
    pub statement: String,
    /// The matching ETSI TS 103 142 test descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etsi: Option<String>,
    /// Anything a reader of a failure should know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How far the suite verifies it.
    pub status: Status,
}

impl Requirement {
    /// The level that applies when testing `version`.
    pub fn level_for(&self, version: OcciVersion) -> Level {
        self.level_by_version
            .get(&version)
            .copied()
            .unwrap_or(self.level)
    }

    /// Whether the requirement applies to `version`.
    pub fn applies_to(&self, version: OcciVersion) -> bool {
        self.versions.contains(&version)
    }

    /// Whether the requirement belongs to `profile`.
    pub fn in_profile(&self, profile: Profile) -> bool {
        self.profiles.contains(&profile)
    }
}

/// What went wrong while loading a catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CatalogueErrorKind {
    /// The file could not be read.
    Io,
    /// The text is not valid TOML or does not have the catalogue's shape
    /// (unknown fields, unknown level, profile or status values, ...).
    Syntax,
    /// An id does not have the form `GROUP-NNN`.
    BadId,
    /// Two entries share an id.
    DuplicateId,
    /// An entry is inconsistent (empty field, group not matching the id, ...).
    Invalid,
}

/// An error loading a catalogue: the kind, the requirement concerned if any, and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueError {
    kind: CatalogueErrorKind,
    id: Option<String>,
    message: String,
}

impl CatalogueError {
    fn new(kind: CatalogueErrorKind, id: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.map(str::to_owned),
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> CatalogueErrorKind {
        self.kind
    }

    /// The id of the offending requirement, when one is concerned.
    pub fn requirement_id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "requirement {id}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CatalogueError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    requirement: Vec<Requirement>,
}

/// A validated set of requirements, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalogue {
    requirements: Vec<Requirement>,
}

impl Catalogue {
    /// The catalogue shipped with the crate.
    ///
    /// The embedded file is validated by the crate's tests, so this cannot fail at run time.
    pub fn embedded() -> Catalogue {
        Catalogue::from_toml_str(EMBEDDED_CATALOGUE).expect("the embedded catalogue is valid")
    }

    /// Loads and validates a catalogue file.
    pub fn from_path(path: &Path) -> Result<Catalogue, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CatalogueError::new(
                CatalogueErrorKind::Io,
                None,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Catalogue::from_toml_str(&text)
    }

    /// Parses and validates catalogue text.
    pub fn from_toml_str(text: &str) -> Result<Catalogue, CatalogueError> {
        let file: CatalogueFile = toml::from_str(text).map_err(|e| {
            CatalogueError::new(CatalogueErrorKind::Syntax, None, e.to_string().trim_end())
        })?;
        let mut seen = HashSet::new();
        for requirement in &file.requirement {
            validate(requirement)?;
            if !seen.insert(requirement.id.as_str()) {
                return Err(CatalogueError::new(
                    CatalogueErrorKind::DuplicateId,
                    Some(&requirement.id),
                    "the id is used more than once",
                ));
            }
        }
        Ok(Catalogue {
            requirements: file.requirement,
        })
    }

    /// Every requirement, in file order.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// The number of requirements.
    pub fn len(&self) -> usize {
        self.requirements.len()
    }

    /// Whether the catalogue is empty.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The requirement with this id.
    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The requirements a selection keeps, in file order.
    pub fn select<'a>(
        &'a self,
        selection: &'a Selection,
    ) -> impl Iterator<Item = &'a Requirement> + 'a {
        self.requirements.iter().filter(|r| selection.matches(r))
    }

    /// Counts of the given requirements by level, status and group.
    pub fn coverage<'a>(requirements: impl IntoIterator<Item = &'a Requirement>) -> Coverage {
        let mut coverage = Coverage::default();
        for requirement in requirements {
            coverage.total += 1;
            *coverage.by_level.entry(requirement.level).or_default() += 1;
            *coverage.by_status.entry(requirement.status).or_default() += 1;
            *coverage
                .by_group
                .entry(requirement.group.clone())
                .or_default() += 1;
        }
        coverage
    }
}

/// Requirement counts: total, by level, by status and by group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// The number of requirements.
    pub total: usize,
    /// Counts by level.
    pub by_level: BTreeMap<Level, usize>,
    /// Counts by status.
    pub by_status: BTreeMap<Status, usize>,
    /// Counts by group.
    pub by_group: BTreeMap<String, usize>,
}

fn is_valid_id(id: &str) -> bool {
    let Some((group, number)) = id.split_once('-') else {
        return false;
    };
    (2..=3).contains(&group.len())
        && group.bytes().all(|b| b.is_ascii_uppercase())
        && number.len() == 3
        && number.bytes().all(|b| b.is_ascii_digit())
}

fn validate(r: &Requirement) -> Result<(), CatalogueError> {
    let invalid = |message: String| {
        Err(CatalogueError::new(
            CatalogueErrorKind::Invalid,
            Some(&r.id),
            message,
        ))
    };
    if !is_valid_id(&r.id) {
        return Err(CatalogueError::new(
            CatalogueErrorKind::BadId,
            Some(&r.id),
            "ids have the form GROUP-NNN: two or three capital letters, a dash, three digits",
        ));
    }
    if r.id.split('-').next() != Some(r.group.as_str()) {
        return invalid(format!("the group {:?} is not the id's prefix", r.group));
    }
    for (name, value) in [
        ("document", &r.document),
        ("section", &r.section),
        ("source", &r.source),
        ("spec_level", &r.spec_level),
        ("catalogue_section", &r.catalogue_section),
        ("statement", &r.statement),
    ] {
        if value.trim().is_empty() {
            return invalid(format!("the field {name} is empty"));
        }
    }
    if r.statement.contains('\n') || !r.statement.ends_with('.') {
        return invalid("the statement is one sentence on one line, ending with '.'".to_owned());
    }
    if r.versions.is_empty() {
        return invalid("no version is given".to_owned());
    }
    if r.profiles.is_empty() {
        return invalid("no profile is given".to_owned());
    }
    if !r.level_by_version.is_empty() {
        if let Some(v) = r.level_by_version.keys().find(|v| !r.versions.contains(v)) {
            return invalid(format!(
                "level_by_version names {v}, which is not in versions"
            ));
        }
        let strongest = r.level_by_version.values().max().copied();
        if strongest != Some(r.level) {
            return invalid("level is not the strongest of level_by_version".to_owned());
        }
    }
    Ok(())
}

/// Which requirements a run or a listing covers.
///
/// A requirement is selected when all of the following hold:
///
/// - if any non-version profile is selected (`core`, `infrastructure`, a rendering, `sm`, `so`,
///   `cc`), the requirement belongs to at least one of them;
/// - if any version profile is selected (`occi-1.1`, `occi-1.2`), the requirement applies to at
///   least one of those versions;
/// - if `only` globs are given, its id matches at least one of them;
/// - its id matches none of the `skip` globs.
///
/// The default selection keeps everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    profiles: Vec<Profile>,
    only: Vec<Glob>,
    skip: Vec<Glob>,
}

impl Selection {
    /// Adds profiles to the selection.
    #[must_use]
    pub fn profiles(mut self, profiles: impl IntoIterator<Item = Profile>) -> Self {
        self.profiles.extend(profiles);
        self
    }

    /// Adds `--only` globs.
    #[must_use]
    pub fn only<S: AsRef<str>>(mut self, globs: impl IntoIterator<Item = S>) -> Self {
        self.only
            .extend(globs.into_iter().map(|g| Glob::new(g.as_ref())));
        self
    }

    /// Adds `--skip` globs.
    #[must_use]
    pub fn skip<S: AsRef<str>>(mut self, globs: impl IntoIterator<Item = S>) -> Self {
        self.skip
            .extend(globs.into_iter().map(|g| Glob::new(g.as_ref())));
        self
    }

    /// The selected profiles.
    pub fn selected_profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// Whether `requirement` is selected.
    pub fn matches(&self, requirement: &Requirement) -> bool {
        let (versions, features): (Vec<Profile>, Vec<Profile>) =
            self.profiles.iter().partition(|p| p.version().is_some());
        if !features.is_empty() && !features.iter().any(|p| requirement.in_profile(*p)) {
            return false;
        }
        if !versions.is_empty()
            && !versions
                .iter()
                .filter_map(|p| p.version())
                .any(|v| requirement.applies_to(v))
        {
            return false;
        }
        if !self.only.is_empty() && !self.only.iter().any(|g| g.matches(&requirement.id)) {
            return false;
        }
        !self.skip.iter().any(|g| g.matches(&requirement.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[requirement]]
id = "QI-001"
document = "GFD.185"
section = "3.4.1"
source = "H11 §3.4.1"
spec_level = "M"
level = "MUST"
versions = ["1.1", "1.2"]
group = "QI"
catalogue_section = "6.1"
profiles = ["core", "occi-1.1", "occi-1.2"]
statement = "The query interface answers."
status = "not-yet"
"#;

    fn with(field: &str, value: &str) -> String {
        ONE.lines()
            .map(|l| {
                if l.starts_with(&format!("{field} =")) {
                    format!("{field} = {value}")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_minimal_catalogue_loads() {
        let c = Catalogue::from_toml_str(ONE).unwrap();
        assert_eq!(c.len(), 1);
        let r = c.get("QI-001").unwrap();
        assert_eq!(r.level, Level::Must);
        assert_eq!(r.versions, vec![OcciVersion::V1_1, OcciVersion::V1_2]);
        assert_eq!(r.status, Status::NotYet);
    }

    #[test]
    fn malformed_entries_are_rejected_with_their_kind() {
        let cases = [
            (with("id", "\"QI-1\""), CatalogueErrorKind::BadId),
            (with("id", "\"qi-001\""), CatalogueErrorKind::BadId),
            (with("id", "\"QIXX-001\""), CatalogueErrorKind::BadId),
            (with("group", "\"ENT\""), CatalogueErrorKind::Invalid),
            (with("level", "\"MUSTN'T\""), CatalogueErrorKind::Syntax),
            (with("status", "\"done\""), CatalogueErrorKind::Syntax),
            (
                with("profiles", "[\"core\", \"xml\"]"),
                CatalogueErrorKind::Syntax,
            ),
            (with("profiles", "[]"), CatalogueErrorKind::Invalid),
            (with("versions", "[\"2.0\"]"), CatalogueErrorKind::Syntax),
            (with("versions", "[]"), CatalogueErrorKind::Invalid),
            (
                with("statement", "\"No full stop\""),
                CatalogueErrorKind::Invalid,
            ),
            (with("document", "\" \""), CatalogueErrorKind::Invalid),
            (format!("{ONE}\nbogus = 1\n"), CatalogueErrorKind::Syntax),
            (format!("{ONE}\n{ONE}"), CatalogueErrorKind::DuplicateId),
        ];
        for (text, kind) in cases {
            let err = Catalogue::from_toml_str(&text).unwrap_err();
            assert_eq!(err.kind(), kind, "{err}");
        }
    }

    #[test]
    fn split_levels_are_checked() {
        let ok =
            format!("{ONE}level_by_version = {{ \"1.1\" = \"MUST\", \"1.2\" = \"SHOULD\" }}\n");
        let c = Catalogue::from_toml_str(&ok).unwrap();
        let r = c.get("QI-001").unwrap();
        assert_eq!(r.level_for(OcciVersion::V1_1), Level::Must);
        assert_eq!(r.level_for(OcciVersion::V1_2), Level::Should);

        let weaker =
            format!("{ONE}level_by_version = {{ \"1.1\" = \"SHOULD\", \"1.2\" = \"MAY\" }}\n");
        let err = Catalogue::from_toml_str(&weaker).unwrap_err();
        assert_eq!(err.kind(), CatalogueErrorKind::Invalid);
        assert_eq!(err.requirement_id(), Some("QI-001"));
    }

    #[test]
    fn profile_names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_name(p.as_str()), Some(p));
        }
        assert_eq!(Profile::from_name("xml"), None);
    }

    #[test]
    fn group_order_and_titles() {
        assert_eq!(group_title("QI"), Some("Query interface"));
        assert_eq!(group_title("XYZ"), None);
        assert!(group_rank("QI") < group_rank("INF"));
        assert_eq!(group_rank("XYZ"), GROUPS.len());
    }
}
