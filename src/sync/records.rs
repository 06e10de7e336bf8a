//! Turning Shopify's JSON into rows: the columns the pages query, beside the raw JSON exactly as
//! Shopify sent it (compressed, see [`RawJson`]). A page is written in multi-row statements, and
//! an older `updated_at` never overwrites a newer record.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use sqlx::{
    error::BoxDynError,
    sqlite::{SqliteTypeInfo, SqliteValueRef},
    QueryBuilder, Sqlite, SqliteConnection, TypeInfo, ValueRef,
};
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

    /// The table this resource's records are stored in.
    pub fn table_name(self) -> &'static str {
        self.table().0
    }

    /// The table, its conflict key and its columns (the key's first; `store_id` comes before all).
    fn table(self) -> (&'static str, &'static [&'static str], &'static [&'static str]) {
        match self {
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
}

/// A `raw` column: a record's JSON exactly as Shopify sent it, stored lz4-compressed. An order is
/// about 10 KB of JSON; writing it, more than parsing it, bounded how fast a sync stores pages,
/// and it compresses about 3× in a few microseconds. Rows stored before compression hold the
/// text itself; both read back as the text.
#[derive(Debug)]
pub struct RawJson(pub String);

impl RawJson {
    /// What the column stores for `json`.
    pub fn pack(json: &str) -> Vec<u8> {
        lz4_flex::compress_prepend_size(json.as_bytes())
    }
}

impl sqlx::Type<Sqlite> for RawJson {
    fn type_info() -> SqliteTypeInfo {
        <Vec<u8> as sqlx::Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <Vec<u8> as sqlx::Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Sqlite> for RawJson {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let packed = value.type_info().name() == "BLOB";
        let bytes = <&[u8] as sqlx::Decode<Sqlite>>::decode(value)?;
        let text = if packed { lz4_flex::decompress_size_prepended(bytes)? } else { bytes.to_vec() };
        Ok(RawJson(String::from_utf8(text)?))
    }
}

/// Why a record cannot be stored, for the failed-items list.
pub type Malformed = String;

/// A record that was not stored: its id when it has one, and why.
#[derive(Debug)]
pub struct Refused {
    pub id: Option<i64>,
    pub why: Malformed,
}

/// One column's value.
enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Raw(Vec<u8>),
}

/// The fields the columns come from; everything else stays only in the raw JSON. Each is read
/// leniently, so one odd field makes a failed item with a reason, not a failed page.
#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    updated_at: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    title: Option<&'a RawValue>,
    #[serde(borrow)]
    email: Option<&'a RawValue>,
    #[serde(borrow)]
    first_name: Option<&'a RawValue>,
    #[serde(borrow)]
    last_name: Option<&'a RawValue>,
    #[serde(borrow)]
    variants: Option<&'a RawValue>,
    #[serde(borrow)]
    cancelled_at: Option<&'a RawValue>,
    #[serde(borrow)]
    closed_at: Option<&'a RawValue>,
    #[serde(borrow)]
    fulfillment_status: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
    #[serde(borrow)]
    shipping_address: Option<&'a RawValue>,
    #[serde(borrow)]
    line_items: Option<&'a RawValue>,
    #[serde(borrow)]
    total_weight: Option<&'a RawValue>,
    #[serde(borrow)]
    total_price: Option<&'a RawValue>,
    #[serde(borrow)]
    location_id: Option<&'a RawValue>,
    #[serde(borrow)]
    inventory_item_id: Option<&'a RawValue>,
    #[serde(borrow)]
    available: Option<&'a RawValue>,
}

fn read<'a, T: Deserialize<'a>>(field: Option<&'a RawValue>) -> Option<T> {
    serde_json::from_str(field?.get()).ok()
}

fn int(field: Option<&RawValue>) -> Option<i64> {
    read(field)
}

/// A non-blank string.
fn text(field: Option<&RawValue>) -> Option<String> {
    read::<Cow<str>>(field).filter(|s| !s.trim().is_empty()).map(Cow::into_owned)
}

fn timestamp(field: Option<&RawValue>) -> Option<i64> {
    OffsetDateTime::parse(&read::<Cow<str>>(field)?, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

fn is_null(field: Option<&RawValue>) -> bool {
    field.is_none_or(|f| f.get() == "null")
}

#[derive(Deserialize)]
struct Person<'a> {
    /// Set on an order's customer.
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    first_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
}

impl Person<'_> {
    fn full_name(&self) -> Option<String> {
        let name = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_ref())
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then_some(name)
    }
}

#[derive(Deserialize)]
struct ShipTo<'a> {
    #[serde(borrow)]
    first_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    address1: Option<&'a RawValue>,
    #[serde(borrow)]
    city: Option<&'a RawValue>,
    #[serde(borrow)]
    zip: Option<&'a RawValue>,
    #[serde(borrow)]
    country: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Line {
    quantity: Option<i64>,
}

fn id_and_updated(fields: &Fields) -> Result<(i64, i64), Malformed> {
    let id = int(fields.id).filter(|id| *id > 0).ok_or("it has no numeric id")?;
    let updated = timestamp(fields.updated_at).ok_or("its updated_at is not a timestamp")?;
    Ok((id, updated))
}

/// The record's id when it has one (stored or not, for the checkpoint and the failed-items
/// list), and its row or why it cannot be stored. The JSON is read once for both.
fn row(resource: Resource, raw: &RawValue) -> (Option<i64>, Result<Vec<Cell>, Malformed>) {
    match serde_json::from_str::<Fields>(raw.get()) {
        Ok(fields) => (int(fields.id), cells(resource, &fields, raw)),
        Err(_) => (None, Err("it is not a JSON object".to_owned())),
    }
}

fn cells(resource: Resource, fields: &Fields, raw: &RawValue) -> Result<Vec<Cell>, Malformed> {
    let raw = || Cell::Raw(RawJson::pack(raw.get()));
    Ok(match resource {
        Resource::Locations => {
            let (id, updated) = id_and_updated(fields)?;
            vec![
                Cell::Int(Some(id)),
                Cell::Text(Some(text(fields.name).unwrap_or_default())),
                Cell::Int(Some(updated)),
                raw(),
            ]
        }
        Resource::Products => {
            let (id, updated) = id_and_updated(fields)?;
            let variants = read::<Vec<&RawValue>>(fields.variants).map_or(0, |v| v.len()) as i64;
            vec![
                Cell::Int(Some(id)),
                Cell::Text(Some(text(fields.title).unwrap_or_default())),
                Cell::Int(Some(variants)),
                Cell::Int(Some(updated)),
                raw(),
            ]
        }
        Resource::Customers => {
            let (id, updated) = id_and_updated(fields)?;
            let person = Person { id: None, first_name: read(fields.first_name), last_name: read(fields.last_name) };
            vec![
                Cell::Int(Some(id)),
                Cell::Text(Some(person.full_name().unwrap_or_default())),
                Cell::Text(text(fields.email)),
                Cell::Int(Some(updated)),
                raw(),
            ]
        }
        Resource::Orders => {
            let (id, updated) = id_and_updated(fields)?;
            let created = timestamp(fields.created_at).ok_or("its created_at is not a timestamp")?;
            let status = if !is_null(fields.cancelled_at) {
                "cancelled"
            } else if !is_null(fields.closed_at) {
                "closed"
            } else {
                "open"
            };
            let ship: Option<ShipTo> = read(fields.shipping_address);
            let ship_to = ship.as_ref().map(|s| {
                [s.name, s.address1, s.city, s.zip, s.country]
                    .into_iter()
                    .filter_map(text)
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            let buyer: Option<Person> = read(fields.customer);
            let customer = buyer.as_ref().and_then(|c| c.full_name()).or_else(|| {
                let s = ship.as_ref()?;
                Person { id: None, first_name: s.first_name.clone(), last_name: s.last_name.clone() }.full_name()
            });
            let items: i64 =
                read::<Vec<Line>>(fields.line_items).map_or(0, |lines| lines.iter().filter_map(|l| l.quantity).sum());
            vec![
                Cell::Int(Some(id)),
                Cell::Text(Some(text(fields.name).unwrap_or_default())),
                Cell::Text(Some(read::<String>(fields.created_at).unwrap_or_default())),
                Cell::Int(Some(created)),
                Cell::Int(Some(updated)),
                Cell::Text(Some(status.to_owned())),
                Cell::Text(text(fields.fulfillment_status)),
                Cell::Text(customer),
                Cell::Int(buyer.and_then(|b| int(b.id))),
                Cell::Text(ship_to),
                Cell::Int(Some(items)),
                Cell::Int(Some(int(fields.total_weight).unwrap_or(0))),
                Cell::Text(Some(text(fields.total_price).unwrap_or_else(|| "0.00".into()))),
                raw(),
            ]
        }
        Resource::InventoryLevels => {
            let (Some(location), Some(item)) = (int(fields.location_id), int(fields.inventory_item_id)) else {
                return Err("it names no location or inventory item".into());
            };
            let updated = timestamp(fields.updated_at).ok_or("its updated_at is not a timestamp")?;
            vec![
                Cell::Int(Some(location)),
                Cell::Int(Some(item)),
                Cell::Int(int(fields.available)),
                Cell::Int(Some(updated)),
                raw(),
            ]
        }
    })
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
    conn: &mut SqliteConnection,
    store_id: i64,
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
async fn insert(
    conn: &mut SqliteConnection,
    store_id: i64,
    resource: Resource,
    rows: Vec<Vec<Cell>>,
) -> Result<(), AppError> {
    if rows.is_empty() {
        return Ok(());
    }
    let (table, key, columns) = resource.table();
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, value::to_raw_value, Value};

    async fn store(dir: &tempfile::TempDir) -> crate::server::db::Pool {
        let pool = crate::server::db::connect(&crate::server::db::sqlite_url_in(dir.path())).await.unwrap();
        sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at) VALUES (1, 'shopify', 'S', 's.myshopify.com', 'connected', 0)")
            .execute(&pool)
            .await
            .unwrap();
        pool
    }

    async fn upsert_one(conn: &mut SqliteConnection, resource: Resource, record: Value) -> Vec<Refused> {
        let raw = to_raw_value(&record).unwrap();
        upsert(conn, 1, resource, &[&raw]).await.unwrap().refused
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
        let upserted = upsert(&mut conn, 1, Resource::Products, &[&good, &bad]).await.unwrap();
        assert_eq!(upserted.refused.len(), 1);
        assert_eq!(upserted.last_id, Some(6), "a refused record still moves the walk on");
        let (title, variants, RawJson(raw)): (String, i64, RawJson) =
            sqlx::query_as("SELECT title, variants, raw FROM synced_products").fetch_one(&mut *conn).await.unwrap();
        assert_eq!((title.as_str(), variants, raw.as_str()), ("Zoë", 2, good.get()));
    }

    #[tokio::test]
    async fn raw_json_reads_back_both_compressed_and_plain_text() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let json = r#"{"id":1,"note":"Zoë"}"#;
        let (packed, plain, kind): (RawJson, RawJson, String) = sqlx::query_as("SELECT ?, ?, typeof(?)")
            .bind(RawJson::pack(json))
            .bind(json)
            .bind(RawJson::pack(json))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!((packed.0.as_str(), plain.0.as_str(), kind.as_str()), (json, json, "blob"));
    }

    #[tokio::test]
    async fn orders_stored_before_compression_read_back_and_know_their_customer() {
        use std::str::FromStr;
        let dir = tempfile::tempdir().unwrap();
        let url = crate::server::db::sqlite_url_in(dir.path());
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

        let pool = crate::server::db::connect(&url).await.unwrap();
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

    #[test]
    fn timestamps_keep_their_offsets_meaning() {
        let raw = |text: &str| to_raw_value(&Value::from(text)).unwrap();
        assert_eq!(timestamp(Some(&raw("2008-01-10T11:00:00-05:00"))), Some(1_199_980_800));
        assert_eq!(timestamp(Some(&raw("yesterday"))), None);
    }
}
