//! The v2 API: store information, orders with their products, shipping addresses and shipments.
//! Collections are bare arrays, and an empty page is `204 No Content` with no body at all.
//! Refusals are arrays of `{status, message}`.

use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    data::{status_name, Address, NewShipment, Order, StoreData, STATUSES},
    params::{parse_date, DateOnly, Page, MAX_LIMIT},
    render::{self, Embed, PROVIDERS},
    v2_error, webhooks, Call, Reply, Resource, RouteNeeds,
};

const GET: &[Method] = &[Method::GET];
const GET_POST: &[Method] = &[Method::GET, Method::POST];
const GET_PUT_DELETE: &[Method] = &[Method::GET, Method::PUT, Method::DELETE];

/// What each status means, as `/v2/orders/count` describes it.
const DESCRIPTIONS: &[(u8, &str)] = &[
    (0, "An incomplete order happens when a shopper reached the payment page, but did not complete the transaction."),
    (1, "Customer started the checkout process, but did not complete it."),
    (2, "Order has been shipped, but receipt has not been confirmed; seller has used the Ship Items action."),
    (3, "Only some items in the order have been shipped, due to some products being pre-order only or other reasons."),
    (4, "Seller has used the Refund action."),
    (5, "Seller has cancelled an order, due to a stock inconsistency or other reasons."),
    (6, "Seller has marked the order as declined for lack of manual payment, or other reasons."),
    (7, "Customer has completed checkout process, but payment has yet to be confirmed."),
    (8, "Order has been pulled, and is awaiting customer pickup from a seller-specified location."),
    (9, "Order has been pulled and packaged, and is awaiting collection from a shipping provider."),
    (10, "Client has paid for their digital product and their file(s) are available for download."),
    (11, "Customer has completed the checkout process and payment has been confirmed."),
    (12, "Order is on hold while some aspect needs to be manually confirmed."),
    (13, "Customer has initiated a dispute resolution process for the PayPal transaction that paid for the order."),
    (14, "Seller has partially refunded the order."),
];

fn not_found() -> Reply {
    v2_error(404, "The requested resource was not found.")
}

fn invalid(field: &str) -> Reply {
    v2_error(400, &format!("The field '{field}' is invalid."))
}

fn required(field: &str) -> Reply {
    v2_error(400, &format!("The required field '{field}' was not supplied."))
}

fn too_large(limit: usize) -> Reply {
    v2_error(413, &format!("The limit of {limit} is more than the maximum of {MAX_LIMIT} items a page."))
}

fn id(segment: &str) -> Option<u64> {
    segment.bytes().all(|b| b.is_ascii_digit()).then(|| segment.parse().ok()).flatten()
}

fn is_addresses(segment: &str) -> bool {
    // The documented route and the spelling the orders' own links use.
    segment == "shipping_addresses" || segment == "shippingaddresses"
}

pub fn needs(segments: &[&str]) -> Option<RouteNeeds> {
    let (resource, methods) = match segments {
        ["store"] | ["time"] => (Resource::StoreInformation, GET),
        ["orders"] => (Resource::Orders, GET_POST),
        ["orders", "count"] => (Resource::Orders, GET),
        ["orders", order] => (Resource::Orders, id(order).map(|_| GET_PUT_DELETE)?),
        ["orders", order, "products"] => (Resource::Orders, id(order).map(|_| GET)?),
        ["orders", order, "products", line] => (Resource::Orders, id(order).and(id(line)).map(|_| GET)?),
        ["orders", order, addresses] if is_addresses(addresses) => (Resource::Orders, id(order).map(|_| GET)?),
        ["orders", order, addresses, address] if is_addresses(addresses) => {
            (Resource::Orders, id(order).and(id(address)).map(|_| GET)?)
        }
        ["orders", order, "shipments"] => (Resource::Orders, id(order).map(|_| GET_POST)?),
        ["orders", order, "shipments", "count"] => (Resource::Orders, id(order).map(|_| GET)?),
        ["orders", order, "shipments", shipment] => {
            (Resource::Orders, id(order).and(id(shipment)).map(|_| GET_PUT_DELETE)?)
        }
        _ => return None,
    };
    Some(RouteNeeds { resource: Some(resource), methods })
}

