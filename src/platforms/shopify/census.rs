//! What the shop says awaits shipment, for the drift check: its open orders not yet fulfilled,
//! counted by `ordersCount` (exactly: no limit), listed 250 at a time, and fetched again through
//! the refresher, as webhooks' records are.

use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{reader::gid_number, Shopify};
use crate::{
    error::AppError,
    ids::StoreId,
    platforms::{Listed, StoreRef, Window},
};

/// Orders one listing gives at most.
pub(in crate::platforms) const PAGE: i64 = 250;

/// Open (not archived, not cancelled) and not fulfilled: storelink's records count the same
/// (an open order whose `displayFulfillmentStatus` is not `FULFILLED`).
const AWAITING: &str = "status:open AND (fulfillment_status:unshipped OR fulfillment_status:partial)";

const COUNT: &str =
    "query AwaitingCount($query: String!) { ordersCount(query: $query, limit: null) { count precision } }";

const LIST: &str = "query AwaitingOrders($query: String!, $after: String) {
  orders(first: 250, after: $after, query: $query, sortKey: ID) { nodes { id name } pageInfo { hasNextPage endCursor } }
}";

fn search(window: Window) -> String {
    let time = |secs: i64| OffsetDateTime::from_unix_timestamp(secs).ok().and_then(|t| t.format(&Rfc3339).ok());
    let (from, to) = (time(window.from.max(0)).unwrap_or_default(), time(window.to).unwrap_or_default());
    format!("{AWAITING} AND created_at:>='{from}' AND created_at:<'{to}'")
}

fn unreadable(err: super::client::ShopifyError) -> AppError {
    AppError::Upstream(format!("Shopify's answer could not be read: {err}"))
}

impl Shopify {
    pub(in crate::platforms) async fn awaiting_count(
        &self,
        store_id: StoreId,
        window: Window,
    ) -> Result<i64, AppError> {
        let answer = self.refresher.ask(store_id, COUNT, json!({ "query": search(window) }), 2.0).await?;
        let data: Value = answer.read().map_err(unreadable)?;
        data["ordersCount"]["count"]
            .as_i64()
            .ok_or_else(|| AppError::Upstream("Shopify did not count the orders".into()))
    }

    pub(in crate::platforms) async fn awaiting_orders(
        &self,
        store_id: StoreId,
        window: Window,
    ) -> Result<Vec<Listed>, AppError> {
        let mut listed = Vec::new();
        let mut after = Value::Null;
        loop {
            let variables = json!({ "query": search(window), "after": after });
            let answer = self.refresher.ask(store_id, LIST, variables, 30.0).await?;
            let data: Value = answer.read().map_err(unreadable)?;
            let orders = &data["orders"];
            for node in orders["nodes"].as_array().into_iter().flatten() {
                if let Some(id) = node["id"].as_str().and_then(gid_number) {
                    listed.push(Listed { id, name: node["name"].as_str().unwrap_or_default().to_owned() });
                }
            }
            if orders["pageInfo"]["hasNextPage"] != true {
                return Ok(listed);
            }
            after = orders["pageInfo"]["endCursor"].clone();
        }
    }

    /// Stores the orders as the shop has them now, gathered as webhooks' are: the ids it could
    /// not read.
    pub(in crate::platforms) async fn fetch_orders(
        &self,
        store: StoreRef<'_>,
        ids: &[i64],
    ) -> Result<Vec<i64>, AppError> {
        let refreshed = futures::future::join_all(
            ids.iter().map(|id| self.refresher.refresh(store.id, format!("gid://shopify/Order/{id}"))),
        )
        .await;
        Ok(ids
            .iter()
            .zip(refreshed)
            .filter_map(|(id, done)| match done {
                Ok(()) => None,
                Err(why) => {
                    tracing::warn!(store_id = %store.id, order = id, error = why, "could not read an order again");
                    Some(*id)
                }
            })
            .collect())
    }
}
