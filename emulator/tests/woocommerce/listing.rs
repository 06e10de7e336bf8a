//! Collections: pages and their headers, WordPress's parameter checks, ordering with ties, the
//! status, id and date filters (exclusive, site-local unless `dates_are_gmt`), and `_fields`.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const ORDERS: &str = "/wp-json/wc/v3/orders";

#[tokio::test]
async fn pages_carry_totals_and_prev_next_links_that_walk_every_order_once() {
    let woo = start(vec![site(json!({}))]).await;
    let first = woo.get(&format!("{ORDERS}?per_page=7")).await;
    assert_eq!(first.header("x-wp-total"), Some("60"));
    assert_eq!(first.header("x-wp-totalpages"), Some("9"));
    assert_eq!(link(&first, "prev"), None);
    assert_eq!(
        link(&first, "next").as_deref(),
        Some("https://shop.example.com/wp-json/wc/v3/orders?per_page=7&page=2")
    );

    let mut seen = ids(&first.body);
    let mut page = first;
    let mut pages = 1;
    while let Some(next) = link(&page, "next") {
        page = woo.get(&path_of(&next)).await;
        assert_eq!(page.status, 200);
        pages += 1;
        if pages < 9 {
            assert!(link(&page, "prev").is_some() && link(&page, "next").is_some(), "page {pages}");
        }
        seen.extend(ids(&page.body));
    }
    assert_eq!((pages, seen.len()), (9, 60));
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 60, "no order twice");
    assert_eq!(link(&page, "prev").as_deref(), Some("https://shop.example.com/wp-json/wc/v3/orders?per_page=7&page=8"));

    let beyond = woo.get(&format!("{ORDERS}?per_page=7&page=20")).await;
    assert_eq!((beyond.status.as_u16(), beyond.body.clone()), (200, json!([])));
    assert_eq!(beyond.header("x-wp-total"), Some("60"));
    assert_eq!(
        link(&beyond, "prev").as_deref(),
        Some("https://shop.example.com/wp-json/wc/v3/orders?per_page=7&page=9")
    );

    let default = woo.get(ORDERS).await;
    assert_eq!(default.body.as_array().unwrap().len(), 10, "ten a page by default");
    let whole = woo.get(&format!("{ORDERS}?per_page=100")).await;
    assert_eq!(whole.header("link"), Some("<https://shop.example.com/wp-json/>; rel=\"https://api.w.org/\""));
}

#[tokio::test]
async fn links_repeat_the_request_parameters_credentials_included() {
    let woo = start(vec![site(json!({}))]).await;
    let path = format!("{ORDERS}?consumer_key={KEY}&consumer_secret={SECRET}&per_page=20&status=processing,completed");
    let first = reply(woo.request(Method::GET, HOST, &path)).await;
    assert_eq!(first.status, 200);
    let next = link(&first, "next").unwrap();
    assert_eq!(
        next,
        format!(
            "https://shop.example.com/wp-json/wc/v3/orders?consumer_key={KEY}&consumer_secret={SECRET}&per_page=20&status=processing,completed&page=2"
        )
    );
    let second = reply(woo.request(Method::GET, HOST, &path_of(&next))).await;
    assert_eq!(second.status, 200);
}

#[tokio::test]
async fn per_page_outside_1_to_100_and_other_bad_parameters_are_refused_together() {
    let woo = start(vec![site(json!({}))]).await;
    for per_page in ["0", "101", "1000"] {
        let refused = woo.get(&format!("{ORDERS}?per_page={per_page}")).await;
        assert_eq!(refused.status, 400, "{per_page}");
        assert_eq!(refused.code(), "rest_invalid_param");
        assert_eq!(refused.body["message"], "Invalid parameter(s): per_page");
        assert_eq!(refused.body["data"]["status"], 400);
        assert_eq!(
            refused.body["data"]["params"]["per_page"],
            "per_page must be between 1 (inclusive) and 100 (inclusive)"
        );
    }
    let words = woo.get(&format!("{ORDERS}?per_page=ten")).await;
    assert_eq!(words.body["data"]["params"]["per_page"], "per_page is not of type integer.");
    assert_eq!(woo.get(&format!("{ORDERS}?per_page=100")).await.status, 200);
    assert_eq!(woo.get(&format!("{ORDERS}?per_page=1")).await.body.as_array().unwrap().len(), 1);

    let several = woo.get(&format!("{ORDERS}?per_page=0&order=up&page=0&after=yesterday")).await;
    assert_eq!(several.body["message"], "Invalid parameter(s): page, per_page, order, after");
    assert_eq!(several.body["data"]["params"]["order"], "order is not one of asc and desc.");
    assert_eq!(several.body["data"]["params"]["after"], "Invalid date.");
    // The parameters are checked before the caller is: no credentials, still a 400.
    let anonymous = reply(woo.request(Method::GET, HOST, &format!("{ORDERS}?per_page=101"))).await;
    assert_eq!(anonymous.status, 400);
}

