//! storelink's own WooCommerce: WordPress sites with WooCommerce's REST API (`wc/v3`) and,
//! when configured, the Shipment Tracking extension's (`wc-shipment-tracking/v3`), answering as
//! real sites do, including what their hosts put in front of them (429s, 5xx, captcha pages).
//!
//! A request reaches a site by its `Host` (port stripped, case-insensitive; `www.` too when the
//! home URL has it). It passes, in order: the configured latency, the host's faults, WordPress's
//! routing of `/wp-json/…` and `/?rest_route=/…`, WooCommerce's authentication and its key
//! permission gate, the route's parameter checks, the route's capability check, and the route.

mod api;
mod auth;
pub mod control;
pub mod data;
mod listing;
mod php_json;
mod render;
mod tracking;
pub mod webhooks;

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, RwLock,
    },
    time::Duration,
};

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::Response,
};
use serde_json::{json, Value};
use time::{macros::format_description, OffsetDateTime, UtcOffset};

use self::{
    data::SiteData,
    webhooks::{Delivery, Webhooks},
};
use crate::{
    config::{WooFaults, WooScheme, WooSiteConfig},
    EmulatorState, LoggedRequest,
};

/// The versions a site reports (system status, webhook user agents).
pub const WC_VERSION: &str = "9.8.5";
pub const WP_VERSION: &str = "6.8.2";

const MAX_BODY: usize = 1 << 20;

/// One emulated WordPress site.
pub struct Site {
    pub config: WooSiteConfig,
    pub offset: UtcOffset,
    pub data: RwLock<SiteData>,
    pub faults: Mutex<WooFaults>,
    pub latency_ms: AtomicU64,
    /// Requests seen while `host_429_every` is on, to pick every Nth.
    host_requests: AtomicU64,
    /// 429s and 5xx answered, to alternate their kinds.
    host_429s: AtomicU64,
    host_5xx: AtomicU64,
    /// The key's used OAuth nonces by timestamp, as WooCommerce stores them with the key.
    nonces: Mutex<BTreeMap<i64, String>>,
    pub webhooks: Mutex<Webhooks>,
    pub deliveries: Mutex<Vec<Delivery>>,
}

impl Site {
    fn new(config: &WooSiteConfig, now: i64) -> Site {
        Site {
            offset: UtcOffset::from_whole_seconds(config.utc_offset_minutes * 60).unwrap_or(UtcOffset::UTC),
            data: RwLock::new(SiteData::generate(config, now)),
            faults: Mutex::new(config.faults.clone()),
            latency_ms: AtomicU64::new(config.latency_ms),
            host_requests: AtomicU64::new(0),
            host_429s: AtomicU64::new(0),
            host_5xx: AtomicU64::new(0),
            nonces: Mutex::new(BTreeMap::new()),
            webhooks: Mutex::new(Webhooks::default()),
            deliveries: Mutex::new(Vec::new()),
            config: config.clone(),
        }
    }

    pub fn is_https(&self) -> bool {
        self.config.scheme == WooScheme::Https
    }

    /// The home URL: scheme, `www.` and host as the site has them, no trailing slash.
    pub fn home(&self) -> String {
        let scheme = if self.is_https() { "https" } else { "http" };
        format!("{scheme}://{}", self.config.hosts()[0])
    }

    /// `rest_url()`: where a route lives, in the form the site's permalinks give it.
    pub fn rest_url(&self, route: &str) -> String {
        if self.config.pretty_permalinks {
            format!("{}/wp-json{route}", self.home())
        } else {
            format!("{}/?rest_route={route}", self.home())
        }
    }

    pub fn name(&self) -> String {
        self.config.name.clone().unwrap_or_else(|| {
            let first = self.config.site.split('.').next().unwrap_or_default();
            let mut name: Vec<char> = first.chars().collect();
            if let Some(c) = name.first_mut() {
                *c = c.to_ascii_uppercase();
            }
            format!("{} Store", name.into_iter().collect::<String>())
        })
    }

    /// A date in the site's timezone, as WooCommerce writes `date_*`: no offset.
    pub fn local(&self, unix: i64) -> String {
        format_wall(unix, self.offset)
    }

    /// A date in UTC, as WooCommerce writes `date_*_gmt`.
    pub fn gmt(&self, unix: i64) -> String {
        format_wall(unix, UtcOffset::UTC)
    }
}

fn format_wall(unix: i64, offset: UtcOffset) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(offset))
        .ok()
        .and_then(|t| t.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]")).ok())
        .unwrap_or_default()
}

