//! The Shopify client: its connections, the errors every call can end in, and the client
//! credentials grant. The Admin API calls themselves are GraphQL (`graphql.rs`). By default it
//! only ever calls `https://{shop}.myshopify.com` (and a bulk file's storage host), and refuses to
//! connect to loopback or private addresses; `STORELINK_SHOPIFY_BASE_URL` sends every call to
//! another base (the emulator) with the shop's domain in `Host`.

use std::time::Duration;

use reqwest::{header, StatusCode};
use serde_json::Value;

use super::{super::net, ShopDomain};
use crate::secrets::Secret;

/// The Admin API version storelink is written against.
pub const API_VERSION: &str = "2026-07";

/// Every way a Shopify call can fail, each one a state a person can understand.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShopifyError {
    #[error("Shopify rejected the API password (401)")]
    Unauthorized,
    #[error("the shop is frozen: Shopify answered 402 Unavailable Shop")]
    Frozen,
    #[error("permission {scope} is missing (403)")]
    Forbidden { scope: String },
    /// A 403 that names no permission: "Unavailable Shop" (closed or paused).
    #[error("the shop is unavailable: Shopify answered 403")]
    Unavailable,
    #[error("no such shop (404)")]
    NotFound,
    #[error("Shopify could not produce an acceptable answer (406)")]
    NotAcceptable,
    #[error("Shopify refused the request: {0}")]
    Unprocessable(String),
    #[error("the shop is locked (423)")]
    Locked,
    #[error("rate limited; retry after {retry_after_ms} ms (429)")]
    Throttled { retry_after_ms: u64 },
    #[error("Shopify had a server error ({0})")]
    Server(u16),
    #[error("Shopify did not answer in time")]
    Timeout,
    #[error("Shopify could not be reached: {0}")]
    Network(String),
    #[error("Shopify sent an answer storelink could not read: {0}")]
    BadResponse(String),
    #[error("a query cost more than Shopify allows: {0}")]
    TooCostly(String),
    #[error("the result file's address has expired")]
    Expired,
    /// The client credentials grant was refused: the app's Client ID or secret, its
    /// organization, or its installation.
    #[error("Shopify refused the app's credentials ({0})")]
    GrantRefused(GrantRefusal),
}

/// Why Shopify refused to exchange a Client ID and secret for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRefusal {
    /// `invalid_client`: the Client ID or the secret is wrong (or the secret was rotated).
    InvalidClient,
    /// `shop_not_permitted`: the store does not belong to the app's Dev Dashboard organization.
    ShopNotPermitted,
    /// `app_not_installed`.
    AppNotInstalled,
    /// Any other OAuth error code, as Shopify named it.
    Other(String),
}

impl std::fmt::Display for GrantRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GrantRefusal::InvalidClient => f.write_str("invalid_client"),
            GrantRefusal::ShopNotPermitted => f.write_str("shop_not_permitted"),
            GrantRefusal::AppNotInstalled => f.write_str("app_not_installed"),
            GrantRefusal::Other(code) => f.write_str(code),
        }
    }
}

/// A token from the client credentials grant.
#[derive(Debug)]
pub struct Grant {
    pub token: Secret,
    /// Seconds the token is valid for, from now.
    pub expires_in: i64,
}

/// What Shopify answered to the client credentials grant. A refusal's code is read from an
/// OAuth JSON `error`, Shopify's usual `errors` string, or the plain text ("Oauth error
/// shop_not_permitted: …", the only form Shopify's docs show); an unknown shop answers with an
/// HTML page, so nothing else is assumed to be JSON.
fn read_grant(status: StatusCode, body: &[u8]) -> Result<Grant, ShopifyError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        access_token: Option<String>,
        expires_in: Option<i64>,
        error: Option<String>,
        errors: Option<Value>,
    }
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    if status == StatusCode::OK {
        return match answer {
            Some(Answer { access_token: Some(token), expires_in, .. }) => {
                Ok(Grant { token: Secret::new(token), expires_in: expires_in.unwrap_or(86_399).max(1) })
            }
            _ => Err(ShopifyError::BadResponse("the token answer has no access_token".into())),
        };
    }
    if !matches!(status.as_u16(), 400 | 401 | 403) {
        return Err(error_for(status, &header::HeaderMap::new(), body));
    }
    const KNOWN: [(&str, GrantRefusal); 4] = [
        ("invalid_client", GrantRefusal::InvalidClient),
        ("unauthorized_client", GrantRefusal::InvalidClient),
        ("shop_not_permitted", GrantRefusal::ShopNotPermitted),
        ("app_not_installed", GrantRefusal::AppNotInstalled),
    ];
    let text = match &answer {
        Some(Answer { error: Some(code), .. }) => code.clone(),
        Some(Answer { errors: Some(errors), .. }) => errors.to_string(),
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    if let Some((_, refusal)) = KNOWN.iter().find(|(code, _)| text.contains(code)) {
        return Err(ShopifyError::GrantRefused(refusal.clone()));
    }
    match (status.as_u16(), answer) {
        (_, Some(Answer { error: Some(code), .. })) => Err(ShopifyError::GrantRefused(GrantRefusal::Other(
            code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect(),
        ))),
        (401, _) => Err(ShopifyError::GrantRefused(GrantRefusal::InvalidClient)),
        _ => Err(error_for(status, &header::HeaderMap::new(), body)),
    }
}