pub fn serve(call: &Call<'_>) -> Reply {
    let method = call.method.clone();
    let number = |i: usize| call.segments.get(i).and_then(|s| id(s)).unwrap_or_default();
    match (call.segments.as_slice(), method) {
        (["store"], _) => Reply::ok(&render::store_information(call.store)),
        (["time"], _) => Reply::ok(&json!({ "time": call.now })),
        (["orders"], Method::POST) => create_order(call),
        (["orders"], _) => list_orders(call),
        (["orders", "count"], _) => count_orders(call),
        (["orders", _], Method::PUT) => update_order(call, number(1)),
        (["orders", _], Method::DELETE) => archive_order(call, number(1)),
        (["orders", _], _) => get_order(call, number(1)),
        (["orders", _, "products"], _) => with_order(call, number(1), |data, order| {
            page_of(call, order.lines.iter().map(|l| render::order_product(data, order, l)).collect())
        }),
        (["orders", _, "products", _], _) => with_order(call, number(1), |data, order| {
            let line = order.lines.iter().find(|l| l.id == number(3));
            line.map_or_else(not_found, |l| Reply::ok(&render::order_product(data, order, l)))
        }),
        (["orders", _, _], _) if is_addresses(call.segments[2]) => with_order(call, number(1), |_, order| {
            page_of(call, order.addresses.iter().map(|a| render::shipping_address(call.store, order, a)).collect())
        }),
        (["orders", _, _, _], _) if is_addresses(call.segments[2]) => with_order(call, number(1), |_, order| {
            let address = order.addresses.iter().find(|a| a.id == number(3));
            address.map_or_else(not_found, |a| Reply::ok(&render::shipping_address(call.store, order, a)))
        }),
        (["orders", _, "shipments"], Method::POST) => create_shipment(call, number(1)),
        (["orders", _, "shipments"], _) => with_order(call, number(1), |_, order| {
            page_of(call, order.shipments.iter().map(|s| render::shipment(order, s)).collect())
        }),
        (["orders", _, "shipments", "count"], _) => {
            with_order(call, number(1), |_, order| Reply::ok(&json!({ "count": order.shipments.len() })))
        }
        (["orders", _, "shipments", _], Method::PUT) => update_shipment(call, number(1), number(3)),
        (["orders", _, "shipments", _], Method::DELETE) => delete_shipment(call, number(1), number(3)),
        (["orders", _, "shipments", _], _) => with_order(call, number(1), |_, order| {
            let shipment = order.shipments.iter().find(|s| s.id == number(3));
            shipment.map_or_else(not_found, |s| Reply::ok(&render::shipment(order, s)))
        }),
        _ => not_found(),
    }
}

/// Answers from an order the store has, or 404.
fn with_order(call: &Call<'_>, order_id: u64, answer: impl FnOnce(&StoreData, &Order) -> Reply) -> Reply {
    let data = call.store.data.read().expect("data lock");
    match data.orders.get(&order_id) {
        Some(order) => answer(&data, order),
        None => not_found(),
    }
}

/// One page of a v2 collection: a bare array, or 204 when the page is empty.
fn page_of(call: &Call<'_>, items: Vec<Value>) -> Reply {
    let page = match Page::of(&call.params) {
        Ok(page) => page,
        Err(limit) => return too_large(limit),
    };
    let shown = page.slice(&items);
    if shown.is_empty() {
        Reply::no_content()
    } else {
        Reply::ok(&Value::Array(shown.to_vec()))
    }
}

fn embed(call: &Call<'_>) -> Embed {
    let include = call.params.list("include");
    let line_items = include.contains(&"consignments.line_items");
    Embed {
        consignments: line_items || include.contains(&"consignments"),
        line_items,
        object_structure: call.params.get("consignment_structure") == Some("object"),
    }
}

