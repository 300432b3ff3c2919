//! Canonical writers shared by the body and header renderings.

use http::{HeaderMap, HeaderName, HeaderValue};
use occi_model::{
    ActionInvocation, AttributeDefinition, AttributeValue, Category, CategoryClass, CategoryId,
    Entity, Float, Link, Location, Resource, core_attr, ext,
};

use super::{Field, TextDocument};

/// Where rendered values go: body lines or header fields.
pub(crate) trait Out {
    /// Starts a value of `field` and returns the buffer to write it into.
    fn begin(&mut self, field: Field) -> &mut String;
    /// Ends the value.
    fn end(&mut self);
}

/// text/plain: `Name: value` CRLF per value.
#[derive(Debug, Default)]
pub(crate) struct Lines(pub(crate) String);

impl Out for Lines {
    fn begin(&mut self, field: Field) -> &mut String {
        self.0.push_str(field.name());
        self.0.push_str(": ");
        &mut self.0
    }

    fn end(&mut self) {
        self.0.push_str("\r\n");
    }
}

/// text/occi: one comma-separated field value per field name.
///
/// Every value is written into one buffer, and each field's header value is copied out of it
/// at its exact size (slices sharing the buffer would cost an atomic reference count per
/// value, which measured slower than the copy). The renderers write the
/// fields in [`Field`] order (Categories, then Links, attributes, locations), so each field's
/// values are contiguous; a field begun again after a later one goes to its own `late`
/// buffer and is joined at the end, so any order renders the same.
#[derive(Debug)]
pub(crate) struct Fields {
    buf: String,
    /// Each field's range in `buf` (`None`: not begun in order).
    spans: [Option<(usize, usize)>; 4],
    /// The field whose span is open (its end is `buf.len()`).
    open: Option<usize>,
    /// Values of a field begun after a later field.
    late: [String; 4],
}

impl Default for Fields {
    /// Room for the Categories, Links and attributes of a typical entity, so that rendering
    /// one seldom grows the buffer.
    fn default() -> Self {
        Self {
            buf: String::with_capacity(1024),
            spans: [None; 4],
            open: None,
            late: Default::default(),
        }
    }
}

impl Out for Fields {
    fn begin(&mut self, field: Field) -> &mut String {
        let f = field as usize;
        if self.open == Some(f) {
            self.buf.push_str(", ");
            return &mut self.buf;
        }
        if self.spans[f].is_none() && self.open.is_none_or(|o| o < f) {
            if let Some(o) = self.open
                && let Some(span) = &mut self.spans[o]
            {
                span.1 = self.buf.len();
            }
            self.open = Some(f);
            self.spans[f] = Some((self.buf.len(), self.buf.len()));
            return &mut self.buf;
        }
        let s = &mut self.late[f];
        if !s.is_empty() {
            s.push_str(", ");
        }
        s
    }

    fn end(&mut self) {}
}

impl Fields {
    pub(crate) fn into_headers(mut self, headers: &mut HeaderMap) {
        if let Some(o) = self.open
            && let Some(span) = &mut self.spans[o]
        {
            span.1 = self.buf.len();
        }
        let buf = self.buf.as_bytes();
        let names = [
            Field::Category,
            Field::Link,
            Field::Attribute,
            Field::Location,
        ];
        headers.reserve(
            names
                .iter()
                .filter(|f| {
                    self.spans[**f as usize].is_some() || !self.late[**f as usize].is_empty()
                })
                .count(),
        );
        for field in names {
            let f = field as usize;
            let late = std::mem::take(&mut self.late[f]);
            let value = match (self.spans[f], late.is_empty()) {
                (None, true) => continue,
                (Some((a, b)), true) => bytes::Bytes::copy_from_slice(&buf[a..b]),
                (None, false) => bytes::Bytes::from(late),
                (Some((a, b)), false) => {
                    let mut joined = Vec::with_capacity(b - a + 2 + late.len());
                    joined.extend_from_slice(&buf[a..b]);
                    joined.extend_from_slice(b", ");
                    joined.extend_from_slice(late.as_bytes());
                    bytes::Bytes::from(joined)
                }
            };
            if value.is_empty() {
                continue;
            }
            let name = HeaderName::from_static(match field {
                Field::Category => "category",
                Field::Link => "link",
                Field::Attribute => "x-occi-attribute",
                Field::Location => "x-occi-location",
            });
            // Rendered values hold no control characters (they are replaced), so this
            // conversion cannot fail; filter defensively rather than panic.
            let value = HeaderValue::from_maybe_shared(value)
                .unwrap_or_else(|_| HeaderValue::from_static(""));
            headers.append(name, value);
        }
    }
}

