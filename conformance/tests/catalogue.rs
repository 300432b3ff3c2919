//! The shipped catalogue: size, ids, selection, and agreement with the specification digest.

use std::collections::HashSet;
use std::path::Path;

use occi_conformance::catalogue::{Catalogue, Level, OcciVersion, Profile, Selection, Status};

#[test]
fn the_embedded_catalogue_loads_with_unique_ids() {
    let catalogue = Catalogue::embedded();
    assert!(catalogue.len() >= 150, "{} entries", catalogue.len());
    let ids: HashSet<&str> = catalogue
        .requirements()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids.len(), catalogue.len());
    assert!(
        catalogue
            .requirements()
            .iter()
            .all(|r| r.status != Status::Manual)
    );
}

#[test]
fn loading_from_a_path_gives_the_embedded_catalogue() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("requirements.toml");
    assert_eq!(Catalogue::from_path(&path).unwrap(), Catalogue::embedded());
    let missing = Catalogue::from_path(Path::new("/nonexistent/requirements.toml")).unwrap_err();
    assert!(missing.to_string().contains("cannot read"), "{missing}");
}

#[test]
fn counts_by_group() {
    let coverage = Catalogue::coverage(Catalogue::embedded().requirements());
    let expected = [
        ("QI", 27),
        ("ENT", 31),
        ("COL", 17),
        ("MIX", 14),
        ("ACT", 13),
        ("LNK", 12),
        ("TXT", 18),
        ("OCC", 6),
        ("URI", 4),
        ("JSN", 16),
        ("ERR", 17),
        ("HTP", 11),
        ("INF", 23),
        ("SM", 21),
        ("SO", 17),
        ("CC", 11),
    ];
    for (group, n) in expected {
        assert_eq!(coverage.by_group.get(group), Some(&n), "{group}");
    }
    assert_eq!(coverage.total, 258);
}

#[test]
fn selection_by_glob_and_profile() {
    let catalogue = Catalogue::embedded();
    let ids =
        |s: &Selection| -> Vec<String> { catalogue.select(s).map(|r| r.id.clone()).collect() };

    assert_eq!(ids(&Selection::default().only(["QI-*"])).len(), 27);
    assert_eq!(
        ids(&Selection::default().only(["ENT-01?"])),
        (10..=19).map(|n| format!("ENT-0{n}")).collect::<Vec<_>>()
    );
    assert_eq!(
        ids(&Selection::default().only(["qi-00?"]).skip(["QI-005"])).len(),
        8
    );
    assert!(ids(&Selection::default().only(["NOPE-*"])).is_empty());

    let json = Selection::default().profiles([Profile::Json]);
    assert!(catalogue.select(&json).all(|r| r.in_profile(Profile::Json)));
    assert!(ids(&json).contains(&"JSN-001".to_owned()));

    // A version profile narrows the other profiles: JSON requirements all belong to 1.2.
    let json_11 = Selection::default().profiles([Profile::Json, Profile::Occi11]);
    assert!(
        catalogue
            .select(&json_11)
            .all(|r| r.applies_to(OcciVersion::V1_1))
    );
    assert!(!ids(&json_11).contains(&"JSN-001".to_owned()));

    let v11 = Selection::default().profiles([Profile::Occi11]);
    assert!(ids(&v11).contains(&"QI-012".to_owned()));
    assert!(!ids(&v11).contains(&"QI-005".to_owned()));

    let hurtle = Selection::default().profiles([Profile::Sm, Profile::So, Profile::Cc]);
    assert_eq!(catalogue.select(&hurtle).count(), 49);
}

#[test]
fn split_and_conditional_levels() {
    let catalogue = Catalogue::embedded();
    let qi011 = catalogue.get("QI-011").unwrap();
    assert_eq!(qi011.level_for(OcciVersion::V1_1), Level::Must);
    assert_eq!(qi011.level_for(OcciVersion::V1_2), Level::Should);
    let mix005 = catalogue.get("MIX-005").unwrap();
    assert_eq!(mix005.level_for(OcciVersion::V1_1), Level::Should);
    assert_eq!(mix005.level_for(OcciVersion::V1_2), Level::Must);
    assert_eq!(
        catalogue.get("QI-015").unwrap().condition.as_deref(),
        Some("if user mixins are supported")
    );
    assert_eq!(catalogue.get("ENT-013").unwrap().level, Level::May);
    assert_eq!(catalogue.get("SM-016").unwrap().level, Level::May);
    assert_eq!(catalogue.get("SM-001").unwrap().level, Level::Must);
}

/// Reads the specification digest beside the repository, if it is there.
fn spec_text(name: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/spec")
        .join(name);
    let text = std::fs::read_to_string(&path).ok();
    if text.is_none() {
        eprintln!("skipped: {} is not available", path.display());
    }
    text
}

