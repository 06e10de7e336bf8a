//! Integration tests: the real server on port 0 with its own database (SQLite, or PostgreSQL when
//! `STORELINK_TEST_DATABASE_URL` is set), driven over HTTP. They need the server: built without
//! the `ssr` feature, this binary holds one ignored test that says how to run them.

#[cfg(feature = "ssr")]
mod auth;
#[cfg(feature = "ssr")]
mod bigcommerce;
#[cfg(feature = "ssr")]
mod bulk;
#[cfg(feature = "ssr")]
mod cli;
#[cfg(feature = "ssr")]
mod cross_org;
#[cfg(feature = "ssr")]
mod desk;
#[cfg(feature = "ssr")]
mod dev_apps;
#[cfg(feature = "ssr")]
mod drift;
#[cfg(feature = "ssr")]
mod failover;
#[cfg(feature = "ssr")]
mod first_hour;
#[cfg(feature = "ssr")]
mod hardening;
#[cfg(feature = "ssr")]
mod helpers;
#[cfg(feature = "ssr")]
mod operations;
#[cfg(feature = "ssr")]
mod operator;
#[cfg(feature = "ssr")]
mod organizations;
#[cfg(feature = "ssr")]
mod pages;
#[cfg(feature = "ssr")]
mod probe;
#[cfg(feature = "ssr")]
mod queue;
#[cfg(feature = "ssr")]
mod roles;
#[cfg(feature = "ssr")]
mod secrets;
#[cfg(feature = "ssr")]
mod shipments;
#[cfg(feature = "ssr")]
mod stores;
#[cfg(feature = "ssr")]
mod sync;
#[cfg(feature = "ssr")]
mod upgrade;
#[cfg(feature = "ssr")]
mod users;
#[cfg(feature = "ssr")]
mod visibility;
#[cfg(feature = "ssr")]
mod webhooks;
#[cfg(feature = "ssr")]
mod woocommerce;
#[cfg(feature = "ssr")]
mod woocommerce_client;

/// A plain `cargo test` builds the crate without the server; it lists this instead of the suite.
#[cfg(not(feature = "ssr"))]
#[test]
#[ignore = "the integration tests start the server: cargo test --workspace --features storelink/ssr"]
fn the_integration_tests_need_the_server() {
    panic!("run the integration tests with the server built: cargo test --workspace --features storelink/ssr");
}
