//! A full sync by bulk operations against the emulator: interrupted anywhere, with expired
//! result files, downloads that break off, failed exports, Shopify's limit on exports at once,
//! permissions removed while Shopify exports, products with more variants than a page holds, and
//! a database from before.

use std::{collections::BTreeSet, time::Duration};

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use storelink::ids::JobId;

use crate::{
    helpers::*,
    sync::{assert_exact_copy, job_state, register},
};

/// Every bulk operation the emulated shop has been asked for.
async fn operations(app: &TestApp, shop: &str) -> Vec<Value> {
    app.emulator_get(&format!("/shops/{shop}/bulk")).await["operations"].as_array().unwrap().clone()
}

async fn checkpoint(app: &TestApp, job: JobId) -> Value {
    let text: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT checkpoint FROM sync_jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&mut *c).await)
        .unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The texts of the job's events, oldest first.
pub(crate) async fn events(app: &TestApp, job: JobId) -> Vec<String> {
    let text: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1").bind(job).fetch_one(&mut *c).await).unwrap();
    let progress: Value = serde_json::from_str(&text).unwrap();
    progress["events"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap().to_owned()).collect()
}

/// Where each part of the job stood, as its checkpoint says: exporting, importing from line n,
/// paging, done.
fn stages(checkpoint: &Value) -> Vec<String> {
    let Some(steps) = checkpoint["steps"].as_object() else { return Vec::new() };
    steps
        .values()
        .map(|step| match step {
            Value::String(done) => done.to_lowercase(),
            Value::Object(step) if step.contains_key("Export") => "exporting".into(),
            Value::Object(step) if step.contains_key("Import") => {
                if step["Import"]["line"] == 0 {
                    "downloading".into()
                } else {
                    "mid-import".into()
                }
            }
            _ => "paging".into(),
        })
        .collect()
}

/// Runs the job until `stop` says so, then drops it mid-flight, as a crash would.
async fn run_until(app: &TestApp, job: JobId, stop: impl Fn(&Value) -> bool) {
    let watch = async {
        loop {
            if stop(&checkpoint(app, job).await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::select! {
        _ = app.engine.run_job(job) => panic!("the sync ended before the point it was to be stopped at"),
        _ = watch => {}
    }
}

#[tokio::test]
async fn a_bulk_sync_interrupted_anywhere_resumes_exactly_and_exports_little_again() {
    // Printed, so a failure can be replayed with STORELINK_TEST_SEED.
    let seeds: Vec<u64> = match std::env::var("STORELINK_TEST_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(seed) => vec![seed],
        None => (0..4).map(|_| rand::random()).collect(),
    };
    for seed in seeds {
        println!("interruptions seeded with STORELINK_TEST_SEED={seed}");
        let app = spawn_app_without_sync().await;
        // Exports take up to a second, so interruptions fall while Shopify exports, while a file
        // downloads and mid-import.
        app.emulator_post("/shops/big/bulk", json!({"objects_per_second": 2000})).await;
        let (store, job) = register(&app, "big").await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let interruptions = 8;
        let mut seen = BTreeSet::new();
        for _ in 0..interruptions {
            let after = Duration::from_millis(rng.gen_range(20..400));
            let _ = tokio::time::timeout(after, app.engine.run_job(job)).await;
            seen.extend(stages(&checkpoint(&app, job).await));
        }
        app.engine.run_job(job).await.unwrap();
        assert_eq!(job_state(&app, job).await.0, "done", "seed {seed}");
        assert_exact_copy(&app, store, "big").await;
        // Five families, each exported once; an interruption between asking Shopify to export and
        // recording that it did can cost one export more.
        let exports = operations(&app, "big").await.len();
        println!("seed {seed}: stopped while {seen:?}; {exports} exports for 5 families");
        assert!((5..=5 + interruptions).contains(&exports), "seed {seed}: {exports} exports");
    }
}

#[tokio::test]
async fn a_result_file_whose_address_expired_is_exported_again() {
    let app = spawn_app_without_sync().await;
    app.emulator_post("/shops/big/bulk", json!({"url_ttl_secs": 3})).await;
    let (store, job) = register(&app, "big").await;
    run_until(&app, job, |checkpoint| stages(checkpoint).iter().any(|s| s == "downloading" || s == "mid-import")).await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, store, "big").await;
    let events = events(&app, job).await;
    assert!(events.iter().any(|e| e.contains("file's address expired; exporting again")), "{events:?}");
    assert!(operations(&app, "big").await.len() > 5, "the expired family was exported again");
}

#[tokio::test]
async fn a_download_that_breaks_off_goes_on_from_the_last_stored_line() {
    let app = spawn_app_without_sync().await;
    // Past the first batch of 1,000 lines, so a transaction has stored some of the file.
    app.shop_faults("big", json!({"cut_download_after": 700_000})).await;
    let (store, job) = register(&app, "big").await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, store, "big").await;
    let events = events(&app, job).await;
    assert!(events.iter().any(|e| e.starts_with("Retried the ") && e.ends_with("attempt 1")), "{events:?}");
    assert_eq!(operations(&app, "big").await.len(), 5, "the file was downloaded again, not exported again");
}

#[tokio::test]
async fn a_failed_export_keeps_what_it_wrote_and_the_rest_still_arrives() {
    let app = spawn_app_without_sync().await;
    // Every export stops after 100 objects, the second one too.
    app.shop_faults("big", json!({"bulk_fail_after": 100})).await;
    let (store, job) = register(&app, "big").await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, store, "big").await;
    let events = events(&app, job).await;
    let said = |words: &str| events.iter().any(|e| e.contains(words));
    assert!(said("stopped (internal_server_error); storing what it wrote, then exporting them again"), "{events:?}");
    assert!(said("stopped (internal_server_error); storing what it wrote, then paging through the rest"), "{events:?}");
    let failed = operations(&app, "big").await.iter().filter(|op| op["status"] == "FAILED").count();
    assert_eq!(failed, 10, "each of five families exported twice");
}

