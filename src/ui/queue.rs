//! The desk's queue at `/orders`: every connected store's orders awaiting shipping in one list,
//! oldest first, each labelled with its store and platform; filtered by store, platform,
//! location, ship-to country, age and state and searched by order, customer, email or SKU, all in the address so
//! a view can be bookmarked and shared; a page at a time both ways; and live: an order that
//! arrives or leaves shows without a reload, in every browser watching.

use std::{cell::RefCell, collections::HashMap};

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    error_view,
    format::{format_day, thousands},
    kept_params, live, paged_address,
    store::state_text,
    stores::DriftLine,
};
use crate::{
    api::queue::{
        queue, ClaimOrder, DeleteView, HoldOrder, QueueStore, QueueView, ReleaseOrder, SaveView, UnclaimOrder, FILTERS,
    },
    drift::DriftCheck,
    error::AppError,
    ids::{ShipmentId, StoreId},
    jobs::Live,
    platforms::Platform,
    queue::{Marks, SavedView},
    records::{AwaitingRow, QueueState},
    shipments::{Shipment, ShipmentState},
    users::UserDto,
};

/// The ages a desk filters by, in days.
const AGES: [(i64, &str); 3] = [(1, "Older than 1 day"), (2, "Older than 2 days"), (5, "Older than 5 days")];

