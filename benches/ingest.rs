//! How fast a bulk file of orders goes into SQLite, without the network: the emulator's JSONL
//! export of orders with their line items (children on their own lines, joined to their order by
//! `__parentId`) split into lines, parsed and stored in batches of 1,000 lines (columns read from
//! the JSON, raw JSON kept compressed, newest wins), one transaction each, as a full sync imports
//! it; against a baseline in the same run of inserting the same lines alone, as plain text,
//! unparsed, one row per statement.
//!
//! Run: `cargo bench --bench ingest --features ssr`

use std::time::Instant;

use serde_json::{json, value::RawValue};
use storelink::{
    db,
    ids::StoreId,
    records::repo::{refresh_aggregates, store},
    shopify::queries,
};

mod common;

const ORDERS: usize = 20_000;
/// Lines a transaction, as the import commits them.
const BATCH: usize = 1000;
/// Each round starts from an empty database; the median keeps one slow round from deciding the
/// figure.
const ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let bench = common::start(
        "ingest",
        json!({"locations": 2, "products": 500, "customers": 2000, "orders": ORDERS, "seed": 3,
               "bulk": {"objects_per_second": 0, "start_delay_ms": 0}}),
    )
    .await;
    let file = common::bulk_file(&bench.emulator, "ingest", queries::BULK_ORDERS).await;
    let lines: Vec<&[u8]> = file.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let orders = lines.iter().filter(|l| !l.windows(12).any(|w| w == b"\"__parentId\"")).count();
    assert_eq!(orders, ORDERS, "every order is in the file once");

    let (mut baseline, mut imports) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (raw, ours) = round(&lines).await;
        baseline.push(raw);
        imports.push(ours);
    }
    let (baseline, imports) = (median(baseline), median(imports));
    let per_order = lines.len() as f64 / orders as f64;
    println!(
        "ingest: {:.0} orders/s ({imports:.0} lines/s, {per_order:.1} lines an order, {:.1} MB) parsed, joined and \
         stored in batches of {BATCH}; raw inserts alone {baseline:.0} lines/s; ratio {:.2} (medians of {ROUNDS} rounds)",
        imports / per_order,
        file.len() as f64 / 1e6,
        imports / baseline
    );
}

/// One round in a fresh database: lines per second for the baseline, then for the import.
/// Before each is timed, `sync` writes out what the kernel still holds of earlier writes, so
/// neither pays for the other's disk traffic.
async fn round(lines: &[&[u8]]) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let pool = db::connect(&db::sqlite_url_in(dir.path())).await.unwrap();
    sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at) VALUES (1, 'shopify', 'I', 'i.myshopify.com', 'connected', 0)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE baseline (store_id INTEGER, line INTEGER, raw TEXT, PRIMARY KEY (store_id, line))")
        .execute(&pool)
        .await
        .unwrap();

    flush_disk();
    let started = Instant::now();
    for (n, batch) in lines.chunks(BATCH).enumerate() {
        let mut tx = pool.begin().await.unwrap();
        for (i, line) in batch.iter().enumerate() {
            sqlx::query("INSERT OR REPLACE INTO baseline (store_id, line, raw) VALUES (1, ?, ?)")
                .bind((n * BATCH + i) as i64)
                .bind(std::str::from_utf8(line).unwrap())
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let baseline = lines.len() as f64 / started.elapsed().as_secs_f64();

    flush_disk();
    let started = Instant::now();
    for batch in lines.chunks(BATCH) {
        let parsed: Vec<Box<RawValue>> =
            batch.iter().map(|l| RawValue::from_string(String::from_utf8(l.to_vec()).unwrap()).unwrap()).collect();
        let refs: Vec<&RawValue> = parsed.iter().map(|l| l.as_ref()).collect();
        let mut tx = pool.begin().await.unwrap();
        assert!(store(&mut tx, StoreId(1), &refs, db::now()).await.unwrap().refused.is_empty());
        tx.commit().await.unwrap();
    }
    let mut tx = pool.begin().await.unwrap();
    refresh_aggregates(&mut tx, StoreId(1), None).await.unwrap();
    tx.commit().await.unwrap();
    (baseline, lines.len() as f64 / started.elapsed().as_secs_f64())
}

fn flush_disk() {
    assert!(std::process::Command::new("sync").status().unwrap().success());
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}
