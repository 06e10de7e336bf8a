//! What the queue counts over every order awaiting shipping (how many a filter finds, how long
//! they have waited), kept from one change of the stores' data to the next: 32 people looking
//! at an unchanged queue need it counted once, not once per page.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
};

use crate::error::AppError;

/// A count kept no longer than this (seconds), changed or not: holds run out and orders age
/// past a day by the clock alone.
const KEPT_SECS: i64 = 30;

/// Different filters kept at once; searches add one each, so past this all are forgotten.
const MOST_KEPT: usize = 256;

/// Counts by what they count (a text naming the stores and filters). Cheap to clone.
#[derive(Clone, Default)]
pub struct Tally<V> {
    slots: Arc<Mutex<HashMap<String, Slot<V>>>>,
}

/// One key's count, locked while it is counted.
type Slot<V> = Arc<tokio::sync::Mutex<Option<Kept<V>>>>;

struct Kept<V> {
    generation: u64,
    at: i64,
    value: V,
}

impl<V: Clone> Tally<V> {
    /// The value counted for `key` at `generation` (the data's changes heard so far, read before
    /// counting), or `count`'s now. Requests for one key wait for the one counting it.
    pub async fn get<F, Fut>(&self, key: String, generation: u64, now: i64, count: F) -> Result<V, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, AppError>>,
    {
        let slot = {
            let mut slots = self.slots.lock().expect("tally lock");
            if slots.len() >= MOST_KEPT && !slots.contains_key(&key) {
                slots.clear();
            }
            slots.entry(key).or_default().clone()
        };
        let mut kept = slot.lock().await;
        if let Some(kept) = kept.as_ref().filter(|k| k.generation == generation && now - k.at < KEPT_SECS) {
            return Ok(kept.value.clone());
        }
        let value = count().await?;
        *kept = Some(Kept { generation, at: now, value: value.clone() });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_count_is_kept_until_the_data_changes_or_it_grows_old() {
        let tally: Tally<i64> = Tally::default();
        let counted = AtomicUsize::new(0);
        let count = |value: i64| {
            let counted = &counted;
            move || async move {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(value)
            }
        };
        assert_eq!(tally.get("a".into(), 1, 100, count(5)).await.unwrap(), 5);
        assert_eq!(tally.get("a".into(), 1, 110, count(6)).await.unwrap(), 5, "unchanged: kept");
        assert_eq!(tally.get("b".into(), 1, 110, count(7)).await.unwrap(), 7, "another filter: its own");
        assert_eq!(tally.get("a".into(), 2, 110, count(8)).await.unwrap(), 8, "the data changed");
        assert_eq!(tally.get("a".into(), 2, 100 + KEPT_SECS + 20, count(9)).await.unwrap(), 9, "too old");
        assert_eq!(counted.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_failed_count_is_not_kept() {
        let tally: Tally<i64> = Tally::default();
        let failed = tally.get("a".into(), 1, 100, || async { Err(AppError::Internal) }).await;
        assert!(failed.is_err());
        assert_eq!(tally.get("a".into(), 1, 100, || async { Ok(3) }).await.unwrap(), 3);
    }
}
