//! OAuth 1.0a one-legged, as WooCommerce takes it over plain http (`WC_REST_Authentication::
//! check_oauth_signature`): HMAC-SHA256 under `consumer_secret&`, over `METHOD&url&params`, where
//! the URL is the site's home URL (never the address the request was sent to) with the request's
//! path, and the parameters are every query parameter but the signature, each name and value
//! encoded, sorted, then the whole encoded again. The body is not signed. The `oauth_*`
//! parameters travel in the query string, as WooCommerce's own clients send them.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use rand::{distributions::Alphanumeric, Rng};
use sha2::Sha256;

/// PHP's `rawurlencode` (RFC 3986): everything but `A-Z a-z 0-9 - _ . ~` as `%XX`.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `oauth_*` parameters to add to a request's query: `params` are the request's own
/// (decoded) query parameters, `base_url` the home URL with the request's path.
pub fn sign(
    method: &str,
    base_url: &str,
    params: &[(String, String)],
    consumer_key: &str,
    consumer_secret: &str,
    timestamp: i64,
    nonce: &str,
) -> Vec<(String, String)> {
    let mut oauth = vec![
        ("oauth_consumer_key".to_owned(), consumer_key.to_owned()),
        ("oauth_nonce".to_owned(), nonce.to_owned()),
        ("oauth_signature_method".to_owned(), "HMAC-SHA256".to_owned()),
        ("oauth_timestamp".to_owned(), timestamp.to_string()),
    ];
    let signed: Vec<(String, String)> = params.iter().chain(&oauth).cloned().collect();
    let signature = signature(&base_string(method, base_url, &signed), consumer_secret);
    oauth.push(("oauth_signature".to_owned(), signature));
    oauth
}

/// A nonce WooCommerce has not seen: 32 random letters and digits.
pub fn nonce() -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(32).map(char::from).collect()
}

/// `METHOD&encoded url&encoded parameters`. PHP reads a query string into `$_GET`, where a
/// repeated name keeps its last value and `name[]` collects an array (signed as `name[0]`,
/// `name[1]`, … in order); WooCommerce sorts by encoded name.
pub fn base_string(method: &str, base_url: &str, params: &[(String, String)]) -> String {
    let mut by_name: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (name, value) in params {
        let (base, array) = match name.strip_suffix("[]") {
            Some(base) => (base, true),
            None => (name.as_str(), false),
        };
        let key = encode(base);
        let entry = match by_name.iter_mut().position(|(k, _)| *k == key) {
            Some(at) => &mut by_name[at].1,
            None => {
                by_name.push((key.clone(), Vec::new()));
                &mut by_name.last_mut().expect("just pushed").1
            }
        };
        if array {
            let index = entry.len().to_string();
            entry.push((format!("{key}%5B{index}%5D"), encode(value)));
        } else {
            *entry = vec![(key, encode(value))];
        }
    }
    by_name.sort_by(|a, b| a.0.cmp(&b.0));
    let pairs: Vec<String> =
        by_name.into_iter().flat_map(|(_, pairs)| pairs).map(|(name, value)| format!("{name}={value}")).collect();
    format!("{}&{}&{}", method.to_ascii_uppercase(), encode(base_url), encode(&pairs.join("&")))
}

/// base64 of HMAC-SHA256 of the base string, under `consumer_secret&`.
pub fn signature(base_string: &str, consumer_secret: &str) -> String {
    let key = format!("{consumer_secret}&");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(base_string.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Computed apart from this code (Python's `hmac`, `hashlib.sha256` and `urllib.parse.quote`
    /// with `safe='-._~'`), from WooCommerce's description of the signature.
    #[test]
    fn signatures_match_a_vector_computed_by_hand() {
        let params = pairs(&[("per_page", "5"), ("status", "processing,completed")]);
        let signed = sign(
            "GET",
            "http://www.shop.example.com/wp-json/wc/v3/orders",
            &params,
            "ck_1",
            "cs_2",
            1_700_000_000,
            "abc123",
        );
        let base = base_string(
            "GET",
            "http://www.shop.example.com/wp-json/wc/v3/orders",
            &[params.clone(), signed[..4].to_vec()].concat(),
        );
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fwww.shop.example.com%2Fwp-json%2Fwc%2Fv3%2Forders&oauth_consumer_key%3Dck_1%26\
             oauth_nonce%3Dabc123%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26\
             per_page%3D5%26status%3Dprocessing%252Ccompleted"
        );
        let names: Vec<&str> = signed.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["oauth_consumer_key", "oauth_nonce", "oauth_signature_method", "oauth_timestamp", "oauth_signature"]
        );
        assert_eq!(signed[4].1, "98Y4mvJWZhao10Qtq0qUwcKJ+C0RKaMoVQHwgTqIbCE=");

        // Plain permalinks: the bare home URL, the route a parameter like any other.
        let route = pairs(&[("rest_route", "/wc/v3/orders/727")]);
        let signed = sign("put", "http://shop.example.com", &route, "ck_1", "cs_2", 1_700_000_000, "n 2");
        assert_eq!(signed[4].1, "Ui6doGzeLUU+lM8o6UXWo9Zsbwli9l1dcPCbij5GQRc=");
    }

    #[test]
    fn parameters_are_normalised_as_php_reads_them() {
        let params =
            pairs(&[("b", "2"), ("a", "x y"), ("status[]", "processing"), ("status[]", "on-hold"), ("b", "3")]);
        assert_eq!(
            base_string("GET", "http://s.example", &params),
            "GET&http%3A%2F%2Fs.example&a%3Dx%2520y%26b%3D3%26status%255B0%255D%3Dprocessing%26\
             status%255B1%255D%3Don-hold"
        );
        assert_eq!(encode("a b~+/é"), "a%20b~%2B%2F%C3%A9");
        let (first, second) = (nonce(), nonce());
        assert_eq!(first.len(), 32);
        assert_ne!(first, second);
    }
}
