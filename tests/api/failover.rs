//! Several servers on one database: three `storelink serve` processes share the test's database
//! and emulator. A sync runs on exactly one of them at a time and moves to another when its
//! server dies or stalls past its lease; a webhook sent to every server applies once.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::json;
use storelink::ids::{JobId, StoreId};
use storelink_emulator::webhooks::sign;

use crate::{
    helpers::*,
    sync::{assert_exact_copy, register, wait_until_finished},
};

/// Short, so a takeover is quick to see; the defaults are 10 s and 2 s.
const LEASE: Duration = Duration::from_millis(3000);
const HEARTBEAT: Duration = Duration::from_millis(500);

#[path = "../support/server_process.rs"]
mod server_process;

use server_process::ServerProcess as Server;

/// Starts a server on the app's database and emulator, with the app's key.
fn start(app: &TestApp, max_jobs: usize) -> Server {
    let key = std::fs::read_to_string(app._dir.path().join("secret.key")).unwrap();
    let args = [
        "--sync-lease-ms".to_owned(),
        LEASE.as_millis().to_string(),
        "--sync-heartbeat-ms".to_owned(),
        HEARTBEAT.as_millis().to_string(),
        "--sync-max-jobs".to_owned(),
        max_jobs.to_string(),
        "--metrics".to_owned(),
    ];
    Server::start(&app.database_url, &key, &app.emulator.url(), &args, "storelink=info")
}

fn three_servers(app: &TestApp, max_jobs: usize) -> Vec<Server> {
    (0..3).map(|_| start(app, max_jobs)).collect()
}

/// Who holds the job, under which claim, and its state.
async fn holder(app: &TestApp, job: JobId) -> (Option<String>, i64, String) {
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT owner, epoch, state FROM sync_jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&mut *c).await)
    .unwrap()
}

async fn stored_rows(app: &TestApp, store: StoreId) -> i64 {
    let sql = "SELECT (SELECT COUNT(*) FROM synced_orders WHERE store_id = $1) + (SELECT COUNT(*) FROM synced_products WHERE store_id = $1)
                    + (SELECT COUNT(*) FROM synced_customers WHERE store_id = $1)";
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sql).bind(store).fetch_one(&mut *c).await).unwrap()
}

