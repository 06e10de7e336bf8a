//! The server's side of the interface: what storelink asks of a platform, and the registry that
//! hands each question to the store's platform.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::http::HeaderMap;

use super::{bigcommerce, shopify, signature, woocommerce, Platform};
use crate::{
    credentials::CredentialKind,
    db::Pool,
    error::AppError,
    ids::StoreId,
    jobs::{
        run::{Run, Stop},
        Progress,
    },
    records::{CensusRule, ShipTo},
    secrets::{Sealer, Secret},
};

/// How the platforms' clients are set up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Sends every Shopify call here instead of `https://{shop}.myshopify.com` (the emulator).
    pub shopify_base_url: Option<String>,
    /// How long a Shopify call may take before it counts as "too slow".
    pub shopify_timeout: Duration,
    /// Sends every WooCommerce call here instead of the site's own address (the emulator).
    pub woocommerce_base_url: Option<String>,
    /// How long a WooCommerce call may take: big stores answer slowly.
    pub woocommerce_timeout: Duration,
    /// How many requests each WooCommerce site is sent at once, at most.
    pub woocommerce_at_once: usize,
    /// Sends every BigCommerce call here instead of `https://api.bigcommerce.com` (the emulator).
    pub bigcommerce_base_url: Option<String>,
    /// How long a BigCommerce call may take before it counts as "too slow".
    pub bigcommerce_timeout: Duration,
    /// Stores may be on loopback or private addresses (a WooCommerce on the company's own
    /// network); off, storelink dials only public addresses.
    pub allow_private_addresses: bool,
    /// How long webhook notices are gathered before the records they name are fetched.
    pub refresh_window: Duration,
}

impl Settings {
    /// Every platform's calls sent to `base` (the emulator), or to the platforms themselves.
    pub fn new(base: Option<String>, timeout: Duration) -> Settings {
        Settings {
            shopify_base_url: base.clone(),
            shopify_timeout: timeout,
            woocommerce_base_url: base.clone(),
            woocommerce_timeout: timeout,
            woocommerce_at_once: 4,
            bigcommerce_base_url: base,
            bigcommerce_timeout: timeout,
            allow_private_addresses: false,
            refresh_window: Duration::from_millis(500),
        }
    }

    /// The longest a call to any platform may take.
    pub fn longest_timeout(&self) -> Duration {
        self.shopify_timeout.max(self.woocommerce_timeout).max(self.bigcommerce_timeout)
    }

    /// Some platform's calls go to an emulator instead of the platform.
    pub fn emulated(&self) -> bool {
        [&self.shopify_base_url, &self.woocommerce_base_url, &self.bigcommerce_base_url].iter().any(|b| b.is_some())
    }
}

/// What an administrator typed into a registration form, by field name.
pub struct Typed {
    pub fields: BTreeMap<String, String>,
    /// New credentials for a store storelink has, connected or not.
    pub reconnect: bool,
}

impl Typed {
    /// A field's value, trimmed ("" when it was left out).
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }

    /// A secret field's value, as typed.
    pub fn secret(&self, name: &str) -> Secret {
        Secret::new(self.fields.get(name).cloned().unwrap_or_default())
    }
}

/// A store the platform accepted: who it is, what it granted, and the credentials to keep.
pub struct Checked {
    /// The store's identity on its platform, as storelink keeps it (one store per identity).
    pub address: String,
    pub name: String,
    /// The platform's description of the store, as JSON.
    pub shop_json: String,
    pub granted: Vec<String>,
    /// What will not work, in words, because of something the store did not grant.
    pub warnings: Vec<String>,
    pub credentials: NewCredentials,
}

/// Credentials to seal and keep.
pub struct NewCredentials {
    pub kind: CredentialKind,
    pub api_key: String,
    pub token: Secret,
    /// What webhook deliveries are signed with.
    pub signing_secret: Secret,
    /// For a token that expires: when it does, and when to renew it.
    pub expiry: Option<(i64, i64)>,
}

/// The store's details as its platform describes them now.
pub struct Described {
    pub shop_json: String,
    pub name: Option<String>,
}

/// The store's webhook subscriptions after making sure of them.
pub struct Ensured {
    /// Each subscription's id and topic; `None` when they could not be listed (`problem` says
    /// why) and what storelink recorded stands.
    pub subscriptions: Option<Vec<(i64, String)>>,
    /// A subscription storelink had made was gone (or switched off) and was made again.
    pub repaired: bool,
    /// What could not be subscribed to, in words (the sync goes on).
    pub problem: Option<String>,
}