/// Every configured site, by each host that reaches it, and the client webhooks go out with.
pub struct Sites {
    by_host: HashMap<String, Arc<Site>>,
    http: reqwest::Client,
}

impl Sites {
    pub fn new(configs: &[WooSiteConfig], now: i64, timeout: Duration) -> anyhow::Result<Sites> {
        let mut by_host = HashMap::new();
        for config in configs {
            let site = Arc::new(Site::new(config, now));
            for host in config.hosts() {
                by_host.insert(host, site.clone());
            }
        }
        // WooCommerce sends with `redirection => 0`: a 301 or 302 is an answer, not a detour.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Sites { by_host, http })
    }

    /// The site a `Host` header names (port stripped, case-insensitive).
    pub fn site(&self, host: &str) -> Option<Arc<Site>> {
        let host = host.split(':').next().unwrap_or_default().to_ascii_lowercase();
        self.by_host.get(&host).cloned()
    }
}

/// A finished answer.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: StatusCode, value: &Value) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
        Reply { status, headers, body: php_json::encode(value) }
    }

    pub fn html(status: StatusCode, text: String) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=UTF-8"));
        Reply { status, headers, body: text.into_bytes() }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Reply {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    fn into_response(self, head_only: bool) -> Response {
        let body = if head_only { Body::empty() } else { Body::from(self.body) };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// A WordPress error: `{"code", "message", "data": {"status", …}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct WpError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// More keys for `data` beside `status` (`params`, `details`).
    pub data: serde_json::Map<String, Value>,
}

impl WpError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> WpError {
        WpError { status, code, message: message.into(), data: serde_json::Map::new() }
    }

    pub fn no_route() -> WpError {
        WpError::new(404, "rest_no_route", "No route was found matching the URL and request method")
    }

    pub fn reply(&self) -> Reply {
        let mut data = self.data.clone();
        data.insert("status".into(), json!(self.status));
        let body = json!({ "code": self.code, "message": self.message, "data": data });
        Reply::json(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &body)
    }
}

/// Entry point for every request whose `Host` is a WooCommerce site.
pub async fn handle(emu: Arc<EmulatorState>, site: Arc<Site>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();

    let latency = site.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let (reply, endpoint) = match host_fault(&site) {
        Some(reply) => (reply, "(host)".to_owned()),
        None => {
            let request = Incoming { method: &parts.method, path: &path, query: &query, headers: &parts.headers };
            wordpress(&emu, &site, request, &body).await
        }
    };
    if reply.headers.contains_key("x-wp-total") {
        let slow = site.faults.lock().expect("faults lock").slow_pages_ms;
        if slow > 0 {
            tokio::time::sleep(Duration::from_millis(slow)).await;
        }
    }
    let late = {
        let faults = &mut *site.faults.lock().expect("faults lock");
        crate::faults::slow_write(&parts.method, &mut faults.slow_writes, faults.slow_writes_ms)
    };
    if !late.is_zero() {
        tokio::time::sleep(late).await;
    }
    let logged_path = if query.is_empty() { path } else { format!("{path}?{query}") };
    let entry = LoggedRequest {
        shop: site.config.hosts()[0].clone(),
        method: parts.method.to_string(),
        path: logged_path,
        status: reply.status.as_u16(),
    };
    emu.record(entry, format!("{} {endpoint}", parts.method));
    reply.into_response(parts.method == Method::HEAD)
}

/// The request as WordPress sees it.
#[derive(Clone, Copy)]
pub struct Incoming<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
}

/// What the host answers before WordPress runs: its bot protection's captcha, its rate limit,
/// or a server error.
fn host_fault(site: &Site) -> Option<Reply> {
    let mut faults = site.faults.lock().expect("faults lock");
    if faults.captcha {
        return Some(captcha_page());
    }
    if faults.host_429_every > 0 {
        let seen = site.host_requests.fetch_add(1, Ordering::Relaxed) + 1;
        if seen.is_multiple_of(u64::from(faults.host_429_every)) {
            let nth = site.host_429s.fetch_add(1, Ordering::Relaxed);
            return Some(too_many_requests(nth, faults.host_429_retry_after_secs));
        }
    }
    if faults.status_5xx > 0 {
        faults.status_5xx -= 1;
        let nth = site.host_5xx.fetch_add(1, Ordering::Relaxed);
        return Some(if nth.is_multiple_of(2) { service_unavailable() } else { critical_error() });
    }
    None
}

