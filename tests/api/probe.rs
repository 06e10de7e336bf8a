//! What an outside probe found (a tester with the README, a browser and curl), each request
//! tried again: a script in a shop's name, framing, numbers and emails from the address line,
//! oversized bodies. Each is refused or harmless.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use storelink::ids::StoreId;

use crate::{desk::synced, helpers::*};

/// What a hostile shop, customer or product name looks like; the `hostile` shop is named with
/// the first.
pub const HOSTILE: [&str; 5] = [
    "Beta</title><script>window.pwned=1</script><title>",
    "\"><img src=x onerror=window.pwned=2>",
    "</script><script>window.pwned=3</script>",
    // Look-alikes: fullwidth angle brackets are text to a browser, whatever they resemble.
    "＜script＞window.pwned=4＜/script＞",
    "' onmouseover='window.pwned=5' x='",
];

/// One start tag as a browser's tokenizer reads it: its name and its attributes' names and values.
#[derive(Debug)]
struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
}

/// The start tags of an HTML document, read as a browser reads them: comments and end tags
/// skipped, a script's or title's contents taken as text up to its end tag.
fn start_tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(at) = html[i..].find('<').map(|n| n + i) {
        i = at + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(bytes.len(), |n| i + n + 3);
            continue;
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name_end =
            html[i..].find(|c: char| c.is_whitespace() || c == '>' || c == '/').map_or(bytes.len(), |n| i + n);
        let name = html[i..name_end].to_ascii_lowercase();
        i = name_end;
        let mut attributes = Vec::new();
        loop {
            while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace() || *b == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                i += 1;
                break;
            }
            let attr_end = html[i..]
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
                .map_or(bytes.len(), |n| i + n);
            let attr = html[i..attr_end].to_ascii_lowercase();
            i = attr_end.max(i + 1);
            let mut value = String::new();
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                match bytes.get(i) {
                    Some(&quote) if quote == b'"' || quote == b'\'' => {
                        let end = html[i + 1..].find(quote as char).map_or(bytes.len(), |n| i + 1 + n);
                        value = html[i + 1..end].to_owned();
                        i = end + 1;
                    }
                    _ => {
                        let end =
                            html[i..].find(|c: char| c.is_whitespace() || c == '>').map_or(bytes.len(), |n| i + n);
                        value = html[i..end].to_owned();
                        i = end;
                    }
                }
            }
            attributes.push((attr, value));
        }
        // Raw text: nothing inside is a tag until the element's own end tag.
        if matches!(name.as_str(), "script" | "style" | "title" | "textarea") {
            let end = format!("</{name}");
            i = html[i..].to_ascii_lowercase().find(&end).map_or(bytes.len(), |n| i + n);
        }
        tags.push(Tag { name, attributes });
    }
    tags
}

/// The nonce a page's Content-Security-Policy lets its inline scripts run with.
fn nonce_of(response: &reqwest::Response) -> String {
    let policy = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let start = policy.find("'nonce-").expect("a page's policy names its nonce") + "'nonce-".len();
    policy[start..].split('\'').next().unwrap().to_owned()
}

