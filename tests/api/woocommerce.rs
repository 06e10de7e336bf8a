//! WooCommerce stores end to end against the WooCommerce emulator, over real HTTP: each
//! registration refusal beside its field with nothing saved, a full sync that copies the site
//! exactly (https with Basic auth, http with OAuth and plain permalinks), webhooks that land and
//! forgeries that change nothing, a switched-off webhook switched on again, and shipments written
//! back once, with the Shipment Tracking extension and without.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storelink::{
    ids::{JobId, StoreId},
    platforms::woocommerce::{Keys, SiteUrl, WooClient},
    secrets::Secret,
};
use storelink_emulator::webhooks::sign;

use crate::{
    helpers::*,
    shipments::{post_shipment, token, wait_for_state},
    sync::{job_state, wait_until_finished},
};

pub const KEY: &str = "ck_0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
pub const SECRET: &str = "cs_f9e8d7c6b5a4938271605f4e3d2c1b0a98765432";

/// The sites the emulator serves to every API test.
pub fn sites() -> Value {
    let site = |host: &str, extra: Value| {
        let mut site = json!({"site": host, "consumer_key": KEY, "consumer_secret": SECRET,
                              "orders": 30, "products": 8, "customers": 6, "seed": 7});
        site.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap());
        site
    };
    json!([
        // India's timezone: local dates are 5 h 30 ahead of the GMT ones storelink asks by.
        site(
            "shop.example.com",
            json!({"name": "Example &amp; Sons", "shipment_tracking": true, "utc_offset_minutes": 330})
        ),
        site("plain.example.org", json!({"scheme": "http", "pretty_permalinks": false, "weight_unit": "lbs"})),
        site("brochure.example.com", json!({"wordpress": false})),
        site("locked.example.com", json!({"rest_api": false})),
        site("blog.example.com", json!({"woocommerce": false})),
        site("readonly.example.com", json!({"permissions": "read"})),
        site("writeonly.example.com", json!({"permissions": "write"})),
        site("customer.example.com", json!({"user_role": "customer"})),
        site("slow.example.com", json!({"latency_ms": 4000})),
        // The drift check's (drift.rs): its faults lose pages, deliveries and orders.
        site("drift.example.com", json!({"orders": 60})),
    ])
}

fn fields<'a>(url: &'a str, key: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("store_url", url), ("consumer_key", key), ("consumer_secret", secret)]
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut *c).await)
        .unwrap()
}

/// Registers the site and returns the store and its first job.
async fn register(app: &TestApp, host: &str) -> (StoreId, JobId) {
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let response = app.register_with(&admin, "woocommerce", &fields(host, KEY, SECRET)).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT s.id, j.id FROM stores s JOIN sync_jobs j ON j.store_id = s.id WHERE s.platform = 'woocommerce'")
        .fetch_one(&mut *c).await)
        .unwrap()
}

/// Registers the site and runs its first sync to the end.
pub(crate) async fn synced(app: &TestApp, host: &str) -> StoreId {
    let (store, job) = register(app, host).await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(wait_until_finished(app, job).await, "done", "{:?}", job_state(app, job).await);
    store
}

/// The emulator's site as a client of its own would read it.
pub(crate) fn woo(app: &TestApp) -> WooClient {
    WooClient::new(reqwest::Client::new(), Some(app.emulator.url()), 4)
}

pub(crate) fn keys() -> Keys {
    Keys { consumer_key: KEY.into(), consumer_secret: Secret::new(SECRET) }
}

/// How many of `route` the site lists (its `X-WP-Total`).
async fn total(app: &TestApp, home: &str, route: &str) -> i64 {
    let site = SiteUrl::from_home(home).unwrap();
    woo(app).get(&site, &keys(), route, &[("per_page", "1")]).await.unwrap().total.unwrap()
}

/// Every id the site lists under `route`.
async fn ids(app: &TestApp, home: &str, route: &str) -> Vec<i64> {
    let site = SiteUrl::from_home(home).unwrap();
    let mut all = Vec::new();
    for page in 1.. {
        let page = page.to_string();
        let answer = woo(app).get(&site, &keys(), route, &[("per_page", "100"), ("page", &page)]).await.unwrap();
        let items: Vec<Value> = answer.json().unwrap();
        all.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
        if items.len() < 100 {
            break;
        }
    }
    all.sort();
    all
}