/// SiteGround's bot check: a 202 with a page that runs a challenge, instead of JSON.
fn captcha_page() -> Reply {
    Reply::html(
        StatusCode::ACCEPTED,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Robot Challenge Screen</title>\
         <meta name=\"robots\" content=\"noindex, nofollow\"></head><body><noscript>Please enable JavaScript \
         and cookies to continue.</noscript><script src=\"/.well-known/sgcaptcha/?r=%2Fwp-json%2F\"></script>\
         </body></html>"
            .to_owned(),
    )
    .header("sg-captcha", "challenge")
    .header("cache-control", "no-store")
}

/// The host's rate limit: an HTML page from the web server, or (every other time) a JSON body
/// from a firewall in front of it.
fn too_many_requests(nth: u64, retry_after_secs: u64) -> Reply {
    let reply = if nth.is_multiple_of(2) {
        Reply::html(
            StatusCode::TOO_MANY_REQUESTS,
            "<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1>\
             </center><hr><center>nginx</center></body></html>"
                .to_owned(),
        )
    } else {
        Reply::json(
            StatusCode::TOO_MANY_REQUESTS,
            &json!({"code": "too_many_requests", "message": "Too many requests. Please slow down.", "data": {"status": 429}}),
        )
    };
    if retry_after_secs > 0 {
        reply.header("retry-after", &retry_after_secs.to_string())
    } else {
        reply
    }
}

fn service_unavailable() -> Reply {
    Reply::html(
        StatusCode::SERVICE_UNAVAILABLE,
        "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>\
         <h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>"
            .to_owned(),
    )
}

/// What WordPress shows when PHP dies.
fn critical_error() -> Reply {
    Reply::html(
        StatusCode::INTERNAL_SERVER_ERROR,
        "<!DOCTYPE html><html lang=\"en-US\"><head><meta charset=\"UTF-8\"><title>WordPress &rsaquo; Error</title>\
         </head><body id=\"error-page\"><div class=\"wp-die-message\"><p>There has been a critical error on this \
         website.</p><p><a href=\"https://wordpress.org/documentation/article/faq-troubleshooting/\">Learn more \
         about troubleshooting WordPress.</a></p></div></body></html>"
            .to_owned(),
    )
}

/// WordPress: the REST API when the request names a route, a front-end page otherwise.
async fn wordpress(emu: &Arc<EmulatorState>, site: &Arc<Site>, request: Incoming<'_>, body: &[u8]) -> (Reply, String) {
    if !site.config.wordpress {
        return (not_wordpress(request.path), "(not wordpress)".into());
    }
    let Some(route) = rest_route(site, request.path, request.query) else {
        return (page(site, request.path), "(page)".into());
    };
    if !site.config.rest_api {
        let error = WpError::new(404, "rest_disabled", "The REST API is disabled on this site.");
        return (error.reply(), "(rest disabled)".into());
    }
    let endpoint = endpoint_of(&route);
    let reply = api::serve(emu, site, request, &route, body).await;
    (finish_rest(site, reply), endpoint)
}

/// The REST route a request names: `/wp-json/{route}` with pretty permalinks, or the
/// `rest_route` query parameter on any path.
fn rest_route(site: &Site, path: &str, query: &str) -> Option<String> {
    let pretty = match path.strip_prefix("/wp-json") {
        Some(rest) if site.config.pretty_permalinks && (rest.is_empty() || rest.starts_with('/')) => {
            Some(rest.to_owned())
        }
        _ => None,
    };
    let route = pretty.or_else(|| {
        form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "rest_route").map(|(_, v)| v.into_owned())
    })?;
    let trimmed = route.trim_end_matches('/');
    Some(if trimmed.starts_with('/') { trimmed.to_owned() } else { format!("/{trimmed}") })
}

/// The route with ids replaced, for the per-endpoint counters: `wc/v3/orders/{id}/notes`.
fn endpoint_of(route: &str) -> String {
    let parts: Vec<&str> = route
        .trim_start_matches('/')
        .split('/')
        .map(|p| {
            if p.parse::<u64>().is_ok() || (p.len() == 32 && p.chars().all(|c| c.is_ascii_hexdigit())) {
                "{id}"
            } else {
                p
            }
        })
        .collect();
    let joined = parts.join("/");
    if joined.is_empty() {
        "wp-json".into()
    } else {
        joined
    }
}

