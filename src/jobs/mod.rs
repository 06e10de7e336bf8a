//! Synchronization jobs: what kind each is, where it is, and its progress as every browser
//! watching sees it; (server only) the `sync_jobs` table. The engine that runs them is `sync`.

#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod run;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{JobId, OrgId, StoreId};

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

/// How long a rate is measured before it is shown: a sync's first seconds say little.
pub const SETTLED_SECS: i64 = 10;

/// The latest sync job of a store, as every browser watching sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreProgress {
    pub store_id: StoreId,
    /// The store's organization: a stream carries only its viewer's. The browser needs it not.
    #[serde(skip)]
    pub org: OrgId,
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

    /// Records a full sync will store in all, once every part's count is known (each part
    /// learns its own when Shopify's export of it is ready; a finished part's is what it
    /// stored). `None` before, and for an incremental sync, whose changes are not counted ahead:
    /// a bar or a time left drawn from a partial total would say what is not true.
    pub fn total(&self) -> Option<i64> {
        if self.kind != JobKind::Full {
            return None;
        }
        crate::records::Part::ALL
            .iter()
            .map(|part| {
                let count = self.progress.resources.get(part.key())?;
                let known = if count.phase == Some(Phase::Done) { Some(count.done) } else { count.total };
                known.map(|total| total.max(count.done))
            })
            .sum()
    }

    /// Records stored per second since the job started, once it has run long enough for that
    /// to mean something.
    pub fn rate(&self) -> Option<f64> {
        let elapsed = self.now - self.started_at?;
        (elapsed >= SETTLED_SECS && self.done() > 0).then(|| self.done() as f64 / elapsed as f64)
    }

    /// Seconds left, at the rate the part being stored now has kept for a while: only with
    /// the total known and that rate settled (a sync's first seconds wait on Shopify's exports,
    /// which says nothing about the rest).
    pub fn seconds_left(&self) -> Option<i64> {
        let total = self.total()?;
        let importing = self.progress.resources.values().find(|c| c.phase == Some(Phase::Importing))?;
        if self.now - importing.phase_since? < SETTLED_SECS {
            return None;
        }
        let rate = importing.phase_rate(self.now)?;
        Some(((total - self.done()).max(0) as f64 / rate).ceil() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full sync's parts, each with what it stored and its count (`None`: not known yet),
    /// orders being stored since `importing_since`.
    fn full_sync(parts: &[(&str, i64, Option<i64>)], importing_since: i64, now: i64) -> StoreProgress {
        let mut resources = BTreeMap::new();
        for (key, done, total) in parts {
            let mut count = Count { done: *done, total: *total, ..Count::default() };
            if *key == "orders" {
                count.done = 0;
                count.enter(Phase::Importing, importing_since);
                count.done = *done;
            }
            resources.insert((*key).to_owned(), count);
        }
        StoreProgress {
            store_id: StoreId(1),
            org: crate::ids::OrgId(1),
            job_id: JobId(1),
            kind: JobKind::Full,
            state: JobState::Running,
            error: None,
            progress: Progress { resources, events: vec![], phase: Some("orders".into()) },
            started_at: Some(100),
            finished_at: None,
            now,
            deliveries: 0,
        }
    }

    const KNOWN: [(&str, i64, Option<i64>); 6] = [
        ("locations", 2, Some(2)),
        ("products", 10, Some(10)),
        ("inventory_levels", 20, Some(20)),
        ("customers", 18, Some(18)),
        ("orders", 1200, Some(4950)),
        ("fulfillment_orders", 0, Some(0)),
    ];

    #[test]
    fn rate_and_time_left_follow_the_records_stored_once_they_mean_something() {
        let progress = full_sync(&KNOWN, 102, 112);
        assert_eq!((progress.done(), progress.total()), (1250, Some(5000)));
        assert_eq!(progress.rate().map(f64::round), Some(104.0), "1,250 stored in the 12 s since the start");
        // Orders are stored at 120 a second: 3,750 left take 32 s.
        assert_eq!(progress.seconds_left(), Some(32));
        assert_eq!(serde_json::to_value(progress.state).unwrap(), "running");
    }

    #[test]
    fn no_total_and_no_time_left_is_guessed_before_they_are_known() {
        // Shopify is still exporting the customers: the total is not known.
        let mut parts = KNOWN;
        parts[3].2 = None;
        let exporting = full_sync(&parts, 102, 112);
        assert_eq!(exporting.total(), None);
        assert_eq!(exporting.seconds_left(), None);
        // Orders have been stored for five seconds only: their rate says little yet.
        let early = full_sync(&KNOWN, 107, 112);
        assert_eq!(early.total(), Some(5000));
        assert_eq!(early.seconds_left(), None);
        // A two-second sync has no rate worth a word.
        let short = full_sync(&KNOWN, 100, 102);
        assert_eq!(short.rate(), None);
        // An incremental sync does not count its changes ahead.
        let incremental = StoreProgress { kind: JobKind::Incremental, ..full_sync(&KNOWN, 102, 112) };
        assert_eq!(incremental.total(), None);
    }
}
