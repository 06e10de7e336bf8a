//! Organizations are walled off from each other. Signed in to one organization (A), as its
//! administrator or its standard user, or holding its API token, nobody reads or changes anything
//! of another (B), even when handed B's ids: B's stores, orders, fulfillment orders, shipment,
//! token, users and saved view.
//!
//! The calls come from the lists the server itself gives (`server_fn::axum::server_fn_paths()` and
//! `storelink::http_api::route_list()`), so a new server function or route cannot escape: one
//! this file has no call for fails the test until it is given one. Each answer must refuse (not
//! 2xx) or carry nothing of B's, and B's data must be as it was after each call. The progress
//! stream is also listened to while B's store changes, and A's lists are read on their own.
//! Every leak is collected and reported at once (`path (who; arguments): status: what`), so one
//! run says all that is left to close; `--nocapture` also shows every call's status, and the
//! refusals that name something of B's (not counted).

use std::time::Duration;

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};
use storelink::{
    ids::{JobId, OrgId, StoreId},
    users::Role,
};

use crate::helpers::*;

/// Functions anyone may call: they read nothing of any organization's without a secret of its
/// own (an invitation's token). The Operator page's functions answer only an operator
/// (`operator.rs`), who belongs to no organization.
const PUBLIC: &[&str] = &["/api/login", "/api/logout", "/api/me", "/api/invitation", "/api/invitation/accept"];

/// The public description of the API: the same for everyone.
const OPENAPI: &str = "/api/v1/openapi.json";

const B_ADMIN: &str = "b-admin@example.com";
const B_STANDARD: &str = "b-standard@example.com";
// Names B gives what it makes, unlike anything of A's, so an answer carrying one is caught.
const B_TOKEN_NAME: &str = "B-printer-marker";
const B_VIEW_NAME: &str = "B-view-marker";
const B_TRACKING: &str = "BTRACK-MARKER";
const B_HOLD_REASON: &str = "B-hold-marker";

/// The tracking number (and hold reason) of whatever A tries to write in B's store; a correction
/// adds its own ending, so it changes a shipment another call already changed.
const SNEAK: &str = "A-SNEAK";

/// Functions that, if they leaked, would take away or change something of B's that the others
/// are tried on (its hold and claim, view, token, failed shipment, the sync reconnecting a store
/// queues, users, store): called last, in this order, so one leak does not hide another.
const LAST: &[&str] = &[
    "/api/queue/release",
    "/api/queue/unclaim",
    "/api/queue/views/delete",
    "/api/tokens/revoke",
    "/api/shipments/dismiss",
    "/api/stores/register",
    "/api/users/deactivate",
    "/api/stores/disconnect",
    "/api/stores/remove",
];

/// An order of B's awaiting shipping, with its one open fulfillment order.
#[derive(Debug, Clone)]
struct Order {
    store: i64,
    domain: String,
    id: i64,
    fulfillment_order: i64,
    name: String,
}

/// Organization B's ids, as A is handed them.
struct Theirs {
    /// `acme`, where B's shipment, view and most orders tried are.
    store: i64,
    domain: String,
    /// `fleet0`: the orders of one shop are too few for every use below.
    second: i64,
    /// Neither held nor claimed: read, held and claimed by A.
    order: Order,
    /// Each shipped by one of A's attempts (the form, a batch, the API, the API's batch), so one
    /// that leaked leaves the next an order still open.
    to_record: Order,
    to_batch: Order,
    to_post: Order,
    to_post_batch: Order,
    /// An order B's administrator holds, and one B's standard user claimed.
    held: Order,
    claimed: Order,
    /// Failed (its fulfillment order is on hold in Shopify), so retry and dismiss could act on it.
    shipment: i64,
    token: i64,
    admin: i64,
    standard: i64,
    view: i64,
}

/// Two organizations: A (the app's first, with its administrator and standard user, an API token
/// and no store, so anything store-shaped A is shown is B's) and B (two synced stores, a failed
/// shipment, a hold, a claim, a shared view, an API token, and two users).
struct World {
    app: TestApp,
    theirs: Theirs,
    /// Everything of B's that must not reach A: (what it is, its text).
    markers: Vec<(String, String)>,
    a_admin: Client,
    a_standard: Client,
    a_token: String,
    /// B's administrator, signed in, to change B's store while A listens to the progress.
    b_admin: Client,
}

