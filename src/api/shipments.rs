//! Shipments recorded on the store page (administrators and standard users alike: it is the
//! desk's daily work), their states, and what to do with a failed one.

// The Mark shipped form's fields are the server function's arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl};

use crate::{
    error::AppError,
    ids::{ShipmentId, StoreId},
    shipments::Shipment,
};

/// A line of the Mark shipped form: an order's line item and how many of it leave now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormLine {
    pub id: i64,
    pub quantity: i64,
}

/// A shipment with its order's name, as the store page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentRow {
    pub shipment: Shipment,
    pub order_name: String,
}

/// The shipments with their orders' names ("Order 123" for an order storelink no longer holds).
#[cfg(feature = "ssr")]
pub(crate) async fn with_order_names(
    pool: &crate::db::Pool,
    store_id: StoreId,
    shipments: Vec<Shipment>,
) -> Result<Vec<ShipmentRow>, AppError> {
    let ids: Vec<i64> = shipments.iter().map(|s| s.order_id).collect();
    let names = crate::records::repo::order_names(pool, store_id, &ids).await?;
    Ok(shipments
        .into_iter()
        .map(|shipment| ShipmentRow {
            order_name: names
                .get(&shipment.order_id)
                .cloned()
                .unwrap_or_else(|| format!("Order {}", shipment.order_id)),
            shipment,
        })
        .collect())
}

/// The store's shipments: the failed ones (to retry or dismiss), and the latest of all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentsTab {
    pub failed: Vec<ShipmentRow>,
    pub recent: Vec<ShipmentRow>,
}

/// How many of the latest shipments the store page shows.
pub const RECENT: i64 = 50;

/// What the Mark shipped form needs: the fulfillment order as it awaits shipping, and a fresh
/// idempotency key for this form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipFormData {
    pub row: crate::records::AwaitingRow,
    pub key: String,
}

#[server(prefix = "/api", endpoint = "shipments/form", input = GetUrl)]
pub async fn ship_form(store_id: StoreId, fulfillment_order_id: i64) -> Result<ShipFormData, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store = caller.store(store_id).await?;
        if let Some(why) = store.refuses_shipments() {
            return Err(AppError::Conflict(why));
        }
        let query = crate::records::AwaitingQuery {
            fulfillment_order: Some(fulfillment_order_id),
            sight: caller.access.narrowed(),
            ..Default::default()
        };
        let awaiting = crate::records::repo::awaiting(caller.pool(), &[store_id], &query).await?;
        let row = awaiting.rows.into_iter().next().ok_or_else(|| {
            AppError::NotFound("Nothing remains to ship there: it was shipped, cancelled or moved.".into())
        })?;
        Ok(ShipFormData { row, key: format!("{:032x}", rand::random::<u128>()) })
    })
    .await
}

