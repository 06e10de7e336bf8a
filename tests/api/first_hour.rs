//! What a newcomer's first hour found (issue 28), server side: a store that is not connected
//! takes no shipment, the API speaks its own shape, a Shared Secret that does not verify is
//! said to look wrong, and each action says what it did.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use storelink_emulator::webhooks::sign;

use crate::{
    helpers::*,
    shipments::{open_fos, post_shipment, synced, token},
};

#[tokio::test]
async fn a_disconnected_store_takes_no_shipment_and_its_orders_are_marked_and_left_out() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let other = synced(&app, "recent").await;
    let token = token(&app).await;
    let fo = open_fos(&app, store, 1).await[0].clone();
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let disconnected = app.post(&admin, "/api/stores/disconnect", &[("store_id", &store.to_string())]).await;
    assert_eq!(disconnected.status(), StatusCode::OK);
    assert_eq!(disconnected.headers()[header::LOCATION], format!("/?disconnected={store}"));

    let orders = |query: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            let answer: Value = reqwest::Client::new()
                .get(app.url(&format!("/api/v1/orders?limit=250{query}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer["orders"].as_array().unwrap().clone()
        }
    };
    // Awaiting shipment: the connected store's orders only, unless asked.
    let awaiting = orders("&awaiting_shipment=true").await;
    assert!(!awaiting.is_empty());
    assert!(awaiting.iter().all(|o| o["store"] == "recent.myshopify.com" && o["store_connected"] == true));
    let everything = orders("&awaiting_shipment=true&include_disconnected=true").await;
    let theirs: Vec<&Value> = everything.iter().filter(|o| o["store"] == "acme.myshopify.com").collect();
    assert!(!theirs.is_empty() && theirs.iter().all(|o| o["store_connected"] == false));

    // A shipment for it is refused at once, in words, before anything is checked or stored.
    let refused = post_shipment(
        &app,
        &token,
        None,
        json!({"store": "acme.myshopify.com", "order_id": fo.order_id,
        "carrier": "", "tracking_number": ""}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"],
        "Acme Store is disconnected, so no shipment can be sent to it. An administrator can reconnect it."
    );
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let form =
        app.get(&standard, &format!("/api/shipments/form?store_id={store}&fulfillment_order_id={}", fo.id)).await;
    assert_eq!(form.status(), StatusCode::CONFLICT);
    let shipments: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM shipments").fetch_one(&mut *c).await).unwrap();
    assert_eq!(shipments, 0);

    // Its page says so, with no Mark shipped; an administrator sees Reconnect.
    let page = app.get(&admin, &format!("/stores/{store}")).await.text().await.unwrap();
    assert!(page.contains("Acme Store is disconnected, so no shipment can be sent to it."), "{page}");
    assert!(!page.contains("aria-label=\"Mark #"), "no Mark shipped on a disconnected store");
    assert!(page.contains(">Reconnect</a>"));
    let page = app.get(&standard, &format!("/stores/{other}")).await.text().await.unwrap();
    assert!(page.contains("aria-label=\"Mark #"), "a connected store keeps Mark shipped");
    // The Stores page says what just happened.
    let stores = app.get(&admin, &format!("/?disconnected={store}")).await.text().await.unwrap();
    assert!(stores.contains("Disconnected Acme Store. storelink stopped synchronizing it"), "{stores}");
}

#[tokio::test]
async fn the_api_gives_the_ship_to_address_in_its_own_words() {
    let app = spawn_app_without_sync().await;
    synced(&app, "acme").await;
    let token = token(&app).await;
    let answer: Value = reqwest::Client::new()
        .get(app.url("/api/v1/orders?limit=250"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let addressed: Vec<&Value> =
        answer["orders"].as_array().unwrap().iter().filter(|o| o["ship_to"].is_object()).collect();
    assert!(!addressed.is_empty());
    let keys = [
        "address1",
        "address2",
        "city",
        "company",
        "country",
        "country_code",
        "name",
        "phone",
        "postal_code",
        "province",
        "province_code",
    ];
    for order in addressed {
        let mut found: Vec<&str> = order["ship_to"].as_object().unwrap().keys().map(String::as_str).collect();
        found.sort();
        assert_eq!(found, keys, "{order}");
        let raw = app.synced_order(order["id"].as_i64().unwrap()).await.unwrap();
        assert_eq!(order["ship_to"]["country_code"], raw["shippingAddress"]["countryCodeV2"]);
        assert_eq!(order["ship_to"]["postal_code"], raw["shippingAddress"]["zip"]);
    }
}

#[tokio::test]
async fn a_shared_secret_that_does_not_verify_is_said_to_look_wrong_until_a_delivery_verifies() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    // The sync's own deliveries (its exports' notices) verify and would clear the mark: let
    // them land before this test's refused ones.
    for _ in 0..300 {
        let sent = app.emulator_get("/shops/acme/deliveries").await;
        if sent["deliveries"].as_array().unwrap().iter().all(|d| !d["last_status"].is_null()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let header_says = || {
        let (app, admin) = (&app, &admin);
        async move {
            let heading: Value =
                app.get(admin, &format!("/api/stores/header?store_id={store}")).await.json().await.unwrap();
            heading["secret_looks_wrong"].as_bool().unwrap()
        }
    };
    assert!(!header_says().await, "nothing refused yet");
    let deliver = |secret: &'static str, event: &'static str| {
        let app = &app;
        async move {
            let body = json!({"id": 1, "updated_at": "2026-11-20T12:00:00-05:00"}).to_string().into_bytes();
            reqwest::Client::new()
                .post(app.url("/webhooks/shopify"))
                .header("x-shopify-topic", "orders/updated")
                .header("x-shopify-shop-domain", "acme.myshopify.com")
                .header("x-shopify-event-id", event)
                .header("x-shopify-hmac-sha256", sign(secret, &body))
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Signed with another secret, as when the one entered at registration is wrong.
    assert_eq!(deliver("shpss_not_the_one_storelink_has", "evt-1").await, StatusCode::UNAUTHORIZED);
    assert!(header_says().await);
    let page = app.get(&admin, &format!("/stores/{store}")).await.text().await.unwrap();
    assert!(page.contains("The Shared Secret looks wrong"), "{page}");
    assert!(page.contains("Reconnect with the right Shared Secret"));
    // A delivery that verifies shows the secret is right after all.
    assert_eq!(deliver(SHOP_SECRET, "evt-2").await, StatusCode::OK);
    assert!(!header_says().await);

    // Reconnecting a connected store replaces its credentials (it is not "already connected").
    assert_eq!(deliver("shpss_not_the_one_storelink_has", "evt-3").await, StatusCode::UNAUTHORIZED);
    assert!(header_says().await);
    let form = [
        ("store_url", "acme"),
        ("api_key", SHOP_KEY),
        ("api_password", SHOP_TOKEN),
        ("shared_secret", SHOP_SECRET),
        ("reconnect", "1"),
    ];
    let reconnected = app.register_with(&admin, "shopify", &form).await;
    assert_eq!(reconnected.status(), StatusCode::OK);
    assert_eq!(reconnected.headers()[header::LOCATION], format!("/?registered={store}"));
    assert!(!header_says().await, "new credentials start with a clean slate");
    let without = &form[..4];
    let again = app.register_with(&admin, "shopify", without).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "ADD STORE still refuses a connected store");
}
