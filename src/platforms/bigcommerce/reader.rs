//! Reading BigCommerce's JSON into storelink's records. v2 orders (RFC 2822 dates, money as
//! decimal strings) with their consignments embedded (`include=consignments.line_items`), or with
//! their whole product list where a consignment was cut at 50 lines; v3 catalog products with
//! their variants, inventory items, locations and customers (ISO 8601 dates, `{data, meta}`).
//! Each element is read leniently: one odd element is refused with a reason, never the page.
//!
//! An order ships per shipping address (`order_address_id`): each address is a unit, its lines
//! the order products sent there, with what remains of each (quantity less quantity shipped).

use std::collections::BTreeMap;

use serde_json::{json, Value};
use time::{
    format_description::well_known::{Rfc2822, Rfc3339},
    OffsetDateTime,
};

use crate::records::{
    model::{self, unit_status, Batch, OrderStatus, Record, Refused},
    ShipTo,
};

/// The unit of the store's weights (`weight_units` in `/v2/store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightUnit {
    Ounces,
    Pounds,
    Grams,
    Kilograms,
}

impl WeightUnit {
    /// From the store's setting; ounces (BigCommerce's default) when unknown.
    pub fn from_store(value: &str) -> WeightUnit {
        match value.trim().to_ascii_lowercase().as_str() {
            "pounds" | "lbs" | "lb" => WeightUnit::Pounds,
            "grams" | "g" => WeightUnit::Grams,
            "kilograms" | "kgs" | "kg" => WeightUnit::Kilograms,
            _ => WeightUnit::Ounces,
        }
    }

    fn grams(self) -> f64 {
        match self {
            WeightUnit::Ounces => 28.349_523_125,
            WeightUnit::Pounds => 453.592_37,
            WeightUnit::Grams => 1.0,
            WeightUnit::Kilograms => 1000.0,
        }
    }
}

/// What the reader needs to know of the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub weight_unit: WeightUnit,
    /// The default inventory location, where orders ship from.
    pub location: Option<(i64, String)>,
}

/// Each element of a v3 `data` list, a bare v2 list, or the one resource, read by `read`.
fn read_each(json: &str, read: impl Fn(Value, &mut Batch) -> Result<(), Refused>) -> Batch {
    match serde_json::from_str::<Value>(json) {
        Ok(value) => read_all(elements(value), read),
        Err(_) => {
            Batch { refused: vec![Refused { id: None, why: "the answer is not JSON".into() }], ..Batch::default() }
        }
    }
}

/// The elements of an answer: a v3 `data` list, a bare v2 list, or the one resource.
fn elements(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Object(mut object) => match object.remove("data") {
            Some(Value::Array(items)) => items,
            Some(one @ Value::Object(_)) => vec![one],
            _ => vec![Value::Object(object)],
        },
        _ => Vec::new(),
    }
}

/// Each element read by `read`, and let go of once read.
fn read_all(elements: Vec<Value>, mut read: impl FnMut(Value, &mut Batch) -> Result<(), Refused>) -> Batch {
    let mut batch = Batch::default();
    for element in elements {
        let mut one = Batch::default();
        match read(element, &mut one) {
            Ok(()) => {
                batch.records.extend(one.records);
                batch.refused.extend(one.refused);
            }
            Err(refused) => batch.refused.push(refused),
        }
    }
    batch
}

fn id(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str()?.trim().parse().ok()).filter(|id| *id > 0)
}

/// A non-blank string, trimmed; a number as its digits.
fn text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn number(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| value.as_str()?.trim().parse().ok()).filter(|n: &f64| n.is_finite())
}

/// A v2 date (`Tue, 05 Mar 2019 21:40:11 +0000`) or a v3 one (`2018-08-15T14:48:46+00:00`).
pub fn date(value: &Value) -> Option<OffsetDateTime> {
    let text = value.as_str()?.trim();
    OffsetDateTime::parse(text, &Rfc2822).or_else(|_| OffsetDateTime::parse(text, &Rfc3339)).ok()
}

fn unix(value: &Value) -> Option<i64> {
    date(value).map(OffsetDateTime::unix_timestamp)
}

fn grams(value: &Value, unit: WeightUnit) -> Option<i64> {
    number(value).filter(|w| *w >= 0.0).map(|w| (w * unit.grams()).round() as i64)
}

