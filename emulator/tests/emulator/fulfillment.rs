//! Tracking written back: `fulfillmentCreate` and `fulfillmentTrackingInfoUpdate` against the
//! fixtures, what a fulfilment changes (and what a refusal does not), the faults a client must
//! survive, the webhooks, and the control endpoints that count fulfillments and hold orders.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{helpers::*, shapes::shape_errors};

const CREATE: &str = "mutation ($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
    fulfillment { id status } userErrors { field message } } }";

const CREATE_FULL: &str = "mutation ($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
    fulfillment { id legacyResourceId name status createdAt updatedAt
      trackingInfo(first: 5) { company number url }
      fulfillmentLineItems(first: 10) { nodes { id quantity lineItem { id } } }
      order { id } location { id } }
    userErrors { field message } } }";

/// A duplicate check before a retry: what remains, and what was shipped with which tracking.
/// (With `fulfillments(first: 50)` and 50 line items each it would cost more than 1000.)
const DUPLICATES: &str = "query ($id: ID!) { fulfillmentOrder(id: $id) { id status
    lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } }
    fulfillments(first: 5) { nodes { id status trackingInfo(first: 5) { company number url }
      fulfillmentLineItems(first: 20) { nodes { quantity lineItem { id } } } } } } }";

const UPDATE: &str = "mutation ($id: ID!, $t: FulfillmentTrackingInput!) {
    fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t, notifyCustomer: true) {
      fulfillment { id updatedAt trackingInfo(first: 5) { company number url } } userErrors { field message } } }";

/// A shop whose token may write fulfillments and hear of them.
fn writer(handle: &str) -> Value {
    let mut shop = shop(handle);
    let mut scopes: Vec<&str> = ALL_SCOPES.to_vec();
    scopes.extend(["write_merchant_managed_fulfillment_orders", "read_fulfillments"]);
    shop["scopes"] = json!(scopes);
    shop
}

/// A fulfillment order: its gid, order gid, location gid, how many its order has, and its lines
/// (`{id, remainingQuantity, totalQuantity, lineItem {id}}`).
#[derive(Debug, Clone)]
struct Fo {
    id: String,
    order: String,
    location: String,
    siblings: usize,
    lines: Vec<Value>,
}

impl Fo {
    fn order_id(&self) -> &str {
        self.order.rsplit('/').next().unwrap()
    }

    fn legacy_id(&self) -> &str {
        self.id.rsplit('/').next().unwrap()
    }

    fn line(&self, n: usize) -> &str {
        self.lines[n]["id"].as_str().unwrap()
    }
}

