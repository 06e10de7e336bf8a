//! Server-side sessions: the cookie carries a random token, the database only its SHA-256, so a
//! copy of the database cannot be replayed as a session.

use super::repo;
use crate::{
    db::{self, Pool},
    error::AppError,
    ids::UserId,
    users::{self, UserDto},
};

/// How long a session lasts.
pub const SESSION_SECS: i64 = 7 * 24 * 3600;

pub use crate::secrets::token_hash;

/// Starts a session for the user and returns the token for the cookie.
pub async fn create(pool: &Pool, user_id: UserId) -> Result<String, AppError> {
    let token = crate::secrets::random_token();
    let now = db::now();
    repo::insert_session(pool, &token_hash(&token), user_id, now, now + SESSION_SECS).await?;
    Ok(token)
}

pub async fn end(pool: &Pool, token: &str) -> Result<(), AppError> {
    repo::delete_session(pool, &token_hash(token)).await
}

/// The active user a live session belongs to.
pub async fn user_for_token(pool: &Pool, token: &str) -> Result<Option<UserDto>, AppError> {
    user_for_hash(pool, &token_hash(token)).await
}

/// When the session with this token hash runs out, while it is live.
pub async fn expires_at(pool: &Pool, hash: &str) -> Result<Option<i64>, AppError> {
    repo::session_expiry(pool, hash, db::now()).await
}

/// The active user a live session (by its token hash) belongs to.
pub async fn user_for_hash(pool: &Pool, hash: &str) -> Result<Option<UserDto>, AppError> {
    match repo::session_user(pool, hash, db::now()).await? {
        Some(id) => users::repo::get_active(pool, id).await,
        None => Ok(None),
    }
}