/// `"69.8400"` as money is written: `"69.84"` (half up).
pub fn money(value: &Value) -> String {
    let Some(text) = text(value) else { return "0.00".into() };
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches(['-', '+']);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let (Ok(whole), true) = (whole.parse::<i128>(), fraction.bytes().all(|b| b.is_ascii_digit())) else {
        return text;
    };
    let mut places: Vec<u8> = fraction.bytes().map(|b| b - b'0').collect();
    places.resize(places.len().max(3), 0);
    let mut cents = whole * 100 + i128::from(places[0]) * 10 + i128::from(places[1]);
    if places[2] >= 5 {
        cents += 1;
    }
    format!("{}{}.{:02}", if negative && cents != 0 { "-" } else { "" }, cents / 100, cents % 100)
}

fn joined(parts: &[Option<String>], separator: &str) -> Option<String> {
    let text = parts.iter().flatten().map(String::as_str).collect::<Vec<_>>().join(separator);
    (!text.is_empty()).then_some(text)
}

fn person(address: &Value) -> Option<String> {
    joined(&[text(&address["first_name"]), text(&address["last_name"])], " ")
}

fn one_line(address: &Value) -> Option<String> {
    joined(
        &[
            person(address),
            text(&address["street_1"]),
            text(&address["city"]),
            text(&address["zip"]),
            text(&address["country"]),
        ],
        ", ",
    )
}

/// The address an order ships to: its first shipping address, else its billing address; `None`
/// when neither says where.
fn destination<'a>(shipping: &[&'a Value], billing: &'a Value) -> Option<&'a Value> {
    let address = shipping.first().copied().filter(|a| one_line(a).is_some()).unwrap_or(billing);
    one_line(address).map(|_| address)
}

fn country_code(address: &Value) -> Option<String> {
    model::country_code(&text(&address["country_iso2"])?)
}

/// The inventory locations (`/v3/inventory/locations`).
pub fn locations(json: &str) -> Batch {
    read_each(json, |element, batch| {
        let location_id =
            id(&element["id"]).ok_or_else(|| Refused { id: None, why: "a location without an id".into() })?;
        let name = text(&element["label"])
            .or_else(|| text(&element["code"]))
            .unwrap_or_else(|| format!("Location {location_id}"));
        batch.records.push(Record::Location(model::Location { id: location_id, name, raw: element.to_string() }));
        Ok(())
    })
}

/// Catalog products (a page, or one) with their embedded `variants`.
pub fn products(json: &str, site: &Site) -> Batch {
    read_each(json, |element, batch| product(element, site, batch))
}

fn product(mut element: Value, site: &Site, batch: &mut Batch) -> Result<(), Refused> {
    let product_id = id(&element["id"]).ok_or_else(|| Refused { id: None, why: "a product without an id".into() })?;
    let title = text(&element["name"]).unwrap_or_default();
    let updated_at = unix(&element["date_modified"]).or_else(|| unix(&element["date_created"])).unwrap_or(0);
    let variants = element.as_object_mut().and_then(|o| o.remove("variants"));
    batch.records.push(Record::Product(model::Product {
        id: product_id,
        title: title.clone(),
        updated_at,
        raw: element.to_string(),
    }));
    for variant in variants.as_ref().and_then(Value::as_array).into_iter().flatten() {
        let Some(variant_id) = id(&variant["id"]) else {
            batch.refused.push(Refused { id: Some(product_id), why: "a variant without an id".into() });
            continue;
        };
        let options: Vec<String> =
            variant["option_values"].as_array().into_iter().flatten().filter_map(|o| text(&o["label"])).collect();
        let weight = [&variant["calculated_weight"], &variant["weight"], &element["weight"]]
            .into_iter()
            .find_map(|w| grams(w, site.weight_unit));
        batch.records.push(Record::Variant(model::Variant {
            id: variant_id,
            product_id,
            title: if options.is_empty() { title.clone() } else { options.join(" / ") },
            sku: text(&variant["sku"]),
            // Stock is counted per variant at each location (`/v3/inventory/items`).
            inventory_item_id: Some(variant_id),
            weight_grams: weight,
            updated_at,
            raw: variant.to_string(),
        }));
    }
    Ok(())
}

