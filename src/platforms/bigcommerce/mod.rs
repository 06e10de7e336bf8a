//! BigCommerce: the registration form (the four values desks already know, plus the optional
//! Client secret), the API account scopes storelink checks, the webhook scopes, and (server only)
//! the REST client for a store's v2 and v3 APIs, the reader that turns their JSON into storelink's
//! records, and BigCommerce's side of registering, syncing, webhooks and shipments.
//!
//! - `address`: the store hash in an API Context, an API path or a `store-{hash}` host.
//! - `client`: `X-Auth-Token` calls, paced per store by the shared quota, the typed errors.
//! - `reader`: orders (a unit per shipping address), products, variants, stock, customers.
//! - `register`, `sync`, `webhooks`, `ship`: the seam's questions, answered for BigCommerce.

#[cfg(feature = "ssr")]
pub mod address;
#[cfg(feature = "ssr")]
pub(super) mod census;
#[cfg(feature = "ssr")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod reader;
#[cfg(feature = "ssr")]
pub(super) mod register;
#[cfg(feature = "ssr")]
mod ship;
#[cfg(feature = "ssr")]
pub(super) mod sync;
#[cfg(feature = "ssr")]
pub(super) mod webhooks;

#[cfg(feature = "ssr")]
pub use address::{normalize_store_address, StoreHash};
#[cfg(feature = "ssr")]
pub use client::{Answer, BcClient, BcError};

use super::{Field, Form, Help, Permission, TrackingLimits};

/// BigCommerce's side of storelink: one client (pacing each store by its quota) and each store's
/// token.
#[cfg(feature = "ssr")]
pub(super) struct BigCommerce {
    pool: crate::db::Pool,
    sealer: crate::secrets::Sealer,
    client: BcClient,
    /// Each store's weight unit and default location, by hash, as last read.
    sites: std::sync::Mutex<std::collections::HashMap<String, reader::Site>>,
    /// Order notices gathered per store for `window`, then read together (`webhooks.rs`).
    gathering: std::sync::Mutex<std::collections::HashMap<crate::ids::StoreId, webhooks::Gathering>>,
    window: std::time::Duration,
}

