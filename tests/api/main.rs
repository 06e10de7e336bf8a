//! Integration tests: the real server on port 0 with its own database (SQLite, or PostgreSQL when
//! `STORELINK_TEST_DATABASE_URL` is set), driven over HTTP.

mod auth;
mod bulk;
mod cli;
mod desk;
mod dev_apps;
mod failover;
mod hardening;
mod helpers;
mod operations;
mod pages;
mod probe;
mod roles;
mod secrets;
mod shipments;
mod stores;
mod sync;
mod upgrade;
mod users;
mod webhooks;
