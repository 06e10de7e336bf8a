//! Synchronization jobs: what kind each is, where it is, and its progress as every browser
//! watching sees it; (server only) the `sync_jobs` table. The engine that runs them is `sync`.

#[cfg(feature = "ssr")]
pub mod repo;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{JobId, StoreId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Everything the store has.
    Full,
    /// Only what changed since the last sync.
    Incremental,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

#[cfg(feature = "ssr")]
crate::db::text_column!(JobKind { Full => "full", Incremental => "incremental" });
#[cfg(feature = "ssr")]
crate::db::text_column!(JobState {
    Queued => "queued",
    Running => "running",
    Done => "done",
    Failed => "failed",
    Cancelled => "cancelled",
});

impl JobState {
    /// The state in words.
    pub fn label(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "finished",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Queued or running: the store has a job under way.
    pub fn active(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

/// Per resource, records stored so far and Shopify's count, and where its sync is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub done: i64,
    pub total: Option<i64>,
    #[serde(default)]
    pub phase: Option<Phase>,
    /// When the phase began (Unix seconds), and what `done` (or, while exporting, `exported`)
    /// was then: the phase's own rate and time left are reckoned from these.
    #[serde(default)]
    pub phase_since: Option<i64>,
    #[serde(default)]
    pub phase_from: i64,
    /// While Shopify exports a bulk operation: the objects it has written so far.
    #[serde(default)]
    pub exported: Option<i64>,
}

/// Where one resource's sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Shopify is writing the bulk operation's file.
    Exporting,
    /// The file is ready; storelink is fetching its first lines.
    Downloading,
    /// storelink is storing the file's records (or, paginating, each page's).
    Importing,
    Done,
}

impl Count {
    /// Moves into `phase`, now; `from` is the figure the phase's rate starts from.
    pub fn enter(&mut self, phase: Phase, now: i64) {
        if self.phase != Some(phase) {
            self.phase = Some(phase);
            self.phase_since = Some(now);
            self.phase_from = if phase == Phase::Exporting { self.exported.unwrap_or(0) } else { self.done };
        }
    }

    /// Per second in the current phase: objects exported, or records stored.
    pub fn phase_rate(&self, now: i64) -> Option<f64> {
        let elapsed = now - self.phase_since?;
        let moved = match self.phase? {
            Phase::Exporting => self.exported.unwrap_or(0) - self.phase_from,
            Phase::Importing => self.done - self.phase_from,
            Phase::Downloading | Phase::Done => return None,
        };
        (elapsed > 0 && moved > 0).then(|| moved as f64 / elapsed as f64)
    }

    /// Seconds left importing, when the total and the rate are known.
    pub fn phase_seconds_left(&self, now: i64) -> Option<i64> {
        if self.phase != Some(Phase::Importing) {
            return None;
        }
        let rate = self.phase_rate(now)?;
        Some(((self.total? - self.done).max(0) as f64 / rate).ceil() as i64)
    }
}

/// Something that happened during a job, and when (Unix seconds; 0 for events logged before
/// storelink kept their times).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "EventText")]
pub struct Event {
    pub at: i64,
    pub text: String,
}

/// An event as stored: with its time, or (written by earlier versions) its text alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum EventText {
    Timed { at: i64, text: String },
    Text(String),
}

impl From<EventText> for Event {
    fn from(stored: EventText) -> Event {
        match stored {
            EventText::Timed { at, text } => Event { at, text },
            EventText::Text(text) => Event { at: 0, text },
        }
    }
}

/// A job's progress, with a short log of what happened.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Keyed by [`crate::records::Part::key`].
    pub resources: BTreeMap<String, Count>,
    pub events: Vec<Event>,
    /// The resource being synchronized now.
    #[serde(default)]
    pub phase: Option<String>,
}

/// Events a job's log keeps.
#[cfg(feature = "ssr")]
const MAX_EVENTS: usize = 30;

impl Progress {
    /// Logs `text` as happening now, keeping the last [`MAX_EVENTS`].
    #[cfg(feature = "ssr")]
    pub fn event(&mut self, text: String) {
        self.events.push(Event { at: crate::db::now(), text });
        if self.events.len() > MAX_EVENTS {
            self.events.remove(0);
        }
    }
}

/// A sync that ended, for the store page's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRun {
    pub job_id: JobId,
    pub kind: JobKind,
    pub state: JobState,
    pub started_at: i64,
    pub finished_at: i64,
    /// Records stored.
    pub records: i64,
}

/// One line of the live stream every open page reads: a store's latest sync job as it changes,
/// or word that the store itself changed (registered, reconnected, disconnected, removed), so a
/// page listing it reads it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Live {
    Progress(StoreProgress),
    Store { store_changed: StoreId },
}

/// The latest sync job of a store, as every browser watching sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreProgress {
    pub store_id: StoreId,
    pub job_id: JobId,
    pub kind: JobKind,
    pub state: JobState,
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
        self.state.active()
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_time_left_follow_the_records_stored() {
        let mut resources = BTreeMap::new();
        resources.insert("orders".to_owned(), Count { done: 1250, total: Some(5000), ..Count::default() });
        let progress = StoreProgress {
            store_id: StoreId(1),
            job_id: JobId(1),
            kind: JobKind::Full,
            state: JobState::Running,
            error: None,
            progress: Progress { resources, events: vec![], phase: Some("orders".into()) },
            started_at: Some(100),
            finished_at: None,
            now: 110,
            deliveries: 0,
        };
        assert_eq!((progress.done(), progress.total()), (1250, 5000));
        assert_eq!(progress.rate(), Some(125.0));
        assert_eq!(progress.seconds_left(), Some(30));
        assert_eq!(serde_json::to_value(progress.state).unwrap(), "running");
    }
}
