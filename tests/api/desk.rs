//! The desk's view: a store's page in tabs, search and filters over what awaits shipping, the
//! pictures, the Stores list live for every viewer, and what the browser downloads.

use std::{collections::BTreeSet, time::Duration};

use reqwest::{header, StatusCode};
use serde_json::Value;
use storelink::{ids::StoreId, ndjson::Lines};

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

#[tokio::test]
async fn each_tab_of_a_store_has_its_own_address_and_renders_on_the_server() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let tabs = [
        ("", "Orders awaiting shipping"),
        ("/products", "Products (5)"),
        ("/customers", "Customers (5)"),
        ("/locations", "Locations (2)"),
        ("/sync", "Synchronization"),
        ("/permissions", "Permission in the Shopify admin"),
    ];
    for (path, heading) in tabs {
        let response = app.get(&standard, &format!("/stores/{store}{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(heading), "{path} lacks {heading}");
        let current = format!(r#"href="/stores/{store}{path}" aria-current="page""#);
        assert!(html.contains(&current), "{path} is marked as the tab shown");
        assert!(html.contains("Shopify · acme.myshopify.com · Connected"), "{path} has the store's header: {html}");
    }
    // The event log says when each event happened, relatively and exactly.
    let html = app.get(&standard, &format!("/stores/{store}/sync")).await.text().await.unwrap();
    assert!(html.contains("just now, ") && html.contains(" UTC</time> — Finished"), "{html}");
}

/// What the orders tab's server function answers for these search and filter parameters.
async fn awaiting(app: &TestApp, client: &reqwest::Client, store: StoreId, params: &[(&str, &str)]) -> Value {
    let mut query = vec![("store_id", store.to_string())];
    query.extend(params.iter().map(|(k, v)| (*k, v.to_string())));
    let response = client.get(app.url("/api/stores/orders")).query(&query).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["awaiting"].clone()
}

/// Every row of every page, following the cursors.
pub(crate) async fn every_page(
    app: &TestApp,
    client: &reqwest::Client,
    store: StoreId,
    params: &[(&str, &str)],
) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut with = params.to_vec();
        if let Some(after) = &after {
            with.push(("after", after));
        }
        let page = awaiting(app, client, store, &with).await;
        rows.extend(page["rows"].as_array().unwrap().iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return rows,
        }
    }
}

