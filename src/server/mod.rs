//! The HTTP server at the top of the layers: it builds the state, starts the sync engine, and
//! routes pages, server functions and the webhook endpoint; `connections` serves them.

mod connections;

use std::{
    net::SocketAddr,
    sync::{Arc, OnceLock},
};

use axum::{
    extract::Request,
    http::{header, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;

use crate::{
    db,
    platforms::Platforms,
    progress::Hub,
    secrets::Sealer,
    shipments::sender::Sender,
    state::{AppState, Settings},
    sync, ui, webhooks,
};

/// A bound, ready-to-run server. Tests build it on port 0 and read the port back.
pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
    /// The sync engine, for tests that run jobs themselves.
    pub engine: Arc<sync::Engine>,
    /// Writes recorded shipments back to their stores.
    pub sender: Arc<Sender>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        if let Some((before, after)) = connections::raise_open_file_limit().filter(|(before, after)| after > before) {
            tracing::info!(before, after, "raised the limit of open files");
        }
        db::create_data_dir(&settings.data_dir)?;
        let pool = db::connect(&settings.database_url()).await?;
        let sealer = Sealer::load(settings.secret_key.as_ref(), &settings.data_dir)?;
        check_key(&pool, &sealer).await?;
        let platforms = Platforms::start(&settings.platforms, pool.clone(), sealer.clone())?;
        let listener = TcpListener::bind(settings.addr).await?;
        let leptos_options = LeptosOptions::builder()
            .output_name("storelink")
            .site_root(settings.site_root.clone())
            .site_pkg_dir("pkg")
            .env(leptos::config::Env::PROD)
            .site_addr(listener.local_addr()?)
            .build();
        let webhook_base = settings.webhook_base(listener.local_addr()?);
        let hub = Hub::start(pool.clone());
        let webhooks_enabled = webhook_base.is_some();
        let engine = sync::Engine::new(
            pool.clone(),
            platforms.clone(),
            hub.clone(),
            settings.sync_interval,
            webhook_base,
            settings.sync_claims,
        );
        if settings.run_sync {
            engine.spawn();
        }
        let sender = Sender::new(pool.clone(), platforms.clone(), hub.clone(), settings.platforms.longest_timeout());
        sender.spawn();
        let state = AppState {
            leptos_options,
            pool,
            settings: Arc::new(settings),
            sealer,
            platforms,
            hub,
            sync: engine.handle(),
            shipments: sender.waker(),
            webhooks_enabled,
            queue_counts: Default::default(),
            queue_ages: Default::default(),
            queue_countries: Default::default(),
        };
        // Stores are checked for missing orders where syncs run: it asks the platforms too.
        let checks = state.settings.run_sync.then(|| state.platforms.clone());
        tokio::spawn(housekeeping(state.pool.clone(), checks, state.settings.housekeeping_interval));
        let router = router(state.clone());
        Ok(Application { listener, router, state, engine, sender })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until the process ends. The peer's address is what the sign-in throttle and the
    /// connection limit count a client by.
    pub async fn run(self) -> std::io::Result<()> {
        let per_client = self.state.settings.max_connections_per_client;
        connections::serve(self.listener, self.router, per_client).await
    }
}

/// Refuses to start with a key that cannot open the stored credentials (a server given another
/// server's key, or none), rather than failing every store's sync later.
async fn check_key(pool: &db::Pool, sealer: &Sealer) -> anyhow::Result<()> {
    let Some(sealed) = crate::credentials::repo::one_sealed_secret(pool).await? else { return Ok(()) };
    if sealer.open(&sealed).is_err() {
        anyhow::bail!(
            "the secret key cannot open the stored credentials: start storelink with the key that sealed them \
             (STORELINK_SECRET_KEY, or secret.key in the data directory); every server sharing a database needs the same key"
        );
    }
    Ok(())
}

/// Empties the tables that would otherwise only grow: expired sessions, old throttle counts,
/// webhook deliveries older than a week. With `checks`, also checks every store not checked
/// within the hour for missing orders.
async fn housekeeping(pool: db::Pool, checks: Option<Arc<crate::platforms::Platforms>>, period: std::time::Duration) {
    const KEEP_DELIVERIES_SECS: i64 = 7 * 24 * 3600;
    let mut every = tokio::time::interval(period);
    loop {
        every.tick().await;
        let now = db::now();
        if let Err(err) = crate::auth::expire_stale(&pool, now).await {
            tracing::warn!(error = %err, "could not delete expired sessions and sign-in counts");
        }
        if let Err(err) = crate::operators::expire_stale(&pool, now).await {
            tracing::warn!(error = %err, "could not delete expired operator sessions");
        }
        if let Err(err) = webhooks::repo::forget_before(&pool, now - KEEP_DELIVERIES_SECS).await {
            tracing::warn!(error = %err, "could not delete old webhook deliveries");
        }
        if let Some(platforms) = &checks {
            crate::drift::check_due(&pool, platforms).await;
        }
    }
}

/// The pages' routes, collected once per process. Collecting them renders the app with every
/// resource's loading suspended by a process-wide flag in leptos_server, so doing it while
/// another server in the process renders a page would leave that page's data pending forever.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(ui::App)).clone()
}

