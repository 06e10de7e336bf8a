//! Reading Shopify's GraphQL nodes into storelink's records. A node is one line of a bulk result
//! file, or one node taken out of a page (`graphql::lines`): its `__typename` says which kind of
//! record it is and `__parentId` which record it belongs to. Each field is read leniently, so one
//! odd field refuses that node with a reason, never the batch.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::records::{
    model::{self, Batch, Gone, OrderStatus, Record, Refused},
    ShipTo,
};

/// An order's `shippingAddress` as Shopify's GraphQL gives it, in storelink's own shape.
pub fn ship_to(raw: &serde_json::Value) -> Option<ShipTo> {
    let address = raw.get("shippingAddress").filter(|a| a.is_object())?;
    let text = |key: &str| address.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    Some(ShipTo {
        name: text("name"),
        company: text("company"),
        address1: text("address1"),
        address2: text("address2"),
        city: text("city"),
        province: text("province"),
        province_code: text("provinceCode"),
        postal_code: text("zip"),
        country: text("country"),
        country_code: text("countryCodeV2"),
        phone: text("phone"),
    })
}

/// Reads lines of a bulk file, or a page taken apart, into records; `now` stands in for a
/// stock level's missing `updatedAt`.
pub fn read_lines(lines: &[&RawValue], now: i64) -> Batch {
    let mut batch = Batch::default();
    for line in lines {
        match node(line, now) {
            Ok(Some(record)) => batch.records.push(record),
            Ok(None) => {}
            Err(refused) => batch.refused.push(refused),
        }
    }
    batch
}

/// The record a gid names, as deleted: `None` for a kind storelink does not keep.
pub fn gone(gid: &str) -> Option<Gone> {
    let id = gid_number(gid)?;
    Some(match gid.trim_start_matches("gid://shopify/").split('/').next()? {
        "Product" => Gone::Product(id),
        "Order" => Gone::Order(id),
        "FulfillmentOrder" => Gone::Unit(id),
        "Customer" => Gone::Customer(id),
        "InventoryItem" => Gone::InventoryItem(id),
        _ => return None,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fields<'a> {
    #[serde(borrow, rename = "__typename")]
    typename: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "__parentId")]
    parent_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    updated_at: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    title: Option<&'a RawValue>,
    #[serde(borrow)]
    display_name: Option<&'a RawValue>,
    #[serde(borrow)]
    first_name: Option<&'a RawValue>,
    #[serde(borrow)]
    last_name: Option<&'a RawValue>,
    #[serde(borrow)]
    email: Option<&'a RawValue>,
    #[serde(borrow)]
    sku: Option<&'a RawValue>,
    #[serde(borrow)]
    quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    cancelled_at: Option<&'a RawValue>,
    #[serde(borrow)]
    closed: Option<&'a RawValue>,
    #[serde(borrow)]
    closed_at: Option<&'a RawValue>,
    #[serde(borrow)]
    display_fulfillment_status: Option<&'a RawValue>,
    #[serde(borrow)]
    total_weight: Option<&'a RawValue>,
    #[serde(borrow)]
    total_price_set: Option<&'a RawValue>,
    #[serde(borrow)]
    customer: Option<&'a RawValue>,
    #[serde(borrow)]
    shipping_address: Option<&'a RawValue>,
    #[serde(borrow)]
    shipping_line: Option<&'a RawValue>,
    #[serde(borrow)]
    inventory_item: Option<&'a RawValue>,
    #[serde(borrow)]
    location: Option<&'a RawValue>,
    #[serde(borrow)]
    item: Option<&'a RawValue>,
    #[serde(borrow)]
    quantities: Option<&'a RawValue>,
    #[serde(borrow)]
    status: Option<&'a RawValue>,
    #[serde(borrow)]
    assigned_location: Option<&'a RawValue>,
    #[serde(borrow)]
    total_quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    remaining_quantity: Option<&'a RawValue>,
    #[serde(borrow)]
    weight: Option<&'a RawValue>,
    #[serde(borrow)]
    line_item: Option<&'a RawValue>,
    #[serde(borrow)]
    order_id: Option<Cow<'a, str>>,
}

