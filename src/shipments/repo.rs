//! The `shipments` and `shipment_keys` tables. A shipment due to be sent (pending, or sent with a
//! new tracking number) is claimed like a sync job: owner, an epoch raised at every claim, a
//! lease on the database's clock; every write of its outcome names the epoch, so a server that
//! lost its claim changes nothing.

use super::{Shipment, ShipmentLine, ShipmentRequest, ShipmentState};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::{OrgId, ShipmentId, StoreId},
    leases,
};

const COLUMNS: &str =
    "id, store_id, order_id, location_id, carrier, tracking_number, tracking_url, notify_customer, lines, state,
    reason, fulfillment_id, reference, tracking_changed, recorded_by, created_at, updated_at";

/// What still needs writing back: not yet sent, or sent with tracking changed since.
const DUE: &str = "(state = 'pending' OR (state = 'sent' AND tracking_changed))";

#[derive(sqlx::FromRow)]
struct Row {
    id: ShipmentId,
    store_id: StoreId,
    order_id: i64,
    location_id: Option<i64>,
    carrier: String,
    tracking_number: String,
    tracking_url: Option<String>,
    notify_customer: bool,
    lines: String,
    state: ShipmentState,
    reason: Option<String>,
    fulfillment_id: Option<i64>,
    reference: Option<String>,
    tracking_changed: bool,
    recorded_by: String,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Shipment {
    fn from(row: Row) -> Shipment {
        Shipment {
            id: row.id,
            store_id: row.store_id,
            order_id: row.order_id,
            location_id: row.location_id,
            carrier: row.carrier,
            tracking_number: row.tracking_number,
            tracking_url: row.tracking_url,
            notify_customer: row.notify_customer,
            lines: serde_json::from_str(&row.lines).unwrap_or_default(),
            state: row.state,
            reason: row.reason,
            fulfillment_id: row.fulfillment_id,
            reference: row.reference,
            tracking_changed: row.tracking_changed,
            recorded_by: row.recorded_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Stores a shipment to be sent now; its id.
pub async fn insert(
    conn: &mut Conn,
    store_id: StoreId,
    request: &ShipmentRequest,
    location_id: Option<i64>,
    lines: &[ShipmentLine],
    recorded_by: &str,
) -> Result<ShipmentId, AppError> {
    let now = db::now();
    let sql = format!(
        "INSERT INTO shipments (store_id, order_id, location_id, carrier, tracking_number, tracking_url, notify_customer,
             lines, state, next_attempt_at, recorded_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', {clock}, $9, $10, $10) RETURNING id",
        clock = conn.clock_ms()
    );
    let lines = serde_json::to_string(lines).map_err(|_| AppError::Internal)?;
    Ok(db::run!(&mut *conn, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(store_id)
        .bind(request.order_id)
        .bind(location_id)
        .bind(&request.carrier)
        .bind(&request.tracking_number)
        .bind(&request.tracking_url)
        .bind(request.notify_customer)
        .bind(&lines)
        .bind(recorded_by)
        .bind(now)
        .fetch_one(&mut *c).await)?)
}

/// The request hash and shipment a key recorded.
pub async fn by_key(conn: &mut Conn, scope: &str, key: &str) -> Result<Option<(String, ShipmentId)>, AppError> {
    Ok(
        db::run!(&mut *conn, c => sqlx::query_as("SELECT request_hash, shipment_id FROM shipment_keys WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .fetch_optional(&mut *c).await)?,
    )
}

/// Records the key; false when another request holds it already (and this transaction is
/// spoiled: the caller drops it).
pub async fn insert_key(conn: &mut Conn, scope: &str, key: &str, hash: &str, id: ShipmentId) -> Result<bool, AppError> {
    let inserted = db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO shipment_keys (scope, key, request_hash, shipment_id, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(scope)
    .bind(key)
    .bind(hash)
    .bind(id)
    .bind(db::now())
    .execute(&mut *c).await.map(|done| done.rows_affected()));
    match inserted {
        Ok(_) => Ok(true),
        Err(err) if db::violates(&err, &db::Unique { columns: "shipment_keys.scope", name: "shipment_keys_pkey" }) => {
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

/// The lines of the order's shipments not yet sent: what they will take of what remains.
pub async fn unsent_lines(conn: &mut Conn, store_id: StoreId, order_id: i64) -> Result<Vec<ShipmentLine>, AppError> {
    let found: Vec<String> = db::run!(&mut *conn, c => sqlx::query_scalar(
        "SELECT lines FROM shipments WHERE store_id = $1 AND order_id = $2 AND state = 'pending'",
    )
    .bind(store_id)
    .bind(order_id)
    .fetch_all(&mut *c).await)?;
    Ok(found.iter().flat_map(|lines| serde_json::from_str::<Vec<ShipmentLine>>(lines).unwrap_or_default()).collect())
}

pub async fn get(pool: &Pool, id: ShipmentId) -> Result<Option<Shipment>, AppError> {
    get_in(&mut pool.acquire().await?, id).await
}

/// The shipment, when it was recorded for a store of the organization: how a shipment id from a
/// request is read.
pub async fn find(pool: &Pool, org: OrgId, id: ShipmentId) -> Result<Option<Shipment>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM shipments WHERE id = $1 AND store_id IN (SELECT id FROM stores WHERE organization_id = $2)"
    );
    let row: Option<Row> = db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(org)
        .fetch_optional(&mut *c).await)?;
    Ok(row.map(Shipment::from))
}

/// [`get`] in the caller's transaction.
pub async fn get_in(conn: &mut Conn, id: ShipmentId) -> Result<Option<Shipment>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM shipments WHERE id = $1");
    let row: Option<Row> =
        db::run!(&mut *conn, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await)?;
    Ok(row.map(Shipment::from))
}

/// The store's shipments, newest first: those in `states` (all when empty), at most `limit`.
pub async fn of_store(
    pool: &Pool,
    store_id: StoreId,
    states: &[ShipmentState],
    limit: i64,
) -> Result<Vec<Shipment>, AppError> {
    let only = if states.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_sql())).collect();
        format!(" AND state IN ({})", names.join(", "))
    };
    let sql = format!("SELECT {COLUMNS} FROM shipments WHERE store_id = $1{only} ORDER BY id DESC LIMIT $2");
    let rows: Vec<Row> = db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(store_id).bind(limit).fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().map(Shipment::from).collect())
}

/// The latest shipment of the order that reached its store.
pub async fn sent_of_order(pool: &Pool, store_id: StoreId, order_id: i64) -> Result<Option<Shipment>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM shipments WHERE store_id = $1 AND order_id = $2 AND state = 'sent' ORDER BY id DESC LIMIT 1"
    );
    let row: Option<Row> = db::run!(pool, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(store_id).bind(order_id).fetch_optional(&mut *c).await)?;
    Ok(row.map(Shipment::from))
}

