use std::time::Duration;

use serde_json::json;
use storelink_emulator::webhooks::sign;

use crate::helpers::*;

async fn emulator_with_fast_retries(retries: u32) -> Emu {
    start_with(
        json!({"shops": [shop("acme")], "webhooks": {"retries": retries, "first_retry_ms": 20, "timeout_ms": 2000}}),
    )
    .await
}

async fn subscribe(emu: &Emu, topic: &str, address: &str) -> Reply {
    subscribe_in(emu, "acme", topic, address).await
}

async fn subscribe_in(emu: &Emu, handle: &str, topic: &str, address: &str) -> Reply {
    reply(
        emu.request(reqwest::Method::POST, handle, "/admin/api/2026-07/webhooks.json")
            .header("x-shopify-access-token", TOKEN)
            .json(&json!({"webhook": {"topic": topic, "address": address, "format": "json"}})),
    )
    .await
}

#[test]
fn the_signature_matches_the_documented_test_vector() {
    assert_eq!(sign("test_secret_key", br#"{"foo": "bar"}"#), "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=");
}

#[tokio::test]
async fn subscriptions_are_created_listed_refused_twice_and_deleted() {
    let emu = emulator_with_fast_retries(0).await;
    let created = subscribe(&emu, "orders/create", "https://example.com/hooks").await;
    assert_eq!(created.status, 201);
    let id = created.body["webhook"]["id"].as_u64().unwrap();
    let duplicate = subscribe(&emu, "orders/create", "https://example.com/hooks").await;
    assert_eq!(duplicate.status, 422);
    assert_eq!(duplicate.body, json!({"errors": {"address": ["for this topic has already been taken"]}}));
    let unknown = subscribe(&emu, "orders/explode", "https://example.com/hooks").await;
    assert_eq!(unknown.status, 422);
    assert!(unknown.body["errors"]["topic"][0]
        .as_str()
        .unwrap()
        .starts_with("Invalid topic specified: orders/explode."));
    let missing_root = reply(
        emu.request(reqwest::Method::POST, "acme", "/admin/api/2026-07/webhooks.json")
            .header("x-shopify-access-token", TOKEN)
            .json(&json!({"topic": "orders/create"})),
    )
    .await;
    assert_eq!(missing_root.status, 400);
    assert_eq!(missing_root.body, json!({"errors": {"webhook": "Required parameter missing or invalid"}}));

    let list = emu.get("acme", "/admin/api/2026-07/webhooks.json").await;
    assert_eq!(ids(&list.body["webhooks"]), vec![id]);
    assert_eq!(count(&emu, "acme", "/admin/api/2026-07/webhooks/count.json?topic=orders/create").await, 1);
    let deleted = reply(
        emu.request(reqwest::Method::DELETE, "acme", &format!("/admin/api/2026-07/webhooks/{id}.json"))
            .header("x-shopify-access-token", TOKEN),
    )
    .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(count(&emu, "acme", "/admin/api/2026-07/webhooks/count.json").await, 0);
}

#[tokio::test]
async fn deliveries_are_signed_unwrapped_and_retried_until_a_2xx() {
    let (receiver, addr) = Receiver::start(2).await;
    let emu = emulator_with_fast_retries(8).await;
    subscribe(&emu, "orders/create", &format!("http://{addr}/hooks")).await;
    let created = emu.control("/shops/acme/orders", json!({})).await;
    assert_eq!(created.status, 201);
    let order_id = created.body["order"]["id"].as_u64().unwrap();

    let received = receiver.wait_for(3).await;
    for delivery in &received {
        assert_eq!(delivery.header("x-shopify-hmac-sha256"), sign(SECRET, &delivery.body));
        assert_eq!(delivery.header("x-shopify-topic"), "orders/create");
        assert_eq!(delivery.header("x-shopify-shop-domain"), "acme.myshopify.com");
        assert!(!delivery.header("x-shopify-api-version").is_empty());
        assert!(!delivery.header("x-shopify-triggered-at").is_empty());
        assert_eq!(delivery.json()["id"].as_u64(), Some(order_id), "the body is the order itself");
        assert!(delivery.json().get("order").is_none());
    }
    // Retries carry the same delivery: same webhook id and event id.
    assert!(received.iter().all(|d| d.header("x-shopify-webhook-id") == received[0].header("x-shopify-webhook-id")));
    assert!(received.iter().all(|d| d.header("x-shopify-event-id") == received[0].header("x-shopify-event-id")));

    let log = emu.control_get("/shops/acme/deliveries").await;
    let delivery = &log["deliveries"][0];
    assert_eq!(delivery["attempts"], 3);
    assert_eq!(delivery["delivered"], true);
    assert_eq!(delivery["last_status"], 200);
}

#[tokio::test]
async fn duplicates_share_the_event_id_and_stale_versions_can_arrive_last() {
    let (receiver, addr) = Receiver::start(0).await;
    let emu = emulator_with_fast_retries(0).await;
    subscribe(&emu, "orders/updated", &format!("http://{addr}/hooks")).await;
    let order = emu.get("acme", "/admin/api/2026-07/orders.json?status=open&limit=1").await.body["orders"][0].clone();
    let id = order["id"].as_u64().unwrap();

    emu.control(&format!("/shops/acme/orders/{id}/update"), json!({"note": "first", "duplicate": true})).await;
    let pair = receiver.wait_for(2).await;
    assert_eq!(pair[0].header("x-shopify-event-id"), pair[1].header("x-shopify-event-id"));
    assert_ne!(pair[0].header("x-shopify-webhook-id"), pair[1].header("x-shopify-webhook-id"));

    let updated =
        emu.control(&format!("/shops/acme/orders/{id}/update"), json!({"note": "second", "out_of_order": true})).await;
    let all = receiver.wait_for(4).await;
    assert_eq!(all[2].json()["note"], "second");
    assert_eq!(all[3].json()["note"], "first", "the previous version arrives after the newer one");
    assert!(all[3].json()["updated_at"].as_str() < updated.body["order"]["updated_at"].as_str());
}

#[tokio::test]
async fn held_webhooks_wait_while_other_shops_deliver_and_go_out_once_released() {
    let (receiver, addr) = Receiver::start(0).await;
    let emu = start_with(json!({"shops": [shop("acme"), shop("beta")]})).await;
    for handle in ["acme", "beta"] {
        assert_eq!(subscribe_in(&emu, handle, "orders/create", &format!("http://{addr}/hooks")).await.status, 201);
    }
    emu.control("/shops/acme/faults", json!({"webhooks_held": true})).await;
    emu.control("/shops/acme/orders", json!({})).await;
    emu.control("/shops/beta/orders", json!({})).await;
    let first = receiver.wait_for(1).await;
    assert_eq!(first[0].header("x-shopify-shop-domain"), "beta.myshopify.com", "acme's delivery was held");
    assert_eq!(emu.control_get("/shops/acme/deliveries").await["deliveries"][0]["attempts"], 0);

    emu.control("/shops/acme/faults", json!({"webhooks_held": false})).await;
    let both = receiver.wait_for(2).await;
    assert_eq!(both[1].header("x-shopify-shop-domain"), "acme.myshopify.com");
}

#[tokio::test]
async fn a_subscription_that_keeps_failing_is_removed() {
    let (receiver, addr) = Receiver::start(u32::MAX).await;
    let emu = emulator_with_fast_retries(2).await;
    subscribe(&emu, "products/update", &format!("http://{addr}/hooks")).await;
    let product =
        emu.get("acme", "/admin/api/2026-07/products.json?limit=1").await.body["products"][0]["id"].as_u64().unwrap();
    emu.control(&format!("/shops/acme/products/{product}/update"), json!({"title": "Renamed"})).await;
    receiver.wait_for(3).await;
    for _ in 0..100 {
        if count(&emu, "acme", "/admin/api/2026-07/webhooks/count.json").await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the failing subscription was not removed");
}

#[tokio::test]
async fn uninstalling_fires_app_uninstalled_and_revokes_the_token() {
    let (receiver, addr) = Receiver::start(0).await;
    let emu = emulator_with_fast_retries(0).await;
    subscribe(&emu, "app/uninstalled", &format!("http://{addr}/hooks")).await;
    emu.control("/shops/acme/uninstall", json!({})).await;
    let received = receiver.wait_for(1).await;
    assert_eq!(received[0].header("x-shopify-topic"), "app/uninstalled");
    assert_eq!(received[0].json()["myshopify_domain"], "acme.myshopify.com");
    assert_eq!(emu.get("acme", "/admin/api/2026-07/shop.json").await.status, 401);
}
