//! WooCommerce's webhooks: one per topic, created with a secret storelink makes (never the
//! consumer secret), delivered to storelink's WooCommerce address, verified by their HMAC before
//! anything is read. WooCommerce never retries a delivery and switches a webhook off after a run
//! of failures, so each sync makes sure every one is there and active, and the incremental sync
//! that follows fills the gap. A delivery is a notice: the record it names is fetched as it is
//! now, so a body replayed (or replayed under another topic) only makes storelink read the store
//! again, and a record is deleted only when the site no longer has it.

use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    client::{Keys, WooError},
    reader,
    sync::fatal,
    SiteUrl, WooCommerce, TOPICS,
};
use crate::{
    error::AppError,
    ids::StoreId,
    jobs::{run::Stop, Progress},
    platforms::{Delivery, Effect, Ensured, StoreRef},
    records::{self, model::Gone},
    secrets::Secret,
};

/// What a delivery's headers say; `None` without the headers every WooCommerce delivery has.
/// The ping WooCommerce sends when a webhook is made has none: a bare `webhook_id=N` body, which
/// is a ping and asks for nothing.
pub fn delivery(headers: &HeaderMap, body: &[u8]) -> Option<Delivery> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    if header("x-wc-webhook-source").is_none() {
        let id = std::str::from_utf8(body).ok()?.trim().strip_prefix("webhook_id=")?;
        let ping = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
        return ping.then(|| Delivery {
            address: String::new(),
            event_id: String::new(),
            topic: "ping".into(),
            triggered_at: None,
            signature: String::new(),
            ping: true,
        });
    }
    let address = SiteUrl::from_home(header("x-wc-webhook-source")?).ok()?.home();
    Some(Delivery {
        address,
        event_id: header("x-wc-webhook-delivery-id")?.to_owned(),
        topic: header("x-wc-webhook-topic")?.to_owned(),
        // WooCommerce says nothing of when; it never retries, so there is no window to check.
        triggered_at: None,
        signature: header("x-wc-webhook-signature")?.to_owned(),
        ping: false,
    })
}

/// One webhook as WooCommerce lists it.
#[derive(Deserialize)]
struct Webhook {
    id: i64,
    topic: String,
    status: String,
    delivery_url: String,
}

/// The record a delivery names.
#[derive(Deserialize)]
struct Named {
    id: i64,
}

impl WooCommerce {
    /// The secret the store's webhooks are created with.
    async fn signing_secret(&self, store_id: StoreId) -> Result<Option<Secret>, AppError> {
        let Some((_, credentials)) = crate::credentials::repo::connection(&self.pool, store_id).await? else {
            return Ok(None);
        };
        Ok(Some(self.sealer.open(&credentials.sealed_secret).map_err(|_| AppError::Internal)?))
    }

    /// Makes sure the store has an active webhook for every topic at `address`.
    pub(in crate::platforms) async fn ensure_webhooks(
        &self,
        store_id: StoreId,
        address: &str,
        recorded: &[String],
        progress: &mut Progress,
    ) -> Result<Ensured, Stop> {
        let Some((site, keys)) = self.connection(store_id).await? else { return Err(Stop::Cancelled) };
        let Some(secret) = self.signing_secret(store_id).await? else { return Err(Stop::Cancelled) };
        match self.subscribe(&site, &keys, &secret, address, recorded).await {
            Ok((subscriptions, repaired)) => {
                Ok(Ensured { subscriptions: Some(subscriptions), repaired, problem: None })
            }
            Err(err @ (WooError::UnknownKey | WooError::WrongSecret)) => Err(fatal(err)),
            Err(WooError::ReadOnlyKey | WooError::NotAllowed) => {
                progress.event("The API key may not manage webhooks: changes arrive with each sync".into());
                Ok(Ensured {
                    subscriptions: None,
                    repaired: false,
                    problem: Some("the API key may not manage webhooks (it needs Read/Write, by an Administrator or a Shop Manager)".into()),
                })
            }
            Err(err) => Ok(Ensured { subscriptions: None, repaired: false, problem: Some(err.to_string()) }),
        }
    }

    async fn subscribe(
        &self,
        site: &SiteUrl,
        keys: &Keys,
        secret: &Secret,
        address: &str,
        recorded: &[String],
    ) -> Result<(Vec<(i64, String)>, bool), WooError> {
        let mut existing: Vec<Webhook> = Vec::new();
        for page in 1..=20 {
            let page_text = page.to_string();
            let answer =
                self.client.get(site, keys, "/wc/v3/webhooks", &[("per_page", "100"), ("page", &page_text)]).await?;
            let webhooks: Vec<Webhook> = answer.json()?;
            let more = webhooks.len() == 100;
            existing.extend(webhooks.into_iter().filter(|w| w.delivery_url == address));
            if !more {
                break;
            }
        }
        let mut subscriptions = Vec::new();
        let mut repaired = false;
        for topic in TOPICS {
            match existing.iter().find(|w| w.topic == *topic) {
                Some(webhook) if webhook.status == "active" => subscriptions.push((webhook.id, webhook.topic.clone())),
                Some(webhook) => {
                    // Switched off after failed deliveries (or by hand): switched on again,
                    // with storelink's secret in case it was changed.
                    let body = json!({"status": "active", "secret": secret.expose()});
                    self.client.put(site, keys, &format!("/wc/v3/webhooks/{}", webhook.id), &body).await?;
                    repaired = true;
                    subscriptions.push((webhook.id, webhook.topic.clone()));
                }
                None => {
                    let body = json!({
                        "name": format!("storelink: {}", super::topic_words(topic)),
                        "topic": topic,
                        "delivery_url": address,
                        "secret": secret.expose(),
                        "status": "active",
                    });
                    let created: Webhook = self.client.post(site, keys, "/wc/v3/webhooks", &body).await?.json()?;
                    repaired |= recorded.iter().any(|r| r == topic);
                    subscriptions.push((created.id, created.topic));
                }
            }
        }
        Ok((subscriptions, repaired))
    }

