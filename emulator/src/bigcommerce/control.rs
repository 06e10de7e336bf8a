//! The control endpoint for BigCommerce stores, under `/_emulator/bigcommerce/{store_hash}/…`:
//! faults switched at run time, the merchant's and shoppers' changes (which fire webhooks as the
//! control panel's and checkout's do), the hooks with what the API does not show (failures, why
//! one stopped), ageing a hook past the 90-day idle rule, the deliveries, and an order as the
//! emulator holds it, for tests to check what a client wrote back.

use std::sync::{atomic::Ordering, Arc};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    config::Faults,
    data::{bump, AWAITING_FULFILLMENT, STATUSES},
    render::{self, Embed},
    v2::status_list,
    webhooks::{self, IDLE_LIMIT},
    Store,
};
use crate::EmulatorState;

type AppState = State<Arc<EmulatorState>>;

pub fn router() -> Router<Arc<EmulatorState>> {
    Router::new()
        .route("/_emulator/bigcommerce/{store}/faults", get(get_faults).post(set_faults))
        .route("/_emulator/bigcommerce/{store}/orders", post(create_order))
        .route("/_emulator/bigcommerce/{store}/orders/{id}", get(order_state))
        .route("/_emulator/bigcommerce/{store}/orders/{id}/{change}", post(change_order))
        .route("/_emulator/bigcommerce/{store}/products/{id}/update", post(update_product))
        .route("/_emulator/bigcommerce/{store}/customers", post(create_customer))
        .route("/_emulator/bigcommerce/{store}/customers/{id}/update", post(update_customer))
        .route("/_emulator/bigcommerce/{store}/inventory/{variant}/update", post(update_inventory))
        .route("/_emulator/bigcommerce/{store}/hooks", get(list_hooks))
        .route("/_emulator/bigcommerce/{store}/hooks/{id}/age", post(age_hook))
        .route("/_emulator/bigcommerce/{store}/deliveries", get(deliveries))
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": format!("{what} not found") }))).into_response()
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

fn parse<T: Default + for<'de> Deserialize<'de>>(body: Option<Json<Value>>) -> Result<T, String> {
    match body {
        None => Ok(T::default()),
        Some(Json(value)) => serde_json::from_value(value).map_err(|err| err.to_string()),
    }
}

fn faults_reading(store: &Store) -> Response {
    let faults = store.faults.lock().expect("faults lock").clone();
    Json(json!({ "faults": faults, "latency_ms": store.latency_ms.load(Ordering::Relaxed) })).into_response()
}

async fn get_faults(State(emu): AppState, Path(hash): Path<String>) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    faults_reading(&store)
}

/// Merges the posted keys into the store's faults; `latency_ms` changes the fixed latency.
async fn set_faults(State(emu): AppState, Path(hash): Path<String>, Json(patch): Json<Value>) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let Some(patch) = patch.as_object() else { return bad_request("faults must be an object".into()) };
    if let Some(latency) = patch.get("latency_ms") {
        match latency.as_u64() {
            Some(ms) => store.latency_ms.store(ms, Ordering::Relaxed),
            None => return bad_request("latency_ms must be a number of milliseconds".into()),
        }
    }
    {
        let mut faults = store.faults.lock().expect("faults lock");
        let mut merged = serde_json::to_value(&*faults).unwrap_or_default();
        if let Some(merged) = merged.as_object_mut() {
            merged.extend(patch.iter().filter(|(k, _)| *k != "latency_ms").map(|(k, v)| (k.clone(), v.clone())));
        }
        match serde_json::from_value::<Faults>(merged).map_err(|err| err.to_string()).and_then(|new| {
            new.check()?;
            Ok(new)
        }) {
            Ok(new) => *faults = new,
            Err(err) => return bad_request(err),
        }
    }
    faults_reading(&store)
}

