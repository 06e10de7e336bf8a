//! WooCommerce: the registration form, the key permissions storelink checks, the webhook topics,
//! and (server only) the REST client for a WordPress site's `wc/v3` API, the reader that turns its
//! JSON into storelink's records, and WooCommerce's side of registering, syncing, webhooks and
//! shipments.
//!
//! - `url`: the Store URL an administrator pastes, and the site's own home URL.
//! - `client`: WordPress's index, authenticated calls, the typed errors.
//! - `oauth`: OAuth 1.0a signatures for http sites.
//! - `pacing`: calls in flight per site, `Retry-After`, retries.
//! - `reader`: orders, products, variations and customers as records.
//! - `register`, `sync`, `webhooks`, `ship`: the seam's questions, answered for WooCommerce.

#[cfg(feature = "ssr")]
pub(super) mod census;
#[cfg(feature = "ssr")]
pub mod client;
#[cfg(feature = "ssr")]
mod oauth;
#[cfg(feature = "ssr")]
pub mod pacing;
#[cfg(feature = "ssr")]
pub mod reader;
#[cfg(feature = "ssr")]
pub(super) mod register;
#[cfg(feature = "ssr")]
mod ship;
#[cfg(feature = "ssr")]
pub(super) mod sync;
#[cfg(feature = "ssr")]
pub mod url;
#[cfg(feature = "ssr")]
pub(super) mod webhooks;

#[cfg(feature = "ssr")]
pub use client::{Answer, AuthMode, Index, Keys, RouteForm, WooClient, WooError};
#[cfg(feature = "ssr")]
pub use pacing::PaceEvent;
#[cfg(feature = "ssr")]
pub use url::{normalize_store_url, SiteUrl};

use super::{Field, Form, Help, Permission, TrackingLimits};

/// WooCommerce's side of storelink: one client (pacing each site) and each store's keys.
#[cfg(feature = "ssr")]
pub(super) struct WooCommerce {
    pool: crate::db::Pool,
    sealer: crate::secrets::Sealer,
    client: WooClient,
}

#[cfg(feature = "ssr")]
impl WooCommerce {
    pub(super) fn start(
        settings: &super::Settings,
        pool: crate::db::Pool,
        sealer: crate::secrets::Sealer,
    ) -> anyhow::Result<WooCommerce> {
        // Only an emulator, or a desk that says its stores live on its own network, may be
        // dialled at a private address.
        let public_only = !settings.allow_private_addresses && settings.woocommerce_base_url.is_none();
        let http = super::net::builder(settings.woocommerce_timeout, public_only)
            .timeout(settings.woocommerce_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let client = WooClient::new(http, settings.woocommerce_base_url.clone(), settings.woocommerce_at_once);
        Ok(WooCommerce { pool, sealer, client })
    }

    /// The store's site and keys, from what storelink keeps; `None` once it has none.
    async fn connection(
        &self,
        store_id: crate::ids::StoreId,
    ) -> Result<Option<(SiteUrl, Keys)>, crate::error::AppError> {
        let Some((home, credentials)) = crate::credentials::repo::connection(&self.pool, store_id).await? else {
            return Ok(None);
        };
        let site = SiteUrl::from_home(&home).map_err(|_| crate::error::AppError::Internal)?;
        let secret = self.sealer.open(&credentials.sealed_token).map_err(|_| crate::error::AppError::Internal)?;
        Ok(Some((site, Keys { consumer_key: credentials.api_key, consumer_secret: secret })))
    }
}

/// The WooCommerce registration form.
pub static FORM: Form = Form {
    heading: "Connect a WooCommerce store",
    names: &["store_url", "consumer_key", "consumer_secret"],
    fields: &[
        Field {
            name: "store_url",
            label: "Store URL",
            help: "The address of your WordPress site, such as https://shop.example.com (its Settings → General → Site Address).",
            secret: false,
            required: true,
        },
        Field {
            name: "consumer_key",
            label: "Consumer key",
            help: "Starts with ck_. Made under WooCommerce → Settings → Advanced → REST API → Add key.",
            secret: false,
            required: true,
        },
        Field {
            name: "consumer_secret",
            label: "Consumer secret",
            help: "Starts with cs_. WooCommerce shows it once, beside the consumer key.",
            secret: true,
            required: true,
        },
    ],
    help: &[
        Help::Note(
            "In the WordPress admin, open WooCommerce → Settings → Advanced → REST API and choose Add key. Give it a \
             description (storelink), choose a user who is an Administrator or a Shop Manager, set Permissions to \
             Read/Write, and choose Generate API key. Copy the consumer key and secret here.",
        ),
        Help::Note("storelink checks what the key may do:"),
        Help::Permissions,
        Help::Note(
            "With the Shipment Tracking extension active, shipments are written as tracking items; without it, as a \
             note on the order. Either way the order is marked Completed once everything in it has shipped.",
        ),
    ],
};

/// Shipment Tracking and order notes document no limit on the number or the link.
pub const TRACKING_LIMITS: TrackingLimits = TrackingLimits { number_chars: None, url_chars: None };

/// The topics storelink subscribes each store to, as deliveries name them.
pub const TOPICS: &[&str] = &[
    "order.created",
    "order.updated",
    "order.deleted",
    "order.restored",
    "product.created",
    "product.updated",
    "product.deleted",
    "product.restored",
    "customer.created",
    "customer.updated",
    "customer.deleted",
];

/// A topic in words, for the pages: `order.created` → "Orders created".
pub fn topic_words(topic: &str) -> String {
    let Some((resource, event)) = topic.split_once('.') else { return topic.to_owned() };
    let resource = match resource {
        "order" => "Orders",
        "product" => "Products",
        "customer" => "Customers",
        "coupon" => "Coupons",
        _ => return topic.to_owned(),
    };
    let event = match event {
        "created" => "created",
        "updated" => "changed",
        "deleted" => "deleted",
        "restored" => "restored from the trash",
        _ => return topic.to_owned(),
    };
    format!("{resource} {event}")
}

/// The key's permission to read (WooCommerce's "Read" or "Read/Write").
pub const READ: &str = "read";
/// The key's permission to write (WooCommerce's "Write" or "Read/Write").
pub const WRITE: &str = "write";
/// The key's user may manage webhooks (an Administrator or a Shop Manager), and the key may write.
pub const WEBHOOKS: &str = "webhooks";
/// The Shipment Tracking extension is active on the site (`wc-shipment-tracking/v3`).
pub const SHIPMENT_TRACKING: &str = "shipment_tracking";

/// What storelink checks a key for, named as WooCommerce's key and user settings name it.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        scope: READ,
        admin_name: "Read (the key's Permissions, by a user who is an Administrator or a Shop Manager)",
        without_it: None,
        writes_shipments: false,
    },
    Permission {
        scope: WRITE,
        admin_name: "Write (the key's Permissions set to Read/Write)",
        without_it: Some("shipments recorded in storelink cannot be written back to WooCommerce"),
        writes_shipments: true,
    },
    Permission {
        scope: WEBHOOKS,
        admin_name: "Webhooks (a Read/Write key of an Administrator or a Shop Manager)",
        without_it: Some("changes in WooCommerce reach storelink only with each scheduled sync, not within seconds"),
        writes_shipments: false,
    },
    Permission {
        scope: SHIPMENT_TRACKING,
        admin_name: "Shipment Tracking extension (optional)",
        without_it: Some("shipments are written back as order notes rather than tracking items"),
        writes_shipments: true,
    },
];

/// True when `granted` includes `scope`.
pub fn has_scope(granted: &[String], scope: &str) -> bool {
    granted.iter().any(|g| g == scope)
}
