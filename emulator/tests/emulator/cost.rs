//! GraphQL cost and the points bucket on a manual clock: requested before, refunded after,
//! restored at the plan's rate, THROTTLED and MAX_COST_EXCEEDED as Shopify answers them.

use serde_json::{json, Value};

use crate::{helpers::*, shapes::shape_errors};

/// A shop on `plan` with its GraphQL bucket as `graphql` says (`null`: the plan's).
async fn on(plan: Value, graphql: Value) -> Emu {
    let mut acme = shop("acme");
    acme["plan"] = plan;
    match graphql {
        Value::Null => drop(acme.as_object_mut().unwrap().remove("graphql")),
        limits => acme["graphql"] = limits,
    }
    start_manual(vec![acme]).await
}

fn cost(reply: &Reply) -> &Value {
    &reply.body["extensions"]["cost"]
}

#[tokio::test]
async fn the_bucket_size_follows_the_plan() {
    for (plan, maximum, rate) in [("standard", 2000.0, 100.0), ("advanced", 4000.0, 200.0), ("plus", 20000.0, 1000.0)] {
        let emu = on(json!(plan), Value::Null).await;
        let reply = emu.gql("acme", "{ shop { name } }", json!({})).await;
        assert_eq!(
            cost(&reply)["throttleStatus"],
            json!({"maximumAvailable": maximum, "currentlyAvailable": maximum as i64 - 1, "restoreRate": rate}),
            "{plan}"
        );
    }
    let custom = on(json!("standard"), json!({"restore_rate": 50, "bucket": 1000})).await;
    let reply = custom.gql("acme", "{ shop { name } }", json!({})).await;
    assert_eq!(
        cost(&reply)["throttleStatus"],
        json!({"maximumAvailable": 1000.0, "currentlyAvailable": 999, "restoreRate": 50.0})
    );
}

#[tokio::test]
async fn the_requested_cost_is_taken_and_what_was_not_used_refunded() {
    let emu = on(json!("standard"), Value::Null).await;
    // 2 + 10 × (1 + 2): ten orders, each with two objects (the bag and the money) below it.
    let query = "{ orders(first: 10) { nodes { id totalPriceSet { shopMoney { amount } } } } }";
    let full = emu.gql("acme", query, json!({})).await;
    assert_eq!(cost(&full)["requestedQueryCost"], 32);
    assert_eq!(cost(&full)["actualQueryCost"], 32);
    assert_eq!(cost(&full)["throttleStatus"]["currentlyAvailable"], 1968);

    // Only three orders match: the other seven were requested but not returned.
    let three = emu.gql("acme", "{ orders(first: 10, query: \"id:<=5600000002000\") { nodes { id totalPriceSet { shopMoney { amount } } } } }", json!({})).await;
    let returned = data(&three)["orders"]["nodes"].as_array().unwrap().len() as i64;
    assert!(returned < 10);
    assert_eq!(cost(&three)["requestedQueryCost"], 32);
    assert_eq!(cost(&three)["actualQueryCost"], 2 + 3 * returned);
    assert_eq!(cost(&three)["throttleStatus"]["currentlyAvailable"], 1968 - (2 + 3 * returned));

    // Restored at 100 a second on the emulator's clock, never past the bucket.
    emu.advance(100).await;
    let later = emu.gql("acme", "{ shop { name } }", json!({})).await;
    assert_eq!(
        later.body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"],
        1968 - (2 + 3 * returned) + 10 - 1
    );
    emu.advance(60_000).await;
    let full_again = emu.gql("acme", "{ shop { name } }", json!({})).await;
    assert_eq!(cost(&full_again)["throttleStatus"]["currentlyAvailable"], 1999);
    // A mutation costs 10.
    let mutation = emu.gql("acme", "mutation { webhookSubscriptionDelete(id: \"gid://shopify/WebhookSubscription/1\") { userErrors { message } } }", json!({})).await;
    assert_eq!(
        (cost(&mutation)["requestedQueryCost"].clone(), cost(&mutation)["actualQueryCost"].clone()),
        (json!(10), json!(10))
    );
}

#[tokio::test]
async fn a_query_costing_more_than_is_available_is_throttled_until_the_bucket_refills() {
    let emu = on(json!("standard"), json!({"restore_rate": 50, "bucket": 1000})).await;
    let query = "{ products(first: 34) { nodes { id variants(first: 1) { nodes { id } } } } }";
    // 2 + 34 × (1 + 2 + 1 × 1) = 138
    let first = emu.gql("acme", query, json!({})).await;
    assert_eq!(cost(&first)["requestedQueryCost"], 138);
    let mut available = cost(&first)["throttleStatus"]["currentlyAvailable"].as_i64().unwrap();
    while available >= 138 {
        let next = emu.gql("acme", query, json!({})).await;
        assert!(next.body.get("data").is_some());
        available = cost(&next)["throttleStatus"]["currentlyAvailable"].as_i64().unwrap();
    }
    let throttled = emu.gql("acme", query, json!({})).await;
    assert_eq!(throttled.status, 200);
    let fixture = graphql_fixture("throttled.gist.json");
    assert_eq!(throttled.body["errors"], fixture["errors"]);
    assert!(throttled.body.get("data").is_none());
    assert_eq!(cost(&throttled)["requestedQueryCost"], 138);
    assert_eq!(cost(&throttled)["actualQueryCost"], Value::Null);
    assert_eq!(
        cost(&throttled)["throttleStatus"],
        json!({"maximumAvailable": 1000.0, "currentlyAvailable": available, "restoreRate": 50.0})
    );
    let mut errors = Vec::new();
    shape_errors(&fixture, &throttled.body, "", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    // Nothing was taken; the wait a client works out from the answer is exactly enough.
    let wait_ms = ((138 - available) as f64 / 50.0 * 1000.0).ceil() as u64;
    emu.advance(wait_ms - 20).await;
    assert_eq!(emu.gql("acme", query, json!({})).await.body["errors"][0]["extensions"]["code"], "THROTTLED");
    emu.advance(20).await;
    assert!(emu.gql("acme", query, json!({})).await.body.get("errors").is_none());
    let stats = emu.control_get("/stats").await;
    assert_eq!(stats["throttled"], 2);
}

#[tokio::test]
async fn a_query_over_1000_points_is_refused_whatever_is_available() {
    let emu = on(json!("plus"), Value::Null).await;
    // 2 + 250 × (1 + 2 + 1 × 1) = 1002, the fixture's cost.
    let reply = emu
        .gql("acme", "{ products(first: 250) { nodes { id variants(first: 1) { nodes { id } } } } }", json!({}))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, graphql_fixture("max-cost-exceeded.gist.json"));
    // Nothing was charged.
    let after = emu.gql("acme", "{ shop { name } }", json!({})).await;
    assert_eq!(cost(&after)["throttleStatus"]["currentlyAvailable"], 19999);
}

#[tokio::test]
async fn the_graphql_bucket_is_apart_from_the_rest_one() {
    let emu = on(json!({"bucket": 2, "leak_per_second": 0.1}), Value::Null).await;
    for _ in 0..2 {
        assert_eq!(emu.get("acme", "/admin/api/2026-07/shop.json").await.status, 200);
    }
    assert_eq!(emu.get("acme", "/admin/api/2026-07/shop.json").await.status, 429);
    let reply = emu.gql("acme", "{ shop { name } }", json!({})).await;
    assert_eq!(data(&reply)["shop"]["name"], "Acme Store");
    assert!(reply.header("x-shopify-shop-api-call-limit").is_none());
}
