//! After a store is registered, its API password and shared secret appear nowhere a person or
//! a browser could read them: not in the database file, not in the logs, not in any response.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use reqwest::{redirect::Policy, Client};

/// The value after `label` on one of the lines the demo prints.
fn value_after(lines: &[String], label: &str) -> String {
    let line = lines.iter().find(|l| l.contains(label)).unwrap_or_else(|| panic!("no {label:?} in {lines:?}"));
    line.split(label).nth(1).unwrap().trim().to_owned()
}

#[tokio::test]
async fn registered_credentials_are_in_no_file_log_or_response() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let data = dir.path().join("data");
    let mut server = Command::new(env!("CARGO_BIN_EXE_storelink"))
        .args(["serve", "--demo", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "debug")
        .env_remove("STORELINK_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = server.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("Client secret:")) {
        lines.push(rx.recv_timeout(Duration::from_secs(30)).expect("the demo prints its store"));
    }
    let base = value_after(&lines, "listening on");
    let admin_password = value_after(&lines, "password:");
    let (key, password, secret) =
        (value_after(&lines, "API Key:"), value_after(&lines, "API Password:"), value_after(&lines, "Shared Secret:"));

    let client = Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap();
    let mut seen = String::new();
    let login = client
        .post(format!("{base}/api/login"))
        .form(&[("email", "admin@storelink.local"), ("password", admin_password.as_str())])
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success());
    let form = [
        ("store_url", "demo.myshopify.com"),
        ("api_key", &key),
        ("api_password", &password),
        ("shared_secret", &secret),
    ];
    let registered = client
        .post(format!("{base}/api/stores/register"))
        .form(&crate::helpers::store_form("shopify", &form))
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success(), "{:?}", registered.text().await);
    seen.push_str(&format!("{:?}", registered.headers()));
    seen.push_str(&registered.text().await.unwrap());
    for path in [
        "/",
        "/stores/new?platform=shopify",
        "/audit",
        "/api/stores/list",
        "/api/audit/list",
        "/api/stores/get?store_id=1",
    ] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert!(response.status().is_success(), "{path}");
        seen.push_str(&format!("{:?}", response.headers()));
        seen.push_str(&response.text().await.unwrap());
    }
    assert!(seen.contains("Demo Outfitters"), "the store is on the pages");

    // The same store again, as a Dev Dashboard app: its Client secret and the tokens storelink
    // gets with it must not show either.
    let disconnected =
        client.post(format!("{base}/api/stores/disconnect")).form(&[("store_id", "1")]).send().await.unwrap();
    assert!(disconnected.status().is_success());
    let client_id = value_after(&lines, "Client ID:").split_whitespace().next().unwrap().to_owned();
    let client_secret = value_after(&lines, "Client secret:").split_whitespace().next().unwrap().to_owned();
    let form =
        [("store_url", "demo"), ("api_key", &client_id), ("api_password", ""), ("shared_secret", &client_secret)];
    let registered = client
        .post(format!("{base}/api/stores/register"))
        .form(&crate::helpers::store_form("shopify", &form))
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success(), "{:?}", registered.text().await);
    seen.push_str(&registered.text().await.unwrap());
    for path in
        ["/", "/stores/1", "/stores/1/sync", "/stores/1/permissions", "/api/stores/list", "/api/stores/get?store_id=1"]
    {
        seen.push_str(&client.get(format!("{base}{path}")).send().await.unwrap().text().await.unwrap());
    }
    let emulator = value_after(&lines, "built-in emulator at").trim_end_matches(':').to_owned();
    let issued: serde_json::Value =
        reqwest::get(format!("{emulator}/_emulator/shops/demo/tokens")).await.unwrap().json().await.unwrap();
    let tokens: Vec<String> =
        issued["tokens"].as_array().unwrap().iter().map(|t| t["access_token"].as_str().unwrap().to_owned()).collect();
    assert!(!tokens.is_empty(), "storelink got a token");

    server.kill().unwrap();
    server.wait().unwrap();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(logs.contains("store registered"), "the logs were captured: {logs}");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(files.iter().any(|(name, _)| name.ends_with("storelink.db")));
    for plain in [&password, &secret, &client_secret].into_iter().chain(&tokens) {
        assert!(!seen.contains(plain.as_str()), "a response carries a secret");
        assert!(!logs.contains(plain.as_str()), "the log carries a secret");
        for (name, bytes) in &files {
            assert!(!bytes.windows(plain.len()).any(|w| w == plain.as_bytes()), "{name} carries a secret");
        }
    }
}
