//! The HTTP API for the desk's label software, under `/api/v1`: the orders awaiting shipment,
//! and shipments posted, read and corrected. Every call carries an API token
//! (`Authorization: Bearer …`); every use is recorded in the audit log. Answers are JSON; a
//! refused request says why, field by field, and changes nothing. `openapi.json` describes it.

mod openapi;

use axum::{
    extract::{rejection::JsonRejection, FromRequestParts, Path, Query, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::queue::MAX_BATCH;
use crate::{
    api_tokens::{self, ApiTokenDto},
    audit,
    error::AppError,
    ids::{OrgId, ShipmentId, StoreId},
    records::repo as records,
    shipments::{self, CorrectError, FieldError, RecordError, Recorder, Shipment, ShipmentRequest},
    state::AppState,
    stores::{self, StoreDto},
};

/// The largest body a call may send: a shipment naming every line of a large order.
const MAX_BODY: usize = 64 * 1024;
/// Orders a page, unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 250;
/// The longest `Idempotency-Key` taken.
const MAX_KEY: usize = 255;
/// The largest body a batch (of at most `queue::MAX_BATCH` shipments) may send.
const MAX_BATCH_BODY: usize = 2 * 1024 * 1024;

/// The API's routes, to be merged into the server's router.
pub fn router() -> Router<AppState> {
    routes().router.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
}

/// Every route and method the API answers, read from the router itself: the OpenAPI
/// description and the tests of tokens and organizations walk this list, so a route cannot be
/// added without them seeing it.
pub fn route_list() -> Vec<(Method, &'static str)> {
    routes().listed
}

/// The router and, beside it, each method and path it was given: axum's router does not say.
struct Routes {
    router: Router<AppState>,
    listed: Vec<(Method, &'static str)>,
}

impl Routes {
    fn new() -> Routes {
        Routes { router: Router::new(), listed: Vec::new() }
    }

    fn route(mut self, method: Method, path: &'static str, handler: axum::routing::MethodRouter<AppState>) -> Routes {
        self.listed.push((method, path));
        self.router = self.router.route(path, handler);
        self
    }
}

fn routes() -> Routes {
    use axum::routing::{patch, post};
    Routes::new()
        .route(Method::GET, "/api/v1/openapi.json", get(openapi_json))
        .route(Method::GET, "/api/v1/orders", get(orders))
        .route(Method::POST, "/api/v1/shipments", post(create_shipment))
        .route(
            Method::POST,
            "/api/v1/shipments/batch",
            post(create_batch).layer(axum::extract::DefaultBodyLimit::max(MAX_BATCH_BODY)),
        )
        .route(Method::GET, "/api/v1/shipments/{id}", get(shipment))
        .route(Method::PATCH, "/api/v1/shipments/{id}", patch(change_shipment))
}

/// A refused or failed call, as JSON: `{"error": "…", "errors": [{"field", "message"}]}`.
#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    NotFound(String),
    Invalid(Vec<FieldError>),
    Conflict(String),
    /// The token's organization has no e-commerce (the operator turned it off).
    NotSetUp,
    /// Over the limit (bytes) the route takes.
    TooLarge(usize),
    Internal,
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        match err {
            AppError::Invalid { field, message } => ApiError::Invalid(vec![FieldError { field, message }]),
            AppError::NotFound(message) => ApiError::NotFound(message),
            AppError::Conflict(message) => ApiError::Conflict(message),
            AppError::NotSetUp => ApiError::NotSetUp,
            _ => ApiError::Internal,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message, errors) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Send a live API token: Authorization: Bearer TOKEN (administrators create tokens on the API tokens page).".to_owned(),
                Vec::new(),
            ),
            ApiError::NotFound(message) => (StatusCode::NOT_FOUND, message, Vec::new()),
            ApiError::Invalid(errors) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "The request is not valid; nothing was changed.".to_owned(), errors)
            }
            ApiError::Conflict(message) => (StatusCode::CONFLICT, message, Vec::new()),
            ApiError::NotSetUp => (StatusCode::FORBIDDEN, AppError::NotSetUp.to_string(), Vec::new()),
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The body is larger than the {} KiB storelink accepts; nothing was changed.", limit / 1024),
                Vec::new(),
            ),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, AppError::Internal.to_string(), Vec::new()),
        };
        let mut response = (status, Json(json!({"error": message, "errors": errors}))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(vec![FieldError::new(field, message)])
}