#[tokio::test]
async fn search_filters_and_cursors_find_exactly_the_right_orders() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "big").await;
    let client = app.signed_in(STANDARD_EMAIL).await;

    // Pages follow each other by cursor: every fulfillment order once, as many as the total.
    let first = awaiting(&app, &client, store, &[]).await;
    let all = every_page(&app, &client, store, &[]).await;
    let ids: BTreeSet<i64> = all.iter().map(|r| r["fulfillment_order_id"].as_i64().unwrap()).collect();
    assert!(all.len() > 50, "more than a page: {}", all.len());
    assert_eq!((ids.len(), all.len() as i64), (all.len(), first["total"].as_i64().unwrap()));
    let truth: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM synced_fulfillment_orders fo WHERE store_id = $1 AND status IN ('OPEN', 'IN_PROGRESS')
         AND EXISTS (SELECT 1 FROM synced_fulfillment_order_lines l WHERE l.store_id = fo.store_id
                     AND l.fulfillment_order_id = fo.id AND l.remaining_quantity > 0)",
    )
    .bind(store)
    .fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!(all.len() as i64, truth, "what awaits shipping, every one");

    // An order's name finds that order; part of a customer's name finds theirs, whatever the case.
    let order = all.iter().find(|r| r["customer"].is_string()).unwrap();
    let name = order["name"].as_str().unwrap();
    let found = every_page(&app, &client, store, &[("q", name)]).await;
    assert!(!found.is_empty() && found.iter().all(|r| r["name"].as_str().unwrap().contains(name)), "{found:?}");
    let customer = order["customer"].as_str().unwrap();
    let part = customer.split_whitespace().last().unwrap().to_uppercase();
    let found = every_page(&app, &client, store, &[("q", &part)]).await;
    let expected = all
        .iter()
        .filter(|r| {
            r["customer"].as_str().is_some_and(|c| c.to_uppercase().contains(&part))
                || r["name"].as_str().unwrap().to_uppercase().contains(&part)
        })
        .count();
    assert!(found.len() >= expected && expected > 0, "{} found, {expected} by name", found.len());
    // A customer's email finds their orders.
    let email: String = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT c.email FROM synced_customers c JOIN synced_orders o ON o.customer_id = c.id AND o.store_id = c.store_id
         WHERE c.store_id = $1 AND o.name = $2 AND c.email IS NOT NULL",
    )
    .bind(store)
    .bind(name)
    .fetch_one(&mut *c).await)
    .unwrap();
    let by_email = every_page(&app, &client, store, &[("q", &email)]).await;
    assert!(by_email.iter().any(|r| r["name"] == name), "{email} finds {name}");
    // Characters that mean something to SQL's LIKE are only themselves.
    assert_eq!(awaiting(&app, &client, store, &[("q", "%")]).await["total"], 0);

    // A location: only its rows, and together the locations make up all.
    let locations: Vec<String> =
        first["locations"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect();
    let mut by_location = 0;
    for location in &locations {
        let rows = every_page(&app, &client, store, &[("location", location)]).await;
        assert!(rows.iter().all(|r| r["location"] == location.as_str()));
        by_location += rows.len();
    }
    assert_eq!(by_location, all.len());

    // A date range: the orders of those days, no other.
    let mut dates: Vec<&str> = all.iter().map(|r| r["date"].as_str().unwrap()).collect();
    dates.sort();
    let (from, to) = (dates[dates.len() / 4], dates[dates.len() / 2]);
    let in_range = every_page(&app, &client, store, &[("from", from), ("to", to)]).await;
    // Days are UTC days; the dates shown are the shop's own, so count the truth in the database.
    let expected: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM synced_fulfillment_orders fo JOIN synced_orders o ON o.store_id = fo.store_id AND o.id = fo.order_id
         WHERE fo.store_id = $1 AND fo.status IN ('OPEN', 'IN_PROGRESS')
         AND EXISTS (SELECT 1 FROM synced_fulfillment_order_lines l WHERE l.store_id = fo.store_id
                     AND l.fulfillment_order_id = fo.id AND l.remaining_quantity > 0)
         AND o.created_at >= $2 AND o.created_at < $3 + 86400",
    )
    .bind(store)
    .bind(utc_midnight(from))
    .bind(utc_midnight(to))
    .fetch_one(&mut *c).await)
    .unwrap();
    assert!(expected > 0 && (expected as usize) < all.len());
    assert_eq!(in_range.len() as i64, expected, "{from} to {to}");
    let outside = every_page(&app, &client, store, &[("from", "2001-01-01"), ("to", "2001-01-31")]).await;
    assert!(outside.is_empty());
}

