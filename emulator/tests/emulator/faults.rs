use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

const ORDERS: &str = "/admin/api/2026-07/orders.json";

async fn with_faults(faults: serde_json::Value) -> Emu {
    let emu = start(vec![shop("acme")]).await;
    let set = emu.control("/shops/acme/faults", faults).await;
    assert_eq!(set.status, 200, "{:?}", set.body);
    emu
}

#[tokio::test]
async fn shop_states_and_credential_faults_give_their_real_answers() {
    let cases = [
        (
            json!({"token_revoked": true}),
            401,
            json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
        ),
        (
            json!({"removed_scopes": ["read_orders"]}),
            403,
            json!({"errors": "[API] This action requires merchant approval for read_orders scope."}),
        ),
        (json!({"frozen": true}), 402, json!({"errors": "Unavailable Shop"})),
        (json!({"locked": true}), 423, json!({"errors": "This store is unavailable"})),
    ];
    for (faults, status, body) in cases {
        let emu = with_faults(faults.clone()).await;
        let reply = emu.get("acme", ORDERS).await;
        assert_eq!(reply.status, status, "{faults}");
        assert_eq!(reply.body, body, "{faults}");
    }
}

#[tokio::test]
async fn a_storm_of_429s_and_server_errors_can_be_switched_on_and_off() {
    let emu = with_faults(json!({"throttle_storm": true})).await;
    let reply = emu.get("acme", ORDERS).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("2.0"));

    emu.control("/shops/acme/faults", json!({"throttle_storm": false, "error_rate": 1.0})).await;
    for _ in 0..10 {
        let status = emu.get("acme", ORDERS).await.status.as_u16();
        assert!([500, 502, 503].contains(&status), "{status}");
    }
    emu.control("/shops/acme/faults", json!({"error_rate": 0.0})).await;
    assert_eq!(emu.get("acme", ORDERS).await.status, 200);
    let faults = emu.control_get("/shops/acme/faults").await;
    assert_eq!(faults["faults"]["error_rate"], 0.0);
}

#[tokio::test]
async fn dropped_connections_fail_the_clients_read() {
    let emu = with_faults(json!({"drop_rate": 1.0})).await;
    let response =
        emu.request(reqwest::Method::GET, "acme", ORDERS).header("x-shopify-access-token", TOKEN).send().await;
    let failed = match response {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the connection should drop");
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let emu = with_faults(json!({"latency_ms": 150})).await;
    let started = Instant::now();
    assert_eq!(emu.get("acme", ORDERS).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn requests_are_logged_and_counted_per_endpoint() {
    let emu = start(vec![shop("acme")]).await;
    emu.get("acme", ORDERS).await;
    emu.get("acme", "/admin/api/2026-07/orders/count.json").await;
    emu.get("acme", "/admin/api/2026-07/orders/count.json").await;
    let stats = emu.control_get("/stats").await;
    assert_eq!(stats["requests"], 3);
    assert_eq!(stats["by_endpoint"]["GET orders/count.json"], 2);
    assert_eq!(stats["by_status"]["200"], 3);
    let log = emu.control_get("/requests?limit=1").await;
    assert_eq!(log["requests"][0]["path"], "/admin/api/2026-07/orders/count.json");
    assert_eq!(log["requests"][0]["shop"], "acme.myshopify.com");
}

/// Asserts a `Link` header of the `malformed_link` fault and returns the URL inside it.
fn malformed_next(reply: &Reply) -> String {
    let header = reply.header("link").expect("a Link header");
    let url = header.strip_prefix("rel=\"next\">; ").and_then(|rest| rest.strip_suffix('<'));
    assert!(header.find('>') < header.find('<'), "{header}");
    url.unwrap_or_else(|| panic!("a malformed Link header: {header}")).to_owned()
}

#[tokio::test]
async fn the_next_n_link_headers_are_malformed_and_then_the_fault_is_off() {
    let emu = with_faults(json!({"malformed_link": 2})).await;
    // A single page carries no Link header, so it does not count.
    let single = emu.get("acme", "/admin/api/2026-07/locations.json").await;
    assert!(single.header("link").is_none());
    assert_eq!(emu.control_get("/shops/acme/faults").await["faults"]["malformed_link"], 2);

    let orders = emu.get("acme", &format!("{ORDERS}?status=any&limit=5")).await;
    let inside = malformed_next(&orders);
    assert!(inside.starts_with("https://acme.myshopify.com/admin/api/2026-07/orders.json?limit=5&page_info="));
    let locations: Vec<String> = ids(&single.body["locations"]).iter().map(u64::to_string).collect();
    let levels = emu
        .get("acme", &format!("/admin/api/2026-07/inventory_levels.json?limit=5&location_ids={}", locations.join(",")))
        .await;
    assert_eq!(levels.status, 200);
    assert!(malformed_next(&levels).contains("/inventory_levels.json?limit=5&page_info="));
    assert_eq!(emu.control_get("/shops/acme/faults").await["faults"]["malformed_link"], 0);

    // Only the framing was broken: the URL inside works, and its page's header is well formed.
    let second = emu.follow(&inside).await;
    assert_eq!(second.status, 200);
    let header = second.header("link").unwrap();
    assert!(header.starts_with("<https://acme.myshopify.com/") && header.ends_with(">; rel=\"next\""), "{header}");
    assert_eq!(emu.follow(&link(&second, "next").unwrap()).await.status, 200);
}

#[tokio::test]
async fn retry_after_is_sent_verbatim_on_every_429_until_reset_with_null() {
    let mut tiny = shop("acme");
    tiny["plan"] = json!({"bucket": 1, "leak_per_second": 1.0});
    let emu = start_manual(vec![tiny]).await;
    let set = emu.control("/shops/acme/faults", json!({"retry_after": "86400"})).await;
    assert_eq!(set.status, 200);
    assert_eq!(set.body["faults"]["retry_after"], "86400");

    assert_eq!(emu.get("acme", ORDERS).await.status, 200);
    let bucket = emu.get("acme", ORDERS).await;
    assert_eq!(bucket.status, 429);
    assert_eq!(bucket.header("retry-after"), Some("86400"));

    emu.control("/shops/acme/faults", json!({"throttle_storm": true})).await;
    emu.advance(2_000).await;
    let storm = emu.get("acme", ORDERS).await;
    assert_eq!(storm.status, 429);
    assert_eq!(storm.header("retry-after"), Some("86400"));

    let reset = emu.control("/shops/acme/faults", json!({"throttle_storm": false, "retry_after": null})).await;
    assert_eq!(reset.body["faults"]["retry_after"], serde_json::Value::Null);
    emu.advance(2_000).await;
    assert_eq!(emu.get("acme", ORDERS).await.status, 200);
    let default = emu.get("acme", ORDERS).await;
    assert_eq!(default.status, 429);
    assert_eq!(default.header("retry-after"), Some("2.0"));

    for refused in [json!({"retry_after": 86400}), json!({"retry_after": "1\n"})] {
        assert_eq!(emu.control("/shops/acme/faults", refused.clone()).await.status, 400, "{refused}");
    }
    assert_eq!(emu.control_get("/shops/acme/faults").await["faults"]["retry_after"], serde_json::Value::Null);
}
