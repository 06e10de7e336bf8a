//! The synchronization engine: jobs persisted in the database, one per store at a time, each
//! page upserted with its checkpoint in one transaction, so a job interrupted at any instant
//! resumes without loss and without duplicates.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};
use tokio::sync::{broadcast, Notify};

use super::{
    pacing::{PaceEvent, Pacer},
    progress,
    records::{self, Refused, Resource, Upserted},
    Progress, StoreProgress,
};
use crate::{
    error::AppError,
    secrets::{Sealer, Secret},
    server::db,
    shopify::{
        client::{Reply, ShopifyClient, ShopifyError, API_VERSION},
        normalize_store_url, ShopDomain,
    },
};

const PAGE: usize = 250;
/// Incremental syncs look back this far past the newest record stored, so a record updated
/// while the last sync ran is not missed.
const OVERLAP_SECS: i64 = 300;

/// A store subscribed to every webhook topic gets its scheduled sync this many times less
/// often: webhooks bring the changes, and the sync only catches what they missed.
const WEBHOOKS_STRETCH: i64 = 3;

/// Where a job is: the last id stored per resource, and the resources finished.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Checkpoint {
    last: BTreeMap<String, i64>,
    done: Vec<String>,
    /// The location whose inventory is partway walked, and the path of its next page.
    #[serde(default)]
    inventory_next: Option<(i64, String)>,
}

/// Runs sync jobs: queued ones, and running ones a restart interrupted.
pub struct SyncEngine {
    pool: db::Pool,
    shopify: ShopifyClient,
    sealer: Sealer,
    /// How often each connected store gets an incremental sync.
    interval: Duration,
    active: Mutex<HashSet<i64>>,
    wake: Notify,
    /// The id of every store whose progress changed.
    changes: broadcast::Sender<i64>,
    /// The snapshot of each change, read once for all the progress streams.
    snapshots: broadcast::Sender<Arc<StoreProgress>>,
    /// Where Shopify delivers webhooks; `None` when storelink cannot be reached from outside.
    webhook_address: Option<String>,
}

/// Why a job stopped before finishing, in words for the store's state.
enum Stop {
    Fatal(String),
    Cancelled,
    Internal(AppError),
}

impl From<AppError> for Stop {
    fn from(err: AppError) -> Stop {
        Stop::Internal(err)
    }
}

impl From<sqlx::Error> for Stop {
    fn from(err: sqlx::Error) -> Stop {
        Stop::Internal(err.into())
    }
}

/// The state a store is left in when Shopify refuses for good.
fn fatal(err: ShopifyError) -> Stop {
    Stop::Fatal(fatal_message(&err))
}

fn fatal_message(err: &ShopifyError) -> String {
    match err {
        ShopifyError::Unauthorized => "Shopify rejected the API password — reconnect the store".into(),
        ShopifyError::Forbidden { scope } => format!("permission {scope} was removed"),
        ShopifyError::Frozen | ShopifyError::Locked => "the shop is unavailable".into(),
        ShopifyError::NotFound => "Shopify no longer knows this shop".into(),
        other => format!("Shopify kept failing: {other}"),
    }
}

impl SyncEngine {
    pub fn new(
        pool: db::Pool,
        shopify: ShopifyClient,
        sealer: Sealer,
        interval: Duration,
        webhook_address: Option<String>,
    ) -> Arc<SyncEngine> {
        let (changes, _) = broadcast::channel(1024);
        let (snapshots, _) = broadcast::channel(1024);
        tokio::spawn(progress::publish(pool.clone(), changes.subscribe(), snapshots.clone()));
        Arc::new(SyncEngine {
            snapshots,
            webhook_address,
            pool,
            shopify,
            sealer,
            interval,
            active: Mutex::new(HashSet::new()),
            wake: Notify::new(),
            changes,
        })
    }

