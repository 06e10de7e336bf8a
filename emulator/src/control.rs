//! The control endpoint, under `/_emulator/…` (a path no real Shopify uses): counters and the
//! request log, the manual clock, faults switched at run time, the Dev Dashboard app and its
//! tokens, changes to a shop's data that fire webhooks, and the fulfillments written back (to
//! count duplicates) with the merchant's holds on fulfillment orders.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    clock::NotManual,
    config::{DevApp, Faults},
    data::{fulfillment::FoChange, MAX_VARIANTS},
    webhooks::{self, DeliveryOptions, Outgoing},
    EmulatorState, Shop, Stats,
};

type AppState = State<Arc<EmulatorState>>;

pub fn router() -> Router<Arc<EmulatorState>> {
    Router::new()
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/stats/reset", post(reset_stats))
        .route("/_emulator/requests", get(requests))
        .route("/_emulator/clock", get(clock))
        .route("/_emulator/clock/advance", post(advance_clock))
        .route("/_emulator/shops/{handle}/faults", get(get_faults).post(set_faults))
        .route("/_emulator/shops/{handle}/bulk", get(get_bulk).post(set_bulk))
        .route("/_emulator/shops/{handle}/deliveries", get(deliveries))
        .route("/_emulator/shops/{handle}/deliver", post(deliver))
        .route("/_emulator/shops/{handle}/uninstall", post(uninstall))
        .route("/_emulator/shops/{handle}/dev_app", get(get_dev_app).post(set_dev_app))
        .route("/_emulator/shops/{handle}/tokens", get(tokens))
        .route("/_emulator/shops/{handle}/tokens/expire", post(expire_tokens))
        .route("/_emulator/shops/{handle}/orders", post(create_order))
        .route("/_emulator/shops/{handle}/orders/{id}/{change}", post(change_order))
        .route("/_emulator/shops/{handle}/products", post(create_product))
        .route("/_emulator/shops/{handle}/products/{id}/{change}", post(change_product))
        .route("/_emulator/shops/{handle}/customers/{id}/update", post(update_customer))
        .route("/_emulator/shops/{handle}/customers/{id}/erase", post(erase_customer))
        .route("/_emulator/shops/{handle}/fulfillments", get(fulfillments))
        .route("/_emulator/shops/{handle}/fulfillment_orders/{id}/{change}", post(change_fulfillment_order))
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": format!("{what} not found") }))).into_response()
}

async fn stats(State(state): AppState) -> Json<Stats> {
    Json(state.stats.lock().expect("stats lock").clone())
}

