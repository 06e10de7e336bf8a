//! The apps a shop has installed: the legacy custom app with its one fixed token, and a Dev
//! Dashboard app whose tokens come from the client credentials grant and expire on the
//! emulator's clock. Each app has its own scopes, webhook subscriptions and signing secret.

use std::time::Duration;

use rand::RngCore;
use serde::Serialize;

use super::{config::DevApp, Shop};

/// Which app made a request or a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum App {
    /// The legacy custom app: `access_token`, `api_key`, `shared_secret`.
    Legacy,
    /// The Dev Dashboard app: `dev_app`.
    DevApp,
}

/// One token the client credentials grant issued. Times are readings of the emulator's clock.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub issued_at: Duration,
    pub expires_at: Duration,
}

impl IssuedToken {
    pub fn live_at(&self, now: Duration) -> bool {
        now < self.expires_at
    }
}

/// Kept per shop so a client that grants in a loop cannot grow the emulator without bound; the
/// oldest go first, and a day's renewals are far fewer.
const TOKEN_CAPACITY: usize = 10_000;

/// Why the grant refused, as the OAuth `error` code and Shopify's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnsupportedGrantType,
    InvalidClient,
    ShopNotPermitted,
    AppNotInstalled,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::UnsupportedGrantType => "unsupported_grant_type",
            Refusal::InvalidClient => "invalid_client",
            Refusal::ShopNotPermitted => "shop_not_permitted",
            Refusal::AppNotInstalled => "app_not_installed",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Refusal::UnsupportedGrantType => {
                "The authorization grant type is not supported by the authorization server."
            }
            Refusal::InvalidClient => {
                "Client authentication failed due to unknown client, no client authentication included, or \
                 unsupported authentication method."
            }
            Refusal::ShopNotPermitted => "Client credentials cannot be performed on this shop.",
            Refusal::AppNotInstalled => "The application is not installed on this shop.",
        }
    }
}

/// A granted token, as the answer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub access_token: String,
    pub scopes: Vec<String>,
    pub expires_in: u64,
}

impl Shop {
    /// The scopes `app`'s tokens have now: those granted, less any removed by a fault.
    pub fn scopes_of(&self, app: App) -> Vec<String> {
        let granted = match (app, &self.dev_app) {
            (App::DevApp, Some(dev_app)) => {
                dev_app.lock().expect("dev app lock").scopes.clone().unwrap_or_else(|| self.config.scopes.clone())
            }
            _ => self.config.scopes.clone(),
        };
        let removed = self.faults.lock().expect("faults lock").removed_scopes.clone();
        granted.into_iter().filter(|s| !removed.contains(s)).collect()
    }

    /// True when `app` may read `resource` (`orders`, …): `read_X` or `write_X` granted.
    pub fn app_can_read(&self, app: App, resource: &str) -> bool {
        self.scopes_of(app).iter().any(|s| s == &format!("read_{resource}") || s == &format!("write_{resource}"))
    }

    /// The key `app`'s webhooks are signed with: the legacy shared secret, or the Dev Dashboard
    /// app's current client secret.
    pub fn secret_of(&self, app: App) -> String {
        match (app, &self.dev_app) {
            (App::DevApp, Some(dev_app)) => dev_app.lock().expect("dev app lock").client_secret.clone(),
            _ => self.config.shared_secret.clone(),
        }
    }

    /// The dev app's settings now, if the shop has one.
    pub fn dev_app(&self) -> Option<DevApp> {
        self.dev_app.as_ref().map(|app| app.lock().expect("dev app lock").clone())
    }

