//! The `stores` and `store_webhooks` tables.

use super::{Platform, StoreDto, StoreState};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::{OrgId, StoreId, UserId},
};

const COLUMNS: &str = "id, platform, name, shop_domain, state, state_detail, warnings, last_synced_at,
     orders_count, products_count, customers_count, locations_count, organization_id";

#[derive(sqlx::FromRow)]
struct StoreRow {
    id: StoreId,
    platform: Platform,
    name: String,
    shop_domain: String,
    state: StoreState,
    state_detail: Option<String>,
    /// One warning per line.
    warnings: String,
    last_synced_at: Option<i64>,
    orders_count: i64,
    products_count: i64,
    customers_count: i64,
    locations_count: i64,
    organization_id: OrgId,
}

impl From<StoreRow> for StoreDto {
    fn from(row: StoreRow) -> StoreDto {
        StoreDto {
            id: row.id,
            org: row.organization_id,
            platform: row.platform,
            name: row.name,
            shop_domain: row.shop_domain,
            state: row.state,
            state_detail: row.state_detail,
            warnings: row.warnings.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            last_synced_at: row.last_synced_at,
            orders: row.orders_count,
            products: row.products_count,
            customers: row.customers_count,
            locations: row.locations_count,
        }
    }
}

/// The organization's stores.
pub async fn list(pool: &Pool, org: OrgId) -> Result<Vec<StoreDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE organization_id = $1 ORDER BY name, id");
    let rows: Vec<StoreRow> =
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().map(StoreDto::from).collect())
}

/// Every organization's stores: for the installation's metrics and background checks, never a
/// page.
pub async fn all(pool: &Pool) -> Result<Vec<StoreDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM stores ORDER BY id");
    let rows: Vec<StoreRow> = db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().map(StoreDto::from).collect())
}

/// The stores of every organization with e-commerce on: what background checks look at.
pub async fn of_enabled_organizations(pool: &Pool) -> Result<Vec<StoreDto>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM stores WHERE organization_id IN (SELECT id FROM organizations WHERE enabled) ORDER BY id"
    );
    let rows: Vec<StoreRow> = db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().map(StoreDto::from).collect())
}

/// Every store's id and organization, in every organization: for background work.
pub async fn ids(pool: &Pool) -> Result<Vec<(StoreId, OrgId)>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_as("SELECT id, organization_id FROM stores ORDER BY id").fetch_all(&mut *c).await)?,
    )
}

/// The store, when it is the organization's: how a store id from a request is read.
pub async fn get(pool: &Pool, org: OrgId, id: StoreId) -> Result<Option<StoreDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE id = $1 AND organization_id = $2");
    let row: Option<StoreRow> = db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(org)
        .fetch_optional(&mut *c).await)?;
    Ok(row.map(StoreDto::from))
}

/// The store, whichever organization's: for background work that started from the store's own
/// row (its sync job, its shipment, its webhook delivery), never for a request's id.
pub async fn load(pool: &Pool, id: StoreId) -> Result<Option<StoreDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE id = $1");
    let row: Option<StoreRow> =
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await)?;
    Ok(row.map(StoreDto::from))
}

pub async fn find_by_domain(pool: &Pool, domain: &str) -> Result<Option<StoreDto>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE shop_domain = $1");
    let row: Option<StoreRow> =
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(domain).fetch_optional(&mut *c).await)?;
    Ok(row.map(StoreDto::from))
}

pub async fn name(conn: &mut Conn, id: StoreId) -> Result<Option<String>, AppError> {
    Ok(
        db::run!(&mut *conn, c => sqlx::query_scalar("SELECT name FROM stores WHERE id = $1").bind(id).fetch_optional(&mut *c).await)?,
    )
}

/// What the platform said about a store when it was registered.
pub struct ShopDetails<'a> {
    pub platform: Platform,
    pub name: &'a str,
    pub shop_json: &'a str,
    pub granted_scopes: &'a [String],
    pub warnings: &'a [String],
}

/// How many stores the organization has (connected or not).
pub async fn count(conn: &mut Conn, org: OrgId) -> Result<i64, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM stores WHERE organization_id = $1")
        .bind(org)
        .fetch_one(&mut *c).await)?)
}

