//! Slows down repeated failed sign-ins for one email address.

use super::repo;
use crate::{
    db::{self, Pool},
    error::AppError,
};

/// Failures allowed before each further attempt has to wait.
pub const FREE_FAILURES: i64 = 5;
const FIRST_WAIT_SECS: i64 = 30;
const MAX_WAIT_SECS: i64 = 15 * 60;

/// How long the account must still wait after `failures` failures, the last at `last_failure_at`.
fn remaining_wait(failures: i64, last_failure_at: i64, now: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    let wait = (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS);
    (last_failure_at + wait - now).max(0)
}

/// Refuses the attempt while the email is made to wait.
pub async fn check(pool: &Pool, email: &str) -> Result<(), AppError> {
    match repo::failures(pool, email).await?.map(|(failures, last)| remaining_wait(failures, last, db::now())) {
        Some(wait) if wait > 0 => Err(AppError::Throttled { retry_after_secs: wait as u64 }),
        _ => Ok(()),
    }
}

/// Records a failure and returns the error to show: the generic one, or the wait once reached.
pub async fn record_failure(pool: &Pool, email: &str) -> Result<AppError, AppError> {
    let now = db::now();
    let failures = repo::add_failure(pool, email, now).await?;
    Ok(match remaining_wait(failures, now, now) {
        0 => AppError::InvalidCredentials,
        wait => AppError::Throttled { retry_after_secs: wait as u64 },
    })
}

pub async fn clear(pool: &Pool, email: &str) -> Result<(), AppError> {
    repo::clear_failures(pool, email).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_the_free_failures_and_double_up_to_a_cap() {
        assert_eq!(remaining_wait(4, 1000, 1000), 0);
        assert_eq!(remaining_wait(5, 1000, 1000), 30);
        assert_eq!(remaining_wait(6, 1000, 1010), 50);
        assert_eq!(remaining_wait(5, 1000, 1031), 0);
        assert_eq!(remaining_wait(40, 1000, 1000), MAX_WAIT_SECS);
    }
}
