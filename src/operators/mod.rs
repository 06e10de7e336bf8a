//! The operator's accounts: the provider's staff who create, enable, limit and remove
//! organizations (`organizations`) on the Operator page. An operator belongs to no organization:
//! their accounts and sessions are tables of their own, so nothing an organization's users can
//! reach knows them, and an operator's session opens nothing but the Operator page.

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::ids::OperatorId;

/// An operator, as the Operator page shows who is signed in: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Operator {
    pub id: OperatorId,
    pub email: String,
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::{repo, Operator};
    use crate::{
        auth::{self, Attempt},
        db::{self, Pool},
        error::AppError,
    };

    /// How long an operator's session lasts: a working day, shorter than a user's, since it
    /// opens every organization's settings.
    pub const SESSION_SECS: i64 = 12 * 3600;

    /// Creates an operator account; `password_hash` already computed.
    pub async fn create(pool: &Pool, email: &str, password_hash: &str) -> Result<Operator, AppError> {
        let email = crate::users::normalize_email(email)?;
        repo::create(pool, &email, password_hash).await
    }

    /// Checks an operator's email and password, with the same throttles as users' sign-in.
    pub async fn authenticate(pool: &Pool, attempt: Attempt<'_>) -> Result<Operator, AppError> {
        auth::check(pool, attempt, "operator:", |email| async move { repo::find_for_login(pool, &email).await }).await
    }

    /// Starts a session for the operator and returns the token for their cookie.
    pub async fn start_session(pool: &Pool, operator: &Operator) -> Result<String, AppError> {
        let token = crate::secrets::random_token();
        let now = db::now();
        repo::insert_session(pool, &crate::secrets::token_hash(&token), operator.id, now, now + SESSION_SECS).await?;
        Ok(token)
    }

    /// The operator a live session's token belongs to.
    pub async fn for_token(pool: &Pool, token: &str) -> Result<Option<Operator>, AppError> {
        repo::session_operator(pool, &crate::secrets::token_hash(token), db::now()).await
    }

    pub async fn end_session(pool: &Pool, token: &str) -> Result<(), AppError> {
        repo::delete_session(pool, &crate::secrets::token_hash(token)).await
    }

    /// Deletes expired operator sessions, so the table does not grow without bound.
    pub async fn expire_stale(pool: &Pool, now: i64) -> Result<(), AppError> {
        repo::delete_expired_sessions(pool, now).await
    }
}
