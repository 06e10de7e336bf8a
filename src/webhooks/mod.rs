//! Webhooks: each store subscribed (through GraphQL) to the topics storelink applies, Shopify's
//! signed deliveries received on one endpoint and verified before anything is read. A delivery
//! about an order, product, customer, fulfillment order or inventory level is a notice of a
//! change: notices are gathered per store for a moment and the records fetched as they are now
//! in one `nodes` query (`refresh`), so every record is stored in one shape, GraphQL's, whatever
//! told storelink of it. Deletions, uninstalls and the compliance topics apply at once. The
//! scheduled sync keeps running beside them and repairs lost subscriptions.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod apply;
#[cfg(feature = "ssr")]
mod receive;
#[cfg(feature = "ssr")]
mod refresh;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
mod subscriptions;

#[cfg(feature = "ssr")]
pub use receive::{receive, Receiver, MAX_BODY};
#[cfg(feature = "ssr")]
pub use refresh::Refresher;
#[cfg(feature = "ssr")]
pub use subscriptions::{ensure, health, secret_looks_wrong, ShopAccess};

/// The path Shopify delivers to, under the public URL.
pub const PATH: &str = "/webhooks/shopify";

/// The topics storelink subscribes each store to, as deliveries name them.
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
    "fulfillment_orders/moved",
    "fulfillment_orders/placed_on_hold",
    "fulfillment_orders/hold_released",
    "fulfillment_orders/cancelled",
    "fulfillment_orders/split",
    "fulfillment_orders/merged",
    "fulfillment_orders/rescheduled",
    "fulfillment_orders/scheduled_fulfillment_order_ready",
    "bulk_operations/finish",
    "app/uninstalled",
];

/// A topic in words, for the pages: `orders/create` → "Orders created".
pub fn topic_words(topic: &str) -> String {
    let words = match topic {
        "orders/create" => "Orders created",
        "orders/updated" => "Orders changed",
        "orders/cancelled" => "Orders cancelled",
        "orders/fulfilled" => "Orders fulfilled",
        "products/create" => "Products created",
        "products/update" => "Products changed",
        "products/delete" => "Products deleted",
        "customers/create" => "Customers created",
        "customers/update" => "Customers changed",
        "inventory_levels/update" => "Stock changed",
        "fulfillment_orders/moved" => "Shipments moved to another location",
        "fulfillment_orders/placed_on_hold" => "Shipments put on hold",
        "fulfillment_orders/hold_released" => "Shipments released from hold",
        "fulfillment_orders/cancelled" => "Shipments cancelled",
        "fulfillment_orders/split" => "Shipments split",
        "fulfillment_orders/merged" => "Shipments merged",
        "fulfillment_orders/rescheduled" => "Shipments rescheduled",
        "fulfillment_orders/scheduled_fulfillment_order_ready" => "Scheduled shipments ready",
        "bulk_operations/finish" => "Exports finished",
        "app/uninstalled" => "App uninstalled",
        other => return other.to_owned(),
    };
    words.to_owned()
}

/// A topic as GraphQL's `WebhookSubscriptionTopic` names it: `orders/create` → `ORDERS_CREATE`.
pub fn graphql_topic(topic: &str) -> String {
    topic.replace('/', "_").to_uppercase()
}

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
