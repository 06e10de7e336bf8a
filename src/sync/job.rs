//! One job's walk through a store: the job is marked running, the store's webhook subscriptions
//! made sure of, its details read, then its platform syncs it from the checkpoint
//! (`platforms::Platforms::sync`), and the job ends done (a full sync sweeping away what it did
//! not see) or failed with the store's state in words.

use super::engine::Engine;
use crate::{
    db,
    error::AppError,
    jobs::{
        self,
        run::{Run, Stop},
        JobKind, JobState,
    },
    platforms::Platform,
    records, stores,
};

pub(super) struct Job<'a> {
    pub engine: &'a Engine,
    pub platform: Platform,
    pub run: Run,
}

impl Job<'_> {
    /// Marks the job running (with the event that says it started or resumed).
    async fn mark_started(&mut self) -> Result<(), Stop> {
        let mut tx = self.run.begin().await?;
        jobs::repo::mark_running(&mut tx, self.run.id).await?;
        self.run.save(&mut tx).await?;
        tx.commit().await?;
        self.run.changed();
        Ok(())
    }

    /// Walks the store and records how the job ended.
    pub(super) async fn run_to_end(mut self) -> Result<(), AppError> {
        match self.walk().await {
            Ok(()) => {
                self.finish().await?;
                self.check_drift().await;
                Ok(())
            }
            Err(Stop::LeaseLost) => {
                tracing::warn!(job_id = %self.run.id, "stopped a sync job this server no longer holds: another server took it over");
                Ok(())
            }
            Err(Stop::Cancelled) => jobs::repo::cancel(self.run.pool(), self.run.id).await,
            Err(Stop::Fatal(message)) => self.fail(&message, false).await,
            Err(Stop::Refused(message)) => self.fail(&message, true).await,
            Err(Stop::Internal(err)) => {
                // The database may have ended this server's transaction because it was paused
                // past its lease (idle in transaction): then the job is another server's now.
                if self.run.begin().await.is_err() {
                    tracing::warn!(job_id = %self.run.id, error = %err, "stopped a sync job this server no longer holds");
                    return Ok(());
                }
                let message = format!("storelink could not store what {} sent", self.platform.label());
                self.fail(&message, false).await?;
                Err(err)
            }
        }
    }

    async fn walk(&mut self) -> Result<(), Stop> {
        self.mark_started().await?;
        if self.run.checkpoint.started_at.is_none() {
            self.run.checkpoint.started_at = Some(db::now());
        }
        if let Some(base) = self.engine.webhook_base.clone() {
            self.ensure_webhooks(&base).await?;
        }
        let platforms = &self.engine.platforms;
        if !self.run.checkpoint.shop {
            let described = platforms.describe(self.platform, self.run.store_id, &mut self.run.progress).await?;
            let mut tx = self.run.begin().await?;
            if let Some(shop) = described {
                stores::repo::update_shop(&mut tx, self.run.store_id, &shop.shop_json, shop.name.as_deref()).await?;
            }
            self.run.checkpoint.shop = true;
            self.run.save(&mut tx).await?;
            tx.commit().await?;
        }
        platforms.sync(self.platform, &mut self.run).await
    }

    /// Subscribes the store to its webhooks, or repairs the subscriptions its platform dropped
    /// or switched off. Only answers that stop every call stop the sync; others are said and the
    /// sync goes on.
    async fn ensure_webhooks(&mut self, base: &str) -> Result<(), Stop> {
        let pool = self.engine.pool.clone();
        let store_id = self.run.store_id;
        let address = format!("{}/webhooks/{}", base.trim_end_matches('/'), self.platform.slug());
        let recorded = stores::repo::webhook_topics(&pool, store_id).await?;
        let ensured = self
            .engine
            .platforms
            .ensure_webhooks(self.platform, store_id, &address, &recorded, &mut self.run.progress)
            .await?;
        if let Some(subscriptions) = &ensured.subscriptions {
            stores::repo::replace_webhooks(&pool, store_id, subscriptions, ensured.repaired).await?;
        }
        if ensured.repaired {
            self.run.progress.event("Subscribed again to webhooks the store had dropped or switched off".into());
        }
        if let Some(problem) = ensured.problem {
            self.run.progress.event(format!("Could not subscribe to webhooks: {problem}"));
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), AppError> {
        self.run.progress.event("Finished".into());
        self.run.progress.phase = None;
        let Ok(mut tx) = self.run.begin().await else { return Ok(()) };
        if self.run.kind == JobKind::Full {
            let started = self.run.checkpoint.started_at.unwrap_or(0);
            records::repo::sweep(&mut tx, self.run.store_id, started).await?;
        }
        jobs::repo::end(&mut tx, self.run.id, JobState::Done, None, &self.run.progress).await?;
        stores::repo::mark_synced(&mut tx, self.run.store_id).await?;
        records::repo::recount(&mut tx, self.run.store_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// What the store says awaits shipment, against what the sync left: what differs is fetched
    /// again, and what still differs is kept for the Stores page and the queue.
    async fn check_drift(&self) {
        let store_id = self.run.store_id;
        if let Err(err) = self.engine.check_drift(store_id).await {
            tracing::warn!(%store_id, error = %err, "could not check the store's orders awaiting shipment");
        }
    }

    /// Ends the job failed, with the store's state in words; `refused` when it was the
    /// credentials the platform refused, so the store waits for new ones.
    async fn fail(&mut self, message: &str, refused: bool) -> Result<(), AppError> {
        self.run.progress.event(format!("Stopped: {message}"));
        let Ok(mut tx) = self.run.begin().await else { return Ok(()) };
        jobs::repo::end(&mut tx, self.run.id, JobState::Failed, Some(message), &self.run.progress).await?;
        if refused {
            stores::repo::mark_refused(&mut tx, self.run.store_id, message).await?;
        } else {
            stores::repo::set_state_detail(&mut tx, self.run.store_id, message).await?;
        }
        tx.commit().await?;
        tracing::warn!(store_id = %self.run.store_id, job_id = %self.run.id, message, "sync stopped");
        Ok(())
    }
}
