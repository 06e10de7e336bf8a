//! The leaky bucket on a manual clock: exact sizes and leak rates, no sleeping.

use serde_json::{json, Value};

use crate::helpers::*;

const SHOP_JSON: &str = "/admin/api/2026-07/shop.json";

async fn on_plan(plan: Value) -> Emu {
    let mut acme = shop("acme");
    acme["plan"] = plan;
    start_manual(vec![acme]).await
}

/// One request; asserts its status and `X-Shopify-Shop-Api-Call-Limit`.
async fn call(emu: &Emu, status: u16, call_limit: &str) -> Reply {
    let reply = emu.get("acme", SHOP_JSON).await;
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert_eq!(reply.header("x-shopify-shop-api-call-limit"), Some(call_limit));
    reply
}

#[tokio::test]
async fn a_full_bucket_answers_429_until_exactly_one_request_has_leaked() {
    let emu = on_plan(json!("standard")).await;
    for n in 1..=40 {
        call(&emu, 200, &format!("{n}/40")).await;
    }
    let refused = call(&emu, 429, "40/40").await;
    assert_eq!(refused.header("retry-after"), Some("2.0"));
    assert_eq!(
        refused.body,
        json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
    );
    // Two a second: one request leaks out in 500 ms, and not a millisecond sooner.
    emu.advance(499).await;
    call(&emu, 429, "40/40").await;
    emu.advance(1).await;
    call(&emu, 200, "40/40").await;
    call(&emu, 429, "40/40").await;
    // Ten seconds drain twenty: twenty more fit, the twenty-first does not.
    emu.advance(10_000).await;
    for n in 21..=40 {
        call(&emu, 200, &format!("{n}/40")).await;
    }
    call(&emu, 429, "40/40").await;
    let stats = emu.control_get("/stats").await;
    assert_eq!(stats["throttled"], 4);
    assert_eq!(stats["by_status"]["200"], 61);
}

#[tokio::test]
async fn requests_at_exactly_the_leak_rate_are_never_throttled() {
    let emu = on_plan(json!({"bucket": 2, "leak_per_second": 20.0})).await;
    // One request every 50 ms against a leak of 20 a second: each finds the bucket empty.
    for _ in 0..100 {
        call(&emu, 200, "1/2").await;
        emu.advance(50).await;
    }
    call(&emu, 200, "1/2").await;
    call(&emu, 200, "2/2").await;
    call(&emu, 429, "2/2").await;
}

#[tokio::test]
async fn a_custom_plan_fills_and_leaks_at_its_own_rate() {
    let emu = on_plan(json!({"bucket": 10, "leak_per_second": 0.5})).await;
    for n in 1..=10 {
        call(&emu, 200, &format!("{n}/10")).await;
    }
    let refused = call(&emu, 429, "10/10").await;
    assert_eq!(
        refused.body,
        json!({"errors": "Exceeded 0.5 calls per second for api client. Reduce request rates to resume uninterrupted service."})
    );
    emu.advance(1_999).await;
    call(&emu, 429, "10/10").await;
    emu.advance(1).await;
    call(&emu, 200, "10/10").await;
    call(&emu, 429, "10/10").await;
    // Drained completely, the bucket starts again from one.
    emu.advance(60_000).await;
    call(&emu, 200, "1/10").await;
}
