//! Authentication as WooCommerce does it: Basic and the query string on https sites only,
//! OAuth 1.0a signed over the home URL, each failure with its own answer, the key's
//! read/write gate before routing, and the user's role.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::Sha256;

use crate::helpers::*;

const ORDERS: &str = "/wp-json/wc/v3/orders";

/// RFC 3986 percent-encoding, as OAuth 1.0a wants it.
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One request's OAuth 1.0a one-legged signature, written from WooCommerce's documentation
/// ("Authentication over HTTP"), not from the emulator.
struct Signer<'a> {
    key: &'a str,
    secret: &'a str,
    method: &'a str,
    algorithm: &'a str,
    timestamp: i64,
    nonce: &'a str,
}

impl Signer<'_> {
    /// The `oauth_*` parameters for `method url` with `query`, signature last.
    fn sign(&self, base_url: &str, query: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        params.extend([
            ("oauth_consumer_key".to_owned(), self.key.to_owned()),
            ("oauth_nonce".to_owned(), self.nonce.to_owned()),
            ("oauth_signature_method".to_owned(), self.algorithm.to_owned()),
            ("oauth_timestamp".to_owned(), self.timestamp.to_string()),
        ]);
        let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (enc(k), enc(v))).collect();
        encoded.sort();
        let normalized = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let base = format!("{}&{}&{}", self.method, enc(base_url), enc(&normalized));
        let key = format!("{}&", self.secret);
        let signature = match self.algorithm {
            "HMAC-SHA1" => {
                let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).unwrap();
                mac.update(base.as_bytes());
                STANDARD.encode(mac.finalize().into_bytes())
            }
            _ => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
                mac.update(base.as_bytes());
                STANDARD.encode(mac.finalize().into_bytes())
            }
        };
        params.push(("oauth_signature".into(), signature));
        params
    }
}

