//! The `synced_*` tables: each node's queried columns beside its raw JSON (see [`RawJson`]).
//! Nodes are written in multi-row statements, a batch at a time, and an older `updatedAt` never
//! overwrites a newer version of a node that has one.

use std::collections::BTreeMap;

use sqlx::{postgres::PgArguments, Arguments, QueryBuilder};

use super::{
    model::{Batch, Gone, Refused},
    rows::{Cell, Kind, Parents, Rows},
    Ages, Awaiting, AwaitingItem, AwaitingQuery, AwaitingRow, CensusRule, Counts, CustomerRow, Daily, Page, Part,
    ProductRow, QueueState, RawJson, Sight, PER_PAGE,
};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::StoreId,
};

/// A kind's table, its conflict key and its columns (the key's first; `store_id` comes before
/// all), and whether it has an `updated_at` that decides which version wins.
fn table(kind: Kind) -> (&'static str, &'static [&'static str], &'static [&'static str], bool) {
    match kind {
        Kind::Location => ("synced_locations", &["id"], &["name", "updated_at", "synced_at", "raw"], false),
        Kind::Product => ("synced_products", &["id"], &["title", "variants", "updated_at", "synced_at", "raw"], true),
        Kind::Variant => (
            "synced_variants",
            &["id"],
            &["product_id", "title", "sku", "inventory_item_id", "weight_grams", "updated_at", "synced_at", "raw"],
            true,
        ),
        Kind::Level => (
            "synced_inventory_levels",
            &["location_id", "inventory_item_id"],
            &["available", "updated_at", "synced_at", "raw"],
            true,
        ),
        Kind::Customer => ("synced_customers", &["id"], &["name", "email", "updated_at", "synced_at", "raw"], true),
        Kind::Order => (
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
                "ship_to_country",
                "items",
                "total_weight",
                "total_price",
                "shipping_method",
                "synced_at",
                "raw",
            ],
            true,
        ),
        Kind::Line => {
            ("synced_order_lines", &["id"], &["order_id", "title", "sku", "quantity", "synced_at", "raw"], false)
        }
        Kind::FulfillmentOrder => (
            "synced_fulfillment_orders",
            &["id"],
            &["order_id", "status", "location_id", "location_name", "updated_at", "synced_at", "raw"],
            true,
        ),
        Kind::FulfillmentOrderLine => (
            "synced_fulfillment_order_lines",
            &["id"],
            &[
                "fulfillment_order_id",
                "line_item_id",
                "total_quantity",
                "remaining_quantity",
                "counts_shipments_here",
                "unit_weight_grams",
                "synced_at",
                "raw",
            ],
            false,
        ),
    }
}

/// Every table a store's synced data is in.
const TABLES: [&str; 9] = [
    "synced_locations",
    "synced_products",
    "synced_variants",
    "synced_inventory_levels",
    "synced_customers",
    "synced_orders",
    "synced_order_lines",
    "synced_fulfillment_orders",
    "synced_fulfillment_order_lines",
];

/// What storing a batch of nodes did.
#[derive(Debug, Default)]
pub struct Stored {
    /// The nodes refused as malformed; nothing of theirs is written.
    pub refused: Vec<Refused>,
    /// Nodes stored, per part of a sync that counts them.
    pub counted: BTreeMap<Part, i64>,
}

/// A parent's column that counts its children: the column, the children's table, their column
/// naming the parent, and what is counted.
struct Counted {
    column: &'static str,
    children: &'static str,
    parent: &'static str,
    count: &'static str,
}

impl Counted {
    /// The count, up to the value of the children's `store_id`.
    fn select(&self) -> String {
        format!("SELECT {} FROM {} c WHERE c.store_id", self.count, self.children)
    }
}

fn counted(kind: Kind) -> Option<Counted> {
    match kind {
        Kind::Product => {
            Some(Counted { column: "variants", children: "synced_variants", parent: "product_id", count: "COUNT(*)" })
        }
        Kind::Order => Some(Counted {
            column: "items",
            children: "synced_order_lines",
            parent: "order_id",
            count: "CAST(COALESCE(SUM(quantity), 0) AS BIGINT)",
        }),
        _ => None,
    }
}

/// Rows a statement on SQLite, whose statements bind each value on its own; PostgreSQL takes a
/// kind's rows of a batch in one statement, each column bound as one array.
const SQLITE_ROWS: usize = 50;

/// Lines made ready to store ahead of the transaction that stores them: read into rows and, for
/// PostgreSQL, each kind's rows bound into its statement. This is all computing and needs no
/// connection, so an import prepares its next batch while the one before is written.
pub struct Prepared {
    store_id: StoreId,
    /// Children's kinds before their parents', so a parent counts the children written with it.
    statements: Vec<Statement>,
    /// Parents written before their children among these: counted again after them.
    uncounted: Parents,
    stored: Stored,
}

enum Statement {
    Postgres(String, PgArguments),
    Sqlite(Kind, Vec<Vec<Cell>>),
}

/// Prepares a batch of records (of a bulk file, a page, a delivery) for [`store`] on PostgreSQL
/// or SQLite, all written at `now` (their `synced_at`).
pub fn prepare(store_id: StoreId, batch: Batch, now: i64, postgres: bool) -> Result<Prepared, AppError> {
    let nodes = Rows::of(batch, now);
    let uncounted = nodes.uncounted();
    let (children, parents): (Vec<_>, Vec<_>) = nodes.rows.into_iter().partition(|(kind, _)| counted(*kind).is_none());
    let statements = children
        .into_iter()
        .chain(parents)
        .map(|(kind, rows)| match postgres {
            true => postgres_statement(store_id, kind, rows),
            false => Ok(Statement::Sqlite(kind, rows)),
        })
        .collect::<Result<_, _>>()?;
    Ok(Prepared { store_id, statements, uncounted, stored: Stored { refused: nodes.refused, counted: nodes.counted } })
}

/// Stores prepared lines: an older `updated_at` never overwrites a newer node, and each product
/// and order counts its children stored so far.
pub async fn store(conn: &mut Conn, prepared: Prepared) -> Result<Stored, AppError> {
    let store_id = prepared.store_id;
    lock_store(conn, store_id).await?;
    for statement in prepared.statements {
        match (statement, conn.postgres()) {
            (Statement::Postgres(sql, arguments), Some(c)) => {
                sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments).execute(c).await?;
            }
            (Statement::Sqlite(kind, rows), None) => {
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    insert_sqlite(conn, store_id, kind, rows.by_ref().take(SQLITE_ROWS).collect()).await?;
                }
            }
            _ => {
                tracing::error!("lines prepared for one database were stored in the other");
                return Err(AppError::Internal);
            }
        }
    }
    count_again(conn, store_id, &prepared.uncounted).await?;
    Ok(prepared.stored)
}

/// PostgreSQL's synced tables have no foreign key to `stores`: its check, a trigger and a
/// lookup for every row, doubled the cost of writing one. The store's row is locked once here
/// instead, as the check would lock it, so a store removed meanwhile is never written to.
/// SQLite keeps its foreign keys, which cost little.
async fn lock_store(conn: &mut Conn, store_id: StoreId) -> Result<(), AppError> {
    let Some(c) = conn.postgres() else { return Ok(()) };
    let found =
        sqlx::query("SELECT 1 FROM stores WHERE id = $1 FOR KEY SHARE").bind(store_id).fetch_optional(c).await?;
    match found {
        Some(_) => Ok(()),
        None => Err(AppError::NotFound("The store no longer exists.".into())),
    }
}

/// A kind's upsert, around its rows: the head names the columns, the tail keeps an older
/// `updated_at` from overwriting a newer node.
struct Upsert {
    head: String,
    tail: String,
    names: Vec<&'static str>,
    key_len: usize,
    /// The column that counts the kind's children, and where it is among `names`.
    counted: Option<(Counted, usize)>,
}

impl Upsert {
    fn of(kind: Kind) -> Upsert {
        let (table, key, columns, newest_wins) = table(kind);
        let names: Vec<&str> = key.iter().chain(columns).copied().collect();
        let head = format!("INSERT INTO {table} (store_id, {}) ", names.join(", "));
        let updates: Vec<String> = columns
            .iter()
            .map(|c| match *c {
                // A platform that keeps no count of what remains: the total less what storelink
                // has shipped of the line.
                "remaining_quantity" if kind == Kind::FulfillmentOrderLine => format!(
                    "{c} = CASE WHEN excluded.counts_shipments_here = 0 THEN excluded.{c}
                     WHEN excluded.total_quantity > {table}.shipped_quantity
                     THEN excluded.total_quantity - {table}.shipped_quantity ELSE 0 END"
                ),
                _ => format!("{c} = excluded.{c}"),
            })
            .collect();
        let mut tail = format!(" ON CONFLICT (store_id, {}) DO UPDATE SET {}", key.join(", "), updates.join(", "));
        if newest_wins {
            tail.push_str(&format!(" WHERE excluded.updated_at >= {table}.updated_at"));
        }
        let counted = counted(kind)
            .and_then(|counted| names.iter().position(|name| *name == counted.column).map(|at| (counted, at)));
        Upsert { head, tail, names, key_len: key.len(), counted }
    }
}

/// A kind's rows in one statement, each column bound as an array and unnested; a parent's count
/// is taken in place of the value read (0).
fn postgres_statement(store_id: StoreId, kind: Kind, rows: Vec<Vec<Cell>>) -> Result<Statement, AppError> {
    let Upsert { head, tail, names, key_len, counted } = Upsert::of(kind);
    let rows = newest_of_each(rows, key_len, names.iter().position(|c| *c == "updated_at"));
    let columns = by_column(rows)?;
    let arrays: Vec<String> =
        columns.iter().enumerate().map(|(i, column)| format!("${}::{}[]", i + 2, column.sql_type())).collect();
    let values: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| match counted.as_ref().filter(|(_, at)| *at == i) {
            Some((counted, _)) => format!("({} = $1 AND c.{} = u.id)", counted.select(), counted.parent),
            None => format!("u.{name}"),
        })
        .collect();
    let sql = format!(
        "{head}SELECT $1, {} FROM UNNEST({}) AS u({}){tail}",
        values.join(", "),
        arrays.join(", "),
        names.join(", ")
    );
    let mut arguments = PgArguments::default();
    let bound = std::iter::once(arguments.add(store_id.0)).chain(columns.into_iter().map(|column| match column {
        Column::Int(v) => arguments.add(v),
        Column::Text(v) => arguments.add(v),
        Column::Raw(v) => arguments.add(v),
    }));
    if let Err(err) = bound.collect::<Result<(), _>>() {
        tracing::error!(error = %err, "a batch's column could not be bound");
        return Err(AppError::Internal);
    }
    Ok(Statement::Postgres(sql, arguments))
}