/// "Mark shipped" under one fulfillment order: the carrier (one of the list, or "Other" and its
/// name), the tracking, and how many of each item leave now (0 keeps an item back). `key` is
/// rendered into the form, so a form sent twice records one shipment.
#[server(prefix = "/api", endpoint = "shipments/record", input = PostUrl)]
pub async fn record_shipment(
    store_id: StoreId,
    order_id: i64,
    fulfillment_order_id: i64,
    carrier: String,
    carrier_other: Option<String>,
    tracking_number: String,
    tracking_url: Option<String>,
    notify_customer: Option<String>,
    lines: Option<Vec<FormLine>>,
    key: Option<String>,
    back: Option<String>,
) -> Result<Shipment, AppError> {
    super::respond(async {
        use crate::shipments::{self, RecordError, RequestedLine, ShipmentRequest};
        let caller = super::require_user().await?;
        let store = caller.store(store_id).await?;
        let other = carrier == "Other";
        let carrier = if other { carrier_other.unwrap_or_default() } else { carrier };
        let line_items = match lines {
            None => None,
            Some(lines) => {
                let wanted: Vec<RequestedLine> = lines
                    .into_iter()
                    .filter(|l| l.quantity != 0)
                    .map(|l| RequestedLine { id: l.id, quantity: l.quantity })
                    .collect();
                if wanted.is_empty() {
                    return Err(AppError::invalid("line_items", "Ship at least one item: every quantity is 0."));
                }
                Some(wanted)
            }
        };
        let request = ShipmentRequest {
            order_id,
            fulfillment_order_id: Some(fulfillment_order_id),
            carrier,
            tracking_number,
            tracking_url,
            line_items,
            notify_customer: notify_customer.is_some(),
        };
        let by = caller.recorder();
        let key = key.filter(|k| !k.is_empty() && k.len() <= 255);
        match shipments::record(caller.pool(), &store, &request, &by, key.as_deref()).await {
            Ok(recorded) => {
                if recorded.created {
                    caller.state.shipments.wake();
                    caller.state.hub.store_changed(caller.org(), store_id);
                }
                // Back to the orders as they were (search and filters kept), where a line at
                // the top says what was recorded and how its sending goes.
                let (page, kept) = back.as_deref().map(way_back).unwrap_or_else(|| ("", String::new()));
                let here = if page.is_empty() { format!("/stores/{store_id}") } else { page.to_owned() };
                leptos_axum::redirect(&format!(
                    "{here}?{kept}shipped={}&shipped_store={store_id}",
                    recorded.shipment.id
                ));
                Ok(recorded.shipment)
            }
            Err(RecordError::Invalid(errors)) => {
                // Every error at once, each beside its field: the lines' quantities are one
                // field, the carrier's name is Other's own, the rest is the form's.
                let fields = errors
                    .into_iter()
                    .map(|e| {
                        let field = match e.field.as_str() {
                            "carrier" if other => "carrier_other",
                            "carrier" | "tracking_number" | "tracking_url" => e.field.as_str(),
                            f if f.starts_with("line_items") => "line_items",
                            _ => "form",
                        };
                        let message = match (field, e.message.as_str()) {
                            ("carrier_other", shipments::NO_CARRIER) => {
                                "Enter the carrier's name: you chose Other.".to_owned()
                            }
                            _ => e.message,
                        };
                        (field.to_owned(), message)
                    })
                    .collect();
                Err(AppError::fields_wrong(fields))
            }
            Err(RecordError::KeyReused) => {
                Err(AppError::Conflict("This form was sent before with other values. Reload the page.".into()))
            }
            Err(RecordError::NotConnected(why)) => Err(AppError::Conflict(why)),
            Err(RecordError::App(err)) => Err(err),
        }
    })
    .await
}

#[server(prefix = "/api", endpoint = "shipments/list", input = GetUrl)]
pub async fn store_shipments(store_id: StoreId) -> Result<ShipmentsTab, AppError> {
    super::respond(async {
        use crate::shipments::{repo, ShipmentState};
        let caller = super::require_user().await?;
        let pool = caller.pool();
        let store_id = caller.store(store_id).await?.id;
        let mut failed = repo::of_store(pool, store_id, &[ShipmentState::Failed], 1000).await?;
        let mut recent = repo::of_store(pool, store_id, &[], RECENT).await?;
        for list in [&mut failed, &mut recent] {
            list.retain(|s| caller.access.sees_at(store_id, s.location_id));
        }
        Ok(ShipmentsTab {
            failed: with_order_names(pool, store_id, failed).await?,
            recent: with_order_names(pool, store_id, recent).await?,
        })
    })
    .await
}

/// Where Mark shipped returns to, out of the query string it was opened with: the queue
/// (`queue=1`, with its filters) or else the store's orders tab (`""`, with its search and
/// filters), and the page's cursor; anything else is dropped.
#[cfg(feature = "ssr")]
fn way_back(query: &str) -> (&'static str, String) {
    const TAB: [&str; 5] = ["q", "location", "from", "to", "after"];
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(query.trim_start_matches('?').as_bytes()).into_owned().collect();
    let queue = pairs.iter().any(|(name, value)| name == "queue" && value == "1");
    let (page, kept): (&str, Vec<&str>) = match queue {
        true => ("/orders", super::queue::FILTERS.iter().copied().chain(["after"]).collect()),
        false => ("", TAB.to_vec()),
    };
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in &pairs {
        if kept.contains(&name.as_str()) && !value.is_empty() {
            out.append_pair(name, value);
        }
    }
    let kept = out.finish();
    (page, if kept.is_empty() { kept } else { format!("{kept}&") })
}

