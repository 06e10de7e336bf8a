//! Who someone is: password hashing, sign-in with its throttle, and server-side sessions. The
//! server functions and the session cookie are the `api` layer's; this module knows no HTTP.

pub mod password;
pub mod repo;
pub mod session;
pub mod throttle;

use crate::{
    db::Pool,
    error::AppError,
    ids::UserId,
    users::{self, UserDto},
};

/// Checks an email and password, with the throttle, and returns the user they belong to.
pub async fn authenticate(pool: &Pool, email: &str, password: String) -> Result<UserDto, AppError> {
    // An unparseable email is simply a wrong credential: same message, same timing.
    let email = users::normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    throttle::check(pool, &email).await?;
    let found = users::repo::find_active_for_login(pool, &email).await?;
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

/// Deactivates a user and ends every session they have, in one transaction.
pub async fn deactivate_user(pool: &Pool, id: UserId) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if !users::repo::deactivate(&mut tx, id).await? {
        drop(tx);
        return Err(users::repo::deactivation_refused(pool, id).await);
    }
    repo::end_sessions_of(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
