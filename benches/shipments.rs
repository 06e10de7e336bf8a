//! 2,000 shipments posted through the API for one store, written back to the emulator (its own
//! process) on GraphQL's standard limits (a bucket of 2,000 points restoring 100 a second) with
//! 50 ms latency, webhooks off. Reported: the time from the first POST until every shipment is
//! sent, against the cost floor (the points Shopify charged beyond the full bucket, at the
//! restore rate); duplicates in Shopify (fulfillments per fulfillment order); and the API's
//! answer times (p50, p99) for the POSTs and for reading shipments while the sender drains.
//! Goal: at most 1.1 times the floor, no duplicate.
//!
//! Run: `cargo bench --bench shipments --features ssr` (or `-- 500` for 500 shipments).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

mod common;

const BUCKET: f64 = 2000.0;
const RESTORE_RATE: f64 = 100.0;
/// Label software posting from this many stations at once.
const STATIONS: usize = 8;
/// Shipments in the one batch posted at the end.
const BATCH: usize = 1000;

#[tokio::main]
async fn main() {
    let count: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2000);
    let bench = common::start(
        "bench",
        json!({"plan": "standard", "locations": 2, "products": 200, "customers": 2000, "orders": 14000, "seed": 21,
               "order_days": 60,
               "latency_ms": 50,
               "scopes": ["read_orders", "read_all_orders", "read_products", "read_customers", "read_locations",
                          "read_inventory", "read_merchant_managed_fulfillment_orders",
                          "write_merchant_managed_fulfillment_orders"]}),
    )
    .await;
    let (state, emulator) = (&bench.state, &bench.emulator);
    bench.engine.run_job(bench.first_job().await).await.unwrap();
    let http = reqwest::Client::new();
    // No webhooks: refreshing what they announce would spend points of its own.
    common::remove_webhooks(emulator, "bench").await;
    // Open fulfillment orders: each shipment ships what remains of one, naming its lines.
    let rows: Vec<(i64, i64, i64, i64)> = storelink::db_run!(&state.pool, c => sqlx::query_as(
        "SELECT fo.order_id, fo.id, l.line_item_id, l.remaining_quantity
         FROM synced_fulfillment_orders fo
         JOIN synced_fulfillment_order_lines l ON l.store_id = fo.store_id AND l.fulfillment_order_id = fo.id
         WHERE fo.status = 'OPEN' AND l.remaining_quantity > 0
         ORDER BY fo.id, l.id",
    )
    .fetch_all(&mut *c).await)
    .unwrap();
    let mut parcels: Vec<(i64, Vec<Value>)> = Vec::new();
    let mut last_fo = None;
    for (order, fo, item, remaining) in rows {
        if last_fo != Some(fo) {
            parcels.push((order, Vec::new()));
            last_fo = Some(fo);
        }
        parcels.last_mut().unwrap().1.push(json!({"id": item, "quantity": remaining}));
    }
    // The parcels after the stations' go to the label software's batch, at the end.
    let batch: Vec<(i64, Vec<Value>)> = parcels.split_off(count.min(parcels.len())).into_iter().take(BATCH).collect();
    assert_eq!(parcels.len(), count, "the shop has {count} fulfillment orders to ship");
    assert_eq!(batch.len(), BATCH, "and {BATCH} more for the batch");
    let token = storelink::api_tokens::create(
        &state.pool,
        "Bench station",
        storelink::audit::Actor { org: storelink::ids::OrgId(1), user: None, name: "bench" },
    )
    .await
    .unwrap()
    .1;
    // The bucket fills up again, as it would before a day's shipping.
    tokio::time::sleep(Duration::from_secs_f64(BUCKET / RESTORE_RATE + 1.0)).await;
    let stats = || async {
        http.get(format!("{}/_emulator/stats", emulator.url())).send().await.unwrap().json::<Value>().await.unwrap()
    };
    let before = stats().await;

    let base = format!("http://{}", bench.addr);
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(parcels.into_iter().enumerate().collect::<Vec<_>>()));
    let posts = Arc::new(Mutex::new(Vec::new()));
    let ids = Arc::new(Mutex::new(Vec::new()));
    let mut stations = tokio::task::JoinSet::new();
    for _ in 0..STATIONS {
        let (queue, posts, ids, base, token) = (queue.clone(), posts.clone(), ids.clone(), base.clone(), token.clone());
        stations.spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let Some((n, (order, lines))) = queue.lock().unwrap().pop() else { return };
                let asked = Instant::now();
                let answer = http
                    .post(format!("{base}/api/v1/shipments"))
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("bench-{n}"))
                    .json(&json!({"store": "bench.myshopify.com", "order_id": order, "carrier": "UPS",
                                  "tracking_number": format!("1ZBENCH{n:06}"), "line_items": lines}))
                    .send()
                    .await
                    .unwrap();
                let took = asked.elapsed();
                assert_eq!(answer.status(), reqwest::StatusCode::ACCEPTED, "{}", answer.text().await.unwrap());
                let id = answer.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
                posts.lock().unwrap().push(took);
                ids.lock().unwrap().push(id);
            }
        });
    }
    stations.join_all().await;
    let posted = started.elapsed();
    // Reading shipments while the sender drains, as label software polls their states.
    let ids = ids.lock().unwrap().clone();
    let mut reads = Vec::new();
    let mut sent = 0;
    let mut n = 0usize;
    while sent < count as i64 {
        let id = &ids[n % ids.len()];
        n += 1;
        let asked = Instant::now();
        let answer = http.get(format!("{base}/api/v1/shipments/{id}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::OK);
        reads.push(asked.elapsed());
        sent = storelink::db_run!(&state.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE state = 'sent'")
            .fetch_one(&mut *c).await)
            .unwrap();
        let failed: i64 = storelink::db_run!(&state.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE state = 'failed'")
            .fetch_one(&mut *c).await)
            .unwrap();
        assert_eq!(failed, 0, "no shipment fails");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let after = stats().await;
    let points = after["graphql_points"].as_f64().unwrap() - before["graphql_points"].as_f64().unwrap();
    let throttled = after["throttled"].as_u64().unwrap() - before["throttled"].as_u64().unwrap();
    let floor = (points - BUCKET).max(0.0) / RESTORE_RATE;

    let made: Value = http
        .get(format!("{}/_emulator/shops/bench/fulfillments", emulator.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut per_fo: BTreeMap<i64, usize> = BTreeMap::new();
    for f in made["fulfillments"].as_array().unwrap() {
        for fo in f["fulfillment_order_ids"].as_array().unwrap() {
            *per_fo.entry(fo.as_i64().unwrap()).or_default() += 1;
        }
    }
    let duplicates: usize = per_fo.values().map(|n| n - 1).sum();
    let percentile = |mut times: Vec<Duration>, p: f64| {
        times.sort();
        times[((times.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
    };
    let posts = posts.lock().unwrap().clone();
    println!(
        "{count} shipments through the API: all sent {wall:.1} s after the first POST (posted in {:.1} s from \
         {STATIONS} stations) against a cost floor of {floor:.1} s ({points:.0} points, bucket {BUCKET}, \
         {RESTORE_RATE} a second): ratio {:.3}; {throttled} throttled; {} fulfillments in Shopify, {duplicates} \
         duplicates; POST answered in {:.1} ms p50, {:.1} ms p99; GET while draining {:.1} ms p50, {:.1} ms p99 \
         ({} reads)",
        posted.as_secs_f64(),
        if floor > 0.0 { wall / floor } else { f64::NAN },
        made["fulfillments"].as_array().unwrap().len(),
        percentile(posts.clone(), 0.5),
        percentile(posts, 0.99),
        percentile(reads.clone(), 0.5),
        percentile(reads.clone(), 0.99),
        reads.len(),
    );
    assert_eq!(duplicates, 0);
    assert_eq!(per_fo.len(), count);

    // A batch of 1,000 in one call, against the same number posted one by one from the
    // stations above (their pace, while the sender drained).
    let shipments: Vec<Value> = batch
        .into_iter()
        .enumerate()
        .map(|(n, (order, lines))| {
            json!({"key": format!("batch-{n}"), "store": "bench.myshopify.com", "order_id": order, "carrier": "UPS",
                   "tracking_number": format!("1ZBATCH{n:06}"), "line_items": lines})
        })
        .collect();
    let asked = Instant::now();
    let answer = http
        .post(format!("{base}/api/v1/shipments/batch"))
        .bearer_auth(&token)
        .json(&json!({ "shipments": shipments }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    let took = asked.elapsed().as_secs_f64();
    assert_eq!(answer["recorded"], BATCH, "{}", answer["results"][0]);
    let one_by_one = posted.as_secs_f64() * BATCH as f64 / count as f64;
    println!(
        "a batch of {BATCH} recorded in {took:.2} s on {}; {BATCH} posted singly from {STATIONS} stations took \
         {one_by_one:.2} s: ratio {:.2}",
        if state.pool.is_postgres() { "PostgreSQL" } else { "SQLite" },
        took / one_by_one
    );
}
