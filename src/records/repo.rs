//! The `synced_*` tables: each record's queried columns beside its raw JSON (see [`RawJson`]).
//! A page is written in multi-row statements, and an older `updated_at` never overwrites a newer
//! record.

use serde_json::value::RawValue;
use sqlx::{QueryBuilder, Sqlite};

use super::{
    fields::{row, Cell, Refused},
    Counts, CustomerRow, OrderRow, Page, ProductRow, RawJson, Resource, PER_PAGE,
};
use crate::{
    db::{Conn, Pool},
    error::AppError,
    ids::StoreId,
};

/// The table, its conflict key and its columns (the key's first; `store_id` comes before all).
fn table(resource: Resource) -> (&'static str, &'static [&'static str], &'static [&'static str]) {
    match resource {
        Resource::Locations => ("synced_locations", &["id"], &["name", "updated_at", "raw"]),
        Resource::Products => ("synced_products", &["id"], &["title", "variants", "updated_at", "raw"]),
        Resource::Customers => ("synced_customers", &["id"], &["name", "email", "updated_at", "raw"]),
        Resource::Orders => (
            "synced_orders",
            &["id"],
            &[
                "name",
                "created_at_text",
                "created_at",
                "updated_at",
                "status",
                "fulfillment_status",
                "customer_name",
                "customer_id",
                "ship_to",
                "items",
                "total_weight",
                "total_price",
                "raw",
            ],
        ),
        Resource::InventoryLevels => {
            ("synced_inventory_levels", &["location_id", "inventory_item_id"], &["available", "updated_at", "raw"])
        }
    }
}

/// What storing a page did.
#[derive(Debug)]
pub struct Upserted {
    /// The records refused as malformed; nothing of theirs is written.
    pub refused: Vec<Refused>,
    /// The highest id in the page, stored or refused: where a `since_id` walk goes on from.
    pub last_id: Option<i64>,
}

/// How many records go in one statement. While SQLite writes a batch on its own thread, the next
/// batch is read and compressed here; the two take about as long as each other, so overlapping
/// them nearly halves the time a page takes.
const BATCH: usize = 50;

/// Stores a page of `resource` records.
pub async fn upsert(
    conn: &mut Conn,
    store_id: StoreId,
    resource: Resource,
    records: &[&RawValue],
) -> Result<Upserted, AppError> {
    let mut upserted = Upserted { refused: Vec::new(), last_id: None };
    let mut read = |batch: &[&RawValue]| {
        let mut rows = Vec::with_capacity(batch.len());
        for raw in batch {
            let (id, row) = row(resource, raw);
            upserted.last_id = upserted.last_id.max(id);
            match row {
                Ok(row) => rows.push(row),
                Err(why) => upserted.refused.push(Refused { id, why }),
            }
        }
        rows
    };
    let mut batches = records.chunks(BATCH);
    let mut rows = batches.next().map(&mut read).unwrap_or_default();
    for batch in batches {
        // Biased: the insert is polled first, so SQLite has the batch before the reading starts.
        let (inserted, next) =
            tokio::join!(biased; insert(&mut *conn, store_id, resource, rows), async { read(batch) });
        inserted?;
        rows = next;
    }
    insert(conn, store_id, resource, rows).await?;
    Ok(upserted)
}

/// One multi-row statement, in which an older `updated_at` never overwrites a newer record.
async fn insert(conn: &mut Conn, store_id: StoreId, resource: Resource, rows: Vec<Vec<Cell>>) -> Result<(), AppError> {
    if rows.is_empty() {
        return Ok(());
    }
    let (table, key, columns) = table(resource);
    let mut sql = QueryBuilder::<Sqlite>::new(format!(
        "INSERT INTO {table} (store_id, {}, {}) ",
        key.join(", "),
        columns.join(", ")
    ));
    sql.push_values(rows, |mut values, row| {
        values.push_bind(store_id);
        for cell in row {
            match cell {
                Cell::Int(v) => values.push_bind(v),
                Cell::Text(v) => values.push_bind(v),
                Cell::Raw(v) => values.push_bind(v),
            };
        }
    });
    let updates: Vec<String> = columns.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    sql.push(format!(
        " ON CONFLICT (store_id, {}) DO UPDATE SET {} WHERE excluded.updated_at >= {table}.updated_at",
        key.join(", "),
        updates.join(", ")
    ));
    sql.build().execute(conn).await?;
    Ok(())
}

/// The newest `updated_at` stored for the resource (Unix seconds), or 0.
pub async fn newest_updated_at(pool: &Pool, store_id: StoreId, resource: Resource) -> Result<i64, AppError> {
    let sql = format!("SELECT COALESCE(MAX(updated_at), 0) FROM {} WHERE store_id = $1", table(resource).0);
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(store_id).fetch_one(pool).await?)
}

/// The store's locations, by id.
pub async fn location_ids(pool: &Pool, store_id: StoreId) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar("SELECT id FROM synced_locations WHERE store_id = $1 ORDER BY id")
        .bind(store_id)
        .fetch_all(pool)
        .await?)
}