/// Every fulfillment order with `status` (`open`, `closed`, …) that has at least `lines` lines.
async fn fulfillment_orders(emu: &Emu, status: &str, lines: usize) -> Vec<Fo> {
    let query = "query ($q: String, $after: String) {
        fulfillmentOrders(first: 40, after: $after, includeClosed: true, query: $q) {
          pageInfo { hasNextPage endCursor }
          nodes { id orderId assignedLocation { location { id } } order { fulfillmentOrders(first: 5) { nodes { id } } }
            lineItems(first: 5) { nodes { id remainingQuantity totalQuantity lineItem { id } } } } } }";
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let reply = emu.gql("acme", query, json!({ "q": format!("status:{status}"), "after": after })).await;
        let page = &data(&reply)["fulfillmentOrders"];
        for fo in page["nodes"].as_array().unwrap() {
            let fo_lines = fo["lineItems"]["nodes"].as_array().unwrap().clone();
            if fo_lines.len() >= lines {
                all.push(Fo {
                    id: fo["id"].as_str().unwrap().to_owned(),
                    order: fo["orderId"].as_str().unwrap().to_owned(),
                    location: fo["assignedLocation"]["location"]["id"].as_str().unwrap().to_owned(),
                    siblings: fo["order"]["fulfillmentOrders"]["nodes"].as_array().unwrap().len(),
                    lines: fo_lines,
                });
            }
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return all;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn open_fo(emu: &Emu, lines: usize) -> Fo {
    fulfillment_orders(emu, "open", lines).await.into_iter().next().expect("an open fulfillment order")
}

/// `FulfillmentInput` for one fulfillment order: `lines` as (line gid, quantity), or all of it.
fn input(fo: &Fo, lines: Option<Vec<(&str, i64)>>) -> Value {
    let mut group = json!({ "fulfillmentOrderId": fo.id });
    if let Some(lines) = lines {
        group["fulfillmentOrderLineItems"] =
            lines.into_iter().map(|(id, quantity)| json!({ "id": id, "quantity": quantity })).collect();
    }
    json!({
        "lineItemsByFulfillmentOrder": [group],
        "trackingInfo": { "company": "DHL", "number": "JD0001", "url": "https://www.dhl.com/track?num=JD0001" },
        "notifyCustomer": true,
    })
}

async fn create(emu: &Emu, f: Value) -> Reply {
    emu.gql("acme", CREATE_FULL, json!({ "f": f })).await
}

/// The created fulfillment of a successful `fulfillmentCreate`.
fn created(reply: &Reply) -> Value {
    let payload = &data(reply)["fulfillmentCreate"];
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["fulfillment"].clone()
}

async fn recorded(emu: &Emu) -> Vec<Value> {
    emu.control_get("/shops/acme/fulfillments").await["fulfillments"].as_array().unwrap().clone()
}

async fn read_fo(emu: &Emu, id: &str) -> Value {
    data(&emu.gql("acme", DUPLICATES, json!({ "id": id })).await)["fulfillmentOrder"].clone()
}

#[tokio::test]
async fn a_fulfillment_has_the_fixtures_shape_and_costs_10() {
    let emu = start(vec![writer("acme")]).await;
    let fo = open_fo(&emu, 1).await;
    let reply = emu.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
    let fixture = graphql_fixture("fulfillment-create-success.blog.json");
    let mut errors = Vec::new();
    shape_errors(&fixture, &reply.body, "", &mut errors);
    assert!(errors.is_empty(), "{errors:?}\n{}", reply.body);
    let payload = &data(&reply)["fulfillmentCreate"];
    assert_eq!(payload["fulfillment"]["status"], "SUCCESS");
    assert!(payload["fulfillment"]["id"].as_str().unwrap().starts_with("gid://shopify/Fulfillment/"));
    let cost = &reply.body["extensions"]["cost"];
    assert_eq!((cost["requestedQueryCost"].as_i64(), cost["actualQueryCost"].as_i64()), (Some(10), Some(10)));

    // All of it, on another fulfillment order: the fields a desk reads back.
    let other = fulfillment_orders(&emu, "open", 1).await.into_iter().find(|o| o.order != fo.order).unwrap();
    let reply = create(&emu, input(&other, None)).await;
    let made = created(&reply);
    let number: u64 = made["legacyResourceId"].as_str().unwrap().parse().unwrap();
    assert_eq!(made["id"], format!("gid://shopify/Fulfillment/{number}"));
    let first: u64 = payload["fulfillment"]["id"].as_str().unwrap().rsplit('/').next().unwrap().parse().unwrap();
    assert!(number > first, "ids increase: {first} then {number}");
    let order_name =
        data(&emu.gql("acme", "query($id: ID!) { order(id: $id) { name } }", json!({"id": other.order})).await)
            ["order"]["name"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(made["name"], format!("{order_name}-F1"));
    assert_eq!(
        made["trackingInfo"],
        json!([{ "company": "DHL", "number": "JD0001", "url": "https://www.dhl.com/track?num=JD0001" }])
    );
    assert_eq!((&made["order"]["id"], &made["location"]["id"]), (&json!(other.order), &json!(other.location)));
    let shipped: Vec<(Value, Value)> = made["fulfillmentLineItems"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["lineItem"]["id"].clone(), l["quantity"].clone()))
        .collect();
    let wanted: Vec<(Value, Value)> =
        other.lines.iter().map(|l| (l["lineItem"]["id"].clone(), l["remainingQuantity"].clone())).collect();
    assert_eq!(shipped, wanted);
    assert_eq!(made["createdAt"], made["updatedAt"]);
    // Connections inside the payload cost as in a query: 10 + (2 + 10 × 2) for the line items.
    assert_eq!(reply.body["extensions"]["cost"]["requestedQueryCost"], 10 + 2 + 10 * 2);
}

#[tokio::test]
async fn without_the_write_scope_the_user_error_is_the_fixtures() {
    // The helpers' shop can read fulfillment orders but not write them.
    let emu = start(vec![shop("acme")]).await;
    let fo = open_fo(&emu, 1).await;
    let reply = emu.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
    let fixture = graphql_fixture("fulfillment-create-user-error.json");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["data"], fixture["data"]);
    assert_eq!(reply.body["extensions"]["cost"]["actualQueryCost"], 10);
    assert!(recorded(&emu).await.is_empty());

    // Taking the scope away at run time has the same effect.
    let emu = start(vec![writer("acme")]).await;
    let fo = open_fo(&emu, 1).await;
    emu.control("/shops/acme/faults", json!({"removed_scopes": ["write_merchant_managed_fulfillment_orders"]})).await;
    let reply = emu.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
    assert_eq!(reply.body["data"], fixture["data"]);
    assert_eq!(read_fo(&emu, &fo.id).await["status"], "OPEN");
}

