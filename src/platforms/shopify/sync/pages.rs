//! Paging through a resource with GraphQL connections: an incremental sync's window of what was
//! updated since the newest record stored (less an overlap), sorted by `updatedAt`, or (to
//! finish a failed bulk export) the whole resource. Each page is taken apart into its nodes, the
//! rest of any nested connection that had more is asked for by itself, and the page is stored
//! with the cursor after it in one transaction. Page sizes follow what Shopify says the last
//! page cost, so a query stays well under the maximum.

use serde::Deserialize;
use serde_json::{json, value::RawValue, Value};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    super::{
        client::ShopifyError,
        nodes::{self, Finisher, Unfinished},
        queries, reader,
    },
    fatal, ShopifySync, Step,
};
use crate::{
    db,
    jobs::{run::Stop, Phase},
    records::{self, Part},
};

/// Incremental syncs look back this far past the newest record stored, so a record updated
/// while the last sync ran is not missed.
const OVERLAP_SECS: i64 = 300;
/// The window's end is a little past storelink's now, so a record Shopify stamped by a clock
/// running ahead of ours is not left for the next sync.
const CLOCK_SKEW_SECS: i64 = 60;
/// What a page is sized to cost: well under Shopify's 1,000-point ceiling.
const PAGE_COST: f64 = 400.0;

/// A part's page query and the key of its connection; `None` for the parts that come inside
/// another's pages (inventory levels inside products).
fn page_query(part: Part) -> Option<&'static str> {
    Some(match part {
        Part::Locations => queries::PAGE_LOCATIONS,
        Part::Products => queries::PAGE_PRODUCTS,
        Part::InventoryLevels => return None,
        Part::Customers => queries::PAGE_CUSTOMERS,
        Part::Orders => queries::PAGE_ORDERS,
        Part::FulfillmentOrders => queries::PAGE_FULFILLMENT_ORDERS,
    })
}

/// The connection a part's page query answers with.
fn connection_key(part: Part) -> &'static str {
    match part {
        Part::FulfillmentOrders => "fulfillmentOrders",
        Part::InventoryLevels => "inventoryItems",
        other => other.key(),
    }
}

/// A first guess at what one node of the part's page costs, before Shopify has said.
fn first_guess(part: Part) -> f64 {
    match part {
        Part::Locations | Part::Customers => 5.0,
        Part::Products => 230.0,
        Part::Orders => 120.0,
        Part::InventoryLevels | Part::FulfillmentOrders => 50.0,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    page_info: PageInfo,
    nodes: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

fn rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

impl ShopifySync<'_> {
    pub(super) async fn incremental(&mut self) -> Result<(), Stop> {
        let until = match &self.checkpoint.until {
            Some(until) => until.clone(),
            None => {
                let until = rfc3339(db::now() + CLOCK_SKEW_SECS);
                self.checkpoint.until = Some(until.clone());
                until
            }
        };
        for part in Part::ALL {
            if page_query(part).is_none() {
                continue;
            }
            if !self.checkpoint.steps.contains_key(&part) {
                let query = match part {
                    Part::Locations => None,
                    _ => {
                        let newest = records::repo::newest_updated_at(self.run.pool(), self.run.store_id, part).await?;
                        let since = rfc3339((newest - OVERLAP_SECS).max(0));
                        Some(format!("updated_at:>='{since}' AND updated_at:<='{until}'"))
                    }
                };
                self.checkpoint.steps.insert(part, Step::Pages { after: None, query });
            }
            self.walk(part).await?;
        }
        Ok(())
    }

    /// Pages through the part from its checkpoint to the end.
    pub(super) async fn walk(&mut self, resource: Part) -> Result<(), Stop> {
        let Some(text) = page_query(resource) else {
            // Inventory levels come inside product pages: a failed export of them is finished
            // by paging through the products.
            self.checkpoint.steps.insert(resource, Step::Done);
            if !matches!(self.checkpoint.steps.get(&Part::Products), Some(Step::Export { .. } | Step::Import { .. })) {
                self.checkpoint.steps.insert(Part::Products, Step::Pages { after: None, query: None });
            }
            self.save_now().await?;
            return Ok(());
        };
        let now = db::now();
        self.run.progress.phase = Some(resource.key().into());
        self.run.progress.resources.entry(resource.key().into()).or_default().enter(Phase::Importing, now);
        let mut per_node = first_guess(resource);
        loop {
            self.check_cancelled().await?;
            let Some(Step::Pages { after, query }) = self.checkpoint.steps.get(&resource).cloned() else {
                return Ok(());
            };
            let first = ((PAGE_COST / per_node).floor() as i64).clamp(1, 250);
            let variables = json!({"first": first, "after": after, "query": query});
            let answer = self.query(text, variables, first as f64 * per_node + 2.0).await?;
            if let Some(requested) = answer.cost.requested_query_cost {
                per_node = (requested / first as f64).max(1.0);
            }
            let data: serde_json::Map<String, Value> = answer.read().map_err(fatal)?;
            let key = connection_key(resource);
            let connection: Connection = data
                .get(key)
                .cloned()
                .and_then(|c| serde_json::from_value(c).ok())
                .ok_or_else(|| fatal(ShopifyError::BadResponse(format!("the page has no {key}"))))?;
            let (mut lines, unfinished) = nodes::lines(connection.nodes, None);
            lines.extend(self.finish_connections(unfinished).await?);
            let next = match (connection.page_info.has_next_page, connection.page_info.end_cursor) {
                (true, Some(cursor)) => Step::Pages { after: Some(cursor), query },
                _ => Step::Done,
            };
            self.store_page(resource, &lines, next.clone()).await?;
            if next == Step::Done {
                return Ok(());
            }
        }
    }

    /// The rest of each connection a page left unfinished, and of theirs, as lines.
    pub(super) async fn finish_connections(&mut self, unfinished: Vec<Unfinished>) -> Result<Vec<Box<RawValue>>, Stop> {
        let mut finisher = Finisher::new(unfinished);
        while let Some((part, text, variables)) = finisher.next_query() {
            let answer = self.query(&text, variables, 300.0).await?;
            let data: Value = answer.read().map_err(fatal)?;
            finisher.answered(part, data).map_err(|why| fatal(ShopifyError::BadResponse(why)))?;
        }
        for part in &finisher.skipped {
            self.run.progress.event(format!("Left out more {} of a {} (not kept)", part.connection, part.typename));
        }
        Ok(finisher.lines)
    }

    /// Stores a page's nodes and moves the checkpoint, together.
    async fn store_page(&mut self, resource: Part, lines: &[Box<RawValue>], next: Step) -> Result<(), Stop> {
        let refs: Vec<&RawValue> = lines.iter().map(|l| l.as_ref()).collect();
        let batch = reader::read_lines(&refs, db::now());
        let last = next == Step::Done;
        self.checkpoint.steps.insert(resource, next);
        self.run.set_platform_checkpoint(&self.checkpoint);
        self.run.store_page(resource, batch, last).await
    }
}
