//! The scheduler loop: it queues each connected store's incremental sync when it is due, and
//! runs queued jobs (and running ones a restart interrupted), one per store at a time. A job
//! that fails inside storelink, even by panicking, ends failed with a message and never keeps
//! its store from being synced again.

use std::{
    collections::HashSet,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::Notify;

use super::job::Job;
use crate::{
    db::Pool,
    error::AppError,
    ids::{JobId, StoreId},
    jobs::{self, repo::Claim, run::Run, JobKind, JobState},
    platforms::{Platform, Platforms},
    progress::Hub,
    stores,
};

/// A store subscribed to every webhook topic gets its scheduled sync this many times less
/// often: webhooks bring the changes, and the sync only catches what they missed.
const WEBHOOKS_STRETCH: u64 = 3;

/// What a store is told when its job failed inside storelink.
const INTERNAL_FAILURE: &str =
    "storelink stopped this sync after an internal error; the next sync starts over from here";

/// How a server claims jobs: how long it holds one, how often it renews the claim, and how many
/// it runs at once. A server that dies loses its jobs when their leases run out; another server
/// takes them over at its next look for work, one heartbeat later at most.
#[derive(Debug, Clone, Copy)]
pub struct Claims {
    pub lease: Duration,
    pub heartbeat: Duration,
    /// Jobs this server runs at once; the rest wait for it or go to other servers.
    pub max_jobs: usize,
}

impl Default for Claims {
    /// Ten seconds, renewed every two: a job whose server died is taken over within about 12 s,
    /// and a server misses four renewals in a row (a slow database, a long pause) before it
    /// stops by itself, two seconds before its lease would run out. Eight jobs at once keep a
    /// server's memory and database connections bounded whatever the number of stores.
    fn default() -> Claims {
        Claims { lease: Duration::from_secs(10), heartbeat: Duration::from_secs(2), max_jobs: 8 }
    }
}

/// Runs sync jobs in the server process.
pub struct Engine {
    pub(super) pool: Pool,
    pub(super) platforms: Arc<Platforms>,
    pub(super) hub: Hub,
    /// How often each connected store gets an incremental sync.
    interval: Duration,
    /// The address webhooks are delivered under (`{base}/webhooks/{platform}`); `None` when
    /// storelink cannot be reached from outside.
    pub(super) webhook_base: Option<String>,
    /// The stores with a job running in this process.
    active: Arc<Mutex<HashSet<StoreId>>>,
    /// This server, as the jobs it claims name it.
    owner: String,
    claims: Claims,
    wake: Arc<Notify>,
}

/// What the rest of the server needs of the engine: a way to say a job may be waiting, and how
/// many it runs.
#[derive(Clone)]
pub struct Handle {
    wake: Arc<Notify>,
    active: Arc<Mutex<HashSet<StoreId>>>,
}

impl Handle {
    /// Tells the engine a job may be waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The stores whose sync runs on this server now.
    pub fn running(&self) -> usize {
        self.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }
}

/// A store taken for one job in this process; dropping it (however the job ends, even by panic)
/// frees the store.
struct Running {
    engine: Arc<Engine>,
    store_id: StoreId,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.engine.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.store_id);
        self.engine.wake.notify_one();
    }
}

impl Engine {
    pub fn new(
        pool: Pool,
        platforms: Arc<Platforms>,
        hub: Hub,
        interval: Duration,
        webhook_base: Option<String>,
        claims: Claims,
    ) -> Arc<Engine> {
        Arc::new(Engine {
            pool,
            platforms,
            hub,
            interval,
            webhook_base,
            active: Arc::default(),
            owner: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
            claims,
            wake: Arc::new(Notify::new()),
        })
    }

    pub fn handle(&self) -> Handle {
        Handle { wake: self.wake.clone(), active: self.active.clone() }
    }

