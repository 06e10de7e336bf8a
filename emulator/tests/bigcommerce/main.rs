//! The BigCommerce emulator, tested over real HTTP the way storelink's client will use it.

mod auth;
mod catalog;
mod helpers;
mod orders;
mod quota;
mod shapes;
mod shipments;
mod webhooks;
