//! Checking a BigCommerce store's four values at registration, in the order a person fixes them:
//! the store hash (from the API Context, checked against the Store URL's store), the token (the
//! Client ID is never the check: BigCommerce ignores it), the store's own address against the
//! Store URL, then one read per scope the API account must have, each missing one named as the
//! control panel names it; without Orders: modify the store registers with a warning.

use serde_json::{json, Value};

use super::{
    address::{hash_of_store_url, store_host},
    client::{BcClient, BcError},
    reader::{Site, WeightUnit},
    BigCommerce, StoreHash, CUSTOMERS, INFORMATION, INVENTORY, LOCATIONS, ORDERS, ORDERS_MODIFY, PERMISSIONS, PRODUCTS,
};
use crate::{
    credentials::CredentialKind,
    error::AppError,
    ids::StoreId,
    jobs::{run::Stop, Progress},
    platforms::{Checked, Described, NewCredentials, Typed},
    secrets::{Sealer, Secret},
};

const CONTEXT_FORMAT: &str = "The API Context reads stores/ and the store hash, such as stores/abc123: copy it from \
                              the API path shown with the API account in Settings › Store-level API accounts.";
const TOKEN_FORMAT: &str =
    "Paste the Access Token BigCommerce showed when the API account was saved (also in the .txt file it downloaded).";

pub(in crate::platforms) struct Valid {
    pub(in crate::platforms) hash: StoreHash,
    store_host: String,
    token: Secret,
    client_id: String,
    client_secret: Option<Secret>,
}

pub(in crate::platforms) fn validate(typed: &Typed) -> Result<Valid, AppError> {
    let store_host = store_host(typed.get("store_url")).ok_or_else(|| {
        AppError::invalid("store_url", "Enter the store's address, such as https://store-abc123.mybigcommerce.com.")
    })?;
    let token = typed.secret("access_token");
    let token_text = token.expose().trim();
    if token_text.is_empty()
        || token_text.len() > 256
        || token_text.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AppError::invalid("access_token", TOKEN_FORMAT));
    }
    let client_id = typed.get("client_id");
    if client_id.is_empty() || client_id.len() > 256 || client_id.chars().any(char::is_whitespace) {
        return Err(AppError::invalid("client_id", "Paste the Client ID shown with the Access Token."));
    }
    let url_hash = hash_of_store_url(typed.get("store_url"));
    let hash = match typed.get("api_context") {
        "" => url_hash.clone().ok_or_else(|| AppError::invalid("api_context", CONTEXT_FORMAT))?,
        context => StoreHash::from_context(context).ok_or_else(|| AppError::invalid("api_context", CONTEXT_FORMAT))?,
    };
    if let Some(url_hash) = url_hash.filter(|h| *h != hash) {
        return Err(AppError::invalid(
            "api_context",
            format!("This API Context is store {hash}'s, but the Store URL is store {url_hash}'s. Use the values of one store."),
        ));
    }
    let secret = typed.secret("client_secret");
    let client_secret = match secret.expose().trim() {
        "" => None,
        s if s.chars().any(char::is_whitespace) || s.len() > 256 => {
            return Err(AppError::invalid(
                "client_secret",
                "Paste the Client secret shown with the Access Token, or leave it empty.",
            ))
        }
        s => Some(Secret::new(s.to_owned())),
    };
    Ok(Valid {
        hash,
        store_host,
        token: Secret::new(token_text.to_owned()),
        client_id: client_id.to_owned(),
        client_secret,
    })
}

/// The scopes read to check them: each with a read that needs it, and nothing else.
const PROBES: &[(&str, &str)] = &[
    (ORDERS, "/v2/orders"),
    (PRODUCTS, "/v3/catalog/products"),
    (CUSTOMERS, "/v3/customers"),
    (INVENTORY, "/v3/inventory/items"),
    (LOCATIONS, "/v3/inventory/locations"),
];

/// What a failed call means to the person registering.
fn explain(hash: &StoreHash, err: BcError) -> AppError {
    tracing::info!(store = %hash, error = %err, "BigCommerce refused the registration");
    match err {
        BcError::NotFound => AppError::invalid(
            "api_context",
            format!("No BigCommerce store has the hash {hash}. Check the API Context: it is the API path's stores/… part."),
        ),
        BcError::Unauthorized => AppError::invalid(
            "access_token",
            format!("BigCommerce refused this Access Token for store {hash}. Copy it again, or check that its API account was not deleted."),
        ),
        BcError::Timeout => AppError::Upstream("BigCommerce did not answer in time. Try again in a moment. Nothing was saved.".into()),
        err if err.is_transient() => {
            AppError::Upstream(format!("BigCommerce is unavailable right now ({err}). Try again in a moment. Nothing was saved."))
        }
        err => AppError::Upstream(format!("BigCommerce answered in a way storelink could not use ({err}). Nothing was saved.")),
    }
}

