//! Webhooks: each platform's signed deliveries, received at `/webhooks/{platform}`, verified on
//! their exact bytes before anything is read, recorded once, answered at once and applied
//! afterwards by the store's platform (`platforms::Platforms::apply`). The scheduled sync keeps
//! running beside them, fills every gap, and repairs lost subscriptions.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod receive;
#[cfg(feature = "ssr")]
pub mod repo;

#[cfg(feature = "ssr")]
pub use receive::{receive, Receiver, MAX_BODY};

/// How a store's webhooks are doing, for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookHealth {
    /// The store's platform, whose topics these are.
    pub platform: crate::platforms::Platform,
    /// False when no public URL is set: updates then arrive by scheduled sync only.
    pub enabled: bool,
    /// How often the scheduled sync runs, in seconds.
    pub sync_interval_secs: u64,
    pub topics: Vec<String>,
    pub last_delivery_at: Option<i64>,
    pub deliveries_24h: i64,
    pub rejected: i64,
    pub last_rejected_at: Option<i64>,
    /// Genuinely signed deliveries ignored because the platform made them too long ago.
    pub stale: i64,
    pub last_repair_at: Option<i64>,
}

/// Whether the store's webhook secret looks wrong: a signed delivery was refused and none has
/// verified since (none ever did, or the secret was rotated). Deliveries are checked only when
/// they come, so registration cannot tell.
#[cfg(feature = "ssr")]
pub async fn secret_looks_wrong(
    pool: &crate::db::Pool,
    store_id: crate::ids::StoreId,
) -> Result<bool, crate::error::AppError> {
    crate::stores::repo::secret_unverified(pool, store_id).await
}

/// The store page's webhook figures; `enabled` and `sync_interval_secs` are the server's.
#[cfg(feature = "ssr")]
pub async fn health(
    pool: &crate::db::Pool,
    platform: crate::platforms::Platform,
    store_id: crate::ids::StoreId,
    enabled: bool,
    sync_interval_secs: u64,
) -> Result<WebhookHealth, crate::error::AppError> {
    use crate::stores;
    let topics = stores::repo::webhook_topics(pool, store_id).await?;
    let (last_delivery_at, deliveries_24h) = repo::recent(pool, store_id, crate::db::now() - 86_400).await?;
    let (rejected, last_rejected_at, last_repair_at, stale) = stores::repo::webhook_figures(pool, store_id).await?;
    Ok(WebhookHealth {
        platform,
        enabled,
        sync_interval_secs,
        topics,
        last_delivery_at,
        deliveries_24h,
        rejected,
        last_rejected_at,
        stale,
        last_repair_at,
    })
}
