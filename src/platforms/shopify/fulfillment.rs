//! Writing shipments back: `fulfillmentCreate`, `fulfillmentTrackingInfoUpdate`, and reading a
//! fulfillment order's fulfillments. Shopify takes no idempotency key for these mutations, so
//! they are never retried here: a send whose answer was lost may have been applied, and only the
//! caller, after looking, may send again. A THROTTLED answer was not applied and is waited out.

use serde::Deserialize;
use serde_json::json;

use super::{
    client::{ShopifyClient, ShopifyError},
    graphql::Query,
    ShopDomain,
};
use crate::secrets::Secret;

const CREATE: &str = "mutation Ship($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}";

const UPDATE_TRACKING: &str = "mutation Track($id: ID!, $tracking: FulfillmentTrackingInput!, $notify: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $tracking, notifyCustomer: $notify) {
    fulfillment { id status }
    userErrors { field message }
  }
}";

const FULFILLMENTS: &str = "query Shipped($id: ID!, $after: String) {
  fulfillmentOrder(id: $id) {
    fulfillments(first: 5, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id trackingInfo(first: 5) { number } fulfillmentLineItems(first: 20) { nodes { quantity lineItem { id } } } }
    }
  }
}";

/// What the mutations cost (Shopify's documented answer), and a first guess for the look.
const MUTATION_COST: f64 = 10.0;
const LOOK_COST: f64 = 330.0;

/// The carrier, number and link a parcel is tracked by.
pub struct Tracking<'a> {
    pub company: &'a str,
    pub number: &'a str,
    pub url: Option<&'a str>,
}

/// One fulfillment order's lines to fulfil: (fulfillment order line, quantity).
pub struct FulfillmentOrderLines {
    pub fulfillment_order_id: i64,
    pub lines: Vec<(i64, i64)>,
}

/// What a mutation came to.
#[derive(Debug, PartialEq)]
pub enum Written {
    /// Shopify has it: the fulfillment's id.
    Done(i64),
    /// Shopify refused it (its `userErrors` messages); nothing changed.
    Refused(Vec<String>),
}

/// A fulfillment Shopify has: its tracking numbers, and (line item, quantity) it fulfilled.
#[derive(Debug, PartialEq)]
pub struct Fulfillment {
    pub id: i64,
    pub numbers: Vec<String>,
    pub lines: Vec<(i64, i64)>,
}

