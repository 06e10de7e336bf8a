//! The Stores page, a store's page, and registering, disconnecting and removing stores.

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl};

use crate::{
    error::AppError,
    ids::StoreId,
    jobs::{StoreProgress, SyncRun},
    platforms::PermissionRow,
    records::{Awaiting, CustomerRow, Daily, Page, ProductRow},
    stores::StoreDto,
    users::UserDto,
    webhooks::WebhookHealth,
};

/// The days the pictures of orders cover.
pub const CHART_DAYS: i64 = 30;

/// The Stores page: who is looking (it decides which controls show) and the stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoresPage {
    pub viewer: UserDto,
    pub stores: Vec<StoreDto>,
    /// Each store's latest sync job, for the live progress bars.
    pub progress: Vec<StoreProgress>,
    /// Each store's orders per day, for its sparkline.
    pub orders_per_day: Vec<(StoreId, Daily)>,
    /// How many write-backs to Shopify failed, per store that has any.
    pub failed_shipments: Vec<(StoreId, i64)>,
    /// Each store's last check of its orders awaiting shipment against the platform's count.
    pub drift: Vec<crate::drift::DriftCheck>,
    /// Server time when the page was read, so "5 minutes ago" renders the same on both sides.
    pub now: i64,
}

#[server(prefix = "/api", endpoint = "stores/list", input = GetUrl)]
pub async fn list_stores() -> Result<StoresPage, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let stores = caller.stores().await?;
        let mut progress = crate::jobs::repo::latest(caller.pool(), Some(caller.org()), None).await?;
        progress.retain(|p| caller.access.sees(p.store_id));
        let ids: Vec<StoreId> = stores.iter().map(|s| s.id).collect();
        let per_day = crate::records::repo::orders_per_day(caller.pool(), &ids, CHART_DAYS).await?;
        let orders_per_day = per_day.into_iter().collect();
        let failed_shipments = crate::shipments::repo::failed_counts(caller.pool(), &ids).await?;
        let drift = crate::drift::repo::of_stores(caller.pool(), &ids).await?.into_values().collect();
        Ok(StoresPage {
            viewer: caller.user,
            stores,
            progress,
            orders_per_day,
            failed_shipments,
            drift,
            now: crate::db::now(),
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "stores/get", input = GetUrl)]
pub async fn get_store(store_id: StoreId) -> Result<StoreDto, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        caller.store(store_id).await
    })
    .await
}

/// What every tab of a store's page shows at its top.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreHeading {
    pub store: StoreDto,
    pub viewer_is_admin: bool,
    pub progress: Option<StoreProgress>,
    pub now: i64,
    /// Shopify's signed deliveries do not verify with the store's Shared Secret.
    pub secret_looks_wrong: bool,
}

#[server(prefix = "/api", endpoint = "stores/header", input = GetUrl)]
pub async fn store_header(store_id: StoreId) -> Result<StoreHeading, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let pool = caller.pool();
        let store = caller.store(store_id).await?;
        Ok(StoreHeading {
            secret_looks_wrong: crate::webhooks::secret_looks_wrong(pool, store_id).await?,
            progress: crate::jobs::repo::latest(pool, Some(store.org), Some(store.id)).await?.pop(),
            store,
            viewer_is_admin: caller.user.is_admin(),
            now: crate::db::now(),
        })
    })
    .await
}

/// How many of the latest shipments the orders tab shows.
pub const LATEST: i64 = 5;

/// The orders tab: what awaits shipping, and the orders of the last days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersTab {
    pub awaiting: Awaiting,
    pub orders_per_day: Daily,
    /// The shown orders' shipments not yet settled (pending, or failed and why).
    pub shipments: Vec<crate::shipments::Shipment>,
    /// The latest shipments of the store, with their orders' names.
    pub latest: Vec<crate::api::shipments::ShipmentRow>,
    /// False when the store is not connected: nothing can be marked shipped.
    pub takes_shipments: bool,
}

/// Every search and filter is optional; a page's own form sends them as query parameters.
#[server(prefix = "/api", endpoint = "stores/orders", input = GetUrl)]
pub async fn store_orders(
    store_id: StoreId,
    q: Option<String>,
    location: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
    before: Option<String>,
) -> Result<OrdersTab, AppError> {
    super::respond(async {
        use crate::records::repo as records;
        let caller = super::require_user().await?;
        let sight = caller.access.narrowed();
        let query = crate::records::AwaitingQuery { q, location, from, to, after, before, sight, ..Default::default() };
        let pool = caller.pool();
        let store = caller.store(store_id).await?;
        let mut per_day = records::orders_per_day(pool, &[store.id], CHART_DAYS).await?;
        let awaiting = records::awaiting(pool, &[store_id], &query).await?;
        let shown: Vec<(StoreId, i64)> = awaiting.rows.iter().map(|r| (store_id, r.order_id)).collect();
        let shipments = crate::shipments::repo::unsettled_of_orders(pool, &shown).await?;
        let mut latest = crate::shipments::repo::of_store(pool, store_id, &[], LATEST).await?;
        latest.retain(|s| caller.access.sees_at(store_id, s.location_id));
        let latest = crate::api::shipments::with_order_names(pool, store_id, latest).await?;
        Ok(OrdersTab {
            awaiting,
            orders_per_day: per_day.remove(&store_id).expect("the store's own days are always there"),
            shipments,
            latest,
            takes_shipments: store.refuses_shipments().is_none(),
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "stores/products", input = GetUrl)]
pub async fn store_products(store_id: StoreId, page: i64, q: Option<String>) -> Result<Page<ProductRow>, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store = caller.store(store_id).await?;
        crate::records::repo::products(caller.pool(), store.id, page, q.as_deref()).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "stores/customers", input = GetUrl)]
pub async fn store_customers(store_id: StoreId, page: i64, q: Option<String>) -> Result<Page<CustomerRow>, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store = caller.store(store_id).await?;
        crate::records::repo::customers(caller.pool(), store.id, page, q.as_deref()).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "stores/locations", input = GetUrl)]
