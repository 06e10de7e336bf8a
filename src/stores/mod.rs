//! Connected stores: what the pages show of each, and (server only) the `stores` tables, the
//! registration flow, and disconnecting and removing.

#[cfg(feature = "ssr")]
pub mod disconnect;
#[cfg(feature = "ssr")]
pub mod register;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod tokens;

use serde::{Deserialize, Serialize};

use crate::ids::StoreId;

/// One store as the browser sees it: never its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDto {
    pub id: StoreId,
    pub platform: Platform,
    pub name: String,
    pub shop_domain: String,
    pub state: StoreState,
    /// Why the store is in its state, in words, when that needs saying.
    pub state_detail: Option<String>,
    /// What will not work because of permissions Shopify did not grant.
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

/// The e-commerce platforms storelink connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Shopify,
}

impl Platform {
    pub fn label(self) -> &'static str {
        match self {
            Platform::Shopify => "Shopify",
        }
    }

    /// The platform's name in addresses (`/stores/new?platform=shopify`).
    pub fn slug(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreState {
    Connected,
    /// Shopify refused the credentials (a revoked token, a rotated Client secret): nothing syncs
    /// until an administrator enters new ones.
    Refused,
    Disconnected,
}

/// How a store's credentials reach Shopify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// An Admin API access token that does not expire (custom and private apps).
    Token,
    /// A Dev Dashboard app's Client ID and secret, exchanged for tokens that expire.
    ClientCredentials,
}

#[cfg(feature = "ssr")]
crate::db::text_column!(Platform { Shopify => "shopify" });
#[cfg(feature = "ssr")]
crate::db::text_column!(StoreState { Connected => "connected", Refused => "refused", Disconnected => "disconnected" });
#[cfg(feature = "ssr")]
crate::db::text_column!(CredentialKind { Token => "token", ClientCredentials => "client_credentials" });

impl StoreState {
    pub fn label(self) -> &'static str {
        match self {
            StoreState::Connected => "Connected",
            StoreState::Refused => "Credentials refused",
            StoreState::Disconnected => "Disconnected",
        }
    }
}

/// A permission storelink checks, and whether the store granted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRow {
    pub admin_name: String,
    pub required: bool,
    /// Writing shipments back to Shopify needs it.
    pub shipping: bool,
    pub granted: bool,
}

/// The permissions table against the scopes the store granted.
#[cfg(feature = "ssr")]
pub async fn permissions(
    pool: &crate::db::Pool,
    store_id: StoreId,
) -> Result<Vec<PermissionRow>, crate::error::AppError> {
    let granted = repo::granted_scopes(pool, store_id).await?;
    Ok(crate::shopify::PERMISSIONS
        .iter()
        .map(|p| PermissionRow {
            admin_name: p.admin_name.to_owned(),
            required: p.without_it.is_none(),
            shipping: p.scope == crate::shopify::WRITE_BACK_SCOPE,
            granted: crate::shopify::has_scope(&granted, p.scope),
        })
        .collect())
}

/// Opens every stored credential with `old` and seals it again with `new`, in one transaction;
/// returns how many stores' credentials were re-sealed.
#[cfg(feature = "ssr")]
pub async fn reseal_credentials(
    pool: &crate::db::Pool,
    old: &crate::secrets::Sealer,
    new: &crate::secrets::Sealer,
) -> anyhow::Result<usize> {
    let sealed = repo::all_sealed_credentials(pool).await?;
    let mut tx = pool.begin().await?;
    for (store_id, password, secret) in &sealed {
        repo::reseal(&mut tx, *store_id, &new.seal(&old.open(password)?), &new.seal(&old.open(secret)?)).await?;
    }
    tx.commit().await?;
    Ok(sealed.len())
}
