//! WooCommerce webhooks (`WC_Webhook`): a ping on creation; for every change, one POST of the
//! resource as `GET /wc/v3/{resource}s/{id}` renders it (built when it is sent), or `{"id": N}`
//! when it was deleted, signed with base64 HMAC-SHA256 of the exact bytes. Never retried: a
//! failure only counts, and past five in a row the webhook is disabled; a success resets the
//! count. Every delivery is recorded for the control endpoint.

use std::{collections::BTreeMap, sync::Arc};

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{php_json, render, Site, WC_VERSION, WP_VERSION};
use crate::EmulatorState;

pub const STATUSES: &[&str] = &["active", "paused", "disabled"];

/// `woocommerce_max_webhook_delivery_failures`: failures beyond this disable the webhook.
const MAX_FAILURES: u32 = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub topic: String,
    pub delivery_url: String,
    #[serde(skip)]
    pub secret: String,
    pub created: i64,
    pub modified: i64,
    pub failure_count: u32,
}

#[derive(Debug, Default)]
pub struct Webhooks {
    pub list: BTreeMap<u64, Webhook>,
    last_id: u64,
}

impl Webhooks {
    pub fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }
}

/// One POST to a delivery URL, as the control endpoint reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub webhook_id: u64,
    /// `X-WC-Webhook-Delivery-ID` (empty for a ping, which sends none).
    pub delivery_id: String,
    /// The topic, or `ping`.
    pub topic: String,
    pub resource_id: Option<u64>,
    pub delivery_url: String,
    /// The answer's status; `None` when no answer came.
    pub status: Option<u16>,
    pub success: bool,
    pub error: Option<String>,
    /// Unix seconds on the emulator's clock.
    pub sent_at: i64,
}

/// `wc_is_webhook_valid_topic`: a core resource and event, or a custom action.
pub fn valid_topic(topic: &str) -> bool {
    if let Some(action) = topic.strip_prefix("action.") {
        return action.starts_with("woocommerce_") || action.starts_with("wc_");
    }
    match topic.split_once('.') {
        Some((resource, event)) => {
            ["coupon", "customer", "order", "product"].contains(&resource)
                && ["created", "updated", "deleted", "restored"].contains(&event)
        }
        None => false,
    }
}

