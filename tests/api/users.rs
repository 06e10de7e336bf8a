use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// Every server function that changes users, with arguments that would succeed for an admin.
fn user_changes(standard_id: i64) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        (
            "/api/users/create",
            vec![("email", "new@example.com".into()), ("role", "admin".into()), ("password", PASSWORD.into())],
        ),
        ("/api/users/change-role", vec![("user_id", standard_id.to_string()), ("role", "admin".into())]),
        ("/api/users/deactivate", vec![("user_id", standard_id.to_string())]),
    ]
}

async fn snapshot(app: &TestApp) -> Vec<(String, String, bool)> {
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT email, role, active FROM users ORDER BY id").fetch_all(&mut *c).await).unwrap()
}

#[tokio::test]
async fn anonymous_and_standard_callers_are_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let standard_id = app.user_id(STANDARD_EMAIL).await;
    let before = snapshot(&app).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    for (path, args) in user_changes(standard_id) {
        let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let anonymous = app.post(&app.client(), path, &form).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(error_body(anonymous).await, json!("Unauthorized"));
        let forbidden = app.post(&standard, path, &form).await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(error_body(forbidden).await, json!("Forbidden"));
    }
    assert_eq!(snapshot(&app).await, before);

    assert_eq!(app.get(&app.client(), "/api/users/list").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&standard, "/api/users/list").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_creates_promotes_and_deactivates_users() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let created = app
        .post(
            &admin,
            "/api/users/create",
            &[("email", "New@Example.com"), ("role", "standard"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["email"], "new@example.com");
    let id = created["id"].as_i64().unwrap();

    let new_user = app.signed_in("new@example.com").await;
    assert_eq!(
        app.post(&admin, "/api/users/change-role", &[("user_id", &id.to_string()), ("role", "admin")]).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.role_of("new@example.com").await, ("admin".into(), true));

    assert_eq!(
        app.post(&admin, "/api/users/deactivate", &[("user_id", &id.to_string())]).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.role_of("new@example.com").await, ("admin".into(), false));
    // Deactivation ends the user's sessions and stops them signing in again.
    assert_eq!(app.get(&new_user, "/api/stores/list").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&app.client(), "new@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);

    let list: Value = app.get(&admin, "/api/users/list").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_input_gets_a_field_message_and_saves_nothing() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let cases = [
        ("not-an-email", "standard", PASSWORD, "email"),
        ("ok@example.com", "owner", PASSWORD, "role"),
        ("ok@example.com", "standard", "short", "password"),
        ("STANDARD@example.com", "standard", PASSWORD, "email"),
    ];
    for (email, role, password, field) in cases {
        let response =
            app.post(&admin, "/api/users/create", &[("email", email), ("role", role), ("password", password)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{email} {role}");
        let body = error_body(response).await;
        assert_eq!(body["Invalid"]["field"], field, "{body}");
        assert!(!body["Invalid"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(app.user_count().await, 2);
}

#[tokio::test]
async fn the_last_active_administrator_can_be_neither_demoted_nor_deactivated() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let admin_id = app.user_id(ADMIN_EMAIL).await.to_string();

    let demote = app.post(&admin, "/api/users/change-role", &[("user_id", &admin_id), ("role", "standard")]).await;
    assert_eq!(demote.status(), StatusCode::CONFLICT);
    assert!(error_body(demote).await["Conflict"].as_str().unwrap().contains("at least one active administrator"));
    let deactivate = app.post(&admin, "/api/users/deactivate", &[("user_id", &admin_id)]).await;
    assert_eq!(deactivate.status(), StatusCode::CONFLICT);
    assert_eq!(app.role_of(ADMIN_EMAIL).await, ("admin".into(), true));

    // With a second administrator, the first may step down.
    let standard_id = app.user_id(STANDARD_EMAIL).await.to_string();
    app.post(&admin, "/api/users/change-role", &[("user_id", &standard_id), ("role", "admin")]).await;
    let demote = app.post(&admin, "/api/users/change-role", &[("user_id", &admin_id), ("role", "standard")]).await;
    assert_eq!(demote.status(), StatusCode::OK);
    assert_eq!(app.role_of(ADMIN_EMAIL).await, ("standard".into(), true));
}

#[tokio::test]
async fn the_cli_creates_and_lists_users_in_the_configured_database() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let url = storelink::db::scratch_url(dir.path()).await;
    let bin = env!("CARGO_BIN_EXE_storelink");
    let mut child = Command::new(bin)
        .args(["user", "add", "--email", "Cli@Example.com", "--role", "standard"])
        .env("STORELINK_DATA_DIR", dir.path())
        .env("DATABASE_URL", &url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"a long cli password\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");

    let short = Command::new(bin)
        .args(["user", "add", "--email", "x@example.com", "--role", "admin"])
        .env("STORELINK_DATA_DIR", dir.path())
        .env("DATABASE_URL", &url)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!short.status.success(), "an empty password must be refused");

    let list = Command::new(bin)
        .args(["user", "list", "--data-dir"])
        .arg(dir.path())
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert_eq!(list.trim(), "cli@example.com\tstandard\tactive");

    // The same database, opened by the server, lets the user sign in.
    let pool = storelink::db::connect(&url).await.unwrap();
    let found = storelink::users::repo::find_active_for_login(&pool, "cli@example.com").await.unwrap();
    let (_, hash) = found.expect("the CLI's user is in the database");
    assert!(storelink::auth::password::verify("a long cli password".into(), Some(hash)).await.unwrap());
}

#[tokio::test]
async fn rotating_the_key_re_seals_every_credential() {
    use storelink::secrets::{Sealer, Secret};

    let dir = tempfile::tempdir().unwrap();
    let url = storelink::db::scratch_url(dir.path()).await;
    let pool = storelink::db::connect(&url).await.unwrap();
    let old = Sealer::load(None, dir.path()).unwrap();
    storelink::db_run!(&pool, c => sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at, organization_id) VALUES (1, 'shopify', 'A', 'a.myshopify.com', 'connected', 0, 1)")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    storelink::db_run!(&pool, c => sqlx::query("INSERT INTO store_credentials (store_id, api_key, api_password, shared_secret, created_at) VALUES (1, 'k', $1, $2, 0)")
        .bind(old.seal(&Secret::new("shpat_password")))
        .bind(old.seal(&Secret::new("shpss_secret")))
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    // A Dev Dashboard app's store: its latest token and its Client secret.
    storelink::db_run!(&pool, c => sqlx::query("INSERT INTO stores (id, platform, name, shop_domain, state, created_at, organization_id) VALUES (2, 'shopify', 'B', 'b.myshopify.com', 'connected', 0, 1)")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    storelink::db_run!(&pool, c => sqlx::query("INSERT INTO store_credentials (store_id, kind, api_key, api_password, shared_secret, token_expires_at, token_renew_at, created_at)
                 VALUES (2, 'client_credentials', 'client-id', $1, $2, 9, 8, 0)")
        .bind(old.seal(&Secret::new("a-token-that-expires")))
        .bind(old.seal(&Secret::new("the-client-secret")))
        .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_storelink"))
        .args(["rotate-key", "--data-dir"])
        .arg(dir.path())
        .env_remove("STORELINK_SECRET_KEY")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let sealed: Vec<(Vec<u8>, Vec<u8>)> =
        storelink::db_run!(&pool, c => sqlx::query_as("SELECT api_password, shared_secret FROM store_credentials ORDER BY store_id")
            .fetch_all(&mut *c).await)
            .unwrap();
    let new = Sealer::load(None, dir.path()).unwrap();
    let expected = [("shpat_password", "shpss_secret"), ("a-token-that-expires", "the-client-secret")];
    for ((password, secret), (plain_password, plain_secret)) in sealed.iter().zip(expected) {
        assert!(old.open(password).is_err() && old.open(secret).is_err(), "the old key no longer opens them");
        assert_eq!(new.open(password).unwrap().expose(), plain_password);
        assert_eq!(new.open(secret).unwrap().expose(), plain_secret);
    }
}