fn read<'a, T: Deserialize<'a>>(field: Option<&'a RawValue>) -> Option<T> {
    serde_json::from_str(field?.get()).ok()
}

/// A non-blank string.
fn text(field: Option<&RawValue>) -> Option<String> {
    read::<Cow<str>>(field).filter(|s| !s.trim().is_empty()).map(Cow::into_owned)
}

/// An integer, also when GraphQL writes it as a string (UnsignedInt64).
fn int(field: Option<&RawValue>) -> Option<i64> {
    read::<i64>(field).or_else(|| read::<Cow<str>>(field)?.parse().ok())
}

fn timestamp(field: Option<&RawValue>) -> Option<i64> {
    OffsetDateTime::parse(&read::<Cow<str>>(field)?, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

fn is_null(field: Option<&RawValue>) -> bool {
    field.is_none_or(|f| f.get() == "null")
}

/// The numeric id a gid ends in: `gid://shopify/Order/123` (or `…/123?inventory_item_id=…`).
pub fn gid_number(gid: &str) -> Option<i64> {
    let tail = gid.strip_prefix("gid://shopify/")?.split('/').nth(1)?;
    tail.split('?').next()?.parse().ok().filter(|id| *id > 0)
}

/// `{ "id": gid }` → the number.
fn object_id(field: Option<&RawValue>) -> Option<i64> {
    #[derive(Deserialize)]
    struct WithId<'a> {
        #[serde(borrow)]
        id: Option<Cow<'a, str>>,
    }
    gid_number(&read::<WithId>(field)?.id?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Person<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    display_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    first_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    last_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    address1: Option<Cow<'a, str>>,
    #[serde(borrow)]
    city: Option<Cow<'a, str>>,
    #[serde(borrow)]
    zip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    country: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "countryCodeV2")]
    country_code: Option<Cow<'a, str>>,
}

fn joined<'a>(parts: impl IntoIterator<Item = &'a Option<Cow<'a, str>>>, separator: &str) -> Option<String> {
    let text =
        parts.into_iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(separator);
    (!text.is_empty()).then_some(text)
}

impl Person<'_> {
    fn full_name(&self) -> Option<String> {
        let named = [&self.display_name, &self.name].into_iter().flatten().find(|n| !n.trim().is_empty());
        named.map(|n| n.trim().to_owned()).or_else(|| joined([&self.first_name, &self.last_name], " "))
    }

    fn one_line(&self) -> Option<String> {
        let name = self.full_name().map(Cow::Owned);
        joined([&name, &self.address1, &self.city, &self.zip, &self.country], ", ")
    }
}

/// A weight in grams, from `{unit, value}`.
fn grams(field: Option<&RawValue>) -> Option<i64> {
    #[derive(Deserialize)]
    struct Weight<'a> {
        #[serde(borrow)]
        unit: Cow<'a, str>,
        value: f64,
    }
    let weight: Weight = read(field)?;
    let per_unit = match weight.unit.as_ref() {
        "KILOGRAMS" => 1000.0,
        "GRAMS" => 1.0,
        "POUNDS" => 453.592_37,
        "OUNCES" => 28.349_523_125,
        _ => return None,
    };
    Some((weight.value * per_unit).round() as i64)
}

/// The available quantity of an inventory level's `quantities`.
fn available(field: Option<&RawValue>) -> Option<i64> {
    #[derive(Deserialize)]
    struct Quantity<'a> {
        #[serde(borrow)]
        name: Cow<'a, str>,
        quantity: Option<i64>,
    }
    read::<Vec<Quantity>>(field)?.into_iter().find(|q| q.name == "available").and_then(|q| q.quantity)
}

/// Nodes that only carry others (an inventory item fetched for its levels): not stored.
const CARRIERS: [&str; 1] = ["InventoryItem"];

/// The `__typename`s storelink keeps.
const KEPT: [&str; 9] = [
    "Location",
    "Product",
    "ProductVariant",
    "InventoryLevel",
    "Customer",
    "Order",
    "LineItem",
    "FulfillmentOrder",
    "FulfillmentOrderLineItem",
];

