//! The endpoint Shopify delivers to. A delivery is verified against its store's Shared Secret
//! before any of it is parsed, answered at once, and applied afterwards.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::Sha256;
use sqlx::SqliteConnection;

use crate::{
    audit,
    error::AppError,
    server::{db, AppState},
    stores::repo,
    sync::records::{self, RawJson, Resource},
};

/// Shopify's largest payloads (orders with hundreds of lines) stay well under this.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// Whether `signature` is the base64 HMAC-SHA256 of `body` keyed with `secret`, compared in
/// constant time.
fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// `POST /webhooks/shopify`: 200 once a verified delivery is recorded (or recognised as a
/// repeat), 401 for anything unsigned, forged or for a shop storelink does not hold.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let (Some(topic), Some(signature), Some(domain)) =
        (header("x-shopify-topic"), header("x-shopify-hmac-sha256"), header("x-shopify-shop-domain"))
    else {
        return StatusCode::UNAUTHORIZED;
    };
    let Some(event_id) = header("x-shopify-event-id").or_else(|| header("x-shopify-webhook-id")) else {
        return StatusCode::UNAUTHORIZED;
    };
    match accept(&state, domain, topic, signature, event_id, &body).await {
        Ok(Some(store_id)) => {
            let (state, topic) = (state.clone(), topic.to_owned());
            tokio::spawn(async move {
                if let Err(err) = apply(&state, store_id, &topic, &body).await {
                    tracing::warn!(store_id, topic, error = %err, "could not apply a webhook delivery");
                }
                state.sync.changed(store_id);
            });
            StatusCode::OK
        }
        Ok(None) => StatusCode::OK,
        Err(AppError::Unauthorized) => StatusCode::UNAUTHORIZED,
        Err(err) => {
            tracing::error!(error = %err, "could not record a webhook delivery");
            // Shopify retries what was not answered with a 2xx.
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// Verifies and records the delivery: the store it is for, or `None` for a repeat.
async fn accept(
    state: &AppState,
    domain: &str,
    topic: &str,
    signature: &str,
    event_id: &str,
    body: &[u8],
) -> Result<Option<i64>, AppError> {
    let refused = || AppError::Unauthorized;
    let credentials: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT s.id, c.shared_secret FROM stores s JOIN store_credentials c ON c.store_id = s.id WHERE s.shop_domain = ?",
    )
    .bind(domain.to_ascii_lowercase())
    .fetch_optional(&state.pool)
    .await?;
    let Some((store_id, sealed)) = credentials else {
        tracing::info!(shop = domain, topic, "refused a webhook delivery for a shop storelink does not hold");
        return Err(refused());
    };
    let secret = state.sealer.open(&sealed).map_err(|_| AppError::Internal)?;
    if !verify(secret.expose(), body, signature) {
        sqlx::query(
            "UPDATE stores SET webhooks_rejected = webhooks_rejected + 1, webhooks_last_rejected_at = ? WHERE id = ?",
        )
        .bind(db::now())
        .bind(store_id)
        .execute(&state.pool)
        .await?;
        tracing::warn!(shop = domain, topic, "refused a webhook delivery with a wrong signature");
        return Err(refused());
    }
    let recorded = sqlx::query(
        "INSERT INTO webhook_deliveries (store_id, event_id, topic, received_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (store_id, event_id) DO NOTHING",
    )
    .bind(store_id)
    .bind(event_id)
    .bind(topic)
    .bind(db::now())
    .execute(&state.pool)
    .await?;
    Ok((recorded.rows_affected() == 1).then_some(store_id))
}

#[derive(Deserialize)]
struct Id {
    id: Option<i64>,
}

/// What `customers/redact` names.
#[derive(Deserialize)]
struct Redaction {
    customer: Option<Id>,
    #[serde(default)]
    orders_to_redact: Vec<i64>,
}

/// Applies a verified delivery through the same paths the sync uses. Changes to synced data
/// and the store's counts commit together.
async fn apply(state: &AppState, store_id: i64, topic: &str, body: &[u8]) -> Result<(), AppError> {
    let raw: &RawValue = serde_json::from_slice(body).map_err(|_| AppError::invalid("body", "not JSON"))?;
    let resource = match topic {
        "orders/create" | "orders/updated" | "orders/cancelled" | "orders/fulfilled" => Some(Resource::Orders),
        "products/create" | "products/update" => Some(Resource::Products),
        "customers/create" | "customers/update" => Some(Resource::Customers),
        "inventory_levels/update" => Some(Resource::InventoryLevels),
        _ => None,
    };
    if topic == "app/uninstalled" {
        return repo::mark_uninstalled(&state.pool, store_id).await;
    }
    let mut tx = state.pool.begin().await?;
    match (resource, topic) {
        (Some(resource), _) => {
            for refused in records::upsert(&mut tx, store_id, resource, &[raw]).await?.refused {
                tracing::warn!(store_id, topic, why = refused.why, "skipped a webhook record");
            }
        }
        (None, "products/delete") => {
            let Id { id } = serde_json::from_str(raw.get()).map_err(|_| AppError::invalid("id", "missing"))?;
            sqlx::query("DELETE FROM synced_products WHERE store_id = ? AND id = ?")
                .bind(store_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        (None, "customers/redact") => redact_customer(&mut tx, store_id, raw).await?,
        (None, "shop/redact") => erase_shop(&mut tx, store_id).await?,
        (None, "customers/data_request") => {
            record_data_request(&mut tx, store_id, raw).await?;
            tx.commit().await?;
            return Ok(());
        }
        (None, other) => {
            tracing::info!(store_id, topic = other, "ignored a webhook topic storelink does not use");
            return Ok(());
        }
    }
    repo::refresh_counts(&mut tx, store_id).await?;
    tx.commit().await?;
    Ok(())
}

/// `customers/data_request`: an audit entry, so an administrator sends the store owner the data.
async fn record_data_request(conn: &mut SqliteConnection, store_id: i64, raw: &RawValue) -> Result<(), AppError> {
    let request: Redaction = serde_json::from_str(raw.get()).map_err(|_| AppError::invalid("customer", "missing"))?;
    let customer = request.customer.and_then(|c| c.id).unwrap_or_default();
    let name: String =
        sqlx::query_scalar("SELECT name FROM stores WHERE id = ?").bind(store_id).fetch_one(&mut *conn).await?;
    let detail = format!(
        "Shopify asks for the data held about customer {customer} (orders {:?}); send it to the store owner",
        request.orders_to_redact
    );
    audit::repo::record_for_shopify(conn, "Customer data requested", Some((store_id, &name)), &detail).await
}

/// `customers/redact`: the customer's record goes, and their personal data leaves their orders.
async fn redact_customer(conn: &mut SqliteConnection, store_id: i64, raw: &RawValue) -> Result<(), AppError> {
    let request: Redaction = serde_json::from_str(raw.get()).map_err(|_| AppError::invalid("customer", "missing"))?;
    let customer = request.customer.and_then(|c| c.id);
    sqlx::query("DELETE FROM synced_customers WHERE store_id = ? AND id = ?")
        .bind(store_id)
        .bind(customer)
        .execute(&mut *conn)
        .await?;
    let orders = serde_json::to_string(&request.orders_to_redact).unwrap_or_else(|_| "[]".into());
    let found: Vec<(i64, RawJson)> = sqlx::query_as(
        "SELECT id, raw FROM synced_orders
         WHERE store_id = ? AND (id IN (SELECT value FROM json_each(?)) OR customer_id = ?)",
    )
    .bind(store_id)
    .bind(orders)
    .bind(customer)
    .fetch_all(&mut *conn)
    .await?;
    for (id, RawJson(json)) in found {
        // Stored records are JSON objects: the sync refuses anything else.
        let mut order: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&json).map_err(|_| AppError::Internal)?;
        for personal in
            ["customer", "email", "contact_email", "phone", "billing_address", "shipping_address", "client_details"]
        {
            order.remove(personal);
        }
        let redacted = serde_json::to_string(&order).map_err(|_| AppError::Internal)?;
        sqlx::query(
            "UPDATE synced_orders SET customer_name = NULL, customer_id = NULL, ship_to = NULL, raw = ?
             WHERE store_id = ? AND id = ?",
        )
        .bind(RawJson::pack(&redacted))
        .bind(store_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// `shop/redact`: everything synced from the store is deleted; the store stays listed.
async fn erase_shop(conn: &mut SqliteConnection, store_id: i64) -> Result<(), AppError> {
    for resource in Resource::ALL {
        let sql = format!("DELETE FROM {} WHERE store_id = ?", resource.table_name());
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(store_id).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::verify;

    #[test]
    fn shopifys_test_vector_verifies_and_a_changed_byte_does_not() {
        let signature = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=";
        assert!(verify("test_secret_key", br#"{"foo": "bar"}"#, signature));
        assert!(!verify("test_secret_key", br#"{"foo": "baz"}"#, signature));
        assert!(!verify("other_key", br#"{"foo": "bar"}"#, signature));
        assert!(!verify("test_secret_key", br#"{"foo": "bar"}"#, "not base64!"));
    }
}
