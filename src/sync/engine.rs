//! The scheduler loop: it queues each connected store's incremental sync when it is due, and
//! runs queued jobs (and running ones a restart interrupted), one per store at a time. A job
//! that fails inside storelink, even by panicking, ends failed with a message and never keeps
//! its store from being synced again.

use std::{
    collections::HashSet,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::Notify;

use super::job::Job;
use crate::{
    db::Pool,
    error::AppError,
    ids::{JobId, StoreId},
    jobs::{self, JobKind, JobState},
    progress::Hub,
    shopify::client::ShopifyClient,
    stores::{self, tokens::Tokens},
};

/// A store subscribed to every webhook topic gets its scheduled sync this many times less
/// often: webhooks bring the changes, and the sync only catches what they missed.
const WEBHOOKS_STRETCH: u64 = 3;

/// What a store is told when its job failed inside storelink.
const INTERNAL_FAILURE: &str =
    "storelink stopped this sync after an internal error; the next sync starts over from here";

/// Runs sync jobs in the server process.
pub struct Engine {
    pub(super) pool: Pool,
    pub(super) shopify: ShopifyClient,
    /// The token of each call, renewed when due.
    pub(super) tokens: Arc<Tokens>,
    pub(super) hub: Hub,
    /// How often each connected store gets an incremental sync.
    interval: Duration,
    /// Where Shopify delivers webhooks; `None` when storelink cannot be reached from outside.
    pub(super) webhook_address: Option<String>,
    /// The stores with a job running in this process.
    active: Mutex<HashSet<StoreId>>,
    wake: Arc<Notify>,
}

/// What the rest of the server needs of the engine: a way to say a job may be waiting.
#[derive(Clone)]
pub struct Handle {
    wake: Arc<Notify>,
}

impl Handle {
    /// Tells the engine a job may be waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// A store taken for one job; dropping it (however the job ends, even by panic) frees the store.
struct Claim {
    engine: Arc<Engine>,
    store_id: StoreId,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.engine.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.store_id);
        self.engine.wake.notify_one();
    }
}

impl Engine {
    pub fn new(
        pool: Pool,
        shopify: ShopifyClient,
        tokens: Arc<Tokens>,
        hub: Hub,
        interval: Duration,
        webhook_address: Option<String>,
    ) -> Arc<Engine> {
        Arc::new(Engine {
            pool,
            shopify,
            tokens,
            hub,
            interval,
            webhook_address,
            active: Mutex::new(HashSet::new()),
            wake: Arc::new(Notify::new()),
        })
    }

    pub fn handle(&self) -> Handle {
        Handle { wake: self.wake.clone() }
    }

