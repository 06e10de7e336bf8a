//! BigCommerce stores end to end against the BigCommerce emulator, over real HTTP: each
//! registration refusal beside its field with nothing saved, a full sync that copies the store
//! exactly (orders of more than 50 lines and of two addresses among them), an incremental sync
//! that brings a new order and takes an archived one away while the hooks were off (and switches
//! them back on), a storm of 429s and 5xx that fails nothing, webhooks that land and forgeries
//! refused, and shipments written back exactly once, per address, partly then the rest.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use storelink::{
    ids::{JobId, StoreId},
    platforms::bigcommerce::{BcClient, StoreHash},
    secrets::Secret,
};

use crate::{
    helpers::*,
    shipments::{post_shipment, token, wait_for_state},
    sync::{job_state, wait_until_finished},
};

pub const TOKEN: &str = "bc0a1b2c3d4e5f60718293a4b5c6d7e8f9";
pub const CLIENT_ID: &str = "bcclient0123456789abcdef";
pub const CLIENT_SECRET: &str = "bcsecret9876543210fedcba";

/// The stores the emulator serves to every API test.
pub fn stores() -> Value {
    let all = json!({"store_information": "read", "orders": "modify", "products": "read", "customers": "read",
                     "inventory": "read", "locations": "read"});
    let store = |hash: &str, extra: Value| {
        let mut store = json!({"store_hash": hash, "access_token": TOKEN, "client_id": CLIENT_ID,
                               "client_secret": CLIENT_SECRET, "scopes": all, "orders": 30, "products": 8,
                               "customers": 6, "locations": 2, "seed": 11, "allow_any_destination": true,
                               "webhooks": {"retry_delay_ms": 50}});
        store.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap());
        store
    };
    let mut read_only = all.clone();
    read_only["orders"] = json!("read");
    let mut lacking = all.clone();
    lacking["customers"] = json!("none");
    lacking["inventory"] = json!("none");
    json!([
        store(
            "bcmain1",
            json!({"name": "Main Street Goods", "domain": "shop.mainstreet.example",
                                "big_orders_share": 0.1, "two_address_share": 0.2})
        ),
        store("bcread1", json!({"scopes": read_only})),
        store("bclack1", json!({"scopes": lacking})),
        store("bcslow1", json!({"latency_ms": 4000})),
        store("bcstorm1", json!({"client_secret": null})),
        // Its failed deliveries are retried within a few seconds, not 48 hours.
        store("bchook1", json!({"webhooks": {"retry_delay_ms": 1}})),
    ])
}

fn fields<'a>(url: &'a str, token: &'a str, context: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("store_url", url),
        ("access_token", token),
        ("client_id", CLIENT_ID),
        ("api_context", context),
        ("client_secret", CLIENT_SECRET),
    ]
}

fn address(hash: &str) -> String {
    format!("store-{hash}.mybigcommerce.com")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut *c).await)
        .unwrap()
}

/// Registers the store (by its control-panel host and API Context) and returns it and its first
/// job.
async fn register(app: &TestApp, hash: &str) -> (StoreId, JobId) {
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let context = format!("stores/{hash}");
    let response = app.register_with(&admin, "bigcommerce", &fields(&address(hash), TOKEN, &context)).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT s.id, j.id FROM stores s JOIN sync_jobs j ON j.store_id = s.id WHERE s.platform = 'bigcommerce' ORDER BY j.id DESC")
        .fetch_one(&mut *c).await)
        .unwrap()
}

/// Registers the store and runs its first sync to the end.
pub(crate) async fn synced(app: &TestApp, hash: &str) -> StoreId {
    let (store, job) = register(app, hash).await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(wait_until_finished(app, job).await, "done", "{:?}", job_state(app, job).await);
    store
}

/// The emulator's store as a client of its own reads it.
fn bc(app: &TestApp) -> BcClient {
    BcClient::new(reqwest::Client::new(), Some(app.emulator.url()))
}

fn hash(text: &str) -> StoreHash {
    StoreHash::from_context(&format!("stores/{text}")).unwrap()
}

