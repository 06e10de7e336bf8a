//! Webhooks as a receiver sees them: created through `/v3/hooks` to HTTPS on 443 only (unless the
//! store allows local receivers), thin payloads with the hook's custom headers and a Standard
//! Webhooks signature made with the client secret, retried on failure and deactivated when the
//! retries run out or after 90 idle days, and switched back on with PUT.

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::helpers::*;

async fn subscribe(bc: &Bc, scope: &str, destination: &str) -> Reply {
    bc.send(Method::POST, "v3/hooks", json!({"scope": scope, "destination": destination})).await
}

/// What a receiver checks, as Standard Webhooks' libraries do: HMAC-SHA256 with the secret over
/// `{webhook-id}.{webhook-timestamp}.{body}`, one of the `v1,` signatures.
fn verify(secret: &[u8], delivery: &Received) -> bool {
    let (Some(id), Some(timestamp), Some(signatures)) =
        (delivery.header("webhook-id"), delivery.header("webhook-timestamp"), delivery.header("webhook-signature"))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&delivery.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    signatures.split(' ').any(|s| s == expected)
}

async fn hook_state(bc: &Bc, id: u64) -> Value {
    let hooks = bc.control_get("/hooks").await;
    hooks["hooks"].as_array().unwrap().iter().find(|h| h["id"] == id).unwrap().clone()
}

