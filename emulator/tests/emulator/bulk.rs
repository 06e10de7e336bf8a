//! Bulk operations on a manual clock: CREATED → RUNNING → COMPLETED at the configured rate, the
//! JSONL result behind a signed URL that expires, the concurrency limit, FAILED with partial data,
//! CANCELED with what it had, layouts of the lines, and the finish webhook.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};
use storelink_emulator::webhooks::sign;

use crate::{helpers::*, shapes::shape_errors};

const RUN: &str = "mutation RunBulk($query: String!, $group: Boolean) {
  bulkOperationRunQuery(query: $query, groupObjects: $group) {
    bulkOperation { id status createdAt }
    userErrors { field message code }
  }
}";

const POLL: &str = "query($id: ID!) { node(id: $id) { ... on BulkOperation {
  id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl query type } } }";

const ORDERS: &str =
    "{ orders { edges { node { __typename id name lineItems { edges { node { __typename id sku quantity } } } } } } }";

/// A shop of 40 orders whose bulk operations run as `bulk` says.
async fn emulator(bulk: Value) -> Emu {
    let mut acme = shop("acme");
    acme["orders"] = json!(40);
    acme["bulk"] = bulk;
    start_manual(vec![acme]).await
}

async fn run(emu: &Emu, query: &str, group: Option<bool>) -> Reply {
    emu.gql("acme", RUN, json!({"query": query, "group": group})).await
}

async fn started(emu: &Emu, query: &str, group: Option<bool>) -> String {
    let reply = run(emu, query, group).await;
    let payload = &data(&reply)["bulkOperationRunQuery"];
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload["bulkOperation"]["id"].as_str().unwrap().to_owned()
}

async fn poll(emu: &Emu, id: &str) -> Value {
    let reply = emu.gql("acme", POLL, json!({"id": id})).await;
    data(&reply)["node"].clone()
}

/// The lines of a result file, fetched as a plain GET.
async fn lines(emu: &Emu, url: &str) -> Vec<Value> {
    let response = emu.download(url).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test]