async fn stored_ids(app: &TestApp, table: &str, store: StoreId) -> Vec<i64> {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT id FROM {table} WHERE store_id = $1 ORDER BY id")))
        .bind(store)
        .fetch_all(&mut *c).await)
        .unwrap()
}

/// storelink holds exactly the orders, products and customers the site lists.
async fn assert_exact_copy(app: &TestApp, store: StoreId, home: &str) {
    assert_eq!(stored_ids(app, "synced_orders", store).await, ids(app, home, "/wc/v3/orders").await, "orders");
    assert_eq!(stored_ids(app, "synced_products", store).await, ids(app, home, "/wc/v3/products").await, "products");
    assert_eq!(stored_ids(app, "synced_customers", store).await, ids(app, home, "/wc/v3/customers").await, "customers");
}

#[tokio::test]
async fn each_registration_refusal_is_said_beside_its_field_and_saves_nothing() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let cases = [
        ("", KEY, SECRET, "store_url", "Enter the store's address"),
        ("http://10.0.0.8", KEY, SECRET, "store_url", "not an IP address"),
        ("shop.example.com", "not-a-key", SECRET, "consumer_key", "starts with ck_"),
        ("shop.example.com", KEY, "", "consumer_secret", "starts with cs_"),
        ("brochure.example.com", KEY, SECRET, "store_url", "No WordPress site answers"),
        ("locked.example.com", KEY, SECRET, "store_url", "REST API switched off"),
        ("blog.example.com", KEY, SECRET, "store_url", "WooCommerce is not active"),
        (
            "shop.example.com",
            "ck_unknown00000000000000000000000000000000",
            SECRET,
            "consumer_key",
            "does not know this consumer key",
        ),
        ("shop.example.com", KEY, "cs_wrong0000000000000000000000000000000000", "consumer_secret", "does not belong"),
        ("writeonly.example.com", KEY, SECRET, "consumer_key", "may only write"),
        ("customer.example.com", KEY, SECRET, "consumer_key", "Administrator or a Shop Manager"),
    ];
    for (url, key, secret, field, says) in cases {
        let response = app.register_with(&admin, "woocommerce", &fields(url, key, secret)).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url} {key}");
        let body = error_body(response).await;
        assert_eq!(body["Invalid"]["field"], field, "{url}: {body}");
        let message = body["Invalid"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{url}: {message}");
        assert!(!message.contains(SECRET), "no secret in a message");
    }
    let slow = app.register_with(&admin, "woocommerce", &fields("slow.example.com", KEY, SECRET)).await;
    assert_eq!(slow.status(), StatusCode::BAD_GATEWAY);
    assert!(slow.text().await.unwrap().contains("did not answer in time"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stores").await, 0, "nothing saved");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM store_credentials").await, 0, "no credentials kept");
}

#[tokio::test]
async fn a_read_only_key_registers_with_a_warning_that_shipments_cannot_be_written_back() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let response = app.register_with(&admin, "woocommerce", &fields("readonly.example.com", KEY, SECRET)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let warnings: String =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT warnings FROM stores").fetch_one(&mut *c).await)
            .unwrap();
    assert!(warnings.contains("cannot be written back to WooCommerce"), "{warnings}");
    assert!(warnings.contains("only with each scheduled sync"), "{warnings}");
    let again = app.register_with(&admin, "woocommerce", &fields("https://READONLY.example.com/", KEY, SECRET)).await;
    assert_ne!(again.status(), StatusCode::OK, "the same site twice is one store");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stores").await, 1);
}

#[tokio::test]
async fn the_first_sync_copies_every_order_product_variation_and_customer_exactly() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "shop.example.com").await;
    let home = "https://shop.example.com";
    assert_exact_copy(&app, store, home).await;
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM synced_orders WHERE store_id = {store}")).await,
        total(&app, home, "/wc/v3/orders").await
    );
    // A variable product's variants are its variations; a simple product is its own variant.
    let variations: i64 = {
        let site = SiteUrl::from_home(home).unwrap();
        let products: Vec<Value> =
            woo(&app).get(&site, &keys(), "/wc/v3/products", &[("per_page", "100")]).await.unwrap().json().unwrap();
        products
            .iter()
            .map(|p| match p["type"].as_str() {
                Some("variable") => p["variations"].as_array().unwrap().len() as i64,
                _ => 1,
            })
            .sum()
    };
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM synced_variants WHERE store_id = {store}")).await,
        variations
    );
    // Each order is its own unit of shipping, from the site's one location.
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM synced_fulfillment_orders WHERE store_id = {store}")).await,
        total(&app, home, "/wc/v3/orders").await
    );
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM synced_locations WHERE store_id = {store}")).await, 1);
    let name: String = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT name FROM stores WHERE id = $1").bind(store).fetch_one(&mut *c).await).unwrap();
    assert_eq!(name, "Example & Sons", "the site's name with its entities decoded");
}

