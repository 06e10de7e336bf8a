//! API tokens: how the desk's label software calls storelink's HTTP API. A token is shown once,
//! when created; the database keeps only its SHA-256 (as for sessions), its first characters to
//! tell tokens apart, when it was last used, and when it was revoked. (Server only) creating,
//! checking and revoking them, and the `api_tokens` table.

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::ids::{ApiTokenId, OrgId};

/// The longest name a token may have.
pub const MAX_NAME: usize = 100;

/// A token as administrators see it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ApiTokenDto {
    pub id: ApiTokenId,
    pub name: String,
    /// The token's first characters.
    pub prefix: String,
    pub created_by: String,
    /// The administrator who made it (none: the command line); the token sees the stores they
    /// see.
    #[cfg_attr(feature = "ssr", sqlx(rename = "created_by_user_id"))]
    #[serde(skip)]
    pub owner: Option<crate::ids::UserId>,
    /// The organization the token reads and writes in.
    #[cfg_attr(feature = "ssr", sqlx(rename = "organization_id"))]
    pub org: OrgId,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Reads through the API in the last 24 hours.
    pub requests_last_day: i64,
}

/// A new token's name, checked: the field's message when it will not do.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Name the token after what will use it, such as “Label printer”.".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("A token's name has at most {MAX_NAME} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("A token's name is one line of text.".into());
    }
    Ok(name.to_owned())
}

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use super::{check_name, repo, ApiTokenDto};
    use crate::{
        audit::{self, Actor},
        db::{self, Pool},
        error::AppError,
        ids::ApiTokenId,
        secrets::token_hash,
    };

    /// Every token starts so, which tells it apart from other secrets (and lets scanners find
    /// a leaked one).
    const PREFIX: &str = "slk_";
    /// Characters of a token kept to tell it apart: the prefix and 8 more.
    const SHOWN: usize = PREFIX.len() + 8;

    /// Creates a token named `name` for `by` (an administrator, or the command line), in `by`'s
    /// organization: the token, shown this once, and how it is listed.
    pub async fn create(pool: &Pool, name: &str, by: Actor<'_>) -> Result<(ApiTokenDto, String), AppError> {
        let name = check_name(name).map_err(|message| AppError::invalid("name", message))?;
        let token = format!("{PREFIX}{}", crate::secrets::random_token());
        let mut tx = pool.begin().await?;
        let limits = crate::organizations::repo::lock_limits(&mut tx, by.org).await?;
        let live = repo::count_live(&mut tx, by.org).await?;
        crate::organizations::Limits::refuse_more(
            limits.max_api_tokens,
            live,
            ("live API token", "live API tokens"),
            "Revoke one",
        )?;
        let id = repo::insert(&mut tx, &name, &token_hash(&token), &token[..SHOWN], by, db::now()).await?;
        audit::repo::record_by(&mut tx, by, "create API token", None, &name).await?;
        tx.commit().await?;
        let dto = repo::get(pool, by.org, id).await?.ok_or(AppError::Internal)?;
        Ok((dto, token))
    }

    /// How often a token's last use is written: to the minute, so label software calling many
    /// times a second does not make every call wait for the database's write lock.
    const LAST_USE_SECS: i64 = 60;

    /// The live token `presented` is, its last use recorded; `None` for anything else
    /// (unknown, revoked, its owner deactivated, malformed).
    pub async fn verify(pool: &Pool, presented: &str) -> Result<Option<ApiTokenDto>, AppError> {
        if !presented.starts_with(PREFIX) || presented.len() != PREFIX.len() + 64 {
            return Ok(None);
        }
        let Some(mut token) = repo::live(pool, &token_hash(presented)).await? else { return Ok(None) };
        let now = db::now();
        if token.last_used_at.is_none_or(|at| now - at >= LAST_USE_SECS) {
            repo::mark_used(pool, token.id, now).await?;
            token.last_used_at = Some(now);
        }
        Ok(Some(token))
    }

    /// Revokes the token: it stops working at once. The token as it is now, if it exists.
    pub async fn revoke(pool: &Pool, id: ApiTokenId, by: Actor<'_>) -> Result<ApiTokenDto, AppError> {
        let mut tx = pool.begin().await?;
        let name = repo::revoke(&mut tx, by.org, id, db::now())
            .await?
            .ok_or_else(|| AppError::NotFound("That API token does not exist.".into()))?;
        audit::repo::record_by(&mut tx, by, "revoke API token", None, &name).await?;
        tx.commit().await?;
        repo::get(pool, by.org, id).await?.ok_or(AppError::Internal)
    }

    /// The organization's tokens.
    pub async fn list(pool: &Pool, org: crate::ids::OrgId) -> Result<Vec<ApiTokenDto>, AppError> {
        repo::list(pool, org).await
    }

    /// Counts a read through the API in this minute's tally of the token (reads are not audited
    /// one by one: they would bury the changes).
    pub async fn count_read(pool: &Pool, id: ApiTokenId) -> Result<(), AppError> {
        let now = db::now();
        repo::count_read(pool, id, now - now.rem_euclid(60)).await
    }

    /// Revokes every live token `user` created, as their deactivation does, with an audit entry
    /// each, in the caller's transaction.
    pub async fn revoke_all_of(
        conn: &mut db::Conn,
        user: &crate::users::UserDto,
        by: Actor<'_>,
    ) -> Result<usize, AppError> {
        let names = repo::revoke_all_of(conn, user.id, db::now()).await?;
        for name in &names {
            let detail = format!("{name} (its owner {} was deactivated)", user.email);
            audit::repo::record_by(conn, by, "revoke API token", None, &detail).await?;
        }
        Ok(names.len())
    }
}
