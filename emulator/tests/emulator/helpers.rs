use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::HeaderMap as AxumHeaderMap, routing::post, Router};
use reqwest::{header::HeaderMap, Client, StatusCode};
use serde_json::{json, Value};
use storelink_emulator::{config::Config, Emulator};

pub const TOKEN: &str = "shpat_00000000000000000000000000000001";
pub const API_KEY: &str = "0123456789abcdef0123456789abcdef";
pub const SECRET: &str = "shpss_00000000000000000000000000000002";
pub const ALL_SCOPES: &[&str] = &[
    "read_orders",
    "read_all_orders",
    "read_products",
    "read_customers",
    "read_locations",
    "read_inventory",
    "read_merchant_managed_fulfillment_orders",
];

/// A shop description with the limits (REST and GraphQL) off, to be adjusted per test.
pub fn shop(handle: &str) -> Value {
    json!({
        "handle": handle, "access_token": TOKEN, "api_key": API_KEY, "shared_secret": SECRET,
        "scopes": ALL_SCOPES, "plan": {"bucket": 100000, "leak_per_second": 100000.0},
        "graphql": {"restore_rate": 1000000.0},
        "locations": 2, "products": 30, "customers": 40, "orders": 600, "seed": 7, "latency_ms": 0
    })
}

pub const CLIENT_ID: &str = "4c1b6ad0e6f3a9c2b8d7e5f4a3b2c1d0";
pub const CLIENT_SECRET: &str = "shpss_00000000000000000000000000000003";

/// A shop reached only through a Dev Dashboard app, with `dev_app` merged into its settings.
pub fn dev_shop(handle: &str, dev_app: Value) -> Value {
    let mut shop = shop(handle);
    let shop_map = shop.as_object_mut().unwrap();
    for legacy in ["access_token", "api_key", "shared_secret"] {
        shop_map.remove(legacy);
    }
    let mut app = json!({ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET });
    app.as_object_mut().unwrap().extend(dev_app.as_object().cloned().unwrap_or_default());
    shop_map.insert("dev_app".into(), app);
    shop
}

pub struct Emu {
    pub emulator: Emulator,
    pub client: Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn start(shops: Vec<Value>) -> Emu {
    start_with(json!({ "shops": shops })).await
}

/// Starts the shops on a manual clock, which moves only through [`Emu::advance`].
pub async fn start_manual(shops: Vec<Value>) -> Emu {
    start_with(json!({ "clock": "manual", "shops": shops })).await
}

pub async fn start_with(config: Value) -> Emu {
    let config = Config::from_json(&config.to_string()).unwrap();
    let emulator = Emulator::start(&config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Emu { emulator, client: Client::new() }
}

impl Emu {
    pub fn request(&self, method: reqwest::Method, shop: &str, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.emulator.url()))
            .header("host", format!("{shop}.myshopify.com"))
    }

    /// GET with the shop's access token.
    pub async fn get(&self, shop: &str, path: &str) -> Reply {
        reply(self.request(reqwest::Method::GET, shop, path).header("x-shopify-access-token", TOKEN)).await
    }

    /// GET with `token` as `X-Shopify-Access-Token`.
    pub async fn get_as(&self, shop: &str, path: &str, token: &str) -> Reply {
        reply(self.request(reqwest::Method::GET, shop, path).header("x-shopify-access-token", token)).await
    }

    /// The client credentials grant as a form, the way Shopify's docs send it.
    pub async fn grant(&self, shop: &str, client_id: &str, client_secret: &str) -> Reply {
        let form = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", client_secret)];
        reply(self.request(reqwest::Method::POST, shop, "/admin/oauth/access_token").form(&form)).await
    }

