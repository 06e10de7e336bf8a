//! storelink's own Shopify: an Admin API emulator that behaves like the real one closely enough
//! that a client which works against it works against Shopify. The demo, the tests and the
//! benchmarks all start it the same way: `storelink emulator` or [`Emulator::start`].
//!
//! Shops are chosen by the request's `Host` header (`acme.myshopify.com`). The real API lives
//! under `/admin/…`: REST, and GraphQL at `/admin/api/{version}/graphql.json` (with bulk
//! operations, whose result files are served like signed storage URLs under `/_storage/bulk/…`,
//! on any host). The emulator's own control endpoint is under `/_emulator/…`, a path no real
//! Shopify uses.
//!
//! WooCommerce sites (see [`woocommerce`]) are served by the same server, chosen by `Host` too;
//! BigCommerce stores (see [`bigcommerce`]) by the store hash in `/stores/{hash}/v2|v3/…`.

// Shopify's large order objects are rendered with `json!`, which recurses per key.
#![recursion_limit = "256"]

pub mod apps;
pub mod bigcommerce;
pub mod bucket;
pub mod clock;
pub mod config;
mod control;
pub mod data;
mod faults;
mod graphql;
mod rest;
mod skeleton;
pub mod webhooks;
pub mod woocommerce;

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock, RwLock},
    time::Duration,
};

use axum::Router;
use rand::RngCore;
use serde::Serialize;
use tokio::net::TcpListener;

use self::{
    apps::{App, IssuedToken},
    bucket::Bucket,
    clock::Clock,
    config::{BulkConfig, Config, DevApp, Faults, ShopConfig, WebhookTiming},
    data::ShopData,
    webhooks::{Delivery, Subscription},
};

/// The API versions this emulator serves; a request for any other falls forward to the oldest,
/// as Shopify's does.
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-10", "2026-01", "2026-04", "2026-07", "2026-10"];

/// One emulated shop: its configuration, data, rate-limit bucket, faults and webhooks.
pub struct Shop {
    pub config: ShopConfig,
    pub data: RwLock<ShopData>,
    bucket: Mutex<Bucket>,
    pub faults: Mutex<Faults>,
    pub latency_ms: Mutex<u64>,
    pub subscriptions: Mutex<Vec<Subscription>>,
    pub deliveries: Mutex<Vec<Delivery>>,
    /// The Dev Dashboard app as it is now: the configured one, changed by the control endpoint.
    pub dev_app: Option<Mutex<DevApp>>,
    tokens: Mutex<Vec<IssuedToken>>,
    leak_per_second: f64,
    /// GraphQL cost points, apart from the REST bucket.
    gql_bucket: Mutex<graphql::PointsBucket>,
    bulk: graphql::bulk::BulkStore,
    /// How bulk operations run now: the configured settings, changed by the control endpoint.
    pub bulk_config: Mutex<BulkConfig>,
}

impl Shop {
    pub fn domain(&self) -> String {
        format!("{}.myshopify.com", self.config.handle)
    }

    /// The scopes the legacy token has now: those granted, less any removed by a fault.
    pub fn scopes(&self) -> Vec<String> {
        self.scopes_of(App::Legacy)
    }

    /// True when the legacy token may read `resource` (`orders`, …): `read_X` or `write_X` granted.
    pub fn can_read(&self, resource: &str) -> bool {
        self.app_can_read(App::Legacy, resource)
    }
}

/// One request, as the control endpoint's log reports it.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub shop: String,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// Counters for tests and benchmarks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub requests: u64,
    pub throttled: u64,
    pub by_status: BTreeMap<u16, u64>,
    pub by_endpoint: BTreeMap<String, u64>,
    /// GraphQL cost points charged (the actual cost of every admitted query).
    pub graphql_points: f64,
    /// Each BigCommerce store's quota: requests it admitted and 429s it answered, by store hash.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub bigcommerce_quota: BTreeMap<String, bigcommerce::QuotaCounters>,
}

pub struct EmulatorState {
    pub shops: HashMap<String, Arc<Shop>>,
    pub stats: Mutex<Stats>,
    pub log: Mutex<VecDeque<LoggedRequest>>,
    pub webhook_timing: WebhookTiming,
    /// Real, or manual for tests: the bucket, the order window and new timestamps read it.
    pub clock: Clock,
    /// Signs `page_info` cursors, so a tampered cursor is refused like Shopify's, and bulk
    /// result URLs.
    cursor_key: [u8; 32],
    http: reqwest::Client,
    /// Where bulk result URLs point: configured, or the address the emulator listens on.
    storage_url: OnceLock<String>,
    /// The WooCommerce sites, by host.
    pub woocommerce: woocommerce::Sites,
    /// The BigCommerce stores, by store hash.
    pub bigcommerce: bigcommerce::Stores,
}

