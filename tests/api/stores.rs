use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn store_row(app: &TestApp, domain: &str) -> Option<(i64, String, String, String)> {
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT id, name, state, warnings FROM stores WHERE shop_domain = $1")
        .bind(domain)
        .fetch_optional(&mut *c).await)
        .unwrap()
}

#[tokio::test]
async fn an_administrator_registers_a_store_and_its_first_sync_is_queued() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let response = app.register(&admin, "https://ACME.myshopify.com/admin/orders", SHOP_TOKEN).await;
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.text().await);
    let (id, name, state, warnings) = store_row(&app, "acme.myshopify.com").await.expect("the store is saved");
    assert_eq!(response.headers()[header::LOCATION], format!("/?registered={id}"), "back to the stores, saying so");
    assert_eq!((name.as_str(), state.as_str(), warnings.as_str()), ("Acme Store", "connected", ""));
    let (key, password): (String, Vec<u8>) =
        storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT api_key, api_password FROM store_credentials WHERE store_id = $1")
            .bind(id)
            .fetch_one(&mut *c).await)
            .unwrap();
    assert_eq!(key, SHOP_KEY);
    assert!(!String::from_utf8_lossy(&password).contains(SHOP_TOKEN), "the password is sealed");
    let job: (String, String) =
        storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT kind, state FROM sync_jobs WHERE store_id = $1")
        .bind(id)
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(job, ("full".into(), "queued".into()));
    let audit: (String, String) = storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT user_email, action FROM audit_log WHERE store_id = $1")
        .bind(id)
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(audit, (ADMIN_EMAIL.into(), "Registered store".into()));

    let page: Value = app.get(&app.signed_in(STANDARD_EMAIL).await, "/api/stores/list").await.json().await.unwrap();
    assert_eq!(page["stores"][0]["shop_domain"], "acme.myshopify.com");
    assert_eq!(page["stores"][0]["state"], "connected");
}

#[tokio::test]
async fn the_private_apps_example_url_fills_the_key_and_password() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let example = format!("https://{SHOP_KEY}:{SHOP_TOKEN}@acme.myshopify.com/admin/api/2020-04/orders.json");
    let form = [("store_url", example.as_str()), ("api_key", ""), ("api_password", ""), ("shared_secret", SHOP_SECRET)];
    let response = app.register_with(&admin, "shopify", &form).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(store_row(&app, "acme.myshopify.com").await.is_some());
}

/// One failing registration: what, the Store URL and password typed, faults switched on in
/// the emulated shop, the status, the field the message belongs beside (or none), and a piece
/// of the message.
type Failure = (&'static str, &'static str, &'static str, Option<Value>, u16, Option<&'static str>, &'static str);

/// Each failure: its status, its message where it belongs, and nothing saved.
#[tokio::test]
async fn every_registration_failure_has_its_own_message_and_saves_nothing() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let cases: Vec<Failure> = vec![
        (
            "not a shopify url",
            "shop.example.com",
            SHOP_TOKEN,
            None,
            422,
            Some("store_url"),
            "is not a Shopify store address",
        ),
        (
            "localhost",
            "http://localhost:3000",
            SHOP_TOKEN,
            None,
            422,
            Some("store_url"),
            "localhost is not a Shopify store",
        ),
        (
            "unknown shop",
            "nosuchshop",
            SHOP_TOKEN,
            None,
            422,
            Some("store_url"),
            "No Shopify store answers at nosuchshop.myshopify.com",
        ),
        ("wrong password", "acme", "shpat_wrong", None, 422, Some("api_password"), "Shopify rejected the API password"),
        // An empty password means a Dev Dashboard app; acme's key and secret are no such app's.
        (
            "empty password",
            "acme",
            "",
            None,
            422,
            Some("shared_secret"),
            "Shopify refused the Client ID or the Client secret",
        ),
        ("frozen", "acme", SHOP_TOKEN, Some(json!({"frozen": true})), 502, None, "unavailable (frozen"),
        ("locked", "acme", SHOP_TOKEN, Some(json!({"locked": true})), 502, None, "has locked acme.myshopify.com"),
        ("shopify down", "acme", SHOP_TOKEN, Some(json!({"error_rate": 1.0})), 502, None, "unavailable or too slow"),
        ("too slow", "acme", SHOP_TOKEN, Some(json!({"latency_ms": 2500})), 502, None, "unavailable or too slow"),
        (
            "missing permissions",
            "partial",
            SHOP_TOKEN,
            None,
            422,
            Some("permissions"),
            "Inventory, Merchant-managed fulfillment orders",
        ),
    ];
    let before = app.store_snapshot().await;
    for (what, url, password, faults, status, field, message) in cases {
        if let Some(faults) = &faults {
            app.shop_faults("acme", faults.clone()).await;
        }
        let response = app.register(&admin, url, password).await;
        assert_eq!(response.status().as_u16(), status, "{what}");
        let body: Value = response.json().await.unwrap();
        let text = match field {
            Some(field) => {
                assert_eq!(body["Invalid"]["field"], field, "{what}: {body}");
                body["Invalid"]["message"].as_str().unwrap().to_owned()
            }
            None => body["Upstream"].as_str().unwrap_or_else(|| panic!("{what}: {body}")).to_owned(),
        };
        assert!(text.contains(message), "{what}: {text}");
        assert!(!text.contains(SHOP_TOKEN), "{what}: the message repeats no secret");
        assert_eq!(app.store_snapshot().await, before, "{what}: nothing saved");
        if faults.is_some() {
            app.shop_faults("acme", json!({"frozen": false, "locked": false, "error_rate": 0.0, "latency_ms": 0}))
                .await;
        }
    }
}