/// A node as a record (`None` for a carrier), or why it cannot be stored. The JSON is read once.
pub fn node(line: &RawValue, now: i64) -> Result<Option<Record>, Refused> {
    let refused = |id, why: &str| Refused { id, why: why.to_owned() };
    let fields: Fields = serde_json::from_str(line.get()).map_err(|_| refused(None, "it is not a JSON object"))?;
    let id = fields.id.as_deref().and_then(gid_number);
    let typename = fields.typename.as_deref().unwrap_or_default();
    if CARRIERS.contains(&typename) {
        return Ok(None);
    }
    if !KEPT.contains(&typename) {
        return Err(refused(id, "its __typename is not one storelink keeps"));
    }
    // A fulfillment order fetched by itself names its order instead of hanging from it.
    let parent = fields.parent_id.as_deref().or(fields.order_id.as_deref()).and_then(gid_number);
    let raw = || line.get().to_owned();
    let need_id = || id.ok_or_else(|| refused(None, "it has no id storelink can read"));
    let need_parent = || parent.ok_or_else(|| refused(id, "it names no parent record"));
    let updated = || timestamp(fields.updated_at).ok_or_else(|| refused(id, "its updatedAt is not a timestamp"));
    let record = match typename {
        "Location" => Record::Location(model::Location {
            id: need_id()?,
            name: text(fields.name).unwrap_or_default(),
            raw: raw(),
        }),
        "Product" => Record::Product(model::Product {
            id: need_id()?,
            title: text(fields.title).unwrap_or_default(),
            updated_at: updated()?,
            raw: raw(),
        }),
        "ProductVariant" => {
            #[derive(Deserialize)]
            struct Item<'a> {
                #[serde(borrow)]
                id: Option<Cow<'a, str>>,
                #[serde(borrow)]
                sku: Option<&'a RawValue>,
                #[serde(borrow)]
                measurement: Option<&'a RawValue>,
            }
            #[derive(Deserialize)]
            struct Measurement<'a> {
                #[serde(borrow)]
                weight: Option<&'a RawValue>,
            }
            let item: Option<Item> = read(fields.inventory_item);
            let weight = item.as_ref().and_then(|i| read::<Measurement>(i.measurement)).and_then(|m| grams(m.weight));
            let sku = text(fields.sku).or_else(|| item.as_ref().and_then(|i| text(i.sku)));
            Record::Variant(model::Variant {
                id: need_id()?,
                product_id: need_parent()?,
                title: text(fields.title).unwrap_or_default(),
                sku,
                inventory_item_id: item.as_ref().and_then(|i| gid_number(i.id.as_deref()?)),
                weight_grams: weight,
                updated_at: updated()?,
                raw: raw(),
            })
        }
        "InventoryLevel" => {
            let (Some(location_id), Some(inventory_item_id)) = (object_id(fields.location), object_id(fields.item))
            else {
                return Err(refused(id, "it names no location or inventory item"));
            };
            Record::Level(model::Level {
                location_id,
                inventory_item_id,
                available: available(fields.quantities),
                updated_at: timestamp(fields.updated_at).unwrap_or(now),
                raw: raw(),
            })
        }
        "Customer" => {
            let person = Person {
                id: None,
                display_name: read(fields.display_name),
                name: None,
                first_name: read(fields.first_name),
                last_name: read(fields.last_name),
                address1: None,
                city: None,
                zip: None,
                country: None,
                country_code: None,
            };
            Record::Customer(model::Customer {
                id: need_id()?,
                name: person.full_name().unwrap_or_default(),
                email: text(fields.email),
                updated_at: updated()?,
                raw: raw(),
            })
        }
        "Order" => {
            let created =
                timestamp(fields.created_at).ok_or_else(|| refused(id, "its createdAt is not a timestamp"))?;
            let status = if !is_null(fields.cancelled_at) {
                OrderStatus::Cancelled
            } else if read::<bool>(fields.closed).unwrap_or(false) || !is_null(fields.closed_at) {
                OrderStatus::Closed
            } else {
                OrderStatus::Open
            };
            let buyer: Option<Person> = read(fields.customer);
            let ship: Option<Person> = read(fields.shipping_address);
            let customer = buyer.as_ref().and_then(Person::full_name).or_else(|| ship.as_ref()?.full_name());
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Money<'a> {
                #[serde(borrow)]
                shop_money: Option<Amount<'a>>,
            }
            #[derive(Deserialize)]
            struct Amount<'a> {
                #[serde(borrow)]
                amount: Cow<'a, str>,
            }
            let price = read::<Money>(fields.total_price_set).and_then(|m| m.shop_money).map(|m| m.amount.into_owned());
            #[derive(Deserialize)]
            struct ShippingLine<'a> {
                #[serde(borrow)]
                title: Option<&'a RawValue>,
            }
            let shipping_method = read::<ShippingLine>(fields.shipping_line).and_then(|line| text(line.title));
            Record::Order(model::Order {
                id: need_id()?,
                name: text(fields.name).unwrap_or_default(),
                created_at_text: read::<String>(fields.created_at).unwrap_or_default(),
                created_at: created,
                updated_at: updated()?,
                status,
                platform_status: text(fields.display_fulfillment_status).map(|s| s.to_lowercase()),
                customer_name: customer,
                customer_id: buyer.as_ref().and_then(|b| gid_number(b.id.as_deref()?)),
                ship_to: ship.as_ref().and_then(Person::one_line),
                ship_to_country: ship.as_ref().and_then(|s| model::country_code(s.country_code.as_deref()?)),
                total_weight_grams: int(fields.total_weight).unwrap_or(0),
                total_price: price.unwrap_or_else(|| "0.00".into()),
                shipping_method,
                raw: raw(),
            })
        }
        "LineItem" => Record::Line(model::Line {
            id: need_id()?,
            order_id: need_parent()?,
            title: text(fields.title).or_else(|| text(fields.name)).unwrap_or_default(),
            sku: text(fields.sku),
            quantity: int(fields.quantity).unwrap_or(0),
            raw: raw(),
        }),
        "FulfillmentOrder" => {
            #[derive(Deserialize)]
            struct Assigned<'a> {
                #[serde(borrow)]
                name: Option<Cow<'a, str>>,
                #[serde(borrow)]
                location: Option<&'a RawValue>,
            }
            let assigned: Option<Assigned> = read(fields.assigned_location);
            Record::Unit(model::Unit {
                id: need_id()?,
                order_id: need_parent()?,
                status: text(fields.status).unwrap_or_else(|| "OPEN".into()),
                location_id: assigned.as_ref().and_then(|a| object_id(a.location)),
                location_name: assigned.and_then(|a| a.name.map(Cow::into_owned)),
                updated_at: updated()?,
                raw: raw(),
            })
        }
        _ => Record::UnitLine(model::UnitLine {
            id: need_id()?,
            unit_id: need_parent()?,
            line_item_id: object_id(fields.line_item),
            total_quantity: int(fields.total_quantity).unwrap_or(0),
            remaining_quantity: Some(int(fields.remaining_quantity).unwrap_or(0)),
            unit_weight_grams: grams(fields.weight),
            raw: raw(),
        }),
    };
    Ok(Some(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn gids_end_in_the_rest_id() {
        assert_eq!(gid_number("gid://shopify/Order/5010584895677"), Some(5_010_584_895_677));
        assert_eq!(
            gid_number("gid://shopify/InventoryLevel/97912455357?inventory_item_id=42185200631997"),
            Some(97_912_455_357)
        );
        assert_eq!(gid_number("gid://shopify/Order/"), None);
        assert_eq!(gid_number("5010584895677"), None);
    }

    #[test]
    fn a_bulk_line_reads_into_its_table_and_its_parent() {
        let variant = line(
            r#"{"__typename":"ProductVariant","id":"gid:\/\/shopify\/ProductVariant\/7","title":"Blue","sku":null,
                "updatedAt":"2026-01-01T00:00:00Z","inventoryItem":{"id":"gid://shopify/InventoryItem/9","sku":"B-1",
                "measurement":{"weight":{"unit":"KILOGRAMS","value":1.25}}},"__parentId":"gid://shopify/Product/3"}"#,
        );
        let Some(Record::Variant(variant)) = node(&variant, 100).unwrap() else { panic!("not a variant") };
        assert_eq!((variant.id, variant.product_id), (7, 3));
        assert_eq!(variant.sku.as_deref(), Some("B-1"));
        assert_eq!((variant.inventory_item_id, variant.weight_grams), (Some(9), Some(1250)));
    }

    #[test]
    fn an_order_says_where_it_ships_and_who_bought_it() {
        let order = line(
            r##"{"__typename":"Order","id":"gid://shopify/Order/1001","name":"#1001","createdAt":"2026-01-01T10:00:00Z",
                "updatedAt":"2026-01-02T10:00:00Z","cancelledAt":null,"closed":false,"closedAt":null,
                "displayFulfillmentStatus":"UNFULFILLED","totalWeight":"1200",
                "totalPriceSet":{"shopMoney":{"amount":"50.00","currencyCode":"EUR"}},
                "customer":{"id":"gid://shopify/Customer/42","displayName":"Zoë Ng"},
                "shippingAddress":{"name":"Zoë Ng","address1":"1 Main St","city":"Lyon","zip":"69001","country":"France"}}"##,
        );
        let Some(Record::Order(order)) = node(&order, 0).unwrap() else { panic!("not an order") };
        assert_eq!(order.status, OrderStatus::Open);
        assert_eq!(order.platform_status.as_deref(), Some("unfulfilled"));
        assert_eq!(order.customer_name.as_deref(), Some("Zoë Ng"));
        assert_eq!(order.customer_id, Some(42));
        assert_eq!(order.ship_to.as_deref(), Some("Zoë Ng, 1 Main St, Lyon, 69001, France"));
        assert_eq!((order.total_weight_grams, order.total_price.as_str()), (1200, "50.00"));
    }

    #[test]
    fn an_order_ships_to_the_country_of_its_shipping_address() {
        let order = |addresses: &str| {
            let text = format!(
                r#"{{"__typename":"Order","id":"gid://shopify/Order/1","createdAt":"2026-01-01T10:00:00Z",
                    "updatedAt":"2026-01-01T10:00:00Z",{addresses}}}"#
            );
            let Some(Record::Order(order)) = node(&line(&text), 0).unwrap() else { panic!("not an order") };
            order.ship_to_country
        };
        let shipping = r#""shippingAddress":{"city":"Lyon","country":"France","countryCodeV2":"FR"}"#;
        assert_eq!(order(&format!(r#"{shipping},"billingAddress":{{"countryCodeV2":"DE"}}"#)), Some("FR".into()));
        assert_eq!(order(r#""shippingAddress":{"city":"Lyon","countryCodeV2":"fr"}"#), Some("FR".into()));
        // No shipping address (nothing to ship), or none the platform coded: no country.
        assert_eq!(order(r#""shippingAddress":null,"billingAddress":{"countryCodeV2":"DE"}"#), None);
        assert_eq!(order(r#""shippingAddress":{"city":"Lyon","country":"France"}"#), None);
    }

    #[test]
    fn odd_nodes_are_refused_with_a_reason() {
        for (text, why) in [
            ("[1]", "not a JSON object"),
            (r#"{"__typename":"Metafield","id":"gid://shopify/Metafield/1"}"#, "__typename"),
            (r#"{"__typename":"Product","id":"nope"}"#, "no id"),
            (r#"{"__typename":"Product","id":"gid://shopify/Product/1","updatedAt":"soon"}"#, "updatedAt"),
            (r#"{"__typename":"LineItem","id":"gid://shopify/LineItem/1"}"#, "parent"),
        ] {
            let refused = node(&line(text), 0).err().unwrap_or_else(|| panic!("{text} was stored"));
            assert!(refused.why.contains(why), "{text}: {}", refused.why);
        }
    }
}
