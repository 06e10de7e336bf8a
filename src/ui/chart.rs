//! Pictures of numbers, drawn as inline SVG on the server (no chart script): a bar chart with its
//! numbers in a table for screen readers, and a sparkline whose title says what it shows.

use leptos::prelude::*;

use super::format::{format_day, thousands};
use crate::records::Daily;

/// The bar chart's drawing area, in SVG units; the picture scales to its box.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 120.0;

/// Bars for `values`, each labelled; `id` names the chart (unique on the page). The SVG's
/// title summarises it, and the same numbers follow as a table only screen readers read.
#[component]
pub fn BarChart(
    id: &'static str,
    title: String,
    /// What one bar is, e.g. "Day".
    label_heading: &'static str,
    /// What a value is, e.g. "Orders".
    value_heading: &'static str,
    bars: Vec<(String, i64)>,
    /// How a value reads in the table, e.g. "12 s".
    #[prop(default = thousands)]
    show: fn(i64) -> String,
) -> impl IntoView {
    let most = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let slot = WIDTH / bars.len().max(1) as f64;
    let rects = bars
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let height = (*value as f64 / most as f64) * (HEIGHT - 4.0);
            view! {
                <rect
                    x=format!("{:.1}", i as f64 * slot + slot * 0.1)
                    y=format!("{:.1}", HEIGHT - height)
                    width=format!("{:.1}", slot * 0.8)
                    height=format!("{height:.1}")
                >
                    <title>{format!("{label}: {}", show(*value))}</title>
                </rect>
            }
        })
        .collect_view();
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    let rows = bars
        .iter()
        .map(|(label, value)| view! { <tr><th scope="row">{label.clone()}</th><td>{show(*value)}</td></tr> })
        .collect_view();
    // The axes' labels are text beside the picture (the picture stretches to its box, which
    // would stretch text drawn in it): the largest value and zero up the side, the first, middle
    // and last bars' labels along the bottom.
    let along = match bars.len() {
        0 => Vec::new(),
        1 | 2 => bars.iter().map(|(label, _)| label.clone()).collect(),
        n => vec![bars[0].0.clone(), bars[n / 2].0.clone(), bars[n - 1].0.clone()],
    };
    let along = along.into_iter().map(|label| view! { <span>{label}</span> }).collect_view();
    view! {
        <figure class="chart">
            <div class="plot">
                <div class="y-axis" aria-hidden="true">
                    <span class="axis-title">{value_heading}</span>
                    <span>{show(most)}</span>
                    <span>{show(0)}</span>
                </div>
                <svg
                    viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                    preserveAspectRatio="none"
                    role="img"
                    aria-labelledby=labelled_by
                >
                    <title id=title_id>{title.clone()}</title>
                    <line class="axis" x1="0" y1=HEIGHT.to_string() x2=WIDTH.to_string() y2=HEIGHT.to_string()></line>
                    {rects}
                </svg>
            </div>
            <div class="x-axis" aria-hidden="true">{along}</div>
            <figcaption>{title.clone()}</figcaption>
            <div class="visually-hidden">
            <table>
                <caption>{title}</caption>
                <thead>
                    <tr>
                        <th scope="col">{label_heading}</th>
                        <th scope="col">{value_heading}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
        </figure>
    }
}

/// Orders per day as a bar chart, days labelled by date.
#[component]
pub fn DailyChart(id: &'static str, title: String, days: Daily) -> impl IntoView {
    let bars = days.counts.iter().enumerate().map(|(i, n)| (format_day(days.first_day + i as i64), *n)).collect();
    view! { <BarChart id title label_heading="Day" value_heading="Orders" bars /> }
}

/// A small line of `days` for a table cell; its title says what it shows in words. `what` is
/// the thing counted, singular and plural.
#[component]
pub fn Sparkline(days: Daily, what: (&'static str, &'static str)) -> impl IntoView {
    let (w, h) = (90.0, 20.0);
    let most = days.counts.iter().copied().max().unwrap_or(0).max(1);
    let step = w / (days.counts.len().max(2) - 1) as f64;
    let points = days
        .counts
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{:.1},{:.1}", i as f64 * step, h - 1.0 - (*n as f64 / most as f64) * (h - 2.0)))
        .collect::<Vec<_>>()
        .join(" ");
    let total: i64 = days.counts.iter().sum();
    let busiest = days.counts.iter().enumerate().max_by_key(|(i, n)| (**n, *i)).filter(|(_, n)| **n > 0);
    let noun = if total == 1 { what.0 } else { what.1 };
    let mut words = format!("{} {noun} in the last {} days", thousands(total), days.counts.len());
    if let Some((i, n)) = busiest {
        words.push_str(&format!(", most on {} ({})", format_day(days.first_day + i as i64), thousands(*n)));
    }
    let label = words.clone();
    view! {
        <svg class="spark" viewBox=format!("0 0 {w} {h}") role="img" aria-label=label>
            <title>{words}</title>
            <polyline points=points></polyline>
        </svg>
    }
}
