//! Correcting a shipment's tracking number or link after it was recorded: checked as a new
//! shipment's would be, stored unless the shipment was dismissed (the rule is in the UPDATE, so a
//! dismissal at the same moment wins), and sent to Shopify by the sender once the shipment is
//! there. The label-software API and the store page call this one function.

use super::{check_fields, repo, tidy, FieldError, Shipment, ShipmentRequest};
use crate::{db::Pool, error::AppError, ids::ShipmentId};

/// A new tracking number, a new link (`Some(None)` removes it), or both.
#[derive(Debug, Clone, Default)]
pub struct TrackingChange {
    pub tracking_number: Option<String>,
    pub tracking_url: Option<Option<String>>,
}

#[derive(Debug)]
pub enum CorrectError {
    /// The change is wrong; nothing was stored.
    Invalid(Vec<FieldError>),
    NotFound,
    /// The shipment was dismissed: record a new one instead.
    Dismissed,
    App(AppError),
}

impl From<AppError> for CorrectError {
    fn from(err: AppError) -> CorrectError {
        CorrectError::App(err)
    }
}

/// Stores the corrected tracking of shipment `id` and returns the shipment as it is now.
pub async fn correct_tracking(pool: &Pool, id: ShipmentId, change: &TrackingChange) -> Result<Shipment, CorrectError> {
    if change.tracking_number.is_none() && change.tracking_url.is_none() {
        return Err(CorrectError::Invalid(vec![FieldError::new(
            "tracking_number",
            "Send a new tracking number, tracking link, or both.",
        )]));
    }
    let shipment = repo::get(pool, id).await?.ok_or(CorrectError::NotFound)?;
    let request = ShipmentRequest {
        order_id: shipment.order_id,
        fulfillment_order_id: None,
        carrier: shipment.carrier.clone(),
        tracking_number: change.tracking_number.clone().unwrap_or_else(|| shipment.tracking_number.clone()),
        tracking_url: change.tracking_url.clone().unwrap_or_else(|| shipment.tracking_url.clone()),
        line_items: None,
        notify_customer: shipment.notify_customer,
    };
    let platform = crate::stores::repo::load(pool, shipment.store_id).await?.ok_or(CorrectError::NotFound)?.platform;
    let errors = check_fields(&request, platform);
    if !errors.is_empty() {
        return Err(CorrectError::Invalid(errors));
    }
    let request = tidy(&request);
    if !repo::change_tracking(pool, id, &request.tracking_number, request.tracking_url.as_deref()).await? {
        return Err(match repo::get(pool, id).await? {
            Some(_) => CorrectError::Dismissed,
            None => CorrectError::NotFound,
        });
    }
    repo::get(pool, id).await?.ok_or(CorrectError::NotFound)
}
