//! The PySSF dialect's quirks, as Hurtle peers see them.

use occi_render::json::pyssf;
use occi_render::occi_model::{AttributeValue, Category, Resource};
use occi_render::{DeviationKind, ParseOptions};

#[test]
fn values_are_rendered_as_strings_and_core_attributes_inside() {
    let mut r = Resource::new(
        "http://schemas.mobile-cloud-networking.eu/occi/service#orchestrator"
            .parse()
            .unwrap(),
    );
    r.id = Some("/orchestrator/default".parse().unwrap());
    r.attributes.insert(
        "occi.compute.cores".parse().unwrap(),
        AttributeValue::Integer(2),
    );
    r.attributes
        .insert("a.flag".parse().unwrap(), AttributeValue::Bool(true));
    let text = pyssf::render_entity(&r.clone().into());
    assert!(text.contains(r#""occi.compute.cores": "2""#), "{text}");
    assert!(text.contains(r#""a.flag": "true""#), "{text}");
    assert!(
        text.contains(r#""occi.core.id": "/orchestrator/default""#),
        "{text}"
    );
    assert!(!text.contains(r#""id":"#));
    let back = pyssf::parse_entity(text.as_bytes(), &ParseOptions::strict())
        .unwrap()
        .value;
    let back = back.as_resource().unwrap();
    assert_eq!(back.id, r.id);
    assert_eq!(
        back.location.as_ref().unwrap().as_str(),
        "/orchestrator/default"
    );
    assert_eq!(
        back.attributes["occi.compute.cores"],
        AttributeValue::from("2")
    );
}

#[test]
fn query_interface_flags_and_classes() {
    let qi = br#"[{"attributes": {"a.r": "required", "a.i": "immutable", "a.m": "muttable"},
       "location": "/sample_so/", "related": ["http://schemas.ogf.org/occi/core#resource"],
       "scheme": "http://example.com/sm#", "term": "sample_so"},
      {"location": "/tpl/", "scheme": "http://example.com/tpl#", "term": "small"},
      {"scheme": "http://example.com/action#", "term": "deploy"}]"#;
    let cats = pyssf::parse_categories(qi, &ParseOptions::strict())
        .unwrap()
        .value;
    let Category::Kind(k) = &cats[0] else {
        panic!("{:?}", cats[0])
    };
    // Members come back in name order (PySSF sorts keys).
    let def = |n: &str| k.attributes.iter().find(|d| d.name.as_str() == n).unwrap();
    assert!(def("a.r").required && def("a.r").mutable);
    assert!(!def("a.i").mutable);
    assert!(def("a.m").mutable && !def("a.m").required);
    assert!(matches!(cats[1], Category::Mixin(_)));
    assert!(matches!(cats[2], Category::Action(_)));
    let text = pyssf::render_categories(&cats);
    assert!(text.contains(r#""a.m": "muttable""#), "{text}");
    assert!(!text.contains("class"));
    assert_eq!(
        pyssf::parse_categories(text.as_bytes(), &ParseOptions::strict())
            .unwrap()
            .value,
        cats
    );
}

#[test]
fn correct_spelling_is_lenient_only() {
    let qi = br#"[{"attributes": {"a.m": "mutable"}, "location": "/x/", "scheme": "http://example.com/x#", "term": "x"}]"#;
    assert!(pyssf::parse_categories(qi, &ParseOptions::strict()).is_err());
    let p = pyssf::parse_categories(qi, &ParseOptions::lenient()).unwrap();
    assert_eq!(p.deviations[0].kind(), DeviationKind::Other);
    assert!(p.value[0].attributes()[0].mutable);
}

/// A Kind's parent is the `related` entry that makes it a Kind, so that its rendering (which
/// keeps the parent alone) is read as a Kind again. Found by the `decode_pyssf_json` fuzz
/// target: the first `related` used to be taken, the Core Kind after it dropped, and the
/// rendering read back as an Action (no location) or a Mixin.
#[test]
fn a_kind_keeps_the_related_entry_that_makes_it_a_kind() {
    let qi = br#"[
        {"scheme": "http://e.x/s#", "term": "bare",
         "related": ["http://e.x/dep#a", "http://schemas.ogf.org/occi/core#resource"]},
        {"scheme": "http://e.x/s#", "term": "svc", "location": "/svc/",
         "related": ["http://e.x/dep#b", "http://schemas.ogf.org/occi/core#resource"]},
        {"scheme": "http://e.x/s#", "term": "sub", "location": "/sub/",
         "related": ["http://e.x/dep#c", "http://e.x/s#svc"]}
    ]"#;
    let cats = pyssf::parse_categories(qi, &ParseOptions::strict())
        .unwrap()
        .value;
    let parents: Vec<String> = cats
        .iter()
        .map(|c| match c {
            Category::Kind(k) => k.parent.as_ref().unwrap().to_string(),
            other => panic!("{} is not a Kind", other.id()),
        })
        .collect();
    assert_eq!(
        parents,
        [
            "http://schemas.ogf.org/occi/core#resource",
            "http://schemas.ogf.org/occi/core#resource",
            "http://e.x/s#svc",
        ]
    );
    let text = pyssf::render_categories(&cats);
    let again = pyssf::parse_categories(text.as_bytes(), &ParseOptions::strict())
        .unwrap()
        .value;
    assert_eq!(again, cats);
}

/// Kinds that name themselves or each other before a Core category: each one's parent is
/// the Core category, since a parent among them would leave the rendering with no Kind.
#[test]
fn kinds_that_name_each_other_keep_the_core_parent() {
    let qi = br#"[
        {"scheme": "http://e.x/s#", "term": "own", "related": ["http://e.x/s#own", "http://schemas.ogf.org/occi/core#resource"]},
        {"scheme": "http://e.x/s#", "term": "a", "location": "/a/",
         "related": ["http://e.x/s#b", "http://schemas.ogf.org/occi/core#resource"]},
        {"scheme": "http://e.x/s#", "term": "b", "location": "/b/",
         "related": ["http://e.x/s#a", "http://schemas.ogf.org/occi/core#resource"]}
    ]"#;
    let cats = pyssf::parse_categories(qi, &ParseOptions::strict())
        .unwrap()
        .value;
    for c in &cats {
        let Category::Kind(k) = c else {
            panic!("{} is not a Kind", c.id())
        };
        assert_eq!(k.parent.as_ref().unwrap().to_string(), CORE_RESOURCE);
    }
    let text = pyssf::render_categories(&cats);
    let again = pyssf::parse_categories(text.as_bytes(), &ParseOptions::strict())
        .unwrap()
        .value;
    assert_eq!(again, cats);
}

const CORE_RESOURCE: &str = "http://schemas.ogf.org/occi/core#resource";

/// A query-interface entry: (Core scheme of its own, has a location, indices of `related`
/// where `N` stands for `core#resource` and `N + 1` for an id no entry has).
type Entry = (bool, bool, Vec<usize>);

const N: usize = 6;

fn entry_id(i: usize, core_scheme: bool) -> String {
    match i {
        N => CORE_RESOURCE.to_owned(),
        i if i > N => "http://e.x/other#x".to_owned(),
        i if core_scheme => format!("http://schemas.ogf.org/occi/core#k{i}"),
        i => format!("http://e.x/s#k{i}"),
    }
}

/// The class inference of the module docs, written as plainly as it reads there: the step
/// in which each entry becomes a Kind (passes until nothing changes), and each Kind's parent.
fn reference(entries: &[Entry]) -> Vec<Option<String>> {
    let ids: Vec<String> = (0..entries.len())
        .map(|i| entry_id(i, entries[i].0))
        .collect();
    let rel_id = |r: usize| {
        if r < entries.len() {
            ids[r].clone()
        } else {
            entry_id(r.max(N), false)
        }
    };
    let core = |id: &str| id.starts_with("http://schemas.ogf.org/occi/core#");
    let mut step: Vec<Option<usize>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (core(&ids[i]) || e.2.iter().any(|&r| core(&rel_id(r)))).then_some(0))
        .collect();
    // The first step in which a Kind of this id was found.
    let first = |step: &[Option<usize>], id: &str| {
        (0..entries.len())
            .filter(|&j| ids[j] == id)
            .filter_map(|j| step[j])
            .min()
    };
    for n in 0.. {
        let before = step.clone();
        for (i, e) in entries.iter().enumerate() {
            if step[i].is_none()
                && e.1
                && e.2.iter().any(|&r| first(&before, &rel_id(r)) == Some(n))
            {
                step[i] = Some(n + 1);
            }
        }
        if step == before {
            break;
        }
    }
    entries
        .iter()
        .zip(&step)
        .map(|(e, n)| {
            let n = (*n)?;
            let related: Vec<String> = e.2.iter().map(|&r| rel_id(r)).collect();
            let earlier = |id: &&String| core(id) || first(&step, id).is_some_and(|m| m < n);
            Some(
                related
                    .iter()
                    .find(earlier)
                    .or(related.first())
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect()
}

proptest::proptest! {
    /// Kinds and their parents are what the inference of the module docs gives, and the
    /// rendering reads back equal: no Kind comes back as a Mixin or an Action.
    #[test]
    fn classes_and_parents_follow_the_inference_rule(
        entries in proptest::collection::vec(
            (proptest::bool::weighted(0.15), proptest::bool::ANY,
             proptest::collection::vec(0..N + 2, 0..3)),
            0..N,
        ),
    ) {
        let items: Vec<String> = entries
            .iter()
            .enumerate()
            .map(|(i, (core_scheme, located, related))| {
                let id = entry_id(i, *core_scheme);
                let (scheme, term) = id.split_at(id.find('#').unwrap() + 1);
                let related: Vec<String> = related
                    .iter()
                    .map(|&r| format!("{:?}", if r < entries.len() { entry_id(r, entries[r].0) } else { entry_id(r.max(N), false) }))
                    .collect();
                let location = if *located { format!(r#", "location": "/k{i}/""#) } else { String::new() };
                format!(r#"{{"scheme": "{scheme}", "term": "{term}"{location}, "related": [{}]}}"#, related.join(", "))
            })
            .collect();
        let body = format!("[{}]", items.join(", "));
        let cats = pyssf::parse_categories(body.as_bytes(), &ParseOptions::strict()).unwrap().value;
        let parents: Vec<Option<String>> = cats
            .iter()
            .map(|c| match c {
                Category::Kind(k) => Some(k.parent.as_ref().map(ToString::to_string).unwrap_or_default()),
                _ => None,
            })
            .collect();
        proptest::prop_assert_eq!(parents, reference(&entries), "{}", body);
        let text = pyssf::render_categories(&cats);
        let again = pyssf::parse_categories(text.as_bytes(), &ParseOptions::strict()).unwrap().value;
        proptest::prop_assert_eq!(again, cats, "{}", text);
    }
}

/// A chain of Kinds each named only by the one before it, listed so that each is found a
/// Kind one step after the next: all of them are Kinds, each the parent of the one before.
#[test]
fn a_long_chain_of_kinds_is_inferred_whole() {
    let n = 2000;
    let items: Vec<String> = (0..n)
        .map(|j| {
            let rel = if j + 1 == n {
                CORE_RESOURCE.to_owned()
            } else {
                format!("http://e.x/s#k{}", j + 1)
            };
            format!(
                r#"{{"scheme": "http://e.x/s#", "term": "k{j}", "location": "/k{j}/", "related": ["{rel}"]}}"#
            )
        })
        .collect();
    let body = format!("[{}]", items.join(","));
    let cats = pyssf::parse_categories(body.as_bytes(), &ParseOptions::strict())
        .unwrap()
        .value;
    assert_eq!(cats.len(), n);
    for (j, c) in cats.iter().enumerate() {
        let Category::Kind(k) = c else {
            panic!("{} is not a Kind", c.id())
        };
        let parent = k.parent.as_ref().unwrap().to_string();
        if j + 1 < n {
            assert_eq!(parent, format!("http://e.x/s#k{}", j + 1));
        } else {
            assert_eq!(parent, CORE_RESOURCE);
        }
    }
}