/// The page at `path` has only the elements and attributes storelink writes: no image, frame or
/// object, no event handler attribute, and only scripts carrying this answer's nonce.
async fn assert_only_storelinks_markup(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let response = app.get(client, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let nonce = nonce_of(&response);
    let html = response.text().await.unwrap();
    for tag in start_tags(&html) {
        assert!(
            !matches!(tag.name.as_str(), "img" | "iframe" | "object" | "embed" | "base" | "frame"),
            "{path} has a <{}> storelink never writes: {tag:?}",
            tag.name
        );
        for (attribute, _) in &tag.attributes {
            assert!(!attribute.starts_with("on"), "{path} has an event handler: {tag:?}");
        }
        if tag.name == "script" {
            let carried = tag.attributes.iter().find(|(a, _)| a == "nonce").map(|(_, v)| v.as_str());
            assert_eq!(carried, Some(nonce.as_str()), "{path} has a script without its nonce: {tag:?}");
        }
    }
    html
}

/// Writes `text` into a column of every row of the store's `table`, as a sync of such a shop
/// would have stored it.
async fn write_into(app: &TestApp, store: StoreId, table: &str, column: &str, text: &str) {
    let sql = format!("UPDATE {table} SET {column} = $1 WHERE store_id = $2");
    storelink::db_run!(&app.pool, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(text).bind(store)
        .execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
}

#[tokio::test]
async fn hostile_names_in_every_field_a_page_shows_are_text_and_run_nothing() {
    let app = spawn_app_without_sync().await;
    // The shop's name comes from Shopify at registration, through the sync.
    let store = synced(&app, "hostile").await;
    let [title, img, script, fullwidth, quote] = HOSTILE;
    let huge = format!("{}<b>end</b>", "A".repeat(200_000));
    for (table, column, text) in [
        ("synced_products", "title", img),
        ("synced_variants", "title", script),
        ("synced_variants", "sku", quote),
        ("synced_customers", "name", script),
        ("synced_customers", "email", img),
        ("synced_locations", "name", fullwidth),
        ("synced_fulfillment_orders", "location_name", img),
        ("synced_orders", "name", quote),
        ("synced_orders", "customer_name", img),
        ("synced_orders", "ship_to", script),
        ("synced_order_lines", "title", img),
        ("synced_order_lines", "sku", script),
    ] {
        write_into(&app, store, table, column, text).await;
    }
    let first_product: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT MIN(id) FROM synced_products WHERE store_id = $1")
        .bind(store).fetch_one(&mut *c).await)
    .unwrap();
    storelink::db_run!(&app.pool, c => sqlx::query("UPDATE synced_products SET title = $1 WHERE store_id = $2 AND id = $3")
        .bind(&huge).bind(store).bind(first_product).execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
    let fulfillment_order: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar(
        "SELECT MIN(fo.id) FROM synced_fulfillment_orders fo WHERE fo.store_id = $1 AND fo.status IN ('OPEN', 'IN_PROGRESS')")
        .bind(store).fetch_one(&mut *c).await)
    .unwrap();
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let created = app.post(&admin, "/api/tokens/create", &[("name", img)]).await;
    assert_eq!(created.status(), StatusCode::OK);

    let pages = [
        "/".to_owned(),
        format!("/stores/{store}"),
        format!("/stores/{store}/products"),
        format!("/stores/{store}/customers"),
        format!("/stores/{store}/locations"),
        format!("/stores/{store}/shipments"),
        format!("/stores/{store}/sync"),
        format!("/stores/{store}/permissions"),
        format!("/stores/{store}/ship/{fulfillment_order}"),
        format!("/stores/{store}/disconnect"),
        "/audit".to_owned(),
        "/tokens".to_owned(),
    ];
    for path in &pages {
        let html = assert_only_storelinks_markup(&app, &admin, path).await;
        assert!(!html.contains("<title>Beta</title>"), "{path}: the title was cut short by the name");
    }
    let html = assert_only_storelinks_markup(&app, &admin, &format!("/stores/{store}/products")).await;
    assert!(html.contains("&lt;b&gt;end&lt;/b&gt;"), "the 200 KB title is there, as text");
    let html = assert_only_storelinks_markup(&app, &admin, &format!("/stores/{store}")).await;
    let escaped = "Beta&lt;/title&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;title&gt;";
    assert!(html.contains(&format!("<title>{escaped} · storelink</title>")), "the name is the page's title, as text");
    assert!(html.contains(title.replace('<', "&lt;").replace('>', "&gt;").as_str()));
}

#[tokio::test]
async fn every_answer_forbids_framing_sniffing_and_sending_the_address_elsewhere() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    for path in
        ["/", "/users", "/login", "/api/me", "/healthz", "/api/v1/openapi.json", "/no/such/page", "/favicon.svg"]
    {
        let response = app.get(&admin, path).await;
        let headers = response.headers();
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin", "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("base-uri 'none'"), "{path}: {policy}");
        assert!(
            headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
            "{path}: plain http is not told to use https"
        );
    }
    // A page's scripts run only from the site and with this answer's nonce, a new one each time.
    let first = app.get(&admin, "/users").await;
    let policy = first.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    for directive in ["script-src 'self' 'nonce-", "object-src 'none'", "default-src 'self'"] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let second = app.get(&admin, "/users").await;
    assert_ne!(nonce_of(&first), nonce_of(&second), "a nonce is used once");

    let https = spawn_app_with(Some("https://ship.example.com")).await;
    let response = https.get(&https.client(), "/login").await;
    assert_eq!(response.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
}