    /// The client credentials grant at `now`: checks in the order the answers are listed in
    /// `Refusal`, then issues a new token; earlier ones stay valid until their own expiry.
    pub fn grant(
        &self,
        grant_type: Option<&str>,
        client_id: Option<&str>,
        client_secret: Option<&str>,
        now: Duration,
    ) -> Result<Grant, Refusal> {
        if grant_type != Some("client_credentials") {
            return Err(Refusal::UnsupportedGrantType);
        }
        let Some(dev_app) = self.dev_app() else { return Err(Refusal::InvalidClient) };
        let id_matches = constant_time_eq(client_id.unwrap_or_default(), &dev_app.client_id);
        let secret_matches = constant_time_eq(client_secret.unwrap_or_default(), &dev_app.client_secret);
        if !(id_matches && secret_matches) {
            return Err(Refusal::InvalidClient);
        }
        if !dev_app.same_organization {
            return Err(Refusal::ShopNotPermitted);
        }
        if !dev_app.installed {
            return Err(Refusal::AppNotInstalled);
        }
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let issued = IssuedToken {
            token: hex::encode(bytes),
            issued_at: now,
            expires_at: now.saturating_add(Duration::from_secs(dev_app.token_lifetime_secs)),
        };
        let access_token = issued.token.clone();
        {
            let mut tokens = self.tokens.lock().expect("tokens lock");
            if tokens.len() == TOKEN_CAPACITY {
                tokens.remove(0);
            }
            tokens.push(issued);
        }
        Ok(Grant { access_token, scopes: self.scopes_of(App::DevApp), expires_in: dev_app.token_lifetime_secs })
    }

    /// True when `sent` is a token the grant issued that has not expired at `now`.
    pub fn dev_token_live(&self, sent: &str, now: Duration) -> bool {
        // Every token is compared, so the time taken says nothing about which one matched.
        let tokens = self.tokens.lock().expect("tokens lock");
        tokens.iter().fold(false, |found, t| found | (constant_time_eq(sent, &t.token) & t.live_at(now)))
    }

    /// Makes every token issued so far expire at `now`; returns how many were still live.
    pub fn expire_tokens(&self, now: Duration) -> usize {
        let mut tokens = self.tokens.lock().expect("tokens lock");
        let live = tokens.iter_mut().filter(|t| t.live_at(now));
        live.fold(0, |count, t| {
            t.expires_at = now;
            count + 1
        })
    }

    /// Every token issued so far (oldest first), live or not.
    pub fn issued_tokens(&self) -> Vec<IssuedToken> {
        self.tokens.lock().expect("tokens lock").clone()
    }
}

pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::Config, EmulatorState};

    fn shop() -> std::sync::Arc<Shop> {
        let config = Config::from_json(
            r#"{"shops": [{"handle": "dev", "scopes": ["read_orders"], "orders": 0,
                "dev_app": {"client_id": "cid", "client_secret": "csec", "token_lifetime_secs": 60}}]}"#,
        )
        .unwrap();
        EmulatorState::new(&config).unwrap().shop("dev").unwrap()
    }

    #[test]
    fn tokens_live_until_their_expiry_and_can_be_expired_early() {
        let shop = shop();
        let start = Duration::ZERO;
        let first = shop.grant(Some("client_credentials"), Some("cid"), Some("csec"), start).unwrap();
        assert_eq!(first.access_token.len(), 32);
        assert!(first.access_token.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_eq!((first.scopes.as_slice(), first.expires_in), (&["read_orders".to_owned()][..], 60));
        assert!(shop.dev_token_live(&first.access_token, Duration::from_secs(59)));
        assert!(!shop.dev_token_live(&first.access_token, Duration::from_secs(60)));

        let later = Duration::from_secs(30);
        let second = shop.grant(Some("client_credentials"), Some("cid"), Some("csec"), later).unwrap();
        assert_ne!(first.access_token, second.access_token);
        assert!(shop.dev_token_live(&first.access_token, later), "an earlier token stays valid");
        assert_eq!(shop.expire_tokens(later), 2);
        assert!(!shop.dev_token_live(&second.access_token, later));
        assert_eq!(shop.expire_tokens(later), 0);
    }

    #[test]
    fn refusals_come_in_order() {
        let shop = shop();
        let now = Duration::ZERO;
        assert_eq!(shop.grant(Some("password"), Some("x"), None, now), Err(Refusal::UnsupportedGrantType));
        assert_eq!(shop.grant(Some("client_credentials"), Some("cid"), Some("x"), now), Err(Refusal::InvalidClient));
        assert_eq!(shop.grant(Some("client_credentials"), None, None, now), Err(Refusal::InvalidClient));
        shop.dev_app.as_ref().unwrap().lock().unwrap().installed = false;
        assert_eq!(
            shop.grant(Some("client_credentials"), Some("cid"), Some("csec"), now),
            Err(Refusal::AppNotInstalled)
        );
        shop.dev_app.as_ref().unwrap().lock().unwrap().same_organization = false;
        assert_eq!(
            shop.grant(Some("client_credentials"), Some("cid"), Some("csec"), now),
            Err(Refusal::ShopNotPermitted)
        );
    }
}
