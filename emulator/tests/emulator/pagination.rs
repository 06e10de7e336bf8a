use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::*;

const V: &str = "/admin/api/2026-07";

async fn walk_since_id(emu: &Emu, resource: &str, extra: &str) -> Vec<u64> {
    let mut all = Vec::new();
    let mut since = 0;
    loop {
        let reply = emu.get("acme", &format!("{V}/{resource}.json?since_id={since}&limit=50{extra}")).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let page = ids(&reply.body[resource]);
        if page.is_empty() {
            return all;
        }
        since = *page.last().unwrap();
        all.extend(page);
    }
}

async fn walk_page_info(emu: &Emu, first: &str, key: &str) -> (Vec<u64>, Vec<Vec<u64>>, Option<String>) {
    let mut reply = emu.get("acme", first).await;
    let mut pages = vec![ids(&reply.body[key])];
    let mut last_link = None;
    while let Some(next) = link(&reply, "next") {
        last_link = Some(next.clone());
        reply = emu.follow(&next).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        pages.push(ids(&reply.body[key]));
    }
    // From the last page, walk back with rel="previous".
    let mut back = Vec::new();
    while let Some(previous) = link(&reply, "previous") {
        reply = emu.follow(&previous).await;
        back.push(ids(&reply.body[key]));
    }
    back.reverse();
    let all: Vec<u64> = pages.iter().flatten().copied().collect();
    assert_eq!(back, pages[..pages.len() - 1], "walking back returns the same pages");
    (all, pages, last_link)
}

fn assert_each_once(ids: &[u64], expected: u64, what: &str) {
    assert_eq!(ids.len() as u64, expected, "{what}: every record");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "{what}: each once");
}

#[tokio::test]
async fn since_id_and_page_info_walks_return_every_record_once() {
    let emu = start(vec![shop("acme")]).await;
    for (resource, filter) in [("orders", "&status=any"), ("products", ""), ("customers", ""), ("locations", "")] {
        let total = count(&emu, "acme", &format!("{V}/{resource}/count.json?{}", filter.trim_start_matches('&'))).await;
        assert!(total > 0, "{resource}");
        let by_id = walk_since_id(&emu, resource, filter).await;
        assert_each_once(&by_id, total, resource);
        assert!(by_id.windows(2).all(|w| w[0] < w[1]), "{resource} ascending by id");
        let (by_cursor, _, _) = walk_page_info(&emu, &format!("{V}/{resource}.json?limit=50{filter}"), resource).await;
        assert_each_once(&by_cursor, total, resource);
        assert_eq!(by_id, by_cursor, "{resource}: both walks agree");
    }
}

#[tokio::test]
async fn inventory_levels_page_by_location() {
    let emu = start(vec![shop("acme")]).await;
    let locations = ids(&emu.get("acme", &format!("{V}/locations.json")).await.body["locations"]);
    let variants: usize = emu.get("acme", &format!("{V}/products.json?limit=250")).await.body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["variants"].as_array().unwrap().len())
        .sum();
    let query = format!(
        "{V}/inventory_levels.json?limit=20&location_ids={}",
        locations.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
    );
    let mut reply = emu.get("acme", &query).await;
    let mut seen = BTreeSet::new();
    loop {
        for level in reply.body["inventory_levels"].as_array().unwrap() {
            assert!(seen.insert((level["location_id"].as_u64().unwrap(), level["inventory_item_id"].as_u64().unwrap())));
        }
        match link(&reply, "next") {
            Some(next) => reply = emu.follow(&next).await,
            None => break,
        }
    }
    assert_eq!(seen.len(), variants * locations.len());
}

#[tokio::test]
async fn a_single_page_has_no_link_header_and_links_keep_limit_and_fields() {
    let emu = start(vec![shop("acme")]).await;
    let single = emu.get("acme", &format!("{V}/locations.json")).await;
    assert!(single.header("link").is_none());

    let first = emu.get("acme", &format!("{V}/orders.json?status=any&limit=3&fields=id,name")).await;
    let header = first.header("link").unwrap();
    assert!(header.starts_with("<https://acme.myshopify.com/admin/api/"), "{header}");
    assert!(header.ends_with(">; rel=\"next\""), "{header}");
    let next = link(&first, "next").unwrap();
    assert!(next.contains("limit=3") && next.contains("fields=id%2Cname") && !next.contains(','), "{next}");
    let second = emu.follow(&next).await;
    let order = &second.body["orders"][0];
    assert_eq!(order.as_object().unwrap().len(), 2, "only the requested fields: {order}");
    assert!(link(&second, "previous").is_some() && link(&second, "next").is_some());
    assert!(second.header("link").unwrap().contains(">; rel=\"previous\", <"));
}