async fn an_operation_runs_at_the_configured_rate_and_its_result_is_a_signed_jsonl_file() {
    let emu = emulator(json!({"objects_per_second": 20, "start_delay_ms": 1000, "url_ttl_secs": 1800})).await;
    let (receiver, addr) = Receiver::start(0).await;
    let subscribe = "mutation($uri: URL!) { webhookSubscriptionCreate(topic: BULK_OPERATIONS_FINISH, webhookSubscription: {uri: $uri, format: JSON}) { userErrors { message } } }";
    emu.gql("acme", subscribe, json!({"uri": format!("http://{addr}/hooks")})).await;

    let reply = run(&emu, ORDERS, None).await;
    let mut errors = Vec::new();
    shape_errors(&graphql_fixture("bulk-run-query-created.airbyte.json"), &reply.body, "", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let operation = &data(&reply)["bulkOperationRunQuery"]["bulkOperation"];
    assert_eq!(operation["status"], "CREATED");
    assert_eq!(reply.body["extensions"]["cost"]["requestedQueryCost"], 10);
    let id = operation["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("gid://shopify/BulkOperation/"));

    let created = poll(&emu, &id).await;
    assert_eq!(
        (created["status"].clone(), created["objectCount"].clone(), created["url"].clone()),
        (json!("CREATED"), json!("0"), Value::Null)
    );
    assert_eq!(created["type"], "QUERY");
    assert_eq!(created["query"], ORDERS);
    emu.advance(1000).await;
    assert_eq!(poll(&emu, &id).await["status"], "RUNNING");
    emu.advance(500).await;
    let running = poll(&emu, &id).await;
    assert_eq!((running["status"].clone(), running["objectCount"].clone()), (json!("RUNNING"), json!("10")));
    assert_eq!(running["fileSize"], Value::Null);
    let current = emu
        .gql(
            "acme",
            "{ currentBulkOperation { id status } bulkOperation(id: \"gid://shopify/BulkOperation/1\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&current)["currentBulkOperation"], json!({"id": id, "status": "RUNNING"}));
    assert_eq!(data(&current)["bulkOperation"], Value::Null);

    // 40 orders and their lines: done when the last object is out.
    emu.advance(60_000).await;
    let done = poll(&emu, &id).await;
    assert_eq!(done["status"], "COMPLETED");
    let mut errors = Vec::new();
    shape_errors(&graphql_fixture("bulk-node-completed.airbyte.json")["data"]["node"], &done, "node", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let objects: usize = done["objectCount"].as_str().unwrap().parse().unwrap();
    assert_eq!(done["rootObjectCount"], "40");
    let url = done["url"].as_str().unwrap().to_owned();
    assert!(url.contains("/_storage/bulk/") && url.contains("Expires=") && url.contains("Signature="), "{url}");

    let response = emu.client.get(&url).header("x-shopify-access-token", TOKEN).send().await.unwrap();
    if response.status() != 200 {
        panic!("{url}: {}", response.text().await.unwrap());
    }
    assert_eq!(response.headers()["content-type"], "application/jsonl");
    let operation_number = id.rsplit('/').next().unwrap();
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with(&format!("attachment; filename=\"bulk-{operation_number}.jsonl\"")));
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len().to_string(), done["fileSize"].as_str().unwrap());
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.ends_with('\n'));
    for raw in text.lines().filter(|l| l.contains("\"LineItem\"")) {
        assert!(
            raw.starts_with("{\"__typename\":\"LineItem\",\"id\":")
                && raw.contains(",\"__parentId\":\"gid://shopify/Order/"),
            "{raw}"
        );
        assert!(raw.ends_with("\"}"), "__parentId comes last: {raw}");
    }
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), objects);
    let mut seen_orders = HashSet::new();
    for line in &lines {
        match line["__typename"].as_str().unwrap() {
            "Order" => {
                assert!(line.get("__parentId").is_none() && line.get("lineItems").is_none(), "{line}");
                seen_orders.insert(line["id"].as_str().unwrap().to_owned());
            }
            "LineItem" => {
                let parent = line["__parentId"].as_str().unwrap();
                assert!(seen_orders.contains(parent), "a child comes after its parent: {line}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(seen_orders.len(), 40);

    let finish = receiver.wait_for(1).await;
    assert_eq!(finish[0].header("x-shopify-topic"), "bulk_operations/finish");
    assert_eq!(finish[0].header("x-shopify-hmac-sha256"), sign(SECRET, &finish[0].body));
    let payload = finish[0].json();
    let mut errors = Vec::new();
    shape_errors(&graphql_fixture("bulk-operations-finish-webhook.docs.json"), &payload, "webhook", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        (payload["admin_graphql_api_id"].as_str(), payload["status"].as_str(), payload["type"].as_str()),
        (Some(id.as_str()), Some("completed"), Some("query"))
    );
    assert_eq!(payload["completed_at"], done["completedAt"]);

    // The URL expires on the emulator's clock; a tampered one never worked.
    let tampered = url.replace("Signature=", "Signature=x");
    assert_eq!(emu.download(&tampered).await.status(), 403);
    let expires: i64 = url.split("Expires=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap();
    let completed = time::OffsetDateTime::parse(
        done["completedAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires, completed.unix_timestamp() + 1800, "url_ttl_secs after it finished");
    let now = emu.control_get("/clock").await["unix_now"].as_i64().unwrap();
    emu.advance((expires - now - 1) as u64 * 1000).await;
    assert_eq!(emu.download(&url).await.status(), 200);
    emu.advance(1_000).await;
    let expired = emu.download(&url).await;
    assert_eq!(expired.status(), 403);
    assert!(expired.text().await.unwrap().contains("<Code>AccessDenied</Code>"));
}

#[tokio::test]
async fn lines_are_grouped_or_shuffled_as_asked() {
    let emu = emulator(json!({"shuffle": "before"})).await;
    let parent_of = |lines: &[Value]| -> Vec<(usize, Option<usize>)> {
        let index: HashMap<String, usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l["__typename"] == "Order")
            .map(|(i, l)| (l["id"].as_str().unwrap().to_owned(), i))
            .collect();
        lines.iter().enumerate().map(|(i, l)| (i, l["__parentId"].as_str().map(|p| index[p]))).collect()
    };
    let grouped = started(&emu, ORDERS, Some(true)).await;
    let url = poll(&emu, &grouped).await["url"].as_str().unwrap().to_owned();
    let all = lines(&emu, &url).await;
    let mut last_root = None;
    for (i, parent) in parent_of(&all) {
        match parent {
            None => last_root = Some(i),
            Some(p) => assert_eq!(Some(p), last_root, "grouped: each child follows its own parent"),
        }
    }
    let shuffled = started(&emu, ORDERS, None).await;
    let url = poll(&emu, &shuffled).await["url"].as_str().unwrap().to_owned();
    let before = lines(&emu, &url).await;
    assert_eq!(before.len(), all.len());
    assert!(parent_of(&before).iter().all(|(i, p)| p.is_none_or(|p| p > *i)), "every child before its parent");

    emu.control("/shops/acme/bulk", json!({"shuffle": "far"})).await;
    let far = started(&emu, ORDERS, Some(false)).await;
    let url = poll(&emu, &far).await["url"].as_str().unwrap().to_owned();
    let far_lines = lines(&emu, &url).await;
    assert!(
        far_lines[..40].iter().all(|l| l["__typename"] == "Order")
            && far_lines[40..].iter().all(|l| l["__typename"] == "LineItem")
    );

    emu.control("/shops/acme/bulk", json!({"shuffle": "near"})).await;
    let near = started(&emu, ORDERS, None).await;
    let url = poll(&emu, &near).await["url"].as_str().unwrap().to_owned();
    let near_lines = lines(&emu, &url).await;
    let parents = parent_of(&near_lines);
    assert!(parents.iter().all(|(i, p)| p.is_none_or(|p| p < *i)), "children after their parents");
    assert!(parents.iter().any(|(i, p)| p.is_some_and(|p| *i > p + 4)), "but not always next to them");
    assert_eq!(emu.control("/shops/acme/bulk", json!({"shuffle": "sideways"})).await.status, 400);
}

#[tokio::test]
async fn at_most_five_run_at_once_and_one_before_2026_01() {
    let emu = emulator(json!({"objects_per_second": 1})).await;
    for _ in 0..5 {
        started(&emu, ORDERS, None).await;
    }
    let sixth = run(&emu, ORDERS, None).await;
    let payload = &data(&sixth)["bulkOperationRunQuery"];
    assert_eq!(payload["bulkOperation"], Value::Null);
    let error = &payload["userErrors"][0];
    assert_eq!(error["code"], "OPERATION_IN_PROGRESS");
    assert_eq!(error["field"], Value::Null);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/"
        ),
        "{message}"
    );
    assert!(message.ends_with('.'));
    let listed = emu
        .gql("acme", "{ bulkOperations(first: 10, query: \"status:RUNNING\") { nodes { id status } } }", json!({}))
        .await;
    assert_eq!(data(&listed)["bulkOperations"]["nodes"].as_array().unwrap().len(), 5);

    let old = emulator(json!({"objects_per_second": 1})).await;
    let body = |query: &str| json!({"query": RUN, "variables": {"query": query}});
    let first = old.gql_with("acme", TOKEN, "2025-10", body(ORDERS)).await;
    assert_eq!(data(&first)["bulkOperationRunQuery"]["userErrors"], json!([]));
    let second = old.gql_with("acme", TOKEN, "2025-10", body(ORDERS)).await;
    assert_eq!(data(&second)["bulkOperationRunQuery"]["userErrors"][0]["code"], "OPERATION_IN_PROGRESS");
}

#[tokio::test]
async fn a_canceled_operation_keeps_what_it_had_and_a_failing_one_offers_partial_data() {
    let emu = emulator(json!({"objects_per_second": 10})).await;
    let (receiver, addr) = Receiver::start(0).await;
    let subscribe = "mutation($uri: URL!) { webhookSubscriptionCreate(topic: BULK_OPERATIONS_FINISH, webhookSubscription: {callbackUrl: $uri}) { userErrors { message } } }";
    emu.gql("acme", subscribe, json!({"uri": format!("http://{addr}/hooks")})).await;

    let id = started(&emu, ORDERS, None).await;
    emu.advance(700).await;
    let cancel = "mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { id status objectCount } userErrors { field message } } }";
    let canceling = emu.gql("acme", cancel, json!({"id": id})).await;
    assert_eq!(data(&canceling)["bulkOperationCancel"]["bulkOperation"]["status"], "CANCELING");
    emu.advance(10).await;
    let canceled = poll(&emu, &id).await;
    assert_eq!((canceled["status"].clone(), canceled["objectCount"].clone()), (json!("CANCELED"), json!("7")));
    let kept = lines(&emu, canceled["url"].as_str().unwrap()).await;
    assert_eq!(kept.len(), 7);
    let again = emu.gql("acme", cancel, json!({"id": id})).await;
    assert!(data(&again)["bulkOperationCancel"]["userErrors"][0]["message"].as_str().unwrap().contains("canceled"));

    emu.control("/shops/acme/faults", json!({"bulk_fail_after": 5})).await;
    let failing = started(&emu, ORDERS, None).await;
    emu.advance(400).await;
    assert_eq!(poll(&emu, &failing).await["status"], "RUNNING");
    emu.advance(100).await;
    let failed = poll(&emu, &failing).await;
    assert_eq!(
        (failed["status"].clone(), failed["errorCode"].clone(), failed["url"].clone()),
        (json!("FAILED"), json!("INTERNAL_SERVER_ERROR"), Value::Null)
    );
    assert_eq!(failed["objectCount"], "5");
    let partial = lines(&emu, failed["partialDataUrl"].as_str().unwrap()).await;
    assert_eq!(partial.len(), 5);

    let finished = receiver.wait_for(2).await;
    let statuses: HashSet<(String, Value)> = finished
        .iter()
        .map(|d| (d.json()["status"].as_str().unwrap().to_owned(), d.json()["error_code"].clone()))
        .collect();
    assert_eq!(
        statuses,
        HashSet::from([("canceled".into(), Value::Null), ("failed".into(), json!("internal_server_error"))])
    );
}

#[tokio::test]
async fn queries_bulk_cannot_run_are_refused_and_missing_scopes_fail_the_operation() {
    let emu = emulator(json!({})).await;
    let deep = "{ products { edges { node { id variants { edges { node { id inventoryItem { inventoryLevels { edges { node { id } } } } } } } } } } }";
    for (query, needle) in [
        ("{ shop { name } }", "at least one connection"),
        ("{ node(id: \"gid://shopify/Order/1\") { id } }", "top level"),
        (deep, "nested more than 2 levels"),
        ("{ orders { nodes { id } } }", "not `nodes`"),
        ("{ orders { edges { node { colour } } } }", "Field 'colour' doesn't exist on type 'Order'"),
    ] {
        let reply = run(&emu, query, None).await;
        let payload = &data(&reply)["bulkOperationRunQuery"];
        assert_eq!(payload["bulkOperation"], Value::Null, "{query}");
        assert_eq!(payload["userErrors"][0]["code"], "INVALID", "{query}");
        assert_eq!(payload["userErrors"][0]["field"], json!(["query"]));
        assert!(payload["userErrors"][0]["message"].as_str().unwrap().contains(needle), "{query}: {payload}");
    }
    let mut bare = shop("bare");
    bare["scopes"] = json!(["read_products"]);
    let other = start(vec![bare]).await;
    let reply = other.gql("bare", RUN, json!({"query": ORDERS})).await;
    let id = data(&reply)["bulkOperationRunQuery"]["bulkOperation"]["id"].as_str().unwrap().to_owned();
    let polled = other.gql("bare", POLL, json!({"id": id})).await;
    assert_eq!(data(&polled)["node"]["status"], "FAILED");
    assert_eq!(data(&polled)["node"]["errorCode"], "ACCESS_DENIED");
}

#[tokio::test]
async fn a_bulk_export_of_products_with_many_variants_and_an_empty_one() {
    let emu = emulator(json!({})).await;
    emu.control("/shops/acme/products", json!({"variants": 150})).await;
    let query = "{ products(query: \"updated_at:>='2000-01-01'\", sortKey: UPDATED_AT) { edges { node { id title variants { edges { node { id sku inventoryItem { measurement { weight { unit value } } } } } } } } } }";
    let id = started(&emu, query, None).await;
    let done = poll(&emu, &id).await;
    let lines = lines(&emu, done["url"].as_str().unwrap()).await;
    let variants = lines.iter().filter(|l| l["id"].as_str().unwrap().contains("ProductVariant")).count();
    assert!(variants >= 150);
    assert!(
        lines.iter().any(|l| l["inventoryItem"]["measurement"]["weight"]["unit"] == "KILOGRAMS"),
        "objects stay inline"
    );
    let mut errors = Vec::new();
    let path = format!(
        "{}/tests/fixtures/shopify/graphql/bulk-result-products-variants.docs.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let fixture: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    shape_errors(&fixture, &lines[0], "line", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");

    let nothing = started(&emu, "{ orders(query: \"created_at:<2001-01-01\") { edges { node { id } } } }", None).await;
    let empty = poll(&emu, &nothing).await;
    assert_eq!(
        (empty["status"].clone(), empty["objectCount"].clone(), empty["url"].clone()),
        (json!("COMPLETED"), json!("0"), Value::Null)
    );
}
