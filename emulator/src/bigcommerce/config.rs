//! A BigCommerce store's entry in the emulator's configuration (`"bigcommerce": [ … ]`): its
//! store-level API account, the account's scopes as the control panel sets them, the plan that
//! sets the shared request quota, what data to generate, and the faults it starts with.

use serde::{Deserialize, Serialize};

/// One store, reached at `/stores/{store_hash}/v2|v3/…`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The permanent id in the API path (`abc123`).
    pub store_hash: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The storefront's host; `store-{hash}.mybigcommerce.com` when left out.
    #[serde(default)]
    pub domain: Option<String>,
    /// The store-level API account: its token is the only credential a request needs.
    pub access_token: String,
    pub client_id: String,
    /// When present, webhook deliveries carry a Standard Webhooks signature made with it.
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub scopes: Scopes,
    #[serde(default)]
    pub plan: StorePlan,
    /// The unit of weights, as the store's settings name it (`Ounces`, `Pounds`, `Grams`,
    /// `Kilograms`).
    #[serde(default = "ounces")]
    pub weight_units: String,
    #[serde(default)]
    pub orders: usize,
    #[serde(default)]
    pub products: usize,
    /// Variants of every generated product (a size option); 1 makes products without options.
    #[serde(default = "three")]
    pub variants: usize,
    #[serde(default)]
    pub customers: usize,
    /// Inventory locations, the default one first; the plan caps how many a store may have.
    #[serde(default = "one")]
    pub locations: usize,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub latency_ms: u64,
    /// The store's timezone, in minutes from UTC: `/v2/store` reports it, and dates given to the
    /// filters without an offset are read in it.
    #[serde(default = "central")]
    pub utc_offset_minutes: i32,
    /// Fraction (0..1) of generated orders with more than 50 line items.
    #[serde(default)]
    pub big_orders_share: f64,
    /// Fraction (0..1) of generated orders shipping to two addresses.
    #[serde(default)]
    pub two_address_share: f64,
    /// Accept webhook destinations BigCommerce refuses (plain http, ports other than 443), so
    /// tests can point hooks at a local receiver.
    #[serde(default)]
    pub allow_any_destination: bool,
    #[serde(default)]
    pub webhooks: HookTiming,
    #[serde(default)]
    pub faults: Faults,
}

fn ounces() -> String {
    "Ounces".into()
}

fn three() -> usize {
    3
}

fn one() -> usize {
    1
}

fn central() -> i32 {
    -360
}

/// The API account's OAuth scopes, by the control panel's resource, each None, read-only or
/// modify. Left out means None.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Scopes {
    /// Information & Settings (`store_v2_information`): `/v2/store`, `/v2/time`.
    pub store_information: ScopeLevel,
    /// Orders (`store_v2_orders`): orders, their products, addresses and shipments.
    pub orders: ScopeLevel,
    /// Products (`store_v2_products`): the v3 catalog.
    pub products: ScopeLevel,
    /// Customers (`store_v2_customers`): v3 customers.
    pub customers: ScopeLevel,
    /// Store Inventory (`store_inventory`): inventory items and their settings.
    pub inventory: ScopeLevel,
    /// Store Locations (`store_locations`): inventory locations.
    pub locations: ScopeLevel,
    /// Order Fulfillment (`store_order_fulfillment`): pickups, which the emulator does not serve.
    pub order_fulfillment: ScopeLevel,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeLevel {
    #[default]
    None,
    /// Read-only: GET and HEAD.
    #[serde(alias = "read-only", alias = "read_only")]
    Read,
    Modify,
}

/// The store's plan: it sets the quota of requests every app on the store shares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StorePlan {
    #[default]
    Standard,
    Plus,
    Pro,
    Enterprise,
}

impl StorePlan {
    /// Requests per 30-second window: 150 on Standard and Plus, 450 on Pro. Enterprise quotas are
    /// set per store ("by plan and resource"); the emulator gives it Pro's unless the `quota`
    /// fault says otherwise.
    pub fn quota(self) -> u32 {
        match self {
            StorePlan::Standard | StorePlan::Plus => 150,
            StorePlan::Pro | StorePlan::Enterprise => 450,
        }
    }

    /// `plan_name` and `plan_level` in `/v2/store`.
    pub fn name(self) -> &'static str {
        match self {
            StorePlan::Standard => "Standard",
            StorePlan::Plus => "Plus",
            StorePlan::Pro => "Pro",
            StorePlan::Enterprise => "Enterprise",
        }
    }

    /// How many inventory locations the plan allows.
    pub fn max_locations(self) -> usize {
        match self {
            StorePlan::Standard => 4,
            StorePlan::Plus => 5,
            StorePlan::Pro => 8,
            StorePlan::Enterprise => 100,
        }
    }
}

/// How webhook retries are timed. BigCommerce retries after 60 s, 180 s, … up to a day, 48 hours
/// in all; tests shrink the whole schedule in proportion.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HookTiming {
    /// How long the first retry's 60 seconds last here; every later wait scales with it.
    pub retry_delay_ms: u64,
}

impl Default for HookTiming {
    fn default() -> Self {
        HookTiming { retry_delay_ms: 60_000 }
    }
}