#[tokio::test]
async fn a_partial_fulfilment_leaves_the_rest_and_a_second_one_closes_the_order() {
    let emu = start(vec![writer("acme")]).await;
    let fo = fulfillment_orders(&emu, "open", 2)
        .await
        .into_iter()
        .find(|fo| fo.siblings == 1)
        .expect("a single-location order with two lines");
    let order_before = order(&emu, &fo).await;
    assert_eq!(order_before["displayFulfillmentStatus"], "UNFULFILLED");

    let total = fo.lines[0]["remainingQuantity"].as_i64().unwrap();
    let first = created(&create(&emu, input(&fo, Some(vec![(fo.line(0), total)]))).await);
    let now = read_fo(&emu, &fo.id).await;
    assert_eq!(now["status"], "IN_PROGRESS");
    assert_eq!(now["lineItems"]["nodes"][0]["remainingQuantity"], 0);
    assert_eq!(now["lineItems"]["nodes"][1]["remainingQuantity"], fo.lines[1]["remainingQuantity"]);
    let partial = order(&emu, &fo).await;
    assert_eq!(partial["displayFulfillmentStatus"], "PARTIALLY_FULFILLED");
    assert!(partial["updatedAt"].as_str() >= order_before["updatedAt"].as_str());
    let rest_order = emu.get("acme", &format!("/admin/api/2026-07/orders/{}.json", fo.order_id())).await;
    assert_eq!(rest_order.body["order"]["fulfillment_status"], "partial");
    assert_eq!(rest_order.body["order"]["line_items"][0]["fulfillable_quantity"], 0);
    assert_eq!(rest_order.body["order"]["fulfillments"][0]["tracking_number"], "JD0001");

    // The rest of it, by leaving the lines out.
    let second = created(&create(&emu, input(&fo, None)).await);
    let closed = read_fo(&emu, &fo.id).await;
    assert_eq!(closed["status"], "CLOSED");
    assert!(closed["lineItems"]["nodes"].as_array().unwrap().iter().all(|l| l["remainingQuantity"] == 0));
    let fulfilled = order(&emu, &fo).await;
    assert_eq!(fulfilled["displayFulfillmentStatus"], "FULFILLED");
    let listed: Vec<&Value> = fulfilled["fulfillments"].as_array().unwrap().iter().map(|f| &f["id"]).collect();
    assert_eq!(listed, [&first["id"], &second["id"]]);
    let rest_order = emu.get("acme", &format!("/admin/api/2026-07/orders/{}.json", fo.order_id())).await;
    assert_eq!(rest_order.body["order"]["fulfillment_status"], "fulfilled");
    assert_eq!(rest_order.body["order"]["fulfillments"].as_array().unwrap().len(), 2);

    // The duplicate check sees both, through fulfillmentOrder and through nodes.
    let seen = closed["fulfillments"]["nodes"].as_array().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["trackingInfo"][0]["number"], "JD0001");
    assert_eq!(
        seen[0]["fulfillmentLineItems"]["nodes"],
        json!([{"quantity": total, "lineItem": fo.lines[0]["lineItem"]}])
    );
    let through_nodes = emu
        .gql(
            "acme",
            "query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on FulfillmentOrder { status
               fulfillments(first: 5) { nodes { id trackingInfo(first: 5) { number }
                 fulfillmentLineItems(first: 20) { nodes { quantity lineItem { id } } } } } }
               ... on Fulfillment { name status } } }",
            json!({ "ids": [fo.id, first["id"]] }),
        )
        .await;
    let nodes = &data(&through_nodes)["nodes"];
    let ids: Vec<&Value> = nodes[0]["fulfillments"]["nodes"].as_array().unwrap().iter().map(|f| &f["id"]).collect();
    assert_eq!(ids, [&first["id"], &second["id"]]);
    assert_eq!(nodes[1]["status"], "SUCCESS");
    // Each id: 1 + fulfillments (2 + 5 × (1 + trackingInfo 1 + line items (2 + 20 × (1 + 1)))).
    let per_id = 1 + 2 + 5 * (1 + 1 + 2 + 20 * 2);
    assert_eq!(through_nodes.body["extensions"]["cost"]["requestedQueryCost"], 2 * per_id);
}

