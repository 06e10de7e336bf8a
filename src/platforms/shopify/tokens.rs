//! The token each call to a store's shop is made with. A fixed access token is used as it is. A
//! Dev Dashboard app's token expires (24 hours at Shopify): it is renewed through the client
//! credentials grant once less than a quarter of its life (at most an hour) is left, which
//! covers the longest call or download, and once more whenever Shopify answers 401 anyway.
//! Renewal is single-flight per store: many calls that find the token due renew it once.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
};

use super::{
    client::{ShopifyClient, ShopifyError},
    pacing::{backoff, MAX_TRANSIENT_RETRIES},
    ShopDomain,
};
use crate::{
    credentials::{repo, CredentialKind},
    db::{self, Pool},
    error::AppError,
    ids::StoreId,
    secrets::{Sealer, Secret},
};

/// How a store's shop is called right now.
#[derive(Clone)]
pub struct Access {
    pub domain: ShopDomain,
    pub token: Secret,
}

/// Why no call could be made.
#[derive(Debug)]
pub enum TokenError {
    /// The store has no credentials (disconnected meanwhile).
    NoCredentials,
    /// Shopify's answer: to the call, or to the renewal.
    Shopify(ShopifyError),
    Internal(AppError),
}

impl From<AppError> for TokenError {
    fn from(err: AppError) -> TokenError {
        TokenError::Internal(err)
    }
}

/// Seconds before expiry a token is renewed: a quarter of its life, at most an hour.
fn renewal_margin(expires_in: i64) -> i64 {
    (expires_in / 4).min(3600)
}

pub struct Tokens {
    pool: Pool,
    sealer: Sealer,
    shopify: ShopifyClient,
    /// One lock per store, held while its token is renewed.
    renewing: Mutex<HashMap<StoreId, Arc<tokio::sync::Mutex<()>>>>,
}

impl Tokens {
    pub fn new(pool: Pool, sealer: Sealer, shopify: ShopifyClient) -> Arc<Tokens> {
        Arc::new(Tokens { pool, sealer, shopify, renewing: Mutex::new(HashMap::new()) })
    }

    fn open(&self, sealed: &[u8], store_id: StoreId) -> Result<Secret, AppError> {
        self.sealer.open(sealed).map_err(|err| {
            tracing::error!(error = %err, %store_id, "stored credentials could not be opened");
            AppError::Internal
        })
    }

    /// The shop and a token with time left, renewing a token that is due first.
    pub async fn access(&self, store_id: StoreId) -> Result<Access, TokenError> {
        let (domain, credentials) = repo::connection(&self.pool, store_id).await?.ok_or(TokenError::NoCredentials)?;
        let due = credentials.kind == CredentialKind::ClientCredentials
            && credentials.token_renew_at.is_none_or(|at| db::now() >= at);
        if due {
            return self.renew(store_id, None).await;
        }
        let domain = ShopDomain::from_stored(&domain).ok_or(AppError::Internal)?;
        Ok(Access { domain, token: self.open(&credentials.sealed_token, store_id)? })
    }

    /// Renews the store's token: when it is due, or (`rejected`) when Shopify answered 401 to
    /// this token. Whoever comes second finds it renewed already and takes the new one. A
    /// fixed token cannot be renewed: its 401 stands.
    async fn renew(&self, store_id: StoreId, rejected: Option<&Secret>) -> Result<Access, TokenError> {
        let lock = self.renewing.lock().unwrap_or_else(|p| p.into_inner()).entry(store_id).or_default().clone();
        let _renewing = lock.lock().await;
        let (domain, credentials) = repo::connection(&self.pool, store_id).await?.ok_or(TokenError::NoCredentials)?;
        let domain = ShopDomain::from_stored(&domain).ok_or(AppError::Internal)?;
        let current = self.open(&credentials.sealed_token, store_id)?;
        if credentials.kind == CredentialKind::Token {
            return match rejected {
                Some(_) => Err(TokenError::Shopify(ShopifyError::Unauthorized)),
                None => Ok(Access { domain, token: current }),
            };
        }
        let still_due = match rejected {
            Some(rejected) => current == *rejected,
            None => credentials.token_renew_at.is_none_or(|at| db::now() >= at),
        };
        if !still_due {
            return Ok(Access { domain, token: current });
        }
        let secret = self.open(&credentials.sealed_secret, store_id)?;
        // A sync must not fail because its token expired while Shopify had a bad moment: the
        // grant is retried like any other call.
        let mut attempt = 0;
        let grant = loop {
            match self.shopify.client_credentials(&domain, &credentials.api_key, &secret).await {
                Ok(grant) => break grant,
                Err(err) if err.is_transient() && attempt < MAX_TRANSIENT_RETRIES => {
                    attempt += 1;
                    tracing::warn!(%store_id, error = %err, attempt, "renewing the store's token failed; trying again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(err) => return Err(TokenError::Shopify(err)),
            }
        };
        let now = db::now();
        let expires_at = now + grant.expires_in;
        let renew_at = expires_at - renewal_margin(grant.expires_in);
        repo::update_token(&self.pool, store_id, &self.sealer.seal(&grant.token), expires_at, renew_at).await?;
        tracing::info!(%store_id, shop = %domain, "renewed the store's access token");
        Ok(Access { domain, token: grant.token })
    }

    /// Makes `call` with the store's token; if Shopify answers 401, renews the token (when it
    /// can be renewed) and makes the call once more.
    pub async fn call<T, F>(&self, store_id: StoreId, mut call: impl FnMut(Access) -> F) -> Result<T, TokenError>
    where
        F: Future<Output = Result<T, ShopifyError>>,
    {
        let access = self.access(store_id).await?;
        let rejected = access.token.clone();
        match call(access).await {
            Err(ShopifyError::Unauthorized) => {
                let fresh = self.renew(store_id, Some(&rejected)).await?;
                call(fresh).await.map_err(TokenError::Shopify)
            }
            other => other.map_err(TokenError::Shopify),
        }
    }
}

/// A token and when to renew it, for a store registered with a Dev Dashboard app's credentials.
pub fn first_token(expires_in: i64) -> (i64, i64) {
    let expires_at = db::now() + expires_in;
    (expires_at, expires_at - renewal_margin(expires_in))
}

#[cfg(test)]
mod tests {
    use super::renewal_margin;

    #[test]
    fn tokens_are_renewed_a_quarter_of_their_life_early_at_most_an_hour() {
        assert_eq!(renewal_margin(86_399), 3600);
        assert_eq!(renewal_margin(3600), 900);
        assert_eq!(renewal_margin(8), 2);
    }
}
