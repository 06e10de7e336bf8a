//! Webhooks: the ping on creation, deliveries with the full resource signed over the exact
//! bytes, `{"id"}` for deletions, no retries, failures counted to `disabled`, and what fires.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const WEBHOOKS: &str = "/wp-json/wc/v3/webhooks";

async fn subscribe(woo: &Woo, topic: &str, url: &str, secret: &str) -> Reply {
    woo.send(
        Method::POST,
        WEBHOOKS,
        json!({"name": "storelink", "topic": topic, "delivery_url": url, "secret": secret}),
    )
    .await
}

async fn deliveries(woo: &Woo) -> Vec<Value> {
    woo.control_get("/deliveries").await["deliveries"].as_array().unwrap().clone()
}

/// The first webhook's status and failure count, as the control endpoint shows them.
async fn state(woo: &Woo) -> (String, u64) {
    let list = woo.control_get("/webhooks").await;
    let hook = &list["webhooks"][0];
    (hook["status"].as_str().unwrap().to_owned(), hook["failure_count"].as_u64().unwrap())
}

async fn first_order(woo: &Woo) -> u64 {
    ids(&woo.get("/wp-json/wc/v3/orders?per_page=1").await.body)[0]
}

/// Waits (bounded) until the emulator has recorded `n` deliveries.
async fn recorded(woo: &Woo, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let list = deliveries(woo).await;
        if list.len() >= n {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("expected {n} recorded deliveries");
}

#[tokio::test]
async fn creating_a_webhook_pings_its_url_with_a_form_and_no_signature() {
    let receiver = Receiver::start(vec![]).await;
    let woo = start(vec![site(json!({}))]).await;
    let created = subscribe(&woo, "order.updated", &receiver.url, "s3cret").await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_u64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("https://shop.example.com/wp-json/wc/v3/webhooks/{id}").as_str())
    );
    assert_eq!(
        (created.body["status"].clone(), created.body["resource"].clone(), created.body["event"].clone()),
        (json!("active"), json!("order"), json!("updated"))
    );
    assert!(created.body.get("secret").is_none(), "the secret is never shown");

    // The ping has arrived by the time the create answers.
    let ping = receiver.received();
    assert_eq!(ping.len(), 1);
    assert_eq!(&ping[0].body[..], format!("webhook_id={id}").as_bytes());
    assert_eq!(ping[0].header("content-type").as_deref(), Some("application/x-www-form-urlencoded"));
    assert!(ping[0].header("x-wc-webhook-signature").is_none() && ping[0].header("x-wc-webhook-topic").is_none());
    assert!(ping[0].header("user-agent").unwrap().starts_with("WooCommerce/"));

    let listed = woo.get(WEBHOOKS).await;
    assert_eq!(ids(&listed.body), vec![id]);
    assert_eq!(woo.get(&format!("{WEBHOOKS}/{id}")).await.body["delivery_url"], json!(receiver.url));

    // A ping that fails does not stop the creation.
    let failing = Receiver::start(vec![500]).await;
    assert_eq!(subscribe(&woo, "order.created", &failing.url, "x").await.status, 201);
    let bad_topic = subscribe(&woo, "order.shipped", &receiver.url, "x").await;
    assert_eq!((bad_topic.status.as_u16(), bad_topic.code()), (400, "woocommerce_rest_shop_webhook_invalid_topic"));
    let bad_url = subscribe(&woo, "order.updated", "ftp://example.com", "x").await;
    assert_eq!(bad_url.code(), "woocommerce_rest_shop_webhook_invalid_delivery_url");
}