/// Up to [`SQLITE_ROWS`] rows of a kind in one multi-row statement; a parent counts its children
/// stored so far in place of the value read (0).
async fn insert_sqlite(conn: &mut Conn, store_id: StoreId, kind: Kind, rows: Vec<Vec<Cell>>) -> Result<(), AppError> {
    let Upsert { head, tail, counted, .. } = Upsert::of(kind);
    db::run!(&mut *conn, c => {
        let mut sql = QueryBuilder::new(head);
        sql.push_values(rows, |mut values, row| {
            values.push_bind(store_id.0);
            let id = match row.first() {
                Some(Cell::Int(id)) => *id,
                _ => None,
            };
            for (i, cell) in row.into_iter().enumerate() {
                match counted.as_ref().filter(|(_, at)| *at == i) {
                    Some((counted, _)) => values
                        .push(format!("({} = ", counted.select()))
                        .push_bind_unseparated(store_id.0)
                        .push_unseparated(format!(" AND c.{} = ", counted.parent))
                        .push_bind_unseparated(id)
                        .push_unseparated(")"),
                    None => match cell {
                        Cell::Int(v) => values.push_bind(v),
                        Cell::Text(v) => values.push_bind(v),
                        Cell::Raw(v) => values.push_bind(v),
                    },
                };
            }
        });
        sql.push(tail);
        sql.build().execute(&mut *c).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// One column of a batch's rows, bound to PostgreSQL as one array.
enum Column {
    Int(Vec<Option<i64>>),
    Text(Vec<Option<String>>),
    Raw(Vec<Vec<u8>>),
}

impl Column {
    fn sql_type(&self) -> &'static str {
        match self {
            Column::Int(_) => "BIGINT",
            Column::Text(_) => "TEXT",
            Column::Raw(_) => "BYTEA",
        }
    }
}

/// The rows turned into columns; every row of a kind has the same cells.
fn by_column(rows: Vec<Vec<Cell>>) -> Result<Vec<Column>, AppError> {
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let mut columns: Vec<Column> = first
        .iter()
        .map(|cell| match cell {
            Cell::Int(_) => Column::Int(Vec::with_capacity(rows.len())),
            Cell::Text(_) => Column::Text(Vec::with_capacity(rows.len())),
            Cell::Raw(_) => Column::Raw(Vec::with_capacity(rows.len())),
        })
        .collect();
    for row in rows {
        for (column, cell) in columns.iter_mut().zip(row) {
            match (column, cell) {
                (Column::Int(v), Cell::Int(c)) => v.push(c),
                (Column::Text(v), Cell::Text(c)) => v.push(c),
                (Column::Raw(v), Cell::Raw(c)) => v.push(c),
                _ => {
                    tracing::error!("a batch's rows differ in their cells' types");
                    return Err(AppError::Internal);
                }
            }
        }
    }
    Ok(columns)
}

/// One row a key: PostgreSQL refuses a statement that would update the same row twice, which a
/// batch naming one node twice would. The newest (by `updated_at`, at `updated`) wins, else the
/// last.
fn newest_of_each(rows: Vec<Vec<Cell>>, key_len: usize, updated: Option<usize>) -> Vec<Vec<Cell>> {
    let key = |row: &[Cell]| -> Vec<Option<i64>> {
        row[..key_len].iter().map(|cell| if let Cell::Int(v) = cell { *v } else { None }).collect()
    };
    let stamp = |row: &[Cell]| match updated.map(|i| &row[i]) {
        Some(Cell::Int(v)) => *v,
        _ => None,
    };
    let mut kept: Vec<Vec<Cell>> = Vec::with_capacity(rows.len());
    let mut at: std::collections::HashMap<Vec<Option<i64>>, usize> =
        std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        match at.entry(key(&row)) {
            std::collections::hash_map::Entry::Occupied(seen) => {
                let old = &mut kept[*seen.get()];
                if stamp(&row) >= stamp(old) {
                    *old = row;
                }
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(kept.len());
                kept.push(row);
            }
        }
    }
    kept
}

/// Counts the children of these products and orders again.
async fn count_again(conn: &mut Conn, store_id: StoreId, parents: &Parents) -> Result<(), AppError> {
    for (kind, ids) in parents {
        let (Some(counted), false) = (counted(*kind), ids.is_empty()) else { continue };
        let (table, ..) = table(*kind);
        db::run!(&mut *conn, c => {
            let mut sql = QueryBuilder::new(format!(
                "UPDATE {table} SET {column} = ({select} = {table}.store_id AND c.{parent} = {table}.id) WHERE store_id = ",
                column = counted.column,
                select = counted.select(),
                parent = counted.parent
            ));
            sql.push_bind(store_id.0).push(" AND id IN (");
            let mut list = sql.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            sql.push(")");
            sql.build().execute(&mut *c).await.map(|done| done.rows_affected())
        })?;
    }
    Ok(())
}

/// After a full sync: deletes the store's rows that it did not write (written before `started`),
/// which is how records deleted in Shopify leave; the products and orders that lost variants or
/// line items count them again.
pub async fn sweep(conn: &mut Conn, store_id: StoreId, started: i64) -> Result<(), AppError> {
    let mut orphaned = Parents::new();
    let mut swept = Vec::new();
    for kind in [Kind::Product, Kind::Order] {
        let Some(counted) = counted(kind) else { continue };
        let sql = format!(
            "DELETE FROM {children} WHERE store_id = $1 AND synced_at < $2 RETURNING {parent}",
            children = counted.children,
            parent = counted.parent
        );
        let parents: Vec<i64> = db::run!(&mut *conn, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(store_id).bind(started).fetch_all(&mut *c).await)?;
        orphaned.insert(kind, parents.into_iter().collect());
        swept.push(counted.children);
    }
    for table in TABLES.into_iter().filter(|table| !swept.contains(table)) {
        let sql = format!("DELETE FROM {table} WHERE store_id = $1 AND synced_at < $2");
        db::run!(&mut *conn, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(store_id).bind(started).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    count_again(conn, store_id, &orphaned).await
}

/// The newest `updatedAt` stored for the part (Unix seconds), or 0.
pub async fn newest_updated_at(pool: &Pool, store_id: StoreId, part: Part) -> Result<i64, AppError> {
    let table = match part {
        Part::Locations => return Ok(0),
        Part::Products => "synced_products",
        Part::InventoryLevels => "synced_inventory_levels",
        Part::Customers => "synced_customers",
        Part::Orders => "synced_orders",
        Part::FulfillmentOrders => "synced_fulfillment_orders",
    };
    let sql = format!("SELECT COALESCE(MAX(updated_at), 0) FROM {table} WHERE store_id = $1");
    Ok(db::run!(pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(store_id).fetch_one(&mut *c).await)?)
}

/// A record the platform no longer has, with what hangs from it.
pub async fn delete(conn: &mut Conn, store_id: StoreId, gone: Gone) -> Result<(), AppError> {
    let (id, statements): (i64, &[&str]) = match gone {
        Gone::Product(id) => (
            id,
            &[
                "DELETE FROM synced_variants WHERE store_id = $1 AND product_id = $2",
                "DELETE FROM synced_products WHERE store_id = $1 AND id = $2",
            ],
        ),
        Gone::Order(id) => (
            id,
            &[
                "DELETE FROM synced_fulfillment_order_lines WHERE store_id = $1 AND fulfillment_order_id IN
                   (SELECT f.id FROM synced_fulfillment_orders f WHERE f.store_id = $1 AND f.order_id = $2)",
                "DELETE FROM synced_fulfillment_orders WHERE store_id = $1 AND order_id = $2",
                "DELETE FROM synced_order_lines WHERE store_id = $1 AND order_id = $2",
                "DELETE FROM synced_orders WHERE store_id = $1 AND id = $2",
            ],
        ),
        Gone::Unit(id) => (
            id,
            &[
                "DELETE FROM synced_fulfillment_order_lines WHERE store_id = $1 AND fulfillment_order_id = $2",
                "DELETE FROM synced_fulfillment_orders WHERE store_id = $1 AND id = $2",
            ],
        ),
        Gone::Customer(id) => (id, &["DELETE FROM synced_customers WHERE store_id = $1 AND id = $2"]),
        Gone::InventoryItem(id) => {
            (id, &["DELETE FROM synced_inventory_levels WHERE store_id = $1 AND inventory_item_id = $2"])
        }
    };
    for sql in statements {
        db::run!(&mut *conn, c => sqlx::query(sqlx::AssertSqlSafe(*sql)).bind(store_id).bind(id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    Ok(())
}

/// The fields of an order that are a customer's personal data, as REST (rows stored by earlier
/// versions) and GraphQL name them.
const PERSONAL: [&str; 11] = [
    "customer",
    "email",
    "contact_email",
    "phone",
    "billing_address",
    "shipping_address",
    "client_details",
    "billingAddress",
    "shippingAddress",
    "customerId",
    "clientIp",
];

/// Deletes the customer and strips their personal data from their orders: the named ones that
/// are theirs or have no customer, and every other of theirs.
pub async fn redact_customer(
    conn: &mut Conn,
    store_id: StoreId,
    customer: i64,
    orders: &[i64],
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("DELETE FROM synced_customers WHERE store_id = $1 AND id = $2")
        .bind(store_id)
        .bind(customer)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    let found: Vec<(i64, RawJson)> = db::run!(&mut *conn, c => {
        let mut found = QueryBuilder::new("SELECT id, raw FROM synced_orders WHERE store_id = ");
        found.push_bind(store_id.0).push(" AND (customer_id = ").push_bind(customer).push(" OR (customer_id IS NULL AND id IN (");
        let mut ids = found.separated(", ");
        ids.push_bind(-1_i64);
        for id in orders {
            ids.push_bind(*id);
        }
        found.push(")))");
        found.build_query_as().fetch_all(&mut *c).await
    })?;
    for (id, RawJson(json)) in found {
        // Stored records are JSON objects: the sync refuses anything else.
        let mut order: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&json).map_err(|_| AppError::Internal)?;
        for personal in PERSONAL {
            order.remove(personal);
        }
        let redacted = serde_json::to_string(&order).map_err(|_| AppError::Internal)?;
        db::run!(&mut *conn, c => sqlx::query(
            "UPDATE synced_orders SET customer_name = NULL, customer_id = NULL, ship_to = NULL, ship_to_country = NULL,
                 raw = $1
             WHERE store_id = $2 AND id = $3",
        )
        .bind(RawJson::pack(&redacted))
        .bind(store_id)
        .bind(id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    Ok(())
}

/// Deletes everything synced from the store; the store itself stays.
pub async fn erase(conn: &mut Conn, store_id: StoreId) -> Result<(), AppError> {
    for table in TABLES {
        let sql = format!("DELETE FROM {table} WHERE store_id = $1");
        db::run!(&mut *conn, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(store_id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    Ok(())
}

/// Counts the store's records again for the Stores page (kept on the store's row).
pub async fn recount(conn: &mut Conn, store_id: StoreId) -> Result<(), AppError> {
    let counts = counts(conn, store_id).await?;
    db::run!(&mut *conn, c => sqlx::query(
        "UPDATE stores SET orders_count = $1, products_count = $2, customers_count = $3, locations_count = $4
         WHERE id = $5",
    )
    .bind(counts.orders)
    .bind(counts.products)
    .bind(counts.customers)
    .bind(counts.locations)
    .bind(store_id)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// How many records of each kind the store has.
pub async fn counts(conn: &mut Conn, store_id: StoreId) -> Result<Counts, AppError> {
    let (orders, products, customers, locations) = db::run!(&mut *conn, c => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM synced_orders WHERE store_id = $1),
                (SELECT COUNT(*) FROM synced_products WHERE store_id = $1),
                (SELECT COUNT(*) FROM synced_customers WHERE store_id = $1),
                (SELECT COUNT(*) FROM synced_locations WHERE store_id = $1)",
    )
    .bind(store_id)
    .fetch_one(&mut *c).await)?;
    Ok(Counts { orders, products, customers, locations })
}

/// Open fulfillment orders with items left to ship.
const AWAITING: &str = "fo.status IN ('OPEN', 'IN_PROGRESS')
    AND EXISTS (SELECT 1 FROM synced_fulfillment_order_lines l
                WHERE l.store_id = fo.store_id AND l.fulfillment_order_id = fo.id AND l.remaining_quantity > 0)";

/// The order the awaiting list is read in, oldest order first, which its cursors follow.
/// (`order_created_at` is the order's `created_at`, kept on its fulfillment orders so that this
/// order is an index's.)
const AWAITING_ORDER: &str = "fo.order_created_at, fo.store_id, fo.id";

#[derive(sqlx::FromRow)]
struct AwaitingFo {
    store_id: i64,
    id: i64,
    status: String,
    order_id: i64,
    location_name: Option<String>,
    name: Option<String>,
    created_at: Option<i64>,
    created_at_text: Option<String>,
    customer_name: Option<String>,
    ship_to: Option<String>,
    ship_to_country: Option<String>,
    shipping_method: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AwaitingLine {
    store_id: i64,
    fulfillment_order_id: i64,
    line_item_id: Option<i64>,
    title: Option<String>,
    sku: Option<String>,
    remaining_quantity: i64,
    unit_weight_grams: Option<i64>,
}

/// Where a page of the awaiting list starts: just after (or, going back, just before) this
/// fulfillment order of this store.
struct Cursor {
    created_at: i64,
    store: i64,
    id: i64,
}

impl Cursor {
    fn of(row: &AwaitingFo) -> Cursor {
        Cursor { created_at: row.created_at.unwrap_or(0), store: row.store_id, id: row.id }
    }

    fn encode(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("{}:{}:{}", self.created_at, self.store, self.id))
    }

    /// `None` for anything that is not a cursor this function wrote: the list starts again.
    fn decode(text: &str) -> Option<Cursor> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.split(':').map(str::parse::<i64>);
        let cursor = Cursor { created_at: parts.next()?.ok()?, store: parts.next()?.ok()?, id: parts.next()?.ok()? };
        parts.next().is_none().then_some(cursor)
    }
}

/// The stores' ids for an `IN (…)`. One store's is written into the statement itself: PostgreSQL
/// then plans for that store (a prepared statement's plan for any store would read all of its
/// parcels and sort them, where the store's own index gives the page in order). Ids are numbers,
/// so nothing typed reaches the SQL.
fn push_store_ids<DB: sqlx::Database>(sql: &mut QueryBuilder<DB>, stores: &[StoreId])
where
    for<'t> i64: sqlx::Encode<'t, DB>,
    i64: sqlx::Type<DB>,
{
    if let [store] = stores {
        sql.push(store.0.to_string());
        return;
    }
    let mut ids = sql.separated(", ");
    for store in stores {
        ids.push_bind(store.0);
    }
}

/// The filters of `query` (not its cursor), after a `WHERE` that already has a condition.
fn push_filters<DB: sqlx::Database>(sql: &mut QueryBuilder<DB>, stores: &[StoreId], query: &AwaitingQuery, now: i64)
where
    for<'t> i64: sqlx::Encode<'t, DB>,
    i64: sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB>,
    String: sqlx::Type<DB>,
{
    // Over several stores, `+` keeps SQLite from reading them store by store and sorting: the
    // queue's index, in age order across every store, is the one to walk. PostgreSQL picks by
    // its statistics (and reads a page store by store, `awaiting_page`): with many
    // organizations, that walk would pass over every other organization's parcels.
    let walk = stores.len() > 1 && DB::NAME == "SQLite";
    sql.push(if walk { " +fo.store_id IN (" } else { " fo.store_id IN (" });
    push_store_ids(sql, stores);
    sql.push(") AND ").push(AWAITING);
    // Ids are numbers: written into the statement, nothing typed reaches the SQL.
    for (store, locations) in &query.sight {
        let listed: Vec<String> = locations.iter().map(i64::to_string).collect();
        match listed.is_empty() {
            true => sql.push(format!(" AND fo.store_id <> {store}")),
            false => sql.push(format!(" AND (fo.store_id <> {store} OR fo.location_id IN ({}))", listed.join(", "))),
        };
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // Matched anywhere, whatever the case; % and _ typed are themselves.
        let pattern = db::contains_pattern(q);
        for column in ["o.name", "o.customer_name", "c.email"] {
            sql.push(if column == "o.name" { " AND (" } else { " OR " });
            sql.push(format!("LOWER({column}) LIKE ")).push_bind(pattern.clone()).push(" ESCAPE '\\'");
        }
        // Or the SKU of an item still to ship.
        sql.push(
            " OR EXISTS (SELECT 1 FROM synced_fulfillment_order_lines sl
                JOIN synced_order_lines sol ON sol.store_id = sl.store_id AND sol.id = sl.line_item_id
                WHERE sl.store_id = fo.store_id AND sl.fulfillment_order_id = fo.id AND sl.remaining_quantity > 0
                  AND LOWER(sol.sku) LIKE ",
        )
        .push_bind(pattern)
        .push(" ESCAPE '\\'))");
    }
    if let Some(fulfillment_order) = query.fulfillment_order {
        sql.push(" AND fo.id = ").push_bind(fulfillment_order);
    }
    if let Some(location) = query.location.as_deref().filter(|l| !l.is_empty()) {
        sql.push(" AND fo.location_name = ").push_bind(location.to_owned());
    }
    if let Some(country) = query.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        sql.push(" AND o.ship_to_country = ").push_bind(country.to_ascii_uppercase());
    }
    if let Some(from) = query.from.as_deref().and_then(db::day_start) {
        sql.push(" AND fo.order_created_at >= ").push_bind(from);
    }
    if let Some(to) = query.to.as_deref().and_then(db::day_start) {
        sql.push(" AND fo.order_created_at < ").push_bind(to + 86_400);
    }
    if let Some(days) = query.older_than_days.filter(|d| *d > 0) {
        sql.push(" AND fo.order_created_at <= ").push_bind(now - days * 86_400);
    }
    let held = |sql: &mut QueryBuilder<DB>, not: &str| {
        sql.push(format!(" AND {not}EXISTS (SELECT 1 FROM order_holds h {HELD} "));
        sql.push_bind(now).push("))");
    };
    match query.state {
        Some(QueueState::Awaiting) => {
            sql.push(" AND fo.status = 'OPEN'");
            held(sql, "NOT ");
        }
        Some(QueueState::PartlyShipped) => {
            sql.push(" AND fo.status = 'IN_PROGRESS'");
            held(sql, "NOT ");
        }
        Some(QueueState::OnHold) => held(sql, ""),
        None => {}
    }
}

/// An order's hold that has not run out: `… WHERE` it is this order's, followed by the time now.
const HELD: &str = "WHERE h.store_id = fo.store_id AND h.order_id = fo.order_id AND (h.until IS NULL OR h.until >";

/// (A fulfillment order whose order is not stored cannot be shipped: it is not listed.)
const AWAITING_FROM: &str = " FROM synced_fulfillment_orders fo
    JOIN synced_orders o ON o.store_id = fo.store_id AND o.id = fo.order_id
    LEFT JOIN synced_customers c ON c.store_id = fo.store_id AND c.id = o.customer_id
    WHERE";

/// How many parcels (fulfillment orders) and orders await shipping in `stores` that `query`
/// finds, as of `now`.
pub async fn count_awaiting(
    pool: &Pool,
    stores: &[StoreId],
    query: &AwaitingQuery,
    now: i64,
) -> Result<(i64, i64), AppError> {
    if stores.is_empty() {
        return Ok((0, 0));
    }
    Ok(db::run!(pool, c => {
        let mut count = QueryBuilder::new(format!(
            "SELECT COUNT(*), COUNT(DISTINCT fo.store_id || ':' || fo.order_id){AWAITING_FROM}"
        ));
        push_filters(&mut count, stores, query, now);
        count.build_query_as().fetch_one(&mut *c).await
    })?)
}

/// What awaits shipping in `stores`: open fulfillment orders with items left, by the location
/// that ships them, oldest order first; searched, filtered, and read a page at a time from a
/// cursor.
pub async fn awaiting(pool: &Pool, stores: &[StoreId], query: &AwaitingQuery) -> Result<Awaiting, AppError> {
    let counts = count_awaiting(pool, stores, query, db::now()).await?;
    awaiting_page(pool, stores, query, counts).await
}

/// [`awaiting`] with its counts (parcels, orders) already known.
pub async fn awaiting_page(
    pool: &Pool,
    stores: &[StoreId],
    query: &AwaitingQuery,
    (total, orders): (i64, i64),
) -> Result<Awaiting, AppError> {
    if stores.is_empty() {
        return Ok(Awaiting::default());
    }
    let now = db::now();
    // A page after `after` reads forward; a page before `before` reads backward and turns round.
    let (cursor, backward) = match (query.after.as_deref().and_then(Cursor::decode), query.before.as_deref()) {
        (Some(after), _) => (Some(after), false),
        (None, Some(before)) => (Cursor::decode(before), true),
        (None, None) => (None, false),
    };
    let direction = if backward { "DESC" } else { "ASC" };
    // The page read from `among`, in the list's order.
    fn push_page<DB: sqlx::Database>(
        select: &mut QueryBuilder<DB>,
        among: &[StoreId],
        query: &AwaitingQuery,
        cursor: Option<&Cursor>,
        backward: bool,
        now: i64,
    ) where
        for<'t> i64: sqlx::Encode<'t, DB>,
        i64: sqlx::Type<DB>,
        for<'t> String: sqlx::Encode<'t, DB>,
        String: sqlx::Type<DB>,
    {
        select.push(format!(
            "SELECT fo.store_id, fo.id, fo.status, fo.order_id, fo.location_name, o.name, o.created_at, o.created_at_text,
                    o.customer_name, o.ship_to, o.ship_to_country, o.shipping_method{AWAITING_FROM}"
        ));
        push_filters(select, among, query, now);
        if let Some(cursor) = cursor {
            // The first column alone too, so the index's range starts there.
            select
                .push(format!(" AND fo.order_created_at {} ", if backward { "<=" } else { ">=" }))
                .push_bind(cursor.created_at)
                .push(format!(" AND ({AWAITING_ORDER}) {} (", if backward { "<" } else { ">" }))
                .push_bind(cursor.created_at)
                .push(", ")
                .push_bind(cursor.store)
                .push(", ")
                .push_bind(cursor.id)
                .push(")");
        }
        // The page's size is written in, as the store is: the plan is for this much.
        let direction = if backward { "DESC" } else { "ASC" };
        select.push(format!(
            " ORDER BY fo.order_created_at {direction}, fo.store_id {direction}, fo.id {direction} LIMIT {}",
            PER_PAGE + 1
        ));
    }
    // On PostgreSQL, which serves many organizations, each store's page is read by its own
    // index and the pages merged: a walk of every store's parcels in age order would pass over
    // every other organization's too. SQLite walks that one index (its planner would read the
    // stores one by one and sort).
    let merge = pool.is_postgres() && stores.len() > 1;
    // Read in a transaction of its own on PostgreSQL, for the settings below (a read: it is
    // dropped, and they with it).
    let mut conn = if merge { pool.begin().await? } else { pool.acquire().await? };
    if merge {
        // Each store's page is its index walked in age order until the page is full. With a few
        // stores of many parcels PostgreSQL misjudges how many pass the page's conditions and
        // sorts every open parcel of the store instead (20 times slower measured, 5 stores of
        // 2,000 orders); sorting is left to it only where there is no other way (the merge), and
        // so high a cost must not set it compiling the statement (JIT: 0.7 s).
        for setting in ["SET LOCAL enable_sort = off", "SET LOCAL jit = off"] {
            db::run!(&mut conn, c => sqlx::query(setting).execute(&mut *c).await.map(|done| done.rows_affected()))?;
        }
    }
    let mut found: Vec<AwaitingFo> = db::run!(&mut conn, c => {
        let mut select = QueryBuilder::new("");
        if merge {
            select.push("SELECT * FROM (");
            for (n, store) in stores.iter().enumerate() {
                select.push(if n == 0 { "(" } else { " UNION ALL (" });
                push_page(&mut select, std::slice::from_ref(store), query, cursor.as_ref(), backward, now);
                select.push(")");
            }
            select
                .push(format!(") page ORDER BY created_at {direction}, store_id {direction}, id {direction} LIMIT "))
                .push_bind(PER_PAGE + 1);
        } else {
            push_page(&mut select, stores, query, cursor.as_ref(), backward, now);
        }
        select.build_query_as().fetch_all(&mut *c).await
    })?;
    drop(conn);
    let more = found.len() as i64 > PER_PAGE;
    found.truncate(PER_PAGE as usize);
    if backward {
        found.reverse();
    }
    // The way on from this page and the way back: each exists when rows lie that way.
    let (first, last) = (found.first().map(Cursor::of), found.last().map(Cursor::of));
    let (next, previous) = match (backward, cursor.is_some()) {
        (false, had) => (last.filter(|_| more), first.filter(|_| had)),
        (true, _) => (last, first.filter(|_| more)),
    };
    let (next, previous) = (next.map(|c| c.encode()), previous.map(|c| c.encode()));

    let mut lines_of: BTreeMap<(i64, i64), Vec<AwaitingLine>> = BTreeMap::new();
    if !found.is_empty() {
        let lines: Vec<AwaitingLine> = db::run!(pool, c => {
            let mut sql = QueryBuilder::new(
                "SELECT l.store_id, l.fulfillment_order_id, l.line_item_id, ol.title, ol.sku, l.remaining_quantity,
                        l.unit_weight_grams
                 FROM synced_fulfillment_order_lines l
                 LEFT JOIN synced_order_lines ol ON ol.store_id = l.store_id AND ol.id = l.line_item_id
                 WHERE l.remaining_quantity > 0 AND (",
            );
            db::push_pairs(&mut sql, ("l.store_id", "l.fulfillment_order_id"), found.iter().map(|f| (f.store_id, f.id)));
            sql.push(") ORDER BY l.id");
            sql.build_query_as().fetch_all(&mut *c).await
        })?;
        for line in lines {
            lines_of.entry((line.store_id, line.fulfillment_order_id)).or_default().push(line);
        }
    }
    let rows = found
        .into_iter()
        .map(|fo| {
            let lines = lines_of.remove(&(fo.store_id, fo.id)).unwrap_or_default();
            let total_weight = lines.iter().map(|l| l.remaining_quantity * l.unit_weight_grams.unwrap_or(0)).sum();
            AwaitingRow {
                store_id: StoreId(fo.store_id),
                fulfillment_order_id: fo.id,
                order_id: fo.order_id,
                name: fo.name.unwrap_or_default(),
                date: fo.created_at_text.unwrap_or_default().split('T').next().unwrap_or_default().to_owned(),
                created_at: fo.created_at,
                state: match fo.status.as_str() {
                    "IN_PROGRESS" => QueueState::PartlyShipped,
                    _ => QueueState::Awaiting,
                },
                customer: fo.customer_name,
                ship_to: fo.ship_to,
                ship_to_country: fo.ship_to_country,
                location: fo.location_name.unwrap_or_else(|| "Unassigned location".into()),
                shipping_method: fo.shipping_method,
                items: lines
                    .into_iter()
                    .map(|l| AwaitingItem {
                        line_item_id: l.line_item_id,
                        title: l.title.unwrap_or_else(|| "Item".into()),
                        sku: l.sku,
                        quantity: l.remaining_quantity,
                    })
                    .collect(),
                total_weight,
            }
        })
        .collect();
    // The location filter offers what the caller sees.
    let mut named = locations_of(pool, stores).await?;
    named.retain(|(store, id, _)| {
        query.sight.iter().find(|(narrowed, _)| narrowed == store).is_none_or(|(_, seen)| seen.contains(id))
    });
    let mut locations: Vec<String> = named.into_iter().map(|(_, _, name)| name).collect();
    locations.sort();
    locations.dedup();
    Ok(Awaiting { rows, total, orders, next, previous, locations })
}

/// When the oldest order awaiting shipping in each of `stores` that has one was created.
pub async fn oldest_by_store(pool: &Pool, stores: &[StoreId]) -> Result<Vec<(StoreId, i64)>, AppError> {
    if stores.is_empty() {
        return Ok(Vec::new());
    }
    let now = db::now();
    let rows: Vec<(i64, Option<i64>)> = db::run!(pool, c => {
        let mut sql = QueryBuilder::new("SELECT fo.store_id, MIN(o.created_at)");
        sql.push(AWAITING_FROM);
        push_filters(&mut sql, stores, &AwaitingQuery::default(), now);
        sql.push(" GROUP BY fo.store_id ORDER BY fo.store_id");
        sql.build_query_as().fetch_all(&mut *c).await
    })?;
    Ok(rows.into_iter().filter_map(|(store, oldest)| Some((StoreId(store), oldest?))).collect())
}

/// How long what awaits shipping in `stores` has waited: the oldest order's creation, and how
/// many orders are older than one, two and five days, as of `now`.
pub async fn ages(pool: &Pool, stores: &[StoreId], sight: &Sight, now: i64) -> Result<Ages, AppError> {
    if stores.is_empty() {
        return Ok(Ages::default());
    }
    let (oldest, day, two, five): (Option<i64>, i64, i64, i64) = db::run!(pool, c => {
        let mut sql = QueryBuilder::new("SELECT MIN(created_at), ");
        for (n, days) in [1, 2, 5].into_iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.push("COUNT(CASE WHEN created_at <= ").push_bind(now - days * 86_400).push(" THEN 1 END)");
        }
        sql.push(" FROM (SELECT DISTINCT fo.store_id, fo.order_id, o.created_at");
        sql.push(AWAITING_FROM);
        push_filters(&mut sql, stores, &AwaitingQuery { sight: sight.clone(), ..AwaitingQuery::default() }, now);
        sql.push(") waiting");
        sql.build_query_as().fetch_one(&mut *c).await
    })?;
    Ok(Ages { oldest, older_than_1_day: day, older_than_2_days: two, older_than_5_days: five })
}

/// The countries the orders awaiting shipping in `stores` ship to, each once, as of `now`.
pub async fn awaiting_countries(
    pool: &Pool,
    stores: &[StoreId],
    sight: &Sight,
    now: i64,
) -> Result<Vec<String>, AppError> {
    if stores.is_empty() {
        return Ok(Vec::new());
    }
    Ok(db::run!(pool, c => {
        let mut sql = QueryBuilder::new(format!("SELECT DISTINCT o.ship_to_country{AWAITING_FROM}"));
        push_filters(&mut sql, stores, &AwaitingQuery { sight: sight.clone(), ..AwaitingQuery::default() }, now);
        sql.push(" AND o.ship_to_country IS NOT NULL ORDER BY o.ship_to_country");
        sql.build_query_scalar().fetch_all(&mut *c).await
    })?)
}

/// The store's orders created from `from` up to `to` (Unix seconds) that `rule` counts as
/// awaiting shipment, by id.
pub async fn census_ids(
    pool: &Pool,
    store_id: StoreId,
    rule: CensusRule,
    from: i64,
    to: i64,
) -> Result<Vec<i64>, AppError> {
    let (id, from_where) = census_from(rule);
    let sql = format!("SELECT DISTINCT {id} {from_where} ORDER BY 1");
    Ok(
        db::run!(pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(store_id).bind(from).bind(to).fetch_all(&mut *c).await)?,
    )
}

/// Which of `ids` (the store's orders) `rule` counts as awaiting shipment.
pub async fn census_ids_among(
    pool: &Pool,
    store_id: StoreId,
    rule: CensusRule,
    ids: &[i64],
) -> Result<Vec<i64>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (id, from_where) = census_from(rule);
    // Numbers written out (an i64 is only digits), the window every order's.
    let listed = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT DISTINCT {id} {from_where} AND {id} IN ({listed})");
    Ok(
        db::run!(pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(store_id).bind(i64::MIN).bind(i64::MAX).fetch_all(&mut *c).await)?,
    )
}

/// The order's name, when storelink has the order.
pub async fn order_name(pool: &Pool, store_id: StoreId, order_id: i64) -> Result<Option<String>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT name FROM synced_orders WHERE store_id = $1 AND id = $2")
        .bind(store_id)
        .bind(order_id)
        .fetch_optional(&mut *c).await)?)
}

/// How many they are.
pub async fn census_count(
    pool: &Pool,
    store_id: StoreId,
    rule: CensusRule,
    from: i64,
    to: i64,
) -> Result<i64, AppError> {
    let (id, from_where) = census_from(rule);
    let sql = format!("SELECT COUNT(DISTINCT {id}) {from_where}");
    Ok(
        db::run!(pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(store_id).bind(from).bind(to).fetch_one(&mut *c).await)?,
    )
}

/// The order id column, and where it is read from for `$1` the store and `$2`, `$3` the window.
fn census_from(rule: CensusRule) -> (&'static str, String) {
    match rule {
        CensusRule::Parcels => (
            "fo.order_id",
            format!(
                "FROM synced_fulfillment_orders fo WHERE fo.store_id = $1 AND {AWAITING}
                 AND fo.order_created_at >= $2 AND fo.order_created_at < $3"
            ),
        ),
        // The word is the platform module's own constant, never typed by anyone.
        CensusRule::OpenNot(word) => (
            "o.id",
            format!(
                "FROM synced_orders o WHERE o.store_id = $1 AND o.status = 'open'
                 AND COALESCE(o.fulfillment_status, '') <> '{word}' AND o.created_at >= $2 AND o.created_at < $3"
            ),
        ),
    }
}

/// An order found by its name, and where each of its parcels stands.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NamedOrder {
    pub store_id: i64,
    pub id: i64,
    pub name: Option<String>,
    /// open | closed | cancelled
    pub status: String,
    /// The platform's own word for it.
    pub fulfillment_status: Option<String>,
}

/// The orders of `stores` named `name` (`1234` finds `#1234` too), at most ten, and each one's
/// parcels: their status and whether items remain to ship from them.
pub async fn orders_named(
    pool: &Pool,
    stores: &[StoreId],
    name: &str,
) -> Result<Vec<(NamedOrder, Vec<(String, bool)>)>, AppError> {
    let name = name.trim().to_lowercase();
    if stores.is_empty() || name.is_empty() {
        return Ok(Vec::new());
    }
    let bare = name.trim_start_matches('#').to_owned();
    let orders: Vec<NamedOrder> = db::run!(pool, c => {
        let mut sql = QueryBuilder::new(
            "SELECT store_id, id, name, status, fulfillment_status FROM synced_orders WHERE store_id IN (",
        );
        let mut ids = sql.separated(", ");
        for store in stores {
            ids.push_bind(store.0);
        }
        sql.push(") AND LOWER(name) IN (").push_bind(bare.clone()).push(", ").push_bind(format!("#{bare}"));
        sql.push(") ORDER BY store_id, id LIMIT 10");
        sql.build_query_as().fetch_all(&mut *c).await
    })?;
    let mut found = Vec::new();
    for order in orders {
        let parcels: Vec<(String, bool)> = db::run!(pool, c => sqlx::query_as(
            "SELECT fo.status, EXISTS (SELECT 1 FROM synced_fulfillment_order_lines l
                 WHERE l.store_id = fo.store_id AND l.fulfillment_order_id = fo.id AND l.remaining_quantity > 0)
             FROM synced_fulfillment_orders fo WHERE fo.store_id = $1 AND fo.order_id = $2 ORDER BY fo.id",
        )
        .bind(order.store_id)
        .bind(order.id)
        .fetch_all(&mut *c).await)?;
        found.push((order, parcels));
    }
    Ok(found)
}

/// An order as the HTTP API lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct OrderRecord {
    pub id: i64,
    pub name: Option<String>,
    pub created_at_text: Option<String>,
    pub updated_at: i64,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub raw: RawJson,
}

/// A fulfillment order as the HTTP API lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct FulfillmentOrderRecord {
    pub id: i64,
    pub order_id: i64,
    pub status: String,
    pub location_id: Option<i64>,
    pub location_name: Option<String>,
}

/// A fulfillment order's line as the HTTP API lists it.
#[derive(Debug, sqlx::FromRow)]
pub struct FulfillmentLineRecord {
    pub fulfillment_order_id: i64,
    pub id: i64,
    pub line_item_id: Option<i64>,
    pub title: Option<String>,
    pub sku: Option<String>,
    pub total_quantity: i64,
    pub remaining_quantity: i64,
    pub unit_weight_grams: Option<i64>,
}

/// Up to `limit` of the store's orders after order `after` (by id): only those awaiting shipping
/// when `awaiting`, only those updated at or after `updated_since` (Unix seconds).
pub async fn orders_after(
    pool: &Pool,
    store_id: StoreId,
    awaiting: Option<(&AwaitingQuery, bool)>,
    updated_since: Option<i64>,
    after: i64,
    limit: i64,
    seen: Option<&[i64]>,
) -> Result<Vec<OrderRecord>, AppError> {
    let now = db::now();
    Ok(db::run!(pool, c => {
        let mut sql = QueryBuilder::new(
            "SELECT o.id, o.name, o.created_at_text, o.updated_at, o.customer_name, c.email AS customer_email, o.raw
             FROM synced_orders o LEFT JOIN synced_customers c ON c.store_id = o.store_id AND c.id = o.customer_id
             WHERE o.store_id = ",
        );
        sql.push_bind(store_id.0).push(" AND o.id > ").push_bind(after);
        sql.push(" AND o.updated_at >= ").push_bind(updated_since.unwrap_or(i64::MIN));
        // Seen at some locations only: an order with a parcel at one of them.
        if let Some(locations) = seen {
            let listed: Vec<String> = locations.iter().map(i64::to_string).collect();
            sql.push(format!(
                " AND EXISTS (SELECT 1 FROM synced_fulfillment_orders sf WHERE sf.store_id = o.store_id
                   AND sf.order_id = o.id AND sf.location_id IN ({}))",
                if listed.is_empty() { "NULL".to_owned() } else { listed.join(", ") }
            ));
        }
        // Awaiting shipping: a parcel of it the queue's filters find.
        if let Some((query, include_held)) = awaiting {
            sql.push(" AND EXISTS (SELECT 1 FROM synced_fulfillment_orders fo WHERE fo.order_id = o.id AND");
            push_filters(&mut sql, &[store_id], query, now);
            // A held order does not await shipping until its hold ends, unless asked for.
            if !include_held && query.state.is_none() {
                sql.push(format!(" AND NOT EXISTS (SELECT 1 FROM order_holds h {HELD} ")).push_bind(now).push("))");
            }
            sql.push(")");
        }
        sql.push(" ORDER BY o.id LIMIT ").push_bind(limit);
        sql.build_query_as().fetch_all(&mut *c).await
    })?)
}

