//! How fast a bulk file of orders goes into SQLite, without the network: the emulator's JSONL
//! export of orders with their line items (children on their own lines, joined to their order by
//! `__parentId`) split into lines, parsed and stored in batches of 1,000 lines (columns read from
//! the JSON, raw JSON kept compressed, newest wins, each order counting its items), one
//! transaction each, committed as a sync commits (not waiting for the disk, as SQLite's
//! `synchronous = NORMAL` does not), each batch prepared on a thread of its own while the one
//! before is stored, as a full sync imports it; against a baseline in the same run of inserting
//! the same lines alone, as plain text, unparsed, one row per statement.
//!
//! With `STORELINK_TEST_DATABASE_URL` naming a PostgreSQL server (as for the tests), the same
//! rounds also run on PostgreSQL, interleaved with SQLite's (each going first in turn), and the
//! median of the rounds' ratios is printed.
//!
//! Run: `cargo bench --bench ingest --features ssr`, or on both databases:
//! `pg_virtualenv sh -c 'STORELINK_TEST_DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@$PGHOST:${PGPORT:-5432}/$PGDATABASE" cargo bench --bench ingest --features ssr'`

use std::time::Instant;

use serde_json::{json, value::RawValue};
use storelink::{
    db,
    ids::StoreId,
    platforms::shopify::{queries, reader},
    records::repo::{prepare, store},
};

mod common;

const ORDERS: usize = 20_000;
/// Lines a transaction, as the import commits them.
const BATCH: usize = 1000;
/// Each round starts from an empty database; the median keeps one slow round from deciding the
/// figure.
const ROUNDS: usize = 7;

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

    let postgres = std::env::var_os("STORELINK_TEST_DATABASE_URL").is_some();
    let (mut baseline, mut imports, mut pg_baseline, mut pg_imports) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut ratios = Vec::new();
    for n in 0..ROUNDS {
        // The databases take turns going first, so neither always meets the machine warmer.
        let mut databases = if postgres { vec![false, true] } else { vec![false] };
        if n % 2 == 1 {
            databases.reverse();
        }
        for on_postgres in databases {
            let (raw, ours) = round(&lines, on_postgres).await;
            let (baseline, imports) =
                if on_postgres { (&mut pg_baseline, &mut pg_imports) } else { (&mut baseline, &mut imports) };
            baseline.push(raw);
            imports.push(ours);
        }
        if postgres {
            ratios.push(pg_imports[n] / imports[n]);
        }
    }
    let per_order = lines.len() as f64 / orders as f64;
    let report = |name: &str, baseline: Vec<f64>, imports: Vec<f64>| {
        let (baseline, imports) = (median(baseline), median(imports));
        println!(
            "ingest into {name}: {:.0} orders/s ({imports:.0} lines/s, {per_order:.1} lines an order, {:.1} MB) parsed, \
             joined and stored in batches of {BATCH}; raw inserts alone {baseline:.0} lines/s; ratio {:.2} (medians of \
             {ROUNDS} rounds)",
            imports / per_order,
            file.len() as f64 / 1e6,
            imports / baseline
        );
    };
    report("SQLite", baseline, imports);
    if postgres {
        report("PostgreSQL", pg_baseline, pg_imports);
        // Each round's pair ran back to back, so their ratio is free of the machine's drift
        // from one round to the next, which moves both rates by a fifth or more.
        let (lowest, highest) =
            (ratios.iter().copied().fold(f64::MAX, f64::min), ratios.iter().copied().fold(0.0, f64::max));
        let each: Vec<String> = ratios.iter().map(|ratio| format!("{ratio:.2}")).collect();
        println!(
            "PostgreSQL against SQLite, orders/s: {:.2} (median of the {ROUNDS} rounds' ratios, {lowest:.2}–{highest:.2}: {})",
            median(ratios),
            each.join(" ")
        );
    }
}

/// One round in a fresh database: lines per second for the baseline, then for the import.
/// Before each is timed, `sync` writes out what the kernel still holds of earlier writes, so
/// neither pays for the other's disk traffic.
async fn round(lines: &[&[u8]], postgres: bool) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let url = if postgres { db::scratch_url(dir.path()).await } else { db::sqlite_url_in(dir.path()) };
    let pool = db::connect(&url).await.unwrap();
    storelink::db_run!(&pool, c => sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at, organization_id) VALUES (1, 'shopify', 'I', 'i.myshopify.com', 'connected', 0, 1)")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    storelink::db_run!(&pool, c => sqlx::query("CREATE TABLE baseline (store_id BIGINT, line BIGINT, raw TEXT, PRIMARY KEY (store_id, line))")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();

    flush_disk();
    let started = Instant::now();
    for (n, batch) in lines.chunks(BATCH).enumerate() {
        let mut tx = pool.begin().await.unwrap();
        for (i, line) in batch.iter().enumerate() {
            storelink::db_run!(&mut tx, c => sqlx::query(
                "INSERT INTO baseline (store_id, line, raw) VALUES (1, $1, $2)
                 ON CONFLICT (store_id, line) DO UPDATE SET raw = excluded.raw",
            )
            .bind((n * BATCH + i) as i64)
            .bind(std::str::from_utf8(line).unwrap())
            .execute(&mut *c)
            .await
            .map(|done| done.rows_affected()))
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let baseline = lines.len() as f64 / started.elapsed().as_secs_f64();

    let file: Vec<Vec<u8>> = lines.iter().map(|line| line.to_vec()).collect();
    flush_disk();
    let started = Instant::now();
    // As the import does: the next batch is read on a thread of its own while the last is stored.
    let (ahead, mut batches) = tokio::sync::mpsc::channel(1);
    let reader = tokio::task::spawn_blocking(move || {
        for batch in file.chunks(BATCH) {
            let parsed: Vec<Box<RawValue>> =
                batch.iter().map(|l| RawValue::from_string(String::from_utf8(l.clone()).unwrap()).unwrap()).collect();
            let refs: Vec<&RawValue> = parsed.iter().map(|l| l.as_ref()).collect();
            if ahead
                .blocking_send(
                    {
                        let now = db::now();
                        prepare(StoreId(1), reader::read_lines(&refs, now), now, postgres)
                    }
                    .unwrap(),
                )
                .is_err()
            {
                return;
            }
        }
    });
    while let Some(prepared) = batches.recv().await {
        let mut tx = pool.begin_async_commit().await.unwrap();
        assert!(store(&mut tx, prepared).await.unwrap().refused.is_empty());
        tx.commit().await.unwrap();
    }
    reader.await.unwrap();
    let stored = started.elapsed();
    let miscounted: i64 = storelink::db_run!(&pool, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM synced_orders o WHERE items <>
           (SELECT COALESCE(SUM(quantity), 0) FROM synced_order_lines l WHERE l.store_id = o.store_id AND l.order_id = o.id)",
    )
    .fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!(miscounted, 0, "every order counts its line items");
    (baseline, lines.len() as f64 / stored.as_secs_f64())
}

fn flush_disk() {
    assert!(std::process::Command::new("sync").status().unwrap().success());
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}
