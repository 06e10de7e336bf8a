//! The desk's queue over many stores: 20 Shopify stores of 7,000 orders each (about 100,000
//! awaiting shipping), synced; then 32 signed-in users load, each as fast as answers come, the
//! queue's first page rendered on the server (`/orders`), a filtered page
//! (`/orders?platform=shopify&older_than=2`), the first page's data alone (`/api/queue`, its
//! server function's JSON), and, as the baseline measured in the same run, one store's page with
//! its orders (`/stores/{id}`). Reported: pages a second and p50/p99 of each,
//! and each against the baseline.
//!
//! `cargo bench --bench queue --features ssr [-- STORES ORDERS_EACH]`

mod common;

use std::time::Instant;

use serde_json::json;
use storelink::{api::auth::COOKIE_NAME, auth::session};

const USERS: usize = 32;
const PAGES_EACH: usize = 10;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let stores: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let orders: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7_000);
    let shops: Vec<(String, serde_json::Value)> = (0..stores)
        .map(|n| {
            (
                format!("q{n}"),
                json!({"plan": "plus", "locations": 2, "products": 50, "customers": 200, "order_days": 14,
                                     "orders": orders, "seed": n + 1}),
            )
        })
        .collect();
    let bench = common::start_shops(&shops).await;
    let mut ids = vec![bench.store];
    for (handle, _) in &shops[1..] {
        ids.push(bench.register(handle).await);
    }
    let syncing = Instant::now();
    let jobs: Vec<i64> =
        storelink::db_run!(&bench.state.pool, c => sqlx::query_scalar("SELECT id FROM sync_jobs ORDER BY id")
        .fetch_all(&mut *c).await)
        .unwrap();
    for job in jobs {
        bench.engine.run_job(storelink::ids::JobId(job)).await.unwrap();
    }
    let awaiting = storelink::records::repo::count_awaiting(
        &bench.state.pool,
        &ids,
        &storelink::records::AwaitingQuery::default(),
        storelink::db::now(),
    )
    .await
    .unwrap();
    println!(
        "{stores} stores of {orders} orders synced in {:.1} s: {} orders ({} parcels) await shipping",
        syncing.elapsed().as_secs_f64(),
        awaiting.1,
        awaiting.0
    );
    let cookie = format!("{}={}", COOKIE_NAME, session::create(&bench.state.pool, bench.admin.id).await.unwrap());
    let base = format!("http://{}", bench.addr);
    let pages = [
        ("one store's page (baseline)", format!("{base}/stores/{}", bench.store)),
        ("the queue's first page", format!("{base}/orders")),
        ("a filtered queue page", format!("{base}/orders?platform=shopify&older_than=2")),
        // What the first page reads, without drawing it: the rest of its time is the rendering.
        ("the first page's data alone (its server function)", format!("{base}/api/queue")),
    ];
    let mut baseline = None;
    for (name, url) in pages {
        let (rate, p50, p99, bytes) = common::load(&url, &cookie, USERS, PAGES_EACH).await;
        let against = baseline
            .map_or(String::new(), |(_, base99): (f64, f64)| format!(", {:.2}× the baseline's p99", p99 / base99));
        println!(
            "{name}: {rate:.0} pages a second, p50 {:.1} ms, p99 {:.1} ms under {USERS} users ({} KB){against}",
            p50 * 1e3,
            p99 * 1e3,
            bytes / 1024
        );
        if baseline.is_none() {
            baseline = Some((rate, p99));
        }
    }
}
