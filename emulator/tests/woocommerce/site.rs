//! The site around the API: the index a client discovers it by, what is installed, the store's
//! settings, and the emulator's own counters and Shopify beside it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn the_index_names_the_site_its_timezone_and_namespaces_without_credentials() {
    let woo = start(vec![site(json!({"www": true}))]).await;
    let index = reply(woo.request(Method::GET, "www.shop.example.com", "/wp-json/")).await;
    assert_eq!(index.status, 200, "{}", index.text);
    assert_eq!(index.body["name"], "Example Shop");
    assert_eq!(index.body["url"], "https://www.shop.example.com");
    assert_eq!(index.body["home"], "https://www.shop.example.com");
    assert_eq!(index.body["gmt_offset"], 5.5);
    assert_eq!(index.body["timezone_string"], "Asia/Kolkata");
    let namespaces = index.body["namespaces"].as_array().unwrap();
    assert!(namespaces.contains(&json!("wc/v3")) && namespaces.contains(&json!("wc-shipment-tracking/v3")));
    assert!(index.body["routes"]["/wc/v3/orders"]["methods"].as_array().unwrap().contains(&json!("GET")));
    assert!(index.body["authentication"]["application-passwords"].is_object());
    // The bare host reaches the same site.
    let bare = reply(woo.request(Method::GET, HOST, "/wp-json")).await;
    assert_eq!(bare.body["home"], "https://www.shop.example.com");

    let http = start(vec![site(json!({"scheme": "http", "utc_offset_minutes": -240}))]).await;
    let index = http.get("/wp-json/").await;
    assert_eq!((index.body["gmt_offset"].clone(), index.body["timezone_string"].clone()), (json!("-4"), json!("")));
    assert_eq!(index.body["authentication"], json!([]));

    let home = reply(woo.request(Method::GET, HOST, "/")).await;
    assert_eq!(home.header("link"), Some("<https://www.shop.example.com/wp-json/>; rel=\"https://api.w.org/\""));
    let namespace = woo.get("/wp-json/wc/v3").await;
    assert_eq!(namespace.body["namespace"], "wc/v3");
}

