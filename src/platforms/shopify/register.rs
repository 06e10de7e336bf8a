//! Checking a Shopify store's credentials and permissions at registration, and reading the
//! shop's details for each sync. Each refusal has its own message beside its field.

use serde_json::Value;

use super::{
    check_permissions,
    client::{GrantRefusal, ShopifyClient, ShopifyError},
    graphql::Query,
    normalize_store_url, queries, tokens, ShopDomain, Shopify,
};
use crate::{
    credentials::CredentialKind,
    error::{text, AppError},
    ids::StoreId,
    jobs::{run::Stop, Progress},
    platforms::{Checked, Described, NewCredentials, Typed},
    secrets::Secret,
};

/// A credential field: trimmed, present, no spaces inside, and of a sane length.
fn credential(value: &str, field: &str, missing: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, missing));
    }
    if value.len() > 256 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(field, text::NOT_A_CREDENTIAL));
    }
    Ok(value.to_owned())
}

pub(in crate::platforms) struct Valid {
    pub(in crate::platforms) domain: ShopDomain,
    api_key: String,
    /// The access token; `None` for a Dev Dashboard app, whose token comes from the grant.
    api_password: Option<Secret>,
    shared_secret: Secret,
}

pub(in crate::platforms) fn validate(typed: &Typed) -> Result<Valid, AppError> {
    let url = normalize_store_url(typed.get("store_url")).map_err(|message| AppError::invalid("store_url", message))?;
    // The private app's Example URL carries the key and password: use them when the fields are empty.
    let api_key = match typed.get("api_key") {
        "" => url.api_key.clone().unwrap_or_default(),
        typed => typed.to_owned(),
    };
    let typed_password = typed.secret("api_password");
    let api_password = match (typed_password.expose().trim().is_empty(), url.api_password) {
        (true, Some(password)) => password,
        _ => typed_password.expose().to_owned(),
    };
    let api_key = credential(&api_key, "api_key", text::API_KEY)?;
    // An empty API Password means a Dev Dashboard app: the API Key is its Client ID and the
    // Shared Secret its Client secret.
    let api_password = match api_password.trim().is_empty() {
        true => None,
        false => Some(Secret::new(credential(&api_password, "api_password", text::API_PASSWORD)?)),
    };
    let shared_secret = credential(typed.secret("shared_secret").expose(), "shared_secret", text::SHARED_SECRET)?;
    Ok(Valid { domain: url.domain, api_key, api_password, shared_secret: Secret::new(shared_secret) })
}

/// What a failed Shopify call means to the person registering.
fn explain(domain: &ShopDomain, err: ShopifyError) -> AppError {
    tracing::info!(shop = %domain, error = %err, "Shopify refused the registration");
    match err {
        ShopifyError::NotFound => {
            AppError::invalid("store_url", format!("No Shopify store answers at {domain}. Check the Store URL."))
        }
        ShopifyError::Unauthorized => AppError::invalid("api_password", text::PASSWORD_REJECTED),
        ShopifyError::GrantRefused(GrantRefusal::ShopNotPermitted) => {
            AppError::invalid("api_key", text::SHOP_NOT_PERMITTED)
        }
        ShopifyError::GrantRefused(GrantRefusal::AppNotInstalled) => {
            AppError::invalid("api_key", text::APP_NOT_INSTALLED)
        }
        ShopifyError::GrantRefused(_) => AppError::invalid("shared_secret", text::CLIENT_REJECTED),
        ShopifyError::Forbidden { scope } => AppError::invalid(
            "permissions",
            format!("Shopify refused to show the store's details ({scope}). Check the app's permissions in the Shopify admin."),
        ),
        ShopifyError::Frozen => AppError::Upstream(format!(
            "Shopify reports {domain} as unavailable (frozen, usually an unpaid bill), so it refuses API calls. Nothing was saved."
        )),
        ShopifyError::Unavailable => AppError::Upstream(format!(
            "Shopify reports {domain} as unavailable (closed or paused), so it refuses API calls. Nothing was saved."
        )),
        ShopifyError::Locked => AppError::Upstream(format!(
            "Shopify has locked {domain}. The store owner must contact Shopify support before it can be connected. Nothing was saved."
        )),
        _ => AppError::Upstream(text::SHOPIFY_UNAVAILABLE.into()),
    }
}

