//! The endpoint Shopify delivers to. A delivery is verified against its store's Shared Secret
//! before any of it is parsed, recorded, answered at once, and applied afterwards.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{
    apply::{self, Action},
    repo, Refresher,
};
use crate::{db::Pool, error::AppError, ids::StoreId, metrics, progress::Hub, secrets::Sealer, stores};

/// Shopify's largest payloads (orders with hundreds of lines) stay well under this.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// Shopify retries a delivery for 48 hours; one triggered longer ago than that is not Shopify
/// retrying but someone replaying an old body (signed, so genuine) under a new event id.
const REPLAY_AFTER_SECS: i64 = 48 * 3600;

/// What the endpoint needs: the database, the key that opens the stores' secrets, the hub that
/// tells open pages a store's data changed, and the refresher that fetches changed records.
#[derive(Clone)]
pub struct Receiver {
    pub pool: Pool,
    pub sealer: Sealer,
    pub hub: Hub,
    pub refresher: Refresher,
}

/// Whether `signature` is the base64 HMAC-SHA256 of `body` keyed with `secret`, compared in
/// constant time.
fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// `POST /webhooks/shopify`: 200 once a verified delivery is recorded (or recognised as a
/// repeat), 401 for anything unsigned, forged or for a shop storelink does not hold.
pub async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let (Some(topic), Some(signature), Some(domain)) =
        (header("x-shopify-topic"), header("x-shopify-hmac-sha256"), header("x-shopify-shop-domain"))
    else {
        metrics::WEBHOOKS_REJECTED.inc();
        return StatusCode::UNAUTHORIZED;
    };
    let Some(event_id) = header("x-shopify-event-id").or_else(|| header("x-shopify-webhook-id")) else {
        metrics::WEBHOOKS_REJECTED.inc();
        return StatusCode::UNAUTHORIZED;
    };
    let triggered_at = header("x-shopify-triggered-at").and_then(|at| {
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp())
    });
    let delivery = Delivery { domain, topic, signature, event_id, triggered_at };
    match accept(&receiver, delivery, &body).await {
        Ok(Some(store_id)) => {
            let (topic, event_id) = (topic.to_owned(), event_id.to_owned());
            tokio::spawn(async move {
                let applied = match apply::apply(&receiver.pool, store_id, &topic, &body).await {
                    Ok(Action::Refresh(gid)) => {
                        receiver.refresher.notice(store_id, gid, event_id);
                        return;
                    }
                    Ok(Action::BulkFinished) => {
                        receiver.hub.bulk_finished(store_id);
                        Ok(())
                    }
                    Ok(Action::AppGone { erase }) => match receiver.refresher.uninstall_confirmed(store_id).await {
                        true => {
                            let gone = apply::apply_gone(&receiver.pool, store_id, erase).await;
                            receiver.hub.store_changed(store_id);
                            gone
                        }
                        false => Ok(()),
                    },
                    Ok(Action::Redact { customer, orders }) => {
                        redact_once_shopify_confirms(&receiver, store_id, customer, &orders).await
                    }
                    Ok(Action::Applied) => Ok(()),
                    Err(err) => Err(err),
                };
                match applied {
                    Ok(()) => {
                        if let Err(err) = repo::mark_applied(&receiver.pool, store_id, &event_id).await {
                            tracing::warn!(%store_id, topic, error = %err, "could not note a delivery as applied");
                        }
                    }
                    Err(err) => tracing::warn!(%store_id, topic, error = %err, "could not apply a webhook delivery"),
                }
                receiver.hub.changed(store_id);
            });
            StatusCode::OK
        }
        Ok(None) => StatusCode::OK,
        Err(AppError::Unauthorized) => {
            metrics::WEBHOOKS_REJECTED.inc();
            StatusCode::UNAUTHORIZED
        }
        Err(err) => {
            tracing::error!(error = %err, "could not record a webhook delivery");
            // Shopify retries what was not answered with a 2xx.
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// A `customers/redact` is applied only once Shopify no longer has the customer: a captured
/// genuine body replayed later (Shopify signs the body, not the time or the topic) then finds the
/// customer gone anyway, and one about a customer Shopify still has erases nothing. When Shopify
/// cannot be asked, it is asked again for a few minutes; after that, the request is left for
/// Shopify's next one.
async fn redact_once_shopify_confirms(
    receiver: &Receiver,
    store_id: StoreId,
    customer: i64,
    orders: &[i64],
) -> Result<(), AppError> {
    for wait in [0, 2, 10, 60, 240] {
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        match receiver.refresher.customer_gone(store_id, customer).await {
            Some(true) => {
                apply::redact(&receiver.pool, store_id, customer, orders).await?;
                receiver.hub.store_changed(store_id);
                return Ok(());
            }
            Some(false) => {
                tracing::warn!(%store_id, customer, "ignored a customers/redact: Shopify still has the customer");
                return Ok(());
            }
            None => continue,
        }
    }
    Err(AppError::Upstream("Shopify could not be asked whether the customer is gone".into()))
}

/// What a delivery's headers say.
struct Delivery<'a> {
    domain: &'a str,
    topic: &'a str,
    signature: &'a str,
    event_id: &'a str,
    /// `X-Shopify-Triggered-At`, in Unix seconds.
    triggered_at: Option<i64>,
}

/// Verifies and records the delivery: the store it is for, or `None` for a repeat or a replay.
async fn accept(receiver: &Receiver, delivery: Delivery<'_>, body: &[u8]) -> Result<Option<StoreId>, AppError> {
    let Delivery { domain, topic, signature, event_id, triggered_at } = delivery;
    let Some((store_id, sealed)) = stores::repo::signing_secret(&receiver.pool, &domain.to_ascii_lowercase()).await?
    else {
        tracing::info!(shop = domain, topic, "refused a webhook delivery for a shop storelink does not hold");
        return Err(AppError::Unauthorized);
    };
    let secret = receiver.sealer.open(&sealed).map_err(|_| AppError::Internal)?;
    if !verify(secret.expose(), body, signature) {
        stores::repo::count_rejected_delivery(&receiver.pool, store_id).await?;
        tracing::warn!(shop = domain, topic, "refused a webhook delivery with a wrong signature");
        return Err(AppError::Unauthorized);
    }
    stores::repo::delivery_verified(&receiver.pool, store_id).await?;
    if triggered_at.is_some_and(|at| crate::db::now() - at > REPLAY_AFTER_SECS) {
        stores::repo::count_stale_delivery(&receiver.pool, store_id).await?;
        tracing::warn!(shop = domain, topic, event_id, "ignored a delivery triggered more than 48 hours ago");
        metrics::WEBHOOKS_DEDUPLICATED.inc();
        return Ok(None);
    }
    let recorded = repo::record(&receiver.pool, store_id, event_id, topic).await?;
    if recorded {
        metrics::WEBHOOKS_ACCEPTED.inc();
    } else {
        metrics::WEBHOOKS_DEDUPLICATED.inc();
    }
    Ok(recorded.then_some(store_id))
}

#[cfg(test)]
mod tests {
    use super::verify;

    #[test]
    fn shopifys_test_vector_verifies_and_a_changed_byte_does_not() {
        let signature = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=";
        assert!(verify("test_secret_key", br#"{"foo": "bar"}"#, signature));
        assert!(!verify("test_secret_key", br#"{"foo": "baz"}"#, signature));
        assert!(!verify("other_key", br#"{"foo": "bar"}"#, signature));
        assert!(!verify("test_secret_key", br#"{"foo": "bar"}"#, "not base64!"));
    }
}
