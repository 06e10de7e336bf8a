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

/// The longest anyone is asked to wait before signing in again.
pub const LONGEST_WAIT_SECS: u64 = 15 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Sign in to continue.")]
    Unauthorized,
    #[error("Only administrators can do this.")]
    Forbidden,
    /// The operator has not enabled e-commerce for the user's organization (or disabled it).
    #[error("E-commerce is not set up for your organization. Contact your account representative.")]
    NotSetUp,
    #[error("The email or password is not correct.")]
    InvalidCredentials,
    #[error("Too many failed sign-in attempts for this account. Wait {retry_after_secs} seconds and try again.")]
    Throttled { retry_after_secs: u64 },
    #[error(
        "Too many failed sign-in attempts from your network address. Wait {retry_after_secs} seconds and try again."
    )]
    ThrottledClient { retry_after_secs: u64 },
    /// A form field is wrong; `field` names the input the message belongs beside.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Several form fields are wrong, each with its message (field, message): every error of
    /// a form shows at once, each beside its field.
    #[error("{}", .0.iter().map(|(_, message)| message.as_str()).collect::<Vec<_>>().join(" "))]
    Fields(Vec<(String, String)>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// Shopify (or another service storelink depends on) failed; nothing was changed.
    #[error("{0}")]
    Upstream(String),
    #[error("Something went wrong on the server. Try again; if it keeps happening, tell your operator.")]
    Internal,
    /// The request itself could not be read (a client's mistake, not storelink's).
    #[error("The request could not be completed: {0}")]
    Transport(String),
    #[error("The request is larger than storelink accepts.")]
    TooLarge,
}

/// The fixed sentences storelink shows beside form fields and above forms. A form posted
/// without JavaScript is sent back to its page with its error as a number into this list (see
/// [`AppError::to_query`]), never as text, so a link cannot put words in storelink's mouth.
pub mod text {
    pub const EMAIL: &str = "Enter an email address such as name@example.com.";
    pub const EMAIL_TAKEN: &str = "A user with this email already exists.";
    pub const EMAIL_TOO_LONG: &str = "An email address has at most 254 characters.";
    pub const PASSWORD_TOO_SHORT: &str = "Use at least 10 characters.";
    pub const PASSWORD_TOO_LONG: &str = "A password has at most 1,024 characters.";
    pub const ROLE: &str = "Choose a role: admin or standard.";
    pub const NO_SUCH_USER: &str = "That user does not exist.";
    pub const LAST_ADMIN: &str =
        "There must always be at least one active administrator. Make another user an administrator first.";
    pub const NO_SUCH_STORE: &str = "That store does not exist.";
    pub const STORE_URL: &str = "Enter the store's URL, such as mystore.myshopify.com.";
    pub const API_KEY: &str = "Enter the API key (“API key” in the Shopify admin).";
    pub const API_PASSWORD: &str =
        "Enter the API password (“Admin API access token” for a custom app, “Password” for a private app).";
    pub const SHARED_SECRET: &str =
        "Enter the shared secret (“API secret key” for a custom app, “Shared secret” for a private app).";
    pub const NOT_A_CREDENTIAL: &str = "This does not look like a value Shopify shows: copy it again, without spaces.";
    pub const PASSWORD_REJECTED: &str = "Shopify rejected the API password. Copy the Admin API access token (custom app) or the Password (private app) again.";
    pub const SHOPIFY_UNAVAILABLE: &str =
        "Shopify is unavailable or too slow right now. Nothing was saved; try again in a minute.";
    /// What any platform's unavailability says when its own sentence (naming the platform and
    /// the store) cannot travel.
    pub const PLATFORM_UNAVAILABLE: &str =
        "The store's platform is unavailable or too slow right now. Nothing was saved; try again in a minute.";
    pub const FORM_UNREADABLE: &str = "The form could not be read. Reload the page and try again.";
    pub const CLIENT_REJECTED: &str = "Shopify refused the Client ID or the Client secret. Copy both again from the app's Settings in the Dev Dashboard.";
    pub const SHOP_NOT_PERMITTED: &str = "This store does not belong to the Dev Dashboard organization the app was created in, so Shopify gives the app no token for it. Create the app in the store's own organization, install it on the store, and use that app's Client ID and secret.";
    pub const APP_NOT_INSTALLED: &str =
        "The app is not installed on this store. In the Dev Dashboard, install the app on the store, then register again.";
    pub const EMAIL_INVISIBLE: &str =
        "This email address contains an invisible character (such as a zero-width space). Type it again.";
    pub const INVITATION_GONE: &str =
        "This invitation link has been used or has expired. Ask whoever sent it for a new one.";