impl Shopify {
    /// Asks Shopify about the typed credentials: a token (or the grant of one), the shop's
    /// details and the permissions granted.
    pub(in crate::platforms) async fn check(&self, typed: &Typed) -> Result<Checked, AppError> {
        let valid = validate(typed)?;
        let domain = &valid.domain;
        let (kind, token, expiry) = match &valid.api_password {
            Some(token) => (CredentialKind::Token, token.clone(), None),
            None => {
                let grant = self
                    .client
                    .client_credentials(domain, &valid.api_key, &valid.shared_secret)
                    .await
                    .map_err(|e| explain(domain, e))?;
                (CredentialKind::ClientCredentials, grant.token, Some(tokens::first_token(grant.expires_in)))
            }
        };
        let (shop, scopes) = read_shop(&self.client, domain, &token).await.map_err(|e| explain(domain, e))?;
        let (missing, warnings) = check_permissions(&scopes);
        if !missing.is_empty() {
            return Err(AppError::invalid(
                "permissions",
                format!(
                    "The app in Shopify lacks permissions storelink needs. In the Shopify admin, give it read access to: {}.",
                    missing.join(", ")
                ),
            ));
        }
        let name = shop["name"].as_str().filter(|n| !n.trim().is_empty()).unwrap_or(domain.handle()).to_owned();
        Ok(Checked {
            address: domain.as_str().to_owned(),
            name,
            shop_json: shop.to_string(),
            granted: scopes,
            warnings,
            credentials: NewCredentials {
                kind,
                api_key: valid.api_key,
                token,
                signing_secret: valid.shared_secret,
                expiry,
            },
        })
    }

    /// The shop's details as Shopify gives them now.
    pub(in crate::platforms) async fn describe(
        &self,
        store_id: StoreId,
        progress: &mut Progress,
    ) -> Result<Option<Described>, Stop> {
        let query = Query { text: queries::REGISTRATION, variables: Value::Null, cost: 2.0 };
        let client = &self.client;
        let events = std::sync::Mutex::new(Vec::new());
        let answer = self
            .tokens
            .call(store_id, |access| {
                let (query, events) = (&query, &events);
                async move {
                    let mut heard = |e| events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                    client.graphql(&access.domain, &access.token, query, &mut heard).await
                }
            })
            .await;
        super::sync::paced(progress, &mut None, events.into_inner().unwrap_or_else(|p| p.into_inner()));
        let answer = answer?;
        let data: Value = answer.read().map_err(super::sync::fatal)?;
        Ok(data
            .get("shop")
            .filter(|s| s.is_object())
            .map(|shop| Described { name: shop["name"].as_str().map(str::to_owned), shop_json: shop.to_string() }))
    }
}

/// The shop's details and the scopes the app was granted, in one GraphQL query.
async fn read_shop(
    shopify: &ShopifyClient,
    domain: &ShopDomain,
    token: &Secret,
) -> Result<(Value, Vec<String>), ShopifyError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Registration {
        shop: Value,
        current_app_installation: Installation,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Installation {
        access_scopes: Vec<Scope>,
    }
    #[derive(serde::Deserialize)]
    struct Scope {
        handle: String,
    }
    let query = Query { text: queries::REGISTRATION, variables: Value::Null, cost: 2.0 };
    let answer = shopify.graphql_without_retry(domain, token, &query).await?;
    let registration: Registration = answer.read()?;
    if !registration.shop.is_object() {
        return Err(ShopifyError::BadResponse("the answer has no shop".into()));
    }
    let scopes = registration.current_app_installation.access_scopes.into_iter().map(|s| s.handle).collect();
    Ok((registration.shop, scopes))
}
