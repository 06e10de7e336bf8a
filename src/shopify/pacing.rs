//! What the person watching a sync hears about its pacing (the waits for Shopify's rate limit and
//! the retries of transient failures), and how long a passing failure waits before the next try.
//! The pacing itself is the GraphQL client's (`graphql.rs`).

use std::time::Duration;

use rand::Rng;

/// How often a call that failed for a passing reason is tried again.
pub const MAX_TRANSIENT_RETRIES: u32 = 6;

/// Something worth telling the person watching: waits and retries.
#[derive(Debug, Clone, PartialEq)]
pub enum PaceEvent {
    WaitedForRateLimit { millis: u64 },
    Retried { attempt: u32, reason: String },
}

/// 250 ms doubling per attempt, capped at 8 s, with up to 50 % jitter.
pub fn backoff(attempt: u32) -> Duration {
    let base = 250u64.saturating_mul(1 << attempt.min(5)).min(8_000);
    Duration::from_millis(base + rand::thread_rng().gen_range(0..=base / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(1) >= Duration::from_millis(500));
        assert!(backoff(20) <= Duration::from_millis(12_000));
    }
}
