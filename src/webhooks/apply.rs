//! What each verified delivery does: a change is a notice for the refresher (`refresh`), which
//! fetches the record as it is now; a deletion, an uninstall and the compliance topics apply at
//! once, through the same repository functions the sync uses.

use serde::Deserialize;
use serde_json::Value;

use crate::{
    audit,
    db::{Conn, Pool},
    error::AppError,
    ids::StoreId,
    records, stores,
};

/// The customer a compliance request names.
#[derive(Deserialize)]
struct Customer {
    id: i64,
}

/// What `customers/redact` carries, as Shopify documents it: every field required, so a body
/// of another topic (an order, say, replayed under this topic: Shopify signs the body, not the
/// topic) is not taken for one.
#[derive(Deserialize)]
struct Redaction {
    #[allow(dead_code)]
    shop_id: i64,
    shop_domain: String,
    customer: Customer,
    orders_to_redact: Vec<i64>,
}

/// What `customers/data_request` carries, as Shopify documents it.
#[derive(Deserialize)]
struct DataRequest {
    #[allow(dead_code)]
    shop_id: i64,
    shop_domain: String,
    customer: Customer,
    orders_requested: Vec<i64>,
    data_request: RequestId,
}

#[derive(Deserialize)]
struct RequestId {
    id: i64,
}

/// What `shop/redact` carries.
#[derive(Deserialize)]
struct ShopRedaction {
    #[allow(dead_code)]
    shop_id: i64,
    shop_domain: String,
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
    /// `customers/redact`: applied (by [`redact`]) once Shopify no longer has the customer.
    Redact { customer: i64, orders: Vec<i64> },
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

/// Reads a delivery: what it asks for. A compliance topic's body must be the documented one for
/// this very store, or it asks for nothing.
pub async fn apply(pool: &Pool, store_id: StoreId, topic: &str, body: &[u8]) -> Result<Action, AppError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| AppError::invalid("body", "not JSON"))?;
    let domain = stores::repo::get(pool, store_id).await?.map(|store| store.shop_domain).unwrap_or_default();
    let for_this_store = |named: &str| !domain.is_empty() && domain.eq_ignore_ascii_case(named);
    match topic {
        "app/uninstalled" => Ok(Action::AppGone { erase: false }),
        "bulk_operations/finish" => Ok(Action::BulkFinished),
        "shop/redact" => match serde_json::from_value::<ShopRedaction>(value) {
            Ok(request) if for_this_store(&request.shop_domain) => Ok(Action::AppGone { erase: true }),
            _ => Ok(not_the_documented_body(store_id, topic)),
        },
        "customers/redact" => match serde_json::from_value::<Redaction>(value) {
            Ok(request) if for_this_store(&request.shop_domain) => {
                Ok(Action::Redact { customer: request.customer.id, orders: request.orders_to_redact })
            }
            _ => Ok(not_the_documented_body(store_id, topic)),
        },
        "customers/data_request" => match serde_json::from_value::<DataRequest>(value) {
            Ok(request) if for_this_store(&request.shop_domain) => {
                let mut tx = pool.begin().await?;
                record_data_request(&mut tx, store_id, &request).await?;
                tx.commit().await?;
                Ok(Action::Applied)
            }
            _ => Ok(not_the_documented_body(store_id, topic)),
        },
        _ => Ok(match changed_record(topic, &value) {
            Some(gid) => Action::Refresh(gid),
            None => {
                tracing::info!(%store_id, topic, "ignored a webhook topic storelink does not use");
                Action::Applied
            }
        }),
    }
}

/// A compliance delivery whose body is not that topic's (a body of another topic replayed under
/// it, or another shop's): it changes nothing.
fn not_the_documented_body(store_id: StoreId, topic: &str) -> Action {
    tracing::warn!(%store_id, topic, "ignored a delivery whose body is not the one Shopify documents for its topic");
    Action::Applied
}

/// Erases the customer and strips their personal data from their orders, the named ones among
/// them: called once Shopify no longer has the customer, so a real request's.
pub async fn redact(pool: &Pool, store_id: StoreId, customer: i64, orders: &[i64]) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    records::repo::redact_customer(&mut tx, store_id, customer, orders).await?;
    let counts = records::repo::counts(&mut tx, store_id).await?;
    stores::repo::set_counts(&mut tx, store_id, counts).await?;
    tx.commit().await?;
    Ok(())
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

/// `customers/data_request`: an audit entry, so an administrator sends the store owner the data;
/// once per request, however often its body arrives.
async fn record_data_request(conn: &mut Conn, store_id: StoreId, request: &DataRequest) -> Result<(), AppError> {
    let name = stores::repo::name(conn, store_id).await?.unwrap_or_default();
    let detail = format!(
        "Shopify asks (request {}) for the data held about customer {} (orders {:?}); send it to the store owner",
        request.data_request.id, request.customer.id, request.orders_requested
    );
    const ACTION: &str = "Customer data requested";
    if audit::repo::exists(conn, store_id, ACTION, &detail).await? {
        return Ok(());
    }
    audit::repo::record_for_shopify(conn, ACTION, Some((store_id, &name)), &detail).await
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