#[tokio::test]
async fn hooks_are_created_listed_updated_and_deleted_in_the_v3_envelope() {
    let bc = start(vec![store(json!({}))]).await;
    let created = bc
        .send(
            Method::POST,
            "v3/hooks",
            json!({"scope": "store/order/*", "destination": "https://desk.example.com/bc", "headers": {"X-Desk-Key": "k1"}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let hook = &created.body["data"];
    assert_eq!(created.body["meta"], json!({}));
    let id = hook["id"].as_u64().unwrap();
    assert_eq!(
        (hook["client_id"].clone(), hook["store_hash"].clone(), hook["is_active"].clone(), hook["headers"].clone()),
        (json!(CLIENT_ID), json!(HASH), json!(true), json!({"X-Desk-Key": "k1"}))
    );
    assert!(hook["created_at"].is_i64() && hook["updated_at"].is_i64());

    let listed = bc.get("v3/hooks").await;
    assert_eq!(ids(&listed.body["data"]), vec![id]);
    assert_eq!(listed.body["meta"]["pagination"]["total"], 1);
    assert_eq!(bc.get("v3/hooks?is_active=false").await.body["data"], json!([]));

    let off = bc.send(Method::PUT, &format!("v3/hooks/{id}"), json!({"is_active": false})).await;
    assert_eq!(off.body["data"]["is_active"], false);
    let nothing = bc.send(Method::PUT, &format!("v3/hooks/{id}"), json!({})).await;
    assert_eq!(nothing.status, 422, "an update needs a field");

    let deleted = reply(bc.api(Method::DELETE, &format!("v3/hooks/{id}"))).await;
    assert_eq!((deleted.status.as_u16(), deleted.body["data"]["id"].clone()), (200, json!(id)));
    let gone = bc.get(&format!("v3/hooks/{id}")).await;
    assert_eq!(
        (gone.status.as_u16(), gone.body["title"].clone()),
        (404, json!(format!("Webhook with id [{id}] not found")))
    );
}

#[tokio::test]
async fn destinations_must_be_https_on_443_and_unique_per_scope() {
    let bc = start(vec![store(json!({"allow_any_destination": false}))]).await;
    for bad in ["http://desk.example.com/bc", "https://desk.example.com:8443/bc", "not a url"] {
        let refused = subscribe(&bc, "store/order/created", bad).await;
        assert_eq!(refused.status, 422, "{bad}");
        assert!(refused.body["errors"]["destination"].is_string());
    }
    assert_eq!(subscribe(&bc, "store/order/created", "https://desk.example.com:443/bc").await.status, 200);
    assert_eq!(
        subscribe(&bc, "store/order/created", "https://desk.example.com:443/bc").await.status,
        422,
        "one per scope and destination"
    );
    assert_eq!(subscribe(&bc, "store/order/shipped", "https://desk.example.com/x").await.status, 422);
    let missing = bc.send(Method::POST, "v3/hooks", json!({"scope": "store/order/created"})).await;
    assert_eq!(missing.body["errors"], json!({"destination": "error.path.missing."}));
    for n in 1..10 {
        assert_eq!(subscribe(&bc, "store/order/created", &format!("https://desk{n}.example.com/bc")).await.status, 200);
    }
    assert_eq!(
        subscribe(&bc, "store/order/created", "https://desk10.example.com/bc").await.status,
        422,
        "ten per scope"
    );
}

#[tokio::test]
async fn a_delivery_is_a_thin_payload_with_the_custom_headers_and_a_standard_webhooks_signature() {
    let receiver = Receiver::start(vec![]).await;
    let bc = start(vec![store(json!({}))]).await;
    let hook =
        json!({"scope": "store/order/created", "destination": receiver.url, "headers": {"X-Desk-Key": "s3cret"}});
    assert_eq!(bc.send(Method::POST, "v3/hooks", hook).await.status, 200);
    let order = bc.new_order(json!({})).await["id"].as_u64().unwrap();

    let delivery = receiver.wait_for(1).await[0].clone();
    assert_eq!(delivery.header("x-desk-key").as_deref(), Some("s3cret"));
    assert_eq!(delivery.header("content-type").as_deref(), Some("application/json"));
    assert!(verify(CLIENT_SECRET.as_bytes(), &delivery), "verifies with the client secret");
    assert!(!verify(b"another secret", &delivery));
    let mut tampered = delivery.clone();
    tampered.body = [delivery.body.as_ref(), b" "].concat().into();
    assert!(!verify(CLIENT_SECRET.as_bytes(), &tampered), "signed over the exact bytes");
    assert!(delivery.header("webhook-id").unwrap().starts_with("msg_"));
    let timestamp: i64 = delivery.header("webhook-timestamp").unwrap().parse().unwrap();
    assert!((timestamp - bc.now().await).abs() < 5);

    let payload = delivery.json();
    let store_id = bc.get("v2/store").await.body["store_id"].as_u64().unwrap();
    assert_eq!(payload["scope"], "store/order/created");
    assert_eq!(payload["store_id"], json!(store_id.to_string()));
    assert_eq!(payload["producer"], json!(format!("stores/{HASH}")));
    assert_eq!(payload["data"], json!({"type": "order", "id": order}));
    let hash = hex::encode(Sha1::digest(serde_json::to_vec(&payload["data"]).unwrap()));
    assert_eq!(payload["hash"], json!(hash));
    assert!(payload["created_at"].is_i64());

    let unsigned = start(vec![store(json!({"client_secret": null, "store_hash": "plain1"}))]).await;
    let url = format!("{}/stores/plain1/v3/hooks", unsigned.emulator.url());
    let created = unsigned
        .client
        .post(url)
        .header("x-auth-token", TOKEN)
        .json(&json!({"scope": "store/customer/*", "destination": receiver.url}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let control = format!("{}/_emulator/bigcommerce/plain1/customers", unsigned.emulator.url());
    unsigned.client.post(control).send().await.unwrap();
    let plain = receiver.wait_for(2).await[1].clone();
    assert_eq!(plain.json()["scope"], "store/customer/created");
    assert!(
        plain.header("webhook-signature").is_none() && plain.header("webhook-id").is_none(),
        "no secret, no signature"
    );
}

#[tokio::test]
async fn scopes_and_wildcards_choose_what_a_hook_hears() {
    let orders = Receiver::start(vec![]).await;
    let created = Receiver::start(vec![]).await;
    let inventory = Receiver::start(vec![]).await;
    let bc = start(vec![store(json!({}))]).await;
    subscribe(&bc, "store/order/*", &orders.url).await;
    subscribe(&bc, "store/order/created", &created.url).await;
    subscribe(&bc, "store/sku/inventory/*", &inventory.url).await;
    let id = bc.new_order(json!({})).await["id"].as_u64().unwrap();
    bc.control(&format!("/orders/{id}/archive"), json!({})).await;
    let scopes: Vec<String> =
        orders.wait_for(3).await.iter().map(|r| r.json()["scope"].as_str().unwrap().to_owned()).collect();
    assert_eq!(scopes.len(), 3);
    for scope in ["store/order/created", "store/order/statusUpdated", "store/order/archived"] {
        assert!(scopes.contains(&scope.to_owned()), "{scopes:?}");
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(created.received().len(), 1, "only the creation");
    assert!(inventory.received().is_empty());

    let variant = bc.get("v3/catalog/products?include=variants").await.body["data"][0]["variants"][1].clone();
    bc.control(&format!("/inventory/{}/update", variant["id"]), json!({"quantity": 3, "location_id": 2})).await;
    let sku = inventory.wait_for(1).await[0].json();
    assert_eq!(
        sku["data"]["inventory"],
        json!({"product_id": variant["product_id"], "method": "absolute", "value": 3, "variant_id": variant["id"]})
    );
    assert_eq!(sku["data"]["id"], variant["sku_id"]);
    let items = bc.get(&format!("v3/inventory/items?variant_id:in={}&location_id:in=2", variant["id"])).await;
    assert_eq!(items.body["data"][0]["locations"][0]["total_inventory_onhand"], 3);
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_id_until_one_succeeds() {
    let receiver = Receiver::start(vec![500, 503]).await;
    let bc = start(vec![store(json!({}))]).await;
    let hook = subscribe(&bc, "store/customer/created", &receiver.url).await.body["data"]["id"].as_u64().unwrap();
    bc.control("/customers", json!({})).await;
    let attempts = receiver.wait_for(3).await;
    let ids: Vec<String> = attempts.iter().map(|r| r.header("webhook-id").unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one event, one id: {ids:?}");
    assert!(attempts.iter().all(|r| r.body == attempts[0].body && verify(CLIENT_SECRET.as_bytes(), r)));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.received().len(), 3, "a success ends the retries");
    let deliveries = bc.control_get("/deliveries").await;
    let delivery = &deliveries["deliveries"][0];
    assert_eq!(
        (delivery["attempts"].clone(), delivery["delivered"].clone(), delivery["last_status"].clone()),
        (json!(3), json!(true), json!(200))
    );
    assert_eq!(hook_state(&bc, hook).await["is_active"], true);
}

#[tokio::test]
async fn a_hook_whose_retries_all_fail_is_deactivated_until_switched_back_on() {
    // The first attempt and eleven retries, about 2.9 s at a millisecond a minute.
    let receiver = Receiver::start(vec![500; 12]).await;
    let bc = start(vec![store(json!({}))]).await;
    let hook = subscribe(&bc, "store/customer/created", &receiver.url).await.body["data"]["id"].as_u64().unwrap();
    bc.control("/customers", json!({})).await;
    receiver.wait_for(12).await;
    for _ in 0..100 {
        if hook_state(&bc, hook).await["is_active"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let state = hook_state(&bc, hook).await;
    assert_eq!(
        (state["is_active"].clone(), state["deactivated"].clone(), state["failed_deliveries"].clone()),
        (json!(false), json!("failures"), json!(1))
    );
    assert_eq!(bc.get(&format!("v3/hooks/{hook}")).await.body["data"]["is_active"], false);
    let delivery = &bc.control_get("/deliveries").await["deliveries"][0];
    assert_eq!((delivery["attempts"].clone(), delivery["abandoned"].clone()), (json!(12), json!(true)));

    bc.control("/customers", json!({})).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(receiver.received().len(), 12, "an inactive hook hears nothing");

    let on = bc.send(Method::PUT, &format!("v3/hooks/{hook}"), json!({"is_active": true})).await;
    assert_eq!(on.body["data"]["is_active"], true);
    bc.control("/customers", json!({})).await;
    receiver.wait_for(13).await;
    assert_eq!(hook_state(&bc, hook).await["deactivated"], Value::Null);
}

#[tokio::test]
async fn a_hook_idle_for_ninety_days_is_deactivated() {
    let receiver = Receiver::start(vec![]).await;
    let bc = start_manual(vec![store(json!({}))]).await;
    let idle = subscribe(&bc, "store/customer/created", &receiver.url).await.body["data"]["id"].as_u64().unwrap();
    let busy = subscribe(&bc, "store/order/created", &receiver.url).await.body["data"]["id"].as_u64().unwrap();
    const DAY_MS: u64 = 86_400_000;
    bc.advance(45 * DAY_MS).await;
    bc.new_order(json!({})).await;
    receiver.wait_for(1).await;
    bc.advance(45 * DAY_MS - 1_000).await;
    assert_eq!(bc.get(&format!("v3/hooks/{idle}")).await.body["data"]["is_active"], true, "a second short of 90 days");
    bc.advance(1_000).await;
    let listed = bc.get("v3/hooks").await.body["data"].clone();
    let active: Vec<(u64, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["id"].as_u64().unwrap(), h["is_active"].as_bool().unwrap()))
        .collect();
    assert_eq!(active, vec![(idle, false), (busy, true)], "the one that heard of an order 45 days ago lives on");
    assert_eq!(hook_state(&bc, idle).await["deactivated"], "idle");

    let aged = bc.control(&format!("/hooks/{busy}/age"), json!({})).await;
    assert_eq!(
        (aged.body["hook"]["is_active"].clone(), aged.body["hook"]["deactivated"].clone()),
        (json!(false), json!("idle"))
    );
    bc.new_order(json!({})).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(receiver.received().len(), 1);
}
