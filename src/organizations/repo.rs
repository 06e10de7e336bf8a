//! The `organizations` table.

use super::{Limits, Organization};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::OrgId,
};

/// Renames the organization named `from` (whatever the case); its id, or `None` when there is
/// none of that name. Names are unique whatever the case.
pub async fn rename(conn: &mut Conn, from: &str, to: &str) -> Result<Option<OrgId>, AppError> {
    let renamed = db::run!(&mut *conn, c => sqlx::query_scalar(
        "UPDATE organizations SET name = $2 WHERE LOWER(name) = LOWER($1) RETURNING id",
    )
    .bind(from)
    .bind(to)
    .fetch_optional(&mut *c).await);
    match renamed {
        Ok(id) => Ok(id),
        Err(err) if db::violates(&err, &NAME_TAKEN) => {
            Err(AppError::invalid("name", format!("An organization named {to} already exists.")))
        }
        Err(err) => Err(err.into()),
    }
}

/// The index that keeps names unique whatever the case (SQLite names it in its message).
const NAME_TAKEN: db::Unique = db::Unique { columns: "organizations_name_key", name: "organizations_name_key" };

/// The organizations' ids, oldest first.
pub async fn ids(pool: &Pool) -> Result<Vec<OrgId>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT id FROM organizations ORDER BY id").fetch_all(&mut *c).await)?)
}

/// Every organization, by name, with how many stores and users it has and its last sync.
pub async fn list(pool: &Pool) -> Result<Vec<Organization>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as(
        "SELECT o.id, o.name, o.enabled,
                (SELECT COUNT(*) FROM stores s WHERE s.organization_id = o.id) AS stores,
                (SELECT COUNT(*) FROM users u WHERE u.organization_id = o.id) AS users,
                (SELECT MAX(s.last_synced_at) FROM stores s WHERE s.organization_id = o.id) AS last_synced_at,
                o.max_stores, o.max_users, o.max_api_tokens, o.max_sync_jobs
         FROM organizations o ORDER BY LOWER(o.name), o.id",
    )
    .fetch_all(&mut *c).await)?)
}

/// Whether e-commerce is on for the organization (an unknown one has none).
pub async fn enabled(pool: &Pool, org: OrgId) -> Result<bool, AppError> {
    let found: Option<bool> = db::run!(pool, c => sqlx::query_scalar("SELECT enabled FROM organizations WHERE id = $1")
        .bind(org)
        .fetch_optional(&mut *c).await)?;
    Ok(found.unwrap_or(false))
}

/// The organization named `name`, whatever the case.
pub async fn named(pool: &Pool, name: &str) -> Result<Option<OrgId>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT id FROM organizations WHERE LOWER(name) = LOWER($1)")
        .bind(name.trim())
        .fetch_optional(&mut *c).await)?)
}

