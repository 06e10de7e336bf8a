//! Synchronization: the progress every browser watching sees, "Sync now", and (server only)
//! the engine that runs the jobs.

#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod pacing;
#[cfg(feature = "ssr")]
pub mod progress;
#[cfg(feature = "ssr")]
pub mod records;

use std::collections::BTreeMap;

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl, StreamingText, TextStream};

use crate::error::AppError;

/// The resources in the order a full sync takes them, with the names the pages use.
pub const RESOURCES: [(&str, &str); 5] = [
    ("locations", "Locations"),
    ("products", "Products"),
    ("customers", "Customers"),
    ("orders", "Orders"),
    ("inventory_levels", "Inventory levels"),
];

/// Per resource, records stored so far and Shopify's count.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub done: i64,
    pub total: Option<i64>,
}

/// A job's progress, with a short log of what happened.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub resources: BTreeMap<String, Count>,
    pub events: Vec<String>,
    /// The resource being synchronized now.
    #[serde(default)]
    pub phase: Option<String>,
}

const MAX_EVENTS: usize = 30;

impl Progress {
    pub fn event(&mut self, text: String) {
        self.events.push(text);
        if self.events.len() > MAX_EVENTS {
            self.events.remove(0);
        }
    }
}

/// The latest sync job of a store, as every browser watching sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreProgress {
    pub store_id: i64,
    pub job_id: i64,
    /// `full` or `incremental`.
    pub kind: String,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: String,
    pub error: Option<String>,
    pub progress: Progress,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Server time of this snapshot, so rates render the same everywhere.
    pub now: i64,
    /// Webhook deliveries received for the store so far: when it moves, the store's data
    /// changed outside a sync and a page showing it should reload it.
    #[serde(default)]
    pub deliveries: i64,
}

impl StoreProgress {
    pub fn active(&self) -> bool {
        self.state == "queued" || self.state == "running"
    }

    pub fn done(&self) -> i64 {
        self.progress.resources.values().map(|c| c.done).sum()
    }

    /// Records expected in all, once Shopify's counts are known.
    pub fn total(&self) -> i64 {
        self.progress.resources.values().map(|c| c.total.unwrap_or(c.done).max(c.done)).sum()
    }

    /// Records stored per second since the job started.
    pub fn rate(&self) -> Option<f64> {
        let elapsed = self.now - self.started_at?;
        (elapsed > 0 && self.done() > 0).then(|| self.done() as f64 / elapsed as f64)
    }

    pub fn seconds_left(&self) -> Option<i64> {
        let rate = self.rate()?;
        Some(((self.total() - self.done()).max(0) as f64 / rate).ceil() as i64)
    }

    /// One sentence for screen readers and the page: where the sync is.
    pub fn summary(&self) -> String {
        let phase = self
            .progress
            .phase
            .as_deref()
            .and_then(|p| RESOURCES.iter().find(|(key, _)| *key == p))
            .map(|(_, label)| label.to_lowercase());
        match self.state.as_str() {
            "queued" => "Synchronization is queued and starts in a moment.".into(),
            "running" => {
                let mut text = format!("Synchronizing: {} of {} records", self.done(), self.total());
                if let Some(phase) = phase {
                    text.push_str(&format!(", now {phase}"));
                }
                if let (Some(rate), Some(left)) = (self.rate(), self.seconds_left()) {
                    text.push_str(&format!(" ({rate:.0} per second, about {} left)", duration_words(left)));
                }
                text.push('.');
                text
            }
            "done" => format!("Synchronized {} records.", self.done()),
            "failed" => format!("Synchronization stopped: {}.", self.error.as_deref().unwrap_or("unknown error")),
            _ => "Synchronization was cancelled.".into(),
        }
    }
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

/// Newline-delimited JSON: a snapshot of each store's latest job (or one store's) on
/// connecting, then every change as it happens. Chunks are not messages, so the browser
/// splits on newlines.
#[server(prefix = "/api", endpoint = "sync/progress", input = GetUrl, output = StreamingText)]
pub async fn watch_progress(store_id: Option<i64>) -> Result<TextStream<AppError>, AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_user().await?;
        let state = crate::server::AppState::current()?;
        progress::stream(caller.pool, state.sync.subscribe(), store_id).await
    })
    .await
}

/// Starts an incremental sync now, unless one is already queued or running.
#[server(prefix = "/api", endpoint = "sync/now", input = PostUrl)]
pub async fn sync_now(store_id: i64) -> Result<String, AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_admin().await?;
        let state = crate::server::AppState::current()?;
        let message = progress::queue_incremental(&caller.pool, &caller.user, store_id).await?;
        state.sync.wake();
        Ok(message)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(state: &str, done: i64, total: i64, started: i64, now: i64) -> StoreProgress {
        let mut resources = BTreeMap::new();
        resources.insert("orders".to_owned(), Count { done, total: Some(total) });
        StoreProgress {
            store_id: 1,
            job_id: 1,
            kind: "full".into(),
            state: state.into(),
            error: None,
            progress: Progress { resources, events: vec![], phase: Some("orders".into()) },
            started_at: Some(started),
            finished_at: None,
            now,
            deliveries: 0,
        }
    }

    #[test]
    fn the_summary_says_where_the_sync_is_and_how_long_is_left() {
        let p = progress("running", 1250, 5000, 100, 110);
        assert_eq!(p.rate(), Some(125.0));
        assert_eq!(p.seconds_left(), Some(30));
        assert_eq!(
            p.summary(),
            "Synchronizing: 1250 of 5000 records, now orders (125 per second, about 30 seconds left)."
        );
        assert_eq!(progress("done", 5000, 5000, 100, 200).summary(), "Synchronized 5000 records.");
        assert_eq!(duration_words(7200), "2 hours");
        assert_eq!(duration_words(150), "3 minutes");
    }
}
