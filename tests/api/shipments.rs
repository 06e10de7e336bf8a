//! Shipments written back to Shopify: through the label software's API (tokens, idempotency
//! keys, bad input, the OpenAPI description) and the sender's exactly-once against a slow, down
//! or refusing Shopify, checked in the emulator's own record of fulfillments.

use std::{collections::BTreeSet, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use storelink::ids::StoreId;

use crate::{
    helpers::*,
    sync::{register, wait_until_finished},
};

/// A store registered and synced.
pub(crate) async fn synced(app: &TestApp, shop: &str) -> StoreId {
    let (store, job) = register(app, shop).await;
    app.engine.run_job(job).await.unwrap();
    assert_eq!(wait_until_finished(app, job).await, "done");
    store
}

/// A live API token.
pub(crate) async fn token(app: &TestApp) -> String {
    storelink::api_tokens::create(
        &app.pool,
        "Label printer",
        storelink::audit::Actor { org: storelink::ids::OrgId(1), user: None, name: "test" },
    )
    .await
    .unwrap()
    .1
}

fn api(app: &TestApp, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, app.url(path)).bearer_auth(token)
}

/// An open fulfillment order storelink synced: its order, id, and lines (id, line item, remaining).
#[derive(Debug, Clone)]
pub(crate) struct OpenFo {
    pub order_id: i64,
    pub id: i64,
    pub lines: Vec<(i64, i64, i64)>,
}

/// The open fulfillment orders whose order has only them open, with at least `units` units left.
pub(crate) async fn open_fos(app: &TestApp, store: StoreId, units: i64) -> Vec<OpenFo> {
    let rows: Vec<(i64, i64, i64, i64, i64)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT fo.order_id, fo.id, l.id, l.line_item_id, l.remaining_quantity
         FROM synced_fulfillment_orders fo JOIN synced_fulfillment_order_lines l ON l.store_id = fo.store_id AND l.fulfillment_order_id = fo.id
         WHERE fo.store_id = $1 AND fo.status = 'OPEN' AND l.remaining_quantity > 0
           AND (SELECT COUNT(*) FROM synced_fulfillment_orders o WHERE o.store_id = fo.store_id AND o.order_id = fo.order_id) = 1
         ORDER BY fo.id, l.id",
    )
    .bind(store)
    .fetch_all(&mut *c).await)
    .unwrap();
    let mut fos: Vec<OpenFo> = Vec::new();
    for (order_id, id, line, item, remaining) in rows {
        match fos.last_mut() {
            Some(fo) if fo.id == id => fo.lines.push((line, item, remaining)),
            _ => fos.push(OpenFo { order_id, id, lines: vec![(line, item, remaining)] }),
        }
    }
    fos.retain(|fo| fo.lines.iter().map(|l| l.2).sum::<i64>() >= units);
    assert!(!fos.is_empty(), "the shop has an open fulfillment order with {units} units");
    fos
}

/// The fulfillments the emulated shop holds, oldest first.
pub(crate) async fn fulfillments(app: &TestApp, shop: &str) -> Vec<Value> {
    app.emulator_get(&format!("/shops/{shop}/fulfillments")).await["fulfillments"].as_array().unwrap().clone()
}

