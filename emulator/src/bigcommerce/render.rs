//! Resources as BigCommerce's API writes them. v2: RFC 2822 dates with second precision (always
//! `+0000`), money and measures as decimal strings with four places, sub-resources as links.
//! v3: ISO 8601 dates, numbers as numbers.

use serde_json::{json, Value};
use time::{format_description::well_known::Rfc2822, OffsetDateTime};

use super::{
    data::{
        status_name, Address, Customer, Line, Location, Order, Product, Shipment, ShippingAddress, StoreData, Variant,
        CONSIGNMENT_LINE_CAP,
    },
    Store,
};

pub fn rfc2822(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&Rfc2822).ok()).unwrap_or_default()
}

/// A catalog date: `2018-08-15T14:48:46+00:00`.
pub fn iso(unix: i64) -> String {
    iso_z(unix).replace('Z', "+00:00")
}

/// A customers or locations date: `2022-05-30T12:18:02Z`.
pub fn iso_z(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
}

/// `12.5` dollars as v2 writes money: `"12.5000"`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}00", cents.abs() / 100, cents.abs() % 100)
}

/// A measure as v2 writes it: `"1.5000"`.
pub fn decimal(value: f64) -> String {
    format!("{value:.4}")
}

/// A v3 price: dollars as a number.
fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// A `{url, resource}` link to a v2 sub-resource, as orders carry them.
fn link(store: &Store, resource: &str) -> Value {
    json!({ "url": format!("{}/v2{resource}", store.api_base()), "resource": resource })
}

fn address_fields(address: &Address) -> serde_json::Map<String, Value> {
    let value = json!({
        "first_name": address.first_name, "last_name": address.last_name, "company": address.company,
        "street_1": address.street_1, "street_2": address.street_2, "city": address.city, "state": address.state,
        "zip": address.zip, "country": address.country, "country_iso2": address.country_iso2,
        "phone": address.phone, "email": address.email,
    });
    value.as_object().cloned().unwrap_or_default()
}

fn billing(address: &Address) -> Value {
    let mut fields = address_fields(address);
    fields.insert("form_fields".into(), json!([]));
    Value::Object(fields)
}

/// What `include=` asked to embed in orders.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Embed {
    pub consignments: bool,
    pub line_items: bool,
    /// `consignment_structure=object`; without it the legacy array form.
    pub object_structure: bool,
}

pub fn order(store: &Store, data: &StoreData, order: &Order, embed: Embed) -> Value {
    let id = order.id;
    let subtotal = order.subtotal_cents();
    let shipping = order.shipping_cents();
    let total = subtotal + shipping;
    let paid = !matches!(order.status_id, 0 | 1 | 7);
    let mut value = json!({
        "id": id,
        "customer_id": order.customer_id,
        "date_created": rfc2822(order.created),
        "date_modified": rfc2822(order.modified),
        "date_shipped": order.shipped.map(rfc2822).unwrap_or_default(),
        "status_id": order.status_id,
        "status": status_name(order.status_id),
        "subtotal_ex_tax": money(subtotal), "subtotal_inc_tax": money(subtotal), "subtotal_tax": money(0),
        "base_shipping_cost": money(shipping), "shipping_cost_ex_tax": money(shipping),
        "shipping_cost_inc_tax": money(shipping), "shipping_cost_tax": money(0), "shipping_cost_tax_class_id": 0,
        "base_handling_cost": money(0), "handling_cost_ex_tax": money(0), "handling_cost_inc_tax": money(0),
        "handling_cost_tax": money(0), "handling_cost_tax_class_id": 0,
        "base_wrapping_cost": money(0), "wrapping_cost_ex_tax": money(0), "wrapping_cost_inc_tax": money(0),
        "wrapping_cost_tax": money(0), "wrapping_cost_tax_class_id": 0,
        "total_ex_tax": money(total), "total_inc_tax": money(total), "total_tax": money(0),
        "is_tax_inclusive_pricing": false,
        "items_total": order.items_total(),
        "items_shipped": order.items_shipped(),
        "payment_method": order.payment_method,
        "payment_provider_id": "",
        "payment_status": if paid { "captured" } else { "" },
        "refunded_amount": money(0),
        "order_is_digital": false,
        "store_credit_amount": money(0),
        "gift_certificate_amount": money(0),
        "ip_address": "",
        "ip_address_v6": "",
        "geoip_country": order.billing.country,
        "geoip_country_iso2": order.billing.country_iso2,
        "currency_id": 1,
        "currency_code": "USD",
        "currency_exchange_rate": "1.0000000000",
        "default_currency_id": 1,
        "default_currency_code": "USD",
        "staff_notes": order.staff_notes,
        "customer_message": order.customer_message,
        "discount_amount": money(0),
        "coupon_discount": money(0),
        "shipping_address_count": order.addresses.len(),
        "is_deleted": order.is_deleted,
        "ebay_order_id": "0",
        "cart_id": order.cart_id,
        "billing_address": billing(&order.billing),
        "is_email_opt_in": false,
        "credit_card_type": null,
        "order_source": "www",
        "channel_id": 1,
        "external_source": null,
        "products": link(store, &format!("/orders/{id}/products")),
        // The API links `shippingaddresses`, though the documented route is `shipping_addresses`;
        // both reach it.
        "shipping_addresses": link(store, &format!("/orders/{id}/shippingaddresses")),
        "coupons": link(store, &format!("/orders/{id}/coupons")),
        "external_id": null,
        "external_merchant_id": null,
        "tax_provider_id": "BasicTaxProvider",
        "store_default_currency_code": "USD",
        "store_default_to_transactional_exchange_rate": "1.0000000000",
        "custom_status": status_name(order.status_id),
        "customer_locale": "en",
        "external_order_id": "",
        "fees": [],
    });
    if embed.consignments {
        let consignments = consignments(store, data, order, embed.line_items);
        value["consignments"] = if embed.object_structure { consignments } else { json!([consignments]) };
    }
    value
}

