//! What the server benchmarks share: an emulated shop, a storelink server talking to it, and
//! the shop registered as a store by an administrator.

#![allow(dead_code)] // each bench uses its own part

use std::{net::SocketAddr, time::Duration};

use serde_json::{json, Value};
use storelink::{
    ids::{JobId, StoreId},
    secrets::Secret,
    server::Application,
    state::{AppState, Settings},
    stores::register::{register, Form},
    sync::Engine,
    users::{repo, Role, UserDto},
};
use storelink_emulator::{config::Config, Emulator};

pub const TOKEN: &str = "shpat_bench_token_0000000000000000";
pub const SECRET: &str = "shpss_bench_secret_000000000000000";

pub struct Bench {
    pub emulator: Emulator,
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
    let config = Config::from_json(&json!({ "shops": [config] }).to_string()).unwrap();
    let emulator = Emulator::start(&config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: None,
        data_dir: dir.path().to_owned(),
        site_root: "target/site".into(),
        public_url: None,
        secret_key: None,
        shopify_base_url: Some(emulator.url()),
        shopify_timeout: Duration::from_secs(30),
        run_sync: false,
        sync_interval: Duration::from_secs(3600),
        trust_forwarded_for: false,
        housekeeping_interval: Duration::from_secs(600),
    })
    .await
    .unwrap();
    let addr = app.local_addr();
    let state = app.state.clone();
    let engine = app.engine.clone();
    tokio::spawn(app.run());
    let admin = repo::create(&state.pool, "bench@storelink.local", Role::Admin, "unused").await.unwrap();
    let form = Form {
        store_url: format!("{handle}.myshopify.com"),
        api_key: "bench-key".into(),
        api_password: Secret::new(TOKEN.to_owned()),
        shared_secret: Secret::new(SECRET.to_owned()),
    };
    let store = register(&state.pool, &state.shopify, &state.sealer, &admin, form).await.unwrap();
    Bench { emulator, state, engine, addr, admin, store, _dir: dir }
}

impl Bench {
    /// The store's first sync job, queued by registering.
    pub async fn first_job(&self) -> JobId {
        sqlx::query_scalar("SELECT id FROM sync_jobs WHERE store_id = ? ORDER BY id LIMIT 1")
            .bind(self.store)
            .fetch_one(&self.state.pool)
            .await
            .unwrap()
    }
}