#[tokio::test]
async fn a_delivery_is_the_resource_as_the_api_renders_it_signed_over_its_bytes() {
    let receiver = Receiver::start(vec![]).await;
    let woo = start(vec![site(json!({}))]).await;
    let webhook = subscribe(&woo, "order.updated", &receiver.url, "s3cret").await.body["id"].as_u64().unwrap();
    let id = first_order(&woo).await;
    let changed = woo.control(&format!("/orders/{id}/update"), json!({"status": "completed"})).await;
    assert_eq!(changed.status, 200);

    let delivery = receiver.wait_for(2).await[1].clone();
    let signature = delivery.header("x-wc-webhook-signature").unwrap();
    assert_eq!(signature, hmac_sha256("s3cret", &delivery.body), "signed over the exact bytes");
    assert_ne!(signature, hmac_sha256("s3cret", serde_json::to_string(&delivery.json()).unwrap().as_bytes()));
    assert!(std::str::from_utf8(&delivery.body).unwrap().contains(r"https:\/\/shop.example.com"));
    assert_eq!(delivery.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(delivery.header("x-wc-webhook-source").as_deref(), Some("https://shop.example.com/"));
    assert_eq!(delivery.header("x-wc-webhook-topic").as_deref(), Some("order.updated"));
    assert_eq!(delivery.header("x-wc-webhook-resource").as_deref(), Some("order"));
    assert_eq!(delivery.header("x-wc-webhook-event").as_deref(), Some("updated"));
    assert_eq!(delivery.header("x-wc-webhook-id"), Some(webhook.to_string()));
    assert_eq!(delivery.header("x-wc-webhook-delivery-id").unwrap().len(), 32);

    let order = woo.get(&format!("/wp-json/wc/v3/orders/{id}")).await;
    assert_eq!(delivery.json(), order.body, "the body is what GET answers");
    assert_eq!(delivery.json()["status"], "completed");
    let recorded = recorded(&woo, 2).await;
    let last = recorded.iter().find(|d| d["topic"] == "order.updated").unwrap();
    assert_eq!(
        (last["status"].clone(), last["success"].clone(), last["resource_id"].clone()),
        (json!(200), json!(true), json!(id))
    );
}

#[tokio::test]
async fn deletions_carry_only_the_id_and_each_topic_fires_for_its_change() {
    let receiver = Receiver::start(vec![]).await;
    let woo = start(vec![site(json!({}))]).await;
    for topic in ["order.created", "order.deleted", "product.updated", "customer.created", "customer.updated"] {
        subscribe(&woo, topic, &receiver.url, "k").await;
    }
    let pings = 5;
    let id = first_order(&woo).await;
    woo.control(&format!("/orders/{id}/delete"), json!({})).await;
    let deleted = receiver.wait_for(pings + 1).await[pings].clone();
    assert_eq!(deleted.header("x-wc-webhook-topic").as_deref(), Some("order.deleted"));
    assert_eq!(deleted.json(), json!({"id": id}));

    let created = woo.control("/orders", json!({"status": "processing"})).await;
    assert_eq!(created.status, 201);
    let new_id = created.body["order"]["id"].as_u64().unwrap();
    assert!(new_id > id);
    let delivery = receiver.wait_for(pings + 2).await[pings + 1].clone();
    assert_eq!(delivery.header("x-wc-webhook-topic").as_deref(), Some("order.created"));
    assert_eq!(delivery.json()["id"], new_id);

    let product = ids(&woo.get("/wp-json/wc/v3/products?per_page=1").await.body)[0];
    woo.control(&format!("/products/{product}/update"), json!({"weight": "2.5"})).await;
    let delivery = receiver.wait_for(pings + 3).await[pings + 2].clone();
    assert_eq!(delivery.json()["weight"], "2.5");

    let customer = woo.control("/customers", json!({})).await.body["customer"]["id"].as_u64().unwrap();
    woo.control(&format!("/customers/{customer}/update"), json!({"email": "new@example.com"})).await;
    let received = receiver.wait_for(pings + 5).await;
    let topics: Vec<String> = received[pings + 3..].iter().map(|r| r.header("x-wc-webhook-topic").unwrap()).collect();
    assert!(topics.contains(&"customer.created".into()) && topics.contains(&"customer.updated".into()), "{topics:?}");
}

#[tokio::test]
async fn the_apis_writes_fire_order_updated_but_a_note_does_not() {
    let receiver = Receiver::start(vec![]).await;
    let woo = start(vec![site(json!({}))]).await;
    subscribe(&woo, "order.updated", &receiver.url, "k").await;
    let id = first_order(&woo).await;
    woo.send(Method::POST, &format!("/wp-json/wc/v3/orders/{id}/notes"), json!({"note": "Packed"})).await;
    let tracking = format!("/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings");
    woo.send(Method::POST, &tracking, json!({"tracking_provider": "UPS", "tracking_number": "1Z999"})).await;
    woo.send(
        Method::PUT,
        &format!("/wp-json/wc/v3/orders/{id}"),
        json!({"meta_data": [{"key": "_storelink", "value": "7"}]}),
    )
    .await;
    let received = receiver.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.received().len(), 3, "the ping, the tracking item and the meta: the note fires nothing");
    assert!(received[1..].iter().all(|r| r.header("x-wc-webhook-topic").as_deref() == Some("order.updated")));
    // An update that changes nothing saves nothing.
    woo.send(Method::PUT, &format!("/wp-json/wc/v3/orders/{id}"), json!({})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.received().len(), 3);
}

