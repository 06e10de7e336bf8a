//! The GraphQL Admin API: envelope and shapes against the fixtures, validation errors, paging
//! with cursors and search filters, nodes, access, fulfillment orders and webhook subscriptions.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::{helpers::*, shapes::shape_errors};

const ORDER_FIELDS: &str = "__typename id legacyResourceId name email phone createdAt updatedAt processedAt cancelledAt
  cancelReason closed closedAt displayFinancialStatus displayFulfillmentStatus tags note totalWeight
  totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
  customer { id legacyResourceId firstName lastName displayName email }
  shippingAddress { name firstName lastName company address1 address2 city province provinceCode zip country countryCodeV2 phone }";

fn page_orders() -> String {
    format!(
        "query Orders($first: Int!, $after: String, $query: String) {{
           orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
             pageInfo {{ hasNextPage endCursor }}
             nodes {{ {ORDER_FIELDS}
               lineItems(first: 5) {{ pageInfo {{ hasNextPage endCursor }}
                 nodes {{ __typename id name title sku quantity currentQuantity unfulfilledQuantity variant {{ id }} }} }}
               fulfillmentOrders(first: 2) {{ pageInfo {{ hasNextPage endCursor }}
                 nodes {{ __typename id status requestStatus createdAt updatedAt assignedLocation {{ name location {{ id }} }}
                   supportedActions {{ action }}
                   lineItems(first: 5) {{ pageInfo {{ hasNextPage endCursor }}
                     nodes {{ __typename id totalQuantity remainingQuantity sku weight {{ unit value }} lineItem {{ id }} }} }} }} }} }} }} }}"
    )
}

fn kinds(value: &Value) -> &'static str {
    crate::shapes::kind(value)
}

