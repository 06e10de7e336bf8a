//! The Shipment Tracking extension (`wc-shipment-tracking/v3`): an order's tracking items, kept
//! in the order's `_wc_shipment_tracking_items` meta (so adding one saves the order, which fires
//! `order.updated`), and the public list of providers with their tracking URL formats.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::{
    api::{Call, Need},
    data::{random_hex, TrackingItem},
    render, webhooks, Reply, WpError,
};
use crate::data::DAY;

/// Providers by region, each with its tracking URL format (`%1$s` the number, `%2$s` the
/// postcode). A selection of the extension's list, with the official examples' entries.
const PROVIDERS: &[(&str, &[(&str, &str)])] = &[
    ("Australia", &[("Australia Post", "https://auspost.com.au/mypost/track/#/details/%1$s")]),
    ("Canada", &[("Canada Post", "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=%1$s")]),
    (
        "Global",
        &[
            ("Aramex", "https://www.aramex.com/track/track-results-new?ShipmentNumber=%1$s"),
            ("DHL Express", "https://www.dhl.com/en/express/tracking.html?AWB=%1$s&brand=DHL"),
        ],
    ),
    (
        "United Kingdom",
        &[
            ("DPD UK", "https://track.dpd.co.uk/parcels/%1$s"),
            ("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/%1$s"),
        ],
    ),
    (
        "United States",
        &[
            ("FedEx", "https://www.fedex.com/apps/fedextrack/?action=track&tracknumbers=%1$s"),
            ("UPS", "https://www.ups.com/track?loc=en_US&tracknum=%1$s"),
            ("USPS", "https://tools.usps.com/tracking/%1$s"),
        ],
    ),
];

/// A provider by its name or slug: (name, URL format).
fn provider(name_or_slug: &str) -> Option<(&'static str, &'static str)> {
    PROVIDERS.iter().flat_map(|(_, list)| list.iter()).copied().find(|(name, _)| {
        name.eq_ignore_ascii_case(name_or_slug) || super::data::slugify(name) == name_or_slug.to_ascii_lowercase()
    })
}

/// The provider's name and the tracking link, as the extension formats them for display.
pub fn formatted(item: &TrackingItem) -> (String, String) {
    if !item.custom_provider.is_empty() {
        return (item.custom_provider.clone(), item.custom_link.replace("%1$s", &item.number));
    }
    match provider(&item.provider) {
        Some((name, format)) => (name.to_owned(), format.replace("%1$s", &item.number).replace("%2$s", "")),
        None => (item.provider.clone(), String::new()),
    }
}

/// The item as the extension stores it in the order's meta.
pub fn stored(item: &TrackingItem) -> Value {
    json!({
        "tracking_provider": item.provider, "custom_tracking_provider": item.custom_provider,
        "custom_tracking_link": item.custom_link, "tracking_number": item.number,
        "date_shipped": item.date_shipped.to_string(), "tracking_id": item.tracking_id,
    })
}

pub fn providers() -> Reply {
    let regions: serde_json::Map<String, Value> = PROVIDERS
        .iter()
        .map(|(region, list)| {
            let entries: serde_json::Map<String, Value> =
                list.iter().map(|(name, format)| ((*name).to_owned(), json!(format))).collect();
            ((*region).to_owned(), Value::Object(entries))
        })
        .collect();
    Reply::json(StatusCode::OK, &Value::Object(regions))
}

