//! The `audit_log` table.

use super::AuditEntry;
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::{StoreId, UserId},
    users::UserDto,
};

/// Records an action; takes a connection so it joins the caller's transaction.
pub async fn record(
    conn: &mut Conn,
    user: &UserDto,
    action: &str,
    store: Option<(StoreId, &str)>,
    detail: &str,
) -> Result<(), AppError> {
    record_as(conn, Some(user.id), &user.email, action, store, detail).await
}

/// An entry for what Shopify asked for (a webhook), which no user of storelink did.
pub async fn record_for_shopify(
    conn: &mut Conn,
    action: &str,
    store: Option<(StoreId, &str)>,
    detail: &str,
) -> Result<(), AppError> {
    record_as(conn, None, "Shopify", action, store, detail).await
}

/// An entry by name: a user's email (with their id), or an API token's name (without).
pub async fn record_by(
    conn: &mut Conn,
    user_id: Option<UserId>,
    name: &str,
    action: &str,
    store: Option<(StoreId, &str)>,
    detail: &str,
) -> Result<(), AppError> {
    record_as(conn, user_id, name, action, store, detail).await
}

async fn record_as(
    conn: &mut Conn,
    user_id: Option<UserId>,
    email: &str,
    action: &str,
    store: Option<(StoreId, &str)>,
    detail: &str,
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO audit_log (at, user_id, user_email, action, store_id, store_name, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(db::now())
    .bind(user_id)
    .bind(email)
    .bind(action)
    .bind(store.map(|s| s.0))
    .bind(store.map(|s| s.1))
    .bind(detail)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The most recent entries first.
pub async fn recent(pool: &Pool, limit: i64) -> Result<Vec<AuditEntry>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_as("SELECT at, user_email, action, store_name, detail FROM audit_log ORDER BY id DESC LIMIT $1")
        .bind(limit)
        .fetch_all(&mut *c).await)?,
    )
}