/// A webhook delivery, as its headers describe it.
pub struct Delivery {
    /// The store it is from, as storelink keeps its address.
    pub address: String,
    /// Unique per event: a delivery seen twice is applied once.
    pub event_id: String,
    pub topic: String,
    /// When the platform made it, when it says (Unix seconds).
    pub triggered_at: Option<i64>,
    /// The signature to verify the body with.
    pub signature: String,
    /// A test delivery (WooCommerce's unsigned ping when a webhook is made): answered, and
    /// nothing is looked up, recorded or applied.
    pub ping: bool,
}

/// The store a delivery is for.
pub struct StoreRef<'a> {
    pub id: StoreId,
    /// The organization the store belongs to.
    pub org: crate::ids::OrgId,
    pub address: &'a str,
    pub name: &'a str,
}

/// What a verified delivery comes to, beyond records stored.
pub enum Effect {
    /// Applied (or nothing to do).
    Applied,
    /// One of the store's exports finished: a sync waiting on it looks at once.
    ExportFinished,
    /// The app was removed from the store (`erase`: and its data is to go). Signed bodies can be
    /// replayed, so this is applied once the platform refuses storelink's credentials.
    Gone { erase: bool },
    /// A customer's personal data is to be erased, once the platform no longer has them.
    Redact { customer: i64, orders: Vec<i64> },
}

/// A shipment to write back to its store.
pub struct ShipmentWrite<'a> {
    pub store_id: StoreId,
    /// storelink's id for it, written beside it where the platform keeps notes.
    pub shipment_id: i64,
    pub order_id: i64,
    pub lines: &'a [WriteLine],
    pub carrier: &'a str,
    pub number: &'a str,
    pub url: Option<&'a str>,
    pub notify_customer: bool,
    /// An earlier attempt may have reached the platform: look before writing again.
    pub look_first: bool,
    /// The order has nothing left to ship once this is written.
    pub completes_order: bool,
    /// A shipment written before whose tracking changed: what the platform knows it by.
    pub changing: Option<&'a str>,
}

/// A line of a shipment: the unit it ships from, the unit's line, the order's line, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteLine {
    pub unit_id: i64,
    pub unit_line_id: i64,
    pub line_item_id: i64,
    pub quantity: i64,
}

/// What writing a shipment came to.
pub enum Written {
    /// The platform has it: what it knows it by (and Shopify's fulfillment id).
    Done { reference: String, fulfillment_id: Option<i64> },
    /// The platform refused it; nothing changed there. In words the desk can act on.
    Refused(String),
    /// Not now (the platform is busy or unreachable); try again after the delay.
    Later(String),
}

/// Part of a store's history, by when its orders were created: from `from` up to (not
/// including) `to`, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

/// An order the platform lists as awaiting shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    /// As the platform names it (`#1001`).
    pub name: String,
}

/// Every platform's client, and the one door to them.
pub struct Platforms {
    shopify: shopify::Shopify,
    woocommerce: woocommerce::WooCommerce,
    bigcommerce: bigcommerce::BigCommerce,
}

impl Platforms {
    pub fn start(settings: &Settings, pool: Pool, sealer: Sealer) -> anyhow::Result<Arc<Platforms>> {
        Ok(Arc::new(Platforms {
            shopify: shopify::Shopify::start(settings, pool.clone(), sealer.clone())?,
            woocommerce: woocommerce::WooCommerce::start(settings, pool.clone(), sealer.clone())?,
            bigcommerce: bigcommerce::BigCommerce::start(settings, pool, sealer)?,
        }))
    }

    /// Checks what was typed into the platform's form without asking the platform: the store's
    /// address as storelink keeps it, or the first field that is wrong.
    pub fn validate(platform: Platform, typed: &Typed) -> Result<String, AppError> {
        match platform {
            Platform::Shopify => shopify::register::validate(typed).map(|valid| valid.domain.as_str().to_owned()),
            Platform::WooCommerce => woocommerce::register::validate(typed).map(|valid| valid.site.home()),
            Platform::BigCommerce => bigcommerce::register::validate(typed).map(|valid| valid.hash.address()),
        }
    }

    /// Checks what was typed into the platform's form with the platform: each refusal an error
    /// beside its field, nothing saved.
    pub async fn check(&self, platform: Platform, typed: &Typed) -> Result<Checked, AppError> {
        match platform {
            Platform::Shopify => self.shopify.check(typed).await,
            Platform::WooCommerce => self.woocommerce.check(typed).await,
            Platform::BigCommerce => self.bigcommerce.check(typed).await,
        }
    }

