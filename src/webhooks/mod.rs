//! Webhooks: each store subscribed to the topics storelink applies, Shopify's signed deliveries
//! received on one endpoint, verified before anything is read, and applied through the same
//! repository functions the sync uses. The scheduled sync keeps running beside them and
//! repairs lost subscriptions.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod apply;
#[cfg(feature = "ssr")]
mod receive;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
mod subscriptions;

#[cfg(feature = "ssr")]
pub use receive::{receive, Receiver, MAX_BODY};
#[cfg(feature = "ssr")]
pub use subscriptions::{ensure, health, ShopAccess};

/// The path Shopify delivers to, under the public URL.
pub const PATH: &str = "/webhooks/shopify";

/// The topics storelink subscribes each store to. Fulfillment orders are not synced yet, so
/// their topics are left out.
pub const TOPICS: &[&str] = &[
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "orders/fulfilled",
    "products/create",
    "products/update",
    "products/delete",
    "customers/create",
    "customers/update",
    "inventory_levels/update",
    "app/uninstalled",
];

/// How a store's webhooks are doing, for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookHealth {
    /// False when no public URL is set: updates then arrive by scheduled sync only.
    pub enabled: bool,
    /// How often the scheduled sync runs, in seconds.
    pub sync_interval_secs: u64,
    pub topics: Vec<String>,
    pub last_delivery_at: Option<i64>,
    pub deliveries_24h: i64,
    pub rejected: i64,
    pub last_rejected_at: Option<i64>,
    /// Genuinely signed deliveries ignored because Shopify triggered them over 48 hours ago.
    pub stale: i64,
    pub last_repair_at: Option<i64>,
}
