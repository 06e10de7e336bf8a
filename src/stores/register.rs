//! Registering a Shopify store: validate, ask Shopify, compare permissions, save. Each failure
//! has its own message and saves nothing.

use super::{repo, tokens, CredentialKind, StoreState};
use crate::{
    audit,
    db::Pool,
    error::{text, AppError},
    ids::StoreId,
    jobs::{self, JobKind},
    secrets::{Sealer, Secret},
    shopify::{
        check_permissions,
        client::{GrantRefusal, ShopifyClient, ShopifyError},
        graphql::Query,
        normalize_store_url, queries, ShopDomain,
    },
    users::UserDto,
};

/// The four fields of the Shopify form.
pub struct Form {
    pub store_url: String,
    pub api_key: String,
    pub api_password: Secret,
    pub shared_secret: Secret,
    /// New credentials for a store storelink has, connected or not (its Shared Secret looked
    /// wrong, say); otherwise a connected store is refused as already connected.
    pub reconnect: bool,
}

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

struct Checked {
    domain: ShopDomain,
    api_key: String,
    /// The access token; `None` for a Dev Dashboard app, whose token comes from the grant.
    api_password: Option<Secret>,
    shared_secret: Secret,
}

fn validate(form: Form) -> Result<Checked, AppError> {
    let url = normalize_store_url(&form.store_url).map_err(|message| AppError::invalid("store_url", message))?;
    // The private app's Example URL carries the key and password: use them when the fields are empty.
    let api_key = if form.api_key.trim().is_empty() { url.api_key.clone().unwrap_or_default() } else { form.api_key };
    let api_password = match (form.api_password.is_empty(), url.api_password) {
        (true, Some(password)) => password,
        _ => form.api_password.expose().to_owned(),
    };
    let api_key = credential(&api_key, "api_key", text::API_KEY)?;
    // An empty API Password means a Dev Dashboard app: the API Key is its Client ID and the
    // Shared Secret its Client secret.
    let api_password = match api_password.trim().is_empty() {
        true => None,
        false => Some(Secret::new(credential(&api_password, "api_password", text::API_PASSWORD)?)),
    };
    let shared_secret = credential(form.shared_secret.expose(), "shared_secret", text::SHARED_SECRET)?;
    Ok(Checked { domain: url.domain, api_key, api_password, shared_secret: Secret::new(shared_secret) })
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

/// Registers (or reconnects) the store and queues its first full sync; returns its id.
pub async fn register(
    pool: &Pool,
    shopify: &ShopifyClient,
    sealer: &Sealer,
    user: &UserDto,
    form: Form,
) -> Result<StoreId, AppError> {
    let reconnect = form.reconnect;
    let checked = validate(form)?;
    let domain = &checked.domain;
    let existing = repo::find_by_domain(pool, domain.as_str()).await?;
    if let Some(store) = existing.as_ref().filter(|s| s.state == StoreState::Connected && !reconnect) {
        return Err(already_connected(domain, &store.name));
    }

    let (kind, token, expiry) = match &checked.api_password {
        Some(token) => (CredentialKind::Token, token.clone(), None),
        None => {
            let grant = shopify
                .client_credentials(domain, &checked.api_key, &checked.shared_secret)
                .await
                .map_err(|e| explain(domain, e))?;
            (CredentialKind::ClientCredentials, grant.token, Some(tokens::first_token(grant.expires_in)))
        }
    };
    let (shop, scopes) = read_shop(shopify, domain, &token).await.map_err(|e| explain(domain, e))?;
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
    let shop_json = shop.to_string();
    let details =
        repo::ShopDetails { name: &name, shop_json: &shop_json, granted_scopes: &scopes, warnings: &warnings };
    let mut tx = pool.begin().await?;
    let saved = match &existing {
        None => repo::insert_connected(&mut tx, domain.as_str(), &details, user.id).await?,
        Some(store) => repo::reconnect(&mut tx, store.id, &details, reconnect).await?,
    };
    let Some(store_id) = saved else { return Err(already_connected(domain, &name)) };
    // Credentials Shopify refused are still there: the new ones take their place.
    repo::delete_credentials(&mut tx, store_id).await?;
    let credentials = repo::Credentials {
        kind,
        api_key: checked.api_key.clone(),
        sealed_token: sealer.seal(&token),
        sealed_secret: sealer.seal(&checked.shared_secret),
        token_expires_at: expiry.map(|(expires_at, _)| expires_at),
        token_renew_at: expiry.map(|(_, renew_at)| renew_at),
    };
    repo::insert_credentials(&mut tx, store_id, &credentials).await?;
    jobs::repo::queue(&mut tx, store_id, JobKind::Full).await?;
    let action = if existing.is_some() { "Reconnected store" } else { "Registered store" };
    let detail = if warnings.is_empty() { "all permissions granted".to_owned() } else { warnings.join(" ") };
    audit::repo::record_by(&mut tx, Some(user.id), &user.email, action, Some((store_id, &name)), &detail).await?;
    tx.commit().await?;
    tracing::info!(shop = %domain, %store_id, "store registered");
    Ok(store_id)
}

/// The shop's details and the scopes the app was granted, in one GraphQL query.
async fn read_shop(
    shopify: &ShopifyClient,
    domain: &ShopDomain,
    token: &Secret,
) -> Result<(serde_json::Value, Vec<String>), ShopifyError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Registration {
        shop: serde_json::Value,
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
    let query = Query { text: queries::REGISTRATION, variables: serde_json::Value::Null, cost: 2.0 };
    let answer = shopify.graphql_without_retry(domain, token, &query).await?;
    let registration: Registration = answer.read()?;
    if !registration.shop.is_object() {
        return Err(ShopifyError::BadResponse("the answer has no shop".into()));
    }
    let scopes = registration.current_app_installation.access_scopes.into_iter().map(|s| s.handle).collect();
    Ok((registration.shop, scopes))
}

fn already_connected(domain: &ShopDomain, name: &str) -> AppError {
    AppError::Conflict(format!("{domain} is already connected as “{name}”."))
}
