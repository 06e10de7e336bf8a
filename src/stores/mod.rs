//! Connected stores: what the pages show of each, and (server only) the `stores` tables, the
//! registration flow, and disconnecting and removing.

#[cfg(feature = "ssr")]
pub mod disconnect;
#[cfg(feature = "ssr")]
pub mod register;
#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::{
    ids::{OrgId, StoreId},
    platforms::Platform,
};

/// One store as the browser sees it: never its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDto {
    pub id: StoreId,
    /// The organization the store belongs to.
    pub org: OrgId,
    pub platform: Platform,
    pub name: String,
    pub shop_domain: String,
    pub state: StoreState,
    /// Why the store is in its state, in words, when that needs saying.
    pub state_detail: Option<String>,
    /// What will not work because of permissions the store did not grant.
    pub warnings: Vec<String>,
    /// Unix seconds of the last completed synchronization.
    pub last_synced_at: Option<i64>,
    pub orders: i64,
    pub products: i64,
    pub customers: i64,
    pub locations: i64,
}

impl StoreDto {
    /// Why the store takes no shipments now, in words; `None` when it is connected.
    pub fn refuses_shipments(&self) -> Option<String> {
        match self.state {
            StoreState::Connected => None,
            StoreState::Refused => Some(format!(
                "{} refused storelink's credentials, so no shipment can be sent to it. An administrator can reconnect it.",
                self.name
            )),
            StoreState::Disconnected => Some(format!(
                "{} is disconnected, so no shipment can be sent to it. An administrator can reconnect it.",
                self.name
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreState {
    Connected,
    /// The platform refused the credentials (a revoked token, a rotated secret, a deleted key):
    /// nothing syncs until an administrator enters new ones.
    Refused,
    Disconnected,
}

/// The organization's stores that `access` sees: every list of stores a request shows.
#[cfg(feature = "ssr")]
pub async fn seen(
    pool: &crate::db::Pool,
    org: OrgId,
    access: &crate::users::StoreAccess,
) -> Result<Vec<StoreDto>, crate::error::AppError> {
    let mut stores = repo::list(pool, org).await?;
    stores.retain(|store| access.sees(store.id));
    Ok(stores)
}

#[cfg(feature = "ssr")]
crate::db::text_column!(StoreState { Connected => "connected", Refused => "refused", Disconnected => "disconnected" });

impl StoreState {
    pub fn label(self) -> &'static str {
        match self {
            StoreState::Connected => "Connected",
            StoreState::Refused => "Credentials refused",
            StoreState::Disconnected => "Disconnected",
        }
    }
}
