//! Collections as WooCommerce's CRUD controllers serve them: WordPress's checks of `page`,
//! `per_page` (1–100), `order`, `orderby` and the rest (every failure named in one 400), the
//! created and modified date filters (exclusive, second-precision, site-local unless
//! `dates_are_gmt`), ties broken by id, the `X-WP-Total`/`X-WP-TotalPages` headers and `Link`
//! with `prev`/`next`, and `_fields`.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use time::{Date, Month, PrimitiveDateTime, Time};

use super::{Reply, Site, WpError};

/// Query parameters in order, decoded.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Params {
        Params(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    /// A scalar parameter; the last one wins, as in PHP.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A list parameter: `name[]=a&name[]=b`, or `name=a,b` split as `wp_parse_list` splits.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        let bracketed: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k.strip_prefix(name).is_some_and(|rest| rest.starts_with('[') && rest.ends_with(']')))
            .map(|(_, v)| v.clone())
            .collect();
        if !bracketed.is_empty() {
            return Some(bracketed);
        }
        self.get(name).map(|v| {
            v.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        })
    }

    fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Parameters that failed WordPress's checks, reported together in one `rest_invalid_param`.
#[derive(Debug, Default)]
pub struct Invalid(Vec<(String, &'static str, String)>);

impl Invalid {
    pub fn add(&mut self, param: &str, code: &'static str, message: String) {
        self.0.push((param.to_owned(), code, message));
    }

    pub fn enum_value(&mut self, param: &str, allowed: &[&str]) {
        self.add(param, "rest_not_in_enum", format!("{param} is not one of {}.", english_list(allowed)));
    }

    pub fn into_result(self) -> Result<(), WpError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = self.0.iter().map(|(name, _, _)| name.as_str()).collect();
        let mut error = WpError::new(400, "rest_invalid_param", format!("Invalid parameter(s): {}", names.join(", ")));
        let mut params = Map::new();
        let mut details = Map::new();
        for (name, code, message) in &self.0 {
            params.insert(name.clone(), json!(message));
            details.insert(name.clone(), json!({"code": code, "message": message, "data": null}));
        }
        error.data.insert("params".into(), Value::Object(params));
        error.data.insert("details".into(), Value::Object(details));
        Err(error)
    }
}

/// `wp_sprintf`'s `%l`: "a and b", "a, b, and c".
fn english_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    }
}

/// What one collection accepts.
pub struct Spec {
    pub orderby: &'static [&'static str],
    pub default_orderby: &'static str,
    pub default_desc: bool,
    /// Whether `after`, `before`, `modified_after`, `modified_before` and `dates_are_gmt` exist
    /// (customers have none: unknown parameters are ignored).
    pub dates: bool,
}

/// Bounds on one date column, as wall-clock seconds in that column's zone.
#[derive(Debug, Default, Clone, Copy)]
struct Window {
    after: Option<i64>,
    before: Option<i64>,
}

impl Window {
    fn admits(self, wall: i64) -> bool {
        self.after.is_none_or(|after| wall > after) && self.before.is_none_or(|before| wall < before)
    }
}

/// A collection request, checked.
#[derive(Debug)]
pub struct Listing {
    pub page: usize,
    pub per_page: usize,
    offset: Option<usize>,
    desc: bool,
    orderby: String,
    pub include: Vec<u64>,
    exclude: Vec<u64>,
    created: Window,
    modified: Window,
    gmt: bool,
    site_offset: i64,
}

/// One record as a collection sorts and filters it.
pub struct Row {
    pub id: u64,
    pub created: i64,
    pub modified: i64,
    pub name: String,
}

impl Listing {
    /// Checks the common parameters into `invalid`; the caller adds its own before answering.
    pub fn parse(params: &Params, spec: &Spec, site: &Site, invalid: &mut Invalid) -> Listing {
        let mut listing = Listing {
            page: 1,
            per_page: 10,
            offset: None,
            desc: spec.default_desc,
            orderby: spec.default_orderby.to_owned(),
            include: Vec::new(),
            exclude: Vec::new(),
            created: Window::default(),
            modified: Window::default(),
            gmt: false,
            site_offset: i64::from(site.config.utc_offset_minutes) * 60,
        };
        if let Some(page) = integer(params, "page", invalid) {
            if page < 1 {
                invalid.add("page", "rest_out_of_bounds", "page must be greater than or equal to 1".into());
            } else {
                listing.page = page as usize;
            }
        }
        if let Some(per_page) = integer(params, "per_page", invalid) {
            if (1..=100).contains(&per_page) {
                listing.per_page = per_page as usize;
            } else {
                let message = "per_page must be between 1 (inclusive) and 100 (inclusive)";
                invalid.add("per_page", "rest_out_of_bounds", message.into());
            }
        }
        if let Some(offset) = integer(params, "offset", invalid) {
            listing.offset = Some(offset.max(0) as usize);
        }
        match params.get("order") {
            None => {}
            Some("asc") => listing.desc = false,
            Some("desc") => listing.desc = true,
            Some(_) => invalid.enum_value("order", &["asc", "desc"]),
        }
        match params.get("orderby") {
            None => {}
            Some(orderby) if spec.orderby.contains(&orderby) => listing.orderby = orderby.to_owned(),
            Some(_) => invalid.enum_value("orderby", spec.orderby),
        }
        listing.include = id_list(params, "include", invalid);
        listing.exclude = id_list(params, "exclude", invalid);
        if spec.dates {
            listing.gmt = boolean(params, "dates_are_gmt", invalid).unwrap_or(false);
            let offset = listing.site_offset;
            let mut bound = |name: &str| {
                let value = params.get(name)?;
                let parsed = wall_bound(value, offset);
                if parsed.is_none() {
                    invalid.add(name, "rest_invalid_date", "Invalid date.".into());
                }
                parsed
            };
            listing.created = Window { after: bound("after"), before: bound("before") };
            listing.modified = Window { after: bound("modified_after"), before: bound("modified_before") };
        }
        listing
    }

