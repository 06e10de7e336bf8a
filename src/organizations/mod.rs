//! Organizations: the companies one storelink serves. Every user, store, API token and audit
//! entry belongs to one (and everything else to one of those); an installation that never made
//! a second has one, "Default", which its existing data moved into.

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::ids::OrgId;

/// The longest name an organization may have.
pub const MAX_NAME: usize = 100;

/// Renames the organization named `from` to `to`, with an audit entry in it by `by` (the
/// operator's command line).
#[cfg(feature = "ssr")]
pub async fn rename(pool: &crate::db::Pool, from: &str, to: &str, by: &str) -> Result<(), crate::error::AppError> {
    use crate::error::AppError;
    let to = to.trim();
    if to.is_empty() || to.chars().count() > MAX_NAME {
        return Err(AppError::invalid("name", format!("Name the organization in 1 to {MAX_NAME} characters.")));
    }
    let mut tx = pool.begin().await?;
    let Some(org) = repo::rename(&mut tx, from.trim(), to).await? else {
        return Err(AppError::NotFound(format!("There is no organization named {}.", from.trim())));
    };
    let actor = crate::audit::Actor { org, user: None, name: by };
    crate::audit::repo::record_by(&mut tx, actor, "rename organization", None, &format!("{} → {to}", from.trim()))
        .await?;
    tx.commit().await?;
    Ok(())
}

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
