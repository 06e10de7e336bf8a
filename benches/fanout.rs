//! Progress fan-out: many browsers watching one store's progress stream on one server. Measures
//! the memory the open streams add (server and clients share this process, so it is an upper
//! bound) and the delay from a progress change to its arrival on every stream.
//!
//! Run: `cargo bench --bench fanout --features ssr` (or `-- 200` for another number of streams)

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use storelink::{api::auth::COOKIE_NAME, auth::session};

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

#[tokio::main]
async fn main() {
    let streams: usize =
        std::env::args().skip(1).find(|a| !a.starts_with("--")).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let bench = common::start(
        "fanout",
        json!({"plan": "plus", "locations": 1, "products": 10, "customers": 10,
                                                "orders": 10, "seed": 1}),
    )
    .await;
    let (state, store, addr) = (&bench.state, bench.store, bench.addr);
    let cookie = format!("{}={}", COOKIE_NAME, session::create(&state.pool, bench.admin.id).await.unwrap());
    let url = format!("http://{addr}/api/sync/progress?store_id={store}");

    let before = resident_bytes();
    // Each watcher reports every line it receives, with when it arrived.
    let (lines, mut arrivals) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let client = reqwest::Client::new();
    for _ in 0..streams {
        let (client, url, cookie, lines) = (client.clone(), url.clone(), cookie.clone(), lines.clone());
        tokio::spawn(async move {
            let response = client.get(&url).header("cookie", cookie).send().await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            let mut response = response;
            while let Some(chunk) = response.chunk().await.unwrap() {
                for _ in chunk.iter().filter(|b| **b == b'\n') {
                    let _ = lines.send(Instant::now());
                }
            }
        });
    }
    for _ in 0..streams {
        arrivals.recv().await.unwrap();
    }
    let memory = resident_bytes().saturating_sub(before);

    let mut delays = Vec::new();
    for _ in 0..5 {
        let changed = Instant::now();
        state.hub.changed(store);
        let mut round: Vec<Duration> = Vec::new();
        while round.len() < streams {
            round.push(arrivals.recv().await.unwrap() - changed);
        }
        round.sort();
        delays.push((round[round.len() / 2], round[round.len() - 1]));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut half: Vec<f64> = delays.iter().map(|d| ms(d.0)).collect();
    let mut all: Vec<f64> = delays.iter().map(|d| ms(d.1)).collect();
    half.sort_by(f64::total_cmp);
    all.sort_by(f64::total_cmp);
    println!(
        "fan-out: {streams} open progress streams add {:.1} MB ({:.1} KB each, server and clients); a change \
         reaches half of them in {:.1} ms and all in {:.1} ms (medians of 5 changes; slowest all: {:.1} ms)",
        memory as f64 / 1e6,
        memory as f64 / 1e3 / streams as f64,
        half[2],
        all[2],
        all[4],
    );
}
