//! One job's walk through a store. Every call goes through the GraphQL client (paced by the
//! store's cost budget) with a token renewed when due; every batch of records is stored together
//! with the checkpoint that says how far the job got, so a job stopped at any instant resumes
//! without loss and without duplicates. A full sync exports each family of records by bulk
//! operation (`bulk.rs`); an incremental one pages through what changed (`pages.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::engine::Engine;
use crate::{
    db,
    error::AppError,
    ids::{JobId, StoreId},
    jobs::{self, JobKind, JobState, Progress},
    records::{self, repo::Stored, Part},
    shopify::{
        client::ShopifyError,
        graphql::{Answer, Query},
        pacing::PaceEvent,
        queries, PERMISSIONS,
    },
    stores::{self, tokens::TokenError},
    webhooks,
};

/// What a store whose token was refused is told.
const TOKEN_REFUSED: &str = "Shopify rejected the API password — reconnect the store";
const SECRET_REFUSED: &str = "Shopify refused the app's Client secret — reconnect the store";

/// Where a job is.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Checkpoint {
    /// When the job first started (Unix seconds): a full sync ends by deleting the rows written
    /// before it, which it did not see.
    pub started_at: Option<i64>,
    pub shop: bool,
    /// The end of an incremental sync's windows, fixed when it starts, so records changed while
    /// it pages fall into the next one.
    pub until: Option<String>,
    pub steps: BTreeMap<Part, Step>,
    /// The parts whose export stopped partway once already: a second time, they are paged.
    #[serde(default)]
    pub stopped_once: Vec<Part>,
}

/// Where one part is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum Step {
    /// A bulk operation exporting at Shopify.
    Export {
        operation: String,
    },
    /// A finished bulk operation's file, imported up to `line` (the lines before it are stored).
    Import {
        operation: String,
        url: String,
        line: u64,
        partial: bool,
    },
    /// Paging through the part after `after`, with this search `query` (none: everything).
    Pages {
        after: Option<String>,
        query: Option<String>,
    },
    Done,
}

