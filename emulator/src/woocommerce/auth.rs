//! WooCommerce's authentication of API keys (`WC_REST_Authentication`), step for step: on an
//! https site Basic auth or the `consumer_key`/`consumer_secret` query string; failing that (and
//! always on http) OAuth 1.0a one-legged, signed over the site's home URL; then the key's
//! read/write permission by method, before any route is matched.

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap, Method};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

use super::{Incoming, Site, WpError};
use crate::{apps::constant_time_eq, config::KeyPermissions};

/// OAuth timestamps are accepted this far either side of now, and nonces remembered this long.
const OAUTH_WINDOW_SECS: i64 = 15 * 60;

/// The WordPress user an API key acts as.
#[derive(Debug, Clone, Copy)]
pub struct KeyUser {
    pub permissions: KeyPermissions,
    /// Administrator or shop manager: may use every WooCommerce route.
    pub manager: bool,
}

/// The result of authenticating: a user, an error WordPress will answer with instead of
/// running the route, both (an error left by Basic auth survives a later OAuth success), or
/// neither (the request runs unauthenticated).
#[derive(Debug, Default)]
pub struct Outcome {
    pub user: Option<KeyUser>,
    pub error: Option<WpError>,
}

/// Authenticates a request to a WooCommerce route at `now` (the emulator's clock).
pub fn authenticate(site: &Site, request: Incoming<'_>, body: &[u8], now: i64) -> Outcome {
    let strip = site.faults.lock().expect("faults lock").strip_authorization;
    let authorization = if strip {
        None
    } else {
        request.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim)
    };
    let get = PhpParams::parse(request.query);
    let mut outcome = Outcome::default();
    if site.is_https() {
        basic(site, &get, authorization, &mut outcome);
        if outcome.user.is_some() {
            return outcome;
        }
    }
    let mut params = get;
    if is_form(request.headers) {
        params.merge(PhpParams::parse(&String::from_utf8_lossy(body)));
    }
    if let Some(header_params) = authorization.and_then(oauth_header) {
        params.merge(header_params);
    }
    match oauth(site, request, params, now) {
        OAuth::NotTried => {}
        OAuth::Failed(error) => {
            outcome.user = None;
            outcome.error = Some(error);
        }
        OAuth::Passed => outcome.user = Some(key_user(site)),
    }
    outcome
}

/// `check_permissions`: what the key may do with this method. Runs before routing.
pub fn check_permissions(user: KeyUser, method: &Method) -> Result<(), WpError> {
    let (allowed, what) = match *method {
        Method::GET | Method::HEAD => (user.permissions.can_read(), "read"),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE => (user.permissions.can_write(), "write"),
        Method::OPTIONS => (true, ""),
        _ => return Err(auth_error("Unknown request method.")),
    };
    if allowed {
        Ok(())
    } else {
        Err(auth_error(format!("The API key provided does not have {what} permissions.")))
    }
}

fn key_user(site: &Site) -> KeyUser {
    KeyUser { permissions: site.config.permissions, manager: site.config.is_manager() }
}

fn auth_error(message: impl Into<String>) -> WpError {
    WpError::new(401, "woocommerce_rest_authentication_error", message)
}

/// `perform_basic_authentication`: the query string first, then the Basic header. An unknown key
/// is no error: the request just runs unauthenticated.
fn basic(site: &Site, get: &PhpParams, authorization: Option<&str>, outcome: &mut Outcome) {
    let from_query = match (get.scalar("consumer_key"), get.scalar("consumer_secret")) {
        (Some(key), Some(secret)) if !key.is_empty() && !secret.is_empty() => Some((key.to_owned(), secret.to_owned())),
        _ => None,
    };
    let Some((key, secret)) = from_query.or_else(|| authorization.and_then(basic_credentials)) else { return };
    if key.is_empty() || secret.is_empty() || !constant_time_eq(&key, &site.config.consumer_key) {
        return;
    }
    if constant_time_eq(&secret, &site.config.consumer_secret) {
        outcome.user = Some(key_user(site));
    } else {
        outcome.error = Some(auth_error("Consumer secret is invalid."));
    }
}

/// `PHP_AUTH_USER` and `PHP_AUTH_PW` from `Authorization: Basic …`.
fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let (scheme, encoded) = authorization.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

enum OAuth {
    NotTried,
    Failed(WpError),
    Passed,
}

