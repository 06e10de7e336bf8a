//! The sync engine against the emulator: exact copies, resumable, and failing in words.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use storelink::{
    ids::{JobId, StoreId},
    ndjson::Lines,
};

use crate::helpers::*;

/// Registers `shop` and returns the store's id and its first sync job.
pub(crate) async fn register(app: &TestApp, shop: &str) -> (StoreId, JobId) {
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, shop, SHOP_TOKEN).await.status(), StatusCode::OK);
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT s.id, j.id FROM stores s JOIN sync_jobs j ON j.store_id = s.id WHERE s.shop_domain = $1")
        .bind(format!("{shop}.myshopify.com"))
        .fetch_one(&mut *c).await)
        .unwrap()
}

pub(crate) async fn job_state(app: &TestApp, job: JobId) -> (String, Option<String>) {
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT state, error FROM sync_jobs WHERE id = $1").bind(job).fetch_one(&mut *c).await).unwrap()
}

pub(crate) async fn wait_until_finished(app: &TestApp, job: JobId) -> String {
    for _ in 0..600 {
        let (state, _) = job_state(app, job).await;
        if state != "queued" && state != "running" {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the sync did not finish");
}

/// Every node storelink holds for the store equals the emulated shop's, each once, with the same
/// fields and under the same parent, and the Stores page's counts agree.
pub(crate) async fn assert_exact_copy(app: &TestApp, store: StoreId, shop: &str) {
    let (expected, parents) = emulator_nodes(app, store).await;
    let stored = stored_nodes(app, store).await;
    let missing: Vec<&String> = expected.keys().filter(|k| !stored.contains_key(*k)).take(5).collect();
    let extra: Vec<&String> = stored.keys().filter(|k| !expected.contains_key(*k)).take(5).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{shop}: missing {missing:?}, extra {extra:?}");
    for (gid, node) in &expected {
        assert_eq!(&stored[gid], node, "{shop}: {gid}");
    }
    assert_eq!(stored_parents(app, store).await, parents, "{shop}: every child under its parent");
    let counts: (i64, i64, i64, i64) = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT orders_count, products_count, customers_count, locations_count FROM stores WHERE id = $1",
    )
    .bind(store)
    .fetch_one(&mut *c).await)
    .unwrap();
    let of = |kind: &str| expected.keys().filter(|k| k.starts_with(&format!("gid://shopify/{kind}/"))).count() as i64;
    assert_eq!(counts, (of("Order"), of("Product"), of("Customer"), of("Location")), "the Stores page's counts");
}

#[tokio::test]
async fn the_first_sync_copies_the_shop_exactly() {
    let app = spawn_app().await;
    let (store, job) = register(&app, "big").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    assert_exact_copy(&app, store, "big").await;
    let progress: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1").bind(job).fetch_one(&mut *c).await).unwrap();
    let progress: Value = serde_json::from_str(&progress).unwrap();
    assert_eq!(
        (progress["resources"]["orders"]["done"].as_i64(), progress["resources"]["orders"]["total"].as_i64()),
        (Some(600), Some(600))
    );
    assert_eq!(progress["events"][0]["text"], "Started");
    assert_eq!(progress["events"].as_array().unwrap().last().unwrap()["text"], "Finished");
    assert!(progress["events"][0]["at"].as_i64() > Some(0), "each event says when it happened");
}

#[tokio::test]
async fn server_errors_a_429_storm_and_latency_still_give_an_exact_copy() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "big").await;
    app.shop_faults("big", json!({"error_rate": 0.1, "latency_ms": 5, "jitter_ms": 10, "throttle_storm": true})).await;
    let (result, ()) = tokio::join!(app.engine.run_job(job), app.calm_after_throttling("big", 3));
    result.unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, store, "big").await;
    let progress: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1").bind(job).fetch_one(&mut *c).await).unwrap();
    assert!(progress.contains("for Shopify's rate limit"), "the wait is in the event log");
}

#[tokio::test]
async fn a_revoked_token_or_a_removed_permission_stops_that_store_in_words() {
    let cases = [
        (json!({"token_revoked": true}), "Shopify rejected the API password — reconnect the store"),
        (json!({"removed_scopes": ["read_orders"]}), "the “Orders” permission was removed"),
        (json!({"frozen": true}), "the shop is unavailable"),
    ];
    for (fault, message) in cases {
        let app = spawn_app_without_sync().await;
        let (store, job) = register(&app, "acme").await;
        app.shop_faults("acme", fault.clone()).await;
        app.engine.run_job(job).await.unwrap();
        assert_eq!(job_state(&app, job).await, ("failed".into(), Some(message.into())), "{fault}");
        let detail: Option<String> =
            storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT state_detail FROM stores WHERE id = $1")
            .bind(store)
            .fetch_one(&mut *c).await)
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
    let (a, b) = tokio::join!(app.engine.run_job(broken), app.engine.run_job(healthy));
    a.unwrap();
    b.unwrap();
    assert_eq!(job_state(&app, broken).await.0, "failed");
    assert_eq!(job_state(&app, healthy).await.0, "done");
    assert_exact_copy(&app, store, "big").await;
}