/// Saves a newly registered store of `org` as connected; `None` when the domain is already taken.
pub async fn insert_connected(
    conn: &mut Conn,
    org: OrgId,
    domain: &str,
    shop: &ShopDetails<'_>,
    registered_by: UserId,
) -> Result<Option<StoreId>, AppError> {
    let inserted = db::run!(&mut *conn, c => sqlx::query_scalar(
        "INSERT INTO stores (platform, name, shop_domain, state, shop_json, granted_scopes, warnings, registered_by, created_at,
                             organization_id)
         VALUES ($8, $1, $2, 'connected', $3, $4, $5, $6, $7, $9) RETURNING id",
    )
    .bind(shop.name)
    .bind(domain)
    .bind(shop.shop_json)
    .bind(shop.granted_scopes.join(" "))
    .bind(shop.warnings.join("\n"))
    .bind(registered_by)
    .bind(db::now())
    .bind(shop.platform)
    .bind(org)
    .fetch_one(&mut *c).await);
    match inserted {
        Ok(id) => Ok(Some(id)),
        Err(err)
            if db::violates(&err, &db::Unique { columns: "stores.shop_domain", name: "stores_shop_domain_key" }) =>
        {
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

/// Connects a disconnected store, or one whose credentials its platform refused, again with new
/// credentials; `None` unless it was still in that state, so two reconnects cannot both win.
/// Connects the store again with the shop's details as they are now; a store still connected
/// only when `even_connected` (its credentials are being replaced). `None` when nothing changed.
pub async fn reconnect(
    conn: &mut Conn,
    id: StoreId,
    shop: &ShopDetails<'_>,
    even_connected: bool,
) -> Result<Option<StoreId>, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(
        "UPDATE stores SET state = 'connected', state_detail = NULL, name = $1, shop_json = $2, granted_scopes = $3,
                           warnings = $4, secret_unverified = FALSE
         WHERE id = $5 AND (state IN ('disconnected', 'refused') OR $6) RETURNING id",
    )
    .bind(shop.name)
    .bind(shop.shop_json)
    .bind(shop.granted_scopes.join(" "))
    .bind(shop.warnings.join("\n"))
    .bind(id)
    .bind(even_connected)
    .fetch_optional(&mut *c).await)?)
}

/// Marks the store disconnected, with why when its platform did it; returns its name, or `None`
/// when there is no such store.
/// Marks the store disconnected; its name and organization, or `None` when it does not exist.
pub async fn mark_disconnected(
    conn: &mut Conn,
    id: StoreId,
    detail: Option<&str>,
) -> Result<Option<(String, OrgId)>, AppError> {
    Ok(
        db::run!(&mut *conn, c => sqlx::query_as("UPDATE stores SET state = 'disconnected', state_detail = $1 WHERE id = $2 RETURNING name, organization_id")
        .bind(detail)
        .bind(id)
        .fetch_optional(&mut *c).await)?,
    )
}

/// Deletes the organization's disconnected store (its synced records are
/// `records::repo::erase`'s); returns its name, or `None` when the organization has no such
/// store or it is still connected.
pub async fn delete_disconnected(conn: &mut Conn, org: OrgId, id: StoreId) -> Result<Option<String>, AppError> {
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(
        "DELETE FROM stores WHERE id = $1 AND organization_id = $2 AND state = 'disconnected' RETURNING name",
    )
    .bind(id)
    .bind(org)
    .fetch_optional(&mut *c).await)?)
}

