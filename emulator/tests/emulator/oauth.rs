//! Dev Dashboard apps: the client credentials grant's answers, the tokens it issues expiring on
//! the emulator's clock, the control endpoint's dev app and tokens, and webhooks signed with
//! the client secret.

use serde_json::{json, Value};
use storelink_emulator::webhooks::sign;

use crate::helpers::*;

const TOKEN_PATH: &str = "/admin/oauth/access_token";
const SHOP_JSON: &str = "/admin/api/2026-07/shop.json";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, \
                              or unsupported authentication method.";
const BAD_TOKEN: &str = "[API] Invalid API key or access token (unrecognized login or wrong password)";

async fn grant_json(emu: &Emu, shop: &str, body: Value) -> Reply {
    reply(emu.request(reqwest::Method::POST, shop, TOKEN_PATH).json(&body)).await
}

fn assert_refused(reply: &Reply, error: &str, description: &str) {
    assert_eq!(reply.status, 400, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(reply.body, json!({ "error": error, "error_description": description }));
}

fn assert_bad_token(reply: &Reply) {
    assert_eq!(reply.status, 401, "{:?}", reply.body);
    assert_eq!(reply.body, json!({ "errors": BAD_TOKEN }));
    assert_eq!(reply.header("www-authenticate"), Some("Basic Realm=\"Shopify API Authentication\""));
}

fn assert_granted(reply: &Reply, scope: &str, expires_in: u64) -> String {
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    let token = reply.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert!(token.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{token}");
    assert_eq!(reply.body, json!({ "access_token": token, "scope": scope, "expires_in": expires_in }));
    token
}

#[tokio::test]
async fn the_grant_answers_a_form_and_a_json_body_with_a_new_token_each_time() {
    let emu = start(vec![dev_shop("dev", json!({"scopes": ["write_orders", "read_customers"]}))]).await;
    let form = assert_granted(&emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await, "write_orders,read_customers", 86_399);
    let body = json!({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    let json = assert_granted(&grant_json(&emu, "dev", body).await, "write_orders,read_customers", 86_399);
    assert_ne!(form, json);
    // Both work, side by side.
    for token in [&form, &json] {
        assert_eq!(emu.get_as("dev", SHOP_JSON, token).await.status, 200);
    }
}

#[tokio::test]
async fn scopes_default_to_the_shops_and_the_token_carries_them() {
    let emu = start(vec![dev_shop("dev", json!({}))]).await;
    let granted = emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await;
    let token = assert_granted(&granted, &ALL_SCOPES.join(","), 86_399);
    let scopes = emu.get_as("dev", "/admin/oauth/access_scopes.json", &token).await;
    let handles: Vec<&str> =
        scopes.body["access_scopes"].as_array().unwrap().iter().map(|s| s["handle"].as_str().unwrap()).collect();
    assert_eq!(handles, ALL_SCOPES);
}

#[tokio::test]
async fn a_dev_apps_own_scopes_apply_less_removed_ones() {
    let mut both = shop("both");
    both["dev_app"] =
        json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scopes": ["read_orders", "read_products"]});
    let emu = start(vec![both]).await;
    let token = emu.token("both").await;
    assert_eq!(emu.get_as("both", "/admin/api/2026-07/orders.json", &token).await.status, 200);
    let customers = emu.get_as("both", "/admin/api/2026-07/customers.json", &token).await;
    assert_eq!(customers.status, 403);
    assert_eq!(
        customers.body,
        json!({"errors": "[API] This action requires merchant approval for read_customers scope."})
    );
    assert_eq!(
        emu.get("both", "/admin/api/2026-07/customers.json").await.status,
        200,
        "the legacy token keeps its own"
    );

    emu.control("/shops/both/faults", json!({"removed_scopes": ["read_orders"]})).await;
    assert_eq!(emu.get_as("both", "/admin/api/2026-07/orders.json", &token).await.status, 403);
    let granted = emu.grant("both", CLIENT_ID, CLIENT_SECRET).await;
    assert_granted(&granted, "read_products", 86_399);
}

#[tokio::test]
async fn an_unknown_shop_gets_an_html_page_not_json() {
    let emu = start(vec![dev_shop("dev", json!({}))]).await;
    let response = emu
        .request(reqwest::Method::POST, "nowhere", TOKEN_PATH)
        .form(&[("grant_type", "client_credentials"), ("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let text = response.text().await.unwrap();
    assert!(text.contains("unavailable") && text.starts_with("<!DOCTYPE html>"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn another_grant_type_is_unsupported() {
    let emu = start(vec![dev_shop("dev", json!({}))]).await;
    let description = "The authorization grant type is not supported by the authorization server.";
    let form = [("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)];
    let refused = reply(emu.request(reqwest::Method::POST, "dev", TOKEN_PATH).form(&form)).await;
    assert_refused(&refused, "unsupported_grant_type", description);
    let missing = grant_json(&emu, "dev", json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})).await;
    assert_refused(&missing, "unsupported_grant_type", description);
    let malformed = reply(
        emu.request(reqwest::Method::POST, "dev", TOKEN_PATH).header("content-type", "application/json").body("{"),
    )
    .await;
    assert_eq!((malformed.status.as_u16(), malformed.body["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn a_wrong_client_or_a_shop_without_a_dev_app_is_an_invalid_client() {
    let emu = start(vec![dev_shop("dev", json!({})), shop("legacy")]).await;
    assert_refused(&emu.grant("dev", CLIENT_ID, "shpss_wrong").await, "invalid_client", INVALID_CLIENT);
    assert_refused(&emu.grant("dev", "someone-else", CLIENT_SECRET).await, "invalid_client", INVALID_CLIENT);
    let json = json!({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "nope"});
    assert_refused(&grant_json(&emu, "dev", json).await, "invalid_client", INVALID_CLIENT);
    let no_secret = json!({"grant_type": "client_credentials", "client_id": CLIENT_ID});
    assert_refused(&grant_json(&emu, "dev", no_secret).await, "invalid_client", INVALID_CLIENT);
    assert_refused(&emu.grant("legacy", CLIENT_ID, CLIENT_SECRET).await, "invalid_client", INVALID_CLIENT);
    // The client credentials are not tokens.
    assert_bad_token(&emu.get_as("dev", SHOP_JSON, CLIENT_SECRET).await);
}

#[tokio::test]
async fn another_organizations_shop_and_an_uninstalled_app_are_refused() {
    let emu = start(vec![
        dev_shop("foreign", json!({"same_organization": false})),
        dev_shop("gone", json!({"installed": false})),
    ])
    .await;
    for refused in [
        emu.grant("foreign", CLIENT_ID, CLIENT_SECRET).await,
        grant_json(
            &emu,
            "foreign",
            json!({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await,
    ] {
        assert_refused(&refused, "shop_not_permitted", "Client credentials cannot be performed on this shop.");
    }
    assert_refused(
        &emu.grant("gone", CLIENT_ID, CLIENT_SECRET).await,
        "app_not_installed",
        "The application is not installed on this shop.",
    );
}

#[tokio::test]
async fn a_token_works_until_the_clock_passes_its_expiry_and_then_gets_the_real_401() {
    let emu = start_manual(vec![dev_shop("dev", json!({"token_lifetime_secs": 3600}))]).await;
    let first = assert_granted(&emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await, &ALL_SCOPES.join(","), 3600);
    assert_eq!(emu.get_as("dev", SHOP_JSON, &first).await.body["shop"]["myshopify_domain"], "dev.myshopify.com");

    emu.advance(1_800_000).await;
    let second = emu.token("dev").await;
    emu.advance(1_799_999).await;
    assert_eq!(emu.get_as("dev", "/admin/api/2026-07/orders.json", &first).await.status, 200, "a millisecond left");
    emu.advance(1).await;
    assert_bad_token(&emu.get_as("dev", "/admin/api/2026-07/orders.json", &first).await);
    assert_eq!(emu.get_as("dev", SHOP_JSON, &second).await.status, 200, "a later token lives on");

    let listed = emu.control_get("/shops/dev/tokens").await;
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        (&tokens[0]["access_token"], &tokens[0]["live"], &tokens[0]["expires_in"]),
        (&json!(first), &json!(false), &json!(0))
    );
    assert_eq!(
        (&tokens[1]["access_token"], &tokens[1]["live"], &tokens[1]["expires_in"]),
        (&json!(second), &json!(true), &json!(1800))
    );
    let now = emu.control_get("/clock").await["unix_now"].as_i64().unwrap();
    assert_eq!(tokens[1]["expires_at"].as_i64().unwrap(), now + 1800);
    assert_eq!(tokens[0]["expires_at"].as_i64().unwrap(), now);

    emu.advance(1_800_000).await;
    assert_bad_token(&emu.get_as("dev", SHOP_JSON, &second).await);
}

#[tokio::test]
async fn expiring_the_tokens_leaves_the_legacy_token_working() {
    let mut both = shop("both");
    both["dev_app"] = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    let emu = start_manual(vec![both, shop("legacy")]).await;
    let tokens = [emu.token("both").await, emu.token("both").await];
    let expired = emu.control("/shops/both/tokens/expire", json!({})).await;
    assert_eq!((expired.status.as_u16(), &expired.body), (200, &json!({"expired": 2})));
    for token in &tokens {
        assert_bad_token(&emu.get_as("both", SHOP_JSON, token).await);
    }
    assert_eq!(emu.get("both", SHOP_JSON).await.status, 200);
    let fresh = emu.token("both").await;
    assert_eq!(emu.get_as("both", SHOP_JSON, &fresh).await.status, 200, "new grants work again");
    assert_eq!(emu.control("/shops/legacy/tokens/expire", json!({})).await.status, 404);
    assert_eq!(emu.control("/shops/nowhere/tokens/expire", json!({})).await.status, 404);
}

#[tokio::test]
async fn rotating_the_secret_refuses_the_old_one_and_keeps_issued_tokens() {
    let emu = start(vec![dev_shop("dev", json!({})), shop("legacy")]).await;
    let before = emu.token("dev").await;
    let rotated = emu.control("/shops/dev/dev_app", json!({"client_secret": "shpss_rotated"})).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.body);
    assert_eq!(rotated.body["dev_app"]["client_secret"], "shpss_rotated");
    assert_eq!(rotated.body["dev_app"]["client_id"], CLIENT_ID);
    assert_refused(&emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await, "invalid_client", INVALID_CLIENT);
    let after = emu.grant("dev", CLIENT_ID, "shpss_rotated").await;
    assert_eq!(after.status, 200);
    assert_eq!(emu.get_as("dev", SHOP_JSON, &before).await.status, 200);
    assert_eq!(emu.control_get("/shops/dev/dev_app").await["dev_app"]["client_secret"], "shpss_rotated");

    for refused in [json!({"client_id": "other"}), json!({"client_secret": ""}), json!({"installed": "no"})] {
        assert_eq!(emu.control("/shops/dev/dev_app", refused.clone()).await.status, 400, "{refused}");
    }
    assert_eq!(emu.control("/shops/legacy/dev_app", json!({"installed": true})).await.status, 404);
    assert_eq!(emu.control_get("/shops/legacy/dev_app").await, json!({"error": "dev app not found"}));
}

#[tokio::test]
async fn the_dev_app_can_be_uninstalled_moved_out_of_the_organization_and_given_a_new_lifetime() {
    let emu = start(vec![dev_shop("dev", json!({}))]).await;
    let changed = emu.control("/shops/dev/dev_app", json!({"token_lifetime_secs": 60})).await;
    assert_eq!(changed.body["dev_app"]["token_lifetime_secs"], 60);
    let token = assert_granted(&emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await, &ALL_SCOPES.join(","), 60);

    emu.control("/shops/dev/dev_app", json!({"same_organization": false})).await;
    let foreign = emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await;
    assert_refused(&foreign, "shop_not_permitted", "Client credentials cannot be performed on this shop.");
    assert_eq!(emu.get_as("dev", SHOP_JSON, &token).await.status, 200);

    emu.control("/shops/dev/dev_app", json!({"same_organization": true, "installed": false})).await;
    let gone = emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await;
    assert_refused(&gone, "app_not_installed", "The application is not installed on this shop.");
    assert_bad_token(&emu.get_as("dev", SHOP_JSON, &token).await);

    let back = emu.control("/shops/dev/dev_app", json!({"installed": true})).await;
    assert_eq!(back.body["dev_app"]["installed"], true);
    assert_bad_token(&emu.get_as("dev", SHOP_JSON, &token).await);
    assert_eq!(emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await.status, 200, "reinstalled, it grants again");
}

#[tokio::test]
async fn uninstalling_a_dev_app_shop_revokes_its_tokens_and_its_grants() {
    let emu = start(vec![dev_shop("dev", json!({}))]).await;
    let token = emu.token("dev").await;
    emu.control("/shops/dev/uninstall", json!({})).await;
    assert_bad_token(&emu.get_as("dev", SHOP_JSON, &token).await);
    let gone = emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await;
    assert_refused(&gone, "app_not_installed", "The application is not installed on this shop.");
}

async fn subscribe_as(emu: &Emu, shop: &str, token: &str, topic: &str, address: &str) -> Reply {
    reply(
        emu.request(reqwest::Method::POST, shop, "/admin/api/2026-07/webhooks.json")
            .header("x-shopify-access-token", token)
            .json(&json!({"webhook": {"topic": topic, "address": address, "format": "json"}})),
    )
    .await
}

async fn with_fast_webhooks(shops: Vec<Value>) -> Emu {
    start_with(json!({"shops": shops, "webhooks": {"retries": 0, "first_retry_ms": 20, "timeout_ms": 2000}})).await
}

#[tokio::test]
async fn a_dev_app_shops_deliveries_are_signed_with_the_client_secret() {
    let (receiver, addr) = Receiver::start(0).await;
    let emu = with_fast_webhooks(vec![dev_shop("dev", json!({}))]).await;
    let address = format!("http://{addr}/hooks");
    let token = emu.token("dev").await;
    assert_eq!(subscribe_as(&emu, "dev", &token, "orders/create", &address).await.status, 201);
    emu.control("/shops/dev/orders", json!({})).await;
    let first = receiver.wait_for(1).await;
    assert_eq!(first[0].header("x-shopify-hmac-sha256"), sign(CLIENT_SECRET, &first[0].body));

    // After a rotation, deliveries are signed with the new secret.
    emu.control("/shops/dev/dev_app", json!({"client_secret": "shpss_rotated"})).await;
    emu.control("/shops/dev/orders", json!({})).await;
    let second = receiver.wait_for(2).await;
    assert_eq!(second[1].header("x-shopify-hmac-sha256"), sign("shpss_rotated", &second[1].body));

    // Hand-made deliveries: the subscribed app's secret, or the one asked for.
    let payload = json!({"shop_domain": "dev.myshopify.com"});
    let deliver = json!({"topic": "shop/redact", "payload": payload, "address": address});
    assert_eq!(emu.control("/shops/dev/deliver", deliver.clone()).await.status, 202);
    let mut overridden = deliver;
    overridden["secret"] = json!("shpss_someone_else");
    emu.control("/shops/dev/deliver", overridden).await;
    let all = receiver.wait_for(4).await;
    let signed_with =
        |secret: &str| all.iter().filter(|d| d.header("x-shopify-hmac-sha256") == sign(secret, &d.body)).count();
    assert_eq!(signed_with("shpss_rotated"), 2);
    assert_eq!(signed_with("shpss_someone_else"), 1);
}

#[tokio::test]
async fn each_app_sees_its_own_subscriptions_and_signs_with_its_own_secret() {
    let (receiver, addr) = Receiver::start(0).await;
    let mut both = shop("both");
    both["dev_app"] = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    let emu = with_fast_webhooks(vec![both]).await;
    let token = emu.token("both").await;
    let legacy_address = format!("http://{addr}/hooks?app=legacy");
    let dev_address = format!("http://{addr}/hooks?app=dev");
    assert_eq!(subscribe_as(&emu, "both", TOKEN, "orders/create", &legacy_address).await.status, 201);
    let dev = subscribe_as(&emu, "both", &token, "orders/create", &dev_address).await;
    assert_eq!(dev.status, 201);
    let dev_id = dev.body["webhook"]["id"].as_u64().unwrap();

    let listed = emu.get_as("both", "/admin/api/2026-07/webhooks.json", &token).await;
    assert_eq!(ids(&listed.body["webhooks"]), vec![dev_id]);
    assert_eq!(count(&emu, "both", "/admin/api/2026-07/webhooks/count.json").await, 1);
    let other_apps = emu.get("both", &format!("/admin/api/2026-07/webhooks/{dev_id}.json")).await;
    assert_eq!(other_apps.status, 404);

    emu.control("/shops/both/orders", json!({})).await;
    let received = receiver.wait_for(2).await;
    assert!(received.iter().all(|d| d.header("x-shopify-event-id") == received[0].header("x-shopify-event-id")));
    let deliveries = emu.control_get("/shops/both/deliveries").await;
    let addresses: Vec<&str> =
        deliveries["deliveries"].as_array().unwrap().iter().map(|d| d["address"].as_str().unwrap()).collect();
    assert_eq!(addresses.len(), 2);
    let signatures: Vec<String> = received.iter().map(|d| d.header("x-shopify-hmac-sha256")).collect();
    let body = &received[0].body;
    assert!(signatures.contains(&sign(SECRET, body)), "the legacy subscription uses the shared secret");
    assert!(signatures.contains(&sign(CLIENT_SECRET, body)), "the dev app's uses the client secret");

    // A hand-made delivery to an address nobody subscribed: the legacy shared secret.
    let stranger = format!("http://{addr}/hooks?app=none");
    emu.control("/shops/both/deliver", json!({"topic": "customers/redact", "payload": {}, "address": stranger})).await;
    let all = receiver.wait_for(3).await;
    assert_eq!(all[2].header("x-shopify-hmac-sha256"), sign(SECRET, &all[2].body));
}

#[tokio::test]
async fn a_dev_app_only_shops_hand_made_deliveries_use_the_client_secret() {
    let (receiver, addr) = Receiver::start(0).await;
    let emu = with_fast_webhooks(vec![dev_shop("dev", json!({}))]).await;
    let deliver =
        json!({"topic": "customers/data_request", "payload": {"a": 1}, "address": format!("http://{addr}/hooks")});
    emu.control("/shops/dev/deliver", deliver).await;
    let received = receiver.wait_for(1).await;
    assert_eq!(received[0].header("x-shopify-hmac-sha256"), sign(CLIENT_SECRET, &received[0].body));
}

#[tokio::test]
async fn the_shops_faults_apply_to_the_grant() {
    let emu = start(vec![dev_shop("dev", json!({}))]).await;
    let cases = [
        (json!({"frozen": true}), 402, json!({"errors": "Unavailable Shop"})),
        (json!({"locked": true}), 423, json!({"errors": "This store is unavailable"})),
    ];
    for (faults, status, body) in cases {
        emu.control("/shops/dev/faults", faults.clone()).await;
        let refused = emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await;
        assert_eq!((refused.status.as_u16(), &refused.body), (status, &body), "{faults}");
        emu.control("/shops/dev/faults", json!({"frozen": false, "locked": false})).await;
    }

    emu.control("/shops/dev/faults", json!({"error_rate": 1.0})).await;
    for _ in 0..5 {
        let status = emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await.status.as_u16();
        assert!([500, 502, 503].contains(&status), "{status}");
    }
    emu.control("/shops/dev/faults", json!({"error_rate": 0.0, "drop_rate": 1.0})).await;
    let dropped = emu
        .request(reqwest::Method::POST, "dev", TOKEN_PATH)
        .form(&[("grant_type", "client_credentials"), ("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)])
        .send()
        .await;
    assert!(match dropped {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    });

    emu.control("/shops/dev/faults", json!({"drop_rate": 0.0, "latency_ms": 150})).await;
    let started = std::time::Instant::now();
    assert_eq!(emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
}

#[tokio::test]
async fn grants_skip_the_leaky_bucket_and_are_counted_and_logged() {
    let mut tiny = dev_shop("dev", json!({}));
    tiny["plan"] = json!({"bucket": 2, "leak_per_second": 1.0});
    let emu = start_manual(vec![tiny]).await;
    let tokens = grants(&emu, 5).await;
    let first = emu.get_as("dev", SHOP_JSON, &tokens[0]).await;
    assert_eq!(first.header("x-shopify-shop-api-call-limit"), Some("1/2"), "five grants left the bucket empty");
    assert_eq!(emu.get_as("dev", SHOP_JSON, &tokens[4]).await.status, 200);
    assert_eq!(emu.get_as("dev", SHOP_JSON, &tokens[1]).await.status, 429);
    assert_eq!(emu.grant("dev", CLIENT_ID, CLIENT_SECRET).await.status, 200, "a full bucket does not stop a grant");

    let stats = emu.control_get("/stats").await;
    assert_eq!(stats["by_endpoint"]["POST oauth/access_token"], 6);
    let log = emu.control_get("/requests?limit=1").await;
    assert_eq!(
        log["requests"][0],
        json!({"shop": "dev.myshopify.com", "method": "POST", "path": TOKEN_PATH, "status": 200})
    );
    emu.request(reqwest::Method::POST, "nowhere", TOKEN_PATH).send().await.unwrap();
    assert_eq!(emu.control_get("/stats").await["by_endpoint"]["POST (unknown shop)"], 1);
}

/// `n` grants, one after another.
async fn grants(emu: &Emu, n: usize) -> Vec<String> {
    let mut tokens = Vec::new();
    for _ in 0..n {
        tokens.push(emu.token("dev").await);
    }
    tokens
}
