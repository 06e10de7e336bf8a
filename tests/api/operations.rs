//! What an operator relies on: the health and readiness checks a load balancer asks, and a
//! server that refuses to start with a key that cannot open the stored credentials.

use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer_anyone_and_readiness_follows_the_database() {
    let app = spawn_app_without_sync().await;
    let anonymous = app.client();
    for (path, body) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = app.get(&anonymous, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.text().await.unwrap(), body, "{path}");
    }
    // The database gone: alive, but not ready, and the answer names no database detail.
    app.pool.close().await;
    let response = app.get(&anonymous, "/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.text().await.unwrap(), "the database does not answer");
    assert_eq!(app.get(&anonymous, "/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_are_off_unless_the_operator_turns_them_on() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let response = app.get(&admin, "/metrics").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.text().await.unwrap().contains("storelink_"));
}

/// Starts `storelink serve` on the app's database with `key` (or a new key file) and returns
/// whether it started and what it wrote to standard error.
fn serve_with_key(app: &TestApp, key: Option<&str>) -> (bool, String) {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_storelink"));
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("DATABASE_URL", &app.database_url)
        .env_remove("STORELINK_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        command.env("STORELINK_SECRET_KEY", key);
    }
    let mut child = command.spawn().unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    let started = first.starts_with("storelink is listening on");
    if started {
        child.kill().unwrap();
    }
    let output = child.wait_with_output().unwrap();
    (started, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn a_server_refuses_to_start_with_a_key_that_cannot_open_the_stored_credentials() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, "acme.myshopify.com", SHOP_TOKEN).await.status(), StatusCode::OK);
    let before = app.store_snapshot().await;

    let (started, stderr) = serve_with_key(&app, None);
    assert!(!started, "a server with its own new key must not start");
    assert!(stderr.contains("the secret key cannot open the stored credentials"), "{stderr}");
    assert_eq!(app.store_snapshot().await, before, "nothing changed");

    let key = std::fs::read_to_string(app._dir.path().join("secret.key")).unwrap();
    let (started, stderr) = serve_with_key(&app, Some(key.trim()));
    assert!(started, "the same key opens them: {stderr}");
}
