//! How fast storelink calls one WooCommerce site. WooCommerce has no rate limit of its own, but
//! every call loads all of WordPress, and the hosts in front of it answer 429 or 503 (sometimes
//! with `Retry-After`) or stop answering when pressed. So each site gets at most `limit` calls in
//! flight: a sign of overload (429, 503, a time-out) halves it, a `Retry-After` holds every call
//! to the site until then, and a run of `limit × 8` calls answered in a row raises it by one, up
//! to the most the client allows. Every clone of the client shares a site's pacer.

use std::{
    sync::{Mutex, MutexGuard},
    time::{Duration, SystemTime},
};

use rand::Rng;
use tokio::{sync::Notify, time::Instant};

/// Calls in flight to one site when the client is not told otherwise.
pub const DEFAULT_MAX_AT_ONCE: usize = 4;
/// Tries of a GET that failed for a passing reason, the first included.
pub const MAX_ATTEMPTS: u32 = 6;
/// Calls answered in a row, per unit of the limit, before the limit grows by one.
const GROW_AFTER_PER_SLOT: usize = 8;
/// The longest `Retry-After` obeyed: a host asking for longer (or a hostile answer of a day) is
/// asked again after this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// What the person watching a sync hears: waits a site asked for, and calls tried again.
#[derive(Debug, Clone, PartialEq)]
pub enum PaceEvent {
    Waited { millis: u64, why: String },
    Retried { attempt: u32, why: String },
}

/// What an answer says about the site's load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signal {
    /// Answered (a refusal too: the site had room to say no).
    Answered,
    /// 429, 503 or a time-out: fewer at once, and not before `retry_after` if given.
    Overloaded { retry_after: Option<Duration> },
    /// Another failure (a 500, a dropped connection): the run of answers is broken.
    Failed,
}

#[derive(Debug)]
struct State {
    limit: usize,
    in_flight: usize,
    /// Calls answered since the limit last changed or a call failed.
    streak: usize,
    /// No call starts before this.
    resume_at: Option<Instant>,
}

/// One site's pacing.
#[derive(Debug)]
pub struct Pacer {
    max: usize,
    state: Mutex<State>,
    changed: Notify,
}

/// A call's place among those in flight; freed when dropped.
pub struct Slot<'a> {
    pacer: &'a Pacer,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.pacer.lock().in_flight -= 1;
        self.pacer.changed.notify_waiters();
    }
}

impl Pacer {
    pub fn new(max_at_once: usize) -> Pacer {
        let max = max_at_once.max(1);
        Pacer {
            max,
            state: Mutex::new(State { limit: max, in_flight: 0, streak: 0, resume_at: None }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Calls allowed in flight now.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Waits for the site's pause to end and for room among the calls in flight. A pause is
    /// reported once per call.
    pub async fn slot(&self, report: &(dyn Fn(PaceEvent) + Sync)) -> Slot<'_> {
        let mut reported = false;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let pause = {
                let mut state = self.lock();
                match state.resume_at {
                    Some(at) if at > Instant::now() => Some(at),
                    _ if state.in_flight < state.limit => {
                        state.in_flight += 1;
                        return Slot { pacer: self };
                    }
                    _ => None,
                }
            };
            match pause {
                Some(at) => {
                    if !reported {
                        reported = true;
                        let millis = at.saturating_duration_since(Instant::now()).as_millis() as u64;
                        report(PaceEvent::Waited { millis, why: "the site asked storelink to wait".into() });
                    }
                    tokio::time::sleep_until(at).await;
                }
                None => notified.await,
            }
        }
    }

    /// Adjusts the pace to what an answer said.
    pub fn record(&self, signal: Signal) {
        let mut state = self.lock();
        match signal {
            Signal::Answered => {
                state.streak += 1;
                if state.streak >= state.limit * GROW_AFTER_PER_SLOT && state.limit < self.max {
                    state.limit += 1;
                    state.streak = 0;
                }
            }
            Signal::Overloaded { retry_after } => {
                state.limit = (state.limit / 2).max(1);
                state.streak = 0;
                if let Some(wait) = retry_after {
                    let until = Instant::now() + wait.min(MAX_RETRY_AFTER);
                    state.resume_at = Some(state.resume_at.map_or(until, |at| at.max(until)));
                }
            }
            Signal::Failed => state.streak = 0,
        }
        drop(state);
        self.changed.notify_waiters();
    }
}

/// How long a `Retry-After` header asks for: seconds, or an HTTP date (RFC 9110), capped at
/// [`MAX_RETRY_AFTER`]. A date in the past asks for no wait.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value).ok()?.duration_since(now).unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// 500 ms doubling per try, capped at 16 s, with up to 50 % jitter so the calls a failure
/// stopped together do not come back together.
pub fn backoff(attempt: u32) -> Duration {
    let base = 250u64.saturating_mul(1 << attempt.min(6)).min(16_000);
    Duration::from_millis(base + rand::thread_rng().gen_range(0..=base / 2))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn overload_halves_the_limit_and_a_run_of_answers_grows_it_back() {
        let pacer = Pacer::new(4);
        assert_eq!(pacer.limit(), 4);
        pacer.record(Signal::Overloaded { retry_after: None });
        assert_eq!(pacer.limit(), 2);
        pacer.record(Signal::Overloaded { retry_after: None });
        pacer.record(Signal::Overloaded { retry_after: None });
        assert_eq!(pacer.limit(), 1, "never below one");
        // 1 × 8 answers in a row: 2; then 2 × 8: 3 — but a failure starts the run again.
        for _ in 0..7 {
            pacer.record(Signal::Answered);
        }
        assert_eq!(pacer.limit(), 1);
        pacer.record(Signal::Answered);
        assert_eq!(pacer.limit(), 2);
        for _ in 0..15 {
            pacer.record(Signal::Answered);
        }
        pacer.record(Signal::Failed);
        pacer.record(Signal::Answered);
        assert_eq!(pacer.limit(), 2);
        for _ in 0..15 {
            pacer.record(Signal::Answered);
        }
        assert_eq!(pacer.limit(), 3);
        for _ in 0..24 {
            pacer.record(Signal::Answered);
        }
        assert_eq!(pacer.limit(), 4);
        for _ in 0..100 {
            pacer.record(Signal::Answered);
        }
        assert_eq!(pacer.limit(), 4, "never above the most allowed");
        assert_eq!(Pacer::new(0).limit(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_than_the_limit_are_in_flight_and_a_pause_holds_every_call() {
        let pacer = Arc::new(Pacer::new(2));
        let first = pacer.slot(&|_| {}).await;
        let second = pacer.slot(&|_| {}).await;
        let waiting = {
            let pacer = pacer.clone();
            tokio::spawn(async move {
                let _third = pacer.slot(&|_| {}).await;
            })
        };
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!waiting.is_finished(), "a third call waits for room");
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("room was made").unwrap();
        // Nothing in flight: the pause alone holds the next call (the limit halves to one).
        drop(second);

        pacer.record(Signal::Overloaded { retry_after: Some(Duration::from_secs(30)) });
        let events = Mutex::new(Vec::new());
        let started = Instant::now();
        let _slot = pacer.slot(&|event| events.lock().unwrap().push(event)).await;
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(30) && waited < Duration::from_millis(30_010), "{waited:?}");
        assert_eq!(
            events.into_inner().unwrap(),
            [PaceEvent::Waited { millis: 30_000, why: "the site asked storelink to wait".into() }]
        );
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_and_bounded() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(1) >= Duration::from_millis(500) && backoff(1) <= Duration::from_millis(750));
        assert!(backoff(20) <= Duration::from_millis(24_000));
    }
}
