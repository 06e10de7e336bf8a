//! The HTTP server: settings, shared state, the axum router and the helpers every server
//! function uses to report its outcome.

pub mod db;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use axum::{
    extract::{FromRef, Request},
    http::{header, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes, ResponseOptions};
use tokio::net::TcpListener;

use crate::{
    error::AppError,
    secrets::{Sealer, Secret},
    shopify::client::ShopifyClient,
    sync::engine::SyncEngine,
    ui,
};

/// Everything the server needs to know, gathered from the command line and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    /// Where the database lives; defaults to an SQLite file inside `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// The folder with the built site (`target/site` after `cargo leptos build`).
    pub site_root: String,
    /// The address browsers use, when it differs from `addr` (e.g. behind a TLS proxy).
    pub public_url: Option<String>,
    /// The key that seals store credentials; without it, `secret.key` in `data_dir`.
    pub secret_key: Option<Secret>,
    /// Sends every Shopify call here instead of `https://{shop}.myshopify.com` (the emulator).
    pub shopify_base_url: Option<String>,
    /// How long a Shopify call may take before it counts as "too slow".
    pub shopify_timeout: Duration,
    /// Run sync jobs in the background (tests that drive the engine themselves turn it off).
    pub run_sync: bool,
    /// How often each connected store gets an incremental sync.
    pub sync_interval: Duration,
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| db::sqlite_url_in(&self.data_dir))
    }

    /// Where Shopify should deliver webhooks: under the public URL when it is https. Against
    /// the emulator (the Shopify base URL override is set), under any public URL, or else
    /// under this server's own address.
    pub fn webhook_address(&self, own: SocketAddr) -> Option<String> {
        let base = match (&self.public_url, &self.shopify_base_url) {
            (Some(url), _) if url.starts_with("https://") => url.clone(),
            (Some(url), Some(_)) => url.clone(),
            (None, Some(_)) => format!("http://{own}"),
            (_, None) => return None,
        };
        Some(format!("{}{}", base.trim_end_matches('/'), crate::webhooks::PATH))
    }

    /// Cookies are marked Secure when browsers reach the server over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|url| url.starts_with("https://"))
    }
}

/// Shared with every request handler and server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: db::Pool,
    pub settings: Arc<Settings>,
    pub sealer: Sealer,
    pub shopify: ShopifyClient,
    pub sync: Arc<SyncEngine>,
}

impl AppState {
    /// The state of the server handling the current server function or page render.
    pub fn current() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal
        })
    }
}

/// A bound, ready-to-run server. Tests build it on port 0 and read the port back.
pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&settings.data_dir)?;
        let pool = db::connect(&settings.database_url()).await?;
        let sealer = Sealer::load(settings.secret_key.as_ref(), &settings.data_dir)?;
        let shopify = ShopifyClient::new(settings.shopify_base_url.clone(), settings.shopify_timeout)?;
        let listener = TcpListener::bind(settings.addr).await?;
        let leptos_options = LeptosOptions::builder()
            .output_name("storelink")
            .site_root(settings.site_root.clone())
            .site_pkg_dir("pkg")
            .env(leptos::config::Env::PROD)
            .site_addr(listener.local_addr()?)
            .build();
        let webhook_address = settings.webhook_address(listener.local_addr()?);
        let sync =
            SyncEngine::new(pool.clone(), shopify.clone(), sealer.clone(), settings.sync_interval, webhook_address);
        if settings.run_sync {
            sync.spawn();
        }
        let state = AppState { leptos_options, pool, settings: Arc::new(settings), sealer, shopify, sync };
        let router = router(state.clone());
        Ok(Application { listener, router, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub async fn run(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router.into_make_service()).await
    }
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(ui::App);
    let context_state = state.clone();
    let provide_state = move || provide_context(context_state.clone());
    let fn_state = state.clone();
    Router::new()
        .route(
            "/api/{*fn_name}",
            axum::routing::post(move |req: Request| {
                let fn_state = fn_state.clone();
                async move {
                    leptos_axum::handle_server_fns_with_context(move || provide_context(fn_state.clone()), req).await
                }
            }),
        )
        .route(
            crate::webhooks::PATH,
            axum::routing::post(crate::webhooks::receive)
                .layer(axum::extract::DefaultBodyLimit::max(crate::webhooks::MAX_BODY)),
        )
        .leptos_routes_with_context(&state, routes, provide_state, {
            let options = state.leptos_options.clone();
            move || ui::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(ui::shell))
        .layer(middleware::from_fn(refuse_cross_origin))
        .with_state(state)
}

/// Refuses state-changing requests sent by another site's page. SameSite=Lax already keeps the
/// session cookie off them; this makes the refusal explicit and independent of the browser.
async fn refuse_cross_origin(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_origin(&req) {
        return (StatusCode::FORBIDDEN, "Cross-origin request refused.").into_response();
    }
    next.run(req).await
}

fn same_origin(req: &Request) -> bool {
    let headers = req.headers();
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Non-browser clients (the CLI, tests, curl) send no Origin; cookies guard them.
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
    origin_host.eq_ignore_ascii_case(host)
}

/// Runs a server function's body and reports its error the way the caller can use it: a plain
/// HTML form post (no JavaScript yet) is sent back to its page with the error's code in the
/// query string; every other caller gets the error's HTTP status.
pub async fn respond<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(err) = &result {
        report(err);
    }
    result
}

