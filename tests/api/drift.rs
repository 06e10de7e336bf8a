//! Nothing missing: each store's own count of orders awaiting shipment against storelink's,
//! what differs found and fetched again, and what cannot be repaired shown, counted and said
//! when the order is searched for.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use storelink::{drift::DriftCheck, ids::StoreId, platforms::woocommerce::SiteUrl};

use crate::{
    helpers::*,
    woocommerce::{keys, synced, woo},
};

const SITE: &str = "drift.example.com";

/// Requests the emulator has had for `host`.
async fn requests_to(app: &TestApp, host: &str) -> usize {
    let log = app.emulator_get("/requests?limit=100000").await;
    log["requests"].as_array().unwrap().iter().filter(|r| r["shop"] == host).count()
}

async fn faults(app: &TestApp, patch: Value) {
    app.emulator_post(&format!("/woocommerce/{SITE}/faults"), patch).await;
}

/// The site's orders awaiting shipment (`processing`), as the site lists them.
async fn processing(app: &TestApp) -> BTreeSet<i64> {
    let site = SiteUrl::from_home(&format!("https://{SITE}")).unwrap();
    let mut all = BTreeSet::new();
    for page in 1.. {
        let page = page.to_string();
        let query = [("status", "processing"), ("per_page", "100"), ("page", page.as_str()), ("_fields", "id")];
        let rows: Vec<Value> = woo(app).get(&site, &keys(), "/wc/v3/orders", &query).await.unwrap().json().unwrap();
        all.extend(rows.iter().map(|r| r["id"].as_i64().unwrap()));
        if rows.len() < 100 {
            return all;
        }
    }
    unreachable!()
}

/// The store's orders in the queue.
async fn queued(app: &TestApp, store: StoreId) -> BTreeSet<i64> {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT DISTINCT fo.order_id FROM synced_fulfillment_orders fo
         JOIN synced_fulfillment_order_lines l ON l.store_id = fo.store_id AND l.fulfillment_order_id = fo.id
         WHERE fo.store_id = $1 AND fo.status IN ('OPEN', 'IN_PROGRESS') AND l.remaining_quantity > 0",
    )
    .bind(store)
    .fetch_all(&mut *c).await)
    .unwrap()
    .into_iter()
    .collect()
}

/// A new order on the site whose `order.created` delivery is lost.
async fn order_unheard(app: &TestApp) -> (i64, String) {
    faults(app, json!({"drop_deliveries": 1})).await;
    let created = app.emulator_post(&format!("/woocommerce/{SITE}/orders"), json!({})).await;
    let order = &created["order"];
    (order["id"].as_i64().unwrap(), format!("#{}", order["number"].as_str().unwrap()))
}

async fn check(app: &TestApp, store: StoreId) -> DriftCheck {
    app.engine.check_drift(store).await.unwrap().unwrap()
}

#[tokio::test]
async fn orders_a_lost_page_and_a_lost_delivery_hid_are_found_and_fetched_again() {
    let app = spawn_app_without_sync().await;
    // The sync's first page of orders comes back empty: the sync cannot tell.
    faults(&app, json!({"drop_order_pages": 1})).await;
    let store = synced(&app, SITE).await;
    let platform = processing(&app).await;
    assert!(platform.len() > 5, "the site has orders to ship: {platform:?}");
    // The check at the sync's end found them and fetched them again.
    let (fetched, unresolved): (i64, String) = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT fetched_again, unresolved FROM drift_checks WHERE store_id = $1",
    )
    .bind(store)
    .fetch_one(&mut *c).await)
    .unwrap();
    assert!(fetched > 0 && unresolved == "[]", "{fetched} fetched again, {unresolved} unresolved");
    assert_eq!(queued(&app, store).await, platform, "the queue holds what the site says awaits shipping");

    // Nothing differs: one request.
    let before = requests_to(&app, SITE).await;
    let agreed = check(&app, store).await;
    assert_eq!(requests_to(&app, SITE).await - before, 1, "one count");
    assert_eq!(
        (agreed.platform_count, agreed.storelink_count, agreed.fetched_again),
        (platform.len() as i64, platform.len() as i64, 0)
    );

    // An order whose delivery was lost: found by halving the site's history, fetched once.
    let (id, name) = order_unheard(&app).await;
    assert!(!queued(&app, store).await.contains(&id), "storelink never heard of {name}");
    let before = requests_to(&app, SITE).await;
    let repaired = check(&app, store).await;
    let spent = requests_to(&app, SITE).await - before;
    assert!(repaired.unresolved.is_empty(), "{repaired:?}");
    assert_eq!(repaired.fetched_again, 1);
    assert!(queued(&app, store).await.contains(&id), "{name} is in the queue now");
    assert!(spent <= 40, "{spent} requests to find one order among {}", platform.len());
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let page = app.get(&admin, "/").await.text().await.unwrap();
    assert!(page.contains("accounted for (1 order fetched again)"), "{page}");
}