    /// Starts the loop that picks up jobs, now and whenever woken.
    pub fn spawn(self: &Arc<Self>) {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(err) = engine.queue_owed().await {
                    tracing::error!(error = %err, "could not queue owed full syncs");
                }
                if let Err(err) = engine.queue_scheduled().await {
                    tracing::error!(error = %err, "could not schedule sync jobs");
                }
                if let Err(err) = engine.start_pending().await {
                    tracing::error!(error = %err, "could not look for sync jobs");
                }
                tokio::select! {
                    _ = engine.wake.notified() => {}
                    _ = tokio::time::sleep(engine.interval.min(Duration::from_secs(5))) => {}
                }
            }
        });
    }

    /// Queues the full sync owed by each store synced through REST by an earlier version, once
    /// (a store with a job under way gets it when that one ends).
    async fn queue_owed(&self) -> Result<(), AppError> {
        for store_id in stores::repo::owing_full_sync(&self.pool).await? {
            let mut tx = self.pool.begin().await?;
            if jobs::repo::queue(&mut tx, store_id, JobKind::Full).await? {
                stores::repo::full_sync_queued(&mut tx, store_id).await?;
                tracing::info!(%store_id, "queued the full sync a store synced by an earlier version owes");
            }
            tx.commit().await?;
            self.hub.changed(store_id);
        }
        Ok(())
    }

    /// Queues an incremental sync for every connected store whose last job ended more than an
    /// interval ago.
    async fn queue_scheduled(&self) -> Result<(), AppError> {
        let now = crate::db::now();
        let interval = self.interval.as_secs() as i64;
        let stretched = (self.interval.as_secs() * WEBHOOKS_STRETCH) as i64;
        let all_topics = crate::webhooks::TOPICS.len() as i64;
        for store_id in jobs::repo::due_for_schedule(&self.pool, now - interval, now - stretched, all_topics).await? {
            let mut conn = self.pool.acquire().await?;
            if jobs::repo::queue(&mut conn, store_id, JobKind::Incremental).await? {
                self.hub.changed(store_id);
            }
        }
        Ok(())
    }

    async fn start_pending(self: &Arc<Self>) -> Result<(), AppError> {
        for (job_id, store_id) in jobs::repo::active(&self.pool).await? {
            // One job per store at a time.
            if !self.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(store_id) {
                continue;
            }
            let claim = Claim { engine: self.clone(), store_id };
            let engine = self.clone();
            tokio::spawn(self.supervise(claim, job_id, async move { engine.run_job(job_id).await }));
        }
        Ok(())
    }

    /// Runs `work` (one job) on its own task, so a panic inside it is caught here: the job ends
    /// failed with a message, and the claim on the store goes whatever happens.
    fn supervise(
        self: &Arc<Self>,
        claim: Claim,
        job_id: JobId,
        work: impl Future<Output = Result<(), AppError>> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let engine = self.clone();
        async move {
            let store_id = claim.store_id;
            match tokio::spawn(work).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::error!(error = %err, %job_id, "sync job failed inside storelink"),
                Err(join) => {
                    tracing::error!(error = %join, %job_id, "sync job panicked");
                    if let Err(err) = engine.fail_internally(job_id, store_id).await {
                        tracing::error!(error = %err, %job_id, "could not mark the job failed");
                    }
                }
            }
            drop(claim);
            engine.hub.changed(store_id);
        }
    }

    /// Ends a job that stopped inside storelink without ending itself.
    async fn fail_internally(&self, job_id: JobId, store_id: StoreId) -> Result<(), AppError> {
        let Some(job) = jobs::repo::load(&self.pool, job_id).await? else { return Ok(()) };
        if !job.state.active() {
            return Ok(());
        }
        let mut progress = job.progress();
        progress.event(format!("Stopped: {INTERNAL_FAILURE}"));
        let mut tx = self.pool.begin().await?;
        jobs::repo::end(&mut tx, job_id, JobState::Failed, Some(INTERNAL_FAILURE), &progress).await?;
        stores::repo::set_state_detail(&mut tx, store_id, INTERNAL_FAILURE).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs one job to its end, from its checkpoint. Public so tests can run and interrupt it.
    pub async fn run_job(&self, job_id: JobId) -> Result<(), AppError> {
        let Some(row) = jobs::repo::load(&self.pool, job_id).await? else { return Ok(()) };
        if !row.state.active() {
            return Ok(());
        }
        let resumed = row.state == JobState::Running;
        let mut job = Job::resume(self, job_id, &row);
        jobs::repo::mark_running(&self.pool, job_id).await?;
        job.progress.event(if resumed { "Resumed after an interruption".into() } else { "Started".into() });
        self.hub.changed(row.store_id);
        let outcome = job.run_to_end().await;
        self.hub.changed(row.store_id);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{db::fixtures, jobs::repo as jobs_repo};

    async fn engine(dir: &tempfile::TempDir) -> Arc<Engine> {
        let pool = fixtures::pool(dir).await;
        let shopify = ShopifyClient::new(None, Duration::from_secs(1)).unwrap();
        let sealer = crate::secrets::Sealer::load(None, dir.path()).unwrap();
        let tokens = Tokens::new(pool.clone(), sealer, shopify.clone());
        Engine::new(pool.clone(), shopify, tokens, Hub::start(pool), Duration::from_secs(600), None)
    }

    #[tokio::test]
    async fn a_job_that_panics_ends_failed_and_frees_its_store() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        let store = fixtures::connected_store(&engine.pool).await;
        let mut conn = engine.pool.acquire().await.unwrap();
        assert!(jobs_repo::queue(&mut conn, store, JobKind::Full).await.unwrap());
        drop(conn);
        let (job, _) = jobs_repo::active(&engine.pool).await.unwrap()[0];
        engine.active.lock().unwrap().insert(store);
        let claim = Claim { engine: engine.clone(), store_id: store };
        engine.supervise(claim, job, async { panic!("a bug in a sync job") }).await;

        assert!(engine.active.lock().unwrap().is_empty(), "the store is free for its next sync");
        let row = jobs_repo::load(&engine.pool, job).await.unwrap().unwrap();
        assert_eq!(row.state, JobState::Failed);
        let latest = jobs_repo::latest(&engine.pool, Some(store)).await.unwrap().pop().unwrap();
        assert_eq!(latest.error.as_deref(), Some(INTERNAL_FAILURE));
        assert_eq!(
            crate::stores::repo::get(&engine.pool, store).await.unwrap().unwrap().state_detail.as_deref(),
            Some(INTERNAL_FAILURE)
        );
    }
}