fn gid(kind: &str, id: i64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

fn number_of(gid: &str) -> Option<i64> {
    gid.rsplit('/').next()?.parse().ok()
}

#[derive(Deserialize)]
struct Payload {
    fulfillment: Option<IdOnly>,
    #[serde(rename = "userErrors", default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
struct UserError {
    message: String,
}

fn written(payload: Option<Payload>) -> Result<Written, ShopifyError> {
    let payload = payload.ok_or_else(|| ShopifyError::BadResponse("the mutation answered nothing".into()))?;
    if !payload.user_errors.is_empty() {
        return Ok(Written::Refused(payload.user_errors.into_iter().map(|e| e.message).collect()));
    }
    let id = payload.fulfillment.and_then(|f| number_of(&f.id));
    id.map(Written::Done).ok_or_else(|| ShopifyError::BadResponse("the answer names no fulfillment".into()))
}

impl ShopifyClient {
    /// Fulfils the lines with the tracking, once: never retried here (see the module's notes).
    pub async fn create_fulfillment(
        &self,
        shop: &ShopDomain,
        token: &Secret,
        orders: &[FulfillmentOrderLines],
        tracking: &Tracking<'_>,
        notify_customer: bool,
    ) -> Result<Written, ShopifyError> {
        let by_order: Vec<_> = orders
            .iter()
            .map(|fo| {
                json!({
                    "fulfillmentOrderId": gid("FulfillmentOrder", fo.fulfillment_order_id),
                    "fulfillmentOrderLineItems": fo.lines.iter()
                        .map(|(id, quantity)| json!({"id": gid("FulfillmentOrderLineItem", *id), "quantity": quantity}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        let variables = json!({"fulfillment": {
            "lineItemsByFulfillmentOrder": by_order,
            "trackingInfo": {"company": tracking.company, "number": tracking.number, "url": tracking.url},
            "notifyCustomer": notify_customer,
        }});
        let answer =
            self.graphql_without_retry(shop, token, &Query { text: CREATE, variables, cost: MUTATION_COST }).await?;
        #[derive(Deserialize)]
        struct Data {
            #[serde(rename = "fulfillmentCreate")]
            payload: Option<Payload>,
        }
        written(answer.read::<Data>()?.payload)
    }

    /// Replaces a fulfillment's tracking, once.
    pub async fn update_tracking(
        &self,
        shop: &ShopDomain,
        token: &Secret,
        fulfillment_id: i64,
        tracking: &Tracking<'_>,
        notify_customer: bool,
    ) -> Result<Written, ShopifyError> {
        let variables = json!({
            "id": gid("Fulfillment", fulfillment_id),
            "tracking": {"company": tracking.company, "number": tracking.number, "url": tracking.url},
            "notify": notify_customer,
        });
        let answer = self
            .graphql_without_retry(shop, token, &Query { text: UPDATE_TRACKING, variables, cost: MUTATION_COST })
            .await?;
        #[derive(Deserialize)]
        struct Data {
            #[serde(rename = "fulfillmentTrackingInfoUpdate")]
            payload: Option<Payload>,
        }
        written(answer.read::<Data>()?.payload)
    }

    /// The fulfillments Shopify has for these fulfillment orders (each once), a page at a time.
    pub async fn fulfillments(
        &self,
        shop: &ShopDomain,
        token: &Secret,
        fulfillment_order_ids: &[i64],
    ) -> Result<Vec<Fulfillment>, ShopifyError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            fulfillment_order: Option<Fo>,
        }
        #[derive(Deserialize)]
        struct Fo {
            fulfillments: Page,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page {
            page_info: PageInfo,
            nodes: Vec<Found>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PageInfo {
            has_next_page: bool,
            end_cursor: Option<String>,
        }
        #[derive(Deserialize)]
        struct Nodes<T> {
            nodes: Vec<T>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Found {
            id: String,
            #[serde(default)]
            tracking_info: Vec<Number>,
            fulfillment_line_items: Option<Nodes<Item>>,
        }
        #[derive(Deserialize)]
        struct Number {
            number: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Item {
            quantity: i64,
            line_item: Option<IdOnly>,
        }
        let mut found: Vec<Fulfillment> = Vec::new();
        for id in fulfillment_order_ids {
            let mut after: Option<String> = None;
            loop {
                let variables = json!({"id": gid("FulfillmentOrder", *id), "after": after});
                let query = Query { text: FULFILLMENTS, variables, cost: LOOK_COST };
                let answer = self.graphql(shop, token, &query, &mut |_| {}).await?;
                let Some(fo) = answer.read::<Data>()?.fulfillment_order else { break };
                for f in fo.fulfillments.nodes {
                    let Some(id) = number_of(&f.id) else { continue };
                    if found.iter().any(|seen| seen.id == id) {
                        continue;
                    }
                    let lines = f
                        .fulfillment_line_items
                        .map(|c| c.nodes)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|item| Some((number_of(&item.line_item?.id)?, item.quantity)))
                        .collect();
                    let numbers = f.tracking_info.into_iter().filter_map(|t| t.number).collect();
                    found.push(Fulfillment { id, numbers, lines });
                }
                match fo.fulfillments.page_info {
                    PageInfo { has_next_page: true, end_cursor: Some(cursor) } => after = Some(cursor),
                    _ => break,
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_a_fulfillment_or_shopifys_refusal() {
        let ok: Payload = serde_json::from_str(
            r#"{"fulfillment":{"id":"gid://shopify/Fulfillment/6607838708015","status":"SUCCESS"},"userErrors":[]}"#,
        )
        .unwrap();
        assert_eq!(written(Some(ok)).unwrap(), Written::Done(6607838708015));
        let refused: Payload = serde_json::from_str(
            r#"{"fulfillment":null,"userErrors":[{"field":["fulfillment"],"message":"The api_client does not have access to the fulfillment order."}]}"#,
        )
        .unwrap();
        assert_eq!(
            written(Some(refused)).unwrap(),
            Written::Refused(vec!["The api_client does not have access to the fulfillment order.".into()])
        );
        assert!(matches!(written(None), Err(ShopifyError::BadResponse(_))));
    }
}
