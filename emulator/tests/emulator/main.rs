//! The Shopify emulator, tested over real HTTP the way storelink's client will use it.

mod auth;
mod bucket;
mod bulk;
mod clock;
mod cost;
mod faults;
mod fulfillment;
mod graphql;
mod helpers;
mod oauth;
mod pagination;
mod shapes;
mod webhooks;
