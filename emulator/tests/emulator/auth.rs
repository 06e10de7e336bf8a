use base64::Engine;
use serde_json::json;

use crate::helpers::*;

const SHOP_JSON: &str = "/admin/api/2026-07/shop.json";

#[tokio::test]
async fn a_missing_or_wrong_token_gets_the_real_401() {
    let emu = start(vec![shop("acme")]).await;
    for request in [
        emu.request(reqwest::Method::GET, "acme", SHOP_JSON),
        emu.request(reqwest::Method::GET, "acme", SHOP_JSON).header("x-shopify-access-token", "shpat_wrong"),
    ] {
        let reply = reply(request).await;
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.body,
            json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
        );
        assert_eq!(reply.header("www-authenticate"), Some("Basic Realm=\"Shopify API Authentication\""));
    }
}

#[tokio::test]
async fn basic_auth_with_the_api_key_and_password_works() {
    let emu = start(vec![shop("acme")]).await;
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:{TOKEN}"));
    let ok = reply(
        emu.request(reqwest::Method::GET, "acme", SHOP_JSON).header("authorization", format!("Basic {credentials}")),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["shop"]["myshopify_domain"], "acme.myshopify.com");
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:nope"));
    let refused =
        reply(emu.request(reqwest::Method::GET, "acme", SHOP_JSON).header("authorization", format!("Basic {wrong}")))
            .await;
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn an_unknown_shop_is_404() {
    let emu = start(vec![shop("acme")]).await;
    let reply = emu.get("other", SHOP_JSON).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body, json!({"errors": "Not Found"}));
}

#[tokio::test]
async fn shops_are_chosen_by_host() {
    let mut beta = shop("beta");
    beta["name"] = json!("Bêta Boutique");
    let emu = start(vec![shop("acme"), beta]).await;
    assert_eq!(emu.get("beta", SHOP_JSON).await.body["shop"]["name"], "Bêta Boutique");
    assert_eq!(emu.get("acme", SHOP_JSON).await.body["shop"]["domain"], "acme.myshopify.com");
}

#[tokio::test]
async fn a_missing_scope_gets_the_real_403_and_a_write_scope_grants_read() {
    let mut limited = shop("acme");
    limited["scopes"] = json!(["read_orders", "write_products"]);
    let emu = start(vec![limited]).await;
    let customers = emu.get("acme", "/admin/api/2026-07/customers.json").await;
    assert_eq!(customers.status, 403);
    assert_eq!(
        customers.body,
        json!({"errors": "[API] This action requires merchant approval for read_customers scope."})
    );
    assert_eq!(emu.get("acme", "/admin/api/2026-07/products.json").await.status, 200);
    let scopes = emu.get("acme", "/admin/oauth/access_scopes.json").await;
    assert_eq!(scopes.body, json!({"access_scopes": [{"handle": "read_orders"}, {"handle": "write_products"}]}));
    assert!(scopes.header("x-shopify-api-version").is_none(), "access scopes are unversioned");
}

#[tokio::test]
async fn versions_are_echoed_and_unsupported_ones_fall_forward() {
    let emu = start(vec![shop("acme")]).await;
    let current = emu.get("acme", SHOP_JSON).await;
    assert_eq!(current.header("x-shopify-api-version"), Some("2026-07"));
    let old = emu.get("acme", "/admin/api/2019-04/shop.json").await;
    assert_eq!(old.status, 200);
    assert_eq!(old.header("x-shopify-api-version"), Some(storelink_emulator::SUPPORTED_VERSIONS[0]));
}
