//! A full REST sync of a 100,000-order store (10,000 products, 20,000 customers) against the
//! emulator with 100 ms latency, timed against the rate-limit floor: (requests − bucket) / leak,
//! the least time any client can take under that plan.
//!
//! Run: `cargo bench --bench sync --features ssr -- standard` (bucket 40, 2/s: about 6 minutes)
//! or `-- plus` (bucket 400, 20/s). Smaller stores for a quick look: `-- standard 10000`.

use std::time::Instant;

use serde_json::{json, Value};

mod common;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let plan = args.first().cloned().unwrap_or_else(|| "standard".into());
    let orders: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let (bucket, leak) = match plan.as_str() {
        "plus" => (400.0, 20.0),
        _ => (40.0, 2.0),
    };
    let bench = common::start(
        "bench",
        json!({"plan": plan, "locations": 2, "products": orders / 10, "customers": orders / 5, "orders": orders,
               "seed": 11, "latency_ms": 100}),
    )
    .await;
    let (state, store, emulator) = (&bench.state, bench.store, &bench.emulator);
    let job = bench.first_job().await;

    let http = reqwest::Client::new();
    let stats = || async {
        http.get(format!("{}/_emulator/stats", emulator.url())).send().await.unwrap().json::<Value>().await.unwrap()
    };
    // The bucket refills while registration's calls are forgotten, so the sync starts with it empty.
    tokio::time::sleep(std::time::Duration::from_secs_f64(bucket / leak)).await;
    let before = stats().await;
    let started = Instant::now();
    bench.engine.run_job(job).await.unwrap();
    let wall = started.elapsed().as_secs_f64();
    let after = stats().await;

    let outcome: String =
        sqlx::query_scalar("SELECT state FROM sync_jobs WHERE id = ?").bind(job).fetch_one(&state.pool).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM synced_orders WHERE store_id = ?")
        .bind(store)
        .fetch_one(&state.pool)
        .await
        .unwrap();
    let requests = after["requests"].as_f64().unwrap() - before["requests"].as_f64().unwrap();
    let throttled = after["throttled"].as_f64().unwrap() - before["throttled"].as_f64().unwrap();
    let floor = ((requests - bucket) / leak).max(0.0);
    println!(
        "sync ({plan}: bucket {bucket}, {leak}/s, 100 ms latency): {orders} orders, job {outcome}, {stored} stored; \
         {requests} requests, {throttled} answered 429; {wall:.1} s against a floor of {floor:.1} s; ratio {:.3}",
        wall / floor
    );
}
