//! The `api_tokens` table.

use super::ApiTokenDto;
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::ApiTokenId,
};

const COLUMNS: &str = "id, name, prefix, created_by, created_at, last_used_at, revoked_at";

pub async fn insert(
    conn: &mut Conn,
    name: &str,
    token_hash: &str,
    prefix: &str,
    created_by: &str,
    now: i64,
) -> Result<ApiTokenId, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(
        "INSERT INTO api_tokens (name, token_hash, prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(token_hash)
    .bind(prefix)
    .bind(created_by)
    .bind(now)
    .fetch_one(&mut *c).await)?)
}

pub async fn get(pool: &Pool, id: ApiTokenId) -> Result<Option<ApiTokenDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1");
    Ok(db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await)?)
}

/// Live tokens first (newest first), then the revoked.
pub async fn list(pool: &Pool) -> Result<Vec<ApiTokenDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens ORDER BY revoked_at IS NOT NULL, id DESC");
    Ok(db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await)?)
}

/// The live (not revoked) token with this hash.
pub async fn live(pool: &Pool, token_hash: &str) -> Result<Option<ApiTokenDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
    Ok(db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(&mut *c).await)?)
}

/// Records a use at `now`.
pub async fn mark_used(pool: &Pool, id: ApiTokenId, now: i64) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Revokes a live token; its name, or `None` when there is no such token (a revoked one stays
/// as it was revoked, and is named).
pub async fn revoke(conn: &mut Conn, id: ApiTokenId, now: i64) -> Result<Option<String>, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING name",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *c).await)?)
}
