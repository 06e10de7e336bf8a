//! Writing a shipment back to Shopify: a fulfillment of the fulfillment orders' lines with its
//! tracking, or new tracking on a fulfillment sent before. `fulfillmentCreate` takes no
//! idempotency key, so before sending again a shipment whose earlier send may have reached
//! Shopify (its answer lost to a timeout, a dropped connection, a server that died), the
//! fulfillment orders' fulfillments are read and one with the same tracking number and lines as
//! this shipment is taken, sent.

use std::collections::BTreeMap;

use super::{
    client::ShopifyError,
    fulfillment::{FulfillmentOrderLines, Tracking, Written as Mutated},
    tokens::TokenError,
    Shopify, PERMISSIONS, WRITE_BACK_SCOPE,
};
use crate::platforms::{ShipmentWrite, WriteLine, Written};

impl Shopify {
    pub(in crate::platforms) async fn write(&self, shipment: &ShipmentWrite<'_>) -> Written {
        let tracking = Tracking { company: shipment.carrier, number: shipment.number, url: shipment.url };
        let changing = shipment.changing.and_then(|reference| reference.parse::<i64>().ok());
        let fulfillment_orders = by_fulfillment_order(shipment.lines);
        let client = &self.client;
        let result = self
            .tokens
            .call(shipment.store_id, |access| {
                let (tracking, fulfillment_orders) = (&tracking, &fulfillment_orders);
                async move {
                    if let Some(id) = changing {
                        return client
                            .update_tracking(&access.domain, &access.token, id, tracking, shipment.notify_customer)
                            .await;
                    }
                    if shipment.look_first {
                        // An earlier send may have been applied: look before sending again.
                        let ids: Vec<i64> = fulfillment_orders.iter().map(|fo| fo.fulfillment_order_id).collect();
                        let found = client.fulfillments(&access.domain, &access.token, &ids).await?;
                        let ours = by_line_item(shipment.lines);
                        let same = found
                            .iter()
                            .find(|f| f.numbers.iter().any(|n| n == shipment.number) && by_pairs(&f.lines) == ours);
                        if let Some(sent) = same {
                            tracing::info!(
                                shipment = shipment.shipment_id,
                                fulfillment = sent.id,
                                "an earlier send had reached Shopify"
                            );
                            return Ok(Mutated::Done(sent.id));
                        }
                    }
                    client
                        .create_fulfillment(
                            &access.domain,
                            &access.token,
                            fulfillment_orders,
                            tracking,
                            shipment.notify_customer,
                        )
                        .await
                }
            })
            .await;
        match result {
            Ok(Mutated::Done(id)) => Written::Done { reference: id.to_string(), fulfillment_id: Some(id) },
            Ok(Mutated::Refused(messages)) => Written::Refused(refusal(&messages, changing.is_some())),
            Err(TokenError::NoCredentials) => {
                Written::Refused("The store is disconnected: reconnect it, then retry this shipment.".into())
            }
            Err(TokenError::Internal(err)) => Written::Later(format!("storelink could not send it yet ({err})")),
            Err(TokenError::Shopify(err)) if err.is_transient() => Written::Later(format!("Waiting to send it again: {err}.")),
            Err(TokenError::Shopify(ShopifyError::Forbidden { scope })) => Written::Refused(missing_permission(&scope)),
            Err(TokenError::Shopify(ShopifyError::Unauthorized)) => Written::Refused(
                "Shopify rejected the store's credentials. Enter new credentials for the store, then retry this shipment."
                    .into(),
            ),
            Err(TokenError::Shopify(err)) => Written::Refused(format!("Shopify could not take it: {err}.")),
        }
    }
}

/// The shipment's lines grouped by fulfillment order, as `fulfillmentCreate` takes them.
fn by_fulfillment_order(lines: &[WriteLine]) -> Vec<FulfillmentOrderLines> {
    let mut grouped: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for line in lines {
        grouped.entry(line.unit_id).or_default().push((line.unit_line_id, line.quantity));
    }
    grouped
        .into_iter()
        .map(|(fulfillment_order_id, lines)| FulfillmentOrderLines { fulfillment_order_id, lines })
        .collect()
}

/// How many of each line item the shipment holds.
fn by_line_item(lines: &[WriteLine]) -> BTreeMap<i64, i64> {
    by_pairs(&lines.iter().map(|l| (l.line_item_id, l.quantity)).collect::<Vec<_>>())
}

fn by_pairs(pairs: &[(i64, i64)]) -> BTreeMap<i64, i64> {
    let mut counted = BTreeMap::new();
    for (item, quantity) in pairs {
        *counted.entry(*item).or_default() += quantity;
    }
    counted
}

/// Shopify's `userErrors`, in words the desk can act on. Shopify documents only the first
/// message below; the others are matched by their key words.
fn refusal(messages: &[String], changing: bool) -> String {
    let message = messages.join(" ");
    let lower = message.to_lowercase();
    let what = if changing { "the new tracking" } else { "this shipment" };
    if lower.contains("does not have access to the fulfillment order") {
        return missing_permission(WRITE_BACK_SCOPE);
    }
    if let Some(status) = lower.split("unfulfillable status=").nth(1) {
        let status = status.trim().trim_end_matches('.');
        return match status {
            "closed" => "Shopify refused it: these items were already shipped or cancelled in Shopify.".into(),
            "on_hold" => {
                "Shopify refused it: the order is on hold in Shopify. Release the hold there, then retry.".into()
            }
            "scheduled" => "Shopify refused it: the order is scheduled and cannot ship before its date.".into(),
            other => format!("Shopify refused it: the order's fulfillment is {}.", other.replace('_', " ")),
        };
    }
    if lower.contains("quantity") {
        return "Shopify refused it: fewer of these items remain to ship than it names (some were shipped elsewhere)."
            .into();
    }
    if lower.contains("does not exist") {
        return format!("Shopify refused {what}: the order's fulfillment changed in Shopify ({message})");
    }
    format!("Shopify refused {what}: {message}")
}

/// What to grant, in the Shopify admin's words.
fn missing_permission(scope: &str) -> String {
    let admin_name = PERMISSIONS.iter().find(|p| p.scope == scope).map_or(scope, |p| p.admin_name);
    format!(
        "storelink may not fulfil this store's orders: in the Shopify admin, give the app the “{admin_name}” permission ({scope}), then retry."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_to_do() {
        let scope = refusal(&["The api_client does not have access to the fulfillment order.".into()], false);
        assert!(scope.contains("“Merchant-managed fulfillment orders (write)”"), "{scope}");
        assert!(
            refusal(&["Fulfillment order 5 has an unfulfillable status= on_hold.".into()], false).contains("on hold")
        );
        assert!(refusal(&["Fulfillment order 5 has an unfulfillable status= closed.".into()], false)
            .contains("already shipped"));
        assert!(refusal(&["Invalid fulfillment order line item quantity requested.".into()], false).contains("fewer"));
        assert_eq!(refusal(&["Something new.".into()], true), "Shopify refused the new tracking: Something new.");
    }

    #[test]
    fn lines_are_grouped_as_shopify_takes_them_and_compared_by_item() {
        let line =
            |unit_id, unit_line_id, line_item_id, quantity| WriteLine { unit_id, unit_line_id, line_item_id, quantity };
        let lines = [line(1, 11, 100, 2), line(2, 21, 200, 1), line(1, 12, 100, 1)];
        let grouped = by_fulfillment_order(&lines);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].lines, [(11, 2), (12, 1)]);
        assert_eq!(by_line_item(&lines), BTreeMap::from([(100, 3), (200, 1)]));
    }
}