fn admin_name(scope: &str) -> &'static str {
    PERMISSIONS.iter().find(|p| p.scope == scope).map_or("", |p| p.admin_name)
}

impl BigCommerce {
    /// Asks BigCommerce about the typed store and token.
    pub(in crate::platforms) async fn check(&self, typed: &Typed) -> Result<Checked, AppError> {
        let valid = validate(typed)?;
        // A person is waiting: the first answer counts, not a minute of retries.
        let client = self.client.with_attempts(2);
        let (hash, token) = (&valid.hash, &valid.token);
        let mut granted = Vec::new();
        let mut missing = Vec::new();
        let store = match client.get(hash, token, "/v2/store", &[]).await {
            Ok(answer) => {
                granted.push(INFORMATION.to_owned());
                Some(answer.json::<Value>().map_err(|e| explain(hash, e))?)
            }
            Err(BcError::MissingScope) => {
                missing.push(INFORMATION);
                None
            }
            Err(err) => return Err(explain(hash, err)),
        };
        if let Some(store) = &store {
            check_store_url(hash, &valid.store_host, store)?;
        }
        for (scope, path) in PROBES {
            match client.get(hash, token, path, &[("limit", "1")]).await {
                Ok(_) => granted.push((*scope).to_owned()),
                Err(BcError::MissingScope) => missing.push(scope),
                Err(err) => return Err(explain(hash, err)),
            }
        }
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|s| admin_name(s)).collect();
            return Err(AppError::invalid(
                "access_token",
                format!(
                    "This API account lacks {}. BigCommerce cannot add scopes to an account: in Settings › Store-level API \
                     accounts create one with them, then enter its values here.",
                    names.join(", ")
                ),
            ));
        }
        // An empty order is refused before anything is made: 400 with Orders modify, 403 without.
        match client.post(hash, token, "/v2/orders", &json!({})).await {
            Err(BcError::MissingScope) => {}
            Ok(_) | Err(BcError::Refused { .. }) => granted.push(ORDERS_MODIFY.to_owned()),
            Err(err) => return Err(explain(hash, err)),
        }
        let warnings = PERMISSIONS
            .iter()
            .filter(|p| !granted.iter().any(|g| g == p.scope))
            .filter_map(|p| p.without_it.map(|effect| format!("Without {}, {effect}.", p.admin_name)))
            .collect();
        let store = store.unwrap_or_default();
        let mut signing = Sealer::random_key();
        if let Some(client_secret) = &valid.client_secret {
            signing.push('\n');
            signing.push_str(client_secret.expose());
        }
        Ok(Checked {
            address: hash.address(),
            name: store_name(&store, hash),
            shop_json: shop_json(&store, hash, valid.client_secret.is_some()).to_string(),
            granted,
            warnings,
            credentials: NewCredentials {
                kind: CredentialKind::Token,
                api_key: valid.client_id,
                token: valid.token,
                // storelink's own header secret, and the Client secret when known: webhooks are
                // checked with both (see `webhooks::verify`).
                signing_secret: Secret::new(signing),
                expiry: None,
            },
        })
    }

    /// The store's details as BigCommerce gives them now.
    pub(in crate::platforms) async fn describe(
        &self,
        store_id: StoreId,
        progress: &mut Progress,
    ) -> Result<Option<Described>, Stop> {
        let Some((hash, token)) = self.connection(store_id).await? else { return Err(Stop::Cancelled) };
        let (client, heard) = self.telling();
        let store = client.get(&hash, &token, "/v2/store", &[]).await.and_then(|a| a.json::<Value>());
        super::told(&heard, progress);
        let store = store.map_err(super::sync::fatal)?;
        let signed = crate::credentials::repo::connection(&self.pool, store_id)
            .await?
            .and_then(|(_, c)| self.sealer.open(&c.sealed_secret).ok())
            .is_some_and(|s| s.expose().contains('\n'));
        Ok(Some(Described {
            name: Some(store_name(&store, &hash)),
            shop_json: shop_json(&store, &hash, signed).to_string(),
        }))
    }

    /// What the reader needs of the store: its weight unit and default location.
    pub(super) async fn reader_site(&self, hash: &StoreHash, token: &Secret) -> Result<Site, BcError> {
        site_with(&self.client, hash, token).await
    }
}

/// The reader's view of a store, read with `client`.
pub(super) async fn site_with(client: &BcClient, hash: &StoreHash, token: &Secret) -> Result<Site, BcError> {
    let store: Value = client.get(hash, token, "/v2/store", &[]).await?.json()?;
    let locations: Value = client.get(hash, token, "/v3/inventory/locations", &[("limit", "250")]).await?.json()?;
    Ok(site_of(&store, &locations))
}

