//! The v3 reads a sync makes besides orders: products with their variants, customers by page and
//! by cursor, inventory locations and items; the `date_modified:min` pitfall; and the store.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn data(reply: &Reply) -> Vec<Value> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn products_page_with_their_variants_and_links() {
    let bc = start(vec![store(json!({"products": 12}))]).await;
    let first = bc.get("v3/catalog/products?limit=5&include=variants").await;
    let products = data(&first);
    assert_eq!(products.len(), 5);
    let pagination = &first.body["meta"]["pagination"];
    assert_eq!(
        (pagination["total"].clone(), pagination["total_pages"].clone(), pagination["per_page"].clone()),
        (json!(12), json!(3), json!(5))
    );
    assert_eq!(pagination["links"]["next"], "?include=variants&page=2&limit=5");
    assert!(pagination["links"].get("previous").is_none());
    for product in &products {
        let variants = product["variants"].as_array().unwrap();
        assert_eq!(variants.len(), 3);
        assert_eq!(product["inventory_tracking"], "variant");
        assert!(product["base_variant_id"].is_null(), "options: no base variant");
        assert!(variants
            .iter()
            .all(|v| v["product_id"] == product["id"] && v["option_values"][0]["option_display_name"] == "Size"));
        let on_hand: i64 = variants.iter().map(|v| v["inventory_level"].as_i64().unwrap()).sum();
        assert_eq!(product["inventory_level"].as_i64().unwrap(), on_hand);
    }
    let last = bc.get("v3/catalog/products?limit=5&page=3").await;
    assert_eq!(data(&last).len(), 2);
    assert!(last.body["meta"]["pagination"]["links"].get("next").is_none());
    let beyond = bc.get("v3/catalog/products?limit=5&page=4").await;
    assert_eq!(
        (beyond.status.as_u16(), beyond.body["data"].clone()),
        (200, json!([])),
        "v3: an empty page is an empty list"
    );
    assert!(data(&bc.get("v3/catalog/products").await)[0].get("variants").is_none(), "variants only when included");
    assert_eq!(bc.get("v3/catalog/products?limit=251").await.status, 413);

    let plain = start(vec![store(json!({"variants": 1}))]).await;
    let product = data(&plain.get("v3/catalog/products?include=variants").await)[0].clone();
    assert_eq!(product["inventory_tracking"], "product");
    assert_eq!(product["base_variant_id"], product["variants"][0]["id"]);
    assert!(product["variants"][0]["sku_id"].is_null());

    let sku = products[1]["variants"][2]["sku"].as_str().unwrap();
    let variants = data(&bc.get(&format!("v3/catalog/variants?sku={sku}")).await);
    assert_eq!(variants.len(), 1);
    assert_eq!(variants[0]["id"], products[1]["variants"][2]["id"]);
}

#[tokio::test]
async fn a_date_modified_min_without_a_time_takes_the_requests_time_of_day() {
    let bc = start_manual(vec![store(json!({}))]).await;
    let all = data(&bc.get("v3/catalog/products?limit=250").await);
    let product = all[0]["id"].as_u64().unwrap();
    bc.advance(2_000).await;
    bc.control(&format!("/products/{product}/update"), json!({"weight": 2.5})).await;
    let now = bc.now().await;
    let today = time::OffsetDateTime::from_unix_timestamp(now).unwrap().date().to_string();

    // Changed today, but "today" means today at this very second: nothing after it.
    let dated = data(&bc.get(&format!("v3/catalog/products?date_modified:min={today}")).await);
    assert!(dated.is_empty(), "{dated:?}");
    let second = time::OffsetDateTime::from_unix_timestamp(now - 1).unwrap();
    let exact = second.format(&time::format_description::well_known::Rfc3339).unwrap();
    let changed = data(&bc.get(&format!("v3/catalog/products?date_modified:min={exact}")).await);
    assert_eq!(changed.len(), 1);
    assert_eq!((changed[0]["id"].clone(), changed[0]["weight"].clone()), (json!(product), json!(2.5)));
    assert!(changed[0]["date_modified"].as_str().unwrap().ends_with("+00:00"));
}