#[tokio::test]
async fn more_exports_than_shopify_runs_at_once_wait_their_turn() {
    let app = spawn_app_without_sync().await;
    // The first two are held before they start, so they are still exporting when the third is
    // asked for, however busy the machine is.
    app.emulator_post("/shops/big/bulk", json!({"concurrency": 2, "objects_per_second": 2000, "start_delay_ms": 3000}))
        .await;
    let (store, job) = register(&app, "big").await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, store, "big").await;
    let events = events(&app, job).await;
    assert!(events.iter().any(|e| e.contains("waits its turn")), "{events:?}");
    let operations = operations(&app, "big").await;
    assert_eq!(operations.len(), 5, "none refused and started again: {operations:?}");
    assert!(operations.iter().all(|op| op["status"] == "COMPLETED"));
}

#[tokio::test]
async fn a_permission_removed_while_shopify_exports_stops_the_store_in_words() {
    let app = spawn_app_without_sync().await;
    app.emulator_post("/shops/big/bulk", json!({"objects_per_second": 300})).await;
    let (store, job) = register(&app, "big").await;
    let remove = async {
        while !stages(&checkpoint(&app, job).await).iter().any(|s| s == "exporting") {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        app.shop_faults("big", json!({"removed_scopes": ["read_orders"]})).await;
    };
    let (ran, ()) = tokio::join!(app.engine.run_job(job), remove);
    ran.unwrap();
    let message = "the “Orders” permission was removed";
    assert_eq!(job_state(&app, job).await, ("failed".to_owned(), Some(message.to_owned())));
    let detail: Option<String> =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT state_detail FROM stores WHERE id = $1")
        .bind(store)
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(detail.as_deref(), Some(message));
}

#[tokio::test]
async fn a_product_with_150_variants_syncs_completely_by_bulk_and_by_pages() {
    let app = spawn_app_without_sync().await;
    let created = app.emulator_post("/shops/acme/products", json!({"variants": 150})).await;
    let product = created["product"]["id"].as_i64().unwrap();
    let (store, job) = register(&app, "acme").await;
    app.engine.run_job(job).await.unwrap();
    let variants = |app: &TestApp| {
        let pool = app.pool.clone();
        async move {
            let sql = "SELECT (SELECT COUNT(*) FROM synced_variants WHERE product_id = $1), variants FROM synced_products WHERE id = $1";
            storelink::db_run!(&pool, c => sqlx::query_as::<_, (i64, i64)>(sql).bind(product).fetch_one(&mut *c).await)
                .unwrap()
        }
    };
    assert_eq!(variants(&app).await, (150, 150), "after the full sync");
    assert_exact_copy(&app, store, "acme").await;

    // An incremental sync pages products with their first variants and asks for the rest.
    app.emulator_post(&format!("/shops/acme/products/{product}/update"), json!({"title": "Renamed"})).await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    app.post(&admin, "/api/sync/now", &[("store_id", &store.to_string())]).await;
    let next: JobId = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT MAX(id) FROM sync_jobs").fetch_one(&mut *c).await).unwrap();
    assert_ne!(next, job);
    app.engine.run_job(next).await.unwrap();
    assert_eq!(job_state(&app, next).await.0, "done");
    assert_eq!(variants(&app).await, (150, 150), "after the incremental sync");
    assert_exact_copy(&app, store, "acme").await;
}
