//! WooCommerce's side of a sync job. A site has no bulk export: every part is read page by page
//! (100 a page, oldest id first), several pages in flight at once (the client keeps each site to
//! its limit), and each page is stored, in order, with the checkpoint that says where the next
//! one starts. A full sync reads everything; an incremental one what was modified since the
//! newest record stored, less an overlap, in UTC (`dates_are_gmt`), so a site's own timezone
//! never moves the window.
//!
//! Pages are asked for by offset, and each starts a few records before the last one ended: a
//! record trashed while the sync pages would otherwise shift the next page's first record onto
//! the page already read, and a full sync would then sweep away an order it simply did not see.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use futures::future::try_join_all;
use serde::{Deserialize, Serialize};
use serde_json::{value::RawValue, Value};
use time::{macros::format_description, OffsetDateTime};

use super::{
    client::{Keys, WooClient, WooError},
    pacing::PaceEvent,
    reader::{self, Site},
    SiteUrl, WooCommerce,
};
use crate::{
    db,
    jobs::{
        run::{Run, Stop},
        JobKind, Phase, Progress,
    },
    records::{model::Batch, Part},
};

/// Records a page holds: WooCommerce's maximum.
const PER_PAGE: i64 = 100;
/// How far each page reaches back into the one before it.
const PAGE_OVERLAP: i64 = 5;
/// How far each page starts past the one before it.
const STEP: i64 = PER_PAGE - PAGE_OVERLAP;
/// Incremental syncs look back this far past the newest record stored.
const OVERLAP_SECS: i64 = 300;
/// The window's end is a little past storelink's now, for a site whose clock runs ahead.
const CLOCK_SKEW_SECS: i64 = 60;

const KEY_REFUSED: &str = "WooCommerce refused the API key — reconnect the store";

/// Where WooCommerce's part of a job is.
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
    /// Reading the part from `offset`; `since` (Unix seconds) for an incremental window.
    Pages {
        offset: i64,
        since: Option<i64>,
    },
    Done,
}

/// The parts a WooCommerce site has, in the order they are read: orders last, so the products
/// their lines name are there first.
const PARTS: [Part; 4] = [Part::Locations, Part::Products, Part::Customers, Part::Orders];

/// The state a store is left in when the site refuses for good.
pub(super) fn fatal(err: WooError) -> Stop {
    match err {
        WooError::UnknownKey | WooError::WrongSecret => Stop::Refused(KEY_REFUSED.into()),
        WooError::NoReadPermission => {
            Stop::Refused("the API key may no longer read: set its Permissions to Read/Write, then reconnect".into())
        }
        WooError::NotAllowed => Stop::Refused(
            "the API key's WordPress user is no longer an Administrator or a Shop Manager — reconnect the store".into(),
        ),
        WooError::NoWooCommerce => Stop::Fatal("WooCommerce is no longer active on the site".into()),
        WooError::NotWordPress | WooError::RestApiOff => Stop::Fatal("the site's REST API no longer answers".into()),
        other => Stop::Fatal(format!("the site kept failing: {other}")),
    }
}

/// A page as it came: its records' text, and what it says of the rest.
struct Fetched {
    body: String,
    count: i64,
    total: Option<i64>,
    /// A variable product's variations, by product.
    variations: Vec<(i64, String)>,
    /// The oldest registration on a page of customers (incremental syncs stop there).
    oldest_registered: Option<i64>,
}

/// Runs WooCommerce's part of the job to its end, from its checkpoint.
pub(in crate::platforms) async fn run(woo: &WooCommerce, run: &mut Run) -> Result<(), Stop> {
    let Some((site, keys)) = woo.connection(run.store_id).await? else { return Err(Stop::Cancelled) };
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = heard.clone();
    let client = woo.client.with_events(move |event| sink.lock().unwrap_or_else(|p| p.into_inner()).push(event));
    let reader_site = woo.reader_site(&site, &keys).await.map_err(fatal)?;
    let steps = run.platform_checkpoint();
    let mut sync = WooSync { run, client, site, keys, reader_site, steps, heard };
    if sync.steps.until.is_none() {
        sync.steps.until = Some(db::now() + CLOCK_SKEW_SECS);
    }
    for part in PARTS {
        sync.part(part).await?;
    }
    Ok(())
}

struct WooSync<'a> {
    run: &'a mut Run,
    client: WooClient,
    site: SiteUrl,
    keys: Keys,
    reader_site: Site,
    steps: Steps,
    heard: Arc<Mutex<Vec<PaceEvent>>>,
}

/// `2026-12-06T10:00:00`: how WooCommerce takes a date (UTC with `dates_are_gmt`).
pub(super) fn wc_date(unix: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    OffsetDateTime::from_unix_timestamp(unix).ok().and_then(|t| t.format(&format).ok()).unwrap_or_default()
}

