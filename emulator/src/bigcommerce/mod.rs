//! storelink's own BigCommerce: stores answering the REST Management API (v2 and v3) at
//! `https://api.bigcommerce.com/stores/{store_hash}/…` as real ones do, with the store-wide
//! request quota every app shares, and webhooks that retry for two days and then give up.
//!
//! A request reaches a store by the hash in its path (the `Host` does not matter). It passes, in
//! order: the configured latency, the platform's own 429s, the store hash (`store-{hash}` is
//! refused with the misleading "required scope" 403 real stores give), `X-Auth-Token` (the only
//! credential: `X-Auth-Client` is never read), the shared quota, the store's 5xx faults, the route,
//! the account's scope for it, and the route itself. Every answer past the token carries the four
//! quota headers.

pub mod config;
pub mod control;
pub mod data;
mod params;
mod quota;
mod render;
mod v2;
mod v3;
pub mod webhooks;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, RwLock,
    },
    time::Duration,
};

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode},
    response::Response,
};
use serde::Serialize;
use serde_json::{json, Value};

use self::{
    config::{Faults, ScopeLevel, StoreConfig},
    data::StoreData,
    params::Params,
    quota::{Admission, Quota, WINDOW},
    webhooks::{Delivery, Hooks},
};
use crate::{EmulatorState, LoggedRequest};

const MAX_BODY: usize = 4 << 20;

/// The `type` v3 errors point at.
const STATUS_CODES_URL: &str = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes";

/// One emulated store.
pub struct Store {
    pub config: StoreConfig,
    /// The numeric id webhook payloads and `/v2/store` carry beside the hash.
    pub store_id: u64,
    pub data: RwLock<StoreData>,
    pub faults: Mutex<Faults>,
    pub latency_ms: AtomicU64,
    quota: Mutex<Quota>,
    /// Server errors answered, to alternate their kinds.
    answered_5xx: AtomicU64,
    pub hooks: Mutex<Hooks>,
    pub deliveries: Mutex<Vec<Delivery>>,
}

impl Store {
    fn new(config: &StoreConfig, now: i64) -> Store {
        let store_id = 1_000_000 + crate::data::mix(config.seed ^ hash_number(&config.store_hash)) % 9_000_000;
        Store {
            store_id,
            data: RwLock::new(StoreData::generate(config, now)),
            faults: Mutex::new(config.faults.clone()),
            latency_ms: AtomicU64::new(config.latency_ms),
            quota: Mutex::new(Quota::default()),
            answered_5xx: AtomicU64::new(0),
            hooks: Mutex::new(Hooks::default()),
            deliveries: Mutex::new(Vec::new()),
            config: config.clone(),
        }
    }

    /// `https://api.bigcommerce.com/stores/{hash}`: where the store's API lives.
    pub fn api_base(&self) -> String {
        format!("https://api.bigcommerce.com/stores/{}", self.config.store_hash)
    }

    pub fn name(&self) -> String {
        self.config.name.clone().unwrap_or_else(|| format!("Store {}", self.config.store_hash))
    }

    /// The timezone `/v2/store` names for the configured offset.
    pub fn timezone_name(&self) -> String {
        let minutes = self.config.utc_offset_minutes;
        let named = [
            (-300, "America/New_York"),
            (-360, "America/Chicago"),
            (-420, "America/Denver"),
            (-480, "America/Los_Angeles"),
            (0, "Europe/London"),
            (60, "Europe/Berlin"),
            (330, "Asia/Kolkata"),
            (600, "Australia/Sydney"),
        ];
        match named.iter().find(|(offset, _)| *offset == minutes) {
            Some((_, name)) => (*name).to_owned(),
            // The tz database's `Etc/GMT±h` zones have the sign reversed.
            None if minutes % 60 == 0 => format!("Etc/GMT{:+}", -minutes / 60),
            None => "UTC".into(),
        }
    }

    /// The level the API account has for `resource`.
    fn level(&self, resource: Resource) -> ScopeLevel {
        let scopes = &self.config.scopes;
        match resource {
            Resource::StoreInformation => scopes.store_information,
            Resource::Orders => scopes.orders,
            Resource::Products => scopes.products,
            Resource::Customers => scopes.customers,
            Resource::Inventory => scopes.inventory,
            Resource::Locations => scopes.locations,
        }
    }
}

