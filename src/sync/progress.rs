//! Progress snapshots read from the jobs table, the stream every browser watches, and queuing
//! incremental syncs.

use std::sync::Arc;

use futures::{stream, StreamExt};
use server_fn::codec::TextStream;
use sqlx::Row;
use tokio::sync::broadcast;

use super::{Progress, StoreProgress};
use crate::{audit, error::AppError, server::db, users::UserDto};

fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<StoreProgress, sqlx::Error> {
    let progress: String = row.try_get("progress")?;
    Ok(StoreProgress {
        store_id: row.try_get("store_id")?,
        job_id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        state: row.try_get("state")?,
        error: row.try_get("error")?,
        progress: serde_json::from_str::<Progress>(&progress).unwrap_or_default(),
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        now: db::now(),
        deliveries: row.try_get("deliveries")?,
    })
}

/// The latest job of one store, or of every store.
pub async fn latest(pool: &db::Pool, store_id: Option<i64>) -> Result<Vec<StoreProgress>, AppError> {
    let rows = sqlx::query(
        "SELECT id, store_id, kind, state, error, progress, started_at, finished_at,
            (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.store_id = j.store_id) AS deliveries
         FROM sync_jobs j
         WHERE id = (SELECT MAX(id) FROM sync_jobs WHERE store_id = j.store_id) AND (? IS NULL OR store_id = ?)
         ORDER BY store_id",
    )
    .bind(store_id)
    .bind(store_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

fn line(progress: &StoreProgress) -> String {
    let mut text = serde_json::to_string(progress).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads each changed store's snapshot once and hands it to every progress stream, so a change
/// costs one query however many browsers watch.
pub async fn publish(
    pool: db::Pool,
    mut changes: broadcast::Receiver<i64>,
    snapshots: broadcast::Sender<Arc<StoreProgress>>,
) {
    loop {
        let changed = match changes.recv().await {
            Ok(store_id) => Some(store_id),
            // Some stores' changes were missed: publish every store.
            Err(broadcast::error::RecvError::Lagged(_)) => None,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if snapshots.receiver_count() == 0 {
            continue;
        }
        match latest(&pool, changed).await {
            Ok(latest) => {
                for snapshot in latest {
                    let _ = snapshots.send(Arc::new(snapshot));
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not read sync progress"),
        }
    }
}

/// The current snapshot, then one line per change, for as long as the browser listens.
pub async fn stream(
    pool: db::Pool,
    snapshots: broadcast::Receiver<Arc<StoreProgress>>,
    store_id: Option<i64>,
) -> Result<TextStream<AppError>, AppError> {
    let first: String = latest(&pool, store_id).await?.iter().map(line).collect();
    let updates = stream::unfold((pool, snapshots), move |(pool, mut snapshots)| async move {
        loop {
            let text = match snapshots.recv().await {
                Ok(snapshot) if store_id.is_none_or(|id| id == snapshot.store_id) => line(&snapshot),
                Ok(_) => continue,
                // Fell behind: send everything watched again.
                Err(broadcast::error::RecvError::Lagged(_)) => match latest(&pool, store_id).await {
                    Ok(snapshots) => snapshots.iter().map(line).collect(),
                    Err(err) => return Some((Err(err), (pool, snapshots))),
                },
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            return Some((Ok(text), (pool, snapshots)));
        }
    });
    Ok(TextStream::new(stream::once(async move { Ok(first) }).chain(updates)))
}

/// Queues an incremental sync of a connected store; one job per store at a time.
pub async fn queue_incremental(pool: &db::Pool, user: &UserDto, store_id: i64) -> Result<String, AppError> {
    let store: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT name, state, (SELECT COUNT(*) FROM store_credentials c WHERE c.store_id = stores.id) FROM stores WHERE id = ?",
    )
    .bind(store_id)
    .fetch_optional(pool)
    .await?;
    let Some((name, state, credentials)) = store else {
        return Err(AppError::NotFound("That store does not exist.".into()));
    };
    if state != "connected" || credentials == 0 {
        return Err(AppError::Conflict(format!("{name} is disconnected: reconnect it before synchronizing.")));
    }
    let now = db::now();
    let mut tx = pool.begin().await?;
    let queued = sqlx::query(
        "INSERT INTO sync_jobs (store_id, kind, state, created_at, updated_at) VALUES (?, 'incremental', 'queued', ?, ?)",
    )
    .bind(store_id)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match queued {
        Ok(_) => {}
        Err(err) if db::violates(&err, "sync_jobs.store_id") => {
            return Ok(format!("{name} is already synchronizing."));
        }
        Err(err) => return Err(err.into()),
    }
    audit::repo::record(&mut tx, user, "Started a sync", Some((store_id, &name)), "incremental").await?;
    tx.commit().await?;
    Ok(format!("Synchronizing {name} now."))
}
