//! The store's request quota: N requests per 30-second window, shared by every app on the store,
//! refreshed whole when the window ends. Windows follow each other from the emulator's start, so
//! a manual clock moves them exactly; another app's requests are spent evenly through each one.

use std::time::Duration;

pub const WINDOW: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Quota {
    /// Which window `spent` counts in.
    window: u64,
    /// Requests this emulator answered in that window.
    spent: u32,
}

/// What the quota said about one request: the four headers' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub allowed: bool,
    pub quota: u32,
    pub left: u32,
    /// Until the window ends and the quota is whole again.
    pub reset: Duration,
}

impl Admission {
    /// `X-Retry-After`: whole seconds until the quota refreshes, at least one.
    pub fn retry_after_secs(&self) -> u64 {
        self.reset.as_millis().div_ceil(1000).max(1) as u64
    }
}

impl Quota {
    /// One request at `now` (a reading of the emulator's clock), with another app spending
    /// `other_per_second` of the same quota.
    pub fn admit(&mut self, now: Duration, quota: u32, other_per_second: f64) -> Admission {
        let window = (now.as_nanos() / WINDOW.as_nanos()) as u64;
        if window != self.window {
            self.window = window;
            self.spent = 0;
        }
        let into = now.saturating_sub(WINDOW.saturating_mul(window as u32));
        let other = ((other_per_second * into.as_secs_f64()).floor() as u64).min(u64::from(quota)) as u32;
        let allowed = self.spent.saturating_add(other) < quota;
        if allowed {
            self.spent += 1;
        }
        Admission {
            allowed,
            quota,
            left: quota.saturating_sub(self.spent.saturating_add(other)),
            reset: WINDOW.saturating_sub(into),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn a_window_allows_the_quota_then_refreshes_whole() {
        let mut quota = Quota::default();
        let first = quota.admit(Duration::ZERO, 3, 0.0);
        assert_eq!(first, Admission { allowed: true, quota: 3, left: 2, reset: WINDOW });
        assert_eq!(quota.admit(10 * SEC, 3, 0.0).left, 1);
        assert_eq!(quota.admit(10 * SEC, 3, 0.0).left, 0);
        let refused = quota.admit(20 * SEC, 3, 0.0);
        assert_eq!((refused.allowed, refused.left, refused.reset), (false, 0, 10 * SEC));
        assert_eq!(refused.retry_after_secs(), 10);
        let next = quota.admit(30 * SEC, 3, 0.0);
        assert_eq!((next.allowed, next.left, next.reset), (true, 2, WINDOW));
    }

    #[test]
    fn another_app_spends_the_same_quota_through_the_window() {
        let mut quota = Quota::default();
        assert_eq!(quota.admit(Duration::ZERO, 150, 4.0).left, 149);
        // Ten seconds in, the other app has made forty requests.
        assert_eq!(quota.admit(10 * SEC, 150, 4.0).left, 108);
        assert!(!quota.admit(29 * SEC, 150, 10.0).allowed, "290 requests of the other app spend it all");
        assert_eq!(quota.admit(60 * SEC + SEC / 2, 150, 4.0).left, 147);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let admission = Admission { allowed: false, quota: 1, left: 0, reset: Duration::from_millis(1200) };
        assert_eq!(admission.retry_after_secs(), 2);
        let almost = Admission { reset: Duration::from_millis(1), ..admission };
        assert_eq!(almost.retry_after_secs(), 1);
    }
}
