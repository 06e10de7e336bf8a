//! Clients that hold connections open: 2,000 connections that each send half a request header
//! and reconnect whenever the server closes them (from eight addresses, 250 each, under the
//! per-client limit, so every one of them gets in), while 32 signed-in users load pages. Reports
//! the users' page times (p50, p99) under the attack against the same load without it, measured
//! in the same run.
//!
//! Run: `cargo bench --bench slowloris --features ssr [-- SECONDS]` (each phase's length, 20 by
//! default).

mod common;

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::json;
use storelink::{api::auth::COOKIE_NAME, auth::session};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpSocket,
};

const USERS: usize = 32;
const ATTACKERS: usize = 2000;
const ADDRESSES: usize = 8;

/// Page load times of `USERS` users, each loading the pages one after another for `seconds`.
async fn load(addr: SocketAddr, cookie: &str, pages: &[String], seconds: u64) -> Vec<Duration> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut users = Vec::new();
    for user in 0..USERS {
        let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
        let (cookie, pages) = (cookie.to_owned(), pages.to_vec());
        users.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut n = user;
            while Instant::now() < until {
                let page = &pages[n % pages.len()];
                n += 1;
                let started = Instant::now();
                let response =
                    client.get(format!("http://{addr}{page}")).header("cookie", &cookie).send().await.unwrap();
                assert!(response.status().is_success(), "{page}: {}", response.status());
                response.bytes().await.unwrap();
                times.push(started.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for user in users {
        all.extend(user.await.unwrap());
    }
    all.sort();
    all
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// One attacking connection, for ever: connect from `source`, send half a header, wait until the
/// server closes it, again. Counts the connections open now.
async fn attack(source: std::net::IpAddr, server: SocketAddr, open: Arc<AtomicUsize>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(source, 0)).unwrap();
        let Ok(mut stream) = socket.connect(server).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if stream.write_all(b"GET / HTTP/1.1\r\nHost: storelink\r\nX-Slow: ").await.is_err() {
            continue;
        }
        open.fetch_add(1, Ordering::Relaxed);
        let mut buffer = [0u8; 1024];
        let _ = stream.read(&mut buffer).await;
        open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() {
    let seconds: u64 =
        std::env::args().skip(1).find(|a| !a.starts_with("--")).and_then(|n| n.parse().ok()).unwrap_or(20);
    let bench = common::start(
        "slowloris",
        json!({"plan": "plus", "locations": 2, "products": 50, "customers": 50, "orders": 200, "seed": 1}),
    )
    .await;
    let job = bench.first_job().await;
    bench.engine.run_job(job).await.unwrap();
    let (state, store, addr) = (&bench.state, bench.store, bench.addr);
    let cookie = format!("{}={}", COOKIE_NAME, session::create(&state.pool, bench.admin.id).await.unwrap());
    let pages = ["/".to_owned(), format!("/stores/{store}"), format!("/stores/{store}/products")];

    let baseline = load(addr, &cookie, &pages, seconds).await;

    let (open, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    for n in 0..ATTACKERS {
        let source = std::net::IpAddr::from([127, 0, 0, 2 + (n % ADDRESSES) as u8]);
        tokio::spawn(attack(source, addr, open.clone(), stop.clone()));
    }
    let ramp = Instant::now();
    while open.load(Ordering::Relaxed) < ATTACKERS * 95 / 100 && ramp.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let holding = open.load(Ordering::Relaxed);
    let attacked = load(addr, &cookie, &pages, seconds).await;
    let held_at_end = open.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let health = reqwest::get(format!("http://{addr}/healthz")).await.unwrap().status();

    let (p50, p99) = (percentile(&baseline, 0.5), percentile(&baseline, 0.99));
    let (a50, a99) = (percentile(&attacked, 0.5), percentile(&attacked, 0.99));
    println!("{USERS} users loading {} pages for {seconds} s each phase", pages.len());
    println!("  without the attack: {} pages, p50 {:.1} ms, p99 {:.1} ms", baseline.len(), ms(p50), ms(p99));
    println!(
        "  with {holding} half-header connections open ({held_at_end} at the end; {ATTACKERS} attackers reconnecting): {} pages, p50 {:.1} ms, p99 {:.1} ms",
        attacked.len(),
        ms(a50),
        ms(a99)
    );
    println!("  p99 under attack / p99 without: {:.2}x (goal <= 1.5x); /healthz {health}", ms(a99) / ms(p99));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
