//! The `audit_log` table.

use sqlx::QueryBuilder;

use super::{Actor, AuditEntry, AuditFilter};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::{OrgId, StoreId},
};

/// Records an action in `by`'s organization, by `by`'s name; takes a connection so it joins the
/// caller's transaction.
pub async fn record_by(
    conn: &mut Conn,
    by: Actor<'_>,
    action: &str,
    store: Option<(StoreId, &str)>,
    detail: &str,
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO audit_log (at, user_id, user_email, action, store_id, store_name, detail, organization_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(db::now())
    .bind(by.user)
    .bind(by.name)
    .bind(action)
    .bind(store.map(|s| s.0))
    .bind(store.map(|s| s.1))
    .bind(detail)
    .bind(by.org)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether the store's log already has this entry (a request that arrives twice is noted once).
pub async fn exists(conn: &mut Conn, store: StoreId, action: &str, detail: &str) -> Result<bool, AppError> {
    let found: Option<i64> = db::run!(&mut *conn, c => sqlx::query_scalar(
        "SELECT id FROM audit_log WHERE store_id = $1 AND action = $2 AND detail = $3 LIMIT 1",
    )
    .bind(store)
    .bind(action)
    .bind(detail)
    .fetch_optional(&mut *c).await)?;
    Ok(found.is_some())
}

/// Up to `limit` entries matching `filter`, newest first, before the entry `before` (all when
/// `None`).
pub async fn page(
    pool: &Pool,
    org: OrgId,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    Ok(db::run!(pool, c => {
        let mut sql =
            QueryBuilder::new("SELECT id, at, user_email, action, store_name, detail FROM audit_log WHERE organization_id = ");
        sql.push_bind(org.0);
        if let Some(who) = filter.who.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            sql.push(" AND LOWER(user_email) LIKE ").push_bind(db::contains_pattern(who)).push(" ESCAPE '\\'");
        }
        if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
            sql.push(" AND action = ").push_bind(action.to_owned());
        }
        if let Some(store) = filter.store {
            sql.push(" AND store_id = ").push_bind(store.0);
        }
        if let Some(from) = filter.from.as_deref().and_then(db::day_start) {
            sql.push(" AND at >= ").push_bind(from);
        }
        if let Some(to) = filter.to.as_deref().and_then(db::day_start) {
            sql.push(" AND at < ").push_bind(to + 86_400);
        }
        if let Some(before) = before {
            sql.push(" AND id < ").push_bind(before);
        }
        sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        sql.build_query_as().fetch_all(&mut *c).await
    })?)
}

/// Every action the organization's log holds, for the page's filter.
pub async fn actions(pool: &Pool, org: OrgId) -> Result<Vec<String>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_scalar("SELECT DISTINCT action FROM audit_log WHERE organization_id = $1 ORDER BY action")
        .bind(org)
        .fetch_all(&mut *c).await)?,
    )
}

/// Every store the organization's log names (with the latest name it recorded), for the page's
/// filter.
pub async fn stores(pool: &Pool, org: OrgId) -> Result<Vec<(StoreId, String)>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as(
        "SELECT store_id, COALESCE(store_name, '') FROM audit_log a
         WHERE id = (SELECT MAX(id) FROM audit_log b WHERE b.store_id = a.store_id) AND store_id IS NOT NULL
           AND organization_id = $1
         ORDER BY store_name, store_id",
    )
    .bind(org)
    .fetch_all(&mut *c).await)?)
}
