//! The Operator page's server functions: only a signed-in operator reaches them (an
//! organization's administrator is as refused as anyone), and through them the operator creates
//! an organization, invites its first administrator (who joins by the link, once), limits,
//! renames, turns off and removes it, each noted.

use reqwest::StatusCode;

use crate::helpers::*;

const OPERATOR_EMAIL: &str = "ops@provider.example";

/// A client signed in on the Operator page, its account made by the command line.
async fn operator(app: &TestApp) -> reqwest::Client {
    let added = storelink(app, &["operator", "add", "--email", OPERATOR_EMAIL], PASSWORD).await;
    assert!(added.status.success(), "{added:?}");
    let client = app.client();
    let signed_in =
        app.post(&client, "/api/operator/login", &[("email", OPERATOR_EMAIL), ("password", PASSWORD)]).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    client
}

async fn organizations(app: &TestApp, client: &reqwest::Client) -> Vec<serde_json::Value> {
    let answer = app.get(client, "/api/operator/organizations").await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: serde_json::Value = answer.json().await.unwrap();
    body["organizations"].as_array().unwrap().clone()
}

/// An error answer as the page shows it.
async fn message(answer: reqwest::Response) -> String {
    serde_json::from_value::<storelink::error::AppError>(error_body(answer).await).unwrap().to_string()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sql).fetch_one(&mut *c).await).unwrap()
}

/// Arguments that would succeed for the operator, for each of the page's functions.
fn sample(path: &str) -> Vec<(&'static str, &'static str)> {
    match path {
        "/api/operator/organizations" => vec![],
        "/api/operator/create" => vec![("name", "Sneaky"), ("ecommerce", "on")],
        "/api/operator/rename" => vec![("name", "Default"), ("new_name", "Sneaky")],
        "/api/operator/ecommerce" => vec![("name", "Default"), ("enabled", "false")],
        "/api/operator/limits" => {
            vec![("name", "Default"), ("stores", "0"), ("users", "0"), ("tokens", "0"), ("sync_jobs", "0")]
        }
        "/api/operator/invite" => vec![("name", "Default"), ("email", "sneaky@example.com")],
        "/api/operator/remove" => vec![("name", "Default"), ("confirm", "Default")],
        other => panic!("{other} has no sample arguments here: add them so its guard is tested"),
    }
}