/// Why a job stopped before finishing.
pub(super) enum Stop {
    /// Shopify refuses for good; the words go into the store's state.
    Fatal(String),
    /// Shopify refused the credentials themselves: the store waits for new ones.
    Refused(&'static str),
    /// Disconnected, or its credentials are gone: the job ends here.
    Cancelled,
    /// storelink itself failed.
    Internal(AppError),
    /// Another server holds the job now (this one was paused or cut off past its lease); it
    /// goes on from the last checkpoint, and this server writes nothing more.
    LeaseLost,
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

/// A permission by the name the Shopify admin gives it.
fn admin_name(scope: &str) -> String {
    PERMISSIONS
        .iter()
        .find(|p| p.scope == scope || p.scope == scope.replacen("write_", "read_", 1))
        .map_or_else(|| scope.to_owned(), |p| p.admin_name.to_owned())
}

/// The state a store is left in when Shopify refuses for good.
pub(super) fn fatal(err: ShopifyError) -> Stop {
    Stop::Fatal(match err {
        ShopifyError::Unauthorized => return Stop::Refused(TOKEN_REFUSED),
        ShopifyError::GrantRefused(_) => return Stop::Refused(SECRET_REFUSED),
        ShopifyError::Forbidden { scope } => format!("the “{}” permission was removed", admin_name(&scope)),
        ShopifyError::Frozen | ShopifyError::Unavailable | ShopifyError::Locked => "the shop is unavailable".into(),
        ShopifyError::NotFound => "Shopify no longer knows this shop".into(),
        other => format!("Shopify kept failing: {other}"),
    })
}

pub(super) struct Job<'a> {
    pub engine: &'a Engine,
    /// The claim this server runs the job under; every write transaction checks it first.
    pub claim: jobs::repo::Claim,
    pub id: JobId,
    pub store_id: StoreId,
    pub kind: JobKind,
    pub checkpoint: Checkpoint,
    pub progress: Progress,
    /// Parts whose export Shopify had no room for yet (said once each).
    pub told_to_wait: std::collections::BTreeSet<Part>,
    /// The last line telling of rate-limit waits, how many and how long in all.
    waits: Option<(String, u32, u64)>,
}

impl<'a> Job<'a> {
    pub(super) fn resume(engine: &'a Engine, claim: jobs::repo::Claim, row: &jobs::repo::Job) -> Job<'a> {
        Job {
            engine,
            claim,
            id: claim.job_id,
            store_id: row.store_id,
            kind: row.kind,
            checkpoint: serde_json::from_str(&row.checkpoint).unwrap_or_default(),
            progress: row.progress(),
            told_to_wait: Default::default(),
            waits: None,
        }
    }

    /// Opens a transaction for the job's writes, first making sure the job is still this
    /// server's (see [`jobs::repo::fence`]). Its commit does not wait for the disk
    /// ([`db::Pool::begin_async_commit`]): whatever a crash loses, the sync fetches again from
    /// the checkpoint committed with it.
    pub(super) async fn begin(&self) -> Result<db::Conn, Stop> {
        let mut tx = self.engine.pool.begin_async_commit().await?;
        if jobs::repo::fence(&mut tx, self.claim).await? {
            Ok(tx)
        } else {
            Err(Stop::LeaseLost)
        }
    }

    /// Marks the job running (with the event that says it started or resumed).
    async fn mark_started(&mut self) -> Result<(), Stop> {
        let mut tx = self.begin().await?;
        jobs::repo::mark_running(&mut tx, self.id).await?;
        self.save(&mut tx).await?;
        tx.commit().await?;
        self.engine.hub.changed(self.store_id);
        Ok(())
    }

    /// Walks the store and records how the job ended.
    pub(super) async fn run_to_end(mut self) -> Result<(), AppError> {
        match self.run().await {
            Ok(()) => self.finish().await,
            Err(Stop::LeaseLost) => {
                tracing::warn!(job_id = %self.id, "stopped a sync job this server no longer holds: another server took it over");
                Ok(())
            }
            Err(Stop::Cancelled) => jobs::repo::cancel(&self.engine.pool, self.id).await,
            Err(Stop::Fatal(message)) => self.fail(&message, false).await,
            Err(Stop::Refused(message)) => self.fail(message, true).await,
            Err(Stop::Internal(err)) => {
                // The database may have ended this server's transaction because it was paused
                // past its lease (idle in transaction): then the job is another server's now.
                if self.begin().await.is_err() {
                    tracing::warn!(job_id = %self.id, error = %err, "stopped a sync job this server no longer holds");
                    return Ok(());
                }
                self.fail("storelink could not store what Shopify sent", false).await?;
                Err(err)
            }
        }
    }

    async fn run(&mut self) -> Result<(), Stop> {
        self.mark_started().await?;
        if self.checkpoint.started_at.is_none() {
            self.checkpoint.started_at = Some(db::now());
        }
        if let Some(address) = self.engine.webhook_address.clone() {
            self.ensure_webhooks(&address).await?;
        }
        if !self.checkpoint.shop {
            let answer = self.query(queries::REGISTRATION, Value::Null, 2.0).await?;
            let data: Value = answer.read().map_err(fatal)?;
            let mut tx = self.begin().await?;
            if let Some(shop) = data.get("shop").filter(|s| s.is_object()) {
                stores::repo::update_shop(&mut tx, self.store_id, &shop.to_string(), shop["name"].as_str()).await?;
            }
            self.checkpoint.shop = true;
            self.save(&mut tx).await?;
            tx.commit().await?;
        }
        match self.kind {
            JobKind::Full => self.full().await,
            JobKind::Incremental => self.incremental().await,
        }
    }

    /// One GraphQL call, paced, with a token renewed when due or refused; waits and retries
    /// go into the event log.
    pub(super) async fn query(&mut self, text: &str, variables: Value, cost: f64) -> Result<Answer, Stop> {
        let answer = self.try_query(text, variables, cost).await?;
        answer.map_err(fatal)
    }

    /// [`query`](Self::query), but Shopify's answer is the caller's to read.
    pub(super) async fn try_query(
        &mut self,
        text: &str,
        variables: Value,
        cost: f64,
    ) -> Result<Result<Answer, ShopifyError>, Stop> {
        let events = std::sync::Mutex::new(Vec::new());
        let shopify = &self.engine.shopify;
        let query = Query { text, variables, cost };
        let result = self
            .engine
            .tokens
            .call(self.store_id, |access| {
                let (events, query) = (&events, &query);
                async move {
                    let mut heard = |e| events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                    shopify.graphql(&access.domain, &access.token, query, &mut heard).await
                }
            })
            .await;
        self.paced(events.into_inner().unwrap_or_else(|p| p.into_inner()));
        match result {
            Ok(answer) => Ok(Ok(answer)),
            Err(TokenError::Shopify(err)) => Ok(Err(err)),
            Err(other) => Err(other.into()),
        }
    }

    /// Subscribes the store to its webhooks, or repairs the subscriptions Shopify dropped. Only
    /// answers that stop every call stop the sync; others are noted and the sync goes on.
    async fn ensure_webhooks(&mut self, address: &str) -> Result<(), Stop> {
        let events = std::sync::Mutex::new(Vec::new());
        let engine = self.engine;
        let store_id = self.store_id;
        let outcome = engine
            .tokens
            .call(store_id, |access| {
                let events = &events;
                async move {
                    let shop = webhooks::ShopAccess { store_id, domain: &access.domain, token: &access.token };
                    let mut heard = |e| events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                    match webhooks::ensure(&engine.pool, &engine.shopify, shop, address, &mut heard).await {
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
                | ShopifyError::GrantRefused(_)
                | ShopifyError::Frozen
                | ShopifyError::Unavailable
                | ShopifyError::Locked
                | ShopifyError::NotFound),
            ) => Err(fatal(err)),
            Err(err) => {
                self.progress.event(format!("Could not subscribe to webhooks: {err}"));
                Ok(())
            }
        }
    }

    /// Tells of waits and retries; waits in a row are one line, so they never push the rest of
    /// the short log out.
    pub(super) fn paced(&mut self, events: Vec<PaceEvent>) {
        for event in events {
            match event {
                PaceEvent::WaitedForRateLimit { millis } => {
                    let (times, total) = match self.waits.take() {
                        Some((line, times, total)) if self.progress.events.last().is_some_and(|e| e.text == line) => {
                            self.progress.events.pop();
                            (times + 1, total + millis)
                        }
                        _ => (1, millis),
                    };
                    let seconds = total as f64 / 1000.0;
                    let line = match times {
                        1 => format!("Waited {seconds:.1} s for Shopify's rate limit"),
                        n => format!("Waited {seconds:.1} s for Shopify's rate limit ({n} times)"),
                    };
                    self.progress.event(line.clone());
                    self.waits = Some((line, times, total));
                }
                PaceEvent::Retried { attempt, reason } => {
                    self.progress.event(format!("Retried ({reason}), attempt {attempt}"))
                }
            }
        }
    }

    /// Stops when the job was cancelled under the engine's feet (the store disconnected).
    pub(super) async fn check_cancelled(&self) -> Result<(), Stop> {
        if jobs::repo::is_running(&self.engine.pool, self.id).await? {
            Ok(())
        } else {
            Err(Stop::Cancelled)
        }
    }

    /// Notes a batch's refused nodes and counts what it stored, in its transaction.
    pub(super) async fn account(&mut self, conn: &mut db::Conn, part: Part, stored: &Stored) -> Result<(), Stop> {
        for refused in &stored.refused {
            jobs::repo::record_failed_item(conn, self.id, part.key(), refused.id, &refused.why).await?;
            self.progress.event(format!(
                "Skipped one of the {} ({}): {}",
                part.key().replace('_', " "),
                refused.id.unwrap_or_default(),
                refused.why
            ));
        }
        for (counted, n) in &stored.counted {
            self.progress.resources.entry(counted.key().into()).or_default().done += n;
        }
        Ok(())
    }

    pub(super) async fn save(&self, conn: &mut db::Conn) -> Result<(), Stop> {
        let checkpoint = serde_json::to_string(&self.checkpoint).unwrap_or_default();
        jobs::repo::save(conn, self.id, &checkpoint, &self.progress).await?;
        Ok(())
    }

    /// Saves the checkpoint (and progress) on its own and tells the watchers.
    pub(super) async fn save_now(&self) -> Result<(), Stop> {
        let mut tx = self.begin().await?;
        self.save(&mut tx).await?;
        tx.commit().await?;
        self.engine.hub.changed(self.store_id);
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), AppError> {
        self.progress.event("Finished".into());
        self.progress.phase = None;
        let Ok(mut tx) = self.begin().await else { return Ok(()) };
        if self.kind == JobKind::Full {
            let started = self.checkpoint.started_at.unwrap_or(0);
            records::repo::sweep(&mut tx, self.store_id, started).await?;
        }
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
        let Ok(mut tx) = self.begin().await else { return Ok(()) };
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
