//! Every field of every served type, read from the shop's generated records: ids as gids,
//! `legacyResourceId` and `UnsignedInt64` as strings, money as decimal strings, times in UTC,
//! enums in capitals, tags as lists.

use std::{collections::HashMap, rc::Rc};

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    exec::{parse_gid, Addr, Conn, Ctx, Obj, SortVal, Sorted, Val, MAX_PAGE},
    out::GqlError,
    search::{self, Expr, FieldValue},
    validate::PField,
};
use crate::{
    data::{
        fulfillment::FoStatus,
        mix, money,
        pools::{CITIES, STREETS},
        Customer, Location, Order, Product, Variant,
    },
    webhooks,
};

/// The inventory states Shopify names (GRAPHQL.md §3.5).
const QUANTITY_NAMES: &[&str] =
    &["available", "committed", "damaged", "incoming", "on_hand", "quality_control", "reserved", "safety_stock"];

/// Every variant of the shop, by id and by inventory item id.
#[derive(Default)]
pub struct VariantIndex<'a> {
    by_id: HashMap<u64, (&'a Product, &'a Variant)>,
    by_item: HashMap<u64, (&'a Product, &'a Variant)>,
}

fn gid(kind: &str, id: impl std::fmt::Display) -> String {
    format!("gid://shopify/{kind}/{id}")
}

fn tags(text: &str) -> Val<'static> {
    Val::strings(text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned))
}

fn tag_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// `DateTime`: ISO 8601 in UTC, `Z`.
pub fn utc(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

fn time<'a>(secs: i64) -> Val<'a> {
    Val::str(utc(secs))
}

fn id_arg<'f>(f: &'f PField, name: &str) -> Option<(&'f str, u64, &'f str)> {
    let (kind, id, params) = parse_gid(f.arg_str(name)?)?;
    Some((kind, id.parse().ok()?, params))
}

fn count<'a>(n: usize, limit: Option<i64>) -> Val<'a> {
    let limit = limit.map(|l| l.max(0) as usize);
    let (shown, exact) = match limit {
        Some(limit) if n > limit => (limit, false),
        _ => (n, true),
    };
    Val::record(
        "Count",
        vec![("count", Val::int(shown as i64)), ("precision", Val::str(if exact { "EXACT" } else { "AT_LEAST" }))],
    )
}

fn weight<'a>(grams: i64) -> Val<'a> {
    Val::record("Weight", vec![("unit", Val::str("KILOGRAMS")), ("value", Val::float(grams as f64 / 1000.0))])
}

fn address_parts(address: &crate::data::Address) -> (String, crate::data::pools::City) {
    (format!("{} {}", STREETS[address.street as usize], address.number), CITIES[address.city as usize])
}

