//! BigCommerce's side of a sync job, inside the store's shared quota. Each part is read in the
//! fewest requests the API allows: locations, catalog products with their variants embedded
//! (250 a page), inventory items (250 a page, every location each), customers by cursor (250),
//! and orders from v2 (250 a page) with their consignments' line items embedded, so only an
//! order with a consignment cut at 50 lines costs more (its `/products`). Each page is stored
//! with the checkpoint that says where the next starts.
//!
//! Orders page by `min_id` (ids ascending), so a change during the sync never shifts a page.
//! An incremental sync reads what was modified since the newest record stored, less an overlap,
//! up to a fixed end, in UTC; it then reads the orders archived in that window, which leave the
//! desk (a full sync sweeps them away, as they are not listed).

use std::collections::BTreeMap;

use futures::future::try_join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::{
    client::{BcClient, BcError},
    reader::{self, Site},
    BigCommerce, StoreHash,
};
use crate::{
    db,
    jobs::{
        run::{Run, Stop},
        JobKind, Phase,
    },
    records::{self, model::Gone, Part},
    secrets::Secret,
};

/// Records a page holds: the most BigCommerce gives.
const PER_PAGE: usize = 250;
const PER_PAGE_TEXT: &str = "250";
/// Incremental syncs look back this far past the newest record stored.
const OVERLAP_SECS: i64 = 300;
/// The window's end is a little past storelink's now, for a clock that runs ahead.
const CLOCK_SKEW_SECS: i64 = 60;

/// The parts a store has, in the order they are read: orders last, so what their lines name is
/// there first.
const PARTS: [Part; 5] = [Part::Locations, Part::Products, Part::InventoryLevels, Part::Customers, Part::Orders];

/// Where BigCommerce's part of a job is.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Steps {
    /// The end of an incremental sync's window (Unix seconds), fixed when it starts.
    #[serde(default)]
    until: Option<i64>,
    #[serde(default)]
    parts: BTreeMap<Part, Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Step {
    /// Reading a v3 collection from `page` (1-based).
    Pages {
        page: u32,
        since: Option<i64>,
    },
    /// Reading customers after `after`.
    Cursor {
        after: Option<String>,
        since: Option<i64>,
    },
    /// Reading orders from `min_id`.
    Orders {
        min_id: i64,
        since: Option<i64>,
    },
    /// Reading the orders archived since `since`, from `page`.
    Archived {
        page: u32,
        since: i64,
    },
    Done,
}

/// The state a store is left in when BigCommerce refuses for good.
pub(super) fn fatal(err: BcError) -> Stop {
    match err {
        BcError::Unauthorized => Stop::Refused("BigCommerce refused the access token — reconnect the store".into()),
        BcError::MissingScope => Stop::Refused(
            "the API account lacks a scope storelink reads with — reconnect the store with an account that has them"
                .into(),
        ),
        BcError::NotFound => Stop::Fatal("BigCommerce no longer has this store".into()),
        other => Stop::Fatal(format!("BigCommerce kept failing: {other}")),
    }
}

/// `2026-12-06T10:00:00Z`: how both APIs take a date, in UTC.
pub(super) fn bc_date(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// The lower bound sent for a window that starts at `since`: a second early, so the window's
/// first second is in it whether BigCommerce takes `min` bounds as inclusive or not (its
/// documentation does not say).
fn from(since: i64) -> i64 {
    since - 1
}

/// Runs BigCommerce's part of the job to its end, from its checkpoint.
pub(in crate::platforms) async fn run(bc: &BigCommerce, run: &mut Run) -> Result<(), Stop> {
    let Some((hash, token)) = bc.connection(run.store_id).await? else { return Err(Stop::Cancelled) };
    let (client, heard) = bc.telling();
    let site = super::register::site_with(&client, &hash, &token).await.map_err(fatal)?;
    bc.sites.lock().unwrap_or_else(|p| p.into_inner()).insert(hash.as_str().to_owned(), site.clone());
    let steps = run.platform_checkpoint();
    let mut sync = BcSync { run, client, hash, token, site, steps, heard };
    if sync.steps.until.is_none() {
        sync.steps.until = Some(db::now() + CLOCK_SKEW_SECS);
    }
    for part in PARTS {
        sync.part(part).await?;
    }
    Ok(())
}

struct BcSync<'a> {
    run: &'a mut Run,
    client: BcClient,
    hash: StoreHash,
    token: Secret,
    site: Site,
    steps: Steps,
    heard: super::Heard,
}