async fn reset_stats(State(state): AppState) -> StatusCode {
    *state.stats.lock().expect("stats lock") = Stats::default();
    state.log.lock().expect("log lock").clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct LogQuery {
    limit: Option<usize>,
}

async fn requests(State(state): AppState, Query(query): Query<LogQuery>) -> Json<Value> {
    let log = state.log.lock().expect("log lock");
    let limit = query.limit.unwrap_or(100).min(log.len());
    let recent: Vec<_> = log.iter().skip(log.len() - limit).cloned().collect();
    Json(json!({ "requests": recent }))
}

fn clock_reading(state: &EmulatorState) -> Value {
    json!({
        "clock": state.clock.mode(),
        "elapsed_ms": state.clock.elapsed().as_millis() as u64,
        "unix_now": state.clock.unix_now(),
    })
}

async fn clock(State(state): AppState) -> Json<Value> {
    Json(clock_reading(&state))
}

#[derive(Deserialize)]
struct Advance {
    ms: u64,
}

/// Moves a manual clock forward; a real one cannot be moved (409). Bulk operations that finish
/// on the way announce it at once.
async fn advance_clock(State(state): AppState, Json(body): Json<Advance>) -> Response {
    match state.clock.advance(Duration::from_millis(body.ms)) {
        Ok(_) => {
            crate::graphql::bulk::sweep(&state);
            Json(clock_reading(&state)).into_response()
        }
        Err(NotManual) => (
            StatusCode::CONFLICT,
            Json(json!({ "error": "the clock is real; start the emulator with \"clock\": \"manual\" to advance it" })),
        )
            .into_response(),
    }
}

async fn get_faults(State(state): AppState, Path(handle): Path<String>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let faults = shop.faults.lock().expect("faults lock").clone();
    let latency = *shop.latency_ms.lock().expect("latency lock");
    Json(json!({ "faults": faults, "latency_ms": latency })).into_response()
}

/// Merges the posted keys into the shop's faults; `latency_ms` changes the fixed latency.
async fn set_faults(State(state): AppState, Path(handle): Path<String>, Json(patch): Json<Value>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    if let Some(latency) = patch.get("latency_ms").and_then(Value::as_u64) {
        *shop.latency_ms.lock().expect("latency lock") = latency;
    }
    let mut faults = shop.faults.lock().expect("faults lock");
    let mut merged = serde_json::to_value(&*faults).unwrap_or_default();
    if let (Some(merged), Some(patch)) = (merged.as_object_mut(), patch.as_object()) {
        for (key, value) in patch.iter().filter(|(k, _)| *k != "latency_ms") {
            merged.insert(key.clone(), value.clone());
        }
    }
    match serde_json::from_value::<Faults>(merged)
        .map_err(|err| err.to_string())
        .and_then(|new| new.check().map(|()| new))
    {
        Ok(new) => {
            *faults = new.clone();
            Json(json!({ "faults": new })).into_response()
        }
        Err(err) => (StatusCode::BAD_REQUEST, Json(json!({ "error": err }))).into_response(),
    }
}

async fn get_bulk(State(state): AppState, Path(handle): Path<String>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let config = shop.bulk_config.lock().expect("bulk config lock").clone();
    let operations: Vec<Value> = shop
        .bulk
        .all(&state, &shop)
        .iter()
        .map(|op| json!({"id": op.id, "status": op.status, "error_code": op.error_code, "object_count": op.object_count}))
        .collect();
    Json(json!({ "bulk": config, "operations": operations })).into_response()
}

/// Merges the posted keys into how the shop runs bulk operations (`objects_per_second`,
/// `concurrency`, `url_ttl_secs`, `start_delay_ms`, `shuffle`); operations already started keep
/// the settings they started with.
async fn set_bulk(State(state): AppState, Path(handle): Path<String>, Json(patch): Json<Value>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let mut config = shop.bulk_config.lock().expect("bulk config lock");
    match config.patched(&patch) {
        Ok(new) => {
            *config = new.clone();
            Json(json!({ "bulk": new })).into_response()
        }
        Err(err) => (StatusCode::BAD_REQUEST, Json(json!({ "error": err }))).into_response(),
    }
}

async fn deliveries(State(state): AppState, Path(handle): Path<String>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    Json(json!({ "deliveries": shop.deliveries.lock().expect("deliveries lock").clone() })).into_response()
}

#[derive(Deserialize)]
struct DeliverBody {
    topic: String,
    payload: Value,
    /// Send to this address instead of the topic's subscribers (compliance topics are
    /// configured in the Partner Dashboard, not through the API).
    address: Option<String>,
    /// Sign with this key instead of the app's, to test a receiver's refusal.
    secret: Option<String>,
}

/// Sends any payload for any topic: compliance topics, hand-made edge cases.
async fn deliver(State(state): AppState, Path(handle): Path<String>, Json(body): Json<DeliverBody>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let secret = body.secret.as_deref();
    match body.address {
        Some(address) => {
            let secret =
                secret.map_or_else(|| webhooks::secret_for_address(&shop, &body.topic, &address), str::to_owned);
            let event_id = uuid_like();
            let outgoing = Outgoing {
                topic: &body.topic,
                address: &address,
                subscription: None,
                payload: &body.payload,
                event_id: &event_id,
            };
            webhooks::send_signed(&state, &shop, outgoing, &secret);
        }
        None => webhooks::fire_signed(&state, &shop, &body.topic, &body.payload, DeliveryOptions::default(), secret),
    }
    StatusCode::ACCEPTED.into_response()
}

fn uuid_like() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The merchant uninstalls the app: the token stops working and `app/uninstalled` fires.
async fn uninstall(State(state): AppState, Path(handle): Path<String>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let payload = shop.data.read().expect("data lock").render_shop(shop.config.plan.plan_name());
    webhooks::fire(&state, &shop, "app/uninstalled", &payload, DeliveryOptions::default());
    shop.faults.lock().expect("faults lock").token_revoked = true;
    if let Some(dev_app) = &shop.dev_app {
        dev_app.lock().expect("dev app lock").installed = false;
        shop.expire_tokens(state.clock.elapsed());
    }
    StatusCode::ACCEPTED.into_response()
}

fn dev_app_reading(dev_app: &DevApp) -> Response {
    Json(json!({ "dev_app": dev_app })).into_response()
}

async fn get_dev_app(State(state): AppState, Path(handle): Path<String>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    match shop.dev_app() {
        Some(dev_app) => dev_app_reading(&dev_app),
        None => not_found("dev app"),
    }
}

/// The dev app's settings that can change while it runs; the client id and scopes cannot.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevAppPatch {
    installed: Option<bool>,
    same_organization: Option<bool>,
    client_secret: Option<String>,
    token_lifetime_secs: Option<u64>,
}