impl<'a> Ctx<'a> {
    pub fn resolve(&self, obj: &Obj<'a>, f: &PField) -> Result<Val<'a>, GqlError> {
        let name = f.name.as_str();
        Ok(match obj {
            Obj::Record("QueryRoot", _) => return self.query_root(f),
            Obj::Record("Mutation", _) => return self.mutation(f),
            Obj::Record(_, fields) => {
                fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or(Val::Null)
            }
            Obj::Connection(conn) => match name {
                "edges" => Val::List((0..conn.items.len()).map(|i| Val::Obj(Obj::Edge(conn.clone(), i))).collect()),
                "nodes" => Val::List(conn.items.iter().map(|(_, o)| Val::Obj(o.clone())).collect()),
                "pageInfo" => page_info(conn),
                _ => Val::Null,
            },
            Obj::Edge(conn, index) => match name {
                "cursor" => Val::str(conn.items[*index].0.clone()),
                "node" => Val::Obj(conn.items[*index].1.clone()),
                _ => Val::Null,
            },
            Obj::Shop => self.shop(name),
            Obj::AppInstallation => match name {
                "id" => Val::str(gid(
                    "AppInstallation",
                    self.data.shop_id + if self.app == crate::apps::App::Legacy { 1 } else { 2 },
                )),
                "accessScopes" => Val::List(
                    self.scopes
                        .iter()
                        .map(|s| Val::record("AccessScope", vec![("handle", Val::str(s.clone()))]))
                        .collect(),
                ),
                _ => Val::Null,
            },
            Obj::Location(l) => return self.location(l, f),
            Obj::LocationAddress(l) => {
                let (street, (city, province, province_code, country, country_code, zip, lat, lng)) =
                    address_parts(&l.address);
                match name {
                    "address1" => Val::str(street),
                    "address2" => Val::Null,
                    "city" => Val::str(city),
                    "country" => Val::str(country),
                    "countryCode" => Val::str(country_code),
                    "province" => Val::str(province),
                    "provinceCode" => Val::str(province_code),
                    "zip" => Val::str(zip),
                    "phone" => Val::str("+1 613 555 0100"),
                    "latitude" => Val::float(lat),
                    "longitude" => Val::float(lng),
                    "formatted" => Val::strings([street, format!("{city} {province_code} {zip}"), country.to_owned()]),
                    _ => Val::Null,
                }
            }
            Obj::Product(p) => return self.product(p, f),
            Obj::ProductOption(p) => match name {
                "id" => Val::str(gid("ProductOption", p.id + 1)),
                "name" => Val::str(if p.variants.len() == 1 { "Title" } else { "Size" }),
                "position" => Val::int(1),
                "values" => Val::strings(p.variants.iter().map(|v| v.title.clone())),
                _ => Val::Null,
            },
            Obj::Variant(p, v) => self.variant(p, v, name),
            Obj::InventoryItem(p, v) => return self.inventory_item(p, v, f),
            Obj::Measurement(v) => match name {
                "id" => Val::str(gid("InventoryItemMeasurement", v.inventory_item_id)),
                "weight" => weight(v.grams),
                _ => Val::Null,
            },
            Obj::Level(p, v, l) => return self.level(p, v, l, f),
            Obj::Quantity(p, v, l, quantity) => {
                let (updated, amount) = self.quantity(p, v, l, quantity);
                match name {
                    "id" => Val::str(format!(
                        "gid://shopify/InventoryQuantity/{}?inventory_item_id={}&name={quantity}",
                        l.id, v.inventory_item_id
                    )),
                    "name" => Val::str(*quantity),
                    "quantity" => Val::int(amount),
                    "updatedAt" => updated.map_or(Val::Null, time),
                    _ => Val::Null,
                }
            }
            Obj::Customer(c) => self.customer(c, name),
            Obj::Address(addr, customer) => self.mailing_address(addr, *customer, f),
            Obj::Order(o) => return self.order(o, f),
            Obj::LineItem(o, line) => {
                let unfulfilled = o.unfulfilled(line.id);
                let current = if o.cancelled_at.is_some() { 0 } else { line.quantity };
                match name {
                    "id" => Val::str(gid("LineItem", line.id)),
                    "name" => Val::str(format!("{} - {}", line.title, line.variant_title)),
                    "title" => Val::str(line.title.clone()),
                    "variantTitle" => Val::str(line.variant_title.clone()),
                    "sku" => Val::str(line.sku.clone()),
                    "vendor" => Val::str("storelink emulator"),
                    "quantity" => Val::int(line.quantity),
                    "currentQuantity" => Val::int(current),
                    "unfulfilledQuantity" | "fulfillableQuantity" => Val::int(unfulfilled),
                    "nonFulfillableQuantity" => Val::int(0),
                    "refundableQuantity" => Val::int(if o.financial_status == "paid" { current } else { 0 }),
                    "requiresShipping" => Val::bool(true),
                    "variant" => {
                        self.find_variant(line.variant_id).map_or(Val::Null, |(p, v)| Val::Obj(Obj::Variant(p, v)))
                    }
                    "product" => {
                        self.data.products.get(&line.product_id).map_or(Val::Null, |p| Val::Obj(Obj::Product(p)))
                    }
                    "originalUnitPriceSet" | "discountedUnitPriceSet" => Val::Obj(Obj::MoneyBag(line.price_cents)),
                    "originalTotalSet" => Val::Obj(Obj::MoneyBag(line.price_cents * line.quantity)),
                    _ => Val::Null,
                }
            }
            Obj::ShippingLine(o) => match name {
                "id" => Val::str(gid("ShippingLine", o.id + 11)),
                "title" => Val::str("Standard Shipping"),
                "code" => Val::str("Standard"),
                "source" => Val::str("shopify"),
                "carrierIdentifier" => Val::Null,
                "isRemoved" => Val::bool(false),
                "originalPriceSet" | "discountedPriceSet" => Val::Obj(Obj::MoneyBag(o.totals().shipping)),
                _ => Val::Null,
            },
            Obj::Fulfillment(o, fulfillment) => return self.fulfillment(o, *fulfillment, f),
            Obj::FulfillmentOrder(o, fo) => return self.fulfillment_order(o, fo, f),
            Obj::AssignedLocation(fo) => {
                let Some(location) = self.data.locations.get(&fo.location_id) else { return Ok(Val::Null) };
                let (street, (city, province, _, _, country_code, zip, _, _)) = address_parts(&location.address);
                match name {
                    "address1" => Val::str(street),
                    "address2" | "phone" => Val::Null,
                    "city" => Val::str(city),
                    "countryCode" => Val::str(country_code),
                    "location" => Val::Obj(Obj::Location(location)),
                    "name" => Val::str(location.name.clone()),
                    "province" => Val::str(province),
                    "zip" => Val::str(zip),
                    _ => Val::Null,
                }
            }
            Obj::Destination(o) => {
                let Some(to) = o.ship_to else { return Ok(Val::Null) };
                let (street, (city, province, _, _, country_code, zip, _, _)) = address_parts(&to);
                match name {
                    "id" => Val::str(gid("FulfillmentOrderDestination", o.id + 13)),
                    "address1" => Val::str(street),
                    "address2" | "company" | "phone" => Val::Null,
                    "city" => Val::str(city),
                    "countryCode" => Val::str(country_code),
                    "email" => Val::opt_str(o.email.clone()),
                    "firstName" => Val::str(to.first_name()),
                    "lastName" => Val::str(to.last_name()),
                    "province" => Val::str(province),
                    "zip" => Val::str(zip),
                    _ => Val::Null,
                }
            }
            Obj::DeliveryMethod(o, fo) => match name {
                "id" => Val::str(gid("DeliveryMethod", fo.id + 1)),
                "methodType" => Val::str(if o.ship_to.is_some() { "SHIPPING" } else { "NONE" }),
                _ => Val::Null,
            },
            Obj::FoLine(o, fl) => {
                let Some(line) = o.lines.iter().find(|l| l.id == fl.line_item_id) else { return Ok(Val::Null) };
                match name {
                    "id" => Val::str(gid("FulfillmentOrderLineItem", fl.id)),
                    "lineItem" => Val::Obj(Obj::LineItem(o, line)),
                    "totalQuantity" => Val::int(fl.total),
                    "remainingQuantity" => Val::int(fl.remaining),
                    "inventoryItemId" => Val::str(gid("InventoryItem", line.inventory_item_id)),
                    "sku" => Val::str(line.sku.clone()),
                    "variant" => {
                        self.find_variant(line.variant_id).map_or(Val::Null, |(p, v)| Val::Obj(Obj::Variant(p, v)))
                    }
                    "productTitle" => Val::str(line.title.clone()),
                    "variantTitle" => Val::str(line.variant_title.clone()),
                    "requiresShipping" => Val::bool(true),
                    "weight" => weight(line.grams),
                    _ => Val::Null,
                }
            }
            Obj::MoneyBag(cents) => match name {
                "shopMoney" | "presentmentMoney" => Val::Obj(Obj::MoneyV2(*cents)),
                _ => Val::Null,
            },
            Obj::MoneyV2(cents) => match name {
                "amount" => Val::str(money(*cents)),
                "currencyCode" => Val::str("USD"),
                _ => Val::Null,
            },
            Obj::Bulk(op) => op.field(name),
            Obj::Subscription(sub) => self.subscription(sub, name),
        })
    }

    fn shop(&self, name: &str) -> Val<'a> {
        let data = self.data;
        let plan = self.shop.config.plan.plan_name();
        match name {
            "id" => Val::str(gid("Shop", data.shop_id)),
            "name" => Val::str(data.name.clone()),
            "email" | "contactEmail" => Val::str(format!("owner@{}", data.domain())),
            "myshopifyDomain" => Val::str(data.domain()),
            "currencyCode" => Val::str("USD"),
            "ianaTimezone" => Val::str(iana_timezone(data.offset.whole_minutes())),
            "timezoneOffsetMinutes" => Val::int(data.offset.whole_minutes() as i64),
            "weightUnit" => Val::str("KILOGRAMS"),
            "plan" => Val::record(
                "ShopPlan",
                vec![
                    (
                        "displayName",
                        Val::str(match plan {
                            "enterprise" => "Shopify Plus",
                            "professional" => "Advanced",
                            _ => "Basic",
                        }),
                    ),
                    ("partnerDevelopment", Val::bool(false)),
                    ("shopifyPlus", Val::bool(plan == "enterprise")),
                ],
            ),
            "resourceLimits" => Val::record(
                "ShopResourceLimits",
                vec![
                    ("maxProductVariants", Val::int(crate::data::MAX_VARIANTS as i64)),
                    ("maxProductOptions", Val::int(3)),
                ],
            ),
            _ => Val::Null,
        }
    }

    fn visible(&self, order: &Order) -> bool {
        order.created_at >= self.oldest_order
    }