fn route(part: Part) -> &'static str {
    match part {
        Part::Products => "/wc/v3/products",
        Part::Customers => "/wc/v3/customers",
        _ => "/wc/v3/orders",
    }
}

impl WooSync<'_> {
    async fn part(&mut self, part: Part) -> Result<(), Stop> {
        let step = match self.steps.parts.get(&part) {
            Some(Step::Done) => return Ok(()),
            Some(step) => step.clone(),
            None => {
                let since = match (self.run.kind, part) {
                    (JobKind::Incremental, Part::Products | Part::Customers | Part::Orders) => {
                        let newest =
                            crate::records::repo::newest_updated_at(self.run.pool(), self.run.store_id, part).await?;
                        Some((newest - OVERLAP_SECS).max(0))
                    }
                    _ => None,
                };
                Step::Pages { offset: 0, since }
            }
        };
        self.run.progress.phase = Some(part.key().into());
        self.run.progress.resources.entry(part.key().into()).or_default().enter(Phase::Importing, db::now());
        if part == Part::Locations {
            let batch = Batch { records: vec![reader::location(&self.reader_site.location_name)], refused: vec![] };
            self.steps.parts.insert(part, Step::Done);
            return self.store(part, batch, true).await;
        }
        let Step::Pages { offset, since } = step else { return Ok(()) };
        self.pages(part, offset, since).await
    }

    /// The query for one page of `part` from `offset`.
    fn query(&self, part: Part, offset: i64, since: Option<i64>) -> Vec<(String, String)> {
        let mut query = vec![("per_page".to_owned(), PER_PAGE.to_string()), ("offset".to_owned(), offset.to_string())];
        let mut add = |k: &str, v: String| query.push((k.to_owned(), v));
        match (part, since) {
            // Customers have no date filters: an incremental sync reads the newest
            // registrations first and stops at the window's start (changes to older customers
            // come by webhook, and with each full sync).
            (Part::Customers, Some(_)) => {
                add("orderby", "registered_date".into());
                add("order", "desc".into());
            }
            (Part::Customers, None) => {
                add("orderby", "id".into());
                add("order", "asc".into());
            }
            (_, since) => {
                add("orderby", "id".into());
                add("order", "asc".into());
                if let Some(since) = since {
                    add("modified_after", wc_date(since));
                    add("modified_before", wc_date(self.steps.until.unwrap_or_else(db::now)));
                    add("dates_are_gmt", "true".into());
                }
            }
        }
        query
    }

    /// Reads `part` from `offset` to its end, several pages in flight, each stored in order;
    /// the next pages are fetched while the last ones are stored.
    async fn pages(&mut self, part: Part, mut offset: i64, since: Option<i64>) -> Result<(), Stop> {
        let at_once = self.client.limit(&self.site).max(1) as i64;
        // The first page says how many there are.
        let first = vec![self.query(part, offset, since)];
        let mut batch =
            fetch_all(self.client.clone(), self.site.clone(), self.keys.clone(), part, first).await.map_err(fatal)?;
        let total = batch.first().and_then(|page| page.total);
        if let Some(total) = total {
            let count = self.run.progress.resources.entry(part.key().into()).or_default();
            count.total = Some(count.done + total - offset.min(total));
        }
        loop {
            self.run.check_cancelled().await?;
            self.heard();
            let ends = batch.iter().position(|page| ends_part(part, since, page));
            let next_offset = offset + batch.len() as i64 * STEP;
            let queries: Vec<Vec<(String, String)>> = match ends {
                Some(_) => Vec::new(),
                None => (0..at_once)
                    .map(|i| next_offset + i * STEP)
                    .filter(|o| *o == next_offset || total.is_none_or(|total| *o < total))
                    .map(|o| self.query(part, o, since))
                    .collect(),
            };
            let next = fetch_all(self.client.clone(), self.site.clone(), self.keys.clone(), part, queries);
            let stored = async {
                for (n, page) in batch.iter().enumerate() {
                    let last = ends == Some(n);
                    let records = self.read(part, page);
                    offset += STEP;
                    let step = if last { Step::Done } else { Step::Pages { offset, since } };
                    self.steps.parts.insert(part, step);
                    self.store(part, records, last).await?;
                    if last {
                        break;
                    }
                }
                Ok::<(), Stop>(())
            };
            let (stored, next) = tokio::join!(stored, next);
            stored?;
            if ends.is_some() {
                return Ok(());
            }
            batch = next.map_err(fatal)?;
        }
    }

    fn read(&self, part: Part, page: &Fetched) -> Batch {
        match part {
            Part::Products => {
                let mut batch = reader::products(&page.body, &self.reader_site);
                for (product_id, variations) in &page.variations {
                    let more = reader::variations(variations, *product_id, &self.reader_site);
                    batch.records.extend(more.records);
                    batch.refused.extend(more.refused);
                }
                batch
            }
            Part::Customers => reader::customers(&page.body),
            _ => reader::orders(&page.body, &self.reader_site),
        }
    }

    async fn store(&mut self, part: Part, batch: Batch, last: bool) -> Result<(), Stop> {
        self.run.set_platform_checkpoint(&self.steps);
        self.run.store_page(part, batch, last).await
    }

    /// Tells of the client's waits and retries since the last time.
    fn heard(&mut self) {
        let events = std::mem::take(&mut *self.heard.lock().unwrap_or_else(|p| p.into_inner()));
        tell(&mut self.run.progress, events);
    }
}