    /// The store's details as the platform gives them now; waits and retries go into `progress`.
    pub async fn describe(
        &self,
        platform: Platform,
        store_id: StoreId,
        progress: &mut Progress,
    ) -> Result<Option<Described>, Stop> {
        match platform {
            Platform::Shopify => self.shopify.describe(store_id, progress).await,
            Platform::WooCommerce => self.woocommerce.describe(store_id, progress).await,
            Platform::BigCommerce => self.bigcommerce.describe(store_id, progress).await,
        }
    }

    /// Makes sure the store is subscribed to every topic at `address` (this platform's delivery
    /// address), `recorded` being the topics storelink subscribed it to before.
    pub async fn ensure_webhooks(
        &self,
        platform: Platform,
        store_id: StoreId,
        address: &str,
        recorded: &[String],
        progress: &mut Progress,
    ) -> Result<Ensured, Stop> {
        match platform {
            Platform::Shopify => self.shopify.ensure_webhooks(store_id, address, recorded, progress).await,
            Platform::WooCommerce => self.woocommerce.ensure_webhooks(store_id, address, recorded, progress).await,
            Platform::BigCommerce => self.bigcommerce.ensure_webhooks(store_id, address, recorded, progress).await,
        }
    }

    /// Removes the subscriptions storelink made (best effort): how many were removed.
    pub async fn remove_webhooks(&self, platform: Platform, store_id: StoreId, ids: &[i64]) -> usize {
        match platform {
            Platform::Shopify => self.shopify.remove_webhooks(store_id, ids).await,
            Platform::WooCommerce => self.woocommerce.remove_webhooks(store_id, ids).await,
            Platform::BigCommerce => self.bigcommerce.remove_webhooks(store_id, ids).await,
        }
    }

    /// Runs the platform's part of a sync job from its checkpoint to its end.
    pub async fn sync(&self, platform: Platform, run: &mut Run) -> Result<(), Stop> {
        match platform {
            Platform::Shopify => shopify::sync::run(&self.shopify, run).await,
            Platform::WooCommerce => woocommerce::sync::run(&self.woocommerce, run).await,
            Platform::BigCommerce => bigcommerce::sync::run(&self.bigcommerce, run).await,
        }
    }

    /// What a delivery's headers say, or `None` when they are not the platform's. A platform
    /// whose headers name no event may tell deliveries apart by a digest of the exact `body`
    /// (which is not read before it is verified).
    pub fn delivery(platform: Platform, headers: &HeaderMap, body: &[u8]) -> Option<Delivery> {
        match platform {
            Platform::Shopify => shopify::webhooks::delivery(headers),
            Platform::WooCommerce => woocommerce::webhooks::delivery(headers, body),
            Platform::BigCommerce => bigcommerce::webhooks::delivery(headers, body),
        }
    }

    /// Whether the body is signed with the store's secret, on its exact bytes.
    pub fn verify(platform: Platform, delivery: &Delivery, body: &[u8], secret: &Secret) -> bool {
        match platform {
            Platform::Shopify | Platform::WooCommerce => {
                signature::base64_hmac_sha256_matches(secret.expose().as_bytes(), body, &delivery.signature)
            }
            Platform::BigCommerce => bigcommerce::webhooks::verify(delivery, body, secret),
        }
    }

    /// How old a delivery may be: older ones are replays, not the platform retrying.
    pub fn replay_after_secs(platform: Platform) -> Option<i64> {
        match platform {
            Platform::Shopify => Some(shopify::webhooks::REPLAY_AFTER_SECS),
            Platform::WooCommerce => None,
            Platform::BigCommerce => Some(bigcommerce::webhooks::REPLAY_AFTER_SECS),
        }
    }

    /// Applies a verified delivery's records, or says what else it asks for.
    pub async fn apply(
        &self,
        platform: Platform,
        store: StoreRef<'_>,
        topic: &str,
        body: &[u8],
    ) -> Result<Effect, AppError> {
        match platform {
            Platform::Shopify => self.shopify.apply(store, topic, body).await,
            Platform::WooCommerce => self.woocommerce.apply(store, topic, body).await,
            Platform::BigCommerce => self.bigcommerce.apply(store, topic, body).await,
        }
    }