/// The token a call is made with: live, its use recorded.
pub struct Caller {
    pub token: ApiTokenDto,
    /// The stores of its organization the token sees: its owner's.
    pub access: crate::users::StoreAccess,
}

impl Caller {
    /// The token's organization: the API reads and writes within it only.
    fn org(&self) -> OrgId {
        self.token.org
    }

    /// The organization's stores the token sees.
    async fn stores(&self, pool: &crate::db::Pool) -> Result<Vec<StoreDto>, AppError> {
        stores::seen(pool, self.org(), &self.access).await
    }

    /// How the audit log and a shipment name this caller.
    fn name(&self) -> String {
        format!("API token “{}”", self.token.name)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let token = api_tokens::verify(&state.pool, presented).await?.ok_or(ApiError::Unauthorized)?;
        if !crate::organizations::repo::enabled(&state.pool, token.org).await? {
            return Err(ApiError::NotSetUp);
        }
        let access = match token.owner {
            Some(owner) => match crate::users::repo::get(&state.pool, token.org, owner).await? {
                Some(user) => crate::users::store_access(&state.pool, &user).await?,
                None => return Err(ApiError::Unauthorized),
            },
            None => crate::users::StoreAccess::All,
        };
        let caller = Caller { token, access };
        // Reads are counted per token and minute; each request that may change something is an
        // audit entry of its own.
        if parts.method == Method::GET {
            api_tokens::count_read(&state.pool, caller.token.id).await?;
        } else {
            let detail = format!("{} {}", parts.method, parts.uri.path());
            // A transaction, so that on SQLite it takes its turn among the writers in order.
            let mut tx = state.pool.begin().await.map_err(AppError::from)?;
            let name = caller.name();
            let by = audit::Actor { org: caller.token.org, user: None, name: &name };
            audit::repo::record_by(&mut tx, by, "API request", None, &detail).await?;
            tx.commit().await.map_err(AppError::from)?;
        }
        Ok(caller)
    }
}

async fn openapi_json() -> Json<Value> {
    Json(openapi::description())
}