/// The order's consignments: one shipping consignment per address, each showing at most
/// [`CONSIGNMENT_LINE_CAP`] line items, with the undocumented `__warning__` when it holds more.
fn consignments(store: &Store, data: &StoreData, order: &Order, line_items: bool) -> Value {
    let shipping: Vec<Value> = order
        .addresses
        .iter()
        .map(|address| {
            let lines: Vec<&Line> = order.lines_of(address.id).collect();
            let shown: Vec<Value> = lines
                .iter()
                .take(CONSIGNMENT_LINE_CAP)
                .map(|line| {
                    if line_items {
                        order_product(data, order, line)
                    } else {
                        link(store, &format!("/orders/{}/products/{}", order.id, line.id))
                    }
                })
                .collect();
            let mut consignment = shipping_fields(order, address);
            consignment.remove("shipping_quotes");
            consignment.remove("order_id");
            consignment.insert("line_items".into(), json!(shown));
            consignment.insert(
                "shipping_quotes".into(),
                link(store, &format!("/orders/{}/consignments/shipping/{}/shipping_quotes", order.id, address.id)),
            );
            if lines.len() > CONSIGNMENT_LINE_CAP {
                consignment.insert(
                    "__warning__".into(),
                    json!({"message": format!(
                        "Not all line items of this consignment are returned with this response, only \
                         {CONSIGNMENT_LINE_CAP} are included. Please use the `/v2/orders/{{order_id}}/products` \
                         endpoint to fetch all line items."
                    )}),
                );
            }
            Value::Object(consignment)
        })
        .collect();
    json!({ "pickups": [], "shipping": shipping, "downloads": [], "email": { "gift_certificates": [] } })
}

