//! Every resource against the real JSON in tests/fixtures/woocommerce, and the conventions of
//! real sites' data.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/woocommerce/{name}", env!("CARGO_MANIFEST_DIR"));
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

fn assert_shape(expected: &Value, records: &[Value], what: &str) {
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
async fn every_resource_has_the_fixtures_keys_with_the_same_types() {
    let receiver = Receiver::start(vec![]).await;
    let woo = start(vec![site(json!({}))]).await;

    let orders = list(&woo.get("/wp-json/wc/v3/orders?per_page=100").await);
    assert_shape(&fixture("order.json"), &orders, "order");
    assert_shape(&fixture("orders_list.json")[0], &orders, "orders[]");
    let with_variation: Vec<Value> = orders
        .iter()
        .filter(|o| o["line_items"].as_array().unwrap().iter().any(|l| l["variation_id"] != 0))
        .cloned()
        .collect();
    assert_shape(&fixture("order.json"), &with_variation, "order with a variation");
    for line in with_variation.iter().flat_map(|o| o["line_items"].as_array().unwrap()) {
        if line["variation_id"] != 0 {
            assert_shape(&fixture("order.json")["line_items"][1], std::slice::from_ref(line), "variation line");
        }
    }

    let id = orders[0]["id"].as_u64().unwrap();
    let completed = woo.send(Method::PUT, &format!("/wp-json/wc/v3/orders/{id}"), json!({"status": "completed"})).await;
    assert_shape(&fixture("order_update_completed.json"), &[completed.body], "completed order");

    let products = list(&woo.get("/wp-json/wc/v3/products?per_page=100").await);
    let (variable, simple): (Vec<Value>, Vec<Value>) = products.into_iter().partition(|p| p["type"] == "variable");
    assert_shape(&fixture("product_simple.json"), &simple, "simple product");
    assert_shape(&fixture("products_list.json")[1], &simple, "products[] simple");
    assert_shape(&fixture("products_list.json")[0], &variable, "products[] variable");

    let parent = variable[0]["id"].as_u64().unwrap();
    let variations = list(&woo.get(&format!("/wp-json/wc/v3/products/{parent}/variations")).await);
    assert_eq!(variations.len(), 3);
    assert_shape(&fixture("product_variations_list.json")[0], &variations, "variations[]");
    let one = woo.get(&format!("/wp-json/wc/v3/products/{parent}/variations/{}", variations[0]["id"])).await;
    assert_shape(&fixture("product_variation.json"), &[one.body], "variation");

    let customers = list(&woo.get("/wp-json/wc/v3/customers?per_page=100").await);
    assert_shape(&fixture("customer.json"), &customers, "customer");

    let note = woo.send(Method::POST, &format!("/wp-json/wc/v3/orders/{id}/notes"), json!({"note": "Packed."})).await;
    assert_shape(&fixture("order_note_create.json"), &[note.body], "note");

    let webhook = woo
        .send(
            Method::POST,
            "/wp-json/wc/v3/webhooks",
            json!({"topic": "order.updated", "delivery_url": receiver.url, "secret": "s"}),
        )
        .await;
    assert_shape(&fixture("webhook_create.json"), &[webhook.body], "webhook");

    let tracking = woo
        .send(
            Method::POST,
            &format!("/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings"),
            fixture("shipment_tracking_create_request.json"),
        )
        .await;
    assert_shape(&fixture("shipment_tracking_item.json"), &[tracking.body], "tracking item");

    let providers =
        reply(woo.request(Method::GET, HOST, "/wp-json/wc-shipment-tracking/v3/shipment-trackings/providers")).await;
    assert_shape(
        &fixture("shipment_tracking_providers_shortened.json"),
        std::slice::from_ref(&providers.body),
        "providers",
    );
    for (region, entries) in fixture("shipment_tracking_providers_shortened.json").as_object().unwrap() {
        for (name, format) in entries.as_object().unwrap() {
            assert_eq!(&providers.body[region][name], format, "{region} {name}");
        }
    }

    let no_route = woo.get("/wp-json/wc/v3/nothing-here").await;
    assert_eq!(no_route.body, fixture("error_rest_no_route.json"));
    let unauthenticated = reply(woo.request(Method::GET, HOST, "/wp-json/wc/v3/orders")).await;
    assert_eq!(unauthenticated.body, fixture("error_401_cannot_list_observed.json"));
}

#[tokio::test]
async fn data_follows_woocommerce_conventions() {
    let woo = start(vec![site(json!({"orders": 300}))]).await;
    let reply = woo.get("/wp-json/wc/v3/orders?per_page=100&orderby=id&order=asc").await;
    assert_eq!(reply.header("content-type"), Some("application/json; charset=UTF-8"));
    // WordPress escapes slashes and non-ASCII letters as PHP's json_encode does.
    assert!(
        reply.text.contains(r#""href":"https:\/\/shop.example.com\/wp-json\/wc\/v3\/orders\/"#),
        "{}",
        &reply.text[..300]
    );
    assert!(reply.text.is_ascii() && reply.text.contains("\\u00"), "non-ASCII letters are escaped");

    let orders = woo.all_orders().await;
    assert_eq!(orders.len(), 300);
    let mut by_id: Vec<&Value> = orders.iter().collect();
    by_id.sort_by_key(|o| o["id"].as_u64());
    let created: Vec<&str> = by_id.iter().map(|o| o["date_created_gmt"].as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]), "ids rise with the creation date");

    let statuses: std::collections::BTreeSet<&str> = orders.iter().map(|o| o["status"].as_str().unwrap()).collect();
    for status in ["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"] {
        assert!(statuses.contains(status), "no {status} order");
    }
    let busy = orders.iter().filter(|o| o["status"] == "processing" || o["status"] == "completed").count();
    assert!(busy * 10 > orders.len() * 7, "most orders are processing or completed ({busy})");

    for order in &orders {
        let (local, gmt) = (order["date_created"].as_str().unwrap(), order["date_created_gmt"].as_str().unwrap());
        assert_eq!(local.len(), 19, "no offset: {local}");
        let parse = |s: &str| {
            time::PrimitiveDateTime::parse(s, &time::format_description::well_known::Iso8601::DEFAULT).unwrap()
        };
        assert_eq!(parse(local) - parse(gmt), time::Duration::minutes(330), "local is GMT+05:30");
        assert!(order["total"].as_str().unwrap().split_once('.').unwrap().1.len() == 2);
        assert!(order["shipping"].get("email").is_none(), "shipping addresses carry no email");
        assert!(order["billing"]["email"].as_str().unwrap().contains('@'));
        for line in order["line_items"].as_array().unwrap() {
            assert!(line["quantity"].as_i64().unwrap() >= 1);
            let product = woo.get(&format!("/wp-json/wc/v3/products/{}", line["product_id"])).await;
            assert_eq!(product.status, 200);
            let sku = if line["variation_id"] == 0 {
                product.body["sku"].clone()
            } else {
                let path =
                    format!("/wp-json/wc/v3/products/{}/variations/{}", line["product_id"], line["variation_id"]);
                let variation = woo.get(&path).await;
                assert!(variation.body["weight"].is_string());
                variation.body["sku"].clone()
            };
            assert_eq!(line["sku"], sku, "the line's SKU is its product's");
        }
        if order["status"] == "completed" {
            assert!(order["date_completed"].is_string() && order["date_paid"].is_string());
        }
    }
}

#[tokio::test]
async fn the_same_seed_makes_the_same_site() {
    let summary = |orders: Vec<Value>| -> Vec<(Value, Value, Value)> {
        orders.into_iter().map(|o| (o["id"].clone(), o["status"].clone(), o["total"].clone())).collect()
    };
    let (a, b) = (start(vec![site(json!({}))]).await, start(vec![site(json!({}))]).await);
    assert_eq!(summary(a.all_orders().await), summary(b.all_orders().await));
    let other = start(vec![site(json!({"seed": 4}))]).await;
    assert_ne!(summary(a.all_orders().await), summary(other.all_orders().await));
}