/// The orders the list's filters select, sorted as asked (by id by default). Archived orders
/// show only to `is_deleted=true`; incomplete ones only to `status_id=0`.
fn select_orders<'a>(call: &Call<'_>, data: &'a StoreData) -> Result<Vec<&'a Order>, Reply> {
    let params = &call.params;
    let offset = call.store.config.utc_offset_minutes;
    let date = |name: &str| -> Result<Option<i64>, Reply> {
        match params.get(name) {
            None => Ok(None),
            Some(text) => parse_date(text, offset, DateOnly::Midnight, call.now).map(Some).ok_or_else(|| invalid(name)),
        }
    };
    let number = |name: &str| -> Result<Option<u64>, Reply> {
        match params.get(name) {
            None => Ok(None),
            Some(text) => text.trim().parse().map(Some).map_err(|_| invalid(name)),
        }
    };
    // [inferred] Whether the date bounds include their own second is not documented; like the
    // other platforms' filters they are taken as exclusive.
    let (min_created, max_created) = (date("min_date_created")?, date("max_date_created")?);
    let (min_modified, max_modified) = (date("min_date_modified")?, date("max_date_modified")?);
    let (min_id, max_id, customer) = (number("min_id")?, number("max_id")?, number("customer_id")?);
    let status = number("status_id")?;
    let archived = params.get("is_deleted").is_some_and(|v| v == "true" || v == "1");
    let email = params.get("email");
    let mut orders: Vec<&Order> = data
        .orders
        .values()
        .filter(|o| o.is_deleted == archived)
        .filter(|o| match status {
            Some(status) => u64::from(o.status_id) == status,
            None => o.status_id != 0,
        })
        .filter(|o| min_id.is_none_or(|min| o.id >= min) && max_id.is_none_or(|max| o.id <= max))
        .filter(|o| customer.is_none_or(|c| o.customer_id == c))
        .filter(|o| email.is_none_or(|e| o.billing.email.eq_ignore_ascii_case(e)))
        .filter(|o| min_created.is_none_or(|t| o.created > t) && max_created.is_none_or(|t| o.created < t))
        .filter(|o| min_modified.is_none_or(|t| o.modified > t) && max_modified.is_none_or(|t| o.modified < t))
        .collect();
    if let Some(sort) = params.get("sort") {
        let (field, direction) = sort.split_once(':').unwrap_or((sort, "asc"));
        let key = |o: &Order| -> (i64, u64) {
            match field {
                "date_created" => (o.created, o.id),
                "date_modified" => (o.modified, o.id),
                "status_id" => (i64::from(o.status_id), o.id),
                "customer_id" => (o.customer_id as i64, o.id),
                _ => (o.id as i64, o.id),
            }
        };
        orders.sort_by_key(|o| key(o));
        if direction.eq_ignore_ascii_case("desc") {
            orders.reverse();
        }
    }
    Ok(orders)
}

fn list_orders(call: &Call<'_>) -> Reply {
    let page = match Page::of(&call.params) {
        Ok(page) => page,
        Err(limit) => return too_large(limit),
    };
    let data = call.store.data.read().expect("data lock");
    let orders = match select_orders(call, &data) {
        Ok(orders) => orders,
        Err(refused) => return refused,
    };
    let embed = embed(call);
    let shown: Vec<Value> =
        page.slice(&orders).iter().map(|order| render::order(call.store, &data, order, embed)).collect();
    if shown.is_empty() {
        return Reply::no_content();
    }
    Reply::ok(&Value::Array(shown))
}

fn count_orders(call: &Call<'_>) -> Reply {
    let data = call.store.data.read().expect("data lock");
    let orders = match select_orders(call, &data) {
        Ok(orders) => orders,
        Err(refused) => return refused,
    };
    let statuses: Vec<Value> = STATUSES
        .iter()
        .enumerate()
        .map(|(sort_order, (id, name))| {
            let description = DESCRIPTIONS.iter().find(|(n, _)| n == id).map_or("", |(_, d)| d);
            json!({
                "id": id, "name": name, "system_label": name, "custom_label": name,
                "system_description": description,
                "count": orders.iter().filter(|o| o.status_id == *id).count(),
                "sort_order": sort_order,
            })
        })
        .collect();
    Reply::ok(&json!({ "statuses": statuses, "count": orders.len() }))
}

fn get_order(call: &Call<'_>, order_id: u64) -> Reply {
    with_order(call, order_id, |data, order| Reply::ok(&render::order(call.store, data, order, embed(call))))
}

/// `PUT /v2/orders/{id}`: a new `status_id`, `is_deleted` (archiving it, as DELETE does), or
/// staff notes. The changes fire their webhooks.
fn update_order(call: &Call<'_>, order_id: u64) -> Reply {
    let Some(body) = call.json_body() else { return v2_error(400, "The request body is not valid JSON.") };
    let status = match body.get("status_id") {
        None => None,
        Some(value) => match value.as_u64().and_then(|n| u8::try_from(n).ok()) {
            Some(n) if STATUSES.iter().any(|(id, _)| *id == n) => Some(n),
            _ => return invalid("status_id"),
        },
    };
    let archive = body.get("is_deleted").and_then(Value::as_bool);
    let (rendered, change, archived) = {
        let mut data = call.store.data.write().expect("data lock");
        if !data.orders.contains_key(&order_id) {
            return not_found();
        }
        let change = status.and_then(|s| data.set_status(order_id, s, call.now).flatten());
        let Some(order) = data.orders.get_mut(&order_id) else { return not_found() };
        let archived = archive == Some(true) && !order.is_deleted;
        if let Some(flag) = archive {
            order.is_deleted = flag;
        }
        if let Some(notes) = body.get("staff_notes").and_then(Value::as_str) {
            order.staff_notes = notes.to_owned();
        }
        order.modified = super::data::bump(order.modified, call.now);
        (render::order(call.store, &data, &data.orders[&order_id], Embed::default()), change, archived)
    };
    if archived {
        webhooks::fire(call.emu, call.store, "store/order/archived", json!({"type": "order", "id": order_id}));
    }
    webhooks::order_changed(call.emu, call.store, order_id, change);
    Reply::ok(&rendered)
}

