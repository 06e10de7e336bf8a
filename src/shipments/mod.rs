//! Shipments recorded at the desk (on the store page, or posted by label software to the HTTP
//! API) and written back to their store with their tracking, once. A shipment is checked against
//! the synced units of shipping (Shopify's fulfillment orders, or the order itself) and stored
//! first, with its idempotency key, in one transaction (the outbox); the [`sender`] then has the
//! store's platform write it back. (Server only) the `shipments` and `shipment_keys` tables.

#[cfg(feature = "ssr")]
mod correct;
#[cfg(feature = "ssr")]
mod record;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod sender;

#[cfg(feature = "ssr")]
pub use correct::{correct_tracking, CorrectError, TrackingChange};
#[cfg(feature = "ssr")]
pub use record::{preview, record, RecordError, Recorded, Recorder};

use serde::{Deserialize, Serialize};

use crate::{
    ids::{ShipmentId, StoreId},
    platforms::Platform,
};

/// Where a shipment is on its way to its store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShipmentState {
    /// Stored; not yet confirmed by the store's platform.
    Pending,
    /// The platform has it (Shopify created the fulfillment).
    Sent,
    /// The platform refused it; `reason` says why.
    Failed,
    /// A failed shipment someone chose to leave.
    Dismissed,
}

#[cfg(feature = "ssr")]
crate::db::text_column!(ShipmentState {
    Pending => "pending",
    Sent => "sent",
    Failed => "failed",
    Dismissed => "dismissed",
});

impl ShipmentState {
    /// The state in words, for people.
    pub fn label(self) -> &'static str {
        match self {
            ShipmentState::Pending => "Pending",
            ShipmentState::Sent => "Sent to the store",
            ShipmentState::Failed => "Failed",
            ShipmentState::Dismissed => "Dismissed",
        }
    }
}

/// The carriers the form offers; any other is "Other" with its name typed.
pub const CARRIERS: &[&str] = &[
    "UPS",
    "USPS",
    "FedEx",
    "DHL Express",
    "DHL eCommerce",
    "Canada Post",
    "Royal Mail",
    "Australia Post",
    "La Poste",
    "Colissimo",
    "Chronopost",
    "DPD",
    "GLS",
    "PostNL",
    "Deutsche Post",
];

/// What a shipment without a carrier is told.
pub const NO_CARRIER: &str = "Choose the carrier.";

/// The longest carrier, tracking number and tracking URL storelink accepts.
pub const MAX_CARRIER: usize = 100;
pub const MAX_TRACKING_NUMBER: usize = 100;
pub const MAX_TRACKING_URL: usize = 2000;
/// The most line items one shipment may name.
pub const MAX_LINES: usize = 250;

/// What a person or label software asks to ship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentRequest {
    pub order_id: i64,
    /// Only this fulfillment order's items (the store page's form names the one it is under).
    #[serde(default)]
    pub fulfillment_order_id: Option<i64>,
    pub carrier: String,
    pub tracking_number: String,
    #[serde(default)]
    pub tracking_url: Option<String>,
    /// The order's line items and how many of each; none: everything still to ship.
    #[serde(default)]
    pub line_items: Option<Vec<RequestedLine>>,
    #[serde(default)]
    pub notify_customer: bool,
}

/// An order's line item (its id on the store's platform) and how many of it to ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedLine {
    pub id: i64,
    pub quantity: i64,
}

/// What a shipment fulfils: so many of an order's line item, from one fulfillment order's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    pub fulfillment_order_id: i64,
    pub fulfillment_order_line_id: i64,
    pub line_item_id: i64,
    pub quantity: i64,
}

/// A recorded shipment, as the store page and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub id: ShipmentId,
    pub store_id: StoreId,
    pub order_id: i64,
    /// The location it ships from (the platform's id).
    #[serde(default)]
    pub location_id: Option<i64>,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    pub notify_customer: bool,
    pub lines: Vec<ShipmentLine>,
    pub state: ShipmentState,
    /// Why it failed, in words.
    pub reason: Option<String>,
    /// Shopify's fulfillment, once sent there.
    pub fulfillment_id: Option<i64>,
    /// What the store's platform knows it by, once sent (a fulfillment, a tracking item, a note).
    pub reference: Option<String>,
    /// A new tracking number or URL waits to be written back.
    pub tracking_changed: bool,
    /// Who recorded it: a user's email, or "API token “name”".
    pub recorded_by: String,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// A field's problem, named as the request names the field (`line_items[1].quantity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// The request's own fields, before anything is looked up, against storelink's limits and the