pub fn order_product(data: &StoreData, order: &Order, line: &Line) -> Value {
    let total = line.price_cents * line.quantity;
    let options: Vec<Value> = line
        .option
        .iter()
        .map(|(option_id, value_id, label)| {
            json!({
                "id": value_id + line.id * 10, "option_id": option_id, "order_product_id": line.id,
                "product_option_id": option_id, "display_name": "Size", "display_name_customer": "Size",
                "display_name_merchant": "Size", "display_value": label, "display_value_customer": label,
                "display_value_merchant": label, "value": value_id.to_string(), "type": "Multiple choice",
                "name": "Size", "display_style": "Rectangle",
            })
        })
        .collect();
    let option_set_id = data.products.get(&line.product_id).and_then(|p| p.option_id);
    json!({
        "id": line.id,
        "order_id": order.id,
        "product_id": line.product_id,
        "variant_id": line.variant_id,
        "order_pickup_method_id": 0,
        "order_address_id": line.order_address_id,
        "name": line.name, "name_customer": line.name, "name_merchant": line.name,
        "sku": line.sku,
        "upc": "",
        "type": "physical",
        "base_price": money(line.price_cents), "price_ex_tax": money(line.price_cents),
        "price_inc_tax": money(line.price_cents), "price_tax": money(0),
        "base_total": money(total), "total_ex_tax": money(total), "total_inc_tax": money(total), "total_tax": money(0),
        "weight": decimal(line.weight),
        "width": decimal(line.dimensions[0]), "height": decimal(line.dimensions[1]), "depth": decimal(line.dimensions[2]),
        "quantity": line.quantity,
        "base_cost_price": money(0), "cost_price_inc_tax": money(0), "cost_price_ex_tax": money(0),
        "cost_price_tax": money(0),
        "is_refunded": false,
        "quantity_refunded": 0,
        "refund_amount": money(0),
        "return_id": 0,
        "wrapping_id": 0,
        "wrapping_name": "",
        "base_wrapping_cost": money(0), "wrapping_cost_ex_tax": money(0), "wrapping_cost_inc_tax": money(0),
        "wrapping_cost_tax": money(0),
        "wrapping_message": "",
        "quantity_shipped": line.quantity_shipped,
        "event_name": null,
        "event_date": null,
        "fixed_shipping_cost": money(0),
        "ebay_item_id": "",
        "ebay_transaction_id": "",
        "option_set_id": option_set_id,
        "parent_order_product_id": null,
        "is_bundled_product": false,
        "bin_picking_number": "",
        "external_id": null,
        "brand": "",
        "applied_discounts": [],
        "product_options": options,
        "configurable_fields": [],
        "gift_certificate_id": null,
        "discounted_total_inc_tax": money(total),
    })
}

fn shipping_fields(order: &Order, address: &ShippingAddress) -> serde_json::Map<String, Value> {
    let lines: Vec<&Line> = order.lines_of(address.id).collect();
    let mut fields = serde_json::Map::new();
    fields.insert("id".into(), json!(address.id));
    fields.insert("order_id".into(), json!(order.id));
    fields.extend(address_fields(&address.address));
    let cost = money(address.cost_cents);
    let extra = json!({
        "items_total": lines.iter().map(|l| l.quantity).sum::<i64>(),
        "items_shipped": lines.iter().map(|l| l.quantity_shipped).sum::<i64>(),
        "shipping_method": address.shipping_method,
        "base_cost": cost, "cost_ex_tax": cost, "cost_inc_tax": cost, "cost_tax": money(0), "cost_tax_class_id": 0,
        "base_handling_cost": money(0), "handling_cost_ex_tax": money(0), "handling_cost_inc_tax": money(0),
        "handling_cost_tax": money(0), "handling_cost_tax_class_id": 0,
        "shipping_zone_id": 1,
        "shipping_zone_name": address.address.country,
        "form_fields": [],
    });
    fields.extend(extra.as_object().cloned().unwrap_or_default());
    fields
}

pub fn shipping_address(store: &Store, order: &Order, address: &ShippingAddress) -> Value {
    let mut fields = shipping_fields(order, address);
    fields.insert(
        "shipping_quotes".into(),
        link(store, &format!("/orders/{}/shippingaddresses/{}/shippingquotes", order.id, address.id)),
    );
    Value::Object(fields)
}

pub fn shipment(order: &Order, shipment: &Shipment) -> Value {
    let address = order.addresses.iter().find(|a| a.id == shipment.order_address_id);
    let items: Vec<Value> = shipment
        .items
        .iter()
        .map(|i| json!({"order_product_id": i.order_product_id, "product_id": i.product_id, "quantity": i.quantity}))
        .collect();
    json!({
        "id": shipment.id,
        "order_id": order.id,
        "customer_id": order.customer_id,
        "order_address_id": shipment.order_address_id,
        "date_created": rfc2822(shipment.created),
        "tracking_number": shipment.tracking_number,
        "merchant_shipping_cost": shipment.merchant_shipping_cost,
        "shipping_method": shipment.shipping_method,
        "comments": shipment.comments,
        "shipping_provider": shipment.shipping_provider,
        "tracking_carrier": shipment.tracking_carrier,
        "tracking_link": shipment.tracking_link,
        "billing_address": Value::Object(address_fields(&order.billing)),
        "shipping_address": address.map(|a| Value::Object(address_fields(&a.address))).unwrap_or_else(|| json!({})),
        "items": items,
        "shipping_provider_display_name": provider_name(&shipment.shipping_provider),
        "generated_tracking_link": generated_tracking_link(shipment),
    })
}

