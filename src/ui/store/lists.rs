//! The store's products, customers and locations, a page at a time, and its permissions.

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{store_context, StoreContext};
use crate::{
    api::stores::{store_customers, store_locations, store_permissions, store_products},
    error::AppError,
    platforms::PermissionRow,
    records::Page,
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

/// The `q` query parameter: what the list is searched for.
fn searched() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("q").filter(|q| !q.trim().is_empty()))
}

/// `?page=N`, keeping the search.
fn page_href(page: i64) -> String {
    let query = use_query_map();
    let q = query.read_untracked().get("q").filter(|q| !q.is_empty());
    match q {
        Some(q) => {
            format!("?q={}&page={page}", percent_encoding::utf8_percent_encode(&q, percent_encoding::NON_ALPHANUMERIC))
        }
        None => format!("?page={page}"),
    }
}

/// Previous and next links for the `page` parameter.
#[component]
fn Pager(label: &'static str, page: i64, pages: i64) -> impl IntoView {
    view! {
        <nav class="pager actions" aria-label=format!("{label} pages")>
            {(page > 1).then(|| view! { <a class="button" href=page_href(page - 1)>"Previous"</a> })}
            <span>{format!("Page {page} of {pages}")}</span>
            {(page < pages).then(|| view! { <a class="button" href=page_href(page + 1)>"Next"</a> })}
        </nav>
    }
}

/// The list's search box, a form of its own so it works before the page hydrates.
#[component]
fn Search(placeholder: &'static str) -> impl IntoView {
    let query = use_query_map();
    let typed = move || query.read().get("q").unwrap_or_default();
    view! {
        <Form method="GET" action="">
            <div class="filters">
                <div>
                    <label for="q">"Search"</label>
                    <input id="q" type="search" name="q" value=typed placeholder=placeholder />
                </div>
                <button type="submit">"Search"</button>
                {move || (!typed().is_empty()).then(|| view! { <a class="button" href="?">"Clear"</a> })}
            </div>
        </Form>
    }
}

/// A titled, searched, paginated list: `columns` headings, each row's cells in their order
/// (`nowrap` marks cells whose text must not break, such as SKUs).
fn list<const N: usize>(
    id: &'static str,
    title: &'static str,
    placeholder: &'static str,
    columns: [(&'static str, bool); N],
    page: Page<[String; N]>,
) -> impl IntoView {
    let pages = page.pages();
    let found = if page.total == 0 { "Nothing matches.".to_owned() } else { String::new() };
    let rows = page
        .rows
        .into_iter()
        .map(|cells| {
            let cells = cells
                .into_iter()
                .zip(columns)
                .map(|(text, (heading, nowrap))| {
                    view! { <td data-label=heading class=nowrap.then_some("nowrap")>{text}</td> }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <section aria-labelledby=id>
            <h2 id=id>{format!("{title} ({})", thousands(page.total))}</h2>
            <Search placeholder />
            {(!found.is_empty()).then(|| view! { <p role="status">{found}</p> })}
            <div class="scroll">
                <table class="cards" aria-label=title>
                    <thead>
                        <tr>{columns.map(|(heading, _)| view! { <th scope="col">{heading}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Pager label=title page=page.page pages />
        </section>
    }
}

#[component]
pub fn ProductsTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let (page, q) = (page_number(), searched());
    tab(
        move || (id.get(), changed.get(), page.get(), q.get()),
        |(id, _, page, q)| store_products(id, page, q),
        |page| {
            let page = Page {
                rows: page
                    .rows
                    .into_iter()
                    .map(|p| {
                        let stock = p.stock.map(thousands).unwrap_or_else(|| "Not tracked".into());
                        [p.title, p.skus.join(", "), thousands(p.variants), stock]
                    })
                    .collect(),
                page: page.page,
                total: page.total,
            };
            list(
                "products-heading",
                "Products",
                "Title or SKU",
                [("Product", false), ("SKU", true), ("Variants", false), ("Stock", false)],
                page,
            )
        },
    )
}

#[component]
pub fn CustomersTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let (page, q) = (page_number(), searched());
    tab(
        move || (id.get(), changed.get(), page.get(), q.get()),
        |(id, _, page, q)| store_customers(id, page, q),
        |page| {
            let page = Page {
                rows: page.rows.into_iter().map(|c| [c.name, c.email.unwrap_or_default()]).collect(),
                page: page.page,
                total: page.total,
            };
            list("customers-heading", "Customers", "Name or email", [("Name", false), ("Email", false)], page)
        },
    )
}

#[component]
pub fn LocationsTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let q = searched();
    tab(
        move || (id.get(), changed.get(), q.get()),
        |(id, _, q)| store_locations(id, q),
        |names: Vec<String>| {
            let found = names.is_empty().then(|| view! { <p role="status">"Nothing matches."</p> });
            view! {
                <section aria-labelledby="locations-heading">
                    <h2 id="locations-heading">{format!("Locations ({})", thousands(names.len() as i64))}</h2>
                    <Search placeholder="Name" />
                    {found}
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