impl ShopifyError {
    /// Worth trying again later: rate limits, server errors, timeouts, dropped connections, and
    /// answers that arrived garbled.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ShopifyError::Throttled { .. }
                | ShopifyError::Server(_)
                | ShopifyError::Timeout
                | ShopifyError::Network(_)
                | ShopifyError::BadResponse(_)
        )
    }
}

/// Shopify's own answers never ask for more than a few seconds; a longer `Retry-After` (a broken
/// proxy, a hostile answer of a day) is cut to this, so one reply cannot stall a store.
pub const MAX_RETRY_AFTER_MS: u64 = 10_000;

#[derive(Clone)]
pub struct ShopifyClient {
    pub(super) http: reqwest::Client,
    /// For bulk result files: no total timeout (a file takes as long as it takes), a read timeout.
    pub(super) download: reqwest::Client,
    pub(super) base_override: Option<String>,
    /// Each shop's cost budget, shared by every clone of this client.
    pub(super) budgets: super::graphql::Budgets,
}

impl ShopifyClient {
    /// Each shop's cost points available now, as far as this client knows (for `/metrics`).
    pub async fn points_available(&self) -> Vec<(String, f64)> {
        self.budgets.available().await
    }

    pub fn new(base_override: Option<String>, timeout: Duration) -> anyhow::Result<ShopifyClient> {
        // The emulator (the base override) is on this machine; a real shop never is.
        let public_only = base_override.is_none();
        let http = net::builder(timeout, public_only).timeout(timeout).https_only(public_only);
        let download = net::builder(timeout, public_only).read_timeout(timeout).https_only(public_only);
        Ok(ShopifyClient {
            http: http.build()?,
            download: download.build()?,
            base_override: base_override.map(|b| b.trim_end_matches('/').to_owned()),
            budgets: super::graphql::Budgets::default(),
        })
    }

    /// The URL for `path` on the shop, and the `Host` header when the base is overridden.
    pub(super) fn url(&self, shop: &ShopDomain, path: &str) -> String {
        match &self.base_override {
            Some(base) => format!("{base}{path}"),
            None => format!("https://{shop}{path}"),
        }
    }