    /// Deletes the webhooks storelink made, as far as the site lets it: how many went.
    pub(in crate::platforms) async fn remove_webhooks(&self, store_id: StoreId, ids: &[i64]) -> usize {
        let Ok(Some((site, keys))) = self.connection(store_id).await else { return 0 };
        let mut removed = 0;
        for id in ids {
            match self.client.delete(&site, &keys, &format!("/wc/v3/webhooks/{id}"), &[("force", "true")]).await {
                Ok(_) | Err(WooError::NotFound) => removed += 1,
                Err(err) => tracing::warn!(%store_id, webhook_id = id, error = %err, "could not remove a webhook"),
            }
        }
        removed
    }

    /// Fetches the record a verified delivery names, as it is now, and stores it (or deletes it
    /// when the site no longer has it).
    pub(in crate::platforms) async fn apply(
        &self,
        store: StoreRef<'_>,
        topic: &str,
        body: &[u8],
    ) -> Result<Effect, AppError> {
        let store_id = store.id;
        let Some((resource, _)) = topic.split_once('.') else { return Ok(Effect::Applied) };
        let Ok(Named { id }) = serde_json::from_slice::<Named>(body) else {
            tracing::info!(%store_id, topic, "ignored a delivery that names no record");
            return Ok(Effect::Applied);
        };
        let Some((site, keys)) = self.connection(store_id).await? else { return Ok(Effect::Applied) };
        let upstream = |err: WooError| AppError::Upstream(format!("the site could not be read: {err}"));
        let (route, gone) = match resource {
            "order" => (format!("/wc/v3/orders/{id}"), Gone::Order(id)),
            "product" => (format!("/wc/v3/products/{id}"), Gone::Product(id)),
            "customer" => (format!("/wc/v3/customers/{id}"), Gone::Customer(id)),
            _ => {
                tracing::info!(%store_id, topic, "ignored a webhook topic storelink does not use");
                return Ok(Effect::Applied);
            }
        };
        let text = match self.client.get(&site, &keys, &route, &[]).await {
            Ok(answer) => Some(answer.text().map_err(upstream)?.to_owned()),
            Err(WooError::NotFound) => None,
            Err(err) => return Err(upstream(err)),
        };
        let text = text.filter(|t| serde_json::from_str::<Value>(t).is_ok_and(|v| v["status"] != "trash"));
        let batch = match (&text, resource) {
            (None, _) => None,
            (Some(text), "order") => {
                Some(reader::orders(text, &self.reader_site(&site, &keys).await.map_err(upstream)?))
            }
            (Some(text), "product") => {
                let reader_site = self.reader_site(&site, &keys).await.map_err(upstream)?;
                let mut batch = reader::products(text, &reader_site);
                let product: Value = serde_json::from_str(text).unwrap_or_default();
                if product["type"] == "variable" {
                    let variations =
                        super::sync::variations_of(&self.client, &site, &keys, id).await.map_err(upstream)?;
                    let more = reader::variations(&variations, id, &reader_site);
                    batch.records.extend(more.records);
                    batch.refused.extend(more.refused);
                }
                Some(batch)
            }
            (Some(text), _) => Some(reader::customers(text)),
        };
        let gone = batch.is_none().then_some(gone);
        records::apply(&self.pool, store_id, batch.unwrap_or_default(), gone).await?;
        Ok(Effect::Applied)
    }

    /// Whether the site still takes storelink's key; `None` when it cannot be asked.
    pub(in crate::platforms) async fn still_connected(&self, store_id: StoreId) -> Option<bool> {
        let (site, keys) = self.connection(store_id).await.ok()??;
        match self.client.get(&site, &keys, "/wc/v3/orders", &[("per_page", "1"), ("_fields", "id")]).await {
            Ok(_) => Some(true),
            Err(WooError::UnknownKey | WooError::WrongSecret) => Some(false),
            Err(_) => None,
        }
    }

    /// Whether the site no longer has the customer; `None` when it cannot be asked.
    pub(in crate::platforms) async fn customer_gone(&self, store_id: StoreId, customer: i64) -> Option<bool> {
        let (site, keys) = self.connection(store_id).await.ok()??;
        match self.client.get(&site, &keys, &format!("/wc/v3/customers/{customer}"), &[]).await {
            Ok(_) => Some(false),
            Err(WooError::NotFound) => Some(true),
            Err(_) => None,
        }
    }
}
