//! `POST /admin/oauth/access_token`: the client credentials grant a Dev Dashboard app uses to get
//! a token for a shop its organization owns. It is not an Admin API call: no token, no version,
//! no leaky bucket, but the shop's connection faults and frozen or locked state still apply.

use axum::http::{header, HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::{html, shop_faults, Answer};
use crate::{EmulatorState, Shop};

pub const ACCESS_TOKEN_PATH: &str = "/admin/oauth/access_token";

/// The key the per-endpoint counters use (after the method).
pub const ENDPOINT: &str = "oauth/access_token";

/// What an unknown shop's domain serves: Shopify's storefront page, not JSON.
pub fn store_unavailable() -> Answer {
    html(
        StatusCode::NOT_FOUND,
        "<!DOCTYPE html><html><head><title>Store unavailable</title></head>\
         <body><h1>Sorry, this store is currently unavailable.</h1></body></html>",
    )
}

/// The grant's three fields, from a form body or (as Shopify's own libraries send them) JSON.
#[derive(Debug, Default, PartialEq)]
struct GrantRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl GrantRequest {
    /// `None` when a JSON body does not parse as an object.
    fn parse(headers: &HeaderMap, body: &[u8]) -> Option<GrantRequest> {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let mut request = GrantRequest::default();
        if content_type.trim_start().to_ascii_lowercase().starts_with("application/json") {
            let value: Value = serde_json::from_slice(body).ok()?;
            value.as_object()?;
            let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
            request.grant_type = field("grant_type");
            request.client_id = field("client_id");
            request.client_secret = field("client_secret");
        } else {
            for (key, value) in form_urlencoded::parse(body) {
                let slot = match key.as_ref() {
                    "grant_type" => &mut request.grant_type,
                    "client_id" => &mut request.client_id,
                    "client_secret" => &mut request.client_secret,
                    _ => continue,
                };
                *slot = Some(value.into_owned());
            }
        }
        Some(request)
    }
}

fn oauth_error(code: &str, description: &str) -> Answer {
    Answer::json(StatusCode::BAD_REQUEST, &json!({ "error": code, "error_description": description }))
}

/// Answers one grant request; `None` means "drop the connection".
pub fn serve(emu: &EmulatorState, shop: &Shop, headers: &HeaderMap, body: &[u8]) -> Option<Answer> {
    let faults = shop.faults.lock().expect("faults lock").clone();
    if let Err(interrupted) = shop_faults(&faults) {
        return interrupted;
    }
    let Some(request) = GrantRequest::parse(headers, body) else {
        return Some(oauth_error(
            "invalid_request",
            "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise \
             malformed.",
        ));
    };
    let granted = shop.grant(
        request.grant_type.as_deref(),
        request.client_id.as_deref(),
        request.client_secret.as_deref(),
        emu.clock.elapsed(),
    );
    Some(match granted {
        Ok(grant) => Answer::json(
            StatusCode::OK,
            &json!({
                "access_token": grant.access_token,
                "scope": grant.scopes.join(","),
                "expires_in": grant.expires_in,
            }),
        ),
        Err(refusal) => oauth_error(refusal.code(), refusal.description()),
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    #[test]
    fn form_and_json_bodies_give_the_same_fields() {
        let want = GrantRequest {
            grant_type: Some("client_credentials".into()),
            client_id: Some("id".into()),
            client_secret: Some("s&=t".into()),
        };
        let form = b"grant_type=client_credentials&client_id=id&client_secret=s%26%3Dt&extra=1";
        assert_eq!(GrantRequest::parse(&headers("application/x-www-form-urlencoded"), form), Some(want));
        let json = br#"{"grant_type":"client_credentials","client_id":"id","client_secret":"s&=t"}"#;
        let parsed = GrantRequest::parse(&headers("application/json; charset=utf-8"), json).unwrap();
        assert_eq!(parsed.client_secret.as_deref(), Some("s&=t"));
        assert_eq!(GrantRequest::parse(&headers("application/json"), b"{oops"), None);
        assert_eq!(GrantRequest::parse(&headers("application/json"), b"[1]"), None);
        // JSON sent as a form is read as a form, as Shopify reads it: no grant type.
        assert_eq!(GrantRequest::parse(&HeaderMap::new(), json).unwrap().grant_type, None);
    }
}
