//! Organizations: the companies one storelink serves. Every user, store, API token and audit
//! entry belongs to one (and everything else to one of those); an installation that never made
//! a second has one, "Default", which its existing data moved into.

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::ids::OrgId;

/// The longest name an organization may have.
pub const MAX_NAME: usize = 100;

/// Renames the organization named `from` to `to`, with an audit entry in it by `by` (the
/// operator's command line).
#[cfg(feature = "ssr")]
pub async fn rename(pool: &crate::db::Pool, from: &str, to: &str, by: &str) -> Result<(), crate::error::AppError> {
    let to = check_name(to)?;
    let mut tx = pool.begin().await?;
    let Some(org) = repo::rename(&mut tx, from.trim(), to).await? else {
        return Err(no_such(from));
    };
    let actor = crate::audit::Actor { org, user: None, name: by };
    crate::audit::repo::record_by(&mut tx, actor, "rename organization", None, &format!("{} → {to}", from.trim()))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// What every command naming an organization says when there is none of that name.
#[cfg(feature = "ssr")]
pub fn no_such(name: &str) -> crate::error::AppError {
    crate::error::AppError::NotFound(format!("There is no organization named {}.", name.trim()))
}

/// Checks an organization's name: one line of 1 to [`MAX_NAME`] characters.
#[cfg(feature = "ssr")]
fn check_name(name: &str) -> Result<&str, crate::error::AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.contains(['\n', '\r']) {
        return Err(crate::error::AppError::invalid(
            "name",
            format!("Name the organization in 1 to {MAX_NAME} characters."),
        ));
    }
    Ok(name)
}