/// The shipping providers BigCommerce integrates, with the names it shows for them.
pub const PROVIDERS: &[(&str, &str)] = &[
    ("", ""),
    ("auspost", "Australia Post"),
    ("canadapost", "Canada Post"),
    ("endicia", "Endicia"),
    ("usps", "USPS"),
    ("fedex", "FedEx"),
    ("royalmail", "Royal Mail"),
    ("ups", "UPS"),
    ("upsready", "UPS Ready"),
    ("shipperhq", "ShipperHQ"),
];

fn provider_name(provider: &str) -> String {
    match PROVIDERS.iter().find(|(code, _)| *code == provider) {
        Some((_, name)) => (*name).to_owned(),
        None => provider.to_owned(),
    }
}

/// The link BigCommerce makes from a provider or carrier and the tracking number; none when a
/// custom `tracking_link` was given or there is no number.
fn generated_tracking_link(shipment: &Shipment) -> String {
    let number = &shipment.tracking_number;
    if !shipment.tracking_link.is_empty() || number.is_empty() {
        return String::new();
    }
    match shipment.shipping_provider.as_str() {
        "usps" | "endicia" => {
            format!("https://trkcnfrm1.smi.usps.com/PTSInternetWeb/InterLabelInquiry.do?strOrigTrackNum={number}")
        }
        "ups" | "upsready" => format!("https://www.ups.com/track?tracknum={number}"),
        "fedex" => format!("https://www.fedex.com/fedextrack/?trknbr={number}"),
        // [inferred] Carriers without an integration get an AfterShip link; its exact form is
        // not documented.
        _ if !shipment.tracking_carrier.is_empty() => {
            format!("https://track.aftership.com/{}/{number}", shipment.tracking_carrier)
        }
        "" => String::new(),
        _ => format!("https://track.aftership.com/{number}"),
    }
}

pub fn product(product: &Product, with_variants: bool) -> Value {
    let mut value = json!({
        "id": product.id,
        "name": product.name,
        "type": "physical",
        "sku": product.sku,
        "description": format!("<p>{}</p>", product.name),
        "weight": product.weight,
        "width": product.dimensions[0],
        "depth": product.dimensions[2],
        "height": product.dimensions[1],
        "price": dollars(product.price_cents),
        "cost_price": 0,
        "retail_price": 0,
        "sale_price": 0,
        "map_price": 0,
        "tax_class_id": 0,
        "product_tax_code": "",
        "calculated_price": dollars(product.price_cents),
        "categories": [23],
        "brand_id": 0,
        "option_set_id": product.option_id,
        "option_set_display": "right",
        "inventory_level": product.inventory_level(),
        "inventory_warning_level": 0,
        "inventory_tracking": if product.tracked_by_variant() { "variant" } else { "product" },
        "reviews_rating_sum": 0,
        "reviews_count": 0,
        "total_sold": product.total_sold,
        "fixed_cost_shipping_price": 0,
        "is_free_shipping": false,
        "is_visible": true,
        "is_featured": false,
        "related_products": [-1],
        "warranty": "",
        "bin_picking_number": "",
        "layout_file": "product.html",
        "upc": "",
        "mpn": "",
        "gtin": "",
        "search_keywords": "",
        "availability": "available",
        "availability_description": "",
        "gift_wrapping_options_type": "any",
        "gift_wrapping_options_list": [],
        "sort_order": 0,
        "condition": "New",
        "is_condition_shown": false,
        "order_quantity_minimum": 0,
        "order_quantity_maximum": 0,
        "page_title": "",
        "meta_keywords": [],
        "meta_description": "",
        "date_created": iso(product.created),
        "date_modified": iso(product.modified),
        "view_count": 0,
        "preorder_release_date": null,
        "preorder_message": "",
        "is_preorder_only": false,
        "is_price_hidden": false,
        "price_hidden_label": "",
        "custom_url": { "url": format!("/{}/", slug(&product.name, product.id)), "is_customized": false },
        // A product with options has no base variant of its own.
        "base_variant_id": if product.tracked_by_variant() { None } else { product.variants.first().map(|v| v.id) },
        "open_graph_type": "product",
        "open_graph_title": "",
        "open_graph_description": "",
        "open_graph_use_meta_description": true,
        "open_graph_use_product_name": true,
        "open_graph_use_image": true,
    });
    if with_variants {
        value["variants"] = product.variants.iter().map(|v| variant(product, v)).collect();
    }
    value
}