#[tokio::test]
async fn an_order_that_cannot_be_fetched_stays_on_the_page_in_metrics_and_in_its_search() {
    let app = spawn_app_with_metrics().await;
    let store = synced(&app, SITE).await;
    assert!(check(&app, store).await.unresolved.is_empty());
    // The site lists it as awaiting shipment, but any read of it fails.
    let (id, name) = order_unheard(&app).await;
    faults(&app, json!({"unreadable_orders": [id]})).await;
    let checked = check(&app, store).await;
    assert_eq!(checked.unresolved.len(), 1, "{checked:?}");
    assert_eq!((checked.unresolved[0].order_id, checked.unresolved[0].name.as_str()), (id, name.as_str()));
    assert!(checked.unresolved[0].why.contains("could not read it"), "{checked:?}");
    assert_eq!(checked.platform_count, checked.storelink_count + 1);

    let admin = app.signed_in(ADMIN_EMAIL).await;
    let metrics = app.get(&admin, "/metrics").await.text().await.unwrap();
    assert!(metrics.contains(&format!("storelink_queue_drift{{store=\"https://{SITE}\"}} 1")), "{metrics}");
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let stores = app.get(&standard, "/").await.text().await.unwrap();
    assert!(stores.contains("1 order still differs") && stores.contains(&name), "{stores}");
    let queue = app.get(&standard, "/orders").await.text().await.unwrap();
    assert!(queue.contains("1 order still differs") && queue.contains(&name), "{queue}");
    // Where is it? The search says why it is not in the queue.
    let number = name.trim_start_matches('#');
    let searched = app.get(&standard, &format!("/orders?q={number}")).await.text().await.unwrap();
    assert!(
        searched.contains("Not in the queue: The store lists it as awaiting shipment, but storelink could not read it"),
        "{searched}"
    );

    // Readable again: the next check fetches it and the difference is gone.
    faults(&app, json!({"unreadable_orders": []})).await;
    let repaired = check(&app, store).await;
    assert!(repaired.unresolved.is_empty(), "{repaired:?}");
    let metrics = app.get(&admin, "/metrics").await.text().await.unwrap();
    assert!(metrics.contains(&format!("storelink_queue_drift{{store=\"https://{SITE}\"}} 0")), "{metrics}");
}

#[tokio::test]
async fn each_platforms_count_agrees_with_what_a_sync_stored_for_one_request() {
    let app = spawn_app_without_sync().await;
    let shopify = crate::desk::synced(&app, "acme").await;
    let bigcommerce = crate::bigcommerce::synced(&app, "bcmain1").await;
    for (store, host) in [(shopify, "acme.myshopify.com"), (bigcommerce, "stores/bcmain1")] {
        let before = requests_to(&app, host).await;
        let checked = check(&app, store).await;
        assert!(checked.unresolved.is_empty() && checked.fetched_again == 0, "{host}: {checked:?}");
        assert!(checked.platform_count > 0, "{host}: {checked:?}");
        assert_eq!(requests_to(&app, host).await - before, 1, "{host}: one count");
    }
}
