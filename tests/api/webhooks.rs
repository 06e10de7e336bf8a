//! Webhooks end to end: the emulator's signed deliveries reach the server and land; forgeries
//! and repeats change nothing; compliance topics and reconciliation do what they say.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use storelink::platforms::shopify::TOPICS;
use storelink_emulator::webhooks::sign;

use crate::helpers::*;

/// Registers `shop`, waits for its first sync, and returns the store's id.
async fn connected(app: &TestApp, shop: &str) -> i64 {
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, shop, SHOP_TOKEN).await.status(), StatusCode::OK);
    let (store, job): (i64, i64) =
        storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT s.id, j.id FROM stores s JOIN sync_jobs j ON j.store_id = s.id WHERE s.shop_domain = $1")
            .bind(format!("{shop}.myshopify.com"))
            .fetch_one(&mut *c).await)
            .unwrap();
    wait_for(app, "the first sync", &format!("SELECT COUNT(*) FROM sync_jobs WHERE id = {job} AND state = 'done'"))
        .await;
    store
}

/// A count query for "the delivery with this event id has been applied".
fn applied(event_id: &str) -> String {
    format!("SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = '{event_id}' AND applied_at IS NOT NULL")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut *c).await)
        .unwrap()
}

/// The subscriptions the emulated shop holds, through the Admin API as Shopify would answer.
async fn subscriptions(app: &TestApp, shop: &str) -> Vec<Value> {
    let body: Value =
        app.shopify(reqwest::Method::GET, shop, "/webhooks.json").send().await.unwrap().json().await.unwrap();
    body["webhooks"].as_array().unwrap().clone()
}

/// Posts a delivery to the server's webhook endpoint with the given headers.
async fn deliver(app: &TestApp, headers: &[(&'static str, String)], body: Vec<u8>) -> StatusCode {
    let mut request = reqwest::Client::new().post(app.url("/webhooks/shopify")).body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap().status()
}

fn order_update(id: i64, note: &str, updated_at: &str) -> Vec<u8> {
    json!({"id": id, "name": "#9001", "note": note, "created_at": "2026-11-01T10:00:00-05:00",
           "updated_at": updated_at, "line_items": [], "total_price": "1.00"})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn registering_subscribes_the_store_to_every_topic_at_the_webhook_address() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    let held = subscriptions(&app, "acme").await;
    let mut topics: Vec<&str> = held.iter().map(|w| w["topic"].as_str().unwrap()).collect();
    topics.sort();
    let mut expected = TOPICS.to_vec();
    expected.sort();
    assert_eq!(topics, expected);
    assert!(held.iter().all(|w| w["address"] == app.url("/webhooks/shopify")), "{held:?}");
    let recorded = count(&app, &format!("SELECT COUNT(*) FROM store_webhooks WHERE store_id = {store}")).await;
    assert_eq!(recorded as usize, TOPICS.len());
}

#[tokio::test]
async fn an_order_created_in_shopify_arrives_by_webhook_and_lands() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    let created = app.emulator_post("/shops/acme/orders", json!({})).await;
    let id = created["order"]["id"].as_i64().unwrap();
    wait_for(&app, "the new order", &format!("SELECT COUNT(*) FROM synced_orders WHERE id = {id}")).await;
    // The delivery was a notice: the order was fetched as Shopify has it now, and stored in the
    // one shape every record has, with its line items and fulfillment orders.
    assert_eq!(app.synced_order(id).await.unwrap()["id"], created["order"]["admin_graphql_api_id"]);
    assert!(count(&app, &format!("SELECT COUNT(*) FROM webhook_deliveries WHERE store_id = {store}")).await >= 1);
    crate::sync::assert_exact_copy(&app, storelink::ids::StoreId(store), "acme").await;
}

#[tokio::test]
async fn forged_unsigned_unknown_truncated_and_oversized_deliveries_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    let existing: i64 = count(&app, "SELECT MIN(id) FROM synced_orders").await;
    let stored_before = app.synced_order(existing).await;
    let body = order_update(existing, "forged", "2026-11-20T10:00:00-05:00");
    let good = sign(SHOP_SECRET, &body);
    let forged = sign("shpss_not_the_secret", &body);
    let base = |signature: &str| -> Vec<(&'static str, String)> {
        vec![
            ("x-shopify-topic", "orders/create".into()),
            ("x-shopify-shop-domain", "acme.myshopify.com".into()),
            ("x-shopify-event-id", "evt-forged".into()),
            ("x-shopify-hmac-sha256", signature.into()),
        ]
    };

    assert_eq!(deliver(&app, &base(&forged), body.clone()).await, StatusCode::UNAUTHORIZED, "forged");
    assert_eq!(deliver(&app, &base(&good)[..3], body.clone()).await, StatusCode::UNAUTHORIZED, "unsigned");
    let mut elsewhere = base(&good);
    elsewhere[1] = ("x-shopify-shop-domain", "stranger.myshopify.com".into());
    assert_eq!(deliver(&app, &elsewhere, body.clone()).await, StatusCode::UNAUTHORIZED, "unknown shop");
    let truncated = body[..body.len() - 5].to_vec();
    assert_eq!(deliver(&app, &base(&good), truncated).await, StatusCode::UNAUTHORIZED, "truncated");
    let no_topic: Vec<_> = base(&good).into_iter().skip(1).collect();
    assert_eq!(deliver(&app, &no_topic, body.clone()).await, StatusCode::UNAUTHORIZED, "no topic");
    let huge = vec![b' '; 3 * 1024 * 1024];
    let huge_signature = sign(SHOP_SECRET, &huge);
    assert_eq!(deliver(&app, &base(&huge_signature), huge).await, StatusCode::PAYLOAD_TOO_LARGE, "oversized");

    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'evt-forged'").await, 0);
    assert_eq!(app.synced_order(existing).await, stored_before, "nothing changed");
    // A correctly signed one is then accepted, which shows the refusals were for their reasons;
    // its body is only a notice, so the words it carries never become the order's.
    assert_eq!(deliver(&app, &base(&good), body).await, StatusCode::OK);
    wait_for(&app, "the signed notice", &applied("evt-forged")).await;
    assert_eq!(app.synced_order(existing).await.unwrap()["note"], stored_before.unwrap()["note"]);
    let rejected = count(&app, &format!("SELECT webhooks_rejected FROM stores WHERE id = {store}")).await;
    assert_eq!(rejected, 2, "the forged and the truncated delivery name a known shop");
}