#[tokio::test]
async fn customers_page_by_number_or_by_cursor() {
    let bc = start(vec![store(json!({"customers": 23}))]).await;
    let first = bc.get("v3/customers?limit=10").await;
    let page_one = data(&first);
    assert_eq!(ids(&json!(page_one)), (1..=10).collect::<Vec<u64>>());
    let cursors = &first.body["meta"]["cursor_pagination"];
    assert_eq!(cursors["end_cursor"], "eyJpZCI6MTB9", "base64 of {{\"id\":10}}");
    assert_eq!(first.body["meta"]["pagination"]["total"], 23);
    assert!(page_one[0].get("addresses").is_none());

    let mut seen = ids(&json!(page_one));
    let mut next = cursors["links"]["next"].as_str().map(str::to_owned);
    while let Some(link) = next {
        let page = bc.get(&format!("v3/customers{link}")).await;
        seen.extend(ids(&page.body["data"]));
        assert!(page.body["meta"]["cursor_pagination"]["start_cursor"].is_string(), "cursors come with a cursor");
        next = page.body["meta"]["cursor_pagination"]["links"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, (1..=23).collect::<Vec<u64>>());

    let numbered = bc.get("v3/customers?limit=10&page=2").await;
    assert_eq!(ids(&numbered.body["data"]), (11..=20).collect::<Vec<u64>>());
    assert!(numbered.body["meta"]["cursor_pagination"].get("end_cursor").is_none(), "only on the first page");
    let back = bc.get("v3/customers?limit=5&before=eyJpZCI6MTF9").await;
    assert_eq!(ids(&back.body["data"]), (6..=10).collect::<Vec<u64>>());
    let ignored = bc.get("v3/customers?limit=5&page=3&after=eyJpZCI6MTF9").await;
    assert_eq!(ids(&ignored.body["data"]), (12..=16).collect::<Vec<u64>>(), "a cursor overrides the page");

    let with = data(&bc.get("v3/customers?id:in=4&include=addresses").await);
    assert_eq!(with[0]["addresses"][0]["customer_id"], 4);
    bc.control("/customers/4/update", json!({"last_name": "Okafor"})).await;
    let since = data(&bc.get("v3/customers?date_modified:min=2000-01-01&sort=date_modified:desc").await);
    assert_eq!((since[0]["id"].clone(), since[0]["last_name"].clone()), (json!(4), json!("Okafor")));
}

#[tokio::test]
async fn inventory_lists_locations_and_each_items_stock_where_it_is() {
    let bc = start(vec![store(json!({"locations": 3, "products": 4}))]).await;
    let locations = data(&bc.get("v3/inventory/locations").await);
    assert_eq!(ids(&json!(locations)), vec![1, 2, 3]);
    assert_eq!(
        (locations[0]["code"].clone(), locations[0]["label"].clone()),
        (json!("BC-LOCATION-1"), json!("Default location"))
    );
    assert_eq!(locations[0]["type_id"], "PHYSICAL");

    let items = data(&bc.get("v3/inventory/items?limit=250").await);
    assert_eq!(items.len(), 12, "four products of three variants");
    for item in &items {
        assert_eq!(item["locations"].as_array().unwrap().len(), 3);
        assert!(item["identity"]["sku"].is_string() && item["identity"]["variant_id"].is_u64());
    }
    let variant = items[4]["identity"]["variant_id"].as_u64().unwrap();
    let at_two = data(&bc.get(&format!("v3/inventory/locations/2/items?variant_id:in={variant}")).await);
    assert_eq!(at_two.len(), 1);
    assert_eq!(at_two[0]["total_inventory_onhand"], items[4]["locations"][1]["total_inventory_onhand"]);

    let settings =
        json!({"settings": [{"identity": {"variant_id": variant}, "safety_stock": 2, "bin_picking_number": "A-7"}]});
    let saved = bc.send(Method::PUT, "v3/inventory/locations/2/items", settings).await;
    assert!(saved.body["transaction_id"].is_string(), "{}", saved.text);
    let after = data(&bc.get(&format!("v3/inventory/locations/2/items?variant_id:in={variant}")).await)[0].clone();
    assert_eq!(after["settings"]["safety_stock"], 2);
    assert_eq!(
        after["available_to_sell"].as_i64().unwrap(),
        (after["total_inventory_onhand"].as_i64().unwrap() - 2).max(0)
    );

    let adjusted = bc
        .send(
            Method::PUT,
            "v3/inventory/adjustments/absolute",
            json!({"reason": "count", "items": [{"location_id": 1, "variant_id": variant, "quantity": 40}]}),
        )
        .await;
    assert_eq!(adjusted.status, 200, "{}", adjusted.text);
    let item = data(&bc.get(&format!("v3/inventory/items?variant_id:in={variant}&location_id:in=1")).await)[0].clone();
    assert_eq!(item["locations"].as_array().unwrap().len(), 1);
    assert_eq!(item["locations"][0]["total_inventory_onhand"], 40);
    assert_eq!(bc.get("v3/inventory/locations/9/items").await.status, 404);
}

#[tokio::test]
async fn the_store_reports_its_plan_timezone_and_units() {
    let bc = start(vec![store(
        json!({"plan": "pro", "utc_offset_minutes": -300, "weight_units": "Kilograms", "domain": "shop.example.com"}),
    )])
    .await;
    let info = bc.get("v2/store").await.body;
    assert_eq!(
        (info["id"].clone(), info["name"].clone(), info["domain"].clone()),
        (json!(HASH), json!("Example Store"), json!("shop.example.com"))
    );
    assert_eq!(info["secure_url"], "https://shop.example.com");
    assert_eq!(info["control_panel_base_url"], format!("https://store-{HASH}.mybigcommerce.com"));
    assert_eq!((info["plan_name"].clone(), info["plan_level"].clone()), (json!("Pro"), json!("Pro")));
    assert_eq!(
        (info["timezone"]["name"].clone(), info["timezone"]["raw_offset"].clone()),
        (json!("America/New_York"), json!(-18_000))
    );
    assert_eq!(
        (info["weight_units"].clone(), info["dimension_units"].clone()),
        (json!("Kilograms"), json!("Centimeters"))
    );
    assert!(info["store_id"].as_u64().unwrap() > 0);
    let time = bc.get("v2/time").await.body["time"].as_i64().unwrap();
    assert!((time - bc.now().await).abs() <= 1);
    let default_domain = start(vec![store(json!({}))]).await.get("v2/store").await.body["domain"].clone();
    assert_eq!(default_domain, format!("store-{HASH}.mybigcommerce.com"));
}