/// The shipments of these orders (store, order) that are not settled (pending or failed), oldest
/// first.
pub async fn unsettled_of_orders(pool: &Pool, orders: &[(StoreId, i64)]) -> Result<Vec<Shipment>, AppError> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = db::run!(pool, c => {
        let mut sql = sqlx::QueryBuilder::new(format!(
            "SELECT {COLUMNS} FROM shipments WHERE state IN ('pending', 'failed') AND ("
        ));
        db::push_pairs(&mut sql, ("store_id", "order_id"), orders.iter().map(|(store, order)| (store.0, *order)));
        sql.push(") ORDER BY id");
        sql.build_query_as().fetch_all(&mut *c).await
    })?;
    Ok(rows.into_iter().map(Shipment::from).collect())
}

/// How many failed write-backs each of `stores` has (stores with none left out).
pub async fn failed_counts(pool: &Pool, stores: &[StoreId]) -> Result<Vec<(StoreId, i64)>, AppError> {
    Ok(db::run!(pool, c => {
        let mut sql = sqlx::QueryBuilder::new("SELECT store_id, COUNT(*) FROM shipments WHERE state = 'failed' AND ");
        db::push_in(&mut sql, "store_id", stores.iter().map(|s| s.0));
        sql.push(" GROUP BY store_id");
        sql.build_query_as().fetch_all(&mut *c).await
    })?)
}

