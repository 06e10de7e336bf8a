//! The store's shipments: the failed write-backs first (what failed, why, Retry, Dismiss), then
//! the latest of all with their states, live.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{store_context, StoreContext};
use crate::{
    api::shipments::{get_shipment, store_shipments, CorrectTracking, DismissShipment, RetryShipment, ShipmentRow},
    ids::ShipmentId,
    shipments::{Shipment, ShipmentState, MAX_TRACKING_NUMBER, MAX_TRACKING_URL},
    ui::{error_view, form_error::FormError, format::format_utc, query_error},
};

#[component]
pub fn ShipmentsTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let retry = ServerAction::<RetryShipment>::new();
    let dismiss = ServerAction::<DismissShipment>::new();
    let tab = Resource::new(
        move || (id.get(), changed.get(), retry.version().get(), dismiss.version().get()),
        |(id, ..)| store_shipments(id),
    );
    let action_error = move || {
        [retry.value().get(), dismiss.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })
    };
    view! {
        <Transition fallback=|| view! { <p>"Loading the shipments…"</p> }>
            {move || Suspend::new(async move {
                match tab.await {
                    Ok(tab) => {
                        let failed = if tab.failed.is_empty() {
                            view! { <p>"No write-back to the store has failed."</p> }.into_any()
                        } else {
                            view! { <ShipmentTable rows=tab.failed label="Failed write-backs" actions=Some((retry, dismiss)) /> }
                                .into_any()
                        };
                        let recent = if tab.recent.is_empty() {
                            view! { <p>"No shipment recorded yet."</p> }.into_any()
                        } else {
                            view! { <ShipmentTable rows=tab.recent label="Latest shipments" actions=None /> }.into_any()
                        };
                        view! {
                            <section aria-labelledby="failed-heading">
                                <h2 id="failed-heading">"Failed write-backs"</h2>
                                {action_error}
                                {failed}
                            </section>
                            <section aria-labelledby="recent-heading">
                                <h2 id="recent-heading">"Latest shipments"</h2>
                                {recent}
                            </section>
                        }
                            .into_any()
                    }
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

/// A shipment's state in words, with why it failed or waits.
pub fn state_text(s: &Shipment) -> String {
    match (s.state, s.reason.as_deref()) {
        (ShipmentState::Sent, _) if s.tracking_changed => "Sent to the store; new tracking on its way".into(),
        (ShipmentState::Sent, Some(reason)) => format!("Sent to the store; the new tracking was refused: {reason}"),
        (ShipmentState::Pending, Some(reason)) => format!("Pending: {reason}"),
        (ShipmentState::Failed, Some(reason)) => format!("Failed: {reason}"),
        (state, _) => state.label().into(),
    }
}

#[component]
pub fn ShipmentTable(
    rows: Vec<ShipmentRow>,
    label: &'static str,
    actions: Option<(ServerAction<RetryShipment>, ServerAction<DismissShipment>)>,
) -> impl IntoView {
    let StoreContext { id, .. } = store_context();
    let body = rows
        .into_iter()
        .map(|row| {
            let state = state_text(&row.shipment);
            let s = row.shipment.clone();
            let tracking = match &s.tracking_url {
                Some(url) => view! { <a href=url.clone() rel="noreferrer">{s.tracking_number.clone()}</a> }.into_any(),
                None => s.tracking_number.clone().into_any(),
            };
            let items: i64 = s.lines.iter().map(|l| l.quantity).sum();
            let buttons = actions.map(|(retry, dismiss)| {
                let shipment_id = s.id.to_string();
                let other_id = shipment_id.clone();
                let (retry_label, dismiss_label) = (
                    format!("Retry the shipment of {}", row.order_name),
                    format!("Dismiss the shipment of {}", row.order_name),
                );
                view! {
                    <td class="actions" data-label="Actions">
                        <ActionForm action=retry attr:class="inline">
                            <input type="hidden" name="store_id" value=move || id.get().to_string() />
                            <input type="hidden" name="shipment_id" value=shipment_id.clone() />
                            <button type="submit" aria-label=retry_label>"Retry"</button>
                        </ActionForm>
                        <ActionForm action=dismiss attr:class="inline">
                            <input type="hidden" name="store_id" value=move || id.get().to_string() />
                            <input type="hidden" name="shipment_id" value=other_id />
                            <button type="submit" aria-label=dismiss_label>"Dismiss"</button>
                        </ActionForm>
                    </td>
                }
                .into_any()
            });
            // A recorded shipment's tracking may be corrected (written back to the store once it is there).
            let correct = matches!(s.state, ShipmentState::Pending | ShipmentState::Sent).then(|| {
                let href = format!("/stores/{}/shipments/{}", id.get_untracked(), s.id);
                let label = format!("Correct the tracking of {}", row.order_name);
                view! { " " <a href=href aria-label=label>"Correct"</a> }
            });
            // Erased: nested, the row's type grows past what the compiler lays out.
            let cells = view! {
                    <td data-label="Order">{row.order_name.clone()}</td>
                    <td data-label="Carrier">{s.carrier.clone()}</td>
                    <td data-label="Tracking">{tracking} {correct}</td>
            }
            .into_any();
            view! {
                <tr>
                    {cells}
                    <td class="num" data-label="Items">{items.to_string()}</td>
                    <td data-label="State">{state}</td>
                    <td data-label="Recorded">{format!("{} by {}", format_utc(s.created_at), s.recorded_by)}</td>
                    {buttons}
                </tr>
            }
            .into_any()
        })
        .collect_view();
    view! {
        <div class="scroll">
            <table aria-label=label class="cards">
                <thead>
                    <tr>
                        <th scope="col">"Order"</th>
                        <th scope="col">"Carrier"</th>
                        <th scope="col">"Tracking"</th>
                        <th scope="col">"Items"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Recorded"</th>
                        {actions.is_some().then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Correct a shipment's tracking number or link: the new one goes to Shopify once the shipment
/// is there. Works before the page hydrates; each field's error shows beside it.
#[component]
pub fn CorrectTrackingPage() -> impl IntoView {
    let StoreContext { id, .. } = store_context();
    let params = use_params_map();
    let shipment = move || params.read().get("shipment").and_then(|v| v.parse::<ShipmentId>().ok()).unwrap_or_default();
    let row = Resource::new(move || (id.get(), shipment()), |(id, shipment)| get_shipment(id, shipment));
    view! {
        <Transition fallback=|| view! { <p>"Loading the shipment…"</p> }>
            {move || Suspend::new(async move {
                match row.await {
                    Ok(row) => view! { <CorrectTrackingForm row /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

#[component]
fn CorrectTrackingForm(row: ShipmentRow) -> impl IntoView {
    let StoreContext { id, .. } = store_context();
    let correct = ServerAction::<CorrectTracking>::new();
    let from_query = query_error();
    let errors = FormError::new(
        move || correct.value().get().and_then(Result::err).or_else(from_query),
        &["tracking_number", "tracking_url"],
    );
    let s = row.shipment;
    view! {
        <section aria-labelledby="correct-heading" class="card">
            <h2 id="correct-heading">{format!("Correct the tracking of {}", row.order_name)}</h2>
            <p>{format!("{} · {}", s.carrier, state_text(&s))}</p>
            <ActionForm action=correct>
                <input type="hidden" name="store_id" value=move || id.get().to_string() />
                <input type="hidden" name="shipment_id" value=s.id.to_string() />
                <label for="tracking-number">"Tracking number"</label>
                <input
                    id="tracking-number"
                    name="tracking_number"
                    required
                    maxlength=MAX_TRACKING_NUMBER.to_string()
                    autocomplete="off"
                    value=s.tracking_number.clone()
                />
                {errors.beside("tracking_number")}
                <label for="tracking-url">"Tracking URL (optional)"</label>
                <input
                    id="tracking-url"
                    name="tracking_url"
                    type="url"
                    maxlength=MAX_TRACKING_URL.to_string()
                    value=s.tracking_url.clone().unwrap_or_default()
                />
                {errors.beside("tracking_url")}
                {errors.general()}
                <div class="actions">
                    <button type="submit" class="primary">"Save the tracking"</button>
                    <a href=move || format!("/stores/{}/shipments", id.get())>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}