/// Those of `orders` (the store's) with a parcel at one of `locations`: the orders someone who
/// sees only those locations of the store works with.
pub async fn orders_at(
    pool: &Pool,
    store_id: StoreId,
    orders: &[i64],
    locations: &[i64],
) -> Result<Vec<i64>, AppError> {
    if orders.is_empty() || locations.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are numbers: written into the statement, nothing typed reaches the SQL.
    let list = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT DISTINCT order_id FROM synced_fulfillment_orders
         WHERE store_id = $1 AND order_id IN ({}) AND location_id IN ({})",
        list(orders),
        list(locations)
    );
    Ok(db::run!(pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(store_id).fetch_all(&mut *c).await)?)
}

/// The fulfillment orders of these orders (only the open ones with items left, when
/// `awaiting`), and their lines.
pub async fn fulfillment_orders_of(
    pool: &Pool,
    store_id: StoreId,
    order_ids: &[i64],
    awaiting: bool,
) -> Result<(Vec<FulfillmentOrderRecord>, Vec<FulfillmentLineRecord>), AppError> {
    if order_ids.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let ids: Vec<String> = order_ids.iter().map(i64::to_string).collect();
    let ids = ids.join(", ");
    let open = if awaiting { format!(" AND {AWAITING}") } else { String::new() };
    let sql = format!(
        "SELECT fo.id, fo.order_id, fo.status, fo.location_id, fo.location_name FROM synced_fulfillment_orders fo
         WHERE fo.store_id = $1 AND fo.order_id IN ({ids}){open} ORDER BY fo.id"
    );
    let orders: Vec<FulfillmentOrderRecord> =
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(store_id).fetch_all(&mut *c).await)?;
    let sql = format!(
        "SELECT l.fulfillment_order_id, l.id, l.line_item_id, ol.title, ol.sku, l.total_quantity, l.remaining_quantity,
                l.unit_weight_grams
         FROM synced_fulfillment_order_lines l
         JOIN synced_fulfillment_orders fo ON fo.store_id = l.store_id AND fo.id = l.fulfillment_order_id
         LEFT JOIN synced_order_lines ol ON ol.store_id = l.store_id AND ol.id = l.line_item_id
         WHERE l.store_id = $1 AND fo.order_id IN ({ids})
         ORDER BY l.id"
    );
    let lines: Vec<FulfillmentLineRecord> =
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(store_id).fetch_all(&mut *c).await)?;
    Ok((orders, lines))
}

