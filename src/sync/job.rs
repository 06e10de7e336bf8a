//! One job's walk through a store: shop details, then each resource by `since_id` (inventory
//! levels by cursor, per location), every page stored together with the checkpoint that says
//! how far the walk got.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::engine::Engine;
use crate::{
    error::AppError,
    ids::{JobId, StoreId},
    jobs::{self, JobKind, JobState, Progress},
    records::{self, Refused, Resource},
    shopify::{
        client::{Reply, ShopifyError, API_VERSION},
        pacing::{PaceEvent, Pacer},
    },
    stores::{self, tokens::TokenError},
    webhooks,
};

const PAGE: usize = 250;
/// Incremental syncs look back this far past the newest record stored, so a record updated
/// while the last sync ran is not missed.
const OVERLAP_SECS: i64 = 300;

/// Where a job is: the last id stored per resource, and the resources finished.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Checkpoint {
    last: BTreeMap<String, i64>,
    done: Vec<String>,
    /// The location whose inventory is partway walked, and the path of its next page.
    #[serde(default)]
    inventory_next: Option<(i64, String)>,
}

/// What a store whose token was refused is told.
const TOKEN_REFUSED: &str = "Shopify rejected the API password — reconnect the store";
const SECRET_REFUSED: &str = "Shopify refused the app's Client secret — reconnect the store";

/// Why a job stopped before finishing.
enum Stop {
    /// Shopify refuses for good; the words go into the store's state.
    Fatal(String),
    /// Shopify refused the credentials themselves: the store waits for new ones.
    Refused(&'static str),
    /// Disconnected, or its credentials are gone: the job ends here.
    Cancelled,
    /// storelink itself failed.
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

impl From<TokenError> for Stop {
    fn from(err: TokenError) -> Stop {
        match err {
            TokenError::NoCredentials => Stop::Cancelled,
            TokenError::Shopify(err) => fatal(err),
            TokenError::Internal(err) => Stop::Internal(err),
        }
    }
}

/// The state a store is left in when Shopify refuses for good.
fn fatal(err: ShopifyError) -> Stop {
    Stop::Fatal(match err {
        ShopifyError::Unauthorized => return Stop::Refused(TOKEN_REFUSED),
        ShopifyError::GrantRefused(_) => return Stop::Refused(SECRET_REFUSED),
        ShopifyError::Forbidden { scope } => format!("permission {scope} was removed"),
        ShopifyError::Frozen | ShopifyError::Locked => "the shop is unavailable".into(),
        ShopifyError::NotFound => "Shopify no longer knows this shop".into(),
        other => format!("Shopify kept failing: {other}"),
    })
}

pub(super) struct Job<'a> {
    engine: &'a Engine,
    id: JobId,
    store_id: StoreId,
    /// Only records updated since the last sync (less an overlap); inventory is skipped.
    incremental: bool,
    checkpoint: Checkpoint,
    pub(super) progress: Progress,
    pacer: Pacer,
}

impl<'a> Job<'a> {
    pub(super) fn resume(engine: &'a Engine, id: JobId, row: &jobs::repo::Job) -> Job<'a> {
        Job {
            engine,
            id,
            store_id: row.store_id,
            incremental: row.kind == JobKind::Incremental,
            checkpoint: serde_json::from_str(&row.checkpoint).unwrap_or_default(),
            progress: row.progress(),
            pacer: Pacer::default(),
        }
    }

    /// Walks the store and records how the job ended.
    pub(super) async fn run_to_end(mut self) -> Result<(), AppError> {
        match self.run().await {
            Ok(()) => self.finish().await,
            Err(Stop::Cancelled) => jobs::repo::cancel(&self.engine.pool, self.id).await,
            Err(Stop::Fatal(message)) => self.fail(&message, false).await,
            Err(Stop::Refused(message)) => self.fail(message, true).await,
            Err(Stop::Internal(err)) => {
                self.fail("storelink could not store what Shopify sent", false).await?;
                Err(err)
            }
        }
    }

    /// GET `path` from the store's shop, paced, with a token that is renewed when it is due or
    /// when Shopify answers 401.
    async fn get(&mut self, path: &str) -> Result<Reply, Stop> {
        let events = std::sync::Mutex::new(Vec::new());
        let (pacer, shopify) = (&self.pacer, &self.engine.shopify);
        let result = self
            .engine
            .tokens
            .call(self.store_id, |access| {
                let events = &events;
                async move {
                    let mut heard = |e| events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                    pacer.get(shopify, &access.domain, &access.token, path, &mut heard).await
                }
            })
            .await;
        self.paced(events.into_inner().unwrap_or_else(|p| p.into_inner()));
        result.map_err(Stop::from)
    }

    /// Subscribes the store to its webhooks, or repairs the subscriptions Shopify dropped. Only
    /// answers that stop every call stop the sync; others are noted and the sync goes on.
    async fn ensure_webhooks(&mut self, address: &str) -> Result<(), Stop> {
        let events = std::sync::Mutex::new(Vec::new());
        let engine = self.engine;
        let (pacer, store_id) = (&self.pacer, self.store_id);
        let outcome = engine
            .tokens
            .call(store_id, |access| {
                let events = &events;
                async move {
                    let shop = webhooks::ShopAccess { store_id, domain: &access.domain, token: &access.token };
                    let mut heard = |e| events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                    match webhooks::ensure(&engine.pool, &engine.shopify, pacer, shop, address, &mut heard).await {
                        Ok(answer) => answer.map(Ok),
                        // storelink's own failure travels inside, so a 401 can still be retried.
                        Err(err) => Ok(Err(err)),
                    }
                }
            })
            .await;
        self.paced(events.into_inner().unwrap_or_else(|p| p.into_inner()));
        let outcome = match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(internal)) => return Err(Stop::Internal(internal)),
            Err(TokenError::Shopify(err)) => Err(err),
            Err(other) => return Err(other.into()),
        };
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
        Ok(!jobs::repo::is_running(&self.engine.pool, self.id).await?)
    }

