//! Databases written by earlier versions of storelink open with this one, nothing lost: one
//! from the REST version (each store it synced gets one full sync through GraphQL, queued once by
//! the migration), and one from before organizations (everything moves into the first).

use std::str::FromStr;

use serde_json::json;
use storelink::{
    ids::StoreId,
    records::RawJson,
    secrets::{Sealer, Secret},
};

use crate::{
    helpers::*,
    sync::{assert_exact_copy, wait_until_finished},
};

#[tokio::test]
async fn a_database_synced_through_rest_opens_reads_and_is_synced_again_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = storelink::db::sqlite_url_in(dir.path());
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
    let before = sqlx::SqlitePool::connect_with(options).await.unwrap();
    // The schema as the REST version left it, and what it stored: a connected store, synced,
    // with an order as REST renders it.
    sqlx::migrate!("./migrations/sqlite").run_to(8, &before).await.unwrap();
    let sealer = Sealer::load(None, dir.path()).unwrap();
    sqlx::query(
        "INSERT INTO stores (id, platform, name, shop_domain, state, last_synced_at, orders_count, created_at)
         VALUES (1, 'shopify', 'Acme', 'acme.myshopify.com', 'connected', 1000, 1, 0)",
    )
    .execute(&before)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO store_credentials (store_id, api_key, api_password, shared_secret, created_at, kind)
         VALUES (1, $1, $2, $3, 0, 'token')",
    )
    .bind(SHOP_KEY)
    .bind(sealer.seal(&Secret::new(SHOP_TOKEN.to_owned())))
    .bind(sealer.seal(&Secret::new(SHOP_SECRET.to_owned())))
    .execute(&before)
    .await
    .unwrap();
    let rest = json!({"id": 9, "name": "#1009", "customer": {"id": 42, "first_name": "Ann"}, "line_items": [],
                      "created_at": "2026-01-01T00:00:00-05:00", "updated_at": "2026-01-01T00:00:00-05:00"});
    sqlx::query(
        "INSERT INTO synced_orders (store_id, id, name, created_at_text, created_at, updated_at, status, items,
                                    total_weight, total_price, customer_id, raw)
         VALUES (1, 9, '#1009', '2026-01-01T00:00:00-05:00', 0, 0, 'open', 0, 0, '1.00', 42, $1)",
    )
    .bind(RawJson::pack(&rest.to_string()))
    .execute(&before)
    .await
    .unwrap();
    before.close().await;

    let app = spawn_app_on(dir, false).await;
    assert_eq!(app.synced_order(9).await, Some(rest), "a row the REST version wrote still reads");
    // The owed full sync was queued once, when the database was brought up to date.
    let queued: Vec<(String, String)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT kind, state FROM sync_jobs WHERE store_id = 1",
    )
    .fetch_all(&mut *c).await)
    .unwrap();
    assert_eq!(queued, [("full".to_owned(), "queued".to_owned())]);
    let page = app.get(&app.signed_in(ADMIN_EMAIL).await, "/").await.text().await.unwrap();
    assert!(page.contains("Acme"), "the Stores page lists the store");

    app.engine.spawn();
    let job = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM sync_jobs WHERE store_id = 1 AND kind = 'full'")
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(wait_until_finished(&app, job).await, "done");
    assert_exact_copy(&app, StoreId(1), "acme").await;
    assert_eq!(app.synced_order(9).await, None, "what Shopify does not have is gone");
    let full: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM sync_jobs WHERE store_id = 1 AND kind = 'full'",
    )
    .fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!(full, 1, "one full sync, owed no more");
}

/// What a database held before organizations, as a user, a store, a token and an audit entry.
const BEFORE_ORGANIZATIONS: &str = "
    INSERT INTO users (id, email, password_hash, role, active, created_at) VALUES (7, 'ann@example.com', 'x', 'admin', TRUE, 0);
    INSERT INTO stores (id, platform, name, shop_domain, state, last_synced_at, created_at)
        VALUES (3, 'shopify', 'Acme', 'acme.myshopify.com', 'connected', 86400, 0);
    INSERT INTO api_tokens (id, name, token_hash, prefix, created_by, created_at) VALUES (5, 'Printer', 'h', 'slk_', 'command line', 0);
    INSERT INTO audit_log (at, user_id, user_email, action, store_id, store_name, detail)
        VALUES (0, 7, 'ann@example.com', 'Registered store', 3, 'Acme', '');";

#[tokio::test]
async fn a_database_from_before_organizations_moves_whole_into_the_first_and_the_command_line_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = storelink::db::scratch_url(dir.path()).await;
    // The schema as the version before organizations left it, on either database.
    if storelink::db::is_postgres_url(&url) {
        let before = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::migrate!("./migrations/postgres").run_to(18, &before).await.unwrap();
        sqlx::raw_sql(BEFORE_ORGANIZATIONS).execute(&before).await.unwrap();
        before.close().await;
    } else {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        let before = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate!("./migrations/sqlite").run_to(25, &before).await.unwrap();
        sqlx::raw_sql(BEFORE_ORGANIZATIONS).execute(&before).await.unwrap();
        before.close().await;
    }

    let pool = storelink::db::connect(&url).await.unwrap();
    let orgs = storelink::organizations::repo::list(&pool).await.unwrap();
    assert_eq!(orgs.len(), 1);
    let first = &orgs[0];
    assert_eq!((first.name.as_str(), first.enabled, first.stores, first.users), ("Default", true, 1, 1));
    assert_eq!(first.last_synced_at, Some(86400));
    // Every row that has an organization has the first, and nothing was lost.
    for table in ["users", "stores", "api_tokens", "audit_log"] {
        let found: Vec<i64> = storelink::db_run!(&pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT organization_id FROM {table}"
        )))
        .fetch_all(&mut *c).await)
        .unwrap();
        assert_eq!(found, [first.id.0], "{table}");
    }
    assert_eq!(
        storelink::users::repo::list(&pool, storelink::ids::OrgId(1)).await.unwrap()[0].email,
        "ann@example.com"
    );
    assert_eq!(storelink::stores::repo::list(&pool, storelink::ids::OrgId(1)).await.unwrap()[0].name, "Acme");
    pool.close().await;

    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_storelink"))
        .args(["org", "list", "--data-dir"])
        .arg(dir.path())
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    assert_eq!(
        String::from_utf8(listed.stdout).unwrap().trim(),
        format!("{}\tDefault\tenabled\t1 stores\t1 users\tlast synced 1970-01-02 00:00 UTC", first.id)
    );
}