const LOG_CAPACITY: usize = 10_000;

impl EmulatorState {
    pub fn new(config: &Config) -> anyhow::Result<EmulatorState> {
        let clock = Clock::new(config.clock);
        let now = clock.unix_now();
        let mut shops = HashMap::new();
        for shop in &config.shops {
            let (size, leak) = shop.plan.limits()?;
            let (points, restore_rate) = shop.graphql_limits().map_err(|err| anyhow::anyhow!(err))?;
            let state = Shop {
                data: RwLock::new(ShopData::generate(shop, now)),
                bucket: Mutex::new(Bucket::new(size, leak)),
                faults: Mutex::new(shop.faults.clone()),
                latency_ms: Mutex::new(shop.latency_ms),
                subscriptions: Mutex::new(Vec::new()),
                deliveries: Mutex::new(Vec::new()),
                dev_app: shop.dev_app.clone().map(Mutex::new),
                tokens: Mutex::new(Vec::new()),
                leak_per_second: leak,
                gql_bucket: Mutex::new(graphql::PointsBucket::new(points, restore_rate)),
                bulk: Default::default(),
                bulk_config: Mutex::new(shop.bulk.clone()),
                config: shop.clone(),
            };
            shops.insert(state.domain(), Arc::new(state));
        }
        let mut cursor_key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut cursor_key);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_millis(config.webhooks.timeout_ms))
            .build()?;
        let woocommerce =
            woocommerce::Sites::new(&config.woocommerce, now, Duration::from_millis(config.webhooks.timeout_ms))?;
        let bigcommerce =
            bigcommerce::Stores::new(&config.bigcommerce, now, Duration::from_millis(config.webhooks.timeout_ms))?;
        Ok(EmulatorState {
            shops,
            stats: Mutex::new(Stats::default()),
            log: Mutex::new(VecDeque::new()),
            webhook_timing: config.webhooks.clone(),
            clock,
            cursor_key,
            http,
            storage_url: {
                let configured = OnceLock::new();
                if let Some(url) = &config.storage_url {
                    let _ = configured.set(url.trim_end_matches('/').to_owned());
                }
                configured
            },
            woocommerce,
            bigcommerce,
        })
    }

    /// The scheme, host and port bulk result URLs start with.
    pub fn storage_base(&self) -> String {
        self.storage_url.get().cloned().unwrap_or_else(|| "http://127.0.0.1".into())
    }

    pub fn shop(&self, handle: &str) -> Option<Arc<Shop>> {
        self.shops.get(&format!("{handle}.myshopify.com")).cloned()
    }

    fn record(&self, entry: LoggedRequest, endpoint: String) {
        {
            let mut stats = self.stats.lock().expect("stats lock");
            stats.requests += 1;
            if entry.status == 429 {
                stats.throttled += 1;
            }
            *stats.by_status.entry(entry.status).or_default() += 1;
            *stats.by_endpoint.entry(endpoint).or_default() += 1;
        }
        let mut log = self.log.lock().expect("log lock");
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

pub fn router(state: Arc<EmulatorState>) -> Router {
    Router::new()
        .merge(control::router())
        .merge(woocommerce::control::router())
        .merge(bigcommerce::control::router())
        .route("/_storage/bulk/{key}", axum::routing::get(graphql::bulk::download))
        .fallback(by_host)
        .with_state(state)
}

/// An API request for a BigCommerce store goes to it; a request for a WooCommerce site goes to
/// its WordPress, any other to Shopify.
async fn by_host(
    axum::extract::State(emu): axum::extract::State<Arc<EmulatorState>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    if let Some((store, malformed)) = emu.bigcommerce.route(req.uri().path()) {
        return bigcommerce::handle(emu, store, malformed, req).await;
    }
    let host = req.headers().get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    match emu.woocommerce.site(host) {
        Some(site) => woocommerce::handle(emu, site, req).await,
        None => rest::handle(axum::extract::State(emu), req).await,
    }
}

/// A running emulator; dropping it does not stop the server task.
pub struct Emulator {
    pub addr: SocketAddr,
    pub state: Arc<EmulatorState>,
}

impl Emulator {
    /// Generates the shops and starts serving on `addr` (port 0 picks a free port).
    pub async fn start(config: &Config, addr: SocketAddr) -> anyhow::Result<Emulator> {
        let state = Arc::new(EmulatorState::new(config)?);
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let reachable = if addr.ip().is_unspecified() {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        } else {
            addr
        };
        let _ = state.storage_url.set(format!("http://{reachable}"));
        graphql::bulk::spawn_sweeper(&state);
        let app = router(state.clone());
        tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(error = %err, "emulator stopped");
            }
        });
        Ok(Emulator { addr, state })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
