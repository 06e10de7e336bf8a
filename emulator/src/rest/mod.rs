//! The REST Admin API's front door: which shop a request is for, Shopify's checks in the order
//! Shopify applies them (faults, shop state, authentication, the leaky bucket), and the route to
//! the resource it names. Pagination, the resources themselves and the client credentials grant
//! live in the submodules.

mod oauth;
mod pagination;
mod resources;

use std::{sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::Response,
};
use base64::Engine;
use rand::Rng;
use serde_json::{json, Value};

use self::pagination::Params;
use super::{
    apps::{constant_time_eq, App},
    bucket::Bucket,
    config::Faults,
    EmulatorState, LoggedRequest, Shop, SUPPORTED_VERSIONS,
};

const MAX_BODY: usize = 1 << 20;

/// A finished answer, before the common headers are added.
struct Answer {
    status: StatusCode,
    body: Body,
    headers: HeaderMap,
}

impl Answer {
    fn json(status: StatusCode, value: &Value) -> Answer {
        Answer::bytes(status, serde_json::to_vec(value).unwrap_or_default())
    }

    /// JSON already written as text.
    fn bytes(status: StatusCode, json: Vec<u8>) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        Answer { status, body: Body::from(json), headers }
    }

    fn error(status: StatusCode, errors: Value) -> Answer {
        Answer::json(status, &json!({ "errors": errors }))
    }

    fn not_found() -> Answer {
        Answer::error(StatusCode::NOT_FOUND, json!("Not Found"))
    }

    fn header(mut self, name: &'static str, value: &str) -> Answer {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    fn into_response(self) -> Response {
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// Entry point for every request outside `/_emulator`.
pub async fn handle(State(emu): State<Arc<EmulatorState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default().to_ascii_lowercase();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let grant = parts.method == Method::POST && path == oauth::ACCESS_TOKEN_PATH;
    let Some(shop) = emu.shops.get(&host).cloned() else {
        // The token endpoint is a storefront page, not the API: an unknown shop gets HTML there.
        let answer = if grant { oauth::store_unavailable() } else { Answer::not_found() };
        emu.record(log_entry(&host, &parts.method, &path, &query, 404), format!("{} (unknown shop)", parts.method));
        return answer.into_response();
    };
    let body = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();

    pause(&shop).await;
    let graphql_version = match (&parts.method, Route::parse(&path)) {
        (&Method::POST, Route::Api { version, rest }) if rest == ["graphql"] => Some(version),
        _ => None,
    };
    let (answer, endpoint) = if grant {
        (oauth::serve(&emu, &shop, &parts.headers, &body), oauth::ENDPOINT.to_owned())
    } else if let Some(version) = graphql_version {
        (graphql(&emu, &shop, &parts.headers, &version, &body).await, "graphql.json".to_owned())
    } else {
        serve(&emu, &shop, &parts.method, &parts.headers, &path, &query, body)
    };
    let status = answer.as_ref().map_or(200, |a| a.status.as_u16());
    emu.record(log_entry(&host, &parts.method, &path, &query, status), format!("{} {endpoint}", parts.method));
    match answer {
        Some(answer) => answer.into_response(),
        None => dropped_connection(),
    }
}

fn log_entry(shop: &str, method: &Method, path: &str, query: &str, status: u16) -> LoggedRequest {
    let path = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    LoggedRequest { shop: shop.to_owned(), method: method.to_string(), path, status }
}

/// Latency: the shop's fixed delay plus random jitter.
async fn pause(shop: &Shop) {
    let fixed = *shop.latency_ms.lock().expect("latency lock");
    let jitter = shop.faults.lock().expect("faults lock").jitter_ms;
    let extra = if jitter > 0 { rand::thread_rng().gen_range(0..=jitter) } else { 0 };
    if fixed + extra > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(fixed + extra)).await;
    }
}

/// A response whose body fails after the headers: the client sees the connection drop.
fn dropped_connection() -> Response {
    let stream =
        futures::stream::once(async { Err::<Bytes, _>(std::io::Error::other("connection dropped by the emulator")) });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from_static("1024"));
    response
}

