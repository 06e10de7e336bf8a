//! The outbox's sender: claims each due shipment (one server at a time, each store's in the
//! order they were recorded) and writes it to Shopify, paced by the store's budget like every
//! other call. `fulfillmentCreate` takes no idempotency key, so before sending again a shipment
//! whose earlier send may have reached Shopify (its answer lost to a timeout, a dropped
//! connection, a server that died), the sender reads the fulfillment order's fulfillments and
//! takes one with the same tracking number and lines as this shipment, sent.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use tokio::{sync::Notify, task::JoinSet};

use super::{
    repo::{self, Claim, Outcome},
    ShipmentLine, ShipmentState,
};
use crate::{
    db::Pool,
    error::AppError,
    progress::Hub,
    records,
    shopify::{
        self,
        client::{ShopifyClient, ShopifyError},
        fulfillment::{FulfillmentOrderLines, Tracking, Written},
        pacing::backoff,
    },
    stores::tokens::{TokenError, Tokens},
};

/// How many shipments (of different stores) are on their way at once.
const AT_ONCE: usize = 8;
/// How often the sender looks for shipments due (those other servers recorded, retries due).
const POLL: Duration = Duration::from_secs(1);

pub struct Sender {
    pool: Pool,
    shopify: ShopifyClient,
    tokens: Arc<Tokens>,
    hub: Hub,
    owner: String,
    /// Outlasts any one send: a send is bounded by the Shopify timeout.
    lease_ms: i64,
    wake: Arc<Notify>,
}

/// Wakes the sender when a shipment was recorded or retried on this server.
#[derive(Clone)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

impl Sender {
    pub fn new(
        pool: Pool,
        shopify: ShopifyClient,
        tokens: Arc<Tokens>,
        hub: Hub,
        shopify_timeout: Duration,
    ) -> Arc<Sender> {
        let lease = (shopify_timeout * 3).max(Duration::from_secs(30));
        Arc::new(Sender {
            pool,
            shopify,
            tokens,
            hub,
            owner: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
            lease_ms: lease.as_millis() as i64,
            wake: Arc::new(Notify::new()),
        })
    }

    pub fn waker(&self) -> Wake {
        Wake(self.wake.clone())
    }

    /// Sends shipments as they come due, until the process ends.
    pub fn spawn(self: &Arc<Self>) {
        let sender = self.clone();
        tokio::spawn(async move {
            let mut sending = JoinSet::new();
            loop {
                while sending.len() < AT_ONCE {
                    match repo::claim_next(&sender.pool, &sender.owner, sender.lease_ms).await {
                        Ok(Some(claim)) => {
                            let sender = sender.clone();
                            sending.spawn(async move { sender.send(claim).await });
                        }
                        Ok(None) => break,
                        Err(err) => {
                            tracing::error!(error = %err, "could not claim a shipment to send");
                            break;
                        }
                    }
                }
                tokio::select! {
                    _ = sender.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    Some(_) = sending.join_next(), if !sending.is_empty() => {}
                }
            }
        });
    }

    /// Ends this server's claims (it is stopping), so another server sends them at once.
    pub async fn release(&self) {
        if let Err(err) = repo::release(&self.pool, &self.owner).await {
            tracing::warn!(error = %err, "could not release this server's shipments");
        }
    }

    async fn send(&self, claim: Claim) {
        let shipment = &claim.shipment;
        let attempt = self.attempt(&claim).await;
        let outcome = match &attempt {
            Attempt::Sent(fulfillment_id) => Outcome::Sent {
                fulfillment_id: *fulfillment_id,
                number: &shipment.tracking_number,
                url: shipment.tracking_url.as_deref(),
            },
            Attempt::Failed(reason) => Outcome::Failed { reason },
            Attempt::Later(reason, delay) => Outcome::Later { reason, delay_ms: delay.as_millis() as i64 },
        };
        let written = async {
            let mut tx = self.pool.begin().await?;
            let done = repo::finish(&mut tx, &claim, outcome).await?;
            // A new fulfillment takes its items off what remains; a tracking change takes nothing.
            if done && matches!(attempt, Attempt::Sent(_)) && shipment.state == ShipmentState::Pending {
                let lines: Vec<(i64, i64)> =
                    shipment.lines.iter().map(|l| (l.fulfillment_order_line_id, l.quantity)).collect();
                records::repo::shipped(&mut tx, shipment.store_id, &lines).await?;
            }
            tx.commit().await?;
            Ok::<bool, AppError>(done)
        }
        .await;
        match written {
            Ok(true) => {
                match &attempt {
                    Attempt::Sent(id) => {
                        crate::metrics::SHIPMENTS_SENT.inc();
                        tracing::info!(shipment = %shipment.id, fulfillment = id, "shipment sent to Shopify")
                    }
                    Attempt::Failed(reason) => {
                        crate::metrics::SHIPMENTS_FAILED.inc();
                        tracing::warn!(shipment = %shipment.id, %reason, "Shopify refused a shipment")
                    }
                    Attempt::Later(reason, _) => {
                        crate::metrics::SHIPMENTS_RETRIED.inc();
                        tracing::info!(shipment = %shipment.id, %reason, "shipment will be sent again")
                    }
                }
                self.hub.store_changed(shipment.store_id);
            }
            Ok(false) => {
                tracing::warn!(shipment = %shipment.id, "another server took over this shipment; its outcome here is dropped")
            }
            Err(err) => tracing::error!(shipment = %shipment.id, error = %err, "could not record a shipment's outcome"),
        }
    }