fn query_string(params: &[(String, String)]) -> String {
    params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn oauth(key: &'static str, secret: &'static str, timestamp: i64, nonce: &'static str) -> Signer<'static> {
    Signer { key, secret, method: "GET", algorithm: "HMAC-SHA256", timestamp, nonce }
}

/// An http site whose home URL has `www.`.
fn http_site() -> Value {
    site(json!({"scheme": "http", "www": true}))
}

const HOME: &str = "http://www.shop.example.com";

async fn signed_get(woo: &Woo, signer: &Signer<'_>, base: &str, query: &[(&str, &str)]) -> Reply {
    let params = signer.sign(&format!("{base}{ORDERS}"), query);
    reply(woo.request(Method::GET, "www.shop.example.com:8080", &format!("{ORDERS}?{}", query_string(&params)))).await
}

#[tokio::test]
async fn oauth_signs_over_the_home_url_in_the_query_or_the_header() {
    let woo = start_manual(vec![http_site()]).await;
    let now = woo.now().await;
    let sha1 = Signer { algorithm: "HMAC-SHA1", ..oauth(KEY, SECRET, now, "n1") };
    assert_eq!(signed_get(&woo, &sha1, HOME, &[]).await.status, 200);
    let sha256 = signed_get(
        &woo,
        &oauth(KEY, SECRET, now, "n2"),
        HOME,
        &[("per_page", "5"), ("status", "processing,completed")],
    )
    .await;
    assert_eq!(sha256.status, 200, "{}", sha256.text);
    assert_eq!(sha256.body.as_array().unwrap().len(), 5);

    // Signed over another URL than the home URL: the emulator's own address, or without www.
    for base in [woo.emulator.url(), "http://shop.example.com".into(), "https://www.shop.example.com".into()] {
        let refused = signed_get(&woo, &oauth(KEY, SECRET, now, "n3"), &base, &[]).await;
        assert_eq!(refused.status, 401, "{base}");
        assert_eq!(refused.body["code"], "woocommerce_rest_authentication_error");
        assert_eq!(refused.body["message"], "Invalid signature - provided signature does not match.");
    }

    // In the Authorization header, with a JSON body that is not signed.
    let order = sha256.body[0]["id"].as_u64().unwrap();
    let path = format!("{ORDERS}/{order}");
    let signer = Signer { method: "PUT", ..oauth(KEY, SECRET, now, "n4") };
    let params = signer.sign(&format!("{HOME}{path}"), &[]);
    let header = params.iter().map(|(k, v)| format!("{k}=\"{}\"", enc(v))).collect::<Vec<_>>().join(", ");
    let updated = reply(
        woo.request(Method::PUT, "shop.example.com", &path)
            .header("authorization", format!("OAuth {header}"))
            .json(&json!({"status": "completed"})),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["status"], "completed");
}

#[tokio::test]
async fn without_pretty_permalinks_oauth_signs_the_bare_home_url_and_the_route() {
    let woo = start_manual(vec![site(json!({"scheme": "http", "pretty_permalinks": false}))]).await;
    let now = woo.now().await;
    let route = [("rest_route", "/wc/v3/orders")];
    for (base, nonce, status) in [("http://shop.example.com", "p1", 200), ("http://shop.example.com/", "p2", 401)] {
        let params = oauth(KEY, SECRET, now, nonce).sign(base, &route);
        let answer = reply(woo.request(Method::GET, HOST, &format!("/?{}", query_string(&params)))).await;
        assert_eq!(answer.status, status, "signed over {base}: {}", answer.text);
    }
}

#[tokio::test]
async fn oauth_failures_each_have_their_own_answer() {
    let woo = start_manual(vec![http_site()]).await;
    let now = woo.now().await;
    let unknown = signed_get(&woo, &oauth("ck_unknown", SECRET, now, "a"), HOME, &[]).await;
    assert_eq!((unknown.status.as_u16(), unknown.body["message"].clone()), (401, json!("Consumer key is invalid.")));
    let wrong_secret = signed_get(&woo, &oauth(KEY, "cs_wrong", now, "b"), HOME, &[]).await;
    assert_eq!(wrong_secret.body["message"], "Invalid signature - provided signature does not match.");
    let md5 = signed_get(&woo, &Signer { algorithm: "HMAC-MD5", ..oauth(KEY, SECRET, now, "c") }, HOME, &[]).await;
    assert_eq!(md5.body["message"], "Invalid signature - signature method is invalid.");

    let missing = reply(woo.request(
        Method::GET,
        "www.shop.example.com",
        &format!("{ORDERS}?oauth_consumer_key={KEY}&oauth_signature=x&oauth_timestamp={now}"),
    ))
    .await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.code(), "woocommerce_rest_authentication_missing_parameter");
    assert_eq!(missing.body["message"], "Missing OAuth parameters oauth_nonce, oauth_signature_method");

    // Basic auth and the query string are not even looked at over http: the request runs
    // unauthenticated.
    for request in [
        woo.request(Method::GET, "www.shop.example.com", ORDERS).basic_auth(KEY, Some(SECRET)),
        woo.request(
            Method::GET,
            "www.shop.example.com",
            &format!("{ORDERS}?consumer_key={KEY}&consumer_secret={SECRET}"),
        ),
    ] {
        let refused = reply(request).await;
        assert_eq!(refused.status, 401);
        assert_eq!(refused.body["code"], "woocommerce_rest_cannot_view");
    }
}

#[tokio::test]
async fn oauth_timestamps_hold_fifteen_minutes_and_nonces_are_used_once() {
    let woo = start_manual(vec![http_site()]).await;
    let now = woo.now().await;
    let stale = signed_get(&woo, &oauth(KEY, SECRET, now - 16 * 60, "t1"), HOME, &[]).await;
    assert_eq!((stale.status.as_u16(), stale.body["message"].clone()), (401, json!("Invalid timestamp.")));
    let early = signed_get(&woo, &oauth(KEY, SECRET, now + 16 * 60, "t2"), HOME, &[]).await;
    assert_eq!(early.body["message"], "Invalid timestamp.");
    assert_eq!(signed_get(&woo, &oauth(KEY, SECRET, now + 14 * 60, "t3"), HOME, &[]).await.status, 200);
    assert_eq!(signed_get(&woo, &oauth(KEY, SECRET, now - 14 * 60, "t4"), HOME, &[]).await.status, 200);

    assert_eq!(signed_get(&woo, &oauth(KEY, SECRET, now, "once"), HOME, &[]).await.status, 200);
    let replay = signed_get(&woo, &oauth(KEY, SECRET, now + 1, "once"), HOME, &[]).await;
    assert_eq!(
        (replay.status.as_u16(), replay.body["message"].clone()),
        (401, json!("Invalid nonce - nonce has already been used."))
    );
    // WooCommerce forgets a nonce fifteen minutes on, when the next accepted request prunes the
    // key's list (it checks before it prunes).
    woo.advance(16 * 60 * 1000).await;
    let later = woo.now().await;
    let unpruned = signed_get(&woo, &oauth(KEY, SECRET, later, "once"), HOME, &[]).await;
    assert_eq!(unpruned.body["message"], "Invalid nonce - nonce has already been used.");
    assert_eq!(signed_get(&woo, &oauth(KEY, SECRET, later, "fresh"), HOME, &[]).await.status, 200);
    assert_eq!(signed_get(&woo, &oauth(KEY, SECRET, later + 1, "once"), HOME, &[]).await.status, 200);
}

#[tokio::test]
async fn https_sites_take_basic_auth_and_the_query_string() {
    let woo = start(vec![site(json!({}))]).await;
    assert_eq!(woo.get(ORDERS).await.status, 200);
    let query =
        reply(woo.request(Method::GET, HOST, &format!("{ORDERS}?consumer_key={KEY}&consumer_secret={SECRET}"))).await;
    assert_eq!(query.status, 200);
    let host_with_port =
        reply(woo.request(Method::GET, "SHOP.Example.com:443", ORDERS).basic_auth(KEY, Some(SECRET))).await;
    assert_eq!(host_with_port.status, 200);
    // OAuth works over https too, signed for https.
    let now = woo.now().await;
    let params = oauth(KEY, SECRET, now, "s1").sign(&format!("https://shop.example.com{ORDERS}"), &[]);
    let signed = reply(woo.request(Method::GET, HOST, &format!("{ORDERS}?{}", query_string(&params)))).await;
    assert_eq!(signed.status, 200, "{}", signed.text);
}

#[tokio::test]
async fn a_wrong_secret_and_an_unknown_key_fail_differently() {
    let woo = start(vec![site(json!({}))]).await;
    for request in [
        woo.request(Method::GET, HOST, ORDERS).basic_auth(KEY, Some("cs_wrong")),
        woo.request(Method::GET, HOST, &format!("{ORDERS}?consumer_key={KEY}&consumer_secret=cs_wrong")),
    ] {
        let refused = reply(request).await;
        assert_eq!(refused.status, 401);
        assert_eq!(
            refused.body,
            json!({"code": "woocommerce_rest_authentication_error", "message": "Consumer secret is invalid.", "data": {"status": 401}})
        );
        // WooCommerce tries OAuth after Basic fails, which leaves its auth method `oauth1`, so
        // `send_unauthorized_headers` never adds its Basic realm.
        assert_eq!(refused.header("www-authenticate"), None);
    }

    let unknown = reply(woo.request(Method::GET, HOST, ORDERS).basic_auth("ck_unknown", Some(SECRET))).await;
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.body["code"], "woocommerce_rest_cannot_view");
    assert_eq!(unknown.body["message"], "Sorry, you cannot list resources.");
    let id = ids(&woo.get(ORDERS).await.body)[0];
    let single =
        reply(woo.request(Method::GET, HOST, &format!("{ORDERS}/{id}")).basic_auth("ck_unknown", Some(SECRET))).await;
    assert_eq!(single.body["message"], "Sorry, you cannot view this resource.");
    let write = reply(
        woo.request(Method::POST, HOST, &format!("{ORDERS}/{id}/notes"))
            .basic_auth("ck_unknown", Some(SECRET))
            .json(&json!({"note": "x"})),
    )
    .await;
    assert_eq!((write.status.as_u16(), write.code()), (401, "woocommerce_rest_cannot_create"));

    let now = woo.now().await;
    let params = oauth("ck_unknown", SECRET, now, "u1").sign(&format!("https://shop.example.com{ORDERS}"), &[]);
    let oauth_unknown = reply(woo.request(Method::GET, HOST, &format!("{ORDERS}?{}", query_string(&params)))).await;
    assert_eq!(oauth_unknown.body["message"], "Consumer key is invalid.");

    // The index is public: credentials, good or bad, change nothing.
    let index = reply(woo.request(Method::GET, HOST, "/wp-json/").basic_auth("ck_unknown", Some("cs_wrong"))).await;
    assert_eq!(index.status, 200);
}

