//! Every server function checks its caller on the server. The list of functions comes from the
//! server itself, so a new one cannot be forgotten here.

use reqwest::{Method, StatusCode};

use crate::helpers::*;

/// Functions anyone may call.
const PUBLIC: &[&str] = &["/api/login", "/api/logout", "/api/me", "/api/invitation", "/api/invitation/accept"];

/// Arguments that would succeed for an administrator, for each function that needs a role.
fn sample_arguments(path: &str, store_id: &str, user_id: &str) -> Option<Vec<(&'static str, String)>> {
    let args = match path {
        "/api/users/create" => {
            vec![("email", "new@example.com".into()), ("role", "admin".into()), ("password", PASSWORD.into())]
        }
        "/api/users/change-role" => vec![("user_id", user_id.into()), ("role", "admin".into())],
        "/api/users/deactivate" => vec![("user_id", user_id.into())],
        "/api/users/stores" => vec![("user_id", user_id.into())],
        "/api/users/stores/save" => vec![("user_id", user_id.into()), ("access", "some".into())],
        "/api/stores/register" => vec![
            ("platform", "shopify".into()),
            ("fields[store_url]", "recent".into()),
            ("fields[api_key]", SHOP_KEY.into()),
            ("fields[api_password]", SHOP_TOKEN.into()),
            ("fields[shared_secret]", SHOP_SECRET.into()),
        ],
        "/api/stores/disconnect"
        | "/api/stores/remove"
        | "/api/stores/get"
        | "/api/stores/header"
        | "/api/stores/orders"
        | "/api/stores/locations"
        | "/api/stores/sync"
        | "/api/stores/permissions"
        | "/api/sync/now"
        | "/api/sync/progress" => {
            vec![("store_id", store_id.into())]
        }
        "/api/stores/products" | "/api/stores/customers" => vec![("store_id", store_id.into()), ("page", "1".into())],
        "/api/users/list" | "/api/audit/list" | "/api/stores/list" | "/api/tokens/list" => vec![],
        "/api/shipments/list" => vec![("store_id", store_id.into())],
        "/api/tokens/create" => vec![("name", "Sneaky".into())],
        "/api/tokens/revoke" => vec![("token_id", "1".into())],
        "/api/shipments/record" => vec![
            ("store_id", store_id.into()),
            ("order_id", "1".into()),
            ("fulfillment_order_id", "1".into()),
            ("carrier", "UPS".into()),
            ("tracking_number", "1Z".into()),
        ],
        "/api/shipments/retry" | "/api/shipments/dismiss" => {
            vec![("store_id", store_id.into()), ("shipment_id", "1".into())]
        }
        "/api/shipments/form" => vec![("store_id", store_id.into()), ("fulfillment_order_id", "1".into())],
        "/api/shipments/get" => vec![("store_id", store_id.into()), ("shipment_id", "1".into())],
        "/api/shipments/correct" => {
            vec![("store_id", store_id.into()), ("shipment_id", "1".into()), ("tracking_number", "1Z".into())]
        }
        "/api/queue" => vec![],
        "/api/queue/hold" => vec![("store_id", store_id.into()), ("order_id", "1".into()), ("reason", "Wait".into())],
        "/api/queue/release" | "/api/queue/claim" | "/api/queue/unclaim" => {
            vec![("store_id", store_id.into()), ("order_id", "1".into())]
        }
        "/api/queue/views/save" => vec![("name", "Mine".into()), ("filters", String::new())],
        "/api/queue/views/delete" => vec![("id", "1".into())],
        "/api/batch/start" => vec![("orders", format!("{store_id}:1"))],
        "/api/batch/check" | "/api/batch/record" => vec![("shipments", "#1,UPS,1Z".into())],
        "/api/batch/shipments" => vec![("ids", "1".into())],
        _ => return None,
    };
    Some(args)
}

