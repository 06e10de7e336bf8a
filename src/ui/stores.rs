use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    chart::Sparkline, error_view, format::thousands, format_utc, live, progress_summary, reconnect_href, relative_time,
};
use crate::{
    api::{
        stores::{list_stores, StoresPage as Page},
        sync::SyncNow,
    },
    drift::DriftCheck,
    ids::StoreId,
    jobs::{JobKind, Live, StoreProgress},
    records::{Daily, Part},
    stores::{StoreDto, StoreState},
};

#[component]
pub fn StoresPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| list_stores());
    let live = live_progress(Callback::new(move |()| page.refetch()));
    view! {
        <Title text="Stores · storelink" />
        <h1>"Stores"</h1>
        <Transition fallback=|| view! { <p>"Loading stores…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <StoreList page live /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

/// Each store's latest job, kept current by the progress stream for as long as the page is
/// open. The list is read again when a store is added, changed or removed, when a job starts
/// for a store the page does not list yet, and when a job ends (its counts and time show).
fn live_progress(refresh: Callback<()>) -> RwSignal<HashMap<StoreId, StoreProgress>> {
    let live = RwSignal::new(HashMap::<StoreId, StoreProgress>::new());
    live::watch(None, move |line| match line {
        Live::Progress(progress) => {
            let known = live.with_untracked(|m| m.get(&progress.store_id).map(StoreProgress::active));
            let reread = match known {
                None => true,
                Some(was_active) => was_active && !progress.active(),
            };
            live.update(|m| {
                m.insert(progress.store_id, progress);
            });
            if reread {
                refresh.run(());
            }
        }
        Live::Store { .. } => refresh.run(()),
    });
    live
}

#[component]
fn StoreList(page: Page, live: RwSignal<HashMap<StoreId, StoreProgress>>) -> impl IntoView {
    let admin = page.viewer.is_admin();
    let now = page.now;
    // The snapshots the page was read with, unless the stream already brought newer ones.
    live.update_untracked(|m| {
        for progress in page.progress.clone() {
            m.entry(progress.store_id).or_insert(progress);
        }
    });
    let done = what_happened(&page.stores);
    let controls = if admin {
        view! {
            <a class="button primary" href="/stores/new">
                "ADD STORE"
            </a>
        }
        .into_any()
    } else {
        view! { <p class="note">"Only administrators can add, disconnect or remove stores; everyone records shipments."</p> }.into_any()
    };
    let body = if page.stores.is_empty() {
        let hint = if admin {
            "No stores are connected yet. Choose ADD STORE to connect your first Shopify store."
        } else if page.viewer.limited_to_some_stores() {
            "An administrator has not chosen any stores for you yet. Ask them to."
        } else {
            "No stores are connected yet. Ask an administrator to add one."
        };
        view! { <p class="empty">{hint}</p> }.into_any()
    } else {
        view! {
            <div class="scroll">
            <table class="stores cards">
                <thead>
                    <tr>
                        <th scope="col">"Platform"</th>
                        <th scope="col">"Store"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Last synchronized"</th>
                        <th scope="col">"Orders"</th>
                        <th scope="col">"Products"</th>
                        <th scope="col">"Customers"</th>
                        <th scope="col">"Locations"</th>
                        <th scope="col">"Orders per day"</th>
                        {admin.then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {page
                        .stores
                        .into_iter()
                        .map(|store| {
                            let days = page.orders_per_day.iter().find(|(id, _)| *id == store.id).map(|(_, d)| d.clone());
                            let failed =
                                page.failed_shipments.iter().find(|(id, _)| *id == store.id).map_or(0, |(_, n)| *n);
                            let drift = page.drift.iter().find(|c| c.store_id == store.id).cloned();
                            view! { <StoreRow store now admin live days failed drift /> }
                        })
                        .collect_view()}
                </tbody>
            </table>
            </div>
        }
        .into_any()
    };
    view! {
        {done}
        <div class="toolbar">{controls}</div>
        {body}
    }
}

/// The line that says what just happened, after a registration, a disconnection or a removal
/// brought the administrator back here (`?registered=ID`, …: an id, never words, travels in the
/// address, so a link cannot make the page say anything).
fn what_happened(stores: &[StoreDto]) -> Option<impl IntoView> {
    let query = leptos_router::hooks::use_query_map();
    let query = query.read_untracked();
    let named = |param: &str| {
        let id: StoreId = query.get(param)?.parse().ok()?;
        stores.iter().find(|s| s.id == id).map(|s| s.name.clone())
    };
    let words = if let Some(name) = named("registered") {
        format!("Connected {name}. Its first synchronization has started; its progress shows below.")
    } else if let Some(name) = named("disconnected") {
        format!("Disconnected {name}. storelink stopped synchronizing it and deleted its credentials; its synced data stays until you remove it.")
    } else if query.get("removed").is_some() {
        "The store and everything synchronized from it were removed.".to_owned()
    } else {
        return None;
    };
    Some(view! {
        <div class="banner done" role="status">
            <p>{words}</p>
        </div>
    })
}

#[component]
fn StoreRow(
    store: StoreDto,
    now: i64,
    admin: bool,
    live: RwSignal<HashMap<StoreId, StoreProgress>>,
    days: Option<Daily>,
    /// Write-backs to Shopify that failed.
    failed: i64,
    /// The last check of its orders awaiting shipment.
    drift: Option<DriftCheck>,
) -> impl IntoView {
    let synced = match store.last_synced_at {
        Some(at) => {
            view! { <time title=format_utc(at)>{relative_time(at, now)} " (" {format_utc(at)} ")"</time> }.into_any()
        }
        None => "Never".into_any(),
    };
    let actions = admin.then(|| {
        let (id, name) = (store.id, store.name.clone());
        let links = match store.state {
            StoreState::Connected => view! {
                <SyncNowButton store_id=id name=name.clone() />
                <a class="button" href=format!("/stores/{id}/disconnect") aria-label=format!("Disconnect {name}")>"Disconnect"</a>
            }
            .into_any(),
            StoreState::Refused => view! {
                <a class="button" href=reconnect_href(&store) aria-label=format!("Reconnect {name}")>
                    "Reconnect"
                </a>
                <a class="button" href=format!("/stores/{id}/disconnect") aria-label=format!("Disconnect {name}")>"Disconnect"</a>
            }
            .into_any(),
            StoreState::Disconnected => view! {
                <a class="button" href=reconnect_href(&store) aria-label=format!("Reconnect {name}")>
                    "Reconnect"
                </a>
                <a class="button" href=format!("/stores/{id}/remove") aria-label=format!("Remove {name}")>"Remove"</a>
            }
            .into_any(),
        };
        view! {
            <td data-label="Actions">
                <div class="actions">{links}</div>
            </td>
        }
    });
    let warnings = (!store.warnings.is_empty()).then(|| {
        view! {
            <ul class="warnings">
                {store.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
            </ul>
        }
    });
    let (id, name) = (store.id, store.name.clone());
    let progress = move || {
        live.with(|m| m.get(&id).filter(|p| p.active()).cloned()).map(|p| {
            let label = format!("Sync progress of {name}");
            // Until the total is known the bar only says that the sync is moving.
            let bar = match p.total() {
                Some(total) => view! { <progress max=total.max(1).to_string() value=p.done().to_string() aria-label=label></progress> }.into_any(),
                None => view! { <progress aria-label=label></progress> }.into_any(),
            };
            view! {
                <div class="live">
                    {bar}
                    <span class="note">{progress_summary(&p)}</span>
                </div>
            }
        })
    };
    // Each cell names its column, for the narrow screens where rows become cards. The two halves'
    // types are erased: one nested type for the whole row grows past what the compiler lays out.
    let who = view! {
        <td data-label="Platform">{store.platform.label()}</td>
        <td data-label="Store">
            <a href=format!("/stores/{}", store.id)>{store.name}</a>
            <div class="note">{store.shop_domain}</div>
            {warnings}
            {(failed > 0)
                .then(|| {
                    let text = if failed == 1 {
                        "1 failed write-back".to_owned()
                    } else {
                        format!("{} failed write-backs", thousands(failed))
                    };
                    view! { <a class="failed" href=format!("/stores/{id}/shipments")>{text}</a> }
                })}
        </td>
        <td data-label="State">
            {store.state.label()} {store.state_detail.map(|d| view! { <div class="note">{d}</div> })} {progress}
        </td>
    }
    .into_any();
    // During a full sync the counts are what it has stored so far, rising as it goes; otherwise
    // what the store holds.
    let count = move |part: Part, stored: i64| {
        move || {
            let so_far = live.with(|m| {
                m.get(&id)
                    .filter(|p| p.active() && p.kind == JobKind::Full)
                    .map(|p| p.progress.resources.get(part.key()).map_or(0, |c| c.done))
            });
            thousands(so_far.unwrap_or(stored))
        }
    };
    let figures = view! {
        <td data-label="Last synchronized">{synced} {drift.map(|check| view! { <DriftLine check now /> })}</td>
        <td class="num" data-label="Orders">{count(Part::Orders, store.orders)}</td>
        <td class="num" data-label="Products">{count(Part::Products, store.products)}</td>
        <td class="num" data-label="Customers">{count(Part::Customers, store.customers)}</td>
        <td class="num" data-label="Locations">{count(Part::Locations, store.locations)}</td>
        <td data-label="Orders per day">{days.map(|days| view! { <Sparkline days what=("order", "orders") /> })}</td>
    }
    .into_any();
    view! {
        <tr>
            {who}
            {figures}
            {actions}
        </tr>
    }
}

/// "Sync now": starts an incremental sync unless one is already running.
#[component]
pub fn SyncNowButton(store_id: StoreId, name: String) -> impl IntoView {
    let sync = ServerAction::<SyncNow>::new();
    let message = move || {
        sync.value().get().map(|result| match result {
            Ok(message) => message,
            Err(err) => err.to_string(),
        })
    };
    view! {
        <ActionForm action=sync attr:class="inline">
            <input type="hidden" name="store_id" value=store_id.to_string() />
            <button type="submit" aria-label=format!("Sync {name} now")>
                "Sync now"
            </button>
        </ActionForm>
        {move || message().map(|m| view! { <span class="note" role="status">{m}</span> })}
    }
}

/// A store's last check of its orders awaiting shipment, and each order that still differs.
#[component]
pub fn DriftLine(check: DriftCheck, now: i64) -> impl IntoView {
    let class = if check.unresolved.is_empty() { "note drift" } else { "note drift differs" };
    let summary = check.summary(now);
    let shown = check.unresolved.len().min(5);
    let more = check.unresolved.len() - shown;
    view! {
        <div class=class>
            {summary}
            {(shown > 0)
                .then(|| {
                    view! {
                        <ul>
                            {check
                                .unresolved
                                .into_iter()
                                .take(shown)
                                .map(|d| view! { <li>{d.name} ": " {d.why}</li> })
                                .collect_view()}
                            {(more > 0).then(|| view! { <li>{format!("and {more} more")}</li> })}
                        </ul>
                    }
                })}
        </div>
    }
}