/// The WordPress actions a topic listens to, as current WooCommerce lists them.
fn hooks(topic: &str) -> Vec<&str> {
    match topic {
        "coupon.created" => vec!["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
        "coupon.updated" => vec!["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
        "coupon.deleted" => vec!["wp_trash_post"],
        "coupon.restored" => vec!["untrashed_post"],
        "customer.created" => vec!["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
        "customer.updated" => vec!["profile_update", "woocommerce_update_customer"],
        "customer.deleted" => vec!["delete_user"],
        "order.created" => vec!["woocommerce_new_order"],
        "order.updated" => {
            vec!["woocommerce_update_order", "woocommerce_order_refunded", "woocommerce_delete_order_refund"]
        }
        "order.deleted" => vec!["wp_trash_post", "woocommerce_trash_order", "woocommerce_delete_order"],
        "order.restored" => vec!["untrashed_post", "woocommerce_untrash_order"],
        "product.created" => {
            vec!["woocommerce_process_product_meta", "woocommerce_new_product", "woocommerce_new_product_variation"]
        }
        "product.updated" => vec![
            "woocommerce_process_product_meta",
            "woocommerce_update_product",
            "woocommerce_update_product_variation",
        ],
        "product.deleted" => vec!["wp_trash_post"],
        "product.restored" => vec!["untrashed_post"],
        action => vec![action.strip_prefix("action.").unwrap_or(action)],
    }
}

pub fn render(site: &Site, webhook: &Webhook) -> Value {
    let (resource, event) = webhook.topic.split_once('.').unwrap_or((&webhook.topic, ""));
    json!({
        "id": webhook.id, "name": webhook.name, "status": webhook.status, "topic": webhook.topic,
        "resource": resource, "event": event, "hooks": hooks(&webhook.topic), "delivery_url": webhook.delivery_url,
        "date_created": site.local(webhook.created), "date_created_gmt": site.gmt(webhook.created),
        "date_modified": site.local(webhook.modified), "date_modified_gmt": site.gmt(webhook.modified),
        "_links": render::links(site, &format!("/wc/v3/webhooks/{}", webhook.id), "/wc/v3/webhooks", None),
    })
}

fn user_agent() -> String {
    format!("WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})")
}

/// Sends `{resource}.{event}` for record `id` to every active webhook of that topic, each on its
/// own task.
pub fn fire(emu: &Arc<EmulatorState>, site: &Arc<Site>, resource: &'static str, event: &'static str, id: u64) {
    let topic = format!("{resource}.{event}");
    let targets: Vec<Webhook> = site
        .webhooks
        .lock()
        .expect("webhooks lock")
        .list
        .values()
        .filter(|w| w.status == "active" && w.topic == topic)
        .cloned()
        .collect();
    for webhook in targets {
        let (emu, site) = (emu.clone(), site.clone());
        tokio::spawn(async move { deliver(&emu, &site, webhook, resource, event, id).await });
    }
}

/// The body a delivery carries: `{"id"}` for a deletion, else the resource as the API renders
/// it now; `None` when it no longer exists.
fn payload(site: &Site, resource: &str, event: &str, id: u64) -> Option<Value> {
    if event == "deleted" {
        return Some(json!({ "id": id }));
    }
    let data = site.data.read().expect("data lock");
    match resource {
        "order" => data.orders.get(&id).map(|order| render::order(site, &data, order)),
        "product" => data.products.get(&id).map(|product| render::product(site, product)),
        "customer" => data.customers.get(&id).map(|customer| render::customer(site, customer)),
        _ => None,
    }
}

async fn deliver(emu: &EmulatorState, site: &Site, webhook: Webhook, resource: &str, event: &str, id: u64) {
    let dropped = {
        let faults = &mut *site.faults.lock().expect("faults lock");
        faults.drop_deliveries > 0 && {
            faults.drop_deliveries -= 1;
            true
        }
    };
    if dropped {
        return;
    }
    let Some(payload) = payload(site, resource, event, id) else { return };
    let body = php_json::encode(&payload);
    let signature = crate::webhooks::sign(&webhook.secret, &body);
    let sent_at = emu.clock.unix_now();
    // WooCommerce hashes the webhook id with the current second: two deliveries of one webhook
    // in the same second share a delivery id.
    let delivery_id = hex::encode(&Sha256::digest(format!("{}{sent_at}", webhook.id))[..16]);
    let sent = emu
        .woocommerce
        .http
        .post(&webhook.delivery_url)
        .header("content-type", "application/json")
        .header("user-agent", user_agent())
        .header("x-wc-webhook-source", format!("{}/", site.home()))
        .header("x-wc-webhook-topic", &webhook.topic)
        .header("x-wc-webhook-resource", resource)
        .header("x-wc-webhook-event", event)
        .header("x-wc-webhook-signature", &signature)
        .header("x-wc-webhook-id", webhook.id.to_string())
        .header("x-wc-webhook-delivery-id", &delivery_id)
        .body(body)
        .send()
        .await;
    let (status, error) = match &sent {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(err) => (None, Some(err.to_string())),
    };
    // Success is any 2xx, 301 or 302 (WooCommerce checks 200 ≤ code < 303).
    let success = status.is_some_and(|code| (200..303).contains(&code));
    {
        let mut webhooks = site.webhooks.lock().expect("webhooks lock");
        if let Some(stored) = webhooks.list.get_mut(&webhook.id) {
            if success {
                stored.failure_count = 0;
            } else if stored.failure_count > MAX_FAILURES {
                stored.status = "disabled".into();
            } else {
                stored.failure_count += 1;
            }
        }
    }
    let delivery = Delivery {
        webhook_id: webhook.id,
        delivery_id,
        topic: webhook.topic.clone(),
        resource_id: Some(id),
        delivery_url: webhook.delivery_url.clone(),
        status,
        success,
        error,
        sent_at,
    };
    site.deliveries.lock().expect("deliveries lock").push(delivery);
}

/// `deliver_ping`: a form body `webhook_id=N` with no signature or `X-WC-*` headers, sent while
/// the creating request waits. Its failure is reported nowhere but here and counts for nothing.
pub async fn ping(emu: &EmulatorState, site: &Site, webhook_id: u64, url: &str) {
    let sent = emu
        .woocommerce
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("user-agent", user_agent())
        .body(format!("webhook_id={webhook_id}"))
        .send()
        .await;
    let (status, error) = match &sent {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(err) => (None, Some(err.to_string())),
    };
    let delivery = Delivery {
        webhook_id,
        delivery_id: String::new(),
        topic: "ping".into(),
        resource_id: None,
        delivery_url: url.to_owned(),
        status,
        success: status == Some(200),
        error,
        sent_at: emu.clock.unix_now(),
    };
    site.deliveries.lock().expect("deliveries lock").push(delivery);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_core_resources_and_events_or_actions() {
        for topic in [
            "order.updated",
            "product.deleted",
            "customer.created",
            "coupon.restored",
            "action.woocommerce_x",
            "action.wc_y",
        ] {
            assert!(valid_topic(topic), "{topic}");
        }
        for topic in ["order.shipped", "orders.updated", "action.other", "order", ""] {
            assert!(!valid_topic(topic), "{topic}");
        }
    }
}
