//! The pages. Each reads its data through a server function inside `<Suspense>`, so it renders
//! on the server first and hydrates in the browser.

mod add_store;
mod audit;
mod batch;
mod chart;
mod form_error;
mod format;
mod invitation;
mod live;
mod operator;
mod queue;
mod signin;
mod store;
mod store_actions;
mod stores;
mod tokens;
mod user_stores;
mod users;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    hooks::use_location,
    lazy_route, path, Lazy, LazyRoute, SsrMode,
};

use crate::{
    api::auth::{current_user, Logout},
    error::AppError,
};

pub use format::{duration_words, format_utc, phase_words, progress_summary, relative_time};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#1f5fbf" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="icon" href="/favicon.ico" sizes="32x32" />
                <link rel="apple-touch-icon" href="/apple-touch-icon.png" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/storelink.css" />
        // The one formatter: every page's title passes through it (see `escape_title`).
        <Title text="storelink" formatter=escape_title />
        <Router>
            <Header />
            <main>
                <Routes fallback=NotFound>
                    // Async: the whole page is rendered before it is sent, so a server function's
                    // status (401, 403) and redirects reach the browser as real HTTP answers.
                    <Route path=path!("/") view=stores::StoresPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=signin::SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/users") view={Lazy::<Users>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/users/:id/stores") view={Lazy::<UserStores>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/stores/new") view={Lazy::<AddStore>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/stores/:id/disconnect") view={Lazy::<Disconnect>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/stores/:id/remove") view={Lazy::<Remove>::new()} ssr=SsrMode::Async />
                    <ParentRoute path=path!("/stores/:id") view=store::StorePage ssr=SsrMode::Async>
                        <Route path=path!("") view={Lazy::<Orders>::new()} ssr=SsrMode::Async />
                        <Route path=path!("products") view={Lazy::<Products>::new()} ssr=SsrMode::Async />
                        <Route path=path!("customers") view={Lazy::<Customers>::new()} ssr=SsrMode::Async />
                        <Route path=path!("locations") view={Lazy::<Locations>::new()} ssr=SsrMode::Async />
                        <Route path=path!("shipments") view={Lazy::<Shipments>::new()} ssr=SsrMode::Async />
                        <Route path=path!("shipments/:shipment") view={Lazy::<CorrectTracking>::new()} ssr=SsrMode::Async />
                        <Route path=path!("ship/:fo") view={Lazy::<Ship>::new()} ssr=SsrMode::Async />
                        <Route path=path!("sync") view={Lazy::<SyncTab>::new()} ssr=SsrMode::Async />
                        <Route path=path!("permissions") view={Lazy::<Permissions>::new()} ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("/orders") view=queue::QueuePage ssr=SsrMode::Async />
                    <Route path=path!("/orders/batch") view=batch::BatchPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view={Lazy::<Audit>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tokens") view={Lazy::<Tokens>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/operator") view={Lazy::<Operator>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/operator/organizations/:id") view={Lazy::<OperatorOrganization>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/invitation") view={Lazy::<Invitation>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// Declares a route whose page is compiled into its own WebAssembly chunk (with `cargo leptos
/// --split`), fetched when the route is first opened rather than with the first page.
macro_rules! lazy_page {
    ($($route:ident => $page:path),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    )*};
}

// Pages only administrators (or the operator, or an invited user) open, and the store page's tabs.
lazy_page! {
    Operator => operator::OperatorPage,
    OperatorOrganization => operator::OrganizationPage,
    Invitation => invitation::InvitationPage,
    Users => users::UsersPage,
    UserStores => user_stores::UserStoresPage,
    AddStore => add_store::AddStorePage,
    Disconnect => store_actions::DisconnectPage,
    Remove => store_actions::RemovePage,
    Audit => audit::AuditPage,
    Tokens => tokens::TokensPage,
    Orders => store::OrdersTab,
    Products => store::ProductsTab,
    Customers => store::CustomersTab,
    Locations => store::LocationsTab,
    Shipments => store::ShipmentsTab,
    CorrectTracking => store::CorrectTrackingPage,
    Ship => store::ShipPage,
    SyncTab => store::SyncTab,
    Permissions => store::PermissionsTab,
}

/// leptos_meta writes the title into the served page as it is given, unescaped, so a store
/// named `</title><script>…` would write a script. On the server every title is escaped here;
/// in the browser the title is set as text (`document.title`) and needs nothing.
fn escape_title(text: String) -> String {
    #[cfg(feature = "ssr")]
    return format::escape_html(&text);
    #[cfg(not(feature = "ssr"))]
    text
}

/// The page's Content-Security-Policy: scripts only from this site and the inline ones leptos
/// writes with this response's nonce (hydration data, the loader), WebAssembly compiled, no
/// inline handlers or styles, no plugins, no `<base>`, and no framing by any other page.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The top bar: where you are signed in, the pages you may open, and Sign out.
#[component]
fn Header() -> impl IntoView {
    let location = use_location();
    // Re-read on every navigation, so signing in or out updates the bar without a reload.
    let user = Resource::new(move || location.pathname.get(), |_| current_user());
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                "storelink"
            </a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(me)) => {
                            view! {
                                <nav aria-label="Main">
                                    <a href="/">"Stores"</a>
                                    <a href="/orders">"Orders"</a>
                                    {me.is_admin().then(|| view! { <a href="/users">"Users"</a> <a href="/tokens">"API tokens"</a> <a href="/audit">"Audit"</a> })}
                                </nav>
                                <span class="who">{me.email.clone()} " · " {me.role.label()}</span>
                                <ActionForm action=logout attr:class="inline">
                                    <button type="submit">"Sign out"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}

/// The non-empty values of `names` in the address's query, each as an encoded `name=value`.
fn kept_params(query: &leptos_router::params::ParamsMap, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter_map(|name| query.get(name).filter(|v| !v.is_empty()).map(|v| (name, v)))
        .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC)))
        .collect()
}

