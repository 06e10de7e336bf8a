//! What every open page hears: each change to a store's sync is announced here, its snapshot is
//! read from the database once, and every progress stream gets it. Whoever changes a store's
//! job or data (the sync engine, a webhook delivery) calls [`Hub::changed`].

use std::sync::Arc;

use futures::{stream, StreamExt};
use server_fn::codec::TextStream;
use tokio::sync::broadcast;

use crate::{db::Pool, error::AppError, ids::StoreId, jobs, jobs::StoreProgress, ndjson};

/// The announcements and the snapshots; cheap to clone, one per server.
#[derive(Clone)]
pub struct Hub {
    pool: Pool,
    changes: broadcast::Sender<StoreId>,
    snapshots: broadcast::Sender<Arc<StoreProgress>>,
    /// Stores whose bulk operation Shopify says has finished (its `bulk_operations/finish`
    /// webhook), so a sync waiting on it polls at once.
    bulk_finished: broadcast::Sender<StoreId>,
}

impl Hub {
    /// Starts the task that turns announcements into snapshots.
    pub fn start(pool: Pool) -> Hub {
        let (changes, _) = broadcast::channel(1024);
        let (snapshots, _) = broadcast::channel(1024);
        let (bulk_finished, _) = broadcast::channel(256);
        tokio::spawn(publish(pool.clone(), changes.subscribe(), snapshots.clone()));
        Hub { pool, changes, snapshots, bulk_finished }
    }

    /// Shopify says one of the store's bulk operations has finished.
    pub fn bulk_finished(&self, store_id: StoreId) {
        let _ = self.bulk_finished.send(store_id);
    }

    /// Every store whose bulk operation finished, as Shopify tells it.
    pub fn bulk_finishes(&self) -> broadcast::Receiver<StoreId> {
        self.bulk_finished.subscribe()
    }

    /// Tells every progress stream that the store's job or data changed.
    pub fn changed(&self, store_id: StoreId) {
        // Nobody watching is fine.
        let _ = self.changes.send(store_id);
    }

    /// Every store's progress snapshot as it changes.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoreProgress>> {
        self.snapshots.subscribe()
    }

    /// Newline-delimited JSON: the current snapshot of one store's latest job (or every
    /// store's), then one line per change, for as long as the browser listens.
    pub async fn stream(&self, store_id: Option<StoreId>) -> Result<TextStream<AppError>, AppError> {
        let snapshots = self.subscribe();
        let first: String = jobs::repo::latest(&self.pool, store_id).await?.iter().map(ndjson::line).collect();
        let pool = self.pool.clone();
        let updates = stream::unfold((pool, snapshots), move |(pool, mut snapshots)| async move {
            loop {
                let text = match snapshots.recv().await {
                    Ok(snapshot) if store_id.is_none_or(|id| id == snapshot.store_id) => ndjson::line(&*snapshot),
                    Ok(_) => continue,
                    // Fell behind: send everything watched again.
                    Err(broadcast::error::RecvError::Lagged(_)) => match jobs::repo::latest(&pool, store_id).await {
                        Ok(snapshots) => snapshots.iter().map(ndjson::line).collect(),
                        Err(err) => return Some((Err(err), (pool, snapshots))),
                    },
                    Err(broadcast::error::RecvError::Closed) => return None,
                };
                return Some((Ok(text), (pool, snapshots)));
            }
        });
        Ok(TextStream::new(stream::once(async move { Ok(first) }).chain(updates)))
    }
}

/// Reads each changed store's snapshot once and hands it to every progress stream, so a change
/// costs one query however many browsers watch.
async fn publish(
    pool: Pool,
    mut changes: broadcast::Receiver<StoreId>,
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
        match jobs::repo::latest(&pool, changed).await {
            Ok(latest) => {
                for snapshot in latest {
                    let _ = snapshots.send(Arc::new(snapshot));
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not read sync progress"),
        }
    }
}