/// The reader's view of a store, from `/v2/store` and its locations (the first is the default).
pub(super) fn site_of(store: &Value, locations: &Value) -> Site {
    let location = locations["data"].as_array().and_then(|l| l.first()).and_then(|l| {
        let id = l["id"].as_i64()?;
        Some((id, l["label"].as_str().unwrap_or("Default location").to_owned()))
    });
    Site { weight_unit: WeightUnit::from_store(store["weight_units"].as_str().unwrap_or_default()), location }
}

/// The Store URL must be the API Context's store: its domain, its secure URL's host, or its
/// control-panel host.
fn check_store_url(hash: &StoreHash, typed_host: &str, store: &Value) -> Result<(), AppError> {
    let host = |url: &str| store_host(url).unwrap_or_default();
    let known = [
        store["domain"].as_str().map(host),
        store["secure_url"].as_str().map(host),
        store["control_panel_base_url"].as_str().map(host),
        Some(host(&hash.address())),
    ];
    if known.iter().flatten().any(|h| !h.is_empty() && h == typed_host) {
        return Ok(());
    }
    let domain = store["domain"].as_str().unwrap_or_default();
    Err(AppError::invalid(
        "store_url",
        format!("The API Context is the store at {domain} (store {hash}), not {typed_host}. Enter that store's URL, or the API Context of {typed_host}."),
    ))
}

fn store_name(store: &Value, hash: &StoreHash) -> String {
    match store["name"].as_str().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => format!("BigCommerce store {hash}"),
    }
}

/// The store as storelink keeps its description.
fn shop_json(store: &Value, hash: &StoreHash, signed: bool) -> Value {
    json!({
        "store_hash": hash.as_str(),
        "name": store["name"],
        "domain": store["domain"],
        "secure_url": store["secure_url"],
        "store_id": store["store_id"],
        "plan_name": store["plan_name"],
        "timezone": store["timezone"]["name"],
        "weight_units": store["weight_units"],
        "currency": store["currency"],
        "webhooks_signed": signed,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn typed(pairs: &[(&str, &str)]) -> Typed {
        let fields: BTreeMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Typed { fields, reconnect: false }
    }

    fn field_of(err: AppError) -> String {
        match err {
            AppError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_hash_comes_from_the_context_and_must_be_the_store_urls() {
        let base = [("store_url", "store-abc123.mybigcommerce.com"), ("access_token", "tok"), ("client_id", "cid")];
        let with = |context: &str| {
            let mut all = base.to_vec();
            all.push(("api_context", context));
            validate(&typed(&all))
        };
        assert_eq!(with("stores/abc123").unwrap().hash.as_str(), "abc123");
        assert_eq!(with("https://api.bigcommerce.com/stores/abc123/v3/").unwrap().hash.as_str(), "abc123");
        assert_eq!(with("").unwrap().hash.as_str(), "abc123", "the Store URL names it");
        assert_eq!(field_of(with("stores/other9").err().unwrap()), "api_context");
        assert_eq!(field_of(with("abc123").err().unwrap()), "api_context");
        let custom = typed(&[
            ("store_url", "shop.example.com"),
            ("access_token", "tok"),
            ("client_id", "c"),
            ("api_context", ""),
        ]);
        assert_eq!(field_of(validate(&custom).err().unwrap()), "api_context");
        let no_token = typed(&[("store_url", "shop.example.com"), ("client_id", "c"), ("api_context", "stores/a1")]);
        assert_eq!(field_of(validate(&no_token).err().unwrap()), "access_token");
        let no_url = typed(&[("access_token", "t"), ("client_id", "c"), ("api_context", "stores/a1")]);
        assert_eq!(field_of(validate(&no_url).err().unwrap()), "store_url");
    }

    #[test]
    fn the_store_url_may_be_the_stores_domain_or_its_control_panel_host() {
        let store: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/emulator/tests/fixtures/bigcommerce/store_information.json"
        )))
        .unwrap();
        let hash = StoreHash::from_context("stores/abc123").unwrap();
        assert!(check_store_url(&hash, "my-awesome.store", &store).is_ok());
        assert!(check_store_url(&hash, "store-abc123.mybigcommerce.com", &store).is_ok());
        assert_eq!(field_of(check_store_url(&hash, "other.example.com", &store).err().unwrap()), "store_url");
        assert_eq!(site_of(&store, &json!({"data": [{"id": 1, "label": "Main"}]})).weight_unit, WeightUnit::Ounces);
    }
}
