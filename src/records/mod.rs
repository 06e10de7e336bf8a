//! What was synced from a store: its locations, products, customers, orders and inventory
//! levels. Both sides share the resources and the rows the store page lists; on the server,
//! `fields` reads Shopify's JSON into the queried columns, `raw` keeps the JSON itself, and
//! `repo` is the only SQL on the `synced_*` tables.

#[cfg(feature = "ssr")]
mod fields;
#[cfg(feature = "ssr")]
pub mod raw;
#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use fields::Refused;
#[cfg(feature = "ssr")]
pub use raw::RawJson;

/// The resources a full sync walks, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Locations,
    Products,
    Customers,
    Orders,
    InventoryLevels,
}

impl Resource {
    pub const ALL: [Resource; 5] =
        [Resource::Locations, Resource::Products, Resource::Customers, Resource::Orders, Resource::InventoryLevels];

    /// The name Shopify's REST paths and storelink's progress use.
    pub fn key(self) -> &'static str {
        match self {
            Resource::Locations => "locations",
            Resource::Products => "products",
            Resource::Customers => "customers",
            Resource::Orders => "orders",
            Resource::InventoryLevels => "inventory_levels",
        }
    }

    /// The name the pages use.
    pub fn label(self) -> &'static str {
        match self {
            Resource::Locations => "Locations",
            Resource::Products => "Products",
            Resource::Customers => "Customers",
            Resource::Orders => "Orders",
            Resource::InventoryLevels => "Inventory levels",
        }
    }

    pub fn from_key(key: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.key() == key)
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

/// An open order that still awaits shipping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: i64,
    pub name: String,
    pub date: String,
    pub customer: Option<String>,
    pub ship_to: Option<String>,
    pub items: i64,
    pub total_weight: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ProductRow {
    pub id: i64,
    pub title: String,
    pub variants: i64,
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
        ((self.total + PER_PAGE - 1) / PER_PAGE).max(1)
    }
}
