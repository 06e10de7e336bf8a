//! How a shop renders as Shopify's JSON: the 2026-07 reference examples are the templates, so
//! every key Shopify sends is there, and the large records are written straight into the response
//! through skeletons (templates with holes) instead of being built as `Value`s.

use std::sync::LazyLock;

use serde_json::{json, Value};

use super::{
    fulfillment::{FoStatus, Fulfillment},
    mix,
    pools::{CITIES, STREETS},
    Address, Customer, Line, Location, Order, Product, ShopData, DAY,
};
use crate::skeleton::{array, Literal, Raw, Skeleton};

/// The real JSON each rendered record starts from, so every key Shopify sends is there.
struct Templates {
    order: Value,
    product: Value,
    customer: Value,
    location: Value,
    inventory_level: Value,
    fulfillment_order: Value,
    shop: Value,
}

static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    let parse = |text: &str| serde_json::from_str::<Value>(text).expect("embedded templates are valid JSON");
    Templates {
        order: parse(include_str!("templates/order.json")),
        product: parse(include_str!("templates/product.json")),
        customer: parse(include_str!("templates/customer.json")),
        location: parse(include_str!("templates/location.json")),
        inventory_level: parse(include_str!("templates/inventory_level.json")),
        fulfillment_order: parse(include_str!("templates/fulfillment_order.json")),
        shop: parse(include_str!("templates/shop.json")),
    }
});

/// The templates with holes for what each record fills in (see `write_order` and friends for the
/// values, given in the same order as these keys).
struct Skeletons {
    address: Skeleton,
    customer_address: Skeleton,
    order: Skeleton,
    line_item: Skeleton,
    fulfillment: Skeleton,
    shipping_line: Skeleton,
    order_customer: Skeleton,
    customer: Skeleton,
    product: Skeleton,
    variant: Skeleton,
}

const CUSTOMER_HOLES: &str = "id email created_at updated_at first_name last_name orders_count state total_spent \
last_order_id last_order_name note verified_email tags phone addresses default_address \
admin_graphql_api_id email_marketing_consent sms_marketing_consent";

const ADDRESS_HOLES: &str = "first_name last_name name company address1 address2 city province province_code country \
country_code zip phone latitude longitude id customer_id default country_name";

static SKELETONS: LazyLock<Skeletons> = LazyLock::new(|| {
    let keys: Vec<&str> = ADDRESS_HOLES.split_whitespace().collect();
    let address: Value = keys[..15].iter().map(|k| ((*k).to_owned(), Value::Null)).collect();
    let customer_address: Value = keys.iter().map(|k| ((*k).to_owned(), Value::Null)).collect();
    let order = &TEMPLATES.order;
    // An order embeds its customer with fewer keys than the customer endpoint shows.
    let mut order_customer = TEMPLATES.customer.clone();
    if let (Some(fields), Some(embedded)) = (order_customer.as_object_mut(), order["customer"].as_object()) {
        fields.retain(|key, _| embedded.contains_key(key));
    }
    Skeletons {
        address: Skeleton::new(&address, ADDRESS_HOLES),
        customer_address: Skeleton::new(&customer_address, ADDRESS_HOLES),
        order: Skeleton::new(
            order,
            "id admin_graphql_api_id name number order_number email contact_email phone created_at \
updated_at processed_at cancelled_at cancel_reason closed_at confirmation_number \
financial_status fulfillment_status subtotal_price subtotal_price_set current_subtotal_price \
current_subtotal_price_set total_line_items_price total_line_items_price_set total_tax \
total_tax_set current_total_tax current_total_tax_set total_discounts total_discounts_set \
current_total_discounts current_total_discounts_set total_price total_price_set \
current_total_price current_total_price_set total_shipping_price_set total_outstanding \
total_weight tags note note_attributes discount_codes discount_applications tax_lines token \
cart_token checkout_token checkout_id order_status_url billing_address shipping_address \
customer line_items fulfillments refunds shipping_lines po_number reference source_identifier \
landing_site referring_site landing_site_ref payment_gateway_names",
        ),
        line_item: Skeleton::new(
            &order["line_items"][0],
            "id admin_graphql_api_id name title variant_title sku vendor quantity current_quantity \
fulfillable_quantity fulfillment_status grams price price_set product_id variant_id \
product_exists total_discount total_discount_set tax_lines discount_allocations duties \
properties",
        ),
        fulfillment: Skeleton::new(
            &order["fulfillments"][0],
            "id admin_graphql_api_id created_at updated_at location_id name order_id status tracking_company \
tracking_number tracking_numbers tracking_url tracking_urls line_items",
        ),
        shipping_line: Skeleton::new(
            &order["shipping_lines"][0],
            "id title code price price_set discounted_price discounted_price_set tax_lines \
discount_allocations",
        ),
        order_customer: Skeleton::new(&order_customer, CUSTOMER_HOLES),
        customer: Skeleton::new(&TEMPLATES.customer, CUSTOMER_HOLES),
        product: Skeleton::new(
            &TEMPLATES.product,
            "id title body_html vendor product_type created_at handle updated_at published_at tags status \
admin_graphql_api_id variants options images image",
        ),
        variant: Skeleton::new(
            &TEMPLATES.product["variants"][0],
            "id product_id title price position option1 option2 option3 created_at updated_at barcode grams \
weight weight_unit sku inventory_item_id inventory_quantity old_inventory_quantity \
presentment_prices admin_graphql_api_id image_id",
        ),
    }
});

