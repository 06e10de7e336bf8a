//! A full sync by bulk operations: a store of 100,000 orders (with their line items and
//! fulfillment orders), 10,000 products of 3 variants and 20,000 customers, from REGISTER to the
//! job's end, against the emulator (its own process) with 100 ms latency and GraphQL's standard
//! limits (100 points/s). Also reported: the import rate of the orders' file (from its first
//! stored batch to its last), the server's peak memory above idle, and the requests Shopify
//! saw, by endpoint, to show there is no REST call.
//!
//! Run: `cargo bench --bench sync --features ssr` (Shopify's export instant), or
//! `-- 100000 2000` for an export of 2,000 objects a second, or `-- 10000` for a smaller store.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use storelink::jobs::{Phase, Progress};

mod common;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let orders: usize = args.first().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let export_rate: f64 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0.0);
    let bench = common::start(
        "bench",
        json!({"plan": "standard", "locations": 2, "products": orders / 10, "variants": 3, "customers": orders / 5,
               "orders": orders, "seed": 11, "latency_ms": 100,
               "bulk": {"objects_per_second": export_rate, "start_delay_ms": 0}}),
    )
    .await;
    let (state, store, emulator) = (&bench.state, bench.store, &bench.emulator);
    let job = bench.first_job().await;

    // The orders' import, as the job's saved progress shows it, sampled every 20 ms.
    let pool = state.pool.clone();
    let watcher = tokio::spawn(async move {
        let mut first = None::<(Instant, i64)>;
        loop {
            let progress: String =
                storelink::db_run!(&pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE id = $1")
                .bind(job)
                .fetch_one(&mut *c).await)
                .unwrap();
            let progress: Progress = serde_json::from_str(&progress).unwrap_or_default();
            if let Some(count) = progress.resources.get("orders") {
                if count.done > 0 && first.is_none() {
                    first = Some((Instant::now(), count.done));
                }
                if count.phase == Some(Phase::Done) {
                    return (first, Some((Instant::now(), count.done)));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    bench.engine.run_job(job).await.unwrap();
    let wall = bench.registering.elapsed().as_secs_f64();
    let (_, peak) = common::memory();
    let (first, last) = tokio::time::timeout(Duration::from_secs(5), watcher).await.unwrap().unwrap();

    let outcome: String =
        storelink::db_run!(&state.pool, c => sqlx::query_scalar("SELECT state FROM sync_jobs WHERE id = $1").bind(job).fetch_one(&mut *c).await).unwrap();
    let count = |table: &str| {
        let pool = state.pool.clone();
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE store_id = $1");
        async move {
            storelink::db_run!(&pool, c => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(store).fetch_one(&mut *c).await).unwrap()
        }
    };
    let stats: Value = reqwest::get(format!("{}/_emulator/stats", emulator.url())).await.unwrap().json().await.unwrap();
    let import = match (first, last) {
        (Some((from, at_first)), Some((to, at_last))) if to > from => {
            format!("{:.0} orders/s", (at_last - at_first) as f64 / (to - from).as_secs_f64())
        }
        _ => "too quick to sample".into(),
    };
    println!(
        "full sync: {orders} orders ({} line items, {} fulfillment orders), {} products, {} variants, {} customers; \
         job {outcome}; REGISTER to done {wall:.1} s (Shopify's export {}); orders imported at {import}; peak memory \
         {:.0} MB above idle; {} GraphQL points, {} throttled; requests by endpoint: {}",
        count("synced_order_lines").await,
        count("synced_fulfillment_orders").await,
        count("synced_products").await,
        count("synced_variants").await,
        count("synced_customers").await,
        if export_rate > 0.0 { format!("{export_rate} objects/s") } else { "instant".into() },
        peak.saturating_sub(bench.idle_memory) as f64 / 1e6,
        stats["graphql_points"],
        stats["throttled"],
        stats["by_endpoint"],
    );
    assert_eq!(count("synced_orders").await, orders as i64, "every order is stored");
}
