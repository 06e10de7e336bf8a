//! Organizations: the companies one storelink serves. Every user, store, API token and audit
//! entry belongs to one (and everything else to one of those); an installation that never made
//! a second has one, "Default", which its existing data moved into.

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::ids::OrgId;

/// An organization as the operator sees it: whether e-commerce is on, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub enabled: bool,
    pub stores: i64,
    pub users: i64,
    /// When any of its stores last finished a sync (Unix seconds).
    pub last_synced_at: Option<i64>,
}
