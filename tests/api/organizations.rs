//! Organizations: what a user creates belongs to the user's organization, not to the first one
//! the migration made.

use reqwest::StatusCode;
use storelink::{ids::OrgId, users::Role};

use crate::helpers::*;

#[tokio::test]
async fn what_an_administrator_creates_belongs_to_their_organization() {
    let app = spawn_app().await;
    // A second organization and its administrator, made directly: the operator's commands for
    // them come with the organizations' isolation.
    storelink::db_run!(&app.pool, c => sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES (2, 'Second', 0)")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
    let hash = storelink::auth::password::hash_blocking(PASSWORD).unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    storelink::users::repo::create(&mut conn, OrgId(2), "second@example.com", Role::Admin, &hash).await.unwrap();
    drop(conn);
    let second = app.signed_in("second@example.com").await;

    assert_eq!(app.register(&second, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let created = app
        .post(
            &second,
            "/api/users/create",
            &[("email", "packer@example.com"), ("role", "standard"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let token = app.post(&second, "/api/tokens/create", &[("name", "Label printer")]).await;
    assert_eq!(token.status(), StatusCode::OK);

    let org_of = |sql: &'static str| {
        let pool = app.pool.clone();
        async move { storelink::db_run!(&pool, c => sqlx::query_scalar::<_, i64>(sql).fetch_all(&mut *c).await).unwrap() }
    };
    assert_eq!(org_of("SELECT organization_id FROM stores").await, [2]);
    assert_eq!(org_of("SELECT organization_id FROM users WHERE email = 'packer@example.com'").await, [2]);
    assert_eq!(org_of("SELECT organization_id FROM api_tokens").await, [2]);
    let audited = org_of("SELECT organization_id FROM audit_log ORDER BY id").await;
    assert!(audited.len() >= 3, "registering, the user and the token are each noted: {audited:?}");
    assert!(audited.iter().all(|org| *org == 2), "{audited:?}");
    // The first organization's own users are where they were.
    assert_eq!(org_of("SELECT organization_id FROM users WHERE email = 'admin@example.com'").await, [1]);
}

#[tokio::test]
async fn the_operator_renames_an_organization_and_a_name_taken_or_unknown_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = storelink::db::scratch_url(dir.path()).await;
    let pool = storelink::db::connect(&url).await.unwrap();
    storelink::db_run!(&pool, c => sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES (2, 'Second', 0)")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
    let org = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_storelink"))
            .arg("org")
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let renamed = org(&["rename", "default", "Acme Shipping"]);
    assert!(renamed.status.success(), "{renamed:?}");

    let taken = org(&["rename", "acme shipping", "SECOND"]);
    assert!(!taken.status.success());
    assert!(
        String::from_utf8_lossy(&taken.stderr).contains("An organization named SECOND already exists."),
        "{taken:?}"
    );
    let unknown = org(&["rename", "Nobody", "Third"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("There is no organization named Nobody."), "{unknown:?}");

    let listed = String::from_utf8(org(&["list"]).stdout).unwrap();
    let names: Vec<&str> = listed.lines().map(|line| line.split('\t').nth(1).unwrap()).collect();
    assert_eq!(names, ["Acme Shipping", "Second"]);
    // Noted once, in the organization renamed, by the command line.
    let noted: Vec<(i64, String, String, String)> = storelink::db_run!(&pool, c => sqlx::query_as(
        "SELECT organization_id, user_email, action, detail FROM audit_log",
    )
    .fetch_all(&mut *c).await)
    .unwrap();
    assert_eq!(
        noted,
        [(1, "command line".to_owned(), "rename organization".to_owned(), "default → Acme Shipping".to_owned())]
    );
}