fn status_of(status: Option<u8>) -> Result<Option<u8>, String> {
    match status {
        Some(n) if !STATUSES.iter().any(|(id, _)| *id == n) => {
            Err(format!("status_id must be one of {}", status_list()))
        }
        other => Ok(other),
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct NewOrder {
    /// Awaiting Fulfillment unless given.
    status_id: Option<u8>,
    /// Line items (random products); two unless given.
    lines: Option<usize>,
    two_addresses: bool,
}

/// A shopper checks out now: `store/order/created` fires, then `store/order/statusUpdated` from
/// Incomplete to the order's status.
async fn create_order(State(emu): AppState, Path(hash): Path<String>, body: Option<Json<Value>>) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let request: NewOrder = match parse(body) {
        Ok(request) => request,
        Err(refused) => return bad_request(refused),
    };
    let status = match status_of(request.status_id) {
        Ok(status) => status.unwrap_or(AWAITING_FULFILLMENT),
        Err(refused) => return bad_request(refused),
    };
    let (id, rendered) = {
        let mut data = store.data.write().expect("data lock");
        if data.products.is_empty() {
            return bad_request("the store has no products to order".into());
        }
        let id = data.checkout(emu.clock.unix_now(), status, request.lines.unwrap_or(2), request.two_addresses);
        (id, render::order(&store, &data, &data.orders[&id], Embed::default()))
    };
    webhooks::fire(&emu, &store, "store/order/created", json!({"type": "order", "id": id}));
    if status != 0 {
        let data = json!({"type": "order", "id": id, "status": {"previous_status_id": 0, "new_status_id": status}});
        webhooks::fire(&emu, &store, "store/order/statusUpdated", data);
    }
    (StatusCode::CREATED, Json(json!({ "order": rendered }))).into_response()
}

/// The order as the emulator holds it: rendered, with its products, shipping addresses and
/// shipments.
async fn order_state(State(emu): AppState, Path((hash, id)): Path<(String, u64)>) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let data = store.data.read().expect("data lock");
    let Some(order) = data.orders.get(&id) else { return not_found("order") };
    let products: Vec<Value> = order.lines.iter().map(|l| render::order_product(&data, order, l)).collect();
    let addresses: Vec<Value> = order.addresses.iter().map(|a| render::shipping_address(&store, order, a)).collect();
    let shipments: Vec<Value> = order.shipments.iter().map(|s| render::shipment(order, s)).collect();
    Json(json!({
        "order": render::order(&store, &data, order, Embed::default()),
        "products": products,
        "shipping_addresses": addresses,
        "shipments": shipments,
    }))
    .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct OrderChange {
    status_id: Option<u8>,
    /// For `add_line`: the product (random unless given) and quantity (1 unless given).
    product_id: Option<u64>,
    quantity: Option<i64>,
    /// When the change is stamped (Unix seconds), instead of now: a change made while a sync
    /// read the store, stamped before the newest record that sync read.
    at: Option<i64>,
}

/// The merchant changes an order: `status` (`status_id`; fires `store/order/statusUpdated` and
/// `store/order/updated`), `add_line` (fires `store/order/updated`), `archive` (fires
/// `store/order/archived`), or `delete` (removed from the archive for good: gone from the API,
/// and no webhook tells of it). `at` stamps the change with another time than now.
async fn change_order(
    State(emu): AppState,
    Path((hash, id, change)): Path<(String, u64, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let request: OrderChange = match parse(body) {
        Ok(request) => request,
        Err(refused) => return bad_request(refused),
    };
    let now = request.at.unwrap_or_else(|| emu.clock.unix_now());
    let mut data = store.data.write().expect("data lock");
    if !data.orders.contains_key(&id) {
        return not_found("order");
    }
    match change.as_str() {
        "status" => {
            let status = match status_of(request.status_id) {
                Ok(Some(status)) => status,
                Ok(None) => return bad_request("status_id is required".into()),
                Err(refused) => return bad_request(refused),
            };
            let moved = data.set_status(id, status, now).flatten();
            let rendered = render::order(&store, &data, &data.orders[&id], Embed::default());
            drop(data);
            webhooks::order_changed(&emu, &store, id, moved);
            Json(json!({ "order": rendered })).into_response()
        }
        "add_line" => {
            let quantity = request.quantity.unwrap_or(1);
            if quantity < 1 {
                return bad_request("quantity must be at least 1".into());
            }
            if data.add_line(id, request.product_id, quantity, now).is_none() {
                return bad_request("no such product to add".into());
            }
            let rendered = render::order(&store, &data, &data.orders[&id], Embed::default());
            drop(data);
            webhooks::order_changed(&emu, &store, id, None);
            Json(json!({ "order": rendered })).into_response()
        }
        "archive" => {
            if let Some(order) = data.orders.get_mut(&id) {
                order.is_deleted = true;
                order.modified = bump(order.modified, now);
            }
            let rendered = render::order(&store, &data, &data.orders[&id], Embed::default());
            drop(data);
            webhooks::fire(&emu, &store, "store/order/archived", json!({"type": "order", "id": id}));
            Json(json!({ "order": rendered })).into_response()
        }
        "delete" => {
            data.orders.remove(&id);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => not_found("change"),
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ProductChange {
    name: Option<String>,
    sku: Option<String>,
    /// Dollars.
    price: Option<f64>,
    weight: Option<f64>,
}

/// The merchant edits a product: `store/product/updated` fires.
async fn update_product(
    State(emu): AppState,
    Path((hash, id)): Path<(String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let change: ProductChange = match parse(body) {
        Ok(change) => change,
        Err(refused) => return bad_request(refused),
    };
    let rendered = {
        let mut data = store.data.write().expect("data lock");
        let Some(product) = data.products.get_mut(&id) else { return not_found("product") };
        if let Some(name) = change.name {
            product.name = name;
        }
        if let Some(sku) = change.sku {
            product.sku = sku;
        }
        if let Some(price) = change.price {
            product.price_cents = (price * 100.0).round() as i64;
        }
        if let Some(weight) = change.weight {
            product.weight = weight;
            product.variants.iter_mut().for_each(|v| v.weight = weight);
        }
        product.modified = bump(product.modified, emu.clock.unix_now());
        render::product(product, true)
    };
    webhooks::fire(&emu, &store, "store/product/updated", json!({"type": "product", "id": id}));
    Json(json!({ "product": rendered })).into_response()
}

/// Someone registers: `store/customer/created` fires.
async fn create_customer(State(emu): AppState, Path(hash): Path<String>) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let (id, rendered) = {
        let mut data = store.data.write().expect("data lock");
        let id = data.add_customer(emu.clock.unix_now());
        (id, render::customer(&data.customers[&id], Default::default()))
    };
    webhooks::fire(&emu, &store, "store/customer/created", json!({"type": "customer", "id": id}));
    (StatusCode::CREATED, Json(json!({ "customer": rendered }))).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct CustomerChange {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    company: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
}

/// A customer edits their account: `store/customer/updated` fires.
async fn update_customer(
    State(emu): AppState,
    Path((hash, id)): Path<(String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let change: CustomerChange = match parse(body) {
        Ok(change) => change,
        Err(refused) => return bad_request(refused),
    };
    let rendered = {
        let mut data = store.data.write().expect("data lock");
        let Some(customer) = data.customers.get_mut(&id) else { return not_found("customer") };
        let fields = [
            (change.first_name, &mut customer.first_name),
            (change.last_name, &mut customer.last_name),
            (change.email, &mut customer.email),
            (change.company, &mut customer.company),
            (change.phone, &mut customer.phone),
            (change.notes, &mut customer.notes),
        ];
        for (new, field) in fields {
            if let Some(new) = new {
                *field = new;
            }
        }
        customer.modified = bump(customer.modified, emu.clock.unix_now());
        render::customer(customer, Default::default())
    };
    webhooks::fire(&emu, &store, "store/customer/updated", json!({"type": "customer", "id": id}));
    Json(json!({ "customer": rendered })).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct InventoryChange {
    /// The default location unless given.
    location_id: Option<u64>,
    quantity: Option<i64>,
}

/// The merchant sets a variant's stock at a location: the inventory webhook of its tracking
/// fires (`store/sku/inventory/updated` or `store/product/inventory/updated`).
async fn update_inventory(
    State(emu): AppState,
    Path((hash, variant)): Path<(String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let change: InventoryChange = match parse(body) {
        Ok(change) => change,
        Err(refused) => return bad_request(refused),
    };
    let Some(quantity) = change.quantity else { return bad_request("quantity is required".into()) };
    let (changed, item) = {
        let mut data = store.data.write().expect("data lock");
        let location = change.location_id.unwrap_or(1);
        let Some(changed) = data.set_stock(variant, location, quantity, emu.clock.unix_now()) else {
            return not_found("variant or location");
        };
        let item = data.variant(variant).map(|(p, v)| render::inventory_item(&data, p, v, &[])).unwrap_or_default();
        (changed, item)
    };
    webhooks::inventory_changed(&emu, &store, changed);
    Json(json!({ "item": item })).into_response()
}

/// Every hook, with what the API does not show: its deliveries that failed for good, why it was
/// deactivated, and when it last heard of an event.
async fn list_hooks(State(emu): AppState, Path(hash): Path<String>) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let mut hooks = store.hooks.lock().expect("hooks lock");
    hooks.sweep_idle(emu.clock.unix_now());
    let list: Vec<&webhooks::Hook> = hooks.list.values().collect();
    Json(json!({ "hooks": list })).into_response()
}

/// Makes a hook idle past the 90-day rule (as if it heard of nothing since), which deactivates
/// it.
async fn age_hook(State(emu): AppState, Path((hash, id)): Path<(String, u64)>) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    let now = emu.clock.unix_now();
    let mut hooks = store.hooks.lock().expect("hooks lock");
    let Some(hook) = hooks.list.get_mut(&id) else { return not_found("hook") };
    hook.last_activity = now - IDLE_LIMIT;
    hooks.sweep_idle(now);
    Json(json!({ "hook": hooks.list[&id] })).into_response()
}

async fn deliveries(State(emu): AppState, Path(hash): Path<String>) -> Response {
    let Some(store) = emu.bigcommerce.store(&hash) else { return not_found("store") };
    Json(json!({ "deliveries": store.deliveries.lock().expect("deliveries lock").clone() })).into_response()
}
