//! Organizations at scale, on PostgreSQL: one organization of 5 synced Shopify stores, its
//! Stores page (`/`) and its queue's first page (`/orders`) loaded by 32 signed-in users as
//! fast as answers come; then 999 more organizations of 5 stores each are added (each store with
//! its first sync job, its locations and a few of its orders and parcels, copied from the first
//! organization's), and the same pages are loaded again. Reported: pages a second and p50/p99
//! of each, with 1,000 organizations against one (goal: p99 within 1.2×).
//!
//! `pg_virtualenv sh -c 'STORELINK_TEST_DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@$PGHOST:${PGPORT:-5432}/$PGDATABASE" cargo bench --bench organizations --features ssr [-- ORGANIZATIONS ORDERS_EACH]'`

mod common;

use std::time::Instant;

use serde_json::json;
use storelink::{api::auth::COOKIE_NAME, auth::session, db::Pool};

const USERS: usize = 32;
const PAGES_EACH: usize = 10;
const STORES: usize = 5;
/// Orders (with their parcels) each store of the other organizations holds: rows the first
/// organization's pages must pass over in the shared tables and indexes.
const OTHERS_ORDERS: i64 = 20;

#[tokio::main]
async fn main() {
    assert!(
        std::env::var_os("STORELINK_TEST_DATABASE_URL").is_some(),
        "run under pg_virtualenv with STORELINK_TEST_DATABASE_URL (see the top of benches/organizations.rs)"
    );
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let organizations: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let orders: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let shops: Vec<(String, serde_json::Value)> = (0..STORES)
        .map(|n| {
            (
                format!("org{n}"),
                json!({"plan": "plus", "locations": 2, "products": 50, "customers": 200, "order_days": 14,
                       "orders": orders, "seed": n + 1}),
            )
        })
        .collect();
    let bench = common::start_shops(&shops).await;
    for (handle, _) in &shops[1..] {
        bench.register(handle).await;
    }
    let jobs: Vec<i64> =
        storelink::db_run!(&bench.state.pool, c => sqlx::query_scalar("SELECT id FROM sync_jobs ORDER BY id")
        .fetch_all(&mut *c).await)
        .unwrap();
    for job in jobs {
        bench.engine.run_job(storelink::ids::JobId(job)).await.unwrap();
    }
    // Nothing changes the stores while the pages are loaded (a change makes the queue count
    // again; on PostgreSQL the hub's backstop does every 10 s anyway): no webhooks, and what was
    // already on its way heard.
    for (handle, _) in &shops {
        common::remove_webhooks(&bench.emulator, handle).await;
    }
    settle(&bench.state.hub).await;
    // Fresh statistics before each measurement, as after the copies below.
    storelink::db_run!(&bench.state.pool, c => sqlx::query("VACUUM ANALYZE").execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    println!("one organization of {STORES} stores of {orders} orders, synced");
    let cookie = format!("{}={}", COOKIE_NAME, session::create(&bench.state.pool, bench.admin.id).await.unwrap());
    let base = format!("http://{}", bench.addr);
    let pages = [
        ("the Stores page", format!("{base}/")),
        ("the queue's first page", format!("{base}/orders")),
        ("the queue's first page again", format!("{base}/orders")),
    ];
    let mut alone = Vec::new();
    for (name, url) in &pages {
        let (rate, p50, p99, _) = common::load(url, &cookie, USERS, PAGES_EACH).await;
        println!(
            "{name}, one organization: {rate:.0} pages a second, p50 {:.1} ms, p99 {:.1} ms",
            p50 * 1e3,
            p99 * 1e3
        );
        alone.push(p99);
    }

    let adding = Instant::now();
    add_organizations(&bench.state.pool, organizations).await;
    println!(
        "{} more organizations of {STORES} stores added in {:.1} s",
        organizations - 1,
        adding.elapsed().as_secs_f64()
    );
    settle(&bench.state.hub).await;
    for ((name, url), alone) in pages.iter().zip(alone) {
        let (rate, p50, p99, _) = common::load(url, &cookie, USERS, PAGES_EACH).await;
        println!(
            "{name}, {organizations} organizations: {rate:.0} pages a second, p50 {:.1} ms, p99 {:.1} ms, {:.2}× the p99 with one",
            p50 * 1e3,
            p99 * 1e3,
            p99 / alone
        );
    }
}

/// Waits until no change to any store has been heard for two seconds.
async fn settle(hub: &storelink::progress::Hub) {
    let mut last = hub.generation();
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let now = hub.generation();
        if now == last {
            return;
        }
        last = now;
    }
}

