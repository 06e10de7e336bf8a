//! The platforms storelink connects stores on, behind one interface. Each platform is one module
//! (`shopify`, …) that knows its own API: the registration form's fields and help, what an
//! address typed into it means, checking credentials and permissions, a full and an incremental
//! sync resumable from a checkpoint, its webhooks (subscribing, verifying, applying), and writing
//! a shipment back exactly once. This module is the registry: the list of platforms and the one
//! place that calls into them. Everything else (stores, sync, webhooks, shipments, the pages and
//! the API) asks it, and reads the platform-neutral records (`records::model`) the platforms
//! write; nothing else imports a platform's module.

pub mod bigcommerce;
#[cfg(feature = "ssr")]
pub mod net;
pub mod shopify;
#[cfg(feature = "ssr")]
pub mod signature;
pub mod woocommerce;

use serde::{Deserialize, Serialize};

/// The e-commerce platforms storelink connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Shopify,
    WooCommerce,
    BigCommerce,
}

#[cfg(feature = "ssr")]
crate::db::text_column!(Platform { Shopify => "shopify", WooCommerce => "woocommerce", BigCommerce => "bigcommerce" });

impl Platform {
    /// Every platform, in the order ADD STORE lists them.
    pub const ALL: [Platform; 3] = [Platform::Shopify, Platform::WooCommerce, Platform::BigCommerce];

    pub fn label(self) -> &'static str {
        match self {
            Platform::Shopify => "Shopify",
            Platform::WooCommerce => "WooCommerce",
            Platform::BigCommerce => "BigCommerce",
        }
    }

    /// The platform's name in addresses (`/stores/new?platform=shopify`, `/webhooks/shopify`).
    pub fn slug(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
            Platform::BigCommerce => "bigcommerce",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.slug() == slug)
    }

    /// The registration form.
    pub fn form(self) -> &'static Form {
        match self {
            Platform::Shopify => &shopify::FORM,
            Platform::WooCommerce => &woocommerce::FORM,
            Platform::BigCommerce => &bigcommerce::FORM,
        }
    }

    /// The webhook topics storelink subscribes a store to, as the platform names them.
    pub fn topics(self) -> &'static [&'static str] {
        match self {
            Platform::Shopify => shopify::TOPICS,
            Platform::WooCommerce => woocommerce::TOPICS,
            Platform::BigCommerce => bigcommerce::TOPICS,
        }
    }

    /// A topic in words, for the pages: `orders/create` → "Orders created".
    pub fn topic_words(self, topic: &str) -> String {
        match self {
            Platform::Shopify => shopify::topic_words(topic),
            Platform::WooCommerce => woocommerce::topic_words(topic),
            Platform::BigCommerce => bigcommerce::topic_words(topic),
        }
    }

    /// The permissions storelink checks, as the platform's admin names them.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Platform::Shopify => shopify::PERMISSIONS,
            Platform::WooCommerce => woocommerce::PERMISSIONS,
            Platform::BigCommerce => bigcommerce::PERMISSIONS,
        }
    }

    /// The permissions table of a store's Permissions tab, against what the store granted.
    pub fn permission_rows(self, granted: &[String]) -> Vec<PermissionRow> {
        self.permissions()
            .iter()
            .map(|p| PermissionRow {
                admin_name: p.admin_name.to_owned(),
                required: p.without_it.is_none(),
                shipping: p.writes_shipments,
                granted: match self {
                    Platform::Shopify => shopify::has_scope(granted, p.scope),
                    Platform::WooCommerce => woocommerce::has_scope(granted, p.scope),
                    Platform::BigCommerce => bigcommerce::has_scope(granted, p.scope),
                },
            })
            .collect()
    }

    /// The longest tracking number and link the platform takes, where it takes fewer than
    /// storelink does: a shipment past them is refused as it is recorded (or previewed in a
    /// batch), not after it was queued to be sent.
    pub fn tracking_limits(self) -> TrackingLimits {
        match self {
            Platform::Shopify => shopify::TRACKING_LIMITS,
            Platform::WooCommerce => woocommerce::TRACKING_LIMITS,
            Platform::BigCommerce => bigcommerce::TRACKING_LIMITS,
        }
    }

    /// What an administrator typed as a store's address, as storelink keeps it (the store's
    /// identity on its platform), or why it is not one.
    #[cfg(feature = "ssr")]
    pub fn store_address(self, typed: &str) -> Result<String, String> {
        match self {
            Platform::Shopify => shopify::normalize_store_url(typed).map(|url| url.domain.as_str().to_owned()),
            Platform::WooCommerce => woocommerce::normalize_store_url(typed).map(|site| site.home()),
            Platform::BigCommerce => bigcommerce::normalize_store_address(typed),
        }
    }
}

/// See [`Platform::tracking_limits`]; `None`: no limit below storelink's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackingLimits {
    pub number_chars: Option<usize>,
    pub url_chars: Option<usize>,
}

/// A platform's registration form: the fields, each with its label and help, and what goes above
/// them.
pub struct Form {
    pub heading: &'static str,
    pub fields: &'static [Field],
    /// The fields' names, in order (what their errors are reported under).
    pub names: &'static [&'static str],
    /// Tables and notes that say where each value is found in the platform's admin.
    pub help: &'static [Help],
}

/// One field of a registration form. Its `name` is the key its errors are reported under.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// A secret: typed into a password field, never shown again.
    pub secret: bool,
    pub required: bool,
}

/// Help above a registration form.
pub enum Help {
    Note(&'static str),
    /// The permissions the platform must grant, as its admin names them.
    Permissions,
    Table {
        caption: &'static str,
        head: &'static [&'static str],
        rows: &'static [&'static [&'static str]],
    },
}

/// A permission storelink checks, by the name the platform's admin shows.
pub struct Permission {
    pub scope: &'static str,
    pub admin_name: &'static str,
    /// For optional permissions: what will not work without it.
    pub without_it: Option<&'static str>,
    /// Writing shipments back needs it.
    pub writes_shipments: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_names_its_fields_in_order() {
        for platform in Platform::ALL {
            let form = platform.form();
            let names: Vec<&str> = form.fields.iter().map(|f| f.name).collect();
            assert_eq!(names, form.names, "{}", platform.label());
            assert_eq!(form.names.first(), Some(&"store_url"), "every form starts with the store's address");
        }
    }
}

/// A permission storelink checks, and whether the store granted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRow {
    pub admin_name: String,
    pub required: bool,
    /// Writing shipments back needs it.
    pub shipping: bool,
    pub granted: bool,
}

#[cfg(feature = "ssr")]
mod seam;
#[cfg(feature = "ssr")]
pub use seam::*;