pub fn variant(product: &Product, variant: &Variant) -> Value {
    let options: Vec<Value> = product
        .option_id
        .zip(variant.option_value.as_ref())
        .map(|(option_id, (value_id, label))| {
            json!({"id": value_id, "label": label, "option_id": option_id, "option_display_name": "Size"})
        })
        .into_iter()
        .collect();
    let on_hand: i64 = variant.stock.values().map(|s| s.on_hand).sum();
    json!({
        "id": variant.id,
        "product_id": product.id,
        "sku": variant.sku,
        "sku_id": variant.sku_id,
        "price": dollars(variant.price_cents),
        "calculated_price": dollars(variant.price_cents),
        "sale_price": null,
        "retail_price": null,
        // The documentation's example shows `{}` here; a variant without a MAP price has none.
        "map_price": null,
        "weight": variant.weight,
        "calculated_weight": variant.weight,
        "width": product.dimensions[0],
        "height": product.dimensions[1],
        "depth": product.dimensions[2],
        "is_free_shipping": false,
        "fixed_cost_shipping_price": null,
        "purchasing_disabled": false,
        "purchasing_disabled_message": "",
        "image_url": "",
        "cost_price": null,
        "upc": "",
        "mpn": "",
        "gtin": "",
        "inventory_level": on_hand,
        "inventory_warning_level": 0,
        "bin_picking_number": "",
        "option_values": options,
    })
}

fn slug(name: &str, id: u64) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    format!("{}-{id}", slug.trim_end_matches('-'))
}

/// What `include=` asked to embed in customers.
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerEmbed {
    pub addresses: bool,
    pub store_credit: bool,
    pub shopper_profile: bool,
    pub segments: bool,
}

pub fn customer(customer: &Customer, embed: CustomerEmbed) -> Value {
    let mut value = json!({
        "id": customer.id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": customer.company,
        "phone": customer.phone,
        "notes": customer.notes,
        "tax_exempt_category": "",
        "customer_group_id": 0,
        "registration_ip_address": "",
        "date_created": iso_z(customer.created),
        "date_modified": iso_z(customer.modified),
        "address_count": 1,
        "attribute_count": 0,
        "authentication": { "force_password_reset": false },
        "accepts_product_review_abandoned_cart_emails": false,
        "origin_channel_id": 1,
        "channel_ids": null,
    });
    if embed.addresses {
        let a = &customer.address;
        value["addresses"] = json!([{
            "id": customer.address_id, "customer_id": customer.id,
            "first_name": a.first_name, "last_name": a.last_name, "company": a.company,
            "address1": a.street_1, "address2": a.street_2, "city": a.city, "state_or_province": a.state,
            "postal_code": a.zip, "country": a.country, "country_code": a.country_iso2, "phone": a.phone,
            "address_type": "residential",
        }]);
    }
    if embed.store_credit {
        value["store_credit_amounts"] = json!([{ "amount": 0.0 }]);
    }
    if embed.shopper_profile {
        value["shopper_profile_id"] = json!(format!("{:08x}-0000-4000-8000-{:012x}", customer.id, customer.id));
    }
    if embed.segments {
        value["segment_ids"] = json!([]);
    }
    value
}

pub fn location(store: &Store, location: &Location) -> Value {
    let day = json!({"open": true, "opening": "09:00", "closing": "17:00"});
    json!({
        "id": location.id,
        "code": location.code,
        "label": location.label,
        "description": "",
        "managed_by_external_source": false,
        "type_id": "PHYSICAL",
        "enabled": true,
        "operating_hours": {
            "sunday": {"open": false, "opening": "00:00", "closing": "00:00"},
            "monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
            "saturday": {"open": false, "opening": "00:00", "closing": "00:00"},
        },
        "time_zone": store.timezone_name(),
        "created_at": iso_z(location.created),
        "updated_at": iso_z(location.created),
        "address": {
            "address1": format!("{} Warehouse Road", location.id), "address2": "", "city": location.city,
            "state": "", "zip": "", "email": format!("warehouse{}@{}", location.id, store.config.domain()),
            "phone": "555-0100", "geo_coordinates": {"latitude": 0.0, "longitude": 0.0}, "country_code": "US",
        },
        "storefront_visibility": true,
        "special_hours": [],
    })
}

fn identity(product: &Product, variant: &Variant) -> Value {
    json!({"sku": variant.sku, "variant_id": variant.id, "product_id": product.id, "sku_id": variant.sku_id})
}