const EMPTY: Literal = Literal("[]");

/// The most variants REST shows of one product.
const REST_VARIANTS: usize = 100;

impl Address {
    fn render(&self, phone: Option<&str>) -> Value {
        parsed(|out| self.write(&SKELETONS.address, phone, 0, 0, out))
    }

    /// Written by `skeleton`: an order's address, or a customer's with its `id` and `customer_id`.
    fn write(&self, skeleton: &Skeleton, phone: Option<&str>, id: u64, customer_id: u64, out: &mut Vec<u8>) {
        let (city, province, province_code, country, country_code, zip, lat, lng) = CITIES[self.city as usize];
        skeleton.write(
            out,
            &[
                &self.first_name(),
                &self.last_name(),
                &format!("{} {}", self.first_name(), self.last_name()),
                &None::<u64>,
                &format!("{} {}", STREETS[self.street as usize], self.number),
                &"",
                &city,
                &province,
                &province_code,
                &country,
                &country_code,
                &zip,
                &phone,
                &lat,
                &lng,
                &id,
                &customer_id,
                &true,
                &country,
            ],
        );
    }
}

pub fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn money_set(cents: i64) -> Raw {
    let amount = format!(r#"{{"amount":"{}","currency_code":"USD"}}"#, money(cents));
    Raw(format!(r#"{{"presentment_money":{amount},"shop_money":{amount}}}"#).into_bytes())
}

fn order_address(address: &Address) -> Raw {
    let mut out = Vec::new();
    address.write(&SKELETONS.address, None, 0, 0, &mut out);
    Raw(out)
}

/// Renders through a skeleton and reads the JSON back, for the callers that edit or compare it.
fn parsed(write: impl FnOnce(&mut Vec<u8>)) -> Value {
    let mut out = Vec::new();
    write(&mut out);
    serde_json::from_slice(&out).expect("skeletons write valid JSON")
}

fn patch(target: &mut Value, fields: Value) {
    if let (Some(target), Value::Object(fields)) = (target.as_object_mut(), fields) {
        for (key, value) in fields {
            target.insert(key, value);
        }
    }
}

impl ShopData {
    pub fn render_shop(&self, plan_name: &str) -> Value {
        let mut shop = TEMPLATES.shop.clone();
        let location = self.first_location();
        let hours = self.offset.whole_hours();
        let minutes = self.offset.minutes_past_hour().abs();
        let timezone = if self.offset.whole_minutes() == -300 {
            "(GMT-05:00) Eastern Time (US & Canada)".to_owned()
        } else {
            format!("(GMT{hours:+03}:{minutes:02}) UTC")
        };
        patch(
            &mut shop,
            json!({
                "id": self.shop_id, "name": self.name, "email": format!("owner@{}", self.domain()),
                "domain": self.domain(), "myshopify_domain": self.domain(),
                "created_at": self.timestamp(self.created_at), "updated_at": self.timestamp(self.created_at + DAY),
                "timezone": timezone, "shop_owner": "Ada Lovelace", "currency": "USD", "weight_unit": "kg",
                "plan_name": plan_name, "plan_display_name": plan_display(plan_name),
                "primary_location_id": location.map(|l| l.id),
                "multi_location_enabled": self.locations.len() > 1,
            }),
        );
        shop
    }

    pub fn render_location(&self, location: &Location) -> Value {
        let mut value = TEMPLATES.location.clone();
        let address = location.address.render(Some("+1 613 555 0100"));
        patch(
            &mut value,
            json!({
                "id": location.id, "name": location.name, "address1": address["address1"], "address2": null,
                "city": address["city"], "zip": address["zip"], "province": address["province"],
                "country": address["country_code"], "country_code": address["country_code"],
                "country_name": address["country"], "province_code": address["province_code"],
                "phone": address["phone"], "created_at": self.timestamp(location.created_at),
                "updated_at": self.timestamp(location.updated_at), "legacy": false, "active": true,
                "admin_graphql_api_id": format!("gid://shopify/Location/{}", location.id),
            }),
        );
        value
    }

    pub fn render_product(&self, product: &Product) -> Value {
        parsed(|out| self.write_product(product, out))
    }

    pub fn render_customer(&self, customer: &Customer) -> Value {
        parsed(|out| self.write_customer(customer, out))
    }

    pub fn render_order(&self, order: &Order) -> Value {
        parsed(|out| self.write_order(order, out))
    }

    pub fn write_product(&self, product: &Product, out: &mut Vec<u8>) {
        let created_at = self.timestamp(product.created_at);
        let updated_at = self.timestamp(product.updated_at);
        // REST returns no more than 100 variants of a product (GraphQL has them all).
        let shown = &product.variants[..product.variants.len().min(REST_VARIANTS)];
        let variants = array(shown, |v, out| {
            let position = product.variants.iter().position(|x| x.id == v.id).unwrap_or(0) + 1;
            let available = self.total_available(v.inventory_item_id);
            let prices = Raw(format!(
                r#"[{{"compare_at_price":null,"price":{{"amount":"{}","currency_code":"USD"}}}}]"#,
                money(v.price_cents)
            )
            .into_bytes());
            SKELETONS.variant.write(
                out,
                &[
                    &v.id,
                    &product.id,
                    &v.title,
                    &money(v.price_cents),
                    &position,
                    &v.title,
                    &None::<u64>,
                    &None::<u64>,
                    &created_at,
                    &updated_at,
                    &format!("{:013}", v.id % 10_000_000_000_000),
                    &v.grams,
                    &((v.grams as f64 / 10.0).round() / 100.0),
                    &"kg",
                    &v.sku,
                    &v.inventory_item_id,
                    &available,
                    &available,
                    &prices,
                    &format!("gid://shopify/ProductVariant/{}", v.id),
                    &None::<u64>,
                ],
            );
        });
        let values: Vec<&str> = shown.iter().map(|v| v.title.as_str()).collect();
        let options =
            json!([{"id": product.id + 1, "product_id": product.id, "name": "Size", "position": 1, "values": values}]);
        SKELETONS.product.write(
            out,
            &[
                &product.id,
                &product.title,
                &format!("<p>{}</p>", product.title),
                &product.vendor,
                &product.product_type,
                &created_at,
                &product.handle,
                &updated_at,
                &created_at,
                &product.tags,
                &product.status,
                &format!("gid://shopify/Product/{}", product.id),
                &variants,
                &options,
                &EMPTY,
                &None::<u64>,
            ],
        );
    }

    pub fn write_customer(&self, customer: &Customer, out: &mut Vec<u8>) {
        self.write_customer_as(&SKELETONS.customer, customer, out);
    }

    /// A customer, whole or as embedded in an order (the same values; the skeleton picks the keys).
    fn write_customer_as(&self, skeleton: &Skeleton, customer: &Customer, out: &mut Vec<u8>) {
        let mut address = Vec::new();
        let phone = customer.phone.as_deref();
        customer.address.write(&SKELETONS.customer_address, phone, customer.id + 3, customer.id, &mut address);
        let addresses = Raw([b"[", address.as_slice(), b"]"].concat());
        let address = Raw(address);
        let email_consent = customer.email.as_ref().map(|_| &TEMPLATES.customer["email_marketing_consent"]);
        let sms_consent = customer.phone.as_ref().map(|_| &TEMPLATES.customer["sms_marketing_consent"]);
        skeleton.write(
            out,
            &[
                &customer.id,
                &customer.email,
                &self.timestamp(customer.created_at),
                &self.timestamp(customer.updated_at),
                &customer.address.first_name(),
                &customer.address.last_name(),
                &customer.orders_count,
                &if customer.email.is_some() { "enabled" } else { "disabled" },
                &money(customer.total_spent_cents),
                &customer.last_order.map(|o| o.0),
                &customer.last_order.map(|o| format!("#{}", o.1)),
                &customer.note,
                &customer.email.is_some(),
                &customer.tags,
                &customer.phone,
                &addresses,
                &address,
                &format!("gid://shopify/Customer/{}", customer.id),
                &email_consent.cloned(),
                &sms_consent.cloned(),
            ],
        );
    }

    /// One line item as an order shows it (`None` quantity), or as a fulfillment does: only the
    /// `shipped` units.
    fn write_line_item(&self, order: &Order, line: &Line, shipped: Option<i64>, out: &mut Vec<u8>) {
        let remaining = order.unfulfilled(line.id);
        let status = if order.fulfilled {
            Some("fulfilled")
        } else if order.cancelled_at.is_some() || remaining == line.quantity {
            None
        } else if remaining == 0 {
            Some("fulfilled")
        } else {
            Some("partial")
        };
        SKELETONS.line_item.write(
            out,
            &[
                &line.id,
                &format!("gid://shopify/LineItem/{}", line.id),
                &format!("{} - {}", line.title, line.variant_title),
                &line.title,
                &line.variant_title,
                &line.sku,
                &"storelink emulator",
                &shipped.unwrap_or(line.quantity),
                &line.quantity,
                &remaining,
                &status,
                &line.grams,
                &money(line.price_cents),
                &money_set(line.price_cents),
                &line.product_id,
                &line.variant_id,
                &true,
                &"0.00",
                &money_set(0),
                &EMPTY,
                &EMPTY,
                &EMPTY,
                &EMPTY,
            ],
        );
    }

    /// A fulfillment created through the API, as REST and the `fulfillments/*` webhooks show it.
    pub fn render_fulfillment(&self, order: &Order, fulfillment: &Fulfillment) -> Value {
        parsed(|out| self.write_fulfillment(order, fulfillment, out))
    }

    fn write_fulfillment(&self, order: &Order, f: &Fulfillment, out: &mut Vec<u8>) {
        let shipped: Vec<(&Line, i64)> = f
            .lines
            .iter()
            .filter_map(|fl| order.lines.iter().find(|l| l.id == fl.line_item_id).map(|l| (l, fl.quantity)))
            .collect();
        let lines = array(&shipped, |(line, quantity), out| self.write_line_item(order, line, Some(*quantity), out));
        let tracking = &f.tracking;
        SKELETONS.fulfillment.write(
            out,
            &[
                &f.id,
                &format!("gid://shopify/Fulfillment/{}", f.id),
                &self.timestamp(f.created_at),
                &self.timestamp(f.updated_at),
                &f.location_id,
                &f.name,
                &order.id,
                &f.status,
                &tracking.company,
                &tracking.numbers.first().map(String::as_str),
                &json!(tracking.numbers),
                &tracking.urls.first().map(String::as_str),
                &json!(tracking.urls),
                &lines,
            ],
        );
    }

    pub fn write_order(&self, order: &Order, out: &mut Vec<u8>) {
        let super::Totals { subtotal, tax, shipping, total } = order.totals();
        let fulfillment_status = if order.fulfilled {
            Some("fulfilled")
        } else if order.partially_fulfilled() {
            Some("partial")
        } else {
            None
        };
        let lines = array(&order.lines, |line, out| self.write_line_item(order, line, None, out));
        let buyer = order.customer_id.and_then(|id| self.customers.get(&id));
        let customer = buyer.map(|c| {
            let mut embedded = Vec::new();
            self.write_customer_as(&SKELETONS.order_customer, c, &mut embedded);
            Raw(embedded)
        });
        let fulfillments = if let Some(legacy) = order.legacy_fulfillment() {
            let at = self.timestamp(order.updated_at);
            let mut out = vec![b'['];
            SKELETONS.fulfillment.write(
                &mut out,
                &[
                    &legacy.id,
                    &format!("gid://shopify/Fulfillment/{}", legacy.id),
                    &at,
                    &at,
                    &self.first_location().map(|l| l.id),
                    &legacy.name,
                    &order.id,
                    &"success",
                    &"UPS",
                    &legacy.number,
                    &json!([legacy.number]),
                    &legacy.url,
                    &json!([legacy.url]),
                    &lines,
                ],
            );
            out.push(b']');
            Raw(out)
        } else {
            array(&order.fulfillments, |f, out| self.write_fulfillment(order, f, out))
        };
        let shipping_lines = if order.ship_to.is_some() {
            let mut out = vec![b'['];
            SKELETONS.shipping_line.write(
                &mut out,
                &[
                    &(order.id + 11),
                    &"Standard Shipping",
                    &"Standard",
                    &money(shipping),
                    &money_set(shipping),
                    &money(shipping),
                    &money_set(shipping),
                    &EMPTY,
                    &EMPTY,
                ],
            );
            out.push(b']');
            Raw(out)
        } else {
            Raw(b"[]".to_vec())
        };
        let phone = buyer.and_then(|c| c.phone.as_deref());
        let token = format!("{:016x}{:016x}", mix(order.id), mix(order.id ^ 0xa5a5));
        let tax_lines = Raw(format!(
            r#"[{{"channel_liable":null,"price":"{}","price_set":{},"rate":0.06,"title":"Sales Tax"}}]"#,
            money(tax),
            String::from_utf8_lossy(&money_set(tax).0)
        )
        .into_bytes());
        let (subtotal_text, subtotal_set) = (money(subtotal), money_set(subtotal));
        let (tax_text, tax_set) = (money(tax), money_set(tax));
        let (total_text, total_set) = (money(total), money_set(total));
        let zero_set = money_set(0);
        let created_at = self.timestamp(order.created_at);
        SKELETONS.order.write(
            out,
            &[
                &order.id,
                &format!("gid://shopify/Order/{}", order.id),
                &format!("#{}", order.number),
                &(order.number - 1000),
                &order.number,
                &order.email,
                &order.email,
                &phone,
                &created_at,
                &self.timestamp(order.updated_at),
                &created_at,
                &order.cancelled_at.map(|t| self.timestamp(t)),
                &order.cancelled_at.map(|_| "customer"),
                &order.closed_at.map(|t| self.timestamp(t)),
                &format!("{:09X}", mix(order.id) % 0xF_FFFF_FFFF),
                &order.financial_status,
                &fulfillment_status,
                &subtotal_text,
                &subtotal_set,
                &subtotal_text,
                &subtotal_set,
                &subtotal_text,
                &subtotal_set,
                &tax_text,
                &tax_set,
                &tax_text,
                &tax_set,
                &"0.00",
                &zero_set,
                &"0.00",
                &zero_set,
                &total_text,
                &total_set,
                &total_text,
                &total_set,
                &money_set(shipping),
                &"0.00",
                &order.total_weight(),
                &order.tags,
                &order.note,
                &EMPTY,
                &EMPTY,
                &EMPTY,
                &tax_lines,
                &token,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &format!("https://{}/{}/orders/{token}/authenticate?key=x", self.domain(), self.shop_id),
                &order_address(&order.bill_to),
                &order.ship_to.as_ref().map(order_address),
                &customer,
                &lines,
                &fulfillments,
                &EMPTY,
                &shipping_lines,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &None::<u64>,
                &Literal(r#"["manual"]"#),
            ],
        );
    }

    /// Fulfillment orders: what each location must ship for the order.
    pub fn render_fulfillment_orders(&self, order: &Order) -> Vec<Value> {
        order
            .fulfillment_orders
            .iter()
            .filter_map(|fo| {
                let location = self.locations.get(&fo.location_id)?;
                let mut value = TEMPLATES.fulfillment_order.clone();
                let status = fo.status.rest();
                let location_address = location.address.render(None);
                let destination = order.ship_to.map(|a| {
                    let r = a.render(None);
                    json!({"id": order.id + 13, "address1": r["address1"], "address2": r["address2"], "city": r["city"],
                           "company": null, "country": r["country"], "email": order.email, "first_name": r["first_name"],
                           "last_name": r["last_name"], "phone": r["phone"], "province": r["province"], "zip": r["zip"]})
                });
                let lines: Vec<Value> = fo
                    .lines
                    .iter()
                    .filter_map(|fl| {
                        let l = order.lines.iter().find(|l| l.id == fl.line_item_id)?;
                        Some(json!({"id": fl.id, "shop_id": self.shop_id, "fulfillment_order_id": fo.id,
                               "quantity": fl.total, "line_item_id": l.id, "inventory_item_id": l.inventory_item_id,
                               "fulfillable_quantity": fl.remaining, "variant_id": l.variant_id}))
                    })
                    .collect();
                let open = fo.status.fulfillable() && fo.remaining() > 0;
                patch(
                    &mut value,
                    json!({
                        "id": fo.id, "created_at": self.timestamp(fo.created_at), "updated_at": self.timestamp(fo.updated_at),
                        "shop_id": self.shop_id, "order_id": order.id, "assigned_location_id": location.id,
                        "request_status": "unsubmitted", "status": status,
                        "supported_actions": if open {
                            json!(["create_fulfillment", "move"])
                        } else if fo.status == FoStatus::OnHold {
                            json!(["release_hold"])
                        } else {
                            json!([])
                        },
                        "destination": destination, "line_items": lines,
                        "assigned_location": {"address1": location_address["address1"], "address2": null,
                            "city": location_address["city"], "country_code": location_address["country_code"],
                            "location_id": location.id, "name": location.name, "phone": null,
                            "province": location_address["province"], "zip": location_address["zip"]},
                    }),
                );
                Some(value)
            })
            .collect()
    }

    pub fn render_inventory_level(&self, location_id: u64, item: u64, available: i64) -> Value {
        let mut value = TEMPLATES.inventory_level.clone();
        let updated = self.locations.get(&location_id).map(|l| l.updated_at).unwrap_or(self.created_at);
        patch(
            &mut value,
            json!({"inventory_item_id": item, "location_id": location_id, "available": available,
                   "updated_at": self.timestamp(updated),
                   "admin_graphql_api_id": format!("gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item}")}),
        );
        value
    }
}

fn plan_display(plan_name: &str) -> &'static str {
    match plan_name {
        "enterprise" => "Shopify Plus",
        "professional" => "Advanced",
        _ => "Basic",
    }
}
