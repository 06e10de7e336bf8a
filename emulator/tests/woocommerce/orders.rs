//! Writing back: order status and meta, notes, deletion, and Shipment Tracking items, checked
//! through the API and through the control endpoint's view of the order.

use reqwest::Method;
use serde_json::{json, Value};

use crate::{helpers::*, shapes::fixture};

const ORDERS: &str = "/wp-json/wc/v3/orders";

async fn processing_order(woo: &Woo) -> Value {
    woo.get(&format!("{ORDERS}?status=processing&per_page=1")).await.body[0].clone()
}

#[tokio::test]
async fn a_status_change_saves_the_order_with_its_note_and_dates() {
    let woo = start_manual(vec![site(json!({}))]).await;
    let order = processing_order(&woo).await;
    let id = order["id"].as_u64().unwrap();
    woo.advance(3_600_000).await;
    let now = woo.now().await;
    let updated = woo.send(Method::PUT, &format!("{ORDERS}/{id}"), json!({"status": "completed"})).await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["status"], "completed");
    let stamp = time::OffsetDateTime::from_unix_timestamp(now).unwrap();
    let gmt = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        stamp.year(),
        stamp.month() as u8,
        stamp.day(),
        stamp.hour(),
        stamp.minute(),
        stamp.second()
    );
    assert_eq!(updated.body["date_modified_gmt"], gmt.as_str());
    assert_eq!(updated.body["date_completed_gmt"], gmt.as_str());
    assert_eq!(updated.body["date_paid"], order["date_paid"], "paid before");

    let held = woo.control_get(&format!("/orders/{id}")).await;
    let last_note = held["notes"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last_note["note"], "Order status changed from Processing to Completed.");
    assert_eq!(last_note["author"], "system");

    let refused = woo.send(Method::PUT, &format!("{ORDERS}/{id}"), json!({"status": "shipped"})).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.code(), "rest_invalid_param");
    let unknown = woo.send(Method::PUT, &format!("{ORDERS}/999999"), json!({"status": "completed"})).await;
    assert_eq!((unknown.status.as_u16(), unknown.code()), (404, "woocommerce_rest_shop_order_invalid_id"));
}

#[tokio::test]
async fn meta_data_merges_by_id_and_key_and_null_deletes() {
    let woo = start(vec![site(json!({}))]).await;
    let id = processing_order(&woo).await["id"].as_u64().unwrap();
    let path = format!("{ORDERS}/{id}");
    let added =
        woo.send(Method::PUT, &path, json!({"meta_data": [{"key": "_storelink_shipment", "value": "s-1"}]})).await;
    let meta = added.body["meta_data"].as_array().unwrap().clone();
    let entry = meta.iter().find(|m| m["key"] == "_storelink_shipment").unwrap().clone();
    assert_eq!(entry["value"], "s-1");
    assert!(meta.iter().any(|m| m["key"] == "is_vat_exempt"), "other meta stays");

    woo.send(Method::PUT, &path, json!({"meta_data": [{"key": "_storelink_shipment", "value": "s-2"}]})).await;
    woo.send(
        Method::PUT,
        &path,
        json!({"meta_data": [{"id": entry["id"], "key": "_storelink_shipment", "value": "s-3"}]}),
    )
    .await;
    let held = woo.control_get(&format!("/orders/{id}")).await;
    let matching: Vec<&Value> =
        held["meta_data"].as_array().unwrap().iter().filter(|m| m["key"] == "_storelink_shipment").collect();
    assert_eq!(matching.len(), 1);
    assert_eq!((matching[0]["id"].clone(), matching[0]["value"].clone()), (entry["id"].clone(), json!("s-3")));

    woo.send(Method::PUT, &path, json!({"meta_data": [{"key": "_storelink_shipment", "value": null}]})).await;
    let held = woo.control_get(&format!("/orders/{id}")).await;
    assert!(!held["meta_data"].as_array().unwrap().iter().any(|m| m["key"] == "_storelink_shipment"));
}

#[tokio::test]
async fn notes_are_listed_newest_first_and_need_text() {
    let woo = start(vec![site(json!({}))]).await;
    let order = processing_order(&woo).await;
    let id = order["id"].as_u64().unwrap();
    let notes = format!("{ORDERS}/{id}/notes");
    let created =
        woo.send(Method::POST, &notes, json!({"note": "Shipped with UPS 1Z999.", "customer_note": true})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let note_id = created.body["id"].as_u64().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("https://shop.example.com/wp-json/wc/v3/orders/{id}/notes/{note_id}").as_str())
    );
    assert_eq!((created.body["customer_note"].clone(), created.body["author"].clone()), (json!(true), json!("system")));

    let listed = woo.get(&notes).await;
    assert_eq!(listed.body[0]["id"], note_id, "newest first");
    let for_customer = woo.get(&format!("{notes}?type=customer")).await;
    assert_eq!(ids(&for_customer.body), vec![note_id]);
    assert_eq!(woo.get(&format!("{notes}/{note_id}")).await.body["note"], "Shipped with UPS 1Z999.");
    let unchanged = woo.get(&format!("{ORDERS}/{id}")).await;
    assert_eq!(unchanged.body["date_modified"], order["date_modified"], "a note does not save the order");

    let empty = woo.send(Method::POST, &notes, json!({"customer_note": false})).await;
    assert_eq!(empty.status, 400);
    assert_eq!(
        empty.body,
        json!({"code": "rest_missing_callback_param", "message": "Missing parameter(s): note", "data": {"status": 400, "params": ["note"]}})
    );
    let nowhere = woo.send(Method::POST, &format!("{ORDERS}/999999/notes"), json!({"note": "x"})).await;
    assert_eq!((nowhere.status.as_u16(), nowhere.code()), (404, "woocommerce_rest_order_invalid_id"));
    let form = reply(woo.basic(Method::POST, &notes).form(&[("note", "From a form")])).await;
    assert_eq!(form.status, 201);
    let broken =
        reply(woo.basic(Method::POST, &notes).header("content-type", "application/json").body("{\"note\":")).await;
    assert_eq!((broken.status.as_u16(), broken.code()), (400, "rest_invalid_json"));
}