    async fn attempt(&self, claim: &Claim) -> Attempt {
        let shipment = &claim.shipment;
        let tracking = Tracking {
            company: &shipment.carrier,
            number: &shipment.tracking_number,
            url: shipment.tracking_url.as_deref(),
        };
        let changing = shipment.state == ShipmentState::Sent;
        let fulfillment_orders = by_fulfillment_order(&shipment.lines);
        let result = self
            .tokens
            .call(shipment.store_id, |access| {
                let (tracking, fulfillment_orders) = (&tracking, &fulfillment_orders);
                async move {
                    if changing {
                        let id = shipment.fulfillment_id.unwrap_or_default();
                        return self.shopify.update_tracking(&access.domain, &access.token, id, tracking, shipment.notify_customer).await;
                    }
                    if claim.attempts > 1 {
                        // An earlier send may have been applied: look before sending again.
                        let ids: Vec<i64> = fulfillment_orders.iter().map(|fo| fo.fulfillment_order_id).collect();
                        let found = self.shopify.fulfillments(&access.domain, &access.token, &ids).await?;
                        let ours = by_line_item(&shipment.lines);
                        let same = found.iter().find(|f| {
                            f.numbers.contains(&shipment.tracking_number) && by_pairs(&f.lines) == ours
                        });
                        if let Some(sent) = same {
                            tracing::info!(shipment = %shipment.id, fulfillment = sent.id, "an earlier send had reached Shopify");
                            return Ok(Written::Done(sent.id));
                        }
                    }
                    // The claim must outlast the send, so no other server sends it meanwhile.
                    match repo::renew(&self.pool, claim, self.lease_ms).await {
                        Ok(true) => {}
                        _ => return Err(ShopifyError::Network("the claim on this shipment was lost".into())),
                    }
                    self.shopify
                        .create_fulfillment(&access.domain, &access.token, fulfillment_orders, tracking, shipment.notify_customer)
                        .await
                }
            })
            .await;
        match result {
            Ok(Written::Done(id)) => Attempt::Sent(id),
            Ok(Written::Refused(messages)) => Attempt::Failed(refusal(&messages, changing)),
            Err(TokenError::NoCredentials) => {
                Attempt::Failed("The store is disconnected: reconnect it, then retry this shipment.".into())
            }
            Err(TokenError::Internal(err)) => Attempt::Later(format!("storelink could not send it yet ({err})"), backoff(claim.attempts as u32)),
            Err(TokenError::Shopify(err)) if err.is_transient() => {
                Attempt::Later(format!("Waiting to send it again: {err}."), backoff(claim.attempts as u32))
            }
            Err(TokenError::Shopify(ShopifyError::Forbidden { scope })) => Attempt::Failed(missing_permission(&scope)),
            Err(TokenError::Shopify(ShopifyError::Unauthorized)) => Attempt::Failed(
                "Shopify rejected the store's credentials. Enter new credentials for the store, then retry this shipment."
                    .into(),
            ),
            Err(TokenError::Shopify(err)) => Attempt::Failed(format!("Shopify could not take it: {err}.")),
        }
    }
}

/// What one attempt came to.
enum Attempt {
    Sent(i64),
    Failed(String),
    Later(String, Duration),
}

/// The shipment's lines grouped by fulfillment order, as `fulfillmentCreate` takes them.
fn by_fulfillment_order(lines: &[ShipmentLine]) -> Vec<FulfillmentOrderLines> {
    let mut grouped: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for line in lines {
        grouped.entry(line.fulfillment_order_id).or_default().push((line.fulfillment_order_line_id, line.quantity));
    }
    grouped
        .into_iter()
        .map(|(fulfillment_order_id, lines)| FulfillmentOrderLines { fulfillment_order_id, lines })
        .collect()
}

/// How many of each line item the shipment holds.
fn by_line_item(lines: &[ShipmentLine]) -> BTreeMap<i64, i64> {
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
        return missing_permission(shopify::WRITE_BACK_SCOPE);
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
    let admin_name = shopify::PERMISSIONS.iter().find(|p| p.scope == scope).map_or(scope, |p| p.admin_name);
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
        let line = |fo, id, item, quantity| ShipmentLine {
            fulfillment_order_id: fo,
            fulfillment_order_line_id: id,
            line_item_id: item,
            quantity,
        };
        let lines = [line(1, 11, 100, 2), line(2, 21, 200, 1), line(1, 12, 100, 1)];
        let grouped = by_fulfillment_order(&lines);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].lines, [(11, 2), (12, 1)]);
        assert_eq!(by_line_item(&lines), BTreeMap::from([(100, 3), (200, 1)]));
    }
}
