//! The outbox's sender: claims each due shipment (one server at a time, each store's in the
//! order they were recorded) and has the store's platform write it back
//! (`platforms::Platforms::write`). No platform takes an idempotency key, so a shipment whose
//! earlier attempt may have reached the platform (its answer lost to a timeout, a dropped
//! connection, a server that died) is written with `look_first`: the platform looks for the
//! earlier write before writing again.

use std::{sync::Arc, time::Duration};

use tokio::{sync::Notify, task::JoinSet};

use super::{
    repo::{self, Claim, Outcome},
    ShipmentState,
};
use crate::{
    db::Pool,
    error::AppError,
    platforms::{Platforms, ShipmentWrite, WriteLine, Written},
    progress::Hub,
    records, stores,
};

/// How many shipments (of different stores) are on their way at once.
const AT_ONCE: usize = 8;
/// How often the sender looks for shipments due (those other servers recorded, retries due).
const POLL: Duration = Duration::from_secs(1);

pub struct Sender {
    pool: Pool,
    platforms: Arc<Platforms>,
    hub: Hub,
    owner: String,
    /// Outlasts any one send: a send is bounded by the platforms' timeout.
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
    pub fn new(pool: Pool, platforms: Arc<Platforms>, hub: Hub, timeout: Duration) -> Arc<Sender> {
        let lease = (timeout * 3).max(Duration::from_secs(30));
        Arc::new(Sender {
            pool,
            platforms,
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
        let store = stores::repo::load(&self.pool, shipment.store_id).await;
        // Its store's pages are told of the outcome; the announcement names the organization.
        let org = store.as_ref().ok().and_then(Option::as_ref).map(|store| store.org);
        let (attempt, seen) = self.attempt(&claim, store).await;
        let outcome = match &attempt {
            Attempt::Sent { reference, fulfillment_id } => Outcome::Sent {
                reference,
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
            // Only off lines still as they were before the write: a webhook may have brought the
            // platform's own count (with this shipment in it) meanwhile, and must not lose it twice.
            if done && matches!(attempt, Attempt::Sent { .. }) && shipment.state == ShipmentState::Pending {
                let lines: Vec<records::repo::ShippedLine> = shipment
                    .lines
                    .iter()
                    .filter_map(|l| {
                        let (_, seen) = seen.iter().find(|(id, _)| *id == l.fulfillment_order_line_id)?;
                        Some(records::repo::ShippedLine {
                            id: l.fulfillment_order_line_id,
                            quantity: l.quantity,
                            seen: *seen,
                        })
                    })
                    .collect();
                records::repo::shipped(&mut tx, shipment.store_id, &lines).await?;
            }
            tx.commit().await?;
            Ok::<bool, AppError>(done)
        }
        .await;
        match written {
            Ok(true) => {
                match &attempt {
                    Attempt::Sent { reference, .. } => {
                        crate::metrics::SHIPMENTS_SENT.inc();
                        tracing::info!(shipment = %shipment.id, reference, "shipment written back to its store")
                    }
                    Attempt::Failed(reason) => {
                        crate::metrics::SHIPMENTS_FAILED.inc();
                        tracing::warn!(shipment = %shipment.id, %reason, "the store's platform refused a shipment")
                    }
                    Attempt::Later(reason, _) => {
                        crate::metrics::SHIPMENTS_RETRIED.inc();
                        tracing::info!(shipment = %shipment.id, %reason, "shipment will be sent again")
                    }
                }
                if let Some(org) = org {
                    self.hub.store_changed(org, shipment.store_id);
                }
            }
            Ok(false) => {
                tracing::warn!(shipment = %shipment.id, "another server took over this shipment; its outcome here is dropped")
            }
            Err(err) => tracing::error!(shipment = %shipment.id, error = %err, "could not record a shipment's outcome"),
        }
    }

    /// The attempt at sending to `store` (as read for it), and what remained of the order's lines
    /// just before it (line id, remaining).
    async fn attempt(
        &self,
        claim: &Claim,
        store: Result<Option<stores::StoreDto>, AppError>,
    ) -> (Attempt, Vec<(i64, i64)>) {
        let shipment = &claim.shipment;
        let later = |err: AppError| {
            (Attempt::Later(format!("storelink could not send it yet ({err})"), backoff(claim.attempts)), Vec::new())
        };
        let store = match store {
            Ok(Some(store)) => store,
            Ok(None) => return (Attempt::Failed("The store was removed.".into()), Vec::new()),
            Err(err) => return later(err),
        };
        let order_lines = match self.order_lines(shipment).await {
            Ok(lines) => lines,
            Err(err) => return later(err),
        };
        let seen: Vec<(i64, i64)> = order_lines.iter().map(|l| (l.id, l.remaining_quantity)).collect();
        let changing = shipment.state == ShipmentState::Sent;
        let lines: Vec<WriteLine> = shipment
            .lines
            .iter()
            .map(|l| WriteLine {
                unit_id: l.fulfillment_order_id,
                unit_line_id: l.fulfillment_order_line_id,
                line_item_id: l.line_item_id,
                quantity: l.quantity,
            })
            .collect();
        // The claim must outlast the write, so no other server writes it meanwhile.
        if !matches!(repo::renew(&self.pool, claim, self.lease_ms).await, Ok(true)) {
            return (Attempt::Later("the claim on this shipment was lost".into(), backoff(claim.attempts)), seen);
        }
        let write = ShipmentWrite {
            store_id: shipment.store_id,
            shipment_id: shipment.id.0,
            order_id: shipment.order_id,
            lines: &lines,
            carrier: &shipment.carrier,
            number: &shipment.tracking_number,
            url: shipment.tracking_url.as_deref(),
            notify_customer: shipment.notify_customer,
            look_first: claim.attempts > 1,
            completes_order: completes_order(shipment, &order_lines),
            changing: changing.then_some(shipment.reference.as_deref()).flatten(),
        };
        let attempt = match self.platforms.write(store.platform, &write).await {
            Written::Done { reference, fulfillment_id } => Attempt::Sent { reference, fulfillment_id },
            Written::Refused(reason) => Attempt::Failed(reason),
            Written::Later(reason) => Attempt::Later(reason, backoff(claim.attempts)),
        };
        (attempt, seen)
    }

    async fn order_lines(&self, shipment: &super::Shipment) -> Result<Vec<records::repo::FulfillmentLine>, AppError> {
        let mut conn = self.pool.acquire().await?;
        records::repo::fulfillment_lines(&mut conn, shipment.store_id, shipment.order_id).await
    }
}

/// Whether nothing of the order is left to ship once this shipment is: what remains of its
/// units' lines, less what this shipment takes.
fn completes_order(shipment: &super::Shipment, lines: &[records::repo::FulfillmentLine]) -> bool {
    lines.iter().all(|line| {
        let taken: i64 =
            shipment.lines.iter().filter(|l| l.fulfillment_order_line_id == line.id).map(|l| l.quantity).sum();
        line.remaining_quantity <= taken
    })
}

/// How long to wait before the next attempt, after `attempts` so far.
fn backoff(attempts: i64) -> Duration {
    crate::platforms::net::backoff(attempts.clamp(0, 32) as u32)
}

/// What one attempt came to.
enum Attempt {
    Sent { reference: String, fulfillment_id: Option<i64> },
    Failed(String),
    Later(String, Duration),
}