#[tokio::test]
async fn an_api_body_over_the_limit_is_413_and_records_nothing() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let created: Value =
        app.post(&admin, "/api/tokens/create", &[("name", "Label printer")]).await.json().await.unwrap();
    let token = created["secret"].as_str().unwrap();
    let body = json!({"store": "acme", "order_id": 1, "carrier": "UPS", "tracking_number": "1Z".repeat(35_000)});
    let response =
        reqwest::Client::new().post(app.url("/api/v1/shipments")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["error"].as_str().unwrap().contains("64 KiB"), "{answer}");
    let shipments: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM shipments").fetch_one(&mut *c).await).unwrap();
    assert_eq!(shipments, 0);
}

/// Numbers typed into the address line, at and past every edge, on whichever database runs:
/// a page number is answered for what it is or refused with 422, never a 500 or another page's
/// rows under its label.
#[tokio::test]
async fn page_numbers_and_limits_from_the_address_line_are_checked_at_every_edge() {
    use rand::Rng;
    let app = spawn_app_without_sync().await;
    let store = synced(&app, "big").await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let mut values: Vec<String> =
        [i64::MIN, i64::MIN + 1, -1, 0, 1, 2, 6, 7, 1_000_000, 1_000_001, i64::MAX - 1, i64::MAX]
            .iter()
            .map(i64::to_string)
            .collect();
    values.extend(["99999999999999999999999", "1e3", "-0", " 2", "", "NaN"].map(str::to_owned));
    let mut rng = rand::thread_rng();
    values.extend((0..20).map(|_| rng.gen::<i64>().to_string()));
    values.extend((0..20).map(|_| rng.gen_range(-10..1_000_010).to_string()));
    for value in &values {
        for list in ["products", "customers"] {
            let response = app.get(&standard, &format!("/api/stores/{list}?store_id={store}&page={value}")).await;
            let status = response.status();
            match value.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => {
                    assert_eq!(status, StatusCode::OK, "{list} page {value:?}");
                    let page: Value = response.json().await.unwrap();
                    let pages = (page["total"].as_i64().unwrap() + 49) / 50;
                    assert_eq!(
                        page["page"].as_i64().unwrap(),
                        n.min(pages.max(1)),
                        "{list} page {value:?} is labelled as the one shown"
                    );
                    let first_of_last = (pages.max(1) - 1) * 50;
                    if n >= pages {
                        assert_eq!(
                            page["rows"].as_array().unwrap().len() as i64,
                            page["total"].as_i64().unwrap() - first_of_last
                        );
                    }
                }
                Ok(_) => {
                    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{list} page {value:?}");
                    let body = error_body(response).await;
                    assert_eq!(body["Invalid"]["message"], "Pages are numbered from 1 to 1000000.", "{value:?}");
                }
                Err(_) => assert!(status.is_client_error(), "{list} page {value:?}: {status}"),
            }
            // The page itself always renders: an impossible number is the nearest page there is.
            let response = app.get(&standard, &format!("/stores/{store}/{list}?page={value}")).await;
            assert_eq!(response.status(), StatusCode::OK, "the {list} tab with page {value:?}");
        }
        let response = app.get(&standard, &format!("/api/v1/orders?limit={value}")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the API asks for a token first");
    }
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let created: Value =
        app.post(&admin, "/api/tokens/create", &[("name", "Label printer")]).await.json().await.unwrap();
    let token = created["secret"].as_str().unwrap().to_owned();
    for value in &values {
        let response = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/orders?limit={value}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let expected = match value.parse::<i64>() {
            Ok(n) if (1..=250).contains(&n) => StatusCode::OK,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        assert_eq!(response.status(), expected, "limit {value:?}");
    }
}

#[tokio::test]
async fn a_look_alike_of_an_existing_email_is_the_same_user_or_refused() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let users_before = app.user_count().await;
    let create = |email: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.post(admin, "/api/users/create", &[("email", email), ("role", "standard"), ("password", PASSWORD)])
                .await
        }
    };
    // The fullwidth form is the address itself, which exists.
    let response = create("ｓｔａｎｄａｒｄ@example.com").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_body(response).await["Invalid"]["message"], "A user with this email already exists.");
    for hidden in ["standard@example.com\u{200B}", "stan\u{200D}dard@example.com", "\u{FEFF}standard@example.com"] {
        let response = create(hidden).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{hidden:?}");
        let body = error_body(response).await;
        assert_eq!(body["Invalid"]["field"], "email");
        assert!(body["Invalid"]["message"].as_str().unwrap().contains("invisible character"), "{body}");
    }
    assert_eq!(app.user_count().await, users_before, "nobody was created");
    // A new user typed in fullwidth is stored as the plain address, and signs in either way.
    assert_eq!(create("ｎｅｗ@example.com").await.status(), StatusCode::OK);
    let stored: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'new@example.com'")
        .fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!(stored, 1);
    let client = app.client();
    assert_eq!(app.login(&client, "ＮＥＷ@example.com", PASSWORD).await.status(), StatusCode::OK);
}