/// Functions a standard user may call (reading the store list and a store).
const READ_ONLY: &[&str] = &[
    "/api/stores/list",
    "/api/stores/get",
    "/api/stores/header",
    "/api/stores/orders",
    "/api/stores/products",
    "/api/stores/customers",
    "/api/stores/locations",
    "/api/stores/sync",
    "/api/stores/permissions",
    "/api/sync/progress",
    "/api/shipments/list",
    "/api/queue",
    "/api/batch/start",
    "/api/batch/check",
    "/api/batch/shipments",
];

/// The desk's work, which standard users do too: past the guard, these sample calls fail on
/// what they name (no such order, shipment, fulfillment order or view here, a view of nothing),
/// changing nothing.
const DESK_WORK: &[&str] = &[
    "/api/shipments/record",
    "/api/shipments/retry",
    "/api/shipments/dismiss",
    "/api/shipments/form",
    "/api/shipments/get",
    "/api/shipments/correct",
    "/api/queue/hold",
    "/api/queue/release",
    "/api/queue/claim",
    "/api/queue/unclaim",
    "/api/queue/views/save",
    "/api/queue/views/delete",
    "/api/batch/record",
];

async fn everything(app: &TestApp) -> (Vec<(String, String, bool, bool)>, Vec<i64>, Vec<(i64, String)>) {
    let users = storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT email, role, active, all_stores FROM users ORDER BY id").fetch_all(&mut *c).await).unwrap();
    let stores = storelink::db_run!(&app.pool, c => sqlx::query_as("SELECT id, state FROM stores ORDER BY id").fetch_all(&mut *c).await).unwrap();
    (users, app.store_snapshot().await, stores)
}

#[tokio::test]
async fn every_server_function_refuses_callers_without_the_role_and_changes_nothing() {
    // No sync runs by itself, so all that could change anything is the calls below.
    let app = spawn_app_without_sync().await;
    let admin = app.signed_in(ADMIN_EMAIL).await;
    assert_eq!(app.register(&admin, "acme", SHOP_TOKEN).await.status(), StatusCode::OK);
    let store_id: i64 =
        storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM stores").fetch_one(&mut *c).await)
            .unwrap();
    let user_id = app.user_id(STANDARD_EMAIL).await;
    let standard = app.signed_in(STANDARD_EMAIL).await;
    let before = everything(&app).await;

    let mut checked = 0;
    for (path, method) in server_fn::axum::server_fn_paths() {
        // The Operator page's functions answer only an operator: `operator.rs` tests them.
        if PUBLIC.contains(&path) || path.starts_with("/api/operator/") {
            continue;
        }
        let args = sample_arguments(path, &store_id.to_string(), &user_id.to_string())
            .unwrap_or_else(|| panic!("{path} has no sample arguments here: add them so its guard is tested"));
        let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let call = |client: &reqwest::Client| {
            let url = app.url(path);
            match method {
                Method::GET => client.get(url).query(&form),
                _ => client.post(url).form(&form),
            }
        };
        let anonymous = call(&app.client()).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "anonymous {path}");
        let as_standard = call(&standard).send().await.unwrap();
        if READ_ONLY.contains(&path) {
            assert_eq!(as_standard.status(), StatusCode::OK, "standard {path}");
        } else if DESK_WORK.contains(&path) {
            let status = as_standard.status();
            assert!(
                [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::CONFLICT, StatusCode::NOT_FOUND].contains(&status),
                "standard {path}: {status}"
            );
        } else {
            assert_eq!(as_standard.status(), StatusCode::FORBIDDEN, "standard {path}");
            let body: serde_json::Value = as_standard.json().await.unwrap();
            assert_eq!(body, serde_json::json!("Forbidden"));
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} server functions were found");
    assert_eq!(everything(&app).await, before, "nothing changed");
    let (tokens, shipments): (i64, i64) = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM api_tokens), (SELECT COUNT(*) FROM shipments)",
    ).fetch_one(&mut *c).await)
    .unwrap();
    assert_eq!((tokens, shipments), (0, 0));
}
