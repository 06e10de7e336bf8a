//! A BigCommerce store's first full sync inside its request quota: 20,000 orders (a twentieth
//! with more than 50 lines, a twentieth shipping to two addresses), 2,000 products of 3
//! variants, 5,000 customers and 4 locations, on the Standard plan (150 requests per 30 s shared
//! by every app), every answer 100 ms late. The floor is the fewest requests the facts allow for
//! that data (each list read 250 a page, plus one `/products` call for each order whose
//! consignments are cut at 50 lines) at the quota's rate; a stricter one is reported too, less
//! the whole window a sync may begin with.
//! Reported: the time against that floor, the requests made against the fewest, 429s met, the
//! peak memory above the idle server, and what a naive walk (one `/products` call per order)
//! would take at the same rate.
//!
//! `cargo bench --bench bigcommerce --features ssr [-- ORDERS]`

mod common;

use std::time::Instant;

use serde_json::{json, Value};

const QUOTA: f64 = 150.0;
const WINDOW_SECS: f64 = 30.0;
const PAGE: u64 = 250;

fn pages(n: u64) -> u64 {
    n.div_ceil(PAGE).max(1)
}

#[tokio::main]
async fn main() {
    let orders: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let (products, variants, customers, locations) = (orders / 10, 3, orders / 4, 4);
    let store = json!({
        "orders": orders, "products": products, "variants": variants, "customers": customers,
        "locations": locations, "seed": 21, "latency_ms": 100, "plan": "standard",
        "big_orders_share": 0.05, "two_address_share": 0.05,
    });
    let bench = common::start_bigcommerce("benchbc", store).await;
    let job = bench.first_job().await;
    let log_before = requests(&bench.emulator).await.len();
    let started = Instant::now();
    bench.engine.run_job(job).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let (_, peak) = common::memory();
    let above_idle = peak.saturating_sub(bench.idle_memory) as f64 / 1e6;
    let state: String =
        storelink::db_run!(&bench.state.pool, c => sqlx::query_scalar("SELECT state FROM sync_jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&mut *c).await)
        .unwrap();

    let log = requests(&bench.emulator).await;
    let made = &log[log_before.min(log.len())..];
    let throttled = made.iter().filter(|(_, status)| *status == 429).count();
    let cut_short = made
        .iter()
        .filter(|(path, _)| {
            path.split('?').next().unwrap_or_default().ends_with("/products") && path.contains("/v2/orders/")
        })
        .count() as u64;
    // The fewest the facts allow: every list 250 a page (products with their variants, every
    // variant's inventory item with its levels at each location), the store's details and
    // locations, and one `/products` call for each order cut at 50 lines.
    let fewest = pages(orders) + pages(products) + pages(products * variants) + pages(customers) + 2 + cut_short;
    let rate = QUOTA / WINDOW_SECS;
    // The floor: the fewest requests at the quota's rate. Stricter: a sync that begins
    // with a whole window spends it at once, so only the rest waits for the rate.
    let floor = fewest as f64 / rate;
    let floor_strict = (fewest as f64 - QUOTA).max(0.0) / rate;
    // Against the quota less the reserve storelink leaves the store's other apps, too.
    let usable = QUOTA - (QUOTA / 30.0).max(3.0);
    let floor_reserved = (fewest as f64 - usable).max(0.0) / (usable / WINDOW_SECS);
    let naive = (fewest - cut_short + orders) as f64 - QUOTA;
    println!(
        "full sync of {orders} orders, {products} products of {variants} variants, {customers} customers, {locations} locations \
         at 150 requests per 30 s and 100 ms an answer: {seconds:.1} s; {} requests against the fewest {fewest} \
         ({cut_short} orders cut at 50 lines); floor {floor:.1} s → {:.2}× (goal ≤ 1.1×); {:.2}× the stricter floor of a sync that \
         begins with a whole window ({floor_strict:.1} s), {:.2}× that of the quota less the reserve left to \
         other apps ({floor_reserved:.1} s); {throttled} answered 429; \
         peak memory {above_idle:.0} MB above idle; job {state}",
        made.len(),
        seconds / floor.max(1.0),
        seconds / floor_strict.max(1.0),
        seconds / floor_reserved.max(1.0),
    );
    println!(
        "a naive walk (one /products call per order) needs {} requests: {:.0} s at the same rate ({:.1}× this sync)",
        fewest - cut_short + orders,
        naive / rate,
        (naive / rate) / seconds,
    );
}

/// Every request the emulator logged so far: its path and status.
async fn requests(emulator: &common::Emulator) -> Vec<(String, u16)> {
    let log: Value = reqwest::get(format!("{}/_emulator/requests?limit=100000", emulator.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["path"].as_str().unwrap_or_default().to_owned(), r["status"].as_u64().unwrap_or(0) as u16))
        .collect()
}
