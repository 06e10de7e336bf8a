//! The orders tab: what awaits shipping, searched and filtered, a table per location that ships
//! it, a page at a time; and the store's orders per day.

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    shipments::{state_text, ShipmentTable},
    store_context, StoreContext,
};
use crate::{
    api::{
        shipments::RetryShipment,
        stores::{store_orders, OrdersTab as Tab, CHART_DAYS},
    },
    records::{Awaiting, AwaitingRow},
    shipments::{Shipment, ShipmentState},
    ui::{chart::DailyChart, error_view, format::thousands},
};

#[component]
pub fn OrdersTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let key =
        move || (id.get(), changed.get(), param("q"), param("location"), param("from"), param("to"), param("after"));
    let tab =
        Resource::new(key, |(id, _, q, location, from, to, after)| store_orders(id, q, location, from, to, after));
    view! {
        <Transition fallback=|| view! { <p>"Loading the orders…"</p> }>
            {move || Suspend::new(async move {
                match tab.await {
                    Ok(tab) => view! { <Orders tab /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

#[component]
fn Orders(tab: Tab) -> impl IntoView {
    let query = use_query_map();
    let value = move |name: &str| query.read().get(name).unwrap_or_default();
    let Awaiting { rows, total, orders, next, locations } = tab.awaiting;
    let (shipments, latest) = (tab.shipments, tab.latest);
    let filtered = ["q", "location", "from", "to"].iter().any(|n| !value(n).is_empty());
    let chosen = value("location");
    let options = locations
        .into_iter()
        .map(|name| {
            let selected = name == chosen;
            view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
        })
        .collect_view();
    let found = match (total, filtered) {
        (0, true) => "No order awaiting shipping matches.".to_owned(),
        (0, false) => "Nothing awaits shipping.".to_owned(),
        _ => format!(
            "{} {} awaiting shipping{}, in {} {}.",
            thousands(orders),
            if orders == 1 { "order" } else { "orders" },
            if filtered { " match" } else { "" },
            thousands(total),
            if total == 1 { "fulfillment order" } else { "fulfillment orders" },
        ),
    };
    // The next page keeps the search and filters; a cursor says where it starts.
    let page_link = move |after: Option<&str>| {
        let mut pairs: Vec<String> = query
            .get()
            .into_iter()
            .filter(|(k, v)| k != "after" && !v.is_empty())
            .map(|(k, v)| {
                format!("{k}={}", percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC))
            })
            .collect();
        if let Some(after) = after {
            pairs.push(format!("after={after}"));
        }
        if pairs.is_empty() {
            "?".to_owned()
        } else {
            format!("?{}", pairs.join("&"))
        }
    };
    let on_later_page = !value("after").is_empty();
    // The parts' types are erased: nested, they would grow past what the compiler lays out.
    let chart = view! {
        <DailyChart
            id="orders-per-day"
            title=format!("Orders created each day, the last {CHART_DAYS} days")
            days=tab.orders_per_day
        />
    }
    .into_any();
    let form = view! {
            <Form method="GET" action="">
                <div class="filters">
                    <div>
                        <label for="q">"Search"</label>
                        <input id="q" type="search" name="q" value=value("q") placeholder="Order, customer or email" />
                    </div>
                    <div>
                        <label for="location">"Location"</label>
                        <select id="location" name="location">
                            <option value="">"All locations"</option>
                            {options}
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
                    <button type="submit">"Search"</button>
                    {filtered.then(|| view! { <a href="?">"Clear"</a> })}
                </div>
            </Form>
    }
    .into_any();
    view! {
        <section aria-labelledby="orders-heading">
            <h2 id="orders-heading">"Orders awaiting shipping"</h2>
            {form}
            <p role="status">{found}</p>
            {view! { <AwaitingTables rows shipments /> }.into_any()}
            <nav class="pager" aria-label="Orders pages">
                {on_later_page.then(|| view! { <a href=page_link(None)>"First page"</a> })}
                " "
                {next.map(|after| view! { <a href=page_link(Some(&after))>"Next page"</a> })}
            </nav>
        </section>
        {(!latest.is_empty())
            .then(|| {
                view! {
                    <section aria-labelledby="latest-shipments-heading">
                        <h2 id="latest-shipments-heading">"Latest shipments"</h2>
                        <ShipmentTable rows=latest label="Latest shipments" actions=None />
                    </section>
                }
                    .into_any()
            })}
        <section aria-labelledby="orders-per-day-heading">
            <h2 id="orders-per-day-heading">"Orders per day"</h2>
            {chart}
        </section>
    }
}

/// One table per location, in the order the rows come (sorted by location).
#[component]
fn AwaitingTables(rows: Vec<AwaitingRow>, shipments: Vec<Shipment>) -> impl IntoView {
    let mut by_location: Vec<(String, Vec<AwaitingRow>)> = Vec::new();
    for row in rows {
        match by_location.last_mut() {
            Some((location, rows)) if *location == row.location => rows.push(row),
            _ => by_location.push((row.location.clone(), vec![row])),
        }
    }
    by_location
        .into_iter()
        .map(|(location, rows)| {
            let title = format!("Shipped from {location}");
            view! {
                <h3>{title.clone()}</h3>
                <div class="scroll">
                    <table aria-label=title class="cards">
                        <thead>
                            <tr>
                                <th scope="col">"Order"</th>
                                <th scope="col">"Date"</th>
                                <th scope="col">"Customer"</th>
                                <th scope="col">"Ship to"</th>
                                <th scope="col">"Items to ship"</th>
                                <th scope="col">"Total weight"</th>
                                <th scope="col">"Shipping"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|o| {
                                    let on_way: Vec<Shipment> = shipments
                                        .iter()
                                        .filter(|s| s.lines.iter().any(|l| l.fulfillment_order_id == o.fulfillment_order_id))
                                        .cloned()
                                        .collect();
                                    view! { <OrderRow o on_way /> }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
        })
        .collect_view()
}

#[component]
fn OrderRow(o: AwaitingRow, on_way: Vec<Shipment>) -> impl IntoView {
    let StoreContext { id, .. } = store_context();
    let ship_label = format!("Mark {} shipped", o.name);
    let ship_href = move || format!("/stores/{}/ship/{}", id.get(), o.fulfillment_order_id);
    let retry = ServerAction::<RetryShipment>::new();
    let states = on_way
        .into_iter()
        .map(|s| {
            let text = format!("{} {}: {}", s.carrier, s.tracking_number, state_text(&s));
            let again = (s.state == ShipmentState::Failed).then(|| {
                view! {
                    <ActionForm action=retry attr:class="inline">
                        <input type="hidden" name="store_id" value=move || id.get().to_string() />
                        <input type="hidden" name="shipment_id" value=s.id.to_string() />
                        <button type="submit" aria-label=format!("Retry the shipment {}", s.tracking_number)>"Retry"</button>
                    </ActionForm>
                }
                .into_any()
            });
            view! { <li>{text} {again}</li> }.into_any()
        })
        .collect_view();
    let items = o
        .items
        .iter()
        .map(|i| {
            let sku = i.sku.as_deref().filter(|s| !s.is_empty()).map(|s| format!(" ({s})")).unwrap_or_default();
            view! { <li>{format!("{} × {}{sku}", thousands(i.quantity), i.title)}</li> }
        })
        .collect_view();
    view! {
        <tr>
            <td data-label="Order">{o.name}</td>
            <td data-label="Date">{o.date}</td>
            <td data-label="Customer">{o.customer.unwrap_or_default()}</td>
            <td data-label="Ship to">{o.ship_to.unwrap_or_else(|| "No shipping address".into())}</td>
            <td data-label="Items to ship">
                <ul class="items">{items}</ul>
            </td>
            <td class="num" data-label="Total weight">{format!("{} g", thousands(o.total_weight))}</td>
            <td data-label="Shipping">
                <ul class="items">{states}</ul>
                <a href=ship_href aria-label=ship_label>"Mark shipped"</a>
            </td>
        </tr>
    }
}
