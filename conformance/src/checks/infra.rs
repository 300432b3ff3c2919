//! The infrastructure model (INF) as advertised, and storage and network resources.

use occi_model::AttributeValue;

use super::{attr, category, core, create, fetch};
use crate::runner::{Ctx, INFRA, Req, TestOutcome, tid};

const COMPUTE_ACTIONS: &str = "http://schemas.ogf.org/occi/infrastructure/compute/action#";

fn has_attrs(ctx: &Ctx, id: &str, names: &[&str], immutable: &[&str]) -> Vec<String> {
    let Some(c) = ctx.disc.category(id) else {
        return vec![format!("{id} not listed")];
    };
    let mut problems = Vec::new();
    for n in names {
        if !c.attributes.iter().any(|a| a.name.as_str() == *n) {
            problems.push(format!("{id}: no {n}"));
        }
    }
    for n in immutable {
        match c.attributes.iter().find(|a| a.name.as_str() == *n) {
            None => problems.push(format!("{id}: no {n}")),
            Some(a) if a.mutable => problems.push(format!("{id}: {n} not {{immutable}}")),
            Some(_) => {}
        }
    }
    problems
}

fn has_actions(ctx: &Ctx, id: &str, actions: &[String]) -> Vec<String> {
    let Some(c) = ctx.disc.category(id) else {
        return vec![format!("{id} not listed")];
    };
    let listed: Vec<String> = c.actions.iter().map(tid).collect();
    actions
        .iter()
        .filter(|a| !listed.contains(a))
        .map(|a| format!("{id}: no action {a}"))
        .collect()
}