type Args = Vec<(&'static str, String)>;

/// The calls made to `path` as A, each naming B's ids where the function takes any; `None` for a
/// function this file does not know yet.
fn attempts(path: &str, b: &Theirs) -> Option<Vec<Args>> {
    let store = || ("store_id", b.store.to_string());
    let shopify = |reconnect: bool| {
        let mut args: Args = vec![
            ("platform", "shopify".into()),
            ("fields[store_url]", "acme".into()),
            ("fields[api_key]", SHOP_KEY.into()),
            ("fields[api_password]", SHOP_TOKEN.into()),
            ("fields[shared_secret]", SHOP_SECRET.into()),
        ];
        if reconnect {
            args.push(("reconnect", "on".into()));
        }
        args
    };
    let pair = format!("{}:{}", b.to_batch.store, b.to_batch.id);
    let line = format!("{},UPS,{SNEAK}", b.to_batch.name);
    let calls = match path {
        "/api/users/create" => {
            vec![vec![
                ("email", "a-new@example.com".into()),
                ("role", "standard".into()),
                ("password", PASSWORD.into()),
            ]]
        }
        "/api/users/stores" => vec![vec![("user_id", b.standard.to_string())]],
        "/api/users/stores/save" => vec![
            vec![("user_id", b.standard.to_string()), ("access", "some".into())],
            vec![("user_id", b.standard.to_string()), ("access", "all".into())],
        ],
        "/api/users/change-role" => vec![
            vec![("user_id", b.standard.to_string()), ("role", "admin".into())],
            vec![("user_id", b.admin.to_string()), ("role", "standard".into())],
        ],
        "/api/users/deactivate" => {
            vec![vec![("user_id", b.standard.to_string())], vec![("user_id", b.admin.to_string())]]
        }
        // B's shop: refused as taken, and never handed over by reconnecting it.
        "/api/stores/register" => vec![shopify(false), shopify(true)],
        "/api/stores/disconnect"
        | "/api/stores/remove"
        | "/api/stores/get"
        | "/api/stores/header"
        | "/api/stores/locations"
        | "/api/stores/sync"
        | "/api/stores/permissions"
        | "/api/shipments/list" => vec![vec![store()]],
        // The other store: a sync it queued would make reconnecting `acme` queue none.
        "/api/sync/now" => vec![vec![("store_id", b.second.to_string())]],
        "/api/stores/orders" => vec![vec![store()], vec![store(), ("q", b.order.name.clone())]],
        "/api/stores/products" | "/api/stores/customers" => vec![vec![store(), ("page", "1".into())]],
        // One store's progress, and every store's.
        "/api/sync/progress" => vec![vec![store()], vec![]],
        "/api/users/list" | "/api/stores/list" | "/api/tokens/list" => vec![vec![]],
        "/api/audit/list" => vec![vec![], vec![("store", b.store.to_string())]],
        "/api/tokens/create" => vec![vec![("name", "A-made".into())]],
        "/api/tokens/revoke" => vec![vec![("token_id", b.token.to_string())]],
        "/api/shipments/record" => vec![vec![
            ("store_id", b.to_record.store.to_string()),
            ("order_id", b.to_record.id.to_string()),
            ("fulfillment_order_id", b.to_record.fulfillment_order.to_string()),
            ("carrier", "UPS".into()),
            ("tracking_number", SNEAK.into()),
        ]],
        "/api/shipments/retry" | "/api/shipments/dismiss" | "/api/shipments/get" => {
            vec![vec![store(), ("shipment_id", b.shipment.to_string())]]
        }
        "/api/shipments/form" => vec![vec![store(), ("fulfillment_order_id", b.order.fulfillment_order.to_string())]],
        "/api/shipments/correct" => {
            vec![vec![store(), ("shipment_id", b.shipment.to_string()), ("tracking_number", format!("{SNEAK}-FORM"))]]
        }
        "/api/queue" => vec![
            vec![],
            vec![("store", b.store.to_string())],
            vec![("q", b.order.name.clone())],
            vec![("shipped", b.shipment.to_string()), ("shipped_store", b.store.to_string())],
        ],
        "/api/queue/hold" => vec![vec![store(), ("order_id", b.order.id.to_string()), ("reason", SNEAK.into())]],
        "/api/queue/release" => vec![vec![("store_id", b.held.store.to_string()), ("order_id", b.held.id.to_string())]],
        "/api/queue/claim" => vec![vec![store(), ("order_id", b.order.id.to_string())]],
        "/api/queue/unclaim" => {
            vec![vec![("store_id", b.claimed.store.to_string()), ("order_id", b.claimed.id.to_string())]]
        }
        "/api/queue/views/save" => {
            vec![vec![("name", "A-view".into()), ("filters", format!("store={}", b.store)), ("shared", "on".into())]]
        }
        "/api/queue/views/delete" => vec![vec![("id", b.view.to_string())]],
        // The orders chosen by their pair, everything the queue finds, and B's store's queue.
        "/api/batch/start" => vec![
            vec![("orders", format!("{}:{}", b.store, b.order.id))],
            vec![("filters", "platform=shopify".into())],
            vec![("filters", format!("store={}", b.store))],
        ],
        "/api/batch/check" | "/api/batch/record" => vec![vec![("shipments", line), ("selected", pair)]],
        "/api/batch/shipments" => vec![vec![("ids", b.shipment.to_string())]],
        _ => return None,
    };
    Some(calls)
}

/// The requests made to each `/api/v1` route with A's token (`{id}` is B's shipment): the query
/// and the JSON body; `None` for a route this file does not know yet.
fn api_attempts(method: &Method, path: &str, b: &Theirs) -> Option<Vec<(Args, Option<Value>)>> {
    let shipment = |order: &Order| json!({"store": order.domain, "order_id": order.id, "carrier": "UPS", "tracking_number": SNEAK});
    let calls = match (method.as_str(), path) {
        ("GET", "/api/v1/orders") => vec![
            (vec![], None),
            (vec![("store", b.domain.clone())], None),
            (vec![("awaiting_shipment", "true".into()), ("q", b.order.name.clone())], None),
            (
                vec![
                    ("awaiting_shipment", "true".into()),
                    ("include_held", "true".into()),
                    ("include_disconnected", "true".into()),
                ],
                None,
            ),
        ],
        ("POST", "/api/v1/shipments") => vec![(vec![], Some(shipment(&b.to_post)))],
        ("POST", "/api/v1/shipments/batch") => {
            let mut row = shipment(&b.to_post_batch);
            row["key"] = json!("a-sneak-1");
            vec![(vec![], Some(json!({"shipments": [row]})))]
        }
        ("GET", "/api/v1/shipments/{id}") => vec![(vec![], None)],
        // Only what a change may carry, so the body is read and the shipment is looked up.
        ("PATCH", "/api/v1/shipments/{id}") => {
            vec![(vec![], Some(json!({"tracking_number": format!("{SNEAK}-API")})))]
        }
        _ => return None,
    };
    Some(calls)
}

async fn scalar(app: &TestApp, sql: &'static str, bind: i64) -> i64 {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar(sql).bind(bind).fetch_one(&mut *c).await).unwrap()
}

async fn texts(app: &TestApp, sql: &'static str, bind: i64) -> Vec<String> {
    storelink::db_run!(&app.pool, c => sqlx::query_scalar::<_, String>(sql).bind(bind).fetch_all(&mut *c).await)
        .unwrap()
}

/// Posts as `client`; the call must succeed (it sets up the world, it is not under test).
async fn done(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> Value {
    let response = app.post(client, path, form).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "setting up, {path}: {status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Registers `shop` as B's administrator and syncs it; then Shopify holds back its webhooks, so
/// nothing but the calls changes what storelink holds of it. Its store and four orders awaiting
/// shipping.
async fn synced_store(app: &TestApp, b_admin: &Client, shop: &str) -> (i64, [Order; 4]) {
    assert_eq!(app.register(b_admin, shop, SHOP_TOKEN).await.status(), StatusCode::OK);
    let domain = format!("{shop}.myshopify.com");
    let (store, job): (i64, i64) = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT s.id, j.id FROM stores s JOIN sync_jobs j ON j.store_id = s.id WHERE s.shop_domain = $1 AND s.organization_id = 2",
    )
    .bind(&domain)
    .fetch_one(&mut *c).await)
    .unwrap();
    app.engine.run_job(JobId(job)).await.unwrap();
    assert_eq!(crate::sync::wait_until_finished(app, JobId(job)).await, "done");
    app.shop_faults(shop, json!({"webhooks_held": true})).await;
    let mut orders = Vec::new();
    for fo in crate::shipments::open_fos(app, StoreId(store), 1).await.into_iter().take(4) {
        let name: String =
            storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT name FROM synced_orders WHERE store_id = $1 AND id = $2")
                .bind(store).bind(fo.order_id).fetch_one(&mut *c).await)
            .unwrap();
        orders.push(Order { store, domain: domain.clone(), id: fo.order_id, fulfillment_order: fo.id, name });
    }
    let orders: [Order; 4] =
        orders.try_into().unwrap_or_else(|o: Vec<Order>| panic!("{shop} has {} open orders", o.len()));
    (store, orders)
}

