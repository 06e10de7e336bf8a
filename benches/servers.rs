//! Several servers on one PostgreSQL database, each a `storelink serve` process, against the
//! emulator (its own process too):
//! - 1,000 progress streams spread over three servers: the delay from a change (Sync now on one
//!   server) to its arrival on every stream, and the memory the streams add to each server;
//! - 100 stores registered at once: the syncs each server ran (balance), the database
//!   connections in use at the peak, and after `kill -9` of one server mid-way, how long until
//!   the last of its syncs was taken over (default lease and heartbeat).
//!
//! Needs a PostgreSQL server, as the tests do:
//! `pg_virtualenv -o max_connections=300 sh -c 'STORELINK_TEST_DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@$PGHOST:${PGPORT:-5432}/$PGDATABASE" cargo bench --bench servers --features ssr'`

mod common;
#[path = "../tests/support/server_process.rs"]
mod server_process;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server_process::ServerProcess;
use storelink::{api::auth::COOKIE_NAME, auth::session, db, ids::JobId, users};

const STREAMS: usize = 1000;
const STORES: usize = 100;
const SERVERS: usize = 3;

fn shop(n: usize) -> Value {
    json!({"handle": format!("s{n}"), "access_token": common::TOKEN, "api_key": "bench-key",
           "shared_secret": common::SECRET, "plan": "plus", "locations": 1, "products": 30, "customers": 30,
           "orders": 300, "seed": n,
           "scopes": ["read_orders", "read_all_orders", "read_products", "read_customers", "read_locations",
                      "read_inventory", "read_merchant_managed_fulfillment_orders"],
           // Result files arrive slowly enough that a sync lasts seconds.
           "bulk": {"download_bytes_per_second": 30000}})
}

async fn register(http: &reqwest::Client, server: &ServerProcess, cookie: &str, n: usize) {
    let form = [
        ("platform", "shopify".to_owned()),
        ("fields[store_url]", format!("s{n}.myshopify.com")),
        ("fields[api_key]", "bench-key".to_owned()),
        ("fields[api_password]", common::TOKEN.to_owned()),
        ("fields[shared_secret]", common::SECRET.to_owned()),
    ];
    let answer = http
        .post(format!("{}/api/stores/register", server.url))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "registering s{n}: {}", answer.status());
}

async fn scalar(pool: &db::Pool, sql: &'static str) -> i64 {
    storelink::db_run!(pool, c => sqlx::query_scalar(sql).fetch_one(&mut *c).await).unwrap()
}