/// Inventory items (`/v3/inventory/items`): each variant's stock at every location.
pub fn levels(json: &str, now: i64) -> Batch {
    read_each(json, |element, batch| {
        let identity = &element["identity"];
        let item = id(&identity["variant_id"])
            .ok_or_else(|| Refused { id: None, why: "an inventory item without a variant".into() })?;
        for at in element["locations"].as_array().into_iter().flatten() {
            let Some(location_id) = id(&at["location_id"]) else { continue };
            batch.records.push(Record::Level(model::Level {
                location_id,
                inventory_item_id: item,
                available: at["available_to_sell"].as_i64(),
                updated_at: now,
                raw: json!({"identity": identity, "location": at}).to_string(),
            }));
        }
        Ok(())
    })
}

/// Customers (a v3 page).
pub fn customers(json: &str) -> Batch {
    read_each(json, |element, batch| {
        let customer_id =
            id(&element["id"]).ok_or_else(|| Refused { id: None, why: "a customer without an id".into() })?;
        batch.records.push(Record::Customer(model::Customer {
            id: customer_id,
            name: person(&element).unwrap_or_default(),
            email: text(&element["email"]),
            updated_at: unix(&element["date_modified"]).or_else(|| unix(&element["date_created"])).unwrap_or(0),
            raw: element.to_string(),
        }));
        Ok(())
    })
}

/// The shipping consignments an order was read with (`consignments.shipping`, in either
/// structure).
fn consignments(order: &Value) -> Vec<&Value> {
    let shipping = match &order["consignments"] {
        Value::Array(list) => list.iter().flat_map(|c| c["shipping"].as_array().into_iter().flatten()).collect(),
        object @ Value::Object(_) => object["shipping"].as_array().map(|s| s.iter().collect()).unwrap_or_default(),
        _ => Vec::new(),
    };
    shipping
}

/// Whether the order's embedded line items are not all of them: a consignment cut at 50 lines
/// (its `__warning__`), or no consignments at all.
pub fn needs_products(order: &Value) -> bool {
    let shipping = consignments(order);
    order["consignments"].is_null() || shipping.iter().any(|c| !c["__warning__"].is_null())
}

/// Where an order stands: storelink's state, and its status in BigCommerce's words.
fn order_status(status_id: i64) -> OrderStatus {
    match status_id {
        2 | 10 => OrderStatus::Closed,
        4..=6 => OrderStatus::Cancelled,
        _ => OrderStatus::Open,
    }
}

/// An address's state: waiting while items remain in a status that means shipping.
fn unit_state(status_id: i64, total: i64, remaining: i64) -> &'static str {
    match status_id {
        // Awaiting Fulfillment, Awaiting Shipment, Partially Shipped.
        11 | 9 | 3 if remaining <= 0 => unit_status::CLOSED,
        11 | 9 | 3 if remaining < total => unit_status::IN_PROGRESS,
        11 | 9 | 3 => unit_status::OPEN,
        2 | 10 => unit_status::CLOSED,
        4..=6 => unit_status::CANCELLED,
        // Incomplete, Pending, Awaiting Payment: not to ship yet.
        0 | 1 | 7 => unit_status::SCHEDULED,
        // Awaiting Pickup, Manual Verification, Disputed, Partially Refunded: a person looks.
        _ => unit_status::ON_HOLD,
    }
}

/// Orders of a v2 page (or one order), each with its lines from its consignments, or from
/// `products` (its `/v2/orders/{id}/products`, by order) where they were cut short. Each order
/// is let go of once read: a page of them is the most a sync holds.
pub fn orders(orders: Vec<Value>, mut products: BTreeMap<i64, Vec<Value>>, site: &Site) -> Batch {
    read_all(orders, |element, batch| {
        let all = products.remove(&id(&element["id"]).unwrap_or(0));
        order(element, all, site, batch)
    })
}

