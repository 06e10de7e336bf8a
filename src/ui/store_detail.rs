//! One store: its live synchronization, its permissions, and read-only pages of its synced
//! data, the open orders that await shipping first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    duration_words, error_view, format_utc, live, phase_words, progress_summary, relative_time, stores::SyncNowButton,
};
use crate::{
    api::stores::{store_detail, StoreOverview},
    ids::StoreId,
    jobs::StoreProgress,
    records::{self, AwaitingRow, CustomerRow, Page, ProductRow},
    stores::{PermissionRow, StoreState},
    webhooks::{WebhookHealth, TOPICS},
};

#[component]
pub fn StoreDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move |name: &str| query.read().get(name).and_then(|v| v.parse::<i64>().ok()).unwrap_or(1);
    let key = move || {
        let id = params.read().get("id").and_then(|id| id.parse::<StoreId>().ok()).unwrap_or_default();
        (id, number("orders_page"), number("products_page"), number("customers_page"))
    };
    let overview =
        Resource::new(key, |(id, orders, products, customers)| store_detail(id, orders, products, customers));
    let refresh = Callback::new(move |()| overview.refetch());
    view! {
        <Transition fallback=|| view! { <p>"Loading the store…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <Overview overview refresh /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(overview: StoreOverview, refresh: Callback<()>) -> impl IntoView {
    let store = overview.store.clone();
    let progress = RwSignal::new(overview.progress.clone());
    live::watch(Some(store.id), move |update| {
        let (was_active, deliveries) =
            progress.with_untracked(|p| p.as_ref().map_or((false, 0), |p| (p.active(), p.deliveries)));
        // Reload the data when a sync ends or a webhook changed it.
        let changed = (was_active && !update.active()) || update.deliveries != deliveries;
        progress.set(Some(update));
        if changed {
            refresh.run(());
        }
    });
    let sync_now = (overview.viewer_is_admin && store.state == StoreState::Connected)
        .then(|| view! { <SyncNowButton store_id=store.id name=store.name.clone() /> });
    view! {
        <Title text=format!("{} · storelink", store.name) />
        <h1>{store.name.clone()}</h1>
        <p class="note">
            {store.shop_domain.clone()} " · " {store.state.label()}
            {store.state_detail.clone().map(|d| format!(" — {d}"))}
        </p>
        {sync_now}
        <SyncSection progress />
        <Permissions rows=overview.permissions.clone() />
        <OrdersSection page=overview.orders.clone() />
        <ProductsSection page=overview.products.clone() />
        <CustomersSection page=overview.customers.clone() />
        <section aria-labelledby="locations-heading">
            <h2 id="locations-heading">"Locations"</h2>
            <ul>{overview.locations.iter().map(|name| view! { <li>{name.clone()}</li> }).collect_view()}</ul>
        </section>
        <Webhooks health=overview.webhooks.clone() now=overview.progress.as_ref().map_or(0, |p| p.now) />
    }
}

#[component]
fn Webhooks(health: WebhookHealth, now: i64) -> impl IntoView {
    let when = move |at: Option<i64>, none: &'static str| match at {
        Some(at) => view! { <time title=format_utc(at)>{relative_time(at, now)}</time> }.into_any(),
        None => none.into_any(),
    };
    let body = if health.enabled {
        let rejected = match health.last_rejected_at {
            Some(at) => view! { {health.rejected} " (last " {when(Some(at), "")} ")" }.into_any(),
            None => health.rejected.into_any(),
        };
        view! {
            <dl class="facts">
                <dt>"Subscribed topics"</dt>
                <dd>{format!("{} of {}: {}", health.topics.len(), TOPICS.len(), health.topics.join(", "))}</dd>
                <dt>"Last delivery"</dt>
                <dd>{when(health.last_delivery_at, "None yet")}</dd>
                <dt>"Deliveries in the last 24 hours"</dt>
                <dd>{health.deliveries_24h}</dd>
                <dt>"Rejected deliveries"</dt>
                <dd>{rejected}</dd>
                <dt>"Ignored replays (triggered over 48 hours ago)"</dt>
                <dd>{health.stale}</dd>
                <dt>"Last repair"</dt>
                <dd>{when(health.last_repair_at, "None needed")}</dd>
            </dl>
        }
        .into_any()
    } else {
        view! {
            <p>
                {format!(
                    "Updates arrive by scheduled sync, every {}. To have Shopify send changes within seconds, set STORELINK_PUBLIC_URL to the https address where Shopify can reach storelink, restart it, and sync the store.",
                    duration_words(health.sync_interval_secs as i64),
                )}
            </p>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">"Webhooks"</h2>
            {body}
        </section>
    }
}

#[component]
fn SyncSection(progress: RwSignal<Option<StoreProgress>>) -> impl IntoView {
    let summary = move || progress.with(|p| p.as_ref().map_or("Not synchronized yet.".to_owned(), progress_summary));
    let bars = move || {
        progress.with(|p| {
            let p = p.clone()?;
            let rows = records::Part::ALL
                .iter()
                .map(|resource| {
                    let label = resource.label();
                    let count = p.progress.resources.get(resource.key()).copied().unwrap_or_default();
                    let total = count.total.unwrap_or(count.done).max(count.done);
                    view! {
                        <tr>
                            <th scope="row">{label}</th>
                            <td>
                                <progress max=total.max(1).to_string() value=count.done.to_string() aria-label=format!("{label} synchronized")></progress>
                            </td>
                            <td class="num">{format!("{} of {}", count.done, total)}</td>
                            <td class="note">{phase_words(&count, p.now)}</td>
                        </tr>
                    }
                })
                .collect_view();
            let rate = p.rate().map(|r| format!("{r:.0} records per second"));
            let left = p.active().then(|| p.seconds_left().map(|s| format!("about {} left", duration_words(s)))).flatten();
            Some(view! {
                <table class="bars">
                    <tbody>{rows}</tbody>
                </table>
                <p class="note">{[rate, left].into_iter().flatten().collect::<Vec<_>>().join(", ")}</p>
                <h3>"Events"</h3>
                <ol class="events">{p.progress.events.iter().rev().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ol>
            })
        })
    };
    view! {
        <section aria-labelledby="sync-heading">
            <h2 id="sync-heading">"Synchronization"</h2>
            <p role="status" aria-live="polite">{summary}</p>
            {bars}
        </section>
    }
}

#[component]
fn Permissions(rows: Vec<PermissionRow>) -> impl IntoView {
    view! {
        <section aria-labelledby="permissions-heading">
            <h2 id="permissions-heading">"Permissions"</h2>
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Permission in the Shopify admin"</th>
                        <th scope="col">"storelink"</th>
                        <th scope="col">"Granted"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            view! {
                                <tr>
                                    <td>{row.admin_name}</td>
                                    <td>{if row.required { "Needs it" } else { "Can use it" }}</td>
                                    <td>{if row.granted { "Yes" } else { "No" }}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// Previous and next links that change one page parameter and keep the others.
#[component]
fn Pager(name: &'static str, page: i64, pages: i64) -> impl IntoView {
    let query = use_query_map();
    let href = move |n: i64| {
        let mut pairs: Vec<String> =
            query.get().into_iter().filter(|(k, _)| k != name).map(|(k, v)| format!("{k}={v}")).collect();
        pairs.push(format!("{name}={n}"));
        format!("?{}", pairs.join("&"))
    };
    view! {
        <nav class="pager" aria-label=format!("{name} pages")>
            {(page > 1).then(|| view! { <a href=href(page - 1)>"Previous"</a> })}
            <span>{format!(" Page {page} of {pages} ")}</span>
            {(page < pages).then(|| view! { <a href=href(page + 1)>"Next"</a> })}
        </nav>
    }
}

#[component]
fn OrdersSection(page: Page<AwaitingRow>) -> impl IntoView {
    let pages = page.pages();
    // Rows come sorted by the location that ships them: one table per location.
    let mut by_location: Vec<(String, Vec<AwaitingRow>)> = Vec::new();
    for row in page.rows {
        match by_location.last_mut() {
            Some((location, rows)) if *location == row.location => rows.push(row),
            _ => by_location.push((row.location.clone(), vec![row])),
        }
    }
    let empty = by_location.is_empty().then(|| view! { <p class="empty">"Nothing awaits shipping."</p> });
    let tables = by_location
        .into_iter()
        .map(|(location, rows)| {
            let title = format!("Shipped from {location}");
            view! {
                <h3>{title.clone()}</h3>
                <table aria-label=title>
                    <thead>
                        <tr>
                            <th scope="col">"Order"</th>
                            <th scope="col">"Date"</th>
                            <th scope="col">"Customer"</th>
                            <th scope="col">"Ship to"</th>
                            <th scope="col">"Items to ship"</th>
                            <th scope="col">"Total weight"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|o| {
                                let items = o
                                    .items
                                    .iter()
                                    .map(|i| view! { <li>{format!("{} × {}", i.quantity, i.title)}</li> })
                                    .collect_view();
                                view! {
                                    <tr>
                                        <td>{o.name}</td>
                                        <td>{o.date}</td>
                                        <td>{o.customer.unwrap_or_default()}</td>
                                        <td>{o.ship_to.unwrap_or_else(|| "No shipping address".into())}</td>
                                        <td>
                                            <ul class="items">{items}</ul>
                                        </td>
                                        <td class="num">{format!("{} g", o.total_weight)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="orders-heading">
            <h2 id="orders-heading">{format!("Orders awaiting shipping ({})", page.total)}</h2>
            {empty}
            {tables}
            <Pager name="orders_page" page=page.page pages />
        </section>
    }
}

/// A titled, paginated two-column list (products, customers).
#[component]
fn ListSection(
    id: &'static str,
    title: &'static str,
    columns: [&'static str; 2],
    rows: Vec<(String, String)>,
    pager: &'static str,
    page: i64,
    pages: i64,
    total: i64,
) -> impl IntoView {
    view! {
        <section aria-labelledby=id>
            <h2 id=id>{format!("{title} ({total})")}</h2>
            <table>
                <thead>
                    <tr>
                        <th scope="col">{columns[0]}</th>
                        <th scope="col">{columns[1]}</th>
                    </tr>
                </thead>
                <tbody>{rows.into_iter().map(|(a, b)| view! { <tr><td>{a}</td><td>{b}</td></tr> }).collect_view()}</tbody>
            </table>
            <Pager name=pager page pages />
        </section>
    }
}

#[component]
fn ProductsSection(page: Page<ProductRow>) -> impl IntoView {
    let rows = page.rows.iter().map(|p| (p.title.clone(), p.variants.to_string())).collect();
    view! {
        <ListSection
            id="products-heading"
            title="Products"
            columns=["Product", "Variants"]
            rows
            pager="products_page"
            page=page.page
            pages=page.pages()
            total=page.total
        />
    }
}

#[component]
fn CustomersSection(page: Page<CustomerRow>) -> impl IntoView {
    let rows = page.rows.iter().map(|c| (c.name.clone(), c.email.clone().unwrap_or_default())).collect();
    view! {
        <ListSection
            id="customers-heading"
            title="Customers"
            columns=["Name", "Email"]
            rows
            pager="customers_page"
            page=page.page
            pages=page.pages()
            total=page.total
        />
    }
}
