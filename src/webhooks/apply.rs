//! What each verified delivery does to the synced data, through the same repository functions
//! the sync uses. Changes to synced data and the store's counts commit together.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{
    audit,
    db::{Conn, Pool},
    error::AppError,
    ids::StoreId,
    records::{self, Resource},
    stores,
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

fn resource_of(topic: &str) -> Option<Resource> {
    match topic {
        "orders/create" | "orders/updated" | "orders/cancelled" | "orders/fulfilled" => Some(Resource::Orders),
        "products/create" | "products/update" => Some(Resource::Products),
        "customers/create" | "customers/update" => Some(Resource::Customers),
        "inventory_levels/update" => Some(Resource::InventoryLevels),
        _ => None,
    }
}

pub async fn apply(pool: &Pool, store_id: StoreId, topic: &str, body: &[u8]) -> Result<(), AppError> {
    let raw: &RawValue = serde_json::from_slice(body).map_err(|_| AppError::invalid("body", "not JSON"))?;
    if topic == "app/uninstalled" {
        return stores::disconnect::uninstalled(pool, store_id).await;
    }
    let mut tx = pool.begin().await?;
    match (resource_of(topic), topic) {
        (Some(resource), _) => {
            for refused in records::repo::upsert(&mut tx, store_id, resource, &[raw]).await?.refused {
                tracing::warn!(%store_id, topic, why = refused.why, "skipped a webhook record");
            }
        }
        (None, "products/delete") => {
            let Id { id } = serde_json::from_str(raw.get()).map_err(|_| AppError::invalid("id", "missing"))?;
            records::repo::delete_product(&mut tx, store_id, id.unwrap_or_default()).await?;
        }
        (None, "customers/redact") => {
            let request: Redaction =
                serde_json::from_str(raw.get()).map_err(|_| AppError::invalid("customer", "missing"))?;
            let customer = request.customer.and_then(|c| c.id);
            records::repo::redact_customer(&mut tx, store_id, customer, &request.orders_to_redact).await?;
        }
        (None, "shop/redact") => records::repo::erase(&mut tx, store_id).await?,
        (None, "customers/data_request") => {
            record_data_request(&mut tx, store_id, raw).await?;
            tx.commit().await?;
            return Ok(());
        }
        (None, other) => {
            tracing::info!(%store_id, topic = other, "ignored a webhook topic storelink does not use");
            return Ok(());
        }
    }
    let counts = records::repo::counts(&mut tx, store_id).await?;
    stores::repo::set_counts(&mut tx, store_id, counts).await?;
    tx.commit().await?;
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
