//! The v3 API: the catalog, customers, inventory locations and items, and webhooks. Answers are
//! `{data, meta}`; collections page with `meta.pagination` (customers also with cursors), and an
//! empty page is an empty `data`. Refusals are `{status, title, type, errors?}`.

use std::collections::BTreeMap;

use axum::http::Method;
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
use serde_json::{json, Map, Value};

use super::{
    data::{Customer, Product, Stock, StoreData, Variant},
    params::{parse_date, DateOnly, Page, Params, MAX_LIMIT},
    render::{self, CustomerEmbed},
    v3_error,
    webhooks::{self, Hook, MAX_PER_SCOPE},
    Call, Reply, Resource, RouteNeeds,
};

const GET: &[Method] = &[Method::GET];
const GET_POST: &[Method] = &[Method::GET, Method::POST];
const GET_PUT: &[Method] = &[Method::GET, Method::PUT];
const PUT: &[Method] = &[Method::PUT];
const GET_PUT_DELETE: &[Method] = &[Method::GET, Method::PUT, Method::DELETE];

fn not_found() -> Reply {
    v3_error(404, "Not Found", None)
}

fn too_large(limit: usize) -> Reply {
    v3_error(413, &format!("The limit of {limit} is more than the maximum of {MAX_LIMIT} items a page."), None)
}

/// A 422 naming the fields that are wrong.
fn unprocessable(title: &str, errors: Value) -> Reply {
    v3_error(422, title, Some(errors))
}

fn id(segment: &str) -> Option<u64> {
    segment.bytes().all(|b| b.is_ascii_digit()).then(|| segment.parse().ok()).flatten()
}

pub fn needs(segments: &[&str]) -> Option<RouteNeeds> {
    let (resource, methods) = match segments {
        ["catalog", "products"] | ["catalog", "variants"] => (Some(Resource::Products), GET),
        ["catalog", "products", product] => (Some(Resource::Products), id(product).map(|_| GET)?),
        ["catalog", "products", product, "variants"] => (Some(Resource::Products), id(product).map(|_| GET)?),
        ["catalog", "products", product, "variants", variant] => {
            (Some(Resource::Products), id(product).and(id(variant)).map(|_| GET)?)
        }
        ["customers"] => (Some(Resource::Customers), GET),
        ["inventory", "locations"] => (Some(Resource::Locations), GET),
        ["inventory", "locations", location, "items"] => (Some(Resource::Inventory), id(location).map(|_| GET_PUT)?),
        ["inventory", "items"] => (Some(Resource::Inventory), GET),
        ["inventory", "adjustments", "absolute"] => (Some(Resource::Inventory), PUT),
        // Webhooks need no scope: every API account has them.
        ["hooks"] => (None, GET_POST),
        ["hooks", hook] => (None, id(hook).map(|_| GET_PUT_DELETE)?),
        _ => return None,
    };
    Some(RouteNeeds { resource, methods })
}