/// One shipment of the store, for the page that corrects its tracking.
#[server(prefix = "/api", endpoint = "shipments/get", input = GetUrl)]
pub async fn get_shipment(store_id: StoreId, shipment_id: ShipmentId) -> Result<ShipmentRow, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let shipment = of_store(&caller, store_id, shipment_id).await?;
        let mut rows = with_order_names(caller.pool(), store_id, vec![shipment]).await?;
        rows.pop().ok_or(AppError::Internal)
    })
    .await
}

/// The shipment `shipment_id`, if it is the store's.
#[cfg(feature = "ssr")]
async fn of_store(caller: &super::Caller, store_id: StoreId, shipment_id: ShipmentId) -> Result<Shipment, AppError> {
    crate::shipments::repo::find(caller.pool(), caller.org(), shipment_id)
        .await?
        .filter(|shipment| shipment.store_id == store_id && caller.access.sees_at(store_id, shipment.location_id))
        .ok_or_else(|| AppError::NotFound("That shipment does not exist.".into()))
}

/// A corrected tracking number or link for a recorded shipment: stored, and sent to Shopify
/// once the shipment is there (the API's PATCH does the same, through the same function).
#[server(prefix = "/api", endpoint = "shipments/correct", input = PostUrl)]
pub async fn correct_tracking(
    store_id: StoreId,
    shipment_id: ShipmentId,
    tracking_number: String,
    tracking_url: Option<String>,
) -> Result<(), AppError> {
    super::respond(async {
        use crate::shipments::{self, CorrectError, TrackingChange};
        let caller = super::require_user().await?;
        of_store(&caller, store_id, shipment_id).await?;
        let change = TrackingChange {
            tracking_number: Some(tracking_number),
            tracking_url: Some(tracking_url.filter(|url| !url.trim().is_empty())),
        };
        match shipments::correct_tracking(caller.pool(), shipment_id, &change).await {
            Ok(_) => {
                caller.state.shipments.wake();
                caller.state.hub.store_changed(caller.org(), store_id);
                leptos_axum::redirect(&format!("/stores/{store_id}/shipments"));
                Ok(())
            }
            Err(CorrectError::Invalid(errors)) => {
                let first = errors.into_iter().next().ok_or(AppError::Internal)?;
                Err(AppError::Invalid { field: first.field, message: first.message })
            }
            Err(CorrectError::NotFound) => Err(AppError::NotFound("That shipment does not exist.".into())),
            Err(CorrectError::Dismissed) => {
                Err(AppError::Conflict("This shipment was dismissed; record a new one.".into()))
            }
            Err(CorrectError::App(err)) => Err(err),
        }
    })
    .await
}

/// Sends a failed shipment again (after its cause was cured in Shopify).
#[server(prefix = "/api", endpoint = "shipments/retry", input = PostUrl)]
pub async fn retry_shipment(store_id: StoreId, shipment_id: ShipmentId) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store_id = caller.store(store_id).await?.id;
        if !crate::shipments::repo::retry(caller.pool(), store_id, shipment_id).await? {
            return Err(AppError::Conflict("That shipment is not failed (any more). Reload the page.".into()));
        }
        caller.state.shipments.wake();
        caller.state.hub.store_changed(caller.org(), store_id);
        Ok(())
    })
    .await
}

/// Leaves a failed shipment as it is: it is no longer counted as failed.
#[server(prefix = "/api", endpoint = "shipments/dismiss", input = PostUrl)]
pub async fn dismiss_shipment(store_id: StoreId, shipment_id: ShipmentId) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store_id = caller.store(store_id).await?.id;
        if !crate::shipments::repo::dismiss(caller.pool(), store_id, shipment_id).await? {
            return Err(AppError::Conflict("That shipment is not failed (any more). Reload the page.".into()));
        }
        caller.state.hub.store_changed(caller.org(), store_id);
        Ok(())
    })
    .await
}
