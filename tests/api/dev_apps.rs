//! Stores created today: a Dev Dashboard app's Client ID and secret, exchanged for tokens that
//! expire and that storelink renews by itself.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use storelink::{
    error::text,
    ids::{JobId, StoreId},
    platforms::shopify::tokens::TokenError,
};

use crate::{
    bulk::events,
    helpers::*,
    sync::{assert_exact_copy, job_state, wait_until_finished},
};

/// The grants the emulated shop has answered so far.
async fn grants(app: &TestApp) -> u64 {
    app.emulator_get("/stats").await["by_endpoint"]["POST oauth/access_token"].as_u64().unwrap_or(0)
}

async fn store_and_job(app: &TestApp, shop: &str) -> (StoreId, JobId) {
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT s.id, MAX(j.id) FROM stores s JOIN sync_jobs j ON j.store_id = s.id WHERE s.shop_domain = $1 GROUP BY s.id")
        .bind(format!("{shop}.myshopify.com"))
        .fetch_one(&mut *c).await)
        .unwrap()
}

#[tokio::test]
async fn a_dev_dashboard_app_connects_with_its_client_id_and_secret_and_no_password() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let response = app.register_dev_app(&admin, "dev.myshopify.com", DEV_CLIENT_SECRET).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    let (store, job) = store_and_job(&app, "dev").await;
    let kind: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT kind FROM store_credentials WHERE store_id = $1")
        .bind(store)
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(kind, "client_credentials");
    assert_eq!(wait_until_finished(&app, job).await, "done");
    assert_exact_copy(&app, store, "dev").await;
    assert_eq!(grants(&app).await, 1, "one token, valid for a day, serves the whole sync");
}

#[tokio::test]
async fn each_way_a_dev_app_is_refused_has_its_message_and_saves_nothing() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let before = app.store_snapshot().await;
    let refused = |shop: &'static str, secret: &'static str| {
        let (app, admin) = (&app, &admin);
        async move { error_body(app.register_dev_app(admin, shop, secret).await).await }
    };
    let invalid = |field: &str, message: &str| json!({"Invalid": {"field": field, "message": message}});
    assert_eq!(refused("dev", "not-the-secret").await, invalid("shared_secret", text::CLIENT_REJECTED));
    assert_eq!(refused("foreign", DEV_CLIENT_SECRET).await, invalid("api_key", text::SHOP_NOT_PERMITTED));
    assert_eq!(refused("uninstalled", DEV_CLIENT_SECRET).await, invalid("api_key", text::APP_NOT_INSTALLED));
    // An unknown shop answers with an HTML page, not JSON.
    let unknown = refused("nosuchshop", DEV_CLIENT_SECRET).await;
    assert_eq!(unknown["Invalid"]["field"], "store_url");
    assert!(unknown["Invalid"]["message"].as_str().unwrap().starts_with("No Shopify store answers at nosuchshop"));
    // A wrong Client ID is the same refusal as a wrong secret: Shopify does not say which.
    let wrong_id =
        [("store_url", "dev"), ("api_key", "0000"), ("api_password", ""), ("shared_secret", DEV_CLIENT_SECRET)];
    let body = error_body(app.register_with(&admin, "shopify", &wrong_id).await).await;
    assert_eq!(body, invalid("shared_secret", text::CLIENT_REJECTED));
    app.shop_faults("dev", json!({"error_rate": 1.0})).await;
    assert_eq!(refused("dev", DEV_CLIENT_SECRET).await, json!({"Upstream": text::SHOPIFY_UNAVAILABLE}));
    // Slower than the test server's Shopify timeout.
    app.shop_faults("dev", json!({"error_rate": 0.0, "latency_ms": 2500})).await;
    assert_eq!(refused("dev", DEV_CLIENT_SECRET).await, json!({"Upstream": text::SHOPIFY_UNAVAILABLE}));
    assert_eq!(app.store_snapshot().await, before, "nothing was saved");
}

