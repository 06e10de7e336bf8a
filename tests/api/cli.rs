//! The `storelink` command line, run as a user runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_command_line_emulator_serves_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("emulator.json");
    let shop = json!({"handle": "acme", "access_token": SHOP_TOKEN, "api_key": SHOP_KEY, "shared_secret": SHOP_SECRET,
                      "scopes": ["read_orders"], "plan": "standard", "locations": 1, "products": 1, "customers": 1,
                      "orders": 1, "seed": 1});
    std::fs::write(&config, json!({"shops": [shop]}).to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_storelink"))
        .args(["emulator", "--addr", "127.0.0.1:0", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    // Kept until the child is gone, so its later lines never meet a closed pipe.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    let reply = reqwest::Client::new()
        .get(format!("{url}/admin/api/2026-07/shop.json"))
        .header("host", "acme.myshopify.com")
        .header("x-shopify-access-token", SHOP_TOKEN)
        .send()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdout);
    assert_eq!(reply.status(), 200);
}