/// Switches that make the store (or the platform in front of it) misbehave.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// The next this many answers are server errors, alternately 500 and 503; each counts the
    /// fault down until it is off. They spend quota like any request.
    pub status_5xx: u32,
    /// Fraction (0..1) of the quota's 429s sent without `X-Retry-After`, as some are.
    pub quota_429_without_retry_after: f64,
    /// The next this many requests get the platform's 429: no quota headers at all, spending
    /// nothing, as under load on the store.
    pub platform_429: u32,
    /// Another app on the store spending the same quota at this rate.
    pub other_app_requests_per_second: f64,
    /// The requests a window allows, instead of the plan's.
    pub quota: Option<u32>,
    /// The next this many writes (POST, PUT, DELETE) are applied, then answered
    /// `slow_writes_ms` late: a client that gives up first has written anyway.
    pub slow_writes: u32,
    pub slow_writes_ms: u64,
}

impl Faults {
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.quota_429_without_retry_after) {
            return Err("quota_429_without_retry_after must be a fraction from 0 to 1".into());
        }
        if !(self.other_app_requests_per_second.is_finite() && self.other_app_requests_per_second >= 0.0) {
            return Err("other_app_requests_per_second must be 0 or more".into());
        }
        if self.quota == Some(0) {
            return Err("quota must be at least 1".into());
        }
        Ok(())
    }
}

impl StoreConfig {
    /// The storefront's host.
    pub fn domain(&self) -> String {
        self.domain.clone().unwrap_or_else(|| format!("store-{}.mybigcommerce.com", self.store_hash))
    }

    pub fn check(&self) -> Result<(), String> {
        if self.store_hash.is_empty() || !self.store_hash.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err("store_hash must be lower-case letters and digits, as in the API path".into());
        }
        if self.store_hash.starts_with("store-") {
            return Err("store_hash is the path's id without \"store-\"".into());
        }
        if self.access_token.is_empty() || self.client_id.is_empty() {
            return Err("access_token and client_id must not be empty".into());
        }
        if self.client_secret.as_deref() == Some("") {
            return Err("client_secret must not be empty when given".into());
        }
        if let Some(domain) = &self.domain {
            let host_like = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
            if domain.is_empty() || !domain.chars().all(host_like) {
                return Err("domain must be a host name such as \"shop.example.com\"".into());
            }
        }
        if !["Ounces", "Pounds", "Grams", "Kilograms"].contains(&self.weight_units.as_str()) {
            return Err(format!("weight_units {:?} must be Ounces, Pounds, Grams or Kilograms", self.weight_units));
        }
        if !(1..=600).contains(&self.variants) {
            return Err("variants must be from 1 to 600 (BigCommerce's limit per product)".into());
        }
        let max = self.plan.max_locations();
        if !(1..=max).contains(&self.locations) {
            return Err(format!("locations must be from 1 to {max} on the {} plan", self.plan.name()));
        }
        if !(-720..=840).contains(&self.utc_offset_minutes) {
            return Err(format!("utc_offset_minutes {} is not a timezone's offset", self.utc_offset_minutes));
        }
        for (name, share) in
            [("big_orders_share", self.big_orders_share), ("two_address_share", self.two_address_share)]
        {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!("{name} must be a fraction from 0 to 1"));
            }
        }
        if self.orders > 0 && self.products == 0 {
            return Err("orders need products to be made of".into());
        }
        if self.webhooks.retry_delay_ms == 0 {
            return Err("webhooks.retry_delay_ms must be at least 1".into());
        }
        self.faults.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(extra: serde_json::Value) -> Result<StoreConfig, String> {
        let mut value = serde_json::json!({"store_hash": "abc123", "access_token": "t", "client_id": "c"});
        value.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        let config: StoreConfig = serde_json::from_value(value).map_err(|err| err.to_string())?;
        config.check().map(|()| config)
    }

    #[test]
    fn defaults_are_a_standard_store_with_no_scopes() {
        let config = store(serde_json::json!({})).unwrap();
        assert_eq!(config.domain(), "store-abc123.mybigcommerce.com");
        assert_eq!((config.plan.quota(), config.variants, config.locations), (150, 3, 1));
        assert_eq!(config.scopes, Scopes::default());
        assert_eq!(config.webhooks.retry_delay_ms, 60_000);
        let levels = store(serde_json::json!({"scopes": {"orders": "modify", "products": "read-only"}})).unwrap();
        assert_eq!((levels.scopes.orders, levels.scopes.products), (ScopeLevel::Modify, ScopeLevel::Read));
        assert_eq!(store(serde_json::json!({"plan": "pro"})).unwrap().plan.quota(), 450);
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            serde_json::json!({"store_hash": "Store 1"}),
            serde_json::json!({"store_hash": "store-abc"}),
            serde_json::json!({"access_token": ""}),
            serde_json::json!({"scopes": {"orders": "write"}}),
            serde_json::json!({"scopes": {"shipping": "read"}}),
            serde_json::json!({"plan": "gold"}),
            serde_json::json!({"locations": 5}),
            serde_json::json!({"variants": 0}),
            serde_json::json!({"big_orders_share": 1.5}),
            serde_json::json!({"orders": 3}),
            serde_json::json!({"weight_units": "Stone"}),
            serde_json::json!({"faults": {"quota": 0}}),
            serde_json::json!({"faults": {"typo": 1}}),
            serde_json::json!({"client_secret": ""}),
        ] {
            assert!(store(bad.clone()).is_err(), "{bad}");
        }
        assert!(store(serde_json::json!({"plan": "enterprise", "locations": 20})).is_ok());
    }
}