/// The pages, the server functions (leptos_axum routes each under `/api/…`, from its
/// `endpoint`), the webhook endpoint, and the built site's files.
fn router(state: AppState) -> Router {
    let context_state = state.clone();
    let provide_state = move || provide_context(context_state.clone());
    // The WebAssembly, script and stylesheet: a release build stores each also brotli- and
    // gzip-compressed (`cargo leptos build --release --precompress`), and those are sent to the
    // browsers that take them; a debug build's are compressed as they are sent.
    let pkg = std::path::Path::new(&*state.leptos_options.site_root).join(&*state.leptos_options.site_pkg_dir);
    let pkg = tower_http::services::ServeDir::new(pkg).precompressed_br().precompressed_gzip();
    let mut router = Router::new();
    if state.settings.metrics {
        router = router.route("/metrics", axum::routing::get(metrics));
    }
    router
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(readiness))
        .route(
            "/webhooks/{platform}",
            axum::routing::post(webhooks::receive).layer(axum::extract::DefaultBodyLimit::max(webhooks::MAX_BODY)),
        )
        .merge(crate::http_api::router())
        .nest_service(&format!("/{}", state.leptos_options.site_pkg_dir), pkg)
        .leptos_routes_with_context(&state, page_routes(), provide_state, {
            let options = state.leptos_options.clone();
            move || ui::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(ui::shell))
        .layer(middleware::from_fn(crate::api::server_fn_answers))
        // Outside what reads answers' bodies (`server_fn_answers` reads an error's).
        .layer(middleware::from_fn(cache_headers))
        .layer(tower_http::compression::CompressionLayer::new().br(true).gzip(true).compress_when({
            use tower_http::compression::Predicate;
            tower_http::compression::DefaultPredicate::new().and(NotStreamed)
        }))
        // Every form is a few hundred bytes; the webhook endpoint sets its own, larger limit.
        .layer(axum::extract::DefaultBodyLimit::max(crate::api::MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), refuse_cross_origin))
        .layer(middleware::from_fn_with_state(state.settings.public_url.clone(), security_headers))
        .layer(middleware::from_fn(count_answers))
        .with_state(state)
}

