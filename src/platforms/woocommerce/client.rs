//! The WooCommerce REST client: WordPress's index (`/wp-json/`, or `/?rest_route=/` when the site
//! has plain permalinks), and `wc/v3` calls authenticated as WooCommerce takes API keys — HTTP
//! Basic on https sites (the `consumer_key`/`consumer_secret` query string when the server drops
//! the `Authorization` header), OAuth 1.0a on http sites, signed over the site's home URL — paced
//! per site (`pacing.rs`), each failure a [`WooError`] a caller can explain in its own words.
//!
//! The caller builds the `reqwest::Client` (time-outs, a resolver that refuses private
//! addresses, no redirects followed). With a base override (the emulator) every call goes to
//! `{override}{site folder}{path}` with the site's host in `Host`; signatures still name the
//! site's own URL.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use reqwest::{header, Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::{
    oauth,
    pacing::{self, backoff, PaceEvent, Pacer, Signal, MAX_ATTEMPTS},
    url::SiteUrl,
};
use crate::secrets::Secret;

/// The namespace of WooCommerce's REST API.
pub const WC_NAMESPACE: &str = "wc/v3";
/// The Shipment Tracking extension's namespace.
pub const TRACKING_NAMESPACE: &str = "wc-shipment-tracking/v3";
/// The largest answer read: a page of 100 orders is about a megabyte.
const MAX_BODY: usize = 32 << 20;
/// The longest text of the site's kept in an error.
const MAX_MESSAGE: usize = 300;

/// A WooCommerce REST API key (WooCommerce > Settings > Advanced > REST API).
#[derive(Debug, Clone)]
pub struct Keys {
    /// `ck_…`
    pub consumer_key: String,
    /// `cs_…`
    pub consumer_secret: Secret,
}

/// How a site takes the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// `Authorization: Basic` (https only).
    Basic,
    /// `consumer_key` and `consumer_secret` in the query string (https only): for servers that
    /// drop the `Authorization` header before PHP sees it.
    QueryString,
    /// OAuth 1.0a one-legged, in the query string (required over http).
    OAuth,
}

impl AuthMode {
    /// As a caller may store it.
    pub fn key(self) -> &'static str {
        match self {
            AuthMode::Basic => "basic",
            AuthMode::QueryString => "query_string",
            AuthMode::OAuth => "oauth",
        }
    }

    pub fn from_key(key: &str) -> Option<AuthMode> {
        [AuthMode::Basic, AuthMode::QueryString, AuthMode::OAuth].into_iter().find(|m| m.key() == key)
    }
}

/// Where a site's REST API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteForm {
    /// `/wp-json/{route}` (pretty permalinks).
    Pretty,
    /// `/?rest_route={route}` (plain permalinks; works on every WordPress).
    Plain,
}

impl RouteForm {
    pub fn key(self) -> &'static str {
        match self {
            RouteForm::Pretty => "pretty",
            RouteForm::Plain => "plain",
        }
    }

    pub fn from_key(key: &str) -> Option<RouteForm> {
        [RouteForm::Pretty, RouteForm::Plain].into_iter().find(|f| f.key() == key)
    }
}

/// Every way a call to a WooCommerce site can fail. None carries a credential or a URL with
/// its query string.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WooError {
    /// The address answers, but with no WordPress REST index by either form.
    #[error("the address answers, but not as a WordPress site")]
    NotWordPress,
    /// WordPress refuses its REST API (a security plugin, `rest_disabled`, a login required).
    #[error("the site's WordPress REST API is switched off")]
    RestApiOff,
    /// WordPress without `wc/v3` among its namespaces.
    #[error("WooCommerce is not active on this WordPress site")]
    NoWooCommerce,
    /// WooCommerce did not recognise the consumer key (over Basic it then treats the call as
    /// anonymous, also after the query-string retry).
    #[error("WooCommerce does not know this consumer key (or the site's server drops the credentials)")]
    UnknownKey,
    #[error("the consumer secret does not belong to this consumer key")]
    WrongSecret,
    /// The key's permission is Read.
    #[error("the API key is read-only: it does not have write permissions")]
    ReadOnlyKey,
    /// The key's permission is Write.
    #[error("the API key is write-only: it does not have read permissions")]
    NoReadPermission,
    /// The key works, but its WordPress user lacks the capability (403
    /// `woocommerce_rest_cannot_*`): not an Administrator or Shop Manager.
    #[error("the key's WordPress user is not allowed to do this")]
    NotAllowed,
    /// An answer that is not JSON where JSON was expected: a bot check's page (SiteGround's 202
    /// captcha), a firewall's or a web server's page.
    #[error("the site answered {status} with a web page instead of the API's data (bot protection or a firewall)")]
    Captcha { status: u16 },
    /// The site answered with a redirection (its address moved, or http goes to https).
    #[error("the site answered {status}, sending storelink elsewhere{}", .to.as_deref().map(|to| format!(" ({to})")).unwrap_or_default())]
    Redirected { status: u16, to: Option<String> },
    #[error("the site is rate limiting storelink (429)")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the site is unavailable ({0})")]
    Unavailable(u16),
    #[error("the site did not answer in time")]
    Timeout,
    #[error("the site could not be reached: {0}")]
    Network(String),
    /// 404: no such record (or route).
    #[error("not found on the site (404)")]
    NotFound,
    /// Any other 4xx with WooCommerce's `{code, message, data: {status}}`.
    #[error("the site refused the request: {message} ({code})")]
    Refused { code: String, message: String },
    #[error("the site sent an answer storelink could not read: {0}")]
    BadResponse(String),
}