#[cfg(feature = "ssr")]
impl BigCommerce {
    pub(super) fn start(
        settings: &super::Settings,
        pool: crate::db::Pool,
        sealer: crate::secrets::Sealer,
    ) -> anyhow::Result<BigCommerce> {
        // BigCommerce's API is one public host; only the emulator lives elsewhere.
        let public_only = settings.bigcommerce_base_url.is_none();
        let http = super::net::builder(settings.bigcommerce_timeout, public_only)
            .timeout(settings.bigcommerce_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let client = BcClient::new(http, settings.bigcommerce_base_url.clone());
        Ok(BigCommerce {
            pool,
            sealer,
            client,
            sites: Default::default(),
            gathering: Default::default(),
            window: settings.refresh_window,
        })
    }

    /// The client, keeping what it hears (waits, retries) for a job's progress: see [`told`].
    fn telling(&self) -> (BcClient, Heard) {
        let heard = Heard::default();
        let sink = heard.clone();
        (self.client.with_events(move |event| sink.lock().unwrap_or_else(|p| p.into_inner()).push(event)), heard)
    }

    /// The store's hash and token, from what storelink keeps; `None` once it has none.
    async fn connection(
        &self,
        store_id: crate::ids::StoreId,
    ) -> Result<Option<(StoreHash, crate::secrets::Secret)>, crate::error::AppError> {
        let Some((address, credentials)) = crate::credentials::repo::connection(&self.pool, store_id).await? else {
            return Ok(None);
        };
        let hash = StoreHash::from_address(&address).ok_or(crate::error::AppError::Internal)?;
        let token = self.sealer.open(&credentials.sealed_token).map_err(|_| crate::error::AppError::Internal)?;
        Ok(Some((hash, token)))
    }
}

/// What a client heard, for a job's progress.
#[cfg(feature = "ssr")]
type Heard = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Tells `progress` what the client heard since the last time.
#[cfg(feature = "ssr")]
fn told(heard: &Heard, progress: &mut crate::jobs::Progress) {
    for event in std::mem::take(&mut *heard.lock().unwrap_or_else(|p| p.into_inner())) {
        progress.event(event);
    }
}

/// The BigCommerce registration form.
pub static FORM: Form = Form {
    heading: "Connect a BigCommerce store",
    names: &["store_url", "access_token", "client_id", "api_context", "client_secret"],
    fields: &[
        Field {
            name: "store_url",
            label: "Store URL",
            help: "The store's address, such as https://store-abc123.mybigcommerce.com or its own domain.",
            secret: false,
            required: true,
        },
        Field {
            name: "access_token",
            label: "Access Token",
            help: "Shown once when the API account was saved (and in the .txt file BigCommerce downloaded).",
            secret: true,
            required: true,
        },
        Field {
            name: "client_id",
            label: "Client ID",
            help: "Shown beside the Access Token. Kept with the store; BigCommerce does not check it.",
            secret: false,
            required: true,
        },
        Field {
            name: "api_context",
            label: "API Context",
            help: "Reads stores/ and the store hash, such as stores/abc123 (the API path works too).",
            secret: false,
            required: true,
        },
        Field {
            name: "client_secret",
            label: "Client secret",
            help: "Optional. With it storelink also checks BigCommerce's signature on every webhook.",
            secret: true,
            required: false,
        },
    ],
    help: &[
        Help::Note(
            "In the BigCommerce control panel, open Settings › Store-level API accounts and choose Create API \
             account. Set Token type to V2/V3 API token, name it storelink, and set the scopes below. BigCommerce \
             shows the Client ID, Client secret and Access Token once when you save: copy them here.",
        ),
        Help::Table {
            caption: "Where each value is",
            head: &["Field", "In Settings › Store-level API accounts"],
            rows: &[
                &["Store URL", "Your store's address (store-{hash}.mybigcommerce.com or your own domain)"],
                &["Access Token", "Access token, shown once after saving the account"],
                &["Client ID", "Client ID, shown with the token"],
                &["API Context", "API path: stores/{hash}, the part after api.bigcommerce.com/"],
                &["Client secret", "Client secret, shown with the token (optional)"],
            ],
        },
        Help::Note("storelink checks each scope the account has:"),
        Help::Permissions,
        Help::Note(
            "Scopes of an API account cannot be changed: to add one, create a new account and register the store \
             again with its values.",
        ),
    ],
};

/// A shipment's `tracking_number` (50) and `tracking_link` (500), as `orderShipment_Post` limits them.
pub const TRACKING_LIMITS: TrackingLimits = TrackingLimits { number_chars: Some(50), url_chars: Some(500) };

/// The webhook scopes storelink subscribes each store to (one hook per family).
pub const TOPICS: &[&str] =
    &["store/order/*", "store/shipment/*", "store/product/*", "store/sku/inventory/*", "store/customer/*"];

/// A scope in words, for the pages: `store/order/*` → "Orders (every change)".
pub fn topic_words(topic: &str) -> String {
    let Some(rest) = topic.strip_prefix("store/") else { return topic.to_owned() };
    let (resource, event) = rest.rsplit_once('/').unwrap_or((rest, ""));
    let resource = match resource {
        "order" => "Orders",
        "shipment" => "Shipments",
        "product" => "Products",
        "sku/inventory" | "product/inventory" => "Stock",
        "sku" => "Variants",
        "customer" => "Customers",
        _ => return topic.to_owned(),
    };
    let event = match event {
        "*" => "every change",
        "created" => "created",
        "updated" | "statusUpdated" => "changed",
        "deleted" => "deleted",
        "archived" => "archived",
        _ => return topic.to_owned(),
    };
    format!("{resource} ({event})")
}

/// Scopes as storelink records them: the control panel's resource, then `:read` or `:modify`.
pub const INFORMATION: &str = "information:read";
pub const ORDERS: &str = "orders:read";
pub const ORDERS_MODIFY: &str = "orders:modify";
pub const PRODUCTS: &str = "products:read";
pub const CUSTOMERS: &str = "customers:read";
pub const INVENTORY: &str = "inventory:read";
pub const LOCATIONS: &str = "locations:read";

/// What storelink checks an API account for, named as the control panel names its scopes.
pub const PERMISSIONS: &[Permission] = &[
    Permission {
        scope: INFORMATION,
        admin_name: "Information & Settings: read-only",
        without_it: None,
        writes_shipments: false,
    },
    Permission { scope: ORDERS, admin_name: "Orders: read-only", without_it: None, writes_shipments: false },
    Permission {
        scope: ORDERS_MODIFY,
        admin_name: "Orders: modify",
        without_it: Some("shipments recorded in storelink cannot be written back to BigCommerce"),
        writes_shipments: true,
    },
    Permission { scope: PRODUCTS, admin_name: "Products: read-only", without_it: None, writes_shipments: false },
    Permission { scope: CUSTOMERS, admin_name: "Customers: read-only", without_it: None, writes_shipments: false },
    Permission {
        scope: INVENTORY,
        admin_name: "Store Inventory: read-only",
        without_it: None,
        writes_shipments: false,
    },
    Permission {
        scope: LOCATIONS,
        admin_name: "Store Locations: read-only",
        without_it: None,
        writes_shipments: false,
    },
];

/// True when `granted` includes `scope` (modify includes read).
pub fn has_scope(granted: &[String], scope: &str) -> bool {
    let modify = scope.replace(":read", ":modify");
    granted.iter().any(|g| g == scope || *g == modify)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modify_includes_read_and_topics_read_as_words() {
        let granted = vec![ORDERS_MODIFY.to_owned()];
        assert!(has_scope(&granted, ORDERS) && has_scope(&granted, ORDERS_MODIFY));
        assert!(!has_scope(&granted, PRODUCTS));
        assert_eq!(topic_words("store/order/*"), "Orders (every change)");
        assert_eq!(topic_words("store/sku/inventory/*"), "Stock (every change)");
        assert_eq!(topic_words("store/customer/updated"), "Customers (changed)");
        assert_eq!(topic_words("other"), "other");
    }
}
