//! Nothing missing: a store's own count of orders awaiting shipment, checked against
//! storelink's records of them. When the two differ, the orders that differ are found with few
//! requests (halving the store's history by creation date, counting each half on both sides,
//! until a part is small enough to list in one request) and fetched again; a difference that
//! outlasts that is kept, with each order and why, for the Stores page, the queue and
//! `/metrics`. Two counts agreeing cost one request.

use serde::{Deserialize, Serialize};

use crate::ids::StoreId;

#[cfg(feature = "ssr")]
pub mod repo;

/// How long a check holds: a store checked longer ago than this is checked again.
pub const CHECK_EVERY_SECS: i64 = 3600;

/// The last check of a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftCheck {
    pub store_id: StoreId,
    /// Unix seconds.
    pub checked_at: i64,
    /// Orders the platform says await shipment.
    pub platform_count: i64,
    /// Orders storelink's records say await shipment, after any repair.
    pub storelink_count: i64,
    /// Orders fetched again because they differed.
    pub fetched_again: i64,
    /// Orders that still differ after that, and why.
    pub unresolved: Vec<Differs>,
}

/// An order on one side of the count and not the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Differs {
    pub order_id: i64,
    /// As the platform names it, or `#` and its id.
    pub name: String,
    /// Why, in words.
    pub why: String,
}

impl DriftCheck {
    /// Orders the queue and the platform disagree on.
    pub fn drift(&self) -> i64 {
        self.unresolved.len() as i64
    }

    /// The check in a sentence, as the Stores page and the queue say it.
    pub fn summary(&self, now: i64) -> String {
        let minutes = ((now - self.checked_at).max(0) + 30) / 60;
        let when = match minutes {
            0 => "Checked just now".to_owned(),
            1 => "Checked 1 minute ago".to_owned(),
            n if n < 120 => format!("Checked {n} minutes ago"),
            n => format!("Checked {} hours ago", n / 60),
        };
        let orders = |n: i64| if n == 1 { "1 order".to_owned() } else { format!("{n} orders") };
        let repaired = match self.fetched_again {
            0 => String::new(),
            n => format!(" ({} fetched again)", orders(n)),
        };
        if self.unresolved.is_empty() {
            format!("{when}: all {} accounted for{repaired}.", orders(self.platform_count))
        } else {
            let differ = match self.drift() {
                1 => "1 order still differs".to_owned(),
                n => format!("{n} orders still differ"),
            };
            format!(
                "{when}: the store says {} await shipping, storelink has {}{repaired}; {differ}.",
                orders(self.platform_count),
                self.storelink_count,
            )
        }
    }
}

#[cfg(feature = "ssr")]
pub use check::{check, check_due};

#[cfg(feature = "ssr")]
mod check;

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(platform_count: i64, storelink_count: i64, fetched_again: i64, unresolved: usize) -> DriftCheck {
        let differs = Differs { order_id: 1, name: "#1".into(), why: "gone".into() };
        DriftCheck {
            store_id: StoreId(1),
            checked_at: 1_000,
            platform_count,
            storelink_count,
            fetched_again,
            unresolved: vec![differs; unresolved],
        }
    }

    #[test]
    fn a_check_says_what_it_found_and_did() {
        assert_eq!(checked(12, 12, 0, 0).summary(1_010), "Checked just now: all 12 orders accounted for.");
        assert_eq!(
            checked(1, 1, 1, 0).summary(1_000 + 600),
            "Checked 10 minutes ago: all 1 order accounted for (1 order fetched again)."
        );
        assert_eq!(
            checked(12, 11, 3, 1).summary(1_000 + 7_200),
            "Checked 2 hours ago: the store says 12 orders await shipping, storelink has 11 (3 orders fetched again); 1 order still differs."
        );
    }
}
