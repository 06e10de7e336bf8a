//! The emulator's configuration file: a stable interface the demo, the tests and outside tools
//! rely on. Unknown keys are ignored so the format can grow.

use std::collections::BTreeSet;

use axum::http::HeaderValue;
use serde::{Deserialize, Serialize};

pub use crate::{bigcommerce::config::StoreConfig as BigCommerceStore, clock::ClockMode};

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub shops: Vec<ShopConfig>,
    /// WooCommerce sites, chosen by `Host` like the shops; a config may have only these.
    #[serde(default)]
    pub woocommerce: Vec<WooSiteConfig>,
    /// BigCommerce stores, chosen by the store hash in the API path; a config may have only these.
    #[serde(default)]
    pub bigcommerce: Vec<BigCommerceStore>,
    #[serde(default)]
    pub webhooks: WebhookTiming,
    /// `"real"` (the default) or `"manual"`: a clock that moves only through
    /// `POST /_emulator/clock/advance`.
    #[serde(default)]
    pub clock: ClockMode,
    /// Where bulk operation result URLs point (`http://host:port`, no path); by default the
    /// emulator's own address. The files are served under `/_storage/bulk/` whatever the host.
    #[serde(default)]
    pub storage_url: Option<String>,
}

impl Config {
    pub fn from_json(text: &str) -> anyhow::Result<Config> {
        let config: Config = serde_json::from_str(text)?;
        let mut handles = BTreeSet::new();
        for shop in &config.shops {
            anyhow::ensure!(
                !shop.handle.is_empty()
                    && shop.handle.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "shop handle {:?} must be lower-case letters, digits and dashes",
                shop.handle
            );
            anyhow::ensure!(handles.insert(&shop.handle), "shop handle {:?} appears twice", shop.handle);
            shop.faults.check().map_err(|err| anyhow::anyhow!("shop {:?}: {err}", shop.handle))?;
            shop.check_apps().map_err(|err| anyhow::anyhow!("shop {:?}: {err}", shop.handle))?;
            shop.graphql_limits().map_err(|err| anyhow::anyhow!("shop {:?}: {err}", shop.handle))?;
            shop.bulk.check().map_err(|err| anyhow::anyhow!("shop {:?}: {err}", shop.handle))?;
        }
        let mut hosts: BTreeSet<String> =
            config.shops.iter().map(|shop| format!("{}.myshopify.com", shop.handle)).collect();
        for site in &config.woocommerce {
            site.check().map_err(|err| anyhow::anyhow!("woocommerce site {:?}: {err}", site.site))?;
            for host in site.hosts() {
                anyhow::ensure!(hosts.insert(host.clone()), "the host {host:?} belongs to two sites or shops");
            }
        }
        let mut hashes = BTreeSet::new();
        for store in &config.bigcommerce {
            store.check().map_err(|err| anyhow::anyhow!("bigcommerce store {:?}: {err}", store.store_hash))?;
            anyhow::ensure!(hashes.insert(&store.store_hash), "store hash {:?} appears twice", store.store_hash);
        }
        Ok(config)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShopConfig {
    pub handle: String,
    /// The legacy custom app's Admin API access token (its password, for HTTP Basic). Required
    /// unless the shop has a `dev_app`.
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub api_key: String,
    /// The legacy app's webhook signing key; empty when the shop has only a Dev Dashboard app.
    #[serde(default)]
    pub shared_secret: String,
    /// A Dev Dashboard app installed on the shop, which gets its tokens through the client
    /// credentials grant.
    #[serde(default)]
    pub dev_app: Option<DevApp>,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub plan: Plan,
    #[serde(default = "one")]
    pub locations: usize,
    #[serde(default)]
    pub products: usize,
    /// Variants of every generated product; left out, each has one to four.
    #[serde(default)]
    pub variants: Option<usize>,
    #[serde(default)]
    pub customers: usize,
    #[serde(default)]
    pub orders: usize,
    /// Every order created within this many days (most of them still to ship, as a busy desk's
    /// queue); left out, a third within 60 days and the rest up to two years old.
    #[serde(default)]
    pub order_days: Option<i64>,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub latency_ms: u64,
    /// The shop's UTC offset in minutes; timestamps carry it, as real shops' do.
    #[serde(default = "eastern")]
    pub utc_offset_minutes: i32,
    #[serde(default)]
    pub name: Option<String>,
    /// Faults switched on from the start; the control endpoint changes them at run time.
    #[serde(default)]
    pub faults: Faults,
    /// The GraphQL cost bucket, if not the plan's.
    #[serde(default)]
    pub graphql: GraphqlLimits,
    /// How bulk operations run; the control endpoint changes it at run time.
    #[serde(default)]
    pub bulk: BulkConfig,
}

/// `"graphql": {"restore_rate": R, "bucket": B}`: points restored a second and the bucket's size.
/// Either may be left out: the restore rate is the plan's, the bucket 20 seconds of it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GraphqlLimits {
    pub restore_rate: Option<f64>,
    pub bucket: Option<f64>,
}

/// How a bulk operation's result file is laid out when `groupObjects` is false (with
/// `groupObjects: true` children always follow their parent directly).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BulkShuffle {
    /// Each child directly after its parent, as if grouped.
    None,
    /// Children after their parents, but a few objects further on.
    #[default]
    Near,
    /// Every parent first, then all their children, then the grandchildren.
    Far,
    /// Children first, parents last: for clients that must not rely on the order at all.
    Before,
}

