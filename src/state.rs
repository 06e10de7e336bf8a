//! The server's settings and the state every request handler and server function shares.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use axum::extract::FromRef;
use leptos::prelude::*;

use crate::{
    db, error::AppError, platforms::Platforms, progress::Hub, secrets::Sealer, secrets::Secret, shipments, sync,
    webhooks,
};

/// Everything the server needs to know, gathered from the command line and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    /// Where the database lives; defaults to an SQLite file inside `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// The folder with the built site (`target/site` after `cargo leptos build`).
    pub site_root: String,
    /// The address browsers use, when it differs from `addr` (e.g. behind a TLS proxy).
    pub public_url: Option<String>,
    /// The key that seals store credentials; without it, `secret.key` in `data_dir`.
    pub secret_key: Option<Secret>,
    /// Where each platform's calls go, how long they may take, and which addresses may be dialled.
    pub platforms: crate::platforms::Settings,
    /// Run sync jobs in the background (tests that drive the engine themselves turn it off).
    pub run_sync: bool,
    /// How often each connected store gets an incremental sync.
    pub sync_interval: Duration,
    /// How this server claims sync jobs: the lease, its renewal, how many jobs at once.
    pub sync_claims: crate::sync::Claims,
    /// Take the client's address from `X-Forwarded-For` (behind a load balancer that sets it).
    pub trust_forwarded_for: bool,
    /// How often expired sessions, old sign-in counts and old webhook deliveries are deleted.
    pub housekeeping_interval: Duration,
    /// Serve Prometheus metrics at `/metrics` (unauthenticated: for the operator's network).
    pub metrics: bool,
    /// Connections one client address may hold at once (0: no limit).
    pub max_connections_per_client: usize,
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| db::sqlite_url_in(&self.data_dir))
    }

    /// The address platforms deliver webhooks under (`{base}/webhooks/{platform}`): the public
    /// URL when it is https. Against the emulator (a platform's base URL override is set), any
    /// public URL, or else this server's own address.
    pub fn webhook_base(&self, own: SocketAddr) -> Option<String> {
        let base = match (&self.public_url, self.platforms.emulated()) {
            (Some(url), _) if url.starts_with("https://") => url.clone(),
            (Some(url), true) => url.clone(),
            (None, true) => format!("http://{own}"),
            (_, false) => return None,
        };
        Some(base.trim_end_matches('/').to_owned())
    }

    /// Cookies are marked Secure when browsers reach the server over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|url| url.starts_with("https://"))
    }
}

/// Shared with every request handler and server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: db::Pool,
    pub settings: Arc<Settings>,
    pub sealer: Sealer,
    /// Every platform's client, behind one interface.
    pub platforms: Arc<Platforms>,
    pub hub: Hub,
    pub sync: sync::Handle,
    /// Wakes the sender of shipments when one is recorded here.
    pub shipments: shipments::sender::Wake,
    /// Whether platforms can deliver webhooks to this server.
    pub webhooks_enabled: bool,
    /// The queue's counts (parcels and orders a filter finds), ages and countries shipped to,
    /// kept between changes.
    pub queue_counts: crate::queue::tally::Tally<(i64, i64)>,
    pub queue_ages: crate::queue::tally::Tally<crate::records::Ages>,
    pub queue_countries: crate::queue::tally::Tally<Vec<String>>,
}

impl AppState {
    /// The state of the server handling the current server function or page render.
    pub fn current() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal
        })
    }
}

impl FromRef<AppState> for webhooks::Receiver {
    fn from_ref(state: &AppState) -> webhooks::Receiver {
        webhooks::Receiver {
            pool: state.pool.clone(),
            sealer: state.sealer.clone(),
            hub: state.hub.clone(),
            platforms: state.platforms.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public_url: Option<&str>, shopify_base_url: Option<&str>) -> Settings {
        Settings {
            addr: "127.0.0.1:0".parse().unwrap(),
            database_url: None,
            data_dir: "data".into(),
            site_root: "target/site".into(),
            public_url: public_url.map(str::to_owned),
            secret_key: None,
            platforms: crate::platforms::Settings::new(shopify_base_url.map(str::to_owned), Duration::from_secs(1)),
            run_sync: false,
            sync_interval: Duration::from_secs(600),
            sync_claims: Default::default(),
            trust_forwarded_for: false,
            housekeeping_interval: Duration::from_secs(600),
            metrics: false,
            max_connections_per_client: 256,
        }
    }

    #[test]
    fn webhooks_need_an_https_public_url_except_against_the_emulator() {
        let own: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let https = settings(Some("https://ship.example.com/"), None);
        assert_eq!(https.webhook_base(own).as_deref(), Some("https://ship.example.com"));
        assert_eq!(settings(Some("http://ship.example.com"), None).webhook_base(own), None);
        assert_eq!(settings(None, None).webhook_base(own), None);
        let emulated = settings(None, Some("http://127.0.0.1:3001"));
        assert_eq!(emulated.webhook_base(own).as_deref(), Some("http://127.0.0.1:3000"));
    }
}
