//! Writing a shipment back to a BigCommerce order, exactly once: one BigCommerce shipment per
//! shipping address the shipment's lines come from (`POST /v2/orders/{id}/shipments` with the
//! address, the order products and quantities, the tracking number and carrier), each carrying
//! storelink's shipment id in its comments. BigCommerce takes no idempotency key, so an attempt
//! that may have reached it (a retry, or a time-out just now) reads the order's shipments and takes
//! the one that carries this shipment before any second send. The order's status is never set
//! first (the customer would get an email without tracking): BigCommerce moves it itself.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{client::BcError, BigCommerce, StoreHash};
use crate::{
    platforms::{ShipmentWrite, Written},
    secrets::Secret,
};

/// The words in a shipment's comments that say which shipment of storelink's it is.
fn marker(shipment_id: i64) -> String {
    format!("storelink shipment #{shipment_id}")
}

/// BigCommerce's integrated provider for a carrier's name, and otherwise an AfterShip courier
/// slug where storelink knows one.
fn provider(carrier: &str) -> (&'static str, &'static str) {
    let name = carrier.trim().to_ascii_lowercase();
    let provider = match name.as_str() {
        "usps" | "united states postal service" => "usps",
        "ups" => "ups",
        "fedex" | "fed ex" => "fedex",
        "royal mail" | "royalmail" => "royalmail",
        "canada post" | "canadapost" => "canadapost",
        "australia post" | "auspost" => "auspost",
        _ => "",
    };
    let slug = match (provider, name.as_str()) {
        ("", "dhl" | "dhl express") => "dhl",
        ("", "dpd") => "dpd",
        ("", "gls") => "gls",
        ("", "tnt") => "tnt",
        ("", "purolator") => "purolator",
        ("", "ontrac") => "ontrac",
        _ => "",
    };
    (provider, slug)
}

/// A refusal in words the desk can act on.
fn refusal(message: &str) -> String {
    let because = if message.contains("'quantity'") {
        "it ships more of an item than remains to ship to that address".to_owned()
    } else if message.contains("'order_address_id'") {
        "the shipping address is not on the order".to_owned()
    } else if message.contains("'order_product_id'") {
        "an item is not on the order, or not sent to that address".to_owned()
    } else if message.contains("'tracking_number'") {
        "the tracking number is longer than BigCommerce takes (50 characters)".to_owned()
    } else {
        format!("BigCommerce said: {message}")
    };
    format!("BigCommerce refused the shipment: {because}.")
}

impl BigCommerce {
    pub(in crate::platforms) async fn write(&self, shipment: &ShipmentWrite<'_>) -> Written {
        let (hash, token) = match self.connection(shipment.store_id).await {
            Ok(Some(connection)) => connection,
            Ok(None) => {
                return Written::Refused("The store is disconnected: reconnect it, then retry this shipment.".into())
            }
            Err(err) => return Written::Later(format!("storelink could not send it yet ({err})")),
        };
        match self.write_once(&hash, &token, shipment).await {
            Ok(reference) => Written::Done { reference, fulfillment_id: None },
            Err(err) if err.is_transient() => Written::Later(format!("Waiting to send it again: {err}.")),
            Err(BcError::MissingScope) => Written::Refused(
                "The API account may not write orders: it needs Orders: modify. Create an API account with it in \
                 Settings › Store-level API accounts, reconnect the store with its values, then retry."
                    .into(),
            ),
            Err(BcError::NotFound) => Written::Refused("BigCommerce no longer has this order.".into()),
            Err(BcError::Unauthorized) => Written::Refused(
                "BigCommerce refused the access token: reconnect the store, then retry this shipment.".into(),
            ),
            Err(BcError::Refused { message, .. }) => Written::Refused(refusal(&message)),
            Err(err) => Written::Refused(format!("BigCommerce could not take it: {err}.")),
        }
    }