pub async fn store_locations(store_id: StoreId, q: Option<String>) -> Result<Vec<String>, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store_id = caller.store(store_id).await?.id;
        match q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => crate::records::repo::locations_named(caller.pool(), store_id, q).await,
            None => crate::records::repo::locations(caller.pool(), &[store_id]).await,
        }
    })
    .await
}

/// The sync tab: the latest sync (the stream keeps it current), the last syncs, and how
/// webhooks are doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncTab {
    pub progress: Option<StoreProgress>,
    pub history: Vec<SyncRun>,
    pub webhooks: WebhookHealth,
    pub now: i64,
}

/// Syncs the history chart shows.
pub const HISTORY_RUNS: i64 = 30;

#[server(prefix = "/api", endpoint = "stores/sync", input = GetUrl)]
pub async fn store_sync(store_id: StoreId) -> Result<SyncTab, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let pool = caller.pool();
        let interval = caller.state.settings.sync_interval.as_secs();
        let store = caller.store(store_id).await?;
        let enabled = caller.state.webhooks_enabled;
        Ok(SyncTab {
            progress: crate::jobs::repo::latest(pool, Some(store.org), Some(store.id)).await?.pop(),
            history: crate::jobs::repo::history(pool, store_id, HISTORY_RUNS).await?,
            webhooks: crate::webhooks::health(pool, store.platform, store_id, enabled, interval).await?,
            now: crate::db::now(),
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "stores/permissions", input = GetUrl)]
pub async fn store_permissions(store_id: StoreId) -> Result<Vec<PermissionRow>, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let pool = caller.pool();
        let store = caller.store(store_id).await?;
        let granted = crate::stores::repo::granted_scopes(pool, store_id).await?;
        Ok(store.platform.permission_rows(&granted))
    })
    .await
}

/// Checks what was typed into a platform's form with that platform, then saves the store, its
/// sealed credentials and the first sync job, and returns to the Stores page. The fields are the
/// platform's own (`fields[store_url]`, …).
#[server(prefix = "/api", endpoint = "stores/register", input = PostUrl)]
pub async fn register_store(
    platform: String,
    fields: std::collections::BTreeMap<String, String>,
    reconnect: Option<String>,
) -> Result<(), AppError> {
    super::respond(async {
        use crate::{
            platforms::{Platform, Typed},
            stores::register,
        };
        let caller = super::require_admin().await?;
        let state = &caller.state;
        let platform = Platform::from_slug(&platform)
            .ok_or_else(|| AppError::invalid("platform", "Choose one of the platforms storelink connects to."))?;
        let typed = Typed { fields, reconnect: reconnect.is_some_and(|r| !r.is_empty()) };
        let store_id =
            register::register(&state.pool, &state.platforms, &state.sealer, &caller.user, platform, typed).await?;
        state.sync.wake();
        state.hub.store_changed(caller.org(), store_id);
        // Back to the stores, where a line says what happened.
        leptos_axum::redirect(&format!("/?registered={store_id}"));
        Ok(())
    })
    .await
}

/// Stops synchronization, removes storelink's webhooks from the store's platform (best effort),
/// deletes the credentials and keeps the synced data. Returns what happened, in words.
#[server(prefix = "/api", endpoint = "stores/disconnect", input = PostUrl)]
pub async fn disconnect_store(store_id: StoreId) -> Result<String, AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        let store_id = caller.store(store_id).await?.id;
        let state = &caller.state;
        let report =
            crate::stores::disconnect::disconnect(&state.pool, &state.platforms, &caller.user, store_id).await?;
        state.hub.store_changed(caller.org(), store_id);
        leptos_axum::redirect(&format!("/?disconnected={store_id}"));
        Ok(report)
    })
    .await
}

/// Deletes a disconnected store and everything synced from it.
#[server(prefix = "/api", endpoint = "stores/remove", input = PostUrl)]
pub async fn remove_store(store_id: StoreId) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        let store_id = caller.store(store_id).await?.id;
        crate::stores::disconnect::remove(caller.pool(), &caller.user, store_id).await?;
        caller.state.hub.store_changed(caller.org(), store_id);
        leptos_axum::redirect("/?removed=1");
        Ok(())
    })
    .await
}
