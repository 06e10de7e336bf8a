//! Webhook bursts: 1,000 orders of a store each changed five times within 10 s, so Shopify (the
//! emulator, its own process) sends 5,000 `orders/updated` deliveries. storelink treats each as a
//! change notice and fetches the records as they are now with `nodes(ids:)`; reported: the
//! GraphQL points that cost, the requests by endpoint (no REST), and the delay from the last
//! change until every stored order is current. Then the delay from an order created in the
//! emulator to the progress stream a browser reads announcing it.
//!
//! Run: `cargo bench --bench webhooks --features ssr`

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use storelink::{api::auth::COOKIE_NAME, auth::session, records::raw::RawJson};

mod common;

const ORDERS: usize = 1000;
const CHANGES: usize = 5;
const SECONDS: f64 = 10.0;

#[tokio::main]
async fn main() {
    let bench = common::start(
        "hooks",
        json!({"locations": 1, "products": 50, "customers": 200, "orders": ORDERS, "seed": 4,
               "bulk": {"objects_per_second": 0, "start_delay_ms": 0}}),
    )
    .await;
    let (state, store, addr, emulator) = (&bench.state, bench.store, bench.addr, &bench.emulator);
    bench.engine.run_job(bench.first_job().await).await.unwrap();
    let ids: Vec<i64> = storelink::db_run!(&state.pool, c => sqlx::query_scalar("SELECT id FROM synced_orders WHERE store_id = $1 ORDER BY id")
        .bind(store)
        .fetch_all(&mut *c).await)
        .unwrap();
    assert_eq!(ids.len(), ORDERS);
    let http = reqwest::Client::new();
    let stats = || async {
        http.get(format!("{}/_emulator/stats", emulator.url())).send().await.unwrap().json::<Value>().await.unwrap()
    };
    let before = stats().await;

    // Every order changed five times, the changes spread evenly over ten seconds.
    let started = Instant::now();
    let every = Duration::from_secs_f64(SECONDS / (ORDERS * CHANGES) as f64);
    for round in 1..=CHANGES {
        for (n, id) in ids.iter().enumerate() {
            let at = every * ((round - 1) * ORDERS + n) as u32;
            tokio::time::sleep_until((started + at).into()).await;
            let status = http
                .post(format!("{}/_emulator/shops/hooks/orders/{id}/update", emulator.url()))
                .json(&json!({"note": format!("change {round}")}))
                .send()
                .await
                .unwrap()
                .status();
            assert!(status.is_success(), "{status}");
        }
    }
    let changed = Instant::now();
    let last = format!("change {CHANGES}");
    loop {
        let raws: Vec<RawJson> = storelink::db_run!(&state.pool, c => sqlx::query_scalar("SELECT raw FROM synced_orders WHERE store_id = $1")
            .bind(store)
            .fetch_all(&mut *c).await)
            .unwrap();
        let current = raws
            .iter()
            .filter(|RawJson(raw)| serde_json::from_str::<Value>(raw).unwrap()["note"].as_str() == Some(last.as_str()))
            .count();
        if current == ORDERS {
            break;
        }
        // Standard limits restore 100 points a second and an order with its lines costs about 25:
        // a thousand orders take minutes, whatever storelink does.
        assert!(changed.elapsed() < Duration::from_secs(1800), "only {current} of {ORDERS} orders became current");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delay = changed.elapsed().as_secs_f64();
    let burst = changed.duration_since(started).as_secs_f64();
    let after = stats().await;
    let delivered: i64 = storelink::db_run!(&state.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE topic = 'orders/updated'")
        .fetch_one(&mut *c).await)
        .unwrap();
    let points = after["graphql_points"].as_f64().unwrap() - before["graphql_points"].as_f64().unwrap();
    let queries = after["by_endpoint"]["POST graphql.json"].as_f64().unwrap_or(0.0)
        - before["by_endpoint"]["POST graphql.json"].as_f64().unwrap_or(0.0);
    println!(
        "webhook burst: {} changes of {ORDERS} orders in {burst:.1} s, {delivered} orders/updated deliveries \
         received; {queries} GraphQL queries cost {points:.0} points ({:.2} a delivery); every order current \
         {delay:.2} s after the last change; requests by endpoint since the sync: {}",
        ORDERS * CHANGES,
        points / delivered.max(1) as f64,
        difference(&before["by_endpoint"], &after["by_endpoint"]),
    );

    // From the merchant's new order to the line a browser's progress stream receives.
    let cookie = format!("{}={}", COOKIE_NAME, session::create(&state.pool, bench.admin.id).await.unwrap());
    let mut stream = reqwest::Client::new()
        .get(format!("http://{addr}/api/sync/progress?store_id={store}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    stream.chunk().await.unwrap().expect("the first snapshot");
    let mut delays = Vec::new();
    for _ in 0..20 {
        let created = Instant::now();
        reqwest::Client::new()
            .post(format!("{}/_emulator/shops/hooks/orders", emulator.url()))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        stream.chunk().await.unwrap().expect("a snapshot for the delivery");
        delays.push(created.elapsed().as_secs_f64() * 1000.0);
    }
    delays.sort_by(f64::total_cmp);
    println!(
        "end to end: an order created in the emulator reaches the progress stream in {:.1} ms (median of 20; \
         slowest {:.1} ms)",
        delays[10], delays[19]
    );
}

/// The counts in `after` that grew since `before`.
fn difference(before: &Value, after: &Value) -> Value {
    let grown: serde_json::Map<String, Value> = after
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(key, n)| {
            let grew = n.as_u64()? - before[key].as_u64().unwrap_or(0);
            (grew > 0).then(|| (key.clone(), json!(grew)))
        })
        .collect();
    Value::Object(grown)
}