fn hash_number(hash: &str) -> u64 {
    hash.bytes().fold(0u64, |acc, b| acc.wrapping_mul(131).wrapping_add(u64::from(b)))
}

/// Every configured store, by hash, and the client webhooks go out with.
pub struct Stores {
    by_hash: HashMap<String, Arc<Store>>,
    http: reqwest::Client,
}

impl Stores {
    pub fn new(configs: &[StoreConfig], now: i64, timeout: Duration) -> anyhow::Result<Stores> {
        let by_hash = configs.iter().map(|c| (c.store_hash.clone(), Arc::new(Store::new(c, now)))).collect();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Stores { by_hash, http })
    }

    pub fn store(&self, hash: &str) -> Option<Arc<Store>> {
        self.by_hash.get(hash).cloned()
    }

    /// The store a path is for, when it is an API path (`/stores/{hash}/v2|v3/…`) of a configured
    /// store, and whether the hash was written `store-{hash}`.
    pub fn route(&self, path: &str) -> Option<(Arc<Store>, bool)> {
        let mut segments = path.trim_start_matches('/').split('/');
        if segments.next() != Some("stores") {
            return None;
        }
        let hash = segments.next()?;
        if !matches!(segments.next(), Some("v2" | "v3")) {
            return None;
        }
        match self.store(hash) {
            Some(store) => Some((store, false)),
            None => Some((self.store(hash.strip_prefix("store-")?)?, true)),
        }
    }
}

/// A resource the control panel grants scopes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    StoreInformation,
    Orders,
    Products,
    Customers,
    Inventory,
    Locations,
}

/// A finished answer.
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(&'static str, HeaderValue)>,
    /// `None` for 204, which has no body at all.
    pub body: Option<Vec<u8>>,
}

impl Reply {
    pub fn json(status: StatusCode, value: &Value) -> Reply {
        let headers = vec![("content-type", HeaderValue::from_static("application/json"))];
        Reply { status, headers, body: Some(serde_json::to_vec(value).unwrap_or_default()) }
    }

    pub fn ok(value: &Value) -> Reply {
        Reply::json(StatusCode::OK, value)
    }

