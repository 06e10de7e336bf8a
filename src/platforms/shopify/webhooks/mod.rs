//! Shopify's webhooks: each store subscribed (through GraphQL) to the topics storelink applies,
//! deliveries verified by their HMAC before anything is read. A delivery about an order, product,
//! customer, fulfillment order or inventory level is a notice of a change: notices are gathered
//! per store for a moment and the records fetched as they are now in one `nodes` query
//! (`refresh`), so every record is stored in one shape, GraphQL's, whatever told storelink of
//! it. Deletions, uninstalls and the compliance topics are read in `apply`.

mod apply;
pub(in crate::platforms) mod refresh;
mod subscriptions;

use axum::http::HeaderMap;

use super::{client::ShopifyError, sync::fatal, tokens::TokenError, Shopify};
use crate::{
    ids::StoreId,
    jobs::{run::Stop, Progress},
    platforms::{Delivery, Ensured},
};

/// Shopify retries a delivery for 48 hours; one triggered longer ago than that is not Shopify
/// retrying but someone replaying an old body (signed, so genuine) under a new event id.
pub const REPLAY_AFTER_SECS: i64 = 48 * 3600;

/// A topic as GraphQL's `WebhookSubscriptionTopic` names it: `orders/create` → `ORDERS_CREATE`.
fn graphql_topic(topic: &str) -> String {
    topic.replace('/', "_").to_uppercase()
}

/// What a delivery's headers say; `None` without the headers every Shopify delivery has.
pub fn delivery(headers: &HeaderMap) -> Option<Delivery> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let event_id = header("x-shopify-event-id").or_else(|| header("x-shopify-webhook-id"))?;
    let triggered_at = header("x-shopify-triggered-at").and_then(|at| {
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp())
    });
    Some(Delivery {
        address: header("x-shopify-shop-domain")?.to_ascii_lowercase(),
        event_id: event_id.to_owned(),
        topic: header("x-shopify-topic")?.to_owned(),
        triggered_at,
        signature: header("x-shopify-hmac-sha256")?.to_owned(),
        ping: false,
    })
}

impl Shopify {
    /// Subscribes the store to its webhooks, or repairs the subscriptions Shopify dropped. Only
    /// answers that stop every call stop the sync; others are said and the sync goes on.
    pub(in crate::platforms) async fn ensure_webhooks(
        &self,
        store_id: StoreId,
        address: &str,
        recorded: &[String],
        progress: &mut Progress,
    ) -> Result<Ensured, Stop> {
        let client = &self.client;
        let events = std::sync::Mutex::new(Vec::new());
        let outcome = self
            .tokens
            .call(store_id, |access| {
                let events = &events;
                async move {
                    let mut heard = |e| events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                    subscriptions::ensure(client, &access.domain, &access.token, address, recorded, &mut heard).await
                }
            })
            .await;
        super::sync::paced(progress, &mut None, events.into_inner().unwrap_or_else(|p| p.into_inner()));
        let found = match outcome {
            Ok(found) => found,
            Err(TokenError::Shopify(
                err @ (ShopifyError::Unauthorized
                | ShopifyError::GrantRefused(_)
                | ShopifyError::Frozen
                | ShopifyError::Unavailable
                | ShopifyError::Locked
                | ShopifyError::NotFound),
            )) => return Err(fatal(err)),
            Err(TokenError::Shopify(err)) => {
                return Ok(Ensured { subscriptions: None, repaired: false, problem: Some(err.to_string()) })
            }
            Err(other) => return Err(other.into()),
        };
        Ok(Ensured {
            subscriptions: Some(found.subscriptions),
            repaired: found.repaired,
            problem: found.refused.map(|err| err.to_string()),
        })
    }

    /// Deletes the subscriptions storelink made, as far as Shopify lets it: how many went.
    pub(in crate::platforms) async fn remove_webhooks(&self, store_id: StoreId, ids: &[i64]) -> usize {
        let mut removed = 0;
        for id in ids {
            let client = &self.client;
            let deleted = self
                .tokens
                .call(store_id, |access| async move {
                    subscriptions::remove(client, &access.domain, &access.token, *id).await
                })
                .await;
            match deleted {
                Ok(()) => removed += 1,
                Err(TokenError::NoCredentials) => break,
                Err(err) => {
                    tracing::warn!(%store_id, webhook_id = id, error = ?err, "could not remove a webhook subscription")
                }
            }
        }
        removed
    }

    /// Whether Shopify still accepts the app on the store; `None` when it cannot be asked.
    pub(in crate::platforms) async fn still_connected(&self, store_id: StoreId) -> Option<bool> {
        self.refresher.still_connected(store_id).await
    }

    /// Whether Shopify no longer has the customer; `None` when it cannot be asked.
    pub(in crate::platforms) async fn customer_gone(&self, store_id: StoreId, customer: i64) -> Option<bool> {
        self.refresher.customer_gone(store_id, customer).await
    }
}