#[tokio::test]
async fn sync_now_picks_up_created_and_updated_records_and_runs_once_at_a_time() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "acme").await;
    app.engine.run_job(job).await.unwrap();
    let created = app.emulator_post("/shops/acme/orders", json!({})).await["order"]["id"].as_i64().unwrap();
    let existing: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT MIN(id) FROM synced_orders WHERE store_id = $1")
        .bind(store)
        .fetch_one(&mut *c).await)
        .unwrap();
    app.emulator_post(&format!("/shops/acme/orders/{existing}/update"), json!({"note": "Fragile: handle with care"}))
        .await;

    let admin = app.signed_in(ADMIN_EMAIL).await;
    let first: String =
        app.post(&admin, "/api/sync/now", &[("store_id", &store.to_string())]).await.json().await.unwrap();
    assert!(first.starts_with("Synchronizing"), "{first}");
    let second: String =
        app.post(&admin, "/api/sync/now", &[("store_id", &store.to_string())]).await.json().await.unwrap();
    assert!(second.contains("is already synchronizing"), "{second}");
    let jobs: Vec<JobId> = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM sync_jobs WHERE store_id = $1 AND state = 'queued'")
        .bind(store)
        .fetch_all(&mut *c).await)
        .unwrap();
    assert_eq!(jobs.len(), 1, "one job at a time");

    app.engine.run_job(jobs[0]).await.unwrap();
    assert_eq!(job_state(&app, jobs[0]).await.0, "done");
    assert!(app.synced_order(created).await.is_some(), "the new order arrived");
    assert_eq!(app.synced_order(existing).await.unwrap()["note"], "Fragile: handle with care");
    assert_exact_copy(&app, store, "acme").await;
    // An incremental sync asks Shopify only for what changed: the two orders (and any other the
    // overlap window holds), not all twenty.
    let progress: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1")
        .bind(jobs[0])
        .fetch_one(&mut *c).await)
        .unwrap();
    let progress: Value = serde_json::from_str(&progress).unwrap();
    let fetched = progress["resources"]["orders"]["done"].as_i64().unwrap();
    assert!((2..20).contains(&fetched), "{fetched} orders fetched: {progress}");
    // Registering, subscribing, the full sync and Sync now: not one REST call.
    app.assert_no_rest_call().await;
}

#[tokio::test]
async fn stores_are_synced_again_on_a_schedule() {
    let app = spawn_app_syncing_every(1).await;
    let (store, job) = register(&app, "acme").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    let id = app.emulator_post("/shops/acme/orders", json!({})).await["order"]["id"].as_i64().unwrap();
    // The webhook may bring the order first; the schedule must run an incremental sync anyway.
    for _ in 0..100 {
        let scheduled: Option<i64> = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
            "SELECT id FROM sync_jobs WHERE store_id = $1 AND kind = 'incremental' AND state = 'done' AND id > $2",
        )
        .bind(store)
        .bind(job)
        .fetch_optional(&mut *c).await)
        .unwrap();
        if scheduled.is_some() && app.synced_order(id).await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no scheduled sync ran, or the new order never arrived");
}

#[tokio::test]
async fn every_watcher_gets_the_snapshot_then_each_change() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "big").await;
    // The files arrive over seconds, so each stored batch is a state that lasts: on PostgreSQL
    // a watcher reads the latest snapshot when told of a change, and a busy machine could
    // otherwise go from none stored to all in one read.
    app.emulator_post("/shops/big/bulk", json!({"download_bytes_per_second": 500_000})).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let mut watchers = Vec::new();
    for _ in 0..2 {
        let response = standard.get(app.url("/api/sync/progress")).query(&[("store_id", store)]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        watchers.push(response);
    }
    assert_eq!(
        app.client().get(app.url("/api/sync/progress")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let run = app.engine.run_job(job);
    let read = async {
        let mut seen = Vec::new();
        for mut watcher in watchers {
            let mut lines: Vec<Value> = Vec::new();
            let mut decoder = Lines::default();
            while !lines.last().is_some_and(|l: &Value| l["state"] == "done") {
                let chunk =
                    tokio::time::timeout(Duration::from_secs(60), watcher.chunk()).await.unwrap().unwrap().unwrap();
                lines.extend(decoder.push::<Value>(std::str::from_utf8(&chunk).unwrap()));
            }
            seen.push(lines);
        }
        seen
    };
    let (result, seen) = tokio::join!(run, read);
    result.unwrap();
    for lines in seen {
        assert_eq!(lines[0]["state"], "queued", "the snapshot on connecting");
        assert!(lines
            .iter()
            .any(|l| l["state"] == "running" && l["progress"]["resources"]["orders"]["done"].as_i64() > Some(0)));
        let last = lines.last().unwrap();
        let orders = &last["progress"]["resources"]["orders"];
        assert_eq!((orders["done"].as_i64(), orders["total"].as_i64()), (Some(600), Some(600)));
        let done: Vec<i64> =
            lines.iter().map(|l| l["progress"]["resources"]["orders"]["done"].as_i64().unwrap_or(0)).collect();
        assert!(done.windows(2).all(|w| w[0] <= w[1]), "progress only moves forward: {done:?}");
    }
}

#[tokio::test]
async fn a_job_whose_store_lost_its_credentials_ends_cancelled() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "acme").await;
    storelink::db_run!(&app.pool, c => sqlx::query("DELETE FROM store_credentials WHERE store_id = $1").bind(store).execute(&mut *c).await.map(|done| done.rows_affected())).unwrap();
    app.engine.run_job(job).await.unwrap();
    assert_eq!(job_state(&app, job).await.0, "cancelled");
}

#[tokio::test]
async fn a_throttled_storm_is_waited_out_and_the_copy_is_exact() {
    let app = spawn_app_without_sync().await;
    let (store, job) = register(&app, "acme").await;
    app.shop_faults("acme", json!({"throttle_storm": true})).await;
    let run = tokio::time::timeout(Duration::from_secs(60), app.engine.run_job(job));
    let (result, ()) = tokio::join!(run, app.calm_after_throttling("acme", 2));
    result.expect("the job ends within a minute").unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, store, "acme").await;
    let progress: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1").bind(job).fetch_one(&mut *c).await).unwrap();
    assert!(progress.contains("for Shopify's rate limit"), "{progress}");
}