    /// Every store's progress snapshot as it changes.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoreProgress>> {
        self.snapshots.subscribe()
    }

    /// Whether Shopify can deliver webhooks to this server.
    pub fn webhooks_enabled(&self) -> bool {
        self.webhook_address.is_some()
    }

    /// Tells every progress stream that the store's job changed.
    pub fn changed(&self, store_id: i64) {
        // Nobody watching is fine.
        let _ = self.changes.send(store_id);
    }

    /// Queues an incremental sync for every connected store whose last job ended more than
    /// an interval ago.
    async fn queue_scheduled(&self) -> Result<(), AppError> {
        let now = db::now();
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT s.id FROM stores s JOIN store_credentials c ON c.store_id = s.id
             WHERE s.state = 'connected'
               AND NOT EXISTS (SELECT 1 FROM sync_jobs j WHERE j.store_id = s.id
                               AND (j.state IN ('queued', 'running') OR COALESCE(j.finished_at, j.created_at) >
                                    CASE WHEN (SELECT COUNT(*) FROM store_webhooks w WHERE w.store_id = s.id) >= ?
                                         THEN ? ELSE ? END))",
        )
        .bind(crate::webhooks::TOPICS.len() as i64)
        .bind(now - self.interval.as_secs() as i64 * WEBHOOKS_STRETCH)
        .bind(now - self.interval.as_secs() as i64)
        .fetch_all(&self.pool)
        .await?;
        for store_id in due {
            let queued = sqlx::query(
                "INSERT INTO sync_jobs (store_id, kind, state, created_at, updated_at) VALUES (?, 'incremental', 'queued', ?, ?)",
            )
            .bind(store_id)
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await;
            match queued {
                Ok(_) => self.changed(store_id),
                Err(err) if db::violates(&err, "sync_jobs.store_id") => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
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
                    _ = tokio::time::sleep(engine.interval.min(Duration::from_secs(5))) => {}
                }
            }
        });
    }

    /// Tells the loop a job may be waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn start_pending(self: &Arc<Self>) -> Result<(), AppError> {
        let jobs: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, store_id FROM sync_jobs WHERE state IN ('queued', 'running') ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        for (job_id, store_id) in jobs {
            // One job per store at a time.
            if !self.active.lock().expect("active lock").insert(store_id) {
                continue;
            }
            let engine = self.clone();
            tokio::spawn(async move {
                if let Err(err) = engine.run_job(job_id).await {
                    tracing::error!(error = %err, job_id, "sync job failed inside storelink");
                }
                engine.active.lock().expect("active lock").remove(&store_id);
                engine.wake();
            });
        }
        Ok(())
    }

    /// Runs one job to its end, from its checkpoint. Public so tests can interrupt it.
    pub async fn run_job(&self, job_id: i64) -> Result<(), AppError> {
        let row: Option<(i64, String, String, String, String)> =
            sqlx::query_as("SELECT store_id, kind, state, checkpoint, progress FROM sync_jobs WHERE id = ?")
                .bind(job_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some((store_id, kind, state, checkpoint, progress)) = row else { return Ok(()) };
        if !matches!(state.as_str(), "queued" | "running") {
            return Ok(());
        }
        let mut job = Job {
            engine: self,
            id: job_id,
            store_id,
            incremental: kind == "incremental",
            checkpoint: serde_json::from_str(&checkpoint).unwrap_or_default(),
            progress: serde_json::from_str(&progress).unwrap_or_default(),
            pacer: Pacer::default(),
        };
        let resumed = state == "running";
        sqlx::query(
            "UPDATE sync_jobs SET state = 'running', started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?",
        )
        .bind(db::now())
        .bind(db::now())
        .bind(job_id)
        .execute(&self.pool)
        .await?;
        job.progress.event(if resumed { "Resumed after an interruption".into() } else { "Started".into() });
        self.changed(store_id);
        let result = job.run().await;
        let outcome = match result {
            Ok(()) => job.finish().await,
            // Disconnected (or its credentials are gone): the job ends here, for good.
            Err(Stop::Cancelled) => {
                sqlx::query(
                    "UPDATE sync_jobs SET state = 'cancelled', updated_at = ? WHERE id = ? AND state IN ('queued', 'running')",
                )
                .bind(db::now())
                .bind(job_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
            Err(Stop::Fatal(message)) => job.fail(&message).await,
            Err(Stop::Internal(err)) => {
                job.fail("storelink could not store what Shopify sent").await?;
                Err(err)
            }
        };
        self.changed(store_id);
        outcome
    }
}

struct Job<'a> {
    engine: &'a SyncEngine,
    id: i64,
    store_id: i64,
    /// Only records updated since the last sync (less an overlap); inventory is skipped.
    incremental: bool,
    checkpoint: Checkpoint,
    progress: Progress,
    pacer: Pacer,
}

impl Job<'_> {
    async fn credentials(&self) -> Result<(ShopDomain, Secret), Stop> {
        let row: Option<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT s.shop_domain, c.api_password FROM stores s JOIN store_credentials c ON c.store_id = s.id WHERE s.id = ?",
        )
        .bind(self.store_id)
        .fetch_optional(&self.engine.pool)
        .await?;
        let Some((domain, sealed)) = row else { return Err(Stop::Cancelled) };
        let domain = normalize_store_url(&domain).map_err(|_| Stop::Internal(AppError::Internal))?.domain;
        let token = self.engine.sealer.open(&sealed).map_err(|err| {
            tracing::error!(error = %err, store_id = self.store_id, "stored credentials could not be opened");
            Stop::Internal(AppError::Internal)
        })?;
        Ok((domain, token))
    }

    async fn get(&mut self, domain: &ShopDomain, token: &Secret, path: &str) -> Result<Reply, Stop> {
        let mut events = Vec::new();
        let result = self.engine.pacer_reply(&self.pacer, domain, token, path, &mut events).await;
        self.paced(events);
        result.map_err(|err| Stop::Fatal(fatal_message(&err)))
    }

    /// Subscribes the store to its webhooks, or repairs the subscriptions Shopify dropped. Only
    /// answers that stop every call stop the sync; others are noted and the sync goes on.
    async fn ensure_webhooks(&mut self, domain: &ShopDomain, token: &Secret, address: &str) -> Result<(), Stop> {
        let mut events = Vec::new();
        let engine = self.engine;
        let outcome = crate::webhooks::ensure(
            &engine.pool,
            &engine.shopify,
            &self.pacer,
            domain,
            token,
            self.store_id,
            address,
            &mut |e| events.push(e),
        )
        .await?;
        self.paced(events);
        match outcome {
            Ok(()) => Ok(()),
            Err(
                err @ (ShopifyError::Unauthorized
                | ShopifyError::Frozen
                | ShopifyError::Locked
                | ShopifyError::NotFound),
            ) => Err(fatal(err)),
            Err(err) => {
                self.progress.event(format!("Could not subscribe to webhooks: {err}"));
                Ok(())
            }
        }
    }

    fn paced(&mut self, events: Vec<PaceEvent>) {
        for event in events {
            self.progress.event(match event {
                PaceEvent::WaitedForRateLimit { millis } => {
                    format!("Waited {:.1} s for Shopify's rate limit", millis as f64 / 1000.0)
                }
                PaceEvent::Retried { attempt, reason } => format!("Retried ({reason}), attempt {attempt}"),
            });
        }
    }

    async fn cancelled(&self) -> Result<bool, Stop> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM sync_jobs WHERE id = ?")
            .bind(self.id)
            .fetch_optional(&self.engine.pool)
            .await?;
        Ok(state.as_deref() != Some("running"))
    }

    fn is_done(&self, what: &str) -> bool {
        self.checkpoint.done.iter().any(|d| d == what)
    }

    async fn run(&mut self) -> Result<(), Stop> {
        let (domain, token) = self.credentials().await?;
        if let Some(address) = &self.engine.webhook_address {
            self.ensure_webhooks(&domain, &token, address).await?;
        }
        let base = format!("/admin/api/{API_VERSION}");
        if !self.is_done("shop") {
            let reply = self.get(&domain, &token, &format!("{base}/shop.json")).await?.json().map_err(fatal)?;
            let mut tx = self.engine.pool.begin().await?;
            if let Some(shop) = reply.get("shop").filter(|s| s.is_object()) {
                sqlx::query("UPDATE stores SET shop_json = ?, name = COALESCE(?, name) WHERE id = ?")
                    .bind(shop.to_string())
                    .bind(shop["name"].as_str())
                    .bind(self.store_id)
                    .execute(&mut *tx)
                    .await?;
            }
            self.checkpoint.done.push("shop".into());
            self.save(&mut tx).await?;
            tx.commit().await?;
        }
        for resource in Resource::ALL {
            if self.is_done(resource.key()) {
                continue;
            }
            self.progress.phase = Some(resource.key().into());
            if resource == Resource::InventoryLevels {
                if self.incremental {
                    self.mark_done(resource).await?;
                } else {
                    self.sync_inventory(&domain, &token, &base).await?;
                }
                continue;
            }
            let mut status = if resource == Resource::Orders { "status=any&".to_owned() } else { String::new() };
            if self.incremental {
                status.push_str(&format!("updated_at_min={}&", self.high_water_mark(resource).await?));
            }
            let count_path = format!("{base}/{}/count.json?{status}", resource.key());
            let count = self.get(&domain, &token, &count_path).await?.json().map_err(fatal)?;
            self.progress.resources.entry(resource.key().into()).or_default().total = count["count"].as_i64();
            loop {
                if self.cancelled().await? {
                    return Err(Stop::Cancelled);
                }
                let since = self.checkpoint.last.get(resource.key()).copied().unwrap_or(0);
                let path = format!("{base}/{}.json?{status}limit={PAGE}&since_id={since}", resource.key());
                let reply = self.get(&domain, &token, &path).await?;
                let records = reply.records(resource.key()).map_err(fatal)?;
                let last_page = records.len() < PAGE;
                self.store_page(resource, &records, last_page).await?;
                if last_page {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The newest `updated_at` stored for the resource, less the overlap, as Shopify's filter
    /// wants it. Kept in the checkpoint, so a resumed job asks for the same window.
    async fn high_water_mark(&mut self, resource: Resource) -> Result<String, Stop> {
        let key = format!("since_{}", resource.key());
        let since = match self.checkpoint.last.get(&key) {
            Some(since) => *since,
            None => {
                let table = format!("synced_{}", resource.key());
                let sql = format!("SELECT COALESCE(MAX(updated_at), 0) FROM {table} WHERE store_id = ?");
                let newest: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(self.store_id)
                    .fetch_one(&self.engine.pool)
                    .await?;
                let since = (newest - OVERLAP_SECS).max(0);
                self.checkpoint.last.insert(key, since);
                since
            }
        };
        let when = OffsetDateTime::from_unix_timestamp(since).map_err(|_| Stop::Internal(AppError::Internal))?;
        when.format(&Rfc3339).map_err(|_| Stop::Internal(AppError::Internal))
    }

    async fn mark_done(&mut self, resource: Resource) -> Result<(), Stop> {
        let mut tx = self.engine.pool.begin().await?;
        self.checkpoint.done.push(resource.key().into());
        self.save(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Upserts one page and advances the checkpoint, in one transaction.
    async fn store_page(&mut self, resource: Resource, records: &[&RawValue], last_page: bool) -> Result<(), Stop> {
        let mut tx = self.engine.pool.begin().await?;
        let Upserted { refused, last_id } = records::upsert(&mut tx, self.store_id, resource, records).await?;
        for Refused { id, why } in &refused {
            sqlx::query("INSERT INTO sync_failed_items (job_id, resource, shopify_id, reason) VALUES (?, ?, ?, ?)")
                .bind(self.id)
                .bind(resource.key())
                .bind(id)
                .bind(why)
                .execute(&mut *tx)
                .await?;
            self.progress.event(format!("Skipped a {} record ({}): {why}", resource.key(), id.unwrap_or_default()));
        }
        let stored = (records.len() - refused.len()) as i64;
        if let Some(last) = last_id {
            self.checkpoint.last.insert(resource.key().into(), last);
        }
        self.progress.resources.entry(resource.key().into()).or_default().done += stored;
        if last_page {
            self.checkpoint.done.push(resource.key().into());
        }
        self.save(&mut tx).await?;
        tx.commit().await?;
        self.engine.changed(self.store_id);
        Ok(())
    }

    /// Inventory levels have no ids to walk by: each location is walked by its cursor, and the
    /// cursor is checkpointed with each page.
    async fn sync_inventory(&mut self, domain: &ShopDomain, token: &Secret, base: &str) -> Result<(), Stop> {
        let locations: Vec<i64> = sqlx::query_scalar("SELECT id FROM synced_locations WHERE store_id = ? ORDER BY id")
            .bind(self.store_id)
            .fetch_all(&self.engine.pool)
            .await?;
        let key = Resource::InventoryLevels.key();
        let finished = self.checkpoint.last.get(key).copied().unwrap_or(0);
        for location in locations.into_iter().filter(|l| *l > finished) {
            let mut path = match self.checkpoint.inventory_next.take() {
                Some((partway, next)) if partway == location => next,
                _ => format!("{base}/inventory_levels.json?limit={PAGE}&location_ids={location}"),
            };
            loop {
                if self.cancelled().await? {
                    return Err(Stop::Cancelled);
                }
                let mut events = Vec::new();
                let reply = self
                    .engine
                    .pacer_reply(&self.pacer, domain, token, &path, &mut events)
                    .await
                    .map_err(|err| Stop::Fatal(fatal_message(&err)))?;
                let records = reply.records(key).map_err(fatal)?;
                let next = next_link(&reply.headers);
                let mut tx = self.engine.pool.begin().await?;
                for Refused { why, .. } in
                    records::upsert(&mut tx, self.store_id, Resource::InventoryLevels, &records).await?.refused
                {
                    self.progress.event(format!("Skipped an inventory level: {why}"));
                }
                self.progress.resources.entry(key.into()).or_default().done += records.len() as i64;
                match &next {
                    Some(next) => self.checkpoint.inventory_next = Some((location, next.clone())),
                    None => {
                        self.checkpoint.inventory_next = None;
                        self.checkpoint.last.insert(key.into(), location);
                    }
                }
                self.save(&mut tx).await?;
                tx.commit().await?;
                self.engine.changed(self.store_id);
                match next {
                    Some(next) => path = next,
                    None => break,
                }
            }
        }
        self.mark_done(Resource::InventoryLevels).await
    }

    async fn save(&self, conn: &mut sqlx::SqliteConnection) -> Result<(), Stop> {
        sqlx::query("UPDATE sync_jobs SET checkpoint = ?, progress = ?, updated_at = ? WHERE id = ?")
            .bind(serde_json::to_string(&self.checkpoint).unwrap_or_default())
            .bind(serde_json::to_string(&self.progress).unwrap_or_default())
            .bind(db::now())
            .bind(self.id)
            .execute(conn)
            .await?;
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), AppError> {
        self.progress.event("Finished".into());
        let now = db::now();
        let mut tx = self.engine.pool.begin().await?;
        sqlx::query("UPDATE sync_jobs SET state = 'done', progress = ?, finished_at = ?, updated_at = ? WHERE id = ?")
            .bind(serde_json::to_string(&self.progress).unwrap_or_default())
            .bind(now)
            .bind(now)
            .bind(self.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE stores SET last_synced_at = ?, state_detail = NULL WHERE id = ?")
            .bind(now)
            .bind(self.store_id)
            .execute(&mut *tx)
            .await?;
        crate::stores::repo::refresh_counts(&mut tx, self.store_id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fail(&mut self, message: &str) -> Result<(), AppError> {
        self.progress.event(format!("Stopped: {message}"));
        let now = db::now();
        let mut tx = self.engine.pool.begin().await?;
        sqlx::query("UPDATE sync_jobs SET state = 'failed', error = ?, progress = ?, finished_at = ?, updated_at = ? WHERE id = ?")
            .bind(message)
            .bind(serde_json::to_string(&self.progress).unwrap_or_default())
            .bind(now)
            .bind(now)
            .bind(self.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE stores SET state_detail = ? WHERE id = ?")
            .bind(message)
            .bind(self.store_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::warn!(store_id = self.store_id, job_id = self.id, message, "sync stopped");
        Ok(())
    }
}

impl SyncEngine {
    async fn pacer_reply(
        &self,
        pacer: &Pacer,
        domain: &ShopDomain,
        token: &Secret,
        path: &str,
        events: &mut Vec<PaceEvent>,
    ) -> Result<Reply, ShopifyError> {
        pacer.get(&self.shopify, domain, token, path, &mut |e| events.push(e)).await
    }
}

/// The path of the `Link` header's `rel="next"` URL, used exactly as given.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let header = headers.get("link")?.to_str().ok()?;
    let part = header.split(", ").find(|p| p.ends_with("rel=\"next\""))?;
    let url = &part[part.find('<')? + 1..part.find('>')?];
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    Some(after_scheme[after_scheme.find('/')?..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_with_every_webhook_are_synced_on_schedule_less_often() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::connect(&db::sqlite_url_in(dir.path())).await.unwrap();
        let shopify = ShopifyClient::new(None, Duration::from_secs(1)).unwrap();
        let sealer = Sealer::load(None, dir.path()).unwrap();
        let engine = SyncEngine::new(pool.clone(), shopify, sealer, Duration::from_secs(600), None);
        let now = db::now();
        for sql in [
            "INSERT INTO stores (id, platform, name, shop_domain, state, created_at) VALUES (1, 'shopify', 'S', 's.myshopify.com', 'connected', 0)",
            "INSERT INTO store_credentials (store_id, api_key, api_password, shared_secret, created_at) VALUES (1, 'k', x'00', x'00', 0)",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await.unwrap();
        }
        // The last sync ended two intervals ago: due without webhooks, not yet with them.
        sqlx::query("INSERT INTO sync_jobs (store_id, kind, state, created_at, updated_at, finished_at) VALUES (1, 'full', 'done', ?, ?, ?)")
            .bind(now - 1200)
            .bind(now - 1200)
            .bind(now - 1200)
            .execute(&pool)
            .await
            .unwrap();
        for (n, topic) in crate::webhooks::TOPICS.iter().enumerate() {
            sqlx::query("INSERT INTO store_webhooks (store_id, webhook_id, topic) VALUES (1, ?, ?)")
                .bind(n as i64)
                .bind(topic)
                .execute(&pool)
                .await
                .unwrap();
        }
        let queued = "SELECT COUNT(*) FROM sync_jobs WHERE state = 'queued'";
        engine.queue_scheduled().await.unwrap();
        assert_eq!(sqlx::query_scalar::<_, i64>(queued).fetch_one(&pool).await.unwrap(), 0);
        sqlx::query("DELETE FROM store_webhooks WHERE webhook_id = 0").execute(&pool).await.unwrap();
        engine.queue_scheduled().await.unwrap();
        assert_eq!(sqlx::query_scalar::<_, i64>(queued).fetch_one(&pool).await.unwrap(), 1);
    }

    #[test]
    fn the_next_link_becomes_a_path() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "link",
            "<https://a.myshopify.com/admin/api/2026-07/x.json?limit=2&page_info=p>; rel=\"previous\", <https://a.myshopify.com/admin/api/2026-07/x.json?limit=2&page_info=n>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&headers).as_deref(), Some("/admin/api/2026-07/x.json?limit=2&page_info=n"));
    }
}
