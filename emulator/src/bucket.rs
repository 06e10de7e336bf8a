//! Shopify's REST leaky bucket: every request adds one; the bucket drains at the plan's rate.

use std::time::Instant;

#[derive(Debug)]
pub struct Bucket {
    size: u32,
    leak_per_second: f64,
    level: f64,
    updated: Instant,
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
    pub fn new(size: u32, leak_per_second: f64) -> Bucket {
        Bucket { size, leak_per_second, level: 0.0, updated: Instant::now() }
    }

    pub fn admit(&mut self, now: Instant) -> Admission {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.level = (self.level - elapsed * self.leak_per_second).max(0.0);
        self.updated = now;
        let allowed = self.level + 1.0 <= f64::from(self.size);
        if allowed {
            self.level += 1.0;
        }
        Admission { allowed, used: (self.level.ceil() as u32).min(self.size), size: self.size }
    }

    pub fn header(admission: &Admission) -> String {
        format!("{}/{}", admission.used, admission.size)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_fills_the_bucket_and_time_drains_it() {
        let start = Instant::now();
        let mut bucket = Bucket::new(40, 2.0);
        for n in 1..=40 {
            let a = bucket.admit(start);
            assert!(a.allowed);
            assert_eq!(Bucket::header(&a), format!("{n}/40"));
        }
        assert!(!bucket.admit(start).allowed);
        // Half a second later one request has leaked out.
        let later = bucket.admit(start + Duration::from_millis(500));
        assert!(later.allowed);
        assert_eq!(later.used, 40);
        let drained = bucket.admit(start + Duration::from_secs(100));
        assert_eq!(drained.used, 1);
    }
}
