use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_burst_beyond_the_bucket_gets_429_with_retry_after() {
    let mut standard = shop("acme");
    standard["plan"] = json!("standard");
    let emu = start(vec![standard]).await;
    let mut statuses = Vec::new();
    for n in 1..=50 {
        let reply = emu.get("acme", "/admin/api/2026-07/shop.json").await;
        if n <= 40 {
            assert_eq!(reply.status, 200, "request {n}");
            assert_eq!(reply.header("x-shopify-shop-api-call-limit"), Some(format!("{n}/40").as_str()));
        }
        if reply.status == 429 {
            assert_eq!(reply.header("retry-after"), Some("2.0"));
            assert_eq!(
                reply.body,
                json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
            );
            assert_eq!(reply.header("x-shopify-shop-api-call-limit"), Some("40/40"));
        }
        statuses.push(reply.status.as_u16());
    }
    assert!(statuses[40..].iter().filter(|s| **s == 429).count() >= 9, "{statuses:?}");
    let stats = emu.control_get("/stats").await;
    assert_eq!(stats["throttled"].as_u64().unwrap(), statuses.iter().filter(|s| **s == 429).count() as u64);
}

#[tokio::test]
async fn paced_requests_are_never_throttled() {
    let mut small = shop("acme");
    small["plan"] = json!({"bucket": 2, "leak_per_second": 20.0});
    let emu = start(vec![small]).await;
    for n in 0..25 {
        let reply = emu.get("acme", "/admin/api/2026-07/shop.json").await;
        assert_eq!(reply.status, 200, "request {n}");
        // 15 requests a second against a leak of 20.
        tokio::time::sleep(Duration::from_millis(66)).await;
    }
}
