//! One store's page, organised for the desk: a header with the store's state and its live
//! synchronization, then tabs with their own addresses (each rendered on the server, so they
//! work before the page hydrates): the orders that await shipping first, then products,
//! customers, locations, synchronization with webhooks, and permissions.

mod lists;
mod orders;
mod ship;
mod shipments;
mod sync;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{Outlet, A},
    hooks::use_params_map,
};

pub use self::{
    lists::{CustomersTab, LocationsTab, PermissionsTab, ProductsTab},
    orders::OrdersTab,
    ship::ShipPage,
    shipments::{state_text, CorrectTrackingPage, ShipmentsTab},
    sync::SyncTab,
};
use super::{error_view, live, progress_summary, reconnect_href, stores::SyncNowButton};
use crate::{
    api::stores::{store_header, StoreHeading},
    ids::StoreId,
    jobs::{Live, StoreProgress},
    stores::StoreState,
};

/// What the tabs share: the store, its latest sync as the stream brings it, and a count that
/// moves whenever the store's data changed (a sync ended, a webhook delivered), so each tab
/// reads its data again.
#[derive(Clone, Copy)]
pub struct StoreContext {
    pub id: Memo<StoreId>,
    pub progress: RwSignal<Option<StoreProgress>>,
    pub changed: RwSignal<u64>,
}

fn store_context() -> StoreContext {
    expect_context::<StoreContext>()
}

#[component]
pub fn StorePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<StoreId>().ok()).unwrap_or_default());
    let context = StoreContext { id, progress: RwSignal::new(None), changed: RwSignal::new(0) };
    provide_context(context);
    let header = Resource::new(move || (id.get(), context.changed.get()), |(id, _)| store_header(id));
    view! {
        <Transition fallback=|| view! { <p>"Loading the store…"</p> }>
            {move || Suspend::new(async move {
                match header.await {
                    Ok(header) => view! { <Header header /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
        {move || view! { <Watcher id=id.get() /> }}
        <Outlet />
    }
}

/// Keeps the context current from the progress stream of store `id`, while the page shows it.
#[component]
fn Watcher(id: StoreId) -> impl IntoView {
    let StoreContext { progress, changed, .. } = store_context();
    live::watch(Some(id), move |line| match line {
        Live::Progress(update) => {
            let (was_active, deliveries) = progress
                .with_untracked(|p| p.as_ref().map_or((false, update.deliveries), |p| (p.active(), p.deliveries)));
            let ended = was_active && !update.active();
            let delivered = update.deliveries != deliveries;
            progress.set(Some(update));
            if ended || delivered {
                changed.update(|n| *n += 1);
            }
        }
        Live::Store { .. } => changed.update(|n| *n += 1),
    });
}

#[component]
fn Header(header: StoreHeading) -> impl IntoView {
    let StoreContext { progress, .. } = store_context();
    let read = header.progress.clone();
    let store = header.store;
    let id = store.id;
    // The stream's latest snapshot, or until it has brought one the snapshot read with the page.
    let summary = move || {
        progress.with(|p| p.as_ref().or(read.as_ref()).map_or("Not synchronized yet.".to_owned(), progress_summary))
    };
    let sync_now = (header.viewer_is_admin && store.state == StoreState::Connected)
        .then(|| view! { <SyncNowButton store_id=store.id name=store.name.clone() /> });
    let tabs = [
        ("", "Orders"),
        ("/products", "Products"),
        ("/customers", "Customers"),
        ("/locations", "Locations"),
        ("/shipments", "Shipments"),
        ("/sync", "Sync and webhooks"),
        ("/permissions", "Permissions"),
    ];
    view! {
        <Title text=format!("{} · storelink", store.name) />
        <h1>{store.name.clone()}</h1>
        <p class="note">
            {format!(
                "{} · {} · {}{}",
                store.platform.label(),
                store.shop_domain,
                store.state.label(),
                store.state_detail.as_deref().map(|d| format!(" — {d}")).unwrap_or_default(),
            )}
        </p>
        {store.refuses_shipments().map(|why| {
            let reconnect = header.viewer_is_admin.then(|| {
                view! { " " <a class="button" href=reconnect_href(&store)>"Reconnect"</a> }
            });
            view! {
                <div class="banner" role="status">
                    <p>{why}</p>
                    {reconnect}
                </div>
            }
        })}
        {(header.secret_looks_wrong && store.refuses_shipments().is_none()).then(|| {
            let reconnect = header.viewer_is_admin.then(|| {
                view! { <a class="button" href=reconnect_href(&store)>"Reconnect with the right Shared Secret"</a> }
            });
            view! {
                <div class="banner" role="status">
                    <p>
                        "The Shared Secret looks wrong: Shopify's webhook deliveries for this store do not verify with it, so
                        changes arrive only by scheduled sync. Copy the app's “API secret key” (custom app), “Shared secret”
                        (private app) or “Client secret” (Dev Dashboard app) again."
                    </p>
                    {reconnect}
                </div>
            }
        })}
        <div class="toolbar">
            <p role="status" aria-live="polite">{summary}</p>
            {sync_now}
        </div>
        <nav class="tabs" aria-label="Store">
            {tabs
                .into_iter()
                .map(|(path, label)| view! { <A href=format!("/stores/{id}{path}") exact=true>{label}</A> })
                .collect_view()}
        </nav>
    }
}
