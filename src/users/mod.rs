//! Users and their roles: what both sides share, the rules for emails and passwords, and (server
//! only) the `users` table.

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::{
    error::{text, AppError},
    ids::{OrgId, UserId},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Standard,
}

#[cfg(feature = "ssr")]
crate::db::text_column!(Role { Admin => "admin", Standard => "standard" });

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Standard => "standard",
        }
    }

    pub fn parse(text: &str) -> Result<Role, AppError> {
        match text.trim() {
            "admin" => Ok(Role::Admin),
            "standard" => Ok(Role::Standard),
            _ => Err(AppError::invalid("role", text::ROLE)),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Standard => "Standard user",
        }
    }
}

/// A user as the browser sees it: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserDto {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub active: bool,
    /// The organization the user belongs to (their role is within it).
    #[cfg_attr(feature = "ssr", sqlx(rename = "organization_id"))]
    pub org: OrgId,
    /// Whether they see all of the organization's stores; when not, only those an
    /// administrator chose for them ([`StoreAccess`]). Administrators always see all.
    pub all_stores: bool,
}

/// Which of the organization's stores someone sees: all of them (administrators, API tokens of
/// administrators, and standard users by default), or only those an administrator chose, each
/// at all its locations or at some.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoreAccess {
    #[default]
    All,
    Only(Vec<StoreSight>),
}

/// A store chosen for a user, and which of its locations' orders they see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSight {
    pub store: crate::ids::StoreId,
    /// Its locations' ids (the platform's); empty: every location.
    pub locations: Vec<i64>,
}

impl StoreAccess {
    pub fn sees(&self, store: crate::ids::StoreId) -> bool {
        match self {
            StoreAccess::All => true,
            StoreAccess::Only(sights) => sights.iter().any(|s| s.store == store),
        }
    }

    /// The stores seen at some of their locations only, with those locations: what the queue,
    /// a store's orders and recording a shipment narrow to.
    pub fn narrowed(&self) -> Vec<(crate::ids::StoreId, Vec<i64>)> {
        match self {
            StoreAccess::All => Vec::new(),
            StoreAccess::Only(sights) => {
                sights.iter().filter(|s| !s.locations.is_empty()).map(|s| (s.store, s.locations.clone())).collect()
            }
        }
    }

    /// Whether they see a shipment, order or parcel of `store` at `location`.
    pub fn sees_at(&self, store: crate::ids::StoreId, location: Option<i64>) -> bool {
        self.sees(store) && self.locations_of(store).is_none_or(|seen| location.is_some_and(|at| seen.contains(&at)))
    }

    /// The locations of `store` its holder works with, when not all of them.
    pub fn locations_of(&self, store: crate::ids::StoreId) -> Option<Vec<i64>> {
        self.narrowed().into_iter().find(|(s, _)| *s == store).map(|(_, locations)| locations)
    }
}

impl UserDto {
    /// The user, as the audit log names who did something.
    pub fn actor(&self) -> crate::audit::Actor<'_> {
        crate::audit::Actor { org: self.org, user: Some(self.id), name: &self.email }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether an administrator limited them to some stores (which never binds an
    /// administrator).
    pub fn limited_to_some_stores(&self) -> bool {
        !self.all_stores && !self.is_admin()
    }
}

/// The stores a user sees, as of now.
#[cfg(feature = "ssr")]
pub async fn store_access(pool: &crate::db::Pool, user: &UserDto) -> Result<StoreAccess, AppError> {
    if !user.limited_to_some_stores() {
        return Ok(StoreAccess::All);
    }
    Ok(StoreAccess::Only(repo::chosen_stores(pool, user.id).await?))
}

/// Lets a standard user see all of the organization's stores (`None`), or only `stores`, each
/// with its name (each the organization's, and its locations the store's: the caller checked),
/// noted in the audit log.
#[cfg(feature = "ssr")]
pub async fn limit_stores(
    pool: &crate::db::Pool,
    id: UserId,
    stores: Option<&[(StoreSight, String)]>,
    by: crate::audit::Actor<'_>,
) -> Result<(), AppError> {
    let Some(user) = repo::get(pool, by.org, id).await? else {
        return Err(AppError::NotFound(text::NO_SUCH_USER.into()));
    };
    if user.is_admin() {
        return Err(AppError::Conflict(format!(
            "{} is an administrator and sees every store. Make them a standard user first.",
            user.email
        )));
    }
    let mut tx = pool.begin().await?;
    let sights: Vec<StoreSight> = stores.unwrap_or_default().iter().map(|(sight, _)| sight.clone()).collect();
    repo::set_stores(&mut tx, by.org, id, stores.is_none(), &sights).await?;
    let detail = match stores {
        None => format!("{}: all stores", user.email),
        Some([]) => format!("{}: no stores", user.email),
        Some(stores) => {
            let names: Vec<String> = stores
                .iter()
                .map(|(sight, name)| match sight.locations.len() {
                    0 => name.clone(),
                    1 => format!("{name} (1 location)"),
                    n => format!("{name} ({n} locations)"),
                })
                .collect();
            format!("{}: only {}", user.email, names.join(", "))
        }
    };
    crate::audit::repo::record_by(&mut tx, by, "limit stores", None, &detail).await?;
    tx.commit().await?;
    Ok(())
}

/// The shortest password storelink accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest email address there can be (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longer than any passphrase; Argon2 would hash more, but nothing is gained by letting it.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Refuses an email or password too long to be real, before anything is hashed or stored.
pub fn check_lengths(email: &str, password: &str) -> Result<(), AppError> {
    if email.trim().len() > MAX_EMAIL_BYTES {
        return Err(AppError::invalid("email", text::EMAIL_TOO_LONG));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid("password", text::PASSWORD_TOO_LONG));
    }
    Ok(())
}