/// Every id the store lists under a v2 (`limit`/`page`, 204 at the end) or v3 (`data`) path.
async fn ids(app: &TestApp, store: &str, path: &str) -> Vec<i64> {
    let token = Secret::new(TOKEN);
    let mut all = Vec::new();
    for page in 1.. {
        let page = page.to_string();
        let answer = bc(app).get(&hash(store), &token, path, &[("limit", "250"), ("page", &page)]).await.unwrap();
        if answer.is_empty() {
            break;
        }
        let body: Value = answer.json().unwrap();
        let items = body.get("data").cloned().unwrap_or(body);
        let items = items.as_array().unwrap();
        all.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
        if items.len() < 250 {
            break;
        }
    }
    all.sort();
    all
}

async fn stored_ids(app: &TestApp, table: &str, store: StoreId) -> Vec<i64> {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT id FROM {table} WHERE store_id = $1 ORDER BY id")))
        .bind(store)
        .fetch_all(&mut *c).await)
        .unwrap()
}

/// An order as the emulator holds it: the order, its products, addresses and shipments.
async fn order_state(app: &TestApp, store: &str, id: i64) -> Value {
    app.emulator_get(&format!("/bigcommerce/{store}/orders/{id}")).await
}

/// storelink holds exactly the orders, products and customers the store lists, and every line
/// and shipping address of every order.
async fn assert_exact_copy(app: &TestApp, store: StoreId, hash: &str) {
    let orders = ids(app, hash, "/v2/orders").await;
    assert_eq!(stored_ids(app, "synced_orders", store).await, orders, "orders");
    assert_eq!(
        stored_ids(app, "synced_products", store).await,
        ids(app, hash, "/v3/catalog/products").await,
        "products"
    );
    assert_eq!(stored_ids(app, "synced_customers", store).await, ids(app, hash, "/v3/customers").await, "customers");
    let (mut lines, mut addresses) = (Vec::new(), Vec::new());
    for id in &orders {
        let held = order_state(app, hash, *id).await;
        lines.extend(held["products"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()));
        addresses.extend(held["shipping_addresses"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()));
    }
    lines.sort();
    addresses.sort();
    assert_eq!(stored_ids(app, "synced_order_lines", store).await, lines, "every line of every order");
    assert_eq!(stored_ids(app, "synced_fulfillment_orders", store).await, addresses, "every shipping address");
}

#[tokio::test]
async fn each_registration_refusal_is_said_beside_its_field_and_saves_nothing() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let (main, lacking) = (address("bcmain1"), address("bclack1"));
    let cases = [
        (fields("", TOKEN, "stores/bcmain1"), "store_url", "Enter the store's address"),
        (fields(&main, TOKEN, "abc"), "api_context", "reads stores/ and the store hash"),
        (fields(&main, TOKEN, "stores/bcread1"), "api_context", "Use the values of one store"),
        (fields("store-nosuch9.mybigcommerce.com", TOKEN, "stores/nosuch9"), "api_context", "No BigCommerce store"),
        (fields(&main, "wrong-token", "stores/bcmain1"), "access_token", "refused this Access Token"),
        (fields("shop.elsewhere.example", TOKEN, "stores/bcmain1"), "store_url", "not shop.elsewhere.example"),
        (
            fields(&lacking, TOKEN, "https://api.bigcommerce.com/stores/bclack1/v3/"),
            "access_token",
            "lacks Customers: read-only, Store Inventory: read-only",
        ),
    ];
    for (typed, field, says) in cases {
        let response = app.register_with(&admin, "bigcommerce", &typed).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let body = error_body(response).await;
        assert_eq!(body["Invalid"]["field"], field, "{typed:?}: {body}");
        let message = body["Invalid"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{typed:?}: {message}");
        assert!(!message.contains(TOKEN) && !message.contains(CLIENT_SECRET), "no secret in a message");
    }
    let slow = app.register_with(&admin, "bigcommerce", &fields(&address("bcslow1"), TOKEN, "stores/bcslow1")).await;
    assert_eq!(slow.status(), StatusCode::BAD_GATEWAY);
    assert!(slow.text().await.unwrap().contains("did not answer in time"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stores").await, 0, "nothing saved");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM store_credentials").await, 0, "no credentials kept");
}

