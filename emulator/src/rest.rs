//! The REST Admin API: authentication, the leaky bucket, faults, versions, resources,
//! filters and cursor pagination, with Shopify's real status codes and bodies.

use std::{collections::BTreeMap, ops::Bound, sync::Arc, time::Instant};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::Response,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use time::{format_description::well_known::Rfc3339, macros::format_description, OffsetDateTime, PrimitiveDateTime};

use super::{
    bucket::Bucket,
    data::{Order, OrderStatus, ShopData, DAY},
    unix_now, webhooks, EmulatorState, LoggedRequest, Shop, SUPPORTED_VERSIONS,
};

const MAX_BODY: usize = 1 << 20;
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 250;

/// A finished answer, before the common headers are added.
struct Answer {
    status: StatusCode,
    body: Body,
    headers: HeaderMap,
}

impl Answer {
    fn json(status: StatusCode, value: &Value) -> Answer {
        Answer::bytes(status, serde_json::to_vec(value).unwrap_or_default())
    }

    /// JSON already written as text.
    fn bytes(status: StatusCode, json: Vec<u8>) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        Answer { status, body: Body::from(json), headers }
    }

    fn error(status: StatusCode, errors: Value) -> Answer {
        Answer::json(status, &json!({ "errors": errors }))
    }

    fn not_found() -> Answer {
        Answer::error(StatusCode::NOT_FOUND, json!("Not Found"))
    }

    fn header(mut self, name: &'static str, value: &str) -> Answer {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    fn into_response(self) -> Response {
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// Entry point for every request outside `/_emulator`.
pub async fn handle(State(emu): State<Arc<EmulatorState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default().to_ascii_lowercase();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let Some(shop) = emu.shops.get(&host).cloned() else {
        let answer = Answer::not_found();
        emu.record(log_entry(&host, &parts.method, &path, &query, 404), format!("{} (unknown shop)", parts.method));
        return answer.into_response();
    };
    let body = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();

    pause(&shop).await;
    let (answer, endpoint) = serve(&emu, &shop, &parts.method, &parts.headers, &path, &query, body);
    let status = answer.as_ref().map_or(200, |a| a.status.as_u16());
    emu.record(log_entry(&host, &parts.method, &path, &query, status), format!("{} {endpoint}", parts.method));
    match answer {
        Some(answer) => answer.into_response(),
        None => dropped_connection(),
    }
}

fn log_entry(shop: &str, method: &Method, path: &str, query: &str, status: u16) -> LoggedRequest {
    let path = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    LoggedRequest { shop: shop.to_owned(), method: method.to_string(), path, status }
}

/// Latency: the shop's fixed delay plus random jitter.
async fn pause(shop: &Shop) {
    let fixed = *shop.latency_ms.lock().expect("latency lock");
    let jitter = shop.faults.lock().expect("faults lock").jitter_ms;
    let extra = if jitter > 0 { rand::thread_rng().gen_range(0..=jitter) } else { 0 };
    if fixed + extra > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(fixed + extra)).await;
    }
}

/// A response whose body fails after the headers: the client sees the connection drop.
fn dropped_connection() -> Response {
    let stream =
        futures::stream::once(async { Err::<Bytes, _>(std::io::Error::other("connection dropped by the emulator")) });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from_static("1024"));
    response
}