/// Merges the posted keys into the dev app. A new `client_secret` is a rotation: later grants
/// need it, tokens already issued keep working. Uninstalling (`installed: false`) revokes them.
async fn set_dev_app(State(state): AppState, Path(handle): Path<String>, Json(patch): Json<Value>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let Some(dev_app) = &shop.dev_app else { return not_found("dev app") };
    let patch = match serde_json::from_value::<DevAppPatch>(patch) {
        Ok(patch) if patch.client_secret.as_deref() == Some("") => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": "client_secret cannot be empty" }))).into_response()
        }
        Ok(patch) => patch,
        Err(err) => return (StatusCode::BAD_REQUEST, Json(json!({ "error": err.to_string() }))).into_response(),
    };
    let mut dev_app = dev_app.lock().expect("dev app lock");
    if let Some(secret) = patch.client_secret {
        dev_app.client_secret = secret;
    }
    if let Some(lifetime) = patch.token_lifetime_secs {
        dev_app.token_lifetime_secs = lifetime;
    }
    if let Some(same) = patch.same_organization {
        dev_app.same_organization = same;
    }
    if let Some(installed) = patch.installed {
        if dev_app.installed && !installed {
            shop.expire_tokens(state.clock.elapsed());
        }
        dev_app.installed = installed;
    }
    dev_app_reading(&dev_app)
}

/// Every token the grant issued, oldest first, with its expiry on the emulator's clock.
async fn tokens(State(state): AppState, Path(handle): Path<String>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    if shop.dev_app.is_none() {
        return not_found("dev app");
    }
    let now = state.clock.elapsed();
    let tokens: Vec<Value> = shop
        .issued_tokens()
        .iter()
        .map(|t| {
            json!({
                "access_token": t.token,
                "issued_at": state.clock.unix_at(t.issued_at),
                "expires_at": state.clock.unix_at(t.expires_at),
                "expires_in": t.expires_at.saturating_sub(now).as_secs(),
                "live": t.live_at(now),
            })
        })
        .collect();
    Json(json!({ "tokens": tokens })).into_response()
}

/// Every token issued so far expires now; the legacy access token is unaffected.
async fn expire_tokens(State(state): AppState, Path(handle): Path<String>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    if shop.dev_app.is_none() {
        return not_found("dev app");
    }
    Json(json!({ "expired": shop.expire_tokens(state.clock.elapsed()) })).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeBody {
    note: Option<String>,
    tags: Option<String>,
    title: Option<String>,
    duplicate: bool,
    /// Deliver the new version first and the previous one after it.
    out_of_order: bool,
}

fn body_or_default(body: Option<Json<ChangeBody>>) -> ChangeBody {
    body.map(|Json(b)| b).unwrap_or_default()
}

/// The next `updated_at`: now, but always after the record's last change.
fn bump(state: &EmulatorState, previous: i64) -> i64 {
    state.clock.unix_now().max(previous + 1)
}

async fn create_order(State(state): AppState, Path(handle): Path<String>, body: Option<Json<ChangeBody>>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let options = DeliveryOptions { duplicate: body_or_default(body).duplicate };
    let rendered = {
        let mut data = shop.data.write().expect("data lock");
        let id = data.create_order(state.clock.unix_now());
        data.render_order(&data.orders[&id])
    };
    webhooks::fire(&state, &shop, "orders/create", &rendered, options);
    (StatusCode::CREATED, Json(json!({ "order": rendered }))).into_response()
}

async fn change_order(
    State(state): AppState,
    Path((handle, id, change)): Path<(String, u64, String)>,
    body: Option<Json<ChangeBody>>,
) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let body = body_or_default(body);
    let (before, after) = {
        let mut data = shop.data.write().expect("data lock");
        let Some(order) = data.orders.get(&id).cloned() else { return not_found("order") };
        let before = data.render_order(&order);
        let mut order = order;
        order.updated_at = bump(&state, order.updated_at);
        match change.as_str() {
            "update" => {
                if let Some(note) = body.note.clone() {
                    order.note = Some(note);
                }
                if let Some(tags) = body.tags.clone() {
                    order.tags = tags;
                }
            }
            "cancel" => {
                order.cancelled_at = Some(order.updated_at);
                order.closed_at = Some(order.updated_at);
                order.financial_status = "voided";
            }
            "fulfill" => order.fulfilled = true,
            "close" => order.closed_at = Some(order.updated_at),
            _ => return not_found("change"),
        }
        let at = order.updated_at;
        data.orders.insert(id, order);
        data.refresh_fulfillment_orders(id, at);
        let after = data.render_order(&data.orders[&id]);
        (before, after)
    };
    let topic = match change.as_str() {
        "cancel" => Some("orders/cancelled"),
        "fulfill" => Some("orders/fulfilled"),
        _ => None,
    };
    announce(&state, &shop, "orders/updated", topic, &before, &after, &body);
    Json(json!({ "order": after })).into_response()
}

