//! The platform-neutral records every platform's reader turns its JSON into, and the only shape
//! the `synced_*` tables take: each record's queried columns beside the platform's JSON (`raw`),
//! kept as the platform sent it. Times are Unix seconds; weights are grams.

use super::Part;

/// A record read from a platform, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Location(Location),
    Product(Product),
    Variant(Variant),
    Level(Level),
    Customer(Customer),
    Order(Order),
    Line(Line),
    Unit(Unit),
    UnitLine(UnitLine),
}

/// Where a store ships from (Shopify's locations; the store's own address elsewhere).
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: i64,
    pub name: String,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: i64,
    pub title: String,
    pub updated_at: i64,
    pub raw: String,
}

/// A product's variant (a simple product is its own single variant).
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub id: i64,
    pub product_id: i64,
    pub title: String,
    pub sku: Option<String>,
    /// What its stock is counted by, where the platform counts stock apart from the variant.
    pub inventory_item_id: Option<i64>,
    pub weight_grams: Option<i64>,
    pub updated_at: i64,
    pub raw: String,
}

/// Stock of an inventory item at a location.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub location_id: i64,
    pub inventory_item_id: i64,
    pub available: Option<i64>,
    pub updated_at: i64,
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub updated_at: i64,
    pub raw: String,
}

/// An order's state in storelink's words, whatever the platform calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Open,
    Closed,
    Cancelled,
}

impl OrderStatus {
    /// As the `status` column keeps it.
    pub fn key(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::Closed => "closed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: i64,
    /// What the store calls it: "#1001".
    pub name: String,
    /// The creation time as the platform wrote it (shown as is).
    pub created_at_text: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub status: OrderStatus,
    /// The platform's own status, in words ("unfulfilled", "on hold").
    pub platform_status: Option<String>,
    pub customer_name: Option<String>,
    pub customer_id: Option<i64>,
    /// Where it ships, on one line.
    pub ship_to: Option<String>,
    /// The country it ships to (ISO 3166-1 alpha-2, upper case), for the queue's filter.
    pub ship_to_country: Option<String>,
    pub total_weight_grams: i64,
    /// The total as the store's currency writes it: "50.00".
    pub total_price: String,
    pub shipping_method: Option<String>,
    pub raw: String,
}

/// An ISO 3166-1 alpha-2 country code as storelink keeps it (`FR`), from text a platform or a
/// person wrote (` fr`); `None` for anything else, such as a country's name.
pub fn country_code(text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic())).then(|| text.to_ascii_uppercase())
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub id: i64,
    pub order_id: i64,
    pub title: String,
    pub sku: Option<String>,
    pub quantity: i64,
    pub raw: String,
}

/// The status of a unit of shipping, as the awaiting list reads it (Shopify's fulfillment order
/// statuses, which every platform's states map onto).
pub mod unit_status {
    /// Waiting to ship: it is listed while items remain.
    pub const OPEN: &str = "OPEN";
    /// Partly shipped: listed while items remain.
    pub const IN_PROGRESS: &str = "IN_PROGRESS";
    pub const ON_HOLD: &str = "ON_HOLD";
    /// Not to ship yet (unpaid, scheduled).
    pub const SCHEDULED: &str = "SCHEDULED";
    pub const CLOSED: &str = "CLOSED";
    pub const CANCELLED: &str = "CANCELLED";
}

/// What one location ships of an order, and is shipped as one: Shopify's fulfillment orders;
/// on a platform without them, the order itself, shipped from the store's address.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: i64,
    pub order_id: i64,
    /// One of [`unit_status`].
    pub status: String,
    pub location_id: Option<i64>,
    pub location_name: Option<String>,
    pub updated_at: i64,
    pub raw: String,
}

/// A line of a unit: how many of an order line it ships, and how many are left.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitLine {
    pub id: i64,
    pub unit_id: i64,
    pub line_item_id: Option<i64>,
    pub total_quantity: i64,
    /// What remains to ship, as the platform counts it; `None` when the platform keeps no such
    /// count: storelink then counts its own shipments off the total.
    pub remaining_quantity: Option<i64>,
    pub unit_weight_grams: Option<i64>,
    pub raw: String,
}

/// A record the platform no longer has (deleted there), by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    Product(i64),
    Order(i64),
    Unit(i64),
    Customer(i64),
    /// Its stock at every location.
    InventoryItem(i64),
}

/// A record the platform sent that cannot be stored: its id when it has one, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub id: Option<i64>,
    pub why: String,
}

/// Records read from one page, file batch or delivery, with those that could not be read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Batch {
    pub records: Vec<Record>,
    pub refused: Vec<Refused>,
}

impl Record {
    /// The part of a sync whose progress counts this kind of record.
    pub fn counted_in(&self) -> Option<Part> {
        match self {
            Record::Location(_) => Some(Part::Locations),
            Record::Product(_) => Some(Part::Products),
            Record::Level(_) => Some(Part::InventoryLevels),
            Record::Customer(_) => Some(Part::Customers),
            Record::Order(_) => Some(Part::Orders),
            Record::Unit(_) => Some(Part::FulfillmentOrders),
            Record::Variant(_) | Record::Line(_) | Record::UnitLine(_) => None,
        }
    }
}