/// `"bulk": {…}`: how bulk operations run on this shop.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BulkConfig {
    /// Objects exported a second on the emulator's clock; 0 finishes an operation at once.
    pub objects_per_second: f64,
    /// Bulk query operations one app may run at once on API 2026-01 and later (earlier: one).
    pub concurrency: usize,
    /// How long a result URL works after the operation finishes (Shopify: seven days).
    pub url_ttl_secs: u64,
    /// How long an operation stays CREATED before it runs.
    pub start_delay_ms: u64,
    pub shuffle: BulkShuffle,
    /// How fast result files are served (real time); 0 is as fast as the connection goes.
    pub download_bytes_per_second: u64,
}

impl Default for BulkConfig {
    fn default() -> Self {
        BulkConfig {
            objects_per_second: 0.0,
            concurrency: 5,
            url_ttl_secs: 7 * 86_400,
            start_delay_ms: 0,
            shuffle: BulkShuffle::Near,
            download_bytes_per_second: 0,
        }
    }
}

impl BulkConfig {
    pub fn check(&self) -> Result<(), String> {
        if !(self.objects_per_second.is_finite() && self.objects_per_second >= 0.0) {
            return Err(format!("bulk objects_per_second must be 0 or more, not {}", self.objects_per_second));
        }
        if self.concurrency == 0 {
            return Err("bulk concurrency must be at least 1".into());
        }
        Ok(())
    }
}

impl ShopConfig {
    /// A shop needs an app to be reached through: a legacy token, a Dev Dashboard app, or both.
    fn check_apps(&self) -> Result<(), String> {
        match (&self.access_token, &self.dev_app) {
            (None, None) => Err("needs an \"access_token\" (a legacy custom app) or a \"dev_app\" \
                 ({\"client_id\", \"client_secret\"}: a Dev Dashboard app)"
                .into()),
            (_, Some(app)) if app.client_id.is_empty() || app.client_secret.is_empty() => {
                Err("dev_app needs a non-empty \"client_id\" and \"client_secret\"".into())
            }
            _ => Ok(()),
        }
    }
}

impl ShopConfig {
    /// The GraphQL bucket's size and restore rate (points a second).
    pub fn graphql_limits(&self) -> Result<(f64, f64), String> {
        let rate = self.graphql.restore_rate.unwrap_or_else(|| self.plan.graphql_restore_rate());
        if !(rate.is_finite() && rate > 0.0) {
            return Err(format!("graphql restore_rate must be a positive number, not {rate}"));
        }
        let bucket = self.graphql.bucket.unwrap_or(20.0 * rate);
        if !(bucket.is_finite() && bucket > 0.0) {
            return Err(format!("graphql bucket must be a positive number, not {bucket}"));
        }
        Ok((bucket, rate))
    }
}

