//! The `audit_log` table.

use sqlx::{Row, SqliteConnection};

use super::AuditEntry;
use crate::{error::AppError, server::db, users::UserDto};

/// Records an action; takes a connection so it joins the caller's transaction.
pub async fn record(
    conn: &mut SqliteConnection,
    user: &UserDto,
    action: &str,
    store: Option<(i64, &str)>,
    detail: &str,
) -> Result<(), AppError> {
    record_as(conn, Some(user.id), &user.email, action, store, detail).await
}

/// An entry for what Shopify asked for (a webhook), which no user of storelink did.
pub async fn record_for_shopify(
    conn: &mut SqliteConnection,
    action: &str,
    store: Option<(i64, &str)>,
    detail: &str,
) -> Result<(), AppError> {
    record_as(conn, None, "Shopify", action, store, detail).await
}

async fn record_as(
    conn: &mut SqliteConnection,
    user_id: Option<i64>,
    email: &str,
    action: &str,
    store: Option<(i64, &str)>,
    detail: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, user_email, action, store_id, store_name, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(db::now())
    .bind(user_id)
    .bind(email)
    .bind(action)
    .bind(store.map(|s| s.0))
    .bind(store.map(|s| s.1))
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn recent(pool: &db::Pool, limit: i64) -> Result<Vec<AuditEntry>, AppError> {
    let rows = sqlx::query("SELECT at, user_email, action, store_name, detail FROM audit_log ORDER BY id DESC LIMIT ?")
        .bind(limit)
        .fetch_all(pool)
        .await?;
    let entries = rows
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                at: row.try_get("at")?,
                user_email: row.try_get("user_email")?,
                action: row.try_get("action")?,
                store_name: row.try_get("store_name")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(entries)
}
