//! How a server function's error reaches its caller: a plain HTML form post (no JavaScript yet)
//! is sent back to its page with the error in the query string; every other caller gets the
//! error's HTTP status.

use axum::http::{header, Method, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::error::AppError;

/// Runs a server function's body and reports its error.
pub async fn respond<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(err) = &result {
        report(err);
    }
    result
}

fn report(err: &AppError) {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    let parts = use_context::<http::request::Parts>();
    let plain_form_post = parts.as_ref().is_some_and(|parts| {
        parts.method == Method::POST
            && parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    });
    if plain_form_post {
        let back = parts
            .as_ref()
            .and_then(|p| p.headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok())
            .and_then(local_path)
            .unwrap_or_else(|| "/".to_owned());
        leptos_axum::redirect(&with_error(&back, &err.to_query()));
    } else if let Ok(status) = StatusCode::from_u16(err.status()) {
        response.set_status(status);
    }
}

/// The path and query of a same-site Referer, so a redirect can never leave this site.
fn local_path(referer: &str) -> Option<String> {
    let after_scheme = referer.split_once("://").map(|(_, rest)| rest)?;
    let path = &after_scheme[after_scheme.find('/')?..];
    Some(path.to_owned())
}

fn with_error(path: &str, encoded: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("error=")).collect();
    let error = format!("error={encoded}");
    pairs.push(&error);
    format!("{base}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_replaces_an_earlier_one_and_keeps_other_parameters() {
        assert_eq!(with_error("/login", "abc"), "/login?error=abc");
        assert_eq!(with_error("/login?error=old&x=1", "abc"), "/login?x=1&error=abc");
    }

    #[test]
    fn referer_is_reduced_to_a_local_path() {
        assert_eq!(local_path("http://127.0.0.1:3000/users?a=b").as_deref(), Some("/users?a=b"));
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("not a url"), None);
    }
}