    /// Variants by their id and by their inventory item's, indexed on first use: a page of
    /// orders (or a bulk export) looks up every line's variant.
    fn variant_index(&self) -> &VariantIndex<'a> {
        self.variants.get_or_init(|| {
            let mut index = VariantIndex::default();
            for p in self.data.products.values() {
                for v in &p.variants {
                    index.by_id.insert(v.id, (p, v));
                    index.by_item.insert(v.inventory_item_id, (p, v));
                }
            }
            index
        })
    }

    pub fn find_variant(&self, id: u64) -> Option<(&'a Product, &'a Variant)> {
        self.variant_index().by_id.get(&id).copied()
    }

    fn find_item(&self, item: u64) -> Option<(&'a Product, &'a Variant)> {
        self.variant_index().by_item.get(&item).copied()
    }

    /// A record by global id, or null; orders outside the 60-day window count as missing.
    pub fn node(&self, id: &str) -> Val<'a> {
        let Some((kind, raw, params)) = parse_gid(id) else { return Val::Null };
        let Ok(number) = raw.parse::<u64>() else { return Val::Null };
        let data = self.data;
        let obj = match kind {
            "Shop" if number == data.shop_id => Some(Obj::Shop),
            "Location" => data.locations.get(&number).map(Obj::Location),
            "Product" => data.products.get(&number).map(Obj::Product),
            "ProductVariant" => self.find_variant(number).map(|(p, v)| Obj::Variant(p, v)),
            "InventoryItem" => self.find_item(number).map(|(p, v)| Obj::InventoryItem(p, v)),
            "InventoryLevel" => {
                let item = params.strip_prefix("inventory_item_id=").and_then(|i| i.parse::<u64>().ok());
                match (data.locations.get(&number), item.and_then(|i| self.find_item(i))) {
                    (Some(l), Some((p, v))) => Some(Obj::Level(p, v, l)),
                    _ => None,
                }
            }
            "Customer" => data.customers.get(&number).map(Obj::Customer),
            "Order" => data.orders.get(&number).filter(|o| self.visible(o)).map(Obj::Order),
            "LineItem" => data
                .orders
                .values()
                .filter(|o| self.visible(o))
                .find_map(|o| o.lines.iter().find(|l| l.id == number).map(|l| Obj::LineItem(o, l))),
            "FulfillmentOrder" => data
                .fulfillment_order(number)
                .filter(|(o, _)| self.visible(o))
                .map(|(o, fo)| Obj::FulfillmentOrder(o, fo)),
            "FulfillmentOrderLineItem" => data.orders.values().filter(|o| self.visible(o)).find_map(|o| {
                o.fulfillment_orders
                    .iter()
                    .find_map(|fo| fo.lines.iter().find(|l| l.id == number).map(|l| Obj::FoLine(o, l)))
            }),
            "Fulfillment" => match data.fulfillment(number) {
                Some((o, made)) => Some(Obj::Fulfillment(o, Some(made))),
                None => data
                    .orders
                    .get(&number.wrapping_sub(7))
                    .filter(|o| o.legacy_fulfillment().is_some_and(|l| l.id == number))
                    .map(|o| Obj::Fulfillment(o, None)),
            }
            .filter(|obj| matches!(obj, Obj::Fulfillment(o, _) if self.visible(o))),
            "FulfillmentLineItem" => data.orders.values().filter(|o| self.visible(o)).find_map(|o| {
                o.fulfillments.iter().flat_map(|made| made.lines.iter()).find(|fl| fl.id == number).and_then(|fl| {
                    let line = o.lines.iter().find(|l| l.id == fl.line_item_id)?;
                    Some(fulfillment_line(o, line, fl.id, fl.quantity))
                })
            }),
            "BulkOperation" => self.operations.iter().find(|op| op.id == number).map(|op| Obj::Bulk(op.clone())),
            "WebhookSubscription" => {
                self.subscriptions.iter().find(|s| s.id == number).map(|s| Obj::Subscription(s.clone()))
            }
            "AppInstallation" => {
                let own = data.shop_id + if self.app == crate::apps::App::Legacy { 1 } else { 2 };
                (number == own).then_some(Obj::AppInstallation)
            }
            _ => None,
        };
        obj.map_or(Val::Null, Val::Obj)
    }

    fn query_root(&self, f: &PField) -> Result<Val<'a>, GqlError> {
        let data = self.data;
        let query = search::parse(f.arg_str("query").unwrap_or_default());
        let sort = f.arg_str("sortKey").unwrap_or("ID");
        let limit = f.arg_i64("limit");
        let by_id = |f: &PField, kind: &str| id_arg(f, "id").filter(|(k, _, _)| *k == kind).map(|(_, id, _)| id);
        Ok(match f.name.as_str() {
            "shop" => Val::Obj(Obj::Shop),
            "currentAppInstallation" => Val::Obj(Obj::AppInstallation),
            "node" => self.node(f.arg_str("id").unwrap_or_default()),
            "nodes" => {
                let ids = f.args.get("ids").and_then(|v| v.as_array()).cloned().unwrap_or_default();
                Val::List(ids.iter().map(|id| self.node(id.as_str().unwrap_or_default())).collect())
            }
            "location" => match f.arg_str("id") {
                None => data.first_location().map_or(Val::Null, |l| Val::Obj(Obj::Location(l))),
                Some(_) => by_id(f, "Location")
                    .and_then(|id| data.locations.get(&id))
                    .map_or(Val::Null, |l| Val::Obj(Obj::Location(l))),
            },
            "locations" => {
                let items = data
                    .locations
                    .values()
                    .filter(|l| query.matches(&|field| location_field(l, field), data.offset))
                    .map(|l| Sorted {
                        key: match sort {
                            "NAME" => SortVal::Str(l.name.to_lowercase()),
                            _ => SortVal::Int(l.id as i64),
                        },
                        id: l.id,
                        obj: Obj::Location(l),
                    })
                    .collect();
                self.connection(f, items)?
            }
            "product" => by_id(f, "Product")
                .and_then(|id| data.products.get(&id))
                .map_or(Val::Null, |p| Val::Obj(Obj::Product(p))),
            "products" => {
                let items = data
                    .products
                    .values()
                    .filter(|p| query.matches(&|field| product_field(p, field), data.offset))
                    .map(|p| Sorted { key: self.product_sort(p, sort), id: p.id, obj: Obj::Product(p) })
                    .collect();
                self.connection(f, items)?
            }
            "productsCount" => count(
                data.products.values().filter(|p| query.matches(&|field| product_field(p, field), data.offset)).count(),
                limit,
            ),
            "productVariant" => by_id(f, "ProductVariant")
                .and_then(|id| self.find_variant(id))
                .map_or(Val::Null, |(p, v)| Val::Obj(Obj::Variant(p, v))),
            "productVariants" => {
                let items = data
                    .products
                    .values()
                    .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
                    .filter(|(p, v)| query.matches(&|field| variant_field(p, v, field), data.offset))
                    .map(|(p, v)| Sorted { key: self.variant_sort(p, v, sort), id: v.id, obj: Obj::Variant(p, v) })
                    .collect();
                self.connection(f, items)?
            }
            "inventoryItem" => by_id(f, "InventoryItem")
                .and_then(|id| self.find_item(id))
                .map_or(Val::Null, |(p, v)| Val::Obj(Obj::InventoryItem(p, v))),
            "inventoryItems" => {
                let items = data
                    .products
                    .values()
                    .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
                    .filter(|(p, v)| query.matches(&|field| item_field(p, v, field), data.offset))
                    .map(|(p, v)| Sorted {
                        key: SortVal::Int(v.inventory_item_id as i64),
                        id: v.inventory_item_id,
                        obj: Obj::InventoryItem(p, v),
                    })
                    .collect();
                self.connection(f, items)?
            }
            "inventoryLevel" => match self.node(f.arg_str("id").unwrap_or_default()) {
                level @ Val::Obj(Obj::Level(..)) => level,
                _ => Val::Null,
            },
            "customer" => by_id(f, "Customer")
                .and_then(|id| data.customers.get(&id))
                .map_or(Val::Null, |c| Val::Obj(Obj::Customer(c))),
            "customers" => {
                let items = data
                    .customers
                    .values()
                    .filter(|c| query.matches(&|field| customer_field(c, field), data.offset))
                    .map(|c| Sorted { key: customer_sort(c, sort), id: c.id, obj: Obj::Customer(c) })
                    .collect();
                self.connection(f, items)?
            }
            "customersCount" => count(
                data.customers
                    .values()
                    .filter(|c| query.matches(&|field| customer_field(c, field), data.offset))
                    .count(),
                limit,
            ),
            "order" => by_id(f, "Order")
                .and_then(|id| data.orders.get(&id))
                .filter(|o| self.visible(o))
                .map_or(Val::Null, |o| Val::Obj(Obj::Order(o))),
            "orders" => {
                let items = self
                    .visible_orders(&query)
                    .map(|o| Sorted { key: order_sort(o, sort), id: o.id, obj: Obj::Order(o) })
                    .collect();
                self.connection(f, items)?
            }
            "ordersCount" => count(self.visible_orders(&query).count(), limit),
            "fulfillmentOrder" => match self.node(f.arg_str("id").unwrap_or_default()) {
                fo @ Val::Obj(Obj::FulfillmentOrder(..)) => fo,
                _ => Val::Null,
            },
            "fulfillmentOrders" => {
                let include_closed = f.arg_bool("includeClosed").unwrap_or(false);
                let items = data
                    .orders
                    .values()
                    .filter(|o| self.visible(o))
                    .flat_map(|o| o.fulfillment_orders.iter().map(move |fo| (o, fo)))
                    .filter(|(_, fo)| {
                        include_closed
                            || !matches!(fo.status, FoStatus::Closed | FoStatus::Cancelled | FoStatus::Incomplete)
                    })
                    .filter(|(o, fo)| query.matches(&|field| fo_field(o, fo, field), data.offset))
                    .map(|(o, fo)| Sorted {
                        key: match sort {
                            "UPDATED_AT" => SortVal::Int(fo.updated_at),
                            _ => SortVal::Int(fo.id as i64),
                        },
                        id: fo.id,
                        obj: Obj::FulfillmentOrder(o, fo),
                    })
                    .collect();
                self.connection(f, items)?
            }
            "bulkOperation" => match self.node(f.arg_str("id").unwrap_or_default()) {
                op @ Val::Obj(Obj::Bulk(_)) => op,
                _ => Val::Null,
            },
            "currentBulkOperation" => {
                let kind = f.arg_str("type").unwrap_or("QUERY");
                self.operations
                    .iter()
                    .filter(|op| op.kind == kind)
                    .max_by_key(|op| op.id)
                    .map_or(Val::Null, |op| Val::Obj(Obj::Bulk(op.clone())))
            }
            "bulkOperations" => {
                let items = self
                    .operations
                    .iter()
                    .filter(|op| query.matches(&|field| op.search_field(field), data.offset))
                    .map(|op| Sorted {
                        key: SortVal::Int(if sort == "COMPLETED_AT" {
                            op.completed_at.unwrap_or(i64::MAX)
                        } else {
                            op.created_at
                        }),
                        id: op.id,
                        obj: Obj::Bulk(op.clone()),
                    })
                    .collect();
                self.connection(f, items)?
            }
            "webhookSubscription" => match self.node(f.arg_str("id").unwrap_or_default()) {
                sub @ Val::Obj(Obj::Subscription(_)) => sub,
                _ => Val::Null,
            },
            "webhookSubscriptions" => {
                let topics: Option<Vec<String>> = f
                    .args
                    .get("topics")
                    .and_then(|v| v.as_array())
                    .map(|t| t.iter().filter_map(|t| t.as_str()).map(webhooks::rest_topic).collect());
                let address = f.arg_str("uri").or_else(|| f.arg_str("callbackUrl"));
                let items = self
                    .subscriptions
                    .iter()
                    .filter(|s| topics.as_ref().is_none_or(|t| t.contains(&s.topic)))
                    .filter(|s| address.is_none_or(|a| s.address == a))
                    .filter(|_| f.arg_str("format").is_none_or(|format| format == "JSON"))
                    .filter(|s| {
                        query.matches(
                            &|field| match field {
                                Some("id") => FieldValue::Number(s.id as i64),
                                Some("topic") => FieldValue::Text(s.topic.clone()),
                                Some("created_at" | "updated_at") => FieldValue::Time(s.created_at),
                                _ => FieldValue::Unknown,
                            },
                            data.offset,
                        )
                    })
                    .map(|s| Sorted {
                        key: SortVal::Int(if sort == "ID" { s.id as i64 } else { s.created_at }),
                        id: s.id,
                        obj: Obj::Subscription(s.clone()),
                    })
                    .collect();
                self.connection(f, items)?
            }
            _ => Val::Null,
        })
    }

    fn visible_orders<'q>(&'q self, query: &'q Expr) -> impl Iterator<Item = &'a Order> + 'q {
        let offset = self.data.offset;
        self.data
            .orders
            .values()
            .filter(move |o| self.visible(o) && query.matches(&|field| order_field(o, field), offset))
    }

    fn location(&self, l: &'a Location, f: &PField) -> Result<Val<'a>, GqlError> {
        let data = self.data;
        Ok(match f.name.as_str() {
            "id" => Val::str(gid("Location", l.id)),
            "legacyResourceId" => Val::str(l.id.to_string()),
            "name" => Val::str(l.name.clone()),
            "address" => Val::Obj(Obj::LocationAddress(l)),
            "isActive" | "deactivatable" | "fulfillsOnlineOrders" | "shipsInventory" | "hasActiveInventory" => {
                Val::bool(true)
            }
            "activatable" | "isFulfillmentService" => Val::bool(false),
            "isPrimary" => Val::bool(data.first_location().is_some_and(|p| p.id == l.id)),
            "hasUnfulfilledOrders" => Val::bool(data.orders.values().any(|o| {
                o.fulfillment_orders
                    .iter()
                    .any(|fo| fo.location_id == l.id && fo.status.fulfillable() && fo.remaining() > 0)
            })),
            "inventoryLevels" => {
                let mut items = Vec::new();
                for p in data.products.values() {
                    for v in &p.variants {
                        items.push(Sorted {
                            key: SortVal::Int(v.inventory_item_id as i64),
                            id: v.inventory_item_id,
                            obj: Obj::Level(p, v, l),
                        });
                    }
                }
                self.connection(f, items)?
            }
            "inventoryLevel" => match id_arg(f, "inventoryItemId").and_then(|(_, id, _)| self.find_item(id)) {
                Some((p, v)) => Val::Obj(Obj::Level(p, v, l)),
                None => Val::Null,
            },
            _ => Val::Null,
        })
    }

    fn product(&self, p: &'a Product, f: &PField) -> Result<Val<'a>, GqlError> {
        let name = f.name.as_str();
        Ok(match name {
            "id" => Val::str(gid("Product", p.id)),
            "legacyResourceId" => Val::str(p.id.to_string()),
            "title" => Val::str(p.title.clone()),
            "handle" => Val::str(p.handle.clone()),
            "status" => Val::str(p.status.to_ascii_uppercase()),
            "vendor" => Val::str(p.vendor),
            "productType" => Val::str(p.product_type),
            "tags" => tags(&p.tags),
            "descriptionHtml" => Val::str(format!("<p>{}</p>", p.title)),
            "createdAt" | "publishedAt" => time(p.created_at),
            "updatedAt" => time(p.updated_at),
            "totalInventory" => {
                Val::int(p.variants.iter().map(|v| self.data.total_available(v.inventory_item_id)).sum())
            }
            "hasOnlyDefaultVariant" => Val::bool(p.variants.len() == 1 && p.variants[0].title == "Default Title"),
            "options" => Val::List(vec![Val::Obj(Obj::ProductOption(p))]),
            "variantsCount" => count(p.variants.len(), None),
            "variants" => {
                let sort = f.arg_str("sortKey").unwrap_or("POSITION");
                let items = p
                    .variants
                    .iter()
                    .map(|v| Sorted { key: self.variant_sort(p, v, sort), id: v.id, obj: Obj::Variant(p, v) })
                    .collect();
                self.connection(f, items)?
            }
            _ => Val::Null,
        })
    }

    fn variant(&self, p: &'a Product, v: &'a Variant, name: &str) -> Val<'a> {
        match name {
            "id" => Val::str(gid("ProductVariant", v.id)),
            "legacyResourceId" => Val::str(v.id.to_string()),
            "title" => Val::str(v.title.clone()),
            "displayName" => Val::str(format!("{} - {}", p.title, v.title)),
            "sku" => Val::str(v.sku.clone()),
            "barcode" => Val::str(format!("{:013}", v.id % 10_000_000_000_000)),
            "price" => Val::str(money(v.price_cents)),
            "compareAtPrice" => Val::Null,
            "position" => Val::int(position(p, v)),
            "inventoryQuantity" => Val::int(self.data.total_available(v.inventory_item_id)),
            "inventoryPolicy" => Val::str("DENY"),
            "inventoryItem" => Val::Obj(Obj::InventoryItem(p, v)),
            "selectedOptions" => Val::List(vec![Val::record(
                "SelectedOption",
                vec![
                    ("name", Val::str(if p.variants.len() == 1 { "Title" } else { "Size" })),
                    ("value", Val::str(v.title.clone())),
                ],
            )]),
            "taxable" => Val::bool(true),
            "createdAt" => time(p.created_at),
            "updatedAt" => time(p.updated_at),
            "product" => Val::Obj(Obj::Product(p)),
            _ => Val::Null,
        }
    }

    fn inventory_item(&self, p: &'a Product, v: &'a Variant, f: &PField) -> Result<Val<'a>, GqlError> {
        let data = self.data;
        Ok(match f.name.as_str() {
            "id" => Val::str(gid("InventoryItem", v.inventory_item_id)),
            "legacyResourceId" => Val::str(v.inventory_item_id.to_string()),
            "sku" => Val::str(v.sku.clone()),
            "tracked" | "requiresShipping" => Val::bool(true),
            "measurement" => Val::Obj(Obj::Measurement(v)),
            "unitCost" | "harmonizedSystemCode" | "countryCodeOfOrigin" => Val::Null,
            "inventoryLevels" => {
                let items = data
                    .locations
                    .values()
                    .map(|l| Sorted { key: SortVal::Int(l.id as i64), id: l.id, obj: Obj::Level(p, v, l) })
                    .collect();
                self.connection(f, items)?
            }
            "inventoryLevel" => match id_arg(f, "locationId").and_then(|(_, id, _)| data.locations.get(&id)) {
                Some(l) => Val::Obj(Obj::Level(p, v, l)),
                None => Val::Null,
            },
            "variant" => Val::Obj(Obj::Variant(p, v)),
            "createdAt" => time(p.created_at),
            "updatedAt" => time(p.updated_at),
            _ => Val::Null,
        })
    }

    fn level(&self, p: &'a Product, v: &'a Variant, l: &'a Location, f: &PField) -> Result<Val<'a>, GqlError> {
        Ok(match f.name.as_str() {
            "id" => {
                Val::str(format!("gid://shopify/InventoryLevel/{}?inventory_item_id={}", l.id, v.inventory_item_id))
            }
            "item" => Val::Obj(Obj::InventoryItem(p, v)),
            "location" => Val::Obj(Obj::Location(l)),
            "quantities" => {
                let names: Vec<String> = f
                    .args
                    .get("names")
                    .and_then(|n| n.as_array())
                    .map(|n| n.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                let mut out = Vec::new();
                for name in &names {
                    let Some(known) = QUANTITY_NAMES.iter().find(|q| **q == name.as_str()) else {
                        return Err(GqlError::new(format!(
                            "The quantity name '{name}' is not valid. Valid names are: {}.",
                            QUANTITY_NAMES.join(", ")
                        ))
                        .code("BAD_REQUEST"));
                    };
                    out.push(Val::Obj(Obj::Quantity(p, v, l, known)));
                }
                Val::List(out)
            }
            "canDeactivate" => Val::bool(false),
            "deactivationAlert" => Val::Null,
            "createdAt" => time(p.created_at.max(l.created_at)),
            "updatedAt" => time(l.updated_at),
            _ => Val::Null,
        })
    }

    /// When a quantity last changed (if it ever did) and how much there is.
    fn quantity(&self, _p: &Product, v: &Variant, l: &Location, name: &str) -> (Option<i64>, i64) {
        let available = self.data.available(v.inventory_item_id, l.id);
        let committed = (mix(v.inventory_item_id ^ l.id ^ 0xc0) % 4) as i64;
        let changed = Some(l.updated_at);
        match name {
            "available" => (changed, available),
            "committed" => (changed, committed),
            "on_hand" => (changed, available + committed),
            _ => (None, 0),
        }
    }

    fn customer(&self, c: &'a Customer, name: &str) -> Val<'a> {
        match name {
            "id" => Val::str(gid("Customer", c.id)),
            "legacyResourceId" => Val::str(c.id.to_string()),
            "firstName" => Val::str(c.address.first_name()),
            "lastName" => Val::str(c.address.last_name()),
            "displayName" => Val::str(format!("{} {}", c.address.first_name(), c.address.last_name())),
            "email" => Val::opt_str(c.email.clone()),
            "phone" => Val::opt_str(c.phone.clone()),
            "defaultEmailAddress" => match &c.email {
                Some(email) => Val::record(
                    "CustomerEmailAddress",
                    vec![("emailAddress", Val::str(email.clone())), ("marketingState", Val::str("NOT_SUBSCRIBED"))],
                ),
                None => Val::Null,
            },
            "defaultPhoneNumber" => match &c.phone {
                Some(phone) => Val::record(
                    "CustomerPhoneNumber",
                    vec![("phoneNumber", Val::str(phone.clone())), ("marketingState", Val::str("NOT_SUBSCRIBED"))],
                ),
                None => Val::Null,
            },
            "state" => Val::str(if c.email.is_some() { "ENABLED" } else { "DISABLED" }),
            "tags" => tags(&c.tags),
            "note" => Val::opt_str(c.note.clone()),
            "verifiedEmail" => Val::bool(c.email.is_some()),
            "numberOfOrders" => Val::str(c.orders_count.to_string()),
            "amountSpent" => Val::Obj(Obj::MoneyV2(c.total_spent_cents)),
            "defaultAddress" => Val::Obj(customer_address(c)),
            "addresses" => Val::List(vec![Val::Obj(customer_address(c))]),
            "createdAt" => time(c.created_at),
            "updatedAt" => time(c.updated_at),
            _ => Val::Null,
        }
    }

    fn mailing_address(&self, addr: &Addr, customer: Option<&Customer>, f: &PField) -> Val<'a> {
        let a = addr.address;
        let (street, (city, province, province_code, country, country_code, zip, lat, lng)) = address_parts(&a);
        let full_name = format!("{} {}", a.first_name(), a.last_name());
        let phone =
            if addr.customer_phone { customer.and_then(|c| c.phone.clone()) } else { addr.phone.map(str::to_owned) };
        match f.name.as_str() {
            "id" => Val::str(format!("gid://shopify/MailingAddress/{}?model_name={}", addr.id, addr.model)),
            "address1" => Val::str(street),
            "address2" | "company" => Val::Null,
            "city" => Val::str(city),
            "country" => Val::str(country),
            "countryCodeV2" => Val::str(country_code),
            "province" => Val::str(province),
            "provinceCode" => Val::str(province_code),
            "zip" => Val::str(zip),
            "firstName" => Val::str(a.first_name()),
            "lastName" => Val::str(a.last_name()),
            "name" => Val::str(full_name.clone()),
            "phone" => Val::opt_str(phone),
            "latitude" => Val::float(lat),
            "longitude" => Val::float(lng),
            "formatted" => {
                let mut lines = Vec::new();
                if f.arg_bool("withName").unwrap_or(false) {
                    lines.push(full_name);
                }
                lines.extend([street, format!("{city} {province_code} {zip}"), country.to_owned()]);
                Val::strings(lines)
            }
            _ => Val::Null,
        }
    }

    fn order(&self, o: &'a Order, f: &PField) -> Result<Val<'a>, GqlError> {
        let data = self.data;
        let totals = o.totals();
        let buyer = o.customer_id.and_then(|id| data.customers.get(&id));
        Ok(match f.name.as_str() {
            "id" => Val::str(gid("Order", o.id)),
            "legacyResourceId" => Val::str(o.id.to_string()),
            "name" => Val::str(format!("#{}", o.number)),
            "email" => Val::opt_str(o.email.clone()),
            "phone" => Val::opt_str(buyer.and_then(|c| c.phone.clone())),
            "createdAt" | "processedAt" => time(o.created_at),
            "updatedAt" => time(o.updated_at),
            "cancelledAt" => o.cancelled_at.map_or(Val::Null, time),
            "cancelReason" => Val::opt_str(o.cancelled_at.map(|_| "CUSTOMER")),
            "closed" => Val::bool(o.closed_at.is_some()),
            "closedAt" => o.closed_at.map_or(Val::Null, time),
            "confirmed" => Val::bool(true),
            "test" => Val::bool(false),
            "tags" => tags(&o.tags),
            "note" => Val::opt_str(o.note.clone()),
            "sourceName" => Val::str("web"),
            "statusPageUrl" => {
                let token = format!("{:016x}{:016x}", mix(o.id), mix(o.id ^ 0xa5a5));
                Val::str(format!("https://{}/{}/orders/{token}/authenticate?key=x", data.domain(), data.shop_id))
            }
            "requiresShipping" => Val::bool(o.ship_to.is_some()),
            "currencyCode" | "presentmentCurrencyCode" => Val::str("USD"),
            "displayFinancialStatus" => Val::str(o.financial_status.to_ascii_uppercase()),
            "displayFulfillmentStatus" => Val::str(if o.fulfilled {
                "FULFILLED"
            } else if o.partially_fulfilled() {
                "PARTIALLY_FULFILLED"
            } else if o.cancelled_at.is_none() && o.fulfillment_orders.iter().any(|fo| fo.status == FoStatus::OnHold) {
                "ON_HOLD"
            } else {
                "UNFULFILLED"
            }),
            "totalPriceSet" | "currentTotalPriceSet" => Val::Obj(Obj::MoneyBag(totals.total)),
            "subtotalPriceSet" | "currentSubtotalPriceSet" => Val::Obj(Obj::MoneyBag(totals.subtotal)),
            "totalTaxSet" => Val::Obj(Obj::MoneyBag(totals.tax)),
            "totalShippingPriceSet" => Val::Obj(Obj::MoneyBag(totals.shipping)),
            "totalDiscountsSet" => Val::Obj(Obj::MoneyBag(0)),
            "totalWeight" => Val::str(o.total_weight().to_string()),
            "customer" => buyer.map_or(Val::Null, |c| Val::Obj(Obj::Customer(c))),
            "shippingAddress" => o.ship_to.map_or(Val::Null, |a| {
                Val::Obj(Obj::Address(
                    Addr { address: a, phone: None, customer_phone: false, id: o.id + 13, model: "Address" },
                    None,
                ))
            }),
            "billingAddress" => Val::Obj(Obj::Address(
                Addr { address: o.bill_to, phone: None, customer_phone: false, id: o.id + 17, model: "Address" },
                None,
            )),
            "shippingLine" => {
                if o.ship_to.is_some() {
                    Val::Obj(Obj::ShippingLine(o))
                } else {
                    Val::Null
                }
            }
            "lineItems" => {
                let items = o
                    .lines
                    .iter()
                    .map(|l| Sorted { key: SortVal::Int(l.id as i64), id: l.id, obj: Obj::LineItem(o, l) })
                    .collect();
                self.connection(f, items)?
            }
            "fulfillmentOrders" => {
                let query = search::parse(f.arg_str("query").unwrap_or_default());
                let items = o
                    .fulfillment_orders
                    .iter()
                    .filter(|fo| query.matches(&|field| fo_field(o, fo, field), data.offset))
                    .map(|fo| Sorted { key: SortVal::Int(fo.id as i64), id: fo.id, obj: Obj::FulfillmentOrder(o, fo) })
                    .collect();
                self.connection(f, items)?
            }
            "fulfillments" => {
                let first = f.arg_i64("first").unwrap_or(MAX_PAGE).max(0) as usize;
                Val::List(order_fulfillments(o).into_iter().take(first).map(Val::Obj).collect())
            }
            _ => Val::Null,
        })
    }

    fn fulfillment_order(
        &self,
        o: &'a Order,
        fo: &'a crate::data::fulfillment::FulfillmentOrder,
        f: &PField,
    ) -> Result<Val<'a>, GqlError> {
        Ok(match f.name.as_str() {
            "id" => Val::str(gid("FulfillmentOrder", fo.id)),
            "status" => Val::str(fo.status.graphql()),
            "requestStatus" => Val::str("UNSUBMITTED"),
            "createdAt" => time(fo.created_at),
            "updatedAt" => time(fo.updated_at),
            "fulfillAt" => time(fo.created_at - fo.created_at.rem_euclid(3600)),
            "fulfillBy" | "channelId" => Val::Null,
            "order" => Val::Obj(Obj::Order(o)),
            "orderId" => Val::str(gid("Order", o.id)),
            "orderName" => Val::str(format!("#{}", o.number)),
            "orderProcessedAt" => time(o.created_at),
            "assignedLocation" => Val::Obj(Obj::AssignedLocation(fo)),
            "destination" => {
                if o.ship_to.is_some() {
                    Val::Obj(Obj::Destination(o))
                } else {
                    Val::Null
                }
            }
            "deliveryMethod" => Val::Obj(Obj::DeliveryMethod(o, fo)),
            "lineItems" => {
                let items = fo
                    .lines
                    .iter()
                    .map(|l| Sorted { key: SortVal::Int(l.id as i64), id: l.id, obj: Obj::FoLine(o, l) })
                    .collect();
                self.connection(f, items)?
            }
            "supportedActions" => {
                // What the calling app may do: creating a fulfillment needs the write scope
                // (GRAPHQL.md §3.6: without it an OPEN order listed only MOVE and HOLD).
                let mut actions = Vec::new();
                if fo.status.fulfillable() && fo.remaining() > 0 {
                    if self.allowed(&["write_merchant_managed_fulfillment_orders".to_owned()]) {
                        actions.push("CREATE_FULFILLMENT");
                    }
                    actions.extend(["MOVE", "HOLD"]);
                } else if fo.status == FoStatus::OnHold {
                    actions.push("RELEASE_HOLD");
                }
                Val::List(
                    actions
                        .into_iter()
                        .map(|a| {
                            Val::record(
                                "FulfillmentOrderSupportedAction",
                                vec![("action", Val::str(a)), ("externalUrl", Val::Null)],
                            )
                        })
                        .collect(),
                )
            }
            // The control endpoint's hold gives no reason, which Shopify calls OTHER.
            "fulfillmentHolds" if fo.status == FoStatus::OnHold => Val::List(vec![Val::record(
                "FulfillmentHold",
                vec![("reason", Val::str("OTHER")), ("displayReason", Val::str("Other"))],
            )]),
            "fulfillmentHolds" => Val::List(Vec::new()),
            "fulfillments" => {
                let items = order_fulfillments(o)
                    .into_iter()
                    .filter(|obj| match obj {
                        Obj::Fulfillment(_, Some(made)) => made.lines.iter().any(|l| l.fulfillment_order_id == fo.id),
                        _ => true,
                    })
                    .map(|obj| {
                        let id = match &obj {
                            Obj::Fulfillment(_, Some(made)) => made.id,
                            _ => o.legacy_fulfillment().map_or(0, |l| l.id),
                        };
                        Sorted { key: SortVal::Int(id as i64), id, obj }
                    })
                    .collect();
                self.connection(f, items)?
            }
            _ => Val::Null,
        })
    }

    /// A fulfillment: one created through the API, or a generated fulfilled order's own, which
    /// ships all of the order from the first location with a UPS number made from its id.
    fn fulfillment(
        &self,
        o: &'a Order,
        made: Option<&'a crate::data::fulfillment::Fulfillment>,
        f: &PField,
    ) -> Result<Val<'a>, GqlError> {
        let legacy = if made.is_none() { o.legacy_fulfillment() } else { None };
        let id = made.map(|m| m.id).or(legacy.as_ref().map(|l| l.id)).unwrap_or_default();
        Ok(match f.name.as_str() {
            "id" => Val::str(gid("Fulfillment", id)),
            "legacyResourceId" => Val::str(id.to_string()),
            "name" => Val::str(match (made, &legacy) {
                (Some(m), _) => m.name.clone(),
                (None, Some(l)) => l.name.clone(),
                (None, None) => String::new(),
            }),
            "status" => Val::str(made.map_or("SUCCESS".to_owned(), |m| m.status.to_ascii_uppercase())),
            "trackingInfo" => {
                let first = f.arg_i64("first").unwrap_or(MAX_PAGE).max(0) as usize;
                let entry = |company: Option<&str>, number: Option<&str>, url: Option<&str>| {
                    Val::record(
                        "FulfillmentTrackingInfo",
                        vec![
                            ("company", Val::opt_str(company.map(str::to_owned))),
                            ("number", Val::opt_str(number.map(str::to_owned))),
                            ("url", Val::opt_str(url.map(str::to_owned))),
                        ],
                    )
                };
                let entries: Vec<Val<'a>> = match (made, &legacy) {
                    (Some(m), _) => m.tracking.entries().into_iter().map(|(c, n, u)| entry(c, n, u)).collect(),
                    (None, Some(l)) => vec![entry(Some("UPS"), Some(&l.number), Some(&l.url))],
                    (None, None) => Vec::new(),
                };
                Val::List(entries.into_iter().take(first).collect())
            }
            "fulfillmentLineItems" => {
                let items = match made {
                    Some(m) => m
                        .lines
                        .iter()
                        .filter_map(|fl| {
                            let line = o.lines.iter().find(|l| l.id == fl.line_item_id)?;
                            Some(Sorted {
                                key: SortVal::Int(fl.id as i64),
                                id: fl.id,
                                obj: fulfillment_line(o, line, fl.id, fl.quantity),
                            })
                        })
                        .collect(),
                    // Made up like the rest of it: one a line, with the order's ids.
                    None => o
                        .lines
                        .iter()
                        .map(|l| Sorted {
                            key: SortVal::Int(l.id as i64 + 5),
                            id: l.id + 5,
                            obj: fulfillment_line(o, l, l.id + 5, l.quantity),
                        })
                        .collect(),
                };
                self.connection(f, items)?
            }
            "location" => {
                let location = match made {
                    Some(m) => self.data.locations.get(&m.location_id),
                    None => self.data.first_location(),
                };
                location.map_or(Val::Null, |l| Val::Obj(Obj::Location(l)))
            }
            "createdAt" => time(made.map_or(o.updated_at, |m| m.created_at)),
            "updatedAt" => time(made.map_or(o.updated_at, |m| m.updated_at)),
            "order" => Val::Obj(Obj::Order(o)),
            _ => Val::Null,
        })
    }

    fn subscription(&self, s: &Rc<webhooks::Subscription>, name: &str) -> Val<'a> {
        match name {
            "id" => Val::str(gid("WebhookSubscription", s.id)),
            "legacyResourceId" => Val::str(s.id.to_string()),
            "topic" => Val::str(webhooks::graphql_topic(&s.topic)),
            "format" => Val::str("JSON"),
            "includeFields" => Val::strings(s.fields.clone()),
            "filter" => Val::Null,
            "metafieldNamespaces" => Val::List(Vec::new()),
            "createdAt" | "updatedAt" => time(s.created_at),
            "apiVersion" => Val::record(
                "ApiVersion",
                vec![
                    ("handle", Val::str(s.api_version.clone())),
                    ("displayName", Val::str(s.api_version.clone())),
                    ("supported", Val::bool(crate::SUPPORTED_VERSIONS.contains(&s.api_version.as_str()))),
                ],
            ),
            "endpoint" => Val::record("WebhookHttpEndpoint", vec![("callbackUrl", Val::str(s.address.clone()))]),
            "uri" | "callbackUrl" => Val::str(s.address.clone()),
            _ => Val::Null,
        }
    }

    fn product_sort(&self, p: &Product, sort: &str) -> SortVal {
        match sort {
            "TITLE" => SortVal::Str(p.title.to_lowercase()),
            "VENDOR" => SortVal::Str(p.vendor.to_lowercase()),
            "PRODUCT_TYPE" => SortVal::Str(p.product_type.to_lowercase()),
            "INVENTORY_TOTAL" => {
                SortVal::Int(p.variants.iter().map(|v| self.data.total_available(v.inventory_item_id)).sum())
            }
            "CREATED_AT" | "PUBLISHED_AT" => SortVal::Int(p.created_at),
            "UPDATED_AT" => SortVal::Int(p.updated_at),
            _ => SortVal::Int(p.id as i64),
        }
    }

    fn variant_sort(&self, p: &Product, v: &Variant, sort: &str) -> SortVal {
        match sort {
            "POSITION" => SortVal::Int(position(p, v)),
            "SKU" => SortVal::Str(v.sku.to_lowercase()),
            "TITLE" => SortVal::Str(v.title.to_lowercase()),
            "NAME" | "FULL_TITLE" => SortVal::Str(format!("{} - {}", p.title, v.title).to_lowercase()),
            "INVENTORY_QUANTITY" | "INVENTORY_LEVELS_AVAILABLE" => {
                SortVal::Int(self.data.total_available(v.inventory_item_id))
            }
            _ => SortVal::Int(v.id as i64),
        }
    }
}