/// store's platform's: each problem once, beside its field.
pub fn check_fields(request: &ShipmentRequest, platform: Platform) -> Vec<FieldError> {
    let limits = platform.tracking_limits();
    let mut errors = Vec::new();
    let carrier = request.carrier.trim();
    if carrier.is_empty() {
        errors.push(FieldError::new("carrier", NO_CARRIER));
    } else if carrier.chars().count() > MAX_CARRIER {
        errors.push(FieldError::new("carrier", format!("A carrier's name has at most {MAX_CARRIER} characters.")));
    }
    let number = request.tracking_number.trim();
    if number.is_empty() {
        errors.push(FieldError::new("tracking_number", "Enter the tracking number."));
    } else if number.chars().count() > MAX_TRACKING_NUMBER {
        errors.push(FieldError::new(
            "tracking_number",
            format!("A tracking number has at most {MAX_TRACKING_NUMBER} characters."),
        ));
    } else if number.chars().any(char::is_control) {
        errors.push(FieldError::new("tracking_number", "A tracking number cannot hold line breaks or tabs."));
    } else if let Some(most) = limits.number_chars.filter(|most| number.chars().count() > *most) {
        errors.push(FieldError::new(
            "tracking_number",
            format!("{} takes tracking numbers of at most {most} characters.", platform.label()),
        ));
    }
    if let Some(url) = request.tracking_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        let web = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() > "https://".len()
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if url.len() > MAX_TRACKING_URL {
            errors.push(FieldError::new(
                "tracking_url",
                format!("A tracking URL has at most {MAX_TRACKING_URL} characters."),
            ));
        } else if !web {
            errors.push(FieldError::new(
                "tracking_url",
                "Enter a web address starting with https://, or leave it empty.",
            ));
        } else if let Some(most) = limits.url_chars.filter(|most| url.chars().count() > *most) {
            errors.push(FieldError::new(
                "tracking_url",
                format!("{} takes tracking links of at most {most} characters.", platform.label()),
            ));
        }
    }
    if let Some(lines) = &request.line_items {
        if lines.is_empty() {
            errors.push(FieldError::new(
                "line_items",
                "Name at least one line item, or leave line_items out to ship everything.",
            ));
        } else if lines.len() > MAX_LINES {
            errors.push(FieldError::new("line_items", format!("A shipment names at most {MAX_LINES} line items.")));
        }
        for (i, line) in lines.iter().enumerate() {
            if line.quantity < 1 {
                errors.push(FieldError::new(format!("line_items[{i}].quantity"), "Ship at least 1."));
            }
        }
    }
    errors
}

/// The request with its text trimmed and an empty URL as none, as it is stored.
pub fn tidy(request: &ShipmentRequest) -> ShipmentRequest {
    ShipmentRequest {
        carrier: request.carrier.trim().to_owned(),
        tracking_number: request.tracking_number.trim().to_owned(),
        tracking_url: request.tracking_url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned),
        ..request.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ShipmentRequest {
        ShipmentRequest {
            order_id: 1,
            fulfillment_order_id: None,
            carrier: "UPS".into(),
            tracking_number: "1Z999AA10123456784".into(),
            tracking_url: None,
            line_items: None,
            notify_customer: false,
        }
    }

    #[test]
    fn each_bad_field_is_named_once() {
        assert!(check_fields(&request(), Platform::Shopify).is_empty());
        let bad = ShipmentRequest {
            carrier: " ".into(),
            tracking_number: "".into(),
            tracking_url: Some("javascript:alert(1)".into()),
            line_items: Some(vec![RequestedLine { id: 5, quantity: 0 }]),
            ..request()
        };
        let fields: Vec<String> = check_fields(&bad, Platform::Shopify).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["carrier", "tracking_number", "tracking_url", "line_items[0].quantity"]);
        let long = ShipmentRequest { tracking_number: "9".repeat(MAX_TRACKING_NUMBER + 1), ..request() };
        assert_eq!(check_fields(&long, Platform::Shopify)[0].field, "tracking_number");
        let empty = ShipmentRequest { line_items: Some(vec![]), ..request() };
        assert_eq!(check_fields(&empty, Platform::Shopify)[0].field, "line_items");
        let blank_url = ShipmentRequest { tracking_url: Some("  ".into()), ..request() };
        assert!(check_fields(&blank_url, Platform::Shopify).is_empty());
        assert_eq!(tidy(&blank_url).tracking_url, None);
    }

    #[test]
    fn a_platform_that_takes_less_than_storelink_refuses_by_name() {
        let number = ShipmentRequest { tracking_number: "9".repeat(51), ..request() };
        assert!(check_fields(&number, Platform::Shopify).is_empty());
        let refused = check_fields(&number, Platform::BigCommerce);
        assert_eq!(
            refused,
            [FieldError::new("tracking_number", "BigCommerce takes tracking numbers of at most 50 characters.")]
        );
        let fifty = ShipmentRequest { tracking_number: "9".repeat(50), ..request() };
        assert!(check_fields(&fifty, Platform::BigCommerce).is_empty());
        let link =
            ShipmentRequest { tracking_url: Some(format!("https://t.example/{}", "a".repeat(500))), ..request() };
        assert!(check_fields(&link, Platform::WooCommerce).is_empty());
        assert_eq!(
            check_fields(&link, Platform::BigCommerce)[0].message,
            "BigCommerce takes tracking links of at most 500 characters."
        );
    }
}
