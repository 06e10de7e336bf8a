//! Shopify's REST leaky bucket: every request adds one; the bucket drains at the plan's rate.
//!
//! The level is kept as the time the bucket needs to drain (one request's worth of time per
//! request in it), in whole nanoseconds, so it is exact: a bucket filled and then given exactly
//! the time one request leaks admits exactly one more, however that time was split up.

use std::time::Duration;

#[derive(Debug)]
pub struct Bucket {
    size: u32,
    /// The time one request takes to leak out.
    per_request: Duration,
    /// The clock reading at which the bucket is empty.
    empty_at: Duration,
}

/// What the bucket said about one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Admission {
    pub allowed: bool,
    /// Requests in the bucket, as `X-Shopify-Shop-Api-Call-Limit` reports it.
    pub used: u32,
    pub size: u32,
}

impl Bucket {
    /// `leak_per_second` must be positive (`Plan::limits` checks it).
    pub fn new(size: u32, leak_per_second: f64) -> Bucket {
        let per_request = Duration::try_from_secs_f64(1.0 / leak_per_second).unwrap_or(Duration::MAX);
        Bucket { size, per_request: per_request.max(Duration::from_nanos(1)), empty_at: Duration::ZERO }
    }

    /// One request at `now`, a reading of the emulator's clock.
    pub fn admit(&mut self, now: Duration) -> Admission {
        let backlog = self.empty_at.saturating_sub(now);
        let full = self.per_request.saturating_mul(self.size);
        let allowed = backlog.saturating_add(self.per_request) <= full;
        let backlog = if allowed {
            self.empty_at = now.saturating_add(backlog).saturating_add(self.per_request);
            backlog.saturating_add(self.per_request)
        } else {
            backlog
        };
        let used = backlog.as_nanos().div_ceil(self.per_request.as_nanos());
        Admission { allowed, used: u32::try_from(used).unwrap_or(u32::MAX).min(self.size), size: self.size }
    }

    pub fn header(admission: &Admission) -> String {
        format!("{}/{}", admission.used, admission.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_fills_the_bucket_and_time_drains_it() {
        let mut bucket = Bucket::new(40, 2.0);
        for n in 1..=40 {
            let a = bucket.admit(Duration::ZERO);
            assert!(a.allowed);
            assert_eq!(Bucket::header(&a), format!("{n}/40"));
        }
        assert!(!bucket.admit(Duration::ZERO).allowed);
        // Half a second later one request has leaked out.
        let later = bucket.admit(500 * MS);
        assert!(later.allowed);
        assert_eq!(later.used, 40);
        let drained = bucket.admit(Duration::from_secs(100));
        assert_eq!(drained.used, 1);
    }

    #[test]
    fn the_leak_is_exact_however_time_is_split() {
        let mut bucket = Bucket::new(3, 3.0);
        for _ in 0..3 {
            assert!(bucket.admit(Duration::ZERO).allowed);
        }
        // A third of a second, in three pieces.
        let mut now = Duration::ZERO;
        for _ in 0..2 {
            now += Duration::from_nanos(111_111_111);
            assert!(!bucket.admit(now).allowed);
        }
        now += Duration::from_nanos(111_111_111);
        let a = bucket.admit(now);
        assert!(a.allowed);
        assert_eq!(a.used, 3);
        assert!(!bucket.admit(now).allowed);
    }
}
