//! The `sync_jobs` and `sync_failed_items` tables.

use sqlx::QueryBuilder;

use super::{JobKind, JobState, Progress, StoreProgress, SyncRun};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::{JobId, OrgId, StoreId},
    leases,
};

/// Queues a job for the store, unless one is already queued or running (the unique index
/// `sync_jobs_one_active` decides, so two callers at once queue one). True when queued.
pub async fn queue(conn: &mut Conn, store_id: StoreId, kind: JobKind) -> Result<bool, AppError> {
    let now = db::now();
    // Nothing inserted (rather than an error) when the store has its job: an error would end
    // the caller's whole transaction on PostgreSQL (registering a store again, say).
    let queued = db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO sync_jobs (store_id, kind, state, created_at, updated_at) VALUES ($1, $2, 'queued', $3, $3)
         ON CONFLICT (store_id) WHERE state IN ('queued', 'running') DO NOTHING",
    )
    .bind(store_id)
    .bind(kind)
    .bind(now)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(queued == 1)
}

/// Cancels the queued or running jobs of the organization's stores, in the caller's transaction.
pub async fn cancel_active_of(conn: &mut Conn, org: OrgId) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query(
        "UPDATE sync_jobs SET state = 'cancelled', updated_at = $1
         WHERE state IN ('queued', 'running') AND store_id IN (SELECT id FROM stores WHERE organization_id = $2)",
    )
    .bind(db::now())
    .bind(org)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Cancels the store's queued or running job, in the caller's transaction.
pub async fn cancel_active(conn: &mut Conn, store_id: StoreId) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query(
        "UPDATE sync_jobs SET state = 'cancelled', updated_at = $1 WHERE store_id = $2 AND state IN ('queued', 'running')",
    )
    .bind(db::now())
    .bind(store_id)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A job as the engine resumes it.
#[derive(sqlx::FromRow)]
pub struct Job {
    pub store_id: StoreId,
    pub kind: JobKind,
    pub state: JobState,
    /// The engine's own record of where the job is, as JSON.
    pub checkpoint: String,
    progress: String,
}

impl Job {
    pub fn progress(&self) -> Progress {
        serde_json::from_str(&self.progress).unwrap_or_default()
    }
}

pub async fn load(pool: &Pool, id: JobId) -> Result<Option<Job>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_as("SELECT store_id, kind, state, checkpoint, progress FROM sync_jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c).await)?,
    )
}

/// Every queued or running job, oldest first.
pub async fn active(pool: &Pool) -> Result<Vec<(JobId, StoreId)>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_as("SELECT id, store_id FROM sync_jobs WHERE state IN ('queued', 'running') ORDER BY id")
        .fetch_all(&mut *c).await)?,
    )
}

/// How many jobs are in each state.
pub async fn count_by_state(pool: &Pool) -> Result<Vec<(JobState, i64)>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as("SELECT state, COUNT(*) FROM sync_jobs GROUP BY state ORDER BY state")
        .fetch_all(&mut *c).await)?)
}

/// A job as one server holds it: the job's writes carry the epoch it was claimed with.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct Claim {
    #[sqlx(rename = "id")]
    pub job_id: JobId,
    pub store_id: StoreId,
    pub epoch: i64,
}

/// Claims for `owner`, for `lease_ms`, the oldest queued or running job that nobody holds: never
/// claimed, or its lease ran out (its server died or stopped). Servers claiming at once take
/// different jobs. The claim is recorded in `sync_claims`.
pub async fn claim_next(pool: &Pool, owner: &str, lease_ms: i64) -> Result<Option<Claim>, AppError> {
    claim_where(pool, owner, lease_ms, None).await
}

/// Claims job `id` for `owner` if nobody else holds it (`owner` may hold it already: a job of
/// this server's that stopped, taken up again).
pub async fn claim(pool: &Pool, id: JobId, owner: &str, lease_ms: i64) -> Result<Option<Claim>, AppError> {
    claim_where(pool, owner, lease_ms, Some(id)).await
}

