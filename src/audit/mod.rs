//! The audit log: who registered, disconnected or removed which store, and when.

#[cfg(feature = "ssr")]
pub mod repo;

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::GetUrl;

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: i64,
    pub user_email: String,
    pub action: String,
    pub store_name: Option<String>,
    pub detail: String,
}

/// The most recent entries first (administrators only).
#[server(prefix = "/api", endpoint = "audit/list", input = GetUrl)]
pub async fn list_audit() -> Result<Vec<AuditEntry>, AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_admin().await?;
        repo::recent(&caller.pool, 500).await
    })
    .await
}
