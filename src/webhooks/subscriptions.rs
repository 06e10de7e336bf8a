//! Keeping each store's subscriptions in place, and the health figures its page shows.

use serde_json::json;

use super::{repo, WebhookHealth, TOPICS};
use crate::{
    db::{self, Pool},
    error::AppError,
    ids::StoreId,
    secrets::Secret,
    shopify::{
        client::{ShopifyClient, ShopifyError, API_VERSION},
        pacing::{PaceEvent, Pacer},
        ShopDomain,
    },
    stores,
};

/// The store whose subscriptions are kept, and how to reach its shop.
pub struct ShopAccess<'a> {
    pub store_id: StoreId,
    pub domain: &'a ShopDomain,
    pub token: &'a Secret,
}

/// Makes sure the store is subscribed to every topic at `address`: creates the missing
/// subscriptions (Shopify's 422 for one that already exists counts as existing) and records
/// their ids. When a subscription storelink had recorded is gone, the store's last repair is
/// noted. The outer error is storelink's own; the inner one is Shopify's answer.
pub async fn ensure(
    pool: &Pool,
    shopify: &ShopifyClient,
    pacer: &Pacer,
    shop: ShopAccess<'_>,
    address: &str,
    events: &mut impl FnMut(PaceEvent),
) -> Result<Result<(), ShopifyError>, AppError> {
    let ShopAccess { store_id, domain, token } = shop;
    let list = format!("/admin/api/{API_VERSION}/webhooks.json?limit=250");
    let existing = match pacer.get(shopify, domain, token, &list, events).await.and_then(|r| r.json()) {
        Ok(body) => body["webhooks"].as_array().cloned().unwrap_or_default(),
        Err(err) => return Ok(Err(err)),
    };
    let ours: Vec<(i64, String)> = existing
        .iter()
        .filter(|w| w["address"].as_str() == Some(address))
        .filter_map(|w| Some((w["id"].as_i64()?, w["topic"].as_str()?.to_owned())))
        .collect();
    let recorded = stores::repo::webhook_topics(pool, store_id).await?;
    let mut found = ours.clone();
    let create = format!("/admin/api/{API_VERSION}/webhooks.json");
    for topic in TOPICS.iter().filter(|t| !ours.iter().any(|(_, o)| o == *t)) {
        let body = json!({"webhook": {"topic": topic, "address": address, "format": "json"}});
        match pacer.send(|| shopify.post(domain, token, &create, &body), events).await.and_then(|r| r.json()) {
            Ok(created) => {
                if let Some(id) = created["webhook"]["id"].as_i64() {
                    found.push((id, (*topic).to_owned()));
                }
            }
            // Made meanwhile (or by an earlier attempt whose answer was lost): found next time.
            Err(ShopifyError::Unprocessable(_)) => {}
            Err(err) => return Ok(Err(err)),
        }
    }
    let repaired = recorded.iter().any(|topic| !ours.iter().any(|(_, o)| o == topic));
    stores::repo::replace_webhooks(pool, store_id, &found, repaired).await?;
    if repaired {
        tracing::info!(shop = %domain, %store_id, "recreated webhook subscriptions Shopify had dropped");
    }
    Ok(Ok(()))
}

/// The store page's webhook figures; `enabled` and `sync_interval_secs` are the server's.
pub async fn health(
    pool: &Pool,
    store_id: StoreId,
    enabled: bool,
    sync_interval_secs: u64,
) -> Result<WebhookHealth, AppError> {
    let topics = stores::repo::webhook_topics(pool, store_id).await?;
    let (last_delivery_at, deliveries_24h) = repo::recent(pool, store_id, db::now() - 86_400).await?;
    let (rejected, last_rejected_at, last_repair_at, stale) = stores::repo::webhook_figures(pool, store_id).await?;
    Ok(WebhookHealth {
        enabled,
        sync_interval_secs,
        topics,
        last_delivery_at,
        deliveries_24h,
        rejected,
        last_rejected_at,
        stale,
        last_repair_at,
    })
}