fn is_bad_char(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// Whether a string can be carried as a quoted-string.
pub(crate) fn string_ok(s: &str) -> bool {
    !s.chars().any(is_bad_char)
}

/// The bytes [`quoted`] must look at: `"`, `\`, controls below 0x20, DEL and 0xC2 (the
/// lead byte of the C1 controls).
static NEEDS_CARE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[0x7f] = true;
    table[0xc2] = true;
    table
};

/// Appends `s` as a quoted-string: `"` and `\` escaped, control characters replaced.
pub(crate) fn quoted(out: &mut String, s: &str) {
    out.push('"');
    if s.bytes()
        .fold(false, |acc, b| acc | NEEDS_CARE[usize::from(b)])
    {
        for c in s.chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                c if is_bad_char(c) => out.push('\u{FFFD}'),
                c => out.push(c),
            }
        }
    } else {
        out.push_str(s);
    }
    out.push('"');
}

fn integer(out: &mut String, v: i64) {
    let mut buf = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut k = buf.len();
    loop {
        k -= 1;
        // `n % 10` is below 10.
        buf[k] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push('-');
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[k..]).unwrap_or_default());
}

/// Appends a Float as its `Display` does: an integral value below 2^53 in magnitude prints
/// its exact integer digits and `.0`, written here without the formatting machinery.
fn float(out: &mut String, f: Float) {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    let v = f.get();
    if v.fract() == 0.0 && v.abs() < EXACT {
        if v == 0.0 && v.is_sign_negative() {
            out.push_str("-0.0");
        } else {
            // Integral and below 2^53 in magnitude, so the conversion is exact.
            #[allow(clippy::cast_possible_truncation)]
            integer(out, v as i64);
            out.push_str(".0");
        }
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{f}");
    }
}

/// Appends a value (List and Map values, which text cannot carry, are not written; callers
/// skip them).
pub(crate) fn value(out: &mut String, v: &AttributeValue) {
    match v {
        AttributeValue::String(s) => quoted(out, s),
        AttributeValue::Integer(i) => integer(out, *i),
        AttributeValue::Float(f) => float(out, *f),
        AttributeValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        AttributeValue::List(_) | AttributeValue::Map(_) => out.push_str("\"\""),
    }
}

fn id(out: &mut String, id: &CategoryId) {
    out.push_str(id.scheme().as_str());
    out.push_str(id.term().as_str());
}

fn ids(out: &mut String, list: &[CategoryId]) {
    for (k, i) in list.iter().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        id(out, i);
    }
}

/// `name=value`.
pub(crate) fn attribute(out: &mut String, name: &str, v: &AttributeValue) {
    out.push_str(name);
    out.push('=');
    value(out, v);
}

/// The parts of a `category-value`, in ABNF order.
pub(crate) struct CategoryParts<'a> {
    pub(crate) id: &'a CategoryId,
    pub(crate) class: CategoryClass,
    pub(crate) title: Option<&'a str>,
    pub(crate) rel: &'a [CategoryId],
    pub(crate) location: Option<&'a Location>,
    pub(crate) attributes: &'a [AttributeDefinition],
    pub(crate) actions: &'a [CategoryId],
}