#[test]
fn every_section_6_assertion_is_catalogued_exactly() {
    let Some(spec) = spec_text("occi-spec.md") else {
        return;
    };
    let catalogue = Catalogue::embedded();
    let mut seen = 0;
    let mut in_section_6 = false;
    let mut json_only = false;
    for line in spec.lines() {
        if line.starts_with("## ") {
            in_section_6 = line.starts_with("## 6.");
        }
        if line.starts_with("### 6.") {
            json_only = line.contains("1.2 only");
        }
        if !in_section_6 || !line.starts_with("**") {
            continue;
        }
        let Some((id, rest)) = line[2..].split_once("** \u{2014} ") else {
            continue;
        };
        seen += 1;
        let parts: Vec<&str> = rest.split(" \u{2014} ").collect();
        let r = catalogue
            .get(id)
            .unwrap_or_else(|| panic!("{id} is missing from the catalogue"));
        assert_eq!(r.source, parts[0], "{id} source");
        assert_eq!(r.spec_level, parts[1], "{id} level");
        let expected_level = match &parts[1][..1] {
            "M" => Level::Must,
            "S" => Level::Should,
            _ => Level::May,
        };
        assert_eq!(r.level, expected_level, "{id} level mapping");
        let versions: Vec<OcciVersion> = match parts.get(2).copied() {
            None => {
                assert!(
                    json_only || parts[1].contains("(1.2)"),
                    "{id}: no version given"
                );
                vec![OcciVersion::V1_2]
            }
            Some(v) if v.starts_with("both") => vec![OcciVersion::V1_1, OcciVersion::V1_2],
            Some(v) if v.contains("(S in") => vec![OcciVersion::V1_1, OcciVersion::V1_2],
            Some("1.1") => vec![OcciVersion::V1_1],
            Some("1.2") => vec![OcciVersion::V1_2],
            Some(other) => panic!("{id}: unexpected version {other:?}"),
        };
        assert_eq!(r.versions, versions, "{id} versions");
        if let Some(etsi) = parts.get(3) {
            assert_eq!(
                r.etsi.as_deref(),
                Some(etsi.trim_start_matches("ETSI ")),
                "{id} etsi"
            );
        }
    }
    assert_eq!(seen, 198, "assertions found in section 6");
}

#[test]
fn every_hurtle_profile_assertion_is_catalogued() {
    let Some(hurtle) = spec_text("hurtle.md") else {
        return;
    };
    let catalogue = Catalogue::embedded();
    let mut group = None;
    let mut seen = 0;
    for line in hurtle.lines() {
        if line.starts_with("### ") {
            group = match line.get(4..7) {
                Some("6.1") => Some("SM"),
                Some("6.2") => Some("SO"),
                Some("6.3") => Some("CC"),
                _ => None,
            };
        }
        let Some(group) = group else { continue };
        let Some((number, rest)) = line.split_once(". [") else {
            continue;
        };
        let Ok(number) = number.parse::<u32>() else {
            continue;
        };
        let tag = rest.split(']').next().unwrap();
        let id = format!("{group}-{number:03}");
        let r = catalogue
            .get(&id)
            .unwrap_or_else(|| panic!("{id} is missing from the catalogue"));
        assert_eq!(r.spec_level, tag, "{id}");
        assert_eq!(
            r.level,
            if tag == "core" {
                Level::Must
            } else {
                Level::May
            },
            "{id}"
        );
        seen += 1;
    }
    assert_eq!(seen, 49);
}

#[test]
fn automated_requirements_and_checks_agree() {
    use occi_conformance::catalogue::Status;
    use occi_conformance::checks::TESTS;
    let catalogue = Catalogue::embedded();
    // The rules over every response are checked by the runner's last test.
    let mut named: std::collections::BTreeSet<&str> = ["ERR-010", "ERR-011", "ERR-017"].into();
    for test in TESTS {
        for id in test.ids {
            assert!(
                catalogue.get(id).is_some(),
                "{} names the unknown {id}",
                test.name
            );
            named.insert(id);
        }
    }
    let automated: std::collections::BTreeSet<&str> = catalogue
        .requirements()
        .iter()
        .filter(|r| r.status == Status::Automated)
        .map(|r| r.id.as_str())
        .collect();
    let unmarked: Vec<_> = named.difference(&automated).collect();
    let unchecked: Vec<_> = automated.difference(&named).collect();
    assert!(
        unmarked.is_empty(),
        "checked but not marked automated: {unmarked:?}"
    );
    assert!(
        unchecked.is_empty(),
        "marked automated but no check names them: {unchecked:?}"
    );
    assert!(automated.len() >= 120, "{} automated", automated.len());
}
