//! The `drift_checks` table: each store's last check.

use std::collections::BTreeMap;

use super::DriftCheck;
use crate::{
    db::{self, Pool},
    error::AppError,
    ids::StoreId,
};

type Row = (StoreId, i64, i64, i64, i64, String);

fn from_row((store_id, checked_at, platform_count, storelink_count, fetched_again, unresolved): Row) -> DriftCheck {
    DriftCheck {
        store_id,
        checked_at,
        platform_count,
        storelink_count,
        fetched_again,
        unresolved: serde_json::from_str(&unresolved).unwrap_or_default(),
    }
}

/// Keeps the store's check in place of the one before.
pub async fn save(pool: &Pool, check: &DriftCheck) -> Result<(), AppError> {
    let unresolved = serde_json::to_string(&check.unresolved).map_err(|_| AppError::Internal)?;
    db::run!(pool, c => sqlx::query(
        "INSERT INTO drift_checks (store_id, checked_at, platform_count, storelink_count, fetched_again, unresolved)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (store_id) DO UPDATE SET checked_at = excluded.checked_at,
             platform_count = excluded.platform_count, storelink_count = excluded.storelink_count,
             fetched_again = excluded.fetched_again, unresolved = excluded.unresolved",
    )
    .bind(check.store_id)
    .bind(check.checked_at)
    .bind(check.platform_count)
    .bind(check.storelink_count)
    .bind(check.fetched_again)
    .bind(unresolved)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The last check of each of `stores`, by store.
pub async fn of_stores(pool: &Pool, stores: &[StoreId]) -> Result<BTreeMap<StoreId, DriftCheck>, AppError> {
    let rows: Vec<Row> = db::run!(pool, c => {
        let mut sql = sqlx::QueryBuilder::new(
            "SELECT store_id, checked_at, platform_count, storelink_count, fetched_again, unresolved FROM drift_checks WHERE ",
        );
        db::push_in(&mut sql, "store_id", stores.iter().map(|s| s.0));
        sql.build_query_as().fetch_all(&mut *c).await
    })?;
    Ok(rows.into_iter().map(from_row).map(|check| (check.store_id, check)).collect())
}

/// When each store was last checked.
pub async fn checked_at(pool: &Pool) -> Result<BTreeMap<StoreId, i64>, AppError> {
    let rows: Vec<(StoreId, i64)> = db::run!(pool, c => sqlx::query_as("SELECT store_id, checked_at FROM drift_checks")
        .fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().collect())
}
