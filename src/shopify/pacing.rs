//! One budget per store, shared by every request to it: paced from Shopify's
//! `X-Shopify-Shop-Api-Call-Limit` so the bucket never fills, `Retry-After` honoured on 429,
//! and transient failures retried with bounded exponential backoff and jitter.

use std::time::Duration;

use rand::Rng;
use tokio::sync::Mutex;

use super::{
    client::{Reply, ShopifyClient, ShopifyError},
    ShopDomain,
};
use crate::secrets::Secret;

/// Requests kept free in the bucket, so other apps' and storelink's own bursts never hit 429.
const HEADROOM: f64 = 4.0;
/// How often a call that failed for a passing reason is tried again.
pub const MAX_TRANSIENT_RETRIES: u32 = 6;
const MAX_THROTTLED_WAITS: u32 = 30;

/// What the pacer saw of the store's bucket.
#[derive(Debug, Default)]
struct Bucket {
    used: f64,
    size: f64,
    seen_at: Option<tokio::time::Instant>,
}

/// Something worth telling the person watching: waits and retries.
#[derive(Debug, Clone, PartialEq)]
pub enum PaceEvent {
    WaitedForRateLimit { millis: u64 },
    Retried { attempt: u32, reason: String },
}

pub struct Pacer {
    bucket: Mutex<Bucket>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer { bucket: Mutex::new(Bucket::default()) }
    }
}

/// Parses `used/size`.
fn call_limit(reply: &Reply) -> Option<(f64, f64)> {
    let value = reply.headers.get("x-shopify-shop-api-call-limit")?.to_str().ok()?;
    let (used, size) = value.split_once('/')?;
    Some((used.trim().parse().ok()?, size.trim().parse().ok()?))
}

impl Pacer {
    /// How long to wait before the next request so the bucket keeps its headroom. Shopify's
    /// buckets hold about 20 seconds of leak, so the leak rate is size / 20.
    async fn delay(&self) -> Duration {
        let bucket = self.bucket.lock().await;
        let Some(seen_at) = bucket.seen_at else { return Duration::ZERO };
        let leak = (bucket.size / 20.0).max(0.5);
        let drained = seen_at.elapsed().as_secs_f64() * leak;
        let level = (bucket.used - drained).max(0.0);
        let over = level + 1.0 - (bucket.size - HEADROOM);
        if over <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(over / leak)
        }
    }

    async fn observe(&self, used: f64, size: f64) {
        let mut bucket = self.bucket.lock().await;
        *bucket = Bucket { used, size, seen_at: Some(tokio::time::Instant::now()) };
    }

    /// GET `path` with pacing and retries; `events` hears about waits and retries.
    pub async fn get(
        &self,
        client: &ShopifyClient,
        shop: &ShopDomain,
        token: &Secret,
        path: &str,
        events: &mut impl FnMut(PaceEvent),
    ) -> Result<Reply, ShopifyError> {
        self.send(|| client.get(shop, token, path), events).await
    }

    /// Makes `call` when the bucket has room, waiting out 429s and retrying transient failures.
    pub async fn send<F: std::future::Future<Output = Result<Reply, ShopifyError>>>(
        &self,
        mut call: impl FnMut() -> F,
        events: &mut impl FnMut(PaceEvent),
    ) -> Result<Reply, ShopifyError> {
        let (mut transient, mut throttled) = (0u32, 0u32);
        loop {
            let wait = self.delay().await;
            if !wait.is_zero() {
                events(PaceEvent::WaitedForRateLimit { millis: wait.as_millis() as u64 });
                tokio::time::sleep(wait).await;
            }
            match call().await {
                Ok(reply) => {
                    if let Some((used, size)) = call_limit(&reply) {
                        self.observe(used, size).await;
                    }
                    return Ok(reply);
                }
                Err(ShopifyError::Throttled { retry_after_ms }) if throttled < MAX_THROTTLED_WAITS => {
                    throttled += 1;
                    events(PaceEvent::WaitedForRateLimit { millis: retry_after_ms });
                    tokio::time::sleep(Duration::from_millis(retry_after_ms)).await;
                }
                Err(err) if err.is_transient() && transient < MAX_TRANSIENT_RETRIES => {
                    transient += 1;
                    events(PaceEvent::Retried { attempt: transient, reason: err.to_string() });
                    tokio::time::sleep(backoff(transient)).await;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

/// 250 ms doubling per attempt, capped at 8 s, with up to 50 % jitter.
pub fn backoff(attempt: u32) -> Duration {
    let base = 250u64.saturating_mul(1 << attempt.min(5)).min(8_000);
    let jitter = rand::thread_rng().gen_range(0..=base / 2);
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(1) >= Duration::from_millis(500));
        assert!(backoff(20) <= Duration::from_millis(12_000));
    }

    #[tokio::test]
    async fn a_nearly_full_bucket_makes_the_next_request_wait() {
        let pacer = Pacer::default();
        assert_eq!(pacer.delay().await, Duration::ZERO);
        pacer.observe(10.0, 40.0).await;
        assert_eq!(pacer.delay().await, Duration::ZERO);
        pacer.observe(40.0, 40.0).await;
        // 5 over the headroom at 2 per second.
        let wait = pacer.delay().await;
        assert!(wait > Duration::from_millis(2000) && wait <= Duration::from_millis(2500), "{wait:?}");
    }
}