impl WooError {
    /// Worth trying again later: rate limits, the gateway errors, time-outs, dropped connections.
    pub fn is_transient(&self) -> bool {
        match self {
            WooError::RateLimited { .. } | WooError::Timeout | WooError::Network(_) => true,
            WooError::Unavailable(status) => matches!(status, 502..=504),
            _ => false,
        }
    }
}

/// What `GET /wp-json/` says of a site.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub name: String,
    /// The site's own home URL: the one to use from now on (and to sign over).
    pub home: SiteUrl,
    /// `gmt_offset` in minutes (WordPress gives hours, a number or a string).
    pub gmt_offset_minutes: Option<i32>,
    /// `Europe/Paris`; `None` when the site is set to a fixed offset.
    pub timezone: Option<String>,
    pub namespaces: Vec<String>,
    /// The form that reached the API.
    pub route_form: RouteForm,
}

impl Index {
    pub fn has_namespace(&self, namespace: &str) -> bool {
        self.namespaces.iter().any(|n| n == namespace)
    }

    /// The Shipment Tracking extension (or Advanced Shipment Tracking, which registers the same
    /// routes) is active.
    pub fn has_shipment_tracking(&self) -> bool {
        self.has_namespace(TRACKING_NAMESPACE)
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// The JSON as the site sent it.
    pub body: Vec<u8>,
    /// `X-WP-Total` and `X-WP-TotalPages` of a collection.
    pub total: Option<i64>,
    pub total_pages: Option<i64>,
}

impl Answer {
    /// The body as text (a reader keeps each record's exact text).
    pub fn text(&self) -> Result<&str, WooError> {
        std::str::from_utf8(&self.body).map_err(|_| WooError::BadResponse("the answer is not UTF-8".into()))
    }

    /// The body read as `T` (borrowing from it where `T` does).
    pub fn json<'a, T: Deserialize<'a>>(&'a self) -> Result<T, WooError> {
        serde_json::from_slice(&self.body).map_err(|e| WooError::BadResponse(format!("the JSON does not parse: {e}")))
    }
}

/// What storelink knows of one site, shared by every clone of the client.
struct SiteState {
    pacer: Pacer,
    auth: Mutex<Option<AuthMode>>,
    form: Mutex<Option<RouteForm>>,
}

fn known<T: Copy>(cell: &Mutex<Option<T>>) -> Option<T> {
    *cell.lock().unwrap_or_else(|p| p.into_inner())
}

fn learn<T>(cell: &Mutex<Option<T>>, value: T) {
    *cell.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
}

type Sink = Arc<dyn Fn(PaceEvent) + Send + Sync>;

/// The WooCommerce client. Clones share each site's pacing and what was learnt of it.
#[derive(Clone)]
pub struct WooClient {
    http: reqwest::Client,
    base_override: Option<String>,
    max_at_once: usize,
    sites: Arc<Mutex<HashMap<String, Arc<SiteState>>>>,
    /// Tries of a GET, the first included.
    attempts: u32,
    events: Option<Sink>,
}

/// One call, before it is addressed and authenticated.
struct Call<'a> {
    method: Method,
    route: &'a str,
    query: &'a [(&'a str, &'a str)],
    body: Option<&'a Value>,
    keys: Option<&'a Keys>,
}

