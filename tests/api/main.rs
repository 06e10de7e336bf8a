//! Integration tests: the real server on port 0 with its own SQLite database, driven over HTTP.

mod auth;
mod bulk;
mod cli;
mod desk;
mod dev_apps;
mod hardening;
mod helpers;
mod pages;
mod roles;
mod secrets;
mod stores;
mod sync;
mod upgrade;
mod users;
mod webhooks;