/// Waits until a server holds the job and has stored part of the shop; returns its owner name
/// and claim epoch.
async fn mid_sync(app: &TestApp, store: StoreId, job: JobId) -> (String, i64) {
    for _ in 0..600 {
        let (owner, epoch, state) = holder(app, job).await;
        assert!(state == "queued" || state == "running", "the sync ended before it could be interrupted: {state}");
        if let Some(owner) = owner.filter(|_| state == "running") {
            if stored_rows(app, store).await > 0 {
                return (owner, epoch);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no server took the sync up");
}

/// Waits until another claim than `epoch` holds the job; returns the new owner and how long it took.
async fn taken_over(app: &TestApp, job: JobId, epoch: i64, since: Instant) -> (String, Duration) {
    loop {
        let (owner, now, _) = holder(app, job).await;
        if now > epoch {
            return (owner.unwrap(), since.elapsed());
        }
        assert!(since.elapsed() < Duration::from_secs(30), "nobody took the job over");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every claim of every job, in order: a job changes hands only after its previous holder's
/// last lease ran out (on the database's clock).
async fn assert_one_holder_at_a_time(app: &TestApp) -> BTreeMap<String, usize> {
    let claims: Vec<(JobId, String, i64, i64, i64)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT job_id, owner, epoch, claimed_at, lease_until FROM sync_claims ORDER BY job_id, epoch",
    )
    .fetch_all(&mut *c).await)
    .unwrap();
    assert!(!claims.is_empty());
    for pair in claims.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        if before.0 == after.0 {
            assert_eq!(after.2, before.2 + 1, "epochs go up by one: {pair:?}");
            assert!(before.1 == after.1 || after.3 >= before.4, "two holders at once: {pair:?}");
        }
    }
    let mut jobs_by_owner = BTreeMap::new();
    for (_, owner, _, _, _) in &claims {
        *jobs_by_owner.entry(owner.clone()).or_default() += 1;
    }
    jobs_by_owner
}

/// Webhook deliveries the servers accepted and knew for repeats, from their `/metrics`.
async fn webhook_counts(servers: &[Server]) -> (f64, f64) {
    let (mut accepted, mut repeats) = (0.0, 0.0);
    for server in servers {
        accepted += server.metric("storelink_webhooks_accepted_total").await;
        repeats += server.metric("storelink_webhooks_deduplicated_total").await;
    }
    (accepted, repeats)
}

/// Waits until the emulated shop has announced every bulk operation it ran and each notice was
/// answered, so the servers' webhook counts are settled.
async fn finish_notices_answered(app: &TestApp, shop: &str) {
    for _ in 0..300 {
        let operations = app.emulator_get(&format!("/shops/{shop}/bulk")).await["operations"].as_array().unwrap().len();
        let deliveries = app.emulator_get(&format!("/shops/{shop}/deliveries")).await;
        let notices: Vec<&serde_json::Value> = deliveries["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|delivery| delivery["topic"] == "bulk_operations/finish")
            .collect();
        if notices.len() == operations && notices.iter().all(|notice| notice["delivered"] == true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the shop's bulk operations were not all announced, or not all answered");
}

/// A shop big enough that its sync takes seconds: its result files download slowly.
async fn slow_shop(app: &TestApp) -> (StoreId, JobId) {
    app.emulator_post("/shops/big/bulk", json!({"download_bytes_per_second": 150_000})).await;
    register(app, "big").await
}

/// Three servers, and the slow shop's first sync under way on one of them.
struct Syncing {
    app: TestApp,
    servers: Vec<Server>,
    store: StoreId,
    job: JobId,
    /// The claim it runs under: the owner's name and the epoch.
    owner: String,
    epoch: i64,
}

impl Syncing {
    async fn start() -> Syncing {
        let app = spawn_app_without_sync().await;
        let servers = three_servers(&app, 8);
        let (store, job) = slow_shop(&app).await;
        let (owner, epoch) = mid_sync(&app, store, job).await;
        Syncing { app, servers, store, job, owner, epoch }
    }

    /// The server running the sync.
    fn owner(&self) -> &Server {
        self.servers.iter().find(|s| s.owns(&self.owner)).expect("one of the three holds it")
    }

    /// Waits for the sync to end, and checks it ended exact with one holder at a time.
    async fn finishes_exact(&self) {
        assert_eq!(wait_until_finished(&self.app, self.job).await, "done");
        assert_exact_copy(&self.app, self.store, "big").await;
        assert_one_holder_at_a_time(&self.app).await;
    }
}

#[tokio::test]
async fn a_sync_whose_server_is_killed_moves_to_another_within_the_lease_and_ends_exact() {
    let mut syncing = Syncing::start().await;
    let victim = syncing.servers.iter().position(|s| s.owns(&syncing.owner)).unwrap();
    let mut killed = syncing.servers.remove(victim);
    killed.kill();
    let since = Instant::now();
    let (next, takeover) = taken_over(&syncing.app, syncing.job, syncing.epoch, since).await;
    println!(
        "taken over {} ms after kill -9 (lease {} ms, heartbeat {} ms)",
        takeover.as_millis(),
        LEASE.as_millis(),
        HEARTBEAT.as_millis()
    );
    assert!(syncing.servers.iter().any(|s| s.owns(&next)));
    assert!(takeover <= LEASE + HEARTBEAT + Duration::from_millis(1500), "took {takeover:?}");
    let mut takeovers = 0.0;
    for server in &syncing.servers {
        takeovers += server.metric("storelink_lease_takeovers_total").await;
    }
    assert_eq!(takeovers, 1.0, "the survivors' /metrics count the takeover");

    syncing.finishes_exact().await;
    // Resumed from the checkpoint: the new holder imported the files the first one had asked
    // Shopify for (at most one export started but not yet saved is asked for again).
    let exports = syncing.app.emulator_get("/shops/big/bulk").await["operations"].as_array().unwrap().len();
    assert!(exports <= 6, "{exports} exports");
}

#[tokio::test]
async fn a_server_stopped_on_purpose_hands_its_sync_over_at_once() {
    let syncing = Syncing::start().await;
    syncing.owner().signal("-TERM");
    let (_, takeover) = taken_over(&syncing.app, syncing.job, syncing.epoch, Instant::now()).await;
    println!("taken over {} ms after SIGTERM", takeover.as_millis());
    // Handed over, not left to expire: the stopping server released its claim (usually a few
    // hundred ms; a machine running both test passes at once can take seconds to stop a process,
    // so the time alone cannot tell a handover from an expiry).
    // It logs the handover just after releasing the claim, so the takeover can be seen first.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut log = syncing.owner().log();
    while !log.contains("handed over") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        log = syncing.owner().log();
    }
    assert!(log.contains("handed over") && !log.contains("could not hand over"), "it handed its jobs over: {log}");
    assert!(takeover < LEASE * 2, "handed over, not left to expire: {takeover:?}");
    syncing.finishes_exact().await;
}

#[tokio::test]
async fn a_disconnect_on_one_server_stops_the_sync_running_on_another_within_seconds() {
    let syncing = Syncing::start().await;
    let admin = syncing.app.signed_in(ADMIN_EMAIL).await;
    let owner = syncing.owner();
    assert_eq!(owner.metric("storelink_stores_owned").await, 1.0, "its /metrics show the sync it runs");
    let disconnected = Instant::now();
    let store = syncing.store.to_string();
    let response = syncing.app.post(&admin, "/api/stores/disconnect", &[("store_id", store.as_str())]).await;
    assert_eq!(response.status(), StatusCode::OK);
    while owner.metric("storelink_stores_owned").await > 0.0 {
        assert!(disconnected.elapsed() < LEASE, "the sync on the other server went on: {}", owner.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("the other server stopped the sync {} ms after the disconnect", disconnected.elapsed().as_millis());
    assert_eq!(holder(&syncing.app, syncing.job).await.2, "cancelled");
}

/// Fails a PostgreSQL-only test run without PostgreSQL, rather than let it pass untried.
fn needs_postgres() {
    assert!(
        std::env::var_os("STORELINK_TEST_DATABASE_URL").is_some(),
        "this test needs PostgreSQL: set STORELINK_TEST_DATABASE_URL"
    );
}

/// Transactions the claim (job, epoch) committed.
async fn writes_under(app: &TestApp, job: JobId, epoch: i64) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT writes FROM sync_claims WHERE job_id = $1 AND epoch = $2")
        .bind(job)
        .bind(epoch)
        .fetch_one(&mut *c).await)
    .unwrap()
}

// A paused process holding SQLite's write lock would stop every server: several servers need
// PostgreSQL. `.ci/test` runs the ignored tests in its PostgreSQL pass.
#[tokio::test]
#[ignore = "needs PostgreSQL: STORELINK_TEST_DATABASE_URL=… cargo test -- --include-ignored"]
async fn a_server_paused_past_its_lease_writes_nothing_more_and_stops_its_job() {
    needs_postgres();
    let syncing = Syncing::start().await;
    let paused = syncing.owner();
    paused.signal("-STOP");
    let (next, _) = taken_over(&syncing.app, syncing.job, syncing.epoch, Instant::now()).await;
    assert_ne!(next, syncing.owner);
    // What the old claim committed before it was taken over: an unfinished transaction of its
    // was ended by the database (idle in transaction) before anyone could take the job.
    let written = writes_under(&syncing.app, syncing.job, syncing.epoch).await;
    assert!(written > 0, "the first holder wrote before it was paused");
    paused.signal("-CONT");
    syncing.finishes_exact().await;
    // Woken, the old holder learns at once that the job is no longer its own, and stops it.
    let mut told = false;
    for _ in 0..100 {
        told = paused.log().contains("no longer holds");
        if told {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(told, "{}", paused.log());
    assert_eq!(
        writes_under(&syncing.app, syncing.job, syncing.epoch).await,
        written,
        "the paused server wrote nothing more under its lost claim"
    );
    assert!(writes_under(&syncing.app, syncing.job, syncing.epoch + 1).await > 0, "the new holder did");
}

#[tokio::test]
async fn twenty_stores_spread_over_three_servers_each_sync_once_with_one_holder_at_a_time() {
    let app = spawn_app_without_sync().await;
    // Three jobs at once a server, so the work must spread.
    let servers = three_servers(&app, 3);
    let admin = app.signed_in(ADMIN_EMAIL).await;
    for n in 0..FLEET {
        assert_eq!(app.register(&admin, &format!("fleet{n}"), SHOP_TOKEN).await.status(), StatusCode::OK);
    }
    let jobs: Vec<(StoreId, JobId)> =
        storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT store_id, id FROM sync_jobs ORDER BY id")
        .fetch_all(&mut *c).await)
        .unwrap();
    assert_eq!(jobs.len(), FLEET);
    for (n, (store, job)) in jobs.iter().enumerate() {
        assert_eq!(wait_until_finished(&app, *job).await, "done");
        assert_exact_copy(&app, *store, &format!("fleet{n}")).await;
    }
    let by_owner = assert_one_holder_at_a_time(&app).await;
    println!("jobs claimed by each server: {:?}", by_owner.values().collect::<Vec<_>>());
    assert_eq!(by_owner.len(), servers.len(), "every server took some: {by_owner:?}");
}

#[tokio::test]
async fn a_webhook_sent_to_every_server_applies_once() {
    let app = spawn_app_without_sync().await;
    let servers = three_servers(&app, 8);
    let (store, job) = register(&app, "acme").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    let id: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT MIN(id) FROM synced_orders WHERE store_id = $1")
        .bind(store)
        .fetch_one(&mut *c).await)
        .unwrap();
    // A notice of a change (nothing changed in the emulated shop, so it sends no delivery of its own).
    let body = json!({"id": id, "name": "#1", "updated_at": "2026-11-20T12:00:00-05:00"}).to_string().into_bytes();
    let signature = sign(SHOP_SECRET, &body);
    // What the servers counted so far (the sync's own deliveries: its bulk operations finishing,
    // which Shopify may announce after the sync has seen them finish).
    finish_notices_answered(&app, "acme").await;
    let before = webhook_counts(&servers).await;
    let deliveries = servers.iter().map(|server| {
        reqwest::Client::new()
            .post(format!("{}/webhooks/shopify", server.url))
            .header("x-shopify-topic", "orders/updated")
            .header("x-shopify-shop-domain", "acme.myshopify.com")
            .header("x-shopify-event-id", "evt-everywhere")
            .header("x-shopify-hmac-sha256", signature.clone())
            .body(body.clone())
            .send()
    });
    for answer in futures::future::join_all(deliveries).await {
        assert_eq!(answer.unwrap().status(), StatusCode::OK);
    }
    wait_for(
        &app,
        "the delivery",
        "SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'evt-everywhere' AND applied_at IS NOT NULL",
    )
    .await;
    let recorded: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'evt-everywhere'")
        .fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!(recorded, 1, "recorded once, whichever server received it");
    let (accepted, repeats) = webhook_counts(&servers).await;
    for server in &servers {
        assert!(server.metric("storelink_http_responses_total").await >= 1.0, "each counted its answer");
    }
    assert_eq!(
        (accepted - before.0, repeats - before.1),
        (1.0, 2.0),
        "one server applied it; the others knew it for a repeat"
    );
}

/// Reads `stream`'s lines until `enough` holds for the ones read; the stream may end first
/// (its server died): then false.
async fn read_stream(
    stream: &mut reqwest::Response,
    lines: &mut Vec<serde_json::Value>,
    enough: impl Fn(&[serde_json::Value]) -> bool,
) -> bool {
    let mut decoder = storelink::ndjson::Lines::default();
    while !enough(lines) {
        match tokio::time::timeout(Duration::from_secs(20), stream.chunk()).await.expect("a line within 20 s") {
            Ok(Some(chunk)) => lines.extend(decoder.push::<serde_json::Value>(std::str::from_utf8(&chunk).unwrap())),
            Ok(None) | Err(_) => return false,
        }
    }
    true
}

// One SQLite database serves one server; progress crosses servers through PostgreSQL's NOTIFY.
#[tokio::test]
#[ignore = "needs PostgreSQL: STORELINK_TEST_DATABASE_URL=… cargo test -- --include-ignored"]
async fn a_page_on_one_server_watches_a_sync_on_another_live_and_keeps_watching_through_a_third() {
    needs_postgres();
    let Syncing { app, mut servers, store, job, owner, .. } = Syncing::start().await;
    let runner = servers.iter().position(|s| s.owns(&owner)).unwrap();
    let runner = servers.remove(runner);
    let (watched, fallback) = (servers.remove(0), servers.remove(0));
    let standard = app.signed_in(STANDARD_EMAIL).await;

    // The page's stream is on a server that does not run the sync: it still sees it move.
    let mut stream = standard.get(format!("{}/api/sync/progress?store_id={store}", watched.url)).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut lines = Vec::new();
    let moved = |lines: &[serde_json::Value]| {
        let mut seen: Vec<&serde_json::Value> =
            lines.iter().filter(|l| l["job_id"] == job.0).map(|l| &l["progress"]).collect();
        seen.dedup();
        seen.len() >= 3
    };
    assert!(read_stream(&mut stream, &mut lines, moved).await, "the sync on another server shows live");

    // Its server dies; the page reconnects (through the load balancer) to another and goes on.
    drop(watched);
    assert!(!read_stream(&mut stream, &mut lines, |_| false).await, "the stream ends with its server");
    let mut stream = standard.get(format!("{}/api/sync/progress?store_id={store}", fallback.url)).send().await.unwrap();
    let mut lines = Vec::new();
    let done = |lines: &[serde_json::Value]| lines.iter().any(|l| l["job_id"] == job.0 && l["state"] == "done");
    assert!(read_stream(&mut stream, &mut lines, done).await, "the end of the sync shows on the third server");
    drop(runner);
}