#[tokio::test]
async fn a_repeated_delivery_is_applied_once_and_an_older_version_never_wins() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    let send = |event: &'static str, body: Vec<u8>| {
        let signature = sign(SHOP_SECRET, &body);
        let app = &app;
        async move {
            let headers = [
                ("x-shopify-topic", "orders/updated".to_owned()),
                ("x-shopify-shop-domain", "acme.myshopify.com".to_owned()),
                ("x-shopify-event-id", event.to_owned()),
                ("x-shopify-hmac-sha256", signature),
            ];
            deliver(app, &headers, body).await
        }
    };
    let id: i64 = count(&app, "SELECT MIN(id) FROM synced_orders").await;
    // Shopify's order now says "newer" (its own delivery of that is left to arrive as it may).
    app.emulator_post(&format!("/shops/acme/orders/{id}/update"), json!({"note": "newer"})).await;
    let newer = order_update(id, "newer", "2026-11-20T12:00:00-05:00");
    assert_eq!(send("evt-1", newer.clone()).await, StatusCode::OK);
    assert_eq!(send("evt-1", newer).await, StatusCode::OK);
    wait_for(&app, "the notice", &applied("evt-1")).await;
    let deliveries = format!("SELECT COUNT(*) FROM webhook_deliveries WHERE store_id = {store} AND event_id = 'evt-1'");
    assert_eq!(count(&app, &deliveries).await, 1);
    assert_eq!(app.synced_order(id).await.unwrap()["note"], "newer");

    // A stale delivery is only a notice too: the order is fetched as it is, still "newer".
    assert_eq!(send("evt-2", order_update(id, "older", "2026-11-20T11:00:00-05:00")).await, StatusCode::OK);
    wait_for(&app, "the stale delivery", &applied("evt-2")).await;
    assert_eq!(app.synced_order(id).await.unwrap()["note"], "newer");
}

