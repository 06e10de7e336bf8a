//! What every open page hears: each change to a store's sync is announced here, its snapshot is
//! read from the database once, and every progress stream gets it. Whoever changes a store's
//! job or data (the sync engine, a webhook delivery) calls [`Hub::changed`]; whoever changes the
//! store itself (registering, reconnecting, disconnecting, removing it) calls
//! [`Hub::store_changed`], so every open Stores page reads its list again.

use std::sync::Arc;

use futures::{stream, StreamExt};
use server_fn::codec::TextStream;
use tokio::sync::broadcast;

use crate::{
    db::Pool,
    error::AppError,
    ids::StoreId,
    jobs::{self, Live, StoreProgress},
    ndjson,
};

/// The announcements and the snapshots; cheap to clone, one per server.
#[derive(Clone)]
pub struct Hub {
    pool: Pool,
    changes: broadcast::Sender<StoreId>,
    snapshots: broadcast::Sender<Arc<StoreProgress>>,
    /// Stores whose bulk operation Shopify says has finished (its `bulk_operations/finish`
    /// webhook), so a sync waiting on it polls at once.
    bulk_finished: broadcast::Sender<StoreId>,
    /// Stores that were registered, reconnected, disconnected or removed.
    stores: broadcast::Sender<StoreId>,
}

impl Hub {
    /// Starts the task that turns announcements into snapshots.
    pub fn start(pool: Pool) -> Hub {
        let (changes, _) = broadcast::channel(1024);
        let (snapshots, _) = broadcast::channel(1024);
        let (bulk_finished, _) = broadcast::channel(256);
        let (stores, _) = broadcast::channel(256);
        tokio::spawn(publish(pool.clone(), changes.subscribe(), snapshots.clone()));
        Hub { pool, changes, snapshots, bulk_finished, stores }
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

    /// Tells every open page that the store itself changed (and its sync, if it did).
    pub fn store_changed(&self, store_id: StoreId) {
        let _ = self.stores.send(store_id);
        self.changed(store_id);
    }

    /// Every store's progress snapshot as it changes.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoreProgress>> {
        self.snapshots.subscribe()
    }

    /// Newline-delimited JSON ([`Live`] lines): the current snapshot of one store's latest job
    /// (or every store's), then one line per change, for as long as the browser listens.
    pub async fn stream(&self, store_id: Option<StoreId>) -> Result<TextStream<AppError>, AppError> {
        let (snapshots, stores) = (self.subscribe(), self.stores.subscribe());
        let watched = move |id: StoreId| store_id.is_none_or(|watched| watched == id);
        // A progress line is the snapshot itself: `Live` is untagged.
        let first: String = jobs::repo::latest(&self.pool, store_id).await?.iter().map(ndjson::line).collect();
        let pool = self.pool.clone();
        let updates = stream::unfold((pool, snapshots, stores), move |(pool, mut snapshots, mut stores)| async move {
            loop {
                let text = tokio::select! {
                    biased;
                    changed = stores.recv() => match changed {
                        Ok(id) if watched(id) => ndjson::line(&Live::Store { store_changed: id }),
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    snapshot = snapshots.recv() => match snapshot {
                        Ok(snapshot) if watched(snapshot.store_id) => ndjson::line(&*snapshot),
                        Ok(_) => continue,
                        // Fell behind: send everything watched again.
                        Err(broadcast::error::RecvError::Lagged(_)) => match jobs::repo::latest(&pool, store_id).await {
                            Ok(latest) => latest.iter().map(ndjson::line).collect(),
                            Err(err) => return Some((Err(err), (pool, snapshots, stores))),
                        },
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                };
                return Some((Ok(text), (pool, snapshots, stores)));
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
