//! The `sessions` and `login_throttle` tables.

use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::UserId,
};

pub async fn insert_session(
    pool: &Pool,
    token_hash: &str,
    user_id: UserId,
    created_at: i64,
    expires_at: i64,
) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(created_at)
        .bind(expires_at)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn delete_session(pool: &Pool, token_hash: &str) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The user of the session with this token hash, while it has not expired.
pub async fn session_user(pool: &Pool, token_hash: &str, now: i64) -> Result<Option<UserId>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *c).await)?)
}

/// When the session with this token hash runs out, while it has not.
pub async fn session_expiry(pool: &Pool, token_hash: &str, now: i64) -> Result<Option<i64>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_scalar("SELECT expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *c).await)?,
    )
}

/// Ends every session of the user, in the caller's transaction.
pub async fn end_sessions_of(conn: &mut Conn, user_id: UserId) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn delete_expired_sessions(pool: &Pool, now: i64) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A key's failed sign-ins so far and when the last one was.
pub async fn failures(pool: &Pool, key: &str) -> Result<Option<(i64, i64)>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as("SELECT failures, last_failure_at FROM login_throttle WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *c).await)?)
}

/// Counts one more failure for the key and returns how many there are now.
pub async fn add_failure(pool: &Pool, key: &str, now: i64) -> Result<i64, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2)
         ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1, last_failure_at = excluded.last_failure_at
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .fetch_one(&mut *c).await)?)
}

pub async fn clear_failures(pool: &Pool, key: &str) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Forgets the counts whose last failure was before `cutoff`.
pub async fn delete_failures_before(pool: &Pool, cutoff: i64) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("DELETE FROM login_throttle WHERE last_failure_at < $1").bind(cutoff).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}