/// Creates an organization, e-commerce on or off, noted in its own audit log by `by` (the
/// operator).
#[cfg(feature = "ssr")]
pub async fn create(
    pool: &crate::db::Pool,
    name: &str,
    enabled: bool,
    by: &str,
) -> Result<OrgId, crate::error::AppError> {
    let name = check_name(name)?;
    let mut tx = pool.begin().await?;
    let org = repo::create(&mut tx, name, enabled).await?;
    let detail = format!("{name}, e-commerce {}", if enabled { "on" } else { "off" });
    crate::audit::repo::record_by(
        &mut tx,
        crate::audit::Actor { org, user: None, name: by },
        "create organization",
        None,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(org)
}

/// Removes the organization named `name` and everything of it, once `confirm` names it too
/// (whatever the case); noted in the operator's log, which outlives it. The installation's last
/// organization stays. Its stores' webhook subscriptions at their platforms are not removed
/// (their deliveries are refused from then on).
#[cfg(feature = "ssr")]
pub async fn remove(
    pool: &crate::db::Pool,
    name: &str,
    confirm: &str,
    by: &str,
) -> Result<repo::Removed, crate::error::AppError> {
    use crate::error::AppError;
    let (name, confirm) = (name.trim(), confirm.trim());
    let Some(org) = repo::named(pool, name).await? else {
        return Err(no_such(name));
    };
    if confirm.to_lowercase() != name.to_lowercase() {
        return Err(AppError::invalid(
            "confirm",
            format!("To remove it, type its name, {name}, to confirm. Nothing was removed."),
        ));
    }
    let mut tx = pool.begin().await?;
    // Counted with every organization's row held, so two removals at once cannot leave none.
    let all = repo::lock_all(&mut tx).await?;
    if all.len() < 2 {
        return Err(AppError::Conflict(format!("{name} is the only organization; it stays.")));
    }
    // Noted by the name it had, whatever case it was typed in.
    let name = all.iter().find(|(id, _)| *id == org).map_or(name, |(_, had)| had.as_str());
    let removed = repo::delete_everything(&mut tx, org).await?;
    let detail = format!(
        "{} stores, {} users, {} API tokens and {} audit entries deleted",
        removed.stores, removed.users, removed.api_tokens, removed.audit_entries
    );
    repo::note_operator(&mut tx, by, "remove organization", name, &detail).await?;
    tx.commit().await?;
    Ok(removed)
}

/// Turns e-commerce on or off for the organization named `name`, noted in its audit log by
/// `by`. Off, its users sign in to a message and nothing of it syncs or is sent; its data stays.
#[cfg(feature = "ssr")]
pub async fn set_enabled(
    pool: &crate::db::Pool,
    name: &str,
    enabled: bool,
    by: &str,
) -> Result<(), crate::error::AppError> {
    let mut tx = pool.begin().await?;
    let Some((org, was)) = repo::set_enabled(&mut tx, name, enabled).await? else {
        return Err(no_such(name));
    };
    if !enabled {
        crate::jobs::repo::cancel_active_of(&mut tx, org).await?;
    }
    if was != enabled {
        let action = if enabled { "enable e-commerce" } else { "disable e-commerce" };
        crate::audit::repo::record_by(
            &mut tx,
            crate::audit::Actor { org, user: None, name: by },
            action,
            None,
            name.trim(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What the operator allows an organization at most (`None`: no limit), so that one cannot take
/// the others' share of the server: stores, active users, live API tokens, sync jobs at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Limits {
    pub max_stores: Option<i64>,
    pub max_users: Option<i64>,
    pub max_api_tokens: Option<i64>,
    pub max_sync_jobs: Option<i64>,
}

impl Limits {
    /// Refuses one more of what is counted (`(one, many)`, as it is named) when the organization
    /// has `count` and its limit is reached; `undo` says how to make room.
    pub fn refuse_more(
        limit: Option<i64>,
        count: i64,
        (one, many): (&str, &str),
        undo: &str,
    ) -> Result<(), crate::error::AppError> {
        match limit {
            Some(max) if count >= max => Err(crate::error::AppError::Conflict(format!(
                "Your organization can have at most {max} {}. {undo}, or ask your account representative for more.",
                if max == 1 { one } else { many }
            ))),
            _ => Ok(()),
        }
    }
}

/// A limit as typed: a number from 0, or nothing (or `none`) for no limit.
pub fn parse_limit(text: &str) -> Result<Option<i64>, crate::error::AppError> {
    match text.trim() {
        "" | "none" => Ok(None),
        number => number.parse::<u32>().map(|n| Some(n.into())).map_err(|_| {
            crate::error::AppError::invalid(
                "limit",
                format!("{number} is not a limit: write a number from 0, or nothing for no limit."),
            )
        }),
    }
}

/// Sets the limits of the organization named `name`, noted in its audit log by `by`.
#[cfg(feature = "ssr")]
pub async fn set_limits(
    pool: &crate::db::Pool,
    name: &str,
    limits: &Limits,
    by: &str,
) -> Result<(), crate::error::AppError> {
    use crate::error::AppError;
    if [limits.max_stores, limits.max_users, limits.max_api_tokens, limits.max_sync_jobs]
        .iter()
        .flatten()
        .any(|n| *n < 0)
    {
        return Err(AppError::invalid("limit", "A limit is a number from 0, or none."));
    }
    let mut tx = pool.begin().await?;
    let Some(org) = repo::set_limits(&mut tx, name, limits).await? else {
        return Err(no_such(name));
    };
    let said = |n: Option<i64>| n.map_or_else(|| "none".to_owned(), |n| n.to_string());
    let detail = format!(
        "stores {}, users {}, API tokens {}, sync jobs at once {}",
        said(limits.max_stores),
        said(limits.max_users),
        said(limits.max_api_tokens),
        said(limits.max_sync_jobs)
    );
    crate::audit::repo::record_by(
        &mut tx,
        crate::audit::Actor { org, user: None, name: by },
        "set limits",
        None,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An organization as the operator sees it: whether e-commerce is on, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub enabled: bool,
    pub stores: i64,
    pub users: i64,
    /// When any of its stores last finished a sync (Unix seconds).
    pub last_synced_at: Option<i64>,
    #[cfg_attr(feature = "ssr", sqlx(flatten))]
    pub limits: Limits,
}