async fn wait_until_all_done(pool: &db::Pool, jobs: i64) {
    while scalar(pool, "SELECT COUNT(*) FROM sync_jobs WHERE state = 'done'").await < jobs {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::main]
async fn main() {
    assert!(
        std::env::var_os("STORELINK_TEST_DATABASE_URL").is_some(),
        "run under pg_virtualenv with STORELINK_TEST_DATABASE_URL (see the top of benches/servers.rs)"
    );
    let dir = tempfile::tempdir().unwrap();
    let database_url = db::scratch_url(dir.path()).await;
    let pool = db::connect(&database_url).await.unwrap();
    let admin = users::repo::create(
        &mut pool.acquire().await.unwrap(),
        storelink::ids::OrgId(1),
        "bench@storelink.local",
        users::Role::Admin,
        "unused",
    )
    .await
    .unwrap();
    let cookie = format!("{}={}", COOKIE_NAME, session::create(&pool, admin.id).await.unwrap());
    let emulator = common::Emulator::start(&json!({ "shops": (0..=STORES).map(shop).collect::<Vec<_>>() }));
    let key: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
    let servers: Vec<ServerProcess> =
        (0..SERVERS).map(|_| ServerProcess::start(&database_url, &key, &emulator.url(), &[], "warn")).collect();
    let http = reqwest::Client::new();

    // Streams: one store, watched 1,000 times across the servers.
    register(&http, &servers[0], &cookie, STORES).await;
    wait_until_all_done(&pool, 1).await;
    let store: i64 = scalar(&pool, "SELECT id FROM stores").await;
    let idle: Vec<u64> = servers.iter().map(ServerProcess::resident_bytes).collect();
    let (lines, mut arrivals) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant, Value)>();
    for n in 0..STREAMS {
        let url = format!("{}/api/sync/progress?store_id={store}", servers[n % SERVERS].url);
        let (http, cookie, lines) = (http.clone(), cookie.clone(), lines.clone());
        tokio::spawn(async move {
            let mut response = http.get(&url).header("cookie", cookie).send().await.unwrap();
            let mut decoder = storelink::ndjson::Lines::default();
            while let Ok(Some(chunk)) = response.chunk().await {
                for line in decoder.push::<Value>(std::str::from_utf8(&chunk).unwrap()) {
                    let _ = lines.send((n, Instant::now(), line));
                }
            }
        });
    }
    for _ in 0..STREAMS {
        arrivals.recv().await.unwrap();
    }
    let added: Vec<f64> =
        servers.iter().zip(&idle).map(|(s, idle)| s.resident_bytes().saturating_sub(*idle) as f64 / 1e6).collect();
    let mut delays = Vec::new();
    for round in 0..5 {
        let asked = Instant::now();
        let answer = http
            .post(format!("{}/api/sync/now", servers[round % SERVERS].url))
            .header("cookie", &cookie)
            .form(&[("store_id", store.to_string())])
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success());
        let job: JobId = storelink::db_run!(&pool, c => sqlx::query_scalar("SELECT MAX(id) FROM sync_jobs").fetch_one(&mut *c).await).unwrap();
        let mut reached = std::collections::BTreeSet::new();
        let mut last = asked;
        while reached.len() < STREAMS {
            let (n, at, line) = arrivals.recv().await.unwrap();
            if line["job_id"] == job.0 && reached.insert(n) {
                last = at;
            }
        }
        delays.push(last - asked);
        wait_until_all_done(&pool, 2 + round as i64).await;
        while arrivals.try_recv().is_ok() {}
    }
    delays.sort();
    println!(
        "{STREAMS} progress streams over {SERVERS} servers: a change reaches every stream in {:.1} ms (median of 5 Sync nows, \
         slowest {:.1} ms); memory added per server {:?} MB ({:.0} KB a stream)",
        delays[2].as_secs_f64() * 1000.0,
        delays[4].as_secs_f64() * 1000.0,
        added.iter().map(|m| (m * 10.0).round() / 10.0).collect::<Vec<_>>(),
        added.iter().sum::<f64>() * 1000.0 / STREAMS as f64
    );

    // The fleet: 100 stores registered at once, then one server killed mid-way.
    let started = Instant::now();
    let registrations = (0..STORES).map(|n| register(&http, &servers[n % SERVERS], &cookie, n));
    futures::future::join_all(registrations).await;
    let mut peak_connections = 0;
    let mut servers = servers;
    let victim = loop {
        peak_connections = peak_connections
            .max(scalar(&pool, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()").await);
        let done = scalar(&pool, "SELECT COUNT(*) FROM sync_jobs WHERE state = 'done'").await;
        if done >= 6 + STORES as i64 / 3 {
            let running: Vec<(String, i64)> = storelink::db_run!(&pool, c => sqlx::query_as(
                "SELECT owner, COUNT(*) FROM sync_jobs WHERE state = 'running' GROUP BY owner ORDER BY COUNT(*) DESC",
            )
            .fetch_all(&mut *c).await)
            .unwrap();
            if let Some((owner, _)) = running.first() {
                break servers.iter().position(|s| s.owns(owner)).unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut killed = servers.remove(victim);
    let killed_at: i64 = scalar(&pool, "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)").await;
    killed.kill();
    let orphans: Vec<(JobId, i64)> = storelink::db_run!(&pool, c => sqlx::query_as(
        "SELECT id, epoch FROM sync_jobs WHERE state = 'running' AND owner LIKE $1",
    )
    .bind(format!("{}-%", killed.pid()))
    .fetch_all(&mut *c).await)
    .unwrap();
    loop {
        peak_connections = peak_connections
            .max(scalar(&pool, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()").await);
        if scalar(&pool, "SELECT COUNT(*) FROM sync_jobs WHERE state IN ('queued', 'running')").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let total = started.elapsed();
    let mut last_takeover = 0;
    for (job, epoch) in &orphans {
        let claimed: i64 = storelink::db_run!(&pool, c => sqlx::query_scalar("SELECT claimed_at FROM sync_claims WHERE job_id = $1 AND epoch = $2")
            .bind(*job)
            .bind(epoch + 1)
            .fetch_one(&mut *c).await)
        .unwrap();
        last_takeover = last_takeover.max(claimed - killed_at);
    }
    let claims: Vec<(String, i64)> = storelink::db_run!(&pool, c => sqlx::query_as(
        "SELECT owner, COUNT(*) FROM sync_claims GROUP BY owner ORDER BY owner",
    )
    .fetch_all(&mut *c).await)
    .unwrap();
    let failed = scalar(&pool, "SELECT COUNT(*) FROM sync_jobs WHERE state <> 'done'").await;
    println!(
        "{STORES} stores on {SERVERS} servers: all synced in {:.1} s ({failed} not done); claims per server {:?}; \
         after kill -9 of a server holding {} syncs, the last was taken over {:.1} s later (lease 10 s, heartbeat 2 s, \
         8 syncs a server); database connections at the peak: {peak_connections}",
        total.as_secs_f64(),
        claims.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        orphans.len(),
        last_takeover as f64 / 1000.0
    );
}
