use std::net::SocketAddr;

use reqwest::{header, redirect::Policy, Client, Response, StatusCode};
use serde_json::json;
use serde_json::Value;
use storelink::{
    auth::password,
    db,
    records::RawJson,
    server::Application,
    state::Settings,
    sync::Engine,
    users::{repo, Role},
};
use storelink_emulator::{config::Config, Emulator};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const STANDARD_EMAIL: &str = "standard@example.com";
pub const PASSWORD: &str = "a long test password";

/// The emulated shops every test app can reach: `acme` grants everything, `recent` lacks the
/// optional `read_all_orders`, `partial` lacks required permissions.
pub const SHOP_TOKEN: &str = "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";
pub const SHOP_KEY: &str = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4";
pub const SHOP_SECRET: &str = "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";
/// The Dev Dashboard app of the `dev`, `devbig`, `foreign` and `uninstalled` shops.
pub const DEV_CLIENT_ID: &str = "c1c2c3c4c5c6c7c8c9c0c1c2c3c4c5c6";
pub const DEV_CLIENT_SECRET: &str = "dd11ee22ff33aa44bb55cc66dd77ee88";

/// How many `fleet{n}` shops the emulator serves.
pub const FLEET: usize = 20;

/// A shop that only a Dev Dashboard app can reach; `app` is merged into its `dev_app`.
fn dev_shop(handle: &str, app: Value, scopes: &[&str], (products, customers, orders): (u32, u32, u32)) -> Value {
    let mut dev_app = json!({"client_id": DEV_CLIENT_ID, "client_secret": DEV_CLIENT_SECRET});
    for (key, value) in app.as_object().unwrap() {
        dev_app[key] = value.clone();
    }
    json!({"handle": handle, "dev_app": dev_app, "scopes": scopes, "plan": "plus", "locations": 2,
           "products": products, "customers": customers, "orders": orders, "seed": 5})
}

fn emulator_config() -> Config {
    let shop = |handle: &str, scopes: &[&str]| {
        json!({"handle": handle, "access_token": SHOP_TOKEN, "api_key": SHOP_KEY, "shared_secret": SHOP_SECRET,
               "scopes": scopes, "plan": "plus", "locations": 2, "products": 5, "customers": 5, "orders": 20, "seed": 3})
    };
    let all = [
        "read_orders",
        "read_all_orders",
        "read_products",
        "read_customers",
        "read_locations",
        "read_inventory",
        "read_merchant_managed_fulfillment_orders",
        "read_assigned_fulfillment_orders",
        "read_third_party_fulfillment_orders",
        "read_shipping",
        "write_merchant_managed_fulfillment_orders",
    ];
    let recent: Vec<&str> = all.iter().copied().filter(|s| *s != "read_all_orders").collect();
    let config = json!({"shops": [
        shop("acme", &all),
        shop("recent", &recent),
        shop("partial", &["read_orders", "read_products", "read_customers", "read_locations"]),
        json!({"handle": "big", "access_token": SHOP_TOKEN, "api_key": SHOP_KEY, "shared_secret": SHOP_SECRET,
               "scopes": all, "plan": "plus", "locations": 2, "products": 300, "customers": 260, "orders": 600, "seed": 9}),
        // Stores made today: a Dev Dashboard app and no token. `devbig`'s tokens last seconds.
        dev_shop("dev", json!({}), &all, (5, 5, 20)),
        dev_shop("devbig", json!({"token_lifetime_secs": 4}), &all, (300, 260, 600)),
        dev_shop("foreign", json!({"same_organization": false}), &all, (1, 1, 1)),
        dev_shop("uninstalled", json!({"installed": false}), &all, (1, 1, 1)),
        // A shop whose name is markup (see probe.rs).
        json!({"handle": "hostile", "access_token": SHOP_TOKEN, "api_key": SHOP_KEY, "shared_secret": SHOP_SECRET,
               "scopes": all, "plan": "plus", "locations": 2, "products": 5, "customers": 5, "orders": 20, "seed": 3,
               "name": crate::probe::HOSTILE[0]}),
        // Everything fits one page except the inventory levels (1 to 4 variants a product).
        json!({"handle": "wide", "access_token": SHOP_TOKEN, "api_key": SHOP_KEY, "shared_secret": SHOP_SECRET,
               "scopes": all, "plan": "plus", "locations": 1, "products": 200, "customers": 5, "orders": 5, "seed": 4}),
    ]});
    let mut config = config;
    config["woocommerce"] = crate::woocommerce::sites();
    config["bigcommerce"] = crate::bigcommerce::stores();
    // A fleet of small shops, for several servers sharing many stores.
    for n in 0..FLEET {
        config["shops"].as_array_mut().unwrap().push(shop(&format!("fleet{n}"), &all));
    }
    Config::from_json(&config.to_string()).unwrap()
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: db::Pool,
    /// The database's URL, for a second server or the command line on the same database.
    pub database_url: String,
    pub emulator: Emulator,
    /// The sync engine, for tests that run jobs themselves.
    pub engine: std::sync::Arc<Engine>,
    /// The server's tokens, for tests that call a shop as the server does.
    pub tokens: std::sync::Arc<storelink::platforms::shopify::Tokens>,
    /// Kept alive so the database outlives the test.
    pub _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(None).await
}