/// Reads the stream until it ends; fails if it is still open after `seconds`.
async fn read_to_end(response: &mut reqwest::Response, seconds: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, response.chunk()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(_) => return,
            Err(_) => panic!("the stream is still open after {seconds} s"),
        }
    }
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT user_email, action, detail FROM audit_log ORDER BY id")
        .fetch_all(&mut *c).await)
    .unwrap()
}

#[tokio::test]
async fn a_deactivated_administrators_tokens_sessions_and_open_streams_end_at_once() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let boss = "boss@example.com";
    let created =
        app.post(&admin, "/api/users/create", &[("email", boss), ("role", "admin"), ("password", PASSWORD)]).await;
    assert_eq!(created.status(), StatusCode::OK);
    let boss_id = app.user_id(boss).await.to_string();
    let boss_client = app.signed_in(boss).await;
    let made: Value =
        app.post(&boss_client, "/api/tokens/create", &[("name", "Boss's printer")]).await.json().await.unwrap();
    let token = made["secret"].as_str().unwrap().to_owned();
    let read = || reqwest::Client::new().get(app.url("/api/v1/orders")).bearer_auth(&token).send();
    assert_eq!(read().await.unwrap().status(), StatusCode::OK);
    let mut stream = boss_client.get(app.url("/api/sync/progress")).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    stream.chunk().await.unwrap();

    let deactivated = app.post(&admin, "/api/users/deactivate", &[("user_id", &boss_id)]).await;
    assert_eq!(deactivated.status(), StatusCode::OK);
    read_to_end(&mut stream, 5).await;
    assert_eq!(read().await.unwrap().status(), StatusCode::UNAUTHORIZED, "the token ended with its owner");
    assert_eq!(app.get(&boss_client, "/api/me").await.json::<Value>().await.unwrap(), Value::Null);
    let listed: Value = app.get(&admin, "/api/tokens/list").await.json().await.unwrap();
    let listed = &listed[0];
    assert_eq!(listed["created_by"], boss, "the list says whose it was");
    assert!(listed["revoked_at"].is_i64(), "{listed}");

    let actions = audit_actions(&app).await;
    let expected = [
        (ADMIN_EMAIL, "create user", "boss@example.com as Administrator"),
        (boss, "create API token", "Boss's printer"),
        (ADMIN_EMAIL, "revoke API token", "Boss's printer (its owner boss@example.com was deactivated)"),
        (ADMIN_EMAIL, "deactivate user", "boss@example.com; their API token was revoked"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(actions, expected);
}

#[tokio::test]
async fn signing_out_ends_that_browsers_progress_stream_and_nobody_elses() {
    let app = spawn_app().await;
    let leaving = app.signed_in(STANDARD_EMAIL).await;
    let staying = app.signed_in(STANDARD_EMAIL).await;
    let mut ends = leaving.get(app.url("/api/sync/progress")).send().await.unwrap();
    let mut stays = staying.get(app.url("/api/sync/progress")).send().await.unwrap();
    ends.chunk().await.unwrap();
    stays.chunk().await.unwrap();
    assert!(app.post(&leaving, "/api/logout", &[]).await.status().is_success());
    read_to_end(&mut ends, 5).await;
    // The other session's stream still hears a change.
    let admin = app.signed_in(ADMIN_EMAIL).await;
    app.register(&admin, "acme", SHOP_TOKEN).await;
    let heard = tokio::time::timeout(std::time::Duration::from_secs(10), stays.chunk()).await.unwrap().unwrap();
    assert!(heard.is_some_and(|chunk| !chunk.is_empty()), "the other browser still hears");
}

#[tokio::test]
async fn changes_to_users_are_audited_and_reads_cannot_push_them_out_of_sight() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let created: Value =
        app.post(&admin, "/api/tokens/create", &[("name", "Label printer")]).await.json().await.unwrap();
    let token = created["secret"].as_str().unwrap().to_owned();
    let standard = app.user_id(STANDARD_EMAIL).await.to_string();
    assert_eq!(
        app.post(&admin, "/api/users/change-role", &[("user_id", &standard), ("role", "admin")]).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.post(&admin, "/api/users/change-role", &[("user_id", &standard), ("role", "admin")]).await.status(),
        StatusCode::OK
    );
    for _ in 0..510 {
        let response = reqwest::Client::new().get(app.url("/api/v1/orders")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let page: Value = app.get(&admin, "/api/audit/list").await.json().await.unwrap();
    let actions: Vec<&str> =
        page["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["change role", "create API token"], "an unchanged role is no change; reads are not entries");
    assert_eq!(page["entries"][0]["detail"], "standard@example.com: Standard user → Administrator");
    let listed: Value = app.get(&admin, "/api/tokens/list").await.json().await.unwrap();
    assert_eq!(listed[0]["requests_last_day"], 510, "the reads are counted");
}

#[tokio::test]
async fn the_audit_log_is_read_page_by_page_and_filtered_by_who_what_store_and_day() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    let day = 86_400;
    let start = 1_767_225_600; // 2026-01-01
                               // 130 entries over three days, by two people, about two stores.
    for n in 0..130_i64 {
        let who = if n % 2 == 0 { "ada@example.com" } else { "API token “Printer_1%”" };
        let action = if n % 3 == 0 { "Registered store" } else { "record shipment" };
        let store = n % 5;
        storelink::db_run!(&app.pool, c => sqlx::query(
            "INSERT INTO audit_log (at, user_email, action, store_id, store_name, detail, organization_id) VALUES ($1, $2, $3, $4, $5, $6, 1)")
            .bind(start + (n / 50) * day + n).bind(who).bind(action).bind(store).bind(format!("Store {store}")).bind(format!("entry {n}"))
            .execute(&mut *c).await.map(|done| done.rows_affected()))
        .unwrap();
    }
    let page = |query: String| {
        let (app, admin) = (&app, &admin);
        async move {
            let response = app.get(admin, &format!("/api/audit/list?{query}")).await;
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            response.json::<Value>().await.unwrap()
        }
    };
    let details = |page: &Value| -> Vec<String> {
        page["entries"].as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap().to_owned()).collect()
    };
    // Every entry once, newest first, 50 a page.
    let mut seen = Vec::new();
    let mut query = String::new();
    loop {
        let found = page(query.clone()).await;
        seen.extend(details(&found));
        match found["older"].as_i64() {
            Some(before) => query = format!("before={before}"),
            None => break,
        }
    }
    let all: Vec<String> = (0..130).rev().map(|n| format!("entry {n}")).collect();
    assert_eq!(seen, all);
    // Filters, alone and together; `%` and `_` typed are themselves.
    let count = |page: Value| page["entries"].as_array().unwrap().len();
    assert_eq!(count(page("who=ADA@".into()).await), 50, "who, whatever the case (a full page)");
    assert_eq!(count(page("who=printer_1%25".into()).await), 50);
    assert_eq!(count(page("who=printer_11".into()).await), 0, "_ is not a wildcard");
    let registered = page("action=Registered%20store&store=3".into()).await;
    let expected: Vec<String> =
        (0..130).rev().filter(|n| n % 3 == 0 && n % 5 == 3).map(|n| format!("entry {n}")).collect();
    assert_eq!(details(&registered), expected);
    let second_day = page("from=2026-01-02&to=2026-01-02".into()).await;
    let expected: Vec<String> = (50..100).rev().map(|n| format!("entry {n}")).collect();
    assert_eq!(details(&second_day), expected);
    assert!(second_day["actions"].as_array().unwrap().iter().any(|a| a == "record shipment"));
    assert_eq!(second_day["stores"].as_array().unwrap().len(), 5);
    // The page renders the filters and the way to older entries.
    let html = app.get(&admin, "/audit?who=ada").await.text().await.unwrap();
    assert!(html.contains("Older entries") && html.contains(r#"name="who""#), "{html}");
    assert_eq!(app.get(&app.signed_in(STANDARD_EMAIL).await, "/api/audit/list").await.status(), StatusCode::FORBIDDEN);
}

/// Opens a connection to the app from `source` and sends half a request header.
async fn half_a_header(app: &TestApp, source: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(app.addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: storelink\r\nX-Slow: ").await.unwrap();
    stream
}

/// Whether the server closed the connection within `seconds` (and sent nothing but, perhaps, a
/// refusal).
async fn closed_within(stream: &mut tokio::net::TcpStream, seconds: f64) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs_f64(seconds), stream.read_to_end(&mut buffer)).await.is_ok()
}

#[tokio::test]
async fn connections_that_send_half_a_header_are_cut_off_and_one_client_cannot_hold_more_than_its_share() {
    let app = spawn_app().await;
    // 300 from one address: its 256 places fill, the rest are closed as they arrive.
    let mut held = Vec::new();
    for _ in 0..300 {
        held.push(half_a_header(&app, "127.0.0.2").await);
    }
    let started = std::time::Instant::now();
    let mut refused = 0;
    for stream in held.iter_mut().skip(256) {
        if closed_within(stream, 2.0).await {
            refused += 1;
        }
    }
    assert_eq!(refused, 44, "the connections beyond the client's 256 are closed at once");
    // Everyone else is served meanwhile.
    let health = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // A header that does not arrive within 10 s closes its connection.
    for (n, stream) in held.iter_mut().take(256).enumerate() {
        let left = 13.0 - started.elapsed().as_secs_f64();
        assert!(closed_within(stream, left.max(0.1)).await, "connection {n} is still open after 13 s");
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(9), "not before the header's time ran out");
    // Its places are free again.
    let mut again = half_a_header(&app, "127.0.0.2").await;
    assert!(!closed_within(&mut again, 0.5).await, "a new connection is taken");
}
