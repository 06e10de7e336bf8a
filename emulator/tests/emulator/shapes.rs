//! Every response shape against the real JSON in tests/fixtures/shopify/2026-07.

use serde_json::Value;

use crate::helpers::*;

fn fixture(resource: &str, test: &str) -> Value {
    let path = format!("{}/tests/fixtures/shopify/2026-07/{resource}.json", env!("CARGO_MANIFEST_DIR"));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["examples"].as_array().unwrap().iter().find(|e| e["test"] == test).unwrap()["response_body"].clone()
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `expected` is in `actual` with the same JSON type (null matches anything, as
/// real fields are null in some records and not in others); arrays compare their first items.
pub fn shape_errors(expected: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                match a.get(key) {
                    Some(actual) => shape_errors(value, actual, &format!("{path}.{key}"), errors),
                    None => errors.push(format!("{path}.{key} is missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let (Some(e), Some(a)) = (e.first(), a.first()) {
                shape_errors(e, a, &format!("{path}[0]"), errors);
            }
        }
        (e, a) if kind(e) != kind(a) => errors.push(format!("{path}: expected {} but got {}", kind(e), kind(a))),
        _ => {}
    }
}

pub fn assert_shape(expected: &Value, records: &[Value], what: &str) {
    assert!(!records.is_empty(), "no {what} to compare");
    let mut errors = Vec::new();
    for record in records {
        shape_errors(expected, record, what, &mut errors);
    }
    errors.sort();
    errors.dedup();
    assert!(errors.is_empty(), "{what} differs from the fixture:\n{}", errors.join("\n"));
}

fn items(reply: &Reply, key: &str) -> Vec<Value> {
    reply.body[key].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_resource_has_the_fixtures_keys_with_the_same_types() {
    let emu = start(vec![shop("acme")]).await;
    let v = "/admin/api/2026-07";

    let shop_reply = emu.get("acme", &format!("{v}/shop.json")).await;
    assert_shape(&fixture("shop", "test_1")["shop"], &[shop_reply.body["shop"].clone()], "shop");

    let orders = items(&emu.get("acme", &format!("{v}/orders.json?status=any&limit=250")).await, "orders");
    assert_shape(&fixture("order", "test_8")["order"], &orders, "order");
    assert_shape(&fixture("order", "test_1")["orders"][0], &orders, "orders[]");

    let products = items(&emu.get("acme", &format!("{v}/products.json?limit=250")).await, "products");
    assert_shape(&fixture("product", "test_9")["product"], &products, "product");

    let customers = items(&emu.get("acme", &format!("{v}/customers.json?limit=250")).await, "customers");
    assert_shape(&fixture("customer", "test_12")["customer"], &customers, "customer");

    let locations = items(&emu.get("acme", &format!("{v}/locations.json")).await, "locations");
    assert_shape(&fixture("location", "test_2")["location"], &locations, "location");

    let location_id = locations[0]["id"].as_u64().unwrap();
    let levels = items(
        &emu.get("acme", &format!("{v}/inventory_levels.json?location_ids={location_id}")).await,
        "inventory_levels",
    );
    assert_shape(&fixture("inventory_level", "test_1")["inventory_levels"][0], &levels, "inventory_level");

    let open = items(&emu.get("acme", &format!("{v}/orders.json?status=open&limit=5")).await, "orders");
    let fo = emu.get("acme", &format!("{v}/orders/{}/fulfillment_orders.json", open[0]["id"])).await;
    assert_shape(
        &fixture("fulfillment_order", "test_1")["fulfillment_orders"][0],
        &items(&fo, "fulfillment_orders"),
        "fulfillment_order",
    );

    let scopes = emu.get("acme", "/admin/oauth/access_scopes.json").await;
    assert_shape(
        &fixture("access_scope", "test_1")["access_scopes"][0],
        &items(&scopes, "access_scopes"),
        "access_scope",
    );

    let count = emu.get("acme", &format!("{v}/orders/count.json?status=any")).await;
    assert_shape(&fixture("order", "test_9"), &[count.body], "count");

    let created = reply(
        emu.request(reqwest::Method::POST, "acme", &format!("{v}/webhooks.json"))
            .header("x-shopify-access-token", TOKEN)
            .json(&serde_json::json!({"webhook": {"topic": "orders/create", "address": "https://example.com/hooks"}})),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_shape(&fixture("webhook", "test_3")["webhook"], &[created.body["webhook"].clone()], "webhook");
}

#[tokio::test]
async fn data_follows_real_shops_conventions() {
    let emu = start(vec![shop("acme")]).await;
    let reply = emu.get("acme", "/admin/api/2026-07/orders.json?status=any&limit=250").await;
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    for order in items(&reply, "orders") {
        assert!(order["id"].as_u64().unwrap() > u64::from(u32::MAX));
        assert!(order["total_price"].as_str().unwrap().contains('.'));
        assert!(order["created_at"].as_str().unwrap().ends_with("-05:00"));
        assert!(order["tags"].is_string());
    }
}
