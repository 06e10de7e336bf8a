//! The store's shared quota: its four headers on every answer, counting down through the
//! 30-second window; 429 with `X-Retry-After` when it is spent (and sometimes without); another
//! app spending the same quota; the platform's header-less 429s; 5xx; latency served
//! concurrently.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

fn quota(reply: &Reply) -> (u64, u64, u64, u64) {
    (
        reply.number("x-rate-limit-requests-quota"),
        reply.number("x-rate-limit-requests-left"),
        reply.number("x-rate-limit-time-window-ms"),
        reply.number("x-rate-limit-time-reset-ms"),
    )
}

#[tokio::test]
async fn the_headers_count_down_through_the_window_and_429_says_when_it_refreshes() {
    let bc = start_manual(vec![store(json!({}))]).await;
    assert_eq!(quota(&bc.get("v2/time").await), (150, 149, 30_000, 30_000));
    assert_eq!(quota(&bc.get("v3/catalog/products").await), (150, 148, 30_000, 30_000));
    bc.advance(10_000).await;
    let third = bc.get("v2/orders").await;
    assert_eq!(quota(&third), (150, 147, 30_000, 20_000));

    bc.faults(json!({"quota": 4})).await;
    assert_eq!(quota(&bc.get("v2/time").await).1, 0, "the fourth request of the window spends it");
    let refused = bc.get("v2/time").await;
    assert_eq!(refused.status, 429);
    assert_eq!(quota(&refused), (4, 0, 30_000, 20_000));
    assert_eq!(refused.header("x-retry-after"), Some("20"));
    assert_eq!(refused.body["status"], 429);

    bc.advance(19_500).await;
    assert_eq!(bc.get("v2/time").await.header("x-retry-after"), Some("1"), "half a second rounds up");
    bc.advance(500).await;
    let refreshed = bc.get("v2/time").await;
    assert_eq!((refreshed.status.as_u16(), quota(&refreshed)), (200, (4, 3, 30_000, 30_000)), "a new window, whole");

    let stats = bc.stats().await;
    assert_eq!(stats["bigcommerce_quota"][HASH], json!({"spent": 5, "throttled": 2}));
    assert_eq!(stats["throttled"], 2);
}

#[tokio::test]
async fn the_plan_sets_the_quota() {
    let bc = start_manual(vec![store(json!({"plan": "pro"}))]).await;
    assert_eq!(quota(&bc.get("v2/time").await).0, 450);
    let plus = start_manual(vec![store(json!({"plan": "plus"}))]).await;
    assert_eq!(quota(&plus.get("v2/time").await).0, 150);
}

#[tokio::test]
async fn some_429s_come_without_retry_after() {
    let bc = start_manual(vec![store(json!({"faults": {"quota": 1, "quota_429_without_retry_after": 1.0}}))]).await;
    assert_eq!(bc.get("v2/time").await.status, 200);
    let refused = bc.get("v2/time").await;
    assert_eq!(refused.status, 429);
    assert!(refused.header("x-retry-after").is_none());
    assert_eq!(quota(&refused), (1, 0, 30_000, 30_000), "the quota headers still say when");

    bc.faults(json!({"quota_429_without_retry_after": 0.5})).await;
    let mut with = 0;
    for _ in 0..60 {
        if bc.get("v2/time").await.header("x-retry-after").is_some() {
            with += 1;
        }
    }
    assert!((10..=50).contains(&with), "about half: {with}");
}

#[tokio::test]
async fn another_app_spends_the_same_quota() {
    let bc = start_manual(vec![store(json!({"faults": {"other_app_requests_per_second": 5.0}}))]).await;
    assert_eq!(quota(&bc.get("v2/time").await).1, 149);
    bc.advance(10_000).await;
    assert_eq!(quota(&bc.get("v2/time").await).1, 150 - 2 - 50, "fifty requests of the other app");
    bc.faults(json!({"other_app_requests_per_second": 10.0})).await;
    bc.advance(19_000).await;
    let refused = bc.get("v2/time").await;
    assert_eq!((refused.status.as_u16(), refused.header("x-retry-after")), (429, Some("1")));
    bc.advance(1_000).await;
    assert_eq!(bc.get("v2/time").await.status, 200, "the next window starts whole");
}

#[tokio::test]
async fn the_platforms_429s_have_no_quota_headers_and_spend_nothing() {
    let bc = start_manual(vec![store(json!({}))]).await;
    bc.faults(json!({"platform_429": 2})).await;
    for _ in 0..2 {
        let refused = bc.get("v2/time").await;
        assert_eq!(refused.status, 429);
        assert!(refused.header("x-rate-limit-requests-left").is_none() && refused.header("x-retry-after").is_none());
    }
    assert_eq!(quota(&bc.get("v2/time").await).1, 149);
    assert_eq!(bc.control_get("/faults").await["faults"]["platform_429"], 0);
}

#[tokio::test]
async fn server_errors_alternate_and_spend_quota() {
    let bc = start_manual(vec![store(json!({"faults": {"status_5xx": 2}}))]).await;
    let first = bc.get("v2/orders").await;
    let second = bc.get("v2/orders").await;
    assert_eq!((first.status.as_u16(), second.status.as_u16()), (500, 503));
    assert_eq!(quota(&second).1, 148);
    assert_eq!(bc.get("v2/orders").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn latency_delays_every_answer_and_many_are_served_at_once() {
    let bc = start(vec![store(json!({"latency_ms": 300}))]).await;
    let started = Instant::now();
    let paths: Vec<String> = (1..=20).map(|n| format!("v2/orders/{}", 99 + n)).collect();
    let replies = futures::future::join_all(paths.iter().map(|p| bc.get(p))).await;
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 404));
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300));
    assert!(elapsed < Duration::from_millis(1_500), "one after another they would take 6 s: {elapsed:?}");
    let lefts: Vec<u64> = replies.iter().map(|r| r.number("x-rate-limit-requests-left")).collect();
    let mut sorted = lefts.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (130..150).collect::<Vec<u64>>(), "each spent exactly one");
    bc.faults(json!({"latency_ms": 0})).await;
    let quick = Instant::now();
    bc.get("v2/time").await;
    assert!(quick.elapsed() < Duration::from_millis(250));
}
