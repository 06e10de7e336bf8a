//! Registering a Shopify store: validate, ask Shopify, compare permissions, save; and
//! disconnecting it again. Each failure has its own message and saves nothing.

use super::{repo, StoreDto, StoreState};
use crate::{
    audit,
    error::AppError,
    secrets::Secret,
    server::{db, AppState},
    shopify::{
        check_permissions,
        client::{ShopifyError, API_VERSION},
        normalize_store_url, ShopDomain,
    },
    users::UserDto,
};

/// The four fields of the Shopify form.
pub struct Form {
    pub store_url: String,
    pub api_key: String,
    pub api_password: Secret,
    pub shared_secret: Secret,
}

/// A credential field: trimmed, present, no spaces inside, and of a sane length.
fn credential(value: &str, field: &str, missing: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, missing));
    }
    if value.len() > 256 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid(
            field,
            "This does not look like a value Shopify shows: copy it again, without spaces.",
        ));
    }
    Ok(value.to_owned())
}

struct Checked {
    domain: ShopDomain,
    api_key: String,
    api_password: Secret,
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
    let api_key = credential(&api_key, "api_key", "Enter the API key (“API key” in the Shopify admin).")?;
    let api_password = credential(
        &api_password,
        "api_password",
        "Enter the API password (“Admin API access token” for a custom app, “Password” for a private app).",
    )?;
    let shared_secret = credential(
        form.shared_secret.expose(),
        "shared_secret",
        "Enter the shared secret (“API secret key” for a custom app, “Shared secret” for a private app).",
    )?;
    Ok(Checked {
        domain: url.domain,
        api_key,
        api_password: Secret::new(api_password),
        shared_secret: Secret::new(shared_secret),
    })
}

/// What a failed Shopify call means to the person registering.
fn explain(domain: &ShopDomain, err: ShopifyError) -> AppError {
    tracing::info!(shop = %domain, error = %err, "Shopify refused the registration");
    match err {
        ShopifyError::NotFound => {
            AppError::invalid("store_url", format!("No Shopify store answers at {domain}. Check the Store URL."))
        }
        ShopifyError::Unauthorized => AppError::invalid(
            "api_password",
            "Shopify rejected the API password. Copy the Admin API access token (custom app) or the Password (private app) again.",
        ),
        ShopifyError::Forbidden { scope } => AppError::invalid(
            "permissions",
            format!("Shopify refused to show the store's details ({scope}). Check the app's permissions in the Shopify admin."),
        ),
        ShopifyError::Frozen => AppError::Upstream(format!(
            "Shopify reports {domain} as unavailable (frozen, usually an unpaid bill), so it refuses API calls. Nothing was saved."
        )),
        ShopifyError::Locked => AppError::Upstream(format!(
            "Shopify has locked {domain}. The store owner must contact Shopify support before it can be connected. Nothing was saved."
        )),
        _ => AppError::Upstream("Shopify is unavailable or too slow right now. Nothing was saved; try again in a minute.".into()),
    }
}

