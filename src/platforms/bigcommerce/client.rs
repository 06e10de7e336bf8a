//! The BigCommerce REST client: `https://api.bigcommerce.com/stores/{hash}/v2|v3/…` with the
//! API account's `X-Auth-Token` (the Client ID is never sent: BigCommerce ignores it), each
//! failure a [`BcError`] a caller can explain in its own words.
//!
//! Every app on a store shares one request quota (150 per 30 s on Standard and Plus), and every
//! answer says what is left of it (`X-Rate-Limit-Requests-Left`) and when it refills
//! (`X-Rate-Limit-Time-Reset-Ms`). So every call to a store — a sync's, a webhook's refresh, a
//! shipment — first takes its turn in the store's [`Pace`]: a few calls in flight at most, and
//! none once only the reserve left for other apps remains, until the window refills. A 429 holds
//! every call to the store for its `X-Retry-After` (or the window's reset, or a growing wait when
//! it came without the headers, as the platform's own 429s do) and is then tried again: a 429
//! never ends a call.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use reqwest::{header, Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tokio::{sync::Semaphore, time::Instant};

use super::StoreHash;
use crate::{platforms::net::backoff, secrets::Secret};

/// BigCommerce's API host.
pub const API_BASE: &str = "https://api.bigcommerce.com";
/// Calls in flight to one store at most: the quota, not concurrency, bounds the pace.
const AT_ONCE: usize = 3;
/// Tries of a GET that failed for a passing reason (5xx, time-out, dropped connection).
pub const MAX_ATTEMPTS: u32 = 5;
/// 429s one call waits out before it gives up: enough for minutes of another app's storm.
const MAX_THROTTLED: u32 = 60;
/// The longest single wait a 429 is granted.
const MAX_WAIT: Duration = Duration::from_secs(35);
/// The longest text of BigCommerce's kept in an error.
const MAX_MESSAGE: usize = 300;

/// Every way a call can fail. None carries the token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BcError {
    /// 401: the token is not this store's (or the store has no such account).
    #[error("BigCommerce refused the access token (401)")]
    Unauthorized,
    /// 403: the API account lacks the scope the route needs.
    #[error("the API account lacks a scope this needs (403)")]
    MissingScope,
    #[error("not found (404)")]
    NotFound,
    /// Any other refusal, with BigCommerce's words.
    #[error("BigCommerce refused it ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Still answered 429 after every wait.
    #[error("the store's request quota stayed spent")]
    RateLimited,
    #[error("BigCommerce is unavailable ({0})")]
    Unavailable(u16),
    #[error("BigCommerce did not answer in time")]
    Timeout,
    #[error("BigCommerce could not be reached: {0}")]
    Network(String),
    #[error("BigCommerce sent an answer storelink could not read: {0}")]
    BadResponse(String),
}

impl BcError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, BcError::RateLimited | BcError::Timeout | BcError::Network(_) | BcError::Unavailable(_))
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// The JSON as BigCommerce sent it; empty for `204 No Content` (an empty v2 page).
    pub body: Vec<u8>,
}

impl Answer {
    /// An empty v2 collection: 204 with no body.
    pub fn is_empty(&self) -> bool {
        self.status == 204 || self.body.iter().all(u8::is_ascii_whitespace)
    }

    pub fn text(&self) -> Result<&str, BcError> {
        std::str::from_utf8(&self.body).map_err(|_| BcError::BadResponse("the answer is not UTF-8".into()))
    }

    pub fn json<'a, T: Deserialize<'a>>(&'a self) -> Result<T, BcError> {
        serde_json::from_slice(&self.body).map_err(|e| BcError::BadResponse(format!("the JSON does not parse: {e}")))
    }
}

/// One store's share of its quota, as storelink last heard of it.
#[derive(Debug, Default)]
struct Window {
    /// Requests left in the window, counting down as calls start.
    left: Option<i64>,
    quota: Option<i64>,
    /// When the window refills.
    refills_at: Option<Instant>,
    /// No call starts before this (a 429's wait).
    hold_until: Option<Instant>,
    /// 429s in a row without headers: each waits longer.
    bare_429s: u32,
}

/// One store's pace: a few calls in flight, and the quota's window.
struct Pace {
    in_flight: Semaphore,
    window: Mutex<Window>,
}

