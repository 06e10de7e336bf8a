//! storelink's WooCommerce client against the WooCommerce emulator, over real HTTP: both ways
//! of sending a key, the query string when a server drops `Authorization`, each typed error,
//! and the pacing of a site that rate limits, fails or is slow.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use storelink::{
    platforms::woocommerce::{normalize_store_url, AuthMode, Keys, PaceEvent, RouteForm, SiteUrl, WooClient, WooError},
    secrets::Secret,
};
use storelink_emulator::{config::Config, Emulator};

const KEY: &str = "ck_5f0c2a8e9d1b4c6a7e3f2d1c0b9a8f7e6d5c4b3a";
const SECRET: &str = "cs_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d";
const ORDERS: &str = "/wc/v3/orders";

/// A site at `host`, `extra` merged in.
fn site(host: &str, extra: Value) -> Value {
    let mut site = json!({
        "site": host, "name": "Example Shop", "consumer_key": KEY, "consumer_secret": SECRET,
        "orders": 12, "products": 3, "customers": 2, "seed": 5
    });
    site.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    site
}

struct Woo {
    emulator: Emulator,
    client: WooClient,
    control: reqwest::Client,
}

async fn start(sites: Vec<Value>) -> Woo {
    start_with_timeout(sites, Duration::from_secs(10)).await
}

async fn start_with_timeout(sites: Vec<Value>, timeout: Duration) -> Woo {
    let config = Config::from_json(&json!({ "woocommerce": sites }).to_string()).unwrap();
    let emulator = Emulator::start(&config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let client = WooClient::new(http, Some(emulator.url()), 4);
    Woo { emulator, client, control: reqwest::Client::new() }
}

fn keys(key: &str, secret: &str) -> Keys {
    Keys { consumer_key: key.into(), consumer_secret: Secret::new(secret) }
}

fn good() -> Keys {
    keys(KEY, SECRET)
}

fn url(typed: &str) -> SiteUrl {
    normalize_store_url(typed).unwrap()
}

/// Every event a client reports, kept for the test to read.
fn recorder(client: &WooClient) -> (WooClient, Arc<Mutex<Vec<PaceEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let kept = events.clone();
    (client.with_events(move |event| kept.lock().unwrap().push(event)), events)
}

impl Woo {
    async fn faults(&self, host: &str, faults: Value) {
        let url = format!("{}/_emulator/woocommerce/{host}/faults", self.emulator.url());
        let set = self.control.post(url).json(&faults).send().await.unwrap();
        assert_eq!(set.status(), 200);
    }

    async fn order_state(&self, host: &str, id: i64) -> Value {
        let url = format!("{}/_emulator/woocommerce/{host}/orders/{id}", self.emulator.url());
        self.control.get(url).send().await.unwrap().json().await.unwrap()
    }

    /// What the sites were asked, oldest first: `(method, path and query, status)`.
    async fn requests(&self) -> Vec<(String, String, u16)> {
        let url = format!("{}/_emulator/requests?limit=1000", self.emulator.url());
        let log: Value = self.control.get(url).send().await.unwrap().json().await.unwrap();
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap().to_owned();
                (text("method"), text("path"), r["status"].as_u64().unwrap() as u16)
            })
            .collect()
    }
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn https_sites_take_basic_auth_and_http_sites_oauth_signed_over_their_home_url() {
    let woo = start(vec![
        site("shop.example.com", json!({"utc_offset_minutes": 330, "shipment_tracking": true})),
        site("plain.example.org", json!({"scheme": "http", "www": true})),
    ])
    .await;

    let secure = url("https://shop.example.com/wp-admin/admin.php?page=wc-settings");
    let index = woo.client.index(&secure).await.unwrap();
    assert_eq!((index.name.as_str(), index.home.home()), ("Example Shop", "https://shop.example.com".to_owned()));
    assert_eq!((index.gmt_offset_minutes, index.timezone.as_deref()), (Some(330), Some("Asia/Kolkata")));
    assert!(index.has_shipment_tracking());
    assert_eq!(index.route_form, RouteForm::Pretty);
    let page = woo.client.get(&secure, &good(), ORDERS, &[("per_page", "5"), ("orderby", "id")]).await.unwrap();
    let orders: Vec<Value> = page.json().unwrap();
    assert_eq!((orders.len(), page.total, page.total_pages), (5, Some(12), Some(3)));
    assert_eq!(woo.client.auth_mode(&secure), AuthMode::Basic);
    let basic_requests = woo.requests().await;
    assert!(basic_requests.iter().all(|(_, path, _)| !path.contains("consumer_") && !path.contains("oauth_")));

    // The http site's home URL has www.: what was typed is replaced by it, and signed over.
    let typed = SiteUrl::from_home("http://plain.example.org").unwrap();
    let index = woo.client.index(&typed).await.unwrap();
    let home = index.home;
    assert_eq!(home.home(), "http://www.plain.example.org");
    assert_eq!(woo.client.route_form(&home), Some(RouteForm::Pretty), "the form is known for the home URL too");
    assert_eq!(woo.client.auth_mode(&home), AuthMode::OAuth);
    let page = woo.client.get(&home, &good(), ORDERS, &[("per_page", "3"), ("_fields", "id,status")]).await;
    let page = page.unwrap_or_else(|e| panic!("{e}"));
    let order = ids(&page.json::<Value>().unwrap())[0];
    assert_eq!(
        woo.client.get(&typed, &good(), ORDERS, &[]).await.err(),
        Some(WooError::WrongSecret),
        "signed over the address typed rather than the home URL, the signature does not match"
    );

    // Writes over OAuth: the body is not signed.
    let route = format!("{ORDERS}/{order}");
    let updated = woo.client.put(&home, &good(), &route, &json!({"status": "completed"})).await.unwrap();
    assert_eq!(updated.json::<Value>().unwrap()["status"], "completed");
    let note = json!({"note": "Shipped with storelink", "customer_note": false});
    let created = woo.client.post(&home, &good(), &format!("{route}/notes"), &note).await.unwrap();
    assert_eq!(created.status, 201);
    let held = woo.order_state("plain.example.org", order).await;
    assert_eq!(held["order"]["status"], "completed");
    assert!(held["notes"].as_array().unwrap().iter().any(|n| n["note"] == "Shipped with storelink"));
    let deleted = woo.client.delete(&home, &good(), &route, &[("force", "true")]).await.unwrap();
    assert_eq!(deleted.json::<Value>().unwrap()["id"], order);
    assert_eq!(woo.client.get(&home, &good(), &route, &[]).await.err(), Some(WooError::NotFound));
    let signed = woo.requests().await;
    let signed: Vec<&String> = signed[basic_requests.len()..]
        .iter()
        .map(|(_, path, _)| path)
        .filter(|path| path.contains("/wc/v3/"))
        .collect();
    assert_eq!(signed.len(), 6);
    assert!(signed.iter().all(|path| path.contains("oauth_signature_method=HMAC-SHA256") && !path.contains(SECRET)));
}

