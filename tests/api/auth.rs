use reqwest::{header, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn signing_in_sets_an_http_only_lax_session_cookie_and_redirects_home() {
    let app = spawn_app().await;
    let client = app.client();
    let response = app.login(&client, ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::LOCATION], "/");
    let cookie = set_cookie(&response).expect("a session cookie");
    assert!(cookie.starts_with("storelink_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP must not mark the cookie Secure: {cookie}");
    let me: serde_json::Value = app.get(&client, "/api/me").await.json().await.unwrap();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");
}

#[tokio::test]
async fn the_cookie_is_secure_when_served_over_https() {
    let app = spawn_app_with(Some("https://storelink.example.com")).await;
    let response = app.login(&app.client(), ADMIN_EMAIL, PASSWORD).await;
    assert!(set_cookie(&response).unwrap().contains("; Secure"));
}

#[tokio::test]
async fn emails_are_matched_case_insensitively() {
    let app = spawn_app().await;
    let response = app.login(&app.client(), "  Admin@Example.COM", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong_password = app.login(&app.client(), ADMIN_EMAIL, "not the password").await;
    let unknown_email = app.login(&app.client(), "nobody@example.com", PASSWORD).await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&wrong_password).is_none() && set_cookie(&unknown_email).is_none());
    let (a, b) = (error_body(wrong_password).await, error_body(unknown_email).await);
    assert_eq!(a, b);
    assert_eq!(a, json!("InvalidCredentials"));
}

#[tokio::test]
async fn a_plain_form_post_that_fails_returns_to_the_sign_in_page_with_the_error() {
    let app = spawn_app().await;
    let response = app
        .client()
        .post(app.url("/api/login"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, app.url("/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert_eq!(location, "/login?error=credentials", "the error travels as a code, not as text");
    let page = app.get(&app.client(), location).await.text().await.unwrap();
    assert!(page.contains("The email or password is not correct."), "{page}");
}

#[tokio::test]
async fn repeated_failures_are_slowed_down_even_for_the_right_password_on_an_unknown_device() {
    let app = spawn_app().await;
    let client = app.client();
    for attempt in 1..=4 {
        let response = app.login(&client, STANDARD_EMAIL, "wrong password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let fifth = app.login(&client, STANDARD_EMAIL, "wrong password").await;
    assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = error_body(fifth).await;
    assert_eq!(body["Throttled"]["retry_after_secs"], 30);
    let right = app.login(&client, STANDARD_EMAIL, PASSWORD).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(&right).is_none());
    // Other accounts are not affected.
    assert_eq!(app.login(&client, ADMIN_EMAIL, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let client = app.client();
    let cookie = set_cookie(&app.login(&client, ADMIN_EMAIL, PASSWORD).await).unwrap();
    let token = cookie.split(';').next().unwrap().to_owned();

    let response = app.post(&client, "/api/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::LOCATION], "/login");
    assert!(set_cookie(&response).unwrap().contains("Max-Age=0"));
    let sessions: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&mut *c).await).unwrap();
    assert_eq!(sessions, 0);

    // Replaying the old cookie by hand gets nowhere: the session is gone, not just forgotten.
    let replay =
        reqwest::Client::new().get(app.url("/api/stores/list")).header(header::COOKIE, token).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn state_changing_requests_from_another_origin_are_refused() {
    let app = spawn_app().await;
    let response = app
        .client()
        .post(app.url("/api/login"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("email", ADMIN_EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&response).is_none());

    let same_origin = app
        .client()
        .post(app.url("/api/login"))
        .header(header::ORIGIN, format!("http://{}", app.addr))
        .form(&[("email", ADMIN_EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);
}
