//! How a server function's error reaches its caller. In a page being rendered, `respond` gives
//! the page the error's HTTP status. Over HTTP, `server_fn_answers` (a middleware on `/api`) does
//! the rest: a client gets the error's status (a 500 means storelink is at fault and is logged
//! so); a form posted without JavaScript is sent back to its page with the error as codes; and no
//! answer ever redirects off the site.

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::error::AppError;

/// The largest body a server function accepts: every form storelink has is a few hundred bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// Runs a server function's body and sets the response's status when it fails.
pub async fn respond<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let (Err(err), Some(response)) = (&result, use_context::<ResponseOptions>()) {
        if let Ok(status) = StatusCode::from_u16(err.status()) {
            response.set_status(status);
        }
    }
    result
}

/// Set by server_fn on every answer that carries an error.
const SERVER_FN_ERROR: &str = "serverfnerror";

/// The middleware in front of the server functions (every path under `/api/` but the label
/// software's API, `/api/v1/`, which answers for itself).
pub async fn server_fn_answers(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") || path.starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let plain_form = req.method() == Method::POST
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(local_path)
        .unwrap_or_else(|| "/".to_owned());
    let path = req.uri().path().to_owned();
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let mut response = if declared.is_some_and(|length| length > MAX_BODY) {
        error_answer(AppError::TooLarge)
    } else {
        next.run(req).await
    };
    let mut error = None;
    if response.headers().contains_key(SERVER_FN_ERROR) {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();
        let err: AppError = serde_json::from_slice(&bytes).unwrap_or(AppError::Internal);
        if err == AppError::Internal {
            tracing::error!(path, "a server function failed inside storelink");
        }
        response = if plain_form {
            redirect(&back)
        } else {
            let mut response = Response::from_parts(parts, Body::from(bytes));
            *response.status_mut() = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            response.headers_mut().remove(header::LOCATION);
            response
        };
        error = Some(err);
    }
    keep_redirects_local(&mut response, error.as_ref());
    response
}

fn error_answer(err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, axum::Json(&err)).into_response();
    response.headers_mut().insert(SERVER_FN_ERROR, HeaderValue::from_static("1"));
    response
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// server_fn sends a form post back to its Referer as it came: only its path on this site is
/// kept, and an error carried there earlier is dropped (an error being reported is added back).
fn keep_redirects_local(response: &mut Response, error: Option<&AppError>) {
    let Some(location) = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) else { return };
    let path = if is_local(location) { Some(location.to_owned()) } else { local_path(location) };
    let path = path.unwrap_or_else(|| {
        tracing::warn!(location, "replaced a redirect that would have left the site");
        "/".to_owned()
    });
    let path = match error {
        Some(err) => with_error(&path, &err.to_query()),
        None => without_error(&path),
    };
    if let Ok(value) = HeaderValue::from_str(&path) {
        response.headers_mut().insert(header::LOCATION, value);
    }
}

/// A path on this site: one leading slash, then no slash or backslash right after it, no
/// scheme and no authority, nothing a browser would read as another host.
fn is_local(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The path and query of a Referer, when it is a path on this site.
fn local_path(referer: &str) -> Option<String> {
    let after_scheme = referer.split_once("://").map(|(_, rest)| rest)?;
    let path = &after_scheme[after_scheme.find('/')?..];
    is_local(path).then(|| path.to_owned())
}

/// `path` without the parameters an error travels in.
fn without_error(path: &str) -> String {
    let (base, existing) = path.split_once('?').unwrap_or((path, ""));
    let error_params = ["error=", "field=", "m=", "wait="];
    let kept: Vec<&str> =
        existing.split('&').filter(|p| !p.is_empty() && !error_params.iter().any(|e| p.starts_with(e))).collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

fn with_error(path: &str, query: &str) -> String {
    let clean = without_error(path);
    let joiner = if clean.contains('?') { '&' } else { '?' };
    format!("{clean}{joiner}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_replaces_an_earlier_one_and_keeps_other_parameters() {
        assert_eq!(with_error("/login", "error=credentials"), "/login?error=credentials");
        assert_eq!(
            with_error("/stores/new?platform=shopify&error=old&field=api_key", "error=invalid&field=store_url"),
            "/stores/new?platform=shopify&error=invalid&field=store_url"
        );
    }

    #[test]
    fn only_referers_on_this_site_are_returned_to() {
        assert_eq!(local_path("http://127.0.0.1:3000/users?a=b").as_deref(), Some("/users?a=b"));
        let hostile = [
            "https://evil.example",
            "not a url",
            "javascript:alert(1)",
            "http://127.0.0.1:3000//evil.example/x",
            "http://127.0.0.1:3000/\\evil.example/x",
            "http://127.0.0.1:3000/\\\\evil.example",
            "http://127.0.0.1:3000/ok\\..\\evil",
            "http://127.0.0.1:3000/\t/evil.example",
            "http://127.0.0.1:3000/a\r\nLocation: https://evil.example",
            "https://evil.example//evil.example",
        ];
        for referer in hostile {
            assert_eq!(local_path(referer), None, "{referer:?}");
        }
        for location in ["//evil.example", "/\\evil.example", "https://evil.example/", "evil.example", ""] {
            assert!(!is_local(location), "{location:?}");
        }
    }
}