#[tokio::test]
async fn the_duplicate_check_is_priced_like_any_query() {
    let emu = start(vec![writer("acme")]).await;
    let fo = open_fo(&emu, 1).await;
    created(&create(&emu, input(&fo, None)).await);
    // With small pages it answers: 1 + lineItems (2 + 50 × 2) + fulfillments (2 + 5 × (1 + 1 + 2 + 20 × 2)).
    let small = read_fo(&emu, &fo.id).await;
    assert_eq!(small["fulfillments"]["nodes"].as_array().unwrap().len(), 1);
    let reply = emu.gql("acme", DUPLICATES, json!({ "id": fo.id })).await;
    assert_eq!(reply.body["extensions"]["cost"]["requestedQueryCost"], 1 + 102 + 2 + 5 * 44);
    // Fifty fulfillments of fifty lines each are priced at what they could hold, over the limit.
    let large =
        DUPLICATES.replace("fulfillments(first: 5)", "fulfillments(first: 50)").replace("(first: 20)", "(first: 50)");
    let refused = emu.gql("acme", &large, json!({ "id": fo.id })).await;
    assert_eq!(refused.body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED");
    assert_eq!(refused.body["errors"][0]["extensions"]["cost"], 1 + 102 + 2 + 50 * (1 + 1 + 2 + 50 * 2));
}

async fn order(emu: &Emu, fo: &Fo) -> Value {
    let reply = emu
        .gql(
            "acme",
            "query ($id: ID!) { order(id: $id) { updatedAt displayFulfillmentStatus fulfillments(first: 5) { id } } }",
            json!({ "id": fo.order }),
        )
        .await;
    data(&reply)["order"].clone()
}

/// The user errors of a refused `fulfillmentCreate`, which must carry no fulfillment.
fn refused(reply: &Reply) -> Value {
    let payload = &data(reply)["fulfillmentCreate"];
    assert_eq!(payload["fulfillment"], Value::Null, "{payload}");
    payload["userErrors"].clone()
}

#[tokio::test]
async fn each_refusal_is_a_user_error_that_changes_nothing() {
    let emu = start(vec![writer("acme")]).await;
    let open = fulfillment_orders(&emu, "open", 2).await;
    let fo = open.iter().find(|fo| fo.siblings == 1).unwrap().clone();
    let other = open.iter().find(|o| o.order != fo.order).unwrap().clone();
    let closed = fulfillment_orders(&emu, "closed", 1).await.into_iter().next().unwrap();
    let held = open.iter().find(|o| o.order != fo.order && o.order != other.order).unwrap().clone();
    assert_eq!(
        emu.control(&format!("/shops/acme/fulfillment_orders/{}/hold", held.legacy_id()), json!({})).await.status,
        200
    );
    let remaining = fo.lines[0]["remainingQuantity"].as_i64().unwrap();
    let entry = |i: usize, rest: &[&str]| {
        let mut field = vec![json!("fulfillment"), json!("lineItemsByFulfillmentOrder"), json!(i.to_string())];
        field.extend(rest.iter().map(|s| json!(s)));
        Value::Array(field)
    };
    let mut mixed = input(&fo, None);
    mixed["lineItemsByFulfillmentOrder"].as_array_mut().unwrap().push(json!({ "fulfillmentOrderId": other.id }));
    let mut twice = input(&fo, None);
    twice["lineItemsByFulfillmentOrder"].as_array_mut().unwrap().push(json!({ "fulfillmentOrderId": fo.id }));
    let unknown = Fo { id: "gid://shopify/FulfillmentOrder/1".into(), ..fo.clone() };
    let cases = [
        (
            input(&closed, None),
            json!([{"field": ["fulfillment"], "message": format!("Fulfillment order {} has an unfulfillable status= closed.", closed.legacy_id())}]),
        ),
        (
            input(&held, None),
            json!([{"field": ["fulfillment"], "message": format!("Fulfillment order {} has an unfulfillable status= on_hold.", held.legacy_id())}]),
        ),
        (
            input(&fo, Some(vec![(fo.line(0), 1), ("gid://shopify/FulfillmentOrderLineItem/1", 1)])),
            json!([{"field": entry(0, &["fulfillmentOrderLineItems", "1", "id"]), "message": "Fulfillment order line item does not exist."}]),
        ),
        (
            input(&fo, Some(vec![(other.line(0), 1)])),
            json!([{"field": entry(0, &["fulfillmentOrderLineItems", "0", "id"]), "message": "Fulfillment order line item does not exist."}]),
        ),
        (
            input(&fo, Some(vec![(fo.line(0), remaining + 1)])),
            json!([{"field": ["fulfillment"], "message": "Invalid fulfillment order line item quantity requested."}]),
        ),
        (
            input(&fo, Some(vec![(fo.line(0), 0)])),
            json!([{"field": ["fulfillment"], "message": "Invalid fulfillment order line item quantity requested."}]),
        ),
        (
            input(&unknown, None),
            json!([{"field": entry(0, &["fulfillmentOrderId"]), "message": "Fulfillment order does not exist."}]),
        ),
        (
            mixed,
            json!([{"field": ["fulfillment"], "message": "All fulfillment orders must belong to the same order and be assigned to the same location."}]),
        ),
        (
            twice,
            json!([{"field": entry(1, &["fulfillmentOrderId"]), "message": "A fulfillment order can be given only once in lineItemsByFulfillmentOrder."}]),
        ),
    ];
    let watched: Vec<String> = [&fo, &other, &closed, &held].iter().map(|f| f.id.clone()).collect();
    let initial = snapshot(&emu, &watched).await;
    for (f, errors) in cases {
        let reply = create(&emu, f.clone()).await;
        assert_eq!(refused(&reply), errors, "{f}");
        assert_eq!(reply.body["extensions"]["cost"]["actualQueryCost"], 10);
    }
    assert_eq!(snapshot(&emu, &watched).await, initial, "a refusal changes no fulfillment order");
    assert!(recorded(&emu).await.is_empty());

    // Two locations of one order may not be fulfilled together either.
    let split = fulfillment_orders(&emu, "open", 1).await;
    let pair: Vec<&Fo> = split.iter().filter(|f| f.siblings == 2).collect();
    let (a, b) = pair
        .iter()
        .find_map(|a| pair.iter().find(|b| b.order == a.order && b.id != a.id).map(|b| (*a, *b)))
        .expect("an order split over two locations");
    assert_ne!(a.location, b.location);
    let mut both = input(a, None);
    both["lineItemsByFulfillmentOrder"].as_array_mut().unwrap().push(json!({ "fulfillmentOrderId": b.id }));
    let errors = refused(&create(&emu, both).await);
    assert_eq!(errors[0]["field"], json!(["fulfillment"]));
    assert!(recorded(&emu).await.is_empty());
}

async fn snapshot(emu: &Emu, ids: &[String]) -> Vec<Value> {
    let mut all = Vec::new();
    for id in ids {
        all.push(read_fo(emu, id).await);
    }
    all
}

#[tokio::test]
async fn tracking_is_replaced_and_an_unknown_fulfillment_is_a_user_error() {
    let emu = start_manual(vec![writer("acme")]).await;
    let fo = open_fo(&emu, 1).await;
    let made = created(&create(&emu, input(&fo, None)).await);
    emu.advance(5_000).await;
    let tracking = json!({"company": "UPS", "numbers": ["1ZA", "1ZB"], "urls": ["https://ups.test/1ZA"]});
    let reply = emu.gql("acme", UPDATE, json!({ "id": made["id"], "t": tracking })).await;
    let payload = &data(&reply)["fulfillmentTrackingInfoUpdate"];
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["fulfillment"]["id"], made["id"]);
    assert_eq!(
        payload["fulfillment"]["trackingInfo"],
        json!([{"company": "UPS", "number": "1ZA", "url": "https://ups.test/1ZA"}, {"company": "UPS", "number": "1ZB", "url": null}])
    );
    assert!(payload["fulfillment"]["updatedAt"].as_str() > made["updatedAt"].as_str());
    assert_eq!(reply.body["extensions"]["cost"]["actualQueryCost"], 10);
    let listed = recorded(&emu).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["tracking"], json!({"company": "UPS", "number": "1ZA", "url": "https://ups.test/1ZA"}));
    assert_eq!(listed[0]["notify_customer"], true);

    let unknown = emu.gql("acme", UPDATE, json!({ "id": "gid://shopify/Fulfillment/1", "t": tracking })).await;
    let payload = &data(&unknown)["fulfillmentTrackingInfoUpdate"];
    assert_eq!(
        payload,
        &json!({"fulfillment": null, "userErrors": [{"field": ["fulfillmentId"], "message": "Fulfillment does not exist."}]})
    );
}