    /// Every sentence above, in a fixed order: a sentence's number is its place here, so new
    /// ones go at the end.
    pub(super) const ALL: &[&str] = &[
        EMAIL,
        EMAIL_TAKEN,
        EMAIL_TOO_LONG,
        PASSWORD_TOO_SHORT,
        PASSWORD_TOO_LONG,
        ROLE,
        NO_SUCH_USER,
        LAST_ADMIN,
        NO_SUCH_STORE,
        STORE_URL,
        API_KEY,
        API_PASSWORD,
        SHARED_SECRET,
        NOT_A_CREDENTIAL,
        PASSWORD_REJECTED,
        SHOPIFY_UNAVAILABLE,
        PLATFORM_UNAVAILABLE,
        FORM_UNREADABLE,
        CLIENT_REJECTED,
        SHOP_NOT_PERMITTED,
        APP_NOT_INSTALLED,
        EMAIL_INVISIBLE,
        INVITATION_GONE,
    ];
}

/// The form fields an error can belong beside.
const FIELDS: &[&str] = &[
    "email",
    "password",
    "role",
    "store_url",
    "api_key",
    "api_password",
    "shared_secret",
    "consumer_key",
    "consumer_secret",
    "access_token",
    "client_id",
    "api_context",
    "client_secret",
    "permissions",
    "form",
    "carrier",
    "tracking_number",
    "tracking_url",
    "line_items",
    "name",
    "carrier_other",
    "confirm",
    "limit",
];

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_owned(), message: message.into() }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::Forbidden | AppError::NotSetUp => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooLarge => 413,
            AppError::Invalid { .. } | AppError::Fields(_) => 422,
            AppError::Throttled { .. } | AppError::ThrottledClient { .. } => 429,
            AppError::Internal => 500,
            AppError::Upstream(_) => 502,
            AppError::Transport(_) => 400,
        }
    }

    /// The message for one form field, if this error belongs beside it.
    pub fn field_message(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            AppError::Fields(fields) => {
                let said: Vec<&str> = fields.iter().filter(|(f, _)| f == name).map(|(_, m)| m.as_str()).collect();
                (!said.is_empty()).then(|| said.join(" "))
            }
            _ => None,
        }
    }

    /// The fields this error names.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            AppError::Invalid { field, .. } => vec![field.as_str()],
            AppError::Fields(fields) => fields.iter().map(|(f, _)| f.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The form's errors, one field each; a single one as [`AppError::Invalid`].
    pub fn fields_wrong(mut fields: Vec<(String, String)>) -> AppError {
        match fields.len() {
            1 => {
                let (field, message) = fields.remove(0);
                AppError::Invalid { field, message }
            }
            _ => AppError::Fields(fields),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotSetUp => "not_set_up",
            AppError::InvalidCredentials => "credentials",
            AppError::Throttled { .. } => "throttled",
            AppError::ThrottledClient { .. } => "throttled_client",
            AppError::Invalid { .. } | AppError::Fields(_) => "invalid",
            AppError::Conflict(_) => "conflict",
            AppError::NotFound(_) => "not_found",
            AppError::Upstream(_) => "upstream",
            AppError::Internal => "internal",
            AppError::Transport(_) => "request",
            AppError::TooLarge => "too_large",
        }
    }

    /// The error as query parameters for a no-JavaScript form post's way back to its page: its
    /// kind, the field it belongs beside, the number of its sentence in [`text`] (when it is one
    /// of them) and the seconds to wait. Never any text.
    pub fn to_query(&self) -> String {
        let mut query = format!("error={}", self.kind());
        let known: Vec<&str> = self.fields().into_iter().filter(|f| FIELDS.contains(f)).collect();
        if !known.is_empty() {
            query.push_str(&format!("&field={}", known.join(",")));
        }
        let message = self.to_string();
        if let Some(n) = text::ALL.iter().position(|t| *t == message) {
            query.push_str(&format!("&m={n}"));
        }
        if let AppError::Throttled { retry_after_secs } | AppError::ThrottledClient { retry_after_secs } = self {
            query.push_str(&format!("&wait={retry_after_secs}"));
        }
        query
    }

    /// The error [`to_query`](Self::to_query) carried, told in storelink's own words: the
    /// sentence it names, or else the general sentence for its kind and field.
    pub fn from_query(param: impl Fn(&str) -> Option<String>) -> Option<AppError> {
        let known = param("m").and_then(|m| m.parse::<usize>().ok()).and_then(|m| text::ALL.get(m).copied());
        let wait = param("wait").and_then(|w| w.parse::<u64>().ok()).unwrap_or(60).min(LONGEST_WAIT_SECS);
        let fields: Vec<String> = param("field")
            .map(|f| f.split(',').filter(|f| FIELDS.contains(f)).map(str::to_owned).collect())
            .unwrap_or_default();
        let field = fields.first().cloned();
        let said = |general: &str| known.unwrap_or(general).to_owned();
        Some(match param("error")?.as_str() {
            "unauthorized" => AppError::Unauthorized,
            "forbidden" => AppError::Forbidden,
            "not_set_up" => AppError::NotSetUp,
            "credentials" => AppError::InvalidCredentials,
            "throttled" => AppError::Throttled { retry_after_secs: wait },
            "throttled_client" => AppError::ThrottledClient { retry_after_secs: wait },
            "invalid" if fields.len() > 1 => AppError::Fields(
                fields
                    .into_iter()
                    .map(|f| {
                        let message = general_field_message(&f).to_owned();
                        (f, message)
                    })
                    .collect(),
            ),
            "invalid" => {
                let field = field.unwrap_or_else(|| "form".to_owned());
                let message = said(general_field_message(&field));
                AppError::Invalid { field, message }
            }
            "conflict" => AppError::Conflict(said("That cannot be done now. Reload the page to see why.")),
            "not_found" => AppError::NotFound(said("That no longer exists. Reload the page.")),
            "upstream" => AppError::Upstream(said(text::PLATFORM_UNAVAILABLE)),
            "request" => AppError::Transport("the form could not be read".into()),
            "too_large" => AppError::TooLarge,
            _ => AppError::Internal,
        })
    }
}

