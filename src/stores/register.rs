//! Registering a store: its platform checks what was typed (credentials, permissions, the
//! store's address), then the store, its sealed credentials and its first sync are saved
//! together. Each failure has its own message and saves nothing.

use super::{repo, StoreDto, StoreState};
use crate::{
    audit,
    credentials::{self, Credentials},
    db::Pool,
    error::AppError,
    ids::StoreId,
    jobs::{self, JobKind},
    platforms::{Platform, Platforms, Typed},
    secrets::Sealer,
    users::UserDto,
};

/// Registers (or reconnects) the store and queues its first full sync; returns its id.
pub async fn register(
    pool: &Pool,
    platforms: &Platforms,
    sealer: &Sealer,
    user: &UserDto,
    platform: Platform,
    typed: Typed,
) -> Result<StoreId, AppError> {
    // What is not even well-formed is refused before the platform is asked anything, and a
    // connected store is not asked about again.
    let address = Platforms::validate(platform, &typed)?;
    let existing = repo::find_by_domain(pool, &address).await?;
    refuse_another_organizations(existing.as_ref(), user, &address)?;
    if let Some(store) = existing.as_ref().filter(|s| s.state == StoreState::Connected && !typed.reconnect) {
        return Err(already_connected(&address, &store.name));
    }
    if existing.is_none() {
        // Said before the platform is asked anything; checked again as the store is saved.
        room_for_a_store(&mut pool.acquire().await?, user).await?;
    }
    let checked = platforms.check(platform, &typed).await?;
    // The platform may name the store by another address than typed (a site's own home URL).
    let existing = match checked.address == address {
        true => existing,
        false => repo::find_by_domain(pool, &checked.address).await?,
    };
    refuse_another_organizations(existing.as_ref(), user, &checked.address)?;
    if let Some(store) = existing.as_ref().filter(|s| s.state == StoreState::Connected && !typed.reconnect) {
        return Err(already_connected(&checked.address, &store.name));
    }
    if existing.as_ref().is_some_and(|s| s.platform != platform) {
        return Err(AppError::Conflict(format!("{} is registered as a store of another platform.", checked.address)));
    }

    let details = repo::ShopDetails {
        platform,
        name: &checked.name,
        shop_json: &checked.shop_json,
        granted_scopes: &checked.granted,
        warnings: &checked.warnings,
    };
    let mut tx = pool.begin().await?;
    let saved = match &existing {
        None => {
            room_for_a_store(&mut tx, user).await?;
            repo::insert_connected(&mut tx, user.org, &checked.address, &details, user.id).await?
        }
        Some(store) => repo::reconnect(&mut tx, store.id, &details, typed.reconnect).await?,
    };
    let Some(store_id) = saved else { return Err(already_connected(&checked.address, &checked.name)) };
    // Credentials the platform refused are still there: the new ones take their place.
    credentials::repo::delete(&mut tx, store_id).await?;
    let new = &checked.credentials;
    let credentials = Credentials {
        kind: new.kind,
        api_key: new.api_key.clone(),
        sealed_token: sealer.seal(&new.token),
        sealed_secret: sealer.seal(&new.signing_secret),
        token_expires_at: new.expiry.map(|(expires_at, _)| expires_at),
        token_renew_at: new.expiry.map(|(_, renew_at)| renew_at),
    };
    credentials::repo::insert(&mut tx, store_id, &credentials).await?;
    jobs::repo::queue(&mut tx, store_id, JobKind::Full).await?;
    let action = if existing.is_some() { "Reconnected store" } else { "Registered store" };
    let detail = match checked.warnings.is_empty() {
        true => "all permissions granted".to_owned(),
        false => checked.warnings.join(" "),
    };
    audit::repo::record_by(&mut tx, user.actor(), action, Some((store_id, &checked.name)), &detail).await?;
    tx.commit().await?;
    tracing::info!(store = %checked.address, %store_id, platform = platform.label(), "store registered");
    Ok(store_id)
}

/// Refused in words when the user's organization has as many stores as the operator allows.
async fn room_for_a_store(conn: &mut crate::db::Conn, user: &UserDto) -> Result<(), AppError> {
    let limits = crate::organizations::repo::lock_limits(conn, user.org).await?;
    let stores = repo::count(conn, user.org).await?;
    crate::organizations::Limits::refuse_more(
        limits.max_stores,
        stores,
        ("store", "stores"),
        "Remove a disconnected one",
    )
}

/// A store is one organization's: another's (connected or not) cannot be registered,
/// reconnected or looked at here, and its name is not told.
fn refuse_another_organizations(existing: Option<&StoreDto>, user: &UserDto, address: &str) -> Result<(), AppError> {
    match existing {
        Some(store) if store.org != user.org => Err(AppError::Conflict(format!(
            "{address} is connected to storelink by another organization; a store can belong to one only."
        ))),
        _ => Ok(()),
    }
}

fn already_connected(address: &str, name: &str) -> AppError {
    AppError::Conflict(format!("{address} is already connected as “{name}”."))
}