#[tokio::test]
async fn the_keys_permission_is_checked_by_method_before_routing() {
    let read = start(vec![site(json!({"permissions": "read"}))]).await;
    let id = ids(&read.get(ORDERS).await.body)[0];
    let refused = read.send(Method::PUT, &format!("{ORDERS}/{id}"), json!({"status": "completed"})).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["code"], "woocommerce_rest_authentication_error");
    assert_eq!(refused.body["message"], "The API key provided does not have write permissions.");
    let probe = read.send(Method::POST, "/wp-json/wc/v3/storelink-probe", json!({})).await;
    assert_eq!(probe.body["message"], "The API key provided does not have write permissions.");

    let write = start(vec![site(json!({"permissions": "write"}))]).await;
    let refused = write.get(ORDERS).await;
    assert_eq!(
        (refused.status.as_u16(), refused.body["message"].clone()),
        (401, json!("The API key provided does not have read permissions."))
    );
    let probe = write.send(Method::POST, "/wp-json/wc/v3/storelink-probe", json!({})).await;
    assert_eq!((probe.status.as_u16(), probe.code()), (404, "rest_no_route"));

    let both = start(vec![site(json!({}))]).await;
    let probe = both.send(Method::POST, "/wp-json/wc/v3/storelink-probe", json!({})).await;
    assert_eq!(probe.code(), "rest_no_route");
}

#[tokio::test]
async fn a_user_without_shop_capabilities_is_refused_with_403() {
    let woo = start(vec![site(json!({"user_role": "customer"}))]).await;
    for path in [ORDERS, "/wp-json/wc/v3/webhooks", "/wp-json/wc/v3/system_status"] {
        let refused = woo.get(path).await;
        assert_eq!((refused.status.as_u16(), refused.code()), (403, "woocommerce_rest_cannot_view"), "{path}");
    }
    let create = woo
        .send(
            Method::POST,
            "/wp-json/wc/v3/webhooks",
            json!({"topic": "order.updated", "delivery_url": "https://example.com"}),
        )
        .await;
    assert_eq!((create.status.as_u16(), create.code()), (403, "woocommerce_rest_cannot_create"));
    assert_eq!(woo.get("/wp-json/").await.status, 200);
    assert_eq!(woo.get("/wp-json/wc-shipment-tracking/v3/shipment-trackings/providers").await.status, 200);

    let manager = start(vec![site(json!({"user_role": "shop_manager"}))]).await;
    assert_eq!(manager.get("/wp-json/wc/v3/webhooks").await.status, 200);
}