/// How a test's server is set up.
#[derive(Debug, Clone, Copy)]
struct Options {
    run_sync: bool,
    sync_secs: u64,
    /// Platforms reached at the emulator (otherwise at their real addresses, never reached).
    emulated: bool,
    trust_forwarded_for: bool,
    metrics: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options { run_sync: false, sync_secs: 3600, emulated: true, trust_forwarded_for: false, metrics: false }
    }
}

/// An app whose sync jobs run only when a test runs them.
pub async fn spawn_app_without_sync() -> TestApp {
    spawn_app_configured(None, Options::default()).await
}

/// An app that syncs every store every `seconds`.
pub async fn spawn_app_syncing_every(seconds: u64) -> TestApp {
    spawn_app_configured(None, Options { run_sync: true, sync_secs: seconds, ..Options::default() }).await
}

/// Starts the real server on a free port with a fresh database holding one administrator and
/// one standard user, both with [`PASSWORD`].
pub async fn spawn_app_with(public_url: Option<&str>) -> TestApp {
    spawn_app_configured(public_url, Options { run_sync: true, ..Options::default() }).await
}

/// A server set up as in production without a public URL: it would talk to Shopify itself
/// (which tests never reach), so Shopify cannot deliver webhooks to it.
pub async fn spawn_app_without_webhooks() -> TestApp {
    spawn_app_configured(None, Options { emulated: false, ..Options::default() }).await
}

/// A server behind a load balancer: it takes each client's address from `X-Forwarded-For`, so
/// tests can be many clients.
pub async fn spawn_app_trusting_forwarded_for() -> TestApp {
    spawn_app_configured(None, Options { trust_forwarded_for: true, ..Options::default() }).await
}

/// An app whose sync jobs run only when a test runs them, serving `/metrics`.
pub async fn spawn_app_with_metrics() -> TestApp {
    spawn_app_configured(None, Options { metrics: true, ..Options::default() }).await
}

async fn spawn_app_configured(public_url: Option<&str>, options: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = storelink::db::scratch_url(dir.path()).await;
    spawn_app_in(dir, url, public_url, options).await
}

/// An app whose data directory (and SQLite database) a test prepared, syncing or not.
pub async fn spawn_app_on(dir: tempfile::TempDir, run_sync: bool) -> TestApp {
    let url = storelink::db::sqlite_url_in(dir.path());
    spawn_app_in(dir, url, None, Options { run_sync, ..Options::default() }).await
}