    /// The ids of the page asked for, and how many records matched in all.
    pub fn select(&self, rows: Vec<Row>) -> (Vec<u64>, usize) {
        let shift = if self.gmt { 0 } else { self.site_offset };
        let mut rows: Vec<Row> = rows
            .into_iter()
            .filter(|row| self.include.is_empty() || self.include.contains(&row.id))
            .filter(|row| !self.exclude.contains(&row.id))
            .filter(|row| self.created.admits(row.created + shift) && self.modified.admits(row.modified + shift))
            .collect();
        // WooCommerce adds the id to `date` and `modified` ordering, so pages never overlap.
        match self.orderby.as_str() {
            "id" => rows.sort_by_key(|row| row.id),
            "modified" => rows.sort_by_key(|row| (row.modified, row.id)),
            "include" => rows.sort_by_key(|row| self.include.iter().position(|id| *id == row.id)),
            "title" | "slug" | "name" => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
            _ => rows.sort_by_key(|row| (row.created, row.id)),
        }
        if self.desc {
            rows.reverse();
        }
        let total = rows.len();
        let start = self.offset.unwrap_or((self.page - 1) * self.per_page);
        let ids = rows.into_iter().skip(start).take(self.per_page).map(|row| row.id).collect();
        (ids, total)
    }
}

fn integer(params: &Params, name: &str, invalid: &mut Invalid) -> Option<i64> {
    let value = params.get(name)?;
    match value.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            invalid.add(name, "rest_invalid_type", format!("{name} is not of type integer."));
            None
        }
    }
}

/// `rest_sanitize_boolean` after `rest_is_boolean`.
fn boolean(params: &Params, name: &str, invalid: &mut Invalid) -> Option<bool> {
    let parsed = boolean_text(params.get(name)?);
    if parsed.is_none() {
        invalid.add(name, "rest_invalid_type", format!("{name} is not of type boolean."));
    }
    parsed
}

/// A boolean as WordPress accepts one in a string.
pub fn boolean_text(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" | "" => Some(false),
        _ => None,
    }
}

fn id_list(params: &Params, name: &str, invalid: &mut Invalid) -> Vec<u64> {
    let mut ids = Vec::new();
    for (i, item) in params.list(name).unwrap_or_default().iter().enumerate() {
        match item.parse::<u64>() {
            Ok(id) => ids.push(id),
            Err(_) => {
                invalid.add(name, "rest_invalid_type", format!("{name}[{i}] is not of type integer."));
                break;
            }
        }
    }
    ids
}

/// A date filter's bound as `WP_Date_Query` compares it: the wall-clock time of the value in the
/// site's timezone when the value carries an offset (`date_create` then `setTimezone`), the
/// value as written when it carries none; fractions of a second dropped. `None`: not a date
/// `rest_parse_date` accepts.
pub fn wall_bound(text: &str, site_offset_secs: i64) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 19 || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if !separators.iter().all(|&(i, c)| bytes[i] == c) {
        return None;
    }
    let date = Date::from_calendar_date(
        digits(0..4)? as i32,
        Month::try_from(digits(5..7)? as u8).ok()?,
        digits(8..10)? as u8,
    )
    .ok()?;
    let time = Time::from_hms(digits(11..13)? as u8, digits(14..16)? as u8, digits(17..19)? as u8).ok()?;
    let naive = PrimitiveDateTime::new(date, time).assume_utc().unix_timestamp();
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        if end == 0 {
            return None;
        }
        rest = &fraction[end..];
    }
    let offset = match rest {
        "" => return Some(naive),
        "Z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = match rest.get(3..) {
                Some("") => 0,
                Some(m) => m.strip_prefix(':')?.parse().ok().filter(|_| m.len() == 3)?,
                None => return None,
            };
            sign * (hours * 3600 + minutes * 60)
        }
    };
    Some(naive - offset + site_offset_secs)
}