#[tokio::test]
async fn the_shop_and_the_apps_scopes_answer_in_shopifys_envelope() {
    let mut standard = shop("acme");
    standard.as_object_mut().unwrap().remove("graphql");
    let emu = start(vec![standard]).await;
    let reply = emu
        .gql(
            "acme",
            "query Registration { shop { id name email myshopifyDomain currencyCode ianaTimezone plan { displayName } }
               currentAppInstallation { accessScopes { handle } } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.header("x-shopify-api-version"), Some("2026-07"));
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    let shop = &data(&reply)["shop"];
    assert!(shop["id"].as_str().unwrap().starts_with("gid://shopify/Shop/"));
    assert_eq!(shop["myshopifyDomain"], "acme.myshopify.com");
    assert_eq!(shop["currencyCode"], "USD");
    assert_eq!(shop["ianaTimezone"], "America/New_York");
    assert_eq!(shop["plan"]["displayName"], "Basic");
    let scopes: Vec<&str> = data(&reply)["currentAppInstallation"]["accessScopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["handle"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ALL_SCOPES);
    // Keys in the order asked for, then the cost.
    let text = raw(emu
        .request(reqwest::Method::POST, "acme", "/admin/api/2026-07/graphql.json")
        .header("x-shopify-access-token", TOKEN)
        .json(&json!({"query": "{ shop { name id } }"})))
    .await;
    assert!(text.starts_with("{\"data\":{\"shop\":{\"name\":"), "{text}");
    assert!(text.contains("\"extensions\":{\"cost\":{\"requestedQueryCost\":1,\"actualQueryCost\":1,\"throttleStatus\":{\"maximumAvailable\":2000.0,"), "{text}");
    let fixture = graphql_fixture("bulk-node-completed.airbyte.json");
    let mut errors = Vec::new();
    shape_errors(&fixture["extensions"], &reply.body["extensions"], "extensions", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(reply.body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"], json!(2000.0));
    assert_eq!(reply.body["extensions"]["cost"]["throttleStatus"]["restoreRate"], json!(100.0));

    // Versions fall forward, and the raw `application/graphql` body works too.
    let old = reply_of(&emu, "2019-04", "application/graphql", "{ shop { name } }").await;
    assert_eq!(old.header("x-shopify-api-version"), Some("2025-10"));
    assert_eq!(old.body["data"]["shop"]["name"], "Acme Store");
}

async fn reply_of(emu: &Emu, version: &str, content_type: &str, body: &str) -> Reply {
    reply(
        emu.request(reqwest::Method::POST, "acme", &format!("/admin/api/{version}/graphql.json"))
            .header("x-shopify-access-token", TOKEN)
            .header("content-type", content_type)
            .body(body.to_owned()),
    )
    .await
}

#[tokio::test]
async fn records_have_shopifys_types_and_serialisation() {
    let emu = start(vec![shop("acme")]).await;
    let reply = emu.gql("acme", &page_orders(), json!({"first": 10})).await;
    let orders = data(&reply)["orders"]["nodes"].as_array().unwrap().clone();
    assert_eq!(orders.len(), 10);
    let rest = emu.get("acme", "/admin/api/2026-07/orders.json?status=any&limit=250").await.body["orders"].clone();
    for order in &orders {
        assert_eq!(order["__typename"], "Order");
        let id = order["legacyResourceId"].as_str().unwrap();
        assert_eq!(order["id"], format!("gid://shopify/Order/{id}"));
        assert!(order["createdAt"].as_str().unwrap().ends_with('Z'));
        assert!(order["tags"].is_array());
        assert!(order["totalWeight"].is_string(), "UnsignedInt64 is a string");
        let amount = order["totalPriceSet"]["shopMoney"]["amount"].as_str().unwrap();
        assert!(amount.contains('.'), "{amount}");
        assert!(["PAID", "PENDING", "VOIDED"].contains(&order["displayFinancialStatus"].as_str().unwrap()));
        if let Some(same) =
            rest.as_array().unwrap().iter().find(|o| o["id"].as_u64().map(|n| n.to_string()).as_deref() == Some(id))
        {
            assert_eq!(same["total_price"].as_str().unwrap(), amount);
            assert_eq!(same["name"], order["name"]);
        }
        for line in order["lineItems"]["nodes"].as_array().unwrap() {
            assert!(line["quantity"].is_i64() && line["unfulfilledQuantity"].is_i64());
        }
        for fo in order["fulfillmentOrders"]["nodes"].as_array().unwrap() {
            assert!(["OPEN", "CLOSED", "IN_PROGRESS"].contains(&fo["status"].as_str().unwrap()));
            assert_eq!(fo["requestStatus"], "UNSUBMITTED");
            for line in fo["lineItems"]["nodes"].as_array().unwrap() {
                assert_eq!(line["weight"]["unit"], "KILOGRAMS");
                assert!(line["remainingQuantity"].as_i64().unwrap() <= line["totalQuantity"].as_i64().unwrap());
            }
        }
    }
    assert!(orders.iter().any(|o| o["customer"].is_object()) && orders.iter().any(|o| o["email"].is_null()));

    // The docs' shapes: orders { nodes } and products { edges { node } } with legacyResourceId.
    let nodes = emu.gql("acme", "{ orders(first: 2) { nodes { id name createdAt } } }", json!({})).await;
    let mut errors = Vec::new();
    shape_errors(
        &graphql_fixture("pagination-orders-nodes.docs.json")["data"],
        &nodes.body["data"],
        "data",
        &mut errors,
    );
    let edges = emu.gql("acme", "{ products(first: 5) { edges { node { id legacyResourceId } } } }", json!({})).await;
    shape_errors(
        &graphql_fixture("gid-legacy-resource-id.docs.json")["data"],
        &edges.body["data"],
        "data",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");
    for edge in edges.body["data"]["products"]["edges"].as_array().unwrap() {
        let id = edge["node"]["legacyResourceId"].as_str().unwrap();
        assert_eq!(edge["node"]["id"], format!("gid://shopify/Product/{id}"));
    }

    let products = emu
        .gql(
            "acme",
            "{ products(first: 3) { nodes { id status tags createdAt variantsCount { count precision }
               variants(first: 10) { nodes { sku price inventoryQuantity
                 inventoryItem { id sku tracked requiresShipping measurement { weight { unit value } }
                   inventoryLevels(first: 5) { nodes { id location { id } item { id } quantities(names: [\"available\", \"on_hand\"]) { name quantity } updatedAt } } } } } } } }",
            json!({}),
        )
        .await;
    let product = &data(&products)["products"]["nodes"][0];
    assert!(["ACTIVE", "DRAFT", "ARCHIVED"].contains(&product["status"].as_str().unwrap()));
    assert_eq!(product["variantsCount"]["precision"], "EXACT");
    let variant = &product["variants"]["nodes"][0];
    assert!(variant["price"].as_str().unwrap().contains('.'));
    assert_eq!(kinds(&variant["inventoryItem"]["measurement"]["weight"]["value"]), "number");
    let level = &variant["inventoryItem"]["inventoryLevels"]["nodes"][0];
    assert!(level["id"].as_str().unwrap().contains("?inventory_item_id="), "{level}");
    assert_eq!(level["quantities"][0]["name"], "available");
    assert_eq!(level["quantities"][1]["name"], "on_hand");
}

#[tokio::test]
async fn unknown_fields_bad_arguments_and_missing_page_sizes_are_errors() {
    let emu = start(vec![shop("acme")]).await;
    let unknown = emu.gql("acme", "query Q {\n  orders(first: 1) { nodes { id colour } }\n}", json!({})).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(
        unknown.body,
        json!({"errors": [{"message": "Field 'colour' doesn't exist on type 'Order'", "locations": [{"line": 2, "column": 33}],
            "path": ["query Q", "orders", "nodes", "colour"],
            "extensions": {"code": "undefinedField", "typeName": "Order", "fieldName": "colour"}}]})
    );

    let missing =
        emu.gql("acme", "query getProducts {\n  products {\n    edges { node { id } }\n  }\n}", json!({})).await;
    assert_eq!(missing.body["data"], Value::Null);
    assert_eq!(missing.body["errors"][0]["message"], "you must provide one of first or last");
    assert_eq!(missing.body["errors"][0]["locations"], json!([{"line": 2, "column": 3}]));
    assert_eq!(missing.body["errors"][0]["path"], json!(["products"]));
    assert!(missing.body["extensions"]["cost"].is_object());

    let big = emu.gql("acme", "{ shop { name } orders(first: 251) { nodes { id } } }", json!({})).await;
    assert_eq!(big.body["data"], Value::Null, "a non-null connection that fails takes data with it");
    assert!(big.body["errors"][0]["message"].as_str().unwrap().contains("251"));

    let bad = emu.gql("acme", "{ orders(first: \"ten\") { nodes { id } } }", json!({})).await;
    assert_eq!(
        bad.body["errors"][0]["message"],
        "Argument 'first' on Field 'orders' has an invalid value (\"ten\"). Expected type 'Int'."
    );
    let typed = emu.gql("acme", "query($n: Int!) { orders(first: $n) { nodes { id } } }", json!({"n": "x"})).await;
    assert_eq!(typed.body["errors"][0]["message"], "Variable $n of type Int! was provided invalid value");
    let parse = emu.gql("acme", "{ orders(first: 1) { nodes { id } }", json!({})).await;
    assert_eq!(parse.body["errors"][0]["message"], "Unexpected end of document");
    let empty = reply(
        emu.request(reqwest::Method::POST, "acme", "/admin/api/2026-07/graphql.json")
            .header("x-shopify-access-token", TOKEN)
            .json(&json!({})),
    )
    .await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.body, json!({"errors": {"query": "Required parameter missing or invalid"}}));
    // A field an older version lacks.
    let old = emu
        .gql_with(
            "acme",
            TOKEN,
            "2025-10",
            json!({"query": "{ bulkOperation(id: \"gid://shopify/BulkOperation/1\") { id } }"}),
        )
        .await;
    assert_eq!(old.body["errors"][0]["message"], "Field 'bulkOperation' doesn't exist on type 'QueryRoot'");
}

#[tokio::test]
async fn operations_variables_aliases_and_fragments_work_together() {
    let emu = start(vec![shop("acme")]).await;
    let query = "query A { shop { name } }
        query B($n: Int = 2, $withName: Boolean!) {
          first: orders(first: $n, sortKey: ID) { nodes { ...Basics name @include(if: $withName) } }
          last: orders(last: 1, sortKey: ID) { edges { cursor node { ... on Order { id } } } }
        }
        fragment Basics on Order { id __typename }";
    let reply = emu
        .gql_with(
            "acme",
            TOKEN,
            "2026-07",
            json!({"query": query, "operationName": "B", "variables": {"withName": false}}),
        )
        .await;
    let answer = data(&reply);
    let first = answer["first"]["nodes"].as_array().unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].as_object().unwrap().len(), 2, "{}", first[0]);
    let text = raw(emu
        .request(reqwest::Method::POST, "acme", "/admin/api/2026-07/graphql.json")
        .header("x-shopify-access-token", TOKEN)
        .json(&json!({"query": query, "operationName": "B", "variables": {"withName": true}})))
    .await;
    assert!(text.starts_with("{\"data\":{\"first\":{\"nodes\":[{\"id\":\"gid://shopify/Order/"), "{text}");
    assert!(
        text.contains("\"__typename\":\"Order\",\"name\":\"#"),
        "fragments keep the order they are written in: {text}"
    );
    assert!(answer["last"]["edges"][0]["cursor"].is_string());
    let ambiguous = emu.gql("acme", query, json!({"withName": true})).await;
    assert_eq!(ambiguous.body["errors"][0]["message"], "An operation name is required");
}

#[tokio::test]
async fn cursors_walk_every_order_once_in_updated_order_within_a_search_window() {
    let emu = start(vec![shop("acme")]).await;
    let all = emu.gql("acme", "{ ordersCount(limit: null) { count precision } }", json!({})).await;
    let total = data(&all)["ordersCount"]["count"].as_u64().unwrap();
    assert_eq!(total, 600);
    let rest_total = count(&emu, "acme", "/admin/api/2026-07/orders/count.json?status=any").await;
    assert_eq!(total, rest_total, "GraphQL orders include every status");

    let query = "query($after: String, $q: String) { orders(first: 70, after: $after, sortKey: UPDATED_AT, query: $q) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id updatedAt } } }";
    let walk = |q: Option<String>| {
        let emu = &emu;
        async move {
            let (mut seen, mut after, mut pages) = (Vec::new(), Value::Null, 0);
            loop {
                let page = emu.gql("acme", query, json!({"after": after, "q": q})).await;
                let orders = &data(&page)["orders"];
                assert_eq!(orders["pageInfo"]["hasPreviousPage"], json!(pages > 0));
                for order in orders["nodes"].as_array().unwrap() {
                    seen.push((
                        order["updatedAt"].as_str().unwrap().to_owned(),
                        order["id"].as_str().unwrap().to_owned(),
                    ));
                }
                pages += 1;
                if orders["pageInfo"]["hasNextPage"] == false {
                    return seen;
                }
                after = orders["pageInfo"]["endCursor"].clone();
            }
        }
    };
    let seen = walk(None).await;
    assert_eq!(seen.len(), 600);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "sorted by updatedAt, then id");
    assert_eq!(seen.iter().map(|(_, id)| id).collect::<BTreeSet<_>>().len(), 600);

    let (since, until) = (seen[100].0.clone(), seen[399].0.clone());
    let window = walk(Some(format!("updated_at:>='{since}' AND updated_at:<='{until}'"))).await;
    let expected: Vec<_> = seen.iter().filter(|(at, _)| *at >= since && *at <= until).cloned().collect();
    assert_eq!(window, expected);
    let counted = emu
        .gql(
            "acme",
            "query($q: String) { ordersCount(query: $q) { count } }",
            json!({"q": format!("updated_at:>='{since}' AND updated_at:<='{until}'")}),
        )
        .await;
    assert_eq!(data(&counted)["ordersCount"]["count"].as_u64().unwrap(), expected.len() as u64);

    // An unknown search field is ignored; `reverse` and `last`/`before` page backwards.
    let ignored = emu.gql("acme", "{ ordersCount(query: \"colour:blue\", limit: null) { count } }", json!({})).await;
    assert_eq!(data(&ignored)["ordersCount"]["count"], 600);
    let newest =
        emu.gql("acme", "{ orders(first: 1, reverse: true, sortKey: UPDATED_AT) { nodes { id } } }", json!({})).await;
    assert_eq!(data(&newest)["orders"]["nodes"][0]["id"], seen[599].1);
    let tail = emu
        .gql(
            "acme",
            "{ orders(last: 3, sortKey: UPDATED_AT) { pageInfo { hasPreviousPage hasNextPage } nodes { id } } }",
            json!({}),
        )
        .await;
    let ids: Vec<&str> =
        data(&tail)["orders"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids, seen[597..].iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>());
    assert_eq!(data(&tail)["orders"]["pageInfo"], json!({"hasPreviousPage": true, "hasNextPage": false}));

    let statuses = emu.gql("acme", "{ open: ordersCount(query: \"status:open\") { count } cancelled: ordersCount(query: \"status:cancelled\") { count } }", json!({})).await;
    let open = count(&emu, "acme", "/admin/api/2026-07/orders/count.json?status=open").await;
    let cancelled = count(&emu, "acme", "/admin/api/2026-07/orders/count.json?status=cancelled").await;
    assert_eq!(data(&statuses)["open"]["count"].as_u64(), Some(open));
    assert_eq!(data(&statuses)["cancelled"]["count"].as_u64(), Some(cancelled));
    let active = emu
        .gql("acme", "{ productsCount(query: \"status:active\") { count } all: productsCount { count } }", json!({}))
        .await;
    assert!(data(&active)["productsCount"]["count"].as_u64() < data(&active)["all"]["count"].as_u64());
}

#[tokio::test]
async fn nodes_fetch_any_record_by_id_and_unknown_ids_give_null() {
    let emu = start(vec![shop("acme")]).await;
    let some = emu.gql("acme", "{ orders(first: 2) { nodes { id } } products(first: 1) { nodes { id } } customers(first: 1) { nodes { id } } }", json!({})).await;
    let d = data(&some);
    let ids = json!([
        d["orders"]["nodes"][0]["id"],
        d["products"]["nodes"][0]["id"],
        d["customers"]["nodes"][0]["id"],
        "gid://shopify/Order/1",
        d["orders"]["nodes"][1]["id"]
    ]);
    let reply = emu
        .gql(
            "acme",
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Order { name } ... on Product { title } ... on Customer { displayName } } }",
            json!({"ids": ids}),
        )
        .await;
    let nodes = data(&reply)["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 5, "{}", reply.body);
    assert_eq!(nodes[0]["__typename"], "Order");
    assert!(nodes[0]["name"].as_str().unwrap().starts_with('#'));
    assert!(nodes[1]["title"].is_string() && nodes[1].get("name").is_none());
    assert!(nodes[2]["displayName"].is_string());
    assert_eq!(nodes[3], Value::Null);
    let one = emu.gql("acme", "query($id: ID!) { node(id: $id) { id } }", json!({"id": ids[0]})).await;
    assert_eq!(data(&one)["node"]["id"], ids[0]);
    let missing = emu.gql("acme", "{ product(id: \"gid://shopify/Product/1\") { id } }", json!({})).await;
    assert_eq!(missing.body["data"], json!({"product": null}));
    let too_many: Vec<String> = (0..251).map(|n| format!("gid://shopify/Order/{n}")).collect();
    let refused = emu.gql("acme", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({"ids": too_many})).await;
    assert!(refused.body["errors"][0]["message"].as_str().unwrap().contains("251"), "{}", refused.body);
}

#[tokio::test]
async fn a_field_without_its_scope_is_null_with_an_access_denied_error() {
    let mut desk = shop("desk");
    desk["scopes"] = json!(["read_orders", "read_all_orders", "read_products"]);
    let emu = start(vec![desk]).await;
    let reply = emu
        .gql("desk", "{ orders(first: 5) { nodes { id email customer { id } shippingAddress { city } } } }", json!({}))
        .await;
    assert_eq!(reply.status, 200);
    let orders = reply.body["data"]["orders"]["nodes"].as_array().unwrap();
    assert_eq!(orders.len(), 5);
    assert!(orders.iter().all(|o| o["customer"].is_null() && o["id"].is_string()));
    let denied: Vec<&Value> = reply.body["errors"].as_array().unwrap().iter().collect();
    assert!(!denied.is_empty());
    let first = denied[0];
    let fixture = &graphql_fixture("access-denied-errors.json")[0];
    let mut errors = Vec::new();
    shape_errors(fixture, first, "error", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(first["message"], "Access denied for customer field. Required access: `read_customers` access scope.");
    assert_eq!(first["extensions"]["requiredAccess"], "`read_customers` access scope.");
    assert_eq!(first["extensions"]["documentation"], "https://shopify.dev/api/usage/access-scopes");
    assert_eq!(first["path"][0], "orders");
    assert_eq!(first["path"][2], 0);
    assert_eq!(first["path"][3], "customer");

    let root = emu.gql("desk", "{ shop { name } customers(first: 1) { nodes { id } } }", json!({})).await;
    assert_eq!(root.body["data"], Value::Null, "customers is non-null, so its denial takes data with it");
    assert_eq!(root.body["errors"][0]["path"], json!(["customers"]));
    let locations = emu.gql("desk", "{ shop { name } location { id } }", json!({})).await;
    assert_eq!(locations.body["data"], json!({"shop": {"name": "Desk Store"}, "location": null}));

    // A scope taken away by the fault is gone from the token too.
    emu.control("/shops/desk/faults", json!({"removed_scopes": ["read_orders"]})).await;
    let removed = emu
        .gql(
            "desk",
            "{ order(id: \"gid://shopify/Order/1\") { id } currentAppInstallation { accessScopes { handle } } }",
            json!({}),
        )
        .await;
    assert_eq!(removed.body["errors"][0]["extensions"]["code"], "ACCESS_DENIED");
    assert_eq!(
        removed.body["data"]["currentAppInstallation"]["accessScopes"],
        json!([{"handle": "read_all_orders"}, {"handle": "read_products"}])
    );
}

#[tokio::test]
async fn without_read_all_orders_only_the_last_60_days_are_there() {
    let mut recent = shop("recent");
    recent["scopes"] = json!(["read_orders"]);
    let emu = start(vec![recent, shop("acme")]).await;
    let visible = emu.gql("recent", "{ ordersCount { count } }", json!({})).await;
    let rest = count(&emu, "recent", "/admin/api/2026-07/orders/count.json?status=any").await;
    assert_eq!(data(&visible)["ordersCount"]["count"].as_u64(), Some(rest));
    assert!(rest < 600);
    let oldest = emu.gql("acme", "{ orders(first: 1, sortKey: CREATED_AT) { nodes { id } } }", json!({})).await;
    let old_id = data(&oldest)["orders"]["nodes"][0]["id"].clone();
    let hidden = emu
        .gql("recent", "query($id: ID!) { order(id: $id) { id } node(id: $id) { id } }", json!({"id": old_id}))
        .await;
    assert_eq!(hidden.body["data"], json!({"order": null, "node": null}));
}

#[tokio::test]
async fn fulfillment_orders_group_lines_by_location_and_match_rest() {
    let emu = start(vec![shop("acme")]).await;
    let query = "query($after: String) { fulfillmentOrders(first: 50, after: $after, includeClosed: true) {
        pageInfo { hasNextPage endCursor }
        nodes { id status orderId orderName assignedLocation { name location { id } } supportedActions { action }
          destination { city } lineItems(first: 3) { nodes { id totalQuantity remainingQuantity lineItem { id } } } } } }";
    let (mut all, mut after) = (Vec::new(), Value::Null);
    loop {
        let page = emu.gql("acme", query, json!({"after": after})).await;
        let fos = &data(&page)["fulfillmentOrders"];
        all.extend(fos["nodes"].as_array().unwrap().iter().cloned());
        if fos["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = fos["pageInfo"]["endCursor"].clone();
    }
    let mut by_order: std::collections::BTreeMap<String, Vec<&Value>> = Default::default();
    for fo in &all {
        by_order.entry(fo["orderId"].as_str().unwrap().to_owned()).or_default().push(fo);
    }
    assert_eq!(by_order.len(), 600, "every order has fulfillment orders");
    let split: Vec<_> = by_order.values().filter(|fos| fos.len() > 1).collect();
    assert!(!split.is_empty() && split.len() < 150, "{} orders split", split.len());
    for fos in &split {
        let locations: BTreeSet<String> =
            fos.iter().map(|fo| fo["assignedLocation"]["location"]["id"].to_string()).collect();
        assert_eq!(locations.len(), fos.len(), "a split order ships from different locations");
    }
    // The app has no write scope: an open one offers MOVE and HOLD, not CREATE_FULFILLMENT.
    let open = all.iter().find(|fo| fo["status"] == "OPEN").unwrap();
    assert_eq!(open["supportedActions"], json!([{"action": "MOVE"}, {"action": "HOLD"}]));
    assert!(all.iter().filter(|fo| fo["status"] == "CLOSED").all(|fo| fo["supportedActions"] == json!([])));
    let open_only = emu.gql("acme", "{ fulfillmentOrders(first: 250) { nodes { status } } }", json!({})).await;
    assert!(data(&open_only)["fulfillmentOrders"]["nodes"].as_array().unwrap().iter().all(|fo| fo["status"] == "OPEN"));

    // REST shows the same fulfillment orders.
    let (order_gid, fos) =
        split[0].iter().map(|fo| (fo["orderId"].as_str().unwrap(), *fo)).next().map(|(o, _)| (o, split[0])).unwrap();
    let order_id = order_gid.rsplit('/').next().unwrap();
    let rest = emu.get("acme", &format!("/admin/api/2026-07/orders/{order_id}/fulfillment_orders.json")).await;
    let rest_fos = rest.body["fulfillment_orders"].as_array().unwrap();
    assert_eq!(rest_fos.len(), fos.len());
    for (rest_fo, fo) in rest_fos.iter().zip(fos.iter()) {
        assert_eq!(format!("gid://shopify/FulfillmentOrder/{}", rest_fo["id"]), fo["id"].as_str().unwrap());
        assert_eq!(rest_fo["status"], fo["status"].as_str().unwrap().to_lowercase());
        assert_eq!(
            format!("gid://shopify/Location/{}", rest_fo["assigned_location_id"]),
            fo["assignedLocation"]["location"]["id"].as_str().unwrap()
        );
        assert_eq!(rest_fo["line_items"].as_array().unwrap().len(), fo["lineItems"]["nodes"].as_array().unwrap().len());
    }

    // Fulfilling the order through the control endpoint closes its fulfillment orders.
    let open_order = all.iter().find(|fo| fo["status"] == "OPEN").unwrap()["orderId"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    emu.control(&format!("/shops/acme/orders/{open_order}/fulfill"), json!({})).await;
    let after_fulfil = emu
        .gql("acme", "query($id: ID!) { order(id: $id) { displayFulfillmentStatus lineItems(first: 5) { nodes { unfulfilledQuantity } } fulfillmentOrders(first: 5) { nodes { status lineItems(first: 5) { nodes { remainingQuantity } } } } } }", json!({"id": format!("gid://shopify/Order/{open_order}")}))
        .await;
    let order = &data(&after_fulfil)["order"];
    assert_eq!(order["displayFulfillmentStatus"], "FULFILLED");
    assert!(order["fulfillmentOrders"]["nodes"].as_array().unwrap().iter().all(|fo| fo["status"] == "CLOSED"));
    assert!(order["lineItems"]["nodes"].as_array().unwrap().iter().all(|l| l["unfulfilledQuantity"] == 0));
}

#[tokio::test]
async fn the_write_scope_offers_create_fulfillment() {
    let mut writer = shop("acme");
    writer["scopes"] = json!([
        "read_orders",
        "read_merchant_managed_fulfillment_orders",
        "write_merchant_managed_fulfillment_orders",
        "read_locations"
    ]);
    let emu = start(vec![writer]).await;
    let reply = emu
        .gql("acme", "{ fulfillmentOrders(first: 1) { nodes { status supportedActions { action } } } }", json!({}))
        .await;
    let fo = &data(&reply)["fulfillmentOrders"]["nodes"][0];
    assert_eq!(fo["status"], "OPEN");
    assert_eq!(fo["supportedActions"][0]["action"], "CREATE_FULFILLMENT");
}

#[tokio::test]
async fn a_product_can_have_more_variants_than_rest_shows() {
    let emu = start(vec![shop("acme")]).await;
    let created = emu.control("/shops/acme/products", json!({"variants": 150})).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["product"]["id"].as_u64().unwrap();
    assert_eq!(created.body["product"]["variants"].as_array().unwrap().len(), 100, "REST shows at most 100");
    let reply = emu
        .gql(
            "acme",
            "query($id: ID!) { product(id: $id) { variantsCount { count } variants(first: 250) { pageInfo { hasNextPage } nodes { sku position } } } }",
            json!({"id": format!("gid://shopify/Product/{id}")}),
        )
        .await;
    let product = &data(&reply)["product"];
    assert_eq!(product["variantsCount"]["count"], 150);
    let variants = product["variants"]["nodes"].as_array().unwrap();
    assert_eq!(variants.len(), 150);
    assert_eq!(variants[149]["position"], 150);
    assert_eq!(product["variants"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(emu.control("/shops/acme/products", json!({"variants": 2049})).await.status, 400);
}

#[tokio::test]
async fn shop_states_and_faults_apply_to_graphql() {
    let emu = start(vec![shop("acme")]).await;
    let wrong = emu.gql_with("acme", "shpat_wrong", "2026-07", json!({"query": "{ shop { name } }"})).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.body,
        json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
    );
    for (faults, status, body) in [
        (json!({"frozen": true}), 402, json!({"errors": "Unavailable Shop"})),
        (json!({"frozen": false, "locked": true}), 423, json!({"errors": "This store is unavailable"})),
        (json!({"locked": false, "token_revoked": true}), 401, wrong.body.clone()),
    ] {
        emu.control("/shops/acme/faults", faults).await;
        let reply = emu.gql("acme", "{ shop { name } }", json!({})).await;
        assert_eq!((reply.status.as_u16(), &reply.body), (status, &body));
    }
    emu.control("/shops/acme/faults", json!({"token_revoked": false, "throttle_storm": true})).await;
    let storm = emu.gql("acme", "{ shop { name } }", json!({})).await;
    assert_eq!(storm.status, 200);
    assert_eq!(storm.body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert!(storm.body.get("data").is_none());
    emu.control("/shops/acme/faults", json!({"throttle_storm": false, "error_rate": 1.0})).await;
    let failing = emu.gql("acme", "{ shop { name } }", json!({})).await;
    assert!([500, 502, 503].contains(&failing.status.as_u16()));
    emu.control("/shops/acme/faults", json!({"error_rate": 0.0})).await;

    // A Dev Dashboard app's token works the same way, with its own scopes.
    let dev = start(vec![dev_shop("dev", json!({"scopes": ["read_orders"]}))]).await;
    let token = dev.token("dev").await;
    let reply = dev
        .gql_with("dev", &token, "2026-07", json!({"query": "{ currentAppInstallation { accessScopes { handle } } }"}))
        .await;
    assert_eq!(data(&reply)["currentAppInstallation"]["accessScopes"], json!([{"handle": "read_orders"}]));
}

#[tokio::test]
async fn webhook_subscriptions_made_over_graphql_are_the_ones_rest_sees() {
    let emu = start(vec![shop("acme")]).await;
    let create = "mutation($topic: WebhookSubscriptionTopic!, $uri: URL!) {
        webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
          webhookSubscription { id topic uri includeFields endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
          userErrors { field message } } }";
    let made = emu.gql("acme", create, json!({"topic": "ORDERS_CREATE", "uri": "https://example.com/hooks"})).await;
    let payload = &data(&made)["webhookSubscriptionCreate"];
    assert_eq!(payload["userErrors"], json!([]));
    let sub = &payload["webhookSubscription"];
    assert_eq!(sub["topic"], "ORDERS_CREATE");
    assert_eq!(
        sub["endpoint"],
        json!({"__typename": "WebhookHttpEndpoint", "callbackUrl": "https://example.com/hooks"})
    );
    assert_eq!(made.body["extensions"]["cost"]["requestedQueryCost"], 10);
    let mut errors = Vec::new();
    shape_errors(&graphql_fixture("webhook-subscription-create-bulk-finish.docs.json"), &made.body, "", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");

    let rest = emu.get("acme", "/admin/api/2026-07/webhooks.json").await;
    let id = sub["id"].as_str().unwrap().rsplit('/').next().unwrap().parse::<u64>().unwrap();
    assert_eq!(ids(&rest.body["webhooks"]), vec![id]);
    assert_eq!(rest.body["webhooks"][0]["topic"], "orders/create");

    let again = emu.gql("acme", create, json!({"topic": "ORDERS_CREATE", "uri": "https://example.com/hooks"})).await;
    assert_eq!(
        data(&again)["webhookSubscriptionCreate"]["userErrors"],
        json!([{"field": ["webhookSubscription", "uri"], "message": "Address for this topic has already been taken"}])
    );
    let bad_topic =
        emu.gql("acme", create, json!({"topic": "ORDERS_EXPLODE", "uri": "https://example.com/hooks"})).await;
    assert_eq!(
        bad_topic.body["errors"][0]["message"],
        "Variable $topic of type WebhookSubscriptionTopic! was provided invalid value"
    );

    // The older input (callbackUrl) works, and REST-made subscriptions are listed by GraphQL.
    let legacy = emu
        .gql("acme", "mutation { webhookSubscriptionCreate(topic: BULK_OPERATIONS_FINISH, webhookSubscription: {callbackUrl: \"https://example.com/bulk\", format: JSON}) { webhookSubscription { id } userErrors { field message } } }", json!({}))
        .await;
    assert_eq!(data(&legacy)["webhookSubscriptionCreate"]["userErrors"], json!([]));
    reply(
        emu.request(reqwest::Method::POST, "acme", "/admin/api/2026-07/webhooks.json")
            .header("x-shopify-access-token", TOKEN)
            .json(&json!({"webhook": {"topic": "products/update", "address": "https://example.com/p"}})),
    )
    .await;
    let list = emu
        .gql("acme", "{ webhookSubscriptions(first: 10) { edges { node { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } } pageInfo { endCursor hasNextPage } } }", json!({}))
        .await;
    let edges = data(&list)["webhookSubscriptions"]["edges"].as_array().unwrap();
    let topics: Vec<&str> = edges.iter().map(|e| e["node"]["topic"].as_str().unwrap()).collect();
    assert_eq!(topics, ["ORDERS_CREATE", "BULK_OPERATIONS_FINISH", "PRODUCTS_UPDATE"]);
    let mut errors = Vec::new();
    shape_errors(
        &graphql_fixture("webhook-subscriptions-list.appjs.json")["data"],
        &list.body["data"],
        "data",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let filtered = emu
        .gql("acme", "{ webhookSubscriptions(first: 10, topics: [PRODUCTS_UPDATE]) { nodes { topic } } }", json!({}))
        .await;
    assert_eq!(data(&filtered)["webhookSubscriptions"]["nodes"], json!([{"topic": "PRODUCTS_UPDATE"}]));

    let delete = "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }";
    let deleted = emu.gql("acme", delete, json!({"id": sub["id"]})).await;
    assert_eq!(
        data(&deleted)["webhookSubscriptionDelete"],
        json!({"deletedWebhookSubscriptionId": sub["id"], "userErrors": []})
    );
    let twice = emu.gql("acme", delete, json!({"id": sub["id"]})).await;
    assert_eq!(data(&twice)["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"], Value::Null);
    assert_eq!(count(&emu, "acme", "/admin/api/2026-07/webhooks/count.json").await, 2);

    // A topic whose scope the app lacks is refused.
    let mut bare = shop("bare");
    bare["scopes"] = json!(["read_products"]);
    let other = start(vec![bare]).await;
    let refused =
        other.gql("bare", create, json!({"topic": "ORDERS_CREATE", "uri": "https://example.com/hooks"})).await;
    assert_eq!(
        data(&refused)["webhookSubscriptionCreate"]["userErrors"],
        json!([{"field": ["webhookSubscriptionCreate", "webhookSubscription"], "message": "Webhook topic is invalid"}])
    );
}
