//! What each verified delivery does: a change is a notice for the refresher (`refresh`), which
//! fetches the record as it is now; a deletion, an uninstall and the compliance topics apply at
//! once, through the same repository functions the sync uses.

use serde::Deserialize;
use serde_json::{value::RawValue, Value};

use crate::{
    audit,
    db::{Conn, Pool},
    error::AppError,
    ids::StoreId,
    records, stores,
};

#[derive(Deserialize)]
struct Id {
    id: Option<i64>,
}

/// What `customers/redact` and `customers/data_request` name.
#[derive(Deserialize)]
struct Redaction {
    customer: Option<Id>,
    #[serde(default)]
    orders_to_redact: Vec<i64>,
}

/// What a delivery asks for.
pub enum Action {
    /// Fetch the record with this gid as it is now (a deletion too: Shopify answers null).
    Refresh(String),
    /// Shopify finished one of the store's bulk operations.
    BulkFinished,
    /// `app/uninstalled` or `shop/redact`: Shopify signs only the body, so a captured one could
    /// be replayed; these are applied (by [`apply_gone`]) once Shopify refuses the app.
    AppGone { erase: bool },
    /// Applied already (or nothing to do).
    Applied,
}

/// The gid of the record a change delivery is about, from its REST-shaped body.
fn changed_record(topic: &str, body: &Value) -> Option<String> {
    let typename = match topic.split('/').next()? {
        "orders" => "Order",
        "products" => "Product",
        "customers" => "Customer",
        "fulfillment_orders" => "FulfillmentOrder",
        "inventory_levels" => "InventoryItem",
        _ => return None,
    };
    let record = match typename {
        // Fulfillment order topics carry the fulfillment order under a key of its own.
        "FulfillmentOrder" => {
            body.as_object()?.values().find(|v| v.get("id").is_some() && v.get("status").is_some()).unwrap_or(body)
        }
        _ => body,
    };
    let gid = |id: &Value| id.as_i64().map(|id| format!("gid://shopify/{typename}/{id}"));
    match typename {
        "InventoryItem" => gid(&body["inventory_item_id"]),
        _ => record["admin_graphql_api_id"]
            .as_str()
            .filter(|g| g.starts_with(&format!("gid://shopify/{typename}/")))
            .map(str::to_owned)
            .or_else(|| gid(&record["id"])),
    }
}

pub async fn apply(pool: &Pool, store_id: StoreId, topic: &str, body: &[u8]) -> Result<Action, AppError> {
    let raw: &RawValue = serde_json::from_slice(body).map_err(|_| AppError::invalid("body", "not JSON"))?;
    match topic {
        "app/uninstalled" => return Ok(Action::AppGone { erase: false }),
        "shop/redact" => return Ok(Action::AppGone { erase: true }),
        "bulk_operations/finish" => return Ok(Action::BulkFinished),
        "customers/redact" | "customers/data_request" => {}
        _ => {
            let value: Value = serde_json::from_str(raw.get()).map_err(|_| AppError::invalid("body", "not JSON"))?;
            return Ok(match changed_record(topic, &value) {
                Some(gid) => Action::Refresh(gid),
                None => {
                    tracing::info!(%store_id, topic, "ignored a webhook topic storelink does not use");
                    Action::Applied
                }
            });
        }
    }
    let mut tx = pool.begin().await?;
    if topic == "customers/data_request" {
        record_data_request(&mut tx, store_id, raw).await?;
        tx.commit().await?;
        return Ok(Action::Applied);
    }
    let request: Redaction = serde_json::from_str(raw.get()).map_err(|_| AppError::invalid("customer", "missing"))?;
    let customer = request.customer.and_then(|c| c.id);
    records::repo::redact_customer(&mut tx, store_id, customer, &request.orders_to_redact).await?;
    let counts = records::repo::counts(&mut tx, store_id).await?;
    stores::repo::set_counts(&mut tx, store_id, counts).await?;
    tx.commit().await?;
    Ok(Action::Applied)
}

/// The app is gone from the store, as Shopify has confirmed: its credentials go (and with
/// `erase`, for `shop/redact`, everything synced from it).
pub async fn apply_gone(pool: &Pool, store_id: StoreId, erase: bool) -> Result<(), AppError> {
    stores::disconnect::uninstalled(pool, store_id).await?;
    if erase {
        let mut tx = pool.begin().await?;
        records::repo::erase(&mut tx, store_id).await?;
        let counts = records::repo::counts(&mut tx, store_id).await?;
        stores::repo::set_counts(&mut tx, store_id, counts).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// `customers/data_request`: an audit entry, so an administrator sends the store owner the data.
async fn record_data_request(conn: &mut Conn, store_id: StoreId, raw: &RawValue) -> Result<(), AppError> {
    let request: Redaction = serde_json::from_str(raw.get()).map_err(|_| AppError::invalid("customer", "missing"))?;
    let customer = request.customer.and_then(|c| c.id).unwrap_or_default();
    let name = stores::repo::name(conn, store_id).await?.unwrap_or_default();
    let detail = format!(
        "Shopify asks for the data held about customer {customer} (orders {:?}); send it to the store owner",
        request.orders_to_redact
    );
    audit::repo::record_for_shopify(conn, "Customer data requested", Some((store_id, &name)), &detail).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::changed_record;

    #[test]
    fn a_change_delivery_names_its_record_by_gid() {
        let order = json!({"id": 5, "admin_graphql_api_id": "gid://shopify/Order/5", "name": "#1"});
        assert_eq!(changed_record("orders/updated", &order).as_deref(), Some("gid://shopify/Order/5"));
        assert_eq!(changed_record("products/update", &json!({"id": 7})).as_deref(), Some("gid://shopify/Product/7"));
        let held = json!({"fulfillment_order": {"id": 9, "status": "on_hold"}});
        assert_eq!(
            changed_record("fulfillment_orders/placed_on_hold", &held).as_deref(),
            Some("gid://shopify/FulfillmentOrder/9")
        );
        let level = json!({"inventory_item_id": 3, "location_id": 4, "available": 1});
        assert_eq!(changed_record("inventory_levels/update", &level).as_deref(), Some("gid://shopify/InventoryItem/3"));
        assert_eq!(changed_record("carts/create", &json!({"id": 1})), None);
    }
}