#[tokio::test]
async fn a_server_that_drops_authorization_gets_the_key_in_the_query_string_from_then_on() {
    let woo = start(vec![site("shop.example.com", json!({"faults": {"strip_authorization": true}}))]).await;
    let shop = url("shop.example.com");
    let page = woo.client.get(&shop, &good(), ORDERS, &[("per_page", "2")]).await.unwrap();
    assert_eq!(page.json::<Vec<Value>>().unwrap().len(), 2);
    assert_eq!(woo.client.auth_mode(&shop), AuthMode::QueryString);
    woo.client.get(&shop, &good(), ORDERS, &[("page", "2")]).await.unwrap();

    let calls: Vec<(String, u16)> = woo
        .requests()
        .await
        .into_iter()
        .filter(|(_, path, _)| path.contains("/wc/v3/"))
        .map(|(_, path, status)| (path, status))
        .collect();
    assert_eq!(calls.len(), 3, "Basic once, then the query string: {calls:?}");
    assert_eq!(calls[0].1, 401);
    assert!(!calls[0].0.contains("consumer_key"));
    assert!(calls[1..].iter().all(|(path, status)| *status == 200 && path.contains(&format!("consumer_key={KEY}"))));

    // A stored mode is restored into a new client, which then never tries Basic.
    let fresh = WooClient::new(reqwest::Client::new(), Some(woo.emulator.url()), 4);
    fresh.remember_auth_mode(&shop, AuthMode::QueryString);
    fresh.remember_route_form(&shop, RouteForm::Pretty);
    fresh.get(&shop, &good(), ORDERS, &[]).await.unwrap();
    assert_eq!(woo.requests().await.len(), calls.len() + 2, "one call, no index and no Basic first");

    // A wrong key is still a wrong key by the query string.
    let other = WooClient::new(reqwest::Client::new(), Some(woo.emulator.url()), 4);
    assert_eq!(other.get(&shop, &keys("ck_unknown", SECRET), ORDERS, &[]).await.err(), Some(WooError::UnknownKey));
    assert_eq!(other.auth_mode(&shop), AuthMode::Basic, "nothing worked, so nothing is learnt");
}

