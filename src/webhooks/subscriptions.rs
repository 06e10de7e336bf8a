//! Keeping each store's subscriptions in place (through GraphQL's `webhookSubscriptions` and
//! `webhookSubscriptionCreate`), and the health figures its page shows.

use serde::Deserialize;
use serde_json::json;

use super::{graphql_topic, repo, WebhookHealth, TOPICS};
use crate::{
    db::{self, Pool},
    error::AppError,
    ids::StoreId,
    records::fields::gid_number,
    secrets::Secret,
    shopify::{
        client::{ShopifyClient, ShopifyError},
        graphql::Query,
        pacing::PaceEvent,
        queries, ShopDomain,
    },
    stores,
};

/// The store whose subscriptions are kept, and how to reach its shop.
pub struct ShopAccess<'a> {
    pub store_id: StoreId,
    pub domain: &'a ShopDomain,
    pub token: &'a Secret,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    webhook_subscriptions: Subscriptions,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Subscriptions {
    page_info: PageInfo,
    nodes: Vec<Subscription>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Subscription {
    id: String,
    topic: String,
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    webhook_subscription_create: Option<CreatePayload>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatePayload {
    webhook_subscription: Option<Subscription>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
struct UserError {
    message: String,
}

fn bad(what: &str) -> ShopifyError {
    ShopifyError::BadResponse(format!("the answer has no {what}"))
}

/// Makes sure the store is subscribed to every topic at `address`: creates the missing
/// subscriptions (one Shopify says is taken counts as existing) and records their ids. When a
/// subscription storelink had recorded is gone, the store's last repair is noted. The outer error
/// is storelink's own; the inner one is Shopify's answer.
pub async fn ensure(
    pool: &Pool,
    shopify: &ShopifyClient,
    shop: ShopAccess<'_>,
    address: &str,
    events: &mut (dyn FnMut(PaceEvent) + Send),
) -> Result<Result<(), ShopifyError>, AppError> {
    let ShopAccess { store_id, domain, token } = shop;
    let mut ours: Vec<(i64, String)> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let query = Query { text: queries::SUBSCRIPTIONS, variables: json!({"after": after}), cost: 12.0 };
        let listed: Listed = match shopify.graphql(domain, token, &query, events).await.and_then(|a| a.read()) {
            Ok(listed) => listed,
            Err(err) => return Ok(Err(err)),
        };
        for subscription in listed.webhook_subscriptions.nodes {
            let topic = TOPICS.iter().find(|t| graphql_topic(t) == subscription.topic);
            if let (Some(topic), Some(id), true) =
                (topic, gid_number(&subscription.id), subscription.uri.as_deref() == Some(address))
            {
                ours.push((id, (*topic).to_owned()));
            }
        }
        match (listed.webhook_subscriptions.page_info.has_next_page, listed.webhook_subscriptions.page_info.end_cursor)
        {
            (true, Some(cursor)) => after = Some(cursor),
            _ => break,
        }
    }
    let recorded = stores::repo::webhook_topics(pool, store_id).await?;
    let mut found = ours.clone();
    // A topic Shopify refuses (one whose scope the app lacks) does not keep the others from
    // being made; the first refusal is reported once they are.
    let mut refused = None;
    for topic in TOPICS.iter().filter(|t| !ours.iter().any(|(_, o)| o == *t)) {
        let query = Query {
            text: queries::SUBSCRIBE,
            variables: json!({"topic": graphql_topic(topic), "uri": address}),
            cost: 10.0,
        };
        let created: Created = match shopify.graphql(domain, token, &query, events).await.and_then(|a| a.read()) {
            Ok(created) => created,
            Err(err) => return Ok(Err(err)),
        };
        let Some(payload) = created.webhook_subscription_create else {
            return Ok(Err(bad("webhookSubscriptionCreate")));
        };
        match (payload.webhook_subscription, payload.user_errors.first()) {
            (Some(subscription), _) => {
                if let Some(id) = gid_number(&subscription.id) {
                    found.push((id, (*topic).to_owned()));
                }
            }
            // Made meanwhile (or by an earlier attempt whose answer was lost): found next time.
            (None, Some(error)) if error.message.contains("taken") => {}
            (None, Some(error)) => {
                refused.get_or_insert_with(|| ShopifyError::Unprocessable(format!("{topic}: {}", error.message)));
            }
            (None, None) => return Ok(Err(bad("webhookSubscription"))),
        }
    }
    let repaired = recorded.iter().any(|topic| !ours.iter().any(|(_, o)| o == topic));
    stores::repo::replace_webhooks(pool, store_id, &found, repaired).await?;
    if repaired {
        tracing::info!(shop = %domain, %store_id, "recreated webhook subscriptions Shopify had dropped");
    }
    Ok(refused.map_or(Ok(()), Err))
}

/// The store page's webhook figures; `enabled` and `sync_interval_secs` are the server's.
/// Whether the store's Shared Secret looks wrong: a signed delivery was refused and none has
/// verified since (none ever did, or the secret was rotated in Shopify). Deliveries are checked
/// only when they come, so registration cannot tell.
pub async fn secret_looks_wrong(pool: &Pool, store_id: StoreId) -> Result<bool, AppError> {
    stores::repo::secret_unverified(pool, store_id).await
}

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