/// The names of these orders ("#1001"), by id.
pub async fn order_names(pool: &Pool, store_id: StoreId, ids: &[i64]) -> Result<BTreeMap<i64, String>, AppError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let sql = format!("SELECT id, name FROM synced_orders WHERE store_id = $1 AND id IN ({})", list.join(", "));
    let rows: Vec<(i64, Option<String>)> =
        db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(store_id).fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().filter_map(|(id, name)| Some((id, name?))).collect())
}

/// Holds the order until the caller's transaction ends (PostgreSQL locks its row; an SQLite
/// transaction holds the one write lock from its start), so two shipments of one order are
/// checked one after the other. The order's name, or `None` when the store has no such order.
pub async fn lock_order(conn: &mut Conn, store_id: StoreId, order_id: i64) -> Result<Option<String>, AppError> {
    // PostgreSQL locks the row; SQLite's transaction holds its one write lock from its start.
    let lock = if conn.is_postgres() { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT name FROM synced_orders WHERE store_id = $1 AND id = $2{lock}");
    let name: Option<Option<String>> = db::run!(&mut *conn, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
    .bind(store_id)
    .bind(order_id)
    .fetch_optional(&mut *c).await)?;
    Ok(name.map(|n| n.unwrap_or_else(|| format!("order {order_id}"))))
}

/// A line of one of an order's fulfillment orders, with what remains of it to ship.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FulfillmentLine {
    pub fulfillment_order_id: i64,
    /// Shopify's `FulfillmentOrderStatus`, as synced (`OPEN`, `IN_PROGRESS`, `CLOSED`, …).
    pub status: String,
    pub location_id: Option<i64>,
    pub location_name: Option<String>,
    pub id: i64,
    pub line_item_id: Option<i64>,
    pub remaining_quantity: i64,
    pub title: Option<String>,
}