/// An order's fulfillments as objects: those created through the API, or its made-up one.
fn order_fulfillments(o: &Order) -> Vec<Obj<'_>> {
    if o.legacy_fulfillment().is_some() {
        return vec![Obj::Fulfillment(o, None)];
    }
    o.fulfillments.iter().map(|made| Obj::Fulfillment(o, Some(made))).collect()
}

/// A `FulfillmentLineItem`: `quantity` units of `line`.
fn fulfillment_line<'a>(o: &'a Order, line: &'a crate::data::Line, id: u64, quantity: i64) -> Obj<'a> {
    Obj::Record(
        "FulfillmentLineItem",
        Rc::new(vec![
            ("id", Val::str(gid("FulfillmentLineItem", id))),
            ("quantity", Val::int(quantity)),
            ("lineItem", Val::Obj(Obj::LineItem(o, line))),
            ("originalTotalSet", Val::Obj(Obj::MoneyBag(line.price_cents * quantity))),
            ("discountedTotalSet", Val::Obj(Obj::MoneyBag(line.price_cents * quantity))),
        ]),
    )
}

fn position(p: &Product, v: &Variant) -> i64 {
    p.variants.iter().position(|x| x.id == v.id).unwrap_or(0) as i64 + 1
}

fn customer_address(c: &Customer) -> Obj<'_> {
    Obj::Address(
        Addr { address: c.address, phone: None, customer_phone: true, id: c.id + 3, model: "CustomerAddress" },
        Some(c),
    )
}

