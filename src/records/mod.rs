//! What was synced from a store: its locations, products, customers, orders and inventory
//! levels. Both sides share the resources and the rows the store page lists; on the server,
//! `model` is the platform-neutral record every platform's reader produces, `rows` turns records
//! into columns, `raw` keeps the platform's JSON itself, and `repo` is the only SQL on the
//! `synced_*` tables.

#[cfg(feature = "ssr")]
pub mod model;
#[cfg(feature = "ssr")]
pub mod raw;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
mod rows;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use model::Refused;
#[cfg(feature = "ssr")]
pub use raw::RawJson;

/// Stores what a delivery told of, as the platform has it now, in one transaction: the records
/// read (a record storelink cannot take is logged and skipped, never the rest), those `gone`
/// deleted with what hangs from them, and the store's counts made right.
#[cfg(feature = "ssr")]
pub async fn apply(
    pool: &crate::db::Pool,
    store_id: crate::ids::StoreId,
    batch: model::Batch,
    gone: impl IntoIterator<Item = model::Gone>,
) -> Result<(), crate::error::AppError> {
    let prepared = repo::prepare(store_id, batch, crate::db::now(), pool.is_postgres())?;
    let mut tx = pool.begin().await?;
    let stored = repo::store(&mut tx, prepared).await?;
    for refused in &stored.refused {
        tracing::warn!(%store_id, why = refused.why, "skipped a record a webhook named");
    }
    for gone in gone {
        repo::delete(&mut tx, store_id, gone).await?;
    }
    repo::recount(&mut tx, store_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The parts a sync takes a store in: each family's records, and, since a bulk export nests at
/// most two connections, the inventory levels and the fulfillment orders by themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Locations,
    Products,
    InventoryLevels,
    Customers,
    Orders,
    FulfillmentOrders,
}

impl Part {
    pub const ALL: [Part; 6] = [
        Part::Locations,
        Part::Products,
        Part::InventoryLevels,
        Part::Customers,
        Part::Orders,
        Part::FulfillmentOrders,
    ];

    /// The name storelink's progress uses.
    pub fn key(self) -> &'static str {
        match self {
            Part::Locations => "locations",
            Part::Products => "products",
            Part::InventoryLevels => "inventory_levels",
            Part::Customers => "customers",
            Part::Orders => "orders",
            Part::FulfillmentOrders => "fulfillment_orders",
        }
    }

    /// The name the pages use.
    pub fn label(self) -> &'static str {
        match self {
            Part::Locations => "Locations",
            Part::Products => "Products",
            Part::InventoryLevels => "Inventory levels",
            Part::Customers => "Customers",
            Part::Orders => "Orders",
            Part::FulfillmentOrders => "Fulfillment orders",
        }
    }

    /// The name in a sentence: "the fulfillment orders".
    pub fn words(self) -> String {
        self.label().to_lowercase()
    }

    pub fn from_key(key: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// How many records of each kind a store has, for the Stores page.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub orders: i64,
    pub products: i64,
    pub customers: i64,
    pub locations: i64,
}

/// Rows per page of the store page's lists.
pub const PER_PAGE: i64 = 50;
/// The highest page number asked for that is answered: beyond any store's size, and small
/// enough that its offset is a number every database takes.
pub const MAX_PAGE: i64 = 1_000_000;

/// A page number from an address line, checked: pages are numbered from 1 to [`MAX_PAGE`].
pub fn check_page(page: i64) -> Result<i64, crate::error::AppError> {
    if (1..=MAX_PAGE).contains(&page) {
        Ok(page)
    } else {
        Err(crate::error::AppError::invalid("page", format!("Pages are numbered from 1 to {MAX_PAGE}.")))
    }
}

/// Which of a store's order records count as awaiting shipment when they are checked against
/// the platform's own count (each platform counts its own way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CensusRule {
    /// Orders with a parcel still to ship: what the queue lists.
    Parcels,
    /// Open orders whose own status, in the platform's words, is not this one.
    OpenNot(&'static str),
}

