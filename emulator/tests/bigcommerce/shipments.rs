//! Writing shipments back: part of an order then the rest, refusals of more than remains and of
//! an address or product not on the order, the status moving to Partially Shipped and Shipped,
//! quantities shipped counted on products, addresses and the order, and the webhooks it fires.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

async fn products(bc: &Bc, order: u64) -> Vec<Value> {
    bc.get(&format!("v2/orders/{order}/products")).await.body.as_array().unwrap().clone()
}

async fn ship(bc: &Bc, order: u64, body: Value) -> Reply {
    bc.send(Method::POST, &format!("v2/orders/{order}/shipments"), body).await
}

fn message(reply: &Reply) -> String {
    reply.body[0]["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn shipping_part_then_the_rest_moves_the_order_to_partially_shipped_then_shipped() {
    let bc = start_manual(vec![store(json!({}))]).await;
    let order = bc.new_order(json!({"lines": 2})).await;
    let id = order["id"].as_u64().unwrap();
    assert_eq!(order["status_id"], 11);
    let none = bc.get(&format!("v2/orders/{id}/shipments")).await;
    assert_eq!((none.status.as_u16(), none.text.as_str()), (204, ""), "no shipments: 204, no body");

    let lines = products(&bc, id).await;
    let address = lines[0]["order_address_id"].as_u64().unwrap();
    bc.advance(3_000).await;
    let first = ship(
        &bc,
        id,
        json!({
            "order_address_id": address, "tracking_number": "9400111899223100001234", "shipping_provider": "usps",
            "comments": "storelink shipment 17", "items": [{"order_product_id": lines[0]["id"], "quantity": lines[0]["quantity"]}],
        }),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["order_id"], id);
    assert_eq!(
        first.body["items"],
        json!([{"order_product_id": lines[0]["id"], "product_id": lines[0]["product_id"], "quantity": lines[0]["quantity"]}])
    );
    assert_eq!(first.body["shipping_provider_display_name"], "USPS");
    assert!(first.body["generated_tracking_link"].as_str().unwrap().ends_with("9400111899223100001234"));
    assert_eq!(first.body["tracking_link"], "");

    let after_first = bc.get(&format!("v2/orders/{id}")).await.body;
    assert_eq!(
        (after_first["status_id"].clone(), after_first["status"].clone()),
        (json!(3), json!("Partially Shipped"))
    );
    assert_eq!(after_first["items_shipped"], lines[0]["quantity"]);
    assert_eq!(after_first["date_shipped"], "", "not shipped until all of it is");
    assert_ne!(after_first["date_modified"], order["date_modified"]);
    let shipped_lines = products(&bc, id).await;
    assert_eq!(shipped_lines[0]["quantity_shipped"], lines[0]["quantity"]);
    assert_eq!(shipped_lines[1]["quantity_shipped"], 0);

    let rest = ship(
        &bc,
        id,
        json!({"order_address_id": address, "tracking_number": "1Z999", "tracking_carrier": "dhl",
               "tracking_link": "https://track.example.com/1Z999",
               "items": [{"order_product_id": lines[1]["id"], "quantity": lines[1]["quantity"]}]}),
    )
    .await;
    assert_eq!(rest.status, 201, "{}", rest.text);
    assert_eq!(
        (rest.body["tracking_link"].clone(), rest.body["generated_tracking_link"].clone()),
        (json!("https://track.example.com/1Z999"), json!(""))
    );
    let done = bc.get(&format!("v2/orders/{id}")).await.body;
    assert_eq!((done["status_id"].clone(), done["items_shipped"].clone()), (json!(2), done["items_total"].clone()));
    assert_ne!(done["date_shipped"], "");
    let address_now = &bc.get(&format!("v2/orders/{id}/shipping_addresses")).await.body[0];
    assert_eq!(address_now["items_shipped"], address_now["items_total"]);

    let listed = bc.get(&format!("v2/orders/{id}/shipments")).await;
    assert_eq!(ids(&listed.body), vec![first.body["id"].as_u64().unwrap(), rest.body["id"].as_u64().unwrap()]);
    assert_eq!(bc.get(&format!("v2/orders/{id}/shipments/count")).await.body, json!({"count": 2}));
    let state = bc.control_get(&format!("/orders/{id}")).await;
    assert_eq!(state["shipments"].as_array().unwrap().len(), 2);
    assert_eq!(state["shipments"][0]["comments"], "storelink shipment 17");

    // Deleting a shipment does not move the order out of Shipped.
    let sid = first.body["id"].as_u64().unwrap();
    assert_eq!(reply(bc.api(Method::DELETE, &format!("v2/orders/{id}/shipments/{sid}"))).await.status, 204);
    assert_eq!(bc.get(&format!("v2/orders/{id}")).await.body["status_id"], 2);
    assert_eq!(bc.get(&format!("v2/orders/{id}/shipments/{sid}")).await.status, 404);
}

#[tokio::test]
async fn refusals_name_the_field_and_change_nothing() {
    let bc = start(vec![store(json!({}))]).await;
    let id = bc.new_order(json!({"lines": 2, "two_addresses": true})).await["id"].as_u64().unwrap();
    let lines = products(&bc, id).await;
    let addresses = bc.get(&format!("v2/orders/{id}/shipping_addresses")).await.body;
    let (home, gift) = (addresses[0]["id"].as_u64().unwrap(), addresses[1]["id"].as_u64().unwrap());
    let home_line = lines.iter().find(|l| l["order_address_id"] == home).unwrap();
    let gift_line = lines.iter().find(|l| l["order_address_id"] == gift).unwrap();
    let item = |line: &Value, quantity: i64| json!([{"order_product_id": line["id"], "quantity": quantity}]);
    let other_order = bc.new_order(json!({})).await["id"].as_u64().unwrap();
    let other_address = bc.get(&format!("v2/orders/{other_order}/shipping_addresses")).await.body[0]["id"].clone();

    let too_many = home_line["quantity"].as_i64().unwrap() + 1;
    for (body, expected) in [
        (json!({"items": item(home_line, 1)}), "The required field 'order_address_id' was not supplied."),
        (json!({"order_address_id": home}), "The required field 'items' was not supplied."),
        (
            json!({"order_address_id": other_address, "items": item(home_line, 1)}),
            "The field 'order_address_id' is invalid.",
        ),
        (json!({"order_address_id": home, "items": item(gift_line, 1)}), "The field 'order_product_id' is invalid."),
        (
            json!({"order_address_id": home, "items": [{"order_product_id": 999_999, "quantity": 1}]}),
            "The field 'order_product_id' is invalid.",
        ),
        (json!({"order_address_id": home, "items": item(home_line, too_many)}), "The field 'quantity' is invalid."),
        (json!({"order_address_id": home, "items": item(home_line, 0)}), "The field 'quantity' is invalid."),
        (
            json!({"order_address_id": home, "items": item(home_line, 1), "shipping_provider": "pigeon"}),
            "The field 'shipping_provider' is invalid.",
        ),
        (
            json!({"order_address_id": home, "items": item(home_line, 1), "tracking_number": "9".repeat(51)}),
            "The field 'tracking_number' is invalid.",
        ),
    ] {
        let refused = ship(&bc, id, body.clone()).await;
        assert_eq!((refused.status.as_u16(), message(&refused)), (400, expected.to_owned()), "{body}");
    }
    assert_eq!(bc.get(&format!("v2/orders/{id}/shipments")).await.status, 204, "nothing was shipped");
    assert_eq!(bc.get(&format!("v2/orders/{id}")).await.body["status_id"], 11);

    // Two items of one line in one shipment count together.
    let quantity = home_line["quantity"].as_i64().unwrap();
    let doubled = json!({"order_address_id": home, "items": [
        {"order_product_id": home_line["id"], "quantity": quantity}, {"order_product_id": home_line["id"], "quantity": 1}]});
    assert_eq!(message(&ship(&bc, id, doubled).await), "The field 'quantity' is invalid.");

    // What remains after a shipment is all that can be shipped.
    assert_eq!(
        ship(&bc, id, json!({"order_address_id": home.to_string(), "items": item(home_line, quantity)})).await.status,
        201
    );
    assert_eq!(
        message(&ship(&bc, id, json!({"order_address_id": home, "items": item(home_line, 1)})).await),
        "The field 'quantity' is invalid."
    );
    assert_eq!(ship(&bc, 999_999, json!({"order_address_id": home, "items": item(home_line, 1)})).await.status, 404);
}

#[tokio::test]
async fn two_addresses_ship_separately() {
    let bc = start(vec![store(json!({}))]).await;
    let id = bc.new_order(json!({"lines": 4, "two_addresses": true})).await["id"].as_u64().unwrap();
    let lines = products(&bc, id).await;
    let addresses = bc.get(&format!("v2/orders/{id}/shipping_addresses")).await.body.as_array().unwrap().clone();
    assert_eq!(addresses.len(), 2);
    for (n, address) in addresses.iter().enumerate() {
        let items: Vec<Value> = lines
            .iter()
            .filter(|l| l["order_address_id"] == address["id"])
            .map(|l| json!({"order_product_id": l["id"], "quantity": l["quantity"]}))
            .collect();
        let shipped = ship(&bc, id, json!({"order_address_id": address["id"], "items": items, "shipping_provider": "ups", "tracking_number": format!("1Z{n}")})).await;
        assert_eq!(shipped.status, 201, "{}", shipped.text);
        assert_eq!(shipped.body["shipping_address"]["street_1"], address["street_1"]);
        let status = bc.get(&format!("v2/orders/{id}")).await.body["status_id"].clone();
        assert_eq!(status, if n == 0 { 3 } else { 2 });
    }
}

#[tokio::test]
async fn a_shipment_fires_shipment_created_and_the_orders_status_events() {
    let receiver = Receiver::start(vec![]).await;
    let bc = start(vec![store(json!({}))]).await;
    for scope in ["store/shipment/*", "store/order/statusUpdated"] {
        bc.send(Method::POST, "v3/hooks", json!({"scope": scope, "destination": receiver.url})).await;
    }
    let id = bc.new_order(json!({"lines": 1})).await["id"].as_u64().unwrap();
    let line = products(&bc, id).await[0].clone();
    let shipped = ship(&bc, id, json!({"order_address_id": line["order_address_id"], "items": [{"order_product_id": line["id"], "quantity": line["quantity"]}]})).await;
    let received: Vec<Value> = receiver.wait_for(3).await.iter().map(Received::json).collect();
    let created = received.iter().find(|p| p["scope"] == "store/shipment/created").unwrap();
    assert_eq!(created["data"], json!({"type": "shipment", "id": shipped.body["id"], "orderId": id}));
    let moved: Vec<&Value> = received.iter().filter(|p| p["scope"] == "store/order/statusUpdated").collect();
    let statuses: Vec<Value> = moved.iter().map(|p| p["data"]["status"].clone()).collect();
    assert!(statuses.contains(&json!({"previous_status_id": 0, "new_status_id": 11})));
    assert!(statuses.contains(&json!({"previous_status_id": 11, "new_status_id": 2})));

    let sid = shipped.body["id"].as_u64().unwrap();
    let updated =
        bc.send(Method::PUT, &format!("v2/orders/{id}/shipments/{sid}"), json!({"tracking_number": "NEW1"})).await;
    assert_eq!(updated.body["tracking_number"], "NEW1");
    let last = receiver.wait_for(4).await[3].json();
    assert_eq!(last["scope"], "store/shipment/updated");
}