fn key(order: &Value, field: &str) -> (String, u64) {
    (order[field].as_str().unwrap().to_owned(), order["id"].as_u64().unwrap())
}

#[tokio::test]
async fn ordering_breaks_ties_by_id_in_the_same_direction() {
    let woo = start(vec![site(json!({"orders": 200}))]).await;
    let all = |query: &'static str| {
        let woo = &woo;
        async move {
            let mut orders = Vec::new();
            for page in 1..=2 {
                orders.extend(
                    woo.get(&format!("{ORDERS}?per_page=100&page={page}&{query}"))
                        .await
                        .body
                        .as_array()
                        .unwrap()
                        .clone(),
                );
            }
            orders
        }
    };
    let ascending = all("orderby=date&order=asc").await;
    let keys: Vec<(String, u64)> = ascending.iter().map(|o| key(o, "date_created_gmt")).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "date then id, ascending");
    assert!(keys.windows(2).any(|w| w[0].0 == w[1].0), "some orders share a second");
    let descending = all("").await;
    let mut reversed = ascending.clone();
    reversed.reverse();
    assert_eq!(ids(&Value::Array(descending)), ids(&Value::Array(reversed)), "newest first by default");

    let modified = all("orderby=modified&order=asc").await;
    let keys: Vec<(String, u64)> = modified.iter().map(|o| key(o, "date_modified_gmt")).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "modified then id");
    let by_id = all("orderby=id&order=asc").await;
    let id_list = ids(&Value::Array(by_id));
    assert!(id_list.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        woo.get(&format!("{ORDERS}?orderby=total")).await.body["data"]["params"]["orderby"],
        "orderby is not one of date, id, include, title, slug, and modified."
    );
}

#[tokio::test]
async fn status_include_and_exclude_filter_and_trash_is_apart() {
    let woo = start(vec![site(json!({}))]).await;
    let all = woo.all_orders().await;
    let count = |statuses: &[&str]| all.iter().filter(|o| statuses.contains(&o["status"].as_str().unwrap())).count();

    let busy = woo.get(&format!("{ORDERS}?per_page=100&status=processing,completed")).await;
    assert_eq!(busy.body.as_array().unwrap().len(), count(&["processing", "completed"]));
    assert!(busy.body.as_array().unwrap().iter().all(|o| o["status"] == "processing" || o["status"] == "completed"));
    let bracketed = woo.get(&format!("{ORDERS}?per_page=100&status[]=on-hold&status[]=failed")).await;
    assert_eq!(bracketed.body.as_array().unwrap().len(), count(&["on-hold", "failed"]));
    let unknown = woo.get(&format!("{ORDERS}?status=shipped")).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.body["data"]["params"]["status[0]"],
        "status[0] is not one of any, trash, pending, processing, on-hold, completed, cancelled, refunded, failed, and checkout-draft."
    );

    let (a, b) = (all[3]["id"].as_u64().unwrap(), all[7]["id"].as_u64().unwrap());
    let included = woo.get(&format!("{ORDERS}?include={a},{b}&orderby=include&order=asc")).await;
    assert_eq!(ids(&included.body), vec![a, b]);
    let excluded = woo.get(&format!("{ORDERS}?per_page=100&exclude[]={a}")).await;
    assert_eq!(excluded.header("x-wp-total"), Some("59"));
    assert!(!ids(&excluded.body).contains(&a));

    let trashed = woo.send(Method::DELETE, &format!("{ORDERS}/{a}"), json!({})).await;
    assert_eq!(trashed.body["status"], "trash");
    assert_eq!(woo.get(&format!("{ORDERS}?per_page=100")).await.header("x-wp-total"), Some("59"));
    assert_eq!(ids(&woo.get(&format!("{ORDERS}?status=trash")).await.body), vec![a]);
}

#[tokio::test]
async fn fields_trim_every_item() {
    let woo = start(vec![site(json!({}))]).await;
    let only_ids = woo.get(&format!("{ORDERS}?_fields=id&per_page=5")).await;
    for item in only_ids.body.as_array().unwrap() {
        assert_eq!(item.as_object().unwrap().keys().collect::<Vec<_>>(), ["id"]);
    }
    assert_eq!(only_ids.header("x-wp-total"), Some("60"));
    let some = woo.get(&format!("{ORDERS}?_fields=id,date_modified_gmt,billing.email&per_page=1")).await;
    let item = &some.body[0];
    assert_eq!(item.as_object().unwrap().len(), 3);
    assert_eq!(item["billing"].as_object().unwrap().keys().collect::<Vec<_>>(), ["email"]);
    let id = item["id"].as_u64().unwrap();
    let single = woo.get(&format!("{ORDERS}/{id}?_fields=id,status,_links")).await;
    assert_eq!(single.body.as_object().unwrap().keys().collect::<Vec<_>>(), ["_links", "id", "status"]);
}

