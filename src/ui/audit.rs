//! The audit log, newest first, a page at a time, filtered by who, what, store and date; the
//! filters live in the address, so a view of the log can be bookmarked.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use super::format_utc;
use crate::{api::audit::list_audit, audit::AuditPage};

/// The filters' names, as the address carries them.
const FILTERS: [&str; 5] = ["who", "action", "store", "from", "to"];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let key = move || {
        (
            param("who"),
            param("action"),
            param("store").and_then(|s| s.parse().ok()),
            param("from"),
            param("to"),
            param("before").and_then(|b| b.parse().ok()),
        )
    };
    let page =
        Resource::new(key, |(who, action, store, from, to, before)| list_audit(who, action, store, from, to, before));
    view! {
        <Title text="Audit · storelink" />
        <h1>"Audit"</h1>
        <Transition fallback=|| view! { <p>"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Log page /> }.into_any(),
                    Err(err) => super::admin_page_error(err, "read the audit log"),
                }
            })}
        </Transition>
    }
}

#[component]
fn Log(page: AuditPage) -> impl IntoView {
    let query = use_query_map();
    let value = move |name: &str| query.read().get(name).unwrap_or_default();
    let filtered = FILTERS.iter().any(|n| !value(n).is_empty());
    let AuditPage { entries, older, actions, stores } = page;
    let chosen_action = value("action");
    let action_options = actions
        .into_iter()
        .map(|action| {
            let selected = action == chosen_action;
            view! { <option value=action.clone() selected=selected>{action.clone()}</option> }
        })
        .collect_view();
    let chosen_store = value("store");
    let store_options = stores
        .into_iter()
        .map(|(id, name)| {
            let selected = id.to_string() == chosen_store;
            view! { <option value=id.to_string() selected=selected>{name}</option> }
        })
        .collect_view();
    // Another page keeps the filters; `before` says where it starts.
    let link = move |before: Option<i64>| {
        let mut pairs: Vec<String> = FILTERS
            .iter()
            .map(|name| (name, value(name)))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| {
                format!("{k}={}", percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC))
            })
            .collect();
        pairs.extend(before.map(|b| format!("before={b}")));
        format!("?{}", pairs.join("&"))
    };
    let on_later_page = !value("before").is_empty();
    let form = view! {
        <Form method="GET" action="">
            <div class="filters">
                <div>
                    <label for="who">"Who"</label>
                    <input id="who" type="search" name="who" value=value("who") placeholder="Email or token name" />
                </div>
                <div>
                    <label for="action">"What"</label>
                    <select id="action" name="action">
                        <option value="">"Everything"</option>
                        {action_options}
                    </select>
                </div>
                <div>
                    <label for="store">"Store"</label>
                    <select id="store" name="store">
                        <option value="">"Every store"</option>
                        {store_options}
                    </select>
                </div>
                <div>
                    <label for="from">"From"</label>
                    <input id="from" type="date" name="from" value=value("from") />
                </div>
                <div>
                    <label for="to">"To"</label>
                    <input id="to" type="date" name="to" value=value("to") />
                </div>
                <button type="submit">"Show"</button>
                {filtered.then(|| view! { <a href="?">"Clear"</a> })}
            </div>
        </Form>
    }
    .into_any();
    let table = if entries.is_empty() {
        let words = if filtered { "No entry matches." } else { "Nothing has been done yet." };
        view! { <p class="empty">{words}</p> }.into_any()
    } else {
        view! {
            <table class="cards">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Store"</th>
                        <th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|e| {
                            view! {
                                <tr>
                                    <td data-label="When">{format_utc(e.at)}</td>
                                    <td data-label="Who">{e.user_email}</td>
                                    <td data-label="What">{e.action}</td>
                                    <td data-label="Store">{e.store_name}</td>
                                    <td data-label="Details">{e.detail}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        {form}
        {table}
        <nav class="pager" aria-label="Audit pages">
            {on_later_page.then(|| view! { <a href=link(None)>"Newest entries"</a> })}
            " "
            {older.map(|before| view! { <a href=link(Some(before))>"Older entries"</a> })}
        </nav>
    }
}
