//! The `api_tokens` table.

use super::ApiTokenDto;
use crate::{
    audit::Actor,
    db::{self, Conn, Pool},
    error::AppError,
    ids::{ApiTokenId, OrgId, UserId},
};

/// A token's columns, with the requests it made in the last day (`$NOW` is replaced by the
/// query's parameter for now) and whether its owner is still active.
const COLUMNS: &str =
    "id, name, prefix, created_by, created_by_user_id, created_at, last_used_at, revoked_at, organization_id,
    CAST((SELECT COALESCE(SUM(requests), 0) FROM api_token_usage u
          WHERE u.token_id = api_tokens.id AND u.minute > $NOW - 86400) AS BIGINT) AS requests_last_day";

/// A token is live while it is not revoked and its owner (if made by a user) is active.
const LIVE: &str = "revoked_at IS NULL AND (created_by_user_id IS NULL
    OR EXISTS (SELECT 1 FROM users WHERE users.id = api_tokens.created_by_user_id AND users.active))";

fn select(condition: &str, now_param: usize) -> String {
    format!("SELECT {} FROM api_tokens WHERE {condition}", COLUMNS.replace("$NOW", &format!("${now_param}")))
}

pub async fn insert(
    conn: &mut Conn,
    name: &str,
    token_hash: &str,
    prefix: &str,
    created_by: Actor<'_>,
    now: i64,
) -> Result<ApiTokenId, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(
        "INSERT INTO api_tokens (name, token_hash, prefix, created_by, created_by_user_id, created_at, organization_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(name)
    .bind(token_hash)
    .bind(prefix)
    .bind(created_by.name)
    .bind(created_by.user)
    .bind(now)
    .bind(created_by.org)
    .fetch_one(&mut *c).await)?)
}

/// The token, when it is the organization's.
pub async fn get(pool: &Pool, org: OrgId, id: ApiTokenId) -> Result<Option<ApiTokenDto>, AppError> {
    let sql = select("id = $1 AND organization_id = $2", 3);
    Ok(db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(org).bind(db::now())
        .fetch_optional(&mut *c).await)?)
}

/// The organization's tokens: live ones first (newest first), then the revoked.
pub async fn list(pool: &Pool, org: OrgId) -> Result<Vec<ApiTokenDto>, AppError> {
    let sql = format!("{} ORDER BY revoked_at IS NOT NULL, id DESC", select("organization_id = $1", 2));
    Ok(
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(db::now()).fetch_all(&mut *c).await)?,
    )
}

/// The organization's live tokens.
pub async fn count_live(conn: &mut Conn, org: OrgId) -> Result<i64, AppError> {
    let sql = format!("SELECT COUNT(*) FROM api_tokens WHERE organization_id = $1 AND {LIVE}");
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(org).fetch_one(&mut *c).await)?)
}

/// The live token with this hash.
pub async fn live(pool: &Pool, token_hash: &str) -> Result<Option<ApiTokenDto>, AppError> {
    let sql = select(&format!("token_hash = $1 AND {LIVE}"), 2);
    Ok(
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).bind(db::now()).fetch_optional(&mut *c).await)?,
    )
}

/// Counts one read by the token in the minute `minute` (Unix seconds at its start).
pub async fn count_read(pool: &Pool, id: ApiTokenId, minute: i64) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query(
        "INSERT INTO api_token_usage (token_id, minute, requests) VALUES ($1, $2, 1)
         ON CONFLICT (token_id, minute) DO UPDATE SET requests = api_token_usage.requests + 1",
    )
    .bind(id)
    .bind(minute)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Revokes every live token the user created; their names.
pub async fn revoke_all_of(conn: &mut Conn, user: UserId, now: i64) -> Result<Vec<String>, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = $2 WHERE created_by_user_id = $1 AND revoked_at IS NULL RETURNING name",
    )
    .bind(user)
    .bind(now)
    .fetch_all(&mut *c).await)?)
}

/// Records a use at `now`.
pub async fn mark_used(pool: &Pool, id: ApiTokenId, now: i64) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Revokes the organization's live token; its name, or `None` when the organization has no such
/// token (a revoked one stays as it was revoked, and is named).
pub async fn revoke(conn: &mut Conn, org: OrgId, id: ApiTokenId, now: i64) -> Result<Option<String>, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 AND organization_id = $3 RETURNING name",
    )
    .bind(id)
    .bind(now)
    .bind(org)
    .fetch_optional(&mut *c).await)?)
}
