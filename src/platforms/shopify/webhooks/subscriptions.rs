//! Keeping each store's subscriptions in place (through GraphQL's `webhookSubscriptions` and
//! `webhookSubscriptionCreate`), and removing them when the store is disconnected.

use serde::Deserialize;
use serde_json::json;

use super::{
    super::{
        client::{ShopifyClient, ShopifyError},
        graphql::Query,
        pacing::PaceEvent,
        queries,
        reader::gid_number,
        ShopDomain, TOPICS,
    },
    graphql_topic,
};
use crate::secrets::Secret;

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

/// What making sure of the subscriptions found: each one's id and topic, whether one storelink
/// had made was gone, and the first topic Shopify refused to subscribe to.
pub struct Found {
    pub subscriptions: Vec<(i64, String)>,
    pub repaired: bool,
    pub refused: Option<ShopifyError>,
}

/// Makes sure the store is subscribed to every topic at `address`: creates the missing
/// subscriptions (one Shopify says is taken counts as existing). `recorded` are the topics
/// storelink subscribed it to before: one of them gone is a repair.
pub async fn ensure(
    shopify: &ShopifyClient,
    domain: &ShopDomain,
    token: &Secret,
    address: &str,
    recorded: &[String],
    events: &mut (dyn FnMut(PaceEvent) + Send),
) -> Result<Found, ShopifyError> {
    let mut ours: Vec<(i64, String)> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let query = Query { text: queries::SUBSCRIPTIONS, variables: json!({"after": after}), cost: 12.0 };
        let listed: Listed = shopify.graphql(domain, token, &query, events).await?.read()?;
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
        let created: Created = shopify.graphql(domain, token, &query, events).await?.read()?;
        let Some(payload) = created.webhook_subscription_create else {
            return Err(bad("webhookSubscriptionCreate"));
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
            (None, None) => return Err(bad("webhookSubscription")),
        }
    }
    let repaired = recorded.iter().any(|topic| !ours.iter().any(|(_, o)| o == topic));
    if repaired {
        tracing::info!(shop = %domain, "recreated webhook subscriptions Shopify had dropped");
    }
    Ok(Found { subscriptions: found, repaired, refused })
}

/// Deletes one subscription storelink made; one Shopify no longer has (a userError) is as good
/// as removed.
pub async fn remove(shopify: &ShopifyClient, domain: &ShopDomain, token: &Secret, id: i64) -> Result<(), ShopifyError> {
    let query = Query {
        text: queries::UNSUBSCRIBE,
        variables: json!({"id": format!("gid://shopify/WebhookSubscription/{id}")}),
        cost: 10.0,
    };
    shopify.graphql(domain, token, &query, &mut |_| {}).await.map(drop)
}