async fn spawn_app_in(
    dir: tempfile::TempDir,
    database_url: String,
    public_url: Option<&str>,
    options: Options,
) -> TestApp {
    let Options { run_sync, sync_secs, emulated, trust_forwarded_for, metrics } = options;
    let emulator = Emulator::start(&emulator_config(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(database_url.clone()),
        data_dir: dir.path().to_owned(),
        site_root: "target/site".into(),
        public_url: public_url.map(str::to_owned),
        secret_key: None,
        platforms: storelink::platforms::Settings::new(
            emulated.then(|| emulator.url()),
            std::time::Duration::from_secs(2),
        ),
        run_sync,
        sync_interval: std::time::Duration::from_secs(sync_secs),
        sync_claims: Default::default(),
        trust_forwarded_for,
        // Often, so a test sees the schedule at work.
        housekeeping_interval: std::time::Duration::from_millis(200),
        metrics,
        max_connections_per_client: 256,
    };
    let app = Application::build(settings).await.expect("the server starts");
    let addr = app.local_addr();
    let pool = app.state.pool.clone();
    let engine = app.engine.clone();
    let tokens = app.state.platforms.shopify_tokens();
    tokio::spawn(app.run());
    let mut conn = pool.acquire().await.unwrap();
    for (email, role) in [(ADMIN_EMAIL, Role::Admin), (STANDARD_EMAIL, Role::Standard)] {
        let hash = password::hash_blocking(PASSWORD).unwrap();
        repo::create(&mut conn, storelink::ids::OrgId(1), email, role, &hash).await.unwrap();
    }
    drop(conn);
    TestApp { addr, pool, database_url, emulator, engine, tokens, _dir: dir }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A browser-like client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> Client {
        Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
    }

    pub async fn post(&self, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        client.post(self.url(path)).form(form).send().await.unwrap()
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.unwrap()
    }

    /// What a GET with this query answers, as JSON.
    pub async fn get_json(&self, client: &Client, path: &str, query: &(impl serde::Serialize + ?Sized)) -> Value {
        client.get(self.url(path)).query(query).send().await.unwrap().json().await.unwrap()
    }

    pub async fn login(&self, client: &Client, email: &str, password: &str) -> Response {
        self.post(client, "/api/login", &[("email", email), ("password", password)]).await
    }

    /// A client signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Client {
        let client = self.client();
        let response = self.login(&client, email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "signing in as {email}");
        client
    }

    /// Switches faults on an emulated shop.
    pub async fn shop_faults(&self, shop: &str, faults: serde_json::Value) {
        self.emulator_post(&format!("/shops/{shop}/faults"), faults).await;
    }

    /// Ends a shop's `throttle_storm` once the emulated Shopify has turned `times` requests away,
    /// so a test sees the waits however slowly a busy machine reaches the first request.
    pub async fn calm_after_throttling(&self, shop: &str, times: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.emulator_get("/stats").await["throttled"].as_u64().unwrap() < times {
            assert!(std::time::Instant::now() < deadline, "Shopify throttled fewer than {times} requests in a minute");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.shop_faults(shop, json!({"throttle_storm": false})).await;
    }

    /// A request to the emulated shop's Admin API (`path` under `/admin/api/2026-07`), as the app
    /// installed in it would make.
    pub fn shopify(&self, method: reqwest::Method, shop: &str, path: &str) -> reqwest::RequestBuilder {
        Client::new()
            .request(method, format!("{}/admin/api/2026-07{path}", self.emulator.url()))
            .header("host", format!("{shop}.myshopify.com"))
            .header("x-shopify-access-token", SHOP_TOKEN)
    }

    /// GET on the emulator's control endpoint (`/_emulator…`).
    pub async fn emulator_get(&self, path: &str) -> Value {
        Client::new()
            .get(format!("{}/_emulator{path}", self.emulator.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// POST on the emulator's control endpoint (`/_emulator…`).
    pub async fn emulator_post(&self, path: &str, body: Value) -> Value {
        let response =
            Client::new().post(format!("{}/_emulator{path}", self.emulator.url())).json(&body).send().await.unwrap();
        response.json().await.unwrap_or(Value::Null)
    }

    /// Requests the emulated Shopify has received so far.
    pub async fn shopify_requests(&self) -> u64 {
        self.emulator_get("/stats").await["requests"].as_u64().unwrap()
    }

    /// The paths (with queries) of the last `limit` requests the emulated Shopify received.
    pub async fn shopify_paths(&self, limit: usize) -> Vec<String> {
        let log = self.emulator_get(&format!("/requests?limit={limit}")).await;
        log["requests"].as_array().unwrap().iter().map(|r| r["path"].as_str().unwrap().to_owned()).collect()
    }

    /// Every request the emulated Shopify has had went to GraphQL, the token endpoint or a bulk
    /// result file: storelink made no REST call.
    pub async fn assert_no_rest_call(&self) {
        let paths = self.shopify_paths(10_000).await;
        let rest: Vec<&String> = paths
            .iter()
            .filter(|p| {
                !p.ends_with("/graphql.json")
                    && !p.starts_with("/admin/oauth/access_token")
                    && !p.starts_with("/_storage/")
            })
            .collect();
        assert!(!paths.is_empty() && rest.is_empty(), "REST calls: {rest:?}");
    }

    /// Everything registration may write, to show a failure changed nothing.
    pub async fn store_snapshot(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for table in ["stores", "store_credentials", "sync_jobs", "audit_log", "store_webhooks"] {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            counts.push(storelink::db_run!(&self.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *c).await).unwrap());
        }
        counts
    }

    /// Registers `store_url` as a Dev Dashboard app: Client ID and secret, API Password empty.
    pub async fn register_dev_app(&self, client: &Client, store_url: &str, client_secret: &str) -> Response {
        let fields = [
            ("store_url", store_url),
            ("api_key", DEV_CLIENT_ID),
            ("api_password", ""),
            ("shared_secret", client_secret),
        ];
        self.register_with(client, "shopify", &fields).await
    }

    pub async fn register(&self, client: &Client, store_url: &str, password: &str) -> Response {
        let fields = [
            ("store_url", store_url),
            ("api_key", SHOP_KEY),
            ("api_password", password),
            ("shared_secret", SHOP_SECRET),
        ];
        self.register_with(client, "shopify", &fields).await
    }

    /// Posts the registration form of `platform` with these fields (`reconnect` among them is the
    /// form's own flag).
    pub async fn register_with(&self, client: &Client, platform: &str, fields: &[(&str, &str)]) -> Response {
        let form = store_form(platform, fields);
        client.post(self.url("/api/stores/register")).form(&form).send().await.unwrap()
    }

    /// A synced order's JSON as storelink keeps it, if the order is stored.
    pub async fn synced_order(&self, id: i64) -> Option<Value> {
        let raw: Option<RawJson> =
            storelink::db_run!(&self.pool, c => sqlx::query_scalar("SELECT raw FROM synced_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c).await)
            .unwrap();
        raw.map(|RawJson(r)| serde_json::from_str(&r).unwrap())
    }

    pub async fn shipment_count(&self) -> i64 {
        storelink::db_run!(&self.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM shipments").fetch_one(&mut *c).await)
            .unwrap()
    }

    pub async fn user_count(&self) -> i64 {
        storelink::db_run!(&self.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&mut *c).await)
            .unwrap()
    }

    pub async fn user_id(&self, email: &str) -> i64 {
        storelink::db_run!(&self.pool, c => sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(&mut *c).await).unwrap()
    }

    pub async fn role_of(&self, email: &str) -> (String, bool) {
        storelink::db_run!(&self.pool, c => sqlx::query_as("SELECT role, active FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&mut *c).await)
        .unwrap()
    }
}

/// A node's gid, from its JSON.
fn gid_of(node: &Value) -> String {
    node["id"].as_str().unwrap_or_default().to_owned()
}

/// Every node the emulated shop has, read page by page through GraphQL with the store's token
/// (the truth a sync must equal), keyed by gid, without `__parentId`; and each child's parent.
pub async fn emulator_nodes(
    app: &TestApp,
    store: storelink::ids::StoreId,
) -> (std::collections::BTreeMap<String, Value>, std::collections::BTreeMap<String, String>) {
    use storelink::platforms::shopify::{
        client::ShopifyClient,
        graphql::Query,
        nodes::{lines, Finisher},
        queries,
    };
    let shopify = ShopifyClient::new(Some(app.emulator.url()), std::time::Duration::from_secs(30)).unwrap();
    // Each query with a token renewed when due, as the server's own calls are.
    let ask = |text: String, variables: Value| {
        let shopify = &shopify;
        async move {
            let query = Query { text: &text, variables, cost: 900.0 };
            let answer = app
                .tokens
                .call(store, |access| {
                    let query = &query;
                    async move { shopify.graphql(&access.domain, &access.token, query, &mut |_| {}).await }
                })
                .await
                .unwrap_or_else(|err| panic!("reading the emulated shop: {err:?}"));
            (answer.read::<Value>().unwrap(), answer.cost.requested_query_cost)
        }
    };
    let mut all = Vec::new();
    for (key, text) in [
        ("locations", queries::PAGE_LOCATIONS),
        ("products", queries::PAGE_PRODUCTS),
        ("customers", queries::PAGE_CUSTOMERS),
        ("orders", queries::PAGE_ORDERS),
    ] {
        let mut after: Option<String> = None;
        // One node first, then pages as large as a query may cost: a request each node took
        // minutes against a shop that answers slowly.
        let mut first = 1.0_f64;
        loop {
            let (data, requested) =
                ask(text.to_owned(), json!({"first": first as i64, "after": after, "query": null})).await;
            if let Some(requested) = requested {
                first = (800.0_f64 / (requested / first).max(1.0)).floor().clamp(1.0, 250.0);
            }
            let nodes = data[key]["nodes"].as_array().cloned().unwrap_or_default();
            let (found, unfinished) = lines(nodes, None);
            all.extend(found);
            let mut finisher = Finisher::new(unfinished);
            while let Some((part, text, variables)) = finisher.next_query() {
                let (data, _) = ask(text, variables).await;
                finisher.answered(part, data).unwrap();
            }
            all.extend(finisher.lines);
            if data[key]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = data[key]["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
    }
    let (mut nodes, mut parents) = (std::collections::BTreeMap::new(), std::collections::BTreeMap::new());
    for line in all {
        let mut node: Value = serde_json::from_str(line.get()).unwrap();
        if node["__typename"] == "InventoryItem" {
            continue;
        }
        // Inventory levels are kept by location and item, named in their own fields.
        if let Some(parent) = node.as_object_mut().unwrap().remove("__parentId") {
            if node["__typename"] != "InventoryLevel" {
                parents.insert(gid_of(&node), parent.as_str().unwrap().to_owned());
            }
        }
        nodes.insert(gid_of(&node), node);
    }
    (nodes, parents)
}

/// Every node storelink holds for the store, keyed by gid, as [`emulator_nodes`] gives them.
pub async fn stored_nodes(app: &TestApp, store: storelink::ids::StoreId) -> std::collections::BTreeMap<String, Value> {
    let mut nodes = std::collections::BTreeMap::new();
    for table in [
        "synced_locations",
        "synced_products",
        "synced_variants",
        "synced_inventory_levels",
        "synced_customers",
        "synced_orders",
        "synced_order_lines",
        "synced_fulfillment_orders",
        "synced_fulfillment_order_lines",
    ] {
        let sql = format!("SELECT raw FROM {table} WHERE store_id = $1");
        let rows: Vec<RawJson> =
            storelink::db_run!(&app.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(store).fetch_all(&mut *c).await).unwrap();
        for RawJson(raw) in rows {
            let mut node: Value = serde_json::from_str(&raw).unwrap();
            node.as_object_mut().unwrap().remove("__parentId");
            let gid = gid_of(&node);
            assert!(nodes.insert(gid.clone(), node).is_none(), "{gid} is stored twice");
        }
    }
    nodes
}

/// Each stored child's parent gid, as its row records it.
pub async fn stored_parents(
    app: &TestApp,
    store: storelink::ids::StoreId,
) -> std::collections::BTreeMap<String, String> {
    let mut parents = std::collections::BTreeMap::new();
    for (table, child, column, parent) in [
        ("synced_variants", "ProductVariant", "product_id", "Product"),
        ("synced_order_lines", "LineItem", "order_id", "Order"),
        ("synced_fulfillment_orders", "FulfillmentOrder", "order_id", "Order"),
        ("synced_fulfillment_order_lines", "FulfillmentOrderLineItem", "fulfillment_order_id", "FulfillmentOrder"),
    ] {
        let sql = format!("SELECT id, {column} FROM {table} WHERE store_id = $1");
        let rows: Vec<(i64, i64)> =
            storelink::db_run!(&app.pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(store).fetch_all(&mut *c).await).unwrap();
        for (id, of) in rows {
            parents.insert(format!("gid://shopify/{child}/{id}"), format!("gid://shopify/{parent}/{of}"));
        }
    }
    parents
}

/// The error a server function answered with, as JSON.
pub async fn error_body(response: Response) -> Value {
    response.json().await.unwrap()
}

pub fn set_cookie(response: &Response) -> Option<String> {
    response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().to_owned())
}

/// Polls `count_sql` (a `SELECT COUNT(*)` query) until it counts something.
pub async fn wait_for(app: &TestApp, what: &str, count_sql: &str) {
    wait_for_count(app, what, count_sql, |n| n > 0).await
}

/// Polls `count_sql` (a `SELECT COUNT(*)` query) until it counts nothing.
pub async fn wait_for_none(app: &TestApp, what: &str, count_sql: &str) {
    wait_for_count(app, what, count_sql, |n| n == 0).await
}

/// Polls `count_sql` (a `SELECT COUNT(*)` query) until `done` holds for its count.
/// Gives up after 30 s: a busy machine running both suites side by side can take seconds.
pub async fn wait_for_count(app: &TestApp, what: &str, count_sql: &str, done: impl Fn(i64) -> bool) {
    for _ in 0..300 {
        let n: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.to_owned())).fetch_one(&mut *c).await).unwrap();
        if done(n) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A registration form as the page posts it: the platform, each field as `fields[name]`, and
/// `reconnect` as itself.
pub fn store_form(platform: &str, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form = vec![("platform".to_owned(), platform.to_owned())];
    for (name, value) in fields {
        let key = if *name == "reconnect" { (*name).to_owned() } else { format!("fields[{name}]") };
        form.push((key, (*value).to_owned()));
    }
    form
}

/// `storelink` run against the test server's database, `stdin` written to it. Waited for on a
/// thread of its own: the test's runtime also runs the server, which must go on answering (and
/// finish the transaction it may be in) while the command runs.
pub async fn storelink(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    let (args, stdin) = (args.iter().map(|a| a.to_string()).collect::<Vec<_>>(), stdin.to_owned());
    let (dir, url) = (app._dir.path().to_owned(), app.database_url.clone());
    tokio::task::spawn_blocking(move || run_storelink(&dir, &url, &args, &stdin)).await.unwrap()
}

fn run_storelink(dir: &std::path::Path, url: &str, args: &[String], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_storelink"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("DATABASE_URL", url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}
