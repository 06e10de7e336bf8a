//! Leases: how one server at a time holds a piece of work (a sync job, a shipment to send) when
//! several share the database. A row of work has an `owner`, an `epoch` counted up by every
//! claim, and `lease_until` on the database's clock. The one rule, for every kind of work: a
//! claim holds while its epoch is the row's and its lease has not run out; only then may it be
//! renewed or write; a row whose lease ran out (or never had one) may be claimed by anyone, which
//! counts the epoch up and so fences the old holder off for good.
//!
//! This module is the repository of those three columns, for the tables that have them; each
//! table's own repository claims (its choice of what is due differs) with [`free`].

use crate::{
    db::{self, Conn},
    error::AppError,
};

/// A table whose rows are leased, and what makes a row still worth holding.
#[derive(Debug, Clone, Copy)]
pub struct Leased {
    table: &'static str,
    /// True of a row whose work is not over (a job ended holds nothing).
    open: &'static str,
}

pub const SYNC_JOBS: Leased = Leased { table: "sync_jobs", open: "state IN ('queued', 'running')" };
pub const SHIPMENTS: Leased = Leased { table: "shipments", open: "TRUE" };

/// The condition a row nobody holds meets (never claimed, or its lease ran out), for a claim's
/// subquery; `column` names `lease_until` as the subquery sees it.
pub fn free(column: &str, now: &str) -> String {
    format!("({column} IS NULL OR {column} < {now})")
}

/// The condition a row held by the claim with the epoch in parameter `$epoch` meets, for an
/// UPDATE that writes only while the claim holds.
pub fn held(epoch: usize, now: &str) -> String {
    format!("epoch = ${epoch} AND lease_until > {now}")
}

/// Renews the claim (row `id`, `epoch`) for `lease_ms` more, in the caller's transaction; false
/// when it no longer holds (another server took the row over, this one released it, its lease
/// ran out, or the work is over).
pub async fn renew(conn: &mut Conn, leased: Leased, id: i64, epoch: i64, lease_ms: i64) -> Result<bool, AppError> {
    let now = conn.clock_ms();
    let sql = format!(
        "UPDATE {table} SET lease_until = {now} + $3 WHERE id = $1 AND {held} AND {open}",
        table = leased.table,
        held = held(2, now),
        open = leased.open,
    );
    let renewed = db::run!(&mut *conn, c => sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(epoch)
        .bind(lease_ms)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(renewed == 1)
}

/// The first statement of a transaction that writes under a claim: true while it holds. On
/// PostgreSQL it also locks the row until the transaction ends, so a server taking the row over
/// waits for this transaction and then sees what it wrote.
pub async fn holds(conn: &mut Conn, leased: Leased, id: i64, epoch: i64) -> Result<bool, AppError> {
    let sql = format!(
        "UPDATE {table} SET epoch = epoch WHERE id = $1 AND {held} AND {open}",
        table = leased.table,
        held = held(2, conn.clock_ms()),
        open = leased.open,
    );
    let held = db::run!(&mut *conn, c => sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(epoch)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(held == 1)
}

/// Ends every lease `owner` holds on open rows, so other servers may claim them at once.
pub async fn release(conn: &mut Conn, leased: Leased, owner: &str) -> Result<(), AppError> {
    let sql = format!(
        "UPDATE {table} SET lease_until = NULL WHERE owner = $1 AND lease_until IS NOT NULL AND {open}",
        table = leased.table,
        open = leased.open,
    );
    db::run!(&mut *conn, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::fixtures::{connected_store, pool};

    /// Both kinds of work follow one rule: renewed and written only while the lease holds, not
    /// once it ran out, even before anyone else claims the row.
    #[tokio::test]
    async fn a_lease_that_ran_out_is_neither_renewed_nor_written_under_for_jobs_and_shipments_alike() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&dir).await;
        let store = connected_store(&pool).await;
        let job: i64 = db::run!(&pool, c => sqlx::query_scalar(
            "INSERT INTO sync_jobs (store_id, kind, state, created_at, updated_at, owner, epoch, lease_until)
             VALUES ($1, 'full', 'running', 0, 0, 'a', 1, NULL) RETURNING id")
            .bind(store).fetch_one(&mut *c).await)
        .unwrap();
        let shipment: i64 = db::run!(&pool, c => sqlx::query_scalar(
            "INSERT INTO shipments (store_id, order_id, carrier, tracking_number, notify_customer, lines, state,
                                    recorded_by, created_at, updated_at, next_attempt_at, owner, epoch, lease_until)
             VALUES ($1, 1, 'UPS', '1Z', FALSE, '[]', 'pending', 'test', 0, 0, 0, 'a', 1, NULL) RETURNING id")
            .bind(store).fetch_one(&mut *c).await)
        .unwrap();
        for (leased, id) in [(SYNC_JOBS, job), (SHIPMENTS, shipment)] {
            let table = leased.table;
            let mut conn = pool.acquire().await.unwrap();
            let set_lease = |offset_ms: i64| {
                let sql = format!("UPDATE {table} SET lease_until = {} + $1 WHERE id = $2", pool.clock_ms());
                let pool = pool.clone();
                async move {
                    db::run!(&pool, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(offset_ms).bind(id)
                        .execute(&mut *c).await.map(|done| done.rows_affected()))
                    .unwrap();
                }
            };
            set_lease(60_000).await;
            assert!(holds(&mut conn, leased, id, 1).await.unwrap(), "{table}: a live lease holds");
            assert!(renew(&mut conn, leased, id, 1, 60_000).await.unwrap(), "{table}: and is renewed");
            assert!(!holds(&mut conn, leased, id, 2).await.unwrap(), "{table}: another epoch never holds");
            set_lease(-1).await;
            assert!(!holds(&mut conn, leased, id, 1).await.unwrap(), "{table}: a lease that ran out does not hold");
            assert!(!renew(&mut conn, leased, id, 1, 60_000).await.unwrap(), "{table}: nor is it renewed");
            set_lease(60_000).await;
            release(&mut conn, leased, "a").await.unwrap();
            assert!(!holds(&mut conn, leased, id, 1).await.unwrap(), "{table}: a released lease does not hold");
        }
    }
}