pub fn serve(call: &Call<'_>) -> Reply {
    let method = call.method.clone();
    let number = |i: usize| call.segments.get(i).and_then(|s| id(s)).unwrap_or_default();
    match (call.segments.as_slice(), method) {
        (["catalog", "products"], _) => products(call),
        (["catalog", "products", _], _) => {
            let data = call.store.data.read().expect("data lock");
            let include = call.params.list("include").contains(&"variants");
            match data.products.get(&number(2)) {
                Some(product) => Reply::ok(&json!({ "data": render::product(product, include), "meta": {} })),
                None => not_found(),
            }
        }
        (["catalog", "products", _, "variants"], _) => {
            let data = call.store.data.read().expect("data lock");
            let Some(product) = data.products.get(&number(2)) else { return not_found() };
            let variants: Vec<Value> = product.variants.iter().map(|v| render::variant(product, v)).collect();
            collection(call, variants)
        }
        (["catalog", "products", _, "variants", _], _) => {
            let data = call.store.data.read().expect("data lock");
            let found =
                data.products.get(&number(2)).and_then(|p| Some((p, p.variants.iter().find(|v| v.id == number(4))?)));
            match found {
                Some((product, variant)) => {
                    Reply::ok(&json!({ "data": render::variant(product, variant), "meta": {} }))
                }
                None => not_found(),
            }
        }
        (["catalog", "variants"], _) => variants(call),
        (["customers"], _) => customers(call),
        (["inventory", "locations"], _) => locations(call),
        (["inventory", "locations", _, "items"], Method::PUT) => location_settings(call, number(2)),
        (["inventory", "locations", _, "items"], _) => location_items(call, number(2)),
        (["inventory", "items"], _) => inventory_items(call),
        (["inventory", "adjustments", "absolute"], _) => absolute_adjustment(call),
        (["hooks"], Method::POST) => create_hook(call),
        (["hooks"], _) => list_hooks(call),
        (["hooks", _], Method::PUT) => update_hook(call, number(1)),
        (["hooks", _], Method::DELETE) => delete_hook(call, number(1)),
        (["hooks", _], _) => get_hook(call, number(1)),
        _ => not_found(),
    }
}

/// `meta.pagination` for page `page` of `total` items, `count` of them on it; links keep the
/// request's other parameters.
fn pagination(params: &Params, page: Page, total: usize, count: usize) -> Value {
    let pages = page.total_pages(total);
    let mut links = Map::new();
    if page.page > 1 {
        links.insert("previous".into(), json!(params.page_link(page.page - 1, page.limit)));
    }
    links.insert("current".into(), json!(params.page_link(page.page, page.limit)));
    if page.page < pages {
        links.insert("next".into(), json!(params.page_link(page.page + 1, page.limit)));
    }
    json!({
        "total": total, "count": count, "per_page": page.limit, "current_page": page.page,
        "total_pages": pages, "links": links,
    })
}

/// One page of `items` as `{data, meta: {pagination}}`.
fn collection(call: &Call<'_>, items: Vec<Value>) -> Reply {
    let page = match Page::of(&call.params) {
        Ok(page) => page,
        Err(limit) => return too_large(limit),
    };
    let shown = page.slice(&items).to_vec();
    let meta = json!({ "pagination": pagination(&call.params, page, items.len(), shown.len()) });
    Reply::ok(&json!({ "data": shown, "meta": meta }))
}

/// A `…:min` / `…:max` pair of date filters; `Err` is the refusal of an unreadable one.
fn date_bounds(call: &Call<'_>, field: &str, date_only: DateOnly) -> Result<(Option<i64>, Option<i64>), Reply> {
    let offset = call.store.config.utc_offset_minutes;
    let read = |suffix: &str| {
        let name = format!("{field}:{suffix}");
        match call.params.get(&name) {
            None => Ok(None),
            Some(text) => parse_date(text, offset, date_only, call.now).map(Some).ok_or_else(|| {
                unprocessable("The filter is invalid.", json!({ name.clone(): format!("{name} is not a valid date") }))
            }),
        }
    };
    Ok((read("min")?, read("max")?))
}

/// Whether `at` lies between the bounds, both exclusive.
fn within(at: i64, (min, max): (Option<i64>, Option<i64>)) -> bool {
    min.is_none_or(|min| at > min) && max.is_none_or(|max| at < max)
}

fn ids_filter(call: &Call<'_>, name: &str) -> Result<Option<Vec<u64>>, Reply> {
    call.params.ids(name).map_err(|name| {
        unprocessable("The filter is invalid.", json!({ name.clone(): format!("{name} must be a list of ids") }))
    })
}