/// Characters that show nothing: an address carrying one looks like another user's.
#[cfg(feature = "ssr")]
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Checks an email address and puts it in the one form it is compared and stored in: Unicode
/// compatibility-normalised (NFKC: a fullwidth `ｓｔｄ` is `std`), lower-cased. An address with an
/// invisible character is refused rather than silently changed. The one place emails are
/// validated.
#[cfg(feature = "ssr")]
pub fn normalize_email(raw: &str) -> Result<String, AppError> {
    use unicode_normalization::UnicodeNormalization;
    let trimmed = raw.trim();
    if trimmed.chars().any(is_invisible) {
        return Err(AppError::invalid("email", text::EMAIL_INVISIBLE));
    }
    let email: String = trimmed.nfkc().collect::<String>().to_lowercase().nfkc().collect();
    let valid = email.len() <= MAX_EMAIL_BYTES
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err(AppError::invalid("email", text::EMAIL))
    }
}

pub fn check_password_strength(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid("password", text::PASSWORD_TOO_SHORT));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid("password", text::PASSWORD_TOO_LONG));
    }
    Ok(())
}

/// Creates a user in `by`'s organization, with its audit entry; `by` is the administrator (or
/// the command line) who does it.
#[cfg(feature = "ssr")]
pub async fn create(
    pool: &crate::db::Pool,
    email: &str,
    role: Role,
    password_hash: &str,
    by: crate::audit::Actor<'_>,
) -> Result<UserDto, AppError> {
    let mut tx = pool.begin().await?;
    let user = create_in(&mut tx, email, role, password_hash, by).await?;
    tx.commit().await?;
    Ok(user)
}

/// Creates a user within the organization's limit of active users, in the caller's
/// transaction, with its audit entry.
#[cfg(feature = "ssr")]
async fn create_in(
    conn: &mut crate::db::Conn,
    email: &str,
    role: Role,
    password_hash: &str,
    by: crate::audit::Actor<'_>,
) -> Result<UserDto, AppError> {
    let limits = crate::organizations::repo::lock_limits(&mut *conn, by.org).await?;
    let active = repo::count_active(&mut *conn, by.org).await?;
    crate::organizations::Limits::refuse_more(
        limits.max_users,
        active,
        ("active user", "active users"),
        "Deactivate one",
    )?;
    let user = repo::create(&mut *conn, by.org, email, role, password_hash).await?;
    let detail = format!("{} as {}", user.email, role.label());
    crate::audit::repo::record_by(&mut *conn, by, "create user", None, &detail).await?;
    Ok(user)
}

/// How long an invitation link can be used.
pub const INVITATION_SECS: i64 = 7 * 24 * 3600;

/// An invitation, as the page it links to shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationDto {
    pub organization: String,
    pub email: String,
    pub role: Role,
}