/// The ids of `orders` whose `field` lies strictly between the bounds.
fn between(orders: &[Value], field: &str, after: Option<&str>, before: Option<&str>) -> BTreeSet<u64> {
    orders
        .iter()
        .filter(|o| {
            let value = o[field].as_str().unwrap();
            after.is_none_or(|a| value > a) && before.is_none_or(|b| value < b)
        })
        .map(|o| o["id"].as_u64().unwrap())
        .collect()
}

async fn matching(woo: &Woo, query: &str) -> BTreeSet<u64> {
    let mut found = BTreeSet::new();
    for page in 1.. {
        let reply = woo.get(&format!("{ORDERS}?per_page=100&page={page}&{query}")).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text);
        if reply.body.as_array().unwrap().is_empty() {
            return found;
        }
        found.extend(ids(&reply.body));
    }
    unreachable!()
}

#[tokio::test]
async fn date_filters_are_exclusive_and_local_unless_dates_are_gmt() {
    let woo = start(vec![site(json!({"orders": 600}))]).await;
    let orders = woo.all_orders().await;
    let mut by_modified = orders.clone();
    by_modified.sort_by_key(|o| key(o, "date_modified_gmt"));
    let pivot = &by_modified[by_modified.len() / 2];
    let (local, gmt) = (pivot["date_modified"].as_str().unwrap(), pivot["date_modified_gmt"].as_str().unwrap());
    let newer = between(&orders, "date_modified_gmt", Some(gmt), None);
    assert!(!newer.contains(&pivot["id"].as_u64().unwrap()), "the bound itself is excluded");

    assert_eq!(matching(&woo, &format!("modified_after={local}")).await, newer, "site-local by default");
    assert_eq!(matching(&woo, &format!("modified_after={gmt}&dates_are_gmt=true")).await, newer);
    // A GMT time read as local reaches five and a half hours further back.
    let shifted = between(&orders, "date_modified", Some(gmt), None);
    assert!(shifted.len() > newer.len());
    assert_eq!(matching(&woo, &format!("modified_after={gmt}")).await, shifted);
    // An offset is honoured by converting to site time, which only the local column expects.
    assert_eq!(matching(&woo, &format!("modified_after={gmt}Z")).await, newer);
    assert_eq!(
        matching(&woo, &format!("modified_after={gmt}%2B00:00&dates_are_gmt=true")).await,
        between(&orders, "date_modified_gmt", Some(local), None)
    );

    let older = between(&orders, "date_modified_gmt", None, Some(gmt));
    assert_eq!(matching(&woo, &format!("modified_before={gmt}&dates_are_gmt=1")).await, older);
    assert_eq!(older.len() + newer.len() + by_modified.iter().filter(|o| o["date_modified_gmt"] == gmt).count(), 600);

    let mut by_created = orders.clone();
    by_created.sort_by_key(|o| key(o, "date_created_gmt"));
    let (from, to) =
        (by_created[100]["date_created"].as_str().unwrap(), by_created[200]["date_created"].as_str().unwrap());
    let window = between(&orders, "date_created", Some(from), Some(to));
    assert_eq!(matching(&woo, &format!("after={from}&before={to}")).await, window);
    assert!(window.len() < 100, "both bounds exclusive");
}

#[tokio::test]
async fn customers_have_no_date_filters_and_sort_by_name() {
    let woo = start(vec![site(json!({}))]).await;
    let filtered = woo.get("/wp-json/wc/v3/customers?modified_after=2100-01-01T00:00:00&per_page=100").await;
    assert_eq!(filtered.header("x-wp-total"), Some("12"), "unknown parameters are ignored");
    let names: Vec<String> = filtered
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["first_name"].as_str().unwrap(), c["last_name"].as_str().unwrap()))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn plain_permalinks_serve_only_the_rest_route_form() {
    let woo = start(vec![site(json!({"pretty_permalinks": false}))]).await;
    let pretty = woo.get(ORDERS).await;
    assert_eq!(pretty.status, 404);
    assert!(pretty.header("content-type").unwrap().starts_with("text/html"));

    let first = woo.get("/?rest_route=/wc/v3/orders&per_page=25").await;
    assert_eq!(first.status, 200, "{}", first.text);
    let next = link(&first, "next").unwrap();
    assert_eq!(next, "https://shop.example.com/?rest_route=/wc/v3/orders&per_page=25&page=2");
    let second = woo.get(&path_of(&next)).await;
    assert_eq!(second.status, 200);
    assert_eq!(
        second.body[0]["_links"]["self"][0]["href"],
        format!("https://shop.example.com/?rest_route=/wc/v3/orders/{}", second.body[0]["id"])
    );
    let encoded = woo.get("/?rest_route=%2Fwc%2Fv3%2Forders").await;
    assert_eq!(encoded.status, 200);
}