/// Creates an organization; refused in words when the name is taken (whatever the case).
pub async fn create(conn: &mut Conn, name: &str, enabled: bool) -> Result<OrgId, AppError> {
    let created = db::run!(&mut *conn, c => sqlx::query_scalar(
        "INSERT INTO organizations (name, enabled, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(enabled)
    .bind(db::now())
    .fetch_one(&mut *c).await);
    match created {
        Ok(id) => Ok(id),
        Err(err) if db::violates(&err, &NAME_TAKEN) => {
            Err(AppError::invalid("name", format!("An organization named {name} already exists.")))
        }
        Err(err) => Err(err.into()),
    }
}

/// Turns e-commerce on or off for the organization named `name` (whatever the case); its id
/// and whether it was on before, or `None` when there is none of that name.
pub async fn set_enabled(conn: &mut Conn, name: &str, enabled: bool) -> Result<Option<(OrgId, bool)>, AppError> {
    let Some((id, was)): Option<(OrgId, bool)> = db::run!(&mut *conn, c => sqlx::query_as(
        "SELECT id, enabled FROM organizations WHERE LOWER(name) = LOWER($1)",
    )
    .bind(name.trim())
    .fetch_optional(&mut *c).await)?
    else {
        return Ok(None);
    };
    db::run!(&mut *conn, c => sqlx::query("UPDATE organizations SET enabled = $2 WHERE id = $1")
        .bind(id)
        .bind(enabled)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(Some((id, was)))
}

/// Every organization (id and name), their rows locked until the caller's transaction ends (on
/// PostgreSQL; SQLite's transactions take their turn anyway).
pub async fn lock_all(conn: &mut Conn) -> Result<Vec<(OrgId, String)>, AppError> {
    let lock = if conn.is_postgres() { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT id, name FROM organizations ORDER BY id{lock}");
    Ok(db::run!(&mut *conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await)?)
}

/// The organization's limits, its row locked until the caller's transaction ends (on
/// PostgreSQL; SQLite's transactions take their turn anyway), so two creations at once cannot
/// both pass the same last free place.
pub async fn lock_limits(conn: &mut Conn, org: OrgId) -> Result<Limits, AppError> {
    let lock = if conn.is_postgres() { " FOR UPDATE" } else { "" };
    let sql =
        format!("SELECT max_stores, max_users, max_api_tokens, max_sync_jobs FROM organizations WHERE id = $1{lock}");
    Ok(db::run!(&mut *conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).fetch_one(&mut *c).await)?)
}

/// Sets the limits of the organization named `name` (whatever the case); its id, or `None` when
/// there is none of that name.
pub async fn set_limits(conn: &mut Conn, name: &str, limits: &Limits) -> Result<Option<OrgId>, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(
        "UPDATE organizations SET max_stores = $2, max_users = $3, max_api_tokens = $4, max_sync_jobs = $5
         WHERE LOWER(name) = LOWER($1) RETURNING id",
    )
    .bind(name.trim())
    .bind(limits.max_stores)
    .bind(limits.max_users)
    .bind(limits.max_api_tokens)
    .bind(limits.max_sync_jobs)
    .fetch_optional(&mut *c).await)?)
}

/// Deletes the organization and everything of it, in the caller's transaction: its stores (and
/// with them everything synced, recorded and queued for them), its API tokens, its users (and
/// their sessions, claims and saved views), its audit log. What it held, counted.
pub async fn delete_everything(conn: &mut Conn, org: OrgId) -> Result<Removed, AppError> {
    let mut removed = Removed::default();
    for (sql, count) in [
        ("DELETE FROM stores WHERE organization_id = $1", &mut removed.stores),
        ("DELETE FROM api_tokens WHERE organization_id = $1", &mut removed.api_tokens),
        ("DELETE FROM users WHERE organization_id = $1", &mut removed.users),
        ("DELETE FROM audit_log WHERE organization_id = $1", &mut removed.audit_entries),
        ("DELETE FROM organizations WHERE id = $1", &mut removed.organizations),
    ] {
        *count = db::run!(&mut *conn, c => sqlx::query(sql).bind(org).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    Ok(removed)
}

/// What removing an organization deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    pub stores: u64,
    pub api_tokens: u64,
    pub users: u64,
    pub audit_entries: u64,
    pub organizations: u64,
}

/// Notes what the operator did to an organization itself, in the log that outlives it.
pub async fn note_operator(
    conn: &mut Conn,
    by: &str,
    action: &str,
    organization: &str,
    detail: &str,
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO operator_log (at, by_name, action, organization, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(db::now())
    .bind(by)
    .bind(action)
    .bind(organization)
    .bind(detail)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The operator's log, oldest first: (when, by, action, organization, detail).
pub async fn operator_log(pool: &Pool) -> Result<Vec<(i64, String, String, String, String)>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_as("SELECT at, by_name, action, organization, detail FROM operator_log ORDER BY id")
        .fetch_all(&mut *c).await)?,
    )
}
