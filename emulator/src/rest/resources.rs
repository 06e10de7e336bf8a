//! The resources: shop, orders, products, customers, locations, inventory levels, fulfillment
//! orders and webhooks, with their scopes, filters, counts, `fields=` and Shopify's error bodies.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use rand::Rng;
use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, macros::format_description, OffsetDateTime, PrimitiveDateTime};

use super::{
    pagination::{page_of, Filters, Page, Window},
    Answer, ApiRequest,
};
use crate::{
    data::{Order, OrderStatus, ShopData, DAY},
    webhooks,
};

impl ApiRequest<'_> {
    pub(super) fn answer(&self) -> Answer {
        let rest: Vec<&str> = self.rest.iter().map(String::as_str).collect();
        let get = *self.method == Method::GET;
        match (rest.as_slice(), get) {
            (["shop"], true) => {
                let data = self.shop.data.read().expect("data lock");
                self.single("shop", data.render_shop(self.shop.config.plan.plan_name()))
            }
            (["webhooks"], true) => self.list("webhooks", None),
            (["webhooks", "count"], true) => self.count("webhooks", None),
            (["webhooks"], false) if *self.method == Method::POST => self.create_webhook(),
            (["webhooks", id], _) => self.webhook(id),
            ([resource], true) => self.list(resource, scope_of(resource)),
            ([resource, "count"], true) => self.count(resource, scope_of(resource)),
            (["orders", id, "fulfillment_orders"], true) => self.fulfillment_orders(id),
            ([resource, id], true) => self.one(resource, id),
            _ => Answer::not_found(),
        }
    }

    fn refuse_scope(scope: &str) -> Answer {
        Answer::error(
            StatusCode::FORBIDDEN,
            json!(format!("[API] This action requires merchant approval for {scope} scope.")),
        )
    }

    fn check_scope(&self, resource: &str) -> Result<(), Answer> {
        match scope_of(resource) {
            Some(scope) if !self.shop.app_can_read(self.app, scope) => {
                Err(Self::refuse_scope(&format!("read_{scope}")))
            }
            _ => Ok(()),
        }
    }

    /// Lists and counts need the resource's read scope; webhooks need none; anything else
    /// is not a listable resource.
    fn listable(&self, resource: &str, scope: Option<&str>) -> Result<(), Answer> {
        match scope {
            Some(scope) if !self.shop.app_can_read(self.app, scope) => {
                Err(Self::refuse_scope(&format!("read_{scope}")))
            }
            Some(_) => Ok(()),
            None if resource == "webhooks" => Ok(()),
            None => Err(Answer::not_found()),
        }
    }

    fn single(&self, key: &str, value: Value) -> Answer {
        Answer::json(StatusCode::OK, &json!({ key: only_fields(value, self.params.fields().as_deref()) }))
    }

    /// `orders.json`, `products.json`, …: filters, then a page, with `Link` headers.
    fn list(&self, resource: &str, scope: Option<&str>) -> Answer {
        if let Err(refusal) = self.listable(resource, scope) {
            return refusal;
        }
        let (filters, window) = match self.requested_page(resource) {
            Ok(requested) => requested,
            Err(refusal) => return refusal,
        };
        if resource == "inventory_levels"
            && !filters.contains_key("location_ids")
            && !filters.contains_key("inventory_item_ids")
        {
            return Answer::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"base": ["must include inventory_item_ids or location_ids"]}),
            );
        }
        let Some(page) = self.matching_keys(resource, &filters, window) else { return Answer::not_found() };
        // Records are written straight into the body: a page of 250 orders is 2.5 MB, and building
        // it any other way makes the emulator the slowest part of every benchmark.
        let mut body = Vec::with_capacity(page.keys.len() * 12_000);
        body.extend(format!(r#"{{"{resource}":["#).into_bytes());
        self.render(resource, &page.keys, &filters, &mut body);
        body.extend_from_slice(b"]}");
        let answer = Answer::bytes(StatusCode::OK, body);
        match self.link_header(resource, &filters, &page, window) {
            Some(links) => answer.header("link", &links),
            None => answer,
        }
    }

    fn count(&self, resource: &str, scope: Option<&str>) -> Answer {
        if let Err(refusal) = self.listable(resource, scope) {
            return refusal;
        }
        match self.matching_keys(resource, &self.params.filters(), Window::ALL) {
            Some(page) => Answer::json(StatusCode::OK, &json!({ "count": page.keys.len() })),
            None => Answer::not_found(),
        }
    }

    /// The keys of the records in `window` that pass `filters`, ascending: ids, or positions for
    /// inventory levels (which have no id of their own). Maps are walked from the window's edge,
    /// so a page costs its own size, not the shop's.
    fn matching_keys(&self, resource: &str, filters: &Filters, window: Window) -> Option<Page> {
        let data = self.shop.data.read().expect("data lock");
        let ids = id_list(filters.get("ids"));
        let since = filters.get("since_id").and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        let range = |name: &str| filters.get(name).and_then(|t| parse_time(t, &data));
        let (c_min, c_max, u_min, u_max) =
            (range("created_at_min"), range("created_at_max"), range("updated_at_min"), range("updated_at_max"));
        let in_window = |id: u64, created: i64, updated: i64| {
            id > since
                && ids.as_ref().is_none_or(|ids| ids.contains(&id))
                && c_min.is_none_or(|t| created >= t)
                && c_max.is_none_or(|t| created <= t)
                && u_min.is_none_or(|t| updated >= t)
                && u_max.is_none_or(|t| updated <= t)
        };
        Some(match resource {
            "orders" => {
                let status = match filters.get("status").map(String::as_str) {
                    None | Some("open") => OrderStatus::Open,
                    Some("closed") => OrderStatus::Closed,
                    Some("cancelled") => OrderStatus::Cancelled,
                    Some(_) => OrderStatus::Any,
                };
                let oldest = self.oldest_visible_order();
                let keep = |o: &Order| {
                    o.created_at >= oldest && o.matches(status) && in_window(o.id, o.created_at, o.updated_at)
                };
                page_of(&data.orders, since, keep, window)
            }
            "products" => page_of(&data.products, since, |p| in_window(p.id, p.created_at, p.updated_at), window),
            "customers" => page_of(&data.customers, since, |c| in_window(c.id, c.created_at, c.updated_at), window),
            "locations" => page_of(&data.locations, since, |l| in_window(l.id, l.created_at, l.updated_at), window),
            "inventory_levels" => {
                let locations =
                    id_list(filters.get("location_ids")).unwrap_or_else(|| data.locations.keys().copied().collect());
                let items = id_list(filters.get("inventory_item_ids"));
                let levels = data.inventory_levels(&locations);
                let keys: BTreeMap<u64, ()> = (1..=levels.len() as u64)
                    .filter(|n| items.as_ref().is_none_or(|items| items.contains(&levels[*n as usize - 1].1)))
                    .map(|n| (n, ()))
                    .collect();
                page_of(&keys, 0, |_| true, window)
            }
            "webhooks" => {
                let subs = self.shop.subscriptions.lock().expect("subscriptions lock");
                let keys: BTreeMap<u64, ()> = subs
                    .iter()
                    .filter(|s| s.app == self.app && s.id > since)
                    .filter(|s| filters.get("topic").is_none_or(|t| &s.topic == t))
                    .filter(|s| filters.get("address").is_none_or(|a| &s.address == a))
                    .map(|s| (s.id, ()))
                    .collect();
                page_of(&keys, since, |_| true, window)
            }
            _ => return None,
        })
    }

    /// Without `read_all_orders`, Shopify shows only the last 60 days of orders.
    fn oldest_visible_order(&self) -> i64 {
        if self.shop.scopes_of(self.app).iter().any(|s| s == "read_all_orders") {
            i64::MIN
        } else {
            self.emu.clock.unix_now() - 60 * DAY
        }
    }

    /// Writes the records with `keys` into `out` as the items of a JSON array, each filtered
    /// by `fields=` when the request has it.
    fn render(&self, resource: &str, keys: &[u64], filters: &Filters, out: &mut Vec<u8>) {
        let data = self.shop.data.read().expect("data lock");
        let fields = self.params.fields();
        let text = |value: Value| serde_json::to_vec(&value).unwrap_or_default();
        let levels = (resource == "inventory_levels").then(|| {
            let locations =
                id_list(filters.get("location_ids")).unwrap_or_else(|| data.locations.keys().copied().collect());
            data.inventory_levels(&locations)
        });
        let render_one = |key: u64, out: &mut Vec<u8>| -> Option<()> {
            match resource {
                "orders" => data.write_order(data.orders.get(&key)?, out),
                "products" => data.write_product(data.products.get(&key)?, out),
                "customers" => data.write_customer(data.customers.get(&key)?, out),
                "locations" => out.extend(text(data.render_location(data.locations.get(&key)?))),
                "inventory_levels" => {
                    let (location, item, available) = levels.as_ref()?.get((key as usize).checked_sub(1)?)?;
                    out.extend(text(data.render_inventory_level(*location, *item, *available)));
                }
                "webhooks" => {
                    let subs = self.shop.subscriptions.lock().expect("subscriptions lock");
                    out.extend(text(subs.iter().find(|s| s.id == key)?.render(&data)));
                }
                _ => return None,
            }
            Some(())
        };
        let mut first = true;
        for key in keys {
            let mark = out.len();
            if !first {
                out.push(b',');
            }
            let item_start = out.len();
            if render_one(*key, out).is_none() {
                out.truncate(mark);
                continue;
            }
            first = false;
            if let Some(fields) = fields.as_deref() {
                let value = serde_json::from_slice(&out[item_start..]).unwrap_or_default();
                out.truncate(item_start);
                out.extend(text(only_fields(value, Some(fields))));
            }
        }
    }

    fn one(&self, resource: &str, id: &str) -> Answer {
        if let Err(refusal) = self.check_scope(resource) {
            return refusal;
        }
        let Ok(id) = id.parse::<u64>() else { return Answer::not_found() };
        let singular = match resource {
            "orders" => "order",
            "products" => "product",
            "customers" => "customer",
            "locations" => "location",
            _ => return Answer::not_found(),
        };
        if resource == "orders" {
            let data = self.shop.data.read().expect("data lock");
            if data.orders.get(&id).is_some_and(|o| o.created_at < self.oldest_visible_order()) {
                return Answer::not_found();
            }
        }
        let mut text = Vec::new();
        self.render(resource, &[id], &Filters::new(), &mut text);
        match serde_json::from_slice(&text) {
            Ok(value) => self.single(singular, value),
            Err(_) => Answer::not_found(),
        }
    }

    fn fulfillment_orders(&self, id: &str) -> Answer {
        let granted =
            ["merchant_managed_fulfillment_orders", "assigned_fulfillment_orders", "third_party_fulfillment_orders"]
                .iter()
                .any(|s| self.shop.app_can_read(self.app, s));
        if !granted {
            return Self::refuse_scope("read_merchant_managed_fulfillment_orders");
        }
        let data = self.shop.data.read().expect("data lock");
        let order = id.parse::<u64>().ok().and_then(|id| data.orders.get(&id));
        match order {
            Some(order) if order.created_at >= self.oldest_visible_order() => {
                Answer::json(StatusCode::OK, &json!({"fulfillment_orders": data.render_fulfillment_orders(order)}))
            }
            _ => Answer::not_found(),
        }
    }

    fn create_webhook(&self) -> Answer {
        let body: Value = serde_json::from_slice(self.body).unwrap_or(Value::Null);
        let Some(webhook) = body.get("webhook").filter(|w| w.is_object()) else {
            return Answer::error(StatusCode::BAD_REQUEST, json!({"webhook": "Required parameter missing or invalid"}));
        };
        let topic = webhook["topic"].as_str().unwrap_or_default().to_owned();
        let address = webhook["address"].as_str().unwrap_or_default().trim().to_owned();
        if !webhooks::topic_allowed_for(self.shop, self.app, &topic) {
            return Answer::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"topic": [format!("Invalid topic specified: {topic}. Does it exist? Is there a missing access scope?")]}),
            );
        }
        if address.is_empty() {
            return Answer::error(StatusCode::UNPROCESSABLE_ENTITY, json!({"address": ["can't be blank"]}));
        }
        if !(address.starts_with("https://") || address.starts_with("http://")) {
            return Answer::error(StatusCode::UNPROCESSABLE_ENTITY, json!({"address": ["is not a valid URL"]}));
        }
        let fields: Vec<String> = webhook["fields"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let now = self.emu.clock.unix_now();
        let mut subs = self.shop.subscriptions.lock().expect("subscriptions lock");
        if subs.iter().any(|s| s.app == self.app && s.topic == topic && s.address == address) {
            return Answer::error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"address": ["for this topic has already been taken"]}),
            );
        }
        let id =
            subs.iter().map(|s| s.id).max().unwrap_or(1_100_000_000_000) + 1 + rand::thread_rng().gen_range(0..100);
        let sub = webhooks::Subscription {
            id,
            topic,
            address,
            fields,
            created_at: now,
            api_version: self.version().to_owned(),
            app: self.app,
        };
        let data = self.shop.data.read().expect("data lock");
        let rendered = sub.render(&data);
        subs.push(sub);
        Answer::json(StatusCode::CREATED, &json!({ "webhook": rendered }))
    }

    fn webhook(&self, id: &str) -> Answer {
        let id = id.parse::<u64>().unwrap_or_default();
        let mut subs = self.shop.subscriptions.lock().expect("subscriptions lock");
        // Each app sees only its own subscriptions, as on Shopify.
        let Some(position) = subs.iter().position(|s| s.app == self.app && s.id == id) else {
            return Answer::not_found();
        };
        if *self.method == Method::DELETE {
            subs.remove(position);
            return Answer::json(StatusCode::OK, &json!({}));
        }
        if *self.method == Method::GET {
            let data = self.shop.data.read().expect("data lock");
            return self.single("webhook", subs[position].render(&data));
        }
        Answer::not_found()
    }
}

