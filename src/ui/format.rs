//! Times, durations and progress in words, the same on the server and in the browser.

use crate::{
    jobs::{Count, JobKind, JobState, Phase, StoreProgress},
    records::Part,
};

/// Text made safe to write between HTML tags or inside a quoted attribute.
#[cfg(feature = "ssr")]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "12,345": a count with thousands separators.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// Where one resource's sync is, with its phase's rate and time left.
pub fn phase_words(count: &Count, now: i64) -> String {
    let settled = count.phase_since.is_some_and(|since| now - since >= crate::jobs::SETTLED_SECS);
    let rate = count
        .phase_rate(now)
        .filter(|_| settled)
        .map(|r| format!(", {} per second", thousands(r.round() as i64)))
        .unwrap_or_default();
    match count.phase {
        // Shopify counts every line it writes (an order and each of its items), not records:
        // its count would read as records that are not there.
        Some(Phase::Exporting) => "Shopify is preparing the records".into(),
        Some(Phase::Downloading) => "Downloading Shopify's export".into(),
        Some(Phase::Importing) => {
            let left = count
                .phase_seconds_left(now)
                .filter(|_| settled)
                .map(|s| format!(", about {} left", duration_words(s)))
                .unwrap_or_default();
            match count.total {
                Some(total) => format!("Importing {} of {}{rate}{left}", thousands(count.done), thousands(total)),
                None => format!("Importing: {} so far{rate}", thousands(count.done)),
            }
        }
        Some(Phase::Done) => "Done".into(),
        None => String::new(),
    }
}