#[tokio::test]
async fn only_the_operator_reaches_the_operator_functions_and_nothing_changes_for_anyone_else() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let snapshot = || async {
        (
            count(&app, "SELECT COUNT(*) FROM organizations").await,
            count(&app, "SELECT COUNT(*) FROM invitations").await,
            count(&app, "SELECT COUNT(*) FROM audit_log").await,
            storelink::db_run!(&app.pool, c => sqlx::query_as::<_, (String, bool, Option<i64>)>(
                "SELECT name, enabled, max_users FROM organizations").fetch_all(&mut *c).await)
            .unwrap(),
        )
    };
    let before = snapshot().await;
    let mut checked = 0;
    for (path, method) in server_fn::axum::server_fn_paths() {
        if !path.starts_with("/api/operator/") || path.ends_with("/login") || path.ends_with("/logout") {
            continue;
        }
        let args = sample(path);
        for (who, client) in [("anonymous", app.client()), ("an organization's administrator", admin.clone())] {
            let send = match method {
                reqwest::Method::GET => client.get(app.url(path)).query(&args),
                _ => client.post(app.url(path)).form(&args),
            };
            let answer = send.send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{who}: {path}");
        }
        checked += 1;
    }
    assert_eq!(checked, 7, "the Operator page's functions");
    assert_eq!(snapshot().await, before, "nothing changed");

    // An operator's session opens nothing of an organization's.
    let operator = operator(&app).await;
    for path in ["/api/stores/list", "/api/users/list", "/api/queue", "/api/audit/list"] {
        assert_eq!(app.get(&operator, path).await.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let me: serde_json::Value = app.get(&operator, "/api/me").await.json().await.unwrap();
    assert!(me.is_null(), "the operator is nobody's user: {me}");

    // A wrong password is refused like a user's, and signs nobody in.
    let stranger = app.client();
    let wrong = app
        .post(&stranger, "/api/operator/login", &[("email", OPERATOR_EMAIL), ("password", "not the password")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&stranger, "/api/operator/organizations").await.status(), StatusCode::UNAUTHORIZED);
    // A user's password does not open the Operator page, nor an operator's the desk.
    let as_user = app.post(&stranger, "/api/operator/login", &[("email", ADMIN_EMAIL), ("password", PASSWORD)]).await;
    assert_eq!(as_user.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login(&stranger, OPERATOR_EMAIL, PASSWORD).await.status(), StatusCode::UNAUTHORIZED);

    // Signing out ends the operator's session.
    assert_eq!(app.post(&operator, "/api/operator/logout", &[]).await.status(), StatusCode::OK);
    assert_eq!(app.get(&operator, "/api/operator/organizations").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM operator_sessions").await, 0);
}

#[tokio::test]
async fn the_operator_creates_an_organization_whose_invited_administrator_joins_once() {
    let app = spawn_app_without_sync().await;
    let operator = operator(&app).await;
    let created = app.post(&operator, "/api/operator/create", &[("name", "Second Company"), ("ecommerce", "on")]).await;
    assert_eq!(created.status(), StatusCode::OK);
    let taken = app.post(&operator, "/api/operator/create", &[("name", "second company")]).await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message(taken).await.contains("An organization named second company already exists."));
    let listed = organizations(&app, &operator).await;
    let second = listed.iter().find(|o| o["name"] == "Second Company").expect("listed");
    assert_eq!(
        (second["enabled"].as_bool(), second["stores"].as_i64(), second["users"].as_i64()),
        (Some(true), Some(0), Some(0))
    );

    // An address that already has a user is refused, and nothing is made.
    let taken =
        app.post(&operator, "/api/operator/invite", &[("name", "Second Company"), ("email", ADMIN_EMAIL)]).await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM invitations").await, 0);

    let invited = app
        .post(&operator, "/api/operator/invite", &[("name", "Second Company"), ("email", "Boss@Second.example")])
        .await;
    assert_eq!(invited.status(), StatusCode::OK);
    let invited: serde_json::Value = invited.json().await.unwrap();
    assert_eq!(invited["email"], "boss@second.example");
    let link = invited["link"].as_str().unwrap().to_owned();
    let token = link.split_once("/invitation?token=").expect("a link to the invitation page").1.to_owned();
    let stored: String = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT token_hash FROM invitations").fetch_one(&mut *c).await).unwrap();
    assert_ne!(stored, token, "only the token's hash is kept");

    let newcomer = app.client();
    let shown: serde_json::Value = newcomer
        .get(app.url("/api/invitation"))
        .query(&[("token", &token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (shown["organization"].as_str(), shown["email"].as_str(), shown["role"].as_str()),
        (Some("Second Company"), Some("boss@second.example"), Some("admin"))
    );
    // A password too short is refused, and the link still works.
    let short = app.post(&newcomer, "/api/invitation/accept", &[("token", &token), ("password", "short")]).await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email = 'boss@second.example'").await, 0);
    let joined = app.post(&newcomer, "/api/invitation/accept", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(joined.status(), StatusCode::OK);
    let me: serde_json::Value = app.get(&newcomer, "/api/me").await.json().await.unwrap();
    assert_eq!((me["email"].as_str(), me["role"].as_str()), (Some("boss@second.example"), Some("admin")));
    let second_id = second["id"].as_i64().unwrap();
    assert_eq!(me["org"].as_i64(), Some(second_id));
    // Once only.
    let again = app.client();
    let reused =
        app.post(&again, "/api/invitation/accept", &[("token", &token), ("password", "another long password")]).await;
    assert_eq!(reused.status(), StatusCode::NOT_FOUND);
    assert!(message(reused).await.contains("This invitation link has been used or has expired."));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email = 'boss@second.example'").await, 1);
    let unknown = app.post(&again, "/api/invitation/accept", &[("token", "0000"), ("password", PASSWORD)]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // Its administrator works within it: the first organization's users are not theirs.
    let users: serde_json::Value = app.get(&newcomer, "/api/users/list").await.json().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
    let listed = organizations(&app, &operator).await;
    assert_eq!(listed.iter().find(|o| o["name"] == "Second Company").unwrap()["users"].as_i64(), Some(1));

    // Limits: a user beyond them is refused in words; an invitation accepted beyond them too.
    let limited = app
        .post(
            &operator,
            "/api/operator/limits",
            &[("name", "Second Company"), ("stores", ""), ("users", "1"), ("tokens", ""), ("sync_jobs", "2")],
        )
        .await;
    assert_eq!(limited.status(), StatusCode::OK);
    let not_a_number = app
        .post(
            &operator,
            "/api/operator/limits",
            &[("name", "Second Company"), ("stores", "many"), ("users", ""), ("tokens", ""), ("sync_jobs", "")],
        )
        .await;
    assert_eq!(not_a_number.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (users_max, jobs_max): (Option<i64>, Option<i64>) = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT max_users, max_sync_jobs FROM organizations WHERE name = 'Second Company'").fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!((users_max, jobs_max), (Some(1), Some(2)), "the refused limits changed nothing");
    let invited: serde_json::Value = app
        .post(&operator, "/api/operator/invite", &[("name", "Second Company"), ("email", "packer@second.example")])
        .await
        .json()
        .await
        .unwrap();
    let token = invited["link"].as_str().unwrap().split_once("token=").unwrap().1.to_owned();
    let over = app.post(&app.client(), "/api/invitation/accept", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(over.status(), StatusCode::CONFLICT);
    assert!(message(over).await.contains("Your organization can have at most 1 active user."));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email = 'packer@second.example'").await, 0);

    // Renamed, turned off (its administrator is told), each noted in its audit log.
    let renamed =
        app.post(&operator, "/api/operator/rename", &[("name", "Second Company"), ("new_name", "Second Co")]).await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let off = app.post(&operator, "/api/operator/ecommerce", &[("name", "Second Co"), ("enabled", "false")]).await;
    assert_eq!(off.status(), StatusCode::OK);
    let refused = app.get(&newcomer, "/api/stores/list").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(message(refused).await.contains("E-commerce is not set up for your organization."));
    let noted: Vec<(String, String)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT action, user_email FROM audit_log WHERE organization_id = $1 ORDER BY id").bind(second_id).fetch_all(&mut *c).await).unwrap();
    let actions: Vec<&str> = noted.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create organization",
            "invite user",
            "create user",
            "set limits",
            "invite user",
            "rename organization",
            "disable e-commerce"
        ]
    );
    assert_eq!(noted[0].1, OPERATOR_EMAIL);
    assert_eq!(noted[2].1, "boss@second.example", "the invited administrator created themselves");

    // Removed only when the confirmation names it; then all of it goes, its administrator too.
    let unconfirmed =
        app.post(&operator, "/api/operator/remove", &[("name", "Second Co"), ("confirm", "Default")]).await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message(unconfirmed).await.contains("To remove it, type its name, Second Co, to confirm."));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM organizations").await, 2);
    let removed = app.post(&operator, "/api/operator/remove", &[("name", "Second Co"), ("confirm", "second co")]).await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM organizations").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM invitations").await, 0);
    assert_eq!(app.get(&newcomer, "/api/me").await.json::<serde_json::Value>().await.unwrap(), serde_json::Value::Null);
    let logged: Vec<(String, String)> = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT by_name, organization FROM operator_log").fetch_all(&mut *c).await)
    .unwrap();
    assert_eq!(logged, [(OPERATOR_EMAIL.to_owned(), "Second Co".to_owned())]);
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let app = spawn_app_without_sync().await;
    let operator = operator(&app).await;
    let invited: serde_json::Value = app
        .post(&operator, "/api/operator/invite", &[("name", "Default"), ("email", "late@example.com")])
        .await
        .json()
        .await
        .unwrap();
    let token = invited["link"].as_str().unwrap().split_once("token=").unwrap().1.to_owned();
    storelink::db_run!(&app.pool, c => sqlx::query("UPDATE invitations SET expires_at = 0").execute(&mut *c).await.map(|done| done.rows_affected())).unwrap();
    let shown = app.client().get(app.url("/api/invitation")).query(&[("token", &token)]).send().await.unwrap();
    assert_eq!(shown.status(), StatusCode::NOT_FOUND);
    let late = app.post(&app.client(), "/api/invitation/accept", &[("token", &token), ("password", PASSWORD)]).await;
    assert_eq!(late.status(), StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE email = 'late@example.com'").await, 0);
}
