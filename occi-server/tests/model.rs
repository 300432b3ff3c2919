//! Model-based test: random sequences of operations run through the server and through a
//! reference model (a map of what should exist, with its title, state and Mixin); after
//! every step the status class and the server's state (every known location, the
//! collections) agree with the model.

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;

const TAG: &str =
    r#"Category: tag; scheme="http://example.com/tags#"; class="mixin"; location="/tag/""#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Compute,
    Storage,
    Network,
}

impl Kind {
    fn collection(self) -> &'static str {
        match self {
            Kind::Compute => "/compute/",
            Kind::Storage => "/storage/",
            Kind::Network => "/network/",
        }
    }

    fn body(self) -> String {
        match self {
            Kind::Compute => format!("{COMPUTE}\n"),
            Kind::Storage => format!("{STORAGE}\nX-OCCI-Attribute: occi.storage.size=2.0\n"),
            Kind::Network => format!("{NETWORK}\n"),
        }
    }

    fn state_attribute(self) -> &'static str {
        match self {
            Kind::Compute => "occi.compute.state",
            Kind::Storage => "occi.storage.state",
            Kind::Network => "occi.network.state",
        }
    }

    fn initial_state(self) -> &'static str {
        match self {
            Kind::Storage => "offline",
            Kind::Compute | Kind::Network => "inactive",
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Create(Kind),
    Title(usize, u8),
    Start(usize),
    Stop(usize),
    Tag(usize),
    Untag(usize),
    Delete(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let kind = prop_oneof![
        Just(Kind::Compute),
        Just(Kind::Storage),
        Just(Kind::Network)
    ];
    prop_oneof![
        3 => kind.prop_map(Op::Create),
        2 => (any::<usize>(), 0u8..4).prop_map(|(i, t)| Op::Title(i, t)),
        2 => any::<usize>().prop_map(Op::Start),
        2 => any::<usize>().prop_map(Op::Stop),
        1 => any::<usize>().prop_map(Op::Tag),
        1 => any::<usize>().prop_map(Op::Untag),
        1 => any::<usize>().prop_map(Op::Delete),
    ]
}

#[derive(Debug, Clone)]
struct Expected {
    kind: Kind,
    title: Option<String>,
    state: String,
    tagged: bool,
}

struct Harness {
    server: Server,
    /// Every location ever created, deleted ones included (ops name them by index).
    known: Vec<String>,
    model: BTreeMap<String, Expected>,
}

impl Harness {
    fn new() -> Self {
        let server = server();
        req("POST", "/-/").plain(TAG).send(&server).expect(200, &[]);
        Self {
            server,
            known: Vec::new(),
            model: BTreeMap::new(),
        }
    }

    fn pick(&self, i: usize) -> Option<String> {
        (!self.known.is_empty()).then(|| self.known[i % self.known.len()].clone())
    }

    /// Runs one operation on both; returns (server status, expected status, body).
    fn step(&mut self, op: &Op) -> (u16, u16, String) {
        let index = match op {
            Op::Create(kind) => return self.create(*kind),
            Op::Title(i, _)
            | Op::Start(i)
            | Op::Stop(i)
            | Op::Tag(i)
            | Op::Untag(i)
            | Op::Delete(i) => *i,
        };
        let Some(at) = self.pick(index) else {
            return (0, 0, String::new());
        };
        let (r, expected) = match op {
            Op::Title(_, t) => self.title(&at, *t),
            Op::Start(_) => self.act(&at, true),
            Op::Stop(_) => self.act(&at, false),
            Op::Tag(_) => self.tag(&at, true),
            Op::Untag(_) => self.tag(&at, false),
            Op::Delete(_) => {
                let r = req("DELETE", &at).send(&self.server);
                let expected = if self.model.remove(&at).is_some() {
                    200
                } else {
                    404
                };
                (r, expected)
            }
            Op::Create(_) => unreachable!("handled above"),
        };
        (r.status(), expected, r.text())
    }

    fn create(&mut self, kind: Kind) -> (u16, u16, String) {
        let r = req("POST", kind.collection())
            .plain(&kind.body())
            .send(&self.server);
        if r.status() == 201 {
            let location = r.location();
            self.known.push(location.clone());
            self.model.insert(
                location,
                Expected {
                    kind,
                    title: None,
                    state: kind.initial_state().to_owned(),
                    tagged: false,
                },
            );
        }
        (r.status(), 201, r.text())
    }

    fn title(&mut self, at: &str, t: u8) -> (Resp, u16) {
        let title = format!("title {t}");
        let r = req("POST", at)
            .plain(&format!("X-OCCI-Attribute: occi.core.title=\"{title}\"\n"))
            .send(&self.server);
        let expected = match self.model.get_mut(at) {
            Some(e) => {
                e.title = Some(title);
                200
            }
            None => 404,
        };
        (r, expected)
    }

    fn act(&mut self, at: &str, start: bool) -> (Resp, u16) {
        let (category, term, from, to) = if start {
            (START, "start", "inactive", "active")
        } else {
            (STOP, "stop", "active", "inactive")
        };
        let r = req("POST", &format!("{at}?action={term}"))
            .plain(category)
            .send(&self.server);
        let expected = match self.model.get_mut(at) {
            None => 404,
            Some(e) if e.kind != Kind::Compute => 400,
            Some(e) if e.state == from => {
                to.clone_into(&mut e.state);
                200
            }
            Some(_) => 409,
        };
        (r, expected)
    }

    fn tag(&mut self, at: &str, tag: bool) -> (Resp, u16) {
        let r = req(if tag { "POST" } else { "DELETE" }, "/tag/")
            .plain(&format!("X-OCCI-Location: {at}\n"))
            .send(&self.server);
        let expected = match self.model.get_mut(at) {
            Some(e) => {
                e.tagged = tag;
                200
            }
            None => 404,
        };
        (r, expected)
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let s = &self.server;
        for location in &self.known {
            let r = req("GET", location).send(s);
            match self.model.get(location) {
                None => prop_assert_eq!(r.status(), 404, "{} should be gone", location),
                Some(e) => {
                    prop_assert_eq!(r.status(), 200, "{}: {}", location, r.text());
                    let text = r.text();
                    let state = format!("{}=\"{}\"", e.kind.state_attribute(), e.state);
                    prop_assert!(
                        text.contains(&state),
                        "{} lacks {}: {}",
                        location,
                        state,
                        text
                    );
                    match &e.title {
                        Some(t) => prop_assert!(
                            text.contains(&format!("occi.core.title=\"{t}\"")),
                            "{}: {}",
                            location,
                            text
                        ),
                        None => prop_assert!(!text.contains("occi.core.title"), "{}", text),
                    }
                    prop_assert_eq!(text.contains("Category: tag;"), e.tagged, "{}", text);
                }
            }
        }
        for kind in [Kind::Compute, Kind::Storage, Kind::Network] {
            let want: Vec<String> = self
                .model
                .iter()
                .filter(|(_, e)| e.kind == kind)
                .map(|(l, _)| l.clone())
                .collect();
            prop_assert_eq!(req("GET", kind.collection()).send(s).listed(), want);
        }
        let tagged: Vec<String> = self
            .model
            .iter()
            .filter(|(_, e)| e.tagged)
            .map(|(l, _)| l.clone())
            .collect();
        prop_assert_eq!(req("GET", "/tag/").send(s).listed(), tagged);
        prop_assert_eq!(snapshot(s).len(), self.model.len());
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_server_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut h = Harness::new();
        for op in &ops {
            let (got, want, text) = h.step(op);
            prop_assert_eq!(got, want, "{:?}: {}", op, text);
            h.check()?;
        }
    }
}