/// What a field's error says when its own sentence cannot travel (it names a shop or a store).
fn general_field_message(field: &str) -> &'static str {
    match field {
        // Every platform's form has a Store URL: the general sentence names none of them.
        "store_url" => "Check the Store URL: copy the store's address from its admin, such as mystore.myshopify.com or shop.example.com.",
        "api_key" | "api_password" | "shared_secret" => "Check the app's credentials and copy them again.",
        "consumer_key" | "consumer_secret" => "Check the API key: copy its consumer key and secret again.",
        "access_token" | "client_id" | "client_secret" => {
            "Check the API account's values: copy them again from where BigCommerce showed them."
        }
        "api_context" => "Check the API Context: it reads stores/ and the store hash, such as stores/abc123.",
        "permissions" => {
            "The app in Shopify lacks permissions storelink needs. Check its permissions in the Shopify admin."
        }
        "carrier" => "Choose the carrier, or Other and its name.",
        "carrier_other" => "Enter the carrier's name: you chose Other.",
        "tracking_number" => "Enter the tracking number, without line breaks.",
        "tracking_url" => "Enter a web address starting with https://, or leave it empty.",
        "line_items" => "Check the quantities: at least one item, and no more than remains to ship.",
        "name" => "Name the token after what will use it, in one line.",
        _ => text::FORM_UNREADABLE,
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The form could not become the call's arguments: in the browser (`ActionForm`) or on
            // the server (a post without JavaScript). Either way the page is likely stale, and the
            // details (serde's words about fields) would not help the person at the desk.
            ServerFnErrorErr::Serialization(_) | ServerFnErrorErr::Args(_) => {
                AppError::invalid("form", text::FORM_UNREADABLE)
            }
            // http-body-util's limit on the body, as axum sets it.
            ServerFnErrorErr::Deserialization(msg) if msg.contains("length limit exceeded") => AppError::TooLarge,
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn round_trip(err: &AppError) -> AppError {
        let query: HashMap<String, String> = form_urlencoded::parse(err.to_query().as_bytes()).into_owned().collect();
        AppError::from_query(|name| query.get(name).cloned()).unwrap()
    }

    #[test]
    fn a_form_error_travels_as_codes_and_comes_back_in_storelinks_words() {
        for err in [
            AppError::InvalidCredentials,
            AppError::Throttled { retry_after_secs: 30 },
            AppError::invalid("api_password", text::PASSWORD_REJECTED),
            AppError::invalid("email", text::EMAIL_TAKEN),
            AppError::NotFound(text::NO_SUCH_STORE.into()),
            AppError::Upstream(text::SHOPIFY_UNAVAILABLE.into()),
        ] {
            assert_eq!(round_trip(&err), err);
            assert!(!err.to_query().contains(' '), "no text travels: {}", err.to_query());
        }
        // A sentence naming a shop does not travel; the field's general sentence comes back.
        let named = AppError::invalid("store_url", "No Shopify store answers at acme.myshopify.com.");
        assert_eq!(round_trip(&named).field_message("store_url").unwrap(), general_field_message("store_url"));
        // Nor one naming another platform: what comes back names no platform.
        let woo = AppError::Upstream("WooCommerce at shop.example.com did not answer in time.".into());
        assert_eq!(round_trip(&woo), AppError::Upstream(text::PLATFORM_UNAVAILABLE.into()));
        assert!(!general_field_message("store_url").contains("myshopify.com address"));
    }

    #[test]
    fn a_form_that_cannot_be_read_asks_for_a_reload_with_or_without_javascript() {
        let in_browser = AppError::from_server_fn_error(ServerFnErrorErr::Serialization("unknown variant".into()));
        let on_server = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field `role`".into()));
        let expected = AppError::invalid("form", text::FORM_UNREADABLE);
        assert_eq!(in_browser, expected);
        assert_eq!(on_server, expected);
        assert_eq!(round_trip(&on_server), expected, "the same words after a post without JavaScript");
    }

    #[test]
    fn a_crafted_link_cannot_choose_the_words() {
        let crafted = |query: &str| {
            let query: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            AppError::from_query(|name| query.get(name).cloned())
        };
        let err = crafted("error=conflict&m=9999&message=Your+account+is+locked,+visit+evil.example").unwrap();
        assert!(!err.to_string().contains("evil"));
        let err = crafted("error=invalid&field=<script>&m=0").unwrap();
        assert_eq!(err.field_message("form").as_deref(), Some(text::EMAIL));
        assert_eq!(crafted("nothing=here"), None);
        let forever = crafted("error=throttled&wait=18446744073709551615").unwrap();
        assert_eq!(forever, AppError::Throttled { retry_after_secs: LONGEST_WAIT_SECS });
    }
}
