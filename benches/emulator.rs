//! The emulator must never be the bottleneck of a sync benchmark. This measures, in one run:
//! - generating a shop of 100,000 orders, 10,000 products and 20,000 customers (time, memory);
//! - serving 250-order pages with the rate limit off, against a baseline of the same bytes
//!   served by a bare axum handler in the same process (the ratio is what to compare).
//!
//! Run: `cargo bench --bench emulator --features ssr`

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{routing::get, Router};
use serde_json::json;
use storelink_emulator::{config::Config, data::ShopData, Emulator};

const TOKEN: &str = "shpat_bench";
const CLIENTS: usize = 8;
const SECONDS: u64 = 5;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn config(orders: usize) -> Config {
    Config::from_json(
        &json!({"shops": [{
            "handle": "bench", "access_token": TOKEN, "scopes": ["read_orders", "read_all_orders"],
            "plan": {"bucket": 1_000_000, "leak_per_second": 1_000_000.0},
            "locations": 2, "products": 10_000, "customers": 20_000, "orders": orders, "seed": 1
        }]})
        .to_string(),
    )
    .unwrap()
}

/// Requests per second that `CLIENTS` concurrent clients get from `url` for `SECONDS`.
async fn throughput(url: String, host: &'static str) -> f64 {
    let client = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url, done) = (client.clone(), url.clone(), done.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let response =
                        client.get(&url).header("host", host).header("x-shopify-access-token", TOKEN).send().await;
                    let body = response.unwrap().bytes().await.unwrap();
                    assert!(body.len() > 1000);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / SECONDS as f64
}

#[tokio::main]
async fn main() {
    let shop = config(100_000).shops.remove(0);
    let before = resident_bytes();
    let started = Instant::now();
    let data = ShopData::generate(&shop, storelink_emulator::unix_now());
    let generation = started.elapsed();
    let memory = resident_bytes().saturating_sub(before);
    println!(
        "generate: {} orders, {} products, {} customers in {:.2} s, {:.0} MB resident",
        data.orders.len(),
        data.products.len(),
        data.customers.len(),
        generation.as_secs_f64(),
        memory as f64 / 1e6
    );
    let started = Instant::now();
    let bytes: usize = data
        .orders
        .values()
        .take(10_000)
        .map(|o| {
            let mut out = Vec::new();
            data.write_order(o, &mut out);
            out.len()
        })
        .sum();
    let render = started.elapsed();
    println!(
        "render: 10000 orders to JSON in {:.2} s ({:.0} orders/s, {:.1} KB each)",
        render.as_secs_f64(),
        10_000.0 / render.as_secs_f64(),
        bytes as f64 / 10_000.0 / 1000.0
    );
    drop(data);

    let emulator = Emulator::start(&config(100_000), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let page_url = format!("{}/admin/api/2026-07/orders.json?status=any&limit=250", emulator.url());
    let page = reqwest::Client::new()
        .get(&page_url)
        .header("host", "bench.myshopify.com")
        .header("x-shopify-access-token", TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let served = throughput(page_url, "bench.myshopify.com").await;

    let static_page = page.clone();
    let baseline_app = Router::new().route("/page", get(move || async move { static_page.clone() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let baseline_url = format!("http://{}/page", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, baseline_app).await.unwrap() });
    let baseline = throughput(baseline_url, "localhost").await;

    println!(
        "serve: 250-order pages ({} KB) at {served:.0} requests/s; the same bytes from a bare handler at {baseline:.0}/s; ratio {:.3}",
        page.len() / 1000,
        served / baseline
    );
}