impl BcSync<'_> {
    async fn part(&mut self, part: Part) -> Result<(), Stop> {
        let step = match self.steps.parts.get(&part) {
            Some(Step::Done) => return Ok(()),
            Some(step) => step.clone(),
            None => {
                let since = match (self.run.kind, part) {
                    (JobKind::Incremental, Part::Products | Part::Customers | Part::Orders) => {
                        let newest = records::repo::newest_updated_at(self.run.pool(), self.run.store_id, part).await?;
                        Some((newest - OVERLAP_SECS).max(0))
                    }
                    _ => None,
                };
                match part {
                    Part::Customers => Step::Cursor { after: None, since },
                    Part::Orders => Step::Orders { min_id: 1, since },
                    _ => Step::Pages { page: 1, since },
                }
            }
        };
        self.run.progress.phase = Some(part.key().into());
        self.run.progress.resources.entry(part.key().into()).or_default().enter(Phase::Importing, db::now());
        match step {
            Step::Pages { page, since } => self.pages(part, page, since).await,
            Step::Cursor { after, since } => self.customers(after, since).await,
            Step::Orders { min_id, since } => self.orders(min_id, since).await,
            Step::Archived { page, since } => self.archived(page, since).await,
            Step::Done => Ok(()),
        }
    }

    fn until(&self) -> i64 {
        self.steps.until.unwrap_or_else(db::now)
    }

    /// Tells of the client's waits and retries since the last time.
    fn heard(&mut self) {
        super::told(&self.heard, &mut self.run.progress);
    }

    fn set_total(&mut self, part: Part, total: Option<i64>) {
        if let Some(total) = total {
            let count = self.run.progress.resources.entry(part.key().into()).or_default();
            count.total = Some(count.done.max(0) + total);
        }
    }

    async fn store(&mut self, part: Part, batch: records::model::Batch, last: bool) -> Result<(), Stop> {
        self.heard();
        self.run.set_platform_checkpoint(&self.steps);
        self.run.store_page(part, batch, last).await
    }

    async fn get(&self, path: &str, query: &[(String, String)]) -> Result<super::Answer, Stop> {
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.client.get(&self.hash, &self.token, path, &pairs).await.map_err(fatal)
    }

    /// Locations, products (variants embedded) or inventory items, page by page.
    async fn pages(&mut self, part: Part, mut page: u32, since: Option<i64>) -> Result<(), Stop> {
        let path = match part {
            Part::Locations => "/v3/inventory/locations",
            Part::Products => "/v3/catalog/products",
            _ => "/v3/inventory/items",
        };
        loop {
            self.run.check_cancelled().await?;
            let mut query = vec![("limit".to_owned(), PER_PAGE_TEXT.to_owned()), ("page".to_owned(), page.to_string())];
            if part == Part::Products {
                query.push(("include".into(), "variants".into()));
                query.push(("sort".into(), "id".into()));
                if let Some(since) = since {
                    // With its time: a date alone would mean today at the request's time.
                    query.push(("date_modified:min".into(), bc_date(from(since))));
                    query.push(("date_modified:max".into(), bc_date(self.until())));
                }
            }
            let answer = self.get(path, &query).await?;
            let body: Value = answer.json().map_err(fatal)?;
            let count = body["data"].as_array().map_or(0, Vec::len);
            let pages = body["meta"]["pagination"]["total_pages"].as_u64().unwrap_or(0);
            // Inventory items are counted as their levels, one per location: no total for them.
            if page == 1 && part != Part::InventoryLevels {
                self.set_total(part, body["meta"]["pagination"]["total"].as_i64());
            }
            let text = answer.text().map_err(fatal)?;
            let batch = match part {
                Part::Locations => reader::locations(text),
                Part::Products => reader::products(text, &self.site),
                _ => reader::levels(text, db::now()),
            };
            let last = count < PER_PAGE || u64::from(page) >= pages;
            page += 1;
            self.steps.parts.insert(part, if last { Step::Done } else { Step::Pages { page, since } });
            self.store(part, batch, last).await?;
            if last {
                return Ok(());
            }
        }
    }

    /// Customers by cursor (BigCommerce's advice), oldest id first.
    async fn customers(&mut self, mut after: Option<String>, since: Option<i64>) -> Result<(), Stop> {
        let part = Part::Customers;
        let mut first = after.is_none();
        loop {
            self.run.check_cancelled().await?;
            let mut query = vec![("limit".to_owned(), PER_PAGE_TEXT.to_owned())];
            if let Some(after) = &after {
                query.push(("after".into(), after.clone()));
            }
            if let Some(since) = since {
                query.push(("date_modified:min".into(), bc_date(from(since))));
                query.push(("date_modified:max".into(), bc_date(self.until())));
            }
            let answer = self.get("/v3/customers", &query).await?;
            let body: Value = answer.json().map_err(fatal)?;
            if first {
                first = false;
                self.set_total(part, body["meta"]["pagination"]["total"].as_i64());
            }
            let count = body["data"].as_array().map_or(0, Vec::len);
            let cursors = &body["meta"]["cursor_pagination"];
            let next = cursors["end_cursor"].as_str().map(str::to_owned);
            let more = count == PER_PAGE && !cursors["links"]["next"].is_null() && next.is_some();
            let batch = reader::customers(answer.text().map_err(fatal)?);
            after = next;
            let step = if more { Step::Cursor { after: after.clone(), since } } else { Step::Done };
            self.steps.parts.insert(part, step);
            self.store(part, batch, !more).await?;
            if !more {
                return Ok(());
            }
        }
    }

    /// Orders from `min_id`, 250 a page with their line items embedded.
    async fn orders(&mut self, mut min_id: i64, since: Option<i64>) -> Result<(), Stop> {
        let part = Part::Orders;
        if min_id <= 1 {
            let mut query = Vec::new();
            self.window(&mut query, since);
            if let Ok(answer) = self.get("/v2/orders/count", &query).await {
                let count: Option<i64> = answer.json::<Value>().ok().and_then(|v| v["count"].as_i64());
                self.set_total(part, count);
            }
        }
        loop {
            self.run.check_cancelled().await?;
            let mut query = vec![
                ("limit".to_owned(), PER_PAGE_TEXT.to_owned()),
                ("min_id".to_owned(), min_id.to_string()),
                ("sort".to_owned(), "id:asc".to_owned()),
                ("include".to_owned(), "consignments.line_items".to_owned()),
                ("consignment_structure".to_owned(), "object".to_owned()),
            ];
            self.window(&mut query, since);
            let answer = self.get("/v2/orders", &query).await?;
            let (batch, ids) =
                read_orders(&self.client, &self.hash, &self.token, answer, &self.site).await.map_err(fatal)?;
            let last = ids.len() < PER_PAGE;
            if let Some(newest) = ids.iter().max() {
                min_id = newest + 1;
            }
            let next = match (last, since) {
                (false, _) => Step::Orders { min_id, since },
                (true, Some(since)) => Step::Archived { page: 1, since },
                (true, None) => Step::Done,
            };
            let done = next == Step::Done;
            self.steps.parts.insert(part, next);
            self.store(part, batch, done).await?;
            if last {
                return match since {
                    Some(since) => self.archived(1, since).await,
                    None => Ok(()),
                };
            }
        }
    }

    /// An incremental window on a v2 order query.
    fn window(&self, query: &mut Vec<(String, String)>, since: Option<i64>) {
        if let Some(since) = since {
            query.push(("min_date_modified".into(), bc_date(from(since))));
            query.push(("max_date_modified".into(), bc_date(self.until())));
        }
    }

    /// The orders archived in the window leave the desk.
    async fn archived(&mut self, mut page: u32, since: i64) -> Result<(), Stop> {
        loop {
            self.run.check_cancelled().await?;
            let mut query = vec![
                ("limit".to_owned(), PER_PAGE_TEXT.to_owned()),
                ("page".to_owned(), page.to_string()),
                ("is_deleted".to_owned(), "true".to_owned()),
            ];
            self.window(&mut query, Some(since));
            let answer = self.get("/v2/orders", &query).await?;
            let orders: Vec<Value> = if answer.is_empty() { Vec::new() } else { answer.json().map_err(fatal)? };
            let last = orders.len() < PER_PAGE;
            page += 1;
            self.steps.parts.insert(Part::Orders, if last { Step::Done } else { Step::Archived { page, since } });
            self.run.set_platform_checkpoint(&self.steps);
            let mut tx = self.run.begin().await?;
            for id in orders.iter().filter_map(|o| o["id"].as_i64()) {
                records::repo::delete(&mut tx, self.run.store_id, Gone::Order(id)).await?;
            }
            if last {
                self.run.progress.resources.entry(Part::Orders.key().into()).or_default().enter(Phase::Done, db::now());
            }
            self.run.save(&mut tx).await?;
            tx.commit().await?;
            self.run.changed();
            if last {
                return Ok(());
            }
        }
    }
}

