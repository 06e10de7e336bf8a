//! Server-side sessions: the cookie carries a random token, the database its hash.

use axum::http::{header, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{password, throttle};
use crate::{
    error::AppError,
    server::db,
    users::{self, repo, UserDto},
};

pub const COOKIE_NAME: &str = "storelink_session";
const SESSION_SECS: i64 = 7 * 24 * 3600;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks an email and password, with the throttle, and returns the user they belong to.
pub async fn authenticate(pool: &db::Pool, email: &str, password: String) -> Result<UserDto, AppError> {
    // An unparseable email is simply a wrong credential: same message, same timing.
    let email = users::normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    throttle::check(pool, &email).await?;
    let found = repo::find_active_for_login(pool, &email).await?;
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    if password::verify(password, stored).await? {
        throttle::clear(pool, &email).await?;
        return user.ok_or(AppError::Internal);
    }
    Err(throttle::record_failure(pool, &email).await?)
}

/// Starts a session for the user and returns the token for the cookie.
pub async fn create(pool: &db::Pool, user_id: i64) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = db::now();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(now)
        .bind(now + SESSION_SECS)
        .execute(pool)
        .await?;
    Ok(token)
}

pub async fn delete(pool: &db::Pool, token: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash(token)).execute(pool).await?;
    Ok(())
}

/// The active user a live session belongs to.
pub async fn user_for_token(pool: &db::Pool, token: &str) -> Result<Option<UserDto>, AppError> {
    let user_id: Option<i64> = sqlx::query_scalar(
        "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ? AND u.active = 1",
    )
    .bind(token_hash(token))
    .bind(db::now())
    .fetch_optional(pool)
    .await?;
    match user_id {
        Some(id) => repo::get(pool, id).await,
        None => Ok(None),
    }
}

/// The session token from the current request's cookies.
pub fn token_from_request() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

pub fn set_cookie(token: &str, secure: bool) {
    write_cookie(&format!("{COOKIE_NAME}={token}; Max-Age={SESSION_SECS}"), secure);
}

pub fn clear_cookie(secure: bool) {
    write_cookie(&format!("{COOKIE_NAME}=; Max-Age=0"), secure);
}

fn write_cookie(value: &str, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!("{value}; Path=/; HttpOnly; SameSite=Lax{secure}");
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        response.append_header(header::SET_COOKIE, value);
    }
}
