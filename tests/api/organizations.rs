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

#[tokio::test]
async fn the_operator_creates_an_organization_and_one_turned_off_is_told_so_and_stops_syncing() {
    const NOT_SET_UP: &str = "E-commerce is not set up for your organization. Contact your account representative.";
    let app = spawn_app_without_sync().await;
    let created = storelink(&app, &["org", "create", "--name", "Second"], "").await;
    assert!(created.status.success(), "{created:?}");
    // With two organizations, the command line needs to be told which.
    let unsaid = storelink(&app, &["user", "add", "--email", "boss@second.example", "--role", "admin"], PASSWORD).await;
    assert!(!unsaid.status.success());
    assert!(String::from_utf8_lossy(&unsaid.stderr).contains("say which with --org NAME"), "{unsaid:?}");
    let unknown = storelink(
        &app,
        &["user", "add", "--org", "Third", "--email", "boss@second.example", "--role", "admin"],
        PASSWORD,
    )
    .await;
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("There is no organization named Third."), "{unknown:?}");
    let added = storelink(
        &app,
        &["user", "add", "--org", "second", "--email", "boss@second.example", "--role", "admin"],
        PASSWORD,
    )
    .await;
    assert!(added.status.success(), "{added:?}");
    let token = storelink(&app, &["token", "create", "--org", "Second", "--name", "Printer"], "").await;
    assert!(token.status.success(), "{token:?}");
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();

    // Its administrator registers a store, which only its organization sees.
    let boss = app.signed_in("boss@second.example").await;
    assert_eq!(app.register(&boss, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let listed: serde_json::Value = app.get(&boss, "/api/stores/list").await.json().await.unwrap();
    assert_eq!(listed["stores"].as_array().unwrap().len(), 1);
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let theirs: serde_json::Value = app.get(&admin, "/api/stores/list").await.json().await.unwrap();
    assert_eq!(theirs["stores"], serde_json::json!([]), "the first organization sees none of it");

    let disabled = storelink(&app, &["org", "disable", "SECOND"], "").await;
    assert!(disabled.status.success(), "{disabled:?}");
    // Its users still sign in and know who they are, and are told why nothing else works.
    assert_eq!(app.get(&boss, "/api/me").await.status(), StatusCode::OK);
    let refused = app.get(&boss, "/api/stores/list").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // As the page shows it.
    let shown: storelink::error::AppError = serde_json::from_value(error_body(refused).await).unwrap();
    assert_eq!(shown.to_string(), NOT_SET_UP);
    let again = app.client();
    assert_eq!(app.login(&again, "boss@second.example", PASSWORD).await.status(), StatusCode::OK);
    let api = reqwest::Client::new().get(app.url("/api/v1/orders")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], NOT_SET_UP);
    // Nothing of it syncs: its first sync was cancelled, no job of it is claimed, and the
    // schedule passes it over, while the first organization's stores go on.
    let states: Vec<String> = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT state FROM sync_jobs")
        .fetch_all(&mut *c).await)
    .unwrap();
    assert_eq!(states, ["cancelled"]);
    let now = storelink::db::now();
    let topics: Vec<(&str, i64)> =
        storelink::platforms::Platform::ALL.iter().map(|p| (p.slug(), p.topics().len() as i64)).collect();
    let due = storelink::jobs::repo::due_for_schedule(&app.pool, now + 1, now + 1, &topics).await.unwrap();
    assert_eq!(due, [], "the schedule passes a turned-off organization's stores over");
    assert_eq!(app.register(&admin, "recent", SHOP_TOKEN).await.status(), StatusCode::OK);
    let claimed = storelink::jobs::repo::claim_next(&app.pool, "test", 10_000).await.unwrap().unwrap();
    let first_org: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT organization_id FROM stores WHERE id = $1")
        .bind(claimed.store_id).fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(first_org, 1);
    storelink::db_run!(&app.pool, c => sqlx::query("UPDATE sync_jobs SET state = 'queued' WHERE store_id IN (SELECT id FROM stores WHERE organization_id = 2)")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
    assert!(
        storelink::jobs::repo::claim_next(&app.pool, "test", 10_000).await.unwrap().is_none(),
        "a queued job of a turned-off organization is not claimed"
    );

    // Turned on again, its users work as before; each change is in its audit log.
    let enabled = storelink::organizations::set_enabled(&app.pool, "Second", true, "test").await;
    assert!(enabled.is_ok(), "{enabled:?}");
    assert_eq!(app.get(&boss, "/api/stores/list").await.status(), StatusCode::OK);
    let noted: Vec<String> = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE organization_id = 2 AND user_email IN ('command line', 'test') ORDER BY id",
    )
    .fetch_all(&mut *c).await)
    .unwrap();
    assert_eq!(
        noted,
        ["create organization", "create user", "create API token", "disable e-commerce", "enable e-commerce"]
    );
}