/// A Dev Dashboard app: its credentials and the answers the client credentials grant gives. The
/// control endpoint changes `installed`, `same_organization`, `client_secret` and
/// `token_lifetime_secs` at run time.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct DevApp {
    pub client_id: String,
    pub client_secret: String,
    /// `expires_in` of every token granted; Shopify's is a day less a second.
    #[serde(default = "a_day")]
    pub token_lifetime_secs: u64,
    /// False: the grant answers `app_not_installed`.
    #[serde(default = "yes")]
    pub installed: bool,
    /// False: the app belongs to another organization and the grant answers `shop_not_permitted`.
    #[serde(default = "yes")]
    pub same_organization: bool,
    /// The scopes its tokens carry; `None` means the shop's `scopes`.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

fn a_day() -> u64 {
    86_399
}

fn yes() -> bool {
    true
}

fn one() -> usize {
    1
}

fn eastern() -> i32 {
    -300
}

/// `"standard"`, `"advanced"`, `"plus"`, or `{"bucket": N, "leak_per_second": R}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Plan {
    Named(String),
    Custom { bucket: u32, leak_per_second: f64 },
}

impl Default for Plan {
    fn default() -> Self {
        Plan::Named("standard".into())
    }
}

impl Plan {
    /// Bucket size and leak rate per second.
    pub fn limits(&self) -> anyhow::Result<(u32, f64)> {
        Ok(match self {
            Plan::Named(name) => match name.as_str() {
                "standard" => (40, 2.0),
                "advanced" => (80, 4.0),
                "plus" => (400, 20.0),
                other => anyhow::bail!(
                    "unknown plan {other:?}: use standard, advanced, plus or {{\"bucket\", \"leak_per_second\"}}"
                ),
            },
            Plan::Custom { bucket, leak_per_second } => {
                anyhow::ensure!(
                    leak_per_second.is_finite() && *leak_per_second > 0.0,
                    "leak_per_second must be a positive number, not {leak_per_second}"
                );
                (*bucket, *leak_per_second)
            }
        })
    }

    /// GraphQL points restored a second: Standard 100, Advanced 200, Plus 1000; a custom REST
    /// plan gets Standard's.
    pub fn graphql_restore_rate(&self) -> f64 {
        match self {
            Plan::Named(name) if name == "advanced" => 200.0,
            Plan::Named(name) if name == "plus" => 1000.0,
            _ => 100.0,
        }
    }

    /// The plan name `shop.json` reports.
    pub fn plan_name(&self) -> &str {
        match self {
            Plan::Named(name) if name == "plus" => "enterprise",
            Plan::Named(name) if name == "advanced" => "professional",
            _ => "basic",
        }
    }
}

