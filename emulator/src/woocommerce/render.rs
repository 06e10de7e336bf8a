//! Records rendered as `wc/v3` renders them (the shapes of the official examples in
//! tests/fixtures/woocommerce, with the keys current releases add): local and `_gmt` dates
//! without offsets, money as strings, ids as numbers, `_links` with the site's REST URLs.

use serde_json::{json, Value};

use super::{
    data::{Address, Customer, Meta, Note, Order, Product, SiteData, TrackingItem, Variation, TRACKING_META_KEY},
    tracking, Site,
};
use crate::data::money;

pub fn links(site: &Site, route: &str, collection: &str, up: Option<&str>) -> Value {
    let mut links = json!({
        "self": [{"href": site.rest_url(route)}],
        "collection": [{"href": site.rest_url(collection)}],
    });
    if let Some(up) = up {
        links["up"] = json!([{"href": site.rest_url(up)}]);
    }
    links
}

fn address(address: &Address, billing: bool) -> Value {
    let mut value = json!({
        "first_name": address.first_name, "last_name": address.last_name, "company": address.company,
        "address_1": address.address_1, "address_2": address.address_2, "city": address.city,
        "state": address.state, "postcode": address.postcode, "country": address.country,
    });
    if billing {
        value["email"] = json!(address.email);
        value["phone"] = json!(address.phone);
    } else {
        value["phone"] = json!("");
    }
    value
}

fn meta(entries: &[Meta]) -> Vec<Value> {
    entries.iter().map(|m| json!({"id": m.id, "key": m.key, "value": m.value})).collect()
}

fn optional_date(site: &Site, unix: Option<i64>) -> (Value, Value) {
    match unix {
        Some(t) => (json!(site.local(t)), json!(site.gmt(t))),
        None => (Value::Null, Value::Null),
    }
}

pub fn order(site: &Site, data: &SiteData, order: &Order) -> Value {
    let (paid, paid_gmt) = optional_date(site, order.paid);
    let (completed, completed_gmt) = optional_date(site, order.completed);
    let total = order.total_cents();
    let lines: Vec<Value> = order
        .lines
        .iter()
        .map(|line| {
            let found = data.line_product(line);
            let sku = found.map(|(product, variation)| variation.map_or(&product.sku, |v| &v.sku));
            let image = found.map_or(json!({"id": "", "src": ""}), |(product, _)| product_image(site, product));
            let meta_data: Vec<Value> = line
                .attribute
                .iter()
                .map(|(id, key, display_key, value)| {
                    json!({"id": id, "key": key, "value": value, "display_key": display_key, "display_value": value})
                })
                .collect();
            let subtotal = money(line.price_cents * line.quantity);
            json!({
                "id": line.id, "name": line.name, "product_id": line.product_id, "variation_id": line.variation_id,
                "quantity": line.quantity, "tax_class": "", "subtotal": subtotal, "subtotal_tax": "0.00",
                "total": subtotal, "total_tax": "0.00", "taxes": [], "meta_data": meta_data, "sku": sku,
                "global_unique_id": "", "price": line.price_cents as f64 / 100.0,
                "image": {"id": image["id"], "src": image["src"]}, "parent_name": line.parent_name,
            })
        })
        .collect();
    let (shipping_id, method_title, method_id, shipping_cents) = order.shipping_line;
    let mut meta_data = meta(&order.meta);
    if let (Some(id), true) = (order.tracking_meta_id, site.config.shipment_tracking) {
        let items: Vec<Value> = order.tracking.iter().map(tracking::stored).collect();
        meta_data.push(json!({"id": id, "key": TRACKING_META_KEY, "value": items}));
    }
    let refunds: Vec<Value> =
        order.refund.iter().map(|id| json!({"id": id, "reason": "", "total": format!("-{}", money(total))})).collect();
    let mut links = links(site, &format!("/wc/v3/orders/{}", order.id), "/wc/v3/orders", None);
    if order.customer_id != 0 {
        links["customer"] = json!([{"href": site.rest_url(&format!("/wc/v3/customers/{}", order.customer_id))}]);
    }
    json!({
        "id": order.id, "parent_id": 0, "status": order.status, "currency": "USD", "version": super::WC_VERSION,
        "prices_include_tax": false,
        "date_created": site.local(order.created), "date_created_gmt": site.gmt(order.created),
        "date_modified": site.local(order.modified), "date_modified_gmt": site.gmt(order.modified),
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": money(shipping_cents),
        "shipping_tax": "0.00", "cart_tax": "0.00", "total": money(total), "total_tax": "0.00",
        "customer_id": order.customer_id, "order_key": order.order_key,
        "billing": address(&order.billing, true), "shipping": address(&order.shipping, false),
        "payment_method": order.payment_method.0, "payment_method_title": order.payment_method.1,
        "transaction_id": order.transaction_id, "customer_ip_address": "", "customer_user_agent": "",
        "created_via": order.created_via, "customer_note": order.customer_note,
        "date_completed": completed, "date_completed_gmt": completed_gmt,
        "date_paid": paid, "date_paid_gmt": paid_gmt, "cart_hash": "", "number": order.id.to_string(),
        "meta_data": meta_data, "line_items": lines, "tax_lines": [],
        "shipping_lines": [{
            "id": shipping_id, "method_title": method_title, "method_id": method_id, "instance_id": "1",
            "total": money(shipping_cents), "total_tax": "0.00", "taxes": [], "tax_status": "taxable",
            "meta_data": [],
        }],
        "fee_lines": [], "coupon_lines": [], "refunds": refunds,
        "payment_url": format!("{}/checkout/order-pay/{}/?pay_for_order=true&key={}", site.home(), order.id, order.order_key),
        "is_editable": matches!(order.status.as_str(), "pending" | "on-hold" | "checkout-draft"),
        "needs_payment": matches!(order.status.as_str(), "pending" | "failed") && total > 0,
        "needs_processing": true, "currency_symbol": "$",
        "_links": links,
    })
}