#[tokio::test]
async fn without_orders_modify_a_store_registers_with_a_warning_and_the_client_id_is_never_the_check() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let mut typed = fields("https://store-bcread1.mybigcommerce.com/", TOKEN, "stores/bcread1");
    typed[2] = ("client_id", "someone-elses-client-id");
    let response = app.register_with(&admin, "bigcommerce", &typed).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    let (warnings, address): (String, String) = storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT warnings, shop_domain FROM stores").fetch_one(&mut *c).await).unwrap();
    assert!(warnings.contains("Without Orders: modify, shipments"), "{warnings}");
    assert_eq!(address, "store-bcread1.mybigcommerce.com");
    let again =
        app.register_with(&admin, "bigcommerce", &fields(&address, TOKEN, "store-bcread1.mybigcommerce.com")).await;
    assert_ne!(again.status(), StatusCode::OK, "the same store twice is one store");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stores").await, 1);
}

#[tokio::test]
async fn the_first_sync_copies_the_store_exactly_within_its_quota() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "bcmain1").await;
    let before = app.emulator_get("/stats").await["by_endpoint"].clone();
    app.engine.run_job(job).await.unwrap();
    assert_eq!(wait_until_finished(&app, job).await, "done", "{:?}", job_state(&app, job).await);
    let after = app.emulator_get("/stats").await["by_endpoint"].clone();
    let made = |endpoint: &str| after[endpoint].as_i64().unwrap_or(0) - before[endpoint].as_i64().unwrap_or(0);
    assert_exact_copy(&app, store, "bcmain1").await;
    // Orders of more than 50 lines and of two addresses were among them.
    let lines_per_order: Vec<i64> = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM synced_order_lines WHERE store_id = $1 GROUP BY order_id")
        .bind(store).fetch_all(&mut *c).await)
    .unwrap();
    assert!(lines_per_order.iter().any(|n| *n > 50), "{lines_per_order:?}");
    let two = count(&app, &format!("SELECT COUNT(*) FROM (SELECT order_id FROM synced_fulfillment_orders WHERE store_id = {store} GROUP BY order_id HAVING COUNT(*) = 2) t")).await;
    assert!(two > 0, "an order shipping to two addresses");
    // Variants, locations and every variant's stock at each location.
    let variants = count(&app, &format!("SELECT COUNT(*) FROM synced_variants WHERE store_id = {store}")).await;
    assert_eq!(variants, 8 * 3);
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM synced_locations WHERE store_id = {store}")).await, 2);
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM synced_inventory_levels WHERE store_id = {store}")).await,
        variants * 2
    );
    let name: String = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT name FROM stores WHERE id = $1").bind(store).fetch_one(&mut *c).await).unwrap();
    assert_eq!(name, "Main Street Goods");
    // The cheap path: one page of orders with their lines, and a product list only for each
    // order cut at 50 lines; never an order's addresses on their own.
    assert_eq!(made("GET bigcommerce v2/orders"), 1, "{after}");
    // The cap is per consignment: an order of more than 50 lines over two addresses may not
    // reach it.
    let big = count(&app, &format!("SELECT COUNT(DISTINCT f.order_id) FROM synced_fulfillment_orders f WHERE f.store_id = {store}
        AND (SELECT COUNT(*) FROM synced_fulfillment_order_lines l WHERE l.store_id = f.store_id AND l.fulfillment_order_id = f.id) > 50")).await;
    assert!(big > 0);
    assert_eq!(made("GET bigcommerce v2/orders/{id}/products"), big, "{after}");
    assert_eq!(made("GET bigcommerce v2/orders/{id}/shipping_addresses"), 0, "{after}");
    assert_eq!(made("GET bigcommerce v2/orders/{id}/shippingaddresses"), 0, "{after}");
}

/// Switches every hook of the store off, as BigCommerce does after 48 hours of failures.
async fn switch_hooks_off(app: &TestApp, store: &str) -> usize {
    let token = Secret::new(TOKEN);
    let hooks: Value = bc(app).get(&hash(store), &token, "/v3/hooks", &[]).await.unwrap().json().unwrap();
    let hooks = hooks["data"].as_array().unwrap().clone();
    for hook in &hooks {
        let path = format!("/v3/hooks/{}", hook["id"]);
        bc(app).put(&hash(store), &token, &path, &json!({"is_active": false})).await.unwrap();
    }
    hooks.len()
}

#[tokio::test]
async fn an_incremental_sync_brings_a_new_order_takes_an_archived_one_away_and_switches_the_hooks_on() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "bcmain1").await;
    assert_eq!(switch_hooks_off(&app, "bcmain1").await, storelink::platforms::bigcommerce::TOPICS.len());
    let created = app.emulator_post("/bigcommerce/bcmain1/orders", json!({})).await;
    let new = created["order"]["id"].as_i64().unwrap();
    let archived = stored_ids(&app, "synced_orders", store).await[0];
    app.emulator_post(&format!("/bigcommerce/bcmain1/orders/{archived}/archive"), json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.synced_order(new).await.is_none(), "no hook told of it");

    let job = sync_now(&app, store).await;
    assert!(app.synced_order(new).await.is_some(), "the order made after the first sync arrived");
    assert!(app.synced_order(archived).await.is_none(), "the archived order left the desk");
    assert_exact_copy(&app, store, "bcmain1").await;
    let events: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1")
        .bind(job).fetch_one(&mut *c).await)
        .unwrap();
    assert!(events.contains("Subscribed again"), "{events}");
    let hooks = app.emulator_get("/bigcommerce/bcmain1/hooks").await;
    assert!(hooks["hooks"].as_array().unwrap().iter().all(|h| h["is_active"] == true), "{hooks}");
}

