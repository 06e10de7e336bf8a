use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::HeaderMap as AxumHeaderMap, routing::post, Router};
use reqwest::{header::HeaderMap, Client, Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use storelink_emulator::{config::Config, Emulator};

pub const HASH: &str = "abc123";
pub const TOKEN: &str = "tok_5f0c2a8e9d1b4c6a7e3f2d1c0b9a8f7e";
pub const CLIENT_ID: &str = "m9r6keqmo7h7f23btnpwernbez1kglkl";
pub const CLIENT_SECRET: &str = "c5e3a1f0b9d8e7c6a5b4f3e2d1c0b9a8";

/// A Standard store whose account has the scopes storelink asks for (orders modify, the rest
/// read-only) and inventory modify for its writes; hooks may point at local receivers, and their
/// retries wait a millisecond for each of BigCommerce's minutes.
pub fn store(extra: Value) -> Value {
    let mut store = json!({
        "store_hash": HASH, "name": "Example Store", "access_token": TOKEN, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": {"store_information": "read", "orders": "modify", "products": "read", "customers": "read",
                   "inventory": "modify", "locations": "read"},
        "orders": 120, "products": 12, "customers": 30, "locations": 2, "seed": 7,
        "big_orders_share": 0.1, "two_address_share": 0.2,
        "allow_any_destination": true, "webhooks": {"retry_delay_ms": 1}
    });
    store.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    store
}

pub struct Bc {
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

    pub fn number(&self, name: &str) -> u64 {
        self.header(name).unwrap_or_else(|| panic!("no {name}")).parse().unwrap()
    }
}

pub async fn start(stores: Vec<Value>) -> Bc {
    start_with(json!({ "bigcommerce": stores })).await
}

/// The stores on a manual clock, which moves only through [`Bc::advance`].
pub async fn start_manual(stores: Vec<Value>) -> Bc {
    start_with(json!({ "clock": "manual", "bigcommerce": stores })).await
}

pub async fn start_with(config: Value) -> Bc {
    let config = Config::from_json(&config.to_string()).unwrap();
    let emulator = Emulator::start(&config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Bc { emulator, client: Client::new() }
}

impl Bc {
    /// A request to the API as a client sends it: to `api.bigcommerce.com`, with no token.
    pub fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.emulator.url()))
            .header("host", "api.bigcommerce.com")
            .header("accept", "application/json")
    }

    /// A request to the test store's API (`v2/orders` → `/stores/abc123/v2/orders`) with its token.
    pub fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, &format!("/stores/{HASH}/{path}")).header("x-auth-token", TOKEN)
    }

    pub async fn get(&self, path: &str) -> Reply {
        reply(self.api(Method::GET, path)).await
    }

    pub async fn send(&self, method: Method, path: &str, body: Value) -> Reply {
        reply(self.api(method, path).json(&body)).await
    }

    /// POST to the store's control endpoint.
    pub async fn control(&self, path: &str, body: Value) -> Reply {
        let url = format!("{}/_emulator/bigcommerce/{HASH}{path}", self.emulator.url());
        reply(self.client.post(url).json(&body)).await
    }

    pub async fn control_get(&self, path: &str) -> Value {
        let url = format!("{}/_emulator/bigcommerce/{HASH}{path}", self.emulator.url());
        self.client.get(url).send().await.unwrap().json().await.unwrap()
    }

    pub async fn faults(&self, faults: Value) {
        let set = self.control("/faults", faults).await;
        assert_eq!(set.status, 200, "{}", set.text);
    }

    pub async fn stats(&self) -> Value {
        let url = format!("{}/_emulator/stats", self.emulator.url());
        self.client.get(url).send().await.unwrap().json().await.unwrap()
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

    /// Every order the list shows for `query`, read page by page until the empty page's 204.
    pub async fn all_orders(&self, query: &str) -> Vec<Value> {
        let mut orders = Vec::new();
        for page in 1.. {
            let reply = self.get(&format!("v2/orders?limit=50&page={page}&{query}")).await;
            if reply.status == 204 {
                return orders;
            }
            assert_eq!(reply.status, 200, "{}", reply.text);
            orders.extend(reply.body.as_array().unwrap().clone());
        }
        unreachable!()
    }

    /// An order waiting to ship, made now through the control endpoint.
    pub async fn new_order(&self, body: Value) -> Value {
        let created = self.control("/orders", body).await;
        assert_eq!(created.status, 201, "{}", created.text);
        created.body["order"].clone()
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
        for _ in 0..500 {
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
