//! The `stores` table and its credentials.

use sqlx::{sqlite::SqliteRow, Row, SqliteConnection};

use super::{StoreDto, StoreState};
use crate::{audit, error::AppError, server::db, users::UserDto};

const COLUMNS: &str = "id, platform, name, shop_domain, state, state_detail, warnings, last_synced_at,
     orders_count, products_count, customers_count, locations_count";

fn store_from_row(row: &SqliteRow) -> Result<StoreDto, sqlx::Error> {
    let warnings: String = row.try_get("warnings")?;
    Ok(StoreDto {
        id: row.try_get("id")?,
        platform: row.try_get("platform")?,
        name: row.try_get("name")?,
        shop_domain: row.try_get("shop_domain")?,
        state: StoreState::parse(&row.try_get::<String, _>("state")?),
        state_detail: row.try_get("state_detail")?,
        warnings: warnings.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        last_synced_at: row.try_get("last_synced_at")?,
        orders: row.try_get("orders_count")?,
        products: row.try_get("products_count")?,
        customers: row.try_get("customers_count")?,
        locations: row.try_get("locations_count")?,
    })
}

pub async fn list(pool: &db::Pool) -> Result<Vec<StoreDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM stores ORDER BY name, id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
    Ok(rows.iter().map(store_from_row).collect::<Result<_, _>>()?)
}

pub async fn get(pool: &db::Pool, id: i64) -> Result<Option<StoreDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
    Ok(row.as_ref().map(store_from_row).transpose()?)
}

pub async fn find_by_domain(pool: &db::Pool, domain: &str) -> Result<Option<StoreDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE shop_domain = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(domain).fetch_optional(pool).await?;
    Ok(row.as_ref().map(store_from_row).transpose()?)
}

/// The sealed credentials of a store: API key, password, shared secret.
pub async fn credentials(pool: &db::Pool, store_id: i64) -> Result<Option<(String, Vec<u8>, Vec<u8>)>, AppError> {
    Ok(sqlx::query_as("SELECT api_key, api_password, shared_secret FROM store_credentials WHERE store_id = ?")
        .bind(store_id)
        .fetch_optional(pool)
        .await?)
}

pub async fn webhook_ids(pool: &db::Pool, store_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar("SELECT webhook_id FROM store_webhooks WHERE store_id = ?")
        .bind(store_id)
        .fetch_all(pool)
        .await?)
}

/// Marks the store disconnected, deletes its credentials and webhook records, and cancels its
/// sync jobs, in one transaction with the audit entry.
pub async fn mark_disconnected(
    pool: &db::Pool,
    user: &UserDto,
    store: &StoreDto,
    detail: &str,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE stores SET state = 'disconnected', state_detail = NULL WHERE id = ?")
        .bind(store.id)
        .execute(&mut *tx)
        .await?;
    delete_credentials(&mut tx, store.id).await?;
    audit::repo::record(&mut tx, user, "Disconnected store", Some((store.id, &store.name)), detail).await?;
    tx.commit().await?;
    Ok(())
}

/// Recounts the store's synced records, for the Stores page.
pub async fn refresh_counts(conn: &mut SqliteConnection, store_id: i64) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE stores SET
            orders_count = (SELECT COUNT(*) FROM synced_orders WHERE store_id = stores.id),
            products_count = (SELECT COUNT(*) FROM synced_products WHERE store_id = stores.id),
            customers_count = (SELECT COUNT(*) FROM synced_customers WHERE store_id = stores.id),
            locations_count = (SELECT COUNT(*) FROM synced_locations WHERE store_id = stores.id)
         WHERE id = ?",
    )
    .bind(store_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Shopify says the app was uninstalled: the credentials no longer work, so they go, and the
/// store waits for an administrator to reconnect it.
pub async fn mark_uninstalled(pool: &db::Pool, store_id: i64) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let name: Option<String> = sqlx::query_scalar(
        "UPDATE stores SET state = 'disconnected', state_detail = 'App uninstalled in Shopify — reconnect'
         WHERE id = ? RETURNING name",
    )
    .bind(store_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(name) = name else { return Ok(()) };
    delete_credentials(&mut tx, store_id).await?;
    audit::repo::record_for_shopify(&mut tx, "App uninstalled", Some((store_id, &name)), "credentials deleted").await?;
    tx.commit().await?;
    Ok(())
}

async fn delete_credentials(conn: &mut SqliteConnection, store_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM store_credentials WHERE store_id = ?").bind(store_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM store_webhooks WHERE store_id = ?").bind(store_id).execute(&mut *conn).await?;
    sqlx::query("UPDATE sync_jobs SET state = 'cancelled', updated_at = ? WHERE store_id = ? AND state IN ('queued', 'running')")
        .bind(db::now())
        .bind(store_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes a disconnected store and its synced data (cascading); connected stores are refused.
pub async fn remove(pool: &db::Pool, user: &UserDto, store_id: i64) -> Result<(), AppError> {
    // The DELETE comes first, so the transaction takes SQLite's write lock at once (a read
    // first could not be upgraded while the sync engine writes).
    let mut tx = pool.begin().await?;
    let deleted: Option<String> =
        sqlx::query_scalar("DELETE FROM stores WHERE id = ? AND state = 'disconnected' RETURNING name")
            .bind(store_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(name) = deleted else {
        drop(tx);
        return match get(pool, store_id).await? {
            None => Err(AppError::NotFound("That store does not exist.".into())),
            Some(store) => Err(AppError::Conflict(format!("Disconnect {} before removing it.", store.name))),
        };
    };
    audit::repo::record(
        &mut tx,
        user,
        "Removed store",
        Some((store_id, &name)),
        "the store and its synced data were deleted",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
