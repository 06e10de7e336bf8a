//! What an anonymous visitor can and cannot do: fill the disk, lock out the administrator, get a
//! 500 for their own mistakes, send a browser off the site, or put words in storelink's mouth.

use reqwest::{header, Client, Method, StatusCode};
use serde_json::{json, Value};
use storelink::ids::{JobId, StoreId};
use storelink_emulator::webhooks::sign;

use crate::helpers::*;

/// Bytes the database keeps on disk. SQLite: the log is written into the database file first,
/// so what is counted is what was kept, not how much writing it took. PostgreSQL: the size of
/// storelink's tables and their indexes.
async fn database_bytes(app: &TestApp) -> u64 {
    if app.pool.is_postgres() {
        let sql = "SELECT CAST(SUM(pg_total_relation_size(oid)) AS BIGINT) FROM pg_class
                   WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace";
        let bytes: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(sql).fetch_one(&mut *c).await).unwrap();
        return bytes as u64;
    }
    storelink::db_run!(&app.pool, c => sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *c).await.map(|done| done.rows_affected())).unwrap();
    ["storelink.db", "storelink.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(app._dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut *c).await)
        .unwrap()
}

/// A sign-in attempt from the client at `address` (the app trusts `X-Forwarded-For`).
async fn login_from(app: &TestApp, client: &Client, address: &str, email: &str, password: &str) -> reqwest::Response {
    client
        .post(app.url("/api/login"))
        .header("x-forwarded-for", address)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn oversized_and_many_distinct_failed_sign_ins_leave_the_database_small() {
    let app = spawn_app().await;
    let client = app.client();
    let before = database_bytes(&app).await;
    let huge = format!("{}@example.com", "a".repeat(1_900_000));
    for _ in 0..30 {
        let response = app.login(&client, &huge, "whatever").await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let long = format!("{}@example.com", "a".repeat(300));
    let response = app.login(&client, &long, "whatever").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_body(response).await["Invalid"]["message"], "An email address has at most 254 characters.");
    let response = app.login(&client, ADMIN_EMAIL, &"p".repeat(5000)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "refused before hashing");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM login_throttle").await, 0, "nothing stored for any of them");
    assert_eq!(database_bytes(&app).await, before, "not a byte kept");

    for n in 0..300 {
        let response = app.login(&client, &format!("stranger{n}@example.com"), "wrong password").await;
        assert!(response.status().is_client_error(), "attempt {n}");
    }
    // Two rows per account tried before the client was made to wait (its failures from
    // everywhere and from this address), and one for the client.
    let rows = count(&app, "SELECT COUNT(*) FROM login_throttle").await;
    assert!(rows <= 41, "{rows} throttle rows");
    let grown = database_bytes(&app).await.saturating_sub(before);
    assert!(grown <= 64 * 1024, "the database grew by {grown} bytes");
}

#[tokio::test]
async fn the_schedule_deletes_expired_sessions_old_counts_and_old_deliveries() {
    let app = spawn_app().await;
    let long_ago = storelink::db::now() - 8 * 24 * 3600;
    let user = app.user_id(STANDARD_EMAIL).await;
    let store: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "INSERT INTO stores (platform, name, shop_domain, state, created_at, organization_id) VALUES ('shopify', 'Old', 'old.myshopify.com', 'disconnected', 0, 1) RETURNING id",
    )
    .fetch_one(&mut *c).await)
    .unwrap();
    for sql in [
        format!("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ('gone', {user}, 0, {long_ago})"),
        format!("INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ('client:192.0.2.1', 3, {long_ago})"),
        format!("INSERT INTO webhook_deliveries (store_id, event_id, topic, received_at) VALUES ({store}, 'old', 'orders/create', {long_ago})"),
        format!("INSERT INTO webhook_deliveries (store_id, event_id, topic, received_at) VALUES ({store}, 'newest', 'orders/create', {})", long_ago + 1),
    ] {
        storelink::db_run!(&app.pool, c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.map(|done| done.rows_affected())).unwrap();
    }
    // The test server runs its housekeeping every 200 ms.
    wait_for_none(&app, "expired sessions to go", "SELECT COUNT(*) FROM sessions WHERE token_hash = 'gone'").await;
    wait_for_none(&app, "old sign-in counts to go", "SELECT COUNT(*) FROM login_throttle").await;
    wait_for_none(&app, "old deliveries to go", "SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'old'").await;
    let kept: Vec<String> =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT event_id FROM webhook_deliveries").fetch_all(&mut *c).await).unwrap();
    assert_eq!(kept, ["newest"], "each store's newest delivery stays, for its page");
}