pub(crate) fn category(out: &mut String, c: &CategoryParts<'_>) {
    out.push_str(c.id.term().as_str());
    out.push_str("; scheme=\"");
    out.push_str(c.id.scheme().as_str());
    out.push_str("\"; class=\"");
    out.push_str(c.class.as_str());
    out.push('"');
    if let Some(t) = c.title {
        out.push_str("; title=");
        quoted(out, t);
    }
    if !c.rel.is_empty() {
        out.push_str("; rel=\"");
        ids(out, c.rel);
        out.push('"');
    }
    if let Some(l) = c.location {
        out.push_str("; location=\"");
        out.push_str(l.as_str());
        out.push('"');
    }
    if !c.attributes.is_empty() {
        out.push_str("; attributes=\"");
        for (k, d) in c.attributes.iter().enumerate() {
            if k > 0 {
                out.push(' ');
            }
            out.push_str(d.name.as_str());
            match (!d.mutable, d.required) {
                (true, true) => out.push_str("{immutable required}"),
                (true, false) => out.push_str("{immutable}"),
                (false, true) => out.push_str("{required}"),
                (false, false) => {}
            }
        }
        out.push('"');
    }
    if !c.actions.is_empty() {
        out.push_str("; actions=\"");
        ids(out, c.actions);
        out.push('"');
    }
}

fn short(o: &mut impl Out, i: &CategoryId, class: CategoryClass) {
    let out = o.begin(Field::Category);
    category(
        out,
        &CategoryParts {
            id: i,
            class,
            title: None,
            rel: &[],
            location: None,
            attributes: &[],
            actions: &[],
        },
    );
    o.end();
}

pub(crate) fn action_link(out: &mut String, location: &Location, action: &CategoryId) {
    out.push('<');
    out.push_str(location.as_str());
    out.push_str("?action=");
    out.push_str(action.term().as_str());
    out.push_str(">; rel=\"");
    id(out, action);
    out.push('"');
}

/// Starts a `link-value`: `<target>; rel="…"[; self="…"]; category="…"`.
pub(crate) fn link_head(
    out: &mut String,
    target: &Location,
    rel: &[CategoryId],
    self_location: Option<&Location>,
    categories: &[CategoryId],
) {
    out.push('<');
    out.push_str(target.as_str());
    out.push_str(">; rel=\"");
    ids(out, rel);
    out.push('"');
    if let Some(s) = self_location {
        out.push_str("; self=\"");
        out.push_str(s.as_str());
        out.push('"');
    }
    if !categories.is_empty() {
        out.push_str("; category=\"");
        ids(out, categories);
        out.push('"');
    }
}

fn link_param(out: &mut String, name: &str, v: &AttributeValue) {
    out.push_str("; ");
    attribute(out, name, v);
}

fn link_param_str(out: &mut String, name: &str, s: &str) {
    out.push_str("; ");
    out.push_str(name);
    out.push('=');
    quoted(out, s);
}

fn inline_link(o: &mut impl Out, owner: Option<&Location>, l: &Link) {
    let Some(target) = &l.target else {
        return;
    };
    let out = o.begin(Field::Link);
    let resource;
    let rel = if let Some(k) = &l.target_kind {
        std::slice::from_ref(k)
    } else {
        resource = ext::core::resource_id();
        std::slice::from_ref(&resource)
    };
    out.push('<');
    out.push_str(target.as_str());
    out.push_str(">; rel=\"");
    ids(out, rel);
    out.push('"');
    if let Some(s) = &l.location {
        out.push_str("; self=\"");
        out.push_str(s.as_str());
        out.push('"');
    }
    out.push_str("; category=\"");
    id(out, &l.kind);
    for m in &l.mixins {
        out.push(' ');
        id(out, m);
    }
    out.push('"');
    if let Some(i) = &l.id {
        link_param_str(out, core_attr::ID, i.as_str());
    }
    if let Some(t) = &l.title {
        link_param_str(out, core_attr::TITLE, t);
    }
    if let Some(s) = &l.source
        && Some(s) != owner
    {
        link_param_str(out, core_attr::SOURCE, s.as_str());
    }
    if let Some(k) = &l.source_kind {
        out.push_str("; ");
        out.push_str(core_attr::SOURCE_KIND);
        out.push_str("=\"");
        id(out, k);
        out.push('"');
    }
    for (n, v) in &l.attributes {
        if v.is_text_renderable() && !is_link_value_parameter(n.as_str()) {
            link_param(out, n.as_str(), v);
        }
    }
    o.end();
}

/// Whether an inline link's attribute `name` would read as one of `link-value`'s own
/// parameters (`rel`, `self`, `category`), which the text rendering cannot tell apart from it.
pub(crate) fn is_link_value_parameter(name: &str) -> bool {
    matches!(name, "rel" | "self" | "category")
}