/// Switches that make the shop misbehave, for tests that prove storelink survives it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Faults {
    /// Extra random delay of up to this many milliseconds, on top of `latency_ms`.
    pub jitter_ms: u64,
    /// Fraction (0..1) of API requests answered with 500, 502 or 503.
    pub error_rate: f64,
    /// Fraction (0..1) of API requests whose connection is dropped mid-response.
    pub drop_rate: f64,
    /// While true, every API request gets 429.
    pub throttle_storm: bool,
    /// The access token no longer works: 401.
    pub token_revoked: bool,
    /// Scopes taken away from the token since it was granted.
    pub removed_scopes: Vec<String>,
    /// 402 Unavailable Shop (unpaid bill).
    pub frozen: bool,
    /// 423 shop locked.
    pub locked: bool,
    /// The next this many responses that would carry a `Link` header carry a malformed one
    /// instead (`>` before `<`); each counts the fault down until it is off.
    pub malformed_link: u32,
    /// `Retry-After` on 429 answers (the bucket's and `throttle_storm`'s), sent verbatim;
    /// `None` sends Shopify's `2.0`.
    pub retry_after: Option<String>,
    /// Bulk operations started while this is set fail with `INTERNAL_SERVER_ERROR` after this
    /// many objects, their `partialDataUrl` holding those.
    pub bulk_fail_after: Option<u64>,
    /// The next result-file download longer than this many bytes breaks off after them, as a
    /// dropped connection leaves it (mid-line); then the fault is off.
    pub cut_download_after: Option<u64>,
    /// The next this many GraphQL requests with `fulfillmentCreate` or
    /// `fulfillmentTrackingInfoUpdate` are applied (webhooks included) and then answered only
    /// after `hang_ms`; each counts the fault down until it is off.
    pub apply_then_time_out: u32,
    /// How long `apply_then_time_out` holds an answer, in real milliseconds.
    pub hang_ms: u64,
    /// While true, webhooks wait to be sent (Shopify's deliveries can lag behind the change they
    /// tell of); switched off, the held ones go out.
    pub webhooks_held: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            jitter_ms: 0,
            error_rate: 0.0,
            drop_rate: 0.0,
            throttle_storm: false,
            token_revoked: false,
            removed_scopes: Vec::new(),
            frozen: false,
            locked: false,
            malformed_link: 0,
            retry_after: None,
            bulk_fail_after: None,
            cut_download_after: None,
            apply_then_time_out: 0,
            hang_ms: 30_000,
            webhooks_held: false,
        }
    }
}

impl Faults {
    /// Refuses what cannot be sent: a `retry_after` that is not a valid header value.
    pub fn check(&self) -> Result<(), String> {
        match &self.retry_after {
            Some(value) if HeaderValue::from_str(value).is_err() => {
                Err(format!("retry_after {value:?} is not a valid header value"))
            }
            _ => Ok(()),
        }
    }
}

/// One WooCommerce site: a WordPress install at `site` whose WooCommerce the emulator plays.
#[derive(Debug, Clone, Deserialize)]
pub struct WooSiteConfig {
    /// The host, without scheme, port or `www.` (`shop.example.com`).
    pub site: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The home URL's scheme. The emulator speaks plain HTTP but answers as a site of this
    /// scheme would: Basic auth only on https, OAuth 1.0a signed for this scheme.
    #[serde(default)]
    pub scheme: WooScheme,
    /// The home URL is `www.{site}`; both hosts reach the site, but OAuth signs the home URL.
    #[serde(default)]
    pub www: bool,
    pub consumer_key: String,
    pub consumer_secret: String,
    #[serde(default)]
    pub permissions: KeyPermissions,
    /// The role of the key's WordPress user: `administrator` and `shop_manager` manage the shop;
    /// any other role (`customer`, …) is refused by every route but the public ones.
    #[serde(default = "administrator")]
    pub user_role: String,
    /// The site's timezone; local dates (`date_created`, filters without `dates_are_gmt`) are in it.
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// The Shipment Tracking extension is active: its namespace and routes exist.
    #[serde(default)]
    pub shipment_tracking: bool,
    /// False: the address is not WordPress at all.
    #[serde(default = "yes")]
    pub wordpress: bool,
    /// False: the REST API is switched off (as by a security plugin).
    #[serde(default = "yes")]
    pub rest_api: bool,
    /// False: plain permalinks, so only `/?rest_route=/…` reaches the API.
    #[serde(default = "yes")]
    pub pretty_permalinks: bool,
    /// False: WordPress without WooCommerce active.
    #[serde(default = "yes")]
    pub woocommerce: bool,
    /// The unit of product weights (WooCommerce's `woocommerce_weight_unit`): kg, g, lbs or oz.
    #[serde(default = "kilograms")]
    pub weight_unit: String,
    #[serde(default)]
    pub orders: usize,
    #[serde(default)]
    pub products: usize,
    #[serde(default)]
    pub customers: usize,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub faults: WooFaults,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WooScheme {
    #[default]
    Https,
    Http,
}

/// What an API key may do, by HTTP method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPermissions {
    Read,
    Write,
    #[default]
    ReadWrite,
}

