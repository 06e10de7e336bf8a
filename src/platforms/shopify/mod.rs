//! Shopify: what a Store URL may be, the registration form, which permissions storelink needs,
//! the webhook topics, and (server only) the Admin API client with the per-store pacing every
//! caller shares, and Shopify's side of registering, syncing, webhooks and shipments.

#[cfg(feature = "ssr")]
pub(super) mod census;
#[cfg(feature = "ssr")]
pub mod client;
#[cfg(feature = "ssr")]
mod fulfillment;
#[cfg(feature = "ssr")]
pub mod graphql;
#[cfg(feature = "ssr")]
pub mod nodes;
#[cfg(feature = "ssr")]
mod pacing;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod reader;
#[cfg(feature = "ssr")]
pub(super) mod register;
#[cfg(feature = "ssr")]
mod ship;
#[cfg(feature = "ssr")]
pub(super) mod sync;
#[cfg(feature = "ssr")]
pub mod tokens;
#[cfg(feature = "ssr")]
pub(super) mod webhooks;

#[cfg(feature = "ssr")]
pub use self::client::API_VERSION;
#[cfg(feature = "ssr")]
pub use self::tokens::Tokens;
#[cfg(feature = "ssr")]
pub(super) use self::{client::ShopifyClient, webhooks::refresh::Refresher};
use super::{Field, Form, Help, Permission, TrackingLimits};

/// Shopify's side of storelink: the Admin API client, each store's token, and the refresher of
/// records webhooks name.
#[cfg(feature = "ssr")]
pub(super) struct Shopify {
    pool: crate::db::Pool,
    client: ShopifyClient,
    tokens: std::sync::Arc<Tokens>,
    refresher: Refresher,
}

#[cfg(feature = "ssr")]
impl Shopify {
    pub(super) fn start(
        settings: &super::Settings,
        pool: crate::db::Pool,
        sealer: crate::secrets::Sealer,
    ) -> anyhow::Result<Shopify> {
        let client = ShopifyClient::new(settings.shopify_base_url.clone(), settings.shopify_timeout)?;
        let tokens = Tokens::new(pool.clone(), sealer, client.clone());
        let refresher = Refresher::start(pool.clone(), client.clone(), tokens.clone(), settings.refresh_window);
        Ok(Shopify { pool, client, tokens, refresher })
    }

    /// The token every call to a store is made with: for tests that call a shop as the server
    /// does.
    pub(super) fn tokens(&self) -> std::sync::Arc<Tokens> {
        self.tokens.clone()
    }

    /// Each shop's cost points available now, as far as this server knows (for `/metrics`).
    pub(super) async fn points_available(&self) -> Vec<(String, f64)> {
        self.client.points_available().await
    }
}

/// A shop's permanent `{handle}.myshopify.com` domain: the only address storelink calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopDomain(String);

impl ShopDomain {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn handle(&self) -> &str {
        self.0.strip_suffix(".myshopify.com").unwrap_or(&self.0)
    }

    /// A domain read back from storelink's own database, checked again on the way out.
    pub fn from_stored(domain: &str) -> Option<ShopDomain> {
        normalize_store_url(domain).ok().map(|url| url.domain)
    }
}

impl std::fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a pasted Store URL gave: the shop, and the key and password a private app's Example
/// URL carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUrl {
    pub domain: ShopDomain,
    pub api_key: Option<String>,
    pub api_password: Option<String>,
}

const MAX_HANDLE: usize = 60;

const USE_MYSHOPIFY: &str = "Use the store's myshopify.com address, such as mystore.myshopify.com. \
     The Shopify admin shows it under Settings → Domains; a custom domain is not its Shopify address.";

