//! An administrator limits a standard user to some of the organization's stores: the store
//! list, the store pages, the queue, a batch, the progress stream and an API token of theirs
//! follow, and the rest of the organization is as unknown to them as another organization's.

use reqwest::StatusCode;
use serde_json::Value;
use storelink::ids::StoreId;

use crate::helpers::*;

async fn choose(app: &TestApp, admin: &reqwest::Client, user: i64, stores: &[StoreId]) -> reqwest::Response {
    let mut form = vec![("user_id".to_owned(), user.to_string()), ("access".to_owned(), "some".to_owned())];
    form.extend(stores.iter().map(|s| (format!("stores[{s}]"), "on".to_owned())));
    admin.post(app.url("/api/users/stores/save")).form(&form).send().await.unwrap()
}

async fn listed_stores(app: &TestApp, client: &reqwest::Client) -> Vec<i64> {
    let page: Value = app.get(client, "/api/stores/list").await.json().await.unwrap();
    page["stores"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect()
}

/// Every row of the queue, following its cursors.
async fn queue_rows(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut request = client.get(app.url("/api/queue"));
        if let Some(after) = &after {
            request = request.query(&[("after", after)]);
        }
        let page: Value = request.send().await.unwrap().json().await.unwrap();
        rows.extend(page["awaiting"]["rows"].as_array().unwrap().iter().cloned());
        match page["awaiting"]["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return rows,
        }
    }
}

