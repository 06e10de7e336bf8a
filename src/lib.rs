//! storelink: connect online stores (Shopify, WooCommerce) to a shipping desk.
//!
//! Both builds compile this crate: `ssr` for the server, `hydrate` for the WebAssembly that
//! brings the pages to life. The modules form layers, each using only those below it:
//!
//! 1. `error`, `ids`, `ndjson`, `secrets`, `db`: no knowledge of the app.
//! 2. The domain's foundations, each with its repository: `organizations`, `users`, `auth`,
//!    `operators`, `audit`, `records` (what was synced, in one platform-neutral model), `leases` (one server
//!    at a time holds a job or a shipment), `jobs` (and a running job's checkpoint and writes),
//!    `credentials`.
//! 3. `platforms`: the registry and, behind it, one module per platform (`platforms::shopify`,
//!    …), each speaking its platform's API and writing the neutral records.
//! 4. `stores`, `shipments` (recorded at the desk).
//! 5. `progress` (what open pages hear), then the engines: `webhooks`, `sync`, and
//!    `shipments::sender` (which has the store's platform write shipments back).
//! 6. `state` (settings and the shared state), `api` (the server functions), `http_api` (the
//!    label software's API), `ui` (the pages).
//! 7. `server` (the router and `Application`) and `cli`.

pub mod error;
pub mod ids;
pub mod ndjson;
pub mod platforms;

pub mod api_tokens;
pub mod audit;
pub mod drift;
pub mod jobs;
pub mod operators;
pub mod organizations;
pub mod queue;
pub mod records;
pub mod shipments;
pub mod stores;
pub mod users;
pub mod webhooks;

pub mod api;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod credentials;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod http_api;
#[cfg(feature = "ssr")]
pub mod leases;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod progress;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod sync;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Asynchronous, as hydrate_lazy() is: a lazy route's WebAssembly chunk is fetched before its
    // page hydrates.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body().expect("a <body>");
        leptos::mount::hydrate_from_async(body.clone(), ui::App).await.forget();
        // Lets end-to-end tests wait for interactivity instead of sleeping.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
