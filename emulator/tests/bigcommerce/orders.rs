//! Listing orders as a sync does: pages and their bounds, the empty page's 204, RFC 2822 dates
//! and the modified filter's edges, archived and incomplete orders, and consignments that show
//! only fifty line items.

use reqwest::Method;
use serde_json::{json, Value};
use time::{format_description::well_known::Rfc2822, OffsetDateTime};

use crate::helpers::*;

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn unix(rfc2822: &Value) -> i64 {
    OffsetDateTime::parse(rfc2822.as_str().unwrap(), &Rfc2822).unwrap().unix_timestamp()
}

fn rfc2822(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).unwrap().format(&Rfc2822).unwrap()
}

#[tokio::test]
async fn orders_page_by_limit_up_to_250_and_an_empty_page_is_204_with_no_body() {
    let bc = start(vec![store(json!({"orders": 130}))]).await;
    let first = bc.get("v2/orders").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body.as_array().unwrap().len(), 50, "50 without a limit");
    let all = bc.all_orders("").await;
    let listed = ids(&json!(all));
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "by id, lowest first");
    let count = bc.get("v2/orders/count").await.body["count"].as_u64().unwrap();
    assert_eq!(listed.len() as u64, count);
    assert!(listed.len() > 100, "most of the 130 orders are listed: {}", listed.len());

    let big = bc.get("v2/orders?limit=250").await;
    assert_eq!(big.body.as_array().unwrap().len(), listed.len());
    let too_big = bc.get("v2/orders?limit=251").await;
    assert_eq!(too_big.status, 413);
    assert_eq!(too_big.body[0]["status"], 413);

    let past = bc.get("v2/orders?page=9&limit=50").await;
    assert_eq!(past.status, 204);
    assert_eq!(past.text, "", "no body at all");
    assert!(past.header("content-type").is_none());
    assert!(past.header("x-rate-limit-requests-left").is_some(), "a 204 still carries the quota");

    let newest = bc.get("v2/orders?sort=date_created:desc&limit=5").await;
    let created: Vec<i64> = newest.body.as_array().unwrap().iter().map(|o| unix(&o["date_created"])).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    let awaiting = bc.all_orders("status_id=11").await;
    assert!(
        !awaiting.is_empty() && awaiting.iter().all(|o| o["status_id"] == 11 && o["status"] == "Awaiting Fulfillment")
    );
}

#[tokio::test]
async fn dates_are_rfc_2822_and_the_modified_filter_excludes_both_its_bounds() {
    let bc = start_manual(vec![store(json!({}))]).await;
    let orders = bc.all_orders("").await;
    for order in &orders {
        let text = order["date_modified"].as_str().unwrap();
        assert!(text.ends_with(" +0000"), "{text}");
        assert_eq!(rfc2822(unix(&order["date_modified"])), text, "second precision, as written");
        assert!(
            order["total_inc_tax"].as_str().unwrap().split_once('.').unwrap().1.len() == 4,
            "money as 4-place strings"
        );
    }
    let order = &orders[orders.len() / 2];
    let at = unix(&order["date_modified"]);
    let bc = &bc;
    let after = |min: i64| async move {
        let query = format!("min_date_modified={}", encode(&rfc2822(min)));
        ids(&json!(bc.all_orders(&query).await))
    };
    let id = order["id"].as_u64().unwrap();
    assert!(!after(at).await.contains(&id), "the bound itself is excluded");
    assert!(after(at - 1).await.contains(&id));
    let before = bc.all_orders(&format!("max_date_modified={}", encode(&rfc2822(at)))).await;
    assert!(!ids(&json!(before)).contains(&id));
    assert!(before.iter().all(|o| unix(&o["date_modified"]) < at));

    // ISO 8601 with an offset means the same second; without one, the store's time (Chicago).
    let iso = OffsetDateTime::from_unix_timestamp(at - 1).unwrap().to_offset(time::macros::offset!(-4));
    let iso = iso.format(&time::format_description::well_known::Rfc3339).unwrap();
    assert!(ids(&json!(bc.all_orders(&format!("min_date_modified={}", encode(&iso))).await)).contains(&id));
    let local = OffsetDateTime::from_unix_timestamp(at).unwrap().to_offset(time::macros::offset!(-6));
    let local =
        local.format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]")).unwrap();
    assert!(!ids(&json!(bc.all_orders(&format!("min_date_modified={local}")).await)).contains(&id));

    let unreadable = bc.get(&format!("v2/orders?min_date_modified={}", encode("last tuesday"))).await;
    assert_eq!(
        (unreadable.status.as_u16(), unreadable.body[0]["message"].clone()),
        (400, json!("The field 'min_date_modified' is invalid."))
    );
    // A `+` left unencoded arrives as a space: no offset, so no date.
    let raw = bc.get(&format!("v2/orders?min_date_modified={}", rfc2822(at).replace(' ', "%20"))).await;
    assert_eq!(raw.status, 400);

    // A change moves the order past a filter from before it.
    let now = bc.now().await;
    bc.advance(5_000).await;
    // Partially Refunded: a status the seed never gives, so this is a change.
    bc.control(&format!("/orders/{id}/status"), json!({"status_id": 14})).await;
    let changed = bc.all_orders(&format!("min_date_modified={}", encode(&rfc2822(now)))).await;
    assert_eq!(ids(&json!(changed)), vec![id]);
    assert_eq!(changed[0]["status"], "Partially Refunded");
}