/// Normalises what people paste into the Store URL field to the shop's myshopify.com domain,
/// refusing everything else before any request is sent. Accepts `mystore`,
/// `mystore.myshopify.com`, `https://mystore.myshopify.com/admin/…`,
/// `admin.shopify.com/store/mystore`, and a private app's Example URL
/// `https://KEY:PASSWORD@mystore.myshopify.com/admin/api/…`.
pub fn normalize_store_url(input: &str) -> Result<StoreUrl, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(crate::error::text::STORE_URL.into());
    }
    if !text.is_ascii() {
        return Err(format!("That is not a Shopify store address. {USE_MYSHOPIFY}"));
    }
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, text),
    };
    if scheme.as_deref().is_some_and(|s| s != "https" && s != "http") {
        return Err(format!("That is not a Shopify store address. {USE_MYSHOPIFY}"));
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    let host = host.to_ascii_lowercase();
    let without_port = host.split(':').next().unwrap_or_default();
    if without_port == "localhost" || without_port.ends_with(".localhost") {
        return Err(format!("localhost is not a Shopify store. {USE_MYSHOPIFY}"));
    }
    if host.contains(':') || host.starts_with('[') {
        return Err(format!("Addresses with a port or an IP address are not Shopify stores. {USE_MYSHOPIFY}"));
    }
    if !host.is_empty() && host.split('.').all(|part| part.parse::<u8>().is_ok()) {
        return Err(format!("An IP address is not a Shopify store. {USE_MYSHOPIFY}"));
    }

    let handle = if host == "admin.shopify.com" {
        let mut segments = path.trim_start_matches('/').split(['/', '?', '#']);
        match (segments.next(), segments.next()) {
            (Some("store"), Some(handle)) if !handle.is_empty() => handle.to_ascii_lowercase(),
            _ => return Err(format!("That admin.shopify.com address names no store. {USE_MYSHOPIFY}")),
        }
    } else if let Some(handle) = host.strip_suffix(".myshopify.com") {
        handle.to_owned()
    } else if scheme.is_none() && path.is_empty() && userinfo.is_none() && !host.contains('.') {
        host.clone()
    } else {
        return Err(format!("{host} is not a Shopify store address. {USE_MYSHOPIFY}"));
    };
    check_handle(&handle)?;

    let (api_key, api_password) = match userinfo {
        None => (None, None),
        // Only the private app's Example URL carries credentials: a myshopify host and an
        // /admin path. Anything else with user-info is a disguise.
        Some(userinfo) if host.ends_with(".myshopify.com") && path.starts_with("/admin") => {
            let (key, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .ok()
                    .map(|s| s.into_owned())
                    .filter(|s| !s.is_empty())
            };
            (decode(key), decode(password))
        }
        Some(_) => return Err(format!("That address hides its real host. {USE_MYSHOPIFY}")),
    };
    Ok(StoreUrl { domain: ShopDomain(format!("{handle}.myshopify.com")), api_key, api_password })
}

fn check_handle(handle: &str) -> Result<(), String> {
    let valid_chars = handle.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if handle.is_empty() || !valid_chars || handle.starts_with('-') || handle.ends_with('-') {
        return Err(format!("“{handle}” is not a valid shop name. {USE_MYSHOPIFY}"));
    }
    if handle.len() > MAX_HANDLE {
        return Err(format!("That shop name is longer than Shopify allows. {USE_MYSHOPIFY}"));
    }
    Ok(())
}

/// The Shopify registration form.
pub static FORM: Form = Form {
    heading: "Connect a Shopify store",
    names: &["store_url", "api_key", "api_password", "shared_secret"],
    fields: &[
        Field {
            name: "store_url",
            label: "Store URL",
            help: "Your store's myshopify.com address, such as mystore.myshopify.com. A private app's “Example URL” works too: its key and password fill the fields below.",
            secret: false,
            required: true,
        },
        Field {
            name: "api_key",
            label: "API Key",
            help: "The “Client ID” of a Dev Dashboard app, or the “API key” of a custom or legacy private app.",
            secret: false,
            required: false,
        },
        Field {
            name: "api_password",
            label: "API Password",
            help: "The “Admin API access token” of a custom app (starts with shpat_), or the “Password” of a legacy private app. Leave it empty for a Dev Dashboard app.",
            secret: true,
            required: false,
        },
        Field {
            name: "shared_secret",
            label: "Shared Secret",
            help: "The “Client secret” of a Dev Dashboard app, the “API secret key” of a custom app, or the “Shared secret” of a legacy private app. storelink uses it to check that webhooks really come from Shopify. Shopify cannot be asked whether it is right, so it is checked on the first webhook delivery: if that does not verify, the store's page says so.",
            secret: true,
            required: true,
        },
    ],
    help: &[
        Help::Note("The app needs these permissions (the store's Permissions tab checks the same list):"),
        Help::Permissions,
        Help::Note("Copy the values of your kind of app:"),
        Help::Table {
            caption: "Values by kind of app",
            head: &[
                "Field",
                "Dev Dashboard app (stores created since 2026)",
                "Custom app made in the Shopify admin before 2026",
                "Legacy private app",
            ],
            rows: &[
                &["API Key", "Client ID", "API key", "API key"],
                &[
                    "API Password",
                    "Leave empty: storelink gets its own token, and renews it",
                    "Admin API access token",
                    "Password",
                ],
                &["Shared Secret", "Client secret", "API secret key", "Shared secret"],
            ],
        },
        Help::Note(
            "A Dev Dashboard app must be created in the store's own organization and installed on the store; its \
             values are on the app's Settings page. A custom app's values are under Settings → Apps and sales \
             channels → Develop apps → API credentials. A private app's Example URL can go in Store URL.",
        ),
    ],
};

/// `FulfillmentTrackingInput` documents no limit on the number or the URL.
pub const TRACKING_LIMITS: TrackingLimits = TrackingLimits { number_chars: None, url_chars: None };

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

/// The permission writing shipments back to Shopify (`fulfillmentCreate`) needs.
pub const WRITE_BACK_SCOPE: &str = "write_merchant_managed_fulfillment_orders";