async fn claim_where(pool: &Pool, owner: &str, lease_ms: i64, id: Option<JobId>) -> Result<Option<Claim>, AppError> {
    let now = pool.clock_ms();
    let (only, mine) = match id {
        Some(_) => ("AND id = $3", "OR owner = $1"),
        None => ("", ""),
    };
    // Fair to organizations: a job of an organization with e-commerce on and below its limit of
    // jobs at once, the one holding fewest jobs now first (so none waits while another starts a
    // second), then the oldest.
    let held = |org: &str| {
        format!(
            "(SELECT COUNT(*) FROM sync_jobs h JOIN stores hs ON hs.id = h.store_id
              WHERE hs.organization_id = {org} AND h.state IN ('queued', 'running') AND h.lease_until >= {now})"
        )
    };
    let sql = format!(
        "UPDATE sync_jobs SET owner = $1, epoch = epoch + 1, lease_until = {now} + $2
         WHERE id = (SELECT id FROM sync_jobs
                     WHERE state IN ('queued', 'running') {only}
                       AND ({free} {mine})
                       AND (SELECT o.enabled AND (o.max_sync_jobs IS NULL OR {held_by_o} < o.max_sync_jobs)
                            FROM stores s JOIN organizations o ON o.id = s.organization_id
                            WHERE s.id = sync_jobs.store_id)
                     ORDER BY (SELECT {held_by_s} FROM stores s WHERE s.id = sync_jobs.store_id), id
                     LIMIT 1 {skip})
         RETURNING id, store_id, epoch",
        held_by_o = held("o.id"),
        held_by_s = held("s.organization_id"),
        free = leases::free("lease_until", now),
        // A job asked for by its id waits for a transaction still holding its row (one just
        // interrupted and not yet rolled back) instead of passing it over.
        skip = if id.is_some() { pool.lock_rows() } else { pool.skip_locked() },
    );
    let mut tx = pool.begin().await?;
    let claimed: Option<Claim> = db::run!(&mut tx, c => {
        let query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(owner).bind(lease_ms);
        match id {
            Some(id) => query.bind(id).fetch_optional(&mut *c).await,
            None => query.fetch_optional(&mut *c).await,
        }
    })?;
    if let Some(claim) = claimed {
        let sql = format!(
            "INSERT INTO sync_claims (job_id, owner, epoch, claimed_at, lease_until)
             SELECT id, owner, epoch, {now}, lease_until FROM sync_jobs WHERE id = $1"
        );
        db::run!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(claim.job_id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Ends every lease `owner` holds, so other servers may claim its jobs at once.
pub async fn release(pool: &Pool, owner: &str) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if pool.is_postgres() {
        // The jobs' rows first, then their claims': the order a running job's writes take them
        // (the fence, then its claim's count), so a hand-over and a job never wait on each other.
        let sql = "SELECT id FROM sync_jobs WHERE owner = $1 AND lease_until IS NOT NULL
                     AND state IN ('queued', 'running') ORDER BY id FOR UPDATE";
        db::run!(&mut tx, c => sqlx::query(sql).bind(owner).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    // The history: those claims end now.
    let sql = format!(
        "UPDATE sync_claims SET lease_until = {now} WHERE (job_id, epoch) IN
           (SELECT id, epoch FROM sync_jobs WHERE owner = $1 AND lease_until IS NOT NULL AND state IN ('queued', 'running'))",
        now = pool.clock_ms()
    );
    db::run!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    leases::release(&mut tx, leases::SYNC_JOBS, owner).await?;
    tx.commit().await?;
    Ok(())
}

/// Renews the claim's lease for `lease_ms` more; false when the claim no longer holds (another
/// server took the job over, this one released it, its lease ran out) or the job ended (done,
/// cancelled).
pub async fn renew(pool: &Pool, claim: Claim, lease_ms: i64) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let renewed = leases::renew(&mut tx, leases::SYNC_JOBS, claim.job_id.0, claim.epoch, lease_ms).await?;
    if renewed {
        let sql = "UPDATE sync_claims SET lease_until = (SELECT lease_until FROM sync_jobs WHERE id = $1)
                   WHERE job_id = $1 AND epoch = $2";
        db::run!(&mut tx, c => sqlx::query(sql).bind(claim.job_id).bind(claim.epoch).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(renewed)
}

/// The first statement of every transaction a job writes in: true when the claim still holds
/// and the job still runs (see [`leases::holds`]). The claim's history counts the transaction,
/// which counts only if it commits.
pub async fn fence(conn: &mut Conn, claim: Claim) -> Result<bool, AppError> {
    if !leases::holds(conn, leases::SYNC_JOBS, claim.job_id.0, claim.epoch).await? {
        return Ok(false);
    }
    db::run!(&mut *conn, c => sqlx::query("UPDATE sync_claims SET writes = writes + 1 WHERE job_id = $1 AND epoch = $2")
        .bind(claim.job_id)
        .bind(claim.epoch)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(true)
}

/// Marks the claimed job running, in the caller's fenced transaction.
pub async fn mark_running(conn: &mut Conn, id: JobId) -> Result<(), AppError> {
    let now = db::now();
    db::run!(&mut *conn, c => sqlx::query(
        "UPDATE sync_jobs SET state = 'running', started_at = COALESCE(started_at, $1), updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether the job is still running: disconnecting a store cancels it under the engine's feet.
pub async fn is_running(pool: &Pool, id: JobId) -> Result<bool, AppError> {
    let state: Option<JobState> = db::run!(pool, c => sqlx::query_scalar("SELECT state FROM sync_jobs WHERE id = $1").bind(id).fetch_optional(&mut *c).await)?;
    Ok(state == Some(JobState::Running))
}

fn progress_json(progress: &Progress) -> String {
    serde_json::to_string(progress).unwrap_or_default()
}

/// Saves where the job is, in the transaction that stored what it fetched.
pub async fn save(conn: &mut Conn, id: JobId, checkpoint: &str, progress: &Progress) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("UPDATE sync_jobs SET checkpoint = $1, progress = $2, updated_at = $3 WHERE id = $4")
        .bind(checkpoint)
        .bind(progress_json(progress))
        .bind(db::now())
        .bind(id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Ends the job: done, or failed with `error` in words.
pub async fn end(
    conn: &mut Conn,
    id: JobId,
    state: JobState,
    error: Option<&str>,
    progress: &Progress,
) -> Result<(), AppError> {
    let now = db::now();
    db::run!(&mut *conn, c => sqlx::query(
        "UPDATE sync_jobs SET state = $1, error = $2, progress = $3, finished_at = $4, updated_at = $4 WHERE id = $5",
    )
    .bind(state)
    .bind(error)
    .bind(progress_json(progress))
    .bind(now)
    .bind(id)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Cancels the job if it has not ended yet.
pub async fn cancel(pool: &Pool, id: JobId) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query(
        "UPDATE sync_jobs SET state = 'cancelled', updated_at = $1 WHERE id = $2 AND state IN ('queued', 'running')",
    )
    .bind(db::now())
    .bind(id)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// A record Shopify sent that could not be stored, and why.
pub async fn record_failed_item(
    conn: &mut Conn,
    id: JobId,
    resource: &str,
    shopify_id: Option<i64>,
    reason: &str,
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("INSERT INTO sync_failed_items (job_id, resource, shopify_id, reason) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(resource)
        .bind(shopify_id)
        .bind(reason)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LatestRow {
    id: JobId,
    store_id: StoreId,
    organization_id: OrgId,
    kind: JobKind,
    state: JobState,
    error: Option<String>,
    progress: String,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    deliveries: i64,
}

/// The latest job of one store or of every store, of one organization (a page's) or of all
/// (the progress hub's, which hands each stream its viewer's only).
pub async fn latest(
    pool: &Pool,
    org: Option<OrgId>,
    store_id: Option<StoreId>,
) -> Result<Vec<StoreProgress>, AppError> {
    let rows: Vec<LatestRow> = db::run!(pool, c => sqlx::query_as(
        "SELECT j.id, j.store_id, s.organization_id, j.kind, j.state, j.error, j.progress, j.started_at, j.finished_at,
            (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.store_id = j.store_id) AS deliveries
         FROM sync_jobs j JOIN stores s ON s.id = j.store_id
         WHERE j.id = (SELECT MAX(id) FROM sync_jobs WHERE store_id = j.store_id)
           AND ($1 IS NULL OR j.store_id = $1) AND ($2 IS NULL OR s.organization_id = $2)
         ORDER BY j.store_id",
    )
    .bind(store_id)
    .bind(org)
    .fetch_all(&mut *c).await)?;
    let now = db::now();
    Ok(rows
        .into_iter()
        .map(|row| StoreProgress {
            store_id: row.store_id,
            org: row.organization_id,
            job_id: row.id,
            kind: row.kind,
            state: row.state,
            error: row.error,
            progress: serde_json::from_str(&row.progress).unwrap_or_default(),
            started_at: row.started_at,
            finished_at: row.finished_at,
            now,
            deliveries: row.deliveries,
        })
        .collect())
}

/// The store's last `limit` syncs that ran to an end, oldest first.
pub async fn history(pool: &Pool, store_id: StoreId, limit: i64) -> Result<Vec<SyncRun>, AppError> {
    let rows: Vec<(JobId, JobKind, JobState, i64, i64, String)> = db::run!(pool, c => sqlx::query_as(
        "SELECT id, kind, state, started_at, finished_at, progress FROM sync_jobs
         WHERE store_id = $1 AND started_at IS NOT NULL AND finished_at IS NOT NULL
         ORDER BY id DESC LIMIT $2",
    )
    .bind(store_id)
    .bind(limit)
    .fetch_all(&mut *c).await)?;
    Ok(rows
        .into_iter()
        .rev()
        .map(|(job_id, kind, state, started_at, finished_at, progress)| {
            let progress: Progress = serde_json::from_str(&progress).unwrap_or_default();
            let records = progress.resources.values().map(|c| c.done).sum();
            SyncRun { job_id, kind, state, started_at, finished_at, records }
        })
        .collect())
}

/// The connected stores with credentials and no job under way whose last job ended before
/// `cutoff`, or before `stretched_cutoff` when they hold as many webhook subscriptions as
/// `all_topics` gives their platform (by its slug): webhooks bring their changes, so the schedule
/// only catches what was missed.
pub async fn due_for_schedule(
    pool: &Pool,
    cutoff: i64,
    stretched_cutoff: i64,
    all_topics: &[(&str, i64)],
) -> Result<Vec<StoreId>, AppError> {
    Ok(db::run!(pool, c => {
        let mut sql = QueryBuilder::new(
            "SELECT s.id FROM stores s JOIN store_credentials c ON c.store_id = s.id
             WHERE s.state = 'connected'
               AND s.organization_id IN (SELECT id FROM organizations WHERE enabled)
               AND NOT EXISTS (SELECT 1 FROM sync_jobs j WHERE j.store_id = s.id
                               AND (j.state IN ('queued', 'running') OR COALESCE(j.finished_at, j.created_at) >
                                    CASE WHEN (SELECT COUNT(*) FROM store_webhooks w WHERE w.store_id = s.id) >= CASE s.platform",
        );
        for (platform, topics) in all_topics {
            sql.push(" WHEN ").push_bind(platform.to_string()).push(" THEN ").push_bind(*topics);
        }
        sql.push(" END THEN ").push_bind(stretched_cutoff).push(" ELSE ").push_bind(cutoff).push(" END))");
        sql.build_query_scalar().fetch_all(&mut *c).await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::fixtures::{connected_store, pool};

    #[tokio::test]
    async fn stores_with_every_webhook_are_due_less_often() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&dir).await;
        let store = connected_store(&pool).await;
        let now = db::now();
        let mut conn = pool.acquire().await.unwrap();
        assert!(queue(&mut conn, store, JobKind::Full).await.unwrap());
        assert!(!queue(&mut conn, store, JobKind::Incremental).await.unwrap(), "one job at a time");
        let (job, _) = active(&pool).await.unwrap()[0];
        // The last sync ended twenty minutes ago.
        end(&mut conn, job, JobState::Done, None, &Progress::default()).await.unwrap();
        db::run!(&mut conn, c => sqlx::query("UPDATE sync_jobs SET finished_at = $1 WHERE id = $2")
            .bind(now - 1200)
            .bind(job)
            .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
        for n in 0..3 {
            db::run!(&pool, c => sqlx::query("INSERT INTO store_webhooks (store_id, webhook_id, topic) VALUES ($1, $2, $3)")
                .bind(store)
                .bind(n)
                .bind(format!("topic/{n}"))
                .execute(&mut *c).await.map(|done| done.rows_affected()))
                .unwrap();
        }
        // Due every ten minutes, or every thirty with all three topics subscribed.
        let due = |all_topics: i64| {
            let pool = pool.clone();
            async move { due_for_schedule(&pool, now - 600, now - 1800, &[("shopify", all_topics)]).await }
        };
        assert_eq!(due(3).await.unwrap(), vec![], "subscribed to every topic: not yet");
        assert_eq!(due(4).await.unwrap(), vec![store], "a topic missing: due");
        assert!(queue(&mut conn, store, JobKind::Incremental).await.unwrap());
        assert_eq!(due(4).await.unwrap(), vec![], "a job under way is never doubled");
    }

    async fn queued_job(pool: &Pool, domain: &str) -> JobId {
        let store: StoreId = db::run!(pool, c => sqlx::query_scalar(
            "INSERT INTO stores (platform, name, shop_domain, state, created_at, organization_id) VALUES ('shopify', 'S', $1, 'connected', 0, 1) RETURNING id",
        )
        .bind(domain)
        .fetch_one(&mut *c).await)
        .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        assert!(queue(&mut conn, store, JobKind::Full).await.unwrap());
        active(pool).await.unwrap().into_iter().find(|(_, s)| *s == store).unwrap().0
    }

    #[tokio::test]
    async fn a_job_is_held_by_one_server_until_its_lease_runs_out_and_the_old_holder_is_fenced_off() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&dir).await;
        let job = queued_job(&pool, "a.myshopify.com").await;

        // A lease long enough that a busy machine still renews and writes within it.
        let lease_ms = 1500;
        let first = claim_next(&pool, "server-a", lease_ms).await.unwrap().expect("a queued job is claimed");
        assert_eq!((first.job_id, first.epoch), (job, 1));
        assert_eq!(claim_next(&pool, "server-b", lease_ms).await.unwrap(), None, "held: nobody else takes it");
        assert_eq!(claim(&pool, job, "server-b", lease_ms).await.unwrap(), None);
        assert!(renew(&pool, first, lease_ms).await.unwrap());
        let mut tx = pool.begin().await.unwrap();
        assert!(fence(&mut tx, first).await.unwrap(), "its holder may write");
        drop(tx);

        // server-a stops renewing (it died, or it is paused); its lease runs out.
        tokio::time::sleep(std::time::Duration::from_millis(lease_ms as u64 + 100)).await;
        let mut tx = pool.begin().await.unwrap();
        assert!(!fence(&mut tx, first).await.unwrap(), "past its lease the old holder may not write");
        drop(tx);
        let second = claim_next(&pool, "server-b", 10_000).await.unwrap().expect("taken over");
        assert_eq!((second.job_id, second.epoch), (job, 2));
        assert!(!renew(&pool, first, 300).await.unwrap(), "the old holder learns it lost the job");
        let mut tx = pool.begin().await.unwrap();
        assert!(!fence(&mut tx, first).await.unwrap(), "and can write nothing");
        drop(tx);
        let mut tx = pool.begin().await.unwrap();
        assert!(fence(&mut tx, second).await.unwrap());
        drop(tx);

        // The history: each claim with the last lease it was granted, one holder at a time.
        let claims: Vec<(String, i64, i64, i64)> = db::run!(&pool, c => sqlx::query_as(
            "SELECT owner, epoch, claimed_at, lease_until FROM sync_claims WHERE job_id = $1 ORDER BY epoch",
        )
        .bind(job)
        .fetch_all(&mut *c).await)
        .unwrap();
        assert_eq!(claims.iter().map(|c| (c.0.as_str(), c.1)).collect::<Vec<_>>(), [("server-a", 1), ("server-b", 2)]);
        assert!(claims[1].2 > claims[0].3, "server-b claimed after server-a's last lease ran out: {claims:?}");

        // A cancelled job (its store disconnected from any server) is no one's to write to.
        let mut conn = pool.acquire().await.unwrap();
        cancel(&pool, job).await.unwrap();
        assert!(!fence(&mut conn, second).await.unwrap());
        assert!(!renew(&pool, second, 300).await.unwrap());
    }

    #[tokio::test]
    async fn servers_claiming_at_once_take_different_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&dir).await;
        let mut jobs = Vec::new();
        for n in 0..6 {
            jobs.push(queued_job(&pool, &format!("s{n}.myshopify.com")).await);
        }
        let claims = futures::future::join_all((0..8).map(|n| {
            let pool = pool.clone();
            async move { claim_next(&pool, &format!("server-{n}"), 10_000).await.unwrap() }
        }))
        .await;
        let mut claimed: Vec<JobId> = claims.iter().flatten().map(|c| c.job_id).collect();
        claimed.sort();
        assert_eq!(claimed, jobs, "each job once, and the two servers too many found none");
    }
}
