//! storelink's own BigCommerce: stores answering the REST Management API (v2 and v3) at
//! `https://api.bigcommerce.com/stores/{store_hash}/…` as real ones do.

pub mod config;