/// The shop's details as the last sync read them.
pub async fn update_shop(conn: &mut Conn, id: StoreId, shop_json: &str, name: Option<&str>) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("UPDATE stores SET shop_json = $1, name = COALESCE($2, name) WHERE id = $3")
        .bind(shop_json)
        .bind(name)
        .bind(id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A sync finished: when, and no state to explain any more.
pub async fn mark_synced(conn: &mut Conn, id: StoreId) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("UPDATE stores SET last_synced_at = $1, state_detail = NULL WHERE id = $2")
        .bind(db::now())
        .bind(id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The platform refused the store's credentials: it waits for new ones, and says why.
pub async fn mark_refused(conn: &mut Conn, id: StoreId, detail: &str) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("UPDATE stores SET state = 'refused', state_detail = $1 WHERE id = $2 AND state = 'connected'")
        .bind(detail)
        .bind(id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Why the store's sync stopped, in words.
pub async fn set_state_detail(conn: &mut Conn, id: StoreId, detail: &str) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("UPDATE stores SET state_detail = $1 WHERE id = $2").bind(detail).bind(id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The access scopes the store granted at registration.
pub async fn granted_scopes(pool: &Pool, id: StoreId) -> Result<Vec<String>, AppError> {
    let granted: Option<String> = db::run!(pool, c => sqlx::query_scalar("SELECT granted_scopes FROM stores WHERE id = $1").bind(id).fetch_optional(&mut *c).await)?;
    Ok(granted.unwrap_or_default().split_whitespace().map(str::to_owned).collect())
}

/// The ids of the webhook subscriptions storelink created for the store.
pub async fn webhook_ids(pool: &Pool, id: StoreId) -> Result<Vec<i64>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_scalar("SELECT webhook_id FROM store_webhooks WHERE store_id = $1").bind(id).fetch_all(&mut *c).await)?,
    )
}

/// The topics the store is subscribed to, by name.
pub async fn webhook_topics(pool: &Pool, id: StoreId) -> Result<Vec<String>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT topic FROM store_webhooks WHERE store_id = $1 ORDER BY topic")
        .bind(id)
        .fetch_all(&mut *c).await)?)
}

/// Records the subscriptions the platform holds for the store now, and when some had to be made
/// again because the platform had dropped them.
pub async fn replace_webhooks(
    pool: &Pool,
    id: StoreId,
    subscriptions: &[(i64, String)],
    repaired: bool,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    db::run!(&mut tx, c => sqlx::query("DELETE FROM store_webhooks WHERE store_id = $1").bind(id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    for (webhook_id, topic) in subscriptions {
        db::run!(&mut tx, c => sqlx::query(
            "INSERT INTO store_webhooks (store_id, webhook_id, topic) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(webhook_id)
        .bind(topic)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    if repaired {
        db::run!(&mut tx, c => sqlx::query("UPDATE stores SET webhooks_repaired_at = $1 WHERE id = $2")
            .bind(db::now())
            .bind(id)
            .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(())
}

/// Counts a delivery refused for its signature.
pub async fn count_rejected_delivery(pool: &Pool, id: StoreId) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query(
        "UPDATE stores SET webhooks_rejected = webhooks_rejected + 1, webhooks_last_rejected_at = $1,
                           secret_unverified = TRUE
         WHERE id = $2",
    )
    .bind(db::now())
    .bind(id)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A delivery verified with the store's secret: it is right after all.
pub async fn delivery_verified(pool: &Pool, id: StoreId) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("UPDATE stores SET secret_unverified = FALSE WHERE id = $1 AND secret_unverified")
        .bind(id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether a signed delivery was refused since the last that verified.
pub async fn secret_unverified(pool: &Pool, id: StoreId) -> Result<bool, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT secret_unverified FROM stores WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c).await)?
    .unwrap_or(false))
}

/// Counts a verified delivery ignored as a replay: the platform made it too long ago.
pub async fn count_stale_delivery(pool: &Pool, id: StoreId) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query("UPDATE stores SET webhooks_stale = webhooks_stale + 1 WHERE id = $1").bind(id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Deliveries refused so far, when the last was, when subscriptions were last repaired, and
/// replays ignored.
pub async fn webhook_figures(pool: &Pool, id: StoreId) -> Result<(i64, Option<i64>, Option<i64>, i64), AppError> {
    Ok(db::run!(pool, c => sqlx::query_as(
        "SELECT webhooks_rejected, webhooks_last_rejected_at, webhooks_repaired_at, webhooks_stale
         FROM stores WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c).await)?
    .unwrap_or((0, None, None, 0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::fixtures::{connected_store, pool};

    #[tokio::test]
    async fn an_unknown_state_is_an_error_not_a_guess() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&dir).await;
        let id = connected_store(&pool).await;
        assert_eq!(load(&pool, id).await.unwrap().unwrap().state, StoreState::Connected);
        db::run!(&pool, c => sqlx::query("UPDATE stores SET state = 'Connected' WHERE id = $1").bind(id).execute(&mut *c).await.map(|done| done.rows_affected())).unwrap();
        assert!(load(&pool, id).await.is_err(), "a state storelink never writes is refused when read");
    }
}
