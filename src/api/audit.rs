//! The audit log, for administrators.

use leptos::server;
use server_fn::codec::GetUrl;

use crate::{audit::AuditEntry, error::AppError};

/// The most recent entries first.
#[server(prefix = "/api", endpoint = "audit/list", input = GetUrl)]
pub async fn list_audit() -> Result<Vec<AuditEntry>, AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        crate::audit::repo::recent(caller.pool(), 500).await
    })
    .await
}