fn page_info<'a>(conn: &Conn<'a>) -> Val<'a> {
    Val::record(
        "PageInfo",
        vec![
            ("hasNextPage", Val::bool(conn.has_next)),
            ("hasPreviousPage", Val::bool(conn.has_previous)),
            ("startCursor", conn.items.first().map_or(Val::Null, |(c, _)| Val::str(c.clone()))),
            ("endCursor", conn.items.last().map_or(Val::Null, |(c, _)| Val::str(c.clone()))),
        ],
    )
}

/// The IANA name of a shop's zone, from its offset (the emulator keeps only the offset).
fn iana_timezone(minutes: i16) -> String {
    match minutes {
        -300 => "America/New_York".into(),
        0 => "Etc/UTC".into(),
        m if m % 60 == 0 => format!("Etc/GMT{:+}", -(m / 60)),
        _ => "Etc/UTC".into(),
    }
}

fn order_status(o: &Order) -> Vec<String> {
    let status = if o.cancelled_at.is_some() {
        "cancelled"
    } else if o.closed_at.is_some() {
        "closed"
    } else {
        "open"
    };
    let mut all = vec![status.to_owned(), "any".to_owned()];
    if status != "closed" {
        all.push("not_closed".into());
    }
    all
}

fn order_field(o: &Order, field: Option<&str>) -> FieldValue {
    match field {
        Some("id") => FieldValue::Number(o.id as i64),
        Some("created_at" | "processed_at") => FieldValue::Time(o.created_at),
        Some("updated_at") => FieldValue::Time(o.updated_at),
        Some("status") => FieldValue::Texts(order_status(o)),
        Some("financial_status") => FieldValue::Text(o.financial_status.to_owned()),
        Some("fulfillment_status") => FieldValue::Texts(if o.fulfilled {
            vec!["shipped".into(), "fulfilled".into()]
        } else if o.partially_fulfilled() {
            vec!["partial".into()]
        } else {
            vec!["unshipped".into(), "unfulfilled".into()]
        }),
        Some("name") => FieldValue::Texts(vec![format!("#{}", o.number), o.number.to_string()]),
        Some("email") => FieldValue::Text(o.email.clone().unwrap_or_default()),
        Some("tag") => FieldValue::Texts(tag_list(&o.tags)),
        Some("customer_id") => FieldValue::Number(o.customer_id.unwrap_or_default() as i64),
        None => FieldValue::Texts(vec![format!("#{}", o.number), o.email.clone().unwrap_or_default()]),
        _ => FieldValue::Unknown,
    }
}

