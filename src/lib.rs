//! storelink: connect online stores (Shopify first) to a shipping desk.
//!
//! Both builds compile this crate: `ssr` for the server (with the command line in `cli` and
//! the HTTP server in `server`), `hydrate` for the WebAssembly that brings the pages to life.

pub mod audit;
pub mod auth;
pub mod error;
pub mod shopify;
pub mod stores;
pub mod sync;
pub mod ui;
pub mod users;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(ui::App);
    // Lets end-to-end tests wait for interactivity instead of sleeping.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
