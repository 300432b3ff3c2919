//! The Hurtle profiles (hurtle.md §6): what Service Managers (`sm`), Service Orchestrators
//! (`so`) and Cloud Controllers (`cc`) must do to interoperate.
//!
//! Tags: a `core` requirement is checked always; a `compat` one (PySSF/Hurtle behaviour OCCI
//! does not require) only with `--compat hurtle`; where the Python originals have a recorded
//! bug, the check accepts the sane answer and, when the target shows the bug, says so.

pub(crate) mod cc;
pub(crate) mod sm;
pub(crate) mod so;

use std::time::{Duration, Instant};

use crate::catalogue::Profile;
use crate::runner::{Abort, Ctx, Req, Resp};

/// Options of the Hurtle profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HurtleOptions {
    /// Check the `compat` requirements too (`--compat hurtle`).
    pub compat: bool,
    /// A second tenant, for isolation checks (`--tenant-b`).
    pub tenant_b: Option<String>,
    /// How long an asynchronous lifecycle may take (`--lifecycle-timeout`).
    pub lifecycle_timeout: Duration,
    /// The profiles selected for the run (set by the runner): a Hurtle test runs only when
    /// its own profile is named, since an SM, SO or CC is a different kind of target than a
    /// generic OCCI server.
    pub selected: Vec<Profile>,
    /// The recording doubles of the SM's CC, SOs and Keystone (`--doubles`): the SM under
    /// test is pointed at them, and SM-017 to SM-021 judge what they saw.
    pub doubles: Option<crate::doubles::Doubles>,
    /// The end user's token and tenant, as sent with every request (the values of the
    /// `--header`s `X-Auth-Token` and `X-Tenant-Name`), to compare with what the SM passes
    /// on to its SOs and to Keystone.
    pub end_user: EndUser,
}

/// The end user's `X-Auth-Token` and `X-Tenant-Name` values, when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndUser {
    /// The token.
    pub token: Option<String>,
    /// The tenant.
    pub tenant: Option<String>,
}

impl EndUser {
    /// The token and tenant among extra headers (`--header`), names compared without case.
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut user = Self::default();
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("x-auth-token") {
                user.token = Some(value.to_owned());
            } else if name.eq_ignore_ascii_case("x-tenant-name") {
                user.tenant = Some(value.to_owned());
            }
        }
        user
    }
}

impl Default for HurtleOptions {
    fn default() -> Self {
        Self {
            compat: false,
            tenant_b: None,
            lifecycle_timeout: Duration::from_mins(1),
            selected: Vec::new(),
            doubles: None,
            end_user: EndUser::default(),
        }
    }
}

/// The scheme of the SO Kind and its actions.
pub const SERVICE: &str = "http://schemas.mobile-cloud-networking.eu/occi/service#";
/// The scheme of the CC Kind `app`.
pub const PLATFORM: &str = "http://schemas.ogf.org/occi/platform#";
/// The scheme of the CC actions.
pub const APP_ACTION: &str = "http://schemas.ogf.org/occi/platform/app/action#";

/// Goes on only if `profile` was selected by name (`--profile so`); otherwise the test is
/// skipped, with the reason.
pub fn targets(ctx: &Ctx, profile: Profile) -> Result<(), Abort> {
    if ctx.hurtle.selected.contains(&profile) {
        Ok(())
    } else {
        Err(Abort::Skip(format!(
            "the {} profile runs only when selected (--profile {})",
            profile.as_str(),
            profile.as_str()
        )))
    }
}

/// Whether the `compat` requirements `ids` are checked in this run; if not, they are
/// skipped with the reason.
pub fn compat(ctx: &mut Ctx, ids: &[&str]) -> bool {
    if ctx.hurtle.compat {
        true
    } else {
        ctx.skip(ids, "a [compat] requirement: checked with --compat hurtle");
        false
    }
}

/// Splits a header field value on the commas outside quoted strings.
pub fn split_outside_quotes(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(std::mem::take(&mut current).trim().to_owned());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    let last = current.trim().to_owned();
    if !last.is_empty() {
        out.push(last);
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Every value of a header field, joined by `", "` (as Python's requests library sees them).
pub fn joined(resp: &Resp, name: &str) -> String {
    resp.headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `X-OCCI-Attribute`s of a text/occi response: name and raw value (quotes kept).
pub fn raw_attributes(resp: &Resp) -> Vec<(String, String)> {
    split_outside_quotes(&joined(resp, "x-occi-attribute"))
        .into_iter()
        .filter_map(|a| {
            a.split_once('=')
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// The value of a text/occi attribute, quotes removed.
pub fn attribute(resp: &Resp, name: &str) -> Option<String> {
    raw_attributes(resp)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| unquote(&v))
}

/// A value without its surrounding quotes.
pub fn unquote(v: &str) -> String {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
        .to_owned()
}

/// `attributes[name]` of a JSON entity rendering, as text.
pub fn json_attribute(resp: &Resp, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&resp.text).ok()?;
    match &v["attributes"][name] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The observed values of an attribute while polling, with the time each was first seen.
#[derive(Debug, Default)]
pub struct Observed {
    /// `(milliseconds since the start, value)` for each change.
    pub sequence: Vec<(u128, String)>,
    /// The last response.
    pub last: Option<Resp>,
    /// Whether the wanted value was reached.
    pub reached: bool,
}

impl Observed {
    /// The sequence as text: `CREATE_IN_PROGRESS@0ms -> CREATE_COMPLETE@210ms`.
    pub fn describe(&self) -> String {
        if self.sequence.is_empty() {
            return "(no value observed)".to_owned();
        }
        self.sequence
            .iter()
            .map(|(ms, v)| format!("{v}@{ms}ms"))
            .collect::<Vec<_>>()
            .join(" -> ")
    }

    /// The distinct values seen, in order.
    pub fn values(&self) -> Vec<&str> {
        self.sequence.iter().map(|(_, v)| v.as_str()).collect()
    }
}

/// GETs `req` (as JSON) repeatedly until `attribute` satisfies `done` or is one of `stop`,
/// or the lifecycle timeout passes, recording every value seen.
pub async fn poll(
    ctx: &mut Ctx,
    req: &Req,
    attribute: &str,
    done: &(dyn Fn(&str) -> bool + Sync),
    stop: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Observed, Abort> {
    let start = Instant::now();
    let mut observed = Observed::default();
    let mut pause = Duration::from_millis(10);
    loop {
        let resp = ctx.send(req.clone()).await?;
        let value = json_attribute(&resp, attribute)
            .unwrap_or_else(|| format!("(status {}, no {attribute})", resp.status));
        if observed.sequence.last().map(|(_, v)| v) != Some(&value) {
            observed
                .sequence
                .push((start.elapsed().as_millis(), value.clone()));
        }
        observed.last = Some(resp);
        if done(&value) {
            observed.reached = true;
            return Ok(observed);
        }
        if stop(&value) || start.elapsed() >= ctx.hurtle.lifecycle_timeout {
            return Ok(observed);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_lists_split_outside_quotes() {
        assert_eq!(
            split_outside_quotes("a=\"x, y\", b=\"2\",c=3"),
            vec!["a=\"x, y\"", "b=\"2\"", "c=3"]
        );
        assert!(split_outside_quotes("").is_empty());
        assert_eq!(unquote("\"v\""), "v");
        assert_eq!(unquote("v"), "v");
    }
}