fn order_sort(o: &Order, sort: &str) -> SortVal {
    match sort {
        "CREATED_AT" | "PROCESSED_AT" => SortVal::Int(o.created_at),
        "UPDATED_AT" => SortVal::Int(o.updated_at),
        "ORDER_NUMBER" => SortVal::Int(o.number as i64),
        "TOTAL_PRICE" | "CURRENT_TOTAL_PRICE" => SortVal::Int(o.totals().total),
        "TOTAL_ITEMS_QUANTITY" => SortVal::Int(o.lines.iter().map(|l| l.quantity).sum()),
        "CUSTOMER_NAME" => SortVal::Str(format!("{} {}", o.bill_to.first_name(), o.bill_to.last_name()).to_lowercase()),
        "FINANCIAL_STATUS" => SortVal::Str(o.financial_status.to_owned()),
        "FULFILLMENT_STATUS" => SortVal::Int(i64::from(o.fulfilled)),
        "DESTINATION" => SortVal::Str(o.ship_to.map(|a| CITIES[a.city as usize].0.to_owned()).unwrap_or_default()),
        _ => SortVal::Int(o.id as i64),
    }
}

fn product_field(p: &Product, field: Option<&str>) -> FieldValue {
    match field {
        Some("id") => FieldValue::Number(p.id as i64),
        Some("created_at" | "published_at") => FieldValue::Time(p.created_at),
        Some("updated_at") => FieldValue::Time(p.updated_at),
        Some("status") => FieldValue::Text(p.status.to_owned()),
        Some("title") => FieldValue::Text(p.title.clone()),
        Some("vendor") => FieldValue::Text(p.vendor.to_owned()),
        Some("product_type") => FieldValue::Text(p.product_type.to_owned()),
        Some("handle") => FieldValue::Text(p.handle.clone()),
        Some("tag") => FieldValue::Texts(tag_list(&p.tags)),
        Some("sku") => FieldValue::Texts(p.variants.iter().map(|v| v.sku.clone()).collect()),
        None => FieldValue::Texts(p.title.split_whitespace().map(str::to_owned).chain([p.title.clone()]).collect()),
        _ => FieldValue::Unknown,
    }
}

