//! Writing a shipment back to a WooCommerce order, exactly once. WooCommerce has no shipments
//! and no idempotency keys: with the Shipment Tracking extension the tracking number becomes a
//! tracking item, and always a private order note names storelink's shipment, so an attempt that
//! may have reached the site looks for that note before writing again. Once nothing is left to
//! ship the order is marked Completed, after its tracking is stored (so WooCommerce's Completed
//! email carries it).

use serde::Deserialize;
use serde_json::json;

use super::{
    client::{Keys, WooError},
    SiteUrl, WooCommerce,
};
use crate::platforms::{ShipmentWrite, Written};

#[derive(Deserialize)]
struct Note {
    id: i64,
    note: String,
}

#[derive(Deserialize)]
struct Tracking {
    tracking_id: String,
    #[serde(default)]
    tracking_number: String,
}

/// The words in a note that say which shipment of storelink's it is.
fn marker(shipment_id: i64) -> String {
    format!("storelink shipment #{shipment_id}")
}

impl WooCommerce {
    pub(in crate::platforms) async fn write(&self, shipment: &ShipmentWrite<'_>) -> Written {
        let (site, keys) = match self.connection(shipment.store_id).await {
            Ok(Some(connection)) => connection,
            Ok(None) => {
                return Written::Refused("The store is disconnected: reconnect it, then retry this shipment.".into())
            }
            Err(err) => return Written::Later(format!("storelink could not send it yet ({err})")),
        };
        match self.write_once(&site, &keys, shipment).await {
            Ok(reference) => Written::Done { reference, fulfillment_id: None },
            Err(err) if err.is_transient() => Written::Later(format!("Waiting to send it again: {err}.")),
            Err(WooError::ReadOnlyKey) => Written::Refused(
                "The API key may only read. In WooCommerce → Settings → Advanced → REST API, set its Permissions to Read/Write, then retry."
                    .into(),
            ),
            Err(WooError::NotFound) => Written::Refused("WooCommerce no longer has this order.".into()),
            Err(WooError::UnknownKey | WooError::WrongSecret) => {
                Written::Refused("WooCommerce refused the API key: reconnect the store, then retry this shipment.".into())
            }
            Err(err) => Written::Refused(format!("WooCommerce could not take it: {err}.")),
        }
    }

    /// The tracking item (with the extension) and the note, each written unless an earlier
    /// attempt wrote it, and the order completed when nothing is left to ship: what the site
    /// knows the shipment by.
    async fn write_once(&self, site: &SiteUrl, keys: &Keys, shipment: &ShipmentWrite<'_>) -> Result<String, WooError> {
        let order = shipment.order_id;
        let tracking = self.client.index(site).await?.has_shipment_tracking();
        let marker = marker(shipment.shipment_id);
        let trackings_route = format!("/wc-shipment-tracking/v3/orders/{order}/shipment-trackings");
        let notes_route = format!("/wc/v3/orders/{order}/notes");
        let (mut tracked, mut noted) = (None, None);
        if shipment.look_first {
            if tracking {
                let items: Vec<Tracking> = self.client.get(site, keys, &trackings_route, &[]).await?.json()?;
                tracked = items.into_iter().find(|t| t.tracking_number == shipment.number).map(|t| t.tracking_id);
            }
            // Every note: without the extension, the shipment's note may be the customer's.
            let notes: Vec<Note> = self.client.get(site, keys, &notes_route, &[("type", "any")]).await?.json()?;
            noted = notes.into_iter().find(|n| n.note.contains(&format!("({marker})"))).map(|n| n.id);
        }
        if tracking && tracked.is_none() {
            if let Some(old) = shipment.changing.filter(|r| !r.starts_with("note:")) {
                match self.client.delete(site, keys, &format!("{trackings_route}/{old}"), &[]).await {
                    Ok(_) | Err(WooError::NotFound) => {}
                    Err(err) => return Err(err),
                }
            }
            // A provider the extension knows links the tracking itself; any other is custom.
            let mut item = match self.known_provider(site, shipment.carrier).await {
                Some(provider) => json!({"tracking_number": shipment.number, "tracking_provider": provider}),
                None => json!({"tracking_number": shipment.number, "custom_tracking_provider": shipment.carrier}),
            };
            if let Some(url) = shipment.url {
                item["custom_tracking_link"] = url.into();
            }
            let created: Tracking = self.client.post(site, keys, &trackings_route, &item).await?.json()?;
            tracked = Some(created.tracking_id);
        }
        if noted.is_none() {
            let mut text = match shipment.changing {
                Some(_) => format!(
                    "Tracking corrected: shipped with {}, tracking number {}",
                    shipment.carrier, shipment.number
                ),
                None => format!("Shipped with {}, tracking number {}", shipment.carrier, shipment.number),
            };
            if let Some(url) = shipment.url {
                text.push_str(&format!(" ({url})"));
            }
            text.push_str(&format!(". ({marker})"));
            // With tracking items the customer hears of them in WooCommerce's own emails;
            // without, the note is what tells them, when the desk asked for that.
            let note = json!({"note": text, "customer_note": shipment.notify_customer && !tracking});
            let written: Note = self.client.post(site, keys, &notes_route, &note).await?.json()?;
            noted = Some(written.id);
        }
        if shipment.completes_order {
            let route = format!("/wc/v3/orders/{order}");
            self.client.put(site, keys, &route, &json!({"status": "completed"})).await?;
        }
        Ok(tracked.unwrap_or_else(|| format!("note:{}", noted.unwrap_or_default())))
    }

    /// The extension's own name for `carrier`, when it lists it (its providers list is public).
    async fn known_provider(&self, site: &SiteUrl, carrier: &str) -> Option<String> {
        let answer =
            self.client.public_get(site, "/wc-shipment-tracking/v3/shipment-trackings/providers").await.ok()?;
        let regions: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> =
            answer.json().ok()?;
        let wanted = carrier.trim().to_lowercase();
        regions.into_values().flat_map(|providers| providers.into_keys()).find(|name| name.to_lowercase() == wanted)
    }
}