#[tokio::test]
async fn out_of_order_deliveries_from_shopify_leave_the_newest_version() {
    let app = spawn_app().await;
    connected(&app, "acme").await;
    let id: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM synced_orders ORDER BY id LIMIT 1").fetch_one(&mut *c).await).unwrap();
    app.emulator_post(&format!("/shops/acme/orders/{id}/update"), json!({"note": "latest", "out_of_order": true}))
        .await;
    // The stale version is sent 200 ms after the new one: wait until Shopify delivered both and
    // storelink applied both.
    let mut events = Vec::new();
    for _ in 0..100 {
        let deliveries = app.emulator_get("/shops/acme/deliveries").await;
        events = deliveries["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["topic"] == "orders/updated" && d["delivered"] == true)
            .map(|d| d["event_id"].as_str().unwrap().to_owned())
            .collect();
        if events.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(events.len(), 2, "both versions were delivered: {events:?}");
    for event in &events {
        wait_for(&app, "both deliveries applied", &applied(event)).await;
    }
    assert_eq!(app.synced_order(id).await.unwrap()["note"], "latest");
}

#[tokio::test]
async fn a_product_deleted_in_shopify_is_deleted_here() {
    let app = spawn_app().await;
    connected(&app, "acme").await;
    let id: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM synced_products ORDER BY id LIMIT 1").fetch_one(&mut *c).await).unwrap();
    app.emulator_post(&format!("/shops/acme/products/{id}/delete"), json!({})).await;
    wait_for_none(&app, "the product's deletion", &format!("SELECT COUNT(*) FROM synced_products WHERE id = {id}"))
        .await;
}

#[tokio::test]
async fn uninstalling_the_app_disconnects_the_store_and_deletes_its_credentials() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    app.emulator_post("/shops/acme/uninstall", json!({})).await;
    wait_for(
        &app,
        "the uninstall",
        &format!("SELECT COUNT(*) FROM stores WHERE id = {store} AND state = 'disconnected'"),
    )
    .await;
    let detail: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT state_detail FROM stores WHERE id = $1")
        .bind(store)
        .fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(detail, "App uninstalled in Shopify — reconnect");
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM store_credentials WHERE store_id = {store}")).await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'App uninstalled'").await, 1);
}

#[tokio::test]
async fn a_replayed_uninstall_or_deletion_is_checked_with_shopify_and_changes_nothing() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    let product: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM synced_products ORDER BY id LIMIT 1").fetch_one(&mut *c).await).unwrap();
    // Genuine, signed bodies, sent again while the app is installed and the product exists.
    compliance(&app, "app/uninstalled", json!({"id": 1, "myshopify_domain": "acme.myshopify.com"})).await;
    compliance(&app, "products/delete", json!({"id": product})).await;
    let handled = "SELECT COUNT(*) FROM webhook_deliveries WHERE applied_at IS NOT NULL
                   AND topic IN ('app/uninstalled', 'products/delete')";
    wait_for_count(&app, "both deliveries to be handled", handled, |n| n == 2).await;
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM stores WHERE id = {store} AND state = 'connected'")).await,
        1
    );
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM store_credentials WHERE store_id = {store}")).await, 1);
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM synced_products WHERE id = {product}")).await, 1);
}

/// Sends a compliance topic the way Shopify does: to the address configured for the app.
async fn compliance(app: &TestApp, topic: &str, payload: Value) {
    app.emulator_post(
        "/shops/acme/deliver",
        json!({"topic": topic, "payload": payload, "address": app.url("/webhooks/shopify")}),
    )
    .await;
}