fn variant_field(p: &Product, v: &Variant, field: Option<&str>) -> FieldValue {
    match field {
        Some("id") => FieldValue::Number(v.id as i64),
        Some("product_id") => FieldValue::Number(p.id as i64),
        Some("sku") => FieldValue::Text(v.sku.clone()),
        Some("title") => FieldValue::Text(v.title.clone()),
        Some("created_at") => FieldValue::Time(p.created_at),
        Some("updated_at") => FieldValue::Time(p.updated_at),
        Some("product_status") => FieldValue::Text(p.status.to_owned()),
        None => FieldValue::Texts(vec![v.sku.clone(), v.title.clone(), p.title.clone()]),
        _ => FieldValue::Unknown,
    }
}

fn item_field(p: &Product, v: &Variant, field: Option<&str>) -> FieldValue {
    match field {
        Some("id") => FieldValue::Number(v.inventory_item_id as i64),
        Some("sku") => FieldValue::Text(v.sku.clone()),
        Some("created_at") => FieldValue::Time(p.created_at),
        Some("updated_at") => FieldValue::Time(p.updated_at),
        _ => FieldValue::Unknown,
    }
}

fn customer_field(c: &Customer, field: Option<&str>) -> FieldValue {
    match field {
        Some("id") => FieldValue::Number(c.id as i64),
        Some("created_at") => FieldValue::Time(c.created_at),
        Some("updated_at") => FieldValue::Time(c.updated_at),
        Some("email") => FieldValue::Text(c.email.clone().unwrap_or_default()),
        Some("phone") => FieldValue::Text(c.phone.clone().unwrap_or_default()),
        Some("first_name") => FieldValue::Text(c.address.first_name().to_owned()),
        Some("last_name") => FieldValue::Text(c.address.last_name().to_owned()),
        Some("tag") => FieldValue::Texts(tag_list(&c.tags)),
        Some("state") => FieldValue::Text(if c.email.is_some() { "enabled" } else { "disabled" }.into()),
        Some("orders_count") => FieldValue::Number(c.orders_count),
        None => FieldValue::Texts(vec![
            c.address.first_name().to_owned(),
            c.address.last_name().to_owned(),
            c.email.clone().unwrap_or_default(),
        ]),
        _ => FieldValue::Unknown,
    }
}

