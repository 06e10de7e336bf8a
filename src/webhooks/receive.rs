//! The endpoint every platform delivers to, `/webhooks/{platform}`. A delivery is verified
//! against its store's secret before any of it is parsed, recorded once, answered at once, and
//! applied afterwards by the store's platform.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};

use super::repo;
use crate::{
    credentials,
    db::Pool,
    error::AppError,
    ids::StoreId,
    metrics,
    platforms::{Delivery, Effect, Platform, Platforms, StoreRef},
    progress::Hub,
    records,
    secrets::Sealer,
    stores::{self, StoreDto},
};

/// The largest payloads (orders with hundreds of lines) stay well under this.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// What the endpoint needs: the database, the key that opens the stores' secrets, the hub that
/// tells open pages a store's data changed, and the platforms that apply deliveries.
#[derive(Clone)]
pub struct Receiver {
    pub pool: Pool,
    pub sealer: Sealer,
    pub hub: Hub,
    pub platforms: Arc<Platforms>,
}

/// `POST /webhooks/{platform}`: 200 once a verified delivery is recorded (or recognised as a
/// repeat), 401 for anything unsigned, forged or for a store storelink does not hold.
pub async fn receive(
    State(receiver): State<Receiver>,
    Path(platform): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(platform) = Platform::from_slug(&platform) else { return StatusCode::NOT_FOUND };
    let Some(delivery) = Platforms::delivery(platform, &headers, &body) else {
        metrics::WEBHOOKS_REJECTED.inc();
        return StatusCode::UNAUTHORIZED;
    };
    match accept(&receiver, platform, &delivery, &body).await {
        Ok(Some(store_id)) => {
            tokio::spawn(apply(receiver, platform, store_id, delivery, body));
            StatusCode::OK
        }
        Ok(None) => StatusCode::OK,
        Err(AppError::Unauthorized) => {
            metrics::WEBHOOKS_REJECTED.inc();
            StatusCode::UNAUTHORIZED
        }
        Err(err) => {
            tracing::error!(error = %err, "could not record a webhook delivery");
            // Platforms that retry do so for what was not answered with a 2xx.
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// Verifies and records the delivery: the store it is for, or `None` for a repeat, a replay or
/// a ping.
async fn accept(
    receiver: &Receiver,
    platform: Platform,
    delivery: &Delivery,
    body: &[u8],
) -> Result<Option<StoreId>, AppError> {
    let Delivery { address, topic, event_id, triggered_at, .. } = delivery;
    if delivery.ping {
        return Ok(None);
    }
    let Some((store_id, sealed, enabled)) = credentials::repo::signing_secret(&receiver.pool, address).await? else {
        tracing::info!(store = address, topic, "refused a webhook delivery for a store storelink does not hold");
        return Err(AppError::Unauthorized);
    };
    let secret = receiver.sealer.open(&sealed).map_err(|_| AppError::Internal)?;
    if !Platforms::verify(platform, delivery, body, &secret) {
        stores::repo::count_rejected_delivery(&receiver.pool, store_id).await?;
        tracing::warn!(store = address, topic, "refused a webhook delivery with a wrong signature");
        return Err(AppError::Unauthorized);
    }
    stores::repo::delivery_verified(&receiver.pool, store_id).await?;
    if !enabled {
        // Answered, so the platform does not retry for days, but nothing of it is applied: the
        // operator turned e-commerce off for the store's organization.
        tracing::info!(store = address, topic, "ignored a webhook delivery: e-commerce is off for its organization");
        return Ok(None);
    }
    let replay_after = Platforms::replay_after_secs(platform);
    if let (Some(at), Some(after)) = (triggered_at, replay_after) {
        if crate::db::now() - at > after {
            stores::repo::count_stale_delivery(&receiver.pool, store_id).await?;
            tracing::warn!(
                store = address,
                topic,
                event_id,
                "ignored a delivery made longer ago than the platform retries"
            );
            metrics::WEBHOOKS_DEDUPLICATED.inc();
            return Ok(None);
        }
    }
    let recorded = repo::record(&receiver.pool, store_id, event_id, topic).await?;
    if recorded {
        metrics::WEBHOOKS_ACCEPTED.inc();
    } else {
        metrics::WEBHOOKS_DEDUPLICATED.inc();
    }
    Ok(recorded.then_some(store_id))
}

/// Applies a recorded delivery, and notes it applied once it is.
async fn apply(receiver: Receiver, platform: Platform, store_id: StoreId, delivery: Delivery, body: Bytes) {
    let Delivery { address, topic, event_id, .. } = delivery;
    let Some(found) = stores::repo::load(&receiver.pool, store_id).await.ok().flatten() else {
        // Removed since the delivery was recorded: nothing of it is left to apply to.
        return;
    };
    let store = StoreRef { id: store_id, org: found.org, address: &address, name: &found.name };
    let applied = match receiver.platforms.apply(platform, store, &topic, &body).await {
        Ok(Effect::Applied) => Ok(()),
        Ok(Effect::ExportFinished) => {
            receiver.hub.bulk_finished(store_id);
            Ok(())
        }
        Ok(Effect::Gone { erase }) => gone(&receiver, platform, &found, erase).await,
        Ok(Effect::Redact { customer, orders }) => redact(&receiver, platform, &found, customer, &orders).await,
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
}

/// The app is gone from the store, once the platform confirms it (it refuses the credentials;
/// a signed body could be a replay): the credentials go, and with `erase` everything synced.
async fn gone(receiver: &Receiver, platform: Platform, store: &StoreDto, erase: bool) -> Result<(), AppError> {
    let store_id = store.id;
    match receiver.platforms.still_connected(platform, store_id).await {
        Some(false) => {}
        Some(true) => {
            tracing::warn!(%store_id, "ignored a delivery saying the app was removed: the platform still accepts it");
            return Ok(());
        }
        None => return Ok(()),
    }
    stores::disconnect::uninstalled(&receiver.pool, platform, store_id).await?;
    if erase {
        let mut tx = receiver.pool.begin().await?;
        records::repo::erase(&mut tx, store_id).await?;
        records::repo::recount(&mut tx, store_id).await?;
        tx.commit().await?;
    }
    receiver.hub.store_changed(store.org, store_id);
    Ok(())
}

/// A customer's redaction is applied only once the platform no longer has the customer: a
/// captured genuine body replayed later (the body is signed, not the time or the topic) then
/// finds the customer gone anyway, and one about a customer the platform still has erases
/// nothing. When the platform cannot be asked, it is asked again for a few minutes; after that,
/// the request is left for the platform's next one.
async fn redact(
    receiver: &Receiver,
    platform: Platform,
    store: &StoreDto,
    customer: i64,
    orders: &[i64],
) -> Result<(), AppError> {
    let store_id = store.id;
    for wait in [0, 2, 10, 60, 240] {
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        match receiver.platforms.customer_gone(platform, store_id, customer).await {
            Some(true) => {
                let mut tx = receiver.pool.begin().await?;
                records::repo::redact_customer(&mut tx, store_id, customer, orders).await?;
                records::repo::recount(&mut tx, store_id).await?;
                tx.commit().await?;
                receiver.hub.store_changed(store.org, store_id);
                return Ok(());
            }
            Some(false) => {
                tracing::warn!(%store_id, customer, "ignored a redaction: the platform still has the customer");
                return Ok(());
            }
            None => continue,
        }
    }
    Err(AppError::Upstream("the platform could not be asked whether the customer is gone".into()))
}
