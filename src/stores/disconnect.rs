//! Ending a store's connection: disconnecting it (by an administrator, or by its platform when
//! storelink's app is removed from the store) and removing a disconnected store with its data.

use super::{repo, StoreState};
use crate::{
    audit, credentials,
    db::Pool,
    error::AppError,
    ids::StoreId,
    jobs,
    platforms::{Platform, Platforms},
    records,
    users::UserDto,
};

/// Stops synchronization, removes storelink's webhooks from the store's platform (best effort),
/// deletes the credentials and keeps the synced data. Says what happened, in words.
pub async fn disconnect(
    pool: &Pool,
    platforms: &Platforms,
    user: &UserDto,
    store_id: StoreId,
) -> Result<String, AppError> {
    let store = repo::get(pool, user.org, store_id).await?.ok_or_else(not_found)?;
    if store.state == StoreState::Disconnected {
        return Err(AppError::Conflict(format!("{} is already disconnected.", store.name)));
    }
    let ids = repo::webhook_ids(pool, store_id).await?;
    let detail = match (ids.len(), platforms.remove_webhooks(store.platform, store_id, &ids).await) {
        (0, _) => "no webhook subscriptions to remove".to_owned(),
        (all, removed) if removed == all => format!("{all} webhook subscriptions removed"),
        (all, removed) => format!("{removed} webhook subscriptions removed, {} could not be removed", all - removed),
    };
    let mut tx = pool.begin().await?;
    repo::mark_disconnected(&mut tx, store_id, None).await?;
    credentials::repo::delete(&mut tx, store_id).await?;
    jobs::repo::cancel_active(&mut tx, store_id).await?;
    audit::repo::record_by(&mut tx, user.actor(), "Disconnected store", Some((store_id, &store.name)), &detail).await?;
    tx.commit().await?;
    Ok(format!("Disconnected {}: {detail}.", store.name))
}

fn not_found() -> AppError {
    AppError::NotFound(crate::error::text::NO_SUCH_STORE.into())
}

/// The platform says storelink's app was removed from the store (and it refuses the
/// credentials): they go, and the store waits for an administrator to reconnect it.
pub async fn uninstalled(pool: &Pool, platform: Platform, store_id: StoreId) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let detail = format!("App uninstalled in {} — reconnect", platform.label());
    let Some((name, org)) = repo::mark_disconnected(&mut tx, store_id, Some(&detail)).await? else { return Ok(()) };
    credentials::repo::delete(&mut tx, store_id).await?;
    jobs::repo::cancel_active(&mut tx, store_id).await?;
    audit::repo::record_by(
        &mut tx,
        audit::Actor { org, user: None, name: platform.label() },
        "App uninstalled",
        Some((store_id, &name)),
        "credentials deleted",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a disconnected store and its synced data; connected stores are refused.
pub async fn remove(pool: &Pool, user: &UserDto, store_id: StoreId) -> Result<(), AppError> {
    // The DELETE comes first, so the transaction takes SQLite's write lock at once (a read
    // first could not be upgraded while the sync engine writes).
    let mut tx = pool.begin().await?;
    let Some(name) = repo::delete_disconnected(&mut tx, user.org, store_id).await? else {
        drop(tx);
        return match repo::get(pool, user.org, store_id).await? {
            None => Err(not_found()),
            Some(store) => Err(AppError::Conflict(format!("Disconnect {} before removing it.", store.name))),
        };
    };
    records::repo::erase(&mut tx, store_id).await?;
    let detail = "the store and its synced data were deleted";
    audit::repo::record_by(&mut tx, user.actor(), "Removed store", Some((store_id, &name)), detail).await?;
    tx.commit().await?;
    Ok(())
}
