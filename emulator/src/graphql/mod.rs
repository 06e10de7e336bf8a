//! The GraphQL Admin API: `POST /admin/api/{version}/graphql.json` (GRAPHQL.md). The front door
//! (faults, shop state, the token) is REST's; then the document is planned against the schema
//! (`validate`), priced (`cost`), admitted by the shop's points bucket, run (`exec`, `resolve`,
//! `mutations`: those that change records are applied first) and answered as
//! `{data, errors?, extensions: {cost}}`. Bulk operations live in `bulk`.

pub mod bulk;
mod cost;
mod exec;
mod mutations;
mod out;
mod resolve;
mod schema;
mod search;
mod validate;

use std::{rc::Rc, sync::Arc};

use axum::http::{header, HeaderMap, StatusCode};
use serde_json::Value;

pub use self::cost::PointsBucket;
use self::{
    cost::MAX_COST,
    exec::{Ctx, Obj},
    out::{GqlError, Out},
    validate::OpKind,
};
use crate::{apps::App, data::DAY, webhooks::Subscription, EmulatorState, Shop};

/// An answer's status and JSON body.
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    fn ok(body: Out) -> Reply {
        Reply { status: StatusCode::OK, body: body.to_bytes() }
    }
}

/// What was posted: the document, its variables and the operation to run.
struct Request {
    query: String,
    variables: Value,
    operation_name: Option<String>,
}

