//! A WooCommerce store's first full sync over a slow site: 20,000 orders, 2,000 products (a
//! third of them variable, in three sizes) and 5,000 customers, every answer 250 ms late. A site
//! has no bulk export, so the sync's time is bound by its requests: the floor is requests × 250
//! ms ÷ the requests storelink keeps in flight per site. Reported: the time against that floor,
//! the peak memory above the idle server, the same sync of a tenth of the site one request at a
//! time and four at a time, and a sync whose host answers every fifth request 429.
//!
//! `cargo bench --bench woocommerce --features ssr [-- ORDERS]`

mod common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

const LATENCY_MS: u64 = 250;
const AT_ONCE: usize = 4;

/// Requests the emulator has answered so far.
async fn requests(emulator: &common::Emulator) -> u64 {
    let stats: Value = reqwest::get(format!("{}/_emulator/stats", emulator.url())).await.unwrap().json().await.unwrap();
    stats["requests"].as_u64().unwrap()
}

/// Registers a site of `orders` orders (and products and customers in the same proportion),
/// runs its first sync, and returns (seconds, requests, peak memory above idle in MB, state).
async fn first_sync(orders: u64, at_once: usize, faults: Value) -> (f64, u64, f64, String) {
    let site = json!({
        "orders": orders, "products": orders / 10, "customers": orders / 4, "seed": 8,
        "latency_ms": LATENCY_MS, "faults": faults,
    });
    let bench = common::start_woocommerce("bench.example.com", site, at_once).await;
    let job = bench.first_job().await;
    let before = requests(&bench.emulator).await;
    let started = Instant::now();
    bench.engine.run_job(job).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let made = requests(&bench.emulator).await - before;
    let (_, peak) = common::memory();
    let above_idle = peak.saturating_sub(bench.idle_memory) as f64 / 1e6;
    let state: String =
        storelink::db_run!(&bench.state.pool, c => sqlx::query_scalar("SELECT state FROM sync_jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&mut *c).await)
        .unwrap();
    (seconds, made, above_idle, state)
}

fn floor(requests: u64, at_once: usize) -> f64 {
    requests as f64 * Duration::from_millis(LATENCY_MS).as_secs_f64() / at_once as f64
}

#[tokio::main]
async fn main() {
    let orders: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);

    let (seconds, made, memory, state) = first_sync(orders, AT_ONCE, json!({})).await;
    let floor_secs = floor(made, AT_ONCE);
    println!(
        "full sync of {orders} orders, {} products, {} customers at {LATENCY_MS} ms a request, {AT_ONCE} at once: \
         {seconds:.1} s, {made} requests, floor {floor_secs:.1} s → {:.2}× the floor (goal ≤ 1.15×); \
         peak memory {memory:.0} MB above idle (goal ≤ 100 MB); job {state}",
        orders / 10,
        orders / 4,
        seconds / floor_secs,
    );

    let small = orders / 10;
    let (one_secs, one_made, _, one_state) = first_sync(small, 1, json!({})).await;
    let (four_secs, four_made, _, four_state) = first_sync(small, AT_ONCE, json!({})).await;
    println!(
        "a tenth of the site ({small} orders): one request at a time {one_secs:.1} s ({one_made} requests, {:.2}× its floor, {one_state}); \
         {AT_ONCE} at a time {four_secs:.1} s ({four_made} requests, {:.2}× its floor, {four_state}) → {:.2}× faster",
        one_secs / floor(one_made, 1),
        four_secs / floor(four_made, AT_ONCE),
        one_secs / four_secs,
    );

    let faults = json!({"host_429_every": 5, "host_429_retry_after_secs": 1});
    let (busy_secs, busy_made, _, busy_state) = first_sync(small, AT_ONCE, faults).await;
    println!(
        "a tenth of the site with the host answering every fifth request 429: {busy_secs:.1} s, {busy_made} requests, job {busy_state} (goal: done)"
    );
}