#[component]
pub fn QueuePage() -> impl IntoView {
    let query = use_query_map();
    let changed = RwSignal::new(0u64);
    provide_context(Changed(changed));
    provide_context(Desk::new(changed));
    watch_changes(changed);
    let param = move |name: &str| query.read().get(name).filter(|v| !v.is_empty());
    let key = move || {
        (
            changed.get(),
            (param("store").and_then(|s| s.parse::<i64>().ok()).map(StoreId), param("platform"), param("q")),
            (
                param("location"),
                param("country"),
                param("older_than").and_then(|d| d.parse::<i64>().ok()),
                param("state"),
            ),
            (param("after"), param("before")),
            (
                param("shipped").and_then(|s| s.parse::<i64>().ok()).map(ShipmentId),
                param("shipped_store").and_then(|s| s.parse::<i64>().ok()).map(StoreId),
            ),
        )
    };
    let page = Resource::new(
        key,
        |(
            _,
            (store, platform, q),
            (location, country, older_than, state),
            (after, before),
            (shipped, shipped_store),
        )| {
            queue(store, platform, q, location, country, older_than, state, after, before, shipped, shipped_store)
        },
    );
    view! {
        <Title text="Orders · storelink" />
        <h1>"Orders"</h1>
        <Transition fallback=|| view! { <p>"Loading the orders…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(view) => view! { <Queue view /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

/// Whether "Select every order on this page" is ticked: every row's box follows it.
#[derive(Clone, Copy)]
struct SelectAll(RwSignal<bool>);

/// Moved to read the queue again (an action on a row succeeded, or the stream said so).
#[derive(Clone, Copy)]
struct Changed(RwSignal<u64>);

/// Moves `changed` whenever what awaits shipping may have changed in any store: a sync ended,
/// a webhook delivered, a shipment was recorded, a store changed.
pub(super) fn watch_changes(changed: RwSignal<u64>) {
    let seen: RefCell<HashMap<StoreId, (bool, i64)>> = RefCell::default();
    live::watch(None, move |line| match line {
        Live::Progress(update) => {
            let now = (update.active(), update.deliveries);
            let before = seen.borrow_mut().insert(update.store_id, now);
            let moved = match before {
                // The first word of a store: the page was read with it already.
                None => false,
                Some((was_active, deliveries)) => (was_active && !now.0) || deliveries != now.1,
            };
            if moved {
                changed.update(|n| *n += 1);
            }
        }
        Live::Store { .. } => changed.update(|n| *n += 1),
    });
}

/// "3 days", "5 hours", "under an hour": how long an order has waited.
fn age(created_at: Option<i64>, now: i64) -> String {
    let Some(created_at) = created_at else { return "Unknown".into() };
    let secs = (now - created_at).max(0);
    let (n, unit) = match secs {
        0..=3599 => return "Under an hour".into(),
        3600..=86_399 => (secs / 3600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[component]
fn Queue(view: QueueView) -> impl IntoView {
    let query = use_query_map();
    let value = move |name: &str| query.read().get(name).unwrap_or_default();
    let QueueView {
        awaiting,
        ages,
        stores,
        countries,
        shipments,
        marks,
        views,
        whereabouts,
        checks,
        viewer,
        shipped,
        now,
    } = view;
    let Desk { refused, .. } = expect_context::<Desk>();
    let checked = accounted_for(&stores, checks, now);
    let searched = value("q").trim().to_owned();
    let where_is = where_is(&searched, whereabouts);
    // Mark shipped came back here: what it recorded, and how its sending goes.
    let shipped = shipped.map(|row| {
        let s = &row.shipment;
        let class = if s.state == ShipmentState::Failed { "banner" } else { "banner done" };
        let words =
            format!("Marked {} shipped: {} {}. {}", row.order_name, s.carrier, s.tracking_number, state_text(s));
        view! {
            <div class=class role="status">
                <p>{words}</p>
            </div>
        }
    });
    let filtered = FILTERS.iter().any(|n| !value(n).is_empty());
    let saved = view! { <SavedViews views viewer=viewer.clone() filtered /> };
    let waited = match ages.oldest {
        None => "Nothing awaits shipping in any store.".to_owned(),
        Some(oldest) => format!(
            "The oldest order has waited {}. Older than 1 day: {}; 2 days: {}; 5 days: {}.",
            age(Some(oldest), now).to_lowercase(),
            thousands(ages.older_than_1_day),
            thousands(ages.older_than_2_days),
            thousands(ages.older_than_5_days),
        ),
    };
    let found = match (awaiting.total, filtered) {
        (0, true) => "No order awaiting shipping matches.".to_owned(),
        (0, false) => "Nothing awaits shipping.".to_owned(),
        _ => format!(
            "{} {} awaiting shipping{}, in {} {}.",
            thousands(awaiting.orders),
            if awaiting.orders == 1 { "order" } else { "orders" },
            if filtered { " match" } else { "" },
            thousands(awaiting.total),
            if awaiting.total == 1 { "parcel from one location" } else { "parcels, each from one location" },
        ),
    };
    let form = filters(&stores, awaiting.locations.clone(), countries, value, filtered);
    let pager = view! {
        <nav class="pager actions" aria-label="Orders pages">
            {awaiting.previous.map(|c| view! { <a class="button" href=paged_address(&query.read_untracked(), &FILTERS, Some(("before", &c)))>"Previous"</a> })}
            {awaiting.next.map(|c| view! { <a class="button" href=paged_address(&query.read_untracked(), &FILTERS, Some(("after", &c)))>"Next"</a> })}
        </nav>
    }
    .into_any();
    let list = if awaiting.rows.is_empty() {
        ().into_any()
    } else {
        let every = RwSignal::new(false);
        provide_context(SelectAll(every));
        let matching = awaiting.orders;
        let all_href = {
            let mut kept = vec!["all=1".to_owned()];
            kept.extend(kept_params(&query.read_untracked(), &FILTERS));
            format!("/orders/batch?{}", kept.join("&"))
        };
        let all_label = if matching as usize > crate::queue::MAX_BATCH {
            format!("Mark the oldest {} that match shipped…", thousands(crate::queue::MAX_BATCH as i64))
        } else {
            format!("Mark all {} that match shipped…", thousands(matching))
        };
        view! {
            <form id="batch-selection" class="actions batch" action="/orders/batch" method="get">
                <label class="inline">
                    <input
                        type="checkbox"
                        prop:checked=move || every.get()
                        on:change=move |ev| every.set(event_target_checked(&ev))
                    />
                    " Select every order on this page"
                </label>
                <button type="submit">"Mark selected shipped…"</button>
                <a class="button" href=all_href>{all_label}</a>
            </form>
            {move || refused.get().map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })}
            <QueueTable rows=awaiting.rows stores shipments marks viewer now />
        }
        .into_any()
    };
    view! {
        {shipped}
        <p class="lead">{waited}</p>
        {checked}
        <section aria-labelledby="queue-heading">
            <h2 id="queue-heading">"Orders awaiting shipping in every store"</h2>
            {saved}
            {form}
            <p role="status">{found}</p>
            {where_is}
            {list}
            {pager}
        </section>
    }
}

/// Whether the queue holds all each store says awaits shipping: one line when every checked
/// store agrees, else each store that does not, with what differs.
fn accounted_for(stores: &[QueueStore], checks: Vec<DriftCheck>, now: i64) -> Option<AnyView> {
    let oldest = checks.iter().map(|c| c.checked_at).min()?;
    let differing: Vec<DriftCheck> = checks.into_iter().filter(|c| !c.unresolved.is_empty()).collect();
    if differing.is_empty() {
        let stores = stores.len();
        let line = format!(
            "Nothing missing: every order each store says awaits shipping is here (checked {} ago{}).",
            age(Some(oldest), now).to_lowercase(),
            if stores > 1 { " at the latest" } else { "" }
        );
        return Some(view! { <p class="note drift">{line}</p> }.into_any());
    }
    Some(
        view! {
            <section class="drift differs" aria-label="Orders the stores and storelink disagree on">
                {differing
                    .into_iter()
                    .map(|check| {
                        let name = stores.iter().find(|s| s.id == check.store_id).map(|s| s.name.clone()).unwrap_or_default();
                        view! {
                            <h3>{name}</h3>
                            <DriftLine check now />
                        }
                    })
                    .collect_view()}
            </section>
        }
        .into_any(),
    )
}

/// For a search: every order of that name in any store, and why it is or is not in the queue;
/// for an order number no store has, that.
fn where_is(searched: &str, whereabouts: Vec<crate::queue::Whereabouts>) -> Option<AnyView> {
    let order_like = {
        let bare = searched.trim_start_matches('#');
        !bare.is_empty()
            && bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && bare.chars().any(|c| c.is_ascii_digit())
    };
    if whereabouts.is_empty() && !order_like {
        return None;
    }
    let items = match whereabouts.is_empty() {
        true => view! { <li>{format!("No store storelink holds has an order {searched}.")}</li> }.into_any(),
        false => whereabouts
            .into_iter()
            .map(|w| view! { <li><strong>{w.order_name}</strong> {format!(" in {}: {}", w.store_name, w.why)}</li> })
            .collect_view()
            .into_any(),
    };
    Some(
        view! {
            <section aria-labelledby="where-heading" class="where">
                <h3 id="where-heading">{format!("Where is {searched}?")}</h3>
                <ul>{items}</ul>
            </section>
        }
        .into_any(),
    )
}

/// The filters and the search, sent as the address's query.
fn filters(
    stores: &[QueueStore],
    locations: Vec<String>,
    mut countries: Vec<String>,
    value: impl Fn(&str) -> String + Copy + Send + Sync + 'static,
    filtered: bool,
) -> AnyView {
    let option = |key: String, label: String, chosen: &str| {
        let selected = key == chosen;
        view! { <option value=key selected=selected>{label}</option> }
    };
    let store_options = stores
        .iter()
        .map(|s| option(s.id.to_string(), format!("{} ({})", s.name, s.platform.label()), &value("store")))
        .collect_view();
    let platform_options = Platform::ALL
        .into_iter()
        .filter(|p| stores.iter().any(|s| s.platform == *p))
        .map(|p| option(p.slug().to_owned(), p.label().to_owned(), &value("platform")))
        .collect_view();
    let location_options = locations.into_iter().map(|l| option(l.clone(), l, &value("location"))).collect_view();
    // The chosen country stays a choice after the last order going there has shipped, so the
    // form still shows what the list is filtered by.
    let country = value("country").trim().to_ascii_uppercase();
    if !country.is_empty() && !countries.contains(&country) {
        countries.push(country.clone());
        countries.sort();
    }
    let country_options = countries.into_iter().map(|c| option(c.clone(), c, &country)).collect_view();
    let age_options = AGES
        .into_iter()
        .map(|(days, label)| option(days.to_string(), label.to_owned(), &value("older_than")))
        .collect_view();
    let state_options = QueueState::ALL
        .into_iter()
        .map(|s| option(s.key().to_owned(), s.label().to_owned(), &value("state")))
        .collect_view();
    view! {
        <Form method="GET" action="">
            <div class="filters">
                <div>
                    <label for="q">"Search"</label>
                    <input id="q" type="search" name="q" value=value("q") placeholder="Order, customer, email or SKU" />
                </div>
                <div>
                    <label for="store">"Store"</label>
                    <select id="store" name="store">
                        <option value="">"All stores"</option>
                        {store_options}
                    </select>
                </div>
                <div>
                    <label for="platform">"Platform"</label>
                    <select id="platform" name="platform">
                        <option value="">"All platforms"</option>
                        {platform_options}
                    </select>
                </div>
                <div>
                    <label for="location">"Location"</label>
                    <select id="location" name="location">
                        <option value="">"All locations"</option>
                        {location_options}
                    </select>
                </div>
                <div>
                    <label for="country">"Ship-to country"</label>
                    <select id="country" name="country">
                        <option value="">"All countries"</option>
                        {country_options}
                    </select>
                </div>
                <div>
                    <label for="older_than">"Age"</label>
                    <select id="older_than" name="older_than">
                        <option value="">"Any age"</option>
                        {age_options}
                    </select>
                </div>
                <div>
                    <label for="state">"State"</label>
                    <select id="state" name="state">
                        <option value="">"Any state"</option>
                        {state_options}
                    </select>
                </div>
                <button type="submit">"Search"</button>
                {filtered.then(|| view! { <a class="button" href="?">"Clear"</a> })}
            </div>
        </Form>
    }
    .into_any()
}

#[component]
fn QueueTable(
    rows: Vec<AwaitingRow>,
    stores: Vec<QueueStore>,
    shipments: Vec<Shipment>,
    marks: Vec<Marks>,
    viewer: UserDto,
    now: i64,
) -> impl IntoView {
    // Mark shipped returns to the queue as it is (filters, page); the table is drawn again
    // whenever the address changes.
    let back: std::sync::Arc<str> = {
        let names: Vec<&str> = FILTERS.iter().copied().chain(["after"]).collect();
        let kept = kept_params(&use_query_map().read_untracked(), &names);
        std::iter::once("queue=1".to_owned()).chain(kept).collect::<Vec<_>>().join("&").into()
    };
    let body = rows
        .into_iter()
        .map(|o| {
            let store = stores.iter().find(|s| s.id == o.store_id).cloned();
            let on_way: Vec<Shipment> = shipments
                .iter()
                .filter(|s| {
                    s.store_id == o.store_id && s.lines.iter().any(|l| l.fulfillment_order_id == o.fulfillment_order_id)
                })
                .cloned()
                .collect();
            let marks = marks.iter().find(|m| m.store_id == o.store_id && m.order_id == o.order_id).cloned();
            view! { <QueueRow o back=back.clone() store on_way marks viewer=viewer.clone() now /> }.into_any()
        })
        .collect_view();
    view! {
        <div class="scroll">
            <table aria-label="Orders awaiting shipping" class="cards">
                <thead>
                    <tr>
                        <th scope="col">"Store"</th>
                        <th scope="col">"Order"</th>
                        <th scope="col">"Age"</th>
                        <th scope="col">"Customer"</th>
                        <th scope="col">"Ship to"</th>
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
fn QueueRow(
    o: AwaitingRow,
    /// The address's parameters that bring Mark shipped back to the queue as it is.
    back: std::sync::Arc<str>,
    store: Option<QueueStore>,
    on_way: Vec<Shipment>,
    marks: Option<Marks>,
    viewer: UserDto,
    now: i64,
) -> impl IntoView {
    let SelectAll(every) = expect_context::<SelectAll>();
    let ship_label = format!("Mark {} shipped", o.name);
    let (store_id, fo) = (o.store_id, o.fulfillment_order_id);
    let ship_href = format!("/stores/{store_id}/ship/{fo}?{back}");
    let (store_name, platform) =
        store.map_or_else(|| (format!("Store {store_id}"), String::new()), |s| (s.name, s.platform.label().to_owned()));
    let states = on_way
        .into_iter()
        .map(|s| view! { <li>{format!("{} {}: {}", s.carrier, s.tracking_number, state_text(&s))}</li> })
        .collect_view();
    let hold = marks.as_ref().and_then(|m| m.hold.clone());
    let claim = marks.and_then(|m| m.claim);
    let state = match &hold {
        Some(hold) => {
            let until = hold
                .until
                .map(|u| format!(" until {}", format_day((u - 86_400).div_euclid(86_400))))
                .unwrap_or_default();
            format!("On hold{until}: {} (by {})", hold.reason, hold.by)
        }
        None => o.state.label().to_owned(),
    };
    let desk =
        view! { <DeskActions store_id name=o.name.clone() order_id=o.order_id held=hold.is_some() claim viewer /> };
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
        <td data-label="Store">
            {store_name} <span class="platform-label">{platform}</span>
        </td>
        <td data-label="Order" class="nowrap">
            <input
                type="checkbox"
                name="order"
                form="batch-selection"
                value=format!("{}:{}", store_id.0, o.order_id)
                aria-label=format!("Select {}", o.name)
                prop:checked=move || every.get()
            />
            " "
            {o.name}
        </td>
        <td data-label="Age" class="nowrap">{age(o.created_at, now)}</td>
        <td data-label="Customer">{o.customer.unwrap_or_default()}</td>
        <td data-label="Ship to">
            {o.ship_to.unwrap_or_else(|| "No shipping address".into())}
            {o.ship_to_country.map(|c| view! { <span class="country-label">{c}</span> })}
        </td>
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
            <p>{state}</p>
            <ul class="items">{states}</ul>
            <a class="button" href=ship_href aria-label=ship_label>"Mark shipped"</a>
            {desk}
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

/// The desk's four actions, one of each for the page, kept while the queue is read again: every
/// row's forms send through them, and what the last one answered stays shown above the table.
#[derive(Clone, Copy)]
struct Desk {
    claim: ServerAction<ClaimOrder>,
    unclaim: ServerAction<UnclaimOrder>,
    hold: ServerAction<HoldOrder>,
    release: ServerAction<ReleaseOrder>,
    /// What the last action to finish refused, if it did.
    refused: RwSignal<Option<AppError>>,
}

impl Desk {
    /// Once done, each says what it refused, or reads the queue again (through `changed`): a
    /// refusal changed nothing, and the form stays as typed to be put right.
    fn new(changed: RwSignal<u64>) -> Desk {
        let refused = RwSignal::new(None);
        let desk = Desk {
            claim: ServerAction::new(),
            unclaim: ServerAction::new(),
            hold: ServerAction::new(),
            release: ServerAction::new(),
            refused,
        };
        let answered = move |answer: Option<Result<(), AppError>>| match answer {
            Some(Ok(())) => {
                refused.set(None);
                changed.update(|n| *n += 1);
            }
            Some(Err(err)) => refused.set(Some(err)),
            None => {}
        };
        Effect::new(move |_| answered(desk.claim.value().get()));
        Effect::new(move |_| answered(desk.unclaim.value().get()));
        Effect::new(move |_| answered(desk.hold.value().get()));
        Effect::new(move |_| answered(desk.release.value().get()));
        desk
    }
}

/// Claim or let go of an order, hold it back or release it.
#[component]
fn DeskActions(
    store_id: StoreId,
    name: String,
    order_id: i64,
    held: bool,
    claim: Option<crate::queue::Claim>,
    viewer: UserDto,
) -> impl IntoView {
    let Desk { claim: claim_action, unclaim, hold, release, .. } = expect_context::<Desk>();
    let ids = move || {
        view! {
            <input type="hidden" name="store_id" value=store_id.to_string() />
            <input type="hidden" name="order_id" value=order_id.to_string() />
        }
    };
    let (release_claim_label, claim_label) = (format!("Release the claim on {name}"), format!("Claim {name}"));
    let claimed = match claim {
        Some(claim) => {
            let may_release = claim.user_id == viewer.id || viewer.is_admin();
            let words = if claim.user_id == viewer.id {
                "Claimed by you".to_owned()
            } else {
                format!("Claimed by {}", claim.email)
            };
            view! {
                <p>{words}</p>
                {may_release.then(|| view! {
                    <ActionForm action=unclaim attr:class="inline">
                        {ids()}
                        <button type="submit" aria-label=release_claim_label>"Release claim"</button>
                    </ActionForm>
                })}
            }
            .into_any()
        }
        None => view! {
            <ActionForm action=claim_action attr:class="inline">
                {ids()}
                <button type="submit" aria-label=claim_label>"Claim"</button>
            </ActionForm>
        }
        .into_any(),
    };
    let field = format!("{store_id}-{order_id}");
    let held_view = match held {
        true => view! {
            <ActionForm action=release attr:class="inline">
                {ids()}
                <button type="submit" aria-label=format!("Release the hold on {name}")>"Release hold"</button>
            </ActionForm>
        }
        .into_any(),
        false => view! {
            <details class="hold">
                <summary>{format!("Hold {name}…")}</summary>
                <ActionForm action=hold>
                    {ids()}
                    <label for=format!("reason-{field}")>"Reason"</label>
                    <input id=format!("reason-{field}") name="reason" required maxlength="500" />
                    <label for=format!("until-{field}")>"Until (optional)"</label>
                    <input id=format!("until-{field}") name="until" type="date" />
                    <button type="submit">{format!("Hold {name}")}</button>
                </ActionForm>
            </details>
        }
        .into_any(),
    };
    view! {
        <div class="desk-actions">
            {claimed}
            {held_view}
        </div>
    }
}

/// The saved views, each a link with what it finds now; and, for a filtered queue, a form that
/// saves it under a name (an administrator may share it with everyone).
#[component]
fn SavedViews(views: Vec<SavedView>, viewer: UserDto, filtered: bool) -> impl IntoView {
    let Changed(changed) = expect_context::<Changed>();
    let (save, delete) = (ServerAction::<SaveView>::new(), ServerAction::<DeleteView>::new());
    Effect::new(move |_| {
        if save.version().get() + delete.version().get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let query = use_query_map();
    let current = move || kept_params(&query.read(), &FILTERS).join("&");
    let admin = viewer.is_admin();
    let list = views
        .into_iter()
        .map(|v| {
            let count = v.count.map_or_else(|| "its filters no longer hold".to_owned(), thousands);
            let mine = v.user_id == viewer.id;
            let may_delete = mine || (v.shared && admin);
            let label = format!("Delete the view {}", v.name);
            view! {
                <li>
                    <a href=format!("/orders?{}", v.filters)>{v.name.clone()}</a>
                    " "
                    <span class="count">{format!("({count})")}</span>
                    {v.shared.then(|| view! { " " <span class="note">"shared"</span> })}
                    {may_delete.then(|| view! {
                        <ActionForm action=delete attr:class="inline">
                            <input type="hidden" name="id" value=v.id.to_string() />
                            <button type="submit" aria-label=label>"Delete"</button>
                        </ActionForm>
                    })}
                </li>
            }
        })
        .collect_view();
    let error = move || {
        [save.value().get(), delete.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })
    };
    let form = filtered.then(|| {
        view! {
            <ActionForm action=save attr:class="save-view">
                <input type="hidden" name="filters" value=current />
                <label for="view-name">"Save this view as"</label>
                <input id="view-name" name="name" required maxlength="80" />
                {admin.then(|| view! {
                    <label class="check"><input type="checkbox" name="shared" value="on" /> " Share with everyone"</label>
                })}
                <button type="submit">"Save view"</button>
            </ActionForm>
        }
    });
    view! {
        <nav aria-label="Saved views" class="saved-views">
            <ul>{list}</ul>
            {form}
            {error}
        </nav>
    }
}
