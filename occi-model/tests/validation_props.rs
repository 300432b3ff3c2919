//! Properties: every generated valid entity validates, and every single rule break injected
//! into one is reported with that rule and no other.

mod common;

use common::*;
use occi_model::{AttributeValue, Entity, Resource, Rule, UpdateMode};
use proptest::prelude::*;

/// A valid compute: its required name, a random subset of the optional attributes with
/// random valid values, and a random set of allowed Mixins (at most one template).
fn valid_compute() -> impl Strategy<Value = Resource> {
    let memory = prop_oneof![
        (1_i64..=1024).prop_map(AttributeValue::Integer),
        (0.5_f64..=1024.0).prop_map(float),
    ];
    (
        "[a-z]{1,8}",
        proptest::option::of(prop_oneof![Just("x86"), Just("x64")]),
        proptest::option::of(1_i64..=64),
        proptest::option::of(memory),
        proptest::option::of("[a-z][a-z0-9-]{0,12}"),
        proptest::option::of("[ -~]{0,16}"),
        proptest::option::of(prop_oneof![Just("small"), Just("large")]),
        any::<bool>(),
    )
        .prop_map(
            |(name, arch, cores, memory, hostname, title, template, tagged)| {
                let mut r = compute();
                set(&mut r, NAME, name.into());
                if let Some(arch) = arch {
                    set(&mut r, ARCH, arch.into());
                }
                if let Some(cores) = cores {
                    set(&mut r, CORES, AttributeValue::Integer(cores));
                }
                if let Some(memory) = memory {
                    set(&mut r, MEMORY, memory);
                }
                if let Some(hostname) = hostname {
                    set(&mut r, HOSTNAME, hostname.into());
                }
                r.title = title;
                if let Some(template) = template {
                    r.mixins.push(id(template));
                }
                if tagged {
                    r.mixins.push(id("blue"));
                }
                r
            },
        )
}

/// Breaks exactly one rule in a valid compute; returns the rule and its subject.
fn break_rule(r: &mut Resource, which: usize) -> (Rule, String) {
    let attr = |name: &str| name.to_owned();
    match which {
        0 => {
            r.kind = id("nosuch");
            (Rule::UnknownKind, r.kind.to_string())
        }
        1 => {
            r.kind = id("blue");
            (Rule::NotAKind, r.kind.to_string())
        }
        2 => {
            r.kind = "http://schemas.ogf.org/occi/core#entity".parse().unwrap();
            (Rule::AbstractKind, r.kind.to_string())
        }
        3 => {
            r.kind = id("nic");
            (Rule::EntityTypeMismatch, r.kind.to_string())
        }
        4 => {
            r.mixins.push(id("nosuch"));
            (Rule::UnknownMixin, id("nosuch").to_string())
        }
        5 => {
            r.mixins.push(id("network"));
            (Rule::NotAMixin, id("network").to_string())
        }
        6 => {
            let dup = r.mixins.first().cloned().unwrap_or_else(|| {
                r.mixins.push(id("blue"));
                id("blue")
            });
            r.mixins.push(dup.clone());
            (Rule::DuplicateMixin, dup.to_string())
        }
        7 => {
            r.mixins.push(id("ipnetwork"));
            (Rule::MixinNotApplicable, id("ipnetwork").to_string())
        }
        8 => {
            let second = if r.mixins.contains(&id("small")) {
                id("large")
            } else if r.mixins.contains(&id("large")) {
                id("small")
            } else {
                r.mixins.push(id("small"));
                id("large")
            };
            r.mixins.push(second.clone());
            (Rule::ExclusiveMixins, second.to_string())
        }
        9 => {
            set(r, "com.example.bogus", AttributeValue::Bool(true));
            (Rule::UnknownAttribute, attr("com.example.bogus"))
        }
        10 => {
            set(r, STATE, "active".into());
            (Rule::Immutable, attr(STATE))
        }
        11 => {
            set(r, CORES, "many".into());
            (Rule::WrongType, attr(CORES))
        }
        12 => {
            set(r, ARCH, "arm".into());
            (Rule::NotInEnum, attr(ARCH))
        }
        13 => {
            set(r, HOSTNAME, "Bad Host".into());
            (Rule::PatternMismatch, attr(HOSTNAME))
        }
        14 => {
            set(r, MEMORY, float(2048.5));
            (Rule::OutOfRange, attr(MEMORY))
        }
        _ => {
            r.attributes.remove(NAME);
            (Rule::RequiredMissing, attr(NAME))
        }
    }
}