async fn two_organizations() -> World {
    // No sync runs by itself, and Shopify's webhooks are held back once B's store is synced:
    // nothing changes B's data during the calls but the calls.
    let app = spawn_app_without_sync().await;
    storelink::db_run!(&app.pool, c => sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES (2, 'Second', 0)")
        .execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
    let hash = storelink::auth::password::hash_blocking(PASSWORD).unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    for (email, role) in [(B_ADMIN, Role::Admin), (B_STANDARD, Role::Standard)] {
        storelink::users::repo::create(&mut conn, OrgId(2), email, role, &hash).await.unwrap();
    }
    drop(conn);
    let b_admin = app.signed_in(B_ADMIN).await;
    let b_standard = app.signed_in(B_STANDARD).await;

    let (store, acme) = synced_store(&app, &b_admin, "acme").await;
    let (second, fleet) = synced_store(&app, &b_admin, "fleet0").await;
    let [shipped, order, to_record, to_batch] = acme;
    let [to_post, to_post_batch, held, claimed] = fleet;

    // Shopify refuses B's shipment (its fulfillment order is on hold there), so it stays failed.
    app.emulator_post(&format!("/shops/acme/fulfillment_orders/{}/hold", shipped.fulfillment_order), json!({})).await;
    let recorded = done(
        &app,
        &b_admin,
        "/api/shipments/record",
        &[
            ("store_id", &store.to_string()),
            ("order_id", &shipped.id.to_string()),
            ("fulfillment_order_id", &shipped.fulfillment_order.to_string()),
            ("carrier", "UPS"),
            ("tracking_number", B_TRACKING),
        ],
    )
    .await;
    let shipment = recorded["id"].as_i64().unwrap();
    wait_for(&app, "B's shipment to fail", "SELECT COUNT(*) FROM shipments WHERE state = 'failed'").await;

    let created = done(&app, &b_admin, "/api/tokens/create", &[("name", B_TOKEN_NAME)]).await;
    let token = created["token"]["id"].as_i64().unwrap();
    let token_prefix = created["token"]["prefix"].as_str().unwrap().to_owned();
    let filters = format!("store={store}");
    done(&app, &b_admin, "/api/queue/views/save", &[("name", B_VIEW_NAME), ("filters", &filters), ("shared", "on")])
        .await;
    done(
        &app,
        &b_admin,
        "/api/queue/hold",
        &[("store_id", &held.store.to_string()), ("order_id", &held.id.to_string()), ("reason", B_HOLD_REASON)],
    )
    .await;
    done(
        &app,
        &b_standard,
        "/api/queue/claim",
        &[("store_id", &claimed.store.to_string()), ("order_id", &claimed.id.to_string())],
    )
    .await;

    let view: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT id FROM saved_views WHERE name = $1")
        .bind(B_VIEW_NAME).fetch_one(&mut *c).await)
    .unwrap();
    // Everything of B's an answer could carry: the names it gave, and what its stores synced.
    let mut markers: Vec<(String, String)> = vec![
        ("B's administrator's email".into(), B_ADMIN.into()),
        ("B's standard user's email".into(), B_STANDARD.into()),
        ("B's API token's name".into(), B_TOKEN_NAME.into()),
        ("B's API token's prefix".into(), token_prefix),
        ("B's saved view's name".into(), B_VIEW_NAME.into()),
        ("B's shipment's tracking number".into(), B_TRACKING.into()),
        ("B's hold's reason".into(), B_HOLD_REASON.into()),
    ];
    for (what, sql) in [
        ("B's order", "SELECT name FROM synced_orders WHERE store_id = $1"),
        ("B's product", "SELECT title FROM synced_products WHERE store_id = $1"),
        ("B's SKU", "SELECT sku FROM synced_variants WHERE store_id = $1 AND sku IS NOT NULL"),
        ("B's customer", "SELECT name FROM synced_customers WHERE store_id = $1"),
        ("B's customer's email", "SELECT email FROM synced_customers WHERE store_id = $1 AND email IS NOT NULL"),
        ("B's location", "SELECT name FROM synced_locations WHERE store_id = $1"),
        ("B's store", "SELECT name FROM stores WHERE id = $1"),
        ("B's shop", "SELECT shop_domain FROM stores WHERE id = $1"),
    ] {
        for id in [store, second] {
            for text in texts(&app, sql, id).await {
                markers.push((format!("{what} {text}"), text));
            }
        }
    }
    // A has no store, so a permission granted is one of B's store's (its rows name nothing else).
    markers.push(("B's store's granted permissions".into(), "\"granted\":true".into()));
    // Shorter texts could turn up in A's own answers by chance.
    markers.retain(|(_, text)| text.chars().count() >= 4);
    markers.sort_by(|a, b| a.1.cmp(&b.1));
    markers.dedup_by(|a, b| a.1 == b.1);

    let theirs = Theirs {
        store,
        domain: shipped.domain.clone(),
        second,
        order,
        to_record,
        to_batch,
        to_post,
        to_post_batch,
        held,
        claimed,
        shipment,
        token,
        admin: app.user_id(B_ADMIN).await,
        standard: app.user_id(B_STANDARD).await,
        view,
    };
    let a_token = storelink::api_tokens::create(
        &app.pool,
        "A-printer",
        storelink::audit::Actor { org: OrgId(1), user: None, name: "test" },
    )
    .await
    .unwrap()
    .1;
    let a_admin = app.signed_in(ADMIN_EMAIL).await;
    let a_standard = app.signed_in(STANDARD_EMAIL).await;

    // The world is what it claims to be.
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM stores WHERE organization_id = $1", 1).await, 0, "A has no store");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM stores WHERE organization_id = $1", 2).await, 2, "B has two");
    assert!(markers.iter().any(|(what, _)| what.starts_with("B's product ")), "B's products are synced");
    assert_eq!(
        texts(&app, "SELECT state FROM shipments WHERE store_id = $1", store).await,
        ["failed"],
        "B has one shipment, failed"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM order_holds WHERE store_id = $1", second).await, 1);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM order_claims WHERE store_id = $1", second).await, 1);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM api_tokens WHERE organization_id = $1", 2).await, 1);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM users WHERE organization_id = $1", 2).await, 2);
    World { app, theirs, markers, a_admin, a_standard, a_token, b_admin }
}