#[tokio::test]
async fn a_sync_outliving_many_tokens_finishes_exactly_renewing_as_it_goes() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register_dev_app(&admin, "devbig", DEV_CLIENT_SECRET).await.status(), StatusCode::OK);
    let (store, job) = store_and_job(&app, "devbig").await;
    // Tokens last 4 seconds; so that the sync takes several times that, every answer takes a
    // while and Shopify exports slowly.
    app.shop_faults("devbig", json!({"latency_ms": 150})).await;
    app.emulator_post("/shops/devbig/bulk", json!({"objects_per_second": 300})).await;
    tokio::time::timeout(Duration::from_secs(120), app.engine.run_job(job)).await.expect("the sync ends").unwrap();
    assert_eq!(job_state(&app, job).await, ("done".to_owned(), None));
    // Counted before the copy is checked: reading the shop for that renews tokens too.
    let renewed = grants(&app).await - 1;
    assert!(renewed >= 2, "renewed {renewed} times");
    app.shop_faults("devbig", json!({"latency_ms": 0})).await;
    assert_exact_copy(&app, store, "devbig").await;
    // The events' words only: the whole JSON holds timestamps, and 1796284401 contains "401".
    let events = events(&app, job).await;
    assert!(events.iter().all(|e| !e.contains("401") && !e.contains("rejected")), "{events:?}");
}

#[tokio::test]
async fn a_token_shopify_stops_accepting_is_renewed_once_for_all_callers() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register_dev_app(&admin, "dev", DEV_CLIENT_SECRET).await.status(), StatusCode::OK);
    let (store, _) = store_and_job(&app, "dev").await;
    let before = grants(&app).await;
    app.emulator_post("/shops/dev/tokens/expire", json!({})).await;
    let shopify =
        storelink::platforms::shopify::client::ShopifyClient::new(Some(app.emulator.url()), Duration::from_secs(5))
            .unwrap();
    let query = storelink::platforms::shopify::graphql::Query {
        text: storelink::platforms::shopify::queries::REGISTRATION,
        variables: Value::Null,
        cost: 2.0,
    };
    let calls = (0..10).map(|_| {
        app.tokens.call(store, |access| {
            let (shopify, query) = (&shopify, &query);
            async move { shopify.graphql(&access.domain, &access.token, query, &mut |_| {}).await }
        })
    });
    for answer in futures::future::join_all(calls).await {
        assert!(answer.unwrap().read::<Value>().unwrap()["shop"]["name"].as_str().is_some());
    }
    assert_eq!(grants(&app).await - before, 1, "ten calls, one renewal");
}

#[tokio::test]
async fn a_rotated_client_secret_asks_for_reconnecting_that_store_only() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register_dev_app(&admin, "dev", DEV_CLIENT_SECRET).await.status(), StatusCode::OK);
    assert_eq!(app.register(&admin, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let (dev, dev_job) = store_and_job(&app, "dev").await;
    let (acme, acme_job) = store_and_job(&app, "acme").await;
    app.emulator_post("/shops/dev/dev_app", json!({"client_secret": "a-new-secret-0000000000000000000"})).await;
    app.emulator_post("/shops/dev/tokens/expire", json!({})).await;
    let (a, b) = tokio::join!(app.engine.run_job(dev_job), app.engine.run_job(acme_job));
    a.unwrap();
    b.unwrap();
    let refused = "Shopify refused the app's Client secret — reconnect the store";
    assert_eq!(job_state(&app, dev_job).await, ("failed".to_owned(), Some(refused.to_owned())));
    let state: (String, Option<String>) =
        storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT state, state_detail FROM stores WHERE id = $1")
        .bind(dev)
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(state, ("refused".to_owned(), Some(refused.to_owned())));
    assert_eq!(job_state(&app, acme_job).await.0, "done", "other stores are unaffected");
    assert_exact_copy(&app, acme, "acme").await;

    // The Stores page says so, and offers to reconnect; reconnecting with the new secret works.
    let page = app.get(&admin, "/").await.text().await.unwrap();
    assert!(page.contains("Credentials refused") && page.contains(refused) && page.contains("Reconnect"), "{page}");
    let response = app.register_dev_app(&admin, "dev", "a-new-secret-0000000000000000000").await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    let (_, job) = store_and_job(&app, "dev").await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(job_state(&app, job).await.0, "done");
    assert_exact_copy(&app, dev, "dev").await;
}

#[tokio::test]
async fn a_dev_apps_webhooks_verify_with_its_client_secret() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register_dev_app(&admin, "dev", DEV_CLIENT_SECRET).await.status(), StatusCode::OK);
    let (_, job) = store_and_job(&app, "dev").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    let created: Value = app.emulator_post("/shops/dev/orders", json!({})).await;
    let id = created["order"]["id"].as_i64().unwrap();
    for _ in 0..100 {
        if let Some(order) = app.synced_order(id).await {
            assert_eq!(order["id"], created["order"]["admin_graphql_api_id"]);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the order signed with the Client secret never landed");
}

#[tokio::test]
async fn a_disconnect_after_the_token_expired_still_removes_the_subscriptions() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register_dev_app(&admin, "dev", DEV_CLIENT_SECRET).await.status(), StatusCode::OK);
    let (store, job) = store_and_job(&app, "dev").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    app.emulator_post("/shops/dev/tokens/expire", json!({})).await;
    let response = app.post(&admin, "/api/stores/disconnect", &[("store_id", &store.to_string())]).await;
    let report: String = response.json().await.unwrap();
    let removed = format!("{} webhook subscriptions removed", storelink::platforms::shopify::TOPICS.len());
    assert!(report.contains(&removed), "{report}");
    assert!(matches!(app.tokens.access(store).await, Err(TokenError::NoCredentials)));
}