#[tokio::test]
async fn what_is_not_installed_is_not_there() {
    let not_wordpress = start(vec![site(json!({"wordpress": false}))]).await;
    let index = not_wordpress.get("/wp-json/").await;
    assert_eq!(index.status, 404);
    assert!(index.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(not_wordpress.get("/?rest_route=/").await.status, 200, "a home page, not the API");
    assert!(not_wordpress.get("/?rest_route=/").await.body.is_string());

    let rest_off = start(vec![site(json!({"rest_api": false}))]).await;
    let refused = rest_off.get("/wp-json/wc/v3/orders").await;
    assert_eq!((refused.status.as_u16(), refused.code()), (404, "rest_disabled"));
    assert_eq!(rest_off.get("/wp-json/").await.code(), "rest_disabled");
    assert_eq!(rest_off.get("/?rest_route=/wc/v3/orders").await.code(), "rest_disabled");
    assert_eq!(reply(rest_off.request(Method::GET, HOST, "/")).await.header("link"), None);

    let no_woo = start(vec![site(json!({"woocommerce": false}))]).await;
    let index = no_woo.get("/wp-json/").await;
    assert_eq!(index.status, 200);
    assert!(!index.body["namespaces"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().starts_with("wc")));
    let orders = no_woo.get("/wp-json/wc/v3/orders").await;
    assert_eq!((orders.status.as_u16(), orders.code()), (404, "rest_no_route"));

    let woo = start(vec![site(json!({}))]).await;
    let page = reply(woo.request(Method::GET, HOST, "/shop/")).await;
    assert_eq!(page.status, 404);
    let unknown_method = woo.send(Method::DELETE, "/wp-json/wc/v3/orders", json!({})).await;
    assert_eq!(unknown_method.code(), "rest_no_route");
}

#[tokio::test]
async fn system_status_and_settings_describe_the_store() {
    let woo = start(vec![site(json!({"weight_unit": "lbs"}))]).await;
    let status = woo.get("/wp-json/wc/v3/system_status").await;
    assert_eq!(status.status, 200);
    assert_eq!(status.body["environment"]["home_url"], "https://shop.example.com");
    assert!(status.body["environment"]["version"].is_string());
    assert_eq!(status.body["settings"]["currency"], "USD");
    let plugins: Vec<&str> =
        status.body["active_plugins"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(plugins, ["WooCommerce", "WooCommerce Shipment Tracking"]);

    let unit = woo.get("/wp-json/wc/v3/settings/products/woocommerce_weight_unit").await;
    assert_eq!(unit.body["value"], "lbs");
    let products = woo.get("/wp-json/wc/v3/products?per_page=100").await;
    let weights: Vec<&Value> = products.body.as_array().unwrap().iter().map(|p| &p["weight"]).collect();
    assert!(weights.iter().any(|w| w.as_str().unwrap().parse::<f64>().is_ok()));
    let unknown = woo.get("/wp-json/wc/v3/settings/nothing").await;
    assert_eq!((unknown.status.as_u16(), unknown.code()), (404, "rest_setting_setting_group_invalid"));
}

#[tokio::test]
async fn woocommerce_requests_are_counted_and_logged_beside_a_shopify_shop() {
    let shop = json!({"handle": "acme", "access_token": "shpat_1", "scopes": ["read_orders"]});
    let woo = start_with(json!({"shops": [shop], "woocommerce": [site(json!({}))]})).await;
    assert_eq!(woo.get("/wp-json/wc/v3/orders").await.status, 200);
    let id = ids(&woo.get("/wp-json/wc/v3/orders").await.body)[0];
    assert_eq!(woo.get(&format!("/wp-json/wc/v3/orders/{id}")).await.status, 200);
    let shopify = reply(
        woo.request(Method::GET, "acme.myshopify.com", "/admin/api/2026-07/orders.json")
            .header("x-shopify-access-token", "shpat_1"),
    )
    .await;
    assert_eq!(shopify.status, 200, "{}", shopify.text);

    let stats: Value =
        woo.client.get(format!("{}/_emulator/stats", woo.emulator.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["by_endpoint"]["GET wc/v3/orders"], 2);
    assert_eq!(stats["by_endpoint"]["GET wc/v3/orders/{id}"], 1);
    assert_eq!(stats["requests"], 4);
    let log: Value = woo
        .client
        .get(format!("{}/_emulator/requests", woo.emulator.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &log["requests"][0];
    assert_eq!(
        (first["shop"].clone(), first["path"].clone(), first["status"].clone()),
        (json!(HOST), json!("/wp-json/wc/v3/orders"), json!(200))
    );
}

#[tokio::test]
async fn the_control_endpoint_shows_an_order_as_the_emulator_holds_it() {
    let woo = start(vec![site(json!({}))]).await;
    let created = woo.control("/orders", json!({"status": "on-hold"})).await;
    assert_eq!(created.status, 201);
    let id = created.body["order"]["id"].as_u64().unwrap();
    assert_eq!(woo.get(&format!("/wp-json/wc/v3/orders/{id}")).await.body["status"], "on-hold");
    woo.control(
        &format!("/orders/{id}/update"),
        json!({"status": "processing", "note": "Paid by transfer", "customer_note": true}),
    )
    .await;
    let held = woo.control_get(&format!("/orders/{id}")).await;
    assert_eq!(held["order"]["status"], "processing");
    let notes: Vec<&str> = held["notes"].as_array().unwrap().iter().map(|n| n["note"].as_str().unwrap()).collect();
    assert_eq!(notes, ["Order status changed from On hold to Processing.", "Paid by transfer"]);
    assert!(held["tracking"].as_array().unwrap().is_empty());
    assert!(held["meta_data"].is_array());
    assert_eq!(woo.control(&format!("/orders/{id}/explode"), json!({})).await.status, 404);
    assert_eq!(woo.control("/orders", json!({"status": "shipped"})).await.status, 400);
    assert_eq!(woo.control_get("/orders/1").await["error"], "order not found");
}
