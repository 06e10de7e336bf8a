//! A BigCommerce store is its hash: the permanent id in every API path
//! (`https://api.bigcommerce.com/stores/{hash}/v3/`). Desks paste it as the API Context
//! (`stores/abc123`), as the whole API path, or as the store's own control-panel host
//! (`store-abc123.mybigcommerce.com`). storelink keeps a store under that host: a real address
//! that names the hash.

use std::fmt;

/// A store hash: lower-case letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreHash(String);

/// The host every store answers at, around its hash.
const HOST_PREFIX: &str = "store-";
const HOST_SUFFIX: &str = ".mybigcommerce.com";

impl StoreHash {
    fn new(text: &str) -> Option<StoreHash> {
        let text = text.trim().to_ascii_lowercase();
        let valid = !text.is_empty() && text.len() <= 32 && text.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then_some(StoreHash(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address storelink keeps the store under: `store-{hash}.mybigcommerce.com`.
    pub fn address(&self) -> String {
        format!("{HOST_PREFIX}{}{HOST_SUFFIX}", self.0)
    }

    /// The hash of a kept address.
    pub fn from_address(address: &str) -> Option<StoreHash> {
        StoreHash::new(address.strip_prefix(HOST_PREFIX)?.strip_suffix(HOST_SUFFIX)?)
    }

    /// The hash an API Context names: `stores/abc123`, `/stores/abc123/v3/`,
    /// `https://api.bigcommerce.com/stores/abc123/v2`, or a `store-abc123.mybigcommerce.com`
    /// address; `None` when it names none.
    pub fn from_context(typed: &str) -> Option<StoreHash> {
        let typed = typed.trim();
        let without_scheme = typed.split_once("://").map_or(typed, |(_, rest)| rest);
        let mut segments = without_scheme.split(['/', '?', '#']).filter(|s| !s.is_empty());
        let first = segments.next()?;
        if let Some(hash) = host_hash(first) {
            return Some(hash);
        }
        let mut all = std::iter::once(first).chain(segments);
        all.by_ref().find(|s| s.eq_ignore_ascii_case("stores"))?;
        let hash = all.next()?;
        // A hash written `store-abc123` in the path is BigCommerce's misleading 403: read it
        // as the hash it means.
        StoreHash::new(hash.strip_prefix(HOST_PREFIX).unwrap_or(hash))
    }
}

impl fmt::Display for StoreHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The hash in a `store-{hash}.mybigcommerce.com` host (any letter case, any port).
fn host_hash(host: &str) -> Option<StoreHash> {
    let host = host.split(':').next()?.to_ascii_lowercase();
    StoreHash::new(host.strip_prefix(HOST_PREFIX)?.strip_suffix(HOST_SUFFIX)?)
}

/// The host of a Store URL as typed (`https://Shop.Example.com/`), lower-case, without `www.`.
pub fn store_host(typed: &str) -> Option<String> {
    let typed = typed.trim();
    let without_scheme = typed.split_once("://").map_or(typed, |(_, rest)| rest);
    let host = without_scheme.split(['/', '?', '#']).next()?.split(':').next()?.trim().to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    let looks_like_host = host.contains('.')
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !host.starts_with(['.', '-'])
        && !host.ends_with(['.', '-']);
    looks_like_host.then_some(host)
}

/// The hash a Store URL names, when it is the store's `store-{hash}.mybigcommerce.com` host.
pub fn hash_of_store_url(typed: &str) -> Option<StoreHash> {
    host_hash(&store_host(typed)?)
}

/// What a desk typed as a BigCommerce store's address, as storelink keeps it.
pub fn normalize_store_address(typed: &str) -> Result<String, String> {
    StoreHash::from_context(typed).or_else(|| hash_of_store_url(typed)).map(|hash| hash.address()).ok_or_else(|| {
        "Name the store by its API Context (stores/abc123) or its store-abc123.mybigcommerce.com address.".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_of_writing_the_hash_names_it() {
        for typed in [
            "stores/abc123",
            " stores/ABC123/ ",
            "/stores/abc123/v3/",
            "https://api.bigcommerce.com/stores/abc123/v3/",
            "api.bigcommerce.com/stores/abc123/v2/orders",
            "store-abc123.mybigcommerce.com",
            "https://store-abc123.mybigcommerce.com/manage",
            "stores/store-abc123",
        ] {
            assert_eq!(StoreHash::from_context(typed).map(|h| h.0), Some("abc123".into()), "{typed}");
        }
        for typed in ["", "abc123", "stores/", "stores/abc 123", "https://shop.example.com/", "stores/ab_c"] {
            assert_eq!(StoreHash::from_context(typed), None, "{typed}");
        }
    }

    #[test]
    fn a_store_is_kept_under_its_control_panel_host() {
        let hash = StoreHash::from_context("stores/abc123").unwrap();
        assert_eq!(hash.address(), "store-abc123.mybigcommerce.com");
        assert_eq!(StoreHash::from_address(&hash.address()), Some(hash));
        assert_eq!(
            normalize_store_address("https://api.bigcommerce.com/stores/abc123/v3/").unwrap(),
            "store-abc123.mybigcommerce.com"
        );
        assert!(normalize_store_address("shop.example.com").is_err());
        assert_eq!(store_host("https://WWW.Shop.example.com:443/cart").as_deref(), Some("shop.example.com"));
        assert_eq!(store_host("localhost"), None);
        assert_eq!(hash_of_store_url("https://store-x9.mybigcommerce.com/").map(|h| h.0), Some("x9".into()));
    }
}