#[tokio::test]
async fn failures_are_never_retried_and_past_five_disable_the_webhook() {
    let receiver = Receiver::start(vec![200, 500, 404, 500, 500, 500, 500, 500]).await;
    let woo = start(vec![site(json!({}))]).await;
    let webhook = subscribe(&woo, "order.updated", &receiver.url, "k").await.body["id"].as_u64().unwrap();
    let id = first_order(&woo).await;
    for n in 1..=6 {
        woo.control(&format!("/orders/{id}/update"), json!({"note": format!("change {n}")})).await;
        receiver.wait_for(1 + n).await;
        recorded(&woo, 1 + n).await;
        assert_eq!(state(&woo).await, ("active".into(), n as u64), "after failure {n}");
    }
    woo.control(&format!("/orders/{id}/update"), json!({"note": "change 7"})).await;
    receiver.wait_for(8).await;
    recorded(&woo, 8).await;
    assert_eq!(state(&woo).await, ("disabled".into(), 6), "the seventh failure in a row disables it");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(receiver.received().len(), 8, "one POST a change: nothing is retried");

    woo.control(&format!("/orders/{id}/update"), json!({"note": "while disabled"})).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(receiver.received().len(), 8, "a disabled webhook sends nothing");

    let enabled = woo.send(Method::PUT, &format!("{WEBHOOKS}/{webhook}"), json!({"status": "active"})).await;
    assert_eq!(enabled.body["status"], "active");
    woo.control(&format!("/orders/{id}/update"), json!({"note": "back"})).await;
    receiver.wait_for(9).await;
    recorded(&woo, 9).await;
    assert_eq!(state(&woo).await, ("active".into(), 0), "a success clears the count");
}

#[tokio::test]
async fn redirects_count_as_delivered_and_paused_webhooks_wait_for_nothing() {
    let receiver = Receiver::start(vec![200, 302, 301, 303]).await;
    let woo = start(vec![site(json!({}))]).await;
    subscribe(&woo, "order.updated", &receiver.url, "k").await;
    let id = first_order(&woo).await;
    for n in 0..3 {
        woo.control(&format!("/orders/{id}/update"), json!({"note": format!("{n}")})).await;
        receiver.wait_for(2 + n).await;
        recorded(&woo, 2 + n).await;
    }
    let results: Vec<(Value, Value)> =
        deliveries(&woo).await[1..].iter().map(|d| (d["status"].clone(), d["success"].clone())).collect();
    assert_eq!(results, [(json!(302), json!(true)), (json!(301), json!(true)), (json!(303), json!(false))]);

    let paused = woo
        .send(
            Method::POST,
            WEBHOOKS,
            json!({"topic": "order.updated", "delivery_url": receiver.url, "status": "paused"}),
        )
        .await;
    assert_eq!(paused.body["status"], "paused");
    let refused = woo
        .send(
            Method::POST,
            WEBHOOKS,
            json!({"topic": "order.updated", "delivery_url": receiver.url, "status": "sleeping"}),
        )
        .await;
    assert_eq!(refused.body["data"]["params"]["status"], "status is not one of active, paused, and disabled.");

    let hook = paused.body["id"].as_u64().unwrap();
    let trash = woo.send(Method::DELETE, &format!("{WEBHOOKS}/{hook}"), json!({})).await;
    assert_eq!((trash.status.as_u16(), trash.code()), (501, "woocommerce_rest_trash_not_supported"));
    let gone = woo.send(Method::DELETE, &format!("{WEBHOOKS}/{hook}?force=true"), json!({})).await;
    assert_eq!(gone.status, 200);
    assert_eq!(woo.get(&format!("{WEBHOOKS}/{hook}")).await.code(), "woocommerce_rest_shop_webhook_invalid_id");
}