pub fn note(site: &Site, order_id: u64, note: &Note) -> Value {
    let base = format!("/wc/v3/orders/{order_id}");
    json!({
        "id": note.id, "author": note.author,
        "date_created": site.local(note.created), "date_created_gmt": site.gmt(note.created),
        "note": note.note, "customer_note": note.customer_note,
        "_links": links(site, &format!("{base}/notes/{}", note.id), &format!("{base}/notes"), Some(&base)),
    })
}

fn image(site: &Site, id: u64, slug: &str, at: i64) -> Value {
    json!({
        "id": id,
        "date_created": site.local(at), "date_created_gmt": site.gmt(at),
        "date_modified": site.local(at), "date_modified_gmt": site.gmt(at),
        "src": format!("{}/wp-content/uploads/{slug}.jpg", site.home()), "name": slug, "alt": "",
    })
}

fn product_image(site: &Site, product: &Product) -> Value {
    image(site, product.image_id, &product.slug, product.created)
}

fn stock_status(stock: Option<i64>) -> &'static str {
    match stock {
        Some(n) if n <= 0 => "outofstock",
        _ => "instock",
    }
}

fn dimensions(values: &[String; 3]) -> Value {
    json!({"length": values[0], "width": values[1], "height": values[2]})
}

pub fn product(site: &Site, product: &Product) -> Value {
    let (price, regular, price_html) = if product.variable {
        let prices: Vec<i64> = product.variations.iter().map(|v| v.price_cents).collect();
        let (low, high) = (prices.iter().min().copied().unwrap_or(0), prices.iter().max().copied().unwrap_or(0));
        (money(low), String::new(), format!("{} &ndash; {}", price_html(low), price_html(high)))
    } else {
        (money(product.price_cents), money(product.price_cents), price_html(product.price_cents))
    };
    let attributes = if product.variable {
        json!([{"id": 0, "name": "Size", "slug": "size", "position": 0, "visible": true, "variation": true,
                "options": super::data::SIZES}])
    } else {
        json!([])
    };
    let stock = if product.variable {
        let any_in = product.variations.iter().any(|v| stock_status(v.stock) == "instock");
        if any_in {
            "instock"
        } else {
            "outofstock"
        }
    } else {
        stock_status(product.stock)
    };
    json!({
        "id": product.id, "name": product.name, "slug": product.slug,
        "permalink": format!("{}/product/{}/", site.home(), product.slug),
        "date_created": site.local(product.created), "date_created_gmt": site.gmt(product.created),
        "date_modified": site.local(product.modified), "date_modified_gmt": site.gmt(product.modified),
        "type": if product.variable { "variable" } else { "simple" }, "status": "publish", "featured": false,
        "catalog_visibility": "visible", "description": format!("<p>{}.</p>\n", product.name),
        "short_description": "", "sku": product.sku, "price": price, "regular_price": regular, "sale_price": "",
        "date_on_sale_from": null, "date_on_sale_from_gmt": null, "date_on_sale_to": null,
        "date_on_sale_to_gmt": null, "price_html": price_html, "on_sale": false, "purchasable": true,
        "total_sales": 0, "virtual": false, "downloadable": false, "downloads": [], "download_limit": -1,
        "download_expiry": -1, "external_url": "", "button_text": "", "tax_status": "taxable", "tax_class": "",
        "manage_stock": !product.variable && product.stock.is_some(),
        "stock_quantity": if product.variable { None } else { product.stock },
        "stock_status": stock, "backorders": "no", "backorders_allowed": false, "backordered": false,
        "low_stock_amount": null, "sold_individually": false, "weight": product.weight,
        "dimensions": dimensions(&product.dimensions), "shipping_required": true, "shipping_taxable": true,
        "shipping_class": "", "shipping_class_id": 0, "reviews_allowed": true, "average_rating": "0.00",
        "rating_count": 0, "related_ids": [], "upsell_ids": [], "cross_sell_ids": [], "parent_id": 0,
        "purchase_note": "", "categories": [{"id": 15, "name": "Uncategorized", "slug": "uncategorized"}],
        "tags": [], "images": [product_image(site, product)], "attributes": attributes,
        "default_attributes": [], "variations": product.variations.iter().map(|v| v.id).collect::<Vec<_>>(),
        "grouped_products": [], "menu_order": 0, "meta_data": [], "global_unique_id": "",
        "has_options": product.variable, "post_password": "",
        "_links": links(site, &format!("/wc/v3/products/{}", product.id), "/wc/v3/products", None),
    })
}