/// A page of a collection with WooCommerce's headers. The `Link` URLs repeat the request's
/// parameters as WordPress's `add_query_arg` does, unencoded (credentials included).
pub fn page(site: &Site, route: &str, params: &Params, listing: &Listing, items: Vec<Value>, total: usize) -> Reply {
    let pages = total.div_ceil(listing.per_page);
    let mut links = Vec::new();
    if listing.page > 1 {
        let previous = (listing.page - 1).min(pages);
        links.push(format!("<{}>; rel=\"prev\"", page_url(site, route, params, previous)));
    }
    if pages > listing.page {
        links.push(format!("<{}>; rel=\"next\"", page_url(site, route, params, listing.page + 1)));
    }
    let reply = Reply::json(StatusCode::OK, &Value::Array(items))
        .header("x-wp-total", &total.to_string())
        .header("x-wp-totalpages", &pages.to_string());
    if links.is_empty() {
        reply
    } else {
        reply.header("link", &links.join(", "))
    }
}

fn page_url(site: &Site, route: &str, params: &Params, page: usize) -> String {
    let mut pairs: Vec<(String, String)> = params.pairs().iter().filter(|(k, _)| k != "rest_route").cloned().collect();
    match pairs.iter_mut().find(|(k, _)| k == "page") {
        Some(pair) => pair.1 = page.to_string(),
        None => pairs.push(("page".into(), page.to_string())),
    }
    let base = site.rest_url(route);
    let joiner = if base.contains('?') { '&' } else { '?' };
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", loose(k), loose(v))).collect();
    format!("{base}{joiner}{}", query.join("&"))
}

/// Only what would break the header: spaces, quotes, angle brackets, controls and non-ASCII.
fn loose(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_graphic() && !matches!(byte, b'"' | b'<' | b'>') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `_fields`, as a tree: `id,billing.email` keeps `id` and `billing.email`.
#[derive(Debug, Default)]
pub struct Fields(BTreeMap<String, Fields>);

impl Fields {
    pub fn parse(params: &Params) -> Option<Fields> {
        let list = params.list("_fields")?;
        let mut fields = Fields::default();
        for path in list {
            let mut node = &mut fields;
            let parts: Vec<&str> = path.split('.').collect();
            for (i, part) in parts.iter().enumerate() {
                let whole = node.0.get(*part).is_some_and(|child| child.0.is_empty()) && i < parts.len() - 1;
                if whole {
                    break;
                }
                node = node.0.entry((*part).to_owned()).or_default();
                if i == parts.len() - 1 {
                    node.0.clear();
                }
            }
        }
        Some(fields)
    }

    /// Keeps only the requested keys (and `_links` only when requested).
    pub fn apply(&self, value: Value) -> Value {
        let Value::Object(map) = value else { return value };
        let mut kept = Map::new();
        let mut map = map;
        for (key, sub) in &self.0 {
            if let Some(item) = map.remove(key) {
                let item = if sub.0.is_empty() { item } else { sub.apply(item) };
                kept.insert(key.clone(), item);
            }
        }
        Value::Object(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_wall_clock_times_in_the_columns_zone() {
        let naive = PrimitiveDateTime::new(
            Date::from_calendar_date(2026, Month::March, 1).unwrap(),
            Time::from_hms(10, 0, 0).unwrap(),
        )
        .assume_utc()
        .unix_timestamp();
        let india = 330 * 60;
        assert_eq!(wall_bound("2026-03-01T10:00:00", india), Some(naive));
        assert_eq!(wall_bound("2026-03-01 10:00:00.75", india), Some(naive));
        assert_eq!(wall_bound("2026-03-01T10:00:00Z", india), Some(naive + india));
        assert_eq!(wall_bound("2026-03-01T10:00:00+05:30", india), Some(naive));
        assert_eq!(wall_bound("2026-03-01T10:00:00-02", india), Some(naive + 7200 + india));
        for bad in ["2026-03-01", "2026-13-01T10:00:00", "2026-03-01T10:00:00+5", "yesterday", "2026-03-01T10:00:00."] {
            assert_eq!(wall_bound(bad, 0), None, "{bad}");
        }
    }

    #[test]
    fn lists_and_fields_parse_as_wordpress_reads_them() {
        let params =
            Params::parse("status=processing,%20on-hold&include[]=3&include[]=4&_fields=id,billing.email,billing");
        assert_eq!(params.list("status").unwrap(), ["processing", "on-hold"]);
        assert_eq!(params.list("include").unwrap(), ["3", "4"]);
        let fields = Fields::parse(&params).unwrap();
        let value = json!({"id": 1, "billing": {"email": "a", "phone": "b"}, "_links": {}});
        assert_eq!(fields.apply(value), json!({"id": 1, "billing": {"email": "a", "phone": "b"}}));
        let only_email = Fields::parse(&Params::parse("_fields=billing.email")).unwrap();
        assert_eq!(
            only_email.apply(json!({"id": 1, "billing": {"email": "a", "phone": "b"}})),
            json!({"billing": {"email": "a"}})
        );
        assert_eq!(english_list(&["asc", "desc"]), "asc and desc");
        assert_eq!(english_list(&["a", "b", "c"]), "a, b, and c");
    }
}
