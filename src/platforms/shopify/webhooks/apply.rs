//! What each verified delivery does: a change is a notice for the refresher (`refresh`), which
//! fetches the record as it is now; an uninstall and the compliance topics say what they ask for,
//! which storelink applies once Shopify confirms it.

use serde::Deserialize;
use serde_json::Value;

use super::super::Shopify;
use crate::{
    audit,
    db::Conn,
    error::AppError,
    ids::StoreId,
    platforms::{Effect, StoreRef},
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

impl Shopify {
    /// Reads a delivery: a change is refreshed (done once the record is stored as it is now);
    /// a compliance topic's body must be the documented one for this very store, or it asks for
    /// nothing.
    pub(in crate::platforms) async fn apply(
        &self,
        store: StoreRef<'_>,
        topic: &str,
        body: &[u8],
    ) -> Result<Effect, AppError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| AppError::invalid("body", "not JSON"))?;
        let for_this_store = |named: &str| !store.address.is_empty() && store.address.eq_ignore_ascii_case(named);
        let store_id = store.id;
        match topic {
            "app/uninstalled" => Ok(Effect::Gone { erase: false }),
            "bulk_operations/finish" => Ok(Effect::ExportFinished),
            "shop/redact" => match serde_json::from_value::<ShopRedaction>(value) {
                Ok(request) if for_this_store(&request.shop_domain) => Ok(Effect::Gone { erase: true }),
                _ => Ok(not_the_documented_body(store_id, topic)),
            },
            "customers/redact" => match serde_json::from_value::<Redaction>(value) {
                Ok(request) if for_this_store(&request.shop_domain) => {
                    Ok(Effect::Redact { customer: request.customer.id, orders: request.orders_to_redact })
                }
                _ => Ok(not_the_documented_body(store_id, topic)),
            },
            "customers/data_request" => match serde_json::from_value::<DataRequest>(value) {
                Ok(request) if for_this_store(&request.shop_domain) => {
                    let mut tx = self.pool.begin().await?;
                    record_data_request(&mut tx, store, &request).await?;
                    tx.commit().await?;
                    Ok(Effect::Applied)
                }
                _ => Ok(not_the_documented_body(store_id, topic)),
            },
            _ => match changed_record(topic, &value) {
                Some(gid) => {
                    self.refresher.refresh(store_id, gid).await.map_err(AppError::Upstream)?;
                    Ok(Effect::Applied)
                }
                None => {
                    tracing::info!(%store_id, topic, "ignored a webhook topic storelink does not use");
                    Ok(Effect::Applied)
                }
            },
        }
    }
}

/// A compliance delivery whose body is not that topic's (a body of another topic replayed under
/// it, or another shop's): it changes nothing.
fn not_the_documented_body(store_id: StoreId, topic: &str) -> Effect {
    tracing::warn!(%store_id, topic, "ignored a delivery whose body is not the one Shopify documents for its topic");
    Effect::Applied
}

/// `customers/data_request`: an audit entry, so an administrator sends the store owner the data;
/// once per request, however often its body arrives.
async fn record_data_request(conn: &mut Conn, store: StoreRef<'_>, request: &DataRequest) -> Result<(), AppError> {
    let (store_id, name) = (store.id, store.name);
    let detail = format!(
        "Shopify asks (request {}) for the data held about customer {} (orders {:?}); send it to the store owner",
        request.data_request.id, request.customer.id, request.orders_requested
    );
    const ACTION: &str = "Customer data requested";
    if audit::repo::exists(conn, store_id, ACTION, &detail).await? {
        return Ok(());
    }
    let by = audit::Actor { org: store.org, user: None, name: "Shopify" };
    audit::repo::record_by(conn, by, ACTION, Some((store_id, name)), &detail).await
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