/// The shipping consignments of an order, to change.
fn consignments_mut(order: &mut Value) -> Vec<&mut Value> {
    match order.get_mut("consignments") {
        Some(Value::Array(list)) => {
            list.iter_mut().flat_map(|c| c["shipping"].as_array_mut().into_iter().flatten()).collect()
        }
        Some(object @ Value::Object(_)) => {
            object["shipping"].as_array_mut().map(|s| s.iter_mut().collect()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

fn order(mut element: Value, all_products: Option<Vec<Value>>, site: &Site, batch: &mut Batch) -> Result<(), Refused> {
    let order_id = id(&element["id"]).ok_or_else(|| Refused { id: None, why: "an order without an id".into() })?;
    let created = date(&element["date_created"])
        .ok_or_else(|| Refused { id: Some(order_id), why: "its date_created is not a date".into() })?;
    let updated = unix(&element["date_modified"]).unwrap_or(created.unix_timestamp());
    let status_id = element["status_id"].as_i64().unwrap_or(0);
    // The lines leave the consignments (the order keeps its addresses, the lines are kept as
    // lines), and are taken from the whole product list when the consignments were cut short.
    let embedded: Vec<Value> = consignments_mut(&mut element)
        .into_iter()
        .filter_map(|c| c.as_object_mut()?.remove("line_items"))
        .flat_map(|items| match items {
            Value::Array(list) => list,
            _ => Vec::new(),
        })
        .collect();
    // Every line once.
    let mut lines: BTreeMap<i64, Value> = BTreeMap::new();
    for line in all_products.unwrap_or(embedded) {
        match id(&line["id"]) {
            Some(line_id) => {
                lines.insert(line_id, line);
            }
            None => batch.refused.push(Refused { id: Some(order_id), why: "a line item without an id".into() }),
        }
    }
    let shipping = consignments(&element);
    let billing = &element["billing_address"];
    let first = shipping.first().copied();
    let to = destination(&shipping, billing);
    let weight: i64 = lines
        .values()
        .map(|l| grams(&l["weight"], site.weight_unit).unwrap_or(0) * l["quantity"].as_i64().unwrap_or(0))
        .sum();
    batch.records.push(Record::Order(model::Order {
        id: order_id,
        name: format!("#{order_id}"),
        created_at_text: created.format(&Rfc3339).unwrap_or_default(),
        created_at: created.unix_timestamp(),
        updated_at: updated,
        status: order_status(status_id),
        platform_status: text(&element["custom_status"]).or_else(|| text(&element["status"])),
        customer_name: first.and_then(person).or_else(|| person(billing)),
        customer_id: id(&element["customer_id"]),
        ship_to: to.and_then(one_line),
        ship_to_country: to.and_then(country_code),
        total_weight_grams: weight,
        total_price: money(&element["total_inc_tax"]),
        shipping_method: first.and_then(|c| text(&c["shipping_method"])),
        raw: element.to_string(),
    }));
    for line in lines.values() {
        let line_id = id(&line["id"]).unwrap_or_default();
        batch.records.push(Record::Line(model::Line {
            id: line_id,
            order_id,
            title: text(&line["name"]).unwrap_or_default(),
            sku: text(&line["sku"]),
            quantity: line["quantity"].as_i64().unwrap_or(0),
            raw: line.to_string(),
        }));
    }
    // Each shipping address is a unit; lines name theirs by `order_address_id`.
    let mut addresses: Vec<(i64, Value)> =
        shipping.iter().filter_map(|c| Some((id(&c["id"])?, (*c).clone()))).collect();
    for line in lines.values() {
        if let Some(address) = id(&line["order_address_id"]) {
            if !addresses.iter().any(|(a, _)| *a == address) {
                addresses.push((address, json!({"id": address})));
            }
        }
    }
    for (address_id, consignment) in addresses {
        let mine: Vec<&Value> = lines.values().filter(|l| id(&l["order_address_id"]) == Some(address_id)).collect();
        let total: i64 = mine.iter().map(|l| l["quantity"].as_i64().unwrap_or(0)).sum();
        let shipped: i64 = mine.iter().map(|l| l["quantity_shipped"].as_i64().unwrap_or(0)).sum();
        let mut unit_raw = consignment;
        if let Some(object) = unit_raw.as_object_mut() {
            object.insert("order_id".into(), json!(order_id));
        }
        batch.records.push(Record::Unit(model::Unit {
            id: address_id,
            order_id,
            status: unit_state(status_id, total, total - shipped).to_owned(),
            location_id: site.location.as_ref().map(|(id, _)| *id),
            location_name: site.location.as_ref().map(|(_, name)| name.clone()),
            updated_at: updated,
            raw: unit_raw.to_string(),
        }));
        for line in mine {
            let quantity = line["quantity"].as_i64().unwrap_or(0);
            let shipped = line["quantity_shipped"].as_i64().unwrap_or(0);
            batch.records.push(Record::UnitLine(model::UnitLine {
                id: id(&line["id"]).unwrap_or_default(),
                unit_id: address_id,
                line_item_id: id(&line["id"]),
                total_quantity: quantity,
                remaining_quantity: Some((quantity - shipped).max(0)),
                unit_weight_grams: grams(&line["weight"], site.weight_unit),
                raw: json!({"id": line["id"], "order_address_id": address_id, "quantity": quantity, "quantity_shipped": shipped}).to_string(),
            }));
        }
    }
    Ok(())
}

/// Where an order goes: its first shipping address, else its billing address.
pub fn ship_to(order: &Value) -> Option<ShipTo> {
    let address = destination(&consignments(order), &order["billing_address"])?;
    Some(ShipTo {
        name: person(address),
        company: text(&address["company"]),
        address1: text(&address["street_1"]),
        address2: text(&address["street_2"]),
        city: text(&address["city"]),
        province: text(&address["state"]),
        province_code: None,
        postal_code: text(&address["zip"]),
        country: text(&address["country"]),
        country_code: country_code(address),
        phone: text(&address["phone"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/emulator/tests/fixtures/bigcommerce/", $name))
        };
    }

    fn site() -> Site {
        Site { weight_unit: WeightUnit::Ounces, location: Some((1, "Default location".into())) }
    }

    #[test]
    fn an_order_ships_per_address_with_what_remains_of_each_line() {
        // The documentation's order, its products and its two addresses, put together as the
        // list answers with `include=consignments.line_items`.
        let mut order: Value = serde_json::from_str(fixture!("order.json")).unwrap();
        let products: Vec<Value> = serde_json::from_str(fixture!("order_products.json")).unwrap();
        let mut addresses: Vec<Value> = serde_json::from_str(fixture!("order_shipping_addresses.json")).unwrap();
        let mut products = products;
        products[1]["order_address_id"] = json!(133);
        products[1]["quantity"] = json!(3);
        products[1]["quantity_shipped"] = json!(1);
        addresses[0]["id"] = json!(51);
        addresses[0]["line_items"] = json!([products[0]]);
        addresses[1]["line_items"] = json!([products[1]]);
        order["status_id"] = json!(3);
        order["consignments"] = json!({"shipping": addresses});
        let batch = orders(vec![order.clone()], BTreeMap::new(), &site());
        assert!(batch.refused.is_empty(), "{:?}", batch.refused);
        let Record::Order(read) = &batch.records[0] else { panic!("an order first") };
        assert_eq!((read.id, read.name.as_str(), read.total_price.as_str()), (218, "#218", "69.84"));
        assert_eq!(read.created_at, 1_551_822_011);
        assert_eq!(read.updated_at, 1_552_317_445);
        assert_eq!(read.status, OrderStatus::Open);
        assert_eq!(read.customer_name.as_deref(), Some("Trishy Smith"));
        assert_eq!(read.ship_to.as_deref(), Some("Trishy Smith, 666 Sussex St, San Antonio, 78251, United States"));
        // 1 oz × 1 + 0 oz × 3.
        assert_eq!(read.total_weight_grams, 28);
        assert!(!read.raw.contains("line_items"), "lines are kept as lines");
        let units: Vec<&model::Unit> =
            batch.records.iter().filter_map(|r| if let Record::Unit(u) = r { Some(u) } else { None }).collect();
        assert_eq!(
            units.iter().map(|u| (u.id, u.status.as_str())).collect::<Vec<_>>(),
            [(51, "OPEN"), (133, "IN_PROGRESS")]
        );
        let remaining: Vec<(i64, i64, Option<i64>)> = batch
            .records
            .iter()
            .filter_map(
                |r| if let Record::UnitLine(l) = r { Some((l.unit_id, l.id, l.remaining_quantity)) } else { None },
            )
            .collect();
        assert_eq!(remaining, [(51, 65, Some(1)), (133, 66, Some(2))]);
        let to = ship_to(&order).unwrap();
        assert_eq!((to.city.as_deref(), to.country_code.as_deref()), (Some("San Antonio"), Some("US")));
    }

    #[test]
    fn an_order_ships_to_the_country_of_its_first_shipping_address_else_its_billing_one() {
        let order: Value = serde_json::from_str(fixture!("order.json")).unwrap();
        let mut addresses: Vec<Value> = serde_json::from_str(fixture!("order_shipping_addresses.json")).unwrap();
        addresses[0]["country_iso2"] = json!("ca");
        addresses[1]["country_iso2"] = json!("FR");
        let country = |shipping: Vec<Value>| {
            let mut order = order.clone();
            order["consignments"] = json!({"shipping": shipping});
            let batch = orders(vec![order], BTreeMap::new(), &site());
            let Some(Record::Order(read)) = batch.records.first() else { panic!("{:?}", batch.refused) };
            read.ship_to_country.clone()
        };
        assert_eq!(country(addresses.clone()), Some("CA".into()), "the first shipping address");
        // The billing address (Austin, US) when the first says nothing of where, or there is none.
        assert_eq!(country(vec![json!({"id": 51, "country_iso2": "FR"}), addresses[1].clone()]), Some("US".into()));
        assert_eq!(country(Vec::new()), Some("US".into()));
    }

    #[test]
    fn a_consignment_cut_at_fifty_lines_reads_the_whole_product_list() {
        let mut order: Value = serde_json::from_str(fixture!("order.json")).unwrap();
        let products: Vec<Value> = serde_json::from_str(fixture!("order_products.json")).unwrap();
        order["consignments"] =
            json!({"shipping": [{"id": 51, "line_items": [products[0]], "__warning__": {"message": "…"}}]});
        assert!(needs_products(&order));
        let all = BTreeMap::from([(218, products.clone())]);
        let batch = orders(vec![order.clone()], all, &site());
        let lines = batch.records.iter().filter(|r| matches!(r, Record::Line(_))).count();
        assert_eq!(lines, 2);
        order["consignments"]["shipping"][0].as_object_mut().unwrap().remove("__warning__");
        assert!(!needs_products(&order));
    }

    #[test]
    fn products_carry_their_variants_and_weights_in_grams() {
        let product: Value = serde_json::from_str(fixture!("product.json")).unwrap();
        let variants: Value = serde_json::from_str(fixture!("product_variants.json")).unwrap();
        let mut product = product["data"].clone();
        product["variants"] = variants["data"].clone();
        let batch = products(&json!({"data": [product]}).to_string(), &site());
        let Record::Product(read) = &batch.records[0] else { panic!("a product first") };
        assert_eq!((read.id, read.title.as_str(), read.updated_at), (174, "1L Le Parfait Jar", 1_536_180_127));
        assert!(!read.raw.contains("option_values"));
        let Record::Variant(first) = &batch.records[1] else { panic!("then its variants") };
        assert_eq!(
            (first.id, first.product_id, first.title.as_str(), first.sku.as_deref()),
            (382, 174, "Beige", Some("SMIT"))
        );
        assert_eq!((first.inventory_item_id, first.weight_grams), (Some(382), Some(57)));
        assert_eq!(batch.records.len(), 4);
    }

    #[test]
    fn customers_stock_and_money_read_as_written() {
        let batch = customers(fixture!("customers.json"));
        // The documentation's example has no id: refused with its reason, not the page.
        assert_eq!((batch.records.len(), batch.refused.len()), (0, 1));
        let page = json!({"data": [{"id": 7, "first_name": "Jane", "last_name": "Smith", "email": "j@example.com",
                                    "date_modified": "2022-05-30T12:18:02Z"}]});
        let Record::Customer(read) = &customers(&page.to_string()).records[0] else { panic!("a customer") };
        assert_eq!((read.id, read.name.as_str(), read.updated_at), (7, "Jane Smith", 1_653_913_082));
        let items = json!({"data": [{"identity": {"sku": "A", "variant_id": 9, "product_id": 3},
            "locations": [{"location_id": 1, "available_to_sell": 4}, {"location_id": 2, "available_to_sell": 0}]}]});
        let stock = levels(&items.to_string(), 100);
        assert_eq!(stock.records.len(), 2);
        assert_eq!(money(&json!("12.3450")), "12.35");
        assert_eq!(money(&json!("-0.0040")), "0.00");
        assert_eq!(money(&json!("7")), "7.00");
        assert_eq!(WeightUnit::from_store("Kilograms"), WeightUnit::Kilograms);
    }
}