/// Runs the store's incremental sync to its end, as an administrator's Sync now queues it.
async fn sync_now(app: &TestApp, store: StoreId) -> JobId {
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let said: String =
        app.post(&admin, "/api/sync/now", &[("store_id", &store.to_string())]).await.json().await.unwrap();
    assert!(said.starts_with("Synchronizing"), "{said}");
    let job: JobId = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM sync_jobs WHERE store_id = $1 AND state = 'queued'")
        .bind(store).fetch_one(&mut *c).await).unwrap();
    app.engine.run_job(job).await.unwrap();
    assert_eq!(wait_until_finished(app, job).await, "done", "{:?}", job_state(app, job).await);
    job
}

#[tokio::test]
async fn an_incremental_sync_misses_nothing_at_its_windows_edges() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "bcmain1").await;
    switch_hooks_off(&app, "bcmain1").await;
    let newest: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT MAX(updated_at) FROM synced_orders WHERE store_id = $1")
        .bind(store).fetch_one(&mut *c).await).unwrap();
    // Orders last changed well before the window, changed again while the first sync read the
    // store but stamped before the newest record it read (BigCommerce stamps a change when it is
    // made, not when it is committed): at the window's very start, 300 s before the newest
    // record, and in the newest record's own second; one archived in the window; one new.
    let older: Vec<i64> = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM synced_orders WHERE store_id = $1 AND updated_at < $2 AND status = 'open' ORDER BY id LIMIT 3")
        .bind(store).bind(newest - 400).fetch_all(&mut *c).await).unwrap();
    assert_eq!(older.len(), 3, "the store has orders last changed before the window");
    let change = |id: i64, change: &str, at: i64| {
        let app = &app;
        let path = format!("/bigcommerce/bcmain1/orders/{id}/{change}");
        async move { app.emulator_post(&path, json!({"at": at})).await }
    };
    change(older[0], "add_line", newest - 300).await;
    change(older[1], "add_line", newest).await;
    change(older[2], "archive", newest - 1).await;
    let new = app.emulator_post("/bigcommerce/bcmain1/orders", json!({})).await["order"]["id"].as_i64().unwrap();

    sync_now(&app, store).await;
    assert!(app.synced_order(older[2]).await.is_none(), "the order archived in the window left the desk");
    assert!(app.synced_order(new).await.is_some(), "the new order arrived");
    // Every line of every order, the two added ones among them.
    assert_exact_copy(&app, store, "bcmain1").await;
}