#[tokio::test]
async fn plain_permalinks_are_reached_through_rest_route_and_signed_over_the_bare_home_url() {
    let woo = start(vec![site("shop.example.com", json!({"scheme": "http", "pretty_permalinks": false}))]).await;
    let shop = SiteUrl::from_home("http://shop.example.com").unwrap();
    // No index asked first: the client finds the form itself.
    let page = woo.client.get(&shop, &good(), ORDERS, &[("per_page", "4")]).await.unwrap();
    assert_eq!((page.json::<Vec<Value>>().unwrap().len(), page.total), (4, Some(12)));
    assert_eq!(woo.client.route_form(&shop), Some(RouteForm::Plain));
    let paths: Vec<String> = woo.requests().await.into_iter().map(|(_, path, _)| path).collect();
    assert_eq!(paths[0], "/wp-json/", "the theme's page, not the API");
    assert_eq!(paths[1], "/?rest_route=%2F");
    assert!(paths[2].starts_with("/?rest_route=%2Fwc%2Fv3%2Forders&per_page=4&oauth_consumer_key="), "{}", paths[2]);
    assert_eq!(woo.client.index(&shop).await.unwrap().route_form, RouteForm::Plain);
    assert_eq!(woo.requests().await[3].1, "/?rest_route=%2F", "the known form is asked first");
}

#[tokio::test]
async fn what_is_not_a_woocommerce_site_is_told_apart() {
    let woo = start(vec![
        site("brochure.example.com", json!({"wordpress": false})),
        site("locked.example.com", json!({"rest_api": false})),
        site("blog.example.com", json!({"woocommerce": false})),
    ])
    .await;
    let index = |host: &str| {
        let site = url(host);
        let client = woo.client.clone();
        async move { client.index(&site).await }
    };
    assert_eq!(index("brochure.example.com").await.err(), Some(WooError::NotWordPress));
    assert_eq!(index("locked.example.com").await.err(), Some(WooError::RestApiOff));
    assert_eq!(index("blog.example.com").await.err(), Some(WooError::NoWooCommerce));
    let unknown = woo.client.get(&url("brochure.example.com"), &good(), ORDERS, &[]).await;
    assert_eq!(unknown.err(), Some(WooError::NotWordPress));
}

#[tokio::test]
async fn an_unknown_key_and_a_wrong_secret_fail_differently_over_both_schemes() {
    let woo =
        start(vec![site("shop.example.com", json!({})), site("plain.example.org", json!({"scheme": "http"}))]).await;
    for typed in ["https://shop.example.com", "http://plain.example.org"] {
        let shop = SiteUrl::from_home(typed).unwrap();
        let unknown = woo.client.get(&shop, &keys("ck_unknown", SECRET), ORDERS, &[]).await;
        assert_eq!(unknown.err(), Some(WooError::UnknownKey), "{typed}");
        let wrong = woo.client.get(&shop, &keys(KEY, "cs_wrong"), ORDERS, &[]).await;
        assert_eq!(wrong.err(), Some(WooError::WrongSecret), "{typed}");
        assert!(!WooError::WrongSecret.to_string().contains("cs_"));
    }
    let https_unknown: Vec<u16> = woo
        .requests()
        .await
        .into_iter()
        .filter(|(_, path, _)| path.starts_with("/wp-json/wc/v3/orders") && !path.contains("oauth_"))
        .map(|(_, _, status)| status)
        .collect();
    assert_eq!(
        https_unknown,
        [401, 401, 401],
        "Basic and the query string for the unknown key, Basic for the wrong secret"
    );
}