/// Fires the events for a changed record: the specific topic if any, then the `…/updated` one,
/// optionally duplicated or followed by the stale previous version.
fn announce(
    state: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    updated_topic: &str,
    specific: Option<&str>,
    before: &Value,
    after: &Value,
    body: &ChangeBody,
) {
    let options = DeliveryOptions { duplicate: body.duplicate };
    if let Some(topic) = specific {
        webhooks::fire(state, shop, topic, after, options);
    }
    webhooks::fire(state, shop, updated_topic, after, options);
    if body.out_of_order {
        let (state, shop, topic, before) = (state.clone(), shop.clone(), updated_topic.to_owned(), before.clone());
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            webhooks::fire(&state, &shop, &topic, &before, DeliveryOptions::default());
        });
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct NewProduct {
    /// How many variants (1 to 2048); by default one to four.
    variants: Option<usize>,
}

/// Creates a product; `{"variants": N}` gives it N variants, more than REST can show.
async fn create_product(
    State(state): AppState,
    Path(handle): Path<String>,
    body: Option<Json<NewProduct>>,
) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let variants = body.and_then(|Json(b)| b.variants);
    if variants.is_some_and(|n| n == 0 || n > MAX_VARIANTS) {
        let error = format!("variants must be from 1 to {MAX_VARIANTS}");
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response();
    }
    let rendered = {
        let mut data = shop.data.write().expect("data lock");
        let id = data.create_product_with(state.clock.unix_now(), variants);
        data.render_product(&data.products[&id])
    };
    webhooks::fire(&state, &shop, "products/create", &rendered, DeliveryOptions::default());
    (StatusCode::CREATED, Json(json!({ "product": rendered }))).into_response()
}

async fn change_product(
    State(state): AppState,
    Path((handle, id, change)): Path<(String, u64, String)>,
    body: Option<Json<ChangeBody>>,
) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let body = body_or_default(body);
    let mut data = shop.data.write().expect("data lock");
    let Some(mut product) = data.products.get(&id).cloned() else { return not_found("product") };
    match change.as_str() {
        "update" => {
            let before = data.render_product(&product);
            product.updated_at = bump(&state, product.updated_at);
            if let Some(title) = body.title.clone() {
                product.title = title;
            }
            let after = data.render_product(&product);
            data.products.insert(id, product);
            drop(data);
            announce(&state, &shop, "products/update", None, &before, &after, &body);
            Json(json!({ "product": after })).into_response()
        }
        "delete" => {
            data.products.remove(&id);
            drop(data);
            webhooks::fire(
                &state,
                &shop,
                "products/delete",
                &json!({ "id": id }),
                DeliveryOptions { duplicate: body.duplicate },
            );
            StatusCode::OK.into_response()
        }
        _ => not_found("change"),
    }
}

async fn update_customer(
    State(state): AppState,
    Path((handle, id)): Path<(String, u64)>,
    body: Option<Json<ChangeBody>>,
) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let body = body_or_default(body);
    let (before, after) = {
        let mut data = shop.data.write().expect("data lock");
        let Some(mut customer) = data.customers.get(&id).cloned() else { return not_found("customer") };
        let before = data.render_customer(&customer);
        customer.updated_at = bump(&state, customer.updated_at);
        if let Some(note) = body.note.clone() {
            customer.note = Some(note);
        }
        if let Some(tags) = body.tags.clone() {
            customer.tags = tags;
        }
        let after = data.render_customer(&customer);
        data.customers.insert(id, customer);
        (before, after)
    };
    announce(&state, &shop, "customers/update", None, &before, &after, &body);
    Json(json!({ "customer": after })).into_response()
}

