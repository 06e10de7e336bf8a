//! BigCommerce webhooks (`/v3/hooks`): subscriptions to scopes (`store/order/created`, or a
//! family such as `store/order/*`), each delivery a thin payload (`{scope, store_id, data, hash,
//! created_at, producer}`) POSTed with the hook's custom headers and, when the app has a client
//! secret, a Standard Webhooks signature. A failed delivery is retried after 60 s, 180 s, … up
//! to a day (48 hours in all), after which the hook is deactivated; a hook that hears of no event
//! for 90 days is deactivated too. Every delivery is recorded for the control endpoint.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::{data::InventoryChange, Store};
use crate::{data::DAY, EmulatorState};

/// Seconds before each retry of a failed delivery; after the last, the hook is deactivated.
pub const RETRY_SCHEDULE: &[u64] = &[60, 180, 300, 600, 900, 1800, 3600, 7200, 21_600, 50_400, 86_400];

/// A hook that hears of no event for this long is deactivated.
pub const IDLE_LIMIT: i64 = 90 * DAY;

/// At most this many hooks per scope for one app; one per scope and destination.
pub const MAX_PER_SCOPE: usize = 10;

/// The scopes a hook may subscribe to; a family's wildcard (`store/order/*`) covers every scope
/// under it.
pub const SCOPES: &[&str] = &[
    "store/order/created",
    "store/order/updated",
    "store/order/archived",
    "store/order/statusUpdated",
    "store/order/message/created",
    "store/order/refund/created",
    "store/shipment/created",
    "store/shipment/updated",
    "store/shipment/deleted",
    "store/product/created",
    "store/product/updated",
    "store/product/deleted",
    "store/product/inventory/updated",
    "store/product/inventory/order/updated",
    "store/sku/created",
    "store/sku/updated",
    "store/sku/deleted",
    "store/sku/inventory/updated",
    "store/sku/inventory/order/updated",
    "store/customer/created",
    "store/customer/updated",
    "store/customer/deleted",
    "store/customer/address/created",
    "store/customer/address/updated",
    "store/customer/address/deleted",
    "store/inventory/location/created",
    "store/inventory/location/updated",
    "store/information/updated",
];

/// Whether a hook may subscribe to `scope`: a known scope, or `…/*` over some.
pub fn valid_scope(scope: &str) -> bool {
    match scope.strip_suffix('*') {
        Some(prefix) => prefix.ends_with('/') && SCOPES.iter().any(|s| s.starts_with(prefix)),
        None => SCOPES.contains(&scope),
    }
}

/// Whether a hook on `subscribed` hears of an event of `scope`.
pub fn covers(subscribed: &str, scope: &str) -> bool {
    match subscribed.strip_suffix('*') {
        Some(prefix) => scope.starts_with(prefix),
        None => subscribed == scope,
    }
}

/// Why a hook stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deactivation {
    /// Every retry of a delivery failed.
    Failures,
    /// No event for 90 days.
    Idle,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hook {
    pub id: u64,
    pub scope: String,
    pub destination: String,
    pub headers: Option<BTreeMap<String, String>>,
    pub is_active: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The last time it heard of an event, or was created or switched on.
    pub last_activity: i64,
    /// Deliveries whose retries all failed, since it was last switched on.
    pub failed_deliveries: u32,
    pub deactivated: Option<Deactivation>,
}

#[derive(Debug, Default)]
pub struct Hooks {
    pub list: BTreeMap<u64, Hook>,
    last_id: u64,
}

impl Hooks {
    pub fn next_id(&mut self) -> u64 {
        // Real hook ids are large numbers shared by every store.
        self.last_id = self.last_id.max(27_000_000) + 1;
        self.last_id
    }

    /// Deactivates every hook idle for 90 days as of `now`.
    pub fn sweep_idle(&mut self, now: i64) {
        for hook in self.list.values_mut().filter(|h| h.is_active && now - h.last_activity >= IDLE_LIMIT) {
            hook.is_active = false;
            hook.deactivated = Some(Deactivation::Idle);
        }
    }
}

pub fn render(store: &Store, hook: &Hook) -> Value {
    json!({
        "id": hook.id,
        "client_id": store.config.client_id,
        "store_hash": store.config.store_hash,
        "scope": hook.scope,
        "destination": hook.destination,
        "headers": hook.headers,
        "is_active": hook.is_active,
        "created_at": hook.created_at,
        "updated_at": hook.updated_at,
    })
}