fn products(call: &Call<'_>) -> Reply {
    // The documented pitfall: a date without a time gets the request's time of day.
    let modified = match date_bounds(call, "date_modified", DateOnly::RequestTime) {
        Ok(bounds) => bounds,
        Err(refused) => return refused,
    };
    let ids = match ids_filter(call, "id:in") {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let sku = call.params.get("sku");
    let data = call.store.data.read().expect("data lock");
    let mut selected: Vec<&Product> = data
        .products
        .values()
        .filter(|p| ids.as_ref().is_none_or(|ids| ids.contains(&p.id)))
        .filter(|p| sku.is_none_or(|sku| p.sku == sku || p.variants.iter().any(|v| v.sku == sku)))
        .filter(|p| within(p.modified, modified))
        .collect();
    match call.params.get("sort") {
        Some("name") => selected.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
        Some("sku") => selected.sort_by(|a, b| a.sku.cmp(&b.sku)),
        Some("date_modified") => selected.sort_by_key(|p| (p.modified, p.id)),
        _ => {}
    }
    if call.params.get("direction") == Some("desc") {
        selected.reverse();
    }
    let variants = call.params.list("include").contains(&"variants");
    collection(call, selected.into_iter().map(|p| render::product(p, variants)).collect())
}

fn variants(call: &Call<'_>) -> Reply {
    let products = match ids_filter(call, "product_id:in") {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let sku = call.params.get("sku");
    let data = call.store.data.read().expect("data lock");
    let all: Vec<Value> = data
        .products
        .values()
        .filter(|p| products.as_ref().is_none_or(|ids| ids.contains(&p.id)))
        .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
        .filter(|(_, v)| sku.is_none_or(|sku| v.sku == sku))
        .map(|(p, v)| render::variant(p, v))
        .collect();
    collection(call, all)
}

fn customer_embed(call: &Call<'_>) -> CustomerEmbed {
    let include = call.params.list("include");
    CustomerEmbed {
        addresses: include.contains(&"addresses"),
        store_credit: include.contains(&"storecredit"),
        shopper_profile: include.contains(&"shopper_profile_id"),
        segments: include.contains(&"segment_ids"),
    }
}

/// A customers cursor: base64 of `{"id":N}`, as the documentation's examples are.
fn cursor(id: u64) -> String {
    STANDARD_NO_PAD.encode(format!("{{\"id\":{id}}}"))
}

fn cursor_id(text: &str) -> Option<u64> {
    let bytes = STANDARD_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Value>(&bytes).ok()?.get("id")?.as_u64()
}

/// `/v3/customers`: pages by `page`, or by cursor (`after`, `before`), which then overrides the
/// page. `start_cursor` and `end_cursor` come only on the first page or with a cursor.
fn customers(call: &Call<'_>) -> Reply {
    let page = match Page::of(&call.params) {
        Ok(page) => page,
        Err(limit) => return too_large(limit),
    };
    let (modified, created) = match (
        date_bounds(call, "date_modified", DateOnly::Midnight),
        date_bounds(call, "date_created", DateOnly::Midnight),
    ) {
        (Ok(modified), Ok(created)) => (modified, created),
        (Err(refused), _) | (_, Err(refused)) => return refused,
    };
    let ids = match ids_filter(call, "id:in") {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let emails: Vec<String> = call.params.list("email:in").iter().map(|e| e.to_ascii_lowercase()).collect();
    let (after, before) = (call.params.get("after"), call.params.get("before"));
    let after_id = match after.map(cursor_id) {
        Some(None) => return unprocessable("The cursor is invalid.", json!({"after": "invalid cursor"})),
        other => other.flatten(),
    };
    let before_id = match before.map(cursor_id) {
        Some(None) => return unprocessable("The cursor is invalid.", json!({"before": "invalid cursor"})),
        other => other.flatten(),
    };
    let data = call.store.data.read().expect("data lock");
    let mut selected: Vec<&Customer> = data
        .customers
        .values()
        .filter(|c| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| emails.is_empty() || emails.contains(&c.email.to_ascii_lowercase()))
        .filter(|c| within(c.modified, modified) && within(c.created, created))
        .collect();
    let by_cursor = after_id.is_some() || before_id.is_some();
    if !by_cursor {
        match call.params.get("sort") {
            Some("date_created:asc") => selected.sort_by_key(|c| (c.created, c.id)),
            Some("date_created:desc") => selected.sort_by_key(|c| std::cmp::Reverse((c.created, c.id))),
            Some("date_modified:asc") => selected.sort_by_key(|c| (c.modified, c.id)),
            Some("date_modified:desc") => selected.sort_by_key(|c| std::cmp::Reverse((c.modified, c.id))),
            Some("last_name:asc") => selected.sort_by(|a, b| a.last_name.cmp(&b.last_name).then(a.id.cmp(&b.id))),
            Some("last_name:desc") => selected.sort_by(|a, b| b.last_name.cmp(&a.last_name).then(b.id.cmp(&a.id))),
            _ => {}
        }
    }
    let total = selected.len();
    let shown: Vec<&Customer> = match (after_id, before_id) {
        (Some(after), _) => selected.iter().filter(|c| c.id > after).take(page.limit).copied().collect(),
        (None, Some(before)) => {
            let earlier: Vec<&Customer> = selected.iter().filter(|c| c.id < before).copied().collect();
            earlier[earlier.len().saturating_sub(page.limit)..].to_vec()
        }
        (None, None) => page.slice(&selected).to_vec(),
    };
    let embed = customer_embed(call);
    let rendered: Vec<Value> = shown.iter().map(|c| render::customer(c, embed)).collect();
    let mut cursors = json!({ "count": shown.len(), "per_page": page.limit, "links": {} });
    if by_cursor || page.page == 1 {
        if let (Some(first), Some(last)) = (shown.first(), shown.last()) {
            cursors["start_cursor"] = json!(cursor(first.id));
            cursors["end_cursor"] = json!(cursor(last.id));
            let more_after = selected.iter().any(|c| c.id > last.id);
            let more_before = selected.iter().any(|c| c.id < first.id);
            if more_before {
                cursors["links"]["previous"] = json!(format!("?before={}&limit={}", cursor(first.id), page.limit));
            }
            if more_after {
                cursors["links"]["next"] = json!(format!("?after={}&limit={}", cursor(last.id), page.limit));
            }
        }
    }
    let meta = json!({
        "pagination": pagination(&call.params, page, total, rendered.len()),
        "cursor_pagination": cursors,
    });
    Reply::ok(&json!({ "data": rendered, "meta": meta }))
}

fn locations(call: &Call<'_>) -> Reply {
    let ids = match ids_filter(call, "location_id:in") {
        Ok(ids) => ids,
        Err(refused) => return refused,
    };
    let data = call.store.data.read().expect("data lock");
    let all: Vec<Value> = data
        .locations
        .iter()
        .filter(|l| ids.as_ref().is_none_or(|ids| ids.contains(&l.id)))
        .map(|l| render::location(call.store, l))
        .collect();
    collection(call, all)
}

/// The items (variants) the inventory filters select.
fn inventory_selection<'a>(call: &Call<'_>, data: &'a StoreData) -> Result<Vec<(&'a Product, &'a Variant)>, Reply> {
    let variant_ids = ids_filter(call, "variant_id:in")?;
    let product_ids = ids_filter(call, "product_id:in")?;
    let skus = call.params.list("sku:in");
    Ok(data
        .products
        .values()
        .filter(|p| product_ids.as_ref().is_none_or(|ids| ids.contains(&p.id)))
        .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
        .filter(|(_, v)| variant_ids.as_ref().is_none_or(|ids| ids.contains(&v.id)))
        .filter(|(_, v)| skus.is_empty() || skus.contains(&v.sku.as_str()))
        .collect())
}

fn inventory_items(call: &Call<'_>) -> Reply {
    let locations = match ids_filter(call, "location_id:in") {
        Ok(ids) => ids.unwrap_or_default(),
        Err(refused) => return refused,
    };
    let data = call.store.data.read().expect("data lock");
    let items = match inventory_selection(call, &data) {
        Ok(items) => items,
        Err(refused) => return refused,
    };
    collection(call, items.into_iter().map(|(p, v)| render::inventory_item(&data, p, v, &locations)).collect())
}

fn location_items(call: &Call<'_>, location: u64) -> Reply {
    let data = call.store.data.read().expect("data lock");
    if data.location(location).is_none() {
        return v3_error(404, "Location not found", None);
    }
    let items = match inventory_selection(call, &data) {
        Ok(items) => items,
        Err(refused) => return refused,
    };
    collection(call, items.into_iter().filter_map(|(p, v)| render::location_item(p, v, location)).collect())
}

/// An item named as the inventory API names them: by `variant_id`, `sku` or (for a product
/// without options) `product_id`.
fn find_item(data: &StoreData, identity: &Map<String, Value>) -> Option<u64> {
    if let Some(variant) = identity.get("variant_id").and_then(Value::as_u64) {
        return data.variant(variant).map(|(_, v)| v.id);
    }
    if let Some(sku) = identity.get("sku").and_then(Value::as_str) {
        return data.products.values().flat_map(|p| &p.variants).find(|v| v.sku == sku).map(|v| v.id);
    }
    let product = data.products.get(&identity.get("product_id")?.as_u64()?)?;
    (!product.tracked_by_variant()).then(|| product.variants.first().map(|v| v.id)).flatten()
}

fn transaction_id() -> String {
    let hex = format!("{:032x}", rand::random::<u128>());
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `PUT /v3/inventory/locations/{id}/items`: an item's settings at the location (safety stock,
/// in stock, warning level, bin). Each entry must set one of the first three.
fn location_settings(call: &Call<'_>, location: u64) -> Reply {
    let Some(body) = call.json_body() else { return v3_error(400, "Input is invalid.", None) };
    let Some(settings) = body.get("settings").and_then(Value::as_array) else {
        return unprocessable("Payload contains invalid fields", json!({"settings": "settings is required"}));
    };
    let mut data = call.store.data.write().expect("data lock");
    if data.location(location).is_none() {
        return v3_error(404, "Location not found", None);
    }
    let mut changes = Vec::with_capacity(settings.len());
    for (n, entry) in settings.iter().enumerate() {
        let fields = entry.as_object().cloned().unwrap_or_default();
        if !["warning_level", "is_in_stock", "safety_stock"].iter().any(|k| fields.contains_key(*k)) {
            let key = format!("setting.{n}.settings");
            return unprocessable(
                "Payload contains invalid fields",
                json!({ key: "At least one setting must be specified: warning_level, is_in_stock or safety_stock" }),
            );
        }
        let identity = fields.get("identity").and_then(Value::as_object).cloned().unwrap_or_default();
        let Some(variant) = find_item(&data, &identity) else {
            let key = format!("setting.{n}.identity");
            return unprocessable("Payload contains invalid fields", json!({ key: "The item was not found" }));
        };
        changes.push((variant, fields));
    }
    for (variant, fields) in changes {
        let Some((product, index)) = data.variant_mut(variant) else { continue };
        let Some(stock) = product.variants[index].stock.get_mut(&location) else { continue };
        apply_settings(stock, &fields);
    }
    Reply::ok(&json!({ "transaction_id": transaction_id() }))
}

fn apply_settings(stock: &mut Stock, fields: &Map<String, Value>) {
    if let Some(n) = fields.get("safety_stock").and_then(Value::as_i64) {
        stock.safety_stock = n;
    }
    if let Some(b) = fields.get("is_in_stock").and_then(Value::as_bool) {
        stock.is_in_stock = b;
    }
    if let Some(n) = fields.get("warning_level").and_then(Value::as_i64) {
        stock.warning_level = n;
    }
    if let Some(bin) = fields.get("bin_picking_number").and_then(Value::as_str) {
        stock.bin_picking_number = bin.to_owned();
    }
}

/// `PUT /v3/inventory/adjustments/absolute`: sets items' stock on hand at locations; each
/// change fires the inventory webhook of the item's tracking (product or variant).
fn absolute_adjustment(call: &Call<'_>) -> Reply {
    let Some(body) = call.json_body() else { return v3_error(400, "Input is invalid.", None) };
    let Some(items) = body.get("items").and_then(Value::as_array) else {
        return unprocessable("Payload contains invalid fields", json!({"items": "items is required"}));
    };
    let mut changed = Vec::new();
    {
        let mut data = call.store.data.write().expect("data lock");
        let mut planned = Vec::with_capacity(items.len());
        for (n, item) in items.iter().enumerate() {
            let fields = item.as_object().cloned().unwrap_or_default();
            let location = fields.get("location_id").and_then(Value::as_u64).filter(|l| data.location(*l).is_some());
            let quantity = fields.get("quantity").and_then(Value::as_i64);
            match (find_item(&data, &fields), location, quantity) {
                (Some(variant), Some(location), Some(quantity)) => planned.push((variant, location, quantity)),
                _ => {
                    let key = format!("items.{n}");
                    return unprocessable("Payload contains invalid fields", json!({ key: "The item is invalid" }));
                }
            }
        }
        for (variant, location, quantity) in planned {
            changed.extend(data.set_stock(variant, location, quantity, call.now));
        }
    }
    for change in changed {
        webhooks::inventory_changed(call.emu, call.store, change);
    }
    Reply::ok(&json!({ "transaction_id": transaction_id() }))
}

fn hook_reply(call: &Call<'_>, hook: &Hook) -> Reply {
    Reply::ok(&json!({ "data": webhooks::render(call.store, hook), "meta": {} }))
}

fn hook_not_found(id: u64) -> Reply {
    let body = json!({
        "status": 404,
        "title": format!("Webhook with id [{id}] not found"),
        "type": "/api-docs/getting-started/api-status-codes",
    });
    Reply::json(axum::http::StatusCode::NOT_FOUND, &body)
}

/// A hook's destination: HTTPS on port 443, unless the store allows any (for local receivers).
fn destination_error(call: &Call<'_>, destination: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(destination).ok();
    let Some(url) = parsed.filter(|u| u.host_str().is_some()) else {
        return Some("destination must be a URL".into());
    };
    if call.store.config.allow_any_destination {
        return None;
    }
    if url.scheme() != "https" {
        return Some("destination must use https".into());
    }
    if url.port().is_some_and(|p| p != 443) {
        return Some("destination must be served on port 443; custom ports are not supported".into());
    }
    None
}

fn headers_of(value: Option<&Value>) -> Result<Option<BTreeMap<String, String>>, ()> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())).ok_or(()))
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(()),
    }
}

