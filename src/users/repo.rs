//! The `users` table.

use sqlx::Row;

use super::{Role, UserDto};
use crate::{error::AppError, server::db};

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<UserDto, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(UserDto {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        role: if role == "admin" { Role::Admin } else { Role::Standard },
        active: row.try_get::<i64, _>("active")? == 1,
    })
}

pub async fn list(pool: &db::Pool) -> Result<Vec<UserDto>, AppError> {
    let rows = sqlx::query("SELECT id, email, role, active FROM users ORDER BY email").fetch_all(pool).await?;
    Ok(rows.iter().map(user_from_row).collect::<Result<_, _>>()?)
}

pub async fn get(pool: &db::Pool, id: i64) -> Result<Option<UserDto>, AppError> {
    let row =
        sqlx::query("SELECT id, email, role, active FROM users WHERE id = ?").bind(id).fetch_optional(pool).await?;
    Ok(row.as_ref().map(user_from_row).transpose()?)
}

/// Creates a user; `email` must already be normalised and `password_hash` computed.
pub async fn create(pool: &db::Pool, email: &str, role: Role, password_hash: &str) -> Result<UserDto, AppError> {
    let inserted = sqlx::query(
        "INSERT INTO users (email, password_hash, role, active, created_at) VALUES (?, ?, ?, 1, ?) RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(db::now())
    .fetch_one(pool)
    .await;
    match inserted {
        Ok(row) => Ok(UserDto { id: row.try_get("id")?, email: email.to_owned(), role, active: true }),
        Err(err) if db::violates(&err, "users.email") => {
            Err(AppError::invalid("email", "A user with this email already exists."))
        }
        Err(err) => Err(err.into()),
    }
}

/// The user and password hash for a sign-in attempt; inactive users are not returned.
pub async fn find_active_for_login(pool: &db::Pool, email: &str) -> Result<Option<(UserDto, String)>, AppError> {
    let row = sqlx::query("SELECT id, email, role, active, password_hash FROM users WHERE email = ? AND active = 1")
        .bind(email)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(row) => Ok(Some((user_from_row(&row)?, row.try_get("password_hash")?))),
        None => Ok(None),
    }
}

pub async fn count_active_admins(pool: &db::Pool) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1").fetch_one(pool).await?)
}

// The last-administrator rule is part of each UPDATE's WHERE clause, so two administrators
// demoting each other at the same moment cannot both succeed.
macro_rules! unless_last_active_admin {
    () => {
        " AND (role <> 'admin' OR active = 0 OR EXISTS (SELECT 1 FROM users other
              WHERE other.role = 'admin' AND other.active = 1 AND other.id <> users.id))"
    };
}

const LAST_ADMIN: &str =
    "There must always be at least one active administrator. Make another user an administrator first.";

pub async fn set_role(pool: &db::Pool, id: i64, role: Role) -> Result<(), AppError> {
    let sql = match role {
        Role::Admin => "UPDATE users SET role = 'admin' WHERE id = ?",
        Role::Standard => concat!("UPDATE users SET role = 'standard' WHERE id = ?", unless_last_active_admin!()),
    };
    let updated = sqlx::query(sql).bind(id).execute(pool).await?.rows_affected();
    if updated == 1 {
        return Ok(());
    }
    match get(pool, id).await? {
        None => Err(AppError::NotFound("That user does not exist.".into())),
        Some(_) => Err(AppError::Conflict(LAST_ADMIN.into())),
    }
}

/// Deactivates a user and ends every session they have.
pub async fn deactivate(pool: &db::Pool, id: i64) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let sql = concat!("UPDATE users SET active = 0 WHERE id = ?", unless_last_active_admin!());
    let updated = sqlx::query(sql).bind(id).execute(&mut *tx).await?.rows_affected();
    if updated == 1 {
        sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        return Ok(());
    }
    drop(tx);
    match get(pool, id).await? {
        None => Err(AppError::NotFound("That user does not exist.".into())),
        Some(_) => Err(AppError::Conflict(LAST_ADMIN.into())),
    }
}
