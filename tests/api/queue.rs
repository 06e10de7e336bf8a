//! The desk's queue: every connected store's orders awaiting shipping in one list, whatever the
//! platform, exactly what each store's own list holds; its filters and search; who may read it.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::Value;
use storelink::ids::StoreId;

use crate::{desk::every_page, helpers::*};

/// What the queue's server function answers for these parameters.
async fn queue(app: &TestApp, client: &reqwest::Client, params: &[(&str, &str)]) -> Value {
    let response = client.get(app.url("/api/queue")).query(params).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Every row of the queue, following its cursors.
async fn whole_queue(app: &TestApp, client: &reqwest::Client, params: &[(&str, &str)]) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut with = params.to_vec();
        if let Some(after) = &after {
            with.push(("after", after));
        }
        let page = queue(app, client, &with).await;
        rows.extend(page["awaiting"]["rows"].as_array().unwrap().iter().cloned());
        match page["awaiting"]["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return rows,
        }
    }
}

/// A row as (store, fulfillment order).
fn key(row: &Value) -> (i64, i64) {
    (row["store_id"].as_i64().unwrap(), row["fulfillment_order_id"].as_i64().unwrap())
}

/// Two Shopify stores (one of 600 orders), a WooCommerce and a BigCommerce store, synced.
async fn three_platforms(app: &TestApp) -> [StoreId; 4] {
    [
        crate::desk::synced(app, "acme").await,
        crate::desk::synced(app, "big").await,
        crate::woocommerce::synced(app, "shop.example.com").await,
        crate::bigcommerce::synced(app, "bcmain1").await,
    ]
}

#[tokio::test]
async fn the_queue_holds_exactly_what_every_store_awaits_oldest_first() {
    let app = spawn_app_with_metrics().await;
    let stores = three_platforms(&app).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let rows = whole_queue(&app, &standard, &[]).await;
    let mut expected = BTreeSet::new();
    for store in stores {
        let own = every_page(&app, &standard, store, &[]).await;
        assert!(!own.is_empty(), "store {store} has orders awaiting shipping");
        expected.extend(own.iter().map(|r| (store.0, r["fulfillment_order_id"].as_i64().unwrap())));
    }
    let listed: Vec<(i64, i64)> = rows.iter().map(key).collect();
    assert_eq!(listed.iter().copied().collect::<BTreeSet<_>>(), expected, "every store's orders, none other");
    assert_eq!(listed.len(), expected.len(), "each once");
    let created: Vec<i64> = rows.iter().map(|r| r["created_at"].as_i64().unwrap_or(0)).collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]), "oldest first across the stores");
    // The first page says how many in all, and how long the oldest waited.
    let first = queue(&app, &standard, &[]).await;
    assert_eq!(first["awaiting"]["total"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(first["ages"]["oldest"].as_i64(), created.first().copied());
    assert_eq!(first["stores"].as_array().unwrap().len(), 4);
    // What a desk manager watches is in /metrics too, per store and in all.
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let metrics = app.get(&admin, "/metrics").await.text().await.unwrap();
    let older = format!("storelink_queue_older_than{{days=\"1\"}} {}", first["ages"]["older_than_1_day"]);
    assert!(metrics.contains(&older), "{older} in {metrics}");
    for domain in
        ["acme.myshopify.com", "big.myshopify.com", "https://shop.example.com", "store-bcmain1.mybigcommerce.com"]
    {
        assert!(
            metrics.contains(&format!("storelink_queue_oldest_seconds{{store=\"{domain}\"}} ")),
            "{domain}: {metrics}"
        );
    }
    let oldest = first["ages"]["oldest"].as_i64().unwrap();
    let line = metrics.lines().find(|l| l.starts_with("storelink_queue_oldest_all_seconds ")).unwrap();
    let seconds: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!((seconds - (storelink::db::now() - oldest) as f64).abs() <= 5.0, "{line}");
    // Back from the second page to the first.
    let second = queue(&app, &standard, &[("after", first["awaiting"]["next"].as_str().unwrap())]).await;
    let back = queue(&app, &standard, &[("before", second["awaiting"]["previous"].as_str().unwrap())]).await;
    assert_eq!(back["awaiting"]["rows"], first["awaiting"]["rows"]);
}

#[tokio::test]
async fn filters_and_search_narrow_the_queue_exactly() {
    let app = spawn_app_without_sync().await;
    let [acme, _, woo, bc] = three_platforms(&app).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let all = whole_queue(&app, &standard, &[]).await;
    let only = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|r| f(r)).map(key).collect::<Vec<_>>();
    let keys = |rows: Vec<Value>| rows.iter().map(key).collect::<Vec<_>>();

    let acme_text = acme.to_string();
    assert_eq!(keys(whole_queue(&app, &standard, &[("store", &acme_text)]).await), only(&|r| r["store_id"] == acme.0));
    assert_eq!(
        keys(whole_queue(&app, &standard, &[("platform", "bigcommerce")]).await),
        only(&|r| r["store_id"] == bc.0)
    );
    assert_eq!(
        keys(whole_queue(&app, &standard, &[("platform", "woocommerce")]).await),
        only(&|r| r["store_id"] == woo.0)
    );
    let location = all[0]["location"].as_str().unwrap().to_owned();
    assert_eq!(
        keys(whole_queue(&app, &standard, &[("location", &location)]).await),
        only(&|r| r["location"] == location.as_str())
    );
    let partly = only(&|r| r["state"] == "partly_shipped");
    assert_eq!(keys(whole_queue(&app, &standard, &[("state", "partly_shipped")]).await), partly);
    assert_eq!(keys(whole_queue(&app, &standard, &[("state", "awaiting")]).await), only(&|r| r["state"] == "awaiting"));
    let now = storelink::db::now();
    assert_eq!(
        keys(whole_queue(&app, &standard, &[("older_than", "2")]).await),
        only(&|r| r["created_at"].as_i64().unwrap_or(0) <= now - 2 * 86_400)
    );
    // A SKU of an item still to ship finds its orders, in any store, whatever the case.
    let sku = all
        .iter()
        .find_map(|r| r["items"].as_array().unwrap().iter().find_map(|i| i["sku"].as_str().filter(|s| !s.is_empty())))
        .unwrap()
        .to_owned();
    let found = whole_queue(&app, &standard, &[("q", &sku.to_lowercase())]).await;
    assert!(!found.is_empty());
    let with_sku = only(&|r| {
        r["items"].as_array().unwrap().iter().any(|i| i["sku"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(&sku)))
    });
    assert!(with_sku.iter().all(|k| found.iter().any(|r| key(r) == *k)), "every order with {sku} is found");
    // An order's number finds it; % and _ are themselves.
    let name = all[3]["name"].as_str().unwrap().to_owned();
    assert!(whole_queue(&app, &standard, &[("q", &name)]).await.iter().any(|r| key(r) == key(&all[3])));
    assert!(whole_queue(&app, &standard, &[("q", "%")]).await.is_empty());
    assert!(whole_queue(&app, &standard, &[("q", "_")]).await.is_empty());

    // A platform or state not on the list is refused beside its field, in words.
    for (name, value) in [("platform", "magento"), ("state", "lost"), ("older_than", "-3")] {
        let response = standard.get(app.url("/api/queue")).query(&[(name, value)]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}={value}");
        let body = error_body(response).await;
        assert_eq!(body["Invalid"]["field"], name, "{body}");
    }
}