const OAUTH_PARAMS: [&str; 5] =
    ["oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"];

/// `perform_oauth_authentication`: the parameters, the key, the signature, then the timestamp
/// and nonce.
fn oauth(site: &Site, request: Incoming<'_>, params: PhpParams, now: i64) -> OAuth {
    let missing: Vec<&str> =
        OAUTH_PARAMS.iter().copied().filter(|name| params.scalar(name).is_none_or(str::is_empty)).collect();
    if missing.len() == OAUTH_PARAMS.len() {
        return OAuth::NotTried;
    }
    if !missing.is_empty() {
        let noun = if missing.len() == 1 { "parameter" } else { "parameters" };
        return OAuth::Failed(WpError::new(
            401,
            "woocommerce_rest_authentication_missing_parameter",
            format!("Missing OAuth {noun} {}", missing.join(", ")),
        ));
    }
    let field = |name: &str| params.scalar(name).unwrap_or_default().to_owned();
    if !constant_time_eq(&field("oauth_consumer_key"), &site.config.consumer_key) {
        return OAuth::Failed(auth_error("Consumer key is invalid."));
    }
    if let Err(error) = check_signature(site, request, &params) {
        return OAuth::Failed(error);
    }
    let Ok(timestamp) = field("oauth_timestamp").trim().parse::<i64>() else {
        return OAuth::Failed(auth_error("Invalid timestamp."));
    };
    if timestamp < now - OAUTH_WINDOW_SECS || timestamp > now + OAUTH_WINDOW_SECS {
        return OAuth::Failed(auth_error("Invalid timestamp."));
    }
    let nonce = field("oauth_nonce");
    let mut used = site.nonces.lock().expect("nonces lock");
    if used.values().any(|n| *n == nonce) {
        return OAuth::Failed(auth_error("Invalid nonce - nonce has already been used."));
    }
    // Stored by timestamp, as WooCommerce stores them: a second nonce with the same timestamp
    // replaces the first, which may then be used again.
    used.insert(timestamp, nonce);
    used.retain(|&at, _| at >= now - OAUTH_WINDOW_SECS);
    OAuth::Passed
}