#[tokio::test]
async fn the_write_probe_tells_a_read_only_key_from_one_that_may_write() {
    let woo = start(vec![
        site("read.example.com", json!({"permissions": "read"})),
        site("both.example.com", json!({})),
        site("write.example.com", json!({"permissions": "write"})),
        site("plainread.example.com", json!({"permissions": "read", "scheme": "http"})),
    ])
    .await;
    let probe = |host: &str| {
        let site = url(host);
        let client = woo.client.clone();
        async move { client.probe_write(&site, &good()).await }
    };
    assert_eq!(probe("read.example.com").await, Ok(false));
    assert_eq!(probe("both.example.com").await, Ok(true));
    assert_eq!(probe("write.example.com").await, Ok(true));
    assert_eq!(
        woo.client.probe_write(&SiteUrl::from_home("http://plainread.example.com").unwrap(), &good()).await,
        Ok(false)
    );
    let read = woo.client.get(&url("write.example.com"), &good(), ORDERS, &[]).await;
    assert_eq!(read.err(), Some(WooError::NoReadPermission));
    let order = woo.client.get(&url("read.example.com"), &good(), ORDERS, &[("per_page", "1")]).await.unwrap();
    let id = ids(&order.json().unwrap())[0];
    let route = format!("{ORDERS}/{id}");
    let write = woo.client.put(&url("read.example.com"), &good(), &route, &json!({"status": "completed"})).await;
    assert_eq!(write.err(), Some(WooError::ReadOnlyKey));
}

#[tokio::test]
async fn a_key_whose_user_cannot_manage_the_shop_is_not_allowed() {
    let woo = start(vec![
        site("customer.example.com", json!({"user_role": "customer"})),
        site("manager.example.com", json!({"user_role": "shop_manager"})),
    ])
    .await;
    let customer = url("customer.example.com");
    assert_eq!(woo.client.can_manage_webhooks(&customer, &good()).await, Ok(false));
    assert_eq!(woo.client.get(&customer, &good(), ORDERS, &[]).await.err(), Some(WooError::NotAllowed));
    assert_eq!(woo.client.can_manage_webhooks(&url("manager.example.com"), &good()).await, Ok(true));
    let unknown = woo.client.can_manage_webhooks(&url("manager.example.com"), &keys("ck_unknown", SECRET)).await;
    assert_eq!(unknown, Err(WooError::UnknownKey), "an unknown key is not a user without the capability");
}

#[tokio::test]
async fn a_captcha_page_is_not_taken_for_data() {
    let woo = start(vec![site("shop.example.com", json!({}))]).await;
    let shop = url("shop.example.com");
    woo.client.index(&shop).await.unwrap();
    woo.faults("shop.example.com", json!({"captcha": true})).await;
    let (client, events) = recorder(&woo.client);
    assert_eq!(client.get(&shop, &good(), ORDERS, &[]).await.err(), Some(WooError::Captcha { status: 202 }));
    assert_eq!(client.index(&shop).await.err(), Some(WooError::Captcha { status: 202 }));
    assert!(events.lock().unwrap().is_empty(), "a captcha is not tried again");
    assert!(WooError::Captcha { status: 202 }.to_string().contains("202"));
}

#[tokio::test]
async fn a_429_holds_the_site_for_its_retry_after_halves_the_limit_and_a_run_of_answers_grows_it_back() {
    let woo = start(vec![site("shop.example.com", json!({}))]).await;
    let shop = url("shop.example.com");
    woo.client.index(&shop).await.unwrap();
    // From here, the second request is refused.
    woo.faults("shop.example.com", json!({"host_429_every": 2, "host_429_retry_after_secs": 1})).await;
    let (client, events) = recorder(&woo.client);
    client.get(&shop, &good(), ORDERS, &[("per_page", "1")]).await.unwrap();
    assert_eq!(client.limit(&shop), 4);
    let started = Instant::now();
    client.get(&shop, &good(), ORDERS, &[("per_page", "1")]).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "waited {:?}", started.elapsed());
    assert_eq!(client.limit(&shop), 2);
    let seen = events.lock().unwrap().clone();
    assert!(
        matches!(seen.as_slice(), [PaceEvent::Retried { attempt: 1, why }, PaceEvent::Waited { millis, .. }]
            if why.contains("429") && (900..=1000).contains(millis)),
        "{seen:?}"
    );

    woo.faults("shop.example.com", json!({"host_429_every": 0})).await;
    // The retry that succeeded began the run: 2 × 8 answers in a row make 3, 3 × 8 more make 4.
    for _ in 0..14 {
        client.get(&shop, &good(), ORDERS, &[("per_page", "1")]).await.unwrap();
    }
    assert_eq!(client.limit(&shop), 2);
    client.get(&shop, &good(), ORDERS, &[("per_page", "1")]).await.unwrap();
    assert_eq!(client.limit(&shop), 3);
    for _ in 0..23 {
        client.get(&shop, &good(), ORDERS, &[("per_page", "1")]).await.unwrap();
    }
    assert_eq!(client.limit(&shop), 3);
    client.get(&shop, &good(), ORDERS, &[("per_page", "1")]).await.unwrap();
    assert_eq!(woo.client.limit(&shop), 4, "every clone sees the same pace");
}