fn customer_sort(c: &Customer, sort: &str) -> SortVal {
    match sort {
        "CREATED_AT" => SortVal::Int(c.created_at),
        "UPDATED_AT" => SortVal::Int(c.updated_at),
        "NAME" => SortVal::Str(format!("{} {}", c.address.first_name(), c.address.last_name()).to_lowercase()),
        "LOCATION" => SortVal::Str(CITIES[c.address.city as usize].0.to_owned()),
        _ => SortVal::Int(c.id as i64),
    }
}

fn location_field(l: &Location, field: Option<&str>) -> FieldValue {
    match field {
        Some("id") => FieldValue::Number(l.id as i64),
        Some("name") | None => FieldValue::Text(l.name.clone()),
        Some("active") => FieldValue::Text("true".into()),
        Some("created_at") => FieldValue::Time(l.created_at),
        Some("updated_at") => FieldValue::Time(l.updated_at),
        _ => FieldValue::Unknown,
    }
}

fn fo_field(o: &Order, fo: &crate::data::fulfillment::FulfillmentOrder, field: Option<&str>) -> FieldValue {
    match field {
        Some("id") => FieldValue::Number(fo.id as i64),
        Some("status") => FieldValue::Text(fo.status.rest().to_owned()),
        Some("updated_at") => FieldValue::Time(fo.updated_at),
        Some("created_at") => FieldValue::Time(fo.created_at),
        Some("assigned_location_id") => FieldValue::Number(fo.location_id as i64),
        Some("order_id") => FieldValue::Number(o.id as i64),
        _ => FieldValue::Unknown,
    }
}