/// The body as JSON (`{"query", "variables", "operationName"}`) or, with `application/graphql`,
/// the document itself. `None`: there is no query.
fn read_request(headers: &HeaderMap, body: &[u8]) -> Option<Request> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.trim_start().to_ascii_lowercase().starts_with("application/graphql") {
        let query = String::from_utf8(body.to_vec()).ok().filter(|q| !q.trim().is_empty())?;
        return Some(Request { query, variables: Value::Null, operation_name: None });
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    let query = value.get("query")?.as_str().filter(|q| !q.trim().is_empty())?.to_owned();
    let variables = match value.get("variables") {
        // Some clients send the variables as a JSON string.
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let operation_name = value.get("operationName").and_then(Value::as_str).map(str::to_owned);
    Some(Request { query, variables, operation_name })
}

/// The app's own subscriptions, as GraphQL reads them.
fn own_subscriptions(shop: &Shop, app: App) -> Vec<Rc<Subscription>> {
    let subs = shop.subscriptions.lock().expect("subscriptions lock");
    subs.iter().filter(|s| s.app == app).cloned().map(Rc::new).collect()
}

/// Without `read_all_orders`, orders older than 60 days are not there, as in REST.
fn oldest_order(emu: &EmulatorState, shop: &Shop, app: App) -> i64 {
    if shop.scopes_of(app).iter().any(|s| s == "read_all_orders") {
        i64::MIN
    } else {
        emu.clock.unix_now() - 60 * DAY
    }
}

fn cost_extension(requested: f64, actual: Option<f64>, bucket: (f64, f64, f64)) -> (String, Out) {
    let (maximum, available, rate) = bucket;
    let cost = Out::obj(vec![
        ("requestedQueryCost", Out::Int(requested as i64)),
        ("actualQueryCost", actual.map_or(Out::Null, |a| Out::Int(a as i64))),
        (
            "throttleStatus",
            Out::obj(vec![
                ("maximumAvailable", Out::Float(maximum)),
                ("currentlyAvailable", Out::Int(available.floor() as i64)),
                ("restoreRate", Out::Float(rate)),
            ]),
        ),
    ]);
    ("extensions".into(), Out::obj(vec![("cost", cost)]))
}

/// One GraphQL request from an authenticated `app`, on API `version`.
pub async fn serve(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    app: App,
    version: &str,
    headers: &HeaderMap,
    body: &[u8],
    throttle_storm: bool,
) -> Reply {
    let Some(request) = read_request(headers, body) else {
        let body = br#"{"errors":{"query":"Required parameter missing or invalid"}}"#.to_vec();
        return Reply { status: StatusCode::BAD_REQUEST, body };
    };
    bulk::settle(shop).await;
    bulk::sweep(emu);
    let plan = match validate::plan(&request.query, request.operation_name.as_deref(), &request.variables, version) {
        Ok(plan) => plan,
        // A document that does not validate is not run, and not charged.
        Err(errors) => {
            return Reply::ok(Out::obj(vec![("errors", Out::List(errors.iter().map(GqlError::out).collect()))]))
        }
    };
    let requested = cost::requested(&plan);
    if requested > MAX_COST {
        let message = format!(
            "Query cost is {requested}, which exceeds the single query max cost limit ({MAX_COST}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"
        );
        let error = GqlError::new(message)
            .code("MAX_COST_EXCEEDED")
            .ext("cost", Out::Int(requested as i64))
            .ext("maxCost", Out::Int(MAX_COST as i64))
            .ext("documentation", Out::str("https://shopify.dev/api/usage/rate-limits"));
        return Reply::ok(Out::obj(vec![("errors", Out::List(vec![error.out()]))]));
    }
    let now = emu.clock.elapsed();
    let admitted = {
        let mut bucket = shop.gql_bucket.lock().expect("graphql bucket lock");
        let admitted = !throttle_storm && bucket.take(now, requested);
        (admitted, (bucket.maximum, bucket.available(now), bucket.restore_rate))
    };
    if !admitted.0 {
        emu.stats.lock().expect("stats lock").throttled += 1;
        let error = GqlError::new("Throttled")
            .code("THROTTLED")
            .ext("documentation", Out::str("https://shopify.dev/api/usage/rate-limits"));
        let (key, extensions) = cost_extension(requested, None, admitted.1);
        return Reply::ok(Out::Obj(vec![("errors".into(), Out::List(vec![error.out()])), (key, extensions)]));
    }
    // Mutations that change records are applied now, once admitted and before anything is read.
    let writes = plan.kind == OpKind::Mutation && plan.fields.iter().any(mutations::writes);
    let applied = if writes { mutations::apply(emu, shop, app, &plan) } else { Default::default() };
    let (data, errors, actual) = execute(emu, shop, app, version, &plan, applied);
    let actual = match plan.kind {
        OpKind::Mutation => cost::mutation_actual(&plan, &data),
        OpKind::Query => actual,
    }
    .min(requested);
    let status = {
        let mut bucket = shop.gql_bucket.lock().expect("graphql bucket lock");
        bucket.refund(requested - actual);
        emu.stats.lock().expect("stats lock").graphql_points += actual;
        (bucket.maximum, bucket.available(now), bucket.restore_rate)
    };
    let mut answer = vec![("data".to_owned(), data)];
    if !errors.is_empty() {
        answer.push(("errors".into(), Out::List(errors.iter().map(GqlError::out).collect())));
    }
    answer.push(cost_extension(requested, Some(actual), status));
    if writes {
        hang_if_faulted(shop).await;
    }
    Reply::ok(Out::Obj(answer))
}

/// The `apply_then_time_out` fault: the write is applied (and announced), then the answer waits
/// `hang_ms`, so a client with a shorter timeout gives up on a change Shopify made.
async fn hang_if_faulted(shop: &Shop) {
    let hang = {
        let mut faults = shop.faults.lock().expect("faults lock");
        if faults.apply_then_time_out == 0 {
            return;
        }
        faults.apply_then_time_out -= 1;
        faults.hang_ms
    };
    tokio::time::sleep(std::time::Duration::from_millis(hang)).await;
}

/// Runs a planned operation over the shop's data: `data`, the field errors and the actual cost.
fn execute(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    app: App,
    version: &str,
    plan: &validate::Plan,
    applied: std::collections::HashMap<String, mutations::Applied>,
) -> (Out, Vec<GqlError>, f64) {
    let operations = shop.bulk.views(emu, shop, app).into_iter().map(Rc::new).collect();
    let data = shop.data.read().expect("data lock");
    let ctx = Ctx {
        emu,
        shop,
        app,
        scopes: shop.scopes_of(app),
        data: &data,
        version,
        oldest_order: oldest_order(emu, shop, app),
        subscriptions: own_subscriptions(shop, app),
        operations,
        bulk: false,
        deferred: Default::default(),
        errors: Default::default(),
        variants: Default::default(),
        arcs: Some((emu.clone(), shop.clone())),
        applied,
    };
    let root_name = if plan.kind == OpKind::Mutation { "Mutation" } else { "QueryRoot" };
    let root = Obj::Record(root_name, Default::default());
    let (data_out, cost) = match ctx.fields(&root, &plan.root, &plan.fields, &mut Vec::new()) {
        Ok((out, cost)) => (out, cost),
        Err(exec::Bubble) => (Out::Null, 0.0),
    };
    let errors = ctx.errors.into_inner();
    (data_out, errors, cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topic_enum_is_the_webhook_topic_list() {
        let values = &schema::SCHEMA.of("WebhookSubscriptionTopic").values;
        for value in values {
            let rest = crate::webhooks::rest_topic(value);
            assert_eq!(crate::webhooks::graphql_topic(&rest), *value);
            assert!(crate::webhooks::topic_known(&rest), "{value} → {rest} is not a known topic");
        }
    }
}
