//! Connected stores: the Stores page, registering, disconnecting and removing, and (server
//! only) the `stores` table and the registration flow.

pub mod detail;
#[cfg(feature = "ssr")]
pub mod register;
#[cfg(feature = "ssr")]
pub mod repo;

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl};

use self::detail::{CustomerRow, OrderRow, Page, PermissionRow, ProductRow};
use crate::{error::AppError, sync::StoreProgress, users::UserDto};

/// One store as the browser sees it: never its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDto {
    pub id: i64,
    pub platform: String,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreState {
    Connected,
    Disconnected,
}

impl StoreState {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreState::Connected => "connected",
            StoreState::Disconnected => "disconnected",
        }
    }

    pub fn parse(text: &str) -> StoreState {
        if text == "disconnected" {
            StoreState::Disconnected
        } else {
            StoreState::Connected
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StoreState::Connected => "Connected",
            StoreState::Disconnected => "Disconnected",
        }
    }
}

/// The Stores page: who is looking (it decides which controls show) and the stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoresPage {
    pub viewer: UserDto,
    pub stores: Vec<StoreDto>,
    /// Each store's latest sync job, for the live progress bars.
    pub progress: Vec<StoreProgress>,
    /// Server time when the page was read, so "5 minutes ago" renders the same on both sides.
    pub now: i64,
}

#[server(prefix = "/api", endpoint = "stores/list", input = GetUrl)]
pub async fn list_stores() -> Result<StoresPage, AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_user().await?;
        let stores = repo::list(&caller.pool).await?;
        let progress = crate::sync::progress::latest(&caller.pool, None).await?;
        Ok(StoresPage { viewer: caller.user, stores, progress, now: crate::server::db::now() })
    })
    .await
}

#[server(prefix = "/api", endpoint = "stores/get", input = GetUrl)]
pub async fn get_store(store_id: i64) -> Result<StoreDto, AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_user().await?;
        repo::get(&caller.pool, store_id).await?.ok_or_else(|| AppError::NotFound("That store does not exist.".into()))
    })
    .await
}

/// Everything the store detail page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOverview {
    pub store: StoreDto,
    pub viewer_is_admin: bool,
    pub progress: Option<StoreProgress>,
    pub permissions: Vec<PermissionRow>,
    pub orders: Page<OrderRow>,
    pub products: Page<ProductRow>,
    pub customers: Page<CustomerRow>,
    pub locations: Vec<String>,
    pub webhooks: crate::webhooks::WebhookHealth,
}

#[server(prefix = "/api", endpoint = "stores/detail", input = GetUrl)]
pub async fn store_detail(
    store_id: i64,
    orders_page: i64,
    products_page: i64,
    customers_page: i64,
) -> Result<StoreOverview, AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_user().await?;
        let state = crate::server::AppState::current()?;
        let pool = &caller.pool;
        let store =
            repo::get(pool, store_id).await?.ok_or_else(|| AppError::NotFound("That store does not exist.".into()))?;
        Ok(StoreOverview {
            store,
            viewer_is_admin: caller.user.is_admin(),
            progress: crate::sync::progress::latest(pool, Some(store_id)).await?.pop(),
            permissions: detail::permissions(pool, store_id).await?,
            orders: detail::awaiting_orders(pool, store_id, orders_page).await?,
            products: detail::products(pool, store_id, products_page).await?,
            customers: detail::customers(pool, store_id, customers_page).await?,
            locations: detail::locations(pool, store_id).await?,
            webhooks: crate::webhooks::health(pool, store_id, &state).await?,
        })
    })
    .await
}

/// Checks the credentials and permissions with Shopify, then saves the store, its sealed
/// credentials and the first sync job, and returns to the Stores page.
#[server(prefix = "/api", endpoint = "stores/register", input = PostUrl)]
pub async fn register_store(
    store_url: String,
    api_key: String,
    api_password: String,
    shared_secret: String,
) -> Result<(), AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_admin().await?;
        let state = crate::server::AppState::current()?;
        let form = register::Form {
            store_url,
            api_key,
            api_password: crate::secrets::Secret::new(api_password),
            shared_secret: crate::secrets::Secret::new(shared_secret),
        };
        register::register(&state, &caller.user, form).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Stops synchronization, removes storelink's webhooks from Shopify (best effort), deletes
/// the credentials and keeps the synced data. Returns what happened, in words.
#[server(prefix = "/api", endpoint = "stores/disconnect", input = PostUrl)]
pub async fn disconnect_store(store_id: i64) -> Result<String, AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_admin().await?;
        let state = crate::server::AppState::current()?;
        let report = register::disconnect(&state, &caller.user, store_id).await?;
        leptos_axum::redirect("/");
        Ok(report)
    })
    .await
}

/// Deletes a disconnected store and everything synced from it.
#[server(prefix = "/api", endpoint = "stores/remove", input = PostUrl)]
pub async fn remove_store(store_id: i64) -> Result<(), AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_admin().await?;
        repo::remove(&caller.pool, &caller.user, store_id).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// "3 minutes ago", for a time `then` seen at `now` (both Unix seconds).
pub fn relative_time(then: i64, now: i64) -> String {
    let secs = (now - then).max(0);
    let (n, unit) = match secs {
        0..=59 => return "just now".to_owned(),
        60..=3599 => (secs / 60, "minute"),
        3600..=86_399 => (secs / 3600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::relative_time;

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative_time(100, 130), "just now");
        assert_eq!(relative_time(0, 60), "1 minute ago");
        assert_eq!(relative_time(0, 7200), "2 hours ago");
        assert_eq!(relative_time(0, 3 * 86_400), "3 days ago");
        assert_eq!(relative_time(500, 100), "just now");
    }
}