#[tokio::test]
async fn a_retry_after_holds_every_call_to_the_site_from_every_clone() {
    let woo = start(vec![site("shop.example.com", json!({}))]).await;
    let shop = url("shop.example.com");
    woo.client.index(&shop).await.unwrap();
    woo.faults("shop.example.com", json!({"host_429_every": 1, "host_429_retry_after_secs": 1})).await;
    let once = woo.client.with_attempts(1);
    let refused = once.get(&shop, &good(), ORDERS, &[]).await;
    assert_eq!(refused.err(), Some(WooError::RateLimited { retry_after: Some(Duration::from_secs(1)) }));
    woo.faults("shop.example.com", json!({"host_429_every": 0})).await;
    let (other, events) = recorder(&woo.client);
    let started = Instant::now();
    other.get(&shop, &good(), ORDERS, &[]).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(800), "waited {:?}", started.elapsed());
    assert!(matches!(events.lock().unwrap().as_slice(), [PaceEvent::Waited { .. }]));
}

#[tokio::test]
async fn server_errors_are_tried_again_for_reads_only() {
    let woo = start(vec![site("shop.example.com", json!({}))]).await;
    let shop = url("shop.example.com");
    woo.client.index(&shop).await.unwrap();
    let before = woo.requests().await.len();

    // The host's 503, then the page.
    woo.faults("shop.example.com", json!({"status_5xx": 1})).await;
    let (client, events) = recorder(&woo.client);
    let page = client.get(&shop, &good(), ORDERS, &[("per_page", "1")]).await.unwrap();
    assert_eq!(page.json::<Vec<Value>>().unwrap().len(), 1);
    let statuses: Vec<u16> = woo.requests().await[before..].iter().map(|r| r.2).collect();
    assert_eq!(statuses, [503, 200]);
    assert!(
        matches!(events.lock().unwrap().as_slice(), [PaceEvent::Retried { attempt: 1, why }] if why.contains("503"))
    );
    assert_eq!(client.limit(&shop), 2, "a 503 halves the limit");

    // WordPress's own 500 is the site's answer, not a passing failure.
    woo.faults("shop.example.com", json!({"status_5xx": 1})).await;
    assert_eq!(client.get(&shop, &good(), ORDERS, &[]).await.err(), Some(WooError::Unavailable(500)));

    // A write is never sent twice.
    let id = ids(&page.json().unwrap())[0];
    woo.faults("shop.example.com", json!({"status_5xx": 1})).await;
    let before = woo.requests().await.len();
    let note = client.post(&shop, &good(), &format!("{ORDERS}/{id}/notes"), &json!({"note": "x"})).await;
    assert_eq!(note.err(), Some(WooError::Unavailable(503)));
    assert_eq!(woo.requests().await.len(), before + 1);
    assert!(woo.order_state("shop.example.com", id).await["notes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["note"] != "x"));
}

#[tokio::test]
async fn a_site_too_slow_to_answer_times_out_and_is_paced_down() {
    let woo = start_with_timeout(vec![site("shop.example.com", json!({}))], Duration::from_millis(300)).await;
    let shop = url("shop.example.com");
    woo.client.index(&shop).await.unwrap();
    woo.faults("shop.example.com", json!({"latency_ms": 600})).await;
    let (client, events) = recorder(&woo.client.with_attempts(2));
    assert_eq!(client.get(&shop, &good(), ORDERS, &[]).await.err(), Some(WooError::Timeout));
    assert_eq!(client.limit(&shop), 1, "each time-out halves the limit");
    assert!(matches!(events.lock().unwrap().as_slice(), [PaceEvent::Retried { attempt: 1, .. }]));
}
