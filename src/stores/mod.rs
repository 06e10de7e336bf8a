//! Connected stores: what the Stores page shows, and (server only) the `stores` table.

#[cfg(feature = "ssr")]
pub mod repo;

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::GetUrl;

use crate::{error::AppError, users::UserDto};

/// One store as the browser sees it: never its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreDto {
    pub id: i64,
    pub platform: String,
    pub name: String,
    pub shop_domain: String,
    pub state: String,
    /// Unix seconds of the last completed synchronization.
    pub last_synced_at: Option<i64>,
    pub orders: i64,
    pub products: i64,
    pub customers: i64,
    pub locations: i64,
}

/// The Stores page: who is looking (it decides which controls show) and the stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoresPage {
    pub viewer: UserDto,
    pub stores: Vec<StoreDto>,
    /// Server time when the page was read, so "5 minutes ago" renders the same on both sides.
    pub now: i64,
}

#[server(prefix = "/api", endpoint = "stores/list", input = GetUrl)]
pub async fn list_stores() -> Result<StoresPage, AppError> {
    crate::server::respond(async {
        let caller = crate::auth::guard::require_user().await?;
        let stores = repo::list(&caller.pool).await?;
        Ok(StoresPage { viewer: caller.user, stores, now: crate::server::db::now() })
    })
    .await
}

/// "3 minutes ago", for a time `then` seen at `now` (both Unix seconds).
pub fn relative_time(then: i64, now: i64) -> String {
    let secs = (now - then).max(0);
    let (n, unit) = match secs {
        0..=59 => return "just now".to_owned(),
        60..=3599 => (secs / 60, "minute"),
        3600..=86_399 => (secs / 3600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::relative_time;

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative_time(100, 130), "just now");
        assert_eq!(relative_time(0, 60), "1 minute ago");
        assert_eq!(relative_time(0, 7200), "2 hours ago");
        assert_eq!(relative_time(0, 3 * 86_400), "3 days ago");
        assert_eq!(relative_time(500, 100), "just now");
    }
}