#[tokio::test]
async fn archived_orders_show_only_when_asked_and_incomplete_ones_only_by_status() {
    let bc = start(vec![store(json!({}))]).await;
    let listed = ids(&json!(bc.all_orders("").await));
    let id = listed[3];
    let archived = reply(bc.api(Method::DELETE, &format!("v2/orders/{id}"))).await;
    assert_eq!(archived.status, 204);
    assert!(!ids(&json!(bc.all_orders("").await)).contains(&id));
    assert_eq!(ids(&json!(bc.all_orders("is_deleted=true").await)), vec![id]);
    let one = bc.get(&format!("v2/orders/{id}")).await;
    assert_eq!((one.status.as_u16(), one.body["is_deleted"].clone()), (200, json!(true)));

    let incomplete = bc.all_orders("status_id=0").await;
    assert!(!incomplete.is_empty(), "the seed makes some");
    assert!(incomplete.iter().all(|o| !listed.contains(&o["id"].as_u64().unwrap())));

    let missing = bc.get("v2/orders/99999").await;
    assert_eq!(
        (missing.status.as_u16(), missing.body.clone()),
        (404, json!([{"status": 404, "message": "The requested resource was not found."}]))
    );
    bc.control(&format!("/orders/{id}/delete"), json!({})).await;
    assert_eq!(bc.get(&format!("v2/orders/{id}")).await.status, 404);
}

#[tokio::test]
async fn consignments_show_fifty_line_items_and_warn_that_the_rest_are_in_products() {
    let bc = start(vec![store(json!({}))]).await;
    let big = bc.new_order(json!({"lines": 60})).await["id"].as_u64().unwrap();
    let small = bc.new_order(json!({"lines": 3, "two_addresses": true})).await["id"].as_u64().unwrap();

    let path = |id: u64| format!("v2/orders/{id}?include=consignments.line_items&consignment_structure=object");
    let order = bc.get(&path(big)).await.body;
    let consignment = &order["consignments"]["shipping"][0];
    assert_eq!(consignment["line_items"].as_array().unwrap().len(), 50);
    assert!(consignment["line_items"][0]["sku"].is_string(), "the products' own objects");
    assert_eq!(
        consignment["__warning__"]["message"],
        "Not all line items of this consignment are returned with this response, only 50 are included. \
         Please use the `/v2/orders/{order_id}/products` endpoint to fetch all line items."
    );
    assert_eq!(consignment["items_total"], order["items_total"]);

    // What the warning says to do: page through the products.
    let first = bc.get(&format!("v2/orders/{big}/products")).await;
    let second = bc.get(&format!("v2/orders/{big}/products?page=2")).await;
    assert_eq!((first.body.as_array().unwrap().len(), second.body.as_array().unwrap().len()), (50, 10));
    assert_eq!(bc.get(&format!("v2/orders/{big}/products?page=3")).await.status, 204);
    assert_eq!(bc.get(&format!("v2/orders/{big}/products?limit=250")).await.body.as_array().unwrap().len(), 60);

    let two = bc.get(&path(small)).await.body;
    let shipping = two["consignments"]["shipping"].as_array().unwrap();
    assert_eq!(shipping.len(), 2, "one consignment per address");
    assert!(shipping.iter().all(|c| c.get("__warning__").is_none()));
    let lines: usize = shipping.iter().map(|c| c["line_items"].as_array().unwrap().len()).sum();
    assert_eq!(lines, 3);
    assert_eq!(two["shipping_address_count"], 2);

    let legacy = bc.get(&format!("v2/orders/{small}?include=consignments")).await.body;
    assert!(legacy["consignments"].is_array(), "without consignment_structure=object, the legacy array");
    assert!(legacy["consignments"][0]["shipping"][0]["line_items"][0]["resource"].is_string(), "links only");
    assert!(bc.get(&format!("v2/orders/{small}")).await.body.get("consignments").is_none());
    let in_list = bc
        .get(&format!(
            "v2/orders?min_id={big}&max_id={big}&include=consignments.line_items&consignment_structure=object"
        ))
        .await;
    assert_eq!(in_list.body[0]["consignments"]["shipping"][0]["line_items"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn the_count_groups_orders_by_status() {
    let bc = start(vec![store(json!({}))]).await;
    let count = bc.get("v2/orders/count").await.body;
    let statuses = count["statuses"].as_array().unwrap();
    let sum: u64 = statuses.iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(sum, count["count"].as_u64().unwrap());
    let shipped = statuses.iter().find(|s| s["id"] == 2).unwrap();
    assert_eq!(shipped["name"], "Shipped");
    assert_eq!(shipped["count"].as_u64().unwrap() as usize, bc.all_orders("status_id=2").await.len());
}