    pub fn no_content() -> Reply {
        Reply { status: StatusCode::NO_CONTENT, headers: Vec::new(), body: None }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Reply {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    fn into_response(self, head_only: bool) -> Response {
        let body = match self.body {
            Some(bytes) if !head_only => Body::from(bytes),
            _ => Body::empty(),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// A v2 error: an array of `{status, message}`.
pub fn v2_error(status: u16, message: &str) -> Reply {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    Reply::json(code, &json!([{ "status": status, "message": message }]))
}

/// A v3 error: `{status, title, type}`, with `errors` when there are details.
pub fn v3_error(status: u16, title: &str, errors: Option<Value>) -> Reply {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut body = json!({ "status": status, "title": title, "type": STATUS_CODES_URL });
    if let Some(errors) = errors {
        body["errors"] = errors;
    }
    Reply::json(code, &body)
}

/// The documented answer to a token that is not the store's (the Webhooks spec's example; real
/// stores' wording is not published).
fn unauthorized() -> Reply {
    Reply::json(
        StatusCode::UNAUTHORIZED,
        &json!({
            "status": 401,
            "title": "Unauthorized - the v3 Auth client ID or token in the request are not a valid combination for this store.",
            "type": "/api-docs/getting-started/api-status-codes",
        }),
    )
}

/// What real stores answer a token without the route's scope (quoted from real answers).
fn missing_scope() -> Reply {
    v3_error(403, "You don't have a required scope to access the endpoint", Some(json!({})))
}

/// A 429 of the quota, with its headers; `X-Retry-After` unless the fault leaves it out. The
/// body is not documented (clients read the headers); it takes the v3 error's shape.
fn quota_exceeded(admission: &Admission, with_retry_after: bool) -> Reply {
    let reply = v3_error(429, "Too many requests", None);
    let reply = quota_headers(reply, admission);
    if with_retry_after {
        reply.header("x-retry-after", &admission.retry_after_secs().to_string())
    } else {
        reply
    }
}

fn quota_headers(reply: Reply, admission: &Admission) -> Reply {
    reply
        .header("x-rate-limit-time-window-ms", &WINDOW.as_millis().to_string())
        .header("x-rate-limit-time-reset-ms", &admission.reset.as_millis().to_string())
        .header("x-rate-limit-requests-quota", &admission.quota.to_string())
        .header("x-rate-limit-requests-left", &admission.left.to_string())
}

/// A request that reached a route.
pub struct Call<'a> {
    pub emu: &'a Arc<EmulatorState>,
    pub store: &'a Arc<Store>,
    pub method: &'a Method,
    /// The path after `/stores/{hash}/v2/` or `/v3/`.
    pub segments: Vec<&'a str>,
    pub params: Params,
    pub body: &'a [u8],
    /// Unix seconds on the emulator's clock.
    pub now: i64,
}

impl Call<'_> {
    /// The JSON object a write sent, if it sent one.
    pub fn json_body(&self) -> Option<serde_json::Map<String, Value>> {
        serde_json::from_slice::<Value>(self.body).ok()?.as_object().cloned()
    }
}

/// The API a path is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    V2,
    V3,
}

/// A route's needs: its scope (`None`: any token may) and the methods it takes.
pub struct RouteNeeds {
    pub resource: Option<Resource>,
    pub methods: &'static [Method],
}

/// Entry point for every API request to a configured store (`malformed`: the path named it
/// `store-{hash}`).
pub async fn handle(emu: Arc<EmulatorState>, store: Arc<Store>, malformed: bool, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();

    let latency = store.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let incoming = Incoming { method: &parts.method, headers: &parts.headers, path: &path, query: &query, body: &body };
    let (reply, endpoint) = answer(&emu, &store, malformed, incoming);
    let late = {
        let faults = &mut *store.faults.lock().expect("faults lock");
        crate::faults::slow_write(&parts.method, &mut faults.slow_writes, faults.slow_writes_ms)
    };
    if !late.is_zero() {
        tokio::time::sleep(late).await;
    }
    let logged_path = if query.is_empty() { path } else { format!("{path}?{query}") };
    let entry = LoggedRequest {
        shop: format!("stores/{}", store.config.store_hash),
        method: parts.method.to_string(),
        path: logged_path,
        status: reply.status.as_u16(),
    };
    emu.record(entry, format!("{} {endpoint}", parts.method));
    reply.into_response(parts.method == Method::HEAD)
}

/// The request as the API sees it.
#[derive(Clone, Copy)]
struct Incoming<'a> {
    method: &'a Method,
    headers: &'a HeaderMap,
    path: &'a str,
    query: &'a str,
    body: &'a [u8],
}

/// The answer and the endpoint it counts under.
fn answer(emu: &Arc<EmulatorState>, store: &Arc<Store>, malformed: bool, incoming: Incoming<'_>) -> (Reply, String) {
    let Incoming { method, headers, path, query, body } = incoming;
    // `/stores/{hash}/{v2|v3}/rest…`: the router only sends such paths here.
    let mut segments = path.trim_start_matches('/').splitn(4, '/').skip(2);
    let api = if segments.next() == Some("v2") { Api::V2 } else { Api::V3 };
    let rest: Vec<&str> = segments.next().unwrap_or_default().split('/').filter(|s| !s.is_empty()).collect();
    let endpoint = endpoint_of(api, &rest);

    if let Some(reply) = platform_429(store) {
        return (reply, endpoint);
    }
    if malformed {
        return (missing_scope(), endpoint);
    }
    let token = headers.get("x-auth-token").and_then(|v| v.to_str().ok());
    if token != Some(store.config.access_token.as_str()) {
        return (unauthorized(), endpoint);
    }
    let admission = admit(emu, store);
    if !admission.allowed {
        let omit = store.faults.lock().expect("faults lock").quota_429_without_retry_after;
        let with_retry_after = omit <= 0.0 || rand::random::<f64>() >= omit;
        return (quota_exceeded(&admission, with_retry_after), endpoint);
    }
    let reply = match server_error(store) {
        Some(reply) => reply,
        None => {
            let call = Call {
                emu,
                store,
                method,
                segments: rest,
                params: Params::parse(query),
                body,
                now: emu.clock.unix_now(),
            };
            route(api, &call)
        }
    };
    (quota_headers(reply, &admission), endpoint)
}

/// The route, its scope check, and its answer.
fn route(api: Api, call: &Call<'_>) -> Reply {
    let needs = match api {
        Api::V2 => v2::needs(&call.segments),
        Api::V3 => v3::needs(&call.segments),
    };
    let Some(needs) = needs else {
        return match api {
            Api::V2 => v2_error(404, "The requested resource was not found."),
            Api::V3 => v3_error(404, "Not Found", None),
        };
    };
    let method = if call.method == Method::HEAD { &Method::GET } else { call.method };
    if !needs.methods.contains(method) {
        return match api {
            Api::V2 => v2_error(405, "The requested method is not supported by this resource."),
            Api::V3 => v3_error(405, "Method Not Allowed", None),
        };
    }
    if let Some(resource) = needs.resource {
        let needed = if *method == Method::GET { ScopeLevel::Read } else { ScopeLevel::Modify };
        if call.store.level(resource) < needed {
            return missing_scope();
        }
    }
    match api {
        Api::V2 => v2::serve(call),
        Api::V3 => v3::serve(call),
    }
}

/// The platform's own 429 under load: no quota headers, nothing spent.
fn platform_429(store: &Store) -> Option<Reply> {
    let mut faults = store.faults.lock().expect("faults lock");
    if faults.platform_429 == 0 {
        return None;
    }
    faults.platform_429 -= 1;
    Some(v3_error(429, "Too many requests", None))
}

/// Spends one request of the store's quota, counting it (or the refusal) in the stats.
fn admit(emu: &EmulatorState, store: &Store) -> Admission {
    let (quota, other) = {
        let faults = store.faults.lock().expect("faults lock");
        (faults.quota.unwrap_or_else(|| store.config.plan.quota()), faults.other_app_requests_per_second)
    };
    let admission = store.quota.lock().expect("quota lock").admit(emu.clock.elapsed(), quota, other);
    let mut stats = emu.stats.lock().expect("stats lock");
    let counters = stats.bigcommerce_quota.entry(store.config.store_hash.clone()).or_default();
    if admission.allowed {
        counters.spent += 1;
    } else {
        counters.throttled += 1;
    }
    admission
}

/// The store's server-error fault: 500 and 503 in turn while it counts down.
fn server_error(store: &Store) -> Option<Reply> {
    {
        let mut faults = store.faults.lock().expect("faults lock");
        if faults.status_5xx == 0 {
            return None;
        }
        faults.status_5xx -= 1;
    }
    Some(if store.answered_5xx.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
        v3_error(500, "Internal Server Error", None)
    } else {
        v3_error(503, "Service Unavailable", None)
    })
}