/// The stores of every row of the queue.
async fn queue_stores(app: &TestApp, client: &reqwest::Client) -> std::collections::BTreeSet<i64> {
    queue_rows(app, client).await.iter().map(|r| r["store_id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_standard_user_limited_to_one_store_sees_only_it_everywhere() {
    let app = spawn_app_without_sync().await;
    let acme = crate::desk::synced(&app, "acme").await;
    let fleet = crate::desk::synced(&app, "fleet0").await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let user = app.user_id(STANDARD_EMAIL).await;
    assert_eq!(queue_stores(&app, &standard).await, [acme.0, fleet.0].into(), "all stores, as before");

    // The progress stream they have open ends when what they see changes (their page opens a
    // new one, which sees what they see now).
    let mut open_before = standard.get(app.url("/api/sync/progress")).send().await.unwrap();
    assert_eq!(open_before.status(), StatusCode::OK);
    crate::desk::read_until(&mut open_before, |lines| !lines.is_empty()).await;
    assert_eq!(choose(&app, &admin, user, &[acme]).await.status(), StatusCode::OK);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while open_before.chunk().await.unwrap().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream opened before ended");
    let choice: Value = app.get_json(&admin, "/api/users/stores", &[("user_id", user)]).await;
    assert_eq!(choice["chosen"], serde_json::json!([{"store": acme.0, "locations": []}]));
    assert_eq!(choice["user"]["all_stores"], false);
    assert_eq!(choice["stores"].as_array().unwrap().len(), 2, "the administrator chooses among every store");

    assert_eq!(listed_stores(&app, &standard).await, [acme.0]);
    assert_eq!(queue_stores(&app, &standard).await, [acme.0].into());
    let queue: Value = app.get(&standard, "/api/queue").await.json().await.unwrap();
    assert_eq!(queue["stores"].as_array().unwrap().len(), 1, "the queue's store filter offers only theirs");
    for path in ["/api/stores/get", "/api/stores/orders", "/api/shipments/list", "/api/sync/progress"] {
        let hidden = standard.get(app.url(path)).query(&[("store_id", fleet.0)]).send().await.unwrap();
        assert_eq!(hidden.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        standard.get(app.url("/api/stores/get")).query(&[("store_id", acme.0)]).send().await.unwrap().status(),
        StatusCode::OK
    );
    // Nothing recorded in the store they do not see, by the form or by a batch.
    let fo = &crate::shipments::open_fos(&app, fleet, 1).await[0];
    let form = [
        ("store_id", fleet.0.to_string()),
        ("order_id", fo.order_id.to_string()),
        ("fulfillment_order_id", fo.id.to_string()),
        ("carrier", "UPS".to_owned()),
        ("tracking_number", "1ZHIDDEN".to_owned()),
    ];
    let recorded = standard.post(app.url("/api/shipments/record")).form(&form).send().await.unwrap();
    assert_eq!(recorded.status(), StatusCode::NOT_FOUND);
    let started: Value =
        app.get_json(&standard, "/api/batch/start", &[("orders", format!("{}:{}", fleet.0, fo.order_id))]).await;
    assert!(started.to_string().find(&fo.order_id.to_string()).is_none(), "{started}");
    assert_eq!(app.shipment_count().await, 0);
    // The live stream (every store) tells of theirs and not of the other.
    let mut stream = standard.get(app.url("/api/sync/progress")).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let first = crate::desk::read_until(&mut stream, |lines| !lines.is_empty()).await;
    assert!(first.iter().all(|l| l["store_id"] == acme.0), "{first:?}");
    drop(stream);

    // The administrator still sees both; an administrator cannot be limited.
    assert_eq!(listed_stores(&app, &admin).await.len(), 2);
    let admin_id = app.user_id(ADMIN_EMAIL).await;
    assert_eq!(choose(&app, &admin, admin_id, &[acme]).await.status(), StatusCode::CONFLICT);

    // An API token follows its owner: an administrator made standard and limited reads only
    // their store.
    let token: String =
        app.post(&admin, "/api/tokens/create", &[("name", "Printer")]).await.json::<Value>().await.unwrap()["secret"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
    assert!(!token.is_empty(), "a token was made");
    let api_stores = |token: String| {
        let url = app.url("/api/v1/orders?awaiting_shipment=true&limit=250");
        async move {
            let page: Value =
                reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
            page["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["store"].as_str().unwrap().to_owned())
                .collect::<std::collections::BTreeSet<_>>()
        }
    };
    assert_eq!(api_stores(token.clone()).await.len(), 2);
    let second_admin = app
        .post(&admin, "/api/users/create", &[("email", "boss2@example.com"), ("role", "admin"), ("password", PASSWORD)])
        .await;
    assert_eq!(second_admin.status(), StatusCode::OK);
    let boss2 = app.signed_in("boss2@example.com").await;
    let demoted =
        app.post(&boss2, "/api/users/change-role", &[("user_id", &admin_id.to_string()), ("role", "standard")]).await;
    assert_eq!(demoted.status(), StatusCode::OK);
    assert_eq!(choose(&app, &boss2, admin_id, &[acme]).await.status(), StatusCode::OK);
    assert_eq!(api_stores(token.clone()).await, ["acme.myshopify.com".to_owned()].into());
    let hidden = reqwest::Client::new()
        .get(app.url("/api/v1/orders"))
        .query(&[("store", "fleet0.myshopify.com")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    // As for a store never connected.
    assert_eq!(hidden.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(hidden.text().await.unwrap().contains("No store fleet0.myshopify.com is connected to storelink."));

    // A store that is not the organization's cannot be chosen, and nothing changes.
    let unknown = choose(&app, &boss2, user, &[StoreId(9999)]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(listed_stores(&app, &standard).await, [acme.0]);

    // None: nothing at all; all again: both, and stores added later too.
    assert_eq!(choose(&app, &boss2, user, &[]).await.status(), StatusCode::OK);
    assert!(listed_stores(&app, &standard).await.is_empty());
    assert!(queue_stores(&app, &standard).await.is_empty());
    let all = boss2
        .post(app.url("/api/users/stores/save"))
        .form(&[("user_id", user.to_string()), ("access", "all".to_owned())])
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), StatusCode::OK);
    assert_eq!(listed_stores(&app, &standard).await.len(), 2);
    let noted: Vec<String> = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'limit stores' ORDER BY id").fetch_all(&mut *c).await)
    .unwrap();
    assert_eq!(
        noted,
        [
            format!("{STANDARD_EMAIL}: only Acme Store"),
            format!("{ADMIN_EMAIL}: only Acme Store"),
            format!("{STANDARD_EMAIL}: no stores"),
            format!("{STANDARD_EMAIL}: all stores"),
        ]
    );
}

#[tokio::test]
async fn a_standard_user_limited_to_one_location_works_only_its_parcels() {
    let app = spawn_app_without_sync().await;
    let acme = crate::desk::synced(&app, "acme").await;
    let fleet = crate::desk::synced(&app, "fleet0").await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let user = app.user_id(STANDARD_EMAIL).await;
    let open: Vec<(i64, i64, String)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT id, location_id, location_name FROM synced_fulfillment_orders
         WHERE store_id = $1 AND status IN ('OPEN', 'IN_PROGRESS') ORDER BY id").bind(acme).fetch_all(&mut *c).await)
    .unwrap();
    // The location with more open parcels, so some stay after one is shipped below.
    let at = |location: i64| open.iter().filter(|(_, l, _)| *l == location).count();
    let busiest = open.iter().max_by_key(|(_, location, _)| at(*location)).unwrap();
    let (kept, kept_name) = (busiest.1, busiest.2.clone());
    let elsewhere: Vec<&(i64, i64, String)> = open.iter().filter(|(_, location, _)| *location != kept).collect();
    assert!(!elsewhere.is_empty(), "acme has open parcels at two locations");
    let at_kept = open.len() - elsewhere.len();

    let form = [
        ("user_id".to_owned(), user.to_string()),
        ("access".to_owned(), "some".to_owned()),
        (format!("locations[store{acme}-location{kept}]"), "on".to_owned()),
        (format!("stores[{fleet}]"), "on".to_owned()),
    ];
    let saved = admin.post(app.url("/api/users/stores/save")).form(&form).send().await.unwrap();
    assert_eq!(saved.status(), StatusCode::OK, "{}", saved.text().await.unwrap());
    let choice: Value = app.get_json(&admin, "/api/users/stores", &[("user_id", user)]).await;
    assert_eq!(
        choice["chosen"],
        serde_json::json!([{"store": acme.0, "locations": [kept]}, {"store": fleet.0, "locations": []}])
    );

    // The queue: acme's parcels at that location only, and all of fleet0's.
    let rows = queue_rows(&app, &standard).await;
    let of_acme: Vec<&Value> = rows.iter().filter(|r| r["store_id"] == acme.0).collect();
    assert_eq!(of_acme.len(), at_kept);
    assert!(of_acme.iter().all(|r| r["location"] == kept_name.as_str()), "{of_acme:?}");
    assert!(rows.iter().any(|r| r["store_id"] == fleet.0), "fleet0 is seen at every location");
    let first: Value = app.get(&standard, "/api/queue").await.json().await.unwrap();
    assert_eq!(
        first["awaiting"]["locations"].as_array().unwrap().iter().filter(|l| **l == kept_name.as_str()).count(),
        1
    );

    // The store's own list, and its Mark shipped form, show that location's only.
    let tab: Value = app.get_json(&standard, "/api/stores/orders", &[("store_id", acme.0)]).await;
    let listed = tab["awaiting"]["rows"].as_array().unwrap();
    assert_eq!(listed.len(), at_kept.min(50));
    let hidden = elsewhere[0];
    let form = standard
        .get(app.url("/api/shipments/form"))
        .query(&[("store_id", acme.0), ("fulfillment_order_id", hidden.0)])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::NOT_FOUND);

    // Nothing is recorded from the other location; from theirs it is.
    let order_of = |fo: i64| {
        let pool = app.pool.clone();
        async move {
            storelink::db_run!(&pool, c => sqlx::query_scalar::<_, i64>("SELECT order_id FROM synced_fulfillment_orders WHERE store_id = $1 AND id = $2")
                .bind(acme).bind(fo).fetch_one(&mut *c).await)
            .unwrap()
        }
    };
    let record = |fo: i64, order: i64| {
        standard.post(app.url("/api/shipments/record")).form(&[
            ("store_id", acme.0.to_string()),
            ("order_id", order.to_string()),
            ("fulfillment_order_id", fo.to_string()),
            ("carrier", "UPS".to_owned()),
            ("tracking_number", format!("1Z{fo}")),
        ])
    };
    let refused = record(hidden.0, order_of(hidden.0).await).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.shipment_count().await, 0);
    let ours = open.iter().find(|(_, location, _)| *location == kept).unwrap();
    let recorded = record(ours.0, order_of(ours.0).await).send().await.unwrap();
    assert_eq!(recorded.status(), StatusCode::OK, "{}", recorded.text().await.unwrap());
    assert_eq!(app.shipment_count().await, 1);

    // A shipment the administrator records from the other location is not the user's to see.
    let theirs = admin
        .post(app.url("/api/shipments/record"))
        .form(&[
            ("store_id", acme.0.to_string()),
            ("order_id", order_of(hidden.0).await.to_string()),
            ("fulfillment_order_id", hidden.0.to_string()),
            ("carrier", "UPS".to_owned()),
            ("tracking_number", "1ZOTHERPLACE".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::OK, "{}", theirs.text().await.unwrap());
    let other_place: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT id FROM shipments WHERE tracking_number = '1ZOTHERPLACE'").fetch_one(&mut *c).await)
    .unwrap();
    let tab: Value = app.get_json(&standard, "/api/shipments/list", &[("store_id", acme.0)]).await;
    assert!(!tab.to_string().contains("1ZOTHERPLACE"), "{tab}");
    assert_eq!(tab["recent"].as_array().unwrap().len(), 1, "their own");
    let got = standard
        .get(app.url("/api/shipments/get"))
        .query(&[("store_id", acme.0), ("shipment_id", other_place)])
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::NOT_FOUND);

    // An order only at the other location: not found by its name, not held or claimed.
    let (hidden_order, hidden_name): (i64, String) = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT o.id, o.name FROM synced_orders o WHERE o.store_id = $1
           AND EXISTS (SELECT 1 FROM synced_fulfillment_orders fo WHERE fo.store_id = o.store_id AND fo.order_id = o.id)
           AND NOT EXISTS (SELECT 1 FROM synced_fulfillment_orders fo WHERE fo.store_id = o.store_id AND fo.order_id = o.id AND fo.location_id = $2)
         ORDER BY o.id LIMIT 1").bind(acme).bind(kept).fetch_one(&mut *c).await)
    .unwrap();
    let searched: Value = app.get_json(&standard, "/api/queue", &[("q", &hidden_name)]).await;
    let of_acme = |page: &Value| {
        page["whereabouts"].as_array().unwrap().iter().filter(|w| w["store_name"] == "Acme Store").count()
    };
    assert_eq!(of_acme(&searched), 0, "{hidden_name}: {searched}");
    let searched: Value = app.get_json(&admin, "/api/queue", &[("q", &hidden_name)]).await;
    assert_eq!(of_acme(&searched), 1, "the administrator finds it");
    let order = [("store_id", acme.0.to_string()), ("order_id", hidden_order.to_string())];
    let claimed = standard.post(app.url("/api/queue/claim")).form(&order).send().await.unwrap();
    assert_eq!(claimed.status(), StatusCode::NOT_FOUND);
    let mut hold = order.to_vec();
    hold.push(("reason", "Waiting".to_owned()));
    assert_eq!(
        standard.post(app.url("/api/queue/hold")).form(&hold).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let marks: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM order_claims) + (SELECT COUNT(*) FROM order_holds)").fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!(marks, 0);

    // An API token follows its owner's locations: every parcel it lists, awaiting or not, is at
    // the one location (an administrator who made it, made standard and limited).
    let token: Value = app.post(&admin, "/api/tokens/create", &[("name", "Printer")]).await.json().await.unwrap();
    let token = token["secret"].as_str().unwrap().to_owned();
    let boss2 = app
        .post(&admin, "/api/users/create", &[("email", "boss2@example.com"), ("role", "admin"), ("password", PASSWORD)])
        .await;
    assert_eq!(boss2.status(), StatusCode::OK);
    let boss2 = app.signed_in("boss2@example.com").await;
    let admin_id = app.user_id(ADMIN_EMAIL).await.to_string();
    let demoted =
        app.post(&boss2, "/api/users/change-role", &[("user_id", admin_id.as_str()), ("role", "standard")]).await;
    assert_eq!(demoted.status(), StatusCode::OK);
    let only = [
        ("user_id".to_owned(), admin_id.clone()),
        ("access".to_owned(), "some".to_owned()),
        (format!("locations[store{acme}-location{kept}]"), "on".to_owned()),
    ];
    assert_eq!(
        boss2.post(app.url("/api/users/stores/save")).form(&only).send().await.unwrap().status(),
        StatusCode::OK
    );
    for awaiting in ["true", "false"] {
        let listed: Value = reqwest::Client::new()
            .get(app.url("/api/v1/orders"))
            .query(&[("awaiting_shipment", awaiting), ("limit", "250")])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let orders = listed["orders"].as_array().unwrap();
        assert!(!orders.is_empty(), "awaiting={awaiting}: {listed}");
        assert!(orders.iter().all(|o| o["id"] != hidden_order), "awaiting={awaiting}");
        for order in orders {
            for fo in order["fulfillment_orders"].as_array().unwrap() {
                assert_eq!(fo["location"]["id"], kept, "awaiting={awaiting}: {order}");
            }
        }
    }

    // A location of another store, or of none, chooses nothing.
    let wrong = [
        ("user_id".to_owned(), user.to_string()),
        ("access".to_owned(), "some".to_owned()),
        (format!("locations[store{fleet}-location{kept}0]"), "on".to_owned()),
    ];
    assert_eq!(
        boss2.post(app.url("/api/users/stores/save")).form(&wrong).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let noted: Vec<String> = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'limit stores' ORDER BY id").fetch_all(&mut *c).await)
    .unwrap();
    assert_eq!(noted.len(), 2, "{noted:?}");
    assert!(noted.iter().all(|n| n.contains("Acme Store (1 location)")), "{noted:?}");
}