/// ISO 8601 (RFC 3339) in UTC, as the API writes times.
fn iso(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// The caller's organization's store at `domain`; another organization's is as unknown as one
/// never connected.
async fn store_named(state: &AppState, caller: &Caller, domain: &str) -> Result<StoreDto, ApiError> {
    // The address as any platform would keep it; the first that finds a store wins.
    let mut found = None;
    for platform in crate::platforms::Platform::ALL {
        if let Ok(address) = platform.store_address(domain) {
            found = stores::repo::find_by_domain(&state.pool, &address)
                .await?
                .filter(|s| s.org == caller.org() && caller.access.sees(s.id));
            if found.is_some() {
                break;
            }
        }
    }
    found.ok_or_else(|| invalid("store", format!("No store {domain} is connected to storelink.")))
}

#[derive(Deserialize)]
struct OrdersQuery {
    awaiting_shipment: Option<String>,
    include_disconnected: Option<String>,
    include_held: Option<String>,
    store: Option<String>,
    platform: Option<String>,
    location: Option<String>,
    country: Option<String>,
    q: Option<String>,
    older_than: Option<String>,
    state: Option<String>,
    updated_since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/v1/orders`: a page of orders with their fulfillment orders, ship-to address, items
/// and weights, by store then order id.
async fn orders(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<OrdersQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| invalid("query", e.body_text()))?;
    let mut errors = Vec::new();
    let mut flag = |name: &str, value: Option<&str>| match value {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(FieldError::new(name, "Write true or false."));
            false
        }
    };
    let awaiting = flag("awaiting_shipment", query.awaiting_shipment.as_deref());
    let include_disconnected = flag("include_disconnected", query.include_disconnected.as_deref());
    let include_held = flag("include_held", query.include_held.as_deref());
    let limit = match query.limit.as_deref().map(str::parse::<i64>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new("limit", format!("Ask for 1 to {MAX_LIMIT} orders a page.")));
            DEFAULT_LIMIT
        }
    };
    let updated_since = match query.updated_since.as_deref() {
        None => None,
        Some(text) => match time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
            Ok(t) => Some(t.unix_timestamp()),
            Err(_) => {
                errors.push(FieldError::new("updated_since", "Write a time such as 2026-12-01T00:00:00Z."));
                None
            }
        },
    };
    let cursor = match query.cursor.as_deref() {
        None => None,
        Some(text) => match decode_cursor(text) {
            Some(cursor) => Some(cursor),
            None => {
                errors.push(FieldError::new("cursor", "Pass the next_cursor of the page before, unchanged."));
                None
            }
        },
    };
    let only = match query.store.as_deref() {
        Some(domain) => match store_named(&state, &caller, domain).await {
            Ok(store) => Some(store),
            Err(ApiError::Invalid(found)) => {
                errors.extend(found);
                None
            }
            Err(err) => return Err(err),
        },
        None => None,
    };
    // The queue's filters, for the orders awaiting shipment.
    let platform = match query.platform.as_deref() {
        None => None,
        Some(slug) => {
            let found = crate::platforms::Platform::from_slug(slug);
            if found.is_none() {
                errors.push(FieldError::new("platform", "Write shopify, woocommerce or bigcommerce."));
            }
            found
        }
    };
    let country = match query.country.as_deref() {
        None => None,
        Some(text) => {
            let found = crate::records::model::country_code(text);
            if found.is_none() {
                errors.push(FieldError::new("country", "Write a country's two-letter code, such as US or FR."));
            }
            found
        }
    };
    let older_than_days = match query.older_than.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(days @ 1..=3650)) => Some(days),
        Some(_) => {
            errors.push(FieldError::new("older_than", "Write a number of days from 1 to 3650."));
            None
        }
    };
    let queue_state = match query.state.as_deref() {
        None => None,
        Some(key) => {
            let found = crate::records::QueueState::from_key(key);
            if found.is_none() {
                errors.push(FieldError::new("state", "Write awaiting, partly_shipped or on_hold."));
            }
            found
        }
    };
    let filters = crate::records::AwaitingQuery {
        q: query.q.clone(),
        location: query.location.clone(),
        country,
        older_than_days,
        state: queue_state,
        sight: caller.access.narrowed(),
        ..Default::default()
    };
    for (name, given) in [
        ("location", query.location.is_some()),
        ("country", query.country.is_some()),
        ("q", query.q.is_some()),
        ("older_than", query.older_than.is_some()),
        ("state", query.state.is_some()),
    ] {
        if given && !awaiting {
            errors.push(FieldError::new(
                name,
                "Use it with awaiting_shipment=true: it filters the orders awaiting shipment.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut all: Vec<StoreDto> = match only {
        Some(store) => vec![store],
        None => caller.stores(&state.pool).await?,
    };
    all.sort_by_key(|s| s.id);
    all.retain(|store| platform.is_none_or(|p| store.platform == p));
    // A store that is not connected takes no shipments: its orders await nothing storelink can
    // send, unless asked for.
    if awaiting && !include_disconnected {
        all.retain(|store| store.refuses_shipments().is_none());
    }
    let (start, start_after) = cursor.unwrap_or((StoreId(i64::MIN), 0));
    let mut listed = Vec::new();
    let mut next = None;
    for store in all.iter().filter(|s| s.id >= start) {
        // The cursor's store resumes after its order; the stores after it start at the first.
        let after = if store.id == start { start_after } else { 0 };
        let wanted = limit - listed.len() as i64;
        let page = records::orders_after(
            &state.pool,
            store.id,
            awaiting.then_some((&filters, include_held)),
            updated_since,
            after,
            wanted + 1,
            caller.access.locations_of(store.id).as_deref(),
        )
        .await?;
        let more = page.len() as i64 > wanted;
        let page: Vec<_> = page.into_iter().take(wanted as usize).collect();
        let last = page.last().map(|o| o.id);
        listed.extend(order_json(&state, store, page, awaiting, caller.access.locations_of(store.id)).await?);
        // A full page (this store has more, or the page filled exactly at its end): the next
        // page starts after this store's last order listed.
        if more || listed.len() as i64 >= limit {
            next = last.map(|id| encode_cursor(store.id, id));
            break;
        }
    }
    Ok(Json(json!({"orders": listed, "next_cursor": next})))
}

fn encode_cursor(store: StoreId, order: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{store}:{order}"))
}

fn decode_cursor(text: &str) -> Option<(StoreId, i64)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (store, order) = text.split_once(':')?;
    Some((StoreId(store.parse().ok()?), order.parse().ok()?))
}

async fn order_json(
    state: &AppState,
    store: &StoreDto,
    orders: Vec<records::OrderRecord>,
    awaiting: bool,
    seen: Option<Vec<i64>>,
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let (mut fulfillment_orders, lines) = records::fulfillment_orders_of(&state.pool, store.id, &ids, awaiting).await?;
    // Only the parcels of the locations the caller sees, when not all.
    if let Some(seen) = seen {
        fulfillment_orders.retain(|fo| fo.location_id.is_some_and(|id| seen.contains(&id)));
    }
    Ok(orders
        .into_iter()
        .filter_map(|order| {
            let raw: Value = serde_json::from_str(&order.raw.0).unwrap_or(Value::Null);
            let mut weight = 0;
            let fos: Vec<Value> = fulfillment_orders
                .iter()
                .filter(|fo| fo.order_id == order.id)
                .map(|fo| {
                    let items: Vec<Value> = lines
                        .iter()
                        .filter(|l| l.fulfillment_order_id == fo.id)
                        .map(|l| {
                            weight += l.remaining_quantity * l.unit_weight_grams.unwrap_or(0);
                            json!({
                                "id": l.id, "line_item_id": l.line_item_id, "title": l.title, "sku": l.sku,
                                "quantity": l.total_quantity, "remaining_quantity": l.remaining_quantity,
                                "weight_grams": l.unit_weight_grams,
                            })
                        })
                        .collect();
                    json!({
                        "id": fo.id, "status": fo.status,
                        "location": {"id": fo.location_id, "name": fo.location_name},
                        "line_items": items,
                    })
                })
                .collect();
            // Shipped between reading the page and its fulfillment orders: no longer awaiting.
            if awaiting && fos.is_empty() {
                return None;
            }
            Some(json!({
                "id": order.id,
                "name": order.name,
                "store": store.shop_domain,
                "created_at": order.created_at_text,
                "updated_at": iso(order.updated_at),
                "store_connected": store.refuses_shipments().is_none(),
                "customer": order.customer_name.as_ref().map(|name| json!({"name": name, "email": order.customer_email})),
                "ship_to": crate::platforms::Platforms::ship_to(store.platform, &raw),
                "total_weight_grams": weight,
                "fulfillment_orders": fos,
            }))
        })
        .collect())
}

/// A shipment as the API shows it.
fn shipment_json(shipment: &Shipment, store: &str) -> Value {
    json!({
        "id": shipment.id.to_string(),
        "store": store,
        "order_id": shipment.order_id,
        "state": shipment.state,
        "reason": shipment.reason,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
        "notify_customer": shipment.notify_customer,
        "line_items": shipment.lines.iter().map(|l| json!({
            "id": l.line_item_id, "quantity": l.quantity,
            "fulfillment_order_id": l.fulfillment_order_id, "fulfillment_order_line_item_id": l.fulfillment_order_line_id,
        })).collect::<Vec<_>>(),
        "fulfillment_id": shipment.fulfillment_id,
        "tracking_update_pending": shipment.tracking_changed,
        "recorded_by": shipment.recorded_by,
        "created_at": iso(shipment.created_at),
        "updated_at": iso(shipment.updated_at),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostedShipment {
    store: String,
    order_id: i64,
    carrier: String,
    tracking_number: String,
    #[serde(default)]
    tracking_url: Option<String>,
    #[serde(default)]
    line_items: Option<Vec<shipments::RequestedLine>>,
    #[serde(default)]
    notify_customer: bool,
}

/// A body that is not the JSON asked for: 422, with serde's words for what is wrong; one over
/// the size limit: 413.
fn unreadable(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::TooLarge(MAX_BODY);
    }
    invalid("body", rejection.body_text())
}

/// `POST /api/v1/shipments`: 202 with the shipment, pending; the same `Idempotency-Key` again
/// gives the same shipment; another body under it is a 409.
async fn create_shipment(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<PostedShipment>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(posted) = body.map_err(unreadable)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => match value.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= MAX_KEY) {
            Some(key) => Some(key.to_owned()),
            None => {
                return Err(invalid(
                    "Idempotency-Key",
                    format!("An idempotency key is 1 to {MAX_KEY} visible characters."),
                ))
            }
        },
    };
    let (recorded, store) = record_one(&state, &caller, posted, key.as_deref()).await?;
    let mut response =
        (StatusCode::ACCEPTED, Json(shipment_json(&recorded.shipment, &store.shop_domain))).into_response();
    if !recorded.created {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Records one shipment of the label software under its key; wakes the sender when it is new.
async fn record_one(
    state: &AppState,
    caller: &Caller,
    posted: PostedShipment,
    key: Option<&str>,
) -> Result<(shipments::Recorded, StoreDto), ApiError> {
    let store = store_named(state, caller, &posted.store).await?;
    let request = ShipmentRequest {
        order_id: posted.order_id,
        fulfillment_order_id: None,
        carrier: posted.carrier,
        tracking_number: posted.tracking_number,
        tracking_url: posted.tracking_url,
        line_items: posted.line_items,
        notify_customer: posted.notify_customer,
    };
    let name = caller.name();
    let by = Recorder {
        user_id: None,
        name: &name,
        scope: format!("token:{}", caller.token.id),
        sight: caller.access.narrowed(),
    };
    let recorded = match shipments::record(&state.pool, &store, &request, &by, key).await {
        Ok(recorded) => recorded,
        Err(RecordError::Invalid(errors)) => return Err(ApiError::Invalid(errors)),
        Err(RecordError::KeyReused) => {
            return Err(ApiError::Conflict(
                "This Idempotency-Key was used for a different shipment; use a new key for a new shipment.".into(),
            ))
        }
        Err(RecordError::NotConnected(why)) => return Err(ApiError::Conflict(why)),
        Err(RecordError::App(err)) => return Err(err.into()),
    };
    if recorded.created {
        state.shipments.wake();
        state.hub.store_changed(store.org, store.id);
    }
    Ok((recorded, store))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostedBatch {
    shipments: Vec<Value>,
}

/// `POST /api/v1/shipments/batch`: up to 1,000 shipments, each with its own `key` (its
/// idempotency key) and its own result, in order: 202 recorded, 200 recorded before under that
/// key (nothing recorded twice when a batch is sent again), or the refusal in words (404, 409,
/// 422). One row's refusal never stops the others.
async fn create_batch(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<PostedBatch>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(batch) = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(MAX_BATCH_BODY),
        _ => invalid("body", rejection.body_text()),
    })?;
    if batch.shipments.is_empty() || batch.shipments.len() > MAX_BATCH {
        return Err(invalid("shipments", format!("Send 1 to {MAX_BATCH} shipments in a batch.")));
    }
    let mut keys = std::collections::BTreeSet::new();
    let mut results = Vec::with_capacity(batch.shipments.len());
    let (mut recorded, mut replayed, mut refused) = (0, 0, 0);
    for mut row in batch.shipments {
        let key = row.as_object_mut().and_then(|r| r.remove("key")).and_then(|k| k.as_str().map(str::to_owned));
        let outcome = match key.as_deref().map(str::trim) {
            Some(key) if !key.is_empty() && key.len() <= MAX_KEY => match keys.insert(key.to_owned()) {
                false => Err(invalid("key", "Another shipment of this batch has this key; give each its own.")),
                true => match serde_json::from_value::<PostedShipment>(row) {
                    Err(err) => Err(invalid("body", err.to_string())),
                    Ok(posted) => record_one(&state, &caller, posted, Some(key)).await,
                },
            },
            _ => Err(invalid("key", format!("Give each shipment a key of 1 to {MAX_KEY} visible characters."))),
        };
        results.push(match outcome {
            Ok((done, store)) => {
                let status = if done.created { 202 } else { 200 };
                if done.created {
                    recorded += 1;
                } else {
                    replayed += 1;
                }
                json!({"key": key, "status": status, "shipment": shipment_json(&done.shipment, &store.shop_domain)})
            }
            Err(err) => {
                refused += 1;
                let response = err.into_response();
                let status = response.status().as_u16();
                let body = axum::body::to_bytes(response.into_body(), MAX_BODY).await.unwrap_or_default();
                let said: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                json!({"key": key, "status": status, "error": said["error"], "errors": said["errors"]})
            }
        });
    }
    Ok(Json(json!({"results": results, "recorded": recorded, "replayed": replayed, "refused": refused})))
}

/// The caller's organization's shipment `id`; another organization's is as unknown as one never
/// recorded.
async fn find_shipment(state: &AppState, caller: &Caller, id: &str) -> Result<(Shipment, StoreDto), ApiError> {
    let missing = || ApiError::NotFound(format!("There is no shipment {id}."));
    let id: ShipmentId = id.parse().map_err(|_| missing())?;
    let shipment = shipments::repo::find(&state.pool, caller.org(), id)
        .await?
        .filter(|shipment| caller.access.sees_at(shipment.store_id, shipment.location_id))
        .ok_or_else(missing)?;
    let store = stores::repo::get(&state.pool, caller.org(), shipment.store_id).await?.ok_or_else(missing)?;
    Ok((shipment, store))
}

/// `GET /api/v1/shipments/{id}`.
async fn shipment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (shipment, store) = find_shipment(&state, &caller, &id).await?;
    Ok(Json(shipment_json(&shipment, &store.shop_domain)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackingChange {
    #[serde(default)]
    tracking_number: Option<String>,
    /// `null` or `""` removes the link.
    #[serde(default)]
    tracking_url: Option<Option<String>>,
}

/// `PATCH /api/v1/shipments/{id}`: a new tracking number or URL, sent to Shopify as a change of
/// the fulfillment's tracking once the shipment is there.
async fn change_shipment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<TrackingChange>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(change) = body.map_err(unreadable)?;
    let (shipment, store) = find_shipment(&state, &caller, &id).await?;
    let change =
        shipments::TrackingChange { tracking_number: change.tracking_number, tracking_url: change.tracking_url };
    let shipment = match shipments::correct_tracking(&state.pool, shipment.id, &change).await {
        Ok(shipment) => shipment,
        Err(CorrectError::Invalid(errors)) => return Err(ApiError::Invalid(errors)),
        Err(CorrectError::NotFound) => return Err(ApiError::NotFound(format!("There is no shipment {id}."))),
        Err(CorrectError::Dismissed) => {
            return Err(ApiError::Conflict("This shipment was dismissed; record a new one.".into()))
        }
        Err(CorrectError::App(err)) => return Err(err.into()),
    };
    state.shipments.wake();
    state.hub.store_changed(store.org, store.id);
    Ok((StatusCode::ACCEPTED, Json(shipment_json(&shipment, &store.shop_domain))).into_response())
}