/// The read scope each resource needs (`read_` or `write_` of it).
fn scope_of(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "orders" => "orders",
        "products" => "products",
        "customers" => "customers",
        "locations" => "locations",
        "inventory_levels" => "inventory",
        _ => return None,
    })
}

fn id_list(text: Option<&String>) -> Option<Vec<u64>> {
    text.map(|t| t.split(',').filter_map(|id| id.trim().parse().ok()).collect())
}

/// ISO 8601 with an offset, or `2025-07-01 16:29:45` / `2025-07-01` in the shop's time zone.
fn parse_time(text: &str, data: &ShopData) -> Option<i64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let local = PrimitiveDateTime::parse(text, format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"))
        .or_else(|_| {
            PrimitiveDateTime::parse(text, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
        })
        .or_else(|_| {
            time::Date::parse(text, format_description!("[year]-[month]-[day]"))
                .map(|d| d.with_time(time::Time::MIDNIGHT))
        })
        .ok()?;
    Some(local.assume_offset(data.offset).unix_timestamp())
}

/// Keeps only the requested top-level keys, as `fields=` does.
fn only_fields(value: Value, fields: Option<&[String]>) -> Value {
    match (fields, value) {
        (Some(fields), Value::Object(map)) => {
            Value::Object(map.into_iter().filter(|(k, _)| fields.iter().any(|f| f == k)).collect())
        }
        (_, value) => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_only_the_named_keys() {
        let v = only_fields(json!({"id": 1, "name": "#1001", "email": null}), Some(&["id".into(), "name".into()]));
        assert_eq!(v, json!({"id": 1, "name": "#1001"}));
    }
}
