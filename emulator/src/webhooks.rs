//! Webhooks: subscriptions made through the REST API, and signed deliveries that retry, can be
//! duplicated, and can arrive out of order, as Shopify's do.

use std::{sync::Arc, time::Duration};

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;

use super::{apps::App, data::ShopData, EmulatorState, Shop};

#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: u64,
    pub topic: String,
    pub address: String,
    pub fields: Vec<String>,
    pub created_at: i64,
    pub api_version: String,
    /// The app whose token created it: its deliveries are signed with that app's secret.
    pub app: App,
}

impl Subscription {
    pub fn render(&self, data: &ShopData) -> Value {
        json!({
            "id": self.id, "address": self.address, "topic": self.topic,
            "created_at": data.timestamp(self.created_at), "updated_at": data.timestamp(self.created_at),
            "format": "json", "fields": self.fields, "metafield_namespaces": [],
            "api_version": self.api_version, "private_metafield_namespaces": [],
        })
    }
}

/// One delivery of one event to one subscription, as the control endpoint reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub topic: String,
    pub address: String,
    pub event_id: String,
    pub webhook_id: String,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub delivered: bool,
}

/// The topics storelink may subscribe to here, with the resource whose read scope each needs.
const TOPICS: &[(&str, Option<&str>)] = &[
    ("orders/create", Some("orders")),
    ("orders/updated", Some("orders")),
    ("orders/cancelled", Some("orders")),
    ("orders/fulfilled", Some("orders")),
    ("orders/partially_fulfilled", Some("orders")),
    ("orders/paid", Some("orders")),
    ("orders/delete", Some("orders")),
    // [inferred] Shopify's webhook reference lists read_fulfillments for these two (from memory,
    // not re-checked against a stored copy).
    ("fulfillments/create", Some("fulfillments")),
    ("fulfillments/update", Some("fulfillments")),
    ("products/create", Some("products")),
    ("products/update", Some("products")),
    ("products/delete", Some("products")),
    ("customers/create", Some("customers")),
    ("customers/update", Some("customers")),
    ("customers/delete", Some("customers")),
    ("inventory_levels/update", Some("inventory")),
    ("inventory_levels/connect", Some("inventory")),
    ("inventory_levels/disconnect", Some("inventory")),
    ("locations/create", Some("locations")),
    ("locations/update", Some("locations")),
    ("fulfillment_orders/cancelled", Some("fulfillment_orders")),
    ("fulfillment_orders/placed_on_hold", Some("fulfillment_orders")),
    ("fulfillment_orders/hold_released", Some("fulfillment_orders")),
    ("fulfillment_orders/moved", Some("fulfillment_orders")),
    ("fulfillment_orders/order_routing_complete", Some("fulfillment_orders")),
    ("fulfillment_orders/scheduled_fulfillment_order_ready", Some("fulfillment_orders")),
    ("fulfillment_orders/fulfillment_service_failed_to_complete", Some("fulfillment_orders")),
    ("fulfillment_orders/fulfillment_request_submitted", Some("fulfillment_orders")),
    ("fulfillment_orders/fulfillment_request_accepted", Some("fulfillment_orders")),
    ("fulfillment_orders/fulfillment_request_rejected", Some("fulfillment_orders")),
    ("fulfillment_orders/cancellation_request_submitted", Some("fulfillment_orders")),
    ("fulfillment_orders/cancellation_request_accepted", Some("fulfillment_orders")),
    ("fulfillment_orders/cancellation_request_rejected", Some("fulfillment_orders")),
    ("fulfillment_orders/line_items_prepared_for_local_delivery", Some("fulfillment_orders")),
    ("fulfillment_orders/line_items_prepared_for_pickup", Some("fulfillment_orders")),
    ("fulfillment_orders/merged", Some("fulfillment_orders")),
    ("fulfillment_orders/split", Some("fulfillment_orders")),
    ("fulfillment_orders/rescheduled", Some("fulfillment_orders")),
    // Every app may hear of its own bulk operations finishing.
    ("bulk_operations/finish", None),
    ("app/uninstalled", None),
    ("shop/update", None),
];

/// The GraphQL enum value of a REST topic: `orders/create` → `ORDERS_CREATE`.
pub fn graphql_topic(rest: &str) -> String {
    rest.replace('/', "_").to_ascii_uppercase()
}