/// Ready when the database answers and has every migration this build knows; a load balancer
/// sends no traffic before.
async fn readiness(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match db::ready(&state.pool).await {
        Ok(()) => "ready".into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

/// Counts every answer by its status, for `/metrics`.
async fn count_answers(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    crate::metrics::answered(response.status().as_u16());
    response
}

/// `/metrics`: the process's counters, and what this server and the database hold now.
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let mut out = crate::metrics::Exposition::default();
    out.counters();
    match crate::jobs::repo::count_by_state(&state.pool).await {
        Ok(states) => {
            let samples: Vec<(String, f64)> =
                states.iter().map(|(job, n)| (format!("state=\"{}\"", job.as_sql()), *n as f64)).collect();
            out.metric("storelink_sync_jobs", "gauge", "Sync jobs in the database, by state.", &samples);
        }
        Err(err) => tracing::warn!(error = %err, "could not count sync jobs for /metrics"),
    }
    out.single(
        "storelink_stores_owned",
        "gauge",
        "Stores whose sync runs on this server now.",
        state.sync.running() as f64,
    );
    out.single(
        "storelink_progress_streams",
        "gauge",
        "Progress streams open on this server.",
        state.hub.streams() as f64,
    );
    if let Err(err) = queue_metrics(&state.pool, &mut out).await {
        tracing::warn!(error = %err, "could not measure the queue for /metrics");
    }
    let points: Vec<(String, f64)> =
        state.platforms.budgets().await.into_iter().map(|(shop, n)| (format!("shop=\"{shop}\""), n)).collect();
    out.metric(
        "storelink_shopify_points_available",
        "gauge",
        "Cost points each shop's budget holds now, as this server knows it.",
        &points,
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out.finish()).into_response()
}

/// What a desk manager watches: how long the oldest order awaiting shipping has waited, in each
/// connected store and in all, and how many have waited more than one, two and five days.
async fn queue_metrics(
    pool: &crate::db::Pool,
    out: &mut crate::metrics::Exposition,
) -> Result<(), crate::error::AppError> {
    let stores: Vec<crate::stores::StoreDto> =
        crate::stores::repo::all(pool).await?.into_iter().filter(|s| s.refuses_shipments().is_none()).collect();
    let ids: Vec<crate::ids::StoreId> = stores.iter().map(|s| s.id).collect();
    let now = crate::db::now();
    let oldest = crate::records::repo::oldest_by_store(pool, &ids).await?;
    let samples: Vec<(String, f64)> = oldest
        .iter()
        .filter_map(|(id, created)| {
            let store = stores.iter().find(|s| s.id == *id)?;
            let label = store.shop_domain.replace('\\', "\\\\").replace('"', "\\\"");
            Some((format!("store=\"{label}\""), (now - created).max(0) as f64))
        })
        .collect();
    out.metric(
        "storelink_queue_oldest_seconds",
        "gauge",
        "How long the oldest order awaiting shipping in each connected store has waited.",
        &samples,
    );
    let ages = crate::records::repo::ages(pool, &ids, &Vec::new(), now).await?;
    out.single(
        "storelink_queue_oldest_all_seconds",
        "gauge",
        "How long the oldest order awaiting shipping in any connected store has waited.",
        ages.oldest.map_or(0.0, |oldest| (now - oldest).max(0) as f64),
    );
    let older = [(1, ages.older_than_1_day), (2, ages.older_than_2_days), (5, ages.older_than_5_days)];
    let samples: Vec<(String, f64)> = older.iter().map(|(days, n)| (format!("days=\"{days}\""), *n as f64)).collect();
    out.metric(
        "storelink_queue_older_than",
        "gauge",
        "Orders awaiting shipping in connected stores that have waited more than this many days.",
        &samples,
    );
    let checks = crate::drift::repo::of_stores(pool, &ids).await?;
    let samples: Vec<(String, f64)> = stores
        .iter()
        .filter_map(|store| {
            let check = checks.get(&store.id)?;
            let label = store.shop_domain.replace('\\', "\\\\").replace('"', "\\\"");
            Some((format!("store=\"{label}\""), check.drift() as f64))
        })
        .collect();
    out.metric(
        "storelink_queue_drift",
        "gauge",
        "Orders the store and storelink still disagree on awaiting shipment after the last check repaired what it could.",
        &samples,
    );
    Ok(())
}

/// Responses sent as they are made (the progress stream says so with `X-Accel-Buffering: no`,
/// which proxies also honour) are never compressed: compressing waits to fill a block.
#[derive(Clone, Copy)]
struct NotStreamed;

impl tower_http::compression::Predicate for NotStreamed {
    fn should_compress<B>(&self, response: &http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        response.headers().get("x-accel-buffering").is_none_or(|v| v != "no")
    }
}

/// What a browser may keep: the site's files (`/pkg`, the icons) it keeps and asks again about
/// each time (an unchanged file is answered 304, without its bytes); pages show what only this
/// user may see, so they are kept privately and always asked again about.
async fn cache_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        let html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let value = if html { "private, no-cache" } else { "no-cache" };
        response.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static(value));
    }
    response
}

