//! The audit log: who registered, disconnected or removed which store, and when.

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntry {
    pub at: i64,
    pub user_email: String,
    pub action: String,
    pub store_name: Option<String>,
    pub detail: String,
}