/// `DELETE /v2/orders/{id}` archives the order.
fn archive_order(call: &Call<'_>, order_id: u64) -> Reply {
    {
        let mut data = call.store.data.write().expect("data lock");
        let Some(order) = data.orders.get_mut(&order_id) else { return not_found() };
        order.is_deleted = true;
        order.modified = super::data::bump(order.modified, call.now);
    }
    webhooks::fire(call.emu, call.store, "store/order/archived", json!({"type": "order", "id": order_id}));
    Reply::no_content()
}

/// `POST /v2/orders`: a new order of catalog products (`products[{product_id, quantity}]`, a
/// variant chosen by `variant_id` or the first) with a `billing_address`, shipped to it.
fn create_order(call: &Call<'_>) -> Reply {
    let Some(body) = call.json_body() else { return v2_error(400, "The request body is not valid JSON.") };
    let Some(billing) = body.get("billing_address").and_then(Value::as_object) else {
        return required("billing_address");
    };
    let Some(products) = body.get("products").and_then(Value::as_array).filter(|p| !p.is_empty()) else {
        return required("products");
    };
    let mut wanted = Vec::with_capacity(products.len());
    for product in products {
        let product_id = product.get("product_id").and_then(Value::as_u64);
        let quantity = product.get("quantity").and_then(Value::as_i64).filter(|q| *q > 0);
        match (product_id, quantity) {
            (Some(p), Some(q)) => wanted.push((p, product.get("variant_id").and_then(Value::as_u64), q)),
            (None, _) => return invalid("product_id"),
            (_, None) => return invalid("quantity"),
        }
    }
    let status = match body.get("status_id") {
        None => 1,
        Some(value) => match value.as_u64().and_then(|n| u8::try_from(n).ok()) {
            Some(n) if STATUSES.iter().any(|(id, _)| *id == n) => n,
            _ => return invalid("status_id"),
        },
    };
    let address = address_from(billing);
    let (rendered, id) = {
        let mut data = call.store.data.write().expect("data lock");
        let Some(id) = data.place_order(call.now, status, address, &wanted) else { return invalid("product_id") };
        (render::order(call.store, &data, &data.orders[&id], Embed::default()), id)
    };
    webhooks::fire(call.emu, call.store, "store/order/created", json!({"type": "order", "id": id}));
    Reply::json(StatusCode::CREATED, &rendered)
}

fn address_from(fields: &Map<String, Value>) -> Address {
    let text = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    Address {
        first_name: text("first_name"),
        last_name: text("last_name"),
        company: text("company"),
        street_1: text("street_1"),
        street_2: text("street_2"),
        city: text("city"),
        state: text("state"),
        zip: text("zip"),
        country: text("country"),
        country_iso2: text("country_iso2"),
        phone: text("phone"),
        email: text("email"),
    }
}

/// An id sent as a number or, as the documentation's own example does, a string of digits.
fn loose_id(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => id(s.trim()),
        _ => None,
    }
}

fn text_field(body: &Map<String, Value>, name: &'static str, max: usize) -> Result<String, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(s.clone()),
        Some(_) => Err(invalid(name)),
    }
}

/// The optional fields of a shipment, checked as the API checks them.
fn shipment_fields(body: &Map<String, Value>) -> Result<NewShipment, Reply> {
    let provider = text_field(body, "shipping_provider", 100)?;
    if !(PROVIDERS.iter().any(|(code, _)| *code == provider) || provider.starts_with("carrier_")) {
        return Err(invalid("shipping_provider"));
    }
    Ok(NewShipment {
        tracking_number: text_field(body, "tracking_number", 50)?,
        shipping_provider: provider,
        tracking_carrier: text_field(body, "tracking_carrier", 100)?,
        tracking_link: text_field(body, "tracking_link", 500)?,
        shipping_method: text_field(body, "shipping_method", 250)?,
        comments: text_field(body, "comments", 65_535)?,
        merchant_shipping_cost: text_field(body, "merchant_shipping_cost", 20)?,
        ..Default::default()
    })
}