impl Pace {
    fn new() -> Pace {
        Pace { in_flight: Semaphore::new(AT_ONCE), window: Mutex::new(Window::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long to wait before a call may start, or `None` once it may (counted as spent).
    fn wait(&self, now: Instant) -> Option<(Instant, &'static str)> {
        let mut window = self.lock();
        if let Some(until) = window.hold_until.filter(|until| *until > now) {
            return Some((until, "BigCommerce asked storelink to wait"));
        }
        match (window.left, window.refills_at) {
            (Some(left), Some(refills)) if refills > now && left <= reserve(window.quota) => {
                return Some((refills, "keeping the rest of the store's quota for its other apps"));
            }
            (_, Some(refills)) if refills <= now => {
                // A new window: what is left is unknown until the next answer says.
                window.left = None;
                window.refills_at = None;
            }
            _ => {}
        }
        if let Some(left) = window.left.as_mut() {
            *left -= 1;
        }
        None
    }

    /// What an answer's headers say of the quota.
    fn heard(&self, headers: &header::HeaderMap, now: Instant) {
        let left = number(headers, "x-rate-limit-requests-left");
        let reset = number(headers, "x-rate-limit-time-reset-ms");
        let quota = number(headers, "x-rate-limit-requests-quota");
        let mut window = self.lock();
        if let Some(left) = left {
            // Calls in flight when this was answered already counted themselves: keep the lower.
            window.left = Some(window.left.map_or(left, |l| l.min(left)));
        }
        if let Some(reset) = reset {
            window.refills_at = Some(now + Duration::from_millis(reset.clamp(0, 60_000) as u64));
        }
        if quota.is_some() {
            window.quota = quota;
        }
    }

    /// A 429: every call to the store holds until it may go again; how long.
    fn throttled(&self, headers: &header::HeaderMap, now: Instant) -> Duration {
        let retry_after = number(headers, "x-retry-after").map(|s| Duration::from_secs(s.clamp(0, 60) as u64));
        let reset =
            number(headers, "x-rate-limit-time-reset-ms").map(|ms| Duration::from_millis(ms.clamp(0, 60_000) as u64));
        let mut window = self.lock();
        let wait = match retry_after.or(reset) {
            Some(wait) => {
                window.bare_429s = 0;
                wait.max(Duration::from_millis(100))
            }
            // The platform's own 429 (under load): no headers, a growing wait.
            None => {
                window.bare_429s += 1;
                backoff(window.bare_429s).max(Duration::from_secs(1))
            }
        };
        // What is left of the quota is what the answer's headers said (`heard`): a 429 of the
        // platform's own spends none of it.
        let wait = wait.min(MAX_WAIT);
        let until = now + wait;
        window.hold_until = Some(window.hold_until.map_or(until, |at| at.max(until)));
        wait
    }
}

/// Requests left for other apps on the store: a second's worth of the 30-second quota (5 of
/// Standard's 150, 15 of Pro's 450), at least 3 — room for another app's next few calls without
/// costing this store's sync more than a thirtieth of its pace.
fn reserve(quota: Option<i64>) -> i64 {
    (quota.unwrap_or(150) / 30).max(3)
}

fn number(headers: &header::HeaderMap, name: &str) -> Option<i64> {
    headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok().filter(|n| n.is_finite()).map(|n| n as i64)
}

type Sink = Arc<dyn Fn(String) + Send + Sync>;

/// The BigCommerce client. Clones share each store's pace.
#[derive(Clone)]
pub struct BcClient {
    http: reqwest::Client,
    base: String,
    stores: Arc<Mutex<HashMap<String, Arc<Pace>>>>,
    attempts: u32,
    events: Option<Sink>,
}

/// An answer as it came.
struct Raw {
    status: StatusCode,
    headers: header::HeaderMap,
    body: Vec<u8>,
}

impl BcClient {
    /// `base`: where the API is instead of [`API_BASE`] (the emulator).
    pub fn new(http: reqwest::Client, base: Option<String>) -> BcClient {
        let base = base.map_or_else(|| API_BASE.to_owned(), |b| b.trim_end_matches('/').to_owned());
        BcClient { http, base, stores: Arc::default(), attempts: MAX_ATTEMPTS, events: None }
    }

    /// This client, telling `sink` of its waits and retries (a sync shows them as progress).
    pub fn with_events(&self, sink: impl Fn(String) + Send + Sync + 'static) -> BcClient {
        BcClient { events: Some(Arc::new(sink)), ..self.clone() }
    }

    /// This client, trying a failing GET at most `attempts` times (a person waiting gets the
    /// first answer). 429s are always waited out.
    pub fn with_attempts(&self, attempts: u32) -> BcClient {
        BcClient { attempts: attempts.clamp(1, MAX_ATTEMPTS), ..self.clone() }
    }

    fn pace(&self, hash: &StoreHash) -> Arc<Pace> {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        stores.entry(hash.as_str().to_owned()).or_insert_with(|| Arc::new(Pace::new())).clone()
    }

    fn tell(&self, event: String) {
        if let Some(sink) = &self.events {
            sink(event);
        }
    }

    /// A GET of `path` (`/v2/orders`), retried while the failure may pass.
    pub async fn get(
        &self,
        hash: &StoreHash,
        token: &Secret,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Answer, BcError> {
        self.call(hash, token, Method::GET, path, query, None).await
    }

    /// A POST. Tried again only after a 429, which BigCommerce answers before doing anything.
    pub async fn post(&self, hash: &StoreHash, token: &Secret, path: &str, body: &Value) -> Result<Answer, BcError> {
        self.call(hash, token, Method::POST, path, &[], Some(body)).await
    }

    /// A PUT. Tried again only after a 429.
    pub async fn put(&self, hash: &StoreHash, token: &Secret, path: &str, body: &Value) -> Result<Answer, BcError> {
        self.call(hash, token, Method::PUT, path, &[], Some(body)).await
    }

    /// A DELETE. Tried again only after a 429.
    pub async fn delete(&self, hash: &StoreHash, token: &Secret, path: &str) -> Result<Answer, BcError> {
        self.call(hash, token, Method::DELETE, path, &[], None).await
    }

    async fn call(
        &self,
        hash: &StoreHash,
        token: &Secret,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, BcError> {
        let pace = self.pace(hash);
        let url = format!("{}/stores/{}{path}", self.base, hash.as_str());
        let (mut failures, mut throttled) = (0u32, 0u32);
        loop {
            let raw = {
                let _turn = pace.in_flight.acquire().await.map_err(|_| BcError::Network("shutting down".into()))?;
                let mut told = false;
                while let Some((until, why)) = pace.wait(Instant::now()) {
                    if !told {
                        told = true;
                        let secs = until.saturating_duration_since(Instant::now()).as_secs_f64();
                        self.tell(format!("Waited {secs:.1} s ({why})"));
                    }
                    tokio::time::sleep_until(until).await;
                }
                let mut request = self
                    .http
                    .request(method.clone(), &url)
                    .header("x-auth-token", token.expose())
                    .header(header::ACCEPT, "application/json");
                if !query.is_empty() {
                    request = request.query(query);
                }
                if let Some(body) = body {
                    request = request.json(body);
                }
                let sent = request.send().await;
                let now = Instant::now();
                match sent {
                    Ok(response) => {
                        let status = response.status();
                        let headers = response.headers().clone();
                        pace.heard(&headers, now);
                        match response.bytes().await {
                            Ok(bytes) => Ok(Raw { status, headers, body: bytes.to_vec() }),
                            Err(err) => Err(transport(err)),
                        }
                    }
                    Err(err) => Err(transport(err)),
                }
            };
            let is_get = method == Method::GET;
            match raw {
                Ok(raw) if raw.status == StatusCode::TOO_MANY_REQUESTS => {
                    throttled += 1;
                    let wait = pace.throttled(&raw.headers, Instant::now());
                    if throttled > MAX_THROTTLED {
                        return Err(BcError::RateLimited);
                    }
                    tracing::debug!(store = %hash, wait_ms = wait.as_millis() as u64, "BigCommerce answered 429");
                    self.tell(format!("BigCommerce answered 429: waiting {:.1} s", wait.as_secs_f64()));
                }
                Ok(raw) if raw.status.is_server_error() && is_get && failures + 1 < self.attempts => {
                    failures += 1;
                    self.tell(format!(
                        "Retried (BigCommerce answered {}), attempt {}",
                        raw.status.as_u16(),
                        failures + 1
                    ));
                    tokio::time::sleep(backoff(failures)).await;
                }
                Ok(raw) => return answer(raw),
                Err(err) if is_get && err.is_transient() && failures + 1 < self.attempts => {
                    failures += 1;
                    self.tell(format!("Retried ({err}), attempt {}", failures + 1));
                    tokio::time::sleep(backoff(failures)).await;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

/// A call that got no answer. reqwest's messages name the URL: it is left out.
fn transport(err: reqwest::Error) -> BcError {
    if err.is_timeout() {
        return BcError::Timeout;
    }
    let source = std::error::Error::source(&err).map(|s| s.to_string());
    let message = err.without_url().to_string();
    BcError::Network(match source {
        Some(source) => format!("{message}: {source}"),
        None => message,
    })
}

fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE).collect()
}

/// A successful answer, or why there is none.
fn answer(raw: Raw) -> Result<Answer, BcError> {
    let status = raw.status.as_u16();
    match status {
        200..=299 => Ok(Answer { status, body: raw.body }),
        401 => Err(BcError::Unauthorized),
        403 => Err(BcError::MissingScope),
        404 => Err(BcError::NotFound),
        429 => Err(BcError::RateLimited),
        500..=599 => Err(BcError::Unavailable(status)),
        _ => Err(BcError::Refused { status, message: message_of(&raw.body) }),
    }
}

/// BigCommerce's words in a refusal: v2's `[{status, message}]`, or v3's `{title, errors}`.
pub fn message_of(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else { return String::new() };
    let text = match &value {
        Value::Array(items) => items.iter().filter_map(|i| i["message"].as_str()).collect::<Vec<_>>().join(" "),
        Value::Object(_) => {
            let mut text = value["title"].as_str().unwrap_or_default().to_owned();
            if let Some(errors) = value["errors"].as_object().filter(|e| !e.is_empty()) {
                let details: Vec<String> =
                    errors.iter().map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default())).collect();
                text.push_str(&format!(" ({})", details.join("; ")));
            }
            text
        }
        _ => String::new(),
    };
    clean(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> header::HeaderMap {
        let mut map = header::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn refusals_become_their_errors_with_bigcommerces_words() {
        let raw = |status: u16, body: &str| Raw {
            status: StatusCode::from_u16(status).unwrap(),
            headers: header::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        };
        let fixture_401 =
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/emulator/tests/fixtures/bigcommerce/error_401.json"));
        let fixture_403 =
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/emulator/tests/fixtures/bigcommerce/error_403.json"));
        let fixture_v2 =
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/emulator/tests/fixtures/bigcommerce/error_v2_400.json"));
        assert_eq!(answer(raw(401, fixture_401)).err(), Some(BcError::Unauthorized));
        assert_eq!(answer(raw(403, fixture_403)).err(), Some(BcError::MissingScope));
        assert!(message_of(fixture_v2.as_bytes()).starts_with("The field 'item_total' cannot be written to."));
        assert_eq!(answer(raw(404, "")).err(), Some(BcError::NotFound));
        assert_eq!(answer(raw(503, "")).err(), Some(BcError::Unavailable(503)));
        let v2 = r#"[{"status":400,"message":"The field 'quantity' is invalid."}]"#;
        assert_eq!(
            answer(raw(400, v2)).err(),
            Some(BcError::Refused { status: 400, message: "The field 'quantity' is invalid.".into() })
        );
        let v3 = r#"{"status":422,"title":"Payload contains invalid fields","errors":{"scope":"bad"}}"#;
        assert_eq!(message_of(v3.as_bytes()), "Payload contains invalid fields (scope: bad)");
        let empty = answer(raw(204, "")).unwrap();
        assert!(empty.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_reserve_is_left_to_other_apps_until_the_window_refills() {
        let pace = Pace::new();
        let now = Instant::now();
        assert!(pace.wait(now).is_none(), "nothing heard yet: go");
        pace.heard(
            &headers(&[
                ("x-rate-limit-requests-left", "6"),
                ("x-rate-limit-time-reset-ms", "12000"),
                ("x-rate-limit-requests-quota", "150"),
            ]),
            now,
        );
        assert!(pace.wait(now).is_none(), "6 left, 5 kept: one more");
        let (until, _) = pace.wait(now).expect("the reserve is reached");
        assert_eq!(until - now, Duration::from_secs(12));
        assert!(pace.wait(now + Duration::from_secs(12)).is_none(), "a new window");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_every_call_for_its_retry_after_or_a_growing_wait() {
        let pace = Pace::new();
        let now = Instant::now();
        let wait = pace.throttled(&headers(&[("x-retry-after", "3"), ("x-rate-limit-time-reset-ms", "9000")]), now);
        assert_eq!(wait, Duration::from_secs(3));
        assert_eq!(pace.wait(now).map(|(until, _)| until - now), Some(Duration::from_secs(3)));
        let without = pace.throttled(&headers(&[("x-rate-limit-time-reset-ms", "5000")]), now);
        assert_eq!(without, Duration::from_secs(5), "the window's reset when X-Retry-After is missing");
        let bare = Pace::new();
        let first = bare.throttled(&header::HeaderMap::new(), now);
        let later = (0..4).map(|_| bare.throttled(&header::HeaderMap::new(), now)).last().unwrap();
        assert!(first >= Duration::from_secs(1) && later > first && later <= MAX_WAIT);
    }
}
