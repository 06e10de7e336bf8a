//! Cursor pagination as Shopify does it: `limit`, `page_info` cursors that carry the listing's
//! filters (signed, so a tampered one is refused), `Link` headers with `rel="previous"` and
//! `rel="next"`, and the pages themselves, cut from the shop's id-ordered maps.

use std::{collections::BTreeMap, ops::Bound};

use axum::http::StatusCode;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use super::{Answer, ApiRequest};
use crate::Shop;

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;

/// Query parameters, in order, decoded.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn parse(query: &str) -> Params {
        Params(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn limit(&self) -> usize {
        self.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The filters among the parameters; a `page_info` cursor carries them on.
    pub(super) fn filters(&self) -> Filters {
        self.0.iter().filter(|(k, _)| FILTER_NAMES.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub(super) fn fields(&self) -> Option<Vec<String>> {
        self.get("fields").map(|f| f.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
    }
}

/// The filters a listing was asked for; a `page_info` cursor carries them on.
pub(super) type Filters = BTreeMap<String, String>;

const FILTER_NAMES: &[&str] = &[
    "ids",
    "since_id",
    "status",
    "created_at_min",
    "created_at_max",
    "updated_at_min",
    "updated_at_max",
    "location_ids",
    "inventory_item_ids",
    "topic",
    "address",
];

/// What `page_info` encodes: the listing, its filters, and where the page starts or ends.
#[derive(Serialize, Deserialize)]
struct Cursor {
    resource: String,
    filters: Filters,
    after: Option<u64>,
    before: Option<u64>,
}

/// Which slice of the matching records a request asks for.
#[derive(Clone, Copy)]
pub(super) struct Window {
    after: Option<u64>,
    before: Option<u64>,
    limit: usize,
}

impl Window {
    pub(super) const ALL: Window = Window { after: None, before: None, limit: usize::MAX };
}

/// One page of matching keys, and whether matching records lie before and after it.
pub(super) struct Page {
    pub(super) keys: Vec<u64>,
    more_before: bool,
    more_after: bool,
}

/// The page of `map`'s records above `since` that `keep` accepts, in key order.
pub(super) fn page_of<T>(map: &BTreeMap<u64, T>, since: u64, keep: impl Fn(&T) -> bool, window: Window) -> Page {
    let lowest = since.saturating_add(1);
    let kept = |(key, value): (&u64, &T)| keep(value).then_some(*key);
    let wanted = window.limit.saturating_add(1);
    match (window.after, window.before) {
        (None, Some(before)) => {
            let mut keys: Vec<u64> =
                map.range(lowest..before.max(lowest)).rev().filter_map(kept).take(wanted).collect();
            let more_before = keys.len() > window.limit;
            keys.truncate(window.limit);
            keys.reverse();
            let more_after = map.range(before.max(lowest)..).filter_map(kept).next().is_some();
            Page { keys, more_before, more_after }
        }
        (after, _) => {
            let start = after.map_or(since, |after| after.max(since));
            let mut keys: Vec<u64> =
                map.range((Bound::Excluded(start), Bound::Unbounded)).filter_map(kept).take(wanted).collect();
            let more_after = keys.len() > window.limit;
            keys.truncate(window.limit);
            let more_before = after.is_some_and(|after| {
                after >= lowest && map.range(lowest..=after).rev().filter_map(kept).next().is_some()
            });
            Page { keys, more_before, more_after }
        }
    }
}

impl ApiRequest<'_> {
    /// The filters and the window a listing asks for: from its parameters, or from its
    /// `page_info` cursor, beside which only `limit` and `fields` may be passed.
    pub(super) fn requested_page(&self, resource: &str) -> Result<(Filters, Window), Answer> {
        let limit = self.params.limit();
        let Some(page_info) = self.params.get("page_info") else {
            return Ok((self.params.filters(), Window { after: None, before: None, limit }));
        };
        if let Some((name, _)) =
            self.params.0.iter().find(|(k, _)| !matches!(k.as_str(), "page_info" | "limit" | "fields"))
        {
            return Err(Answer::error(
                StatusCode::BAD_REQUEST,
                json!({ name: format!("{name} cannot be passed when page_info is present. See https://shopify.dev/api/usage/pagination-rest for more information.") }),
            ));
        }
        match self.decode_cursor(page_info) {
            Some(cursor) if cursor.resource == resource => {
                Ok((cursor.filters, Window { after: cursor.after, before: cursor.before, limit }))
            }
            _ => Err(Answer::error(StatusCode::BAD_REQUEST, json!({"page_info": "Invalid value."}))),
        }
    }

    /// The `Link` header for `page` of a listing asked for with `window`, if there is more to see.
    pub(super) fn link_header(&self, resource: &str, filters: &Filters, page: &Page, window: Window) -> Option<String> {
        let mut links = Vec::new();
        if page.more_before {
            let first = page.keys.first().copied().or(window.after).unwrap_or_default();
            links.push((self.link(resource, filters, None, Some(first)), "previous"));
        }
        if page.more_after {
            links.push((self.link(resource, filters, page.keys.last().copied(), None), "next"));
        }
        if links.is_empty() {
            return None;
        }
        let malformed = malformed_link_due(self.shop);
        let links: Vec<String> = links
            .into_iter()
            .map(
                |(url, rel)| {
                    if malformed {
                        format!("rel=\"{rel}\">; {url}<")
                    } else {
                        format!("<{url}>; rel=\"{rel}\"")
                    }
                },
            )
            .collect();
        Some(links.join(", "))
    }

    /// The URL of the page before `before` or after `after`, with the request's `limit` and `fields`.
    fn link(&self, resource: &str, filters: &Filters, after: Option<u64>, before: Option<u64>) -> String {
        let cursor = Cursor { resource: resource.to_owned(), filters: filters.clone(), after, before };
        let mut url = format!(
            "https://{}/admin/api/{}/{resource}.json?limit={}",
            self.shop.domain(),
            self.version(),
            self.params.limit()
        );
        if let Some(fields) = self.params.get("fields") {
            // Commas encoded, so clients that split the header on "," still work.
            url.push_str(&format!(
                "&fields={}",
                form_urlencoded::byte_serialize(fields.as_bytes()).collect::<String>()
            ));
        }
        url.push_str(&format!("&page_info={}", self.encode_cursor(&cursor)));
        url
    }

    fn encode_cursor(&self, cursor: &Cursor) -> String {
        let json = serde_json::to_vec(cursor).unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.emu.cursor_key).expect("any key length works");
        mac.update(&json);
        let mut raw = mac.finalize().into_bytes()[..12].to_vec();
        raw.extend_from_slice(&json);
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode_cursor(&self, text: &str) -> Option<Cursor> {
        let raw = URL_SAFE_NO_PAD.decode(text).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (sig, json) = raw.split_at(12);
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.emu.cursor_key).expect("any key length works");
        mac.update(json);
        mac.verify_truncated_left(sig).ok()?;
        serde_json::from_slice(json).ok()
    }
}

/// True when this `Link` header is to be one of the malformed ones the `malformed_link` fault
/// asks for; each one counts the fault down, so it switches itself off.
fn malformed_link_due(shop: &Shop) -> bool {
    let mut faults = shop.faults.lock().expect("faults lock");
    let due = faults.malformed_link > 0;
    if due {
        faults.malformed_link -= 1;
    }
    due
}
