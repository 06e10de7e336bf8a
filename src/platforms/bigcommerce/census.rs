//! What the store says awaits shipment, for the drift check: its orders Awaiting Fulfillment,
//! Awaiting Shipment or Partially Shipped, counted from `/v2/orders/count` (one request gives
//! every status), listed by status, and fetched again one by one.

use serde_json::Value;

use super::{client::BcError, sync::bc_date, BigCommerce};
use crate::{
    error::AppError,
    ids::StoreId,
    platforms::{Listed, StoreRef, Window},
    records,
};

/// Orders one listing gives at most.
pub(in crate::platforms) const PAGE: i64 = 250;

/// Awaiting Fulfillment, Awaiting Shipment, Partially Shipped: the statuses whose orders ship.
const AWAITING: [i64; 3] = [11, 9, 3];

fn upstream(err: BcError) -> AppError {
    AppError::Upstream(format!("BigCommerce could not be read: {err}"))
}

/// The listing's bounds: like the sync, taken as leaving out their own second.
fn bounds(window: Window) -> [(&'static str, String); 2] {
    [("min_date_created", bc_date(window.from - 1)), ("max_date_created", bc_date(window.to))]
}

impl BigCommerce {
    async fn census_connection(
        &self,
        store_id: StoreId,
    ) -> Result<(super::StoreHash, crate::secrets::Secret), AppError> {
        self.connection(store_id).await?.ok_or_else(|| AppError::Upstream("the store is not connected".into()))
    }

    pub(in crate::platforms) async fn awaiting_count(
        &self,
        store_id: StoreId,
        window: Window,
    ) -> Result<i64, AppError> {
        let (hash, token) = self.census_connection(store_id).await?;
        let query = bounds(window);
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = self.client.get(&hash, &token, "/v2/orders/count", &query).await.map_err(upstream)?;
        let counts: Value = answer.json().map_err(upstream)?;
        let statuses = counts["statuses"].as_array().cloned().unwrap_or_default();
        Ok(statuses
            .iter()
            .filter(|s| s["id"].as_i64().is_some_and(|id| AWAITING.contains(&id)))
            .filter_map(|s| s["count"].as_i64())
            .sum())
    }

    pub(in crate::platforms) async fn awaiting_orders(
        &self,
        store_id: StoreId,
        window: Window,
    ) -> Result<Vec<Listed>, AppError> {
        let (hash, token) = self.census_connection(store_id).await?;
        let mut listed = Vec::new();
        for status in AWAITING {
            for page in 1.. {
                let (status, page_text, limit) = (status.to_string(), page.to_string(), PAGE.to_string());
                let mut query: Vec<(&str, &str)> =
                    vec![("status_id", &status), ("page", &page_text), ("limit", &limit), ("sort", "id:asc")];
                let window = bounds(window);
                query.extend(window.iter().map(|(k, v)| (*k, v.as_str())));
                let answer = self.client.get(&hash, &token, "/v2/orders", &query).await.map_err(upstream)?;
                if answer.is_empty() {
                    break;
                }
                let orders: Vec<Value> = answer.json().map_err(upstream)?;
                let full = orders.len() as i64 == PAGE;
                listed.extend(
                    orders.iter().filter_map(|o| o["id"].as_i64()).map(|id| Listed { id, name: format!("#{id}") }),
                );
                if !full {
                    break;
                }
            }
        }
        Ok(listed)
    }

    /// Stores the orders as BigCommerce has them now, one by one: the ids it could not read.
    pub(in crate::platforms) async fn fetch_orders(
        &self,
        store: StoreRef<'_>,
        ids: &[i64],
    ) -> Result<Vec<i64>, AppError> {
        let (hash, token) = self.census_connection(store.id).await?;
        let mut batch = records::model::Batch::default();
        let mut gone = Vec::new();
        let mut unread = Vec::new();
        for id in ids {
            match self.order_now(&hash, &token, *id).await {
                Ok((found, lost)) => {
                    if let Some(found) = found {
                        batch.records.extend(found.records);
                        batch.refused.extend(found.refused);
                    }
                    gone.extend(lost);
                }
                Err(err) => {
                    tracing::warn!(store_id = %store.id, order = id, error = %err, "could not read an order again");
                    unread.push(*id);
                }
            }
        }
        unread.extend(batch.refused.iter().filter_map(|r| r.id));
        records::apply(&self.pool, store.id, batch, gone).await?;
        Ok(unread)
    }
}