/// B's data as text, a line a row, with the shipments anyone recorded with A's tracking number
/// and the entries other organizations' audit logs hold about B's stores: any difference after a
/// call is something the call wrote across organizations.
async fn snapshot(app: &TestApp, b: &Theirs) -> Vec<String> {
    macro_rules! rows {
        ($label:literal, $ty:ty, $sql:literal, $($bind:expr),*) => {{
            let rows: Vec<$ty> = storelink::db_run!(&app.pool, c => sqlx::query_as($sql)$(.bind($bind))*.fetch_all(&mut *c).await)
                .unwrap();
            rows.into_iter().map(|row| format!("{} {row:?}", $label))
        }};
    }
    let mut lines = Vec::new();
    lines.extend(rows!(
        "store",
        (i64, String, String, String, i64),
        "SELECT id, name, shop_domain, state, organization_id FROM stores WHERE organization_id = 2 OR id = $1 OR id = $2 ORDER BY id",
        b.store,
        b.second
    ));
    lines.extend(rows!(
        "user",
        (i64, String, String, bool, i64, bool),
        "SELECT id, email, role, active, organization_id, all_stores FROM users WHERE organization_id = 2 OR id = $1 OR id = $2 ORDER BY id",
        b.admin,
        b.standard
    ));
    lines.extend(rows!(
        "API token",
        (i64, String, Option<i64>, i64),
        "SELECT id, name, revoked_at, organization_id FROM api_tokens WHERE organization_id = 2 OR id = $1 ORDER BY id",
        b.token
    ));
    lines.extend(rows!(
        "shipment",
        (i64, i64, String, String, Option<String>, String, i64),
        "SELECT id, order_id, state, tracking_number, tracking_url, recorded_by, attempts FROM shipments WHERE store_id = $1 OR store_id = $2 OR tracking_number LIKE $3 ORDER BY id",
        b.store,
        b.second,
        format!("{SNEAK}%")
    ));
    lines.extend(rows!(
        "hold",
        (i64, i64, String, Option<i64>, String),
        "SELECT store_id, order_id, reason, until, held_by FROM order_holds WHERE store_id = $1 OR store_id = $2 ORDER BY store_id, order_id",
        b.store,
        b.second
    ));
    lines.extend(rows!(
        "claim",
        (i64, i64, i64),
        "SELECT store_id, order_id, user_id FROM order_claims WHERE store_id = $1 OR store_id = $2 ORDER BY store_id, order_id",
        b.store,
        b.second
    ));
    // A view of A's naming B's store is A's own (it finds nothing once the queue reads only A's
    // stores): what it would show is checked in the answers, not here.
    lines.extend(rows!(
        "saved view",
        (i64, i64, String, String, bool),
        "SELECT id, user_id, name, filters, shared FROM saved_views WHERE user_id = $1 OR user_id = $2 OR id = $3 ORDER BY id",
        b.admin,
        b.standard,
        b.view
    ));
    let counts: (i64, i64, i64, i64, i64) = storelink::db_run!(&app.pool, c => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM sync_jobs WHERE store_id IN ($1, $2)),
                (SELECT COUNT(*) FROM store_credentials WHERE store_id IN ($1, $2)),
                (SELECT COUNT(*) FROM store_webhooks WHERE store_id IN ($1, $2)),
                (SELECT COUNT(*) FROM audit_log WHERE organization_id = 2),
                (SELECT COUNT(*) FROM audit_log WHERE organization_id <> 2 AND store_id IN ($1, $2))",
    )
    .bind(b.store)
    .bind(b.second)
    .fetch_one(&mut *c).await)
    .unwrap();
    lines.push(format!("sync jobs of B's stores: {}", counts.0));
    lines.push(format!("credentials of B's stores: {}", counts.1));
    lines.push(format!("webhooks of B's stores: {}", counts.2));
    lines.push(format!("entries in B's audit log: {}", counts.3));
    lines.push(format!("entries in another organization's audit log naming B's stores: {}", counts.4));
    lines
}

