//! Who someone is: password hashing, sign-in with its throttle, and server-side sessions. The
//! server functions and the session cookie are the `api` layer's; this module knows no HTTP.

pub mod device;
pub mod password;
pub mod repo;
pub mod session;
pub mod throttle;

use std::net::IpAddr;

use self::throttle::Key;
use crate::{
    db::Pool,
    error::AppError,
    ids::UserId,
    users::{self, UserDto},
};

/// A sign-in attempt, with what is known about where it comes from.
pub struct Attempt<'a> {
    pub email: &'a str,
    pub password: String,
    /// The client's network address, when known.
    pub client: Option<IpAddr>,
    /// The browser has signed in to this account before (`device`).
    pub known_device: bool,
}

/// The form an email is throttled, tagged and looked up in: normalised when it is an email,
/// else trimmed and lower-cased (an unparseable email is simply a wrong credential: same
/// message, same timing).
pub fn login_email(typed: &str) -> String {
    users::normalize_email(typed).unwrap_or_else(|_| typed.trim().to_lowercase())
}

/// Checks an email and password, with the throttles, and returns the user they belong to.
/// Inputs too long to be real are refused before anything is hashed or stored.
pub async fn authenticate(pool: &Pool, attempt: Attempt<'_>) -> Result<UserDto, AppError> {
    check(pool, attempt, "", |email| async move { users::repo::find_active_for_login(pool, &email).await }).await
}

/// Checks a sign-in attempt, with the throttles, against the account `find` reads for its
/// (normalised) email with its password hash: a user's, an operator's. `kind` keeps one kind of
/// account's failures from counting against another kind's of the same email.
pub async fn check<A, Found>(
    pool: &Pool,
    attempt: Attempt<'_>,
    kind: &str,
    find: impl FnOnce(String) -> Found,
) -> Result<A, AppError>
where
    Found: std::future::Future<Output = Result<Option<(A, String)>, AppError>>,
{
    users::check_lengths(attempt.email, &attempt.password)?;
    let email = login_email(attempt.email);
    let account = Key::account(&format!("{kind}{email}"));
    let client = attempt.client.map(Key::Client);
    // An unknown device is refused after failures at this account from its own address; from
    // elsewhere it is only slowed down (see `throttle`).
    let refusing = attempt.client.map_or_else(|| account.clone(), |address| account.from_client(address));
    let mut keys = vec![&account, &refusing];
    keys.extend(client.as_ref());
    let _turn = throttle::take_turn(&keys).await;
    if let Some(client) = &client {
        throttle::check(pool, client).await?;
    }
    if !attempt.known_device {
        throttle::check(pool, &refusing).await?;
        tokio::time::sleep(throttle::pause(pool, &account).await?).await;
    }
    let (found, stored) = match find(email).await? {
        Some((found, hash)) => (Some(found), Some(hash)),
        None => (None, None),
    };
    if password::verify(attempt.password, stored).await? {
        throttle::clear(pool, &account).await?;
        throttle::clear(pool, &refusing).await?;
        return found.ok_or(AppError::Internal);
    }
    let mut shown = AppError::InvalidCredentials;
    if refusing != account {
        throttle::record_failure(pool, &account).await?;
    }
    if let Some(refusal) = throttle::record_failure(pool, &refusing).await? {
        // A known device is not held back by the account's count, so it is not told it is.
        if !attempt.known_device {
            shown = refusal;
        }
    }
    if let Some(client) = &client {
        if let Some(refusal) = throttle::record_failure(pool, client).await? {
            shown = refusal;
        }
    }
    Err(shown)
}

/// Deletes expired sessions and throttle counts nobody has added to for longer than the longest
/// wait, so neither table grows without bound.
pub async fn expire_stale(pool: &Pool, now: i64) -> Result<(), AppError> {
    repo::delete_expired_sessions(pool, now).await?;
    repo::delete_failures_before(pool, now - throttle::MAX_WAIT_SECS - 3600).await
}

/// Deactivates a user, ends every session they have and revokes every API token they created,
/// with an audit entry for each, in one transaction. Their open progress streams are the
/// caller's to end (the server's hub).
pub async fn deactivate_user(pool: &Pool, id: UserId, by: crate::audit::Actor<'_>) -> Result<(), AppError> {
    let Some(user) = users::repo::get(pool, by.org, id).await? else {
        return Err(AppError::NotFound(crate::error::text::NO_SUCH_USER.into()));
    };
    let mut tx = pool.begin().await?;
    if !users::repo::deactivate(&mut tx, by.org, id).await? {
        drop(tx);
        return Err(users::repo::refusal(pool, by.org, id).await);
    }
    repo::end_sessions_of(&mut tx, id).await?;
    let revoked = crate::api_tokens::revoke_all_of(&mut tx, &user, by).await?;
    let detail = match revoked {
        0 => user.email.clone(),
        1 => format!("{}; their API token was revoked", user.email),
        n => format!("{}; their {n} API tokens were revoked", user.email),
    };
    crate::audit::repo::record_by(&mut tx, by, "deactivate user", None, &detail).await?;
    tx.commit().await?;
    Ok(())
}