/// The permissions storelink needs (required) and can use (optional).
pub const PERMISSIONS: &[Permission] = &[
    Permission { scope: "read_orders", admin_name: "Orders", without_it: None, writes_shipments: false },
    Permission { scope: "read_products", admin_name: "Products", without_it: None, writes_shipments: false },
    Permission { scope: "read_customers", admin_name: "Customers", without_it: None, writes_shipments: false },
    Permission { scope: "read_locations", admin_name: "Locations", without_it: None, writes_shipments: false },
    Permission { scope: "read_inventory", admin_name: "Inventory", without_it: None, writes_shipments: false },
    Permission {
        scope: "read_merchant_managed_fulfillment_orders",
        admin_name: "Merchant-managed fulfillment orders",
        without_it: None,
        writes_shipments: false,
    },
    Permission {
        scope: "read_all_orders",
        admin_name: "All orders",
        without_it: Some("only the last 60 days of orders will sync"),
        writes_shipments: false,
    },
    Permission {
        scope: "read_assigned_fulfillment_orders",
        admin_name: "Assigned fulfillment orders",
        without_it: Some("orders assigned to fulfillment services will not show"),
        writes_shipments: false,
    },
    Permission {
        scope: "read_third_party_fulfillment_orders",
        admin_name: "Third-party fulfillment orders",
        without_it: Some("orders fulfilled by third parties will not show"),
        writes_shipments: false,
    },
    Permission {
        scope: "read_shipping",
        admin_name: "Shipping",
        without_it: Some("shipping zones and carrier services will not show"),
        writes_shipments: false,
    },
    Permission {
        scope: "write_merchant_managed_fulfillment_orders",
        admin_name: "Merchant-managed fulfillment orders (write)",
        without_it: Some("shipments recorded in storelink cannot be written back to Shopify"),
        writes_shipments: true,
    },
];

/// True when `granted` includes `scope`; a write scope grants its read scope.
pub fn has_scope(granted: &[String], scope: &str) -> bool {
    let write = scope.replacen("read_", "write_", 1);
    granted.iter().any(|g| g == scope || *g == write)
}

/// The admin names of the required permissions missing from `granted`, and the warnings for
/// the missing optional ones.
pub fn check_permissions(granted: &[String]) -> (Vec<&'static str>, Vec<String>) {
    let mut missing = Vec::new();
    let mut warnings = Vec::new();
    for permission in PERMISSIONS.iter().filter(|p| !has_scope(granted, p.scope)) {
        match permission.without_it {
            None => missing.push(permission.admin_name),
            Some(effect) => warnings.push(format!("Without the “{}” permission, {effect}.", permission.admin_name)),
        }
    }
    (missing, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_people_paste_becomes_the_myshopify_domain() {
        let accepted = [
            ("acme", None, None),
            ("ACME.myshopify.com", None, None),
            ("  acme.myshopify.com/  ", None, None),
            ("https://acme.myshopify.com/admin/orders?x=1", None, None),
            ("http://acme.myshopify.com", None, None),
            ("admin.shopify.com/store/acme", None, None),
            ("https://admin.shopify.com/store/acme/orders", None, None),
            (
                "https://0123abcd:shppa_5ecret@acme.myshopify.com/admin/api/2020-04/orders.json",
                Some("0123abcd"),
                Some("shppa_5ecret"),
            ),
            ("https://key:pa%24%24@acme.myshopify.com/admin/orders.json", Some("key"), Some("pa$$")),
        ];
        for (input, key, password) in accepted {
            let url = normalize_store_url(input).unwrap_or_else(|e| panic!("{input:?} refused: {e}"));
            assert_eq!(url.domain.as_str(), "acme.myshopify.com", "{input:?}");
            assert_eq!(url.api_key.as_deref(), key, "{input:?}");
            assert_eq!(url.api_password.as_deref(), password, "{input:?}");
        }
    }

    #[test]
    fn everything_else_is_refused_with_a_message() {
        let long = format!("{}.myshopify.com", "a".repeat(61));
        let refused = [
            "",
            "   ",
            "shop.example.com",
            "https://www.acme.com/admin",
            "example.com",
            "acme.myshopify.com.evil.com",
            "https://evil.com/acme.myshopify.com",
            "127.0.0.1",
            "http://10.0.0.8/admin",
            "https://[::1]/admin",
            "acme.myshopify.com:8443",
            "localhost",
            "http://localhost:3000",
            "https://acme.myshopify.com@evil.com/admin",
            "https://user:pw@evil.com/admin",
            "https://key:pw@acme.myshopify.com/",
            "ftp://acme.myshopify.com",
            "javascript:alert(1)",
            "boutique-café",
            "ünïcode.myshopify.com",
            "-acme.myshopify.com",
            "ac_me",
            "a.b.myshopify.com",
            long.as_str(),
            "admin.shopify.com/orders",
            "myshopify.com",
        ];
        for input in refused {
            let err = normalize_store_url(input).expect_err(input);
            assert!(!err.is_empty(), "{input:?}");
        }
    }

    #[test]
    fn write_scopes_grant_read_and_missing_permissions_are_named() {
        let granted: Vec<String> = ["write_orders", "read_products", "read_customers", "read_locations"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (missing, warnings) = check_permissions(&granted);
        assert_eq!(missing, ["Inventory", "Merchant-managed fulfillment orders"]);
        assert!(warnings.iter().any(|w| w.contains("only the last 60 days of orders will sync")));
    }
}
