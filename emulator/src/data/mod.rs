//! What a shop contains: its locations, products, customers and orders, kept compact in memory
//! (ids, cents, indices into the name pools). The records are generated deterministically from a
//! seed (`generate`), changed at run time by the control endpoint (`changes`), and rendered into
//! Shopify's JSON shapes on request (`render`).

mod changes;
pub mod fulfillment;
mod generate;
pub(crate) mod pools;
mod render;

use std::collections::{BTreeMap, HashMap};

use rand::rngs::StdRng;
use time::{format_description::well_known::Rfc3339, OffsetDateTime, UtcOffset};

pub use self::{changes::MAX_VARIANTS, render::money};
use self::{
    fulfillment::{Fulfillment, FulfillmentOrder},
    pools::{FIRST_NAMES, LAST_NAMES},
};

pub const DAY: i64 = 86_400;

/// A postal address, stored as indices into the name pools.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Address {
    pub first: u8,
    pub last: u8,
    pub number: u16,
    pub street: u8,
    pub city: u8,
}

impl Address {
    pub fn first_name(&self) -> &'static str {
        FIRST_NAMES[self.first as usize]
    }

    pub fn last_name(&self) -> &'static str {
        LAST_NAMES[self.last as usize]
    }
}

#[derive(Debug, Clone)]
pub struct Location {
    pub id: u64,
    pub name: String,
    pub address: Address,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub id: u64,
    pub inventory_item_id: u64,
    pub title: String,
    pub sku: String,
    pub price_cents: i64,
    pub grams: i64,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u64,
    pub title: String,
    pub handle: String,
    pub vendor: &'static str,
    pub product_type: &'static str,
    pub status: &'static str,
    pub tags: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: u64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Address,
    pub note: Option<String>,
    pub tags: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub orders_count: i64,
    pub total_spent_cents: i64,
    pub last_order: Option<(u64, u64)>,
}

/// One line of an order; the product's details are copied, as Shopify freezes them at sale.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub inventory_item_id: u64,
    pub title: String,
    pub variant_title: String,
    pub sku: String,
    pub price_cents: i64,
    pub grams: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub number: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub cancelled_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub financial_status: &'static str,
    pub fulfilled: bool,
    pub customer_id: Option<u64>,
    pub email: Option<String>,
    pub ship_to: Option<Address>,
    pub bill_to: Address,
    pub lines: Vec<Line>,
    pub tags: String,
    pub note: Option<String>,
    /// What each location must ship; see `fulfillment`.
    pub fulfillment_orders: Vec<FulfillmentOrder>,
    /// Fulfillments created through the API, oldest first. A generated order that is fulfilled
    /// has none: it shows one made up from its id instead (see `legacy_fulfillment`).
    pub fulfillments: Vec<Fulfillment>,
}

/// Shopify's `status` filter for orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrderStatus {
    Open,
    Closed,
    Cancelled,
    Any,
}

impl Order {
    pub fn matches(&self, status: OrderStatus) -> bool {
        match status {
            OrderStatus::Any => true,
            OrderStatus::Cancelled => self.cancelled_at.is_some(),
            OrderStatus::Closed => self.closed_at.is_some() && self.cancelled_at.is_none(),
            OrderStatus::Open => self.closed_at.is_none() && self.cancelled_at.is_none(),
        }
    }

    pub fn subtotal_cents(&self) -> i64 {
        self.lines.iter().map(|l| l.price_cents * l.quantity).sum()
    }

    /// Subtotal, tax, shipping and total, in cents, as every rendering shows them.
    pub fn totals(&self) -> Totals {
        let subtotal = self.subtotal_cents();
        let shipping = if self.ship_to.is_some() { 500 + (self.id % 10) as i64 * 100 } else { 0 };
        let tax = (subtotal * 6 + 50) / 100;
        Totals { subtotal, tax, shipping, total: subtotal + tax + shipping }
    }

    pub fn total_weight(&self) -> i64 {
        self.lines.iter().map(|l| l.grams * l.quantity).sum()
    }

