//! The `store_credentials` table: each store's sealed credentials, apart from the store so
//! disconnecting deletes them outright.

use super::Credentials;
use crate::{
    db::{self, Conn, Pool},
    error::AppError,
    ids::StoreId,
};

/// Saves the store's credentials.
pub async fn insert(conn: &mut Conn, id: StoreId, credentials: &Credentials) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query(
        "INSERT INTO store_credentials (store_id, kind, api_key, api_password, shared_secret, token_expires_at,
                                        token_renew_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(credentials.kind)
    .bind(&credentials.api_key)
    .bind(&credentials.sealed_token)
    .bind(&credentials.sealed_secret)
    .bind(credentials.token_expires_at)
    .bind(credentials.token_renew_at)
    .bind(db::now())
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The shop's domain and the store's credentials, when it has them.
pub async fn connection(pool: &Pool, id: StoreId) -> Result<Option<(String, Credentials)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        shop_domain: String,
        #[sqlx(flatten)]
        credentials: Credentials,
    }
    let row: Option<Row> = db::run!(pool, c => sqlx::query_as(
        "SELECT s.shop_domain, c.kind, c.api_key, c.api_password, c.shared_secret, c.token_expires_at, c.token_renew_at
         FROM stores s JOIN store_credentials c ON c.store_id = s.id
         WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *c).await)?;
    Ok(row.map(|row| (row.shop_domain, row.credentials)))
}

/// Keeps a renewed token, sealed, and when it expires and is to be renewed.
pub async fn update_token(
    pool: &Pool,
    id: StoreId,
    sealed_token: &[u8],
    expires_at: i64,
    renew_at: i64,
) -> Result<(), AppError> {
    db::run!(pool, c => sqlx::query(
        "UPDATE store_credentials SET api_password = $1, token_expires_at = $2, token_renew_at = $3 WHERE store_id = $4",
    )
    .bind(sealed_token)
    .bind(expires_at)
    .bind(renew_at)
    .bind(id)
    .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The store with this domain, its sealed shared secret (when it has credentials: what a
/// webhook delivery is verified with) and whether its organization has e-commerce on.
pub async fn signing_secret(pool: &Pool, domain: &str) -> Result<Option<(StoreId, Vec<u8>, bool)>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_as(
        "SELECT s.id, c.shared_secret, o.enabled FROM stores s JOIN store_credentials c ON c.store_id = s.id
         JOIN organizations o ON o.id = s.organization_id
         WHERE s.shop_domain = $1",
    )
    .bind(domain)
    .fetch_optional(&mut *c).await)?)
}

/// Every store's sealed API password and shared secret, for re-sealing under a new key.
pub async fn all_sealed(pool: &Pool) -> Result<Vec<(StoreId, Vec<u8>, Vec<u8>)>, AppError> {
    Ok(
        db::run!(pool, c => sqlx::query_as("SELECT store_id, api_password, shared_secret FROM store_credentials").fetch_all(&mut *c).await)?,
    )
}

/// One store's sealed shared secret, if any store has credentials: enough to tell whether a key
/// opens what is stored.
pub async fn one_sealed_secret(pool: &Pool) -> Result<Option<Vec<u8>>, AppError> {
    Ok(db::run!(pool, c => sqlx::query_scalar("SELECT shared_secret FROM store_credentials ORDER BY store_id LIMIT 1")
        .fetch_optional(&mut *c).await)?)
}

pub async fn reseal(
    conn: &mut Conn,
    id: StoreId,
    sealed_password: &[u8],
    sealed_secret: &[u8],
) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("UPDATE store_credentials SET api_password = $1, shared_secret = $2 WHERE store_id = $3")
        .bind(sealed_password)
        .bind(sealed_secret)
        .bind(id)
        .execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Deletes the store's credentials and its record of webhook subscriptions.
pub async fn delete(conn: &mut Conn, id: StoreId) -> Result<(), AppError> {
    db::run!(&mut *conn, c => sqlx::query("DELETE FROM store_credentials WHERE store_id = $1").bind(id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    db::run!(&mut *conn, c => sqlx::query("DELETE FROM store_webhooks WHERE store_id = $1").bind(id).execute(&mut *c).await.map(|done| done.rows_affected()))?;
    Ok(())
}
