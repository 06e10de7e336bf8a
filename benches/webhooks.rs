//! Webhook deliveries: how many signed `orders/updated` deliveries per second the endpoint
//! verifies, records and applies, against a bare handler answering the same requests in the same
//! run; and the delay from an order created in the emulator to the progress stream a browser
//! reads announcing it.
//!
//! Run: `cargo bench --bench webhooks --features ssr`

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{routing::post, Router};
use serde_json::{json, Value};
use storelink::{api::auth::COOKIE_NAME, auth::session};
use storelink_emulator::webhooks::sign;

mod common;
const DELIVERIES: usize = 4000;
const CLIENTS: usize = 16;

/// Sends every body to `url` from `CLIENTS` concurrent senders; returns when all were answered.
async fn send_all(url: &str, bodies: Arc<Vec<(String, Vec<u8>)>>) {
    let client = reqwest::Client::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url, bodies, next) = (client.clone(), url.to_owned(), bodies.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((signature, body)) = bodies.get(n) else { return };
                    let status = client
                        .post(&url)
                        .header("x-shopify-topic", "orders/updated")
                        .header("x-shopify-shop-domain", "hooks.myshopify.com")
                        .header("x-shopify-event-id", format!("bench-{n}"))
                        .header("x-shopify-hmac-sha256", signature)
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap()
                        .status();
                    assert!(status.is_success(), "{status}");
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let bench = common::start(
        "hooks",
        json!({"plan": "plus", "locations": 1, "products": 20, "customers": 50,
                                               "orders": 250, "seed": 4}),
    )
    .await;
    let (state, store, addr, emulator) = (&bench.state, bench.store, bench.addr, &bench.emulator);
    bench.engine.run_job(bench.first_job().await).await.unwrap();

    // Real order JSON from the emulator, each delivery a distinct order so every one is applied.
    let page: Value = reqwest::Client::new()
        .get(format!("{}/admin/api/2026-07/orders.json?status=any&limit=250", emulator.url()))
        .header("host", "hooks.myshopify.com")
        .header("x-shopify-access-token", common::TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let orders = page["orders"].as_array().unwrap();
    let bodies: Vec<(String, Vec<u8>)> = (0..DELIVERIES)
        .map(|n| {
            let mut order = orders[n % orders.len()].clone();
            order["id"] = json!(9_000_000_000_000u64 + n as u64);
            let body = serde_json::to_vec(&order).unwrap();
            (sign(common::SECRET, &body), body)
        })
        .collect();
    let bodies = Arc::new(bodies);
    let orders_before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM synced_orders").fetch_one(&state.pool).await.unwrap();

    let started = Instant::now();
    send_all(&format!("http://{addr}/webhooks/shopify"), bodies.clone()).await;
    loop {
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM synced_orders").fetch_one(&state.pool).await.unwrap();
        if stored == orders_before + DELIVERIES as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let applied = DELIVERIES as f64 / started.elapsed().as_secs_f64();

    let bare = Router::new().route("/hook", post(|| async { "" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, bare).await.unwrap() });
    let started = Instant::now();
    send_all(&bare_url, bodies).await;
    let baseline = DELIVERIES as f64 / started.elapsed().as_secs_f64();
    println!(
        "webhooks: {DELIVERIES} orders/updated deliveries ({:.1} KB each) verified, recorded and applied at \
         {applied:.0}/s; a bare handler answers the same requests at {baseline:.0}/s; ratio {:.2}",
        serde_json::to_vec(&orders[0]).unwrap().len() as f64 / 1000.0,
        applied / baseline
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
