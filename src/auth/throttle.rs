//! Slows down repeated failed sign-ins. After its free failures, each further attempt from a
//! client address, or at one account from one address, must wait, the wait doubling up to a
//! cap. An account's failures from everywhere together only slow its answers down (never
//! refuse them), so a stranger's guesses cannot lock the owner out: a browser that has signed in
//! before is not held back at all (see `device`), and a new one elsewhere waits a moment.
//! Attempts against the same key take turns, so a burst of parallel guesses cannot all pass the
//! check before the first failure is counted.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use sha2::{Digest, Sha256};

use super::repo;
use crate::{
    db::{self, Pool},
    error::AppError,
};

const FIRST_WAIT_SECS: i64 = 30;
pub const MAX_WAIT_SECS: i64 = crate::error::LONGEST_WAIT_SECS as i64;

/// The longest an account's failures from everywhere slow its answers down.
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// What failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// An account, by the SHA-256 of its normalised email: fixed in size whatever was typed,
    /// and the same for emails that exist and emails that do not.
    Account(String),
    /// An account's failures from one client address.
    AccountFrom(String, IpAddr),
    /// A client, by its network address.
    Client(IpAddr),
}

/// A client address as counted: IPv4 as itself (also when it arrives IPv4-mapped, as on a
/// server listening on `[::]`), IPv6 by its /64, since one subscriber holds all of it and
/// could send each guess from a new address.
pub fn network(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(address) => address.to_string(),
        IpAddr::V6(address) => {
            let network = u128::from(address) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
    }
}

impl Key {
    pub fn account(normalized_email: &str) -> Key {
        Key::Account(hex::encode(Sha256::digest(normalized_email.as_bytes())))
    }

    /// The account's key for attempts from `client`.
    pub fn from_client(&self, client: IpAddr) -> Key {
        match self {
            Key::Account(hash) | Key::AccountFrom(hash, _) => Key::AccountFrom(hash.clone(), client),
            Key::Client(_) => Key::Client(client),
        }
    }

    fn stored(&self) -> String {
        match self {
            Key::Account(hash) => format!("account:{hash}"),
            Key::AccountFrom(hash, client) => format!("account:{hash}@{}", network(*client)),
            Key::Client(client) => format!("client:{}", network(*client)),
        }
    }

    /// Failures allowed before attempts must wait: a person mistypes a few times; an office
    /// behind one address holds many people.
    pub fn free_failures(&self) -> i64 {
        match self {
            Key::Account(_) | Key::AccountFrom(..) => 5,
            Key::Client(_) => 20,
        }
    }

    fn refusal(&self, wait: i64) -> AppError {
        let retry_after_secs = wait as u64;
        match self {
            Key::Account(_) | Key::AccountFrom(..) => AppError::Throttled { retry_after_secs },
            Key::Client(_) => AppError::ThrottledClient { retry_after_secs },
        }
    }
}

/// A turn to try the keys: until it is dropped, other attempts against any of them wait.
pub struct Turn {
    _held: Vec<tokio::sync::OwnedMutexGuard<()>>,
}

/// Waits for the turn of every key (taken in one order, so two attempts cannot each hold what
/// the other waits for). Turns are per process; each server counts in the shared database.
pub async fn take_turn(keys: &[&Key]) -> Turn {
    static TURNS: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(Default::default);
    let mut names: Vec<String> = keys.iter().map(|k| k.stored()).collect();
    names.sort();
    names.dedup();
    let mut held = Vec::with_capacity(names.len());
    for name in names {
        let lock = {
            let mut turns = TURNS.lock().unwrap_or_else(|p| p.into_inner());
            // Forget the keys nobody holds or waits for, so the map stays as small as the
            // attempts under way.
            turns.retain(|_, lock| Arc::strong_count(lock) > 1);
            turns.entry(name).or_default().clone()
        };
        held.push(lock.lock_owned().await);
    }
    Turn { _held: held }
}

/// How long an attempt at an account waits before its password is checked: nothing until the
/// account's failures from everywhere pass its free ones, then a quarter second doubling up to
/// [`MAX_PAUSE`].
pub async fn pause(pool: &Pool, key: &Key) -> Result<Duration, AppError> {
    let failures = repo::failures(pool, &key.stored()).await?.map_or(0, |(failures, _)| failures);
    let pause = pause_after(key.free_failures(), failures);
    if !pause.is_zero() {
        crate::metrics::SIGNIN_THROTTLED.inc();
    }
    Ok(pause)
}

fn pause_after(free: i64, failures: i64) -> Duration {
    if failures < free {
        return Duration::ZERO;
    }
    let doublings = (failures - free).min(8) as u32;
    (Duration::from_millis(250) * 2u32.pow(doublings)).min(MAX_PAUSE)
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
        Some(wait) if wait > 0 => {
            crate::metrics::SIGNIN_THROTTLED.inc();
            Err(key.refusal(wait))
        }
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
    fn an_ipv6_client_is_its_whole_64_and_a_mapped_ipv4_client_itself() {
        let key = |address: &str| Key::Client(address.parse().unwrap()).stored();
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("203.0.113.7"), "client:203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "client:203.0.113.7");
        assert_ne!(key("::ffff:203.0.113.7"), key("::ffff:198.51.100.1"));
        let account = Key::account("ada@example.com");
        let from = |address: &str| account.from_client(address.parse().unwrap()).stored();
        assert_ne!(from("203.0.113.7"), from("198.51.100.1"));
        assert_ne!(from("203.0.113.7"), account.stored());
    }

    #[test]
    fn an_accounts_failures_everywhere_slow_it_down_a_little() {
        assert_eq!(pause_after(5, 4), Duration::ZERO);
        assert_eq!(pause_after(5, 5), Duration::from_millis(250));
        assert_eq!(pause_after(5, 7), Duration::from_millis(1000));
        assert_eq!(pause_after(5, 500), MAX_PAUSE);
    }

    #[tokio::test]
    async fn attempts_against_one_key_take_turns() {
        let key = Key::account("turns@example.com");
        let first = take_turn(&[&key, &key]).await;
        let other = Key::account("someone-else@example.com");
        drop(take_turn(&[&other]).await);
        let second = tokio::time::timeout(Duration::from_millis(50), take_turn(&[&key])).await;
        assert!(second.is_err(), "the second attempt waits for the first");
        drop(first);
        drop(take_turn(&[&key]).await);
    }

    #[test]
    fn account_keys_are_fixed_in_size() {
        let Key::Account(short) = Key::account("a@b.co") else { unreachable!() };
        let Key::Account(long) = Key::account(&"x".repeat(2_000_000)) else { unreachable!() };
        assert_eq!((short.len(), long.len()), (64, 64));
    }
}
