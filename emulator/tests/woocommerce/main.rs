//! The WooCommerce emulator, tested over real HTTP the way storelink's client will use it.

mod auth;
mod faults;
mod helpers;
mod listing;
mod orders;
mod shapes;
mod site;
mod webhooks;