impl KeyPermissions {
    pub fn can_read(self) -> bool {
        self != KeyPermissions::Write
    }

    pub fn can_write(self) -> bool {
        self != KeyPermissions::Read
    }
}

fn administrator() -> String {
    "administrator".into()
}

fn kilograms() -> String {
    "kg".into()
}

impl WooSiteConfig {
    /// The hosts that reach the site: the bare one and, when the home URL has it, `www.`.
    pub fn hosts(&self) -> Vec<String> {
        let bare = self.site.to_ascii_lowercase();
        if self.www {
            vec![format!("www.{bare}"), bare]
        } else {
            vec![bare]
        }
    }

    /// Whether the key's user may manage the shop (WooCommerce's manager capabilities).
    pub fn is_manager(&self) -> bool {
        matches!(self.user_role.as_str(), "administrator" | "shop_manager")
    }

    fn check(&self) -> Result<(), String> {
        let host_like = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        if self.site.is_empty() || !self.site.chars().all(host_like) || self.site.starts_with('.') {
            return Err("site must be a host name such as \"shop.example.com\" (no scheme, port or path)".into());
        }
        if self.www && self.site.to_ascii_lowercase().starts_with("www.") {
            return Err("with \"www\": true the site is given without \"www.\"".into());
        }
        if !self.consumer_key.starts_with("ck_") || self.consumer_key.len() < 4 {
            return Err("consumer_key must start with \"ck_\"".into());
        }
        if !self.consumer_secret.starts_with("cs_") || self.consumer_secret.len() < 4 {
            return Err("consumer_secret must start with \"cs_\"".into());
        }
        if self.user_role.is_empty() || !self.user_role.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(format!("user_role {:?} must be a WordPress role such as \"shop_manager\"", self.user_role));
        }
        if !(-720..=840).contains(&self.utc_offset_minutes) {
            return Err(format!("utc_offset_minutes {} is not a timezone's offset", self.utc_offset_minutes));
        }
        if !["kg", "g", "lbs", "oz"].contains(&self.weight_unit.as_str()) {
            return Err(format!("weight_unit {:?} must be kg, g, lbs or oz", self.weight_unit));
        }
        Ok(())
    }
}

/// Switches that make a WooCommerce site (or its host) misbehave.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WooFaults {
    /// The next this many answers are server errors, alternately the host's 503 and WordPress's
    /// 500; each counts the fault down until it is off.
    pub status_5xx: u32,
    /// Every this many requests the host answers 429 (0: never).
    pub host_429_every: u32,
    /// `Retry-After` on the host's 429s, in seconds (0: none, as some hosts send).
    pub host_429_retry_after_secs: u64,
    /// The host's bot protection answers every request with a 202 HTML captcha page.
    pub captcha: bool,
    /// Extra delay on every collection page, on top of the latency.
    pub slow_pages_ms: u64,
    /// The web server drops the `Authorization` header before WordPress sees it.
    pub strip_authorization: bool,
    /// The next this many writes (POST, PUT, DELETE) are applied, then answered
    /// `slow_writes_ms` late: a client that gives up first has written anyway.
    pub slow_writes: u32,
    pub slow_writes_ms: u64,
    /// The next this many webhook deliveries are lost: never sent, as when the site's cron or
    /// the network drops them.
    pub drop_deliveries: u32,
    /// The next this many pages of more than one order come back empty (their totals still
    /// right), as a page lost between a cache and the client.
    pub drop_order_pages: u32,
    /// Orders that cannot be read: alone they answer 500, and listings of named orders
    /// (`include`) leave them out; other listings and the totals still have them.
    pub unreadable_orders: Vec<u64>,
}