#[tokio::test]
async fn the_compliance_topics_erase_and_record_what_they_ask() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    let (order, customer): (i64, i64) =
        storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT id, customer_id FROM synced_orders WHERE customer_id IS NOT NULL LIMIT 1")
            .fetch_one(&mut *c).await)
            .unwrap();
    assert_eq!(
        app.synced_order(order).await.unwrap()["customer"]["id"],
        format!("gid://shopify/Customer/{customer}"),
        "the column matches the JSON"
    );
    let customers_orders: Vec<i64> =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM synced_orders WHERE customer_id = $1")
        .bind(customer)
        .fetch_all(&mut *c).await)
        .unwrap();

    let request = json!({"shop_id": 1, "shop_domain": "acme.myshopify.com", "orders_requested": [order],
                         "customer": {"id": customer, "email": "a@example.com", "phone": null}, "data_request": {"id": 9999}});
    compliance(&app, "customers/data_request", request.clone()).await;
    wait_for(&app, "the data request", "SELECT COUNT(*) FROM audit_log WHERE action = 'Customer data requested'").await;
    // The same request again (a retry, or a replay) is noted once.
    compliance(&app, "customers/data_request", request).await;
    let handled =
        "SELECT COUNT(*) FROM webhook_deliveries WHERE topic = 'customers/data_request' AND applied_at IS NOT NULL";
    wait_for_count(&app, "the second data request to be handled", handled, |n| n == 2).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'Customer data requested'").await, 1);

    // Shopify signs the body, not the topic: an order's body (captured from an orders/create
    // delivery) replayed as customers/redact is not a redaction, and erases nothing.
    let captured = app.synced_order(order).await.unwrap();
    let replayed = json!({"id": order, "admin_graphql_api_id": captured["id"], "email": "a@example.com",
                          "customer": {"id": customer, "email": "a@example.com"}, "line_items": []});
    compliance(&app, "customers/redact", replayed).await;
    // A redaction of the documented shape about a customer Shopify still has is no real one.
    let premature = json!({"shop_id": 1, "shop_domain": "acme.myshopify.com",
                           "customer": {"id": customer, "email": "a@example.com", "phone": null}, "orders_to_redact": [order]});
    compliance(&app, "customers/redact", premature).await;
    let handled = "SELECT COUNT(*) FROM webhook_deliveries WHERE topic = 'customers/redact' AND applied_at IS NOT NULL";
    wait_for_count(&app, "both redactions to be handled", handled, |n| n == 2).await;
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM synced_customers WHERE id = {customer}")).await, 1);
    let kept =
        format!("SELECT COUNT(*) FROM synced_orders WHERE customer_id = {customer} AND customer_name IS NOT NULL");
    assert_eq!(count(&app, &kept).await, customers_orders.len() as i64, "nothing was erased");

    // The merchant erases the customer in Shopify, which then sends the real request.
    let erased = app.emulator_post(&format!("/shops/acme/customers/{customer}/erase"), json!({})).await;
    assert!(erased["orders_to_redact"].as_array().unwrap().iter().any(|o| o == order), "{erased}");
    compliance(&app, "customers/redact", erased).await;
    // Shopify sends shop/redact once the app is uninstalled; while it still accepts the app, a
    // signed one is a replay, and nothing is erased.
    let redact = json!({"shop_id": 1, "shop_domain": "acme.myshopify.com"});
    compliance(&app, "shop/redact", redact.clone()).await;
    let handled = "SELECT COUNT(*) FROM webhook_deliveries WHERE topic = 'shop/redact' AND applied_at IS NOT NULL";
    wait_for(&app, "the first shop/redact to be handled", handled).await;
    assert!(count(&app, &format!("SELECT COUNT(*) FROM synced_orders WHERE store_id = {store}")).await > 0);
    // The app is uninstalled (its app/uninstalled delivery lost); now the erasure is real.
    app.shop_faults("acme", json!({"token_revoked": true})).await;
    compliance(&app, "shop/redact", redact).await;
    wait_for_none(&app, "the shop's erasure", &format!("SELECT COUNT(*) FROM synced_orders WHERE store_id = {store}"))
        .await;
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM stores WHERE id = {store} AND state = 'disconnected'")).await,
        1
    );
    for table in ["synced_orders", "synced_products", "synced_customers", "synced_locations", "synced_inventory_levels"]
    {
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM {table} WHERE store_id = {store}")).await, 0, "{table}");
    }
}