#[tokio::test]
async fn the_pictures_are_svg_with_words_and_a_table_for_screen_readers() {
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "acme").await;
    let client = app.signed_in(STANDARD_EMAIL).await;
    let orders = app.get(&client, &format!("/stores/{store}")).await.text().await.unwrap();
    assert!(orders.contains(r#"role="img" aria-labelledby="orders-per-day-title""#), "{orders}");
    assert!(orders.contains(r#"<title id="orders-per-day-title">Orders created each day, the last 30 days</title>"#));
    assert!(orders.contains(r#"<div class="visually-hidden"><table><caption>Orders created each day"#));
    let sync = app.get(&client, &format!("/stores/{store}/sync")).await.text().await.unwrap();
    assert!(sync.contains(r#"aria-labelledby="sync-history-title""#) && sync.contains("full sync, "), "{sync}");
    let stores = app.get(&client, "/").await.text().await.unwrap();
    assert!(stores.contains(r#"class="spark""#) && stores.contains(" in the last 30 days"), "{stores}");
    assert!(!stores.contains("<script src=\"/chart"), "no chart script");
}

/// Reads the stream's lines for `seconds` or until `enough` is true of them.
pub(crate) async fn read_until(response: &mut reqwest::Response, enough: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut lines = Vec::new();
    let mut decoder = Lines::default();
    while !enough(&lines) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("a line within ten seconds")
            .unwrap()
            .expect("the stream stays open");
        lines.extend(decoder.push::<Value>(std::str::from_utf8(&chunk).unwrap()));
    }
    lines
}

#[tokio::test]
async fn every_open_stores_page_hears_of_stores_added_disconnected_and_removed() {
    let app = spawn_app_without_sync().await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let mut stream = standard.get(app.url("/api/sync/progress")).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let store: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM stores").fetch_one(&mut *c).await)
            .unwrap();
    let added = read_until(&mut stream, |lines| {
        lines.iter().any(|l| l["store_changed"] == store) && lines.iter().any(|l| l["store_id"] == store)
    })
    .await;
    assert!(added.iter().any(|l| l["store_id"] == store && l["state"] == "queued"), "{added:?}");

    let form = [("store_id", store.to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(app.post(&admin, "/api/stores/disconnect", &form).await.status().is_success());
    read_until(&mut stream, |lines| lines.iter().any(|l| l["store_changed"] == store)).await;
    assert!(app.post(&admin, "/api/stores/remove", &form).await.status().is_success());
    read_until(&mut stream, |lines| lines.iter().any(|l| l["store_changed"] == store)).await;
}

#[tokio::test]
async fn pages_and_files_are_compressed_and_kept_but_the_progress_stream_is_neither() {
    let app = spawn_app_without_sync().await;
    let client = app.signed_in(STANDARD_EMAIL).await;
    for (encoding, path) in [("br", "/"), ("gzip", "/"), ("br", "/pkg/storelink.css"), ("br", "/pkg/storelink.wasm")] {
        let response = client.get(app.url(path)).header(header::ACCEPT_ENCODING, encoding).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CONTENT_ENCODING], encoding, "{path}");
        let cache = response.headers()[header::CACHE_CONTROL].to_str().unwrap().to_owned();
        assert!(cache.contains("no-cache"), "{path}: {cache}");
        if path == "/" {
            assert!(cache.contains("private"), "a page is the user's own");
        }
    }
    // A form posted without JavaScript still comes back with its own error, however the browser
    // takes its answers.
    let failed = app
        .client()
        .post(app.url("/api/login"))
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .header(header::REFERER, app.url("/login"))
        .form(&[("email", "nobody@example.com"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::FOUND);
    assert_eq!(failed.headers()[header::LOCATION], "/login?error=credentials");
    // A file the browser kept is asked about again and not sent again.
    let css = client.get(app.url("/pkg/storelink.css")).send().await.unwrap();
    let modified = css.headers()[header::LAST_MODIFIED].clone();
    let again =
        client.get(app.url("/pkg/storelink.css")).header(header::IF_MODIFIED_SINCE, modified).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let mut stream =
        client.get(app.url("/api/sync/progress")).header(header::ACCEPT_ENCODING, "br, gzip").send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers().get(header::CONTENT_ENCODING).is_none(), "the stream is sent as it is made");
    assert_eq!(stream.headers()["x-accel-buffering"], "no");
    assert_eq!(stream.headers()[header::CACHE_CONTROL], "no-store");
    // A change reaches the open stream at once, not when a buffer fills.
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    read_until(&mut stream, |lines| lines.iter().any(|l| l["store_changed"].is_i64())).await;
}

#[tokio::test]
async fn the_site_has_its_icons() {
    let app = spawn_app().await;
    for (path, kind) in
        [("/favicon.ico", "image/"), ("/favicon.svg", "image/svg+xml"), ("/apple-touch-icon.png", "image/png")]
    {
        let response = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with(kind), "{path}");
    }
}

/// The Unix time at which the UTC day `date` (`YYYY-MM-DD`) begins.
fn utc_midnight(date: &str) -> i64 {
    let date = time::Date::parse(date, time::macros::format_description!("[year]-[month]-[day]")).unwrap();
    date.midnight().assume_utc().unix_timestamp()
}
