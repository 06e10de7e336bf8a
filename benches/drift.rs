//! The drift check of one Shopify store of 100,000 orders (made within 60 days, so most await
//! shipping), synced: the requests and time it takes when nothing differs, and when storelink
//! has lost three orders awaiting shipment (deleted from its records, as a lost page or delivery
//! would), against the requests a naive check makes (listing every order awaiting shipment, 250
//! a request). Goal (issue 31): at most 5 requests when nothing differs.
//!
//! `cargo bench --bench drift --features ssr [-- ORDERS]`

mod common;

use std::time::Instant;

use serde_json::json;
use storelink::{
    ids::StoreId,
    records::{model::Gone, repo as records},
};

#[tokio::main]
async fn main() {
    let orders: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let shops = [(
        "drift".to_owned(),
        json!({"plan": "plus", "locations": 2, "products": 50, "customers": 500, "orders": orders,
               "order_days": 60, "seed": 5}),
    )];
    let bench = common::start_shops(&shops).await;
    let syncing = Instant::now();
    bench.engine.run_job(bench.first_job().await).await.unwrap();
    println!("{orders} orders synced in {:.1} s", syncing.elapsed().as_secs_f64());
    let (agreed, spent) = check(&bench, "nothing differs").await;
    assert!(agreed.unresolved.is_empty() && agreed.platform_count == agreed.storelink_count);
    assert!(spent <= 5, "{spent} requests when nothing differs");

    // Three orders awaiting shipment lost from storelink's records.
    let lost: Vec<i64> = records::census_ids(
        &bench.state.pool,
        bench.store,
        storelink::platforms::Platforms::census_rule(storelink::platforms::Platform::Shopify),
        0,
        i64::MAX,
    )
    .await
    .unwrap()
    .into_iter()
    .step_by(agreed.platform_count as usize / 3 + 1)
    .take(3)
    .collect();
    let mut conn = bench.state.pool.begin().await.unwrap();
    for id in &lost {
        records::delete(&mut conn, StoreId(bench.store.0), Gone::Order(*id)).await.unwrap();
    }
    conn.commit().await.unwrap();
    let (repaired, spent) = check(&bench, "three orders lost").await;
    assert!(repaired.unresolved.is_empty() && repaired.fetched_again == 3, "{repaired:?}");
    let naive = (agreed.platform_count as u64).div_ceil(250) + 1;
    println!(
        "a naive check lists every order awaiting shipment: {naive} requests; this one {spent} ({:.1}× fewer)",
        naive as f64 / spent as f64
    );
}

/// Requests the emulator has had.
async fn requests(bench: &common::Bench) -> u64 {
    let stats: serde_json::Value =
        reqwest::get(format!("{}/_emulator/stats", bench.emulator.url())).await.unwrap().json().await.unwrap();
    stats["requests"].as_u64().unwrap()
}

/// Checks the store, saying what it cost and found.
async fn check(bench: &common::Bench, label: &str) -> (storelink::drift::DriftCheck, u64) {
    let before = requests(bench).await;
    let started = Instant::now();
    let checked = bench.engine.check_drift(bench.store).await.unwrap().unwrap();
    let took = started.elapsed().as_secs_f64();
    let spent = requests(bench).await - before;
    println!(
        "{label}: {spent} requests, {took:.2} s; the store says {} await shipping, storelink has {}; {} fetched again, {} still differ",
        checked.platform_count,
        checked.storelink_count,
        checked.fetched_again,
        checked.drift()
    );
    (checked, spent)
}