/// The path with ids replaced, for the per-endpoint counters: `v2/orders/{id}/shipments`.
fn endpoint_of(api: Api, rest: &[&str]) -> String {
    let version = if api == Api::V2 { "v2" } else { "v3" };
    let parts: Vec<&str> = rest.iter().map(|p| if p.parse::<u64>().is_ok() { "{id}" } else { p }).collect();
    format!("bigcommerce {version}/{}", parts.join("/"))
}

/// A store's quota in `/_emulator/stats`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuotaCounters {
    /// Requests the quota admitted.
    pub spent: u64,
    /// Requests it turned away with 429.
    pub throttled: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_store_and_endpoint() {
        let config: StoreConfig =
            serde_json::from_value(json!({"store_hash": "abc123", "access_token": "t", "client_id": "c"})).unwrap();
        let stores = Stores::new(&[config], 1_780_000_000, Duration::from_secs(1)).unwrap();
        assert_eq!(stores.route("/stores/abc123/v2/orders").map(|(_, m)| m), Some(false));
        assert_eq!(stores.route("/stores/store-abc123/v3/catalog/products").map(|(_, m)| m), Some(true));
        assert!(stores.route("/stores/other/v2/orders").is_none());
        assert!(stores.route("/stores/abc123/v1/orders").is_none());
        assert!(stores.route("/admin/api/2026-01/orders.json").is_none());
        assert_eq!(endpoint_of(Api::V2, &["orders", "101", "shipments"]), "bigcommerce v2/orders/{id}/shipments");
    }

    #[test]
    fn timezones_are_named_for_their_offsets() {
        let store = |offset: i32| {
            let config: StoreConfig = serde_json::from_value(json!({
                "store_hash": "abc123", "access_token": "t", "client_id": "c", "utc_offset_minutes": offset
            }))
            .unwrap();
            Store::new(&config, 1_780_000_000)
        };
        assert_eq!(store(-360).timezone_name(), "America/Chicago");
        assert_eq!(store(120).timezone_name(), "Etc/GMT-2");
        assert_eq!(store(345).timezone_name(), "UTC");
    }
}