    /// A granted token for the shop's dev app, with the test's credentials.
    pub async fn token(&self, shop: &str) -> String {
        let granted = self.grant(shop, CLIENT_ID, CLIENT_SECRET).await;
        assert_eq!(granted.status, 200, "{:?}", granted.body);
        granted.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Follows a `Link` URL exactly as given, but sent to the emulator with the shop's Host.
    pub async fn follow(&self, link: &str) -> Reply {
        let (shop, path) = split_shop_url(link);
        self.get(&shop, &path).await
    }

    pub async fn control(&self, path: &str, body: Value) -> Reply {
        reply(self.client.post(format!("{}/_emulator{path}", self.emulator.url())).json(&body)).await
    }

    /// Moves the manual clock forward by `ms` milliseconds.
    pub async fn advance(&self, ms: u64) {
        let reply = self.control("/clock/advance", json!({ "ms": ms })).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    }

    /// A GraphQL query with the shop's access token on API 2026-07.
    pub async fn gql(&self, shop: &str, query: &str, variables: Value) -> Reply {
        self.gql_with(shop, TOKEN, "2026-07", json!({ "query": query, "variables": variables })).await
    }

    /// A GraphQL request with any token, version and JSON body.
    pub async fn gql_with(&self, shop: &str, token: &str, version: &str, body: Value) -> Reply {
        let path = format!("/admin/api/{version}/graphql.json");
        reply(self.request(reqwest::Method::POST, shop, &path).header("x-shopify-access-token", token).json(&body))
            .await
    }

    /// A plain GET of a URL the emulator handed out (a bulk result), with no Shopify headers.
    pub async fn download(&self, url: &str) -> reqwest::Response {
        self.client.get(url).send().await.unwrap()
    }

    pub async fn control_get(&self, path: &str) -> Value {
        self.client.get(format!("{}/_emulator{path}", self.emulator.url())).send().await.unwrap().json().await.unwrap()
    }
}

/// The answer's body as sent, for what parsing loses (the order of keys).
pub async fn raw(request: reqwest::RequestBuilder) -> String {
    request.send().await.unwrap().text().await.unwrap()
}

pub async fn reply(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, headers, body }
}

/// `https://acme.myshopify.com/admin/…?x` → (`acme`, `/admin/…?x`).
pub fn split_shop_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("https://").expect("Shopify links are https");
    let (host, path) = rest.split_once('/').unwrap();
    (host.strip_suffix(".myshopify.com").unwrap().to_owned(), format!("/{path}"))
}

/// The `rel="next"` (or previous) URL of a `Link` header.
pub fn link(reply: &Reply, rel: &str) -> Option<String> {
    let header = reply.header("link")?;
    header.split(", ").find(|part| part.ends_with(&format!("rel=\"{rel}\""))).map(|part| {
        let start = part.find('<').unwrap() + 1;
        let end = part.find('>').unwrap();
        part[start..end].to_owned()
    })
}

/// A GraphQL fixture from tests/fixtures/shopify/graphql.
pub fn graphql_fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/shopify/graphql/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `data` of a GraphQL answer that must have succeeded without errors.
pub fn data(reply: &Reply) -> &Value {
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert!(reply.body.get("errors").is_none(), "unexpected errors: {}", reply.body);
    &reply.body["data"]
}

pub fn ids(list: &Value) -> Vec<u64> {
    list.as_array().unwrap().iter().map(|v| v["id"].as_u64().unwrap()).collect()
}

pub async fn count(emu: &Emu, shop: &str, path: &str) -> u64 {
    emu.get(shop, path).await.body["count"].as_u64().unwrap()
}

/// One delivery as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: AxumHeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
pub struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    /// Answer 500 to this many deliveries before answering 200.
    failures: Arc<Mutex<u32>>,
}

impl Receiver {
    pub async fn start(failures: u32) -> (Receiver, SocketAddr) {
        let receiver = Receiver { failures: Arc::new(Mutex::new(failures)), ..Default::default() };
        let app = Router::new().route("/hooks", post(receive)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, addr)
    }

    /// Waits (bounded) until `n` deliveries have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let received = self.received.lock().unwrap().clone();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("expected {n} deliveries, got {}", self.received.lock().unwrap().len());
    }
}

async fn receive(State(receiver): State<Receiver>, headers: AxumHeaderMap, body: Bytes) -> StatusCode {
    receiver.received.lock().unwrap().push(Received { headers, body });
    let mut failures = receiver.failures.lock().unwrap();
    if *failures > 0 {
        *failures -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}