/// The orders of a v2 answer (a page) as records, each with every line: its whole product list
/// is read where its consignments were cut at 50 lines. With the ids the page listed.
pub(super) async fn read_orders(
    client: &BcClient,
    hash: &StoreHash,
    token: &Secret,
    answer: super::Answer,
    site: &Site,
) -> Result<(records::model::Batch, Vec<i64>), BcError> {
    let orders: Vec<Value> = if answer.is_empty() { Vec::new() } else { answer.json()? };
    // The text is not needed again: a page is held once, as it is read.
    drop(answer);
    let ids: Vec<i64> = orders.iter().filter_map(|o| o["id"].as_i64()).collect();
    let cut: Vec<i64> = orders.iter().filter(|o| reader::needs_products(o)).filter_map(|o| o["id"].as_i64()).collect();
    let lists = try_join_all(cut.iter().map(|id| products_of(client, hash, token, *id))).await?;
    Ok((reader::orders(orders, cut.into_iter().zip(lists).collect(), site), ids))
}

/// Every product of an order (`/v2/orders/{id}/products`), 250 a page until an empty one.
pub(super) async fn products_of(
    client: &BcClient,
    hash: &StoreHash,
    token: &Secret,
    order: i64,
) -> Result<Vec<Value>, BcError> {
    let path = format!("/v2/orders/{order}/products");
    let mut all = Vec::new();
    for page in 1u32.. {
        let page_text = page.to_string();
        let answer = client.get(hash, token, &path, &[("limit", PER_PAGE_TEXT), ("page", &page_text)]).await?;
        if answer.is_empty() {
            break;
        }
        let items: Vec<Value> = answer.json()?;
        let more = items.len() == PER_PAGE;
        all.extend(items);
        if !more {
            break;
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::bc_date;

    #[test]
    fn dates_are_sent_in_utc_with_their_time() {
        assert_eq!(bc_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(bc_date(1_765_000_000), "2025-12-06T05:46:40Z");
    }
}