/// "3 minutes ago", for a time `then` seen at `now` (both Unix seconds).
pub fn relative_time(then: i64, now: i64) -> String {
    let secs = (now - then).max(0);
    let (n, unit) = match secs {
        0..=59 => return "just now".to_owned(),
        60..=3599 => (secs / 60, "minute"),
        3600..=86_399 => (secs / 3600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// "45 seconds", "3 minutes", "2 hours".
pub fn duration_words(seconds: i64) -> String {
    let (n, unit) = match seconds {
        s if s < 90 => (s.max(1), "second"),
        s if s < 5400 => ((s + 30) / 60, "minute"),
        s => ((s + 1800) / 3600, "hour"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The calendar date of a Unix day (days since 1970-01-01): year, month, day.
fn civil(days: i64) -> (i64, i64, i64) {
    // Civil-from-days (proleptic Gregorian), valid for every date storelink will meet.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// "2026-11-27 05:31 UTC" for Unix seconds.
pub fn format_utc(secs: i64) -> String {
    let (year, month, day) = civil(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// "2026-11-27T05:31:00Z", for a `<time datetime>`.
pub fn format_iso(secs: i64) -> String {
    let (year, month, day) = civil(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// "2026-11-27" for a Unix day.
pub fn format_day(day: i64) -> String {
    let (year, month, day) = civil(day);
    format!("{year:04}-{month:02}-{day:02}")
}

/// One sentence for screen readers and the page: where the sync is, in records, with a total
/// and a time left only once they are known.
pub fn progress_summary(p: &StoreProgress) -> String {
    let phase = p.progress.phase.as_deref().and_then(Part::from_key).map(|r| r.label().to_lowercase());
    let now = phase.map(|phase| format!(", now {phase}")).unwrap_or_default();
    match (p.state, p.kind) {
        (JobState::Queued, _) => "Synchronization is queued and starts in a moment.".into(),
        (JobState::Running, JobKind::Full) => {
            let mut text = match p.total() {
                Some(total) => format!("Synchronizing: {} of {} records{now}", thousands(p.done()), thousands(total)),
                None => format!("Synchronizing: {} records so far{now}", thousands(p.done())),
            };
            let preparing: Vec<String> = Part::ALL
                .iter()
                .filter(|r| p.progress.resources.get(r.key()).is_some_and(|c| c.phase == Some(Phase::Exporting)))
                .map(|r| r.label().to_lowercase())
                .collect();
            if !preparing.is_empty() {
                text.push_str(&format!("; Shopify is preparing the {}", preparing.join(", ")));
            }
            match (p.rate(), p.seconds_left()) {
                (Some(rate), Some(left)) => text.push_str(&format!(
                    " ({} per second, about {} left)",
                    thousands(rate.round() as i64),
                    duration_words(left)
                )),
                (Some(rate), None) => text.push_str(&format!(" ({} per second)", thousands(rate.round() as i64))),
                _ => {}
            }
            text.push('.');
            text
        }
        (JobState::Running, JobKind::Incremental) => {
            format!("Looking for changes: {} changed records so far{now}.", thousands(p.done()))
        }
        (JobState::Done, JobKind::Full) => format!("Synchronized {} records.", thousands(p.done())),
        (JobState::Done, JobKind::Incremental) => match changed_parts(p) {
            None => "Up to date: nothing changed since the last sync.".into(),
            Some(parts) => format!("Synchronized the changes: {} records ({parts}).", thousands(p.done())),
        },
        (JobState::Failed, _) => format!("Synchronization stopped: {}.", p.error.as_deref().unwrap_or("unknown error")),
        (JobState::Cancelled, _) => "Synchronization was cancelled.".into(),
    }
}

/// "12 orders, 6 products": what a sync stored, part by part; `None` when nothing.
fn changed_parts(p: &StoreProgress) -> Option<String> {
    let parts: Vec<String> = Part::ALL
        .iter()
        .filter_map(|part| {
            let done = p.progress.resources.get(part.key())?.done;
            (done > 0).then(|| format!("{} {}", thousands(done), part.label().to_lowercase()))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{
        ids::{JobId, StoreId},
        jobs::{Count, JobKind, Progress},
    };

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2000), "2,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1500), "-1,500");
    }

    #[test]
    fn each_phase_says_how_far_it_is() {
        let mut count = Count { done: 5_000, total: Some(100_000), ..Count::default() };
        count.enter(Phase::Importing, 100);
        count.done = 25_000;
        assert_eq!(phase_words(&count, 110), "Importing 25,000 of 100,000, 2,000 per second, about 38 seconds left");
        assert_eq!(phase_words(&count, 104), "Importing 25,000 of 100,000", "no rate before it has settled");
        let mut exporting = Count { exported: Some(0), ..Count::default() };
        exporting.enter(Phase::Exporting, 0);
        exporting.exported = Some(12_345);
        assert_eq!(phase_words(&exporting, 5), "Shopify is preparing the records", "lines are not records");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn html_is_escaped_for_text_and_attributes() {
        assert_eq!(
            escape_html(r#"Beta</title><script>alert('x')</script>&"#),
            "Beta&lt;/title&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
        assert_eq!(escape_html(r#""><img onerror=x>"#), "&quot;&gt;&lt;img onerror=x&gt;");
        assert_eq!(escape_html("Café ＜ ok"), "Café ＜ ok");
    }

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative_time(100, 130), "just now");
        assert_eq!(relative_time(0, 60), "1 minute ago");
        assert_eq!(relative_time(0, 7200), "2 hours ago");
        assert_eq!(relative_time(0, 3 * 86_400), "3 days ago");
        assert_eq!(relative_time(500, 100), "just now");
    }

    #[test]
    fn utc_times_are_formatted_as_calendar_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_757_460), "2026-11-27 05:31 UTC");
        assert_eq!(format_day(1_795_757_460 / 86_400), "2026-11-27");
        assert_eq!(format_iso(1_795_757_465), "2026-11-27T05:31:05Z");
    }

    /// A sync of `kind` with these parts stored (and counted, `None`: not known yet), orders being
    /// stored since 100, seen at `now`.
    fn progress(state: JobState, kind: JobKind, parts: &[(&str, i64, Option<i64>)], now: i64) -> StoreProgress {
        let mut resources = BTreeMap::new();
        for (key, done, total) in parts {
            let mut count = Count { done: 0, total: *total, ..Count::default() };
            if *key == "orders" {
                count.enter(Phase::Importing, 100);
            }
            count.done = *done;
            resources.insert((*key).to_owned(), count);
        }
        StoreProgress {
            store_id: StoreId(1),
            org: crate::ids::OrgId(1),
            job_id: JobId(1),
            kind,
            state,
            error: None,
            progress: Progress { resources, events: vec![], phase: Some("orders".into()) },
            started_at: Some(100),
            finished_at: None,
            now,
            deliveries: 0,
        }
    }

    /// Every part of a full sync counted, 1,250 of 5,000 records stored.
    const COUNTED: [(&str, i64, Option<i64>); 6] = [
        ("locations", 2, Some(2)),
        ("products", 10, Some(10)),
        ("inventory_levels", 20, Some(20)),
        ("customers", 18, Some(18)),
        ("orders", 1200, Some(4950)),
        ("fulfillment_orders", 0, Some(0)),
    ];

    #[test]
    fn the_summary_says_where_the_sync_is_and_how_long_is_left_only_once_that_is_known() {
        use JobKind::{Full, Incremental};
        assert_eq!(
            progress_summary(&progress(JobState::Running, Full, &COUNTED, 110)),
            "Synchronizing: 1,250 of 5,000 records, now orders (125 per second, about 32 seconds left)."
        );
        // Shopify has not counted the customers yet: no total, no bar's end, no time left.
        let mut exporting = COUNTED;
        exporting[3].2 = None;
        let mut early = progress(JobState::Running, Full, &exporting, 110);
        early.progress.resources.get_mut("customers").unwrap().enter(Phase::Exporting, 100);
        assert_eq!(
            progress_summary(&early),
            "Synchronizing: 1,250 records so far, now orders; Shopify is preparing the customers (125 per second)."
        );
        // A sync seconds old has no rate worth saying.
        assert_eq!(
            progress_summary(&progress(JobState::Running, Full, &COUNTED, 104)),
            "Synchronizing: 1,250 of 5,000 records, now orders."
        );
        assert_eq!(progress_summary(&progress(JobState::Done, Full, &COUNTED, 200)), "Synchronized 1,250 records.");
        // An incremental sync says what it changed.
        let changes = [("orders", 12, None), ("products", 6, None), ("customers", 0, None)];
        assert_eq!(
            progress_summary(&progress(JobState::Running, Incremental, &changes, 105)),
            "Looking for changes: 18 changed records so far, now orders."
        );
        assert_eq!(
            progress_summary(&progress(JobState::Done, Incremental, &changes, 105)),
            "Synchronized the changes: 18 records (6 products, 12 orders)."
        );
        assert_eq!(
            progress_summary(&progress(JobState::Done, Incremental, &[("orders", 0, None)], 105)),
            "Up to date: nothing changed since the last sync."
        );
        assert_eq!(duration_words(7200), "2 hours");
        assert_eq!(duration_words(150), "3 minutes");
    }
}
