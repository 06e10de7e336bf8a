use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::HeaderMap as AxumHeaderMap, routing::post, Router};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use reqwest::{header::HeaderMap, Client, Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use storelink_emulator::{config::Config, Emulator};

pub const HOST: &str = "shop.example.com";
pub const KEY: &str = "ck_5f0c2a8e9d1b4c6a7e3f2d1c0b9a8f7e6d5c4b3a";
pub const SECRET: &str = "cs_9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d";

/// A site in India (+05:30) with the Shipment Tracking extension, `extra` merged in.
pub fn site(extra: Value) -> Value {
    let mut site = json!({
        "site": HOST, "name": "Example Shop", "consumer_key": KEY, "consumer_secret": SECRET,
        "utc_offset_minutes": 330, "shipment_tracking": true,
        "orders": 60, "products": 9, "customers": 12, "seed": 3
    });
    site.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    site
}

pub struct Woo {
    pub emulator: Emulator,
    pub client: Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The WordPress error code of a JSON error answer.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

pub async fn start(sites: Vec<Value>) -> Woo {
    start_with(json!({ "woocommerce": sites })).await
}

/// The sites on a manual clock, which moves only through [`Woo::advance`].
pub async fn start_manual(sites: Vec<Value>) -> Woo {
    start_with(json!({ "clock": "manual", "woocommerce": sites })).await
}

pub async fn start_with(config: Value) -> Woo {
    let config = Config::from_json(&config.to_string()).unwrap();
    let emulator = Emulator::start(&config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Woo { emulator, client: Client::new() }
}

impl Woo {
    /// A request to the emulator as if to `host`.
    pub fn request(&self, method: Method, host: &str, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.emulator.url())).header("host", host)
    }

    /// A request to the test site with its key over Basic auth.
    pub fn basic(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, HOST, path).basic_auth(KEY, Some(SECRET))
    }

    pub async fn get(&self, path: &str) -> Reply {
        reply(self.basic(Method::GET, path)).await
    }

    pub async fn send(&self, method: Method, path: &str, body: Value) -> Reply {
        reply(self.basic(method, path).json(&body)).await
    }

    /// POST to the site's control endpoint.
    pub async fn control(&self, path: &str, body: Value) -> Reply {
        let url = format!("{}/_emulator/woocommerce/{HOST}{path}", self.emulator.url());
        reply(self.client.post(url).json(&body)).await
    }

    pub async fn control_get(&self, path: &str) -> Value {
        let url = format!("{}/_emulator/woocommerce/{HOST}{path}", self.emulator.url());
        self.client.get(url).send().await.unwrap().json().await.unwrap()
    }

    pub async fn faults(&self, faults: Value) {
        let set = self.control("/faults", faults).await;
        assert_eq!(set.status, 200, "{}", set.text);
    }

    /// Unix seconds on the emulator's clock.
    pub async fn now(&self) -> i64 {
        let url = format!("{}/_emulator/clock", self.emulator.url());
        let clock: Value = self.client.get(url).send().await.unwrap().json().await.unwrap();
        clock["unix_now"].as_i64().unwrap()
    }

    pub async fn advance(&self, ms: u64) {
        let url = format!("{}/_emulator/clock/advance", self.emulator.url());
        let moved = self.client.post(url).json(&json!({ "ms": ms })).send().await.unwrap();
        assert_eq!(moved.status(), 200);
    }

    /// Every order of the site, read page by page.
    pub async fn all_orders(&self) -> Vec<Value> {
        let mut orders = Vec::new();
        for page in 1.. {
            let reply = self.get(&format!("/wp-json/wc/v3/orders?per_page=100&page={page}")).await;
            let items = reply.body.as_array().unwrap().clone();
            if items.is_empty() {
                return orders;
            }
            orders.extend(items);
        }
        unreachable!()
    }
}

pub async fn reply(request: RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    Reply { status, headers, text, body }
}

pub fn ids(list: &Value) -> Vec<u64> {
    list.as_array().unwrap().iter().map(|v| v["id"].as_u64().unwrap()).collect()
}

/// The URL of a `Link` header's `rel`.
pub fn link(reply: &Reply, rel: &str) -> Option<String> {
    let header = reply.header("link")?;
    header.split(", ").find(|part| part.ends_with(&format!("rel=\"{rel}\""))).map(|part| {
        let start = part.find('<').unwrap() + 1;
        let end = part.find('>').unwrap();
        part[start..end].to_owned()
    })
}

/// `https://shop.example.com/wp-json/…?…` → `/wp-json/…?…`.
pub fn path_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

/// base64 HMAC-SHA256, as a receiver checks `X-WC-Webhook-Signature`.
pub fn hmac_sha256(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// One delivery as a receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: AxumHeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver that answers with the given statuses in turn, then 200.
#[derive(Clone, Default)]
pub struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    pub url: String,
}

impl Receiver {
    pub async fn start(answers: Vec<u16>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let receiver = Receiver {
            answers: Arc::new(Mutex::new(answers.into())),
            url: format!("http://{addr}/hooks"),
            ..Default::default()
        };
        let app = Router::new().route("/hooks", post(receive)).with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (bounded) until `n` deliveries have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("expected {n} deliveries, got {}", self.received().len());
    }
}

async fn receive(State(receiver): State<Receiver>, headers: AxumHeaderMap, body: Bytes) -> axum::http::StatusCode {
    receiver.received.lock().unwrap().push(Received { headers, body });
    let answer = receiver.answers.lock().unwrap().pop_front().unwrap_or(200);
    axum::http::StatusCode::from_u16(answer).unwrap()
}