#[tokio::test]
async fn hooks_bigcommerce_deactivated_for_failures_or_idleness_are_switched_on_again_and_the_gap_filled() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "bchook1").await;
    let hooks = app.emulator_get("/bigcommerce/bchook1/hooks").await;
    let hook = |scope: &str| hooks["hooks"].as_array().unwrap().iter().find(|h| h["scope"] == scope).unwrap().clone();
    let (orders, products) = (hook("store/order/*"), hook("store/product/*"));
    // Ninety days without an event switch the products' hook off.
    let aged = app.emulator_post(&format!("/bigcommerce/bchook1/hooks/{}/age", products["id"]), json!({})).await;
    assert_eq!((aged["hook"]["is_active"].clone(), aged["hook"]["deactivated"].clone()), (json!(false), json!("idle")));
    // The orders' hook carries a secret storelink does not know: every retry of its deliveries
    // is refused, and BigCommerce switches it off.
    let mut wrong = orders["headers"].clone();
    wrong["x-storelink-secret"] = json!("not-the-secret");
    let path = format!("/v3/hooks/{}", orders["id"]);
    bc(&app).put(&hash("bchook1"), &Secret::new(TOKEN), &path, &json!({"headers": wrong})).await.unwrap();
    let created = app.emulator_post("/bigcommerce/bchook1/orders", json!({})).await;
    let new = created["order"]["id"].as_i64().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = app.emulator_get("/bigcommerce/bchook1/hooks").await;
        let stopped = now["hooks"].as_array().unwrap().iter().find(|h| h["id"] == orders["id"]).unwrap().clone();
        if stopped["deactivated"] == "failures" {
            assert_eq!(stopped["is_active"], false);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the orders' hook was never switched off: {stopped}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.synced_order(new).await.is_none(), "no delivery was accepted");

    let job = sync_now(&app, store).await;
    assert!(app.synced_order(new).await.is_some(), "the incremental sync filled the gap");
    let progress: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1")
        .bind(job).fetch_one(&mut *c).await)
        .unwrap();
    assert!(progress.contains("Subscribed again"), "the store page says so: {progress}");
    let after = app.emulator_get("/bigcommerce/bchook1/hooks").await;
    for hook in after["hooks"].as_array().unwrap() {
        assert_eq!(hook["is_active"], true, "{hook}");
        assert_eq!(hook["headers"]["x-storelink-secret"], orders["headers"]["x-storelink-secret"], "{hook}");
    }
    // Kept current again: the next order arrives by its webhook.
    let next = app.emulator_post("/bigcommerce/bchook1/orders", json!({})).await["order"]["id"].as_i64().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.synced_order(next).await.is_none() {
        assert!(std::time::Instant::now() < deadline, "the order made after the repair never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_storm_of_429s_and_server_errors_fails_nothing() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "bcstorm1").await;
    app.emulator_post(
        "/bigcommerce/bcstorm1/faults",
        json!({"platform_429": 4, "status_5xx": 2, "quota_429_without_retry_after": 1.0,
               "other_app_requests_per_second": 2.0}),
    )
    .await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(wait_until_finished(&app, job).await, "done", "{:?}", job_state(&app, job).await);
    assert_exact_copy(&app, store, "bcstorm1").await;
    let stats = app.emulator_get("/stats").await;
    assert!(stats["throttled"].as_u64().unwrap() >= 4, "{stats}");
    let events: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1")
        .bind(job).fetch_one(&mut *c).await)
        .unwrap();
    assert!(events.contains("429"), "the waits are told: {events}");
}