#[tokio::test]
async fn each_limit_the_operator_sets_refuses_one_more_in_words_and_changes_nothing() {
    let app = spawn_app_without_sync().await;
    // The first organization has two users already.
    let limited =
        storelink(&app, &["org", "limit", "Default", "--stores", "1", "--users", "2", "--tokens", "1"], "").await;
    assert!(limited.status.success(), "{limited:?}");
    let admin = app.signed_in(ADMIN_EMAIL).await;

    let user = app
        .post(
            &admin,
            "/api/users/create",
            &[("email", "third@example.com"), ("role", "standard"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(user.status(), StatusCode::CONFLICT);
    let said: storelink::error::AppError = serde_json::from_value(error_body(user).await).unwrap();
    assert_eq!(
        said.to_string(),
        "Your organization can have at most 2 active users. Deactivate one, or ask your account representative for more."
    );
    assert_eq!(app.user_count().await, 2);

    assert_eq!(app.register(&admin, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let asked_before = app.shopify_requests().await;
    let store = app.register(&admin, "recent", SHOP_TOKEN).await;
    assert_eq!(store.status(), StatusCode::CONFLICT);
    let said: storelink::error::AppError = serde_json::from_value(error_body(store).await).unwrap();
    assert_eq!(
        said.to_string(),
        "Your organization can have at most 1 store. Remove a disconnected one, or ask your account representative for more."
    );
    assert_eq!(app.shopify_requests().await, asked_before, "refused before Shopify is asked anything");
    let stores: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM stores").fetch_one(&mut *c).await)
            .unwrap();
    assert_eq!(stores, 1);

    assert_eq!(app.post(&admin, "/api/tokens/create", &[("name", "Printer")]).await.status(), StatusCode::OK);
    let token = app.post(&admin, "/api/tokens/create", &[("name", "Second printer")]).await;
    assert_eq!(token.status(), StatusCode::CONFLICT);
    let count: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens").fetch_one(&mut *c).await)
        .unwrap();
    assert_eq!(count, 1);
    let listed = String::from_utf8(storelink(&app, &["org", "list"], "").await.stdout).unwrap();
    assert!(listed.contains("\t1 of 1 stores\t2 of 2 users\t"), "{listed}");
    // `none` lifts a limit; what is left out stays.
    assert!(storelink(&app, &["org", "limit", "default", "--users", "none"], "").await.status.success());
    let user = app
        .post(
            &admin,
            "/api/users/create",
            &[("email", "third@example.com"), ("role", "standard"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(user.status(), StatusCode::OK);
    assert_eq!(app.register(&admin, "recent", SHOP_TOKEN).await.status(), StatusCode::CONFLICT);
}

/// Sync job slots go round the organizations: a claim takes a job of the organization holding
/// fewest jobs now (then the oldest), so none waits while another starts a second, and never
/// more of one organization's at once than its limit.
#[tokio::test]
async fn sync_claims_go_round_the_organizations_within_each_ones_limit() {
    let app = spawn_app_without_sync().await;
    let mut orgs = vec![OrgId(1)];
    for name in ["Second", "Third"] {
        orgs.push(storelink::organizations::create(&app.pool, name, true, "test").await.unwrap());
    }
    // The first organization's jobs were queued first, then the second's, then the third's.
    let mut conn = app.pool.acquire().await.unwrap();
    let mut n = 0;
    for (org, stores) in [(orgs[0], 3), (orgs[1], 2), (orgs[2], 1)] {
        for _ in 0..stores {
            n += 1;
            let details = storelink::stores::repo::ShopDetails {
                platform: storelink::platforms::Platform::Shopify,
                name: "Shop",
                shop_json: "{}",
                granted_scopes: &[],
                warnings: &[],
            };
            let store = storelink::stores::repo::insert_connected(
                &mut conn,
                org,
                &format!("s{n}.myshopify.com"),
                &details,
                storelink::ids::UserId(app.user_id(ADMIN_EMAIL).await),
            )
            .await
            .unwrap()
            .unwrap();
            storelink::jobs::repo::queue(&mut conn, store, storelink::jobs::JobKind::Full).await.unwrap();
        }
    }
    drop(conn);
    let org_of_next = || async {
        let claim = storelink::jobs::repo::claim_next(&app.pool, "test", 60_000).await.unwrap()?;
        let org: i64 =
            storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT organization_id FROM stores WHERE id = $1")
            .bind(claim.store_id).fetch_one(&mut *c).await)
            .unwrap();
        Some(OrgId(org))
    };
    let mut claimed = Vec::new();
    while let Some(org) = org_of_next().await {
        claimed.push(org);
    }
    assert_eq!(claimed, [orgs[0], orgs[1], orgs[2], orgs[0], orgs[1], orgs[0]]);

    // Again, with the second organization allowed one job at once: its second waits.
    storelink::db_run!(&app.pool, c => sqlx::query("UPDATE sync_jobs SET owner = NULL, lease_until = NULL")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
    let limits = storelink::organizations::Limits { max_sync_jobs: Some(1), ..Default::default() };
    storelink::organizations::set_limits(&app.pool, "Second", &limits, "test").await.unwrap();
    let mut claimed = Vec::new();
    while let Some(org) = org_of_next().await {
        claimed.push(org);
    }
    assert_eq!(claimed, [orgs[0], orgs[1], orgs[2], orgs[0], orgs[0]]);
}

#[tokio::test]
async fn the_operator_removes_an_organization_named_twice_and_everything_of_it_goes() {
    let app = spawn_app_without_sync().await;
    assert!(storelink(&app, &["org", "create", "--name", "Gone"], "").await.status.success());
    let added =
        storelink(&app, &["user", "add", "--org", "Gone", "--email", "boss@gone.example", "--role", "admin"], PASSWORD)
            .await;
    assert!(added.status.success(), "{added:?}");
    let boss = app.signed_in("boss@gone.example").await;
    assert_eq!(app.register(&boss, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    assert_eq!(app.post(&boss, "/api/tokens/create", &[("name", "Printer")]).await.status(), StatusCode::OK);
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, "recent", SHOP_TOKEN).await.status(), StatusCode::OK);
    let held = || async {
        storelink::db_run!(&app.pool, c => sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64)>(
            "SELECT (SELECT COUNT(*) FROM stores WHERE organization_id = 2), (SELECT COUNT(*) FROM users WHERE organization_id = 2),
                    (SELECT COUNT(*) FROM api_tokens WHERE organization_id = 2), (SELECT COUNT(*) FROM audit_log WHERE organization_id = 2),
                    (SELECT COUNT(*) FROM sync_jobs), (SELECT COUNT(*) FROM sessions)",
        )
        .fetch_one(&mut *c).await)
        .unwrap()
    };
    let before = held().await;
    assert_eq!((before.0, before.1, before.2, before.4), (1, 1, 1, 2));

    let unconfirmed = storelink(&app, &["org", "remove", "Gone", "--confirm", "Default"], "").await;
    assert!(!unconfirmed.status.success());
    assert!(
        String::from_utf8_lossy(&unconfirmed.stderr)
            .contains("To remove it, type its name, Gone, to confirm. Nothing was removed."),
        "{unconfirmed:?}"
    );
    assert_eq!(held().await, before, "nothing changed");

    let removed = storelink(&app, &["org", "remove", "gone", "--confirm", "GONE"], "").await;
    assert!(removed.status.success(), "{removed:?}");
    let after = held().await;
    assert_eq!((after.0, after.1, after.2, after.3), (0, 0, 0, 0));
    assert_eq!(after.4, 1, "the first organization's store keeps its sync job");
    assert_eq!(app.get(&boss, "/api/stores/list").await.status(), StatusCode::UNAUTHORIZED, "signed out");
    let listed: serde_json::Value = app.get(&admin, "/api/stores/list").await.json().await.unwrap();
    assert_eq!(listed["stores"].as_array().unwrap().len(), 1);
    let names = String::from_utf8(storelink(&app, &["org", "list"], "").await.stdout).unwrap();
    assert!(!names.contains("Gone"), "{names}");
    // The removal outlives the organization, in the operator's log.
    let log = storelink::organizations::repo::operator_log(&app.pool).await.unwrap();
    assert!(
        matches!(log.as_slice(), [(_, by, action, org, detail)]
            if by == "command line" && action == "remove organization" && org == "Gone"
                && detail == "1 stores, 1 users, 1 API tokens and 4 audit entries deleted"),
        "{log:?}"
    );
    // The last organization stays.
    let last = storelink(&app, &["org", "remove", "Default", "--confirm", "Default"], "").await;
    assert!(String::from_utf8_lossy(&last.stderr).contains("Default is the only organization; it stays."), "{last:?}");
}