fn attr_line(o: &mut impl Out, name: &str, v: &AttributeValue) {
    if v.is_text_renderable() {
        attribute(o.begin(Field::Attribute), name, v);
        o.end();
    }
}

fn attr_str(o: &mut impl Out, name: &str, s: &str) {
    let out = o.begin(Field::Attribute);
    out.push_str(name);
    out.push('=');
    quoted(out, s);
    o.end();
}

fn attr_id(o: &mut impl Out, name: &str, i: &CategoryId) {
    let out = o.begin(Field::Attribute);
    out.push_str(name);
    out.push_str("=\"");
    id(out, i);
    out.push('"');
    o.end();
}

fn rest(o: &mut impl Out, attrs: &occi_model::Attributes) {
    for (n, v) in attrs {
        attr_line(o, n.as_str(), v);
    }
}

fn resource(o: &mut impl Out, r: &Resource) {
    for l in &r.links {
        inline_link(o, r.location.as_ref(), l);
    }
    if let Some(i) = &r.id {
        attr_str(o, core_attr::ID, i.as_str());
    }
    if let Some(t) = &r.title {
        attr_str(o, core_attr::TITLE, t);
    }
    if let Some(s) = &r.summary {
        attr_str(o, core_attr::SUMMARY, s);
    }
    rest(o, &r.attributes);
}

fn link(o: &mut impl Out, l: &Link) {
    if let Some(i) = &l.id {
        attr_str(o, core_attr::ID, i.as_str());
    }
    if let Some(t) = &l.title {
        attr_str(o, core_attr::TITLE, t);
    }
    if let Some(s) = &l.source {
        attr_str(o, core_attr::SOURCE, s.as_str());
    }
    if let Some(t) = &l.target {
        attr_str(o, core_attr::TARGET, t.as_str());
    }
    if let Some(k) = &l.source_kind {
        attr_id(o, core_attr::SOURCE_KIND, k);
    }
    if let Some(k) = &l.target_kind {
        attr_id(o, core_attr::TARGET_KIND, k);
    }
    rest(o, &l.attributes);
}

pub(crate) fn entity(o: &mut impl Out, e: &Entity) {
    short(o, e.kind(), CategoryClass::Kind);
    for m in e.mixins() {
        short(o, m, CategoryClass::Mixin);
    }
    if let Some(loc) = e.location() {
        for a in e.actions() {
            action_link(o.begin(Field::Link), loc, a);
            o.end();
        }
    }
    match e {
        Entity::Resource(r) => resource(o, r),
        Entity::Link(l) => link(o, l),
    }
}

pub(crate) fn categories(o: &mut impl Out, categories: &[Category]) {
    for c in categories {
        let out = o.begin(Field::Category);
        let parts = match c {
            Category::Kind(k) => CategoryParts {
                id: &k.id,
                class: CategoryClass::Kind,
                title: k.title.as_deref(),
                rel: k.parent.as_slice(),
                location: k.location.as_ref(),
                attributes: &k.attributes,
                actions: &k.actions,
            },
            Category::Mixin(m) => CategoryParts {
                id: &m.id,
                class: CategoryClass::Mixin,
                title: m.title.as_deref(),
                // T12 §5.5.2: only the first depends.
                rel: &m.depends[..m.depends.len().min(1)],
                location: m.location.as_ref(),
                attributes: &m.attributes,
                actions: &m.actions,
            },
            Category::Action(a) => CategoryParts {
                id: &a.id,
                class: CategoryClass::Action,
                title: a.title.as_deref(),
                rel: &[],
                location: None,
                attributes: &a.attributes,
                actions: &[],
            },
        };
        category(out, &parts);
        o.end();
    }
}

pub(crate) fn action_invocation(o: &mut impl Out, a: &ActionInvocation) {
    short(o, &a.action, CategoryClass::Action);
    rest(o, &a.attributes);
}

pub(crate) fn locations(o: &mut impl Out, locations: &[Location]) {
    for l in locations {
        o.begin(Field::Location).push_str(l.as_str());
        o.end();
    }
}