fn list_hooks(call: &Call<'_>) -> Reply {
    let mut hooks = call.store.hooks.lock().expect("hooks lock");
    hooks.sweep_idle(call.now);
    let active = call.params.get("is_active").map(|v| v == "true" || v == "1");
    let (scope, destination) = (call.params.get("scope"), call.params.get("destination"));
    let all: Vec<Value> = hooks
        .list
        .values()
        .filter(|h| active.is_none_or(|a| h.is_active == a))
        .filter(|h| scope.is_none_or(|s| h.scope == s) && destination.is_none_or(|d| h.destination == d))
        .map(|h| webhooks::render(call.store, h))
        .collect();
    drop(hooks);
    collection(call, all)
}

fn get_hook(call: &Call<'_>, id: u64) -> Reply {
    let mut hooks = call.store.hooks.lock().expect("hooks lock");
    hooks.sweep_idle(call.now);
    match hooks.list.get(&id) {
        Some(hook) => hook_reply(call, hook),
        None => hook_not_found(id),
    }
}

fn create_hook(call: &Call<'_>) -> Reply {
    let Some(body) = call.json_body() else { return v3_error(400, "Input is invalid.", None) };
    let missing =
        |field: &str| unprocessable("JSON data is missing or invalid", json!({ field: "error.path.missing." }));
    let Some(scope) = body.get("scope").and_then(Value::as_str) else { return missing("scope") };
    let Some(destination) = body.get("destination").and_then(Value::as_str) else { return missing("destination") };
    if !webhooks::valid_scope(scope) {
        return unprocessable(
            "JSON data is missing or invalid",
            json!({"scope": format!("{scope} is not a valid scope")}),
        );
    }
    if let Some(error) = destination_error(call, destination) {
        return unprocessable("JSON data is missing or invalid", json!({ "destination": error }));
    }
    let Ok(headers) = headers_of(body.get("headers")) else {
        return unprocessable("JSON data is missing or invalid", json!({"headers": "headers must be strings"}));
    };
    let is_active = body.get("is_active").and_then(Value::as_bool).unwrap_or(true);
    let mut hooks = call.store.hooks.lock().expect("hooks lock");
    let same_scope: Vec<&Hook> = hooks.list.values().filter(|h| h.scope == scope).collect();
    if same_scope.iter().any(|h| h.destination == destination) {
        return unprocessable(
            "JSON data is missing or invalid",
            json!({"destination": "A webhook with this scope and destination already exists"}),
        );
    }
    if same_scope.len() >= MAX_PER_SCOPE {
        return unprocessable(
            "JSON data is missing or invalid",
            json!({"scope": format!("At most {MAX_PER_SCOPE} webhooks may subscribe to one scope")}),
        );
    }
    let id = hooks.next_id();
    let hook = Hook {
        id,
        scope: scope.to_owned(),
        destination: destination.to_owned(),
        headers,
        is_active,
        created_at: call.now,
        updated_at: call.now,
        last_activity: call.now,
        failed_deliveries: 0,
        deactivated: None,
    };
    let reply = hook_reply(call, &hook);
    hooks.list.insert(id, hook);
    reply
}

