//! Slows down repeated failed sign-ins, per account and per client address. After its free
//! failures, each further attempt must wait, the wait doubling up to a cap. A browser that has
//! signed in to the account before is not held back by the account's count (see `device`), so a
//! stranger's guesses cannot lock the owner out; their own address still is.

use sha2::{Digest, Sha256};

use super::repo;
use crate::{
    db::{self, Pool},
    error::AppError,
};

const FIRST_WAIT_SECS: i64 = 30;
pub const MAX_WAIT_SECS: i64 = 15 * 60;

/// What failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// An account, by the SHA-256 of its normalised email: fixed in size whatever was typed,
    /// and the same for emails that exist and emails that do not.
    Account(String),
    /// A client, by its network address.
    Client(std::net::IpAddr),
}

impl Key {
    pub fn account(normalized_email: &str) -> Key {
        Key::Account(hex::encode(Sha256::digest(normalized_email.as_bytes())))
    }

    fn stored(&self) -> String {
        match self {
            Key::Account(hash) => format!("account:{hash}"),
            Key::Client(std::net::IpAddr::V4(address)) => format!("client:{address}"),
            // One IPv6 subscriber holds a whole /64: counted per address, each guess could come
            // from a new one.
            Key::Client(std::net::IpAddr::V6(address)) => {
                let network = u128::from(*address) & !((1u128 << 64) - 1);
                format!("client:{}/64", std::net::Ipv6Addr::from(network))
            }
        }
    }

    /// Failures allowed before attempts must wait: a person mistypes a few times; an office
    /// behind one address holds many people.
    pub fn free_failures(&self) -> i64 {
        match self {
            Key::Account(_) => 5,
            Key::Client(_) => 20,
        }
    }

    fn refusal(&self, wait: i64) -> AppError {
        let retry_after_secs = wait as u64;
        match self {
            Key::Account(_) => AppError::Throttled { retry_after_secs },
            Key::Client(_) => AppError::ThrottledClient { retry_after_secs },
        }
    }
}

/// How long the key must still wait after `failures` failures, the last at `last_failure_at`.
fn remaining_wait(free: i64, failures: i64, last_failure_at: i64, now: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(10) as u32;
    let wait = (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS);
    (last_failure_at + wait - now).max(0)
}

/// Refuses the attempt while the key is made to wait.
pub async fn check(pool: &Pool, key: &Key) -> Result<(), AppError> {
    let waiting = repo::failures(pool, &key.stored()).await?;
    match waiting.map(|(failures, last)| remaining_wait(key.free_failures(), failures, last, db::now())) {
        Some(wait) if wait > 0 => Err(key.refusal(wait)),
        _ => Ok(()),
    }
}

/// Counts a failure; once the key must wait, the refusal to show.
pub async fn record_failure(pool: &Pool, key: &Key) -> Result<Option<AppError>, AppError> {
    let now = db::now();
    let failures = repo::add_failure(pool, &key.stored(), now).await?;
    Ok(match remaining_wait(key.free_failures(), failures, now, now) {
        0 => None,
        wait => Some(key.refusal(wait)),
    })
}

pub async fn clear(pool: &Pool, key: &Key) -> Result<(), AppError> {
    repo::clear_failures(pool, &key.stored()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_the_free_failures_and_double_up_to_a_cap() {
        assert_eq!(remaining_wait(5, 4, 1000, 1000), 0);
        assert_eq!(remaining_wait(5, 5, 1000, 1000), 30);
        assert_eq!(remaining_wait(5, 6, 1000, 1010), 50);
        assert_eq!(remaining_wait(5, 5, 1000, 1031), 0);
        assert_eq!(remaining_wait(5, 40, 1000, 1000), MAX_WAIT_SECS);
        assert_eq!(remaining_wait(20, 19, 1000, 1000), 0);
    }

    #[test]
    fn an_ipv6_client_is_its_whole_64() {
        let key = |address: &str| Key::Client(address.parse().unwrap()).stored();
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("203.0.113.7"), "client:203.0.113.7");
    }

    #[test]
    fn account_keys_are_fixed_in_size() {
        let Key::Account(short) = Key::account("a@b.co") else { unreachable!() };
        let Key::Account(long) = Key::account(&"x".repeat(2_000_000)) else { unreachable!() };
        assert_eq!((short.len(), long.len()), (64, 64));
    }
}