#[tokio::test]
async fn a_bad_url_is_refused_before_any_request_is_sent() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    for url in ["https://acme.myshopify.com@evil.example/admin", "127.0.0.1", "shop.example.com", "ünïcode"] {
        assert_eq!(app.register(&admin, url, SHOP_TOKEN).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
    }
    assert_eq!(app.shopify_requests().await, 0);
}

#[tokio::test]
async fn a_missing_optional_permission_registers_with_a_warning() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, "recent", SHOP_TOKEN).await.status(), StatusCode::OK);
    let (_, _, state, warnings) = store_row(&app, "recent.myshopify.com").await.unwrap();
    assert_eq!(state, "connected");
    assert!(warnings.contains("only the last 60 days of orders will sync"), "{warnings}");
    let html = app.get(&admin, "/").await.text().await.unwrap();
    assert!(html.contains("only the last 60 days of orders will sync"));
}

#[tokio::test]
async fn a_connected_shop_cannot_be_registered_twice_even_at_the_same_moment() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let (a, b) = tokio::join!(app.register(&admin, "acme", SHOP_TOKEN), app.register(&admin, "acme", SHOP_TOKEN));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let again = app.register(&admin, "acme.myshopify.com", SHOP_TOKEN).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let body: Value = again.json().await.unwrap();
    assert!(body["Conflict"].as_str().unwrap().contains("is already connected"));
    assert_eq!(app.store_snapshot().await[..3], [1, 1, 1]);
}

