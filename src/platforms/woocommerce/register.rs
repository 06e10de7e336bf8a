//! Checking a WooCommerce store's address and key at registration, in the order a person fixes
//! them: is it WordPress, is its REST API on, is WooCommerce active, does WooCommerce know the
//! key, is the secret the key's, may the key's user read orders; then what the key may not do
//! (write, webhooks) becomes a warning. Each refusal has its own message beside its field.

use serde_json::{json, Value};

use super::{
    client::{Index, Keys, WooClient, WooError},
    normalize_store_url,
    reader::{Site, WeightUnit, LOCATION_ID},
    SiteUrl, WooCommerce, PERMISSIONS, READ, SHIPMENT_TRACKING, WEBHOOKS, WRITE,
};
use crate::{
    credentials::CredentialKind,
    error::AppError,
    ids::StoreId,
    jobs::{run::Stop, Progress},
    platforms::{Checked, Described, NewCredentials, Typed},
    secrets::{Sealer, Secret},
};

const KEY_FORMAT: &str =
    "A consumer key starts with ck_: copy it again from WooCommerce → Settings → Advanced → REST API.";
const SECRET_FORMAT: &str =
    "A consumer secret starts with cs_: copy it again from where WooCommerce showed it with the key.";

pub(in crate::platforms) struct Valid {
    pub(in crate::platforms) site: SiteUrl,
    keys: Keys,
}

/// A key or secret: trimmed, with its prefix, no spaces inside, of a sane length.
fn credential(value: &str, prefix: &str, field: &str, wrong: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, wrong));
    }
    if !value.starts_with(prefix) || value.len() > 128 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(field, wrong));
    }
    Ok(value.to_owned())
}

pub(in crate::platforms) fn validate(typed: &Typed) -> Result<Valid, AppError> {
    let site =
        normalize_store_url(typed.get("store_url")).map_err(|message| AppError::invalid("store_url", message))?;
    let consumer_key = credential(typed.get("consumer_key"), "ck_", "consumer_key", KEY_FORMAT)?;
    let consumer_secret =
        credential(typed.secret("consumer_secret").expose(), "cs_", "consumer_secret", SECRET_FORMAT)?;
    Ok(Valid { site, keys: Keys { consumer_key, consumer_secret: Secret::new(consumer_secret) } })
}

/// What a failed call means to the person registering.
fn explain(site: &SiteUrl, err: WooError) -> AppError {
    tracing::info!(site = %site, error = %err, "WooCommerce refused the registration");
    let field = |name: &str, message: String| AppError::invalid(name, message);
    match err {
        WooError::NotWordPress | WooError::NotFound => field(
            "store_url",
            format!("No WordPress site answers at {site}. Check the Store URL: it is the site's address, as in its Settings → General."),
        ),
        WooError::RestApiOff => field(
            "store_url",
            format!("The WordPress site at {site} has its REST API switched off (often by a security plugin). Allow the REST API for WooCommerce, then register again."),
        ),
        WooError::NoWooCommerce => field(
            "store_url",
            format!("WordPress answers at {site}, but WooCommerce is not active there. Activate the WooCommerce plugin, or check the Store URL."),
        ),
        WooError::Redirected { to, .. } => field(
            "store_url",
            match to {
                Some(to) => format!("{site} sends storelink to {to}. Enter the site's own address."),
                None => format!("{site} sends storelink elsewhere. Enter the site's own address."),
            },
        ),
        WooError::Captcha { .. } => field(
            "store_url",
            format!("{site} answered with a bot check or a firewall page instead of WooCommerce's data. Ask the host to let API requests through, then register again."),
        ),
        WooError::UnknownKey => field(
            "consumer_key",
            "WooCommerce does not know this consumer key. Copy it again from WooCommerce → Settings → Advanced → REST API (if it is right, the site's server may be dropping the credentials).".into(),
        ),
        WooError::WrongSecret => field(
            "consumer_secret",
            "This consumer secret does not belong to the consumer key. Copy both again, or add a new key.".into(),
        ),
        WooError::NoReadPermission => field(
            "consumer_key",
            "This key may only write. In WooCommerce → Settings → Advanced → REST API, set its Permissions to Read/Write.".into(),
        ),
        WooError::NotAllowed => field(
            "consumer_key",
            "The key's WordPress user may not read the store's orders. Make the key for a user who is an Administrator or a Shop Manager.".into(),
        ),
        WooError::Timeout => AppError::Upstream(format!(
            "{site} did not answer in time. Big stores can be slow: try again in a moment. Nothing was saved."
        )),
        WooError::RateLimited { .. } | WooError::Unavailable(_) | WooError::Network(_) => AppError::Upstream(format!(
            "{site} is unavailable right now ({err}). Try again in a moment. Nothing was saved."
        )),
        WooError::ReadOnlyKey | WooError::Refused { .. } | WooError::BadResponse(_) => AppError::Upstream(format!(
            "{site} answered in a way storelink could not use ({err}). Nothing was saved."
        )),
    }
}

