//! Turning Shopify's JSON into rows: the columns the pages query, beside the raw JSON. An
//! older `updated_at` never overwrites a newer record.

use serde_json::Value;
use sqlx::SqliteConnection;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::error::AppError;

/// The resources a full sync walks, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Locations,
    Products,
    Customers,
    Orders,
    InventoryLevels,
}

impl Resource {
    pub const ALL: [Resource; 5] =
        [Resource::Locations, Resource::Products, Resource::Customers, Resource::Orders, Resource::InventoryLevels];

    pub fn key(self) -> &'static str {
        match self {
            Resource::Locations => "locations",
            Resource::Products => "products",
            Resource::Customers => "customers",
            Resource::Orders => "orders",
            Resource::InventoryLevels => "inventory_levels",
        }
    }
}

fn timestamp(value: &Value) -> Option<i64> {
    OffsetDateTime::parse(value.as_str()?, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned).filter(|s| !s.trim().is_empty())
}

fn full_name(value: &Value) -> Option<String> {
    let name = [value["first_name"].as_str(), value["last_name"].as_str()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// Why a record cannot be stored, for the failed-items list.
pub type Malformed = String;

fn id_and_updated(record: &Value) -> Result<(i64, i64), Malformed> {
    let id = record["id"].as_i64().filter(|id| *id > 0).ok_or("it has no numeric id")?;
    let updated = timestamp(&record["updated_at"]).ok_or("its updated_at is not a timestamp")?;
    Ok((id, updated))
}

/// Stores one record of `resource`; `Err` says why it is malformed (nothing is written then).
pub async fn upsert(
    conn: &mut SqliteConnection,
    store_id: i64,
    resource: Resource,
    record: &Value,
) -> Result<Result<(), Malformed>, AppError> {
    let raw = record.to_string();
    match resource {
        Resource::Locations => {
            let (id, updated) = match id_and_updated(record) {
                Ok(v) => v,
                Err(why) => return Ok(Err(why)),
            };
            sqlx::query(
                "INSERT INTO synced_locations (store_id, id, name, updated_at, raw) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (store_id, id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at, raw = excluded.raw
                 WHERE excluded.updated_at >= synced_locations.updated_at",
            )
            .bind(store_id)
            .bind(id)
            .bind(text(&record["name"]).unwrap_or_default())
            .bind(updated)
            .bind(raw)
            .execute(conn)
            .await?;
        }
        Resource::Products => {
            let (id, updated) = match id_and_updated(record) {
                Ok(v) => v,
                Err(why) => return Ok(Err(why)),
            };
            let variants = record["variants"].as_array().map_or(0, Vec::len) as i64;
            sqlx::query(
                "INSERT INTO synced_products (store_id, id, title, variants, updated_at, raw) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (store_id, id) DO UPDATE SET title = excluded.title, variants = excluded.variants,
                    updated_at = excluded.updated_at, raw = excluded.raw
                 WHERE excluded.updated_at >= synced_products.updated_at",
            )
            .bind(store_id)
            .bind(id)
            .bind(text(&record["title"]).unwrap_or_default())
            .bind(variants)
            .bind(updated)
            .bind(raw)
            .execute(conn)
            .await?;
        }
        Resource::Customers => {
            let (id, updated) = match id_and_updated(record) {
                Ok(v) => v,
                Err(why) => return Ok(Err(why)),
            };
            sqlx::query(
                "INSERT INTO synced_customers (store_id, id, name, email, updated_at, raw) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (store_id, id) DO UPDATE SET name = excluded.name, email = excluded.email,
                    updated_at = excluded.updated_at, raw = excluded.raw
                 WHERE excluded.updated_at >= synced_customers.updated_at",
            )
            .bind(store_id)
            .bind(id)
            .bind(full_name(record).unwrap_or_default())
            .bind(text(&record["email"]))
            .bind(updated)
            .bind(raw)
            .execute(conn)
            .await?;
        }
        Resource::Orders => {
            let (id, updated) = match id_and_updated(record) {
                Ok(v) => v,
                Err(why) => return Ok(Err(why)),
            };
            let Some(created) = timestamp(&record["created_at"]) else {
                return Ok(Err("its created_at is not a timestamp".into()));
            };
            let status = if !record["cancelled_at"].is_null() {
                "cancelled"
            } else if !record["closed_at"].is_null() {
                "closed"
            } else {
                "open"
            };
            let ship = &record["shipping_address"];
            let ship_to = (!ship.is_null()).then(|| {
                [&ship["name"], &ship["address1"], &ship["city"], &ship["zip"], &ship["country"]]
                    .into_iter()
                    .filter_map(text)
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            let customer = full_name(&record["customer"]).or_else(|| full_name(ship));
            let items: i64 = record["line_items"]
                .as_array()
                .map_or(0, |lines| lines.iter().filter_map(|l| l["quantity"].as_i64()).sum());
            sqlx::query(
                "INSERT INTO synced_orders (store_id, id, name, created_at_text, created_at, updated_at, status,
                    fulfillment_status, customer_name, ship_to, items, total_weight, total_price, raw)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (store_id, id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at,
                    status = excluded.status, fulfillment_status = excluded.fulfillment_status,
                    customer_name = excluded.customer_name, ship_to = excluded.ship_to, items = excluded.items,
                    total_weight = excluded.total_weight, total_price = excluded.total_price, raw = excluded.raw
                 WHERE excluded.updated_at >= synced_orders.updated_at",
            )
            .bind(store_id)
            .bind(id)
            .bind(text(&record["name"]).unwrap_or_default())
            .bind(record["created_at"].as_str().unwrap_or_default())
            .bind(created)
            .bind(updated)
            .bind(status)
            .bind(text(&record["fulfillment_status"]))
            .bind(customer)
            .bind(ship_to)
            .bind(items)
            .bind(record["total_weight"].as_i64().unwrap_or(0))
            .bind(text(&record["total_price"]).unwrap_or_else(|| "0.00".into()))
            .bind(raw)
            .execute(conn)
            .await?;
        }
        Resource::InventoryLevels => {
            let (Some(location), Some(item)) = (record["location_id"].as_i64(), record["inventory_item_id"].as_i64())
            else {
                return Ok(Err("it names no location or inventory item".into()));
            };
            let Some(updated) = timestamp(&record["updated_at"]) else {
                return Ok(Err("its updated_at is not a timestamp".into()));
            };
            sqlx::query(
                "INSERT INTO synced_inventory_levels (store_id, location_id, inventory_item_id, available, updated_at, raw)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (store_id, location_id, inventory_item_id) DO UPDATE SET available = excluded.available,
                    updated_at = excluded.updated_at, raw = excluded.raw
                 WHERE excluded.updated_at >= synced_inventory_levels.updated_at",
            )
            .bind(store_id)
            .bind(location)
            .bind(item)
            .bind(record["available"].as_i64())
            .bind(updated)
            .bind(raw)
            .execute(conn)
            .await?;
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store(dir: &tempfile::TempDir) -> crate::server::db::Pool {
        let pool = crate::server::db::connect(&crate::server::db::sqlite_url_in(dir.path())).await.unwrap();
        sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at) VALUES (1, 'shopify', 'S', 's.myshopify.com', 'connected', 0)")
            .execute(&pool)
            .await
            .unwrap();
        pool
    }

    #[tokio::test]
    async fn malformed_records_are_refused_with_a_reason_and_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let cases = [
            (serde_json::json!({"title": "no id", "updated_at": "2026-01-01T00:00:00-05:00"}), "no numeric id"),
            (serde_json::json!({"id": "12", "updated_at": "2026-01-01T00:00:00-05:00"}), "no numeric id"),
            (serde_json::json!({"id": 12, "updated_at": "soon"}), "not a timestamp"),
        ];
        for (record, why) in cases {
            let refused = upsert(&mut conn, 1, Resource::Products, &record).await.unwrap().unwrap_err();
            assert!(refused.contains(why), "{refused}");
        }
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM synced_products").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(stored, 0);
    }

    #[tokio::test]
    async fn an_older_version_never_overwrites_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let version =
            |title: &str, at: &str| serde_json::json!({"id": 7, "title": title, "updated_at": at, "variants": []});
        upsert(&mut conn, 1, Resource::Products, &version("new", "2026-02-01T00:00:00-05:00")).await.unwrap().unwrap();
        upsert(&mut conn, 1, Resource::Products, &version("old", "2026-01-01T00:00:00-05:00")).await.unwrap().unwrap();
        let title: String =
            sqlx::query_scalar("SELECT title FROM synced_products").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(title, "new");
        upsert(&mut conn, 1, Resource::Products, &version("newer", "2026-03-01T00:00:00-05:00"))
            .await
            .unwrap()
            .unwrap();
        let title: String =
            sqlx::query_scalar("SELECT title FROM synced_products").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(title, "newer");
    }

    #[test]
    fn timestamps_keep_their_offsets_meaning() {
        assert_eq!(timestamp(&Value::from("2008-01-10T11:00:00-05:00")), Some(1_199_980_800));
        assert_eq!(timestamp(&Value::from("yesterday")), None);
    }
}
