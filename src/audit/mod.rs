//! The audit log: who did what to which store, user or token, and when. Read a page at a time,
//! newest first, filtered by who, what, store and date, so nothing can push an entry out of
//! sight (API reads are counted per token instead: `api_tokens`).

#[cfg(feature = "ssr")]
pub mod repo;

use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, StoreId, UserId};

/// Entries a page of the audit log shows.
pub const PAGE: i64 = 50;

/// Who does something, as the audit log records it: the organization it is done in, and a user
/// (by email, with their id) or what acts by name alone (an API token, the command line, a
/// platform).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub org: OrgId,
    pub user: Option<UserId>,
    pub name: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub user_email: String,
    pub action: String,
    pub store_name: Option<String>,
    pub detail: String,
}

/// What the audit page is narrowed to; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Part of the email (or token name) of whoever did it, whatever the case.
    pub who: Option<String>,
    /// One action, as the log names it.
    pub action: Option<String>,
    pub store: Option<StoreId>,
    /// `YYYY-MM-DD`, UTC, both days included.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A page of the audit log and what its filters can choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Where the next (older) page starts: entries before this id.
    pub older: Option<i64>,
    /// Every action the log holds.
    pub actions: Vec<String>,
    /// Every store the log names, with its name then.
    pub stores: Vec<(StoreId, String)>,
}
