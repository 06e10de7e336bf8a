//! The `sync_jobs` and `sync_failed_items` tables.

use super::{JobKind, JobState, Progress, StoreProgress, SyncRun};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::{JobId, StoreId},
};

/// Queues a job for the store, unless one is already queued or running (the unique index
/// `sync_jobs_one_active` decides, so two callers at once queue one). True when queued.
pub async fn queue(conn: &mut Conn, store_id: StoreId, kind: JobKind) -> Result<bool, AppError> {
    let now = db::now();
    let queued = sqlx::query(
        "INSERT INTO sync_jobs (store_id, kind, state, created_at, updated_at) VALUES ($1, $2, 'queued', $3, $3)",
    )
    .bind(store_id)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await;
    match queued {
        Ok(_) => Ok(true),
        Err(err) if db::violates(&err, "sync_jobs.store_id") => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Cancels the store's queued or running job, in the caller's transaction.
pub async fn cancel_active(conn: &mut Conn, store_id: StoreId) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE sync_jobs SET state = 'cancelled', updated_at = $1 WHERE store_id = $2 AND state IN ('queued', 'running')",
    )
    .bind(db::now())
    .bind(store_id)
    .execute(conn)
    .await?;
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
    Ok(sqlx::query_as("SELECT store_id, kind, state, checkpoint, progress FROM sync_jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?)
}

/// Every queued or running job, oldest first.
pub async fn active(pool: &Pool) -> Result<Vec<(JobId, StoreId)>, AppError> {
    Ok(sqlx::query_as("SELECT id, store_id FROM sync_jobs WHERE state IN ('queued', 'running') ORDER BY id")
        .fetch_all(pool)
        .await?)
}

pub async fn mark_running(pool: &Pool, id: JobId) -> Result<(), AppError> {
    let now = db::now();
    sqlx::query(
        "UPDATE sync_jobs SET state = 'running', started_at = COALESCE(started_at, $1), updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether the job is still running: disconnecting a store cancels it under the engine's feet.
pub async fn is_running(pool: &Pool, id: JobId) -> Result<bool, AppError> {
    let state: Option<JobState> =
        sqlx::query_scalar("SELECT state FROM sync_jobs WHERE id = $1").bind(id).fetch_optional(pool).await?;
    Ok(state == Some(JobState::Running))
}

fn progress_json(progress: &Progress) -> String {
    serde_json::to_string(progress).unwrap_or_default()
}

/// Saves where the job is, in the transaction that stored what it fetched.
pub async fn save(conn: &mut Conn, id: JobId, checkpoint: &str, progress: &Progress) -> Result<(), AppError> {
    sqlx::query("UPDATE sync_jobs SET checkpoint = $1, progress = $2, updated_at = $3 WHERE id = $4")
        .bind(checkpoint)
        .bind(progress_json(progress))
        .bind(db::now())
        .bind(id)
        .execute(conn)
        .await?;
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
    sqlx::query(
        "UPDATE sync_jobs SET state = $1, error = $2, progress = $3, finished_at = $4, updated_at = $4 WHERE id = $5",
    )
    .bind(state)
    .bind(error)
    .bind(progress_json(progress))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels the job if it has not ended yet.
pub async fn cancel(pool: &Pool, id: JobId) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE sync_jobs SET state = 'cancelled', updated_at = $1 WHERE id = $2 AND state IN ('queued', 'running')",
    )
    .bind(db::now())
    .bind(id)
    .execute(pool)
    .await?;
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
    sqlx::query("INSERT INTO sync_failed_items (job_id, resource, shopify_id, reason) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(resource)
        .bind(shopify_id)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LatestRow {
    id: JobId,
    store_id: StoreId,
    kind: JobKind,
    state: JobState,
    error: Option<String>,
    progress: String,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    deliveries: i64,
}

/// The latest job of one store, or of every store.
pub async fn latest(pool: &Pool, store_id: Option<StoreId>) -> Result<Vec<StoreProgress>, AppError> {
    let rows: Vec<LatestRow> = sqlx::query_as(
        "SELECT id, store_id, kind, state, error, progress, started_at, finished_at,
            (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.store_id = j.store_id) AS deliveries
         FROM sync_jobs j
         WHERE id = (SELECT MAX(id) FROM sync_jobs WHERE store_id = j.store_id) AND ($1 IS NULL OR store_id = $1)
         ORDER BY store_id",
    )
    .bind(store_id)
    .fetch_all(pool)
    .await?;
    let now = db::now();
    Ok(rows
        .into_iter()
        .map(|row| StoreProgress {
            store_id: row.store_id,
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
    let rows: Vec<(JobId, JobKind, JobState, i64, i64, String)> = sqlx::query_as(
        "SELECT id, kind, state, started_at, finished_at, progress FROM sync_jobs
         WHERE store_id = $1 AND started_at IS NOT NULL AND finished_at IS NOT NULL
         ORDER BY id DESC LIMIT $2",
    )
    .bind(store_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
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
/// `cutoff`, or before `stretched_cutoff` when they hold at least `all_topics` webhook
/// subscriptions (webhooks bring their changes, so the schedule only catches what was missed).
pub async fn due_for_schedule(
    pool: &Pool,
    cutoff: i64,
    stretched_cutoff: i64,
    all_topics: i64,
) -> Result<Vec<StoreId>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT s.id FROM stores s JOIN store_credentials c ON c.store_id = s.id
         WHERE s.state = 'connected'
           AND NOT EXISTS (SELECT 1 FROM sync_jobs j WHERE j.store_id = s.id
                           AND (j.state IN ('queued', 'running') OR COALESCE(j.finished_at, j.created_at) >
                                CASE WHEN (SELECT COUNT(*) FROM store_webhooks w WHERE w.store_id = s.id) >= $1
                                     THEN $2 ELSE $3 END))",
    )
    .bind(all_topics)
    .bind(stretched_cutoff)
    .bind(cutoff)
    .fetch_all(pool)
    .await?)
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
        sqlx::query("UPDATE sync_jobs SET finished_at = $1 WHERE id = $2")
            .bind(now - 1200)
            .bind(job)
            .execute(&mut *conn)
            .await
            .unwrap();
        for n in 0..3 {
            sqlx::query("INSERT INTO store_webhooks (store_id, webhook_id, topic) VALUES ($1, $2, $3)")
                .bind(store)
                .bind(n)
                .bind(format!("topic/{n}"))
                .execute(&pool)
                .await
                .unwrap();
        }
        // Due every ten minutes, or every thirty with all three topics subscribed.
        let due = |all_topics| due_for_schedule(&pool, now - 600, now - 1800, all_topics);
        assert_eq!(due(3).await.unwrap(), vec![], "subscribed to every topic: not yet");
        assert_eq!(due(4).await.unwrap(), vec![store], "a topic missing: due");
        assert!(queue(&mut conn, store, JobKind::Incremental).await.unwrap());
        assert_eq!(due(4).await.unwrap(), vec![], "a job under way is never doubled");
    }
}