/// An answer as it came.
struct Raw {
    status: StatusCode,
    headers: header::HeaderMap,
    body: Vec<u8>,
}

impl WooClient {
    /// `max_at_once`: calls in flight to one site at most (0 counts as 1; storelink's default is
    /// [`pacing::DEFAULT_MAX_AT_ONCE`]).
    pub fn new(http: reqwest::Client, base_override: Option<String>, max_at_once: usize) -> WooClient {
        WooClient {
            http,
            base_override: base_override.map(|b| b.trim_end_matches('/').to_owned()),
            max_at_once: max_at_once.max(1),
            sites: Arc::default(),
            attempts: MAX_ATTEMPTS,
            events: None,
        }
    }

    /// This client, telling `sink` of its waits and retries (a sync shows them as progress).
    pub fn with_events(&self, sink: impl Fn(PaceEvent) + Send + Sync + 'static) -> WooClient {
        WooClient { events: Some(Arc::new(sink)), ..self.clone() }
    }

    /// This client, trying a GET at most `attempts` times (1: a person waiting gets the first
    /// answer, not a minute of retries). Writes are never tried twice.
    pub fn with_attempts(&self, attempts: u32) -> WooClient {
        WooClient { attempts: attempts.clamp(1, MAX_ATTEMPTS), ..self.clone() }
    }

    fn state(&self, site: &SiteUrl) -> Arc<SiteState> {
        let mut sites = self.sites.lock().unwrap_or_else(|p| p.into_inner());
        sites
            .entry(site.home())
            .or_insert_with(|| {
                Arc::new(SiteState {
                    pacer: Pacer::new(self.max_at_once),
                    auth: Mutex::new(None),
                    form: Mutex::new(None),
                })
            })
            .clone()
    }

    fn emit(&self, event: PaceEvent) {
        if let Some(sink) = &self.events {
            sink(event);
        }
    }

    /// Calls allowed in flight to the site now.
    pub fn limit(&self, site: &SiteUrl) -> usize {
        self.state(site).pacer.limit()
    }

    /// How the key is sent to the site: OAuth over http; over https Basic, unless the site was
    /// found (or remembered) to need the query string.
    pub fn auth_mode(&self, site: &SiteUrl) -> AuthMode {
        if !site.is_https() {
            return AuthMode::OAuth;
        }
        known(&self.state(site).auth).unwrap_or(AuthMode::Basic)
    }

    /// Restores a mode stored from an earlier run. An http site only takes OAuth: anything
    /// else is ignored.
    pub fn remember_auth_mode(&self, site: &SiteUrl, mode: AuthMode) {
        if site.is_https() {
            learn(&self.state(site).auth, mode);
        }
    }

    /// The form the site's API answered at, once known.
    pub fn route_form(&self, site: &SiteUrl) -> Option<RouteForm> {
        known(&self.state(site).form)
    }

    pub fn remember_route_form(&self, site: &SiteUrl, form: RouteForm) {
        learn(&self.state(site).form, form);
    }

    /// `GET /wp-json/` (public), falling back to `/?rest_route=/`; the form that answered is
    /// remembered for the site and for the home URL it reports.
    pub async fn index(&self, site: &SiteUrl) -> Result<Index, WooError> {
        let index = self.discover(site).await?;
        if !index.has_namespace(WC_NAMESPACE) {
            return Err(WooError::NoWooCommerce);
        }
        Ok(index)
    }

    /// A GET of `route` (`/wc/v3/orders`), retried when the failure may pass.
    pub async fn get(
        &self,
        site: &SiteUrl,
        keys: &Keys,
        route: &str,
        query: &[(&str, &str)],
    ) -> Result<Answer, WooError> {
        let call = Call { method: Method::GET, route, query, body: None, keys: Some(keys) };
        answer(self.send(site, &call).await?)
    }

    /// A GET of a public route, sent without the key.
    pub async fn public_get(&self, site: &SiteUrl, route: &str) -> Result<Answer, WooError> {
        let call = Call { method: Method::GET, route, query: &[], body: None, keys: None };
        answer(self.send(site, &call).await?)
    }