pub(crate) async fn post_shipment(app: &TestApp, token: &str, key: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = api(app, token, Method::POST, "/api/v1/shipments").json(&body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

/// Posts a shipment without an idempotency key; it must be accepted: its answer.
pub(crate) async fn recorded(app: &TestApp, token: &str, body: Value) -> Value {
    let answer = post_shipment(app, token, None, body).await;
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    answer.json().await.unwrap()
}

/// Polls the shipment until its state is `state`; its last answer.
pub(crate) async fn wait_for_state(app: &TestApp, token: &str, id: &str, state: &str) -> Value {
    let mut last = Value::Null;
    // Longer than a shipment's 30 s lease: a send whose outcome was lost is taken up again then.
    for _ in 0..600 {
        last = api(app, token, Method::GET, &format!("/api/v1/shipments/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if last["state"] == state {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("shipment {id} never became {state}: {last}");
}

async fn shipment_count(app: &TestApp) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM shipments").fetch_one(&mut *c).await)
        .unwrap()
}

async fn synced_fo(app: &TestApp, fo: i64) -> (String, i64) {
    storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT fo.status, (SELECT CAST(COALESCE(SUM(remaining_quantity), 0) AS BIGINT) FROM synced_fulfillment_order_lines l
                            WHERE l.store_id = fo.store_id AND l.fulfillment_order_id = fo.id)
         FROM synced_fulfillment_orders fo WHERE fo.id = $1",
    )
    .bind(fo)
    .fetch_one(&mut *c).await)
    .unwrap()
}

/// The order ids the API lists as awaiting shipment, following every cursor.
async fn awaiting_orders(app: &TestApp, token: &str, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/orders?awaiting_shipment=true&store=acme.myshopify.com&limit={limit}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = api(app, token, Method::GET, &path).send().await.unwrap().json().await.unwrap();
        ids.extend(page["orders"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn a_shipment_from_the_api_fulfils_its_fulfillment_order_with_the_tracking_and_leaves_the_list() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let fo = open_fos(&app, store, 1).await[0].clone();
    let before = awaiting_orders(&app, &token, 7).await;
    assert!(before.contains(&fo.order_id));
    assert_eq!(before.iter().collect::<BTreeSet<_>>().len(), before.len(), "each order once across pages");

    let response = post_shipment(&app, &token, Some("label-1"), json!({
        "store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784", "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "notify_customer": true,
    }))
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let posted: Value = response.json().await.unwrap();
    assert_eq!(posted["state"], "pending");
    let id = posted["id"].as_str().unwrap().to_owned();

    let sent = wait_for_state(&app, &token, &id, "sent").await;
    let made = fulfillments(&app, "acme").await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(sent["fulfillment_id"], made[0]["id"]);
    assert_eq!(made[0]["tracking"]["company"], "UPS");
    assert_eq!(made[0]["tracking"]["number"], "1Z999AA10123456784");
    assert_eq!(made[0]["tracking"]["url"], "https://www.ups.com/track?tracknum=1Z999AA10123456784");
    assert_eq!(made[0]["notify_customer"], true);
    assert_eq!(made[0]["fulfillment_order_ids"], json!([fo.id]));
    let shipped: BTreeSet<(i64, i64)> = made[0]["line_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["line_item_id"].as_i64().unwrap(), l["quantity"].as_i64().unwrap()))
        .collect();
    assert_eq!(shipped, fo.lines.iter().map(|(_, item, left)| (*item, *left)).collect());
    assert_eq!(synced_fo(&app, fo.id).await, ("CLOSED".into(), 0));
    assert!(!awaiting_orders(&app, &token, 50).await.contains(&fo.order_id), "the order left the awaiting list");
}

#[tokio::test]
async fn a_partial_shipment_leaves_the_rest_open_and_the_next_ships_it() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let fo = open_fos(&app, store, 2).await[0].clone();
    let (_, first_item, _) = fo.lines[0];
    let response = post_shipment(&app, &token, None, json!({
        "store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "DHL Express", "tracking_number": "JD0001",
        "line_items": [{"id": first_item, "quantity": 1}],
    }))
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let first = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    wait_for_state(&app, &token, &first, "sent").await;
    let total: i64 = fo.lines.iter().map(|l| l.2).sum();
    assert_eq!(synced_fo(&app, fo.id).await, ("IN_PROGRESS".into(), total - 1));
    assert!(awaiting_orders(&app, &token, 50).await.contains(&fo.order_id), "the rest still awaits shipping");

    // Everything left, in a second parcel.
    let response = post_shipment(&app, &token, None, json!({
        "store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "DHL Express", "tracking_number": "JD0002",
    }))
    .await;
    let second: Value = response.json().await.unwrap();
    let quantity: i64 = second["line_items"].as_array().unwrap().iter().map(|l| l["quantity"].as_i64().unwrap()).sum();
    assert_eq!(quantity, total - 1);
    wait_for_state(&app, &token, second["id"].as_str().unwrap(), "sent").await;
    assert_eq!(synced_fo(&app, fo.id).await, ("CLOSED".into(), 0));
    let made = fulfillments(&app, "acme").await;
    assert_eq!(
        made.iter().map(|f| f["tracking"]["number"].as_str().unwrap()).collect::<Vec<_>>(),
        ["JD0001", "JD0002"]
    );
}

#[tokio::test]
async fn the_same_idempotency_key_gives_one_shipment_even_when_sent_at_once() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let fo = open_fos(&app, store, 1).await[0].clone();
    let body =
        json!({"store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "UPS", "tracking_number": "1ZKEY"});
    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (url, token, body) = (app.url("/api/v1/shipments"), token.clone(), body.clone());
        at_once.spawn(async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", "parcel-42")
                .json(&body)
                .send()
                .await
                .unwrap()
        });
    }
    let answers = at_once.join_all().await;
    let mut ids = BTreeSet::new();
    let mut replayed = 0;
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
        replayed += answer.headers().contains_key("idempotent-replayed") as usize;
        ids.insert(answer.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "one shipment: {ids:?}");
    assert_eq!(replayed, 7);
    let id = ids.into_iter().next().unwrap();
    // Later, the same key again: the same shipment.
    let again = post_shipment(&app, &token, Some("parcel-42"), body.clone()).await;
    assert_eq!(again.json::<Value>().await.unwrap()["id"], id.as_str());
    // Another body under the key is refused and stores nothing.
    let other =
        json!({"store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "UPS", "tracking_number": "1ZOTHER"});
    let conflict = post_shipment(&app, &token, Some("parcel-42"), other).await;
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    assert!(conflict.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("Idempotency-Key"));
    wait_for_state(&app, &token, &id, "sent").await;
    assert_eq!(shipment_count(&app).await, 1);
    assert_eq!(fulfillments(&app, "acme").await.len(), 1);
}

#[tokio::test]
async fn a_time_out_after_shopify_applied_it_gives_one_fulfillment_not_two() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let fo = open_fos(&app, store, 1).await[0].clone();
    // Shopify applies the next fulfillment and answers after storelink's 2 s timeout.
    app.shop_faults("acme", json!({"apply_then_time_out": 1, "hang_ms": 4000})).await;
    let posted: Value = recorded(
        &app,
        &token,
        json!({
            "store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "FedEx", "tracking_number": "7712",
        }),
    )
    .await;
    let sent = wait_for_state(&app, &token, posted["id"].as_str().unwrap(), "sent").await;
    let made = fulfillments(&app, "acme").await;
    assert_eq!(made.len(), 1, "found after the time-out, not sent twice: {made:?}");
    assert_eq!(sent["fulfillment_id"], made[0]["id"]);
}

#[tokio::test]
async fn shopify_down_for_a_while_then_up_sends_each_once_in_order() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let fos = open_fos(&app, store, 1).await;
    assert!(fos.len() >= 3);
    app.shop_faults("acme", json!({"error_rate": 1.0})).await;
    let mut ids = Vec::new();
    for (n, fo) in fos.iter().take(3).enumerate() {
        let posted: Value = recorded(&app, &token, json!({
            "store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "GLS", "tracking_number": format!("GLS-{n}"),
        })).await;
        ids.push(posted["id"].as_str().unwrap().to_owned());
    }
    // While Shopify is down the first waits, saying why, and the others wait behind it.
    let mut waiting = Value::Null;
    for _ in 0..50 {
        waiting = api(&app, &token, Method::GET, &format!("/api/v1/shipments/{}", ids[0]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if waiting["reason"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(waiting["state"], "pending");
    assert!(waiting["reason"].as_str().unwrap().contains("server error"), "{waiting}");
    assert!(fulfillments(&app, "acme").await.is_empty());
    app.shop_faults("acme", json!({"error_rate": 0.0})).await;
    for id in &ids {
        wait_for_state(&app, &token, id, "sent").await;
    }
    let numbers: Vec<String> =
        fulfillments(&app, "acme").await.iter().map(|f| f["tracking"]["number"].as_str().unwrap().to_owned()).collect();
    assert_eq!(numbers, ["GLS-0", "GLS-1", "GLS-2"], "each once, in the order recorded");
}

#[tokio::test]
async fn shopifys_refusals_fail_the_shipment_in_words_and_retry_sends_it_once_cured() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let fos = open_fos(&app, store, 2).await;
    assert!(fos.len() >= 3);
    let ship = |fo: &OpenFo, number: &str| json!({"store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "UPS", "tracking_number": number});

    // Shopify's webhooks lag behind each change below, so storelink sends before it hears.
    app.shop_faults("acme", json!({"webhooks_held": true})).await;

    // On hold in Shopify: refused, then sent once released.
    app.emulator_post(&format!("/shops/acme/fulfillment_orders/{}/hold", fos[0].id), json!({})).await;
    let held: Value = recorded(&app, &token, ship(&fos[0], "HOLD-1")).await;
    let failed = wait_for_state(&app, &token, held["id"].as_str().unwrap(), "failed").await;
    assert_eq!(
        failed["reason"],
        "Shopify refused it: the order is on hold in Shopify. Release the hold there, then retry."
    );
    app.emulator_post(&format!("/shops/acme/fulfillment_orders/{}/release_hold", fos[0].id), json!({})).await;
    let retried = admin
        .post(app.url("/api/shipments/retry"))
        .form(&[("store_id", store.to_string()), ("shipment_id", held["id"].as_str().unwrap().to_owned())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), StatusCode::OK);
    wait_for_state(&app, &token, held["id"].as_str().unwrap(), "sent").await;

    // Closed in Shopify meanwhile.
    app.emulator_post(&format!("/shops/acme/fulfillment_orders/{}/close", fos[1].id), json!({})).await;
    let closed: Value = recorded(&app, &token, ship(&fos[1], "CLOSED-1")).await;
    let failed = wait_for_state(&app, &token, closed["id"].as_str().unwrap(), "failed").await;
    assert!(failed["reason"].as_str().unwrap().contains("already shipped or cancelled in Shopify"), "{failed}");

    // Part shipped from Shopify's admin meanwhile: more than remains.
    let (line, _, _) = fos[2].lines[0];
    let elsewhere = json!({"query": "mutation ($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { message } } }",
        "variables": {"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": format!("gid://shopify/FulfillmentOrder/{}", fos[2].id),
            "fulfillmentOrderLineItems": [{"id": format!("gid://shopify/FulfillmentOrderLineItem/{line}"), "quantity": 1}]}]}}});
    let answer: Value =
        app.shopify(Method::POST, "acme", "/graphql.json").json(&elsewhere).send().await.unwrap().json().await.unwrap();
    assert!(answer["data"]["fulfillmentCreate"]["userErrors"].as_array().unwrap().is_empty(), "{answer}");
    let over: Value = recorded(&app, &token, ship(&fos[2], "OVER-1")).await;
    let failed = wait_for_state(&app, &token, over["id"].as_str().unwrap(), "failed").await;
    assert!(failed["reason"].as_str().unwrap().contains("fewer of these items remain"), "{failed}");

    // The write permission taken away: the reason names it as the Shopify admin does.
    let fo = open_fos(&app, store, 1).await.into_iter().find(|f| f.id != fos[2].id).unwrap();
    app.shop_faults("acme", json!({"removed_scopes": ["write_merchant_managed_fulfillment_orders"]})).await;
    let denied: Value = recorded(&app, &token, ship(&fo, "SCOPE-1")).await;
    let failed = wait_for_state(&app, &token, denied["id"].as_str().unwrap(), "failed").await;
    assert!(
        failed["reason"].as_str().unwrap().contains("“Merchant-managed fulfillment orders (write)” permission"),
        "{failed}"
    );
    // One fulfillment from storelink (the released one) and the admin's; nothing else reached Shopify.
    let made = fulfillments(&app, "acme").await;
    assert_eq!(made.len(), 2, "{made:?}");
}

#[tokio::test]
async fn a_tracking_change_reaches_the_fulfillment_in_shopify() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let fo = open_fos(&app, store, 1).await[0].clone();
    let posted: Value = recorded(&app, &token, json!({
        "store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "USPS", "tracking_number": "9400100000000000000000",
    })).await;
    let id = posted["id"].as_str().unwrap();
    wait_for_state(&app, &token, id, "sent").await;
    let changed = api(&app, &token, Method::PATCH, &format!("/api/v1/shipments/{id}"))
        .json(&json!({"tracking_number": "9400111111111111111111", "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111111111111111111"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::ACCEPTED);
    for _ in 0..100 {
        let made = fulfillments(&app, "acme").await;
        if made[0]["tracking"]["number"] == "9400111111111111111111" {
            assert_eq!(made.len(), 1);
            let now: Value = api(&app, &token, Method::GET, &format!("/api/v1/shipments/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if now["tracking_update_pending"] == false {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new tracking never reached Shopify");
}

#[tokio::test]
async fn bad_requests_name_each_field_and_change_nothing() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let fo = open_fos(&app, store, 1).await[0].clone();
    let (_, item, left) = fo.lines[0];
    let audit_before: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'record shipment'").fetch_one(&mut *c).await).unwrap();
    let cases = [
        (
            json!({"store": "nowhere.myshopify.com", "order_id": fo.order_id, "carrier": "UPS", "tracking_number": "1"}),
            vec!["store"],
        ),
        (
            json!({"store": "acme.myshopify.com", "order_id": 1, "carrier": "UPS", "tracking_number": "1"}),
            vec!["order_id"],
        ),
        (
            json!({"store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "UPS", "tracking_number": "1",
                "line_items": [{"id": 12345, "quantity": 1}, {"id": item, "quantity": left + 1}]}),
            vec!["line_items[0].id", "line_items[1].quantity"],
        ),
        (
            json!({"store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "", "tracking_number": " ",
                "tracking_url": "ftp://x"}),
            vec!["carrier", "tracking_number", "tracking_url"],
        ),
        (
            json!({"store": "acme.myshopify.com", "order_id": "seven", "carrier": "UPS", "tracking_number": "1"}),
            vec!["body"],
        ),
        (
            json!({"store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "UPS", "tracking_number": "1", "surprise": true}),
            vec!["body"],
        ),
    ];
    for (body, fields) in cases {
        let response = post_shipment(&app, &token, Some("same-key"), body.clone()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let answer: Value = response.json().await.unwrap();
        let named: Vec<&str> =
            answer["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "{answer}");
        assert!(answer["errors"].as_array().unwrap().iter().all(|e| !e["message"].as_str().unwrap().is_empty()));
    }
    let too_many = post_shipment(
        &app,
        &token,
        None,
        json!({"store": "acme.myshopify.com", "order_id": fo.order_id,
        "carrier": "UPS", "tracking_number": "1", "line_items": [{"id": item, "quantity": left + 1}]}),
    )
    .await;
    let message = too_many.json::<Value>().await.unwrap()["errors"][0]["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("Only ") && message.ends_with(" remain to ship.") || message.starts_with("Only 1 of"),
        "{message}"
    );
    assert_eq!(shipment_count(&app).await, 0, "nothing stored");
    let audit_after: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'record shipment'").fetch_one(&mut *c).await).unwrap();
    assert_eq!(audit_after, audit_before);
    // The key refused with its request stays free for a good one.
    let good = post_shipment(
        &app,
        &token,
        Some("same-key"),
        json!({"store": "acme.myshopify.com", "order_id": fo.order_id,
        "carrier": "UPS", "tracking_number": "1"}),
    )
    .await;
    assert_eq!(good.status(), StatusCode::ACCEPTED);
    assert!(!good.headers().contains_key("idempotent-replayed"));
    // A shipment that does not exist, and queries the API cannot read.
    let missing = api(&app, &token, Method::GET, "/api/v1/shipments/999999").send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let bad_query = api(
        &app,
        &token,
        Method::GET,
        "/api/v1/orders?limit=0&updated_since=yesterday&cursor=zz&awaiting_shipment=maybe",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(bad_query.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = bad_query.json().await.unwrap();
    let named: Vec<&str> = answer["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(named, ["awaiting_shipment", "limit", "updated_since", "cursor"]);
}

#[tokio::test]
async fn every_route_refuses_missing_wrong_and_revoked_tokens_and_changes_nothing() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let fo = open_fos(&app, store, 1).await[0].clone();
    let posted: Value = recorded(
        &app,
        &token,
        json!({"store": "acme.myshopify.com", "order_id": fo.order_id,
        "carrier": "UPS", "tracking_number": "KEEP"}),
    )
    .await;
    let id = posted["id"].as_str().unwrap().to_owned();
    let revoked = storelink::api_tokens::create(
        &app.pool,
        "Old printer",
        storelink::audit::Actor { org: storelink::ids::OrgId(1), user: None, name: "test" },
    )
    .await
    .unwrap();
    storelink::api_tokens::revoke(
        &app.pool,
        revoked.0.id,
        storelink::audit::Actor { org: storelink::ids::OrgId(1), user: None, name: "test" },
    )
    .await
    .unwrap();
    let body =
        json!({"store": "acme.myshopify.com", "order_id": fo.order_id, "carrier": "UPS", "tracking_number": "NEW"});
    for (method, path) in storelink::http_api::route_list() {
        if path == "/api/v1/openapi.json" {
            continue;
        }
        let path = path.replace("{id}", &id);
        let wrong = format!("slk_{}", "0".repeat(64));
        for credential in [None, Some("not-a-token"), Some(wrong.as_str()), Some(revoked.1.as_str())] {
            let mut request = reqwest::Client::new().request(method.clone(), app.url(&path)).json(&body);
            if let Some(credential) = credential {
                request = request.bearer_auth(credential);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} with {credential:?}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
    }
    assert_eq!(shipment_count(&app).await, 1);
    let kept = wait_for_state(&app, &token, &id, "sent").await;
    assert_eq!(kept["tracking_number"], "KEEP");
    // Each change by the live token is in the audit log, with its name, and its reads are
    // counted; the revoked one's are neither.
    let uses: Vec<(String, String)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT user_email, detail FROM audit_log WHERE action = 'API request' ORDER BY id",
    ).fetch_all(&mut *c).await)
    .unwrap();
    assert!(uses.iter().all(|(who, _)| who == "API token “Label printer”"), "{uses:?}");
    assert!(uses.iter().any(|(_, detail)| detail == "POST /api/v1/shipments"));
    assert!(uses.iter().all(|(_, detail)| !detail.starts_with("GET ")), "reads are counted, not audited: {uses:?}");
    let reads: Vec<(String, i64)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT t.name, CAST(SUM(u.requests) AS BIGINT) FROM api_token_usage u JOIN api_tokens t ON t.id = u.token_id GROUP BY t.name",
    ).fetch_all(&mut *c).await)
    .unwrap();
    assert!(matches!(reads.as_slice(), [(name, n)] if name == "Label printer" && *n > 0), "{reads:?}");
    let last_used: Option<i64> = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT last_used_at FROM api_tokens WHERE name = 'Old printer'").fetch_one(&mut *c).await).unwrap();
    assert_eq!(last_used, None, "a revoked token is never used");
}

#[tokio::test]
async fn the_openapi_description_matches_the_routes_and_the_answers() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let description: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert_eq!(description["openapi"], "3.1.0");
    let described: BTreeSet<(String, String)> = description["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, methods)| methods.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), path.clone())))
        .collect();
    let routed: BTreeSet<(String, String)> =
        storelink::http_api::route_list().iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(described, routed);
    // Each described route answers (never 404 or 405 for its method), and a method it does not
    // describe is refused.
    let fo = open_fos(&app, store, 1).await[0].clone();
    let posted: Value = recorded(
        &app,
        &token,
        json!({"store": "acme.myshopify.com", "order_id": fo.order_id,
        "carrier": "UPS", "tracking_number": "DOC-1"}),
    )
    .await;
    let id = posted["id"].as_str().unwrap();
    for (method, path) in &routed {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = api(&app, &token, method.clone(), &path.replace("{id}", id))
            .json(&json!({"tracking_number": "DOC-2"}))
            .send()
            .await
            .unwrap();
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&response.status()),
            "{method} {path}"
        );
    }
    let undescribed = api(&app, &token, Method::DELETE, &format!("/api/v1/shipments/{id}")).send().await.unwrap();
    assert_eq!(undescribed.status(), StatusCode::METHOD_NOT_ALLOWED);
    // Real answers carry every property the description requires, and no other.
    let schemas = &description["components"]["schemas"];
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<BTreeSet<String>>();
    let required = |name: &str| {
        schemas[name]["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect::<BTreeSet<String>>()
    };
    let properties = |name: &str| keys(&schemas[name]["properties"]);
    let shipment: Value =
        api(&app, &token, Method::GET, &format!("/api/v1/shipments/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(keys(&shipment), properties("Shipment"));
    assert!(required("Shipment").is_subset(&keys(&shipment)));
    let page: Value = api(&app, &token, Method::GET, "/api/v1/orders?awaiting_shipment=true&limit=3")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&page), properties("OrderPage"));
    let order = &page["orders"][0];
    assert_eq!(keys(order), properties("Order"));
    assert_eq!(keys(&order["fulfillment_orders"][0]), properties("FulfillmentOrder"));
    let refused: Value = post_shipment(&app, &token, None, json!({})).await.json().await.unwrap();
    assert_eq!(keys(&refused), properties("Error"));
    assert_eq!(
        keys(
            &description["paths"]["/api/v1/shipments"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ),
        ["$ref".to_owned()].into()
    );
    assert_eq!(
        properties("NewShipment"),
        ["carrier", "line_items", "notify_customer", "order_id", "store", "tracking_number", "tracking_url"]
            .map(String::from)
            .into()
    );
}

#[tokio::test]
async fn orders_are_listed_a_page_at_a_time_and_filtered_by_update() {
    let app = spawn_app_without_sync().await;
    synced(&app, "acme").await;
    let token = token(&app).await;
    let all: Value =
        api(&app, &token, Method::GET, "/api/v1/orders?limit=250").send().await.unwrap().json().await.unwrap();
    let all = all["orders"].as_array().unwrap().clone();
    assert_eq!(all.len(), 20);
    let order = all.iter().find(|o| !o["fulfillment_orders"].as_array().unwrap().is_empty()).unwrap();
    assert!(order["ship_to"].is_object() || order["ship_to"].is_null());
    assert!(order["fulfillment_orders"][0]["line_items"][0]["line_item_id"].is_i64());
    let awaiting = awaiting_orders(&app, &token, 3).await;
    assert!(!awaiting.is_empty() && awaiting.len() < 20, "some orders are fulfilled or closed: {}", awaiting.len());
    let mut sorted = awaiting.clone();
    sorted.sort();
    assert_eq!(awaiting, sorted);
    let newest = all.iter().map(|o| o["updated_at"].as_str().unwrap().to_owned()).max().unwrap();
    let since: Value = api(&app, &token, Method::GET, &format!("/api/v1/orders?updated_since={newest}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let since = since["orders"].as_array().unwrap();
    assert!(!since.is_empty() && since.len() < all.len());
    assert!(since.iter().all(|o| o["updated_at"].as_str().unwrap() >= newest.as_str()));
}

#[tokio::test]
async fn a_standard_user_marks_an_order_shipped_from_the_form_before_and_after_hydration() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let token = token(&app).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let fos = open_fos(&app, store, 2).await;
    let fo = &fos[0];
    let (_, item, left) = fo.lines[0];
    let form = |number: &str, quantity: i64, key: &str| {
        vec![
            ("store_id", store.to_string()),
            ("order_id", fo.order_id.to_string()),
            ("fulfillment_order_id", fo.id.to_string()),
            ("carrier", "Other".to_owned()),
            ("carrier_other", "Bike courier".to_owned()),
            ("tracking_number", number.to_owned()),
            ("tracking_url", String::new()),
            ("lines[0][id]", item.to_string()),
            ("lines[0][quantity]", quantity.to_string()),
            ("key", key.to_owned()),
        ]
    };
    // Before hydration: a plain form post. A bad field comes back to the page, named.
    let plain = standard
        .post(app.url("/api/shipments/record"))
        .header("accept", "text/html")
        .header("referer", app.url(&format!("/stores/{store}/ship/{}", fo.id)))
        .form(&form("", 1, "k1"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::FOUND);
    let back = plain.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&format!("/stores/{store}/ship/{}?", fo.id)) && back.contains("field=tracking_number"),
        "{back}"
    );
    let page = app.get(&standard, &back).await.text().await.unwrap();
    assert!(page.contains("Enter the tracking number, without line breaks."), "the field's message shows beside it");
    let too_many =
        standard.post(app.url("/api/shipments/record")).form(&form("B1", left + 1, "k2")).send().await.unwrap();
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_body(too_many).await["Invalid"]["field"], "line_items");
    assert_eq!(shipment_count(&app).await, 0);

    // A good one, sent twice (a double click): one shipment, and back to the orders.
    let good = standard
        .post(app.url("/api/shipments/record"))
        .header("accept", "text/html")
        .header("referer", app.url(&format!("/stores/{store}/ship/{}", fo.id)))
        .form(&form("B-42", 1, "k3"))
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), StatusCode::FOUND);
    let back = good.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&format!("/stores/{store}?shipped=")),
        "back to the orders, with what was shipped: {back}"
    );
    let again = standard.post(app.url("/api/shipments/record")).form(&form("B-42", 1, "k3")).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let shipment: Value = again.json().await.unwrap();
    assert_eq!(shipment["carrier"], "Bike courier");
    assert_eq!(shipment_count(&app).await, 1);
    let sent = wait_for_state(&app, &token, &shipment["id"].to_string(), "sent").await;
    assert_eq!(sent["recorded_by"], STANDARD_EMAIL);
    let made = fulfillments(&app, "acme").await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["fulfillment_order_ids"], json!([fo.id]));
    assert_eq!(made[0]["tracking"]["company"], "Bike courier");
    assert_eq!(made[0]["line_items"][0]["quantity"], 1);
    // The form's page renders on the server, with its fields labelled.
    let html = app.get(&standard, &format!("/stores/{store}/ship/{}", fos[1].id)).await.text().await.unwrap();
    for label in ["Carrier", "Tracking number", "Tracking URL (optional)", "Items in this parcel", "Mark shipped"] {
        assert!(html.contains(label), "the form has {label}");
    }
    // The orders tab names the shipment and links each open order to its form.
    let orders = app.get(&standard, &format!("/stores/{store}")).await.text().await.unwrap();
    assert!(orders.contains(&format!("/stores/{store}/ship/{}", fos[1].id)), "a Mark shipped link");
    assert!(orders.contains("B-42"), "the latest shipments list it");
}

#[tokio::test]
async fn a_standard_user_may_ship_and_retry_but_only_administrators_manage_tokens() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let anonymous = app.client();
    let token_count = || async {
        storelink::db_run!(&app.pool, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM api_tokens").fetch_one(&mut *c).await).unwrap()
    };
    for (client, status) in [(&standard, StatusCode::FORBIDDEN), (&anonymous, StatusCode::UNAUTHORIZED)] {
        assert_eq!(app.get(client, "/api/tokens/list").await.status(), status);
        assert_eq!(app.post(client, "/api/tokens/create", &[("name", "Sneaky")]).await.status(), status);
        assert_eq!(app.post(client, "/api/tokens/revoke", &[("token_id", "1")]).await.status(), status);
    }
    assert_eq!(token_count().await, 0);
    let created = app.post(&admin, "/api/tokens/create", &[("name", "Label printer")]).await;
    assert_eq!(created.status(), StatusCode::OK);
    let created: Value = created.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("slk_") && secret.len() == 68);
    let listed = app.get(&admin, "/api/tokens/list").await.text().await.unwrap();
    assert!(listed.contains("Label printer") && !listed.contains(&secret), "the list never shows a token");
    let stored: String = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_one(&mut *c).await).unwrap();
    assert_ne!(stored, secret, "only the hash is kept");
    let empty = app.post(&admin, "/api/tokens/create", &[("name", "  ")]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_body(empty).await["Invalid"]["field"], "name");
    assert_eq!(token_count().await, 1);

    // The standard user records a shipment and may retry and dismiss; anonymous callers may not.
    let fo = open_fos(&app, store, 1).await[0].clone();
    let form = [
        ("store_id", store.to_string()),
        ("order_id", fo.order_id.to_string()),
        ("fulfillment_order_id", fo.id.to_string()),
        ("carrier", "UPS".to_owned()),
        ("tracking_number", "1ZSTD".to_owned()),
    ];
    let refused = anonymous.post(app.url("/api/shipments/record")).form(&form).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(shipment_count(&app).await, 0);
    app.emulator_post(&format!("/shops/acme/fulfillment_orders/{}/hold", fo.id), json!({})).await;
    let recorded: Value =
        standard.post(app.url("/api/shipments/record")).form(&form).send().await.unwrap().json().await.unwrap();
    let id = recorded["id"].to_string();
    wait_for_state(&app, &secret, &id, "failed").await;
    let failed_tab: Value =
        app.get(&standard, &format!("/api/shipments/list?store_id={store}")).await.json().await.unwrap();
    assert_eq!(failed_tab["failed"].as_array().unwrap().len(), 1);
    let stores: Value = app.get(&standard, "/api/stores/list").await.json().await.unwrap();
    assert_eq!(stores["failed_shipments"], json!([[store.0, 1]]), "the Stores page counts the failed write-back");
    for (client, status) in [(&anonymous, StatusCode::UNAUTHORIZED)] {
        assert_eq!(
            app.post(client, "/api/shipments/retry", &[("store_id", &store.to_string()), ("shipment_id", &id)])
                .await
                .status(),
            status
        );
        assert_eq!(
            app.post(client, "/api/shipments/dismiss", &[("store_id", &store.to_string()), ("shipment_id", &id)])
                .await
                .status(),
            status
        );
    }
    let dismissed =
        app.post(&standard, "/api/shipments/dismiss", &[("store_id", &store.to_string()), ("shipment_id", &id)]).await;
    assert_eq!(dismissed.status(), StatusCode::OK);
    let again =
        app.post(&standard, "/api/shipments/retry", &[("store_id", &store.to_string()), ("shipment_id", &id)]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "a dismissed shipment is not retried");
    let stores: Value = app.get(&standard, "/api/stores/list").await.json().await.unwrap();
    assert_eq!(stores["failed_shipments"], json!([]));
    // Revoked, the token stops working at once.
    let token_id = created["token"]["id"].to_string();
    assert_eq!(app.post(&admin, "/api/tokens/revoke", &[("token_id", &token_id)]).await.status(), StatusCode::OK);
    let after = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/shipments/{id}")))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let audit: Vec<String> = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT action FROM audit_log WHERE user_email = $1 ORDER BY id")
        .bind(ADMIN_EMAIL).fetch_all(&mut *c).await).unwrap();
    assert!(
        audit.contains(&"create API token".to_owned()) && audit.contains(&"revoke API token".to_owned()),
        "{audit:?}"
    );
}