fn update_hook(call: &Call<'_>, id: u64) -> Reply {
    let Some(body) = call.json_body() else { return v3_error(400, "Input is invalid.", None) };
    if !["scope", "destination", "is_active", "headers"].iter().any(|k| body.contains_key(*k)) {
        return unprocessable("JSON data is missing or invalid", json!({"webhook": "At least one field is required"}));
    }
    let scope = body.get("scope").and_then(Value::as_str);
    if scope.is_some_and(|s| !webhooks::valid_scope(s)) {
        return unprocessable("JSON data is missing or invalid", json!({"scope": "not a valid scope"}));
    }
    let destination = body.get("destination").and_then(Value::as_str);
    if let Some(error) = destination.and_then(|d| destination_error(call, d)) {
        return unprocessable("JSON data is missing or invalid", json!({ "destination": error }));
    }
    let Ok(headers) = headers_of(body.get("headers")) else {
        return unprocessable("JSON data is missing or invalid", json!({"headers": "headers must be strings"}));
    };
    let mut hooks = call.store.hooks.lock().expect("hooks lock");
    hooks.sweep_idle(call.now);
    let Some(hook) = hooks.list.get_mut(&id) else { return hook_not_found(id) };
    if let Some(scope) = scope {
        hook.scope = scope.to_owned();
    }
    if let Some(destination) = destination {
        hook.destination = destination.to_owned();
    }
    if body.contains_key("headers") {
        hook.headers = headers;
    }
    if let Some(active) = body.get("is_active").and_then(Value::as_bool) {
        if active && !hook.is_active {
            // Switched back on: it starts afresh.
            hook.last_activity = call.now;
            hook.failed_deliveries = 0;
            hook.deactivated = None;
        }
        hook.is_active = active;
    }
    hook.updated_at = call.now;
    hook_reply(call, hook)
}

fn delete_hook(call: &Call<'_>, id: u64) -> Reply {
    let mut hooks = call.store.hooks.lock().expect("hooks lock");
    match hooks.list.remove(&id) {
        Some(hook) => hook_reply(call, &hook),
        None => hook_not_found(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_base64_of_the_id_as_documented() {
        assert_eq!(cursor(204), "eyJpZCI6MjA0fQ");
        assert_eq!(cursor_id("eyJpZCI6MjA1fQ"), Some(205));
        assert_eq!(cursor_id("eyJpZCI6MjA1fQ=="), Some(205));
        assert_eq!(cursor_id("not a cursor"), None);
    }
}