#[tokio::test]
async fn a_stranger_guessing_cannot_lock_the_owner_out() {
    let app = spawn_app_trusting_forwarded_for().await;
    // The administrator has signed in from their browser before.
    let owner = app.client();
    assert_eq!(login_from(&app, &owner, "198.51.100.1", ADMIN_EMAIL, PASSWORD).await.status(), StatusCode::OK);

    let stranger = app.client();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(login_from(&app, &stranger, "203.0.113.7", ADMIN_EMAIL, "a guess").await.status());
    }
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS, "the guesses are slowed: {statuses:?}");
    let right_from_stranger = login_from(&app, &stranger, "203.0.113.7", ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(right_from_stranger.status(), StatusCode::TOO_MANY_REQUESTS, "the guessing address waits");

    // The owner on a new laptop elsewhere is slowed down a moment, not refused.
    let laptop = login_from(&app, &app.client(), "198.51.100.9", ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(laptop.status(), StatusCode::OK, "{}", laptop.text().await.unwrap());

    // The owner's browser carries its device tag and signs in at once.
    let again = login_from(&app, &owner, "198.51.100.1", ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(again.status(), StatusCode::OK, "{}", again.text().await.unwrap());
    // A wrong password from the owner's browser is an ordinary wrong password.
    let typo = login_from(&app, &owner, "198.51.100.1", ADMIN_EMAIL, "a typo").await;
    assert_eq!(typo.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn one_client_spraying_many_accounts_is_slowed_and_others_are_not() {
    let app = spawn_app_trusting_forwarded_for().await;
    let sprayer = app.client();
    let mut statuses = Vec::new();
    for n in 0..40 {
        let email = format!("user{n}@example.com");
        statuses.push(login_from(&app, &sprayer, "203.0.113.9", &email, "Summer2026!").await.status());
    }
    assert!(statuses[..19].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let refused = login_from(&app, &sprayer, "203.0.113.9", STANDARD_EMAIL, PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(error_body(refused).await["ThrottledClient"]["retry_after_secs"].as_u64() > Some(0));

    let elsewhere = login_from(&app, &app.client(), "198.51.100.20", STANDARD_EMAIL, PASSWORD).await;
    assert_eq!(elsewhere.status(), StatusCode::OK, "another address is not slowed");
}

#[tokio::test]
async fn without_a_trusted_load_balancer_a_client_cannot_pick_its_address() {
    let app = spawn_app().await;
    let sprayer = app.client();
    for n in 0..25 {
        // Each attempt claims another address; the connection's own address is what counts.
        login_from(&app, &sprayer, &format!("203.0.113.{n}"), &format!("u{n}@example.com"), "guess").await;
    }
    let response = login_from(&app, &sprayer, "198.51.100.50", STANDARD_EMAIL, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_clients_mistakes_are_answered_4xx_with_a_message_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let before = app.store_snapshot().await;
    let post = |path: &str, content_type: &'static str, body: Vec<u8>| {
        admin.post(app.url(path)).header(header::CONTENT_TYPE, content_type).body(body).send()
    };
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(&str, reqwest::Response, StatusCode)> = vec![
        (
            "a missing field",
            post("/api/login", form, b"email=admin%40example.com".to_vec()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "a body over the limit",
            post("/api/users/create", form, vec![b'a'; 200_000]).await.unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "a store id that is no number",
            post("/api/sync/now", form, b"store_id=abc".to_vec()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "a store id that overflows",
            post("/api/sync/now", form, b"store_id=99999999999999999999999".to_vec()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "invalid UTF-8",
            post("/api/stores/remove", form, b"store_id=\xff\xfe".to_vec()).await.unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "JSON where a form belongs",
            post("/api/stores/disconnect", "application/json", br#"{"store_id": 1}"#.to_vec()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (what, response, expected) in cases {
        assert_eq!(response.status(), expected, "{what}");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let message = serde_json::to_string(&body).unwrap();
        assert!(body.is_object() || body.is_string(), "{what} has a message: {message}");
        assert!(!message.contains("Something went wrong on the server"), "{what}: {message}");
    }
    assert_eq!(app.store_snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn a_failed_form_post_never_redirects_off_the_site() {
    let app = spawn_app().await;
    let base = format!("http://{}", app.addr);
    let hostile = [
        format!("{base}//evil.example/x"),
        format!("{base}/\\evil.example/x"),
        format!("{base}/%0d%0aLocation:%20https://evil.example"),
        "https://evil.example//evil.example".to_owned(),
        "javascript:alert(1)".to_owned(),
        "//evil.example".to_owned(),
        "not a url".to_owned(),
    ];
    for referer in hostile {
        let response = app
            .client()
            .post(app.url("/api/login"))
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, &referer)
            .form(&[("email", "nobody@example.com"), ("password", "wrong password")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{referer}");
        let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert!(location.starts_with('/') && !location.starts_with("//"), "{referer} → {location}");
        assert!(!location.contains('\\') && !location.contains("evil.example//"), "{referer} → {location}");
    }
    // A form that succeeds goes back to its own page, without the error it came with.
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let response = admin
        .post(app.url("/api/users/change-role"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("{base}/users?error=conflict&m=7"))
        .form(&[("user_id", app.user_id(STANDARD_EMAIL).await.to_string().as_str()), ("role", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[header::LOCATION], "/users");
}

#[tokio::test]
async fn a_link_cannot_put_words_on_storelinks_pages() {
    let app = spawn_app().await;
    let crafted = "/login?error=conflict&m=9999&message=Your%20account%20is%20locked%2C%20visit%20evil.example";
    let page = app.get(&app.client(), crafted).await.text().await.unwrap();
    assert!(!page.contains("evil.example"), "{page}");
    assert!(page.contains("That cannot be done now."));
    let old_style = "/login?error=eyJDb25mbGljdCI6IllvdXIgYWNjb3VudCBpcyBsb2NrZWQsIHZpc2l0IGV2aWwuZXhhbXBsZSJ9";
    let page = app.get(&app.client(), old_style).await.text().await.unwrap();
    assert!(!page.contains("evil.example") && !page.contains("locked"), "{page}");
}

#[tokio::test]
async fn only_storelinks_own_pages_may_post() {
    let app = spawn_app().await;
    let attempt = |origin: Option<&'static str>, fetch_site: Option<&'static str>| {
        let mut request =
            app.client().post(app.url("/api/login")).form(&[("email", ADMIN_EMAIL), ("password", PASSWORD)]);
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    let own = format!("http://{}", app.addr);
    let own: &'static str = Box::leak(own.into_boxed_str());
    let https_own: &'static str = Box::leak(format!("https://{}", app.addr).into_boxed_str());
    assert_eq!(attempt(Some("https://evil.example"), None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(attempt(Some(https_own), None).await.unwrap().status(), StatusCode::FORBIDDEN, "another scheme");
    assert_eq!(attempt(Some("null"), None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(attempt(Some(own), Some("same-site")).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(attempt(Some(own), Some("same-origin")).await.unwrap().status(), StatusCode::OK);
    assert_eq!(attempt(None, None).await.unwrap().status(), StatusCode::OK, "scripts and the CLI send neither");
}

#[tokio::test]
async fn a_signed_delivery_replayed_days_later_changes_nothing() {
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let (store, job): (StoreId, JobId) =
        storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT store_id, id FROM sync_jobs").fetch_one(&mut *c).await).unwrap();
    app.engine.run_job(job).await.unwrap();
    let order: i64 = count(&app, "SELECT MIN(id) FROM synced_orders").await;
    let body = json!({"id": order, "admin_graphql_api_id": format!("gid://shopify/Order/{order}"), "note": "replayed"})
        .to_string()
        .into_bytes();
    let deliver = |event: &'static str, triggered_at: String| {
        let signature = sign(SHOP_SECRET, &body);
        Client::new()
            .request(Method::POST, app.url("/webhooks/shopify"))
            .header("x-shopify-topic", "orders/updated")
            .header("x-shopify-shop-domain", "acme.myshopify.com")
            .header("x-shopify-event-id", event)
            .header("x-shopify-hmac-sha256", signature)
            .header("x-shopify-triggered-at", triggered_at)
            .body(body.clone())
            .send()
    };
    let now = time::OffsetDateTime::now_utc();
    let rfc3339 = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    // Recorded long ago and replayed now under a new event id: genuinely signed, three days old.
    let replay = deliver("evt-replayed", rfc3339(now - time::Duration::days(3)));
    assert_eq!(replay.await.unwrap().status(), StatusCode::OK, "answered, so a sender stops");
    let fresh = deliver("evt-fresh", rfc3339(now));
    assert_eq!(fresh.await.unwrap().status(), StatusCode::OK);
    let applied = "SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'evt-fresh' AND applied_at IS NOT NULL";
    let mut waited = 0;
    while count(&app, applied).await == 0 {
        assert!(waited < 100, "the fresh delivery was never applied");
        waited += 1;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhook_deliveries WHERE event_id = 'evt-replayed'").await, 0);
    assert_eq!(count(&app, &format!("SELECT webhooks_stale FROM stores WHERE id = {store}")).await, 1);
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_is_counted_as_it_arrives() {
    let app = spawn_app().await;
    // Thirty guesses started at once, each reaching the throttle before any has been checked; the
    // last is right. Were they all checked before the first failure was counted, it would get in.
    let guesses = (0..30).map(|n| {
        let password = if n == 29 { PASSWORD.to_owned() } else { format!("guess {n}") };
        let client = Some("203.0.113.70".parse().unwrap());
        storelink::auth::authenticate(
            &app.pool,
            storelink::auth::Attempt { email: ADMIN_EMAIL, password, client, known_device: false },
        )
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers.iter().filter(|a| matches!(a, Err(storelink::error::AppError::InvalidCredentials))).count();
    assert_eq!(checked, 4, "four wrong passwords are answered as such, then every guess waits: {answers:?}");
    assert!(answers[29].is_err(), "the right password, guessed after the fifth failure, waits too");
}
