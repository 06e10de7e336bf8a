//! What an operator's Prometheus reads at `/metrics` (with `serve --metrics`): counters this
//! process keeps since it started, and figures read when scraped. Counters are process-wide, as
//! the process is what Prometheus scrapes.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
};

/// A count that only goes up.
pub struct Counter(AtomicU64);

impl Counter {
    const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }

    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// GraphQL requests sent to Shopify, and the ones it answered THROTTLED.
pub static SHOPIFY_REQUESTS: Counter = Counter::new();
pub static SHOPIFY_THROTTLED: Counter = Counter::new();
/// Cost points Shopify charged (its `actualQueryCost`).
pub static SHOPIFY_POINTS: Counter = Counter::new();
/// Webhook deliveries verified and recorded; refused (unsigned, forged, unknown shop); repeats of
/// one already recorded (on this server or another), and deliveries too old to apply.
pub static WEBHOOKS_ACCEPTED: Counter = Counter::new();
pub static WEBHOOKS_REJECTED: Counter = Counter::new();
pub static WEBHOOKS_DEDUPLICATED: Counter = Counter::new();
/// Sync jobs this server claimed that another claim had held before (a server died, stalled
/// or stopped).
pub static LEASE_TAKEOVERS: Counter = Counter::new();
/// Sign-in attempts refused or slowed by a throttle.
pub static SIGNIN_THROTTLED: Counter = Counter::new();
/// Shipments this server wrote to Shopify; that Shopify refused; whose send waits to be tried
/// again (Shopify down, slow or throttling).
pub static SHIPMENTS_SENT: Counter = Counter::new();
pub static SHIPMENTS_FAILED: Counter = Counter::new();
pub static SHIPMENTS_RETRIED: Counter = Counter::new();

/// Connections closed as they arrived: their client held as many as it may at once.
pub static CONNECTIONS_REFUSED: Counter = Counter::new();

static ANSWERS: Mutex<BTreeMap<u16, u64>> = Mutex::new(BTreeMap::new());

/// Counts an HTTP answer by its status.
pub fn answered(status: u16) {
    *ANSWERS.lock().unwrap_or_else(|p| p.into_inner()).entry(status).or_default() += 1;
}

/// The Prometheus text format, one metric at a time.
#[derive(Default)]
pub struct Exposition(String);

impl Exposition {
    /// A metric with its help text and type, and its samples (labels written as `key="value"`).
    pub fn metric(&mut self, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let labels = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
            let _ = writeln!(self.0, "{name}{labels} {value}");
        }
    }

    pub fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.metric(name, kind, help, &[(String::new(), value)]);
    }

    /// Every counter this module keeps.
    pub fn counters(&mut self) {
        let counters = [
            ("storelink_shopify_requests_total", "GraphQL requests sent to Shopify.", &SHOPIFY_REQUESTS),
            ("storelink_shopify_throttled_total", "Shopify answers that were THROTTLED.", &SHOPIFY_THROTTLED),
            ("storelink_shopify_points_total", "Cost points Shopify charged.", &SHOPIFY_POINTS),
            ("storelink_webhooks_accepted_total", "Webhook deliveries verified and recorded.", &WEBHOOKS_ACCEPTED),
            (
                "storelink_webhooks_rejected_total",
                "Webhook deliveries refused (unsigned, forged, unknown shop).",
                &WEBHOOKS_REJECTED,
            ),
            (
                "storelink_webhooks_deduplicated_total",
                "Webhook deliveries already recorded, or too old.",
                &WEBHOOKS_DEDUPLICATED,
            ),
            ("storelink_lease_takeovers_total", "Sync jobs taken over from another claim.", &LEASE_TAKEOVERS),
            (
                "storelink_signin_throttled_total",
                "Sign-in attempts refused or slowed by a throttle.",
                &SIGNIN_THROTTLED,
            ),
            ("storelink_shipments_sent_total", "Shipments written back to Shopify.", &SHIPMENTS_SENT),
            ("storelink_shipments_failed_total", "Shipments Shopify refused.", &SHIPMENTS_FAILED),
            (
                "storelink_shipments_retried_total",
                "Shipment sends to be tried again (Shopify down, slow or throttling).",
                &SHIPMENTS_RETRIED,
            ),
            (
                "storelink_connections_refused_total",
                "Connections closed as they arrived: their client held as many as it may.",
                &CONNECTIONS_REFUSED,
            ),
        ];
        for (name, help, counter) in counters {
            self.single(name, "counter", help, counter.get() as f64);
        }
        let answers: Vec<(String, f64)> = ANSWERS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(status, n)| (format!("status=\"{status}\""), *n as f64))
            .collect();
        self.metric("storelink_http_responses_total", "counter", "HTTP answers by status.", &answers);
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_is_prometheus_text() {
        let mut out = Exposition::default();
        out.single("a_total", "counter", "A count.", 3.0);
        out.metric("b", "gauge", "B by state.", &[("state=\"done\"".into(), 2.0), ("state=\"failed\"".into(), 0.0)]);
        assert_eq!(
            out.finish(),
            "# HELP a_total A count.\n# TYPE a_total counter\na_total 3\n\
             # HELP b B by state.\n# TYPE b gauge\nb{state=\"done\"} 2\nb{state=\"failed\"} 0\n"
        );
    }
}