/// Every line of the order's fulfillment orders, by fulfillment order then line.
pub async fn fulfillment_lines(
    conn: &mut Conn,
    store_id: StoreId,
    order_id: i64,
) -> Result<Vec<FulfillmentLine>, AppError> {
    // The order's fulfillment orders first, then their lines (SQLite's CROSS JOIN keeps that
    // order), sorted here: asked to sort, or left to choose without statistics, SQLite read
    // every line of the store instead, 10 ms a call once a store had 14,000 orders.
    let mut lines: Vec<FulfillmentLine> = db::run!(&mut *conn, c => sqlx::query_as(
        "SELECT fo.id AS fulfillment_order_id, fo.status, fo.location_id, fo.location_name, l.id, l.line_item_id,
                l.remaining_quantity, ol.title
         FROM synced_fulfillment_orders fo
         CROSS JOIN synced_fulfillment_order_lines l
         LEFT JOIN synced_order_lines ol ON ol.store_id = l.store_id AND ol.id = l.line_item_id
         WHERE fo.store_id = $1 AND fo.order_id = $2 AND l.store_id = fo.store_id AND l.fulfillment_order_id = fo.id",
    )
    .bind(store_id)
    .bind(order_id)
    .fetch_all(&mut *c).await)?;
    lines.sort_by_key(|l| (l.fulfillment_order_id, l.id));
    Ok(lines)
}