/// This address with `names` kept and the page moved by `cursor` (`("after", c)`,
/// `("before", c)`), or back to the first page.
fn paged_address(query: &leptos_router::params::ParamsMap, names: &[&str], cursor: Option<(&str, &str)>) -> String {
    let mut pairs = kept_params(query, names);
    pairs.extend(cursor.map(|(direction, c)| format!("{direction}={c}")));
    format!("?{}", pairs.join("&"))
}

/// The error a form posted without JavaScript came back with, from the page's query string.
fn query_error() -> impl Fn() -> Option<AppError> + Copy + Send + Sync + 'static {
    let query = leptos_router::hooks::use_query_map();
    move || {
        let query = query.read();
        AppError::from_query(|name| query.get(name))
    }
}

/// What a page an administrator's work is on shows anyone else: what only administrators can
/// do there, and nothing to click.
fn only_administrators(what: &str) -> AnyView {
    view! { <p class="note" role="status">{format!("Only administrators can {what}.")}</p> }.into_any()
}

/// A page's data, or what it shows instead: only administrators' work for anyone else (`what`
/// they can do), sign-in for anonymous visitors, the message otherwise.
fn admin_page_error(err: AppError, what: &str) -> AnyView {
    match err {
        AppError::Forbidden => only_administrators(what),
        err => error_view(err),
    }
}

/// Where an administrator enters a store's credentials again.
fn reconnect_href(store: &crate::stores::StoreDto) -> String {
    format!("/stores/new?platform={}&shop={}", store.platform.slug(), store.shop_domain)
}

/// What a page shows when its data could not be read: anonymous visitors go to sign-in,
/// everyone else sees the message.
fn error_view(err: AppError) -> AnyView {
    match err {
        AppError::Unauthorized => view! { <Redirect path="/login" /> }.into_any(),
        err => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · storelink" />
        <h1>"Page not found"</h1>
        <p>
            <a href="/">"Back to the stores"</a>
        </p>
    }
}
