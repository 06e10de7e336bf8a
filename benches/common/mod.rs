//! What the server benchmarks share: an emulated shop, a storelink server talking to it, and
//! the shop registered as a store by an administrator. The emulator runs in its own process
//! (`storelink emulator`), so what this process measures (time, memory) is the server's alone.

#![allow(dead_code)] // each bench uses its own part

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use storelink::{
    ids::{JobId, StoreId},
    platforms::{Platform, Typed},
    server::Application,
    state::{AppState, Settings},
    stores::register::register,
    sync::Engine,
    users::{repo, Role, UserDto},
};

pub const TOKEN: &str = "shpat_bench_token_0000000000000000";
pub const SECRET: &str = "shpss_bench_secret_000000000000000";

/// The emulator's process, stopped when dropped.
pub struct Emulator {
    child: Child,
    url: String,
}

impl Emulator {
    /// Starts `storelink emulator` with `config` and waits for the address it listens on.
    pub fn start(config: &Value) -> Emulator {
        let path = std::env::temp_dir().join(format!("storelink-bench-emulator-{}.json", std::process::id()));
        std::fs::write(&path, config.to_string()).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_storelink"))
            .args(["emulator", "--addr", "127.0.0.1:0", "--config"])
            .arg(&path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        let url = line.trim().rsplit(' ').next().expect("the emulator prints its address").to_owned();
        // Drains what else it prints, so it never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Emulator { child, url }
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This process's resident memory now and at its peak since the last [`reset_peak_memory`], in
/// bytes.
pub fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Starts measuring the peak resident memory afresh (Linux: `5` to `clear_refs`).
pub fn reset_peak_memory() {
    std::fs::write("/proc/self/clear_refs", "5").expect("the peak memory can be reset");
}

pub struct Bench {
    pub emulator: Emulator,
    /// Resident memory of the idle server, just before the store was registered.
    pub idle_memory: u64,
    /// When registering began.
    pub registering: Instant,
    pub state: AppState,
    pub engine: std::sync::Arc<Engine>,
    pub addr: SocketAddr,
    pub admin: UserDto,
    pub store: StoreId,
    /// Kept alive so the database outlives the benchmark.
    _dir: tempfile::TempDir,
}

/// Starts the emulator with one shop `handle` (the keys of `shop` are added to its config), a
/// server on a free port that does not run sync jobs by itself, and registers the shop.
pub async fn start(handle: &str, shop: Value) -> Bench {
    let mut config = json!({
        "handle": handle, "access_token": TOKEN, "api_key": "bench-key", "shared_secret": SECRET,
        "scopes": ["read_orders", "read_all_orders", "read_products", "read_customers", "read_locations",
                   "read_inventory", "read_merchant_managed_fulfillment_orders"],
    });
    for (key, value) in shop.as_object().expect("shop settings are an object") {
        config[key] = value.clone();
    }
    let emulator = Emulator::start(&json!({ "shops": [config] }));
    let fields = [
        ("store_url", format!("{handle}.myshopify.com")),
        ("api_key", "bench-key".to_owned()),
        ("api_password", TOKEN.to_owned()),
        ("shared_secret", SECRET.to_owned()),
    ];
    start_on(emulator, Platform::Shopify, &fields, 4).await
}

/// Starts the emulator with every shop of `shops` (the keys of each added to the config `start`
/// gives a shop), a server, and registers the first; register the rest with [`Bench::register`].
pub async fn start_shops(shops: &[(String, Value)]) -> Bench {
    let configs: Vec<Value> = shops
        .iter()
        .map(|(handle, shop)| {
            let mut config = json!({
                "handle": handle, "access_token": TOKEN, "api_key": "bench-key", "shared_secret": SECRET,
                "scopes": ["read_orders", "read_all_orders", "read_products", "read_customers", "read_locations",
                           "read_inventory", "read_merchant_managed_fulfillment_orders"],
            });
            for (key, value) in shop.as_object().expect("shop settings are an object") {
                config[key] = value.clone();
            }
            config
        })
        .collect();
    let emulator = Emulator::start(&json!({ "shops": configs }));
    start_on(emulator, Platform::Shopify, &shopify_fields(&shops[0].0), 4).await
}

fn shopify_fields(handle: &str) -> [(&'static str, String); 4] {
    [
        ("store_url", format!("{handle}.myshopify.com")),
        ("api_key", "bench-key".to_owned()),
        ("api_password", TOKEN.to_owned()),
        ("shared_secret", SECRET.to_owned()),
    ]
}

pub const WOO_KEY: &str = "ck_bench0000000000000000000000000000000000";
pub const WOO_SECRET: &str = "cs_bench0000000000000000000000000000000000";

/// Starts the emulator with one WooCommerce site `host` (the keys of `site` added to its
/// config), a server sending each site `at_once` requests at most, and registers the site.
pub async fn start_woocommerce(host: &str, site: Value, at_once: usize) -> Bench {
    let mut config = json!({"site": host, "consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET});
    for (key, value) in site.as_object().expect("site settings are an object") {
        config[key] = value.clone();
    }
    let emulator = Emulator::start(&json!({ "woocommerce": [config] }));
    let fields = [
        ("store_url", host.to_owned()),
        ("consumer_key", WOO_KEY.to_owned()),
        ("consumer_secret", WOO_SECRET.to_owned()),
    ];
    start_on(emulator, Platform::WooCommerce, &fields, at_once).await
}

pub const BC_TOKEN: &str = "benchbctoken00000000000000000000";
pub const BC_CLIENT_ID: &str = "benchbcclient000000000000";

/// Starts the emulator with one BigCommerce store `hash` (the keys of `store` added to its
/// config), a server, and registers the store.
pub async fn start_bigcommerce(hash: &str, store: Value) -> Bench {
    let mut config = json!({
        "store_hash": hash, "access_token": BC_TOKEN, "client_id": BC_CLIENT_ID,
        "scopes": {"store_information": "read", "orders": "modify", "products": "read", "customers": "read",
                   "inventory": "read", "locations": "read"},
    });
    for (key, value) in store.as_object().expect("store settings are an object") {
        config[key] = value.clone();
    }
    let emulator = Emulator::start(&json!({ "bigcommerce": [config] }));
    let fields = [
        ("store_url", format!("store-{hash}.mybigcommerce.com")),
        ("access_token", BC_TOKEN.to_owned()),
        ("client_id", BC_CLIENT_ID.to_owned()),
        ("api_context", format!("stores/{hash}")),
    ];
    start_on(emulator, Platform::BigCommerce, &fields, 4).await
}

/// A server on a free port talking to `emulator`, not running sync jobs by itself, and the
/// store registered from `fields` by an administrator.
async fn start_on(emulator: Emulator, platform: Platform, fields: &[(&str, String)], at_once: usize) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let mut platforms = storelink::platforms::Settings::new(Some(emulator.url()), Duration::from_secs(30));
    platforms.woocommerce_at_once = at_once;
    // PostgreSQL when STORELINK_TEST_DATABASE_URL names a server, as for the tests.
    let database_url = storelink::db::scratch_url(dir.path()).await;
    let app = Application::build(Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(database_url),
        data_dir: dir.path().to_owned(),
        site_root: "target/site".into(),
        public_url: None,
        secret_key: None,
        platforms,
        run_sync: false,
        sync_interval: Duration::from_secs(3600),
        sync_claims: Default::default(),
        trust_forwarded_for: false,
        housekeeping_interval: Duration::from_secs(600),
        metrics: false,
        max_connections_per_client: 256,
    })
    .await
    .unwrap();
    let addr = app.local_addr();
    let state = app.state.clone();
    let engine = app.engine.clone();
    tokio::spawn(app.run());
    let admin = repo::create(
        &mut state.pool.acquire().await.unwrap(),
        storelink::ids::OrgId(1),
        "bench@storelink.local",
        Role::Admin,
        "unused",
    )
    .await
    .unwrap();
    let idle_memory = memory().0;
    reset_peak_memory();
    let registering = Instant::now();
    let typed = Typed { fields: fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(), reconnect: false };
    let store = register(&state.pool, &state.platforms, &state.sealer, &admin, platform, typed).await.unwrap();
    Bench { emulator, idle_memory, registering, state, engine, addr, admin, store, _dir: dir }
}

impl Bench {
    /// Registers another shop of the emulator's as a store, and returns it.
    pub async fn register(&self, handle: &str) -> StoreId {
        let fields = shopify_fields(handle);
        let typed =
            Typed { fields: fields.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(), reconnect: false };
        let state = &self.state;
        register(&state.pool, &state.platforms, &state.sealer, &self.admin, Platform::Shopify, typed).await.unwrap()
    }

    /// The store's first sync job, queued by registering.
    pub async fn first_job(&self) -> JobId {
        storelink::db_run!(&self.state.pool, c => sqlx::query_scalar("SELECT id FROM sync_jobs WHERE store_id = $1 ORDER BY id LIMIT 1")
            .bind(self.store)
            .fetch_one(&mut *c).await)
            .unwrap()
    }
}

/// Deletes every webhook subscription of the emulated shop `handle`: what deliveries announce
/// would be refreshed, spending points of the shop's budget a benchmark measures.
pub async fn remove_webhooks(emulator: &Emulator, handle: &str) {
    let http = reqwest::Client::new();
    let shopify = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{}/admin/api/2026-07{path}", emulator.url()))
            .header("host", format!("{handle}.myshopify.com"))
            .header("x-shopify-access-token", TOKEN)
    };
    let listed: Value = shopify(reqwest::Method::GET, "/webhooks.json").send().await.unwrap().json().await.unwrap();
    for webhook in listed["webhooks"].as_array().unwrap() {
        shopify(reqwest::Method::DELETE, &format!("/webhooks/{}.json", webhook["id"])).send().await.unwrap();
    }
}

/// Runs `query` as a bulk operation on the emulated shop `handle` (as its token) and returns the
/// result file's bytes.
pub async fn bulk_file(emulator: &Emulator, handle: &str, query: &str) -> Vec<u8> {
    let http = reqwest::Client::new();
    let ask = |body: Value| {
        let http = &http;
        async move {
            let answer: Value = http
                .post(format!(
                    "{}/admin/api/{}/graphql.json",
                    emulator.url(),
                    storelink::platforms::shopify::API_VERSION
                ))
                .header("host", format!("{handle}.myshopify.com"))
                .header("x-shopify-access-token", TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer["data"].clone()
        }
    };
    let started =
        ask(json!({"query": storelink::platforms::shopify::queries::RUN_BULK, "variables": {"query": query}})).await;
    let id = started["bulkOperationRunQuery"]["bulkOperation"]["id"].as_str().expect("the export started").to_owned();
    loop {
        let polled =
            ask(json!({"query": storelink::platforms::shopify::queries::POLL_BULK, "variables": {"id": id}})).await;
        let operation = &polled["bulkOperation"];
        match operation["status"].as_str() {
            Some("COMPLETED") => {
                let url = operation["url"].as_str().expect("a file");
                return http.get(url).send().await.unwrap().bytes().await.unwrap().to_vec();
            }
            Some("CREATED" | "RUNNING") => tokio::time::sleep(Duration::from_millis(50)).await,
            other => panic!("the export ended {other:?}"),
        }
    }
}

/// `users` clients load `url` `each` times each, as fast as answers come, signed in with
/// `cookie`: pages a second, p50 and p99 in seconds, and a page's size.
pub async fn load(url: &str, cookie: &str, users: usize, each: usize) -> (f64, f64, f64, usize) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(users).build().unwrap();
    // Once first, so the first timings do not pay for a cold cache.
    let first = client.get(url).header("cookie", cookie).send().await.unwrap();
    assert!(first.status().is_success(), "{url}: {}", first.status());
    let bytes = first.bytes().await.unwrap().len();
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..users {
        let (client, url, cookie) = (client.clone(), url.to_owned(), cookie.to_owned());
        handles.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for _ in 0..each {
                let asked = Instant::now();
                let response = client.get(&url).header("cookie", &cookie).send().await.unwrap();
                assert!(response.status().is_success());
                response.bytes().await.unwrap();
                times.push(asked.elapsed());
            }
            times
        }));
    }
    let mut times: Vec<std::time::Duration> = Vec::new();
    for handle in handles {
        times.extend(handle.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1].as_secs_f64();
    (times.len() as f64 / elapsed, at(0.5), at(0.99), bytes)
}