/// Runs one request through Shopify's checks in the order Shopify applies them. `None` means
/// "drop the connection".
fn serve(
    emu: &EmulatorState,
    shop: &Shop,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    query: &str,
    body: Bytes,
) -> (Option<Answer>, String) {
    let route = Route::parse(path);
    let endpoint = route.endpoint();
    let faults = shop.faults.lock().expect("faults lock").clone();
    let mut rng = rand::thread_rng();
    if faults.drop_rate > 0.0 && rng.gen_bool(faults.drop_rate.min(1.0)) {
        return (None, endpoint);
    }
    if faults.error_rate > 0.0 && rng.gen_bool(faults.error_rate.min(1.0)) {
        let answer = match rng.gen_range(0..3) {
            0 => Answer::error(StatusCode::INTERNAL_SERVER_ERROR, json!("Internal Server Error")),
            1 => html(StatusCode::BAD_GATEWAY, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
            _ => html(StatusCode::SERVICE_UNAVAILABLE, "<html><body><h1>503 Service Unavailable</h1></body></html>"),
        };
        return (Some(answer), endpoint);
    }
    if faults.frozen {
        return (Some(Answer::error(StatusCode::PAYMENT_REQUIRED, json!("Unavailable Shop"))), endpoint);
    }
    if faults.locked {
        return (Some(Answer::error(StatusCode::LOCKED, json!("This store is unavailable"))), endpoint);
    }
    if faults.token_revoked || !authenticated(shop, headers) {
        let answer = Answer::error(
            StatusCode::UNAUTHORIZED,
            json!("[API] Invalid API key or access token (unrecognized login or wrong password)"),
        )
        .header("www-authenticate", "Basic Realm=\"Shopify API Authentication\"");
        return (Some(answer), endpoint);
    }
    let admission = shop.bucket.lock().expect("bucket lock").admit(Instant::now());
    let call_limit = Bucket::header(&admission);
    if faults.throttle_storm || !admission.allowed {
        let rate = shop.leak_per_second;
        let answer = Answer::error(
            StatusCode::TOO_MANY_REQUESTS,
            json!(format!(
                "Exceeded {} calls per second for api client. Reduce request rates to resume uninterrupted service.",
                rate
            )),
        )
        .header("retry-after", "2.0")
        .header("x-shopify-shop-api-call-limit", &call_limit);
        return (Some(answer), endpoint);
    }
    let answer = match &route {
        Route::AccessScopes => {
            let scopes: Vec<Value> = shop.scopes().into_iter().map(|handle| json!({ "handle": handle })).collect();
            Answer::json(StatusCode::OK, &json!({ "access_scopes": scopes }))
        }
        Route::Api { version, rest } => {
            let params = Params::parse(query);
            let request = ApiRequest { emu, shop, method, rest, params, body: &body };
            request.answer().header("x-shopify-api-version", version)
        }
        Route::Unknown => Answer::not_found(),
    };
    (Some(answer.header("x-shopify-shop-api-call-limit", &call_limit)), endpoint)
}

fn html(status: StatusCode, text: &'static str) -> Answer {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    Answer { status, body: Body::from(text), headers }
}

/// `X-Shopify-Access-Token`, or HTTP Basic with the API key and the password (legacy private apps).
fn authenticated(shop: &Shop, headers: &HeaderMap) -> bool {
    let token = &shop.config.access_token;
    if let Some(sent) = headers.get("x-shopify-access-token").and_then(|v| v.to_str().ok()) {
        return constant_time_eq(sent.as_bytes(), token.as_bytes());
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    match basic.as_deref().and_then(|pair| pair.split_once(':')) {
        Some((key, password)) => {
            !shop.config.api_key.is_empty()
                && constant_time_eq(key.as_bytes(), shop.config.api_key.as_bytes())
                && constant_time_eq(password.as_bytes(), token.as_bytes())
        }
        None => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

enum Route {
    AccessScopes,
    /// `/admin/api/{version}/{rest}`, with the version Shopify would actually serve.
    Api {
        version: String,
        rest: Vec<String>,
    },
    Unknown,
}

impl Route {
    fn parse(path: &str) -> Route {
        if path == "/admin/oauth/access_scopes.json" {
            return Route::AccessScopes;
        }
        let (version, rest) = if let Some(after) = path.strip_prefix("/admin/api/") {
            let (version, rest) = after.split_once('/').unwrap_or((after, ""));
            let served = if version == "unstable" || SUPPORTED_VERSIONS.contains(&version) {
                version
            } else {
                SUPPORTED_VERSIONS[0]
            };
            (served.to_owned(), rest)
        } else if let Some(rest) = path.strip_prefix("/admin/") {
            // No version at all: served as the oldest supported one.
            (SUPPORTED_VERSIONS[0].to_owned(), rest)
        } else {
            return Route::Unknown;
        };
        let Some(rest) = rest.strip_suffix(".json") else { return Route::Unknown };
        Route::Api { version, rest: rest.split('/').map(str::to_owned).collect() }
    }

    /// The endpoint with ids replaced, for the per-endpoint counters.
    fn endpoint(&self) -> String {
        match self {
            Route::AccessScopes => "oauth/access_scopes.json".into(),
            Route::Api { rest, .. } => {
                let parts: Vec<&str> =
                    rest.iter().map(|p| if p.parse::<u64>().is_ok() { "{id}" } else { p.as_str() }).collect();
                format!("{}.json", parts.join("/"))
            }
            Route::Unknown => "unknown".into(),
        }
    }
}

/// Query parameters, in order, decoded.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Params {
        Params(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn limit(&self) -> usize {
        self.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The filters among the parameters; a `page_info` cursor carries them on.
    fn filters(&self) -> Filters {
        self.0.iter().filter(|(k, _)| FILTER_NAMES.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    fn fields(&self) -> Option<Vec<String>> {
        self.get("fields").map(|f| f.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
    }
}

/// The filters a listing was asked for; a `page_info` cursor carries them on.
type Filters = BTreeMap<String, String>;

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

struct ApiRequest<'a> {
    emu: &'a EmulatorState,
    shop: &'a Shop,
    method: &'a Method,
    rest: &'a [String],
    params: Params,
    body: &'a Bytes,
}

/// Which slice of the matching records a request asks for.
#[derive(Clone, Copy)]
struct Window {
    after: Option<u64>,
    before: Option<u64>,
    limit: usize,
}

impl Window {
    const ALL: Window = Window { after: None, before: None, limit: usize::MAX };
}

/// One page of matching keys, and whether matching records lie before and after it.
struct Page {
    keys: Vec<u64>,
    more_before: bool,
    more_after: bool,
}

/// The page of `map`'s records above `since` that `keep` accepts, in key order.
fn page_of<T>(map: &BTreeMap<u64, T>, since: u64, keep: impl Fn(&T) -> bool, window: Window) -> Page {
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
    fn answer(&self) -> Answer {
        let rest: Vec<&str> = self.rest.iter().map(String::as_str).collect();
        let get = *self.method == Method::GET;
        match (rest.as_slice(), get) {
            (["shop"], true) => {
                let data = self.shop.data.read().expect("data lock");
                self.single("shop", data.render_shop(self.shop.config.plan.plan_name()))
            }
            (["webhooks"], true) => self.list("webhooks", None),
            (["webhooks", "count"], true) => self.count("webhooks", None),
            (["webhooks"], false) if *self.method == Method::POST => self.create_webhook(),
            (["webhooks", id], _) => self.webhook(id),
            ([resource], true) => self.list(resource, scope_of(resource)),
            ([resource, "count"], true) => self.count(resource, scope_of(resource)),
            (["orders", id, "fulfillment_orders"], true) => self.fulfillment_orders(id),
            ([resource, id], true) => self.one(resource, id),
            _ => Answer::not_found(),
        }
    }

    fn refuse_scope(scope: &str) -> Answer {
        Answer::error(
            StatusCode::FORBIDDEN,
            json!(format!("[API] This action requires merchant approval for {scope} scope.")),
        )
    }

    fn check_scope(&self, resource: &str) -> Result<(), Answer> {
        match scope_of(resource) {
            Some(scope) if !self.shop.can_read(scope) => Err(Self::refuse_scope(&format!("read_{scope}"))),
            _ => Ok(()),
        }
    }

    /// Lists and counts need the resource's read scope; webhooks need none; anything else
    /// is not a listable resource.
    fn listable(&self, resource: &str, scope: Option<&str>) -> Result<(), Answer> {
        match scope {
            Some(scope) if !self.shop.can_read(scope) => Err(Self::refuse_scope(&format!("read_{scope}"))),
            Some(_) => Ok(()),
            None if resource == "webhooks" => Ok(()),
            None => Err(Answer::not_found()),
        }
    }

    fn single(&self, key: &str, value: Value) -> Answer {
        Answer::json(StatusCode::OK, &json!({ key: only_fields(value, self.params.fields().as_deref()) }))
    }

    /// `orders.json`, `products.json`, …: filters, then a page, with `Link` headers.
    fn list(&self, resource: &str, scope: Option<&str>) -> Answer {
        if let Err(refusal) = self.listable(resource, scope) {
            return refusal;
        }
        let (filters, after, before) = match self.params.get("page_info") {
            Some(page_info) => {
                if let Some((name, _)) =
                    self.params.0.iter().find(|(k, _)| !matches!(k.as_str(), "page_info" | "limit" | "fields"))
                {
                    return Answer::error(
                        StatusCode::BAD_REQUEST,
                        json!({ name: format!("{name} cannot be passed when page_info is present. See https://shopify.dev/api/usage/pagination-rest for more information.") }),
                    );
                }
                match self.decode_cursor(page_info) {
                    Some(cursor) if cursor.resource == resource => (cursor.filters, cursor.after, cursor.before),
                    _ => return Answer::error(StatusCode::BAD_REQUEST, json!({"page_info": "Invalid value."})),
                }
            }
            None => (self.params.filters(), None, None),
        };
        if resource == "inventory_levels"
            && !filters.contains_key("location_ids")
            && !filters.contains_key("inventory_item_ids")
        {
            return Answer::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"base": ["must include inventory_item_ids or location_ids"]}),
            );
        }
        let window = Window { after, before, limit: self.params.limit() };
        let Some(page) = self.matching_keys(resource, &filters, window) else { return Answer::not_found() };
        // Records are written straight into the body: a page of 250 orders is 2.5 MB, and building
        // it any other way makes the emulator the slowest part of every benchmark.
        let mut body = Vec::with_capacity(page.keys.len() * 12_000);
        body.extend(format!(r#"{{"{resource}":["#).into_bytes());
        self.render(resource, &page.keys, &filters, &mut body);
        body.extend_from_slice(b"]}");
        let mut answer = Answer::bytes(StatusCode::OK, body);
        let mut links = Vec::new();
        if page.more_before {
            let first = page.keys.first().copied().or(after).unwrap_or_default();
            links.push(self.link(resource, &filters, None, Some(first), "previous"));
        }
        if page.more_after {
            links.push(self.link(resource, &filters, page.keys.last().copied(), None, "next"));
        }
        if !links.is_empty() {
            answer = answer.header("link", &links.join(", "));
        }
        answer
    }

    fn link(&self, resource: &str, filters: &Filters, after: Option<u64>, before: Option<u64>, rel: &str) -> String {
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
        format!("<{url}>; rel=\"{rel}\"")
    }

    fn version(&self) -> &'static str {
        SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.len() - 2]
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

    fn count(&self, resource: &str, scope: Option<&str>) -> Answer {
        if let Err(refusal) = self.listable(resource, scope) {
            return refusal;
        }
        match self.matching_keys(resource, &self.params.filters(), Window::ALL) {
            Some(page) => Answer::json(StatusCode::OK, &json!({ "count": page.keys.len() })),
            None => Answer::not_found(),
        }
    }

    /// The keys of every record matching the filters, ascending: ids, or positions for
    /// inventory levels (which have no id of their own).
    /// The keys of the records in `window` that pass `filters`. Maps are walked from the window's
    /// edge, so a page costs its own size, not the shop's.
    fn matching_keys(&self, resource: &str, filters: &Filters, window: Window) -> Option<Page> {
        let data = self.shop.data.read().expect("data lock");
        let ids = id_list(filters.get("ids"));
        let since = filters.get("since_id").and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        let range = |name: &str| filters.get(name).and_then(|t| parse_time(t, &data));
        let (c_min, c_max, u_min, u_max) =
            (range("created_at_min"), range("created_at_max"), range("updated_at_min"), range("updated_at_max"));
        let in_window = |id: u64, created: i64, updated: i64| {
            id > since
                && ids.as_ref().is_none_or(|ids| ids.contains(&id))
                && c_min.is_none_or(|t| created >= t)
                && c_max.is_none_or(|t| created <= t)
                && u_min.is_none_or(|t| updated >= t)
                && u_max.is_none_or(|t| updated <= t)
        };
        Some(match resource {
            "orders" => {
                let status = match filters.get("status").map(String::as_str) {
                    None | Some("open") => OrderStatus::Open,
                    Some("closed") => OrderStatus::Closed,
                    Some("cancelled") => OrderStatus::Cancelled,
                    Some(_) => OrderStatus::Any,
                };
                let oldest = self.oldest_visible_order();
                let keep = |o: &Order| {
                    o.created_at >= oldest && o.matches(status) && in_window(o.id, o.created_at, o.updated_at)
                };
                page_of(&data.orders, since, keep, window)
            }
            "products" => page_of(&data.products, since, |p| in_window(p.id, p.created_at, p.updated_at), window),
            "customers" => page_of(&data.customers, since, |c| in_window(c.id, c.created_at, c.updated_at), window),
            "locations" => page_of(&data.locations, since, |l| in_window(l.id, l.created_at, l.updated_at), window),
            "inventory_levels" => {
                let locations =
                    id_list(filters.get("location_ids")).unwrap_or_else(|| data.locations.keys().copied().collect());
                let items = id_list(filters.get("inventory_item_ids"));
                let levels = data.inventory_levels(&locations);
                let keys: BTreeMap<u64, ()> = (1..=levels.len() as u64)
                    .filter(|n| items.as_ref().is_none_or(|items| items.contains(&levels[*n as usize - 1].1)))
                    .map(|n| (n, ()))
                    .collect();
                page_of(&keys, 0, |_| true, window)
            }
            "webhooks" => {
                let subs = self.shop.subscriptions.lock().expect("subscriptions lock");
                let keys: BTreeMap<u64, ()> = subs
                    .iter()
                    .filter(|s| s.id > since)
                    .filter(|s| filters.get("topic").is_none_or(|t| &s.topic == t))
                    .filter(|s| filters.get("address").is_none_or(|a| &s.address == a))
                    .map(|s| (s.id, ()))
                    .collect();
                page_of(&keys, since, |_| true, window)
            }
            _ => return None,
        })
    }

    /// Without `read_all_orders`, Shopify shows only the last 60 days of orders.
    fn oldest_visible_order(&self) -> i64 {
        if self.shop.scopes().iter().any(|s| s == "read_all_orders") {
            i64::MIN
        } else {
            unix_now() - 60 * DAY
        }
    }

    /// Writes the records with `keys` into `out` as the items of a JSON array, each filtered
    /// by `fields=` when the request has it.
    fn render(&self, resource: &str, keys: &[u64], filters: &Filters, out: &mut Vec<u8>) {
        let data = self.shop.data.read().expect("data lock");
        let fields = self.params.fields();
        let text = |value: Value| serde_json::to_vec(&value).unwrap_or_default();
        let levels = (resource == "inventory_levels").then(|| {
            let locations =
                id_list(filters.get("location_ids")).unwrap_or_else(|| data.locations.keys().copied().collect());
            data.inventory_levels(&locations)
        });
        let render_one = |key: u64, out: &mut Vec<u8>| -> Option<()> {
            match resource {
                "orders" => data.write_order(data.orders.get(&key)?, out),
                "products" => data.write_product(data.products.get(&key)?, out),
                "customers" => data.write_customer(data.customers.get(&key)?, out),
                "locations" => out.extend(text(data.render_location(data.locations.get(&key)?))),
                "inventory_levels" => {
                    let (location, item, available) = levels.as_ref()?.get((key as usize).checked_sub(1)?)?;
                    out.extend(text(data.render_inventory_level(*location, *item, *available)));
                }
                "webhooks" => {
                    let subs = self.shop.subscriptions.lock().expect("subscriptions lock");
                    out.extend(text(subs.iter().find(|s| s.id == key)?.render(&data)));
                }
                _ => return None,
            }
            Some(())
        };
        let mut first = true;
        for key in keys {
            let mark = out.len();
            if !first {
                out.push(b',');
            }
            let item_start = out.len();
            if render_one(*key, out).is_none() {
                out.truncate(mark);
                continue;
            }
            first = false;
            if let Some(fields) = fields.as_deref() {
                let value = serde_json::from_slice(&out[item_start..]).unwrap_or_default();
                out.truncate(item_start);
                out.extend(text(only_fields(value, Some(fields))));
            }
        }
    }

    fn one(&self, resource: &str, id: &str) -> Answer {
        if let Err(refusal) = self.check_scope(resource) {
            return refusal;
        }
        let Ok(id) = id.parse::<u64>() else { return Answer::not_found() };
        let singular = match resource {
            "orders" => "order",
            "products" => "product",
            "customers" => "customer",
            "locations" => "location",
            _ => return Answer::not_found(),
        };
        if resource == "orders" {
            let data = self.shop.data.read().expect("data lock");
            if data.orders.get(&id).is_some_and(|o| o.created_at < self.oldest_visible_order()) {
                return Answer::not_found();
            }
        }
        let mut text = Vec::new();
        self.render(resource, &[id], &Filters::new(), &mut text);
        match serde_json::from_slice(&text) {
            Ok(value) => self.single(singular, value),
            Err(_) => Answer::not_found(),
        }
    }

    fn fulfillment_orders(&self, id: &str) -> Answer {
        let granted =
            ["merchant_managed_fulfillment_orders", "assigned_fulfillment_orders", "third_party_fulfillment_orders"]
                .iter()
                .any(|s| self.shop.can_read(s));
        if !granted {
            return Self::refuse_scope("read_merchant_managed_fulfillment_orders");
        }
        let data = self.shop.data.read().expect("data lock");
        let order = id.parse::<u64>().ok().and_then(|id| data.orders.get(&id));
        match order {
            Some(order) if order.created_at >= self.oldest_visible_order() => {
                Answer::json(StatusCode::OK, &json!({"fulfillment_orders": data.render_fulfillment_orders(order)}))
            }
            _ => Answer::not_found(),
        }
    }

    fn create_webhook(&self) -> Answer {
        let body: Value = serde_json::from_slice(self.body).unwrap_or(Value::Null);
        let Some(webhook) = body.get("webhook").filter(|w| w.is_object()) else {
            return Answer::error(StatusCode::BAD_REQUEST, json!({"webhook": "Required parameter missing or invalid"}));
        };
        let topic = webhook["topic"].as_str().unwrap_or_default().to_owned();
        let address = webhook["address"].as_str().unwrap_or_default().trim().to_owned();
        if !webhooks::topic_allowed(self.shop, &topic) {
            return Answer::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"topic": [format!("Invalid topic specified: {topic}. Does it exist? Is there a missing access scope?")]}),
            );
        }
        if address.is_empty() {
            return Answer::error(StatusCode::UNPROCESSABLE_ENTITY, json!({"address": ["can't be blank"]}));
        }
        if !(address.starts_with("https://") || address.starts_with("http://")) {
            return Answer::error(StatusCode::UNPROCESSABLE_ENTITY, json!({"address": ["is not a valid URL"]}));
        }
        let fields: Vec<String> = webhook["fields"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let now = unix_now();
        let mut subs = self.shop.subscriptions.lock().expect("subscriptions lock");
        if subs.iter().any(|s| s.topic == topic && s.address == address) {
            return Answer::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"address": ["for this topic has already been taken"]}),
            );
        }
        let id =
            subs.iter().map(|s| s.id).max().unwrap_or(1_100_000_000_000) + 1 + rand::thread_rng().gen_range(0..100);
        let sub = webhooks::Subscription {
            id,
            topic,
            address,
            fields,
            created_at: now,
            api_version: self.version().to_owned(),
        };
        let data = self.shop.data.read().expect("data lock");
        let rendered = sub.render(&data);
        subs.push(sub);
        Answer::json(StatusCode::CREATED, &json!({ "webhook": rendered }))
    }

    fn webhook(&self, id: &str) -> Answer {
        let id = id.parse::<u64>().unwrap_or_default();
        let mut subs = self.shop.subscriptions.lock().expect("subscriptions lock");
        let Some(position) = subs.iter().position(|s| s.id == id) else { return Answer::not_found() };
        if *self.method == Method::DELETE {
            subs.remove(position);
            return Answer::json(StatusCode::OK, &json!({}));
        }
        if *self.method == Method::GET {
            let data = self.shop.data.read().expect("data lock");
            return self.single("webhook", subs[position].render(&data));
        }
        Answer::not_found()
    }
}

