//! Synchronization: the engine that runs each store's jobs (`engine`), one job's walk through a
//! store (`job`: its platform does the platform's part, `platforms::Platforms::sync`), and "Sync
//! now". Jobs, their checkpoints and progress are in the database (`jobs::repo`), so a job
//! interrupted at any instant resumes without loss and without duplicates.

mod engine;
mod job;

pub use engine::{Claims, Engine, Handle};

use crate::{
    audit,
    db::Pool,
    error::AppError,
    ids::StoreId,
    jobs::{self, JobKind},
    stores::{self, StoreState},
    users::UserDto,
};

/// Queues an incremental sync of a connected store; one job per store at a time. Says what
/// happened, in words.
pub async fn queue_now(pool: &Pool, user: &UserDto, store_id: StoreId) -> Result<String, AppError> {
    let store = stores::repo::get(pool, user.org, store_id)
        .await?
        .ok_or_else(|| AppError::NotFound(crate::error::text::NO_SUCH_STORE.into()))?;
    let name = store.name;
    if store.state == StoreState::Refused {
        return Err(AppError::Conflict(format!(
            "{} refused {name}'s credentials: reconnect it with new ones before synchronizing.",
            store.platform.label()
        )));
    }
    if store.state != StoreState::Connected || crate::credentials::repo::connection(pool, store_id).await?.is_none() {
        return Err(AppError::Conflict(format!("{name} is disconnected: reconnect it before synchronizing.")));
    }
    let mut tx = pool.begin().await?;
    if !jobs::repo::queue(&mut tx, store_id, JobKind::Incremental).await? {
        return Ok(format!("{name} is already synchronizing."));
    }
    audit::repo::record_by(&mut tx, user.actor(), "Started a sync", Some((store_id, &name)), "incremental").await?;
    tx.commit().await?;
    Ok(format!("Synchronizing {name} now."))
}
