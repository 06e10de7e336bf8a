//! The Store URL an administrator pastes, read into the WordPress site it names: whatever page of
//! the site they copied (the shop's front page, an admin page, a REST URL), with or without a
//! scheme. Once the site has answered, its own home URL (`home` in `/wp-json/`) replaces what was
//! typed: OAuth signatures are computed over it, `www.` and scheme included.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// A pasted admin page with its query string fits; anything longer is not an address.
const MAX_INPUT: usize = 2048;
/// DNS limits (RFC 1035): a name of 253 characters, labels of 63.
const MAX_HOST: usize = 253;
const MAX_LABEL: usize = 63;
/// A sub-folder install's path.
const MAX_PATH: usize = 200;

/// The first path segment of WordPress's own pages and files: what precedes it is where the
/// site is installed (`https://example.com/shop/wp-admin/…` → `/shop`).
const WORDPRESS_SEGMENTS: [&str; 8] =
    ["wp-admin", "wp-json", "wp-login.php", "wp-content", "wp-includes", "index.php", "xmlrpc.php", "wp-cron.php"];

/// Characters of a path segment kept as they are; anything else (other scripts) is
/// percent-encoded, as a browser sends it.
const PATH_ENCODE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`').add(b'{').add(b'}');

/// A WordPress site's address: its scheme, host and the folder it is installed in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SiteUrl {
    https: bool,
    /// Lower-case ASCII (an international name in its `xn--` form), `www.` kept as given.
    host: String,
    /// `""` at the root of the host, else `/folder` (no trailing slash).
    path: String,
}

impl SiteUrl {
    /// `https://shop.example.com`, `https://example.com/shop`: no trailing slash.
    pub fn home(&self) -> String {
        format!("{}://{}{}", self.scheme(), self.host, self.path)
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    pub fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    /// The folder WordPress is installed in: `""` or `/shop`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The home URL a site reports (`home` in `/wp-json/`), which is authoritative once known: it
    /// may add or drop `www.` or change the scheme.
    pub fn from_home(home: &str) -> Result<SiteUrl, String> {
        parse(home, true)
    }
}

impl fmt::Display for SiteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.home())
    }
}

/// The site an administrator's Store URL names. No scheme means https. The error is a sentence
/// to show beside the Store URL field.
pub fn normalize_store_url(input: &str) -> Result<SiteUrl, String> {
    parse(input, false)
}

const EMPTY: &str = "Enter the store's address, such as shop.example.com.";
const NOT_A_DOMAIN: &str = "Enter the store's domain name, such as shop.example.com.";

fn parse(input: &str, need_scheme: bool) -> Result<SiteUrl, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(EMPTY.into());
    }
    if text.len() > MAX_INPUT {
        return Err("That address is too long to be a store's address.".into());
    }
    if text.chars().any(char::is_whitespace) {
        return Err("The address cannot contain spaces.".into());
    }
    if text.chars().any(char::is_control) {
        return Err("The address contains invisible characters: type it again rather than pasting it.".into());
    }
    let (https, rest) = match scheme_of(text) {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "https" => (true, rest),
            "http" => (false, rest),
            _ => return Err("A store's address starts with https:// or http://.".into()),
        },
        None if need_scheme => return Err("The address has no https:// or http:// at its start.".into()),
        None => (true, text.strip_prefix("//").unwrap_or(text)),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err("Leave out the user name and password: enter just the store's address, such as \
                    https://shop.example.com."
            .into());
    }
    let host = host_of(authority, https)?;
    let path = install_path(after)?;
    Ok(SiteUrl { https, host, path })
}

/// `scheme` and what follows `scheme://`, when the text starts with a scheme.
fn scheme_of(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    well_formed.then_some((scheme, rest))
}

/// The host of `host[:port]`, checked and lower-cased; the scheme's own port may be written.
fn host_of(authority: &str, https: bool) -> Result<String, String> {
    if authority.is_empty() {
        return Err(EMPTY.into());
    }
    if authority.starts_with('[') {
        return Err("Enter the store's domain name, not an IP address.".into());
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) => {
            let standard = if https { "443" } else { "80" };
            if port != standard {
                return Err(if !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()) {
                    format!("Leave out the port (:{port}): storelink reaches stores on the standard port.")
                } else {
                    NOT_A_DOMAIN.into()
                });
            }
            host
        }
        None => authority,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    let host = if host.is_ascii() {
        host.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(host).map_err(|_| "That domain name is not one a store can have.".to_owned())?
    };
    if host.len() > MAX_HOST {
        return Err(format!("A domain name has at most {MAX_HOST} characters."));
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return Err("Enter the full domain name, with its ending, such as shop.example.com.".into());
    }
    if labels.iter().any(|label| label.is_empty()) {
        return Err("The domain name has an empty part between two dots.".into());
    }
    if labels.iter().any(|label| !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
        return Err("A domain name has only letters, digits, hyphens and dots.".into());
    }
    if labels.iter().any(|label| label.starts_with('-') || label.ends_with('-')) {
        return Err("No part of a domain name starts or ends with a hyphen.".into());
    }
    if labels.iter().any(|label| label.len() > MAX_LABEL) {
        return Err(format!("Each part of a domain name between dots has at most {MAX_LABEL} characters."));
    }
    // No top-level domain is a number: this is an IPv4 address (or a number pretending to be one).
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err("Enter the store's domain name, not an IP address.".into());
    }
    Ok(host)
}

