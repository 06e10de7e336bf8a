//! Change notices turned into current records: a delivery about an order, product, customer,
//! fulfillment order or inventory item names the record; notices are gathered per store for a
//! moment (one record changed five times is fetched once), and the records are fetched as they
//! are now with `nodes(ids:)`, paced by the store's cost budget like every other call, and stored
//! through the sync's repository functions.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};

use serde::Deserialize;
use serde_json::{json, value::RawValue, Value};
use tokio::sync::{mpsc, oneshot};

use super::super::{
    client::{ShopifyClient, ShopifyError},
    graphql::{Answer, Query},
    nodes::{self, Finisher},
    queries, reader,
    tokens::{TokenError, Tokens},
};
use crate::{
    db::{self, Pool},
    error::AppError,
    ids::StoreId,
    records,
};

/// What a query of `nodes` may ask for: Shopify takes at most 250 ids.
const MAX_IDS: usize = 250;
/// What a query is sized to cost, as for pages.
const QUERY_COST: f64 = 400.0;
/// A first guess at one node's cost, until Shopify says.
const FIRST_GUESS: f64 = 80.0;

/// The kinds of record a notice can name, as gids name them.
const KINDS: [&str; 5] = ["Order", "Product", "Customer", "FulfillmentOrder", "InventoryItem"];

/// How many ids a query asks for, so it costs about [`QUERY_COST`] at `per_node` points each.
fn batch_size(per_node: f64) -> usize {
    ((QUERY_COST / per_node).floor() as usize).clamp(1, MAX_IDS)
}

/// One notice: the record's gid, and who waits for it to be refreshed.
struct Notice {
    store_id: StoreId,
    gid: String,
    done: oneshot::Sender<Result<(), String>>,
}

/// Gathers notices and refreshes their records; cheap to clone.
#[derive(Clone)]
pub struct Refresher {
    notices: mpsc::UnboundedSender<Notice>,
    context: Arc<Context>,
}

/// What refreshing needs.
struct Context {
    pool: Pool,
    shopify: ShopifyClient,
    tokens: Arc<Tokens>,
}

impl Refresher {
    /// Starts the task that gathers notices for `window` and refreshes what they name.
    pub fn start(pool: Pool, shopify: ShopifyClient, tokens: Arc<Tokens>, window: Duration) -> Refresher {
        let (notices, received) = mpsc::unbounded_channel();
        let context = Arc::new(Context { pool, shopify, tokens });
        tokio::spawn(gather(received, context.clone(), window));
        Refresher { notices, context }
    }

    /// Whether Shopify still accepts the app on the store: a signed `app/uninstalled` body can be
    /// replayed under a new event id, so the delivery alone is not believed. `None` when Shopify
    /// cannot be asked (the next sync finds out).
    pub async fn still_connected(&self, store_id: StoreId) -> Option<bool> {
        match self.context.query(store_id, queries::REGISTRATION, Value::Null, 2.0).await {
            Err(Failure::Shopify(ShopifyError::Unauthorized | ShopifyError::GrantRefused(_))) => Some(false),
            Ok(_) => Some(true),
            Err(err) => {
                tracing::warn!(%store_id, error = %err, "could not ask Shopify whether it still accepts the app");
                None
            }
        }
    }

    /// Whether Shopify no longer has the customer (a redaction may then be applied): `None` when
    /// Shopify cannot be asked now.
    pub async fn customer_gone(&self, store_id: StoreId, customer: i64) -> Option<bool> {
        let id = format!("gid://shopify/Customer/{customer}");
        match self.context.query(store_id, queries::CUSTOMER_EXISTS, json!({ "id": id }), 2.0).await {
            Ok(answer) => match answer.read::<Value>() {
                Ok(data) => Some(data["customer"].is_null()),
                Err(err) => {
                    tracing::warn!(%store_id, error = %err, "could not read whether Shopify has a customer");
                    None
                }
            },
            Err(err) => {
                tracing::warn!(%store_id, error = %err, "could not ask Shopify whether it has a customer");
                None
            }
        }
    }

    /// Asks the store's Admin API something of its own (the drift check's counts and lists).
    pub async fn ask(&self, store_id: StoreId, text: &str, variables: Value, cost: f64) -> Result<Answer, AppError> {
        self.context
            .query(store_id, text, variables, cost)
            .await
            .map_err(|err| AppError::Upstream(format!("Shopify could not be read: {err}")))
    }

    /// The record `gid` of the store changed: done once it is stored as it is now (or the
    /// failure, in words, after which the next sync fetches it).
    pub async fn refresh(&self, store_id: StoreId, gid: String) -> Result<(), String> {
        let (done, refreshed) = oneshot::channel();
        if self.notices.send(Notice { store_id, gid, done }).is_err() {
            return Err("storelink is stopping".into());
        }
        refreshed.await.unwrap_or_else(|_| Err("storelink is stopping".into()))
    }
}

#[derive(Default)]
struct Pending {
    gids: BTreeSet<String>,
    waiting: Vec<oneshot::Sender<Result<(), String>>>,
}

