//! The one error type every server function returns.
//!
//! Each variant is an outcome a person can act on, with the message written for them and the
//! HTTP status it becomes. Internal failures are logged in full on the server and reach the
//! browser only as an opaque message.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Sign in to continue.")]
    Unauthorized,
    #[error("Only administrators can do this.")]
    Forbidden,
    #[error("The email or password is not correct.")]
    InvalidCredentials,
    #[error("Too many failed sign-in attempts for this account. Wait {retry_after_secs} seconds and try again.")]
    Throttled { retry_after_secs: u64 },
    /// A form field is wrong; `field` names the input the message belongs beside.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// Shopify (or another service storelink depends on) failed; nothing was changed.
    #[error("{0}")]
    Upstream(String),
    #[error("Something went wrong on the server. Try again; if it keeps happening, tell your operator.")]
    Internal,
    #[error("The request could not be completed: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_owned(), message: message.into() }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Invalid { .. } => 422,
            AppError::Throttled { .. } => 429,
            AppError::Internal => 500,
            AppError::Upstream(_) => 502,
            AppError::Transport(_) => 400,
        }
    }

    /// The message for one form field, if this error belongs beside it.
    pub fn field_message(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }

    /// The error carried through a plain (no-JavaScript) form post: the server sends the
    /// browser back to the form with it in the query string, and the page shows it (as text).
    pub fn to_query(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn from_query(text: &str) -> Option<AppError> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) => AppError::invalid("form", format!("The form could not be read: {msg}")),
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}