/// Runs one request through Shopify's checks in the order Shopify applies them. `None` means
/// "drop the connection".
fn serve(
    emu: &EmulatorState,
    shop: &Shop,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    query: &str,
    body: Bytes,
) -> (Option<Answer>, String) {
    let route = Route::parse(path);
    let endpoint = route.endpoint();
    let faults = shop.faults.lock().expect("faults lock").clone();
    if let Err(interrupted) = shop_faults(&faults) {
        return (interrupted, endpoint);
    }
    let app = match authenticated(shop, headers, emu.clock.elapsed()) {
        Some(app) if !faults.token_revoked => app,
        _ => return (Some(unauthorized()), endpoint),
    };
    let admission = shop.bucket.lock().expect("bucket lock").admit(emu.clock.elapsed());
    let call_limit = Bucket::header(&admission);
    if faults.throttle_storm || !admission.allowed {
        let rate = shop.leak_per_second;
        let answer = Answer::error(
            StatusCode::TOO_MANY_REQUESTS,
            json!(format!(
                "Exceeded {} calls per second for api client. Reduce request rates to resume uninterrupted service.",
                rate
            )),
        )
        .header("retry-after", faults.retry_after.as_deref().unwrap_or("2.0"))
        .header("x-shopify-shop-api-call-limit", &call_limit);
        return (Some(answer), endpoint);
    }
    let answer = match &route {
        Route::AccessScopes => {
            let scopes: Vec<Value> =
                shop.scopes_of(app).into_iter().map(|handle| json!({ "handle": handle })).collect();
            Answer::json(StatusCode::OK, &json!({ "access_scopes": scopes }))
        }
        Route::Api { version, rest } => {
            let params = Params::parse(query);
            let request = ApiRequest { emu, shop, app, method, rest, params, body: &body };
            request.answer().header("x-shopify-api-version", version)
        }
        Route::Unknown => Answer::not_found(),
    };
    (Some(answer.header("x-shopify-shop-api-call-limit", &call_limit)), endpoint)
}

fn unauthorized() -> Answer {
    Answer::error(
        StatusCode::UNAUTHORIZED,
        json!("[API] Invalid API key or access token (unrecognized login or wrong password)"),
    )
    .header("www-authenticate", "Basic Realm=\"Shopify API Authentication\"")
}

/// `POST /admin/api/{version}/graphql.json`: REST's front door (faults, shop state, the token),
/// then the GraphQL API with its own points bucket instead of the REST leaky bucket.
async fn graphql(
    emu: &Arc<EmulatorState>,
    shop: &Arc<Shop>,
    headers: &HeaderMap,
    version: &str,
    body: &[u8],
) -> Option<Answer> {
    let faults = shop.faults.lock().expect("faults lock").clone();
    if let Err(interrupted) = shop_faults(&faults) {
        return interrupted;
    }
    let app = match authenticated(shop, headers, emu.clock.elapsed()) {
        Some(app) if !faults.token_revoked => app,
        _ => return Some(unauthorized()),
    };
    let reply = crate::graphql::serve(emu, shop, app, version, headers, body, faults.throttle_storm).await;
    Some(Answer::bytes(reply.status, reply.body).header("x-shopify-api-version", version))
}