/// One event on its way to one hook, as the control endpoint reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub hook_id: u64,
    pub scope: String,
    pub destination: String,
    /// `webhook-id`: the same on every attempt.
    pub webhook_id: String,
    pub hash: String,
    pub payload: Value,
    pub attempts: u32,
    /// The last answer's status; `None` when none came.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub delivered: bool,
    /// Its retries ran out (or the hook went away before they did).
    pub abandoned: bool,
}

/// The payload's `hash`: SHA-1 of the JSON-encoded `data`, so every event with the same data
/// (a duplicate, a retry, or as the documentation's samples show, an order's `created` and
/// `updated`) has the same one.
fn hash_of(data: &Value) -> String {
    hex::encode(Sha1::digest(serde_json::to_vec(data).unwrap_or_default()))
}

/// Standard Webhooks' `webhook-signature`: `v1,` and base64 of HMAC-SHA256 over
/// `{id}.{timestamp}.{body}`. BigCommerce's key is the client secret's own bytes: its sample
/// base64-encodes the secret for a library that decodes it again.
pub fn sign(key: &[u8], webhook_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length works");
    mac.update(format!("{webhook_id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Sends an event of `scope` with `data` to every active hook that covers it, each delivery on
/// its own task.
pub fn fire(emu: &Arc<EmulatorState>, store: &Arc<Store>, scope: &str, data: Value) {
    let now = emu.clock.unix_now();
    let targets: Vec<Hook> = {
        let mut hooks = store.hooks.lock().expect("hooks lock");
        hooks.sweep_idle(now);
        hooks
            .list
            .values_mut()
            .filter(|h| h.is_active && covers(&h.scope, scope))
            .map(|h| {
                h.last_activity = now;
                h.clone()
            })
            .collect()
    };
    if targets.is_empty() {
        return;
    }
    let payload = json!({
        "scope": scope,
        "store_id": store.store_id.to_string(),
        "data": data,
        "hash": hash_of(&data),
        "created_at": now,
        "producer": format!("stores/{}", store.config.store_hash),
    });
    for hook in targets {
        let webhook_id = format!("msg_{}", random_token(27));
        let delivery = Delivery {
            hook_id: hook.id,
            scope: scope.to_owned(),
            destination: hook.destination.clone(),
            webhook_id,
            hash: payload["hash"].as_str().unwrap_or_default().to_owned(),
            payload: payload.clone(),
            attempts: 0,
            last_status: None,
            last_error: None,
            delivered: false,
            abandoned: false,
        };
        let index = {
            let mut deliveries = store.deliveries.lock().expect("deliveries lock");
            deliveries.push(delivery.clone());
            deliveries.len() - 1
        };
        let (emu, store) = (emu.clone(), store.clone());
        tokio::spawn(async move { deliver(&emu, &store, hook, delivery, index).await });
    }
}

/// One event to one hook: the first attempt now, then the retry schedule, scaled by the store's
/// `retry_delay_ms`. The hook must still exist and be active for each attempt; when the last
/// retry fails it is deactivated.
async fn deliver(emu: &EmulatorState, store: &Store, hook: Hook, delivery: Delivery, index: usize) {
    let body = serde_json::to_vec(&delivery.payload).unwrap_or_default();
    let unit = store.config.webhooks.retry_delay_ms;
    for attempt in 0..=RETRY_SCHEDULE.len() {
        if attempt > 0 {
            let wait = RETRY_SCHEDULE[attempt - 1].saturating_mul(unit) / 60;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let still_on = store.hooks.lock().expect("hooks lock").list.get(&hook.id).is_some_and(|h| h.is_active);
            if !still_on {
                store.deliveries.lock().expect("deliveries lock")[index].abandoned = true;
                return;
            }
        }
        let mut request =
            emu.bigcommerce.http.post(&hook.destination).header("content-type", "application/json").body(body.clone());
        for (name, value) in hook.headers.iter().flatten() {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(secret) = &store.config.client_secret {
            // Each attempt is signed afresh: receivers refuse timestamps more than minutes old.
            let timestamp = emu.clock.unix_now();
            request = request
                .header("webhook-id", &delivery.webhook_id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", sign(secret.as_bytes(), &delivery.webhook_id, timestamp, &body));
        }
        let sent = request.send().await;
        let (status, error) = match &sent {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(err) => (None, Some(err.to_string())),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        {
            let mut deliveries = store.deliveries.lock().expect("deliveries lock");
            let record = &mut deliveries[index];
            record.attempts = attempt as u32 + 1;
            record.last_status = status;
            record.last_error = error;
            record.delivered = delivered;
        }
        if delivered {
            return;
        }
    }
    store.deliveries.lock().expect("deliveries lock")[index].abandoned = true;
    let mut hooks = store.hooks.lock().expect("hooks lock");
    // A delivery counts against the hook as it was when its event fired: one whose headers were
    // changed since (the app repaired it and switched it on) is not switched off by a delivery
    // still retrying from before.
    if let Some(stored) = hooks.list.get_mut(&hook.id).filter(|stored| stored.headers == hook.headers) {
        stored.failed_deliveries += 1;
        if stored.is_active {
            stored.is_active = false;
            stored.deactivated = Some(Deactivation::Failures);
        }
    }
}

fn random_token(len: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    (0..len).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// `store/order/statusUpdated` (when the status moved) and `store/order/updated` for an order.
pub fn order_changed(emu: &Arc<EmulatorState>, store: &Arc<Store>, order_id: u64, status: Option<(u8, u8)>) {
    if let Some((before, after)) = status {
        let data = json!({
            "type": "order", "id": order_id,
            "status": { "previous_status_id": before, "new_status_id": after },
        });
        fire(emu, store, "store/order/statusUpdated", data);
    }
    fire(emu, store, "store/order/updated", json!({ "type": "order", "id": order_id }));
}

/// The inventory event of a stock change: `store/sku/inventory/updated` for stock tracked by
/// variant, `store/product/inventory/updated` for stock tracked by product.
pub fn inventory_changed(emu: &Arc<EmulatorState>, store: &Arc<Store>, change: InventoryChange) {
    match (change.by_variant, change.sku_id) {
        (true, Some(sku_id)) => {
            let inventory = json!({
                "product_id": change.product_id, "method": "absolute", "value": change.value,
                "variant_id": change.variant_id,
            });
            fire(
                emu,
                store,
                "store/sku/inventory/updated",
                json!({ "type": "sku", "id": sku_id, "inventory": inventory }),
            );
        }
        _ => {
            let inventory = json!({ "product_id": change.product_id, "method": "absolute", "value": change.value });
            let data = json!({ "type": "product", "id": change.product_id, "inventory": inventory });
            fire(emu, store, "store/product/inventory/updated", data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_their_family_only() {
        assert!(
            valid_scope("store/order/*") && valid_scope("store/sku/inventory/*") && valid_scope("store/order/created")
        );
        assert!(!valid_scope("store/orders/*") && !valid_scope("store/order/shipped") && !valid_scope("store/order*"));
        assert!(covers("store/order/*", "store/order/statusUpdated"));
        assert!(covers("store/product/*", "store/product/inventory/updated"));
        assert!(!covers("store/order/*", "store/shipment/created"));
        assert!(!covers("store/order/created", "store/order/updated"));
    }

    #[test]
    fn the_signature_matches_the_standard_webhooks_test_vector() {
        // The key of `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw` is its base64 part, decoded.
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, br#"{"test": 2432232314}"#),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn idle_hooks_are_deactivated_after_ninety_days() {
        let mut hooks = Hooks::default();
        let id = hooks.next_id();
        let hook = Hook {
            id,
            scope: "store/order/*".into(),
            destination: "https://example.com/hooks".into(),
            headers: None,
            is_active: true,
            created_at: 0,
            updated_at: 0,
            last_activity: 1_000,
            failed_deliveries: 0,
            deactivated: None,
        };
        hooks.list.insert(id, hook);
        hooks.sweep_idle(1_000 + IDLE_LIMIT - 1);
        assert!(hooks.list[&id].is_active);
        hooks.sweep_idle(1_000 + IDLE_LIMIT);
        assert_eq!((hooks.list[&id].is_active, hooks.list[&id].deactivated), (false, Some(Deactivation::Idle)));
    }
}
