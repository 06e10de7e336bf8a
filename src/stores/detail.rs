//! The store detail page's data: permissions, and read-only pages of what was synced.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{error::AppError, server::db};

pub const PER_PAGE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: i64,
    pub name: String,
    pub date: String,
    pub customer: Option<String>,
    pub ship_to: Option<String>,
    pub items: i64,
    pub total_weight: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRow {
    pub id: i64,
    pub title: String,
    pub variants: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
}

/// One page of a list, with how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub page: i64,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + PER_PAGE - 1) / PER_PAGE).max(1)
    }
}

/// A permission storelink checks, and whether the store granted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRow {
    pub admin_name: String,
    pub required: bool,
    pub granted: bool,
}

#[cfg(feature = "ssr")]
fn offset(page: i64) -> i64 {
    (page.max(1) - 1) * PER_PAGE
}

/// Open orders that still await shipping, oldest first.
#[cfg(feature = "ssr")]
pub async fn awaiting_orders(pool: &db::Pool, store_id: i64, page: i64) -> Result<Page<OrderRow>, AppError> {
    const AWAITING: &str =
        "store_id = ? AND status = 'open' AND (fulfillment_status IS NULL OR fulfillment_status = 'partial')";
    let total: i64 =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM synced_orders WHERE {AWAITING}")))
            .bind(store_id)
            .fetch_one(pool)
            .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, created_at_text, customer_name, ship_to, items, total_weight FROM synced_orders
         WHERE {AWAITING} ORDER BY created_at, id LIMIT ? OFFSET ?"
    )))
    .bind(store_id)
    .bind(PER_PAGE)
    .bind(offset(page))
    .fetch_all(pool)
    .await?;
    let rows = rows
        .iter()
        .map(|row| {
            use sqlx::Row;
            let date: String = row.try_get("created_at_text")?;
            Ok(OrderRow {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                date: date.split('T').next().unwrap_or_default().to_owned(),
                customer: row.try_get("customer_name")?,
                ship_to: row.try_get("ship_to")?,
                items: row.try_get("items")?,
                total_weight: row.try_get("total_weight")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Page { rows, page: page.max(1), total })
}

#[cfg(feature = "ssr")]
pub async fn products(pool: &db::Pool, store_id: i64, page: i64) -> Result<Page<ProductRow>, AppError> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM synced_products WHERE store_id = ?")
        .bind(store_id)
        .fetch_one(pool)
        .await?;
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, title, variants FROM synced_products WHERE store_id = ? ORDER BY title, id LIMIT ? OFFSET ?",
    )
    .bind(store_id)
    .bind(PER_PAGE)
    .bind(offset(page))
    .fetch_all(pool)
    .await?;
    let rows = rows.into_iter().map(|(id, title, variants)| ProductRow { id, title, variants }).collect();
    Ok(Page { rows, page: page.max(1), total })
}

#[cfg(feature = "ssr")]
pub async fn customers(pool: &db::Pool, store_id: i64, page: i64) -> Result<Page<CustomerRow>, AppError> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM synced_customers WHERE store_id = ?")
        .bind(store_id)
        .fetch_one(pool)
        .await?;
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT id, name, email FROM synced_customers WHERE store_id = ? ORDER BY name, id LIMIT ? OFFSET ?",
    )
    .bind(store_id)
    .bind(PER_PAGE)
    .bind(offset(page))
    .fetch_all(pool)
    .await?;
    let rows = rows.into_iter().map(|(id, name, email)| CustomerRow { id, name, email }).collect();
    Ok(Page { rows, page: page.max(1), total })
}

#[cfg(feature = "ssr")]
pub async fn locations(pool: &db::Pool, store_id: i64) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT name FROM synced_locations WHERE store_id = ? ORDER BY name")
        .bind(store_id)
        .fetch_all(pool)
        .await?)
}

/// The permissions table against the scopes the store granted.
#[cfg(feature = "ssr")]
pub async fn permissions(pool: &db::Pool, store_id: i64) -> Result<Vec<PermissionRow>, AppError> {
    let granted: String = sqlx::query_scalar("SELECT granted_scopes FROM stores WHERE id = ?")
        .bind(store_id)
        .fetch_optional(pool)
        .await?
        .unwrap_or_default();
    let granted: Vec<String> = granted.split_whitespace().map(str::to_owned).collect();
    Ok(crate::shopify::PERMISSIONS
        .iter()
        .map(|p| PermissionRow {
            admin_name: p.admin_name.to_owned(),
            required: p.without_it.is_none(),
            granted: crate::shopify::has_scope(&granted, p.scope),
        })
        .collect())
}