/// Registers (or reconnects) the store; returns its id.
pub async fn register(state: &AppState, user: &UserDto, form: Form) -> Result<i64, AppError> {
    let checked = validate(form)?;
    let domain = &checked.domain;
    let existing = repo::find_by_domain(&state.pool, domain.as_str()).await?;
    if let Some(store) = existing.as_ref().filter(|s| s.state != StoreState::Disconnected) {
        return Err(already_connected(domain, &store.name));
    }

    let shop = state.shopify.shop(domain, &checked.api_password).await.map_err(|e| explain(domain, e))?;
    let scopes = state.shopify.access_scopes(domain, &checked.api_password).await.map_err(|e| explain(domain, e))?;
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
    let now = db::now();
    let mut tx = state.pool.begin().await?;
    let saved = match &existing {
        None => sqlx::query_scalar::<_, i64>(
            "INSERT INTO stores (platform, name, shop_domain, state, shop_json, granted_scopes, warnings, registered_by, created_at)
             VALUES ('shopify', ?, ?, 'connected', ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&name)
        .bind(domain.as_str())
        .bind(shop.to_string())
        .bind(scopes.join(" "))
        .bind(warnings.join("\n"))
        .bind(user.id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await,
        // Reconnecting: only while still disconnected, so two reconnects cannot both win.
        Some(store) => sqlx::query_scalar::<_, i64>(
            "UPDATE stores SET state = 'connected', state_detail = NULL, name = ?, shop_json = ?, granted_scopes = ?, warnings = ?
             WHERE id = ? AND state = 'disconnected' RETURNING id",
        )
        .bind(&name)
        .bind(shop.to_string())
        .bind(scopes.join(" "))
        .bind(warnings.join("\n"))
        .bind(store.id)
        .fetch_optional(&mut *tx)
        .await,
    };
    let store_id = match saved {
        Ok(Some(id)) => id,
        Ok(None) => return Err(already_connected(domain, &name)),
        Err(err) if db::violates(&err, "stores.shop_domain") => return Err(already_connected(domain, &name)),
        Err(err) => return Err(err.into()),
    };
    sqlx::query(
        "INSERT INTO store_credentials (store_id, api_key, api_password, shared_secret, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(store_id)
    .bind(&checked.api_key)
    .bind(state.sealer.seal(&checked.api_password))
    .bind(state.sealer.seal(&checked.shared_secret))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO sync_jobs (store_id, kind, state, created_at, updated_at) VALUES (?, 'full', 'queued', ?, ?)",
    )
    .bind(store_id)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let action = if existing.is_some() { "Reconnected store" } else { "Registered store" };
    let detail = if warnings.is_empty() { "all permissions granted".to_owned() } else { warnings.join(" ") };
    audit::repo::record(&mut tx, user, action, Some((store_id, &name)), &detail).await?;
    tx.commit().await?;
    state.sync.wake();
    tracing::info!(shop = %domain, store_id, "store registered");
    Ok(store_id)
}

fn already_connected(domain: &ShopDomain, name: &str) -> AppError {
    AppError::Conflict(format!("{domain} is already connected as “{name}”."))
}

/// Disconnects the store and says what happened to storelink's webhooks in Shopify.
pub async fn disconnect(state: &AppState, user: &UserDto, store_id: i64) -> Result<String, AppError> {
    let store: StoreDto = repo::get(&state.pool, store_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That store does not exist.".into()))?;
    if store.state == StoreState::Disconnected {
        return Err(AppError::Conflict(format!("{} is already disconnected.", store.name)));
    }
    let detail = remove_webhooks(state, &store).await?;
    repo::mark_disconnected(&state.pool, user, &store, &detail).await?;
    Ok(format!("Disconnected {}: {detail}.", store.name))
}

/// Deletes the webhook subscriptions storelink created, as far as Shopify lets it.
async fn remove_webhooks(state: &AppState, store: &StoreDto) -> Result<String, AppError> {
    let ids = repo::webhook_ids(&state.pool, store.id).await?;
    if ids.is_empty() {
        return Ok("no webhook subscriptions to remove".into());
    }
    let Some((_, sealed_password, _)) = repo::credentials(&state.pool, store.id).await? else {
        return Ok(format!("{} webhook subscriptions could not be removed (no credentials)", ids.len()));
    };
    let token = state.sealer.open(&sealed_password).map_err(|err| {
        tracing::error!(error = %err, store_id = store.id, "stored credentials could not be opened");
        AppError::Internal
    })?;
    let domain = normalize_store_url(&store.shop_domain).map_err(|_| AppError::Internal)?.domain;
    let mut failed = 0;
    for id in &ids {
        let path = format!("/admin/api/{API_VERSION}/webhooks/{id}.json");
        match state.shopify.delete(&domain, &token, &path).await {
            Ok(_) | Err(ShopifyError::NotFound) => {}
            Err(err) => {
                tracing::warn!(shop = %domain, webhook_id = id, error = %err, "could not remove a webhook subscription");
                failed += 1;
            }
        }
    }
    Ok(match failed {
        0 => format!("{} webhook subscriptions removed", ids.len()),
        n => format!("{} webhook subscriptions removed, {n} could not be removed", ids.len() - n),
    })
}