/// How many records of each kind the store has.
pub async fn counts(conn: &mut Conn, store_id: StoreId) -> Result<Counts, AppError> {
    let (orders, products, customers, locations) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM synced_orders WHERE store_id = $1),
                (SELECT COUNT(*) FROM synced_products WHERE store_id = $1),
                (SELECT COUNT(*) FROM synced_customers WHERE store_id = $1),
                (SELECT COUNT(*) FROM synced_locations WHERE store_id = $1)",
    )
    .bind(store_id)
    .fetch_one(conn)
    .await?;
    Ok(Counts { orders, products, customers, locations })
}

pub async fn delete_product(conn: &mut Conn, store_id: StoreId, id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM synced_products WHERE store_id = $1 AND id = $2")
        .bind(store_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The fields of an order that are a customer's personal data.
const PERSONAL: [&str; 7] =
    ["customer", "email", "contact_email", "phone", "billing_address", "shipping_address", "client_details"];

/// Deletes the customer and strips their personal data from the named orders and from their own.
pub async fn redact_customer(
    conn: &mut Conn,
    store_id: StoreId,
    customer: Option<i64>,
    orders: &[i64],
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM synced_customers WHERE store_id = $1 AND id = $2")
        .bind(store_id)
        .bind(customer)
        .execute(&mut *conn)
        .await?;
    let mut found = QueryBuilder::<Sqlite>::new("SELECT id, raw FROM synced_orders WHERE store_id = ");
    found.push_bind(store_id).push(" AND (customer_id = ").push_bind(customer).push(" OR id IN (");
    let mut ids = found.separated(", ");
    ids.push_bind(-1);
    for id in orders {
        ids.push_bind(*id);
    }
    found.push("))");
    let found: Vec<(i64, RawJson)> = found.build_query_as().fetch_all(&mut *conn).await?;
    for (id, RawJson(json)) in found {
        // Stored records are JSON objects: the sync refuses anything else.
        let mut order: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&json).map_err(|_| AppError::Internal)?;
        for personal in PERSONAL {
            order.remove(personal);
        }
        let redacted = serde_json::to_string(&order).map_err(|_| AppError::Internal)?;
        sqlx::query(
            "UPDATE synced_orders SET customer_name = NULL, customer_id = NULL, ship_to = NULL, raw = $1
             WHERE store_id = $2 AND id = $3",
        )
        .bind(RawJson::pack(&redacted))
        .bind(store_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deletes everything synced from the store; the store itself stays.
pub async fn erase(conn: &mut Conn, store_id: StoreId) -> Result<(), AppError> {
    for resource in Resource::ALL {
        let sql = format!("DELETE FROM {} WHERE store_id = $1", table(resource).0);
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(store_id).execute(&mut *conn).await?;
    }
    Ok(())
}

fn offset(page: i64) -> i64 {
    (page.max(1) - 1) * PER_PAGE
}

#[derive(sqlx::FromRow)]
struct AwaitingRow {
    id: i64,
    name: String,
    created_at_text: String,
    customer_name: Option<String>,
    ship_to: Option<String>,
    items: i64,
    total_weight: i64,
}

/// Open orders that still await shipping, oldest first.
pub async fn awaiting_orders(pool: &Pool, store_id: StoreId, page: i64) -> Result<Page<OrderRow>, AppError> {
    const AWAITING: &str =
        "store_id = $1 AND status = 'open' AND (fulfillment_status IS NULL OR fulfillment_status = 'partial')";
    let total: i64 =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM synced_orders WHERE {AWAITING}")))
            .bind(store_id)
            .fetch_one(pool)
            .await?;
    let rows: Vec<AwaitingRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, created_at_text, customer_name, ship_to, items, total_weight FROM synced_orders
         WHERE {AWAITING} ORDER BY created_at, id LIMIT $2 OFFSET $3"
    )))
    .bind(store_id)
    .bind(PER_PAGE)
    .bind(offset(page))
    .fetch_all(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|row| OrderRow {
            id: row.id,
            name: row.name,
            date: row.created_at_text.split('T').next().unwrap_or_default().to_owned(),
            customer: row.customer_name,
            ship_to: row.ship_to,
            items: row.items,
            total_weight: row.total_weight,
        })
        .collect();
    Ok(Page { rows, page: page.max(1), total })
}

/// One page of a store's rows of `table`, in `order`, with how many there are in all.
async fn list_page<T>(
    pool: &Pool,
    store_id: StoreId,
    page: i64,
    table: &str,
    columns: &str,
    order: &str,
) -> Result<Page<T>, AppError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    let count = format!("SELECT COUNT(*) FROM {table} WHERE store_id = $1");
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count)).bind(store_id).fetch_one(pool).await?;
    let select = format!("SELECT {columns} FROM {table} WHERE store_id = $1 ORDER BY {order} LIMIT $2 OFFSET $3");
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(select))
        .bind(store_id)
        .bind(PER_PAGE)
        .bind(offset(page))
        .fetch_all(pool)
        .await?;
    Ok(Page { rows, page: page.max(1), total })
}