fn invalid_order() -> WpError {
    WpError::new(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
}

pub fn list(call: &Call<'_>, order_id: u64) -> Result<Reply, WpError> {
    call.permit(Need::List)?;
    let data = call.site.data.read().expect("data lock");
    let order = data.orders.get(&order_id).ok_or_else(invalid_order)?;
    let items: Vec<Value> =
        order.tracking.iter().map(|item| render::tracking_item(call.site, order_id, item)).collect();
    Ok(Reply::json(StatusCode::OK, &Value::Array(items)))
}

pub fn get(call: &Call<'_>, order_id: u64, tracking_id: &str) -> Result<Reply, WpError> {
    call.permit(Need::View)?;
    let data = call.site.data.read().expect("data lock");
    let order = data.orders.get(&order_id).ok_or_else(invalid_order)?;
    let item = order.tracking.iter().find(|item| item.tracking_id == tracking_id).ok_or_else(missing_item)?;
    Ok(Reply::json(StatusCode::OK, &render::tracking_item(call.site, order_id, item)))
}

fn missing_item() -> WpError {
    WpError::new(404, "woocommerce_rest_shipment_tracking_invalid_id", "Invalid tracking ID.")
}

/// Adds a tracking item: a named provider, or a custom provider with its link; shipped today
/// (the site's today) unless `date_shipped` (`YYYY-MM-DD`) says otherwise. 201 with `Location`.
pub fn create(call: &Call<'_>, order_id: u64) -> Result<Reply, WpError> {
    let text = |name: &str| call.param(name).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let number = text("tracking_number");
    if number.is_empty() {
        let mut error = WpError::new(400, "rest_missing_callback_param", "Missing parameter(s): tracking_number");
        error.data.insert("params".into(), json!(["tracking_number"]));
        return Err(error);
    }
    call.permit(Need::Create)?;
    let site_today = call.now + i64::from(call.site.config.utc_offset_minutes) * 60;
    let date_shipped = match text("date_shipped") {
        date if date.is_empty() => site_today - site_today.rem_euclid(DAY),
        date => super::listing::wall_bound(&format!("{date}T00:00:00"), 0).ok_or_else(|| {
            WpError::new(400, "woocommerce_rest_shipment_tracking_invalid_date", "Invalid date shipped.")
        })?,
    };
    let custom_provider = text("custom_tracking_provider");
    let provider_name = text("tracking_provider");
    let (provider, custom_link) = if custom_provider.is_empty() {
        let slug =
            provider(&provider_name).map_or_else(|| provider_name.clone(), |(name, _)| super::data::slugify(name));
        (slug, String::new())
    } else {
        (String::new(), text("custom_tracking_link"))
    };
    let (rendered, location) = {
        let mut guard = call.site.data.write().expect("data lock");
        let data = &mut *guard;
        let order = data.orders.get_mut(&order_id).ok_or_else(invalid_order)?;
        let tracking_id = random_hex(&mut data.rng, 32);
        let item = TrackingItem { tracking_id, provider, custom_provider, custom_link, number, date_shipped };
        let meta_id = order.tracking_meta_id.unwrap_or_else(|| data.ids.meta());
        order.tracking_meta_id = Some(meta_id);
        order.tracking.push(item.clone());
        order.modified = call.now;
        let location = call
            .site
            .rest_url(&format!("/wc-shipment-tracking/v3/orders/{order_id}/shipment-trackings/{}", item.tracking_id));
        (render::tracking_item(call.site, order_id, &item), location)
    };
    webhooks::fire(call.emu, call.site, "order", "updated", order_id);
    Ok(Reply::json(StatusCode::CREATED, &rendered).header("location", &location))
}

pub fn delete(call: &Call<'_>, order_id: u64, tracking_id: &str) -> Result<Reply, WpError> {
    call.permit(Need::Delete)?;
    let rendered = {
        let mut data = call.site.data.write().expect("data lock");
        let order = data.orders.get_mut(&order_id).ok_or_else(invalid_order)?;
        let index = order.tracking.iter().position(|item| item.tracking_id == tracking_id).ok_or_else(missing_item)?;
        let item = order.tracking.remove(index);
        order.modified = call.now;
        render::tracking_item(call.site, order_id, &item)
    };
    webhooks::fire(call.emu, call.site, "order", "updated", order_id);
    Ok(Reply::json(StatusCode::OK, &rendered))
}