/// `POST /v2/orders/{id}/shipments`: ships items of one address of the order. It refuses an
/// address or product not on the order and more than remains to ship; shipping counts the items
/// shipped, moves the order to Partially Shipped or Shipped, and fires `store/shipment/created`
/// (and the order's status events).
fn create_shipment(call: &Call<'_>, order_id: u64) -> Reply {
    let Some(body) = call.json_body() else { return v2_error(400, "The request body is not valid JSON.") };
    if !call.store.data.read().expect("data lock").orders.contains_key(&order_id) {
        return not_found();
    }
    let Some(address) = body.get("order_address_id") else { return required("order_address_id") };
    let Some(order_address_id) = loose_id(Some(address)) else { return invalid("order_address_id") };
    let Some(items) = body.get("items").and_then(Value::as_array).filter(|i| !i.is_empty()) else {
        return required("items");
    };
    let mut wanted = Vec::with_capacity(items.len());
    for item in items {
        let Some(product) = loose_id(item.get("order_product_id")) else { return invalid("order_product_id") };
        let Some(quantity) = item.get("quantity").and_then(Value::as_i64) else { return invalid("quantity") };
        wanted.push((product, quantity));
    }
    let mut request = match shipment_fields(&body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    request.order_address_id = order_address_id;
    request.items = wanted;
    let (rendered, shipped) = {
        let mut data = call.store.data.write().expect("data lock");
        let shipped = match data.ship(order_id, request, call.now) {
            Ok(shipped) => shipped,
            Err(field) => return invalid(field),
        };
        let order = &data.orders[&order_id];
        let shipment = order.shipments.iter().find(|s| s.id == shipped.shipment_id);
        (shipment.map(|s| render::shipment(order, s)).unwrap_or_default(), shipped)
    };
    let data = json!({ "type": "shipment", "id": shipped.shipment_id, "orderId": order_id });
    webhooks::fire(call.emu, call.store, "store/shipment/created", data);
    webhooks::order_changed(call.emu, call.store, order_id, shipped.status_change);
    Reply::json(StatusCode::CREATED, &rendered)
}

/// `PUT /v2/orders/{id}/shipments/{id}`: new tracking, provider, carrier, link, method or
/// comments; fires `store/shipment/updated`.
fn update_shipment(call: &Call<'_>, order_id: u64, shipment_id: u64) -> Reply {
    let Some(body) = call.json_body() else { return v2_error(400, "The request body is not valid JSON.") };
    let changes = match shipment_fields(&body) {
        Ok(changes) => changes,
        Err(refused) => return refused,
    };
    let rendered = {
        let mut data = call.store.data.write().expect("data lock");
        let Some(order) = data.orders.get_mut(&order_id) else { return not_found() };
        let Some(shipment) = order.shipments.iter_mut().find(|s| s.id == shipment_id) else { return not_found() };
        let given = |name: &str| body.contains_key(name);
        if given("tracking_number") {
            shipment.tracking_number = changes.tracking_number;
        }
        if given("shipping_provider") {
            shipment.shipping_provider = changes.shipping_provider;
        }
        if given("tracking_carrier") {
            shipment.tracking_carrier = changes.tracking_carrier;
        }
        if given("tracking_link") {
            shipment.tracking_link = changes.tracking_link;
        }
        if given("shipping_method") {
            shipment.shipping_method = changes.shipping_method;
        }
        if given("comments") {
            shipment.comments = changes.comments;
        }
        let shipment = shipment.clone();
        order.modified = super::data::bump(order.modified, call.now);
        render::shipment(order, &shipment)
    };
    let data = json!({ "type": "shipment", "id": shipment_id, "orderId": order_id });
    webhooks::fire(call.emu, call.store, "store/shipment/updated", data);
    Reply::ok(&rendered)
}

fn delete_shipment(call: &Call<'_>, order_id: u64, shipment_id: u64) -> Reply {
    let deleted = call.store.data.write().expect("data lock").delete_shipment(order_id, shipment_id, call.now);
    if deleted.is_none() {
        return not_found();
    }
    let data = json!({ "type": "shipment", "id": shipment_id, "orderId": order_id });
    webhooks::fire(call.emu, call.store, "store/shipment/deleted", data);
    Reply::no_content()
}

/// The status names, for the control endpoint's refusals.
pub fn status_list() -> String {
    STATUSES.iter().map(|(id, _)| format!("{id} ({})", status_name(*id))).collect::<Vec<_>>().join(", ")
}
