//! What hosts and servers do to WooCommerce sites: latency, slow pages, 5xx, 429s with
//! `Retry-After`, captcha pages, a stripped `Authorization` header; and many requests served
//! at once.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const ORDERS: &str = "/wp-json/wc/v3/orders";

#[tokio::test]
async fn latency_delays_every_answer_and_slow_pages_only_collections() {
    let woo = start(vec![site(json!({"latency_ms": 120}))]).await;
    let started = Instant::now();
    assert_eq!(woo.get("/wp-json/").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(120));

    woo.faults(json!({"latency_ms": 0, "slow_pages_ms": 250})).await;
    let id = ids(&woo.get(&format!("{ORDERS}?per_page=1")).await.body)[0];
    let started = Instant::now();
    woo.get(&format!("{ORDERS}/{id}")).await;
    assert!(started.elapsed() < Duration::from_millis(200), "a single order is not a page");
    let started = Instant::now();
    woo.get(ORDERS).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    let read = woo.control_get("/faults").await;
    assert_eq!((read["latency_ms"].clone(), read["faults"]["slow_pages_ms"].clone()), (json!(0), json!(250)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_at_the_same_time_are_served_at_the_same_time() {
    let woo = start(vec![site(json!({"latency_ms": 300}))]).await;
    let paths: Vec<String> = (1..=8).map(|page| format!("{ORDERS}?per_page=5&page={page}")).collect();
    let started = Instant::now();
    let replies = futures::future::join_all(paths.iter().map(|path| woo.get(path))).await;
    assert!(replies.iter().all(|r| r.status == 200));
    // One after another they would take 2.4 s.
    assert!(started.elapsed() < Duration::from_millis(1_000), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn the_next_server_errors_alternate_503_and_500_then_stop() {
    let woo = start(vec![site(json!({"faults": {"status_5xx": 3}}))]).await;
    let statuses: Vec<u16> =
        futures::future::join_all((0..3).map(|_| woo.get(ORDERS))).await.iter().map(|r| r.status.as_u16()).collect();
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, [500, 503, 503]);
    let page = woo.get(ORDERS).await;
    assert_eq!(page.status, 200);

    woo.faults(json!({"status_5xx": 2})).await;
    let first = woo.get(ORDERS).await;
    assert_eq!(first.status, 500, "the count of kinds goes on: the fourth is a 500");
    assert!(first.header("content-type").unwrap().starts_with("text/html"));
    assert!(first.text.contains("critical error"));
    let second = woo.get(ORDERS).await;
    assert_eq!(second.status, 503);
    assert!(second.text.contains("503 Service Temporarily Unavailable"));
    assert_eq!(woo.control_get("/faults").await["faults"]["status_5xx"], 0);
}

#[tokio::test]
async fn every_nth_request_meets_the_hosts_429_with_retry_after() {
    let woo = start(vec![site(json!({"faults": {"host_429_every": 3, "host_429_retry_after_secs": 7}}))]).await;
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(woo.get(ORDERS).await);
    }
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
    assert_eq!(answers[2].header("retry-after"), Some("7"));
    assert!(answers[2].header("content-type").unwrap().starts_with("text/html"), "the web server's page");
    assert!(answers[5].header("content-type").unwrap().starts_with("application/json"), "a firewall's JSON");
    assert_eq!(answers[5].body["data"]["status"], 429);

    woo.faults(json!({"host_429_every": 0})).await;
    for _ in 0..4 {
        assert_eq!(woo.get(ORDERS).await.status, 200);
    }
    woo.faults(json!({"host_429_every": 1, "host_429_retry_after_secs": 0})).await;
    let bare = woo.get("/wp-json/").await;
    assert_eq!((bare.status.as_u16(), bare.header("retry-after")), (429, None));
}

#[tokio::test]
async fn a_captcha_answers_202_with_a_page_instead_of_json() {
    let woo = start(vec![site(json!({}))]).await;
    woo.faults(json!({"captcha": true})).await;
    let page = woo.get(ORDERS).await;
    assert_eq!(page.status, 202);
    assert_eq!(page.header("sg-captcha"), Some("challenge"));
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.body.is_string(), "not JSON");
    woo.faults(json!({"captcha": false})).await;
    assert_eq!(woo.get(ORDERS).await.status, 200);
    let unknown = woo.control("/faults", json!({"captha": true})).await;
    assert_eq!(unknown.status, 400, "a misspelt fault is refused");
}

#[tokio::test]
async fn a_stripped_authorization_header_leaves_only_the_query_string() {
    let woo = start(vec![site(json!({"faults": {"strip_authorization": true}}))]).await;
    let basic = woo.get(ORDERS).await;
    assert_eq!(basic.status, 401);
    assert_eq!(
        basic.body,
        json!({"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": {"status": 401}})
    );
    let query =
        reply(woo.request(Method::GET, HOST, &format!("{ORDERS}?consumer_key={KEY}&consumer_secret={SECRET}"))).await;
    assert_eq!(query.status, 200);
    woo.faults(json!({"strip_authorization": false})).await;
    assert_eq!(woo.get(ORDERS).await.status, 200);
}