/// The order's line items: id and title.
pub async fn order_line_items(
    conn: &mut Conn,
    store_id: StoreId,
    order_id: i64,
) -> Result<Vec<(i64, Option<String>)>, AppError> {
    // Sorted here: asked to sort, SQLite walked the store's lines in id order to spare itself
    // the sort, instead of reading the order's few by their index.
    let mut items: Vec<(i64, Option<String>)> = db::run!(&mut *conn, c => sqlx::query_as(
        "SELECT id, title FROM synced_order_lines WHERE store_id = $1 AND order_id = $2",
    )
    .bind(store_id)
    .bind(order_id)
    .fetch_all(&mut *c).await)?;
    items.sort_by_key(|(id, _)| *id);
    Ok(items)
}

/// A line of a shipment the platform accepted, and what remained of it before the write.
pub struct ShippedLine {
    pub id: i64,
    pub quantity: i64,
    /// A line the platform counts, no longer at this count, was fetched again since with the
    /// shipment in it (a line only storelink counts takes it whatever).
    pub seen: i64,
}

/// What the platform confirmed shipped, until the records are fetched again: `lines` leave what
/// remains, and a fulfillment order with nothing left closes (else it is in progress).
pub async fn shipped(conn: &mut Conn, store_id: StoreId, lines: &[ShippedLine]) -> Result<(), AppError> {
    if lines.is_empty() {
        return Ok(());
    }
    if conn.is_postgres() {
        // A webhook's upsert takes the fulfillment orders before their lines; taken in the same
        // order here, neither transaction holds what the other waits for (PostgreSQL found them
        // deadlocked, and the shipment was sent again).
        db::run!(&mut *conn, c => {
            let mut sql = QueryBuilder::new("SELECT id FROM synced_fulfillment_orders WHERE store_id = ");
            sql.push_bind(store_id.0).push(" AND id IN (SELECT fulfillment_order_id FROM synced_fulfillment_order_lines WHERE store_id = ");
            sql.push_bind(store_id.0).push(" AND id IN (");
            let mut ids = sql.separated(", ");
            for line in lines {
                ids.push_bind(line.id);
            }
            sql.push(")) ORDER BY id FOR UPDATE");
            sql.build_query_scalar::<i64>().fetch_all(&mut *c).await.map(|_| ())
        })?;
    }
    for line in lines {
        db::run!(&mut *conn, c => sqlx::query(
            "UPDATE synced_fulfillment_order_lines
             SET remaining_quantity = CASE WHEN remaining_quantity > $3 THEN remaining_quantity - $3 ELSE 0 END,
                 shipped_quantity = shipped_quantity + $3
             WHERE store_id = $1 AND id = $2 AND (counts_shipments_here <> 0 OR remaining_quantity = $4)",
        )
        .bind(store_id)
        .bind(line.id)
        .bind(line.quantity)
        .bind(line.seen)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    db::run!(&mut *conn, c => {
        let mut sql = QueryBuilder::new(
            "UPDATE synced_fulfillment_orders SET status = CASE WHEN EXISTS (
                 SELECT 1 FROM synced_fulfillment_order_lines l
                 WHERE l.store_id = synced_fulfillment_orders.store_id AND l.fulfillment_order_id = synced_fulfillment_orders.id
                   AND l.remaining_quantity > 0) THEN 'IN_PROGRESS' ELSE 'CLOSED' END
             WHERE store_id = ",
        );
        sql.push_bind(store_id.0).push(" AND id IN (SELECT fulfillment_order_id FROM synced_fulfillment_order_lines WHERE store_id = ");
        sql.push_bind(store_id.0).push(" AND id IN (");
        let mut ids = sql.separated(", ");
        for line in lines {
            ids.push_bind(line.id);
        }
        sql.push("))");
        sql.build().execute(&mut *c).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Orders created on each of the `days` days up to today (UTC), for each of `stores` (a store
/// without orders in those days has a flat line).
pub async fn orders_per_day(pool: &Pool, stores: &[StoreId], days: i64) -> Result<BTreeMap<StoreId, Daily>, AppError> {
    let today = crate::db::now().div_euclid(86_400);
    let first_day = today - days + 1;
    let mut per_store: BTreeMap<StoreId, Daily> =
        stores.iter().map(|s| (*s, Daily { first_day, counts: vec![0; days as usize] })).collect();
    if stores.is_empty() {
        return Ok(per_store);
    }
    let rows: Vec<(StoreId, i64, i64)> = db::run!(pool, c => {
        let mut sql = QueryBuilder::new("SELECT store_id, created_at / 86400 AS day, COUNT(*) FROM synced_orders WHERE created_at >= ");
        sql.push_bind(first_day * 86_400);
        sql.push(" AND store_id IN (");
        let mut ids = sql.separated(", ");
        for store in stores {
            ids.push_bind(store.0);
        }
        sql.push(") GROUP BY store_id, created_at / 86400");
        sql.build_query_as().fetch_all(&mut *c).await
    })?;
    for (store, day, count) in rows {
        let Some(daily) = per_store.get_mut(&store) else { continue };
        if let Some(slot) = usize::try_from(day - first_day).ok().and_then(|i| daily.counts.get_mut(i)) {
            *slot = count;
        }
    }
    Ok(per_store)
}

/// What a list is searched by: a condition on the table's rows (written with `?` where the
/// pattern goes, each `?` taking it again).
struct Searched<'a> {
    typed: &'a str,
    condition: &'static str,
}

/// Pushes `condition` with each `?` bound to `pattern`.
fn push_condition<DB: sqlx::Database>(sql: &mut QueryBuilder<DB>, condition: &str, pattern: &str)
where
    for<'t> String: sqlx::Encode<'t, DB>,
    String: sqlx::Type<DB>,
{
    let mut parts = condition.split('?');
    sql.push(parts.next().unwrap_or_default());
    for part in parts {
        sql.push_bind(pattern.to_owned()).push(part);
    }
}

/// One page of a store's rows of `table`, in `order`, searched when `search` says so, with how
/// many there are in all (that match).
async fn list_page<T>(
    pool: &Pool,
    store_id: StoreId,
    page: i64,
    table: &str,
    columns: &str,
    order: &str,
    search: Option<Searched<'_>>,
) -> Result<Page<T>, AppError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let page = super::check_page(page)?;
    let search =
        search.filter(|s| !s.typed.trim().is_empty()).map(|s| (db::contains_pattern(s.typed.trim()), s.condition));
    let total: i64 = db::run!(pool, c => {
        let mut count = QueryBuilder::new(format!("SELECT COUNT(*) FROM {table} WHERE store_id = "));
        count.push_bind(store_id.0);
        if let Some((pattern, condition)) = &search {
            count.push(" AND ");
            push_condition(&mut count, condition, pattern);
        }
        count.build_query_scalar().fetch_one(&mut *c).await
    })?;
    // A page past the last shows the last, so the rows and the page they are called agree.
    let page = page.min(Page::<T>::pages_of(total));
    let rows = db::run!(pool, c => {
        let mut select = QueryBuilder::new(format!("SELECT {columns} FROM {table} WHERE store_id = "));
        select.push_bind(store_id.0);
        if let Some((pattern, condition)) = &search {
            select.push(" AND ");
            push_condition(&mut select, condition, pattern);
        }
        select.push(format!(" ORDER BY {order} LIMIT ")).push_bind(PER_PAGE).push(" OFFSET ").push_bind((page - 1) * PER_PAGE);
        select.build_query_as().fetch_all(&mut *c).await
    })?;
    Ok(Page { rows, page, total })
}

/// A page of the store's products by title, searched by title or a variant's SKU, each with
/// its variants' SKUs and the stock of all its variants at every location.
pub async fn products(
    pool: &Pool,
    store_id: StoreId,
    page: i64,
    q: Option<&str>,
) -> Result<Page<ProductRow>, AppError> {
    let search = q.map(|typed| Searched {
        typed,
        condition: "(LOWER(title) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM synced_variants v
                     WHERE v.store_id = synced_products.store_id AND v.product_id = synced_products.id
                       AND LOWER(v.sku) LIKE ? ESCAPE '\\'))",
    });
    let mut page: Page<ProductRow> =
        list_page(pool, store_id, page, "synced_products", "id, title, variants", "title, id", search).await?;
    if page.rows.is_empty() {
        return Ok(page);
    }
    let variants: Vec<(i64, Option<String>, Option<i64>)> = db::run!(pool, c => {
        let mut sql = QueryBuilder::new(
            "SELECT v.product_id, v.sku,
                    (SELECT CAST(SUM(l.available) AS BIGINT) FROM synced_inventory_levels l
                     WHERE l.store_id = v.store_id AND l.inventory_item_id = v.inventory_item_id)
             FROM synced_variants v WHERE v.store_id = ",
        );
        sql.push_bind(store_id.0).push(" AND v.product_id IN (");
        let mut ids = sql.separated(", ");
        for row in &page.rows {
            ids.push_bind(row.id);
        }
        sql.push(") ORDER BY v.product_id, v.id");
        sql.build_query_as().fetch_all(&mut *c).await
    })?;
    for row in &mut page.rows {
        for (_, sku, stock) in variants.iter().filter(|(product, ..)| *product == row.id) {
            row.skus.extend(sku.clone().filter(|s| !s.is_empty()));
            if let Some(stock) = stock {
                *row.stock.get_or_insert(0) += stock;
            }
        }
    }
    Ok(page)
}

/// A page of the store's customers by name, searched by name or email.
pub async fn customers(
    pool: &Pool,
    store_id: StoreId,
    page: i64,
    q: Option<&str>,
) -> Result<Page<CustomerRow>, AppError> {
    let search = q.map(|typed| Searched {
        typed,
        condition: "(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(email) LIKE ? ESCAPE '\\')",
    });
    list_page(pool, store_id, page, "synced_customers", "id, name, email", "name, id", search).await
}

/// The names of the locations of `stores`, each once.
pub async fn locations(pool: &Pool, stores: &[StoreId]) -> Result<Vec<String>, AppError> {
    if stores.is_empty() {
        return Ok(Vec::new());
    }
    Ok(db::run!(pool, c => {
        let mut sql = QueryBuilder::new("SELECT DISTINCT name FROM synced_locations WHERE store_id IN (");
        let mut ids = sql.separated(", ");
        for store in stores {
            ids.push_bind(store.0);
        }
        sql.push(") ORDER BY name");
        sql.build_query_scalar().fetch_all(&mut *c).await
    })?)
}

/// The locations of `stores`: store, id and name, by name.
pub async fn locations_of(pool: &Pool, stores: &[StoreId]) -> Result<Vec<(StoreId, i64, String)>, AppError> {
    if stores.is_empty() {
        return Ok(Vec::new());
    }
    Ok(db::run!(pool, c => {
        let mut sql = QueryBuilder::new("SELECT store_id, id, name FROM synced_locations WHERE store_id IN (");
        push_store_ids(&mut sql, stores);
        sql.push(") ORDER BY store_id, name, id");
        sql.build_query_as().fetch_all(&mut *c).await
    })?)
}

/// The names of the store's locations that contain `typed`, whatever the case.
pub async fn locations_named(pool: &Pool, store_id: StoreId, typed: &str) -> Result<Vec<String>, AppError> {
    let pattern = db::contains_pattern(typed.trim());
    Ok(db::run!(pool, c => sqlx::query_scalar(
        "SELECT name FROM synced_locations WHERE store_id = $1 AND LOWER(name) LIKE $2 ESCAPE '\\' ORDER BY name",
    )
    .bind(store_id)
    .bind(pattern)
    .fetch_all(&mut *c).await)?)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::{
        db::fixtures,
        records::model::{self, OrderStatus, Record},
    };

    /// A database whose one store is store 1.
    async fn store_one(dir: &tempfile::TempDir) -> Pool {
        let pool = fixtures::pool(dir).await;
        assert_eq!(fixtures::connected_store(&pool).await, StoreId(1));
        pool
    }

    async fn put(conn: &mut Conn, records: &[Record], now: i64) -> Stored {
        let batch = Batch { records: records.to_vec(), refused: Vec::new() };
        store(conn, prepare(StoreId(1), batch, now, conn.is_postgres()).unwrap()).await.unwrap()
    }

    /// Order `id`, changed at `updated` (Unix seconds), its JSON carrying `note`.
    fn order(id: i64, updated: i64, note: &str) -> Record {
        Record::Order(model::Order {
            id,
            name: format!("#{id}"),
            created_at_text: "2026-01-01T00:00:00Z".into(),
            created_at: 1_767_225_600,
            updated_at: updated,
            status: OrderStatus::Open,
            platform_status: Some("unfulfilled".into()),
            customer_name: Some("Ada".into()),
            customer_id: None,
            ship_to: Some("Ada, Paris".into()),
            ship_to_country: Some("FR".into()),
            total_weight_grams: 500,
            total_price: "9.50".into(),
            shipping_method: None,
            raw: json!({"id": id, "updated": updated, "note": note}).to_string(),
        })
    }

    fn unit(id: i64, order: i64) -> Record {
        Record::Unit(model::Unit {
            id,
            order_id: order,
            status: model::unit_status::OPEN.into(),
            location_id: Some(5),
            location_name: Some("Depot".into()),
            updated_at: 1,
            raw: "{}".into(),
        })
    }

    fn unit_line(id: i64, unit: i64, line_item: i64, total: i64, remaining: Option<i64>) -> Record {
        Record::UnitLine(model::UnitLine {
            id,
            unit_id: unit,
            line_item_id: Some(line_item),
            total_quantity: total,
            remaining_quantity: remaining,
            unit_weight_grams: Some(250),
            raw: "{}".into(),
        })
    }

    #[tokio::test]
    async fn a_bulk_file_of_mixed_nodes_lands_in_its_tables_whatever_the_order() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        // A child before its parent, and the parent's other child far after it.
        let mut mug = line_item(11, 1, 2);
        if let Record::Line(line) = &mut mug {
            line.sku = Some("M".into());
        }
        let file = [mug, order(1, 2, "first"), unit(21, 1), unit_line(31, 21, 11, 2, Some(2)), line_item(12, 1, 1)];
        let stored = put(&mut conn, &file, 100).await;
        assert!(stored.refused.is_empty(), "{:?}", stored.refused);
        assert_eq!(stored.counted.get(&Part::Orders), Some(&1));
        let items: i64 =
            crate::db::run!(&mut conn, c => sqlx::query_scalar("SELECT items FROM synced_orders WHERE id = 1").fetch_one(&mut *c).await).unwrap();
        assert_eq!(items, 3);
        drop(conn);
        let awaiting = awaiting(&pool, &[StoreId(1)], &AwaitingQuery::default()).await.unwrap();
        assert_eq!(awaiting.total, 1);
        let row = &awaiting.rows[0];
        assert_eq!((row.name.as_str(), row.location.as_str(), row.total_weight), ("#1", "Depot", 500));
        assert_eq!(
            row.items,
            vec![AwaitingItem { line_item_id: Some(11), title: "Mug".into(), sku: Some("M".into()), quantity: 2 }]
        );
        assert_eq!((row.ship_to.as_deref(), row.ship_to_country.as_deref()), (Some("Ada, Paris"), Some("FR")));
    }

    /// Order `id` shipping to `country`, with one parcel of one item (`left` of it to ship).
    fn shipping_to(id: i64, country: Option<&str>, left: i64) -> [Record; 3] {
        let mut order = order(id, 1, "");
        if let Record::Order(o) = &mut order {
            o.ship_to_country = country.map(str::to_owned);
        }
        [order, unit(20 + id, id), unit_line(30 + id, 20 + id, 10 + id, 1, Some(left))]
    }

    /// The parcels the queue lists for orders shipping to `country`.
    async fn going_to(pool: &Pool, country: &str) -> Vec<i64> {
        let query = AwaitingQuery { country: Some(country.into()), ..AwaitingQuery::default() };
        awaiting(pool, &[StoreId(1)], &query).await.unwrap().rows.iter().map(|r| r.fulfillment_order_id).collect()
    }

    #[tokio::test]
    async fn the_queue_finds_orders_by_the_country_they_ship_to_and_lists_the_countries_awaited() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let records: Vec<Record> = [
            shipping_to(1, Some("FR"), 1),
            shipping_to(2, Some("DE"), 1),
            shipping_to(3, None, 1),
            // Shipped already: its country awaits nothing.
            shipping_to(4, Some("US"), 0),
        ]
        .into_iter()
        .flatten()
        .collect();
        put(&mut conn, &records, 1).await;
        drop(conn);
        assert_eq!(going_to(&pool, "FR").await, [21]);
        assert_eq!(going_to(&pool, "de").await, [22], "whatever the case");
        assert!(going_to(&pool, "US").await.is_empty());
        let countries = awaiting_countries(&pool, &[StoreId(1)], &Vec::new(), db::now()).await.unwrap();
        assert_eq!(countries, ["DE", "FR"]);
        assert!(awaiting_countries(&pool, &[], &Vec::new(), db::now()).await.unwrap().is_empty());
    }

    fn line_item(id: i64, order: i64, quantity: i64) -> Record {
        Record::Line(model::Line { id, order_id: order, title: "Mug".into(), sku: None, quantity, raw: "{}".into() })
    }

    fn product(id: i64) -> Record {
        Record::Product(model::Product { id, title: "Mug".into(), updated_at: 1, raw: "{}".into() })
    }

    fn variant(id: i64, product: i64) -> Record {
        Record::Variant(model::Variant {
            id,
            product_id: product,
            title: "Blue".into(),
            sku: None,
            inventory_item_id: None,
            weight_grams: None,
            updated_at: 1,
            raw: "{}".into(),
        })
    }

    async fn counted(conn: &mut Conn, sql: &'static str) -> Vec<(i64, i64)> {
        crate::db::run!(&mut *conn, c => sqlx::query_as(sql).fetch_all(&mut *c).await).unwrap()
    }

    #[tokio::test]
    async fn orders_count_their_items_however_the_items_arrive() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        // Order 1's items in the next call (a page boundary); order 2's more than SQLite's
        // statement takes; order 3 alone, with nothing to count.
        put(&mut conn, &[order(1, 1, "")], 1).await;
        let mut file = vec![line_item(10, 1, 2), line_item(11, 1, 1), order(2, 1, "")];
        file.extend((0..600).map(|i| line_item(100 + i, 2, 1)));
        file.push(order(3, 1, ""));
        put(&mut conn, &file, 2).await;
        let items = "SELECT id, items FROM synced_orders ORDER BY id";
        assert_eq!(counted(&mut conn, items).await, [(1, 3), (2, 600), (3, 0)]);
        // A newer version of an order keeps the count of the items stored before it.
        put(&mut conn, &[order(2, 2, "")], 3).await;
        assert_eq!(counted(&mut conn, items).await, [(1, 3), (2, 600), (3, 0)]);
    }

    #[tokio::test]
    async fn products_and_orders_that_lose_children_in_a_full_sync_count_them_again() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let before =
            [product(5), variant(50, 5), variant(51, 5), order(1, 1, ""), line_item(10, 1, 2), line_item(11, 1, 1)];
        put(&mut conn, &before, 10).await;
        put(&mut conn, &[product(5), variant(50, 5), order(1, 1, ""), line_item(11, 1, 1)], 20).await;
        assert_eq!(counted(&mut conn, "SELECT id, variants FROM synced_products").await, [(5, 2)], "not swept yet");
        sweep(&mut conn, StoreId(1), 20).await.unwrap();
        assert_eq!(counted(&mut conn, "SELECT id, variants FROM synced_products").await, [(5, 1)]);
        assert_eq!(counted(&mut conn, "SELECT id, items FROM synced_orders").await, [(1, 1)]);
    }

    #[tokio::test]
    async fn records_of_a_store_that_no_longer_exists_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        crate::db::run!(&pool, c => sqlx::query("DELETE FROM stores WHERE id = 1").execute(&mut *c).await.map(|done| done.rows_affected())).unwrap();
        // Outside a transaction, so anything a statement wrote would stay.
        let mut conn = pool.acquire().await.unwrap();
        let postgres = conn.is_postgres();
        assert!(store_an_order(&mut conn, postgres).await.is_err());
        assert_eq!(orders_and_items(&mut conn).await, 0);
    }

    /// Stores order 1 with one line item, prepared for PostgreSQL or for SQLite.
    async fn store_an_order(conn: &mut Conn, for_postgres: bool) -> Result<Stored, AppError> {
        let batch = Batch { records: vec![line_item(10, 1, 2), order(1, 1, "")], refused: Vec::new() };
        store(conn, prepare(StoreId(1), batch, 1, for_postgres).unwrap()).await
    }

    async fn orders_and_items(conn: &mut Conn) -> i64 {
        let sql = "SELECT (SELECT COUNT(*) FROM synced_orders) + (SELECT COUNT(*) FROM synced_order_lines)";
        crate::db::run!(&mut *conn, c => sqlx::query_scalar(sql).fetch_one(&mut *c).await).unwrap()
    }

    #[tokio::test]
    async fn lines_prepared_for_the_other_database_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let other = !conn.is_postgres();
        assert!(matches!(store_an_order(&mut conn, other).await, Err(AppError::Internal)));
        assert_eq!(orders_and_items(&mut conn).await, 0);
        // Prepared for its own database, the same lines are stored.
        assert!(store_an_order(&mut conn, !other).await.is_ok());
        assert_eq!(orders_and_items(&mut conn).await, 2);
    }

    #[tokio::test]
    async fn an_older_version_never_overwrites_a_newer_one_and_the_exact_text_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let note = || async {
            let raw: RawJson =
                crate::db::run!(&pool, c => sqlx::query_scalar("SELECT raw FROM synced_orders WHERE id = 7").fetch_one(&mut *c).await).unwrap();
            serde_json::from_str::<Value>(&raw.0).unwrap()["note"].clone()
        };
        put(&mut conn, &[order(7, 20, "new")], 1).await;
        put(&mut conn, &[order(7, 10, "old")], 2).await;
        assert_eq!(note().await, "new");
        put(&mut conn, &[order(7, 30, "newer")], 3).await;
        assert_eq!(note().await, "newer");
        let raw: RawJson =
            crate::db::run!(&pool, c => sqlx::query_scalar("SELECT raw FROM synced_orders WHERE id = 7").fetch_one(&mut *c).await).unwrap();
        let Record::Order(newer) = order(7, 30, "newer") else { unreachable!() };
        assert_eq!(raw.0, newer.raw);
    }

    #[tokio::test]
    async fn refused_records_are_reported_and_the_rest_of_the_batch_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let refused = vec![
            Refused { id: None, why: "it is not a JSON object".into() },
            Refused { id: Some(1), why: "its updatedAt is not a timestamp".into() },
        ];
        let batch = Batch { records: vec![order(2, 1, "")], refused };
        let postgres = conn.is_postgres();
        let stored = store(&mut conn, prepare(StoreId(1), batch, 1, postgres).unwrap()).await.unwrap();
        assert_eq!(stored.refused.len(), 2);
        assert_eq!(stored.refused[1].id, Some(1));
        let orders: i64 = crate::db::run!(&mut conn, c => sqlx::query_scalar("SELECT COUNT(*) FROM synced_orders").fetch_one(&mut *c).await).unwrap();
        assert_eq!(orders, 1);
    }

    #[tokio::test]
    async fn a_full_sync_sweeps_away_what_it_did_not_see() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        put(&mut conn, &[order(1, 1, ""), order(2, 1, "")], 10).await;
        put(&mut conn, &[order(1, 1, "")], 20).await;
        sweep(&mut conn, StoreId(1), 20).await.unwrap();
        let left: Vec<i64> = crate::db::run!(&mut conn, c => sqlx::query_scalar("SELECT id FROM synced_orders").fetch_all(&mut *c).await).unwrap();
        assert_eq!(left, vec![1], "order 2 is gone from its store");
    }

    #[tokio::test]
    async fn a_line_its_platform_does_not_count_keeps_storelinks_shipments_off_when_synced_again() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let remaining = "SELECT id, remaining_quantity FROM synced_fulfillment_order_lines ORDER BY id";
        // Line 31 is counted here (no platform count); line 32 by its platform.
        let file = || [order(1, 1, ""), unit(21, 1), unit_line(31, 21, 11, 3, None), unit_line(32, 21, 12, 2, Some(2))];
        put(&mut conn, &file(), 1).await;
        assert_eq!(counted(&mut conn, remaining).await, [(31, 3), (32, 2)]);
        let line = |id, quantity, seen| ShippedLine { id, quantity, seen };
        shipped(&mut conn, StoreId(1), &[line(31, 1, 3), line(32, 1, 2)]).await.unwrap();
        assert_eq!(counted(&mut conn, remaining).await, [(31, 2), (32, 1)]);
        // Synced again: the platform's count stands where it has one; storelink's otherwise.
        put(&mut conn, &file(), 2).await;
        assert_eq!(counted(&mut conn, remaining).await, [(31, 2), (32, 2)]);
        shipped(&mut conn, StoreId(1), &[line(31, 5, 0)]).await.unwrap();
        put(&mut conn, &file(), 3).await;
        assert_eq!(counted(&mut conn, remaining).await, [(31, 0), (32, 2)], "never below nothing");
        // The platform's count, fetched since the write began, already has the shipment in it.
        shipped(&mut conn, StoreId(1), &[line(32, 1, 3)]).await.unwrap();
        assert_eq!(counted(&mut conn, remaining).await, [(31, 0), (32, 2)], "not taken twice");
    }

    #[tokio::test]
    async fn a_parcel_knows_its_orders_age_whichever_arrives_first() {
        let dir = tempfile::tempdir().unwrap();
        let pool = store_one(&dir).await;
        let mut conn = pool.acquire().await.unwrap();
        let ages = "SELECT id, COALESCE(order_created_at, -1) FROM synced_fulfillment_orders ORDER BY id";
        // A parcel before its order (another page of the sync, a webhook), then the order.
        put(&mut conn, &[unit(21, 1), unit_line(31, 21, 11, 1, None)], 1).await;
        assert_eq!(counted(&mut conn, ages).await, [(21, -1)]);
        put(&mut conn, &[order(1, 1, "")], 1).await;
        put(&mut conn, &[unit(22, 1), unit_line(32, 22, 12, 1, None)], 1).await;
        assert_eq!(counted(&mut conn, ages).await, [(21, 1_767_225_600), (22, 1_767_225_600)]);
        // Stored again, or its order's date corrected: still the order's.
        let mut moved = order(1, 2, "");
        if let Record::Order(o) = &mut moved {
            o.created_at += 60;
        }
        put(&mut conn, &[unit(21, 1), moved], 2).await;
        assert_eq!(counted(&mut conn, ages).await, [(21, 1_767_225_660), (22, 1_767_225_660)]);
        let listed = awaiting(&pool, &[StoreId(1)], &AwaitingQuery::default()).await.unwrap();
        assert_eq!(listed.rows.iter().map(|r| r.fulfillment_order_id).collect::<Vec<_>>(), [21, 22]);
    }

    #[tokio::test]
    async fn orders_stored_before_compression_read_back_and_know_their_customer() {
        use std::str::FromStr;
        let dir = tempfile::tempdir().unwrap();
        let url = crate::db::sqlite_url_in(dir.path());
        // A database as it was before compression: migrations up to 0004, the JSON as text.
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        let before = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate!("./migrations/sqlite").run_to(4, &before).await.unwrap();
        let json = r#"{"id":9,"customer":{"id":42,"first_name":"Ann"},"note":"as text"}"#;
        sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at) VALUES (1, 'shopify', 'S', 's.myshopify.com', 'connected', 0)")
            .execute(&before)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO synced_orders (store_id, id, name, created_at_text, created_at, updated_at, status, items,
                                        total_weight, total_price, raw)
             VALUES (1, 9, '#1009', '2026-01-01T00:00:00-05:00', 0, 0, 'open', 1, 0, '1.00', $1)",
        )
        .bind(json)
        .execute(&before)
        .await
        .unwrap();
        before.close().await;

        let pool = crate::db::connect(&url).await.unwrap();
        let (customer, RawJson(raw)): (Option<i64>, RawJson) =
            crate::db::run!(&pool, c => sqlx::query_as("SELECT customer_id, raw FROM synced_orders WHERE id = 9").fetch_one(&mut *c).await).unwrap();
        assert_eq!((customer, raw.as_str()), (Some(42), json));
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
