//! Batches of shipments at the queue: the orders chosen there (or every one a filter finds, up
//! to 1,000) a line each, every line checked before anything is recorded, then each recorded
//! once, and the shipments' sending followed. Every signed-in user works the desk.

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl};

use crate::{error::AppError, queue::BatchRow, shipments::Shipment};
#[cfg(feature = "ssr")]
use crate::{ids::StoreId, queue::MAX_BATCH};

/// What the batch page starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchStart {
    /// A line for each order, its carrier and tracking number left to fill in.
    pub lines: String,
    /// The orders, as `store:order` pairs joined by commas: a name two stores share is theirs.
    pub selected: String,
    /// How many orders; more than the batch takes were left out when `capped`.
    pub orders: usize,
    pub capped: bool,
}

/// The orders chosen in the queue (`orders`, `store:order` pairs joined by commas), or those the
/// queue's `filters` (its address's query) find, oldest first, up to a batch's worth.
#[server(prefix = "/api", endpoint = "batch/start", input = GetUrl)]
pub async fn start_batch(orders: Option<String>, filters: Option<String>) -> Result<BatchStart, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let pool = caller.pool();
        let mut chosen: Vec<(StoreId, i64, String)> = Vec::new();
        let mut capped = false;
        match (orders.as_deref().filter(|o| !o.trim().is_empty()), filters) {
            (Some(orders), _) => {
                // Orders of the caller's organization's stores only.
                let ours: Vec<StoreId> = caller.stores().await?.iter().map(|s| s.id).collect();
                for (store, order) in pairs(orders).into_iter().filter(|(s, _)| ours.contains(s)).take(MAX_BATCH + 1) {
                    if let Some(name) = crate::records::repo::order_name(pool, store, order).await? {
                        chosen.push((store, order, name));
                    }
                }
            }
            (None, Some(filters)) => {
                let stores = super::queue::connected(&caller).await?;
                let (shown, mut query) =
                    super::queue::Filters::parse(&filters).scope(&stores, &caller.access.narrowed())?;
                loop {
                    let page = crate::records::repo::awaiting_page(pool, &shown, &query, (0, 0)).await?;
                    for row in page.rows {
                        if !chosen.iter().any(|(s, o, _)| *s == row.store_id && *o == row.order_id) {
                            chosen.push((row.store_id, row.order_id, row.name));
                        }
                    }
                    match page.next {
                        Some(next) if chosen.len() <= MAX_BATCH => query.after = Some(next),
                        _ => break,
                    }
                }
            }
            (None, None) => {}
        }
        if chosen.len() > MAX_BATCH {
            chosen.truncate(MAX_BATCH);
            capped = true;
        }
        Ok(BatchStart {
            lines: chosen.iter().map(|(_, _, name)| format!("{name},,\n")).collect(),
            selected: chosen.iter().map(|(s, o, _)| format!("{}:{o}", s.0)).collect::<Vec<_>>().join(","),
            orders: chosen.len(),
            capped,
        })
    })
    .await
}

/// Every line checked; nothing recorded.
#[server(prefix = "/api", endpoint = "batch/check", input = PostUrl)]
pub async fn check_batch(
    shipments: String,
    selected: Option<String>,
    notify: Option<String>,
) -> Result<Vec<BatchRow>, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let selected = pairs(selected.as_deref().unwrap_or_default());
        let rows = crate::queue::batch::check(
            caller.pool(),
            caller.stores().await?,
            &shipments,
            &selected,
            notify.is_some(),
            &caller.access.narrowed(),
        )
        .await?;
        Ok(rows.into_iter().map(|(row, _)| row).collect())
    })
    .await
}

/// Every line recorded once, each that passes its checks (a line sent again finds what it
/// recorded before); refused, recording nothing, when no line can be.
#[server(prefix = "/api", endpoint = "batch/record", input = PostUrl)]
pub async fn record_batch(
    shipments: String,
    selected: Option<String>,
    notify: Option<String>,
) -> Result<Vec<BatchRow>, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let pool = caller.pool();
        let selected = pairs(selected.as_deref().unwrap_or_default());
        let by = caller.recorder();
        let rows =
            crate::queue::batch::record(pool, caller.stores().await?, &shipments, &selected, notify.is_some(), &by)
                .await?;
        if rows.iter().all(|r| r.shipment.is_none()) {
            let first = rows.first().map(|r| (r.line, r.problem.clone().unwrap_or_default())).unwrap_or_default();
            return Err(AppError::invalid(
                "shipments",
                format!("No line can be recorded. Line {}: {}", first.0, first.1),
            ));
        }
        if rows.iter().any(|r| r.created) {
            caller.state.shipments.wake();
        }
        let mut touched: Vec<StoreId> = rows.iter().filter(|r| r.created).filter_map(|r| r.store_id).collect();
        touched.dedup();
        for store in touched {
            caller.state.hub.store_changed(caller.org(), store);
        }
        Ok(rows)
    })
    .await
}

/// The shipments a batch recorded (`ids` joined by commas), as they are now.
#[server(prefix = "/api", endpoint = "batch/shipments", input = GetUrl)]
pub async fn batch_shipments(ids: String) -> Result<Vec<Shipment>, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let mut found = Vec::new();
        for id in ids.split(',').filter_map(|id| id.trim().parse::<i64>().ok()).take(MAX_BATCH) {
            let id = crate::ids::ShipmentId(id);
            if let Some(shipment) = crate::shipments::repo::find(caller.pool(), caller.org(), id).await? {
                if caller.access.sees_at(shipment.store_id, shipment.location_id) {
                    found.push(shipment);
                }
            }
        }
        Ok(found)
    })
    .await
}

/// `3:1001,3:1002` as pairs; what does not read is left out.
#[cfg(feature = "ssr")]
fn pairs(text: &str) -> Vec<(StoreId, i64)> {
    text.split(',')
        .filter_map(|pair| {
            let (store, order) = pair.trim().split_once(':')?;
            Some((StoreId(store.parse().ok()?), order.parse().ok()?))
        })
        .collect()
}
