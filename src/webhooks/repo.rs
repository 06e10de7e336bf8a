//! The `webhook_deliveries` table: one row per verified Shopify event.

use crate::{
    db::{self, Pool},
    error::AppError,
    ids::StoreId,
};

/// Records a verified delivery; false when this event was recorded before (a repeat).
pub async fn record(pool: &Pool, store_id: StoreId, event_id: &str, topic: &str) -> Result<bool, AppError> {
    let recorded = db::run!(pool, c => sqlx::query(
        "INSERT INTO webhook_deliveries (store_id, event_id, topic, received_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (store_id, event_id) DO NOTHING",
    )
    .bind(store_id)
    .bind(event_id)
    .bind(topic)
    .bind(db::now())
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(recorded == 1)
}

/// Notes that the delivery's changes are in the synced data.
pub async fn mark_applied(pool: &Pool, store_id: StoreId, event_id: &str) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("UPDATE webhook_deliveries SET applied_at = $1 WHERE store_id = $2 AND event_id = $3")
        .bind(db::now())
        .bind(store_id)
        .bind(event_id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// When the last delivery arrived, and how many arrived since `since`.
pub async fn recent(pool: &Pool, store_id: StoreId, since: i64) -> Result<(Option<i64>, i64), AppError> {
    Ok(db::run!(pool, c => sqlx::query_as(
        "SELECT MAX(received_at), COUNT(*) FILTER (WHERE received_at > $1) FROM webhook_deliveries WHERE store_id = $2",
    )
    .bind(since)
    .bind(store_id)
    .fetch_one(&mut *c).await)?)
}

/// Forgets deliveries received before `before`, keeping each store's newest (its page says when
/// the last one came). Shopify retries for 48 hours, so older event ids are not needed to
/// recognise repeats.
pub async fn forget_before(pool: &Pool, before: i64) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query(
        "DELETE FROM webhook_deliveries WHERE received_at < $1
         AND received_at < (SELECT MAX(d.received_at) FROM webhook_deliveries d WHERE d.store_id = webhook_deliveries.store_id)",
    )
    .bind(before)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}
