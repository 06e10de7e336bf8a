//! Every resource, error and webhook payload against the real JSON in
//! tests/fixtures/bigcommerce: the same keys with the same types.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/bigcommerce/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
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
fn shape_errors(expected: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
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

fn list(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body.as_array().unwrap().clone()
}

#[test]
fn the_shape_check_finds_missing_keys_and_wrong_types() {
    let mut errors = Vec::new();
    shape_errors(&json!({"a": 1, "b": "x", "c": [{"d": true}]}), &json!({"a": "1", "c": [{"d": 1}]}), "r", &mut errors);
    assert_eq!(
        errors,
        ["r.a: expected number but got string", "r.b is missing", "r.c[0].d: expected bool but got number"]
    );
}

#[tokio::test]
async fn orders_and_their_parts_have_the_fixtures_keys_with_the_same_types() {
    let bc = start(vec![store(json!({}))]).await;
    let orders = bc.all_orders("").await;
    assert_shape(&fixture("order.json"), &orders, "order");
    let one = bc.get(&format!("v2/orders/{}", orders[0]["id"])).await;
    assert_shape(&fixture("order.json"), &[one.body], "GET order");

    let mut lines = Vec::new();
    let mut addresses = Vec::new();
    for order in orders.iter().take(30) {
        lines.extend(list(&bc.get(&format!("v2/orders/{}/products?limit=250", order["id"])).await));
        addresses.extend(list(&bc.get(&format!("v2/orders/{}/shipping_addresses", order["id"])).await));
    }
    let with_options: Vec<Value> =
        lines.iter().filter(|l| !l["product_options"].as_array().unwrap().is_empty()).cloned().collect();
    assert_shape(&fixture("order_products.json")[0], &with_options, "order product with options");
    assert_shape(&fixture("order_products.json")[1], &lines, "order product");
    assert_shape(&fixture("order_shipping_addresses.json")[0], &addresses, "shipping address");

    let shipped = orders.iter().find(|o| o["status_id"] == 2).unwrap();
    let shipments = list(&bc.get(&format!("v2/orders/{}/shipments", shipped["id"])).await);
    assert_shape(&fixture("order_shipments_list.json")[0], &shipments, "shipment in a list");

    // The documentation's own request (its `order_address_id` a string), with this order's ids.
    let order = bc.new_order(json!({"lines": 2})).await;
    let id = order["id"].as_u64().unwrap();
    let products = list(&bc.get(&format!("v2/orders/{id}/products")).await);
    let address = list(&bc.get(&format!("v2/orders/{id}/shipping_addresses")).await)[0]["id"].as_u64().unwrap();
    let mut request = fixture("order_shipment_create_request.json");
    request["order_address_id"] = json!(address.to_string());
    for (item, product) in request["items"].as_array_mut().unwrap().iter_mut().zip(&products) {
        item["order_product_id"] = product["id"].clone();
    }
    let created = bc.send(Method::POST, &format!("v2/orders/{id}/shipments"), request).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_shape(&fixture("order_shipment.json"), &[created.body], "created shipment");

    let count = bc.get("v2/orders/count").await;
    assert_eq!(count.body["statuses"].as_array().unwrap().len(), 15);
    assert!(count.body["count"].is_number());
}

#[tokio::test]
async fn the_catalog_customers_and_store_have_the_fixtures_keys_with_the_same_types() {
    let bc = start(vec![store(json!({}))]).await;
    let products = bc.get("v3/catalog/products?limit=250").await;
    assert_shape(&fixture("product.json")["data"], products.body["data"].as_array().unwrap(), "product");
    let id = products.body["data"][0]["id"].as_u64().unwrap();
    let one = bc.get(&format!("v3/catalog/products/{id}")).await;
    assert_shape(&fixture("product.json"), &[one.body], "GET product");
    let variants = bc.get(&format!("v3/catalog/products/{id}/variants")).await;
    assert_shape(&fixture("product_variants.json"), &[variants.body], "variants");

    // Page two by cursor, so every link the fixture has exists.
    let first = bc.get("v3/customers?limit=5").await;
    let after = first.body["meta"]["cursor_pagination"]["end_cursor"].as_str().unwrap().to_owned();
    let include = "include=addresses,storecredit,shopper_profile_id,segment_ids";
    let customers = bc.get(&format!("v3/customers?page=2&limit=5&after={after}&{include}")).await;
    assert_shape(&fixture("customers.json"), &[customers.body], "customers");

    assert_shape(&fixture("store_information.json"), &[bc.get("v2/store").await.body], "store");
    assert_shape(&fixture("time.json"), &[bc.get("v2/time").await.body], "time");
}

#[tokio::test]
async fn errors_have_the_fixtures_bodies() {
    let bc = start(vec![store(json!({}))]).await;
    let unknown =
        reply(bc.bare(Method::GET, &format!("/stores/{HASH}/v2/orders")).header("x-auth-token", "nope")).await;
    assert_eq!((unknown.status.as_u16(), unknown.body.clone()), (401, fixture("error_401.json")));

    let not_allowed = bc.send(Method::PUT, "v3/catalog/products", json!({})).await;
    assert_eq!(not_allowed.status, 405, "the catalog's list takes no PUT");
    let no_scope = start(vec![store(json!({"scopes": {"orders": "read"}}))]).await;
    let refused = no_scope.get("v3/catalog/products").await;
    assert_eq!(refused.status, 403);
    assert_shape(&fixture("error_403.json"), &[refused.body], "403");

    let settings = bc
        .send(Method::PUT, "v3/inventory/locations/1/items", json!({"settings": [{"identity": {"variant_id": 1}}]}))
        .await;
    assert_eq!((settings.status.as_u16(), settings.body.clone()), (422, fixture("error_422_inventory.json")));

    let order = bc.new_order(json!({})).await["id"].as_u64().unwrap();
    let bad = bc
        .send(
            Method::POST,
            &format!("v2/orders/{order}/shipments"),
            json!({"order_address_id": 1, "items": [{"order_product_id": 1, "quantity": "many"}]}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_shape(&fixture("error_v2_400.json"), &[bad.body], "v2 400");
}

#[tokio::test]
async fn webhook_payloads_have_the_fixtures_keys_with_the_same_types() {
    let receiver = Receiver::start(vec![]).await;
    let bc = start(vec![store(json!({}))]).await;
    for scope in ["store/order/*", "store/shipment/created", "store/product/updated", "store/sku/inventory/updated"] {
        let created = bc.send(Method::POST, "v3/hooks", json!({"scope": scope, "destination": receiver.url})).await;
        assert_eq!(created.status, 200, "{}", created.text);
    }
    let order = bc.new_order(json!({"lines": 1})).await;
    let id = order["id"].as_u64().unwrap();
    let line = &bc.get(&format!("v2/orders/{id}/products")).await.body[0];
    let address = line["order_address_id"].clone();
    let shipment =
        json!({"order_address_id": address, "items": [{"order_product_id": line["id"], "quantity": line["quantity"]}]});
    assert_eq!(bc.send(Method::POST, &format!("v2/orders/{id}/shipments"), shipment).await.status, 201);
    let product = line["product_id"].as_u64().unwrap();
    bc.control(&format!("/products/{product}/update"), json!({"name": "Renamed"})).await;
    bc.control(&format!("/inventory/{}/update", line["variant_id"]), json!({"quantity": 5})).await;

    let received = receiver.wait_for(7).await;
    let by_scope =
        |scope: &str| -> Vec<Value> { received.iter().map(Received::json).filter(|p| p["scope"] == scope).collect() };
    for (scope, name) in [
        ("store/order/created", "webhook_store_order_created.json"),
        ("store/order/statusUpdated", "webhook_store_order_statusUpdated.json"),
        ("store/order/updated", "webhook_store_order_updated.json"),
        ("store/shipment/created", "webhook_store_shipment_created.json"),
        ("store/product/updated", "webhook_store_product_updated.json"),
        ("store/sku/inventory/updated", "webhook_store_sku_inventory_updated.json"),
    ] {
        assert_shape(&fixture(name), &by_scope(scope), scope);
    }

    let plain = start(vec![store(json!({"variants": 1}))]).await;
    let hook = json!({"scope": "store/product/inventory/updated", "destination": receiver.url});
    assert_eq!(plain.send(Method::POST, "v3/hooks", hook).await.status, 200);
    let variant = plain.get("v3/catalog/products?include=variants").await.body["data"][0]["variants"][0]["id"].clone();
    plain.control(&format!("/inventory/{variant}/update"), json!({"quantity": 9})).await;
    let payload = receiver.wait_for(8).await[7].json();
    assert_shape(&fixture("webhook_store_product_inventory_updated.json"), &[payload], "product inventory");
}