/// What every answer tells the browser, whatever it is: never guess a type, send no address
/// beyond this site, and render nothing inside another page's frame (a page makes its own
/// Content-Security-Policy with its scripts' nonce; anything else gets one that allows nothing).
/// Over `https://`, browsers are told to come back only that way.
async fn security_headers(
    axum::extract::State(public_url): axum::extract::State<Option<String>>,
    req: Request,
    next: Next,
) -> Response {
    use axum::http::HeaderValue;
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    // For browsers older than `frame-ancestors`.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        );
    }
    if public_url.as_deref().is_some_and(|url| url.starts_with("https://")) {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// Refuses state-changing requests sent by another site's page. SameSite=Lax already keeps the
/// session cookie off them; this makes the refusal explicit and independent of the browser.
async fn refuse_cross_origin(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_origin(req.headers(), state.settings.public_url.as_deref()) {
        return (StatusCode::FORBIDDEN, "Cross-origin request refused.").into_response();
    }
    next.run(req).await
}

/// Whether a state-changing request comes from storelink's own pages. Browsers say where a
/// request comes from: `Sec-Fetch-Site` must not be `cross-site` or `same-site` (a sibling
/// subdomain is another site's page too), and `Origin` must be storelink's own scheme, host and
/// port: the public URL's, or without one `http://` and the `Host` asked for. A request with
/// neither header comes from a script or the command line, not a browser page, and is let
/// through: it carries no session cookie unless its sender has the session.
fn same_origin(headers: &axum::http::HeaderMap, public_url: Option<&str>) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Some(origin) = origin.to_str().ok().and_then(normalized_origin) else { return false };
    let expected = match public_url {
        Some(url) => normalized_origin(url),
        None => headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .and_then(|host| normalized_origin(&format!("http://{host}"))),
    };
    expected.is_some_and(|expected| expected == origin)
}

/// `scheme://host:port`, lower-cased, with the scheme's default port written out; `None` for
/// anything that is not an http(s) origin (`null`, a path, another scheme).
fn normalized_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(port) => port.parse::<u16>().ok()?,
                None if after.is_empty() => default_port,
                None => return None,
            };
            (format!("[{host}]"), port)
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host.to_owned(), port.parse::<u16>().ok()?),
            None => (authority, default_port),
        },
    };
    Some(format!("{scheme}://{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::*;

    /// Request headers from name and value pairs.
    type Headers = &'static [(&'static str, &'static str)];

    fn headers(pairs: Headers) -> HeaderMap {
        pairs.iter().map(|(name, value)| (*name, HeaderValue::from_static(value))).fold(
            HeaderMap::new(),
            |mut map, (name, value)| {
                map.insert(name, value);
                map
            },
        )
    }

    #[test]
    fn only_storelinks_own_origin_may_change_anything() {
        let public = Some("https://ship.example.com");
        let cases: &[(Headers, Option<&str>, bool)] = &[
            (&[("origin", "https://ship.example.com")], public, true),
            (&[("origin", "https://ship.example.com:443")], public, true),
            (&[("origin", "http://ship.example.com")], public, false),
            (&[("origin", "https://ship.example.com:8443")], public, false),
            (&[("origin", "https://evil.example")], public, false),
            (&[("origin", "null")], public, false),
            (&[("origin", "https://ship.example.com"), ("sec-fetch-site", "same-site")], public, false),
            (&[("origin", "https://ship.example.com"), ("sec-fetch-site", "cross-site")], public, false),
            (&[("origin", "https://ship.example.com"), ("sec-fetch-site", "same-origin")], public, true),
            (&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")], None, true),
            (&[("origin", "https://127.0.0.1:3000"), ("host", "127.0.0.1:3000")], None, false),
            (&[("origin", "http://127.0.0.1:3001"), ("host", "127.0.0.1:3000")], None, false),
            (&[("host", "127.0.0.1:3000")], None, true),
            (&[("sec-fetch-site", "same-site")], None, false),
        ];
        for (pairs, public_url, allowed) in cases {
            assert_eq!(same_origin(&headers(pairs), *public_url), *allowed, "{pairs:?} with {public_url:?}");
        }
        assert!(!same_origin(&headers(&[("origin", "https://ship.example.com.evil.example")]), public));
    }
}
