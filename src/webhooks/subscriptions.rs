//! Keeping each store's subscriptions in place, and the health figures its page shows.

use serde_json::json;

use super::{WebhookHealth, TOPICS};
use crate::{
    error::AppError,
    secrets::Secret,
    server::{db, AppState},
    shopify::{
        client::{ShopifyClient, ShopifyError, API_VERSION},
        ShopDomain,
    },
    sync::pacing::{PaceEvent, Pacer},
};

/// Makes sure the store is subscribed to every topic at `address`: creates the missing
/// subscriptions (Shopify's 422 for one that already exists counts as existing) and records
/// their ids. When a subscription storelink had recorded is gone, the store's last repair is
/// noted. The outer error is storelink's own; the inner one is Shopify's answer.
#[allow(clippy::too_many_arguments)]
pub async fn ensure(
    pool: &db::Pool,
    shopify: &ShopifyClient,
    pacer: &Pacer,
    domain: &ShopDomain,
    token: &Secret,
    store_id: i64,
    address: &str,
    events: &mut impl FnMut(PaceEvent),
) -> Result<Result<(), ShopifyError>, AppError> {
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
    let recorded: Vec<String> = sqlx::query_scalar("SELECT topic FROM store_webhooks WHERE store_id = ?")
        .bind(store_id)
        .fetch_all(pool)
        .await?;
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
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM store_webhooks WHERE store_id = ?").bind(store_id).execute(&mut *tx).await?;
    for (id, topic) in &found {
        sqlx::query("INSERT OR IGNORE INTO store_webhooks (store_id, webhook_id, topic) VALUES (?, ?, ?)")
            .bind(store_id)
            .bind(id)
            .bind(topic)
            .execute(&mut *tx)
            .await?;
    }
    if repaired {
        sqlx::query("UPDATE stores SET webhooks_repaired_at = ? WHERE id = ?")
            .bind(db::now())
            .bind(store_id)
            .execute(&mut *tx)
            .await?;
        tracing::info!(shop = %domain, store_id, "recreated webhook subscriptions Shopify had dropped");
    }
    tx.commit().await?;
    Ok(Ok(()))
}

pub async fn health(pool: &db::Pool, store_id: i64, state: &AppState) -> Result<WebhookHealth, AppError> {
    let topics: Vec<String> = sqlx::query_scalar("SELECT topic FROM store_webhooks WHERE store_id = ? ORDER BY topic")
        .bind(store_id)
        .fetch_all(pool)
        .await?;
    let (last_delivery_at, deliveries_24h): (Option<i64>, i64) = sqlx::query_as(
        "SELECT MAX(received_at), COUNT(*) FILTER (WHERE received_at > ?) FROM webhook_deliveries WHERE store_id = ?",
    )
    .bind(db::now() - 86_400)
    .bind(store_id)
    .fetch_one(pool)
    .await?;
    let (rejected, last_rejected_at, last_repair_at): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT webhooks_rejected, webhooks_last_rejected_at, webhooks_repaired_at FROM stores WHERE id = ?",
    )
    .bind(store_id)
    .fetch_optional(pool)
    .await?
    .unwrap_or((0, None, None));
    Ok(WebhookHealth {
        enabled: state.sync.webhooks_enabled(),
        sync_interval_secs: state.settings.sync_interval.as_secs(),
        topics,
        last_delivery_at,
        deliveries_24h,
        rejected,
        last_rejected_at,
        last_repair_at,
    })
}