/// What the desk looks for among the orders awaiting shipping; every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingQuery {
    /// Part of an order's name, or of its customer's name or email.
    pub q: Option<String>,
    /// The location that ships it.
    pub location: Option<String>,
    /// The country it ships to (ISO 3166-1 alpha-2, whatever the case).
    #[serde(default)]
    pub country: Option<String>,
    /// The first and the last day of the orders' dates, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Where the page starts: the cursor the page before ended with.
    pub after: Option<String>,
    /// Where the page ends, going back: the cursor the page after began with.
    #[serde(default)]
    pub before: Option<String>,
    /// Only this fulfillment order (the Mark shipped form's).
    #[serde(default)]
    pub fulfillment_order: Option<i64>,
    /// Only orders at least this many days old.
    #[serde(default)]
    pub older_than_days: Option<i64>,
    /// Only those not yet begun, or only those partly shipped.
    #[serde(default)]
    pub state: Option<QueueState>,
    /// Only these locations of these stores: what the caller sees (set by the server, never
    /// read from a request).
    #[serde(skip)]
    pub sight: Sight,
}

/// Stores whose parcels are seen at some locations only, with those locations (the platform's
/// ids); a store not named here is seen at all of them.
pub type Sight = Vec<(crate::ids::StoreId, Vec<i64>)>;

/// Where an order awaiting shipping stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueState {
    /// Nothing of it shipped yet.
    Awaiting,
    /// Some of it shipped, the rest waits.
    PartlyShipped,
    /// Held back by the desk, with a reason.
    OnHold,
}

impl QueueState {
    pub const ALL: [QueueState; 3] = [QueueState::Awaiting, QueueState::PartlyShipped, QueueState::OnHold];

    pub fn key(self) -> &'static str {
        match self {
            QueueState::Awaiting => "awaiting",
            QueueState::PartlyShipped => "partly_shipped",
            QueueState::OnHold => "on_hold",
        }
    }

    pub fn from_key(key: &str) -> Option<QueueState> {
        QueueState::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            QueueState::Awaiting => "Awaiting",
            QueueState::PartlyShipped => "Partly shipped",
            QueueState::OnHold => "On hold",
        }
    }
}

/// How long what awaits shipping has waited: what a desk manager watches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ages {
    /// When the oldest order awaiting shipping was created (Unix seconds).
    pub oldest: Option<i64>,
    pub older_than_1_day: i64,
    pub older_than_2_days: i64,
    pub older_than_5_days: i64,
}

/// One page of what awaits shipping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Awaiting {
    pub rows: Vec<AwaitingRow>,
    /// Fulfillment orders matching, on every page.
    pub total: i64,
    /// The orders they belong to.
    pub orders: i64,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
    /// The cursor of the page before, when there is one.
    pub previous: Option<String>,
    /// The stores' locations, to filter by.
    pub locations: Vec<String>,
}

/// Where an order goes, in storelink's own words whatever the platform (every field optional,
/// as stores leave any of them out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipTo {
    pub name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub province_code: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

/// How many of something there were on each of a run of days, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Daily {
    /// The first day (Unix days: seconds / 86,400).
    pub first_day: i64,
    pub counts: Vec<i64>,
}

/// A fulfillment order that still has items to ship: what a location must send for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingRow {
    pub store_id: crate::ids::StoreId,
    pub fulfillment_order_id: i64,
    pub order_id: i64,
    /// The order's name, "#1001".
    pub name: String,
    pub date: String,
    /// When the order was created (Unix seconds), for its age.
    pub created_at: Option<i64>,
    /// Whether any of it has shipped yet.
    pub state: QueueState,
    pub customer: Option<String>,
    pub ship_to: Option<String>,
    /// The country it ships to (ISO 3166-1 alpha-2), when the platform said.
    pub ship_to_country: Option<String>,
    /// The location that ships it.
    pub location: String,
    /// How the customer chose to have it shipped.
    pub shipping_method: Option<String>,
    /// Each item still to ship, and how many.
    pub items: Vec<AwaitingItem>,
    /// Of what is still to ship, in grams.
    pub total_weight: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingItem {
    /// The order's line item this is (what a shipment names).
    pub line_item_id: Option<i64>,
    pub title: String,
    pub sku: Option<String>,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ProductRow {
    pub id: i64,
    pub title: String,
    pub variants: i64,
    /// Its variants' SKUs.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub skus: Vec<String>,
    /// Its variants' stock at every location, when the store tracks any.
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub stock: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
}

/// One page of a list, with how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub page: i64,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        Self::pages_of(self.total)
    }

    /// The pages `total` rows fill (at least one, empty).
    pub fn pages_of(total: i64) -> i64 {
        ((total + PER_PAGE - 1) / PER_PAGE).max(1)
    }
}