fn report(err: &AppError) {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    let parts = use_context::<http::request::Parts>();
    let plain_form_post = parts.as_ref().is_some_and(|parts| {
        parts.method == Method::POST
            && parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    });
    if plain_form_post {
        let back = parts
            .as_ref()
            .and_then(|p| p.headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok())
            .and_then(local_path)
            .unwrap_or_else(|| "/".to_owned());
        leptos_axum::redirect(&with_error(&back, &err.to_query()));
    } else if let Ok(status) = StatusCode::from_u16(err.status()) {
        response.set_status(status);
    }
}

/// The path and query of a same-site Referer, so a redirect can never leave this site.
fn local_path(referer: &str) -> Option<String> {
    let after_scheme = referer.split_once("://").map(|(_, rest)| rest)?;
    let path = &after_scheme[after_scheme.find('/')?..];
    Some(path.to_owned())
}

fn with_error(path: &str, encoded: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("error=")).collect();
    let error = format!("error={encoded}");
    pairs.push(&error);
    format!("{base}?{}", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_replaces_an_earlier_one_and_keeps_other_parameters() {
        assert_eq!(with_error("/login", "abc"), "/login?error=abc");
        assert_eq!(with_error("/login?error=old&x=1", "abc"), "/login?x=1&error=abc");
    }

    #[test]
    fn referer_is_reduced_to_a_local_path() {
        assert_eq!(local_path("http://127.0.0.1:3000/users?a=b").as_deref(), Some("/users?a=b"));
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("not a url"), None);
    }

    fn settings(public_url: Option<&str>, shopify_base_url: Option<&str>) -> Settings {
        Settings {
            addr: "127.0.0.1:0".parse().unwrap(),
            database_url: None,
            data_dir: "data".into(),
            site_root: "target/site".into(),
            public_url: public_url.map(str::to_owned),
            secret_key: None,
            shopify_base_url: shopify_base_url.map(str::to_owned),
            shopify_timeout: Duration::from_secs(1),
            run_sync: false,
            sync_interval: Duration::from_secs(600),
        }
    }

    #[test]
    fn webhooks_need_an_https_public_url_except_against_the_emulator() {
        let own: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let https = settings(Some("https://ship.example.com/"), None);
        assert_eq!(https.webhook_address(own).as_deref(), Some("https://ship.example.com/webhooks/shopify"));
        assert_eq!(settings(Some("http://ship.example.com"), None).webhook_address(own), None);
        assert_eq!(settings(None, None).webhook_address(own), None);
        let emulated = settings(None, Some("http://127.0.0.1:3001"));
        assert_eq!(emulated.webhook_address(own).as_deref(), Some("http://127.0.0.1:3000/webhooks/shopify"));
    }
}