pub(crate) fn document(o: &mut impl Out, d: &TextDocument) {
    for c in &d.categories {
        category(
            o.begin(Field::Category),
            &CategoryParts {
                id: &c.id,
                class: c.class,
                title: c.title.as_deref(),
                rel: &c.rel,
                location: c.location.as_ref(),
                attributes: &c.attributes,
                actions: &c.actions,
            },
        );
        o.end();
    }
    for a in &d.action_links {
        action_link(o.begin(Field::Link), &a.location, &a.action);
        o.end();
    }
    for l in &d.links {
        let out = o.begin(Field::Link);
        link_head(
            out,
            &l.target,
            &l.rel,
            l.self_location.as_ref(),
            &l.categories,
        );
        // The link-value grammar carries attributes only after `category`, and one named
        // like a link-value parameter would read as that parameter: neither can be written.
        if !l.categories.is_empty() {
            for (n, v) in &l.attributes {
                if !is_link_value_parameter(n.as_str()) {
                    link_param(out, n.as_str(), v);
                }
            }
        }
        o.end();
    }
    for a in &d.attributes {
        attr_line(o, a.name.as_str(), &a.value);
    }
    for l in &d.locations {
        o.begin(Field::Location).push_str(l.location.as_str());
        o.end();
    }
}

fn value_ok(v: &AttributeValue) -> bool {
    match v {
        AttributeValue::String(s) => string_ok(s),
        other => other.is_text_renderable(),
    }
}

fn attrs_ok(a: &occi_model::Attributes) -> bool {
    a.values().all(value_ok)
}

fn opt_ok(s: Option<&String>) -> bool {
    s.is_none_or(|s| string_ok(s))
}

pub(crate) fn can_render_entity(e: &Entity) -> bool {
    if !e.actions().is_empty() && e.location().is_none() {
        return false;
    }
    match e {
        Entity::Resource(r) => {
            opt_ok(r.title.as_ref())
                && opt_ok(r.summary.as_ref())
                && attrs_ok(&r.attributes)
                && r.links.iter().all(|l| {
                    l.target.is_some()
                        && opt_ok(l.title.as_ref())
                        && attrs_ok(&l.attributes)
                        && !l
                            .attributes
                            .keys()
                            .any(|n| is_link_value_parameter(n.as_str()))
                })
        }
        Entity::Link(l) => opt_ok(l.title.as_ref()) && attrs_ok(&l.attributes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_render_as_their_display() {
        for v in [
            0.0,
            -0.0,
            2.0,
            -2.0,
            2.5,
            1e15,
            -1e15,
            9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            1e300,
            -1e-300,
            f64::MAX,
            f64::MIN,
            0.1 + 0.2,
        ] {
            let f = Float::new(v).unwrap();
            let mut out = String::new();
            float(&mut out, f);
            assert_eq!(out, f.to_string(), "{v:?}");
        }
    }

    #[test]
    fn fields_in_any_order_join_per_field() {
        let mut fields = Fields::default();
        for (field, text) in [
            (Field::Link, "l1"),
            (Field::Category, "c1"),
            (Field::Link, "l2"),
            (Field::Attribute, "a1"),
            (Field::Category, "c2"),
            (Field::Attribute, "a2"),
            (Field::Location, "/x"),
            (Field::Location, "/y"),
        ] {
            fields.begin(field).push_str(text);
            fields.end();
        }
        let mut map = HeaderMap::new();
        fields.into_headers(&mut map);
        assert_eq!(map.len(), 4);
        assert_eq!(map["category"], "c1, c2");
        assert_eq!(map["link"], "l1, l2");
        assert_eq!(map["x-occi-attribute"], "a1, a2");
        assert_eq!(map["x-occi-location"], "/x, /y");
        let mut map = HeaderMap::new();
        Fields::default().into_headers(&mut map);
        assert!(map.is_empty());
    }

    #[test]
    fn integers_render_as_their_display() {
        for v in [0, 1, -1, 10, -10, i64::MAX, i64::MIN] {
            let mut out = String::new();
            integer(&mut out, v);
            assert_eq!(out, v.to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn any_float_renders_as_its_display(v: f64) {
            if let Some(f) = Float::new(v) {
                let mut out = String::new();
                float(&mut out, f);
                proptest::prop_assert_eq!(out, f.to_string());
            }
        }
    }
}