    /// Units of one line still to ship, over all its fulfillment orders.
    pub fn unfulfilled(&self, line_item_id: u64) -> i64 {
        self.fulfillment_orders
            .iter()
            .flat_map(|fo| fo.lines.iter())
            .filter(|fl| fl.line_item_id == line_item_id)
            .map(|fl| fl.remaining)
            .sum()
    }

    /// Some of it has shipped but not all: Shopify's `partial` (PARTIALLY_FULFILLED).
    pub fn partially_fulfilled(&self) -> bool {
        let lines = || self.fulfillment_orders.iter().flat_map(|fo| fo.lines.iter());
        let (remaining, total): (i64, i64) = (lines().map(|l| l.remaining).sum(), lines().map(|l| l.total).sum());
        !self.fulfilled && self.cancelled_at.is_none() && remaining > 0 && remaining < total
    }

    /// The fulfillment a generated order that was fulfilled shows, made up from its id: its id,
    /// name and tracking number, with UPS and the first location.
    pub fn legacy_fulfillment(&self) -> Option<LegacyFulfillment> {
        (self.fulfilled && self.fulfillments.is_empty()).then(|| {
            let number = format!("1Z{:016}", self.id % 10_000_000_000_000_000);
            LegacyFulfillment {
                id: self.id + 7,
                name: format!("#{}.1", self.number),
                url: format!("https://www.ups.com/WebTracking?trackingNumber={number}"),
                number,
            }
        })
    }
}

/// The made-up fulfillment of a generated fulfilled order (`Order::legacy_fulfillment`).
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyFulfillment {
    pub id: u64,
    pub name: String,
    pub number: String,
    pub url: String,
}

/// An order's money, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: i64,
    pub tax: i64,
    pub shipping: i64,
    pub total: i64,
}

/// Everything one shop holds. Maps are keyed by id, so `since_id` walks are range scans.
pub struct ShopData {
    pub handle: String,
    pub name: String,
    pub shop_id: u64,
    pub offset: UtcOffset,
    pub created_at: i64,
    pub locations: BTreeMap<u64, Location>,
    pub products: BTreeMap<u64, Product>,
    pub customers: BTreeMap<u64, Customer>,
    pub orders: BTreeMap<u64, Order>,
    rng: StdRng,
    /// Fulfillment order id → order id.
    fulfillment_order_index: HashMap<u64, u64>,
    last_fulfillment_order_id: u64,
    last_fulfillment_order_line_id: u64,
    /// Fulfillment id → order id, for the fulfillments created through the API.
    fulfillment_index: HashMap<u64, u64>,
    last_fulfillment_id: u64,
    last_fulfillment_line_id: u64,
}

impl ShopData {
    pub fn timestamp(&self, secs: i64) -> String {
        OffsetDateTime::from_unix_timestamp(secs)
            .map(|t| t.to_offset(self.offset))
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default()
    }

    pub fn domain(&self) -> String {
        format!("{}.myshopify.com", self.handle)
    }

    pub fn first_location(&self) -> Option<&Location> {
        self.locations.values().next()
    }

    /// Units of one inventory item available at one location.
    pub fn available(&self, inventory_item_id: u64, location_id: u64) -> i64 {
        (mix(inventory_item_id ^ location_id.rotate_left(17)) % 120) as i64 - 5
    }

    pub fn total_available(&self, inventory_item_id: u64) -> i64 {
        self.locations.keys().map(|l| self.available(inventory_item_id, *l)).sum()
    }

    /// Every (location, inventory item) pair with its level, in location then item order.
    pub fn inventory_levels(&self, location_ids: &[u64]) -> Vec<(u64, u64, i64)> {
        let mut levels = Vec::new();
        for location in location_ids.iter().filter(|id| self.locations.contains_key(id)) {
            let mut items: Vec<(u64, i64)> = self
                .products
                .values()
                .flat_map(|p| p.variants.iter().map(|v| (v.inventory_item_id, p.updated_at)))
                .collect();
            items.sort_unstable();
            levels.extend(items.into_iter().map(|(item, _)| (*location, item, self.available(item, *location))));
        }
        levels
    }
}

/// splitmix64: a stable hash for values derived from ids (inventory counts).
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}