/// The faults that strike before Shopify looks at who is asking: a dropped connection
/// (`Err(None)`), a 5xx, a frozen or a locked shop.
fn shop_faults(faults: &Faults) -> Result<(), Option<Answer>> {
    let mut rng = rand::thread_rng();
    if faults.drop_rate > 0.0 && rng.gen_bool(faults.drop_rate.min(1.0)) {
        return Err(None);
    }
    if faults.error_rate > 0.0 && rng.gen_bool(faults.error_rate.min(1.0)) {
        let answer = match rng.gen_range(0..3) {
            0 => Answer::error(StatusCode::INTERNAL_SERVER_ERROR, json!("Internal Server Error")),
            1 => html(StatusCode::BAD_GATEWAY, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
            _ => html(StatusCode::SERVICE_UNAVAILABLE, "<html><body><h1>503 Service Unavailable</h1></body></html>"),
        };
        return Err(Some(answer));
    }
    if faults.frozen {
        return Err(Some(Answer::error(StatusCode::PAYMENT_REQUIRED, json!("Unavailable Shop"))));
    }
    if faults.locked {
        return Err(Some(Answer::error(StatusCode::LOCKED, json!("This store is unavailable"))));
    }
    Ok(())
}

fn html(status: StatusCode, text: &'static str) -> Answer {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    Answer { status, body: Body::from(text), headers }
}

/// Which app the request comes from: the legacy token or a live Dev Dashboard token as
/// `X-Shopify-Access-Token`, or HTTP Basic with the legacy API key and password (private apps).
/// `now` is the emulator's clock, which the Dev Dashboard tokens expire on.
fn authenticated(shop: &Shop, headers: &HeaderMap, now: Duration) -> Option<App> {
    let legacy = shop.config.access_token.as_deref();
    if let Some(sent) = headers.get("x-shopify-access-token").and_then(|v| v.to_str().ok()) {
        if legacy.is_some_and(|token| constant_time_eq(sent, token)) {
            return Some(App::Legacy);
        }
        return shop.dev_token_live(sent, now).then_some(App::DevApp);
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok());
    let (key, password) = basic.as_deref().and_then(|pair| pair.split_once(':'))?;
    let matches = !shop.config.api_key.is_empty()
        && constant_time_eq(key, &shop.config.api_key)
        && legacy.is_some_and(|token| constant_time_eq(password, token));
    matches.then_some(App::Legacy)
}

enum Route {
    AccessScopes,
    /// `/admin/api/{version}/{rest}`, with the version Shopify would actually serve.
    Api {
        version: String,
        rest: Vec<String>,
    },
    Unknown,
}

impl Route {
    fn parse(path: &str) -> Route {
        if path == "/admin/oauth/access_scopes.json" {
            return Route::AccessScopes;
        }
        let (version, rest) = if let Some(after) = path.strip_prefix("/admin/api/") {
            let (version, rest) = after.split_once('/').unwrap_or((after, ""));
            let served = if version == "unstable" || SUPPORTED_VERSIONS.contains(&version) {
                version
            } else {
                SUPPORTED_VERSIONS[0]
            };
            (served.to_owned(), rest)
        } else if let Some(rest) = path.strip_prefix("/admin/") {
            // No version at all: served as the oldest supported one.
            (SUPPORTED_VERSIONS[0].to_owned(), rest)
        } else {
            return Route::Unknown;
        };
        let Some(rest) = rest.strip_suffix(".json") else { return Route::Unknown };
        Route::Api { version, rest: rest.split('/').map(str::to_owned).collect() }
    }

    /// The endpoint with ids replaced, for the per-endpoint counters.
    fn endpoint(&self) -> String {
        match self {
            Route::AccessScopes => "oauth/access_scopes.json".into(),
            Route::Api { rest, .. } => {
                let parts: Vec<&str> =
                    rest.iter().map(|p| if p.parse::<u64>().is_ok() { "{id}" } else { p.as_str() }).collect();
                format!("{}.json", parts.join("/"))
            }
            Route::Unknown => "unknown".into(),
        }
    }
}

/// One API request, as the resources answer it.
struct ApiRequest<'a> {
    emu: &'a EmulatorState,
    shop: &'a Shop,
    /// The app whose token made the request: its scopes and its webhook subscriptions apply.
    app: App,
    method: &'a Method,
    rest: &'a [String],
    params: Params,
    body: &'a Bytes,
}

impl ApiRequest<'_> {
    /// The version written into `Link` URLs and new subscriptions.
    fn version(&self) -> &'static str {
        SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.len() - 2]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_fall_forward_and_paths_parse() {
        match Route::parse("/admin/api/2019-04/orders/count.json") {
            Route::Api { version, rest } => {
                assert_eq!(version, SUPPORTED_VERSIONS[0]);
                assert_eq!(rest, ["orders", "count"]);
            }
            _ => panic!("an API route"),
        }
        match Route::parse("/admin/api/2026-07/orders/5600000000123/fulfillment_orders.json") {
            Route::Api { version, .. } => assert_eq!(version, "2026-07"),
            _ => panic!("an API route"),
        }
        assert!(matches!(Route::parse("/admin/oauth/access_scopes.json"), Route::AccessScopes));
        assert!(matches!(Route::parse("/favicon.ico"), Route::Unknown));
        assert_eq!(
            Route::parse("/admin/api/2026-07/orders/123/fulfillment_orders.json").endpoint(),
            "orders/{id}/fulfillment_orders.json"
        );
    }
}