#[tokio::test]
async fn deleting_trashes_first_and_force_removes() {
    let woo = start(vec![site(json!({}))]).await;
    let id = processing_order(&woo).await["id"].as_u64().unwrap();
    let path = format!("{ORDERS}/{id}");
    assert_eq!(woo.send(Method::DELETE, &path, json!({})).await.body["status"], "trash");
    let again = woo.send(Method::DELETE, &path, json!({})).await;
    assert_eq!((again.status.as_u16(), again.code()), (410, "woocommerce_rest_already_trashed"));
    assert_eq!(woo.get(&path).await.body["status"], "trash");
    let forced = woo.send(Method::DELETE, &format!("{path}?force=true"), json!({})).await;
    assert_eq!(forced.status, 200);
    assert_eq!(woo.get(&path).await.status, 404);
}

#[tokio::test]
async fn tracking_items_are_added_listed_and_kept_in_the_orders_meta() {
    let woo = start_manual(vec![site(json!({}))]).await;
    let order = processing_order(&woo).await;
    let id = order["id"].as_u64().unwrap();
    let path = format!("/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings");
    let named = woo.send(Method::POST, &path, fixture("shipment_tracking_create_request.json")).await;
    assert_eq!(named.status, 201, "{}", named.text);
    let expected = fixture("shipment_tracking_item.json");
    for key in ["tracking_provider", "tracking_link", "tracking_number", "date_shipped"] {
        assert_eq!(named.body[key], expected[key], "{key}");
    }
    let tracking_id = named.body["tracking_id"].as_str().unwrap().to_owned();
    assert_eq!(tracking_id.len(), 32);
    assert_eq!(named.header("location"), Some(format!("https://shop.example.com{path}/{tracking_id}").as_str()));

    let custom = woo.send(Method::POST, &path, fixture("shipment_tracking_create_custom_provider_request.json")).await;
    assert_eq!(custom.status, 201);
    assert_eq!(custom.body["tracking_provider"], "Example Courier");
    assert_eq!(custom.body["tracking_link"], "https://example.com/track/12345678");

    let today = woo.send(Method::POST, &path, json!({"tracking_provider": "usps", "tracking_number": "9400"})).await;
    let local_today = time::OffsetDateTime::from_unix_timestamp(woo.now().await + 330 * 60).unwrap().date();
    assert_eq!(today.body["date_shipped"], local_today.to_string(), "shipped today, in the site's timezone");
    assert_eq!(today.body["tracking_provider"], "USPS");

    let listed = woo.get(&path).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3);
    let updated = woo.get(&format!("{ORDERS}/{id}")).await;
    assert_ne!(updated.body["date_modified"], order["date_modified"], "adding tracking saves the order");
    let stored = updated.body["meta_data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "_wc_shipment_tracking_items")
        .unwrap()
        .clone();
    assert_eq!(stored["value"].as_array().unwrap().len(), 3);
    assert_eq!(stored["value"][0]["tracking_provider"], "usps");
    let held = woo.control_get(&format!("/orders/{id}")).await;
    assert_eq!(held["tracking"].as_array().unwrap().len(), 3);

    let one = woo.get(&format!("{path}/{tracking_id}")).await;
    assert_eq!(one.body["tracking_number"], "9400111899560000000000");
    assert_eq!(woo.send(Method::DELETE, &format!("{path}/{tracking_id}"), json!({})).await.status, 200);
    assert_eq!(woo.get(&path).await.body.as_array().unwrap().len(), 2);

    let missing = woo.send(Method::POST, &path, json!({"tracking_provider": "UPS"})).await;
    assert_eq!((missing.status.as_u16(), missing.code()), (400, "rest_missing_callback_param"));
    let nowhere = woo
        .send(
            Method::POST,
            "/wp-json/wc-shipment-tracking/v3/orders/999999/shipment-trackings",
            json!({"tracking_number": "1"}),
        )
        .await;
    assert_eq!((nowhere.status.as_u16(), nowhere.code()), (404, "woocommerce_rest_order_invalid_id"));
    let providers =
        reply(woo.request(Method::GET, HOST, "/wp-json/wc-shipment-tracking/v3/shipment-trackings/providers")).await;
    assert_eq!(providers.status, 200, "the providers list is public");
}

#[tokio::test]
async fn without_the_extension_its_routes_do_not_exist() {
    let woo = start(vec![site(json!({"shipment_tracking": false}))]).await;
    let id = processing_order(&woo).await["id"].as_u64().unwrap();
    for path in [
        format!("/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings"),
        "/wp-json/wc-shipment-tracking/v3/shipment-trackings/providers".to_owned(),
    ] {
        let missing = woo.get(&path).await;
        assert_eq!((missing.status.as_u16(), missing.code()), (404, "rest_no_route"), "{path}");
    }
    let posted = woo
        .send(
            Method::POST,
            &format!("/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings"),
            json!({"tracking_number": "1"}),
        )
        .await;
    assert_eq!(posted.code(), "rest_no_route");
    let index = woo.get("/wp-json/").await;
    assert!(!index.body["namespaces"].as_array().unwrap().contains(&json!("wc-shipment-tracking/v3")));
}
