//! Mark shipped: the carrier, the tracking, and how many of each item leave in this parcel, for
//! one fulfillment order. It works before the page hydrates (a plain form post); each field's
//! error shows beside it; on success the orders tab shows the shipment on its way.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{store_context, StoreContext};
use crate::{
    api::shipments::{ship_form, RecordShipment, ShipFormData},
    shipments::{CARRIERS, MAX_CARRIER, MAX_TRACKING_NUMBER, MAX_TRACKING_URL},
    ui::{error_view, form_error::FormError, format::thousands, query_error},
};

#[component]
pub fn ShipPage() -> impl IntoView {
    let StoreContext { id, .. } = store_context();
    let params = use_params_map();
    let fulfillment_order = move || params.read().get("fo").and_then(|v| v.parse::<i64>().ok()).unwrap_or_default();
    let form = Resource::new(move || (id.get(), fulfillment_order()), |(id, fo)| ship_form(id, fo));
    view! {
        <Transition fallback=|| view! { <p>"Loading the order…"</p> }>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! { <Form form /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

#[component]
fn Form(form: ShipFormData) -> impl IntoView {
    let StoreContext { id, .. } = store_context();
    let record = ServerAction::<RecordShipment>::new();
    let from_query = query_error();
    let errors = FormError::new(
        move || record.value().get().and_then(Result::err).or_else(from_query),
        &["carrier", "carrier_other", "tracking_number", "tracking_url", "line_items"],
    );
    // The orders tab's search and filters, to return to them.
    let back = leptos_router::hooks::use_location().search.get_untracked().trim_start_matches('?').to_owned();
    let cancel = if back.is_empty() { String::new() } else { format!("?{back}") };
    // Opened from the queue (`queue=1`), the way back is the queue, as it was.
    let from_queue = back.split('&').any(|pair| pair == "queue=1");
    let row = form.row;
    let title = format!("Mark {} shipped", row.name);
    let destination = row.ship_to.clone().unwrap_or_else(|| "no shipping address".into());
    let items = row
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let label = format!("{} ({} to ship)", item.title, thousands(item.quantity));
            view! {
                <div class="quantity">
                    <input type="hidden" name=format!("lines[{i}][id]") value=item.line_item_id.unwrap_or_default().to_string() />
                    <label for=format!("quantity-{i}")>{label}</label>
                    <input
                        id=format!("quantity-{i}")
                        name=format!("lines[{i}][quantity]")
                        type="number"
                        min="0"
                        value=item.quantity.to_string()
                        aria-invalid=errors.invalid("line_items")
                        required
                    />
                </div>
            }
        })
        .collect_view();
    let carriers = CARRIERS.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view();
    view! {
        <section aria-labelledby="ship-heading" class="card">
            <h2 id="ship-heading">{title}</h2>
            <p>{format!("From {} to {}.", row.location, destination)}</p>
            // No browser check of its own: every error comes back at once, beside its field.
            <ActionForm action=record attr:novalidate=true>
                <input type="hidden" name="store_id" value=move || id.get().to_string() />
                <input type="hidden" name="order_id" value=row.order_id.to_string() />
                <input type="hidden" name="fulfillment_order_id" value=row.fulfillment_order_id.to_string() />
                <input type="hidden" name="key" value=form.key />
                <input type="hidden" name="back" value=back />
                <label for="carrier">"Carrier"</label>
                <select id="carrier" name="carrier" aria-invalid=errors.invalid("carrier")>
                    {carriers}
                    <option value="Other">"Other"</option>
                </select>
                {errors.beside("carrier")}
                <div class="carrier-other">
                    <label for="carrier-other">"Carrier's name"</label>
                    <input
                        id="carrier-other"
                        name="carrier_other"
                        maxlength=MAX_CARRIER.to_string()
                        autocomplete="off"
                        aria-invalid=errors.invalid("carrier_other")
                    />
                    {errors.beside("carrier_other")}
                </div>
                <label for="tracking-number">"Tracking number"</label>
                <input
                    id="tracking-number"
                    name="tracking_number"
                    maxlength=MAX_TRACKING_NUMBER.to_string()
                    autocomplete="off"
                    aria-invalid=errors.invalid("tracking_number")
                />
                {errors.beside("tracking_number")}
                <label for="tracking-url">"Tracking URL (optional)"</label>
                <input
                    id="tracking-url"
                    name="tracking_url"
                    type="url"
                    maxlength=MAX_TRACKING_URL.to_string()
                    aria-invalid=errors.invalid("tracking_url")
                />
                {errors.beside("tracking_url")}
                <fieldset>
                    <legend>"Items in this parcel"</legend>
                    {items}
                    {errors.beside("line_items")}
                </fieldset>
                <label class="check">
                    <input type="checkbox" name="notify_customer" value="on" />
                    "Email the customer the tracking"
                </label>
                {errors.general()}
                <div class="actions">
                    <button type="submit" class="primary">"Mark shipped"</button>
                    <a class="button" href=move || match from_queue {
                        true => format!("/orders{cancel}"),
                        false => format!("/stores/{}{}", id.get(), cancel),
                    }>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}