#[tokio::test]
async fn every_signed_in_user_reads_the_queue_and_no_one_else() {
    let app = spawn_app_without_sync().await;
    crate::desk::synced(&app, "acme").await;
    let anonymous = app.client();
    let response = anonymous.get(app.url("/api/queue")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    for email in [ADMIN_EMAIL, STANDARD_EMAIL] {
        let client = app.signed_in(email).await;
        assert!(!whole_queue(&app, &client, &[]).await.is_empty(), "{email}");
        // The page itself renders on the server, with the queue's heading and a link to it in the bar.
        let html = app.get(&client, "/orders").await.text().await.unwrap();
        assert!(html.contains("Orders awaiting shipping in every store"), "{email}: {html}");
        assert!(html.contains(r#"<a href="/orders">Orders</a>"#), "{email}");
        assert!(html.contains("Mark #"), "{email}: rows with Mark shipped");
    }
    let page = app.get(&anonymous, "/orders").await.text().await.unwrap();
    assert!(!page.contains("Orders awaiting shipping in every store"), "nothing for a visitor");
}

#[tokio::test]
async fn mark_shipped_from_the_queue_comes_back_to_it_as_it_was_and_the_order_has_left() {
    let app = spawn_app_without_sync().await;
    let store = crate::desk::synced(&app, "acme").await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let rows = whole_queue(&app, &standard, &[("platform", "shopify")]).await;
    let row = &rows[0];
    let item = &row["items"][0];
    let form = [
        ("store_id", store.to_string()),
        ("order_id", row["order_id"].to_string()),
        ("fulfillment_order_id", row["fulfillment_order_id"].to_string()),
        ("carrier", "UPS".to_owned()),
        ("tracking_number", "1Z999AA10123456784".to_owned()),
        ("lines[0][id]", item["line_item_id"].to_string()),
        ("lines[0][quantity]", item["quantity"].to_string()),
        ("key", "queue-k1".to_owned()),
        // What the Mark shipped page was opened with from the queue.
        ("back", "queue=1&platform=shopify&q=&after=".to_owned()),
    ];
    let recorded = standard
        .post(app.url("/api/shipments/record"))
        .header("accept", "text/html")
        .header("referer", app.url("/orders"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), StatusCode::FOUND);
    let back = recorded.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with("/orders?platform=shopify&shipped="), "{back}");
    assert!(back.ends_with(&format!("&shipped_store={store}")), "{back}");
    let html = app.get(&standard, &back).await.text().await.unwrap();
    let name = row["name"].as_str().unwrap();
    assert!(html.contains(&format!("Marked {name} shipped: UPS 1Z999AA10123456784.")), "{html}");
    // Once the store has it (the sender writes it back a moment later), it is no longer awaited.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let after = whole_queue(&app, &standard, &[]).await;
        let left = after.iter().find(|r| key(r) == key(row)).cloned();
        if left.as_ref().is_none_or(|r| r["items"] != row["items"]) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "what was shipped is still awaited: {left:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Posts a queue action's form; its status.
async fn act(app: &TestApp, client: &reqwest::Client, action: &str, form: &[(&str, String)]) -> reqwest::Response {
    client.post(app.url(&format!("/api/queue/{action}"))).form(form).send().await.unwrap()
}

/// The order ids the label software's API lists as awaiting shipment.
async fn api_awaiting(app: &TestApp, token: &str, extra: &str) -> Vec<i64> {
    let listed: Value = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/orders?awaiting_shipment=true&limit=250{extra}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listed["orders"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect()
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action).fetch_one(&mut *c).await)
        .unwrap()
}

#[tokio::test]
async fn a_held_order_leaves_the_queue_with_its_reason_until_released_or_its_day_has_passed() {
    let app = spawn_app_without_sync().await;
    let store = crate::desk::synced(&app, "acme").await;
    let token = crate::shipments::token(&app).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let rows = whole_queue(&app, &standard, &[]).await;
    let order = rows[0]["order_id"].as_i64().unwrap();
    let ids = |reason: &str, until: &str| {
        vec![
            ("store_id", store.to_string()),
            ("order_id", order.to_string()),
            ("reason", reason.to_owned()),
            ("until", until.to_owned()),
        ]
    };
    let held = |rows: &[Value]| rows.iter().any(|r| r["order_id"] == order);

    // Refused, each beside its field, and nothing held.
    for (reason, until, field) in [("", "", "reason"), ("Address check", "2020-01-01", "until"), ("x", "soon", "until")]
    {
        let response = act(&app, &standard, "hold", &ids(reason, until)).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{reason:?} {until:?}");
        assert_eq!(error_body(response).await["Invalid"]["field"], field);
    }
    assert!(whole_queue(&app, &standard, &[("state", "on_hold")]).await.is_empty(), "nothing was held");
    let anonymous = act(&app, &app.client(), "hold", &ids("Address check", "")).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let tomorrow = storelink::db::day_text(storelink::db::now() + 86_400);
    assert_eq!(act(&app, &standard, "hold", &ids("Address check", &tomorrow)).await.status(), StatusCode::OK);
    let on_hold = whole_queue(&app, &standard, &[("state", "on_hold")]).await;
    assert!(held(&on_hold) && on_hold.iter().all(|r| r["order_id"] == order), "only the held order: {on_hold:?}");
    assert!(!held(&whole_queue(&app, &standard, &[("state", "awaiting")]).await), "not awaiting while held");
    let page = queue(&app, &standard, &[("state", "on_hold")]).await;
    let hold = &page["marks"][0]["hold"];
    assert_eq!((hold["reason"].as_str(), hold["by"].as_str()), (Some("Address check"), Some(STANDARD_EMAIL)));
    // The label software does not see it awaiting shipment, unless it asks for held orders too.
    assert!(!api_awaiting(&app, &token, "").await.contains(&order));
    assert!(api_awaiting(&app, &token, "&include_held=true").await.contains(&order));
    assert_eq!(audit_count(&app, "hold order").await, 1);

    // Released: back in the queue and the API.
    let release = [("store_id", store.to_string()), ("order_id", order.to_string())];
    assert_eq!(act(&app, &standard, "release", &release).await.status(), StatusCode::OK);
    assert!(held(&whole_queue(&app, &standard, &[]).await), "back in the queue");
    assert!(whole_queue(&app, &standard, &[("state", "on_hold")]).await.is_empty());
    assert!(api_awaiting(&app, &token, "").await.contains(&order));
    assert_eq!(audit_count(&app, "release hold").await, 1);

    // Held until a day that has passed: it returns by itself.
    assert_eq!(act(&app, &standard, "hold", &ids("Customer asked to wait", &tomorrow)).await.status(), StatusCode::OK);
    assert!(!api_awaiting(&app, &token, "").await.contains(&order));
    storelink::db_run!(&app.pool, c => sqlx::query("UPDATE order_holds SET until = $1").bind(storelink::db::now() - 1).execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    assert!(api_awaiting(&app, &token, "").await.contains(&order), "the hold ran out");
    assert!(whole_queue(&app, &standard, &[("state", "on_hold")]).await.is_empty());
}

#[tokio::test]
async fn a_claimed_order_is_no_one_elses_until_its_claimer_or_an_administrator_lets_it_go() {
    let app = spawn_app_without_sync().await;
    let store = crate::desk::synced(&app, "acme").await;
    let (standard, admin) = (app.signed_in(STANDARD_EMAIL).await, app.signed_in(ADMIN_EMAIL).await);
    let order = whole_queue(&app, &standard, &[]).await[0]["order_id"].as_i64().unwrap();
    let form = [("store_id", store.to_string()), ("order_id", order.to_string())];
    assert_eq!(act(&app, &standard, "claim", &form).await.status(), StatusCode::OK);
    assert_eq!(act(&app, &standard, "claim", &form).await.status(), StatusCode::OK, "claiming one's own again is fine");
    // Everyone sees who has it; no one else can take it.
    let page = queue(&app, &admin, &[]).await;
    let marks = page["marks"].as_array().unwrap();
    let mark = marks.iter().find(|m| m["order_id"] == order).unwrap();
    assert_eq!(mark["claim"]["email"], STANDARD_EMAIL);
    let taken = act(&app, &admin, "claim", &form).await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert!(error_body(taken).await.to_string().contains(&format!("claimed by {STANDARD_EMAIL}")));
    assert_eq!(audit_count(&app, "claim order").await, 1);

    // Its claimer lets it go; an administrator may let anyone's go, a standard user only theirs.
    assert_eq!(act(&app, &standard, "unclaim", &form).await.status(), StatusCode::OK);
    assert_eq!(act(&app, &admin, "claim", &form).await.status(), StatusCode::OK);
    assert_eq!(act(&app, &standard, "unclaim", &form).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(act(&app, &standard, "claim", &form).await.status(), StatusCode::CONFLICT);
    assert_eq!(act(&app, &admin, "unclaim", &form).await.status(), StatusCode::OK);
    assert_eq!(act(&app, &standard, "claim", &form).await.status(), StatusCode::OK);
    assert_eq!(act(&app, &admin, "unclaim", &form).await.status(), StatusCode::OK, "an administrator releases it");
    let detail: String = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'release claim' ORDER BY id DESC LIMIT 1").fetch_one(&mut *c).await)
        .unwrap();
    assert!(detail.contains(&format!("claimed by {STANDARD_EMAIL}")), "{detail}");
    assert_eq!(act(&app, &app.client(), "claim", &form).await.status(), StatusCode::UNAUTHORIZED);
    // An order storelink does not hold.
    let unknown = [("store_id", store.to_string()), ("order_id", "999999999".to_owned())];
    assert_eq!(act(&app, &standard, "claim", &unknown).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn saved_views_are_their_users_own_or_shared_by_an_administrator_each_with_its_count() {
    let app = spawn_app_without_sync().await;
    crate::desk::synced(&app, "acme").await;
    let (standard, admin) = (app.signed_in(STANDARD_EMAIL).await, app.signed_in(ADMIN_EMAIL).await);
    let save = |name: &str, filters: &str, shared: bool| {
        let mut form = vec![("name", name.to_owned()), ("filters", filters.to_owned())];
        if shared {
            form.push(("shared", "on".to_owned()));
        }
        form
    };
    let views = |page: &Value| page["views"].as_array().unwrap().clone();

    // Refused, each beside its field, and nothing saved.
    for (name, filters, field) in
        [("", "state=awaiting", "name"), ("Empty", "", "name"), ("Odd", "platform=magento", "platform")]
    {
        let response = act(&app, &standard, "views/save", &save(name, filters, false)).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?} {filters:?}");
        assert_eq!(error_body(response).await["Invalid"]["field"], field);
    }
    assert_eq!(
        act(&app, &standard, "views/save", &save("Everyone's", "state=awaiting", true)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(views(&queue(&app, &standard, &[]).await).is_empty());

    // A user's own view keeps only the queue's filters, and counts what it finds now.
    let saved =
        act(&app, &standard, "views/save", &save("Partly shipped", "?state=partly_shipped&junk=1&q=", false)).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let mine = views(&queue(&app, &standard, &[]).await);
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0]["name"].as_str(), mine[0]["filters"].as_str()),
        (Some("Partly shipped"), Some("state=partly_shipped"))
    );
    let partly: BTreeSet<i64> = whole_queue(&app, &standard, &[("state", "partly_shipped")])
        .await
        .iter()
        .map(|r| r["order_id"].as_i64().unwrap())
        .collect();
    assert_eq!(mine[0]["count"].as_u64().unwrap() as usize, partly.len());
    assert!(views(&queue(&app, &admin, &[]).await).is_empty(), "another user's view is theirs alone");

    // An administrator shares one with everyone; only an administrator deletes it.
    assert_eq!(
        act(&app, &admin, "views/save", &save("Waiting 2 days", "older_than=2", true)).await.status(),
        StatusCode::OK
    );
    let seen = views(&queue(&app, &standard, &[]).await);
    let shared = seen.iter().find(|v| v["name"] == "Waiting 2 days").unwrap();
    assert_eq!(shared["shared"], true);
    let id = [("id", shared["id"].to_string())];
    assert_eq!(act(&app, &standard, "views/delete", &id).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(audit_count(&app, "share view").await, 1);
    assert_eq!(act(&app, &admin, "views/delete", &id).await.status(), StatusCode::OK);
    assert_eq!(views(&queue(&app, &standard, &[]).await).len(), 1, "the shared view is gone, the user's own stays");
    let own = [("id", mine[0]["id"].to_string())];
    assert_eq!(
        act(&app, &admin, "views/delete", &own).await.status(),
        StatusCode::NOT_FOUND,
        "not the administrator's to see"
    );
    assert_eq!(act(&app, &standard, "views/delete", &own).await.status(), StatusCode::OK);
    assert!(views(&queue(&app, &standard, &[]).await).is_empty());
}

/// Every order the label software's API lists as awaiting shipment with these filters, as
/// (store's address, order id), following its cursors.
async fn api_queue(app: &TestApp, token: &str, params: &[(&str, &str)]) -> BTreeSet<(String, i64)> {
    api_orders(app, token, params)
        .await
        .iter()
        .map(|o| (o["store"].as_str().unwrap().to_owned(), o["id"].as_i64().unwrap()))
        .collect()
}

/// Every order the label software's API lists as awaiting shipment with these filters, as it
/// lists them, following its cursors.
async fn api_orders(app: &TestApp, token: &str, params: &[(&str, &str)]) -> Vec<Value> {
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query: Vec<(&str, &str)> = vec![("awaiting_shipment", "true"), ("limit", "250")];
        query.extend(params);
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor));
        }
        let response = reqwest::Client::new()
            .get(app.url("/api/v1/orders"))
            .query(&query)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{params:?}");
        let page: Value = response.json().await.unwrap();
        found.extend(page["orders"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return found,
        }
    }
}

#[tokio::test]
async fn the_label_software_reads_the_queue_with_the_same_filters() {
    let app = spawn_app_without_sync().await;
    three_platforms(&app).await;
    let token = crate::shipments::token(&app).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let page = queue(&app, &standard, &[]).await;
    let domains = domains(&app).await;
    let domain = |store: i64| domains[&store].clone();
    let all = whole_queue(&app, &standard, &[]).await;
    let location = page["awaiting"]["rows"][0]["location"].as_str().unwrap().to_owned();
    let sku = all
        .iter()
        .find_map(|r| r["items"].as_array().unwrap().iter().find_map(|i| i["sku"].as_str().filter(|s| !s.is_empty())))
        .unwrap()
        .to_owned();
    for params in [
        vec![],
        vec![("platform", "bigcommerce")],
        vec![("platform", "woocommerce"), ("older_than", "2")],
        vec![("state", "partly_shipped")],
        vec![("location", location.as_str())],
        vec![("q", sku.as_str())],
    ] {
        let in_queue: BTreeSet<(String, i64)> = whole_queue(&app, &standard, &params)
            .await
            .iter()
            .map(|r| (domain(r["store_id"].as_i64().unwrap()), r["order_id"].as_i64().unwrap()))
            .collect();
        // Ages and states depend on the generated data; the rest find orders here.
        let may_be_empty = params.iter().any(|(k, _)| *k == "older_than" || *k == "state");
        assert!(!in_queue.is_empty() || may_be_empty, "{params:?} finds orders");
        assert_eq!(api_queue(&app, &token, &params).await, in_queue, "{params:?}");
    }
    // Values not on their lists, and a queue filter without awaiting_shipment, are refused by name.
    for (query, field) in [
        ("awaiting_shipment=true&platform=magento", "platform"),
        ("awaiting_shipment=true&state=lost", "state"),
        ("awaiting_shipment=true&older_than=ever", "older_than"),
        ("awaiting_shipment=true&country=France", "country"),
        ("location=Main", "location"),
        ("country=FR", "country"),
    ] {
        let response = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/orders?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
}

/// Each store's address, by id: how the API names a store.
async fn domains(app: &TestApp) -> BTreeMap<i64, String> {
    let domains: Vec<(i64, String)> = storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT id, shop_domain FROM stores").fetch_all(&mut *c).await)
        .unwrap();
    domains.into_iter().collect()
}

#[tokio::test]
async fn the_ship_to_country_filter_finds_exactly_the_orders_going_there_from_every_platform() {
    let app = spawn_app_without_sync().await;
    crate::desk::synced(&app, "acme").await;
    crate::woocommerce::synced(&app, "shop.example.com").await;
    crate::bigcommerce::synced(&app, "bcmain1").await;
    let token = crate::shipments::token(&app).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let domains = domains(&app).await;
    let order = |row: &Value| (domains[&row["store_id"].as_i64().unwrap()].clone(), row["order_id"].as_i64().unwrap());

    // Where each order awaiting shipment goes, as its platform's address says (the API's
    // ship_to, read from the order's own JSON): the queue's rows say the same.
    let going: BTreeMap<(String, i64), Option<String>> = api_orders(&app, &token, &[])
        .await
        .iter()
        .map(|o| {
            let key = (o["store"].as_str().unwrap().to_owned(), o["id"].as_i64().unwrap());
            (key, o["ship_to"]["country_code"].as_str().map(str::to_owned))
        })
        .collect();
    let rows = whole_queue(&app, &standard, &[]).await;
    let in_queue: BTreeMap<(String, i64), Option<String>> =
        rows.iter().map(|r| (order(r), r["ship_to_country"].as_str().map(str::to_owned))).collect();
    assert_eq!(in_queue, going);
    // The choices are the countries they go to, each once.
    let countries: BTreeSet<String> = going.values().flatten().cloned().collect();
    let page = queue(&app, &standard, &[]).await;
    let offered: Vec<String> =
        page["countries"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(offered, countries.iter().cloned().collect::<Vec<_>>());

    // A country orders of more than one platform go to.
    let stores_to = |country: &str| -> BTreeSet<String> {
        going.iter().filter(|(_, to)| to.as_deref() == Some(country)).map(|((store, _), _)| store.clone()).collect()
    };
    let country = countries.iter().max_by_key(|c| stores_to(c).len()).unwrap().clone();
    assert!(stores_to(&country).len() >= 2, "{country} is only {:?}'s", stores_to(&country));
    let expected: BTreeSet<(String, i64)> =
        going.iter().filter(|(_, to)| to.as_deref() == Some(country.as_str())).map(|(key, _)| key.clone()).collect();
    for typed in [country.clone(), country.to_lowercase()] {
        let found: BTreeSet<(String, i64)> =
            whole_queue(&app, &standard, &[("country", &typed)]).await.iter().map(order).collect();
        assert_eq!(found, expected, "the queue, {typed}");
        assert_eq!(api_queue(&app, &token, &[("country", &typed)]).await, expected, "the API, {typed}");
    }
    // The page keeps it chosen; a view of it counts what it finds.
    let html = app.get(&standard, &format!("/orders?country={country}")).await.text().await.unwrap();
    assert!(html.contains("Ship-to country"), "{html}");
    assert!(html.contains(&format!(r#"<option value="{country}" selected"#)), "{html}");
    let view = [("name", "Abroad".to_owned()), ("filters", format!("country={country}&junk=1"))];
    assert_eq!(act(&app, &standard, "views/save", &view).await.status(), StatusCode::OK);
    let views = queue(&app, &standard, &[]).await["views"].clone();
    assert_eq!(views[0]["filters"].as_str(), Some(format!("country={country}").as_str()));
    assert_eq!(views[0]["count"].as_u64().unwrap() as usize, expected.len());

    // Anything but a two-letter code is refused by its name, alone, and nothing is saved.
    for bad in ["France", "F", "F1", "ÉÉ"] {
        let response = standard.get(app.url("/api/queue")).query(&[("country", bad)]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(error_body(response).await["Invalid"]["field"], "country", "{bad}");
        let response = reqwest::Client::new()
            .get(app.url("/api/v1/orders"))
            .query(&[("awaiting_shipment", "true"), ("country", bad)])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let fields: Vec<Value> = response.json::<Value>().await.unwrap()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].clone())
            .collect();
        assert_eq!(fields, ["country"], "{bad}");
        let odd = [("name", "Odd".to_owned()), ("filters", format!("country={bad}"))];
        let response = act(&app, &standard, "views/save", &odd).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(error_body(response).await["Invalid"]["field"], "country", "{bad}");
    }
    assert_eq!(queue(&app, &standard, &[]).await["views"].as_array().unwrap().len(), 1, "only the good view");
    // Without awaiting_shipment it filters nothing, and says so.
    let response = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/orders?country={country}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json::<Value>().await.unwrap()["errors"][0]["field"], "country");
}

/// What the queue says of the orders named `name`: (store, order, in the queue, why).
async fn where_is(app: &TestApp, client: &reqwest::Client, name: &str) -> Vec<(String, String, bool, String)> {
    let page = queue(app, client, &[("q", name)]).await;
    page["whereabouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["store_name"].as_str().unwrap().to_owned(),
                w["order_name"].as_str().unwrap().to_owned(),
                w["in_queue"].as_bool().unwrap(),
                w["why"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_order_searched_by_its_number_says_why_it_is_or_is_not_in_the_queue() {
    let app = spawn_app_without_sync().await;
    let store = crate::desk::synced(&app, "acme").await;
    let other = crate::desk::synced(&app, "fleet0").await;
    let token = crate::shipments::token(&app).await;
    let (standard, admin) = (app.signed_in(STANDARD_EMAIL).await, app.signed_in(ADMIN_EMAIL).await);
    let name_of = |id: i64, store: StoreId| {
        let app = &app;
        async move {
            let name: String = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT name FROM synced_orders WHERE store_id = $1 AND id = $2").bind(store).bind(id).fetch_one(&mut *c).await)
                .unwrap();
            name
        }
    };

    // In the queue; "1001" finds "#1001" too.
    let fos = crate::shipments::open_fos(&app, store, 1).await;
    let waiting = name_of(fos[0].order_id, store).await;
    let said = where_is(&app, &standard, waiting.trim_start_matches('#')).await;
    assert!(
        said.iter().any(|(s, o, in_queue, why)| s == "Acme Store"
            && *o == waiting
            && *in_queue
            && why == "In the queue: awaiting shipping."),
        "{said:?}"
    );

    // Held by someone, with why.
    let held = name_of(fos[1].order_id, store).await;
    let form = vec![
        ("store_id", store.to_string()),
        ("order_id", fos[1].order_id.to_string()),
        ("reason", "Address check".to_owned()),
    ];
    assert_eq!(act(&app, &standard, "hold", &form).await.status(), StatusCode::OK);
    let said = where_is(&app, &standard, &held).await;
    let acme_held = said.iter().find(|(s, ..)| s == "Acme Store").unwrap();
    assert_eq!(acme_held.3, format!("Not in the queue: on hold by {STANDARD_EMAIL}: Address check."));

    // Shipped through storelink: when, with its tracking.
    let shipped = name_of(fos[2].order_id, store).await;
    let response = crate::shipments::post_shipment(&app, &token, None, serde_json::json!({
        "store": "acme.myshopify.com", "order_id": fos[2].order_id, "carrier": "UPS", "tracking_number": "1Z999AA10123456784",
    }))
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let posted: Value = response.json().await.unwrap();
    crate::shipments::wait_for_state(&app, &token, posted["id"].as_str().unwrap(), "sent").await;
    let today = storelink::db::day_text(storelink::db::now());
    let said = where_is(&app, &standard, &shipped).await;
    let acme_shipped = said.iter().find(|(s, ..)| s == "Acme Store").unwrap();
    assert_eq!(
        acme_shipped.3,
        format!("Not in the queue: shipped on {today} (UPS 1Z999AA10123456784), nothing is left to ship.")
    );

    // Cancelled or fulfilled in the store.
    let (closed, status): (String, String) = storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT name, status FROM synced_orders WHERE store_id = $1 AND status <> 'open' ORDER BY id LIMIT 1").bind(store).fetch_one(&mut *c).await)
        .unwrap();
    let said = where_is(&app, &standard, &closed).await;
    let why = &said.iter().find(|(s, ..)| s == "Acme Store").unwrap().3;
    assert!(!said.iter().find(|(s, ..)| s == "Acme Store").unwrap().2);
    match status.as_str() {
        "cancelled" => assert!(why.starts_with("Not in the queue: cancelled in the store"), "{why}"),
        _ => assert!(why.starts_with("Not in the queue: nothing is left to ship"), "{why}"),
    }

    // Its store disconnected: the other store's order of the same number says so.
    assert!(app
        .post(&admin, "/api/stores/disconnect", &[("store_id", &other.to_string())])
        .await
        .status()
        .is_success());
    let said = where_is(&app, &standard, &waiting).await;
    let elsewhere = said.iter().find(|(s, ..)| s != "Acme Store").expect("the other store has an order of that number");
    assert!(
        !elsewhere.2 && elsewhere.3.starts_with("Not in the queue: ") && elsewhere.3.contains("disconnected"),
        "{elsewhere:?}"
    );

    // A number no store has, on the page itself.
    let html = app.get(&standard, "/orders?q=%2399999").await.text().await.unwrap();
    assert!(
        html.contains("Where is #99999?") && html.contains("No store storelink holds has an order #99999."),
        "{html}"
    );
}

/// Posts a batch of shipments to the label software's API.
async fn post_batch(app: &TestApp, token: &str, rows: &[Value]) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/shipments/batch"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "shipments": rows }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_of_500_records_each_good_row_once_and_refuses_each_bad_one_in_words() {
    let app = spawn_app_without_sync().await;
    for shop in ["big", "acme", "fleet0", "fleet1", "fleet2", "fleet3"] {
        crate::desk::synced(&app, shop).await;
    }
    let token = crate::shipments::token(&app).await;
    // 490 units still to ship, one a row, across four stores.
    let lines: Vec<(String, i64, i64, i64)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT s.shop_domain, fo.order_id, l.line_item_id, l.remaining_quantity FROM synced_fulfillment_orders fo
         JOIN synced_fulfillment_order_lines l ON l.store_id = fo.store_id AND l.fulfillment_order_id = fo.id
         JOIN stores s ON s.id = fo.store_id
         WHERE fo.status IN ('OPEN', 'IN_PROGRESS') AND l.remaining_quantity > 0 ORDER BY s.id, l.id")
        .fetch_all(&mut *c).await)
    .unwrap();
    let units: Vec<(String, i64, i64)> = lines
        .iter()
        .flat_map(|(shop, order, line, left)| (0..*left).map(move |_| (shop.clone(), *order, *line)))
        .take(490)
        .collect();
    assert_eq!(units.len(), 490, "the stores have enough to ship");
    let good = |n: usize, (shop, order, line): &(String, i64, i64)| {
        serde_json::json!({"key": format!("row-{n}"), "store": shop, "order_id": order, "carrier": "UPS",
                           "tracking_number": format!("1ZBATCH{n:05}"), "line_items": [{"id": line, "quantity": 1}]})
    };
    let mut rows: Vec<Value> = units.iter().enumerate().map(|(n, u)| good(n, u)).collect();
    let (_, order, line, left) = lines[0].clone();
    let bad = [
        (
            serde_json::json!({"key": "bad-order", "store": "big.myshopify.com", "order_id": 987654321, "carrier": "UPS", "tracking_number": "X1"}),
            422,
        ),
        (
            serde_json::json!({"key": "bad-store", "store": "nowhere.myshopify.com", "order_id": order, "carrier": "UPS", "tracking_number": "X2"}),
            422,
        ),
        (
            serde_json::json!({"key": "no-tracking", "store": "big.myshopify.com", "order_id": order, "carrier": "UPS", "tracking_number": ""}),
            422,
        ),
        (
            serde_json::json!({"key": "no-carrier", "store": "big.myshopify.com", "order_id": order, "carrier": "", "tracking_number": "X3"}),
            422,
        ),
        (
            serde_json::json!({"key": "too-many", "store": "big.myshopify.com", "order_id": order, "carrier": "UPS", "tracking_number": "X4",
                            "line_items": [{"id": line, "quantity": left + 50}]}),
            422,
        ),
        (
            serde_json::json!({"key": "row-0", "store": "big.myshopify.com", "order_id": order, "carrier": "UPS", "tracking_number": "X5"}),
            422,
        ),
        (
            serde_json::json!({"store": "big.myshopify.com", "order_id": order, "carrier": "UPS", "tracking_number": "X6"}),
            422,
        ),
        (
            serde_json::json!({"key": "odd-field", "store": "big.myshopify.com", "order_id": order, "carrier": "UPS", "tracking_number": "X7", "colour": "red"}),
            422,
        ),
        (
            serde_json::json!({"key": "not-a-number", "store": "big.myshopify.com", "order_id": "ten", "carrier": "UPS", "tracking_number": "X8"}),
            422,
        ),
        (
            serde_json::json!({"key": "bad-url", "store": "big.myshopify.com", "order_id": order, "carrier": "UPS", "tracking_number": "X9", "tracking_url": "javascript:alert(1)"}),
            422,
        ),
    ];
    for (n, (row, _)) in bad.iter().enumerate() {
        rows.insert(n * 49, row.clone());
    }
    assert_eq!(rows.len(), 500);
    let started = std::time::Instant::now();
    let response = post_batch(&app, &token, &rows).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    eprintln!("a batch of 500 answered in {:?}", started.elapsed());
    assert_eq!(
        (answer["recorded"].as_u64(), answer["replayed"].as_u64(), answer["refused"].as_u64()),
        (Some(490), Some(0), Some(10)),
        "{}",
        answer["results"]
    );
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 500, "one result a row, in order");
    for (n, (row, status)) in bad.iter().enumerate() {
        let result = &results[n * 49];
        assert_eq!(result["key"], row["key"], "row {}", n * 49);
        assert_eq!(result["status"], *status, "{result}");
        let words = format!("{} {}", result["error"], result["errors"]);
        assert!(words.len() > 20, "refused in words: {result}");
    }
    let shipments = || async {
        storelink::db_run!(&app.pool, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM shipments").fetch_one(&mut *c).await).unwrap()
    };
    assert_eq!(shipments().await, 490);

    // Sent again, whole: nothing is recorded twice, each good row says it was recorded before.
    let again: Value = post_batch(&app, &token, &rows).await.json().await.unwrap();
    assert_eq!(
        (again["recorded"].as_u64(), again["replayed"].as_u64(), again["refused"].as_u64()),
        (Some(0), Some(490), Some(10))
    );
    assert_eq!(shipments().await, 490);
    // Every good one reaches its store once.
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    loop {
        let mut made = 0;
        for shop in ["big", "acme", "fleet0", "fleet1", "fleet2", "fleet3"] {
            made += crate::shipments::fulfillments(&app, shop).await.len();
        }
        if made >= 490 {
            assert_eq!(made, 490, "each sent once");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only {made} of 490 reached their stores");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // A batch of nothing, or of more than 1,000, is refused whole.
    assert_eq!(post_batch(&app, &token, &[]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let many = vec![rows[1].clone(); 1001];
    assert_eq!(post_batch(&app, &token, &many).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn batch(app: &TestApp, client: &reqwest::Client, action: &str, form: &[(&str, String)]) -> reqwest::Response {
    client.post(app.url(&format!("/api/batch/{action}"))).form(form).send().await.unwrap()
}

#[tokio::test]
async fn a_batch_typed_at_the_queue_is_checked_line_by_line_then_each_line_recorded_once() {
    let app = spawn_app_without_sync().await;
    let acme = crate::desk::synced(&app, "acme").await;
    let big = crate::desk::synced(&app, "big").await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    // Up to five of acme's orders, chosen in the queue: the page starts with a line each.
    let rows = whole_queue(&app, &standard, &[("store", &acme.to_string())]).await;
    let mut chosen: Vec<(i64, String)> = Vec::new();
    for row in &rows {
        let order = (row["order_id"].as_i64().unwrap(), row["name"].as_str().unwrap().to_owned());
        if !chosen.contains(&order) && row["state"] == "awaiting" {
            chosen.push(order);
        }
    }
    chosen.truncate(5);
    assert!(chosen.len() >= 4, "acme has orders to ship: {chosen:?}");
    let selected: Vec<String> = chosen.iter().map(|(id, _)| format!("{acme}:{id}")).collect();
    let start: Value = standard
        .get(app.url("/api/batch/start"))
        .query(&[("orders", selected.join(","))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(start["orders"], chosen.len());
    let expected: String = chosen.iter().map(|(_, name)| format!("{name},,\n")).collect();
    assert_eq!(start["lines"], expected);

    // Typed in: three good lines, one for an order no store has, one without a tracking
    // number, and the first order again (nothing would be left for it).
    let good: Vec<String> =
        chosen[..3].iter().enumerate().map(|(n, (_, name))| format!("{name},UPS,1ZBATCH{n}")).collect();
    let text = format!(
        "order,carrier,tracking\n{}\n#99999999,UPS,1ZNONE\n{},UPS,\n{},DHL,JD9\n",
        good.join("\n"),
        chosen[3].1,
        chosen[0].1
    );
    let form = |text: &str| vec![("shipments", text.to_owned()), ("selected", selected.join(","))];
    let checked: Vec<Value> = batch(&app, &standard, "check", &form(&text)).await.json().await.unwrap();
    let problems: Vec<Option<&str>> = checked.iter().map(|r| r["problem"].as_str()).collect();
    assert_eq!(problems[..3], [None, None, None], "{checked:?}");
    assert_eq!(problems[3], Some("No connected store has an order #99999999."));
    assert!(problems[4].is_some_and(|p| p.contains("tracking number")), "{problems:?}");
    assert_eq!(problems[5], None, "checked alone, the first order still has items");
    assert_eq!(checked[0]["store_name"], "Acme Store");
    assert_eq!(app.shipment_count().await, 0, "checking records nothing");

    // Recorded: each ready line once; the repeat of the first order finds nothing left.
    let recorded = batch(&app, &standard, "record", &form(&text)).await.text().await.unwrap();
    let recorded: Vec<Value> = serde_json::from_str(&recorded).unwrap_or_else(|_| panic!("{recorded}"));
    let created: Vec<bool> = recorded.iter().map(|r| r["created"].as_bool().unwrap()).collect();
    assert_eq!(created, [true, true, true, false, false, false]);
    assert!(recorded[5]["problem"].as_str().is_some_and(|p| p.starts_with("Nothing remains to ship")), "{recorded:?}");
    assert_eq!(app.shipment_count().await, 3);
    // Sent again (a double click, a reload): nothing is recorded twice.
    let again: Vec<Value> = batch(&app, &standard, "record", &form(&text)).await.json().await.unwrap();
    assert!(again[..3].iter().all(|r| r["created"] == false && r["shipment"]["id"].is_number()), "{again:?}");
    assert_eq!(again[0]["shipment"]["id"], recorded[0]["shipment"]["id"]);
    assert_eq!(app.shipment_count().await, 3);
    // Their sending is followed from the page.
    let ids: Vec<String> = recorded[..3].iter().map(|r| r["shipment"]["id"].to_string()).collect();
    let states: Vec<Value> = standard
        .get(app.url("/api/batch/shipments"))
        .query(&[("ids", ids.join(","))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(states.len(), 3);

    // A name two stores share is refused until the order is chosen in the queue.
    let shared: Option<String> = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT a.name FROM synced_orders a JOIN synced_orders b ON b.name = a.name AND b.store_id = $2
         JOIN synced_fulfillment_orders fo ON fo.store_id = a.store_id AND fo.order_id = a.id AND fo.status = 'OPEN'
         WHERE a.store_id = $1 LIMIT 1",
    )
    .bind(acme)
    .bind(big)
    .fetch_optional(&mut *c).await)
    .unwrap();
    let shared = shared.expect("acme and big share an order number");
    let line = vec![("shipments", format!("{shared},UPS,1ZSHARED"))];
    let refused = batch(&app, &standard, "record", &line).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "no line can be recorded");
    let said = refused.text().await.unwrap();
    assert!(said.contains("is an order of 2 stores") && said.contains("select the one you mean"), "{said}");
    // The text does not parse: said, nothing recorded.
    let empty = batch(&app, &standard, "check", &[("shipments", " \n ".into())]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.shipment_count().await, 3);
}
