//! The sync engine against the emulator: exact copies, resumable, and failing in words.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Registers `shop` and returns the store's id and its first sync job.
async fn register(app: &TestApp, shop: &str) -> (i64, i64) {
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, shop, SHOP_TOKEN).await.status(), StatusCode::OK);
    sqlx::query_as("SELECT s.id, j.id FROM stores s JOIN sync_jobs j ON j.store_id = s.id WHERE s.shop_domain = ?")
        .bind(format!("{shop}.myshopify.com"))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn job_state(app: &TestApp, job: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT state, error FROM sync_jobs WHERE id = ?").bind(job).fetch_one(&app.pool).await.unwrap()
}

async fn wait_until_finished(app: &TestApp, job: i64) -> String {
    for _ in 0..600 {
        let (state, _) = job_state(app, job).await;
        if state != "queued" && state != "running" {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the sync did not finish");
}

async fn synced(app: &TestApp, table: &str, store: i64) -> BTreeMap<i64, Value> {
    let sql = format!("SELECT id, raw FROM {table} WHERE store_id = ?");
    let rows: Vec<(i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(store).fetch_all(&app.pool).await.unwrap();
    rows.into_iter().map(|(id, raw)| (id, serde_json::from_str(&raw).unwrap())).collect()
}

/// Every record of the emulated shop is stored once, exactly as Shopify renders it.
async fn assert_exact_copy(app: &TestApp, store: i64, shop: &str) {
    let (orders, products, customers, locations, levels) = {
        let shop = app.emulator.state.shop(shop).unwrap();
        let data = shop.data.read().unwrap();
        let orders: BTreeMap<i64, Value> = data.orders.values().map(|o| (o.id as i64, data.render_order(o))).collect();
        let products: BTreeMap<i64, Value> =
            data.products.values().map(|p| (p.id as i64, data.render_product(p))).collect();
        let customers: BTreeMap<i64, Value> =
            data.customers.values().map(|c| (c.id as i64, data.render_customer(c))).collect();
        let locations: BTreeMap<i64, Value> =
            data.locations.values().map(|l| (l.id as i64, data.render_location(l))).collect();
        let levels = data.inventory_levels(&data.locations.keys().copied().collect::<Vec<_>>()).len() as i64;
        (orders, products, customers, locations, levels)
    };
    assert_eq!(synced(app, "synced_orders", store).await, orders, "orders");
    assert_eq!(synced(app, "synced_products", store).await, products, "products");
    assert_eq!(synced(app, "synced_customers", store).await, customers, "customers");
    assert_eq!(synced(app, "synced_locations", store).await, locations, "locations");
    let stored_levels: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM synced_inventory_levels WHERE store_id = ?")
        .bind(store)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored_levels, levels, "inventory levels");
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT orders_count, products_count, customers_count, locations_count FROM stores WHERE id = ?",
    )
    .bind(store)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        counts,
        (orders.len() as i64, products.len() as i64, customers.len() as i64, locations.len() as i64),
        "the Stores page's counts"
    );
}

#[tokio::test]
async fn the_first_sync_copies_the_shop_exactly() {
    let app = spawn_app().await;
    let (store, job) = register(&app, "big").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    assert_exact_copy(&app, store, "big").await;
    let progress: String =
        sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = ?").bind(job).fetch_one(&app.pool).await.unwrap();
    let progress: Value = serde_json::from_str(&progress).unwrap();
    assert_eq!(progress["resources"]["orders"], json!({"done": 600, "total": 600}));
    assert_eq!(progress["events"][0], "Started");
    assert_eq!(progress["events"].as_array().unwrap().last().unwrap(), "Finished");
}

#[tokio::test]
async fn an_interrupted_sync_resumes_without_loss_and_fetches_little_twice() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "big").await;
    let interruptions = 5;
    for _ in 0..interruptions {
        let after = Duration::from_millis(rand::thread_rng().gen_range(20..400));
        // Dropping the future mid-flight is the same as the process dying there.
        let _ = tokio::time::timeout(after, app.state.sync.run_job(job)).await;
    }
    app.state.sync.run_job(job).await.unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, store, "big").await;

    let log: Value = reqwest::Client::new()
        .get(format!("{}/_emulator/requests?limit=10000", app.emulator.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut fetched: BTreeMap<String, usize> = BTreeMap::new();
    for request in log["requests"].as_array().unwrap() {
        let path = request["path"].as_str().unwrap();
        if path.contains("since_id=") || path.contains("inventory_levels.json") {
            *fetched.entry(path.to_owned()).or_default() += 1;
        }
    }
    let again: usize = fetched.values().map(|n| n - 1).sum();
    assert!(again <= interruptions, "{again} pages fetched again after {interruptions} interruptions: {fetched:?}");
}

#[tokio::test]
async fn server_errors_a_429_storm_and_latency_still_give_an_exact_copy() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "big").await;
    app.shop_faults("big", json!({"error_rate": 0.1, "latency_ms": 5, "jitter_ms": 10, "throttle_storm": true})).await;
    let calm = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        app.shop_faults("big", json!({"throttle_storm": false})).await;
    };
    let (result, ()) = tokio::join!(app.state.sync.run_job(job), calm);
    result.unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, store, "big").await;
    let progress: String =
        sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = ?").bind(job).fetch_one(&app.pool).await.unwrap();
    assert!(progress.contains("for Shopify's rate limit"), "the wait is in the event log");
}

#[tokio::test]
async fn a_revoked_token_or_a_removed_permission_stops_that_store_in_words() {
    let cases = [
        (json!({"token_revoked": true}), "Shopify rejected the API password — reconnect the store"),
        (json!({"removed_scopes": ["read_orders"]}), "permission read_orders was removed"),
        (json!({"frozen": true}), "the shop is unavailable"),
    ];
    for (fault, message) in cases {
        let app = spawn_app_without_sync().await;
        let (store, job) = register(&app, "acme").await;
        app.shop_faults("acme", fault.clone()).await;
        app.state.sync.run_job(job).await.unwrap();
        assert_eq!(job_state(&app, job).await, ("failed".into(), Some(message.into())), "{fault}");
        let detail: Option<String> = sqlx::query_scalar("SELECT state_detail FROM stores WHERE id = ?")
            .bind(store)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(detail.as_deref(), Some(message));
    }
}

#[tokio::test]
async fn one_store_failing_does_not_stop_another() {
    let app = spawn_app_without_sync().await;
    let (_, broken) = register(&app, "acme").await;
    let (store, healthy) = register(&app, "big").await;
    app.shop_faults("acme", json!({"token_revoked": true})).await;
    let (a, b) = tokio::join!(app.state.sync.run_job(broken), app.state.sync.run_job(healthy));
    a.unwrap();
    b.unwrap();
    assert_eq!(job_state(&app, broken).await.0, "failed");
    assert_eq!(job_state(&app, healthy).await.0, "done");
    assert_exact_copy(&app, store, "big").await;
}