#[tokio::test]
async fn a_renewal_that_meets_a_passing_failure_is_tried_again() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register_dev_app(&admin, "dev", DEV_CLIENT_SECRET).await.status(), StatusCode::OK);
    let (store, _) = store_and_job(&app, "dev").await;
    storelink::db_run!(&app.pool, c => sqlx::query("UPDATE store_credentials SET token_renew_at = 0 WHERE store_id = $1")
        .bind(store)
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    let before = grants(&app).await;
    // Shopify answers 5xx to everything for a moment, just as the token is due.
    app.shop_faults("dev", json!({"error_rate": 1.0})).await;
    let shopify =
        storelink::platforms::shopify::client::ShopifyClient::new(Some(app.emulator.url()), Duration::from_secs(5))
            .unwrap();
    let query = storelink::platforms::shopify::graphql::Query {
        text: storelink::platforms::shopify::queries::REGISTRATION,
        variables: Value::Null,
        cost: 2.0,
    };
    let call = app.tokens.call(store, |access| {
        let (shopify, query) = (&shopify, &query);
        async move { shopify.graphql_without_retry(&access.domain, &access.token, query).await }
    });
    let calm = async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        app.shop_faults("dev", json!({"error_rate": 0.0})).await;
    };
    let (answer, ()) = tokio::join!(call, calm);
    assert!(answer.unwrap().read::<Value>().unwrap()["shop"]["name"].as_str().is_some());
    assert!(grants(&app).await - before >= 2, "the grant was tried again");
}

#[tokio::test]
async fn subscribing_with_a_token_shopify_stopped_accepting_renews_it_and_subscribes() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register_dev_app(&admin, "dev", DEV_CLIENT_SECRET).await.status(), StatusCode::OK);
    let (store, job) = store_and_job(&app, "dev").await;
    // Shopify's clock passes the token's end while storelink still thinks it has hours left;
    // subscribing is the job's first call.
    app.emulator_post("/shops/dev/tokens/expire", json!({})).await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(job_state(&app, job).await, ("done".to_owned(), None));
    let access = app.tokens.access(store).await.ok().unwrap();
    let listed: Value = reqwest::Client::new()
        .get(format!("{}/admin/api/2026-07/webhooks.json", app.emulator.url()))
        .header("host", "dev.myshopify.com")
        .header("x-shopify-access-token", access.token.expose())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["webhooks"].as_array().unwrap().len(), storelink::platforms::shopify::TOPICS.len());
}
