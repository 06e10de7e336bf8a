//! Mark orders shipped in a batch (`/orders/batch`): the orders chosen in the queue, a line
//! each, where the desk types or pastes each one's carrier and tracking number (CSV, or columns
//! copied from a spreadsheet). Check shows what every line would do; Mark shipped records each
//! ready line once, and the results follow each shipment to its store live, with Retry for a
//! failure.

use leptos::{ev, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{error_view, format::thousands, kept_params, queue::watch_changes, store::state_text};
use crate::{
    api::{
        batch::{batch_shipments, start_batch, BatchStart, CheckBatch, RecordBatch},
        queue::FILTERS,
        shipments::RetryShipment,
    },
    queue::BatchRow,
    shipments::{Shipment, ShipmentState},
};

#[component]
pub fn BatchPage() -> impl IntoView {
    let query = use_query_map();
    let chosen = move || {
        let query = query.read();
        let orders = query.get_all("order").map(|all| all.join(","));
        let filters = query.get("all").map(|_| kept_params(&query, &FILTERS).join("&"));
        (orders, filters)
    };
    let start = Resource::new(chosen, |(orders, filters)| start_batch(orders, filters));
    let back = move || {
        let kept = kept_params(&query.read(), &FILTERS);
        if kept.is_empty() {
            "/orders".to_owned()
        } else {
            format!("/orders?{}", kept.join("&"))
        }
    };
    view! {
        <Title text="Mark orders shipped · storelink" />
        <h1>"Mark orders shipped"</h1>
        <p>
            <a href=back>"Back to the orders"</a>
        </p>
        <Suspense fallback=|| view! { <p>"Loading the orders…"</p> }>
            {move || Suspend::new(async move {
                match start.await {
                    Ok(start) => view! { <Batch start /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Batch(start: BatchStart) -> impl IntoView {
    let BatchStart { lines, selected, orders, capped } = start;
    let text = RwSignal::new(lines);
    let notify = RwSignal::new(true);
    let check = ServerAction::<CheckBatch>::new();
    let record = ServerAction::<RecordBatch>::new();
    let selected = StoredValue::new(selected);
    let request =
        move || (text.get_untracked(), Some(selected.get_value()), notify.get_untracked().then(|| "on".to_owned()));
    let on_check = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let (shipments, selected, notify) = request();
        check.dispatch(CheckBatch { shipments, selected, notify });
    };
    let on_record = move |_| {
        let (shipments, selected, notify) = request();
        record.dispatch(RecordBatch { shipments, selected, notify });
    };
    let intro = match (orders, capped) {
        (0, _) => "Write or paste one line an order.".to_owned(),
        (n, false) => format!(
            "{} chosen in the queue, one line each: add each one's carrier and tracking number.",
            orders_word(n)
        ),
        (n, true) => format!(
            "The oldest {} of the orders chosen (a batch takes at most that many), one line each.",
            thousands(n as i64)
        ),
    };
    let field_error = move || {
        let failed = record.value().get().and_then(Result::err).or_else(|| check.value().get().and_then(Result::err));
        failed.map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })
    };
    view! {
        <p>{intro}</p>
        <form on:submit=on_check>
            <label for="shipments">
                "Shipments: one line an order, with its carrier, its tracking number and, if there is one, its tracking URL, separated by commas (or columns pasted from a spreadsheet)"
            </label>
            <textarea
                id="shipments"
                name="shipments"
                rows="12"
                spellcheck="false"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            <label class="inline">
                <input
                    type="checkbox"
                    name="notify"
                    prop:checked=move || notify.get()
                    on:change=move |ev| notify.set(event_target_checked(&ev))
                />
                " Email each customer their tracking"
            </label>
            {field_error}
            <div class="actions">
                <button type="submit" disabled=move || check.pending().get()>"Check"</button>
            </div>
        </form>
        {move || {
            record.value().get().and_then(Result::ok).map(|rows| view! { <Results rows /> }.into_any()).or_else(|| {
                check.value().get().and_then(Result::ok).map(|rows| {
                    let ready = rows.iter().filter(|r| r.problem.is_none()).count();
                    view! { <Preview rows ready on_record pending=record.pending() /> }.into_any()
                })
            })
        }}
    }
}

fn orders_word(n: usize) -> String {
    if n == 1 {
        "1 order".to_owned()
    } else {
        format!("{} orders", thousands(n as i64))
    }
}

/// What each line would do: its order and store, or why it cannot be recorded.
#[component]
fn Preview(
    rows: Vec<BatchRow>,
    ready: usize,
    on_record: impl Fn(ev::MouseEvent) + 'static,
    pending: Memo<bool>,
) -> impl IntoView {
    let refused = rows.len() - ready;
    let summary = match refused {
        0 => format!("All {} ready to record.", orders_word(ready)),
        n => format!("{} ready; {} cannot be recorded as written.", orders_word(ready), orders_word(n)),
    };
    let label = format!("Mark {} shipped", orders_word(ready));
    view! {
        <section aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Checked"</h2>
            <p role="status">{summary}</p>
            <LinesTable rows=rows.into_iter().map(|r| { let said = r.problem.clone().unwrap_or_else(|| "Ready".into()); (r, said) }).collect() />
            {(ready > 0).then(|| view! {
                <div class="actions">
                    <button type="button" on:click=on_record disabled=move || pending.get()>{label}</button>
                </div>
            })}
        </section>
    }
}

/// Each line's outcome, and each recorded shipment's sending as it goes.
#[component]
fn Results(rows: Vec<BatchRow>) -> impl IntoView {
    let changed = RwSignal::new(0u64);
    watch_changes(changed);
    let retry = ServerAction::<RetryShipment>::new();
    Effect::new(move |_| {
        if retry.version().get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let ids: String =
        rows.iter().filter_map(|r| r.shipment.as_ref()).map(|s| s.id.0.to_string()).collect::<Vec<_>>().join(",");
    let states = Resource::new(move || changed.get(), move |_| batch_shipments(ids.clone()));
    let rows = StoredValue::new(rows);
    view! {
        <section aria-labelledby="results-heading">
            <h2 id="results-heading">"Recorded"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let now: Vec<Shipment> = states.await.unwrap_or_default();
                    let rows = rows.get_value();
                    let current = |row: &BatchRow| {
                        row.shipment.as_ref().map(|s| now.iter().find(|n| n.id == s.id).cloned().unwrap_or_else(|| s.clone()))
                    };
                    let (mut sent, mut failed, mut recorded) = (0, 0, 0);
                    let lines: Vec<(BatchRow, String)> = rows
                        .into_iter()
                        .map(|row| {
                            let said = match (current(&row), &row.problem) {
                                (Some(s), _) => {
                                    recorded += 1;
                                    match s.state {
                                        ShipmentState::Sent => sent += 1,
                                        ShipmentState::Failed => failed += 1,
                                        _ => {}
                                    }
                                    let before = if row.created { "" } else { "Recorded before. " };
                                    format!("{before}{}", state_text(&s))
                                }
                                (None, Some(problem)) => format!("Not recorded: {problem}"),
                                (None, None) => "Not recorded".into(),
                            };
                            (row, said)
                        })
                        .collect();
                    let summary = format!(
                        "{} recorded: {} sent to their stores, {} failed.",
                        orders_word(recorded),
                        thousands(sent),
                        thousands(failed)
                    );
                    let failures: Vec<Shipment> = now.iter().filter(|s| s.state == ShipmentState::Failed).cloned().collect();
                    view! {
                        <p role="status">{summary}</p>
                        <LinesTable rows=lines />
                        {(!failures.is_empty()).then(|| view! {
                            <ul class="actions">
                                {failures.into_iter().map(|s| {
                                    let label = format!("Retry {} {}", s.carrier, s.tracking_number);
                                    view! {
                                        <li>
                                            <ActionForm action=retry>
                                                <input type="hidden" name="store_id" value=s.store_id.0.to_string() />
                                                <input type="hidden" name="shipment_id" value=s.id.0.to_string() />
                                                <button type="submit" aria-label=label>"Retry"</button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })}
                    }
                })}
            </Transition>
        </section>
    }
}

/// The lines of a batch, each with what is said of it.
#[component]
fn LinesTable(rows: Vec<(BatchRow, String)>) -> impl IntoView {
    view! {
        <div class="scroll">
            <table aria-label="Lines of the batch" class="cards">
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Order"</th>
                        <th scope="col">"Store"</th>
                        <th scope="col">"Carrier"</th>
                        <th scope="col">"Tracking number"</th>
                        <th scope="col">"Result"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|(row, said)| {
                            view! {
                                <tr>
                                    <td data-label="Line" class="num">{row.line}</td>
                                    <td data-label="Order">{row.order}</td>
                                    <td data-label="Store">{row.store_name.unwrap_or_default()}</td>
                                    <td data-label="Carrier">{row.carrier}</td>
                                    <td data-label="Tracking number">{row.tracking_number}</td>
                                    <td data-label="Result">{said}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
