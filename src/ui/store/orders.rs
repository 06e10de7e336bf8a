//! The orders tab: what awaits shipping, oldest first, in one list with the location that ships
//! each as a column and a filter, searched and filtered, a page at a time both ways; the store's
//! orders per day where the eye finds them; and, after Mark shipped, a line at the top naming
//! the order and its tracking with its sending state, live.

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    shipments::{state_text, ShipmentTable},
    store_context, StoreContext,
};
use crate::{
    api::{
        shipments::{RetryShipment, ShipmentRow},
        stores::{store_orders, OrdersTab as Tab, CHART_DAYS},
    },
    records::{Awaiting, AwaitingRow},
    shipments::{Shipment, ShipmentState},
    ui::{chart::DailyChart, error_view, format::thousands, kept_params, paged_address},
};

/// The address's parameters the tab reads: the search and filters, and where the page is.
const FILTERS: [&str; 4] = ["q", "location", "from", "to"];

#[component]
pub fn OrdersTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let key = move || {
        (
            id.get(),
            changed.get(),
            (param("q"), param("location"), param("from"), param("to")),
            (param("after"), param("before")),
        )
    };
    let tab = Resource::new(key, |(id, _, (q, location, from, to), (after, before))| {
        store_orders(id, q, location, from, to, after, before)
    });
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
    let Awaiting { rows, total, orders, next, previous, locations } = tab.awaiting;
    let (shipments, latest, takes_shipments) = (tab.shipments, tab.latest, tab.takes_shipments);
    let filtered = FILTERS.iter().any(|n| !value(n).is_empty());
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
            if total == 1 { "parcel from one location" } else { "parcels, each from one location" },
        ),
    };
    // Mark shipped comes back here with `shipped=ID`: the shipment, as it is now.
    let shipped =
        value("shipped").parse::<i64>().ok().and_then(|id| latest.iter().find(|r| r.shipment.id.0 == id).cloned());
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
                {filtered.then(|| view! { <a class="button" href="?">"Clear"</a> })}
            </div>
        </Form>
    }
    .into_any();
    let pager = view! {
        <nav class="pager actions" aria-label="Orders pages">
            {previous.map(|c| view! { <a class="button" href=paged_address(&query.read_untracked(), &FILTERS, Some(("before", &c)))>"Previous"</a> })}
            {next.map(|c| view! { <a class="button" href=paged_address(&query.read_untracked(), &FILTERS, Some(("after", &c)))>"Next"</a> })}
        </nav>
    }
    .into_any();
    let list = if rows.is_empty() {
        ().into_any()
    } else {
        view! { <AwaitingTable rows shipments takes_shipments /> }.into_any()
    };
    view! {
        {shipped.map(|row| view! { <ShippedLine row /> })}
        <section aria-labelledby="orders-per-day-heading">
            <h2 id="orders-per-day-heading">"Orders per day"</h2>
            {chart}
        </section>
        <section aria-labelledby="orders-heading">
            <h2 id="orders-heading">"Orders awaiting shipping"</h2>
            {form}
            <p role="status">{found}</p>
            {list}
            {pager}
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
    }
}

/// What Mark shipped just recorded, at the top of the list: the order, the tracking and how its
/// sending goes (the tab reads its data again as that changes).
#[component]
fn ShippedLine(row: ShipmentRow) -> impl IntoView {
    let s = &row.shipment;
    let class = if s.state == ShipmentState::Failed { "banner" } else { "banner done" };
    let words = format!("Marked {} shipped: {} {}. {}", row.order_name, s.carrier, s.tracking_number, state_text(s));
    view! {
        <div class=class role="status">
            <p>{words}</p>
        </div>
    }
}

/// One list, oldest order first, each row with the location that ships it.
#[component]
fn AwaitingTable(rows: Vec<AwaitingRow>, shipments: Vec<Shipment>, takes_shipments: bool) -> impl IntoView {
    let body = rows
        .into_iter()
        .map(|o| {
            let on_way: Vec<Shipment> = shipments
                .iter()
                .filter(|s| s.lines.iter().any(|l| l.fulfillment_order_id == o.fulfillment_order_id))
                .cloned()
                .collect();
            view! { <OrderRow o on_way takes_shipments /> }.into_any()
        })
        .collect_view();
    view! {
        <div class="scroll">
            <table aria-label="Orders awaiting shipping" class="cards">
                <thead>
                    <tr>
                        <th scope="col">"Order"</th>
                        <th scope="col">"Date"</th>
                        <th scope="col">"Customer"</th>
                        <th scope="col">"Ship to"</th>
                        <th scope="col">"Shipping method"</th>
                        <th scope="col">"Location"</th>
                        <th scope="col">"Items to ship"</th>
                        <th scope="col">"Weight"</th>
                        <th scope="col">"Shipping"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

#[component]
fn OrderRow(o: AwaitingRow, on_way: Vec<Shipment>, takes_shipments: bool) -> impl IntoView {
    let StoreContext { id, .. } = store_context();
    let query = use_query_map();
    let ship_label = format!("Mark {} shipped", o.name);
    // The form returns to this list as it is (search, filters, page).
    let ship_href = move || {
        let kept = kept_params(&query.read(), &["q", "location", "from", "to", "after"]).join("&");
        let kept = if kept.is_empty() { kept } else { format!("?{kept}") };
        format!("/stores/{}/ship/{}{kept}", id.get(), o.fulfillment_order_id)
    };
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
            let sku = i
                .sku
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| view! { " " <span class="nowrap">{format!("({s})")}</span> });
            view! { <li>{format!("{} × {}", thousands(i.quantity), i.title)} {sku}</li> }
        })
        .collect_view();
    // Erased: nested, the row's type grows past what the compiler lays out.
    let who = view! {
        <td data-label="Order" class="nowrap">{o.name}</td>
        <td data-label="Date" class="nowrap">{o.date}</td>
        <td data-label="Customer">{o.customer.unwrap_or_default()}</td>
        <td data-label="Ship to">{o.ship_to.unwrap_or_else(|| "No shipping address".into())}</td>
        <td data-label="Shipping method">{o.shipping_method.unwrap_or_default()}</td>
    }
    .into_any();
    let what = view! {
        <td data-label="Location">{o.location}</td>
        <td data-label="Items to ship">
            <ul class="items">{items}</ul>
        </td>
        <td class="num nowrap" data-label="Weight">{format!("{} g", thousands(o.total_weight))}</td>
    }
    .into_any();
    let shipping = view! {
        <td data-label="Shipping">
            <ul class="items">{states}</ul>
            {takes_shipments.then(|| view! { <a class="button" href=ship_href aria-label=ship_label>"Mark shipped"</a> })}
        </td>
    }
    .into_any();
    view! {
        <tr>
            {who}
            {what}
            {shipping}
        </tr>
    }
    .into_any()
}