#[tokio::test]
async fn an_http_site_with_plain_permalinks_syncs_over_oauth() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "http://plain.example.org").await;
    assert_exact_copy(&app, store, "http://plain.example.org").await;
    // Plain permalinks: every call went through `?rest_route=`, signed with OAuth 1.0a.
    let log = app.emulator_get("/requests?limit=1000").await;
    let calls: Vec<String> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap_or_default().to_owned())
        .filter(|call| call.contains("wc%2Fv3") || call.contains("wc/v3"))
        .collect();
    assert!(!calls.is_empty(), "{log}");
    assert!(calls.iter().all(|c| c.contains("rest_route=") && c.contains("oauth_signature")), "{calls:?}");
}

#[tokio::test]
async fn an_incremental_sync_brings_what_changed_in_a_site_ahead_of_utc() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "shop.example.com").await;
    let created = app.emulator_post("/woocommerce/shop.example.com/orders", json!({})).await;
    let id = created["id"].as_i64().or_else(|| created["order"]["id"].as_i64()).unwrap();
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let said: String =
        app.post(&admin, "/api/sync/now", &[("store_id", &store.to_string())]).await.json().await.unwrap();
    assert!(said.starts_with("Synchronizing"), "{said}");
    let job: JobId = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM sync_jobs WHERE store_id = $1 AND state = 'queued'")
        .bind(store)
        .fetch_one(&mut *c).await)
        .unwrap();
    app.engine.run_job(job).await.unwrap();
    assert_eq!(wait_until_finished(&app, job).await, "done");
    assert!(app.synced_order(id).await.is_some(), "the order made after the first sync arrived");
    assert_exact_copy(&app, store, "https://shop.example.com").await;
}