impl Default for WooFaults {
    fn default() -> Self {
        WooFaults {
            status_5xx: 0,
            host_429_every: 0,
            host_429_retry_after_secs: 30,
            captcha: false,
            slow_pages_ms: 0,
            strip_authorization: false,
            slow_writes: 0,
            slow_writes_ms: 10_000,
            drop_deliveries: 0,
            drop_order_pages: 0,
            unreadable_orders: Vec::new(),
        }
    }
}

/// Webhook retry timing. Shopify retries 8 times over 4 hours; tests shorten the wait.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct WebhookTiming {
    pub retries: u32,
    pub first_retry_ms: u64,
    pub timeout_ms: u64,
}

impl Default for WebhookTiming {
    fn default() -> Self {
        WebhookTiming { retries: 8, first_retry_ms: 60_000, timeout_ms: 5_000 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_config_parses() {
        let config = Config::from_json(
            r#"{"shops": [{"handle": "acme", "access_token": "shpat_x", "api_key": "k", "shared_secret": "shpss_y",
                "scopes": ["read_orders", "read_products"], "plan": "standard", "locations": 2, "products": 100,
                "customers": 300, "orders": 1000, "seed": 7, "latency_ms": 0}]}"#,
        )
        .unwrap();
        assert_eq!(config.shops[0].plan.limits().unwrap(), (40, 2.0));
        let custom: Plan = serde_json::from_str(r#"{"bucket": 10, "leak_per_second": 0.5}"#).unwrap();
        assert_eq!(custom.limits().unwrap(), (10, 0.5));
        assert!(Plan::Named("gold".into()).limits().is_err());
        assert!(Plan::Custom { bucket: 10, leak_per_second: 0.0 }.limits().is_err());
        assert_eq!(config.clock, ClockMode::Real);
        let manual = Config::from_json(r#"{"clock": "manual", "shops": []}"#).unwrap();
        assert_eq!(manual.clock, ClockMode::Manual);
        assert!(Config::from_json(r#"{"clock": "sundial", "shops": []}"#).is_err());
        assert!(Config::from_json(r#"{"shops": [{"handle": "Bad Shop", "access_token": "t", "scopes": []}]}"#).is_err());
        assert_eq!(config.shops[0].graphql_limits(), Ok((2000.0, 100.0)));
        assert_eq!(config.shops[0].bulk, BulkConfig::default());
        let tuned = Config::from_json(
            r#"{"shops": [{"handle": "p", "access_token": "t", "scopes": [], "plan": "plus",
                "bulk": {"objects_per_second": 50, "shuffle": "before"}}]}"#,
        )
        .unwrap();
        assert_eq!(tuned.shops[0].graphql_limits(), Ok((20000.0, 1000.0)));
        assert_eq!((tuned.shops[0].bulk.objects_per_second, tuned.shops[0].bulk.shuffle), (50.0, BulkShuffle::Before));
        let custom =
            r#"{"shops": [{"handle": "c", "access_token": "t", "scopes": [], "graphql": {"restore_rate": 50}}]}"#;
        assert_eq!(Config::from_json(custom).unwrap().shops[0].graphql_limits(), Ok((1000.0, 50.0)));
        let bad = r#"{"shops": [{"handle": "c", "access_token": "t", "scopes": [], "graphql": {"restore_rate": 0}}]}"#;
        assert!(Config::from_json(bad).is_err());
    }

    #[test]
    fn a_config_may_have_only_woocommerce_sites_and_they_are_checked() {
        let site = |extra: &str| {
            format!(
                r#"{{"woocommerce": [{{"site": "shop.example.com", "consumer_key": "ck_1", "consumer_secret": "cs_1"{extra}}}]}}"#
            )
        };
        let config = Config::from_json(&site("")).unwrap();
        assert!(config.shops.is_empty());
        let woo = &config.woocommerce[0];
        assert_eq!(
            (woo.scheme, woo.permissions, woo.user_role.as_str()),
            (WooScheme::Https, KeyPermissions::ReadWrite, "administrator")
        );
        assert!(woo.wordpress && woo.rest_api && woo.pretty_permalinks && woo.woocommerce && !woo.shipment_tracking);
        assert_eq!(woo.faults, WooFaults::default());
        assert_eq!(woo.hosts(), ["shop.example.com"]);
        let www = Config::from_json(&site(r#", "www": true, "scheme": "http", "permissions": "read""#)).unwrap();
        assert_eq!(www.woocommerce[0].hosts(), ["www.shop.example.com", "shop.example.com"]);
        assert!(!www.woocommerce[0].permissions.can_write());

        for bad in [
            r#", "site": "https://shop.example.com""#,
            r#", "consumer_key": "1234""#,
            r#", "consumer_secret": "ck_1""#,
            r#", "permissions": "admin""#,
            r#", "utc_offset_minutes": 1000"#,
            r#", "weight_unit": "stone""#,
            r#", "user_role": "Shop Manager""#,
            r#", "faults": {"captcha": true, "typo": 1}"#,
        ] {
            assert!(Config::from_json(&site(bad)).is_err(), "{bad}");
        }
        let twice = r#"{"woocommerce": [
            {"site": "a.example.com", "consumer_key": "ck_1", "consumer_secret": "cs_1"},
            {"site": "A.example.com", "consumer_key": "ck_2", "consumer_secret": "cs_2"}]}"#;
        assert!(Config::from_json(twice).unwrap_err().to_string().contains("two sites"));
        let clash = r#"{"shops": [{"handle": "acme", "access_token": "t", "scopes": []}],
            "woocommerce": [{"site": "acme.myshopify.com", "consumer_key": "ck_1", "consumer_secret": "cs_1"}]}"#;
        assert!(Config::from_json(clash).is_err());
    }

    #[test]
    fn a_config_may_have_only_bigcommerce_stores_and_they_are_checked() {
        let config = Config::from_json(
            r#"{"bigcommerce": [{"store_hash": "abc123", "access_token": "t", "client_id": "c",
                "scopes": {"orders": "modify", "store_information": "read"}, "plan": "pro"}]}"#,
        )
        .unwrap();
        assert!(config.shops.is_empty() && config.woocommerce.is_empty());
        assert_eq!(config.bigcommerce[0].plan.quota(), 450);
        let twice = r#"{"bigcommerce": [{"store_hash": "a1", "access_token": "t", "client_id": "c"},
            {"store_hash": "a1", "access_token": "u", "client_id": "d"}]}"#;
        assert!(Config::from_json(twice).unwrap_err().to_string().contains("twice"));
        let bad = r#"{"bigcommerce": [{"store_hash": "a1", "access_token": "t", "client_id": "c", "plan": "gold"}]}"#;
        assert!(Config::from_json(bad).is_err());
        let unchecked =
            r#"{"bigcommerce": [{"store_hash": "a1", "access_token": "t", "client_id": "c", "locations": 9}]}"#;
        assert!(Config::from_json(unchecked).unwrap_err().to_string().contains("locations"));
    }

    #[test]
    fn a_shop_may_have_only_a_dev_app_but_needs_one_app() {
        let config = Config::from_json(
            r#"{"shops": [{"handle": "dev", "scopes": ["read_orders"],
                "dev_app": {"client_id": "cid", "client_secret": "csec"}}]}"#,
        )
        .unwrap();
        let app = config.shops[0].dev_app.clone().unwrap();
        assert_eq!(config.shops[0].access_token, None);
        assert_eq!((app.token_lifetime_secs, app.installed, app.same_organization), (86_399, true, true));
        assert_eq!(app.scopes, None);

        let neither = Config::from_json(r#"{"shops": [{"handle": "none", "scopes": []}]}"#).unwrap_err();
        assert!(neither.to_string().contains("needs an \"access_token\""), "{neither}");
        let blank = r#"{"shops": [{"handle": "b", "scopes": [], "dev_app": {"client_id": "", "client_secret": "s"}}]}"#;
        assert!(Config::from_json(blank).is_err());
    }
}