/// Posts a delivery to storelink's BigCommerce webhook address.
async fn deliver(app: &TestApp, headers: &[(&str, String)], body: &[u8]) -> StatusCode {
    let mut request = reqwest::Client::new().post(app.url("/webhooks/bigcommerce")).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn an_order_made_in_bigcommerce_arrives_by_webhook_and_forgeries_are_refused() {
    let app = spawn_app().await;
    let (store, job) = register(&app, "bcmain1").await;
    assert_eq!(wait_until_finished(&app, job).await, "done", "{:?}", job_state(&app, job).await);
    let hooks = app.emulator_get("/bigcommerce/bcmain1/hooks").await;
    let held = hooks["hooks"].as_array().unwrap();
    assert_eq!(held.len(), storelink::platforms::bigcommerce::TOPICS.len(), "{hooks}");
    assert!(held.iter().all(|h| h["destination"] == app.url("/webhooks/bigcommerce")), "{hooks}");

    let created = app.emulator_post("/bigcommerce/bcmain1/orders", json!({"two_addresses": true})).await;
    let id = created["order"]["id"].as_i64().unwrap();
    wait_for(
        &app,
        "the new order",
        &format!("SELECT COUNT(*) FROM synced_orders WHERE store_id = {store} AND id = {id}"),
    )
    .await;
    wait_for_count(
        &app,
        "its two addresses",
        &format!("SELECT COUNT(*) FROM synced_fulfillment_orders WHERE store_id = {store} AND order_id = {id}"),
        |n| n == 2,
    )
    .await;

    // A forger has the store's name but not storelink's secret; with the secret (here read from
    // the hook BigCommerce holds) but not the Client secret's signature, still refused.
    let body = json!({"scope": "store/order/archived", "store_id": "1", "data": {"type": "order", "id": id},
                      "hash": "x", "created_at": 1, "producer": "stores/bcmain1"})
    .to_string();
    let secret = held[0]["headers"]["x-storelink-secret"].as_str().unwrap().to_owned();
    let ours = |secret: &str, signed_with: Option<&[u8]>, at: i64| {
        let mut headers = vec![
            ("x-storelink-store", address("bcmain1")),
            ("x-storelink-topic", "store/order/*".to_owned()),
            ("x-storelink-secret", secret.to_owned()),
        ];
        if let Some(key) = signed_with {
            let signature = storelink_emulator::bigcommerce::webhooks::sign(key, "msg_test", at, body.as_bytes());
            headers.extend([
                ("webhook-id", "msg_test".to_owned()),
                ("webhook-timestamp", at.to_string()),
                ("webhook-signature", signature),
            ]);
        }
        headers
    };
    let now = storelink::db::now();
    for forged in [
        ours("guess", Some(CLIENT_SECRET.as_bytes()), now),
        ours(&secret, None, now),
        ours(&secret, Some(b"guess"), now),
    ] {
        assert_eq!(deliver(&app, &forged, body.as_bytes()).await, StatusCode::UNAUTHORIZED, "{forged:?}");
    }
    // Genuinely signed but made long ago: a replay, answered and ignored.
    assert_eq!(
        deliver(&app, &ours(&secret, Some(CLIENT_SECRET.as_bytes()), now - 3600), body.as_bytes()).await,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.synced_order(id).await.is_some(), "a forged archive took nothing away");
    let rejected = count(&app, &format!("SELECT webhooks_rejected FROM stores WHERE id = {store}")).await;
    assert_eq!(rejected, 3);

    // Archived in the control panel: BigCommerce says so, and storelink sees it archived.
    app.emulator_post(&format!("/bigcommerce/bcmain1/orders/{id}/archive"), json!({})).await;
    wait_for_none(
        &app,
        "the archived order to go",
        &format!("SELECT COUNT(*) FROM synced_orders WHERE store_id = {store} AND id = {id}"),
    )
    .await;
}

/// The orders the label-software API lists as awaiting shipment at the store.
async fn awaiting(app: &TestApp, token: &str, store: &str) -> Vec<Value> {
    let path = format!("/api/v1/orders?awaiting_shipment=true&store={}&limit=100", address(store));
    let page: Value =
        reqwest::Client::new().get(app.url(&path)).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    page["orders"].as_array().cloned().unwrap_or_else(|| panic!("no orders: {page}"))
}

/// Awaiting orders shipping to `addresses` addresses, with their line items' ids.
async fn order_with(app: &TestApp, store: StoreId, addresses: i64) -> (i64, Vec<(i64, i64)>) {
    let order: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT order_id FROM synced_fulfillment_orders WHERE store_id = $1 GROUP BY order_id
         HAVING COUNT(*) = $2 AND SUM(CASE WHEN status = 'OPEN' THEN 1 ELSE 0 END) = $2 ORDER BY order_id LIMIT 1")
        .bind(store).bind(addresses).fetch_one(&mut *c).await)
    .unwrap();
    let lines: Vec<(i64, i64)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT l.line_item_id, l.remaining_quantity FROM synced_fulfillment_order_lines l
         JOIN synced_fulfillment_orders f ON f.id = l.fulfillment_order_id AND f.store_id = l.store_id
         WHERE f.store_id = $1 AND f.order_id = $2 ORDER BY l.line_item_id")
        .bind(store).bind(order).fetch_all(&mut *c).await)
    .unwrap();
    (order, lines)
}