fn price_html(cents: i64) -> String {
    format!(
        "<span class=\"woocommerce-Price-amount amount\"><bdi><span class=\"woocommerce-Price-currencySymbol\">&#36;</span>{}</bdi></span>",
        money(cents)
    )
}

pub fn variation(site: &Site, product: &Product, variation: &Variation) -> Value {
    // An empty variation weight shows the parent's, as WooCommerce's `view` context does.
    let weight = if variation.weight.is_empty() { &product.weight } else { &variation.weight };
    let base = format!("/wc/v3/products/{}", product.id);
    json!({
        "id": variation.id, "type": "variation", "name": format!("{} - {}", product.name, variation.size),
        "parent_id": product.id,
        "date_created": site.local(variation.created), "date_created_gmt": site.gmt(variation.created),
        "date_modified": site.local(variation.modified), "date_modified_gmt": site.gmt(variation.modified),
        "description": "", "permalink": format!("{}/product/{}/?attribute_size={}", site.home(), product.slug, variation.size),
        "sku": variation.sku, "global_unique_id": "", "price": money(variation.price_cents),
        "regular_price": money(variation.price_cents), "sale_price": "",
        "date_on_sale_from": null, "date_on_sale_from_gmt": null, "date_on_sale_to": null,
        "date_on_sale_to_gmt": null, "on_sale": false, "status": "publish", "purchasable": true,
        "virtual": false, "downloadable": false, "downloads": [], "download_limit": -1, "download_expiry": -1,
        "tax_status": "taxable", "tax_class": "", "manage_stock": variation.stock.is_some(),
        "stock_quantity": variation.stock, "stock_status": stock_status(variation.stock), "backorders": "no",
        "backorders_allowed": false, "backordered": false, "low_stock_amount": null, "weight": weight,
        "dimensions": dimensions(&product.dimensions), "shipping_class": "", "shipping_class_id": 0,
        "image": image(site, product.image_id, &product.slug, product.created),
        "attributes": [{"id": 0, "name": "Size", "slug": "size", "option": variation.size}],
        "menu_order": 0, "meta_data": [],
        "_links": links(site, &format!("{base}/variations/{}", variation.id), &format!("{base}/variations"), Some(&base)),
    })
}

pub fn customer(site: &Site, customer: &Customer) -> Value {
    json!({
        "id": customer.id,
        "date_created": site.local(customer.created), "date_created_gmt": site.gmt(customer.created),
        "date_modified": site.local(customer.modified), "date_modified_gmt": site.gmt(customer.modified),
        "email": customer.email, "first_name": customer.first_name, "last_name": customer.last_name,
        "role": "customer", "username": customer.username,
        "billing": address(&customer.billing, true), "shipping": address(&customer.shipping, false),
        "is_paying_customer": customer.paying,
        "avatar_url": format!("https://secure.gravatar.com/avatar/{}?s=96&d=mm&r=g", avatar_hash(&customer.email)),
        "meta_data": [],
        "_links": links(site, &format!("/wc/v3/customers/{}", customer.id), "/wc/v3/customers", None),
    })
}

/// Gravatar takes a SHA-256 of the address as well as the MD5 WordPress sends.
fn avatar_hash(email: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(email.trim().to_ascii_lowercase().as_bytes()))
}

pub fn tracking_item(site: &Site, order_id: u64, item: &TrackingItem) -> Value {
    let (provider, link) = tracking::formatted(item);
    let base = format!("/wc-shipment-tracking/v3/orders/{order_id}/shipment-trackings");
    json!({
        "tracking_id": item.tracking_id, "tracking_provider": provider, "tracking_link": link,
        "tracking_number": item.number, "date_shipped": site.gmt(item.date_shipped)[..10],
        "_links": links(site, &format!("{base}/{}", item.tracking_id), &base,
                        Some(&format!("/wc/v3/orders/{order_id}"))),
    })
}
