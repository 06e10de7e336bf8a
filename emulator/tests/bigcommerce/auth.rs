//! The token and its scopes: `X-Auth-Token` is the only credential (`X-Auth-Client` is never
//! read), each route needs its resource at read-only or modify level, webhooks need none, and a
//! `store-` prefixed hash gets the misleading "required scope" 403.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const REQUIRED_SCOPE: &str = "You don't have a required scope to access the endpoint";

#[tokio::test]
async fn the_token_is_the_only_credential_and_the_client_id_is_never_checked() {
    let bc = start(vec![store(json!({}))]).await;
    let path = format!("/stores/{HASH}/v2/time");
    for token in [None, Some("wrong"), Some("")] {
        let mut request = bc.bare(Method::GET, &path).header("x-auth-client", CLIENT_ID);
        if let Some(token) = token {
            request = request.header("x-auth-token", token);
        }
        let refused = reply(request).await;
        assert_eq!(refused.status, 401, "{token:?}");
        assert_eq!(refused.body["status"], 401);
        assert!(refused.header("x-rate-limit-requests-left").is_none(), "no store, no quota");
    }
    for client in [Some(CLIENT_ID), Some("someone-elses-client"), None] {
        let mut request = bc.api(Method::GET, "v2/time");
        if let Some(client) = client {
            request = request.header("x-auth-client", client);
        }
        let answered = reply(request).await;
        assert_eq!(answered.status, 200, "{client:?}");
        assert!(answered.body["time"].as_i64().unwrap() > 1_700_000_000);
    }
    // The host does not matter: the path names the store.
    let any_host = reply(bc.api(Method::GET, "v2/time").header("host", "localhost")).await;
    assert_eq!(any_host.status, 200);
}

#[tokio::test]
async fn each_route_needs_its_scope_and_writes_need_modify() {
    let bc =
        start(vec![store(json!({"scopes": {"orders": "read", "products": "read-only", "inventory": "none"}}))]).await;
    assert_eq!(bc.get("v2/orders").await.status, 200);
    assert_eq!(bc.get("v3/catalog/products").await.status, 200);
    for path in ["v2/store", "v2/time", "v3/customers", "v3/inventory/items", "v3/inventory/locations"] {
        let refused = bc.get(path).await;
        assert_eq!((refused.status.as_u16(), refused.body["title"].as_str()), (403, Some(REQUIRED_SCOPE)), "{path}");
        assert_eq!(refused.body["errors"], json!({}));
    }
    let order = bc.get("v2/orders?limit=1").await.body[0]["id"].as_u64().unwrap();
    let write = bc.send(Method::POST, &format!("v2/orders/{order}/shipments"), json!({})).await;
    assert_eq!(
        (write.status.as_u16(), write.body["title"].as_str()),
        (403, Some(REQUIRED_SCOPE)),
        "read-only cannot ship"
    );
    let before = bc.get(&format!("v2/orders/{order}")).await.body["status_id"].clone();
    assert_eq!(bc.send(Method::PUT, &format!("v2/orders/{order}"), json!({"status_id": 14})).await.status, 403);
    assert_eq!(bc.get(&format!("v2/orders/{order}")).await.body["status_id"], before, "nothing changed");

    // The probe a token checker makes: POST /v2/orders with nothing is a 400 with modify, 403 without.
    assert_eq!(bc.send(Method::POST, "v2/orders", json!({})).await.status, 403);
    let modify = start(vec![store(json!({}))]).await;
    let probe = modify.send(Method::POST, "v2/orders", json!({})).await;
    assert_eq!(
        (probe.status.as_u16(), probe.body[0]["message"].clone()),
        (400, json!("The required field 'billing_address' was not supplied."))
    );

    // Webhooks need no scope at all.
    let none = start(vec![store(json!({"scopes": {}}))]).await;
    assert_eq!(none.get("v3/hooks").await.status, 200);
    assert_eq!(none.get("v2/orders").await.status, 403);
}

#[tokio::test]
async fn a_store_prefixed_hash_gets_the_required_scope_403_and_unknown_routes_404() {
    let bc = start(vec![store(json!({}))]).await;
    let prefixed =
        reply(bc.bare(Method::GET, &format!("/stores/store-{HASH}/v2/orders")).header("x-auth-token", TOKEN)).await;
    assert_eq!((prefixed.status.as_u16(), prefixed.body["title"].as_str()), (403, Some(REQUIRED_SCOPE)));

    let v2 = bc.get("v2/nothing").await;
    assert_eq!((v2.status.as_u16(), v2.body[0]["status"].clone()), (404, json!(404)));
    let v3 = bc.get("v3/nothing").await;
    assert_eq!((v3.status.as_u16(), v3.body["status"].clone()), (404, json!(404)));
    let method = bc.send(Method::DELETE, "v2/orders", json!({})).await;
    assert_eq!(method.status, 405);
}

#[tokio::test]
async fn requests_count_in_the_shared_stats_and_log() {
    let bc = start(vec![store(json!({}))]).await;
    bc.get("v2/orders").await;
    bc.get("v2/orders/100").await;
    bc.get("v2/orders/101").await;
    let stats = bc.stats().await;
    assert_eq!(stats["by_endpoint"]["GET bigcommerce v2/orders"], 1);
    assert_eq!(stats["by_endpoint"]["GET bigcommerce v2/orders/{id}"], 2);
    assert_eq!(stats["bigcommerce_quota"][HASH]["spent"], 3);
    let url = format!("{}/_emulator/requests", bc.emulator.url());
    let log: serde_json::Value = bc.client.get(url).send().await.unwrap().json().await.unwrap();
    let last = log["requests"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["shop"].clone(), last["path"].clone()),
        (json!(format!("stores/{HASH}")), json!(format!("/stores/{HASH}/v2/orders/101")))
    );
}