    /// BigCommerce's shipments of the order that carry this shipment's marker, by address.
    async fn written_before(
        &self,
        hash: &StoreHash,
        token: &Secret,
        order: i64,
        marker: &str,
    ) -> Result<BTreeMap<i64, i64>, BcError> {
        let path = format!("/v2/orders/{order}/shipments");
        let answer = self.client.get(hash, token, &path, &[("limit", "250")]).await?;
        let shipments: Vec<Value> = if answer.is_empty() { Vec::new() } else { answer.json()? };
        Ok(shipments
            .iter()
            .filter(|s| s["comments"].as_str().is_some_and(|c| c.contains(marker)))
            .filter_map(|s| Some((s["order_address_id"].as_i64()?, s["id"].as_i64()?)))
            .collect())
    }

    /// One shipment per address, each written unless an earlier attempt wrote it: what
    /// BigCommerce knows them by (their ids, comma-separated).
    async fn write_once(
        &self,
        hash: &StoreHash,
        token: &Secret,
        shipment: &ShipmentWrite<'_>,
    ) -> Result<String, BcError> {
        let order = shipment.order_id;
        let marker = marker(shipment.shipment_id);
        let (shipping_provider, tracking_carrier) = provider(shipment.carrier);
        let mut comments = format!("Shipped with {}, tracking number {}", shipment.carrier, shipment.number);
        if let Some(url) = shipment.url {
            comments.push_str(&format!(" ({url})"));
        }
        comments.push_str(&format!(". ({marker})"));
        let mut tracking = json!({
            "tracking_number": shipment.number,
            "shipping_provider": shipping_provider,
            "tracking_carrier": tracking_carrier,
            "comments": comments,
        });
        if let Some(url) = shipment.url {
            tracking["tracking_link"] = url.into();
        }
        if let Some(reference) = shipment.changing {
            // New tracking for shipments written before: each is corrected where it is.
            for id in reference.split(',').filter(|id| !id.trim().is_empty()) {
                let path = format!("/v2/orders/{order}/shipments/{}", id.trim());
                self.client.put(hash, token, &path, &tracking).await?;
            }
            return Ok(reference.to_owned());
        }
        let mut by_address: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
        for line in shipment.lines {
            by_address
                .entry(line.unit_id)
                .or_default()
                .push(json!({"order_product_id": line.line_item_id, "quantity": line.quantity}));
        }
        let mut written = match shipment.look_first {
            true => self.written_before(hash, token, order, &marker).await?,
            false => BTreeMap::new(),
        };
        for (address, items) in &by_address {
            if written.contains_key(address) {
                continue;
            }
            let mut body = tracking.clone();
            body["order_address_id"] = json!(address);
            body["items"] = json!(items);
            let path = format!("/v2/orders/{order}/shipments");
            match self.client.post(hash, token, &path, &body).await {
                Ok(answer) => {
                    let created: Value = answer.json()?;
                    written.insert(*address, created["id"].as_i64().unwrap_or_default());
                }
                // No answer: it may have been made. Look before anything is sent again.
                Err(err @ (BcError::Timeout | BcError::Network(_) | BcError::Unavailable(_))) => {
                    let found = self.written_before(hash, token, order, &marker).await?;
                    match found.get(address) {
                        Some(id) => {
                            written.insert(*address, *id);
                        }
                        None => return Err(err),
                    }
                }
                Err(err) => return Err(err),
            }
        }
        let ids: Vec<String> =
            by_address.keys().filter_map(|address| written.get(address)).map(ToString::to_string).collect();
        Ok(ids.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriers_map_to_providers_and_refusals_read_as_words() {
        assert_eq!(provider("UPS"), ("ups", ""));
        assert_eq!(provider(" FedEx "), ("fedex", ""));
        assert_eq!(provider("DHL"), ("", "dhl"));
        assert_eq!(provider("Colissimo"), ("", ""));
        assert!(refusal("The field 'quantity' is invalid.").contains("more of an item than remains"));
        assert!(refusal("The field 'order_address_id' is invalid.").contains("not on the order"));
        assert!(refusal("Something else").contains("BigCommerce said: Something else"));
    }
}