pub(super) async fn model(ctx: &mut Ctx) -> TestOutcome {
    let resp = ctx.disc.response.clone();
    let v12 = ctx.is_1_2();
    let k = |t: &str| format!("{INFRA}{t}");
    let mut problems = Vec::new();
    let mut offered = 0;
    for (t, parent) in [
        ("compute", "resource"),
        ("storage", "resource"),
        ("network", "resource"),
        ("networkinterface", "link"),
        ("storagelink", "link"),
    ] {
        if let Some(c) = ctx.disc.kind(&k(t)) {
            offered += 1;
            if c.rel.first().map(tid) != Some(core(parent)) {
                problems.push(format!("{t}: rel is not core#{parent}"));
            }
            if c.location.is_none() {
                problems.push(format!("{t}: no location"));
            }
        }
    }
    if offered == 0 {
        return Err(Ctx::not_advertised("any infrastructure Kind"));
    }
    ctx.check(
        &["INF-001"],
        problems.is_empty(),
        format!("{offered} infrastructure Kinds with rel and location"),
        "rel core#resource or core#link, and a location",
        problems.join("; "),
        &[&resp],
    );
    let mut c = vec![
        "occi.compute.architecture",
        "occi.compute.cores",
        "occi.compute.hostname",
        "occi.compute.memory",
    ];
    let mut ci = vec!["occi.compute.state"];
    if v12 {
        c.push("occi.compute.share");
        ci.push("occi.compute.state.message");
    } else {
        c.push("occi.compute.speed");
    }
    let p = has_attrs(ctx, &k("compute"), &c, &ci);
    ctx.check(
        &["INF-002"],
        p.is_empty(),
        "compute attributes",
        "the compute attributes of the version, state immutable",
        p.join("; "),
        &[&resp],
    );
    let mut acts: Vec<String> = ["start", "stop", "restart", "suspend"]
        .iter()
        .map(|a| format!("{COMPUTE_ACTIONS}{a}"))
        .collect();
    if v12 {
        acts.push(format!("{COMPUTE_ACTIONS}save"));
    }
    let p = has_actions(ctx, &k("compute"), &acts);
    ctx.check(
        &["INF-003"],
        p.is_empty(),
        "compute actions",
        format!("{acts:?}"),
        p.join("; "),
        &[&resp],
    );
    let mut p = has_attrs(
        ctx,
        &k("network"),
        &["occi.network.vlan", "occi.network.label"],
        &["occi.network.state"],
    );
    p.extend(has_actions(
        ctx,
        &k("network"),
        &["up", "down"]
            .map(|a| format!("http://schemas.ogf.org/occi/infrastructure/network/action#{a}")),
    ));
    ctx.check(
        &["INF-004"],
        p.is_empty(),
        "network attributes and actions",
        "vlan, label, state{immutable}; up, down",
        p.join("; "),
        &[&resp],
    );
    let sacts: &[&str] = if v12 {
        &["online", "offline"]
    } else {
        &["online", "offline", "backup", "snapshot", "resize"]
    };
    let mut p = has_attrs(
        ctx,
        &k("storage"),
        &["occi.storage.size"],
        &["occi.storage.state"],
    );
    p.extend(has_actions(
        ctx,
        &k("storage"),
        &sacts
            .iter()
            .map(|a| format!("http://schemas.ogf.org/occi/infrastructure/storage/action#{a}"))
            .collect::<Vec<_>>(),
    ));
    ctx.check(
        &["INF-005"],
        p.is_empty(),
        "storage attributes and actions",
        format!("size, state{{immutable}}; {sacts:?}"),
        p.join("; "),
        &[&resp],
    );
    let mut p = has_attrs(
        ctx,
        &k("networkinterface"),
        &["occi.networkinterface.mac"],
        &[
            "occi.networkinterface.interface",
            "occi.networkinterface.state",
        ],
    );
    p.extend(has_attrs(
        ctx,
        &k("storagelink"),
        &["occi.storagelink.deviceid", "occi.storagelink.mountpoint"],
        &["occi.storagelink.state"],
    ));
    ctx.check(
        &["INF-006"],
        p.is_empty(),
        "link Kind attributes",
        "networkinterface and storagelink attributes",
        p.join("; "),
        &[&resp],
    );
    let ipn = "http://schemas.ogf.org/occi/infrastructure/network#ipnetwork";
    if ctx.disc.category(ipn).is_some() {
        let mut p = has_attrs(
            ctx,
            ipn,
            &[
                "occi.network.address",
                "occi.network.gateway",
                "occi.network.allocation",
            ],
            &[],
        );
        p.extend(has_attrs(
            ctx,
            "http://schemas.ogf.org/occi/infrastructure/networkinterface#ipnetworkinterface",
            &[
                "occi.networkinterface.address",
                "occi.networkinterface.gateway",
                "occi.networkinterface.allocation",
            ],
            &[],
        ));
        ctx.check(
            &["INF-007"],
            p.is_empty(),
            "ipnetwork and ipnetworkinterface Mixins",
            "their address, gateway and allocation attributes",
            p.join("; "),
            &[&resp],
        );
    } else {
        ctx.skip(&["INF-007"], format!("not advertised: {ipn}"));
    }
    if v12 {
        let p = has_attrs(
            ctx,
            "http://schemas.ogf.org/occi/infrastructure/credentials#ssh_key",
            &["occi.credentials.ssh.publickey"],
            &[],
        );
        ctx.check(
            &["INF-008"],
            p.is_empty(),
            "the ssh_key Mixin",
            "ssh_key with occi.credentials.ssh.publickey",
            p.join("; "),
            &[&resp],
        );
        let p = has_attrs(
            ctx,
            "http://schemas.ogf.org/occi/infrastructure/compute#user_data",
            &["occi.compute.userdata"],
            &[],
        );
        ctx.check(
            &["INF-009"],
            p.is_empty(),
            "the user_data Mixin",
            "user_data with occi.compute.userdata",
            p.join("; "),
            &[&resp],
        );
    }
    let server = resp.header("server").unwrap_or("").to_owned();
    if server.contains("OCCI-CRTP/") {
        let want = if v12 {
            "OCCI-CRTP/1.1"
        } else {
            "OCCI-CRTP/1.0"
        };
        let mut p = Vec::new();
        if !server.split_whitespace().any(|t| t.starts_with(want)) {
            p.push(format!("Server {server:?} lacks {want}"));
        }
        for t in ["small", "medium", "large"] {
            let found = ctx
                .disc
                .mixins_related_to(&format!("{INFRA}resource_tpl"))
                .iter()
                .any(|c| c.id.term().as_str() == t);
            if !found {
                p.push(format!("no resource_tpl {t}"));
            }
        }
        ctx.check(
            &["INF-023"],
            p.is_empty(),
            "the CRTP profile the Server header claims",
            format!("{want}; small, medium and large resource templates"),
            p.join("; "),
            &[&resp],
        );
    } else {
        ctx.skip(&["INF-023"], "the target does not claim OCCI-CRTP");
    }
    // Action parameters.
    let mut p = Vec::new();
    for a in ["stop", "restart", "suspend"] {
        p.extend(has_attrs(
            ctx,
            &format!("{COMPUTE_ACTIONS}{a}"),
            &["method"],
            &[],
        ));
    }
    if v12 {
        p.extend(has_attrs(
            ctx,
            &format!("{COMPUTE_ACTIONS}save"),
            &["method", "name"],
            &[],
        ));
    } else {
        p.extend(has_attrs(
            ctx,
            "http://schemas.ogf.org/occi/infrastructure/storage/action#resize",
            &["size"],
            &[],
        ));
    }
    ctx.check(
        &["ACT-013"],
        p.is_empty(),
        "action parameters",
        "method on stop, restart, suspend (and save with name, or resize with size)",
        p.join("; "),
        &[&resp],
    );
    // Templates.
    let mut p = Vec::new();
    let mut any = false;
    for base in ["os_tpl", "resource_tpl"] {
        let id = k(base);
        if let Some(c) = ctx.disc.category(&id) {
            any = true;
            if c.class != occi_model::CategoryClass::Mixin {
                p.push(format!("{base} is not a Mixin"));
            }
        }
    }
    if any {
        ctx.check(
            &["MIX-009"],
            p.is_empty(),
            "template Mixins os_tpl and resource_tpl",
            "class mixin",
            p.join("; "),
            &[&resp],
        );
    } else {
        ctx.skip(&["MIX-009"], "not advertised: os_tpl or resource_tpl");
    }
    Ok(())
}

