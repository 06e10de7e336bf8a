use std::net::SocketAddr;

use reqwest::{header, redirect::Policy, Client, Response, StatusCode};
use serde_json::Value;
use storelink::{
    auth::password,
    server::{db, Application, Settings},
    users::{repo, Role},
};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const STANDARD_EMAIL: &str = "standard@example.com";
pub const PASSWORD: &str = "a long test password";

pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: db::Pool,
    /// Kept alive so the database outlives the test.
    pub _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(None).await
}

/// Starts the real server on a free port with a fresh database holding one administrator and
/// one standard user, both with [`PASSWORD`].
pub async fn spawn_app_with(public_url: Option<&str>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: None,
        data_dir: dir.path().to_owned(),
        site_root: "target/site".into(),
        public_url: public_url.map(str::to_owned),
    };
    let app = Application::build(settings).await.expect("the server starts");
    let addr = app.local_addr();
    let pool = app.state.pool.clone();
    tokio::spawn(app.run());
    for (email, role) in [(ADMIN_EMAIL, Role::Admin), (STANDARD_EMAIL, Role::Standard)] {
        let hash = password::hash_blocking(PASSWORD).unwrap();
        repo::create(&pool, email, role, &hash).await.unwrap();
    }
    TestApp { addr, pool, _dir: dir }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A browser-like client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> Client {
        Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
    }

    pub async fn post(&self, client: &Client, path: &str, form: &[(&str, &str)]) -> Response {
        client.post(self.url(path)).form(form).send().await.unwrap()
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn login(&self, client: &Client, email: &str, password: &str) -> Response {
        self.post(client, "/api/login", &[("email", email), ("password", password)]).await
    }

    /// A client signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Client {
        let client = self.client();
        let response = self.login(&client, email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "signing in as {email}");
        client
    }

    pub async fn user_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await.unwrap()
    }

    pub async fn user_id(&self, email: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM users WHERE email = ?").bind(email).fetch_one(&self.pool).await.unwrap()
    }

    pub async fn role_of(&self, email: &str) -> (String, i64) {
        sqlx::query_as("SELECT role, active FROM users WHERE email = ?")
            .bind(email)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The error a server function answered with, as JSON.
pub async fn error_body(response: Response) -> Value {
    response.json().await.unwrap()
}

pub fn set_cookie(response: &Response) -> Option<String> {
    response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().to_owned())
}