async fn gather(mut received: mpsc::UnboundedReceiver<Notice>, context: Arc<Context>, window: Duration) {
    // What one node of each kind cost in each store's last query.
    let mut per_node: BTreeMap<(StoreId, &'static str), f64> = BTreeMap::new();
    while let Some(first) = received.recv().await {
        let mut pending: BTreeMap<StoreId, Pending> = BTreeMap::new();
        let mut add = |notice: Notice| {
            let entry = pending.entry(notice.store_id).or_default();
            entry.gids.insert(notice.gid);
            entry.waiting.push(notice.done);
        };
        add(first);
        let deadline = tokio::time::sleep(window);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                notice = received.recv() => match notice {
                    Some(notice) => add(notice),
                    None => break,
                },
                _ = &mut deadline => break,
            }
        }
        for (store_id, pending) in pending {
            let refreshed = context.refresh(store_id, &pending, &mut per_node).await.map_err(|err| {
                tracing::warn!(%store_id, error = %err, "could not refresh records webhooks named; the next sync will");
                err.to_string()
            });
            for waiting in pending.waiting {
                let _ = waiting.send(refreshed.clone());
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Shopify(ShopifyError),
    #[error("{0}")]
    Internal(AppError),
}

impl From<AppError> for Failure {
    fn from(err: AppError) -> Failure {
        Failure::Internal(err)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(err: sqlx::Error) -> Failure {
        Failure::Internal(err.into())
    }
}

impl From<TokenError> for Failure {
    fn from(err: TokenError) -> Failure {
        match err {
            TokenError::Shopify(err) => Failure::Shopify(err),
            TokenError::Internal(err) => Failure::Internal(err),
            TokenError::NoCredentials => Failure::Shopify(ShopifyError::Unauthorized),
        }
    }
}

impl Context {
    async fn query(&self, store_id: StoreId, text: &str, variables: Value, cost: f64) -> Result<Answer, Failure> {
        let query = Query { text, variables, cost };
        let shopify = &self.shopify;
        Ok(self
            .tokens
            .call(store_id, |access| {
                let query = &query;
                async move { shopify.graphql(&access.domain, &access.token, query, &mut |_| {}).await }
            })
            .await?)
    }

    async fn refresh(
        &self,
        store_id: StoreId,
        pending: &Pending,
        per_node: &mut BTreeMap<(StoreId, &'static str), f64>,
    ) -> Result<(), Failure> {
        let mut by_kind: BTreeMap<&'static str, Vec<&String>> = BTreeMap::new();
        for gid in &pending.gids {
            match KINDS.iter().find(|kind| gid.starts_with(&format!("gid://shopify/{kind}/"))) {
                Some(kind) => by_kind.entry(kind).or_default().push(gid),
                None => tracing::info!(%store_id, gid, "a webhook named a record storelink does not keep"),
            }
        }
        let mut lines: Vec<Box<RawValue>> = Vec::new();
        let mut unfinished = Vec::new();
        let mut gone = Vec::new();
        for (kind, gids) in by_kind {
            let text = queries::nodes(kind).expect("every kept kind has a nodes query");
            let cost = per_node.entry((store_id, kind)).or_insert(FIRST_GUESS);
            let mut start = 0;
            while start < gids.len() {
                let ids = &gids[start..(start + batch_size(*cost)).min(gids.len())];
                start += ids.len();
                let answer = self.query(store_id, text, json!({"ids": ids}), ids.len() as f64 * *cost + 1.0).await?;
                if let Some(requested) = answer.cost.requested_query_cost {
                    *cost = (requested / ids.len() as f64).max(1.0);
                }
                #[derive(Deserialize)]
                struct Nodes {
                    nodes: Vec<Option<Value>>,
                }
                let nodes: Nodes = answer.read().map_err(Failure::Shopify)?;
                let mut found = Vec::with_capacity(ids.len());
                for (gid, node) in ids.iter().zip(nodes.nodes) {
                    match node {
                        Some(node) => found.push(node),
                        // Shopify no longer has it: deleted there, so here too.
                        None => gone.push((**gid).clone()),
                    }
                }
                let (more, open) = nodes::lines(found, None);
                lines.extend(more);
                unfinished.extend(open);
            }
        }
        let mut finisher = Finisher::new(unfinished);
        while let Some((part, text, variables)) = finisher.next_query() {
            let data: Value = self.query(store_id, &text, variables, 300.0).await?.read().map_err(Failure::Shopify)?;
            finisher.answered(part, data).map_err(|why| Failure::Shopify(ShopifyError::BadResponse(why)))?;
        }
        lines.extend(finisher.lines);
        let refs: Vec<&RawValue> = lines.iter().map(|l| l.as_ref()).collect();
        let batch = reader::read_lines(&refs, db::now());
        let gone: Vec<_> = gone.iter().filter_map(|gid| reader::gone(gid)).collect();
        records::apply(&self.pool, store_id, batch, gone).await?;
        Ok(())
    }
}