#[tokio::test]
async fn apply_then_time_out_applies_and_answers_only_after_the_hang() {
    let emu = start(vec![writer("acme")]).await;
    let fo = open_fo(&emu, 1).await;
    let set = emu.control("/shops/acme/faults", json!({"apply_then_time_out": 2, "hang_ms": 600})).await;
    assert_eq!(set.body["faults"]["apply_then_time_out"], 2);

    // A client that waits less than the hang gives up, though the fulfillment was made.
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(150)).build().unwrap();
    let body = json!({ "query": CREATE, "variables": { "f": input(&fo, None) } });
    let gave_up = impatient
        .post(format!("{}/admin/api/2026-07/graphql.json", emu.emulator.url()))
        .header("host", "acme.myshopify.com")
        .header("x-shopify-access-token", TOKEN)
        .json(&body)
        .send()
        .await;
    assert!(gave_up.is_err_and(|e| e.is_timeout()));
    let listed = recorded(&emu).await;
    assert_eq!(listed.len(), 1, "applied once");
    assert_eq!(read_fo(&emu, &fo.id).await["status"], "CLOSED");

    // A patient one gets the answer late: the retry is refused, the fulfillment order being closed.
    let started = Instant::now();
    let retry = emu.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
    assert!(started.elapsed() >= Duration::from_millis(600), "{:?}", started.elapsed());
    assert!(refused(&retry)[0]["message"].as_str().unwrap().contains("unfulfillable status= closed"));
    assert_eq!(emu.control_get("/shops/acme/faults").await["faults"]["apply_then_time_out"], 0);

    // Reads are never held, and once the fault is spent neither are writes.
    let started = Instant::now();
    read_fo(&emu, &fo.id).await;
    let again = emu.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
    refused(&again);
    assert!(started.elapsed() < Duration::from_millis(600));
    assert_eq!(recorded(&emu).await.len(), 1);
}