    fn is_done(&self, what: &str) -> bool {
        self.checkpoint.done.iter().any(|d| d == what)
    }

    async fn run(&mut self) -> Result<(), Stop> {
        if let Some(address) = self.engine.webhook_address.clone() {
            self.ensure_webhooks(&address).await?;
        }
        let base = format!("/admin/api/{API_VERSION}");
        if !self.is_done("shop") {
            let reply = self.get(&format!("{base}/shop.json")).await?.json().map_err(fatal)?;
            let mut tx = self.engine.pool.begin().await?;
            if let Some(shop) = reply.get("shop").filter(|s| s.is_object()) {
                stores::repo::update_shop(&mut tx, self.store_id, &shop.to_string(), shop["name"].as_str()).await?;
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
                    self.sync_inventory(&base).await?;
                }
                continue;
            }
            let mut status = if resource == Resource::Orders { "status=any&".to_owned() } else { String::new() };
            if self.incremental {
                status.push_str(&format!("updated_at_min={}&", self.high_water_mark(resource).await?));
            }
            let count_path = format!("{base}/{}/count.json?{status}", resource.key());
            let count = self.get(&count_path).await?.json().map_err(fatal)?;
            self.progress.resources.entry(resource.key().into()).or_default().total = count["count"].as_i64();
            loop {
                if self.cancelled().await? {
                    return Err(Stop::Cancelled);
                }
                let since = self.checkpoint.last.get(resource.key()).copied().unwrap_or(0);
                let path = format!("{base}/{}.json?{status}limit={PAGE}&since_id={since}", resource.key());
                let reply = self.get(&path).await?;
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
                let newest = records::repo::newest_updated_at(&self.engine.pool, self.store_id, resource).await?;
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
        let records::repo::Upserted { refused, last_id } =
            records::repo::upsert(&mut tx, self.store_id, resource, records).await?;
        for Refused { id, why } in &refused {
            jobs::repo::record_failed_item(&mut tx, self.id, resource.key(), *id, why).await?;
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
        self.engine.hub.changed(self.store_id);
        Ok(())
    }

    /// Inventory levels have no ids to walk by: each location is walked by its cursor, and the
    /// cursor is checkpointed with each page.
    async fn sync_inventory(&mut self, base: &str) -> Result<(), Stop> {
        let locations = records::repo::location_ids(&self.engine.pool, self.store_id).await?;
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
                let reply = self.get(&path).await?;
                let records = reply.records(key).map_err(fatal)?;
                let mut tx = self.engine.pool.begin().await?;
                let upserted =
                    records::repo::upsert(&mut tx, self.store_id, Resource::InventoryLevels, &records).await?;
                for Refused { why, .. } in upserted.refused {
                    self.progress.event(format!("Skipped an inventory level: {why}"));
                }
                self.progress.resources.entry(key.into()).or_default().done += records.len() as i64;
                match &reply.next_page {
                    Some(next) => self.checkpoint.inventory_next = Some((location, next.clone())),
                    None => {
                        self.checkpoint.inventory_next = None;
                        self.checkpoint.last.insert(key.into(), location);
                    }
                }
                self.save(&mut tx).await?;
                tx.commit().await?;
                self.engine.hub.changed(self.store_id);
                match &reply.next_page {
                    Some(next) => path = next.clone(),
                    None => break,
                }
            }
        }
        self.mark_done(Resource::InventoryLevels).await
    }

    async fn save(&self, conn: &mut crate::db::Conn) -> Result<(), Stop> {
        let checkpoint = serde_json::to_string(&self.checkpoint).unwrap_or_default();
        jobs::repo::save(conn, self.id, &checkpoint, &self.progress).await?;
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), AppError> {
        self.progress.event("Finished".into());
        let mut tx = self.engine.pool.begin().await?;
        jobs::repo::end(&mut tx, self.id, JobState::Done, None, &self.progress).await?;
        stores::repo::mark_synced(&mut tx, self.store_id).await?;
        let counts = records::repo::counts(&mut tx, self.store_id).await?;
        stores::repo::set_counts(&mut tx, self.store_id, counts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the job failed, with the store's state in words; `refused` when it was the
    /// credentials Shopify refused, so the store waits for new ones.
    async fn fail(&mut self, message: &str, refused: bool) -> Result<(), AppError> {
        self.progress.event(format!("Stopped: {message}"));
        let mut tx = self.engine.pool.begin().await?;
        jobs::repo::end(&mut tx, self.id, JobState::Failed, Some(message), &self.progress).await?;
        if refused {
            stores::repo::mark_refused(&mut tx, self.store_id, message).await?;
        } else {
            stores::repo::set_state_detail(&mut tx, self.store_id, message).await?;
        }
        tx.commit().await?;
        tracing::warn!(store_id = %self.store_id, job_id = %self.id, message, "sync stopped");
        Ok(())
    }
}