#[tokio::test]
async fn a_subscription_shopify_dropped_is_recreated_by_the_next_sync() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    let dropped = subscriptions(&app, "acme").await.into_iter().find(|w| w["topic"] == "orders/create").unwrap();
    let status = app
        .shopify(reqwest::Method::DELETE, "acme", &format!("/webhooks/{}.json", dropped["id"]))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());
    assert_eq!(subscriptions(&app, "acme").await.len(), TOPICS.len() - 1);

    let admin = app.signed_in(ADMIN_EMAIL).await;
    let response = app.post(&admin, "/api/sync/now", &[("store_id", &store.to_string())]).await;
    assert_eq!(response.status(), StatusCode::OK);
    wait_for(
        &app,
        "the repair",
        &format!("SELECT COUNT(*) FROM stores WHERE id = {store} AND webhooks_repaired_at IS NOT NULL"),
    )
    .await;
    let topics: Vec<String> =
        subscriptions(&app, "acme").await.iter().map(|w| w["topic"].as_str().unwrap().to_owned()).collect();
    assert!(topics.contains(&"orders/create".to_owned()));
    assert_eq!(topics.len(), TOPICS.len());
}

#[tokio::test]
async fn the_store_page_shows_webhook_health_or_says_updates_come_by_schedule() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    let html =
        app.get(&app.signed_in(STANDARD_EMAIL).await, &format!("/stores/{store}/sync")).await.text().await.unwrap();
    let subscribed = format!("{} of {}", TOPICS.len(), TOPICS.len());
    for text in ["Webhooks", "Subscribed topics", subscribed.as_str(), "Deliveries in the last 24 hours", "None needed"]
    {
        assert!(html.contains(text), "missing {text}");
    }

    let app = spawn_app_without_webhooks().await;
    storelink::db_run!(&app.pool, c => sqlx::query(
        "INSERT INTO stores (id, platform, name, shop_domain, state, created_at, organization_id) VALUES (5, 'shopify', 'Quiet', 'quiet.myshopify.com', 'connected', 0, 1)",
    )
    .execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
    let html = app.get(&app.signed_in(STANDARD_EMAIL).await, "/stores/5/sync").await.text().await.unwrap();
    assert!(html.contains("Updates arrive by scheduled sync, every 60 minutes"), "{html}");
    assert!(html.contains("set STORELINK_PUBLIC_URL"));
    assert!(!html.contains("Subscribed topics"));
}

#[tokio::test]
async fn disconnecting_removes_every_subscription_from_shopify() {
    let app = spawn_app().await;
    let store = connected(&app, "acme").await;
    assert_eq!(subscriptions(&app, "acme").await.len(), TOPICS.len());
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let response = app.post(&admin, "/api/stores/disconnect", &[("store_id", &store.to_string())]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: String = response.json().await.unwrap();
    assert!(report.contains(&format!("{} webhook subscriptions removed", TOPICS.len())), "{report}");
    assert_eq!(app.emulator.state.shop("acme").unwrap().subscriptions.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn a_burst_of_change_notices_is_fetched_in_a_few_nodes_queries() {
    let app = spawn_app().await;
    connected(&app, "acme").await;
    let orders: Vec<i64> =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM synced_orders ORDER BY id LIMIT 10").fetch_all(&mut *c).await).unwrap();
    let queries =
        || async { app.emulator_get("/stats").await["by_endpoint"]["POST graphql.json"].as_u64().unwrap_or(0) };
    let before = queries().await;
    // Thirty notices: each of ten orders changed three times. Shopify holds the deliveries until
    // all are made, then sends them at once, so the burst arrives within the refresher's window
    // however busy the machine is.
    app.shop_faults("acme", json!({"webhooks_held": true})).await;
    for round in 0..3 {
        let app = &app;
        let changes = orders.iter().map(|id| async move {
            let path = format!("/shops/acme/orders/{id}/update");
            app.emulator_post(&path, json!({"note": format!("round {round}")})).await
        });
        futures::future::join_all(changes).await;
    }
    app.shop_faults("acme", json!({"webhooks_held": false})).await;
    let current = "SELECT COUNT(*) FROM webhook_deliveries WHERE topic = 'orders/updated' AND applied_at IS NOT NULL";
    wait_for_count(&app, "every notice to be applied", current, |n| n == 30).await;
    for id in &orders {
        assert_eq!(app.synced_order(*id).await.unwrap()["note"], "round 2", "order {id} is current");
    }
    let asked = queries().await - before;
    println!("30 notices of 10 orders: {asked} GraphQL queries");
    assert!(asked < 10, "{asked} queries: fewer than one per order");
    app.assert_no_rest_call().await;
}