/// Posts a delivery to storelink's WooCommerce webhook address.
async fn deliver(app: &TestApp, headers: &[(&str, String)], body: &[u8]) -> StatusCode {
    let mut request = reqwest::Client::new().post(app.url("/webhooks/woocommerce")).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn orders_made_and_deleted_in_woocommerce_arrive_by_webhook_and_forgeries_change_nothing() {
    let app = spawn_app().await;
    let (store, job) = register(&app, "shop.example.com").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    let hooks = app.emulator_get("/woocommerce/shop.example.com/webhooks").await;
    let held = hooks.as_array().cloned().or_else(|| hooks["webhooks"].as_array().cloned()).unwrap();
    assert_eq!(held.len(), storelink::platforms::woocommerce::TOPICS.len(), "{hooks}");
    assert!(held.iter().all(|w| w["delivery_url"] == app.url("/webhooks/woocommerce")), "{hooks}");
    // WooCommerce pinged each new webhook (unsigned) and was answered 200.
    let sent = app.emulator_get("/woocommerce/shop.example.com/deliveries").await;
    let pings: Vec<&Value> = sent
        .as_array()
        .or_else(|| sent["deliveries"].as_array())
        .unwrap()
        .iter()
        .filter(|d| d["topic"] == "ping")
        .collect();
    assert_eq!(pings.len(), held.len(), "{sent}");
    assert!(pings.iter().all(|p| p["status"] == 200), "{sent}");
    let ping = reqwest::Client::new()
        .post(app.url("/webhooks/woocommerce"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("webhook_id=12")
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), StatusCode::OK);
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM webhook_deliveries WHERE store_id = {store}")).await,
        0,
        "a ping records nothing"
    );

    let created = app.emulator_post("/woocommerce/shop.example.com/orders", json!({})).await;
    let id = created["id"].as_i64().or_else(|| created["order"]["id"].as_i64()).unwrap();
    wait_for(
        &app,
        "the new order",
        &format!("SELECT COUNT(*) FROM synced_orders WHERE store_id = {store} AND id = {id}"),
    )
    .await;

    // A body signed with anything but the webhook's secret, or not signed, changes nothing.
    let body = json!({"id": id}).to_string();
    let headers = |signature: String| {
        vec![
            ("x-wc-webhook-source", "https://shop.example.com/".to_owned()),
            ("x-wc-webhook-topic", "order.deleted".to_owned()),
            ("x-wc-webhook-delivery-id", "forged-1".to_owned()),
            ("x-wc-webhook-signature", signature),
        ]
    };
    assert_eq!(
        deliver(&app, &headers(sign("guess", body.as_bytes())), body.as_bytes()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(deliver(&app, &headers(sign(SECRET, body.as_bytes())), body.as_bytes()).await, StatusCode::UNAUTHORIZED);
    let mut unsigned = headers(String::new());
    unsigned.pop();
    assert_eq!(deliver(&app, &unsigned, body.as_bytes()).await, StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.synced_order(id).await.is_some(), "a forged deletion deleted nothing");

    // Deleted in the admin (for good): WooCommerce says so, and the site no longer has it.
    app.emulator_post(&format!("/woocommerce/shop.example.com/orders/{id}/delete"), json!({"force": true})).await;
    wait_for_none(
        &app,
        "the deleted order to go",
        &format!("SELECT COUNT(*) FROM synced_orders WHERE store_id = {store} AND id = {id}"),
    )
    .await;
}

#[tokio::test]
async fn a_switched_off_webhook_is_switched_on_again_by_the_next_sync() {
    let app = spawn_app().await;
    let (store, job) = register(&app, "shop.example.com").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    let site = SiteUrl::from_home("https://shop.example.com").unwrap();
    let listed: Vec<Value> = woo(&app).get(&site, &keys(), "/wc/v3/webhooks", &[]).await.unwrap().json().unwrap();
    let first = listed[0]["id"].as_i64().unwrap();
    woo(&app).put(&site, &keys(), &format!("/wc/v3/webhooks/{first}"), &json!({"status": "disabled"})).await.unwrap();
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let _: String = app.post(&admin, "/api/sync/now", &[("store_id", &store.to_string())]).await.json().await.unwrap();
    wait_for_none(
        &app,
        "the second sync",
        &format!("SELECT COUNT(*) FROM sync_jobs WHERE store_id = {store} AND state IN ('queued', 'running')"),
    )
    .await;
    let again: Value =
        woo(&app).get(&site, &keys(), &format!("/wc/v3/webhooks/{first}"), &[]).await.unwrap().json().unwrap();
    assert_eq!(again["status"], "active");
    let events: String = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT progress FROM sync_jobs WHERE store_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(store).fetch_one(&mut *c).await).unwrap();
    assert!(events.contains("Subscribed again"), "{events}");
}

/// The first order the label-software API lists as awaiting shipment at `home`.
async fn awaiting_order(app: &TestApp, token: &str, home: &str) -> i64 {
    let path = format!("/api/v1/orders?awaiting_shipment=true&store={home}&limit=5");
    let page: Value = reqwest::Client::new()
        .request(Method::GET, app.url(&path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["orders"][0]["id"].as_i64().unwrap_or_else(|| panic!("no order awaits shipment: {page}"))
}

async fn order_state(app: &TestApp, host: &str, id: i64) -> Value {
    app.emulator_get(&format!("/woocommerce/{host}/orders/{id}")).await
}

#[tokio::test]
async fn a_shipment_becomes_a_tracking_item_and_a_note_once_and_completes_the_order() {
    let app = spawn_app_without_sync().await;
    synced(&app, "shop.example.com").await;
    let token = token(&app).await;
    let order = awaiting_order(&app, &token, "https://shop.example.com").await;
    let body = json!({"store": "https://shop.example.com", "order_id": order, "carrier": "UPS",
                      "tracking_number": "1Z999AA10123456784", "notify_customer": true});
    let first = post_shipment(&app, &token, Some("wc-1"), body.clone()).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED, "{}", first.text().await.unwrap());
    let again = post_shipment(&app, &token, Some("wc-1"), body).await;
    let id = again.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &id, "sent").await;
    let held = order_state(&app, "shop.example.com", order).await;
    let tracking = held["tracking"].as_array().unwrap();
    assert_eq!(tracking.len(), 1, "{held}");
    assert_eq!(tracking[0]["tracking_number"], "1Z999AA10123456784");
    let notes: Vec<&Value> = held["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["note"].as_str().unwrap().contains("storelink shipment"))
        .collect();
    assert_eq!(notes.len(), 1, "{held}");
    assert_eq!(held["order"]["status"], "completed");
}

#[tokio::test]
async fn without_the_tracking_extension_a_shipment_is_a_note_the_customer_sees() {
    let app = spawn_app_without_sync().await;
    synced(&app, "http://plain.example.org").await;
    let token = token(&app).await;
    let order = awaiting_order(&app, &token, "http://plain.example.org").await;
    let body = json!({"store": "http://plain.example.org", "order_id": order, "carrier": "DHL",
                      "tracking_number": "JD014600006281230454", "notify_customer": true});
    let posted = post_shipment(&app, &token, None, body).await;
    assert_eq!(posted.status(), StatusCode::ACCEPTED, "{}", posted.text().await.unwrap());
    let id = posted.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &id, "sent").await;
    let held = order_state(&app, "plain.example.org", order).await;
    let notes: Vec<&Value> = held["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["note"].as_str().unwrap().contains("JD014600006281230454"))
        .collect();
    assert_eq!(notes.len(), 1, "{held}");
    assert_eq!(notes[0]["customer_note"], true);
    assert_eq!(held["order"]["status"], "completed");
}

#[tokio::test]
async fn a_partial_shipment_leaves_the_order_open_and_the_rest_completes_it() {
    let app = spawn_app_without_sync().await;
    synced(&app, "shop.example.com").await;
    let token = token(&app).await;
    let path = "/api/v1/orders?awaiting_shipment=true&store=https://shop.example.com&limit=50";
    let page: Value =
        reqwest::Client::new().get(app.url(path)).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let units = |o: &Value| -> i64 {
        o["fulfillment_orders"][0]["line_items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["remaining_quantity"].as_i64().unwrap())
            .sum()
    };
    let order =
        page["orders"].as_array().unwrap().iter().find(|o| units(o) >= 2).expect("an order of two units or more");
    let (id, total) = (order["id"].as_i64().unwrap(), units(order));
    let first_line = order["fulfillment_orders"][0]["line_items"][0]["line_item_id"].as_i64().unwrap();
    let home = "https://shop.example.com";
    let first = post_shipment(
        &app,
        &token,
        None,
        json!({
            "store": home, "order_id": id, "carrier": "dhl express", "tracking_number": "JD0001",
            "line_items": [{"id": first_line, "quantity": 1}],
        }),
    )
    .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED, "{}", first.text().await.unwrap());
    let first = first.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &first, "sent").await;
    let held = order_state(&app, "shop.example.com", id).await;
    assert_ne!(held["order"]["status"], "completed", "something is left to ship");

    let rest = post_shipment(
        &app,
        &token,
        None,
        json!({
            "store": home, "order_id": id, "carrier": "DHL", "tracking_number": "JD0002",
        }),
    )
    .await;
    let rest: Value = rest.json().await.unwrap();
    let quantity: i64 = rest["line_items"].as_array().unwrap().iter().map(|l| l["quantity"].as_i64().unwrap()).sum();
    assert_eq!(quantity, total - 1, "the second parcel holds the rest");
    wait_for_state(&app, &token, rest["id"].as_str().unwrap(), "sent").await;
    let held = order_state(&app, "shop.example.com", id).await;
    assert_eq!(held["order"]["status"], "completed");
    let numbers: Vec<&str> =
        held["tracking"].as_array().unwrap().iter().map(|t| t["tracking_number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["JD0001", "JD0002"]);
    // A carrier the extension lists is its provider, with its own tracking link; another is custom.
    assert_eq!(held["tracking"][0]["tracking_provider"], "DHL Express");
    assert!(held["tracking"][0]["tracking_link"].as_str().unwrap().contains("dhl.com"), "{held}");
    assert_eq!(held["tracking"][1]["tracking_provider"], "DHL");
}

#[tokio::test]
async fn a_standard_user_cannot_register_a_woocommerce_store() {
    let app = spawn_app_without_sync().await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let response = app.register_with(&standard, "woocommerce", &fields("shop.example.com", KEY, SECRET)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let anonymous = app.client();
    let response = app.register_with(&anonymous, "woocommerce", &fields("shop.example.com", KEY, SECRET)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stores").await, 0);
    assert_eq!(app.emulator_get("/stats").await["requests"], 0, "nothing was asked of the site");
}

#[tokio::test]
async fn a_delivery_sent_twice_is_applied_once_and_applies_what_the_site_has_now() {
    let app = spawn_app().await;
    let (store, job) = register(&app, "shop.example.com").await;
    assert_eq!(wait_until_finished(&app, job).await, "done");
    let hooks = app.emulator_get("/woocommerce/shop.example.com/webhooks").await;
    let held = hooks.as_array().cloned().or_else(|| hooks["webhooks"].as_array().cloned()).unwrap();
    let secret = held[0]["secret"].as_str().unwrap().to_owned();
    let order: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT MIN(id) FROM synced_orders WHERE store_id = $1").bind(store).fetch_one(&mut *c).await).unwrap();
    // A body that says something the site does not: storelink reads the order from the site.
    let body = json!({"id": order, "status": "cancelled", "billing": {"first_name": "Mallory"}}).to_string();
    let headers = vec![
        ("x-wc-webhook-source", "https://shop.example.com/".to_owned()),
        ("x-wc-webhook-topic", "order.updated".to_owned()),
        ("x-wc-webhook-delivery-id", "replayed-1".to_owned()),
        ("x-wc-webhook-signature", sign(&secret, body.as_bytes())),
    ];
    assert_eq!(deliver(&app, &headers, body.as_bytes()).await, StatusCode::OK);
    assert_eq!(deliver(&app, &headers, body.as_bytes()).await, StatusCode::OK);
    wait_for(
        &app,
        "the delivery applied",
        "SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'replayed-1' AND applied_at IS NOT NULL",
    )
    .await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'replayed-1'").await, 1);
    let stored = app.synced_order(order).await.unwrap();
    assert_ne!(stored["status"], "cancelled", "the site's order, not the body's");
    assert!(!stored.to_string().contains("Mallory"));
}

#[tokio::test]
async fn a_write_that_timed_out_after_the_site_applied_it_is_not_written_twice() {
    let app = spawn_app_without_sync().await;
    synced(&app, "shop.example.com").await;
    let token = token(&app).await;
    let order = awaiting_order(&app, &token, "https://shop.example.com").await;
    // The tracking item is stored, but its answer comes after storelink stopped waiting (2 s).
    app.emulator_post("/woocommerce/shop.example.com/faults", json!({"slow_writes": 1, "slow_writes_ms": 3000})).await;
    let body = json!({"store": "https://shop.example.com", "order_id": order, "carrier": "UPS",
                      "tracking_number": "1Z999AA10123456799"});
    let posted = post_shipment(&app, &token, None, body).await;
    assert_eq!(posted.status(), StatusCode::ACCEPTED);
    let id = posted.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &id, "sent").await;
    let held = order_state(&app, "shop.example.com", order).await;
    assert_eq!(held["tracking"].as_array().unwrap().len(), 1, "one tracking item: {held}");
    let notes = held["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["note"].as_str().unwrap().contains("storelink shipment"))
        .count();
    assert_eq!(notes, 1, "{held}");
    assert_eq!(held["order"]["status"], "completed");
}

#[tokio::test]
async fn without_the_extension_a_customer_note_whose_answer_came_late_is_not_written_twice() {
    let app = spawn_app_without_sync().await;
    synced(&app, "http://plain.example.org").await;
    let token = token(&app).await;
    let order = awaiting_order(&app, &token, "http://plain.example.org").await;
    // The note (the customer's, as there is no tracking extension) is stored, but its answer
    // comes after storelink stopped waiting: the next attempt must find it among every note.
    app.emulator_post("/woocommerce/plain.example.org/faults", json!({"slow_writes": 1, "slow_writes_ms": 3000})).await;
    let body = json!({"store": "http://plain.example.org", "order_id": order, "carrier": "DHL",
                      "tracking_number": "JD014600006281230499", "notify_customer": true});
    let posted = post_shipment(&app, &token, None, body).await;
    assert_eq!(posted.status(), StatusCode::ACCEPTED);
    let id = posted.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &id, "sent").await;
    let held = order_state(&app, "plain.example.org", order).await;
    let notes: Vec<&Value> = held["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["note"].as_str().unwrap().contains("JD014600006281230499"))
        .collect();
    assert_eq!(notes.len(), 1, "{held}");
    assert_eq!(notes[0]["customer_note"], true);
}