/// The read scope each resource needs (`read_` or `write_` of it).
fn scope_of(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "orders" => "orders",
        "products" => "products",
        "customers" => "customers",
        "locations" => "locations",
        "inventory_levels" => "inventory",
        _ => return None,
    })
}

fn id_list(text: Option<&String>) -> Option<Vec<u64>> {
    text.map(|t| t.split(',').filter_map(|id| id.trim().parse().ok()).collect())
}

/// ISO 8601 with an offset, or `2025-07-01 16:29:45` / `2025-07-01` in the shop's time zone.
fn parse_time(text: &str, data: &ShopData) -> Option<i64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let local = PrimitiveDateTime::parse(text, format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"))
        .or_else(|_| {
            PrimitiveDateTime::parse(text, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
        })
        .or_else(|_| {
            time::Date::parse(text, format_description!("[year]-[month]-[day]"))
                .map(|d| d.with_time(time::Time::MIDNIGHT))
        })
        .ok()?;
    Some(local.assume_offset(data.offset).unix_timestamp())
}

/// Keeps only the requested top-level keys, as `fields=` does.
fn only_fields(value: Value, fields: Option<&[String]>) -> Value {
    match (fields, value) {
        (Some(fields), Value::Object(map)) => {
            Value::Object(map.into_iter().filter(|(k, _)| fields.iter().any(|f| f == k)).collect())
        }
        (_, value) => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_fall_forward_and_paths_parse() {
        match Route::parse("/admin/api/2019-04/orders/count.json") {
            Route::Api { version, rest } => {
                assert_eq!(version, SUPPORTED_VERSIONS[0]);
                assert_eq!(rest, ["orders", "count"]);
            }
            _ => panic!("an API route"),
        }
        match Route::parse("/admin/api/2026-07/orders/5600000000123/fulfillment_orders.json") {
            Route::Api { version, .. } => assert_eq!(version, "2026-07"),
            _ => panic!("an API route"),
        }
        assert!(matches!(Route::parse("/admin/oauth/access_scopes.json"), Route::AccessScopes));
        assert!(matches!(Route::parse("/favicon.ico"), Route::Unknown));
        assert_eq!(
            Route::parse("/admin/api/2026-07/orders/123/fulfillment_orders.json").endpoint(),
            "orders/{id}/fulfillment_orders.json"
        );
    }

    #[test]
    fn fields_keep_only_the_named_keys() {
        let v = only_fields(json!({"id": 1, "name": "#1001", "email": null}), Some(&["id".into(), "name".into()]));
        assert_eq!(v, json!({"id": 1, "name": "#1001"}));
    }
}