/// What changed between two snapshots, `-` for a line gone and `+` for a line new.
fn changes(before: &[String], after: &[String]) -> Vec<String> {
    let gone = before.iter().filter(|l| !after.contains(l)).map(|l| format!("- {l}"));
    let new = after.iter().filter(|l| !before.contains(l)).map(|l| format!("+ {l}"));
    gone.chain(new).collect()
}

/// A shipment A managed to set sending (recorded or retried in B's store) is left to settle, so
/// what the sender does next is not laid at a later call's door.
async fn settled(app: &TestApp, b: &Theirs) {
    for _ in 0..100 {
        let pending = storelink::db_run!(&app.pool, c => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM shipments WHERE (store_id IN ($1, $2) OR tracking_number LIKE $3) AND state = 'pending'",
        )
        .bind(b.store)
        .bind(b.second)
        .bind(format!("{SNEAK}%"))
        .fetch_one(&mut *c).await)
        .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The answer's body as text. A stream (the progress) does not end: what it sent in its first
/// two seconds is what it told.
async fn body_of(mut response: Response) -> String {
    let mut body = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            Ok(Ok(None)) | Err(_) => break,
            Ok(Err(err)) => {
                body.extend_from_slice(format!("(unreadable: {err})").as_bytes());
                break;
            }
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// Whether `text` has `"key":n` for exactly the number `n`.
fn names_number(text: &str, key: &str, n: i64) -> bool {
    let needle = format!("\"{key}\":{n}");
    text.match_indices(&needle).any(|(at, _)| !text[at + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// What of B's a 2xx answer carries, leaving out what the request itself named (an answer may
/// repeat the request, say a batch line's order, without having found anything).
fn leaked(world: &World, body: &str, request: &str) -> Vec<String> {
    let mut found: Vec<String> = world
        .markers
        .iter()
        .filter(|(_, text)| body.contains(text.as_str()) && !request.contains(text.as_str()))
        .map(|(what, _)| what.clone())
        .collect();
    // A has no store: a store id of B's in an answer (a progress line, a row) is B's.
    for key in ["store_id", "store_changed"] {
        for store in [world.theirs.store, world.theirs.second] {
            if names_number(body, key, store) {
                found.push(format!("\"{key}\":{store} (B's store)"));
            }
        }
    }
    found
}

/// The first few of what was found, and how many more: enough to say what leaked.
fn listed(found: &[String]) -> String {
    const SHOWN: usize = 6;
    match found.len() > SHOWN {
        true => format!("{} and {} more", found[..SHOWN].join(", "), found.len() - SHOWN),
        false => found.join(", "),
    }
}

/// One call as A: its status and body checked, and B's data compared before and after it.
struct Call<'a> {
    label: String,
    request: String,
    send: reqwest::RequestBuilder,
    world: &'a World,
}

impl Call<'_> {
    async fn check(self, failures: &mut Vec<String>) {
        let before = snapshot(&self.world.app, &self.world.theirs).await;
        let response = self.send.send().await.unwrap();
        let status = response.status();
        let body = body_of(response).await;
        settled(&self.world.app, &self.world.theirs).await;
        let after = snapshot(&self.world.app, &self.world.theirs).await;
        let found = leaked(self.world, &body, &self.request);
        match status.is_success() {
            true if !found.is_empty() => {
                failures.push(format!("{}: {status}: answered with {}", self.label, listed(&found)));
            }
            // A refusal may say why in B's words (a shop taken, an order claimed by someone):
            // not counted, but shown.
            false if !found.is_empty() => {
                println!("note: {}: {status}: refused, naming {}", self.label, listed(&found));
            }
            _ => {}
        }
        let changed = changes(&before, &after);
        if !changed.is_empty() {
            failures.push(format!("{}: {status}: changed B's data: {}", self.label, changed.join("; ")));
        }
        println!("{status} {}", self.label);
    }
}

/// The progress stream as A (one of B's stores, and every store) while B works on its store:
/// neither the first lines nor those that follow may be about B's stores. Each stream is read for
/// two seconds; B's change is made once the stream is open, so it is heard within them.
async fn check_progress(world: &World, failures: &mut Vec<String>) {
    let (app, b) = (&world.app, &world.theirs);
    let store = b.store.to_string();
    let order = b.order.id.to_string();
    let mark = [("store_id", store.as_str()), ("order_id", order.as_str())];
    for args in [vec![("store_id", store.as_str())], vec![]] {
        for (who, client) in [("A's administrator", &world.a_admin), ("A's standard user", &world.a_standard)] {
            let response = client.get(app.url("/api/sync/progress")).query(&args).send().await.unwrap();
            let status = response.status();
            // Claimed and let go: B's store changes, and what B holds is as it was.
            done(app, &world.b_admin, "/api/queue/claim", &mark).await;
            done(app, &world.b_admin, "/api/queue/unclaim", &mark).await;
            let body = body_of(response).await;
            let found = leaked(world, &body, "");
            if status.is_success() && !found.is_empty() {
                let shown: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
                failures.push(format!(
                    "/api/sync/progress (live, as {who}; {}): {status}: sent {}",
                    shown.join(", "),
                    listed(&found)
                ));
            }
        }
    }
}

/// The lists A reads, with nothing of B's in them.
async fn check_lists(world: &World, failures: &mut Vec<String>) {
    let app = &world.app;
    let lists = ["/api/stores/list", "/api/queue", "/api/users/list", "/api/tokens/list", "/api/audit/list"];
    for (who, client) in [("A's administrator", &world.a_admin), ("A's standard user", &world.a_standard)] {
        for path in lists {
            let response = app.get(client, path).await;
            let status = response.status();
            let body = body_of(response).await;
            let label = format!("{path} (list, as {who})");
            if status.is_success() {
                let found = leaked(world, &body, "");
                if !found.is_empty() {
                    failures.push(format!("{label}: {status}: lists {}", listed(&found)));
                }
            } else if who == "A's administrator" || ["/api/stores/list", "/api/queue"].contains(&path) {
                // Not a leak, but then this list was not read: the test would prove nothing.
                failures.push(format!("{label}: {status}: A could not read its own list: {body}"));
            }
            if path == "/api/users/list" && status.is_success() {
                assert!(body.contains(ADMIN_EMAIL), "A's user list is A's: {body}");
            }
        }
    }
    let response = Client::new().get(app.url("/api/v1/orders")).bearer_auth(&world.a_token).send().await.unwrap();
    let status = response.status();
    let body = body_of(response).await;
    match status.is_success() {
        true => {
            let found = leaked(world, &body, "");
            if !found.is_empty() {
                failures.push(format!("GET /api/v1/orders (list, A's token): {status}: lists {}", listed(&found)));
            }
        }
        false => failures.push(format!("GET /api/v1/orders (list, A's token): {status}: A could not read it: {body}")),
    }
}

fn report(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} leaks across organizations:\n{}",
        failures.len(),
        failures.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n")
    );
}

#[tokio::test]
async fn what_another_organization_lists_shows_nothing_of_the_first() {
    let world = two_organizations().await;
    let mut failures = Vec::new();
    check_lists(&world, &mut failures).await;
    report(&failures);
}

#[tokio::test]
async fn no_server_function_or_api_route_reads_or_writes_another_organizations_data_by_its_ids() {
    let world = two_organizations().await;
    let (app, b) = (&world.app, &world.theirs);
    let mut failures = Vec::new();
    // First, as B's own changes to hear leave entries in B's audit log.
    check_progress(&world, &mut failures).await;
    let start = snapshot(app, b).await;

    // The API's routes first: none takes anything of B's away that the functions are tried on.
    let mut routes = 0;
    for (method, route) in storelink::http_api::route_list() {
        if route == OPENAPI {
            continue;
        }
        let path = route.replace("{id}", &b.shipment.to_string());
        let calls = api_attempts(&method, route, b).unwrap_or_else(|| {
            panic!("{method} {route} has no requests with B's ids here: add them to `api_attempts` so it is tested")
        });
        for (query, body) in calls {
            let mut send =
                Client::new().request(method.clone(), app.url(&path)).bearer_auth(&world.a_token).query(&query);
            if let Some(body) = &body {
                send = send.json(body);
            }
            let shown: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let body = body.map(|b| b.to_string()).unwrap_or_default();
            let call = Call {
                label: format!("{method} {path} (A's token; {}{body})", shown.join("&")),
                request: format!("{}\n{body}", shown.join("\n")),
                send,
                world: &world,
            };
            call.check(&mut failures).await;
        }
        routes += 1;
    }
    assert!(routes >= 4, "only {routes} API routes were found");

    let mut paths: Vec<(&'static str, Method)> = server_fn::axum::server_fn_paths()
        .filter(|(path, _)| !PUBLIC.contains(path) && !path.starts_with("/api/operator/"))
        .collect();
    // In the same order every run (the server lists them in no set order), so runs compare.
    paths.sort_by_key(|(path, _)| (LAST.iter().position(|last| last == path).map_or(0, |at| at + 1), *path));
    let mut checked = 0;
    for (path, method) in &paths {
        let calls = attempts(path, b)
            .unwrap_or_else(|| panic!("{path} has no calls with B's ids here: add them to `attempts` so it is tested"));
        for args in calls {
            for (who, client) in [("A's administrator", &world.a_admin), ("A's standard user", &world.a_standard)] {
                let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let url = app.url(path);
                let send = match *method {
                    Method::GET => client.get(url).query(&form),
                    _ => client.post(url).form(&form),
                };
                let shown: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let call = Call {
                    label: format!("{path} (as {who}; {})", shown.join(", ")),
                    request: shown.join("\n"),
                    send,
                    world: &world,
                };
                call.check(&mut failures).await;
            }
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} server functions were found");

    // Whatever the calls left behind: B's data as it was (a change no single call was seen to
    // make, when none was), no shipment of A's tracking anywhere, and A's lists still without
    // anything of B's (an entry A's audit log gained, say).
    let end = snapshot(app, b).await;
    let reported = failures.iter().any(|f| f.contains("changed B's data"));
    if end != start && !reported {
        failures.push(format!("after every call: changed B's data: {}", changes(&start, &end).join("; ")));
    }
    let sneaked: i64 = storelink::db_run!(&app.pool, c => sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE tracking_number LIKE $1")
        .bind(format!("{SNEAK}%")).fetch_one(&mut *c).await)
    .unwrap();
    if sneaked > 0 {
        failures.push(format!("after every call: {sneaked} shipments carry A's tracking number {SNEAK}…"));
    }
    check_lists(&world, &mut failures).await;
    report(&failures);
}
