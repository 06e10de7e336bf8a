//! Faults more than one platform's emulator injects the same way.

use std::time::Duration;

use axum::http::Method;

/// How late a request answers under the `slow_writes` fault: each of the next `slow_writes`
/// writes waits `slow_writes_ms` after it was applied, so a client that gives up first has
/// written anyway. Reads are never late.
pub fn slow_write(method: &Method, slow_writes: &mut u32, slow_writes_ms: u64) -> Duration {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || *slow_writes == 0 {
        return Duration::ZERO;
    }
    *slow_writes -= 1;
    Duration::from_millis(slow_writes_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_next_few_writes_are_late() {
        let mut left = 2;
        assert_eq!(slow_write(&Method::GET, &mut left, 500), Duration::ZERO);
        assert_eq!(slow_write(&Method::POST, &mut left, 500), Duration::from_millis(500));
        assert_eq!(slow_write(&Method::PUT, &mut left, 500), Duration::from_millis(500));
        assert_eq!(slow_write(&Method::POST, &mut left, 500), Duration::ZERO);
        assert_eq!(left, 0);
    }
}