/// The folder WordPress is installed in, from what follows the host: the path up to the first
/// segment that is WordPress's own, without the query or fragment.
fn install_path(after: &str) -> Result<String, String> {
    let path = after.split(['?', '#']).next().unwrap_or_default();
    let mut kept = Vec::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if WORDPRESS_SEGMENTS.iter().any(|wp| segment.eq_ignore_ascii_case(wp)) {
            break;
        }
        if segment == "." || segment == ".." {
            return Err("The address has a path a store's address cannot have.".into());
        }
        if !valid_escapes(segment) || segment.contains('\\') {
            return Err("The address has characters a store's address cannot have.".into());
        }
        kept.push(utf8_percent_encode(segment, PATH_ENCODE).to_string());
    }
    let path: String = kept.iter().map(|segment| format!("/{segment}")).collect();
    if path.len() > MAX_PATH {
        return Err("The address's path is too long for a store's address.".into());
    }
    Ok(path)
}

/// Every `%` starts a `%XX` escape.
fn valid_escapes(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    bytes.iter().enumerate().filter(|(_, b)| **b == b'%').all(|(i, _)| {
        bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_administrators_paste_names_the_site() {
        for (typed, home) in [
            ("shop.example.com", "https://shop.example.com"),
            ("  shop.example.com  ", "https://shop.example.com"),
            ("https://shop.example.com/", "https://shop.example.com"),
            ("http://shop.example.com", "http://shop.example.com"),
            ("HTTPS://Shop.Example.COM", "https://shop.example.com"),
            ("https://shop.example.com/wp-admin/admin.php?page=wc-settings&tab=advanced", "https://shop.example.com"),
            ("https://shop.example.com/wp-json/wc/v3/orders?per_page=5", "https://shop.example.com"),
            ("shop.example.com/index.php?rest_route=/", "https://shop.example.com"),
            ("www.shop.example.com", "https://www.shop.example.com"),
            ("https://example.com/shop/", "https://example.com/shop"),
            ("https://example.com/shop/wp-admin/", "https://example.com/shop"),
            ("https://example.com//shop//", "https://example.com/shop"),
            ("//shop.example.com", "https://shop.example.com"),
            ("shop.example.com.", "https://shop.example.com"),
            ("https://shop.example.com:443/", "https://shop.example.com"),
            ("http://shop.example.com:80", "http://shop.example.com"),
            ("shop.example.com#orders", "https://shop.example.com"),
            ("https://bücher.example/", "https://xn--bcher-kva.example"),
            ("https://example.com/boutique/%C3%A9t%C3%A9", "https://example.com/boutique/%C3%A9t%C3%A9"),
            ("https://example.com/été", "https://example.com/%C3%A9t%C3%A9"),
        ] {
            let site = normalize_store_url(typed).unwrap_or_else(|e| panic!("{typed:?}: {e}"));
            assert_eq!(site.home(), home, "{typed:?}");
        }
        let site = normalize_store_url("http://www.example.com/shop/").unwrap();
        assert_eq!((site.host(), site.path(), site.is_https()), ("www.example.com", "/shop", false));
        assert_eq!(site.to_string(), "http://www.example.com/shop");
    }

    #[test]
    fn what_is_not_a_store_address_is_refused_with_a_reason() {
        for (typed, says) in [
            ("", "Enter the store's address"),
            ("   ", "Enter the store's address"),
            ("https://", "Enter the store's address"),
            ("shop example.com", "cannot contain spaces"),
            ("shop.example.com/a b", "cannot contain spaces"),
            ("shop.exa\u{0007}mple.com", "invisible characters"),
            ("ftp://shop.example.com", "starts with https:// or http://"),
            ("javascript://shop.example.com", "starts with https:// or http://"),
            ("https://admin:secret@shop.example.com", "Leave out the user name and password"),
            ("admin@shop.example.com", "Leave out the user name and password"),
            ("https://shop.example.com:8443/", "Leave out the port (:8443)"),
            ("http://shop.example.com:443/", "Leave out the port (:443)"),
            ("shop.example.com:abc", "Enter the store's domain name"),
            ("localhost", "with its ending"),
            ("https://intranet/", "with its ending"),
            ("shop..example.com", "empty part"),
            (".example.com", "empty part"),
            ("shop_1.example.com", "only letters, digits, hyphens and dots"),
            ("shop.exam<ple.com", "only letters, digits, hyphens and dots"),
            ("-shop.example.com", "starts or ends with a hyphen"),
            ("192.168.1.10", "not an IP address"),
            ("http://127.0.0.1/", "not an IP address"),
            ("http://[::1]/", "not an IP address"),
            ("example.com/../etc", "path a store's address cannot have"),
            ("example.com/shop%zz", "characters a store's address cannot have"),
        ] {
            let refused = normalize_store_url(typed).err().unwrap_or_else(|| panic!("{typed:?} was accepted"));
            assert!(refused.contains(says), "{typed:?}: {refused}");
        }
        let label = "a".repeat(64);
        assert!(normalize_store_url(&format!("{label}.example.com")).unwrap_err().contains("at most 63"));
        let long = format!("{}example.com", "abcdefghi.".repeat(25));
        assert!(normalize_store_url(&long).unwrap_err().contains("at most 253"));
        let huge = format!("https://example.com/{}", "a".repeat(MAX_INPUT));
        assert!(normalize_store_url(&huge).unwrap_err().contains("too long"));
        let deep = format!("https://example.com/{}", "folder/".repeat(40));
        assert!(normalize_store_url(&deep).unwrap_err().contains("too long"));
    }

    #[test]
    fn the_sites_own_home_url_needs_its_scheme() {
        let home = SiteUrl::from_home("http://www.shop.example.com").unwrap();
        assert_eq!((home.home(), home.is_https()), ("http://www.shop.example.com".to_owned(), false));
        assert!(SiteUrl::from_home("shop.example.com").unwrap_err().contains("no https:// or http://"));
        assert_eq!(SiteUrl::from_home("https://example.com/shop/").unwrap().home(), "https://example.com/shop");
    }
}
