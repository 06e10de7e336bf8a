//! How fast synced orders go into SQLite, without the network: pages of 250 orders upserted
//! (columns read from the JSON, raw JSON kept compressed, newest wins) in one transaction each,
//! against a baseline in the same run of inserting the same raw JSON alone, as plain text,
//! unparsed, one row per statement.
//!
//! Run: `cargo bench --bench ingest --features ssr`

use std::time::Instant;

use serde_json::{json, value::RawValue};
use storelink::{
    db,
    ids::StoreId,
    records::{repo::upsert, Resource},
};
use storelink_emulator::{config::Config, data::ShopData};

const ORDERS: usize = 20_000;
const PAGE: usize = 250;
/// Each round starts from an empty database; the median keeps one slow round from deciding the
/// figure.
const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let config = Config::from_json(
        &json!({"shops": [{"handle": "ingest", "access_token": "t", "scopes": [], "locations": 2, "products": 500,
                            "customers": 2000, "orders": ORDERS, "seed": 3}]})
        .to_string(),
    )
    .unwrap();
    let data = ShopData::generate(&config.shops[0], storelink_emulator::unix_now());
    let orders: Vec<Box<RawValue>> = data
        .orders
        .values()
        .map(|o| {
            let mut text = Vec::new();
            data.write_order(o, &mut text);
            RawValue::from_string(String::from_utf8(text).unwrap()).unwrap()
        })
        .collect();
    let ids: Vec<i64> = data.orders.keys().map(|id| *id as i64).collect();

    let (mut baseline, mut upserts) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (raw, ours) = round(&orders, &ids).await;
        baseline.push(raw);
        upserts.push(ours);
    }
    let (baseline, upserts) = (median(baseline), median(upserts));
    println!(
        "ingest: {upserts:.0} orders/s upserted in pages of {PAGE}; raw inserts alone {baseline:.0}/s; ratio {:.2} \
         (medians of {ROUNDS} rounds)",
        upserts / baseline
    );
}

/// One round in a fresh database: orders per second for the baseline, then for the upsert.
/// Before each is timed, `sync` writes out what the kernel still holds of earlier writes, so
/// neither pays for the other's disk traffic.
async fn round(orders: &[Box<RawValue>], ids: &[i64]) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let pool = db::connect(&db::sqlite_url_in(dir.path())).await.unwrap();
    sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at) VALUES (1, 'shopify', 'I', 'i.myshopify.com', 'connected', 0)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE baseline (store_id INTEGER, id INTEGER, raw TEXT, PRIMARY KEY (store_id, id))")
        .execute(&pool)
        .await
        .unwrap();

    flush_disk();
    let started = Instant::now();
    for (page, ids) in orders.chunks(PAGE).zip(ids.chunks(PAGE)) {
        let mut tx = pool.begin().await.unwrap();
        for (order, id) in page.iter().zip(ids) {
            sqlx::query("INSERT OR REPLACE INTO baseline (store_id, id, raw) VALUES (1, ?, ?)")
                .bind(id)
                .bind(order.get())
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let baseline = orders.len() as f64 / started.elapsed().as_secs_f64();

    flush_disk();
    let started = Instant::now();
    for page in orders.chunks(PAGE) {
        let mut tx = pool.begin().await.unwrap();
        let page: Vec<&RawValue> = page.iter().map(|o| o.as_ref()).collect();
        assert!(upsert(&mut tx, StoreId(1), Resource::Orders, &page).await.unwrap().refused.is_empty());
        tx.commit().await.unwrap();
    }
    (baseline, orders.len() as f64 / started.elapsed().as_secs_f64())
}

fn flush_disk() {
    assert!(std::process::Command::new("sync").status().unwrap().success());
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}