#[tokio::test]
async fn page_info_refuses_other_filters_and_tampering_with_the_real_bodies() {
    let emu = start(vec![shop("acme")]).await;
    let first = emu.get("acme", &format!("{V}/orders.json?status=any&limit=5")).await;
    let next = link(&first, "next").unwrap();
    let with_status = emu.follow(&format!("{next}&status=any")).await;
    assert_eq!(with_status.status, 400);
    assert_eq!(
        with_status.body,
        json!({"errors": {"status": "status cannot be passed when page_info is present. See https://shopify.dev/api/usage/pagination-rest for more information."}})
    );
    let (_, path) = split_shop_url(&next);
    let page_info = path.split("page_info=").nth(1).unwrap();
    let mut tampered = page_info.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let reply = emu.get("acme", &format!("{V}/orders.json?limit=5&page_info={tampered}")).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body, json!({"errors": {"page_info": "Invalid value."}}));
    let garbage = emu.get("acme", &format!("{V}/orders.json?page_info=not-a-cursor")).await;
    assert_eq!(garbage.body, json!({"errors": {"page_info": "Invalid value."}}));
}

#[tokio::test]
async fn orders_default_to_open_and_filter_by_status_and_time() {
    let emu = start(vec![shop("acme")]).await;
    let all = count(&emu, "acme", &format!("{V}/orders/count.json?status=any")).await;
    let default = count(&emu, "acme", &format!("{V}/orders/count.json")).await;
    let open = count(&emu, "acme", &format!("{V}/orders/count.json?status=open")).await;
    let closed = count(&emu, "acme", &format!("{V}/orders/count.json?status=closed")).await;
    let cancelled = count(&emu, "acme", &format!("{V}/orders/count.json?status=cancelled")).await;
    assert_eq!(default, open);
    assert_eq!(open + closed + cancelled, all);
    assert!(open > 0 && closed > 0 && cancelled > 0);

    let orders = emu.get("acme", &format!("{V}/orders.json?status=any&limit=250&fields=id,updated_at")).await.body;
    let mut times: Vec<&str> =
        orders["orders"].as_array().unwrap().iter().map(|o| o["updated_at"].as_str().unwrap()).collect();
    times.sort();
    let pivot = times[times.len() / 2];
    let encoded: String = form_urlencoded_encode(pivot);
    let newer = count(&emu, "acme", &format!("{V}/orders/count.json?status=any&updated_at_min={encoded}")).await;
    let listed = emu.get("acme", &format!("{V}/orders.json?status=any&limit=250&updated_at_min={encoded}")).await.body;
    for order in listed["orders"].as_array().unwrap() {
        assert!(order["updated_at"].as_str().unwrap() >= pivot);
    }
    assert!(newer > 0 && newer < all);
}

fn form_urlencoded_encode(text: &str) -> String {
    text.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn without_read_all_orders_only_the_last_60_days_are_visible() {
    let mut limited = shop("recent");
    limited["scopes"] = json!(["read_orders"]);
    let emu = start(vec![shop("acme"), limited]).await;
    let everything = count(&emu, "acme", &format!("{V}/orders/count.json?status=any")).await;
    let visible = count(&emu, "recent", &format!("{V}/orders/count.json?status=any")).await;
    assert!(visible > 0 && visible < everything, "{visible} of {everything}");
    let walked = walk_since_id_on(&emu, "recent").await;
    assert_eq!(walked.len() as u64, visible);
    let oldest =
        emu.get("acme", &format!("{V}/orders.json?status=any&limit=1")).await.body["orders"][0]["id"].as_u64().unwrap();
    assert_eq!(emu.get("recent", &format!("{V}/orders/{oldest}.json")).await.status, 404);
    assert_eq!(emu.get("acme", &format!("{V}/orders/{oldest}.json")).await.status, 200);
}

async fn walk_since_id_on(emu: &Emu, shop: &str) -> Vec<u64> {
    let mut all = Vec::new();
    let mut since = 0;
    loop {
        let page =
            ids(&emu.get(shop, &format!("{V}/orders.json?status=any&since_id={since}&limit=250")).await.body["orders"]);
        match page.last() {
            Some(last) => since = *last,
            None => return all,
        }
        all.extend(page);
    }
}

#[tokio::test]
async fn limits_above_250_are_capped() {
    let emu = start(vec![shop("acme")]).await;
    let reply = emu.get("acme", &format!("{V}/orders.json?status=any&limit=1000")).await;
    assert_eq!(reply.body["orders"].as_array().unwrap().len(), 250);
    let default = emu.get("acme", &format!("{V}/orders.json?status=any")).await;
    assert_eq!(default.body["orders"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn unfulfilled_orders_have_open_fulfillment_orders() {
    let emu = start(vec![shop("acme")]).await;
    let orders = emu.get("acme", &format!("{V}/orders.json?status=open&limit=250")).await.body;
    let unfulfilled = orders["orders"].as_array().unwrap().iter().find(|o| o["fulfillment_status"].is_null()).unwrap();
    let reply = emu.get("acme", &format!("{V}/orders/{}/fulfillment_orders.json", unfulfilled["id"])).await;
    let fo = &reply.body["fulfillment_orders"][0];
    assert_eq!(fo["status"], "open");
    assert_eq!(fo["order_id"], unfulfilled["id"]);
    assert_eq!(fo["line_items"].as_array().unwrap().len(), unfulfilled["line_items"].as_array().unwrap().len());
}