    /// The client credentials grant (`POST /admin/oauth/access_token`): a Dev Dashboard app's
    /// Client ID and secret for an access token that expires (24 hours at Shopify).
    pub async fn client_credentials(
        &self,
        shop: &ShopDomain,
        client_id: &str,
        client_secret: &Secret,
    ) -> Result<Grant, ShopifyError> {
        let form =
            [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", client_secret.expose())];
        let mut request = self
            .http
            .post(self.url(shop, "/admin/oauth/access_token"))
            .form(&form)
            .header(header::ACCEPT, "application/json");
        if self.base_override.is_some() {
            request = request.header(header::HOST, shop.as_str());
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        read_grant(status, &bytes)
    }
}

/// A request that got no answer: too slow, or no connection.
pub(crate) fn transport(err: reqwest::Error) -> ShopifyError {
    if err.is_timeout() {
        ShopifyError::Timeout
    } else {
        ShopifyError::Network(without_url(err))
    }
}

/// reqwest's messages name the URL; keep them short and free of anything request-specific.
fn without_url(err: reqwest::Error) -> String {
    let source = std::error::Error::source(&err).map(|s| s.to_string());
    let message = err.without_url().to_string();
    match source {
        Some(source) => format!("{message}: {source}"),
        None => message,
    }
}

pub(super) fn error_for(status: StatusCode, headers: &header::HeaderMap, body: &[u8]) -> ShopifyError {
    let errors = serde_json::from_slice::<Value>(body).ok().map(|v| v["errors"].clone()).unwrap_or(Value::Null);
    match status.as_u16() {
        401 => ShopifyError::Unauthorized,
        402 => ShopifyError::Frozen,
        403 => {
            // "[API] This action requires merchant approval for read_orders scope."
            let text = errors.as_str().unwrap_or_default();
            match text.split_whitespace().find(|w| w.starts_with("read_") || w.starts_with("write_")) {
                Some(scope) => ShopifyError::Forbidden { scope: scope.to_owned() },
                None => ShopifyError::Unavailable,
            }
        }
        404 => ShopifyError::NotFound,
        406 => ShopifyError::NotAcceptable,
        422 => ShopifyError::Unprocessable(errors.to_string()),
        423 => ShopifyError::Locked,
        429 => {
            let seconds = headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .unwrap_or(2.0);
            ShopifyError::Throttled { retry_after_ms: ((seconds * 1000.0) as u64).min(MAX_RETRY_AFTER_MS) }
        }
        code if code >= 500 => ShopifyError::Server(code),
        code => ShopifyError::BadResponse(format!("unexpected status {code}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_refusal_is_read_in_every_shape_shopify_may_send() {
        let refused = |status: u16, body: &str| match read_grant(StatusCode::from_u16(status).unwrap(), body.as_bytes())
        {
            Err(ShopifyError::GrantRefused(refusal)) => Some(refusal),
            _ => None,
        };
        let json = r#"{"error":"shop_not_permitted","error_description":"Client credentials cannot be performed on this shop."}"#;
        assert_eq!(refused(400, json), Some(GrantRefusal::ShopNotPermitted));
        let text = "Oauth error shop_not_permitted: Client credentials cannot be performed on this shop.";
        assert_eq!(refused(400, text), Some(GrantRefusal::ShopNotPermitted));
        assert_eq!(refused(400, r#"{"errors":"app_not_installed"}"#), Some(GrantRefusal::AppNotInstalled));
        assert_eq!(refused(401, r#"{"error":"invalid_client"}"#), Some(GrantRefusal::InvalidClient));
        assert_eq!(refused(401, "Unauthorized"), Some(GrantRefusal::InvalidClient));
        assert_eq!(refused(400, r#"{"error":"invalid_scope"}"#), Some(GrantRefusal::Other("invalid_scope".into())));
        // An unknown shop's HTML page, a server error and a bare 400 are not refusals of the app.
        assert_eq!(
            read_grant(StatusCode::NOT_FOUND, b"<html>Store unavailable</html>").err(),
            Some(ShopifyError::NotFound)
        );
        assert_eq!(read_grant(StatusCode::SERVICE_UNAVAILABLE, b"<html>").err(), Some(ShopifyError::Server(503)));
        assert_eq!(refused(400, "<html>Bad request</html>"), None);
        let granted =
            read_grant(StatusCode::OK, br#"{"access_token":"f856","scope":"read_orders","expires_in":86399}"#);
        assert_eq!(granted.map(|g| g.expires_in).ok(), Some(86_399));
        assert!(matches!(read_grant(StatusCode::OK, b"{}"), Err(ShopifyError::BadResponse(_))));
    }

    #[test]
    fn every_status_becomes_a_typed_error() {
        let h = header::HeaderMap::new();
        let body = br#"{"errors":"[API] This action requires merchant approval for read_orders scope."}"#;
        assert_eq!(error_for(StatusCode::UNAUTHORIZED, &h, b"{}"), ShopifyError::Unauthorized);
        assert_eq!(error_for(StatusCode::PAYMENT_REQUIRED, &h, b"{}"), ShopifyError::Frozen);
        assert_eq!(error_for(StatusCode::FORBIDDEN, &h, body), ShopifyError::Forbidden { scope: "read_orders".into() });
        let closed = br#"{"errors":"Unavailable Shop"}"#;
        assert_eq!(error_for(StatusCode::FORBIDDEN, &h, closed), ShopifyError::Unavailable);
        assert_eq!(error_for(StatusCode::NOT_FOUND, &h, b""), ShopifyError::NotFound);
        assert_eq!(error_for(StatusCode::NOT_ACCEPTABLE, &h, b""), ShopifyError::NotAcceptable);
        assert!(matches!(error_for(StatusCode::UNPROCESSABLE_ENTITY, &h, b"{}"), ShopifyError::Unprocessable(_)));
        assert_eq!(error_for(StatusCode::LOCKED, &h, b""), ShopifyError::Locked);
        let mut retry = header::HeaderMap::new();
        retry.insert("retry-after", header::HeaderValue::from_static("2.0"));
        assert_eq!(
            error_for(StatusCode::TOO_MANY_REQUESTS, &retry, b""),
            ShopifyError::Throttled { retry_after_ms: 2000 }
        );
        for (sent, waited) in [("86400", MAX_RETRY_AFTER_MS), ("-5", 2000), ("soon", 2000), ("0.5", 500)] {
            retry.insert("retry-after", header::HeaderValue::from_static(sent));
            assert_eq!(
                error_for(StatusCode::TOO_MANY_REQUESTS, &retry, b""),
                ShopifyError::Throttled { retry_after_ms: waited },
                "Retry-After: {sent}"
            );
        }
        assert_eq!(error_for(StatusCode::BAD_GATEWAY, &h, b"<html>"), ShopifyError::Server(502));
    }
}
