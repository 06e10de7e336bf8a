//! The control endpoint for WooCommerce sites, under `/_emulator/woocommerce/{site}/…`: faults
//! switched at run time, the merchant's and customers' changes (which fire webhooks as the
//! admin's saves do), the webhooks with their failure counts, their deliveries, and an order as
//! the emulator holds it, for tests to check what a client wrote back.

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
    data::{Note, ORDER_STATUSES},
    render, webhooks, Site,
};
use crate::{config::WooFaults, EmulatorState};

type AppState = State<Arc<EmulatorState>>;

pub fn router() -> Router<Arc<EmulatorState>> {
    Router::new()
        .route("/_emulator/woocommerce/{site}/faults", get(get_faults).post(set_faults))
        .route("/_emulator/woocommerce/{site}/orders", post(create_order))
        .route("/_emulator/woocommerce/{site}/orders/{id}", get(order_state))
        .route("/_emulator/woocommerce/{site}/orders/{id}/{change}", post(change_order))
        .route("/_emulator/woocommerce/{site}/products/{id}/update", post(update_product))
        .route("/_emulator/woocommerce/{site}/customers", post(create_customer))
        .route("/_emulator/woocommerce/{site}/customers/{id}/update", post(update_customer))
        .route("/_emulator/woocommerce/{site}/deliveries", get(deliveries))
        .route("/_emulator/woocommerce/{site}/webhooks", get(list_webhooks))
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": format!("{what} not found") }))).into_response()
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

fn site_of(emu: &EmulatorState, name: &str) -> Option<Arc<Site>> {
    emu.woocommerce.site(name)
}

fn faults_reading(site: &Site) -> Response {
    let faults = site.faults.lock().expect("faults lock").clone();
    Json(json!({ "faults": faults, "latency_ms": site.latency_ms.load(Ordering::Relaxed) })).into_response()
}

async fn get_faults(State(emu): AppState, Path(name): Path<String>) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    faults_reading(&site)
}

/// Merges the posted keys into the site's faults; `latency_ms` changes the fixed latency. The
/// count towards the next host 429 starts again.
async fn set_faults(State(emu): AppState, Path(name): Path<String>, Json(patch): Json<Value>) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    let Some(patch) = patch.as_object() else { return bad_request("faults must be an object".into()) };
    {
        let mut faults = site.faults.lock().expect("faults lock");
        let mut merged = serde_json::to_value(&*faults).unwrap_or_default();
        if let Some(merged) = merged.as_object_mut() {
            merged.extend(patch.iter().filter(|(k, _)| *k != "latency_ms").map(|(k, v)| (k.clone(), v.clone())));
        }
        match serde_json::from_value::<WooFaults>(merged) {
            Ok(new) => *faults = new,
            Err(err) => return bad_request(err.to_string()),
        }
        site.host_requests.store(0, Ordering::Relaxed);
    }
    if let Some(latency) = patch.get("latency_ms") {
        match latency.as_u64() {
            Some(ms) => site.latency_ms.store(ms, Ordering::Relaxed),
            None => return bad_request("latency_ms must be a number of milliseconds".into()),
        }
    }
    faults_reading(&site)
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct OrderChange {
    status: Option<String>,
    /// A note the merchant adds.
    note: Option<String>,
    /// The note is for the customer (emailed, shown in their account).
    customer_note: bool,
    /// `delete` removes the order instead of trashing it.
    force: bool,
}

fn parse<T: Default + for<'de> Deserialize<'de>>(body: Option<Json<Value>>) -> Result<T, String> {
    match body {
        None => Ok(T::default()),
        Some(Json(value)) => serde_json::from_value(value).map_err(|err| err.to_string()),
    }
}

/// An order change, with its status (if any) one WooCommerce has.
fn order_change(body: Option<Json<Value>>) -> Result<OrderChange, String> {
    let change: OrderChange = parse(body)?;
    match &change.status {
        Some(status) if !ORDER_STATUSES.contains(&status.as_str()) => {
            Err(format!("status {status:?} is not one of {}", ORDER_STATUSES.join(", ")))
        }
        _ => Ok(change),
    }
}