/// The headers WordPress puts on every REST answer. The API root's discovery link is replaced by
/// a collection's pagination links when there are any, as PHP's `header()` replaces it.
fn finish_rest(site: &Site, reply: Reply) -> Reply {
    let discovery = format!("<{}>; rel=\"https://api.w.org/\"", site.rest_url("/"));
    let reply = if reply.headers.contains_key(header::LINK) { reply } else { reply.header("link", &discovery) };
    reply
        .header("x-robots-tag", "noindex")
        .header("x-content-type-options", "nosniff")
        .header("access-control-expose-headers", "X-WP-Total, X-WP-TotalPages, Link")
        .header(
            "access-control-allow-headers",
            "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
        )
}

/// A WordPress front-end page: the home page (which announces the API) or the theme's 404.
fn page(site: &Site, path: &str) -> Reply {
    let name = html_escape(&site.name());
    let discovery = site.config.rest_api.then(|| site.rest_url("/"));
    let head_link =
        discovery.as_ref().map(|url| format!("<link rel=\"https://api.w.org/\" href=\"{url}\" />")).unwrap_or_default();
    let reply = if path == "/" || path == "/index.php" {
        Reply::html(
            StatusCode::OK,
            format!(
                "<!DOCTYPE html><html lang=\"en-US\"><head><meta charset=\"UTF-8\"><title>{name}</title>{head_link}\
                 </head><body class=\"home\"><h1>{name}</h1></body></html>"
            ),
        )
    } else {
        Reply::html(
            StatusCode::NOT_FOUND,
            format!(
                "<!DOCTYPE html><html lang=\"en-US\"><head><meta charset=\"UTF-8\"><title>Page not found &#8211; \
                 {name}</title>{head_link}</head><body class=\"error404\"><h1>Oops! That page can&rsquo;t be \
                 found.</h1></body></html>"
            ),
        )
    };
    match discovery {
        Some(url) => reply.header("link", &format!("<{url}>; rel=\"https://api.w.org/\"")),
        None => reply,
    }
}

/// An address that is not WordPress: a plain home page, and the server's 404 elsewhere.
fn not_wordpress(path: &str) -> Reply {
    if path == "/" {
        Reply::html(
            StatusCode::OK,
            "<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>Welcome</h1></body></html>".into(),
        )
    } else {
        Reply::html(
            StatusCode::NOT_FOUND,
            "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr>\
             <center>nginx</center></body></html>"
                .into(),
        )
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(json: Value) -> Site {
        let mut config = json!({"site": "Shop.Example.com", "consumer_key": "ck_1", "consumer_secret": "cs_1"});
        config.as_object_mut().unwrap().extend(json.as_object().unwrap().clone());
        Site::new(&serde_json::from_value(config).unwrap(), 1_780_000_000)
    }

    #[test]
    fn home_and_rest_urls_follow_scheme_www_and_permalinks() {
        let plain = site(json!({"scheme": "http", "www": true, "pretty_permalinks": false}));
        assert_eq!(plain.home(), "http://www.shop.example.com");
        assert_eq!(plain.rest_url("/wc/v3/orders"), "http://www.shop.example.com/?rest_route=/wc/v3/orders");
        let pretty = site(json!({}));
        assert_eq!(pretty.rest_url("/wc/v3/orders/5"), "https://shop.example.com/wp-json/wc/v3/orders/5");
        assert_eq!(pretty.name(), "Shop Store");
    }

    #[test]
    fn routes_come_from_the_path_or_the_query() {
        let pretty = site(json!({}));
        assert_eq!(rest_route(&pretty, "/wp-json/wc/v3/orders/", ""), Some("/wc/v3/orders".into()));
        assert_eq!(rest_route(&pretty, "/wp-json", ""), Some("/".into()));
        assert_eq!(rest_route(&pretty, "/", "rest_route=%2Fwc%2Fv3%2Forders&page=2"), Some("/wc/v3/orders".into()));
        assert_eq!(rest_route(&pretty, "/wp-jsonx", ""), None);
        let plain = site(json!({"pretty_permalinks": false}));
        assert_eq!(rest_route(&plain, "/wp-json/wc/v3/orders", ""), None);
        assert_eq!(endpoint_of("/wc/v3/orders/727/notes"), "wc/v3/orders/{id}/notes");
        assert_eq!(endpoint_of("/"), "wp-json");
    }

    #[test]
    fn dates_are_local_and_gmt_without_offsets() {
        let india = site(json!({"utc_offset_minutes": 330}));
        assert_eq!(india.gmt(1_700_000_000), "2023-11-14T22:13:20");
        assert_eq!(india.local(1_700_000_000), "2023-11-15T03:43:20");
    }
}
