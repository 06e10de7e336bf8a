//! The `stores` table.

use sqlx::Row;

use super::StoreDto;
use crate::{error::AppError, server::db};

pub async fn list(pool: &db::Pool) -> Result<Vec<StoreDto>, AppError> {
    let rows = sqlx::query(
        "SELECT id, platform, name, shop_domain, state, last_synced_at,
                orders_count, products_count, customers_count, locations_count
         FROM stores ORDER BY name, id",
    )
    .fetch_all(pool)
    .await?;
    let stores = rows
        .iter()
        .map(|row| {
            Ok(StoreDto {
                id: row.try_get("id")?,
                platform: row.try_get("platform")?,
                name: row.try_get("name")?,
                shop_domain: row.try_get("shop_domain")?,
                state: row.try_get("state")?,
                last_synced_at: row.try_get("last_synced_at")?,
                orders: row.try_get("orders_count")?,
                products: row.try_get("products_count")?,
                customers: row.try_get("customers_count")?,
                locations: row.try_get("locations_count")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(stores)
}