/// A customer checks out now (`status`, default `processing`): `order.created` fires.
async fn create_order(State(emu): AppState, Path(name): Path<String>, body: Option<Json<Value>>) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    let change = match order_change(body) {
        Ok(change) => change,
        Err(refused) => return bad_request(refused),
    };
    let now = emu.clock.unix_now();
    let rendered = {
        let mut data = site.data.write().expect("data lock");
        if data.products.is_empty() {
            return bad_request("the site has no products to order".into());
        }
        let status = change.status.as_deref().unwrap_or("processing");
        let id = data.add_order(now, status, now, false);
        render::order(&site, &data, &data.orders[&id])
    };
    let id = rendered["id"].as_u64().unwrap_or_default();
    webhooks::fire(&emu, &site, "order", "created", id);
    (StatusCode::CREATED, Json(json!({ "order": rendered }))).into_response()
}

/// The merchant changes an order in the admin: `update` (`status`, `note`, `customer_note`)
/// saves it and fires `order.updated`; `delete` trashes it (or with `force` removes it) and
/// fires `order.deleted`.
async fn change_order(
    State(emu): AppState,
    Path((name, id, change)): Path<(String, u64, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    let request = match order_change(body) {
        Ok(request) => request,
        Err(refused) => return bad_request(refused),
    };
    let now = emu.clock.unix_now();
    let (rendered, event) = {
        let mut guard = site.data.write().expect("data lock");
        let data = &mut *guard;
        let Some(mut order) = data.orders.remove(&id) else { return not_found("order") };
        let event = match change.as_str() {
            "update" => {
                if let Some(status) = &request.status {
                    data.set_status(&mut order, status, now);
                }
                if let Some(text) = request.note {
                    let note = Note {
                        id: data.ids.comment(),
                        author: "admin".into(),
                        created: now,
                        note: text,
                        customer_note: request.customer_note,
                    };
                    order.notes.push(note);
                }
                "updated"
            }
            "delete" if !request.force => {
                if order.status != "trash" {
                    order.status_before_trash = Some(std::mem::replace(&mut order.status, "trash".into()));
                }
                "deleted"
            }
            "delete" => {
                let rendered = render::order(&site, data, &order);
                drop(guard);
                webhooks::fire(&emu, &site, "order", "deleted", id);
                return Json(json!({ "order": rendered })).into_response();
            }
            _ => {
                data.orders.insert(id, order);
                return not_found("change");
            }
        };
        order.modified = now;
        let rendered = render::order(&site, data, &order);
        data.orders.insert(id, order);
        (rendered, event)
    };
    webhooks::fire(&emu, &site, "order", event, id);
    Json(json!({ "order": rendered })).into_response()
}

/// The order as the emulator holds it: rendered, with every note (oldest first), every tracking
/// item (whether or not the extension shows them) and its meta.
async fn order_state(State(emu): AppState, Path((name, id)): Path<(String, u64)>) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    let data = site.data.read().expect("data lock");
    let Some(order) = data.orders.get(&id) else { return not_found("order") };
    let notes: Vec<Value> = order.notes.iter().map(|note| render::note(&site, id, note)).collect();
    let tracking: Vec<Value> = order.tracking.iter().map(|item| render::tracking_item(&site, id, item)).collect();
    let rendered = render::order(&site, &data, order);
    Json(json!({ "order": rendered, "notes": notes, "tracking": tracking, "meta_data": rendered["meta_data"] }))
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ProductChange {
    name: Option<String>,
    sku: Option<String>,
    weight: Option<String>,
    price: Option<String>,
    stock_quantity: Option<i64>,
}

/// The merchant edits a product: `product.updated` fires.
async fn update_product(
    State(emu): AppState,
    Path((name, id)): Path<(String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    let change: ProductChange = match parse(body) {
        Ok(change) => change,
        Err(refused) => return bad_request(refused),
    };
    let price = match change.price.as_deref().map(parse_cents) {
        Some(None) => return bad_request("price must be an amount such as \"12.50\"".into()),
        Some(Some(cents)) => Some(cents),
        None => None,
    };
    let rendered = {
        let mut data = site.data.write().expect("data lock");
        let Some(product) = data.products.get_mut(&id) else { return not_found("product") };
        if let Some(name) = change.name {
            product.name = name;
        }
        if let Some(sku) = change.sku {
            product.sku = sku;
        }
        if let Some(weight) = change.weight {
            product.weight = weight;
        }
        if let Some(cents) = price {
            product.price_cents = cents;
        }
        if change.stock_quantity.is_some() {
            product.stock = change.stock_quantity;
        }
        product.modified = emu.clock.unix_now();
        render::product(&site, product)
    };
    webhooks::fire(&emu, &site, "product", "updated", id);
    Json(json!({ "product": rendered })).into_response()
}

fn parse_cents(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let fraction = format!("{fraction:0<2}");
    if fraction.len() != 2 {
        return None;
    }
    Some(whole.parse::<i64>().ok()? * 100 + fraction.parse::<i64>().ok()?)
}

/// Someone registers: `customer.created` fires.
async fn create_customer(State(emu): AppState, Path(name): Path<String>) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    let rendered = {
        let mut data = site.data.write().expect("data lock");
        let id = data.add_customer(emu.clock.unix_now());
        render::customer(&site, &data.customers[&id])
    };
    let id = rendered["id"].as_u64().unwrap_or_default();
    webhooks::fire(&emu, &site, "customer", "created", id);
    (StatusCode::CREATED, Json(json!({ "customer": rendered }))).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct CustomerChange {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
}

/// A customer edits their account: `customer.updated` fires.
async fn update_customer(
    State(emu): AppState,
    Path((name, id)): Path<(String, u64)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    let change: CustomerChange = match parse(body) {
        Ok(change) => change,
        Err(refused) => return bad_request(refused),
    };
    let rendered = {
        let mut data = site.data.write().expect("data lock");
        let Some(customer) = data.customers.get_mut(&id) else { return not_found("customer") };
        if let Some(first) = change.first_name {
            customer.billing.first_name = first.clone();
            customer.first_name = first;
        }
        if let Some(last) = change.last_name {
            customer.billing.last_name = last.clone();
            customer.last_name = last;
        }
        if let Some(email) = change.email {
            customer.billing.email = email.clone();
            customer.email = email;
        }
        customer.modified = emu.clock.unix_now();
        render::customer(&site, customer)
    };
    webhooks::fire(&emu, &site, "customer", "updated", id);
    Json(json!({ "customer": rendered })).into_response()
}

async fn deliveries(State(emu): AppState, Path(name): Path<String>) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    Json(json!({ "deliveries": site.deliveries.lock().expect("deliveries lock").clone() })).into_response()
}

/// Every webhook with what the API does not show: its failure count and secret.
async fn list_webhooks(State(emu): AppState, Path(name): Path<String>) -> Response {
    let Some(site) = site_of(&emu, &name) else { return not_found("site") };
    let webhooks = site.webhooks.lock().expect("webhooks lock");
    let list: Vec<Value> = webhooks
        .list
        .values()
        .map(|w| {
            json!({"id": w.id, "name": w.name, "status": w.status, "topic": w.topic,
                   "delivery_url": w.delivery_url, "failure_count": w.failure_count, "secret": w.secret})
        })
        .collect();
    Json(json!({ "webhooks": list })).into_response()
}

#[cfg(test)]
mod tests {
    use super::parse_cents;

    #[test]
    fn prices_parse_to_cents() {
        assert_eq!(parse_cents("12.5"), Some(1250));
        assert_eq!(parse_cents("12"), Some(1200));
        assert_eq!(parse_cents("0.99"), Some(99));
        assert_eq!(parse_cents("1.999"), None);
        assert_eq!(parse_cents("x"), None);
    }
}