const BREAKS: usize = 16;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_entities_validate(r in valid_compute()) {
        let registry = registry();
        let given = r.clone();
        let mut entity = Entity::from(r);
        registry.validate_create(&mut entity, &store()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Every defaulted attribute has a value, and given values survive (floats widened).
        for name in [CORES, MEMORY, STATE, NAME] {
            prop_assert!(entity.attribute_value(name).is_some(), "{name} missing");
        }
        for (name, value) in &given.attributes {
            let stored = entity.attributes().get(name).cloned();
            let expected = match value {
                AttributeValue::Integer(_) if name.as_str() == MEMORY => {
                    value.as_f64().and_then(AttributeValue::float)
                }
                _ => Some(value.clone()),
            };
            prop_assert_eq!(stored, expected);
        }
        prop_assert_eq!(entity.mixins(), given.mixins.as_slice());
        // An empty partial update of the stored entity changes nothing.
        let again = registry
            .validate_update(&entity, &Entity::from(Resource::new(id("compute"))), UpdateMode::Partial)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, entity);
    }

    #[test]
    fn single_rule_break_is_reported_alone(r in valid_compute(), which in 0..BREAKS) {
        let mut broken = r;
        let (rule, subject) = break_rule(&mut broken, which);
        let mut entity = Entity::from(broken);
        let err = registry()
            .validate_create(&mut entity, &store())
            .expect_err("a broken entity must not validate");
        prop_assert!(
            err.violations().iter().all(|v| v.rule() == rule),
            "expected only {} in:\n{}", rule, err
        );
        prop_assert!(
            err.violations().iter().any(|v| v.subject() == subject),
            "expected {} about {} in:\n{}", rule, subject, err
        );
    }

    #[test]
    fn partial_update_with_valid_values_validates(
        current in valid_compute(),
        update in valid_compute(),
    ) {
        let registry = registry();
        let mut current = Entity::from(current);
        registry.validate_create(&mut current, &store()).unwrap();
        let result = registry
            .validate_update(&current, &Entity::from(update.clone()), UpdateMode::Partial)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Given values win; the kind and id stay; at most one template remains.
        for (name, value) in &update.attributes {
            let stored = result.attributes().get(name);
            let expected = registry
                .attribute_definition(result.kind(), result.mixins(), name)
                .and_then(|d| d.ty.coerce(value));
            prop_assert_eq!(stored, expected.as_ref());
        }
        prop_assert_eq!(result.kind(), current.kind());
        let templates = result
            .mixins()
            .iter()
            .filter(|m| registry.exclusive_family(m).is_some())
            .count();
        prop_assert!(templates <= 1);
        let empty = Entity::from(Resource::new(id("compute")));
        let again = registry
            .validate_update(&result, &empty, UpdateMode::Partial)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, result);
    }

    #[test]
    fn replace_update_with_a_valid_representation_validates(
        current in valid_compute(),
        update in valid_compute(),
    ) {
        let registry = registry();
        let mut current = Entity::from(current);
        registry.validate_create(&mut current, &store()).unwrap();
        let result = registry
            .validate_update(&current, &Entity::from(update.clone()), UpdateMode::Replace)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(result.mixins(), update.mixins.as_slice());
        prop_assert_eq!(result.title(), update.title.as_deref());
        // Optional attributes without default left out are gone.
        for name in [ARCH, HOSTNAME] {
            prop_assert_eq!(
                result.attribute_value(name).is_some(),
                update.attributes.contains_key(name)
            );
        }
        let empty = Entity::from(Resource::new(id("compute")));
        let again = registry
            .validate_update(&result, &empty, UpdateMode::Partial)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, result);
    }
}
