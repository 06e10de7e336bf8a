//! The `operators` and `operator_sessions` tables.

use super::Operator;
use crate::{
    db::{self, Pool},
    error::AppError,
    ids::OperatorId,
};

/// Creates an operator; `email` already normalised. Refused in words when it is taken.
pub async fn create(pool: &Pool, email: &str, password_hash: &str) -> Result<Operator, AppError> {
    let inserted = db::run!(pool, c => sqlx::query_scalar(
        "INSERT INTO operators (email, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(db::now())
    .fetch_one(&mut *c).await);
    match inserted {
        Ok(id) => Ok(Operator { id, email: email.to_owned() }),
        Err(err) if db::violates(&err, &db::Unique { columns: "operators.email", name: "operators_email_key" }) => {
            Err(AppError::invalid("email", "There is already an operator with this email."))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    operator: Operator,
    password_hash: String,
}

/// The operator and password hash for a sign-in attempt.
pub async fn find_for_login(pool: &Pool, email: &str) -> Result<Option<(Operator, String)>, AppError> {
    let row: Option<LoginRow> = db::run!(pool, c => sqlx::query_as(
        "SELECT id, email, password_hash FROM operators WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(&mut *c).await)?;
    Ok(row.map(|row| (row.operator, row.password_hash)))
}

pub async fn insert_session(
    pool: &Pool,
    token_hash: &str,
    operator: OperatorId,
    created_at: i64,
    expires_at: i64,
) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query(
        "INSERT INTO operator_sessions (token_hash, operator_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(operator)
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The operator of the session with this token hash, while it has not expired.
pub async fn session_operator(pool: &Pool, token_hash: &str, now: i64) -> Result<Option<Operator>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as(
        "SELECT o.id, o.email FROM operator_sessions s JOIN operators o ON o.id = s.operator_id
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *c).await)?)
}

pub async fn delete_session(pool: &Pool, token_hash: &str) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("DELETE FROM operator_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn delete_expired_sessions(pool: &Pool, now: i64) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("DELETE FROM operator_sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}