/// A failed shipment sent again (true), or nothing (it was not failed).
pub async fn retry(pool: &Pool, store_id: StoreId, id: ShipmentId) -> Result<bool, AppError> {
    let sql = format!(
        "UPDATE shipments SET state = 'pending', reason = NULL, next_attempt_at = {}, updated_at = $3
         WHERE id = $1 AND store_id = $2 AND state = 'failed'",
        pool.clock_ms()
    );
    let done = db::run!(pool, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(store_id).bind(db::now())
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// A failed shipment left as it is (true), or nothing (it was not failed).
pub async fn dismiss(pool: &Pool, store_id: StoreId, id: ShipmentId) -> Result<bool, AppError> {
    let done = db::run!(pool, c => sqlx::query(
        "UPDATE shipments SET state = 'dismissed', updated_at = $3 WHERE id = $1 AND store_id = $2 AND state = 'failed'",
    )
    .bind(id)
    .bind(store_id)
    .bind(db::now())
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// A new tracking number and URL; a sent shipment's go to Shopify next. False when there is no
/// such shipment or it was dismissed.
pub async fn change_tracking(pool: &Pool, id: ShipmentId, number: &str, url: Option<&str>) -> Result<bool, AppError> {
    let sql = format!(
        "UPDATE shipments SET tracking_number = $2, tracking_url = $3, tracking_changed = (state = 'sent'),
             next_attempt_at = {}, updated_at = $4
         WHERE id = $1 AND state <> 'dismissed'",
        pool.clock_ms()
    );
    let done = db::run!(pool, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(number).bind(url).bind(db::now())
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// A shipment as one server holds it.
#[derive(Debug, Clone)]
pub struct Claim {
    pub shipment: Shipment,
    pub epoch: i64,
    /// Claims so far, this one included: after the first, a send may have reached Shopify.
    pub attempts: i64,
    pub owner: String,
}

/// Claims for `owner`, for `lease_ms`, the oldest due shipment of some store whose older
/// shipments are all settled: each store's shipments go to Shopify one at a time, in the order
/// they were recorded. Servers claiming at once take different ones.
pub async fn claim_next(pool: &Pool, owner: &str, lease_ms: i64) -> Result<Option<Claim>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Claimed {
        #[sqlx(flatten)]
        row: Row,
        epoch: i64,
        attempts: i64,
    }
    let now = pool.clock_ms();
    // Each store's head (its oldest shipment still to send) is the first entry of that store in
    // the index of shipments due: one step a store, however many shipments were sent before or
    // wait behind it (a pass over all of them held SQLite's write lock for milliseconds a claim).
    let sql = format!(
        "UPDATE shipments SET owner = $1, epoch = epoch + 1, attempts = attempts + 1, lease_until = {now} + $2
         WHERE id = (SELECT s.id FROM stores st
                     JOIN shipments s ON s.id = (SELECT MIN(o.id) FROM shipments o WHERE o.store_id = st.id AND {due})
                     WHERE s.next_attempt_at <= {now} AND {free}
                       AND st.organization_id IN (SELECT id FROM organizations WHERE enabled)
                     ORDER BY s.id LIMIT 1 {skip})
         RETURNING {COLUMNS}, epoch, attempts",
        due = DUE.replace("state", "o.state").replace("tracking_changed", "o.tracking_changed"),
        free = leases::free("s.lease_until", now),
        // Only the shipment is locked, never its store.
        skip = if pool.is_postgres() { "FOR UPDATE OF s SKIP LOCKED" } else { "" },
    );
    // In a transaction of its own, so that on SQLite it waits its turn among the writers.
    let mut tx = pool.begin().await?;
    let claimed: Option<Claimed> = db::run!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(owner).bind(lease_ms)
        .fetch_optional(&mut *c).await)?;
    tx.commit().await?;
    Ok(claimed.map(|c| Claim { shipment: c.row.into(), epoch: c.epoch, attempts: c.attempts, owner: owner.to_owned() }))
}

/// How a send ended.
pub enum Outcome<'a> {
    /// The platform has it, with this tracking: what it knows it by (and Shopify's fulfillment).
    Sent { reference: &'a str, fulfillment_id: Option<i64>, number: &'a str, url: Option<&'a str> },
    /// The platform refused; never sent again unless someone retries.
    Failed { reason: &'a str },
    /// Try again after `delay_ms`; `reason` is shown meanwhile.
    Later { reason: &'a str, delay_ms: i64 },
}

/// Writes the outcome and ends the claim, in the caller's transaction; false (nothing written)
/// when the claim no longer holds (see [`leases`]).
pub async fn finish(conn: &mut Conn, claim: &Claim, outcome: Outcome<'_>) -> Result<bool, AppError> {
    enum Bind {
        Int(Option<i64>),
        Text(String),
    }
    let now = conn.clock_ms();
    let fence = format!("WHERE id = $1 AND owner = $3 AND {}", leases::held(2, now));
    let release = "owner = NULL, lease_until = NULL, updated_at = $4";
    let (sql, binds) = match outcome {
        // Tracking changed while it was on its way is sent next, as a change.
        Outcome::Sent { reference, fulfillment_id, number, url } => (
            format!(
                "UPDATE shipments SET state = 'sent', reason = NULL, fulfillment_id = COALESCE($5, fulfillment_id),
                     reference = $8,
                     tracking_changed = (tracking_number <> $6 OR COALESCE(tracking_url, '') <> $7), {release} {fence}"
            ),
            vec![
                Bind::Int(fulfillment_id),
                Bind::Text(number.to_owned()),
                Bind::Text(url.unwrap_or_default().to_owned()),
                Bind::Text(reference.to_owned()),
            ],
        ),
        // A change of tracking the platform refused leaves the shipment sent, with the reason.
        Outcome::Failed { reason } if claim.shipment.state == ShipmentState::Sent => (
            format!("UPDATE shipments SET reason = $5, tracking_changed = FALSE, {release} {fence}"),
            vec![Bind::Text(reason.to_owned())],
        ),
        Outcome::Failed { reason } => (
            format!("UPDATE shipments SET state = 'failed', reason = $5, {release} {fence}"),
            vec![Bind::Text(reason.to_owned())],
        ),
        Outcome::Later { reason, delay_ms } => (
            format!("UPDATE shipments SET reason = $5, next_attempt_at = {now} + $6, {release} {fence}"),
            vec![Bind::Text(reason.to_owned()), Bind::Int(Some(delay_ms))],
        ),
    };
    let done = db::run!(&mut *conn, c => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(claim.shipment.id)
            .bind(claim.epoch)
            .bind(claim.owner.clone())
            .bind(db::now());
        for bind in &binds {
            query = match bind {
                Bind::Int(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.clone()),
            };
        }
        query.execute(&mut *c).await.map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

/// Keeps the claim for `lease_ms` more, before a send that may take that long; false when it no
/// longer holds.
pub async fn renew(pool: &Pool, claim: &Claim, lease_ms: i64) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let held = leases::renew(&mut tx, leases::SHIPMENTS, claim.shipment.id.0, claim.epoch, lease_ms).await?;
    tx.commit().await?;
    Ok(held)
}

/// Ends every claim `owner` holds, so other servers may send those shipments at once.
pub async fn release(pool: &Pool, owner: &str) -> Result<(), AppError> {
    let mut conn = pool.acquire().await?;
    leases::release(&mut conn, leases::SHIPMENTS, owner).await
}