/// `check_oauth_signature`: HMAC over `METHOD&url&params`, where the URL is the site's home URL
/// (its scheme, `www.` and all) with the request's path, and the parameters are every query
/// (and form) parameter but the signature, sorted and encoded twice.
fn check_signature(site: &Site, request: Incoming<'_>, params: &PhpParams) -> Result<(), WpError> {
    let given = params.scalar("oauth_signature").unwrap_or_default().replace(' ', "+");
    let given = percent_decode(&given);
    // `get_home_url(null, $path)` adds `/path` only for a non-empty path: `/?rest_route=…` is
    // signed over the bare home URL, with no trailing slash.
    let path = request.path.trim_start_matches('/');
    let base_url = if path.is_empty() { site.home() } else { format!("{}/{path}", site.home()) };
    let string_to_sign =
        format!("{}&{}&{}", request.method.as_str().to_ascii_uppercase(), rawurlencode(&base_url), params.signed());
    let secret = format!("{}&", site.config.consumer_secret);
    let expected = match params.scalar("oauth_signature_method") {
        Some("HMAC-SHA1") => {
            let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length works");
            mac.update(string_to_sign.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        }
        Some("HMAC-SHA256") => {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length works");
            mac.update(string_to_sign.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        }
        _ => return Err(auth_error("Invalid signature - signature method is invalid.")),
    };
    if constant_time_eq(&expected, &given) {
        Ok(())
    } else {
        Err(auth_error("Invalid signature - provided signature does not match."))
    }
}

/// `parse_header`: the `oauth_*` pairs of `Authorization: OAuth …`, URL-decoded.
fn oauth_header(authorization: &str) -> Option<PhpParams> {
    let rest = authorization.strip_prefix("OAuth ")?;
    let mut params = PhpParams::default();
    for part in rest.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else { continue };
        if !name.starts_with("oauth_") {
            continue;
        }
        let value = value.trim().trim_matches('"');
        let decoded = form_urlencoded::parse(format!("v={value}").as_bytes()).next().map(|(_, v)| v.into_owned());
        params.set(name.to_owned(), PhpValue::Scalar(decoded.unwrap_or_default()));
    }
    Some(params)
}

/// A parameter as PHP's `$_GET` holds it: a string, or for `name[]=`/`name[key]=` an array.
#[derive(Debug, Clone, PartialEq)]
enum PhpValue {
    Scalar(String),
    Array(Vec<(String, String)>),
}

/// Request parameters parsed as PHP parses a query string.
#[derive(Debug, Clone, Default)]
struct PhpParams(BTreeMap<String, PhpValue>);

impl PhpParams {
    fn parse(query: &str) -> PhpParams {
        let mut params = PhpParams::default();
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let (name, sub) = match key.find('[') {
                Some(open) if key.ends_with(']') => (&key[..open], Some(&key[open + 1..key.len() - 1])),
                _ => (key.as_ref(), None),
            };
            // PHP turns dots and spaces in names into underscores.
            let name = name.replace(['.', ' '], "_");
            match sub {
                None => params.set(name, PhpValue::Scalar(value.into_owned())),
                Some(sub) => {
                    let entry = params.0.entry(name).or_insert_with(|| PhpValue::Array(Vec::new()));
                    if let PhpValue::Scalar(_) = entry {
                        *entry = PhpValue::Array(Vec::new());
                    }
                    if let PhpValue::Array(items) = entry {
                        let sub = if sub.is_empty() { items.len().to_string() } else { sub.to_owned() };
                        items.retain(|(k, _)| *k != sub);
                        items.push((sub, value.into_owned()));
                    }
                }
            }
        }
        params
    }

    fn set(&mut self, name: String, value: PhpValue) {
        self.0.insert(name, value);
    }

    fn merge(&mut self, other: PhpParams) {
        self.0.extend(other.0);
    }

    fn scalar(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(PhpValue::Scalar(value)) => Some(value),
            _ => None,
        }
    }

    /// The signature's parameter string: sorted by name (byte order), each `name=value`
    /// encoded, then encoded again, joined with an encoded `&`.
    fn signed(&self) -> String {
        let mut pairs = Vec::new();
        for (name, value) in self.0.iter().filter(|(name, _)| *name != "oauth_signature") {
            let name = rawurlencode(name);
            match value {
                PhpValue::Scalar(value) => pairs.push(rawurlencode(&format!("{name}={}", rawurlencode(value)))),
                PhpValue::Array(items) => {
                    for (sub, value) in items {
                        pairs.push(rawurlencode(&format!("{name}%5B{sub}%5D={}", rawurlencode(value))));
                    }
                }
            }
        }
        pairs.join("%26")
    }
}

/// PHP's `rawurlencode`: everything but `A-Za-z0-9-_.~` as `%XX`.
pub fn rawurlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// PHP's `rawurldecode`: `%XX` only (a `+` stays a `+`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_signed_as_woocommerce_normalizes_them() {
        let params = PhpParams::parse("b=2&a=x%20y&status[]=processing&status[]=on-hold&oauth_signature=zzz");
        assert_eq!(
            params.signed(),
            "a%3Dx%2520y%26b%3D2%26status%255B0%255D%3Dprocessing%26status%255B1%255D%3Don-hold"
        );
        let dotted = PhpParams::parse("a.b=1");
        assert_eq!(dotted.scalar("a_b"), Some("1"));
    }

    #[test]
    fn encodings_match_phps() {
        assert_eq!(
            rawurlencode("https://www.example.com/wp-json/wc/v3/orders"),
            "https%3A%2F%2Fwww.example.com%2Fwp-json%2Fwc%2Fv3%2Forders"
        );
        assert_eq!(rawurlencode("a b~"), "a%20b~");
        assert_eq!(percent_decode("ab%2Bc+%3D"), "ab+c+=");
    }

    #[test]
    fn oauth_headers_and_basic_credentials_parse() {
        let header = oauth_header(r#"OAuth oauth_consumer_key="ck_1", oauth_signature="a%2Bb%3D", realm="x""#).unwrap();
        assert_eq!(header.scalar("oauth_consumer_key"), Some("ck_1"));
        assert_eq!(header.scalar("oauth_signature"), Some("a+b="));
        assert_eq!(header.scalar("realm"), None);
        let encoded = STANDARD.encode("ck_1:cs_2:3");
        assert_eq!(basic_credentials(&format!("basic {encoded}")), Some(("ck_1".into(), "cs_2:3".into())));
        assert_eq!(basic_credentials("Bearer x"), None);
    }
}