/// Organizations 2..=`count`, each with a copy of the first organization's stores: the store,
/// its sync jobs and locations, and its first `OTHERS_ORDERS` orders with their parcels.
async fn add_organizations(pool: &Pool, count: i64) {
    let Pool::Postgres(pg) = pool else { unreachable!("checked above") };
    // Temporary tables live in one session: one connection does it all.
    let mut c = pg.acquire().await.unwrap();
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    run("INSERT INTO organizations (name, created_at) SELECT 'Organization ' || g, 0 FROM generate_series(2, $1) g"
        .into())
    .bind(count)
    .execute(&mut *c)
    .await
    .unwrap();
    let stores = columns(&mut c, "stores", &["id"]).await;
    let select = stores
        .iter()
        .map(|col| match col.as_str() {
            "shop_domain" => "o.id || '-' || s.shop_domain".to_owned(),
            "organization_id" => "o.id".to_owned(),
            col => format!("s.{col}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    run(format!(
        "INSERT INTO stores ({}) SELECT {select} FROM stores s CROSS JOIN organizations o
         WHERE s.organization_id = 1 AND o.id <> 1",
        stores.join(", ")
    ))
    .execute(&mut *c)
    .await
    .unwrap();
    for sql in [
        "CREATE TEMP TABLE clone_map AS SELECT s.id AS src, n.id AS dst FROM stores s
         JOIN stores n ON n.shop_domain = n.organization_id || '-' || s.shop_domain
         WHERE s.organization_id = 1 AND n.organization_id <> 1",
        "CREATE TEMP TABLE kept AS SELECT store_id, id FROM (SELECT store_id, id,
             ROW_NUMBER() OVER (PARTITION BY store_id ORDER BY id) AS n FROM synced_orders) o WHERE n <= $1",
    ] {
        run(sql.into()).bind(OTHERS_ORDERS).execute(&mut *c).await.unwrap();
    }
    // Each table's rows of the first organization's stores, as the copies' own.
    let copies: [(&str, &[&str], &str); 4] = [
        ("sync_jobs", &["id"], ""),
        ("synced_locations", &[], ""),
        ("synced_orders", &[], "JOIN kept k ON k.store_id = t.store_id AND k.id = t.id"),
        ("synced_fulfillment_orders", &[], "JOIN kept k ON k.store_id = t.store_id AND k.id = t.order_id"),
    ];
    for (table, skipped, kept) in copies {
        let cols = columns(&mut c, table, skipped).await;
        let select = cols
            .iter()
            .map(|col| if col == "store_id" { "m.dst".to_owned() } else { format!("t.{col}") })
            .collect::<Vec<_>>()
            .join(", ");
        run(format!(
            "INSERT INTO {table} ({}) SELECT {select} FROM {table} t JOIN clone_map m ON m.src = t.store_id {kept}",
            cols.join(", ")
        ))
        .execute(&mut *c)
        .await
        .unwrap();
    }
    run("ANALYZE".into()).execute(&mut *c).await.unwrap();
}

/// The columns of `table`, in order, but `skipped`.
async fn columns(c: &mut sqlx::PgConnection, table: &str, skipped: &[&str]) -> Vec<String> {
    let all: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    all.into_iter().filter(|col| !skipped.contains(&col.as_str())).collect()
}