/// Waits and retries, in the sync's log.
pub(super) fn tell(progress: &mut Progress, events: Vec<PaceEvent>) {
    for event in events {
        match event {
            PaceEvent::Waited { millis, why } => {
                progress.event(format!("Waited {:.1} s for the site ({why})", millis as f64 / 1000.0))
            }
            PaceEvent::Retried { attempt, why } => progress.event(format!("Retried ({why}), attempt {attempt}")),
        }
    }
}

/// Whether `page` is the last of the part: short, or (an incremental sync's customers, newest
/// first) reaching back past the window's start.
fn ends_part(part: Part, since: Option<i64>, page: &Fetched) -> bool {
    let past_window = match (part, since) {
        (Part::Customers, Some(since)) => page.oldest_registered.is_none_or(|oldest| oldest < since),
        _ => false,
    };
    page.count < PER_PAGE || past_window
}

/// The pages `queries` ask for, all at once (the client keeps the site to its limit), in order.
async fn fetch_all(
    client: WooClient,
    site: SiteUrl,
    keys: Keys,
    part: Part,
    queries: Vec<Vec<(String, String)>>,
) -> Result<Vec<Fetched>, WooError> {
    try_join_all(queries.iter().map(|query| fetch(&client, &site, &keys, part, query))).await
}

/// One page of `part`, and for products the variations of its variable products.
async fn fetch(
    client: &WooClient,
    site: &SiteUrl,
    keys: &Keys,
    part: Part,
    query: &[(String, String)],
) -> Result<Fetched, WooError> {
    let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let answer = client.get(site, keys, route(part), &pairs).await?;
    let body = answer.text()?.to_owned();
    let elements: Vec<Value> =
        serde_json::from_str(&body).map_err(|_| WooError::BadResponse("a page that is not a list".into()))?;
    let count = elements.len() as i64;
    let mut variations = Vec::new();
    let mut oldest_registered = None;
    match part {
        Part::Products => {
            let variable: Vec<i64> = elements
                .iter()
                .filter(|p| p["type"] == "variable")
                .filter(|p| p["variations"].as_array().is_some_and(|v| !v.is_empty()))
                .filter_map(|p| p["id"].as_i64())
                .collect();
            let texts = try_join_all(variable.iter().map(|id| variations_of(client, site, keys, *id))).await?;
            variations = variable.into_iter().zip(texts).collect();
        }
        Part::Customers => {
            oldest_registered = elements
                .iter()
                .filter_map(|c| c["date_created_gmt"].as_str())
                .filter_map(|d| {
                    time::PrimitiveDateTime::parse(
                        d,
                        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
                    )
                    .ok()
                })
                .map(|d| d.assume_utc().unix_timestamp())
                .min();
        }
        _ => {}
    }
    Ok(Fetched { body, count, total: answer.total, variations, oldest_registered })
}

/// Every variation of a variable product, as one JSON array.
pub(super) async fn variations_of(
    client: &WooClient,
    site: &SiteUrl,
    keys: &Keys,
    product: i64,
) -> Result<String, WooError> {
    let route = format!("/wc/v3/products/{product}/variations");
    // Each variation's exact text is kept as its record's raw JSON.
    let mut all: Vec<String> = Vec::new();
    for page in 1.. {
        let page_text = page.to_string();
        let answer = client.get(site, keys, &route, &[("per_page", "100"), ("page", &page_text)]).await?;
        let items: Vec<&RawValue> = answer.json()?;
        let more = items.len() as i64 == PER_PAGE && answer.total_pages.is_none_or(|pages| pages > page);
        all.extend(items.into_iter().map(|item| item.get().to_owned()));
        if !more {
            break;
        }
    }
    Ok(format!("[{}]", all.join(",")))
}

#[cfg(test)]
mod tests {
    use super::wc_date;

    #[test]
    fn dates_are_sent_as_woocommerce_reads_them() {
        assert_eq!(wc_date(0), "1970-01-01T00:00:00");
        assert_eq!(wc_date(1_765_000_000), "2025-12-06T05:46:40");
    }
}