/// The REST topic of a GraphQL enum value (`FULFILLMENT_ORDERS_PLACED_ON_HOLD` →
/// `fulfillment_orders/placed_on_hold`); the resource part is found in the topic list.
pub fn rest_topic(graphql: &str) -> String {
    TOPICS
        .iter()
        .map(|(t, _)| *t)
        .find(|t| graphql_topic(t) == graphql)
        .map(str::to_owned)
        .unwrap_or_else(|| graphql.to_ascii_lowercase().replacen('_', "/", 1))
}

/// Whether `topic` is one the emulator can subscribe to at all.
pub fn topic_known(topic: &str) -> bool {
    TOPICS.iter().any(|(t, _)| *t == topic)
}

/// Whether the legacy app may subscribe to `topic`.
pub fn topic_allowed(shop: &Shop, topic: &str) -> bool {
    topic_allowed_for(shop, App::Legacy, topic)
}

/// Whether `app` has the scope `topic` needs.
pub fn topic_allowed_for(shop: &Shop, app: App, topic: &str) -> bool {
    match TOPICS.iter().find(|(t, _)| *t == topic) {
        Some((_, None)) => true,
        // Any of the fulfillment-order scopes will do.
        Some((_, Some("fulfillment_orders"))) => ["merchant_managed", "assigned", "third_party"]
            .iter()
            .any(|kind| shop.app_can_read(app, &format!("{kind}_fulfillment_orders"))),
        Some((_, Some(resource))) => shop.app_can_read(app, resource),
        None => false,
    }
}

/// The key a delivery to `address` with no subscription behind it is signed with (the control
/// endpoint's hand-made deliveries): the secret of the app subscribed at that address (for
/// `topic` first), else the legacy shared secret if the shop has one, else the Dev Dashboard
/// app's client secret.
pub fn secret_for_address(shop: &Shop, topic: &str, address: &str) -> String {
    let app = {
        let subs = shop.subscriptions.lock().expect("subscriptions lock");
        let at_address = || subs.iter().filter(|s| s.address == address);
        at_address().find(|s| s.topic == topic).or_else(|| at_address().next()).map(|s| s.app)
    };
    match app {
        Some(app) => shop.secret_of(app),
        None if !shop.config.shared_secret.is_empty() || shop.dev_app.is_none() => shop.config.shared_secret.clone(),
        None => shop.secret_of(App::DevApp),
    }
}

/// `X-Shopify-Hmac-Sha256`: base64 of HMAC-SHA256 over the raw body, keyed with the app's secret
/// (a legacy app's shared secret, a Dev Dashboard app's client secret).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length works");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let h = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// How an event should be delivered.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(default)]
pub struct DeliveryOptions {
    /// Send every delivery twice (same event id, different webhook ids).
    pub duplicate: bool,
}

/// Sends `payload` for `topic` to every subscription of the shop, each delivery on its own task
/// and signed with the secret of the app that subscribed.
pub fn fire(emu: &Arc<EmulatorState>, shop: &Arc<Shop>, topic: &str, payload: &Value, options: DeliveryOptions) {
    fire_signed(emu, shop, topic, payload, options, None);
}

/// [`fire`], with every delivery signed with `secret` when it is given instead of its app's.
pub fn fire_signed(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    topic: &str,
    payload: &Value,
    options: DeliveryOptions,
    secret: Option<&str>,
) {
    fire_to(emu, shop, None, topic, payload, options, secret);
}

/// [`fire`], to the subscriptions of one app only (its bulk operations are its own business).
pub fn fire_for_app(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    app: App,
    topic: &str,
    payload: &Value,
    options: DeliveryOptions,
) {
    fire_to(emu, shop, Some(app), topic, payload, options, None);
}

fn fire_to(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    app: Option<App>,
    topic: &str,
    payload: &Value,
    options: DeliveryOptions,
    secret: Option<&str>,
) {
    let subscribers: Vec<Subscription> = shop
        .subscriptions
        .lock()
        .expect("subscriptions lock")
        .iter()
        .filter(|s| s.topic == topic && app.is_none_or(|a| a == s.app))
        .cloned()
        .collect();
    let event_id = random_id();
    for sub in subscribers {
        let body = if sub.fields.is_empty() {
            payload.clone()
        } else {
            let map = payload.as_object().cloned().unwrap_or_default();
            Value::Object(map.into_iter().filter(|(k, _)| sub.fields.contains(k)).collect())
        };
        let secret = secret.map_or_else(|| shop.secret_of(sub.app), str::to_owned);
        let copies = if options.duplicate { 2 } else { 1 };
        for _ in 0..copies {
            let outgoing = Outgoing {
                topic,
                address: &sub.address,
                subscription: Some(sub.id),
                payload: &body,
                event_id: &event_id,
            };
            send_signed(emu, shop, outgoing, &secret);
        }
    }
}

