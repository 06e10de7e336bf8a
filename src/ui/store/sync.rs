//! The synchronization tab: the current or last sync live (each part's phase, rate and time
//! left, the event log with when each event happened), the last syncs as a picture, and how
//! webhooks are doing.

use leptos::prelude::*;

use super::{store_context, StoreContext};
use crate::{
    api::stores::{store_sync, SyncTab as Tab, HISTORY_RUNS},
    jobs::{JobKind, Phase, StoreProgress, SyncRun},
    records,
    ui::{
        chart::BarChart,
        duration_words, error_view,
        format::{format_day, format_iso, thousands},
        format_utc, phase_words, relative_time,
    },
    webhooks::WebhookHealth,
};

#[component]
pub fn SyncTab() -> impl IntoView {
    let StoreContext { id, changed, .. } = store_context();
    let tab = Resource::new(move || (id.get(), changed.get()), |(id, _)| store_sync(id));
    view! {
        <Transition fallback=|| view! { <p>"Loading the synchronization…"</p> }>
            {move || Suspend::new(async move {
                match tab.await {
                    Ok(tab) => view! { <Sync tab /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Transition>
    }
}

#[component]
fn Sync(tab: Tab) -> impl IntoView {
    let StoreContext { progress, .. } = store_context();
    let read = tab.progress.clone();
    // The stream's latest snapshot, or until it has brought one the snapshot read with the tab.
    let current = move || progress.get().or_else(|| read.clone());
    // Each part's type erased: the nested view types would otherwise grow past what the
    // compiler lays out.
    let history = view! { <History runs=tab.history /> }.into_any();
    let webhooks = view! { <Webhooks health=tab.webhooks now=tab.now /> }.into_any();
    view! {
        <section aria-labelledby="sync-heading">
            <h2 id="sync-heading">"Synchronization"</h2>
            {move || current().map(|p| view! { <Parts p /> }.into_any())}
        </section>
        {history}
        {webhooks}
    }
}

/// Each part's bar and phase, the rate and time left, and the event log.
#[component]
fn Parts(p: StoreProgress) -> impl IntoView {
    let rows = records::Part::ALL
        .iter()
        .map(|resource| {
            let label = resource.label();
            let count = p.progress.resources.get(resource.key()).copied().unwrap_or_default();
            // A part's total is known once Shopify has counted it, or once it is done.
            let total = if count.phase == Some(Phase::Done) { Some(count.done) } else { count.total };
            let bar_label = format!("{label} synchronized");
            let (bar, figures) = match total.map(|t| t.max(count.done)) {
                Some(total) => (
                    view! { <progress max=total.max(1).to_string() value=count.done.to_string() aria-label=bar_label></progress> }
                        .into_any(),
                    format!("{} of {}", thousands(count.done), thousands(total)),
                ),
                None => (
                    view! { <progress aria-label=bar_label></progress> }.into_any(),
                    format!("{} so far", thousands(count.done)),
                ),
            };
            view! {
                <tr>
                    <th scope="row">{label}</th>
                    <td>{bar}</td>
                    <td class="num">{figures}</td>
                    <td class="note">{phase_words(&count, p.now)}</td>
                </tr>
            }
        })
        .collect_view();
    let rate = p.rate().map(|r| format!("{} records per second", thousands(r.round() as i64)));
    let left = p.active().then(|| p.seconds_left().map(|s| format!("about {} left", duration_words(s)))).flatten();
    let now = p.now;
    let events = p
        .progress
        .events
        .iter()
        .rev()
        .map(|e| {
            let when = (e.at > 0).then(|| {
                let words = format!("{}, {}", relative_time(e.at, now), format_utc(e.at));
                view! { <time datetime=format_iso(e.at)>{words}</time> }
            });
            let text = if e.at > 0 { format!(" — {}", e.text) } else { e.text.clone() };
            view! { <li>{when} {text}</li> }
        })
        .collect_view();
    view! {
        <div class="scroll">
            <table class="bars">
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p class="note">{[rate, left].into_iter().flatten().collect::<Vec<_>>().join(", ")}</p>
        <h3>"Events"</h3>
        <ol class="events">{events}</ol>
    }
}

/// The last syncs, each as a bar as long as it took, with its records in the table beside.
#[component]
fn History(runs: Vec<SyncRun>) -> impl IntoView {
    let body = if runs.is_empty() {
        view! { <p>"No synchronization has finished yet."</p> }.into_any()
    } else {
        let bars = runs
            .iter()
            .map(|run| {
                let kind = match run.kind {
                    JobKind::Full => "full",
                    JobKind::Incremental => "incremental",
                };
                let label = format!(
                    "{} {kind} sync, {} records, {}",
                    format_utc(run.started_at),
                    thousands(run.records),
                    run.state.label()
                );
                (label, (run.finished_at - run.started_at).max(0))
            })
            .collect();
        let first = runs.first().map(|r| format_day(r.started_at.div_euclid(86_400))).unwrap_or_default();
        view! {
            <BarChart
                id="sync-history"
                title=format!("How long each of the last {} syncs took, since {first}", runs.len())
                label_heading="Sync"
                value_heading="Duration"
                bars
                show=duration_words
            />
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="history-heading">
            <h2 id="history-heading">{format!("Last {HISTORY_RUNS} syncs")}</h2>
            {body}
        </section>
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
            Some(at) => view! { {thousands(health.rejected)} " (last " {when(Some(at), "")} ")" }.into_any(),
            None => thousands(health.rejected).into_any(),
        };
        view! {
            <dl class="facts">
                <dt>"Subscribed topics"</dt>
                <dd>
                    {format!("{} of {}: ", health.topics.len(), health.platform.topics().len())}
                    {health.topics.iter().map(|t| health.platform.topic_words(t)).collect::<Vec<_>>().join(", ")}
                </dd>
                <dt>"Last delivery"</dt>
                <dd>{when(health.last_delivery_at, "None yet")}</dd>
                <dt>"Deliveries in the last 24 hours"</dt>
                <dd>{thousands(health.deliveries_24h)}</dd>
                <dt>"Rejected deliveries"</dt>
                <dd>{rejected}</dd>
                <dt>"Ignored replays (triggered over 48 hours ago)"</dt>
                <dd>{thousands(health.stale)}</dd>
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
