//! The Shopify client: its connections, the errors every call can end in, and the client
//! credentials grant. The Admin API calls themselves are GraphQL (`graphql.rs`). By default it
//! only ever calls `https://{shop}.myshopify.com` (and a bulk file's storage host), and refuses to
//! connect to loopback or private addresses; `STORELINK_SHOPIFY_BASE_URL` sends every call to
//! another base (the emulator) with the shop's domain in `Host`.

use std::{net::IpAddr, sync::Arc, time::Duration};

use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    header, StatusCode,
};
use serde_json::Value;

use super::ShopDomain;
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

/// Resolves names like the system does, then drops loopback, private and link-local
/// addresses, so a myshopify.com name can never be pointed at this machine or its network.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = format!("{}:443", name.as_str());
            let addrs: Vec<_> = tokio::net::lookup_host(host).await?.filter(|a| is_public(a.ip())).collect();
            if addrs.is_empty() {
                return Err("the address is not public".into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared (CGNAT),
/// multicast, reserved or documentation space, in IPv4 or IPv6, and not an IPv4 address wrapped
/// in IPv6 (`::ffff:10.0.0.1`) that would be any of those.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            let embeds_v4 = v6.segments()[..6] == [0; 6] || v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            if embeds_v4 {
                // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the
                // IPv4 address they carry.
                let [.., a, b] = v6.segments();
                let v4 = std::net::Ipv4Addr::from(((a as u32) << 16) | b as u32);
                return !v6.is_unspecified() && !v6.is_loopback() && is_public_v4(v4);
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)) // documentation
        }
    }
}

fn is_public_v4(v4: std::net::Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0 // "this network" 0.0.0.0/8
        || (a == 100 && (b & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0.0/24
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || a >= 240) // reserved 240.0.0.0/4
}

impl ShopifyClient {
    /// Each shop's cost points available now, as far as this client knows (for `/metrics`).
    pub async fn points_available(&self) -> Vec<(String, f64)> {
        self.budgets.available().await
    }

    pub fn new(base_override: Option<String>, timeout: Duration) -> anyhow::Result<ShopifyClient> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .timeout(timeout)
            .user_agent(concat!("storelink/", env!("CARGO_PKG_VERSION"), " (shipping desk store connector)"))
            .https_only(base_override.is_none());
        if base_override.is_none() {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        let mut download = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .read_timeout(timeout)
            .user_agent(concat!("storelink/", env!("CARGO_PKG_VERSION")))
            .https_only(base_override.is_none());
        if base_override.is_none() {
            download = download.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(ShopifyClient {
            http: builder.build()?,
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

    #[test]
    fn only_public_addresses_are_dialled() {
        let refused = [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.1.1",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.10",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::10.0.0.1",
            "2001:db8::1",
        ];
        for address in refused {
            assert!(!is_public(address.parse().unwrap()), "{address} must be refused");
        }
        let public = ["23.227.38.65", "100.128.0.1", "8.8.8.8", "2620:127:f00f::1", "::ffff:23.227.38.65"];
        for address in public {
            assert!(is_public(address.parse().unwrap()), "{address} is public");
        }
    }
}