impl WooCommerce {
    /// Asks the site about the typed address and key.
    pub(in crate::platforms) async fn check(&self, typed: &Typed) -> Result<Checked, AppError> {
        let valid = validate(typed)?;
        // A person is waiting: the first answer counts, not a minute of retries.
        let client = self.client.with_attempts(2);
        let typed_site = &valid.site;
        let index = client.index(typed_site).await.map_err(|e| explain(typed_site, e))?;
        // The site's own home URL is its identity: the address typed may lack `www.` or say http.
        let site = index.home.clone();
        let keys = &valid.keys;
        client
            .get(&site, keys, "/wc/v3/orders", &[("per_page", "1"), ("_fields", "id")])
            .await
            .map_err(|e| explain(&site, e))?;
        let mut granted = vec![READ.to_owned()];
        if client.probe_write(&site, keys).await.map_err(|e| explain(&site, e))? {
            granted.push(WRITE.to_owned());
            if client.can_manage_webhooks(&site, keys).await.map_err(|e| explain(&site, e))? {
                granted.push(WEBHOOKS.to_owned());
            }
        }
        // An extension the site may not have is shown on the Permissions tab, not warned about.
        let warnings = PERMISSIONS
            .iter()
            .filter(|p| p.scope != SHIPMENT_TRACKING && !granted.iter().any(|g| g == p.scope))
            .filter_map(|p| p.without_it.map(|effect| format!("Without {}, {effect}.", p.admin_name)))
            .collect();
        if index.has_shipment_tracking() {
            granted.push(SHIPMENT_TRACKING.to_owned());
        }
        let weight_unit = weight_unit(&client, &site, keys).await;
        let shop = shop_json(&index, &client, &site, weight_unit);
        Ok(Checked {
            address: site.home(),
            name: store_name(&index, &site),
            shop_json: shop.to_string(),
            granted,
            warnings,
            credentials: NewCredentials {
                kind: CredentialKind::Token,
                api_key: valid.keys.consumer_key,
                token: valid.keys.consumer_secret,
                // WooCommerce signs each webhook with the secret it was created with: storelink
                // makes its own, never the consumer secret.
                signing_secret: Secret::new(Sealer::random_key()),
                expiry: None,
            },
        })
    }

    /// The site's details as it gives them now.
    pub(in crate::platforms) async fn describe(
        &self,
        store_id: StoreId,
        progress: &mut Progress,
    ) -> Result<Option<Described>, Stop> {
        let Some((site, keys)) = self.connection(store_id).await? else { return Err(Stop::Cancelled) };
        let (index, weight_unit) = self.site_details(&site, &keys).await.map_err(super::sync::fatal)?;
        if index.home != site {
            progress.event(format!("The site now calls itself {}; storelink keeps calling {site}", index.home));
        }
        let shop = shop_json(&index, &self.client, &site, weight_unit);
        Ok(Some(Described { name: Some(store_name(&index, &site)), shop_json: shop.to_string() }))
    }

    /// The site's index and its weight unit.
    pub(super) async fn site_details(&self, site: &SiteUrl, keys: &Keys) -> Result<(Index, WeightUnit), WooError> {
        let index = self.client.index(site).await?;
        Ok((index, weight_unit(&self.client, site, keys).await))
    }

    /// What the reader needs of the site.
    pub(super) async fn reader_site(&self, site: &SiteUrl, keys: &Keys) -> Result<Site, WooError> {
        let (index, weight_unit) = self.site_details(site, keys).await?;
        Ok(Site { weight_unit, location_id: LOCATION_ID, location_name: store_name(&index, site) })
    }
}

fn store_name(index: &Index, site: &SiteUrl) -> String {
    let name = super::reader::decode_entities(index.name.trim());
    if name.is_empty() {
        site.host().to_owned()
    } else {
        name
    }
}

/// The unit the site's product weights are in; kilograms, WooCommerce's default, when the
/// setting cannot be read.
async fn weight_unit(client: &WooClient, site: &SiteUrl, keys: &Keys) -> WeightUnit {
    let answer = client.get(site, keys, "/wc/v3/settings/products/woocommerce_weight_unit", &[]).await;
    answer
        .ok()
        .and_then(|a| a.json::<Value>().ok())
        .and_then(|v| v["value"].as_str().and_then(WeightUnit::from_setting))
        .unwrap_or(WeightUnit::Kilograms)
}

/// The site as storelink keeps its description.
fn shop_json(index: &Index, client: &WooClient, site: &SiteUrl, weight_unit: WeightUnit) -> Value {
    json!({
        "name": index.name,
        "home": site.home(),
        "timezone": index.timezone,
        "gmt_offset_minutes": index.gmt_offset_minutes,
        "namespaces": index.namespaces,
        "shipment_tracking": index.has_shipment_tracking(),
        "weight_unit": format!("{weight_unit:?}").to_lowercase(),
        "auth": client.auth_mode(site).key(),
        "route_form": index.route_form.key(),
    })
}
