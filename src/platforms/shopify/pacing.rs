//! What the person watching a sync hears about its pacing (the waits for Shopify's rate limit and
//! the retries of transient failures), and how long a passing failure waits before the next try.
//! The pacing itself is the GraphQL client's (`graphql.rs`).

pub use crate::platforms::net::backoff;

/// How often a call that failed for a passing reason is tried again.
pub const MAX_TRANSIENT_RETRIES: u32 = 6;

/// Something worth telling the person watching: waits and retries.
#[derive(Debug, Clone, PartialEq)]
pub enum PaceEvent {
    WaitedForRateLimit { millis: u64 },
    Retried { attempt: u32, reason: String },
}