#[tokio::test]
async fn a_shipment_is_written_once_per_address_and_a_partial_one_then_the_rest() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "bcmain1").await;
    let token = token(&app).await;
    assert!(!awaiting(&app, &token, "bcmain1").await.is_empty());

    // Everything of an order that ships to two addresses, posted twice with one key: one
    // BigCommerce shipment per address, each once, carrying storelink's shipment.
    let (order, _) = order_with(&app, store, 2).await;
    // A tracking number longer than BigCommerce takes is refused as it is recorded, in words,
    // and nothing is recorded or sent.
    let long =
        json!({"store": address("bcmain1"), "order_id": order, "carrier": "UPS", "tracking_number": "9".repeat(51)});
    let refused = post_shipment(&app, &token, Some("bc-long"), long).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["errors"][0]["field"], "tracking_number", "{refused}");
    assert_eq!(refused["errors"][0]["message"], "BigCommerce takes tracking numbers of at most 50 characters.");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM shipments").await, 0);
    let body = json!({"store": address("bcmain1"), "order_id": order, "carrier": "UPS",
                      "tracking_number": "1Z999AA10123456784", "notify_customer": true});
    let first = post_shipment(&app, &token, Some("bc-1"), body.clone()).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED, "{}", first.text().await.unwrap());
    let again = post_shipment(&app, &token, Some("bc-1"), body).await;
    let id = again.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &id, "sent").await;
    let held = order_state(&app, "bcmain1", order).await;
    let shipments = held["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), 2, "{held}");
    assert!(shipments.iter().all(|s| s["tracking_number"] == "1Z999AA10123456784" && s["shipping_provider"] == "ups"));
    assert!(shipments.iter().all(|s| s["comments"].as_str().unwrap().contains("storelink shipment #")));
    assert_eq!(held["order"]["status_id"], 2, "BigCommerce marked it Shipped itself");

    // One item of an order first: Partially Shipped, the rest still awaiting; then the rest.
    let (order, lines) = order_with(&app, store, 1).await;
    let (line, _) = lines.iter().copied().find(|(_, left)| *left >= 1).unwrap();
    let partial = post_shipment(
        &app,
        &token,
        None,
        json!({"store": address("bcmain1"), "order_id": order,
        "carrier": "DHL", "tracking_number": "JD0001", "line_items": [{"id": line, "quantity": 1}]}),
    )
    .await;
    assert_eq!(partial.status(), StatusCode::ACCEPTED, "{}", partial.text().await.unwrap());
    let partial = partial.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &partial, "sent").await;
    let held = order_state(&app, "bcmain1", order).await;
    let total: i64 = lines.iter().map(|(_, left)| left).sum();
    if total > 1 {
        assert_eq!(held["order"]["status_id"], 3, "Partially Shipped: {}", held["order"]);
        assert!(awaiting(&app, &token, "bcmain1").await.iter().any(|o| o["id"] == order), "the rest still awaits");
    }
    assert_eq!(held["shipments"][0]["tracking_carrier"], "dhl");
    let rest = post_shipment(
        &app,
        &token,
        None,
        json!({"store": address("bcmain1"), "order_id": order,
        "carrier": "DHL", "tracking_number": "JD0002"}),
    )
    .await;
    let rest: Value = rest.json().await.unwrap();
    if total > 1 {
        let quantity: i64 =
            rest["line_items"].as_array().unwrap().iter().map(|l| l["quantity"].as_i64().unwrap()).sum();
        assert_eq!(quantity, total - 1);
        wait_for_state(&app, &token, rest["id"].as_str().unwrap(), "sent").await;
    }
    let held = order_state(&app, "bcmain1", order).await;
    assert_eq!(held["order"]["status_id"], 2, "{}", held["order"]);
    let shipped: i64 =
        held["products"].as_array().unwrap().iter().map(|p| p["quantity_shipped"].as_i64().unwrap()).sum();
    assert_eq!(shipped, total);
}

#[tokio::test]
async fn many_order_notices_at_once_are_read_from_one_listing_not_one_call_each() {
    let app = spawn_app().await;
    let (store, job) = register(&app, "bcmain1").await;
    assert_eq!(wait_until_finished(&app, job).await, "done", "{:?}", job_state(&app, job).await);
    let ids: Vec<i64> = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM synced_orders WHERE store_id = $1 ORDER BY id LIMIT 8")
        .bind(store)
        .fetch_all(&mut *c).await)
        .unwrap();
    for id in &ids {
        app.emulator_post(&format!("/bigcommerce/bcmain1/orders/{id}/status"), json!({"status_id": 5})).await;
    }
    for id in &ids {
        for _ in 0..300 {
            if app.synced_order(*id).await.is_some_and(|o| o["status_id"] == 5) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.synced_order(*id).await.unwrap()["status_id"], 5, "order {id} is current");
    }
    let log = app.emulator_get("/requests?limit=1000").await;
    let paths: Vec<String> =
        log["requests"].as_array().unwrap().iter().map(|r| r["path"].as_str().unwrap_or_default().to_owned()).collect();
    let one_by_one = paths
        .iter()
        .filter(|p| ids.iter().any(|id| p.split('?').next().unwrap().ends_with(&format!("/v2/orders/{id}"))))
        .count();
    let listings = paths.iter().filter(|p| p.contains("/v2/orders?") && p.contains("min_date_modified")).count();
    assert!(listings >= 1, "{paths:?}");
    assert!(one_by_one < ids.len(), "{one_by_one} orders read one by one: {paths:?}");
}

