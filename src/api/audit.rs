//! The audit log, for administrators.

use leptos::server;
use server_fn::codec::GetUrl;

use crate::{audit::AuditPage, error::AppError, ids::StoreId};

/// A page of entries matching the filters, newest first; `before` continues after an earlier
/// page's last entry.
#[server(prefix = "/api", endpoint = "audit/list", input = GetUrl)]
pub async fn list_audit(
    who: Option<String>,
    action: Option<String>,
    store: Option<StoreId>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    super::respond(async {
        use crate::audit::{repo, AuditFilter, PAGE};
        let caller = super::require_admin().await?;
        let pool = caller.pool();
        let filter = AuditFilter { who, action, store, from, to };
        let mut entries = repo::page(pool, caller.org(), &filter, before, PAGE + 1).await?;
        let older = (entries.len() as i64 > PAGE).then(|| {
            entries.truncate(PAGE as usize);
            entries.last().map(|e| e.id)
        });
        Ok(AuditPage {
            entries,
            older: older.flatten(),
            actions: repo::actions(pool, caller.org()).await?,
            stores: repo::stores(pool, caller.org()).await?,
        })
    })
    .await
}