pub async fn products(pool: &Pool, store_id: StoreId, page: i64) -> Result<Page<ProductRow>, AppError> {
    list_page(pool, store_id, page, "synced_products", "id, title, variants", "title, id").await
}

pub async fn customers(pool: &Pool, store_id: StoreId, page: i64) -> Result<Page<CustomerRow>, AppError> {
    list_page(pool, store_id, page, "synced_customers", "id, name, email", "name, id").await
}

/// The names of the store's locations.
pub async fn locations(pool: &Pool, store_id: StoreId) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT name FROM synced_locations WHERE store_id = $1 ORDER BY name")
        .bind(store_id)
        .fetch_all(pool)
        .await?)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, value::to_raw_value, Value};

    use super::*;
    use crate::db::fixtures;

    /// A database whose one store is store 1.
    async fn store(dir: &tempfile::TempDir) -> Pool {
        let pool = fixtures::pool(dir).await;
        assert_eq!(fixtures::connected_store(&pool).await, StoreId(1));
        pool
    }

    async fn upsert_one(conn: &mut Conn, resource: Resource, record: Value) -> Vec<Refused> {
        let raw = to_raw_value(&record).unwrap();
        upsert(conn, StoreId(1), resource, &[&raw]).await.unwrap().refused
    }

    #[tokio::test]
    async fn malformed_records_are_refused_with_a_reason_and_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let cases = [
            (json!({"title": "no id", "updated_at": "2026-01-01T00:00:00-05:00"}), "no numeric id", None),
            (json!({"id": "12", "updated_at": "2026-01-01T00:00:00-05:00"}), "no numeric id", None),
            (json!({"id": 12, "updated_at": "soon"}), "not a timestamp", Some(12)),
            (json!([1, 2]), "not a JSON object", None),
        ];
        for (record, why, id) in cases {
            let refused = upsert_one(&mut conn, Resource::Products, record).await;
            assert_eq!(refused.len(), 1);
            assert!(refused[0].why.contains(why), "{}", refused[0].why);
            assert_eq!(refused[0].id, id);
        }
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM synced_products").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(stored, 0);
    }

    #[tokio::test]
    async fn a_page_keeps_the_good_records_and_the_exact_text() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let good = RawValue::from_string(
            r#"{"id":5,"title":"Zoë","updated_at":"2026-01-01T00:00:00-05:00", "variants":[{},{}]}"#.into(),
        )
        .unwrap();
        let bad = to_raw_value(&json!({"id": 6, "updated_at": null})).unwrap();
        let upserted = upsert(&mut conn, StoreId(1), Resource::Products, &[&good, &bad]).await.unwrap();
        assert_eq!(upserted.refused.len(), 1);
        assert_eq!(upserted.last_id, Some(6), "a refused record still moves the walk on");
        let (title, variants, RawJson(raw)): (String, i64, RawJson) =
            sqlx::query_as("SELECT title, variants, raw FROM synced_products").fetch_one(&mut *conn).await.unwrap();
        assert_eq!((title.as_str(), variants, raw.as_str()), ("Zoë", 2, good.get()));
    }

    #[tokio::test]
    async fn orders_stored_before_compression_read_back_and_know_their_customer() {
        use std::str::FromStr;
        let dir = tempfile::tempdir().unwrap();
        let url = crate::db::sqlite_url_in(dir.path());
        // A database as it was before compression: migrations up to 0004, the JSON as text.
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        let before = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate!("./migrations").run_to(4, &before).await.unwrap();
        let json = r#"{"id":9,"customer":{"id":42,"first_name":"Ann"},"note":"as text"}"#;
        sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at) VALUES (1, 'shopify', 'S', 's.myshopify.com', 'connected', 0)")
            .execute(&before)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO synced_orders (store_id, id, name, created_at_text, created_at, updated_at, status, items,
                                        total_weight, total_price, raw)
             VALUES (1, 9, '#1009', '2026-01-01T00:00:00-05:00', 0, 0, 'open', 1, 0, '1.00', ?)",
        )
        .bind(json)
        .execute(&before)
        .await
        .unwrap();
        before.close().await;

        let pool = crate::db::connect(&url).await.unwrap();
        let (customer, RawJson(raw)): (Option<i64>, RawJson) =
            sqlx::query_as("SELECT customer_id, raw FROM synced_orders WHERE id = 9").fetch_one(&pool).await.unwrap();
        assert_eq!((customer, raw.as_str()), (Some(42), json));
    }

    #[tokio::test]
    async fn an_older_version_never_overwrites_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let version = |title: &str, at: &str| json!({"id": 7, "title": title, "updated_at": at, "variants": []});
        let title = "SELECT title FROM synced_products";
        upsert_one(&mut conn, Resource::Products, version("new", "2026-02-01T00:00:00-05:00")).await;
        upsert_one(&mut conn, Resource::Products, version("old", "2026-01-01T00:00:00-05:00")).await;
        assert_eq!(sqlx::query_scalar::<_, String>(title).fetch_one(&mut *conn).await.unwrap(), "new");
        upsert_one(&mut conn, Resource::Products, version("newer", "2026-03-01T00:00:00-05:00")).await;
        assert_eq!(sqlx::query_scalar::<_, String>(title).fetch_one(&mut *conn).await.unwrap(), "newer");
    }

    #[tokio::test]
    async fn raw_json_reads_back_both_compressed_and_plain_text() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let json = r#"{"id":1,"note":"Zoë"}"#;
        let (packed, plain, kind): (RawJson, RawJson, String) = sqlx::query_as("SELECT $1, $2, typeof($3)")
            .bind(RawJson::pack(json))
            .bind(json)
            .bind(RawJson::pack(json))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!((packed.0.as_str(), plain.0.as_str(), kind.as_str()), (json, json, "blob"));
    }
}
