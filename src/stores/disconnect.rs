//! Ending a store's connection: disconnecting it (by an administrator, or by Shopify when the
//! app is uninstalled) and removing a disconnected store with its data.

use super::{
    repo,
    tokens::{TokenError, Tokens},
    StoreState,
};
use crate::{
    audit,
    db::Pool,
    error::AppError,
    ids::StoreId,
    jobs, records,
    shopify::{client::ShopifyClient, graphql::Query, queries},
    users::UserDto,
};

/// Stops synchronization, removes storelink's webhooks from Shopify (best effort), deletes the
/// credentials and keeps the synced data. Says what happened, in words.
pub async fn disconnect(
    pool: &Pool,
    shopify: &ShopifyClient,
    tokens: &Tokens,
    user: &UserDto,
    store_id: StoreId,
) -> Result<String, AppError> {
    let store = repo::get(pool, store_id).await?.ok_or_else(not_found)?;
    if store.state == StoreState::Disconnected {
        return Err(AppError::Conflict(format!("{} is already disconnected.", store.name)));
    }
    let detail = remove_webhooks(pool, shopify, tokens, store_id).await?;
    let mut tx = pool.begin().await?;
    repo::mark_disconnected(&mut tx, store_id, None).await?;
    repo::delete_credentials(&mut tx, store_id).await?;
    jobs::repo::cancel_active(&mut tx, store_id).await?;
    audit::repo::record_by(
        &mut tx,
        Some(user.id),
        &user.email,
        "Disconnected store",
        Some((store_id, &store.name)),
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(format!("Disconnected {}: {detail}.", store.name))
}

fn not_found() -> AppError {
    AppError::NotFound(crate::error::text::NO_SUCH_STORE.into())
}

/// Deletes the webhook subscriptions storelink created, as far as Shopify lets it.
async fn remove_webhooks(
    pool: &Pool,
    shopify: &ShopifyClient,
    tokens: &Tokens,
    store_id: StoreId,
) -> Result<String, AppError> {
    let ids = repo::webhook_ids(pool, store_id).await?;
    if ids.is_empty() {
        return Ok("no webhook subscriptions to remove".into());
    }
    let mut failed = 0;
    for id in &ids {
        let query = Query {
            text: queries::UNSUBSCRIBE,
            variables: serde_json::json!({"id": format!("gid://shopify/WebhookSubscription/{id}")}),
            cost: 10.0,
        };
        let deleted = tokens
            .call(store_id, |access| {
                let query = &query;
                // One Shopify no longer has (a userError) is as good as removed.
                async move { shopify.graphql(&access.domain, &access.token, query, &mut |_| {}).await.map(drop) }
            })
            .await;
        match deleted {
            Ok(()) => {}
            Err(TokenError::NoCredentials) => {
                return Ok(format!("{} webhook subscriptions could not be removed (no credentials)", ids.len()));
            }
            Err(TokenError::Internal(err)) => return Err(err),
            Err(TokenError::Shopify(err)) => {
                tracing::warn!(%store_id, webhook_id = id, error = %err, "could not remove a webhook subscription");
                failed += 1;
            }
        }
    }
    Ok(match failed {
        0 => format!("{} webhook subscriptions removed", ids.len()),
        n => format!("{} webhook subscriptions removed, {n} could not be removed", ids.len() - n),
    })
}

/// Shopify says the app was uninstalled: the credentials no longer work, so they go, and the
/// store waits for an administrator to reconnect it.
pub async fn uninstalled(pool: &Pool, store_id: StoreId) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let detail = "App uninstalled in Shopify — reconnect";
    let Some(name) = repo::mark_disconnected(&mut tx, store_id, Some(detail)).await? else { return Ok(()) };
    repo::delete_credentials(&mut tx, store_id).await?;
    jobs::repo::cancel_active(&mut tx, store_id).await?;
    audit::repo::record_for_shopify(&mut tx, "App uninstalled", Some((store_id, &name)), "credentials deleted").await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a disconnected store and its synced data; connected stores are refused.
pub async fn remove(pool: &Pool, user: &UserDto, store_id: StoreId) -> Result<(), AppError> {
    // The DELETE comes first, so the transaction takes SQLite's write lock at once (a read
    // first could not be upgraded while the sync engine writes).
    let mut tx = pool.begin().await?;
    let Some(name) = repo::delete_disconnected(&mut tx, store_id).await? else {
        drop(tx);
        return match repo::get(pool, store_id).await? {
            None => Err(not_found()),
            Some(store) => Err(AppError::Conflict(format!("Disconnect {} before removing it.", store.name))),
        };
    };
    records::repo::erase(&mut tx, store_id).await?;
    let detail = "the store and its synced data were deleted";
    audit::repo::record_by(&mut tx, Some(user.id), &user.email, "Removed store", Some((store_id, &name)), detail)
        .await?;
    tx.commit().await?;
    Ok(())
}
