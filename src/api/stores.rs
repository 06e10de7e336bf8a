//! The Stores page, a store's page, and registering, disconnecting and removing stores.

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl};

use crate::{
    error::AppError,
    ids::StoreId,
    jobs::StoreProgress,
    records::{AwaitingRow, CustomerRow, Page, ProductRow},
    stores::{PermissionRow, StoreDto},
    users::UserDto,
    webhooks::WebhookHealth,
};

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
    super::respond(async {
        let caller = super::require_user().await?;
        let stores = crate::stores::repo::list(caller.pool()).await?;
        let progress = crate::jobs::repo::latest(caller.pool(), None).await?;
        Ok(StoresPage { viewer: caller.user, stores, progress, now: crate::db::now() })
    })
    .await
}

#[cfg(feature = "ssr")]
fn no_such_store() -> AppError {
    AppError::NotFound(crate::error::text::NO_SUCH_STORE.into())
}

#[server(prefix = "/api", endpoint = "stores/get", input = GetUrl)]
pub async fn get_store(store_id: StoreId) -> Result<StoreDto, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        crate::stores::repo::get(caller.pool(), store_id).await?.ok_or_else(no_such_store)
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
    /// What awaits shipping, by the location that ships it.
    pub orders: Page<AwaitingRow>,
    pub products: Page<ProductRow>,
    pub customers: Page<CustomerRow>,
    pub locations: Vec<String>,
    pub webhooks: WebhookHealth,
}

#[server(prefix = "/api", endpoint = "stores/detail", input = GetUrl)]
pub async fn store_detail(
    store_id: StoreId,
    orders_page: i64,
    products_page: i64,
    customers_page: i64,
) -> Result<StoreOverview, AppError> {
    super::respond(async {
        use crate::records::repo as records;
        let caller = super::require_user().await?;
        let pool = caller.pool();
        let store = crate::stores::repo::get(pool, store_id).await?.ok_or_else(no_such_store)?;
        let interval = caller.state.settings.sync_interval.as_secs();
        Ok(StoreOverview {
            store,
            viewer_is_admin: caller.user.is_admin(),
            progress: crate::jobs::repo::latest(pool, Some(store_id)).await?.pop(),
            permissions: crate::stores::permissions(pool, store_id).await?,
            orders: records::awaiting(pool, store_id, orders_page).await?,
            products: records::products(pool, store_id, products_page).await?,
            customers: records::customers(pool, store_id, customers_page).await?,
            locations: records::locations(pool, store_id).await?,
            webhooks: crate::webhooks::health(pool, store_id, caller.state.webhooks_enabled, interval).await?,
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
    super::respond(async {
        use crate::{secrets::Secret, stores::register};
        let caller = super::require_admin().await?;
        let state = &caller.state;
        let form = register::Form {
            store_url,
            api_key,
            api_password: Secret::new(api_password),
            shared_secret: Secret::new(shared_secret),
        };
        let store_id = register::register(&state.pool, &state.shopify, &state.sealer, &caller.user, form).await?;
        state.sync.wake();
        state.hub.changed(store_id);
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Stops synchronization, removes storelink's webhooks from Shopify (best effort), deletes
/// the credentials and keeps the synced data. Returns what happened, in words.
#[server(prefix = "/api", endpoint = "stores/disconnect", input = PostUrl)]
pub async fn disconnect_store(store_id: StoreId) -> Result<String, AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        let state = &caller.state;
        let report =
            crate::stores::disconnect::disconnect(&state.pool, &state.shopify, &state.tokens, &caller.user, store_id)
                .await?;
        state.hub.changed(store_id);
        leptos_axum::redirect("/");
        Ok(report)
    })
    .await
}

/// Deletes a disconnected store and everything synced from it.
#[server(prefix = "/api", endpoint = "stores/remove", input = PostUrl)]
pub async fn remove_store(store_id: StoreId) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        crate::stores::disconnect::remove(caller.pool(), &caller.user, store_id).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}