/// Invites `email` to be a user of `by`'s organization with `role`: the email as it is kept,
/// and the token for the link, shown this once (the database keeps its SHA-256). Noted in the
/// organization's audit log.
#[cfg(feature = "ssr")]
pub async fn invite(
    pool: &crate::db::Pool,
    email: &str,
    role: Role,
    by: crate::audit::Actor<'_>,
) -> Result<(String, String), AppError> {
    let email = normalize_email(email)?;
    if repo::email_taken(pool, &email).await? {
        return Err(AppError::invalid("email", text::EMAIL_TAKEN));
    }
    let token = crate::secrets::random_token();
    let now = crate::db::now();
    let mut tx = pool.begin().await?;
    repo::insert_invitation(
        &mut tx,
        by.org,
        &email,
        role,
        &crate::secrets::token_hash(&token),
        now,
        now + INVITATION_SECS,
    )
    .await?;
    let detail = format!("{email} as {}", role.label());
    crate::audit::repo::record_by(&mut tx, by, "invite user", None, &detail).await?;
    tx.commit().await?;
    Ok((email, token))
}

/// The invitation a link's token is, while it can be accepted.
#[cfg(feature = "ssr")]
pub async fn invitation(pool: &crate::db::Pool, token: &str) -> Result<InvitationDto, AppError> {
    repo::open_invitation(pool, &crate::secrets::token_hash(token), crate::db::now())
        .await?
        .ok_or_else(|| AppError::NotFound(text::INVITATION_GONE.into()))
}

/// Accepts an invitation: its user is created with `password_hash` (within the organization's
/// limit), once; noted in the organization's audit log by the new user.
#[cfg(feature = "ssr")]
pub async fn accept_invitation(pool: &crate::db::Pool, token: &str, password_hash: &str) -> Result<UserDto, AppError> {
    let mut tx = pool.begin().await?;
    let Some((org, email, role)) =
        repo::take_invitation(&mut tx, &crate::secrets::token_hash(token), crate::db::now()).await?
    else {
        return Err(AppError::NotFound(text::INVITATION_GONE.into()));
    };
    let by = crate::audit::Actor { org, user: None, name: &email };
    let user = create_in(&mut tx, &email, role, password_hash, by).await?;
    tx.commit().await?;
    Ok(user)
}

/// Changes a user's role, with its audit entry, unless that would leave no active
/// administrator.
#[cfg(feature = "ssr")]
pub async fn change_role(
    pool: &crate::db::Pool,
    id: UserId,
    role: Role,
    by: crate::audit::Actor<'_>,
) -> Result<(), AppError> {
    let Some(user) = repo::get(pool, by.org, id).await? else {
        return Err(AppError::NotFound(text::NO_SUCH_USER.into()));
    };
    let mut tx = pool.begin().await?;
    if !repo::set_role(&mut tx, by.org, id, role).await? {
        drop(tx);
        return Err(repo::refusal(pool, by.org, id).await);
    }
    // An administrator sees every store: a choice made for them as a standard user goes.
    if role == Role::Admin {
        repo::set_stores(&mut tx, by.org, id, true, &[]).await?;
    }
    if user.role != role {
        let detail = format!("{}: {} → {}", user.email, user.role.label(), role.label());
        crate::audit::repo::record_by(&mut tx, by, "change role", None, &detail).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "ada@.com", "a@b@c.com"] {
            assert!(normalize_email(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn look_alike_emails_become_the_address_they_imitate_or_are_refused() {
        assert_eq!(normalize_email("ｓｔｄ@example.com").unwrap(), "std@example.com");
        assert_eq!(normalize_email("ＳＴＤ@ＥＸＡＭＰＬＥ.ＣＯＭ").unwrap(), "std@example.com");
        for hidden in
            ["std@example.com\u{200B}", "s\u{200D}td@example.com", "\u{FEFF}std@example.com", "std\u{00AD}@example.com"]
        {
            assert_eq!(normalize_email(hidden), Err(AppError::invalid("email", text::EMAIL_INVISIBLE)), "{hidden:?}");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("long enough!").is_ok());
        assert!(check_password_strength(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(check_lengths(&format!("{}@example.com", "a".repeat(250)), "pw").is_err());
        assert!(check_lengths("ada@example.com", &"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(check_lengths("ada@example.com", "correct horse").is_ok());
    }

    #[test]
    fn the_password_sentence_names_the_minimum() {
        assert!(text::PASSWORD_TOO_SHORT.contains(&MIN_PASSWORD_CHARS.to_string()));
    }
}
