//! An incremental sync ("Sync now") of 2,000 orders changed since the last sync, against the
//! emulator (its own process) with GraphQL's standard limits (a bucket of 2,000 points restoring
//! 100 a second) and 50 ms latency, webhooks off so the sync alone finds the changes. Reported:
//! the wall time against the cost floor (the points Shopify charged beyond the full bucket the
//! sync started with, at the restore rate), the THROTTLED answers, and the requests by endpoint.
//! Goal: at most 1.1 times the floor, none throttled.
//!
//! Run: `cargo bench --bench incremental --features ssr` (or `-- 500` for 500 changed orders).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use storelink::jobs::Progress;

mod common;

const BUCKET: f64 = 2000.0;
const RESTORE_RATE: f64 = 100.0;

#[tokio::main]
async fn main() {
    let changed: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2000);
    let bench = common::start(
        "bench",
        json!({"plan": "standard", "locations": 2, "products": 500, "variants": 3, "customers": 2000,
               "orders": 10_000, "seed": 12, "latency_ms": 50}),
    )
    .await;
    let (state, emulator) = (&bench.state, &bench.emulator);
    bench.engine.run_job(bench.first_job().await).await.unwrap();

    // No webhooks: Shopify's deliveries would refresh the orders before the sync looks.
    let http = reqwest::Client::new();
    common::remove_webhooks(emulator, "bench").await;
    let ids: Vec<i64> =
        storelink::db_run!(&state.pool, c => sqlx::query_scalar("SELECT id FROM synced_orders ORDER BY id LIMIT $1")
        .bind(changed as i64)
        .fetch_all(&mut *c).await)
        .unwrap();
    for id in &ids {
        let path = format!("{}/_emulator/shops/bench/orders/{id}/update", emulator.url());
        http.post(path).json(&json!({"note": "changed"})).send().await.unwrap();
    }
    // The bucket fills up again, as it would between syncs.
    tokio::time::sleep(Duration::from_secs_f64(BUCKET / RESTORE_RATE + 1.0)).await;

    let stats = || async {
        http.get(format!("{}/_emulator/stats", emulator.url())).send().await.unwrap().json::<Value>().await.unwrap()
    };
    let before = stats().await;
    storelink::sync::queue_now(&state.pool, &bench.admin, bench.store).await.unwrap();
    let job = storelink::db_run!(&state.pool, c => sqlx::query_scalar("SELECT MAX(id) FROM sync_jobs").fetch_one(&mut *c).await).unwrap();
    let started = Instant::now();
    bench.engine.run_job(job).await.unwrap();
    let wall = started.elapsed().as_secs_f64();
    let after = stats().await;

    let points = after["graphql_points"].as_f64().unwrap() - before["graphql_points"].as_f64().unwrap();
    let throttled = after["throttled"].as_u64().unwrap() - before["throttled"].as_u64().unwrap();
    let floor = (points - BUCKET).max(0.0) / RESTORE_RATE;
    let (outcome, progress): (String, String) =
        storelink::db_run!(&state.pool, c => sqlx::query_as("SELECT state, progress FROM sync_jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&mut *c).await)
        .unwrap();
    let progress: Progress = serde_json::from_str(&progress).unwrap();
    let fetched = progress.resources.get("orders").map_or(0, |c| c.done);
    let mut requests = serde_json::Map::new();
    for (endpoint, n) in after["by_endpoint"].as_object().unwrap() {
        let n = n.as_u64().unwrap() - before["by_endpoint"][endpoint].as_u64().unwrap_or(0);
        if n > 0 {
            requests.insert(endpoint.clone(), n.into());
        }
    }
    println!(
        "incremental sync of {changed} changed orders: job {outcome}, {fetched} orders fetched; {wall:.1} s against a \
         cost floor of {floor:.1} s ({points:.0} points, bucket {BUCKET}, {RESTORE_RATE} a second): ratio {:.3}; \
         {throttled} throttled; requests by endpoint: {}",
        if floor > 0.0 { wall / floor } else { f64::NAN },
        Value::Object(requests),
    );
    assert_eq!(outcome, "done");
    assert!(fetched >= changed as i64, "every changed order was fetched");
}