    /// Starts the loop that picks up jobs, now and whenever woken.
    pub fn spawn(self: &Arc<Self>) {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(err) = engine.queue_scheduled().await {
                    tracing::error!(error = %err, "could not schedule sync jobs");
                }
                if let Err(err) = engine.start_pending().await {
                    tracing::error!(error = %err, "could not look for sync jobs");
                }
                tokio::select! {
                    _ = engine.wake.notified() => {}
                    // Looking every heartbeat also takes over, soon after their leases run out,
                    // the jobs of servers that died.
                    _ = tokio::time::sleep(engine.interval.min(engine.claims.heartbeat)) => {}
                }
            }
        });
    }

    /// Queues an incremental sync for every connected store whose last job ended more than an
    /// interval ago.
    async fn queue_scheduled(&self) -> Result<(), AppError> {
        let now = crate::db::now();
        let interval = self.interval.as_secs() as i64;
        let stretched = (self.interval.as_secs() * WEBHOOKS_STRETCH) as i64;
        let all_topics: Vec<(&str, i64)> = Platform::ALL.iter().map(|p| (p.slug(), p.topics().len() as i64)).collect();
        for store_id in jobs::repo::due_for_schedule(&self.pool, now - interval, now - stretched, &all_topics).await? {
            let mut conn = self.pool.acquire().await?;
            if jobs::repo::queue(&mut conn, store_id, JobKind::Incremental).await? {
                self.hub.changed(store_id);
            }
        }
        Ok(())
    }

    /// Claims every job nobody holds and runs each on its own task.
    async fn start_pending(self: &Arc<Self>) -> Result<(), AppError> {
        loop {
            if self.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len() >= self.claims.max_jobs {
                return Ok(());
            }
            let claimed_at = Instant::now();
            let Some(claim) = jobs::repo::claim_next(&self.pool, &self.owner, self.lease_ms()).await? else {
                return Ok(());
            };
            if claim.epoch > 1 {
                crate::metrics::LEASE_TAKEOVERS.inc();
            }
            // One job per store at a time (a store's unique active job guarantees it across
            // servers; this, within one).
            if !self.active.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(claim.store_id) {
                continue;
            }
            let running = Running { engine: self.clone(), store_id: claim.store_id };
            let engine = self.clone();
            tokio::spawn(self.supervise(running, claim, async move { engine.run_claimed(claim, claimed_at).await }));
        }
    }

    /// Gives up this server's claims as it stops: its jobs are anyone's to take at once, and
    /// what its tasks would still write is fenced off.
    pub async fn release(&self) {
        // A job still running here may be writing its own claim's rows as the hand-over does
        // (PostgreSQL then ends one of the two transactions): the hand-over is tried again.
        for attempt in 1..=5u64 {
            match jobs::repo::release(&self.pool, &self.owner).await {
                Ok(()) => return,
                Err(err) if attempt < 5 => {
                    tracing::info!(error = %err, attempt, "handing this server's sync jobs over again");
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                }
                Err(err) => tracing::warn!(
                    error = %err,
                    "could not hand over this server's sync jobs; they move when their leases run out"
                ),
            }
        }
    }

    fn lease_ms(&self) -> i64 {
        self.claims.lease.as_millis() as i64
    }

    /// Runs `work` (one job) on its own task, so a panic inside it is caught here: the job ends
    /// failed with a message, and the claim on the store goes whatever happens.
    fn supervise(
        self: &Arc<Self>,
        running: Running,
        claim: Claim,
        work: impl Future<Output = Result<(), AppError>> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let engine = self.clone();
        async move {
            let (store_id, job_id) = (running.store_id, claim.job_id);
            match tokio::spawn(work).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::error!(error = %err, %job_id, "sync job failed inside storelink"),
                Err(join) => {
                    tracing::error!(error = %join, %job_id, "sync job panicked");
                    if let Err(err) = engine.fail_internally(claim).await {
                        tracing::error!(error = %err, %job_id, "could not mark the job failed");
                    }
                }
            }
            drop(running);
            engine.hub.changed(store_id);
        }
    }

    /// Ends a job that stopped inside storelink without ending itself, if this server still
    /// holds it: a job another server has taken over is that server's to end.
    async fn fail_internally(&self, claim: Claim) -> Result<(), AppError> {
        let Some(job) = jobs::repo::load(&self.pool, claim.job_id).await? else { return Ok(()) };
        let mut progress = job.progress();
        progress.event(format!("Stopped: {INTERNAL_FAILURE}"));
        let mut tx = self.pool.begin().await?;
        if !jobs::repo::fence(&mut tx, claim).await? {
            return Ok(());
        }
        jobs::repo::end(&mut tx, claim.job_id, JobState::Failed, Some(INTERNAL_FAILURE), &progress).await?;
        stores::repo::set_state_detail(&mut tx, claim.store_id, INTERNAL_FAILURE).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the store's orders awaiting shipment against its platform's count, as the end of
    /// every sync and the hourly round do: what differs is fetched again, and what still
    /// differs is kept for the Stores page, the queue and `/metrics`. `None`: no such store.
    pub async fn check_drift(&self, store_id: StoreId) -> Result<Option<crate::drift::DriftCheck>, AppError> {
        let Some(store) = stores::repo::load(&self.pool, store_id).await? else { return Ok(None) };
        let checked = crate::drift::check(&self.pool, &self.platforms, &store).await?;
        self.hub.changed(store_id);
        Ok(Some(checked))
    }

    /// Claims job `job_id` (unless another server holds it) and runs it to its end, from its
    /// checkpoint. Public so tests can run and interrupt it.
    pub async fn run_job(&self, job_id: JobId) -> Result<(), AppError> {
        let claimed_at = Instant::now();
        match jobs::repo::claim(&self.pool, job_id, &self.owner, self.lease_ms()).await? {
            Some(claim) => self.run_claimed(claim, claimed_at).await,
            None => Ok(()),
        }
    }

    /// Runs a claimed job while keeping its lease; when the lease is lost the job stops where it
    /// is (an open transaction rolls back) and its new owner resumes from the checkpoint.
    async fn run_claimed(&self, claim: Claim, claimed_at: Instant) -> Result<(), AppError> {
        let Some(row) = jobs::repo::load(&self.pool, claim.job_id).await? else { return Ok(()) };
        if !row.state.active() {
            return Ok(());
        }
        let resumed = row.state == JobState::Running;
        let Some(store) = stores::repo::load(&self.pool, row.store_id).await? else { return Ok(()) };
        let hub = self.hub.clone();
        let changed = Arc::new(move |store_id| hub.changed(store_id));
        let run = Run::resume(self.pool.clone(), changed, self.hub.bulk_finishes(), claim, &row);
        let mut job = Job { engine: self, platform: store.platform, run };
        job.run.progress.event(if resumed { "Resumed after an interruption".into() } else { "Started".into() });
        let outcome = tokio::select! {
            // A job that just ended wins over the renewal that finds it ended.
            biased;
            outcome = job.run_to_end() => outcome,
            why = self.keep_lease(claim, claimed_at) => {
                tracing::warn!(job_id = %claim.job_id, why, "stopped a sync job this server no longer holds");
                Ok(())
            }
        };
        self.hub.changed(row.store_id);
        outcome
    }

    /// Renews the claim every heartbeat; returns (with the reason) once it is not this
    /// server's any more, or could not be renewed in time: the caller stops the job before
    /// the lease runs out, so no other server's claim overlaps its writes.
    async fn keep_lease(&self, claim: Claim, claimed_at: Instant) -> &'static str {
        let Claims { lease, heartbeat, .. } = self.claims;
        let mut renewed_at = claimed_at;
        loop {
            tokio::time::sleep(heartbeat).await;
            let attempt = Instant::now();
            match jobs::repo::renew(&self.pool, claim, self.lease_ms()).await {
                Ok(true) => renewed_at = attempt,
                Ok(false) => return "another server took it over, or it ended",
                Err(err) => tracing::warn!(error = %err, job_id = %claim.job_id, "could not renew a sync job's lease"),
            }
            if renewed_at.elapsed() + heartbeat >= lease {
                return "its lease could not be renewed in time";
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{db::fixtures, jobs::repo as jobs_repo};

    async fn engine(dir: &tempfile::TempDir) -> Arc<Engine> {
        let pool = fixtures::pool(dir).await;
        let sealer = crate::secrets::Sealer::load(None, dir.path()).unwrap();
        let settings = crate::platforms::Settings::new(None, Duration::from_secs(1));
        let platforms = Platforms::start(&settings, pool.clone(), sealer).unwrap();
        Engine::new(pool.clone(), platforms, Hub::start(pool), Duration::from_secs(600), None, Claims::default())
    }

    #[tokio::test]
    async fn a_job_that_panics_ends_failed_and_frees_its_store() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        let store = fixtures::connected_store(&engine.pool).await;
        let mut conn = engine.pool.acquire().await.unwrap();
        assert!(jobs_repo::queue(&mut conn, store, JobKind::Full).await.unwrap());
        drop(conn);
        let claim = jobs_repo::claim_next(&engine.pool, &engine.owner, 60_000).await.unwrap().unwrap();
        let job = claim.job_id;
        engine.active.lock().unwrap().insert(store);
        let running = Running { engine: engine.clone(), store_id: store };
        engine.supervise(running, claim, async { panic!("a bug in a sync job") }).await;

        assert!(engine.active.lock().unwrap().is_empty(), "the store is free for its next sync");
        let row = jobs_repo::load(&engine.pool, job).await.unwrap().unwrap();
        assert_eq!(row.state, JobState::Failed);
        let latest = jobs_repo::latest(&engine.pool, None, Some(store)).await.unwrap().pop().unwrap();
        assert_eq!(latest.error.as_deref(), Some(INTERNAL_FAILURE));
        assert_eq!(
            crate::stores::repo::load(&engine.pool, store).await.unwrap().unwrap().state_detail.as_deref(),
            Some(INTERNAL_FAILURE)
        );
    }

    #[tokio::test]
    async fn a_job_that_panics_after_another_server_took_it_over_is_left_to_that_server() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(&dir).await;
        let store = fixtures::connected_store(&engine.pool).await;
        let mut conn = engine.pool.acquire().await.unwrap();
        assert!(jobs_repo::queue(&mut conn, store, JobKind::Full).await.unwrap());
        drop(conn);
        // This server's claim runs out; another server claims the job.
        let lost = jobs_repo::claim_next(&engine.pool, &engine.owner, 1).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let taken = jobs_repo::claim_next(&engine.pool, "another-server", 60_000).await.unwrap().unwrap();
        assert!(taken.epoch > lost.epoch);
        engine.active.lock().unwrap().insert(store);
        let running = Running { engine: engine.clone(), store_id: store };
        engine.supervise(running, lost, async { panic!("a bug in a sync job") }).await;

        let row = jobs_repo::load(&engine.pool, lost.job_id).await.unwrap().unwrap();
        assert!(row.state.active(), "the job the other server runs is not ended here");
        assert_eq!(crate::stores::repo::load(&engine.pool, store).await.unwrap().unwrap().state_detail, None);
    }
}