#[tokio::test]
async fn a_shipment_that_timed_out_after_bigcommerce_applied_it_is_not_sent_twice() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "bcmain1").await;
    let token = token(&app).await;
    let (order, _) = order_with(&app, store, 1).await;
    // The shipment is made, but its answer comes after storelink stopped waiting (2 s).
    app.emulator_post("/bigcommerce/bcmain1/faults", json!({"slow_writes": 1, "slow_writes_ms": 3000})).await;
    let body = json!({"store": address("bcmain1"), "order_id": order, "carrier": "UPS",
                      "tracking_number": "1Z999AA10123456711"});
    let posted = post_shipment(&app, &token, None, body).await;
    assert_eq!(posted.status(), StatusCode::ACCEPTED);
    let id = posted.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &id, "sent").await;
    let held = order_state(&app, "bcmain1", order).await;
    let shipments = held["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), 1, "one shipment: {held}");
    assert_eq!(shipments[0]["tracking_number"], "1Z999AA10123456711");
}

#[tokio::test]
async fn a_delivery_sent_twice_with_the_same_hash_is_applied_once() {
    let app = spawn_app().await;
    let (store, job) = register(&app, "bcmain1").await;
    assert_eq!(wait_until_finished(&app, job).await, "done", "{:?}", job_state(&app, job).await);
    let hooks = app.emulator_get("/bigcommerce/bcmain1/hooks").await;
    let secret = hooks["hooks"][0]["headers"]["x-storelink-secret"].as_str().unwrap().to_owned();
    let order: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT MIN(id) FROM synced_orders WHERE store_id = $1").bind(store).fetch_one(&mut *c).await).unwrap();
    let created_at = storelink::db::now();
    let event = |created_at: i64, pretty: bool| {
        let payload = json!({"scope": "store/order/updated", "store_id": "1", "data": {"type": "order", "id": order},
                             "hash": "0c8d2ecf0bd6e8cd5d7ffb7a45e2a9a3c6ecd3a1", "created_at": created_at,
                             "producer": "stores/bcmain1"});
        if pretty {
            serde_json::to_string_pretty(&payload).unwrap()
        } else {
            payload.to_string()
        }
    };
    let signed = |id: &str, body: &str| {
        let at = storelink::db::now();
        vec![
            ("x-storelink-store", address("bcmain1")),
            ("x-storelink-topic", "store/order/*".to_owned()),
            ("x-storelink-secret", secret.clone()),
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", at.to_string()),
            (
                "webhook-signature",
                storelink_emulator::bigcommerce::webhooks::sign(CLIENT_SECRET.as_bytes(), id, at, body.as_bytes()),
            ),
        ]
    };
    let recorded = || async {
        count(
            &app,
            &format!("SELECT COUNT(*) FROM webhook_deliveries WHERE store_id = {store} AND topic = 'store/order/*'"),
        )
        .await
    };
    let body = event(created_at, false);
    let headers = signed("msg_twice", &body);
    assert_eq!(deliver(&app, &headers, body.as_bytes()).await, StatusCode::OK);
    assert_eq!(deliver(&app, &headers, body.as_bytes()).await, StatusCode::OK);
    // The same event sent anew, its bytes laid out otherwise: the same `hash` and `created_at`.
    let again = event(created_at, true);
    assert_eq!(deliver(&app, &signed("msg_again", &again), again.as_bytes()).await, StatusCode::OK);
    wait_for(&app, "the delivery applied", &format!("SELECT COUNT(*) FROM webhook_deliveries WHERE store_id = {store} AND applied_at IS NOT NULL AND topic = 'store/order/*'")).await;
    assert_eq!(recorded().await, 1, "the second and third copies are duplicates");
    // A later change of the same order has the same `hash` (it covers only the order's type
    // and id) but a later `created_at`: a new event, read again.
    let later = event(created_at + 5, false);
    assert_eq!(deliver(&app, &signed("msg_later", &later), later.as_bytes()).await, StatusCode::OK);
    assert_eq!(recorded().await, 2, "a later event of the same order is not a duplicate");
}
