//! The `order_holds` and `order_claims` tables.

use std::collections::BTreeMap;

use sqlx::QueryBuilder;

use super::{Claim, Hold, Marks, SavedView};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::{OrgId, StoreId, UserId},
};

pub async fn hold(
    conn: &mut Conn,
    store_id: StoreId,
    order_id: i64,
    reason: &str,
    until: Option<i64>,
    by: &str,
    now: i64,
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO order_holds (store_id, order_id, reason, until, held_by, held_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (store_id, order_id)
         DO UPDATE SET reason = excluded.reason, until = excluded.until, held_by = excluded.held_by, held_at = excluded.held_at",
    )
    .bind(store_id)
    .bind(order_id)
    .bind(reason)
    .bind(until)
    .bind(by)
    .bind(now)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether there was a hold to release.
pub async fn release_hold(conn: &mut Conn, store_id: StoreId, order_id: i64) -> Result<bool, AppError> {
    let gone = db::run!(&mut *conn, c => sqlx::query("DELETE FROM order_holds WHERE store_id = $1 AND order_id = $2")
        .bind(store_id)
        .bind(order_id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(gone > 0)
}

/// Claims the order for `user` unless someone has it: `None` when claimed now, else who has it.
pub async fn claim(
    conn: &mut Conn,
    store_id: StoreId,
    order_id: i64,
    user: UserId,
    now: i64,
) -> Result<Option<UserId>, AppError> {
    let made = db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO order_claims (store_id, order_id, user_id, claimed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (store_id, order_id) DO NOTHING",
    )
    .bind(store_id)
    .bind(order_id)
    .bind(user)
    .bind(now)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    if made > 0 {
        return Ok(None);
    }
    claimer(conn, store_id, order_id).await
}

/// Who has claimed the order.
pub async fn claimer(conn: &mut Conn, store_id: StoreId, order_id: i64) -> Result<Option<UserId>, AppError> {
    Ok(
        db::run!(&mut *conn, c => sqlx::query_scalar("SELECT user_id FROM order_claims WHERE store_id = $1 AND order_id = $2")
        .bind(store_id)
        .bind(order_id)
        .fetch_optional(&mut *c).await)?,
    )
}

pub async fn release_claim(conn: &mut Conn, store_id: StoreId, order_id: i64) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("DELETE FROM order_claims WHERE store_id = $1 AND order_id = $2")
        .bind(store_id)
        .bind(order_id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct HoldRow {
    store_id: i64,
    order_id: i64,
    reason: String,
    until: Option<i64>,
    held_by: String,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    store_id: i64,
    order_id: i64,
    user_id: i64,
    email: Option<String>,
}

/// The holds that have not run out by `now` and the claims of these orders.
pub async fn marks(pool: &Pool, orders: &[(StoreId, i64)], now: i64) -> Result<Vec<Marks>, AppError> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let holds: Vec<HoldRow> = db::run!(pool, c => {
        let mut sql = QueryBuilder::new(
            "SELECT store_id, order_id, reason, until, held_by FROM order_holds WHERE (until IS NULL OR until > ",
        );
        sql.push_bind(now).push(") AND (");
        db::push_pairs(&mut sql, ("store_id", "order_id"), orders.iter().map(|(s, o)| (s.0, *o)));
        sql.push(")");
        sql.build_query_as().fetch_all(&mut *c).await
    })?;
    let claims: Vec<ClaimRow> = db::run!(pool, c => {
        let mut sql = QueryBuilder::new(
            "SELECT oc.store_id, oc.order_id, oc.user_id, u.email FROM order_claims oc
             LEFT JOIN users u ON u.id = oc.user_id WHERE (",
        );
        db::push_pairs(&mut sql, ("store_id", "order_id"), orders.iter().map(|(s, o)| (s.0, *o)));
        sql.push(")");
        sql.build_query_as().fetch_all(&mut *c).await
    })?;
    let mut marks: BTreeMap<(i64, i64), Marks> = BTreeMap::new();
    let blank = |store: i64, order: i64| Marks { store_id: StoreId(store), order_id: order, hold: None, claim: None };
    for h in holds {
        marks.entry((h.store_id, h.order_id)).or_insert_with(|| blank(h.store_id, h.order_id)).hold =
            Some(Hold { reason: h.reason, until: h.until, by: h.held_by });
    }
    for c in claims {
        let email = c.email.unwrap_or_else(|| "someone".into());
        marks.entry((c.store_id, c.order_id)).or_insert_with(|| blank(c.store_id, c.order_id)).claim =
            Some(Claim { user_id: UserId(c.user_id), email });
    }
    Ok(marks.into_values().collect())
}

/// The user's own views and those shared with everyone of the organization, shared first, by
/// name.
pub async fn views_for(pool: &Pool, org: OrgId, user: UserId) -> Result<Vec<SavedView>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as(
        "SELECT id, name, filters, shared, user_id FROM saved_views
         WHERE user_id = $1 OR (shared AND user_id IN (SELECT id FROM users WHERE organization_id = $2))
         ORDER BY shared DESC, LOWER(name), id",
    )
    .bind(user)
    .bind(org)
    .fetch_all(&mut *c).await)?)
}

/// The view, when someone of the organization saved it.
pub async fn view(pool: &Pool, org: OrgId, id: i64) -> Result<Option<SavedView>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as("SELECT id, name, filters, shared, user_id FROM saved_views
        WHERE id = $1 AND user_id IN (SELECT id FROM users WHERE organization_id = $2)")
        .bind(id)
        .bind(org)
        .fetch_optional(&mut *c).await)?)
}

/// Saves a view; the user's view of the same name and sharing is replaced.
pub async fn save_view(
    conn: &mut Conn,
    user: UserId,
    name: &str,
    filters: &str,
    shared: bool,
    now: i64,
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("DELETE FROM saved_views WHERE user_id = $1 AND name = $2 AND shared = $3")
        .bind(user)
        .bind(name)
        .bind(shared)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO saved_views (user_id, name, filters, shared, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user)
    .bind(name)
    .bind(filters)
    .bind(shared)
    .bind(now)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn delete_view(conn: &mut Conn, id: i64) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("DELETE FROM saved_views WHERE id = $1")
        .bind(id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}
