//! What storelink holds to call a store's platform: a public identifier, a sealed secret that
//! authenticates calls, and a sealed secret that signs the platform's webhooks, each platform
//! naming them its own way (Shopify's API key, API password and Shared Secret; WooCommerce's
//! Consumer key and secret and the webhook secret storelink chose).

pub mod repo;

use serde::{Deserialize, Serialize};

/// How a store's calls are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A secret that does not expire (Shopify's Admin API access token of a custom or private
    /// app, WooCommerce's Consumer secret).
    Token,
    /// A Shopify Dev Dashboard app's Client ID and secret, exchanged for tokens that expire.
    ClientCredentials,
}

crate::db::text_column!(CredentialKind { Token => "token", ClientCredentials => "client_credentials" });

/// A store's credentials as stored: the token (the API password, a Consumer secret, or the latest
/// token from the client credentials grant) and the secret webhooks are signed with, sealed.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub kind: CredentialKind,
    /// The API key, Client ID or Consumer key.
    pub api_key: String,
    #[sqlx(rename = "api_password")]
    pub sealed_token: Vec<u8>,
    #[sqlx(rename = "shared_secret")]
    pub sealed_secret: Vec<u8>,
    pub token_expires_at: Option<i64>,
    /// From when an expiring token is renewed.
    pub token_renew_at: Option<i64>,
}

/// Opens every stored credential with `old` and seals it again with `new`, in one transaction;
/// returns how many stores' credentials were re-sealed.
pub async fn reseal_all(
    pool: &crate::db::Pool,
    old: &crate::secrets::Sealer,
    new: &crate::secrets::Sealer,
) -> anyhow::Result<usize> {
    let sealed = repo::all_sealed(pool).await?;
    let mut tx = pool.begin().await?;
    for (store_id, token, secret) in &sealed {
        repo::reseal(&mut tx, *store_id, &new.seal(&old.open(token)?), &new.seal(&old.open(secret)?)).await?;
    }
    tx.commit().await?;
    Ok(sealed.len())
}
