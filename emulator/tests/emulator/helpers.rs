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

/// A shop description with the limits off, to be adjusted per test.
pub fn shop(handle: &str) -> Value {
    json!({
        "handle": handle, "access_token": TOKEN, "api_key": API_KEY, "shared_secret": SECRET,
        "scopes": ALL_SCOPES, "plan": {"bucket": 100000, "leak_per_second": 100000.0},
        "locations": 2, "products": 30, "customers": 40, "orders": 600, "seed": 7, "latency_ms": 0
    })
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

    pub async fn control_get(&self, path: &str) -> Value {
        self.client.get(format!("{}/_emulator{path}", self.emulator.url())).send().await.unwrap().json().await.unwrap()
    }
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

pub fn ids(list: &Value) -> Vec<u64> {
    list.as_array().unwrap().iter().map(|v| v["id"].as_u64().unwrap()).collect()
}

pub async fn count(emu: &Emu, shop: &str, path: &str) -> u64 {
    emu.get(shop, path).await.body["count"].as_u64().unwrap()
}