    /// Whether the platform still accepts storelink's credentials for the store (`None`: it
    /// could not be asked).
    pub async fn still_connected(&self, platform: Platform, store_id: StoreId) -> Option<bool> {
        match platform {
            Platform::Shopify => self.shopify.still_connected(store_id).await,
            Platform::WooCommerce => self.woocommerce.still_connected(store_id).await,
            Platform::BigCommerce => self.bigcommerce.still_connected(store_id).await,
        }
    }

    /// Whether the platform no longer has the customer (`None`: it could not be asked).
    pub async fn customer_gone(&self, platform: Platform, store_id: StoreId, customer: i64) -> Option<bool> {
        match platform {
            Platform::Shopify => self.shopify.customer_gone(store_id, customer).await,
            Platform::WooCommerce => self.woocommerce.customer_gone(store_id, customer).await,
            Platform::BigCommerce => self.bigcommerce.customer_gone(store_id, customer).await,
        }
    }

    /// Writes a shipment back to its store, exactly once: a second attempt looks first.
    pub async fn write(&self, platform: Platform, shipment: &ShipmentWrite<'_>) -> Written {
        match platform {
            Platform::Shopify => self.shopify.write(shipment).await,
            Platform::WooCommerce => self.woocommerce.write(shipment).await,
            Platform::BigCommerce => self.bigcommerce.write(shipment).await,
        }
    }

    /// Which of storelink's records of the platform's orders count as awaiting shipment, the way
    /// the platform counts them for [`Platforms::awaiting_count`].
    pub fn census_rule(platform: Platform) -> CensusRule {
        match platform {
            Platform::Shopify => CensusRule::OpenNot("fulfilled"),
            Platform::WooCommerce | Platform::BigCommerce => CensusRule::Parcels,
        }
    }

    /// The most orders one request of [`Platforms::awaiting_orders`] lists.
    pub fn census_page(platform: Platform) -> i64 {
        match platform {
            Platform::Shopify => shopify::census::PAGE,
            Platform::WooCommerce => woocommerce::census::PAGE,
            Platform::BigCommerce => bigcommerce::census::PAGE,
        }
    }

    /// How many orders created in `window` the platform says await shipment: one request.
    pub async fn awaiting_count(&self, platform: Platform, store_id: StoreId, window: Window) -> Result<i64, AppError> {
        match platform {
            Platform::Shopify => self.shopify.awaiting_count(store_id, window).await,
            Platform::WooCommerce => self.woocommerce.awaiting_count(store_id, window).await,
            Platform::BigCommerce => self.bigcommerce.awaiting_count(store_id, window).await,
        }
    }

    /// Those orders themselves.
    pub async fn awaiting_orders(
        &self,
        platform: Platform,
        store_id: StoreId,
        window: Window,
    ) -> Result<Vec<Listed>, AppError> {
        match platform {
            Platform::Shopify => self.shopify.awaiting_orders(store_id, window).await,
            Platform::WooCommerce => self.woocommerce.awaiting_orders(store_id, window).await,
            Platform::BigCommerce => self.bigcommerce.awaiting_orders(store_id, window).await,
        }
    }

    /// Fetches the orders again and stores them as the platform has them now (deleting those it
    /// no longer has): the ids it could not read.
    pub async fn fetch_orders(
        &self,
        platform: Platform,
        store: StoreRef<'_>,
        ids: &[i64],
    ) -> Result<Vec<i64>, AppError> {
        match platform {
            Platform::Shopify => self.shopify.fetch_orders(store, ids).await,
            Platform::WooCommerce => self.woocommerce.fetch_orders(store, ids).await,
            Platform::BigCommerce => self.bigcommerce.fetch_orders(store, ids).await,
        }
    }

    /// Where an order goes, read from the platform's JSON of it.
    pub fn ship_to(platform: Platform, raw: &serde_json::Value) -> Option<ShipTo> {
        match platform {
            Platform::Shopify => shopify::reader::ship_to(raw),
            Platform::WooCommerce => woocommerce::reader::ship_to(&raw.to_string()),
            Platform::BigCommerce => bigcommerce::reader::ship_to(raw),
        }
    }

    /// Shopify's tokens, for tests that call a shop as the server does.
    #[doc(hidden)]
    pub fn shopify_tokens(&self) -> Arc<shopify::Tokens> {
        self.shopify.tokens()
    }

    /// Figures for `/metrics`: each store's API budget left, where the platform has one.
    pub async fn budgets(&self) -> Vec<(String, f64)> {
        self.shopify.points_available().await
    }
}