#[tokio::test]
async fn disconnecting_keeps_the_data_deletes_credentials_and_removes_webhooks() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    app.register(&admin, "acme", SHOP_TOKEN).await;
    let (id, ..) = store_row(&app, "acme.myshopify.com").await.unwrap();
    // A subscription storelink made in Shopify, as the first sync job would (this app runs none).
    let created: Value = app
        .shopify(reqwest::Method::POST, "acme", "/webhooks.json")
        .json(&json!({"webhook": {"topic": "orders/create", "address": "https://storelink.example/webhooks"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    storelink::db_run!(&app.pool, c => sqlx::query("INSERT INTO store_webhooks (store_id, webhook_id, topic) VALUES ($1, $2, 'orders/create')")
        .bind(id)
        .bind(created["webhook"]["id"].as_i64().unwrap())
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    storelink::db_run!(&app.pool, c => sqlx::query("UPDATE stores SET orders_count = 20 WHERE id = $1").bind(id).execute(&mut *c).await.map(|done| done.rows_affected())).unwrap();

    let response = app.post(&admin, "/api/stores/disconnect", &[("store_id", &id.to_string())]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: String = response.json().await.unwrap();
    assert!(report.contains("1 webhook subscriptions removed"), "{report}");
    let remaining = app.emulator.state.shop("acme").unwrap().subscriptions.lock().unwrap().len();
    assert_eq!(remaining, 0);
    let (state, orders): (String, i64) =
        storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT state, orders_count FROM stores WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!((state.as_str(), orders), ("disconnected", 20), "the data stays");
    assert_eq!(app.store_snapshot().await[1], 0, "credentials deleted");
    let job: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT state FROM sync_jobs WHERE store_id = $1")
        .bind(id)
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(job, "cancelled", "sync stopped");

    // Reconnecting takes the credentials again and keeps the same store.
    assert_eq!(app.register(&admin, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let (again, _, state, _) = store_row(&app, "acme.myshopify.com").await.unwrap();
    assert_eq!((again, state.as_str()), (id, "connected"));
}

#[tokio::test]
async fn only_disconnected_stores_can_be_removed_and_both_are_audited() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    app.register(&admin, "acme", SHOP_TOKEN).await;
    let (id, ..) = store_row(&app, "acme.myshopify.com").await.unwrap();
    let id = id.to_string();
    let refused = app.post(&admin, "/api/stores/remove", &[("store_id", &id)]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(store_row(&app, "acme.myshopify.com").await.is_some());

    wait_for(&app, "the store's first sync", "SELECT COUNT(*) FROM sync_jobs WHERE state = 'done'").await;
    app.post(&admin, "/api/stores/disconnect", &[("store_id", &id)]).await;
    assert_eq!(app.post(&admin, "/api/stores/remove", &[("store_id", &id)]).await.status(), StatusCode::OK);
    assert!(store_row(&app, "acme.myshopify.com").await.is_none());
    assert_eq!(app.store_snapshot().await[2], 0, "its jobs went with it");
    let synced = "SELECT (SELECT COUNT(*) FROM synced_locations) + (SELECT COUNT(*) FROM synced_products)
        + (SELECT COUNT(*) FROM synced_variants) + (SELECT COUNT(*) FROM synced_inventory_levels)
        + (SELECT COUNT(*) FROM synced_customers) + (SELECT COUNT(*) FROM synced_orders)
        + (SELECT COUNT(*) FROM synced_order_lines) + (SELECT COUNT(*) FROM synced_fulfillment_orders)
        + (SELECT COUNT(*) FROM synced_fulfillment_order_lines)";
    let left: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(synced).fetch_one(&mut *c).await).unwrap();
    assert_eq!(left, 0, "its synced records went with it");

    let audit: Value = app.get(&admin, &format!("/api/audit/list?store={id}")).await.json().await.unwrap();
    let audit = &audit["entries"];
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["Removed store", "Disconnected store", "Registered store"]);
    assert!(audit
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["user_email"] == ADMIN_EMAIL && e["store_name"] == "Acme Store"));
    assert_eq!(app.get(&app.signed_in(STANDARD_EMAIL).await, "/api/audit/list").await.status(), StatusCode::FORBIDDEN);
}

/// Entering a store's credentials again while its sync still waits its turn keeps that one job
/// (on PostgreSQL the second job's refusal once ended the whole registration with a 500).
#[tokio::test]
async fn reconnecting_a_store_whose_sync_waits_keeps_its_one_job() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let fields = [
        ("store_url", "acme"),
        ("api_key", SHOP_KEY),
        ("api_password", SHOP_TOKEN),
        ("shared_secret", SHOP_SECRET),
        ("reconnect", "on"),
    ];
    let again = app.register_with(&admin, "shopify", &fields).await;
    assert_eq!(again.status(), StatusCode::OK);
    let jobs: Vec<String> = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT state FROM sync_jobs")
        .fetch_all(&mut *c).await)
    .unwrap();
    assert_eq!(jobs, ["queued"]);
    let audited: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'Reconnected store'",
    )
    .fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!(audited, 1);
}
