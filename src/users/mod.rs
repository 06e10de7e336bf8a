//! Users and their roles: what both sides share, the rules for emails and passwords, and (server
//! only) the `users` table.

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::{error::AppError, ids::UserId};

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
            _ => Err(AppError::invalid("role", "Choose a role: admin or standard.")),
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
}

impl UserDto {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The shortest password storelink accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Lower-cases and checks an email address; the one place emails are validated.
pub fn normalize_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
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
        Err(AppError::invalid("email", "Enter an email address such as name@example.com."))
    }
}

pub fn check_password_strength(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid("password", format!("Use at least {MIN_PASSWORD_CHARS} characters.")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "ada@.com", "a@b@c.com"] {
            assert!(normalize_email(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password_strength("short").is_err());
        assert!(check_password_strength("long enough!").is_ok());
    }
}