/// Sends one delivery (with retries) to `address`; `subscription` is removed after the last
/// failed retry, as Shopify removes subscriptions made through the API. It is signed with the
/// subscription's app's secret, or for no subscription as [`secret_for_address`] says.
pub fn send(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    topic: &str,
    address: &str,
    subscription: Option<u64>,
    payload: &Value,
    event_id: &str,
) {
    let app = subscription.and_then(|id| {
        shop.subscriptions.lock().expect("subscriptions lock").iter().find(|s| s.id == id).map(|s| s.app)
    });
    let secret = match app {
        Some(app) => shop.secret_of(app),
        None => secret_for_address(shop, topic, address),
    };
    send_signed(emu, shop, Outgoing { topic, address, subscription, payload, event_id }, &secret);
}

/// One event on its way to one address.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub topic: &'a str,
    pub address: &'a str,
    /// The subscription it is for, removed after the last failed retry.
    pub subscription: Option<u64>,
    pub payload: &'a Value,
    pub event_id: &'a str,
}

/// [`send`], signed with `secret`.
pub fn send_signed(emu: &Arc<EmulatorState>, shop: &Arc<Shop>, outgoing: Outgoing<'_>, secret: &str) {
    let Outgoing { topic, address, subscription, payload, event_id } = outgoing;
    let body = serde_json::to_vec(payload).unwrap_or_default();
    // Signed once, with the secret as it is now: a rotation later does not re-sign the retries.
    let signature = sign(secret, &body);
    let delivery = Delivery {
        topic: topic.to_owned(),
        address: address.to_owned(),
        event_id: event_id.to_owned(),
        webhook_id: random_id(),
        attempts: 0,
        last_status: None,
        delivered: false,
    };
    let index = {
        let mut deliveries = shop.deliveries.lock().expect("deliveries lock");
        deliveries.push(delivery.clone());
        deliveries.len() - 1
    };
    let (emu, shop) = (emu.clone(), shop.clone());
    tokio::spawn(async move {
        let timing = emu.webhook_timing.clone();
        let api_version = super::SUPPORTED_VERSIONS[super::SUPPORTED_VERSIONS.len() - 2];
        let triggered_at = shop.data.read().expect("data lock").timestamp(emu.clock.unix_now());
        let mut wait = Duration::from_millis(timing.first_retry_ms);
        while shop.faults.lock().expect("faults lock").webhooks_held {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for attempt in 0..=timing.retries {
            if attempt > 0 {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            let sent = emu
                .http
                .post(&delivery.address)
                .header("content-type", "application/json")
                .header("x-shopify-topic", &delivery.topic)
                .header("x-shopify-hmac-sha256", &signature)
                .header("x-shopify-shop-domain", shop.domain())
                .header("x-shopify-api-version", api_version)
                .header("x-shopify-webhook-id", &delivery.webhook_id)
                .header("x-shopify-event-id", &delivery.event_id)
                .header("x-shopify-triggered-at", &triggered_at)
                .body(body.clone())
                .send()
                .await;
            let status = sent.as_ref().ok().map(|r| r.status().as_u16());
            let delivered = status.is_some_and(|s| (200..300).contains(&s));
            {
                let mut deliveries = shop.deliveries.lock().expect("deliveries lock");
                let record = &mut deliveries[index];
                record.attempts = attempt + 1;
                record.last_status = status;
                record.delivered = delivered;
            }
            if delivered {
                return;
            }
        }
        if let Some(id) = subscription {
            shop.subscriptions.lock().expect("subscriptions lock").retain(|s| s.id != id);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{graphql_topic, rest_topic, sign};

    #[test]
    fn topics_map_between_rest_and_graphql() {
        for (rest, graphql) in [
            ("orders/create", "ORDERS_CREATE"),
            ("fulfillment_orders/placed_on_hold", "FULFILLMENT_ORDERS_PLACED_ON_HOLD"),
            ("inventory_levels/update", "INVENTORY_LEVELS_UPDATE"),
            ("bulk_operations/finish", "BULK_OPERATIONS_FINISH"),
            ("app/uninstalled", "APP_UNINSTALLED"),
        ] {
            assert_eq!(graphql_topic(rest), graphql);
            assert_eq!(rest_topic(graphql), rest);
        }
    }

    #[test]
    fn the_signature_matches_shopifys_test_vector() {
        assert_eq!(sign("test_secret_key", br#"{"foo": "bar"}"#), "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=");
    }
}