    /// A POST of a JSON body. Never retried: WooCommerce has no idempotency keys.
    pub async fn post(&self, site: &SiteUrl, keys: &Keys, route: &str, body: &Value) -> Result<Answer, WooError> {
        let call = Call { method: Method::POST, route, query: &[], body: Some(body), keys: Some(keys) };
        answer(self.send(site, &call).await?)
    }

    /// A PUT of a JSON body. Never retried.
    pub async fn put(&self, site: &SiteUrl, keys: &Keys, route: &str, body: &Value) -> Result<Answer, WooError> {
        let call = Call { method: Method::PUT, route, query: &[], body: Some(body), keys: Some(keys) };
        answer(self.send(site, &call).await?)
    }

    /// A DELETE (`force=true` in `query` to delete rather than trash). Never retried.
    pub async fn delete(
        &self,
        site: &SiteUrl,
        keys: &Keys,
        route: &str,
        query: &[(&str, &str)],
    ) -> Result<Answer, WooError> {
        let call = Call { method: Method::DELETE, route, query, body: None, keys: Some(keys) };
        answer(self.send(site, &call).await?)
    }

    /// Whether the key may write: a POST to a route that does not exist is refused for a
    /// read-only key before routing (401 "…does not have write permissions"), and answered 404
    /// `rest_no_route` for a key that may write. Call it once a read with the key succeeded: a
    /// key WooCommerce does not know is never checked, so it too meets the 404.
    pub async fn probe_write(&self, site: &SiteUrl, keys: &Keys) -> Result<bool, WooError> {
        let body = Value::Object(Default::default());
        let call = Call {
            method: Method::POST,
            route: "/wc/v3/storelink-probe",
            query: &[],
            body: Some(&body),
            keys: Some(keys),
        };
        let raw = self.send(site, &call).await?;
        if raw.status == StatusCode::NOT_FOUND && error_code(&raw).as_deref() == Some("rest_no_route") {
            return Ok(true);
        }
        match answer(raw) {
            Ok(_) => Ok(true),
            Err(WooError::ReadOnlyKey) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Whether the key's user may manage webhooks (an Administrator or Shop Manager).
    pub async fn can_manage_webhooks(&self, site: &SiteUrl, keys: &Keys) -> Result<bool, WooError> {
        match self.get(site, keys, "/wc/v3/webhooks", &[("per_page", "1")]).await {
            Ok(_) => Ok(true),
            Err(WooError::NotAllowed) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// The site's index by the form known to work, else by both; the form that answered is
    /// remembered.
    async fn discover(&self, site: &SiteUrl) -> Result<Index, WooError> {
        let state = self.state(site);
        let forms = match known(&state.form) {
            Some(RouteForm::Plain) => [RouteForm::Plain, RouteForm::Pretty],
            _ => [RouteForm::Pretty, RouteForm::Plain],
        };
        let call = Call { method: Method::GET, route: "/", query: &[], body: None, keys: None };
        let mut refused = false;
        for form in forms {
            let raw = self.send_as(site, &state, form, &call).await?;
            if raw.status.is_redirection() {
                return Err(refusal(&raw));
            }
            if is_challenge(&raw) {
                return Err(WooError::Captcha { status: raw.status.as_u16() });
            }
            match read_index(&raw, form)? {
                Found::Index(index) => {
                    learn(&state.form, form);
                    self.remember_route_form(&index.home, form);
                    return Ok(index);
                }
                Found::Refusal => refused = true,
                Found::Nothing => {}
            }
        }
        Err(if refused { WooError::RestApiOff } else { WooError::NotWordPress })
    }

    /// A call by the site's known form (learning it from the index first), paced and retried;
    /// its answer unless that is a passing failure on the last try.
    async fn send(&self, site: &SiteUrl, call: &Call<'_>) -> Result<Raw, WooError> {
        let state = self.state(site);
        let form = match known(&state.form) {
            Some(form) => form,
            None => self.discover(site).await?.route_form,
        };
        self.send_as(site, &state, form, call).await
    }

    async fn send_as(
        &self,
        site: &SiteUrl,
        state: &SiteState,
        form: RouteForm,
        call: &Call<'_>,
    ) -> Result<Raw, WooError> {
        let attempts = if call.method == Method::GET { self.attempts } else { 1 };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = {
                let _slot = state.pacer.slot(&|event| self.emit(event)).await;
                let result = self.authenticated(site, state, form, call).await;
                state.pacer.record(signal(&result));
                result.and_then(|raw| match raw.status.as_u16() {
                    429 | 502..=504 => Err(refusal(&raw)),
                    _ => Ok(raw),
                })
            };
            match result {
                Err(err) if err.is_transient() && attempt < attempts => {
                    self.emit(PaceEvent::Retried { attempt, why: err.to_string() });
                    // A `Retry-After` already holds every call to the site (the pacer waits).
                    if !matches!(err, WooError::RateLimited { retry_after: Some(_) }) {
                        tokio::time::sleep(backoff(attempt)).await;
                    }
                }
                other => return other,
            }
        }
    }

    /// One exchange with the key sent as the site takes it. On https, an anonymous refusal to
    /// Basic (the server dropped `Authorization`) is tried once more with the query string,
    /// which the site is then known to need. The refusal came before the route ran, so even a
    /// write is safe to send again.
    async fn authenticated(
        &self,
        site: &SiteUrl,
        state: &SiteState,
        form: RouteForm,
        call: &Call<'_>,
    ) -> Result<Raw, WooError> {
        let Some(keys) = call.keys else { return self.exchange(site, form, call, None).await };
        let mode = if site.is_https() { known(&state.auth).unwrap_or(AuthMode::Basic) } else { AuthMode::OAuth };
        let raw = self.exchange(site, form, call, Some((keys, mode))).await?;
        if mode != AuthMode::Basic || !is_anonymous_refusal(&raw) {
            return Ok(raw);
        }
        let again = self.exchange(site, form, call, Some((keys, AuthMode::QueryString))).await?;
        if !is_anonymous_refusal(&again) {
            tracing::info!(site = %site, "the site drops the Authorization header: its key goes in the query string");
            learn(&state.auth, AuthMode::QueryString);
        }
        Ok(again)
    }

    async fn exchange(
        &self,
        site: &SiteUrl,
        form: RouteForm,
        call: &Call<'_>,
        auth: Option<(&Keys, AuthMode)>,
    ) -> Result<Raw, WooError> {
        let mut params: Vec<(String, String)> = Vec::new();
        let path = match form {
            RouteForm::Pretty => format!("/wp-json{}", call.route),
            RouteForm::Plain => {
                params.push(("rest_route".into(), call.route.to_owned()));
                "/".to_owned()
            }
        };
        params.extend(call.query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        match auth {
            Some((keys, AuthMode::QueryString)) => params.extend([
                ("consumer_key".to_owned(), keys.consumer_key.clone()),
                ("consumer_secret".to_owned(), keys.consumer_secret.expose().to_owned()),
            ]),
            Some((keys, AuthMode::OAuth)) => {
                let signed = oauth::sign(
                    call.method.as_str(),
                    &signing_url(site, &path),
                    &params,
                    &keys.consumer_key,
                    keys.consumer_secret.expose(),
                    unix_now(),
                    &oauth::nonce(),
                );
                params.extend(signed);
            }
            _ => {}
        }
        let origin = match &self.base_override {
            Some(base) => base.clone(),
            None => format!("{}://{}", site.scheme(), site.host()),
        };
        let query: Vec<String> =
            params.iter().map(|(k, v)| format!("{}={}", oauth::encode(k), oauth::encode(v))).collect();
        let mut url = format!("{origin}{}{path}", site.path());
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        let mut request = self.http.request(call.method.clone(), url).header(header::ACCEPT, "application/json");
        if self.base_override.is_some() {
            request = request.header(header::HOST, site.host());
        }
        if let Some((keys, AuthMode::Basic)) = auth {
            request = request.basic_auth(&keys.consumer_key, Some(keys.consumer_secret.expose()));
        }
        if let Some(body) = call.body {
            request = request.json(body);
        }
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(WooError::BadResponse(format!("the answer is larger than {} MB", MAX_BODY >> 20)));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Raw { status, headers, body })
    }
}

/// What WooCommerce signs a request as: the home URL with the request's path inside the site
/// (`get_home_url(null, $path)`, which adds nothing for an empty path).
fn signing_url(site: &SiteUrl, path: &str) -> String {
    match path.trim_start_matches('/') {
        "" => site.home(),
        inner => format!("{}/{inner}", site.home()),
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// A call that got no answer: too slow, or no connection. reqwest's messages name the URL, which
/// may carry the key: it is left out.
fn transport(err: reqwest::Error) -> WooError {
    if err.is_timeout() {
        return WooError::Timeout;
    }
    let source = std::error::Error::source(&err).map(|s| s.to_string());
    let message = err.without_url().to_string();
    WooError::Network(match source {
        Some(source) => format!("{message}: {source}"),
        None => message,
    })
}

/// What an exchange says of the site's load.
fn signal(result: &Result<Raw, WooError>) -> Signal {
    match result {
        Ok(raw) => match raw.status.as_u16() {
            429 | 503 | 504 => Signal::Overloaded { retry_after: retry_after_of(&raw.headers) },
            500..=599 => Signal::Failed,
            _ => Signal::Answered,
        },
        Err(WooError::Timeout) => Signal::Overloaded { retry_after: None },
        Err(_) => Signal::Failed,
    }
}

fn retry_after_of(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    pacing::retry_after(value, SystemTime::now())
}

fn header_number(headers: &header::HeaderMap, name: &str) -> Option<i64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// JSON by its `Content-Type`, or by its first character when there is none.
fn is_json(raw: &Raw) -> bool {
    match raw.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(content_type) => content_type.to_ascii_lowercase().contains("json"),
        None => raw.body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'[')),
    }
}

/// A bot check or a firewall's challenge page (SiteGround's `SG-Captcha`, Cloudflare's
/// `cf-mitigated`, or any page answered 202).
fn is_challenge(raw: &Raw) -> bool {
    let header = |name: &str| raw.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    !is_json(raw)
        && (raw.status == StatusCode::ACCEPTED
            || header("sg-captcha").is_some()
            || header("cf-mitigated").as_deref() == Some("challenge"))
}

/// WordPress's error envelope.
#[derive(Deserialize)]
struct Envelope {
    code: String,
    #[serde(default)]
    message: Value,
}

fn envelope(raw: &Raw) -> Option<Envelope> {
    serde_json::from_slice(&raw.body).ok()
}

fn error_code(raw: &Raw) -> Option<String> {
    is_json(raw).then(|| envelope(raw)).flatten().map(|e| e.code)
}

/// The site's own text, short and printable.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE).collect()
}

/// WooCommerce refused an anonymous caller: over Basic, the key is unknown or never arrived.
fn is_anonymous_refusal(raw: &Raw) -> bool {
    raw.status == StatusCode::UNAUTHORIZED
        && error_code(raw).is_some_and(|code| code.starts_with("woocommerce_rest_cannot_"))
}

/// A successful answer, or why there is none.
fn answer(raw: Raw) -> Result<Answer, WooError> {
    if !raw.status.is_success() {
        return Err(refusal(&raw));
    }
    if !is_json(&raw) {
        return Err(WooError::Captcha { status: raw.status.as_u16() });
    }
    Ok(Answer {
        status: raw.status.as_u16(),
        total: header_number(&raw.headers, "x-wp-total"),
        total_pages: header_number(&raw.headers, "x-wp-totalpages"),
        body: raw.body,
    })
}

/// The error an unsuccessful answer means.
fn refusal(raw: &Raw) -> WooError {
    let status = raw.status.as_u16();
    match status {
        300..=399 => {
            // Only where it points, never a query string (which may repeat the key).
            let to = raw
                .headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(|location| clean(location.split(['?', '#']).next().unwrap_or_default()));
            return WooError::Redirected { status, to };
        }
        429 => return WooError::RateLimited { retry_after: retry_after_of(&raw.headers) },
        500..=599 => return WooError::Unavailable(status),
        _ => {}
    }
    if !is_json(raw) {
        return WooError::Captcha { status };
    }
    let Some(Envelope { code, message }) = envelope(raw) else {
        return WooError::BadResponse(format!("an answer of {status} without WordPress's error code"));
    };
    let message = clean(message.as_str().unwrap_or_default());
    match (status, code.as_str()) {
        (401, "woocommerce_rest_authentication_error") => match message.as_str() {
            "Consumer secret is invalid." => WooError::WrongSecret,
            "Consumer key is invalid." => WooError::UnknownKey,
            m if m.starts_with("Invalid signature - provided signature does not match") => WooError::WrongSecret,
            m if m.contains("does not have write permissions") => WooError::ReadOnlyKey,
            m if m.contains("does not have read permissions") => WooError::NoReadPermission,
            _ => WooError::Refused { code: clean(&code), message },
        },
        // WordPress answers 401 to nobody and 403 to a user without the capability
        // (`rest_authorization_required_code`).
        (401, c) if c.starts_with("woocommerce_rest_cannot_") => WooError::UnknownKey,
        (403, c) if c.starts_with("woocommerce_rest_cannot_") => WooError::NotAllowed,
        (404, _) => WooError::NotFound,
        _ => WooError::Refused { code: clean(&code), message },
    }
}

enum Found {
    Index(Index),
    /// WordPress's JSON refusal (`rest_disabled`, `rest_login_required`, …).
    Refusal,
    /// Not WordPress's JSON at all.
    Nothing,
}

fn read_index(raw: &Raw, form: RouteForm) -> Result<Found, WooError> {
    #[derive(Deserialize)]
    struct Fields {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        home: Option<String>,
        #[serde(default)]
        url: Option<String>,
        #[serde(default)]
        gmt_offset: Option<Value>,
        #[serde(default)]
        timezone_string: Option<String>,
        namespaces: Vec<String>,
    }
    if !is_json(raw) {
        return Ok(Found::Nothing);
    }
    if !raw.status.is_success() {
        return Ok(if envelope(raw).is_some() { Found::Refusal } else { Found::Nothing });
    }
    let Ok(fields) = serde_json::from_slice::<Fields>(&raw.body) else {
        return Ok(if envelope(raw).is_some() { Found::Refusal } else { Found::Nothing });
    };
    let home_text = fields.home.or(fields.url).unwrap_or_default();
    let home = SiteUrl::from_home(&home_text).map_err(|why| {
        WooError::BadResponse(format!("the site gives its address as {:?}: {why}", clean(&home_text)))
    })?;
    let hours = match fields.gmt_offset {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    Ok(Found::Index(Index {
        name: fields.name.map(|n| clean(&n)).unwrap_or_default(),
        home,
        gmt_offset_minutes: hours.filter(|h| h.abs() <= 24.0).map(|h| (h * 60.0).round() as i32),
        timezone: fields.timezone_string.filter(|t| !t.trim().is_empty()),
        namespaces: fields.namespaces,
        route_form: form,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(status: u16, content_type: Option<&str>, body: &str) -> Raw {
        let mut headers = header::HeaderMap::new();
        if let Some(content_type) = content_type {
            headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        }
        Raw { status: StatusCode::from_u16(status).unwrap(), headers, body: body.as_bytes().to_vec() }
    }

    fn wp(status: u16, code: &str, message: &str) -> Raw {
        let body = serde_json::json!({"code": code, "message": message, "data": {"status": status}});
        raw(status, Some("application/json; charset=UTF-8"), &body.to_string())
    }

    #[test]
    fn every_refusal_becomes_its_own_error() {
        let auth = "woocommerce_rest_authentication_error";
        for (answer, error) in [
            (wp(401, auth, "Consumer secret is invalid."), WooError::WrongSecret),
            (wp(401, auth, "Consumer key is invalid."), WooError::UnknownKey),
            (wp(401, auth, "Invalid signature - provided signature does not match."), WooError::WrongSecret),
            (wp(401, auth, "The API key provided does not have write permissions."), WooError::ReadOnlyKey),
            (wp(401, auth, "The API key provided does not have read permissions."), WooError::NoReadPermission),
            (
                wp(401, auth, "Invalid timestamp."),
                WooError::Refused { code: auth.into(), message: "Invalid timestamp.".into() },
            ),
            (wp(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."), WooError::UnknownKey),
            (wp(403, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."), WooError::NotAllowed),
            (
                wp(403, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
                WooError::NotAllowed,
            ),
            (wp(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."), WooError::NotFound),
            (
                wp(400, "rest_invalid_param", "Invalid parameter(s): per_page"),
                WooError::Refused {
                    code: "rest_invalid_param".into(),
                    message: "Invalid parameter(s): per_page".into(),
                },
            ),
            (
                raw(202, Some("text/html; charset=UTF-8"), "<html>Robot Challenge</html>"),
                WooError::Captcha { status: 202 },
            ),
            (raw(403, Some("text/html"), "<html>Forbidden</html>"), WooError::Captcha { status: 403 }),
            (raw(503, Some("text/html"), "<html>503</html>"), WooError::Unavailable(503)),
            (wp(500, "internal_server_error", "x"), WooError::Unavailable(500)),
            (raw(429, Some("text/html"), "<html>429</html>"), WooError::RateLimited { retry_after: None }),
            (
                raw(400, Some("application/json"), "[]"),
                WooError::BadResponse("an answer of 400 without WordPress's error code".into()),
            ),
        ] {
            assert_eq!(refusal(&answer), error, "{}", String::from_utf8_lossy(&answer.body));
        }
        let mut limited = raw(429, None, "");
        limited.headers.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(refusal(&limited), WooError::RateLimited { retry_after: Some(Duration::from_secs(7)) });
    }

    #[test]
    fn errors_never_repeat_a_key_or_a_query_string() {
        let mut moved = raw(301, Some("text/html"), "");
        moved.headers.insert(
            header::LOCATION,
            "https://shop.example.com/wp-json/wc/v3/orders?consumer_key=ck_1&consumer_secret=cs_2".parse().unwrap(),
        );
        let error = refusal(&moved);
        assert_eq!(
            error,
            WooError::Redirected { status: 301, to: Some("https://shop.example.com/wp-json/wc/v3/orders".into()) }
        );
        assert!(!error.to_string().contains("cs_2"));
        let long = wp(400, "x", &format!("{}\u{0}", "m".repeat(1000)));
        let WooError::Refused { message, .. } = refusal(&long) else { panic!("refused") };
        assert_eq!(message.len(), MAX_MESSAGE);
    }

    #[test]
    fn only_json_is_an_answer_and_totals_come_from_the_headers() {
        let mut page = raw(200, Some("application/json; charset=UTF-8"), r#"[{"id":1}]"#);
        page.headers.insert("x-wp-total", "41".parse().unwrap());
        page.headers.insert("x-wp-totalpages", "5".parse().unwrap());
        let page = answer(page).unwrap();
        assert_eq!((page.total, page.total_pages), (Some(41), Some(5)));
        assert_eq!(page.json::<Vec<Value>>().unwrap()[0]["id"], 1);
        assert_eq!(page.text().unwrap(), r#"[{"id":1}]"#);
        assert_eq!(answer(raw(200, Some("text/html"), "<html>")).err(), Some(WooError::Captcha { status: 200 }));
        assert!(answer(raw(200, None, " {}")).is_ok(), "JSON without a content type");
        let garbled = answer(raw(200, Some("application/json"), "<br />{}")).unwrap();
        assert!(matches!(garbled.json::<Value>(), Err(WooError::BadResponse(_))));
    }

    #[test]
    fn the_index_says_where_the_site_lives_and_what_it_runs() {
        let body = r#"{"name":"Example &amp; Co","url":"https://www.shop.example.com","home":"https://www.shop.example.com",
            "gmt_offset":"5.5","timezone_string":"","namespaces":["oembed/1.0","wc/v3","wc-shipment-tracking/v3"],"routes":{}}"#;
        let Found::Index(index) = read_index(&raw(200, Some("application/json"), body), RouteForm::Plain).unwrap()
        else {
            panic!("no index")
        };
        assert_eq!(index.home.home(), "https://www.shop.example.com");
        assert_eq!((index.gmt_offset_minutes, index.timezone.as_deref()), (Some(330), None));
        assert!(index.has_namespace(WC_NAMESPACE) && index.has_shipment_tracking());
        assert_eq!(index.route_form, RouteForm::Plain);

        let disabled = wp(404, "rest_disabled", "The REST API is disabled on this site.");
        assert!(matches!(read_index(&disabled, RouteForm::Pretty), Ok(Found::Refusal)));
        let page = raw(404, Some("text/html"), "<html>Page not found</html>");
        assert!(matches!(read_index(&page, RouteForm::Pretty), Ok(Found::Nothing)));
        let odd_home = raw(200, Some("application/json"), r#"{"home":"localhost","namespaces":[]}"#);
        assert!(matches!(read_index(&odd_home, RouteForm::Pretty), Err(WooError::BadResponse(_))));
    }

    #[test]
    fn signing_names_the_home_url_and_the_path_inside_the_site() {
        let site = SiteUrl::from_home("http://example.com/shop").unwrap();
        assert_eq!(signing_url(&site, "/"), "http://example.com/shop");
        assert_eq!(signing_url(&site, "/wp-json/wc/v3/orders"), "http://example.com/shop/wp-json/wc/v3/orders");
        assert_eq!(AuthMode::from_key(AuthMode::QueryString.key()), Some(AuthMode::QueryString));
        assert_eq!(RouteForm::from_key("plain"), Some(RouteForm::Plain));
    }
}
