//! The store's products, customers and locations, a page at a time, and its permissions.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{store_context, StoreContext};
use crate::{
    api::stores::{store_customers, store_locations, store_permissions, store_products},
    error::AppError,
    records::Page,
    stores::PermissionRow,
    ui::{error_view, format::thousands},
};

/// The `page` query parameter, from 1: anything else typed in the address line is the nearest
/// page there can be.
fn page_number() -> Memo<i64> {
    let query = use_query_map();
    Memo::new(move |_| {
        let asked: i64 = query.read().get("page").and_then(|p| p.trim().parse().ok()).unwrap_or(1);
        asked.clamp(1, crate::records::MAX_PAGE)
    })
}

/// Reads the tab's data whenever the store, its data or `key` change, and shows it.
fn tab<K, T, F, V>(
    key: impl Fn() -> K + Send + Sync + 'static,
    read: impl Fn(K) -> F + Send + Sync + 'static,
    show: impl Fn(T) -> V + Copy + Send + Sync + 'static,
) -> impl IntoView
where
    K: PartialEq + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
    V: IntoView + 'static,
{
    let data = Resource::new(key, read);
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => show(data).into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

/// Previous and next links for the `page` parameter.
#[component]
fn Pager(label: &'static str, page: i64, pages: i64) -> impl IntoView {
    view! {
        <nav class="pager" aria-label=format!("{label} pages")>
            {(page > 1).then(|| view! { <a href=format!("?page={}", page - 1)>"Previous"</a> })}
            <span>{format!(" Page {page} of {pages} ")}</span>
            {(page < pages).then(|| view! { <a href=format!("?page={}", page + 1)>"Next"</a> })}
        </nav>
    }
}

/// A titled, paginated two-column list.
fn list(
    id: &'static str,
    title: &'static str,
    columns: [&'static str; 2],
    page: Page<(String, String)>,
) -> impl IntoView {
    let pages = page.pages();
    view! {
        <section aria-labelledby=id>
            <h2 id=id>{format!("{title} ({})", thousands(page.total))}</h2>
            <div class="scroll">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">{columns[0]}</th>
                            <th scope="col">{columns[1]}</th>
                        </tr>
                    </thead>
                    <tbody>{page.rows.into_iter().map(|(a, b)| view! { <tr><td>{a}</td><td>{b}</td></tr> }).collect_view()}</tbody>
                </table>
            </div>
            <Pager label=title page=page.page pages />
        </section>
    }
}

#[component]
pub fn ProductsTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let page = page_number();
    tab(
        move || (id.get(), changed.get(), page.get()),
        |(id, _, page)| store_products(id, page),
        |page| {
            let page = Page {
                rows: page.rows.into_iter().map(|p| (p.title, thousands(p.variants))).collect(),
                page: page.page,
                total: page.total,
            };
            list("products-heading", "Products", ["Product", "Variants"], page)
        },
    )
}

#[component]
pub fn CustomersTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let page = page_number();
    tab(
        move || (id.get(), changed.get(), page.get()),
        |(id, _, page)| store_customers(id, page),
        |page| {
            let page = Page {
                rows: page.rows.into_iter().map(|c| (c.name, c.email.unwrap_or_default())).collect(),
                page: page.page,
                total: page.total,
            };
            list("customers-heading", "Customers", ["Name", "Email"], page)
        },
    )
}

#[component]
pub fn LocationsTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    tab(
        move || (id.get(), changed.get()),
        |(id, _)| store_locations(id),
        |names: Vec<String>| {
            view! {
                <section aria-labelledby="locations-heading">
                    <h2 id="locations-heading">{format!("Locations ({})", thousands(names.len() as i64))}</h2>
                    <ul>{names.into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}</ul>
                </section>
            }
        },
    )
}

#[component]
pub fn PermissionsTab() -> impl IntoView {
    let StoreContext { id, .. } = store_context();
    tab(
        move || id.get(),
        store_permissions,
        |rows: Vec<PermissionRow>| {
            view! {
                <section aria-labelledby="permissions-heading">
                    <h2 id="permissions-heading">"Permissions"</h2>
                    <div class="scroll">
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
                                                <td>
                                                    {match (row.required, row.shipping) {
                                                        (true, _) => "Needs it",
                                                        (false, true) => "Needs it for shipping",
                                                        (false, false) => "Can use it",
                                                    }}
                                                </td>
                                                <td>{if row.granted { "Yes" } else { "No" }}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                </section>
            }
        },
    )
}