#[tokio::test]
async fn server_errors_and_throttling_are_decided_before_anything_is_applied() {
    let emu = start(vec![writer("acme")]).await;
    let fo = open_fo(&emu, 1).await;
    emu.control("/shops/acme/faults", json!({"error_rate": 1.0})).await;
    for _ in 0..5 {
        let reply = emu.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
        assert!([500, 502, 503].contains(&reply.status.as_u16()), "{}", reply.status);
    }
    emu.control("/shops/acme/faults", json!({"error_rate": 0.0, "throttle_storm": true})).await;
    let storm = emu.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
    assert_eq!(storm.body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert!(recorded(&emu).await.is_empty());
    emu.control("/shops/acme/faults", json!({"throttle_storm": false})).await;
    assert_eq!(read_fo(&emu, &fo.id).await["status"], "OPEN");

    // The same bucket paces mutations and queries: 10 points each.
    let mut tiny = writer("acme");
    tiny["graphql"] = json!({"restore_rate": 1.0, "bucket": 15.0});
    let paced = start_manual(vec![tiny]).await;
    let fo = open_fo_with(&paced, 1).await;
    let first = paced.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
    assert_eq!(first.body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"], 5);
    let second = paced.gql("acme", CREATE, json!({ "f": input(&fo, None) })).await;
    assert_eq!(second.body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(recorded(&paced).await.len(), 1);
}

/// An open fulfillment order found by id on a shop whose bucket is too small to search with.
async fn open_fo_with(emu: &Emu, lines: usize) -> Fo {
    let reply = emu.get("acme", "/admin/api/2026-07/orders.json?status=open&limit=50").await;
    for order in reply.body["orders"].as_array().unwrap() {
        let id = order["id"].as_u64().unwrap();
        let fos = emu.get("acme", &format!("/admin/api/2026-07/orders/{id}/fulfillment_orders.json")).await;
        let fos = fos.body["fulfillment_orders"].as_array().unwrap().clone();
        if let [fo] = fos.as_slice() {
            let fo_lines = fo["line_items"].as_array().unwrap();
            if fo["status"] == "open" && fo_lines.len() >= lines {
                return Fo {
                    id: format!("gid://shopify/FulfillmentOrder/{}", fo["id"]),
                    order: format!("gid://shopify/Order/{id}"),
                    location: format!("gid://shopify/Location/{}", fo["assigned_location_id"]),
                    siblings: 1,
                    lines: fo_lines
                        .iter()
                        .map(|l| {
                            json!({"id": format!("gid://shopify/FulfillmentOrderLineItem/{}", l["id"]),
                                        "remainingQuantity": l["fulfillable_quantity"]})
                        })
                        .collect(),
                };
            }
        }
    }
    panic!("no open fulfillment order");
}

async fn subscribe(emu: &Emu, topic: &str, address: &str) {
    let made = reply(
        emu.request(reqwest::Method::POST, "acme", "/admin/api/2026-07/webhooks.json")
            .header("x-shopify-access-token", TOKEN)
            .json(&json!({"webhook": {"topic": topic, "address": address, "format": "json"}})),
    )
    .await;
    assert_eq!(made.status, 201, "{topic}: {:?}", made.body);
}

#[tokio::test]
async fn subscribers_hear_of_fulfillments_orders_and_holds() {
    let (receiver, addr) = Receiver::start(0).await;
    let emu = start(vec![writer("acme")]).await;
    let address = format!("http://{addr}/hooks");
    for topic in [
        "fulfillments/create",
        "fulfillments/update",
        "orders/partially_fulfilled",
        "orders/fulfilled",
        "orders/updated",
        "fulfillment_orders/placed_on_hold",
        "fulfillment_orders/hold_released",
    ] {
        subscribe(&emu, topic, &address).await;
    }
    let fo = fulfillment_orders(&emu, "open", 2).await.into_iter().find(|fo| fo.siblings == 1).unwrap();
    let made = created(&create(&emu, input(&fo, Some(vec![(fo.line(0), 1)]))).await);
    let received = receiver.wait_for(3).await;
    let topics: Vec<String> = received.iter().map(|r| r.header("x-shopify-topic")).collect();
    assert_eq!(topics.len(), 3);
    for topic in ["fulfillments/create", "orders/partially_fulfilled", "orders/updated"] {
        assert!(topics.iter().any(|t| t == topic), "{topic} in {topics:?}");
    }
    let delivery = received.iter().find(|r| r.header("x-shopify-topic") == "fulfillments/create").unwrap();
    assert_eq!(delivery.header("x-shopify-hmac-sha256"), storelink_emulator::webhooks::sign(SECRET, &delivery.body));
    let payload = delivery.json();
    assert_eq!(format!("gid://shopify/Fulfillment/{}", payload["id"]), made["id"].as_str().unwrap());
    assert_eq!(payload["order_id"].to_string(), fo.order_id());
    assert_eq!(payload["status"], "success");
    assert_eq!(payload["tracking_company"], "DHL");
    assert_eq!((&payload["tracking_number"], &payload["tracking_numbers"]), (&json!("JD0001"), &json!(["JD0001"])));
    assert_eq!(payload["tracking_url"], "https://www.dhl.com/track?num=JD0001");
    assert_eq!(payload["tracking_urls"], json!(["https://www.dhl.com/track?num=JD0001"]));
    assert_eq!(payload["line_items"].as_array().unwrap().len(), 1);
    assert_eq!(payload["line_items"][0]["quantity"], 1);
    let updated = received.iter().find(|r| r.header("x-shopify-topic") == "orders/updated").unwrap().json();
    assert_eq!(updated["fulfillment_status"], "partial");

    emu.gql("acme", UPDATE, json!({ "id": made["id"], "t": {"number": "JD0002"} })).await;
    let received = receiver.wait_for(4).await;
    assert_eq!(received[3].header("x-shopify-topic"), "fulfillments/update");
    assert_eq!(received[3].json()["tracking_number"], "JD0002");

    let hold = emu.control(&format!("/shops/acme/fulfillment_orders/{}/hold", fo.legacy_id()), json!({})).await;
    assert_eq!(hold.body["fulfillment_order"]["status"], "on_hold");
    let received = receiver.wait_for(5).await;
    assert_eq!(received[4].header("x-shopify-topic"), "fulfillment_orders/placed_on_hold");
    assert_eq!(received[4].json(), json!({"fulfillment_order": {"id": fo.id, "status": "on_hold"}}));
    emu.control(&format!("/shops/acme/fulfillment_orders/{}/release_hold", fo.legacy_id()), json!({})).await;
    let received = receiver.wait_for(6).await;
    assert_eq!(received[5].header("x-shopify-topic"), "fulfillment_orders/hold_released");
    assert_eq!(received[5].json()["fulfillment_order"]["status"], "in_progress");
}

#[tokio::test]
async fn input_that_breaks_the_schema_is_refused_before_anything_runs() {
    let emu = start(vec![writer("acme")]).await;
    let fo = open_fo(&emu, 1).await;
    let mut unknown_field = input(&fo, None);
    unknown_field["trackingInfo"]["carrier"] = json!("DHL");
    let mut wrong_type = input(&fo, Some(vec![(fo.line(0), 1)]));
    wrong_type["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"][0]["quantity"] = json!("one");
    let mut missing = input(&fo, None);
    missing.as_object_mut().unwrap().remove("lineItemsByFulfillmentOrder");
    let cases = [
        (unknown_field, json!(["trackingInfo", "carrier"]), "Field is not defined on FulfillmentTrackingInput"),
        (
            wrong_type,
            json!(["lineItemsByFulfillmentOrder", 0, "fulfillmentOrderLineItems", 0, "quantity"]),
            "Could not coerce value \"one\" to Int",
        ),
        (missing, json!(["lineItemsByFulfillmentOrder"]), "Expected value to not be null"),
    ];
    for (f, path, explanation) in cases {
        let reply = emu.gql("acme", CREATE, json!({ "f": f })).await;
        assert_eq!(reply.status, 200);
        assert!(reply.body.get("data").is_none(), "{}", reply.body);
        let error = &reply.body["errors"][0];
        assert_eq!(error["message"], "Variable $f of type FulfillmentInput! was provided invalid value");
        assert_eq!(error["extensions"]["problems"][0]["path"], path);
        assert_eq!(error["extensions"]["problems"][0]["explanation"], explanation);
    }
    // Written inline, an unknown argument is the usual validation error.
    let inline = emu
        .gql(
            "acme",
            "mutation { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [], notify: true}) { userErrors { message } } }",
            json!({}),
        )
        .await;
    assert!(inline.body["errors"][0]["message"].as_str().unwrap().contains("notify"), "{}", inline.body);
    assert!(recorded(&emu).await.is_empty());
    assert_eq!(read_fo(&emu, &fo.id).await["status"], "OPEN");
}

#[tokio::test]
async fn the_control_endpoint_holds_releases_and_closes_fulfillment_orders() {
    let emu = start(vec![writer("acme")]).await;
    let fo = fulfillment_orders(&emu, "open", 1).await.into_iter().find(|fo| fo.siblings == 1).unwrap();
    let path = |change: &str| format!("/shops/acme/fulfillment_orders/{}/{change}", fo.legacy_id());
    assert_eq!(emu.control("/shops/acme/fulfillment_orders/1/hold", json!({})).await.status, 404);
    assert_eq!(emu.control(&path("explode"), json!({})).await.status, 404);
    assert_eq!(
        emu.control(&format!("/shops/nope/fulfillment_orders/{}/hold", fo.legacy_id()), json!({})).await.status,
        404
    );
    assert_eq!(emu.control(&path("release_hold"), json!({})).await.status, 409, "not on hold");

    let held = emu.control(&path("hold"), json!({})).await;
    assert_eq!(held.status, 200);
    assert_eq!(held.body["fulfillment_order"]["supported_actions"], json!(["release_hold"]));
    let read = emu
        .gql(
            "acme",
            "query ($id: ID!) { fulfillmentOrder(id: $id) { status supportedActions { action } fulfillmentHolds { reason }
               order { displayFulfillmentStatus } } }",
            json!({ "id": fo.id }),
        )
        .await;
    let now = &data(&read)["fulfillmentOrder"];
    assert_eq!(now["status"], "ON_HOLD");
    assert_eq!(now["supportedActions"], json!([{"action": "RELEASE_HOLD"}]));
    assert_eq!(now["fulfillmentHolds"], json!([{"reason": "OTHER"}]));
    assert_eq!(now["order"]["displayFulfillmentStatus"], "ON_HOLD");

    assert_eq!(emu.control(&path("release_hold"), json!({})).await.body["fulfillment_order"]["status"], "open");
    assert_eq!(emu.control(&path("close"), json!({})).await.body["fulfillment_order"]["status"], "closed");
    assert_eq!(read_fo(&emu, &fo.id).await["status"], "CLOSED");
    assert_eq!(emu.control(&path("hold"), json!({})).await.status, 409);

    // The list of fulfillments, in creation order, with what each shipped.
    let other = fulfillment_orders(&emu, "open", 1).await.into_iter().next().unwrap();
    let made = created(&create(&emu, input(&other, None)).await);
    let listed = recorded(&emu).await;
    assert_eq!(listed.len(), 1);
    let entry = &listed[0];
    assert_eq!(format!("gid://shopify/Fulfillment/{}", entry["id"]), made["id"].as_str().unwrap());
    assert_eq!(entry["order_id"].to_string(), other.order_id());
    assert_eq!(entry["fulfillment_order_ids"], json!([other.legacy_id().parse::<u64>().unwrap()]));
    assert_eq!(format!("gid://shopify/Location/{}", entry["location_id"]), other.location);
    assert_eq!(entry["tracking"]["number"], "JD0001");
    assert_eq!(entry["line_items"].as_array().unwrap().len(), other.lines.len());
    assert_eq!(
        format!("gid://shopify/FulfillmentOrderLineItem/{}", entry["line_items"][0]["fulfillment_order_line_item_id"]),
        other.line(0)
    );
    assert!(entry["created_at"].as_str().is_some());
    assert_eq!(emu.control_get("/shops/nope/fulfillments").await["error"], "shop not found");
}