pub(super) async fn resources(ctx: &mut Ctx) -> TestOutcome {
    let v12 = ctx.is_1_2();
    let storage = format!("{INFRA}storage");
    if ctx.disc.kind(&storage).is_some() {
        // The size is sent whether or not the query interface marks it required: a storage
        // without size would fail INF-011 for the wrong cause.
        let size_line = if super::required_lines(ctx, &storage).contains("occi.storage.size") {
            ""
        } else {
            "X-OCCI-Attribute: occi.storage.size=1.0\r\n"
        };
        let url = create(ctx, &storage, size_line).await?;
        let (g, d, devs) = fetch(ctx, &url).await?;
        let size = attr(&d, "occi.storage.size");
        let state = attr(&d, "occi.storage.state")
            .and_then(AttributeValue::as_str)
            .unwrap_or("")
            .to_owned();
        let states: &[&str] = if v12 {
            &["online", "offline", "error"]
        } else {
            &[
                "online", "offline", "backup", "snapshot", "resize", "degraded",
            ]
        };
        ctx.check(
            &["INF-011"],
            super::number(size).is_some() && states.contains(&state.as_str()),
            "a new storage created with occi.storage.size=1.0",
            format!("size a number, state in {states:?}"),
            format!("size {}, state {state:?}", super::show_in(size, &devs)),
            &[&g],
        );
        if v12 {
            let r = ctx
                .send(Req::post(url.as_str()).body("X-OCCI-Attribute: occi.storage.size=2.0\r\n"))
                .await?;
            let (g, d, _) = fetch(ctx, &url).await?;
            let now = attr(&d, "occi.storage.size").and_then(AttributeValue::as_f64);
            ctx.check(
                &["INF-018"],
                r.client_error() || (r.ok() && now == Some(2.0)),
                "a partial update of the storage size",
                "the new size, or a 4xx",
                format!("{}; size {now:?}", r.summary()),
                &[&r, &g],
            );
        } else {
            let resize = "http://schemas.ogf.org/occi/infrastructure/storage/action#resize";
            if state != "online" {
                let online = "http://schemas.ogf.org/occi/infrastructure/storage/action#online";
                let _ = ctx
                    .send(
                        Req::post(format!("{url}?action=online"))
                            .body(format!("Category: {}\r\n", category(online, "action"))),
                    )
                    .await?;
            }
            let r = ctx
                .send(Req::post(format!("{url}?action=resize")).body(format!(
                    "Category: {}\r\nX-OCCI-Attribute: size=2.0\r\n",
                    category(resize, "action")
                )))
                .await?;
            let (g, d, _) = fetch(ctx, &url).await?;
            let now = attr(&d, "occi.storage.size").and_then(AttributeValue::as_f64);
            ctx.check(
                &["INF-017"],
                r.status == 200 && now == Some(2.0),
                "the resize action",
                "200 and size 2.0",
                format!("{}; size {now:?}", r.summary()),
                &[&r, &g],
            );
        }
    }
    let network = format!("{INFRA}network");
    if ctx.disc.kind(&network).is_some() {
        let url = create(ctx, &network, "").await?;
        let (g, d, _) = fetch(ctx, &url).await?;
        let state = attr(&d, "occi.network.state")
            .and_then(AttributeValue::as_str)
            .unwrap_or("")
            .to_owned();
        ctx.check(
            &["INF-012"],
            ["active", "inactive", "error"].contains(&state.as_str()),
            "a new network",
            "state active, inactive or error",
            format!("{state:?}"),
            &[&g],
        );
        let mut seen = Vec::new();
        let mut ok = true;
        let mut ev = Vec::new();
        let order = if state == "active" {
            [("down", "inactive"), ("up", "active")]
        } else {
            [("up", "active"), ("down", "inactive")]
        };
        for (a, want) in order {
            let id = format!("http://schemas.ogf.org/occi/infrastructure/network/action#{a}");
            let r = ctx
                .send(
                    Req::post(format!("{url}?action={a}"))
                        .body(format!("Category: {}\r\n", category(&id, "action"))),
                )
                .await?;
            let (_, d, _) = fetch(ctx, &url).await?;
            let s = attr(&d, "occi.network.state")
                .and_then(AttributeValue::as_str)
                .unwrap_or("")
                .to_owned();
            ok &= r.status == 200 && s == want;
            seen.push(format!("{a}: {} -> {s}", r.status));
            ev.push(r);
        }
        let refs: Vec<&crate::runner::Resp> = ev.iter().collect();
        ctx.check(
            &["INF-016"],
            ok,
            "network up and down",
            "200 each; the state follows",
            seen.join(", "),
            &refs,
        );
    }
    if v12 {
        let compute = super::compute();
        let ud = "http://schemas.ogf.org/occi/infrastructure/compute#user_data";
        if ctx.disc.category(ud).is_some() {
            let url = create(
                ctx,
                &compute,
                &format!(
                    "Category: {}\r\nX-OCCI-Attribute: occi.compute.userdata=\"aGVsbG8=\"\r\n",
                    category(ud, "mixin")
                ),
            )
            .await?;
            let r = ctx
                .send(
                    Req::post(url.as_str())
                        .body("X-OCCI-Attribute: occi.compute.userdata=\"Y2hhbmdlZA==\"\r\n"),
                )
                .await?;
            let (g, d, _) = fetch(ctx, &url).await?;
            let v = attr(&d, "occi.compute.userdata")
                .and_then(AttributeValue::as_str)
                .unwrap_or("")
                .to_owned();
            ctx.check(
                &["INF-020"],
                v == "aGVsbG8=",
                "user data is set once",
                "the update refused or ignored",
                format!("{}; userdata {v:?}", r.summary()),
                &[&r, &g],
            );
        }
        let ssh = "http://schemas.ogf.org/occi/infrastructure/credentials#ssh_key";
        if ctx.disc.category(ssh).is_some() {
            let url = create(ctx, &compute, &format!("Category: {}\r\nX-OCCI-Attribute: occi.credentials.ssh.publickey=\"ssh-rsa AAAA conformance\"\r\n", category(ssh, "mixin"))).await?;
            let (g, d, _) = fetch(ctx, &url).await?;
            ctx.check(
                &["INF-021"],
                super::mixins_of(&d).contains(&ssh.to_owned()),
                "a compute with ssh_key",
                "ssh_key listed",
                format!("{:?}", super::mixins_of(&d)),
                &[&g],
            );
        }
    }
    Ok(())
}
