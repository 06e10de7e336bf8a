//! Shopify's side of a sync job. Every call goes through the GraphQL client (paced by the
//! store's cost budget) with a token renewed when due. A full sync exports each family of records
//! by bulk operation (`bulk.rs`); an incremental one pages through what changed (`pages.rs`).
//! Where the job is lives in the job's checkpoint ([`Steps`]), saved with every batch stored.

mod bulk;
mod pages;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    client::ShopifyError,
    graphql::{Answer, Query},
    pacing::PaceEvent,
    tokens::TokenError,
    Shopify, PERMISSIONS,
};
use crate::{
    db,
    jobs::{
        run::{Run, Stop},
        JobKind, Progress,
    },
    records::{repo::Stored, Part},
};

/// What a store whose token was refused is told.
const TOKEN_REFUSED: &str = "Shopify rejected the API password — reconnect the store";
const SECRET_REFUSED: &str = "Shopify refused the app's Client secret — reconnect the store";

/// Where Shopify's part of a job is.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Steps {
    /// The end of an incremental sync's windows, fixed when it starts, so records changed while
    /// it pages fall into the next one.
    until: Option<String>,
    #[serde(default)]
    steps: BTreeMap<Part, Step>,
    /// The parts whose export stopped partway once already: a second time, they are paged.
    #[serde(default)]
    stopped_once: Vec<Part>,
}

/// Where one part is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Step {
    /// A bulk operation exporting at Shopify.
    Export {
        operation: String,
    },
    /// A finished bulk operation's file, imported up to `line` (the lines before it are stored).
    Import {
        operation: String,
        url: String,
        line: u64,
        partial: bool,
    },
    /// Paging through the part after `after`, with this search `query` (none: everything).
    Pages {
        after: Option<String>,
        query: Option<String>,
    },
    Done,
}

impl From<TokenError> for Stop {
    fn from(err: TokenError) -> Stop {
        match err {
            TokenError::NoCredentials => Stop::Cancelled,
            TokenError::Shopify(err) => fatal(err),
            TokenError::Internal(err) => Stop::Internal(err),
        }
    }
}

/// A permission by the name the Shopify admin gives it.
fn admin_name(scope: &str) -> String {
    PERMISSIONS
        .iter()
        .find(|p| p.scope == scope || p.scope == scope.replacen("write_", "read_", 1))
        .map_or_else(|| scope.to_owned(), |p| p.admin_name.to_owned())
}

/// The state a store is left in when Shopify refuses for good.
pub(super) fn fatal(err: ShopifyError) -> Stop {
    Stop::Fatal(match err {
        ShopifyError::Unauthorized => return Stop::Refused(TOKEN_REFUSED.into()),
        ShopifyError::GrantRefused(_) => return Stop::Refused(SECRET_REFUSED.into()),
        ShopifyError::Forbidden { scope } => format!("the “{}” permission was removed", admin_name(&scope)),
        ShopifyError::Frozen | ShopifyError::Unavailable | ShopifyError::Locked => "the shop is unavailable".into(),
        ShopifyError::NotFound => "Shopify no longer knows this shop".into(),
        other => format!("Shopify kept failing: {other}"),
    })
}

/// Runs Shopify's part of the job to its end, from its checkpoint.
pub async fn run(shopify: &Shopify, run: &mut Run) -> Result<(), Stop> {
    let checkpoint = run.platform_checkpoint();
    let mut sync = ShopifySync { run, shopify, checkpoint, told_to_wait: BTreeSet::new(), waits: None };
    match sync.run.kind {
        JobKind::Full => sync.full().await,
        JobKind::Incremental => sync.incremental().await,
    }
}

/// Tells of waits and retries; waits in a row are one line (`waits` is the last such line, how
/// many and how long in all), so they never push the rest of the short log out.
pub(super) fn paced(progress: &mut Progress, waits: &mut Option<(String, u32, u64)>, events: Vec<PaceEvent>) {
    for event in events {
        match event {
            PaceEvent::WaitedForRateLimit { millis } => {
                let (times, total) = match waits.take() {
                    Some((line, times, total)) if progress.events.last().is_some_and(|e| e.text == line) => {
                        progress.events.pop();
                        (times + 1, total + millis)
                    }
                    _ => (1, millis),
                };
                let seconds = total as f64 / 1000.0;
                let line = match times {
                    1 => format!("Waited {seconds:.1} s for Shopify's rate limit"),
                    n => format!("Waited {seconds:.1} s for Shopify's rate limit ({n} times)"),
                };
                progress.event(line.clone());
                *waits = Some((line, times, total));
            }
            PaceEvent::Retried { attempt, reason } => progress.event(format!("Retried ({reason}), attempt {attempt}")),
        }
    }
}

struct ShopifySync<'a> {
    run: &'a mut Run,
    shopify: &'a Shopify,
    checkpoint: Steps,
    /// Parts whose export Shopify had no room for yet (said once each).
    told_to_wait: BTreeSet<Part>,
    /// The last line telling of rate-limit waits, how many and how long in all.
    waits: Option<(String, u32, u64)>,
}

impl ShopifySync<'_> {
    /// One GraphQL call, paced, with a token renewed when due or refused; waits and retries
    /// go into the event log.
    async fn query(&mut self, text: &str, variables: Value, cost: f64) -> Result<Answer, Stop> {
        let events = std::sync::Mutex::new(Vec::new());
        let client = &self.shopify.client;
        let query = Query { text, variables, cost };
        let result = self
            .shopify
            .tokens
            .call(self.run.store_id, |access| {
                let (events, query) = (&events, &query);
                async move {
                    let mut heard = |e| events.lock().unwrap_or_else(|p| p.into_inner()).push(e);
                    client.graphql(&access.domain, &access.token, query, &mut heard).await
                }
            })
            .await;
        self.paced(events.into_inner().unwrap_or_else(|p| p.into_inner()));
        Ok(result?)
    }

    fn paced(&mut self, events: Vec<PaceEvent>) {
        paced(&mut self.run.progress, &mut self.waits, events);
    }

    async fn begin(&self) -> Result<db::Conn, Stop> {
        self.run.begin().await
    }

    /// Saves the checkpoint (Shopify's steps in it) and progress in the caller's transaction.
    async fn save(&mut self, conn: &mut db::Conn) -> Result<(), Stop> {
        self.run.set_platform_checkpoint(&self.checkpoint);
        self.run.save(conn).await
    }

    /// Saves the checkpoint on its own and tells the watchers.
    async fn save_now(&mut self) -> Result<(), Stop> {
        self.run.set_platform_checkpoint(&self.checkpoint);
        self.run.save_now().await
    }

    async fn check_cancelled(&self) -> Result<(), Stop> {
        self.run.check_cancelled().await
    }

    async fn account(&mut self, conn: &mut db::Conn, part: Part, stored: &Stored) -> Result<(), Stop> {
        self.run.account(conn, part, stored).await
    }
}
