//! A sync job while it runs, as a platform's sync sees it: where it is (the checkpoint, part of
//! which is the platform's own), its progress, and the writes it makes, each in a transaction
//! that first makes sure the job is still this server's. A batch of records is stored together
//! with the checkpoint that says how far the job got, so a job stopped at any instant resumes
//! without loss and without duplicates.

use std::sync::Arc;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{repo, JobKind, Phase, Progress};
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::{JobId, StoreId},
    records::{self, model::Batch, repo::Stored, Part},
};

/// Tells whoever watches that a store's job or data changed.
pub type Changed = Arc<dyn Fn(StoreId) + Send + Sync>;

/// Where a job is: what every platform's sync shares, and the platform's own steps beside it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// When the job first started (Unix seconds): a full sync ends by deleting the rows written
    /// before it, which it did not see.
    pub started_at: Option<i64>,
    /// The store's own details were read.
    #[serde(default)]
    pub shop: bool,
    /// The platform's steps, as it writes them.
    #[serde(flatten)]
    pub platform: serde_json::Map<String, serde_json::Value>,
}

/// Why a job stopped before finishing.
#[derive(Debug)]
pub enum Stop {
    /// The platform refuses for good; the words go into the store's state.
    Fatal(String),
    /// The platform refused the credentials themselves: the store waits for new ones.
    Refused(String),
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

/// A running job.
pub struct Run {
    pool: Pool,
    changed: Changed,
    /// Stores whose export the platform says is ready (a webhook), so a sync waiting on one
    /// looks at once.
    exports: broadcast::Receiver<StoreId>,
    /// The claim this server runs the job under; every write transaction checks it first.
    pub claim: repo::Claim,
    pub id: JobId,
    pub store_id: StoreId,
    pub kind: JobKind,
    pub checkpoint: Checkpoint,
    pub progress: Progress,
}

impl Run {
    pub fn resume(
        pool: Pool,
        changed: Changed,
        exports: broadcast::Receiver<StoreId>,
        claim: repo::Claim,
        row: &repo::Job,
    ) -> Run {
        Run {
            pool,
            changed,
            exports,
            claim,
            id: claim.job_id,
            store_id: row.store_id,
            kind: row.kind,
            checkpoint: serde_json::from_str(&row.checkpoint).unwrap_or_default(),
            progress: row.progress(),
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Tells the watchers the job moved.
    pub fn changed(&self) {
        (self.changed)(self.store_id);
    }

    /// Every store whose export the platform said is ready, from now on.
    pub fn exports_ready(&self) -> broadcast::Receiver<StoreId> {
        self.exports.resubscribe()
    }

    /// The platform's part of the checkpoint (its default when the job starts).
    pub fn platform_checkpoint<T: DeserializeOwned + Default>(&self) -> T {
        serde_json::from_value(serde_json::Value::Object(self.checkpoint.platform.clone())).unwrap_or_default()
    }

    /// Keeps the platform's part of the checkpoint, for the next save.
    pub fn set_platform_checkpoint<T: Serialize>(&mut self, steps: &T) {
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(steps) {
            self.checkpoint.platform = map;
        }
    }

    /// Opens a transaction for the job's writes, first making sure the job is still this
    /// server's (see [`repo::fence`]). Its commit does not wait for the disk
    /// ([`db::Pool::begin_async_commit`]): whatever a crash loses, the sync fetches again from
    /// the checkpoint committed with it.
    pub async fn begin(&self) -> Result<Conn, Stop> {
        let mut tx = self.pool.begin_async_commit().await?;
        if repo::fence(&mut tx, self.claim).await? {
            Ok(tx)
        } else {
            Err(Stop::LeaseLost)
        }
    }

    /// Saves the checkpoint and progress in the caller's transaction.
    pub async fn save(&self, conn: &mut Conn) -> Result<(), Stop> {
        let checkpoint = serde_json::to_string(&self.checkpoint).unwrap_or_default();
        repo::save(conn, self.id, &checkpoint, &self.progress).await?;
        Ok(())
    }

    /// Saves the checkpoint (and progress) on its own and tells the watchers.
    pub async fn save_now(&self) -> Result<(), Stop> {
        let mut tx = self.begin().await?;
        self.save(&mut tx).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// Stops when the job was cancelled under the engine's feet (the store disconnected).
    pub async fn check_cancelled(&self) -> Result<(), Stop> {
        if repo::is_running(&self.pool, self.id).await? {
            Ok(())
        } else {
            Err(Stop::Cancelled)
        }
    }

    /// Notes a batch's refused records and counts what it stored, in its transaction.
    pub async fn account(&mut self, conn: &mut Conn, part: Part, stored: &Stored) -> Result<(), Stop> {
        for refused in &stored.refused {
            repo::record_failed_item(conn, self.id, part.key(), refused.id, &refused.why).await?;
            self.progress.event(format!(
                "Skipped one of the {} ({}): {}",
                part.words(),
                refused.id.unwrap_or_default(),
                refused.why
            ));
        }
        for (counted, n) in &stored.counted {
            self.progress.resources.entry(counted.key().into()).or_default().done += n;
        }
        Ok(())
    }

    /// Stores a page of the part's records and the checkpoint the platform set for after it,
    /// together; `last` marks the part done.
    pub async fn store_page(&mut self, part: Part, batch: Batch, last: bool) -> Result<(), Stop> {
        let prepared = records::repo::prepare(self.store_id, batch, db::now(), self.pool.is_postgres())?;
        let mut tx = self.begin().await?;
        let stored = records::repo::store(&mut tx, prepared).await?;
        self.account(&mut tx, part, &stored).await?;
        if last {
            self.progress.resources.entry(part.key().into()).or_default().enter(Phase::Done, db::now());
        }
        self.save(&mut tx).await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }
}