/// The merchant's "Erase personal data" for a customer, carried out as Shopify does it before it
/// sends `customers/redact`: the customer is gone and their orders keep no link to them nor their
/// email. Answers with the `customers/redact` payload Shopify documents, for the caller to deliver
/// (compliance topics go to the address the app configured, not to subscriptions).
async fn erase_customer(State(state): AppState, Path((handle, id)): Path<(String, u64)>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let mut data = shop.data.write().expect("data lock");
    let Some(customer) = data.customers.remove(&id) else { return not_found("customer") };
    let mut orders = Vec::new();
    for order in data.orders.values_mut().filter(|o| o.customer_id == Some(id)) {
        order.customer_id = None;
        order.email = None;
        orders.push(order.id);
    }
    let payload = json!({
        "shop_id": data.shop_id,
        "shop_domain": data.domain(),
        "customer": {"id": customer.id, "email": customer.email, "phone": customer.phone},
        "orders_to_redact": orders,
    });
    Json(payload).into_response()
}

/// Every fulfillment created through the API, oldest first, in a flat shape tests can count
/// duplicates in.
async fn fulfillments(State(state): AppState, Path(handle): Path<String>) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let data = shop.data.read().expect("data lock");
    let all: Vec<Value> = data
        .fulfillments()
        .into_iter()
        .map(|f| {
            let lines: Vec<Value> = f
                .lines
                .iter()
                .map(|l| {
                    json!({
                        "fulfillment_order_line_item_id": l.fulfillment_order_line_id,
                        "line_item_id": l.line_item_id,
                        "quantity": l.quantity,
                    })
                })
                .collect();
            json!({
                "id": f.id,
                "order_id": f.order_id,
                "fulfillment_order_ids": f.fulfillment_order_ids(),
                "location_id": f.location_id,
                "tracking": {
                    "company": f.tracking.company,
                    "number": f.tracking.numbers.first(),
                    "url": f.tracking.urls.first(),
                },
                "line_items": lines,
                "notify_customer": f.notify_customer,
                "created_at": data.timestamp(f.created_at),
            })
        })
        .collect();
    Json(json!({ "fulfillments": all })).into_response()
}

/// The merchant holds (`hold`), releases (`release_hold`) or closes (`close`) a fulfillment
/// order in the admin. A hold and its release fire their `fulfillment_orders/*` topics; a change
/// the fulfillment order's status does not allow is 409.
async fn change_fulfillment_order(
    State(state): AppState,
    Path((handle, id, change)): Path<(String, u64, String)>,
) -> Response {
    let Some(shop) = state.shop(&handle) else { return not_found("shop") };
    let (change, topic) = match change.as_str() {
        "hold" => (FoChange::Hold, Some("fulfillment_orders/placed_on_hold")),
        "release_hold" => (FoChange::ReleaseHold, Some("fulfillment_orders/hold_released")),
        "close" => (FoChange::Close, None),
        _ => return not_found("change"),
    };
    let (rendered, payload) = {
        let mut data = shop.data.write().expect("data lock");
        if data.fulfillment_order(id).is_none() {
            return not_found("fulfillment order");
        }
        let order_id = match data.change_fulfillment_order(id, change, state.clock.unix_now()) {
            Ok(order_id) => order_id,
            Err(error) => return (StatusCode::CONFLICT, Json(json!({ "error": error }))).into_response(),
        };
        let order = &data.orders[&order_id];
        let rendered = data.render_fulfillment_orders(order).into_iter().find(|fo| fo["id"] == id).unwrap_or_default();
        // [inferred] The hold topics' payloads name the fulfillment order by its global id with
        // its new status; Shopify's also carry the hold, which the emulator does not model.
        let payload = json!({
            "fulfillment_order": {
                "id": format!("gid://shopify/FulfillmentOrder/{id}"),
                "status": rendered["status"],
            },
        });
        (rendered, payload)
    };
    if let Some(topic) = topic {
        webhooks::fire(&state, &shop, topic, &payload, DeliveryOptions::default());
    }
    Json(json!({ "fulfillment_order": rendered })).into_response()
}
