//! The HTTP server at the top of the layers: it builds the state, starts the sync engine, and
//! routes pages, server functions and the webhook endpoint.

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
    progress::Hub,
    secrets::Sealer,
    shopify::client::ShopifyClient,
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
        let hub = Hub::start(pool.clone());
        let webhooks_enabled = webhook_address.is_some();
        let engine = sync::Engine::new(
            pool.clone(),
            shopify.clone(),
            sealer.clone(),
            hub.clone(),
            settings.sync_interval,
            webhook_address,
        );
        if settings.run_sync {
            engine.spawn();
        }
        let state = AppState {
            leptos_options,
            pool,
            settings: Arc::new(settings),
            sealer,
            shopify,
            hub,
            sync: engine.handle(),
            webhooks_enabled,
        };
        let router = router(state.clone());
        Ok(Application { listener, router, state, engine })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub async fn run(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router.into_make_service()).await
    }
}

/// The pages' routes, collected once per process. Collecting them renders the app with every
/// resource's loading suspended by a process-wide flag in leptos_server, so doing it while
/// another server in the process renders a page would leave that page's data pending forever.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(ui::App)).clone()
}

fn router(state: AppState) -> Router {
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
            webhooks::PATH,
            axum::routing::post(webhooks::receive).layer(axum::extract::DefaultBodyLimit::max(webhooks::MAX_BODY)),
        )
        .leptos_routes_with_context(&state, page_routes(), provide_state, {
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