/// One item's stock at every location, as `/v3/inventory/items` lists it.
pub fn inventory_item(data: &StoreData, product: &Product, variant: &Variant, locations: &[u64]) -> Value {
    let at: Vec<Value> = variant
        .stock
        .iter()
        .filter(|(id, _)| locations.is_empty() || locations.contains(id))
        .filter_map(|(id, stock)| {
            let location = data.location(*id)?;
            Some(json!({
                "location_id": id, "location_code": location.code, "location_name": location.label,
                "available_to_sell": stock.available(), "total_inventory_onhand": stock.on_hand,
                "location_enabled": true, "settings": settings(stock),
            }))
        })
        .collect();
    json!({ "identity": identity(product, variant), "locations": at })
}

/// One item's stock at one location, as `/v3/inventory/locations/{id}/items` lists it.
pub fn location_item(product: &Product, variant: &Variant, location: u64) -> Option<Value> {
    let stock = variant.stock.get(&location)?;
    let mut identity = identity(product, variant);
    identity.as_object_mut()?.remove("sku_id");
    Some(json!({
        "identity": identity, "available_to_sell": stock.available(), "total_inventory_onhand": stock.on_hand,
        "settings": settings(stock),
    }))
}

fn settings(stock: &super::data::Stock) -> Value {
    json!({
        "safety_stock": stock.safety_stock, "is_in_stock": stock.is_in_stock,
        "warning_level": stock.warning_level, "bin_picking_number": stock.bin_picking_number,
    })
}

pub fn store_information(store: &Store) -> Value {
    let config = &store.config;
    let domain = config.domain();
    let name = store.name();
    let offset = i64::from(config.utc_offset_minutes) * 60;
    json!({
        "id": config.store_hash,
        "account_uuid": format!("{:08x}-0000-4000-8000-{:012x}", store.store_id % 0xffff_ffff, store.store_id),
        "domain": domain,
        "secure_url": format!("https://{domain}"),
        "control_panel_base_url": format!("https://store-{}.mybigcommerce.com", config.store_hash),
        "status": "live",
        "name": name,
        "first_name": "Jane",
        "last_name": "Doe",
        "address": name,
        "country": "United States",
        "country_code": "US",
        "phone": "555-123-4567",
        "admin_email": format!("admin@{domain}"),
        "order_email": format!("orders@{domain}"),
        "favicon_url": "",
        "timezone": {
            "name": store.timezone_name(),
            "raw_offset": offset,
            "dst_offset": offset,
            "dst_correction": false,
            "date_format": {"display": "M jS Y", "export": "M jS Y", "extended_display": "M jS Y @ g:i A"},
        },
        "language": "en",
        "currency": "USD",
        "currency_symbol": "$",
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "currency_symbol_location": "left",
        "weight_units": config.weight_units,
        "dimension_units": if matches!(config.weight_units.as_str(), "Grams" | "Kilograms") { "Centimeters" } else { "Inches" },
        "dimension_decimal_places": 2,
        "dimension_decimal_token": ".",
        "dimension_thousands_token": ",",
        "plan_name": config.plan.name(),
        "plan_level": config.plan.name(),
        "plan_is_trial": false,
        "industry": "",
        "logo": { "url": "" },
        "is_price_entered_with_tax": false,
        "store_id": store.store_id,
        "default_channel_id": 1,
        "default_site_id": 1000,
        "active_comparison_modules": [],
        "features": {
            "stencil_enabled": true,
            "sitewidehttps_enabled": true,
            "facebook_catalog_id": "",
            "checkout_type": "optimized",
            "wishlists_enabled": false,
            "graphql_storefront_api_enabled": true,
            "shopper_consent_tracking_enabled": false,
            "multi_storefront_enabled": false,
            "storefront_limits": { "active": 1, "total_including_inactive": 1 },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_amounts_read_as_the_v2_examples_do() {
        assert_eq!(rfc2822(1_551_822_011), "Tue, 05 Mar 2019 21:40:11 +0000");
        assert_eq!(iso(1_534_344_526), "2018-08-15T14:48:46+00:00");
        assert_eq!(iso_z(1_653_913_082), "2022-05-30T12:18:02Z");
        assert_eq!(money(6984), "69.8400");
        assert_eq!(money(5), "0.0500");
        assert_eq!(money(-1250), "-12.5000");
        assert_eq!(decimal(1.0), "1.0000");
    }
}
